#pragma once
// Leader election over a coordination.k8s.io/v1 Lease, with client-go's rules and timings
// (tools/leaderelection), as a pure and synchronous state machine.
//
// Responsible for: when to read the Lease; when to create it, take it over, renew it or
// release it, and with which spec; when this process starts and stops leading; when to try
// next. The rules, as client-go applies them:
//  - A Lease held by another identity stays valid until the LOCAL time at which this elector
//    last saw it change (spec or resourceVersion), plus its leaseDurationSeconds.
//    The remote renewTime is written, never read, so clock offsets between nodes do not
//    matter; clock rates do, and lease_duration / renew_deadline is the ratio of rates
//    tolerated (1.5 with the defaults).
//  - Acquire when the Lease is absent, released (empty holder), expired, or already ours.
//    Taking it from anyone else counts a transition and sets acquireTime.
//  - Every write carries the resourceVersion last seen (optimistic concurrency); a 409 means
//    someone else wrote: read again.
//  - A leader leads until renew_deadline after it SENT its last successful write (the write
//    took effect after that, so others' waits start later). leading(now) answers from the time
//    alone, so a process that was frozen knows it lost before any event arrives. Its next
//    renewal goes retry_period after that send (client-go: after the answer), so a slow
//    answer never eats the next renewal's time to the deadline.
//  - Stop while holding the Lease: stop leading first, then release it (empty holder,
//    leaseDurationSeconds 1, leaseTransitions kept: client-go's ReleaseOnCancel).
// Not responsible for: HTTP, JSON (lease_view.hpp), timers, clocks, random sources (the driver,
// lease_lock.hpp, performs the actions and feeds results back with the time).
// Single-threaded: one elector belongs to one driver.

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "k8s/lease_view.hpp"
#include "k8s/micro_time.hpp"

namespace vipd::k8s {

// A Lease as read from the API server: its spec (lease_view.hpp) and its resourceVersion.
// The spec's times are wall-clock, informational only: no decision reads them.
struct StoredLease {
  LeaseSpec spec;
  std::string resource_version;  // opaque: compared for equality only
  friend bool operator==(const StoredLease&, const StoredLease&) = default;
};

struct LeaderElectionConfig {
  std::string identity;  // unique per process (e.g. pod name + a random suffix)
  // How long others wait, after they last saw the Lease change, before taking over. Written
  // into the Lease in whole seconds, so it must be whole seconds.
  Clock::duration lease_duration = std::chrono::seconds(15);
  // How long a leader keeps leading without a successful renewal.
  Clock::duration renew_deadline = std::chrono::seconds(10);
  // Between attempts; candidates add jitter of up to kJitterFactor times this.
  Clock::duration retry_period = std::chrono::seconds(2);
  std::uint64_t jitter_seed = 0;  // randomness is injected: same seed, same delays
};

// client-go's JitterFactor: a candidate waits retry_period * (1 + kJitterFactor * U[0,1)).
inline constexpr double kJitterFactor = 1.2;

// client-go's checks: lease_duration > renew_deadline > kJitterFactor * retry_period > 0, and
// an identity; plus a whole number of seconds of lease_duration (the Lease carries seconds).
Result<void> validate(const LeaderElectionConfig& config);

// Why this process stopped leading.
enum class StopReason {
  kRenewDeadline,  // no successful renewal within renew_deadline
  kHeldByOther,    // the Lease names another holder
  kStopped,        // Stop was asked for
};
std::string_view to_string(StopReason reason);

// What a write is for (the driver logs it; Release ends with action::Finished).
enum class WritePurpose { kCreate, kAcquire, kRenew, kRelease };
std::string_view to_string(WritePurpose purpose);

// The instant an event is handled: the monotonic clock decides everything; the wall clock only
// stamps acquireTime and renewTime.
struct Now {
  Clock::time_point local;
  MicroTime wall;
};

// ---- events the driver feeds in ----
namespace election_event {
// The time asked for by the last ScheduleTick has come. Any tick starts an attempt unless a
// request is in flight.
struct Tick {};
struct ReadDone {
  std::optional<StoredLease> lease;  // nullopt: 404, there is no Lease
};
struct ReadFailed {
  std::string error;
};
struct WriteDone {
  std::string resource_version;  // of the Lease as written
};
struct WriteConflict {};  // 409: the resourceVersion was stale, or the Lease already exists
struct WriteFailed {      // anything else: timeout, 5xx, connection lost (it may have been applied)
  std::string error;
};
struct Stop {};
}  // namespace election_event
using ElectionEvent =
    std::variant<election_event::Tick, election_event::ReadDone, election_event::ReadFailed,
                 election_event::WriteDone, election_event::WriteConflict,
                 election_event::WriteFailed, election_event::Stop>;

// ---- actions the driver performs, in order ----
namespace election_action {
struct ReadLease {};  // GET; answer with ReadDone or ReadFailed
// POST (kCreate) or PUT with `resource_version` (otherwise); answer with WriteDone,
// WriteConflict or WriteFailed. One request is in flight at a time. The spec keeps what the
// elector does not own (strategy, preferredHolder) as it was read.
struct WriteLease {
  WritePurpose purpose;
  LeaseSpec spec;
  std::string resource_version;  // empty for kCreate
};
struct StartedLeading {};
// The caller must stop acting as leader at once.
struct StoppedLeading {
  StopReason reason;
};
// Feed a Tick at `at` (replaces any earlier ScheduleTick).
struct ScheduleTick {
  Clock::time_point at;
};
// Stop is complete (the Lease released, or nothing to release): nothing more will be asked.
struct Finished {};
}  // namespace election_action
using ElectionAction =
    std::variant<election_action::ReadLease, election_action::WriteLease,
                 election_action::StartedLeading, election_action::StoppedLeading,
                 election_action::ScheduleTick, election_action::Finished>;

class LeaderElector {
 public:
  static Result<LeaderElector> create(LeaderElectionConfig config);

  // The first Tick starts the first attempt.
  std::vector<ElectionAction> handle(const ElectionEvent& event, Now now);

  // True while this process may act as leader at local time `now`: a successful write as
  // holder was sent less than renew_deadline before `now`, and nothing since said otherwise.
  bool leading(Clock::time_point now) const;
  // The holder named by the Lease as last seen ("" when released or unknown).
  std::string_view observed_holder() const;
  const std::optional<StoredLease>& observed() const { return observed_; }
  const LeaderElectionConfig& config() const { return config_; }
  bool finished() const { return phase_ == Phase::kFinished; }

 private:
  enum class Phase { kRunning, kStopping, kFinished };
  enum class InFlight { kNone, kRead, kWrite };

  explicit LeaderElector(LeaderElectionConfig config);

  void on(const election_event::Tick&, Now now);
  void on(const election_event::ReadDone&, Now now);
  void on(const election_event::ReadFailed&, Now now);
  void on(const election_event::WriteDone&, Now now);
  void on(const election_event::WriteConflict&, Now now);
  void on(const election_event::WriteFailed&, Now now);
  void on(const election_event::Stop&, Now now);

  // Renewal deadline passed: StoppedLeading.
  void check_deadline(Clock::time_point now);
  void stop_leading(StopReason reason);
  void start_attempt(Now now);
  void read();
  void write(WritePurpose purpose, LeaseSpec spec, Now now);
  // After a failed write: read again once per attempt, else wait for the next.
  void after_failed_write(Now now);
  void end_attempt(Now now);
  void release_or_finish(Now now);
  void finish();
  void schedule();
  bool holds(const StoredLease& lease) const;
  bool observed_valid(Clock::time_point now) const;
  Clock::duration next_delay();

  LeaderElectionConfig config_;
  Phase phase_ = Phase::kRunning;
  InFlight in_flight_ = InFlight::kNone;
  std::optional<WritePurpose> write_purpose_;
  LeaseSpec write_spec_;
  Clock::time_point write_sent_{};
  bool reread_in_attempt_ = false;
  bool release_reread_ = false;

  std::optional<StoredLease> observed_;  // the Lease as last seen (nullopt: absent or unknown)
  Clock::time_point observed_time_{};    // local time it last changed

  bool leading_ = false;
  Clock::time_point last_renew_sent_{};  // the last successful write as holder was sent then
  std::optional<Clock::time_point> next_attempt_;
  std::optional<Clock::time_point> scheduled_;  // the last ScheduleTick emitted
  std::mt19937_64 jitter_;
  std::vector<ElectionAction> actions_;
};

}  // namespace vipd::k8s
