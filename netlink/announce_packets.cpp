#include "netlink/announce_packets.hpp"

#include <array>
#include <span>
#include <string>

#include "common/assert.hpp"

namespace vipd::netlink {
namespace {

// RFC 826 / IANA: hardware type 1 (Ethernet), operation codes.
constexpr std::uint16_t kArpHardwareEthernet = 1;
constexpr std::uint16_t kArpRequest = 1;
constexpr std::uint16_t kArpReply = 2;

constexpr std::uint8_t kIcmpv6NextHeader = 58;        // RFC 8200 §4 / IANA
constexpr std::uint8_t kNeighborAdvertisement = 136;  // RFC 4861 §4.4
constexpr std::uint8_t kNaFlagOverride = 0x20;        // RFC 4861 §4.4: R=0x80 S=0x40 O=0x20
constexpr std::uint8_t kOptionTargetLinkLayer = 2;    // RFC 4861 §4.6.1
constexpr std::uint8_t kNdiscHopLimit = 255;          // RFC 4861 §7.1.2: receivers require it
constexpr std::uint16_t kNaLength = 24 + 8;           // NA (§4.4) + one option (§4.6.1)

// ff02::1, the all-nodes multicast address (RFC 4291 §2.7.1).
constexpr std::array<std::uint8_t, 16> kAllNodes{0xff, 0x02, 0, 0, 0, 0, 0, 0,
                                                 0,    0,    0, 0, 0, 0, 0, 1};

void put16(Frame& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value));
}

void put(Frame& out, std::span<const std::uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void ethernet_header(Frame& out, const MacAddress& destination, const MacAddress& source,
                     std::uint16_t ether_type) {
  put(out, destination);
  put(out, source);
  put16(out, ether_type);
}

Result<void> require(const IpAddress& address, Family family, const char* what) {
  if (address.family() != family) {
    return failure(Errc::kInvalidArgument, std::string(what) + " announces an " +
                                               std::string(to_string(family)) + " address, not " +
                                               address.to_string());
  }
  return success();
}

// ARP for IPv4 over Ethernet (RFC 826), sender IP = target IP = `ipv4` (a gratuitous ARP).
Frame arp(std::uint16_t operation, const MacAddress& sender, const MacAddress& target_mac,
          const IpAddress& ipv4) {
  const auto ip = ipv4.bytes();
  Frame out;
  out.reserve(kArpFrameSize);
  ethernet_header(out, kBroadcastMac, sender, kEtherTypeArp);
  put16(out, kArpHardwareEthernet);  // hardware type
  put16(out, kEtherTypeIpv4);        // protocol type
  out.push_back(6);                  // hardware address length
  out.push_back(4);                  // protocol address length
  put16(out, operation);
  put(out, sender);      // sender hardware address
  put(out, ip.span());   // sender protocol address
  put(out, target_mac);  // target hardware address
  put(out, ip.span());   // target protocol address
  VIPD_ASSERT(out.size() == kArpFrameSize, "ARP frame size");
  return out;
}

// RFC 1071 one's complement sum of 16-bit words (an odd last octet padded with zero).
std::uint32_t add_words(std::uint32_t sum, std::span<const std::uint8_t> bytes) {
  for (std::size_t i = 0; i < bytes.size(); i += 2) {
    const std::uint32_t high = bytes[i];
    const std::uint32_t low = i + 1 < bytes.size() ? bytes[i + 1] : 0;
    sum += (high << 8) | low;
  }
  return sum;
}

// RFC 4443 §2.3: the checksum covers the RFC 8200 §8.1 pseudo-header (source, destination,
// upper-layer packet length, three zero octets, next header 58) and the ICMPv6 message with
// its checksum field zero.
std::uint16_t icmpv6_checksum(std::span<const std::uint8_t> source,
                              std::span<const std::uint8_t> destination,
                              std::span<const std::uint8_t> message) {
  std::uint32_t sum = 0;
  sum = add_words(sum, source);
  sum = add_words(sum, destination);
  const auto length = static_cast<std::uint32_t>(message.size());
  sum += length >> 16;
  sum += length & 0xffff;
  sum += kIcmpv6NextHeader;
  sum = add_words(sum, message);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

}  // namespace

Result<Frame> gratuitous_arp_request(const MacAddress& sender, const IpAddress& ipv4) {
  VIPD_TRY(require(ipv4, Family::kV4, "a gratuitous ARP request"));
  // RFC 5227 §2.3/§2.4: the target hardware address is ignored and SHOULD be zero; the kernel's
  // own gratuitous ARP (arp_notify) sends zero too. iputils' arping -U sends broadcast there.
  return arp(kArpRequest, sender, MacAddress{}, ipv4);
}

Result<Frame> gratuitous_arp_reply(const MacAddress& sender, const IpAddress& ipv4) {
  VIPD_TRY(require(ipv4, Family::kV4, "a gratuitous ARP reply"));
  // Target MAC = our own: Linux ignores a reply with a broadcast target MAC while the entry is
  // within its locktime (DESIGN.md, "Layer 2 VIPs"). iputils' arping -A does the same.
  return arp(kArpReply, sender, sender, ipv4);
}

Result<Frame> unsolicited_neighbor_advertisement(const MacAddress& sender, const IpAddress& ipv6) {
  VIPD_TRY(require(ipv6, Family::kV6, "an unsolicited neighbour advertisement"));
  const auto vip = ipv6.bytes();
  Frame out;
  out.reserve(kNeighborAdvertFrameSize);
  // RFC 4861 §7.2.6: unsolicited NAs go to the all-nodes multicast address.
  ethernet_header(out, kAllNodesMac, sender, kEtherTypeIpv6);

  // IPv6 header (RFC 8200 §3).
  out.push_back(0x60);  // version 6, traffic class 0...
  out.push_back(0x00);  // ...flow label 0
  put16(out, 0x0000);
  put16(out, kNaLength);  // payload length
  out.push_back(kIcmpv6NextHeader);
  out.push_back(kNdiscHopLimit);
  // Source: the VIP itself, as the kernel's own unsolicited NA for a global address does
  // (ndisc_send_na picks the target when it is a local address). RFC 4861 §4.4 asks for "an
  // address assigned to the interface from which the advertisement is sent", which the VIP is.
  put(out, vip.span());
  put(out, kAllNodes);

  // Neighbour Advertisement (RFC 4861 §4.4).
  const std::size_t icmp = out.size();
  out.push_back(kNeighborAdvertisement);
  out.push_back(0);  // code
  put16(out, 0);     // checksum, filled in below
  // §7.2.6: Solicited clear (unsolicited); Override "MAY be set to either zero or one", but
  // only with it set do neighbours install the new link-layer address (without it Linux keeps
  // the old MAC: raw_announcer_test's control); Router clear (a VIP is not a router).
  out.push_back(kNaFlagOverride);
  out.push_back(0);  // reserved
  put16(out, 0);
  put(out, vip.span());  // target address
  // Target Link-Layer Address option (§4.6.1): type 2, length 1 (units of 8 octets).
  out.push_back(kOptionTargetLinkLayer);
  out.push_back(1);
  put(out, sender);

  VIPD_ASSERT(out.size() == kNeighborAdvertFrameSize, "NA frame size");
  const auto checksum =
      icmpv6_checksum(vip.span(), kAllNodes, std::span<const std::uint8_t>(out).subspan(icmp));
  out[icmp + 2] = static_cast<std::uint8_t>(checksum >> 8);
  out[icmp + 3] = static_cast<std::uint8_t>(checksum);
  return out;
}

std::vector<Frame> announcement_frames(const MacAddress& sender, const IpAddress& address) {
  std::vector<Frame> frames;
  if (address.is_v4()) {
    frames.push_back(gratuitous_arp_request(sender, address).value());
    frames.push_back(gratuitous_arp_reply(sender, address).value());
  } else {
    frames.push_back(unsolicited_neighbor_advertisement(sender, address).value());
  }
  return frames;
}

}  // namespace vipd::netlink
