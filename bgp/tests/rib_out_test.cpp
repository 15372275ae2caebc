// Adj-RIB-Out: exact UPDATEs for small cases, packing at the size limits, withdrawal batching,
// End-of-RIB, deltas, and a property test in which a model peer, fed only the decoded bytes,
// always ends up holding exactly the desired routes.
#include "bgp/rib_out.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "bgp/tests/test_data.hpp"

namespace vipd::bgp {
namespace {

using testing::Bytes;
using testing::from_hex;
using testing::to_hex;

constexpr std::uint32_t kLocalAs = 64500;
constexpr std::uint32_t kPeerAs = 64496;
constexpr std::uint32_t kFourOctetAs = 65550;  // RFC 5398 documentation ASN over 65535

IpAddress v4(std::string_view text) { return IpAddress::parse_v4(text).value(); }
IpAddress v6(std::string_view text) { return IpAddress::parse_v6(text).value(); }
Prefix prefix(std::string_view text) { return Prefix::parse(text).value(); }
// Host routes from the benchmarking ranges (RFC 2544 and RFC 3849).
Prefix host_v4(std::uint32_t i) { return Prefix::host(IpAddress::v4(0xc6120000u + i)); }
Prefix host_v6(std::uint32_t i) {
  return Prefix::host(IpAddress::v6(make_u128(0x20010db800000000ull, 0x100000000ull + i)));
}
std::uint32_t community(std::uint32_t asn, std::uint32_t value) { return (asn << 16) | value; }

ExportPolicy ebgp() {
  ExportPolicy p;
  p.local_as = kLocalAs;
  p.peer_as = kPeerAs;
  p.codec = CodecOptions{.four_octet_as = true};
  p.next_hop_ipv4 = v4("192.0.2.1");
  p.next_hop_ipv6 = v6("2001:db8::1");
  p.ipv4_unicast = true;
  p.ipv6_unicast = true;
  return p;
}

ExportPolicy ibgp() {
  ExportPolicy p = ebgp();
  p.peer_as = kLocalAs;
  p.codec.external_peer = false;
  return p;
}

// How the peer decodes what we send.
CodecOptions receive_options(const ExportPolicy& p) {
  CodecOptions o = p.codec;
  o.external_peer = !p.internal();
  return o;
}

Bytes encoded(const Update& u, const ExportPolicy& p) {
  Bytes out;
  auto size = encode(u, p.codec, out);
  EXPECT_TRUE(size) << size.error().message();
  return out;
}

// Splits a byte stream into messages, decodes each, and insists nothing was wrong with them.
std::vector<Update> decode_stream(const Bytes& bytes, const ExportPolicy& p) {
  std::vector<Update> out;
  std::size_t at = 0;
  while (at < bytes.size()) {
    EXPECT_GE(bytes.size() - at, kHeaderSize);
    const std::size_t length = (std::size_t{bytes[at + 16]} << 8) | bytes[at + 17];
    EXPECT_LE(length, p.codec.max_message_size());
    EXPECT_LE(at + length, bytes.size());
    auto m = decode(std::span(bytes).subspan(at, length), receive_options(p));
    EXPECT_TRUE(m) << m.error().reason;
    if (!m) return out;
    const auto* u = std::get_if<Update>(&m.value());
    EXPECT_NE(u, nullptr);
    if (!u) return out;
    EXPECT_TRUE(u->issues.empty()) << u->issues[0].reason;
    out.push_back(*u);
    at += length;
  }
  return out;
}

std::vector<Prefix> prefixes_of(const std::vector<Nlri>& nlri) {
  std::vector<Prefix> out;
  for (const auto& n : nlri) out.push_back(n.prefix);
  return out;
}

class RibOut : public ::testing::Test {
 protected:
  AttributesRef attrs(RouteAttributes a = {}) { return interner_.intern(std::move(a)); }
  AttributesRef with_communities(std::vector<std::uint32_t> c) {
    RouteAttributes a;
    a.communities = std::move(c);
    return attrs(std::move(a));
  }
  AttributeInterner interner_;
};

// ---- exact messages ----------------------------------------------------------------------------

TEST_F(RibOut, EbgpIpv4FourOctetSessionGoldenBytes) {
  AdjRibOut rib(ebgp());
  rib.set(prefix("203.0.113.10/32"), with_communities({community(64500, 100)}));
  Bytes out;
  ASSERT_EQ(rib.updates(out), 1u);
  EXPECT_EQ(to_hex(out),
            to_hex(from_hex("ffffffffffffffffffffffffffffffff 0037 02"  // marker, 55, UPDATE
                            "0000"                                      // no withdrawn routes
                            "001b"                                      // 27 octets of attributes
                            "40 01 01 00"                               // ORIGIN IGP
                            "40 02 06 02 01 0000fbf4"  // AS_PATH SEQUENCE [64500], 4 octets
                            "40 03 04 c0000201"        // NEXT_HOP 192.0.2.1
                            "c0 08 04 fbf40064"        // COMMUNITIES 64500:100
                            "20 cb00710a")));          // NLRI 203.0.113.10/32
}

TEST_F(RibOut, TwoOctetSessionSendsAsTransAndAs4Path) {
  ExportPolicy p = ebgp();
  p.local_as = kFourOctetAs;
  p.codec.four_octet_as = false;
  AdjRibOut rib(p);
  rib.set(prefix("203.0.113.10/32"), attrs());
  Bytes out;
  ASSERT_EQ(rib.updates(out), 1u);
  EXPECT_EQ(to_hex(out),
            to_hex(from_hex("ffffffffffffffffffffffffffffffff 0037 02"  // 55 octets
                            "0000 001b"                                 // 27 octets of attributes
                            "40 01 01 00"                               // ORIGIN IGP
                            "40 02 04 02 01 5ba0"      // AS_PATH [AS_TRANS 23456], 2 octets
                            "40 03 04 c0000201"        // NEXT_HOP 192.0.2.1
                            "c0 11 06 02 01 0001000e"  // AS4_PATH [65550] (RFC 6793 §4.2.2)
                            "20 cb00710a")));          // NLRI 203.0.113.10/32
}

TEST_F(RibOut, TwoOctetSessionWithTwoOctetAsHasNoAs4Path) {
  ExportPolicy p = ebgp();
  p.codec.four_octet_as = false;
  const auto a = export_attributes(RouteAttributes{}, Family::kV4, p);
  EXPECT_FALSE(a.as4_path);
  EXPECT_EQ(a.as_path, (AsPath{{AsSegment{AsSegmentType::kSequence, {kLocalAs}}}}));
  // On a four-octet session a large ASN goes in AS_PATH as it is.
  p.local_as = kFourOctetAs;
  p.codec.four_octet_as = true;
  const auto b = export_attributes(RouteAttributes{}, Family::kV4, p);
  EXPECT_FALSE(b.as4_path);
  EXPECT_EQ(b.as_path, (AsPath{{AsSegment{AsSegmentType::kSequence, {kFourOctetAs}}}}));
}

TEST_F(RibOut, IbgpGoldenBytesEmptyAsPathAndLocalPref) {
  AdjRibOut rib(ibgp());
  RouteAttributes a;
  a.med = 10;
  a.local_pref = 200;
  rib.set(prefix("203.0.113.10/32"), attrs(a));
  Bytes out;
  ASSERT_EQ(rib.updates(out), 1u);
  EXPECT_EQ(to_hex(out), to_hex(from_hex("ffffffffffffffffffffffffffffffff 0038 02"  // 56 octets
                                         "0000 001c"          // 28 octets of attributes
                                         "40 01 01 00"        // ORIGIN IGP
                                         "40 02 00"           // AS_PATH empty (internal peer)
                                         "40 03 04 c0000201"  // NEXT_HOP 192.0.2.1
                                         "80 04 04 0000000a"  // MULTI_EXIT_DISC 10
                                         "40 05 04 000000c8"  // LOCAL_PREF 200
                                         "20 cb00710a")));
}

TEST_F(RibOut, LocalPrefOnlyToIbgpWithDefault) {
  RouteAttributes a;
  a.local_pref = 300;
  EXPECT_FALSE(export_attributes(a, Family::kV4, ebgp()).local_pref);
  EXPECT_EQ(export_attributes(a, Family::kV4, ibgp()).local_pref, 300u);
  EXPECT_EQ(export_attributes(RouteAttributes{}, Family::kV4, ibgp()).local_pref,
            kDefaultLocalPref);
  EXPECT_FALSE(export_attributes(RouteAttributes{}, Family::kV4, ebgp()).med);
  a.med = 0;  // a MED of zero is still sent when set
  EXPECT_EQ(export_attributes(a, Family::kV4, ebgp()).med, 0u);
}

TEST_F(RibOut, Ipv6GoldenBytesInMpReach) {
  AdjRibOut rib(ebgp());
  rib.set(prefix("2001:db8:1::10/128"), attrs());
  Bytes out;
  ASSERT_EQ(rib.updates(out), 1u);
  EXPECT_EQ(to_hex(out),
            to_hex(from_hex("ffffffffffffffffffffffffffffffff 004d 02"  // 77 octets
                            "0000 0036"                                 // 54 octets of attributes
                            "40 01 01 00"                               // ORIGIN IGP
                            "40 02 06 02 01 0000fbf4"                   // AS_PATH [64500]
                            "80 0e 26"                                  // MP_REACH_NLRI, 38 octets
                            "0002 01"                                   // AFI IPv6, SAFI unicast
                            "10 20010db8000000000000000000000001"       // next hop 2001:db8::1
                            "00"                                        // reserved
                            "80 20010db8000100000000000000000010")));   // 2001:db8:1::10/128
}

TEST_F(RibOut, Ipv6LinkLocalNextHopMakes32Octets) {
  ExportPolicy p = ebgp();
  p.next_hop_ipv6_link_local = v6("fe80::1");
  AdjRibOut rib(p);
  rib.set(prefix("2001:db8:1::10/128"), attrs());
  const auto updates = rib.take_updates();
  ASSERT_EQ(updates.size(), 1u);
  const auto& mp = updates[0].attributes.mp_reach;
  ASSERT_TRUE(mp);
  EXPECT_EQ(mp->family, kIpv6Unicast);
  EXPECT_EQ(mp->next_hop, v6("2001:db8::1"));
  EXPECT_EQ(mp->link_local_next_hop, v6("fe80::1"));
  EXPECT_FALSE(updates[0].attributes.next_hop);
  const Bytes bytes = encoded(updates[0], p);
  EXPECT_EQ(bytes[42], 0x20) << to_hex(bytes);  // next hop length: 32 octets
  EXPECT_EQ(decode_stream(bytes, p), updates);
}

TEST_F(RibOut, Ipv4OverIpv6NextHopGoldenBytes) {
  ExportPolicy p = ebgp();
  p.next_hop_ipv4.reset();  // an IPv6-only session
  p.ipv4_over_ipv6_next_hop = true;
  AdjRibOut rib(p);
  rib.set(prefix("203.0.113.10/32"), attrs());
  Bytes out;
  ASSERT_EQ(rib.updates(out), 1u);
  EXPECT_EQ(to_hex(out),
            to_hex(from_hex("ffffffffffffffffffffffffffffffff 0041 02"  // 65 octets
                            "0000 002a"                                 // 42 octets of attributes
                            "40 01 01 00"                               // ORIGIN IGP
                            "40 02 06 02 01 0000fbf4"                   // AS_PATH [64500]
                            "80 0e 1a"                                  // MP_REACH_NLRI, 26 octets
                            "0001 01"  // AFI IPv4, SAFI unicast (RFC 8950)
                            "10 20010db8000000000000000000000001"  // IPv6 next hop
                            "00"                                   // reserved
                            "20 cb00710a")));                      // 203.0.113.10/32
  EXPECT_EQ(decode_stream(out, p).size(), 1u);
}

TEST_F(RibOut, CommunitiesOfEveryKindGoldenBytes) {
  RouteAttributes a;
  a.origin = Origin::kIncomplete;
  a.communities = {community(64500, 2), community(64500, 1), community(64500, 2)};  // sorted
  a.large_communities = {LargeCommunity{64500, 1, 2}};
  a.extended_communities = {ExtendedCommunity{0x0002fbf400000064ull}};  // route target
  AdjRibOut rib(ebgp());
  rib.set(prefix("203.0.113.10/32"), attrs(a));
  Bytes out;
  ASSERT_EQ(rib.updates(out), 1u);
  EXPECT_EQ(to_hex(out),
            to_hex(from_hex("ffffffffffffffffffffffffffffffff 0055 02"  // 85 octets
                            "0000 0039"                                 // 57 octets of attributes
                            "40 01 01 02"                               // ORIGIN INCOMPLETE
                            "40 02 06 02 01 0000fbf4"                   // AS_PATH [64500]
                            "40 03 04 c0000201"                         // NEXT_HOP
                            "c0 08 08 fbf40001 fbf40002"           // COMMUNITIES, sorted, unique
                            "c0 10 08 0002fbf400000064"            // EXTENDED_COMMUNITIES
                            "c0 20 0c 0000fbf4 00000001 00000002"  // LARGE_COMMUNITY
                            "20 cb00710a")));
}

TEST_F(RibOut, GracefulShutdownAddsCommunityAndLocalPrefZero) {
  RouteAttributes a;
  a.local_pref = 200;
  a.communities = {community(64500, 100)};
  ExportPolicy drain_e = ebgp();
  drain_e.graceful_shutdown = true;
  ExportPolicy drain_i = ibgp();
  drain_i.graceful_shutdown = true;
  a.normalize();
  const auto e = export_attributes(a, Family::kV4, drain_e);
  EXPECT_EQ(e.communities, (std::vector<std::uint32_t>{community(64500, 100), 0xffff0000u}));
  EXPECT_FALSE(e.local_pref);  // never to eBGP, drained or not
  const auto i = export_attributes(a, Family::kV6, drain_i);
  EXPECT_EQ(i.communities, (std::vector<std::uint32_t>{community(64500, 100), 0xffff0000u}));
  EXPECT_EQ(i.local_pref, 0u);
  // Already carrying the community: not doubled.
  a.communities.push_back(kGracefulShutdownCommunity);
  EXPECT_EQ(export_attributes(a, Family::kV4, drain_e).communities,
            (std::vector<std::uint32_t>{community(64500, 100), 0xffff0000u}));
  // A route with no communities gets exactly the one.
  EXPECT_EQ(export_attributes(RouteAttributes{}, Family::kV4, drain_e).communities,
            (std::vector<std::uint32_t>{0xffff0000u}));
}

TEST_F(RibOut, DrainToggleResendsEverythingWithNewAttributes) {
  AdjRibOut rib(ibgp());
  const auto a = with_communities({community(64500, 1)});
  for (std::uint32_t i = 0; i < 5; ++i) rib.set(host_v4(i), a);
  rib.set(host_v6(0), a);
  ASSERT_EQ(rib.take_updates().size(), 2u);

  ExportPolicy drain = ibgp();
  drain.graceful_shutdown = true;
  rib.set_policy(drain);
  EXPECT_TRUE(rib.pending());
  auto updates = rib.take_updates();
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0].nlri.size(), 5u);
  EXPECT_EQ(updates[0].attributes.local_pref, 0u);
  EXPECT_EQ(updates[0].attributes.communities,
            (std::vector<std::uint32_t>{community(64500, 1), kGracefulShutdownCommunity}));
  EXPECT_EQ(updates[1].attributes.mp_reach->nlri.size(), 1u);
  EXPECT_EQ(updates[1].attributes.local_pref, 0u);

  rib.set_policy(drain);  // no change: nothing to send
  EXPECT_TRUE(rib.take_updates().empty());

  rib.set_policy(ibgp());
  updates = rib.take_updates();
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0].attributes.local_pref, kDefaultLocalPref);
  EXPECT_EQ(updates[0].attributes.communities, (std::vector<std::uint32_t>{community(64500, 1)}));
  EXPECT_EQ(rib.counters().advertised_ipv4, 5u);
  EXPECT_EQ(rib.counters().advertised_ipv6, 1u);
}

TEST_F(RibOut, AddPathSendsLocalPathId) {
  ExportPolicy p = ebgp();
  p.codec.add_path_ipv4 = true;
  p.codec.add_path_ipv6 = true;
  AdjRibOut rib(p);
  rib.set(host_v4(1), attrs());
  rib.set(host_v6(1), attrs());
  Bytes out;
  ASSERT_EQ(rib.updates(out), 2u);
  const auto decoded = decode_stream(out, p);
  ASSERT_EQ(decoded.size(), 2u);
  EXPECT_EQ(decoded[0].nlri, (std::vector<Nlri>{Nlri{host_v4(1), kLocalPathId}}));
  EXPECT_EQ(decoded[1].attributes.mp_reach->nlri,
            (std::vector<Nlri>{Nlri{host_v6(1), kLocalPathId}}));
  rib.erase(host_v4(1));
  rib.erase(host_v6(1));
  out.clear();
  ASSERT_EQ(rib.updates(out), 2u);
  const auto withdrawn = decode_stream(out, p);
  ASSERT_EQ(withdrawn.size(), 2u);
  EXPECT_EQ(withdrawn[0].withdrawn, (std::vector<Nlri>{Nlri{host_v4(1), kLocalPathId}}));
  EXPECT_EQ(withdrawn[1].attributes.mp_unreach->withdrawn,
            (std::vector<Nlri>{Nlri{host_v6(1), kLocalPathId}}));
}

TEST_F(RibOut, OrderIsWithdrawalsThenFamilyThenAttributeSetThenPrefix) {
  AdjRibOut rib(ebgp());
  const auto low = with_communities({community(64500, 1)});
  const auto high = with_communities({community(64500, 2)});
  rib.set(host_v4(100), low);
  rib.set(host_v6(100), low);
  rib.take_updates();
  rib.erase(host_v4(100));
  rib.erase(host_v6(100));
  rib.set(host_v6(2), high);
  rib.set(host_v4(3), high);
  rib.set(host_v4(2), low);
  rib.set(host_v4(1), high);
  rib.set(host_v6(1), low);
  const auto u = rib.take_updates();
  ASSERT_EQ(u.size(), 6u);
  EXPECT_EQ(prefixes_of(u[0].withdrawn), (std::vector<Prefix>{host_v4(100)}));
  EXPECT_EQ(prefixes_of(u[1].attributes.mp_unreach->withdrawn),
            (std::vector<Prefix>{host_v6(100)}));
  EXPECT_EQ(prefixes_of(u[2].nlri), (std::vector<Prefix>{host_v4(2)}));
  EXPECT_EQ(u[2].attributes.communities, low->communities);
  EXPECT_EQ(prefixes_of(u[3].nlri), (std::vector<Prefix>{host_v4(1), host_v4(3)}));
  EXPECT_EQ(u[3].attributes.communities, high->communities);
  EXPECT_EQ(prefixes_of(u[4].attributes.mp_reach->nlri), (std::vector<Prefix>{host_v6(1)}));
  EXPECT_EQ(prefixes_of(u[5].attributes.mp_reach->nlri), (std::vector<Prefix>{host_v6(2)}));
}

// ---- packing -----------------------------------------------------------------------------------

// The encoded size of an UPDATE carrying `route` to `p`'s peer with no prefixes.
std::size_t base_size(const RouteAttributes& route, Family family, const ExportPolicy& p) {
  Update u;
  u.attributes = export_attributes(route, family, p);
  return encoded(u, p).size();
}

TEST_F(RibOut, ExactlyFittingMessageThenOnePrefixMoreMakesTwo) {
  // Five communities make the empty UPDATE 66 octets: 806 /32s (5 octets each) fill 4096.
  const auto a = with_communities({1, 2, 3, 4, 5});
  const ExportPolicy p = ebgp();
  const std::size_t base = base_size(*a, Family::kV4, p);
  ASSERT_EQ((kMaxMessageSize - base) % 5, 0u) << base;
  const std::uint32_t fit = static_cast<std::uint32_t>((kMaxMessageSize - base) / 5);

  AdjRibOut rib(p);
  for (std::uint32_t i = 0; i < fit; ++i) rib.set(host_v4(i), a);
  Bytes out;
  ASSERT_EQ(rib.updates(out), 1u);
  EXPECT_EQ(out.size(), kMaxMessageSize);
  EXPECT_EQ(decode_stream(out, p)[0].nlri.size(), fit);

  AdjRibOut more(p);
  for (std::uint32_t i = 0; i <= fit; ++i) more.set(host_v4(i), a);
  out.clear();
  ASSERT_EQ(more.updates(out), 2u);
  const auto decoded = decode_stream(out, p);
  ASSERT_EQ(decoded.size(), 2u);
  EXPECT_EQ(decoded[0].nlri.size(), fit);
  EXPECT_EQ(decoded[1].nlri, (std::vector<Nlri>{Nlri{host_v4(fit), 0}}));
  EXPECT_EQ(out.size(), kMaxMessageSize + base + 5);
}

TEST_F(RibOut, ExtendedMessagesPackUpTo65535) {
  ExportPolicy p = ebgp();
  p.codec.extended_message = true;
  const auto a = attrs();
  const std::size_t base = base_size(*a, Family::kV4, p);
  const std::uint32_t fit = static_cast<std::uint32_t>((kMaxExtendedMessageSize - base) / 5);
  ASSERT_GT(fit, 13000u);

  AdjRibOut rib(p);
  for (std::uint32_t i = 0; i < fit; ++i) rib.set(host_v4(i), a);
  Bytes out;
  ASSERT_EQ(rib.updates(out), 1u);
  EXPECT_EQ(out.size(), base + 5 * fit);
  EXPECT_GT(out.size(), kMaxMessageSize);
  rib.set(host_v4(fit), a);
  rib.session_down();
  out.clear();
  ASSERT_EQ(rib.updates(out), 2u);
  const auto decoded = decode_stream(out, p);
  ASSERT_EQ(decoded.size(), 2u);
  EXPECT_EQ(decoded[0].nlri.size(), fit);
  EXPECT_EQ(decoded[1].nlri.size(), 1u);
}

TEST_F(RibOut, Ipv6PackingIsExactAcrossTheExtendedAttributeLength) {
  // /128s are 17 octets; MP_REACH_NLRI needs a two-octet length once its value passes 255.
  const ExportPolicy p = ebgp();
  const auto a = attrs();
  const std::size_t base = base_size(*a, Family::kV6, p);
  const std::uint32_t fit = static_cast<std::uint32_t>((kMaxMessageSize - base - 1) / 17);
  for (std::uint32_t n : {1u, 13u, 14u, fit, fit + 1, 3 * fit + 2}) {
    AdjRibOut rib(p);
    for (std::uint32_t i = 0; i < n; ++i) rib.set(host_v6(i), a);
    Bytes out;
    const std::size_t messages = rib.updates(out);
    EXPECT_EQ(messages, (n + fit - 1) / fit) << n;
    const auto decoded = decode_stream(out, p);
    ASSERT_EQ(decoded.size(), messages);
    std::size_t total = 0;
    for (const auto& u : decoded) total += u.attributes.mp_reach->nlri.size();
    EXPECT_EQ(total, n);
    // Full messages carry `fit` prefixes: the packing wastes no room.
    if (n > fit) {
      EXPECT_EQ(decoded[0].attributes.mp_reach->nlri.size(), fit);
    }
  }
}

TEST_F(RibOut, AttributesTooLargeForAnyMessageAreHeldBack) {
  std::vector<std::uint32_t> many;
  for (std::uint32_t i = 0; i < 1100; ++i) many.push_back(community(64500, i));  // 4400 octets
  const auto big = with_communities(many);
  AdjRibOut rib(ebgp());
  rib.set(host_v4(1), attrs());
  rib.take_updates();
  rib.set(host_v4(1), big);  // was advertised: must be withdrawn, not left stale
  rib.set(host_v4(2), big);
  const auto u = rib.take_updates();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(prefixes_of(u[0].withdrawn), (std::vector<Prefix>{host_v4(1)}));
  EXPECT_EQ(rib.counters().held_back, 2u);
  EXPECT_EQ(rib.counters().advertised_ipv4, 0u);

  ExportPolicy extended = ebgp();
  extended.codec.extended_message = true;
  rib.set_policy(extended);
  const auto sent = rib.take_updates();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].nlri.size(), 2u);
  EXPECT_EQ(rib.counters().held_back, 0u);
}

// ---- withdrawals -------------------------------------------------------------------------------

TEST_F(RibOut, WithdrawalsAreBatched) {
  const ExportPolicy p = ebgp();
  AdjRibOut rib(p);
  RouteSet set;
  for (std::uint32_t i = 0; i < 2000; ++i) set.emplace(host_v4(i), attrs());
  for (std::uint32_t i = 0; i < 500; ++i) set.emplace(host_v6(i), attrs());
  rib.replace(set);
  rib.take_updates();
  rib.replace({});
  Bytes out;
  const std::size_t messages = rib.updates(out);
  const auto decoded = decode_stream(out, p);
  ASSERT_EQ(decoded.size(), messages);
  // IPv4: (4096 - 23) / 5 = 814 per message; IPv6: (4096 - 23 - 4 - 3) / 17 = 239.
  ASSERT_EQ(messages, 3u + 3u);
  EXPECT_EQ(decoded[0].withdrawn.size(), 814u);
  EXPECT_EQ(decoded[1].withdrawn.size(), 814u);
  EXPECT_EQ(decoded[2].withdrawn.size(), 372u);
  EXPECT_EQ(decoded[3].attributes.mp_unreach->withdrawn.size(), 239u);
  EXPECT_EQ(decoded[4].attributes.mp_unreach->withdrawn.size(), 239u);
  EXPECT_EQ(decoded[5].attributes.mp_unreach->withdrawn.size(), 22u);
  EXPECT_EQ(out.size(), 2 * 4093u + 23 + 372 * 5 + 2 * (30 + 239 * 17) + 30 + 22 * 17);
  EXPECT_EQ(rib.counters().withdrawn, 2500u);
  EXPECT_EQ(rib.counters().advertised_ipv4, 0u);
  EXPECT_EQ(rib.counters().advertised_ipv6, 0u);
  EXPECT_EQ(rib.desired_size(), 0u);
}

TEST_F(RibOut, WithdrawalsExactlyFillingAMessage) {
  // 4096 - 23 = 4073 octets of withdrawn routes: 813 /32s (5 octets) and two /24s (4 octets).
  const ExportPolicy p = ebgp();
  for (const bool one_more : {false, true}) {
    AdjRibOut rib(p);
    const std::uint32_t hosts = one_more ? 814 : 813;
    for (std::uint32_t i = 0; i < hosts; ++i) rib.set(host_v4(i), attrs());
    rib.set(prefix("198.51.100.0/24"), attrs());
    rib.set(prefix("203.0.113.0/24"), attrs());
    rib.take_updates();
    rib.replace({});
    Bytes out;
    ASSERT_EQ(rib.updates(out), one_more ? 2u : 1u);
    const auto decoded = decode_stream(out, p);
    if (one_more) {  // 814 /32s fill 4093 octets; the /24s go in the next message
      EXPECT_EQ(decoded[0].withdrawn.size(), 814u);
      EXPECT_EQ(prefixes_of(decoded[1].withdrawn),
                (std::vector<Prefix>{prefix("198.51.100.0/24"), prefix("203.0.113.0/24")}));
    } else {
      EXPECT_EQ(decoded[0].withdrawn.size(), 815u);
      EXPECT_EQ(out.size(), kMaxMessageSize);
    }
  }
}

TEST_F(RibOut, Ipv6WithdrawalGoldenBytes) {
  AdjRibOut rib(ebgp());
  rib.set(prefix("2001:db8:1::/48"), attrs());
  rib.take_updates();
  rib.erase(prefix("2001:db8:1::/48"));
  Bytes out;
  ASSERT_EQ(rib.updates(out), 1u);
  EXPECT_EQ(to_hex(out), to_hex(from_hex("ffffffffffffffffffffffffffffffff 0024 02"  // 36 octets
                                         "0000 000d"            // 13 octets of attributes
                                         "80 0f 0a 0002 01"     // MP_UNREACH_NLRI, IPv6 unicast
                                         "30 20010db80001")));  // 2001:db8:1::/48
}

// ---- End-of-RIB --------------------------------------------------------------------------------

TEST_F(RibOut, FullTableEndsWithEndOfRibPerEnabledFamily) {
  AdjRibOut rib(ebgp());
  rib.set(host_v4(1), attrs());
  rib.set(host_v6(1), attrs());
  auto u = rib.take_full_table();
  ASSERT_EQ(u.size(), 4u);
  EXPECT_FALSE(u[0].end_of_rib());
  EXPECT_FALSE(u[1].end_of_rib());
  EXPECT_EQ(u[2].end_of_rib(), kIpv4Unicast);
  EXPECT_EQ(u[3].end_of_rib(), kIpv6Unicast);
  EXPECT_EQ(rib.counters().end_of_ribs, 2u);
  EXPECT_TRUE(rib.take_updates().empty());

  // Bytes: the RFC 4724 §2 markers exactly.
  ExportPolicy v4_only = ebgp();
  v4_only.ipv6_unicast = false;
  AdjRibOut empty(ebgp());
  Bytes out;
  ASSERT_EQ(empty.full_table(out), 2u);
  EXPECT_EQ(to_hex(out), to_hex(from_hex("ffffffffffffffffffffffffffffffff 0017 02 0000 0000"
                                         "ffffffffffffffffffffffffffffffff 001d 02 0000 0006"
                                         "80 0f 03 0002 01")));
  AdjRibOut only(v4_only);
  only.set(host_v6(1), attrs());  // family not enabled: held back
  u = only.take_full_table();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].end_of_rib(), kIpv4Unicast);
  EXPECT_EQ(only.counters().held_back, 1u);
}

TEST_F(RibOut, FullTableAfterRouteRefreshResendsAdvertisedRoutes) {
  ExportPolicy v4_only = ebgp();
  v4_only.ipv6_unicast = false;
  AdjRibOut rib(v4_only);
  for (std::uint32_t i = 0; i < 10; ++i) rib.set(host_v4(i), attrs());
  rib.take_full_table();
  rib.erase(host_v4(0));  // owed withdrawal goes out with the refresh
  const auto u = rib.take_full_table();
  ASSERT_EQ(u.size(), 3u);
  EXPECT_EQ(prefixes_of(u[0].withdrawn), (std::vector<Prefix>{host_v4(0)}));
  EXPECT_EQ(u[1].nlri.size(), 9u);
  EXPECT_EQ(u[2].end_of_rib(), kIpv4Unicast);
  EXPECT_EQ(rib.counters().announced, 19u);
}

// ---- deltas ------------------------------------------------------------------------------------

TEST_F(RibOut, ReplaceWithTheSameSetSendsNothing) {
  AdjRibOut rib(ebgp());
  RouteSet set;
  for (std::uint32_t i = 0; i < 100; ++i) set.emplace(host_v4(i), attrs());
  rib.replace(set);
  EXPECT_FALSE(rib.take_full_table().empty());
  rib.replace(set);
  EXPECT_TRUE(rib.take_updates().empty());
  // Equal attribute sets that are different objects are still equal.
  RouteSet copy;
  for (const auto& [p, a] : set) copy.emplace(p, std::make_shared<const RouteAttributes>(*a));
  rib.replace(copy);
  EXPECT_TRUE(rib.take_updates().empty());
  rib.set(host_v4(5), std::make_shared<const RouteAttributes>());
  EXPECT_TRUE(rib.take_updates().empty());
  EXPECT_EQ(rib.counters().announced, 100u);
}

TEST_F(RibOut, OneChangeOnALargeTableIsOneSmallUpdate) {
  const ExportPolicy p = ebgp();
  AdjRibOut rib(p);
  RouteSet set;
  const auto a = attrs();
  for (std::uint32_t i = 0; i < 10000; ++i) set.emplace(host_v4(i), a);
  rib.replace(set);
  Bytes out;
  EXPECT_GT(rib.full_table(out), 10u);

  const auto b = with_communities({community(64500, 7)});
  rib.set(host_v4(4321), b);
  auto u = rib.take_updates();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(prefixes_of(u[0].nlri), (std::vector<Prefix>{host_v4(4321)}));
  EXPECT_EQ(u[0].attributes.communities, b->communities);

  rib.erase(host_v4(17));
  u = rib.take_updates();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(prefixes_of(u[0].withdrawn), (std::vector<Prefix>{host_v4(17)}));

  set.erase(host_v4(17));
  set[host_v4(4321)] = b;
  set.emplace(host_v4(20000), a);
  rib.replace(set);
  u = rib.take_updates();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(prefixes_of(u[0].nlri), (std::vector<Prefix>{host_v4(20000)}));
  EXPECT_EQ(rib.counters().advertised_ipv4, 10000u);
}

TEST_F(RibOut, SetsThatExportAlikeShareMessagesAndChangesBetweenThemSendNothing) {
  // LOCAL_PREF never reaches an eBGP peer: 200 and 300 are the same route there.
  RouteAttributes a;
  a.local_pref = 200;
  RouteAttributes b;
  b.local_pref = 300;
  AdjRibOut rib(ebgp());
  rib.set(host_v4(1), attrs(a));
  rib.set(host_v4(2), attrs(b));
  auto u = rib.take_updates();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(prefixes_of(u[0].nlri), (std::vector<Prefix>{host_v4(1), host_v4(2)}));
  rib.set(host_v4(1), attrs(b));
  EXPECT_TRUE(rib.take_updates().empty());
  // Toward an iBGP peer they differ.
  AdjRibOut internal(ibgp());
  internal.set(host_v4(1), attrs(a));
  internal.set(host_v4(2), attrs(b));
  ASSERT_EQ(internal.take_updates().size(), 2u);
  internal.set(host_v4(1), attrs(b));
  u = internal.take_updates();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].attributes.local_pref, 300u);
}

TEST_F(RibOut, AddedThenRemovedBeforeUpdatesSendsNothing) {
  AdjRibOut rib(ebgp());
  rib.set(host_v4(1), attrs());
  rib.erase(host_v4(1));
  EXPECT_TRUE(rib.take_updates().empty());
  EXPECT_EQ(rib.desired_size(), 0u);

  rib.set(host_v4(2), attrs());
  rib.take_updates();
  // Changed and changed back: nothing.
  rib.set(host_v4(2), with_communities({1}));
  rib.set(host_v4(2), attrs());
  // Removed and re-added: nothing.
  rib.erase(host_v4(2));
  rib.set(host_v4(2), attrs());
  RouteSet none;
  rib.replace(none);
  RouteSet again{{host_v4(2), attrs()}};
  rib.replace(again);
  EXPECT_TRUE(rib.take_updates().empty());
  EXPECT_EQ(rib.counters().announced, 1u);
  EXPECT_EQ(rib.counters().withdrawn, 0u);
}

TEST_F(RibOut, SessionDownForgetsWhatWasSent) {
  AdjRibOut rib(ebgp());
  rib.set(host_v4(1), attrs());
  rib.set(host_v6(1), attrs());
  rib.take_full_table();
  EXPECT_EQ(rib.counters().advertised_ipv4, 1u);
  EXPECT_EQ(rib.counters().advertised_ipv6, 1u);
  rib.erase(host_v4(1));
  rib.session_down();
  EXPECT_EQ(rib.counters().advertised_ipv4, 0u);
  EXPECT_EQ(rib.counters().advertised_ipv6, 0u);
  // No withdrawal for a peer that holds nothing; the remaining route comes back in full.
  const auto u = rib.take_full_table();
  ASSERT_EQ(u.size(), 3u);
  EXPECT_EQ(prefixes_of(u[0].attributes.mp_reach->nlri), (std::vector<Prefix>{host_v6(1)}));
  EXPECT_EQ(u[1].end_of_rib(), kIpv4Unicast);
  EXPECT_EQ(u[2].end_of_rib(), kIpv6Unicast);
}

TEST_F(RibOut, InternerSharesEqualSetsAndCollectsUnused) {
  AttributeInterner interner;
  RouteAttributes a;
  a.communities = {3, 1, 2, 1};
  RouteAttributes b;
  b.communities = {1, 2, 3};
  const auto x = interner.intern(a);
  const auto y = interner.intern(b);
  EXPECT_EQ(x, y);
  EXPECT_EQ(x->communities, (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_TRUE(x->normalized());
  RouteAttributes normalized = a;
  normalized.normalize();
  EXPECT_EQ(normalized, b);
  EXPECT_EQ(hash_value(normalized), hash_value(b));
  EXPECT_FALSE(a.normalized());
  EXPECT_EQ(interner.size(), 1u);
  interner.intern(RouteAttributes{});
  EXPECT_EQ(interner.size(), 2u);
  EXPECT_EQ(interner.collect(), 1u);  // only the unreferenced empty set goes
  EXPECT_EQ(interner.size(), 1u);
}

// ---- property: a model peer always ends up with the desired routes
// -------------------------------

// The peer's Adj-RIB-In as it would hold it: prefix → attributes, with AS4_PATH merged back into
// AS_PATH (RFC 6793 §4.2.3) and the prefixes taken out of MP_REACH_NLRI.
// Attribute values are shared between the prefixes of one UPDATE, as a router would.
using Held = std::shared_ptr<const PathAttributes>;
using PeerRib = std::map<Prefix, Held>;

bool same_routes(const PeerRib& a, const PeerRib& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.first == y.first && (x.second == y.second || *x.second == *y.second);
  });
}

PathAttributes as_held(PathAttributes a) {
  if (a.as4_path) {
    a.as_path = a.as4_path;
    a.as4_path.reset();
  }
  if (a.mp_reach) a.mp_reach->nlri.clear();
  return a;
}

// What one batch did that a minimal delta never does.
struct Waste {
  std::size_t twice = 0;                // a prefix named twice in one batch
  std::size_t withdrawn_not_held = 0;   // withdrawal of a route the peer does not hold
  std::size_t announced_unchanged = 0;  // announcement of exactly what the peer holds
};

void apply(const Update& u, PeerRib& rib, std::set<Prefix>& touched, Waste& waste) {
  const auto touch = [&](const Prefix& p) { waste.twice += touched.insert(p).second ? 0 : 1; };
  const auto withdraw = [&](const Prefix& p) {
    touch(p);
    waste.withdrawn_not_held += rib.erase(p) == 0 ? 1 : 0;
  };
  const Held held = std::make_shared<const PathAttributes>(as_held(u.attributes));
  const auto announce = [&](const Prefix& p) {
    touch(p);
    Held& slot = rib[p];
    waste.announced_unchanged += slot && *slot == *held ? 1 : 0;
    slot = held;
  };
  for (const auto& n : u.withdrawn) withdraw(n.prefix);
  if (u.attributes.mp_unreach) {
    for (const auto& n : u.attributes.mp_unreach->withdrawn) withdraw(n.prefix);
  }
  for (const auto& n : u.nlri) announce(n.prefix);
  if (u.attributes.mp_reach) {
    for (const auto& n : u.attributes.mp_reach->nlri) announce(n.prefix);
  }
}

PeerRib expected_rib(const std::map<Prefix, AttributesRef>& desired, const ExportPolicy& p) {
  PeerRib out;
  std::map<std::pair<Family, RouteAttributes>, Held> exported;
  for (const auto& [prefix, a] : desired) {
    if (!p.exports(prefix.family())) continue;
    Held& held = exported[{prefix.family(), *a}];
    if (!held) {
      held = std::make_shared<const PathAttributes>(
          as_held(export_attributes(*a, prefix.family(), p)));
    }
    out.emplace_hint(out.end(), prefix, held);
  }
  return out;
}

class Scenario {
 public:
  explicit Scenario(std::uint64_t seed) : rng_(seed) {
    for (int i = 0; i < 6; ++i) {
      RouteAttributes a;
      a.origin = static_cast<Origin>(below(3));
      if (coin(30)) a.med = below(3);
      if (coin(30)) a.local_pref = 100 + below(3);
      for (std::uint32_t n = below(4); n > 0; --n)
        a.communities.push_back(community(64500, below(8)));
      if (coin(20)) a.large_communities.push_back(LargeCommunity{64500, below(3), 1});
      if (coin(20))
        a.extended_communities.push_back(ExtendedCommunity{0x0002fbf400000000ull + below(3)});
      sets_.push_back(interner_.intern(a));
    }
    for (std::uint32_t i = 0; i < 24; ++i) prefixes_.push_back(host_v4(i * 7));
    for (std::uint32_t i = 0; i < 24; ++i) prefixes_.push_back(host_v6(i * 5));
    prefixes_.push_back(prefix("198.51.100.0/24"));
    prefixes_.push_back(prefix("0.0.0.0/0"));
    prefixes_.push_back(prefix("2001:db8:8000::/33"));
    prefixes_.push_back(prefix("::/0"));
  }

  std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(rng_() % n); }
  bool coin(std::uint32_t percent) { return below(100) < percent; }

  AttributesRef some_attributes() {
    const AttributesRef& a = sets_[below(static_cast<std::uint32_t>(sets_.size()))];
    // Sometimes an equal set that is a different object, as a second planner run makes.
    return coin(10) ? std::make_shared<const RouteAttributes>(*a) : a;
  }
  const Prefix& some_prefix() {
    return prefixes_[below(static_cast<std::uint32_t>(prefixes_.size()))];
  }
  RouteSet some_set() {
    RouteSet set;
    if (coin(1)) {  // now and then enough routes to fill several messages
      const auto a = some_attributes();
      for (std::uint32_t i = 0; i < 1000; ++i) set.emplace(host_v4(100000 + i), a);
      for (std::uint32_t i = 0; i < 300; ++i) set.emplace(host_v6(100000 + i), a);
    }
    for (std::uint32_t n = below(30); n > 0; --n) set[some_prefix()] = some_attributes();
    return set;
  }
  ExportPolicy some_policy(bool session_facts) {
    ExportPolicy p = coin(50) ? ebgp() : ibgp();
    if (coin(30)) {
      p.local_as = kFourOctetAs;
      if (p.internal()) p.peer_as = kFourOctetAs;
    }
    if (session_facts) {
      p.codec.four_octet_as = coin(60);
      p.codec.extended_message = coin(20);
      p.codec.add_path_ipv4 = coin(20);
      p.codec.add_path_ipv6 = coin(20);
    } else {
      p.codec = codec_;
      p.local_as = local_as_;
      p.peer_as = peer_as_;
    }
    p.codec.external_peer = !p.internal();
    p.ipv4_unicast = coin(85);
    p.ipv6_unicast = coin(70);
    p.ipv4_over_ipv6_next_hop = coin(20);
    if (coin(20)) p.next_hop_ipv6_link_local = v6("fe80::1");
    if (coin(10)) p.next_hop_ipv6.reset();
    p.graceful_shutdown = coin(30);
    codec_ = p.codec;
    local_as_ = p.local_as;
    peer_as_ = p.peer_as;
    return p;
  }

 private:
  std::mt19937_64 rng_;
  AttributeInterner interner_;
  std::vector<AttributesRef> sets_;
  std::vector<Prefix> prefixes_;
  CodecOptions codec_;
  std::uint32_t local_as_ = 0;
  std::uint32_t peer_as_ = 0;
};

TEST(RibOutProperty, ModelPeerAlwaysHoldsTheDesiredRoutes) {
  constexpr int kSequences = 2000;
  constexpr int kSteps = 25;
  std::size_t messages = 0;
  std::size_t checks = 0;
  std::size_t withdrawals = 0;
  std::size_t end_of_ribs = 0;
  std::size_t large_batches = 0;  // several UPDATEs for one attribute set
  for (int seq = 0; seq < kSequences; ++seq) {
    Scenario s(0x5eed0000u + static_cast<std::uint64_t>(seq));
    ExportPolicy policy = s.some_policy(true);
    AdjRibOut rib(policy);
    std::map<Prefix, AttributesRef> desired;
    PeerRib peer;
    bool up = true;
    bool policy_changed = false;  // since the last send: everything may be re-sent
    for (int step = 0; step < kSteps; ++step) {
      SCOPED_TRACE("sequence " + std::to_string(seq) + " step " + std::to_string(step));
      const std::uint32_t op = s.below(100);
      if (op < 10) {
        const RouteSet set = s.some_set();
        rib.replace(set);
        desired.clear();
        desired.insert(set.begin(), set.end());
      } else if (op < 35) {
        const Prefix p = s.some_prefix();
        const auto a = s.some_attributes();
        rib.set(p, a);
        desired[p] = a;
      } else if (op < 50) {
        const Prefix p = s.some_prefix();
        rib.erase(p);
        desired.erase(p);
      } else if (op < 54) {
        rib.session_down();
        peer.clear();
        up = false;
        // A new session may negotiate different facts.
        policy = s.some_policy(true);
        rib.set_policy(policy);
      } else if (op < 60) {
        const ExportPolicy before = policy;
        policy = s.some_policy(false);
        rib.set_policy(policy);
        policy_changed |= !(policy == before);
      } else {
        // Send: the delta, or the full table (session up, ROUTE-REFRESH).
        // A session that just came up usually gets the full table; a delta must do as well.
        const bool full = (!up && s.coin(70)) || s.coin(15);
        std::vector<Update> produced;
        Bytes bytes;
        if (s.coin(50)) {
          full ? rib.full_table(bytes) : rib.updates(bytes);
        } else {
          produced = full ? rib.take_full_table() : rib.take_updates();
          for (const auto& u : produced) {
            const Bytes one = encoded(u, policy);
            ASSERT_LE(one.size(), policy.codec.max_message_size());
            bytes.insert(bytes.end(), one.begin(), one.end());
          }
        }
        const auto decoded = decode_stream(bytes, policy);
        if (!produced.empty()) {
          ASSERT_EQ(decoded.size(), produced.size());
        }
        std::set<Prefix> touched;
        Waste waste;
        std::vector<AfiSafi> eors;
        for (const auto& u : decoded) {
          if (const auto eor = u.end_of_rib()) {
            eors.push_back(*eor);
            continue;
          }
          ASSERT_TRUE(eors.empty()) << "End-of-RIB before the end of the table";
          apply(u, peer, touched, waste);
        }
        ASSERT_EQ(waste.twice, 0u) << "a prefix appears twice in one batch";
        ASSERT_EQ(waste.withdrawn_not_held, 0u);
        if (!full && !policy_changed) {
          ASSERT_EQ(waste.announced_unchanged, 0u) << "a delta re-announced an unchanged route";
        }
        policy_changed = false;
        std::vector<AfiSafi> want_eors;
        if (full && policy.ipv4_unicast) want_eors.push_back(kIpv4Unicast);
        if (full && policy.ipv6_unicast) want_eors.push_back(kIpv6Unicast);
        ASSERT_EQ(eors, want_eors);
        up = true;
        messages += decoded.size();
        end_of_ribs += eors.size();
        for (std::size_t i = 1; i < decoded.size(); ++i) {
          large_batches +=
              decoded[i].attributes == decoded[i - 1].attributes && !decoded[i].nlri.empty() ? 1
                                                                                             : 0;
        }
        for (const auto& u : decoded) {
          withdrawals += u.withdrawn.size() +
                         (u.attributes.mp_unreach ? u.attributes.mp_unreach->withdrawn.size() : 0);
        }
        ASSERT_TRUE(same_routes(peer, expected_rib(desired, policy)));
        ASSERT_FALSE(rib.pending() && !rib.take_updates().empty());
        std::size_t v4 = 0;
        for (const auto& [p, a] : peer) v4 += p.family() == Family::kV4 ? 1 : 0;
        ASSERT_EQ(rib.counters().advertised_ipv4, v4);
        ASSERT_EQ(rib.counters().advertised_ipv6, peer.size() - v4);
        ASSERT_EQ(rib.counters().held_back, desired.size() - peer.size());
        ASSERT_EQ(rib.desired_size(), desired.size());
        ++checks;
      }
    }
  }
  // The sequences reach what they are meant to reach.
  EXPECT_GT(checks, 18000u);
  EXPECT_GT(messages, 40000u);
  EXPECT_GT(withdrawals, 10000u);
  EXPECT_GT(end_of_ribs, 3000u);
  EXPECT_GT(large_batches, 20u);
}

}  // namespace
}  // namespace vipd::bgp
