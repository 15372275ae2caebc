#pragma once
// vipd::planner: from one snapshot (configuration, nodes, services with their addresses
// and endpoints or health verdicts) and this node's name, the routes this node announces to
// each BGP peer, and one decision with a reason for every service address (shown in /status).
//
// Responsible for MetalLB's speaker rules, applied the same way to Kubernetes and standalone
// snapshots:
//  - Sessions: a peer is used on this node when one of its node selectors matches the node's
//    labels (none: every node). Node exclusion does not stop sessions; MetalLB's speaker also
//    keeps them and only withdraws the routes.
//  - Address → pool: the pool holding the address (MetalLB's speaker finds it the same way);
//    a pool named in the snapshot must exist and hold the address.
//  - Advertisements: a BGP advertisement applies when it selects the pool (by name, or by a
//    pool selector matching the pool's labels; neither: every pool), its node selectors match
//    this node and its service selectors match the service (none: all), and, per peer, its
//    `peers` list names the peer (none: every peer). A pool with no BGP advertisement (a
//    layer-2 pool) is not announced over BGP.
//  - Node: NetworkUnavailable, or the label node.kubernetes.io/exclude-from-external-load-
//    balancers (any value), withdraws every route of the node.
//  - Kubernetes traffic policy: Cluster needs an endpoint anywhere that is ready or serving,
//    Local one on this node. Standalone: the service's own health check stands for its local
//    endpoint (Local needs it passing); Cluster needs no check, but when one is configured it
//    gates the announcement too (a check the user wrote is a check the user wants obeyed).
//  - Families: a session carries the family of the peer's address, and both with
//    dual-stack-address-family (MetalLB's rule); an address of the other family is not
//    planned for that peer (addressFamilyNotCarried).
//  - Prefix: the address masked to the advertisement's aggregation length (per family). Every
//    (service, advertisement) pair that yields one prefix toward one peer merges into one
//    route: communities (standard and large) are the union, LOCAL_PREF is set only toward iBGP
//    peers and, when advertisements disagree, the highest wins (the decision says so).
//    With aggregation the prefix is announced while any service inside it qualifies, for
//    Local too (MetalLB does the same: each qualifying service "generates" the aggregate).
// Not responsible for: allocation (allocator/), reading Kubernetes or the file, which families
// a session carries and next hops (the session's ExportPolicy and AdjRibOut), BFD, layer 2.
// Pure: no I/O, clocks, logging or global state; the same snapshot always gives the same plan.
// Called from the daemon's one thread; the plan holds pointers into snapshot.config.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bgp/rib_out.hpp"
#include "common/ip_address.hpp"
#include "common/label_selector.hpp"
#include "common/prefix.hpp"
#include "common/shared_text.hpp"
#include "config/model.hpp"
#include "planner/snapshot.hpp"

namespace vipd::planner {

enum class Reason : std::uint8_t {
  kAnnounced,
  kNoAddress,                 // the service has no address assigned yet
  kPoolNotFound,              // the named pool is not in the configuration
  kIpNotAllowed,              // no configured pool holds the address (or not the named one)
  kNodeUnknown,               // this node is not in the snapshot
  kNoMatchingAdvertisement,   // no BGP advertisement for the pool, node, service or peer
  kNodeNetworkUnavailable,    // condition NetworkUnavailable
  kNodeExcluded,              // the exclude-from-external-load-balancers label
  kNoEndpoints,               // Cluster: no endpoint anywhere is ready or serving
  kNoLocalEndpoints,          // Local: no endpoint on this node is ready or serving
  kHealthCheckFailing,        // standalone: the check says the service is down
  kHealthCheckPending,        // standalone: the check has no verdict yet
  kNoHealthCheck,             // standalone Local without a check: nothing vouches for it
  kNoPeers,                   // the service qualifies, but no peer is used on this node
  kInvalidAggregationLength,  // outside 0..32 / 0..128 (a configuration validation missed)
  kFilteredByNodeSelector,    // skipped peers: the peer's node selectors miss this node
  kAddressFamilyNotCarried,   // the session carries the other family only
};

inline constexpr std::array kAllReasons = {
    Reason::kAnnounced,
    Reason::kNoAddress,
    Reason::kPoolNotFound,
    Reason::kIpNotAllowed,
    Reason::kNodeUnknown,
    Reason::kNoMatchingAdvertisement,
    Reason::kNodeNetworkUnavailable,
    Reason::kNodeExcluded,
    Reason::kNoEndpoints,
    Reason::kNoLocalEndpoints,
    Reason::kHealthCheckFailing,
    Reason::kHealthCheckPending,
    Reason::kNoHealthCheck,
    Reason::kNoPeers,
    Reason::kInvalidAggregationLength,
    Reason::kFilteredByNodeSelector,
    Reason::kAddressFamilyNotCarried,
};

// camelCase, as MetalLB spells its reasons: "announced", "noLocalEndpoints", ...
std::string_view to_string(Reason reason);

// One per (service, address, peer, prefix) once peers are concerned; one per (service,
// address) with peer "" when the address is refused before that (node excluded, no endpoints).
struct Decision {
  std::string service;               // "namespace/name"
  std::optional<IpAddress> address;  // none with kNoAddress
  std::optional<Prefix> prefix;      // the prefix announced (kAnnounced)
  SharedText peer;                   // peer name; "": every peer (shared: a handful of peers)
  Reason reason = Reason::kAnnounced;
  // For people: which advertisements matched, what is missing. Shared: most decisions of a
  // plan say one of a handful of texts.
  SharedText detail;
  friend bool operator==(const Decision&, const Decision&) = default;
};

struct PeerPlan {
  const config::Peer* peer = nullptr;       // a peer whose node selectors select this node
  const config::BfdProfile* bfd = nullptr;  // the peer's BFD profile, if it names one
  bool internal = false;                    // iBGP: LOCAL_PREF is part of the routes
  // Normalized and interned within the plan (equal attribute sets share one copy); the
  // speaker's own interner takes them over (daemon/translate.hpp to_route_set()).
  bgp::RouteSet routes;
  // Routes compare by their attributes' values: two plans never share an interner.
  friend bool operator==(const PeerPlan& a, const PeerPlan& b);
};

struct Plan {
  std::vector<PeerPlan> peers;  // in configuration order; only the peers used on this node
  std::vector<std::pair<std::string, Reason>> skipped_peers;  // peer name, why no session
  // Sorted by service, address, peer, prefix, reason, detail.
  std::vector<Decision> decisions;
  friend bool operator==(const Plan&, const Plan&) = default;
};

// Whether LOCAL_PREF goes to this peer: same AS, or dynamic ASN "internal".
bool is_internal(const config::Peer& peer);

Plan plan(const Snapshot& snapshot, std::string_view node_name);

}  // namespace vipd::planner
