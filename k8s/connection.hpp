#pragma once
// One TLS connection to the API server, and the watchdog that bounds how long it may take
// (internal to k8s/; the Client pools connections and drives HTTP over them).
//
// A Connection resolves (IP literals skip the resolver), connects to each address in turn,
// sends SNI (names only: RFC 6066 §3 forbids IP literals) and completes the handshake with the
// peer verified (tls.hpp). Its errors say which step failed and why. abort() makes every
// pending operation complete with an error at once; the Watchdog calls it when its deadline
// passes, so every wait is bounded by the Client's TimerClock.
// Thread: the Client's executor.

#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <memory>
#include <string>

#include "common/asio.hpp"
#include "common/result.hpp"
#include "common/timer.hpp"

namespace vipd::k8s::detail {

struct Target {
  std::string host;  // name or IP literal, no brackets
  std::uint16_t port = 0;
  std::string verify_name;  // the name (or IP) the certificate must carry; also SNI if a name
  bool verify = true;
};

class Connection {
 public:
  using Stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  Connection(asio::any_io_executor executor, asio::ssl::context& tls);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects and completes the TLS handshake. The error names the step: "connect to
  // 127.0.0.1:6443: Connection refused", "TLS handshake: certificate verify failed: ...".
  asio::awaitable<Result<void>> open(const Target& target);

  Stream& stream() { return stream_; }
  boost::beast::flat_buffer& buffer() { return buffer_; }

  // Pending operations (resolve, connect, handshake, read, write) end with an error now; the
  // connection is unusable afterwards.
  void abort();
  // While the connection sat idle, the server closed its end or sent something unasked (a TLS
  // close_notify, say): it cannot carry another request. Looks without blocking or reading.
  bool peer_closed();

  Clock::time_point idle_since{};

 private:
  asio::ip::tcp::resolver resolver_;
  Stream stream_;
  boost::beast::flat_buffer buffer_;
  std::string verify_failure_;  // why the peer check refused, for the handshake's error
};

// Calls connection.abort() when the clock reaches the deadline, unless disarmed first.
class Watchdog {
 public:
  Watchdog(TimerClock& clock, asio::any_io_executor executor)
      : timer_(clock.make_timer(std::move(executor))) {}
  void arm(Clock::time_point deadline, Connection& connection) {
    timer_->arm(deadline, [this, &connection] {
      fired_ = true;
      connection.abort();
    });
  }
  void disarm() { timer_->cancel(); }
  bool fired() const { return fired_; }

 private:
  std::unique_ptr<Timer> timer_;
  bool fired_ = false;
};

}  // namespace vipd::k8s::detail
