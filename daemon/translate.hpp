#pragma once
// Translations between the configuration model and the modules that act on it: pools and
// standalone services into allocator terms, a configured BGP peer into the speaker's
// PeerConfig, and a planned route table into the speaker's RouteSet.
//
// Responsible for: the defaults vipd applies where MetalLB's configuration is silent (hold
// time 90 s, TTL 1 toward a directly connected eBGP peer, one address family per session
// unless dual-stack-address-family is set). Not responsible for: deciding anything (allocator,
// planner) or finding facts about the host (the caller passes them in).
// Pure functions; called from the daemon's one thread.

#include <optional>
#include <string>
#include <vector>

#include "allocator/types.hpp"
#include "bgp/rib_out.hpp"
#include "bgp/speaker.hpp"
#include "common/result.hpp"
#include "config/model.hpp"

namespace vipd::daemon {

std::vector<allocator::Pool> to_allocator_pools(const config::Config& config);

// The allocation request of a standalone service: its listed addresses, or one address per
// family its pool has (PreferDualStack), under its sharing key and ports.
allocator::ServiceRequest to_request(const config::StandaloneService& service,
                                     const config::Config& config);

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

// The session settings of one configured peer. Errors for what standalone cannot do (an
// unnumbered or dynamic-ASN peer).
Result<bgp::PeerConfig> to_peer_config(const config::Peer& peer, const HostFacts& host,
                                       const PeerOptions& options);
// A text that changes whenever anything in `config` that the session uses changes: a peer
// whose fingerprint is unchanged over a reload keeps its session.
std::string fingerprint(const bgp::PeerConfig& config);

bgp::RouteSet to_route_set(const std::map<Prefix, bgp::RouteAttributes>& routes,
                           bgp::AttributeInterner& interner);

}  // namespace vipd::daemon
