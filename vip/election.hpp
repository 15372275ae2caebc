#pragma once
// vipd::vip election: which node owns each layer-2 VIP, decided the same way on every node
// from the same snapshot and the same liveness facts, so that exactly one node brings a VIP up.
//
// Responsible for MetalLB's layer-2 rules (speaker/layer2_controller.go), applied to Kubernetes
// and standalone snapshots alike:
//  - A service address is a layer-2 VIP when its pool (the named one, else the pool holding
//    it) is selected by an L2Advertisement whose service selectors match the service; those
//    advertisements are the ones that apply.
//  - Nobody owns it when no endpoint anywhere can serve (Kubernetes: ready or serving;
//    standalone: this node's health check stands for its endpoint, see below).
//  - Candidates: live nodes (the Liveness given) that are Ready (Kubernetes: a Ready condition
//    that says False or Unknown takes the node out), without condition NetworkUnavailable,
//    without the exclude-from-external-load-balancers label (unless the snapshot ignores it),
//    selected by the node selectors of an applying advertisement (none: every node). Traffic
//    policy Local, and Romana VIPs, further need a serving endpoint on the node.
//  - Order: the advertisements' preferredNodeSelectors first (a node's score is the sum of the
//    weights of the preferences it matches; higher first), then SHA-256 of
//    `node + "#" + key` ascending, where the key is the service's first address in text form
//    (MetalLB's rule: the families of a dual-stack service and the services sharing an address
//    land on one node). The first candidate owns every address of the service.
//  - Interfaces on this node: the union of the `interfaces` of the applying advertisements
//    that select this node; any advertisement without interfaces means every interface.
//  - Standalone: the snapshot holds only this node's health verdicts, so a node whose check is
//    not passing (Local, or Cluster with a check configured) is not a candidate on its own
//    view; other nodes' verdicts arrive as their liveness for the service (the caller drops a
//    member whose check fails from the service's live set).
// Not responsible for: bringing addresses up (vip/reconciler.hpp), finding out which nodes
// are alive (the liveness sources), allocation.
// Pure: no I/O, clocks or logging; the same inputs always give the same decisions.

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.hpp"
#include "planner/snapshot.hpp"

namespace vipd::vip {

enum class Reason : std::uint8_t {
  kOwner,                   // this node owns the VIP
  kNotOwner,                // another candidate ranks first
  kNoEndpoints,             // no endpoint anywhere can serve
  kNoLocalEndpoint,         // Local / Romana: this node has no serving endpoint
  kHealthCheck,             // standalone: this node's check does not pass
  kNodeNotSelected,         // no applying advertisement selects this node
  kNodeExcluded,            // the exclusion label on this node
  kNodeNetworkUnavailable,  // condition NetworkUnavailable on this node
  kNodeNotReady,            // the node's Ready condition is False or Unknown
  kNodeNotLive,             // this node is not live (as the liveness sources see it)
  kNoCandidates,            // no node qualifies at all
};

std::string_view to_string(Reason reason);  // camelCase, as in /status

// Which nodes are alive now. Kubernetes: Node Ready and a speaker present; BFD makes a dead
// peer leave at once. `service_live`, when set, further filters per service key (standalone:
// members whose health check for that service fails).
struct Liveness {
  std::set<std::string, std::less<>> live;
  std::function<bool(std::string_view node, std::string_view service_key)> service_live;
};

struct Decision {
  std::string service;               // namespace/name
  std::vector<IpAddress> addresses;  // the service's addresses in layer-2 pools
  IpAddress key;                     // the first of them: the election key
  std::string pool;
  std::vector<std::string> ranked;   // the candidates, best first
  std::optional<std::string> owner;  // ranked.front(), if any
  bool mine = false;                 // owner == this node
  // This node's interfaces for the VIP; empty with all_interfaces: any interface.
  std::vector<std::string> interfaces;
  bool all_interfaces = false;
  Reason reason = Reason::kNotOwner;
  std::string detail;  // for a person: who owns it, or why nobody does
  friend bool operator==(const Decision&, const Decision&) = default;
};

// One decision per service with layer-2 addresses, in snapshot order. Services without any
// layer-2 address are not listed (the BGP planner speaks for them).
std::vector<Decision> elect(const planner::Snapshot& snapshot, std::string_view node,
                            const Liveness& liveness);

// Whether this node's own verdict lets it serve the service (standalone snapshots: Local and
// Romana VIPs need a passing check; Cluster a passing check or none). What a standalone member
// tells the others in its heartbeats.
bool serves_here(const planner::ServiceInfo& service);

// The speakers `node` keeps BFD sessions with for fast layer-2 liveness: in every decision's
// ranking, the candidates just above and just below it. Each watches the one ranked directly
// above it (the owner, for the second), so a dead owner's successor knows within a BFD
// detection time; both ends of a pair find each other from the same decisions, so never a full
// mesh: at most two sessions per decision.
std::set<std::string, std::less<>> bfd_neighbours(const std::vector<Decision>& decisions,
                                                  std::string_view node);

// The candidates in election order (SHA-256 of node#key, ascending; `score` higher first).
std::vector<std::string> rank(std::vector<std::string> nodes, std::string_view key,
                              const std::function<int(std::string_view)>& score = {});

}  // namespace vipd::vip
