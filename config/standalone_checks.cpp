// The standalone file's own rules: services (unique, their addresses inside pools, sharing as
// MetalLB shares) and nodes (unique names and addresses, `node` among them, node selectors that
// match one of them; with layer-2 pools, every member listed with an address).
#include "common/format.hpp"
#include "config/checks.hpp"

namespace vipd::config::detail {
namespace {

std::string q(std::string_view s) { return quoted(s); }

class StandaloneChecks : Checks {
 public:
  using Checks::Checks;

  void run() {
    services();
    nodes();
    layer2_members();
  }

 private:
  static bool buggy(const IpAddress& ip) {
    if (!ip.is_v4()) return false;
    const auto last = ip.v4_value() & 0xffu;
    return last == 0 || last == 255;
  }

  static bool ports_overlap(const StandaloneService& a, const StandaloneService& b) {
    for (const auto& pa : a.details().ports) {
      for (const auto& pb : b.details().ports) {
        if (pa == pb) return true;
      }
    }
    return false;
  }

  void services() {
    const auto& services = config_.standalone->services;
    const auto names = pool_names();
    std::map<std::string, std::size_t, std::less<>> seen;
    std::map<IpAddress, std::vector<std::size_t>> by_address;  // services requesting it, in order
    for (std::size_t i = 0; i < services.size(); ++i) {
      const auto& s = services[i];
      const auto& d = s.details();
      const auto sk = key("services", i);
      const auto full = s.namespace_ + "/" + s.name;
      if (auto [it, fresh] = seen.emplace(full, i); !fresh) {
        error(key(sk, "name"), "duplicate service " + q(full) + " (first at " +
                                   at(key("services", it->second)).path + ")");
      }
      const Pool* named = nullptr;
      if (!d.pool.empty()) {
        named = config_.find_pool(d.pool);
        if (!named) {
          auto hint = did_you_mean(d.pool, names);
          error(key(sk, "pool"),
                "pool " + q(d.pool) + " does not exist" + (hint.empty() ? "" : "; " + hint));
        }
      }
      bool families[2] = {false, false};
      for (std::size_t j = 0; j < d.addresses.size(); ++j) {
        const auto& ip = d.addresses[j];
        const auto ak = key(key(sk, "addresses"), j);
        auto& family_seen = families[ip.is_v4() ? 0 : 1];
        if (family_seen) {
          error(ak, "more than one " + std::string(vipd::to_string(ip.family())) +
                        " address requested");
        }
        family_seen = true;
        const Pool* holder = nullptr;
        for (const auto& pool : config_.pools) {
          for (const auto& block : pool.addresses) {
            if (block.range.contains(ip)) holder = &pool;
          }
        }
        if (!holder) {
          error(ak, ip.to_string() + " is not inside any pool");
        } else if (named && holder != named) {
          error(ak, ip.to_string() + " is in pool " + q(holder->name) + ", not in pool " +
                        q(named->name));
        } else if (holder->avoid_buggy_ips && buggy(ip)) {
          error(ak, ip.to_string() + " ends in .0 or .255 and pool " + q(holder->name) +
                        " avoids such addresses");
        }
      }
      each_duplicate(
          [&] {
            std::vector<std::string> ports;
            for (const auto& p : d.ports)
              ports.push_back(p.protocol + "/" + std::to_string(p.port));
            return ports;
          }(),
          [&](std::size_t j, std::size_t) {
            error(key(key(sk, "ports"), j),
                  "duplicate port " + std::to_string(d.ports[j].port) + "/" + d.ports[j].protocol);
          });
      if (s.traffic_policy == TrafficPolicy::kLocal && !d.health_check) {
        error(key(sk, "traffic_policy"),
              "traffic-policy Local needs a health-check (it announces only while the check "
              "passes)");
      }
      // Sharing an address follows MetalLB: same sharing key, same traffic policy, no common
      // (port, protocol). Earlier services are found by address, not by trying each one.
      for (std::size_t k = 0; k < d.addresses.size(); ++k) {
        auto& requested = by_address[d.addresses[k]];
        for (const auto j : requested) {
          if (j == i) continue;  // the address is listed twice (reported above)
          const auto& o = services[j];
          const auto ak = key(key(sk, "addresses"), k);
          const auto other = q(o.namespace_ + "/" + o.name);
          if (d.sharing_key.empty() || d.sharing_key != o.details().sharing_key) {
            error(ak, d.addresses[k].to_string() + " is also requested by service " + other +
                          " without the same sharing-key");
          } else if (s.traffic_policy != o.traffic_policy) {
            error(ak, d.addresses[k].to_string() + " is shared with service " + other +
                          " which has a different traffic-policy");
          } else if (ports_overlap(s, o)) {
            error(ak, d.addresses[k].to_string() + " is shared with service " + other +
                          " which uses the same port and protocol");
          }
        }
        if (requested.empty() || requested.back() != i) requested.push_back(i);
      }
    }
  }

  void nodes() {
    const auto& s = *config_.standalone;
    std::map<std::string_view, std::size_t> names;
    for (std::size_t i = 0; i < s.nodes.size(); ++i) {
      const auto& n = s.nodes[i];
      const auto nk = key("nodes", i);
      if (auto [it, fresh] = names.emplace(n.name, i); !fresh) {
        error(key(nk, "name"), "duplicate node " + q(n.name) + " (first at " +
                                   at(key("nodes", it->second)).path + "): give each node once");
      }
      std::vector<std::string> addresses;
      for (const auto& a : n.addresses) addresses.push_back(a.to_string());
      each_duplicate(addresses, [&](std::size_t j, std::size_t) {
        error(key(key(nk, "addresses"), j),
              "address " + addresses[j] + " is listed twice for node " + q(n.name));
      });
    }
    if (s.nodes.empty()) return;
    if (!s.node.empty() && names.count(s.node) == 0) {
      std::vector<std::string> listed;
      for (const auto& n : s.nodes) listed.push_back(n.name);
      const auto hint = did_you_mean(s.node, listed);
      error("node", "node " + q(s.node) +
                        " is not listed in `nodes`: add it there, or name one of the listed "
                        "nodes" +
                        (hint.empty() ? "" : "; " + hint));
    }
    // A node selector is meant to pick some of the nodes; one that picks none is most likely a
    // typo in a label (MetalLB would simply never use it).
    const auto unmatched = [&](const std::vector<LabelSelector>& selectors, const std::string& k,
                               std::string_view what) {
      for (std::size_t j = 0; j < selectors.size(); ++j) {
        const bool any = std::any_of(s.nodes.begin(), s.nodes.end(),
                                     [&](const auto& n) { return selectors[j].matches(n.labels); });
        if (!any) {
          warning(key(key(k, "node_selectors"), j),
                  "this node selector matches no node listed in `nodes`, so no node uses the " +
                      std::string(what) + " through it: check its labels against the nodes'");
        }
      }
    };
    for (std::size_t i = 0; i < config_.peers.size(); ++i) {
      unmatched(config_.peers[i].node_selectors, key("peers", i), "peer");
    }
    for (std::size_t i = 0; i < config_.bgp_advertisements.size(); ++i) {
      unmatched(config_.bgp_advertisements[i].node_selectors, key("bgp_advertisements", i),
                "advertisement");
    }
    for (std::size_t i = 0; i < config_.l2_advertisements.size(); ++i) {
      unmatched(config_.l2_advertisements[i].node_selectors, key("l2_advertisements", i),
                "advertisement");
    }
  }

  // Layer 2 elects one owner among the members, which learn of each other from heartbeats sent
  // to the addresses the file gives them: without the members and their addresses no election
  // could agree.
  void layer2_members() {
    if (config_.l2_advertisements.empty()) return;
    const auto& s = *config_.standalone;
    if (s.nodes.empty()) {
      error(key("l2_advertisements", 0),
            "layer-2 pools need the cluster's members: list every node in `nodes` with its "
            "addresses (the members elect each VIP's owner from heartbeats they send each other "
            "on UDP port 7947)");
      return;
    }
    for (std::size_t i = 0; i < s.nodes.size(); ++i) {
      if (!s.nodes[i].addresses.empty()) continue;
      error(key("nodes", i),
            "node " + q(s.nodes[i].name) +
                " has no addresses: with layer-2 pools each member needs one (the others send "
                "it heartbeats there, UDP port 7947)");
    }
  }
};

}  // namespace

void check_standalone(const Config& config, const Origins& origins, Diagnostics& diagnostics) {
  StandaloneChecks(config, SourceFormat::kStandalone, origins, diagnostics).run();
}

}  // namespace vipd::config::detail
