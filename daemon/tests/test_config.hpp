#pragma once
// Standalone configurations for the daemon's unit tests, loaded through the real front end.

#include <gtest/gtest.h>

#include <string>

#include "config/load.hpp"

namespace vipd::daemon::testing {

inline config::Config load(const std::string& text) {
  auto r = config::load_text(text, "test.yaml", config::InputFormat::kStandalone);
  if (!r) ADD_FAILURE() << r.error().message();
  return r ? std::move(r.value()) : config::Config{};
}

}  // namespace vipd::daemon::testing
