#pragma once
// AdminServer: the daemon's admin HTTP endpoint (default 127.0.0.1:7473, DESIGN.md
// "Processes"): /metrics (Prometheus text 0.0.4), /healthz, /readyz and /status (JSON).
//
// Responsible for: HTTP/1.1 over TCP with Boost.Beast (GET and HEAD, keep-alive), and for
// staying available to probes and scrapers under slow or hostile clients: an 8 KiB header
// limit, no request bodies, a header deadline (a request's header must be complete within it
// of the connection, or of its first byte on a kept-alive connection, which ends
// slowloris-style trickles), an idle timeout between requests on a kept-alive connection, a
// cap on open connections where a new connection displaces the oldest idle one (a connection
// not answering a request) so idle clients cannot lock others out, and writes bounded by the
// idle timeout. Every connection is its own coroutine, so no client can block the loop.
// Not responsible for: what the documents say. The daemon passes handlers that build the
// metrics text, the /status document and the readiness answer; they run on the server's
// executor at each request and must be quick.
// Thread: one io_context thread; construct, start, stop and destroy on it (or before it runs).

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/asio.hpp"
#include "common/result.hpp"

namespace vipd::admin {

inline constexpr std::string_view kDefaultAdminAddress = "127.0.0.1:7473";

// "ADDRESS:PORT" with an IP literal: "127.0.0.1:7473", "[::1]:7473" (brackets required for
// IPv6). Port 0 asks the kernel for a free port.
Result<asio::ip::tcp::endpoint> parse_admin_address(std::string_view text);
// The same form back: "127.0.0.1:7473", "[::1]:7473".
std::string format_endpoint(const asio::ip::tcp::endpoint& endpoint);

struct AdminLimits {
  // A kept-alive connection may wait this long for the first byte of its next request; an
  // answer must be taken up by the client within it too.
  std::chrono::milliseconds idle_timeout{30'000};
  // A request's header must be complete within this of the connection being accepted, or on a
  // kept-alive connection of the first byte of that request.
  std::chrono::milliseconds header_timeout{5'000};
  // Open connections at most. When full, a new connection closes the connection that has been
  // idle longest (waiting for or reading a request, not answering one); when every connection
  // is answering a request, the new one is closed instead.
  std::size_t max_connections = 64;
  std::uint32_t header_limit = 8 * 1024;
};

class AdminServer {
 public:
  struct Handlers {
    std::function<std::string()> metrics;  // Prometheus text
    // /status document for the query string ("" without one; admin/status_query.hpp); an
    // error is answered 400 with its message.
    std::function<Result<boost::json::value>(std::string_view query)> status;
    std::function<bool()> ready;  // /readyz: the first plan is applied
  };

  AdminServer(asio::any_io_executor executor, asio::ip::tcp::endpoint endpoint, Handlers handlers,
              AdminLimits limits = {});
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds and starts accepting. A bind failure names the address:
  // "admin address 127.0.0.1:7473: Address already in use".
  Result<void> start();
  // Stops accepting and closes every connection; pending work ends on the executor.
  void stop();

  // The bound address (the kernel's port when the endpoint asked for port 0).
  asio::ip::tcp::endpoint local_endpoint() const;
  std::size_t connections() const { return connections_.size(); }
  // Failed accepts (out of descriptors, for example) since start.
  std::uint64_t accept_failures() const { return accept_failures_; }

 private:
  struct Connection {
    std::weak_ptr<boost::beast::tcp_stream> stream;
    bool busy = false;                           // answering a request
    std::list<std::uint64_t>::iterator idle_at;  // its place in idle_ when not busy
  };

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(std::shared_ptr<boost::beast::tcp_stream> stream, std::uint64_t id);
  // Makes room for one more connection; false when every open connection is busy.
  bool make_room();
  void set_busy(std::uint64_t id, bool busy);
  void forget(std::uint64_t id);

  asio::any_io_executor executor_;
  asio::ip::tcp::endpoint endpoint_;
  Handlers handlers_;
  AdminLimits limits_;
  asio::ip::tcp::acceptor acceptor_;
  // The open connections, so a full table can shed one and stop() can close them all; each
  // removes itself when it ends. idle_ lists the idle ones, longest idle first, so shedding
  // and every change of state cost O(1).
  std::unordered_map<std::uint64_t, Connection> connections_;
  std::list<std::uint64_t> idle_;
  std::uint64_t next_id_ = 0;
  std::uint64_t accept_failures_ = 0;
  // Coroutines outlive stop(); they check this before touching the server again.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vipd::admin
