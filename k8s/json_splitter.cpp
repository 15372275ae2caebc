#include "k8s/json_splitter.hpp"

#include <fmt/format.h>

namespace vipd::k8s {
namespace {

// RFC 8259 §2: insignificant whitespace is space, tab, line feed and carriage return.
bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

Result<void> JsonSplitter::append(std::string_view part) {
  if (pending_.size() + part.size() > max_value_bytes_) {
    failed_ = true;
    return failure(Errc::kExhausted, "a JSON value in the stream is larger than " +
                                         std::to_string(max_value_bytes_) + " bytes");
  }
  pending_.append(part);
  return success();
}

Result<void> JsonSplitter::feed(std::string_view bytes, const OnValue& on_value) {
  if (failed_) return failure(Errc::kProtocolError, "the JSON stream failed earlier");
  std::size_t start = 0;  // where the current value begins in `bytes`
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (depth_ == 0) {
      if (is_json_space(c)) continue;
      if (c != '{' && c != '[') {
        failed_ = true;
        return failure(Errc::kProtocolError,
                       fmt::format("the stream holds a byte that starts no JSON object: 0x{:02x}",
                                   static_cast<unsigned char>(c)));
      }
      start = i;
      depth_ = 1;
      continue;
    }
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if (c == '}' || c == ']') {
      if (--depth_ > 0) continue;
      const auto value = bytes.substr(start, i + 1 - start);
      Result<void> delivered = success();
      if (pending_.empty()) {
        if (value.size() > max_value_bytes_) {
          VIPD_TRY(append(value));  // fails with the size message
        }
        delivered = on_value(value);  // the whole value is in this read: no copy
      } else {
        VIPD_TRY(append(value));
        delivered = on_value(pending_);
        pending_.clear();
      }
      if (!delivered) {
        failed_ = true;
        return delivered;
      }
    }
  }
  if (depth_ > 0) {
    VIPD_TRY(append(bytes.substr(start)));
  }
  return success();
}

}  // namespace vipd::k8s
