#include "allocator/tests/model.hpp"

#include <algorithm>
#include <set>

namespace vipd::allocator::test {
namespace {

bool avoided(const IpAddress& a, bool avoid_buggy) {
  if (!avoid_buggy || !a.is_v4()) return false;
  const auto low = a.v4_value() & 0xff;
  return low == 0 || low == 255;
}

bool has(const std::vector<Family>& families, Family f) {
  return std::find(families.begin(), families.end(), f) != families.end();
}

Outcome fail(Errc code) { return Outcome{false, code, {}}; }
Outcome ok(Assignment a) { return Outcome{true, Errc::kInvalidArgument, std::move(a)}; }

bool request_is_valid(const ServiceRequest& r) {
  const auto& f = r.families;
  if (f.empty() || f.size() > 2) return false;
  if (f.size() == 2 && f[0] == f[1]) return false;
  if (r.family_policy == IpFamilyPolicy::kSingleStack && f.size() != 1) return false;
  if (r.family_policy == IpFamilyPolicy::kRequireDualStack && f.size() != 2) return false;
  std::set<AddressSource> sources;
  std::map<Family, int> per_family;
  for (const auto& want : r.requested) {
    sources.insert(want.source);
    ++per_family[want.address.family()];
    if (!has(f, want.address.family())) return false;
  }
  if (sources.size() > 1) return false;
  for (const auto& [family, n] : per_family) {
    if (n > 1) return false;
  }
  if (r.family_policy == IpFamilyPolicy::kRequireDualStack && r.requested.size() == 1) {
    return false;
  }
  return true;
}

}  // namespace

ModelReload Model::set_pools(const std::vector<Pool>& pools) {
  ModelReload report;
  std::set<std::string> names;
  std::set<IpAddress> seen;
  for (const Pool& p : pools) {
    if (p.name.empty() || !names.insert(p.name).second) return report;
    for (const auto& b : p.addresses) {
      const IpRange r = to_range(b);
      // Tiny pools only: walk every address.
      for (IpAddress a = r.first();; a = *a.next()) {
        if (!seen.insert(a).second) return report;
        if (a == r.last()) break;
      }
    }
  }
  pools_ = pools;
  report.ok = true;
  for (auto it = held_.begin(); it != held_.end();) {
    std::set<std::optional<std::size_t>> owners;
    for (const auto& a : it->second.assignment.addresses) owners.insert(owner(a));
    if (owners.size() != 1 || !owners.begin()->has_value()) {
      report.cleared.push_back(it->first);
      it = held_.erase(it);
      continue;
    }
    const std::string& name = pools_[**owners.begin()].name;
    if (name != it->second.assignment.pool) report.moved.push_back(it->first);
    it->second.assignment.pool = name;
    ++it;
  }
  return report;
}

std::optional<std::size_t> Model::owner(const IpAddress& address) const {
  for (std::size_t p = 0; p < pools_.size(); ++p) {
    if (avoided(address, pools_[p].avoid_buggy_ips)) continue;
    for (const auto& b : pools_[p].addresses) {
      if (to_range(b).contains(address)) return p;
    }
  }
  return std::nullopt;
}

bool Model::accepts(const Pool& pool, const ServiceRequest& request) const {
  if (!pool.namespaces.empty() || !pool.namespace_selectors.empty()) {
    bool in = false;
    for (const auto& ns : pool.namespaces) in = in || ns == request.key.ns;
    for (const auto& s : pool.namespace_selectors) in = in || s.matches(request.namespace_labels);
    if (!in) return false;
  }
  if (!pool.service_selectors.empty()) {
    bool in = false;
    for (const auto& s : pool.service_selectors) in = in || s.matches(request.service_labels);
    if (!in) return false;
  }
  return true;
}

bool Model::usable(const IpAddress& address, const ServiceRequest& request) const {
  for (const auto& [key, h] : held_) {
    if (key == request.key) continue;
    const auto& addresses = h.assignment.addresses;
    if (std::find(addresses.begin(), addresses.end(), address) == addresses.end()) continue;
    if (h.sharing_key.empty() || request.sharing_key != h.sharing_key) return false;
    if (request.traffic_policy != h.traffic_policy) return false;
    if (h.traffic_policy == TrafficPolicy::kLocal && request.backend_selector != h.selector) {
      return false;
    }
    for (const Port& mine : request.ports) {
      if (std::find(h.ports.begin(), h.ports.end(), mine) != h.ports.end()) return false;
    }
  }
  return true;
}

std::optional<IpAddress> Model::first_in(const IpRange& range, bool avoid,
                                         const ServiceRequest& request) const {
  for (IpAddress a = range.first();; a = *a.next()) {
    if (!avoided(a, avoid) && usable(a, request)) return a;
    if (a == range.last()) return std::nullopt;
  }
}

std::optional<Assignment> Model::pick(const ServiceRequest& request,
                                      const std::vector<std::size_t>& pools) const {
  const bool dual =
      request.family_policy != IpFamilyPolicy::kSingleStack && request.families.size() == 2;
  std::vector<Family> wanted{request.families[0]};
  if (dual) wanted.push_back(request.families[1]);
  std::optional<Assignment> primary_only;
  std::optional<Assignment> secondary_only;
  for (const std::size_t p : pools) {
    std::map<Family, IpAddress> found;
    for (const Family f : wanted) {
      for (const auto& b : pools_[p].addresses) {
        const IpRange r = to_range(b);
        if (r.family() != f) continue;
        if (auto a = first_in(r, pools_[p].avoid_buggy_ips, request)) {
          found.emplace(f, *a);
          break;
        }
      }
    }
    const std::string& name = pools_[p].name;
    if (found.size() == wanted.size()) {
      Assignment a{name, {}};
      for (const auto& [f, address] : found) a.addresses.push_back(address);
      std::sort(a.addresses.begin(), a.addresses.end());
      return a;
    }
    if (!dual || request.family_policy == IpFamilyPolicy::kRequireDualStack) continue;
    if (found.count(wanted[0]) && !primary_only) {
      primary_only = Assignment{name, {found.at(wanted[0])}};
    }
    if (found.count(wanted[1]) && !secondary_only) {
      secondary_only = Assignment{name, {found.at(wanted[1])}};
    }
  }
  return primary_only ? primary_only : secondary_only;
}

Outcome Model::explicit_addresses(const ServiceRequest& request,
                                  std::vector<IpAddress> addresses) const {
  std::sort(addresses.begin(), addresses.end());
  std::set<std::size_t> owners;
  for (const auto& a : addresses) {
    const auto o = owner(a);
    if (!o) return fail(Errc::kOutOfRange);
    owners.insert(*o);
  }
  if (owners.size() != 1) return fail(Errc::kConflict);
  const Pool& pool = pools_[*owners.begin()];
  if (!request.pool.empty() && request.pool != pool.name) return fail(Errc::kConflict);
  if (!accepts(pool, request)) return fail(Errc::kConflict);
  for (const auto& a : addresses) {
    if (!usable(a, request)) return fail(Errc::kConflict);
  }
  return ok(Assignment{pool.name, addresses});
}

Outcome Model::decide(const ServiceRequest& request, const std::optional<Holding>& previous) const {
  if (!request.requested.empty()) {
    std::vector<IpAddress> addresses;
    for (const auto& r : request.requested) addresses.push_back(r.address);
    return explicit_addresses(request, addresses);
  }
  if (previous) {
    const auto& a = previous->assignment;
    std::size_t index = pools_.size();
    for (std::size_t p = 0; p < pools_.size(); ++p) {
      if (pools_[p].name == a.pool) index = p;
    }
    bool fits = index < pools_.size() && (request.pool.empty() || request.pool == a.pool) &&
                accepts(pools_[index], request);
    if (request.family_policy == IpFamilyPolicy::kSingleStack) {
      fits = fits && a.addresses.size() == 1 && a.addresses[0].family() == request.families[0];
    } else if (request.family_policy == IpFamilyPolicy::kRequireDualStack) {
      fits = fits && a.addresses.size() == 2;
    } else {
      for (const auto& address : a.addresses)
        fits = fits && has(request.families, address.family());
    }
    if (fits) {
      for (const auto& address : a.addresses) {
        if (!usable(address, request)) return fail(Errc::kConflict);
      }
      return ok(a);
    }
  }
  if (!request.pool.empty()) {
    for (std::size_t p = 0; p < pools_.size(); ++p) {
      if (pools_[p].name != request.pool) continue;
      if (!accepts(pools_[p], request)) return fail(Errc::kConflict);
      if (auto a = pick(request, {p})) return ok(*a);
      return fail(Errc::kExhausted);
    }
    return fail(Errc::kNotFound);
  }
  std::vector<std::size_t> pinned;
  std::vector<std::size_t> general;
  for (std::size_t p = 0; p < pools_.size(); ++p) {
    const Pool& pool = pools_[p];
    if (!pool.auto_assign) continue;
    const bool is_pinned = !pool.namespaces.empty() || !pool.namespace_selectors.empty() ||
                           !pool.service_selectors.empty();
    if (!is_pinned) general.push_back(p);
    if (is_pinned && accepts(pool, request)) pinned.push_back(p);
  }
  // Insertion sort by (priority set?, priority), stable.
  for (std::size_t i = 1; i < pinned.size(); ++i) {
    for (std::size_t j = i; j > 0; --j) {
      const auto& a = pools_[pinned[j - 1]].priority;
      const auto& b = pools_[pinned[j]].priority;
      const bool swap = b.has_value() && (!a.has_value() || *b < *a);
      if (!swap) break;
      std::swap(pinned[j - 1], pinned[j]);
    }
  }
  if (auto a = pick(request, pinned)) return ok(*a);
  if (auto a = pick(request, general)) return ok(*a);
  return fail(Errc::kExhausted);
}

Model::Holding Model::holding(const ServiceRequest& request, const Assignment& assignment) const {
  Holding h{assignment, request.sharing_key, request.traffic_policy, request.backend_selector,
            request.ports};
  if (h.traffic_policy == TrafficPolicy::kCluster) h.selector.clear();
  return h;
}

Outcome Model::assign(const ServiceRequest& request) {
  if (!request_is_valid(request)) return fail(Errc::kInvalidArgument);
  std::optional<Holding> previous;
  if (auto it = held_.find(request.key); it != held_.end()) {
    previous = it->second;
    held_.erase(it);
  }
  Outcome outcome = decide(request, previous);
  if (outcome.ok) {
    held_[request.key] = holding(request, outcome.assignment);
  } else if (previous) {
    held_[request.key] = *previous;
  }
  return outcome;
}

Outcome Model::adopt(const ServiceRequest& request, const std::vector<IpAddress>& addresses) {
  std::vector<IpAddress> wanted = addresses;
  std::sort(wanted.begin(), wanted.end());
  std::set<Family> families;
  for (const auto& a : wanted) families.insert(a.family());
  if (wanted.empty() || families.size() != wanted.size()) return fail(Errc::kInvalidArgument);
  if (!request.requested.empty()) {
    std::vector<IpAddress> requested;
    for (const auto& r : request.requested) requested.push_back(r.address);
    std::sort(requested.begin(), requested.end());
    if (requested != wanted) return fail(Errc::kConflict);
  }
  std::optional<Holding> previous;
  if (auto it = held_.find(request.key); it != held_.end()) {
    if (it->second.assignment.addresses != wanted) return fail(Errc::kConflict);
    previous = it->second;
    held_.erase(it);
  }
  Outcome outcome = explicit_addresses(request, wanted);
  if (outcome.ok) {
    held_[request.key] = holding(request, outcome.assignment);
  } else if (previous) {
    held_[request.key] = *previous;
  }
  return outcome;
}

std::vector<std::pair<ServiceKey, Assignment>> Model::assignments() const {
  std::vector<std::pair<ServiceKey, Assignment>> out;
  for (const auto& [key, h] : held_) out.emplace_back(key, h.assignment);
  return out;
}

std::vector<ServiceKey> Model::holders(const IpAddress& address) const {
  std::vector<ServiceKey> out;
  for (const auto& [key, h] : held_) {
    const auto& a = h.assignment.addresses;
    if (std::find(a.begin(), a.end(), address) != a.end()) out.push_back(key);
  }
  return out;
}

PoolCounts Model::counts(const std::string& name) const {
  PoolCounts counts;
  for (const Pool& p : pools_) {
    if (p.name != name) continue;
    for (const auto& b : p.addresses) {
      const IpRange r = to_range(b);
      auto& family = r.family() == Family::kV4 ? counts.v4 : counts.v6;
      for (IpAddress a = r.first();; a = *a.next()) {
        if (!avoided(a, p.avoid_buggy_ips)) {
          ++family.total;
          if (!holders(a).empty()) ++family.in_use;
        }
        if (a == r.last()) break;
      }
    }
  }
  return counts;
}

bool Model::sharing_is_sound(std::string* problem) const {
  for (auto i = held_.begin(); i != held_.end(); ++i) {
    for (auto j = std::next(i); j != held_.end(); ++j) {
      for (const auto& a : i->second.assignment.addresses) {
        const auto& other = j->second.assignment.addresses;
        if (std::find(other.begin(), other.end(), a) == other.end()) continue;
        const Holding& x = i->second;
        const Holding& y = j->second;
        bool sound = !x.sharing_key.empty() && x.sharing_key == y.sharing_key &&
                     x.traffic_policy == y.traffic_policy && x.selector == y.selector;
        for (const Port& p : x.ports) {
          sound = sound && std::find(y.ports.begin(), y.ports.end(), p) == y.ports.end();
        }
        if (!sound) {
          *problem = a.to_string() + " is held by incompatible " + i->first.to_string() + " and " +
                     j->first.to_string();
          return false;
        }
      }
    }
  }
  return true;
}

}  // namespace vipd::allocator::test
