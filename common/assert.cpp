#include "common/assert.hpp"

#include <cstdio>
#include <cstdlib>

namespace vipd::detail {

void assertion_failed(const char* expression, const char* message, const char* file, int line,
                      const char* function) noexcept {
  // stderr directly: the logger may be what is broken.
  std::fprintf(stderr, "vipd: assertion failed at %s:%u in %s: %s (%s)\n", file, line, function,
               message, expression);
  std::fflush(stderr);
  std::abort();
}

}  // namespace vipd::detail
