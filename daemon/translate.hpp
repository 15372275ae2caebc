#pragma once
// Translations between the configuration model and the modules that act on it: standalone
// services into allocator requests (pools: allocator/from_config.hpp), a configured BGP peer
// into the speaker's PeerConfig, and a planned route table into the speaker's RouteSet.
//
// Responsible for: the defaults vipd applies where MetalLB's configuration is silent (hold
// time 90 s, TTL 1 toward a directly connected eBGP peer, one address family per session
// unless dual-stack-address-family is set, PreferDualStack over the families a standalone
// service's candidate pools offer). Not responsible for: deciding anything (allocator,
// planner) or finding facts about the host (the caller passes them in: daemon/host.hpp).
// Pure functions; called from the daemon's one thread.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "allocator/types.hpp"
#include "bfd/session.hpp"
#include "bgp/peer_config.hpp"
#include "bgp/rib_out.hpp"
#include "common/result.hpp"
#include "config/model.hpp"

namespace vipd::daemon {

// The allocation request of a standalone service: its listed addresses (which decide its
// families), or addresses from its pool (or any pool that may serve it) under its
// ip-family-policy and ip-families, by Kubernetes' rules: the default policy is
// PreferDualStack, the default families those the candidate pools offer, IPv4 first. `pools`
// is allocator::pools_from_config(config), computed once by the caller for every service.
allocator::ServiceRequest to_request(const config::StandaloneService& service,
                                     const config::Config& config,
                                     const std::vector<allocator::Pool>& pools);

// What the speaker needs to know about the host for one peer.
struct HostFacts {
  std::uint32_t router_id = 0;  // used when the peer configures none
  // Next hops for the family the session's own address does not give (dual-stack peers).
  std::optional<IpAddress> next_hop_ipv4;
  std::optional<IpAddress> next_hop_ipv6;
  std::string hostname;
};

struct PeerOptions {
  bool restarting = false;  // RFC 4724 R bit: this process restarted (the state file existed)
};

// The session settings of one configured peer. Errors for what vipd cannot do (an unnumbered
// or dynamic-ASN peer: configuration validation refuses both, this is the second line).
Result<bgp::PeerConfig> to_peer_config(const config::Peer& peer, const HostFacts& host,
                                       const PeerOptions& options);

// The BFD session that guards one peer's BGP session (RFC 5882 §4.2).
struct BfdPeerSettings {
  std::string profile;  // the BFDProfile's name
  IpAddress peer;
  std::optional<IpAddress> local;  // the BGP session's source address, when it has one
  bfd::SessionConfig session;      // discriminator and jitter seed left 0 (the service's)
  bool multihop = false;           // RFC 5883, toward an ebgp-multihop peer
  std::uint8_t minimum_ttl = 254;  // multihop: the lowest TTL accepted (the profile's)
  friend bool operator==(const BfdPeerSettings&, const BfdPeerSettings&) = default;
};

// The BFD session of a peer whose configuration names a profile (`profile`: the planner's
// lookup of that name), or nothing when it names none. Errors: a named profile that is
// missing, or settings the BFD session refuses.
Result<std::optional<BfdPeerSettings>> to_bfd_settings(const config::Peer& peer,
                                                       const config::BfdProfile* profile,
                                                       const bgp::PeerConfig& session);

// The planned routes with the speaker's interned attributes: the plan's own map, each
// distinct attribute set looked up once.
bgp::RouteSet to_route_set(bgp::RouteSet&& planned, bgp::AttributeInterner& interner);

}  // namespace vipd::daemon
