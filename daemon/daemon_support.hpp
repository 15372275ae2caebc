#pragma once
// What every daemon command shares beside its own wiring: logging the reconciler's notes, the
// wall-clock time as /status shows it, and the Kubernetes client from --kubeconfig or the pod's
// service account. Thread: the daemon's one thread.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "admin/server.hpp"
#include "admin/status.hpp"
#include "common/asio.hpp"
#include "common/timer.hpp"
#include "daemon/route_reconciler.hpp"
#include "k8s/client.hpp"

namespace vipd::daemon {

// Each note at its level; informational ones bounded (bounded_notes()).
void log_notes(const std::vector<Note>& notes);

// The current UTC time, RFC 3339 to the second ("2026-12-07T06:00:00Z").
std::string now_rfc3339();

// The client for --kubeconfig (and --context), or in-cluster when `kubeconfig` is empty; null
// after the reason was logged (a missing or refused credential).
std::unique_ptr<k8s::Client> kubernetes_client(asio::any_io_executor executor, TimerClock& clock,
                                               const std::string& kubeconfig,
                                               const std::string& context);

// Gives freed heap back to the system after a plan: LISTs, file loads, plans and what follows them
// (UPDATEs, status writes, Events) leave freed memory behind that malloc keeps. Trims after the
// first plan, at most every 10 s under churn, and once plans have stopped for 5 s
// (bench/speaker_memory_bench.py: 1.8 MiB less resident with 1,000 Services for the first,
// 1.4 MiB for the last).
class HeapTrimmer {
 public:
  HeapTrimmer(TimerClock& clock, asio::any_io_executor executor);
  void after_plan();
  void stop() { quiet_->cancel(); }

 private:
  void trim();

  TimerClock& clock_;
  std::unique_ptr<Timer> quiet_;
  std::optional<Clock::time_point> last_;
};

// The daemon's state for a query: the long lists hold the query's page only, with their
// counts (admin/status_query.hpp), so a request costs one page of views at any scale.
using StatusReport = std::function<admin::DaemonStatus(const admin::StatusQuery&)>;

// The admin endpoint on --admin ADDRESS, serving /metrics (with admin::metrics_query()) and
// /status (with the request's query; a bad one is answered 400) from `report`, and /readyz
// from `ready`; null after the reason was logged (a bad address, the port in use).
std::unique_ptr<admin::AdminServer> start_admin(asio::any_io_executor executor,
                                                const std::string& address, StatusReport report,
                                                std::function<bool()> ready);

// How an announcing daemon ends. SIGTERM: `drain()` (RFC 8326: the routes stay, marked
// GRACEFUL_SHUTDOWN), after `drain_time` `withdraw()`, then the stop; SIGINT, or a second signal
// during the drain: the stop at once. The stop calls `stop(message)` (close the sessions with a
// Cease carrying it), then waits until `quiet()` (the NOTIFICATIONs and other last writes are
// out: checked every 25 ms, 1 s at most) and calls `done()`. SIGHUP calls `hangup` when given.
class Shutdown {
 public:
  struct Steps {
    std::function<void()> drain;
    std::function<void()> withdraw;
    std::function<void(const std::string& message)> stop;
    std::function<bool()> quiet;
    std::function<void()> done;
    std::function<void()> hangup;  // optional
  };
  Shutdown(asio::io_context& io, TimerClock& clock, std::chrono::milliseconds drain_time,
           Steps steps);

  void start();  // waits for the signals
  bool stopping() const { return stopping_; }

 private:
  void wait();
  void begin_drain();
  void stop_now(const std::string& message);
  void done_when_quiet(int checks_left);

  asio::signal_set signals_;
  TimerClock& clock_;
  std::chrono::milliseconds drain_time_;
  Steps steps_;
  std::unique_ptr<Timer> timer_;
  bool stopping_ = false;
};

}  // namespace vipd::daemon
