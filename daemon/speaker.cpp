#include "daemon/speaker.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "admin/process_memory.hpp"
#include "admin/server.hpp"
#include "admin/status.hpp"
#include "bgp/speaker.hpp"
#include "common/asio.hpp"
#include "common/logging.hpp"
#include "common/timer.hpp"
#include "controller/controller.hpp"
#include "controller/source.hpp"
#include "daemon/daemon_support.hpp"
#include "daemon/host.hpp"
#include "daemon/layer2.hpp"
#include "daemon/route_reconciler.hpp"
#include "daemon/speaker_control.hpp"
#include "daemon/speaker_statuses.hpp"
#include "daemon/status_views.hpp"
#include "daemon/version.hpp"
#include "k8s/client.hpp"
#include "k8s/event_recorder.hpp"
#include "k8s/informer.hpp"
#include "k8s/objects.hpp"
#include "k8s/service_view.hpp"
#include "planner/planner.hpp"
#include "speaker/cluster_view.hpp"
#include "speaker/service_status.hpp"

namespace vipd::daemon {
namespace {

namespace json = boost::json;

class NodeSpeaker {
 public:
  NodeSpeaker(asio::io_context& io, TimerClock& clock, k8s::Client& client, SpeakerOptions options)
      : io_(io),
        clock_(clock),
        client_(client),
        options_(std::move(options)),
        events_(io.get_executor(), client, clock,
                k8s::EventRecorderOptions{.reporting_controller = "vipd.io/speaker",
                                          .reporting_instance = options_.node}),
        statuses_(io.get_executor(), client, clock, options_.namespace_, options_.node),
        source_(io.get_executor(), client, clock, events_,
                controller::ConfigSourceOptions{.namespace_ = options_.namespace_,
                                                .secrets = true,
                                                .checked =
                                                    [this] {
                                                      if (!source_.stale()) loaded_ = now_rfc3339();
                                                      statuses_.set_configuration(!source_.stale(),
                                                                                  source_.errors());
                                                    }},
                [this](const config::Config&) { schedule_plan(); }),
        services_(io.get_executor(), client, clock, k8s::Collection{"/api/v1/services"},
                  [](const json::object& o) { return k8s::decode_service(o); },
                  {.added = [this](const std::string&, const k8s::Service&) { schedule_plan(); },
                   .updated = [this](const std::string&, const k8s::Service&,
                                     const k8s::Service&) { schedule_plan(); },
                   .deleted = [this](const std::string&, const k8s::Service&) { schedule_plan(); },
                   .invalid =
                       [](const std::string& key, const Error& e) {
                         spdlog::warn("speaker: Service {} cannot be read: {}", key, e.message());
                       },
                   .synced = [this] { schedule_plan(); }}),
        slices_(
            io.get_executor(), client, clock,
            k8s::Collection{"/apis/discovery.k8s.io/v1/endpointslices"},
            [](const json::object& o) { return k8s::decode_endpoint_slice(o); },
            {.added = [this](const std::string& key,
                             const k8s::EndpointSlice& s) { index_slice(key, nullptr, &s); },
             .updated = [this](
                            const std::string& key, const k8s::EndpointSlice& before,
                            const k8s::EndpointSlice& after) { index_slice(key, &before, &after); },
             .deleted = [this](const std::string& key,
                               const k8s::EndpointSlice& s) { index_slice(key, &s, nullptr); },
             .invalid =
                 [](const std::string& key, const Error& e) {
                   spdlog::warn("speaker: EndpointSlice {} cannot be read: {}", key, e.message());
                 },
             .synced = [this] { schedule_plan(); }}),
        // Every Node: this node's labels select peers and advertisements, and the layer-2
        // election ranks the candidate nodes.
        nodes_(io.get_executor(), client, clock, k8s::Collection{"/api/v1/nodes"},
               [](const json::object& o) { return k8s::decode_node(o); },
               {.added = [this](const std::string&, const k8s::Node&) { schedule_plan(); },
                .updated = [this](const std::string&, const k8s::Node&,
                                  const k8s::Node&) { schedule_plan(); },
                .deleted = [this](const std::string&, const k8s::Node&) { schedule_plan(); },
                .invalid =
                    [](const std::string& key, const Error& e) {
                      spdlog::warn("speaker: Node {} cannot be read: {}", key, e.message());
                    },
                .synced = [this] { schedule_plan(); }}),
        bfd_service_(io.get_executor(), clock),
        layer2_(io.get_executor(), clock, client,
                Layer2Options{.node = options_.node, .namespace_ = options_.namespace_},
                bfd_service_, [this] { schedule_plan(); }),
        speaker_(io.get_executor(), clock),
        bfd_(io.get_executor(), clock, speaker_, bfd_service_),
        control_(speaker_, bfd_),
        reconciler_(control_),
        trimmer_(clock, io.get_executor()),
        shutdown_(io, clock, options_.drain_time,
                  Shutdown::Steps{
                      // Layer 2 hands over at once: the Lease is released and the next node takes
                      // the VIPs while this one still runs.
                      .drain =
                          [this] {
                            speaker_.set_drain(true);
                            layer2_.release_all();
                          },
                      .withdraw =
                          [this] {
                            reconciler_.withdraw_all();
                            layer2_.release_all();
                            statuses_.set_announced({});
                            statuses_.set_layer2({});
                          },
                      .stop =
                          [this](const std::string& message) {
                            speaker_.stop_all(message);
                            trimmer_.stop();
                            bfd_.stop();
                            services_.stop();
                            slices_.stop();
                            nodes_.stop();
                            source_.stop();
                            layer2_.release_all();
                          },
                      // The NOTIFICATIONs, queued Events and status deletions.
                      .quiet =
                          [this] {
                            return speaker_.quiescent() && events_.idle() && statuses_.idle() &&
                                   layer2_.stopped();
                          },
                      .done =
                          [this] {
                            if (admin_) admin_->stop();
                            io_.stop();
                          }}) {}

  int start();

 private:
  bool synced() const {
    return source_.ready() && services_.synced() && slices_.synced() && nodes_.synced() &&
           layer2_.synced();
  }
  void index_slice(const std::string& key, const k8s::EndpointSlice* before,
                   const k8s::EndpointSlice* after);
  void schedule_plan();
  void plan_and_apply();
  void assigned_events();
  planner::Snapshot snapshot() const;
  // Each node's addresses for BFD between speakers: InternalIPs, else ExternalIPs, IPv4 first.
  std::map<std::string, std::vector<IpAddress>> node_addresses() const;
  admin::DaemonStatus report(const admin::StatusQuery& query) const;

  asio::io_context& io_;
  TimerClock& clock_;
  k8s::Client& client_;
  SpeakerOptions options_;
  k8s::EventRecorder events_;
  SpeakerStatuses statuses_;
  controller::ConfigSource source_;
  std::string loaded_;  // when the configuration in force was last checked valid
  k8s::Informer<k8s::Service> services_;
  k8s::Informer<k8s::EndpointSlice> slices_;
  k8s::Informer<k8s::Node> nodes_;
  bfd::BfdService bfd_service_;  // every BFD session of this daemon: BGP peers', speakers'
  Layer2Speaker layer2_;
  // Service "namespace/name" → the keys of its EndpointSlices.
  std::map<std::string, std::set<std::string>> slices_of_;

  bgp::Speaker speaker_;
  BfdPeers bfd_;  // the BFD sessions guarding the speaker's peers
  BgpSpeakerControl control_;
  RouteReconciler reconciler_;
  std::set<std::string> announced_;  // Services this node announces to at least one peer
  bool ready_ = false;
  bool plan_pending_ = false;
  bool node_missing_said_ = false;
  HeapTrimmer trimmer_;

  std::unique_ptr<admin::AdminServer> admin_;
  Shutdown shutdown_;
};

int NodeSpeaker::start() {
  bfd_service_.on_state(
      [this](const IpAddress& peer, bfd::State from, bfd::State to, bfd::Diag diag) {
        bfd_.on_state(peer, from, to, diag);
        layer2_.on_bfd_state(peer, from, to, diag);
      });
  admin_ = start_admin(
      io_.get_executor(), options_.admin,
      [this](const admin::StatusQuery& query) { return report(query); }, [this] { return ready_; });
  if (!admin_) return 1;
  source_.start();
  services_.start();
  slices_.start();
  nodes_.start();
  if (auto r = layer2_.start(); !r) {
    spdlog::error("speaker: {}", r.error().message());
    return 1;
  }
  spdlog::info("vipd {} speaker on node {}: API server {}, namespace {}, admin on {}", version(),
               options_.node, client_.server_url(), options_.namespace_,
               admin::format_endpoint(admin_->local_endpoint()));
  shutdown_.start();
  return 0;
}

void NodeSpeaker::index_slice(const std::string& key, const k8s::EndpointSlice* before,
                              const k8s::EndpointSlice* after) {
  if (before != nullptr) {
    const auto service = speaker::slice_service_key(*before);
    if (auto it = slices_of_.find(service); it != slices_of_.end()) {
      it->second.erase(key);
      if (it->second.empty()) slices_of_.erase(it);
    }
  }
  if (after != nullptr) {
    const auto service = speaker::slice_service_key(*after);
    if (!service.empty()) slices_of_[service].insert(key);
  }
  schedule_plan();
}

void NodeSpeaker::schedule_plan() {
  // An informer's list, or a burst of watch events, changes many objects at once: plan once for
  // all of them, after they are applied.
  if (plan_pending_ || shutdown_.stopping()) return;
  plan_pending_ = true;
  asio::post(io_, [this] {
    plan_pending_ = false;
    if (!shutdown_.stopping() && synced()) plan_and_apply();
  });
}

planner::Snapshot NodeSpeaker::snapshot() const {
  planner::Snapshot snapshot;
  snapshot.kind = planner::SnapshotKind::kKubernetes;
  snapshot.config = source_.config();
  for (const auto& [key, entry] : nodes_.items()) {
    snapshot.nodes.push_back(speaker::node_info(entry.value));
  }
  std::vector<const k8s::EndpointSlice*> slices;
  for (const auto& [key, entry] : services_.items()) {
    const auto& service = entry.value;
    if (!speaker::serves(service, options_.lb_class)) continue;
    slices.clear();
    if (auto it = slices_of_.find(key); it != slices_of_.end()) {
      for (const auto& slice_key : it->second) slices.push_back(slices_.get(slice_key));
    }
    snapshot.services.push_back(speaker::service_info(service, slices));
  }
  return snapshot;
}

std::map<std::string, std::vector<IpAddress>> NodeSpeaker::node_addresses() const {
  std::map<std::string, std::vector<IpAddress>> out;
  for (const auto& [key, entry] : nodes_.items()) {
    auto& addresses = out[entry.value.meta.name];
    for (const auto type : {k8s::NodeAddressType::kInternalIp, k8s::NodeAddressType::kExternalIp}) {
      if (!addresses.empty()) break;
      for (const auto& a : entry.value.addresses) {
        if (a.type == type) addresses.push_back(a.address);
      }
    }
    std::stable_sort(
        addresses.begin(), addresses.end(),
        [](const IpAddress& a, const IpAddress& b) { return a.is_v4() && !b.is_v4(); });
  }
  return out;
}

void NodeSpeaker::plan_and_apply() {
  const bool node_known = nodes_.get(options_.node) != nullptr;
  if (!node_known && !node_missing_said_) {
    spdlog::warn("speaker: node {} is not in the cluster: nothing is announced until it is",
                 options_.node);
    node_missing_said_ = true;
  } else if (node_known) {
    node_missing_said_ = false;
  }
  HostContext host;
  host.node = options_.node;
  if (auto* nl = layer2_.netlink()) host.host = host_addresses(*nl);
  const auto snap = snapshot();
  log_notes(reconciler_.apply(planner::plan(snap, options_.node), host));
  layer2_.apply(snap, node_addresses());
  assigned_events();
  statuses_.set_announced(speaker::announced_peers(reconciler_.decisions()));
  statuses_.set_layer2(layer2_.held_interfaces());
  trimmer_.after_plan();
  if (!ready_) spdlog::info("speaker: first plan applied: ready");
  ready_ = true;
}

void NodeSpeaker::assigned_events() {
  // MetalLB's speaker records `nodeAssigned` when a node starts announcing a Service.
  // The key is "protocol/namespace/name": a Service may be announced both ways.
  std::set<std::string> now;
  for (const auto& d : reconciler_.decisions()) {
    if (d.reason == planner::Reason::kAnnounced) now.insert("bgp/" + d.service);
  }
  for (const auto& d : layer2_.decisions()) {
    if (d.mine) now.insert("layer2/" + d.service);
  }
  for (const auto& key : now) {
    if (announced_.contains(key)) continue;
    const auto slash = key.find('/');
    const auto* service = services_.get(key.substr(slash + 1));
    if (service == nullptr) continue;
    events_.record(k8s::ObjectReference{"v1", "Service", service->meta.namespace_,
                                        service->meta.name, service->meta.uid},
                   k8s::EventType::kNormal, "nodeAssigned", "Announce",
                   "announcing from node \"" + options_.node + "\" with protocol \"" +
                       key.substr(0, slash) + "\"");
  }
  announced_ = std::move(now);
}

admin::DaemonStatus NodeSpeaker::report(const admin::StatusQuery& query) const {
  admin::DaemonStatus in;
  in.query = query;
  in.node = options_.node;
  in.mode = "speaker";
  in.version = std::string(version());
  in.ready = ready_;
  in.config_file = "namespace " + options_.namespace_ + " (" +
                   std::string(controller::to_string(source_.form())) + ")";
  in.config_stale = source_.stale();
  in.config_loaded = loaded_;
  in.config_errors = source_.errors();
  const auto now = clock_.now();
  const auto& identities = reconciler_.peers();
  for (const auto& s : speaker_.status()) {
    const auto it = identities.find(s.address);
    in.peers.push_back(peer_view(s, it == identities.end() ? nullptr : &it->second, now));
    in.peers.back().bfd = bfd_.view(s.address);
  }
  fill_announcements(in, reconciler_.decisions(), identities, query);
  layer2_.fill(in, query);
  in.live_speakers = layer2_.live_speakers();
  in.speaker_bfd = layer2_.speaker_bfd();
  admin::ListPage page(query);
  for (const auto& [key, entry] : services_.items()) {
    const auto& service = entry.value;
    // The speaker runs no health checks: /metrics needs none of its services.
    if (!speaker::serves(service, options_.lb_class) || query.only_checked_services) continue;
    page.entry();
    if (!query.service_matches(key)) continue;
    if (!query.any_address_matches(service.ingress_ips) || !page.admit()) continue;
    admin::ServiceView v;
    v.key = key;
    v.addresses = service.ingress_ips;
    if (const auto it = service.meta.annotations.find("metallb.io/ip-allocated-from-pool");
        it != service.meta.annotations.end()) {
      v.pool = it->second;
    }
    v.traffic_policy =
        service.external_traffic_policy == k8s::TrafficPolicy::kLocal ? "Local" : "Cluster";
    in.services.push_back(std::move(v));
  }
  in.services_count = page.count();
  admin::KubernetesView k;
  k.server = client_.server_url();
  k.requests = client_.request_counts();
  k.informers.push_back(controller::informer_view("services", services_));
  k.informers.push_back(controller::informer_view("endpointslices", slices_));
  k.informers.push_back(controller::informer_view("nodes", nodes_));
  k.informers.push_back(controller::informer_view("leases", layer2_.leases()));
  for (const auto& c : source_.collections()) k.informers.push_back(controller::collection_view(c));
  in.kubernetes = std::move(k);
  if (auto rss = admin::process_resident_memory_bytes()) in.resident_memory = rss.value();
  return in;
}

}  // namespace

int run_speaker(const SpeakerOptions& options) {
  asio::io_context io;
  SteadyTimerClock clock;
  auto client = kubernetes_client(io.get_executor(), clock, options.kubeconfig, options.context);
  if (!client) return 1;
  NodeSpeaker daemon(io, clock, *client, options);
  if (const int code = daemon.start(); code != 0) return code;
  io.run();
  spdlog::info("stopped");
  return 0;
}

}  // namespace vipd::daemon
