// Settings vipd reads but does not run yet (unsupported.cpp): each is refused with one error at
// its position, in every format it can be written in, and is the only thing wrong with the file
// (the same text is valid MetalLB configuration, Purpose::kTranslate).
#include <gtest/gtest.h>

#include "config/load.hpp"
#include "config/tests/test_util.hpp"

namespace vipd::config {
namespace {

using testing::errors_of;
using testing::last_position_of;

struct Refused {
  const char* name;
  InputFormat format;
  const char* text;
  const char* token;  // where the error points (its last occurrence in the text)
  const char* path;
  const char* message;     // a part of it
  std::size_t errors = 1;  // refusals in the text
};

constexpr auto kMap = InputFormat::kConfigMap;
constexpr auto kRes = InputFormat::kResources;
constexpr auto kAlone = InputFormat::kStandalone;
constexpr auto kAuto = InputFormat::kAuto;

#define CM_PEER "peers:\n- peer-address: 192.0.2.1\n  peer-asn: 64500\n  my-asn: 64501\n"
#define CM_BFD "bfd-profiles:\n- name: fast\n"
#define PEER_HEAD                                                                        \
  "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r}\nspec:\n  myASN: " \
  "64500\n"
#define PEER PEER_HEAD "  peerASN: 64501\n  peerAddress: 192.0.2.1\n"
#define BFD_RES "apiVersion: metallb.io/v1beta1\nkind: BFDProfile\nmetadata: {name: fast}\n"
#define GTSM_PEER                                                                        \
  "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata:\n  name: r\n  annotations: " \
  "{vipd.io/gtsm: \"true\"}\nspec: {myASN: 64500, peerASN: 64501, peerAddress: "         \
  "2001:db8::1, ebgpMultiHop: true}\n"
// The plain document that makes resources a standalone file.
#define PLAIN "---\nnode: edge-1\n"

const Refused kRefused[] = {
    // --- BFD echo mode, everywhere
    {"BfdEchoConfigMap", kMap, CM_BFD "  echo-mode: true\n", "true", "bfd-profiles[0].echo-mode",
     "BFD echo mode is not supported: set echoMode to false"},
    {"BfdEchoStandalone", kAlone, CM_BFD "  echo-mode: true\n", "true", "bfd-profiles[0].echo-mode",
     "BFD echo mode is not supported"},
    {"BfdEchoResource", kRes, BFD_RES "spec: {echoMode: true}\n", "true",
     "BFDProfile(fast).spec.echoMode", "BFD echo mode is not supported"},
    {"BfdEchoStandaloneResources", kAuto, BFD_RES "spec: {echoMode: true}\n" PLAIN, "true",
     "BFDProfile(fast).spec.echoMode", "BFD echo mode is not supported"},
    // --- BGPPeer fields, everywhere (the ConfigMap has none of them)
    {"VrfResource", kRes, PEER "  vrf: red\n", "red", "BGPPeer(r).spec.vrf",
     "VRFs are not supported yet"},
    {"VrfStandaloneResources", kAuto, PEER "  vrf: red\n" PLAIN, "red", "BGPPeer(r).spec.vrf",
     "VRFs are not supported yet"},
    {"InterfaceResource", kRes, PEER_HEAD "  peerASN: 64501\n  interface: eth0\n", "eth0",
     "BGPPeer(r).spec.interface", "BGP unnumbered (interface) is not supported yet"},
    {"InterfaceStandaloneResources", kAlone,
     PEER_HEAD "  peerASN: 64501\n  interface: eth0\n" PLAIN, "eth0", "BGPPeer(r).spec.interface",
     "BGP unnumbered (interface) is not supported yet"},
    {"DynamicAsnResource", kRes, PEER_HEAD "  dynamicASN: external\n  peerAddress: 192.0.2.1\n",
     "external", "BGPPeer(r).spec.dynamicASN", "dynamicASN is not supported yet"},
    {"DynamicAsnStandaloneResources", kAuto,
     PEER_HEAD "  dynamicASN: internal\n  peerAddress: 192.0.2.1\n" PLAIN, "internal",
     "BGPPeer(r).spec.dynamicASN", "dynamicASN is not supported yet"},
    {"LocalAsnResource", kRes, PEER "  localASN: 64510\n", "64510", "BGPPeer(r).spec.localASN",
     "localASN is not supported"},
    {"LocalAsnStandaloneResources", kAuto, PEER "  localASN: 64510\n" PLAIN, "64510",
     "BGPPeer(r).spec.localASN", "localASN is not supported"},
    {"DisableMpResource", kRes, PEER "  disableMP: true\n", "true", "BGPPeer(r).spec.disableMP",
     "disableMP: true is not supported: use dualStackAddressFamily"},
    {"DisableMpStandaloneResources", kAuto, PEER "  disableMP: true\n" PLAIN, "true",
     "BGPPeer(r).spec.disableMP", "disableMP: true is not supported: use dualStackAddressFamily"},
    // --- GTSM beyond one hop, everywhere
    {"GtsmMultihopConfigMap", kMap, CM_PEER "  ebgp-multihop: true\n  gtsm: true\n", "true",
     "peers[0].gtsm", "GTSM with ebgp-multihop is not supported yet"},
    {"GtsmMultihopStandalone", kAlone, CM_PEER "  ebgp-multihop: true\n  gtsm: true\n", "true",
     "peers[0].gtsm", "GTSM with ebgp-multihop is not supported yet"},
    {"GtsmMultihopResource", kRes, GTSM_PEER, "\"true\"",
     "BGPPeer(r).metadata.annotations.vipd.io/gtsm",
     "GTSM with ebgp-multihop is not supported yet"},
    {"GtsmMultihopStandaloneResources", kAuto, GTSM_PEER PLAIN, "\"true\"",
     "BGPPeer(r).metadata.annotations.vipd.io/gtsm",
     "GTSM with ebgp-multihop is not supported yet"},
    // --- GTSM on a passive session, everywhere
    {"GtsmPassiveStandalone", kAlone, CM_PEER "  passive: true\n  gtsm: true\n", "true",
     "peers[0].gtsm", "GTSM on a passive session is not supported yet"},
    {"GtsmPassiveStandaloneResources", kAuto,
     "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata:\n  name: r\n  annotations: "
     "{vipd.io/passive: \"true\", vipd.io/gtsm: \"true\"}\nspec: {myASN: 64500, peerASN: 64501, "
     "peerAddress: 192.0.2.1}\n" PLAIN,
     "\"true\"}", "BGPPeer(r).metadata.annotations.vipd.io/gtsm",
     "GTSM on a passive session is not supported yet"},
    // --- standalone only
    {"PasswordSecretStandaloneResources", kAuto,
     PEER "  passwordSecret: {name: s, namespace: metallb-system}\n" PLAIN, "{name: s",
     "BGPPeer(r).spec.passwordSecret", "Kubernetes Secrets are not supported in standalone mode"},
    {"NamespaceSelectorsStandaloneResources", kAuto,
     "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\nspec:\n  "
     "addresses: [2001:db8::/64]\n  serviceAllocation:\n    namespaceSelectors: [{matchLabels: "
     "{team: a}}]\n" PLAIN,
     "[{matchLabels", "IPAddressPool(p).spec.serviceAllocation.namespaceSelectors",
     "namespace selectors are not supported in standalone mode"},
};

class Refusals : public ::testing::TestWithParam<Refused> {};

TEST_P(Refusals, RefusedAtItsPositionAndNothingElseIsWrong) {
  const auto& row = GetParam();
  const auto translated = check_text(row.text, "in.yaml", row.format, Purpose::kTranslate);
  ASSERT_TRUE(translated.valid()) << errors_of(translated);
  const auto r = check_text(row.text, "in.yaml", row.format);
  EXPECT_FALSE(r.valid());
  EXPECT_EQ(r.error_count(), row.errors) << errors_of(r);
  const auto at = last_position_of(row.text, row.token);
  bool found = false;
  for (const auto& d : r.diagnostics) {
    if (d.severity != Severity::kError) continue;
    EXPECT_NE(d.message.find("not supported"), std::string::npos) << d.to_string();
    if (d.path == row.path && d.message.find(row.message) != std::string::npos) {
      found = true;
      EXPECT_EQ(d.position, at) << d.to_string();
    }
  }
  EXPECT_TRUE(found) << "want " << row.path << ": ..." << row.message << "...\ngot:\n"
                     << errors_of(r);
}

INSTANTIATE_TEST_SUITE_P(Config, Refusals, ::testing::ValuesIn(kRefused),
                         [](const auto& row) { return std::string(row.param.name); });

TEST(Refusals, StandaloneOnlySettingsAreAcceptedForKubernetes) {
  // Layer 2, password secrets and namespace selectors are the Kubernetes mode's business.
  const auto map = check_text(
      "address-pools:\n- name: p\n  protocol: layer2\n  addresses: [192.0.2.0/24]\n", "in.yaml");
  EXPECT_TRUE(map.valid()) << errors_of(map);
  const auto resources = check_text(
      PEER
      "  passwordSecret: {name: s, namespace: metallb-system}\n---\n"
      "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l}\n---\n"
      "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\nspec:\n  "
      "addresses: [2001:db8::/64]\n  serviceAllocation:\n    namespaceSelectors: "
      "[{matchLabels: {team: a}}]\n",
      "in.yaml");
  EXPECT_TRUE(resources.valid()) << errors_of(resources);
  EXPECT_EQ(resources.format, SourceFormat::kResources);
}

TEST(Refusals, DisableMpFalseKeepsItsDeprecationWarning) {
  const std::string text = PEER "  disableMP: false\n";
  const auto r = check_text(text, "in.yaml");
  ASSERT_TRUE(r.valid()) << errors_of(r);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].severity, Severity::kWarning);
  EXPECT_EQ(r.diagnostics[0].position, last_position_of(text, "false"));
  EXPECT_NE(r.diagnostics[0].message.find("use dualStackAddressFamily"), std::string::npos);
}

TEST(Refusals, GtsmOneHopAwayIsAccepted) {
  const auto r = check_text(CM_PEER "  gtsm: true\n", "in.yaml");
  ASSERT_TRUE(r.valid()) << errors_of(r);
  EXPECT_TRUE(r.config->peers[0].gtsm);
}

#undef CM_PEER
#undef CM_BFD
#undef PEER_HEAD
#undef PEER
#undef BFD_RES
#undef GTSM_PEER
#undef PLAIN

}  // namespace
}  // namespace vipd::config
