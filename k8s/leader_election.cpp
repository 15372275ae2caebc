#include "k8s/leader_election.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "common/assert.hpp"

namespace vipd::k8s {

namespace {

using std::chrono::seconds;

std::int32_t whole_seconds(Clock::duration d) {
  return static_cast<std::int32_t>(std::chrono::duration_cast<seconds>(d).count());
}

}  // namespace

Result<void> validate(const LeaderElectionConfig& config) {
  using std::chrono::duration_cast;
  if (config.identity.empty()) return failure(Errc::kInvalidArgument, "identity is empty");
  if (config.retry_period <= Clock::duration::zero()) {
    return failure(Errc::kOutOfRange, "retry period must be greater than zero");
  }
  if (config.lease_duration <= config.renew_deadline) {
    return failure(Errc::kOutOfRange, "lease duration must be greater than the renew deadline");
  }
  const auto jittered_retry = duration_cast<Clock::duration>(config.retry_period * kJitterFactor);
  if (config.renew_deadline <= jittered_retry) {
    return failure(Errc::kOutOfRange,
                   "renew deadline must be greater than the retry period times 1.2 (jitter)");
  }
  if (config.lease_duration < seconds(1) ||
      config.lease_duration != duration_cast<seconds>(config.lease_duration) ||
      config.lease_duration > seconds(std::numeric_limits<std::int32_t>::max())) {
    // Others wait for the Lease's leaseDurationSeconds: a fraction lost there would let them
    // take over before our renew deadline has passed.
    return failure(Errc::kOutOfRange, "lease duration must be a whole number of seconds");
  }
  return success();
}

std::string_view to_string(StopReason reason) {
  switch (reason) {
    case StopReason::kRenewDeadline:
      return "renew-deadline";
    case StopReason::kHeldByOther:
      return "held-by-other";
    case StopReason::kStopped:
      return "stopped";
  }
  return "?";
}

std::string_view to_string(WritePurpose purpose) {
  switch (purpose) {
    case WritePurpose::kCreate:
      return "create";
    case WritePurpose::kAcquire:
      return "acquire";
    case WritePurpose::kRenew:
      return "renew";
    case WritePurpose::kRelease:
      return "release";
  }
  return "?";
}

Result<LeaderElector> LeaderElector::create(LeaderElectionConfig config) {
  VIPD_TRY(validate(config));
  return LeaderElector(std::move(config));
}

LeaderElector::LeaderElector(LeaderElectionConfig config)
    : config_(std::move(config)), jitter_(config_.jitter_seed) {}

std::vector<ElectionAction> LeaderElector::handle(const ElectionEvent& event, Now now) {
  actions_.clear();
  if (phase_ == Phase::kFinished) return {};
  check_deadline(now.local);
  std::visit([&](const auto& e) { on(e, now); }, event);
  schedule();
  return std::exchange(actions_, {});
}

bool LeaderElector::leading(Clock::time_point now) const {
  return leading_ && now < last_renew_sent_ + config_.renew_deadline;
}

std::string_view LeaderElector::observed_holder() const {
  return observed_ ? std::string_view(observed_->spec.holder_identity) : std::string_view();
}

void LeaderElector::on(const election_event::Tick&, Now now) {
  scheduled_.reset();  // the timer that brought this tick is spent
  // Early ticks (the renew deadline's) start the next attempt early: harmless.
  if (phase_ == Phase::kRunning && in_flight_ == InFlight::kNone) start_attempt(now);
}

void LeaderElector::on(const election_event::ReadDone& done, Now now) {
  VIPD_ASSERT(in_flight_ == InFlight::kRead, "a read answered that was not asked for");
  in_flight_ = InFlight::kNone;
  if (!done.lease) {
    observed_.reset();
    if (phase_ == Phase::kStopping) return finish();  // nothing to release
    LeaseSpec spec;
    spec.holder_identity = config_.identity;
    spec.lease_duration_seconds = whole_seconds(config_.lease_duration);
    spec.acquire_time = now.wall;
    spec.renew_time = now.wall;
    spec.lease_transitions = 0;
    write(WritePurpose::kCreate, std::move(spec), now);
    return;
  }
  // Expiry is measured from when WE saw the Lease change, never from its renewTime.
  if (!observed_ || *observed_ != *done.lease) {
    observed_ = *done.lease;
    observed_time_ = now.local;
  }
  if (phase_ == Phase::kStopping) return release_or_finish(now);

  LeaseSpec spec = observed_->spec;  // strategy and preferredHolder stay as they are
  const bool ours = holds(*observed_);
  if (!ours) {
    if (leading_) stop_leading(StopReason::kHeldByOther);
    if (!spec.holder_identity.empty() && observed_valid(now.local)) return end_attempt(now);
    spec.acquire_time = now.wall;
    spec.lease_transitions = spec.lease_transitions.value_or(0) + 1;
  }
  spec.holder_identity = config_.identity;
  spec.lease_duration_seconds = whole_seconds(config_.lease_duration);
  spec.renew_time = now.wall;
  if (!spec.lease_transitions) spec.lease_transitions = 0;
  write(ours ? WritePurpose::kRenew : WritePurpose::kAcquire, std::move(spec), now);
}

void LeaderElector::on(const election_event::ReadFailed&, Now now) {
  VIPD_ASSERT(in_flight_ == InFlight::kRead, "a read answered that was not asked for");
  in_flight_ = InFlight::kNone;
  if (phase_ == Phase::kStopping) return finish();  // cannot tell whether it is ours
  end_attempt(now);
}

void LeaderElector::on(const election_event::WriteDone& done, Now now) {
  VIPD_ASSERT(in_flight_ == InFlight::kWrite, "a write answered that was not asked for");
  in_flight_ = InFlight::kNone;
  observed_ = StoredLease{write_spec_, done.resource_version};
  observed_time_ = now.local;
  if (*write_purpose_ == WritePurpose::kRelease) return finish();
  last_renew_sent_ = write_sent_;
  if (phase_ == Phase::kStopping) return release_or_finish(now);
  // An answer that came later than the renew deadline (a slow server, a frozen process) makes
  // this the holder but not the leader: the next renewal, sent now, can make it one.
  if (!leading_ && now.local < last_renew_sent_ + config_.renew_deadline) {
    leading_ = true;
    actions_.push_back(election_action::StartedLeading{});
  }
  if (leading_) {
    // The next renewal goes a retry period after this one was sent, not after it was
    // answered: an answer that took long (a request held across a network outage) leaves less
    // of the renew deadline, and a full period from the answer could let the deadline pass
    // while the next renewal is on its way (seen: a Lease re-acquired on a link coming back,
    // lost 0.8 s later).
    next_attempt_ = std::max(now.local, last_renew_sent_ + config_.retry_period);
    return;
  }
  end_attempt(now);
}

void LeaderElector::on(const election_event::WriteConflict&, Now now) {
  VIPD_ASSERT(in_flight_ == InFlight::kWrite, "a write answered that was not asked for");
  in_flight_ = InFlight::kNone;
  after_failed_write(now);
}

void LeaderElector::on(const election_event::WriteFailed&, Now now) {
  VIPD_ASSERT(in_flight_ == InFlight::kWrite, "a write answered that was not asked for");
  in_flight_ = InFlight::kNone;
  after_failed_write(now);
}

void LeaderElector::on(const election_event::Stop&, Now now) {
  if (phase_ != Phase::kRunning) return;
  phase_ = Phase::kStopping;
  next_attempt_.reset();
  // The caller stops acting as leader before the release is written, never after.
  if (leading_) stop_leading(StopReason::kStopped);
  if (in_flight_ == InFlight::kNone) release_or_finish(now);
  // Otherwise the answer in flight says which version to release.
}

void LeaderElector::check_deadline(Clock::time_point now) {
  if (leading_ && !leading(now)) stop_leading(StopReason::kRenewDeadline);
}

void LeaderElector::stop_leading(StopReason reason) {
  leading_ = false;
  actions_.push_back(election_action::StoppedLeading{reason});
}

void LeaderElector::start_attempt(Now now) {
  next_attempt_.reset();
  reread_in_attempt_ = false;
  if (observed_ && holds(*observed_) && observed_valid(now.local)) {
    // client-go's fast path: renew on top of the version we wrote or read last, without a GET.
    LeaseSpec spec = observed_->spec;
    spec.lease_duration_seconds = whole_seconds(config_.lease_duration);
    spec.renew_time = now.wall;
    return write(WritePurpose::kRenew, std::move(spec), now);
  }
  read();
}

void LeaderElector::read() {
  in_flight_ = InFlight::kRead;
  actions_.push_back(election_action::ReadLease{});
}

void LeaderElector::write(WritePurpose purpose, LeaseSpec spec, Now now) {
  in_flight_ = InFlight::kWrite;
  write_purpose_ = purpose;
  write_spec_ = spec;
  write_sent_ = now.local;
  std::string version;
  if (purpose != WritePurpose::kCreate) {
    VIPD_ASSERT(observed_.has_value(), "an update needs the version it replaces");
    version = observed_->resource_version;
  }
  actions_.push_back(election_action::WriteLease{purpose, std::move(spec), std::move(version)});
}

void LeaderElector::after_failed_write(Now now) {
  if (phase_ == Phase::kStopping) {
    // A failed release (or a write that may have changed the version): read once and try once
    // more while the Lease still names us.
    if (*write_purpose_ == WritePurpose::kRelease) {
      if (release_reread_) return finish();
      release_reread_ = true;
      return read();
    }
    return release_or_finish(now);
  }
  // Someone else wrote (409), or the write may or may not have been applied: read again, once
  // per attempt (client-go falls back from the fast path to GET + update the same way).
  if (reread_in_attempt_) return end_attempt(now);
  reread_in_attempt_ = true;
  read();
}

void LeaderElector::end_attempt(Now now) { next_attempt_ = now.local + next_delay(); }

void LeaderElector::release_or_finish(Now now) {
  if (!observed_ || !holds(*observed_)) return finish();
  // client-go's release: no holder, a one-second lease, both times now, transitions kept.
  LeaseSpec spec = observed_->spec;
  spec.holder_identity.clear();
  spec.lease_duration_seconds = 1;
  spec.acquire_time = now.wall;
  spec.renew_time = now.wall;
  spec.lease_transitions = spec.lease_transitions.value_or(0);
  write(WritePurpose::kRelease, std::move(spec), now);
}

void LeaderElector::finish() {
  phase_ = Phase::kFinished;
  leading_ = false;
  next_attempt_.reset();
  actions_.push_back(election_action::Finished{});
}

void LeaderElector::schedule() {
  if (phase_ == Phase::kFinished) return;
  std::optional<Clock::time_point> at;
  if (phase_ == Phase::kRunning && in_flight_ == InFlight::kNone) at = next_attempt_;
  if (leading_) {
    // Tick when the renew deadline passes, so StoppedLeading comes on time even while a
    // request hangs.
    const auto deadline = last_renew_sent_ + config_.renew_deadline;
    at = at ? std::min(*at, deadline) : deadline;
  }
  if (at && at != scheduled_) {
    scheduled_ = at;
    actions_.push_back(election_action::ScheduleTick{*at});
  }
}

bool LeaderElector::holds(const StoredLease& lease) const {
  return lease.spec.holder_identity == config_.identity;
}

bool LeaderElector::observed_valid(Clock::time_point now) const {
  // No leaseDurationSeconds: expired (client-go reads it as 0).
  return observed_ &&
         observed_time_ + seconds(observed_->spec.lease_duration_seconds.value_or(0)) > now;
}

Clock::duration LeaderElector::next_delay() {
  // A leader renews every retry period; candidates spread out (client-go: renew loop without
  // jitter, acquire loop with JitterFactor).
  if (leading_) return config_.retry_period;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const auto extra = std::chrono::duration_cast<Clock::duration>(config_.retry_period *
                                                                 (kJitterFactor * unit(jitter_)));
  return config_.retry_period + extra;
}

}  // namespace vipd::k8s
