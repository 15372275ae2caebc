#pragma once
// Facts about this host that a peer's session needs: the router id and the next hops for the
// family its own address does not give.
//
// Responsible for: choosing them from the host's addresses (the interface whose subnet holds
// the peer's address first, else any address that is not loopback or IPv6 link-local), or from
// the addresses the standalone file lists for this node when it lists any (as a Kubernetes
// Node's addresses: what the operator says wins over what the kernel happens to hold).
// Not responsible for: reading the addresses (host_addresses() does, the I/O part, over
// rtnetlink: layer-2 VIPs vipd added are left out, as are tentative and DAD-failed addresses).
// Pure apart from host_addresses().

#include <string>
#include <vector>

#include "common/ip_address.hpp"
#include "config/model.hpp"
#include "daemon/translate.hpp"
#include "netlink/netlink.hpp"

namespace vipd::daemon {

// One address of the host, with the interface it is on.
struct HostAddress {
  std::string interface;
  IpAddress address;
  int prefix_length = 0;
  friend bool operator==(const HostAddress&, const HostAddress&) = default;
};

// The host's own addresses (not vipd's VIPs). Empty when they cannot be read.
std::vector<HostAddress> host_addresses(netlink::Netlink& netlink);

// Not loopback (127/8, ::1) and not IPv6 link-local (fe80::/10).
bool usable_next_hop(const IpAddress& address);

// `node_addresses`: the addresses the configuration lists for this node (may be empty).
HostFacts host_facts(const config::Peer& peer, const std::string& node,
                     const std::vector<HostAddress>& host,
                     const std::vector<IpAddress>& node_addresses);

}  // namespace vipd::daemon
