#include "planner/planner.hpp"

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>

#include "common/assert.hpp"
#include "planner/rules.hpp"

namespace vipd::planner {

std::string_view to_string(Reason reason) {
  switch (reason) {
    case Reason::kAnnounced:
      return "announced";
    case Reason::kNoAddress:
      return "noAddress";
    case Reason::kPoolNotFound:
      return "poolNotFound";
    case Reason::kIpNotAllowed:
      return "ipNotAllowed";
    case Reason::kNodeUnknown:
      return "nodeUnknown";
    case Reason::kNoMatchingAdvertisement:
      return "noMatchingAdvertisement";
    case Reason::kNodeNetworkUnavailable:
      return "nodeNetworkUnavailable";
    case Reason::kNodeExcluded:
      return "nodeExcluded";
    case Reason::kNoEndpoints:
      return "noEndpoints";
    case Reason::kNoLocalEndpoints:
      return "noLocalEndpoints";
    case Reason::kHealthCheckFailing:
      return "healthCheckFailing";
    case Reason::kHealthCheckPending:
      return "healthCheckPending";
    case Reason::kNoHealthCheck:
      return "noHealthCheck";
    case Reason::kNoPeers:
      return "noPeers";
    case Reason::kInvalidAggregationLength:
      return "invalidAggregationLength";
    case Reason::kFilteredByNodeSelector:
      return "filteredByNodeSelector";
    case Reason::kAddressFamilyNotCarried:
      return "addressFamilyNotCarried";
  }
  return "unknown";
}

bool is_internal(const config::Peer& peer) {
  // MetalLB: LOCAL_PREF is "used only when advertising to IBGP peers (MyASN == ASN)"; a
  // dynamic ASN of "internal" means the peer's AS is ours.
  switch (peer.dynamic_asn) {
    case config::DynamicAsn::kInternal:
      return true;
    case config::DynamicAsn::kExternal:
      return false;
    case config::DynamicAsn::kNone:
      return peer.my_asn == peer.peer_asn;
  }
  return false;
}

bool selected_by(const std::vector<LabelSelector>& selectors, const Labels& labels) {
  return selectors.empty() ||
         std::any_of(selectors.begin(), selectors.end(),
                     [&](const LabelSelector& s) { return s.matches(labels); });
}

bool holds(const config::Pool& pool, const IpAddress& address) {
  return std::any_of(pool.addresses.begin(), pool.addresses.end(),
                     [&](const config::AddressBlock& b) { return b.range.contains(address); });
}

bool has_serving_endpoint(const std::vector<Endpoint>& endpoints,
                          std::optional<std::string_view> node) {
  bool any = false;
  std::map<std::string_view, bool> by_address;
  for (const auto& e : endpoints) {
    if (node && e.node != *node) continue;
    const bool can_serve = e.ready || e.serving;
    if (e.address.empty()) {
      any = any || can_serve;
      continue;
    }
    const auto [it, inserted] = by_address.try_emplace(e.address, can_serve);
    if (!inserted && !can_serve) it->second = false;
  }
  return any || std::any_of(by_address.begin(), by_address.end(),
                            [](const auto& entry) { return entry.second; });
}

bool operator==(const PeerPlan& a, const PeerPlan& b) {
  return a.peer == b.peer && a.bfd == b.bfd && a.internal == b.internal &&
         std::equal(a.routes.begin(), a.routes.end(), b.routes.begin(), b.routes.end(),
                    [](const auto& x, const auto& y) {
                      return x.first == y.first && *x.second == *y.second;
                    });
}

namespace {

using config::BgpAdvertisement;
using Ads = std::vector<const BgpAdvertisement*>;

bool names(const std::vector<std::string>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

std::string quote(std::string_view text) { return "'" + std::string(text) + "'"; }

std::string advertisement_list(const Ads& ads) {
  std::string out = ads.size() == 1 ? "BGP advertisement " : "BGP advertisements ";
  for (std::size_t i = 0; i < ads.size(); ++i) {
    if (i > 0) out += ", ";
    out += quote(ads[i]->name);
  }
  return out;
}

// "BGP advertisement 'a' selects" / "BGP advertisements 'a', 'b' select".
std::string advertisements_do(const Ads& ads, std::string_view verb) {
  return advertisement_list(ads) + " " + std::string(verb) + (ads.size() == 1 ? "s" : "");
}

struct Refusal {
  Reason reason;
  std::string detail;
};

// What one advertisement contributes to one peer's prefix through one announced decision.
// Routes are merged from these once every service is planned (sorted by prefix): 48 octets a
// contribution in one array, where a map of merged routes cost ~300 octets a prefix in nodes,
// sets and vectors while a plan of 100,000 services was built.
struct Contribution {
  Prefix prefix;
  const BgpAdvertisement* ad = nullptr;
  std::size_t decision = 0;  // index of its kAnnounced decision
};

class Planner {
 public:
  Planner(const Snapshot& snapshot, std::string_view node_name)
      : snapshot_(snapshot), config_(*snapshot.config), node_name_(node_name) {
    for (const auto& n : snapshot.nodes) {
      if (n.name == node_name) {
        node_ = &n;
        break;
      }
    }
  }

  Plan run() {
    choose_peers();
    contributions_.resize(plan_.peers.size());
    // Most services make one decision per address and peer: reserved at once, a plan of
    // 100,000 services does not leave a quarter of its largest vector unused (23 MiB where
    // 17.6 MiB are used), nor copy it as it grows.
    std::size_t expected = 0;
    for (const auto& service : snapshot_.services) {
      expected += std::max<std::size_t>(1, service.addresses.size()) *
                  std::max<std::size_t>(1, plan_.peers.size());
    }
    plan_.decisions.reserve(expected);
    for (auto& c : contributions_)
      c.reserve(expected / std::max<std::size_t>(1, plan_.peers.size()));
    for (const auto& service : snapshot_.services) plan_service(service);
    finish_routes();
    if (plan_.decisions.capacity() - plan_.decisions.size() > plan_.decisions.size() / 8) {
      plan_.decisions.shrink_to_fit();  // fewer than expected (decisions for every peer at once)
    }
    std::sort(plan_.decisions.begin(), plan_.decisions.end(),
              [](const Decision& a, const Decision& b) {
                return std::tie(a.service, a.address, a.peer, a.prefix, a.reason, a.detail) <
                       std::tie(b.service, b.address, b.peer, b.prefix, b.reason, b.detail);
              });
    return std::move(plan_);
  }

 private:
  const Labels& node_labels() const { return node_ ? node_->labels : no_labels_; }

  // MetalLB's syncPeers: the session runs where one node selector matches; nothing else about
  // the node (exclusion, NetworkUnavailable) stops it. An unknown node has no labels.
  void choose_peers() {
    for (const auto& peer : config_.peers) {
      if (selected_by(peer.node_selectors, node_labels())) {
        plan_.peers.push_back(
            PeerPlan{.peer = &peer, .bfd = bfd_profile(peer), .internal = is_internal(peer)});
      } else {
        plan_.skipped_peers.emplace_back(peer.name, Reason::kFilteredByNodeSelector);
      }
    }
  }

  // Validation guarantees that a named profile exists; a missing one would plan no BFD.
  const config::BfdProfile* bfd_profile(const config::Peer& peer) const {
    if (peer.bfd_profile.empty()) return nullptr;
    for (const auto& b : config_.bfd_profiles) {
      if (b.name == peer.bfd_profile) return &b;
    }
    return nullptr;
  }

  void plan_service(const ServiceInfo& service) {
    if (service.addresses.empty()) {
      add(service, std::nullopt, "", Reason::kNoAddress, "no address is assigned");
      return;
    }
    for (const auto& address : service.addresses) {
      Ads ads;
      if (auto refusal = check(service, address, ads)) {
        add(service, address, "", refusal->reason, std::move(refusal->detail));
        continue;
      }
      if (plan_.peers.empty()) {
        add(service, address, "", Reason::kNoPeers,
            config_.peers.empty() ? "no BGP peer is configured"
                                  : "no BGP peer selects node " + quote(node_name_));
        continue;
      }
      for (std::size_t i = 0; i < plan_.peers.size(); ++i) announce(service, address, ads, i);
    }
  }

  // The checks of MetalLB's speaker, in its order: the address's pool (SetBalancer), the
  // advertisements for this node (poolMatchesNodeBGP, "notOwner"), node availability and the
  // exclusion label (ShouldAnnounce), then endpoints. On success `ads` holds the BGP
  // advertisements that apply before peers are considered, in configuration order.
  std::optional<Refusal> check(const ServiceInfo& service, const IpAddress& address, Ads& ads) {
    const config::Pool* pool = nullptr;
    if (!service.pool.empty()) {
      pool = config_.find_pool(service.pool);
      if (!pool) {
        return Refusal{Reason::kPoolNotFound,
                       "address pool " + quote(service.pool) + " is not configured"};
      }
      if (!holds(*pool, address)) {
        return Refusal{Reason::kIpNotAllowed,
                       address.to_string() + " is not in address pool " + quote(pool->name)};
      }
    } else {
      // Pools never overlap (configuration validation), so at most one holds the address.
      const auto it = std::find_if(config_.pools.begin(), config_.pools.end(),
                                   [&](const config::Pool& p) { return holds(p, address); });
      if (it != config_.pools.end()) pool = &*it;
      if (!pool) {
        return Refusal{Reason::kIpNotAllowed, address.to_string() + " is not in any address pool"};
      }
    }
    if (!node_) {
      return Refusal{Reason::kNodeUnknown, "node " + quote(node_name_) + " is not in the snapshot"};
    }
    if (auto refusal = match_advertisements(service, *pool, ads)) return refusal;
    if (node_->network_unavailable) {
      return Refusal{Reason::kNodeNetworkUnavailable,
                     "node " + quote(node_name_) + " has condition NetworkUnavailable"};
    }
    if (!snapshot_.ignore_exclude_label && node_->labels.contains(kExcludeFromLoadBalancersLabel)) {
      return Refusal{Reason::kNodeExcluded, "node " + quote(node_name_) + " has the label " +
                                                std::string(kExcludeFromLoadBalancersLabel)};
    }
    return snapshot_.kind == SnapshotKind::kKubernetes ? check_endpoints(service)
                                                       : check_health(service);
  }

  std::optional<Refusal> match_advertisements(const ServiceInfo& service, const config::Pool& pool,
                                              Ads& ads) const {
    Ads for_pool;
    for (const auto& ad : config_.bgp_advertisements) {
      if (config::selects_pool(ad, pool)) for_pool.push_back(&ad);
    }
    if (for_pool.empty()) {
      // MetalLB announces such a pool by layer 2 only (its BGP handler answers "notOwner").
      const bool layer2 = config_.is_layer2(pool);
      return Refusal{Reason::kNoMatchingAdvertisement,
                     "no BGP advertisement selects address pool " + quote(pool.name) +
                         (layer2 ? " (it is announced by layer 2)" : "")};
    }
    Ads for_node;
    for (const auto* ad : for_pool) {
      if (selected_by(ad->node_selectors, node_->labels)) for_node.push_back(ad);
    }
    if (for_node.empty()) {
      return Refusal{Reason::kNoMatchingAdvertisement, advertisements_do(for_pool, "select") +
                                                           " address pool " + quote(pool.name) +
                                                           " but not node " + quote(node_name_)};
    }
    for (const auto* ad : for_node) {
      if (selected_by(ad->service_selectors, service.labels)) ads.push_back(ad);
    }
    if (ads.empty()) {
      return Refusal{Reason::kNoMatchingAdvertisement,
                     advertisements_do(for_node, "select") + " address pool " + quote(pool.name) +
                         " and node " + quote(node_name_) + " but not the labels of service " +
                         service.key()};
    }
    return std::nullopt;
  }

  // MetalLB's ShouldAnnounce: Local needs a local endpoint that can serve; both need one
  // anywhere (for Local the first check implies the second).
  std::optional<Refusal> check_endpoints(const ServiceInfo& service) const {
    if (service.traffic_policy == config::TrafficPolicy::kLocal &&
        !has_serving_endpoint(service.endpoints, node_name_)) {
      return Refusal{Reason::kNoLocalEndpoints, "traffic policy Local and no endpoint on node " +
                                                    quote(node_name_) + " is ready or serving"};
    }
    if (!has_serving_endpoint(service.endpoints, std::nullopt)) {
      return Refusal{Reason::kNoEndpoints, "no endpoint is ready or serving"};
    }
    return std::nullopt;
  }

  // Standalone: the host is the only endpoint, and its health check says whether it serves.
  std::optional<Refusal> check_health(const ServiceInfo& service) const {
    const bool local = service.traffic_policy == config::TrafficPolicy::kLocal;
    switch (service.health) {
      case Health::kPassing:
        return std::nullopt;
      case Health::kFailing:
        return Refusal{Reason::kHealthCheckFailing, "the health check is failing"};
      case Health::kPending:
        return Refusal{Reason::kHealthCheckPending, "the health check has no verdict yet"};
      case Health::kUnchecked:
        if (!local) return std::nullopt;
        return Refusal{Reason::kNoHealthCheck,
                       "traffic policy Local needs a health check in standalone mode"};
    }
    return std::nullopt;
  }

  void announce(const ServiceInfo& service, const IpAddress& address, const Ads& ads,
                std::size_t peer_index) {
    const config::Peer& peer = *plan_.peers[peer_index].peer;
    // MetalLB: a session carries its peer address's family, both with
    // dual-stack-address-family.
    if (peer.address && !peer.dual_stack_address_family &&
        peer.address->family() != address.family()) {
      add(service, address, peer.name, Reason::kAddressFamilyNotCarried,
          "the session to " + peer.address->to_string() + " carries " +
              std::string(vipd::to_string(peer.address->family())) +
              " only (dual-stack-address-family is off)");
      return;
    }
    // MetalLB's Advertisement.MatchesPeer: an empty list means every peer.
    std::map<Prefix, Ads> by_prefix;
    Ads elsewhere;
    for (const auto* ad : ads) {
      if (!ad->peers.empty() && !names(ad->peers, peer.name)) {
        elsewhere.push_back(ad);
        continue;
      }
      const int length = address.is_v4() ? ad->aggregation_length : ad->aggregation_length_v6;
      auto prefix = Prefix::make(address, length);
      if (!prefix) {
        add(service, address, peer.name, Reason::kInvalidAggregationLength,
            advertisement_list({ad}) + ": aggregation length " + std::to_string(length) +
                " is not valid for " + std::string(vipd::to_string(address.family())));
        continue;
      }
      by_prefix[prefix.value()].push_back(ad);
    }
    if (by_prefix.empty() && !elsewhere.empty()) {
      add(service, address, peer.name, Reason::kNoMatchingAdvertisement,
          advertisements_do(elsewhere, "name") + " other peers only");
      return;
    }
    for (const auto& [prefix, prefix_ads] : by_prefix) {
      std::string detail = advertisement_list(prefix_ads);
      for (const auto* ad : prefix_ads) {
        for (const auto& text : ad->communities) {
          if (!config_.resolve_community(text)) {
            detail += "; community " + quote(text) + " of " + quote(ad->name) +
                      " is neither an alias nor a value, left out";
          }
        }
        contributions_[peer_index].push_back(
            Contribution{.prefix = prefix, .ad = ad, .decision = plan_.decisions.size()});
      }
      add(service, address, peer.name, Reason::kAnnounced, std::move(detail), prefix);
    }
  }

  bool add_community(bgp::RouteAttributes& attributes, std::string_view text) const {
    const auto community = config_.resolve_community(text);
    if (!community) return false;
    if (community->kind == config::Community::Kind::kLarge) {
      attributes.large_communities.push_back({.global_admin = community->global,
                                              .local_data1 = community->local1,
                                              .local_data2 = community->local2});
    } else {
      attributes.communities.push_back((community->global << 16) | community->local1);
    }
    return true;
  }

  // Merged attributes per prefix (MetalLB's FRR mode merges advertisements of one prefix per
  // neighbour: union of communities). LOCAL_PREF: MetalLB refuses a configuration whose
  // advertisements would give one prefix two values (and its FRR mode fails the update); a
  // plan must still say something, so the highest value wins and the decisions say so.
  void finish_routes() {
    std::vector<std::uint32_t> local_prefs;  // as written by the advertisements; 0: not set
    std::vector<std::size_t> decisions;      // the kAnnounced decisions naming one route
    for (std::size_t i = 0; i < plan_.peers.size(); ++i) {
      PeerPlan& peer = plan_.peers[i];
      auto& contributions = contributions_[i];
      std::stable_sort(
          contributions.begin(), contributions.end(),
          [](const Contribution& a, const Contribution& b) { return a.prefix < b.prefix; });
      for (auto first = contributions.begin(); first != contributions.end();) {
        auto last = std::find_if(first, contributions.end(),
                                 [&](const Contribution& c) { return c.prefix != first->prefix; });
        bgp::RouteAttributes attributes;
        local_prefs.clear();
        decisions.clear();
        for (auto c = first; c != last; ++c) {
          local_prefs.push_back(c->ad->local_pref);
          decisions.push_back(c->decision);
          for (const auto& text : c->ad->communities) add_community(attributes, text);
        }
        std::sort(local_prefs.begin(), local_prefs.end());
        local_prefs.erase(std::unique(local_prefs.begin(), local_prefs.end()), local_prefs.end());
        decisions.erase(std::unique(decisions.begin(), decisions.end()), decisions.end());
        attributes.origin = bgp::Origin::kIgp;
        const std::uint32_t highest = local_prefs.back();
        if (peer.internal && highest != 0) attributes.local_pref = highest;
        if (peer.internal && local_prefs.size() > 1) {
          std::string values;
          for (const auto value : local_prefs) {
            if (!values.empty()) values += ", ";
            values += value == 0 ? std::string("unset") : std::to_string(value);
          }
          for (const auto d : decisions) {
            auto& detail = plan_.decisions[d].detail;
            detail = intern(detail.str() + "; advertisements disagree on LOCAL_PREF (" + values +
                            "), " + std::to_string(highest) + " is used");
          }
        }
        peer.routes.emplace_hint(peer.routes.end(), first->prefix,
                                 interner_.intern(std::move(attributes)));  // normalizes
        first = last;
      }
      contributions = {};  // given back before the next peer's routes are made
    }
  }

  void add(const ServiceInfo& service, std::optional<IpAddress> address, std::string peer,
           Reason reason, std::string detail, std::optional<Prefix> prefix = std::nullopt) {
    plan_.decisions.push_back(Decision{.service = service.key(),
                                       .address = address,
                                       .prefix = prefix,
                                       .peer = intern(std::move(peer)),
                                       .reason = reason,
                                       .detail = intern(std::move(detail))});
  }

  // One shared copy per distinct text in this plan.
  SharedText intern(std::string text) {
    if (text.empty()) return {};
    auto it = texts_.find(text);
    if (it == texts_.end()) {
      SharedText shared(text);
      it = texts_.emplace(std::move(text), std::move(shared)).first;
    }
    return it->second;
  }

  const Snapshot& snapshot_;
  const config::Config& config_;
  std::string node_name_;
  const NodeInfo* node_ = nullptr;
  const Labels no_labels_;                             // an unknown node's
  std::unordered_map<std::string, SharedText> texts_;  // intern()
  Plan plan_;
  std::vector<std::vector<Contribution>> contributions_;  // per entry of plan_.peers
  bgp::AttributeInterner interner_;                       // the plan's routes' attributes
};

}  // namespace

Plan plan(const Snapshot& snapshot, std::string_view node_name) {
  VIPD_ASSERT(snapshot.config != nullptr, "a snapshot always carries its configuration");
  return Planner(snapshot, node_name).run();
}

}  // namespace vipd::planner
