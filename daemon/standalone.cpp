#include "daemon/standalone.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "admin/process_memory.hpp"
#include "admin/server.hpp"
#include "admin/status.hpp"
#include "allocator/state_file.hpp"
#include "bgp/speaker.hpp"
#include "common/asio.hpp"
#include "common/timer.hpp"
#include "config/load.hpp"
#include "daemon/daemon_support.hpp"
#include "daemon/host.hpp"
#include "daemon/route_reconciler.hpp"
#include "daemon/speaker_control.hpp"
#include "daemon/standalone_allocation.hpp"
#include "daemon/status_views.hpp"
#include "daemon/version.hpp"
#include "daemon/vip_owner.hpp"
#include "health/health.hpp"
#include "planner/planner.hpp"
#include "vip/election.hpp"
#include "vip/membership_service.hpp"

namespace vipd::daemon {
namespace {

std::string host_name() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof buffer - 1) != 0) return "localhost";
  return buffer;
}

// Why `node` cannot run this configuration, or "".
std::string node_problem(const config::Config& config, const std::string& node) {
  if (!config.standalone || config.standalone->nodes.empty()) return {};
  std::string names;
  for (const auto& n : config.standalone->nodes) {
    if (n.name == node) return {};
    names += (names.empty() ? "" : ", ") + n.name;
  }
  return "this node, " + node + ", is not among the file's nodes (" + names +
         "); add it, or name it with --node or `node`";
}

// What identifies one version of the file on disk.
struct FileStamp {
  std::int64_t mtime_ns = 0;
  std::int64_t size = -1;
  ino_t inode = 0;
  friend bool operator==(const FileStamp&, const FileStamp&) = default;
};

FileStamp stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec, st.st_size, st.st_ino};
}

// How long a member listens before it claims anything: three heartbeat intervals (the time a
// live member needs to be heard at least once, with margin).
constexpr Clock::duration kMembersHeard = std::chrono::milliseconds(600);

class Standalone {
 public:
  Standalone(asio::io_context& io, TimerClock& clock, StandaloneOptions options)
      : io_(io),
        clock_(clock),
        options_(std::move(options)),
        health_(io.get_executor(), clock,
                [this](const std::string& key, health::Verdict v) {
                  spdlog::debug("service {}: health check {}: replanning", key, to_string(v));
                  schedule_plan();
                }),
        speaker_(io.get_executor(), clock),
        bfd_service_(io.get_executor(), clock),
        bfd_(io.get_executor(), clock, speaker_, bfd_service_),
        control_(speaker_, bfd_),
        reconciler_(control_),
        vips_(io.get_executor(), clock, "standalone"),
        watch_timer_(clock.make_timer(io.get_executor())),
        trimmer_(clock, io.get_executor()),
        shutdown_(io, clock, options_.drain_time,
                  Shutdown::Steps{.drain =
                                      [this] {
                                        watch_timer_->cancel();
                                        speaker_.set_drain(true);
                                        // Layer 2 hands over at once: the VIPs go, and the
                                        // others hear that this member leaves.
                                        vips_.release_all();
                                        if (members_) members_->leave();
                                      },
                                  .withdraw =
                                      [this] {
                                        reconciler_.withdraw_all();
                                        vips_.release_all();
                                      },
                                  .stop =
                                      [this](const std::string& message) {
                                        watch_timer_->cancel();
                                        trimmer_.stop();
                                        health_.stop();
                                        speaker_.stop_all(message);
                                        bfd_.stop();
                                      },
                                  .quiet = [this] { return speaker_.quiescent(); },
                                  .done =
                                      [this] {
                                        if (admin_) admin_->stop();
                                        io_.stop();
                                      },
                                  .hangup = [this] { reload("SIGHUP"); }}) {}

  int start();
  int exit_code() const { return exit_code_; }

 private:
  bool allocate(const Holdings& held);
  // start()'s second half, on the loop: addresses, health checks, the first plan, signals.
  // A failure stops the loop with exit_code() 1.
  void finish_start(Holdings held);
  void save_state();
  void set_health_checks();
  void schedule_plan();
  void plan_and_apply();
  void reload(const char* why);
  void reject(const char* why, std::vector<std::string> errors);
  void watch();
  void set_members();
  void apply_layer2(const planner::Snapshot& snapshot);
  std::set<std::string, std::less<>> live_members() const;
  // The planner's input; without services for the sessions opened before the first plan.
  planner::Snapshot snapshot(bool with_services = true) const;
  HostContext host_context();
  admin::DaemonStatus report(const admin::StatusQuery& query) const;
  std::filesystem::path state_path() const {
    return std::filesystem::path(options_.state_dir) / "allocations.json";
  }

  asio::io_context& io_;
  TimerClock& clock_;
  StandaloneOptions options_;
  config::Config config_;
  std::string node_;
  std::string loaded_;
  bool stale_ = false;
  std::vector<std::string> errors_;
  FileStamp stamp_;
  bool restarted_ = false;  // the state file existed at start

  StandaloneAllocation allocation_;
  health::HealthChecker health_;
  bgp::Speaker speaker_;
  bfd::BfdService bfd_service_;  // every BFD session of this daemon
  BfdPeers bfd_;                 // those guarding the speaker's peers
  BgpSpeakerControl control_;
  RouteReconciler reconciler_;
  bool ready_ = false;
  bool plan_pending_ = false;

  // Layer 2: the members' heartbeats (while the file has layer-2 pools) and this host's VIPs.
  std::unique_ptr<vip::MembershipService> members_;
  std::map<std::string, std::vector<IpAddress>> member_addresses_;  // what members_ was made for
  VipOwner vips_;
  std::set<std::string, std::less<>> last_live_;
  // Until the members had time to be heard (3 heartbeat intervals), this host claims nothing:
  // a restarted member that thought itself alone would announce VIPs it does not own.
  Clock::time_point members_since_{};
  std::unique_ptr<Timer> members_timer_;

  std::unique_ptr<admin::AdminServer> admin_;
  std::unique_ptr<Timer> watch_timer_;
  HeapTrimmer trimmer_;
  Shutdown shutdown_;
  int exit_code_ = 0;
};

int Standalone::start() {
  bfd_service_.on_state([this](const IpAddress& peer, bfd::State from, bfd::State to,
                               bfd::Diag diag) { bfd_.on_state(peer, from, to, diag); });
  auto checked = config::check_file(options_.config_file, config::InputFormat::kStandalone,
                                    config::Purpose::kRun, options_.max_config_bytes);
  for (const auto& d : checked.diagnostics) {
    if (d.severity == config::Severity::kError) {
      spdlog::error("{}", d.to_string());
    } else {
      spdlog::warn("{}", d.to_string());
    }
  }
  if (!checked.valid()) {
    spdlog::error("{}: {} error(s); not starting", options_.config_file, checked.error_count());
    return 1;
  }
  config_ = std::move(*checked.config);
  stamp_ = stamp(options_.config_file);
  loaded_ = now_rfc3339();
  node_ = !options_.node.empty()                                    ? options_.node
          : config_.standalone && !config_.standalone->node.empty() ? config_.standalone->node
                                                                    : host_name();
  if (const auto problem = node_problem(config_, node_); !problem.empty()) {
    spdlog::error("{}: {}; not starting", options_.config_file, problem);
    return 1;
  }

  // Addresses: what the state file says this host handed out is re-adopted first.
  std::error_code ec;
  std::filesystem::create_directories(options_.state_dir, ec);
  if (ec) {
    spdlog::error("state directory {}: {}", options_.state_dir, ec.message());
    return 1;
  }
  auto state = allocator::load_state(state_path());
  if (!state) {
    spdlog::error(
        "state file {}: {}; not starting (starting empty could hand out addresses that "
        "are in use)",
        state_path().string(), state.error().message());
    return 1;
  }
  Holdings held;
  if (state.value()) {
    restarted_ = true;
    for (auto& entry : state.value()->entries) {
      held.emplace_back(std::move(entry.service), std::move(entry.assignment));
    }
  }
  state.value().reset();

  admin_ = start_admin(
      io_.get_executor(), options_.admin,
      [this](const admin::StatusQuery& query) { return report(query); }, [this] { return ready_; });
  if (!admin_) return 1;
  spdlog::info("vipd {} standalone on node {}: {} service(s), {} peer(s); admin on {}", version(),
               node_, config_.standalone ? config_.standalone->services.size() : 0,
               config_.peers.size(), admin::format_endpoint(admin_->local_endpoint()));

  // The sessions open now, while the addresses and the first plan are worked out (seconds at
  // 100,000 services); what they announce goes out once that plan is applied, complete. The
  // rest of the start runs as the loop's next handler, after the connects already queued.
  vips_.open();  // the host's addresses come over rtnetlink (the router id, next hops)
  speaker_.hold_tables();
  log_notes(reconciler_.apply(planner::plan(snapshot(false), node_), host_context()));
  asio::post(io_, [this, held = std::move(held)]() mutable { finish_start(std::move(held)); });
  return 0;
}

void Standalone::finish_start(Holdings held) {
  if (!allocate(held)) {
    spdlog::error("not starting");
    exit_code_ = 1;
    speaker_.stop_all("vipd could not start");
    io_.stop();
    return;
  }
  Holdings().swap(held);  // the state file's copy is in the allocator now: not kept for the plan
  set_health_checks();
  set_members();
  // Without layer 2, VIPs an earlier run left (with another file) go now.
  if (!members_) vips_.clear();
  plan_and_apply();
  shutdown_.start();
  watch();
}

bool Standalone::allocate(const Holdings& held) {
  auto notes = allocation_.decide(config_, held);
  if (!notes) {
    spdlog::error("{}", notes.error().message());
    return false;
  }
  log_notes(notes.value());
  save_state();
  return true;
}

void Standalone::save_state() {
  if (auto r = allocator::save_state(state_path(), allocation_.allocator()); !r) {
    spdlog::error("state file {}: {}", state_path().string(), r.error().message());
  }
}

void Standalone::set_health_checks() {
  std::map<std::string, config::HealthCheck> checks;
  if (config_.standalone) {
    for (const auto& s : config_.standalone->services) {
      if (s.details().health_check) checks[s.namespace_ + "/" + s.name] = *s.details().health_check;
    }
  }
  health_.set(std::move(checks));
}

void Standalone::schedule_plan() {
  // Several verdicts may change at once: plan once for all of them.
  if (plan_pending_ || shutdown_.stopping()) return;
  plan_pending_ = true;
  asio::post(io_, [this] {
    plan_pending_ = false;
    if (!shutdown_.stopping()) plan_and_apply();
  });
}

planner::Snapshot Standalone::snapshot(bool with_services) const {
  planner::Snapshot snapshot;
  snapshot.kind = planner::SnapshotKind::kStandalone;
  snapshot.config = &config_;
  if (config_.standalone && !config_.standalone->nodes.empty()) {
    for (const auto& n : config_.standalone->nodes) snapshot.nodes.push_back({n.name, n.labels});
  } else {
    snapshot.nodes.push_back({node_, {{"kubernetes.io/hostname", node_}}});
  }
  if (!config_.standalone || !with_services) return snapshot;
  snapshot.services.reserve(config_.standalone->services.size());
  for (const auto& s : config_.standalone->services) {
    planner::ServiceInfo info;
    info.namespace_ = s.namespace_;
    info.name = s.name;
    info.labels = s.details().labels;
    info.traffic_policy = s.traffic_policy;
    if (const auto* a = allocation_.allocator().assignment({s.namespace_, s.name})) {
      info.addresses = a->addresses;
      info.pool = a->pool;
    }
    if (s.details().health_check) {
      const auto v = health_.verdict(info.key());
      info.health = !v || *v == health::Verdict::kUnknown ? planner::Health::kPending
                    : *v == health::Verdict::kPassing     ? planner::Health::kPassing
                                                          : planner::Health::kFailing;
    }
    snapshot.services.push_back(std::move(info));
  }
  return snapshot;
}

HostContext Standalone::host_context() {
  HostContext host;
  host.node = node_;
  if (auto* nl = vips_.netlink()) host.host = host_addresses(*nl);
  host.options.restarting = restarted_;
  if (config_.standalone) {
    for (const auto& n : config_.standalone->nodes) {
      if (n.name == node_) host.node_addresses = n.addresses;
    }
  }
  return host;
}

void Standalone::plan_and_apply() {
  const auto host = host_context();  // once per plan
  planner::Plan plan;
  {
    // The snapshot (a copy of every service) goes before the routes are handed over.
    const auto snap = snapshot();
    plan = planner::plan(snap, node_);
    apply_layer2(snap);
  }
  log_notes(reconciler_.apply(std::move(plan), host));
  speaker_.release_tables();  // the first plan: the sessions that came up get their tables
  trimmer_.after_plan();
  if (!ready_) spdlog::info("first plan applied: ready");
  ready_ = true;
}

void Standalone::reject(const char* why, std::vector<std::string> errors) {
  for (const auto& e : errors) spdlog::error("{}", e);
  errors_ = std::move(errors);
  stale_ = true;
  spdlog::error(
      "reload ({}): {} rejected with {} error(s); the configuration loaded at {} stays in force",
      why, options_.config_file, errors_.size(), loaded_);
}

void Standalone::reload(const char* why) {
  stamp_ = stamp(options_.config_file);
  auto checked = config::check_file(options_.config_file, config::InputFormat::kStandalone,
                                    config::Purpose::kRun, options_.max_config_bytes);
  if (!checked.valid()) {
    std::vector<std::string> errors;
    for (const auto& d : checked.diagnostics) {
      if (d.severity == config::Severity::kError) errors.push_back(d.to_string());
    }
    reject(why, std::move(errors));
    return;
  }
  auto next = std::move(*checked.config);
  if (next == config_) {
    stale_ = false;
    errors_.clear();
    spdlog::info("reload ({}): no change", why);
    return;
  }
  if (const auto problem = node_problem(next, node_); !problem.empty()) {
    reject(why, {options_.config_file + ": " + problem});
    return;
  }
  if (next.standalone && !next.standalone->node.empty() && options_.node.empty() &&
      next.standalone->node != node_) {
    spdlog::warn("reload: the node name changes only at restart (still {})", node_);
  }
  // The same decision a restart on the new file would make from the state file.
  auto notes = allocation_.reload(next);
  if (!notes) {
    reject(why, {notes.error().message()});  // validation should have caught it
    return;
  }
  config_ = std::move(next);
  log_notes(notes.value());
  save_state();
  stale_ = false;
  errors_.clear();
  loaded_ = now_rfc3339();
  spdlog::info("reload ({}): configuration applied", why);
  set_health_checks();
  set_members();
  plan_and_apply();
}

void Standalone::set_members() {
  std::map<std::string, std::vector<IpAddress>> members;
  if (!config_.l2_advertisements.empty() && config_.standalone) {
    for (const auto& n : config_.standalone->nodes) members[n.name] = n.addresses;
  }
  if (members == member_addresses_ && (members_ || members.empty())) return;
  member_addresses_ = members;
  if (members_) members_->leave();
  members_.reset();
  if (members.empty()) {
    vips_.clear();
    return;
  }
  vips_.open();
  members_since_ = clock_.now();
  if (!members_timer_) members_timer_ = clock_.make_timer(io_.get_executor());
  members_timer_->arm(members_since_ + kMembersHeard, [this] { schedule_plan(); });
  members_ = std::make_unique<vip::MembershipService>(
      io_.get_executor(), clock_,
      vip::MembershipOptions{.node = node_, .members = std::move(members)},
      [this] { schedule_plan(); });
  if (auto r = members_->start(); !r) {
    spdlog::error("standalone: layer-2 membership: {}: this host brings no VIP up",
                  r.error().message());
    members_.reset();
  }
}

std::set<std::string, std::less<>> Standalone::live_members() const {
  std::set<std::string, std::less<>> live;
  if (!members_) return live;
  live = members_->members().live(clock_.now());
  // This member (its own heartbeats are in the table too) is a candidate while it runs, once
  // the others had time to be heard.
  live.erase(node_);
  if (clock_.now() >= members_since_ + kMembersHeard) live.insert(node_);
  return live;
}

void Standalone::apply_layer2(const planner::Snapshot& snapshot) {
  if (!members_) return;
  // What this member cannot serve now, for the others' elections.
  std::vector<std::string> not_serving;
  for (const auto& service : snapshot.services) {
    if (!vip::serves_here(service)) not_serving.push_back(service.key());
  }
  std::sort(not_serving.begin(), not_serving.end());
  members_->set_not_serving(std::move(not_serving));
  const auto now = clock_.now();
  auto live = live_members();
  const bool someone_came =
      std::any_of(live.begin(), live.end(), [&](const auto& n) { return !last_live_.contains(n); });
  last_live_ = live;
  const auto* members = &members_->members();
  vips_.apply(snapshot, node_,
              vip::Liveness{.live = std::move(live),
                            .service_live = [this, members, now](std::string_view node,
                                                                 std::string_view key) {
                              return node == node_ || members->serves(node, key, now);
                            }});
  // A member that (re)appears may have held our VIPs during a partition.
  if (someone_came) vips_.reannounce();
}

void Standalone::watch() {
  watch_timer_->arm(clock_.now() + options_.watch_interval, [this] {
    if (shutdown_.stopping()) return;
    const FileStamp now = stamp(options_.config_file);
    if (!(now == stamp_) && now.size >= 0) reload("file changed");
    watch();
  });
}

admin::DaemonStatus Standalone::report(const admin::StatusQuery& query) const {
  admin::DaemonStatus in;
  in.query = query;
  in.node = node_;
  in.mode = "standalone";
  in.version = std::string(version());
  in.ready = ready_;
  in.config_file = options_.config_file;
  in.config_stale = stale_;
  in.config_loaded = loaded_;
  in.config_errors = errors_;
  const auto now = clock_.now();
  const auto& identities = reconciler_.peers();
  for (const auto& s : speaker_.status()) {
    const auto it = identities.find(s.address);
    in.peers.push_back(peer_view(s, it == identities.end() ? nullptr : &it->second, now));
    in.peers.back().bfd = bfd_.view(s.address);
  }
  fill_announcements(in, reconciler_.decisions(), identities, query);
  vips_.fill(in, query);
  if (members_) {
    const auto live = live_members();
    in.live_speakers.assign(live.begin(), live.end());
  }
  const auto health = health_.status();
  const auto& allocator = allocation_.allocator();
  if (config_.standalone) {
    admin::ListPage page(query);
    std::string key;
    for (const auto& s : config_.standalone->services) {
      key.assign(s.namespace_).append("/").append(s.name);
      const auto error = allocation_.errors().find(key);
      const auto checked = s.details().health_check ? health.find(key) : health.end();
      in.services_with_errors += error != allocation_.errors().end();
      in.services_failing_health +=
          checked != health.end() && checked->second.verdict == health::Verdict::kFailing;
      if (query.only_checked_services && !s.details().health_check) continue;
      page.entry();
      if (!query.service_matches(key)) continue;
      const auto* assigned = allocator.assignment({s.namespace_, s.name});
      static const std::vector<IpAddress> kNone;
      if (!query.any_address_matches(assigned ? assigned->addresses : kNone) || !page.admit()) {
        continue;
      }
      admin::ServiceView v;
      v.key = key;
      if (assigned) {
        v.addresses = assigned->addresses;
        v.pool = assigned->pool;
      }
      v.traffic_policy = s.traffic_policy == config::TrafficPolicy::kLocal ? "Local" : "Cluster";
      if (s.details().health_check) {
        v.health = health_view(*s.details().health_check,
                               checked == health.end() ? nullptr : &checked->second);
      }
      if (error != allocation_.errors().end()) v.error = error->second;
      in.services.push_back(std::move(v));
    }
    in.services_count = page.count();
  }
  for (const auto& pool : allocator.pools()) {
    auto counts = allocator.counts(pool.name);
    if (!counts) continue;
    const auto& c = counts.value();
    if (c.v4.total > 0) {
      in.pools.push_back(admin::PoolView{pool.name, "ipv4", c.v4.total, c.v4.in_use});
    }
    if (c.v6.total > 0) {
      in.pools.push_back(admin::PoolView{pool.name, "ipv6", c.v6.total, c.v6.in_use});
    }
  }
  if (auto rss = admin::process_resident_memory_bytes()) in.resident_memory = rss.value();
  return in;
}

}  // namespace

int run_standalone(const StandaloneOptions& options) {
  asio::io_context io;
  SteadyTimerClock clock;
  Standalone daemon(io, clock, options);
  if (const int code = daemon.start(); code != 0) return code;
  io.run();
  if (daemon.exit_code() != 0) return daemon.exit_code();
  spdlog::info("stopped");
  return 0;
}

}  // namespace vipd::daemon
