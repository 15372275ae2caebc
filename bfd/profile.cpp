#include "bfd/profile.hpp"

#include <string>

namespace vipd::bfd {

namespace {

// MetalLB's BFDProfile defaults and limits (api/v1beta1/bfdprofile_types.go).
constexpr std::uint32_t kDefaultIntervalMs = 300;
constexpr std::uint32_t kDefaultDetectMultiplier = 3;
constexpr std::uint32_t kDefaultEchoIntervalMs = 50;
constexpr std::uint32_t kDefaultMinimumTtl = 254;

Result<std::uint32_t> in_range(const char* field, const std::optional<std::uint32_t>& value,
                               std::uint32_t fallback, std::uint32_t lo, std::uint32_t hi) {
  const std::uint32_t v = value.value_or(fallback);
  if (v < lo || v > hi) {
    return failure(Errc::kOutOfRange, std::string(field) + " " + std::to_string(v) +
                                          " is out of range (" + std::to_string(lo) + "-" +
                                          std::to_string(hi) + ")");
  }
  return v;
}

}  // namespace

Result<ProfileSettings> from_profile(const ProfileValues& profile) {
  if (profile.echo_mode) {
    return failure(Errc::kUnsupported,
                   "echoMode: echo mode is not supported (BFD runs in asynchronous mode only)");
  }
  VIPD_TRY(const auto rx,
           in_range("receiveInterval", profile.receive_interval_ms, kDefaultIntervalMs, 10, 60000));
  VIPD_TRY(const auto tx, in_range("transmitInterval", profile.transmit_interval_ms,
                                   kDefaultIntervalMs, 10, 60000));
  VIPD_TRY(const auto mult, in_range("detectMultiplier", profile.detect_multiplier,
                                     kDefaultDetectMultiplier, 2, 255));
  VIPD_TRY(in_range("echoInterval", profile.echo_interval_ms, kDefaultEchoIntervalMs, 10, 60000));
  VIPD_TRY(const auto ttl, in_range("minimumTtl", profile.minimum_ttl, kDefaultMinimumTtl, 1, 254));
  ProfileSettings s;
  s.session.required_min_rx = std::chrono::milliseconds(rx);
  s.session.desired_min_tx = std::chrono::milliseconds(tx);
  s.session.detect_mult = static_cast<std::uint8_t>(mult);
  s.session.passive = profile.passive_mode;
  s.minimum_ttl = static_cast<std::uint8_t>(ttl);
  return s;
}

}  // namespace vipd::bfd
