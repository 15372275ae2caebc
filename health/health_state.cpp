#include "health/health_state.hpp"

#include <algorithm>

#include "common/assert.hpp"

namespace vipd::health {

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::kUnknown:
      return "unknown";
    case Verdict::kPassing:
      return "passing";
    case Verdict::kFailing:
      return "failing";
  }
  return "?";
}

HealthState::HealthState(int rise, int fall) : rise_(rise), fall_(fall) {
  VIPD_ASSERT(rise >= 1 && fall >= 1, "health check rise and fall are at least 1");
}

void HealthState::set_thresholds(int rise, int fall) {
  VIPD_ASSERT(rise >= 1 && fall >= 1, "health check rise and fall are at least 1");
  rise_ = rise;
  fall_ = fall;
}

std::optional<Verdict> HealthState::record(const ProbeResult& result) {
  ++checks_;
  if (!result.success) ++failures_;
  last_result_ = result.text;
  if (streak_ == 0 || result.success != last_success_) {
    streak_ = 1;
  } else {
    streak_ = std::min(streak_ + 1, std::max(rise_, fall_));
  }
  last_success_ = result.success;

  Verdict next = verdict_;
  if (result.success && streak_ >= rise_) next = Verdict::kPassing;
  if (!result.success && streak_ >= fall_) next = Verdict::kFailing;
  if (next == verdict_) return std::nullopt;
  verdict_ = next;
  return next;
}

}  // namespace vipd::health
