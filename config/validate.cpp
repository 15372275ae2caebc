#include "config/validate.hpp"

#include <algorithm>
#include <tuple>

#include "common/format.hpp"
#include "config/advertisement_overlap.hpp"
#include "config/checks.hpp"

namespace vipd::config {
namespace {

using std::chrono::seconds;

std::string q(std::string_view s) { return detail::quoted(s); }
using detail::each_duplicate;

// MetalLB's rules across objects, and vipd's on the settings it adds to them.
class Validator : detail::Checks {
 public:
  using Checks::Checks;

  void run() {
    pools();
    bfd_profiles();
    peers();
    bgp_advertisements();
    local_prefs();
    bfd_echo_on_ipv6();
    l2_advertisements();
  }

 private:
  void pools() {
    std::map<std::string, std::size_t, std::less<>> seen;
    struct Entry {
      IpRange range;
      std::size_t pool, block;
    };
    std::vector<Entry> all;
    for (std::size_t i = 0; i < config_.pools.size(); ++i) {
      const auto& pool = config_.pools[i];
      const auto pk = key("pools", i);
      if (auto [it, fresh] = seen.emplace(pool.name, i); !fresh) {
        error(key(pk, "name"), "duplicate definition of pool " + q(pool.name) + " (first at " +
                                   at(key("pools", it->second)).path + ")");
      }
      if (pool.addresses.empty()) error(pk, "pool " + q(pool.name) + " has no addresses");
      for (std::size_t j = 0; j < pool.addresses.size(); ++j) {
        all.push_back({pool.addresses[j].range, i, j});
      }
      if (pool.service_allocation) {
        const auto sk = key(pk, "service_allocation");
        each_duplicate(pool.service_allocation->namespaces, [&](std::size_t n, std::size_t) {
          error(key(key(sk, "namespaces"), n),
                "duplicate namespace " + q(pool.service_allocation->namespaces[n]));
        });
      }
    }
    // Overlaps, within and across pools, in O(n log n): sorted by first address, a block
    // overlaps an earlier one exactly when it starts at or before the furthest end so far.
    std::vector<std::size_t> order(all.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return all[a].range.first() < all[b].range.first();
    });
    std::optional<std::size_t> widest;  // the entry reaching furthest so far (same family)
    for (const auto idx : order) {
      const auto& e = all[idx];
      if (widest && all[*widest].range.family() == e.range.family() &&
          e.range.first() <= all[*widest].range.last()) {
        const auto& other = all[*widest];
        // Report on the one written later, naming the other.
        const auto& later =
            std::tie(e.pool, e.block) > std::tie(other.pool, other.block) ? e : other;
        const auto& earlier = &later == &e ? other : e;
        const auto& lp = config_.pools[later.pool];
        const auto& ep = config_.pools[earlier.pool];
        error(key(key(key("pools", later.pool), "addresses"), later.block),
              lp.addresses[later.block].to_string() + " overlaps " +
                  ep.addresses[earlier.block].to_string() + " of pool " + q(ep.name) + " (" +
                  at(key(key(key("pools", earlier.pool), "addresses"), earlier.block)).path + ")");
      }
      if (!widest || all[*widest].range.family() != e.range.family() ||
          all[*widest].range.last() < e.range.last()) {
        widest = idx;
      }
    }
  }

  void bfd_profiles() {
    std::map<std::string, std::size_t, std::less<>> seen;
    for (std::size_t i = 0; i < config_.bfd_profiles.size(); ++i) {
      const auto& b = config_.bfd_profiles[i];
      const auto bk = key("bfd_profiles", i);
      if (auto [it, fresh] = seen.emplace(b.name, i); !fresh) {
        error(key(bk, "name"), "duplicate definition of BFD profile " + q(b.name));
      }
      const auto range = [&](const char* field, const std::optional<std::uint32_t>& v,
                             std::uint32_t lo, std::uint32_t hi, const char* what) {
        if (v && (*v < lo || *v > hi)) {
          error(key(bk, field), std::string("invalid ") + what + " " + std::to_string(*v) +
                                    ": must be in " + std::to_string(lo) + "-" +
                                    std::to_string(hi));
        }
      };
      range("detect_multiplier", b.detect_multiplier, 2, 255, "detect multiplier");
      range("receive_interval", b.receive_interval_ms, 10, 60000, "receive interval");
      range("transmit_interval", b.transmit_interval_ms, 10, 60000, "transmit interval");
      range("echo_interval", b.echo_interval_ms, 10, 60000, "echo interval");
      range("minimum_ttl", b.minimum_ttl, 1, 254, "minimum TTL");
    }
  }

  void peers() {
    std::vector<std::string> bfd_names;
    for (const auto& b : config_.bfd_profiles) bfd_names.push_back(b.name);
    std::map<std::string, std::size_t, std::less<>> names;
    std::map<std::tuple<std::optional<IpAddress>, std::string, std::uint16_t, std::uint32_t,
                        std::uint32_t>,
             std::vector<std::size_t>>
        endpoints;
    for (std::size_t i = 0; i < config_.peers.size(); ++i) {
      const auto& p = config_.peers[i];
      const auto pk = key("peers", i);
      if (format_ != SourceFormat::kConfigMap) {
        if (auto [it, fresh] = names.emplace(p.name, i); !fresh) {
          error(key(pk, "name"), "duplicate definition of peer " + q(p.name));
        }
      }
      if (p.my_asn == 0) error(key(pk, "my_asn"), "missing local ASN");
      if (p.peer_asn == 0 && p.dynamic_asn == DynamicAsn::kNone) {
        error(key(pk, "peer_asn"), "missing peer ASN (peer-asn, or peerASN in a BGPPeer)");
      }
      if (p.peer_asn != 0 && p.dynamic_asn != DynamicAsn::kNone) {
        error(key(pk, "dynamic_asn"), "both peer ASN and dynamicASN are set");
      }
      if (!p.address && p.interface.empty()) {
        error(key(pk, "address"),
              "peer has no address (peer-address, or peerAddress in a BGPPeer)");
      }
      if (p.address && !p.interface.empty()) {
        error(key(pk, "interface"), "peer has both an address and an interface");
      }
      if (p.ebgp_multihop && p.dynamic_asn != DynamicAsn::kExternal && p.is_ibgp()) {
        error(key(pk, "ebgp_multihop"),
              "eBGP multihop set on an iBGP peer (my ASN equals peer ASN " +
                  std::to_string(p.peer_asn) + ")");
      }
      if (p.ebgp_multihop && p.dynamic_asn == DynamicAsn::kInternal) {
        error(key(pk, "ebgp_multihop"), "eBGP multihop set on an iBGP peer (dynamicASN internal)");
      }
      timers(p, pk);
      if (!p.password.empty() && !p.password_secret.empty()) {
        error(key(pk, "password_secret"), "both a password and a password secret are set");
      }
      if (p.password.find_first_of("\r\n") != std::string::npos) {
        error(key(pk, "password"), "password contains a line break");
      }
      if (!p.bfd_profile.empty() &&
          std::find(bfd_names.begin(), bfd_names.end(), p.bfd_profile) == bfd_names.end()) {
        auto hint = did_you_mean(p.bfd_profile, bfd_names);
        error(key(pk, "bfd_profile"), "BFD profile " + q(p.bfd_profile) + " does not exist" +
                                          (hint.empty() ? "" : "; " + hint));
      }
      // Identical but for the name (MetalLB's DeepEqual). Only peers with the same endpoint can
      // be identical: comparing within those keeps thousands of peers from costing millions of
      // comparisons.
      auto& same_endpoint =
          endpoints[std::tuple(p.address, p.interface, p.port, p.my_asn, p.peer_asn)];
      same_endpoint.push_back(i);
      for (const auto j : same_endpoint) {
        if (j == i) break;
        auto a = p;
        a.name = config_.peers[j].name;
        if (a == config_.peers[j]) {
          const auto message = "same session as " + at(key("peers", j)).path;
          if (format_ == SourceFormat::kResources) {
            warning(pk, message);
          } else {
            error(pk, "duplicate peer: " + message);
          }
          break;
        }
      }
    }
  }

  // MetalLB: a missing hold time is 3 keepalives, a missing keepalive a third of the hold time;
  // the hold time (whole seconds) is 0 or at least 3 s; the keepalive is at most the hold time.
  // The connect time follows the BGPPeer CRD: whole seconds, 1s to 65535s.
  void timers(const Peer& p, const std::string& pk) {
    for (const auto& [field, value] :
         {std::pair{"hold_time", p.hold_time}, std::pair{"keepalive_time", p.keepalive_time}}) {
      if (value && value->count() < 0) error(key(pk, field), "must not be negative");
    }
    if (const auto t = p.connect_time;
        t && (*t < seconds(1) || *t > seconds(65535) || *t % seconds(1) != Duration(0))) {
      error(key(pk, "connect_time"), "invalid connect time " + format_duration(*t) +
                                         ": must be whole seconds between 1s and 65535s");
    }
    if (!p.hold_time && !p.keepalive_time) return;
    const auto hold = p.hold_time ? *p.hold_time : *p.keepalive_time * 3;
    const auto keepalive = p.keepalive_time ? *p.keepalive_time : *p.hold_time / 3;
    const auto rounded = std::chrono::duration_cast<seconds>(hold);
    if (rounded.count() > 0 && rounded < seconds(3)) {
      error(key(pk, p.hold_time ? "hold_time" : "keepalive_time"),
            "invalid hold time " + format_duration(hold) + ": must be 0 or at least 3s");
    }
    if (keepalive > hold) {
      error(key(pk, "keepalive_time"), "keepalive time " + format_duration(keepalive) +
                                           " is longer than the hold time " +
                                           format_duration(hold));
    }
  }

  void pool_references(const std::string& ak, const std::vector<std::string>& pools) {
    const auto names = pool_names();
    each_duplicate(pools, [&](std::size_t i, std::size_t) {
      error(key(key(ak, "pools"), i), "duplicate pool " + q(pools[i]));
    });
    for (std::size_t i = 0; i < pools.size(); ++i) {
      if (!config_.find_pool(pools[i])) {
        auto hint = did_you_mean(pools[i], names);
        warning(key(key(ak, "pools"), i), "pool " + q(pools[i]) +
                                              " does not exist; the entry selects nothing" +
                                              (hint.empty() ? "" : "; " + hint));
      }
    }
  }

  void bgp_advertisements() {
    std::vector<std::string> peer_names, aliases;
    for (const auto& p : config_.peers) peer_names.push_back(p.name);
    for (const auto& [name, value] : config_.communities) aliases.push_back(name);
    std::map<std::string, std::size_t, std::less<>> names;
    for (std::size_t i = 0; i < config_.bgp_advertisements.size(); ++i) {
      const auto& a = config_.bgp_advertisements[i];
      const auto ak = key("bgp_advertisements", i);
      if (format_ != SourceFormat::kConfigMap) {
        if (auto [it, fresh] = names.emplace(a.name, i); !fresh) {
          error(key(ak, "name"), "duplicate definition of BGPAdvertisement " + q(a.name));
        }
      }
      const bool v4_ok = a.aggregation_length >= 0 && a.aggregation_length <= 32;
      const bool v6_ok = a.aggregation_length_v6 >= 0 && a.aggregation_length_v6 <= 128;
      if (!v4_ok) {
        error(key(ak, "aggregation_length"), "invalid aggregation length " +
                                                 std::to_string(a.aggregation_length) +
                                                 " for IPv4: must be 0..32");
      }
      if (!v6_ok) {
        error(key(ak, "aggregation_length_v6"), "invalid aggregation length " +
                                                    std::to_string(a.aggregation_length_v6) +
                                                    " for IPv6: must be 0..128");
      }
      if (!a.service_selectors.empty() &&
          (a.aggregation_length != 32 || a.aggregation_length_v6 != 128)) {
        error(key(ak, a.aggregation_length != 32 ? "aggregation_length" : "aggregation_length_v6"),
              "service selectors and aggregation lengths are mutually exclusive");
      }
      pool_references(ak, a.pools);
      each_duplicate(a.peers, [&](std::size_t j, std::size_t) {
        error(key(key(ak, "peers"), j), "duplicate peer " + q(a.peers[j]));
      });
      for (std::size_t j = 0; j < a.peers.size(); ++j) {
        if (std::find(peer_names.begin(), peer_names.end(), a.peers[j]) == peer_names.end()) {
          auto hint = did_you_mean(a.peers[j], peer_names);
          warning(key(key(ak, "peers"), j),
                  "peer " + q(a.peers[j]) + " does not exist" + (hint.empty() ? "" : "; " + hint));
        }
      }
      each_duplicate(a.communities, [&](std::size_t j, std::size_t) {
        error(key(key(ak, "communities"), j), "duplicate community " + q(a.communities[j]));
      });
      for (std::size_t j = 0; j < a.communities.size(); ++j) {
        const auto& text = a.communities[j];
        if (config_.communities.count(text) != 0) continue;
        auto parsed = Community::parse(text);
        if (parsed) continue;
        if (parsed.error().code() == make_error_code(Errc::kOutOfRange)) {
          error(key(key(ak, "communities"), j), parsed.error().message());
          continue;
        }
        auto hint = did_you_mean(text, aliases);
        error(key(key(ak, "communities"), j),
              "community " + q(text) +
                  " is neither a value (NUMBER:NUMBER, large:N:N:N) nor a defined alias" +
                  (hint.empty() ? "" : "; " + hint));
      }
      if (!v4_ok || !v6_ok) continue;
      // An aggregated announcement must not cover addresses outside the pool.
      for (const auto pi : selected_pools(a.pools, a.pool_selectors)) {
        const auto& pool = config_.pools[pi];
        for (const auto& block : pool.addresses) {
          const bool v4 = block.family() == Family::kV4;
          const int length = v4 ? a.aggregation_length : a.aggregation_length_v6;
          const int widest = block.widest_prefix_length();
          if (length < widest) {
            error(key(ak, v4 ? "aggregation_length" : "aggregation_length_v6"),
                  "aggregation length " + std::to_string(length) + " is shorter than prefix /" +
                      std::to_string(widest) + " of " + block.to_string() + " in pool " +
                      q(pool.name) + ": the announced prefix would cover addresses outside it");
          }
        }
      }
    }
  }

  // MetalLB refuses two LOCAL_PREF values for one route: advertisement_overlap.hpp says when
  // two advertisements of one pool announce the same route. Reported once per advertisement,
  // against the first earlier one it surely collides with (else the first it may collide with).
  void local_prefs() {
    const auto& ads = config_.bgp_advertisements;
    std::vector<std::vector<std::size_t>> pools_of;
    for (const auto& a : ads) pools_of.push_back(selected_pools(a.pools, a.pool_selectors));
    // Only advertisements with another local preference matter: jump over runs of equal ones,
    // so that many advertisements with one value cost a linear pass, not a quadratic one.
    std::vector<std::size_t> next_other(ads.size(), ads.size());
    for (std::size_t j = ads.size(); j-- > 1;) {
      next_other[j - 1] = ads[j].local_pref != ads[j - 1].local_pref ? j : next_other[j];
    }
    for (std::size_t i = 0; i < ads.size(); ++i) {
      struct Collision {
        std::size_t other, pool;
        NodeOverlap overlap;
      };
      std::optional<Collision> worst;
      for (std::size_t j = 0; j < i && !(worst && worst->overlap == NodeOverlap::kCertain);
           j = ads[j].local_pref == ads[i].local_pref ? next_other[j] : j + 1) {
        if (ads[i].local_pref == ads[j].local_pref) continue;
        for (const auto p : pools_of[i]) {
          if (std::find(pools_of[j].begin(), pools_of[j].end(), p) == pools_of[j].end()) continue;
          const auto overlap = announcement_overlap(ads[i], ads[j], config_.pools[p]);
          if (overlap == NodeOverlap::kNever) continue;
          if (!worst || overlap > worst->overlap) worst = Collision{j, p, overlap};
          break;
        }
      }
      if (!worst) continue;
      const auto& other = ads[worst->other];
      const auto message = "local preference " + std::to_string(ads[i].local_pref) +
                           " conflicts with " + std::to_string(other.local_pref) + " of " +
                           at(key("bgp_advertisements", worst->other)).path +
                           ": both announce pool " + q(config_.pools[worst->pool].name) +
                           " with the same aggregation length to the same peers";
      const auto field = key(key("bgp_advertisements", i), "local_pref");
      if (worst->overlap == NodeOverlap::kCertain) {
        error(field, message + " from every node");
      } else {
        warning(field, message +
                           " from nodes matching both node selectors; MetalLB refuses the "
                           "configuration while such a node exists");
      }
    }
  }

  // MetalLB >= v0.13.10 (validateConfig): BFD echo mode does not work over IPv6, so a pool with
  // IPv6 addresses may not be advertised over BGP to a peer whose BFD profile turns echo mode on.
  // Reported once per advertisement, for its first such pool and peer.
  void bfd_echo_on_ipv6() {
    std::map<std::string_view, const BfdProfile*> echo;  // profiles with echo mode, by name
    for (const auto& b : config_.bfd_profiles) {
      if (b.echo_mode) echo.emplace(b.name, &b);
    }
    std::vector<const Peer*> echo_peers;
    for (const auto& p : config_.peers) {
      if (echo.count(p.bfd_profile) != 0) echo_peers.push_back(&p);
    }
    if (echo_peers.empty()) return;
    for (std::size_t i = 0; i < config_.bgp_advertisements.size(); ++i) {
      const auto& a = config_.bgp_advertisements[i];
      // No peers named: every peer.
      const auto found = std::find_if(echo_peers.begin(), echo_peers.end(), [&](const Peer* p) {
        return a.peers.empty() ||
               std::find(a.peers.begin(), a.peers.end(), p->name) != a.peers.end();
      });
      if (found == echo_peers.end()) continue;
      for (const auto pi : selected_pools(a.pools, a.pool_selectors)) {
        const auto& pool = config_.pools[pi];
        if (pool.size(Family::kV6) == 0) continue;
        const auto& peer = **found;
        error(key("bgp_advertisements", i),
              "advertises pool " + q(pool.name) + ", which holds IPv6 addresses, to peer " +
                  q(peer.name) + " whose BFD profile " + q(peer.bfd_profile) +
                  " has echo mode on; BFD echo does not work over IPv6 and MetalLB refuses "
                  "this: turn echo mode off in that profile or leave the peer out of this "
                  "advertisement's peers");
        break;
      }
    }
  }

  void l2_advertisements() {
    std::map<std::string, std::size_t, std::less<>> names;
    for (std::size_t i = 0; i < config_.l2_advertisements.size(); ++i) {
      const auto& a = config_.l2_advertisements[i];
      const auto ak = key("l2_advertisements", i);
      if (format_ != SourceFormat::kConfigMap) {
        if (auto [it, fresh] = names.emplace(a.name, i); !fresh) {
          error(key(ak, "name"), "duplicate definition of L2Advertisement " + q(a.name));
        }
      }
      pool_references(ak, a.pools);
      // MetalLB accepts an interface listed twice (announcing from it once).
      each_duplicate(a.interfaces, [&](std::size_t j, std::size_t) {
        warning(key(key(ak, "interfaces"), j), "interface " + q(a.interfaces[j]) + " listed twice");
      });
    }
  }
};

}  // namespace

void validate(const Config& config, SourceFormat format, const Origins& origins,
              Diagnostics& diagnostics) {
  Validator(config, format, origins, diagnostics).run();
  if (config.standalone) detail::check_standalone(config, origins, diagnostics);
}

}  // namespace vipd::config
