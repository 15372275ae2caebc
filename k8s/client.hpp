#pragma once
// vipd::k8s — talking to the Kubernetes API server.
//
// Responsible for: HTTP/1.1 over TLS to one API server (Boost.Beast over OpenSSL): the server
// verified against the CA and its name or IP, a client certificate or bearer token (a token file
// re-read when it rotates, token_source.hpp), keep-alive connections reused from a small pool
// (concurrent calls each get their own connection; an idle one the server closed is replaced,
// and a request it failed on before any answer is sent again once on a new connection if it is a
// GET or never left), a deadline on every call, size limits, streaming watches split into
// events, and counters for metrics. Credentials come from access.hpp (kubeconfig, in-cluster).
//
// Not responsible for: what the API means. A non-2xx answer to request() is not an error here
// (callers decide on 404/409/410 with Response::status); no retries after an answer, no backoff,
// no informers, caches or leader election (built on this), no HTTP/2, no compression, no
// proxies, no exec credential plugins.
//
// How a caller tells outcomes apart (errors.hpp):
//   request(): a Result<Response> with any HTTP status, or an Error: is_cancelled(e) when the
//   calling coroutine was cancelled, Errc::kTimedOut, Errc::kIoError (cannot reach the server,
//   TLS, connection lost), Errc::kProtocolError, Errc::kExhausted (body over max_body_bytes).
//   watch(): success when the server ended the stream (resume from the last resourceVersion);
//   an Error with http_status(e) == the HTTP status when the watch was refused (non-200) or ended
//   by an ERROR event (its Status code: is_expired(e) for 410 → relist); is_cancelled(e);
//   Errc::kTimedOut when the stream was silent for watch_idle_timeout; other Errc as above.
//
// Thread: one io_context thread; every member is called from coroutines on the executor given
// to create(), and the Client must outlive every call in flight. Cancel a call through its
// coroutine (`co_await (client.watch(...) || stop())`): the connection it used is closed.

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/asio.hpp"
#include "common/result.hpp"
#include "common/timer.hpp"
#include "k8s/access.hpp"
#include "k8s/errors.hpp"
#include "k8s/token_source.hpp"

namespace boost::asio::ssl {
class context;
}

namespace vipd::k8s {

namespace detail {
class Connection;
class Watchdog;
struct Target;
}  // namespace detail

enum class Verb { kGet, kPost, kPut, kPatch, kDelete };
std::string_view verb_name(Verb verb);  // "GET", ...

struct Response {
  unsigned status = 0;
  std::string body;
  std::string content_type;
  bool ok() const { return status >= 200 && status < 300; }
};

// One event of a watch stream: "ADDED", "MODIFIED", "DELETED" or "BOOKMARK" and its object.
// ERROR events are not delivered: they end the watch with an Error (see above).
struct WatchEvent {
  std::string type;
  boost::json::object object;
};
using WatchHandler = std::function<void(WatchEvent event)>;

struct ClientOptions {
  Clock::duration request_timeout = std::chrono::seconds(30);    // connect + send + whole answer;
                                                                 // for a watch, until its header
  Clock::duration watch_idle_timeout = std::chrono::minutes(5);  // a watch with no byte this long
  Clock::duration idle_connection_timeout = std::chrono::seconds(90);  // pooled longer: closed
  std::size_t max_idle_connections = 4;
  std::size_t max_body_bytes = std::size_t{64} << 20;  // a response body; a single watch event
  Clock::duration token_reread_period = std::chrono::minutes(1);
  std::string user_agent;  // empty: "vipd/<project version>"
};

// Requests by verb and HTTP code ("<error>" when no answer came), for
// vipd_k8s_requests_total{verb,code}. Watches count as verb "WATCH".
using RequestCounts = std::map<std::pair<std::string, std::string>, std::uint64_t>;

struct ConnectionCounts {
  std::uint64_t opened = 0;   // TLS connections established
  std::uint64_t reused = 0;   // requests sent on a pooled connection
  std::uint64_t retried = 0;  // requests sent again after a pooled connection failed
  std::size_t idle = 0;       // in the pool now
};

class Client {
 public:
  // Fails when the credentials cannot be used (a CA or key that is not PEM, a key that does not
  // match its certificate).
  static Result<std::unique_ptr<Client>> create(asio::any_io_executor executor, TimerClock& clock,
                                                Access access, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // One request to `target` (path and query, e.g. "/api/v1/namespaces/default/services"); a
  // body is sent with `content_type` (default application/json).
  asio::awaitable<Result<Response>> request(Verb verb, std::string target, std::string body = {},
                                            std::string content_type = {});

  // A streaming GET of `target` (which carries ?watch=1...): calls `on_event` for each event,
  // in order, until the server ends the stream, an error, or cancellation. An exception from
  // `on_event` ends the watch (its connection closed) and leaves watch() as is.
  asio::awaitable<Result<void>> watch(std::string target, WatchHandler on_event);

  RequestCounts request_counts() const { return counts_; }
  ConnectionCounts connection_counts() const;
  const Access& access() const { return access_; }
  const std::string& server_url() const { return url_; }

 private:
  using Connection = detail::Connection;
  struct Exchange;

  Client(asio::any_io_executor executor, TimerClock& clock, Access access, ClientOptions options,
         std::unique_ptr<asio::ssl::context> tls);

  asio::awaitable<Result<Response>> request_impl(Verb verb, std::string target, std::string body,
                                                 std::string content_type);
  asio::awaitable<Result<void>> watch_impl(std::string target, WatchHandler on_event);
  // Builds the request (target checked, headers, token) into `exchange`.
  Result<void> prepare(Exchange& exchange, Verb verb, std::string target, std::string body,
                       std::string content_type);
  // Sends the request and reads the answer's header, on a pooled or new connection, sending it
  // again once on a new connection when a pooled one failed before answering (GET, or when the
  // write itself failed).
  asio::awaitable<Result<void>> send(Exchange& exchange, detail::Watchdog& watchdog,
                                     Clock::time_point deadline);
  // Reads the rest of a (non-streaming) body into `body`.
  asio::awaitable<Result<void>> read_body(Exchange& exchange, const detail::Watchdog& watchdog,
                                          std::string& body, std::size_t limit);
  std::unique_ptr<Connection> take_idle();
  void give_back(std::unique_ptr<Connection> connection);
  // The Error for a failed step, by what stopped it: cancellation ("PREFIX: cancelled"), the
  // watchdog ("PREFIX: TIMED_OUT", kTimedOut), or else the step's own failure ("PREFIX: DETAIL").
  asio::awaitable<Error> failed(const detail::Watchdog& watchdog, std::string prefix,
                                std::string_view detail, std::string_view timed_out) const;
  std::string no_answer() const;
  void count(std::string_view verb, std::string code) { ++counts_[{std::string(verb), code}]; }
  detail::Target target() const;

  asio::any_io_executor executor_;
  TimerClock& clock_;
  Access access_;
  ClientOptions options_;
  std::string url_;
  std::string host_header_;
  std::unique_ptr<asio::ssl::context> tls_;
  TokenSource token_;
  std::vector<std::unique_ptr<Connection>> idle_;  // most recently used last
  RequestCounts counts_;
  ConnectionCounts connections_;
};

}  // namespace vipd::k8s
