#pragma once
// VIPD_ASSERT: the one way a broken invariant stops the process.
//
// Only for facts the program itself guarantees (a bug if false), never for input: input
// errors are Results. Active in every build type, because a daemon that announces routes must
// not continue on corrupted state.

namespace vipd::detail {
// __FILE__/__LINE__ rather than std::source_location: clang 14 (the fuzz build) lacks it.
[[noreturn]] void assertion_failed(const char* expression, const char* message, const char* file,
                                   int line, const char* function) noexcept;
}  // namespace vipd::detail

#define VIPD_ASSERT(condition, message)                                                    \
  do {                                                                                     \
    if (!(condition)) [[unlikely]] {                                                       \
      ::vipd::detail::assertion_failed(#condition, message, __FILE__, __LINE__, __func__); \
    }                                                                                      \
  } while (false)
