#pragma once
// vipd::allocator — which Service gets which address.
//
// Responsibility: address pools (CIDRs and ranges, IPv4 and IPv6 mixed), assignment of
// addresses to Services under MetalLB's rules made deterministic, address sharing, pool counts,
// configuration reloads and re-adoption of existing assignments after a restart.
//
// Inputs are the allocator's own types (allocator/types.hpp): Pool, ServiceRequest (key,
// namespace and service labels, requested addresses with their source, requested pool, ip
// family policy and families, sharing key, traffic policy and backend selector, ports).
// Outputs are Assignment (pool + one address per family), PoolCounts and ReloadReport.
//
// Rules:
//  - Requested addresses: at most one per family, all from one source (spec.loadBalancerIP
//    and the annotation together are refused), of the Service's families (SingleStack: the
//    primary; RequireDualStack: both). All must lie in one pool (an avoided .0/.255 counts as
//    outside), which must match the requested pool if one is named and must accept the
//    Service; then the sharing check. Asking again for what is held is idempotent.
//  - Requested pool: allocate only from it (auto-assign does not matter); unknown → error.
//  - Automatic: a Service that already holds a fitting assignment keeps it (fitting = its pool
//    still accepts it, matches the requested pool, and its families fit the policy). Otherwise
//    phase 1 tries the pinned pools that accept the Service and have auto-assign, by priority
//    (lower first, unset last, ties in configuration order); phase 2, only if phase 1 found
//    nothing, tries the unpinned auto-assign pools in configuration order.
//  - Inside a pool: blocks in configured order, addresses ascending, avoid-buggy-ips skipping
//    IPv4 .0/.255. The first address that is free, or held by Services it may be shared with,
//    is taken (so Services with one sharing key pack onto one address, as in MetalLB).
//  - Families: SingleStack takes the primary family. RequireDualStack takes the first pool
//    of the phase that gives both. PreferDualStack takes the first pool that gives both, else
//    the first that gives the primary family, else the first that gives the secondary.
//  - Sharing: every Service on an address has the same non-empty sharing key, the same traffic
//    policy (for Local, the same backend selector) and no (protocol, port) in common. A sole
//    holder may change its key or ports in place; a shared address cannot change them.
//  - Counts per pool and family: usable total (avoided addresses excluded, saturating) and
//    distinct addresses in use.
//  - Reload (set_pools): assignments whose addresses all lie in one new pool stay (moved to
//    that pool if its name changed); the others are cleared and reported.
//  - Restart: adopt() re-asserts an assignment read from a Service status or the state file;
//    a conflict is an error for the caller to report, never resolved by moving an address.
//
// Every operation is all-or-nothing: an error leaves the allocator as it was. Allocation and
// release are O(log n) in the number of assignments (interval sets over ordinals, see
// allocator/pool_table.hpp); no pool is ever enumerated, so 203.0.113.0/24 and 2001:db8::/64
// behave identically. Decisions depend only on the pools and the history of calls.
//
// Not done here: parsing configuration or annotations, Kubernetes status writes, Events,
// metrics export, persistence (allocator/state_file.hpp), logging. Pure; no I/O.
// Single-threaded: one Allocator is used from one thread (the daemon's io_context).

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "allocator/interval_set.hpp"
#include "allocator/pool_table.hpp"
#include "allocator/types.hpp"
#include "common/boxed.hpp"
#include "common/result.hpp"

namespace vipd::allocator {

class Allocator {
 public:
  Allocator() = default;  // no pools
  // The address records point at the keys of the Service map: a move keeps them (the map's
  // nodes move whole), a copy re-makes them (copy_from()).
  Allocator(Allocator&&) noexcept = default;
  Allocator& operator=(Allocator&&) noexcept = default;
  Allocator(const Allocator& other);
  Allocator& operator=(const Allocator& other);

  // Replaces the pools. Invalid pools (nameless, duplicate names, overlapping blocks) are
  // refused and the old ones stay in force.
  Result<ReloadReport> set_pools(std::vector<Pool> pools);

  // Decides and records the Service's assignment (see the rules above).
  Result<Assignment> assign(const ServiceRequest& request);

  // Re-asserts an assignment that already exists outside the allocator (Service status, state
  // file) before anything new is allocated. Checks: one address per family, one pool, the
  // requested pool and addresses (if any) agree, the pool accepts the Service, sharing.
  Result<Assignment> adopt(const ServiceRequest& request, std::span<const IpAddress> addresses);

  // Frees whatever the Service holds; false if it held nothing.
  bool release(const ServiceKey& service);

  const Assignment* assignment(const ServiceKey& service) const;
  // Every assignment, ordered by service.
  std::vector<std::pair<ServiceKey, Assignment>> assignments() const;
  // The same, without the copies: `visit(key, assignment)` for each, ordered by service.
  template <class Visit>
  void for_each_assignment(Visit&& visit) const {
    for (const auto& [key, holding] : services_) visit(key, holding.assignment);
  }
  // The Services holding an address, in the order they took it.
  std::vector<ServiceKey> holders(const IpAddress& address) const;
  Result<PoolCounts> counts(std::string_view pool) const;
  const std::vector<Pool>& pools() const { return table_.pools(); }
  std::size_t size() const { return services_.size(); }

 private:
  // The terms under which an address is held; equal for every holder of one address.
  struct Terms {
    std::string sharing_key;
    TrafficPolicy traffic_policy = TrafficPolicy::kCluster;
    Labels backend_selector;  // empty under Cluster
    friend bool operator==(const Terms&, const Terms&) = default;
  };
  // What a Service asked for besides its addresses, when it asked for anything: most ask for
  // nothing (no sharing key, Cluster, no ports).
  struct Sharing {
    Terms terms;
    std::vector<Port> ports;  // sorted, unique
  };
  // Kept compact (one per Service, 100,000 in a large standalone file): an address's block is
  // looked up in the pool table when needed, an address's terms are its first holder's, and
  // the default terms and no ports are not stored (8 octets instead of 112).
  struct Holding {
    Assignment assignment;
    BoxedOptional<Sharing> sharing;
    const Terms& terms() const;
    const std::vector<Port>& ports() const;
  };
  struct AddressUse {
    // Never empty; all under the same terms. The keys of services_ (a map's keys stay where
    // they are), one of them held in place: most addresses have one holder, and 100,000 of
    // them kept a copy of their holder's key each (8 MiB).
    boost::container::small_vector<const ServiceKey*, 1> holders;
  };
  struct Candidates {
    std::optional<IpAddress> v4;
    std::optional<IpAddress> v6;
    std::optional<IpAddress>& operator[](Family f) { return f == Family::kV4 ? v4 : v6; }
  };

  static Terms terms_of(const ServiceRequest& request);
  static std::vector<Port> ports_of(const ServiceRequest& request);

  // Error if the Service may not hold `address` next to its current holders.
  Result<void> check_sharing(const IpAddress& address, const ServiceKey& service,
                             const Terms& terms, const std::vector<Port>& ports) const;
  bool may_share(const AddressUse& use, const Terms& terms, const std::vector<Port>& ports) const;

  Result<Assignment> decide(const ServiceRequest& request, const Holding* previous) const;
  Result<Assignment> decide_addresses(const ServiceRequest& request,
                                      std::vector<IpAddress> addresses) const;
  // The first fit in these pools under the family policy, or nullopt.
  std::optional<Assignment> pick(const ServiceRequest& request,
                                 const std::vector<std::size_t>& pools) const;
  std::string pool_list(const std::vector<std::size_t>& pools) const;
  bool fits(const ServiceRequest& request, const Holding& holding) const;
  std::optional<IpAddress> first_usable(std::size_t block, const Terms& terms,
                                        const std::vector<Port>& ports) const;
  Candidates candidates(std::size_t pool, const ServiceRequest& request, const Terms& terms,
                        const std::vector<Port>& ports) const;

  Holding make_holding(const ServiceRequest& request, Assignment assignment) const;
  const Terms& terms_of(const AddressUse& use) const;  // its first holder's
  std::size_t block_of(const IpAddress& address) const;
  void put(const ServiceKey& service, Holding holding);
  std::optional<Holding> take(const ServiceKey& service);

  PoolTable table_;
  std::vector<IntervalSet> used_;  // per block: ordinals of held addresses
  std::map<ServiceKey, Holding> services_;
  std::unordered_map<IpAddress, AddressUse> uses_;
  std::map<std::string, std::set<IpAddress>, std::less<>> shareable_;  // sharing key -> held
};

}  // namespace vipd::allocator
