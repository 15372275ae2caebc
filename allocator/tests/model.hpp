#pragma once
// A brute-force model of the allocation rules for the property tests.
//
// It keeps nothing but the list of holdings and recomputes everything from it: which pool owns
// an address (by scanning every block), whether an address may be used (by scanning every
// holding), the first usable address of a block (by walking it address by address), counts
// (by walking every block). It is slow and only fit for tiny pools, and it shares no code with
// the allocator beyond the input types, so the two can disagree when either is wrong.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "allocator/types.hpp"
#include "common/result.hpp"

namespace vipd::allocator::test {

struct Outcome {
  bool ok = false;
  Errc code = Errc::kInvalidArgument;  // when !ok
  Assignment assignment;               // when ok
  friend bool operator==(const Outcome&, const Outcome&) = default;
};

struct ModelReload {
  bool ok = false;
  std::vector<ServiceKey> cleared;
  std::vector<ServiceKey> moved;
};

class Model {
 public:
  ModelReload set_pools(const std::vector<Pool>& pools);
  Outcome assign(const ServiceRequest& request);
  Outcome adopt(const ServiceRequest& request, const std::vector<IpAddress>& addresses);
  bool release(const ServiceKey& service) { return held_.erase(service) == 1; }

  std::vector<std::pair<ServiceKey, Assignment>> assignments() const;
  std::vector<ServiceKey> holders(const IpAddress& address) const;  // sorted
  PoolCounts counts(const std::string& pool) const;
  const std::vector<Pool>& pools() const { return pools_; }

  // Every address held by two or more Services is held under one non-empty sharing key, one
  // traffic policy (one selector under Local) and without a common port.
  bool sharing_is_sound(std::string* problem) const;

 private:
  struct Holding {
    Assignment assignment;
    std::string sharing_key;
    TrafficPolicy traffic_policy = TrafficPolicy::kCluster;
    Labels selector;
    std::vector<Port> ports;
  };

  std::optional<std::size_t> owner(const IpAddress& address) const;
  bool accepts(const Pool& pool, const ServiceRequest& request) const;
  bool usable(const IpAddress& address, const ServiceRequest& request) const;
  std::optional<IpAddress> first_in(const IpRange& range, bool avoid,
                                    const ServiceRequest& request) const;
  std::optional<Assignment> pick(const ServiceRequest& request,
                                 const std::vector<std::size_t>& pools) const;
  Outcome explicit_addresses(const ServiceRequest& request, std::vector<IpAddress> addresses) const;
  Outcome decide(const ServiceRequest& request, const std::optional<Holding>& previous) const;
  Holding holding(const ServiceRequest& request, const Assignment& assignment) const;

  std::vector<Pool> pools_;
  std::map<ServiceKey, Holding> held_;
};

}  // namespace vipd::allocator::test
