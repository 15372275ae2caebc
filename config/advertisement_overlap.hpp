#pragma once
// Whether two BGP advertisements of one pool announce the same prefix to the same peer from the
// same node: MetalLB refuses two such advertisements with different LOCAL_PREF values (a router
// would receive one route with two preferences).
//
// MetalLB's rule, per pool both advertisements select, ignoring advertisements with service
// selectors (which services they carry is unknown until run time): they collide unless
//  - their aggregation lengths differ for every family the pool holds (IPv4 only: the IPv4
//    length; IPv6 only: the IPv6 length; both: both lengths), so the prefixes differ; or
//  - both name their peers and no peer is named by both; or
//  - no node is selected by both node selectors.
// MetalLB decides the last one on the cluster's Node objects. Here nodes are not known, so the
// answer is: certain when both select every node, possible when one selector of each can match
// one set of labels, never otherwise.
//
// Not responsible for: reporting (validate.cpp). Pure; no I/O. Thread: any.

#include <vector>

#include "common/label_selector.hpp"
#include "config/model.hpp"

namespace vipd::config {

enum class NodeOverlap { kNever, kPossible, kCertain };

// Whether one set of labels can satisfy both selectors at once.
bool selectors_can_overlap(const LabelSelector& a, const LabelSelector& b);

// Nodes selected by both lists of node selectors (an empty list selects every node).
NodeOverlap node_overlap(const std::vector<LabelSelector>& a, const std::vector<LabelSelector>& b);

// How surely `a` and `b`, both applied to `pool`, announce one prefix to one peer from one node:
// kNever when MetalLB finds their LOCAL_PREF values compatible whatever they are.
NodeOverlap announcement_overlap(const BgpAdvertisement& a, const BgpAdvertisement& b,
                                 const Pool& pool);

}  // namespace vipd::config
