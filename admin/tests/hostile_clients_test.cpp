// The admin endpoint under idle, slow and hostile clients: a full connection table sheds the
// connection idle longest, a header deadline ends half-sent and trickled requests, and accept
// failures for lack of descriptors neither spin nor flood the log. Real sockets and real time:
// every wait is for a condition, bounded by a deadline.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "admin/server.hpp"
#include "admin/tests/server_fixture.hpp"

namespace vipd::admin::test {
namespace {

using HostileClients = AdminServerTest;

// Sets this process's soft RLIMIT_NOFILE for the scope, then puts it back.
class DescriptorLimit {
 public:
  explicit DescriptorLimit(rlim_t soft) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit changed = saved_;
    changed.rlim_cur = soft;
    set_ = ::setrlimit(RLIMIT_NOFILE, &changed) == 0;
  }
  ~DescriptorLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  DescriptorLimit(const DescriptorLimit&) = delete;
  DescriptorLimit& operator=(const DescriptorLimit&) = delete;
  bool set() const { return set_; }

 private:
  rlimit saved_{};
  bool set_ = false;
};

int occurrences(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Descriptors opened to use up the limit, closed at the end of the scope.
struct Filler {
  Filler() = default;
  Filler(const Filler&) = delete;
  Filler& operator=(const Filler&) = delete;
  ~Filler() {
    for (const int fd : fds) ::close(fd);
  }
  std::vector<int> fds;
};

std::size_t open_descriptors() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++n;
  }
  return n;
}

// Routes the default logger into a string for the scope.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>(
        "captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  // Written on the server's thread: read it there too (AdminServerTest::on_io).
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(HostileClients, AThousandIdleConnectionsDoNotLockOutProbesOrScrapes) {
  constexpr std::size_t kIdle = 1000;
  const AdminLimits limits;  // the daemon's: 64 connections, 5 s header deadline
  // The idle clients, the server's side of its table, and the probing clients' own loops.
  const rlim_t needed = kIdle + limits.max_connections + 64;
  rlimit current{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &current), 0);
  if (current.rlim_max != RLIM_INFINITY && current.rlim_max < needed) {
    GTEST_SKIP() << "RLIMIT_NOFILE hard limit " << current.rlim_max << " is below the " << needed
                 << " descriptors this test holds (" << kIdle
                 << " idle clients and the server's side); raise it (ulimit -Hn) to run it";
  }
  DescriptorLimit raised(current.rlim_max);
  ASSERT_TRUE(raised.set());
  ready_ = true;
  start(limits);

  asio::io_context idle_io;
  std::vector<tcp::socket> idle;
  idle.reserve(kIdle);
  const auto probe_every_path = [&] {
    for (const char* path : {"/healthz", "/readyz", "/metrics", "/status"}) {
      const auto began = WallClock::now();
      Client client;
      const auto connect_error = client.connect(endpoint_);
      const auto r = connect_error ? Client::Read{connect_error, {}} : client.get(path);
      const auto took = WallClock::now() - began;
      EXPECT_FALSE(r.error) << path << " with " << idle.size()
                            << " idle connections: " << r.error.message();
      EXPECT_EQ(r.response.result(), http::status::ok) << path;
      EXPECT_LT(took, 1s) << path << " with " << idle.size() << " idle connections took "
                          << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                          << " ms";
    }
  };
  while (idle.size() < kIdle) {
    error_code ec;
    idle.emplace_back(idle_io).connect(endpoint_, ec);
    ASSERT_FALSE(ec) << "idle connection " << idle.size() << ": " << ec.message();
    if (idle.size() % 100 == 0) probe_every_path();
  }
  probe_every_path();

  EXPECT_LE(server_connections(), limits.max_connections);
  // The server accepted every idle connection in turn and closed all but the most recent
  // ones to make room: the clients see the close.
  std::size_t closed = 0;
  for (auto& socket : idle) {
    socket.non_blocking(true);
    char byte = 0;
    error_code ec;
    socket.read_some(asio::buffer(&byte, 1), ec);
    if (ec == asio::error::eof || ec == asio::error::connection_reset) ++closed;
  }
  EXPECT_GE(closed, kIdle - limits.max_connections);
}

TEST_F(HostileClients, HeaderDeadlineClosesAHalfSentRequestLine) {
  start({.idle_timeout = 30s, .header_timeout = 300ms});
  const auto began = WallClock::now();
  auto half = connect();
  ASSERT_FALSE(half->send("GET /met"));
  auto silent = connect();

  // While both hold a connection, another client is served.
  EXPECT_EQ(connect()->get("/healthz").response.result(), http::status::ok);

  // The server closes both at the header deadline, long before the idle timeout (and before
  // the client's own deadline of 10 s).
  const auto half_read = half->read();
  const auto took = WallClock::now() - began;
  EXPECT_TRUE(closed_by_server(half_read.error)) << half_read.error.message();
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 5s);
  const auto silent_read = silent->read();
  EXPECT_TRUE(closed_by_server(silent_read.error)) << silent_read.error.message();
}

TEST_F(HostileClients, ATrickledHeaderIsCutAtTheHeaderDeadline) {
  start({.idle_timeout = 30s, .header_timeout = 300ms});
  auto trickle = connect();
  const auto began = WallClock::now();
  // 120 bytes, one every 20 ms: 2.4 s for the whole header if the server let it.
  const std::string request =
      "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(80, 'a') + "\r\n\r\n";
  bool refused = false;
  for (std::size_t i = 0; i < request.size() && !refused; ++i) {
    refused = static_cast<bool>(trickle->send(request.substr(i, 1)));
    std::this_thread::sleep_for(20ms);  // the trickle itself, not a wait for the server
  }
  EXPECT_TRUE(refused) << "the whole trickled header was taken";
  EXPECT_LT(WallClock::now() - began, 2s);
  const auto r = trickle->read();
  EXPECT_TRUE(closed_by_server(r.error)) << r.error.message();
}

TEST_F(HostileClients, AKeptAliveConnectionGetsTheIdleTimeoutThenTheHeaderDeadline) {
  start({.idle_timeout = 800ms, .header_timeout = 200ms});
  // Quiet after an answer: closed at the idle timeout, not at the header deadline.
  auto quiet = connect();
  ASSERT_EQ(quiet->get("/healthz").response.result(), http::status::ok);
  const auto answered = WallClock::now();
  const auto quiet_read = quiet->read();
  const auto quiet_took = WallClock::now() - answered;
  EXPECT_TRUE(closed_by_server(quiet_read.error)) << quiet_read.error.message();
  EXPECT_GE(quiet_took, 700ms);
  EXPECT_LT(quiet_took, 5s);

  // Once the next request begins, the rest of its header must follow within the deadline.
  auto stalled = connect();
  ASSERT_EQ(stalled->get("/healthz").response.result(), http::status::ok);
  ASSERT_FALSE(stalled->send("G"));
  const auto begun = WallClock::now();
  const auto stalled_read = stalled->read();
  const auto stalled_took = WallClock::now() - begun;
  EXPECT_TRUE(closed_by_server(stalled_read.error)) << stalled_read.error.message();
  EXPECT_LT(stalled_took, 700ms);
}

TEST_F(HostileClients, AFullTableShedsTheConnectionIdleLongestAndNeverOneAnswering) {
  // 16 MiB of metrics to a client that does not read them: the answer stays in the middle of
  // being written for as long as the test wants.
  metrics_text_ = std::string(16u << 20, 'm');
  start({.max_connections = 3});
  auto answering = connect(/*receive_buffer=*/4096);
  ASSERT_FALSE(answering->send(http::verb::get, "/metrics"));
  ASSERT_TRUE(wait_for([&] { return metrics_calls_ == 1; }));

  // Kept alive after an answer, then a fresh one that has sent nothing: both idle, the kept
  // alive one for longer.
  auto kept = connect();
  ASSERT_EQ(kept->get("/healthz").response.result(), http::status::ok);
  auto fresh = connect();
  ASSERT_TRUE(wait_for([&] { return server_connections() == 3; }));

  // Full: a new client is served, and the connection idle longest is the one closed.
  auto third = connect();
  ASSERT_EQ(third->get("/healthz").response.result(), http::status::ok);
  EXPECT_TRUE(closed_by_server(kept->read().error)) << "the kept-alive idle connection stayed";

  // `fresh` is now the oldest connection but has just been used; `third` has been idle longer.
  ASSERT_EQ(fresh->get("/readyz").response.result(), http::status::service_unavailable);
  auto fourth = connect();
  ASSERT_EQ(fourth->get("/healthz").response.result(), http::status::ok);
  EXPECT_TRUE(closed_by_server(third->read().error)) << "the connection idle longest stayed";
  EXPECT_EQ(fresh->get("/healthz").response.result(), http::status::ok);
  EXPECT_EQ(server_connections(), 3u);

  // The oldest connection of all was answering throughout and was never shed.
  const auto whole = answering->read();
  ASSERT_FALSE(whole.error) << whole.error.message();
  EXPECT_EQ(whole.response.body().size(), metrics_text_.size());
}

TEST_F(HostileClients, WhenEveryConnectionIsAnsweringANewOneIsClosed) {
  metrics_text_ = std::string(16u << 20, 'm');
  start({.max_connections = 1});
  auto answering = connect(/*receive_buffer=*/4096);
  ASSERT_FALSE(answering->send(http::verb::get, "/metrics"));
  ASSERT_TRUE(wait_for([&] { return metrics_calls_ == 1; }));

  auto turned_away = connect();
  const auto refused = turned_away->get("/healthz");
  EXPECT_TRUE(closed_by_server(refused.error)) << "a connection beyond the cap was served";

  // Once the answer is taken, the connection is idle and makes room for the next client.
  const auto whole = answering->read();
  ASSERT_FALSE(whole.error) << whole.error.message();
  EXPECT_EQ(whole.response.body().size(), metrics_text_.size());
  auto next = connect();
  EXPECT_EQ(next->get("/healthz").response.result(), http::status::ok);
  EXPECT_TRUE(closed_by_server(answering->read().error));
}

TEST_F(HostileClients, AcceptWithoutDescriptorsPausesAndLogsOncePerBurst) {
  CapturedLog log;
  start();
  const auto failures = [&] { return on_io([this] { return server_->accept_failures(); }); };
  const auto logged = [&](const std::string& what) {
    return occurrences(on_io([&] { return log.text(); }), what);
  };
  // UBSan's vptr check reads memory through a pipe the first time it meets a type; with no
  // descriptor left that read fails and passes for a bad vptr. So what runs while the
  // descriptors are used up runs once before: a full exchange with the server, the text of
  // the failure, and the test's own calls. The client is plain system calls.
  ASSERT_EQ(connect()->get("/healthz").response.result(), http::status::ok);
  ASSERT_TRUE(wait_for([&] { return server_connections() == 0; }));  // its descriptor is free
  EXPECT_EQ(make_error_code(asio::error::no_descriptors).message(), "Too many open files");
  ASSERT_EQ(failures(), 0u);
  ASSERT_EQ(logged("accept failed"), 0);

  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  int client = -1;
  bool limited = false;
  bool exhausted = false;
  bool sent = false;
  bool failed_four_times = false;
  WallClock::duration three_pauses{};
  {
    DescriptorLimit limit(open_descriptors() + 16);
    limited = limit.set();
    Filler filler;
    while (limited) {
      const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        exhausted = errno == EMFILE && !filler.fds.empty();
        break;
      }
      filler.fds.push_back(fd);
    }
    if (exhausted) {
      // One descriptor for the client's socket; none left for the server to accept it with.
      ::close(filler.fds.back());
      filler.fds.pop_back();
      client = ::socket(endpoint_.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
      // Completed by the kernel; the connection waits in the listener's backlog.
      sent = client >= 0 && ::connect(client, endpoint_.data(), endpoint_.size()) == 0 &&
             ::send(client, request.data(), request.size(), MSG_NOSIGNAL) ==
                 static_cast<ssize_t>(request.size());
      if (sent && wait_for([&] { return failures() >= 1; })) {
        const auto first = WallClock::now();
        failed_four_times = wait_for([&] { return failures() >= 4; });
        three_pauses = WallClock::now() - first;
      }
    }
  }  // descriptors closed, limit restored
  ASSERT_TRUE(limited);
  ASSERT_TRUE(exhausted);
  ASSERT_TRUE(sent) << std::strerror(errno);
  ASSERT_TRUE(failed_four_times);
  // Three pauses between four attempts: a loop that spun would get there in microseconds.
  EXPECT_GE(three_pauses, 250ms);
  EXPECT_EQ(logged("accept failed"), 1);
  EXPECT_EQ(logged("Too many open files"), 1);

  // With descriptors back, the waiting client is served, and the recovery is logged once.
  const timeval deadline{.tv_sec = 10, .tv_usec = 0};
  ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &deadline, sizeof deadline);
  std::string response;
  char chunk[4096];
  for (ssize_t n = 0; (n = ::recv(client, chunk, sizeof chunk, 0)) > 0;) response.append(chunk, n);
  ::close(client);
  EXPECT_TRUE(response.starts_with("HTTP/1.1 200 OK\r\n")) << response;
  EXPECT_TRUE(response.ends_with("\r\n\r\nok\n")) << response;
  EXPECT_EQ(logged("accepting again"), 1);
  on_io([this] { server_.reset(); });  // nothing logs into `log` once it is gone
}

}  // namespace
}  // namespace vipd::admin::test
