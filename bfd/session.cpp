#include "bfd/session.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

namespace vipd::bfd {

namespace {

constexpr Interval kMaxWireInterval{std::numeric_limits<std::uint32_t>::max()};

std::string us(Interval i) { return std::to_string(i.count()) + " µs"; }

std::uint32_t wire(Interval i) { return static_cast<std::uint32_t>(i.count()); }

// RFC 5880 §6.8.3: not less than one second while not Up.
Interval advertised_tx(const SessionConfig& config, State state) {
  return state == State::kUp ? config.desired_min_tx
                             : std::max(config.desired_min_tx, kSlowTxInterval);
}

}  // namespace

Result<void> validate(const SessionConfig& c) {
  if (c.demand_mode) return failure(Errc::kUnsupported, "demand mode is not supported");
  if (c.echo_mode) return failure(Errc::kUnsupported, "echo mode is not supported");
  if (c.local_discriminator == 0) {
    return failure(Errc::kInvalidArgument,
                   "local discriminator 0 is not allowed (RFC 5880 §6.8.1: it must be nonzero)");
  }
  if (c.detect_mult == 0) {
    return failure(Errc::kInvalidArgument, "detect multiplier 0 is not allowed (1-255)");
  }
  // RFC 5880 §4.1: Desired Min TX Interval 0 is reserved.
  if (c.desired_min_tx <= Interval::zero() || c.desired_min_tx > kMaxWireInterval) {
    return failure(Errc::kOutOfRange, "desired min TX interval " + us(c.desired_min_tx) +
                                          " is out of range (1 µs to " + us(kMaxWireInterval) +
                                          ")");
  }
  // 0 would ask the peer for no packets: in asynchronous mode nothing could be detected.
  if (c.required_min_rx <= Interval::zero() || c.required_min_rx > kMaxWireInterval) {
    return failure(Errc::kOutOfRange, "required min RX interval " + us(c.required_min_rx) +
                                          " is out of range (1 µs to " + us(kMaxWireInterval) +
                                          ")");
  }
  return success();
}

Result<Session> Session::create(const SessionConfig& config, TimePoint now) {
  VIPD_TRY(validate(config));
  return Session(config, now);
}

Session::Session(const SessionConfig& config, TimePoint now)
    : config_(config),
      desired_tx_(advertised_tx(config, State::kDown)),
      required_rx_(config.required_min_rx),
      tx_in_force_(desired_tx_),
      rx_in_force_(required_rx_),
      rng_(config.jitter_seed) {
  reschedule(now);
}

Interval Session::transmit_interval() const {
  // RFC 5880 §6.8.7: the peer asked for no packets.
  if (remote_min_rx_ == Interval::zero()) return Interval::zero();
  // RFC 5880 §6.8.2 / §6.8.7: the slower of the two systems sets the rate.
  return std::max(tx_in_force_, remote_min_rx_);
}

Interval Session::detection_time() const {
  // RFC 5880 §6.8.4, asynchronous mode: the peer's multiplier × the agreed receive interval.
  return remote_detect_mult_ * std::max(rx_in_force_, remote_desired_tx_);
}

std::optional<TimePoint> Session::detection_deadline() const {
  // RFC 5880 §6.8.4: the detection timer matters in Init and Up only.
  if ((state_ != State::kInit && state_ != State::kUp) || !last_rx_ || remote_detect_mult_ == 0) {
    return std::nullopt;
  }
  return *last_rx_ + detection_time();
}

std::optional<TimePoint> Session::wake_at() const {
  const auto detect = detection_deadline();
  if (!next_tx_) return detect;
  if (!detect) return next_tx_;
  return std::min(*next_tx_, *detect);
}

Output Session::take() {
  out_.wake_at = wake_at();
  return std::exchange(out_, Output{});
}

ControlPacket Session::make_packet() const {
  // RFC 5880 §6.8.7: the contents of a transmitted Control packet.
  ControlPacket p;
  p.diag = local_diag_;
  p.state = state_;
  p.poll = poll_;
  p.detect_mult = config_.detect_mult;
  p.my_discriminator = config_.local_discriminator;
  p.your_discriminator = remote_discr_;
  p.desired_min_tx_us = wire(desired_tx_);
  p.required_min_rx_us = wire(required_rx_);
  p.required_min_echo_rx_us = 0;  // no Echo function: do not send us echo packets
  return p;
}

void Session::move(State to, Diag diag) {
  if (to == state_) return;
  const State from = state_;
  state_ = to;
  local_diag_ = diag;
  if (to == State::kUp || from == State::kUp) {
    // Entering Up lifts the 1 s floor (a Poll announces it); leaving Up restores it at once.
    set_local_intervals(advertised_tx(config_, to), config_.required_min_rx);
  }
  out_.changes.push_back(StateChange{from, to, diag});
}

void Session::set_local_intervals(Interval desired_tx, Interval required_rx) {
  if (state_ != State::kUp) {
    // Nothing to protect while not Up: apply at once, and no Poll Sequence.
    poll_ = false;
    desired_tx_ = tx_in_force_ = desired_tx;
    required_rx_ = rx_in_force_ = required_rx;
    return;
  }
  if (desired_tx == desired_tx_ && required_rx == required_rx_) return;
  desired_tx_ = desired_tx;
  required_rx_ = required_rx;
  // RFC 5880 §6.8.3: a faster TX and a longer Detection Time are safe at once; a slower TX
  // waits until the peer has acknowledged (so its Detection Time grows first), and a shorter
  // Detection Time waits until the peer has been asked to send faster.
  if (desired_tx_ < tx_in_force_) tx_in_force_ = desired_tx_;
  if (required_rx_ > rx_in_force_) rx_in_force_ = required_rx_;
  // One Poll Sequence at a time (RFC 5880 §6.5); finish_poll() starts the next one.
  if (!poll_) start_poll();
}

void Session::start_poll() {
  poll_ = true;
  poll_desired_tx_ = desired_tx_;
  poll_required_rx_ = required_rx_;
}

void Session::finish_poll() {
  poll_ = false;
  // The Final acknowledges what the Poll announced; values changed since then are either safe
  // already (applied in set_local_intervals) or wait for the next Poll.
  tx_in_force_ = std::min(desired_tx_, poll_desired_tx_);
  rx_in_force_ = std::max(required_rx_, poll_required_rx_);
  if (desired_tx_ != poll_desired_tx_ || required_rx_ != poll_required_rx_) start_poll();
}

bool Session::may_transmit_periodically() const {
  if (remote_min_rx_ == Interval::zero()) return false;  // RFC 5880 §6.8.7
  // RFC 5880 §6.8.7: the peer runs Demand mode (vipd never does, but a peer may).
  if (remote_demand_ && state_ == State::kUp && remote_state_ == State::kUp && !poll_) {
    return false;
  }
  if (config_.passive && remote_discr_ == 0) return false;  // RFC 5880 §6.1, §6.8.7
  if (state_ == State::kAdminDown && admin_down_left_ <= 0) return false;  // §6.8.16
  return true;
}

void Session::reschedule(TimePoint now) {
  if (!may_transmit_periodically()) {
    next_tx_.reset();
    return;
  }
  const Interval interval = transmit_interval();
  if (next_tx_ && interval == scheduled_interval_) return;
  scheduled_interval_ = interval;
  next_tx_ = last_tx_ ? std::max(now, *last_tx_ + jittered(interval)) : now;
}

Interval Session::jittered(Interval interval) {
  // RFC 5880 §6.8.7: 75-100% of the interval, or 75-90% when bfd.DetectMult is 1; the
  // reduction is drawn in millionths of the interval.
  const std::uint64_t lo = config_.detect_mult == 1 ? 100'000 : 0;
  const std::uint64_t reduction = lo + rng_() % (250'000 - lo + 1);
  return interval - Interval(interval.count() * static_cast<std::int64_t>(reduction) / 1'000'000);
}

Result<Output> Session::on_packet(const ControlPacket& p, TimePoint now) {
  if (p.your_discriminator != 0 && p.your_discriminator != config_.local_discriminator) {
    return failure(Errc::kInvalidArgument, "Your Discriminator " +
                                               std::to_string(p.your_discriminator) +
                                               " is not this session's (" +
                                               std::to_string(config_.local_discriminator) + ")");
  }
  // A packet read after the Detection Time had already passed (this process was not
  // scheduled, and the peer's packets queued meanwhile): the silence came first (§6.8.4), so
  // the session goes Down with diag 1 before the packet is looked at.
  if (const auto deadline = detection_deadline(); deadline && now >= *deadline) {
    remote_discr_ = 0;
    move(State::kDown, Diag::kControlDetectionTimeExpired);
  }
  // RFC 5880 §6.8.6, after the checks decode() made.
  remote_discr_ = p.my_discriminator;
  remote_state_ = p.state;
  remote_diag_ = p.diag;
  remote_demand_ = p.demand;
  remote_min_rx_ = Interval(p.required_min_rx_us);
  remote_desired_tx_ = Interval(p.desired_min_tx_us);
  remote_detect_mult_ = p.detect_mult;
  last_rx_ = now;  // the Detection Time starts again
  if (poll_ && p.final) finish_poll();

  if (state_ == State::kAdminDown) {
    // Discard the rest of the packet, the Poll included.
    reschedule(now);
    return take();
  }
  if (p.state == State::kAdminDown) {
    if (state_ != State::kDown) move(State::kDown, Diag::kNeighborSignaledSessionDown);
  } else {
    switch (state_) {
      case State::kDown:
        if (p.state == State::kDown) {
          move(State::kInit, local_diag_);
        } else if (p.state == State::kInit) {
          move(State::kUp, Diag::kNone);
        }
        break;
      case State::kInit:
        if (p.state == State::kInit || p.state == State::kUp) move(State::kUp, Diag::kNone);
        break;
      case State::kUp:
        if (p.state == State::kDown) move(State::kDown, Diag::kNeighborSignaledSessionDown);
        break;
      case State::kAdminDown:
        break;
    }
  }
  if (p.poll) {
    // RFC 5880 §6.8.7: answer at once, whatever the timers, the state or the peer's RX wish.
    ControlPacket answer = make_packet();
    answer.poll = false;
    answer.final = true;
    out_.send.push_back(answer);
  }
  reschedule(now);
  return take();
}

Output Session::on_time(TimePoint now) {
  if (const auto deadline = detection_deadline(); deadline && now >= *deadline) {
    // RFC 5880 §6.8.4; §6.8.1: bfd.RemoteDiscr is zeroed after a Detection Time of silence.
    remote_discr_ = 0;
    move(State::kDown, Diag::kControlDetectionTimeExpired);
    reschedule(now);
  }
  if (next_tx_ && now >= *next_tx_) {
    out_.send.push_back(make_packet());
    last_tx_ = now;
    if (state_ == State::kAdminDown) --admin_down_left_;
    next_tx_.reset();
    reschedule(now);
  }
  return take();
}

Output Session::disable(Diag diag, TimePoint now) {
  if (state_ != State::kAdminDown) {
    move(State::kAdminDown, diag);
    // Tell the peer for one of its Detection Times (it multiplies our Detect Mult by our
    // interval), so it sees AdminDown rather than a timeout; then fall silent.
    admin_down_left_ = config_.detect_mult;
    reschedule(now);
  }
  return take();
}

Output Session::enable(TimePoint now) {
  if (state_ == State::kAdminDown) {
    move(State::kDown, Diag::kNone);
    admin_down_left_ = 0;
    reschedule(now);
  }
  return take();
}

Result<Output> Session::reconfigure(const SessionConfig& config, TimePoint now) {
  VIPD_TRY(validate(config));
  if (config.local_discriminator != config_.local_discriminator) {
    return failure(Errc::kInvalidArgument,
                   "the local discriminator of a running session cannot change (from " +
                       std::to_string(config_.local_discriminator) + " to " +
                       std::to_string(config.local_discriminator) + ")");
  }
  config_ = config;
  set_local_intervals(advertised_tx(config_, state_), config_.required_min_rx);
  reschedule(now);
  return take();
}

}  // namespace vipd::bfd
