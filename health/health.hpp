#pragma once
// Health checks for standalone services: is the backend behind a Local service answering?
//
// Responsible for: running each service's check (TCP connect, HTTP GET expecting 2xx, or a
// command run without a shell that must exit 0) every `interval`, each probe bounded by
// `timeout`; turning probe results into a verdict with rise/fall hysteresis; telling the
// owner when a verdict changes; the numbers /status and the metrics show.
// Not responsible for: deciding what is announced (the owner's callback does that), parsing
// the configuration (config/), serving /status or /metrics.
// Thread: one io_context thread. Every method must be called from the thread running the
// executor given to HealthChecker; callbacks run there too. Nothing blocks that thread: a
// command is awaited through its pidfd and reaped only once it has exited.
//
// HealthState is the pure half (counting); HealthChecker and probe() do the I/O.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/asio.hpp"
#include "config/model.hpp"

namespace vipd::health {

enum class Verdict : std::uint8_t {
  kUnknown,  // not enough results yet: neither `rise` successes nor `fall` failures in a row
  kPassing,
  kFailing,
};
std::string_view to_string(Verdict verdict);  // "unknown" | "passing" | "failing"

// The outcome of one probe, with a short text for people ("HTTP 503", "exit status 1",
// "connect: Connection refused", "timed out after 1s").
struct ProbeResult {
  bool success = false;
  std::string text;
  friend bool operator==(const ProbeResult&, const ProbeResult&) = default;
};

// Rise/fall counting. Starts kUnknown; `rise` consecutive successes make it kPassing and
// `fall` consecutive failures make it kFailing, from any verdict, so one odd result never
// flips a service (HAProxy's and keepalived's rise/fall). Pure.
class HealthState {
 public:
  HealthState(int rise, int fall);  // both >= 1 (the configuration guarantees it)

  // Records one probe. Returns the new verdict only when this result changed it.
  std::optional<Verdict> record(const ProbeResult& result);
  // New thresholds, same history: a check whose timing changed keeps its verdict and streak.
  void set_thresholds(int rise, int fall);

  Verdict verdict() const { return verdict_; }
  const std::string& last_result() const { return last_result_; }
  std::uint64_t checks() const { return checks_; }      // probes recorded
  std::uint64_t failures() const { return failures_; }  // of which failed
  int streak() const { return streak_; }                // consecutive results equal to the last one

 private:
  int rise_;
  int fall_;
  Verdict verdict_ = Verdict::kUnknown;
  bool last_success_ = false;
  int streak_ = 0;  // saturates at max(rise, fall)
  std::string last_result_;
  std::uint64_t checks_ = 0;
  std::uint64_t failures_ = 0;
};

// Runs one probe of `check`, bounded by check.timeout. Never throws for network or process
// errors: they are failed results. A command runs in its own process group, which is killed
// when the command exits or times out, so nothing it started outlives the probe. Cancelling a
// probe (for example through `||`) is safe: sockets close and the command is killed and
// reaped before the cancelled probe completes.
asio::awaitable<ProbeResult> probe(config::HealthCheck check);

// One probe loop per check, keyed by the owner (the service's "namespace/name").
class HealthChecker {
 public:
  using Callback = std::function<void(const std::string& key, Verdict verdict)>;

  HealthChecker(asio::any_io_executor executor, Callback on_change);
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
  asio::awaitable<void> run(std::shared_ptr<Check> check);
  asio::awaitable<void> probe_loop(std::shared_ptr<Check> check);

  asio::any_io_executor executor_;
  Callback on_change_;
  std::map<std::string, std::shared_ptr<Check>> checks_;
};

}  // namespace vipd::health
