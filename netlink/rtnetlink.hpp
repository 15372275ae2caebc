#pragma once
// open_rtnetlink: the real Netlink, libnl-3 over NETLINK_ROUTE.
//
// Responsible for: building and parsing RTM_GETLINK, RTM_GETADDR, RTM_NEWADDR and RTM_DELADDR
// with libnl's message API (libnl's rtnl_addr object has no IFA_PROTO, so the messages are
// made by hand); the VIP flags, decided as follows:
//   - both families: IFA_PROTO = kVipdAddressProtocol, and IFA_F_NOPREFIXROUTE. For IPv4 /32
//     the kernel makes no prefix route anyway (only the local-table route); for IPv6 /128 it
//     would add "VIP/128 dev LINK proto kernel" to the main table, a connected route that a
//     routing daemon on the node could redistribute. The local-table route, which is what
//     makes the node accept the VIP, is made either way.
//   - IPv6 only: IFA_F_NODAD (no 1-2 s tentative phase, no "dadfailed" while the old owner
//     still holds the address) and IFA_CACHEINFO preferred 0 / valid infinite, which makes the
//     address deprecated so that source address selection (RFC 6724 rule 3) never picks it.
//   - IPv4 only: the label "<link>:vip" when it fits in IFNAMSIZ - 1 characters. No lifetimes:
//     the kernel accepts preferred 0 on IPv4 and sets IFA_F_DEPRECATED, but IPv4 source
//     selection (inet_select_addr) ignores that flag, so it would only add noise.
// An address counts as "there" when the same address is on the same link with any prefix
// length (an operator's 192.0.2.10/24 blocks a VIP 192.0.2.10). add_vip and delete_vip look
// the link's addresses up first (one filtered RTM_GETADDR dump) and only then change anything,
// so an operator's address is never replaced or deleted. Addresses that cannot be a VIP are
// refused with kInvalidArgument: link index <= 0, unspecified, loopback, multicast, IPv4
// limited broadcast and 0.0.0.0/8, IPv6 link-local and IPv4-mapped. delete_vip on a link that
// no longer exists succeeds (the address went with it).
// Events: a second socket joined to RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR and RTNLGRP_IPV6_IFADDR,
// non-blocking, watched on the executor; link messages of other families (AF_BRIDGE port
// notifications share RTNLGRP_LINK) are ignored, so `removed` always means the link is gone.
// After ENOBUFS on that socket every event still queued is read and delivered, then `resync`
// (so the caller's new listing is newer than any event delivered before it).
// Not responsible for: which addresses should exist, announcements, routes, neighbours.
//
// Kernel facts met (Linux 6.x): IFA_PROTO is kept and reported on both families (since 5.18;
// older kernels drop it silently, so every address would look like an operator's). IPv6
// addresses, VIPs included, are deleted when their link goes administratively down
// (net.ipv6.conf.*.keep_addr_on_down = 0, the default; RTM_DELADDR follows the RTM_NEWLINK);
// IPv4 addresses stay. The caller re-adds IPv6 VIPs on link up.
//
// Threading: one executor; the object must be used and destroyed on it. Requests (links(),
// addresses(), add_vip, delete_vip) go over a blocking socket: the kernel answers them at once
// (microseconds), and a 5 s receive timeout bounds a kernel that does not. Destroying the
// object cancels the event wait; no callback runs after the destructor (not even one already
// queued), and a callback may destroy the object.

#include <memory>

#include "common/asio.hpp"
#include "common/result.hpp"
#include "netlink/netlink.hpp"

namespace vipd::netlink {

// Opens the request socket now; the event socket is opened by subscribe(). Fails with
// kIoError when NETLINK_ROUTE cannot be opened.
Result<std::unique_ptr<Netlink>> open_rtnetlink(asio::any_io_executor executor);

}  // namespace vipd::netlink
