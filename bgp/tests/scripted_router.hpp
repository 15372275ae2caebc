#pragma once
// The router's side of a BGP session in tests: accepts vipd's connections (or opens its own),
// sends the messages a test scripts, and records every message vipd sends, decoded with the
// project's codec and framer. Runs on the test's io_context; the test runs the loop in bounded
// steps (run_until, settle), never sleeping to wait for something.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "bgp/codec.hpp"
#include "bgp/framer.hpp"
#include "bgp/messages.hpp"
#include "common/asio.hpp"
#include "common/ip_address.hpp"

namespace vipd::bgp::scripted {

// Runs `io` until `done()` holds; false when `limit` of real time passed first.
bool run_until(asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds limit = std::chrono::seconds(5));
// Runs every handler that is ready, again and again, until none is: what vipd has written to
// a loopback socket by then has been read by the other side. For checks that something did
// NOT happen; a later positive check always re-reads the whole sequence.
void settle(asio::io_context& io);

// An OPEN as a router sends it: AS (four-octet capability too), hold time, identifier,
// multiprotocol IPv4 and IPv6 unicast, route refresh.
Open router_open(std::uint32_t id, std::uint16_t hold = 90, std::uint32_t asn = 64500);

// One TCP connection of the router, either side having opened it.
class RouterConnection {
 public:
  explicit RouterConnection(asio::ip::tcp::socket socket);
  ~RouterConnection();
  RouterConnection(const RouterConnection&) = delete;
  RouterConnection& operator=(const RouterConnection&) = delete;

  // Encodes and writes at once (loopback: never blocks for these sizes).
  void send(const Message& message);
  // Writes bytes as they are: malformed or oversized messages the codec would not produce.
  void send_raw(const std::vector<std::uint8_t>& bytes);
  const std::vector<Message>& messages() const { return messages_; }
  bool closed() const { return closed_; }  // vipd closed it (EOF or reset)
  void close();

  template <class T>
  std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& m : messages_) {
      if (const auto* t = std::get_if<T>(&m)) out.push_back(*t);
    }
    return out;
  }
  template <class T>
  std::size_t count() const {
    return all<T>().size();
  }

 private:
  asio::awaitable<void> read_loop(std::shared_ptr<bool> alive);

  asio::ip::tcp::socket socket_;
  Framer framer_{kMaxExtendedMessageSize};
  CodecOptions send_options_;
  CodecOptions receive_options_;
  std::optional<Open> sent_open_;
  std::optional<Open> received_open_;
  std::vector<Message> messages_;
  bool closed_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// A router listening on a loopback address, port chosen by the kernel.
class Router {
 public:
  explicit Router(asio::io_context& io, const IpAddress& address = IpAddress::v4(0x7f000001));
  ~Router();

  std::uint16_t port() const { return port_; }
  const IpAddress& address() const { return address_; }
  // Connections vipd opened to the router, in the order they arrived.
  std::vector<std::unique_ptr<RouterConnection>>& accepted() { return accepted_; }
  RouterConnection& connection(std::size_t i) { return *accepted_.at(i); }
  // The router opens a connection to `remote` (synchronously: loopback).
  std::unique_ptr<RouterConnection> connect(const asio::ip::tcp::endpoint& remote);
  void stop_listening();

 private:
  asio::awaitable<void> accept_loop(std::shared_ptr<bool> alive);

  asio::io_context& io_;
  IpAddress address_;
  asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::vector<std::unique_ptr<RouterConnection>> accepted_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// The prefixes a set of UPDATEs announces / withdraws, both families.
std::vector<Prefix> announced(const std::vector<Update>& updates);
std::vector<Prefix> withdrawn(const std::vector<Update>& updates);

}  // namespace vipd::bgp::scripted
