// One Session against a scripted router over loopback sockets: reconnect backoff on the fake
// clock, and (on the real clock) a hold-timer expiry that is already queued when the KEEPALIVE
// that re-arms the timer is read.
#include "bgp/session.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "bgp/tests/scripted_router.hpp"
#include "common/asio_address.hpp"
#include "common/testing/fake_timer_clock.hpp"

namespace vipd::bgp {
namespace {

using namespace std::chrono_literals;
using scripted::router_open;
using scripted::run_until;
using scripted::settle;

IpAddress loopback() { return IpAddress::v4(0x7f000001); }

SessionConfig config(std::uint16_t port) {
  SessionConfig c;
  c.peer_address = loopback();
  c.peer_port = port;
  c.fsm.local_as = 64496;
  c.fsm.peer_as = 64500;
  c.fsm.router_id = 0xc0000201;
  c.fsm.families = {kIpv4Unicast};
  c.fsm.backoff_initial = 1s;
  c.fsm.backoff_max = 8s;
  c.fsm.jitter_seed = 7;
  return c;
}

// The reconnect delays the pure FSM computes for a peer that refuses every connection.
std::vector<Duration> expected_backoff(const FsmConfig& config, int attempts) {
  Fsm fsm(config);
  TimePoint now{};
  fsm.handle(event::Start{}, now);
  std::vector<Duration> delays;
  for (int i = 0; i < attempts; ++i) {
    for (const auto& a : fsm.handle(event::ConnectFailed{"refused"}, now)) {
      if (const auto* t = std::get_if<action::StartTimer>(&a); t && t->timer == Timer::kReconnect) {
        delays.push_back(t->after);
      }
    }
    now += delays.back();
    fsm.handle(event::TimerFired{Timer::kReconnect}, now);
  }
  return delays;
}

// A loopback port that refuses connections (nothing listens on it), and can be listened on
// again later.
std::uint16_t closed_port(asio::io_context& io) {
  asio::ip::tcp::acceptor a(io, to_endpoint(loopback(), 0));
  return a.local_endpoint().port();
}

TEST(Session, ReconnectsAtTheDelaysTheFsmComputesCappedAndNeverInATightLoop) {
  asio::io_context io;
  vipd::testing::FakeTimerClock clock;
  const std::uint16_t port = closed_port(io);
  const SessionConfig c = config(port);
  struct Attempt {
    Clock::time_point at;
    std::optional<Clock::time_point> failed;
  };
  std::vector<Attempt> attempts;
  Session::Callbacks callbacks;
  callbacks.transition = [&](const action::Transition& t) {
    if (t.to == State::kConnect) attempts.push_back({clock.now(), std::nullopt});
    if (t.reason == Reason::kConnectFailed) attempts.back().failed = clock.now();
  };
  Session session(io.get_executor(), clock, c, callbacks);
  session.start();
  ASSERT_EQ(attempts.size(), 1u);
  ASSERT_TRUE(run_until(io, [&] { return attempts.back().failed.has_value(); }));

  const auto delays = expected_backoff(c.fsm, 8);
  for (std::size_t i = 0; i < delays.size(); ++i) {
    SCOPED_TRACE("retry " + std::to_string(i + 1));
    // Capped exponential with jitter in [half, whole].
    const Duration cap = std::min<Duration>(8s, Duration(1000LL << i));
    EXPECT_GE(delays[i], cap / 2);
    EXPECT_LE(delays[i], cap);
    // Nothing until the delay has passed, however long the loop runs meanwhile.
    settle(io);
    clock.advance(delays[i] - 1ms);
    settle(io);
    ASSERT_EQ(attempts.size(), i + 1) << "an attempt before its time";
    clock.advance(1ms);
    ASSERT_EQ(attempts.size(), i + 2);
    EXPECT_EQ(attempts[i + 1].at - *attempts[i].failed, delays[i]);
    ASSERT_TRUE(run_until(io, [&] { return attempts.back().failed.has_value(); }));
  }
  EXPECT_EQ(session.state(), State::kIdle);

  // The attempts really go to the port: listen there, and the next one arrives.
  asio::ip::tcp::acceptor listener(io);
  listener.open(asio::ip::tcp::v4());
  listener.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  listener.bind(to_endpoint(loopback(), port));
  listener.listen();
  std::optional<asio::ip::tcp::socket> accepted;
  listener.async_accept([&](const boost::system::error_code& ec, asio::ip::tcp::socket s) {
    if (!ec) accepted = std::move(s);
  });
  clock.advance(8s);
  ASSERT_TRUE(run_until(io, [&] { return accepted.has_value(); }));
  ASSERT_TRUE(run_until(io, [&] { return session.state() == State::kOpenSent; }));
  EXPECT_EQ(attempts.size(), delays.size() + 2);
}

TEST(Session, AKeepaliveReadWhileTheHoldExpiryIsQueuedKeepsTheSession) {
  // Real clock and real timers: the one case a fake clock cannot show. The loop stops running
  // until the hold deadline has passed with the router's KEEPALIVE already in the socket; when
  // it runs again, both are ready, and Asio's reactor queues the socket's completion before the
  // timer's. The KEEPALIVE re-arms the hold timer while the old expiry is queued: that expiry
  // must do nothing (common/timer.hpp), or the session would fail with 4/0 despite the
  // KEEPALIVE. Takes about 3.5 s (3 s is the smallest hold time).
  asio::io_context io;
  SteadyTimerClock clock;
  scripted::Router router(io);
  std::optional<Clock::time_point> up_at;
  Session::Callbacks callbacks;
  callbacks.up = [&](const action::Up&) { up_at = clock.now(); };
  Session session(io.get_executor(), clock, config(router.port()), callbacks);
  session.start();
  ASSERT_TRUE(run_until(
      io, [&] { return !router.accepted().empty() && router.connection(0).count<Open>() == 1; }));
  auto& c = router.connection(0);
  c.send(router_open(0xc0000209, 3));  // hold 3 s, vipd's keepalive every second
  c.send(Keepalive{});
  ASSERT_TRUE(run_until(io, [&] { return up_at.has_value(); }));
  // The hold timer was armed just before `up_at` and runs out 3 s later.
  ASSERT_TRUE(run_until(
      io, [&] { return clock.now() >= *up_at + 2500ms; }, 5s));
  ASSERT_EQ(session.state(), State::kEstablished);
  const auto received = session.messages_received();
  c.send(Keepalive{});
  std::this_thread::sleep_until(*up_at + 3300ms);  // the deadline passes, the loop not running
  ASSERT_TRUE(run_until(io, [&] { return session.messages_received() > received; }));
  settle(io);
  EXPECT_EQ(session.state(), State::kEstablished);
  EXPECT_EQ(c.count<Notification>(), 0u);
  EXPECT_FALSE(c.closed());
}

}  // namespace
}  // namespace vipd::bgp
