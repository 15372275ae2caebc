#include "admin/metrics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace vipd::admin {
namespace {

TEST(Metrics, SmallExpositionHasTheExactText) {
  Exposition e;
  e.gauge("vipd_bgp_session_up", "BGP session is up (1) or down (0)")
      .sample({{"peer", "192.0.2.1"}}, 1)
      .sample({{"peer", "192.0.2.2"}}, 0);
  e.counter("vipd_bgp_updates_total", "UPDATE messages sent").sample({{"peer", "192.0.2.1"}}, 42);
  e.gauge("vipd_config_stale_bool", "Configuration is stale").sample({}, false);
  EXPECT_EQ(e.text(),
            "# HELP vipd_bgp_session_up BGP session is up (1) or down (0)\n"
            "# TYPE vipd_bgp_session_up gauge\n"
            "vipd_bgp_session_up{peer=\"192.0.2.1\"} 1\n"
            "vipd_bgp_session_up{peer=\"192.0.2.2\"} 0\n"
            "# HELP vipd_bgp_updates_total UPDATE messages sent\n"
            "# TYPE vipd_bgp_updates_total counter\n"
            "vipd_bgp_updates_total{peer=\"192.0.2.1\"} 42\n"
            "# HELP vipd_config_stale_bool Configuration is stale\n"
            "# TYPE vipd_config_stale_bool gauge\n"
            "vipd_config_stale_bool 0\n");
}

TEST(Metrics, EmptyExpositionIsEmptyAndAFamilyWithoutSamplesKeepsItsHeader) {
  EXPECT_EQ(Exposition{}.text(), "");
  Exposition e;
  e.gauge("vipd_bgp_session_up", "Up");
  EXPECT_EQ(e.text(), "# HELP vipd_bgp_session_up Up\n# TYPE vipd_bgp_session_up gauge\n");
}

TEST(Metrics, LabelValuesAndHelpAreEscaped) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)"
                               "\nd"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(escape_help("back\\slash \"quoted\"\nnext"), R"(back\\slash "quoted"\nnext)");

  Exposition e;
  e.gauge("m", "line one\nline \\two").sample({{"v", "say \"hi\"\\\n"}}, 1);
  EXPECT_EQ(e.text(),
            "# HELP m line one\\nline \\\\two\n"
            "# TYPE m gauge\n"
            "m{v=\"say \\\"hi\\\"\\\\\\n\"} 1\n");
}

TEST(Metrics, FamiliesAndSamplesComeInAStableOrder) {
  // Registration and insertion order must not matter: two scrapes of the same state are equal.
  Exposition a;
  a.gauge("zeta", "z")
      .sample({{"pool", "b"}, {"family", "ipv6"}}, 2)
      .sample({{"family", "ipv4"}, {"pool", "b"}}, 1);
  a.gauge("alpha", "a").sample({{"peer", "router2"}}, 1).sample({{"peer", "router10"}}, 2);

  Exposition b;
  b.gauge("alpha", "a").sample({{"peer", "router10"}}, 2).sample({{"peer", "router2"}}, 1);
  b.gauge("zeta", "z")
      .sample({{"pool", "b"}, {"family", "ipv4"}}, 1)
      .sample({{"family", "ipv6"}, {"pool", "b"}}, 2);

  EXPECT_EQ(a.text(), b.text());
  EXPECT_EQ(a.text(),
            "# HELP alpha a\n# TYPE alpha gauge\n"
            "alpha{peer=\"router10\"} 2\n"
            "alpha{peer=\"router2\"} 1\n"
            "# HELP zeta z\n# TYPE zeta gauge\n"
            "zeta{family=\"ipv4\",pool=\"b\"} 1\n"
            "zeta{family=\"ipv6\",pool=\"b\"} 2\n");
}

TEST(Metrics, IntegersArePrintedInFullWithoutExponent) {
  Exposition e;
  e.gauge("m", "h")
      .sample({{"k", "a"}}, std::numeric_limits<std::int64_t>::min())
      .sample({{"k", "b"}}, std::numeric_limits<std::uint64_t>::max())
      .sample({{"k", "c"}}, kU128Max)
      .sample({{"k", "d"}}, u128{1} << 64)
      .sample({{"k", "e"}}, true)
      .sample({{"k", "f"}}, 1000000);
  EXPECT_EQ(e.text(),
            "# HELP m h\n# TYPE m gauge\n"
            "m{k=\"a\"} -9223372036854775808\n"
            "m{k=\"b\"} 18446744073709551615\n"
            "m{k=\"c\"} 340282366920938463463374607431768211455\n"
            "m{k=\"d\"} 18446744073709551616\n"
            "m{k=\"e\"} 1\n"
            "m{k=\"f\"} 1000000\n");
}

TEST(Metrics, DoublesAreFormattedLikeGo) {
  // Expected strings are what Go's strconv.FormatFloat(v, 'g', -1, 64) prints, which is what
  // Prometheus' own client library writes.
  struct Case {
    double value;
    const char* text;
  };
  const Case cases[] = {
      {0.0, "0"},
      {-0.0, "0"},
      {1.0, "1"},
      {-1.0, "-1"},
      {1.5, "1.5"},
      {0.1, "0.1"},
      {0.1 + 0.2, "0.30000000000000004"},
      {1.0 / 3, "0.3333333333333333"},
      {100.0, "100"},
      {123456.0, "123456"},
      {999999.0, "999999"},
      {999999.5, "999999.5"},
      {1e6, "1e+06"},
      {1234567.0, "1.234567e+06"},
      {12345678.9, "1.23456789e+07"},
      {0.0001, "0.0001"},
      {0.00012345, "0.00012345"},
      {0.00001, "1e-05"},
      {1.5e-5, "1.5e-05"},
      {1e21, "1e+21"},
      {1e100, "1e+100"},
      {-2.5e-300, "-2.5e-300"},
      {5e-324, "5e-324"},
      {std::numeric_limits<double>::max(), "1.7976931348623157e+308"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
      {std::numeric_limits<double>::quiet_NaN(), "NaN"},
  };
  for (const auto& c : cases) EXPECT_EQ(format_metric_value(c.value), c.text) << c.text;

  Exposition e;
  e.gauge("m", "h").sample({}, 0.25);
  EXPECT_EQ(e.text(), "# HELP m h\n# TYPE m gauge\nm 0.25\n");
}

TEST(Metrics, EveryFiniteDoubleReadsBackExactly) {
  std::mt19937_64 random(7473);
  for (int i = 0; i < 20000; ++i) {
    const double value = std::bit_cast<double>(random());
    if (!std::isfinite(value)) continue;
    const auto text = format_metric_value(value);
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), value == 0 ? 0.0 : value) << text;
    EXPECT_EQ(text.find_first_not_of("0123456789.e+-"), std::string::npos) << text;
  }
}

TEST(Metrics, NamesAreChecked) {
  EXPECT_TRUE(is_valid_metric_name("vipd_bgp_session_up"));
  EXPECT_TRUE(is_valid_metric_name("job:rate5m"));
  EXPECT_TRUE(is_valid_metric_name("_x"));
  EXPECT_FALSE(is_valid_metric_name(""));
  EXPECT_FALSE(is_valid_metric_name("1abc"));
  EXPECT_FALSE(is_valid_metric_name("vipd-bgp"));
  EXPECT_FALSE(is_valid_metric_name("vipd bgp"));
  EXPECT_TRUE(is_valid_label_name("peer"));
  EXPECT_TRUE(is_valid_label_name("_peer2"));
  EXPECT_FALSE(is_valid_label_name("__name__"));
  EXPECT_FALSE(is_valid_label_name("job:x"));
  EXPECT_FALSE(is_valid_label_name("2peer"));
  EXPECT_FALSE(is_valid_label_name(""));
}

TEST(Metrics, RegisteringAFamilyAgainReturnsIt) {
  Exposition e;
  e.gauge("m", "h").sample({{"a", "1"}}, 1);
  e.gauge("m", "h").sample({{"a", "2"}}, 2);
  EXPECT_EQ(e.gauge("m", "h").size(), 2u);
}

TEST(MetricsDeathTest, ProgrammingErrorsStopTheProcess) {
  EXPECT_DEATH(
      {
        Exposition e;
        e.gauge("m", "h");
        e.counter("m", "h");
      },
      "different type or help");
  EXPECT_DEATH(
      {
        Exposition e;
        e.gauge("m", "h");
        e.gauge("m", "other help");
      },
      "different type or help");
  EXPECT_DEATH(Exposition{}.gauge("m", "h").sample({{"a", "1"}}, 1).sample({{"a", "1"}}, 2),
               "same labels");
  EXPECT_DEATH(Exposition{}.gauge("m", "h").sample({{"a", "1"}, {"a", "2"}}, 1),
               "label named twice");
  EXPECT_DEATH(Exposition{}.gauge("m-m", "h"), "invalid metric name");
  EXPECT_DEATH(Exposition{}.gauge("m", "h").sample({{"__a", "1"}}, 1), "invalid label name");
}

TEST(Metrics, CatalogueUsesTheDesignNames) {
  const std::set<std::string_view> expected = {"vipd_bgp_session_up",
                                               "vipd_bgp_updates_total",
                                               "vipd_bgp_announced_prefixes_total",
                                               "vipd_allocator_addresses_total",
                                               "vipd_allocator_addresses_in_use_total",
                                               "vipd_health_check_passing",
                                               "vipd_config_stale_bool",
                                               "vipd_layer2_gratuitous_sent",
                                               "vipd_layer2_owned_bool",
                                               "process_resident_memory_bytes"};
  const MetricInfo all[] = {metric::kBgpSessionUp,
                            metric::kBgpUpdatesTotal,
                            metric::kBgpAnnouncedPrefixes,
                            metric::kAllocatorAddressesTotal,
                            metric::kAllocatorAddressesInUse,
                            metric::kHealthCheckPassing,
                            metric::kConfigStale,
                            metric::kLayer2GratuitousSent,
                            metric::kLayer2Owned,
                            metric::kProcessResidentMemory};
  std::set<std::string_view> names;
  Exposition e;
  for (const auto& info : all) {
    EXPECT_TRUE(is_valid_metric_name(info.name)) << info.name;
    names.insert(info.name);
    e.add(info);
  }
  EXPECT_EQ(names, expected);
  EXPECT_EQ(metric::kBgpUpdatesTotal.type, MetricType::kCounter);
  EXPECT_NE(e.text().find("# TYPE vipd_bgp_updates_total counter\n"), std::string::npos);
  EXPECT_NE(e.text().find("# TYPE vipd_bgp_session_up gauge\n"), std::string::npos);
}

// --- A reader of the text format, independent of the writer -------------------------------
//
// Grammar (Prometheus exposition formats, text format 0.0.4):
//   line     = help | type | sample
//   help     = "# HELP " name " " escaped-help        (\\ and \n are the only escapes)
//   type     = "# TYPE " name " " ("counter" | "gauge")
//   sample   = name [ "{" label *( "," label ) "}" ] " " value
//   label    = label-name "=" '"' escaped-value '"'     (\\, \" and \n)
//   value    = Go float: [-+]digits[.digits][e[-+]digits] | "+Inf" | "-Inf" | "NaN"

struct ParsedSample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

bool is_name_char(char c, bool first, bool colon) {
  const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return letter || (!first && c >= '0' && c <= '9') || (colon && c == ':');
}

std::optional<std::string> read_name(std::string_view& s, bool colon) {
  std::size_t n = 0;
  while (n < s.size() && is_name_char(s[n], n == 0, colon)) ++n;
  if (n == 0) return std::nullopt;
  std::string name(s.substr(0, n));
  s.remove_prefix(n);
  return name;
}

std::optional<std::string> unescape(std::string_view s, bool quotes) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n') return std::nullopt;
    if (quotes && s[i] == '"') return std::nullopt;
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i == s.size()) return std::nullopt;
    if (s[i] == '\\') {
      out += '\\';
    } else if (s[i] == 'n') {
      out += '\n';
    } else if (quotes && s[i] == '"') {
      out += '"';
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::optional<double> read_value(std::string_view s) {
  if (s == "+Inf") return std::numeric_limits<double>::infinity();
  if (s == "-Inf") return -std::numeric_limits<double>::infinity();
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  if (!digits()) return std::nullopt;
  if (i < s.size() && s[i] == '.' && (++i, !digits())) return std::nullopt;
  if (i < s.size() && s[i] == 'e') {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (!digits()) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  return std::strtod(std::string(s).c_str(), nullptr);
}

std::optional<ParsedSample> read_sample(std::string_view s) {
  ParsedSample out;
  auto name = read_name(s, true);
  if (!name) return std::nullopt;
  out.name = *name;
  if (!s.empty() && s[0] == '{') {
    s.remove_prefix(1);
    while (true) {
      auto label = read_name(s, false);
      if (!label || s.substr(0, 2) != "=\"") return std::nullopt;
      s.remove_prefix(2);
      std::size_t end = 0;
      while (end < s.size() && s[end] != '"') end += s[end] == '\\' ? 2 : 1;
      if (end >= s.size()) return std::nullopt;
      auto value = unescape(s.substr(0, end), true);
      if (!value) return std::nullopt;
      out.labels.emplace_back(*label, *value);
      s.remove_prefix(end + 1);
      if (!s.empty() && s[0] == ',') {
        s.remove_prefix(1);
        continue;
      }
      if (s.empty() || s[0] != '}') return std::nullopt;
      s.remove_prefix(1);
      break;
    }
  }
  if (s.empty() || s[0] != ' ') return std::nullopt;
  auto value = read_value(s.substr(1));
  if (!value) return std::nullopt;
  out.value = *value;
  return out;
}

struct ParsedFamily {
  std::string help;
  std::string type;
  std::vector<ParsedSample> samples;
};

// Reads a whole exposition; fails the test on the first line outside the grammar or out of
// place (HELP, then TYPE, then the family's samples; each family once).
std::vector<std::pair<std::string, ParsedFamily>> read_exposition(const std::string& text) {
  std::vector<std::pair<std::string, ParsedFamily>> families;
  EXPECT_TRUE(text.empty() || text.back() == '\n');
  std::set<std::string> seen;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    if (line.starts_with("# HELP ")) {
      line.remove_prefix(7);
      auto name = read_name(line, true);
      EXPECT_TRUE(name && !line.empty() && line[0] == ' ') << line;
      if (!name || line.empty()) return families;
      auto help = unescape(line.substr(1), false);
      EXPECT_TRUE(help.has_value()) << line;
      EXPECT_TRUE(seen.insert(*name).second) << "family twice: " << *name;
      families.emplace_back(*name, ParsedFamily{help.value_or(""), "", {}});
    } else if (line.starts_with("# TYPE ")) {
      line.remove_prefix(7);
      auto name = read_name(line, true);
      EXPECT_TRUE(!families.empty() && name && *name == families.back().first) << line;
      EXPECT_TRUE(line == " gauge" || line == " counter") << line;
      if (families.empty()) return families;
      EXPECT_EQ(families.back().second.type, "") << "TYPE twice";
      families.back().second.type = std::string(line.substr(1));
    } else {
      auto sample = read_sample(line);
      EXPECT_TRUE(sample.has_value()) << "not a sample line: " << line;
      if (!sample || families.empty()) return families;
      EXPECT_EQ(sample->name, families.back().first) << "sample outside its family: " << line;
      EXPECT_NE(families.back().second.type, "") << "sample before TYPE: " << line;
      families.back().second.samples.push_back(*sample);
    }
  }
  return families;
}

TEST(Metrics, ExpositionMatchesTheGrammarAndReadsBackToTheInput) {
  // Awkward label values: every escape, the characters of the sample syntax, UTF-8, empty.
  const std::vector<std::string> values = {"",
                                           "plain",
                                           "a\"b",
                                           "a\\b",
                                           "a\nb",
                                           "\\n",
                                           "\\\"",
                                           "{x=\"1\"}",
                                           "a,b",
                                           "a=b",
                                           " lead",
                                           "trail ",
                                           "\xc3\xa9t\xc3\xa9",
                                           "default/web",
                                           "203.0.113.10/32",
                                           "2001:db8::1",
                                           "end\\"};
  std::mt19937_64 random(179);
  Exposition e;
  std::map<std::string, std::map<std::string, double>> expected;  // family → value → sample
  for (const auto& name : {"vipd_b", "vipd_a:rate", "vipd_c_total"}) {
    auto& family = std::string_view(name).ends_with("_total")
                       ? e.counter(name, "help with \\ and\nnewline")
                       : e.gauge(name, "plain help");
    for (std::size_t i = 0; i < values.size(); ++i) {
      const double value = static_cast<double>(static_cast<std::int64_t>(random() % 2000) - 1000) /
                           static_cast<double>(1 + random() % 7);
      family.sample({{"value", values[i]}, {"index", std::to_string(i)}}, value);
      expected[name][values[i]] = value;
    }
  }
  e.gauge("vipd_special", "special")
      .sample({{"v", "inf"}}, std::numeric_limits<double>::infinity())
      .sample({{"v", "nan"}}, std::numeric_limits<double>::quiet_NaN())
      .sample({{"v", "neg"}}, -std::numeric_limits<double>::infinity())
      .sample({}, 1e-7);

  const auto families = read_exposition(e.text());
  ASSERT_EQ(families.size(), 4u);
  std::vector<std::string> order;
  for (const auto& [name, family] : families) order.push_back(name);
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));

  for (const auto& [name, family] : families) {
    if (name == "vipd_special") {
      ASSERT_EQ(family.samples.size(), 4u);
      EXPECT_TRUE(family.samples[0].labels.empty());
      EXPECT_EQ(family.samples[0].value, 1e-7);
      EXPECT_TRUE(std::isinf(family.samples[1].value) && family.samples[1].value > 0);
      EXPECT_TRUE(std::isnan(family.samples[2].value));
      EXPECT_TRUE(std::isinf(family.samples[3].value) && family.samples[3].value < 0);
      continue;
    }
    EXPECT_EQ(family.help, name == "vipd_c_total" ? "help with \\ and\nnewline" : "plain help");
    EXPECT_EQ(family.type, name == "vipd_c_total" ? "counter" : "gauge");
    ASSERT_EQ(family.samples.size(), values.size()) << name;
    std::map<std::string, double> got;
    for (const auto& sample : family.samples) {
      ASSERT_EQ(sample.labels.size(), 2u);
      EXPECT_EQ(sample.labels[0].first, "index");  // label names sorted
      EXPECT_EQ(sample.labels[1].first, "value");
      got[sample.labels[1].second] = sample.value;
    }
    EXPECT_EQ(got, expected[name]) << name;
  }
}

TEST(Metrics, TheLineReaderRejectsWhatTheGrammarForbids) {
  // The reader above must be able to fail, or the round-trip test proves nothing.
  EXPECT_FALSE(read_sample("m{a=\"x} 1"));
  EXPECT_FALSE(read_sample("m{a=\"x\\q\"} 1"));
  EXPECT_FALSE(read_sample("m{a=\"x\",} 1"));
  EXPECT_FALSE(read_sample("m{2a=\"x\"} 1"));
  EXPECT_FALSE(read_sample("m 1e"));
  EXPECT_FALSE(read_sample("m 1."));
  EXPECT_FALSE(read_sample("m Inf"));
  EXPECT_FALSE(read_sample("m 1 "));
  EXPECT_FALSE(read_sample("m  1"));
  EXPECT_FALSE(read_sample("1m 1"));
  EXPECT_TRUE(read_sample("m{a=\"x\",b=\"\\\"\"} -1.5e-05"));
  EXPECT_TRUE(read_sample("m +Inf"));
}

}  // namespace
}  // namespace vipd::admin
