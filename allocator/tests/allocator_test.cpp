// Table-driven tests of the allocation rules: requested addresses, requested pools, automatic
// allocation, avoid-buggy-ips, auto-assign, pinned pools and priorities, ip family policies.
// Each scenario is a list of steps on one allocator; a refused step must leave it unchanged.
#include "allocator/allocator.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "allocator/tests/helpers.hpp"

namespace vipd::allocator {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace): builders only

constexpr auto kSpec = AddressSource::kSpecLoadBalancerIp;
constexpr auto kV4 = Family::kV4;
constexpr auto kV6 = Family::kV6;

// Requested addresses (spec.loadBalancerIP, the annotation, standalone `addresses`).
TEST(AllocatorRules, RequestedAddresses) {
  Allocator allocator = with_pools({
      pool("test", {"203.0.113.4/31", "2001:db8::4/127"}),
      pool("test2", {"198.51.100.0/24", "2001:db8:4::/120"}, {.avoid_buggy = true}),
      pool("ns-pool", {"192.0.2.0/26"}, {.namespaces = {"ns1"}}),
      pool("label-pool", {"192.0.2.64/26"},
           {.service_selectors = {selector({{"team", "metallb"}})}}),
      pool("both", {"192.0.2.128/26"},
           {.namespaces = {"ns1"},
            .service_selectors = {selector({{"team", "metallb"}})},
            .priority = 20}),
      pool("other", {"192.0.2.192/27"},
           {.namespaces = {"ns2"}, .service_selectors = {selector({{"foo", "bar"}})}}),
      pool("prod-only", {"192.0.2.224/27"}, {.namespace_selectors = {selector({{"env", "prod"}})}}),
  });
  run(allocator,
      {
          assign("s1 takes an address", Svc("s1").ips({"203.0.113.4"}), {"203.0.113.4"}, "test"),
          assign("asking again is idempotent", Svc("s1").ips({"203.0.113.4"}), {"203.0.113.4"}),
          refuse("s2 cannot take s1's address", Svc("s2").ips({"203.0.113.4"}),
                 "203.0.113.4 is in use by default/s1, which does not allow sharing"),
          assign("s2 takes the other address", Svc("s2").ips({"203.0.113.5"}), {"203.0.113.5"}),
          refuse("s1 cannot take s2's address", Svc("s1").ips({"203.0.113.5"}),
                 "in use by default/s2"),
          release("s1 frees its address", "s1"),
          assign("s2 moves to s1's former address", Svc("s2").ips({"203.0.113.4"}),
                 {"203.0.113.4"}),
          assign("s1 takes s2's former address", Svc("s1").ips({"203.0.113.5"}), {"203.0.113.5"}),
          refuse("s3 cannot take a .0 from an avoid-buggy pool", Svc("s3").ips({"198.51.100.0"}),
                 "198.51.100.0 ends in .0 or .255, which address pool 'test2' avoids"),
          refuse("s3 cannot take a .255 from an avoid-buggy pool",
                 Svc("s3").ips({"198.51.100.255"}), "avoids (avoid-buggy-ips is set)"),
          assign("s3 takes another address of that pool", Svc("s3").ips({"198.51.100.254"}),
                 {"198.51.100.254"}, "test2"),
          refuse("an address outside every pool", Svc("s9").ips({"203.0.113.200"}),
                 "203.0.113.200 is not in any address pool"),
          // IPv6 follows the same rules; avoid-buggy-ips does not apply to it.
          assign("s4 takes an IPv6 address", Svc("s4").v6().ips({"2001:db8::4"}), {"2001:db8::4"}),
          refuse("s5 cannot take s4's IPv6 address", Svc("s5").v6().ips({"2001:db8::4"}),
                 "in use by default/s4"),
          assign("an IPv6 address ending in ff is fine", Svc("s5").v6().ips({"2001:db8:4::ff"}),
                 {"2001:db8:4::ff"}),
          // Dual stack: one address per family, from one pool.
          assign("s6 takes one address per family",
                 Svc("s6").require_dual().ips({"2001:db8:4::5", "198.51.100.7"}),
                 {"198.51.100.7", "2001:db8:4::5"}, "test2"),
          refuse("s6 cannot take them from two pools",
                 Svc("s6").require_dual().ips({"198.51.100.7", "2001:db8:4::5"}).from("test"),
                 "198.51.100.7 and 2001:db8:4::5 belong to address pool 'test2'"),
          refuse("addresses from two different pools",
                 Svc("s7").require_dual().ips({"203.0.113.4", "2001:db8:4::1"}),
                 "are in different address pools ('test' and 'test2')"),
          // The requested pool must be the one holding the addresses.
          refuse("a requested pool that does not hold the address",
                 Svc("s8").ips({"198.51.100.20"}).from("test"),
                 "198.51.100.20 belongs to address pool 'test2', but default/s8 asks for pool "
                 "'test'"),
          assign("a requested pool that holds the address",
                 Svc("s8").ips({"198.51.100.20"}).from("test2"), {"198.51.100.20"}),
          // Pools restricted to namespaces and labels.
          assign("a namespace pool serves its namespace", Svc("ns1/s1").ips({"192.0.2.10"}),
                 {"192.0.2.10"}, "ns-pool"),
          refuse("a namespace pool refuses other namespaces", Svc("nsx/s1").ips({"192.0.2.11"}),
                 "address pool 'ns-pool' serves only namespaces ns1; nsx/s1 is in namespace "
                 "'nsx'"),
          assign("a label pool serves matching Services",
                 Svc("nsx/s2").ips({"192.0.2.70"}).labels({{"team", "metallb"}}), {"192.0.2.70"},
                 "label-pool"),
          refuse("a label pool refuses other Services",
                 Svc("nsx/s3").ips({"192.0.2.71"}).labels({{"team", "red"}}),
                 "serves only Services matching its service selectors"),
          assign("namespace and labels both match",
                 Svc("ns1/s4").ips({"192.0.2.130"}).labels({{"team", "metallb"}}), {"192.0.2.130"},
                 "both"),
          refuse("namespace matches, labels do not",
                 Svc("ns2/s5").ips({"192.0.2.200"}).labels({{"team", "metallb"}}),
                 "serves only Services matching its service selectors"),
          refuse("labels match, namespace does not",
                 Svc("nsx/s6").ips({"192.0.2.201"}).labels({{"foo", "bar"}}),
                 "serves only namespaces ns2"),
          assign("a namespace selector matches the namespace's labels",
                 Svc("team-a/s7").ips({"192.0.2.230"}).ns_labels({{"env", "prod"}}),
                 {"192.0.2.230"}, "prod-only"),
          refuse("a namespace selector refuses other namespaces",
                 Svc("team-b/s7").ips({"192.0.2.231"}).ns_labels({{"env", "dev"}}),
                 "serves only namespaces matching its namespace selectors"),
      });
}

TEST(AllocatorRules, InvalidRequestsAreRefusedWithTheReason) {
  Allocator allocator = with_pools({pool("p", {"203.0.113.0/28", "2001:db8::/64"})});
  Svc both_sources("s1");
  both_sources.ips({"203.0.113.1"});
  both_sources.r.requested.push_back({ip("203.0.113.1"), kSpec});
  run(allocator,
      {
          refuse("spec.loadBalancerIP and the annotation together", both_sources,
                 "default/s1 requests addresses both in the metallb.io/loadBalancerIPs "
                 "annotation and in spec.loadBalancerIP; use only one of them"),
          refuse("two addresses of one family",
                 Svc("s1").prefer_dual().ips({"203.0.113.1", "203.0.113.2"}),
                 "requests two IPv4 addresses (203.0.113.1 and 203.0.113.2)"),
          refuse("an address of a family the Service does not have", Svc("s1").ips({"2001:db8::1"}),
                 "requests the IPv6 address 2001:db8::1, but its ip families are only IPv4"),
          refuse("RequireDualStack with one address", Svc("s1").require_dual().ips({"2001:db8::1"}),
                 "RequireDualStack but requests only the IPv6 address 2001:db8::1"),
          refuse("SingleStack with two families",
                 Svc("s1").families(IpFamilyPolicy::kSingleStack, {kV4, kV6}),
                 "SingleStack but lists two ip families"),
          refuse("RequireDualStack with one family",
                 Svc("s1").families(IpFamilyPolicy::kRequireDualStack, {kV6}),
                 "RequireDualStack but lists only IPv6"),
          refuse("a family listed twice",
                 Svc("s1").families(IpFamilyPolicy::kPreferDualStack, {kV4, kV4}),
                 "lists IPv4 twice"),
          refuse("no family", Svc("s1").families(IpFamilyPolicy::kSingleStack, {}),
                 "lists 0 ip families"),
          assign("spec.loadBalancerIP alone is fine", Svc("s1").ips({"203.0.113.1"}, kSpec),
                 {"203.0.113.1"}),
          assign("PreferDualStack may request one family",
                 Svc("s2").prefer_dual().ips({"2001:db8::9"}), {"2001:db8::9"}),
      });
}

// A named pool (metallb.io/address-pool): allocate only from it.
TEST(AllocatorRules, RequestedPool) {
  Allocator allocator = with_pools({
      pool("not-this-one", {"192.0.2.0/24", "2001:db8:ff::/120"}),
      pool("test", {"203.0.113.4/31", "203.0.113.10/31", "2001:db8::/127", "2001:db8:1::/127"}),
      pool("test-v4", {"198.51.100.4/31", "198.51.100.10/31"}),
      pool("test-v6", {"2001:db8:2::/127", "2001:db8:3::/127"}),
      pool("closed", {"198.51.100.64/26"}, {.auto_assign = false, .namespaces = {"ns1"}}),
  });
  run(allocator,
      {
          assign("s1 gets the first IPv4", Svc("s1").from("test"), {"203.0.113.4"}, "test"),
          assign("s2 gets the next", Svc("s2").from("test"), {"203.0.113.5"}),
          assign("s3 continues in the second block", Svc("s3").from("test"), {"203.0.113.10"}),
          assign("s4 takes the last", Svc("s4").from("test"), {"203.0.113.11"}),
          refuse("s5 finds the pool full", Svc("s5").from("test"),
                 "no free address for default/s5 in address pool 'test': it needs an IPv4 "
                 "address"),
          release("s1 releases", "s1"),
          assign("s5 gets s1's former address", Svc("s5").from("test"), {"203.0.113.4"}),
          refuse("s6 still finds it full", Svc("s6").from("test"), "no free address"),
          release("s5 releases to come back with a sharing key", "s5"),
          assign("s5 shares", Svc("s5").from("test").share("share").on({"TCP/80"}),
                 {"203.0.113.4"}),
          assign("s6 shares s5's address", Svc("s6").from("test").share("share").on({"TCP/443"}),
                 {"203.0.113.4"}),
          refuse("s7 overlaps a port and everything else is taken",
                 Svc("s7").from("test").share("share").on({"TCP/80"}), "no free address"),
          // IPv6 in the same pool.
          assign("s7 gets the first IPv6", Svc("s7").v6().from("test"), {"2001:db8::"}),
          assign("s8 gets the next IPv6", Svc("s8").v6().from("test"), {"2001:db8::1"}),
          assign("s9 continues in the second IPv6 block", Svc("s9").v6().from("test"),
                 {"2001:db8:1::"}),
          // Dual stack from a named pool.
          release("s2 frees an IPv4 address", "s2"),
          assign("RequireDualStack gets both", Svc("d1").require_dual().from("test"),
                 {"203.0.113.5", "2001:db8:1::1"}),
          refuse("RequireDualStack: no IPv6 left", Svc("d2").require_dual().from("test"),
                 "it needs both an IPv4 and an IPv6 address (RequireDualStack)"),
          assign("PreferDualStack from an IPv4-only pool", Svc("p1").prefer_dual().from("test-v4"),
                 {"198.51.100.4"}),
          assign("PreferDualStack from an IPv6-only pool", Svc("p2").prefer_dual().from("test-v6"),
                 {"2001:db8:2::"}),
          refuse("an unknown pool", Svc("u1").from("nonexistent"),
                 "default/u1 asks for address pool 'nonexistent', which does not exist"),
          refuse("a named pool that refuses the Service", Svc("nsx/c1").from("closed"),
                 "address pool 'closed' serves only namespaces ns1"),
          assign("a named pool without auto-assign", Svc("ns1/c1").from("closed"),
                 {"198.51.100.64"}),
          // Keeping an address: a Service that already holds one from its pool keeps it even
          // when a lower address is free again.
          assign("p4 takes the next address", Svc("p4").from("test-v4"), {"198.51.100.5"}),
          release("free the lowest IPv4 of test-v4", "p1"),
          assign("p4 keeps its address", Svc("p4").from("test-v4"), {"198.51.100.5"}),
          // A Service that changes its pool gets a new address from the new pool.
          assign("s3 moves to test-v4", Svc("s3").from("test-v4"), {"198.51.100.4"}, "test-v4"),
      });
}

// Automatic allocation: stable, configuration order, auto-assign.
TEST(AllocatorRules, AutomaticAllocation) {
  Allocator allocator = with_pools({
      pool("test1", {"203.0.113.4/31", "2001:db8::4/127"}),
      pool("test2", {"203.0.113.10/31", "2001:db8::10/127"}),
      pool("manual", {"198.51.100.0/30", "2001:db8::20/127"}, {.auto_assign = false}),
  });
  run(allocator,
      {
          assign("s1", Svc("s1"), {"203.0.113.4"}, "test1"),
          assign("s2", Svc("s2"), {"203.0.113.5"}, "test1"),
          assign("s3 spills into the next pool", Svc("s3"), {"203.0.113.10"}, "test2"),
          assign("s4", Svc("s4"), {"203.0.113.11"}, "test2"),
          refuse("s5: auto-assign pools are full, 'manual' is never used automatically", Svc("s5"),
                 "no free address for default/s5 in the address pools 'test1', 'test2'"),
          assign("s5 may name the manual pool", Svc("s5").from("manual"), {"198.51.100.0"}),
          assign("s6 may request an address of the manual pool", Svc("s6").ips({"198.51.100.2"}),
                 {"198.51.100.2"}, "manual"),
          assign("s2 asks again: keeps its address", Svc("s2"), {"203.0.113.5"}),
          release("s1 releases the lowest address", "s1"),
          assign("s2 still keeps its address", Svc("s2"), {"203.0.113.5"}),
          assign("s7 gets the freed address", Svc("s7"), {"203.0.113.4"}),
          assign("s8 IPv6", Svc("s8").v6(), {"2001:db8::4"}),
          release("s3 frees an address of test2", "s3"),
          assign("s9 dual stack takes the first pool with both", Svc("s9").require_dual(),
                 {"203.0.113.10", "2001:db8::10"}, "test2"),
      });
}

// MetalLB's buggy-IP case: avoid-buggy-ips pools never give .0 or .255, other pools do.
TEST(AllocatorRules, AvoidBuggyIps) {
  Allocator allocator = with_pools({
      pool("test1", {"203.0.113.0/31"}),
      pool("test2", {"203.0.113.254/31"}),
      pool("test3", {"198.51.100.0/31"}, {.avoid_buggy = true}),
      pool("test4", {"198.51.100.254/31"}, {.avoid_buggy = true}),
      pool("test5", {"192.0.2.250-192.0.3.5"}, {.avoid_buggy = true}),
  });
  std::vector<Step> steps;
  const std::vector<std::string> expected = {
      "203.0.113.0",  "203.0.113.1",    "203.0.113.254", "203.0.113.255",
      "198.51.100.1", "198.51.100.254", "192.0.2.250",   "192.0.2.251",
      "192.0.2.252",  "192.0.2.253",    "192.0.2.254",   "192.0.3.1",
      "192.0.3.2",    "192.0.3.3",      "192.0.3.4",     "192.0.3.5",
  };
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const std::string name = "s" + std::to_string(i);
    steps.push_back(assign(name, Svc(name), {expected[i]}));
  }
  steps.push_back(refuse("every usable address is taken", Svc("last"), "no free address"));
  run(allocator, steps);
}

// Pinned pools (namespaces / service selectors) come first, by priority, then the others.
TEST(AllocatorRules, PinnedPoolsByNamespaceLabelsAndPriority) {
  struct Case {
    std::string desc;
    ServiceRequest request;
    std::string pool;  // empty: refused
  };
  const std::vector<Pool> pools = {
      pool("general", {"203.0.113.0/28"}),
      pool("ns1-low", {"198.51.100.0/28"}, {.namespaces = {"ns1"}, .priority = 20}),
      pool("team-a-high", {"198.51.100.16/28"},
           {.service_selectors = {selector({{"team", "a"}})}, .priority = 10}),
      pool("ns1-unset", {"198.51.100.32/28"}, {.namespaces = {"ns1"}}),
      pool("ns2", {"198.51.100.48/28"}, {.namespaces = {"ns2"}}),
      pool("ns3-first", {"198.51.100.64/28"}, {.namespaces = {"ns3"}, .priority = 5}),
      pool("ns3-second", {"198.51.100.80/28"}, {.namespaces = {"ns3"}, .priority = 5}),
      pool("ns4-manual", {"198.51.100.96/28"}, {.auto_assign = false, .namespaces = {"ns4"}}),
      pool("prod", {"198.51.100.112/28"}, {.namespace_selectors = {selector({{"env", "prod"}})}}),
  };
  const std::vector<Case> cases = {
      {"ns1 prefers its priority-20 pool to its unprioritised one", Svc("ns1/s"), "ns1-low"},
      {"a lower priority number wins", Svc("ns1/s").labels({{"team", "a"}}), "team-a-high"},
      {"labels pin in any namespace", Svc("nsx/s").labels({{"team", "a"}}), "team-a-high"},
      {"nothing pinned: the general pools", Svc("nsx/s"), "general"},
      {"a pool pinned to one namespace", Svc("ns2/s"), "ns2"},
      {"equal priority: configuration order", Svc("ns3/s"), "ns3-first"},
      {"a pinned pool without auto-assign is skipped", Svc("ns4/s"), "general"},
      {"a namespace selector pins", Svc("team/s").ns_labels({{"env", "prod"}}), "prod"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.desc);
    Allocator allocator = with_pools(pools);
    auto result = allocator.assign(c.request);
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(result.value().pool, c.pool);
  }

  // A full pinned pool passes to the next pinned one, then to the general pools; pools pinned
  // to others are never used.
  Allocator allocator = with_pools({
      pool("general", {"203.0.113.1/32"}),
      pool("ns1-a", {"198.51.100.1/32"}, {.namespaces = {"ns1"}, .priority = 1}),
      pool("ns1-b", {"198.51.100.2/32"}, {.namespaces = {"ns1"}, .priority = 2}),
      pool("ns2", {"198.51.100.3/32"}, {.namespaces = {"ns2"}}),
  });
  run(allocator, {
                     assign("first pinned", Svc("ns1/a"), {"198.51.100.1"}, "ns1-a"),
                     assign("second pinned", Svc("ns1/b"), {"198.51.100.2"}, "ns1-b"),
                     assign("then general", Svc("ns1/c"), {"203.0.113.1"}, "general"),
                     refuse("never another namespace's pool", Svc("ns1/d"),
                            "no free address for ns1/d in the pinned address pools 'ns1-a', "
                            "'ns1-b' nor in the address pools 'general': it needs an IPv4 "
                            "address"),
                     refuse("no pool open at all", Svc("nsx/e").from("ns2"),
                            "address pool 'ns2' serves only namespaces ns2"),
                 });
  Allocator only_pinned = with_pools({pool("ns2", {"198.51.100.3/32"}, {.namespaces = {"ns2"}})});
  run(only_pinned, {refuse("no auto-assign pool accepts the Service", Svc("nsx/e"),
                           "no address pool is open to nsx/e")});
}

// SingleStack, PreferDualStack and RequireDualStack across pools.
TEST(AllocatorRules, IpFamilyPolicies) {
  struct Case {
    std::string desc;
    std::vector<Pool> pools;
    ServiceRequest request;
    std::vector<std::string> want;  // empty: refused
    std::string pool;
  };
  const Pool v4_only = pool("v4-only", {"203.0.113.0/30"});
  const Pool v6_only = pool("v6-only", {"2001:db8:6::/126"});
  const Pool both = pool("both", {"2001:db8:46::/126", "198.51.100.0/30"});
  const Pool pinned_v4 = pool("pinned-v4", {"192.0.2.0/30"}, {.namespaces = {"ns1"}});
  const std::vector<Case> cases = {
      {"SingleStack IPv4", {v6_only, both}, Svc("s"), {"198.51.100.0"}, "both"},
      {"SingleStack IPv6", {v4_only, both}, Svc("s").v6(), {"2001:db8:46::"}, "both"},
      {"SingleStack IPv6 without any IPv6 pool", {v4_only}, Svc("s").v6(), {}, ""},
      {"RequireDualStack skips single-family pools",
       {v4_only, v6_only, both},
       Svc("s").require_dual(),
       {"198.51.100.0", "2001:db8:46::"},
       "both"},
      {"RequireDualStack with no pool giving both",
       {v4_only, v6_only},
       Svc("s").require_dual(),
       {},
       ""},
      {"PreferDualStack takes a pool giving both",
       {v4_only, v6_only, both},
       Svc("s").prefer_dual(),
       {"198.51.100.0", "2001:db8:46::"},
       "both"},
      {"PreferDualStack falls back to the primary family",
       {v6_only, v4_only},
       Svc("s").prefer_dual(),
       {"203.0.113.0"},
       "v4-only"},
      {"PreferDualStack with IPv6 primary",
       {v4_only, v6_only},
       Svc("s").families(IpFamilyPolicy::kPreferDualStack, {kV6, kV4}),
       {"2001:db8:6::"},
       "v6-only"},
      {"PreferDualStack falls back to the secondary family",
       {v6_only},
       Svc("s").prefer_dual(),
       {"2001:db8:6::"},
       "v6-only"},
      {"PreferDualStack on a single-family Service is single stack",
       {both},
       Svc("s").families(IpFamilyPolicy::kPreferDualStack, {kV6}),
       {"2001:db8:46::"},
       "both"},
      {"a pinned pool with one family beats a general pool with both",
       {both, pinned_v4},
       Svc("ns1/s").prefer_dual(),
       {"192.0.2.0"},
       "pinned-v4"},
      {"RequireDualStack passes over a pinned single-family pool",
       {both, pinned_v4},
       Svc("ns1/s").require_dual(),
       {"198.51.100.0", "2001:db8:46::"},
       "both"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.desc);
    Allocator allocator = with_pools(c.pools);
    auto result = allocator.assign(c.request);
    if (c.want.empty()) {
      ASSERT_FALSE(result);
      EXPECT_EQ(result.error().code(), make_error_code(Errc::kExhausted));
      EXPECT_EQ(allocator.size(), 0u);
      continue;
    }
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(strings(result.value().addresses), c.want);
    EXPECT_EQ(result.value().pool, c.pool);
  }
}

// A Service whose request changes keeps its address while it still fits, and gets a fresh
// decision when it does not.
TEST(AllocatorRules, ExistingAssignmentsStayWhileTheyFit) {
  Allocator allocator = with_pools({
      pool("both", {"203.0.113.0/30", "2001:db8::/126"}),
      pool("ns1", {"198.51.100.0/30"}, {.namespaces = {"ns1"}}),
  });
  run(allocator,
      {
          assign("SingleStack IPv4",
                 Svc("s1").prefer_dual().families(IpFamilyPolicy::kSingleStack, {kV4}),
                 {"203.0.113.0"}),
          assign("now PreferDualStack: the IPv4 address still fits", Svc("s1").prefer_dual(),
                 {"203.0.113.0"}),
          assign("now RequireDualStack: a fresh decision", Svc("s1").require_dual(),
                 {"203.0.113.0", "2001:db8::"}),
          assign("back to SingleStack IPv6: a fresh decision", Svc("s1").v6(), {"2001:db8::"}),
          assign("requesting the held address explicitly", Svc("s1").v6().ips({"2001:db8::"}),
                 {"2001:db8::"}),
          assign("requesting another address moves", Svc("s1").v6().ips({"2001:db8::3"}),
                 {"2001:db8::3"}),
          refuse("a failed move keeps the old address", Svc("s1").v6().ips({"2001:db8:1::3"}),
                 "not in any address pool"),
      });
  EXPECT_EQ(strings(allocator.assignment(key("s1"))->addresses),
            std::vector<std::string>{"2001:db8::3"});
}

// A Service never holds more than it asked for, and everything is freed on release, also on
// an IPv6 /64 where nothing can be enumerated.
TEST(AllocatorRules, LargeIpv6PoolAllocatesAscendingAndReusesFreedAddresses) {
  Allocator allocator = with_pools({pool("big", {"2001:db8::/64"})});
  for (int i = 0; i < 1000; ++i) {
    auto result = allocator.assign(Svc("s" + std::to_string(i)).v6());
    ASSERT_TRUE(result);
    ASSERT_EQ(result.value().addresses[0], IpAddress::v6(ip("2001:db8::").value() + i));
  }
  ASSERT_TRUE(allocator.release(key("s500")));
  EXPECT_FALSE(allocator.release(key("s500")));
  auto again = allocator.assign(Svc("again").v6());
  ASSERT_TRUE(again);
  EXPECT_EQ(again.value().addresses[0].to_string(), "2001:db8::1f4");
  auto counts = allocator.counts("big");
  ASSERT_TRUE(counts);
  EXPECT_TRUE(counts.value().v6.in_use == 1000);
  EXPECT_TRUE(counts.value().v6.total == make_u128(1, 0));
}

}  // namespace
}  // namespace vipd::allocator
