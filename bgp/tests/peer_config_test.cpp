// Peer settings compare whole: any changed field makes them differ, so the speaker restarts a
// session exactly when its settings changed.
#include "bgp/peer_config.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

namespace vipd::bgp {
namespace {

PeerConfig base() {
  PeerConfig p;
  p.session.peer_address = IpAddress::parse("192.0.2.1").value();
  p.session.fsm.local_as = 64496;
  p.session.fsm.peer_as = 64500;
  return p;
}

TEST(PeerConfig, EveryFieldTakesPartInTheComparison) {
  EXPECT_EQ(base(), base());
  const std::vector<std::function<void(PeerConfig&)>> changes = {
      [](PeerConfig& p) { p.session.fsm.hold_time = 30; },  // FsmConfig: see fsm_test.cpp
      [](PeerConfig& p) { p.session.peer_address = IpAddress::parse("192.0.2.2").value(); },
      [](PeerConfig& p) { p.session.peer_port = 1179; },
      [](PeerConfig& p) { p.session.source_address = IpAddress::parse("192.0.2.10").value(); },
      [](PeerConfig& p) { p.session.password = "secret"; },
      [](PeerConfig& p) { p.session.ttl = 2; },
      [](PeerConfig& p) { p.session.gtsm = true; },
      [](PeerConfig& p) { p.session.gtsm_hops = 2; },
      [](PeerConfig& p) { p.next_hop_ipv4 = IpAddress::parse("192.0.2.10").value(); },
      [](PeerConfig& p) { p.next_hop_ipv6 = IpAddress::parse("2001:db8::10").value(); },
      [](PeerConfig& p) { p.ipv4_over_ipv6_next_hop = true; },
  };
  for (std::size_t i = 0; i < changes.size(); ++i) {
    PeerConfig changed = base();
    changes[i](changed);
    EXPECT_NE(changed, base()) << "change " << i;
  }
}

TEST(PeerConfig, AddressesOfBothFamiliesDiffer) {
  // The same 128-bit value in another family is another peer.
  PeerConfig v6 = base();
  v6.session.peer_address = IpAddress::v6(IpAddress::parse("192.0.2.1").value().value());
  EXPECT_NE(v6, base());
}

}  // namespace
}  // namespace vipd::bgp
