// The Lease elector, rule by rule, driven event by event with a fake notion of time (no I/O).
#include "k8s/leader_election.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

namespace vipd::k8s {
namespace {

using namespace std::chrono_literals;
namespace ev = election_event;
namespace act = election_action;
using Actions = std::vector<ElectionAction>;

const Clock::time_point kT0 = Clock::time_point{} + 1h;
const MicroTime kWall0 = std::chrono::sys_days{std::chrono::year{2026} / 3 / 2} + 10h;

Now at(Clock::duration since_t0) {
  return {kT0 + since_t0, kWall0 + std::chrono::duration_cast<std::chrono::microseconds>(since_t0)};
}

LeaderElectionConfig config(std::string identity = "me") {
  LeaderElectionConfig c;
  c.identity = std::move(identity);
  c.jitter_seed = 7;
  return c;  // client-go's defaults: 15 s lease, 10 s renew deadline, 2 s retry
}

LeaderElector elector(LeaderElectionConfig c = config()) {
  auto e = LeaderElector::create(std::move(c));
  EXPECT_TRUE(e) << e.error().message();
  return std::move(e).value();
}

template <class T>
std::vector<T> all(const Actions& actions) {
  std::vector<T> out;
  for (const auto& a : actions) {
    if (const auto* t = std::get_if<T>(&a)) out.push_back(*t);
  }
  return out;
}

template <class T>
bool has(const Actions& actions) {
  return !all<T>(actions).empty();
}

template <class T>
T only(const Actions& actions) {
  const auto v = all<T>(actions);
  EXPECT_EQ(v.size(), 1u) << "expected exactly one action of this kind";
  return v.empty() ? T{} : v[0];
}

std::optional<Clock::time_point> tick_at(const Actions& actions) {
  const auto ticks = all<act::ScheduleTick>(actions);
  if (ticks.empty()) return std::nullopt;
  return ticks.back().at;
}

LeaseSpec held_by(std::string holder, MicroTime renewed, std::int32_t transitions = 0) {
  return {.holder_identity = std::move(holder),
          .lease_duration_seconds = 15,
          .acquire_time = renewed - 1h,
          .renew_time = renewed,
          .lease_transitions = transitions};
}

ev::ReadDone present(LeaseSpec record, std::string version) {
  return {StoredLease{std::move(record), std::move(version)}};
}

// Makes `e` the leader through a create at t0 + `when`; the Lease is at version "1".
void lead(LeaderElector& e, Clock::duration when = 0s) {
  ASSERT_TRUE(has<act::ReadLease>(e.handle(ev::Tick{}, at(when))));
  ASSERT_TRUE(has<act::WriteLease>(e.handle(ev::ReadDone{}, at(when))));
  ASSERT_TRUE(has<act::StartedLeading>(e.handle(ev::WriteDone{"1"}, at(when))));
}

TEST(LeaderElectionConfigTest, ClientGoChecks) {
  EXPECT_TRUE(validate(config()));
  auto c = config();
  c.identity.clear();
  EXPECT_FALSE(validate(c));
  c = config();
  c.renew_deadline = 15s;  // not below the lease duration
  EXPECT_FALSE(validate(c));
  c = config();
  c.retry_period = 9s;  // 10 s <= 1.2 * 9 s: the jittered retry would outlast the deadline
  EXPECT_FALSE(validate(c));
  c.retry_period = 8s;  // 9.6 s < 10 s
  EXPECT_TRUE(validate(c));
  c = config();
  c.retry_period = 0s;
  EXPECT_FALSE(validate(c));
  c = config();
  c.lease_duration = 15500ms;  // the record would say 15 s
  EXPECT_FALSE(validate(c));
  c = config();
  c.lease_duration = 3s;
  c.renew_deadline = 2s;
  c.retry_period = 500ms;
  EXPECT_TRUE(validate(c));
  EXPECT_FALSE(LeaderElector::create(LeaderElectionConfig{}));
}

TEST(LeaderElectorTest, CreatesAnAbsentLeaseAndLeads) {
  auto e = elector();
  EXPECT_TRUE(has<act::ReadLease>(e.handle(ev::Tick{}, at(0s))));
  const auto create = only<act::WriteLease>(e.handle(ev::ReadDone{}, at(100ms)));
  EXPECT_EQ(create.purpose, WritePurpose::kCreate);
  EXPECT_EQ(create.resource_version, "");
  EXPECT_EQ(create.spec, (LeaseSpec{.holder_identity = "me",
                                    .lease_duration_seconds = 15,
                                    .acquire_time = at(100ms).wall,
                                    .renew_time = at(100ms).wall,
                                    .lease_transitions = 0}));
  EXPECT_FALSE(e.leading(at(150ms).local));
  const auto done = e.handle(ev::WriteDone{"1"}, at(200ms));
  EXPECT_TRUE(has<act::StartedLeading>(done));
  // A leader renews a retry period after its last renewal was sent (the deadline counts from
  // there too), no jitter.
  EXPECT_EQ(tick_at(done), at(2100ms).local);
  EXPECT_TRUE(e.leading(at(200ms).local));
  EXPECT_EQ(e.observed_holder(), "me");
}

TEST(LeaderElectorTest, WaitsForTheLeaseDurationFromItsOwnObservationNotTheRemoteRenewTime) {
  auto e = elector();
  // The holder's clock is a day behind ours: its renewTime looks ancient. Irrelevant.
  const auto record = held_by("other", at(0s).wall - 24h);
  e.handle(ev::Tick{}, at(0s));
  auto actions = e.handle(present(record, "5"), at(0s));
  EXPECT_FALSE(has<act::WriteLease>(actions));
  // Candidates retry after retry_period * (1 + 1.2 * U[0,1)).
  auto next = tick_at(actions);
  ASSERT_TRUE(next);
  EXPECT_GE(*next, at(2s).local);
  EXPECT_LT(*next, at(4400ms).local);
  // The same record and version, seen again and again: still valid until 15 s after we first
  // saw it.
  for (auto t : {5s, 10s, 14s}) {
    ASSERT_TRUE(has<act::ReadLease>(e.handle(ev::Tick{}, at(t))));
    EXPECT_FALSE(has<act::WriteLease>(e.handle(present(record, "5"), at(t + 999ms))));
  }
  ASSERT_TRUE(has<act::ReadLease>(e.handle(ev::Tick{}, at(15s))));
  const auto take = only<act::WriteLease>(e.handle(present(record, "5"), at(15s)));
  EXPECT_EQ(take.purpose, WritePurpose::kAcquire);
  EXPECT_EQ(take.resource_version, "5");
  EXPECT_EQ(take.spec.holder_identity, "me");
  EXPECT_EQ(take.spec.acquire_time, at(15s).wall);
  EXPECT_EQ(take.spec.renew_time, at(15s).wall);
  EXPECT_EQ(take.spec.lease_transitions, 1);
}

TEST(LeaderElectorTest, AFutureRemoteRenewTimeDoesNotExtendTheLeaseEither) {
  auto e = elector();
  const auto record = held_by("other", at(0s).wall + 24h);
  e.handle(ev::Tick{}, at(0s));
  e.handle(present(record, "5"), at(0s));
  e.handle(ev::Tick{}, at(15s));
  EXPECT_TRUE(has<act::WriteLease>(e.handle(present(record, "5"), at(15s))));
}

TEST(LeaderElectorTest, EveryChangeRestartsTheWait) {
  auto e = elector();
  e.handle(ev::Tick{}, at(0s));
  e.handle(present(held_by("other", at(0s).wall), "5"), at(0s));
  // Renewed at 10 s (seen as a new record and version): valid until 25 s now.
  e.handle(ev::Tick{}, at(10s));
  e.handle(present(held_by("other", at(10s).wall), "6"), at(10s));
  e.handle(ev::Tick{}, at(24s));
  EXPECT_FALSE(
      has<act::WriteLease>(e.handle(present(held_by("other", at(10s).wall), "6"), at(24s))));
  // A new version alone (same record) is a change too.
  e.handle(ev::Tick{}, at(24500ms));
  EXPECT_FALSE(
      has<act::WriteLease>(e.handle(present(held_by("other", at(10s).wall), "7"), at(24500ms))));
  e.handle(ev::Tick{}, at(39s));
  EXPECT_FALSE(
      has<act::WriteLease>(e.handle(present(held_by("other", at(10s).wall), "7"), at(39s))));
  e.handle(ev::Tick{}, at(39500ms));
  EXPECT_TRUE(
      has<act::WriteLease>(e.handle(present(held_by("other", at(10s).wall), "7"), at(39500ms))));
}

TEST(LeaderElectorTest, UsesTheLeasesOwnDuration) {
  auto e = elector();
  auto record = held_by("other", at(0s).wall);
  record.lease_duration_seconds = 4;
  e.handle(ev::Tick{}, at(0s));
  e.handle(present(record, "5"), at(0s));
  e.handle(ev::Tick{}, at(3900ms));
  EXPECT_FALSE(has<act::WriteLease>(e.handle(present(record, "5"), at(3900ms))));
  e.handle(ev::Tick{}, at(4s));
  const auto take = only<act::WriteLease>(e.handle(present(record, "5"), at(4s)));
  EXPECT_EQ(take.spec.lease_duration_seconds, 15);  // ours, from now on
}

TEST(LeaderElectorTest, ALeaseWithoutADurationHasExpired) {
  auto e = elector();
  auto record = held_by("other", at(0s).wall);
  record.lease_duration_seconds.reset();
  record.lease_transitions.reset();
  e.handle(ev::Tick{}, at(0s));
  const auto take = only<act::WriteLease>(e.handle(present(record, "5"), at(0s)));
  EXPECT_EQ(take.purpose, WritePurpose::kAcquire);
  EXPECT_EQ(take.spec.lease_duration_seconds, 15);
  EXPECT_EQ(take.spec.lease_transitions, 1);
}

TEST(LeaderElectorTest, WritesKeepTheFieldsItDoesNotOwn) {
  auto e = elector();
  auto record = held_by("other", at(0s).wall, 2);
  record.strategy = "OldestEmulationVersion";
  record.preferred_holder = "someone";
  e.handle(ev::Tick{}, at(0s));
  e.handle(present(record, "5"), at(0s));
  e.handle(ev::Tick{}, at(15s));
  const auto take = only<act::WriteLease>(e.handle(present(record, "5"), at(15s)));
  EXPECT_EQ(take.spec.strategy, "OldestEmulationVersion");
  EXPECT_EQ(take.spec.preferred_holder, "someone");
  e.handle(ev::WriteDone{"6"}, at(15s));
  const auto renew = only<act::WriteLease>(e.handle(ev::Tick{}, at(17s)));
  EXPECT_EQ(renew.spec.strategy, "OldestEmulationVersion");
  EXPECT_EQ(renew.spec.preferred_holder, "someone");
  e.handle(ev::WriteDone{"7"}, at(17s));
  const auto release = only<act::WriteLease>(e.handle(ev::Stop{}, at(18s)));
  EXPECT_EQ(release.purpose, WritePurpose::kRelease);
  EXPECT_EQ(release.spec.strategy, "OldestEmulationVersion");
  EXPECT_EQ(release.spec.preferred_holder, "someone");
  EXPECT_EQ(release.spec.lease_transitions, 3);
}

TEST(LeaderElectorTest, TakesAReleasedLeaseAtOnce) {
  auto e = elector();
  LeaseSpec released{.holder_identity = "",
                     .lease_duration_seconds = 1,
                     .acquire_time = at(0s).wall,
                     .renew_time = at(0s).wall,
                     .lease_transitions = 4};
  e.handle(ev::Tick{}, at(0s));
  const auto take = only<act::WriteLease>(e.handle(present(released, "9"), at(0s)));
  EXPECT_EQ(take.purpose, WritePurpose::kAcquire);
  EXPECT_EQ(take.spec.lease_transitions, 5);
  EXPECT_EQ(take.resource_version, "9");
  EXPECT_TRUE(has<act::StartedLeading>(e.handle(ev::WriteDone{"10"}, at(100ms))));
}

TEST(LeaderElectorTest, ALeaseAlreadyOursIsRenewedAtOnceKeepingAcquireTimeAndTransitions) {
  auto e = elector();  // e.g. the process restarted with the same identity
  const auto record = held_by("me", at(0s).wall - 5s, 3);
  e.handle(ev::Tick{}, at(0s));
  const auto renew = only<act::WriteLease>(e.handle(present(record, "5"), at(0s)));
  EXPECT_EQ(renew.purpose, WritePurpose::kRenew);
  EXPECT_EQ(renew.spec.acquire_time, record.acquire_time);
  EXPECT_EQ(renew.spec.lease_transitions, 3);
  EXPECT_EQ(renew.spec.renew_time, at(0s).wall);
  EXPECT_TRUE(has<act::StartedLeading>(e.handle(ev::WriteDone{"6"}, at(50ms))));
}

TEST(LeaderElectorTest, ALeaderRenewsWithoutReadingFirst) {
  auto e = elector();
  lead(e);
  for (int i = 1; i <= 5; ++i) {
    const auto t = i * 2s;
    const auto renew = only<act::WriteLease>(e.handle(ev::Tick{}, at(t)));
    EXPECT_EQ(renew.purpose, WritePurpose::kRenew);
    EXPECT_EQ(renew.resource_version, std::to_string(i));
    EXPECT_EQ(renew.spec.holder_identity, "me");
    EXPECT_EQ(renew.spec.acquire_time, at(0s).wall);
    EXPECT_EQ(renew.spec.renew_time, at(t).wall);
    const auto done = e.handle(ev::WriteDone{std::to_string(i + 1)}, at(t + 300ms));
    EXPECT_FALSE(has<act::StartedLeading>(done));  // already
    EXPECT_EQ(tick_at(done), at(t + 2s).local);    // a retry period after the send
    EXPECT_TRUE(e.leading(at(t + 9999ms).local));
  }
}

TEST(LeaderElectorTest, AConflictOnRenewReadsAgainAndYieldsToTheNewHolder) {
  auto e = elector();
  lead(e);
  ASSERT_TRUE(has<act::WriteLease>(e.handle(ev::Tick{}, at(2s))));
  EXPECT_TRUE(has<act::ReadLease>(e.handle(ev::WriteConflict{}, at(2100ms))));
  EXPECT_TRUE(e.leading(at(2100ms).local));  // until it knows better
  const auto seen = e.handle(present(held_by("other", at(2s).wall, 1), "8"), at(2200ms));
  EXPECT_EQ(only<act::StoppedLeading>(seen).reason, StopReason::kHeldByOther);
  EXPECT_FALSE(has<act::WriteLease>(seen));
  EXPECT_FALSE(e.leading(at(2200ms).local));
  EXPECT_EQ(e.observed_holder(), "other");
}

TEST(LeaderElectorTest, AConflictOnOurOwnTimedOutWriteRenewsOnTheNewVersion) {
  auto e = elector();
  lead(e);
  ASSERT_TRUE(has<act::WriteLease>(e.handle(ev::Tick{}, at(2s))));
  // The renewal timed out here but was applied there: the version moved on under our name.
  EXPECT_TRUE(has<act::ReadLease>(e.handle(ev::WriteFailed{"timed out"}, at(4s))));
  const auto renew =
      only<act::WriteLease>(e.handle(present(held_by("me", at(2s).wall), "2"), at(4s)));
  EXPECT_EQ(renew.purpose, WritePurpose::kRenew);
  EXPECT_EQ(renew.resource_version, "2");
  const auto done = e.handle(ev::WriteDone{"3"}, at(4100ms));
  EXPECT_TRUE(e.leading(at(13999ms).local));
  EXPECT_FALSE(e.leading(at(14s).local));
  EXPECT_FALSE(has<act::StoppedLeading>(done));
}

TEST(LeaderElectorTest, AConflictOnAcquireReadsAgainAndWaitsForTheWinner) {
  auto e = elector();
  e.handle(ev::Tick{}, at(0s));
  ASSERT_TRUE(has<act::WriteLease>(e.handle(ev::ReadDone{}, at(0s))));
  EXPECT_TRUE(has<act::ReadLease>(e.handle(ev::WriteConflict{}, at(100ms))));  // AlreadyExists
  const auto seen = e.handle(present(held_by("other", at(0s).wall), "1"), at(200ms));
  EXPECT_FALSE(has<act::WriteLease>(seen));
  EXPECT_FALSE(has<act::StartedLeading>(seen));
  EXPECT_TRUE(tick_at(seen));
}

TEST(LeaderElectorTest, OneReReadPerAttempt) {
  auto e = elector();
  e.handle(ev::Tick{}, at(0s));
  e.handle(ev::ReadDone{}, at(0s));
  EXPECT_TRUE(has<act::ReadLease>(e.handle(ev::WriteFailed{"HTTP 500"}, at(1s))));
  EXPECT_TRUE(has<act::WriteLease>(e.handle(ev::ReadDone{}, at(1s))));
  const auto failed = e.handle(ev::WriteFailed{"HTTP 500"}, at(2s));
  EXPECT_FALSE(has<act::ReadLease>(failed));
  EXPECT_TRUE(tick_at(failed));
  EXPECT_TRUE(has<act::ReadLease>(e.handle(ev::Tick{}, Now{*tick_at(failed), at(5s).wall})));
}

TEST(LeaderElectorTest, ALeaderThatCannotRenewStopsAtTheDeadlineEvenWithoutEvents) {
  auto e = elector();
  lead(e);
  // Renewal sent at 2 s; the server never answers (the request hangs).
  ASSERT_TRUE(has<act::WriteLease>(e.handle(ev::Tick{}, at(2s))));
  // Asked before anything arrives: the deadline counts from the last successful renewal sent
  // (the create at 0 s).
  EXPECT_TRUE(e.leading(at(9999ms).local));
  EXPECT_FALSE(e.leading(at(10s).local));
  EXPECT_FALSE(e.leading(at(1h).local));
}

TEST(LeaderElectorTest, RenewDeadlineTickStopsLeadingWhileARequestHangs) {
  auto e = elector();
  lead(e);
  const auto sent = e.handle(ev::Tick{}, at(2s));
  ASSERT_TRUE(has<act::WriteLease>(sent));
  EXPECT_EQ(tick_at(sent), at(10s).local);  // the deadline, while the write is in flight
  const auto stopped = e.handle(ev::Tick{}, at(10s));
  EXPECT_EQ(only<act::StoppedLeading>(stopped).reason, StopReason::kRenewDeadline);
  EXPECT_FALSE(has<act::ReadLease>(stopped));  // the request in flight is still out there
  // It fails at last; the next attempt reads, sees our name and renews: leading again.
  EXPECT_TRUE(has<act::ReadLease>(e.handle(ev::WriteFailed{"timed out"}, at(12s))));
  EXPECT_TRUE(has<act::WriteLease>(e.handle(present(held_by("me", at(0s).wall), "1"), at(12s))));
  EXPECT_TRUE(has<act::StartedLeading>(e.handle(ev::WriteDone{"2"}, at(12100ms))));
}

TEST(LeaderElectorTest, FailedRenewalsLoseLeadershipAtTheDeadline) {
  auto e = elector();
  lead(e);
  std::vector<std::pair<Clock::duration, StopReason>> stops;
  // Every request fails (the fast-path renewal, then the read behind it); a tick every second.
  for (auto t = 1s; t <= 14s; t += 1s) {
    Actions actions = e.handle(ev::Tick{}, at(t));
    const bool leading_before = e.leading(at(t).local);
    if (has<act::WriteLease>(actions)) {
      const auto more = e.handle(ev::WriteFailed{"HTTP 503"}, at(t));
      EXPECT_TRUE(has<act::ReadLease>(more));
      actions.insert(actions.end(), more.begin(), more.end());
    }
    if (has<act::ReadLease>(actions)) {
      const auto more = e.handle(ev::ReadFailed{"HTTP 503"}, at(t));
      actions.insert(actions.end(), more.begin(), more.end());
    }
    EXPECT_EQ(e.leading(at(t).local), leading_before);  // failures alone change nothing
    for (const auto& s : all<act::StoppedLeading>(actions)) stops.emplace_back(t, s.reason);
  }
  EXPECT_EQ(
      stops,
      (std::vector<std::pair<Clock::duration, StopReason>>{{10s, StopReason::kRenewDeadline}}));
}

TEST(LeaderElectorTest, TheDeadlineCountsFromWhenTheRenewalWasSentNotAnswered) {
  auto e = elector();
  lead(e);
  ASSERT_TRUE(has<act::WriteLease>(e.handle(ev::Tick{}, at(2s))));
  e.handle(ev::WriteDone{"2"}, at(5s));  // a slow answer
  EXPECT_TRUE(e.leading(at(11999ms).local));
  EXPECT_FALSE(e.leading(at(12s).local));
}

TEST(LeaderElectorTest, ALeaderRenewsARetryPeriodAfterTheLastRenewalWasSent) {
  auto e = elector();
  e.handle(ev::Tick{}, at(0s));
  e.handle(ev::ReadDone{}, at(0s));
  // The create was held up (a link down) and answered 1.5 s after it was sent: the renewal is
  // due 2 s after the send, not after the answer.
  const auto acquired = e.handle(ev::WriteDone{"1"}, at(1500ms));
  ASSERT_TRUE(has<act::StartedLeading>(acquired));
  EXPECT_EQ(tick_at(acquired), at(2s).local);
  // Answered 9 s after it was sent, 1 s before the deadline: renewed at once, and answered in
  // time it keeps leading.
  ASSERT_TRUE(has<act::WriteLease>(e.handle(ev::Tick{}, at(2s))));
  const auto slow = e.handle(ev::WriteDone{"2"}, at(11s));
  EXPECT_TRUE(e.leading(at(11s).local));
  EXPECT_EQ(tick_at(slow), at(11s).local);
  ASSERT_TRUE(has<act::WriteLease>(e.handle(ev::Tick{}, at(11s))));
  const auto quick = e.handle(ev::WriteDone{"3"}, at(11100ms));
  EXPECT_FALSE(has<act::StoppedLeading>(quick));
  EXPECT_TRUE(e.leading(at(20s).local));
  // In the steady state (quick answers) that is about a retry period after the answer.
  EXPECT_EQ(tick_at(quick), at(13s).local);
}

TEST(LeaderElectorTest, AnAnswerLaterThanTheDeadlineMakesAHolderNotALeader) {
  auto e = elector();
  e.handle(ev::Tick{}, at(0s));
  e.handle(ev::ReadDone{}, at(0s));
  // The process was frozen for 11 s with the answer waiting.
  const auto late = e.handle(ev::WriteDone{"1"}, at(11s));
  EXPECT_FALSE(has<act::StartedLeading>(late));
  EXPECT_FALSE(e.leading(at(11s).local));
  EXPECT_EQ(e.observed_holder(), "me");
  // The next attempt renews at once (fast path) and leads from then on.
  auto renew = e.handle(ev::Tick{}, Now{*tick_at(late), at(13s).wall});
  ASSERT_TRUE(has<act::WriteLease>(renew));
  EXPECT_TRUE(has<act::StartedLeading>(
      e.handle(ev::WriteDone{"2"}, Now{*tick_at(late) + 1ms, at(13s).wall})));
}

TEST(LeaderElectorTest, StopReleasesAfterStoppingToLead) {
  auto e = elector();
  lead(e);
  ASSERT_TRUE(has<act::WriteLease>(e.handle(ev::Tick{}, at(2s))));
  ASSERT_FALSE(e.handle(ev::WriteDone{"2"}, at(2s)).empty());
  const auto stop = e.handle(ev::Stop{}, at(3s));
  ASSERT_EQ(stop.size(), 2u);
  EXPECT_EQ(std::get<act::StoppedLeading>(stop[0]).reason, StopReason::kStopped);
  const auto release = std::get<act::WriteLease>(stop[1]);
  EXPECT_EQ(release.purpose, WritePurpose::kRelease);
  EXPECT_EQ(release.resource_version, "2");
  EXPECT_EQ(release.spec, (LeaseSpec{.holder_identity = "",
                                     .lease_duration_seconds = 1,
                                     .acquire_time = at(3s).wall,
                                     .renew_time = at(3s).wall,
                                     .lease_transitions = 0}));
  EXPECT_FALSE(e.leading(at(3s).local));
  EXPECT_TRUE(has<act::Finished>(e.handle(ev::WriteDone{"3"}, at(3100ms))));
  EXPECT_TRUE(e.finished());
  EXPECT_TRUE(e.handle(ev::Tick{}, at(4s)).empty());
}

TEST(LeaderElectorTest, StopWithoutHoldingFinishesAtOnce) {
  auto e = elector();
  e.handle(ev::Tick{}, at(0s));
  e.handle(present(held_by("other", at(0s).wall), "5"), at(0s));
  const auto stop = e.handle(ev::Stop{}, at(1s));
  ASSERT_EQ(stop.size(), 1u);
  EXPECT_TRUE(has<act::Finished>(stop));
}

TEST(LeaderElectorTest, StopDuringARenewalReleasesTheVersionItWrote) {
  auto e = elector();
  lead(e);
  ASSERT_TRUE(has<act::WriteLease>(e.handle(ev::Tick{}, at(2s))));
  const auto stop = e.handle(ev::Stop{}, at(2100ms));
  EXPECT_EQ(only<act::StoppedLeading>(stop).reason, StopReason::kStopped);
  EXPECT_FALSE(has<act::WriteLease>(stop));
  const auto release = only<act::WriteLease>(e.handle(ev::WriteDone{"2"}, at(2200ms)));
  EXPECT_EQ(release.purpose, WritePurpose::kRelease);
  EXPECT_EQ(release.resource_version, "2");
  EXPECT_FALSE(e.leading(at(2200ms).local));
}

TEST(LeaderElectorTest, AConflictingReleaseReadsOnceAndReleasesWhatIsStillOurs) {
  auto e = elector();
  lead(e);
  ASSERT_TRUE(has<act::WriteLease>(e.handle(ev::Stop{}, at(1s))));
  EXPECT_TRUE(has<act::ReadLease>(e.handle(ev::WriteConflict{}, at(1s))));
  const auto again =
      only<act::WriteLease>(e.handle(present(held_by("me", at(0s).wall), "4"), at(1s)));
  EXPECT_EQ(again.purpose, WritePurpose::kRelease);
  EXPECT_EQ(again.resource_version, "4");
  EXPECT_TRUE(has<act::Finished>(e.handle(ev::WriteConflict{}, at(1s))));
}

TEST(LeaderElectorTest, AReleaseIsNotWrittenOverAnotherHolder) {
  auto e = elector();
  lead(e);
  ASSERT_TRUE(has<act::WriteLease>(e.handle(ev::Stop{}, at(1s))));
  EXPECT_TRUE(has<act::ReadLease>(e.handle(ev::WriteFailed{"timed out"}, at(1s))));
  const auto seen = e.handle(present(held_by("other", at(0s).wall, 1), "4"), at(1s));
  EXPECT_FALSE(has<act::WriteLease>(seen));
  EXPECT_TRUE(has<act::Finished>(seen));
}

TEST(LeaderElectorTest, CandidatesJitterLeadersDoNot) {
  auto a = elector();
  auto b = elector();
  std::vector<Clock::time_point> ticks_a;
  std::vector<Clock::time_point> ticks_b;
  Clock::time_point t = kT0;
  for (int i = 0; i < 50; ++i) {
    a.handle(ev::Tick{}, {t, kWall0});
    b.handle(ev::Tick{}, {t, kWall0});
    auto next_a =
        tick_at(a.handle(present(held_by("other", kWall0), std::to_string(i)), {t, kWall0}));
    auto next_b =
        tick_at(b.handle(present(held_by("other", kWall0), std::to_string(i)), {t, kWall0}));
    ASSERT_TRUE(next_a && next_b);
    EXPECT_GE(*next_a - t, 2s);
    EXPECT_LT(*next_a - t, 4400ms);
    ticks_a.push_back(*next_a);
    ticks_b.push_back(*next_b);
    t = *next_a;
  }
  // The same seed gives the same delays; the delays are not all the same.
  EXPECT_EQ(ticks_a, ticks_b);
  std::set<Clock::duration> delays;
  for (std::size_t i = 1; i < ticks_a.size(); ++i) delays.insert(ticks_a[i] - ticks_a[i - 1]);
  EXPECT_GT(delays.size(), 40u);
}

// A tiny Lease store shared by electors, to follow leaseTransitions over holder changes.
class Store {
 public:
  ElectionEvent answer(const ElectionAction& action) {
    if (std::holds_alternative<act::ReadLease>(action)) {
      if (!lease_) return ev::ReadDone{};
      return ev::ReadDone{lease_};
    }
    const auto& w = std::get<act::WriteLease>(action);
    if (w.purpose == WritePurpose::kCreate
            ? lease_.has_value()
            : (!lease_ || lease_->resource_version != w.resource_version)) {
      return ev::WriteConflict{};
    }
    lease_ = StoredLease{w.spec, std::to_string(++version_)};
    return ev::WriteDone{lease_->resource_version};
  }
  const std::optional<StoredLease>& lease() const { return lease_; }

 private:
  std::optional<StoredLease> lease_;
  int version_ = 0;
};

// Runs one elector's actions against the store until it has nothing more to ask right away.
Actions drive(LeaderElector& e, Store& store, ElectionEvent event, Now now) {
  Actions seen;
  for (int i = 0; i < 10; ++i) {
    auto actions = e.handle(event, now);
    seen.insert(seen.end(), actions.begin(), actions.end());
    const ElectionAction* request = nullptr;
    for (const auto& a : actions) {
      if (std::holds_alternative<act::ReadLease>(a) || std::holds_alternative<act::WriteLease>(a)) {
        request = &a;
      }
    }
    if (request == nullptr) break;
    event = store.answer(*request);
  }
  return seen;
}

TEST(LeaderElectorTest, TransitionsCountEveryChangeOfHolder) {
  Store store;
  auto a = elector(config("a"));
  auto b = elector(config("b"));
  EXPECT_TRUE(has<act::StartedLeading>(drive(a, store, ev::Tick{}, at(0s))));
  EXPECT_EQ(store.lease()->spec.lease_transitions, 0);
  EXPECT_FALSE(has<act::StartedLeading>(drive(b, store, ev::Tick{}, at(0s))));
  // a renews (no change of holder), then stops and releases: transitions kept.
  drive(a, store, ev::Tick{}, at(2s));
  EXPECT_EQ(store.lease()->spec.lease_transitions, 0);
  EXPECT_TRUE(has<act::Finished>(drive(a, store, ev::Stop{}, at(3s))));
  EXPECT_EQ(store.lease()->spec.holder_identity, "");
  EXPECT_EQ(store.lease()->spec.lease_transitions, 0);
  // b takes the released Lease at its next attempt: 1.
  EXPECT_TRUE(has<act::StartedLeading>(drive(b, store, ev::Tick{}, at(4s))));
  EXPECT_EQ(store.lease()->spec.lease_transitions, 1);
  EXPECT_EQ(store.lease()->spec.acquire_time, at(4s).wall);
  // b dies without releasing; a new "a" takes over once 15 s have passed since it first saw
  // b's last record: 2.
  auto a2 = elector(config("a"));
  EXPECT_FALSE(has<act::WriteLease>(drive(a2, store, ev::Tick{}, at(5s))));
  EXPECT_FALSE(has<act::WriteLease>(drive(a2, store, ev::Tick{}, at(19s))));
  EXPECT_TRUE(has<act::StartedLeading>(drive(a2, store, ev::Tick{}, at(20s))));
  EXPECT_EQ(store.lease()->spec.lease_transitions, 2);
  EXPECT_EQ(store.lease()->spec.holder_identity, "a");
  EXPECT_EQ(store.lease()->spec.acquire_time, at(20s).wall);
}

}  // namespace
}  // namespace vipd::k8s
