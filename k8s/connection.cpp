#include "k8s/connection.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <vector>

#include "k8s/tls.hpp"

namespace vipd::k8s::detail {
namespace {

using asio::as_tuple;
using asio::use_awaitable;

std::string join_host_port(const std::string& host, std::uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

Connection::Connection(asio::any_io_executor executor, asio::ssl::context& tls)
    : resolver_(executor), stream_(executor, tls) {}

asio::awaitable<Result<void>> Connection::open(const Target& target) {
  std::vector<asio::ip::tcp::endpoint> endpoints;
  boost::system::error_code ec;
  const auto literal = asio::ip::make_address(target.host, ec);
  if (!ec) {
    endpoints.emplace_back(literal, target.port);
  } else {
    auto [resolve_error, results] = co_await resolver_.async_resolve(
        target.host, std::to_string(target.port), as_tuple(use_awaitable));
    if (resolve_error) {
      co_return failure(Errc::kIoError, "resolve " + target.host + ": " + resolve_error.message());
    }
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  }

  auto& tcp = boost::beast::get_lowest_layer(stream_);
  std::string tried;
  bool connected = false;
  for (const auto& endpoint : endpoints) {
    auto [connect_error] = co_await tcp.async_connect(endpoint, as_tuple(use_awaitable));
    if (!connect_error) {
      connected = true;
      break;
    }
    if (!tried.empty()) tried += "; ";
    tried += "connect to " + join_host_port(endpoint.address().to_string(), endpoint.port()) +
             ": " + connect_error.message();
    if (connect_error == asio::error::operation_aborted) break;
  }
  if (!connected) {
    co_return failure(Errc::kIoError, tried.empty() ? "no address for " + target.host : tried);
  }
  tcp.socket().set_option(asio::ip::tcp::no_delay(true), ec);

  SSL* ssl = stream_.native_handle();
  if (asio::ip::make_address(target.verify_name, ec); ec) {
    SSL_set_tlsext_host_name(ssl, target.verify_name.c_str());
  }
  if (target.verify) {
    stream_.set_verify_mode(asio::ssl::verify_peer);
    stream_.set_verify_callback(PeerVerifier(target.verify_name, &verify_failure_));
  } else {
    stream_.set_verify_mode(asio::ssl::verify_none);
  }
  auto [handshake_error] =
      co_await stream_.async_handshake(asio::ssl::stream_base::client, as_tuple(use_awaitable));
  if (handshake_error) {
    std::string text = "TLS handshake: " + handshake_error.message();
    if (!verify_failure_.empty()) {
      text += ": " + verify_failure_;
      text += verify_failure_.find("not valid for") != std::string::npos
                  ? " (is the server address or tls-server-name right?)"
                  : " (is the CA right?)";
    }
    co_return failure(Errc::kIoError, std::move(text));
  }
  co_return success();
}

void Connection::abort() {
  resolver_.cancel();
  boost::system::error_code ignored;
  boost::beast::get_lowest_layer(stream_).socket().close(ignored);
}

bool Connection::peer_closed() {
  if (buffer_.size() > 0) return true;  // bytes nobody asked for
  auto& socket = boost::beast::get_lowest_layer(stream_).socket();
  if (!socket.is_open()) return true;
  char byte = 0;
  const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
  return true;  // 0: the server closed; > 0: it sent something unasked (a close_notify)
}

}  // namespace vipd::k8s::detail
