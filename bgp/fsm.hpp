#pragma once
// The BGP finite state machine of one peer (RFC 4271 §8), pure and synchronous.
//
// Responsible for: the six states, OPEN exchange and validation, hold and keepalive timers,
// NOTIFICATION on every error, admin start/stop with an RFC 9003 shutdown communication,
// reconnect with capped exponential backoff and jitter, and a typed reason on every
// transition, and which of two connections to the peer survives (RFC 4271 §6.8). Not
// responsible for: sockets, timers or clocks (the driver performs the actions it returns and
// feeds back what happened, with the time), routes (the Adj-RIB-Out).
// Single-threaded: one FSM belongs to one session on the daemon's io_context.

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "bgp/messages.hpp"
#include "bgp/negotiation.hpp"
#include "common/clock.hpp"

namespace vipd::bgp {

enum class State { kIdle, kConnect, kActive, kOpenSent, kOpenConfirm, kEstablished };
std::string_view to_string(State state);

using Duration = std::chrono::milliseconds;
using TimePoint = Clock::time_point;  // read by the driver from its clock

struct FsmConfig {
  std::uint32_t local_as = 0;
  std::uint32_t peer_as = 0;
  std::uint32_t router_id = 0;
  std::uint16_t hold_time = 90;                 // seconds; 0 or >= 3
  std::optional<std::uint16_t> keepalive_time;  // seconds; default hold / 3
  bool passive = false;                         // wait for the peer to connect
  std::vector<AfiSafi> families = {kIpv4Unicast};
  bool extended_next_hop_ipv4 = false;  // RFC 8950: offer IPv4 routes with IPv6 next hops
  bool extended_message = true;         // RFC 8654
  // RFC 2918: offer Route Refresh. Without it a ROUTE-REFRESH from the peer is a message type
  // vipd did not agree to receive (Message Header Error / Bad Message Type).
  bool route_refresh = true;
  bool enhanced_route_refresh = true;  // RFC 7313, offered only together with Route Refresh
  // RFC 4724 as the restarting speaker: advertise the capability; `restarting` sets the R bit
  // (this process restarted and the peer should keep our routes until End-of-RIB).
  std::optional<std::uint16_t> graceful_restart_time;
  bool restarting = false;
  std::string hostname;  // FQDN capability, when not empty
  // Reconnect backoff: first delay, cap, and how long a session must stay Established before
  // a later failure starts again from the first delay.
  Duration backoff_initial = std::chrono::seconds(1);
  Duration backoff_max = std::chrono::seconds(120);
  Duration stable_after = std::chrono::seconds(60);
  Duration connect_timeout = std::chrono::seconds(30);
  std::uint64_t jitter_seed = 0;  // randomness is injected: same seed, same delays

  // Every field: a changed setting, including one added later, always restarts the session.
  friend bool operator==(const FsmConfig&, const FsmConfig&) = default;
};

enum class Timer { kConnectRetry, kHold, kKeepalive, kReconnect };

// Which side opened a TCP connection.
enum class Opener { kLocal, kPeer };
// The two connections a session may hold while RFC 4271 §6.8 decides between them: its own
// (`kCurrent`, whichever side opened it) and one the peer opened in addition (`kIncoming`).
enum class Connection { kCurrent, kIncoming };

// Why a transition happened (logged; exported as a metric label).
enum class Reason {
  kStart,
  kStop,
  kConnected,
  kConnectFailed,
  kConnectTimeout,
  kConnectionClosed,
  kOpenReceived,
  kOpenRejected,  // we sent an OPEN Message Error
  kKeepaliveReceived,
  kHoldTimerExpired,
  kNotificationReceived,
  kMessageError,       // the peer sent bytes we could not accept (we sent a NOTIFICATION)
  kUnexpectedMessage,  // FSM error (we sent 5/x)
  kReconnect,
  kAccepted,           // the peer's connection was accepted
  kCollisionResolved,  // RFC 4271 §6.8: the peer's connection replaced ours
  kBfdDown,            // stopped because the peer's BFD session went down (RFC 9384)
};
std::string_view to_string(Reason reason);

// ---- events the driver feeds in ----
namespace event {
struct Start {};
struct Stop {
  std::uint8_t subcode = cease::kAdministrativeShutdown;
  // RFC 9003 shutdown communication, sent with subcodes 2 and 4 only; for the others it is the
  // transition's detail (the log) and the NOTIFICATION carries no data.
  std::string message;
};
struct Connected {};  // our outgoing TCP connection is up
// The peer opened a TCP connection to us. The driver holds it as the incoming connection
// until the actions say what becomes of it: UseIncoming, AwaitOpen or CloseConnection.
struct Accepted {};
// RFC 4271 §6.8: the peer's OPEN arrived on the incoming connection held after AwaitOpen.
// `current` says who opened the session's own connection, `incoming` who opened the other
// (the peer, for a connection vipd accepted).
struct Collision {
  Open open;
  Opener current = Opener::kLocal;
  Opener incoming = Opener::kPeer;
};
struct ConnectFailed {
  std::string error;
};
struct Closed {
  std::string error;
};
struct Received {
  Message message;
};
struct DecodeFailed {
  DecodeError error;
};
struct TimerFired {
  Timer timer;
};
}  // namespace event
using Event = std::variant<event::Start, event::Stop, event::Connected, event::Accepted,
                           event::Collision, event::ConnectFailed, event::Closed, event::Received,
                           event::DecodeFailed, event::TimerFired>;

// ---- actions the driver performs, in order ----
namespace action {
struct Connect {};     // open a TCP connection to the peer
struct Disconnect {};  // close it (after the queued bytes are written)
// The incoming connection becomes the session's: an attempt or connection of ours is dropped
// without a word (none of ours has sent an OPEN, or CloseConnection{kCurrent} came first).
struct UseIncoming {};
// Hold the incoming connection until the peer's OPEN arrives on it (then feed Collision); close
// it if none arrives `within`.
struct AwaitOpen {
  Duration within;
};
// Send `notification` on one connection and close it. Closing the current connection this way
// is part of a collision decision, not a session event: the driver feeds no Closed for it.
struct CloseConnection {
  Connection connection;
  Notification notification;
};
struct Send {
  Message message;
};
struct StartTimer {
  Timer timer;
  Duration after;
};
struct StopTimer {
  Timer timer;
};
struct Transition {
  State from;
  State to;
  Reason reason;
  std::string detail;  // e.g. the NOTIFICATION name, or the socket error
};
struct Up {  // entered Established: send the table now
  Negotiated negotiated;
  Open peer_open;
};
struct Down {  // left Established
  Reason reason;
};
// An UPDATE while Established, or a ROUTE-REFRESH request to answer: subtype 0 for a family
// negotiated on the session (everything else the FSM ignores, RFC 2918 §4 and RFC 7313 §4).
struct Deliver {
  Message message;
};
}  // namespace action
using Action =
    std::variant<action::Connect, action::Disconnect, action::UseIncoming, action::AwaitOpen,
                 action::CloseConnection, action::Send, action::StartTimer, action::StopTimer,
                 action::Transition, action::Up, action::Down, action::Deliver>;

class Fsm {
 public:
  explicit Fsm(FsmConfig config);

  std::vector<Action> handle(const Event& event, TimePoint now);

  State state() const { return state_; }
  const FsmConfig& config() const { return config_; }
  int consecutive_failures() const { return failures_; }
  bool enabled() const { return enabled_; }
  // The OPEN this FSM sends (built from the config).
  Open local_open() const;

 private:
  void on(const event::Start&, TimePoint now);
  void on(const event::Stop&, TimePoint now);
  void on(const event::Connected&, TimePoint now);
  void on(const event::Accepted&, TimePoint now);
  void on(const event::Collision&, TimePoint now);
  void on(const event::ConnectFailed&, TimePoint now);
  void on(const event::Closed&, TimePoint now);
  void on(const event::Received&, TimePoint now);
  void on(const event::DecodeFailed&, TimePoint now);
  void on(const event::TimerFired&, TimePoint now);

  void on_open(const Open& open, TimePoint now);
  void on_route_refresh(const RouteRefresh& refresh, TimePoint now);
  void move(State to, Reason reason, std::string detail = {});
  void send(Message message) { actions_.push_back(action::Send{std::move(message)}); }
  void start_timer(Timer t, Duration d) { actions_.push_back(action::StartTimer{t, d}); }
  void stop_timer(Timer t) { actions_.push_back(action::StopTimer{t}); }
  void start_connecting();
  // The incoming connection is the session's now: send our OPEN on it.
  void take_incoming(Reason reason, std::string detail = {});
  void close_connection(Connection which, std::uint8_t cease_subcode);
  // Sends `notification` (if any), closes, and schedules the next attempt with backoff.
  void fail(Reason reason, std::optional<Notification> notification, std::string detail,
            TimePoint now);
  void stop_all_timers();
  Duration next_backoff();
  Duration hold() const { return std::chrono::seconds(negotiated_hold_); }
  Duration keepalive() const;

  FsmConfig config_;
  State state_ = State::kIdle;
  bool enabled_ = false;  // admin state: Start seen, Stop not
  int failures_ = 0;
  std::optional<TimePoint> established_since_;
  std::uint16_t negotiated_hold_ = 0;
  std::optional<Open> peer_open_;
  Negotiated negotiated_;  // of the Established session
  std::mt19937_64 jitter_;
  std::vector<Action> actions_;
};

}  // namespace vipd::bgp
