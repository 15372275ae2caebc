// The I/O half of daemon/host.hpp: the host's addresses from getifaddrs(3).
#include <ifaddrs.h>
#include <netinet/in.h>

#include <array>
#include <cstring>
#include <optional>

#include "daemon/host.hpp"

namespace vipd::daemon {

std::vector<HostAddress> host_addresses() {
  std::vector<HostAddress> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || !i->ifa_netmask) continue;
    std::optional<IpAddress> ip, mask;
    if (i->ifa_addr->sa_family == AF_INET) {
      ip = IpAddress::v4(ntohl(reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr));
      mask = IpAddress::v4(ntohl(reinterpret_cast<sockaddr_in*>(i->ifa_netmask)->sin_addr.s_addr));
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      std::array<std::uint8_t, 16> a{}, m{};
      std::memcpy(a.data(), &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr, 16);
      std::memcpy(m.data(), &reinterpret_cast<sockaddr_in6*>(i->ifa_netmask)->sin6_addr, 16);
      ip = IpAddress::from_bytes(a);
      mask = IpAddress::from_bytes(m);
    }
    if (!ip || !mask) continue;
    const u128 m = mask->value();  // a contiguous netmask: its length is its number of ones
    const int length = __builtin_popcountll(static_cast<std::uint64_t>(m >> 64)) +
                       __builtin_popcountll(static_cast<std::uint64_t>(m));
    out.push_back({i->ifa_name, *ip, length});
  }
  freeifaddrs(list);
  return out;
}

}  // namespace vipd::daemon
