#pragma once
// What a running daemon tells about itself: the /status document and the /metrics text, built
// from one plain view of its state so both always agree.
//
// Responsible for: the shape of /status (rendered by `vipd status`) and the metric names and
// labels (daemon/metrics.hpp catalogue). Not responsible for: collecting the state (the daemon
// fills ReportInput at each request) or serving it (daemon/admin_server.hpp).
// Pure apart from nothing: called on the daemon's one thread at each request.

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bgp/speaker.hpp"
#include "common/uint128.hpp"
#include "daemon/health.hpp"
#include "daemon/planner.hpp"

namespace vipd::daemon {

struct PeerView {
  std::string name;
  std::uint32_t asn = 0;
  std::uint32_t local_asn = 0;
  bgp::PeerStatus status;  // status.address is the key
};

struct ServiceView {
  std::string key;  // namespace/name
  std::vector<IpAddress> addresses;
  std::string pool;
  std::string traffic_policy;                   // "Cluster" | "Local"
  std::string health_kind;                      // "tcp" | "http" | "exec" | "" (no check)
  std::optional<HealthChecker::Status> health;  // with a check
  std::string error;                            // allocation problem, if any
};

struct PoolView {
  std::string name;
  std::string family;  // "ipv4" | "ipv6"
  u128 total = 0;
  u128 in_use = 0;
};

struct ReportInput {
  std::string node;
  std::string mode;
  std::string version;
  bool ready = false;
  std::string config_file;
  bool config_stale = false;
  std::string config_loaded;               // RFC 3339 UTC time of the configuration in force
  std::vector<std::string> config_errors;  // of the last rejected reload
  std::vector<PeerView> peers;
  std::vector<Decision> decisions;
  std::vector<ServiceView> services;
  std::vector<PoolView> pools;
  std::uint64_t resident_memory = 0;
};

boost::json::value status_document(const ReportInput& input);
std::string metrics_text(const ReportInput& input);

}  // namespace vipd::daemon
