#include "k8s/client.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "k8s/exchange.hpp"
#include "k8s/tls.hpp"

#ifndef VIPD_PROJECT_VERSION
#define VIPD_PROJECT_VERSION "unknown"
#endif

namespace vipd::k8s {
namespace {

namespace http = boost::beast::http;
using asio::as_tuple;
using asio::use_awaitable;

// The API server's headers are small; anything near this is not an API server.
constexpr std::uint32_t kMaxHeaderBytes = 64 * 1024;
constexpr std::size_t kReadChunk = 64 * 1024;

http::verb beast_verb(Verb verb) {
  switch (verb) {
    case Verb::kGet:
      return http::verb::get;
    case Verb::kPost:
      return http::verb::post;
    case Verb::kPut:
      return http::verb::put;
    case Verb::kPatch:
      return http::verb::patch;
    case Verb::kDelete:
      return http::verb::delete_;
  }
  return http::verb::get;
}

// Bytes that would end the request line or a header (or start another one) never leave.
bool header_safe(std::string_view text) {
  return std::none_of(text.begin(), text.end(),
                      [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

long long milliseconds(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

std::string describe(Clock::duration duration) {
  if (duration % std::chrono::seconds(1) == Clock::duration::zero()) {
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(duration).count()) + "s";
  }
  return std::to_string(milliseconds(duration)) + "ms";
}

std::string_view verb_name(Verb verb) { return boost::beast::http::to_string(beast_verb(verb)); }

Result<std::unique_ptr<Client>> Client::create(asio::any_io_executor executor, TimerClock& clock,
                                               Access access, ClientOptions options) {
  if (access.server_host.empty()) {
    return failure(Errc::kInvalidArgument, access.origin + ": no API server address");
  }
  VIPD_TRY(auto tls, detail::make_tls_context(access));
  if (options.user_agent.empty()) options.user_agent = "vipd/" VIPD_PROJECT_VERSION;
  return std::unique_ptr<Client>(new Client(std::move(executor), clock, std::move(access),
                                            std::move(options), std::move(tls)));
}

Client::Client(asio::any_io_executor executor, TimerClock& clock, Access access,
               ClientOptions options, std::unique_ptr<asio::ssl::context> tls)
    : executor_(std::move(executor)),
      clock_(clock),
      access_(std::move(access)),
      options_(std::move(options)),
      url_(k8s::server_url(access_)),
      tls_(std::move(tls)),
      token_(clock, access_.token, access_.token_file, options_.token_reread_period) {
  const bool v6 = access_.server_host.find(':') != std::string::npos;
  host_header_ = (v6 ? "[" + access_.server_host + "]" : access_.server_host) + ":" +
                 std::to_string(access_.port);
}

Client::~Client() = default;

ConnectionCounts Client::connection_counts() const {
  ConnectionCounts counts = connections_;
  counts.idle = idle_.size();
  return counts;
}

detail::Target Client::target() const {
  return {access_.server_host, access_.port, detail::verify_name(access_),
          !access_.insecure_skip_tls_verify};
}

Result<void> Client::prepare(Exchange& exchange, Verb verb, std::string target, std::string body,
                             std::string content_type) {
  if (target.empty() || target.front() != '/' || !header_safe(target) ||
      target.find(' ') != std::string::npos) {
    return failure(
        Errc::kInvalidArgument,
        "not a request target (a path starting with '/', no spaces): \"" + target + "\"");
  }
  if (!header_safe(content_type)) {
    return failure(Errc::kInvalidArgument, "a content type with control characters");
  }
  exchange.verb = verb;
  if (exchange.label.empty()) exchange.label = std::string(verb_name(verb));
  exchange.target = access_.base_path + target;
  auto& request = exchange.request;
  request.method(beast_verb(verb));
  request.target(exchange.target);
  request.version(11);
  request.set(http::field::host, host_header_);
  request.set(http::field::user_agent, options_.user_agent);
  request.set(http::field::accept, "application/json");
  auto token = token_.token();
  if (!token) return failure(token.error().with_context(access_.origin));
  if (!token.value().empty()) request.set(http::field::authorization, "Bearer " + token.value());
  if (!body.empty() || verb == Verb::kPost || verb == Verb::kPut || verb == Verb::kPatch) {
    request.set(http::field::content_type,
                content_type.empty() ? std::string("application/json") : content_type);
    request.body() = std::move(body);
  }
  request.prepare_payload();
  exchange.started = clock_.now();
  return success();
}

std::unique_ptr<detail::Connection> Client::take_idle() {
  while (!idle_.empty()) {
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    if (clock_.now() - connection->idle_since >= options_.idle_connection_timeout) continue;
    if (connection->peer_closed()) continue;  // the server closed it, or is closing it
    return connection;
  }
  return nullptr;
}

void Client::give_back(std::unique_ptr<Connection> connection) {
  const auto now = clock_.now();
  connection->idle_since = now;
  idle_.push_back(std::move(connection));
  // Oldest first: drop what the pool cannot hold or has held too long.
  while (!idle_.empty() && (idle_.size() > options_.max_idle_connections ||
                            now - idle_.front()->idle_since >= options_.idle_connection_timeout)) {
    idle_.erase(idle_.begin());
  }
}

asio::awaitable<Error> Client::failed(const detail::Watchdog& watchdog, std::string prefix,
                                      std::string_view detail, std::string_view timed_out) const {
  const auto state = co_await asio::this_coro::cancellation_state;
  if (state.cancelled() != asio::cancellation_type::none) {
    co_return Error(std::make_error_code(std::errc::operation_canceled), prefix + ": cancelled");
  }
  if (watchdog.fired()) co_return Error(Errc::kTimedOut, prefix + ": " + std::string(timed_out));
  co_return Error(Errc::kIoError, prefix + ": " + std::string(detail));
}

std::string Client::no_answer() const {
  return "no answer within " + describe(options_.request_timeout);
}

asio::awaitable<Result<void>> Client::send(Exchange& exchange, detail::Watchdog& watchdog,
                                           Clock::time_point deadline) {
  const bool idempotent = exchange.verb == Verb::kGet;
  for (int attempt = 0;; ++attempt) {
    const bool reused = attempt == 0 && (exchange.connection = take_idle()) != nullptr;
    if (reused) {
      ++connections_.reused;
      watchdog.arm(deadline, *exchange.connection);
    } else {
      watchdog.disarm();
      exchange.connection = std::make_unique<Connection>(executor_, *tls_);
      watchdog.arm(deadline, *exchange.connection);
      auto opened = co_await exchange.connection->open(target());
      if (!opened) {
        co_return failure(co_await failed(watchdog, "cannot reach the API server at " + url_,
                                          opened.error().message(), no_answer()));
      }
      ++connections_.opened;
    }
    exchange.parser.emplace();
    exchange.parser->header_limit(kMaxHeaderBytes);
    exchange.parser->body_limit(boost::none);  // read_body() and watch() count for themselves
    auto& stream = exchange.connection->stream();
    auto [write_error, written] =
        co_await http::async_write(stream, exchange.request, as_tuple(use_awaitable));
    (void)written;
    boost::system::error_code error = write_error;
    if (!error) {
      auto [read_error, read] = co_await http::async_read_header(
          stream, exchange.connection->buffer(), *exchange.parser, as_tuple(use_awaitable));
      (void)read;
      if (!read_error) co_return success();
      error = read_error;
    }
    // A pooled connection the server closed just before this request arrived fails with no
    // answer at all. Sending again is safe when the request never fully left (a failed write
    // cannot have been acted on) or when it is a GET.
    const auto state = co_await asio::this_coro::cancellation_state;
    const bool retry = reused && !watchdog.fired() &&
                       state.cancelled() == asio::cancellation_type::none &&
                       (write_error || (idempotent && !exchange.parser->got_some()));
    if (retry) {
      ++connections_.retried;
      spdlog::debug("k8s: {} on a kept-alive connection failed ({}); sending it again",
                    exchange.what(), error.message());
      continue;
    }
    co_return failure(co_await failed(
        watchdog, "API server at " + url_ + ": " + exchange.what(),
        (write_error ? "sending the request: " : "reading the answer: ") + error.message(),
        no_answer()));
  }
}

asio::awaitable<Result<void>> Client::read_body(Exchange& exchange,
                                                const detail::Watchdog& watchdog, std::string& body,
                                                std::size_t limit) {
  auto& parser = *exchange.parser;
  if (const auto length = parser.content_length(); length && *length > limit) {
    co_return failure(Errc::kExhausted, "API server at " + url_ + ": " + exchange.what() +
                                            ": the answer holds " + std::to_string(*length) +
                                            " bytes, more than the limit of " +
                                            std::to_string(limit));
  }
  while (!parser.is_done()) {
    // Room for one byte over the limit, to see that the body is larger.
    const std::size_t old = body.size();
    const std::size_t room = std::min(kReadChunk, limit + 1 - old);
    body.resize(old + room);
    parser.get().body().data = body.data() + old;
    parser.get().body().size = room;
    auto [error, read] =
        co_await http::async_read_some(exchange.connection->stream(), exchange.connection->buffer(),
                                       parser, as_tuple(use_awaitable));
    (void)read;
    body.resize(old + room - parser.get().body().size);
    if (error == http::error::need_buffer) error = {};
    if (error) {
      co_return failure(co_await failed(watchdog, "API server at " + url_ + ": " + exchange.what(),
                                        "reading the answer: " + error.message(), no_answer()));
    }
    if (body.size() > limit) {
      co_return failure(Errc::kExhausted, "API server at " + url_ + ": " + exchange.what() +
                                              ": the answer is larger than the limit of " +
                                              std::to_string(limit) + " bytes");
    }
  }
  co_return success();
}

asio::awaitable<Result<Response>> Client::request(Verb verb, std::string target, std::string body,
                                                  std::string content_type) {
  try {
    co_return co_await request_impl(verb, std::move(target), std::move(body),
                                    std::move(content_type));
  } catch (const boost::system::system_error& e) {
    // Asio refuses to start an operation in a coroutine that was already cancelled.
    if (e.code() != asio::error::operation_aborted) throw;
  }
  co_return failure(Error(std::make_error_code(std::errc::operation_canceled),
                          "API server at " + url_ + ": cancelled"));
}

asio::awaitable<Result<Response>> Client::request_impl(Verb verb, std::string target,
                                                       std::string body, std::string content_type) {
  Exchange exchange;
  BOOST_OUTCOME_CO_TRY(
      prepare(exchange, verb, std::move(target), std::move(body), std::move(content_type)));
  detail::Watchdog watchdog(clock_, executor_);
  const auto deadline = exchange.started + options_.request_timeout;
  auto outcome = co_await send(exchange, watchdog, deadline);
  Response response;
  if (outcome) {
    response.status = exchange.parser->get().result_int();
    response.content_type = std::string(exchange.parser->get()[http::field::content_type]);
    outcome = co_await read_body(exchange, watchdog, response.body, options_.max_body_bytes);
  }
  watchdog.disarm();
  const auto took = milliseconds(clock_.now() - exchange.started);
  if (!outcome) {
    count(exchange.label, "<error>");
    if (!is_cancelled(outcome.error())) spdlog::warn("k8s: {}", outcome.error().message());
    co_return failure(outcome.error());
  }
  count(exchange.label, std::to_string(response.status));
  if (response.status == 401) token_.invalidate();  // a rotated token file: read it again
  if (response.status >= 500) {
    spdlog::warn("k8s: {} {}: HTTP {} after {} ms", url_, exchange.what(), response.status, took);
  } else {
    spdlog::debug("k8s: {} -> {} in {} ms", exchange.what(), response.status, took);
  }
  if (exchange.parser->is_done() && exchange.parser->get().keep_alive()) {
    give_back(std::move(exchange.connection));
  }
  co_return response;
}

}  // namespace vipd::k8s
