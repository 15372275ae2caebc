// HealthChecker: probe loops over real sockets and processes, with intervals and timeouts on a
// FakeTimerClock, so every step in time is one the test takes.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "health/health.hpp"
#include "health/tests/fixture.hpp"

namespace vipd::health::test {
namespace {

struct Change {
  std::string key;
  Verdict verdict;
  Clock::duration at;  // on the fake clock, from the start of the test
  friend bool operator==(const Change&, const Change&) = default;
};

void PrintTo(const Change& c, std::ostream* out) {
  *out << c.key << " " << to_string(c.verdict) << " at "
       << std::chrono::duration_cast<std::chrono::milliseconds>(c.at).count() << "ms";
}

class CheckerTest : public HealthIo {
 protected:
  HealthChecker::Callback record_changes() {
    return [this](const std::string& key, Verdict v) {
      changes_.push_back({key, v, clock_.now() - t0_});
    };
  }
  std::uint64_t checks(const HealthChecker& checker, const std::string& key) {
    return checker.status().at(key).checks;
  }
  // Runs the loop until `key` has recorded `n` probes.
  bool until_checks(const HealthChecker& checker, const std::string& key, std::uint64_t n) {
    return run_until([&] { return checks(checker, key) >= n; });
  }

  const Clock::time_point t0_ = clock_.now();
  std::vector<Change> changes_;
};

TEST_F(CheckerTest, ProbesEveryIntervalFromStartToStart) {
  auto server = http_server("127.0.0.1");
  HealthChecker checker(io_.get_executor(), clock_, record_changes());
  auto check = http_check("127.0.0.1", server->port());
  check.interval = 10s;
  check.timeout = 1s;
  checker.set({{"web", check}});

  ASSERT_TRUE(until_checks(checker, "web", 1));
  ASSERT_EQ(server->request_times, std::vector<Clock::time_point>{t0_});  // at once
  // The only timer left is the wait for the next probe (the timeout was disarmed).
  EXPECT_EQ(clock_.pending(), 1u);
  EXPECT_EQ(clock_.next_deadline(), t0_ + 10s);

  clock_.advance(9s);
  io_.poll();
  EXPECT_EQ(server->requests.size(), 1u);
  clock_.advance(1s);
  ASSERT_TRUE(until_checks(checker, "web", 2));
  EXPECT_EQ(server->request_times.back(), t0_ + 10s);
  EXPECT_EQ(clock_.next_deadline(), t0_ + 20s);

  clock_.advance(10s);
  ASSERT_TRUE(until_checks(checker, "web", 3));
  EXPECT_EQ(server->request_times, (std::vector<Clock::time_point>{t0_, t0_ + 10s, t0_ + 20s}));
  EXPECT_EQ(server->most_in_flight, 1);
}

TEST_F(CheckerTest, ASlowProbeIsFollowedAtOnceWithoutOverlap) {
  auto server = http_server("127.0.0.1");
  server->silent = true;
  HealthChecker checker(io_.get_executor(), clock_, record_changes());
  auto check = http_check("127.0.0.1", server->port());
  check.interval = 10s;
  check.timeout = 30s;
  checker.set({{"web", check}});
  ASSERT_TRUE(run_until([&] { return server->requests.size() == 1; }));

  // The probe outlasts its interval. Nothing else is armed: no second probe, no early wait.
  clock_.advance(15s);
  io_.poll();
  EXPECT_EQ(clock_.pending(), 1u);
  EXPECT_EQ(clock_.next_deadline(), t0_ + 30s);  // the first probe's timeout
  EXPECT_EQ(server->requests.size(), 1u);

  // It ends at 15 s; the next starts then, with no wait and no time passing.
  server->answer_held();
  ASSERT_TRUE(run_until([&] { return server->requests.size() == 2; }));
  EXPECT_EQ(server->request_times.back(), t0_ + 15s);
  ASSERT_TRUE(until_checks(checker, "web", 2));
  EXPECT_EQ(server->most_in_flight, 1) << "two probes of one check overlapped";
  EXPECT_EQ(clock_.next_deadline(), t0_ + 25s);  // interval counted from the second start
}

TEST_F(CheckerTest, ATimedOutProbeFailsAndTheNextStartsOnTheInterval) {
  auto server = http_server("127.0.0.1");
  server->silent = true;
  HealthChecker checker(io_.get_executor(), clock_, record_changes());
  auto check = http_check("127.0.0.1", server->port());
  check.interval = 10s;
  check.timeout = 3s;
  checker.set({{"web", check}});
  ASSERT_TRUE(run_until([&] { return server->requests.size() == 1; }));

  clock_.advance(3s);
  ASSERT_TRUE(until_checks(checker, "web", 1));
  const auto status = checker.status().at("web");
  EXPECT_EQ(status.last_result, "timed out after 3s");
  EXPECT_EQ(status.failures, 1u);
  EXPECT_EQ(changes_, (std::vector<Change>{{"web", Verdict::kFailing, 3s}}));
  EXPECT_EQ(clock_.next_deadline(), t0_ + 10s);

  server->status = 200;
  server->answer_held();
  clock_.advance(7s);
  ASSERT_TRUE(until_checks(checker, "web", 2));
  EXPECT_EQ(server->request_times.back(), t0_ + 10s);
  EXPECT_EQ(checker.verdict("web"), Verdict::kPassing);
}

TEST_F(CheckerTest, RiseAndFallOverSuccessiveIntervals) {
  auto server = http_server("127.0.0.1");
  HealthChecker checker(io_.get_executor(), clock_, record_changes());
  auto check = http_check("127.0.0.1", server->port());
  check.interval = 10s;
  check.rise = 2;
  check.fall = 2;
  checker.set({{"default/web", check}});
  EXPECT_EQ(checker.verdict("default/web"), Verdict::kUnknown);
  EXPECT_EQ(checker.verdict("default/other"), std::nullopt);

  ASSERT_TRUE(until_checks(checker, "default/web", 1));
  EXPECT_EQ(checker.verdict("default/web"), Verdict::kUnknown);  // one success is not a rise
  clock_.advance(10s);
  ASSERT_TRUE(until_checks(checker, "default/web", 2));
  EXPECT_EQ(changes_, (std::vector<Change>{{"default/web", Verdict::kPassing, 10s}}));
  auto status = checker.status().at("default/web");
  EXPECT_EQ(status.verdict, Verdict::kPassing);
  EXPECT_EQ(status.last_result, "HTTP 200");
  EXPECT_EQ(status.checks, 2u);
  EXPECT_EQ(status.failures, 0u);

  server->status = 503;
  clock_.advance(10s);
  ASSERT_TRUE(until_checks(checker, "default/web", 3));
  EXPECT_EQ(checker.verdict("default/web"), Verdict::kPassing);  // one failure is not a fall
  clock_.advance(10s);
  ASSERT_TRUE(until_checks(checker, "default/web", 4));
  EXPECT_EQ(changes_, (std::vector<Change>{{"default/web", Verdict::kPassing, 10s},
                                           {"default/web", Verdict::kFailing, 30s}}));
  status = checker.status().at("default/web");
  EXPECT_EQ(status.last_result, "HTTP 503");
  EXPECT_EQ(status.failures, 2u);
  EXPECT_EQ(checker.verdict("default/web"), Verdict::kFailing);
}

TEST_F(CheckerTest, SetKeepsUnchangedChecksAndSilencesRemovedOnes) {
  tcp::acceptor a(io_, {asio::ip::make_address("127.0.0.1"), 0});
  auto b = std::make_unique<tcp::acceptor>(io_, tcp::endpoint{asio::ip::make_address("::1"), 0});
  const auto check_a = tcp_check("127.0.0.1", a.local_endpoint().port());
  const auto check_b = tcp_check("::1", b->local_endpoint().port());
  HealthChecker checker(io_.get_executor(), clock_, record_changes());
  checker.set({{"a", check_a}, {"b", check_b}});
  ASSERT_TRUE(run_until([&] {
    return checker.verdict("a") == Verdict::kPassing && checker.verdict("b") == Verdict::kPassing;
  }));
  EXPECT_EQ(clock_.pending(), 2u);  // each loop waits for its next probe
  const auto changes_before = changes_.size();

  // `a` unchanged, `b` removed: a keeps its verdict and counters, b is gone at once.
  const auto a_checks = checks(checker, "a");
  checker.set({{"a", check_a}});
  EXPECT_EQ(checker.verdict("a"), Verdict::kPassing);
  EXPECT_EQ(checker.verdict("b"), std::nullopt);
  EXPECT_EQ(checker.status().size(), 1u);
  EXPECT_EQ(checks(checker, "a"), a_checks);
  EXPECT_EQ(clock_.pending(), 1u) << "b's wait for its next probe is still armed";

  // b's target goes away; had its loop survived, fall 1 would report it failing at its next
  // interval, which is a's too. Let a run several more probes and listen.
  b.reset();
  for (std::uint64_t n = 1; n <= 3; ++n) {
    clock_.advance(check_a.interval);
    ASSERT_TRUE(until_checks(checker, "a", a_checks + n));
  }
  EXPECT_EQ(changes_.size(), changes_before) << "a removed check still called back";

  // Only the timing of `a` changes: verdict and counters stay, and it probes again at once
  // with the new interval.
  auto slower = check_a;
  slower.interval = 20s;
  slower.timeout = 2s;
  const auto checks_now = checks(checker, "a");
  checker.set({{"a", slower}});
  EXPECT_EQ(checker.verdict("a"), Verdict::kPassing);
  EXPECT_EQ(checks(checker, "a"), checks_now);
  ASSERT_TRUE(until_checks(checker, "a", checks_now + 1));
  EXPECT_EQ(checker.verdict("a"), Verdict::kPassing);
  EXPECT_EQ(clock_.pending(), 1u) << "the old loop's wait is still armed";
  EXPECT_EQ(clock_.next_deadline(), clock_.now() + 20s);

  // A new target starts over.
  auto elsewhere = slower;
  elsewhere.port = closed_port(io_, "127.0.0.1");
  checker.set({{"a", elsewhere}});
  EXPECT_EQ(checker.verdict("a"), Verdict::kUnknown);
  EXPECT_EQ(checks(checker, "a"), 0u);
  ASSERT_TRUE(run_until([&] { return checker.verdict("a") == Verdict::kFailing; }));
  EXPECT_EQ(changes_.back().key, "a");
  EXPECT_EQ(changes_.back().verdict, Verdict::kFailing);
}

TEST_F(CheckerTest, RemovingAnExecCheckKillsItsCommandPromptly) {
  HealthChecker checker(io_.get_executor(), clock_, [](const std::string&, Verdict) {});
  auto slow = exec_check({"/bin/sleep", "60"});
  slow.timeout = 50s;
  slow.interval = 100s;
  checker.set({{"slow", slow}});
  ASSERT_TRUE(run_until([] { return has_children(); }));
  const auto removed = wall_.now();
  checker.set({});
  ASSERT_TRUE(run_until([] { return !has_children(); }, 2s));
  EXPECT_LT(wall_.now() - removed, 1s);
  EXPECT_EQ(clock_.pending(), 0u);
}

TEST_F(CheckerTest, StopEndsEveryLoopAndNoCallbackFollows) {
  auto silent = http_server("127.0.0.1");
  silent->silent = true;
  int calls = 0;
  auto checker = std::make_unique<HealthChecker>(io_.get_executor(), clock_,
                                                 [&](const std::string&, Verdict) { ++calls; });
  auto hanging = http_check("127.0.0.1", silent->port());
  hanging.timeout = 5s;
  hanging.interval = 5s;
  auto sleeping = exec_check({"/bin/sleep", "60"});
  sleeping.timeout = 5s;
  sleeping.interval = 5s;
  checker->set({{"http", hanging}, {"exec", sleeping}});
  ASSERT_TRUE(run_until([&] { return has_children() && silent->requests.size() == 1; }));

  checker->stop();
  EXPECT_EQ(checker->verdict("http"), std::nullopt);
  checker.reset();
  // With the probes cancelled, only the test server's accept is left: close it, and the
  // loop must run out of work (a loop still waiting would keep it running).
  silent->acceptor.close();
  silent->held.clear();
  work_.reset();
  const auto stopped = wall_.now();
  io_.run_for(4s);
  EXPECT_LT(wall_.now() - stopped, 1s);
  EXPECT_TRUE(io_.stopped());
  EXPECT_EQ(clock_.pending(), 0u);
  clock_.advance(1h);  // nothing is left to fire
  EXPECT_EQ(calls, 0);
  EXPECT_FALSE(has_children());
}

}  // namespace
}  // namespace vipd::health::test
