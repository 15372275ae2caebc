#include "vip/election.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <map>
#include <utility>

#include "common/assert.hpp"
#include "planner/rules.hpp"

namespace vipd::vip {

std::string_view to_string(Reason reason) {
  switch (reason) {
    case Reason::kOwner:
      return "owner";
    case Reason::kNotOwner:
      return "notOwner";
    case Reason::kNoEndpoints:
      return "noEndpoints";
    case Reason::kNoLocalEndpoint:
      return "noLocalEndpoint";
    case Reason::kHealthCheck:
      return "healthCheck";
    case Reason::kNodeNotSelected:
      return "nodeNotSelected";
    case Reason::kNodeExcluded:
      return "nodeExcluded";
    case Reason::kNodeNetworkUnavailable:
      return "nodeNetworkUnavailable";
    case Reason::kNodeNotReady:
      return "nodeNotReady";
    case Reason::kNodeNotLive:
      return "nodeNotLive";
    case Reason::kNoCandidates:
      return "noCandidates";
  }
  return "unknown";
}

namespace {

using Digest = std::array<unsigned char, 32>;

Digest sha256(std::string_view text) {
  Digest out{};
  unsigned int length = 0;
  const int ok = EVP_Digest(text.data(), text.size(), out.data(), &length, EVP_sha256(), nullptr);
  VIPD_ASSERT(ok == 1 && length == out.size(), "SHA-256 failed");
  return out;
}

std::string quote(std::string_view text) { return "'" + std::string(text) + "'"; }

const config::Pool* pool_of(const config::Config& config, const planner::ServiceInfo& service,
                            const IpAddress& address) {
  if (!service.pool.empty()) {
    const auto* pool = config.find_pool(service.pool);
    return pool && planner::holds(*pool, address) ? pool : nullptr;
  }
  const auto it = std::find_if(config.pools.begin(), config.pools.end(),
                               [&](const config::Pool& p) { return planner::holds(p, address); });
  return it == config.pools.end() ? nullptr : &*it;
}

class Elector {
 public:
  Elector(const planner::Snapshot& snapshot, std::string_view node, const Liveness& liveness)
      : snapshot_(snapshot), config_(*snapshot.config), node_name_(node), liveness_(liveness) {
    for (const auto& n : snapshot_.nodes) nodes_.emplace(n.name, &n);
  }

  std::optional<Decision> decide(const planner::ServiceInfo& service) const {
    Decision d{.service = service.key()};
    std::vector<const config::L2Advertisement*> ads;
    for (const auto& address : service.addresses) {
      const auto* pool = pool_of(config_, service, address);
      if (!pool) continue;  // the BGP planner's decision says why (poolNotFound, ipNotAllowed)
      std::vector<const config::L2Advertisement*> for_pool;
      for (const auto& ad : config_.l2_advertisements) {
        if (config::selects_pool(ad, *pool) &&
            planner::selected_by(ad.service_selectors, service.labels)) {
          for_pool.push_back(&ad);
        }
      }
      if (for_pool.empty()) continue;
      if (d.addresses.empty()) {
        d.pool = pool->name;
        ads = for_pool;
      }
      d.addresses.push_back(address);
    }
    if (d.addresses.empty()) return std::nullopt;
    d.key = d.addresses.front();
    const std::string key = d.key.to_string();

    const bool kubernetes = snapshot_.kind == planner::SnapshotKind::kKubernetes;
    const bool local =
        service.traffic_policy == config::TrafficPolicy::kLocal || service.romana_vip;
    if (kubernetes && !planner::has_serving_endpoint(service.endpoints, std::nullopt)) {
      return refuse(std::move(d), Reason::kNoEndpoints, "no endpoint is ready or serving");
    }

    std::vector<std::string> candidates;
    std::map<std::string, int, std::less<>> scores;
    for (const auto& [name, info] : nodes_) {
      if (why_not(*info, service, ads, local)) continue;
      candidates.push_back(name);
      scores[name] = score(*info, ads);
    }
    d.ranked = rank(std::move(candidates), key, [&](std::string_view n) {
      const auto it = scores.find(n);
      return it == scores.end() ? 0 : it->second;
    });

    const auto self = nodes_.find(node_name_);
    if (self == nodes_.end()) {
      // This node is not in the snapshot: it never owns, but the others' view is still shown.
      return finish(std::move(d), Reason::kNodeNotSelected,
                    "node " + quote(node_name_) + " is not in the snapshot");
    }
    interfaces_for(*self->second, ads, d);
    if (auto why = why_not(*self->second, service, ads, local)) {
      return finish(std::move(d), why->first, std::move(why->second));
    }
    return finish(std::move(d), Reason::kNotOwner, "");
  }

 private:
  using Ads = std::vector<const config::L2Advertisement*>;

  // Why `node` is not a candidate for the service, or nothing when it is one.
  std::optional<std::pair<Reason, std::string>> why_not(const planner::NodeInfo& node,
                                                        const planner::ServiceInfo& service,
                                                        const Ads& ads, bool local) const {
    const bool selected = std::any_of(ads.begin(), ads.end(), [&](const auto* ad) {
      return planner::selected_by(ad->node_selectors, node.labels);
    });
    if (!selected) {
      return std::pair{Reason::kNodeNotSelected,
                       "no L2Advertisement for address pool selects node " + quote(node.name)};
    }
    if (!node.ready) {
      return std::pair{Reason::kNodeNotReady, "node " + quote(node.name) + " is not Ready"};
    }
    if (node.network_unavailable) {
      return std::pair{Reason::kNodeNetworkUnavailable,
                       "node " + quote(node.name) + " has condition NetworkUnavailable"};
    }
    if (!snapshot_.ignore_exclude_label &&
        node.labels.contains(planner::kExcludeFromLoadBalancersLabel)) {
      return std::pair{Reason::kNodeExcluded,
                       "node " + quote(node.name) + " has the label " +
                           std::string(planner::kExcludeFromLoadBalancersLabel)};
    }
    if (!liveness_.live.contains(node.name) ||
        (liveness_.service_live && !liveness_.service_live(node.name, service.key()))) {
      return std::pair{Reason::kNodeNotLive, "node " + quote(node.name) + " is not live"};
    }
    if (snapshot_.kind == planner::SnapshotKind::kKubernetes) {
      if (local && !planner::has_serving_endpoint(service.endpoints, node.name)) {
        return std::pair{Reason::kNoLocalEndpoint,
                         std::string(service.romana_vip ? "a Romana VIP" : "traffic policy Local") +
                             " and no endpoint on node " + quote(node.name) +
                             " is ready or serving"};
      }
    } else if (node.name == node_name_ && !serves_here(service)) {
      return std::pair{Reason::kHealthCheck,
                       "the health check on node " + quote(node.name) + " does not pass"};
    }
    return std::nullopt;
  }

  static int score(const planner::NodeInfo& node, const Ads& ads) {
    int total = 0;
    for (const auto* ad : ads) {
      if (!planner::selected_by(ad->node_selectors, node.labels)) continue;
      for (const auto& p : ad->preferred_node_selectors) {
        if (p.preference.matches(node.labels)) total += p.weight;
      }
    }
    return total;
  }

  static void interfaces_for(const planner::NodeInfo& node, const Ads& ads, Decision& d) {
    for (const auto* ad : ads) {
      if (!planner::selected_by(ad->node_selectors, node.labels)) continue;
      if (ad->interfaces.empty()) d.all_interfaces = true;
      for (const auto& i : ad->interfaces) {
        if (std::find(d.interfaces.begin(), d.interfaces.end(), i) == d.interfaces.end()) {
          d.interfaces.push_back(i);
        }
      }
    }
    if (d.all_interfaces) d.interfaces.clear();
  }

  Decision refuse(Decision d, Reason reason, std::string detail) const {
    d.reason = reason;
    d.detail = std::move(detail);
    return d;
  }

  // `reason`: why this node is not a candidate (kNotOwner when it is one).
  Decision finish(Decision d, Reason reason, std::string detail) const {
    if (!d.ranked.empty()) d.owner = d.ranked.front();
    d.mine = d.owner && *d.owner == node_name_;
    if (d.mine) {
      d.reason = Reason::kOwner;
      d.detail = "node " + quote(node_name_) + " ranks first of " +
                 std::to_string(d.ranked.size()) + " candidate" + (d.ranked.size() == 1 ? "" : "s");
      return d;
    }
    if (reason != Reason::kNotOwner) {
      d.reason = reason;
      d.detail = std::move(detail);
      if (d.owner) d.detail += "; node " + quote(*d.owner) + " owns it";
      return d;
    }
    if (!d.owner) {
      d.reason = Reason::kNoCandidates;
      d.detail = "no node qualifies";
      return d;
    }
    d.reason = Reason::kNotOwner;
    d.detail = "node " + quote(*d.owner) + " ranks first";
    return d;
  }

  const planner::Snapshot& snapshot_;
  const config::Config& config_;
  std::string node_name_;
  const Liveness& liveness_;
  std::map<std::string, const planner::NodeInfo*, std::less<>> nodes_;
};

}  // namespace

bool serves_here(const planner::ServiceInfo& service) {
  using planner::Health;
  if (service.traffic_policy == config::TrafficPolicy::kLocal || service.romana_vip) {
    return service.health == Health::kPassing;
  }
  return service.health == Health::kPassing || service.health == Health::kUnchecked;
}

std::vector<std::string> rank(std::vector<std::string> nodes, std::string_view key,
                              const std::function<int(std::string_view)>& score) {
  struct Entry {
    int score;
    Digest digest;
    std::string node;
  };
  std::vector<Entry> entries;
  entries.reserve(nodes.size());
  for (auto& n : nodes) {
    const int s = score ? score(n) : 0;
    entries.push_back({s, sha256(n + "#" + std::string(key)), std::move(n)});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.digest != b.digest) return a.digest < b.digest;
    return a.node < b.node;
  });
  std::vector<std::string> out;
  out.reserve(entries.size());
  for (auto& e : entries) out.push_back(std::move(e.node));
  return out;
}

std::vector<Decision> elect(const planner::Snapshot& snapshot, std::string_view node,
                            const Liveness& liveness) {
  VIPD_ASSERT(snapshot.config != nullptr, "a snapshot without configuration");
  const Elector elector(snapshot, node, liveness);
  std::vector<Decision> out;
  for (const auto& service : snapshot.services) {
    if (auto d = elector.decide(service)) out.push_back(std::move(*d));
  }
  return out;
}

std::set<std::string, std::less<>> bfd_neighbours(const std::vector<Decision>& decisions,
                                                  std::string_view node) {
  std::set<std::string, std::less<>> out;
  for (const auto& d : decisions) {
    const auto it = std::find(d.ranked.begin(), d.ranked.end(), node);
    if (it == d.ranked.end()) continue;
    if (it != d.ranked.begin()) out.insert(*std::prev(it));
    if (std::next(it) != d.ranked.end()) out.insert(*std::next(it));
  }
  return out;
}

}  // namespace vipd::vip
