// vipd-bgp-announce: a test driver (not the daemon) that announces a route set to BGP peers
// with vipd's own speaker, so sessions can be tested and benchmarked before the daemon exists.
//
//   vipd-bgp-announce --local-as 65550 --router-id 192.0.2.10
//     --peer 192.0.2.1,as=64500,password=secret --route 203.0.113.10/32,med=10,community=64500:1
//
// Signals: SIGHUP re-reads --routes-file; SIGUSR1 withdraws every route; SIGUSR2 announces
// them again; SIGTERM drains (RFC 8326) for --drain-time, withdraws and exits; SIGINT exits at
// once. --status FILE is rewritten (JSON) whenever something changes, for tests to poll.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "bgp/speaker.hpp"
#include "common/asio.hpp"
#include "common/asio_address.hpp"
#include "common/logging.hpp"
#include "common/timer.hpp"

namespace {

using namespace vipd;
using namespace vipd::bgp;

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, sep)) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "vipd-bgp-announce: %s\n", message.c_str());
  std::exit(2);
}

std::uint32_t community(const std::string& text) {
  const auto parts = split(text, ':');
  if (parts.size() != 2) usage_error("bad community '" + text + "' (want a:b)");
  return (static_cast<std::uint32_t>(std::stoul(parts[0])) << 16) |
         static_cast<std::uint32_t>(std::stoul(parts[1]));
}

// "203.0.113.10/32,med=10,local-pref=200,community=64500:1,large=65550:1:2,origin=egp"
std::pair<Prefix, RouteAttributes> route(const std::string& spec) {
  const auto fields = split(spec, ',');
  auto prefix = Prefix::parse(fields.at(0), Prefix::HostBits::kMask);
  if (!prefix) usage_error(prefix.error().message());
  RouteAttributes a;
  for (std::size_t i = 1; i < fields.size(); ++i) {
    const auto eq = fields[i].find('=');
    const std::string key = fields[i].substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : fields[i].substr(eq + 1);
    if (key == "med") {
      a.med = static_cast<std::uint32_t>(std::stoul(value));
    } else if (key == "local-pref") {
      a.local_pref = static_cast<std::uint32_t>(std::stoul(value));
    } else if (key == "community") {
      a.communities.push_back(community(value));
    } else if (key == "large") {
      const auto p = split(value, ':');
      if (p.size() != 3) usage_error("bad large community '" + value + "'");
      a.large_communities.push_back({static_cast<std::uint32_t>(std::stoul(p[0])),
                                     static_cast<std::uint32_t>(std::stoul(p[1])),
                                     static_cast<std::uint32_t>(std::stoul(p[2]))});
    } else if (key == "origin") {
      a.origin = value == "egp"          ? Origin::kEgp
                 : value == "incomplete" ? Origin::kIncomplete
                                         : Origin::kIgp;
    } else {
      usage_error("unknown route field '" + key + "'");
    }
  }
  return {prefix.value(), a};
}

struct Options {
  std::uint32_t local_as = 0;
  std::string router_id;
  std::uint16_t hold = 90;
  std::optional<std::uint16_t> graceful_restart;
  bool restarting = false;
  std::vector<std::string> peers;
  std::vector<std::string> routes;
  std::string routes_file;
  std::string count_base;
  std::uint32_t count = 0;
  double drain_time = 0;
  std::string status_file;
  std::string log_level = "info";
  std::vector<std::string> listen;
  std::uint16_t listen_port = 179;
};

PeerConfig peer(const std::string& spec, const Options& o, std::uint32_t router_id) {
  const auto fields = split(spec, ',');
  PeerConfig p;
  const auto address = IpAddress::parse(fields.at(0));
  if (!address) usage_error("bad peer address '" + fields.at(0) + "'");
  p.session.peer_address = address.value();
  p.session.fsm.local_as = o.local_as;
  p.session.fsm.router_id = router_id;
  p.session.fsm.hold_time = o.hold;
  p.session.fsm.graceful_restart_time = o.graceful_restart;
  p.session.fsm.restarting = o.restarting;
  p.session.fsm.families = {kIpv4Unicast, kIpv6Unicast};
  p.session.fsm.backoff_initial = std::chrono::milliseconds(500);
  p.session.fsm.backoff_max = std::chrono::seconds(8);
  p.session.fsm.connect_timeout = std::chrono::seconds(5);
  for (std::size_t i = 1; i < fields.size(); ++i) {
    const auto eq = fields[i].find('=');
    const std::string key = fields[i].substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : fields[i].substr(eq + 1);
    if (key == "as") {
      p.session.fsm.peer_as = static_cast<std::uint32_t>(std::stoul(value));
    } else if (key == "password") {
      p.session.password = value;
    } else if (key == "source") {
      const auto source = IpAddress::parse(value);
      if (!source) usage_error("bad source address '" + value + "'");
      p.session.source_address = source.value();
    } else if (key == "port") {
      p.session.peer_port = static_cast<std::uint16_t>(std::stoul(value));
    } else if (key == "ttl") {
      p.session.ttl = std::stoi(value);
    } else if (key == "gtsm") {
      p.session.gtsm = true;
    } else if (key == "next-hop-ipv6") {
      p.next_hop_ipv6 = IpAddress::parse(value).value();
    } else if (key == "next-hop-ipv4") {
      p.next_hop_ipv4 = IpAddress::parse(value).value();
    } else if (key == "passive") {
      p.session.fsm.passive = true;
    } else if (key == "extended-next-hop") {
      p.session.fsm.extended_next_hop_ipv4 = true;
      p.ipv4_over_ipv6_next_hop = true;
    } else {
      usage_error("unknown peer field '" + key + "'");
    }
  }
  if (p.session.fsm.peer_as == 0) usage_error("peer " + fields.at(0) + " needs as=ASN");
  if (p.session.fsm.peer_as == o.local_as) p.session.ttl = 255;  // iBGP
  return p;
}

RouteSet load_routes(const Options& o, AttributeInterner& interner) {
  RouteSet set;
  std::vector<std::string> specs = o.routes;
  if (!o.routes_file.empty()) {
    std::ifstream in(o.routes_file);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line[0] != '#') specs.push_back(line);
    }
  }
  for (const auto& s : specs) {
    auto [prefix, attributes] = route(s);
    set[prefix] = interner.intern(attributes);
  }
  if (o.count > 0) {
    const auto base = IpAddress::parse(o.count_base.empty() ? "198.18.0.0" : o.count_base);
    if (!base) usage_error(base.error().message());
    const auto attributes = interner.intern(RouteAttributes{});
    for (std::uint32_t i = 0; i < o.count; ++i) {
      set[Prefix::host(*base.value().plus(i))] = attributes;
    }
  }
  return set;
}

void write_status(const std::string& file, Speaker& speaker, bool withdrawn) {
  if (file.empty()) return;
  boost::json::array peers;
  for (const auto& s : speaker.status()) {
    peers.push_back({{"address", s.address},
                     {"state", std::string(to_string(s.state))},
                     {"last_error", s.last_error},
                     {"advertised_ipv4", s.advertised_ipv4},
                     {"advertised_ipv6", s.advertised_ipv6},
                     {"updates_sent", s.updates_sent},
                     {"messages_received", s.messages_received}});
  }
  const std::string tmp = file + ".tmp";
  std::ofstream(tmp) << boost::json::serialize(
      boost::json::object{{"peers", peers}, {"withdrawn", withdrawn}});
  std::rename(tmp.c_str(), file.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Announce routes to BGP peers with vipd's speaker (test driver).",
               "vipd-bgp-announce"};
  app.add_option("--local-as", o.local_as, "Local AS")->required();
  app.add_option("--router-id", o.router_id, "BGP identifier")->required();
  app.add_option("--hold", o.hold, "Hold time offered (s)");
  app.add_option("--graceful-restart", o.graceful_restart, "Offer graceful restart (s)");
  app.add_flag("--restarting", o.restarting, "Set the graceful restart R bit");
  app.add_option("--peer", o.peers, "ADDRESS,as=N[,password=P][,source=A][,ttl=N][,gtsm][,passive]")
      ->required();
  app.add_option("--route", o.routes, "PREFIX[,med=N][,local-pref=N][,community=A:B]...");
  app.add_option("--routes-file", o.routes_file, "One --route spec per line (re-read on HUP)");
  app.add_option("--count", o.count, "Also announce N /32 routes from --count-base");
  app.add_option("--count-base", o.count_base, "First address for --count (198.18.0.0)");
  app.add_option("--drain-time", o.drain_time, "Seconds to drain on SIGTERM");
  app.add_option("--status", o.status_file, "Write session status JSON here");
  app.add_option("--listen", o.listen, "Accept the peers' connections on this address");
  app.add_option("--listen-port", o.listen_port, "Port for --listen (179)");
  app.add_option("--log-level", o.log_level, "Log level");
  CLI11_PARSE(app, argc, argv);

  const auto level = parse_log_level(o.log_level);
  if (!level) usage_error(level.error().message());
  setup_logging(LogFormat::kText, level.value());
  const auto id = IpAddress::parse_v4(o.router_id);
  if (!id) usage_error(id.error().message());

  asio::io_context io;
  SteadyTimerClock clock;
  Speaker speaker(io.get_executor(), clock);
  // The speaker holds the only copy of the table: SIGUSR2 builds it again from the options.
  std::size_t route_count = 0;
  {
    RouteSet routes = load_routes(o, speaker.interner());
    route_count = routes.size();
    speaker.set_routes(std::move(routes));
  }
  for (const auto& p : o.peers) speaker.add_peer(peer(p, o, id.value().v4_value()));
  for (const auto& l : o.listen) {
    const auto address = IpAddress::parse(l);
    if (!address) usage_error("bad listen address '" + l + "'");
    if (auto r = speaker.listen(to_endpoint(address.value(), o.listen_port)); !r) {
      usage_error(r.error().message());
    }
  }

  bool withdrawn = false;
  asio::steady_timer status_timer(io);
  std::function<void()> tick = [&] {
    write_status(o.status_file, speaker, withdrawn);
    status_timer.expires_after(std::chrono::milliseconds(100));
    status_timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) tick();
    });
  };
  tick();

  asio::steady_timer drain_timer(io);
  asio::signal_set signals(io, SIGHUP, SIGUSR1, SIGUSR2);
  asio::signal_set stop_signals(io, SIGTERM, SIGINT);
  std::function<void()> wait_signal = [&] {
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        RouteSet routes = load_routes(o, speaker.interner());
        route_count = routes.size();
        if (!withdrawn) speaker.set_routes(std::move(routes));
        spdlog::info("routes reloaded: {} prefixes", route_count);
      } else if (signal == SIGUSR1) {
        withdrawn = true;
        speaker.set_routes({});
        spdlog::info("all routes withdrawn");
      } else if (signal == SIGUSR2) {
        withdrawn = false;
        speaker.set_routes(load_routes(o, speaker.interner()));
        spdlog::info("routes announced again");
      }
      wait_signal();
    });
  };
  wait_signal();
  stop_signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    const auto finish = [&] {
      speaker.set_routes({});
      speaker.stop_all("vipd test driver shutting down");
      signals.cancel();
      status_timer.cancel();
      write_status(o.status_file, speaker, true);
      // Let the NOTIFICATIONs go out, then stop.
      drain_timer.expires_after(std::chrono::milliseconds(200));
      drain_timer.async_wait([&](const boost::system::error_code&) { io.stop(); });
    };
    if (signal == SIGTERM && o.drain_time > 0) {
      spdlog::info("draining for {} s (RFC 8326)", o.drain_time);
      speaker.set_drain(true);
      drain_timer.expires_after(
          std::chrono::milliseconds(static_cast<std::int64_t>(o.drain_time * 1000)));
      drain_timer.async_wait([finish](const boost::system::error_code& e) {
        if (!e) finish();
      });
      return;
    }
    finish();
  });
  io.run();
  return 0;
}
