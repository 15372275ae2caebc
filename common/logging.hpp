#pragma once
// Logging setup: one process-wide spdlog logger, "text" for people or "json" (one object per
// line) for log collectors, at a chosen level.
//
// Does not decide what to log; modules call spdlog through the default logger. Pure modules
// (codecs, state machines) never log: they return data and the caller logs it.

#include <spdlog/common.h>
#include <spdlog/logger.h>

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace vipd {

enum class LogFormat { kText, kJson };

Result<LogFormat> parse_log_format(std::string_view text);                 // "text" | "json"
Result<spdlog::level::level_enum> parse_log_level(std::string_view text);  // trace..off

// A logger writing to `sink` in the given format (timestamps in UTC).
std::shared_ptr<spdlog::logger> make_logger(std::string name, LogFormat format,
                                            spdlog::level::level_enum level, spdlog::sink_ptr sink);

// Installs the process-wide default logger "vipd", writing to stderr.
void setup_logging(LogFormat format, spdlog::level::level_enum level);

// The completion handler every co_spawn gets (never a bare `detached`): logs a coroutine that
// ended with an exception as "WHAT: the exception's text".
std::function<void(std::exception_ptr)> log_failure(std::string what);

}  // namespace vipd
