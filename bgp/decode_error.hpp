#pragma once
// Decode errors as data: what NOTIFICATION the RFC asks for, where in the message the problem
// is, and what RFC 7606 says to do about it. Pure.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/outcome/result.hpp>

namespace vipd::bgp {

// RFC 7606 §2 error-handling approaches, least to most severe. A message with several
// problems takes the most severe one.
enum class ErrorAction : std::uint8_t {
  kNone = 0,
  kAttributeDiscard = 1,  // drop the attribute, keep the routes
  kTreatAsWithdraw = 2,   // the UPDATE's routes are withdrawn
  kAfiSafiDisable = 3,    // stop exchanging that address family with the peer
  kSessionReset = 4,      // send the NOTIFICATION and close
};

std::string_view to_string(ErrorAction action);

struct DecodeError {
  std::uint8_t code = 0;           // NOTIFICATION error code (ErrorCode)
  std::uint8_t subcode = 0;        // NOTIFICATION subcode
  std::vector<std::uint8_t> data;  // NOTIFICATION data, as the RFC defines it for this error
  std::size_t offset = 0;          // where in the message the problem was found
  ErrorAction action = ErrorAction::kSessionReset;
  std::string reason;  // for people: what was wrong

  friend bool operator==(const DecodeError&, const DecodeError&) = default;
};

template <class T>
using DecodeResult =
    boost::outcome_v2::result<T, DecodeError, boost::outcome_v2::policy::terminate>;

}  // namespace vipd::bgp
