#pragma once
// Health checks for standalone services: is the backend behind a Local service answering?
//
// Responsible for: running each service's check (probe.hpp) every `interval` from the start
// of the previous probe, never overlapping, each probe bounded by `timeout`; turning results
// into a verdict with rise/fall hysteresis (health_state.hpp); telling the owner when a
// verdict changes; the numbers /status and the metrics show.
// Not responsible for: deciding what is announced (the owner's callback does that), parsing
// the configuration (config/), serving /status or /metrics.
// Time: read only through the TimerClock given to HealthChecker (intervals, timeouts), so
// tests drive it with FakeTimerClock; the probes themselves do real I/O.
// Thread: one io_context thread. Every method must be called from the thread running the
// executor given to HealthChecker; callbacks run there too. Nothing blocks that thread.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/asio.hpp"
#include "common/timer.hpp"
#include "config/model.hpp"
#include "health/health_state.hpp"
#include "health/probe.hpp"

namespace vipd::health {

// One probe loop per check, keyed by the owner (the service's "namespace/name").
class HealthChecker {
 public:
  using Callback = std::function<void(const std::string& key, Verdict verdict)>;

  // `clock` must outlive the checker and every coroutine it started: keep it alive until the
  // executor's io_context has run out of work or is destroyed.
  HealthChecker(asio::any_io_executor executor, TimerClock& clock, Callback on_change);
  ~HealthChecker();  // stop()
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // The checks to run from now on. A key whose definition is unchanged keeps its loop and
  // state. A key whose target (kind, address, port, path, command) is unchanged but whose
  // timing (interval, timeout, rise, fall) changed keeps its verdict and counters and probes
  // again at once with the new timing. A new key, or one whose target changed, starts at
  // kUnknown and probes at once. Removed keys stop, and their callbacks never fire again.
  // set() itself never calls back: the caller reads verdict() afterwards.
  void set(std::map<std::string, config::HealthCheck> checks);

  std::optional<Verdict> verdict(const std::string& key) const;  // nullopt: unknown key

  struct Status {
    Verdict verdict = Verdict::kUnknown;
    std::string last_result;  // empty until the first probe ends
    std::uint64_t checks = 0;
    std::uint64_t failures = 0;
  };
  std::map<std::string, Status> status() const;

  // Stops every loop (probes in flight are cancelled, commands killed and reaped); no
  // callback fires afterwards. set() may start new loops later.
  void stop();

 private:
  struct Check;
  void start(const std::shared_ptr<Check>& check);
  static void halt(Check& check);
  asio::awaitable<void> probe_loop(std::shared_ptr<Check> check);

  asio::any_io_executor executor_;
  TimerClock& clock_;
  Callback on_change_;
  std::map<std::string, std::shared_ptr<Check>> checks_;
};

}  // namespace vipd::health
