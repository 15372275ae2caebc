#include "controller/controller.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "common/logging.hpp"

namespace vipd::controller {
namespace {

namespace json = boost::json;

std::string key_text(const ServiceKey& key) { return key.ns + "/" + key.name; }

// The action of an Event (events.k8s.io/v1 requires one): what vipd was doing.
std::string action_of(std::string_view reason) {
  if (reason == kReasonClearAssignment) return "Release";
  if (reason == kReasonDeprecatedAnnotation) return "Read";
  return "Allocate";
}

json::array ip_list(const std::vector<IpAddress>& addresses) {
  json::array out;
  for (const auto& a : addresses) out.push_back(json::string(a.to_string()));
  return out;
}

}  // namespace

admin::InformerView collection_view(const CollectionStatus& c) {
  return admin::InformerView{c.resource,      c.synced,         c.objects,
                             c.counts.lists,  c.counts.relists, c.counts.watch_restarts,
                             c.counts.events, c.undecodable};
}

Controller::Controller(asio::any_io_executor executor, k8s::Client& client, TimerClock& clock,
                       ControllerOptions options)
    : executor_(executor),
      client_(client),
      clock_(clock),
      options_(std::move(options)),
      events_(executor, client, clock,
              k8s::EventRecorderOptions{.reporting_controller = "vipd.io/controller",
                                        .reporting_instance = options_.identity,
                                        .enabled = [this] { return leading(); }}),
      writer_(client),
      source_(
          executor, client, clock, events_,
          ConfigSourceOptions{.namespace_ = options_.namespace_, .list_watch = options_.list_watch},
          [this](const config::Config& config) {
            if (!decider_) {
              begin_term();
              return;
            }
            auto changes = decider_->set_config(config);
            if (!changes) {
              spdlog::error("controller: configuration refused by the allocator: {}",
                            changes.error().message());
              return;
            }
            apply(std::move(changes.value()));
          }),
      services_(
          executor, client, clock, k8s::Collection{"/api/v1/services"},
          [](const json::object& o) { return k8s::decode_service(o); },
          {.added =
               [this](const std::string&, const k8s::Service& s) {
                 if (decider_) apply(decider_->upsert(s));
               },
           .updated =
               [this](const std::string&, const k8s::Service&, const k8s::Service& s) {
                 if (decider_) apply(decider_->upsert(s));
               },
           .deleted =
               [this](const std::string&, const k8s::Service& s) {
                 if (decider_) apply(decider_->remove({s.meta.namespace_, s.meta.name}));
               },
           .invalid =
               [](const std::string& key, const Error& e) {
                 spdlog::warn("controller: Service {} cannot be read: {}", key, e.message());
               },
           .synced = [this] { begin_term(); }},
          options_.list_watch),
      namespaces_(
          executor, client, clock, k8s::Collection{"/api/v1/namespaces"},
          [](const json::object& o) { return k8s::decode_namespace(o); },
          {.added =
               [this](const std::string&, const k8s::Namespace& n) {
                 if (decider_) apply(decider_->upsert_namespace(n.meta.name, n.meta.labels));
               },
           .updated =
               [this](const std::string&, const k8s::Namespace&, const k8s::Namespace& n) {
                 if (decider_) apply(decider_->upsert_namespace(n.meta.name, n.meta.labels));
               },
           .deleted =
               [this](const std::string&, const k8s::Namespace& n) {
                 if (decider_) apply(decider_->remove_namespace(n.meta.name));
               },
           .invalid =
               [](const std::string& key, const Error& e) {
                 spdlog::warn("controller: Namespace {} cannot be read: {}", key, e.message());
               },
           .synced = [this] { begin_term(); }},
          options_.list_watch),
      retry_timer_(clock.make_timer(executor)) {}

Controller::~Controller() { *alive_ = false; }

Result<void> Controller::start() {
  auto election = options_.election;
  election.identity = options_.identity;
  auto lease = k8s::LeaseLock::create(
      executor_, client_, clock_,
      k8s::LeaseLockOptions{.lease_namespace = options_.namespace_,
                            .lease_name = options_.lease_name,
                            .election = election},
      k8s::LeaseLockCallbacks{.on_started_leading =
                                  [this] {
                                    spdlog::info("controller: {} leads", options_.identity);
                                    leading_ = true;
                                    begin_term();
                                  },
                              .on_stopped_leading =
                                  [this](k8s::StopReason) {
                                    spdlog::info("controller: {} no longer leads",
                                                 options_.identity);
                                    end_term();
                                  }});
  if (!lease) return failure(lease.error());
  lease_ = std::move(lease.value());
  source_.start();
  services_.start();
  namespaces_.start();
  lease_->start();
  return success();
}

asio::awaitable<void> Controller::stop() {
  end_term();
  if (lease_) co_await lease_->stop();
  services_.stop();
  namespaces_.stop();
  source_.stop();
}

bool Controller::ready() const {
  return source_.ready() && services_.synced() && namespaces_.synced();
}

bool Controller::leading() const { return leading_ && lease_ && lease_->leading(); }

void Controller::begin_term() {
  // Decide only as leader, once the Services, Namespaces and a configuration are all known:
  // addresses already shown in statuses are re-adopted before anything is allocated.
  if (!leading() || decider_ || !ready()) return;
  decider_.emplace(DeciderOptions{.lb_class = options_.lb_class});
  auto configured = decider_->set_config(*source_.config());
  if (!configured) {
    spdlog::error("controller: configuration refused by the allocator: {}",
                  configured.error().message());
    decider_.reset();
    return;
  }
  ++counts_.terms;
  std::vector<k8s::Service> services;
  for (const auto& [key, entry] : services_.items()) services.push_back(entry.value);
  std::map<std::string, Labels> namespaces;
  for (const auto& [key, entry] : namespaces_.items()) {
    namespaces.emplace(entry.value.meta.name, entry.value.meta.labels);
  }
  apply(std::move(configured.value()));
  spdlog::info("controller: deciding {} Service(s) in {} namespace(s)", services.size(),
               namespaces.size());
  apply(decider_->sync(std::move(services), std::move(namespaces)));
}

void Controller::end_term() {
  // Stop writing at once: queued writes are dropped, one in flight checks leading() first.
  leading_ = false;
  decider_.reset();
  desired_.clear();
  queue_.clear();
  queued_.clear();
  pools_dirty_ = false;
  pools_written_.clear();
  retry_.clear();
  retry_pools_ = false;
  round_failed_ = false;
  retry_backoff_ = {};
  retry_timer_->cancel();
}

void Controller::apply(Changes changes) {
  if (!leading()) return;
  for (const auto& e : changes.events) {
    const auto* view = services_.get(key_text(e.service));
    events_.record(
        k8s::ObjectReference{"v1", "Service", e.service.ns, e.service.name,
                             view ? view->meta.uid : std::string()},
        e.type == EventType::kWarning ? k8s::EventType::kWarning : k8s::EventType::kNormal,
        e.reason, action_of(e.reason), e.message);
  }
  for (auto& [key, desired] : changes.services) {
    desired_[key] = std::move(desired);
    enqueue(key);
  }
  pools_dirty_ = true;
  kick();
}

void Controller::kick() {
  if (writing_ || !leading()) return;
  writing_ = true;
  asio::co_spawn(executor_, write_loop(), log_failure("controller writes"));
}

void Controller::retry_later() {
  // A round of writes ended with failures: try those again after the backoff. A failure in the
  // next round doubles it; a round without failure resets it.
  using namespace std::chrono_literals;
  retry_backoff_ = retry_backoff_ == Clock::duration{}
                       ? Clock::duration{1s}
                       : std::min<Clock::duration>(retry_backoff_ * 2, 30s);
  spdlog::info("controller: {} write(s) failed; trying again in {} ms",
               retry_.size() + (retry_pools_ ? 1 : 0),
               std::chrono::duration_cast<std::chrono::milliseconds>(retry_backoff_).count());
  retry_timer_->arm(clock_.now() + retry_backoff_, [this] {
    if (!leading()) return;
    for (const auto& key : retry_) enqueue(key);
    retry_.clear();
    if (retry_pools_) pools_dirty_ = true;
    retry_pools_ = false;
    kick();
  });
}

void Controller::enqueue(const ServiceKey& key) {
  if (queued_.insert(key).second) queue_.push_back(key);
}

asio::awaitable<void> Controller::write_loop() {
  const auto alive = alive_;
  round_failed_ = false;
  while (*alive && leading() && (!queue_.empty() || pools_dirty_)) {
    if (!queue_.empty()) {
      const ServiceKey key = queue_.front();
      queue_.pop_front();
      queued_.erase(key);
      co_await write_service(key);
      continue;
    }
    pools_dirty_ = false;
    co_await write_pools();
  }
  if (!*alive) co_return;
  writing_ = false;
  if (!leading()) co_return;
  if (round_failed_) {
    if (!retry_timer_->armed()) retry_later();
  } else if (retry_.empty() && !retry_pools_) {
    retry_backoff_ = {};
  }
}

std::string Controller::service_path(const ServiceKey& key) const {
  return "/api/v1/namespaces/" + key.ns + "/services/" + key.name;
}

asio::awaitable<void> Controller::write_service(const ServiceKey& key) {
  const auto alive = alive_;
  retry_.erase(key);  // a failure below puts it back
  const auto it = desired_.find(key);
  if (it == desired_.end()) co_return;
  const Desired desired = it->second;
  const auto* view = services_.get(key_text(key));
  if (view == nullptr || satisfied(desired, *view)) co_return;
  const std::string path = service_path(key);
  // What vipd recorded before decides which externalIPs entries are its own: read it from the
  // view before the annotations change.
  const auto external = merge_external_ips(desired, view->external_ips, view->meta.annotations);
  const bool spec_differs = desired.manage && external != view->external_ips;
  const bool status_differs =
      desired.manage && desired.owns_status && desired.ingress != view->ingress_ips;
  std::map<std::string, std::optional<std::string>> annotations;
  for (const auto& [k, v] : owned_annotations(desired)) {
    const auto live = view->meta.annotations.find(std::string(k));
    const std::optional<std::string> now =
        live == view->meta.annotations.end() ? std::nullopt : std::optional(live->second);
    if (now != v) annotations[std::string(k)] = v;
  }
  const auto failed = [&](const Error& e, const char* what) {
    ++counts_.write_failures;
    round_failed_ = true;
    retry_.insert(key);
    spdlog::warn("controller: Service {}: {} not written: {}", key_text(key), what, e.message());
  };

  if (!annotations.empty() && leading()) {
    auto r = co_await writer_.patch_annotations(path, annotations);
    if (!*alive) co_return;
    if (r) {
      ++counts_.annotation_writes;
    } else {
      failed(r.error(), "annotations");
    }
  }
  if (spec_differs && leading()) {
    auto r = co_await writer_.update(path, false, [&](json::object& o) -> Result<bool> {
      auto& spec = o["spec"].as_object();
      if (external.empty()) {
        spec.erase("externalIPs");
      } else {
        spec["externalIPs"] = ip_list(external);
      }
      return true;
    });
    if (!*alive) co_return;
    if (r) {
      ++counts_.spec_writes;
    } else {
      failed(r.error(), "spec.externalIPs");
    }
  }
  if (status_differs && leading()) {
    auto r = co_await writer_.update(path, true, [&](json::object& o) -> Result<bool> {
      json::array ingress;
      for (const auto& ip : desired.ingress) {
        ingress.push_back(json::object{{"ip", ip.to_string()}});
      }
      auto& status = o["status"];
      if (!status.is_object()) status = json::object{};
      status.as_object()["loadBalancer"] =
          ingress.empty() ? json::object{} : json::object{{"ingress", std::move(ingress)}};
      return true;
    });
    if (!*alive) co_return;
    if (r) {
      ++counts_.status_writes;
    } else {
      failed(r.error(), "status");
    }
  }
}

asio::awaitable<void> Controller::write_pools() {
  // Only IPAddressPool resources have a status to write (a ConfigMap pool has none).
  if (!decider_ || source_.form() != ConfigForm::kResources) co_return;
  const auto alive = alive_;
  for (const auto& pool : decider_->pool_status()) {
    if (!leading()) co_return;
    const auto written = pools_written_.find(pool.pool);
    if (written != pools_written_.end() && written->second == pool) continue;
    const std::string path = "/apis/metallb.io/v1beta1/namespaces/" + options_.namespace_ +
                             "/ipaddresspools/" + pool.pool;
    auto r = co_await writer_.update(path, true, [&](json::object& o) -> Result<bool> {
      o["status"] = json::object{{"assignedIPv4", pool.assigned_ipv4},
                                 {"assignedIPv6", pool.assigned_ipv6},
                                 {"availableIPv4", pool.available_ipv4},
                                 {"availableIPv6", pool.available_ipv6}};
      return true;
    });
    if (!*alive) co_return;
    if (r || k8s::http_status(r.error()) == 404u) {
      pools_written_[pool.pool] = pool;
      if (r) ++counts_.pool_status_writes;
    } else {
      ++counts_.write_failures;
      round_failed_ = true;
      retry_pools_ = true;
      spdlog::warn("controller: IPAddressPool {} status not written: {}", pool.pool,
                   r.error().message());
    }
  }
}

void Controller::fill(admin::DaemonStatus& status, const admin::StatusQuery& query) const {
  status.mode = "controller";
  status.config_file =
      "namespace " + options_.namespace_ + " (" + std::string(to_string(source_.form())) + ")";
  status.config_stale = source_.stale();
  status.config_errors = source_.errors();
  if (decider_) {
    const auto& allocator = decider_->allocator();
    admin::ListPage page(query);
    // The controller runs no health checks: /metrics needs none of its services.
    if (!query.only_checked_services) {
      allocator.for_each_assignment([&](const auto& key, const auto& assignment) {
        page.entry();
        std::string text = key_text(key);
        if (!query.service_matches(text)) return;
        if (!query.any_address_matches(assignment.addresses) || !page.admit()) return;
        admin::ServiceView v;
        v.key = std::move(text);
        v.addresses = assignment.addresses;
        v.pool = assignment.pool;
        status.services.push_back(std::move(v));
      });
    }
    status.services_count = page.count();
    for (const auto& pool : allocator.pools()) {
      auto counts = allocator.counts(pool.name);
      if (!counts) continue;
      const auto& c = counts.value();
      if (c.v4.total > 0) status.pools.push_back({pool.name, "ipv4", c.v4.total, c.v4.in_use});
      if (c.v6.total > 0) status.pools.push_back({pool.name, "ipv6", c.v6.total, c.v6.in_use});
    }
  }
  admin::ControllerView own;
  own.identity = options_.identity;
  own.leading = leading();
  if (lease_) own.holder = std::string(lease_->holder());
  own.writes = {{"status", counts_.status_writes},
                {"annotations", counts_.annotation_writes},
                {"external_ips", counts_.spec_writes},
                {"pool_status", counts_.pool_status_writes}};
  own.write_failures = counts_.write_failures;
  own.pending = queue_.size() + retry_.size() + (pools_dirty_ ? 1 : 0) + (retry_pools_ ? 1 : 0);
  status.controller = std::move(own);
  admin::KubernetesView k;
  k.server = client_.server_url();
  k.requests = client_.request_counts();
  k.informers.push_back(informer_view("services", services_));
  k.informers.push_back(informer_view("namespaces", namespaces_));
  for (const auto& c : source_.collections()) k.informers.push_back(collection_view(c));
  status.kubernetes = std::move(k);
}

}  // namespace vipd::controller
