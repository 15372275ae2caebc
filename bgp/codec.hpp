#pragma once
// BGP-4 message codec (RFC 4271 and the extensions vipd speaks): bytes ⇄ Message values.
//
// Responsible for: header checks, OPEN with capabilities (RFC 5492, RFC 9072), UPDATE with
// every path attribute vipd meets (one table row per attribute, attributes.cpp), IPv4/IPv6
// unicast NLRI with add-path, NOTIFICATION (RFC 9003 shutdown communication), KEEPALIVE,
// ROUTE-REFRESH (RFC 2918, RFC 7313). Every error is data (DecodeError, AttributeIssue) with
// the NOTIFICATION the RFC asks for and the RFC 7606 action.
// Not responsible for: anything that needs session state beyond CodecOptions (peer AS and
// identifier checks, hold time policy, which capabilities are acceptable): that is the FSM's.
// Pure and synchronous: no I/O, no logging, no clocks; safe to call from any thread.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "bgp/decode_error.hpp"
#include "bgp/messages.hpp"
#include "common/result.hpp"

namespace vipd::bgp {

// Facts negotiated for one direction of one session.
struct CodecOptions {
  bool four_octet_as = false;     // RFC 6793: both sides sent capability 65
  bool extended_message = false;  // RFC 8654: messages up to 65535 octets
  bool add_path_ipv4 = false;     // RFC 7911: NLRI carry path identifiers in this direction
  bool add_path_ipv6 = false;
  bool external_peer = true;  // eBGP: some attributes are discarded when received (RFC 7606)

  std::size_t max_message_size() const {
    return extended_message ? kMaxExtendedMessageSize : kMaxMessageSize;
  }
  bool add_path(Family family) const {
    return family == Family::kV4 ? add_path_ipv4 : add_path_ipv6;
  }
};

// RFC 4271 §6.1 checks on a message header (at least 19 bytes): marker, length within
// 19..max and the type's minimum, known type. Returns the message's total length.
DecodeResult<std::size_t> check_header(std::span<const std::uint8_t> header,
                                       std::size_t max_message_size);

// Decodes one whole message (header included, exactly its length).
DecodeResult<Message> decode(std::span<const std::uint8_t> message, const CodecOptions& options);

// Appends the encoding of `message` to `out` and returns its size. Fails (and appends
// nothing) when the message would exceed the maximum size for `options`.
Result<std::size_t> encode(const Message& message, const CodecOptions& options,
                           std::vector<std::uint8_t>& out);

}  // namespace vipd::bgp
