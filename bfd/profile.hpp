#pragma once
// MetalLB BFDProfile values → BFD session settings.
//
// Responsible for: MetalLB's defaults and ranges for receiveInterval, transmitInterval (ms),
// detectMultiplier, echoInterval, minimumTtl, and refusing echoMode (vipd has no Echo
// function). Not responsible for: reading the profile from YAML or the ConfigMap (config/),
// choosing a discriminator or a jitter seed (the session's owner fills them in).
// Pure and synchronous.

#include <cstdint>
#include <optional>

#include "bfd/session.hpp"
#include "common/result.hpp"

namespace vipd::bfd {

// The fields of a MetalLB BFDProfile (metallb.io/v1beta1), unset when absent.
struct ProfileValues {
  std::optional<std::uint32_t> receive_interval_ms;   // default 300, 10-60000
  std::optional<std::uint32_t> transmit_interval_ms;  // default 300, 10-60000
  std::optional<std::uint32_t> detect_multiplier;     // default 3, 2-255
  std::optional<std::uint32_t> echo_interval_ms;      // default 50, 10-60000 (checked, unused)
  bool echo_mode = false;                             // refused when true
  bool passive_mode = false;
  std::optional<std::uint32_t> minimum_ttl;  // default 254, 1-254 (multihop only)
};

struct ProfileSettings {
  // local_discriminator and jitter_seed are left 0 for the session's owner to fill in.
  SessionConfig session;
  // RFC 5883 multihop: the lowest TTL accepted. Single hop always requires 255 (RFC 5881 §5).
  std::uint8_t minimum_ttl = 254;
};

Result<ProfileSettings> from_profile(const ProfileValues& profile);

}  // namespace vipd::bfd
