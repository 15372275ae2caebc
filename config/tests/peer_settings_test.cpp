// Peer settings beyond MetalLB's ConfigMap: vipd's passive and GTSM (ConfigMap keys, BGPPeer
// annotations), the connect time (BGPPeer connectTime, ConfigMap connect-time), and MetalLB's
// refusal of BFD echo mode for IPv6 pools.
#include <gtest/gtest.h>

#include "config/convert.hpp"
#include "config/load.hpp"
#include "config/summary.hpp"
#include "config/tests/test_util.hpp"

namespace vipd::config {
namespace {

using namespace std::chrono_literals;
using testing::errors_of;
using testing::Expected;

constexpr auto kMap = InputFormat::kConfigMap;
constexpr auto kRes = InputFormat::kResources;
constexpr auto kAlone = InputFormat::kStandalone;
constexpr auto kError = Severity::kError;
constexpr auto kTranslate = Purpose::kTranslate;

#define CM_ITEM "- peer-address: 2001:db8::1\n  peer-asn: 64500\n  my-asn: 64501\n"
#define CM_PEER "peers:\n" CM_ITEM
#define PEER_META "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata:\n  name: r\n"
#define PEER_SPEC "spec: {myASN: 64500, peerASN: 64501, peerAddress: 192.0.2.1}\n"
#define PEER PEER_META PEER_SPEC
// A BFD profile with echo mode, a peer using it, and an IPv6 pool advertised over BGP.
#define ECHO_PROFILE "apiVersion: metallb.io/v1beta1\nkind: BFDProfile\nmetadata: {name: echo}\n"
#define ECHO_PEER                                                                           \
  "---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r}\nspec: {myASN: " \
  "64500, peerASN: 64501, peerAddress: 2001:db8::1, bfdProfile: echo}\n"
#define POOL(name, addresses, labels)                                                \
  "---\napiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: " name \
  ", labels: " labels "}\nspec: {addresses: " addresses "}\n"
#define BGP_AD "---\napiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: ad}\n"

const Expected kRows[] = {
    // --- passive and GTSM
    {"PassiveNotABoolean", kMap, CM_PEER "  passive: maybe\n", kError, "maybe", "peers[0].passive",
     "expected true or false"},
    {"UnknownPeerKeyNearGtsm", kAlone, CM_PEER "  gtms: true\n", kError, "gtms", "peers[0].gtms",
     "did you mean \"gtsm\"?"},
    {"AnnotationValueNotTrueOrFalse", kRes,
     PEER_META "  annotations: {vipd.io/passive: \"yes\"}\n" PEER_SPEC, kError, "\"yes\"",
     "BGPPeer(r).metadata.annotations.vipd.io/passive",
     "invalid value \"yes\" for vipd.io/passive: write \"true\" or \"false\""},
    {"AnnotationWithoutValue", kRes, PEER_META "  annotations:\n    vipd.io/gtsm:\n" PEER_SPEC,
     kError, "vipd.io/gtsm:", "BGPPeer(r).metadata.annotations.vipd.io/gtsm",
     "\"vipd.io/gtsm\" has no value: write \"true\" or \"false\""},
    {"UnknownVipdAnnotation", kRes,
     PEER_META "  annotations: {vipd.io/pasive: \"true\"}\n" PEER_SPEC, kError, "vipd.io/pasive",
     "BGPPeer(r).metadata.annotations.vipd.io/pasive",
     "unknown annotation \"vipd.io/pasive\" for kind BGPPeer: vipd reads vipd.io/passive "
     "(BGPPeer), vipd.io/gtsm (BGPPeer); did you mean \"vipd.io/passive\"?"},
    {"VipdAnnotationOnAnotherKind", kRes,
     "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: p\n  annotations: "
     "{vipd.io/passive: \"true\"}\nspec: {addresses: [192.0.2.0/24]}\n",
     kError, "vipd.io/passive", "IPAddressPool(p).metadata.annotations.vipd.io/passive",
     "unknown annotation \"vipd.io/passive\" for kind IPAddressPool"},
    // --- connect time: the BGPPeer CRD's rule, for connectTime and connect-time
    {"ConnectTimeZero", kRes,
     PEER_META "spec: {myASN: 64500, peerASN: 64501, peerAddress: "
               "192.0.2.1, connectTime: 0s}\n",
     kError, "0s", "BGPPeer(r).spec.connectTime",
     "invalid connect time 0s: must be whole seconds between 1s and 65535s"},
    {"ConnectTimeTooLong", kMap, CM_PEER "  connect-time: 18h12m16s\n", kError, "18h12m16s",
     "peers[0].connect-time", "invalid connect time 18h12m16s: must be whole seconds"},
    {"ConnectTimeNotWholeSeconds", kAlone, CM_PEER "  connect-time: 1500ms\n", kError, "1500ms",
     "peers[0].connect-time", "invalid connect time 1.5s"},
    {"ConnectTimeNegative", kMap, CM_PEER "  connect-time: -5s\n", kError, "-5s",
     "peers[0].connect-time", "invalid connect time -5s"},
    {"ConnectTimeNotADuration", kMap, CM_PEER "  connect-time: 5\n", kError, "5\n",
     "peers[0].connect-time", "missing unit in duration"},
    // --- MetalLB >= v0.13.10: no BFD echo mode toward a peer that gets an IPv6 pool
    {"EchoToIpv6PoolAllPools", kRes,
     ECHO_PROFILE "spec: {echoMode: true}\n" ECHO_PEER POOL("v6", "[2001:db8:1::/64]", "{}") BGP_AD,
     kError, "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement", "BGPAdvertisement(ad)",
     "advertises pool \"v6\", which holds IPv6 addresses, to peer \"r\" whose BFD profile "
     "\"echo\" has echo mode on",
     kTranslate},
    {"EchoToDualStackPoolByName", kRes,
     ECHO_PROFILE
     "spec: {echoMode: true}\n" ECHO_PEER POOL("dual", "[192.0.2.0/24, 2001:db8::/64]", "{}") BGP_AD
     "spec: {ipAddressPools: [dual], peers: [r]}\n",
     kError, "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement", "BGPAdvertisement(ad)",
     "advertises pool \"dual\"", kTranslate},
    {"EchoToIpv6PoolBySelector", kRes,
     ECHO_PROFILE
     "spec: {echoMode: true}\n" ECHO_PEER POOL("v6", "[2001:db8:1::/64]", "{tier: edge}") BGP_AD
     "spec: {ipAddressPoolSelectors: [{matchLabels: {tier: edge}}]}\n",
     kError, "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement", "BGPAdvertisement(ad)",
     "advertises pool \"v6\"", kTranslate},
    {"EchoInConfigMap", kMap,
     "bfd-profiles:\n- name: echo\n  echo-mode: true\n" CM_PEER
     "  bfd-profile: echo\naddress-pools:\n- name: v6\n  protocol: bgp\n  addresses: "
     "[2001:db8:1::/64]\n",
     kError, "name: v6", "address-pools[0]", "advertises pool \"v6\"", kTranslate},
};

class PeerSettings : public ::testing::TestWithParam<Expected> {};
TEST_P(PeerSettings, ReportedAtItsPosition) { testing::expect_row(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Config, PeerSettings, ::testing::ValuesIn(kRows), testing::row_name);

TEST(PeerSettings, PassiveGtsmAndConnectTimeInTheConfigMapAndStandaloneBody) {
  for (const auto format : {kMap, kAlone}) {
    const auto r = check_text(CM_PEER "  passive: true\n  gtsm: no\n  connect-time: 2m\n" CM_ITEM
                                      "  passive: false\n  gtsm: yes\n",
                              "in.yaml", format);
    ASSERT_TRUE(r.valid()) << errors_of(r);
    const auto& p = r.config->peers;
    EXPECT_TRUE(p[0].passive);
    EXPECT_FALSE(p[0].gtsm);
    EXPECT_EQ(p[0].connect_time, 120s);
    EXPECT_FALSE(p[1].passive);
    EXPECT_TRUE(p[1].gtsm);
    EXPECT_EQ(p[1].connect_time, std::nullopt);
  }
}

TEST(PeerSettings, AnnotationsOnABgpPeer) {
  const auto r = check_text(
      PEER_META
      "  annotations:\n    vipd.io/passive: \"true\"\n    vipd.io/gtsm: \"false\"\n"
      "    example.com/owner: team-a\n    metallb.io/whatever: x\n"
      "spec: {myASN: 64500, peerASN: 64501, peerAddress: 192.0.2.1, connectTime: 65535s}\n",
      "in.yaml");
  ASSERT_TRUE(r.valid()) << errors_of(r);
  EXPECT_TRUE(r.diagnostics.empty()) << errors_of(r);  // other annotations are not vipd's
  const auto& p = r.config->peers[0];
  EXPECT_TRUE(p.passive);
  EXPECT_FALSE(p.gtsm);
  EXPECT_EQ(p.connect_time, 65535s);
}

TEST(PeerSettings, EchoModeIsFineForIpv4PoolsAndPeersNotAdvertisedTo) {
  // The IPv6 pool goes to another peer only; the echo peer gets the IPv4 pool.
  const auto r = check_text(
      ECHO_PROFILE
      "spec: {echoMode: true}\n" ECHO_PEER
      "---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: plain}\nspec: {myASN: "
      "64500, peerASN: 64501, peerAddress: 2001:db8::2}\n" POOL("v4", "[192.0.2.0/24]", "{}")
          POOL("v6", "[2001:db8:1::/64]", "{}") BGP_AD
      "spec: {ipAddressPools: [v4]}\n"
      "---\napiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: ad6}\n"
      "spec: {ipAddressPools: [v6], peers: [plain]}\n",
      "in.yaml", kRes, kTranslate);
  EXPECT_TRUE(r.valid()) << errors_of(r);
  // Without echo mode, the IPv6 pool may go to the BFD peer.
  const auto no_echo = check_text(ECHO_PROFILE "spec: {echoMode: false}\n" ECHO_PEER POOL(
                                      "v6", "[2001:db8:1::/64]", "{}") BGP_AD,
                                  "in.yaml", kRes, kTranslate);
  EXPECT_TRUE(no_echo.valid()) << errors_of(no_echo);
}

TEST(PeerSettings, ConvertCarriesPassiveGtsmAndConnectTimeOver) {
  const std::string text =
      CM_PEER "  passive: true\n  connect-time: 30s\n" CM_ITEM "  gtsm: true\n";
  const auto converted = convert_configmap(text, "in.yaml");
  ASSERT_TRUE(converted) << converted.error().message();
  EXPECT_NE(converted.value().find("  annotations:\n    vipd.io/passive: \"true\"\n"),
            std::string::npos)
      << converted.value();
  EXPECT_NE(converted.value().find("  annotations:\n    vipd.io/gtsm: \"true\"\n"),
            std::string::npos)
      << converted.value();
  const auto reread = check_text(converted.value(), "converted.yaml", kRes);
  ASSERT_TRUE(reread.valid()) << errors_of(reread) << converted.value();
  const auto direct = check_text(text, "in.yaml", kMap);
  ASSERT_TRUE(direct.valid());
  EXPECT_EQ(reread.config->peers, direct.config->peers) << converted.value();
}

TEST(PeerSettings, SummaryShowsThem) {
  const auto r = check_text(
      CM_PEER "  passive: true\n  connect-time: 30s\n" CM_ITEM "  gtsm: true\n", "in.yaml", kMap);
  ASSERT_TRUE(r.valid()) << errors_of(r);
  const auto text = text_report(r);
  EXPECT_NE(text.find("hold 1m30s, connect 30s, passive"), std::string::npos) << text;
  EXPECT_NE(text.find("hold 1m30s, GTSM"), std::string::npos) << text;
  const auto json = json_report({r});
  EXPECT_NE(json.find("\"passive\":true,\"gtsm\":false"), std::string::npos) << json;
  EXPECT_NE(json.find("\"passive\":false,\"gtsm\":true"), std::string::npos) << json;
  EXPECT_NE(json.find("\"connect_time\":\"30s\""), std::string::npos) << json;
}

#undef CM_ITEM
#undef CM_PEER
#undef PEER_META
#undef PEER_SPEC
#undef PEER
#undef ECHO_PROFILE
#undef ECHO_PEER
#undef POOL
#undef BGP_AD

}  // namespace
}  // namespace vipd::config
