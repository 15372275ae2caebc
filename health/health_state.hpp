#pragma once
// The pure half of health checks: what one probe found, and the rise/fall counting that turns
// a run of results into a verdict.
//
// Responsible for: the verdict of one check, its last result text and its counters.
// Not responsible for: running probes or keeping time (probe.hpp and health.hpp do the I/O),
// logging, or telling anyone about a change (record() returns it; the caller acts).
// Thread: none of its own; a HealthState belongs to whoever records into it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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
// flips a service (HAProxy's and keepalived's rise/fall).
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

}  // namespace vipd::health
