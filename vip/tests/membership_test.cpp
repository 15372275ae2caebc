// The membership heartbeat codec (golden bytes, round trips, every refusal with the field it
// names) and the Members rules on explicit time points (no clock is read).
#include "vip/membership.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace vipd::vip {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using Bytes = std::vector<std::uint8_t>;

// "ns/00042": keys that sort in the order of their numbers.
std::string numbered(std::string_view prefix, int i) {
  auto digits = std::to_string(i);
  return std::string(prefix) + std::string(5 - digits.size(), '0') + digits;
}

Heartbeat golden_heartbeat() {
  return {.node = "node-a",
          .incarnation = 0x0102030405060708,
          .sequence = 42,
          .interval_ms = 200,
          .leaving = false,
          .not_serving = {"default/db", "web/api"}};
}

// golden_heartbeat(), field by field.
const Bytes kGolden = {
    0x56, 0x49, 0x50, 0x4d,                                    // 0  magic "VIPM"
    0x01,                                                      // 4  version 1
    0x00,                                                      // 5  flags: not leaving, complete
    0x06,                                                      // 6  node length 6
    'n',  'o',  'd',  'e',  '-',  'a',                         // 7  "node-a"
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,            // 13 incarnation
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,            // 21 sequence 42
    0x00, 0x00, 0x00, 0xc8,                                    // 29 interval_ms 200
    0x00, 0x02,                                                // 33 count 2
    0x00, 0x0a,                                                // 35 length 10
    'd',  'e',  'f',  'a',  'u',  'l',  't',  '/',  'd', 'b',  // 37 "default/db"
    0x00, 0x07,                                                // 47 length 7
    'w',  'e',  'b',  '/',  'a',  'p',  'i',                   // 49 "web/api"
};

std::string error_of(const Bytes& bytes) {
  const auto r = decode(bytes);
  if (r) return "accepted";
  EXPECT_EQ(r.error().code(), make_error_code(Errc::kProtocolError));
  return r.error().message();
}

// A heartbeat's bytes with a few of them replaced.
Bytes patched(Bytes bytes, std::size_t at, std::initializer_list<std::uint8_t> values) {
  for (const auto v : values) bytes.at(at++) = v;
  return bytes;
}

TEST(MembershipCodec, GoldenBytes) {
  EXPECT_EQ(encode(golden_heartbeat()), kGolden);
  const auto decoded = decode(kGolden);
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(decoded.value(), golden_heartbeat());
  EXPECT_EQ(kGolden.size(), kHeartbeatFixedSize + 6 + 2 + 10 + 2 + 7);
}

TEST(MembershipCodec, FlagsOnTheWire) {
  auto h = golden_heartbeat();
  h.leaving = true;
  EXPECT_EQ(encode(h), patched(kGolden, 5, {0x01}));
  h.incomplete = true;
  EXPECT_EQ(encode(h), patched(kGolden, 5, {0x03}));
  EXPECT_EQ(decode(patched(kGolden, 5, {0x03})).value(), h);
}

TEST(MembershipCodec, RoundTripsAtTheLimits) {
  std::vector<Heartbeat> cases;
  cases.push_back({.node = "a", .interval_ms = 1});
  cases.push_back({.node = std::string(253, 'n'),
                   .incarnation = ~std::uint64_t{0},
                   .sequence = ~std::uint64_t{0},
                   .interval_ms = kMaxIntervalMs,
                   .leaving = true,
                   .not_serving = {std::string(253, 'k')}});
  Heartbeat many{.node = "b", .incarnation = 7, .sequence = 1, .interval_ms = 200};
  for (int i = 0; i < 4096; ++i) many.not_serving.push_back(numbered("ns/", i));
  cases.push_back(many);
  // Bytes above 0x7f sort after ASCII: the order is by unsigned byte, as memcmp.
  cases.push_back({.node = "c", .interval_ms = 5, .not_serving = {"a/b", "a/\xc3\xa9", "\xff"}});
  for (const auto& h : cases) {
    const auto bytes = encode(h);
    EXPECT_LE(bytes.size(), kMaxDatagram);
    const auto decoded = decode(bytes);
    ASSERT_TRUE(decoded) << decoded.error().message();
    EXPECT_EQ(decoded.value(), h);
  }
}

// Property: encode then decode is identity for any heartbeat the encoder takes whole.
TEST(MembershipCodec, RandomHeartbeatsRoundTrip) {
  std::mt19937_64 rng(20240611);
  const auto text = [&](std::size_t max) {
    std::string s(1 + rng() % max, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    return s;
  };
  for (int i = 0; i < 500; ++i) {
    Heartbeat h{.node = text(253),
                .incarnation = rng(),
                .sequence = rng(),
                .interval_ms = static_cast<std::uint32_t>(1 + rng() % kMaxIntervalMs),
                .leaving = rng() % 2 == 0,
                .incomplete = rng() % 5 == 0};
    std::set<std::string> keys;
    for (std::size_t k = rng() % 40; k > 0; --k) keys.insert(text(253));
    h.not_serving.assign(keys.begin(), keys.end());
    const auto decoded = decode(encode(h));
    ASSERT_TRUE(decoded) << decoded.error().message();
    ASSERT_EQ(decoded.value(), h);
  }
}

// Every prefix of the golden message is refused, naming the first field it cuts short.
TEST(MembershipCodec, EveryTruncationNamesTheField) {
  const auto field_at = [](std::size_t n) -> std::string {
    if (n < 4) return "magic: needs 4 bytes";
    if (n < 5) return "version: needs 1 bytes";
    if (n < 6) return "flags: needs 1 bytes";
    if (n < 7) return "node length: needs 1 bytes";
    if (n < 13) return "node: needs 6 bytes";
    if (n < 21) return "incarnation: needs 8 bytes";
    if (n < 29) return "sequence: needs 8 bytes";
    if (n < 33) return "interval_ms: needs 4 bytes";
    if (n < 35) return "count: needs 2 bytes";
    // Two entries take at least 6 bytes: a shorter rest cannot hold them.
    if (n < 41) return "count: 2 entries cannot fit";
    if (n < 47) return "not_serving[0]: needs 10 bytes";
    if (n < 49) return "not_serving[1] length: needs 2 bytes";
    return "not_serving[1]: needs 7 bytes";
  };
  for (std::size_t n = 0; n < kGolden.size(); ++n) {
    const Bytes prefix(kGolden.begin(), kGolden.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_THAT(error_of(prefix), HasSubstr(field_at(n))) << "prefix of " << n << " bytes";
  }
}

TEST(MembershipCodec, RefusesBadHeaderFields) {
  EXPECT_THAT(error_of(patched(kGolden, 0, {'V', 'I', 'P', 'X'})), HasSubstr("magic: not"));
  EXPECT_THAT(error_of(patched(kGolden, 4, {0})), HasSubstr("version: 0 is not 1"));
  EXPECT_THAT(error_of(patched(kGolden, 4, {2})), HasSubstr("version: 2 is not 1"));
  EXPECT_THAT(error_of(patched(kGolden, 5, {0x04})), HasSubstr("flags: unknown bits set in 4"));
  EXPECT_THAT(error_of(patched(kGolden, 5, {0x80})), HasSubstr("flags: unknown bits"));
  EXPECT_THAT(error_of(patched(kGolden, 29, {0, 0, 0, 0})),
              HasSubstr("interval_ms: 0 is not within 1-60000 (offset 29)"));
  EXPECT_THAT(error_of(patched(kGolden, 29, {0, 0, 0xea, 0x61})),  // 60001
              HasSubstr("interval_ms: 60001 is not within"));
  EXPECT_EQ(decode(patched(kGolden, 29, {0, 0, 0xea, 0x60})).value().interval_ms, 60000u);
}

TEST(MembershipCodec, RefusesBadNames) {
  // Node length 0: the name is empty.
  EXPECT_THAT(error_of(patched(kGolden, 6, {0})), HasSubstr("node length: must not be 0"));
  // Node length 254, with enough bytes behind it to read.
  Bytes long_node = kGolden;
  long_node[6] = 254;
  long_node.insert(long_node.begin() + 7, 248, 'x');
  EXPECT_THAT(error_of(long_node), HasSubstr("node length: 254 is over 253"));
  // Node length past the end of the datagram.
  EXPECT_THAT(error_of(patched(kGolden, 6, {200})), HasSubstr("node: needs 200 bytes, 49 left"));
  // An entry of length 0, of 254, past the end.
  EXPECT_THAT(error_of(patched(kGolden, 35, {0, 0})),
              HasSubstr("not_serving[0] length: must not be 0 (offset 35)"));
  EXPECT_THAT(error_of(patched(kGolden, 35, {0, 254})),
              HasSubstr("not_serving[0] length: 254 is over 253"));
  EXPECT_THAT(error_of(patched(kGolden, 47, {0, 8})),
              HasSubstr("not_serving[1]: needs 8 bytes, 7 left"));
  EXPECT_THAT(error_of(patched(kGolden, 47, {0xff, 0xff})),
              HasSubstr("not_serving[1] length: 65535 is over 253"));
}

TEST(MembershipCodec, RefusesCountsAndOrder) {
  // More entries announced than follow.
  EXPECT_THAT(error_of(patched(kGolden, 33, {0, 3})),
              HasSubstr("not_serving[2] length: needs 2 bytes, 0 left"));
  // Fewer: the rest is trailing.
  EXPECT_THAT(error_of(patched(kGolden, 33, {0, 1})), HasSubstr("end: 9 trailing bytes"));
  // More than 4096, and more than the datagram can hold.
  EXPECT_THAT(error_of(patched(kGolden, 33, {0x10, 0x01})), HasSubstr("count: 4097 is over 4096"));
  EXPECT_THAT(error_of(patched(kGolden, 33, {0x10, 0x00})),
              HasSubstr("count: 4096 entries cannot fit in 21 bytes"));
  // Out of order, and duplicates.
  Bytes swapped = encode({.node = "n", .interval_ms = 200, .not_serving = {"b/x", "b/y"}});
  swapped.back() = 'w';  // the second entry "b/w" sorts before "b/x"
  EXPECT_THAT(error_of(swapped), HasSubstr("not_serving[1]: not after the previous entry"));
  swapped.back() = 'x';  // "b/x" twice
  EXPECT_THAT(error_of(swapped), HasSubstr("not_serving[1]: not after the previous entry"));
  swapped.back() = 'z';
  EXPECT_TRUE(decode(swapped));
}

TEST(MembershipCodec, RefusesTrailingBytesAndOversizedDatagrams) {
  Bytes trailing = kGolden;
  trailing.push_back(0);
  EXPECT_THAT(error_of(trailing), HasSubstr("end: 1 trailing bytes (offset 56)"));
  Bytes huge(kMaxDatagram + 1, 0);
  EXPECT_THAT(error_of(huge), HasSubstr("datagram: 65001 bytes, over 65000"));
  EXPECT_THAT(error_of({}), HasSubstr("magic: needs 4 bytes, 0 left (offset 0)"));
}

// Beyond 4096 entries the list is cut and marked incomplete.
TEST(MembershipCodec, TooManyServicesAreCutAndFlagged) {
  Heartbeat h{.node = "a", .interval_ms = 200};
  for (int i = 0; i < 5000; ++i) h.not_serving.push_back(numbered("ns/", i));
  const auto decoded = decode(encode(h)).value();
  EXPECT_TRUE(decoded.incomplete);
  ASSERT_EQ(decoded.not_serving.size(), kMaxServices);
  EXPECT_TRUE(
      std::equal(decoded.not_serving.begin(), decoded.not_serving.end(), h.not_serving.begin()));
}

// A list whose bytes exceed the datagram limit is cut at the last entry that fits.
TEST(MembershipCodec, DatagramLimitCutsTheListAndFlagsIt) {
  Heartbeat h{.node = std::string(253, 'n'), .interval_ms = 200};
  for (int i = 0; i < 300; ++i) h.not_serving.push_back(numbered("", i) + std::string(248, 'k'));
  const auto bytes = encode(h);
  EXPECT_LE(bytes.size(), kMaxDatagram);
  // 29 + 253 fixed, 255 per entry: 253 entries make 64,797 bytes; one more would be 65,052.
  EXPECT_EQ(bytes.size(), kHeartbeatFixedSize + 253 + 253 * 255);
  const auto decoded = decode(bytes).value();
  EXPECT_TRUE(decoded.incomplete);
  ASSERT_EQ(decoded.not_serving.size(), 253u);
  EXPECT_EQ(decoded.not_serving.back(), h.not_serving[252]);
}

// A key longer than the wire allows is left out (the rest kept) and the list marked incomplete.
TEST(MembershipCodec, OverlongKeyIsLeftOutAndFlagged) {
  Heartbeat h{
      .node = "a", .interval_ms = 200, .not_serving = {"a/a", "b/" + std::string(252, 'x'), "c/c"}};
  const auto decoded = decode(encode(h)).value();
  EXPECT_TRUE(decoded.incomplete);
  EXPECT_THAT(decoded.not_serving, ElementsAre("a/a", "c/c"));
}

TEST(MembershipCodecDeathTest, CallerInvariantsAreAsserted) {
  EXPECT_DEATH(encode({.node = "a", .interval_ms = 200, .not_serving = {"b", "a"}}),
               "sorted and unique");
  EXPECT_DEATH(encode({.node = "a", .interval_ms = 200, .not_serving = {"a", "a"}}),
               "sorted and unique");
  EXPECT_DEATH(encode({.node = "", .interval_ms = 200}), "1-253 bytes");
  EXPECT_DEATH(encode({.node = "a", .interval_ms = 0}), "1-60000 ms");
}

// --- Members ---------------------------------------------------------------------------------

const Clock::time_point t0{std::chrono::seconds(1000)};

Heartbeat hb(std::string node, std::uint64_t incarnation, std::uint64_t sequence,
             std::vector<std::string> not_serving = {}, std::uint32_t interval_ms = 200) {
  return {.node = std::move(node),
          .incarnation = incarnation,
          .sequence = sequence,
          .interval_ms = interval_ms,
          .not_serving = std::move(not_serving)};
}

using Live = std::set<std::string, std::less<>>;

TEST(Members, LiveUntilMultiplierTimesTheSendersInterval) {
  Members m({"a", "b", "c"});
  EXPECT_THAT(m.live(t0), IsEmpty());
  EXPECT_EQ(m.next_expiry(t0), std::nullopt);
  EXPECT_TRUE(m.observe(hb("a", 1, 1), t0));
  EXPECT_EQ(m.live(t0), Live{"a"});
  EXPECT_EQ(m.live(t0 + 599ms), Live{"a"});
  EXPECT_THAT(m.live(t0 + 600ms), IsEmpty());
  EXPECT_EQ(m.next_expiry(t0), t0 + 600ms);
  EXPECT_EQ(m.next_expiry(t0 + 600ms), std::nullopt);
  // A newer heartbeat renews from its own arrival; the same list is no change.
  EXPECT_FALSE(m.observe(hb("a", 1, 2), t0 + 400ms));
  EXPECT_EQ(m.live(t0 + 999ms), Live{"a"});
  EXPECT_THAT(m.live(t0 + 1000ms), IsEmpty());
  // After it expired, the next heartbeat makes it live again: a change.
  EXPECT_TRUE(m.observe(hb("a", 1, 3), t0 + 2000ms));
  EXPECT_TRUE(m.is_live("a", t0 + 2000ms));
}

TEST(Members, TheReceiversMultiplierAndTheSendersInterval) {
  Members m({"a", "b"}, 5);
  EXPECT_EQ(m.multiplier(), 5);
  m.observe(hb("a", 1, 1, {}, 100), t0);
  m.observe(hb("b", 1, 1, {}, 1000), t0);
  EXPECT_EQ(m.next_expiry(t0), t0 + 500ms);
  EXPECT_EQ(m.live(t0 + 499ms), (Live{"a", "b"}));
  EXPECT_EQ(m.live(t0 + 500ms), Live{"b"});
  EXPECT_EQ(m.next_expiry(t0 + 500ms), t0 + 5000ms);
  EXPECT_EQ(m.live(t0 + 5000ms), Live{});
}

TEST(Members, OlderOrRepeatedSequencesAreIgnored) {
  Members m({"a"});
  EXPECT_TRUE(m.observe(hb("a", 1, 5), t0));
  EXPECT_FALSE(m.observe(hb("a", 1, 4, {"x/y"}), t0 + 100ms));  // reordered: not applied
  EXPECT_TRUE(m.serves("a", "x/y", t0 + 100ms));
  EXPECT_FALSE(m.observe(hb("a", 1, 5, {"x/y"}), t0 + 100ms));  // repeated
  EXPECT_TRUE(m.serves("a", "x/y", t0 + 100ms));
  // Neither renewed the member: it still expires 600 ms after sequence 5.
  EXPECT_EQ(m.next_expiry(t0 + 100ms), t0 + 600ms);
  EXPECT_FALSE(m.is_live("a", t0 + 600ms));
}

TEST(Members, ANewIncarnationReplacesTheOldOneForGood) {
  Members m({"a"});
  m.observe(hb("a", 1, 100), t0);
  // A restart: sequence starts again, lower, under a new incarnation.
  EXPECT_TRUE(m.observe(hb("a", 2, 1, {"x/y"}), t0 + 100ms));
  EXPECT_FALSE(m.serves("a", "x/y", t0 + 100ms));
  EXPECT_EQ(m.status(t0 + 100ms).front().last->incarnation, 2u);
  // A late datagram of the previous run changes nothing, whatever its sequence.
  EXPECT_FALSE(m.observe(hb("a", 1, 101), t0 + 200ms));
  EXPECT_FALSE(m.serves("a", "x/y", t0 + 200ms));
  EXPECT_EQ(m.next_expiry(t0 + 200ms), t0 + 700ms);
  EXPECT_FALSE(m.observe(hb("a", 2, 1), t0 + 200ms));  // repeated
  EXPECT_TRUE(m.observe(hb("a", 2, 2), t0 + 200ms));   // not_serving emptied
  EXPECT_TRUE(m.serves("a", "x/y", t0 + 200ms));
}

TEST(Members, LeavingIsNotLiveAtOnce) {
  Members m({"a", "b"});
  m.observe(hb("a", 1, 1), t0);
  m.observe(hb("b", 1, 1), t0 + 50ms);
  auto leave = hb("a", 1, 2);
  leave.leaving = true;
  EXPECT_TRUE(m.observe(leave, t0 + 100ms));
  EXPECT_EQ(m.live(t0 + 100ms), Live{"b"});
  EXPECT_FALSE(m.serves("a", "x/y", t0 + 100ms));
  EXPECT_EQ(m.next_expiry(t0 + 100ms), t0 + 650ms);  // b's, not a's
  // A reordered earlier heartbeat does not bring it back; its next run does.
  EXPECT_FALSE(m.observe(hb("a", 1, 1), t0 + 150ms));
  EXPECT_FALSE(m.is_live("a", t0 + 150ms));
  EXPECT_TRUE(m.observe(hb("a", 9, 1), t0 + 200ms));
  EXPECT_TRUE(m.is_live("a", t0 + 200ms));
  // A member that leaves without ever being live is no change.
  Members fresh({"a"});
  EXPECT_FALSE(fresh.observe(leave, t0));
}

TEST(Members, UnknownNamesAreIgnored) {
  Members m({"a"});
  EXPECT_FALSE(m.known("z"));
  EXPECT_FALSE(m.observe(hb("z", 1, 1), t0));
  EXPECT_THAT(m.live(t0), IsEmpty());
  EXPECT_FALSE(m.is_live("z", t0));
  EXPECT_FALSE(m.serves("z", "x/y", t0));
  EXPECT_EQ(m.next_expiry(t0), std::nullopt);
  EXPECT_EQ(m.status(t0).size(), 1u);
}

TEST(Members, ServesWhatIsNotListedWhileLive) {
  Members m({"a", "b"});
  EXPECT_FALSE(m.serves("a", "ns/web", t0));  // never heard
  EXPECT_TRUE(m.observe(hb("a", 1, 1, {"ns/db"}), t0));
  EXPECT_TRUE(m.serves("a", "ns/web", t0));
  EXPECT_FALSE(m.serves("a", "ns/db", t0));
  EXPECT_FALSE(m.serves("a", "ns/web", t0 + 600ms));  // expired
  // Changes of the list are changes; the same list is not.
  EXPECT_TRUE(m.observe(hb("a", 1, 2, {"ns/db", "ns/web"}), t0 + 700ms));  // back: live again
  EXPECT_FALSE(m.observe(hb("a", 1, 3, {"ns/db", "ns/web"}), t0 + 800ms));
  EXPECT_FALSE(m.serves("a", "ns/web", t0 + 800ms));
  EXPECT_TRUE(m.observe(hb("a", 1, 4), t0 + 900ms));
  EXPECT_TRUE(m.serves("a", "ns/db", t0 + 900ms));
  // An incomplete list: nothing is known to be served.
  auto cut = hb("a", 1, 5, {"ns/db"});
  cut.incomplete = true;
  EXPECT_TRUE(m.observe(cut, t0 + 1000ms));
  EXPECT_FALSE(m.serves("a", "ns/web", t0 + 1000ms));
  EXPECT_TRUE(m.is_live("a", t0 + 1000ms));
  cut.sequence = 6;
  cut.incomplete = false;
  EXPECT_TRUE(m.observe(cut, t0 + 1100ms));
  EXPECT_TRUE(m.serves("a", "ns/web", t0 + 1100ms));
  EXPECT_FALSE(m.serves("b", "ns/web", t0 + 1100ms));
}

TEST(Members, NextExpiryIsTheEarliestLiveMembers) {
  Members m({"a", "b", "c"});
  m.observe(hb("a", 1, 1), t0);
  m.observe(hb("b", 1, 1), t0 + 100ms);
  m.observe(hb("c", 1, 1), t0 + 200ms);
  EXPECT_EQ(m.next_expiry(t0 + 200ms), t0 + 600ms);
  m.observe(hb("a", 1, 2), t0 + 300ms);
  EXPECT_EQ(m.next_expiry(t0 + 300ms), t0 + 700ms);  // b's now
  EXPECT_EQ(m.next_expiry(t0 + 700ms), t0 + 800ms);  // b expired: c's
  EXPECT_EQ(m.next_expiry(t0 + 900ms), std::nullopt);
}

TEST(Members, StatusListsEveryMember) {
  Members m({"b", "a"});
  m.observe(hb("a", 1, 1, {"ns/x"}), t0);
  const auto s = m.status(t0 + 10ms);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].name, "a");
  EXPECT_TRUE(s[0].live);
  EXPECT_EQ(s[0].heard, t0);
  EXPECT_EQ(s[0].expires, t0 + 600ms);
  EXPECT_THAT(s[0].last->not_serving, ElementsAre("ns/x"));
  EXPECT_EQ(s[1].name, "b");
  EXPECT_FALSE(s[1].live);
  EXPECT_EQ(s[1].last, std::nullopt);
  EXPECT_EQ(s[1].heard, std::nullopt);
}

}  // namespace
}  // namespace vipd::vip
