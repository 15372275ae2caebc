#include "bgp/codec.hpp"

#include <gtest/gtest.h>

#include "bgp/negotiation.hpp"

namespace vipd::bgp {
namespace {

TEST(Codec, KeepaliveRoundTrip) {
  std::vector<std::uint8_t> out;
  ASSERT_TRUE(encode(Keepalive{}, {}, out));
  EXPECT_EQ(out.size(), 19u);
  auto m = decode(out, {});
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_TRUE(std::holds_alternative<Keepalive>(m.value()));
}

Open open_with(std::initializer_list<CapabilityCode> codes) {
  Open o;
  o.my_as = 64496;
  o.hold_time = 90;
  o.bgp_identifier = 0xc0000201;
  for (const auto code : codes)
    o.capabilities.emplace_back().code = static_cast<std::uint8_t>(code);
  return o;
}

// RFC 8654 §4: advertising the capability obliges vipd to receive up to 65535 octets; it sends
// them only when the peer advertised the capability (and vipd offered it as well).
TEST(Codec, ExtendedMessageReceiveFollowsOurCapabilitySendNeedsTheirs) {
  const Open with = open_with({CapabilityCode::kExtendedMessage});
  const Open without = open_with({});
  auto n = negotiate(with, with, true);
  EXPECT_TRUE(n.receive.extended_message);
  EXPECT_TRUE(n.send.extended_message);
  EXPECT_EQ(n.receive.max_message_size(), 65535u);
  n = negotiate(with, without, true);
  EXPECT_TRUE(n.receive.extended_message);
  EXPECT_FALSE(n.send.extended_message);
  n = negotiate(without, with, true);
  EXPECT_FALSE(n.receive.extended_message);
  EXPECT_FALSE(n.send.extended_message);
  EXPECT_EQ(n.receive.max_message_size(), 4096u);
}

TEST(Codec, RouteRefreshCapabilitiesNegotiate) {
  const Open both =
      open_with({CapabilityCode::kRouteRefresh, CapabilityCode::kEnhancedRouteRefresh});
  const Open plain = open_with({CapabilityCode::kRouteRefresh});
  EXPECT_TRUE(negotiate(both, both, true).enhanced_route_refresh);
  EXPECT_FALSE(negotiate(both, plain, true).enhanced_route_refresh);
  EXPECT_TRUE(negotiate(both, plain, true).route_refresh);
}

TEST(Codec, EnhancedRouteRefreshMarkersRoundTrip) {
  for (const std::uint8_t subtype : {route_refresh_subtype::kBegin, route_refresh_subtype::kEnd}) {
    std::vector<std::uint8_t> out;
    ASSERT_TRUE(encode(RouteRefresh{2, subtype, 1}, {}, out));
    // Header, AFI 2, the subtype, SAFI 1 (RFC 7313 §3).
    EXPECT_EQ(out.size(), 23u);
    EXPECT_EQ(out[18], 5);
    EXPECT_EQ((std::vector<std::uint8_t>(out.begin() + 19, out.end())),
              (std::vector<std::uint8_t>{0, 2, subtype, 1}));
    auto m = decode(out, {});
    ASSERT_TRUE(m) << m.error().reason;
    EXPECT_EQ(std::get<RouteRefresh>(m.value()), (RouteRefresh{2, subtype, 1}));
  }
}

}  // namespace
}  // namespace vipd::bgp
