// Table-driven tests of configuration reloads (set_pools) and of re-adoption after a restart.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "allocator/allocator.hpp"
#include "allocator/tests/helpers.hpp"

namespace vipd::allocator {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace): builders only

std::string pool_of(const Allocator& allocator, std::string_view service) {
  const Assignment* a = allocator.assignment(key(service));
  return a == nullptr ? "" : a->pool;
}

// MetalLB's reload cases: s1 holds 203.0.113.0, s2 holds 2001:db8::, d holds both families.
TEST(AllocatorReload, ExpandShrinkRenameSplitAndBuggy) {
  struct Case {
    std::string desc;
    std::vector<Pool> pools;
    std::string s1, s2, d;           // expected pool after the reload; empty: cleared
    std::vector<std::string> moved;  // services reported as moved
  };
  const std::vector<Case> cases = {
      {"the same configuration changes nothing",
       {pool("test", {"203.0.113.0/30", "2001:db8::/126"}),
        pool("unused", {"198.51.100.0/30", "2001:db8:1::/126"})},
       "test",
       "test",
       "test",
       {}},
      {"expand the pool",
       {pool("test", {"203.0.113.0/24", "2001:db8::/120"})},
       "test",
       "test",
       "test",
       {}},
      {"shrink the pool around the addresses",
       {pool("test", {"203.0.113.0/31", "2001:db8::/126"})},
       "test",
       "test",
       "test",
       {}},
      {"shrink IPv4 past s1's address",
       {pool("test", {"203.0.113.2/31", "2001:db8::/126"})},
       "",
       "test",
       "",
       {}},
      {"shrink IPv6 past s2's address",
       {pool("test", {"203.0.113.0/30", "2001:db8::2/127"})},
       "test",
       "",
       "test",
       {}},
      {"rename the pool",
       {pool("test2", {"203.0.113.0/30", "2001:db8::/126"})},
       "test2",
       "test2",
       "test2",
       {"default/d", "default/s1", "default/s2"}},
      {"split the pool by family",
       {pool("test", {"203.0.113.0/31"}), pool("test2", {"2001:db8::/126"})},
       "test",
       "test2",
       "",
       {"default/s2"}},
      {"split into ranges",
       {pool("low", {"203.0.113.0-203.0.113.0", "2001:db8::-2001:db8::1"}),
        pool("high", {"203.0.113.1-203.0.113.3", "2001:db8::2-2001:db8::3"})},
       "low",
       "low",
       "high",
       {"default/d", "default/s1", "default/s2"}},
      {"turn on avoid-buggy-ips",
       {pool("test", {"203.0.113.0/30", "2001:db8::/126"}, {.avoid_buggy = true})},
       "",
       "test",
       "test",
       {}},
      {"remove every pool", {}, "", "", "", {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.desc);
    Allocator allocator = with_pools({pool("test", {"203.0.113.0/30", "2001:db8::/126"}),
                                      pool("unused", {"198.51.100.0/30", "2001:db8:1::/126"})});
    run(allocator, {assign("s1", Svc("s1").ips({"203.0.113.0"}), {"203.0.113.0"}),
                    assign("s2", Svc("s2").v6().ips({"2001:db8::"}), {"2001:db8::"}),
                    assign("d", Svc("d").require_dual().ips({"203.0.113.1", "2001:db8::2"}),
                           {"203.0.113.1", "2001:db8::2"})});
    auto report = allocator.set_pools(c.pools);
    ASSERT_TRUE(report) << report.error().message();
    EXPECT_EQ(pool_of(allocator, "s1"), c.s1);
    EXPECT_EQ(pool_of(allocator, "s2"), c.s2);
    EXPECT_EQ(pool_of(allocator, "d"), c.d);
    std::vector<std::string> cleared;
    for (const auto& x : report.value().cleared) {
      cleared.push_back(x.service.to_string());
      EXPECT_EQ(allocator.assignment(x.service), nullptr);
      EXPECT_FALSE(x.reason.empty());
      EXPECT_FALSE(x.previous.addresses.empty());
    }
    std::vector<std::string> want_cleared;
    if (c.d.empty()) want_cleared.push_back("default/d");
    if (c.s1.empty()) want_cleared.push_back("default/s1");
    if (c.s2.empty()) want_cleared.push_back("default/s2");
    EXPECT_EQ(cleared, want_cleared);
    std::vector<std::string> moved;
    for (const auto& x : report.value().moved) moved.push_back(x.service.to_string());
    EXPECT_EQ(moved, c.moved);
    // Counts follow: what was cleared is free again.
    for (const Pool& p : allocator.pools()) {
      u128 in_use = 0;
      for (const auto& [service, a] : allocator.assignments()) {
        if (a.pool == p.name) in_use += a.addresses.size();
      }
      EXPECT_TRUE(allocator.counts(p.name).value().in_use() == in_use) << p.name;
    }
  }
}

TEST(AllocatorReload, ReportsWhyAnAssignmentWasCleared) {
  Allocator allocator = with_pools({pool("test", {"203.0.113.0/30", "2001:db8::/126"})});
  ASSERT_TRUE(allocator.assign(Svc("s1").ips({"203.0.113.0"})));
  ASSERT_TRUE(allocator.assign(Svc("d").require_dual()));
  auto report = allocator.set_pools(
      {pool("a", {"203.0.113.0/30"}, {.avoid_buggy = true}), pool("b", {"2001:db8::/126"})});
  ASSERT_TRUE(report);
  ASSERT_EQ(report.value().cleared.size(), 2u);
  EXPECT_EQ(report.value().cleared[0].service, key("d"));
  EXPECT_EQ(report.value().cleared[0].reason,
            "203.0.113.1 and 2001:db8:: now belong to different address pools ('a' and 'b')");
  EXPECT_EQ(report.value().cleared[1].service, key("s1"));
  EXPECT_EQ(report.value().cleared[1].reason,
            "203.0.113.0 ends in .0 or .255, which address pool 'a' avoids (avoid-buggy-ips is "
            "set)");
  EXPECT_EQ(report.value().cleared[1].previous, (Assignment{"test", {ip("203.0.113.0")}}));
  // The caller re-allocates: s1 gets the first usable address of the new pools.
  run(allocator, {assign("s1 again", Svc("s1"), {"203.0.113.1"}, "a")});
}

TEST(AllocatorReload, InvalidPoolsAreRefusedAndTheOldOnesStay) {
  Allocator allocator = with_pools({pool("test", {"203.0.113.0/30"})});
  ASSERT_TRUE(allocator.assign(Svc("s1")));
  const auto before = allocator.assignments();
  auto report = allocator.set_pools({pool("a", {"203.0.113.0/24"}), pool("b", {"203.0.113.7/32"})});
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code(), make_error_code(Errc::kConflict));
  EXPECT_EQ(allocator.assignments(), before);
  EXPECT_EQ(allocator.pools().size(), 1u);
  EXPECT_EQ(allocator.pools()[0].name, "test");
  EXPECT_TRUE(allocator.counts("test").value().v4.in_use == 1);
}

TEST(AllocatorReload, SharedAddressesSurviveAReload) {
  Allocator allocator = with_pools({pool("test", {"203.0.113.0/30"})});
  run(allocator, {assign("a", Svc("a").share("k").on({"TCP/80"}), {"203.0.113.0"}),
                  assign("b", Svc("b").share("k").on({"TCP/443"}), {"203.0.113.0"})});
  ASSERT_TRUE(allocator.set_pools({pool("renamed", {"203.0.113.0/29"})}));
  EXPECT_EQ(allocator.holders(ip("203.0.113.0")), (std::vector<ServiceKey>{key("a"), key("b")}));
  run(allocator,
      {refuse("the port rule still holds", Svc("c").ips({"203.0.113.0"}).share("k").on({"TCP/80"}),
              "port TCP/80 on 203.0.113.0 is already used by default/a"),
       assign("c shares on another port", Svc("c").share("k").on({"TCP/22"}), {"203.0.113.0"})});
  EXPECT_TRUE(allocator.counts("renamed").value().v4.in_use == 1);
}

// Restart: existing assignments are re-asserted before anything new is allocated.
TEST(AllocatorRestart, AdoptsExistingAssignmentsAndReportsConflicts) {
  Allocator allocator = with_pools({
      pool("test", {"203.0.113.0/29", "2001:db8::/64"}),
      pool("ns1", {"198.51.100.0/29"}, {.namespaces = {"ns1"}}),
  });
  const auto adopt = [](std::string desc, const Svc& svc, std::vector<std::string> addresses,
                        std::vector<std::string> want, std::string error = "") {
    Step step{std::move(desc), Step::Op::kAdopt, svc.r, std::move(want), "", std::move(error)};
    step.adopt = std::move(addresses);
    return step;
  };
  run(allocator,
      {
          adopt("s2 re-asserts a status address", Svc("s2"), {"203.0.113.3"}, {"203.0.113.3"}),
          adopt("again: idempotent", Svc("s2"), {"203.0.113.3"}, {"203.0.113.3"}),
          adopt("d re-asserts both families", Svc("d").require_dual(),
                {"2001:db8::7", "203.0.113.5"}, {"203.0.113.5", "2001:db8::7"}),
          adopt("a second holder without sharing is a conflict", Svc("x"), {"203.0.113.3"}, {},
                "203.0.113.3 is in use by default/s2, which does not allow sharing"),
          adopt("an address no pool holds", Svc("y"), {"192.0.2.1"}, {},
                "192.0.2.1 is not in any address pool"),
          adopt("a different pool than requested", Svc("z").from("ns1"), {"203.0.113.6"}, {},
                "203.0.113.6 belongs to address pool 'test', but default/z asks for pool 'ns1'"),
          adopt("a pool that no longer accepts the namespace", Svc("nsx/w"), {"198.51.100.1"}, {},
                "address pool 'ns1' serves only namespaces ns1"),
          adopt("other addresses than requested", Svc("r").ips({"203.0.113.6"}), {"203.0.113.7"},
                {}, "default/r holds 203.0.113.7 but requests 203.0.113.6"),
          adopt("other addresses than already held", Svc("s2"), {"203.0.113.4"}, {},
                "default/s2 already holds 203.0.113.3; it cannot also adopt 203.0.113.4"),
          adopt("two addresses of one family", Svc("q"), {"203.0.113.1", "203.0.113.2"}, {},
                "a Service holds one address per family"),
          adopt("nothing", Svc("q"), {}, {}, "a Service holds one address per family"),
          adopt("shared holders re-assert together", Svc("h1").share("k").on({"TCP/80"}),
                {"203.0.113.6"}, {"203.0.113.6"}),
          adopt("second sharer", Svc("h2").share("k").on({"TCP/443"}), {"203.0.113.6"},
                {"203.0.113.6"}),
          // Then the new allocations: they go around what was adopted.
          assign("new Service after adoption", Svc("n1"), {"203.0.113.0"}),
          assign("next", Svc("n2"), {"203.0.113.1"}),
          assign("next", Svc("n3"), {"203.0.113.2"}),
          assign("skips adopted .3", Svc("n4"), {"203.0.113.4"}),
          assign("skips adopted .5 and .6", Svc("n5"), {"203.0.113.7"}),
          assign("an adopted Service keeps its address", Svc("s2"), {"203.0.113.3"}),
          assign("dual stack keeps both", Svc("d").require_dual(), {"203.0.113.5", "2001:db8::7"}),
      });
}

}  // namespace
}  // namespace vipd::allocator
