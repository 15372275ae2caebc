// Client::watch(): a streaming GET whose chunked body is a sequence of JSON watch events
// (API-NOTES.md §1), split without relying on newlines (json_splitter.hpp).
#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "k8s/client.hpp"
#include "k8s/exchange.hpp"
#include "k8s/json_splitter.hpp"

namespace vipd::k8s {
namespace {

namespace http = boost::beast::http;
using asio::as_tuple;
using asio::use_awaitable;

// Held by every open watch for its whole life (a speaker keeps eleven): events are a few KiB,
// and the splitter joins one that spans several reads.
constexpr std::size_t kReadChunk = 8 * 1024;
// A refusal's body is a Status object: small.
constexpr std::size_t kMaxRefusalBytes = 1024 * 1024;

// One event's text → its type and object, or why it is not an event. An ERROR event ends the
// watch with its Status as an Error in http_category() (410 Expired: relist), whose message
// starts with `what`; other errors are the caller's to put in context.
Result<WatchEvent> parse_event(std::string_view text, std::string_view what) {
  boost::json::parse_options options;
  options.max_depth = 256;  // managedFields nest as deep as the object they describe
  boost::system::error_code ec;
  auto value = boost::json::parse(text, ec, {}, options);
  if (ec) return failure(Errc::kProtocolError, "an event is not JSON: " + ec.message());
  auto* event = value.if_object();
  const auto* type = event ? event->if_contains("type") : nullptr;
  auto* object = event ? event->if_contains("object") : nullptr;
  if (type == nullptr || !type->is_string() || object == nullptr || !object->is_object()) {
    return failure(Errc::kProtocolError, "an event without a string \"type\" and an \"object\"");
  }
  if (type->get_string() == "ERROR") {
    const auto status = api_status(object->get_object());
    if (!status) {
      return failure(Errc::kProtocolError, "an ERROR event that carries no Status");
    }
    return failure(status_error(std::string(what) + ": the server ended the watch", *status));
  }
  return WatchEvent{std::string(type->get_string()), std::move(object->get_object())};
}

}  // namespace

asio::awaitable<Result<void>> Client::watch(std::string target, WatchHandler on_event) {
  try {
    co_return co_await watch_impl(std::move(target), std::move(on_event));
  } catch (const boost::system::system_error& e) {
    // Asio refuses to start an operation in a coroutine that was already cancelled.
    if (e.code() != asio::error::operation_aborted) throw;
  }
  co_return failure(Error(std::make_error_code(std::errc::operation_canceled),
                          "API server at " + url_ + ": watch cancelled"));
}

asio::awaitable<Result<void>> Client::watch_impl(std::string target, WatchHandler on_event) {
  Exchange exchange;
  exchange.label = "WATCH";
  BOOST_OUTCOME_CO_TRY(prepare(exchange, Verb::kGet, std::move(target), {}, {}));
  detail::Watchdog watchdog(clock_, executor_);
  auto sent = co_await send(exchange, watchdog, exchange.started + options_.request_timeout);
  if (!sent) {
    count(exchange.label, "<error>");
    if (!is_cancelled(sent.error())) spdlog::warn("k8s: {}", sent.error().message());
    co_return failure(sent.error());
  }
  auto& parser = *exchange.parser;
  const unsigned status = parser.get().result_int();
  count(exchange.label, std::to_string(status));
  const std::string what = "API server at " + url_ + ": " + exchange.what();
  if (status != 200) {
    if (status == 401) token_.invalidate();
    std::string body;
    auto read = co_await read_body(exchange, watchdog, body, kMaxRefusalBytes);
    watchdog.disarm();
    if (!read) co_return failure(read.error());
    auto error = status_error(what, status, body);
    spdlog::warn("k8s: {}", error.message());
    co_return failure(std::move(error));
  }
  spdlog::debug("k8s: {} -> 200, streaming", exchange.what());

  JsonSplitter splitter(options_.max_body_bytes);
  const auto deliver = [&](std::string_view text) -> Result<void> {
    BOOST_OUTCOME_TRY(auto event, parse_event(text, what));
    on_event(std::move(event));
    return success();
  };
  std::string chunk(kReadChunk, '\0');
  const std::string silent = "no data for " + describe(options_.watch_idle_timeout);
  while (!parser.is_done()) {
    watchdog.arm(clock_.now() + options_.watch_idle_timeout, *exchange.connection);
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    auto [error, read] =
        co_await http::async_read_some(exchange.connection->stream(), exchange.connection->buffer(),
                                       parser, as_tuple(use_awaitable));
    (void)read;
    const std::size_t got = chunk.size() - parser.get().body().size;
    if (error == http::error::need_buffer) error = {};
    if (error) {
      auto ended = co_await failed(watchdog, what, "the stream broke: " + error.message(), silent);
      if (!is_cancelled(ended)) spdlog::warn("k8s: {}", ended.message());
      co_return failure(std::move(ended));
    }
    if (auto fed = splitter.feed(std::string_view(chunk.data(), got), deliver); !fed) {
      auto why = http_status(fed.error()) ? fed.error() : fed.error().with_context(what);
      if (!http_status(why)) spdlog::warn("k8s: {}", why.message());
      co_return failure(std::move(why));
    }
  }
  watchdog.disarm();
  if (splitter.in_value()) {
    co_return failure(Errc::kProtocolError, what + ": the stream ended inside an event");
  }
  spdlog::debug("k8s: {}: the server ended the watch", exchange.what());
  if (parser.get().keep_alive()) give_back(std::move(exchange.connection));
  co_return success();
}

}  // namespace vipd::k8s
