// Configuration → speaker settings and allocation requests: every honoured BGPPeer field
// changes the session settings, and a standalone service's families follow Kubernetes' rules.
#include "daemon/translate.hpp"

#include <gtest/gtest.h>

#include "allocator/from_config.hpp"
#include "daemon/tests/test_config.hpp"

namespace vipd::daemon {
namespace {

using testing::load;
using namespace std::chrono_literals;

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

// One BGPPeer resource with `spec` (flow mapping entries) and `annotations`, beside a pool.
config::Config peer_config(const std::string& spec, const std::string& annotations = "") {
  return load(
      "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\n"
      "spec: {addresses: [203.0.113.0/24]}\n---\n"
      "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r1" +
      (annotations.empty() ? "" : ", annotations: {" + annotations + "}") + "}\nspec: {" + spec +
      "}\n---\nnode: edge-1\nservices: []\n");
}

bgp::PeerConfig translate(const config::Config& c, const HostFacts& host = {},
                          PeerOptions options = {}) {
  EXPECT_EQ(c.peers.size(), 1u);
  auto r = to_peer_config(c.peers.at(0), host, options);
  EXPECT_TRUE(r) << r.error().message();
  return r.value();
}

const std::string kPeer = "myASN: 64501, peerASN: 64500, peerAddress: 192.0.2.1";
const std::string kPeer6 = "myASN: 64501, peerASN: 64500, peerAddress: '2001:db8::1'";

// The plan's attribute sets become the speaker's: equal sets (made apart) share one, and the
// interner's own sets are used (they compare by pointer in the speaker).
TEST(ToRouteSet, TakesTheSpeakersInternedSets) {
  bgp::AttributeInterner speaker;
  bgp::RouteAttributes tagged;
  tagged.communities = {(64496u << 16) | 1u};
  const auto held = speaker.intern(tagged);
  const auto prefix = [](const char* text) { return Prefix::parse(text).value(); };
  bgp::RouteSet planned;
  planned.emplace(prefix("203.0.113.1/32"), std::make_shared<const bgp::RouteAttributes>(tagged));
  planned.emplace(prefix("203.0.113.2/32"), std::make_shared<const bgp::RouteAttributes>(tagged));
  planned.emplace(prefix("203.0.113.3/32"), std::make_shared<const bgp::RouteAttributes>());
  const auto routes = to_route_set(std::move(planned), speaker);
  ASSERT_EQ(routes.size(), 3u);
  EXPECT_EQ(routes.at(prefix("203.0.113.1/32")), held);
  EXPECT_EQ(routes.at(prefix("203.0.113.2/32")), held);
  EXPECT_EQ(routes.at(prefix("203.0.113.3/32")), speaker.intern(bgp::RouteAttributes{}));
  EXPECT_EQ(speaker.size(), 2u);
}

TEST(ToPeerConfig, Defaults) {
  const auto p = translate(peer_config(kPeer), HostFacts{.router_id = 7, .hostname = "edge-1"});
  const auto& s = p.session;
  EXPECT_EQ(s.peer_address, ip("192.0.2.1"));
  EXPECT_EQ(s.peer_port, 179);
  EXPECT_FALSE(s.source_address);
  EXPECT_EQ(s.fsm.local_as, 64501u);
  EXPECT_EQ(s.fsm.peer_as, 64500u);
  EXPECT_EQ(s.fsm.router_id, 7u);
  EXPECT_EQ(s.fsm.hold_time, 90);
  EXPECT_FALSE(s.fsm.keepalive_time);
  EXPECT_EQ(s.fsm.families, (std::vector<bgp::AfiSafi>{bgp::kIpv4Unicast}));
  EXPECT_FALSE(s.fsm.passive);
  EXPECT_FALSE(s.fsm.graceful_restart_time);
  EXPECT_EQ(s.fsm.hostname, "edge-1");
  EXPECT_EQ(s.ttl, 1);  // a direct eBGP peer
  EXPECT_FALSE(s.gtsm);
  EXPECT_EQ(translate(peer_config(kPeer6)).session.fsm.families,
            (std::vector<bgp::AfiSafi>{bgp::kIpv6Unicast}));
}

TEST(ToPeerConfig, EveryHonouredFieldChangesTheSettings) {
  const bgp::PeerConfig base = translate(peer_config(kPeer));
  struct Case {
    std::string spec;
    std::string annotations;
    std::function<bool(const bgp::PeerConfig&)> holds;
  };
  const std::vector<Case> cases = {
      {"holdTime: 9s, keepaliveTime: 3s", "",
       [](const auto& p) {
         return p.session.fsm.hold_time == 9 && p.session.fsm.keepalive_time == 3;
       }},
      {"connectTime: 10s", "",
       [](const auto& p) {
         return p.session.fsm.connect_timeout == 10s && p.session.fsm.backoff_initial == 10s &&
                p.session.fsm.backoff_max == 10s;
       }},
      {"ebgpMultiHop: true", "", [](const auto& p) { return p.session.ttl == 255; }},
      {"sourceAddress: 192.0.2.7", "",
       [](const auto& p) { return p.session.source_address == ip("192.0.2.7"); }},
      {"routerID: 198.51.100.9", "",
       [](const auto& p) { return p.session.fsm.router_id == ip("198.51.100.9").v4_value(); }},
      {"password: s3cret", "", [](const auto& p) { return p.session.password == "s3cret"; }},
      {"peerPort: 1790", "", [](const auto& p) { return p.session.peer_port == 1790; }},
      {"enableGracefulRestart: true", "",
       [](const auto& p) {
         return p.session.fsm.graceful_restart_time == 120 && !p.session.fsm.restarting;
       }},
      {"dualStackAddressFamily: true", "",
       [](const auto& p) {
         return p.session.fsm.families ==
                std::vector<bgp::AfiSafi>{bgp::kIpv4Unicast, bgp::kIpv6Unicast};
       }},
      {"", "vipd.io/passive: 'true'", [](const auto& p) { return p.session.fsm.passive; }},
      {"", "vipd.io/gtsm: 'true'",
       [](const auto& p) {
         return p.session.gtsm && p.session.gtsm_hops == 1 && p.session.ttl == 255;
       }},
  };
  for (const auto& c : cases) {
    const auto spec = c.spec.empty() ? kPeer : kPeer + ", " + c.spec;
    const auto p = translate(peer_config(spec, c.annotations));
    EXPECT_TRUE(c.holds(p)) << c.spec << c.annotations;
    EXPECT_FALSE(p == base) << c.spec << c.annotations;  // a reload would restart the session
  }
}

TEST(ToPeerConfig, GracefulRestartAfterARestartSetsTheRBit) {
  const auto p = translate(peer_config(kPeer + ", enableGracefulRestart: true"), {},
                           PeerOptions{.restarting = true});
  EXPECT_TRUE(p.session.fsm.restarting);
  // Without the capability there is nothing to restart.
  EXPECT_FALSE(translate(peer_config(kPeer), {}, {.restarting = true}).session.fsm.restarting);
}

TEST(ToPeerConfig, DualStackNextHops) {
  const HostFacts host{
      .router_id = 1, .next_hop_ipv4 = ip("192.0.2.7"), .next_hop_ipv6 = ip("2001:db8::7")};
  // IPv4 session: IPv6 routes leave with the host's IPv6 address.
  const auto v4 = translate(peer_config(kPeer + ", dualStackAddressFamily: true"), host);
  EXPECT_EQ(v4.next_hop_ipv6, ip("2001:db8::7"));
  EXPECT_FALSE(v4.ipv4_over_ipv6_next_hop);
  // IPv6 session: IPv4 routes with the host's IPv4 address when it has one...
  const auto v6 = translate(peer_config(kPeer6 + ", dualStackAddressFamily: true"), host);
  EXPECT_EQ(v6.next_hop_ipv4, ip("192.0.2.7"));
  EXPECT_FALSE(v6.ipv4_over_ipv6_next_hop);
  EXPECT_FALSE(v6.session.fsm.extended_next_hop_ipv4);
  // ...else with the session's IPv6 address, RFC 8950.
  const auto v6_only = translate(peer_config(kPeer6 + ", dualStackAddressFamily: true"),
                                 HostFacts{.router_id = 1, .next_hop_ipv6 = ip("2001:db8::7")});
  EXPECT_FALSE(v6_only.next_hop_ipv4);
  EXPECT_TRUE(v6_only.ipv4_over_ipv6_next_hop);
  EXPECT_TRUE(v6_only.session.fsm.extended_next_hop_ipv4);
}

TEST(ToPeerConfig, IbgpPeersMayBeAnyHopsAway) {
  const auto p = translate(peer_config("myASN: 64500, peerASN: 64500, peerAddress: 192.0.2.1"));
  EXPECT_EQ(p.session.ttl, 255);
}

// --- allocation requests ---

config::Config services(const std::string& pools, const std::string& service) {
  return load("address-pools:\n" + pools + "services:\n- " + service + "\n");
}

allocator::ServiceRequest request(const config::Config& c) {
  return to_request(c.standalone->services.at(0), c, allocator::pools_from_config(c));
}

const std::string kV4Pool = "- {name: v4, protocol: bgp, addresses: [203.0.113.0/24]}\n";
const std::string kV6Pool = "- {name: v6, protocol: bgp, addresses: ['2001:db8:5::/64']}\n";
const std::string kDualPool =
    "- {name: dual, protocol: bgp, addresses: [203.0.113.0/24, '2001:db8:5::/64']}\n";
using F = std::vector<Family>;
using P = allocator::IpFamilyPolicy;

TEST(ToRequest, AddressesDecideTheFamilies) {
  const auto r =
      request(services(kDualPool, "{name: web, addresses: [203.0.113.9, '2001:db8:5::9']}"));
  EXPECT_EQ(r.families, (F{Family::kV4, Family::kV6}));
  EXPECT_EQ(r.family_policy, P::kRequireDualStack);
  ASSERT_EQ(r.requested.size(), 2u);
  EXPECT_EQ(r.requested[0].source, allocator::AddressSource::kStandaloneAddresses);
}

TEST(ToRequest, PreferDualStackOverWhatThePoolsOffer) {
  EXPECT_EQ(request(services(kDualPool, "{name: web}")).families, (F{Family::kV4, Family::kV6}));
  EXPECT_EQ(request(services(kDualPool, "{name: web}")).family_policy, P::kPreferDualStack);
  EXPECT_EQ(request(services(kV4Pool, "{name: web}")).families, (F{Family::kV4}));
  // An IPv6-only setup: the service gets an IPv6 address, not nothing.
  EXPECT_EQ(request(services(kV6Pool, "{name: web}")).families, (F{Family::kV6}));
  // Pools of both families: the union.
  EXPECT_EQ(request(services(kV4Pool + kV6Pool, "{name: web}")).families,
            (F{Family::kV4, Family::kV6}));
  // The named pool alone counts.
  EXPECT_EQ(request(services(kV4Pool + kV6Pool, "{name: web, pool: v6}")).families,
            (F{Family::kV6}));
}

TEST(ToRequest, PoolsThatWouldNotServeTheServiceDoNotCount) {
  const std::string pools =
      "- {name: v4, protocol: bgp, addresses: [203.0.113.0/24], auto-assign: false}\n" + kV6Pool;
  EXPECT_EQ(request(services(pools, "{name: web}")).families, (F{Family::kV6}));
}

TEST(ToRequest, WrittenFamiliesAndPolicies) {
  const auto single = request(services(kDualPool, "{name: web, ip-family-policy: SingleStack}"));
  EXPECT_EQ(single.families, (F{Family::kV4}));
  EXPECT_EQ(single.family_policy, P::kSingleStack);
  const auto v6_first = request(services(kDualPool, "{name: web, ip-families: [IPv6]}"));
  EXPECT_EQ(v6_first.families, (F{Family::kV6, Family::kV4}));  // primary first
  const auto v6_single = request(
      services(kDualPool, "{name: web, ip-family-policy: SingleStack, ip-families: [IPv6]}"));
  EXPECT_EQ(v6_single.families, (F{Family::kV6}));
  // RequireDualStack asks for both even where only one is offered: allocation then says why.
  const auto required =
      request(services(kV4Pool, "{name: web, ip-family-policy: RequireDualStack}"));
  EXPECT_EQ(required.families, (F{Family::kV4, Family::kV6}));
  EXPECT_EQ(required.family_policy, P::kRequireDualStack);
}

TEST(ToRequest, LabelsPortsAndSharing) {
  const auto r = request(services(
      kV4Pool,
      "{name: web, namespace: shop, labels: {app: web}, sharing-key: k, traffic-policy: Local, "
      "health-check: {tcp: '127.0.0.1:80'}, ports: [{port: 53, protocol: UDP}, {port: 80}]}"));
  EXPECT_EQ(r.key.ns, "shop");
  EXPECT_EQ(r.service_labels, (Labels{{"app", "web"}}));
  EXPECT_EQ(r.sharing_key, "k");
  EXPECT_EQ(r.traffic_policy, allocator::TrafficPolicy::kLocal);
  ASSERT_EQ(r.ports.size(), 2u);
  EXPECT_EQ(r.ports[0].protocol, allocator::Protocol::kUdp);
  EXPECT_EQ(r.ports[1].protocol, allocator::Protocol::kTcp);
}

}  // namespace
}  // namespace vipd::daemon
