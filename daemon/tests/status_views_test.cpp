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

planner::Decision decision(std::string service, std::string address, std::string peer,
                           planner::Reason reason, std::string prefix = "") {
  planner::Decision d;
  d.service = std::move(service);
  d.address = IpAddress::parse(address).value();
  if (!prefix.empty()) d.prefix = Prefix::parse(prefix).value();
  d.peer = std::move(peer);
  d.reason = reason;
  return d;
}

TEST(Announcements, FilteredPagedAndSummarised) {
  using R = planner::Reason;
  const std::vector<planner::Decision> decisions = {
      decision("default/a", "198.18.0.1", "tor1", R::kAnnounced, "198.18.0.1/32"),
      decision("default/a", "198.18.0.1", "tor2", R::kAnnounced, "198.18.0.0/24"),
      decision("default/b", "198.18.1.1", "", R::kNoEndpoints),
      decision("other/c", "2001:db8::1", "tor1", R::kAnnounced, "2001:db8::1/128"),
  };
  const std::map<std::string, PeerIdentity> peers = {{"192.0.2.1", {"tor1", 64500, 64501}},
                                                     {"192.0.2.2", {"tor2", 64500, 64501}}};
  const auto shown = [&](admin::StatusQuery q) {
    admin::DaemonStatus s;
    fill_announcements(s, decisions, peers, q);
    std::vector<std::string> out;
    for (const auto& a : s.announcements) out.push_back(a.service + " " + a.peer + " " + a.prefix);
    EXPECT_EQ(s.announcements_count.total, 4u);
    EXPECT_EQ(s.announcement_reasons,
              (std::map<std::string, std::uint64_t>{{"announced", 3}, {"noEndpoints", 1}}));
    return out;
  };
  admin::StatusQuery q;
  EXPECT_EQ(shown(q).size(), 4u);
  // A peer by name or by address; a decision for every peer matches either.
  q.peer = "tor2";
  const std::vector<std::string> tor2 = {"default/a tor2 198.18.0.0/24", "default/b  198.18.1.1"};
  EXPECT_EQ(shown(q), tor2);
  q.peer = "192.0.2.2";
  EXPECT_EQ(shown(q), tor2);
  // A namespace, and a prefix overlapping the announced one (the /24 holds the address).
  q = {};
  q.service = "other/";
  EXPECT_EQ(shown(q), (std::vector<std::string>{"other/c tor1 2001:db8::1/128"}));
  q = {};
  q.prefix = Prefix::parse("198.18.0.1/32").value();
  EXPECT_EQ(shown(q), (std::vector<std::string>{"default/a tor1 198.18.0.1/32",
                                                "default/a tor2 198.18.0.0/24"}));
  // One page, counted.
  q = {};
  q.offset = 1;
  q.limit = 2;
  admin::DaemonStatus s;
  fill_announcements(s, decisions, peers, q);
  ASSERT_EQ(s.announcements.size(), 2u);
  EXPECT_EQ(s.announcements[0].peer, "tor2");
  EXPECT_EQ(s.announcements_count.matched, 4u);
  EXPECT_EQ(s.announcements_count.offset, 1u);
  EXPECT_EQ(s.announcements_count.shown, 2u);
  // /metrics asks for none, and the summary is still whole.
  s = {};
  fill_announcements(s, decisions, peers, admin::metrics_query());
  EXPECT_TRUE(s.announcements.empty());
  EXPECT_EQ(s.announcement_reasons.at("announced"), 3u);
}

}  // namespace
}  // namespace vipd::daemon
