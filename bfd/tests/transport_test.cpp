// Two BfdService instances over loopback sockets on the real clock (50 ms intervals): the
// handshake over IPv4 and IPv6, single hop and multihop, detection when one side goes silent,
// and the reception rules the service applies before a session sees a packet (RFC 5881 §5 TTL
// 255, the multihop minimum TTL, single-hop and multihop ports kept apart, malformed
// datagrams, unknown discriminators), each checked against a crafted datagram.
#include "bfd/transport.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <functional>

#include "common/asio_address.hpp"
#include "common/testing/run_until.hpp"

namespace vipd::bfd {
namespace {

using namespace std::chrono_literals;
using asio::ip::udp;

const IpAddress kLoopback4 = IpAddress::v4(0x7f000001);
const IpAddress kLoopback6 = IpAddress::parse_v6("::1").value();

SessionConfig fast() {
  SessionConfig c;
  c.desired_min_tx = 50ms;
  c.required_min_rx = 50ms;
  c.detect_mult = 3;
  return c;
}

using vipd::testing::run_until;

void run_for(asio::io_context& io, std::chrono::milliseconds duration) {
  run_until(
      io, [] { return false; }, duration);
}

struct Change {
  IpAddress peer;
  State from;
  State to;
  Diag diag;
  std::chrono::steady_clock::time_point at;
};

// Two services on one loopback address, each a session to the other.
class BfdServicePair : public ::testing::Test {
 protected:
  // B's Detect Mult is `b_mult`: A's detection time is b_mult x 50 ms. Multihop: both
  // sessions are RFC 5883 sessions, A's with the minimum TTL `a_minimum_ttl`.
  void start(const IpAddress& address, std::uint8_t b_mult = 3, bool multihop = false,
             std::uint8_t a_minimum_ttl = kDefaultMinimumTtl) {
    address_ = address;
    b_mult_ = b_mult;
    ServiceOptions options;
    options.port = 0;
    options.multihop_port = 0;
    options.ipv4 = address.is_v4();
    options.ipv6 = address.is_v6();
    a_ = std::make_unique<BfdService>(io_.get_executor(), clock_, options);
    b_ = std::make_unique<BfdService>(io_.get_executor(), clock_, options);
    ASSERT_TRUE(a_->start());
    ASSERT_TRUE(b_->start());
    a_->on_state([this](const IpAddress& peer, State from, State to, Diag diag) {
      a_changes_.push_back({peer, from, to, diag, std::chrono::steady_clock::now()});
    });
    const auto receiving_port = [&](const BfdService& s) {
      return multihop ? s.multihop_port(address.family()) : s.port(address.family());
    };
    ASSERT_TRUE(a_->add_session(
        address, address, fast(),
        {.peer_port = receiving_port(*b_), .multihop = multihop, .minimum_ttl = a_minimum_ttl}));
    auto b_config = fast();
    b_config.detect_mult = b_mult;
    ASSERT_TRUE(b_->add_session(address, address, b_config,
                                {.peer_port = receiving_port(*a_), .multihop = multihop}));
  }

  // Both Up, and both sides running on the fast intervals (the Poll Sequence that announces
  // them after Up is over).
  bool up_and_fast() const {
    const auto a = a_->status(address_);
    const auto b = b_->status(address_);
    return a && b && a->state == State::kUp && b->state == State::kUp &&
           a->detection_time == b_mult_ * Interval(50ms) && b->detection_time == 150ms;
  }

  // A datagram from a plain socket (not a BFD session) on the test's address to A's single-hop
  // (or multihop) receiving port on `to` (the test's address when unset).
  void send_to_a(std::span<const std::uint8_t> bytes, int ttl, bool multihop = false,
                 std::optional<IpAddress> to = std::nullopt) {
    udp::socket s(io_, udp::endpoint(to_asio(address_), 0));
    const int value = ttl;
    if (address_.is_v4()) {
      ASSERT_EQ(::setsockopt(s.native_handle(), IPPROTO_IP, IP_TTL, &value, sizeof value), 0);
    } else {
      ASSERT_EQ(
          ::setsockopt(s.native_handle(), IPPROTO_IPV6, IPV6_UNICAST_HOPS, &value, sizeof value),
          0);
    }
    const auto port = multihop ? a_->multihop_port(address_.family()) : a_->port(address_.family());
    s.send_to(asio::buffer(bytes.data(), bytes.size()),
              udp::endpoint(to_asio(to.value_or(address_)), *port));
  }

  // What B would send A in Down: accepted, it takes A's session Down with diag 3.
  ControlPacket down_from_b() const {
    ControlPacket p;
    p.state = State::kDown;
    p.detect_mult = 3;
    p.my_discriminator = b_->status(address_)->local_discriminator;
    p.your_discriminator = a_->status(address_)->local_discriminator;
    p.desired_min_tx_us = 1'000'000;
    p.required_min_rx_us = 50'000;
    return p;
  }

  asio::io_context io_;
  SteadyTimerClock clock_;
  IpAddress address_;
  int b_mult_ = 3;
  std::unique_ptr<BfdService> a_;
  std::unique_ptr<BfdService> b_;
  std::vector<Change> a_changes_;
};

TEST_F(BfdServicePair, ReachUpOverIpv4AndNegotiateTheFastIntervals) {
  start(kLoopback4);
  ASSERT_TRUE(run_until(
      io_, [&] { return up_and_fast(); }, 4s));
  const auto a = a_->status(kLoopback4).value();
  const auto b = b_->status(kLoopback4).value();
  EXPECT_EQ(a.remote_discriminator, b.local_discriminator);
  EXPECT_EQ(b.remote_discriminator, a.local_discriminator);
  EXPECT_NE(a.local_discriminator, 0u);
  EXPECT_EQ(a.transmit_interval, 50ms);
  EXPECT_EQ(a.diag, Diag::kNone);
  EXPECT_GT(a.packets_sent, 0u);
  EXPECT_GT(a.packets_received, 0u);
  EXPECT_EQ(a.packets_dropped, 0u);
  EXPECT_TRUE(a.last_change.has_value());
  // RFC 5881 §4: each session sends from its own port in the dynamic range.
  EXPECT_GE(a.source_port, kSourcePortMin);
  EXPECT_GE(b.source_port, kSourcePortMin);
  EXPECT_NE(a.source_port, b.source_port);
  // Down -> Init -> Up, reported through the callback, about the peer.
  ASSERT_EQ(a_changes_.size(), 2u);
  EXPECT_EQ(a_changes_[0].peer, kLoopback4);
  EXPECT_EQ(a_changes_[0].to, State::kInit);
  EXPECT_EQ(a_changes_[1].to, State::kUp);
  EXPECT_EQ(a_->counters().malformed, 0u);
  EXPECT_EQ(a_->counters().bad_ttl, 0u);
  // Stays Up: packets keep flowing at the fast rate.
  const auto received = a.packets_received;
  run_for(io_, 300ms);
  EXPECT_EQ(a_->state(kLoopback4), State::kUp);
  EXPECT_GE(a_->status(kLoopback4)->packets_received, received + 4);
}

TEST_F(BfdServicePair, ReachUpOverIpv6) {
  start(kLoopback6);
  ASSERT_TRUE(run_until(
      io_, [&] { return up_and_fast(); }, 4s));
  EXPECT_EQ(a_->counters().bad_ttl, 0u);
}

TEST_F(BfdServicePair, ReconfiguringARunningSessionKeepsItUpAndReachesThePeer) {
  start(kLoopback4);
  ASSERT_TRUE(run_until(
      io_, [&] { return up_and_fast(); }, 4s));
  const auto before = a_->status(kLoopback4).value();
  auto slower = fast();
  slower.detect_mult = 5;
  slower.required_min_rx = 80ms;
  ASSERT_TRUE(a_->reconfigure_session(kLoopback4, slower));
  // B learns A's multiplier: its detection time becomes 5 x 50 ms (A sends every 50 ms); A's
  // own becomes 3 x 80 ms (B may not send faster than A now asks), after the Poll Sequence.
  ASSERT_TRUE(run_until(
      io_,
      [&] {
        return b_->status(kLoopback4)->detection_time == 250ms &&
               a_->status(kLoopback4)->detection_time == 240ms;
      },
      3s));
  const auto after = a_->status(kLoopback4).value();
  EXPECT_EQ(after.state, State::kUp);
  EXPECT_EQ(after.local_discriminator, before.local_discriminator);
  EXPECT_EQ(a_changes_.size(), 2u) << "no state change";
  EXPECT_EQ(b_->state(kLoopback4), State::kUp);
  EXPECT_FALSE(a_->reconfigure_session(IpAddress::v4(0x7f000002), slower));
  slower.detect_mult = 0;
  EXPECT_FALSE(a_->reconfigure_session(kLoopback4, slower));
}

TEST_F(BfdServicePair, ASilentPeerIsDetectedDownWithDiag1AfterTheDetectionTime) {
  start(kLoopback4);
  ASSERT_TRUE(run_until(
      io_, [&] { return up_and_fast(); }, 4s));
  a_changes_.clear();
  b_->stop();
  const auto stopped = std::chrono::steady_clock::now();
  ASSERT_TRUE(run_until(
      io_, [&] { return !a_changes_.empty(); }, 2s));
  EXPECT_EQ(a_changes_[0].from, State::kUp);
  EXPECT_EQ(a_changes_[0].to, State::kDown);
  EXPECT_EQ(a_changes_[0].diag, Diag::kControlDetectionTimeExpired);
  // 3 x 50 ms after the last packet, which B sent at most 50 ms before it stopped.
  const auto took = a_changes_[0].at - stopped;
  EXPECT_GE(took, 100ms);
  EXPECT_LE(took, 600ms);  // slack for a loaded machine
  EXPECT_EQ(a_->status(kLoopback4)->remote_discriminator, 0u);
}

TEST_F(BfdServicePair, APacketNotReceivedWithTtl255IsDroppedAndTheSameWithTtl255IsNot) {
  start(kLoopback4);
  ASSERT_TRUE(run_until(
      io_, [&] { return up_and_fast(); }, 4s));
  const auto bytes = encode(down_from_b());
  send_to_a(bytes, 64);
  ASSERT_TRUE(run_until(
      io_, [&] { return a_->counters().bad_ttl == 1; }, 1s));
  EXPECT_EQ(a_->status(kLoopback4)->packets_dropped, 1u);
  run_for(io_, 200ms);
  EXPECT_EQ(a_->state(kLoopback4), State::kUp);
  // The control: the very same datagram with TTL 255 is B saying Down (RFC 5880 §6.8.6).
  a_changes_.clear();
  send_to_a(bytes, 255);
  ASSERT_TRUE(run_until(
      io_, [&] { return !a_changes_.empty(); }, 1s));
  EXPECT_EQ(a_changes_[0].to, State::kDown);
  EXPECT_EQ(a_changes_[0].diag, Diag::kNeighborSignaledSessionDown);
  EXPECT_EQ(a_->counters().bad_ttl, 1u);
}

TEST_F(BfdServicePair, MalformedAndUnknownPacketsAreCountedAndDropped) {
  start(kLoopback6);
  ASSERT_TRUE(run_until(
      io_, [&] { return up_and_fast(); }, 4s));
  auto bytes = encode(down_from_b());
  // Version 2, then a truncated datagram: decode() refuses both.
  auto bad_version = bytes;
  bad_version[0] = static_cast<std::uint8_t>((2u << 5) | (bad_version[0] & 0x1f));
  send_to_a(bad_version, 255);
  send_to_a(std::span<const std::uint8_t>(bytes.data(), 3), 255);
  // A discriminator no session has.
  auto unknown = down_from_b();
  unknown.your_discriminator ^= 0x5a5a5a5a;
  send_to_a(encode(unknown), 255);
  // Up with Your Discriminator 0: decode() refuses it (RFC 5880 §6.8.6).
  auto zero = down_from_b();
  zero.state = State::kUp;
  zero.your_discriminator = 0;
  send_to_a(encode(zero), 255);
  ASSERT_TRUE(run_until(
      io_, [&] { return a_->counters().malformed == 3 && a_->counters().no_session == 1; }, 1s));
  run_for(io_, 200ms);
  EXPECT_EQ(a_->counters().malformed, 3u);
  EXPECT_EQ(a_->counters().no_session, 1u);
  EXPECT_EQ(a_->state(kLoopback6), State::kUp);
  EXPECT_EQ(a_->status(kLoopback6)->diag, Diag::kNone);
}

TEST_F(BfdServicePair, AdminDownIsSignalledToThePeerAndRemovalStopsTheSession) {
  // Out of Up, B's packets slow to the 1 s rate at once (RFC 5880 §6.8.3), AdminDown
  // included: A's detection time must outlast that for the AdminDown packet to reach it.
  start(kLoopback4, 30);
  ASSERT_TRUE(run_until(
      io_, [&] { return up_and_fast(); }, 4s));
  ASSERT_TRUE(b_->disable_session(kLoopback4, Diag::kAdministrativelyDown));
  a_changes_.clear();
  ASSERT_TRUE(run_until(
      io_, [&] { return !a_changes_.empty(); }, 1s));
  EXPECT_EQ(a_changes_[0].to, State::kDown);
  EXPECT_EQ(a_changes_[0].diag, Diag::kNeighborSignaledSessionDown);
  ASSERT_TRUE(b_->enable_session(kLoopback4));
  ASSERT_TRUE(run_until(
      io_, [&] { return up_and_fast(); }, 4s));

  EXPECT_TRUE(a_->remove_session(kLoopback4));
  EXPECT_FALSE(a_->remove_session(kLoopback4));
  EXPECT_FALSE(a_->state(kLoopback4).has_value());
  EXPECT_TRUE(a_->status().empty());
}

TEST_F(BfdServicePair, MultihopSessionsReachUpOverIpv4) {
  start(kLoopback4, 3, true);
  ASSERT_TRUE(run_until(
      io_, [&] { return up_and_fast(); }, 4s));
  const auto a = a_->status(kLoopback4).value();
  EXPECT_TRUE(a.multihop);
  EXPECT_EQ(a.peer_port, b_->multihop_port(Family::kV4));
  EXPECT_EQ(a.minimum_ttl, kDefaultMinimumTtl);
  EXPECT_GE(a.source_port, kSourcePortMin);
  EXPECT_EQ(a.remote_discriminator, b_->status(kLoopback4)->local_discriminator);
  EXPECT_EQ(a.packets_dropped, 0u);
  EXPECT_EQ(a_->counters().bad_ttl, 0u);
  EXPECT_EQ(a_->counters().no_session, 0u);
  EXPECT_EQ(b_->counters().no_session, 0u);
}

TEST_F(BfdServicePair, MultihopSessionsReachUpOverIpv6) {
  start(kLoopback6, 3, true);
  ASSERT_TRUE(run_until(
      io_, [&] { return up_and_fast(); }, 4s));
  EXPECT_TRUE(a_->status(kLoopback6)->multihop);
  EXPECT_TRUE(b_->status(kLoopback6)->multihop);
  EXPECT_EQ(a_->counters().bad_ttl, 0u);
  EXPECT_EQ(a_->counters().no_session, 0u);
}

// The minimum TTL is the lowest accepted: 199 is dropped, 200 is not (FRR's `ttl <
// minimum-ttl` drop rule).
class MultihopMinimumTtl : public BfdServicePair, public ::testing::WithParamInterface<bool> {};

TEST_P(MultihopMinimumTtl, APacketBelowTheMinimumIsDroppedAndOneAtTheMinimumIsNot) {
  start(GetParam() ? kLoopback6 : kLoopback4, 3, true, 200);
  ASSERT_TRUE(run_until(
      io_, [&] { return up_and_fast(); }, 4s));
  const auto bytes = encode(down_from_b());
  send_to_a(bytes, 199, true);
  ASSERT_TRUE(run_until(
      io_, [&] { return a_->counters().bad_ttl == 1; }, 1s));
  EXPECT_EQ(a_->status(address_)->packets_dropped, 1u);
  run_for(io_, 200ms);
  EXPECT_EQ(a_->state(address_), State::kUp);
  // The very same datagram with TTL 200 is B saying Down (RFC 5880 §6.8.6).
  a_changes_.clear();
  send_to_a(bytes, 200, true);
  ASSERT_TRUE(run_until(
      io_, [&] { return !a_changes_.empty(); }, 1s));
  EXPECT_EQ(a_changes_[0].to, State::kDown);
  EXPECT_EQ(a_changes_[0].diag, Diag::kNeighborSignaledSessionDown);
  EXPECT_EQ(a_->counters().bad_ttl, 1u);
  EXPECT_EQ(a_->status(address_)->packets_dropped, 1u);
}

INSTANTIATE_TEST_SUITE_P(Ipv4AndIpv6, MultihopMinimumTtl, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "Ipv6" : "Ipv4";
                         });

// B saying Down, with and without Your Discriminator: each would take A's session Down.
std::vector<ControlPacket> downs(const ControlPacket& down) {
  auto zero = down;
  zero.your_discriminator = 0;
  return {down, zero};
}

TEST_F(BfdServicePair, APacketOnTheMultihopPortDoesNotReachASingleHopSession) {
  start(kLoopback4);
  ASSERT_TRUE(run_until(
      io_, [&] { return up_and_fast(); }, 4s));
  for (const auto& p : downs(down_from_b())) send_to_a(encode(p), 255, true);
  ASSERT_TRUE(run_until(
      io_, [&] { return a_->counters().no_session == 2; }, 1s));
  run_for(io_, 200ms);
  EXPECT_EQ(a_->state(kLoopback4), State::kUp);
  EXPECT_EQ(a_->status(kLoopback4)->diag, Diag::kNone);
  // The control: on the single-hop port, the same datagram takes the session Down.
  a_changes_.clear();
  send_to_a(encode(down_from_b()), 255, false);
  ASSERT_TRUE(run_until(
      io_, [&] { return !a_changes_.empty(); }, 1s));
  EXPECT_EQ(a_changes_[0].diag, Diag::kNeighborSignaledSessionDown);
  EXPECT_EQ(a_->counters().no_session, 2u);
}

TEST_F(BfdServicePair, APacketOnTheSingleHopPortDoesNotReachAMultihopSession) {
  start(kLoopback6, 3, true);
  ASSERT_TRUE(run_until(
      io_, [&] { return up_and_fast(); }, 4s));
  for (const auto& p : downs(down_from_b())) send_to_a(encode(p), 255, false);
  ASSERT_TRUE(run_until(
      io_, [&] { return a_->counters().no_session == 2; }, 1s));
  run_for(io_, 200ms);
  EXPECT_EQ(a_->state(kLoopback6), State::kUp);
  EXPECT_EQ(a_->counters().bad_ttl, 0u);
  a_changes_.clear();
  send_to_a(encode(down_from_b()), 255, true);
  ASSERT_TRUE(run_until(
      io_, [&] { return !a_changes_.empty(); }, 1s));
  EXPECT_EQ(a_changes_[0].diag, Diag::kNeighborSignaledSessionDown);
  EXPECT_EQ(a_->counters().no_session, 2u);
}

// RFC 5883 §4.1: with Your Discriminator 0, the source/destination address pair selects the
// session; A's session has local address 127.0.0.1, so a packet to 127.0.0.2 is not for it.
TEST_F(BfdServicePair, AMultihopPacketWithoutYourDiscriminatorMustBeSentToTheLocalAddress) {
  start(kLoopback4, 3, true);
  ASSERT_TRUE(run_until(
      io_, [&] { return up_and_fast(); }, 4s));
  auto down = down_from_b();
  down.your_discriminator = 0;
  const auto bytes = encode(down);
  send_to_a(bytes, 255, true, IpAddress::v4(0x7f000002));
  ASSERT_TRUE(run_until(
      io_, [&] { return a_->counters().no_session == 1; }, 1s));
  run_for(io_, 200ms);
  EXPECT_EQ(a_->state(kLoopback4), State::kUp);
  a_changes_.clear();
  send_to_a(bytes, 255, true, kLoopback4);
  ASSERT_TRUE(run_until(
      io_, [&] { return !a_changes_.empty(); }, 1s));
  EXPECT_EQ(a_changes_[0].diag, Diag::kNeighborSignaledSessionDown);
  EXPECT_EQ(a_->counters().no_session, 1u);
}

TEST(BfdService, RefusesADuplicatePeerAMixedFamilyAndABadConfiguration) {
  asio::io_context io;
  SteadyTimerClock clock;
  ServiceOptions options;
  options.port = 0;
  options.multihop_port = 0;
  BfdService s(io.get_executor(), clock, options);
  ASSERT_TRUE(s.start());
  EXPECT_FALSE(s.start());
  const SessionOptions port9{.peer_port = 9};
  ASSERT_TRUE(s.add_session(kLoopback4, kLoopback4, fast(), port9));
  EXPECT_EQ(s.add_session(kLoopback4, std::nullopt, fast(), port9).error().code(),
            make_error_code(Errc::kAlreadyExists));
  // One session per peer address, whatever its mode.
  EXPECT_EQ(s.add_session(kLoopback4, std::nullopt, fast(), {.peer_port = 9, .multihop = true})
                .error()
                .code(),
            make_error_code(Errc::kAlreadyExists));
  EXPECT_EQ(s.add_session(kLoopback6, kLoopback4, fast(), port9).error().code(),
            make_error_code(Errc::kInvalidArgument));
  auto echo = fast();
  echo.echo_mode = true;
  EXPECT_FALSE(s.add_session(kLoopback6, std::nullopt, echo, port9));
  auto taken = fast();
  taken.local_discriminator = s.status(kLoopback4)->local_discriminator;
  EXPECT_EQ(s.add_session(kLoopback6, std::nullopt, taken, port9).error().code(),
            make_error_code(Errc::kAlreadyExists));
  EXPECT_EQ(s.status().size(), 1u);
}

TEST(BfdService, TheModeSetsThePeerPortAndTheTtlRule) {
  asio::io_context io;
  SteadyTimerClock clock;
  ServiceOptions options;
  options.port = 0;
  options.multihop_port = 0;
  BfdService s(io.get_executor(), clock, options);
  ASSERT_TRUE(s.start());
  ASSERT_NE(s.port(Family::kV4), s.multihop_port(Family::kV4));
  ASSERT_NE(s.port(Family::kV6), s.multihop_port(Family::kV6));
  // Passive: nothing is sent to the real BFD ports of this host.
  auto passive = fast();
  passive.passive = true;
  ASSERT_TRUE(s.add_session(kLoopback4, std::nullopt, passive));
  ASSERT_TRUE(s.add_session(kLoopback6, std::nullopt, passive, {.multihop = true}));
  const auto single = s.status(kLoopback4).value();
  EXPECT_FALSE(single.multihop);
  EXPECT_EQ(single.peer_port, kSingleHopPort);  // RFC 5881 §4
  EXPECT_EQ(single.minimum_ttl, 255);           // RFC 5881 §5
  const auto multi = s.status(kLoopback6).value();
  EXPECT_TRUE(multi.multihop);
  EXPECT_EQ(multi.peer_port, kMultiHopPort);  // RFC 5883 §5: 4784
  EXPECT_EQ(multi.minimum_ttl, kDefaultMinimumTtl);
  EXPECT_GE(multi.source_port, kSourcePortMin);
  EXPECT_EQ(multi.packets_sent, 0u);
}

}  // namespace
}  // namespace vipd::bfd
