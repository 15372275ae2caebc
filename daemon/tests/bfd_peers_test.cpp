// BfdPeers between the BGP speaker and a router's BFD (a second bfd::BfdService) over loopback,
// with a scripted BGP router and a fake clock: what the router sees of BGP as BFD comes Up,
// goes silent, says AdminDown, and changes timers.
#include "daemon/bfd_peers.hpp"

#include <gtest/gtest.h>

#include "bgp/tests/scripted_router.hpp"
#include "common/testing/fake_timer_clock.hpp"

namespace vipd::daemon {
namespace {

using namespace std::chrono_literals;
using bgp::scripted::router_open;
using bgp::scripted::RouterConnection;

constexpr std::uint32_t kRouterId = 0xc0000209;  // 192.0.2.9

class BfdPeersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(router_bfd_.start());
    peers_ = std::make_unique<BfdPeers>(io_.get_executor(), clock_, speaker_, service_,
                                        router_bfd_.port(Family::kV4));
    service_.on_state([this](const IpAddress& peer, bfd::State from, bfd::State to,
                             bfd::Diag diag) { peers_->on_state(peer, from, to, diag); });
  }
  void TearDown() override {
    peers_->stop();
    speaker_.stop_all("test over");
    router_bfd_.stop();
    service_.stop();
    settle();
  }

  std::string address() const { return router_.address().to_string(); }

  bgp::PeerConfig bgp_config() const {
    bgp::PeerConfig p;
    p.session.peer_address = router_.address();
    p.session.peer_port = router_.port();
    p.session.fsm.local_as = 64501;
    p.session.fsm.peer_as = 64500;
    p.session.fsm.router_id = 0xc0000201;
    p.session.fsm.hold_time = 90;
    p.session.fsm.families = {bgp::kIpv4Unicast};
    p.session.fsm.jitter_seed = 1;
    return p;
  }

  static bfd::SessionConfig timers(std::chrono::milliseconds rx, std::uint8_t mult = 3) {
    bfd::SessionConfig c;
    c.required_min_rx = rx;
    c.desired_min_tx = rx;
    c.detect_mult = mult;
    return c;
  }

  BfdPeerSettings settings(std::uint8_t mult = 3) const {
    return {.profile = "fast", .peer = router_.address(), .session = timers(300ms, mult)};
  }

  // The router's side of BFD, sending to vipd's port.
  void router_bfd_on(std::uint8_t mult = 3) {
    auto port = service_.port(Family::kV4);
    ASSERT_TRUE(port.has_value());
    ASSERT_TRUE(router_bfd_.add_session(router_.address(), std::nullopt, timers(300ms, mult),
                                        {.peer_port = *port}));
  }

  // A datagram as the router's BFD would send it (TTL 255, RFC 5881 §5) to vipd's port.
  void send_to_vipd(const bfd::ControlPacket& packet) {
    const auto bytes = bfd::encode(packet);
    asio::ip::udp::socket s(io_, asio::ip::udp::endpoint(asio::ip::address_v4::loopback(), 0));
    s.set_option(asio::ip::unicast::hops(255));
    s.send_to(asio::buffer(bytes), asio::ip::udp::endpoint(asio::ip::address_v4::loopback(),
                                                           service_.port(Family::kV4).value()));
  }

  void settle() {
    io_.restart();
    io_.run_for(2ms);
  }

  // Moves the fake time on in 10 ms steps, letting the loop deliver datagrams and segments in
  // between, until `done` holds (true) or `limit` of fake time passed (false).
  bool advance_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    for (auto t = 0ms; t <= limit; t += 10ms) {
      settle();
      if (done()) return true;
      clock_.advance(10ms);
    }
    return false;
  }

  bgp::PeerStatus bgp_status() {
    auto all = speaker_.status();
    return all.empty() ? bgp::PeerStatus{} : all.front();
  }
  std::string bfd_state() {
    const auto v = peers_->view(address());
    return v ? v->state : "none";
  }

  // BFD Up, then BGP connects and the router completes the session.
  RouterConnection* establish() {
    EXPECT_TRUE(advance_until([&] { return bfd_state() == "Up"; }, 5000ms)) << bfd_state();
    EXPECT_TRUE(advance_until([&] { return !router_.accepted().empty(); }, 1000ms))
        << "no connection once BFD was Up";
    if (router_.accepted().empty()) return nullptr;
    RouterConnection& c = router_.connection(router_.accepted().size() - 1);
    EXPECT_TRUE(advance_until([&] { return c.count<bgp::Open>() == 1; }, 1000ms));
    c.send(router_open(kRouterId, 90));
    c.send(bgp::Keepalive{});
    EXPECT_TRUE(
        advance_until([&] { return bgp_status().state == bgp::State::kEstablished; }, 1000ms));
    return &c;
  }

  asio::io_context io_;
  vipd::testing::FakeTimerClock clock_;
  bgp::scripted::Router router_{io_};
  bgp::Speaker speaker_{io_.get_executor(), clock_};
  bfd::BfdService router_bfd_{
      io_.get_executor(), clock_, {.port = 0, .multihop_port = 0, .ipv6 = false}};
  // vipd's, shared as the daemon shares it.
  bfd::BfdService service_{
      io_.get_executor(), clock_, {.port = 0, .multihop_port = 0, .ipv6 = false}};
  std::unique_ptr<BfdPeers> peers_;
};

TEST_F(BfdPeersTest, BgpWaitsForTheFirstUpForFiveSecondsAtMost) {
  peers_->set(address(), settings());
  speaker_.add_peer(bgp_config());
  // No BFD at the router: BGP waits...
  const auto start = clock_.now();
  EXPECT_FALSE(advance_until([&] { return !router_.accepted().empty(); }, 4900ms));
  EXPECT_EQ(bgp_status().state, bgp::State::kIdle);
  EXPECT_EQ(bgp_status().gate_closed, "BFD session not Up yet");
  EXPECT_EQ(bfd_state(), "Down");
  // ... then starts without it (some routers start BFD only once BGP is up).
  ASSERT_TRUE(advance_until([&] { return !router_.accepted().empty(); }, 300ms));
  EXPECT_GE(clock_.now() - start, kFirstUpWait);
  EXPECT_FALSE(bgp_status().gate_closed.has_value());
  // BFD comes Up later, then fails: from its first Up on, it guards the session.
  RouterConnection& c = router_.connection(0);
  ASSERT_TRUE(advance_until([&] { return c.count<bgp::Open>() == 1; }, 1000ms));
  c.send(router_open(kRouterId, 90));
  c.send(bgp::Keepalive{});
  ASSERT_TRUE(
      advance_until([&] { return bgp_status().state == bgp::State::kEstablished; }, 1000ms));
  router_bfd_on();
  ASSERT_TRUE(advance_until([&] { return bfd_state() == "Up"; }, 5000ms));
  ASSERT_TRUE(router_bfd_.remove_session(router_.address()));
  ASSERT_TRUE(advance_until([&] { return c.closed(); }, 2000ms));
  EXPECT_EQ(bgp_status().gate_closed, "BFD Down: Control Detection Time Expired");
}

TEST_F(BfdPeersTest, BgpStartsAtUpAndASilentPeerClosesItWithCeaseBfdDown) {
  peers_->set(address(), settings());
  speaker_.add_peer(bgp_config());
  router_bfd_on();
  RouterConnection* c = establish();
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(bgp_status().gate_closed.has_value());
  // The Poll Sequence after Up brings both sides to the fast intervals.
  ASSERT_TRUE(
      advance_until([&] { return peers_->view(address())->detection_time_ms == 900; }, 3000ms));
  const auto up = peers_->view(address());
  EXPECT_GT(up->packets_received, 0u);

  // The router's BFD goes silent: within the detection time (900 ms after its last packet,
  // which came at most one transmit interval before), BGP is closed with Cease / BFD Down.
  ASSERT_TRUE(router_bfd_.remove_session(router_.address()));
  const auto silent = clock_.now();
  ASSERT_TRUE(advance_until([&] { return c->closed(); }, 2000ms));
  const auto detected = clock_.now() - silent;
  EXPECT_LE(detected, 900ms + 100ms);  // a busy machine may deliver the last packet late
  EXPECT_GE(detected, 600ms - 20ms);
  const auto cease = c->all<bgp::Notification>();
  ASSERT_EQ(cease.size(), 1u);
  EXPECT_EQ(cease[0].code, 6);
  EXPECT_EQ(cease[0].subcode, 10);
  EXPECT_EQ(bgp_status().state, bgp::State::kIdle);
  EXPECT_EQ(bgp_status().gate_closed, "BFD Down: Control Detection Time Expired");
  EXPECT_EQ(peers_->view(address())->diag, "Control Detection Time Expired");

  // Held down for as long as BFD is: no connection through ten seconds of BGP timers.
  EXPECT_FALSE(advance_until([&] { return router_.accepted().size() > 1; }, 10000ms));

  // BFD back: BGP comes back.
  router_bfd_on();
  ASSERT_NE(establish(), nullptr);
  EXPECT_EQ(router_.accepted().size(), 2u);
}

TEST_F(BfdPeersTest, AdminDownFromThePeerLeavesBgpUp) {
  peers_->set(address(), settings());
  speaker_.add_peer(bgp_config());
  // The router detects vipd after 5 x 300 ms: longer than the 1 s interval at which its
  // AdminDown packets go out once it left Up (RFC 5880 §6.8.3), so vipd hears AdminDown.
  router_bfd_on(5);
  RouterConnection* c = establish();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(router_bfd_.disable_session(router_.address(), bfd::Diag::kAdministrativelyDown));
  ASSERT_TRUE(advance_until([&] { return bfd_state() == "Down"; }, 3000ms));
  const auto v = peers_->view(address());
  EXPECT_EQ(v->remote_state, "AdminDown");
  EXPECT_EQ(v->remote_diag, "Administratively Down");
  EXPECT_EQ(v->diag, "Neighbor Signaled Session Down");
  // RFC 5882 §3.2: not a failure of the path. BGP stays.
  EXPECT_FALSE(advance_until([&] { return c->closed(); }, 3000ms));
  EXPECT_EQ(bgp_status().state, bgp::State::kEstablished);
  EXPECT_FALSE(bgp_status().gate_closed.has_value());

  ASSERT_TRUE(router_bfd_.enable_session(router_.address()));
  EXPECT_TRUE(advance_until([&] { return bfd_state() == "Up"; }, 5000ms));
  EXPECT_FALSE(c->closed());
}

TEST_F(BfdPeersTest, ANewSessionOfThePeersIsNotAFailure) {
  peers_->set(address(), settings());
  speaker_.add_peer(bgp_config());
  router_bfd_on();
  RouterConnection* c = establish();
  ASSERT_NE(c, nullptr);
  const auto before = peers_->view(address());
  // The router replaces its session (as FRR does once BGP gave it the source address): the new
  // one starts Down with a new discriminator and Your Discriminator 0.
  ASSERT_TRUE(router_bfd_.remove_session(router_.address()));
  router_bfd_on();
  ASSERT_TRUE(advance_until([&] { return bfd_state() == "Down"; }, 1000ms));
  EXPECT_EQ(peers_->view(address())->diag, "Neighbor Signaled Session Down");
  ASSERT_TRUE(advance_until([&] { return bfd_state() == "Up"; }, 5000ms));
  EXPECT_FALSE(c->closed());
  EXPECT_EQ(bgp_status().state, bgp::State::kEstablished);
  EXPECT_EQ(router_.accepted().size(), 1u);

  EXPECT_NE(peers_->view(address())->packets_received, before->packets_received);

  // The same session saying Down because "we" did (FRR does so when it deletes a session):
  // the path works, BGP stays.
  const auto router = router_bfd_.status(router_.address()).value();
  bfd::ControlPacket deleted;
  deleted.state = bfd::State::kDown;
  deleted.diag = bfd::Diag::kNeighborSignaledSessionDown;
  deleted.detect_mult = 3;
  deleted.my_discriminator = router.local_discriminator;
  deleted.your_discriminator = router.remote_discriminator;
  deleted.desired_min_tx_us = 1'000'000;
  deleted.required_min_rx_us = 300'000;
  send_to_vipd(deleted);
  ASSERT_TRUE(advance_until([&] { return bfd_state() == "Down"; }, 1000ms));
  EXPECT_EQ(peers_->view(address())->remote_diag, "Neighbor Signaled Session Down");
  ASSERT_TRUE(advance_until([&] { return bfd_state() == "Up"; }, 5000ms));
  EXPECT_FALSE(c->closed());

  // The same session saying Down because its detection time expired (it lost us): a failure.
  bfd::ControlPacket lost;
  lost.state = bfd::State::kDown;
  lost.diag = bfd::Diag::kControlDetectionTimeExpired;
  lost.detect_mult = 3;
  lost.my_discriminator = router.local_discriminator;
  lost.your_discriminator = 0;
  lost.desired_min_tx_us = 1'000'000;
  lost.required_min_rx_us = 300'000;
  send_to_vipd(lost);
  ASSERT_TRUE(advance_until([&] { return c->closed(); }, 1000ms));
  EXPECT_EQ(bgp_status().gate_closed, "BFD Down: the peer says Control Detection Time Expired");
}

TEST_F(BfdPeersTest, NewTimersReachTheRunningSessionAndBgpStays) {
  peers_->set(address(), settings());
  speaker_.add_peer(bgp_config());
  router_bfd_on();
  RouterConnection* c = establish();
  ASSERT_NE(c, nullptr);

  peers_->set(address(), settings(5));
  // The router learns the new multiplier: its detection time becomes 5 x 300 ms.
  ASSERT_TRUE(advance_until(
      [&] {
        const auto r = router_bfd_.status(router_.address());
        return r && r->detection_time == bfd::Interval(1500ms);
      },
      3000ms));
  EXPECT_EQ(peers_->view(address())->detect_multiplier, 5u);
  EXPECT_FALSE(advance_until([&] { return c->closed() || bfd_state() != "Up"; }, 3000ms));
  EXPECT_EQ(bgp_status().state, bgp::State::kEstablished);
}

TEST_F(BfdPeersTest, RemovingBfdOpensTheGate) {
  peers_->set(address(), settings());
  speaker_.add_peer(bgp_config());
  EXPECT_FALSE(advance_until([&] { return !router_.accepted().empty(); }, 3000ms));
  peers_->set(address(), std::nullopt);
  EXPECT_FALSE(peers_->view(address()).has_value());
  EXPECT_TRUE(advance_until([&] { return !router_.accepted().empty(); }, 1000ms));
}

TEST_F(BfdPeersTest, ASessionThatCannotStartKeepsBgpDownAndSaysWhy) {
  auto s = settings();
  s.local = IpAddress::parse("192.0.2.99").value();  // not an address of this host
  peers_->set(address(), s);
  speaker_.add_peer(bgp_config());
  const auto v = peers_->view(address());
  ASSERT_TRUE(v.has_value());
  EXPECT_NE(v->problem.find("cannot start the BFD session"), std::string::npos) << v->problem;
  // Retried every 5 s, still failing: BGP stays down, beyond the wait for a first Up too.
  EXPECT_FALSE(advance_until([&] { return !router_.accepted().empty(); }, 12000ms));
  EXPECT_EQ(bgp_status().gate_closed, "BFD session not Up yet");
}

}  // namespace
}  // namespace vipd::daemon
