#pragma once
// What may be a VIP, the one rule the kernel implementation (rtnetlink.cpp) and the in-memory
// fake (testing/fake_netlink.cpp) both apply before asking for an address. Pure.

#include <string>

#include "common/ip_address.hpp"
#include "common/result.hpp"

namespace vipd::netlink {

// "192.0.2.10/32", "2001:db8::10/128".
std::string host_prefix(const IpAddress& address);

// Why `address` cannot be a VIP ("a loopback address", ...), or empty: 0.0.0.0/8, loopback,
// multicast and the broadcast address for IPv4; unspecified, loopback, multicast, link-local
// and IPv4-mapped for IPv6.
std::string not_a_vip(const IpAddress& address);

// kInvalidArgument, prefixed by `what` ("add 192.0.2.10/32"), for a link index that is not
// positive or an address that cannot be a VIP.
Result<void> check_vip(int link, const IpAddress& address, const std::string& what);

}  // namespace vipd::netlink
