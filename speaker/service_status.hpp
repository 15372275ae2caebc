#pragma once
// The ServiceBGPStatus objects a speaker keeps (metallb.io/v1beta1, as MetalLB ≥ 0.14 writes
// them): one per Service this node announces, in the speaker's namespace, labelled
// metallb.io/node, metallb.io/service-name and metallb.io/service-namespace, its status naming
// the node, the Service and the BGP peers (by name) it is announced to. This file decides
// what they should say and what to change to get there.
// Pure: no I/O.

#include <map>
#include <string>
#include <vector>

#include "planner/planner.hpp"

namespace vipd::speaker {

inline constexpr std::string_view kLabelNode = "metallb.io/node";
inline constexpr std::string_view kLabelServiceName = "metallb.io/service-name";
inline constexpr std::string_view kLabelServiceNamespace = "metallb.io/service-namespace";

// Service "namespace/name" → the peers (sorted, once each) it is announced to from this node.
std::map<std::string, std::vector<std::string>> announced_peers(
    const std::vector<planner::Decision>& decisions);

// One ServiceBGPStatus of this node found in the cluster.
struct HeldStatus {
  std::string name;     // the object's name (bgp-xxxxx)
  std::string service;  // "namespace/name" from its labels
  std::vector<std::string> peers;
  friend bool operator==(const HeldStatus&, const HeldStatus&) = default;
};

struct StatusChanges {
  std::vector<std::string> create;  // services without an object
  std::vector<HeldStatus> update;   // objects whose peers change (peers: the new ones)
  std::vector<std::string> remove;  // object names: services no longer announced, duplicates
  bool empty() const { return create.empty() && update.empty() && remove.empty(); }
  friend bool operator==(const StatusChanges&, const StatusChanges&) = default;
};

// What turns `held` (every object of this node, duplicates included) into `desired`. The
// first object of a service (by name) is kept; the others are removed.
StatusChanges status_changes(const std::map<std::string, std::vector<std::string>>& desired,
                             const std::vector<HeldStatus>& held);

}  // namespace vipd::speaker
