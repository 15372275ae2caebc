// Small derived accessors of the message values, and names for logs and metrics.
#include <bit>
#include <cstring>

#include "bgp/constants.hpp"
#include "bgp/messages.hpp"

namespace vipd::bgp {

std::uint32_t Open::asn() const {
  const Capability* cap = find(CapabilityCode::kFourOctetAs);
  return cap ? cap->four_octet_as : my_as;
}

const Capability* Open::find(CapabilityCode code) const {
  for (const auto& cap : capabilities) {
    if (cap.code == static_cast<std::uint8_t>(code)) return &cap;
  }
  return nullptr;
}

std::size_t AsPath::length() const {
  std::size_t n = 0;
  for (const auto& s : segments) {
    if (s.type == AsSegmentType::kSequence) n += s.asns.size();
    if (s.type == AsSegmentType::kSet) n += 1;
  }
  return n;
}

float ExtendedCommunity::link_bandwidth_bytes_per_second() const {
  return std::bit_cast<float>(static_cast<std::uint32_t>(value));
}

ExtendedCommunity ExtendedCommunity::link_bandwidth(std::uint16_t asn, float bytes_per_second) {
  // Type 0x40: two-octet AS specific, non-transitive; subtype 0x04.
  return ExtendedCommunity{(std::uint64_t{0x4004} << 48) | (std::uint64_t{asn} << 32) |
                           std::bit_cast<std::uint32_t>(bytes_per_second)};
}

std::optional<AfiSafi> Update::end_of_rib() const {
  if (!withdrawn.empty() || !nlri.empty() || action != ErrorAction::kNone) return std::nullopt;
  const PathAttributes& a = attributes;
  if (a == PathAttributes{}) return kIpv4Unicast;
  PathAttributes only_unreach;
  only_unreach.mp_unreach = a.mp_unreach;
  if (a.mp_unreach && a.mp_unreach->withdrawn.empty() && a.mp_unreach->raw_withdrawn.empty() &&
      a == only_unreach) {
    return a.mp_unreach->family;
  }
  return std::nullopt;
}

MessageType type_of(const Message& message) {
  static constexpr MessageType kTypes[] = {MessageType::kOpen, MessageType::kUpdate,
                                           MessageType::kNotification, MessageType::kKeepalive,
                                           MessageType::kRouteRefresh};
  return kTypes[message.index()];
}

std::string_view to_string(ErrorAction action) {
  switch (action) {
    case ErrorAction::kNone:
      return "none";
    case ErrorAction::kAttributeDiscard:
      return "attribute-discard";
    case ErrorAction::kTreatAsWithdraw:
      return "treat-as-withdraw";
    case ErrorAction::kAfiSafiDisable:
      return "afi-safi-disable";
    case ErrorAction::kSessionReset:
      return "session-reset";
  }
  return "unknown";
}

std::string message_type_name(std::uint8_t type) {
  switch (static_cast<MessageType>(type)) {
    case MessageType::kOpen:
      return "OPEN";
    case MessageType::kUpdate:
      return "UPDATE";
    case MessageType::kNotification:
      return "NOTIFICATION";
    case MessageType::kKeepalive:
      return "KEEPALIVE";
    case MessageType::kRouteRefresh:
      return "ROUTE-REFRESH";
  }
  return "type " + std::to_string(type);
}

std::string error_name(std::uint8_t code, std::uint8_t subcode) {
  static constexpr const char* kCodes[] = {"Unknown",
                                           "Message Header Error",
                                           "OPEN Message Error",
                                           "UPDATE Message Error",
                                           "Hold Timer Expired",
                                           "Finite State Machine Error",
                                           "Cease",
                                           "ROUTE-REFRESH Message Error"};
  static constexpr const char* kHeader[] = {"Unspecific", "Connection Not Synchronized",
                                            "Bad Message Length", "Bad Message Type"};
  static constexpr const char* kOpen[] = {"Unspecific",
                                          "Unsupported Version Number",
                                          "Bad Peer AS",
                                          "Bad BGP Identifier",
                                          "Unsupported Optional Parameter",
                                          "Authentication Failure",
                                          "Unacceptable Hold Time",
                                          "Unsupported Capability",
                                          "Deprecated (8)",
                                          "Deprecated (9)",
                                          "Deprecated (10)",
                                          "Role Mismatch"};
  static constexpr const char* kUpdate[] = {"Unspecific",
                                            "Malformed Attribute List",
                                            "Unrecognized Well-known Attribute",
                                            "Missing Well-known Attribute",
                                            "Attribute Flags Error",
                                            "Attribute Length Error",
                                            "Invalid ORIGIN Attribute",
                                            "Deprecated (7)",
                                            "Invalid NEXT_HOP Attribute",
                                            "Optional Attribute Error",
                                            "Invalid Network Field",
                                            "Malformed AS_PATH"};
  static constexpr const char* kCease[] = {"Unspecific",
                                           "Maximum Number of Prefixes Reached",
                                           "Administrative Shutdown",
                                           "Peer De-configured",
                                           "Administrative Reset",
                                           "Connection Rejected",
                                           "Other Configuration Change",
                                           "Connection Collision Resolution",
                                           "Out of Resources",
                                           "Hard Reset",
                                           "BFD Down"};
  static constexpr const char* kFsm[] = {"Unspecific",
                                         "Receive Unexpected Message in OpenSent State",
                                         "Receive Unexpected Message in OpenConfirm State",
                                         "Receive Unexpected Message in Established State"};
  static constexpr const char* kRouteRefresh[] = {"Reserved", "Invalid Message Length"};

  const auto pick = [&](const auto& table) -> std::string {
    if (subcode < std::size(table)) return table[subcode];
    return "subcode " + std::to_string(subcode);
  };
  std::string sub;
  switch (code) {
    case 1:
      sub = pick(kHeader);
      break;
    case 2:
      sub = pick(kOpen);
      break;
    case 3:
      sub = pick(kUpdate);
      break;
    case 5:
      sub = pick(kFsm);
      break;
    case 6:
      sub = pick(kCease);
      break;
    case 7:
      sub = pick(kRouteRefresh);
      break;
    default:
      sub = subcode == 0 ? "" : "subcode " + std::to_string(subcode);
      break;
  }
  const std::string name =
      code < std::size(kCodes) && code != 0 ? kCodes[code] : "code " + std::to_string(code);
  return name + (sub.empty() ? "" : " / " + sub) + " (" + std::to_string(code) + "/" +
         std::to_string(subcode) + ")";
}

}  // namespace vipd::bgp
