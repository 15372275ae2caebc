// The configuration model's pools in allocator terms: blocks as written, flags, service
// allocation, and MetalLB's "priority 0 is no priority" seen through an allocation.
#include "allocator/from_config.hpp"

#include <gtest/gtest.h>

#include "allocator/allocator.hpp"
#include "allocator/tests/helpers.hpp"

namespace vipd::allocator {
namespace {

using test::ip;

config::AddressBlock cidr(std::string_view text) {
  return {IpRange::from_prefix(Prefix::parse(text).value()), true};
}
config::AddressBlock range(std::string_view text) { return {IpRange::parse(text).value(), false}; }

config::Pool config_pool(std::string name, std::vector<config::AddressBlock> blocks) {
  config::Pool p;
  p.name = std::move(name);
  p.addresses = std::move(blocks);
  return p;
}

TEST(PoolsFromConfig, BlocksFlagsAndServiceAllocationAsWritten) {
  config::Config c;
  c.pools.push_back(
      config_pool("public", {cidr("203.0.113.0/28"), range("2001:db8::5-2001:db8::9")}));
  auto manual = config_pool("manual", {range("198.51.100.1-198.51.100.1")});
  manual.auto_assign = false;
  manual.avoid_buggy_ips = true;
  manual.service_allocation =
      config::ServiceAllocation{.priority = 7,
                                .namespaces = {"ns1"},
                                .namespace_selectors = {test::selector({{"team", "a"}})},
                                .service_selectors = {test::selector({{"app", "web"}})}};
  c.pools.push_back(manual);

  const auto pools = pools_from_config(c);
  ASSERT_EQ(pools.size(), 2u);
  EXPECT_EQ(pools[0].name, "public");
  ASSERT_EQ(pools[0].addresses.size(), 2u);
  EXPECT_EQ(to_string(pools[0].addresses[0]), "203.0.113.0/28");
  EXPECT_EQ(to_string(pools[0].addresses[1]), "2001:db8::5-2001:db8::9");
  EXPECT_TRUE(pools[0].auto_assign);
  EXPECT_FALSE(pools[0].avoid_buggy_ips);
  EXPECT_FALSE(pools[0].pinned());
  EXPECT_FALSE(pools[0].priority.has_value());

  EXPECT_EQ(pools[1].name, "manual");
  EXPECT_FALSE(pools[1].auto_assign);
  EXPECT_TRUE(pools[1].avoid_buggy_ips);
  EXPECT_EQ(pools[1].namespaces, std::vector<std::string>{"ns1"});
  EXPECT_EQ(pools[1].namespace_selectors.size(), 1u);
  EXPECT_EQ(pools[1].service_selectors.size(), 1u);
  EXPECT_EQ(pools[1].priority, 7);
}

// MetalLB's sortPools: a pinned pool without a priority (0) comes after every pinned pool with
// one, whatever the configuration order.
TEST(PoolsFromConfig, PriorityZeroIsNoPriority) {
  config::Config c;
  auto unprioritised = config_pool("ns1-any", {cidr("198.51.100.0/30")});
  unprioritised.service_allocation =
      config::ServiceAllocation{.priority = 0, .namespaces = {"ns1"}};
  auto prioritised = config_pool("ns1-ten", {cidr("198.51.100.4/30")});
  prioritised.service_allocation = config::ServiceAllocation{.priority = 10, .namespaces = {"ns1"}};
  c.pools = {unprioritised, prioritised};

  Allocator a;
  ASSERT_TRUE(a.set_pools(pools_from_config(c)));
  ServiceRequest r;
  r.key = {"ns1", "web"};
  const auto got = a.assign(r);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(got.value().pool, "ns1-ten");
  EXPECT_EQ(got.value().addresses, std::vector<IpAddress>{ip("198.51.100.4")});
}

}  // namespace
}  // namespace vipd::allocator
