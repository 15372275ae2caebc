#include "daemon/standalone.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>

#include "admin/process_memory.hpp"
#include "admin/server.hpp"
#include "admin/status.hpp"
#include "allocator/allocator.hpp"
#include "allocator/state_file.hpp"
#include "bgp/speaker.hpp"
#include "common/asio.hpp"
#include "config/load.hpp"
#include "daemon/translate.hpp"
#include "daemon/version.hpp"
#include "health/health.hpp"
#include "planner/planner.hpp"

namespace vipd::daemon {
namespace {

using admin::AdminServer;
using health::HealthChecker;
using health::Verdict;
using namespace planner;  // NOLINT(google-build-using-namespace): the snapshot and plan types

// What /status shows of a peer beside the speaker's status.
struct PeerIdentity {
  std::string name;
  std::uint32_t asn = 0;
  std::uint32_t local_asn = 0;
};

std::string now_rfc3339() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::string host_name() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof buffer - 1) != 0) return "localhost";
  return buffer;
}

// One address of the host, with the interface it is on.
struct HostAddress {
  std::string interface;
  IpAddress address;
  int prefix_length = 0;
};

std::vector<HostAddress> host_addresses() {
  std::vector<HostAddress> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || !i->ifa_netmask) continue;
    std::optional<IpAddress> ip, mask;
    if (i->ifa_addr->sa_family == AF_INET) {
      ip = IpAddress::v4(ntohl(reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr));
      mask = IpAddress::v4(ntohl(reinterpret_cast<sockaddr_in*>(i->ifa_netmask)->sin_addr.s_addr));
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      std::array<std::uint8_t, 16> a{}, m{};
      std::memcpy(a.data(), &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr, 16);
      std::memcpy(m.data(), &reinterpret_cast<sockaddr_in6*>(i->ifa_netmask)->sin6_addr, 16);
      ip = IpAddress::from_bytes(a);
      mask = IpAddress::from_bytes(m);
    }
    if (!ip || !mask) continue;
    const u128 m = mask->value();  // a contiguous netmask: its length is its number of ones
    const int length = __builtin_popcountll(static_cast<std::uint64_t>(m >> 64)) +
                       __builtin_popcountll(static_cast<std::uint64_t>(m));
    out.push_back({i->ifa_name, *ip, length});
  }
  freeifaddrs(list);
  return out;
}

// Not loopback (127/8, ::1) and not IPv6 link-local (fe80::/10).
bool usable(const IpAddress& a) {
  if (a.is_v4()) return (a.v4_value() >> 24) != 127;
  return a.value() != 1 && (a.value() >> 118) != 0x3fa;
}

// Router id and next hops for a peer: from the interface whose subnet holds the peer's
// address (the one the session will leave by), else any non-loopback address.
HostFacts host_facts(const config::Peer& peer, const std::string& node,
                     const std::vector<HostAddress>& addresses) {
  HostFacts facts;
  facts.hostname = node;
  std::string interface;
  for (const auto& a : addresses) {
    if (!peer.address || a.address.family() != peer.address->family()) continue;
    auto net = Prefix::make(a.address, a.prefix_length);
    if (net && net.value().contains(*peer.address)) interface = a.interface;
  }
  const auto pick = [&](Family family) -> std::optional<IpAddress> {
    for (const bool same_interface : {true, false}) {
      for (const auto& a : addresses) {
        if (a.address.family() != family || !usable(a.address)) continue;
        if (same_interface && a.interface != interface) continue;
        return a.address;
      }
    }
    return std::nullopt;
  };
  if (auto v4 = pick(Family::kV4)) {
    facts.router_id = v4->v4_value();
    facts.next_hop_ipv4 = v4;
  }
  facts.next_hop_ipv6 = pick(Family::kV6);
  return facts;
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

class Standalone {
 public:
  Standalone(asio::io_context& io, StandaloneOptions options)
      : io_(io),
        options_(std::move(options)),
        health_(io.get_executor(),
                [this](const std::string& key, Verdict v) {
                  spdlog::debug("service {}: health check {}: replanning", key, to_string(v));
                  schedule_plan();
                }),
        speaker_(io.get_executor()),
        signals_(io, SIGHUP, SIGTERM, SIGINT),
        watch_timer_(io),
        stop_timer_(io),
        plan_timer_(io) {}

  int start();

 private:
  void allocate();
  void save_state();
  void set_health_checks();
  void schedule_plan();
  void plan_and_apply();
  void reload(const char* why);
  void watch();
  void wait_signal();
  void drain_then_stop();
  void stop_now(const std::string& message);
  void exit_when_quiet(int checks_left);
  admin::DaemonStatus report() const;
  std::filesystem::path state_path() const {
    return std::filesystem::path(options_.state_dir) / "allocations.json";
  }

  asio::io_context& io_;
  StandaloneOptions options_;
  config::Config config_;
  std::string node_;
  std::string loaded_;
  bool stale_ = false;
  std::vector<std::string> errors_;
  FileStamp stamp_;
  bool restarted_ = false;  // the state file existed at start

  allocator::Allocator allocator_;
  std::map<std::string, std::string> service_errors_;  // key -> why it has no address
  HealthChecker health_;
  bgp::Speaker speaker_;
  std::map<std::string, std::string> peer_prints_;  // address -> fingerprint
  std::map<std::string, PeerIdentity> peer_views_;  // address -> name and ASNs
  std::set<std::string> peer_problems_;             // logged once
  std::vector<Decision> decisions_;
  bool ready_ = false;
  bool plan_pending_ = false;
  bool stopping_ = false;

  std::unique_ptr<AdminServer> admin_;
  asio::signal_set signals_;
  asio::steady_timer watch_timer_;
  asio::steady_timer stop_timer_;
  asio::steady_timer plan_timer_;
};

int Standalone::start() {
  auto checked = config::check_file(options_.config_file, config::InputFormat::kStandalone);
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

  // Addresses: what the state file says this host handed out comes first.
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
  if (auto r = allocator_.set_pools(to_allocator_pools(config_)); !r) {
    spdlog::error("address pools: {}", r.error().message());
    return 1;
  }
  if (state.value()) {
    restarted_ = true;
    for (const auto& entry : state.value()->entries) {
      const config::StandaloneService* service = nullptr;
      if (config_.standalone) {
        for (const auto& s : config_.standalone->services) {
          if (s.namespace_ == entry.service.ns && s.name == entry.service.name) service = &s;
        }
      }
      if (!service) {
        spdlog::info("state file: {} is no longer configured; its addresses are released",
                     entry.service.to_string());
        continue;
      }
      auto adopted = allocator_.adopt(to_request(*service, config_), entry.assignment.addresses);
      if (!adopted) {
        spdlog::warn("state file: cannot keep the addresses of {}: {}", entry.service.to_string(),
                     adopted.error().message());
      }
    }
  }
  allocate();

  auto endpoint = admin::parse_admin_address(options_.admin);
  if (!endpoint) {
    spdlog::error("--admin {}: {}", options_.admin, endpoint.error().message());
    return 1;
  }
  AdminServer::Handlers handlers;
  handlers.metrics = [this] { return admin::metrics_text(report()); };
  handlers.status = [this] { return admin::status_document(report()); };
  handlers.ready = [this] { return ready_; };
  admin_ = std::make_unique<AdminServer>(io_.get_executor(), endpoint.value(), std::move(handlers));
  if (auto r = admin_->start(); !r) {
    spdlog::error("{}", r.error().message());
    return 1;
  }
  spdlog::info("vipd {} standalone on node {}: {} service(s), {} peer(s); admin on {}", version(),
               node_, config_.standalone ? config_.standalone->services.size() : 0,
               config_.peers.size(), admin::format_endpoint(admin_->local_endpoint()));

  set_health_checks();
  plan_and_apply();
  wait_signal();
  watch();
  return 0;
}

void Standalone::allocate() {
  std::set<allocator::ServiceKey> wanted;
  service_errors_.clear();
  if (config_.standalone) {
    for (const auto& s : config_.standalone->services) {
      auto request = to_request(s, config_);
      wanted.insert(request.key);
      auto r = allocator_.assign(request);
      if (!r) {
        // One service's problem never stops the others.
        service_errors_[request.key.to_string()] = r.error().message();
        spdlog::warn("service {}: no address: {}", request.key.to_string(), r.error().message());
      }
    }
  }
  for (const auto& [key, assignment] : allocator_.assignments()) {
    if (!wanted.contains(key)) {
      spdlog::info("service {}: removed; releasing its addresses", key.to_string());
      allocator_.release(key);
    }
  }
  save_state();
}

void Standalone::save_state() {
  if (auto r = allocator::save_state(state_path(), allocator::snapshot(allocator_)); !r) {
    spdlog::error("state file {}: {}", state_path().string(), r.error().message());
  }
}

void Standalone::set_health_checks() {
  std::map<std::string, config::HealthCheck> checks;
  if (config_.standalone) {
    for (const auto& s : config_.standalone->services) {
      if (s.health_check) checks[s.namespace_ + "/" + s.name] = *s.health_check;
    }
  }
  health_.set(std::move(checks));
}

void Standalone::schedule_plan() {
  // Several verdicts may change at once: plan once for all of them.
  if (plan_pending_ || stopping_) return;
  plan_pending_ = true;
  asio::post(io_, [this] {
    plan_pending_ = false;
    if (!stopping_) plan_and_apply();
  });
}

void Standalone::plan_and_apply() {
  Snapshot snapshot;
  snapshot.kind = SnapshotKind::kStandalone;
  snapshot.config = &config_;
  snapshot.nodes.push_back({node_, {{"kubernetes.io/hostname", node_}}, false});
  if (config_.standalone) {
    for (const auto& s : config_.standalone->services) {
      ServiceInfo info;
      info.namespace_ = s.namespace_;
      info.name = s.name;
      info.traffic_policy = s.traffic_policy;
      const std::string key = info.key();
      if (const auto* a = allocator_.assignment({s.namespace_, s.name})) {
        info.addresses = a->addresses;
        info.pool = a->pool;
      }
      if (s.health_check) {
        const auto v = health_.verdict(key);
        info.health = !v || *v == Verdict::kUnknown ? Health::kPending
                      : *v == Verdict::kPassing     ? Health::kPassing
                                                    : Health::kFailing;
      }
      snapshot.services.push_back(std::move(info));
    }
  }
  const Plan plan = planner::plan(snapshot, node_);

  const auto addresses = host_addresses();  // read once per plan, not once per peer
  std::set<std::string> desired;
  for (const auto& p : plan.peers) {
    auto settings = to_peer_config(*p.peer, host_facts(*p.peer, node_, addresses), {restarted_});
    const std::string address = p.peer->address ? p.peer->address->to_string() : p.peer->name;
    if (!settings) {
      if (peer_problems_.insert(address).second) {
        spdlog::error("peer {}: {}", address, settings.error().message());
      }
      continue;
    }
    desired.insert(address);
    const std::string print = fingerprint(settings.value());
    if (peer_prints_[address] != print) {
      if (settings.value().session.fsm.router_id == 0) {
        spdlog::error(
            "peer {}: no IPv4 address on this host to use as the router id; set "
            "router-id",
            address);
      }
      speaker_.add_peer(settings.value());
      peer_prints_[address] = print;
    }
    peer_views_[address] = {p.peer->name.empty() ? address : p.peer->name, p.peer->peer_asn,
                            p.peer->my_asn};
    speaker_.set_peer_routes(address, to_route_set(p.routes, speaker_.interner()));
  }
  for (auto it = peer_prints_.begin(); it != peer_prints_.end();) {
    if (desired.contains(it->first)) {
      ++it;
      continue;
    }
    spdlog::info("peer {}: no longer configured for this node; closing", it->first);
    speaker_.remove_peer(it->first, "peer removed from the configuration");
    peer_views_.erase(it->first);
    it = peer_prints_.erase(it);
  }
  for (const auto& d : plan.decisions) {
    const bool was = std::find(decisions_.begin(), decisions_.end(), d) != decisions_.end();
    if (!was && d.prefix) {
      spdlog::info("{} {} {} to {}: {}{}{}", d.service,
                   d.reason == Reason::kAnnounced ? "announces" : "does not announce",
                   d.prefix->to_string(), d.peer.empty() ? "any peer" : d.peer, to_string(d.reason),
                   d.detail.empty() ? "" : ": ", d.detail);
    }
  }
  decisions_ = plan.decisions;
  if (!ready_) spdlog::info("first plan applied: ready");
  ready_ = true;
}

void Standalone::reload(const char* why) {
  stamp_ = stamp(options_.config_file);
  auto checked = config::check_file(options_.config_file, config::InputFormat::kStandalone);
  if (!checked.valid()) {
    errors_.clear();
    for (const auto& d : checked.diagnostics) {
      if (d.severity != config::Severity::kError) continue;
      errors_.push_back(d.to_string());
      spdlog::error("{}", d.to_string());
    }
    stale_ = true;
    spdlog::error(
        "reload ({}): {} rejected with {} error(s); the configuration loaded at {} "
        "stays in force",
        why, options_.config_file, errors_.size(), loaded_);
    return;
  }
  auto next = std::move(*checked.config);
  if (next == config_) {
    stale_ = false;
    errors_.clear();
    spdlog::info("reload ({}): no change", why);
    return;
  }
  auto report = allocator_.set_pools(to_allocator_pools(next));
  if (!report) {
    // Validation should have caught it; keep the old configuration all the same.
    stale_ = true;
    errors_ = {report.error().message()};
    spdlog::error("reload ({}): address pools refused: {}", why, report.error().message());
    return;
  }
  for (const auto& c : report.value().cleared) {
    spdlog::warn("service {}: assignment cleared: {}", c.service.to_string(), c.reason);
  }
  config_ = std::move(next);
  if (config_.standalone && !config_.standalone->node.empty() && options_.node.empty() &&
      config_.standalone->node != node_) {
    spdlog::warn("reload: the node name changes only at restart (still {})", node_);
  }
  stale_ = false;
  errors_.clear();
  loaded_ = now_rfc3339();
  peer_problems_.clear();
  spdlog::info("reload ({}): configuration applied", why);
  allocate();
  set_health_checks();
  plan_and_apply();
}

void Standalone::watch() {
  watch_timer_.expires_after(options_.watch_interval);
  watch_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    const FileStamp now = stamp(options_.config_file);
    if (!(now == stamp_) && now.size >= 0) reload("file changed");
    watch();
  });
}

void Standalone::wait_signal() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP && !stopping_) {
      reload("SIGHUP");
    } else if (signal == SIGTERM && !stopping_) {
      drain_then_stop();
    } else {
      stop_now(signal == SIGINT ? "vipd stopped" : "vipd stopped during drain");
      return;
    }
    wait_signal();
  });
}

void Standalone::drain_then_stop() {
  // RFC 8326: the routes stay, marked GRACEFUL_SHUTDOWN (and LOCAL_PREF 0 toward iBGP peers),
  // so routers move traffic away before anything is withdrawn.
  stopping_ = true;
  watch_timer_.cancel();
  spdlog::info("SIGTERM: draining for {} ms (RFC 8326 graceful shutdown)",
               options_.drain_time.count());
  speaker_.set_drain(true);
  stop_timer_.expires_after(options_.drain_time);
  stop_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    spdlog::info("drain time over: withdrawing every route and closing the sessions");
    for (const auto& [address, print] : peer_prints_) speaker_.set_peer_routes(address, {});
    stop_now("vipd shutting down");
  });
}

void Standalone::stop_now(const std::string& message) {
  stopping_ = true;
  watch_timer_.cancel();
  stop_timer_.cancel();
  health_.stop();
  speaker_.stop_all(message);
  signals_.cancel();
  exit_when_quiet(40);
}

void Standalone::exit_when_quiet(int checks_left) {
  // The NOTIFICATIONs go out before the process ends: checked every 25 ms, 1 s at most.
  if (speaker_.quiescent() || checks_left == 0) {
    if (admin_) admin_->stop();
    io_.stop();
    return;
  }
  stop_timer_.expires_after(std::chrono::milliseconds(25));
  stop_timer_.async_wait(
      [this, checks_left](const boost::system::error_code&) { exit_when_quiet(checks_left - 1); });
}

admin::DaemonStatus Standalone::report() const {
  admin::DaemonStatus in;
  in.node = node_;
  in.mode = "standalone";
  in.version = std::string(version());
  in.ready = ready_;
  in.config_file = options_.config_file;
  in.config_stale = stale_;
  in.config_loaded = loaded_;
  in.config_errors = errors_;
  const auto now = std::chrono::steady_clock::now();
  for (const auto& s : speaker_.status()) {
    admin::PeerView v;
    if (auto it = peer_views_.find(s.address); it != peer_views_.end()) {
      v.name = it->second.name;
      v.asn = it->second.asn;
      v.local_asn = it->second.local_asn;
    }
    v.address = s.address;
    v.state = std::string(bgp::to_string(s.state));
    v.established = s.state == bgp::State::kEstablished;
    v.last_error = s.last_error;
    v.advertised_ipv4 = s.advertised_ipv4;
    v.advertised_ipv6 = s.advertised_ipv6;
    v.updates_sent = s.updates_sent;
    v.messages_received = s.messages_received;
    if (s.established_since) {
      v.established_for =
          std::chrono::duration_cast<std::chrono::seconds>(now - *s.established_since);
    }
    for (const auto& [reason, count] : s.transitions) {
      v.transitions[std::string(bgp::to_string(reason))] = count;
    }
    in.peers.push_back(std::move(v));
  }
  for (const auto& d : decisions_) {
    in.announcements.push_back(
        {d.peer, d.prefix ? d.prefix->to_string() : (d.address ? d.address->to_string() : ""),
         d.service, std::string(to_string(d.reason)), d.detail});
  }
  const auto health = health_.status();
  if (config_.standalone) {
    for (const auto& s : config_.standalone->services) {
      admin::ServiceView v;
      v.key = s.namespace_ + "/" + s.name;
      if (const auto* a = allocator_.assignment({s.namespace_, s.name})) {
        v.addresses = a->addresses;
        v.pool = a->pool;
      }
      v.traffic_policy = s.traffic_policy == config::TrafficPolicy::kLocal ? "Local" : "Cluster";
      if (s.health_check) {
        using K = config::HealthCheck::Kind;
        admin::HealthView h;
        h.kind = s.health_check->kind == K::kTcp    ? "tcp"
                 : s.health_check->kind == K::kHttp ? "http"
                                                    : "exec";
        if (auto it = health.find(v.key); it != health.end()) {
          h.state = std::string(to_string(it->second.verdict));
          h.last_result = it->second.last_result;
          h.checks = it->second.checks;
          h.failures = it->second.failures;
        } else {
          h.state = std::string(to_string(Verdict::kUnknown));
        }
        v.health = std::move(h);
      }
      if (auto it = service_errors_.find(v.key); it != service_errors_.end()) v.error = it->second;
      in.services.push_back(std::move(v));
    }
  }
  for (const auto& pool : allocator_.pools()) {
    auto counts = allocator_.counts(pool.name);
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
  Standalone daemon(io, options);
  if (const int code = daemon.start(); code != 0) return code;
  io.run();
  spdlog::info("stopped");
  return 0;
}

}  // namespace vipd::daemon
