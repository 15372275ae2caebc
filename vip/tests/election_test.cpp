// vip::elect against MetalLB's layer-2 rules. Expected orders were computed independently with
//   python3 -c 'import hashlib; print(sorted(NODES, key=lambda n:
//               hashlib.sha256((n + "#" + KEY).encode()).digest()))'
// which is MetalLB's comparison (bytes.Compare of sha256.Sum256(node + "#" + ip)):
//   192.0.2.130    -> node-b, node-c, node-a
//   192.0.2.131    -> node-a, node-c, node-b
//   2001:db8:2::10 -> node-c, node-a, node-b
#include "vip/election.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/prefix.hpp"

namespace vipd::vip {
namespace {

using planner::Endpoint;
using planner::ServiceInfo;
using ::testing::ElementsAre;

IpAddress ip(std::string_view text) { return IpAddress::parse(text).value(); }

config::Pool pool(std::string name, const std::vector<std::string_view>& blocks,
                  Labels labels = {}) {
  config::Pool p{.name = std::move(name)};
  for (const auto b : blocks) {
    p.addresses.push_back(
        {.range = IpRange::from_prefix(Prefix::parse(b).value()), .is_cidr = true});
  }
  p.labels = std::move(labels);
  return p;
}

LabelSelector sel(Labels match_labels) { return {std::move(match_labels), {}}; }

// "lan" (IPv4 and IPv6) is announced by layer 2; "public" by BGP only.
config::Config base_config() {
  config::Config c;
  c.pools = {pool("lan", {"192.0.2.128/26", "2001:db8:2::/64"}, {{"zone", "lan"}}),
             pool("public", {"203.0.113.0/24"})};
  c.l2_advertisements = {{.name = "l2", .pools = {"lan"}}};
  return c;
}

planner::NodeInfo node(std::string name, Labels extra = {}) {
  Labels labels{{"kubernetes.io/hostname", name}};
  labels.insert(extra.begin(), extra.end());
  return {.name = std::move(name), .labels = std::move(labels)};
}

ServiceInfo service(std::string name, const std::vector<std::string_view>& addresses,
                    std::vector<std::string> endpoint_nodes = {"node-a", "node-b", "node-c"}) {
  ServiceInfo s{.namespace_ = "default", .name = std::move(name)};
  for (const auto a : addresses) s.addresses.push_back(ip(a));
  for (auto& n : endpoint_nodes) s.endpoints.push_back({.node = std::move(n), .ready = true});
  return s;
}

struct Fixture {
  config::Config config = base_config();
  planner::Snapshot snapshot;
  Liveness liveness{.live = {"node-a", "node-b", "node-c"}};
  Fixture() {
    snapshot.config = &config;
    snapshot.nodes = {node("node-a"), node("node-b"), node("node-c")};
  }
  std::vector<Decision> elect_on(std::string_view n) const { return elect(snapshot, n, liveness); }
  Decision one(std::string_view n) const {
    auto d = elect_on(n);
    EXPECT_EQ(d.size(), 1u);
    return d.empty() ? Decision{} : d.front();
  }
};

TEST(BfdNeighbours, TheCandidatesNextToThisNodeInEachRanking) {
  std::vector<Decision> decisions(3);
  decisions[0].ranked = {"a", "b", "c", "d"};
  decisions[1].ranked = {"c", "a"};
  decisions[2].ranked = {"d"};
  EXPECT_THAT(bfd_neighbours(decisions, "a"), ElementsAre("b", "c"));
  EXPECT_THAT(bfd_neighbours(decisions, "b"), ElementsAre("a", "c"));
  EXPECT_THAT(bfd_neighbours(decisions, "c"), ElementsAre("a", "b", "d"));
  EXPECT_THAT(bfd_neighbours(decisions, "d"), ElementsAre("c"));
  EXPECT_THAT(bfd_neighbours(decisions, "e"), ElementsAre());
  // Symmetric: whoever x keeps a session with keeps one with x.
  for (const auto* x : {"a", "b", "c", "d"}) {
    for (const auto& y : bfd_neighbours(decisions, x)) {
      EXPECT_TRUE(bfd_neighbours(decisions, y).contains(x)) << x << " " << y;
    }
  }
}

TEST(Rank, MatchesMetallbOrder) {
  EXPECT_THAT(rank({"node-a", "node-b", "node-c"}, "192.0.2.130"),
              ElementsAre("node-b", "node-c", "node-a"));
  EXPECT_THAT(rank({"node-c", "node-b", "node-a"}, "192.0.2.131"),
              ElementsAre("node-a", "node-c", "node-b"));
  EXPECT_THAT(rank({"node-b", "node-a", "node-c"}, "2001:db8:2::10"),
              ElementsAre("node-c", "node-a", "node-b"));
}

TEST(Rank, ScoreComesFirst) {
  const auto score = [](std::string_view n) { return n == "node-a" ? 10 : 0; };
  EXPECT_THAT(rank({"node-a", "node-b", "node-c"}, "192.0.2.130", score),
              ElementsAre("node-a", "node-b", "node-c"));
}

TEST(Elect, EveryNodeAgreesOnOneOwner) {
  Fixture f;
  f.snapshot.services = {service("web", {"192.0.2.130"})};
  int owners = 0;
  for (const auto* n : {"node-a", "node-b", "node-c"}) {
    const auto d = f.one(n);
    EXPECT_EQ(d.owner, "node-b") << n;
    EXPECT_THAT(d.ranked, ElementsAre("node-b", "node-c", "node-a"));
    owners += d.mine ? 1 : 0;
    EXPECT_EQ(d.reason, d.mine ? Reason::kOwner : Reason::kNotOwner) << d.detail;
  }
  EXPECT_EQ(owners, 1);
  EXPECT_EQ(f.one("node-a").detail, "node 'node-b' ranks first");
  EXPECT_EQ(f.one("node-b").detail, "node 'node-b' ranks first of 3 candidates");
  EXPECT_TRUE(f.one("node-b").all_interfaces);
}

TEST(Elect, BgpPoolsAndUnknownAddressesAreNotLayer2) {
  Fixture f;
  f.snapshot.services = {service("bgp", {"203.0.113.5"}), service("nowhere", {"198.51.100.1"}),
                         service("none", {})};
  EXPECT_TRUE(f.elect_on("node-a").empty());
}

TEST(Elect, DualStackStaysTogetherKeyedOnTheFirstAddress) {
  Fixture f;
  f.snapshot.services = {service("web", {"2001:db8:2::10", "192.0.2.130"})};
  const auto d = f.one("node-c");
  EXPECT_EQ(d.key, ip("2001:db8:2::10"));
  EXPECT_THAT(d.addresses, ElementsAre(ip("2001:db8:2::10"), ip("192.0.2.130")));
  EXPECT_TRUE(d.mine);  // node-c ranks first for the IPv6 key, though node-b would for IPv4
}

TEST(Elect, SharedAddressLandsOnOneNode) {
  Fixture f;
  f.snapshot.services = {service("tcp", {"192.0.2.131"}), service("udp", {"192.0.2.131"})};
  const auto d = f.elect_on("node-a");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_TRUE(d[0].mine);
  EXPECT_TRUE(d[1].mine);
}

TEST(Elect, DeadOwnerIsReplacedByTheNext) {
  Fixture f;
  f.snapshot.services = {service("web", {"192.0.2.130"})};
  f.liveness.live.erase("node-b");
  const auto d = f.one("node-c");
  EXPECT_TRUE(d.mine);
  EXPECT_THAT(d.ranked, ElementsAre("node-c", "node-a"));
  const auto dead = f.one("node-b");  // its own view, once it sees itself as not live
  EXPECT_FALSE(dead.mine);
  EXPECT_EQ(dead.reason, Reason::kNodeNotLive);
  EXPECT_EQ(dead.detail, "node 'node-b' is not live; node 'node-c' owns it");
}

TEST(Elect, NoServingEndpointAnywhereMeansNoOwner) {
  Fixture f;
  auto s = service("web", {"192.0.2.130"}, {});
  s.endpoints = {{.node = "node-b", .ready = false, .serving = false}};
  f.snapshot.services = {s};
  const auto d = f.one("node-b");
  EXPECT_FALSE(d.owner);
  EXPECT_EQ(d.reason, Reason::kNoEndpoints);
  // Serving while terminating counts, as in MetalLB.
  f.snapshot.services[0].endpoints[0].serving = true;
  EXPECT_TRUE(f.one("node-b").mine);
}

TEST(Elect, ClusterPolicyDoesNotNeedALocalEndpoint) {
  Fixture f;
  f.snapshot.services = {service("web", {"192.0.2.130"}, {"node-a"})};
  EXPECT_TRUE(f.one("node-b").mine);
}

TEST(Elect, LocalPolicyOnlyNodesWithAServingEndpoint) {
  Fixture f;
  auto s = service("web", {"192.0.2.130"}, {"node-a", "node-c"});
  s.traffic_policy = config::TrafficPolicy::kLocal;
  f.snapshot.services = {s};
  const auto b = f.one("node-b");
  EXPECT_EQ(b.reason, Reason::kNoLocalEndpoint);
  EXPECT_EQ(b.owner, "node-c");
  EXPECT_THAT(b.ranked, ElementsAre("node-c", "node-a"));
  EXPECT_TRUE(f.one("node-c").mine);
  // The endpoint moves: so does the VIP.
  f.snapshot.services[0].endpoints = {{.node = "node-a", .ready = true}};
  EXPECT_TRUE(f.one("node-a").mine);
  EXPECT_FALSE(f.one("node-c").mine);
}

TEST(Elect, RomanaVipNeedsALocalEndpointWhateverThePolicy) {
  Fixture f;
  auto s = service("vip", {"192.0.2.130"}, {"node-a"});
  s.romana_vip = true;
  f.snapshot.services = {s};
  EXPECT_TRUE(f.one("node-a").mine);
  const auto b = f.one("node-b");
  EXPECT_EQ(b.reason, Reason::kNoLocalEndpoint);
  EXPECT_EQ(b.detail,
            "a Romana VIP and no endpoint on node 'node-b' is ready or serving; node 'node-a' owns "
            "it");
}

TEST(Elect, NodeSelectorsOfTheAdvertisement) {
  Fixture f;
  f.snapshot.nodes[0].labels["l2"] = "yes";
  f.snapshot.nodes[2].labels["l2"] = "yes";
  f.config.l2_advertisements[0].node_selectors = {sel({{"l2", "yes"}})};
  f.snapshot.services = {service("web", {"192.0.2.130"})};
  EXPECT_EQ(f.one("node-b").reason, Reason::kNodeNotSelected);
  EXPECT_TRUE(f.one("node-c").mine);  // node-b ranked first but is not selected
}

TEST(Elect, ExcludedAndNetworkUnavailableNodesAreNotCandidates) {
  Fixture f;
  f.snapshot.services = {service("web", {"192.0.2.130"})};
  f.snapshot.nodes[1].labels[std::string(planner::kExcludeFromLoadBalancersLabel)] = "";
  EXPECT_EQ(f.one("node-b").reason, Reason::kNodeExcluded);
  EXPECT_TRUE(f.one("node-c").mine);
  f.snapshot.ignore_exclude_label = true;
  EXPECT_TRUE(f.one("node-b").mine);
  f.snapshot.nodes[1].network_unavailable = true;
  EXPECT_EQ(f.one("node-b").reason, Reason::kNodeNetworkUnavailable);
  EXPECT_TRUE(f.one("node-c").mine);
}

TEST(Elect, ANodeThatIsNotReadyIsNotACandidate) {
  Fixture f;
  f.snapshot.services = {service("web", {"192.0.2.130"})};
  f.snapshot.nodes[1].ready = false;  // node-b, first by the hash
  EXPECT_EQ(f.one("node-b").reason, Reason::kNodeNotReady);
  EXPECT_EQ(f.one("node-b").detail, "node 'node-b' is not Ready; node 'node-c' owns it");
  EXPECT_TRUE(f.one("node-c").mine);
}

TEST(Elect, PoolSelectorsAndServiceSelectors) {
  Fixture f;
  f.config.l2_advertisements[0].pools.clear();
  f.config.l2_advertisements[0].pool_selectors = {sel({{"zone", "lan"}})};
  f.config.l2_advertisements[0].service_selectors = {sel({{"app", "web"}})};
  auto web = service("web", {"192.0.2.130"});
  web.labels = {{"app", "web"}};
  f.snapshot.services = {web, service("other", {"192.0.2.131"})};
  const auto d = f.elect_on("node-b");
  ASSERT_EQ(d.size(), 1u);  // "other" is in the pool but no advertisement selects it
  EXPECT_EQ(d[0].service, "default/web");
  EXPECT_EQ(d[0].pool, "lan");
}

TEST(Elect, InterfacesOfTheAdvertisementsSelectingThisNode) {
  Fixture f;
  f.snapshot.nodes[1].labels["rack"] = "r2";
  f.config.l2_advertisements = {
      {.name = "a", .pools = {"lan"}, .interfaces = {"eth1", "eth0"}},
      {.name = "b",
       .pools = {"lan"},
       .node_selectors = {sel({{"rack", "r2"}})},
       .interfaces = {"eth0", "bond0"}},
  };
  f.snapshot.services = {service("web", {"192.0.2.130"})};
  EXPECT_THAT(f.one("node-b").interfaces, ElementsAre("eth1", "eth0", "bond0"));
  EXPECT_THAT(f.one("node-a").interfaces, ElementsAre("eth1", "eth0"));
  EXPECT_FALSE(f.one("node-a").all_interfaces);
  f.config.l2_advertisements.push_back({.name = "c", .pools = {"lan"}});
  EXPECT_TRUE(f.one("node-a").all_interfaces);
  EXPECT_TRUE(f.one("node-a").interfaces.empty());
}

TEST(Elect, PreferredNodeSelectorsWinOverTheHash) {
  Fixture f;
  f.snapshot.nodes[0].labels["fast"] = "yes";
  f.config.l2_advertisements[0].preferred_node_selectors = {
      {.weight = 50, .preference = sel({{"fast", "yes"}})}};
  f.snapshot.services = {service("web", {"192.0.2.130"})};
  EXPECT_TRUE(f.one("node-a").mine);
  EXPECT_THAT(f.one("node-b").ranked, ElementsAre("node-a", "node-b", "node-c"));
  // The preferred node dies: the hash order decides among the rest.
  f.liveness.live.erase("node-a");
  EXPECT_TRUE(f.one("node-b").mine);
}

TEST(Elect, NamedPoolMustHoldTheAddress) {
  Fixture f;
  auto s = service("web", {"192.0.2.130"});
  s.pool = "public";  // the controller says "public", which does not hold it
  f.snapshot.services = {s};
  EXPECT_TRUE(f.elect_on("node-b").empty());
  f.snapshot.services[0].pool = "lan";
  EXPECT_TRUE(f.one("node-b").mine);
}

TEST(Elect, NodeMissingFromTheSnapshotNeverOwns) {
  Fixture f;
  f.snapshot.services = {service("web", {"192.0.2.130"})};
  const auto d = f.one("node-z");
  EXPECT_FALSE(d.mine);
  EXPECT_EQ(d.reason, Reason::kNodeNotSelected);
  EXPECT_EQ(d.owner, "node-b");
}

TEST(Elect, StandaloneHealthDecidesForThisNode) {
  Fixture f;
  f.snapshot.kind = planner::SnapshotKind::kStandalone;
  auto s = service("web", {"192.0.2.130"}, {});
  s.health = planner::Health::kFailing;
  f.snapshot.services = {s};
  const auto b = f.one("node-b");
  EXPECT_EQ(b.reason, Reason::kHealthCheck);
  // The others learn node-b's verdict through its liveness for the service.
  f.liveness.service_live = [](std::string_view n, std::string_view) { return n != "node-b"; };
  f.snapshot.services[0].health = planner::Health::kPassing;
  EXPECT_TRUE(f.one("node-c").mine);
  // Local without a check: nothing vouches for the service here.
  f.liveness.service_live = {};
  f.snapshot.services[0].traffic_policy = config::TrafficPolicy::kLocal;
  f.snapshot.services[0].health = planner::Health::kUnchecked;
  EXPECT_EQ(f.one("node-b").reason, Reason::kHealthCheck);
}

TEST(Elect, ReasonNames) {
  EXPECT_EQ(to_string(Reason::kOwner), "owner");
  EXPECT_EQ(to_string(Reason::kNoLocalEndpoint), "noLocalEndpoint");
  EXPECT_EQ(to_string(Reason::kNodeNotLive), "nodeNotLive");
}

}  // namespace
}  // namespace vipd::vip
