#pragma once
// vipd::config model: the one normalised configuration every front end produces.
//
// The MetalLB ConfigMap, the MetalLB resources and the standalone file all map into these
// plain structs; the allocator, the BGP speaker and the layer-2 owner read only this. The model
// is shaped like MetalLB's resources (pools, peers, advertisements that select pools), because
// the ConfigMap converts into that shape without loss. It holds values, not positions: where a
// value came from is kept beside it in `Origins` (diagnostic.hpp). Pure; no I/O.

#include <chrono>
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/boxed.hpp"
#include "common/label_selector.hpp"
#include "common/prefix.hpp"
#include "common/result.hpp"

namespace vipd::config {

// Go's time.Duration text ("90s", "1m30s", "1.5s", "300ms"), as MetalLB writes and reads it.
using Duration = std::chrono::nanoseconds;
Result<Duration> parse_duration(std::string_view text);
std::string format_duration(Duration d);  // Go's Duration.String(): "1m30s", "2m0s", "0s"

// RFC 1997 community ("65535:65281") or RFC 8092 large community ("large:64496:1:2").
struct Community {
  enum class Kind : std::uint8_t { kStandard, kLarge };
  Kind kind = Kind::kStandard;
  std::uint32_t global = 0;  // standard: the high 16 bits; large: the global administrator
  std::uint32_t local1 = 0;  // standard: the low 16 bits
  std::uint32_t local2 = 0;  // large only

  // kInvalidArgument: not shaped like a community (so it may be an alias name);
  // kOutOfRange: shaped like one, with a part out of range.
  static Result<Community> parse(std::string_view text);
  std::string to_string() const;
  friend auto operator<=>(const Community&, const Community&) = default;
};

// One entry of a pool's `addresses`: a CIDR or a first-last range, kept as written.
struct AddressBlock {
  IpRange range = IpRange::from_prefix(Prefix::host(IpAddress()));
  bool is_cidr = false;  // written as address/length (the range is then exactly that CIDR)

  Family family() const { return range.family(); }
  // The shortest prefix length among the CIDRs that cover the block (its largest CIDR).
  int widest_prefix_length() const;
  std::string to_string() const;  // "192.0.2.0/24" or "192.0.2.10-192.0.2.20"
  friend bool operator==(const AddressBlock&, const AddressBlock&) = default;
};

struct ServiceAllocation {
  int priority = 0;
  std::vector<std::string> namespaces;
  std::vector<LabelSelector> namespace_selectors;
  std::vector<LabelSelector> service_selectors;
  friend bool operator==(const ServiceAllocation&, const ServiceAllocation&) = default;
};

struct Pool {
  std::string name;
  std::vector<AddressBlock> addresses;
  bool auto_assign = true;
  bool avoid_buggy_ips = false;
  std::optional<ServiceAllocation> service_allocation;
  Labels labels;  // resource labels, matched by advertisements' ipAddressPoolSelectors

  // Number of addresses per family (saturating), before avoid-buggy-ips.
  u128 size(Family family) const;
  friend bool operator==(const Pool&, const Pool&) = default;
};

enum class DynamicAsn : std::uint8_t { kNone, kInternal, kExternal };

struct Peer {
  std::string name;
  std::uint32_t my_asn = 0;
  std::uint32_t peer_asn = 0;  // 0 when dynamic_asn is set
  DynamicAsn dynamic_asn = DynamicAsn::kNone;
  std::optional<IpAddress> address;  // or `interface` (BGP unnumbered)
  std::string interface;
  std::uint16_t port = 179;
  std::optional<IpAddress> source_address;
  std::optional<Duration> hold_time;
  std::optional<Duration> keepalive_time;
  std::optional<Duration> connect_time;
  std::optional<IpAddress> router_id;
  std::string password;
  std::string password_secret;  // name of a kubernetes.io/basic-auth Secret
  std::string password_secret_namespace;
  std::string bfd_profile;
  bool ebgp_multihop = false;
  bool graceful_restart = false;
  bool dual_stack_address_family = false;
  bool disable_mp = false;
  std::uint32_t local_asn = 0;
  std::string vrf;
  std::vector<LabelSelector> node_selectors;  // empty: every node
  // vipd's own settings (ConfigMap and standalone keys, `vipd.io/` annotations on a BGPPeer):
  bool passive = false;  // wait for the peer to connect, never dial (RFC 4271 §8.1.1)
  bool gtsm = false;     // RFC 5082: send with TTL 255, accept only TTL 255 (one hop)

  bool is_ibgp() const { return dynamic_asn == DynamicAsn::kNone && my_asn == peer_asn; }
  friend bool operator==(const Peer&, const Peer&) = default;
};

struct BgpAdvertisement {
  std::string name;
  int aggregation_length = 32;
  int aggregation_length_v6 = 128;
  std::uint32_t local_pref = 0;          // 0: not set (MetalLB's convention)
  std::vector<std::string> communities;  // as written: values or alias names
  std::vector<std::string> pools;        // by name; with pool_selectors, none: every pool
  std::vector<LabelSelector> pool_selectors;
  std::vector<LabelSelector> node_selectors;
  std::vector<std::string> peers;  // by name; empty: every peer
  std::vector<LabelSelector> service_selectors;
  friend bool operator==(const BgpAdvertisement&, const BgpAdvertisement&) = default;
};

struct PreferredNodeSelector {
  int weight = 1;
  LabelSelector preference;
  friend bool operator==(const PreferredNodeSelector&, const PreferredNodeSelector&) = default;
};

struct L2Advertisement {
  std::string name;
  std::vector<std::string> pools;
  std::vector<LabelSelector> pool_selectors;
  std::vector<LabelSelector> node_selectors;
  std::vector<std::string> interfaces;  // empty: every interface
  std::vector<LabelSelector> service_selectors;
  std::vector<PreferredNodeSelector> preferred_node_selectors;
  friend bool operator==(const L2Advertisement&, const L2Advertisement&) = default;
};

struct BfdProfile {
  std::string name;
  std::optional<std::uint32_t> receive_interval_ms;
  std::optional<std::uint32_t> transmit_interval_ms;
  std::optional<std::uint32_t> detect_multiplier;
  std::optional<std::uint32_t> echo_interval_ms;
  bool echo_mode = false;
  bool passive_mode = false;
  std::optional<std::uint32_t> minimum_ttl;
  friend bool operator==(const BfdProfile&, const BfdProfile&) = default;
};

// Standalone mode: services declared in the file instead of read from Kubernetes.
struct ServicePort {
  std::uint16_t port = 0;
  std::string protocol = "TCP";  // TCP, UDP or SCTP
  friend bool operator==(const ServicePort&, const ServicePort&) = default;
};

// Exactly one kind per check: `tcp: "ADDRESS:PORT"` (connect succeeds), `http: "http://
// ADDRESS:PORT/PATH"` (GET answers 2xx) or `exec: [argv...]` (the command, run without a shell,
// exits 0 within the timeout).
struct HealthCheck {
  enum class Kind : std::uint8_t { kTcp, kHttp, kExec };
  Kind kind = Kind::kTcp;
  IpAddress address;  // tcp and http: the target
  std::uint16_t port = 0;
  std::string http_path = "/";       // http: path (and query) of the GET
  std::vector<std::string> command;  // exec: argv[0] and its arguments
  Duration interval = std::chrono::seconds(1);
  Duration timeout = std::chrono::seconds(1);
  int rise = 2;  // consecutive successes before the service counts as healthy
  int fall = 3;  // consecutive failures before it counts as unhealthy
  friend bool operator==(const HealthCheck&, const HealthCheck&) = default;
};

enum class TrafficPolicy : std::uint8_t { kCluster, kLocal };

// Kubernetes' Service ipFamilyPolicy, spelled as Kubernetes spells it.
enum class IpFamilyPolicy : std::uint8_t { kSingleStack, kPreferDualStack, kRequireDualStack };
std::string_view to_string(IpFamilyPolicy policy);  // "SingleStack", ...

// What a standalone service may say besides its name, namespace and traffic policy. Most
// services in a large file say nothing more, so this is kept on the heap only when something
// was written: 80 octets a service instead of 272 (27 MiB for 100,000 services).
struct StandaloneServiceDetails {
  std::vector<IpAddress> addresses;  // requested; at most one per family
  std::string pool;                  // allocate from this pool
  std::vector<ServicePort> ports;
  std::string sharing_key;
  BoxedOptional<HealthCheck> health_check;
  // As written (Kubernetes' ipFamilyPolicy and ipFamilies, the first family the primary); unset
  // and empty when the file leaves them out, and always so with `addresses`. The daemon picks
  // the defaults (PreferDualStack over the families the candidate pools offer).
  std::optional<IpFamilyPolicy> ip_family_policy;
  std::vector<Family> ip_families;
  Labels labels;  // matched by pools' and BGP advertisements' service selectors
  friend bool operator==(const StandaloneServiceDetails&,
                         const StandaloneServiceDetails&) = default;
};

struct StandaloneService {
  std::string name;
  std::string namespace_ = "default";
  TrafficPolicy traffic_policy = TrafficPolicy::kCluster;
  // Read through details(), written through edit(); empty details and none compare equal.
  BoxedOptional<StandaloneServiceDetails> more;

  const StandaloneServiceDetails& details() const;  // the defaults when none were written
  StandaloneServiceDetails& edit();                 // makes them when needed
  friend bool operator==(const StandaloneService& a, const StandaloneService& b) {
    return a.name == b.name && a.namespace_ == b.namespace_ &&
           a.traffic_policy == b.traffic_policy && a.details() == b.details();
  }
};

// A member of the standalone cluster, for node selectors (and, later, layer-2 election).
struct StandaloneNode {
  std::string name;
  Labels labels;  // holds kubernetes.io/hostname (= name unless the file sets it)
  std::vector<IpAddress> addresses;
  friend bool operator==(const StandaloneNode&, const StandaloneNode&) = default;
};

struct Standalone {
  std::string node;                   // empty: the host name, filled in by the daemon
  std::vector<StandaloneNode> nodes;  // empty: the file lists no nodes
  std::vector<StandaloneService> services;
  friend bool operator==(const Standalone&, const Standalone&) = default;
};

enum class SourceFormat : std::uint8_t { kConfigMap, kResources, kStandalone };
std::string_view to_string(SourceFormat format);

struct Config {
  std::vector<Pool> pools;
  std::vector<Peer> peers;
  std::vector<BgpAdvertisement> bgp_advertisements;
  std::vector<L2Advertisement> l2_advertisements;
  std::map<std::string, Community, std::less<>> communities;  // aliases by name
  std::vector<BfdProfile> bfd_profiles;
  std::optional<Standalone> standalone;

  const Pool* find_pool(std::string_view name) const;
  // Whether an L2Advertisement selects the pool: a layer-2 pool (a ConfigMap `protocol:
  // layer2` pool has its own L2Advertisement).
  bool is_layer2(const Pool& pool) const;
  // A community written in an advertisement: an alias, else a literal value.
  std::optional<Community> resolve_community(std::string_view text) const;
  friend bool operator==(const Config&, const Config&) = default;
};

// MetalLB (setBGPAdvertisementsToPools, and the same for layer 2): an advertisement selects the
// pools it names plus the pools whose labels one of its pool selectors matches; neither given
// means every pool.
bool selects_pool(const BgpAdvertisement& ad, const Pool& pool);
bool selects_pool(const L2Advertisement& ad, const Pool& pool);

}  // namespace vipd::config
