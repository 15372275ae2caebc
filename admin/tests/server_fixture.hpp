#pragma once
// The admin endpoint against a real HTTP client over loopback TCP: the server runs on its own
// io_context thread, the client on the test thread with its own io_context, every client
// operation bounded by a deadline.

#include <gtest/gtest.h>

#include <atomic>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "admin/server.hpp"

namespace vipd::admin::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using error_code = boost::system::error_code;
using WallClock = std::chrono::steady_clock;

// An upper bound for any one client operation; tests that pass never wait for it.
constexpr auto kClientDeadline = 10s;

// A raw HTTP/1.1 client: connect, send bytes, read one response at a time.
class Client {
 public:
  struct Read {
    error_code error;
    http::response<http::string_body> response;
  };

  // `receive_buffer`: a small one makes a large answer stall in the server's write until
  // this client reads it.
  error_code connect(const tcp::endpoint& endpoint, int receive_buffer = 0) {
    error_code result;
    if (receive_buffer > 0) {
      stream_.socket().open(endpoint.protocol(), result);
      if (result) return result;
      stream_.socket().set_option(asio::socket_base::receive_buffer_size(receive_buffer), result);
      if (result) return result;
    }
    stream_.expires_after(kClientDeadline);
    stream_.async_connect(endpoint, [&](error_code ec) { result = ec; });
    run();
    return result;
  }

  error_code send(std::string bytes) {
    error_code result;
    stream_.expires_after(kClientDeadline);
    asio::async_write(stream_, asio::buffer(bytes),
                      [&](error_code ec, std::size_t) { result = ec; });
    run();
    return result;
  }

  error_code send(http::verb method, std::string target, bool keep_alive = true,
                  unsigned version = 11) {
    http::request<http::empty_body> request{method, target, version};
    request.set(http::field::host, "vipd");
    request.keep_alive(keep_alive);
    error_code result;
    stream_.expires_after(kClientDeadline);
    http::async_write(stream_, request, [&](error_code ec, std::size_t) { result = ec; });
    run();
    return result;
  }

  Read read(bool head = false) {
    http::response_parser<http::string_body> parser;
    parser.skip(head);  // a HEAD answer announces a length but carries no content
    parser.body_limit(boost::none);
    Read result;
    stream_.expires_after(kClientDeadline);
    http::async_read(stream_, buffer_, parser,
                     [&](error_code ec, std::size_t) { result.error = ec; });
    run();
    if (!result.error) result.response = parser.release();
    return result;
  }

  Read request(http::verb method, std::string target, bool keep_alive = true) {
    if (auto ec = send(method, std::move(target), keep_alive)) return {ec, {}};
    return read(method == http::verb::head);
  }

  Read get(std::string target) { return request(http::verb::get, std::move(target)); }

  void close() { stream_.close(); }

 private:
  void run() {
    io_.restart();
    io_.run();
  }

  asio::io_context io_;
  beast::tcp_stream stream_{io_};
  beast::flat_buffer buffer_;
};

// True when the server closed the connection (rather than the client giving up).
inline bool closed_by_server(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
         ec == asio::error::eof || ec == http::error::partial_message;
}

class AdminServerTest : public ::testing::Test {
 protected:
  // Runs `fn` on the server's thread and waits for it.
  template <class Fn>
  auto on_io(Fn fn) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto done = task.get_future();
    asio::post(io_, [&task] { task(); });
    if (!thread_.joinable()) io_.poll();
    return done.get();
  }

  void TearDown() override {
    on_io([this] { server_.reset(); });
    work_.reset();
    if (thread_.joinable()) thread_.join();
  }

  AdminServer::Handlers handlers() {
    return {
        .metrics =
            [this] {
              ++metrics_calls_;
              return metrics_text_;
            },
        .status = [this](std::string_view query) -> Result<json::value> {
          if (status_throws_) throw std::runtime_error("status is broken");
          {
            std::lock_guard lock(query_mutex_);
            status_query_ = std::string(query);
          }
          if (query == "limit=x") return failure(Errc::kInvalidArgument, "limit: 'x' is bad");
          return status_;
        },
        .ready = [this] { return ready_.load(); },
    };
  }

  void start(AdminLimits limits = {}, std::string_view address = "127.0.0.1:0") {
    server_ = std::make_unique<AdminServer>(
        io_.get_executor(), parse_admin_address(address).value(), handlers(), limits);
    const auto started = server_->start();
    ASSERT_TRUE(started) << started.error().message();
    endpoint_ = server_->local_endpoint();
    ASSERT_NE(endpoint_.port(), 0);
    thread_ = std::thread([this] { io_.run(); });
  }

  std::unique_ptr<Client> connect(int receive_buffer = 0) {
    auto client = std::make_unique<Client>();
    const auto ec = client->connect(endpoint_, receive_buffer);
    EXPECT_FALSE(ec) << ec.message();
    return client;
  }

  std::size_t server_connections() {
    return on_io([this] { return server_->connections(); });
  }

  // Polls `done` until it holds or `limit` passes; returns `done()`.
  template <class Done>
  static bool wait_for(Done done, WallClock::duration limit = kClientDeadline) {
    const auto deadline = WallClock::now() + limit;
    while (!done()) {
      if (WallClock::now() >= deadline) return false;
      std::this_thread::yield();
    }
    return true;
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::thread thread_;
  std::unique_ptr<AdminServer> server_;
  tcp::endpoint endpoint_;

  std::atomic<bool> ready_{false};
  std::atomic<bool> status_throws_{false};
  std::mutex query_mutex_;
  std::string status_query_;  // the last query string the status handler was given
  std::atomic<int> metrics_calls_{0};
  std::string metrics_text_ =
      "# HELP vipd_bgp_session_up Up\n# TYPE vipd_bgp_session_up gauge\n"
      "vipd_bgp_session_up{peer=\"router\"} 1\n";
  json::value status_ = json::parse(
      R"({"node":"node-1","ready":true,"peers":[{"name":"router","address":"192.0.2.1"}],)"
      R"("services":[],"pools":[{"name":"public","family":"ipv4","total":256,"in_use":1}]})");
};

}  // namespace vipd::admin::test
