#pragma once
// Result<T>: the return type of every operation on untrusted input.
//
// A Result holds a value or an Error (a code in the vipd error category plus a message for a
// person). Untrusted input (wire bytes, YAML, JSON, netlink replies) never throws and never
// aborts: it comes back as an Error. Broken invariants abort through VIPD_ASSERT instead.
// Built on Boost.Outcome; pure, no I/O.

#include <boost/outcome/result.hpp>
#include <boost/outcome/try.hpp>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace vipd {

enum class Errc {
  kInvalidArgument = 1,  // malformed text or value
  kOutOfRange,           // well formed, but outside what is allowed
  kNotFound,
  kAlreadyExists,
  kConflict,       // clashes with something already in force
  kProtocolError,  // a peer broke a protocol rule
  kUnsupported,    // valid, but not implemented by vipd
  kIoError,        // the operating system said no
  kTimedOut,
  kExhausted,  // no free resource (addresses, buffer space)
};

const std::error_category& error_category() noexcept;
std::error_code make_error_code(Errc e) noexcept;

}  // namespace vipd

template <>
struct std::is_error_code_enum<vipd::Errc> : std::true_type {};

namespace vipd {

// What went wrong, for a program (code) and for a person (message).
class Error {
 public:
  Error(std::error_code code, std::string message) : code_(code), message_(std::move(message)) {}
  Error(Errc code, std::string message) : Error(make_error_code(code), std::move(message)) {}

  const std::error_code& code() const { return code_; }
  const std::string& message() const { return message_; }

  // The same error with "context: " in front of its message.
  Error with_context(std::string_view context) const;

  friend bool operator==(const Error& a, const Error& b) = default;

 private:
  std::error_code code_;
  std::string message_;
};

template <class T>
using Result = boost::outcome_v2::result<T, Error, boost::outcome_v2::policy::terminate>;

using boost::outcome_v2::success;

inline auto failure(Errc code, std::string message) {
  return boost::outcome_v2::failure(Error(code, std::move(message)));
}
inline auto failure(Error error) { return boost::outcome_v2::failure(std::move(error)); }

}  // namespace vipd

// VIPD_TRY(auto x, expression) or VIPD_TRY(expression): return the error early.
#define VIPD_TRY BOOST_OUTCOME_TRY
