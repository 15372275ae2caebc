// The I/O half of daemon/host.hpp: the host's addresses, read over rtnetlink.
#include <map>

#include "daemon/host.hpp"

namespace vipd::daemon {

std::vector<HostAddress> host_addresses(netlink::Netlink& netlink) {
  std::vector<HostAddress> out;
  auto links = netlink.links();
  auto addresses = netlink.addresses();
  if (!links || !addresses) return out;
  std::map<int, std::string> names;
  for (const auto& l : links.value()) names.emplace(l.index, l.name);
  for (const auto& a : addresses.value()) {
    // A layer-2 VIP is the service's address, never this host's (not a next hop, not a router
    // id); an address still in duplicate address detection, or that failed it, is not usable.
    if (a.vipd || a.tentative || a.dad_failed) continue;
    const auto name = names.find(a.link);
    out.push_back({name == names.end() ? std::string() : name->second, a.address, a.prefix_length});
  }
  return out;
}

}  // namespace vipd::daemon
