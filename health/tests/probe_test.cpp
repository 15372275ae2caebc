// probe() over real sockets and real processes; its timeout runs on a FakeTimerClock.
#include "health/probe.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "health/tests/fixture.hpp"

namespace vipd::health::test {
namespace {

using Probe = HealthIo;

TEST_F(Probe, TcpConnectPasses) {
  tcp::acceptor listener(io_, {asio::ip::make_address("127.0.0.1"), 0});
  EXPECT_EQ(probe_now(tcp_check("127.0.0.1", listener.local_endpoint().port())),
            (ProbeResult{true, "connected"}));
  tcp::acceptor listener6(io_, {asio::ip::make_address("::1"), 0});
  EXPECT_EQ(probe_now(tcp_check("::1", listener6.local_endpoint().port())),
            (ProbeResult{true, "connected"}));
  EXPECT_EQ(clock_.pending(), 0u) << "a finished probe left its timeout armed";
}

TEST_F(Probe, TcpClosedPortFails) {
  EXPECT_EQ(probe_now(tcp_check("127.0.0.1", closed_port(io_, "127.0.0.1"))),
            (ProbeResult{false, "connect: Connection refused"}));
}

TEST_F(Probe, TcpConnectToAFullListenerTimesOutOnTheClock) {
  // Backlog 0 holds one connection nobody accepts; Linux then drops further SYNs, so the
  // next connect waits (for its SYN retransmission, 1 s of real time) until the fake clock
  // reaches the timeout.
  tcp::acceptor full(io_);
  full.open(tcp::v4());
  full.bind({asio::ip::make_address("127.0.0.1"), 0});
  full.listen(0);
  tcp::socket filler(io_);
  filler.connect(full.local_endpoint());
  auto check = tcp_check("127.0.0.1", full.local_endpoint().port());
  check.timeout = 3s;
  const auto started = clock_.now();
  auto running = start_probe(check);
  ASSERT_TRUE(run_until([&] { return clock_.pending() == 1; })) << "no timeout armed";
  EXPECT_EQ(clock_.next_deadline(), started + 3s);

  clock_.advance(3s - 1ms);
  io_.poll();
  EXPECT_FALSE(running->result) << "ended before its timeout";
  clock_.advance(1ms);
  EXPECT_EQ(finish(running), (ProbeResult{false, "timed out after 3s"}));
}

TEST_F(Probe, Http200PassesWithTheExpectedRequest) {
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

TEST_F(Probe, HttpAny2xxPassesAndOtherStatusesFail) {
  auto server = http_server("127.0.0.1");
  server->status = 204;
  EXPECT_EQ(probe_now(http_check("127.0.0.1", server->port())), (ProbeResult{true, "HTTP 204"}));
  server->status = 503;
  EXPECT_EQ(probe_now(http_check("127.0.0.1", server->port())), (ProbeResult{false, "HTTP 503"}));
  server->status = 301;
  EXPECT_EQ(probe_now(http_check("127.0.0.1", server->port())), (ProbeResult{false, "HTTP 301"}));
}

TEST_F(Probe, HttpOverIpv6BracketsTheHost) {
  auto server = http_server("::1");
  EXPECT_EQ(probe_now(http_check("::1", server->port())), (ProbeResult{true, "HTTP 200"}));
  ASSERT_EQ(server->requests.size(), 1u);
  EXPECT_EQ(server->requests.front()[http::field::host], "[::1]:" + std::to_string(server->port()));
}

TEST_F(Probe, HttpServerThatNeverAnswersTimesOutOnTheClock) {
  auto server = http_server("127.0.0.1");
  server->silent = true;
  auto check = http_check("127.0.0.1", server->port());
  check.timeout = 200ms;
  auto running = start_probe(check);
  ASSERT_TRUE(run_until([&] { return server->requests.size() == 1; }));  // asked, kept silent
  io_.poll();
  EXPECT_FALSE(running->result);
  clock_.advance(200ms);
  EXPECT_EQ(finish(running), (ProbeResult{false, "timed out after 200ms"}));
}

TEST_F(Probe, HttpNotHttpAndRefusedFail) {
  auto server = http_server("127.0.0.1");
  server->raw_reply = "SSH-2.0-OpenSSH_9.2\r\n";
  const auto garbage = probe_now(http_check("127.0.0.1", server->port()));
  EXPECT_FALSE(garbage.success);
  EXPECT_TRUE(garbage.text.starts_with("reading the response: ")) << garbage.text;
  EXPECT_EQ(probe_now(http_check("127.0.0.1", closed_port(io_, "127.0.0.1"))),
            (ProbeResult{false, "connect: Connection refused"}));
}

TEST_F(Probe, HttpInterimResponsesAreSkipped) {
  auto server = http_server("127.0.0.1");
  server->raw_reply =
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  EXPECT_EQ(probe_now(http_check("127.0.0.1", server->port())), (ProbeResult{true, "HTTP 200"}));
}

TEST_F(Probe, HttpPathThatWouldSplitTheRequestLineIsRefused) {
  auto server = http_server("127.0.0.1");
  EXPECT_EQ(probe_now(http_check("127.0.0.1", server->port(), "/a b")),
            (ProbeResult{false, "invalid HTTP path (space or control character)"}));
  EXPECT_EQ(probe_now(http_check("127.0.0.1", server->port(), "/\r\nX-Injected: 1")),
            (ProbeResult{false, "invalid HTTP path (space or control character)"}));
  EXPECT_TRUE(server->requests.empty());
}

TEST_F(Probe, ExecExitStatusDecides) {
  EXPECT_EQ(probe_now(exec_check({"/bin/true"})), (ProbeResult{true, "exit status 0"}));
  EXPECT_EQ(probe_now(exec_check({"/bin/false"})), (ProbeResult{false, "exit status 1"}));
  EXPECT_EQ(probe_now(exec_check({"/bin/sh", "-c", "exit 7"})),
            (ProbeResult{false, "exit status 7"}));
  EXPECT_EQ(probe_now(exec_check({"/bin/sh", "-c", "kill -TERM $$"})),
            (ProbeResult{false, "killed by signal 15"}));
  EXPECT_EQ(probe_now(exec_check({"true"})), (ProbeResult{true, "exit status 0"}));  // PATH
  EXPECT_FALSE(has_children());
}

TEST_F(Probe, ExecMissingBinaryFailsClearly) {
  EXPECT_EQ(
      probe_now(exec_check({"/nonexistent/vipd-health-probe", "--x"})),
      (ProbeResult{false, "cannot run /nonexistent/vipd-health-probe: No such file or directory"}));
  EXPECT_EQ(probe_now(exec_check({})), (ProbeResult{false, "no command"}));
}

TEST_F(Probe, ExecTimeoutKillsAndReapsTheCommand) {
  auto check = exec_check({"/bin/sleep", "60"});
  check.timeout = 2s;
  auto running = start_probe(check);
  ASSERT_TRUE(run_until([&] { return has_children() && clock_.pending() == 1; }));
  io_.poll();
  EXPECT_FALSE(running->result);
  clock_.advance(2s);
  EXPECT_EQ(finish(running), (ProbeResult{false, "timed out after 2s"}));
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

TEST_F(Probe, ExecKillsWhatTheCommandLeftRunning) {
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

TEST_F(Probe, ExecGetsDevNullAndNoDescriptorOfTheDaemon) {
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

}  // namespace
}  // namespace vipd::health::test
