#include "allocator/allocator.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "allocator/rules.hpp"
#include "common/assert.hpp"
#include "common/format.hpp"

namespace vipd::allocator {
namespace {

bool ports_overlap(const std::vector<Port>& a, const std::vector<Port>& b,
                   const Port** common = nullptr) {
  auto i = a.begin();
  auto j = b.begin();
  while (i != a.end() && j != b.end()) {
    if (*i < *j) {
      ++i;
    } else if (*j < *i) {
      ++j;
    } else {
      if (common != nullptr) *common = &*i;
      return true;
    }
  }
  return false;
}

std::string families_wanted(const ServiceRequest& request) {
  const auto primary = vipd::to_string(request.families[0]);
  if (request.families.size() == 1 || request.family_policy == IpFamilyPolicy::kSingleStack) {
    return fmt::format("an {} address", primary);
  }
  const auto secondary = vipd::to_string(request.families[1]);
  if (request.family_policy == IpFamilyPolicy::kRequireDualStack) {
    return fmt::format("both an {} and an {} address (RequireDualStack)", primary, secondary);
  }
  return fmt::format("an {} or an {} address", primary, secondary);
}

}  // namespace

Allocator::Terms Allocator::terms_of(const ServiceRequest& request) {
  Terms terms{request.sharing_key, request.traffic_policy, {}};
  if (request.traffic_policy == TrafficPolicy::kLocal) {
    terms.backend_selector = request.backend_selector;
  }
  return terms;
}

std::vector<Port> Allocator::ports_of(const ServiceRequest& request) {
  std::vector<Port> ports = request.ports;
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  return ports;
}

// --- queries -------------------------------------------------------------------------------

const Assignment* Allocator::assignment(const ServiceKey& service) const {
  const auto it = services_.find(service);
  return it == services_.end() ? nullptr : &it->second.assignment;
}

std::vector<std::pair<ServiceKey, Assignment>> Allocator::assignments() const {
  std::vector<std::pair<ServiceKey, Assignment>> out;
  out.reserve(services_.size());
  for (const auto& [key, holding] : services_) out.emplace_back(key, holding.assignment);
  return out;
}

Allocator::Allocator(const Allocator& other)
    : table_(other.table_),
      used_(other.used_),
      services_(other.services_),
      shareable_(other.shareable_) {
  uses_.reserve(other.uses_.size());
  for (const auto& [address, use] : other.uses_) {
    auto& holders = uses_[address].holders;
    for (const ServiceKey* holder : use.holders) holders.push_back(&services_.find(*holder)->first);
  }
}

Allocator& Allocator::operator=(const Allocator& other) {
  if (this != &other) *this = Allocator(other);
  return *this;
}

std::vector<ServiceKey> Allocator::holders(const IpAddress& address) const {
  const auto it = uses_.find(address);
  if (it == uses_.end()) return {};
  std::vector<ServiceKey> out;
  for (const ServiceKey* holder : it->second.holders) out.push_back(*holder);
  std::sort(out.begin(), out.end());
  return out;
}

Result<PoolCounts> Allocator::counts(std::string_view pool) const {
  const auto index = table_.find_pool(pool);
  if (!index) {
    return failure(Errc::kNotFound, fmt::format("address pool '{}' does not exist", pool));
  }
  PoolCounts counts = table_.totals(*index);
  for (const std::size_t b : table_.blocks_of(*index)) {
    auto& family = table_.blocks()[b].family() == Family::kV4 ? counts.v4 : counts.v6;
    family.in_use += used_[b].size();
  }
  return counts;
}

// --- sharing -------------------------------------------------------------------------------

const Allocator::Terms& Allocator::terms_of(const AddressUse& use) const {
  VIPD_ASSERT(!use.holders.empty(), "an address in use without holders");
  return services_.at(*use.holders.front()).terms();
}

const Allocator::Terms& Allocator::Holding::terms() const {
  static const Terms kDefault;
  return sharing ? sharing->terms : kDefault;
}

const std::vector<Port>& Allocator::Holding::ports() const {
  static const std::vector<Port> kNone;
  return sharing ? sharing->ports : kNone;
}

std::size_t Allocator::block_of(const IpAddress& address) const {
  const auto block = table_.block_for(address);
  VIPD_ASSERT(block.has_value(), "a held address outside every pool");
  return *block;
}

bool Allocator::may_share(const AddressUse& use, const Terms& terms,
                          const std::vector<Port>& ports) const {
  if (terms.sharing_key.empty() || !(terms_of(use) == terms)) return false;
  return std::none_of(use.holders.begin(), use.holders.end(), [&](const ServiceKey* holder) {
    return ports_overlap(services_.at(*holder).ports(), ports);
  });
}

Result<void> Allocator::check_sharing(const IpAddress& address, const ServiceKey& service,
                                      const Terms& terms, const std::vector<Port>& ports) const {
  const auto it = uses_.find(address);
  if (it == uses_.end()) return success();
  const AddressUse& use = it->second;
  const Terms& held = terms_of(use);
  const std::string holder = use.holders.front()->to_string();
  const std::string me = service.to_string();
  if (held.sharing_key.empty()) {
    return failure(Errc::kConflict,
                   fmt::format("{} is in use by {}, which does not allow sharing (it has no "
                               "sharing key)",
                               address, holder));
  }
  if (terms.sharing_key.empty()) {
    return failure(Errc::kConflict,
                   fmt::format("{} is in use by {}; to share it, {} needs the sharing key '{}'",
                               address, holder, me, held.sharing_key));
  }
  if (terms.sharing_key != held.sharing_key) {
    return failure(Errc::kConflict,
                   fmt::format("{} is shared under the sharing key '{}' (by {}), not '{}'", address,
                               held.sharing_key, holder, terms.sharing_key));
  }
  if (terms.traffic_policy != held.traffic_policy) {
    return failure(Errc::kConflict,
                   fmt::format("{} is shared with traffic policy {} (by {}), but {} has {}; "
                               "Services sharing an address need the same traffic policy",
                               address, to_string(held.traffic_policy), holder, me,
                               to_string(terms.traffic_policy)));
  }
  if (!(terms.backend_selector == held.backend_selector)) {
    return failure(Errc::kConflict,
                   fmt::format("{} is shared with traffic policy Local by {}, whose pod selector "
                               "differs from that of {}; Local Services sharing an address "
                               "need the same selector",
                               address, holder, me));
  }
  for (const ServiceKey* other : use.holders) {
    const Port* common = nullptr;
    if (ports_overlap(services_.at(*other).ports(), ports, &common)) {
      return failure(Errc::kConflict,
                     fmt::format("port {} on {} is already used by {}", common->to_string(),
                                 address, other->to_string()));
    }
  }
  return success();
}

// --- decisions -----------------------------------------------------------------------------

std::optional<IpAddress> Allocator::first_usable(std::size_t block, const Terms& terms,
                                                 const std::vector<Port>& ports) const {
  const Block& b = table_.blocks()[block];
  if (b.empty) return std::nullopt;
  std::optional<IpAddress> free;
  if (const auto ordinal = used_[block].first_absent(b.first_ordinal, b.last_ordinal)) {
    free = b.address(*ordinal);
  }
  if (!terms.sharing_key.empty()) {
    const auto shared = shareable_.find(terms.sharing_key);
    if (shared != shareable_.end()) {
      for (auto it = shared->second.lower_bound(b.range.first());
           it != shared->second.end() && *it <= b.range.last(); ++it) {
        if (free && *free < *it) break;
        if (may_share(uses_.at(*it), terms, ports)) return *it;
      }
    }
  }
  return free;
}

Allocator::Candidates Allocator::candidates(std::size_t pool, const ServiceRequest& request,
                                            const Terms& terms,
                                            const std::vector<Port>& ports) const {
  Candidates found;
  const bool single = request.family_policy == IpFamilyPolicy::kSingleStack;
  for (const std::size_t block : table_.blocks_of(pool)) {
    const Family family = table_.blocks()[block].family();
    const bool wanted = family == request.families[0] ||
                        (!single && request.families.size() == 2 && family == request.families[1]);
    if (!wanted || found[family]) continue;
    found[family] = first_usable(block, terms, ports);
  }
  return found;
}

std::optional<Assignment> Allocator::pick(const ServiceRequest& request,
                                          const std::vector<std::size_t>& pools) const {
  const Terms terms = terms_of(request);
  const auto ports = ports_of(request);
  const Family primary = request.families[0];
  const bool dual =
      request.family_policy != IpFamilyPolicy::kSingleStack && request.families.size() == 2;
  std::optional<Assignment> primary_only;
  std::optional<Assignment> secondary_only;
  for (const std::size_t pool : pools) {
    Candidates found = candidates(pool, request, terms, ports);
    const std::string& name = table_.pools()[pool].name;
    if (!dual) {
      if (found[primary]) return Assignment{name, {*found[primary]}};
      continue;
    }
    const Family secondary = request.families[1];
    if (found[primary] && found[secondary]) {
      std::vector<IpAddress> both{*found[primary], *found[secondary]};
      std::sort(both.begin(), both.end());
      return Assignment{name, std::move(both)};
    }
    if (request.family_policy == IpFamilyPolicy::kRequireDualStack) continue;
    if (found[primary] && !primary_only) primary_only = Assignment{name, {*found[primary]}};
    if (found[secondary] && !secondary_only) {
      secondary_only = Assignment{name, {*found[secondary]}};
    }
  }
  if (primary_only) return primary_only;
  return secondary_only;
}

std::string Allocator::pool_list(const std::vector<std::size_t>& pools) const {
  std::string out;
  for (const std::size_t pool : pools) {
    if (!out.empty()) out += ", ";
    out += "'" + table_.pools()[pool].name + "'";
  }
  return out;
}

Result<Assignment> Allocator::decide_addresses(const ServiceRequest& request,
                                               std::vector<IpAddress> addresses) const {
  std::sort(addresses.begin(), addresses.end());
  std::optional<std::size_t> pool;
  for (const IpAddress& address : addresses) {
    const auto block = table_.block_for(address);
    if (!block) return failure(Errc::kOutOfRange, table_.why_not_owned(address));
    const std::size_t owner = table_.blocks()[*block].pool;
    if (pool && *pool != owner) {
      return failure(
          Errc::kConflict,
          fmt::format("{} are in different address pools ('{}' and '{}'); the "
                      "addresses of one Service must come from one pool",
                      describe(addresses), table_.pools()[*pool].name, table_.pools()[owner].name));
    }
    pool = owner;
  }
  VIPD_ASSERT(pool.has_value(), "deciding on an empty address list");
  const Pool& chosen = table_.pools()[*pool];
  if (!request.pool.empty() && request.pool != chosen.name) {
    return failure(Errc::kConflict,
                   fmt::format("{} {} to address pool '{}', but {} asks for pool '{}'",
                               describe(addresses), addresses.size() == 1 ? "belongs" : "belong",
                               chosen.name, request.key.to_string(), request.pool));
  }
  if (auto why = pool_refusal(chosen, request)) return failure(Errc::kConflict, std::move(*why));
  const Terms terms = terms_of(request);
  const auto ports = ports_of(request);
  for (const IpAddress& address : addresses) {
    VIPD_TRY(check_sharing(address, request.key, terms, ports));
  }
  return Assignment{chosen.name, std::move(addresses)};
}

bool Allocator::fits(const ServiceRequest& request, const Holding& holding) const {
  const auto pool = table_.find_pool(holding.assignment.pool);
  VIPD_ASSERT(pool.has_value(), "a holding refers to a pool that does not exist");
  if (!request.pool.empty() && request.pool != holding.assignment.pool) return false;
  if (pool_refusal(table_.pools()[*pool], request)) return false;
  const auto& held = holding.assignment.addresses;
  const auto& families = request.families;
  switch (request.family_policy) {
    case IpFamilyPolicy::kSingleStack:
      return held.size() == 1 && held[0].family() == families[0];
    case IpFamilyPolicy::kRequireDualStack:
      return held.size() == 2;  // one per family, and the request has both families
    case IpFamilyPolicy::kPreferDualStack:
      return std::all_of(held.begin(), held.end(), [&](const IpAddress& a) {
        return std::find(families.begin(), families.end(), a.family()) != families.end();
      });
  }
  return false;
}

Result<Assignment> Allocator::decide(const ServiceRequest& request, const Holding* previous) const {
  if (!request.requested.empty()) {
    std::vector<IpAddress> addresses;
    for (const auto& r : request.requested) addresses.push_back(r.address);
    return decide_addresses(request, std::move(addresses));
  }
  if (previous != nullptr && fits(request, *previous)) {
    const Terms terms = terms_of(request);
    const auto ports = ports_of(request);
    for (const IpAddress& address : previous->assignment.addresses) {
      VIPD_TRY(check_sharing(address, request.key, terms, ports));
    }
    return previous->assignment;
  }
  if (!request.pool.empty()) {
    const auto pool = table_.find_pool(request.pool);
    if (!pool) {
      return failure(Errc::kNotFound,
                     fmt::format("{} asks for address pool '{}', which does not exist",
                                 request.key.to_string(), request.pool));
    }
    if (auto why = pool_refusal(table_.pools()[*pool], request)) {
      return failure(Errc::kConflict, std::move(*why));
    }
    if (auto picked = pick(request, {*pool})) return std::move(*picked);
    return failure(Errc::kExhausted,
                   fmt::format("no free address for {} in address pool '{}': it needs {}",
                               request.key.to_string(), request.pool, families_wanted(request)));
  }

  std::vector<std::size_t> pinned;
  std::vector<std::size_t> general;
  for (std::size_t i = 0; i < table_.pools().size(); ++i) {
    const Pool& pool = table_.pools()[i];
    if (!pool.auto_assign) continue;
    if (!pool.pinned()) {
      general.push_back(i);
    } else if (!pool_refusal(pool, request)) {
      pinned.push_back(i);
    }
  }
  std::stable_sort(pinned.begin(), pinned.end(), [&](std::size_t a, std::size_t b) {
    const auto& pa = table_.pools()[a].priority;
    const auto& pb = table_.pools()[b].priority;
    if (pa && pb) return *pa < *pb;
    return pa.has_value() && !pb.has_value();
  });
  if (pinned.empty() && general.empty()) {
    return failure(Errc::kExhausted,
                   fmt::format("no address pool is open to {}: no auto-assign pool accepts it "
                               "(name a pool or an address to use one without auto-assign)",
                               request.key.to_string()));
  }
  if (auto picked = pick(request, pinned)) return std::move(*picked);
  if (auto picked = pick(request, general)) return std::move(*picked);
  std::string where;
  if (!pinned.empty()) where = "the pinned address pools " + pool_list(pinned);
  if (!pinned.empty() && !general.empty()) where += " nor in ";
  if (!general.empty()) where += "the address pools " + pool_list(general);
  return failure(Errc::kExhausted,
                 fmt::format("no free address for {} in {}: it needs {}", request.key.to_string(),
                             where, families_wanted(request)));
}

// --- state changes -------------------------------------------------------------------------

Allocator::Holding Allocator::make_holding(const ServiceRequest& request,
                                           Assignment assignment) const {
  Holding holding;
  for (const IpAddress& address : assignment.addresses) {
    VIPD_ASSERT(table_.block_for(address).has_value(), "an assignment outside every pool");
  }
  holding.assignment = std::move(assignment);
  Sharing sharing{terms_of(request), ports_of(request)};
  if (!(sharing.terms == Terms{}) || !sharing.ports.empty()) holding.sharing = std::move(sharing);
  return holding;
}

void Allocator::put(const ServiceKey& service, Holding holding) {
  const auto [entry, recorded] = services_.emplace(service, std::move(holding));
  VIPD_ASSERT(recorded, "a Service recorded twice");
  const ServiceKey* key = &entry->first;
  const Holding& held = entry->second;
  for (const IpAddress& address : held.assignment.addresses) {
    auto [it, inserted] = uses_.try_emplace(address);
    if (inserted) {
      const std::size_t block = block_of(address);
      used_[block].insert(table_.blocks()[block].ordinal(address));
      const auto& sharing_key = held.terms().sharing_key;
      if (!sharing_key.empty()) shareable_[sharing_key].insert(address);
    } else {
      VIPD_ASSERT(terms_of(it->second) == held.terms(), "an address held under different terms");
      VIPD_ASSERT(!held.terms().sharing_key.empty(), "an unshared address held twice");
    }
    it->second.holders.push_back(key);
  }
}

std::optional<Allocator::Holding> Allocator::take(const ServiceKey& service) {
  auto node = services_.extract(service);
  if (node.empty()) return std::nullopt;
  const ServiceKey* key = &node.key();  // where the address records point, until node goes
  Holding holding = std::move(node.mapped());
  for (const IpAddress& address : holding.assignment.addresses) {
    const auto it = uses_.find(address);
    VIPD_ASSERT(it != uses_.end(), "a held address without a use record");
    auto& holders = it->second.holders;
    const auto me = std::find(holders.begin(), holders.end(), key);
    VIPD_ASSERT(me != holders.end(), "a holder missing from its address");
    holders.erase(me);
    if (!holders.empty()) continue;
    const std::size_t block = block_of(address);
    used_[block].erase(table_.blocks()[block].ordinal(address));
    if (!holding.terms().sharing_key.empty()) {
      const auto shared = shareable_.find(holding.terms().sharing_key);
      VIPD_ASSERT(shared != shareable_.end(), "a shared address missing from its key's index");
      shared->second.erase(address);
      if (shared->second.empty()) shareable_.erase(shared);
    }
    uses_.erase(it);
  }
  return holding;
}

Result<Assignment> Allocator::assign(const ServiceRequest& request) {
  VIPD_TRY(validate_request(request));
  auto previous = take(request.key);
  auto decided = decide(request, previous ? &*previous : nullptr);
  if (!decided) {
    if (previous) put(request.key, std::move(*previous));
    return decided.error();
  }
  put(request.key, make_holding(request, decided.value()));
  return decided;
}

Result<Assignment> Allocator::adopt(const ServiceRequest& request,
                                    std::span<const IpAddress> addresses) {
  const std::string service = request.key.to_string();
  std::vector<IpAddress> wanted(addresses.begin(), addresses.end());
  std::sort(wanted.begin(), wanted.end());
  if (wanted.empty() || wanted.size() > 2 ||
      (wanted.size() == 2 && wanted[0].family() == wanted[1].family())) {
    return failure(Errc::kInvalidArgument,
                   fmt::format("{} cannot adopt '{}': a Service holds one address per family",
                               service, describe(wanted)));
  }
  if (!request.requested.empty()) {
    std::vector<IpAddress> requested;
    for (const auto& r : request.requested) requested.push_back(r.address);
    std::sort(requested.begin(), requested.end());
    if (requested != wanted) {
      return failure(Errc::kConflict, fmt::format("{} holds {} but requests {}", service,
                                                  describe(wanted), describe(requested)));
    }
  }
  auto previous = take(request.key);
  if (previous && previous->assignment.addresses != wanted) {
    const auto held = previous->assignment.addresses;
    put(request.key, std::move(*previous));
    return failure(Errc::kConflict, fmt::format("{} already holds {}; it cannot also adopt {}",
                                                service, describe(held), describe(wanted)));
  }
  auto decided = decide_addresses(request, wanted);
  if (!decided) {
    if (previous) put(request.key, std::move(*previous));
    return decided.error();
  }
  put(request.key, make_holding(request, decided.value()));
  return decided;
}

bool Allocator::release(const ServiceKey& service) { return take(service).has_value(); }

Result<ReloadReport> Allocator::set_pools(std::vector<Pool> pools) {
  VIPD_TRY(auto table, PoolTable::make(std::move(pools)));
  ReloadReport report;
  std::vector<std::pair<ServiceKey, Holding>> kept;
  for (auto& [key, holding] : services_) {
    const auto& addresses = holding.assignment.addresses;
    std::optional<std::size_t> pool;
    std::string reason;
    for (const IpAddress& address : addresses) {
      const auto block = table.block_for(address);
      if (!block) {
        reason = table.why_not_owned(address);
        break;
      }
      const std::size_t owner = table.blocks()[*block].pool;
      if (pool && *pool != owner) {
        reason =
            fmt::format("{} now belong to different address pools ('{}' and '{}')",
                        describe(addresses), table.pools()[*pool].name, table.pools()[owner].name);
        break;
      }
      pool = owner;
    }
    if (!reason.empty()) {
      report.cleared.push_back({key, holding.assignment, std::move(reason)});
      continue;
    }
    const std::string& name = table.pools()[*pool].name;
    if (name != holding.assignment.pool)
      report.moved.push_back({key, holding.assignment.pool, name});
    Holding moved = std::move(holding);
    moved.assignment.pool = name;
    kept.emplace_back(key, std::move(moved));
  }
  table_ = std::move(table);
  used_.assign(table_.blocks().size(), IntervalSet{});
  services_.clear();
  uses_.clear();
  shareable_.clear();
  for (auto& [key, holding] : kept) put(key, std::move(holding));
  return report;
}

}  // namespace vipd::allocator
