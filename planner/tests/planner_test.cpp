// Table-driven tests of the announcement planner: every rule and every reason, for Kubernetes
// and standalone snapshots, IPv4, IPv6 and dual stack. Each case is a configuration, this
// node, services, and the exact decisions and routes per peer the node must end up with.
#include "planner/planner.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vipd::planner {
namespace {

using config::BgpAdvertisement;
using config::TrafficPolicy;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kK8s = SnapshotKind::kKubernetes;
constexpr auto kStandalone = SnapshotKind::kStandalone;
constexpr auto kLocal = TrafficPolicy::kLocal;
constexpr std::string_view kNode = "node-a";
const std::string kExclude(kExcludeFromLoadBalancersLabel);

IpAddress ip(std::string_view text) { return IpAddress::parse(text).value(); }

config::AddressBlock cidr(std::string_view text) {
  return {.range = IpRange::from_prefix(Prefix::parse(text).value()), .is_cidr = true};
}

config::Pool pool(std::string name, const std::vector<std::string_view>& blocks,
                  Labels labels = {}) {
  config::Pool p{.name = std::move(name)};
  for (const auto b : blocks) p.addresses.push_back(cidr(b));
  p.labels = std::move(labels);
  return p;
}

LabelSelector sel(Labels match_labels) { return {std::move(match_labels), {}}; }

config::Peer peer(std::string name, std::uint32_t my_asn, std::uint32_t peer_asn,
                  std::string_view address, std::vector<LabelSelector> node_selectors = {}) {
  config::Peer p{.name = std::move(name), .my_asn = my_asn, .peer_asn = peer_asn};
  p.address = ip(address);
  p.dual_stack_address_family = true;  // both families on every session, unless a case says
  p.node_selectors = std::move(node_selectors);
  return p;
}

config::Peer ebgp() { return peer("ebgp", 64496, 64497, "192.0.2.1"); }
config::Peer ibgp() { return peer("ibgp", 64496, 64496, "192.0.2.2"); }

NodeInfo node_a(Labels extra = {}) {
  Labels labels{{"kubernetes.io/hostname", "node-a"}, {"rack", "r1"}};
  labels.insert(extra.begin(), extra.end());
  return {.name = "node-a", .labels = std::move(labels)};
}

// Pools: "public" (IPv4 and IPv6), "internal", and "lan", which only layer 2 announces.
// Community aliases: no-advertise (standard) and big (large).
config::Config base_config() {
  config::Config c;
  c.pools = {pool("public", {"203.0.113.0/24", "2001:db8:1::/64"}, {{"tier", "public"}}),
             pool("internal", {"198.51.100.0/24"}, {{"tier", "internal"}}),
             pool("lan", {"192.0.2.128/26"})};
  c.l2_advertisements = {{.name = "l2", .pools = {"lan"}}};
  c.communities.emplace("no-advertise", config::Community::parse("65535:65282").value());
  c.communities.emplace("big", config::Community::parse("large:64496:7:8").value());
  return c;
}

// "public" split in two halves of one /24, each with its own advertisements.
void split_public(config::Config& c) {
  c.pools = {pool("low", {"203.0.113.0/25"}), pool("high", {"203.0.113.128/25"})};
}

// A service that qualifies in both snapshot kinds unless told otherwise: traffic policy
// Cluster, a ready endpoint on this node, a passing health check.
struct Svc {
  ServiceInfo info;
  Svc(std::string name, const std::vector<std::string_view>& addresses) {
    info.namespace_ = "default";
    info.name = std::move(name);
    for (const auto a : addresses) info.addresses.push_back(ip(a));
    info.endpoints = {{.node = "node-a", .ready = true}};
    info.health = Health::kPassing;
  }
  Svc& labels(Labels l) {
    info.labels = std::move(l);
    return *this;
  }
  Svc& from(std::string pool) {
    info.pool = std::move(pool);
    return *this;
  }
  Svc& local() {
    info.traffic_policy = kLocal;
    return *this;
  }
  Svc& endpoints(std::vector<Endpoint> e) {
    info.endpoints = std::move(e);
    return *this;
  }
  Svc& health(Health h) {
    info.health = h;
    return *this;
  }
  operator ServiceInfo() const { return info; }  // NOLINT(google-explicit-constructor)
};

using Routes = std::map<std::string, std::string>;  // prefix → rendered attributes

struct Case {
  std::string name;
  std::vector<BgpAdvertisement> ads;
  std::vector<ServiceInfo> services;
  // "service address -> peer prefix: reason"; "*" is every peer, "-" no address or prefix.
  std::vector<std::string> decisions;
  std::map<std::string, Routes> routes;  // every peer used on this node
  std::vector<config::Peer> peers = {ebgp(), ibgp()};
  std::vector<NodeInfo> nodes = {node_a()};
  std::vector<std::string> skipped = {};                              // "peer: reason"
  std::vector<std::pair<std::string, std::string>> details = {};      // decision, text in detail
  std::vector<std::pair<std::string, std::string>> not_details = {};  // decision, text not there
  bool ignore_exclude = false;
  std::function<void(config::Config&)> tweak = nullptr;
};

std::string render(const Decision& d) {
  return d.service + " " + (d.address ? d.address->to_string() : "-") + " -> " +
         (d.peer.empty() ? "*" : d.peer) + " " + (d.prefix ? d.prefix->to_string() : "-") + ": " +
         std::string(to_string(d.reason));
}

// "lp=150 c=64496:1,65535:65282 lc=64496:1:2"; "" for a route without attributes.
std::string render(const bgp::RouteAttributes& a) {
  std::vector<std::string> parts;
  if (a.local_pref) parts.push_back("lp=" + std::to_string(*a.local_pref));
  std::string list;
  for (const auto c : a.communities) {
    list += (list.empty() ? "" : ",") + std::to_string(c >> 16) + ":" + std::to_string(c & 0xffff);
  }
  if (!list.empty()) parts.push_back("c=" + list);
  list.clear();
  for (const auto& c : a.large_communities) {
    list += (list.empty() ? "" : ",") + std::to_string(c.global_admin) + ":" +
            std::to_string(c.local_data1) + ":" + std::to_string(c.local_data2);
  }
  if (!list.empty()) parts.push_back("lc=" + list);
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " ") + p;
  return out;
}

bool decision_order(const Decision& a, const Decision& b) {
  return std::tie(a.service, a.address, a.peer, a.prefix, a.reason, a.detail) <
         std::tie(b.service, b.address, b.peer, b.prefix, b.reason, b.detail);
}

void check(const Case& c, SnapshotKind kind, std::set<Reason>* seen = nullptr) {
  SCOPED_TRACE(c.name + (kind == kK8s ? " [kubernetes]" : " [standalone]"));
  config::Config config = base_config();
  config.peers = c.peers;
  config.bgp_advertisements = c.ads;
  if (c.tweak) c.tweak(config);
  const Snapshot snapshot{.kind = kind,
                          .config = &config,
                          .nodes = c.nodes,
                          .services = c.services,
                          .ignore_exclude_label = c.ignore_exclude};
  const Plan p = plan(snapshot, kNode);

  std::vector<std::string> decisions;
  for (const auto& d : p.decisions) decisions.push_back(render(d));
  std::vector<std::string> expected = c.decisions;
  std::vector<std::string> actual = decisions;
  std::sort(expected.begin(), expected.end());
  std::sort(actual.begin(), actual.end());
  EXPECT_EQ(actual, expected);
  EXPECT_TRUE(std::is_sorted(p.decisions.begin(), p.decisions.end(), decision_order));

  std::map<std::string, Routes> routes;
  for (const auto& pp : p.peers) {
    auto& r = routes[pp.peer->name];
    EXPECT_EQ(pp.internal, is_internal(*pp.peer));
    for (const auto& [prefix, ref] : pp.routes) {
      const bgp::RouteAttributes& attributes = *ref;
      r[prefix.to_string()] = render(attributes);
      EXPECT_TRUE(attributes.normalized());
      EXPECT_EQ(attributes.origin, bgp::Origin::kIgp);
      EXPECT_FALSE(attributes.med.has_value());
      EXPECT_TRUE(attributes.extended_communities.empty());
      if (!pp.internal) {
        EXPECT_FALSE(attributes.local_pref.has_value());
      }
    }
  }
  EXPECT_EQ(routes, c.routes);

  std::vector<std::string> skipped;
  for (const auto& [name, reason] : p.skipped_peers) {
    skipped.push_back(name + ": " + std::string(to_string(reason)));
    if (seen) seen->insert(reason);
  }
  EXPECT_EQ(skipped, c.skipped);

  const auto find = [&](const std::string& key) -> const Decision* {
    const auto it = std::find(decisions.begin(), decisions.end(), key);
    if (it == decisions.end()) {
      ADD_FAILURE() << "no decision " << key;
      return nullptr;
    }
    return &p.decisions[static_cast<std::size_t>(it - decisions.begin())];
  };
  for (const auto& [key, text] : c.details) {
    if (const auto* d = find(key)) {
      EXPECT_THAT(d->detail, HasSubstr(text)) << key;
    }
  }
  for (const auto& [key, text] : c.not_details) {
    if (const auto* d = find(key)) {
      EXPECT_THAT(d->detail, Not(HasSubstr(text))) << key;
    }
  }
  if (seen) {
    for (const auto& d : p.decisions) seen->insert(d.reason);
  }
  // Equal details within a plan are one shared copy.
  for (std::size_t i = 0; i < p.decisions.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (p.decisions[i].detail == p.decisions[j].detail) {
        EXPECT_TRUE(p.decisions[i].detail.same(p.decisions[j].detail)) << render(p.decisions[i]);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Rules that do not depend on the snapshot kind: run for both.

std::vector<Case> advertisement_cases() {
  return {
      {.name = "a default advertisement: a /32 to every peer, no attributes",
       .ads = {{.name = "all"}},
       .services = {Svc("web", {"203.0.113.10"})},
       .decisions = {"default/web 203.0.113.10 -> ebgp 203.0.113.10/32: announced",
                     "default/web 203.0.113.10 -> ibgp 203.0.113.10/32: announced"},
       .routes = {{"ebgp", {{"203.0.113.10/32", ""}}}, {"ibgp", {{"203.0.113.10/32", ""}}}},
       .details = {{"default/web 203.0.113.10 -> ebgp 203.0.113.10/32: announced",
                    "BGP advertisement 'all'"}}},
      {.name = "LOCAL_PREF goes to iBGP peers only",
       .ads = {{.name = "pref", .local_pref = 150}},
       .services = {Svc("web", {"203.0.113.10"})},
       .decisions = {"default/web 203.0.113.10 -> ebgp 203.0.113.10/32: announced",
                     "default/web 203.0.113.10 -> ibgp 203.0.113.10/32: announced"},
       .routes = {{"ebgp", {{"203.0.113.10/32", ""}}}, {"ibgp", {{"203.0.113.10/32", "lp=150"}}}}},
      {.name = "communities: literal, alias, large, large alias; union over advertisements",
       .ads = {{.name = "a1", .communities = {"64496:100", "no-advertise"}},
               {.name = "a2", .communities = {"large:64496:1:2", "big", "64496:100"}}},
       .services = {Svc("web", {"203.0.113.10"})},
       .decisions = {"default/web 203.0.113.10 -> ebgp 203.0.113.10/32: announced",
                     "default/web 203.0.113.10 -> ibgp 203.0.113.10/32: announced"},
       .routes = {{"ebgp", {{"203.0.113.10/32", "c=64496:100,65535:65282 lc=64496:1:2,64496:7:8"}}},
                  {"ibgp",
                   {{"203.0.113.10/32", "c=64496:100,65535:65282 lc=64496:1:2,64496:7:8"}}}},
       .details = {{"default/web 203.0.113.10 -> ibgp 203.0.113.10/32: announced",
                    "BGP advertisements 'a1', 'a2'"}}},
      {.name = "aggregation: services inside one /24 (and one /64) make one route each",
       .ads = {{.name = "agg", .aggregation_length = 24, .aggregation_length_v6 = 64}},
       .services = {Svc("web", {"203.0.113.10", "2001:db8:1::10"}), Svc("dns", {"203.0.113.20"}),
                    Svc("mail", {"2001:db8:1::25"})},
       .decisions = {"default/dns 203.0.113.20 -> ebgp 203.0.113.0/24: announced",
                     "default/dns 203.0.113.20 -> ibgp 203.0.113.0/24: announced",
                     "default/mail 2001:db8:1::25 -> ebgp 2001:db8:1::/64: announced",
                     "default/mail 2001:db8:1::25 -> ibgp 2001:db8:1::/64: announced",
                     "default/web 203.0.113.10 -> ebgp 203.0.113.0/24: announced",
                     "default/web 203.0.113.10 -> ibgp 203.0.113.0/24: announced",
                     "default/web 2001:db8:1::10 -> ebgp 2001:db8:1::/64: announced",
                     "default/web 2001:db8:1::10 -> ibgp 2001:db8:1::/64: announced"},
       .routes = {{"ebgp", {{"203.0.113.0/24", ""}, {"2001:db8:1::/64", ""}}},
                  {"ibgp", {{"203.0.113.0/24", ""}, {"2001:db8:1::/64", ""}}}}},
      {.name = "a /32 with attributes beside the covering /24 without (MetalLB's example)",
       .ads = {{.name = "local", .local_pref = 100, .communities = {"no-advertise"}},
               {.name = "external", .aggregation_length = 24}},
       .services = {Svc("web", {"203.0.113.10"})},
       .decisions = {"default/web 203.0.113.10 -> ebgp 203.0.113.0/24: announced",
                     "default/web 203.0.113.10 -> ebgp 203.0.113.10/32: announced",
                     "default/web 203.0.113.10 -> ibgp 203.0.113.0/24: announced",
                     "default/web 203.0.113.10 -> ibgp 203.0.113.10/32: announced"},
       .routes = {{"ebgp", {{"203.0.113.0/24", ""}, {"203.0.113.10/32", "c=65535:65282"}}},
                  {"ibgp", {{"203.0.113.0/24", ""}, {"203.0.113.10/32", "lp=100 c=65535:65282"}}}},
       .details = {{"default/web 203.0.113.10 -> ibgp 203.0.113.0/24: announced",
                    "BGP advertisement 'external'"}}},
      {.name = "dual stack: a /32 and a /128",
       .ads = {{.name = "all"}},
       .services = {Svc("web", {"203.0.113.10", "2001:db8:1::10"})},
       .decisions = {"default/web 203.0.113.10 -> ebgp 203.0.113.10/32: announced",
                     "default/web 203.0.113.10 -> ibgp 203.0.113.10/32: announced",
                     "default/web 2001:db8:1::10 -> ebgp 2001:db8:1::10/128: announced",
                     "default/web 2001:db8:1::10 -> ibgp 2001:db8:1::10/128: announced"},
       .routes = {{"ebgp", {{"203.0.113.10/32", ""}, {"2001:db8:1::10/128", ""}}},
                  {"ibgp", {{"203.0.113.10/32", ""}, {"2001:db8:1::10/128", ""}}}}},
      {.name = "a session carries its own family unless dual-stack-address-family",
       .ads = {{.name = "all"}},
       .services = {Svc("web", {"203.0.113.10", "2001:db8:1::10"})},
       .decisions = {"default/web 203.0.113.10 -> ebgp 203.0.113.10/32: announced",
                     "default/web 203.0.113.10 -> v6 -: addressFamilyNotCarried",
                     "default/web 2001:db8:1::10 -> ebgp -: addressFamilyNotCarried",
                     "default/web 2001:db8:1::10 -> v6 2001:db8:1::10/128: announced"},
       .routes = {{"ebgp", {{"203.0.113.10/32", ""}}}, {"v6", {{"2001:db8:1::10/128", ""}}}},
       .peers = {[] {
                   auto p = ebgp();
                   p.dual_stack_address_family = false;
                   return p;
                 }(),
                 [] {
                   auto p = peer("v6", 64496, 64497, "2001:db8::1");
                   p.dual_stack_address_family = false;
                   return p;
                 }()},
       .details = {{"default/web 2001:db8:1::10 -> ebgp -: addressFamilyNotCarried",
                    "dual-stack-address-family"}}},
      {.name = "IPv6 only",
       .ads = {{.name = "all", .local_pref = 300}},
       .services = {Svc("web", {"2001:db8:1::10"})},
       .decisions = {"default/web 2001:db8:1::10 -> ebgp 2001:db8:1::10/128: announced",
                     "default/web 2001:db8:1::10 -> ibgp 2001:db8:1::10/128: announced"},
       .routes = {{"ebgp", {{"2001:db8:1::10/128", ""}}},
                  {"ibgp", {{"2001:db8:1::10/128", "lp=300"}}}}},
      {.name = "an advertisement limited to one peer",
       .ads = {{.name = "to-ibgp", .communities = {"64496:1"}, .peers = {"ibgp"}}},
       .services = {Svc("web", {"203.0.113.10"})},
       .decisions = {"default/web 203.0.113.10 -> ebgp -: noMatchingAdvertisement",
                     "default/web 203.0.113.10 -> ibgp 203.0.113.10/32: announced"},
       .routes = {{"ebgp", {}}, {"ibgp", {{"203.0.113.10/32", "c=64496:1"}}}},
       .details = {{"default/web 203.0.113.10 -> ebgp -: noMatchingAdvertisement",
                    "BGP advertisement 'to-ibgp' names other peers only"}}},
      {.name = "advertisements for one peer and for all merge toward that peer only",
       .ads = {{.name = "to-ibgp", .communities = {"64496:1"}, .peers = {"ibgp", "elsewhere"}},
               {.name = "to-all", .communities = {"64496:2"}}},
       .services = {Svc("web", {"203.0.113.10"})},
       .decisions = {"default/web 203.0.113.10 -> ebgp 203.0.113.10/32: announced",
                     "default/web 203.0.113.10 -> ibgp 203.0.113.10/32: announced"},
       .routes = {{"ebgp", {{"203.0.113.10/32", "c=64496:2"}}},
                  {"ibgp", {{"203.0.113.10/32", "c=64496:1,64496:2"}}}}},
      {.name = "service selectors",
       .ads = {{.name = "web-only", .service_selectors = {sel({{"app", "web"}})}}},
       .services = {Svc("web", {"203.0.113.10"}).labels({{"app", "web"}}),
                    Svc("db", {"203.0.113.11"}).labels({{"app", "db"}})},
       .decisions = {"default/db 203.0.113.11 -> * -: noMatchingAdvertisement",
                     "default/web 203.0.113.10 -> ebgp 203.0.113.10/32: announced",
                     "default/web 203.0.113.10 -> ibgp 203.0.113.10/32: announced"},
       .routes = {{"ebgp", {{"203.0.113.10/32", ""}}}, {"ibgp", {{"203.0.113.10/32", ""}}}},
       .details = {{"default/db 203.0.113.11 -> * -: noMatchingAdvertisement",
                    "but not the labels of service default/db"}}},
      {.name = "pools chosen by label and by name",
       .ads = {{.name = "by-label",
                .communities = {"64496:2"},
                .pool_selectors = {sel({{"tier", "internal"}})}},
               {.name = "by-name", .communities = {"64496:1"}, .pools = {"public"}}},
       .services = {Svc("web", {"203.0.113.10"}), Svc("db", {"198.51.100.10"})},
       .decisions = {"default/db 198.51.100.10 -> ebgp 198.51.100.10/32: announced",
                     "default/db 198.51.100.10 -> ibgp 198.51.100.10/32: announced",
                     "default/web 203.0.113.10 -> ebgp 203.0.113.10/32: announced",
                     "default/web 203.0.113.10 -> ibgp 203.0.113.10/32: announced"},
       .routes = {{"ebgp", {{"198.51.100.10/32", "c=64496:2"}, {"203.0.113.10/32", "c=64496:1"}}},
                  {"ibgp", {{"198.51.100.10/32", "c=64496:2"}, {"203.0.113.10/32", "c=64496:1"}}}}},
      {.name = "pool names and pool selectors add up",
       .ads = {{.name = "both",
                .pools = {"internal"},
                .pool_selectors = {sel({{"tier", "public"}})}}},
       .services = {Svc("web", {"203.0.113.10"}), Svc("db", {"198.51.100.10"})},
       .decisions = {"default/db 198.51.100.10 -> ebgp 198.51.100.10/32: announced",
                     "default/db 198.51.100.10 -> ibgp 198.51.100.10/32: announced",
                     "default/web 203.0.113.10 -> ebgp 203.0.113.10/32: announced",
                     "default/web 203.0.113.10 -> ibgp 203.0.113.10/32: announced"},
       .routes = {{"ebgp", {{"198.51.100.10/32", ""}, {"203.0.113.10/32", ""}}},
                  {"ibgp", {{"198.51.100.10/32", ""}, {"203.0.113.10/32", ""}}}}},
      {.name = "a pool selector that selects another pool",
       .ads = {{.name = "internal-only", .pool_selectors = {sel({{"tier", "internal"}})}}},
       .services = {Svc("web", {"203.0.113.10"})},
       .decisions = {"default/web 203.0.113.10 -> * -: noMatchingAdvertisement"},
       .routes = {{"ebgp", {}}, {"ibgp", {}}},
       .details = {{"default/web 203.0.113.10 -> * -: noMatchingAdvertisement",
                    "no BGP advertisement selects address pool 'public'"}},
       .not_details = {{"default/web 203.0.113.10 -> * -: noMatchingAdvertisement", "layer 2"}}},
      {.name = "advertisement node selectors: another rack",
       .ads = {{.name = "rack2", .node_selectors = {sel({{"rack", "r2"}})}}},
       .services = {Svc("web", {"203.0.113.10"})},
       .decisions = {"default/web 203.0.113.10 -> * -: noMatchingAdvertisement"},
       .routes = {{"ebgp", {}}, {"ibgp", {}}},
       .details = {{"default/web 203.0.113.10 -> * -: noMatchingAdvertisement",
                    "BGP advertisement 'rack2' selects address pool 'public' but not node "
                    "'node-a'"}}},
      {.name = "advertisement node selectors: one of them matches this rack",
       .ads = {{.name = "racks", .node_selectors = {sel({{"rack", "r2"}}), sel({{"rack", "r1"}})}},
               {.name = "rack2",
                .communities = {"64496:2"},
                .node_selectors = {sel({{"rack", "r2"}})}}},
       .services = {Svc("web", {"203.0.113.10"})},
       .decisions = {"default/web 203.0.113.10 -> ebgp 203.0.113.10/32: announced",
                     "default/web 203.0.113.10 -> ibgp 203.0.113.10/32: announced"},
       .routes = {{"ebgp", {{"203.0.113.10/32", ""}}}, {"ibgp", {{"203.0.113.10/32", ""}}}}},
      {.name = "a layer-2 pool is not announced over BGP",
       .ads = {{.name = "public", .pools = {"public"}}},
       .services = {Svc("printer", {"192.0.2.130"})},
       .decisions = {"default/printer 192.0.2.130 -> * -: noMatchingAdvertisement"},
       .routes = {{"ebgp", {}}, {"ibgp", {}}},
       .details = {{"default/printer 192.0.2.130 -> * -: noMatchingAdvertisement",
                    "no BGP advertisement selects address pool 'lan' (it is announced by layer "
                    "2)"}}},
      {.name = "addresses and pools",
       .ads = {{.name = "all"}},
       .services = {Svc("pending", {}), Svc("gone", {"203.0.113.10"}).from("gone"),
                    Svc("stray", {"192.0.2.10"}),
                    Svc("wrong-pool", {"198.51.100.5"}).from("public"),
                    Svc("named", {"198.51.100.6"}).from("internal")},
       .decisions = {"default/pending - -> * -: noAddress",
                     "default/gone 203.0.113.10 -> * -: poolNotFound",
                     "default/stray 192.0.2.10 -> * -: ipNotAllowed",
                     "default/wrong-pool 198.51.100.5 -> * -: ipNotAllowed",
                     "default/named 198.51.100.6 -> ebgp 198.51.100.6/32: announced",
                     "default/named 198.51.100.6 -> ibgp 198.51.100.6/32: announced"},
       .routes = {{"ebgp", {{"198.51.100.6/32", ""}}}, {"ibgp", {{"198.51.100.6/32", ""}}}},
       .details = {{"default/gone 203.0.113.10 -> * -: poolNotFound",
                    "address pool 'gone' is not configured"},
                   {"default/stray 192.0.2.10 -> * -: ipNotAllowed", "not in any address pool"},
                   {"default/wrong-pool 198.51.100.5 -> * -: ipNotAllowed",
                    "198.51.100.5 is not in address pool 'public'"}}},
      {.name = "LOCAL_PREF disagreement: the highest wins, and the decision says so",
       .ads = {{.name = "low", .aggregation_length = 24, .local_pref = 100, .pools = {"low"}},
               {.name = "high", .aggregation_length = 24, .local_pref = 200, .pools = {"high"}}},
       .services = {Svc("s1", {"203.0.113.10"}), Svc("s2", {"203.0.113.200"})},
       .decisions = {"default/s1 203.0.113.10 -> ebgp 203.0.113.0/24: announced",
                     "default/s1 203.0.113.10 -> ibgp 203.0.113.0/24: announced",
                     "default/s2 203.0.113.200 -> ebgp 203.0.113.0/24: announced",
                     "default/s2 203.0.113.200 -> ibgp 203.0.113.0/24: announced"},
       .routes = {{"ebgp", {{"203.0.113.0/24", ""}}}, {"ibgp", {{"203.0.113.0/24", "lp=200"}}}},
       .details = {{"default/s1 203.0.113.10 -> ibgp 203.0.113.0/24: announced",
                    "advertisements disagree on LOCAL_PREF (100, 200), 200 is used"},
                   {"default/s2 203.0.113.200 -> ibgp 203.0.113.0/24: announced",
                    "advertisements disagree on LOCAL_PREF (100, 200), 200 is used"}},
       // eBGP peers never see LOCAL_PREF: nothing to disagree about.
       .not_details = {{"default/s1 203.0.113.10 -> ebgp 203.0.113.0/24: announced", "disagree"}},
       .tweak = split_public},
      {.name = "LOCAL_PREF set by one advertisement and unset by another",
       .ads = {{.name = "plain"}, {.name = "pref", .local_pref = 120}},
       .services = {Svc("web", {"203.0.113.10"})},
       .decisions = {"default/web 203.0.113.10 -> ibgp 203.0.113.10/32: announced"},
       .routes = {{"ibgp", {{"203.0.113.10/32", "lp=120"}}}},
       .peers = {ibgp()},
       .details = {{"default/web 203.0.113.10 -> ibgp 203.0.113.10/32: announced",
                    "(unset, 120), 120 is used"}}},
      {.name = "dynamic ASN: internal is iBGP, external is eBGP",
       .ads = {{.name = "pref", .local_pref = 120}},
       .services = {Svc("web", {"203.0.113.10"})},
       .decisions = {"default/web 203.0.113.10 -> dyn-ext 203.0.113.10/32: announced",
                     "default/web 203.0.113.10 -> dyn-int 203.0.113.10/32: announced"},
       .routes = {{"dyn-int", {{"203.0.113.10/32", "lp=120"}}},
                  {"dyn-ext", {{"203.0.113.10/32", ""}}}},
       .peers = {config::Peer{.name = "dyn-int",
                              .my_asn = 64496,
                              .dynamic_asn = config::DynamicAsn::kInternal},
                 config::Peer{.name = "dyn-ext",
                              .my_asn = 64496,
                              .dynamic_asn = config::DynamicAsn::kExternal}}},
      {.name = "four-octet ASNs: iBGP is equal ASNs",
       .ads = {{.name = "pref", .local_pref = 120}},
       .services = {Svc("web", {"203.0.113.10"})},
       .decisions = {"default/web 203.0.113.10 -> four 203.0.113.10/32: announced",
                     "default/web 203.0.113.10 -> two-four 203.0.113.10/32: announced"},
       .routes = {{"four", {{"203.0.113.10/32", "lp=120"}}},
                  {"two-four", {{"203.0.113.10/32", ""}}}},
       .peers = {peer("four", 65536, 65536, "192.0.2.3"),
                 peer("two-four", 64496, 65536, "192.0.2.4")}},
      {.name = "an aggregation length outside the family's range",
       .ads = {{.name = "too-long", .aggregation_length = 33, .aggregation_length_v6 = 129}},
       .services = {Svc("web", {"203.0.113.10", "2001:db8:1::10"})},
       .decisions = {"default/web 203.0.113.10 -> ebgp -: invalidAggregationLength",
                     "default/web 203.0.113.10 -> ibgp -: invalidAggregationLength",
                     "default/web 2001:db8:1::10 -> ebgp -: invalidAggregationLength",
                     "default/web 2001:db8:1::10 -> ibgp -: invalidAggregationLength"},
       .routes = {{"ebgp", {}}, {"ibgp", {}}},
       .details = {{"default/web 2001:db8:1::10 -> ebgp -: invalidAggregationLength",
                    "aggregation length 129 is not valid for IPv6"}}},
      {.name = "a community that is neither an alias nor a value is left out",
       .ads = {{.name = "odd", .communities = {"nonexistent", "64496:5"}}},
       .services = {Svc("web", {"203.0.113.10"})},
       .decisions = {"default/web 203.0.113.10 -> ebgp 203.0.113.10/32: announced"},
       .routes = {{"ebgp", {{"203.0.113.10/32", "c=64496:5"}}}},
       .peers = {ebgp()},
       .details = {{"default/web 203.0.113.10 -> ebgp 203.0.113.10/32: announced",
                    "community 'nonexistent' of 'odd' is neither an alias nor a value"}}},
  };
}

std::vector<Case> peer_and_node_cases() {
  const std::vector<config::Peer> racked = {
      ebgp(),
      peer("rack1", 64496, 64498, "192.0.2.5", {sel({{"rack", "r2"}}), sel({{"rack", "r1"}})}),
      peer("rack2", 64496, 64499, "192.0.2.6", {sel({{"rack", "r2"}})})};
  return {
      {.name = "peer node selectors: any one selector, none means every node",
       .ads = {{.name = "all"}},
       .services = {Svc("web", {"203.0.113.10"})},
       .decisions = {"default/web 203.0.113.10 -> ebgp 203.0.113.10/32: announced",
                     "default/web 203.0.113.10 -> rack1 203.0.113.10/32: announced"},
       .routes = {{"ebgp", {{"203.0.113.10/32", ""}}}, {"rack1", {{"203.0.113.10/32", ""}}}},
       .peers = racked,
       .skipped = {"rack2: filteredByNodeSelector"}},
      {.name = "no peer configured",
       .ads = {{.name = "all"}},
       .services = {Svc("web", {"203.0.113.10"})},
       .decisions = {"default/web 203.0.113.10 -> * -: noPeers"},
       .routes = {},
       .peers = {},
       .details = {{"default/web 203.0.113.10 -> * -: noPeers", "no BGP peer is configured"}}},
      {.name = "no peer selects this node",
       .ads = {{.name = "all"}},
       .services = {Svc("web", {"203.0.113.10"})},
       .decisions = {"default/web 203.0.113.10 -> * -: noPeers"},
       .routes = {},
       .peers = {racked[2]},
       .skipped = {"rack2: filteredByNodeSelector"},
       .details = {{"default/web 203.0.113.10 -> * -: noPeers",
                    "no BGP peer selects node 'node-a'"}}},
      {.name = "an excluded node keeps its sessions and announces nothing",
       .ads = {{.name = "all"}},
       .services = {Svc("web", {"203.0.113.10", "2001:db8:1::10"})},
       .decisions = {"default/web 203.0.113.10 -> * -: nodeExcluded",
                     "default/web 2001:db8:1::10 -> * -: nodeExcluded"},
       .routes = {{"ebgp", {}}, {"ibgp", {}}},
       .nodes = {node_a({{kExclude, ""}})},
       .details = {{"default/web 203.0.113.10 -> * -: nodeExcluded", kExclude}}},
      {.name = "the exclusion label counts whatever its value",
       .ads = {{.name = "all"}},
       .services = {Svc("web", {"203.0.113.10"})},
       .decisions = {"default/web 203.0.113.10 -> * -: nodeExcluded"},
       .routes = {{"ebgp", {}}, {"ibgp", {}}},
       .nodes = {node_a({{kExclude, "false"}})}},
      {.name = "the exclusion label ignored on request (MetalLB's --ignore-exclude-lb)",
       .ads = {{.name = "all"}},
       .services = {Svc("web", {"203.0.113.10"})},
       .decisions = {"default/web 203.0.113.10 -> ebgp 203.0.113.10/32: announced"},
       .routes = {{"ebgp", {{"203.0.113.10/32", ""}}}},
       .peers = {ebgp()},
       .nodes = {node_a({{kExclude, ""}})},
       .ignore_exclude = true},
      {.name = "NetworkUnavailable: sessions stay, nothing announced; it is checked first",
       .ads = {{.name = "all"}},
       .services = {Svc("web", {"203.0.113.10"})},
       .decisions = {"default/web 203.0.113.10 -> * -: nodeNetworkUnavailable"},
       .routes = {{"ebgp", {}}, {"ibgp", {}}},
       .nodes = {NodeInfo{.name = "node-a",
                          .labels = node_a({{kExclude, ""}}).labels,
                          .network_unavailable = true}},
       .details = {{"default/web 203.0.113.10 -> * -: nodeNetworkUnavailable",
                    "condition NetworkUnavailable"}}},
      {.name = "ownership before node state: no advertisement for this node outranks exclusion",
       .ads = {{.name = "rack2", .node_selectors = {sel({{"rack", "r2"}})}}},
       .services = {Svc("web", {"203.0.113.10"})},
       .decisions = {"default/web 203.0.113.10 -> * -: noMatchingAdvertisement"},
       .routes = {{"ebgp", {}}, {"ibgp", {}}},
       .nodes = {node_a({{kExclude, ""}})}},
      {.name = "this node is not in the snapshot: no labels for peers, nothing announced",
       .ads = {{.name = "all"}},
       .services = {Svc("web", {"203.0.113.10"})},
       .decisions = {"default/web 203.0.113.10 -> * -: nodeUnknown"},
       .routes = {{"ebgp", {}}},
       .peers = racked,
       .nodes = {NodeInfo{.name = "node-b", .labels = {{"rack", "r1"}}}},
       .skipped = {"rack1: filteredByNodeSelector", "rack2: filteredByNodeSelector"},
       .details = {{"default/web 203.0.113.10 -> * -: nodeUnknown",
                    "node 'node-a' is not in the snapshot"}}},
      {.name = "other nodes' state does not matter",
       .ads = {{.name = "all"}},
       .services = {Svc("web", {"203.0.113.10"})},
       .decisions = {"default/web 203.0.113.10 -> ebgp 203.0.113.10/32: announced"},
       .routes = {{"ebgp", {{"203.0.113.10/32", ""}}}},
       .peers = {ebgp()},
       .nodes = {NodeInfo{
                     .name = "node-b", .labels = {{kExclude, ""}}, .network_unavailable = true},
                 node_a()}},
  };
}

TEST(Planner, AdvertisementRulesKubernetes) {
  for (const auto& c : advertisement_cases()) check(c, kK8s);
}

TEST(Planner, AdvertisementRulesStandalone) {
  for (const auto& c : advertisement_cases()) check(c, kStandalone);
}

TEST(Planner, PeersAndNodesKubernetes) {
  for (const auto& c : peer_and_node_cases()) check(c, kK8s);
}

TEST(Planner, PeersAndNodesStandalone) {
  for (const auto& c : peer_and_node_cases()) check(c, kStandalone);
}

// ---------------------------------------------------------------------------------------------
// Traffic policy: endpoints (Kubernetes) and health checks (standalone).

Endpoint ep(std::string node, bool ready, bool serving = false, std::string address = "") {
  return {
      .node = std::move(node), .ready = ready, .serving = serving, .address = std::move(address)};
}

// One service at 203.0.113.10 toward the eBGP peer, under a default advertisement.
Case policy(std::string name, Svc service, std::string reason) {
  const bool announced = reason == "announced";
  const std::string decision = announced
                                   ? "default/web 203.0.113.10 -> ebgp 203.0.113.10/32: announced"
                                   : "default/web 203.0.113.10 -> * -: " + reason;
  return {.name = std::move(name),
          .ads = {{.name = "all"}},
          .services = {service.info},
          .decisions = {decision},
          .routes = {{"ebgp", announced ? Routes{{"203.0.113.10/32", ""}} : Routes{}}},
          .peers = {ebgp()}};
}

// Two halves of one /24, each with its own advertisement and communities, aggregated.
Case aggregate(std::string name, Svc s1, Svc s2, std::vector<std::string> decisions,
               Routes routes) {
  return {.name = std::move(name),
          .ads = {{.name = "low",
                   .aggregation_length = 24,
                   .communities = {"64496:1"},
                   .pools = {"low"}},
                  {.name = "high",
                   .aggregation_length = 24,
                   .communities = {"64496:2", "big"},
                   .pools = {"high"}}},
          .services = {s1.info, s2.info},
          .decisions = std::move(decisions),
          .routes = {{"ebgp", std::move(routes)}},
          .peers = {ebgp()},
          .tweak = split_public};
}

Svc web() { return Svc("web", {"203.0.113.10"}); }

std::vector<Case> kubernetes_cases() {
  return {
      policy("Cluster: no endpoints at all", web().endpoints({}), "noEndpoints"),
      policy("Cluster: a ready endpoint on another node", web().endpoints({ep("node-b", true)}),
             "announced"),
      policy("Cluster: a serving (terminating) endpoint on another node",
             web().endpoints({ep("node-b", false, true)}), "announced"),
      policy("Cluster: endpoints that neither are ready nor serve",
             web().endpoints({ep("node-a", false), ep("node-b", false)}), "noEndpoints"),
      policy("Cluster: an endpoint without a node still counts", web().endpoints({ep("", true)}),
             "announced"),
      policy("Cluster: an address unready in one entry is unready",
             web().endpoints({ep("node-b", true, false, "x"), ep("node-b", false, false, "x")}),
             "noEndpoints"),
      policy("Cluster: another address can still serve",
             web().endpoints({ep("node-b", true, false, "x"), ep("node-b", false, false, "x"),
                              ep("node-c", true, false, "y")}),
             "announced"),
      policy("Local: a ready endpoint on this node", web().local().endpoints({ep("node-a", true)}),
             "announced"),
      policy("Local: a serving endpoint on this node",
             web().local().endpoints({ep("node-a", false, true)}), "announced"),
      policy("Local: ready endpoints on other nodes only",
             web().local().endpoints({ep("node-b", true), ep("node-c", true)}), "noLocalEndpoints"),
      policy("Local: the endpoint on this node neither is ready nor serves",
             web().local().endpoints({ep("node-a", false), ep("node-b", true)}),
             "noLocalEndpoints"),
      policy("Local: an endpoint without a node is not local",
             web().local().endpoints({ep("", true)}), "noLocalEndpoints"),
      policy("Local: no endpoints at all", web().local().endpoints({}), "noLocalEndpoints"),
      policy("the health verdict does not matter in Kubernetes", web().health(Health::kFailing),
             "announced"),
      aggregate("Local + aggregation: the /24 follows the service that qualifies",
                Svc("s1", {"203.0.113.10"}).local(),
                Svc("s2", {"203.0.113.200"}).local().endpoints({ep("node-b", true)}),
                {"default/s1 203.0.113.10 -> ebgp 203.0.113.0/24: announced",
                 "default/s2 203.0.113.200 -> * -: noLocalEndpoints"},
                {{"203.0.113.0/24", "c=64496:1"}}),
      aggregate("aggregation: attributes merge over every qualifying service",
                Svc("s1", {"203.0.113.10"}), Svc("s2", {"203.0.113.200"}).local(),
                {"default/s1 203.0.113.10 -> ebgp 203.0.113.0/24: announced",
                 "default/s2 203.0.113.200 -> ebgp 203.0.113.0/24: announced"},
                {{"203.0.113.0/24", "c=64496:1,64496:2 lc=64496:7:8"}}),
      aggregate("aggregation: no qualifying service, no route",
                Svc("s1", {"203.0.113.10"}).endpoints({}),
                Svc("s2", {"203.0.113.200"}).local().endpoints({}),
                {"default/s1 203.0.113.10 -> * -: noEndpoints",
                 "default/s2 203.0.113.200 -> * -: noLocalEndpoints"},
                {}),
  };
}

std::vector<Case> standalone_cases() {
  return {
      policy("Cluster without a health check: announced, endpoints are not looked at",
             web().health(Health::kUnchecked).endpoints({}), "announced"),
      policy("Cluster with a passing check", web().health(Health::kPassing), "announced"),
      policy("Cluster with a failing check", web().health(Health::kFailing), "healthCheckFailing"),
      policy("Cluster with a check that has no verdict yet", web().health(Health::kPending),
             "healthCheckPending"),
      policy("Local with a passing check, no endpoints needed",
             web().local().health(Health::kPassing).endpoints({}), "announced"),
      policy("Local with a failing check, whatever the endpoints say",
             web().local().health(Health::kFailing).endpoints({ep("node-a", true)}),
             "healthCheckFailing"),
      policy("Local with a check that has no verdict yet", web().local().health(Health::kPending),
             "healthCheckPending"),
      policy("Local without a check", web().local().health(Health::kUnchecked), "noHealthCheck"),
      aggregate("aggregation: a failing service adds nothing to the route",
                Svc("s1", {"203.0.113.10"}).local(),
                Svc("s2", {"203.0.113.200"}).health(Health::kFailing),
                {"default/s1 203.0.113.10 -> ebgp 203.0.113.0/24: announced",
                 "default/s2 203.0.113.200 -> * -: healthCheckFailing"},
                {{"203.0.113.0/24", "c=64496:1"}}),
      aggregate("aggregation: attributes merge over every healthy service",
                Svc("s1", {"203.0.113.10"}).local(),
                Svc("s2", {"203.0.113.200"}).health(Health::kUnchecked),
                {"default/s1 203.0.113.10 -> ebgp 203.0.113.0/24: announced",
                 "default/s2 203.0.113.200 -> ebgp 203.0.113.0/24: announced"},
                {{"203.0.113.0/24", "c=64496:1,64496:2 lc=64496:7:8"}}),
  };
}

TEST(Planner, TrafficPolicyKubernetes) {
  for (const auto& c : kubernetes_cases()) check(c, kK8s);
}

TEST(Planner, TrafficPolicyStandalone) {
  for (const auto& c : standalone_cases()) check(c, kStandalone);
}

// Every reason is produced by some case above (for both kinds where it applies).
TEST(Planner, EveryReasonIsReached) {
  std::set<Reason> kubernetes;
  std::set<Reason> standalone;
  for (const auto& c : advertisement_cases()) check(c, kK8s, &kubernetes);
  for (const auto& c : peer_and_node_cases()) check(c, kK8s, &kubernetes);
  for (const auto& c : kubernetes_cases()) check(c, kK8s, &kubernetes);
  for (const auto& c : advertisement_cases()) check(c, kStandalone, &standalone);
  for (const auto& c : peer_and_node_cases()) check(c, kStandalone, &standalone);
  for (const auto& c : standalone_cases()) check(c, kStandalone, &standalone);
  const std::set<Reason> kubernetes_only = {Reason::kNoEndpoints, Reason::kNoLocalEndpoints};
  const std::set<Reason> standalone_only = {Reason::kHealthCheckFailing,
                                            Reason::kHealthCheckPending, Reason::kNoHealthCheck};
  for (const auto reason : kAllReasons) {
    SCOPED_TRACE(std::string(to_string(reason)));
    EXPECT_EQ(kubernetes.contains(reason), !standalone_only.contains(reason));
    EXPECT_EQ(standalone.contains(reason), !kubernetes_only.contains(reason));
  }
}

TEST(Planner, ReasonNames) {
  EXPECT_EQ(to_string(Reason::kAnnounced), "announced");
  EXPECT_EQ(to_string(Reason::kNoLocalEndpoints), "noLocalEndpoints");
  EXPECT_EQ(to_string(Reason::kNodeExcluded), "nodeExcluded");
  EXPECT_EQ(to_string(Reason::kNoMatchingAdvertisement), "noMatchingAdvertisement");
  EXPECT_EQ(to_string(Reason::kNodeNetworkUnavailable), "nodeNetworkUnavailable");
  std::set<std::string_view> names;
  for (const auto reason : kAllReasons) {
    const auto name = to_string(reason);
    EXPECT_NE(name, "unknown");
    EXPECT_TRUE(name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") ==
                std::string_view::npos)
        << name;
    EXPECT_TRUE(name[0] >= 'a' && name[0] <= 'z') << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), kAllReasons.size());
  EXPECT_EQ(static_cast<std::size_t>(Reason::kAddressFamilyNotCarried) + 1, kAllReasons.size());
}

TEST(Planner, IsInternal) {
  EXPECT_TRUE(is_internal(ibgp()));
  EXPECT_FALSE(is_internal(ebgp()));
  EXPECT_TRUE(
      is_internal(config::Peer{.my_asn = 64496, .dynamic_asn = config::DynamicAsn::kInternal}));
  EXPECT_FALSE(
      is_internal(config::Peer{.my_asn = 64496, .dynamic_asn = config::DynamicAsn::kExternal}));
}

// Peers keep configuration order and point into the configuration; the plan does not depend
// on the order of services or nodes in the snapshot.
TEST(Planner, DeterministicAndInConfigurationOrder) {
  config::Config config = base_config();
  config.peers = {peer("zeta", 64496, 64496, "192.0.2.9"), ebgp(),
                  peer("alpha", 64496, 64500, "192.0.2.7")};
  config.bgp_advertisements = {
      {.name = "agg", .aggregation_length = 24, .local_pref = 50, .communities = {"64496:9"}},
      {.name = "host", .communities = {"big"}, .peers = {"alpha"}}};
  Snapshot snapshot{.kind = kK8s, .config = &config};
  snapshot.nodes = {NodeInfo{.name = "node-b"}, node_a(), NodeInfo{.name = "node-c"}};
  snapshot.services = {Svc("c", {"203.0.113.30", "2001:db8:1::30"}), Svc("a", {"203.0.113.10"}),
                       Svc("b", {"198.51.100.20"}).local().endpoints({}),
                       Svc("d", {"203.0.113.40"}).endpoints({ep("node-b", true)})};
  const Plan first = plan(snapshot, kNode);

  ASSERT_EQ(first.peers.size(), 3u);
  EXPECT_EQ(first.peers[0].peer, &config.peers[0]);
  EXPECT_EQ(first.peers[1].peer, &config.peers[1]);
  EXPECT_EQ(first.peers[2].peer, &config.peers[2]);
  EXPECT_TRUE(first.peers[0].internal);
  EXPECT_FALSE(first.peers[2].internal);
  EXPECT_TRUE(std::is_sorted(first.decisions.begin(), first.decisions.end(), decision_order));
  EXPECT_EQ(render(first.decisions.front()),
            "default/a 203.0.113.10 -> alpha 203.0.113.0/24: announced");
  EXPECT_EQ(render(*first.peers[2].routes.at(Prefix::parse("203.0.113.30/32").value())),
            "lc=64496:7:8");

  std::reverse(snapshot.services.begin(), snapshot.services.end());
  std::reverse(snapshot.nodes.begin(), snapshot.nodes.end());
  for (auto& s : snapshot.services) std::reverse(s.addresses.begin(), s.addresses.end());
  EXPECT_EQ(plan(snapshot, kNode), first);
  EXPECT_EQ(plan(snapshot, kNode), plan(snapshot, kNode));
}

}  // namespace
}  // namespace vipd::planner
