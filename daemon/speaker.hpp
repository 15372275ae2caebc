#pragma once
// `vipd speaker`: MetalLB's speaker on one Kubernetes node. It follows the Services,
// EndpointSlices and this node's Node object (k8s/ informers) and MetalLB's configuration
// (controller/source.hpp), builds one snapshot (speaker/cluster_view.hpp), plans the
// announcements (planner/) and makes the BGP speaker match the plan
// (daemon/route_reconciler.hpp), exactly as `vipd standalone` does from its file.
//
// Responsible for the wiring only: the informers and the configuration, replanning after
// changes (coalesced), the `nodeAssigned` Event when this node starts announcing a Service, the
// admin endpoint, and signals: SIGTERM drains (RFC 8326) for the drain time, then withdraws and
// exits 0; SIGINT (or a second signal) closes at once.
// Not responsible for: any decision (planner/), addresses (the controller allocates them; only
// what it wrote to a Service's status is announced), layer 2.
// Runs on one io_context on the calling thread until a signal ends it.

#include <chrono>
#include <string>

namespace vipd::daemon {

struct SpeakerOptions {
  std::string node;        // required: this node's name
  std::string kubeconfig;  // empty: in-cluster
  std::string context;
  std::string namespace_ = "metallb-system";
  std::string lb_class;
  std::string admin = "127.0.0.1:7473";
  std::chrono::milliseconds drain_time{5000};
};

// The process exit code: 0 after a clean stop, 1 when start-up fails (credentials, admin
// address), with the reasons logged.
int run_speaker(const SpeakerOptions& options);

}  // namespace vipd::daemon
