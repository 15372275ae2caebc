#pragma once
// The snapshot every source produces and the planner reads: the configuration in force, the
// nodes (labels and conditions), and the services with their assigned addresses and either
// their endpoints per node (Kubernetes) or their health-check verdict on this node
// (standalone). A Kubernetes informer and the standalone file both fill these types; nothing
// here knows where the values came from.
// Pure value types; no I/O.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.hpp"
#include "common/label_selector.hpp"
#include "config/model.hpp"

namespace vipd::planner {

// A node carrying this label (any value) announces no service (as in MetalLB and the
// Kubernetes service controller).
inline constexpr std::string_view kExcludeFromLoadBalancersLabel =
    "node.kubernetes.io/exclude-from-external-load-balancers";

enum class SnapshotKind : std::uint8_t { kKubernetes, kStandalone };

struct NodeInfo {
  std::string name;
  Labels labels;
  bool network_unavailable = false;  // condition NetworkUnavailable has status True
  // Kubernetes: false when the Ready condition says False or Unknown (a Node without one, as
  // the standalone file's, counts as ready). Only the layer-2 election reads it.
  bool ready = true;
  friend bool operator==(const NodeInfo&, const NodeInfo&) = default;
};

// One endpoint of an EndpointSlice (Kubernetes snapshots only).
struct Endpoint {
  std::string node;      // nodeName; empty: unknown, never counts as local
  bool ready = false;    // conditions.ready; the view must map an unset ready to true
  bool serving = false;  // conditions.serving
  // Optional. Entries that share an address count as one endpoint, which can serve only if
  // all of them can (MetalLB: an unready port of an address wins).
  std::string address;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// The verdict of a standalone service's health check on this node.
enum class Health : std::uint8_t {
  kUnchecked,  // no check configured
  kPending,    // configured, no verdict yet (rise not reached since start)
  kPassing,
  kFailing,
};

struct ServiceInfo {
  std::string namespace_;
  std::string name;
  Labels labels;
  std::vector<IpAddress> addresses;  // assigned (ingress) addresses, at most one per family
  std::string pool;                  // the pool they came from; empty: found from the address
  config::TrafficPolicy traffic_policy = config::TrafficPolicy::kCluster;
  // A Romana VIP (romanavip / romanaip annotation): owned by layer 2 on a node with a serving
  // endpoint, whatever the traffic policy.
  bool romana_vip = false;
  std::vector<Endpoint> endpoints;     // Kubernetes snapshots
  Health health = Health::kUnchecked;  // standalone snapshots

  std::string key() const { return namespace_ + "/" + name; }
  friend bool operator==(const ServiceInfo&, const ServiceInfo&) = default;
};

struct Snapshot {
  SnapshotKind kind = SnapshotKind::kKubernetes;
  const config::Config* config = nullptr;  // required
  std::vector<NodeInfo> nodes;             // standalone: just this node
  std::vector<ServiceInfo> services;
  // MetalLB's speaker flag --ignore-exclude-lb: the exclusion label is not honoured.
  bool ignore_exclude_label = false;
};
}  // namespace vipd::planner
