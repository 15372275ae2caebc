#pragma once
// Clock: the one source of "now" for code that measures time.
//
// Timers, hold times, backoff and health-check intervals read time through this interface so
// tests can drive them with a fake clock (common/testing/fake_clock.hpp) instead of sleeping.
// Monotonic time only: wall-clock time is for logs, never for decisions.

#include <chrono>

namespace vipd {

class Clock {
 public:
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual time_point now() const = 0;
};

// The real monotonic clock.
class SteadyClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace vipd
