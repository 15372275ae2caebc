#pragma once
// One BFD session's state machine (RFC 5880 §6.2, §6.8.1-§6.8.7), asynchronous mode, pure
// and synchronous.
//
// Responsible for: the state variables of §6.8.1, the three-way handshake and the §6.8.6
// reception rules (every local state × received state), detection timeout (§6.8.4, diag 1),
// the neighbor signalling Down (diag 3), administrative down and enable (§6.8.16), timer
// negotiation (§6.8.2, §6.8.3: at least 1 s desired TX while not Up), the Poll Sequence (§6.5)
// when the local intervals change or the session comes Up, answering a Poll with a Final at
// once, jittered periodic transmission (§6.8.7) and the passive role (§6.1).
// Not responsible for: sockets, ports, TTL, timers (the driver sends the packets returned,
// reports the state changes, and calls on_time() at wake_at), finding the session a packet
// belongs to (a demultiplexer keyed by local_discriminator(), or by addresses when Your
// Discriminator is 0), authentication. Refused at configuration: Demand mode and the Echo
// function (not implemented).
// Single-threaded: one Session belongs to one driver; time comes in as `now` on every call.

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "bfd/packet.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"

namespace vipd::bfd {

using Interval = std::chrono::microseconds;  // the wire's unit
using TimePoint = Clock::time_point;         // read by the driver from its clock

// RFC 5880 §6.8.3: bfd.DesiredMinTxInterval while the session is not Up.
inline constexpr Interval kSlowTxInterval = std::chrono::seconds(1);

struct SessionConfig {
  Interval desired_min_tx = std::chrono::milliseconds(300);   // bfd.DesiredMinTxInterval
  Interval required_min_rx = std::chrono::milliseconds(300);  // bfd.RequiredMinRxInterval
  std::uint8_t detect_mult = 3;                               // bfd.DetectMult
  bool passive = false;  // RFC 5880 §6.1: send nothing until the peer has sent a packet
  std::uint32_t local_discriminator = 0;  // bfd.LocalDiscr, chosen by the caller, not 0
  bool demand_mode = false;               // refused: not implemented
  bool echo_mode = false;                 // refused: not implemented
  std::uint32_t jitter_seed = 0;          // randomness is injected: same seed, same delays

  friend bool operator==(const SessionConfig&, const SessionConfig&) = default;
};

// The reasons a configuration is refused, or nothing. Named for the setting at fault.
Result<void> validate(const SessionConfig& config);

struct StateChange {
  State from;
  State to;
  Diag diag;  // bfd.LocalDiag after the change: why it happened
  friend bool operator==(const StateChange&, const StateChange&) = default;
};

// What the driver does after a call, in order: send `send`, report `changes`, and call
// on_time() at `wake_at` (none: no timer is running; a packet or a command may start one).
struct Output {
  std::vector<ControlPacket> send;
  std::vector<StateChange> changes;
  std::optional<TimePoint> wake_at;
};

class Session {
 public:
  // A session in Down, sending (unless passive) from `now`.
  static Result<Session> create(const SessionConfig& config, TimePoint now);

  // A packet that decode() accepted and the demultiplexer gave to this session. Refused when
  // Your Discriminator is neither 0 nor this session's (the demultiplexer's mistake).
  Result<Output> on_packet(const ControlPacket& packet, TimePoint now);
  // Timers: detection timeout, then periodic transmission, whichever are due at `now`.
  Output on_time(TimePoint now);

  // RFC 5880 §6.8.16: AdminDown with `diag` (AdminDown packets go out for one Detection Time
  // of the peer, `detect_mult` packets, then transmission stops), and back to Down.
  Output disable(Diag diag, TimePoint now);
  Output enable(TimePoint now);

  // New intervals, detect multiplier or passive role; the discriminator cannot change, and the
  // same settings as create() are refused. While Up, changed intervals start a Poll Sequence.
  Result<Output> reconfigure(const SessionConfig& config, TimePoint now);

  // ---- what a demultiplexer, a driver and a status page need ----
  const SessionConfig& config() const { return config_; }
  State state() const { return state_; }
  Diag local_diag() const { return local_diag_; }
  std::uint32_t local_discriminator() const { return config_.local_discriminator; }
  std::uint32_t remote_discriminator() const { return remote_discr_; }  // 0: not learnt yet
  State remote_state() const { return remote_state_; }
  // The Diag of the peer's last packet: why the peer says its session last changed.
  Diag remote_diag() const { return remote_diag_; }
  Interval remote_min_rx() const { return remote_min_rx_; }
  // bfd.DesiredMinTxInterval as sent: the configured one while Up, at least 1 s otherwise.
  Interval desired_min_tx() const { return desired_tx_; }
  // RFC 5880 §6.8.7 before jitter: max(DesiredMinTx in force, RemoteMinRx); 0 when the peer
  // asked for no packets.
  Interval transmit_interval() const;
  // RFC 5880 §6.8.4, asynchronous mode; 0 before the peer's first packet.
  Interval detection_time() const;
  bool poll_in_progress() const { return poll_; }
  std::optional<TimePoint> next_transmit() const { return next_tx_; }
  std::optional<TimePoint> detection_deadline() const;
  std::optional<TimePoint> wake_at() const;

 private:
  Session(const SessionConfig& config, TimePoint now);

  ControlPacket make_packet() const;
  void move(State to, Diag diag);
  // bfd.DesiredMinTxInterval / bfd.RequiredMinRxInterval changed to these (RFC 5880 §6.8.3).
  void set_local_intervals(Interval desired_tx, Interval required_rx);
  void start_poll();
  void finish_poll();
  bool may_transmit_periodically() const;
  void reschedule(TimePoint now);
  Interval jittered(Interval interval);
  Output take();  // out_, with wake_at, and a fresh one for the next call

  SessionConfig config_;
  State state_ = State::kDown;
  Diag local_diag_ = Diag::kNone;
  // Advertised (sent in every packet).
  Interval desired_tx_;
  Interval required_rx_;
  // In force (RFC 5880 §6.8.3): an increased TX interval and a reduced RX interval wait for
  // the end of the Poll Sequence that announces them.
  Interval tx_in_force_;
  Interval rx_in_force_;
  bool poll_ = false;
  Interval poll_desired_tx_{};  // what the Poll in progress announces
  Interval poll_required_rx_{};
  // Learnt from the peer's last packet.
  std::uint32_t remote_discr_ = 0;
  State remote_state_ = State::kDown;
  Diag remote_diag_ = Diag::kNone;
  bool remote_demand_ = false;  // bfd.RemoteDemandMode
  Interval remote_min_rx_{1};   // RFC 5880 §6.8.1: initialised to 1
  Interval remote_desired_tx_{0};
  std::uint8_t remote_detect_mult_ = 0;
  std::optional<TimePoint> last_rx_;
  // Transmission.
  std::optional<TimePoint> last_tx_;
  std::optional<TimePoint> next_tx_;
  Interval scheduled_interval_{0};  // the interval next_tx_ was computed from
  int admin_down_left_ = 0;         // AdminDown packets still to send
  std::minstd_rand rng_;
  Output out_;  // built by the call in progress
};

}  // namespace vipd::bfd
