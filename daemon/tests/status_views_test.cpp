// The speaker's peer status as admin's PeerView: every counter /status and /metrics show is
// carried over from bgp::PeerStatus.
#include "daemon/status_views.hpp"

#include <gtest/gtest.h>

namespace vipd::daemon {
namespace {

using namespace std::chrono_literals;

TEST(PeerView, CarriesTheSpeakersCounters) {
  const Clock::time_point now{1h};
  bgp::PeerStatus s;
  s.address = "192.0.2.1";
  s.state = bgp::State::kEstablished;
  s.advertised_ipv4 = 2;
  s.advertised_ipv6 = 1;
  s.updates_sent = 5;
  s.messages_received = 9;
  s.route_refreshes_answered = 3;
  s.established_since = now - 90s;
  s.transitions = {{bgp::Reason::kKeepaliveReceived, 4}};
  const PeerIdentity identity{"router", 64500, 64501};

  const auto v = peer_view(s, &identity, now);
  EXPECT_EQ(v.name, "router");
  EXPECT_EQ(v.address, "192.0.2.1");
  EXPECT_EQ(v.asn, 64500u);
  EXPECT_EQ(v.local_asn, 64501u);
  EXPECT_EQ(v.state, "Established");
  EXPECT_TRUE(v.established);
  EXPECT_EQ(v.advertised_ipv4, 2u);
  EXPECT_EQ(v.advertised_ipv6, 1u);
  EXPECT_EQ(v.updates_sent, 5u);
  EXPECT_EQ(v.messages_received, 9u);
  EXPECT_EQ(v.route_refreshes_answered, 3u);
  EXPECT_EQ(v.established_for, 90s);
  EXPECT_EQ(v.transitions.at("keepalive-received"), 4u);
}

TEST(PeerView, APeerStillClosingHasNoIdentity) {
  bgp::PeerStatus s;
  s.address = "2001:db8::2";
  s.route_refreshes_answered = 1;  // counted before the peer was removed
  const auto v = peer_view(s, nullptr, Clock::time_point{});
  EXPECT_EQ(v.name, "");
  EXPECT_EQ(v.state, "Idle");
  EXPECT_FALSE(v.established);
  EXPECT_FALSE(v.established_for.has_value());
  EXPECT_EQ(v.route_refreshes_answered, 1u);
}

}  // namespace
}  // namespace vipd::daemon
