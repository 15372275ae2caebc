#pragma once
// FakeClock: a Clock that moves only when a test says so. Test-only target; the daemon never
// links it.

#include "common/clock.hpp"

namespace vipd::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(time_point start = time_point{} + std::chrono::hours(1)) : now_(start) {}

  time_point now() const override { return now_; }
  void advance(duration by) { now_ += by; }
  void set(time_point to) { now_ = to; }

 private:
  time_point now_;
};

}  // namespace vipd::testing
