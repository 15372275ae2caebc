// OPEN (RFC 4271 §4.2) with capabilities (RFC 5492) and extended optional parameters
// (RFC 9072).
#include <algorithm>

#include "bgp/detail/codec_internal.hpp"

namespace vipd::bgp::detail {
namespace {

constexpr std::uint8_t kParamCapabilities = 2;      // RFC 5492 §4
constexpr std::uint8_t kParamExtendedLength = 255;  // RFC 9072 §2

// Decodes one capability value. Returns the reason when the value is malformed.
std::optional<std::string> decode_capability(std::uint8_t code, std::span<const std::uint8_t> value,
                                             Capability& cap) {
  Reader r(value);
  const auto fixed = [&](std::size_t size) -> std::optional<std::string> {
    if (value.size() == size) return std::nullopt;
    return "capability " + std::to_string(code) + " has length " + std::to_string(value.size()) +
           ", expected " + std::to_string(size);
  };
  const auto tuples = [&](std::size_t size) -> std::optional<std::string> {
    if (value.size() % size == 0) return std::nullopt;
    return "capability " + std::to_string(code) + " has length " + std::to_string(value.size()) +
           ", not a multiple of " + std::to_string(size);
  };
  switch (static_cast<CapabilityCode>(code)) {
    case CapabilityCode::kMultiprotocol: {
      if (auto e = fixed(4)) return e;
      cap.multiprotocol.afi = *r.u16();
      r.u8();  // reserved
      cap.multiprotocol.safi = *r.u8();
      return std::nullopt;
    }
    case CapabilityCode::kRouteRefresh:
    case CapabilityCode::kExtendedMessage:
    case CapabilityCode::kEnhancedRouteRefresh:
      return fixed(0);
    case CapabilityCode::kExtendedNextHop: {
      if (auto e = tuples(6)) return e;
      while (!r.empty()) {
        ExtendedNextHopFamily f;
        f.nlri_afi = *r.u16();
        f.nlri_safi = *r.u16();
        f.next_hop_afi = *r.u16();
        cap.extended_next_hop.push_back(f);
      }
      return std::nullopt;
    }
    case CapabilityCode::kGracefulRestart: {
      if (value.size() < 2 || (value.size() - 2) % 4 != 0) {
        return "graceful restart capability has length " + std::to_string(value.size()) +
               ", expected 2 + 4n";
      }
      const std::uint16_t head = *r.u16();
      cap.restart_state = (head & 0x8000) != 0;
      cap.graceful_notification = (head & 0x4000) != 0;
      cap.restart_time = head & 0x0fff;
      while (!r.empty()) {
        GracefulRestartFamily f;
        f.family.afi = *r.u16();
        f.family.safi = *r.u8();
        f.forwarding_preserved = (*r.u8() & 0x80) != 0;
        cap.graceful_restart.push_back(f);
      }
      return std::nullopt;
    }
    case CapabilityCode::kFourOctetAs:
      if (auto e = fixed(4)) return e;
      cap.four_octet_as = *r.u32();
      return std::nullopt;
    case CapabilityCode::kAddPath: {
      if (auto e = tuples(4)) return e;
      while (!r.empty()) {
        AddPathFamily f;
        f.family.afi = *r.u16();
        f.family.safi = *r.u8();
        const std::uint8_t mode = *r.u8();
        if (mode < 1 || mode > 3) {
          return "add-path capability has send/receive value " + std::to_string(mode) +
                 " (expected 1, 2 or 3)";
        }
        f.receive = (mode & 1) != 0;
        f.send = (mode & 2) != 0;
        cap.add_path.push_back(f);
      }
      return std::nullopt;
    }
    case CapabilityCode::kLongLivedGracefulRestart: {
      if (auto e = tuples(7)) return e;
      while (!r.empty()) {
        LlgrFamily f;
        f.family.afi = *r.u16();
        f.family.safi = *r.u8();
        f.forwarding_preserved = (*r.u8() & 0x80) != 0;
        f.stale_time = *r.u24();
        cap.long_lived_graceful_restart.push_back(f);
      }
      return std::nullopt;
    }
    case CapabilityCode::kFqdn: {
      // Informational only: a malformed one is kept raw rather than failing the session.
      const auto host_length = r.u8();
      const auto host = host_length ? r.bytes(*host_length) : std::nullopt;
      const auto domain_length = host ? r.u8() : std::nullopt;
      const auto domain = domain_length ? r.bytes(*domain_length) : std::nullopt;
      if (!domain || !r.empty()) {
        cap.raw.assign(value.begin(), value.end());
        return std::nullopt;
      }
      cap.hostname.assign(host->begin(), host->end());
      cap.domain_name.assign(domain->begin(), domain->end());
      return std::nullopt;
    }
  }
  cap.raw.assign(value.begin(), value.end());
  return std::nullopt;
}

void encode_capability(const Capability& cap, std::vector<std::uint8_t>& out) {
  put_u8(out, cap.code);
  const std::size_t length_at = out.size();
  put_u8(out, 0);
  switch (static_cast<CapabilityCode>(cap.code)) {
    case CapabilityCode::kMultiprotocol:
      put_u16(out, cap.multiprotocol.afi);
      put_u8(out, 0);
      put_u8(out, cap.multiprotocol.safi);
      break;
    case CapabilityCode::kRouteRefresh:
    case CapabilityCode::kExtendedMessage:
    case CapabilityCode::kEnhancedRouteRefresh:
      break;
    case CapabilityCode::kExtendedNextHop:
      for (const auto& f : cap.extended_next_hop) {
        put_u16(out, f.nlri_afi);
        put_u16(out, f.nlri_safi);
        put_u16(out, f.next_hop_afi);
      }
      break;
    case CapabilityCode::kGracefulRestart:
      put_u16(out, static_cast<std::uint16_t>((cap.restart_state ? 0x8000 : 0) |
                                              (cap.graceful_notification ? 0x4000 : 0) |
                                              (cap.restart_time & 0x0fff)));
      for (const auto& f : cap.graceful_restart) {
        put_u16(out, f.family.afi);
        put_u8(out, f.family.safi);
        put_u8(out, f.forwarding_preserved ? 0x80 : 0);
      }
      break;
    case CapabilityCode::kFourOctetAs:
      put_u32(out, cap.four_octet_as);
      break;
    case CapabilityCode::kAddPath:
      for (const auto& f : cap.add_path) {
        put_u16(out, f.family.afi);
        put_u8(out, f.family.safi);
        put_u8(out, static_cast<std::uint8_t>((f.receive ? 1 : 0) | (f.send ? 2 : 0)));
      }
      break;
    case CapabilityCode::kLongLivedGracefulRestart:
      for (const auto& f : cap.long_lived_graceful_restart) {
        put_u16(out, f.family.afi);
        put_u8(out, f.family.safi);
        put_u8(out, f.forwarding_preserved ? 0x80 : 0);
        put_u24(out, f.stale_time);
      }
      break;
    case CapabilityCode::kFqdn:
      if (cap.raw.empty()) {
        put_u8(out, static_cast<std::uint8_t>(std::min<std::size_t>(cap.hostname.size(), 255)));
        out.insert(out.end(), cap.hostname.begin(),
                   cap.hostname.begin() + std::min<std::size_t>(cap.hostname.size(), 255));
        put_u8(out, static_cast<std::uint8_t>(std::min<std::size_t>(cap.domain_name.size(), 255)));
        out.insert(out.end(), cap.domain_name.begin(),
                   cap.domain_name.begin() + std::min<std::size_t>(cap.domain_name.size(), 255));
        break;
      }
      put_bytes(out, cap.raw);
      break;
    default:
      put_bytes(out, cap.raw);
      break;
  }
  out[length_at] = static_cast<std::uint8_t>(out.size() - length_at - 1);
}

}  // namespace

DecodeResult<Open> decode_open(Reader body, std::size_t body_offset) {
  Open open;
  open.version = *body.u8();
  open.my_as = *body.u16();
  open.hold_time = *body.u16();
  open.bgp_identifier = *body.u32();
  std::size_t params_length = *body.u8();
  const std::size_t at = body_offset;

  if (open.version != kVersion) {
    // RFC 4271 §6.2: data is the largest version we support.
    return make_error(2, open_error::kUnsupportedVersion, at,
                      "unsupported BGP version " + std::to_string(open.version), {0, kVersion});
  }
  if (open.hold_time == 1 || open.hold_time == 2) {
    return make_error(2, open_error::kUnacceptableHoldTime, at + 3,
                      "hold time " + std::to_string(open.hold_time) + " s (must be 0 or >= 3)");
  }
  if (open.bgp_identifier == 0) {  // RFC 6286 §2.2
    return make_error(2, open_error::kBadBgpIdentifier, at + 5, "BGP identifier is 0.0.0.0");
  }

  // RFC 9072 §2: a non-extended length of 255 followed by type 255 announces 2-octet lengths.
  bool extended = false;
  if (params_length == kParamExtendedLength && body.remaining() >= 3 &&
      body.rest()[0] == kParamExtendedLength) {
    body.u8();
    params_length = *body.u16();
    extended = true;
  }
  open.extended_parameters = extended;
  if (params_length != body.remaining()) {
    return make_error(2, open_error::kUnspecific, at + 9,
                      "optional parameters length " + std::to_string(params_length) +
                          " does not match the " + std::to_string(body.remaining()) +
                          " octets that follow");
  }
  std::vector<std::uint8_t> per_parameter;
  while (!body.empty()) {
    const std::size_t param_at = body_offset + body.offset();
    const auto type = body.u8();
    std::optional<std::size_t> length;
    if (extended) {
      if (auto l = body.u16()) length = *l;
    } else if (auto l = body.u8()) {
      length = *l;
    }
    const auto value = (type && length) ? body.bytes(*length) : std::nullopt;
    if (!value) {
      return make_error(2, open_error::kUnspecific, param_at,
                        "optional parameter runs past the end of the OPEN message");
    }
    if (*type != kParamCapabilities) {
      return make_error(2, open_error::kUnsupportedOptionalParameter, param_at,
                        "unsupported optional parameter type " + std::to_string(*type));
    }
    Reader caps(*value);
    std::uint8_t count = 0;
    while (!caps.empty()) {
      const std::size_t cap_at = param_at + (extended ? 3 : 2) + caps.offset();
      const auto code = caps.u8();
      const auto cap_length = caps.u8();
      const auto cap_value = cap_length ? caps.bytes(*cap_length) : std::nullopt;
      if (!code || !cap_value) {
        return make_error(2, open_error::kUnspecific, cap_at,
                          "capability runs past the end of its optional parameter");
      }
      Capability cap;
      cap.code = *code;
      if (auto problem = decode_capability(*code, *cap_value, cap)) {
        return make_error(2, open_error::kUnspecific, cap_at, *problem);
      }
      open.capabilities.push_back(std::move(cap));
      ++count;
    }
    per_parameter.push_back(count);
  }
  // Remember the grouping only when it is not the default of one capability per parameter.
  if (!std::all_of(per_parameter.begin(), per_parameter.end(),
                   [](std::uint8_t n) { return n == 1; })) {
    open.capabilities_per_parameter = std::move(per_parameter);
  }
  return open;
}

namespace {

// The optional parameters, with 1-octet (RFC 4271) or 2-octet (RFC 9072) lengths; nullopt when
// 1-octet lengths cannot hold them.
std::optional<std::vector<std::uint8_t>> encode_parameters(const Open& open, bool extended) {
  std::vector<std::uint8_t> params;
  bool fits = true;
  std::size_t next = 0;
  const auto write_parameter = [&](std::size_t count) {
    put_u8(params, kParamCapabilities);
    const std::size_t length_at = params.size();
    if (extended) {
      put_u16(params, 0);
    } else {
      put_u8(params, 0);
    }
    for (std::size_t i = 0; i < count && next < open.capabilities.size(); ++i) {
      encode_capability(open.capabilities[next++], params);
    }
    const std::size_t length = params.size() - length_at - (extended ? 2 : 1);
    if (extended) {
      patch_u16(params, length_at, static_cast<std::uint16_t>(length));
    } else {
      fits = fits && length <= 255;
      params[length_at] = static_cast<std::uint8_t>(length);
    }
  };
  for (std::uint8_t count : open.capabilities_per_parameter) write_parameter(count);
  while (next < open.capabilities.size()) write_parameter(1);
  // RFC 9072 §2: a total of 255 would read as the extended-length escape.
  if (!extended && (!fits || params.size() >= kParamExtendedLength)) return std::nullopt;
  return params;
}

}  // namespace

void encode_open_body(const Open& open, std::vector<std::uint8_t>& out) {
  put_u8(out, open.version);
  put_u16(out, open.my_as);
  put_u16(out, open.hold_time);
  put_u32(out, open.bgp_identifier);
  auto params = open.extended_parameters ? std::nullopt : encode_parameters(open, false);
  const bool extended = !params;
  if (extended) params = encode_parameters(open, true);
  if (extended) {
    put_u8(out, kParamExtendedLength);
    put_u8(out, kParamExtendedLength);
    put_u16(out, static_cast<std::uint16_t>(params->size()));
  } else {
    put_u8(out, static_cast<std::uint8_t>(params->size()));
  }
  put_bytes(out, *params);
}

}  // namespace vipd::bgp::detail
