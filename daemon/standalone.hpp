#pragma once
// `vipd standalone`: controller and speaker in one process, for a host without Kubernetes.
//
// Responsible for the wiring only: load the standalone file (config/), decide the addresses
// (daemon/standalone_allocation.hpp, the same rule at start and at reload), run the services'
// health checks (health/), plan the announcements (planner/) and make the BGP speaker match the
// plan (daemon/route_reconciler.hpp), serve the admin endpoint (admin/); reload on SIGHUP and
// when the file changes (a bad file is rejected and the last good configuration stays in
// force); drain on SIGTERM (RFC 8326), exit at once on SIGINT.
// With layer-2 pools it also exchanges heartbeats with the file's other `nodes` (UDP 7947,
// vip/membership_service.hpp) and brings up the VIPs this host owns (daemon/vip_owner.hpp).
// Not responsible for: any decision, putting BGP-announced service addresses on an interface
// (the operator binds them, e.g. on lo).
// Runs on one io_context on the calling thread until a signal ends it.

#include <chrono>
#include <cstdint>
#include <string>

#include "config/load.hpp"

namespace vipd::daemon {

struct StandaloneOptions {
  std::string config_file;
  std::uint64_t max_config_bytes = config::kDefaultMaxConfigFileBytes;  // --max-config-size
  std::string admin = "127.0.0.1:7473";
  std::string state_dir = "/var/lib/vipd";
  std::string node;  // overrides the file's `node` (default: the host name)
  std::chrono::milliseconds drain_time{5000};
  std::chrono::milliseconds watch_interval{1000};  // how often the file is looked at
};

// Returns the process exit code: 0 after a clean shutdown, 1 when start-up fails (bad file,
// unreadable state file, admin address in use), with the reasons logged.
int run_standalone(const StandaloneOptions& options);

}  // namespace vipd::daemon
