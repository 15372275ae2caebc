#include "admin/server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <exception>
#include <optional>

#include "common/logging.hpp"

namespace vipd::admin {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

constexpr std::string_view kTextType = "text/plain; charset=utf-8";
constexpr std::string_view kMetricsType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kJsonType = "application/json";
// Room for a full header plus what a pipelining client sends behind it.
constexpr std::size_t kReadBufferLimit = 64 * 1024;
// After an accept error such as EMFILE, wait before the next try instead of spinning.
constexpr std::chrono::milliseconds kAcceptRetry{100};

struct Reply {
  http::status status = http::status::ok;
  std::string_view content_type = kTextType;
  std::string body;
};

void append_indent(std::string& out, int depth) {
  out.append(static_cast<std::size_t>(depth) * 2, ' ');
}

bool is_scalar(const json::value& v) { return !v.is_object() && !v.is_array(); }

// Indented JSON for people reading /status with curl: two spaces per level, arrays of scalars
// on one line.
void append_pretty(const json::value& v, std::string& out, int depth) {
  if (v.is_object()) {
    const auto& o = v.get_object();
    if (o.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    std::size_t i = 0;
    for (const auto& [key, value] : o) {
      append_indent(out, depth + 1);
      out += json::serialize(json::string_view(key));
      out += ": ";
      append_pretty(value, out, depth + 1);
      out += ++i < o.size() ? ",\n" : "\n";
    }
    append_indent(out, depth);
    out += '}';
  } else if (v.is_array()) {
    const auto& a = v.get_array();
    if (a.empty()) {
      out += "[]";
    } else if (std::all_of(a.begin(), a.end(), is_scalar)) {
      out += '[';
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (i > 0) out += ", ";
        out += json::serialize(a[i]);
      }
      out += ']';
    } else {
      out += "[\n";
      for (std::size_t i = 0; i < a.size(); ++i) {
        append_indent(out, depth + 1);
        append_pretty(a[i], out, depth + 1);
        out += i + 1 < a.size() ? ",\n" : "\n";
      }
      append_indent(out, depth);
      out += ']';
    }
  } else {
    out += json::serialize(v);
  }
}

Reply route(std::string_view target, const AdminServer::Handlers& handlers) {
  const auto question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  if (path == "/healthz") return {http::status::ok, kTextType, "ok\n"};
  if (path == "/readyz") {
    if (handlers.ready && handlers.ready()) return {http::status::ok, kTextType, "ready\n"};
    return {http::status::service_unavailable, kTextType, "not ready\n"};
  }
  if (path == "/metrics" && handlers.metrics) {
    return {http::status::ok, kMetricsType, handlers.metrics()};
  }
  if (path == "/status" && handlers.status) {
    auto document = handlers.status(query);
    if (!document) {
      return {http::status::bad_request, kTextType, document.error().message() + "\n"};
    }
    Reply reply{http::status::ok, kJsonType, {}};
    append_pretty(document.value(), reply.body, 0);
    reply.body += '\n';
    return reply;
  }
  return {http::status::not_found, kTextType,
          "not found; try /metrics, /healthz, /readyz or /status\n"};
}

// What a request that could not be read earns, or nullopt to just close: end of stream,
// timeouts and resets have no one left to answer.
std::optional<Reply> reply_to_read_error(const boost::system::error_code& ec) {
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    return Reply{http::status::request_header_fields_too_large, kTextType,
                 "request header too large\n"};
  }
  if (ec == http::error::body_limit || ec == http::error::unexpected_body) {
    return Reply{http::status::payload_too_large, kTextType, "request bodies are not accepted\n"};
  }
  if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message &&
      ec != http::error::short_read) {
    return Reply{http::status::bad_request, kTextType, "malformed request\n"};
  }
  return std::nullopt;
}

http::response<http::string_body> make_response(Reply reply, unsigned version, bool keep_alive,
                                                bool head) {
  http::response<http::string_body> res{reply.status, version};
  res.set(http::field::server, "vipd");
  res.set(http::field::content_type, reply.content_type);
  res.set(http::field::cache_control, "no-store");
  if (reply.status == http::status::method_not_allowed) res.set(http::field::allow, "GET, HEAD");
  res.keep_alive(keep_alive);
  if (head) {
    // RFC 9110 §9.3.2: the header fields a GET would carry, no content.
    res.content_length(reply.body.size());
  } else {
    res.body() = std::move(reply.body);
    res.prepare_payload();
  }
  return res;
}

}  // namespace

Result<asio::ip::tcp::endpoint> parse_admin_address(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return failure(Errc::kInvalidArgument, "admin address '" + std::string(text) +
                                               "': " + std::string(why) +
                                               " (expected ADDRESS:PORT, like 127.0.0.1:7473 or "
                                               "[::1]:7473)");
  };
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) return bad("no port after the bracketed address");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return bad("no port");
    if (text.find(':', colon + 1) != std::string_view::npos) {
      return bad("an IPv6 address needs brackets");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  std::uint16_t number = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size()) {
    return bad("the port is not a number from 0 to 65535");
  }
  boost::system::error_code address_error;
  const auto address = asio::ip::make_address(std::string(host), address_error);
  if (address_error || (text.starts_with('[') != address.is_v6())) {
    return bad("not an IP address");
  }
  return tcp::endpoint(address, number);
}

std::string format_endpoint(const asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address().to_string();
  const auto port = std::to_string(endpoint.port());
  return endpoint.address().is_v6() ? "[" + address + "]:" + port : address + ":" + port;
}

AdminServer::AdminServer(asio::any_io_executor executor, asio::ip::tcp::endpoint endpoint,
                         Handlers handlers, AdminLimits limits)
    : executor_(std::move(executor)),
      endpoint_(endpoint),
      handlers_(std::move(handlers)),
      limits_(limits),
      acceptor_(executor_) {}

AdminServer::~AdminServer() {
  *alive_ = false;
  stop();
}

Result<void> AdminServer::start() {
  const auto where = "admin address " + format_endpoint(endpoint_);
  boost::system::error_code ec;
  const auto fail = [&] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return failure(Errc::kIoError, where + ": " + ec.message());
  };
  acceptor_.open(endpoint_.protocol(), ec);
  if (ec) return fail();
  // A restarted daemon must not wait for the previous one's TIME_WAIT connections to expire.
  acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (ec) return fail();
  acceptor_.bind(endpoint_, ec);
  if (ec) return fail();
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail();
  asio::co_spawn(executor_, accept_loop(), log_failure(where + ": accept"));
  spdlog::info("admin endpoint listening on {}", format_endpoint(local_endpoint()));
  return success();
}

void AdminServer::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto& [id, connection] : connections_) {
    if (auto stream = connection.stream.lock()) stream->close();
  }
  connections_.clear();
  idle_.clear();
}

asio::ip::tcp::endpoint AdminServer::local_endpoint() const {
  boost::system::error_code ec;
  const auto bound = acceptor_.local_endpoint(ec);
  return ec ? endpoint_ : bound;
}

bool AdminServer::make_room() {
  if (connections_.size() < limits_.max_connections) return true;
  if (idle_.empty()) return false;
  // The connection idle longest goes: a client that holds a connection without using it
  // cannot keep a probe or a scraper out. Its coroutine sees the close and ends by itself.
  const auto id = idle_.front();
  if (auto stream = connections_.at(id).stream.lock()) stream->close();
  forget(id);
  spdlog::debug("admin endpoint: {} connections open, closed the one idle longest",
                limits_.max_connections);
  return connections_.size() < limits_.max_connections;
}

void AdminServer::set_busy(std::uint64_t id, bool busy) {
  const auto it = connections_.find(id);
  if (it == connections_.end() || it->second.busy == busy) return;
  auto& connection = it->second;
  connection.busy = busy;
  if (busy) {
    idle_.erase(connection.idle_at);
  } else {
    connection.idle_at = idle_.insert(idle_.end(), id);  // idle since now: the newest
  }
}

void AdminServer::forget(std::uint64_t id) {
  const auto it = connections_.find(id);
  if (it == connections_.end()) return;  // already shed, or stopped
  if (!it->second.busy) idle_.erase(it->second.idle_at);
  connections_.erase(it);
}

asio::awaitable<void> AdminServer::accept_loop() {
  auto alive = alive_;
  std::uint64_t burst = 0;  // consecutive failed accepts
  while (true) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
    if (!*alive || !acceptor_.is_open()) co_return;
    if (ec) {
      // EMFILE and the like last until descriptors are freed: log the first failure of a
      // burst, and pause before the next try instead of spinning.
      ++accept_failures_;
      if (burst++ == 0) {
        spdlog::warn("admin endpoint: accept failed: {}; retrying every {} ms", ec.message(),
                     kAcceptRetry.count());
      }
      asio::steady_timer pause(executor_, kAcceptRetry);
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      if (!*alive || !acceptor_.is_open()) co_return;
      continue;
    }
    if (burst > 0) {
      spdlog::info("admin endpoint: accepting again after {} failed attempt(s)", burst);
      burst = 0;
    }
    if (!make_room()) {
      // Every connection is answering a request: closing the new one at once keeps the cost
      // of a flood to one accept per connection.
      spdlog::debug("admin endpoint: {} connections busy, closing a new one", connections_.size());
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    const auto id = next_id_++;
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    // The header deadline runs from here.
    stream->expires_after(limits_.header_timeout);
    Connection connection{stream, false, idle_.insert(idle_.end(), id)};
    connections_.emplace(id, std::move(connection));
    asio::co_spawn(executor_, serve(std::move(stream), id), log_failure("admin connection"));
  }
}

asio::awaitable<void> AdminServer::serve(std::shared_ptr<beast::tcp_stream> stream,
                                         std::uint64_t id) {
  auto alive = alive_;
  beast::flat_buffer buffer(kReadBufferLimit);
  for (bool first = true;; first = false) {
    if (!first && buffer.size() == 0) {
      // Kept alive: wait up to the idle timeout for the next request to begin; from its first
      // byte, the header deadline runs. (A pipelined request is already here; its deadline
      // runs from now.)
      stream->expires_after(limits_.idle_timeout);
      auto [wait_error, got] = co_await stream->async_read_some(
          buffer.prepare(kReadBufferLimit), asio::as_tuple(asio::use_awaitable));
      if (!*alive) co_return;
      if (wait_error) break;
      buffer.commit(got);
    }
    if (!first) stream->expires_after(limits_.header_timeout);

    http::request_parser<http::empty_body> parser;
    parser.header_limit(limits_.header_limit);
    parser.body_limit(0);
    auto [read_error, read] =
        co_await http::async_read(*stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (!*alive) co_return;

    std::optional<http::response<http::string_body>> response;
    bool keep_alive = false;
    if (read_error) {
      if (auto reply = reply_to_read_error(read_error)) {
        response = make_response(std::move(*reply), 11, false, false);
      }
    } else {
      const auto& request = parser.get();
      keep_alive = request.keep_alive();
      const bool head = request.method() == http::verb::head;
      const std::string_view target = request.target();
      Reply reply;
      if (request.method() != http::verb::get && !head) {
        reply = {http::status::method_not_allowed, kTextType, "only GET and HEAD\n"};
      } else {
        try {
          reply = route(target, handlers_);
        } catch (const std::exception& e) {
          spdlog::error("admin endpoint: {} failed: {}", target, e.what());
          reply = {http::status::internal_server_error, kTextType, "internal error\n"};
        }
      }
      spdlog::debug("admin endpoint: {} {} -> {}", std::string_view(request.method_string()),
                    target, static_cast<unsigned>(reply.status));
      response = make_response(std::move(reply), request.version(), keep_alive, head);
    }
    if (!response) break;

    // Answering: not to be shed until the answer is written. A client that does not read its
    // answer is cut off like an idle one.
    set_busy(id, true);
    stream->expires_after(limits_.idle_timeout);
    auto [write_error, written] =
        co_await http::async_write(*stream, *response, asio::as_tuple(asio::use_awaitable));
    if (!*alive) co_return;
    set_busy(id, false);
    if (write_error || !keep_alive) break;
  }
  boost::system::error_code ignored;
  stream->socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream->close();
  forget(id);
}

}  // namespace vipd::admin
