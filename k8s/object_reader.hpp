#pragma once
// Reading fields of untrusted JSON (an API object) with errors that name where the bad value
// is: "spec.ports[0].port: expected an integer, got a string". The typed views (objects.hpp)
// are built from these helpers; nothing else should need them.
//
// Conventions shared by every helper: an absent member and a JSON null mean the same thing
// (the API omits empty optional fields, and older servers write null for some), and reading
// never throws. Pure; no I/O.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/ip_address.hpp"
#include "common/label_selector.hpp"
#include "common/result.hpp"

namespace vipd::k8s::detail {

// Where a value sits, as a chain of links that live on the caller's stack: building one costs
// nothing, and the text is made only for an error. Never keep a Path made from a temporary
// (`Path p = root.key("a").key("b")` dangles); derive each step from a named Path.
class Path {
 public:
  Path() = default;  // the object itself
  Path key(std::string_view name) const { return Path(this, name, 0); }
  Path index(std::size_t i) const { return Path(this, {}, i + 1); }
  std::string to_string() const;  // "spec.ports[0].port"; "object" for the root

 private:
  Path(const Path* parent, std::string_view key, std::size_t index_plus_one)
      : parent_(parent), key_(key), index_plus_one_(index_plus_one) {}
  void append_to(std::string& out) const;

  const Path* parent_ = nullptr;
  std::string_view key_;
  std::size_t index_plus_one_ = 0;  // 0: a key step (or the root)
};

// A value for a message: quoted, cut after 64 bytes, control bytes and quotes escaped.
std::string quote(std::string_view text);

// "PATH: MESSAGE", as kInvalidArgument.
Error path_error(const Path& path, std::string_view message);
// "PATH: expected EXPECTED, got a string".
Error type_error(const Path& path, std::string_view expected, const boost::json::value& got);

// The member `name` of an object, or nullptr when it is absent or null.
const boost::json::value* member(const boost::json::object& object, std::string_view name);
const boost::json::value* member(const boost::json::object* object, std::string_view name);

// Each reader takes a possibly missing value (nullptr) and its path; missing means absent.
Result<const boost::json::object*> read_object(const boost::json::value* v, const Path& path);
Result<const boost::json::array*> read_array(const boost::json::value* v, const Path& path);
Result<std::optional<std::string_view>> read_string(const boost::json::value* v, const Path& path);
// An absent string reads as "".
Result<std::string> read_string_or_empty(const boost::json::value* v, const Path& path);
Result<std::optional<bool>> read_bool(const boost::json::value* v, const Path& path);
// A JSON integer within [min, max]; a number with a fraction or an exponent is refused, as
// the API server's decoder refuses it for an integer field.
Result<std::optional<std::int64_t>> read_int(const boost::json::value* v, const Path& path,
                                             std::int64_t min, std::int64_t max);
// An object whose values are all strings (labels, annotations, selectors, ConfigMap data).
Result<Labels> read_string_map(const boost::json::value* v, const Path& path);
// An IP address in the text form the API uses; "" reads as absent.
Result<std::optional<IpAddress>> read_ip(const boost::json::value* v, const Path& path);

// One accepted spelling of an enumeration.
template <class E>
struct EnumName {
  std::string_view name;
  E value;
};

namespace internal {
Error unknown_value(const Path& path, std::string_view got,
                    std::span<const std::string_view> accepted);
}

// A string that must be one of `names`; absent reads as nullopt. An unknown value is an
// error that lists the accepted ones: a view must not guess what a value it does not know
// means for traffic.
template <class E, std::size_t N>
Result<std::optional<E>> read_enum(const boost::json::value* v, const Path& path,
                                   const EnumName<E> (&names)[N]) {
  VIPD_TRY(auto text, read_string(v, path));
  if (!text) return std::optional<E>{};
  for (const auto& n : names) {
    if (n.name == *text) return std::optional<E>{n.value};
  }
  std::string_view accepted[N];
  for (std::size_t i = 0; i < N; ++i) accepted[i] = names[i].name;
  return failure(internal::unknown_value(path, *text, accepted));
}

// The spelling of an enumeration value (for encoders and messages).
template <class E, std::size_t N>
std::string_view enum_name(E value, const EnumName<E> (&names)[N]) {
  for (const auto& n : names) {
    if (n.value == value) return n.name;
  }
  return "?";
}

// Heap bytes held by a string: nothing while it fits in the object (small-string
// optimisation), its capacity plus the terminator once it does not.
std::size_t heap_bytes(const std::string& s);
// Heap bytes of a string map: one tree node per entry (three links and a colour, then the
// pair) plus the strings' own heap.
std::size_t heap_bytes(const Labels& map);

}  // namespace vipd::k8s::detail
