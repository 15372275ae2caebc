// Leader election on a real Lease of the test API server (integration/k8s_api_server.py), in
// real time with short timings (lease 4 s, renew deadline 3 s, retry 0.5 s): two LeaseLocks in
// this process, one leads; a clean stop releases and the other takes over at its next attempt;
// a lock destroyed without releasing (a dead process) is taken over once the lease duration has
// passed; a leader cut off from the server stops leading at its renew deadline. kubectl reads
// the holder as a user would. Every poll also checks that the two never lead at once.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "k8s/lease_lock.hpp"
#include "k8s/tests/server_fixture.hpp"

namespace vipd::k8s::test {
namespace {

constexpr auto kLease = 4s;
constexpr auto kRenewDeadline = 3s;
constexpr auto kRetry = 500ms;

long long milliseconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

class LeaseLockServerTest : public ServerTest {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ApiServer>(dir_.path("data"));
    client_ = client_for(admin_access(*server_), ClientOptions{.request_timeout = 2s});
  }
  void TearDown() override {
    locks_.clear();
    // Let the abandoned requests finish unwinding before their Client goes.
    for (int i = 0; i < 100 && io_.poll() > 0; ++i) io_.restart();
    client_.reset();
  }

  struct Seen {
    int started = 0;
    std::vector<StopReason> stopped;
  };

  LeaseLock& lock(const std::string& identity, std::uint64_t seed) {
    LeaseLockOptions options;
    options.lease_namespace = "default";
    options.lease_name = kName;
    options.election.identity = identity;
    options.election.lease_duration = kLease;
    options.election.renew_deadline = kRenewDeadline;
    options.election.retry_period = kRetry;
    options.election.jitter_seed = seed;
    options.request_timeout = 1s;
    auto& seen = seen_[identity];
    LeaseLockCallbacks callbacks{
        .on_started_leading = [&seen] { ++seen.started; },
        .on_stopped_leading = [&seen](StopReason reason) { seen.stopped.push_back(reason); }};
    auto created = LeaseLock::create(io_.get_executor(), *client_, clock_, std::move(options),
                                     std::move(callbacks));
    EXPECT_TRUE(created) << created.error().message();
    locks_[identity] = std::move(created).value();
    return *locks_[identity];
  }

  // Runs the io_context until `done` (bounded), checking at every step that no two locks lead
  // at once.
  bool run_until(const std::function<bool()>& done, std::chrono::steady_clock::duration bound) {
    return test::run_until(
        io_,
        [&] {
          int leaders = 0;
          for (const auto& [identity, lock] : locks_) leaders += lock && lock->leading() ? 1 : 0;
          EXPECT_LE(leaders, 1) << "two leaders at once";
          return done();
        },
        bound);
  }

  // Runs stop() to its end (bounded).
  bool stop(LeaseLock& lock, std::chrono::steady_clock::duration bound) {
    auto done = std::make_shared<bool>(false);
    asio::co_spawn(io_, lock.stop(), [done](std::exception_ptr error) {
      *done = true;
      EXPECT_FALSE(error);
    });
    return run_until([done] { return *done; }, bound);
  }

  // The Lease's spec as kubectl shows it.
  boost::json::object kubectl_spec() {
    const auto got = server_->kubectl({"get", "lease", "-n", "default", kName, "-o", "json"});
    EXPECT_EQ(got.status, 0) << got.out;
    if (got.status != 0) return {};
    return boost::json::parse(got.out).at("spec").as_object();
  }
  std::string kubectl_yaml() {
    return server_->kubectl({"get", "lease", "-n", "default", kName, "-o", "yaml"}).out;
  }

  static constexpr const char* kName = "vipd-controller";
  TempDir dir_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<Client> client_;
  std::map<std::string, std::unique_ptr<LeaseLock>> locks_;
  std::map<std::string, Seen> seen_;
};

TEST_F(LeaseLockServerTest, OneLeadsAndACleanStopHandsOverAtTheNextAttempt) {
  auto& a = lock("a", 1);
  a.start();
  ASSERT_TRUE(run_until([&] { return a.leading(); }, 20s));
  EXPECT_EQ(seen_["a"].started, 1);
  auto& b = lock("b", 2);
  b.start();
  // b reads the Lease a few times and waits: a renews every retry period.
  ASSERT_TRUE(run_until([&] { return b.counts().reads >= 3; }, 20s));
  EXPECT_TRUE(a.leading());
  EXPECT_FALSE(b.leading());
  EXPECT_EQ(b.holder(), "a");
  EXPECT_NE(kubectl_yaml().find("holderIdentity: a\n"), std::string::npos) << kubectl_yaml();
  auto spec = kubectl_spec();
  EXPECT_EQ(spec.at("leaseDurationSeconds"), 4);
  EXPECT_EQ(spec.at("leaseTransitions"), 0);

  // stop(): a stops leading before anything is sent, then releases; b takes it at its next
  // attempt, well before a's lease would have expired.
  ASSERT_TRUE(stop(a, 10s));
  const auto released = std::chrono::steady_clock::now();
  EXPECT_EQ(seen_["a"].stopped, std::vector<StopReason>{StopReason::kStopped});
  EXPECT_FALSE(a.leading());
  EXPECT_TRUE(a.stopped());
  ASSERT_TRUE(run_until([&] { return b.leading(); }, 20s));
  const auto handover = std::chrono::steady_clock::now() - released;
  std::cout << "[ lease    ] taken over " << milliseconds(handover) << " ms after the release\n";
  // At b's next attempt (retry period plus up to 1.2 times it of jitter), not after the lease
  // duration.
  EXPECT_LT(handover, kLease - 1s);
  spec = kubectl_spec();
  EXPECT_EQ(spec.at("holderIdentity"), "b");
  EXPECT_EQ(spec.at("leaseTransitions"), 1);
  EXPECT_NE(kubectl_yaml().find("holderIdentity: b\n"), std::string::npos) << kubectl_yaml();
  EXPECT_EQ(seen_["b"].started, 1);
  EXPECT_GT(a.counts().writes, 2u);  // it renewed
}

TEST_F(LeaseLockServerTest, AReleasedLeaseHasNoHolderAndAOneSecondDuration) {
  auto& a = lock("a", 1);
  a.start();
  ASSERT_TRUE(run_until([&] { return a.leading(); }, 20s));
  ASSERT_TRUE(stop(a, 10s));
  const auto spec = kubectl_spec();
  EXPECT_EQ(spec.if_contains("holderIdentity") ? spec.at("holderIdentity").as_string() : "", "");
  EXPECT_EQ(spec.at("leaseDurationSeconds"), 1);
  EXPECT_EQ(spec.at("leaseTransitions"), 0);
  EXPECT_TRUE(spec.contains("renewTime"));
}

TEST_F(LeaseLockServerTest, ADeadLeaderIsTakenOverAfterTheLeaseDuration) {
  auto& a = lock("a", 1);
  a.start();
  ASSERT_TRUE(run_until([&] { return a.leading(); }, 20s));
  auto& b = lock("b", 2);
  b.start();
  ASSERT_TRUE(run_until([&] { return b.counts().reads >= 2; }, 20s));
  ASSERT_FALSE(b.leading());
  // Killed: destroyed without a release, its last renewal at most one retry period ago.
  const auto renewals = a.counts().writes;
  ASSERT_TRUE(run_until([&] { return a.counts().writes > renewals; }, 10s));
  locks_.erase("a");
  const auto killed = std::chrono::steady_clock::now();
  EXPECT_NE(kubectl_yaml().find("holderIdentity: a\n"), std::string::npos);
  ASSERT_TRUE(run_until([&] { return b.leading(); }, 30s));
  const auto waited = std::chrono::steady_clock::now() - killed;
  std::cout << "[ lease    ] taken over " << milliseconds(waited) << " ms after the kill\n";
  // b saw a's last renewal at most one retry period (plus jitter) before the kill; it waits the
  // lease duration from then, and takes over at its next attempt after that.
  EXPECT_GE(waited, kLease - 3 * kRetry);
  EXPECT_LT(waited, kLease + 4 * kRetry + 2s);
  const auto spec = kubectl_spec();
  EXPECT_EQ(spec.at("holderIdentity"), "b");
  EXPECT_EQ(spec.at("leaseTransitions"), 1);
}

TEST_F(LeaseLockServerTest, ALeaderCutOffFromTheServerStopsLeadingAtItsRenewDeadline) {
  auto& a = lock("a", 1);
  a.start();
  ASSERT_TRUE(run_until([&] { return a.leading(); }, 20s));
  const auto renewals = a.counts().writes;
  ASSERT_TRUE(run_until([&] { return a.counts().writes > renewals; }, 10s));
  const auto last_renewal = std::chrono::steady_clock::now();
  server_.reset();  // the API server is gone: every renewal fails
  ASSERT_TRUE(run_until([&] { return !seen_["a"].stopped.empty(); }, 20s));
  const auto held_on = std::chrono::steady_clock::now() - last_renewal;
  EXPECT_EQ(seen_["a"].stopped, std::vector<StopReason>{StopReason::kRenewDeadline});
  EXPECT_FALSE(a.leading());
  EXPECT_LE(held_on, kRenewDeadline + 1s);
  EXPECT_GE(a.counts().failures, 2u);
  // stop() with nobody to answer returns anyway (the release is abandoned or never sent).
  ASSERT_TRUE(stop(a, 20s));
  EXPECT_TRUE(a.stopped());
}

}  // namespace
}  // namespace vipd::k8s::test
