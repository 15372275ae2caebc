// The RFC 4271 §8 state machine, driven event by event with a fake notion of time.
#include "bgp/fsm.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "bgp/codec.hpp"

namespace vipd::bgp {
namespace {

using namespace std::chrono_literals;

const TimePoint kT0 = TimePoint{} + std::chrono::hours(1);

FsmConfig config() {
  FsmConfig c;
  c.local_as = 65550;  // four octets: OPEN carries AS_TRANS
  c.peer_as = 64500;
  c.router_id = 0xc0000201;  // 192.0.2.1
  c.hold_time = 90;
  c.families = {kIpv4Unicast, kIpv6Unicast};
  c.jitter_seed = 42;
  return c;
}

Open peer_open(std::uint32_t asn = 64500, std::uint16_t hold = 30, std::uint32_t id = 0xc0000202) {
  Open o;
  o.my_as = asn > 0xffff ? kAsTrans : static_cast<std::uint16_t>(asn);
  o.hold_time = hold;
  o.bgp_identifier = id;
  Capability mp;
  mp.code = 1;
  mp.multiprotocol = kIpv4Unicast;
  o.capabilities.push_back(mp);
  Capability as4;
  as4.code = 65;
  as4.four_octet_as = asn;
  o.capabilities.push_back(as4);
  return o;
}

template <class T>
std::vector<T> all(const std::vector<Action>& actions) {
  std::vector<T> out;
  for (const auto& a : actions) {
    if (const auto* t = std::get_if<T>(&a)) out.push_back(*t);
  }
  return out;
}

template <class T>
T only(const std::vector<Action>& actions) {
  const auto v = all<T>(actions);
  EXPECT_EQ(v.size(), 1u) << "expected exactly one action of this kind";
  return v.empty() ? T{} : v[0];
}

std::vector<Message> sent(const std::vector<Action>& actions) {
  std::vector<Message> out;
  for (const auto& s : all<action::Send>(actions)) out.push_back(s.message);
  return out;
}

std::optional<Duration> timer(const std::vector<Action>& actions, Timer t) {
  std::optional<Duration> d;
  for (const auto& s : all<action::StartTimer>(actions)) {
    if (s.timer == t) d = s.after;
  }
  return d;
}

// The first message sent, as T (a copy: `sent()` returns a temporary).
template <class T>
T first_sent(const std::vector<Action>& actions) {
  const auto messages = sent(actions);
  if (messages.empty() || !std::holds_alternative<T>(messages[0])) {
    ADD_FAILURE() << "the first message sent is not of the expected type";
    return T{};
  }
  return std::get<T>(messages[0]);
}

// Drives an FSM to Established against a peer that answers with `open`.
std::vector<Action> establish(Fsm& fsm, const Open& open = peer_open()) {
  fsm.handle(event::Start{}, kT0);
  fsm.handle(event::Connected{}, kT0);
  fsm.handle(event::Received{open}, kT0);
  return fsm.handle(event::Received{Keepalive{}}, kT0);
}

TEST(Fsm, StartConnectsAndSendsOpenOnConnection) {
  Fsm fsm(config());
  auto a = fsm.handle(event::Start{}, kT0);
  EXPECT_EQ(all<action::Connect>(a).size(), 1u);
  EXPECT_EQ(timer(a, Timer::kConnectRetry), 30s);
  EXPECT_EQ(fsm.state(), State::kConnect);
  EXPECT_EQ(only<action::Transition>(a).reason, Reason::kStart);

  a = fsm.handle(event::Connected{}, kT0);
  EXPECT_EQ(fsm.state(), State::kOpenSent);
  ASSERT_EQ(sent(a).size(), 1u);
  const auto open = first_sent<Open>(a);
  EXPECT_EQ(open.my_as, kAsTrans);  // RFC 6793: the real AS is in the capability
  EXPECT_EQ(open.asn(), 65550u);
  EXPECT_EQ(open.hold_time, 90);
  EXPECT_EQ(open.bgp_identifier, 0xc0000201u);
  EXPECT_NE(open.find(CapabilityCode::kRouteRefresh), nullptr);
  EXPECT_NE(open.find(CapabilityCode::kExtendedMessage), nullptr);
  EXPECT_EQ(timer(a, Timer::kHold), 4min);  // RFC 4271 §8.2.2: large hold before the OPEN
}

TEST(Fsm, EstablishedOnlyAfterThePeersKeepalive) {
  Fsm fsm(config());
  fsm.handle(event::Start{}, kT0);
  fsm.handle(event::Connected{}, kT0);
  auto a = fsm.handle(event::Received{peer_open()}, kT0);
  EXPECT_EQ(fsm.state(), State::kOpenConfirm);
  EXPECT_TRUE(all<action::Up>(a).empty());
  ASSERT_EQ(sent(a).size(), 1u);
  EXPECT_TRUE(std::holds_alternative<Keepalive>(sent(a)[0]));
  EXPECT_EQ(timer(a, Timer::kHold), 30s);  // the smaller hold time wins
  EXPECT_EQ(timer(a, Timer::kKeepalive), 10s);

  a = fsm.handle(event::Received{Keepalive{}}, kT0);
  EXPECT_EQ(fsm.state(), State::kEstablished);
  const auto up = only<action::Up>(a);
  EXPECT_TRUE(up.negotiated.send.four_octet_as);
  EXPECT_TRUE(up.negotiated.send.external_peer);
  EXPECT_EQ(up.negotiated.families, std::vector<AfiSafi>{kIpv4Unicast});
  EXPECT_EQ(timer(a, Timer::kHold), 30s);  // restarted by the KEEPALIVE
}

TEST(Fsm, HoldTimerExpiryTearsTheSessionDownWithNotification) {
  Fsm fsm(config());
  establish(fsm);
  auto a = fsm.handle(event::TimerFired{Timer::kHold}, kT0 + 30s);
  ASSERT_EQ(sent(a).size(), 1u);
  const auto n = first_sent<Notification>(a);
  EXPECT_EQ(n.code, 4);
  EXPECT_EQ(n.subcode, 0);
  EXPECT_EQ(all<action::Disconnect>(a).size(), 1u);
  EXPECT_EQ(only<action::Down>(a).reason, Reason::kHoldTimerExpired);
  EXPECT_EQ(fsm.state(), State::kIdle);
  const auto retry = timer(a, Timer::kReconnect);
  ASSERT_TRUE(retry);
  EXPECT_GE(*retry, 500ms);
  EXPECT_LE(*retry, 1s);
}

TEST(Fsm, KeepalivesAreSentOnTheirTimer) {
  Fsm fsm(config());
  establish(fsm);
  auto a = fsm.handle(event::TimerFired{Timer::kKeepalive}, kT0 + 10s);
  ASSERT_EQ(sent(a).size(), 1u);
  EXPECT_TRUE(std::holds_alternative<Keepalive>(sent(a)[0]));
  EXPECT_EQ(timer(a, Timer::kKeepalive), 10s);
}

TEST(Fsm, ConfiguredKeepaliveIsUsedWhenItFits) {
  auto c = config();
  c.keepalive_time = 5;
  Fsm fsm(c);
  fsm.handle(event::Start{}, kT0);
  fsm.handle(event::Connected{}, kT0);
  auto a = fsm.handle(event::Received{peer_open()}, kT0);
  EXPECT_EQ(timer(a, Timer::kKeepalive), 5s);
}

TEST(Fsm, HoldTimeZeroMeansNoTimers) {
  Fsm fsm(config());
  fsm.handle(event::Start{}, kT0);
  fsm.handle(event::Connected{}, kT0);
  auto a = fsm.handle(event::Received{peer_open(64500, 0)}, kT0);
  EXPECT_FALSE(timer(a, Timer::kHold));
  EXPECT_FALSE(timer(a, Timer::kKeepalive));
  a = fsm.handle(event::Received{Keepalive{}}, kT0);
  EXPECT_EQ(fsm.state(), State::kEstablished);
  EXPECT_FALSE(timer(a, Timer::kHold));
}

TEST(Fsm, WrongPeerAsIsRejectedWithBadPeerAs) {
  Fsm fsm(config());
  fsm.handle(event::Start{}, kT0);
  fsm.handle(event::Connected{}, kT0);
  auto a = fsm.handle(event::Received{peer_open(64501)}, kT0);
  ASSERT_EQ(sent(a).size(), 1u);
  const auto n = first_sent<Notification>(a);
  EXPECT_EQ(n.code, 2);
  EXPECT_EQ(n.subcode, 2);
  EXPECT_EQ(n.data, (std::vector<std::uint8_t>{0xfb, 0xf5}));  // 64501
  EXPECT_EQ(fsm.state(), State::kIdle);
  const auto t = only<action::Transition>(a);
  EXPECT_EQ(t.reason, Reason::kOpenRejected);
  EXPECT_NE(t.detail.find("peer announced AS 64501, expected 64500"), std::string::npos);
}

TEST(Fsm, InternalPeerWithOurIdentifierIsRejected) {
  auto c = config();
  c.peer_as = c.local_as;
  Fsm fsm(c);
  fsm.handle(event::Start{}, kT0);
  fsm.handle(event::Connected{}, kT0);
  auto a = fsm.handle(event::Received{peer_open(65550, 90, 0xc0000201)}, kT0);
  const auto n = first_sent<Notification>(a);
  EXPECT_EQ(n.code, 2);
  EXPECT_EQ(n.subcode, 3);
}

TEST(Fsm, RejectedOpensBackOffExponentiallyNeverInATightLoop) {
  Fsm fsm(config());
  fsm.handle(event::Start{}, kT0);
  TimePoint now = kT0;
  std::vector<Duration> delays;
  for (int i = 0; i < 12; ++i) {
    fsm.handle(event::Connected{}, now);
    auto a = fsm.handle(event::Received{peer_open(64999)}, now);  // always the wrong AS
    const auto d = timer(a, Timer::kReconnect);
    ASSERT_TRUE(d);
    delays.push_back(*d);
    now += *d;
    a = fsm.handle(event::TimerFired{Timer::kReconnect}, now);
    ASSERT_EQ(all<action::Connect>(a).size(), 1u);
    EXPECT_EQ(only<action::Transition>(a).reason, Reason::kReconnect);
  }
  // Each delay lies in [half, whole] of min(1 s * 2^(n-1), 120 s).
  for (std::size_t n = 0; n < delays.size(); ++n) {
    const Duration cap = std::min<Duration>(120s, Duration(1000LL << n));
    EXPECT_GE(delays[n], cap / 2) << n;
    EXPECT_LE(delays[n], cap) << n;
  }
  EXPECT_GE(delays.back(), 60s);
  EXPECT_EQ(fsm.consecutive_failures(), 12);
}

TEST(Fsm, BackoffStartsAfreshOnlyAfterAStableSession) {
  Fsm fsm(config());
  // Three quick failures.
  fsm.handle(event::Start{}, kT0);
  for (int i = 0; i < 3; ++i) {
    fsm.handle(event::ConnectFailed{"connection refused"}, kT0);
    fsm.handle(event::TimerFired{Timer::kReconnect}, kT0);
  }
  EXPECT_EQ(fsm.consecutive_failures(), 3);
  // Up for 10 s, then down: still backing off.
  fsm.handle(event::Connected{}, kT0);
  fsm.handle(event::Received{peer_open()}, kT0);
  fsm.handle(event::Received{Keepalive{}}, kT0);
  auto a = fsm.handle(event::Closed{"reset by peer"}, kT0 + 10s);
  EXPECT_EQ(fsm.consecutive_failures(), 4);
  EXPECT_GE(*timer(a, Timer::kReconnect), 4s);
  // Up for two minutes, then down: the next retry is quick again.
  fsm.handle(event::TimerFired{Timer::kReconnect}, kT0 + 20s);
  fsm.handle(event::Connected{}, kT0 + 20s);
  fsm.handle(event::Received{peer_open()}, kT0 + 20s);
  fsm.handle(event::Received{Keepalive{}}, kT0 + 20s);
  a = fsm.handle(event::Closed{"reset by peer"}, kT0 + 140s);
  EXPECT_EQ(fsm.consecutive_failures(), 1);
  EXPECT_LE(*timer(a, Timer::kReconnect), 1s);
}

TEST(Fsm, StopSendsCeaseWithShutdownCommunicationAndStaysDown) {
  Fsm fsm(config());
  establish(fsm);
  auto a = fsm.handle(event::Stop{cease::kAdministrativeShutdown, "maintenance"}, kT0);
  const auto n = first_sent<Notification>(a);
  EXPECT_EQ(n.code, 6);
  EXPECT_EQ(n.subcode, 2);
  EXPECT_EQ(n.shutdown_message, "maintenance");
  EXPECT_EQ(only<action::Down>(a).reason, Reason::kStop);
  EXPECT_FALSE(timer(a, Timer::kReconnect));
  EXPECT_EQ(fsm.state(), State::kIdle);
  // A late timer changes nothing.
  EXPECT_TRUE(fsm.handle(event::TimerFired{Timer::kReconnect}, kT0 + 5s).empty());
}

TEST(Fsm, UnexpectedMessagesAreFsmErrorsNamingTheState) {
  {
    Fsm fsm(config());
    fsm.handle(event::Start{}, kT0);
    fsm.handle(event::Connected{}, kT0);
    auto a = fsm.handle(event::Received{Keepalive{}}, kT0);  // before any OPEN
    const auto n = first_sent<Notification>(a);
    EXPECT_EQ(n.code, 5);
    EXPECT_EQ(n.subcode, 1);
  }
  {
    Fsm fsm(config());
    fsm.handle(event::Start{}, kT0);
    fsm.handle(event::Connected{}, kT0);
    fsm.handle(event::Received{peer_open()}, kT0);
    auto a = fsm.handle(event::Received{Update{}}, kT0);
    EXPECT_EQ(first_sent<Notification>(a).subcode, 2);
  }
  {
    Fsm fsm(config());
    establish(fsm);
    auto a = fsm.handle(event::Received{peer_open()}, kT0);
    EXPECT_EQ(first_sent<Notification>(a).subcode, 3);
    EXPECT_EQ(only<action::Down>(a).reason, Reason::kUnexpectedMessage);
  }
}

TEST(Fsm, DecodeErrorsSendTheirNotification) {
  Fsm fsm(config());
  establish(fsm);
  DecodeError e{3, 10, {1, 2}, 40, ErrorAction::kSessionReset, "NLRI: prefix length 33"};
  auto a = fsm.handle(event::DecodeFailed{e}, kT0);
  const auto n = first_sent<Notification>(a);
  EXPECT_EQ(n.code, 3);
  EXPECT_EQ(n.subcode, 10);
  EXPECT_EQ(n.data, (std::vector<std::uint8_t>{1, 2}));
  EXPECT_EQ(only<action::Down>(a).reason, Reason::kMessageError);
}

TEST(Fsm, NotificationFromThePeerEndsTheSessionWithItsText) {
  Fsm fsm(config());
  establish(fsm);
  Notification n{6, 2, {}, "router upgrade"};
  auto a = fsm.handle(event::Received{n}, kT0);
  EXPECT_TRUE(sent(a).empty());  // never answer a NOTIFICATION with one
  const auto t = only<action::Transition>(a);
  EXPECT_EQ(t.reason, Reason::kNotificationReceived);
  EXPECT_EQ(t.detail, "Cease / Administrative Shutdown (6/2): \"router upgrade\"");
}

TEST(Fsm, UpdatesAreDeliveredAndRestartTheHoldTimer) {
  Fsm fsm(config());
  establish(fsm);
  auto a = fsm.handle(event::Received{Update{}}, kT0 + 5s);
  EXPECT_EQ(all<action::Deliver>(a).size(), 1u);
  EXPECT_EQ(timer(a, Timer::kHold), 30s);
  a = fsm.handle(event::Received{RouteRefresh{1, 0, 1}}, kT0 + 6s);
  EXPECT_TRUE(std::holds_alternative<RouteRefresh>(only<action::Deliver>(a).message));
}

TEST(Fsm, OpenOffersEnhancedRouteRefreshUnlessTurnedOff) {
  const auto open_of = [](const FsmConfig& c) {
    Fsm fsm(c);
    fsm.handle(event::Start{}, kT0);
    return first_sent<Open>(fsm.handle(event::Connected{}, kT0));
  };
  auto c = config();
  Open open = open_of(c);
  ASSERT_NE(open.find(CapabilityCode::kEnhancedRouteRefresh), nullptr);  // RFC 7313 §2
  std::vector<std::uint8_t> bytes;
  ASSERT_TRUE(encode(open, {}, bytes));
  const std::vector<std::uint8_t> capability{2, 2, 70, 0};  // parameter 2, code 70, length 0
  EXPECT_NE(std::search(bytes.begin(), bytes.end(), capability.begin(), capability.end()),
            bytes.end());
  c.enhanced_route_refresh = false;
  open = open_of(c);
  EXPECT_EQ(open.find(CapabilityCode::kEnhancedRouteRefresh), nullptr);
  EXPECT_NE(open.find(CapabilityCode::kRouteRefresh), nullptr);
  c.enhanced_route_refresh = true;
  c.route_refresh = false;
  open = open_of(c);
  EXPECT_EQ(open.find(CapabilityCode::kRouteRefresh), nullptr);
  EXPECT_EQ(open.find(CapabilityCode::kEnhancedRouteRefresh), nullptr);
}

// RFC 2918 §4 and RFC 7313 §4: what reaches the speaker as a request to answer, and what is
// ignored without a word.
TEST(Fsm, OnlyRefreshRequestsForANegotiatedFamilyAreDelivered) {
  Fsm fsm(config());  // offers IPv4 and IPv6; the peer only IPv4
  establish(fsm);
  const std::pair<RouteRefresh, bool> cases[] = {
      {{1, 0, 1}, true},     // a request for IPv4 unicast
      {{2, 0, 1}, false},    // IPv6 unicast: vipd offered it, the peer did not
      {{1, 0, 128}, false},  // a family vipd never advertised
      {{25, 0, 70}, false},
      {{1, 1, 1}, false},  // BoRR and EoRR: the peer's own refresh; vipd keeps no Adj-RIB-In
      {{1, 2, 1}, false},
      {{1, 3, 1}, false},  // reserved subtypes: "MUST ignore"
      {{1, 255, 1}, false},
  };
  Duration at = 1s;
  for (const auto& [refresh, delivered] : cases) {
    SCOPED_TRACE(std::to_string(refresh.afi) + "/" + std::to_string(refresh.subtype) + "/" +
                 std::to_string(refresh.safi));
    auto a = fsm.handle(event::Received{refresh}, kT0 + at);
    at += 1s;
    EXPECT_EQ(fsm.state(), State::kEstablished);
    EXPECT_TRUE(sent(a).empty());
    EXPECT_EQ(timer(a, Timer::kHold), 30s);  // still a sign of life
    const auto deliveries = all<action::Deliver>(a);
    EXPECT_EQ(deliveries.size(), delivered ? 1u : 0u);
    if (delivered && !deliveries.empty()) {
      EXPECT_EQ(std::get<RouteRefresh>(deliveries[0].message), refresh);
    }
  }
}

TEST(Fsm, RouteRefreshIsAnsweredWhateverThePeerOffered) {
  // RFC 2918 §2: vipd's capability is what lets the peer send one; peer_open() has none.
  Fsm fsm(config());
  establish(fsm);
  auto a = fsm.handle(event::Received{RouteRefresh{1, 0, 1}}, kT0);
  EXPECT_EQ(all<action::Deliver>(a).size(), 1u);
}

TEST(Fsm, RouteRefreshWithoutOurCapabilityIsABadMessageType) {
  auto c = config();
  c.route_refresh = false;
  Fsm fsm(c);
  establish(fsm);
  auto a = fsm.handle(event::Received{RouteRefresh{1, 0, 1}}, kT0);
  const auto n = first_sent<Notification>(a);
  EXPECT_EQ(n.code, 1);
  EXPECT_EQ(n.subcode, 3);
  EXPECT_EQ(n.data, std::vector<std::uint8_t>{5});  // RFC 4271 §6.1: the type
  EXPECT_TRUE(all<action::Deliver>(a).empty());
  EXPECT_EQ(only<action::Down>(a).reason, Reason::kMessageError);
  EXPECT_EQ(fsm.state(), State::kIdle);
}

TEST(Fsm, PassivePeerWaitsForTheConnection) {
  auto c = config();
  c.passive = true;
  Fsm fsm(c);
  auto a = fsm.handle(event::Start{}, kT0);
  EXPECT_EQ(fsm.state(), State::kActive);
  EXPECT_TRUE(all<action::Connect>(a).empty());
  fsm.handle(event::Connected{}, kT0);
  EXPECT_EQ(fsm.state(), State::kOpenSent);
}

TEST(Fsm, ConnectTimeoutRetriesWithBackoff) {
  Fsm fsm(config());
  fsm.handle(event::Start{}, kT0);
  auto a = fsm.handle(event::TimerFired{Timer::kConnectRetry}, kT0 + 30s);
  EXPECT_EQ(all<action::Disconnect>(a).size(), 1u);
  EXPECT_EQ(fsm.state(), State::kIdle);
  EXPECT_TRUE(timer(a, Timer::kReconnect));
}

TEST(Fsm, GracefulRestartCapabilityCarriesTheRestartState) {
  auto c = config();
  c.graceful_restart_time = 120;
  c.restarting = true;
  const Open open = Fsm(c).local_open();
  const auto* gr = open.find(CapabilityCode::kGracefulRestart);
  ASSERT_NE(gr, nullptr);
  EXPECT_TRUE(gr->restart_state);
  EXPECT_EQ(gr->restart_time, 120);
  ASSERT_EQ(gr->graceful_restart.size(), 2u);
  EXPECT_TRUE(gr->graceful_restart[0].forwarding_preserved);
  c.restarting = false;
  EXPECT_FALSE(Fsm(c).local_open().find(CapabilityCode::kGracefulRestart)->restart_state);
}

TEST(Fsm, AcceptedConnectionTakesOverWhileNoOpenIsOut) {
  // RFC 4271 §8.2.2 Connect / Active: a TCP connection from the peer is taken as the session's.
  for (const bool passive : {false, true}) {
    auto c = config();
    c.passive = passive;
    Fsm fsm(c);
    fsm.handle(event::Start{}, kT0);
    EXPECT_EQ(fsm.state(), passive ? State::kActive : State::kConnect);
    auto a = fsm.handle(event::Accepted{}, kT0 + 1s);
    EXPECT_EQ(fsm.state(), State::kOpenSent);
    ASSERT_EQ(sent(a).size(), 1u);
    EXPECT_TRUE(std::holds_alternative<Open>(sent(a)[0]));
    EXPECT_EQ(only<action::Transition>(a).reason, Reason::kAccepted);
    EXPECT_TRUE(std::holds_alternative<action::UseIncoming>(a.front()));
    EXPECT_TRUE(all<action::Connect>(a).empty());
  }
}

TEST(Fsm, AcceptedConnectionEndsTheReconnectWait) {
  Fsm fsm(config());
  fsm.handle(event::Start{}, kT0);
  fsm.handle(event::ConnectFailed{"Connection refused"}, kT0 + 1s);
  ASSERT_EQ(fsm.state(), State::kIdle);
  auto a = fsm.handle(event::Accepted{}, kT0 + 2s);
  EXPECT_EQ(fsm.state(), State::kOpenSent);
  bool reconnect_stopped = false;
  for (const auto& s : all<action::StopTimer>(a)) reconnect_stopped |= s.timer == Timer::kReconnect;
  EXPECT_TRUE(reconnect_stopped);
}

TEST(Fsm, AcceptedConnectionIsRefusedWhileStopped) {
  Fsm stopped(config());
  auto a = stopped.handle(event::Accepted{}, kT0);
  const auto close = only<action::CloseConnection>(a);
  EXPECT_EQ(close.connection, Connection::kIncoming);
  EXPECT_EQ(close.notification.code, 6);
  EXPECT_EQ(close.notification.subcode, 5);  // Connection Rejected
  EXPECT_TRUE(all<action::UseIncoming>(a).empty());
  EXPECT_TRUE(sent(a).empty());
  EXPECT_EQ(stopped.state(), State::kIdle);
}

TEST(Fsm, AcceptedConnectionWaitsForItsOpenOnceOursHasSentOne) {
  // OpenSent, OpenConfirm, Established: RFC 4271 §6.8 needs the peer's BGP Identifier first.
  for (int step = 0; step < 3; ++step) {
    Fsm fsm(config());
    fsm.handle(event::Start{}, kT0);
    fsm.handle(event::Connected{}, kT0);
    if (step >= 1) fsm.handle(event::Received{peer_open()}, kT0);
    if (step >= 2) fsm.handle(event::Received{Keepalive{}}, kT0);
    const State before = fsm.state();
    auto a = fsm.handle(event::Accepted{}, kT0 + 1s);
    ASSERT_EQ(a.size(), 1u) << to_string(before);
    EXPECT_EQ(only<action::AwaitOpen>(a).within, 30s);
    EXPECT_EQ(fsm.state(), before);
  }
}

// ---- RFC 4271 §6.8 collision: the peer's OPEN on its own connection, while ours exists ----

const Open kHigherId = peer_open(64500, 30, 0xc0000209);  // 192.0.2.9 > our 192.0.2.1
const Open kLowerId = peer_open(64500, 30, 0xc0000200);   // 192.0.2.0 < our 192.0.2.1

// An FSM whose own (outgoing) connection is in `state`: OpenSent or OpenConfirm.
Fsm colliding_in(State state, FsmConfig c = config()) {
  Fsm fsm(c);
  fsm.handle(event::Start{}, kT0);
  fsm.handle(event::Connected{}, kT0);
  if (state == State::kOpenConfirm) fsm.handle(event::Received{peer_open()}, kT0);
  EXPECT_EQ(fsm.state(), state);
  return fsm;
}

// The actions of a decision that keeps the peer's new connection: ours closed with 6/7 first,
// then the handshake restarted on the peer's (our OPEN, then the peer's OPEN taken as usual).
void expect_peers_connection_kept(const std::vector<Action>& a, const Fsm& fsm) {
  ASSERT_GE(a.size(), 3u);
  const auto* close = std::get_if<action::CloseConnection>(&a[0]);
  ASSERT_NE(close, nullptr) << "the first action closes our connection";
  EXPECT_EQ(close->connection, Connection::kCurrent);
  EXPECT_EQ(close->notification.code, 6);
  EXPECT_EQ(close->notification.subcode, 7);  // Connection Collision Resolution
  EXPECT_TRUE(std::holds_alternative<action::UseIncoming>(a[1]));
  EXPECT_EQ(all<action::CloseConnection>(a).size(), 1u);
  const auto messages = sent(a);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<Open>(messages[0]));  // the handshake starts again
  EXPECT_TRUE(std::holds_alternative<Keepalive>(messages[1]));
  const auto transitions = all<action::Transition>(a);
  ASSERT_EQ(transitions.size(), 2u);
  EXPECT_EQ(transitions[0].to, State::kOpenSent);
  EXPECT_EQ(transitions[0].reason, Reason::kCollisionResolved);
  EXPECT_EQ(transitions[1].to, State::kOpenConfirm);
  EXPECT_EQ(transitions[1].reason, Reason::kOpenReceived);
  EXPECT_EQ(timer(a, Timer::kHold), 30s);  // negotiated with the OPEN on the kept connection
  EXPECT_TRUE(all<action::Disconnect>(a).empty());
  EXPECT_TRUE(all<action::Down>(a).empty());
  EXPECT_EQ(fsm.state(), State::kOpenConfirm);
}

// ... and the one that keeps ours: only the new connection is closed, with 6/7.
void expect_our_connection_kept(const std::vector<Action>& a, const Fsm& fsm, State state) {
  ASSERT_EQ(a.size(), 1u);
  const auto close = only<action::CloseConnection>(a);
  EXPECT_EQ(close.connection, Connection::kIncoming);
  EXPECT_EQ(close.notification.code, 6);
  EXPECT_EQ(close.notification.subcode, 7);
  EXPECT_EQ(fsm.state(), state);
}

TEST(FsmCollision, HigherPeerIdentifierKeepsThePeersConnection) {
  for (const State state : {State::kOpenSent, State::kOpenConfirm}) {
    SCOPED_TRACE(to_string(state));
    Fsm fsm = colliding_in(state);
    auto a = fsm.handle(event::Collision{kHigherId, Opener::kLocal, Opener::kPeer}, kT0 + 1s);
    expect_peers_connection_kept(a, fsm);
    // The kept connection completes as usual.
    a = fsm.handle(event::Received{Keepalive{}}, kT0 + 2s);
    EXPECT_EQ(fsm.state(), State::kEstablished);
    EXPECT_EQ(only<action::Up>(a).peer_open.bgp_identifier, 0xc0000209u);
  }
}

TEST(FsmCollision, LowerPeerIdentifierKeepsOurConnection) {
  for (const State state : {State::kOpenSent, State::kOpenConfirm}) {
    SCOPED_TRACE(to_string(state));
    Fsm fsm = colliding_in(state);
    auto a = fsm.handle(event::Collision{kLowerId, Opener::kLocal, Opener::kPeer}, kT0 + 1s);
    expect_our_connection_kept(a, fsm, state);
    // Our connection carries on: the peer's OPEN (OpenSent) or KEEPALIVE (OpenConfirm) there.
    if (state == State::kOpenSent) fsm.handle(event::Received{peer_open()}, kT0 + 2s);
    fsm.handle(event::Received{Keepalive{}}, kT0 + 2s);
    EXPECT_EQ(fsm.state(), State::kEstablished);
  }
}

TEST(FsmCollision, EqualIdentifiersKeepTheConnectionOfTheLargerAs) {
  // RFC 6286 §2.3. Our AS 65550 is larger than the peer's 64500: ours stays.
  for (const State state : {State::kOpenSent, State::kOpenConfirm}) {
    SCOPED_TRACE(to_string(state));
    const Open same_id = peer_open(64500, 30, 0xc0000201);
    Fsm fsm = colliding_in(state);
    expect_our_connection_kept(
        fsm.handle(event::Collision{same_id, Opener::kLocal, Opener::kPeer}, kT0 + 1s), fsm, state);
    // Our AS 64496 is smaller than the peer's 64500: the peer's stays.
    auto c = config();
    c.local_as = 64496;
    Fsm smaller = colliding_in(state, c);
    expect_peers_connection_kept(
        smaller.handle(event::Collision{same_id, Opener::kLocal, Opener::kPeer}, kT0 + 1s),
        smaller);
  }
}

TEST(FsmCollision, ASecondConnectionFromThePeerReplacesItsFirst) {
  // Our current connection is one the peer opened (accepted earlier): the peer gave up on it,
  // so its newer connection stays whatever the identifiers.
  for (const Open& open : {kHigherId, kLowerId}) {
    auto c = config();
    c.passive = true;
    Fsm fsm(c);
    fsm.handle(event::Start{}, kT0);
    fsm.handle(event::Accepted{}, kT0);
    ASSERT_EQ(fsm.state(), State::kOpenSent);
    auto a = fsm.handle(event::Collision{open, Opener::kPeer, Opener::kPeer}, kT0 + 1s);
    expect_peers_connection_kept(a, fsm);
  }
}

TEST(FsmCollision, EstablishedAlwaysRefusesTheNewConnection) {
  for (const Open& open : {kHigherId, kLowerId, peer_open(64500, 30, 0xc0000201)}) {
    Fsm fsm(config());
    establish(fsm);
    auto a = fsm.handle(event::Collision{open, Opener::kLocal, Opener::kPeer}, kT0 + 5s);
    expect_our_connection_kept(a, fsm, State::kEstablished);
    EXPECT_TRUE(all<action::Down>(a).empty());
  }
}

TEST(FsmCollision, WithoutAConnectionOfOursThePeersIsTaken) {
  // Ours went away while the peer's OPEN was awaited (Idle waiting to reconnect), or is still
  // being opened (Connect), or we only listen (Active): no collision, the peer's connection is
  // the session's and its OPEN is taken at once.
  for (int which = 0; which < 3; ++which) {
    auto c = config();
    c.passive = which == 2;
    Fsm fsm(c);
    fsm.handle(event::Start{}, kT0);
    if (which == 0) fsm.handle(event::ConnectFailed{"Connection refused"}, kT0);
    const State before = fsm.state();
    SCOPED_TRACE(to_string(before));
    auto a = fsm.handle(event::Collision{kLowerId, Opener::kLocal, Opener::kPeer}, kT0 + 1s);
    EXPECT_TRUE(all<action::CloseConnection>(a).empty());
    ASSERT_FALSE(a.empty());
    EXPECT_TRUE(std::holds_alternative<action::UseIncoming>(a[0]));
    const auto messages = sent(a);
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_TRUE(std::holds_alternative<Open>(messages[0]));
    EXPECT_TRUE(std::holds_alternative<Keepalive>(messages[1]));
    EXPECT_EQ(all<action::Transition>(a).front().reason, Reason::kAccepted);
    EXPECT_EQ(fsm.state(), State::kOpenConfirm);
    bool reconnect_stopped = false;
    for (const auto& s : all<action::StopTimer>(a)) {
      reconnect_stopped |= s.timer == Timer::kReconnect;
    }
    EXPECT_TRUE(reconnect_stopped);
  }
}

TEST(FsmCollision, StoppedSessionRefusesTheConnection) {
  Fsm fsm(config());
  establish(fsm);
  fsm.handle(event::Stop{}, kT0 + 1s);
  auto a = fsm.handle(event::Collision{kHigherId, Opener::kLocal, Opener::kPeer}, kT0 + 2s);
  const auto close = only<action::CloseConnection>(a);
  EXPECT_EQ(close.connection, Connection::kIncoming);
  EXPECT_EQ(close.notification.subcode, 5);
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(fsm.state(), State::kIdle);
}

TEST(FsmCollision, APeersOpenThatFailsOnTheKeptConnectionFailsTheSession) {
  // The peer's connection was kept, but its OPEN names the wrong AS: Bad Peer AS on it.
  Fsm fsm = colliding_in(State::kOpenSent);
  auto a = fsm.handle(
      event::Collision{peer_open(64999, 30, 0xc0000209), Opener::kLocal, Opener::kPeer}, kT0);
  EXPECT_EQ(all<action::CloseConnection>(a).size(), 1u);
  const auto messages = sent(a);
  ASSERT_EQ(messages.size(), 2u);
  ASSERT_TRUE(std::holds_alternative<Notification>(messages[1]));
  EXPECT_EQ(std::get<Notification>(messages[1]).subcode, 2);  // Bad Peer AS
  EXPECT_EQ(all<action::Disconnect>(a).size(), 1u);
  EXPECT_EQ(fsm.state(), State::kIdle);
}

TEST(FsmConfig, EveryFieldTakesPartInTheComparison) {
  const FsmConfig base = config();
  EXPECT_EQ(base, config());
  std::vector<std::function<void(FsmConfig&)>> changes = {
      [](FsmConfig& c) { c.local_as += 1; },
      [](FsmConfig& c) { c.peer_as += 1; },
      [](FsmConfig& c) { c.router_id += 1; },
      [](FsmConfig& c) { c.hold_time = 30; },
      [](FsmConfig& c) { c.keepalive_time = 5; },
      [](FsmConfig& c) { c.passive = true; },
      [](FsmConfig& c) { c.families = {kIpv4Unicast}; },
      [](FsmConfig& c) { c.extended_next_hop_ipv4 = true; },
      [](FsmConfig& c) { c.extended_message = false; },
      [](FsmConfig& c) { c.graceful_restart_time = 120; },
      [](FsmConfig& c) { c.restarting = true; },
      [](FsmConfig& c) { c.hostname = "node-1"; },
      [](FsmConfig& c) { c.backoff_initial = 2s; },
      [](FsmConfig& c) { c.backoff_max = 60s; },
      [](FsmConfig& c) { c.stable_after = 30s; },
      [](FsmConfig& c) { c.connect_timeout = 5s; },
      [](FsmConfig& c) { c.jitter_seed = 7; },
  };
  for (std::size_t i = 0; i < changes.size(); ++i) {
    FsmConfig changed = base;
    changes[i](changed);
    EXPECT_NE(changed, base) << "change " << i;
  }
}

}  // namespace
}  // namespace vipd::bgp
