// `vipd status`: the renderer on sample documents, and the client against a real admin
// endpoint (served on its own io_context thread).
#include "daemon/status_command.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "admin/client.hpp"
#include "admin/render.hpp"
#include "admin/server.hpp"

namespace vipd::admin {
namespace {

using daemon::StatusCommand;

namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// The document as the daemon produces it (one of each kind of row).
constexpr const char* kSample = R"json({
  "node": "node-1", "mode": "standalone", "version": "0.1.0 (3f2a9c1)", "ready": true,
  "config": {"file": "/etc/vipd/vipd.yaml", "stale": false, "loaded": "2026-11-26T17:00:00Z",
             "errors": []},
  "peers": [
    {"name": "router", "address": "192.0.2.1", "asn": 64500, "local_asn": 64501,
     "state": "Established", "last_error": "", "established_for_seconds": 3725,
     "updates_sent": 3, "messages_received": 5, "prefixes": {"ipv4": 1, "ipv6": 1},
     "bfd": {"profile": "fast", "state": "Up", "diag": "No Diagnostic", "remote_state": "Up",
             "transmit_interval_ms": 300, "detect_multiplier": 3, "detection_time_ms": 900}},
    {"name": "router-b", "address": "2001:db8::2", "asn": 65551, "local_asn": 64501,
     "state": "Active", "last_error": "connect: Connection refused",
     "established_for_seconds": 0, "updates_sent": 0, "messages_received": 0,
     "prefixes": {"ipv4": 0, "ipv6": 0}},
    {"name": "router-c", "address": "192.0.2.3", "asn": 64500, "local_asn": 64501,
     "state": "Idle", "last_error": "", "updates_sent": 7, "messages_received": 9,
     "prefixes": {"ipv4": 0, "ipv6": 0},
     "held_by_bfd": "BFD Down: Control Detection Time Expired",
     "bfd": {"profile": "fast", "state": "Down", "diag": "Control Detection Time Expired",
             "remote_state": "Up", "transmit_interval_ms": 1000, "detect_multiplier": 3}}
  ],
  "announcements": [
    {"peer": "router", "prefix": "203.0.113.10/32", "service": "default/web",
     "reason": "announced", "detail": ""},
    {"peer": "router", "prefix": "2001:db8:1::10/128", "service": "default/web",
     "reason": "announced", "detail": ""},
    {"peer": "router", "prefix": "203.0.113.11/32", "service": "default/db",
     "reason": "withheld", "detail": "health check failing"}
  ],
  "services": [
    {"name": "default/web", "addresses": ["203.0.113.10", "2001:db8:1::10"], "pool": "public",
     "traffic_policy": "Local",
     "health": {"state": "passing", "last_result": "HTTP 200", "kind": "http"}, "error": ""},
    {"name": "default/db", "addresses": ["203.0.113.11"], "pool": "public",
     "traffic_policy": "Cluster",
     "health": {"state": "failing", "last_result": "connect: Connection refused", "kind": "tcp"},
     "error": ""},
    {"name": "default/new", "addresses": [], "pool": "", "traffic_policy": "Cluster",
     "health": null, "error": "no free address in pool public"}
  ],
  "pools": [{"name": "public", "family": "ipv4", "total": 256, "in_use": 2},
            {"name": "public-v6", "family": "ipv6", "total": 18446744073709551615,
             "in_use": 1}]
})json";

TEST(RenderStatus, SampleDocument) {
  EXPECT_EQ(
      render_status(json::parse(kSample)),
      "node node-1   mode standalone   version 0.1.0 (3f2a9c1)   ready yes\n"
      "config /etc/vipd/vipd.yaml   loaded 2026-11-26T17:00:00Z   stale no\n"
      "\n"
      "PEERS\n"
      "NAME      ADDRESS      ASN    LOCAL ASN  STATE        UP FOR  UPDATES SENT  "
      "RECEIVED  PREFIXES        BFD                                    LAST ERROR\n"
      "router    192.0.2.1    64500  64501      Established  1h2m5s  3             "
      "5         ipv4 1, ipv6 1  Up 300ms x3                            -\n"
      "router-b  2001:db8::2  65551  64501      Active       -       0             "
      "0         ipv4 0, ipv6 0  -                                      connect: Connection "
      "refused\n"
      "router-c  192.0.2.3    64500  64501      Idle         -       7             "
      "9         ipv4 0, ipv6 0  Down (Control Detection Time Expired)  held: BFD Down: "
      "Control Detection Time Expired\n"
      "\n"
      "SERVICES\n"
      "NAME         ADDRESSES                     POOL    POLICY   HEALTH                          "
      "            ERROR\n"
      "default/web  203.0.113.10, 2001:db8:1::10  public  Local    passing (http: HTTP 200)        "
      "            -\n"
      "default/db   203.0.113.11                  public  Cluster  failing (tcp: connect: "
      "Connection refused)  -\n"
      "default/new  -                             -       Cluster  -                               "
      "            no free address in pool public\n"
      "\n"
      "ANNOUNCEMENTS\n"
      "PEER    PREFIX              SERVICE      REASON\n"
      "router  203.0.113.10/32     default/web  announced\n"
      "router  2001:db8:1::10/128  default/web  announced\n"
      "router  203.0.113.11/32     default/db   withheld: health check failing\n"
      "\n"
      "POOLS\n"
      "NAME       FAMILY  IN USE  TOTAL\n"
      "public     ipv4    2       256\n"
      "public-v6  ipv6    1       18446744073709551615\n");
}

TEST(RenderStatus, StaleConfigurationShowsItsErrors) {
  const auto text = render_status(json::parse(R"({"node": "node-1", "mode": "standalone",
      "version": "0.1.0", "ready": false,
      "config": {"file": "vipd.yaml", "stale": true, "loaded": "2026-11-26T17:00:00Z",
                 "errors": ["vipd.yaml:12:5: services[0].addresses[0]: not in any pool",
                            "vipd.yaml:20:3: peers[1]: duplicate peer"]}})"));
  EXPECT_EQ(text,
            "node node-1   mode standalone   version 0.1.0   ready no\n"
            "config vipd.yaml   loaded 2026-11-26T17:00:00Z   stale yes (the last reload failed; "
            "the previous configuration is in force)\n"
            "  error: vipd.yaml:12:5: services[0].addresses[0]: not in any pool\n"
            "  error: vipd.yaml:20:3: peers[1]: duplicate peer\n");
}

TEST(RenderStatus, ToleratesMissingAndUnexpectedFields) {
  // An older daemon: no config, no announcements, rows with fields missing; a newer one:
  // unknown fields, a new family, numbers as strings.
  const auto text = render_status(json::parse(R"({
      "node": "n", "future": {"x": 1},
      "peers": [{"name": "r"}, {"address": "192.0.2.9", "state": "Idle", "asn": "64500",
                 "prefixes": {"ipv4": 2, "l2vpn": 1}}, 7],
      "services": "not a list",
      "pools": []})"));
  EXPECT_EQ(text,
            "node n   mode -   version -   ready -\n"
            "\n"
            "PEERS\n"
            "NAME  ADDRESS    ASN    LOCAL ASN  STATE  UP FOR  UPDATES SENT  RECEIVED  "
            "PREFIXES         BFD  LAST ERROR\n"
            "r     -          -      -          -      -       -             -         "
            "-                -    -\n"
            "-     192.0.2.9  64500  -          Idle   -       -             -         "
            "ipv4 2, l2vpn 1  -    -\n"
            "-     -          -      -          -      -       -             -         "
            "-                -    -\n"
            "\n"
            "SERVICES\n"
            "(not a list: \"not a list\")\n"
            "\n"
            "POOLS\n"
            "(none)\n");

  EXPECT_EQ(render_status(json::parse("{}")), "node -   mode -   version -   ready -\n");
  EXPECT_EQ(render_status(json::parse("[1, 2]")),
            "unexpected /status document: not a JSON object\n");
}

TEST(RenderStatus, ControlCharactersFromTheDocumentAreEscaped) {
  const auto text = render_status(json::parse(
      R"({"node": "evil\u001b[31mred", "peers": [{"name": "a\nb", "last_error": "x\ty"}]})"));
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_NE(text.find("evil\\x1b[31mred"), std::string::npos) << text;
  EXPECT_NE(text.find("a\\nb"), std::string::npos) << text;
  EXPECT_NE(text.find("x\\ty"), std::string::npos) << text;
}

TEST(RenderStatus, DurationsAndNumbers) {
  const auto row = [](std::string_view peer) {
    const auto text = render_status(json::parse(R"({"peers": [)" + std::string(peer) + "]}"));
    const auto line = text.find("\n", text.find("NAME"));
    return text.substr(line + 1, text.find('\n', line + 1) - line - 1);
  };
  EXPECT_NE(row(R"({"state": "Established", "established_for_seconds": 0})").find(" 0s "),
            std::string::npos);
  EXPECT_NE(row(R"({"state": "Established", "established_for_seconds": 59})").find(" 59s "),
            std::string::npos);
  EXPECT_NE(row(R"({"state": "Established", "established_for_seconds": 90061})").find(" 1d1h1m1s "),
            std::string::npos);
  EXPECT_NE(row(R"({"state": "Established", "established_for_seconds": 3600})").find(" 1h0m0s "),
            std::string::npos);
  EXPECT_NE(row(R"({"state": "Established", "established_for_seconds": 12.0})").find(" 12s "),
            std::string::npos);
  EXPECT_NE(row(R"({"asn": 4200000000.0, "state": "Connect"})").find(" 4200000000 "),
            std::string::npos);
}

// A port on which nothing listens: bound, read, and released.
std::string closed_address() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return format_endpoint(acceptor.local_endpoint());
}

// A live admin endpoint on its own thread, for the client side.
class StatusClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AdminServer::Handlers handlers{
        .metrics = [] { return std::string("m 1\n"); },
        .status = [this](std::string_view query) -> Result<json::value> {
          queries_.push_back(std::string(query));
          if (query == "offset=13") return failure(Errc::kInvalidArgument, "offset: unlucky");
          return document_;
        },
        .ready = [] { return true; },
    };
    server_ = std::make_unique<AdminServer>(io_.get_executor(),
                                            parse_admin_address("127.0.0.1:0").value(), handlers);
    ASSERT_TRUE(server_->start());
    address_ = format_endpoint(server_->local_endpoint());
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    asio::post(io_, [this] { server_.reset(); });
    work_.reset();
    thread_.join();
  }

  // Runs `vipd status ARGS...` through the command's own CLI registration.
  struct Outcome {
    int exit_code;
    std::string out;
    std::string err;
  };
  static Outcome run_command(std::vector<std::string> args) {
    CLI::App app{"vipd", "vipd"};
    StatusCommand command(app);
    args.insert(args.begin(), "status");
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
    app.parse(args);
    EXPECT_TRUE(command.selected());
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    const int code = command.run();
    std::fflush(stdout);
    std::fflush(stderr);
    auto out = ::testing::internal::GetCapturedStdout();
    auto err = ::testing::internal::GetCapturedStderr();
    return {code, out, err};
  }

  json::value document_ = json::parse(kSample);
  std::vector<std::string> queries_;  // the /status query strings, as the server saw them
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::thread thread_;
  std::unique_ptr<AdminServer> server_;
  std::string address_;
};

TEST_F(StatusClientTest, FetchesTheDocument) {
  const auto body = fetch_admin_document(address_, "/status");
  ASSERT_TRUE(body) << body.error().message();
  EXPECT_EQ(json::parse(body.value()), document_);
}

TEST_F(StatusClientTest, NonOkAnswerIsAnError) {
  const auto body = fetch_admin_document(address_, "/nope");
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().message(),
            "the admin endpoint at " + address_ + " answered 404 Not Found for /nope");
}

TEST_F(StatusClientTest, PrintsTablesOrTheJsonAsReceived) {
  const auto table = run_command({"--admin", address_});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_EQ(table.out, render_status(document_));
  EXPECT_EQ(table.err, "");

  const auto raw = run_command({"--admin", address_, "--output", "json"});
  EXPECT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_EQ(raw.out, fetch_admin_document(address_, "/status").value());
  EXPECT_EQ(json::parse(raw.out), document_);
}

TEST_F(StatusClientTest, FiltersAndThePageGoInTheQuery) {
  ASSERT_EQ(run_command({"--admin", address_}).exit_code, 0);
  EXPECT_EQ(queries_.back(), "");  // the defaults: no query at all
  const auto filtered =
      run_command({"--admin", address_, "--service", "default/web", "--peer", "tor 1", "--prefix",
                   "198.18.0.7", "--offset", "100", "--limit", "50"});
  EXPECT_EQ(filtered.exit_code, 0) << filtered.err;
  EXPECT_EQ(queries_.back(),
            "service=default%2Fweb&peer=tor%201&prefix=198.18.0.7%2F32&offset=100&limit=50");
  // What the daemon refuses is printed with its reason.
  const auto refused = run_command({"--admin", address_, "--offset", "13"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.err, "vipd status: the admin endpoint at " + address_ +
                             " answered 400 Bad Request for /status?offset=13: offset: unlucky\n");
  // What cannot be asked is a usage error before anything is sent.
  const auto before = queries_.size();
  EXPECT_THROW(run_command({"--admin", address_, "--prefix", "web"}), CLI::ValidationError);
  EXPECT_THROW(run_command({"--admin", address_, "--limit", "10001"}), CLI::ValidationError);
  EXPECT_EQ(queries_.size(), before);
}

TEST(StatusClient, IPv6AdminAddress) {
  asio::io_context io;
  AdminServer v6(io.get_executor(), parse_admin_address("[::1]:0").value(),
                 {.status = [](std::string_view) -> Result<json::value> {
                   return json::value{{"node", "v6"}};
                 }});
  ASSERT_TRUE(v6.start());
  const auto address = format_endpoint(v6.local_endpoint());
  std::thread serving([&] { io.run(); });
  const auto body = fetch_admin_document(address, "/status");
  asio::post(io, [&] { v6.stop(); });
  serving.join();
  ASSERT_TRUE(body) << body.error().message();
  EXPECT_EQ(json::parse(body.value()), (json::value{{"node", "v6"}}));
}

TEST(StatusClient, UnreachableEndpointIsOneLineAndExitOne) {
  const auto address = closed_address();
  const auto body = fetch_admin_document(address, "/status");
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().message(), "cannot reach the admin endpoint at " + address +
                                        ": Connection refused (is vipd running? use --admin)");

  CLI::App app{"vipd", "vipd"};
  StatusCommand command(app);
  app.parse(std::vector<std::string>{address, "--admin", "status"});
  ::testing::internal::CaptureStderr();
  const int code = command.run();
  std::fflush(stderr);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(),
            "vipd status: cannot reach the admin endpoint at " + address +
                ": Connection refused (is vipd running? use --admin)\n");
}

TEST(StatusClient, SilentEndpointTimesOut) {
  // The kernel completes the connection (listen backlog) but nobody ever answers.
  asio::io_context io;
  tcp::acceptor silent(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto address = format_endpoint(silent.local_endpoint());
  const auto started = std::chrono::steady_clock::now();
  const auto body = fetch_admin_document(address, "/status", 300ms);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().message(),
            "no usable answer from the admin endpoint at " + address + ": no answer within 0.3 s");
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 5s);
}

TEST(StatusClient, BadOptionsAreUsageErrors) {
  {
    CLI::App app{"vipd", "vipd"};
    StatusCommand command(app);
    EXPECT_THROW(app.parse(std::vector<std::string>{"localhost:7473", "--admin", "status"}),
                 CLI::ValidationError);
  }
  {
    CLI::App app{"vipd", "vipd"};
    StatusCommand command(app);
    EXPECT_THROW(app.parse(std::vector<std::string>{"yaml", "--output", "status"}),
                 CLI::ValidationError);
  }
  {
    CLI::App app{"vipd", "vipd"};
    StatusCommand command(app);
    app.parse(std::vector<std::string>{"status"});
    EXPECT_TRUE(command.selected());
  }
}

}  // namespace
}  // namespace vipd::admin
