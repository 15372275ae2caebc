// MetalLB BFDProfile values → session settings.
#include "bfd/profile.hpp"

#include <gtest/gtest.h>

namespace vipd::bfd {
namespace {

using namespace std::chrono_literals;

TEST(BfdProfile, DefaultsAreMetalLbs) {
  auto s = from_profile({});
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s.value().session.required_min_rx, 300ms);
  EXPECT_EQ(s.value().session.desired_min_tx, 300ms);
  EXPECT_EQ(s.value().session.detect_mult, 3);
  EXPECT_FALSE(s.value().session.passive);
  EXPECT_EQ(s.value().minimum_ttl, 254);
}

TEST(BfdProfile, MapsEveryField) {
  ProfileValues v;
  v.receive_interval_ms = 50;
  v.transmit_interval_ms = 120;
  v.detect_multiplier = 5;
  v.echo_interval_ms = 100;
  v.passive_mode = true;
  v.minimum_ttl = 10;
  auto s = from_profile(v);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s.value().session.required_min_rx, 50ms);
  EXPECT_EQ(s.value().session.desired_min_tx, 120ms);
  EXPECT_EQ(s.value().session.detect_mult, 5);
  EXPECT_TRUE(s.value().session.passive);
  EXPECT_FALSE(s.value().session.echo_mode);
  EXPECT_EQ(s.value().minimum_ttl, 10);
}

TEST(BfdProfile, RefusesEchoMode) {
  ProfileValues v;
  v.echo_mode = true;
  auto s = from_profile(v);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), Errc::kUnsupported);
  EXPECT_NE(s.error().message().find("echo mode is not supported"), std::string::npos);
}

TEST(BfdProfile, RefusesOutOfRangeValuesNamingTheField) {
  const auto refused = [](ProfileValues v, const std::string& words) {
    auto s = from_profile(v);
    ASSERT_FALSE(s) << words;
    EXPECT_EQ(s.error().message().find(words), 0u) << s.error().message();
  };
  ProfileValues v;
  v.receive_interval_ms = 9;
  refused(v, "receiveInterval 9 is out of range (10-60000)");
  v = {};
  v.transmit_interval_ms = 60001;
  refused(v, "transmitInterval 60001 is out of range (10-60000)");
  v = {};
  v.detect_multiplier = 1;
  refused(v, "detectMultiplier 1 is out of range (2-255)");
  v = {};
  v.echo_interval_ms = 0;
  refused(v, "echoInterval 0 is out of range (10-60000)");
  v = {};
  v.minimum_ttl = 255;
  refused(v, "minimumTtl 255 is out of range (1-254)");
}

}  // namespace
}  // namespace vipd::bfd
