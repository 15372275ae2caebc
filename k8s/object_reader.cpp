#include "k8s/object_reader.hpp"

#include <algorithm>

namespace vipd::k8s::detail {
namespace json = boost::json;

void Path::append_to(std::string& out) const {
  if (parent_ == nullptr) return;
  parent_->append_to(out);
  if (index_plus_one_ != 0) {
    out += '[';
    out += std::to_string(index_plus_one_ - 1);
    out += ']';
    return;
  }
  if (!out.empty()) out += '.';
  // Keys come from the input too: one with control bytes is shown quoted and escaped.
  const bool plain = std::none_of(key_.begin(), key_.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  out += plain ? std::string(key_) : quote(key_);
}

std::string Path::to_string() const {
  std::string out;
  append_to(out);
  return out.empty() ? "object" : out;
}

namespace {

std::string_view describe(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
      return "an integer";
    case json::kind::double_:
      return "a number with a fraction or exponent";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "a value";
}

}  // namespace

std::string quote(std::string_view text) {
  constexpr std::size_t kMax = 64;
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMax) out += "...";
  return out + "\"";
}

Error path_error(const Path& path, std::string_view message) {
  return Error(Errc::kInvalidArgument, path.to_string() + ": " + std::string(message));
}

Error type_error(const Path& path, std::string_view expected, const json::value& got) {
  return path_error(path,
                    "expected " + std::string(expected) + ", got " + std::string(describe(got)));
}

const json::value* member(const json::object& object, std::string_view name) {
  const auto* v = object.if_contains(name);
  return v == nullptr || v->is_null() ? nullptr : v;
}

const json::value* member(const json::object* object, std::string_view name) {
  return object == nullptr ? nullptr : member(*object, name);
}

Result<const json::object*> read_object(const json::value* v, const Path& path) {
  if (v == nullptr || v->is_null()) return static_cast<const json::object*>(nullptr);
  if (const auto* o = v->if_object()) return o;
  return failure(type_error(path, "an object", *v));
}

Result<const json::array*> read_array(const json::value* v, const Path& path) {
  if (v == nullptr || v->is_null()) return static_cast<const json::array*>(nullptr);
  if (const auto* a = v->if_array()) return a;
  return failure(type_error(path, "an array", *v));
}

Result<std::optional<std::string_view>> read_string(const json::value* v, const Path& path) {
  if (v == nullptr || v->is_null()) return std::optional<std::string_view>{};
  if (const auto* s = v->if_string()) return std::optional<std::string_view>{*s};
  return failure(type_error(path, "a string", *v));
}

Result<std::string> read_string_or_empty(const json::value* v, const Path& path) {
  VIPD_TRY(auto s, read_string(v, path));
  return s ? std::string(*s) : std::string();
}

Result<std::optional<bool>> read_bool(const json::value* v, const Path& path) {
  if (v == nullptr || v->is_null()) return std::optional<bool>{};
  if (const auto* b = v->if_bool()) return std::optional<bool>{*b};
  return failure(type_error(path, "a boolean", *v));
}

Result<std::optional<std::int64_t>> read_int(const json::value* v, const Path& path,
                                             std::int64_t min, std::int64_t max) {
  if (v == nullptr || v->is_null()) return std::optional<std::int64_t>{};
  std::int64_t n = 0;
  if (const auto* i = v->if_int64()) {
    n = *i;
  } else if (const auto* u = v->if_uint64()) {
    // Only values above INT64_MAX are stored as uint64, and no field allows those.
    return failure(path_error(path, std::to_string(*u) + " is out of range " + std::to_string(min) +
                                        ".." + std::to_string(max)));
  } else {
    return failure(type_error(path, "an integer", *v));
  }
  if (n < min || n > max) {
    return failure(path_error(path, std::to_string(n) + " is out of range " + std::to_string(min) +
                                        ".." + std::to_string(max)));
  }
  return std::optional<std::int64_t>{n};
}

Result<Labels> read_string_map(const json::value* v, const Path& path) {
  VIPD_TRY(const auto* object, read_object(v, path));
  Labels out;
  if (object == nullptr) return out;
  for (const auto& [key, value] : *object) {
    if (!value.is_string()) {
      const Path at = path.key(key);
      return failure(type_error(at, "a string", value));
    }
    // Duplicate keys: the last one wins, as in the API server's decoder.
    out.insert_or_assign(std::string(key), std::string(value.get_string()));
  }
  return out;
}

Result<std::optional<IpAddress>> read_ip(const json::value* v, const Path& path) {
  VIPD_TRY(auto text, read_string(v, path));
  if (!text || text->empty()) return std::optional<IpAddress>{};
  auto ip = IpAddress::parse(*text);
  if (!ip) {
    // The parser's message quotes the text as it is; a long or binary one is cut and escaped.
    const auto quoted = quote(*text);
    const bool plain = quoted.size() == text->size() + 2;
    return failure(
        path_error(path, plain ? ip.error().message() : quoted + " is not an IP address"));
  }
  return std::optional<IpAddress>{ip.value()};
}

namespace internal {

Error unknown_value(const Path& path, std::string_view got,
                    std::span<const std::string_view> accepted) {
  std::string list;
  for (const auto& a : accepted) {
    if (!list.empty()) list += ", ";
    list += a;
  }
  return path_error(path, "unknown value " + quote(got) + " (expected one of " + list + ")");
}

}  // namespace internal

std::size_t heap_bytes(const std::string& s) {
  const auto* begin = reinterpret_cast<const char*>(&s);
  const auto* data = s.data();
  if (data >= begin && data < begin + sizeof(s)) return 0;
  return s.capacity() + 1;
}

std::size_t heap_bytes(const Labels& map) {
  // libstdc++'s _Rb_tree_node_base: colour and three links (32 bytes on 64-bit targets).
  constexpr std::size_t kNodeHeader = sizeof(void*) * 4;
  std::size_t total = 0;
  for (const auto& [key, value] : map) {
    total += kNodeHeader + sizeof(Labels::value_type) + heap_bytes(key) + heap_bytes(value);
  }
  return total;
}

}  // namespace vipd::k8s::detail
