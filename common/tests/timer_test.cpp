#include "common/timer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/testing/fake_timer_clock.hpp"

namespace vipd {
namespace {

using namespace std::chrono_literals;

TEST(SteadyTimer, FiresAtItsDeadline) {
  asio::io_context io;
  SteadyTimerClock clock;
  auto timer = clock.make_timer(io.get_executor());
  const auto start = clock.now();
  Clock::time_point fired{};
  timer->arm(start + 20ms, [&] { fired = clock.now(); });
  EXPECT_TRUE(timer->armed());
  io.run_for(2s);
  EXPECT_GE(fired - start, 20ms);
  EXPECT_FALSE(timer->armed());
}

TEST(SteadyTimer, ReArmingIgnoresAnExpiryAlreadyQueued) {
  // Both timers are past due before the loop runs, so one pass of the reactor queues both
  // completions, the earlier deadline first. The first callback re-arms the second timer
  // whose completion is already queued: that stale completion must not call anything.
  asio::io_context io;
  SteadyTimerClock clock;
  auto first = clock.make_timer(io.get_executor());
  auto second = clock.make_timer(io.get_executor());
  std::vector<std::string> calls;
  const auto past = clock.now() - 1s;
  second->arm(past + 2ms, [&] { calls.push_back("stale"); });
  first->arm(past + 1ms, [&] {
    calls.push_back("first");
    second->arm(clock.now() + 1h, [&] { calls.push_back("re-armed"); });
  });
  io.run_for(200ms);
  EXPECT_EQ(calls, std::vector<std::string>{"first"});
  EXPECT_TRUE(second->armed());
}

TEST(SteadyTimer, CancelIgnoresAnExpiryAlreadyQueued) {
  asio::io_context io;
  SteadyTimerClock clock;
  auto first = clock.make_timer(io.get_executor());
  auto second = clock.make_timer(io.get_executor());
  std::vector<std::string> calls;
  const auto past = clock.now() - 1s;
  second->arm(past + 2ms, [&] { calls.push_back("stale"); });
  first->arm(past + 1ms, [&] {
    calls.push_back("first");
    second->cancel();
  });
  io.run_for(200ms);
  EXPECT_EQ(calls, std::vector<std::string>{"first"});
  EXPECT_FALSE(second->armed());
}

TEST(SteadyTimer, DestroyedTimerNeverCalls) {
  asio::io_context io;
  SteadyTimerClock clock;
  bool called = false;
  auto first = clock.make_timer(io.get_executor());
  auto second = clock.make_timer(io.get_executor());
  const auto past = clock.now() - 1s;
  second->arm(past + 2ms, [&] { called = true; });
  first->arm(past + 1ms, [&] { second.reset(); });
  io.run_for(200ms);
  EXPECT_FALSE(called);
}

TEST(SleepUntil, ReturnsTrueAtTheDeadlineAndFalseWhenItLosesARace) {
  asio::io_context io;
  SteadyTimerClock clock;
  std::vector<std::string> results;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        results.push_back(co_await sleep_for(clock, 5ms) ? "slept" : "cancelled");
        // The long sleep loses against the short one and reports it was cancelled.
        auto r = co_await (sleep_for(clock, 1h) || sleep_for(clock, 5ms));
        results.push_back(r.index() == 1 ? "short won" : "long won");
      },
      asio::detached);
  io.run_for(5s);
  EXPECT_EQ(results, (std::vector<std::string>{"slept", "short won"}));
}

asio::awaitable<void> sleep_holding(SteadyTimerClock& clock, std::shared_ptr<int> held) {
  co_await sleep_for(clock, std::chrono::hours(1));
  (void)held;
}

TEST(SleepUntil, AWaitPendingWhenTheLoopIsDestroyedFreesTheCoroutine) {
  SteadyTimerClock clock;
  auto held = std::make_shared<int>(1);
  const std::weak_ptr<int> watch = held;
  {
    asio::io_context io;
    asio::co_spawn(io, sleep_holding(clock, std::move(held)), asio::detached);
    io.poll();
    EXPECT_FALSE(watch.expired());  // suspended in the wait
  }
  // The loop's pending wait owned the coroutine: nothing else keeps its frame alive.
  EXPECT_TRUE(watch.expired());
}

TEST(FakeTimerClock, FiresInDeadlineOrderAtEachDeadline) {
  asio::io_context io;
  testing::FakeTimerClock clock;
  const auto t0 = clock.now();
  auto a = clock.make_timer(io.get_executor());
  auto b = clock.make_timer(io.get_executor());
  std::vector<std::pair<std::string, Clock::duration>> calls;
  b->arm(t0 + 3s, [&] { calls.emplace_back("b", clock.now() - t0); });
  a->arm(t0 + 1s, [&] {
    calls.emplace_back("a", clock.now() - t0);
    // Re-armed from its own callback: relative to the time it fired, not the target.
    a->arm(clock.now() + 1s, [&] { calls.emplace_back("a again", clock.now() - t0); });
  });
  clock.advance(10s);
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0], (std::pair<std::string, Clock::duration>{"a", 1s}));
  EXPECT_EQ(calls[1], (std::pair<std::string, Clock::duration>{"a again", 2s}));
  EXPECT_EQ(calls[2], (std::pair<std::string, Clock::duration>{"b", 3s}));
  EXPECT_EQ(clock.now() - t0, 10s);
  EXPECT_EQ(clock.pending(), 0u);
}

TEST(FakeTimerClock, CancelledAndReArmedTimersDoNotFireEarly) {
  asio::io_context io;
  testing::FakeTimerClock clock;
  auto t = clock.make_timer(io.get_executor());
  int calls = 0;
  t->arm(clock.now() + 1s, [&] { calls += 1; });
  t->arm(clock.now() + 5s, [&] { calls += 10; });
  clock.advance(2s);
  EXPECT_EQ(calls, 0);
  t->cancel();
  clock.advance(10s);
  EXPECT_EQ(calls, 0);
}

TEST(FakeTimerClock, SleepUntilResumesWhenAdvanced) {
  asio::io_context io;
  testing::FakeTimerClock clock;
  bool woke = false;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { woke = co_await sleep_for(clock, 30s); },
      asio::detached);
  io.poll();
  clock.advance(29s);
  io.poll();
  EXPECT_FALSE(woke);
  clock.advance(1s);
  io.poll();
  EXPECT_TRUE(woke);
}

}  // namespace
}  // namespace vipd
