// The allocator's rules (allocator/tests) restated through Service objects and configurations
// read by the real front end: requested addresses, requested pool, automatic order, auto-assign
// off, avoid-buggy-ips, pinned pools by namespace, namespace selector, service selector and
// priority, the three ip family policies, every sharing condition, and the pools' status counts.
#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <string>
#include <vector>

#include "controller/decider.hpp"
#include "controller/tests/builders.hpp"

namespace vipd::controller {
namespace {

using test::ips;
using test::pool_doc;
using test::Svc;

// What one Service got after a sync: its addresses (status or external IPs), or "failed: why".
std::string outcome(const Changes& c, const ServiceKey& key) {
  for (const auto& e : c.events) {
    if (e.service == key &&
        (e.reason == kReasonAllocationFailed || e.reason == kReasonLoadBalancerFailed)) {
      return "failed: " + e.message;
    }
  }
  const auto& d = test::desired(c, key);
  std::string out;
  for (const auto& a : d.ingress.empty() ? d.external_ips : d.ingress) {
    out += (out.empty() ? "" : " ") + a.to_string();
  }
  if (d.pool) out += " (" + *d.pool + ")";
  return out;
}

struct Case {
  const char* name;
  std::vector<k8s::Service> services;       // decided in key order
  std::map<std::string, std::string> want;  // key -> outcome; "failed: ..." matches a prefix
};

void run(const config::Config& config, const std::vector<Case>& cases,
         const std::map<std::string, Labels>& namespaces = {}) {
  for (const auto& c : cases) {
    Decider d;
    ASSERT_TRUE(d.set_config(config)) << c.name;
    const auto changes = d.sync(c.services, namespaces);
    for (const auto& [id, want] : c.want) {
      const auto got = outcome(changes, test::key(id));
      if (want.rfind("failed: ", 0) == 0) {
        EXPECT_EQ(got.substr(0, want.size()), want) << c.name << ": " << id;
      } else {
        EXPECT_EQ(got, want) << c.name << ": " << id;
      }
    }
  }
}

TEST(AllocationRules, RequestedAddresses) {
  const auto config =
      test::resources(pool_doc("auto", {"203.0.113.0/29", "2001:db8:1::/125"}) +
                      pool_doc("manual", {"198.51.100.0/29"}, "  autoAssign: false\n") +
                      pool_doc("buggy", {"192.0.2.0/24"}, "  avoidBuggyIPs: true\n"));
  run(config,
      {
          {"an address of an auto-assign pool",
           {Svc("a").lb_ips("203.0.113.3")},
           {{"a", "203.0.113.3 (auto)"}}},
          {"an address of a pool without auto-assign",
           {Svc("a").spec_ip("198.51.100.5")},
           {{"a", "198.51.100.5 (manual)"}}},
          {"one address per family, one pool",
           {Svc("a").require_dual().lb_ips("203.0.113.1, 2001:db8:1::7")},
           {{"a", "203.0.113.1 2001:db8:1::7 (auto)"}}},
          {"addresses of two pools",
           {Svc("a").require_dual().lb_ips("198.51.100.1,2001:db8:1::7")},
           {{"a",
             "failed: Failed to allocate IP for \"default/a\": 198.51.100.1 and 2001:db8:1::7 "
             "are in different address pools"}}},
          {"an address outside every pool",
           {Svc("a").lb_ips("203.0.113.200")},
           {{"a",
             "failed: Failed to allocate IP for \"default/a\": 203.0.113.200 is not in any "
             "address pool"}}},
          {"an avoided .0",
           {Svc("a").lb_ips("192.0.2.0")},
           {{"a",
             "failed: Failed to allocate IP for \"default/a\": 192.0.2.0 ends in .0 or .255"}}},
          {"the address of another Service",
           {Svc("a").lb_ips("203.0.113.3"), Svc("b").lb_ips("203.0.113.3")},
           {{"a", "203.0.113.3 (auto)"},
            {"b",
             "failed: Failed to allocate IP for \"default/b\": 203.0.113.3 is in use by "
             "default/a, which does not allow sharing"}}},
          {"an address and another pool",
           {Svc("a").lb_ips("203.0.113.3").pool("manual")},
           {{"a",
             "failed: Failed to allocate IP for \"default/a\": 203.0.113.3 belongs to address "
             "pool 'auto', but default/a asks for pool 'manual'"}}},
      });
}

TEST(AllocationRules, RequestedPoolAndAutomaticOrder) {
  const auto config =
      test::resources(pool_doc("first", {"203.0.113.0/31"}) +
                      pool_doc("manual", {"198.51.100.0/31"}, "  autoAssign: false\n") +
                      pool_doc("second", {"203.0.113.8/31"}));
  run(config,
      {
          {"configuration order, lowest address first",
           {Svc("a"), Svc("b"), Svc("c")},
           {{"a", "203.0.113.0 (first)"},
            {"b", "203.0.113.1 (first)"},
            {"c", "203.0.113.8 (second)"}}},
          {"a pool without auto-assign only when named",
           {Svc("a").pool("manual")},
           {{"a", "198.51.100.0 (manual)"}}},
          {"a named pool that is full",
           {Svc("a").pool("manual"), Svc("b").pool("manual"), Svc("c").pool("manual")},
           {{"c",
             "failed: Failed to allocate IP for \"default/c\": no free address for default/c "
             "in address pool 'manual'"}}},
          {"every auto-assign pool full",
           {Svc("a"), Svc("b"), Svc("c"), Svc("d"), Svc("e")},
           {{"d", "203.0.113.9 (second)"},
            {"e",
             "failed: Failed to allocate IP for \"default/e\": no free address for default/e in "
             "the address pools 'first', 'second'"}}},
      });
}

TEST(AllocationRules, AvoidBuggyIps) {
  run(test::resources(
          pool_doc("p", {"192.0.2.254/31", "198.51.100.0/30"}, "  avoidBuggyIPs: true\n")),
      {{"IPv4 .0 and .255 are skipped",
        {Svc("a"), Svc("b"), Svc("c")},
        {{"a", "192.0.2.254 (p)"}, {"b", "198.51.100.1 (p)"}, {"c", "198.51.100.2 (p)"}}}});
}

TEST(AllocationRules, PinnedPoolsByNamespaceSelectorLabelsAndPriority) {
  const auto config = test::resources(
      pool_doc("general", {"203.0.113.0/28"}) +
      pool_doc("ns1-low", {"198.51.100.0/28"},
               "  serviceAllocation:\n    priority: 20\n    namespaces: [ns1]\n") +
      pool_doc("ns1-any", {"198.51.100.16/28"}, "  serviceAllocation:\n    namespaces: [ns1]\n") +
      pool_doc("team-a-high", {"198.51.100.32/28"},
               "  serviceAllocation:\n    priority: 10\n    serviceSelectors:\n"
               "    - matchLabels: {team: a}\n") +
      pool_doc("ns2", {"198.51.100.48/28"}, "  serviceAllocation:\n    namespaces: [ns2]\n") +
      pool_doc("ns3-first", {"198.51.100.64/28"},
               "  serviceAllocation:\n    priority: 5\n    namespaces: [ns3]\n") +
      pool_doc("ns3-second", {"198.51.100.80/28"},
               "  serviceAllocation:\n    priority: 5\n    namespaces: [ns3]\n") +
      pool_doc("ns4-manual", {"198.51.100.96/28"},
               "  autoAssign: false\n  serviceAllocation:\n    namespaces: [ns4]\n") +
      pool_doc("prod", {"198.51.100.112/28"},
               "  serviceAllocation:\n    namespaceSelectors:\n    - matchLabels: {env: prod}\n"));
  run(config,
      {
          {"ns1 prefers its priority-20 pool to its unprioritised one",
           {Svc("ns1/s")},
           {{"ns1/s", "198.51.100.0 (ns1-low)"}}},
          {"a lower priority number wins",
           {Svc("ns1/s").label("team", "a")},
           {{"ns1/s", "198.51.100.32 (team-a-high)"}}},
          {"labels pin in any namespace",
           {Svc("nsx/s").label("team", "a")},
           {{"nsx/s", "198.51.100.32 (team-a-high)"}}},
          {"nothing pinned: the general pools",
           {Svc("nsx/s")},
           {{"nsx/s", "203.0.113.0 (general)"}}},
          {"a pool pinned to one namespace", {Svc("ns2/s")}, {{"ns2/s", "198.51.100.48 (ns2)"}}},
          {"equal priority: configuration order",
           {Svc("ns3/s")},
           {{"ns3/s", "198.51.100.64 (ns3-first)"}}},
          {"a pinned pool without auto-assign is skipped",
           {Svc("ns4/s")},
           {{"ns4/s", "203.0.113.0 (general)"}}},
          {"a namespace selector pins", {Svc("team/s")}, {{"team/s", "198.51.100.112 (prod)"}}},
          {"a namespace the selector does not match",
           {Svc("dev/s")},
           {{"dev/s", "203.0.113.0 (general)"}}},
          {"a pinned pool refuses other namespaces when named",
           {Svc("nsx/s").pool("ns2")},
           {{"nsx/s",
             "failed: Failed to allocate IP for \"nsx/s\": address pool 'ns2' serves only "
             "namespaces ns2; nsx/s is in namespace 'nsx'"}}},
      },
      {{"team", {{"env", "prod"}}}, {"dev", {{"env", "dev"}}}});
}

TEST(AllocationRules, IpFamilyPolicies) {
  const auto v4_only = pool_doc("v4", {"203.0.113.0/28"});
  const auto v6_only = pool_doc("v6", {"2001:db8:6::/124"});
  const auto both = pool_doc("both", {"198.51.100.0/28", "2001:db8:46::/124"});
  const auto pinned_v4 =
      pool_doc("pinned-v4", {"192.0.2.0/28"}, "  serviceAllocation:\n    namespaces: [ns]\n");
  struct FamilyCase {
    const char* name;
    std::string pools;
    k8s::Service service;
    std::string want;
  };
  using k8s::IpFamilyPolicy;
  const FamilyCase cases[] = {
      {"SingleStack IPv4", v6_only + both, Svc("s"), "198.51.100.0 (both)"},
      {"SingleStack IPv6", v4_only + both, Svc("s").v6(), "2001:db8:46:: (both)"},
      {"SingleStack IPv6 without any IPv6 pool", v4_only, Svc("s").v6(), "failed: "},
      {"RequireDualStack skips single-family pools", v4_only + v6_only + both,
       Svc("s").require_dual(), "198.51.100.0 2001:db8:46:: (both)"},
      {"RequireDualStack with no pool giving both", v4_only + v6_only, Svc("s").require_dual(),
       "failed: "},
      {"PreferDualStack takes a pool giving both", v4_only + both, Svc("s").prefer_dual(),
       "198.51.100.0 2001:db8:46:: (both)"},
      {"PreferDualStack falls back to the primary family", v6_only + v4_only,
       Svc("s").prefer_dual(), "203.0.113.0 (v4)"},
      {"PreferDualStack with IPv6 primary (listed first)", v4_only + v6_only,
       Svc("s").prefer_dual(Family::kV6), "2001:db8:6:: (v6)"},
      {"PreferDualStack falls back to the secondary family", v6_only,
       Svc("s").prefer_dual(Family::kV4), "2001:db8:6:: (v6)"},
      {"PreferDualStack on a single-family Service is single stack", both,
       Svc("s").prefer_dual(Family::kV4, false), "198.51.100.0 (both)"},
      {"a pinned pool with one family beats a general pool with both", both + pinned_v4,
       Svc("ns/s").prefer_dual(), "192.0.2.0 (pinned-v4)"},
      {"RequireDualStack passes over a pinned single-family pool", both + pinned_v4,
       Svc("ns/s").require_dual(), "198.51.100.0 2001:db8:46:: (both)"},
  };
  for (const auto& c : cases) {
    const auto id = c.service.meta.namespace_ + "/" + c.service.meta.name;
    run(test::resources(c.pools), {{c.name, {c.service}, {{id, c.want}}}});
  }
}

TEST(AllocationRules, EverySharingCondition) {
  const auto config = test::resources(pool_doc("p", {"203.0.113.0/24"}));
  const auto at = [](const char* id) { return Svc(id).lb_ips("203.0.113.1"); };
  using k8s::Protocol;
  struct ShareCase {
    const char* name;
    k8s::Service holder;  // decided first (key order)
    k8s::Service second;
    std::string error;  // empty: shared
  };
  const ShareCase cases[] = {
      {"same key, disjoint ports", at("a").share("k").port(80), at("b").share("k").port(443), ""},
      {"same port number, other protocol", at("a").share("k").port(53, Protocol::kTcp),
       at("b").share("k").port(53, Protocol::kUdp), ""},
      {"holder has no key", at("a").port(80), at("b").share("k").port(443),
       "203.0.113.1 is in use by default/a, which does not allow sharing (it has no sharing "
       "key)"},
      {"second has no key", at("a").share("k").port(80), at("b").port(443),
       "203.0.113.1 is in use by default/a; to share it, default/b needs the sharing key 'k'"},
      {"different keys", at("a").share("k").port(80), at("b").share("j").port(443),
       "203.0.113.1 is shared under the sharing key 'k' (by default/a), not 'j'"},
      {"port overlap", at("a").share("k").ports({{Protocol::kTcp, 80}, {Protocol::kTcp, 8080}}),
       at("b").share("k").ports({{Protocol::kUdp, 80}, {Protocol::kTcp, 8080}}),
       "port TCP/8080 on 203.0.113.1 is already used by default/a"},
      {"traffic policy differs", at("a").share("k").port(80),
       at("b").share("k").port(443).local({{"app", "x"}}),
       "203.0.113.1 is shared with traffic policy Cluster (by default/a), but default/b has "
       "Local"},
      {"Local with the same selector", at("a").share("k").port(80).local({{"app", "x"}}),
       at("b").share("k").port(443).local({{"app", "x"}}), ""},
      {"Local with another selector", at("a").share("k").port(80).local({{"app", "x"}}),
       at("b").share("k").port(443).local({{"app", "y"}}),
       "203.0.113.1 is shared with traffic policy Local by default/a, whose pod selector "
       "differs from that of default/b"},
      {"Cluster ignores selectors", at("a").share("k").port(80).selector({{"app", "x"}}),
       at("b").share("k").port(443).selector({{"app", "y"}}), ""},
      {"the deprecated annotation shares too", at("a").share("k").port(80),
       at("b").annotate("metallb.universe.tf/allow-shared-ip", "k").port(443), ""},
  };
  for (const auto& c : cases) {
    const auto second = c.second.meta.namespace_ + "/" + c.second.meta.name;
    run(config, {{c.name,
                  {c.holder, c.second},
                  {{"a", "203.0.113.1 (p)"},
                   {second, c.error.empty() ? std::string("203.0.113.1 (p)")
                                            : "failed: Failed to allocate IP for \"" + second +
                                                  "\": " + c.error}}}});
  }
  // Automatic allocation packs Services with one key onto one address.
  run(config, {{"packing by key",
                {Svc("a").share("k").port(80), Svc("b").port(80), Svc("c").share("k").port(443),
                 Svc("d").share("k").port(80)},
                {{"a", "203.0.113.0 (p)"},
                 {"b", "203.0.113.1 (p)"},
                 {"c", "203.0.113.0 (p)"},
                 {"d", "203.0.113.2 (p)"}}}});
}

TEST(PoolStatus, CountsPerFamilyWithSharingBuggyIpsAndHugePools) {
  const auto config = test::resources(
      pool_doc("test", {"203.0.113.4/30", "2001:db8::4/126"}) +
      pool_doc("buggy", {"192.0.2.0/24", "2001:db8:1::/64"}, "  avoidBuggyIPs: true\n"));
  Decider d;
  ASSERT_TRUE(d.set_config(config));
  EXPECT_TRUE(d.pool_status().empty());  // nothing is counted before the Services are known
  d.sync({Svc("s1").lb_ips("203.0.113.4").share("k").port(80),
          Svc("s2").lb_ips("203.0.113.4").share("k").port(443),
          Svc("s3").lb_ips("203.0.113.4").share("k").port(23), Svc("z").require_dual().pool("test"),
          Svc("big").v6().pool("buggy")},
         {});
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(d.pool_status(),
            (std::vector<PoolStatus>{
                {.pool = "test",
                 .assigned_ipv4 = 2,  // three Services share one address, z has another
                 .assigned_ipv6 = 1,
                 .available_ipv4 = 2,
                 .available_ipv6 = 3},
                {.pool = "buggy",
                 .assigned_ipv4 = 0,
                 .assigned_ipv6 = 1,
                 .available_ipv4 = 254,  // .0 and .255 are not counted
                 .available_ipv6 = kMax - 1},
            }));
  d.remove(test::key("s1"));
  d.remove(test::key("s2"));
  EXPECT_EQ(d.pool_status()[0].assigned_ipv4, 2);
  d.remove(test::key("s3"));
  EXPECT_EQ(d.pool_status()[0].assigned_ipv4, 1);
  EXPECT_EQ(d.pool_status()[0].available_ipv4, 3);
}

}  // namespace
}  // namespace vipd::controller
