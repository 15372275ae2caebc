#pragma once
// LeaseLock: leader election on a coordination.k8s.io/v1 Lease through the API client, the
// I/O driver of the pure LeaderElector (leader_election.hpp, which holds every rule).
//
// Responsible for: performing the elector's actions — GET, POST and PUT of
// /apis/coordination.k8s.io/v1/namespaces/NS/leases/NAME, each bounded by a timeout; one timer
// for its ticks; the callbacks when this process starts and stops leading — and a clean stop
// that releases the Lease before it completes (bounded too). Destroying a LeaseLock without
// stop() is a process dying: nothing is released, the request in flight is abandoned, others
// take over once the lease duration has passed.
// Not responsible for: deciding anything (the elector), what the leader does. A leader checks
// leading() before each action that only a leader may take: on_stopped_leading can come late
// (a frozen process), leading() never does.
// Thread: one io_context thread; the Client and the TimerClock outlive the LeaseLock. Callbacks
// run on that thread, from inside the LeaseLock: they must not destroy it.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/asio.hpp"
#include "common/timer.hpp"
#include "k8s/client.hpp"
#include "k8s/leader_election.hpp"
#include "k8s/micro_time.hpp"
#include "k8s/object_meta.hpp"

namespace vipd::k8s {

struct LeaseLockOptions {
  std::string lease_namespace = "default";
  std::string lease_name;
  // Identity, timings and jitter seed (give each process its own seed, e.g. from
  // std::random_device, so that candidates do not retry in step).
  LeaderElectionConfig election;
  // Each request is abandoned after this long (client-go bounds a renewal by the renew
  // deadline); nullopt: the renew deadline.
  std::optional<Clock::duration> request_timeout;
  // stop() gives the release this long.
  Clock::duration release_timeout = std::chrono::seconds(5);
  // Stamps acquireTime and renewTime (informational: no decision reads them).
  std::function<MicroTime()> wall_clock;  // empty: the system clock
};

struct LeaseLockCallbacks {
  std::function<void()> on_started_leading;
  // Stop acting as leader at once.
  std::function<void(StopReason reason)> on_stopped_leading;
};

struct LeaseLockCounts {
  std::uint64_t reads = 0;
  std::uint64_t writes = 0;
  std::uint64_t conflicts = 0;  // 409 answers
  std::uint64_t failures = 0;   // requests that failed or timed out, and unreadable answers
};

class LeaseLock {
 public:
  // Fails on an invalid election config (validate()) or a Lease name or namespace that is not
  // a DNS name.
  static Result<std::unique_ptr<LeaseLock>> create(asio::any_io_executor executor, Client& client,
                                                   TimerClock& clock, LeaseLockOptions options,
                                                   LeaseLockCallbacks callbacks);
  ~LeaseLock();  // no release: like a process that dies
  LeaseLock(const LeaseLock&) = delete;
  LeaseLock& operator=(const LeaseLock&) = delete;

  // Starts electing (once).
  void start();
  // Stops leading at once (on_stopped_leading runs before the first suspension), then
  // releases the Lease if this process holds it; completes when the release is answered, or
  // after release_timeout. A stopped LeaseLock does not start again.
  asio::awaitable<void> stop();

  // True while this process may act as leader (now, by its own clock).
  bool leading() const;
  // The holder named by the Lease as last seen ("" when released or unknown).
  std::string_view holder() const { return elector_.observed_holder(); }
  const std::string& identity() const { return options_.election.identity; }
  bool stopped() const { return finished_; }
  const LeaseLockCounts& counts() const { return counts_; }

 private:
  LeaseLock(asio::any_io_executor executor, Client& client, TimerClock& clock,
            LeaseLockOptions options, LeaseLockCallbacks callbacks, LeaderElector elector);

  void feed(const ElectionEvent& event);
  void perform(const ElectionAction& action);
  void send(ElectionAction request);
  asio::awaitable<ElectionEvent> exchange(ElectionAction request,
                                          std::shared_ptr<asio::steady_timer> abandon);
  ElectionEvent read_answer(const Result<Response>& answer);
  ElectionEvent write_answer(const election_action::WriteLease& write,
                             const Result<Response>& answer);
  Now now() const;
  std::string object_path() const;
  std::string collection_path() const;

  asio::any_io_executor executor_;
  Client& client_;
  TimerClock& clock_;
  LeaseLockOptions options_;
  LeaseLockCallbacks callbacks_;
  LeaderElector elector_;
  std::unique_ptr<Timer> timer_;
  ObjectMeta last_meta_;  // of the Lease as last read or written: its labels are written back
  // Wake-ups, not clocks (they never expire; cancel() wakes their waiter): the request in
  // flight abandons on `abandon_`, stop() wakes on `finished_`. Shared with the coroutines that
  // wait on them, which may finish after this object is gone.
  std::shared_ptr<asio::steady_timer> abandon_;
  std::shared_ptr<asio::steady_timer> finished_wakeup_;
  bool started_ = false;
  bool finished_ = false;
  LeaseLockCounts counts_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vipd::k8s
