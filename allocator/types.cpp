#include "allocator/types.hpp"

#include <fmt/format.h>

namespace vipd::allocator {

IpRange to_range(const AddressBlock& block) {
  if (const auto* prefix = std::get_if<Prefix>(&block)) return IpRange::from_prefix(*prefix);
  return std::get<IpRange>(block);
}

std::string to_string(const AddressBlock& block) {
  if (const auto* prefix = std::get_if<Prefix>(&block)) return prefix->to_string();
  return std::get<IpRange>(block).to_string();
}

std::string_view to_string(AddressSource source) {
  switch (source) {
    case AddressSource::kSpecLoadBalancerIp:
      return "spec.loadBalancerIP";
    case AddressSource::kAnnotation:
      return "the metallb.io/loadBalancerIPs annotation";
    case AddressSource::kStandaloneAddresses:
      return "the standalone 'addresses' list";
  }
  return "an unknown source";
}

std::string_view to_string(IpFamilyPolicy policy) {
  switch (policy) {
    case IpFamilyPolicy::kSingleStack:
      return "SingleStack";
    case IpFamilyPolicy::kPreferDualStack:
      return "PreferDualStack";
    case IpFamilyPolicy::kRequireDualStack:
      return "RequireDualStack";
  }
  return "unknown";
}

std::string_view to_string(TrafficPolicy policy) {
  return policy == TrafficPolicy::kLocal ? "Local" : "Cluster";
}

std::string_view to_string(Protocol protocol) {
  switch (protocol) {
    case Protocol::kTcp:
      return "TCP";
    case Protocol::kUdp:
      return "UDP";
    case Protocol::kSctp:
      return "SCTP";
  }
  return "unknown";
}

std::string Port::to_string() const {
  return fmt::format("{}/{}", allocator::to_string(protocol), number);
}

u128 PoolCounts::total() const { return saturating_add(v4.total, v6.total); }
u128 PoolCounts::in_use() const { return saturating_add(v4.in_use, v6.in_use); }

}  // namespace vipd::allocator
