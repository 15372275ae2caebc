// A ListWatch can go away at any moment — waiting for its backoff, stopped or not — and nothing
// it leaves behind touches it again. (The loop runs on after it goes, as a daemon's does: a
// FakeTimerClock wait whose loop is destroyed without running keeps its coroutine, see
// common/testing/fake_timer_clock.hpp.)
#include "k8s/list_watch.hpp"

#include <gtest/gtest.h>

#include "common/testing/fake_timer_clock.hpp"

namespace vipd::k8s {
namespace {

using namespace std::chrono_literals;

// A client for a port where nothing listens: every request fails at once.
std::unique_ptr<Client> unreachable(asio::io_context& io, TimerClock& clock) {
  Access access;
  access.server_host = "127.0.0.1";
  access.port = 1;
  access.token = "t";
  auto client = Client::create(io.get_executor(), clock, access);
  EXPECT_TRUE(client) << client.error().message();
  return std::move(client).value();
}

// Runs `io` until `done()` or 10 s of real time.
bool run_until(asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.run_one_for(10ms);
    io.restart();
  }
  return done();
}

TEST(ListWatch, FailuresBackOffAndTheLoopCanGoAtAnyMoment) {
  for (const bool stop_first : {true, false}) {
    {
      testing::FakeTimerClock clock;
      auto io = std::make_unique<asio::io_context>();
      auto client = unreachable(*io, clock);
      int replaced = 0;
      auto lw = std::make_unique<ListWatch>(
          io->get_executor(), *client, clock, Collection{"/api/v1/services"},
          ListWatch::Sink{[&](auto) { ++replaced; }, [](auto, auto) {}},
          ListWatchOptions{.backoff_initial = 1s, .backoff_max = 4s});
      lw->start();
      // The LIST fails (nothing listens), then the loop waits for its backoff on the clock.
      ASSERT_TRUE(
          run_until(*io, [&] { return lw->counts().failures >= 1 && clock.pending() > 0; }));
      EXPECT_EQ(replaced, 0);
      // Each further failure waits longer, up to the cap: advance through a few.
      for (int i = 0; i < 4; ++i) {
        const auto before = lw->counts().failures;
        const auto wait = *clock.next_deadline() - clock.now();
        EXPECT_LE(wait, 4s);
        clock.advance(wait);
        ASSERT_TRUE(
            run_until(*io, [&] { return lw->counts().failures > before && clock.pending() > 0; }));
      }
      if (stop_first) lw->stop();
      lw.reset();
      io->poll();
      client.reset();
      io.reset();  // pending work destroyed with the loop: under ASan, nothing touched freed memory
    }
  }
}

}  // namespace
}  // namespace vipd::k8s
