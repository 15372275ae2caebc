#include "bgp/tests/scripted_router.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "bgp/negotiation.hpp"
#include "common/asio_address.hpp"

namespace vipd::bgp::scripted {
namespace {

void no_delay(asio::ip::tcp::socket& socket) {
  boost::system::error_code ignored;
  socket.set_option(asio::ip::tcp::no_delay(true), ignored);
}

auto report_failure(const char* what) {
  return [what](const std::exception_ptr& e) {
    if (e) ADD_FAILURE() << what << " ended with an exception";
  };
}

}  // namespace

bool run_until(asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    if (io.stopped()) io.restart();
    io.run_one_for(std::min<std::chrono::steady_clock::duration>(deadline - now,
                                                                 std::chrono::milliseconds(50)));
  }
  return true;
}

void settle(asio::io_context& io) {
  // Bounded: a loop that keeps producing ready work is a failure of its own.
  for (int round = 0; round < 10'000; ++round) {
    if (io.stopped()) io.restart();
    if (io.poll() == 0) return;
  }
  ADD_FAILURE() << "the loop never went quiet";
}

Open router_open(std::uint32_t id, std::uint16_t hold, std::uint32_t asn) {
  Open o;
  o.my_as = asn > 0xffff ? kAsTrans : static_cast<std::uint16_t>(asn);
  o.hold_time = hold;
  o.bgp_identifier = id;
  const auto add = [&](CapabilityCode code) -> Capability& {
    Capability& c = o.capabilities.emplace_back();
    c.code = static_cast<std::uint8_t>(code);
    return c;
  };
  add(CapabilityCode::kMultiprotocol).multiprotocol = kIpv4Unicast;
  add(CapabilityCode::kMultiprotocol).multiprotocol = kIpv6Unicast;
  add(CapabilityCode::kRouteRefresh);
  add(CapabilityCode::kFourOctetAs).four_octet_as = asn;
  return o;
}

RouterConnection::RouterConnection(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {
  no_delay(socket_);
  asio::co_spawn(socket_.get_executor(), read_loop(alive_), report_failure("router read"));
}

RouterConnection::~RouterConnection() {
  *alive_ = false;
  close();
}

void RouterConnection::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void RouterConnection::send(const Message& message) {
  std::vector<std::uint8_t> bytes;
  ASSERT_TRUE(encode(message, send_options_, bytes));
  boost::system::error_code ec;
  asio::write(socket_, asio::buffer(bytes), ec);
  EXPECT_FALSE(ec) << ec.message();
  if (const auto* open = std::get_if<Open>(&message)) sent_open_ = *open;
  if (sent_open_ && received_open_) {
    const Negotiated n = negotiate(*sent_open_, *received_open_, true);
    send_options_ = n.send;
    receive_options_ = n.receive;
  }
}

void RouterConnection::send_raw(const std::vector<std::uint8_t>& bytes) {
  boost::system::error_code ec;
  asio::write(socket_, asio::buffer(bytes), ec);
  EXPECT_FALSE(ec) << ec.message();
}

asio::awaitable<void> RouterConnection::read_loop(std::shared_ptr<bool> alive) {
  std::vector<std::uint8_t> buffer(65536);
  while (true) {
    auto [error, n] =
        co_await socket_.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
    if (!*alive) co_return;
    if (error) {
      closed_ = true;
      co_return;
    }
    framer_.feed({buffer.data(), n});
    while (true) {
      auto next = framer_.next();
      if (!next) {
        ADD_FAILURE() << "vipd sent a bad header: " << next.error().reason;
        co_return;
      }
      if (!next.value()) break;
      auto message = decode(*next.value(), receive_options_);
      if (!message) {
        ADD_FAILURE() << "vipd sent a message the codec rejects: " << message.error().reason;
        co_return;
      }
      if (const auto* open = std::get_if<Open>(&message.value())) {
        received_open_ = *open;
        if (sent_open_) {
          const Negotiated neg = negotiate(*sent_open_, *received_open_, true);
          send_options_ = neg.send;
          receive_options_ = neg.receive;
        }
      }
      messages_.push_back(std::move(message.value()));
    }
  }
}

Router::Router(asio::io_context& io, const IpAddress& address)
    : io_(io), address_(address), acceptor_(io) {
  const auto endpoint = to_endpoint(address, 0);
  acceptor_.open(endpoint.protocol());
  acceptor_.bind(endpoint);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(io, accept_loop(alive_), report_failure("router accept"));
}

Router::~Router() {
  *alive_ = false;
  stop_listening();
}

void Router::stop_listening() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

std::unique_ptr<RouterConnection> Router::connect(const asio::ip::tcp::endpoint& remote) {
  asio::ip::tcp::socket socket(io_);
  socket.open(remote.protocol());
  socket.bind(to_endpoint(address_, 0));
  socket.connect(remote);
  return std::make_unique<RouterConnection>(std::move(socket));
}

asio::awaitable<void> Router::accept_loop(std::shared_ptr<bool> alive) {
  while (true) {
    auto [error, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
    if (!*alive || error) co_return;
    accepted_.push_back(std::make_unique<RouterConnection>(std::move(socket)));
  }
}

std::vector<Prefix> announced(const std::vector<Update>& updates) {
  std::vector<Prefix> out;
  for (const auto& u : updates) {
    for (const auto& n : u.nlri) out.push_back(n.prefix);
    if (u.attributes.mp_reach) {
      for (const auto& n : u.attributes.mp_reach->nlri) out.push_back(n.prefix);
    }
  }
  return out;
}

std::vector<Prefix> withdrawn(const std::vector<Update>& updates) {
  std::vector<Prefix> out;
  for (const auto& u : updates) {
    for (const auto& n : u.withdrawn) out.push_back(n.prefix);
    if (u.attributes.mp_unreach) {
      for (const auto& n : u.attributes.mp_unreach->withdrawn) out.push_back(n.prefix);
    }
  }
  return out;
}

}  // namespace vipd::bgp::scripted
