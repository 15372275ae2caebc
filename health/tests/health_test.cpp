#include "health/health.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace vipd::health {

void PrintTo(const ProbeResult& r, std::ostream* out) {
  *out << (r.success ? "success" : "failure") << " \"" << r.text << "\"";
}

namespace {

using namespace std::chrono_literals;
namespace http = boost::beast::http;
using asio::ip::tcp;
using config::HealthCheck;
using Kind = config::HealthCheck::Kind;
using Clock = std::chrono::steady_clock;

ProbeResult ok(std::string text = "ok") { return {true, std::move(text)}; }
ProbeResult bad(std::string text = "bad") { return {false, std::move(text)}; }

// --- HealthState: rise/fall counting (pure) ---

struct Step {
  ProbeResult result;
  std::optional<Verdict> transition;  // what record() must report
  Verdict after;
};

void play(HealthState& state, const std::vector<Step>& steps) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE("step " + std::to_string(i));
    EXPECT_EQ(state.record(steps[i].result), steps[i].transition);
    EXPECT_EQ(state.verdict(), steps[i].after);
  }
}

TEST(HealthState, StartsUnknownAndRisesAfterRiseSuccesses) {
  HealthState state(2, 3);
  EXPECT_EQ(state.verdict(), Verdict::kUnknown);
  EXPECT_EQ(state.checks(), 0u);
  play(state, {
                  {ok(), std::nullopt, Verdict::kUnknown},
                  {ok(), Verdict::kPassing, Verdict::kPassing},
                  {ok(), std::nullopt, Verdict::kPassing},  // no repeated transition
              });
}

TEST(HealthState, FallsAfterFallFailuresAndRisesAgain) {
  HealthState state(2, 3);
  play(state, {
                  {ok(), std::nullopt, Verdict::kUnknown},
                  {ok(), Verdict::kPassing, Verdict::kPassing},
                  {bad(), std::nullopt, Verdict::kPassing},
                  {bad(), std::nullopt, Verdict::kPassing},
                  {bad(), Verdict::kFailing, Verdict::kFailing},
                  {bad(), std::nullopt, Verdict::kFailing},
                  {ok(), std::nullopt, Verdict::kFailing},
                  {ok(), Verdict::kPassing, Verdict::kPassing},
              });
}

TEST(HealthState, UnknownGoesStraightToFailing) {
  HealthState state(2, 3);
  play(state, {
                  {bad(), std::nullopt, Verdict::kUnknown},
                  {bad(), std::nullopt, Verdict::kUnknown},
                  {bad(), Verdict::kFailing, Verdict::kFailing},
              });
}

TEST(HealthState, AnInterruptedStreakStartsOver) {
  HealthState state(3, 2);
  play(state, {
                  {ok(), std::nullopt, Verdict::kUnknown},
                  {ok(), std::nullopt, Verdict::kUnknown},
                  {bad(), std::nullopt, Verdict::kUnknown},
                  {ok(), std::nullopt, Verdict::kUnknown},
                  {ok(), std::nullopt, Verdict::kUnknown},
                  {ok(), Verdict::kPassing, Verdict::kPassing},
                  {bad(), std::nullopt, Verdict::kPassing},
                  {ok(), std::nullopt, Verdict::kPassing},  // one failure is not a fall
                  {bad(), std::nullopt, Verdict::kPassing},
                  {bad(), Verdict::kFailing, Verdict::kFailing},
              });
}

TEST(HealthState, RiseAndFallOfOneFollowEveryResult) {
  HealthState state(1, 1);
  play(state, {
                  {ok(), Verdict::kPassing, Verdict::kPassing},
                  {bad(), Verdict::kFailing, Verdict::kFailing},
                  {bad(), std::nullopt, Verdict::kFailing},
                  {ok(), Verdict::kPassing, Verdict::kPassing},
              });
}

TEST(HealthState, KeepsTheLastResultAndCounters) {
  HealthState state(2, 2);
  state.record(ok("HTTP 200"));
  state.record(bad("HTTP 503"));
  state.record(bad("connect: Connection refused"));
  EXPECT_EQ(state.last_result(), "connect: Connection refused");
  EXPECT_EQ(state.checks(), 3u);
  EXPECT_EQ(state.failures(), 2u);
  EXPECT_EQ(state.streak(), 2);
}

TEST(HealthState, LongStreaksSaturate) {
  HealthState state(2, 5);
  for (int i = 0; i < 1000; ++i) state.record(ok());
  EXPECT_EQ(state.streak(), 5);
  EXPECT_EQ(state.checks(), 1000u);
  EXPECT_EQ(state.verdict(), Verdict::kPassing);
}

TEST(HealthState, NewThresholdsKeepTheHistory) {
  HealthState state(3, 3);
  state.record(ok());
  state.record(ok());
  EXPECT_EQ(state.verdict(), Verdict::kUnknown);
  state.set_thresholds(2, 3);
  EXPECT_EQ(state.verdict(), Verdict::kUnknown);  // changes only with the next result
  EXPECT_EQ(state.record(ok()), Verdict::kPassing);
}

TEST(HealthState, VerdictNames) {
  EXPECT_EQ(to_string(Verdict::kUnknown), "unknown");
  EXPECT_EQ(to_string(Verdict::kPassing), "passing");
  EXPECT_EQ(to_string(Verdict::kFailing), "failing");
}

// --- probes and the checker, over real sockets and processes ---

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

HealthCheck tcp_check(const char* address, std::uint16_t port) {
  HealthCheck c;
  c.kind = Kind::kTcp;
  c.address = ip(address);
  c.port = port;
  c.interval = 50ms;
  c.timeout = 500ms;
  c.rise = 1;
  c.fall = 1;
  return c;
}

HealthCheck http_check(const char* address, std::uint16_t port, std::string path = "/healthz") {
  HealthCheck c = tcp_check(address, port);
  c.kind = Kind::kHttp;
  c.http_path = std::move(path);
  return c;
}

HealthCheck exec_check(std::vector<std::string> command) {
  HealthCheck c;
  c.kind = Kind::kExec;
  c.command = std::move(command);
  c.interval = 50ms;
  c.timeout = 2s;
  c.rise = 1;
  c.fall = 1;
  return c;
}

// True while this process has a child, running or not yet reaped (WNOWAIT: look, don't reap).
bool has_children() {
  siginfo_t info{};
  const int r = ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT);
  return !(r < 0 && errno == ECHILD);
}

// A test-local HTTP/1.1 server answering every request with one status, or never answering.
struct HttpServer {
  HttpServer(asio::io_context& io, const char* address) : acceptor(io, {to_address(address), 0}) {}
  static asio::ip::address to_address(const char* text) { return asio::ip::make_address(text); }
  std::uint16_t port() const { return acceptor.local_endpoint().port(); }

  tcp::acceptor acceptor;
  unsigned status = 200;
  bool silent = false;    // read the request, then hold the connection without an answer
  std::string raw_reply;  // when set, sent instead of an HTTP response
  std::vector<http::request<http::string_body>> requests;
  std::vector<tcp::socket> held;
};

asio::awaitable<void> serve(std::shared_ptr<HttpServer> server) {
  while (true) {
    auto [error, socket] =
        co_await server->acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (error) co_return;
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> request;
    auto [read_error, n] =
        co_await http::async_read(socket, buffer, request, asio::as_tuple(asio::use_awaitable));
    (void)n;
    if (read_error) continue;
    server->requests.push_back(request);
    if (server->silent) {
      server->held.push_back(std::move(socket));
      continue;
    }
    if (!server->raw_reply.empty()) {
      co_await asio::async_write(socket, asio::buffer(server->raw_reply),
                                 asio::as_tuple(asio::use_awaitable));
      continue;
    }
    http::response<http::string_body> response(static_cast<http::status>(server->status), 11);
    if (server->status != 204) response.body() = "health\n";
    response.keep_alive(false);
    response.prepare_payload();
    co_await http::async_write(socket, response, asio::as_tuple(asio::use_awaitable));
  }
}

class HealthIo : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_FALSE(has_children()) << "a health-check command was left"; }

  // Runs the loop until `done` holds or `limit` passes; returns `done()`.
  template <class Done>
  bool run_until(Done done, Clock::duration limit = 3s) {
    const auto deadline = Clock::now() + limit;
    while (!done()) {
      if (Clock::now() >= deadline) return false;
      io_.run_one_for(10ms);
    }
    return true;
  }

  ProbeResult probe_now(HealthCheck check) {
    std::optional<ProbeResult> out;
    std::exception_ptr error;
    asio::co_spawn(io_, probe(std::move(check)), [&](std::exception_ptr e, ProbeResult r) {
      error = e;
      out = std::move(r);
    });
    EXPECT_TRUE(run_until([&] { return out.has_value(); }, 5s)) << "the probe never finished";
    if (error) std::rethrow_exception(error);
    return out.value_or(ProbeResult{false, "no result"});
  }

  std::shared_ptr<HttpServer> http_server(const char* address) {
    auto server = std::make_shared<HttpServer>(io_, address);
    asio::co_spawn(io_, serve(server), [](std::exception_ptr e) {
      if (e) ADD_FAILURE() << "test HTTP server failed";
    });
    return server;
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
};

// A port nothing listens on: bound, then released.
std::uint16_t closed_port(asio::io_context& io, const char* address) {
  tcp::acceptor a(io, {asio::ip::make_address(address), 0});
  const auto port = a.local_endpoint().port();
  a.close();
  return port;
}

TEST_F(HealthIo, TcpConnectPasses) {
  tcp::acceptor listener(io_, {asio::ip::make_address("127.0.0.1"), 0});
  EXPECT_EQ(probe_now(tcp_check("127.0.0.1", listener.local_endpoint().port())),
            (ProbeResult{true, "connected"}));
  tcp::acceptor listener6(io_, {asio::ip::make_address("::1"), 0});
  EXPECT_EQ(probe_now(tcp_check("::1", listener6.local_endpoint().port())),
            (ProbeResult{true, "connected"}));
}

TEST_F(HealthIo, TcpClosedPortFails) {
  EXPECT_EQ(probe_now(tcp_check("127.0.0.1", closed_port(io_, "127.0.0.1"))),
            (ProbeResult{false, "connect: Connection refused"}));
}

TEST_F(HealthIo, TcpConnectToAFullListenerTimesOut) {
  // Backlog 0 holds one connection nobody accepts; Linux then drops further SYNs, so the
  // next connect is still waiting for its SYN retransmission (1 s) when the timeout fires.
  tcp::acceptor full(io_);
  full.open(tcp::v4());
  full.bind({asio::ip::make_address("127.0.0.1"), 0});
  full.listen(0);
  tcp::socket filler(io_);
  filler.connect(full.local_endpoint());
  auto check = tcp_check("127.0.0.1", full.local_endpoint().port());
  check.timeout = 200ms;
  const auto started = Clock::now();
  EXPECT_EQ(probe_now(check), (ProbeResult{false, "timed out after 200ms"}));
  EXPECT_LT(Clock::now() - started, 900ms);
}

TEST_F(HealthIo, Http200PassesWithTheExpectedRequest) {
  auto server = http_server("127.0.0.1");
  EXPECT_EQ(probe_now(http_check("127.0.0.1", server->port(), "/healthz?full=1")),
            (ProbeResult{true, "HTTP 200"}));
  ASSERT_EQ(server->requests.size(), 1u);
  const auto& request = server->requests.front();
  EXPECT_EQ(request.method(), http::verb::get);
  EXPECT_EQ(request.target(), "/healthz?full=1");
  EXPECT_EQ(request.version(), 11u);
  EXPECT_EQ(request[http::field::host], "127.0.0.1:" + std::to_string(server->port()));
  EXPECT_EQ(request[http::field::user_agent], "vipd-health");
  EXPECT_EQ(request[http::field::connection], "close");
}

TEST_F(HealthIo, HttpAny2xxPassesAndOtherStatusesFail) {
  auto server = http_server("127.0.0.1");
  server->status = 204;
  EXPECT_EQ(probe_now(http_check("127.0.0.1", server->port())), (ProbeResult{true, "HTTP 204"}));
  server->status = 503;
  EXPECT_EQ(probe_now(http_check("127.0.0.1", server->port())), (ProbeResult{false, "HTTP 503"}));
  server->status = 301;
  EXPECT_EQ(probe_now(http_check("127.0.0.1", server->port())), (ProbeResult{false, "HTTP 301"}));
}

TEST_F(HealthIo, HttpOverIpv6BracketsTheHost) {
  auto server = http_server("::1");
  EXPECT_EQ(probe_now(http_check("::1", server->port())), (ProbeResult{true, "HTTP 200"}));
  ASSERT_EQ(server->requests.size(), 1u);
  EXPECT_EQ(server->requests.front()[http::field::host], "[::1]:" + std::to_string(server->port()));
}

TEST_F(HealthIo, HttpServerThatNeverAnswersTimesOut) {
  auto server = http_server("127.0.0.1");
  server->silent = true;
  auto check = http_check("127.0.0.1", server->port());
  check.timeout = 200ms;
  const auto started = Clock::now();
  EXPECT_EQ(probe_now(check), (ProbeResult{false, "timed out after 200ms"}));
  EXPECT_LT(Clock::now() - started, 900ms);
  EXPECT_EQ(server->requests.size(), 1u);  // it was asked, and kept silent
}

TEST_F(HealthIo, HttpNotHttpAndRefusedFail) {
  auto server = http_server("127.0.0.1");
  server->raw_reply = "SSH-2.0-OpenSSH_9.2\r\n";
  const auto garbage = probe_now(http_check("127.0.0.1", server->port()));
  EXPECT_FALSE(garbage.success);
  EXPECT_TRUE(garbage.text.starts_with("reading the response: ")) << garbage.text;
  EXPECT_EQ(probe_now(http_check("127.0.0.1", closed_port(io_, "127.0.0.1"))),
            (ProbeResult{false, "connect: Connection refused"}));
}

TEST_F(HealthIo, HttpInterimResponsesAreSkipped) {
  auto server = http_server("127.0.0.1");
  server->raw_reply =
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  EXPECT_EQ(probe_now(http_check("127.0.0.1", server->port())), (ProbeResult{true, "HTTP 200"}));
}

TEST_F(HealthIo, HttpPathThatWouldSplitTheRequestLineIsRefused) {
  auto server = http_server("127.0.0.1");
  EXPECT_EQ(probe_now(http_check("127.0.0.1", server->port(), "/a b")),
            (ProbeResult{false, "invalid HTTP path (space or control character)"}));
  EXPECT_EQ(probe_now(http_check("127.0.0.1", server->port(), "/\r\nX-Injected: 1")),
            (ProbeResult{false, "invalid HTTP path (space or control character)"}));
  EXPECT_TRUE(server->requests.empty());
}

TEST_F(HealthIo, ExecExitStatusDecides) {
  EXPECT_EQ(probe_now(exec_check({"/bin/true"})), (ProbeResult{true, "exit status 0"}));
  EXPECT_EQ(probe_now(exec_check({"/bin/false"})), (ProbeResult{false, "exit status 1"}));
  EXPECT_EQ(probe_now(exec_check({"/bin/sh", "-c", "exit 7"})),
            (ProbeResult{false, "exit status 7"}));
  EXPECT_EQ(probe_now(exec_check({"/bin/sh", "-c", "kill -TERM $$"})),
            (ProbeResult{false, "killed by signal 15"}));
  EXPECT_EQ(probe_now(exec_check({"true"})), (ProbeResult{true, "exit status 0"}));  // PATH
  EXPECT_FALSE(has_children());
}

TEST_F(HealthIo, ExecMissingBinaryFailsClearly) {
  EXPECT_EQ(
      probe_now(exec_check({"/nonexistent/vipd-health-probe", "--x"})),
      (ProbeResult{false, "cannot run /nonexistent/vipd-health-probe: No such file or directory"}));
  EXPECT_EQ(probe_now(exec_check({})), (ProbeResult{false, "no command"}));
}

TEST_F(HealthIo, ExecTimeoutKillsAndReapsTheCommand) {
  auto check = exec_check({"/bin/sleep", "5"});
  check.timeout = 200ms;
  const auto started = Clock::now();
  EXPECT_EQ(probe_now(check), (ProbeResult{false, "timed out after 200ms"}));
  EXPECT_LT(Clock::now() - started, 1500ms);
  EXPECT_FALSE(has_children());  // killed and reaped before the result came back
}

// Gone, or a zombie waiting for its (new) parent: either way no longer running.
bool process_dead(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const auto close = line.rfind(") ");
  return close != std::string::npos && close + 2 < line.size() &&
         (line[close + 2] == 'Z' || line[close + 2] == 'X');
}

TEST_F(HealthIo, ExecKillsWhatTheCommandLeftRunning) {
  const std::string file =
      ::testing::TempDir() + "vipd-health-background-" + std::to_string(::getpid());
  EXPECT_EQ(probe_now(exec_check({"/bin/sh", "-c", "sleep 5 & echo $! > " + file + "; exit 0"})),
            (ProbeResult{true, "exit status 0"}));
  pid_t background = 0;
  std::ifstream(file) >> background;
  std::remove(file.c_str());
  ASSERT_GT(background, 0);
  EXPECT_TRUE(run_until([&] { return process_dead(background); }, 2s))
      << "the command's background process " << background << " is still running";
}

TEST_F(HealthIo, ExecGetsDevNullAndNoDescriptorOfTheDaemon) {
  // A descriptor without close-on-exec, as Asio's sockets are.
  const int leaked = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leaked, 3);
  const auto fd = std::to_string(leaked);
  EXPECT_EQ(probe_now(exec_check({"/bin/sh", "-c",
                                  "for n in 0 1 2; do [ \"$(readlink /proc/$$/fd/$n)\" = "
                                  "/dev/null ] || exit 1; done; [ ! -e /proc/$$/fd/" +
                                      fd + " ]"})),
            (ProbeResult{true, "exit status 0"}));
  ::close(leaked);
}

TEST_F(HealthIo, CheckerReportsTransitionsAndStatus) {
  auto server = http_server("127.0.0.1");
  std::vector<std::pair<std::string, Verdict>> changes;
  HealthChecker checker(io_.get_executor(),
                        [&](const std::string& key, Verdict v) { changes.emplace_back(key, v); });
  auto check = http_check("127.0.0.1", server->port());
  check.rise = 2;
  check.fall = 2;
  checker.set({{"default/web", check}});
  EXPECT_EQ(checker.verdict("default/web"), Verdict::kUnknown);
  EXPECT_EQ(checker.verdict("default/other"), std::nullopt);

  ASSERT_TRUE(run_until([&] { return !changes.empty(); }));
  EXPECT_EQ(changes.back(), (std::pair<std::string, Verdict>{"default/web", Verdict::kPassing}));
  auto status = checker.status().at("default/web");
  EXPECT_EQ(status.verdict, Verdict::kPassing);
  EXPECT_EQ(status.last_result, "HTTP 200");
  EXPECT_EQ(status.checks, 2u);
  EXPECT_EQ(status.failures, 0u);

  server->status = 503;
  ASSERT_TRUE(run_until([&] { return changes.size() == 2; }));
  EXPECT_EQ(changes.back(), (std::pair<std::string, Verdict>{"default/web", Verdict::kFailing}));
  status = checker.status().at("default/web");
  EXPECT_EQ(status.last_result, "HTTP 503");
  EXPECT_EQ(status.failures, 2u);
  EXPECT_EQ(checker.verdict("default/web"), Verdict::kFailing);
}

TEST_F(HealthIo, SetKeepsUnchangedChecksAndSilencesRemovedOnes) {
  tcp::acceptor a(io_, {asio::ip::make_address("127.0.0.1"), 0});
  auto b = std::make_unique<tcp::acceptor>(io_, tcp::endpoint{asio::ip::make_address("::1"), 0});
  const auto check_a = tcp_check("127.0.0.1", a.local_endpoint().port());
  const auto check_b = tcp_check("::1", b->local_endpoint().port());
  std::vector<std::pair<std::string, Verdict>> changes;
  HealthChecker checker(io_.get_executor(),
                        [&](const std::string& key, Verdict v) { changes.emplace_back(key, v); });
  checker.set({{"a", check_a}, {"b", check_b}});
  ASSERT_TRUE(run_until([&] {
    return checker.verdict("a") == Verdict::kPassing && checker.verdict("b") == Verdict::kPassing;
  }));
  const auto changes_before = changes.size();

  // `a` unchanged, `b` removed: a keeps its verdict and counters, b is gone at once.
  const auto a_checks = checker.status().at("a").checks;
  checker.set({{"a", check_a}});
  EXPECT_EQ(checker.verdict("a"), Verdict::kPassing);
  EXPECT_EQ(checker.verdict("b"), std::nullopt);
  EXPECT_EQ(checker.status().size(), 1u);
  EXPECT_EQ(checker.status().at("a").checks, a_checks);

  // b's target goes away; had its loop survived, fall 1 would report it failing within one
  // interval. Let a run several more probes (its counter is the clock) and listen.
  b.reset();
  ASSERT_TRUE(run_until([&] { return checker.status().at("a").checks >= a_checks + 6; }));
  EXPECT_EQ(changes.size(), changes_before) << "a removed check still called back";

  // Only the timing of `a` changes: verdict and counters stay; a new target starts over.
  auto slower = check_a;
  slower.interval = 80ms;
  const auto checks_now = checker.status().at("a").checks;
  checker.set({{"a", slower}});
  EXPECT_EQ(checker.verdict("a"), Verdict::kPassing);
  EXPECT_EQ(checker.status().at("a").checks, checks_now);
  auto elsewhere = slower;
  elsewhere.port = closed_port(io_, "127.0.0.1");
  checker.set({{"a", elsewhere}});
  EXPECT_EQ(checker.verdict("a"), Verdict::kUnknown);
  EXPECT_EQ(checker.status().at("a").checks, 0u);
  ASSERT_TRUE(run_until([&] { return checker.verdict("a") == Verdict::kFailing; }));
  EXPECT_EQ(changes.back(), (std::pair<std::string, Verdict>{"a", Verdict::kFailing}));
}

TEST_F(HealthIo, RemovingAnExecCheckKillsItsCommandPromptly) {
  HealthChecker checker(io_.get_executor(), [](const std::string&, Verdict) {});
  auto slow = exec_check({"/bin/sleep", "5"});
  slow.timeout = 5s;
  slow.interval = 10s;
  checker.set({{"slow", slow}});
  ASSERT_TRUE(run_until([] { return has_children(); }));
  const auto removed = Clock::now();
  checker.set({});
  ASSERT_TRUE(run_until([] { return !has_children(); }, 2s));
  EXPECT_LT(Clock::now() - removed, 1s);
}

TEST_F(HealthIo, StopEndsEveryLoopAndNoCallbackFollows) {
  auto silent = http_server("127.0.0.1");
  silent->silent = true;
  int calls = 0;
  auto checker = std::make_unique<HealthChecker>(io_.get_executor(),
                                                 [&](const std::string&, Verdict) { ++calls; });
  auto hanging = http_check("127.0.0.1", silent->port());
  hanging.timeout = 5s;
  hanging.interval = 5s;
  auto sleeping = exec_check({"/bin/sleep", "5"});
  sleeping.timeout = 5s;
  sleeping.interval = 5s;
  checker->set({{"http", hanging}, {"exec", sleeping}});
  ASSERT_TRUE(run_until([&] { return has_children() && silent->requests.size() == 1; }));

  checker->stop();
  EXPECT_EQ(checker->verdict("http"), std::nullopt);
  checker.reset();
  // With the probes cancelled, only the test server's accept is left: close it, and the
  // loop must run out of work well before any probe timeout.
  silent->acceptor.close();
  silent->held.clear();
  work_.reset();
  const auto stopped = Clock::now();
  io_.run_for(4s);
  EXPECT_LT(Clock::now() - stopped, 1s);
  EXPECT_TRUE(io_.stopped());
  EXPECT_EQ(calls, 0);
  EXPECT_FALSE(has_children());
}

}  // namespace
}  // namespace vipd::health
