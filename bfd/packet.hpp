#pragma once
// The BFD Control packet (RFC 5880 §4.1): the value, its 24-byte encoding and its decoding
// with the reception checks of RFC 5880 §6.8.6 that depend on the packet alone.
//
// Responsible for: every field of the mandatory section, the diagnostic codes and session
// states by name, and refusing a packet §6.8.6 says to discard (version, length, detect mult,
// multipoint, discriminators), each with an Error naming the field and its value.
// Not responsible for: the authentication section (RFC 5880 §4.2-§4.4 are not implemented: a
// packet with the A bit set is refused as unsupported), finding the session a packet belongs to
// (the demultiplexer in the I/O layer), UDP ports and TTL (RFC 5881/5883, the I/O layer).
// Pure and synchronous: no I/O, no logging, no clocks; safe to call from any thread.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/result.hpp"

namespace vipd::bfd {

// RFC 5880 §4.1: the mandatory section is 24 bytes; vipd sends nothing else.
inline constexpr std::size_t kControlPacketSize = 24;
inline constexpr std::uint8_t kVersion = 1;

// RFC 5880 §4.1 "State (Sta)".
enum class State : std::uint8_t { kAdminDown = 0, kDown = 1, kInit = 2, kUp = 3 };
std::string_view to_string(State state);

// RFC 5880 §4.1 "Diagnostic (Diag)". The field has 5 bits: values 9-31 are reserved, and a
// received one is kept as it is (to_string says "Reserved").
enum class Diag : std::uint8_t {
  kNone = 0,
  kControlDetectionTimeExpired = 1,
  kEchoFunctionFailed = 2,
  kNeighborSignaledSessionDown = 3,
  kForwardingPlaneReset = 4,
  kPathDown = 5,
  kConcatenatedPathDown = 6,
  kAdministrativelyDown = 7,
  kReverseConcatenatedPathDown = 8,
};
std::string_view to_string(Diag diag);

// Every field of the mandatory section, in wire order. Intervals are in microseconds, as on
// the wire.
struct ControlPacket {
  std::uint8_t version = kVersion;  // 3 bits
  Diag diag = Diag::kNone;          // 5 bits
  State state = State::kDown;
  bool poll = false;                       // P
  bool final = false;                      // F
  bool control_plane_independent = false;  // C
  bool authentication_present = false;     // A
  bool demand = false;                     // D
  bool multipoint = false;                 // M
  std::uint8_t detect_mult = 0;
  std::uint8_t length = kControlPacketSize;
  std::uint32_t my_discriminator = 0;
  std::uint32_t your_discriminator = 0;
  std::uint32_t desired_min_tx_us = 0;
  std::uint32_t required_min_rx_us = 0;
  std::uint32_t required_min_echo_rx_us = 0;

  friend bool operator==(const ControlPacket&, const ControlPacket&) = default;
};

// The 24 bytes of `packet`, every field as given (version, diag and length included; vipd's
// own packets leave them at their defaults). Values wider than their field (a version above
// 7, a diag above 31, a state above 3) are a broken invariant and abort.
std::array<std::uint8_t, kControlPacketSize> encode(const ControlPacket& packet);

// One received UDP payload. Refused (Errc::kProtocolError unless said otherwise), in the order
// of RFC 5880 §6.8.6:
// - a payload too short to hold the Length field, version not 1, Length below 24 (26 with
//   the A bit), Length beyond the payload, Detect Mult 0, the M bit set, My Discriminator 0;
// - Your Discriminator 0 while State is Init or Up (§6.8.6 puts this check after the session
//   lookup; it depends on the packet alone, so it is made here and every session can rely on
//   it);
// - the A bit set: Errc::kUnsupported, "authentication is not supported" (vipd never enables
//   authentication, and §6.8.6 discards such a packet when bfd.AuthType is zero).
// Bytes after the first 24 that Length covers (possible only with the A bit clear) carry no
// field and are ignored; bytes beyond Length are not part of the packet.
Result<ControlPacket> decode(std::span<const std::uint8_t> datagram);

}  // namespace vipd::bfd
