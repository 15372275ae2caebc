// Two BfdService instances over loopback sockets on the real clock (50 ms intervals): the
// handshake over IPv4 and IPv6, detection when one side goes silent, and the reception rules
// the service applies before a session sees a packet (RFC 5881 §5 TTL 255, malformed
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
  // B's Detect Mult is `b_mult`: A's detection time is b_mult x 50 ms.
  void start(const IpAddress& address, std::uint8_t b_mult = 3) {
    address_ = address;
    b_mult_ = b_mult;
    ServiceOptions options;
    options.port = 0;
    options.ipv4 = address.is_v4();
    options.ipv6 = address.is_v6();
    a_ = std::make_unique<BfdService>(io_.get_executor(), clock_, options);
    b_ = std::make_unique<BfdService>(io_.get_executor(), clock_, options);
    ASSERT_TRUE(a_->start());
    ASSERT_TRUE(b_->start());
    a_->on_state([this](const IpAddress& peer, State from, State to, Diag diag) {
      a_changes_.push_back({peer, from, to, diag, std::chrono::steady_clock::now()});
    });
    ASSERT_TRUE(a_->add_session(address, address, fast(), *b_->port(address.family())));
    auto b_config = fast();
    b_config.detect_mult = b_mult;
    ASSERT_TRUE(b_->add_session(address, address, b_config, *a_->port(address.family())));
  }

  // Both Up, and both sides running on the fast intervals (the Poll Sequence that announces
  // them after Up is over).
  bool up_and_fast() const {
    const auto a = a_->status(address_);
    const auto b = b_->status(address_);
    return a && b && a->state == State::kUp && b->state == State::kUp &&
           a->detection_time == b_mult_ * Interval(50ms) && b->detection_time == 150ms;
  }

  // A datagram from a plain socket (not a BFD session) to A's receiving port.
  void send_to_a(std::span<const std::uint8_t> bytes, int ttl) {
    udp::socket s(io_, udp::endpoint(to_asio(address_), 0));
    const int value = ttl;
    if (address_.is_v4()) {
      ASSERT_EQ(::setsockopt(s.native_handle(), IPPROTO_IP, IP_TTL, &value, sizeof value), 0);
    } else {
      ASSERT_EQ(
          ::setsockopt(s.native_handle(), IPPROTO_IPV6, IPV6_UNICAST_HOPS, &value, sizeof value),
          0);
    }
    s.send_to(asio::buffer(bytes.data(), bytes.size()),
              udp::endpoint(to_asio(address_), *a_->port(address_.family())));
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

TEST(BfdService, RefusesADuplicatePeerAMixedFamilyAndABadConfiguration) {
  asio::io_context io;
  SteadyTimerClock clock;
  ServiceOptions options;
  options.port = 0;
  BfdService s(io.get_executor(), clock, options);
  ASSERT_TRUE(s.start());
  EXPECT_FALSE(s.start());
  ASSERT_TRUE(s.add_session(kLoopback4, kLoopback4, fast(), 9));
  EXPECT_EQ(s.add_session(kLoopback4, std::nullopt, fast(), 9).error().code(),
            make_error_code(Errc::kAlreadyExists));
  EXPECT_EQ(s.add_session(kLoopback6, kLoopback4, fast(), 9).error().code(),
            make_error_code(Errc::kInvalidArgument));
  auto echo = fast();
  echo.echo_mode = true;
  EXPECT_FALSE(s.add_session(kLoopback6, std::nullopt, echo, 9));
  auto taken = fast();
  taken.local_discriminator = s.status(kLoopback4)->local_discriminator;
  EXPECT_EQ(s.add_session(kLoopback6, std::nullopt, taken, 9).error().code(),
            make_error_code(Errc::kAlreadyExists));
  EXPECT_EQ(s.status().size(), 1u);
}

}  // namespace
}  // namespace vipd::bfd
