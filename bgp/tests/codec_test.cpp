#include "bgp/codec.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace vipd::bgp
