#pragma once
// Framer: cuts a TCP byte stream into whole BGP messages.
//
// Feed it bytes as they arrive, in any chunk sizes; next() hands out each complete message
// (header included) once its last byte is in, after the RFC 4271 §6.1 header checks. A header
// error is final: the session must send the NOTIFICATION and close. Pure; no I/O.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "bgp/constants.hpp"
#include "bgp/decode_error.hpp"

namespace vipd::bgp {

class Framer {
 public:
  explicit Framer(std::size_t max_message_size = kMaxMessageSize)
      : max_message_size_(max_message_size) {}

  // After RFC 8654 extended messages are negotiated: 65535.
  void set_max_message_size(std::size_t size) { max_message_size_ = size; }

  void feed(std::span<const std::uint8_t> bytes);

  // The next whole message, nullopt when more bytes are needed, or the header error. The span
  // stays valid until the next feed().
  DecodeResult<std::optional<std::span<const std::uint8_t>>> next();

  std::size_t buffered() const { return buffer_.size() - read_; }

 private:
  std::vector<std::uint8_t> buffer_;
  std::size_t read_ = 0;
  std::size_t max_message_size_;
  std::optional<DecodeError> failed_;
};

}  // namespace vipd::bgp
