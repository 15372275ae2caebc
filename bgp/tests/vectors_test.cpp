// The golden vectors of vectors.md (tcpdump captures, ExaBGP, Holo and GoBGP test data): each
// decodes to exactly the fields its description states, and re-encodes to the same bytes
// where that encoding is canonical.
#include <gtest/gtest.h>

#include "bgp/codec.hpp"
#include "bgp/tests/test_data.hpp"
#include "common/format.hpp"

namespace vipd::bgp {
namespace {

using testing::Bytes;
using testing::from_hex;
using testing::to_hex;

const std::map<std::string, Bytes>& vectors() {
  static const auto v = testing::load_vectors();
  return v;
}

const Bytes& vec(const std::string& id) {
  const auto it = vectors().find(id);
  if (it == vectors().end()) throw std::runtime_error("no vector " + id);
  return it->second;
}

template <class T>
T decode_as(const Bytes& bytes, const CodecOptions& options = {}) {
  auto m = decode(bytes, options);
  if (!m) {
    ADD_FAILURE() << "decode failed: " << error_name(m.error().code, m.error().subcode) << ": "
                  << m.error().reason;
    return T{};
  }
  if (!std::holds_alternative<T>(m.value())) {
    ADD_FAILURE() << "decoded another message type";
    return T{};
  }
  return std::get<T>(m.value());
}

Bytes encoded(const Message& m, const CodecOptions& options = {}) {
  Bytes out;
  auto r = encode(m, options, out);
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
  return out;
}

std::string ip(std::uint32_t v) { return IpAddress::v4(v).to_string(); }

std::vector<std::string> prefixes(const std::vector<Nlri>& nlri) {
  std::vector<std::string> out;
  for (const auto& n : nlri) out.push_back(n.prefix.to_string());
  return out;
}

CodecOptions four_octet() { return CodecOptions{.four_octet_as = true}; }
CodecOptions ibgp(bool four = true) {
  return CodecOptions{.four_octet_as = four, .external_peer = false};
}

TEST(Vectors, AllAreLoaded) { EXPECT_GE(vectors().size(), 40u); }

TEST(Vectors, K1Keepalive) {
  (void)decode_as<Keepalive>(vec("K1"));
  EXPECT_EQ(encoded(Keepalive{}), vec("K1"));
}

TEST(Vectors, O1OpenWithoutParameters) {
  const auto o = decode_as<Open>(vec("O1"));
  EXPECT_EQ(o.version, 4);
  EXPECT_EQ(o.my_as, 1);
  EXPECT_EQ(o.hold_time, 180);
  EXPECT_EQ(ip(o.bgp_identifier), "1.1.1.1");
  EXPECT_TRUE(o.capabilities.empty());
  EXPECT_EQ(encoded(o), vec("O1"));
}

TEST(Vectors, O2FourOctetSpeaker) {
  const auto o = decode_as<Open>(vec("O2"));
  EXPECT_EQ(o.my_as, kAsTrans);
  EXPECT_EQ(o.asn(), 2764334674u);
  EXPECT_EQ(ip(o.bgp_identifier), "0.0.1.1");
  ASSERT_EQ(o.capabilities.size(), 5u);
  EXPECT_EQ(o.capabilities[0].multiprotocol, kIpv4Unicast);
  EXPECT_EQ(o.capabilities[1].code, 2);
  const auto& gr = o.capabilities[2];
  EXPECT_EQ(gr.code, 64);
  EXPECT_TRUE(gr.restart_state);
  EXPECT_TRUE(gr.graceful_notification);
  EXPECT_EQ(gr.restart_time, 300);
  EXPECT_TRUE(gr.graceful_restart.empty());
  EXPECT_EQ(o.capabilities[3].four_octet_as, 2764334674u);
  ASSERT_EQ(o.capabilities[4].add_path.size(), 1u);
  EXPECT_EQ(o.capabilities[4].add_path[0], (AddPathFamily{kIpv4Unicast, true, false}));
  EXPECT_EQ(o.capabilities_per_parameter, (std::vector<std::uint8_t>{5}));
  EXPECT_EQ(encoded(o), vec("O2"));
}

TEST(Vectors, O3TwoOctetSpeaker) {
  const auto o = decode_as<Open>(vec("O3"));
  EXPECT_EQ(o.asn(), 200u);
  EXPECT_EQ(o.find(CapabilityCode::kFourOctetAs), nullptr);
  ASSERT_EQ(o.capabilities.size(), 2u);
  EXPECT_EQ(o.capabilities[1].add_path[0].receive, true);
  EXPECT_EQ(encoded(o), vec("O3"));
}

TEST(Vectors, O4OneCapabilityPerParameter) {
  const auto o = decode_as<Open>(vec("O4"));
  ASSERT_EQ(o.capabilities.size(), 5u);
  EXPECT_EQ(o.capabilities[0].multiprotocol, kIpv4Unicast);
  EXPECT_EQ(o.capabilities[1].multiprotocol, kIpv6Unicast);
  EXPECT_EQ(o.asn(), 65550u);
  EXPECT_EQ(o.capabilities[3].code, 2);
  EXPECT_EQ(o.capabilities[4].code, 70);
  EXPECT_TRUE(o.capabilities_per_parameter.empty());  // the default layout
  EXPECT_EQ(encoded(o), vec("O4"));
}

TEST(Vectors, O5FrrOpenWithFqdnAndExtendedMessage) {
  const auto o = decode_as<Open>(vec("O5"));
  EXPECT_EQ(o.my_as, 65001);
  EXPECT_EQ(ip(o.bgp_identifier), "192.168.10.68");
  ASSERT_EQ(o.capabilities.size(), 9u);
  EXPECT_EQ(o.capabilities[1].code, 128);
  EXPECT_TRUE(o.capabilities[1].raw.empty());
  EXPECT_NE(o.find(CapabilityCode::kExtendedMessage), nullptr);
  const auto* fqdn = o.find(CapabilityCode::kFqdn);
  ASSERT_NE(fqdn, nullptr);
  EXPECT_EQ(fqdn->hostname, "exit1-debian-9");
  EXPECT_EQ(fqdn->domain_name, "");
  const auto* gr = o.find(CapabilityCode::kGracefulRestart);
  ASSERT_NE(gr, nullptr);
  EXPECT_EQ(gr->restart_time, 120);
  EXPECT_FALSE(gr->restart_state);
  EXPECT_EQ(encoded(o), vec("O5"));
}

TEST(Vectors, O6GracefulRestartTupleAndPackedParameter) {
  const auto o = decode_as<Open>(vec("O6"));
  EXPECT_EQ(o.hold_time, 3600);
  ASSERT_EQ(o.capabilities.size(), 3u);
  const auto& gr = o.capabilities[0];
  EXPECT_FALSE(gr.restart_state);
  EXPECT_TRUE(gr.graceful_notification);
  EXPECT_EQ(gr.restart_time, 60);
  ASSERT_EQ(gr.graceful_restart.size(), 1u);
  EXPECT_EQ(gr.graceful_restart[0], (GracefulRestartFamily{kIpv4Unicast, true}));
  EXPECT_EQ(o.capabilities[1].code, 2);
  EXPECT_EQ(o.capabilities[2].multiprotocol, kIpv4Unicast);
  EXPECT_EQ(o.capabilities_per_parameter, (std::vector<std::uint8_t>{1, 2}));
  EXPECT_EQ(encoded(o), vec("O6"));
}

TEST(Vectors, O7ExtendedOptionalParameters) {
  const auto o = decode_as<Open>(vec("O7"));
  EXPECT_TRUE(o.extended_parameters);
  EXPECT_EQ(o.asn(), 174u);
  ASSERT_EQ(o.capabilities.size(), 11u);
  const auto* add_path = o.find(CapabilityCode::kAddPath);
  ASSERT_NE(add_path, nullptr);
  EXPECT_EQ(add_path->add_path.size(), 2u);
  EXPECT_EQ(o.find(CapabilityCode::kFqdn)->hostname, "exit1-debian-11");
  const auto* llgr = o.find(CapabilityCode::kLongLivedGracefulRestart);
  ASSERT_NE(llgr, nullptr);
  ASSERT_EQ(llgr->long_lived_graceful_restart.size(), 2u);
  EXPECT_EQ(llgr->long_lived_graceful_restart[1], (LlgrFamily{kIpv6Unicast, true, 360}));
  EXPECT_EQ(encoded(o), vec("O7"));
}

TEST(Vectors, O8UnknownCapabilityKeptRaw) {
  const auto o = decode_as<Open>(vec("O8"));
  ASSERT_EQ(o.capabilities.size(), 3u);
  EXPECT_EQ(o.capabilities[2].code, 75);
  EXPECT_EQ(o.capabilities[2].raw.size(), 32u);
  EXPECT_EQ(o.capabilities[2].raw[0], 31);
  EXPECT_EQ(encoded(o), vec("O8"));
}

TEST(Vectors, U1Ipv4EndOfRib) {
  const auto u = decode_as<Update>(vec("U1"));
  EXPECT_EQ(u.end_of_rib(), kIpv4Unicast);
  EXPECT_EQ(encoded(u), vec("U1"));
}

TEST(Vectors, U2Ipv6EndOfRib) {
  const auto u = decode_as<Update>(vec("U2"));
  EXPECT_EQ(u.end_of_rib(), kIpv6Unicast);
  EXPECT_EQ(encoded(u), vec("U2"));  // keeps the sender's extended-length bit
}

TEST(Vectors, U3AnnounceOneHostRouteOverIbgp) {
  const auto u = decode_as<Update>(vec("U3"), ibgp());
  EXPECT_EQ(u.action, ErrorAction::kNone);
  EXPECT_EQ(u.attributes.origin, Origin::kIgp);
  ASSERT_TRUE(u.attributes.as_path);
  EXPECT_TRUE(u.attributes.as_path->segments.empty());
  EXPECT_EQ(u.attributes.next_hop->to_string(), "192.168.1.100");
  EXPECT_EQ(u.attributes.local_pref, 100u);
  EXPECT_EQ(prefixes(u.nlri), std::vector<std::string>{"100.100.100.100/32"});
  EXPECT_FALSE(u.end_of_rib());
  EXPECT_EQ(encoded(u, ibgp()), vec("U3"));
}

TEST(Vectors, U4WithdrawOneHostRoute) {
  const auto u = decode_as<Update>(vec("U4"));
  EXPECT_EQ(prefixes(u.withdrawn), std::vector<std::string>{"77.77.77.77/32"});
  EXPECT_EQ(encoded(u), vec("U4"));
}

TEST(Vectors, U5MedLocalPrefCommunity) {
  const auto u = decode_as<Update>(vec("U5"), ibgp());
  EXPECT_EQ(u.attributes.med, 200u);
  EXPECT_EQ(u.attributes.local_pref, 100u);
  EXPECT_EQ(u.attributes.communities, (std::vector<std::uint32_t>{(174u << 16) | 666}));
  EXPECT_EQ(prefixes(u.nlri), std::vector<std::string>{"172.10.0.0/24"});
  EXPECT_EQ(encoded(u, ibgp()), vec("U5"));
}

TEST(Vectors, U5LocalPrefFromAnExternalPeerIsDiscarded) {
  const auto u = decode_as<Update>(vec("U5"));  // default options: eBGP
  EXPECT_FALSE(u.attributes.local_pref);
  EXPECT_EQ(u.action, ErrorAction::kAttributeDiscard);
  ASSERT_EQ(u.issues.size(), 1u);
  EXPECT_EQ(u.issues[0].type, 5);
  EXPECT_EQ(prefixes(u.nlri), std::vector<std::string>{"172.10.0.0/24"});
}

TEST(Vectors, U6FourOctetAsPath) {
  const auto u = decode_as<Update>(vec("U6"), four_octet());
  ASSERT_EQ(u.attributes.as_path->segments.size(), 1u);
  EXPECT_EQ(u.attributes.as_path->segments[0], (AsSegment{AsSegmentType::kSequence, {65533}}));
  EXPECT_EQ(u.attributes.next_hop->to_string(), "10.0.1.254");
  EXPECT_EQ(encoded(u, four_octet()), vec("U6"));
}

TEST(Vectors, U7TwoOctetAsPathNeedsTheNegotiatedWidth) {
  const auto u = decode_as<Update>(vec("U7"), ibgp(false));
  EXPECT_EQ(u.attributes.as_path->segments[0], (AsSegment{AsSegmentType::kSequence, {100}}));
  EXPECT_EQ(encoded(u, ibgp(false)), vec("U7"));
  // Read as four-octet ASNs the same bytes are a malformed AS_PATH.
  const auto wrong = decode_as<Update>(vec("U7"), ibgp(true));
  EXPECT_EQ(wrong.action, ErrorAction::kTreatAsWithdraw);
}

TEST(Vectors, U8AsTransWithAs4Path) {
  const auto u = decode_as<Update>(vec("U8"));
  EXPECT_EQ(u.attributes.origin, Origin::kIncomplete);
  EXPECT_EQ(u.attributes.as_path->segments[0].asns,
            (std::vector<std::uint32_t>{200, 1, 23456, 23456, 23456}));
  ASSERT_TRUE(u.attributes.as4_path);
  EXPECT_EQ(u.attributes.as4_path->segments[0].asns,
            (std::vector<std::uint32_t>{1, 222222, 333333, 4294967290u}));
  EXPECT_EQ(prefixes(u.nlri), (std::vector<std::string>{"4.4.4.4/32", "5.5.5.5/32", "1.1.1.1/32",
                                                        "2.2.2.2/32", "3.3.3.3/32"}));
  // The sender already set Partial on AS4_PATH, so it re-encodes unchanged.
  EXPECT_EQ(encoded(u), vec("U8"));
}

TEST(Vectors, U9Ipv6MpReach) {
  const auto u = decode_as<Update>(vec("U9"), ibgp());
  ASSERT_TRUE(u.attributes.mp_reach);
  const auto& mp = *u.attributes.mp_reach;
  EXPECT_EQ(mp.family, kIpv6Unicast);
  EXPECT_EQ(mp.next_hop->to_string(), "::1");
  EXPECT_FALSE(mp.link_local_next_hop);
  EXPECT_EQ(prefixes(mp.nlri), std::vector<std::string>{"2a04:6d80::1/128"});
  EXPECT_TRUE(u.nlri.empty());
  EXPECT_EQ(encoded(u, ibgp()), vec("U9"));
}

TEST(Vectors, U10Ipv6WithCommunities) {
  const auto u = decode_as<Update>(vec("U10"), ibgp());
  EXPECT_EQ(u.attributes.communities,
            (std::vector<std::uint32_t>{30740u << 16, (30740u << 16) | 30740}));
  EXPECT_EQ(u.attributes.mp_reach->next_hop->to_string(), "2a02:b80:0:2::1");
  EXPECT_EQ(prefixes(u.attributes.mp_reach->nlri), std::vector<std::string>{"2a02:b80:0:1::1/128"});
  EXPECT_EQ(encoded(u, ibgp()), vec("U10"));
}

TEST(Vectors, U11LinkLocalNextHop) {
  const auto u = decode_as<Update>(vec("U11"));
  EXPECT_EQ(u.attributes.mp_reach->next_hop->to_string(), "dead:beef::1");
  EXPECT_EQ(u.attributes.mp_reach->link_local_next_hop->to_string(), "fe80::1ff:fe01:0");
  EXPECT_EQ(prefixes(u.attributes.mp_reach->nlri), std::vector<std::string>{"4:5::/64"});
  // NEXT_HOP 0.0.0.0 with no IPv4 NLRI is ignored (RFC 4760 §3), not a withdrawal.
  EXPECT_EQ(u.action, ErrorAction::kAttributeDiscard);
  EXPECT_FALSE(u.attributes.next_hop);
}

TEST(Vectors, U12LargeCommunities) {
  const auto u = decode_as<Update>(vec("U12"), ibgp());
  EXPECT_EQ(u.attributes.large_communities,
            (std::vector<LargeCommunity>{{2914, 0, 666}, {2914, 3320, 123}}));
  EXPECT_EQ(prefixes(u.nlri), std::vector<std::string>{"8.8.8.10/32"});
  EXPECT_EQ(encoded(u, ibgp()), vec("U12"));
}

TEST(Vectors, U13WithdrawFive) {
  const auto u = decode_as<Update>(vec("U13"));
  EXPECT_EQ(prefixes(u.withdrawn),
            (std::vector<std::string>{"5.5.5.5/32", "1.1.1.1/32", "2.2.2.2/32", "3.3.3.3/32",
                                      "4.4.4.4/32"}));
  EXPECT_EQ(encoded(u), vec("U13"));
}

TEST(Vectors, U14EverythingAtOnce) {
  const auto u = decode_as<Update>(vec("U14"), ibgp());
  EXPECT_EQ(u.action, ErrorAction::kNone) << (u.issues.empty() ? "" : u.issues[0].reason);
  const auto& a = u.attributes;
  EXPECT_EQ(prefixes(u.withdrawn), (std::vector<std::string>{"10.0.1.0/24", "10.0.2.0/24"}));
  EXPECT_EQ(a.mp_reach->next_hop->to_string(), "3000::1");
  EXPECT_EQ(a.mp_reach->link_local_next_hop->to_string(), "fe80::4207:bd19:111c:8411");
  EXPECT_EQ(prefixes(a.mp_reach->nlri),
            (std::vector<std::string>{"2001:db8:1::1/128", "2001:db8:1::2/128"}));
  EXPECT_EQ(prefixes(a.mp_unreach->withdrawn),
            (std::vector<std::string>{"2001:db8:2::1/128", "2001:db8:2::2/128"}));
  EXPECT_EQ(a.origin, Origin::kIgp);
  EXPECT_EQ(a.as_path->segments[0].asns, (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_EQ(a.next_hop->to_string(), "1.1.1.1");
  EXPECT_EQ(a.med, 500u);
  EXPECT_EQ(a.local_pref, 500u);
  EXPECT_TRUE(a.atomic_aggregate);
  EXPECT_EQ(a.aggregator->asn, 1000u);
  EXPECT_EQ(a.aggregator->address.to_string(), "2.2.2.2");
  EXPECT_EQ(a.communities, (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_EQ(a.originator_id, 0x01010101u);
  EXPECT_EQ(a.cluster_list, (std::vector<std::uint32_t>{0x03030303}));
  ASSERT_EQ(a.extended_communities->size(), 1u);
  EXPECT_EQ((*a.extended_communities)[0].value, 0x0000000100000001ull);
  ASSERT_EQ(a.unknown.size(), 1u);  // type 25, IPv6 address specific extended community
  EXPECT_EQ(a.unknown[0].type, 25);
  EXPECT_EQ(a.unknown[0].value.size(), 20u);
  EXPECT_EQ(a.large_communities, (std::vector<LargeCommunity>{{1, 0, 1}}));
  EXPECT_EQ(prefixes(u.nlri), (std::vector<std::string>{"10.0.255.1/32", "10.0.255.2/32"}));

  // Re-encoded, the unknown transitive attribute gains the Partial bit (RFC 4271 §5): d0 → f0.
  Bytes expected = vec("U14");
  const std::string hex = to_hex(expected);
  const auto at = hex.find("d019001420010db8");
  ASSERT_NE(at, std::string::npos);
  expected[at / 2] = 0xf0;
  EXPECT_EQ(to_hex(encoded(u, ibgp())), to_hex(expected));
}

TEST(Vectors, NotificationsDecodeWithTheirData) {
  const auto n1 = decode_as<Notification>(vec("N1"));
  EXPECT_EQ(n1.code, 6);
  EXPECT_EQ(n1.subcode, 2);
  EXPECT_TRUE(n1.data.empty());
  EXPECT_FALSE(n1.shutdown_message);
  EXPECT_EQ(error_name(n1.code, n1.subcode), "Cease / Administrative Shutdown (6/2)");

  const auto n2 = decode_as<Notification>(vec("N2"));
  EXPECT_EQ(n2.shutdown_message, "This is a test of the shutdown communication system.");
  EXPECT_EQ(encoded(n2), vec("N2"));
  Notification from_text{6, 2, {}, "This is a test of the shutdown communication system."};
  EXPECT_EQ(encoded(from_text), vec("N2"));

  const auto n3 = decode_as<Notification>(vec("N3"));
  EXPECT_EQ(error_name(n3.code, n3.subcode), "Cease / BFD Down (6/10)");
  const auto n4 = decode_as<Notification>(vec("N4"));
  EXPECT_EQ(n4.subcode, cease::kHardReset);
  EXPECT_EQ(n4.data, (Bytes{6, 3}));
  EXPECT_EQ(decode_as<Notification>(vec("N5")).subcode, cease::kOtherConfigurationChange);
  const auto n6 = decode_as<Notification>(vec("N6"));
  EXPECT_EQ(n6.code, 1);
  EXPECT_EQ(n6.data, (Bytes{0xff, 0xff}));
  const auto n7 = decode_as<Notification>(vec("N7"));
  EXPECT_EQ(error_name(n7.code, n7.subcode),
            "ROUTE-REFRESH Message Error / Invalid Message Length (7/1)");
  for (const char* id : {"N1", "N3", "N4", "N5", "N6", "N7"}) {
    EXPECT_EQ(encoded(decode_as<Notification>(vec(id))), vec(id)) << id;
  }
}

TEST(Vectors, R1RouteRefresh) {
  const auto rr = decode_as<RouteRefresh>(vec("R1"));
  EXPECT_EQ(rr.afi, 1);
  EXPECT_EQ(rr.safi, 1);
  EXPECT_EQ(rr.subtype, 0);
  EXPECT_EQ(encoded(rr), vec("R1"));
}

// Attribute-level vectors: wrapped in an UPDATE with ORIGIN and AS_PATH so they decode as a
// whole message.
Update update_with(const Bytes& attribute, const CodecOptions& options = {}) {
  Bytes body = {0, 0};
  const Bytes origin_and_path = {0x40, 1, 1, 0, 0x40, 2, 0};
  const std::size_t length = attribute.size() + origin_and_path.size();
  body.push_back(static_cast<std::uint8_t>(length >> 8));
  body.push_back(static_cast<std::uint8_t>(length));
  body.insert(body.end(), origin_and_path.begin(), origin_and_path.end());
  body.insert(body.end(), attribute.begin(), attribute.end());
  Bytes message(16, 0xff);
  message.push_back(static_cast<std::uint8_t>((body.size() + 19) >> 8));
  message.push_back(static_cast<std::uint8_t>(body.size() + 19));
  message.push_back(2);
  message.insert(message.end(), body.begin(), body.end());
  return decode_as<Update>(message, options);
}

TEST(Vectors, GobgpMpReachAttributes) {
  auto u = update_with(vec("Test_MpReachNLRIWithIPv6"));
  EXPECT_EQ(u.attributes.mp_reach->next_hop->to_string(), "2001:db8:1::1");
  EXPECT_EQ(prefixes(u.attributes.mp_reach->nlri), std::vector<std::string>{"2001:db8:53::/64"});

  u = update_with(vec("Test_MpUnreachNLRIWithIPv6"));
  EXPECT_EQ(prefixes(u.attributes.mp_unreach->withdrawn),
            std::vector<std::string>{"2001:db8:53::/64"});

  u = update_with(vec("Test_MpReachNLRIWithIPv6PrefixWithIPv4Peering"));
  EXPECT_EQ(u.attributes.mp_reach->next_hop->to_string(), "::ffff:172.20.0.1");
  EXPECT_EQ(u.attributes.mp_reach->next_hop->unmap()->to_string(), "172.20.0.1");

  u = update_with(vec("Test_MpReachNLRIWithIPv6PrefixWithLinkLocalNexthop"));
  EXPECT_EQ(u.attributes.mp_reach->link_local_next_hop->to_string(), "fe80::1");
  EXPECT_EQ(prefixes(u.attributes.mp_reach->nlri), std::vector<std::string>{"2010:ab8:1::/48"});
  EXPECT_EQ(u.action, ErrorAction::kNone);
}

Bytes update_from_body(const std::string& id) {
  const Bytes& body = vec(id);
  Bytes message(16, 0xff);
  message.push_back(static_cast<std::uint8_t>((body.size() + 19) >> 8));
  message.push_back(static_cast<std::uint8_t>(body.size() + 19));
  message.push_back(2);
  message.insert(message.end(), body.begin(), body.end());
  return message;
}

TEST(Vectors, GobgpMalformedUpdatesGetTheRfc7606Action) {
  const std::pair<const char*, ErrorAction> cases[] = {
      {"M1", ErrorAction::kTreatAsWithdraw},
      {"M2", ErrorAction::kAttributeDiscard},
      {"M3", ErrorAction::kAfiSafiDisable},
      {"M5", ErrorAction::kTreatAsWithdraw},
  };
  for (const auto& [id, action] : cases) {
    auto m = decode(update_from_body(id), {});
    ASSERT_TRUE(m) << id << ": " << m.error().reason;
    const auto& u = std::get<Update>(m.value());
    EXPECT_EQ(u.action, action) << id << ": " << to_string(u.action);
    EXPECT_FALSE(u.issues.empty()) << id;
  }
  // M4 carries no reachable NLRI at all: RFC 7606 §5.2 leaves only a session reset, with the
  // NOTIFICATION the attribute's own error names (GoBGP's test expects treat-as-withdraw).
  auto m4 = decode(update_from_body("M4"), {});
  ASSERT_FALSE(m4) << "M4 decoded";
  EXPECT_EQ(m4.error().action, ErrorAction::kSessionReset);
  EXPECT_EQ(m4.error().code, 3);
  EXPECT_EQ(m4.error().subcode, update_error::kAttributeFlagsError);
  EXPECT_EQ(m4.error().data, (std::vector<std::uint8_t>{0xc0, 0x01, 0x01, 0x00}));
}

}  // namespace
}  // namespace vipd::bgp
