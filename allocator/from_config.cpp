#include "allocator/from_config.hpp"

namespace vipd::allocator {

std::vector<Pool> pools_from_config(const config::Config& config) {
  std::vector<Pool> out;
  for (const auto& p : config.pools) {
    Pool pool;
    pool.name = p.name;
    for (const auto& block : p.addresses) {
      if (block.is_cidr) {
        pool.addresses.emplace_back(
            Prefix::make(block.range.first(), block.widest_prefix_length()).value());
      } else {
        pool.addresses.emplace_back(block.range);
      }
    }
    pool.auto_assign = p.auto_assign;
    pool.avoid_buggy_ips = p.avoid_buggy_ips;
    if (p.service_allocation) {
      pool.namespaces = p.service_allocation->namespaces;
      pool.namespace_selectors = p.service_allocation->namespace_selectors;
      pool.service_selectors = p.service_allocation->service_selectors;
      // MetalLB (sortPools): a priority of 0 (or below) is no priority, after every set one.
      if (p.service_allocation->priority > 0) pool.priority = p.service_allocation->priority;
    }
    out.push_back(std::move(pool));
  }
  return out;
}

}  // namespace vipd::allocator
