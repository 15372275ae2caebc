// JsonSplitter: value boundaries wherever the stream is cut (one byte at a time, every cut
// point), strings with braces and escapes, and refusals.
#include "k8s/json_splitter.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vipd::k8s {
namespace {

// Three events as the API writes them, but without the newlines it usually puts between them,
// with braces, brackets, quotes and backslashes inside strings.
const std::string kEvents[] = {
    R"({"type":"ADDED","object":{"metadata":{"name":"a{b}","annotations":{"x":"[\"}\\"}}}})",
    R"({"type":"MODIFIED","object":{"data":{"k":"\\\\\"{"},"list":[1,[2,{"3":[]}]]}})",
    R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"12746"},"s":"\u007d"}})",
};

std::vector<std::string> split(JsonSplitter& splitter, const std::vector<std::string>& pieces) {
  std::vector<std::string> values;
  for (const auto& piece : pieces) {
    auto fed = splitter.feed(piece, [&](std::string_view v) -> Result<void> {
      values.emplace_back(v);
      return success();
    });
    EXPECT_TRUE(fed) << fed.error().message();
  }
  return values;
}

std::string all_events(std::string_view separator) {
  std::string text;
  for (const auto& e : kEvents) text += e + std::string(separator);
  return text;
}

TEST(JsonSplitter, SplitsValuesWithoutNewlines) {
  JsonSplitter splitter(1 << 20);
  const auto values = split(splitter, {all_events("")});
  ASSERT_EQ(values.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(values[i], kEvents[i]);
  EXPECT_FALSE(splitter.in_value());
}

TEST(JsonSplitter, OneByteAtATime) {
  const auto text = all_events("\r\n \t");
  JsonSplitter splitter(1 << 20);
  std::vector<std::string> pieces;
  for (const char c : text) pieces.emplace_back(1, c);
  const auto values = split(splitter, pieces);
  ASSERT_EQ(values.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(values[i], kEvents[i]);
}

TEST(JsonSplitter, EveryCutPointGivesTheSameValues) {
  const auto text = all_events("\n");
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    JsonSplitter splitter(1 << 20);
    const auto values = split(splitter, {text.substr(0, cut), text.substr(cut)});
    ASSERT_EQ(values.size(), 3u) << "cut at " << cut;
    for (int i = 0; i < 3; ++i) EXPECT_EQ(values[i], kEvents[i]) << "cut at " << cut;
  }
}

TEST(JsonSplitter, ACutValueIsPending) {
  JsonSplitter splitter(1 << 20);
  EXPECT_TRUE(split(splitter, {"  \n"}).empty());
  EXPECT_FALSE(splitter.in_value());
  EXPECT_TRUE(split(splitter, {kEvents[0].substr(0, 10)}).empty());
  EXPECT_TRUE(splitter.in_value());
}

TEST(JsonSplitter, RefusesBytesThatStartNoObject) {
  for (const std::string text : {"x{}", "{} 1", "{}\"s\"", "{},{}"}) {
    JsonSplitter splitter(1 << 20);
    auto fed = splitter.feed(text, [](std::string_view) -> Result<void> { return success(); });
    ASSERT_FALSE(fed) << text;
    EXPECT_EQ(fed.error().code(), make_error_code(Errc::kProtocolError)) << text;
    EXPECT_NE(fed.error().message().find("starts no JSON object"), std::string::npos);
  }
}

TEST(JsonSplitter, RefusesAValueOverTheLimitInOneReadOrMany) {
  const std::string big = R"({"k":")" + std::string(100, 'x') + R"("})";
  {
    JsonSplitter splitter(big.size() - 1);
    auto fed = splitter.feed(big, [](std::string_view) -> Result<void> { return success(); });
    ASSERT_FALSE(fed);
    EXPECT_EQ(fed.error().code(), make_error_code(Errc::kExhausted));
  }
  {
    JsonSplitter splitter(big.size() - 1);
    const auto ok = [](std::string_view) -> Result<void> { return success(); };
    EXPECT_TRUE(splitter.feed(big.substr(0, 50), ok));
    auto fed = splitter.feed(big.substr(50), ok);
    ASSERT_FALSE(fed);
    EXPECT_EQ(fed.error().code(), make_error_code(Errc::kExhausted));
  }
  {
    JsonSplitter splitter(big.size());  // exactly at the limit: fine, in one read or two
    int seen = 0;
    const auto count = [&](std::string_view) -> Result<void> {
      ++seen;
      return success();
    };
    EXPECT_TRUE(splitter.feed(big.substr(0, 50), count));
    EXPECT_TRUE(splitter.feed(big.substr(50) + big, count));
    EXPECT_EQ(seen, 2);
  }
}

TEST(JsonSplitter, AnErrorFromTheCallbackStopsTheStream) {
  JsonSplitter splitter(1 << 20);
  int seen = 0;
  auto fed = splitter.feed(all_events(""), [&](std::string_view) -> Result<void> {
    if (++seen == 2) return failure(Errc::kConflict, "stop here");
    return success();
  });
  ASSERT_FALSE(fed);
  EXPECT_EQ(fed.error().message(), "stop here");
  EXPECT_EQ(seen, 2);
  EXPECT_FALSE(splitter.feed("{}", [](std::string_view) -> Result<void> { return success(); }));
}

}  // namespace
}  // namespace vipd::k8s
