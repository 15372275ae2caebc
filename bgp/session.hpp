#pragma once
// Session: one BGP peer over TCP, driven by the pure Fsm.
//
// Responsible for: the TCP connection (active connect from the configured source address,
// TCP MD5 per RFC 2385, TTL 1 / multihop / GTSM per RFC 5082), framing and decoding what
// arrives, a write queue that never blocks the loop, the FSM's timers, and a second connection
// from the peer while the FSM decides between the two (RFC 4271 §6.8). It turns socket and
// timer events into FSM events and performs the FSM's actions; it decides nothing itself.
// Routes are not its business: the owner (the speaker) is told when the session comes up or
// goes down and hands it encoded UPDATEs to send.
// Every wait and every "now" goes through the TimerClock given at construction, which must
// outlive the session.
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
#include "bgp/peer_config.hpp"
#include "common/asio.hpp"
#include "common/timer.hpp"

namespace vipd::bgp {

// RFC 2385: signs and checks every segment exchanged with `peer` on socket `fd` (a connection
// or a listener) with `key`; an empty key removes it. Returns a problem, or "".
std::string set_tcp_md5(int fd, const IpAddress& peer, std::string_view key);

class Session {
 public:
  struct Callbacks {
    std::function<void(const action::Up&)> up;
    std::function<void(Reason)> down;
    std::function<void(const Message&)> message;  // UPDATE / ROUTE-REFRESH while Established
    std::function<void(const action::Transition&)> transition;
  };

  Session(asio::any_io_executor executor, TimerClock& clock, SessionConfig config,
          Callbacks callbacks);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start();
  // Cease with `subcode`; Administrative Shutdown carries `message` as its RFC 9003
  // communication. The session stays Idle until start().
  void stop(std::string message, std::uint8_t subcode = cease::kAdministrativeShutdown);

  // A connection the peer opened to us (the speaker's listener found this session by the
  // remote address). The FSM decides what becomes of it: taken as the session's connection,
  // held until its OPEN decides an RFC 4271 §6.8 collision, or refused.
  void accept(asio::ip::tcp::socket socket);

  // Queues bytes (whole encoded messages) for the peer. Only while Established: otherwise the
  // bytes are dropped and the answer is false.
  bool send(std::vector<std::uint8_t> bytes);

  State state() const { return fsm_.state(); }
  // Nothing left to write and the socket closed: the object may be destroyed without cutting
  // off a NOTIFICATION.
  bool quiescent() const { return !writing_ && !socket_.is_open(); }
  const SessionConfig& config() const { return config_; }
  const Negotiated& negotiated() const { return negotiated_; }
  // The local address of the current connection (the next hop for routes sent on it).
  std::optional<IpAddress> local_address() const { return local_address_; }
  std::uint64_t messages_received() const { return received_; }
  const std::string& last_error() const { return last_error_; }

 private:
  // A connection the peer opened, until the FSM has decided about it.
  struct Incoming {
    explicit Incoming(asio::ip::tcp::socket s) : socket(std::move(s)) {}
    asio::ip::tcp::socket socket;
    Framer framer;
    std::uint64_t id = 0;
    std::unique_ptr<vipd::Timer> deadline;  // armed while its OPEN is awaited
  };

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
  void use_incoming();
  void await_open(Duration within);
  void close_connection(const action::CloseConnection& close);
  asio::awaitable<void> incoming_loop(std::uint64_t id);
  // Sends a NOTIFICATION on a connection that is not the session's, then closes it.
  void refuse(asio::ip::tcp::socket socket, const Notification& notification);

  asio::any_io_executor executor_;
  TimerClock& clock_;
  SessionConfig config_;
  std::string name_;  // the peer's address, for logs
  Callbacks callbacks_;
  Fsm fsm_;
  Framer framer_;
  Negotiated negotiated_;
  asio::ip::tcp::socket socket_;
  bool outgoing_ = true;  // the current connection is the one we opened
  std::unique_ptr<Incoming> incoming_;
  std::uint64_t incoming_ids_ = 0;
  std::uint64_t generation_ = 0;  // bumps on every connect; work of an older one is ignored
  bool closing_ = false;          // disconnect asked for: write what is queued, then close
  std::deque<std::vector<std::uint8_t>> queue_;
  bool writing_ = false;
  std::map<Timer, std::unique_ptr<vipd::Timer>> timers_;
  std::optional<IpAddress> local_address_;
  std::uint64_t received_ = 0;
  std::string last_error_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vipd::bgp
