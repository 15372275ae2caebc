#pragma once
// What the probe and checker tests share: check definitions, a test-local HTTP server, and a
// fixture whose io_context does real I/O while time comes from a FakeTimerClock. Timeouts and
// intervals pass only when a test advances the fake clock; real time bounds only how long a
// test waits for real I/O (sockets, processes) before it gives up.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/testing/fake_timer_clock.hpp"
#include "health/probe.hpp"
#include "health/tests/print.hpp"

namespace vipd::health::test {

using namespace std::chrono_literals;
namespace http = boost::beast::http;
using asio::ip::tcp;
using config::HealthCheck;
using Kind = config::HealthCheck::Kind;

inline IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

inline HealthCheck tcp_check(const char* address, std::uint16_t port) {
  HealthCheck c;
  c.kind = Kind::kTcp;
  c.address = ip(address);
  c.port = port;
  c.interval = 10s;
  c.timeout = 1s;
  c.rise = 1;
  c.fall = 1;
  return c;
}

inline HealthCheck http_check(const char* address, std::uint16_t port,
                              std::string path = "/healthz") {
  HealthCheck c = tcp_check(address, port);
  c.kind = Kind::kHttp;
  c.http_path = std::move(path);
  return c;
}

inline HealthCheck exec_check(std::vector<std::string> command) {
  HealthCheck c;
  c.kind = Kind::kExec;
  c.command = std::move(command);
  c.interval = 10s;
  c.timeout = 2s;
  c.rise = 1;
  c.fall = 1;
  return c;
}

// True while this process has a child, running or not yet reaped (WNOWAIT: look, don't reap).
inline bool has_children() {
  siginfo_t info{};
  const int r = ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT);
  return !(r < 0 && errno == ECHILD);
}

// A port nothing listens on: bound, then released.
inline std::uint16_t closed_port(asio::io_context& io, const char* address) {
  tcp::acceptor a(io, {asio::ip::make_address(address), 0});
  const auto port = a.local_endpoint().port();
  a.close();
  return port;
}

// A test-local HTTP/1.1 server answering every request with one status, or holding requests
// unanswered. Each connection is served on its own, so overlapping probes would show in
// `most_in_flight`.
struct HttpServer {
  HttpServer(asio::io_context& io, const char* address, const Clock& c)
      : acceptor(io, {asio::ip::make_address(address), 0}), clock(c) {}
  std::uint16_t port() const { return acceptor.local_endpoint().port(); }

  http::response<http::string_body> response() const {
    http::response<http::string_body> r(static_cast<http::status>(status), 11);
    if (status != 204) r.body() = "health\n";
    r.keep_alive(false);
    r.prepare_payload();
    return r;
  }

  // Answers the held requests with `status`, and stops holding new ones.
  void answer_held() {
    silent = false;
    for (auto& socket : held) {
      --in_flight;
      boost::system::error_code ignored;
      http::write(socket, response(), ignored);
    }
    held.clear();
  }

  tcp::acceptor acceptor;
  const Clock& clock;
  unsigned status = 200;
  bool silent = false;    // read the request, then hold the connection without an answer
  std::string raw_reply;  // when set, sent instead of an HTTP response
  std::vector<http::request<http::string_body>> requests;
  std::vector<Clock::time_point> request_times;  // the clock's time at each request
  std::vector<tcp::socket> held;
  int in_flight = 0;  // requests read and not answered yet
  int most_in_flight = 0;
};

inline asio::awaitable<void> answer(std::shared_ptr<HttpServer> server, tcp::socket socket) {
  using asio::as_tuple;
  using asio::use_awaitable;
  boost::beast::flat_buffer buffer;
  http::request<http::string_body> request;
  auto [read_error, n] =
      co_await http::async_read(socket, buffer, request, as_tuple(use_awaitable));
  (void)n;
  if (read_error) co_return;
  server->requests.push_back(request);
  server->request_times.push_back(server->clock.now());
  server->most_in_flight = std::max(server->most_in_flight, ++server->in_flight);
  if (server->silent) {
    server->held.push_back(std::move(socket));
    co_return;
  }
  --server->in_flight;
  if (!server->raw_reply.empty()) {
    co_await asio::async_write(socket, asio::buffer(server->raw_reply), as_tuple(use_awaitable));
    co_return;
  }
  auto response = server->response();
  co_await http::async_write(socket, response, as_tuple(use_awaitable));
}

inline asio::awaitable<void> serve(std::shared_ptr<HttpServer> server) {
  while (true) {
    auto [error, socket] =
        co_await server->acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (error) co_return;
    asio::co_spawn(server->acceptor.get_executor(), answer(server, std::move(socket)),
                   [](std::exception_ptr e) {
                     if (e) ADD_FAILURE() << "test HTTP server connection failed";
                   });
  }
}

class HealthIo : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_FALSE(has_children()) << "a health-check command was left"; }

  // Runs the loop until `done` holds or `limit` (real time) passes; returns `done()`.
  template <class Done>
  bool run_until(Done done, Clock::duration limit = 5s) {
    const auto deadline = wall_.now() + limit;
    while (!done()) {
      if (wall_.now() >= deadline) return false;
      io_.run_one_for(10ms);
    }
    return true;
  }

  // A probe in flight; `result` is set when it ends.
  struct Running {
    std::optional<ProbeResult> result;
    std::exception_ptr error;
  };
  std::shared_ptr<Running> start_probe(HealthCheck check) {
    auto running = std::make_shared<Running>();
    asio::co_spawn(io_, probe(clock_, std::move(check)),
                   [running](std::exception_ptr e, ProbeResult r) {
                     running->error = e;
                     running->result = std::move(r);
                   });
    return running;
  }
  ProbeResult finish(const std::shared_ptr<Running>& running) {
    EXPECT_TRUE(run_until([&] { return running->result.has_value(); }))
        << "the probe never finished";
    if (running->error) std::rethrow_exception(running->error);
    return running->result.value_or(ProbeResult{false, "no result"});
  }
  // A probe that needs no time to pass on the clock.
  ProbeResult probe_now(HealthCheck check) { return finish(start_probe(std::move(check))); }

  std::shared_ptr<HttpServer> http_server(const char* address) {
    auto server = std::make_shared<HttpServer>(io_, address, clock_);
    asio::co_spawn(io_, serve(server), [](std::exception_ptr e) {
      if (e) ADD_FAILURE() << "test HTTP server failed";
    });
    return server;
  }

  // Declared before the io_context: coroutines it destroys still hold timers of this clock.
  vipd::testing::FakeTimerClock clock_;
  SteadyClock wall_;  // real time, only to bound waits for real I/O
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
};

}  // namespace vipd::health::test
