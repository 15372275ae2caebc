#pragma once
// Helpers shared by the config tests.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "config/load.hpp"

namespace vipd::config::testing {

// The 1-based line and column of the character at `index`.
inline Position position_at(std::string_view text, std::size_t index) {
  Position p{1, 1};
  for (std::size_t i = 0; i < index && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

// Where the first (or last) occurrence of `needle`, the offending token, starts.
inline Position position_of(std::string_view text, std::string_view needle) {
  const auto at = text.find(needle);
  EXPECT_NE(at, std::string_view::npos) << "test bug: " << needle << " not in the text";
  return position_at(text, at);
}
inline Position last_position_of(std::string_view text, std::string_view needle) {
  const auto at = text.rfind(needle);
  EXPECT_NE(at, std::string_view::npos) << "test bug: " << needle << " not in the text";
  return position_at(text, at);
}

inline std::string errors_of(const CheckResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics) out += d.to_string() + "\n";
  return out;
}

// Expects a diagnostic of `severity` at `path` whose message holds `message`, at `at`.
inline void expect_diagnostic(const CheckResult& r, Severity severity, std::string_view path,
                              std::string_view message, Position at) {
  bool found = false;
  for (const auto& d : r.diagnostics) {
    if (d.severity != severity || d.path != path) continue;
    if (d.message.find(message) == std::string::npos) continue;
    found = true;
    EXPECT_EQ(d.position, at) << d.to_string();
  }
  EXPECT_TRUE(found) << "want " << to_string(severity) << " " << path << ": ..." << message
                     << "...\ngot:\n"
                     << errors_of(r);
}

// One diagnostic a text must produce: where (the last occurrence of `token`), at which path, and
// a part of its message.
struct Expected {
  const char* name;
  InputFormat format;
  const char* text;
  Severity severity;
  const char* token;
  const char* path;
  const char* message;
  Purpose purpose = Purpose::kRun;
};

// Checks one row: errors make the file invalid, warnings alone do not.
inline void expect_row(const Expected& row) {
  const auto r = check_text(row.text, "in.yaml", row.format, row.purpose);
  if (row.severity != Severity::kNote) {
    EXPECT_EQ(r.valid(), row.severity == Severity::kWarning) << errors_of(r);
  }
  expect_diagnostic(r, row.severity, row.path, row.message, last_position_of(row.text, row.token));
}

inline std::string row_name(const ::testing::TestParamInfo<Expected>& info) {
  return info.param.name;
}

}  // namespace vipd::config::testing
