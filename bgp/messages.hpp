#pragma once
// BGP message values: what the codec decodes bytes into and encodes bytes from.
//
// Plain data, no behaviour beyond small derived accessors. Fields that the protocol makes
// optional are std::optional; lists keep wire order. Pure.

#include <array>
#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "bgp/constants.hpp"
#include "bgp/decode_error.hpp"
#include "common/ip_address.hpp"
#include "common/prefix.hpp"

namespace vipd::bgp {

// ---- capabilities (RFC 5492) -----------------------------------------------------------------

struct AddPathFamily {
  AfiSafi family;
  bool receive = false;  // RFC 7911 §4: bit 1
  bool send = false;     // bit 2
  friend bool operator==(const AddPathFamily&, const AddPathFamily&) = default;
};

struct GracefulRestartFamily {
  AfiSafi family;
  bool forwarding_preserved = false;  // F bit
  friend bool operator==(const GracefulRestartFamily&, const GracefulRestartFamily&) = default;
};

struct LlgrFamily {
  AfiSafi family;
  bool forwarding_preserved = false;
  std::uint32_t stale_time = 0;  // seconds, 24 bits
  friend bool operator==(const LlgrFamily&, const LlgrFamily&) = default;
};

struct ExtendedNextHopFamily {
  std::uint16_t nlri_afi = 0;
  std::uint16_t nlri_safi = 0;
  std::uint16_t next_hop_afi = 0;
  friend bool operator==(const ExtendedNextHopFamily&, const ExtendedNextHopFamily&) = default;
};

struct Capability {
  std::uint8_t code = 0;
  // Exactly the fields of `code` are meaningful; unknown codes keep `raw`.
  AfiSafi multiprotocol;                                 // 1
  std::vector<ExtendedNextHopFamily> extended_next_hop;  // 5
  bool restart_state = false;                            // 64: R bit
  bool graceful_notification = false;                    // 64: N bit (RFC 8538)
  std::uint16_t restart_time = 0;                        // 64: seconds, 12 bits
  std::vector<GracefulRestartFamily> graceful_restart;   // 64
  std::uint32_t four_octet_as = 0;                       // 65
  std::vector<AddPathFamily> add_path;                   // 69
  std::vector<LlgrFamily> long_lived_graceful_restart;   // 71
  std::string hostname;                                  // 73
  std::string domain_name;                               // 73
  std::vector<std::uint8_t> raw;                         // any code vipd does not interpret

  friend bool operator==(const Capability&, const Capability&) = default;
};

// ---- messages ------------------------------------------------------------------------------

struct Open {
  std::uint8_t version = kVersion;
  std::uint16_t my_as = 0;  // AS_TRANS when the real AS needs four octets
  std::uint16_t hold_time = 0;
  std::uint32_t bgp_identifier = 0;
  std::vector<Capability> capabilities;  // in wire order
  // How many capabilities each optional parameter carried; empty = one per parameter (what
  // vipd sends). Kept so a decoded OPEN re-encodes to the same bytes.
  std::vector<std::uint8_t> capabilities_per_parameter;
  bool extended_parameters = false;  // RFC 9072 encoding was used / must be used

  // The speaker's AS: the four-octet AS capability if present, else my_as.
  std::uint32_t asn() const;
  const Capability* find(CapabilityCode code) const;
  friend bool operator==(const Open&, const Open&) = default;
};

struct Keepalive {
  friend bool operator==(const Keepalive&, const Keepalive&) = default;
};

struct Notification {
  std::uint8_t code = 0;
  std::uint8_t subcode = 0;
  std::vector<std::uint8_t> data;
  // RFC 9003: the Shutdown Communication of Cease 2 and 4, when the data holds a valid one.
  std::optional<std::string> shutdown_message;
  friend bool operator==(const Notification&, const Notification&) = default;
};

struct RouteRefresh {
  std::uint16_t afi = 0;
  std::uint8_t subtype = 0;  // RFC 7313: 0 request, 1 BoRR, 2 EoRR
  std::uint8_t safi = 0;
  friend bool operator==(const RouteRefresh&, const RouteRefresh&) = default;
};

// ---- UPDATE --------------------------------------------------------------------------------

struct Nlri {
  Prefix prefix = Prefix::host(IpAddress());
  std::uint32_t path_id = 0;  // RFC 7911, when add-path is in use for the family
  friend bool operator==(const Nlri&, const Nlri&) = default;
};

enum class Origin : std::uint8_t { kIgp = 0, kEgp = 1, kIncomplete = 2 };

enum class AsSegmentType : std::uint8_t {
  kSet = 1,
  kSequence = 2,
  kConfedSequence = 3,  // RFC 5065
  kConfedSet = 4,
};

struct AsSegment {
  AsSegmentType type = AsSegmentType::kSequence;
  std::vector<std::uint32_t> asns;
  friend bool operator==(const AsSegment&, const AsSegment&) = default;
};

struct AsPath {
  std::vector<AsSegment> segments;
  // RFC 4271 §9.1.2.2: a SET counts 1, confederation segments count 0.
  std::size_t length() const;
  friend bool operator==(const AsPath&, const AsPath&) = default;
};

struct Aggregator {
  std::uint32_t asn = 0;
  IpAddress address;
  friend bool operator==(const Aggregator&, const Aggregator&) = default;
};

struct LargeCommunity {
  std::uint32_t global_admin = 0;
  std::uint32_t local_data1 = 0;
  std::uint32_t local_data2 = 0;
  friend auto operator<=>(const LargeCommunity&, const LargeCommunity&) = default;
};

// RFC 4360: eight octets, kept whole; helpers name the common kinds.
struct ExtendedCommunity {
  std::uint64_t value = 0;
  std::uint8_t type() const { return static_cast<std::uint8_t>(value >> 56); }
  std::uint8_t subtype() const { return static_cast<std::uint8_t>(value >> 48); }
  // draft-ietf-idr-link-bandwidth: type 0x40 (non-transitive two-octet AS), subtype 0x04;
  // the bandwidth is an IEEE float in bytes per second.
  bool is_link_bandwidth() const { return (type() & 0xbf) == 0x00 && subtype() == 0x04; }
  std::uint16_t link_bandwidth_asn() const { return static_cast<std::uint16_t>(value >> 32); }
  float link_bandwidth_bytes_per_second() const;
  static ExtendedCommunity link_bandwidth(std::uint16_t asn, float bytes_per_second);
  friend auto operator<=>(const ExtendedCommunity&, const ExtendedCommunity&) = default;
};

struct MpReach {
  AfiSafi family;
  std::optional<IpAddress> next_hop;             // IPv4 (4 octets) or IPv6 global (16 or 32)
  std::optional<IpAddress> link_local_next_hop;  // the second half of a 32-octet IPv6 next hop
  std::vector<std::uint8_t> raw_next_hop;        // families vipd does not decode
  std::vector<Nlri> nlri;                        // IPv4 / IPv6 unicast
  std::vector<std::uint8_t> raw_nlri;            // other families, undecoded
  friend bool operator==(const MpReach&, const MpReach&) = default;
};

struct MpUnreach {
  AfiSafi family;
  std::vector<Nlri> withdrawn;
  std::vector<std::uint8_t> raw_withdrawn;
  friend bool operator==(const MpUnreach&, const MpUnreach&) = default;
};

struct RawAttribute {
  std::uint8_t flags = 0;  // as received, less the extended-length bit (see AttributeLayout)
  std::uint8_t type = 0;
  std::vector<std::uint8_t> value;
  friend bool operator==(const RawAttribute&, const RawAttribute&) = default;
};

struct PathAttributes {
  std::optional<Origin> origin;
  std::optional<AsPath> as_path;
  std::optional<IpAddress> next_hop;
  std::optional<std::uint32_t> med;
  std::optional<std::uint32_t> local_pref;
  bool atomic_aggregate = false;
  std::optional<Aggregator> aggregator;
  std::optional<std::vector<std::uint32_t>> communities;
  std::optional<std::uint32_t> originator_id;
  std::optional<std::vector<std::uint32_t>> cluster_list;
  std::optional<MpReach> mp_reach;
  std::optional<MpUnreach> mp_unreach;
  std::optional<std::vector<ExtendedCommunity>> extended_communities;
  std::optional<AsPath> as4_path;
  std::optional<Aggregator> as4_aggregator;
  std::optional<std::vector<LargeCommunity>> large_communities;
  // Unrecognised optional transitive attributes (re-encoded with the Partial bit).
  std::vector<RawAttribute> unknown;
  friend bool operator==(const PathAttributes&, const PathAttributes&) = default;
};

// How the sender laid the attributes out, so a decoded message re-encodes to the same bytes.
// Empty (the default) means canonical: ascending type code, extended length only when needed.
struct AttributeLayout {
  std::vector<std::uint8_t> order;   // type codes as they appeared
  std::bitset<256> extended_length;  // type codes sent with the extended-length bit
  // Optional transitive attributes that arrived with the Partial bit: it stays set when the
  // attribute is passed on (RFC 4271 §4.3).
  std::bitset<256> partial;
  friend bool operator==(const AttributeLayout&, const AttributeLayout&) = default;
};

// A problem RFC 7606 lets the session survive: recorded, with what was done about it.
struct AttributeIssue {
  std::uint8_t type = 0;     // attribute type code (0: the attribute block as a whole)
  std::uint8_t subcode = 0;  // the UPDATE Message Error subcode it corresponds to
  ErrorAction action = ErrorAction::kNone;
  std::string reason;
  friend bool operator==(const AttributeIssue&, const AttributeIssue&) = default;
};

struct Update {
  std::vector<Nlri> withdrawn;  // IPv4 unicast withdrawn routes
  PathAttributes attributes;
  std::vector<Nlri> nlri;  // IPv4 unicast reachable routes
  AttributeLayout layout;
  // RFC 7606 outcome: the most severe action among `issues` (kNone when there are none).
  // kTreatAsWithdraw: every route this UPDATE announces must be handled as withdrawn.
  ErrorAction action = ErrorAction::kNone;
  std::vector<AttributeIssue> issues;

  // RFC 4724 §2 End-of-RIB marker: the family it ends, if this UPDATE is one.
  std::optional<AfiSafi> end_of_rib() const;
  friend bool operator==(const Update&, const Update&) = default;
};

using Message = std::variant<Open, Update, Notification, Keepalive, RouteRefresh>;

MessageType type_of(const Message& message);

}  // namespace vipd::bgp
