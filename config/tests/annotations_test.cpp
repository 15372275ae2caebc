#include "config/annotations.hpp"

#include <gtest/gtest.h>

namespace vipd::config {
namespace {

std::string issues(const AnnotationResult& r) {
  std::string out;
  for (const auto& i : r.issues) out += i.to_string() + "\n";
  return out;
}

TEST(Annotations, ReadsMetallbAnnotations) {
  const auto r =
      parse_service_annotations({{"metallb.io/address-pool", "public"},
                                 {"metallb.io/loadBalancerIPs", "192.0.2.10, 2001:db8::10"},
                                 {"metallb.io/allow-shared-ip", "web"},
                                 {"unrelated", "x"}});
  ASSERT_TRUE(r.ok()) << issues(r);
  EXPECT_TRUE(r.issues.empty());
  EXPECT_EQ(r.value.address_pool, "public");
  EXPECT_EQ(r.value.allow_shared_ip, "web");
  ASSERT_EQ(r.value.load_balancer_ips.size(), 2u);
  EXPECT_EQ(r.value.load_balancer_ips[1].to_string(), "2001:db8::10");
}

TEST(Annotations, DeprecatedSpellingsWorkWithAWarning) {
  const auto r = parse_service_annotations({{"metallb.universe.tf/address-pool", "public"},
                                            {"metallb.universe.tf/loadBalancerIPs", "2001:db8::1"},
                                            {"metallb.universe.tf/allow-shared-ip", "k"}});
  ASSERT_TRUE(r.ok()) << issues(r);
  EXPECT_EQ(r.value.address_pool, "public");
  EXPECT_EQ(r.value.allow_shared_ip, "k");
  ASSERT_EQ(r.issues.size(), 3u);
  EXPECT_EQ(r.issues[0].to_string(),
            "metallb.universe.tf/address-pool: warning: deprecated; use metallb.io/address-pool");
}

TEST(Annotations, ConflictingSpellingsAreAnError) {
  const auto r = parse_service_annotations(
      {{"metallb.io/address-pool", "a"}, {"metallb.universe.tf/address-pool", "b"}});
  EXPECT_FALSE(r.ok());
  EXPECT_NE(issues(r).find("conflicts with metallb.io/address-pool"), std::string::npos);
}

TEST(Annotations, AtMostOneAddressPerFamily) {
  const auto v4 =
      parse_service_annotations({{"metallb.io/loadBalancerIPs", "192.0.2.1,192.0.2.2"}});
  EXPECT_FALSE(v4.ok());
  EXPECT_EQ(issues(v4),
            "metallb.io/loadBalancerIPs: more than one IPv4 address (192.0.2.2): at most one per "
            "family\n");
  const auto v6 =
      parse_service_annotations({{"metallb.io/loadBalancerIPs", "2001:db8::1,2001:db8::2"}});
  EXPECT_FALSE(v6.ok());
  const auto bad = parse_service_annotations({{"metallb.io/loadBalancerIPs", "192.0.2.300"}});
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(issues(bad).find("invalid IP address \"192.0.2.300\""), std::string::npos);
}

// MetalLB reads an empty loadBalancerIPs as no request, not as an invalid address.
TEST(Annotations, EmptyLoadBalancerIpsRequestNothing) {
  for (const char* value : {"", " "}) {
    const auto r = parse_service_annotations({{"metallb.io/loadBalancerIPs", value}});
    EXPECT_TRUE(r.ok()) << issues(r);
    EXPECT_TRUE(r.value.load_balancer_ips.empty());
  }
  EXPECT_FALSE(parse_service_annotations({{"metallb.io/loadBalancerIPs", ","}}).ok());
}

TEST(Annotations, RomanaRequestsAnAddressOrAllocation) {
  const auto ip =
      parse_service_annotations({{"romanaip", R"({"auto": false, "ip": "2001:db8::7"})"}});
  ASSERT_TRUE(ip.ok()) << issues(ip);
  ASSERT_TRUE(ip.value.romana);
  EXPECT_EQ(ip.value.romana->annotation, "romanaip");
  EXPECT_EQ(ip.value.romana->ip->to_string(), "2001:db8::7");
  const auto automatic = parse_service_annotations({{"romanavip", R"({"auto": true})"}});
  ASSERT_TRUE(automatic.ok()) << issues(automatic);
  EXPECT_TRUE(automatic.value.romana->auto_allocate);
}

TEST(Annotations, RomanaErrors) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"auto": true, "ip": "192.0.2.1"})", "not both"},
      {R"({"auto": false})", "requests nothing"},
      {R"({"auto": "yes"})", "\"auto\" must be true or false"},
      {R"({"ip": 7})", "\"ip\" must be a string"},
      {R"({"ip": "192.0.2.256"})", "invalid \"ip\""},
      {R"({"ipp": "192.0.2.1"})", "unknown field \"ipp\"; did you mean \"ip\"?"},
      {R"([1])", "expected a JSON object"},
      {R"({"ip":)", "invalid JSON"},
  };
  for (const auto& [json, message] : cases) {
    const auto r = parse_service_annotations({{"romanavip", json}});
    EXPECT_FALSE(r.ok()) << json;
    EXPECT_NE(issues(r).find(message), std::string::npos) << json << " → " << issues(r);
    EXPECT_FALSE(r.value.romana);
  }
  const auto both = parse_service_annotations(
      {{"romanaip", R"({"auto": true})"}, {"romanavip", R"({"auto": true})"}});
  EXPECT_FALSE(both.ok());
}

}  // namespace
}  // namespace vipd::config
