#include "daemon/layer2.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

namespace vipd::daemon {

namespace json = boost::json;

Layer2Speaker::Layer2Speaker(asio::any_io_executor executor, TimerClock& clock, k8s::Client& client,
                             Layer2Options options, bfd::BfdService& bfd,
                             std::function<void()> replan)
    : executor_(executor),
      clock_(clock),
      client_(client),
      options_(std::move(options)),
      replan_(std::move(replan)),
      bfd_(bfd, liveness_, [this] { liveness_changed(); }),
      leases_(executor, client, clock,
              k8s::Collection{"/apis/coordination.k8s.io/v1/namespaces/" + options_.namespace_ +
                              "/leases"},
              [](const json::object& o) { return k8s::decode_lease(o); },
              {.added =
                   [this](const std::string&, const k8s::Lease& l) {
                     liveness_.observe(l, clock_.now());
                     liveness_changed();
                   },
               .updated =
                   [this](const std::string&, const k8s::Lease&, const k8s::Lease& l) {
                     liveness_.observe(l, clock_.now());
                     liveness_changed();
                   },
               .deleted =
                   [this](const std::string&, const k8s::Lease& l) {
                     liveness_.forget(l.meta.name);
                     liveness_changed();
                   },
               .invalid =
                   [](const std::string& key, const Error& e) {
                     spdlog::warn("speaker: Lease {} cannot be read: {}", key, e.message());
                   },
               // The speaker plans once every informer has synced: this one may be the last.
               .synced =
                   [this] {
                     liveness_changed();
                     replan_();
                   }}),
      owner_(executor, clock, "speaker"),
      expiry_timer_(clock.make_timer(executor)) {}

Layer2Speaker::~Layer2Speaker() = default;

Result<void> Layer2Speaker::start() {
  k8s::LeaderElectionConfig election;
  election.identity = options_.node;
  election.lease_duration = options_.lease_duration;
  election.renew_deadline = options_.renew_deadline;
  election.retry_period = options_.retry_period;
  election.jitter_seed = std::random_device{}();
  auto lease = k8s::LeaseLock::create(
      executor_, client_, clock_,
      k8s::LeaseLockOptions{.lease_namespace = options_.namespace_,
                            .lease_name = std::string(speaker::kSpeakerLeasePrefix) + options_.node,
                            .election = election},
      k8s::LeaseLockCallbacks{.on_started_leading = [this] { liveness_changed(); },
                              .on_stopped_leading =
                                  [this](k8s::StopReason) {
                                    if (!stopped_) {
                                      spdlog::warn(
                                          "speaker: lost this node's speaker Lease: its layer-2 "
                                          "VIPs go to other nodes");
                                    }
                                    liveness_changed();
                                  }});
  if (!lease) return failure(lease.error());
  lease_ = std::move(lease.value());
  leases_.start();

  owner_.open();
  return success();
}

std::set<std::string, std::less<>> Layer2Speaker::live_now() const {
  auto live = liveness_.live(clock_.now());
  // This node judges itself by its own Lease: live while it holds it (by its own clock).
  live.erase(options_.node);
  if (lease_ && lease_->leading() && !stopped_) live.insert(options_.node);
  return live;
}

void Layer2Speaker::liveness_changed() {
  arm_expiry();
  if (stopped_) return;
  const auto live = live_now();
  if (live == last_live_) return;
  // A speaker that (re)appears may have held our VIPs during a partition: once it sees us it
  // releases them, and our announcements point the LAN back here.
  const bool someone_came =
      std::any_of(live.begin(), live.end(), [&](const auto& n) { return !last_live_.contains(n); });
  last_live_ = live;
  // Announce again once the plan this change causes is applied, so that only the VIPs this
  // node still holds then are announced (announcing one it is about to release would point the
  // LAN at a node that no longer answers for it).
  if (someone_came) reannounce_after_apply_ = true;
  replan_();
}

void Layer2Speaker::arm_expiry() {
  const auto next = liveness_.next_expiry(clock_.now());
  if (!next) {
    expiry_timer_->cancel();
    return;
  }
  expiry_timer_->arm(*next, [this] { liveness_changed(); });
}

void Layer2Speaker::apply(const planner::Snapshot& snapshot,
                          const std::map<std::string, std::vector<IpAddress>>& node_addresses) {
  if (stopped_) return;
  const bool any_layer2 = snapshot.config && !snapshot.config->l2_advertisements.empty();
  // The Lease costs the API server a write every retry period: held only once layer 2 is
  // configured, and from then on.
  if (any_layer2 && lease_ && !lease_->stopped()) lease_->start();
  owner_.apply(snapshot, options_.node, vip::Liveness{.live = live_now()});
  if (reannounce_after_apply_) {
    reannounce_after_apply_ = false;
    owner_.reannounce();
  }

  // BFD with the speakers next to this one in the rankings, and with those BFD failed (to see
  // them come back).
  auto watch = vip::bfd_neighbours(owner_.decisions(), options_.node);
  for (const auto& n : liveness_.bfd_failed()) watch.insert(n);
  watch.erase(options_.node);
  std::vector<IpAddress> locals;
  if (const auto it = node_addresses.find(options_.node); it != node_addresses.end()) {
    locals = it->second;
  }
  std::map<std::string, IpAddress> sessions;
  for (const auto& n : watch) {
    const auto it = node_addresses.find(n);
    if (it == node_addresses.end()) continue;
    // An address of a family this node has, its first one's family first.
    std::optional<IpAddress> pick;
    for (const auto& l : locals) {
      for (const auto& a : it->second) {
        if (!pick && a.family() == l.family()) pick = a;
      }
    }
    if (pick) sessions.emplace(n, *pick);
  }
  bfd_.set(sessions, locals);
}

void Layer2Speaker::release_all() {
  owner_.release_all();
  bfd_.stop();
  if (stopped_) return;
  stopped_ = true;
  expiry_timer_->cancel();
  leases_.stop();
  if (!lease_) {
    released_ = true;
    return;
  }
  asio::co_spawn(
      executor_,
      [this]() -> asio::awaitable<void> {
        co_await lease_->stop();
        released_ = true;
      },
      asio::detached);
}

std::vector<std::string> Layer2Speaker::live_speakers() const {
  const auto live = live_now();
  return {live.begin(), live.end()};
}

}  // namespace vipd::daemon
