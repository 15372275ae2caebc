#include "daemon/host.hpp"

#include <optional>

namespace vipd::daemon {

bool usable_next_hop(const IpAddress& a) {
  if (a.is_v4()) return (a.v4_value() >> 24) != 127;
  return a.value() != 1 && (a.value() >> 118) != 0x3fa;
}

HostFacts host_facts(const config::Peer& peer, const std::string& node,
                     const std::vector<HostAddress>& host,
                     const std::vector<IpAddress>& node_addresses) {
  HostFacts facts;
  facts.hostname = node;
  std::string interface;
  for (const auto& a : host) {
    if (!peer.address || a.address.family() != peer.address->family()) continue;
    auto net = Prefix::make(a.address, a.prefix_length);
    if (net && net.value().contains(*peer.address)) interface = a.interface;
  }
  const auto pick = [&](Family family) -> std::optional<IpAddress> {
    for (const auto& a : node_addresses) {
      if (a.family() == family && usable_next_hop(a)) return a;
    }
    for (const bool same_interface : {true, false}) {
      for (const auto& a : host) {
        if (a.address.family() != family || !usable_next_hop(a.address)) continue;
        if (same_interface && a.interface != interface) continue;
        return a.address;
      }
    }
    return std::nullopt;
  };
  if (auto v4 = pick(Family::kV4)) {
    facts.router_id = v4->v4_value();
    facts.next_hop_ipv4 = v4;
  }
  facts.next_hop_ipv6 = pick(Family::kV6);
  return facts;
}

}  // namespace vipd::daemon
