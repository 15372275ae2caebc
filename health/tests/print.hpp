#pragma once
// How GoogleTest prints a ProbeResult in a failed expectation.

#include <ostream>

#include "health/health_state.hpp"

namespace vipd::health {

inline void PrintTo(const ProbeResult& r, std::ostream* out) {
  *out << (r.success ? "success" : "failure") << " \"" << r.text << "\"";
}

}  // namespace vipd::health
