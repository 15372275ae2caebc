#include "bgp/fsm.hpp"

#include <algorithm>

namespace vipd::bgp {

std::string_view to_string(State state) {
  switch (state) {
    case State::kIdle:
      return "Idle";
    case State::kConnect:
      return "Connect";
    case State::kActive:
      return "Active";
    case State::kOpenSent:
      return "OpenSent";
    case State::kOpenConfirm:
      return "OpenConfirm";
    case State::kEstablished:
      return "Established";
  }
  return "?";
}

std::string_view to_string(Reason reason) {
  switch (reason) {
    case Reason::kStart:
      return "start";
    case Reason::kStop:
      return "stop";
    case Reason::kConnected:
      return "connected";
    case Reason::kConnectFailed:
      return "connect-failed";
    case Reason::kConnectTimeout:
      return "connect-timeout";
    case Reason::kConnectionClosed:
      return "connection-closed";
    case Reason::kOpenReceived:
      return "open-received";
    case Reason::kOpenRejected:
      return "open-rejected";
    case Reason::kKeepaliveReceived:
      return "keepalive-received";
    case Reason::kHoldTimerExpired:
      return "hold-timer-expired";
    case Reason::kNotificationReceived:
      return "notification-received";
    case Reason::kMessageError:
      return "message-error";
    case Reason::kUnexpectedMessage:
      return "unexpected-message";
    case Reason::kReconnect:
      return "reconnect";
    case Reason::kAccepted:
      return "accepted";
    case Reason::kBfdDown:
      return "bfd-down";
    case Reason::kCollisionResolved:
      return "collision-resolved";
  }
  return "?";
}

namespace {

// RFC 4271 §8.2.2: a large hold time while waiting for the peer's OPEN.
constexpr Duration kOpenHold = std::chrono::minutes(4);
// How long a second connection from the peer may stay silent before its OPEN: the peer sends
// it at once, and a connection that does not must not linger.
constexpr Duration kIncomingOpenWait = std::chrono::seconds(30);

Notification notification(std::uint8_t code, std::uint8_t subcode,
                          std::vector<std::uint8_t> data = {}) {
  return Notification{code, subcode, std::move(data), std::nullopt};
}

// RFC 4271 §6.6: FSM Error subcodes name the state the unexpected message arrived in.
std::uint8_t fsm_subcode(State state) {
  switch (state) {
    case State::kOpenSent:
      return 1;
    case State::kOpenConfirm:
      return 2;
    case State::kEstablished:
      return 3;
    default:
      return 0;
  }
}

}  // namespace

Fsm::Fsm(FsmConfig config) : config_(std::move(config)), jitter_(config_.jitter_seed) {}

std::vector<Action> Fsm::handle(const Event& event, TimePoint now) {
  actions_.clear();
  std::visit([&](const auto& e) { on(e, now); }, event);
  return std::move(actions_);
}

Open Fsm::local_open() const {
  Open open;
  open.my_as = config_.local_as > 0xffff ? kAsTrans : static_cast<std::uint16_t>(config_.local_as);
  open.hold_time = config_.hold_time;
  open.bgp_identifier = config_.router_id;
  const auto add = [&](CapabilityCode code) -> Capability& {
    Capability& c = open.capabilities.emplace_back();
    c.code = static_cast<std::uint8_t>(code);
    return c;
  };
  for (const AfiSafi& f : config_.families) add(CapabilityCode::kMultiprotocol).multiprotocol = f;
  if (config_.route_refresh) add(CapabilityCode::kRouteRefresh);
  if (config_.route_refresh && config_.enhanced_route_refresh) {
    add(CapabilityCode::kEnhancedRouteRefresh);
  }
  add(CapabilityCode::kFourOctetAs).four_octet_as = config_.local_as;
  if (config_.extended_message) add(CapabilityCode::kExtendedMessage);
  if (config_.extended_next_hop_ipv4) {
    add(CapabilityCode::kExtendedNextHop).extended_next_hop.push_back({1, 1, 2});
  }
  if (config_.graceful_restart_time) {
    Capability& gr = add(CapabilityCode::kGracefulRestart);
    gr.restart_state = config_.restarting;
    gr.restart_time = *config_.graceful_restart_time & 0x0fff;
    // vipd holds no forwarding state: the node forwards service traffic whether or not vipd
    // runs, so the routes stay valid across its restart (F bit, RFC 4724 §3).
    for (const AfiSafi& f : config_.families) gr.graceful_restart.push_back({f, true});
  }
  if (!config_.hostname.empty()) add(CapabilityCode::kFqdn).hostname = config_.hostname;
  return open;
}

void Fsm::move(State to, Reason reason, std::string detail) {
  if (to != state_) actions_.push_back(action::Transition{state_, to, reason, std::move(detail)});
  state_ = to;
}

void Fsm::start_connecting() {
  if (config_.passive) {
    move(State::kActive, Reason::kStart);
    return;
  }
  actions_.push_back(action::Connect{});
  start_timer(Timer::kConnectRetry, config_.connect_timeout);
  move(State::kConnect, failures_ == 0 ? Reason::kStart : Reason::kReconnect);
}

void Fsm::stop_all_timers() {
  for (Timer t : {Timer::kConnectRetry, Timer::kHold, Timer::kKeepalive, Timer::kReconnect}) {
    stop_timer(t);
  }
}

Duration Fsm::next_backoff() {
  // Capped exponential, with jitter in [half, whole] so peers that fail together do not retry
  // together.
  const int doublings = std::min(failures_ - 1, 20);
  const Duration capped =
      std::min(config_.backoff_max, config_.backoff_initial * (std::int64_t{1} << doublings));
  std::uniform_int_distribution<std::int64_t> spread(capped.count() / 2, capped.count());
  return Duration(spread(jitter_));
}

Duration Fsm::keepalive() const {
  const Duration third = std::max(Duration(std::chrono::seconds(1)), hold() / 3);
  // A configured keepalive is used as long as it leaves room for two more before the peer's
  // hold timer runs out.
  if (config_.keepalive_time && *config_.keepalive_time > 0) {
    return std::min<Duration>(std::chrono::seconds(*config_.keepalive_time), third);
  }
  return third;
}

void Fsm::fail(Reason reason, std::optional<Notification> n, std::string detail, TimePoint now) {
  if (n) send(*n);
  if (state_ != State::kIdle) actions_.push_back(action::Disconnect{});
  stop_all_timers();
  if (state_ == State::kEstablished) actions_.push_back(action::Down{reason});
  // A session that stayed up long enough proves the peer accepts us: start backoff afresh.
  if (established_since_ && now - *established_since_ >= config_.stable_after) failures_ = 0;
  established_since_.reset();
  peer_open_.reset();
  ++failures_;
  move(State::kIdle, reason, std::move(detail));
  if (enabled_) start_timer(Timer::kReconnect, next_backoff());
}

void Fsm::on(const event::Start&, TimePoint) {
  if (enabled_) return;
  enabled_ = true;
  failures_ = 0;
  start_connecting();
}

void Fsm::on(const event::Stop& stop, TimePoint) {
  if (!enabled_ && state_ == State::kIdle) return;
  enabled_ = false;
  if (state_ == State::kOpenSent || state_ == State::kOpenConfirm ||
      state_ == State::kEstablished) {
    Notification n = notification(static_cast<std::uint8_t>(ErrorCode::kCease), stop.subcode);
    // RFC 9003 §2: a shutdown communication goes with Administrative Shutdown or Reset only.
    const bool communication = stop.subcode == cease::kAdministrativeShutdown ||
                               stop.subcode == cease::kAdministrativeReset;
    if (communication && !stop.message.empty()) n.shutdown_message = stop.message;
    send(std::move(n));
  }
  if (state_ != State::kIdle) actions_.push_back(action::Disconnect{});
  stop_all_timers();
  const Reason reason = stop.subcode == cease::kBfdDown ? Reason::kBfdDown : Reason::kStop;
  if (state_ == State::kEstablished) actions_.push_back(action::Down{reason});
  established_since_.reset();
  peer_open_.reset();
  move(State::kIdle, reason, stop.message);
}

void Fsm::on(const event::Connected&, TimePoint) {
  if (state_ != State::kConnect && state_ != State::kActive) return;
  stop_timer(Timer::kConnectRetry);
  send(local_open());
  start_timer(Timer::kHold, kOpenHold);
  move(State::kOpenSent, Reason::kConnected);
}

void Fsm::take_incoming(Reason reason, std::string detail) {
  actions_.push_back(action::UseIncoming{});
  stop_all_timers();
  send(local_open());
  start_timer(Timer::kHold, kOpenHold);
  if (state_ == State::kOpenSent) {
    // Still OpenSent, but on another connection: say so (logs and transition counters).
    actions_.push_back(action::Transition{state_, state_, reason, std::move(detail)});
  }
  move(State::kOpenSent, reason, std::move(detail));
}

void Fsm::close_connection(Connection which, std::uint8_t cease_subcode) {
  actions_.push_back(action::CloseConnection{
      which, notification(static_cast<std::uint8_t>(ErrorCode::kCease), cease_subcode)});
}

void Fsm::on(const event::Accepted&, TimePoint) {
  if (!enabled_) {
    // Administratively down: refuse rather than leave the peer waiting for an OPEN.
    close_connection(Connection::kIncoming, cease::kConnectionRejected);
    return;
  }
  switch (state_) {
    case State::kIdle:  // waiting to reconnect
    case State::kConnect:
    case State::kActive:
      // RFC 4271 §8.2.2: no OPEN of ours is out, so the peer's connection simply becomes the
      // session's (an attempt of our own in progress is dropped).
      take_incoming(Reason::kAccepted);
      return;
    case State::kOpenSent:
    case State::kOpenConfirm:
    case State::kEstablished:
      // §6.8: which connection stays depends on the BGP Identifier in the OPEN the peer sends
      // on the new one; even against Established, the OPEN is awaited so that the refusal
      // answers it rather than racing it.
      actions_.push_back(action::AwaitOpen{kIncomingOpenWait});
      return;
  }
}

void Fsm::on(const event::Collision& e, TimePoint now) {
  if (!enabled_) {
    close_connection(Connection::kIncoming, cease::kConnectionRejected);
    return;
  }
  switch (state_) {
    case State::kIdle:
    case State::kConnect:
    case State::kActive:
      // Ours went away while the OPEN was awaited: the peer's connection is the only one.
      take_incoming(Reason::kAccepted);
      break;
    case State::kEstablished:
      // §6.8: a collision with an Established session always closes the new connection.
      close_connection(Connection::kIncoming, cease::kConnectionCollisionResolution);
      return;
    case State::kOpenSent:
    case State::kOpenConfirm: {
      // §6.8: the connection opened by the speaker with the higher BGP Identifier stays.
      // RFC 6286 §2.3: with equal identifiers (possible only between different ASes), the one
      // opened by the speaker with the larger AS. Both speakers reach the same answer. When one
      // side opened both connections it gave up on the older one: the newer stays.
      const auto id_of = [&](Opener o) {
        return o == Opener::kLocal ? config_.router_id : e.open.bgp_identifier;
      };
      const auto as_of = [&](Opener o) {
        return o == Opener::kLocal ? config_.local_as : e.open.asn();
      };
      bool keep_current = false;
      if (e.current != e.incoming) {
        keep_current = id_of(e.current) != id_of(e.incoming) ? id_of(e.current) > id_of(e.incoming)
                                                             : as_of(e.current) > as_of(e.incoming);
      }
      if (keep_current) {
        close_connection(Connection::kIncoming, cease::kConnectionCollisionResolution);
        return;
      }
      close_connection(Connection::kCurrent, cease::kConnectionCollisionResolution);
      // The closed connection's OPEN exchange does not count: start again on the kept one.
      peer_open_.reset();
      negotiated_hold_ = 0;
      take_incoming(Reason::kCollisionResolved,
                    "the peer's connection stays: BGP Identifier " +
                        IpAddress::v4(e.open.bgp_identifier).to_string() + ", ours " +
                        IpAddress::v4(config_.router_id).to_string());
      break;
    }
  }
  // The incoming connection is the session's now, in OpenSent: its OPEN goes on as usual.
  on_open(e.open, now);
}

void Fsm::on(const event::ConnectFailed& e, TimePoint now) {
  if (state_ == State::kConnect) fail(Reason::kConnectFailed, std::nullopt, e.error, now);
}

void Fsm::on(const event::Closed& e, TimePoint now) {
  if (state_ == State::kIdle) return;
  fail(Reason::kConnectionClosed, std::nullopt, e.error, now);
}

void Fsm::on(const event::Received& e, TimePoint now) {
  const bool connected =
      state_ == State::kOpenSent || state_ == State::kOpenConfirm || state_ == State::kEstablished;
  if (!connected) return;
  const auto unexpected = [&](const char* what) {
    fail(Reason::kUnexpectedMessage,
         notification(static_cast<std::uint8_t>(ErrorCode::kFsm), fsm_subcode(state_)),
         std::string(what) + " in " + std::string(to_string(state_)), now);
  };
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Notification>) {
          std::string detail = error_name(m.code, m.subcode);
          if (m.shutdown_message) detail += ": \"" + *m.shutdown_message + "\"";
          fail(Reason::kNotificationReceived, std::nullopt, std::move(detail), now);
        } else if constexpr (std::is_same_v<T, Open>) {
          if (state_ != State::kOpenSent) return unexpected("OPEN");
          on_open(m, now);
        } else if constexpr (std::is_same_v<T, Keepalive>) {
          if (state_ == State::kOpenSent) return unexpected("KEEPALIVE");
          if (negotiated_hold_ > 0) start_timer(Timer::kHold, hold());
          if (state_ == State::kOpenConfirm) {
            // RFC 4271 §8.2.2: Established only once the peer's KEEPALIVE confirms our OPEN.
            established_since_ = now;
            move(State::kEstablished, Reason::kKeepaliveReceived);
            negotiated_ = negotiate(local_open(), *peer_open_, config_.local_as != config_.peer_as);
            actions_.push_back(action::Up{negotiated_, *peer_open_});
          }
        } else if constexpr (std::is_same_v<T, RouteRefresh>) {
          on_route_refresh(m, now);
        } else {  // UPDATE
          if (state_ != State::kEstablished) return unexpected("UPDATE");
          if (negotiated_hold_ > 0) start_timer(Timer::kHold, hold());
          actions_.push_back(action::Deliver{m});
        }
      },
      e.message);
}

void Fsm::on_route_refresh(const RouteRefresh& refresh, TimePoint now) {
  if (!config_.route_refresh) {
    // RFC 2918 §2: advertising the capability is what tells the peer that the speaker can
    // receive the message (the peer's own capability only lets it be sent to the peer). Without
    // ours the type was never agreed: RFC 4271 §6.1 Bad Message Type, the type as data (what
    // FRR does too). With ours, a refresh is answered whether or not the peer offered it.
    fail(Reason::kMessageError,
         notification(static_cast<std::uint8_t>(ErrorCode::kMessageHeader),
                      header_error::kBadMessageType,
                      {static_cast<std::uint8_t>(MessageType::kRouteRefresh)}),
         "ROUTE-REFRESH, but Route Refresh was not offered", now);
    return;
  }
  if (state_ != State::kEstablished) {
    fail(Reason::kUnexpectedMessage,
         notification(static_cast<std::uint8_t>(ErrorCode::kFsm), fsm_subcode(state_)),
         "ROUTE-REFRESH in " + std::string(to_string(state_)), now);
    return;
  }
  if (negotiated_hold_ > 0) start_timer(Timer::kHold, hold());
  // RFC 7313 §4: BoRR and EoRR mark the peer's own re-advertisement; vipd keeps no Adj-RIB-In
  // (received routes are dropped), so there is nothing to mark stale or to sweep. "When the
  // BGP speaker receives a ROUTE-REFRESH message with a 'Message Subtype' field other than 0,
  // 1, or 2, it MUST ignore the received ROUTE-REFRESH message." Neither is an error.
  if (refresh.subtype != route_refresh_subtype::kRequest) return;
  // RFC 2918 §4: "If a BGP speaker receives from its peer a ROUTE-REFRESH message with the
  // <AFI, SAFI> that the speaker didn't advertise to the peer at the session establishment
  // time via capability advertisement, the speaker shall ignore such a message." A family vipd
  // offered that the peer did not has no routes to re-advertise either.
  const AfiSafi family{refresh.afi, refresh.safi};
  const auto& f = negotiated_.families;
  if (std::find(f.begin(), f.end(), family) == f.end()) return;
  actions_.push_back(action::Deliver{refresh});
}

void Fsm::on_open(const Open& open, TimePoint now) {
  const auto reject = [&](std::uint8_t subcode, std::vector<std::uint8_t> data, std::string why) {
    fail(Reason::kOpenRejected,
         notification(static_cast<std::uint8_t>(ErrorCode::kOpenMessage), subcode, std::move(data)),
         std::move(why), now);
  };
  if (open.asn() != config_.peer_as) {
    // RFC 4271 §6.2 Bad Peer AS; the data names the AS the peer claimed.
    return reject(
        open_error::kBadPeerAs,
        {static_cast<std::uint8_t>(open.my_as >> 8), static_cast<std::uint8_t>(open.my_as)},
        "peer announced AS " + std::to_string(open.asn()) + ", expected " +
            std::to_string(config_.peer_as));
  }
  if (config_.local_as == config_.peer_as && open.bgp_identifier == config_.router_id) {
    // RFC 6286 §2.2: internal peers must have distinct identifiers.
    const auto id = open.bgp_identifier;
    return reject(open_error::kBadBgpIdentifier,
                  {static_cast<std::uint8_t>(id >> 24), static_cast<std::uint8_t>(id >> 16),
                   static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id)},
                  "internal peer uses our BGP identifier");
  }
  peer_open_ = open;
  // RFC 4271 §4.2: the smaller hold time wins; 0 means no keepalives at all.
  negotiated_hold_ = std::min(config_.hold_time, open.hold_time);
  send(Keepalive{});
  if (negotiated_hold_ > 0) {
    start_timer(Timer::kHold, hold());
    start_timer(Timer::kKeepalive, keepalive());
  } else {
    stop_timer(Timer::kHold);
  }
  move(State::kOpenConfirm, Reason::kOpenReceived);
}

void Fsm::on(const event::DecodeFailed& e, TimePoint now) {
  if (state_ == State::kIdle) return;
  fail(Reason::kMessageError, notification(e.error.code, e.error.subcode, e.error.data),
       error_name(e.error.code, e.error.subcode) + ": " + e.error.reason, now);
}

void Fsm::on(const event::TimerFired& e, TimePoint now) {
  switch (e.timer) {
    case Timer::kConnectRetry:
      if (state_ == State::kConnect) fail(Reason::kConnectTimeout, std::nullopt, "", now);
      return;
    case Timer::kHold:
      if (state_ == State::kOpenSent || state_ == State::kOpenConfirm ||
          state_ == State::kEstablished) {
        fail(Reason::kHoldTimerExpired,
             notification(static_cast<std::uint8_t>(ErrorCode::kHoldTimerExpired), 0), "", now);
      }
      return;
    case Timer::kKeepalive:
      if (state_ == State::kOpenConfirm || state_ == State::kEstablished) {
        send(Keepalive{});
        start_timer(Timer::kKeepalive, keepalive());
      }
      return;
    case Timer::kReconnect:
      if (state_ == State::kIdle && enabled_) start_connecting();
      return;
  }
}

}  // namespace vipd::bgp
