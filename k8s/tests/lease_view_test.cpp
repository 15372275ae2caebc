// The Lease view and MicroTime: the round-trip fixture's spec decodes and encodes back to the
// same JSON, RFC 3339 forms the API server may send parse to the right instant, and format →
// parse is the identity over the years 0000-9999.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdint>

#include "k8s/objects.hpp"
#include "k8s/tests/objects_test_util.hpp"

namespace vipd::k8s {
namespace {

using namespace std::chrono;
using testing::error_of;
using testing::load;
using testing::parse;

MicroTime at_utc(year_month_day date, hours h, minutes m, seconds s, microseconds us = {}) {
  return MicroTime{sys_days{date}} + h + m + s + us;
}

TEST(MicroTime, ParsesTheFormsTheApiSends) {
  const MicroTime base = at_utc(2026y / March / 2, 10h, 15min, 0s);
  const std::pair<const char*, MicroTime> cases[] = {
      {"2026-03-02T10:15:00.123456Z", base + 123456us},
      {"2026-03-02T10:15:00.000000Z", base},
      {"2026-03-02T10:15:00Z", base},  // metav1.Time: seconds only
      {"2026-03-02t10:15:00z", base},
      {"2026-03-02T10:15:00.5Z", base + 500000us},
      {"2026-03-02T10:15:00.123456789Z", base + 123456us},  // truncated, as MicroTime does
      {"2026-03-02T11:15:00.000001+01:00", base + 1us},
      {"2026-03-02T04:45:00-05:30", base},
      {"2026-03-03T00:15:00+14:00", base},
      {"2024-02-29T00:00:00Z", at_utc(2024y / February / 29, 0h, 0min, 0s)},
      {"1969-12-31T23:59:59.999999Z", MicroTime{} - 1us},
      {"1970-01-01T00:00:00Z", MicroTime{}},
      {"0000-01-01T00:00:00Z", MicroTime{sys_days{year{0} / January / 1}}},
      {"9999-12-31T23:59:59.999999Z", MicroTime{sys_days{year{10000} / January / 1}} - 1us},
  };
  for (const auto& [text, want] : cases) {
    const auto t = parse_micro_time(text);
    ASSERT_TRUE(t) << text << ": " << t.error().message();
    EXPECT_EQ(t.value(), want) << text;
  }
}

TEST(MicroTime, RefusesWhatGoRefuses) {
  const char* bad[] = {
      "",
      "2026-03-02",
      "2026-03-02T10:15:00",              // no zone
      "2026-03-02 10:15:00Z",             // a space for T
      "2026-03-02T10:15Z",                // no seconds
      "2026-3-02T10:15:00Z",              // one-digit month
      "2026-13-01T00:00:00Z",             // no month 13
      "2023-02-29T00:00:00Z",             // not a leap year
      "2026-04-31T00:00:00Z",             // April has 30 days
      "2026-03-02T24:00:00Z",             // no hour 24
      "2026-03-02T10:60:00Z",             // no minute 60
      "2026-03-02T23:59:60Z",             // no leap second
      "2026-03-02T10:15:00.Z",            // empty fraction
      "2026-03-02T10:15:00.1234567890Z",  // ten fraction digits
      "2026-03-02T10:15:00+1:00",         // one-digit offset hour
      "2026-03-02T10:15:00+0100",         // offset without colon
      "2026-03-02T10:15:00+24:00",        // offset hour 24
      "2026-03-02T10:15:00Z ",            // trailing space
      "+2026-03-02T10:15:00Z",
      "0000-01-01T00:00:00+00:01",  // before year 0000 in UTC
      "9999-12-31T23:59:59-01:00",  // after year 9999 in UTC
  };
  for (const char* text : bad) {
    const auto t = parse_micro_time(text);
    EXPECT_FALSE(t) << text;
    if (!t) {
      EXPECT_EQ(t.error().message().rfind("not an RFC 3339 time", 0), 0u) << text;
    }
  }
}

TEST(MicroTime, FormatsAsTheApiServerDoes) {
  EXPECT_EQ(format_micro_time(at_utc(2026y / March / 2, 10h, 15min, 0s, 123456us)),
            "2026-03-02T10:15:00.123456Z");
  EXPECT_EQ(format_micro_time(MicroTime{}), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_micro_time(MicroTime{} - 1us), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_micro_time(MicroTime{sys_days{year{0} / January / 1}}),
            "0000-01-01T00:00:00.000000Z");
  // A system_clock reading converts without loss beyond microseconds.
  const auto now = floor<microseconds>(system_clock::now());
  EXPECT_EQ(parse_micro_time(format_micro_time(now)).value(), now);
}

// format → parse is the identity, and parse → format gives back any six-digit UTC text.
TEST(MicroTime, RoundTripOverTheWholeRange) {
  const std::int64_t first = MicroTime{sys_days{year{0} / January / 1}}.time_since_epoch().count();
  const std::int64_t last =
      MicroTime{sys_days{year{10000} / January / 1}}.time_since_epoch().count() - 1;
  std::uint64_t state = 0x9e3779b97f4a7c15ull;  // fixed seed: the same cases every run
  const auto span = static_cast<std::uint64_t>(last - first) + 1;
  for (int i = 0; i < 20000; ++i) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    const auto offset = i < 2 ? (i == 0 ? 0 : span - 1) : state % span;
    const MicroTime t{microseconds{first + static_cast<std::int64_t>(offset)}};
    const auto text = format_micro_time(t);
    ASSERT_EQ(text.size(), 27u) << text;
    const auto back = parse_micro_time(text);
    ASSERT_TRUE(back) << text;
    ASSERT_EQ(back.value(), t) << text;
    ASSERT_EQ(format_micro_time(back.value()), text);
  }
}

TEST(LeaseView, RoundTripFixtureDecodesAndEncodesBack) {
  const auto v = load("coordination.k8s.io.v1.Lease.json");
  const auto r = decode_lease(v);
  ASSERT_TRUE(r) << error_of(r);
  const Lease& l = r.value();
  EXPECT_EQ(l.meta.name, "nameValue");
  EXPECT_EQ(l.meta.namespace_, "namespaceValue");
  EXPECT_EQ(l.meta.resource_version, "resourceVersionValue");
  EXPECT_TRUE(l.meta.annotations.empty());
  EXPECT_EQ(l.spec.holder_identity, "holderIdentityValue");
  EXPECT_EQ(l.spec.lease_duration_seconds, 2);
  EXPECT_EQ(l.spec.acquire_time, at_utc(2003y / January / 1, 1h, 1min, 1s, 3us));
  EXPECT_EQ(l.spec.renew_time, at_utc(2004y / January / 1, 1h, 1min, 1s, 4us));
  EXPECT_EQ(l.spec.lease_transitions, 5);
  EXPECT_EQ(l.spec.strategy, "strategyValue");
  EXPECT_EQ(l.spec.preferred_holder, "preferredHolderValue");
  // Every spec field is modelled, so the encoder writes back exactly what upstream wrote.
  EXPECT_EQ(boost::json::value(encode_lease_spec(l.spec)), v.at("spec"));
}

TEST(LeaseView, ControllerLease) {
  const auto r = decode_lease(load("lease-controller.json"));
  ASSERT_TRUE(r) << error_of(r);
  const auto& s = r.value().spec;
  EXPECT_EQ(s.holder_identity, "vipd-controller-6c9f7b8d4-x2k9q_4f1c");
  EXPECT_EQ(s.lease_duration_seconds, 15);
  EXPECT_EQ(s.acquire_time, at_utc(2026y / March / 2, 9h, 58min, 41s, 204518us));
  EXPECT_EQ(s.renew_time, at_utc(2026y / March / 2, 10h, 15min, 0s, 123456us));
  EXPECT_EQ(s.lease_transitions, 3);
  EXPECT_EQ(s.strategy, std::nullopt);
  EXPECT_EQ(s.preferred_holder, std::nullopt);
}

TEST(LeaseView, EncodesTheElectorsWrites) {
  ObjectMeta meta;
  meta.name = "vipd-controller";
  meta.namespace_ = "vipd-system";
  meta.resource_version = "51877";
  LeaseSpec spec;
  spec.holder_identity = "pod-a_1";
  spec.lease_duration_seconds = 15;
  spec.acquire_time = at_utc(2026y / March / 2, 10h, 15min, 0s, 5us);
  spec.renew_time = at_utc(2026y / March / 2, 10h, 15min, 2s);
  spec.lease_transitions = 4;
  EXPECT_EQ(
      boost::json::serialize(encode_lease(meta, spec)),
      R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":)"
      R"({"name":"vipd-controller","namespace":"vipd-system","resourceVersion":"51877"},)"
      R"("spec":{"holderIdentity":"pod-a_1","leaseDurationSeconds":15,)"
      R"("acquireTime":"2026-03-02T10:15:00.000005Z","renewTime":"2026-03-02T10:15:02.000000Z",)"
      R"("leaseTransitions":4}})");
  // encode → decode is the identity for what the view holds.
  const auto back = decode_lease(boost::json::value(encode_lease(meta, spec)));
  ASSERT_TRUE(back) << error_of(back);
  EXPECT_EQ(back.value().spec, spec);
  EXPECT_EQ(back.value().meta.resource_version, "51877");

  // A release (API-NOTES.md §8): holderIdentity "" written out, leaseDurationSeconds 1,
  // leaseTransitions kept. A create carries no resourceVersion.
  LeaseSpec released = spec;
  released.holder_identity.clear();
  released.lease_duration_seconds = 1;
  released.acquire_time.reset();
  released.renew_time.reset();
  meta.resource_version.clear();
  meta.labels = {{"app", "vipd"}};
  EXPECT_EQ(boost::json::serialize(encode_lease(meta, released)),
            R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":)"
            R"({"name":"vipd-controller","namespace":"vipd-system","labels":{"app":"vipd"}},)"
            R"("spec":{"holderIdentity":"","leaseDurationSeconds":1,"leaseTransitions":4}})");
  // Fields of coordinated leader election are written back as they were read.
  spec.strategy = "OldestEmulationVersion";
  spec.preferred_holder = "pod-b_2";
  const auto kept = decode_lease(boost::json::value(encode_lease(meta, spec)));
  ASSERT_TRUE(kept) << error_of(kept);
  EXPECT_EQ(kept.value().spec, spec);
}

TEST(LeaseView, ErrorsNameThePath) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"metadata":{"name":"l"},"spec":{"holderIdentity":1}})",
       "spec.holderIdentity: expected a string, got an integer"},
      {R"({"metadata":{"name":"l"},"spec":{"leaseDurationSeconds":"15"}})",
       "spec.leaseDurationSeconds: expected an integer, got a string"},
      {R"({"metadata":{"name":"l"},"spec":{"leaseDurationSeconds":2147483648}})",
       "spec.leaseDurationSeconds: 2147483648 is out of range -2147483648..2147483647"},
      {R"({"metadata":{"name":"l"},"spec":{"leaseTransitions":1.5}})",
       "spec.leaseTransitions: expected an integer, got a number with a fraction or exponent"},
      {R"({"metadata":{"name":"l"},"spec":{"renewTime":"yesterday"}})",
       "spec.renewTime: \"yesterday\" is not an RFC 3339 time (2006-01-02T15:04:05.000000Z): bad "
       "year"},
      {R"({"metadata":{"name":"l"},"spec":{"acquireTime":1700000000}})",
       "spec.acquireTime: expected a string, got an integer"},
      {R"({"metadata":{"name":"l"},"spec":{"strategy":false}})",
       "spec.strategy: expected a string, got a boolean"},
      {R"({"apiVersion":"coordination.k8s.io/v1beta1","metadata":{"name":"l"}})",
       "apiVersion: unsupported apiVersion for Lease (use coordination.k8s.io/v1)"},
  };
  for (const auto& [json, error] : cases) {
    EXPECT_EQ(error_of(decode_lease(parse(json))), error) << json;
  }
  // Unset times (a zero MicroTime is written as null) read as absent.
  const auto r = decode_lease(parse(
      R"({"metadata":{"name":"l"},"spec":{"acquireTime":null,"renewTime":null,"holderIdentity":null}})"));
  ASSERT_TRUE(r) << error_of(r);
  EXPECT_EQ(r.value().spec, LeaseSpec{});
}

}  // namespace
}  // namespace vipd::k8s
