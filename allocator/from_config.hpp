#pragma once
// The configuration model's address pools in the allocator's terms: what every owner of an
// Allocator (the standalone daemon, the Kubernetes controller) feeds to set_pools().
//
// Kept apart from vipd::allocator (target vipd::allocator_config) so that the allocator itself
// depends on common alone. Pure; no I/O.

#include <vector>

#include "allocator/types.hpp"
#include "config/model.hpp"

namespace vipd::allocator {

// One allocator Pool per configured pool, in configuration order: blocks as written (a CIDR
// stays a prefix, a range stays a range), auto-assign, avoid-buggy-ips, and serviceAllocation's
// namespaces, namespace selectors, service selectors and priority (a priority of 0 or below is
// none: MetalLB sorts such pinned pools after every pool with a priority).
std::vector<Pool> pools_from_config(const config::Config& config);

}  // namespace vipd::allocator
