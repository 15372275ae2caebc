#pragma once
// BGP-4 numbers from the RFCs and IANA registries: message types, AFI/SAFI, capability and
// path attribute codes, NOTIFICATION codes and subcodes. Pure.

#include <cstddef>
#include <cstdint>
#include <string>

namespace vipd::bgp {

inline constexpr std::size_t kHeaderSize = 19;                 // RFC 4271 §4.1
inline constexpr std::size_t kMaxMessageSize = 4096;           // RFC 4271 §4.1
inline constexpr std::size_t kMaxExtendedMessageSize = 65535;  // RFC 8654
inline constexpr std::uint8_t kVersion = 4;
inline constexpr std::uint16_t kAsTrans = 23456;  // RFC 6793 §9

enum class MessageType : std::uint8_t {
  kOpen = 1,
  kUpdate = 2,
  kNotification = 3,
  kKeepalive = 4,
  kRouteRefresh = 5,  // RFC 2918
};

// Address families vipd originates; others are kept as raw numbers.
enum class Afi : std::uint16_t { kIpv4 = 1, kIpv6 = 2 };
enum class Safi : std::uint8_t { kUnicast = 1 };

struct AfiSafi {
  std::uint16_t afi = 0;
  std::uint8_t safi = 0;
  friend auto operator<=>(const AfiSafi&, const AfiSafi&) = default;
};
inline constexpr AfiSafi kIpv4Unicast{1, 1};
inline constexpr AfiSafi kIpv6Unicast{2, 1};

enum class CapabilityCode : std::uint8_t {
  kMultiprotocol = 1,              // RFC 4760
  kRouteRefresh = 2,               // RFC 2918
  kExtendedNextHop = 5,            // RFC 8950
  kExtendedMessage = 6,            // RFC 8654
  kGracefulRestart = 64,           // RFC 4724
  kFourOctetAs = 65,               // RFC 6793
  kAddPath = 69,                   // RFC 7911
  kEnhancedRouteRefresh = 70,      // RFC 7313
  kLongLivedGracefulRestart = 71,  // RFC 9494
  kFqdn = 73,                      // draft-walton-bgp-hostname-capability
};

enum class AttrType : std::uint8_t {
  kOrigin = 1,
  kAsPath = 2,
  kNextHop = 3,
  kMultiExitDisc = 4,
  kLocalPref = 5,
  kAtomicAggregate = 6,
  kAggregator = 7,
  kCommunities = 8,           // RFC 1997
  kOriginatorId = 9,          // RFC 4456
  kClusterList = 10,          // RFC 4456
  kMpReachNlri = 14,          // RFC 4760
  kMpUnreachNlri = 15,        // RFC 4760
  kExtendedCommunities = 16,  // RFC 4360
  kAs4Path = 17,              // RFC 6793
  kAs4Aggregator = 18,        // RFC 6793
  kLargeCommunity = 32,       // RFC 8092
};

// RFC 4271 §4.3 attribute flags.
inline constexpr std::uint8_t kFlagOptional = 0x80;
inline constexpr std::uint8_t kFlagTransitive = 0x40;
inline constexpr std::uint8_t kFlagPartial = 0x20;
inline constexpr std::uint8_t kFlagExtendedLength = 0x10;

// RFC 4271 §4.5 error codes, with the subcodes of RFC 4271 §6, RFC 4486, RFC 7313, RFC 8538,
// RFC 9384.
enum class ErrorCode : std::uint8_t {
  kMessageHeader = 1,
  kOpenMessage = 2,
  kUpdateMessage = 3,
  kHoldTimerExpired = 4,
  kFsm = 5,
  kCease = 6,
  kRouteRefreshMessage = 7,
};

namespace header_error {
inline constexpr std::uint8_t kConnectionNotSynchronized = 1;
inline constexpr std::uint8_t kBadMessageLength = 2;
inline constexpr std::uint8_t kBadMessageType = 3;
}  // namespace header_error

namespace open_error {
inline constexpr std::uint8_t kUnspecific = 0;
inline constexpr std::uint8_t kUnsupportedVersion = 1;
inline constexpr std::uint8_t kBadPeerAs = 2;
inline constexpr std::uint8_t kBadBgpIdentifier = 3;
inline constexpr std::uint8_t kUnsupportedOptionalParameter = 4;
inline constexpr std::uint8_t kUnacceptableHoldTime = 6;
inline constexpr std::uint8_t kUnsupportedCapability = 7;
}  // namespace open_error

namespace update_error {
inline constexpr std::uint8_t kMalformedAttributeList = 1;
inline constexpr std::uint8_t kUnrecognizedWellKnownAttribute = 2;
inline constexpr std::uint8_t kMissingWellKnownAttribute = 3;
inline constexpr std::uint8_t kAttributeFlagsError = 4;
inline constexpr std::uint8_t kAttributeLengthError = 5;
inline constexpr std::uint8_t kInvalidOrigin = 6;
inline constexpr std::uint8_t kInvalidNextHop = 8;
inline constexpr std::uint8_t kOptionalAttributeError = 9;
inline constexpr std::uint8_t kInvalidNetworkField = 10;
inline constexpr std::uint8_t kMalformedAsPath = 11;
}  // namespace update_error

namespace cease {
inline constexpr std::uint8_t kMaxPrefixes = 1;
inline constexpr std::uint8_t kAdministrativeShutdown = 2;
inline constexpr std::uint8_t kPeerDeconfigured = 3;
inline constexpr std::uint8_t kAdministrativeReset = 4;
inline constexpr std::uint8_t kConnectionRejected = 5;
inline constexpr std::uint8_t kOtherConfigurationChange = 6;
inline constexpr std::uint8_t kConnectionCollisionResolution = 7;
inline constexpr std::uint8_t kOutOfResources = 8;
inline constexpr std::uint8_t kHardReset = 9;
inline constexpr std::uint8_t kBfdDown = 10;
}  // namespace cease

namespace route_refresh_error {
inline constexpr std::uint8_t kInvalidMessageLength = 1;
}  // namespace route_refresh_error

// RFC 7313 §3: the ROUTE-REFRESH Message Subtype (the Reserved octet of RFC 2918).
namespace route_refresh_subtype {
inline constexpr std::uint8_t kRequest = 0;  // a normal route refresh request (RFC 2918)
inline constexpr std::uint8_t kBegin = 1;    // BoRR: Beginning of Route Refresh
inline constexpr std::uint8_t kEnd = 2;      // EoRR: End of Route Refresh
}  // namespace route_refresh_subtype

// "Cease / Administrative Shutdown (6/2)": names for logs and metrics labels.
std::string error_name(std::uint8_t code, std::uint8_t subcode);
std::string message_type_name(std::uint8_t type);

}  // namespace vipd::bgp
