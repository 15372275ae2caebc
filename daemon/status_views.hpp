#pragma once
// The daemon's state as the admin module's plain views (admin/status.hpp): one conversion per
// kind, shared by every daemon command that serves /status.
// Thread: the daemon's one thread.

#include <map>
#include <string>
#include <vector>

#include "admin/status.hpp"
#include "bgp/peer_config.hpp"
#include "common/clock.hpp"
#include "config/model.hpp"
#include "daemon/route_reconciler.hpp"
#include "health/health.hpp"
#include "planner/planner.hpp"

namespace vipd::daemon {

// `identity` may be null (a peer the reconciler no longer plans, still closing).
admin::PeerView peer_view(const bgp::PeerStatus& status, const PeerIdentity* identity,
                          Clock::time_point now);
admin::AnnouncementView announcement_view(const planner::Decision& decision);
// The announcements on `query`'s page, their count and the summary by reason. `peers`
// (address -> identity) lets a query name a peer by its address.
void fill_announcements(admin::DaemonStatus& status,
                        const std::vector<planner::Decision>& decisions,
                        const std::map<std::string, PeerIdentity>& peers,
                        const admin::StatusQuery& query);
// The health of a service with a check; `status` null while the checker has none yet.
admin::HealthView health_view(const config::HealthCheck& check,
                              const health::HealthChecker::Status* status);

}  // namespace vipd::daemon
