// The screen in front of yaml-cpp (yaml_guard.hpp): the inputs that make yaml-cpp 0.7.0's LoadAll
// loop are refused with their position, deep nesting, alias expansion and oversized text are
// refused, and everything else loads as before.
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include "config/load.hpp"
#include "config/tests/test_util.hpp"
#include "config/yaml_guard.hpp"

namespace vipd::config {
namespace {

using testing::errors_of;

constexpr const char* kComma =
    "YAML syntax error: ',' outside a flow collection (commas separate entries only inside [ ] "
    "and { })";

constexpr const char* kKey = "YAML syntax error: '?' (a complex mapping key) outside any mapping";

struct Stall {
  const char* name;
  const char* text;
  Position at;
  const char* message = kComma;
};

class Stalls : public ::testing::TestWithParam<Stall> {};

// Each of these makes YAML::LoadAll allocate until memory runs out (config/fuzz/corpus/yaml/
// holds them as files).
TEST_P(Stalls, TokenThatStartsNoNodeIsRefusedAtItsPosition) {
  const auto& row = GetParam();
  for (const auto format : {InputFormat::kAuto, InputFormat::kConfigMap, InputFormat::kResources,
                            InputFormat::kStandalone}) {
    const auto r = check_text(row.text, "in.yaml", format);
    ASSERT_EQ(r.error_count(), 1u) << errors_of(r);
    EXPECT_EQ(r.diagnostics[0].message, row.message);
    EXPECT_EQ(r.diagnostics[0].position, row.at) << r.diagnostics[0].to_string();
  }
}

const Stall kStalls[] = {
    {"FuzzerFourBytes", ",[?[", {1, 1}},
    {"CommaAlone", ",", {1, 1}},
    {"AfterBlanksAndComments", "  # note\n\n  ,", {3, 3}},
    {"AfterTag", "!x ,", {1, 4}},
    {"AfterAnchor", "&a ,", {1, 4}},
    {"AfterFlowSequence", "[a, b],", {1, 7}},
    {"AfterFlowMapping", "{a: 1} ,", {1, 8}},
    {"AfterQuotedScalar", "'a',", {1, 4}},
    {"AfterBlockSequence", "- 192.0.2.1\n,", {2, 1}},
    {"InSecondDocument", "peers: []\n---\n,", {3, 1}},
    // Found by the random search: a '?' key that yaml-cpp leaves after a block scalar.
    {"KeyAfterTaggedBlockScalar", "!>\n?\n?'@", {2, 1}, kKey},
    {"KeyAfterFlowAndBlockScalar", "[b]>\n?\n :?", {2, 1}, kKey},
};

INSTANTIATE_TEST_SUITE_P(YamlGuard, Stalls, ::testing::ValuesIn(kStalls),
                         [](const auto& row) { return std::string(row.param.name); });

TEST(YamlGuard, ReportsTheFuzzerInputAsOneLine) {
  const auto r = check_text(",[?[", "in.yaml");
  ASSERT_EQ(r.error_count(), 1u);
  EXPECT_EQ(r.diagnostics[0].to_string(), std::string("in.yaml:1:1: ") + kComma);
}

TEST(YamlGuard, ConfigMapBodyIsScreenedAndPositionsPointIntoTheOuterFile) {
  const std::string text = "kind: ConfigMap\ndata:\n  config: |\n    ,\n";
  const auto r = check_text(text, "cm.yaml");
  ASSERT_EQ(r.error_count(), 1u) << errors_of(r);
  EXPECT_EQ(r.diagnostics[0].message, kComma);
  EXPECT_EQ(r.diagnostics[0].path, "data.config");
  EXPECT_EQ(r.diagnostics[0].position, testing::position_of(text, ",\n"));
}

TEST(YamlGuard, NestingIsLimited) {
  const auto nested = [](std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
  };
  EXPECT_FALSE(detail::screen_yaml(nested(detail::kMaxYamlDepth)));
  const auto problem = detail::screen_yaml(nested(detail::kMaxYamlDepth + 1));
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->message, "YAML nesting deeper than 64 levels");
  EXPECT_EQ(problem->mark.column, static_cast<int>(detail::kMaxYamlDepth));
  // Mappings count as much as sequences.
  std::string maps;
  for (std::size_t i = 0; i <= detail::kMaxYamlDepth; ++i) maps += "{a: ";
  maps += "b" + std::string(detail::kMaxYamlDepth + 1, '}');
  EXPECT_TRUE(detail::screen_yaml(maps));
}

TEST(YamlGuard, AliasesMayNotMultiplyTheText) {
  // A few uses of a short list are fine.
  EXPECT_FALSE(detail::screen_yaml("a: &x [1, 2, 3]\nb: *x\nc: *x\n"));
  // Each level doubles the one before: 2^20 nodes from 200 bytes.
  std::string laughs = "l0: &l0 [x, x]\n";
  for (int i = 1; i <= 20; ++i) {
    laughs += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [*l" +
              std::to_string(i - 1) + ", *l" + std::to_string(i - 1) + "]\n";
  }
  const auto problem = detail::screen_yaml(laughs);
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->message.find("aliases repeat more than 10000 nodes"), std::string::npos);
  // One long list used many times: the front ends would read it once per use.
  std::string list = "pools:\n- &addresses [";
  for (int i = 0; i < 200; ++i) list += "198.18.0." + std::to_string(i) + "/32, ";
  list += "198.18.1.0/32]\n";
  for (int i = 0; i < 200; ++i) list += "- *addresses\n";
  const auto r = check_text(list, "in.yaml", InputFormat::kConfigMap);
  ASSERT_EQ(r.error_count(), 1u) << errors_of(r);
  EXPECT_NE(r.diagnostics[0].message.find("aliases repeat more than"), std::string::npos);
}

TEST(YamlGuard, AliasToAnEnclosingNodeIsNotExpanded) {
  EXPECT_FALSE(detail::screen_yaml("&a [*a, *a]"));
}

// The limit is --max-config-size's (64 MiB unless set), not a fixed 4 MiB: a 100,000-service
// file in block style is larger than that and must load. Over the limit, the file is refused
// without being read whole.
TEST(YamlGuard, TheFileLimitIsTheFlagsNotAFixedOne) {
  const auto path =
      ::testing::TempDir() + "vipd-config-big-" + std::to_string(::getpid()) + ".yaml";
  {
    std::ofstream out(path, std::ios::binary);
    out << "peers: []\n# " << std::string(std::size_t{5} << 20, 'x') << "\n";  // 5 MiB
  }
  EXPECT_TRUE(check_file(path).valid()) << errors_of(check_file(path));
  const auto r = check_file(path, InputFormat::kAuto, Purpose::kRun, std::size_t{4} << 20);
  const auto text = read_config_file(path, 1024);
  std::remove(path.c_str());
  ASSERT_EQ(r.error_count(), 1u) << errors_of(r);
  EXPECT_NE(r.diagnostics[0].message.find(
                "the file is larger than 4 MiB (4194304 bytes), the limit for a configuration "
                "file; --max-config-size raises it"),
            std::string::npos)
      << r.diagnostics[0].message;
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code(), make_error_code(Errc::kOutOfRange));
  EXPECT_NE(text.error().message().find("larger than 1 KiB (1024 bytes)"), std::string::npos);
  EXPECT_EQ(read_config_file(path).error().code(), make_error_code(Errc::kNotFound));
}

TEST(YamlGuard, AFileExactlyAtTheLimitIsRead) {
  const auto path =
      ::testing::TempDir() + "vipd-config-edge-" + std::to_string(::getpid()) + ".yaml";
  const std::string body = "peers: []\n#" + std::string(100, 'x') + "\n";
  {
    std::ofstream out(path, std::ios::binary);
    out << body;
  }
  const auto exact = read_config_file(path, body.size());
  const auto under = read_config_file(path, body.size() - 1);
  std::remove(path.c_str());
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact.value(), body);
  EXPECT_FALSE(under);
  EXPECT_EQ(format_size(std::size_t{64} << 20), "64 MiB");
  EXPECT_EQ(format_size(1536 * 1024), "1536 KiB");
  EXPECT_EQ(format_size(1000), "1000 bytes");
}

// Counts documents the way YAML::LoadAll reads them, but gives up after more documents than the
// text has bytes: a document that consumes a token consumes at least one byte, so beyond that
// LoadAll would never stop.
class DocumentCounter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override { ++documents; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
  std::size_t documents = 0;
};

bool load_all_would_loop(const std::string& text) {
  std::istringstream in(text);
  DocumentCounter counter;
  try {
    YAML::Parser parser(in);
    while (counter.documents <= text.size() + 1) {
      if (!parser.HandleNextDocument(counter)) return false;
    }
  } catch (const YAML::Exception&) {
    return false;
  }
  return true;
}

// Short strings over YAML's indicators, letters, blanks and line breaks: every one on which
// LoadAll would loop is refused, and loading every other one ends (the loader runs LoadAll on
// whatever the screen lets through).
TEST(YamlGuard, RefusesEveryInputOnWhichLoadAllLoops) {
  const std::string alphabet = ",[]{}?:-!&*#|>'\"%@ab \n";
  std::mt19937 random(20240613);
  std::uniform_int_distribution<std::size_t> length(1, 10), pick(0, alphabet.size() - 1);
  std::size_t loops = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string text;
    for (auto i = length(random); i > 0; --i) text += alphabet[pick(random)];
    const auto problem = detail::screen_yaml(text);
    if (load_all_would_loop(text)) {
      ++loops;
      ASSERT_TRUE(problem) << "not refused: \"" << text << "\"";
      EXPECT_TRUE(problem->message == kComma || problem->message == kKey)
          << text << ": " << problem->message;
    }
    const auto r = check_text(text, "in.yaml");
    EXPECT_EQ(r.valid(), r.error_count() == 0);
  }
  // About one input in twenty loops; far fewer would mean the oracle is broken.
  EXPECT_GT(loops, 200u);
}

TEST(YamlGuard, SingleDocumentLoaderScreensOnlyWhatItReads) {
  // YAML::Load reads the first document; a later one is not its business...
  EXPECT_FALSE(detail::screen_yaml("a: 1\n---\n[", 1));
  EXPECT_TRUE(detail::load_yaml_document("a: 1\n---\n[").node.IsMap());
  // ...but a first document that consumes nothing is refused, as LoadAll's would be.
  const auto stalled = detail::load_yaml_document(",");
  ASSERT_TRUE(stalled.problem);
  EXPECT_EQ(stalled.problem->message, kComma);
}

TEST(YamlGuard, SyntaxErrorsKeepYamlCppsMessageAndMark) {
  const auto loaded = detail::parse_yaml("a: [b\n");
  ASSERT_TRUE(loaded.problem);
  EXPECT_EQ(loaded.problem->message, "YAML syntax error: end of sequence flow not found");
  EXPECT_TRUE(loaded.documents.empty());
}

}  // namespace
}  // namespace vipd::config
