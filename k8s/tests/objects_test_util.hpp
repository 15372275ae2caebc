#pragma once
// Helpers shared by the typed-view tests: reading the fixtures in tests/data/, editing a JSON
// value in place by JSON pointer, and the message of a failed decode.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace vipd::k8s::testing {

inline std::string read_data(const std::string& name) {
  const std::string path = std::string(VIPD_K8S_OBJECTS_TEST_DATA) + "/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline boost::json::value parse(std::string_view text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  EXPECT_FALSE(ec) << ec.message() << ": " << text;
  return v;
}

inline boost::json::value load(const std::string& name) { return parse(read_data(name)); }

// One JSON value per line (.jsonl).
inline std::vector<boost::json::value> load_lines(const std::string& name) {
  std::vector<boost::json::value> out;
  std::istringstream in(read_data(name));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(parse(line));
  }
  return out;
}

// The value at a JSON pointer ("/spec/ports/0/port"), which must exist.
inline boost::json::value& at(boost::json::value& v, std::string_view pointer) {
  return v.at_pointer(pointer);
}

// The member `key` of the object at `pointer`, created or replaced.
inline void set(boost::json::value& v, std::string_view pointer, std::string_view key,
                boost::json::value value) {
  v.at_pointer(pointer).as_object()[key] = std::move(value);
}

template <class T>
std::string error_of(const Result<T>& r) {
  return r ? std::string("(decoded without error)") : r.error().message();
}

}  // namespace vipd::k8s::testing
