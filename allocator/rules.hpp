#pragma once
// Checks on a single request or pool, independent of what is already allocated. Pure; no I/O.

#include <optional>
#include <string>
#include <vector>

#include "allocator/types.hpp"
#include "common/result.hpp"

namespace vipd::allocator {

// Families (count, duplicates, policy) and requested addresses (one source, at most one per
// family, families the Service has; RequireDualStack needs both or none).
Result<void> validate_request(const ServiceRequest& request);

// Why the pool refuses the Service (namespaces, namespace selectors, service selectors), or
// nullopt when it accepts it.
std::optional<std::string> pool_refusal(const Pool& pool, const ServiceRequest& request);

// "203.0.113.1" or "203.0.113.1 and 2001:db8::1".
std::string describe(const std::vector<IpAddress>& addresses);

}  // namespace vipd::allocator
