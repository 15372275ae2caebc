#pragma once
// Session: one BGP peer over TCP, driven by the pure Fsm.
//
// Responsible for: the TCP connection (active connect from the configured source address,
// TCP MD5 per RFC 2385, TTL 1 / multihop / GTSM per RFC 5082), framing and decoding what
// arrives, a write queue that never blocks the loop, and the FSM's timers. It turns socket and
// timer events into FSM events and performs the FSM's actions. Routes are not its business:
// the owner (the speaker) is told when the session comes up or goes down and hands it encoded
// UPDATEs to send.
// Runs on one io_context thread; every method must be called from that thread.

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bgp/codec.hpp"
#include "bgp/framer.hpp"
#include "bgp/fsm.hpp"
#include "common/asio.hpp"

namespace vipd::bgp {

struct SessionConfig {
  FsmConfig fsm;
  asio::ip::address peer_address;
  std::uint16_t peer_port = 179;
  std::optional<asio::ip::address> source_address;
  std::string password;  // RFC 2385 TCP MD5; empty = none
  // Outgoing TTL / hop limit: 1 for a directly connected eBGP peer, N with ebgp-multihop,
  // 255 for iBGP. With `gtsm` (RFC 5082) it is 255 and incoming segments must arrive with at
  // least 255 - (ttl_hops - 1).
  int ttl = 1;
  bool gtsm = false;
  int gtsm_hops = 1;
};

// RFC 2385: signs and checks every segment exchanged with `peer` on socket `fd` (a connection
// or a listener) with `key`; an empty key removes it. Returns a problem, or "".
std::string set_tcp_md5(int fd, const asio::ip::address& peer, std::string_view key);

class Session {
 public:
  struct Callbacks {
    std::function<void(const action::Up&)> up;
    std::function<void(Reason)> down;
    std::function<void(const Message&)> message;  // UPDATE / ROUTE-REFRESH while Established
    std::function<void(const action::Transition&)> transition;
  };

  Session(asio::any_io_executor executor, SessionConfig config, Callbacks callbacks);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start();
  void stop(std::string message);  // Cease / Administrative Shutdown with this communication

  // A connection the peer opened to us (the speaker's listener found this session by the
  // remote address). Taken as the session's connection when none of ours has got as far as an
  // OPEN; otherwise held until the peer's OPEN arrives on it and resolved by RFC 4271 §6.8
  // collision detection; refused while the session is administratively down.
  void accept(asio::ip::tcp::socket socket);

  // Queues bytes (whole encoded messages) for the peer; ignored unless Established.
  void send(std::vector<std::uint8_t> bytes);

  State state() const { return fsm_.state(); }
  // Nothing left to write and the socket closed: the object may be destroyed without cutting
  // off a NOTIFICATION.
  bool quiescent() const { return !writing_ && !socket_.is_open(); }
  const SessionConfig& config() const { return config_; }
  const Negotiated& negotiated() const { return negotiated_; }
  // The local address of the current connection (the next hop for routes sent on it).
  std::optional<asio::ip::address> local_address() const { return local_address_; }
  std::uint64_t messages_received() const { return received_; }
  std::uint64_t updates_sent() const { return updates_sent_; }
  const std::string& last_error() const { return last_error_; }

 private:
  void dispatch(const Event& event);
  void perform(std::vector<Action> actions);
  void connect();
  void disconnect();
  void close_socket();
  void write(std::vector<std::uint8_t> bytes);
  asio::awaitable<void> connect_loop(std::uint64_t generation);
  asio::awaitable<void> read_loop(std::uint64_t generation);
  asio::awaitable<void> write_loop(std::uint64_t generation);
  void start_timer(Timer timer, Duration after);
  void stop_timer(Timer timer);
  std::string configure_socket(asio::ip::tcp::socket& socket, bool outgoing);
  // Takes `socket` as the session's connection: what the old one had queued is dropped.
  void adopt(asio::ip::tcp::socket socket, bool outgoing, Framer framer);
  asio::awaitable<void> candidate_loop(std::uint64_t candidate);
  void resolve_collision(Open open);
  // Sends a NOTIFICATION on a connection that is not the session's, then closes it.
  void refuse(asio::ip::tcp::socket socket, std::uint8_t code, std::uint8_t subcode);

  asio::any_io_executor executor_;
  SessionConfig config_;
  Callbacks callbacks_;
  Fsm fsm_;
  Framer framer_;
  Negotiated negotiated_;
  asio::ip::tcp::socket socket_;
  bool outgoing_ = true;  // the current connection is the one we opened
  // The peer's connection while ours is past Connect, waiting for its OPEN (§6.8).
  struct Candidate {
    explicit Candidate(asio::ip::tcp::socket s) : socket(std::move(s)) {}
    asio::ip::tcp::socket socket;
    Framer framer;
    std::uint64_t id = 0;
  };
  std::unique_ptr<Candidate> candidate_;
  std::uint64_t candidate_ids_ = 0;
  std::uint64_t generation_ = 0;  // bumps on every connect; work of an older one is ignored
  bool closing_ = false;          // disconnect asked for: write what is queued, then close
  std::deque<std::vector<std::uint8_t>> queue_;
  bool writing_ = false;
  std::map<Timer, std::unique_ptr<asio::steady_timer>> timers_;
  std::optional<asio::ip::address> local_address_;
  std::uint64_t received_ = 0;
  std::uint64_t updates_sent_ = 0;
  std::string last_error_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vipd::bgp
