// One test per NOTIFICATION code/subcode the decoder produces (RFC 4271 §6, RFC 7606, RFC 7313),
// asserting code, subcode, data and the RFC 7606 action.
#include <gtest/gtest.h>

#include "bgp/codec.hpp"
#include "bgp/framer.hpp"
#include "bgp/tests/test_data.hpp"

namespace vipd::bgp {
namespace {

using testing::Bytes;
using testing::from_hex;

Bytes message(std::uint8_t type, const Bytes& body, int length_override = -1) {
  Bytes m(16, 0xff);
  const std::size_t length =
      length_override >= 0 ? static_cast<std::size_t>(length_override) : body.size() + kHeaderSize;
  m.push_back(static_cast<std::uint8_t>(length >> 8));
  m.push_back(static_cast<std::uint8_t>(length));
  m.push_back(type);
  m.insert(m.end(), body.begin(), body.end());
  return m;
}

Bytes update(const Bytes& withdrawn, const Bytes& attributes, const Bytes& nlri) {
  Bytes body;
  body.push_back(static_cast<std::uint8_t>(withdrawn.size() >> 8));
  body.push_back(static_cast<std::uint8_t>(withdrawn.size()));
  body.insert(body.end(), withdrawn.begin(), withdrawn.end());
  body.push_back(static_cast<std::uint8_t>(attributes.size() >> 8));
  body.push_back(static_cast<std::uint8_t>(attributes.size()));
  body.insert(body.end(), attributes.begin(), attributes.end());
  body.insert(body.end(), nlri.begin(), nlri.end());
  return message(2, body);
}

// ORIGIN IGP, AS_PATH [64496] (four-octet), NEXT_HOP 192.0.2.1: a valid eBGP attribute set.
const Bytes kBase = from_hex("40010100 4002060201 0000fbf0 400304c0000201");
const Bytes kHostRoute = from_hex("20 cb00710a");  // 203.0.113.10/32

Bytes with(Bytes a, const Bytes& more) {
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

const CodecOptions kOptions{.four_octet_as = true};

void expect_error(const Bytes& bytes, std::uint8_t code, std::uint8_t subcode,
                  const Bytes& data = {}, const CodecOptions& options = kOptions) {
  auto m = decode(bytes, options);
  ASSERT_FALSE(m) << "decoded without error";
  EXPECT_EQ(m.error().code, code) << m.error().reason;
  EXPECT_EQ(m.error().subcode, subcode) << m.error().reason;
  EXPECT_EQ(m.error().data, data) << m.error().reason;
  EXPECT_EQ(m.error().action, ErrorAction::kSessionReset);
  EXPECT_FALSE(m.error().reason.empty());
}

Update decoded(const Bytes& bytes) {
  auto m = decode(bytes, kOptions);
  if (!m) {
    ADD_FAILURE() << "decode failed: " << m.error().reason;
    return {};
  }
  return std::get<Update>(m.value());
}

Update expect_issue(const Bytes& bytes, std::uint8_t subcode, ErrorAction action,
                    const CodecOptions& options = kOptions) {
  auto m = decode(bytes, options);
  if (!m) {
    ADD_FAILURE() << "session reset instead of " << to_string(action) << ": " << m.error().reason;
    return {};
  }
  const auto& u = std::get<Update>(m.value());
  EXPECT_EQ(u.action, action);
  const bool found = std::any_of(u.issues.begin(), u.issues.end(), [&](const AttributeIssue& i) {
    return i.subcode == subcode && i.action == action;
  });
  EXPECT_TRUE(found) << "no issue with subcode " << int(subcode);
  return u;
}

// ---- 1: Message Header Error -------------------------------------------------------------------

TEST(Errors, HeaderConnectionNotSynchronized_1_1) {
  Bytes m = message(4, {});
  m[3] = 0xfe;
  expect_error(m, 1, 1);
}

TEST(Errors, HeaderBadMessageLength_1_2) {
  expect_error(message(4, {}, 18), 1, 2, {0x00, 0x12});          // below 19
  expect_error(message(4, {0}), 1, 2, {0x00, 0x14});             // KEEPALIVE must be 19
  expect_error(message(1, Bytes(9, 0)), 1, 2, {0x00, 0x1c});     // OPEN below 29
  expect_error(message(2, {0, 0, 0}), 1, 2, {0x00, 0x16});       // UPDATE below 23
  expect_error(message(3, {6}), 1, 2, {0x00, 0x14});             // NOTIFICATION below 21
  expect_error(message(2, Bytes(4078, 0)), 1, 2, {0x10, 0x01});  // 4097 > 4096
  // With extended messages negotiated (RFC 8654) the same length is fine.
  // (4074 zero octets of NLRI are 4074 default routes: odd, but well formed.)
  auto ok = decode(message(2, Bytes(4078, 0)), CodecOptions{.extended_message = true});
  ASSERT_TRUE(ok) << ok.error().reason;
  EXPECT_EQ(std::get<Update>(ok.value()).nlri.size(), 4074u);
}

// RFC 8654 §4: up to 65535 octets once extended messages apply to the direction, 4096 before;
// "The BGP Extended Message Capability applies to all messages except for OPEN and KEEPALIVE".
TEST(Errors, HeaderBadMessageLengthFollowsExtendedMessage_1_2) {
  const CodecOptions extended{.four_octet_as = true, .extended_message = true};
  // A withdrawal of 65512 octets of default routes: a 65535-octet UPDATE.
  Bytes withdrawn(65512, 0);
  const Bytes largest = update(withdrawn, {}, {});
  ASSERT_EQ(largest.size(), 65535u);
  auto ok = decode(largest, extended);
  ASSERT_TRUE(ok) << ok.error().reason;
  EXPECT_EQ(std::get<Update>(ok.value()).withdrawn.size(), 65512u);
  expect_error(largest, 1, 2, {0xff, 0xff});  // not negotiated: the length is the data
  withdrawn.resize(4074);                     // 4097 octets
  EXPECT_TRUE(decode(update(withdrawn, {}, {}), extended));
  expect_error(update(withdrawn, {}, {}), 1, 2, {0x10, 0x01});
  // An OPEN stays within 4096 octets even then, and so does what vipd encodes.
  expect_error(message(1, Bytes(4078, 0)), 1, 2, {0x10, 0x01}, extended);
  Open big;
  big.my_as = 64496;
  big.hold_time = 90;
  big.bgp_identifier = 0xc0000201;
  for (int i = 0; i < 25; ++i) {
    Capability& c = big.capabilities.emplace_back();
    c.code = static_cast<std::uint8_t>(CapabilityCode::kFqdn);
    c.hostname = std::string(200, 'a' + static_cast<char>(i));
  }
  Bytes out;
  EXPECT_FALSE(encode(big, extended, out));
  EXPECT_TRUE(out.empty());
  // The same number of octets in a NOTIFICATION is fine.
  EXPECT_TRUE(decode(message(3, Bytes(4078, 0)), extended));
}

TEST(Errors, HeaderBadMessageType_1_3) {
  expect_error(message(6, {}), 1, 3, {6});
  expect_error(message(0, {}), 1, 3, {0});
}

TEST(Errors, HeaderLengthDisagreesWithTheBufferIsBadLength) {
  Bytes m = message(4, {});
  m.push_back(0);
  expect_error(m, 1, 2, {0x00, 0x13});
}

// ---- 2: OPEN Message Error --------------------------------------------------------------------

Bytes open(std::uint8_t version, std::uint16_t hold, std::uint32_t id, const Bytes& params) {
  Bytes body = {version, 0xfb, 0xf0, static_cast<std::uint8_t>(hold >> 8),
                static_cast<std::uint8_t>(hold)};
  for (int shift = 24; shift >= 0; shift -= 8)
    body.push_back(static_cast<std::uint8_t>(id >> shift));
  body.push_back(static_cast<std::uint8_t>(params.size()));
  body.insert(body.end(), params.begin(), params.end());
  return message(1, body);
}

TEST(Errors, OpenUnsupportedVersion_2_1) {
  expect_error(open(3, 90, 0xc0000201, {}), 2, 1, {0x00, 0x04});  // data: our version
}

TEST(Errors, OpenBadBgpIdentifier_2_3) { expect_error(open(4, 90, 0, {}), 2, 3); }

TEST(Errors, OpenUnsupportedOptionalParameter_2_4) {
  expect_error(open(4, 90, 0xc0000201, from_hex("0102 0000")), 2, 4);  // type 1: authentication
}

TEST(Errors, OpenUnacceptableHoldTime_2_6) {
  expect_error(open(4, 1, 0xc0000201, {}), 2, 6);
  expect_error(open(4, 2, 0xc0000201, {}), 2, 6);
  EXPECT_TRUE(decode(open(4, 0, 0xc0000201, {}), {}));
  EXPECT_TRUE(decode(open(4, 3, 0xc0000201, {}), {}));
}

TEST(Errors, OpenMalformedParametersAreUnspecific_2_0) {
  expect_error(open(4, 90, 0xc0000201, from_hex("0206 41040000")), 2, 0);     // parameter overruns
  expect_error(open(4, 90, 0xc0000201, from_hex("0204 4104 0000")), 2, 0);    // capability overruns
  expect_error(open(4, 90, 0xc0000201, from_hex("0205 010300 0101")), 2, 0);  // MP length 3
  expect_error(open(4, 90, 0xc0000201, from_hex("0202 0201")), 2, 0);  // RR with a value byte
  expect_error(open(4, 90, 0xc0000201, from_hex("0206 4504 00010104")), 2, 0);  // add-path 4
  // Optional parameters length disagreeing with the message.
  Bytes m = open(4, 90, 0xc0000201, from_hex("0202 0200"));
  m[28] = 3;
  expect_error(m, 2, 0);
}

// ---- 3: UPDATE Message Error ------------------------------------------------------------------

TEST(Errors, UpdateMalformedAttributeList_3_1) {
  // Withdrawn routes length past the end of the message.
  Bytes m = update({}, {}, {});
  m[20] = 9;
  expect_error(m, 3, 1);
  // Total path attribute length past the end.
  m = update({}, {}, {});
  m[22] = 9;
  expect_error(m, 3, 1);
  // MP_REACH_NLRI twice (RFC 7606 §3g).
  expect_error(
      update({}, with(with(kBase, from_hex("800e05 0002010000")), from_hex("800e05 0002010000")),
             {}),
      3, 1);
  // An attribute overrunning the block in an UPDATE with no routes to withdraw.
  expect_error(update({}, from_hex("40010500"), {}), 3, 1);
}

TEST(Errors, UpdateAttributeOverrunWithRoutesIsTreatAsWithdraw) {
  const auto u =
      expect_issue(update({}, from_hex("40010500"), kHostRoute), 1, ErrorAction::kTreatAsWithdraw);
  EXPECT_EQ(u.nlri.size(), 1u);  // the routes are known, so they can be withdrawn
}

TEST(Errors, UpdateUnrecognizedWellKnownAttribute_3_2) {
  const Bytes unknown = from_hex("40c8 02 abcd");  // well-known flags, unassigned type 200
  expect_error(update({}, with(kBase, unknown), kHostRoute), 3, 2, unknown);
}

TEST(Errors, UpdateUnknownOptionalAttributesAreKeptOrIgnored) {
  const Bytes transitive = from_hex("c0c8 02 abcd");
  const Bytes non_transitive = from_hex("80c9 01 ff");
  auto m = decode(update({}, with(with(kBase, transitive), non_transitive), kHostRoute), kOptions);
  ASSERT_TRUE(m);
  const auto& u = std::get<Update>(m.value());
  EXPECT_EQ(u.action, ErrorAction::kNone);
  ASSERT_EQ(u.attributes.unknown.size(), 1u);
  EXPECT_EQ(u.attributes.unknown[0], (RawAttribute{0xc0, 200, {0xab, 0xcd}}));
}

TEST(Errors, UpdateMissingWellKnownAttribute_3_3) {
  // NLRI without NEXT_HOP.
  auto u = expect_issue(update({}, from_hex("40010100 400200"), kHostRoute), 3,
                        ErrorAction::kTreatAsWithdraw);
  EXPECT_EQ(u.issues[0].type, 3);
  // NLRI without ORIGIN.
  u = expect_issue(update({}, from_hex("400200 400304c0000201"), kHostRoute), 3,
                   ErrorAction::kTreatAsWithdraw);
  EXPECT_EQ(u.issues[0].type, 1);
  // IPv6 routes in MP_REACH need ORIGIN and AS_PATH but no NEXT_HOP.
  const Bytes mp =
      from_hex("800e1e 0002011020010db8000000000000000000000001 00 4020010db800000000");
  EXPECT_EQ(decoded(update({}, with(from_hex("40010100 400200"), mp), {})).action,
            ErrorAction::kNone);
  expect_issue(update({}, mp, {}), 3, ErrorAction::kTreatAsWithdraw);
  // A withdrawal needs no attributes at all.
  EXPECT_EQ(decoded(update(kHostRoute, {}, {})).action, ErrorAction::kNone);
}

TEST(Errors, UpdateAttributeFlagsError_3_4) {
  // ORIGIN marked optional (RFC 7606: treat-as-withdraw), MED marked transitive.
  auto u = expect_issue(
      update({}, with(from_hex("c0010100 4002060201 0000fbf0 400304c0000201"), {}), kHostRoute), 4,
      ErrorAction::kTreatAsWithdraw);
  EXPECT_FALSE(u.attributes.origin);
  expect_issue(update({}, with(kBase, from_hex("c00404 00000001")), kHostRoute), 4,
               ErrorAction::kTreatAsWithdraw);
  // Partial on a well-known attribute.
  expect_issue(update({}, from_hex("60010100 4002060201 0000fbf0 400304c0000201"), kHostRoute), 4,
               ErrorAction::kTreatAsWithdraw);
  // AGGREGATOR with wrong flags is only discarded.
  expect_issue(update({}, with(kBase, from_hex("800708 0000fbf0 c0000201")), kHostRoute), 4,
               ErrorAction::kAttributeDiscard);
}

TEST(Errors, UpdateAttributeLengthError_3_5) {
  struct Case {
    const char* attribute;
    ErrorAction action;
  } cases[] = {
      {"800403 000001", ErrorAction::kTreatAsWithdraw},                  // MED
      {"400601 00", ErrorAction::kAttributeDiscard},                     // ATOMIC_AGGREGATE
      {"c00706 fbf0c0000201", ErrorAction::kAttributeDiscard},           // AGGREGATOR (needs 8)
      {"c00803 000001", ErrorAction::kTreatAsWithdraw},                  // COMMUNITIES
      {"c01007 00000000000000", ErrorAction::kTreatAsWithdraw},          // EXTENDED_COMMUNITIES
      {"c0200b 0000000000000000000000", ErrorAction::kTreatAsWithdraw},  // LARGE_COMMUNITY
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.attribute);
    expect_issue(update({}, with(kBase, from_hex(c.attribute)), kHostRoute), 5, c.action);
  }
  // ORIGIN of 2 octets.
  expect_issue(update({}, from_hex("400102 0000 4002060201 0000fbf0 400304c0000201"), kHostRoute),
               5, ErrorAction::kTreatAsWithdraw);
  // NEXT_HOP of 5 octets.
  expect_issue(update({}, from_hex("40010100 4002060201 0000fbf0 400305c000020100"), kHostRoute), 5,
               ErrorAction::kTreatAsWithdraw);
  // MP_REACH_NLRI too short to name its family: session reset with the attribute as data.
  expect_error(update({}, with(kBase, from_hex("800e02 0002")), {}), 3, 5, from_hex("800e02 0002"));
}

TEST(Errors, UpdateInvalidOrigin_3_6) {
  expect_issue(update({}, from_hex("40010103 4002060201 0000fbf0 400304c0000201"), kHostRoute), 6,
               ErrorAction::kTreatAsWithdraw);
}

TEST(Errors, UpdateInvalidNextHop_3_8) {
  for (const char* hop : {"e0000001", "00000000", "ffffffff", "f0000001"}) {
    SCOPED_TRACE(hop);
    expect_issue(update({}, with(from_hex("40010100 4002060201 0000fbf0 400304"), from_hex(hop)),
                        kHostRoute),
                 8, ErrorAction::kTreatAsWithdraw);
  }
}

TEST(Errors, UpdateOptionalAttributeError_3_9) {
  // MP_REACH_NLRI with a 15-octet IPv6 next hop: stop the family, keep the session.
  expect_issue(
      update({}, with(kBase, from_hex("800e14 000201 0f 000000000000000000000000000000 00")), {}),
      9, ErrorAction::kAfiSafiDisable);
  // MP_REACH_NLRI with a bad prefix inside.
  expect_issue(
      update({}, with(kBase, from_hex("800e16 000201 10 20010db8000000000000000000000001 00 81")),
             {}),
      9, ErrorAction::kAfiSafiDisable);
  // AS4_PATH on a session that negotiated four-octet ASNs is discarded (RFC 6793 §4.1).
  expect_issue(update({}, with(kBase, from_hex("c01106 0201 0000fbf0")), kHostRoute), 9,
               ErrorAction::kAttributeDiscard);
}

TEST(Errors, UpdateInvalidNetworkField_3_10) {
  expect_error(update({}, kBase, from_hex("21 cb00710a00")), 3, 10);  // /33
  expect_error(update({}, kBase, from_hex("20 cb0071")), 3, 10);      // runs past the end
  expect_error(update(from_hex("21 cb00710a00"), {}, {}), 3, 10);     // in withdrawn routes
}

TEST(Errors, UpdateMalformedAsPath_3_11) {
  for (const char* path : {"400203 020100",            // empty segment
                           "400206 0501 0000fbf0",     // segment type 5
                           "400206 0202 0000fbf0"}) {  // count overruns
    SCOPED_TRACE(path);
    expect_issue(
        update({}, with(with(from_hex("40010100"), from_hex(path)), from_hex("400304c0000201")),
               kHostRoute),
        11, ErrorAction::kTreatAsWithdraw);
  }
  // A confederation segment from an external peer (RFC 5065 §5.3).
  expect_issue(update({}, from_hex("40010100 4002060301 0000fbf0 400304c0000201"), kHostRoute), 11,
               ErrorAction::kTreatAsWithdraw);
}

// RFC 7606 §5.2: an attribute error other than "attribute discard" in an UPDATE that carries
// path attributes but no reachable NLRI is a session reset with the attribute's own
// NOTIFICATION; the same error next to routes stays treat-as-withdraw.
TEST(Errors, UpdateAttributeErrorWithoutReachableNlriResetsTheSession) {
  const Bytes as_path = from_hex("4002060201 0000fbf0");
  const Bytes next_hop = from_hex("400304c0000201");
  struct Case {
    const char* name;
    Bytes attributes;
    std::uint8_t subcode;
    Bytes data;
    CodecOptions options = kOptions;
  };
  // LOCAL_PREF counts only from an internal peer (RFC 7606 §7.5: discarded from an external one).
  const CodecOptions internal{.four_octet_as = true, .external_peer = false};
  const Case cases[] = {
      {"ORIGIN value 3", with(with(from_hex("40010103"), as_path), next_hop), 6,
       from_hex("40010103")},
      {"ORIGIN of 2 octets", with(with(from_hex("400102 0000"), as_path), next_hop), 5,
       from_hex("400102 0000")},
      {"ORIGIN marked optional", with(with(from_hex("c0010100"), as_path), next_hop), 4,
       from_hex("c0010100")},
      {"AS_PATH segment type 5", with(from_hex("40010100 400206 0501 0000fbf0"), next_hop), 11, {}},
      {"LOCAL_PREF of 3 octets", with(kBase, from_hex("400503 000064")), 5,
       from_hex("400503 000064"), internal},
      {"COMMUNITIES of 3 octets", with(kBase, from_hex("c00803 000001")), 5,
       from_hex("c00803 000001")},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    expect_error(update({}, c.attributes, {}), 3, c.subcode, c.data, c.options);
    // Withdrawn routes are no reachable NLRI, and neither is an MP_REACH_NLRI without prefixes.
    expect_error(update(kHostRoute, c.attributes, {}), 3, c.subcode, c.data, c.options);
    expect_error(
        update({},
               with(c.attributes, from_hex("800e15 000201 10 20010db8000000000000000000000001 00")),
               {}),
        3, c.subcode, c.data, c.options);
    // With routes to withdraw instead, the session stays.
    expect_issue(update({}, c.attributes, kHostRoute), c.subcode, ErrorAction::kTreatAsWithdraw,
                 c.options);
    expect_issue(
        update({},
               with(c.attributes,
                    from_hex(
                        "800e1e 000201 10 20010db8000000000000000000000001 00 4020010db800000000")),
               {}),
        c.subcode, ErrorAction::kTreatAsWithdraw, c.options);
  }
  // An attribute that overruns the block in a withdrawal is no exception.
  expect_error(update(kHostRoute, from_hex("40010500"), {}), 3, 1);
  // Attribute discard stays attribute discard: an AGGREGATOR of 5 octets with no NLRI.
  const auto u = expect_issue(update({}, with(kBase, from_hex("c00705 fbf0c00002")), {}), 5,
                              ErrorAction::kAttributeDiscard);
  EXPECT_EQ(u.action, ErrorAction::kAttributeDiscard);
  // A NEXT_HOP without IPv4 NLRI is ignored (RFC 4760 §3), so a bad one is no reason either.
  EXPECT_EQ(decoded(update({}, from_hex("40010100 4002060201 0000fbf0 400304e0000001"), {})).action,
            ErrorAction::kAttributeDiscard);
  // A malformed MP_REACH_NLRI may have held routes: its family is disabled, as before.
  expect_issue(
      update({}, with(kBase, from_hex("800e14 000201 0f 000000000000000000000000000000 00")), {}),
      9, ErrorAction::kAfiSafiDisable);
}

TEST(Errors, UpdateRepeatedAttributeIsDiscarded) {
  const auto u = expect_issue(update({}, with(kBase, from_hex("40010102")), kHostRoute), 1,
                              ErrorAction::kAttributeDiscard);
  EXPECT_EQ(u.attributes.origin, Origin::kIgp);  // the first one stands
}

TEST(Errors, MostSevereActionWins) {
  // AGGREGATOR discard + bad MED treat-as-withdraw + MP_REACH AFI/SAFI disable.
  const auto u = expect_issue(
      update({}, with(kBase, from_hex("c00705 0000000000 800405 0000000000 800e05 0002011100")),
             kHostRoute),
      9, ErrorAction::kAfiSafiDisable);
  EXPECT_EQ(u.issues.size(), 3u);
}

// ---- 7: ROUTE-REFRESH Message Error (RFC 7313 §5)
// ---------------------------------------------------

TEST(Errors, RouteRefreshInvalidMessageLength_7_1) {
  const Bytes m = message(5, from_hex("0001 00 01 00"));
  expect_error(m, 7, 1, m);
}

TEST(Errors, RouteRefreshLengthIsCheckedForTheKnownSubtypesOnly_7_1) {
  // RFC 7313 §5: BoRR and EoRR of any length but 4 octets; the data is the whole message.
  for (const char* body : {"0001 01 01 00", "0001 02 01 0000", "0001 01 01 0000000000"}) {
    SCOPED_TRACE(body);
    const Bytes m = message(5, from_hex(body));
    expect_error(m, 7, 1, m);
  }
  // A request cannot carry ORF entries (RFC 5291 is never negotiated), and no message is
  // shorter than AFI, subtype and SAFI.
  expect_error(message(5, from_hex("0001 00 01 00")), 7, 1, message(5, from_hex("0001 00 01 00")));
  expect_error(message(5, from_hex("0001 00")), 7, 1, message(5, from_hex("0001 00")));
  // RFC 7313 §4: a reserved subtype is to be ignored, not answered with an error, whatever its
  // length.
  for (const char* body : {"0002 03 01", "0002 ff 01 00", "0001 80 01 01020304"}) {
    SCOPED_TRACE(body);
    auto m = decode(message(5, from_hex(body)), kOptions);
    ASSERT_TRUE(m) << m.error().reason;
    const auto& rr = std::get<RouteRefresh>(m.value());
    EXPECT_GE(rr.subtype, 3);
  }
  auto borr = decode(message(5, from_hex("0002 01 01")), kOptions);
  ASSERT_TRUE(borr);
  EXPECT_EQ(std::get<RouteRefresh>(borr.value()), (RouteRefresh{2, 1, 1}));
}

// ---- framing errors surface the same way
// ---------------------------------------------------------

TEST(Errors, FramerReportsHeaderErrorsAndStaysFailed) {
  Framer framer;
  Bytes m = message(4, {});
  m[0] = 0;
  framer.feed(m);
  auto r = framer.next();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 1);
  EXPECT_EQ(r.error().subcode, 1);
  framer.feed(message(4, {}));
  EXPECT_FALSE(framer.next());
}

}  // namespace
}  // namespace vipd::bgp
