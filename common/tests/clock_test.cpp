#include "common/clock.hpp"

#include <gtest/gtest.h>

#include "common/testing/fake_clock.hpp"

namespace vipd {
namespace {

using namespace std::chrono_literals;

// Code under test sees only Clock&, so a fake and the real clock are interchangeable.
Clock::duration elapsed_since(const Clock& clock, Clock::time_point start) {
  return clock.now() - start;
}

TEST(FakeClock, MovesOnlyWhenAdvanced) {
  testing::FakeClock clock;
  const auto start = clock.now();
  EXPECT_EQ(clock.now(), start);
  clock.advance(90s);
  EXPECT_EQ(elapsed_since(clock, start), 90s);
  clock.advance(250ms);
  EXPECT_EQ(elapsed_since(clock, start), 90250ms);
  clock.set(start);
  EXPECT_EQ(clock.now(), start);
}

TEST(SteadyClock, IsMonotonic) {
  SteadyClock clock;
  auto previous = clock.now();
  for (int i = 0; i < 1000; ++i) {
    const auto now = clock.now();
    ASSERT_GE(now, previous);
    previous = now;
  }
}

}  // namespace
}  // namespace vipd
