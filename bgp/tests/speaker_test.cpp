// The speaker against a scripted router over loopback sockets, with a fake clock: what the
// router sees on the wire when sessions come up, routes change, timers run out, connections
// collide and peers are re-configured.
#include "bgp/speaker.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "bgp/tests/scripted_router.hpp"
#include "common/asio_address.hpp"
#include "common/testing/fake_timer_clock.hpp"

namespace vipd::bgp {
namespace {

using namespace std::chrono_literals;
using scripted::announced;
using scripted::router_open;
using scripted::RouterConnection;
using scripted::run_until;
using scripted::settle;
using scripted::withdrawn;

constexpr std::uint32_t kLocalAs = 65550;  // four octets: the OPEN carries AS_TRANS
constexpr std::uint32_t kPeerAs = 64500;
constexpr std::uint32_t kVipdId = 0xc0000201;    // 192.0.2.1
constexpr std::uint32_t kHigherId = 0xc0000209;  // 192.0.2.9
constexpr std::uint32_t kLowerId = 0xc0000200;   // 192.0.2.0

Prefix prefix(std::string_view text) { return Prefix::parse(text).value(); }
IpAddress ip(std::string_view text) { return IpAddress::parse(text).value(); }

std::vector<Prefix> sorted(std::vector<Prefix> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::size_t end_of_ribs(const RouterConnection& c) {
  std::size_t n = 0;
  for (const auto& u : c.all<Update>()) n += u.end_of_rib().has_value();
  return n;
}

// Messages from index `from` on.
std::vector<Message> since(const RouterConnection& c, std::size_t from) {
  return {c.messages().begin() + static_cast<std::ptrdiff_t>(from), c.messages().end()};
}

template <class T>
std::vector<T> only_of(const std::vector<Message>& messages) {
  std::vector<T> out;
  for (const auto& m : messages) {
    if (const auto* t = std::get_if<T>(&m)) out.push_back(*t);
  }
  return out;
}

class SpeakerTest : public ::testing::Test {
 protected:
  PeerConfig config() const {
    PeerConfig p;
    p.session.peer_address = router_.address();
    p.session.peer_port = router_.port();
    p.session.fsm.local_as = kLocalAs;
    p.session.fsm.peer_as = kPeerAs;
    p.session.fsm.router_id = kVipdId;
    p.session.fsm.hold_time = 90;
    p.session.fsm.families = {kIpv4Unicast, kIpv6Unicast};
    p.session.fsm.jitter_seed = 1;
    p.next_hop_ipv6 = ip("2001:db8::1");  // IPv6 routes on an IPv4 session
    return p;
  }

  RouteSet routes(std::uint32_t med_of_11 = 10, bool with_12 = true) {
    RouteAttributes med10;
    med10.med = 10;
    RouteAttributes med11;
    med11.med = med_of_11;
    RouteAttributes community;
    community.communities = {(64500u << 16) | 1};
    RouteSet set;
    set[prefix("203.0.113.10/32")] = speaker_.interner().intern(med10);
    set[prefix("203.0.113.11/32")] = speaker_.interner().intern(med11);
    if (with_12) set[prefix("203.0.113.12/32")] = speaker_.interner().intern(community);
    set[prefix("2001:db8:1::/48")] = speaker_.interner().intern(RouteAttributes{});
    return set;
  }

  // Waits for vipd's `n`th connection (0-based) and its OPEN.
  RouterConnection* wait_for_connection(std::size_t n) {
    const bool ok = run_until(io_, [&] {
      return router_.accepted().size() > n && router_.connection(n).count<Open>() == 1;
    });
    EXPECT_TRUE(ok) << "vipd did not connect and send its OPEN";
    return ok ? &router_.connection(n) : nullptr;
  }

  // The router answers vipd's OPEN on `c` and confirms: Established, table and End-of-RIBs.
  void complete(RouterConnection& c, std::uint16_t hold = 90, std::uint32_t id = kHigherId) {
    c.send(router_open(id, hold));
    c.send(Keepalive{});
    EXPECT_TRUE(run_until(io_, [&] { return end_of_ribs(c) == 2; }))
        << "no full table with two End-of-RIBs";
  }

  RouterConnection* establish(std::uint16_t hold = 90) {
    RouterConnection* c = wait_for_connection(0);
    if (c) complete(*c, hold);
    return c;
  }

  PeerStatus status() {
    auto all = speaker_.status();
    EXPECT_EQ(all.size(), 1u);
    return all.empty() ? PeerStatus{} : all.front();
  }

  // vipd's next KEEPALIVE is a barrier: anything it sent before has arrived once it has.
  void keepalive_barrier(RouterConnection& c, std::chrono::milliseconds keepalive) {
    const auto before = c.count<Keepalive>();
    c.send(Keepalive{});  // keeps vipd's hold timer from running out meanwhile
    clock_.advance(keepalive);
    ASSERT_TRUE(run_until(io_, [&] { return c.count<Keepalive>() > before; }));
  }

  asio::io_context io_;
  vipd::testing::FakeTimerClock clock_;
  scripted::Router router_{io_};
  Speaker speaker_{io_.get_executor(), clock_};
};

TEST_F(SpeakerTest, EstablishSendsOpenKeepaliveThenTheFullTableAndEndOfRib) {
  speaker_.set_routes(routes());
  speaker_.add_peer(config());
  RouterConnection* c = wait_for_connection(0);
  ASSERT_NE(c, nullptr);

  const Open open = c->all<Open>().front();
  EXPECT_EQ(open.my_as, kAsTrans);  // RFC 6793: the real AS in the capability
  EXPECT_EQ(open.asn(), kLocalAs);
  EXPECT_EQ(open.hold_time, 90);
  EXPECT_EQ(open.bgp_identifier, kVipdId);
  std::vector<AfiSafi> families;
  for (const auto& cap : open.capabilities) {
    if (cap.code == static_cast<std::uint8_t>(CapabilityCode::kMultiprotocol)) {
      families.push_back(cap.multiprotocol);
    }
  }
  EXPECT_EQ(families, (std::vector<AfiSafi>{kIpv4Unicast, kIpv6Unicast}));
  EXPECT_NE(open.find(CapabilityCode::kRouteRefresh), nullptr);
  ASSERT_NE(open.find(CapabilityCode::kFourOctetAs), nullptr);
  EXPECT_EQ(open.find(CapabilityCode::kFourOctetAs)->four_octet_as, kLocalAs);
  settle(io_);
  EXPECT_EQ(c->messages().size(), 1u) << "vipd sends nothing more before the router's OPEN";

  c->send(router_open(kHigherId, 30));
  ASSERT_TRUE(run_until(io_, [&] { return c->messages().size() == 2; }));
  EXPECT_TRUE(std::holds_alternative<Keepalive>(c->messages()[1]));
  EXPECT_EQ(status().state, State::kOpenConfirm);

  c->send(Keepalive{});
  ASSERT_TRUE(run_until(io_, [&] { return end_of_ribs(*c) == 2; }));
  const auto updates = only_of<Update>(since(*c, 2));
  ASSERT_EQ(updates.size(), c->messages().size() - 2) << "only UPDATEs after the KEEPALIVE";
  EXPECT_EQ(updates[updates.size() - 2].end_of_rib(), kIpv4Unicast);  // RFC 4724 §2
  EXPECT_EQ(updates.back().end_of_rib(), kIpv6Unicast);
  EXPECT_EQ(sorted(announced(updates)),
            sorted({prefix("203.0.113.10/32"), prefix("203.0.113.11/32"), prefix("203.0.113.12/32"),
                    prefix("2001:db8:1::/48")}));
  EXPECT_TRUE(withdrawn(updates).empty());
  for (const auto& u : updates) {
    if (!u.nlri.empty()) {
      EXPECT_EQ(u.attributes.next_hop, ip("127.0.0.1"));  // the session's own address
    }
    if (u.attributes.mp_reach) {
      EXPECT_EQ(u.attributes.mp_reach->next_hop, ip("2001:db8::1"));
    }
  }

  const PeerStatus s = status();
  EXPECT_EQ(s.state, State::kEstablished);
  EXPECT_EQ(s.advertised_ipv4, 3u);
  EXPECT_EQ(s.advertised_ipv6, 1u);
  // Every UPDATE counts, End-of-RIB markers included, though one send() carried them all.
  EXPECT_EQ(s.updates_sent, updates.size());
  EXPECT_GE(updates.size(), 5u);  // MED 10, community, IPv6, two End-of-RIBs
  EXPECT_EQ(s.established_since, clock_.now());
  EXPECT_EQ(s.transitions.at(Reason::kKeepaliveReceived), 1u);
}

TEST_F(SpeakerTest, ARouteChangeSendsOneUpdateWithTheChangedPrefixOnly) {
  speaker_.set_routes(routes());
  speaker_.add_peer(config());
  RouterConnection* c = establish(30);  // keepalive every 10 s
  ASSERT_NE(c, nullptr);
  const std::uint64_t sent_before = status().updates_sent;

  // A new MED on one prefix.
  std::size_t base = c->messages().size();
  speaker_.set_routes(routes(20));
  keepalive_barrier(*c, 10s);
  auto after = since(*c, base);
  ASSERT_EQ(after.size(), 2u);
  ASSERT_TRUE(std::holds_alternative<Update>(after[0]));
  const auto& changed = std::get<Update>(after[0]);
  EXPECT_EQ(announced({changed}), std::vector<Prefix>{prefix("203.0.113.11/32")});
  EXPECT_TRUE(withdrawn({changed}).empty());
  EXPECT_EQ(changed.attributes.med, 20u);
  EXPECT_TRUE(std::holds_alternative<Keepalive>(after[1]));
  EXPECT_EQ(status().updates_sent, sent_before + 1);

  // One prefix gone.
  base = c->messages().size();
  speaker_.set_routes(routes(20, false));
  keepalive_barrier(*c, 10s);
  after = since(*c, base);
  ASSERT_EQ(after.size(), 2u);
  ASSERT_TRUE(std::holds_alternative<Update>(after[0]));
  const auto& gone = std::get<Update>(after[0]);
  EXPECT_EQ(withdrawn({gone}), std::vector<Prefix>{prefix("203.0.113.12/32")});
  EXPECT_TRUE(announced({gone}).empty());
  EXPECT_EQ(status().updates_sent, sent_before + 2);
  EXPECT_EQ(status().advertised_ipv4, 2u);

  // The same set again: nothing at all.
  base = c->messages().size();
  speaker_.set_routes(routes(20, false));
  keepalive_barrier(*c, 10s);
  EXPECT_EQ(since(*c, base).size(), 1u);
  EXPECT_EQ(status().updates_sent, sent_before + 2);
}

TEST_F(SpeakerTest, HeldTablesGoOutCompleteOnlyWhenReleased) {
  speaker_.hold_tables();
  speaker_.add_peer(config());  // before any route is known, as a daemon starting up
  RouterConnection* c = wait_for_connection(0);
  ASSERT_NE(c, nullptr);
  c->send(router_open(kHigherId, 30));
  c->send(Keepalive{});
  ASSERT_TRUE(run_until(io_, [&] { return status().state == State::kEstablished; }));
  // The routes arrive, change; the session stays up on KEEPALIVEs and nothing else is sent:
  // no empty table, no End-of-RIB.
  speaker_.set_routes(routes());
  keepalive_barrier(*c, 10s);
  speaker_.set_routes(routes(20));
  keepalive_barrier(*c, 10s);
  EXPECT_TRUE(c->all<Update>().empty());
  EXPECT_EQ(status().advertised_ipv4, 0u);
  EXPECT_TRUE(speaker_.tables_held());

  // Released: the complete table as it is now, then the End-of-RIBs; once.
  speaker_.release_tables();
  ASSERT_TRUE(run_until(io_, [&] { return end_of_ribs(*c) == 2; }));
  const auto updates = c->all<Update>();
  EXPECT_EQ(sorted(announced(updates)),
            sorted({prefix("203.0.113.10/32"), prefix("203.0.113.11/32"), prefix("203.0.113.12/32"),
                    prefix("2001:db8:1::/48")}));
  for (const auto& u : updates) {
    for (const auto& n : u.nlri) {
      if (n.prefix == prefix("203.0.113.11/32")) {
        EXPECT_EQ(u.attributes.med, 20u);
      }
    }
  }
  EXPECT_EQ(status().advertised_ipv4, 3u);
  speaker_.release_tables();  // a second release sends nothing
  keepalive_barrier(*c, 10s);
  EXPECT_EQ(c->all<Update>().size(), updates.size());
  // From now on changes go out as they come.
  speaker_.set_routes(routes(30));
  ASSERT_TRUE(run_until(io_, [&] { return c->all<Update>().size() == updates.size() + 1; }));
}

TEST_F(SpeakerTest, APeerThatComesUpAfterTheReleaseGetsItsTableAtOnce) {
  speaker_.hold_tables();
  speaker_.set_routes(routes());
  speaker_.release_tables();
  speaker_.add_peer(config());
  ASSERT_NE(establish(), nullptr);  // table and both End-of-RIBs
  EXPECT_EQ(status().advertised_ipv4, 3u);
}

TEST_F(SpeakerTest, HoldTimerExpirySendsHoldTimerExpiredAfterKeepalivesAtAThird) {
  speaker_.add_peer(config());
  RouterConnection* c = establish(10);  // hold 10 s: vipd's keepalive every 3333 ms
  ASSERT_NE(c, nullptr);
  const std::size_t base = c->messages().size();
  // The router goes quiet. Each KEEPALIVE comes exactly at its time, and not a millisecond
  // before.
  for (int i = 1; i <= 3; ++i) {
    clock_.advance(3332ms);
    settle(io_);
    EXPECT_EQ(c->messages().size(), base + i - 1) << "KEEPALIVE " << i << " came early";
    clock_.advance(1ms);
    ASSERT_TRUE(run_until(io_, [&] { return c->messages().size() == base + i; }));
    EXPECT_TRUE(std::holds_alternative<Keepalive>(c->messages().back()));
  }
  // 9999 ms now; the hold timer runs out at 10 s.
  EXPECT_EQ(status().state, State::kEstablished);
  clock_.advance(1ms);
  ASSERT_TRUE(run_until(io_, [&] { return c->closed(); }));
  const auto after = since(*c, base + 3);
  ASSERT_EQ(after.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<Notification>(after[0]));
  EXPECT_EQ(std::get<Notification>(after[0]).code, 4);  // Hold Timer Expired
  EXPECT_EQ(std::get<Notification>(after[0]).subcode, 0);
  const PeerStatus s = status();
  EXPECT_EQ(s.state, State::kIdle);
  EXPECT_EQ(s.transitions.at(Reason::kHoldTimerExpired), 1u);
  EXPECT_FALSE(s.established_since);
}

TEST_F(SpeakerTest, ReAddingAnUnchangedPeerKeepsItsSession) {
  speaker_.set_routes(routes());
  speaker_.add_peer(config());
  RouterConnection* c = establish(30);
  ASSERT_NE(c, nullptr);
  const PeerStatus before = status();

  speaker_.add_peer(config());  // the whole desired configuration again
  const PeerStatus same = status();
  EXPECT_EQ(same.state, State::kEstablished);
  EXPECT_EQ(same.transitions, before.transitions);
  EXPECT_EQ(same.established_since, before.established_since);
  // The same connection carries on: the next thing on it is the UPDATE of a route change.
  const std::size_t base = c->messages().size();
  speaker_.set_routes(routes(20));
  keepalive_barrier(*c, 10s);
  const auto after = since(*c, base);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<Update>(after[0]));
  EXPECT_FALSE(c->closed());
  EXPECT_EQ(router_.accepted().size(), 1u);

  // A changed setting restarts the session with it: Cease on the old connection, a new OPEN.
  PeerConfig changed = config();
  changed.session.fsm.hold_time = 60;
  speaker_.add_peer(changed);
  ASSERT_TRUE(run_until(io_, [&] { return c->closed(); }));
  const auto cease = c->all<Notification>();
  ASSERT_EQ(cease.size(), 1u);
  EXPECT_EQ(cease[0].code, 6);
  RouterConnection* second = wait_for_connection(1);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->all<Open>().front().hold_time, 60);
  // Counters carry on across the restart.
  EXPECT_EQ(status().updates_sent, before.updates_sent + 1);
  EXPECT_EQ(status().transitions.at(Reason::kStop), 1u);
}

// RFC 9384 / RFC 5882 §4.2: the BFD gate.
TEST_F(SpeakerTest, AClosedGateTakesTheSessionDownWithCeaseBfdDownAndKeepsItIdle) {
  speaker_.set_routes(routes());
  speaker_.add_peer(config());
  RouterConnection* c = establish(30);
  ASSERT_NE(c, nullptr);
  const std::string address = router_.address().to_string();

  speaker_.close_gate(address, "BFD down: control detection time expired");
  ASSERT_TRUE(run_until(io_, [&] { return c->closed(); }));
  const auto cease = c->all<Notification>();
  ASSERT_EQ(cease.size(), 1u);
  EXPECT_EQ(cease[0].code, 6);
  EXPECT_EQ(cease[0].subcode, 10);  // BFD Down
  EXPECT_TRUE(cease[0].data.empty()) << "no RFC 9003 communication with subcode 10";
  PeerStatus s = status();
  EXPECT_EQ(s.state, State::kIdle);
  EXPECT_EQ(s.transitions.at(Reason::kBfdDown), 1u);
  EXPECT_EQ(s.gate_closed, "BFD down: control detection time expired");
  speaker_.close_gate(address, "again");  // already closed: nothing changes
  EXPECT_EQ(status().gate_closed, "BFD down: control detection time expired");

  // Idle for as long as the gate is closed: no reconnection, whatever the timers do.
  for (int i = 0; i < 10; ++i) {
    clock_.advance(30s);
    settle(io_);
  }
  EXPECT_EQ(router_.accepted().size(), 1u);
  EXPECT_EQ(status().state, State::kIdle);

  // Open again: a new session and the full table.
  speaker_.open_gate(address);
  RouterConnection* second = wait_for_connection(1);
  ASSERT_NE(second, nullptr);
  complete(*second, 30);
  EXPECT_EQ(sorted(announced(second->all<Update>())),
            sorted({prefix("203.0.113.10/32"), prefix("203.0.113.11/32"), prefix("203.0.113.12/32"),
                    prefix("2001:db8:1::/48")}));
  s = status();
  EXPECT_EQ(s.state, State::kEstablished);
  EXPECT_FALSE(s.gate_closed.has_value());
}

TEST_F(SpeakerTest, APeerAddedBehindAClosedGateDoesNotConnectUntilItOpens) {
  const std::string address = router_.address().to_string();
  speaker_.close_gate(address, "BFD not up yet");
  speaker_.add_peer(config());
  for (int i = 0; i < 5; ++i) {
    clock_.advance(30s);
    settle(io_);
  }
  EXPECT_TRUE(router_.accepted().empty());
  EXPECT_EQ(status().state, State::kIdle);
  EXPECT_EQ(status().gate_closed, "BFD not up yet");

  // A changed setting restarts the session object, not the gate.
  PeerConfig changed = config();
  changed.session.fsm.hold_time = 60;
  speaker_.add_peer(changed);
  settle(io_);
  EXPECT_TRUE(router_.accepted().empty());

  speaker_.open_gate(address);
  RouterConnection* c = wait_for_connection(0);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->all<Open>().front().hold_time, 60);
}

TEST_F(SpeakerTest, NoGateRestartsASessionAfterStopAll) {
  speaker_.add_peer(config());
  RouterConnection* c = establish(30);
  ASSERT_NE(c, nullptr);
  const std::string address = router_.address().to_string();
  speaker_.close_gate(address, "BFD down");
  speaker_.stop_all("shutting down");
  speaker_.open_gate(address);
  ASSERT_TRUE(run_until(io_, [&] { return c->closed(); }));
  clock_.advance(30s);
  settle(io_);
  EXPECT_EQ(router_.accepted().size(), 1u);
  EXPECT_EQ(status().state, State::kIdle);
}

// ---- ROUTE-REFRESH (RFC 2918, RFC 7313) ------------------------------------------------------

Open with_capability(Open open, CapabilityCode code) {
  open.capabilities.emplace_back().code = static_cast<std::uint8_t>(code);
  return open;
}

TEST_F(SpeakerTest, ARouteRefreshResendsTheRoutesOfItsFamilyOnly) {
  speaker_.set_routes(routes());
  speaker_.add_peer(config());
  RouterConnection* c = establish(30);  // no Enhanced Route Refresh from the router
  ASSERT_NE(c, nullptr);
  const std::uint64_t sent_before = status().updates_sent;

  // RFC 2918 §4: "the Adj-RIB-Out of the <AFI, SAFI> carried in the message".
  std::size_t base = c->messages().size();
  c->send(RouteRefresh{2, 0, 1});
  ASSERT_TRUE(run_until(io_, [&] { return !announced(only_of<Update>(since(*c, base))).empty(); }));
  settle(io_);
  auto after = since(*c, base);
  auto updates = only_of<Update>(after);
  EXPECT_EQ(updates.size(), after.size()) << "no BoRR/EoRR without Enhanced Route Refresh";
  EXPECT_EQ(announced(updates), std::vector<Prefix>{prefix("2001:db8:1::/48")});
  EXPECT_EQ(end_of_ribs(*c), 2u) << "a refresh ends without End-of-RIB";
  EXPECT_EQ(status().route_refreshes_answered, 1u);
  EXPECT_EQ(status().updates_sent, sent_before + updates.size());

  base = c->messages().size();
  c->send(RouteRefresh{1, 0, 1});
  ASSERT_TRUE(
      run_until(io_, [&] { return announced(only_of<Update>(since(*c, base))).size() == 3; }));
  settle(io_);
  after = since(*c, base);
  updates = only_of<Update>(after);
  EXPECT_EQ(updates.size(), after.size());
  EXPECT_EQ(
      sorted(announced(updates)),
      sorted({prefix("203.0.113.10/32"), prefix("203.0.113.11/32"), prefix("203.0.113.12/32")}));
  EXPECT_EQ(status().route_refreshes_answered, 2u);
  EXPECT_EQ(status().state, State::kEstablished);
}

TEST_F(SpeakerTest, EnhancedRouteRefreshAnswersBetweenBorrAndEorr) {
  speaker_.set_routes(routes());
  speaker_.add_peer(config());
  RouterConnection* c = wait_for_connection(0);
  ASSERT_NE(c, nullptr);
  ASSERT_NE(c->all<Open>().front().find(CapabilityCode::kEnhancedRouteRefresh), nullptr);
  c->send(with_capability(router_open(kHigherId, 30), CapabilityCode::kEnhancedRouteRefresh));
  c->send(Keepalive{});
  ASSERT_TRUE(run_until(io_, [&] { return end_of_ribs(*c) == 2; }));

  // RFC 7313 §4: BoRR, the family's routes, EoRR.
  for (const AfiSafi family : {kIpv4Unicast, kIpv6Unicast}) {
    SCOPED_TRACE(family.afi);
    const std::size_t base = c->messages().size();
    c->send(RouteRefresh{family.afi, route_refresh_subtype::kRequest, family.safi});
    const RouteRefresh eorr{family.afi, route_refresh_subtype::kEnd, family.safi};
    ASSERT_TRUE(run_until(io_, [&] {
      const auto rr = only_of<RouteRefresh>(since(*c, base));
      return !rr.empty() && rr.back() == eorr;
    }));
    settle(io_);
    const auto after = since(*c, base);
    ASSERT_GE(after.size(), 3u);
    ASSERT_TRUE(std::holds_alternative<RouteRefresh>(after.front()));
    EXPECT_EQ(std::get<RouteRefresh>(after.front()),
              (RouteRefresh{family.afi, route_refresh_subtype::kBegin, family.safi}));
    ASSERT_TRUE(std::holds_alternative<RouteRefresh>(after.back()));
    EXPECT_EQ(std::get<RouteRefresh>(after.back()), eorr);
    const std::vector<Message> middle(after.begin() + 1, after.end() - 1);
    const auto updates = only_of<Update>(middle);
    EXPECT_EQ(updates.size(), middle.size());
    EXPECT_EQ(announced(updates).size(), family == kIpv4Unicast ? 3u : 1u);
    for (const auto& p : announced(updates)) {
      EXPECT_EQ(p.family(), family == kIpv4Unicast ? Family::kV4 : Family::kV6);
    }
  }
  EXPECT_EQ(status().route_refreshes_answered, 2u);
}

TEST_F(SpeakerTest, RefreshesThatAreNotRequestsForAnAdvertisedFamilyAreIgnored) {
  PeerConfig p = config();
  p.session.fsm.families = {kIpv4Unicast};  // vipd does not advertise IPv6 unicast
  speaker_.set_routes(routes());
  speaker_.add_peer(p);
  RouterConnection* c = wait_for_connection(0);
  ASSERT_NE(c, nullptr);
  c->send(with_capability(router_open(kHigherId, 30), CapabilityCode::kEnhancedRouteRefresh));
  c->send(Keepalive{});
  ASSERT_TRUE(run_until(io_, [&] { return end_of_ribs(*c) == 1; }));
  settle(io_);

  const std::size_t base = c->messages().size();
  c->send(RouteRefresh{2, 0, 1});  // RFC 2918 §4: a family vipd did not advertise
  c->send(RouteRefresh{1, 1, 1});  // RFC 7313: the router's own BoRR and EoRR
  c->send(RouteRefresh{1, 2, 1});
  c->send(RouteRefresh{1, 3, 1});  // reserved subtypes: ignored, no error
  c->send(RouteRefresh{1, 255, 1});
  c->send(RouteRefresh{1, 0, 1});  // a real request last: answered once the rest was read
  ASSERT_TRUE(run_until(io_, [&] {
    const auto rr = only_of<RouteRefresh>(since(*c, base));
    return !rr.empty() && rr.back().subtype == route_refresh_subtype::kEnd;
  }));
  settle(io_);
  const auto after = since(*c, base);
  const auto markers = only_of<RouteRefresh>(after);
  ASSERT_EQ(markers.size(), 2u) << "one refresh answered";
  EXPECT_EQ(markers[0], (RouteRefresh{1, 1, 1}));
  EXPECT_EQ(markers[1], (RouteRefresh{1, 2, 1}));
  EXPECT_EQ(
      sorted(announced(only_of<Update>(after))),
      sorted({prefix("203.0.113.10/32"), prefix("203.0.113.11/32"), prefix("203.0.113.12/32")}));
  EXPECT_TRUE(c->all<Notification>().empty());
  EXPECT_FALSE(c->closed());
  EXPECT_EQ(status().state, State::kEstablished);
  EXPECT_EQ(status().route_refreshes_answered, 1u);
}

// ---- RFC 8654 extended messages -----------------------------------------------------------------

// An UPDATE of `size` octets that withdraws /0 again and again: well formed, and any size.
std::vector<std::uint8_t> withdrawal_of_size(std::size_t size) {
  std::vector<std::uint8_t> m(16, 0xff);
  const std::size_t withdrawn = size - 23;
  m.insert(m.end(),
           {static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size), 2,
            static_cast<std::uint8_t>(withdrawn >> 8), static_cast<std::uint8_t>(withdrawn)});
  m.insert(m.end(), withdrawn, 0);
  m.insert(m.end(), {0, 0});
  return m;
}

class ExtendedMessageTest : public SpeakerTest {
 protected:
  // 1500 host routes sharing one attribute set: 7500 octets of NLRI.
  RouteSet many() {
    RouteSet set;
    const AttributesRef shared = speaker_.interner().intern(RouteAttributes{});
    for (std::uint32_t i = 0; i < 1500; ++i) {
      set[Prefix::host(IpAddress::v4(0xc6120000u + i))] = shared;  // 198.18.0.0/15
    }
    return set;
  }

  // Establishes with the router offering (or not) extended messages; the sizes of vipd's
  // UPDATEs as it encoded them.
  std::vector<std::size_t> establish_with(bool router_offers, bool vipd_offers) {
    speaker_.set_routes(many());
    PeerConfig p = config();
    p.session.fsm.extended_message = vipd_offers;
    speaker_.add_peer(p);
    c_ = wait_for_connection(0);
    if (!c_) return {};
    Open open = router_open(kHigherId, 30);
    if (router_offers) open = with_capability(open, CapabilityCode::kExtendedMessage);
    c_->send(open);
    c_->send(Keepalive{});
    EXPECT_TRUE(run_until(io_, [&] { return end_of_ribs(*c_) == 2; }));
    const CodecOptions sizes{.four_octet_as = true, .extended_message = true};
    std::vector<std::size_t> out;
    for (const auto& u : c_->all<Update>()) {
      std::vector<std::uint8_t> bytes;
      out.push_back(encode(u, sizes, bytes).value());
    }
    EXPECT_EQ(announced(c_->all<Update>()).size(), 1500u);
    return out;
  }

  RouterConnection* c_ = nullptr;
};

TEST_F(ExtendedMessageTest, NegotiatedBothWaysUpTo65535Octets) {
  const auto sizes = establish_with(true, true);
  ASSERT_NE(c_, nullptr);
  ASSERT_FALSE(sizes.empty());
  const std::size_t largest = *std::max_element(sizes.begin(), sizes.end());
  EXPECT_GT(largest, 4096u) << "shared attributes pack into one extended UPDATE";
  EXPECT_LE(largest, 65535u);
  // The router's 4097- and 65535-octet UPDATEs are accepted.
  const std::uint64_t received = status().messages_received;
  c_->send_raw(withdrawal_of_size(4097));
  c_->send_raw(withdrawal_of_size(65535));
  ASSERT_TRUE(run_until(io_, [&] { return status().messages_received == received + 2; }));
  keepalive_barrier(*c_, 10s);
  EXPECT_FALSE(c_->closed());
  EXPECT_TRUE(c_->all<Notification>().empty());
  EXPECT_EQ(status().state, State::kEstablished);
}

TEST_F(ExtendedMessageTest, OnlyOfferedByVipdItReceivesButNeverSendsThem) {
  // RFC 8654 §4: the router may send them (it received vipd's capability); vipd may not.
  const auto sizes = establish_with(false, true);
  ASSERT_NE(c_, nullptr);
  for (const std::size_t size : sizes) EXPECT_LE(size, 4096u);
  const std::uint64_t received = status().messages_received;
  c_->send_raw(withdrawal_of_size(4097));
  ASSERT_TRUE(run_until(io_, [&] { return status().messages_received == received + 1; }));
  keepalive_barrier(*c_, 10s);
  EXPECT_EQ(status().state, State::kEstablished);
}

TEST_F(ExtendedMessageTest, NotOfferedByVipdA4097OctetMessageIsBadMessageLength) {
  const auto sizes = establish_with(true, false);
  ASSERT_NE(c_, nullptr);
  for (const std::size_t size : sizes) EXPECT_LE(size, 4096u);
  c_->send_raw(withdrawal_of_size(4097));
  ASSERT_TRUE(run_until(io_, [&] { return c_->closed(); }));
  const auto n = c_->all<Notification>();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].code, 1);
  EXPECT_EQ(n[0].subcode, 2);
  EXPECT_EQ(n[0].data, (std::vector<std::uint8_t>{0x10, 0x01}));  // the length
  EXPECT_EQ(status().state, State::kIdle);
}

// ---- RFC 7606 §5.2 at the session ---------------------------------------------------------------

std::vector<std::uint8_t> raw_update(const std::vector<std::uint8_t>& attributes,
                                     const std::vector<std::uint8_t>& nlri) {
  const std::size_t size = 23 + attributes.size() + nlri.size();
  std::vector<std::uint8_t> m(16, 0xff);
  m.insert(m.end(), {static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size), 2, 0, 0,
                     0, static_cast<std::uint8_t>(attributes.size())});
  m.insert(m.end(), attributes.begin(), attributes.end());
  m.insert(m.end(), nlri.begin(), nlri.end());
  return m;
}

// ORIGIN 3 (undefined), AS_PATH [64500], NEXT_HOP 127.0.0.1.
const std::vector<std::uint8_t> kBadOrigin{0x40, 0x01, 0x01, 0x03};
const std::vector<std::uint8_t> kBadOriginRest{0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfb,
                                               0xf4, 0x40, 0x03, 0x04, 0x7f, 0x00, 0x00, 0x01};

TEST_F(SpeakerTest, AnAttributeErrorWithoutNlriResetsTheSessionWithItsNotification) {
  speaker_.add_peer(config());
  RouterConnection* c = establish(30);
  ASSERT_NE(c, nullptr);
  std::vector<std::uint8_t> attributes = kBadOrigin;
  attributes.insert(attributes.end(), kBadOriginRest.begin(), kBadOriginRest.end());
  c->send_raw(raw_update(attributes, {}));
  ASSERT_TRUE(run_until(io_, [&] { return c->closed(); }));
  const auto n = c->all<Notification>();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].code, 3);
  EXPECT_EQ(n[0].subcode, 6);        // Invalid ORIGIN Attribute
  EXPECT_EQ(n[0].data, kBadOrigin);  // RFC 4271 §6.3: the attribute
  EXPECT_EQ(status().state, State::kIdle);
  EXPECT_EQ(status().transitions.at(Reason::kMessageError), 1u);
}

TEST_F(SpeakerTest, TheSameAttributeErrorNextToRoutesKeepsTheSession) {
  speaker_.add_peer(config());
  RouterConnection* c = establish(30);
  ASSERT_NE(c, nullptr);
  std::vector<std::uint8_t> attributes = kBadOrigin;
  attributes.insert(attributes.end(), kBadOriginRest.begin(), kBadOriginRest.end());
  const std::uint64_t received = status().messages_received;
  c->send_raw(raw_update(attributes, {32, 203, 0, 113, 99}));  // treat-as-withdraw
  ASSERT_TRUE(run_until(io_, [&] { return status().messages_received == received + 1; }));
  keepalive_barrier(*c, 10s);
  EXPECT_FALSE(c->closed());
  EXPECT_TRUE(c->all<Notification>().empty());
  EXPECT_EQ(status().state, State::kEstablished);
}

class CollisionTest : public SpeakerTest {
 protected:
  void SetUp() override {
    auto listening = speaker_.listen(to_endpoint(ip("127.0.0.1"), 0));
    ASSERT_TRUE(listening) << listening.error().message();
    listener_ = speaker_.listening().at(0);
    speaker_.add_peer(config());
  }
  asio::ip::tcp::endpoint listener_;
};

TEST_F(CollisionTest, HigherPeerIdentifierKeepsThePeersConnection) {
  // RFC 4271 §6.8, in OpenSent and in OpenConfirm on vipd's connection.
  for (const bool open_confirm : {false, true}) {
    SCOPED_TRACE(open_confirm ? "OpenConfirm" : "OpenSent");
    RouterConnection* ours = wait_for_connection(open_confirm ? 1 : 0);
    ASSERT_NE(ours, nullptr);
    if (open_confirm) {
      ours->send(router_open(kHigherId));
      ASSERT_TRUE(run_until(io_, [&] { return ours->count<Keepalive>() == 1; }));
    }
    const std::size_t on_ours = ours->messages().size();
    auto theirs = router_.connect(listener_);
    theirs->send(router_open(kHigherId, 30));
    ASSERT_TRUE(run_until(io_, [&] { return ours->closed() && theirs->messages().size() == 2; }));
    const auto cease = since(*ours, on_ours);
    ASSERT_EQ(cease.size(), 1u);
    ASSERT_TRUE(std::holds_alternative<Notification>(cease[0]));
    EXPECT_EQ(std::get<Notification>(cease[0]).code, 6);
    EXPECT_EQ(std::get<Notification>(cease[0]).subcode, 7);  // Connection Collision Resolution
    // The handshake starts again on the router's connection, and completes there.
    EXPECT_TRUE(std::holds_alternative<Open>(theirs->messages()[0]));
    EXPECT_TRUE(std::holds_alternative<Keepalive>(theirs->messages()[1]));
    theirs->send(Keepalive{});
    ASSERT_TRUE(run_until(io_, [&] { return end_of_ribs(*theirs) == 2; }));
    EXPECT_EQ(status().state, State::kEstablished);
    EXPECT_EQ(status().transitions.at(Reason::kCollisionResolved), open_confirm ? 2u : 1u);
    EXPECT_FALSE(theirs->closed());
    // Next round: a fresh session.
    speaker_.add_peer([&] {
      auto c = config();
      c.session.fsm.hold_time = open_confirm ? 91 : 92;
      return c;
    }());
    ASSERT_TRUE(run_until(io_, [&] { return theirs->closed(); }));
  }
}

TEST_F(CollisionTest, LowerPeerIdentifierKeepsOurConnection) {
  RouterConnection* ours = wait_for_connection(0);
  ASSERT_NE(ours, nullptr);
  auto theirs = router_.connect(listener_);
  theirs->send(router_open(kLowerId, 30));
  ASSERT_TRUE(run_until(io_, [&] { return theirs->closed(); }));
  ASSERT_EQ(theirs->messages().size(), 1u) << "no OPEN from vipd on the refused connection";
  const auto cease = theirs->all<Notification>();
  ASSERT_EQ(cease.size(), 1u);
  EXPECT_EQ(cease[0].code, 6);
  EXPECT_EQ(cease[0].subcode, 7);
  settle(io_);
  EXPECT_FALSE(ours->closed());
  EXPECT_EQ(ours->messages().size(), 1u);
  complete(*ours, 90, kLowerId);  // vipd's connection goes on to Established
  EXPECT_EQ(status().state, State::kEstablished);
  EXPECT_EQ(status().transitions.count(Reason::kCollisionResolved), 0u);
}

TEST_F(CollisionTest, EstablishedSessionRefusesASecondConnection) {
  RouterConnection* ours = establish(30);
  ASSERT_NE(ours, nullptr);
  auto theirs = router_.connect(listener_);
  theirs->send(router_open(kHigherId, 30));  // even a higher identifier
  ASSERT_TRUE(run_until(io_, [&] { return theirs->closed(); }));
  ASSERT_EQ(theirs->messages().size(), 1u);
  EXPECT_EQ(theirs->all<Notification>().at(0).subcode, 7);
  keepalive_barrier(*ours, 10s);
  EXPECT_FALSE(ours->closed());
  EXPECT_EQ(status().state, State::kEstablished);
}

TEST_F(CollisionTest, ASilentSecondConnectionIsClosedAfterThirtySeconds) {
  RouterConnection* ours = wait_for_connection(0);
  ASSERT_NE(ours, nullptr);
  settle(io_);
  const std::size_t timers = clock_.pending();
  auto theirs = router_.connect(listener_);  // and never sends its OPEN
  // Accepted and held: the wait for its OPEN is armed.
  ASSERT_TRUE(run_until(io_, [&] { return clock_.pending() == timers + 1; }));
  clock_.advance(29999ms);
  settle(io_);
  EXPECT_FALSE(theirs->closed());
  clock_.advance(1ms);
  ASSERT_TRUE(run_until(io_, [&] { return theirs->closed(); }));
  EXPECT_TRUE(theirs->messages().empty());
  EXPECT_FALSE(ours->closed());
  EXPECT_EQ(status().state, State::kOpenSent);
}

TEST_F(CollisionTest, APeerBehindAClosedGateIsRefused) {
  ASSERT_NE(wait_for_connection(0), nullptr);
  speaker_.close_gate(router_.address().to_string(), "BFD down");
  auto theirs = router_.connect(listener_);
  theirs->send(router_open(kHigherId, 90));
  ASSERT_TRUE(run_until(io_, [&] { return theirs->closed(); }));
  const auto refused = theirs->all<Notification>();
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].code, 6);
  EXPECT_EQ(refused[0].subcode, 5);  // Connection Rejected
  EXPECT_EQ(status().state, State::kIdle);
}

TEST_F(CollisionTest, AConnectionFromAStrangerIsClosed) {
  ASSERT_NE(wait_for_connection(0), nullptr);
  scripted::Router stranger(io_, ip("127.0.0.2"));
  auto c = stranger.connect(listener_);
  ASSERT_TRUE(run_until(io_, [&] { return c->closed(); }));
  EXPECT_TRUE(c->messages().empty());
}

}  // namespace
}  // namespace vipd::bgp
