// Message header, dispatch, and the small messages: NOTIFICATION, KEEPALIVE, ROUTE-REFRESH.
#include "bgp/codec.hpp"

#include <algorithm>
#include <string_view>

#include "common/assert.hpp"

#include "bgp/detail/codec_internal.hpp"

namespace vipd::bgp {
namespace detail {

DecodeError make_error(std::uint8_t code, std::uint8_t subcode, std::size_t offset,
                       std::string reason, std::vector<std::uint8_t> data) {
  return DecodeError{
      code, subcode, std::move(data), offset, ErrorAction::kSessionReset, std::move(reason)};
}

std::size_t begin_message(std::vector<std::uint8_t>& out, MessageType type) {
  const std::size_t start = out.size();
  out.insert(out.end(), 16, 0xff);
  put_u16(out, 0);
  put_u8(out, static_cast<std::uint8_t>(type));
  return start;
}

Result<std::size_t> finish_message(std::vector<std::uint8_t>& out, std::size_t start,
                                   const CodecOptions& options) {
  const std::size_t length = out.size() - start;
  // RFC 8654 §4: an OPEN is never an extended message.
  const bool open = out[start + 18] == static_cast<std::uint8_t>(MessageType::kOpen);
  const std::size_t max =
      open ? std::min(options.max_message_size(), kMaxMessageSize) : options.max_message_size();
  if (length > max) {
    out.resize(start);
    return failure(Errc::kOutOfRange, "message of " + std::to_string(length) +
                                          " octets exceeds the maximum of " + std::to_string(max));
  }
  patch_u16(out, start + 16, static_cast<std::uint16_t>(length));
  return length;
}

}  // namespace detail

namespace {

using detail::make_error;

// Structure check only (lead and continuation bytes); enough to refuse binary data.
bool valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    if (c >= 0x80) {
      if ((c >> 5) == 0x6) {
        extra = 1;
      } else if ((c >> 4) == 0xe) {
        extra = 2;
      } else if ((c >> 3) == 0x1e) {
        extra = 3;
      } else {
        return false;
      }
    }
    if (i + extra >= text.size() && extra > 0) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 2) return false;
    }
    i += extra + 1;
  }
  return true;
}

// RFC 9003 §2: a Shutdown Communication is a length octet and that many octets of UTF-8.
std::optional<std::string> shutdown_communication(const Notification& n) {
  if (n.code != static_cast<std::uint8_t>(ErrorCode::kCease) ||
      (n.subcode != cease::kAdministrativeShutdown && n.subcode != cease::kAdministrativeReset) ||
      n.data.empty() || n.data[0] + 1u > n.data.size()) {
    return std::nullopt;
  }
  std::string text(n.data.begin() + 1, n.data.begin() + 1 + n.data[0]);
  if (!valid_utf8(text)) return std::nullopt;
  return text;
}

DecodeResult<Notification> decode_notification(Reader body) {
  Notification n;
  n.code = *body.u8();
  n.subcode = *body.u8();
  const auto rest = body.rest();
  n.data.assign(rest.begin(), rest.end());
  n.shutdown_message = shutdown_communication(n);
  return n;
}

DecodeResult<RouteRefresh> decode_route_refresh(std::span<const std::uint8_t> message) {
  const auto invalid_length = [&] {
    // RFC 7313 §5: Invalid Message Length; the data is the complete ROUTE-REFRESH message.
    return make_error(static_cast<std::uint8_t>(ErrorCode::kRouteRefreshMessage),
                      route_refresh_error::kInvalidMessageLength, 16,
                      "ROUTE-REFRESH of length " + std::to_string(message.size()) + " (must be 23)",
                      std::vector<std::uint8_t>(message.begin(), message.end()));
  };
  if (message.size() < kHeaderSize + 4) return invalid_length();
  Reader body(message.subspan(kHeaderSize));
  RouteRefresh rr;
  rr.afi = *body.u16();
  rr.subtype = *body.u8();
  rr.safi = *body.u8();
  // RFC 7313 §5: "If the length, excluding the fixed-size message header, of the received
  // ROUTE-REFRESH message with Message Subtype 1 and 2 is not 4", the error above. Subtype 0
  // may carry ORF entries only once RFC 5291 ORF is negotiated, and vipd never advertises it,
  // so a longer request is the same length error. A reserved subtype is decoded whatever its
  // length: §4 says such a message MUST be ignored, which is the session's business, not an
  // error (its extra octets are dropped).
  const bool known = rr.subtype <= route_refresh_subtype::kEnd;
  if (known && message.size() != kHeaderSize + 4) return invalid_length();
  return rr;
}

std::size_t minimum_length(std::uint8_t type) {
  switch (static_cast<MessageType>(type)) {
    case MessageType::kOpen:
      return 29;
    case MessageType::kUpdate:
      return 23;
    case MessageType::kNotification:
      return 21;
    case MessageType::kKeepalive:
    case MessageType::kRouteRefresh:
      return kHeaderSize;
  }
  return kHeaderSize;
}

}  // namespace

DecodeResult<std::size_t> check_header(std::span<const std::uint8_t> header,
                                       std::size_t max_message_size) {
  VIPD_ASSERT(header.size() >= kHeaderSize, "check_header needs a whole header");
  constexpr std::uint8_t kHeaderError = static_cast<std::uint8_t>(ErrorCode::kMessageHeader);
  if (!std::all_of(header.begin(), header.begin() + 16, [](std::uint8_t b) { return b == 0xff; })) {
    return make_error(kHeaderError, header_error::kConnectionNotSynchronized, 0,
                      "marker is not all ones");
  }
  const std::size_t length = (std::size_t{header[16]} << 8) | header[17];
  const std::uint8_t type = header[18];
  const std::vector<std::uint8_t> length_data{header[16], header[17]};
  if (type < 1 || type > 5) {
    return make_error(kHeaderError, header_error::kBadMessageType, 18,
                      "unknown message type " + std::to_string(type), {type});
  }
  // RFC 8654 §4: "The BGP Extended Message Capability applies to all messages except for OPEN
  // and KEEPALIVE messages": those stay within 4096 octets (a KEEPALIVE is exactly 19).
  const std::size_t max_length = type == static_cast<std::uint8_t>(MessageType::kOpen)
                                     ? std::min(max_message_size, kMaxMessageSize)
                                     : max_message_size;
  if (length < minimum_length(type) || length > max_length ||
      (type == static_cast<std::uint8_t>(MessageType::kKeepalive) && length != kHeaderSize)) {
    return make_error(
        kHeaderError, header_error::kBadMessageLength, 16,
        "length " + std::to_string(length) + " is not valid for " + message_type_name(type),
        length_data);
  }
  return length;
}

DecodeResult<Message> decode(std::span<const std::uint8_t> message, const CodecOptions& options) {
  if (message.size() < kHeaderSize) {
    return make_error(static_cast<std::uint8_t>(ErrorCode::kMessageHeader),
                      header_error::kBadMessageLength, 0,
                      "message of " + std::to_string(message.size()) + " octets has no header");
  }
  VIPD_TRY(const std::size_t length, check_header(message, options.max_message_size()));
  if (length != message.size()) {
    return make_error(static_cast<std::uint8_t>(ErrorCode::kMessageHeader),
                      header_error::kBadMessageLength, 16,
                      "length field " + std::to_string(length) + " but " +
                          std::to_string(message.size()) + " octets given",
                      {message[16], message[17]});
  }
  const Reader body(message.subspan(kHeaderSize));
  switch (static_cast<MessageType>(message[18])) {
    case MessageType::kOpen: {
      VIPD_TRY(auto open, detail::decode_open(body, kHeaderSize));
      return Message(std::move(open));
    }
    case MessageType::kUpdate: {
      VIPD_TRY(auto update, detail::decode_update(body, kHeaderSize, options));
      return Message(std::move(update));
    }
    case MessageType::kNotification: {
      VIPD_TRY(auto n, decode_notification(body));
      return Message(std::move(n));
    }
    case MessageType::kKeepalive:
      return Message(Keepalive{});
    case MessageType::kRouteRefresh: {
      VIPD_TRY(auto rr, decode_route_refresh(message));
      return Message(rr);
    }
  }
  VIPD_ASSERT(false, "check_header let an unknown type through");
  return make_error(1, header_error::kBadMessageType, 18, "unknown message type");
}

Result<std::size_t> encode(const Message& message, const CodecOptions& options,
                           std::vector<std::uint8_t>& out) {
  const std::size_t start = detail::begin_message(out, type_of(message));
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Open>) {
          detail::encode_open_body(m, out);
        } else if constexpr (std::is_same_v<T, Update>) {
          detail::encode_update_body(m, options, out);
        } else if constexpr (std::is_same_v<T, Notification>) {
          put_u8(out, m.code);
          put_u8(out, m.subcode);
          if (m.data.empty() && m.shutdown_message) {
            // RFC 9003 §2: at most 255 octets, cut on a UTF-8 character boundary.
            std::size_t n = std::min<std::size_t>(m.shutdown_message->size(), 255);
            while (n > 0 && n < m.shutdown_message->size() &&
                   (static_cast<unsigned char>((*m.shutdown_message)[n]) >> 6) == 2) {
              --n;
            }
            put_u8(out, static_cast<std::uint8_t>(n));
            out.insert(out.end(), m.shutdown_message->begin(), m.shutdown_message->begin() + n);
          } else {
            put_bytes(out, m.data);
          }
        } else if constexpr (std::is_same_v<T, RouteRefresh>) {
          put_u16(out, m.afi);
          put_u8(out, m.subtype);
          put_u8(out, m.safi);
        }
      },
      message);
  return detail::finish_message(out, start, options);
}

}  // namespace vipd::bgp
