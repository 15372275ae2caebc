#pragma once
// Runs an io_context in 5 ms slices until a condition holds or a deadline passes: the way the
// tests against real sockets and the real clock wait, never sleeping for a fixed time.
// Test-only; the daemon never includes it.

#include <chrono>
#include <functional>

#include "common/asio.hpp"

namespace vipd::testing {

// True when `done` held before `timeout`.
inline bool run_until(asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace vipd::testing
