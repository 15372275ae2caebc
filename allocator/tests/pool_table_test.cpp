#include "allocator/pool_table.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "allocator/tests/helpers.hpp"

namespace vipd::allocator {
namespace {

using test::ip;
using test::pool;

TEST(PoolTable, BuggyAddressesAreExactlyIpv4DotZeroAndDot255) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"203.0.113.0", true},    {"203.0.113.255", true}, {"203.0.113.1", false},
      {"203.0.113.254", false}, {"2001:db8::", false},   {"2001:db8::ff", false},
      {"0.0.0.0", true},
  };
  for (const auto& [text, buggy] : cases) EXPECT_EQ(is_buggy(ip(text)), buggy) << text;
}

TEST(PoolTable, AvoidBuggyOrdinalsSkipDotZeroAndDot255) {
  auto table = PoolTable::make({pool("p", {"198.51.100.250-198.51.101.3"}, {.avoid_buggy = true})});
  ASSERT_TRUE(table) << table.error().message();
  const Block& b = table.value().blocks()[0];
  EXPECT_EQ(b.size(), u128{8});  // .250-.254 and .1-.3
  std::vector<std::string> walk;
  for (u128 o = b.first_ordinal; o <= b.last_ordinal; ++o) walk.push_back(b.address(o).to_string());
  EXPECT_EQ(walk, (std::vector<std::string>{"198.51.100.250", "198.51.100.251", "198.51.100.252",
                                            "198.51.100.253", "198.51.100.254", "198.51.101.1",
                                            "198.51.101.2", "198.51.101.3"}));
  for (u128 o = b.first_ordinal; o <= b.last_ordinal; ++o) EXPECT_EQ(b.ordinal(b.address(o)), o);
}

TEST(PoolTable, BlockSizes) {
  struct Case {
    std::string block;
    bool avoid_buggy;
    u128 size;
  };
  const std::vector<Case> cases = {
      {"203.0.113.0/24", false, 256},
      {"203.0.113.0/24", true, 254},
      {"198.18.0.0/15", true, 512 * 254},
      {"198.51.100.128/25", true, 127},  // only .255 goes
      {"192.0.2.0/31", true, 1},
      {"192.0.2.255-192.0.2.255", true, 0},
      {"192.0.2.255-192.0.3.0", true, 0},
      {"192.0.2.255-192.0.3.0", false, 2},
      {"0.0.0.0-0.0.0.0", true, 0},
      {"2001:db8::/64", true, make_u128(1, 0)},  // avoid-buggy does not touch IPv6
      {"2001:db8::/127", false, 2},
      {"::/0", false, kU128Max},  // saturates
  };
  for (const auto& c : cases) {
    auto table = PoolTable::make({pool("p", {c.block}, {.avoid_buggy = c.avoid_buggy})});
    ASSERT_TRUE(table) << c.block;
    EXPECT_TRUE(table.value().blocks()[0].size() == c.size) << c.block;
    EXPECT_EQ(table.value().blocks()[0].empty, c.size == 0) << c.block;
  }
}

TEST(PoolTable, FindsTheOwnerOfAnAddress) {
  auto made = PoolTable::make({pool("a", {"203.0.113.0/25", "2001:db8::/64"}),
                               pool("b", {"203.0.113.128/25"}, {.avoid_buggy = true})});
  ASSERT_TRUE(made);
  const auto& table = made.value();
  const std::vector<std::pair<std::string, std::optional<std::string>>> cases = {
      {"203.0.113.0", "a"},
      {"203.0.113.127", "a"},
      {"203.0.113.128", "b"},
      {"203.0.113.254", "b"},
      {"203.0.113.255", std::nullopt},
      {"2001:db8::ffff", "a"},
      {"2001:db8:0:1::", std::nullopt},
      {"192.0.2.1", std::nullopt},
  };
  for (const auto& [address, owner] : cases) {
    const auto block = table.block_for(ip(address));
    ASSERT_EQ(block.has_value(), owner.has_value()) << address;
    if (owner) {
      EXPECT_EQ(table.pools()[table.blocks()[*block].pool].name, *owner) << address;
    }
  }
  EXPECT_EQ(table.why_not_owned(ip("203.0.113.255")),
            "203.0.113.255 ends in .0 or .255, which address pool 'b' avoids (avoid-buggy-ips is "
            "set)");
  EXPECT_EQ(table.why_not_owned(ip("192.0.2.1")), "192.0.2.1 is not in any address pool");
}

TEST(PoolTable, RefusesInvalidPoolSetsNamingTheProblem) {
  struct Case {
    std::vector<Pool> pools;
    Errc code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{pool("", {"192.0.2.0/24"})}, Errc::kInvalidArgument, "address pool #1 has no name"},
      {{pool("a", {"192.0.2.0/25"}), pool("a", {"192.0.2.128/25"})},
       Errc::kAlreadyExists,
       "address pool 'a' is defined twice"},
      {{pool("a", {"192.0.2.0/24"}), pool("b", {"192.0.2.100-192.0.2.110"})},
       Errc::kConflict,
       "address pool 'a' (192.0.2.0/24) overlaps address pool 'b' (192.0.2.100-192.0.2.110)"},
      {{pool("a", {"2001:db8::/64", "2001:db8::8/125"})},
       Errc::kConflict,
       "address pool 'a' lists 2001:db8::/64 and 2001:db8::8/125, which overlap"},
  };
  for (const auto& c : cases) {
    auto table = PoolTable::make(c.pools);
    ASSERT_FALSE(table) << c.message;
    EXPECT_EQ(table.error().code(), make_error_code(c.code));
    EXPECT_NE(table.error().message().find(c.message), std::string::npos)
        << table.error().message();
  }
  // Touching is not overlapping; IPv4 and IPv6 never overlap.
  EXPECT_TRUE(
      PoolTable::make({pool("a", {"192.0.2.0/25", "::/0"}), pool("b", {"192.0.2.128/25"})}));
}

TEST(PoolTable, TotalsPerFamilyExcludeAvoidedAddresses) {
  auto table = PoolTable::make(
      {pool("p", {"203.0.113.0/24", "198.51.100.128/25", "2001:db8::/64"}, {.avoid_buggy = true})});
  ASSERT_TRUE(table);
  const PoolCounts totals = table.value().totals(0);
  EXPECT_TRUE(totals.v4.total == 381);
  EXPECT_TRUE(totals.v6.total == make_u128(1, 0));
  EXPECT_TRUE(totals.total() == make_u128(1, 381));
}

}  // namespace
}  // namespace vipd::allocator
