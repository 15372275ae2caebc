#pragma once
// Announcer: tells the LAN that a VIP now lives here — gratuitous ARP for IPv4, an unsolicited
// Neighbour Advertisement for IPv6 — because the kernel announces nothing when an address is
// added (DESIGN.md, "Layer 2 VIPs").
//
// Responsible for: sending, for an IPv4 VIP, a gratuitous ARP request and an ARP reply whose
// target MAC is the sender's own (a reply to broadcast is ignored within the neighbour
// locktime), and for an IPv6 VIP an unsolicited NA to ff02::1 with the Override flag and the
// target link-layer address option (without Override a router keeps the old entry for 7-8 s);
// sending them at once and again `repeats` times `interval` apart; retrying a send that fails
// with ENETDOWN (the first send on a raw socket after a link flap); counting what was sent per
// address (vipd_layer2_gratuitous_sent).
// Not responsible for: deciding when to announce (vip/ calls announce() on takeover, on
// re-confirmation and after a link comes back), the addresses themselves (Netlink).

#include <chrono>
#include <cstdint>
#include <map>

#include "common/ip_address.hpp"
#include "netlink/netlink.hpp"

namespace vipd::netlink {

struct AnnounceOptions {
  int repeats = 4;                                                     // after the first send
  std::chrono::milliseconds interval{std::chrono::milliseconds(500)};  // between sends
};

class Announcer {
 public:
  virtual ~Announcer() = default;
  // Announces `address` on `link` now and then on the schedule; a second call for the same
  // link and address restarts the schedule. A link without a MAC is refused (kInvalidArgument).
  virtual Result<void> announce(const Link& link, const IpAddress& address) = 0;
  // Stops the schedule for `address` (it was released); nothing is sent.
  virtual void stop(const IpAddress& address) = 0;
  // Announcement packets sent per address since start (a request and a reply count as two).
  virtual const std::map<IpAddress, std::uint64_t>& sent() const = 0;
};

}  // namespace vipd::netlink
