#include "common/logging.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <boost/json/parse.hpp>
#include <sstream>

namespace vipd {
namespace {

TEST(Logging, ParsesFormatsAndLevels) {
  EXPECT_EQ(parse_log_format("text").value(), LogFormat::kText);
  EXPECT_EQ(parse_log_format("json").value(), LogFormat::kJson);
  auto bad = parse_log_format("xml");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "unknown log format 'xml' (expected text or json)");

  EXPECT_EQ(parse_log_level("debug").value(), spdlog::level::debug);
  EXPECT_EQ(parse_log_level("error").value(), spdlog::level::err);
  EXPECT_EQ(parse_log_level("off").value(), spdlog::level::off);
  auto bad_level = parse_log_level("verbose");
  ASSERT_FALSE(bad_level);
  EXPECT_NE(bad_level.error().message().find("unknown log level 'verbose'"), std::string::npos);
}

TEST(Logging, JsonFormatWritesOneValidObjectPerLine) {
  std::ostringstream out;
  auto logger = make_logger("vipd", LogFormat::kJson, spdlog::level::info,
                            std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  logger->info("peer {} said \"hello\"\nand\tleft", "192.0.2.1");
  logger->debug("filtered out by level");
  logger->warn("second");

  std::istringstream lines(out.str());
  std::string line;
  std::vector<boost::json::object> records;
  while (std::getline(lines, line)) records.push_back(boost::json::parse(line).as_object());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].at("level").as_string(), "info");
  EXPECT_EQ(records[0].at("logger").as_string(), "vipd");
  EXPECT_EQ(records[0].at("msg").as_string(), "peer 192.0.2.1 said \"hello\"\nand\tleft");
  const std::string time(records[0].at("time").as_string());
  EXPECT_EQ(time.size(), 24u) << time;  // 2026-11-26T14:00:00.123Z
  EXPECT_EQ(time.back(), 'Z');
  EXPECT_EQ(records[1].at("level").as_string(), "warning");
}

TEST(Logging, TextFormatIsOneReadableLine) {
  std::ostringstream out;
  auto logger = make_logger("vipd", LogFormat::kText, spdlog::level::debug,
                            std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  logger->debug("session {} up", "192.0.2.1");
  const std::string text = out.str();
  EXPECT_NE(text.find("Z debug [vipd] session 192.0.2.1 up\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace vipd
