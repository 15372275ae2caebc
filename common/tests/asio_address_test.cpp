#include "common/asio_address.hpp"

#include <gtest/gtest.h>

namespace vipd {
namespace {

IpAddress ip(std::string_view text) { return IpAddress::parse(text).value(); }

TEST(AsioAddress, BothFamiliesConvertExactlyBothWays) {
  for (const char* text : {"192.0.2.1", "0.0.0.0", "255.255.255.255", "2001:db8::1", "::",
                           "fe80::1", "::ffff:192.0.2.1", "2001:db8:ffff:ffff:ffff:ffff:ffff:ff"}) {
    const IpAddress a = ip(text);
    const asio::ip::address b = to_asio(a);
    EXPECT_EQ(b.is_v6(), a.is_v6()) << text;
    EXPECT_EQ(b.to_string(), asio::ip::make_address(text).to_string()) << text;
    EXPECT_EQ(from_asio(b), a) << text;
  }
}

TEST(AsioAddress, EndpointCarriesAddressAndPort) {
  const auto e = to_endpoint(ip("2001:db8::7"), 179);
  EXPECT_EQ(e.address(), asio::ip::make_address("2001:db8::7"));
  EXPECT_EQ(e.port(), 179);
}

TEST(AsioAddress, HostAddressUnmapsWhatADualStackSocketReports) {
  const auto mapped = asio::ip::make_address("::ffff:192.0.2.1");
  EXPECT_TRUE(from_asio(mapped).is_v6());
  EXPECT_EQ(host_address(mapped), ip("192.0.2.1"));
  EXPECT_EQ(host_address(asio::ip::make_address("2001:db8::1")), ip("2001:db8::1"));
  EXPECT_EQ(host_address(asio::ip::make_address("198.51.100.3")), ip("198.51.100.3"));
}

}  // namespace
}  // namespace vipd
