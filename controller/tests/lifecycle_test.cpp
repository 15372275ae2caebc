// The controller over time: restart adoption and its conflicts, configuration changes,
// deletions that free addresses for waiting Services, --lb-class, type changes, Romana VIPs on
// ClusterIP and LoadBalancer Services, malformed annotations, namespace labels, deprecated
// annotations and Event repetition. Each step feeds back the Service as the desired state
// writes it, as the informer would.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "controller/decider.hpp"
#include "controller/tests/builders.hpp"

namespace vipd::controller {
namespace {

using test::ips;
using test::key;
using test::pool_doc;
using test::reasons;
using test::Svc;
using Reasons = std::vector<std::string>;

const config::Config& one_pool() {
  static const config::Config c = test::resources(pool_doc("p", {"203.0.113.0/29"}));
  return c;
}

// A Decider that has synced `services` under `config`.
Decider synced(const config::Config& config, const std::vector<k8s::Service>& services,
               Changes* changes = nullptr, DeciderOptions options = {}) {
  Decider d(std::move(options));
  EXPECT_TRUE(d.set_config(config));
  auto c = d.sync(services, {});
  if (changes != nullptr) *changes = std::move(c);
  return d;
}

std::vector<IpAddress> held(const Decider& d, std::string_view id) {
  const auto* a = d.allocator().assignment(key(id));
  return a == nullptr ? std::vector<IpAddress>{} : a->addresses;
}

// --- restart -------------------------------------------------------------------------------

TEST(Restart, EveryShownAddressIsKeptBeforeAnythingNewIsAllocated) {
  const std::vector<k8s::Service> services = {
      Svc("a"),  // nothing yet: would take .0 if it came first
      Svc("b").ingress({"203.0.113.3"}).annotate("metallb.io/ip-allocated-from-pool", "p"),
      Svc("c").ingress({"203.0.113.0"}).annotate("metallb.io/ip-allocated-from-pool", "p"),
      Svc("d").require_dual().ingress({"203.0.113.1"}),  // the IPv4 half of a dual-stack request
  };
  Changes c;
  const Decider d = synced(one_pool(), services, &c);
  EXPECT_EQ(held(d, "a"), ips({"203.0.113.2"}));
  EXPECT_EQ(held(d, "b"), ips({"203.0.113.3"}));
  EXPECT_EQ(held(d, "c"), ips({"203.0.113.0"}));
  // d asks for both families, the pool has IPv4 only: it keeps nothing (MetalLB clears too).
  EXPECT_TRUE(held(d, "d").empty());
  EXPECT_EQ(test::describe(c.events),
            (std::vector<std::string>{
                "Normal IPAllocated default/a: Assigned IP [\"203.0.113.2\"]",
                "Warning AllocationFailed default/d: Failed to allocate IP for \"default/d\": no "
                "free address for default/d in the address pools 'p': it needs both an IPv4 and an "
                "IPv6 address (RequireDualStack)",
            }));
  // b and c are already as desired: a restart writes nothing on them.
  EXPECT_TRUE(satisfied(test::desired(c, key("b")), services[1]));
  EXPECT_TRUE(satisfied(test::desired(c, key("c")), services[2]));
  EXPECT_FALSE(satisfied(test::desired(c, key("d")), services[3]));
  EXPECT_TRUE(test::desired(c, key("d")).ingress.empty());
}

TEST(Restart, ConfigurationAfterTheServicesAdoptsToo) {
  Decider d;
  EXPECT_TRUE(d.upsert(Svc("x")).empty());  // nothing is decided before sync and configuration
  EXPECT_TRUE(d.sync({Svc("a"), Svc("b").ingress({"203.0.113.0"})}, {}).empty());
  EXPECT_FALSE(d.ready());
  const auto c = d.set_config(one_pool());
  ASSERT_TRUE(c);
  EXPECT_TRUE(d.ready());
  EXPECT_EQ(held(d, "b"), ips({"203.0.113.0"}));
  EXPECT_EQ(held(d, "a"), ips({"203.0.113.1"}));
  EXPECT_EQ(c.value().services.size(), 2u);
}

TEST(Restart, TwoServicesClaimingOneAddressTheFirstByKeyKeepsIt) {
  const std::vector<k8s::Service> services = {
      Svc("team/zeta").ingress({"203.0.113.4"}),
      Svc("team/alpha").ingress({"203.0.113.4"}),
      Svc("shared-1").share("k").port(80).ingress({"203.0.113.5"}),
      Svc("shared-2").share("k").port(443).ingress({"203.0.113.5"}),
  };
  for (int order = 0; order < 2; ++order) {
    auto input = services;
    if (order == 1) std::reverse(input.begin(), input.end());
    Changes c;
    const Decider d = synced(one_pool(), input, &c);
    EXPECT_EQ(held(d, "team/alpha"), ips({"203.0.113.4"}));
    EXPECT_EQ(held(d, "team/zeta"), ips({"203.0.113.0"}));
    // Services that may share one address both keep it.
    EXPECT_EQ(held(d, "shared-1"), ips({"203.0.113.5"}));
    EXPECT_EQ(held(d, "shared-2"), ips({"203.0.113.5"}));
    EXPECT_EQ(test::describe(c.events),
              (std::vector<std::string>{
                  "Normal ClearAssignment team/zeta: current IP for \"team/zeta\" not allowed by "
                  "config, will attempt for new IP assignment: 203.0.113.4 is in use by "
                  "team/alpha, which does not allow sharing (it has no sharing key)",
                  "Normal IPAllocated team/zeta: Assigned IP [\"203.0.113.0\"]",
              }));
  }
}

TEST(Restart, RomanaExternalIpsRecordedByVipdAreKept) {
  const auto config = test::resources(pool_doc("l2", {"203.0.113.0/29"}) + test::l2_doc("l2"));
  const k8s::Service vip = Svc("vip")
                               .cluster_ip()
                               .romana(R"({"auto": true})")
                               .external({"198.51.100.7", "203.0.113.3"})
                               .annotate("vipd.io/external-ips", "203.0.113.3")
                               .annotate("metallb.io/ip-allocated-from-pool", "l2");
  Changes c;
  const Decider d = synced(config, {Svc("a").cluster_ip().romana(R"({"auto": true})"), vip}, &c);
  EXPECT_EQ(held(d, "vip"), ips({"203.0.113.3"}));
  EXPECT_EQ(held(d, "a"), ips({"203.0.113.0"}));
  EXPECT_TRUE(satisfied(test::desired(c, key("vip")), vip));
  EXPECT_EQ(reasons(c, key("vip")), Reasons{});
}

TEST(Restart, AServiceFirstSeenAfterSyncKeepsWhatAPreviousLeaderGaveIt) {
  Decider d = synced(one_pool(), {Svc("a")});
  const auto late = d.upsert(Svc("late").ingress({"203.0.113.5"}));
  EXPECT_EQ(held(d, "late"), ips({"203.0.113.5"}));
  EXPECT_EQ(reasons(late, key("late")), Reasons{});
  // A Service seen before is decided by what vipd holds, not by a stale status.
  const auto stale = d.upsert(Svc("a").ingress({"203.0.113.6"}));
  EXPECT_EQ(held(d, "a"), ips({"203.0.113.0"}));
  EXPECT_EQ(test::desired(stale, key("a")).ingress, ips({"203.0.113.0"}));
}

TEST(Restart, SyncAgainStartsOverFromTheViews) {
  Decider d = synced(one_pool(), {Svc("a")});
  EXPECT_EQ(held(d, "a"), ips({"203.0.113.0"}));
  // A new term: the views are the truth again (here b shows .0 and a shows nothing).
  d.sync({Svc("a"), Svc("b").ingress({"203.0.113.0"})}, {});
  EXPECT_EQ(held(d, "b"), ips({"203.0.113.0"}));
  EXPECT_EQ(held(d, "a"), ips({"203.0.113.1"}));
}

// --- configuration changes -----------------------------------------------------------------

TEST(Configuration, ShrinkClearsAndReallocatesWithEvents) {
  Changes c;
  Decider d = synced(
      test::resources(pool_doc("p", {"203.0.113.0/29"}) + pool_doc("q", {"198.51.100.0/31"})),
      {Svc("a").pool("p"), Svc("b").lb_ips("203.0.113.5"), Svc("c").pool("p"), Svc("d"), Svc("e"),
       Svc("f")},
      &c);
  EXPECT_EQ(held(d, "c"), ips({"203.0.113.1"}));
  EXPECT_EQ(held(d, "f"), ips({"203.0.113.4"}));
  // p shrinks to .0-.1 and q grows: b's requested address and d, e, f's are gone.
  const auto shrunk = d.set_config(
      test::resources(pool_doc("p", {"203.0.113.0/31"}) + pool_doc("q", {"198.51.100.0/30"})));
  ASSERT_TRUE(shrunk);
  const auto& s = shrunk.value();
  EXPECT_EQ(reasons(s, key("a")), Reasons{});
  EXPECT_EQ(reasons(s, key("c")), Reasons{});
  EXPECT_EQ(reasons(s, key("b")), (Reasons{"Normal ClearAssignment", "Warning AllocationFailed"}));
  EXPECT_EQ(reasons(s, key("d")), (Reasons{"Normal ClearAssignment", "Normal IPAllocated"}));
  EXPECT_EQ(reasons(s, key("f")), (Reasons{"Normal ClearAssignment", "Normal IPAllocated"}));
  EXPECT_EQ(test::describe(s.events)[0],
            "Normal ClearAssignment default/b: current IP for \"default/b\" not allowed by config, "
            "will attempt for new IP assignment: 203.0.113.5 is not in any address pool");
  EXPECT_EQ(held(d, "d"), ips({"198.51.100.0"}));
  EXPECT_EQ(held(d, "e"), ips({"198.51.100.1"}));
  EXPECT_EQ(held(d, "f"), ips({"198.51.100.2"}));
  EXPECT_TRUE(held(d, "b").empty());
  EXPECT_TRUE(test::desired(s, key("b")).ingress.empty());
  EXPECT_EQ(test::desired(s, key("b")).pool, std::nullopt);

  // The same configuration again: nothing happens.
  const auto same = d.set_config(
      test::resources(pool_doc("p", {"203.0.113.0/31"}) + pool_doc("q", {"198.51.100.0/30"})));
  ASSERT_TRUE(same);
  EXPECT_TRUE(same.value().empty());
}

TEST(Configuration, RenamedPoolMovesTheAnnotationOnlyAndOtherSettingsChangeNothing) {
  Changes c;
  Decider d = synced(one_pool(), {Svc("a")}, &c);
  const auto renamed = d.set_config(test::resources(pool_doc("renamed", {"203.0.113.0/29"})));
  ASSERT_TRUE(renamed);
  EXPECT_TRUE(renamed.value().events.empty());
  EXPECT_EQ(test::desired(renamed.value(), key("a")).pool, "renamed");
  EXPECT_EQ(test::desired(renamed.value(), key("a")).ingress, ips({"203.0.113.0"}));
  // A BGP peer added: nothing allocation reads has changed.
  const auto with_peer = d.set_config(test::resources(
      pool_doc("renamed", {"203.0.113.0/29"}) +
      "---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata:\n  name: r\n  namespace: "
      "metallb-system\nspec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n"));
  ASSERT_TRUE(with_peer);
  EXPECT_TRUE(with_peer.value().empty());
}

TEST(Configuration, NoPoolAtAllClearsWithoutAWordAndAPoolAgainAllocates) {
  Decider d = synced(one_pool(), {Svc("a")});
  const auto none = d.set_config(config::Config{});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none.value().events.empty());  // MetalLB: "pools are empty", no Event
  EXPECT_TRUE(test::desired(none.value(), key("a")).manage);
  EXPECT_TRUE(test::desired(none.value(), key("a")).ingress.empty());
  EXPECT_TRUE(held(d, "a").empty());
  const auto back = d.set_config(one_pool());
  ASSERT_TRUE(back);
  EXPECT_EQ(reasons(back.value(), key("a")), Reasons{"Normal IPAllocated"});
}

TEST(Configuration, OverlappingPoolsAreRefusedAndTheOldOnesStay) {
  Decider d = synced(one_pool(), {Svc("a")});
  config::Config bad = one_pool();
  bad.pools.push_back(bad.pools[0]);
  bad.pools[1].name = "copy";
  EXPECT_FALSE(d.set_config(bad));
  EXPECT_EQ(held(d, "a"), ips({"203.0.113.0"}));
  EXPECT_EQ(d.pool_status().size(), 1u);
}

// --- deletion and waiting Services ---------------------------------------------------------

TEST(Waiting, ADeletedServiceFreesItsAddressForTheFirstWaitingOne) {
  const auto tiny = test::resources(pool_doc("p", {"203.0.113.0/32"}));
  Changes c;
  Decider d = synced(tiny, {Svc("a"), Svc("b"), Svc("c")}, &c);
  EXPECT_EQ(reasons(c, key("b")), Reasons{"Warning AllocationFailed"});
  EXPECT_EQ(reasons(c, key("c")), Reasons{"Warning AllocationFailed"});
  const auto removed = d.remove(key("a"));
  EXPECT_EQ(test::describe(removed.events),
            Reasons{"Normal IPAllocated default/b: Assigned IP [\"203.0.113.0\"]"});
  EXPECT_EQ(test::desired(removed, key("b")).ingress, ips({"203.0.113.0"}));
  EXPECT_EQ(removed.services.count(key("c")), 1u);  // decided again, still waiting, no new Event
  EXPECT_TRUE(d.remove(key("nobody")).empty());
  // A Service that moves to another address frees its own.
  const auto moved = d.upsert(Svc("b").lb_ips("203.0.113.7").ingress({"203.0.113.0"}));
  EXPECT_EQ(reasons(moved, key("b")), Reasons{"Warning AllocationFailed"});  // not in the pool
  EXPECT_EQ(reasons(moved, key("c")), Reasons{"Normal IPAllocated"});
}

TEST(Waiting, AHolderThatStartsSharingMakesRoom) {
  const auto tiny = test::resources(pool_doc("p", {"203.0.113.0/32"}));
  Decider d = synced(tiny, {Svc("a").port(80), Svc("b").share("k").port(443)});
  EXPECT_TRUE(held(d, "b").empty());
  const auto shares = d.upsert(Svc("a").share("k").port(80).ingress({"203.0.113.0"}));
  EXPECT_EQ(test::describe(shares.events),
            Reasons{"Normal IPAllocated default/b: Assigned IP [\"203.0.113.0\"]"});
}

TEST(Waiting, TheSameFailureIsNotRepeated) {
  const auto tiny = test::resources(pool_doc("p", {"203.0.113.0/32"}));
  Decider d = synced(tiny, {Svc("a"), Svc("b")});
  EXPECT_TRUE(d.upsert(Svc("b")).events.empty());
  EXPECT_EQ(reasons(d.upsert(Svc("b").pool("nope")), key("b")),
            Reasons{"Warning AllocationFailed"});
  EXPECT_EQ(reasons(d.upsert(Svc("b")), key("b")), Reasons{"Warning AllocationFailed"});
}

// --- which Services are vipd's -------------------------------------------------------------

TEST(LoadBalancerClass, OnlyTheControllersClass) {
  Changes c;
  const Decider d = synced(one_pool(),
                           {Svc("none"), Svc("ours").lb_class("vipd"), Svc("theirs").lb_class("x"),
                            Svc("plain").cluster_ip().ingress({"198.51.100.1"})},
                           &c, {.lb_class = "vipd"});
  EXPECT_EQ(held(d, "ours"), ips({"203.0.113.0"}));
  EXPECT_TRUE(held(d, "none").empty());
  EXPECT_FALSE(test::desired(c, key("none")).manage);
  EXPECT_FALSE(test::desired(c, key("theirs")).manage);
  EXPECT_FALSE(test::desired(c, key("plain")).manage);  // another controller's business
  EXPECT_EQ(reasons(c, key("none")), Reasons{});

  Changes without;
  const Decider plain = synced(one_pool(), {Svc("none"), Svc("theirs").lb_class("x")}, &without);
  EXPECT_EQ(held(plain, "none"), ips({"203.0.113.0"}));
  EXPECT_FALSE(test::desired(without, key("theirs")).manage);
}

TEST(TypeChange, ALoadBalancerThatBecomesClusterIpIsReleasedAndCleared) {
  const auto tiny = test::resources(pool_doc("p", {"203.0.113.0/32"}));
  Changes c;
  Decider d = synced(tiny, {Svc("a"), Svc("b")}, &c);
  const auto lb = test::applied(Svc("a"), test::desired(c, key("a")));
  auto as_cluster_ip = Svc("a").cluster_ip();
  k8s::Service changed = lb;
  changed.type = k8s::ServiceType::kClusterIp;
  const auto cleared = d.upsert(changed);
  EXPECT_EQ(test::describe(cleared.events),
            (Reasons{"Normal ClearAssignment default/a: vipd no longer serves \"default/a\" (it is "
                     "a ClusterIP Service without a Romana annotation); released "
                     "[\"203.0.113.0\"]",
                     "Normal IPAllocated default/b: Assigned IP [\"203.0.113.0\"]"}));
  const Desired& a = test::desired(cleared, key("a"));
  EXPECT_TRUE(a.manage);
  EXPECT_TRUE(a.ingress.empty());
  EXPECT_EQ(a.pool, std::nullopt);
  EXPECT_FALSE(satisfied(a, changed));
  // Back to LoadBalancer: it waits like any other.
  EXPECT_EQ(reasons(d.upsert(lb), key("a")), Reasons{"Warning AllocationFailed"});
}

// --- Romana --------------------------------------------------------------------------------

const config::Config& romana_config() {
  static const config::Config c =
      test::resources(pool_doc("bgp", {"198.51.100.0/29"}) + pool_doc("l2", {"203.0.113.0/29"}) +
                      test::l2_doc("l2", {"l2"}));
  return c;
}

TEST(Romana, IpOnAClusterIpGoesToExternalIpsBesideTheUsersOwn) {
  Changes c;
  Decider d = synced(
      romana_config(),
      {Svc("vip").cluster_ip().external({"192.0.2.7"}).romana(R"({"ip": "203.0.113.5"})")}, &c);
  const Desired& want = test::desired(c, key("vip"));
  EXPECT_EQ(want.external_ips, ips({"203.0.113.5"}));
  EXPECT_TRUE(want.ingress.empty());
  EXPECT_EQ(want.pool, "l2");
  EXPECT_EQ(reasons(c, key("vip")), Reasons{"Normal IPAllocated"});
  auto live = test::applied(
      Svc("vip").cluster_ip().external({"192.0.2.7"}).romana(R"({"ip": "203.0.113.5"})"), want);
  EXPECT_EQ(live.external_ips, ips({"192.0.2.7", "203.0.113.5"}));
  EXPECT_EQ(live.meta.annotations.at("vipd.io/external-ips"), "203.0.113.5");

  // Another address: vipd's entry is replaced, the user's stays.
  live.meta.annotations["romanaip"] = R"({"ip": "203.0.113.6"})";
  const auto moved = d.upsert(live);
  live = test::applied(live, test::desired(moved, key("vip")));
  EXPECT_EQ(live.external_ips, ips({"192.0.2.7", "203.0.113.6"}));
  EXPECT_EQ(held(d, "vip"), ips({"203.0.113.6"}));

  // The annotation removed: vipd takes back its own entry only.
  live.meta.annotations.erase("romanaip");
  const auto gone = d.upsert(live);
  EXPECT_EQ(reasons(gone, key("vip")), Reasons{"Normal ClearAssignment"});
  live = test::applied(live, test::desired(gone, key("vip")));
  EXPECT_EQ(live.external_ips, ips({"192.0.2.7"}));
  EXPECT_EQ(live.meta.annotations.count("vipd.io/external-ips"), 0u);
  EXPECT_TRUE(held(d, "vip").empty());
}

TEST(Romana, AVipThatBecomesAnotherClassesLoadBalancerLosesOnlyVipdsEntries) {
  Changes c;
  Decider d =
      synced(romana_config(),
             {Svc("vip").cluster_ip().external({"192.0.2.7"}).romana(R"({"auto": true})")}, &c);
  auto live =
      test::applied(Svc("vip").cluster_ip().external({"192.0.2.7"}).romana(R"({"auto": true})"),
                    test::desired(c, key("vip")));
  // Now a LoadBalancer of another class, whose controller has written its status.
  live.type = k8s::ServiceType::kLoadBalancer;
  live.load_balancer_class = "other";
  live.ingress_ips = ips({"198.51.100.99"});
  const auto gone = d.upsert(live);
  EXPECT_EQ(reasons(gone, key("vip")), Reasons{"Normal ClearAssignment"});
  const Desired& want = test::desired(gone, key("vip"));
  EXPECT_TRUE(want.manage);
  EXPECT_FALSE(want.owns_status);
  live = test::applied(live, want);
  EXPECT_EQ(live.external_ips, ips({"192.0.2.7"}));
  EXPECT_EQ(live.ingress_ips, ips({"198.51.100.99"}));  // the other controller's
  EXPECT_EQ(live.meta.annotations.count("vipd.io/external-ips"), 0u);
  EXPECT_TRUE(d.upsert(live).events.empty());
  EXPECT_FALSE(test::desired(d.upsert(live), key("vip")).manage);
}

TEST(Romana, BothFormsOnLoadBalancersGoToTheStatusAutoTakesLayer2PoolsOnly) {
  Changes c;
  const Decider d = synced(romana_config(),
                           {Svc("a-lb").romana(R"({"auto": true})", "romanavip"),
                            Svc("b-cip").cluster_ip().romana(R"({"auto": true})"), Svc("c-plain"),
                            Svc("d-lb-ip").romana(R"({"ip": "203.0.113.6"})")},
                           &c);
  EXPECT_EQ(test::desired(c, key("a-lb")).ingress, ips({"203.0.113.0"}));
  EXPECT_TRUE(test::desired(c, key("a-lb")).external_ips.empty());
  EXPECT_EQ(test::desired(c, key("b-cip")).external_ips, ips({"203.0.113.1"}));
  EXPECT_EQ(test::desired(c, key("c-plain")).ingress, ips({"198.51.100.0"}));  // MetalLB's order
  EXPECT_EQ(test::desired(c, key("d-lb-ip")).ingress, ips({"203.0.113.6"}));
  EXPECT_EQ(test::desired(c, key("d-lb-ip")).pool, "l2");
  EXPECT_TRUE(test::desired(c, key("d-lb-ip")).external_ips.empty());
}

TEST(Romana, AnAddressOutsideTheLayer2PoolsFails) {
  Changes c;
  synced(romana_config(), {Svc("vip").cluster_ip().romana(R"({"ip": "198.51.100.1"})")}, &c);
  EXPECT_EQ(test::describe(c.events),
            Reasons{"Warning AllocationFailed default/vip: Failed to allocate IP for "
                    "\"default/vip\": romanaip asks for 198.51.100.1, which is in no layer-2 "
                    "address pool (pools an L2Advertisement selects: 'l2')"});
  EXPECT_TRUE(test::desired(c, key("vip")).external_ips.empty());
}

// --- malformed annotations -----------------------------------------------------------------

TEST(Malformed, AnnotationsThatDoNotParseChangeNothing) {
  Changes c;
  Decider d = synced(romana_config(),
                     {Svc("a").pool("l2"), Svc("r").cluster_ip().romana(R"({"auto": true})")}, &c);
  const auto a = test::applied(Svc("a").pool("l2"), test::desired(c, key("a")));
  const auto r =
      test::applied(Svc("r").cluster_ip().romana(R"({"auto": true})"), test::desired(c, key("r")));
  struct Case {
    const char* name;
    k8s::Service broken;
    std::string message;
  };
  const Case cases[] = {
      {"an address that does not parse", Svc(a).lb_ips("203.0.113.x"),
       "invalid requested loadbalancer IPs: metallb.io/loadBalancerIPs: invalid IP address "
       "\"203.0.113.x\""},
      {"spellings that disagree", Svc(a).annotate("metallb.universe.tf/address-pool", "bgp"),
       "invalid requested loadbalancer IPs: metallb.universe.tf/address-pool: conflicts with "
       "metallb.io/address-pool (\"l2\" against \"bgp\")"},
      {"two sources of addresses", Svc(a).lb_ips("203.0.113.0").spec_ip("203.0.113.0"),
       "invalid requested loadbalancer IPs: default/a requests addresses both in "},
      {"Romana JSON that does not parse", Svc(r).romana("{auto}"),
       "invalid requested loadbalancer IPs: romanaip: invalid JSON"},
      {"Romana and loadBalancerIPs", Svc(r).lb_ips("203.0.113.3"),
       "invalid requested loadbalancer IPs: romanaip and metallb.io/loadBalancerIPs both request "
       "addresses; use one of them"},
  };
  for (const auto& t : cases) {
    const auto key_of_case = key(t.broken.meta.name);
    const auto before = held(d, t.broken.meta.name);
    const auto got = d.upsert(t.broken);
    ASSERT_EQ(got.events.size(), 1u)
        << t.name << testing::PrintToString(test::describe(got.events));
    EXPECT_EQ(got.events[0].type, EventType::kWarning) << t.name;
    EXPECT_EQ(got.events[0].reason, "LoadBalancerFailed") << t.name;
    EXPECT_EQ(got.events[0].message.substr(0, t.message.size()), t.message) << t.name;
    EXPECT_TRUE(satisfied(test::desired(got, key_of_case), t.broken)) << t.name;
    EXPECT_EQ(held(d, t.broken.meta.name), before) << t.name;
    EXPECT_TRUE(d.upsert(t.broken).events.empty()) << t.name;  // said once
    // The held address is still taken: nobody else gets it.
    EXPECT_EQ(reasons(d.upsert(Svc("z").lb_ips(before.front().to_string())), key("z")),
              Reasons{"Warning AllocationFailed"})
        << t.name;
    d.remove(key("z"));
    // Repaired: back as it was, without an Event.
    EXPECT_TRUE(d.upsert(t.broken.meta.name == "a" ? a : r).events.empty()) << t.name;
  }
  // Holding nothing, a malformed Service gets AllocationFailed and nothing else.
  const auto fresh = d.upsert(Svc("new").lb_ips("nope"));
  ASSERT_EQ(fresh.events.size(), 1u);
  const std::string want =
      "Warning AllocationFailed default/new: Failed to allocate IP for \"default/new\": "
      "metallb.io/loadBalancerIPs: invalid IP address \"nope\": ";
  EXPECT_EQ(test::describe(fresh.events[0]).substr(0, want.size()), want);
  EXPECT_TRUE(held(d, "new").empty());
}

// --- requests that change ------------------------------------------------------------------

TEST(RequestChange, AnotherAddressMovesTheServiceAnImpossibleOneClearsIt) {
  Changes c;
  Decider d = synced(one_pool(), {Svc("a"), Svc("other").lb_ips("203.0.113.6")}, &c);
  auto live = test::applied(Svc("a"), test::desired(c, key("a")));
  live.meta.annotations["metallb.io/loadBalancerIPs"] = "203.0.113.3";
  const auto moved = d.upsert(live);
  EXPECT_EQ(test::describe(moved.events),
            Reasons{"Normal IPAllocated default/a: Assigned IP [\"203.0.113.3\"]"});
  live = test::applied(live, test::desired(moved, key("a")));
  live.meta.annotations["metallb.io/loadBalancerIPs"] = "203.0.113.6";  // other's
  const auto taken = d.upsert(live);
  EXPECT_EQ(reasons(taken, key("a")), Reasons{"Warning AllocationFailed"});
  EXPECT_TRUE(test::desired(taken, key("a")).ingress.empty());  // MetalLB clears the status
  EXPECT_TRUE(held(d, "a").empty());
}

TEST(RequestChange, PortsThatNoLongerShareMoveTheServiceWithClearAssignment) {
  Changes c;
  Decider d = synced(one_pool(), {Svc("a").share("k").port(80), Svc("b").share("k").port(443)}, &c);
  EXPECT_EQ(held(d, "a"), held(d, "b"));
  const auto clash =
      d.upsert(test::applied(Svc("b").share("k").port(80), test::desired(c, key("b"))));
  EXPECT_EQ(
      test::describe(clash.events),
      (Reasons{"Normal ClearAssignment default/b: current IP for \"default/b\" not allowed by "
               "config, will attempt for new IP assignment: port TCP/80 on 203.0.113.0 is "
               "already used by default/a",
               "Normal IPAllocated default/b: Assigned IP [\"203.0.113.1\"]"}));
}

// --- namespaces ----------------------------------------------------------------------------

TEST(Namespaces, LabelsPinAndUnpin) {
  const auto config = test::resources(
      pool_doc("general", {"203.0.113.0/29"}) +
      pool_doc("prod", {"198.51.100.0/29"},
               "  serviceAllocation:\n    namespaceSelectors:\n    - matchLabels: {env: prod}\n"));
  Decider d;
  ASSERT_TRUE(d.set_config(config));
  auto c = d.sync({Svc("team/web")}, {{"team", {{"env", "prod"}}}});
  EXPECT_EQ(held(d, "team/web"), ips({"198.51.100.0"}));
  EXPECT_TRUE(d.upsert_namespace("team", {{"env", "prod"}}).empty());  // no change
  const auto unpinned = d.upsert_namespace("team", {{"env", "dev"}});
  EXPECT_EQ(test::describe(unpinned.events),
            (Reasons{"Normal ClearAssignment team/web: current IP for \"team/web\" not allowed by "
                     "config, will attempt for new IP assignment: address pool 'prod' serves only "
                     "namespaces matching its namespace selectors; team/web is in namespace 'team'",
                     "Normal IPAllocated team/web: Assigned IP [\"203.0.113.0\"]"}));
  // A pool that now accepts it does not move it: it keeps what fits.
  EXPECT_TRUE(d.upsert_namespace("team", {{"env", "prod"}}).events.empty());
  EXPECT_EQ(held(d, "team/web"), ips({"203.0.113.0"}));
  EXPECT_TRUE(d.remove_namespace("team").events.empty());
}

// --- deprecated annotations ----------------------------------------------------------------

TEST(Deprecated, ReportedWhenTheServiceIsWrittenAndTheOldPoolAnnotationRemoved) {
  const k8s::Service old = Svc("a")
                               .annotate("metallb.universe.tf/address-pool", "p")
                               .annotate("metallb.universe.tf/ip-allocated-from-pool", "p")
                               .ingress({"203.0.113.2"});
  Changes c;
  Decider d = synced(one_pool(), {old}, &c);
  EXPECT_EQ(test::describe(c.events),
            Reasons{"Warning deprecatedAnnotation default/a: Service uses deprecated annotation "
                    "metallb.universe.tf/address-pool"});
  const auto written = test::applied(old, test::desired(c, key("a")));
  EXPECT_EQ(written.meta.annotations.count("metallb.universe.tf/ip-allocated-from-pool"), 0u);
  EXPECT_EQ(written.meta.annotations.at("metallb.io/ip-allocated-from-pool"), "p");
  EXPECT_EQ(written.meta.annotations.at("metallb.universe.tf/address-pool"), "p");  // the user's
  EXPECT_TRUE(d.upsert(written).events.empty());  // nothing to write: not reported again
}

}  // namespace
}  // namespace vipd::controller
