#include "allocator/interval_set.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <set>

namespace vipd::allocator {
namespace {

std::optional<u128> absent(const IntervalSet& s, u128 low, u128 high) {
  return s.first_absent(low, high);
}

TEST(IntervalSet, EmptySetHasEverythingAbsent) {
  IntervalSet s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(absent(s, 0, 10), u128{0});
  EXPECT_EQ(absent(s, 7, 7), u128{7});
  EXPECT_EQ(absent(s, 8, 7), std::nullopt);  // empty window
}

TEST(IntervalSet, NeighboursMergeIntoOneRunAndSplitAgain) {
  IntervalSet s;
  s.insert(5);
  s.insert(7);
  EXPECT_EQ(s.runs(), 2u);
  s.insert(6);  // joins both sides
  EXPECT_EQ(s.runs(), 1u);
  s.insert(4);  // joins the run on its right
  s.insert(8);  // joins the run on its left
  EXPECT_EQ(s.runs(), 1u);
  EXPECT_EQ(s.size(), 5u);
  EXPECT_EQ(absent(s, 4, 100), u128{9});
  EXPECT_EQ(absent(s, 0, 100), u128{0});
  EXPECT_EQ(absent(s, 4, 8), std::nullopt);
  s.erase(6);  // splits the run
  EXPECT_EQ(s.runs(), 2u);
  EXPECT_EQ(absent(s, 4, 8), u128{6});
  s.erase(4);  // first of a run
  s.erase(8);  // last of a run
  EXPECT_EQ(absent(s, 4, 8), u128{4});
  EXPECT_EQ(absent(s, 5, 8), u128{6});
  EXPECT_TRUE(s.contains(5));
  EXPECT_TRUE(s.contains(7));
  EXPECT_FALSE(s.contains(6));
  s.erase(5);
  s.erase(7);
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.runs(), 0u);
}

TEST(IntervalSet, WorksAtBothEndsOfTheSpace) {
  IntervalSet s;
  s.insert(kU128Max);
  s.insert(kU128Max - 1);
  s.insert(0);
  EXPECT_EQ(s.runs(), 2u);
  EXPECT_EQ(absent(s, kU128Max - 1, kU128Max), std::nullopt);
  EXPECT_EQ(absent(s, kU128Max - 5, kU128Max), kU128Max - 5);
  EXPECT_EQ(absent(s, 0, kU128Max), u128{1});
  s.erase(kU128Max);
  EXPECT_EQ(absent(s, kU128Max - 1, kU128Max), kU128Max);
}

TEST(IntervalSet, SequentialFillOfAHugeWindowIsOneRun) {
  IntervalSet s;
  const u128 base = make_u128(0x20010db800000000ull, 0);  // 2001:db8::/64 as values
  for (int i = 0; i < 1000; ++i) {
    const auto next = s.first_absent(base, base + make_u128(0, ~0ull));
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(*next, base + static_cast<unsigned>(i));
    s.insert(*next);
  }
  EXPECT_EQ(s.runs(), 1u);
}

// Random insert/erase/first_absent checked against std::set, in a small window so runs touch.
TEST(IntervalSet, AgreesWithAPlainSetOnRandomOperations) {
  std::mt19937_64 random(20240601);
  for (int round = 0; round < 200; ++round) {
    IntervalSet s;
    std::set<unsigned> model;
    for (int op = 0; op < 300; ++op) {
      const unsigned v = static_cast<unsigned>(random() % 64);
      if (model.count(v) != 0) {
        s.erase(v);
        model.erase(v);
      } else {
        s.insert(v);
        model.insert(v);
      }
      const unsigned low = static_cast<unsigned>(random() % 64);
      const unsigned high = low + static_cast<unsigned>(random() % 16);
      std::optional<u128> expected;
      for (unsigned x = low; x <= high; ++x) {
        if (model.count(x) == 0) {
          expected = x;
          break;
        }
      }
      ASSERT_EQ(s.first_absent(low, high), expected) << "round " << round << " op " << op;
      ASSERT_EQ(s.size(), model.size());
      ASSERT_EQ(s.contains(v), model.count(v) == 1);
      // Runs are maximal: count the breaks in the model.
      std::size_t runs = 0;
      int last = -2;
      for (const unsigned x : model) {
        if (static_cast<int>(x) != last + 1) ++runs;
        last = static_cast<int>(x);
      }
      ASSERT_EQ(s.runs(), runs);
    }
  }
}

TEST(IntervalSetDeathTest, InsertingTwiceOrErasingAbsentIsABug) {
  IntervalSet s;
  s.insert(3);
  EXPECT_DEATH(s.insert(3), "inserted twice");
  EXPECT_DEATH(s.erase(4), "not in the interval set");
}

}  // namespace
}  // namespace vipd::allocator
