#pragma once
// MetalLB's speaker rules that both announcers share: the BGP planner (planner.hpp) and the
// layer-2 election (vip/election.hpp) decide with the same selector, pool and endpoint rules.
// Pure; no I/O.

#include <optional>
#include <string_view>
#include <vector>

#include "common/ip_address.hpp"
#include "common/label_selector.hpp"
#include "config/model.hpp"
#include "planner/snapshot.hpp"

namespace vipd::planner {

// MetalLB's node, peer and service selector lists: no selector selects everything, several
// are ORed.
bool selected_by(const std::vector<LabelSelector>& selectors, const Labels& labels);

// One of the pool's blocks contains the address.
bool holds(const config::Pool& pool, const IpAddress& address);

// MetalLB's hasHealthyEndpoint with EndpointCanServe: an endpoint counts when it is ready or
// serving; entries sharing an address serve only if all of them can. `node`: only endpoints
// on that node count (Local); nullopt: any endpoint (Cluster).
bool has_serving_endpoint(const std::vector<Endpoint>& endpoints,
                          std::optional<std::string_view> node);

}  // namespace vipd::planner
