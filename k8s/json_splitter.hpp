#pragma once
// Splits a stream of concatenated JSON objects (a watch body) into complete values, wherever
// the bytes happen to be cut: a value may arrive one byte at a time, or many values in one
// read. Does not rely on newlines (the API writes one event per line today, but does not
// promise it): it tracks nesting, strings and escapes, so a brace or quote inside a string
// never ends a value. It only finds boundaries; parsing each value is the caller's (a bracket
// mismatch such as `{]` is found there).
//
// Between values only JSON whitespace may appear; a top-level value must be an object or an
// array. Pure; not thread-safe (one splitter per stream).

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace vipd::k8s {

class JsonSplitter {
 public:
  using OnValue = std::function<Result<void>(std::string_view value)>;

  explicit JsonSplitter(std::size_t max_value_bytes) : max_value_bytes_(max_value_bytes) {}

  // Feeds the next bytes of the stream; calls `on_value` for each value completed by them, in
  // order. Stops at the first error (bytes that cannot start a value, a value over the size
  // limit, or an error from `on_value`, returned as is); the splitter is then unusable.
  Result<void> feed(std::string_view bytes, const OnValue& on_value);

  // True while a value has started and not ended (a stream that ends now was cut short).
  bool in_value() const { return depth_ > 0; }

 private:
  Result<void> append(std::string_view part);

  std::size_t max_value_bytes_;
  std::string pending_;  // the start of a value that began in an earlier feed()
  std::size_t depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
  bool failed_ = false;
};

}  // namespace vipd::k8s
