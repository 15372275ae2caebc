#include "netlink/vip_address.hpp"

#include <cstdint>

namespace vipd::netlink {

std::string host_prefix(const IpAddress& address) {
  return address.to_string() + (address.is_v4() ? "/32" : "/128");
}

std::string not_a_vip(const IpAddress& address) {
  if (address.is_v4()) {
    const std::uint32_t v = address.v4_value();
    if ((v >> 24) == 0) return "in 0.0.0.0/8";
    if ((v >> 24) == 127) return "a loopback address";
    if ((v >> 28) == 0xe) return "a multicast address";
    if (v == 0xffffffffu) return "the broadcast address";
    return {};
  }
  const u128 v = address.value();
  if (v == 0) return "the unspecified address";
  if (v == 1) return "a loopback address";
  if ((high64(v) >> 56) == 0xff) return "a multicast address";
  if ((high64(v) >> 54) == (0xfe80u >> 6)) return "a link-local address";
  if (address.is_v4_mapped()) return "an IPv4-mapped address";
  return {};
}

Result<void> check_vip(int link, const IpAddress& address, const std::string& what) {
  if (link <= 0)
    return failure(Errc::kInvalidArgument, what + ": no link index " + std::to_string(link));
  if (auto reason = not_a_vip(address); !reason.empty()) {
    return failure(Errc::kInvalidArgument, what + ": " + address.to_string() + " is " + reason);
  }
  return success();
}

}  // namespace vipd::netlink
