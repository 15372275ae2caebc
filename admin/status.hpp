#pragma once
// What a running daemon tells about itself: the /status document and the /metrics text, built
// from one plain view of its state so both always agree.
//
// Responsible for: the shape of /status (rendered by `vipd status`, admin/render.hpp) and the
// metric names and labels (admin/metrics.hpp catalogue). The views are admin's own plain
// values: the daemon's wiring fills them from the speaker, the planner, the health checks and
// the allocator, so this module depends on none of them.
// Not responsible for: collecting the state (the daemon fills DaemonStatus at each request) or
// serving it (admin/server.hpp).
// Pure: no I/O, no clock (durations arrive computed); called on the daemon's one thread.

#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "admin/status_query.hpp"
#include "common/ip_address.hpp"
#include "common/uint128.hpp"

namespace vipd::admin {

// The BFD session guarding a BGP session (RFC 5880 state names).
struct BfdView {
  std::string profile;
  std::string state;                    // "AdminDown" | "Down" | "Init" | "Up"
  std::string diag;                     // why the last change happened (RFC 5880 §4.1 diagnostic)
  std::string remote_state;             // what the peer last said
  std::string remote_diag;              // and why (the Diag of its last packet)
  std::uint64_t desired_min_tx_ms = 0;  // configured
  std::uint64_t required_min_rx_ms = 0;
  std::uint32_t detect_multiplier = 0;
  bool passive = false;
  bool multihop = false;                   // RFC 5883 (else RFC 5881 single hop)
  std::uint64_t transmit_interval_ms = 0;  // negotiated (0 before the peer's first packet)
  std::uint64_t detection_time_ms = 0;
  std::uint64_t packets_sent = 0;
  std::uint64_t packets_received = 0;
  std::uint64_t packets_dropped = 0;
  std::optional<std::chrono::seconds> since_change;  // none: never changed
  std::string problem;  // why the session is not running, "" when it is
};

struct PeerView {
  std::string name;
  std::string address;  // the key: one session per peer address
  std::uint32_t asn = 0;
  std::uint32_t local_asn = 0;
  std::string state;  // RFC 4271 state name: "Idle" ... "Established"
  bool established = false;
  std::string last_error;
  std::uint64_t advertised_ipv4 = 0;
  std::uint64_t advertised_ipv6 = 0;
  std::uint64_t updates_sent = 0;  // UPDATE messages
  std::uint64_t messages_received = 0;
  std::uint64_t route_refreshes_answered = 0;  // ROUTE-REFRESH requests answered (RFC 2918)
  std::optional<std::chrono::seconds> established_for;  // while Established
  std::map<std::string, std::uint64_t> transitions;     // state changes by reason
  std::optional<BfdView> bfd;                           // with a BFD profile
  std::string gate_closed;  // why BGP is held down (BFD not Up), "" when it is not
};

struct HealthView {
  std::string kind;   // "tcp" | "http" | "exec"
  std::string state;  // "unknown" | "passing" | "failing"
  std::string last_result;
  std::uint64_t checks = 0;
  std::uint64_t failures = 0;
};

struct ServiceView {
  std::string key;  // namespace/name
  std::vector<IpAddress> addresses;
  std::string pool;
  std::string traffic_policy;        // "Cluster" | "Local"
  std::optional<HealthView> health;  // with a check
  std::string error;                 // allocation problem, if any
};

// One planner decision: a prefix (or address) of a service toward a peer, and why.
struct AnnouncementView {
  std::string peer;    // peer name; "" for every peer
  std::string prefix;  // the prefix announced, else the address concerned
  std::string service;
  std::string reason;  // "announced", "noLocalEndpoints", ...
  std::string detail;
};

// One layer-2 VIP address as this node sees it: who owns it and why, and, where this node owns
// it, whether it is up and on which interface.
struct Layer2View {
  std::string address;
  std::string service;  // namespace/name
  std::string owner;    // "" when no node qualifies
  bool mine = false;
  std::string reason;  // "owner", "notOwner", "noLocalEndpoint", ...
  std::string detail;
  std::vector<std::string> candidates;  // best first
  std::string state;                    // this node: "up", "noInterface", "failed"; "" elsewhere
  std::string interface;
  std::string error;
  std::uint64_t gratuitous_sent = 0;  // announcements sent for the address by this node
};

// A BFD session between this speaker and another one, for layer-2 liveness.
struct SpeakerBfdView {
  std::string node;
  std::string address;
  std::string state;    // RFC 5880 state name
  std::string diag;     // why the last change happened
  bool failed = false;  // BFD keeps the node out of the live speakers
};

struct PoolView {
  std::string name;
  std::string family;  // "ipv4" | "ipv6"
  u128 total = 0;
  u128 in_use = 0;
};

// Kubernetes API access: requests by verb and code, and each informer.
struct InformerView {
  std::string resource;  // "services", "endpointslices", "ipaddresspools", ...
  bool synced = false;
  std::uint64_t objects = 0;
  std::uint64_t lists = 0;
  std::uint64_t relists = 0;
  std::uint64_t watch_restarts = 0;
  std::uint64_t events = 0;
  std::uint64_t invalid = 0;
};

struct KubernetesView {
  std::string server;  // "https://192.0.2.1:6443"
  std::map<std::pair<std::string, std::string>, std::uint64_t> requests;  // {verb, code}
  std::vector<InformerView> informers;
};

// The controller's leadership and its writes to the cluster.
struct ControllerView {
  std::string identity;
  bool leading = false;
  std::string holder;  // the Lease's holder as last seen ("" when released or unknown)
  std::map<std::string, std::uint64_t> writes;  // by object: "status", "annotations", ...
  std::uint64_t write_failures = 0;
  std::uint64_t pending = 0;  // Services and pool sets queued or waiting to be tried again
};

struct DaemonStatus {
  std::string node;
  std::string mode;  // "standalone", "speaker", "controller"
  std::string version;
  bool ready = false;
  std::string config_file;
  bool config_stale = false;
  std::string config_loaded;               // RFC 3339 UTC time of the configuration in force
  std::vector<std::string> config_errors;  // of the last rejected reload
  std::vector<PeerView> peers;
  std::vector<AnnouncementView> announcements;
  std::vector<Layer2View> layer2;
  std::vector<std::string> live_speakers;   // the speaker: nodes whose speakers are live
  std::vector<SpeakerBfdView> speaker_bfd;  // the speaker: its BFD sessions with other speakers
  std::vector<ServiceView> services;
  std::vector<PoolView> pools;
  std::optional<KubernetesView> kubernetes;  // daemons that talk to an API server
  std::optional<ControllerView> controller;  // `vipd controller`
  std::uint64_t resident_memory = 0;

  // The long lists above hold one page of what matched `query` (ListPage); these say how many
  // there are, how many matched and where the page is.
  StatusQuery query;
  ListCount services_count;
  ListCount announcements_count;
  ListCount layer2_count;
  // Over every entry, whatever the query: the summary at the top of the document.
  std::map<std::string, std::uint64_t> announcement_reasons;  // decisions by reason
  std::uint64_t services_with_errors = 0;
  std::uint64_t services_failing_health = 0;
  std::uint64_t layer2_here = 0;  // VIPs this node owns
};

// The document: the summary, the query, every peer, pool and speaker session, and one page of
// the services, announcements and layer-2 VIPs with their counts.
boost::json::value status_document(const DaemonStatus& status);
std::string metrics_text(const DaemonStatus& status);

}  // namespace vipd::admin
