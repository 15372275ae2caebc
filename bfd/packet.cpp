#include "bfd/packet.hpp"

#include <string>

#include "common/assert.hpp"

namespace vipd::bfd {

std::string_view to_string(State state) {
  switch (state) {
    case State::kAdminDown:
      return "AdminDown";
    case State::kDown:
      return "Down";
    case State::kInit:
      return "Init";
    case State::kUp:
      return "Up";
  }
  return "?";
}

std::string_view to_string(Diag diag) {
  switch (diag) {
    case Diag::kNone:
      return "No Diagnostic";
    case Diag::kControlDetectionTimeExpired:
      return "Control Detection Time Expired";
    case Diag::kEchoFunctionFailed:
      return "Echo Function Failed";
    case Diag::kNeighborSignaledSessionDown:
      return "Neighbor Signaled Session Down";
    case Diag::kForwardingPlaneReset:
      return "Forwarding Plane Reset";
    case Diag::kPathDown:
      return "Path Down";
    case Diag::kConcatenatedPathDown:
      return "Concatenated Path Down";
    case Diag::kAdministrativelyDown:
      return "Administratively Down";
    case Diag::kReverseConcatenatedPathDown:
      return "Reverse Concatenated Path Down";
  }
  return "Reserved";
}

namespace {

// Bits of the second byte (RFC 5880 §4.1): Sta(2) P F C A D M.
constexpr std::uint8_t kPoll = 0x20;
constexpr std::uint8_t kFinal = 0x10;
constexpr std::uint8_t kControlPlaneIndependent = 0x08;
constexpr std::uint8_t kAuthentication = 0x04;
constexpr std::uint8_t kDemand = 0x02;
constexpr std::uint8_t kMultipoint = 0x01;

// RFC 5880 §4.1: with the A bit set the Authentication Section (at least 2 bytes) follows.
constexpr std::size_t kMinLengthWithAuthentication = kControlPacketSize + 2;

void put_u32(std::uint8_t* out, std::uint32_t v) {
  out[0] = static_cast<std::uint8_t>(v >> 24);
  out[1] = static_cast<std::uint8_t>(v >> 16);
  out[2] = static_cast<std::uint8_t>(v >> 8);
  out[3] = static_cast<std::uint8_t>(v);
}

std::uint32_t get_u32(const std::uint8_t* in) {
  return (std::uint32_t{in[0]} << 24) | (std::uint32_t{in[1]} << 16) | (std::uint32_t{in[2]} << 8) |
         std::uint32_t{in[3]};
}

auto refuse(std::string message) {
  return failure(Errc::kProtocolError, "BFD Control packet refused: " + std::move(message));
}

}  // namespace

std::array<std::uint8_t, kControlPacketSize> encode(const ControlPacket& p) {
  VIPD_ASSERT(p.version <= 7, "BFD version does not fit in 3 bits");
  VIPD_ASSERT(static_cast<std::uint8_t>(p.diag) <= 31, "BFD diag does not fit in 5 bits");
  VIPD_ASSERT(static_cast<std::uint8_t>(p.state) <= 3, "BFD state does not fit in 2 bits");
  std::array<std::uint8_t, kControlPacketSize> out{};
  out[0] = static_cast<std::uint8_t>((p.version << 5) | static_cast<std::uint8_t>(p.diag));
  out[1] = static_cast<std::uint8_t>((static_cast<std::uint8_t>(p.state) << 6) |
                                     (p.poll ? kPoll : 0) | (p.final ? kFinal : 0) |
                                     (p.control_plane_independent ? kControlPlaneIndependent : 0) |
                                     (p.authentication_present ? kAuthentication : 0) |
                                     (p.demand ? kDemand : 0) | (p.multipoint ? kMultipoint : 0));
  out[2] = p.detect_mult;
  out[3] = p.length;
  put_u32(&out[4], p.my_discriminator);
  put_u32(&out[8], p.your_discriminator);
  put_u32(&out[12], p.desired_min_tx_us);
  put_u32(&out[16], p.required_min_rx_us);
  put_u32(&out[20], p.required_min_echo_rx_us);
  return out;
}

Result<ControlPacket> decode(std::span<const std::uint8_t> datagram) {
  const std::size_t size = datagram.size();
  if (size < 4) {
    return refuse("datagram of " + std::to_string(size) +
                  " bytes is too short to hold the Length field (byte 4)");
  }
  ControlPacket p;
  p.version = static_cast<std::uint8_t>(datagram[0] >> 5);
  p.diag = static_cast<Diag>(datagram[0] & 0x1f);
  p.state = static_cast<State>(datagram[1] >> 6);
  p.poll = (datagram[1] & kPoll) != 0;
  p.final = (datagram[1] & kFinal) != 0;
  p.control_plane_independent = (datagram[1] & kControlPlaneIndependent) != 0;
  p.authentication_present = (datagram[1] & kAuthentication) != 0;
  p.demand = (datagram[1] & kDemand) != 0;
  p.multipoint = (datagram[1] & kMultipoint) != 0;
  p.detect_mult = datagram[2];
  p.length = datagram[3];

  // RFC 5880 §6.8.6, in its order.
  if (p.version != kVersion) {
    return refuse("version " + std::to_string(p.version) + " is not 1");
  }
  const std::size_t min_length =
      p.authentication_present ? kMinLengthWithAuthentication : kControlPacketSize;
  if (p.length < min_length) {
    return refuse("Length " + std::to_string(p.length) + " is less than " +
                  std::to_string(min_length) +
                  (p.authentication_present ? " (the A bit is set)" : ""));
  }
  if (p.length > size) {
    return refuse("Length " + std::to_string(p.length) + " is more than the " +
                  std::to_string(size) + " bytes of the datagram");
  }
  // From here on, at least 24 bytes are present (Length >= 24, Length <= size).
  p.my_discriminator = get_u32(&datagram[4]);
  p.your_discriminator = get_u32(&datagram[8]);
  p.desired_min_tx_us = get_u32(&datagram[12]);
  p.required_min_rx_us = get_u32(&datagram[16]);
  p.required_min_echo_rx_us = get_u32(&datagram[20]);

  if (p.detect_mult == 0) return refuse("Detect Mult is 0");
  if (p.multipoint) return refuse("the Multipoint (M) bit is set");
  if (p.my_discriminator == 0) return refuse("My Discriminator is 0");
  if (p.your_discriminator == 0 && p.state != State::kDown && p.state != State::kAdminDown) {
    return refuse("Your Discriminator is 0 while State is " + std::string(to_string(p.state)) +
                  " (allowed only in Down and AdminDown)");
  }
  if (p.authentication_present) {
    return failure(Errc::kUnsupported,
                   "BFD Control packet refused: the Authentication Present (A) bit is set, and "
                   "authentication is not supported");
  }
  return p;
}

}  // namespace vipd::bfd
