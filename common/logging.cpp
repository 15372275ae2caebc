#include "common/logging.hpp"

#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <chrono>
#include <ctime>
#include <string>

namespace vipd {
namespace {

// {"time":"2026-11-26T14:00:00.123Z","level":"info","logger":"vipd","msg":"..."}
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using namespace std::chrono;
    const auto since_epoch = msg.time.time_since_epoch();
    const std::time_t seconds = duration_cast<std::chrono::seconds>(since_epoch).count();
    const auto millis = duration_cast<milliseconds>(since_epoch).count() % 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char stamp[32];
    const std::size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);

    const auto level = spdlog::level::to_string_view(msg.level);
    fmt::format_to(std::back_inserter(dest), R"({{"time":"{}.{:03}Z","level":"{}","logger":{})",
                   std::string_view(stamp, n), millis, std::string_view(level.data(), level.size()),
                   boost::json::serialize(
                       boost::json::string_view(msg.logger_name.data(), msg.logger_name.size())));
    fmt::format_to(
        std::back_inserter(dest), R"(,"msg":{}}})",
        boost::json::serialize(boost::json::string_view(msg.payload.data(), msg.payload.size())));
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

Result<LogFormat> parse_log_format(std::string_view text) {
  if (text == "text") return LogFormat::kText;
  if (text == "json") return LogFormat::kJson;
  return failure(Errc::kInvalidArgument,
                 "unknown log format '" + std::string(text) + "' (expected text or json)");
}

Result<spdlog::level::level_enum> parse_log_level(std::string_view text) {
  static constexpr std::pair<std::string_view, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},   {"critical", spdlog::level::critical},
      {"off", spdlog::level::off},
  };
  for (const auto& [name, level] : kLevels) {
    if (text == name) return level;
  }
  return failure(Errc::kInvalidArgument,
                 "unknown log level '" + std::string(text) +
                     "' (expected trace, debug, info, warn, error, critical or off)");
}

std::shared_ptr<spdlog::logger> make_logger(std::string name, LogFormat format,
                                            spdlog::level::level_enum level,
                                            spdlog::sink_ptr sink) {
  if (format == LogFormat::kJson) {
    sink->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(
        "%Y-%m-%dT%H:%M:%S.%eZ %l [%n] %v", spdlog::pattern_time_type::utc));
  }
  auto logger = std::make_shared<spdlog::logger>(std::move(name), std::move(sink));
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  return logger;
}

void setup_logging(LogFormat format, spdlog::level::level_enum level) {
  spdlog::set_default_logger(
      make_logger("vipd", format, level, std::make_shared<spdlog::sinks::stderr_sink_mt>()));
}

std::function<void(std::exception_ptr)> log_failure(std::string what) {
  return [what = std::move(what)](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("{}: {}", what, ex.what());
    } catch (...) {
      spdlog::error("{}: unknown exception", what);
    }
  };
}

}  // namespace vipd
