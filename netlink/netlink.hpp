#pragma once
// Netlink: the host's links and addresses, as the layer-2 VIP reconciler and the host facts need
// them, behind an interface so that everything above it is tested against FakeNetlink.
//
// Responsible for (the real implementation, netlink/rtnetlink.cpp, libnl-3 over NETLINK_ROUTE):
// listing links (index, name, MAC, administrative and operational state) and addresses;
// adding and deleting a VIP (IPv4 /32, IPv6 /128 with IFA_F_NODAD and preferred lifetime 0 so
// the kernel neither runs duplicate address detection nor picks the VIP as a source address),
// marked as vipd's with IFA_PROTO = kVipdAddressProtocol (both families; IPv4 also gets the
// label "<link>:vip" when it fits in IFNAMSIZ) so stale ones are found after a restart;
// reporting link and address changes (RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR).
// Not responsible for: deciding which addresses should exist (vip/), announcing them (the
// Announcer), routes, neighbours.
// Errors from the kernel come back as Errc::kIoError with the operation, the address, the link
// and the kernel's reason ("add 192.0.2.10/32 on eth0: Operation not permitted").

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/ip_address.hpp"
#include "common/result.hpp"

namespace vipd::netlink {

// IFA_PROTO value that marks an address vipd added (Linux ≥ 5.18 keeps and reports it; values
// 0-3 are the kernel's own).
inline constexpr std::uint8_t kVipdAddressProtocol = 0x56;

using MacAddress = std::array<std::uint8_t, 6>;

struct Link {
  int index = 0;
  std::string name;
  std::optional<MacAddress> mac;  // absent on links without an Ethernet address (lo, tun)
  bool up = false;                // IFF_UP: administratively up
  bool running = false;           // IFF_RUNNING / IF_OPER_UP: carrier, usable
  bool loopback = false;          // IFF_LOOPBACK
  friend bool operator==(const Link&, const Link&) = default;
};

struct Address {
  int link = 0;  // the link's index
  IpAddress address;
  int prefix_length = 0;
  bool vipd = false;        // IFA_PROTO == kVipdAddressProtocol: vipd added it
  bool tentative = false;   // IFA_F_TENTATIVE (IPv6 DAD still running)
  bool dad_failed = false;  // IFA_F_DADFAILED
  friend bool operator==(const Address&, const Address&) = default;
};

struct LinkEvent {
  Link link;
  bool removed = false;  // RTM_DELLINK
};

struct AddressEvent {
  Address address;
  bool removed = false;  // RTM_DELADDR
};

class Netlink {
 public:
  virtual ~Netlink() = default;

  virtual Result<std::vector<Link>> links() = 0;
  virtual Result<std::vector<Address>> addresses() = 0;

  // Adds `address` (a host route: /32 or /128) on link `link` as a vipd VIP (see above).
  // Adding one that is already there with vipd's mark succeeds (idempotent); one that is there
  // without the mark (an operator's) is Errc::kAlreadyExists, and is left alone.
  virtual Result<void> add_vip(int link, const IpAddress& address) = 0;
  // Deletes the vipd VIP `address` from link `link`. One that is not there succeeds.
  virtual Result<void> delete_vip(int link, const IpAddress& address) = 0;

  // Called for every link and address change after subscribe() (on the caller's executor, for
  // the real implementation). Replaces the previous callbacks. After an overrun of the event
  // socket (ENOBUFS), `resync` is called: events were lost, list again.
  struct Callbacks {
    std::function<void(const LinkEvent&)> link;
    std::function<void(const AddressEvent&)> address;
    std::function<void()> resync;
  };
  virtual Result<void> subscribe(Callbacks callbacks) = 0;
};

}  // namespace vipd::netlink
