#pragma once
// Announcement frames: the bytes that tell a LAN "this IP is now at this MAC" — a gratuitous
// ARP request and reply for IPv4, an unsolicited Neighbour Advertisement for IPv6 — as complete
// Ethernet frames ready for a packet socket (destination MAC first, no FCS, no padding: the
// driver pads short frames).
//
// Responsible for: every octet of those frames, checksums included, in the forms that a Linux
// router accepts as an update of its neighbour entry in every state (DESIGN.md, "Layer 2 VIPs";
// the bytes are compared with the kernel's own and iputils' in tests/fixtures/):
//  - ARP request: sender IP = target IP = the VIP, target MAC zero (RFC 5227 §2.3/§2.4; what
//    the kernel itself sends with arp_notify), to broadcast;
//  - ARP reply: sender IP = target IP, target MAC = the sender's own (a reply whose target MAC
//    is broadcast is ignored by Linux within the neighbour locktime), to broadcast;
//  - NA: from the VIP to ff02::1, hop limit 255, Override set, Router and Solicited clear,
//    target = the VIP, Target Link-Layer Address option = the sender's MAC (RFC 4861 §4.4,
//    §7.2.6), ICMPv6 checksum over the pseudo-header (RFC 4443 §2.3, RFC 8200 §8.1).
// Not responsible for: sending them or when (RawAnnouncer), VLAN tags, link types other than
// Ethernet.
// Pure: no I/O, no sockets; safe on any thread.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/ip_address.hpp"
#include "common/result.hpp"
#include "netlink/netlink.hpp"

namespace vipd::netlink {

using Frame = std::vector<std::uint8_t>;

inline constexpr MacAddress kBroadcastMac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
// RFC 2464 §7: ff02::1 (all nodes) maps to 33:33 followed by its low 32 bits.
inline constexpr MacAddress kAllNodesMac{0x33, 0x33, 0x00, 0x00, 0x00, 0x01};

inline constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr std::uint16_t kEtherTypeArp = 0x0806;
inline constexpr std::uint16_t kEtherTypeIpv6 = 0x86dd;

inline constexpr std::size_t kArpFrameSize = 14 + 28;  // Ethernet + ARP for IPv4
inline constexpr std::size_t kNeighborAdvertFrameSize = 14 + 40 + 24 + 8;  // + IPv6 + NA + option

// Gratuitous ARP request announcing `ipv4` at `sender`. An IPv6 address is kInvalidArgument.
Result<Frame> gratuitous_arp_request(const MacAddress& sender, const IpAddress& ipv4);
// Gratuitous ARP reply announcing `ipv4` at `sender`. An IPv6 address is kInvalidArgument.
Result<Frame> gratuitous_arp_reply(const MacAddress& sender, const IpAddress& ipv4);
// Unsolicited NA announcing `ipv6` at `sender`. An IPv4 address is kInvalidArgument.
Result<Frame> unsolicited_neighbor_advertisement(const MacAddress& sender, const IpAddress& ipv6);

// Everything one announcement of `address` sends, in order: for IPv4 the request then the
// reply, for IPv6 the NA. Either family; never fails.
std::vector<Frame> announcement_frames(const MacAddress& sender, const IpAddress& address);

}  // namespace vipd::netlink
