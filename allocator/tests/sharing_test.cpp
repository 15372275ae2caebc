// Table-driven tests of address sharing (metallb.io/allow-shared-ip) and of pool counts.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "allocator/allocator.hpp"
#include "allocator/tests/helpers.hpp"

namespace vipd::allocator {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace): builders only

// Every sharing condition: a holder takes 203.0.113.1, then a second Service asks for it.
TEST(AllocatorSharing, EveryCondition) {
  struct Case {
    std::string desc;
    Svc holder;
    Svc second;
    std::string error;  // empty: shared
  };
  const auto at = [](std::string name) {
    Svc s(name);
    s.ips({"203.0.113.1"});
    return s;
  };
  const std::vector<Case> cases = {
      {"same key, disjoint ports", at("a").share("k").on({"TCP/80"}),
       at("b").share("k").on({"TCP/443"}), ""},
      {"same port number, other protocol", at("a").share("k").on({"TCP/53"}),
       at("b").share("k").on({"UDP/53"}), ""},
      {"holder has no key", at("a").on({"TCP/80"}), at("b").share("k").on({"TCP/443"}),
       "203.0.113.1 is in use by default/a, which does not allow sharing (it has no sharing "
       "key)"},
      {"second has no key", at("a").share("k").on({"TCP/80"}), at("b").on({"TCP/443"}),
       "203.0.113.1 is in use by default/a; to share it, default/b needs the sharing key 'k'"},
      {"different keys", at("a").share("k").on({"TCP/80"}), at("b").share("j").on({"TCP/443"}),
       "203.0.113.1 is shared under the sharing key 'k' (by default/a), not 'j'"},
      {"port overlap", at("a").share("k").on({"TCP/80", "TCP/8080"}),
       at("b").share("k").on({"UDP/80", "TCP/8080"}),
       "port TCP/8080 on 203.0.113.1 is already used by default/a"},
      {"traffic policy differs", at("a").share("k").on({"TCP/80"}),
       at("b").share("k").on({"TCP/443"}).local({{"app", "x"}}),
       "203.0.113.1 is shared with traffic policy Cluster (by default/a), but default/b has "
       "Local"},
      {"Local with the same selector", at("a").share("k").on({"TCP/80"}).local({{"app", "x"}}),
       at("b").share("k").on({"TCP/443"}).local({{"app", "x"}}), ""},
      {"Local with another selector", at("a").share("k").on({"TCP/80"}).local({{"app", "x"}}),
       at("b").share("k").on({"TCP/443"}).local({{"app", "y"}}),
       "whose pod selector differs from that of default/b"},
      {"Cluster ignores selectors", at("a").share("k").on({"TCP/80"}).backend({{"app", "x"}}),
       at("b").share("k").on({"TCP/443"}).backend({{"app", "y"}}), ""},
      {"same namespace/name in another namespace is another Service",
       at("ns1/a").share("k").on({"TCP/80"}), at("ns2/a").share("k").on({"TCP/443"}), ""},
  };
  for (const auto& c : cases) {
    Allocator allocator = with_pools({pool("p", {"203.0.113.0/24"})});
    if (c.error.empty()) {
      run(allocator, {assign(c.desc + ": holder", c.holder, {"203.0.113.1"}),
                      assign(c.desc, c.second, {"203.0.113.1"})});
      EXPECT_EQ(allocator.holders(ip("203.0.113.1")).size(), 2u) << c.desc;
    } else {
      run(allocator, {assign(c.desc + ": holder", c.holder, {"203.0.113.1"}),
                      refuse(c.desc, c.second, c.error)});
      EXPECT_EQ(allocator.holders(ip("203.0.113.1")).size(), 1u) << c.desc;
    }
  }
}

// Changing the key or ports of an address: free for a sole holder, refused once shared.
TEST(AllocatorSharing, KeyAndPortChanges) {
  Allocator allocator = with_pools({pool("p", {"198.51.100.0/24", "2001:db8::/64"})});
  run(allocator,
      {
          assign("s4 takes an address with a key",
                 Svc("s4").ips({"198.51.100.3"}).share("sharing").on({"TCP/80"}), {"198.51.100.3"}),
          assign("s4 alone changes its key in place",
                 Svc("s4").ips({"198.51.100.3"}).share("share").on({"TCP/80"}), {"198.51.100.3"}),
          refuse("s3 overlaps s4's port",
                 Svc("s3").ips({"198.51.100.3"}).share("share").on({"TCP/80"}),
                 "port TCP/80 on 198.51.100.3 is already used by default/s4"),
          assign("s3 shares", Svc("s3").ips({"198.51.100.3"}).share("share").on({"TCP/443"}),
                 {"198.51.100.3"}),
          assign("s3 changes its ports",
                 Svc("s3").ips({"198.51.100.3"}).share("share").on({"UDP/53"}), {"198.51.100.3"}),
          refuse("s3 cannot take s4's port",
                 Svc("s3").ips({"198.51.100.3"}).share("share").on({"TCP/80"}),
                 "port TCP/80 on 198.51.100.3 is already used by default/s4"),
          refuse(
              "s3 cannot change the key of a shared address",
              Svc("s3").ips({"198.51.100.3"}).share("other").on({"UDP/53"}),
              "198.51.100.3 is shared under the sharing key 'share' (by default/s4), not 'other'"),
          refuse(
              "s4 cannot either, also when allocating automatically",
              Svc("s4").share("other").on({"TCP/80"}),
              "198.51.100.3 is shared under the sharing key 'share' (by default/s3), not 'other'"),
          refuse("nor drop its key", Svc("s4").on({"TCP/80"}),
                 "to share it, default/s4 needs the sharing key 'share'"),
          refuse("nor change its traffic policy", Svc("s4").share("share").on({"TCP/80"}).local({}),
                 "Services sharing an address need the same traffic policy"),
          release("s4 leaves", "s4"),
          assign("s3 alone may now change its key", Svc("s3").share("other").on({"UDP/53"}),
                 {"198.51.100.3"}),
          assign("the same rules hold on IPv6", Svc("v1").v6().share("v").on({"TCP/80"}),
                 {"2001:db8::"}),
          assign("v2 shares it", Svc("v2").v6().share("v").on({"TCP/81"}), {"2001:db8::"}),
          refuse("v1 cannot change key", Svc("v1").v6().share("w").on({"TCP/80"}), "not 'w'"),
      });
}

// A copy (and a copy assigned over another allocator) holds its own records: the original can
// go, and the copy still knows every holder, in the order they came.
TEST(AllocatorSharing, CopiesKeepHoldersInOrder) {
  Allocator copy;
  Allocator assigned = with_pools({pool("q", {"192.0.2.0/24"})});
  {
    Allocator original = with_pools({pool("p", {"198.51.100.0/24"})});
    run(original,
        {
            assign("s4", Svc("s4").ips({"198.51.100.3"}).share("k").on({"TCP/80"}),
                   {"198.51.100.3"}),
            assign("s3 shares", Svc("s3").ips({"198.51.100.3"}).share("k").on({"TCP/443"}),
                   {"198.51.100.3"}),
            assign("s5 alone", Svc("s5"), {"198.51.100.0"}),
        });
    copy = Allocator(original);
    assigned = original;
    run(original, {release("the original lets s4 go", "s4")});
  }
  for (Allocator* a : {&copy, &assigned}) {
    EXPECT_EQ(a->holders(ip("198.51.100.3")), (std::vector{key("s3"), key("s4")}));
    run(*a,
        {
            refuse("s4 came first", Svc("s6").ips({"198.51.100.3"}).share("j").on({"TCP/22"}),
                   "198.51.100.3 is shared under the sharing key 'k' (by default/s4), not 'j'"),
            refuse("the copy knows s3's port",
                   Svc("s6").ips({"198.51.100.3"}).share("k").on({"TCP/443"}),
                   "port TCP/443 on 198.51.100.3 is already used by default/s3"),
            release("s4 leaves the copy", "s4"),
            refuse("now s3 is the holder",
                   Svc("s6").ips({"198.51.100.3"}).share("j").on({"TCP/22"}), "(by default/s3)"),
            release("s3 leaves", "s3"),
            assign("the address is free", Svc("s6").ips({"198.51.100.3"}), {"198.51.100.3"}),
        });
    EXPECT_EQ(a->holders(ip("198.51.100.0")), (std::vector{key("s5")}));
  }
}

// Automatic allocation packs Services with one sharing key onto the lowest usable address.
TEST(AllocatorSharing, AutomaticAllocationPacksByKey) {
  Allocator allocator = with_pools({pool("p", {"203.0.113.1-203.0.113.9"})});
  run(allocator,
      {
          assign("a", Svc("a").share("k").on({"TCP/80"}), {"203.0.113.1"}),
          assign("b joins a", Svc("b").share("k").on({"TCP/443"}), {"203.0.113.1"}),
          assign("c overlaps: next address", Svc("c").share("k").on({"TCP/80"}), {"203.0.113.2"}),
          assign("d has no key", Svc("d").on({"TCP/80"}), {"203.0.113.3"}),
          assign("e has another key", Svc("e").share("j").on({"TCP/80"}), {"203.0.113.4"}),
          release("a leaves, b keeps .1", "a"),
          assign("f takes a's port on .1", Svc("f").share("k").on({"TCP/80"}), {"203.0.113.1"}),
          release("b leaves", "b"),
          release("f leaves: .1 is free", "f"),
          assign("g without key takes .1", Svc("g"), {"203.0.113.1"}),
          assign("h with key k joins c on .2 before free .5", Svc("h").share("k").on({"TCP/22"}),
                 {"203.0.113.2"}),
          assign("i with key j cannot join e on TCP/80, takes .5",
                 Svc("i").share("j").on({"TCP/80"}), {"203.0.113.5"}),
          assign("Local k with a selector does not join Cluster k",
                 Svc("l").share("k").on({"TCP/9"}).local({{"app", "l"}}), {"203.0.113.6"}),
      });
}

TEST(AllocatorCounts, PerFamilyWithSharingBuggyIpsAndHugePools) {
  Allocator allocator = with_pools({
      pool("test", {"203.0.113.4/30", "2001:db8::4/126"}),
      pool("buggy", {"192.0.2.0/24", "198.51.100.128/25", "2001:db8:1::/64"},
           {.avoid_buggy = true}),
  });
  struct Case {
    std::string desc;
    std::vector<Step> steps;
    u128 v4_in_use;
    u128 v6_in_use;
  };
  const std::vector<Case> cases = {
      {"empty", {}, 0, 0},
      {"two services",
       {assign("s1", Svc("s1"), {"203.0.113.4"}), assign("s2", Svc("s2"), {"203.0.113.5"})},
       2,
       0},
      {"release one", {release("s1", "s1")}, 1, 0},
      {"release the other", {release("s2", "s2")}, 0, 0},
      {"three share one address",
       {assign("s1", Svc("s1").ips({"203.0.113.4"}).share("k").on({"TCP/80"}), {"203.0.113.4"}),
        assign("s2", Svc("s2").ips({"203.0.113.4"}).share("k").on({"TCP/443"}), {"203.0.113.4"}),
        assign("s3", Svc("s3").ips({"203.0.113.4"}).share("k").on({"TCP/23"}), {"203.0.113.4"})},
       1,
       0},
      {"two of three leave", {release("s1", "s1"), release("s2", "s2")}, 1, 0},
      {"the last leaves", {release("s3", "s3")}, 0, 0},
      {"dual stack counts once per family",
       {assign("d", Svc("d").require_dual(), {"203.0.113.4", "2001:db8::4"})},
       1,
       1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.desc);
    run(allocator, c.steps);
    auto counts = allocator.counts("test");
    ASSERT_TRUE(counts);
    EXPECT_TRUE(counts.value().v4 == (FamilyCounts{4, c.v4_in_use}));
    EXPECT_TRUE(counts.value().v6 == (FamilyCounts{4, c.v6_in_use}));
    EXPECT_TRUE(counts.value().in_use() == c.v4_in_use + c.v6_in_use);
  }

  auto buggy = allocator.counts("buggy");
  ASSERT_TRUE(buggy);
  EXPECT_TRUE(buggy.value().v4.total == 381);  // 254 + 127
  EXPECT_TRUE(buggy.value().v6.total == make_u128(1, 0));
  EXPECT_TRUE(buggy.value().total() == make_u128(1, 381));

  auto missing = allocator.counts("nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), make_error_code(Errc::kNotFound));

  Allocator huge = with_pools({pool("huge", {"::/1", "8000::/1", "0.0.0.0/0"})});
  auto counts = huge.counts("huge");
  ASSERT_TRUE(counts);
  EXPECT_TRUE(counts.value().v6.total == kU128Max);  // 2^128 saturates
  EXPECT_TRUE(counts.value().total() == kU128Max);
  EXPECT_TRUE(counts.value().v4.total == make_u128(0, 1ull << 32));
}

}  // namespace
}  // namespace vipd::allocator
