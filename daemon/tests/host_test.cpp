#include "daemon/host.hpp"

#include <gtest/gtest.h>

namespace vipd::daemon {
namespace {

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

config::Peer peer(const char* address) {
  config::Peer p;
  p.address = ip(address);
  return p;
}

const std::vector<HostAddress> kHost = {
    {"lo", ip("127.0.0.1"), 8},        {"lo", ip("::1"), 128},
    {"eth0", ip("198.51.100.7"), 24},  {"eth0", ip("fe80::1"), 64},
    {"eth1", ip("192.0.2.7"), 24},     {"eth1", ip("2001:db8:1::7"), 64},
    {"eth0", ip("2001:db8:2::7"), 64},
};

TEST(HostFacts, TheInterfaceTowardThePeerComesFirst) {
  const auto facts = host_facts(peer("192.0.2.1"), "edge-1", kHost, {});
  EXPECT_EQ(facts.hostname, "edge-1");
  EXPECT_EQ(facts.next_hop_ipv4, ip("192.0.2.7"));
  EXPECT_EQ(facts.router_id, ip("192.0.2.7").v4_value());
  EXPECT_EQ(facts.next_hop_ipv6, ip("2001:db8:1::7"));  // eth1's, not eth0's

  const auto other = host_facts(peer("198.51.100.1"), "edge-1", kHost, {});
  EXPECT_EQ(other.next_hop_ipv4, ip("198.51.100.7"));
  EXPECT_EQ(other.next_hop_ipv6, ip("2001:db8:2::7"));  // eth0's global, never fe80::
}

TEST(HostFacts, LoopbackAndLinkLocalAreNeverNextHops) {
  const std::vector<HostAddress> only_local = {
      {"lo", ip("127.0.0.1"), 8}, {"lo", ip("::1"), 128}, {"eth0", ip("fe80::1"), 64}};
  const auto facts = host_facts(peer("2001:db8::1"), "n", only_local, {});
  EXPECT_EQ(facts.router_id, 0u);
  EXPECT_FALSE(facts.next_hop_ipv4);
  EXPECT_FALSE(facts.next_hop_ipv6);
}

TEST(HostFacts, TheNodesListedAddressesWin) {
  const auto facts = host_facts(peer("192.0.2.1"), "n", kHost,
                                {ip("203.0.113.5"), ip("::1"), ip("2001:db8:9::5")});
  EXPECT_EQ(facts.next_hop_ipv4, ip("203.0.113.5"));
  EXPECT_EQ(facts.router_id, ip("203.0.113.5").v4_value());
  EXPECT_EQ(facts.next_hop_ipv6, ip("2001:db8:9::5"));  // ::1 is skipped
  // A family the node does not list still comes from the host.
  const auto v4_only = host_facts(peer("192.0.2.1"), "n", kHost, {ip("203.0.113.5")});
  EXPECT_EQ(v4_only.next_hop_ipv6, ip("2001:db8:1::7"));
}

}  // namespace
}  // namespace vipd::daemon
