// vipd-bfd-probe: a test driver (not the daemon) that runs vipd's BFD service with one
// session to one peer, single hop (RFC 5881) or multihop (RFC 5883, --multihop), so it can be
// tested against real BFD implementations.
//
//   vipd-bfd-probe --local 192.0.2.11 --peer 192.0.2.1 --tx-ms 300 --rx-ms 300 --mult 3
//   vipd-bfd-probe --local 198.51.100.11 --peer 192.0.2.1 --multihop --minimum-ttl 254
//
// Prints one JSON object per line on stdout: {"event":"ready",...} once listening, then
// {"event":"state","peer":...,"from":...,"to":...,"diag":N,"diag_name":...,"t":SECONDS} on
// every state change, where t is CLOCK_MONOTONIC (Python's time.monotonic()), so a test can
// measure detection times. --status FILE is rewritten (JSON) every 100 ms. SIGTERM / SIGINT:
// exit at once (no AdminDown: the peer detects the silence).
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>

#include "bfd/transport.hpp"
#include "common/asio.hpp"
#include "common/logging.hpp"
#include "common/timer.hpp"

namespace {

using namespace vipd;
using namespace vipd::bfd;

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "vipd-bfd-probe: %s\n", message.c_str());
  std::exit(2);
}

double monotonic_seconds(Clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

void print(const boost::json::object& line) {
  std::printf("%s\n", boost::json::serialize(line).c_str());
  std::fflush(stdout);
}

void write_status(const std::string& file, const BfdService& service) {
  if (file.empty()) return;
  boost::json::array sessions;
  for (const auto& s : service.status()) {
    sessions.push_back(
        {{"peer", s.peer.to_string()},
         {"multihop", s.multihop},
         {"peer_port", s.peer_port},
         {"minimum_ttl", s.minimum_ttl},
         {"state", std::string(to_string(s.state))},
         {"diag", static_cast<int>(s.diag)},
         {"remote_state", std::string(to_string(s.remote_state))},
         {"local_discriminator", s.local_discriminator},
         {"remote_discriminator", s.remote_discriminator},
         {"transmit_interval_ms",
          std::chrono::duration<double, std::milli>(s.transmit_interval).count()},
         {"detection_time_ms", std::chrono::duration<double, std::milli>(s.detection_time).count()},
         {"source_port", s.source_port},
         {"packets_sent", s.packets_sent},
         {"packets_received", s.packets_received},
         {"packets_dropped", s.packets_dropped}});
  }
  const auto& c = service.counters();
  const std::string tmp = file + ".tmp";
  std::ofstream(tmp) << boost::json::serialize(boost::json::object{{"sessions", sessions},
                                                                   {"received", c.received},
                                                                   {"malformed", c.malformed},
                                                                   {"bad_ttl", c.bad_ttl},
                                                                   {"no_session", c.no_session}});
  std::rename(tmp.c_str(), file.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::string local_text;
  std::string peer_text;
  std::uint32_t tx_ms = 300;
  std::uint32_t rx_ms = 300;
  unsigned mult = 3;
  std::uint16_t port = kSingleHopPort;
  std::uint16_t multihop_port = kMultiHopPort;
  std::optional<std::uint16_t> peer_port;
  bool passive = false;
  bool multihop = false;
  unsigned minimum_ttl = kDefaultMinimumTtl;
  std::string status_file;
  std::string log_level = "info";
  CLI::App app{"Run one BFD session with vipd's BFD service (test driver).", "vipd-bfd-probe"};
  app.add_option("--local", local_text, "Local address the session sends from");
  app.add_option("--peer", peer_text, "Peer address")->required();
  app.add_option("--tx-ms", tx_ms, "Desired min TX interval (ms)");
  app.add_option("--rx-ms", rx_ms, "Required min RX interval (ms)");
  app.add_option("--mult", mult, "Detect multiplier");
  app.add_flag("--passive", passive, "Send nothing until the peer has spoken");
  auto* multihop_flag =
      app.add_flag("--multihop", multihop, "RFC 5883 multihop session (to port 4784)");
  app.add_option("--minimum-ttl", minimum_ttl,
                 "Multihop: lowest TTL / hop limit accepted from the peer (254)")
      ->needs(multihop_flag);
  app.add_option("--port", port, "Port to receive single-hop Control packets on (3784)");
  app.add_option("--multihop-port", multihop_port,
                 "Port to receive multihop Control packets on (4784)");
  app.add_option("--peer-port", peer_port,
                 "Port the peer receives on (3784; 4784 with --multihop)");
  app.add_option("--status", status_file, "Write session status JSON here");
  app.add_option("--log-level", log_level, "Log level");
  CLI11_PARSE(app, argc, argv);

  const auto level = parse_log_level(log_level);
  if (!level) usage_error(level.error().message());
  setup_logging(LogFormat::kText, level.value());
  const auto peer = IpAddress::parse(peer_text);
  if (!peer) usage_error("bad --peer: " + peer.error().message());
  std::optional<IpAddress> local;
  if (!local_text.empty()) {
    const auto parsed = IpAddress::parse(local_text);
    if (!parsed) usage_error("bad --local: " + parsed.error().message());
    local = parsed.value();
  }
  if (mult == 0 || mult > 255) usage_error("--mult must be 1-255");
  if (minimum_ttl == 0 || minimum_ttl > 255) usage_error("--minimum-ttl must be 1-255");

  asio::io_context io;
  SteadyTimerClock clock;
  ServiceOptions options;
  options.port = port;
  options.multihop_port = multihop_port;
  options.ipv4 = peer.value().is_v4();
  options.ipv6 = peer.value().is_v6();
  BfdService service(io.get_executor(), clock, options);
  if (auto r = service.start(); !r) usage_error(r.error().message());
  service.on_state([&clock](const IpAddress& p, State from, State to, Diag diag) {
    print({{"event", "state"},
           {"peer", p.to_string()},
           {"from", std::string(to_string(from))},
           {"to", std::string(to_string(to))},
           {"diag", static_cast<int>(diag)},
           {"diag_name", std::string(to_string(diag))},
           {"t", monotonic_seconds(clock.now())}});
  });
  SessionConfig config;
  config.desired_min_tx = std::chrono::milliseconds(tx_ms);
  config.required_min_rx = std::chrono::milliseconds(rx_ms);
  config.detect_mult = static_cast<std::uint8_t>(mult);
  config.passive = passive;
  const SessionOptions session_options{.peer_port = peer_port,
                                       .multihop = multihop,
                                       .minimum_ttl = static_cast<std::uint8_t>(minimum_ttl)};
  if (auto r = service.add_session(peer.value(), local, config, session_options); !r) {
    usage_error(r.error().message());
  }
  print({{"event", "ready"},
         {"peer", peer.value().to_string()},
         {"port", *service.port(peer.value().family())},
         {"multihop_port", *service.multihop_port(peer.value().family())},
         {"source_port", service.status(peer.value())->source_port},
         {"t", monotonic_seconds(clock.now())}});

  const auto status_timer = clock.make_timer(io.get_executor());
  std::function<void()> tick = [&] {
    write_status(status_file, service);
    status_timer->arm(clock.now() + std::chrono::milliseconds(100), tick);
  };
  tick();
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    status_timer->cancel();
    service.stop();
    io.stop();
  });
  io.run();
  return 0;
}
