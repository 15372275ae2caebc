#include "admin/client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <exception>

#include "admin/server.hpp"
#include "common/asio.hpp"

namespace vipd::admin {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// A /status document of thousands of services is a few MiB; anything far larger is not one.
constexpr std::uint64_t kMaxDocument = 64 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// The exchange

struct Exchange {
  boost::system::error_code error;
  bool connected = false;
  http::response<http::string_body> response;
};

asio::awaitable<void> get(beast::tcp_stream& stream, tcp::endpoint endpoint, std::string host,
                          std::string target, std::chrono::steady_clock::time_point deadline,
                          Exchange& out) {
  stream.expires_at(deadline);
  auto [connect_error] =
      co_await stream.async_connect(endpoint, asio::as_tuple(asio::use_awaitable));
  if (connect_error) {
    out.error = connect_error;
    co_return;
  }
  out.connected = true;

  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, host);
  request.set(http::field::user_agent, "vipd-status");
  request.keep_alive(false);
  stream.expires_at(deadline);
  auto [write_error, written] =
      co_await http::async_write(stream, request, asio::as_tuple(asio::use_awaitable));
  if (write_error) {
    out.error = write_error;
    co_return;
  }

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxDocument);
  stream.expires_at(deadline);
  auto [read_error, read] =
      co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
  if (read_error) {
    out.error = read_error;
    co_return;
  }
  out.response = parser.release();
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

std::string describe(const boost::system::error_code& ec, std::chrono::milliseconds timeout) {
  if (ec == beast::error::timeout) {
    return fmt::format("no answer within {:g} s", static_cast<double>(timeout.count()) / 1000);
  }
  return ec.message();
}

}  // namespace

Result<std::string> fetch_admin_document(std::string_view address, std::string_view path,
                                         std::chrono::milliseconds timeout) {
  VIPD_TRY(const auto endpoint, parse_admin_address(address));
  asio::io_context io;
  beast::tcp_stream stream(io);
  Exchange exchange;
  std::exception_ptr failed;
  asio::co_spawn(io,
                 get(stream, endpoint, std::string(address), std::string(path),
                     std::chrono::steady_clock::now() + timeout, exchange),
                 [&](std::exception_ptr e) { failed = e; });
  io.run();
  if (failed) {
    // Not a network outcome (those come back as error codes): say what it was, and stop.
    try {
      std::rethrow_exception(failed);
    } catch (const std::exception& e) {
      return failure(Errc::kIoError,
                     std::string("request to the admin endpoint failed: ") + e.what());
    }
  }

  const std::string at = " the admin endpoint at " + std::string(address);
  if (exchange.error) {
    if (!exchange.connected) {
      return failure(Errc::kIoError, "cannot reach" + at + ": " +
                                         describe(exchange.error, timeout) +
                                         " (is vipd running? use --admin)");
    }
    return failure(Errc::kIoError,
                   "no usable answer from" + at + ": " + describe(exchange.error, timeout));
  }
  const auto& response = exchange.response;
  if (response.result() != http::status::ok) {
    std::string message = std::string(at.substr(1)) + " answered " +
                          std::to_string(response.result_int()) + " " +
                          std::string(response.reason()) + " for " + std::string(path);
    // A refused request says why in its first line (a bad /status query, for example).
    if (response.result() == http::status::bad_request) {
      const std::string_view body = response.body();
      const auto line = body.substr(0, std::min<std::size_t>(body.find('\n'), 200));
      if (!line.empty()) {
        message += ": ";
        for (const char c : line) {
          const auto u = static_cast<unsigned char>(c);
          message += u < 0x20 || u == 0x7f ? '?' : c;  // no terminal control from the network
        }
      }
    }
    return failure(Errc::kProtocolError, std::move(message));
  }
  return response.body();
}

}  // namespace vipd::admin
