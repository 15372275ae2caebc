#pragma once
// How the Kubernetes client reports what went wrong, so that callers decide by code, never by
// message text (internal to k8s/ and its users; pure, no I/O).
//
// - An HTTP status the caller must act on (a watch refused with 403, a watch ended by an ERROR
//   event carrying 410 Expired) is an Error whose code is in http_category(), value = the HTTP
//   status: `http_status(error) == 410`.
// - A cancelled call (its coroutine lost an `||` race, or its cancellation slot fired) is an
//   Error with std::errc::operation_canceled: `is_cancelled(error)`.
// - Anything else is a vipd::Errc: kTimedOut (no answer, or a silent watch), kIoError (cannot
//   connect, TLS, connection lost), kProtocolError (not HTTP/JSON as the API promises),
//   kExhausted (a body over the size limit), kInvalidArgument / kNotFound (credentials).
//
// ApiStatus is the part of a `Status` object (the body of every API error, and the object of a
// watch ERROR event) that a client decides on.

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "common/result.hpp"

namespace vipd::k8s {

const std::error_category& http_category() noexcept;
std::error_code make_http_error_code(unsigned status) noexcept;

// The HTTP status an error stands for; nullopt when it is not an HTTP status.
std::optional<unsigned> http_status(const Error& error);
// True for 410 Gone: a watch or list from a resourceVersion the server no longer has (relist).
bool is_expired(const Error& error);
bool is_cancelled(const Error& error);

struct ApiStatus {
  unsigned code = 0;    // HTTP status the server gave the Status (0 when absent)
  std::string reason;   // "NotFound", "Conflict", "AlreadyExists", "Expired", "Gone", ...
  std::string message;  // for people
};

// A `Status` object (kind "Status"), or nullopt when the value is not one.
std::optional<ApiStatus> api_status(const boost::json::object& object);
std::optional<ApiStatus> parse_api_status(std::string_view body);

// An Error in http_category() for a non-2xx answer: "WHAT: HTTP 403 (Forbidden): services is
// forbidden: ...". `body` is read as a Status when it is one; its code wins over `status` only
// for a watch ERROR event (status 200 on the wire), where `status` is 0.
Error status_error(std::string_view what, unsigned status, std::string_view body);
Error status_error(std::string_view what, const ApiStatus& status);

}  // namespace vipd::k8s
