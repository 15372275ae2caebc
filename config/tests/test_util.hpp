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

}  // namespace vipd::config::testing
