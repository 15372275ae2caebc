#include "config/advertisement_overlap.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace vipd::config {
namespace {

// What both selectors demand of one label key.
struct KeyDemand {
  bool present = false;                          // matchLabels, In, Exists
  bool absent = false;                           // DoesNotExist
  std::optional<std::set<std::string>> allowed;  // matchLabels and In: the values left
  std::set<std::string> excluded;                // NotIn (which an absent key also satisfies)

  void allow(const std::vector<std::string>& values) {
    std::set<std::string> set(values.begin(), values.end());
    if (allowed) {
      std::set<std::string> both;
      std::set_intersection(allowed->begin(), allowed->end(), set.begin(), set.end(),
                            std::inserter(both, both.end()));
      set = std::move(both);
    }
    allowed = std::move(set);
  }

  bool satisfiable() const {
    if (present && absent) return false;
    if (!allowed) return true;  // any value but the excluded ones: there is always another one
    return std::any_of(allowed->begin(), allowed->end(),
                       [&](const std::string& v) { return excluded.count(v) == 0; });
  }
};

void demand(std::map<std::string, KeyDemand, std::less<>>& demands, const LabelSelector& s) {
  for (const auto& [k, v] : s.match_labels) {
    auto& d = demands[k];
    d.present = true;
    d.allow({v});
  }
  using Op = LabelRequirement::Operator;
  for (const auto& e : s.match_expressions) {
    auto& d = demands[e.key];
    switch (e.op) {
      case Op::kIn:
        d.present = true;
        d.allow(e.values);
        break;
      case Op::kNotIn:
        d.excluded.insert(e.values.begin(), e.values.end());
        break;
      case Op::kExists:
        d.present = true;
        break;
      case Op::kDoesNotExist:
        d.absent = true;
        break;
    }
  }
}

bool selects_every_node(const std::vector<LabelSelector>& selectors) {
  return selectors.empty() || std::any_of(selectors.begin(), selectors.end(),
                                          [](const LabelSelector& s) { return s.empty(); });
}

// MetalLB's isAggrLengthDifferent: the prefixes differ in every family the pool holds.
bool prefixes_differ(const BgpAdvertisement& a, const BgpAdvertisement& b, const Pool& pool) {
  const bool v4 = std::any_of(pool.addresses.begin(), pool.addresses.end(),
                              [](const AddressBlock& x) { return x.family() == Family::kV4; });
  const bool v6 = std::any_of(pool.addresses.begin(), pool.addresses.end(),
                              [](const AddressBlock& x) { return x.family() == Family::kV6; });
  const bool v4_differs = a.aggregation_length != b.aggregation_length;
  const bool v6_differs = a.aggregation_length_v6 != b.aggregation_length_v6;
  if (!v4 && !v6) return true;  // an empty pool announces nothing
  if (v4_differs && !v6) return true;
  if (v6_differs && !v4) return true;
  return v4_differs && v6_differs;
}

bool peers_disjoint(const BgpAdvertisement& a, const BgpAdvertisement& b) {
  // An empty list means every peer.
  if (a.peers.empty() || b.peers.empty()) return false;
  return std::none_of(a.peers.begin(), a.peers.end(), [&](const std::string& p) {
    return std::find(b.peers.begin(), b.peers.end(), p) != b.peers.end();
  });
}

}  // namespace

bool selectors_can_overlap(const LabelSelector& a, const LabelSelector& b) {
  std::map<std::string, KeyDemand, std::less<>> demands;
  demand(demands, a);
  demand(demands, b);
  return std::all_of(demands.begin(), demands.end(),
                     [](const auto& entry) { return entry.second.satisfiable(); });
}

NodeOverlap node_overlap(const std::vector<LabelSelector>& a, const std::vector<LabelSelector>& b) {
  if (selects_every_node(a) && selects_every_node(b)) return NodeOverlap::kCertain;
  static const std::vector<LabelSelector> kEveryNode = {LabelSelector{}};
  const auto& as = a.empty() ? kEveryNode : a;
  const auto& bs = b.empty() ? kEveryNode : b;
  for (const auto& x : as) {
    for (const auto& y : bs) {
      if (selectors_can_overlap(x, y)) return NodeOverlap::kPossible;
    }
  }
  return NodeOverlap::kNever;
}

NodeOverlap announcement_overlap(const BgpAdvertisement& a, const BgpAdvertisement& b,
                                 const Pool& pool) {
  if (!a.service_selectors.empty() || !b.service_selectors.empty()) return NodeOverlap::kNever;
  if (prefixes_differ(a, b, pool) || peers_disjoint(a, b)) return NodeOverlap::kNever;
  return node_overlap(a.node_selectors, b.node_selectors);
}

}  // namespace vipd::config
