#pragma once
// What the speaker announces is decided from the cluster's objects: this file turns the
// informers' views (Services, EndpointSlices, Nodes) into the planner's snapshot types.
//
// Responsible for MetalLB's speaker rules on which Services count and what their endpoints say:
//  - a Service counts when it is of type LoadBalancer and its loadBalancerClass is unset (or
//    equals --lb-class when one is given); its addresses are the ones the controller wrote to
//    status.loadBalancer.ingress (never spec.loadBalancerIP or an annotation: only what was
//    allocated is announced); the pool is found from the address, as MetalLB's speaker does;
//  - its endpoints come from the EndpointSlices of its namespace labelled
//    kubernetes.io/service-name with its name; FQDN slices and slices being deleted are
//    skipped; each endpoint's node is its nodeName, and ready and serving are the conditions
//    with the API's defaults (so an endpoint serving while terminating still counts, as in
//    MetalLB);
//  - a Romana VIP (a romanaip or romanavip annotation) counts whatever its type: on a
//    LoadBalancer its addresses are the ingress ones, on any other type the spec.externalIPs
//    entries the controller recorded as its own in vipd.io/external-ips; either way it is
//    owned by layer 2 on a node with a serving endpoint (planner::ServiceInfo::romana_vip);
//  - a Node carries its labels, its NetworkUnavailable condition and whether it is Ready (a
//    Ready condition that says False or Unknown: not ready; none at all: ready).
// Not responsible for: the announcement rules themselves (planner/), reading the objects
// (the informers), the configuration (controller/source.hpp).
// Pure: no I/O.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "k8s/objects.hpp"
#include "k8s/service_view.hpp"
#include "planner/snapshot.hpp"

namespace vipd::speaker {

// The annotation where the controller records the spec.externalIPs entries it wrote.
inline constexpr std::string_view kExternalIpsAnnotation = "vipd.io/external-ips";

// A romanaip or romanavip annotation, whatever its value.
bool is_romana_vip(const k8s::Service& service);

// Whether the speaker announces this Service at all (type and class, or a Romana VIP).
bool serves(const k8s::Service& service, std::string_view lb_class);

// The planner's view of a Service it serves, with the endpoints of its slices.
planner::ServiceInfo service_info(const k8s::Service& service,
                                  std::span<const k8s::EndpointSlice* const> slices);

planner::NodeInfo node_info(const k8s::Node& node);

// "namespace/name" of the Service a slice belongs to; "" when it names none.
std::string slice_service_key(const k8s::EndpointSlice& slice);

}  // namespace vipd::speaker
