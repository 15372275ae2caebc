// The standalone file: `nodes`, services' families and labels, and the file written as MetalLB
// resources beside one plain document.
#include <gtest/gtest.h>

#include "config/load.hpp"
#include "config/summary.hpp"
#include "config/tests/test_util.hpp"

namespace vipd::config {
namespace {

using testing::errors_of;
using testing::Expected;

constexpr auto kRes = InputFormat::kResources;
constexpr auto kAlone = InputFormat::kStandalone;
constexpr auto kAuto = InputFormat::kAuto;
constexpr auto kError = Severity::kError;
constexpr auto kWarning = Severity::kWarning;

const std::string kData = VIPD_CONFIG_TEST_DATA "/standalone/";

IpAddress ip(std::string_view text) { return IpAddress::parse(text).value(); }

#define POOL \
  "address-pools:\n- {name: p, protocol: bgp, addresses: [192.0.2.0/24, 2001:db8::/64]}\n"
#define POOL_RES \
  "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\nspec: {addresses: "
#define PEER_RES                                                                              \
  "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r}\nspec: {myASN: 64500, " \
  "peerASN: 64501, peerAddress: 192.0.2.1"
#define NODES "nodes:\n- {name: edge-1, labels: {rack: r1}}\n- {name: edge-2, labels: {rack: r2}}\n"

const Expected kRows[] = {
    // --- nodes
    {"NodeWithoutName", kAuto, "nodes:\n- labels: {rack: r1}\n", kError, "labels", "nodes[0]",
     "missing required field \"name\""},
    {"NodeNameEmpty", kAuto, "nodes:\n- name: \"\"\n", kError, "\"\"", "nodes[0].name",
     "node name must not be empty"},
    {"NodeNameNotADnsSubdomain", kAuto, "nodes:\n- name: Edge_1\n", kError, "Edge_1",
     "nodes[0].name",
     "invalid node name \"Edge_1\": a node name, as in Kubernetes, must be a DNS subdomain"},
    {"NodeNameEmptyPart", kAuto, "nodes:\n- name: edge..one\n", kError, "edge..one",
     "nodes[0].name", "each part between dots begins and ends"},
    {"NodeNameTwice", kAuto, "nodes:\n- name: edge-1\n- name: edge-1\n", kError, "edge-1",
     "nodes[1].name", "duplicate node \"edge-1\" (first at nodes[0])"},
    {"NodeLabelKey", kAuto, "nodes:\n- name: edge-1\n  labels: {-rack: r1}\n", kError, "-rack",
     "nodes[0].labels.-rack", "invalid label key"},
    {"NodeLabelValue", kAuto, "nodes:\n- name: edge-1\n  labels: {rack: \"r 1\"}\n", kError,
     "\"r 1\"", "nodes[0].labels.rack", "invalid label value"},
    {"NodeUnknownKey", kAuto, "nodes:\n- name: edge-1\n  label: {rack: r1}\n", kError,
     "label:", "nodes[0].label", "did you mean \"labels\"?"},
    {"NodeBadAddress", kAuto, "nodes:\n- name: edge-1\n  addresses: [192.0.2.300]\n", kError,
     "192.0.2.300", "nodes[0].addresses[0]", "invalid IP address"},
    {"NodeAddressTwice", kAuto, "nodes:\n- name: edge-1\n  addresses: [2001:db8::1, 2001:db8::1]\n",
     kError, "2001:db8::1]", "nodes[0].addresses[1]",
     "address 2001:db8::1 is listed twice for node \"edge-1\""},
    {"NodeNotListed", kAuto, "node: edge-3\n" NODES, kError, "edge-3", "node",
     "node \"edge-3\" is not listed in `nodes`: add it there, or name one of the listed nodes"},
    {"PeerNodeSelectorMatchesNoNode", kAuto,
     NODES "peers:\n- peer-address: 192.0.2.1\n  peer-asn: 64500\n  my-asn: 64501\n  "
           "node-selectors:\n  - match-labels: {rack: r1}\n  - match-labels: {rack: r3}\n",
     kWarning, "match-labels: {rack: r3}", "peers[0].node-selectors[1]",
     "matches no node listed in `nodes`"},
    {"AdvertisementNodeSelectorMatchesNoNode", kAuto,
     POOL_RES "[192.0.2.0/24]}\n---\napiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\n"
              "metadata: {name: ad}\nspec:\n  nodeSelectors:\n  - matchExpressions:\n    - {key: "
              "kubernetes.io/hostname, operator: In, values: [edge-9]}\n---\n" NODES,
     kWarning, "matchExpressions", "BGPAdvertisement(ad).spec.nodeSelectors[0]",
     "matches no node listed in `nodes`"},
    // --- layer 2: the members and their addresses
    {"Layer2PoolWithoutNodes", kAlone,
     "node: edge-1\naddress-pools:\n- name: lan\n  protocol: layer2\n  addresses: "
     "[192.0.2.0/28]\n",
     kError, "layer2", "address-pools[0].protocol",
     "layer-2 pools need the cluster's members: list every node in `nodes` with its addresses"},
    {"Layer2NodeWithoutAddresses", kAlone,
     "address-pools:\n- {name: lan, protocol: layer2, addresses: [192.0.2.0/28]}\nnodes:\n- "
     "{name: edge-1, addresses: [192.0.2.21]}\n- {name: edge-2}\n",
     kError, "{name: edge-2}", "nodes[1]",
     "node \"edge-2\" has no addresses: with layer-2 pools each member needs one"},
    {"L2AdvertisementNodeSelectorMatchesNoNode", kAuto,
     POOL_RES "[192.0.2.0/28]}\n---\napiVersion: metallb.io/v1beta1\nkind: L2Advertisement\n"
              "metadata: {name: l2}\nspec:\n  nodeSelectors:\n  - matchLabels: {rack: r9}\n---\n"
              "nodes:\n- {name: edge-1, addresses: [192.0.2.21]}\n",
     kWarning, "matchLabels", "L2Advertisement(l2).spec.nodeSelectors[0]",
     "matches no node listed in `nodes`"},
    // --- services: families and labels (Kubernetes' rules)
    {"FamilyPolicyUnknown", kAlone, POOL "services:\n- name: web\n  ip-family-policy: DualStack\n",
     kError, "DualStack", "services[0].ip-family-policy",
     "invalid ip-family-policy \"DualStack\": must be SingleStack, PreferDualStack or "
     "RequireDualStack"},
    {"FamilyUnknown", kAlone, POOL "services:\n- name: web\n  ip-families: [IPv4, ipv6]\n", kError,
     "ipv6", "services[0].ip-families[1]",
     "invalid IP family \"ipv6\": must be IPv4 or IPv6; did you mean \"IPv6\"?"},
    {"FamilyTwice", kAlone, POOL "services:\n- name: web\n  ip-families: [IPv6, IPv6]\n", kError,
     "IPv6]", "services[0].ip-families[1]", "IP family IPv6 listed twice"},
    {"SingleStackWithTwoFamilies", kAlone,
     POOL "services:\n- name: web\n  ip-family-policy: SingleStack\n  ip-families: [IPv4, IPv6]\n",
     kError, "[IPv4, IPv6]", "services[0].ip-families",
     "SingleStack takes one IP family: list one, or use PreferDualStack or RequireDualStack"},
    {"AddressesDecideFamilies", kAlone,
     POOL "services:\n- name: web\n  addresses: [192.0.2.1]\n  ip-families: [IPv4]\n", kError,
     "[IPv4]", "services[0].ip-families", "the addresses decide the families"},
    {"AddressesDecideFamilyPolicy", kAlone,
     POOL "services:\n- name: web\n  addresses: [192.0.2.1]\n  ip-family-policy: SingleStack\n",
     kError, "SingleStack", "services[0].ip-family-policy", "the addresses decide the families"},
    {"ServiceLabelValue", kAlone, POOL "services:\n- name: web\n  labels: {app: \"a b\"}\n", kError,
     "\"a b\"", "services[0].labels.app", "invalid label value"},
    // --- written as resources beside one plain document
    {"PlainDocumentWithPools", kAuto,
     PEER_RES "}\n---\nnode: edge-1\naddress-pools:\n- {name: p, protocol: bgp, addresses: "
              "[192.0.2.0/24]}\n",
     kError, "address-pools", "address-pools",
     "pools and peers are written either as resources or in the body, not both"},
    {"PlainDocumentWithPeers", kAlone, PEER_RES "}\n---\npeers: []\n", kError, "peers", "peers",
     "beside MetalLB resources the plain document holds only node, nodes and services"},
    {"TwoPlainDocuments", kAuto, PEER_RES "}\n---\nnode: edge-1\n---\nservices: []\n", kError,
     "services", "documents[2]", "a second plain document"},
    {"PlainDocumentBesideAConfigMap", kAuto,
     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: config}\ndata:\n  config: |\n    peers: "
     "[]\n---\nnode: edge-1\n",
     kError, "node", "documents[1]", "goes beside MetalLB resources, not beside a ConfigMap"},
    {"PlainDocumentCheckedAsResources", kRes, PEER_RES "}\n---\nnode: edge-1\n", kError, "node",
     "documents[1]", "makes a standalone file: check it as one"},
    {"ServiceOutsidePoolsInThePlainDocument", kAuto,
     POOL_RES "[192.0.2.0/24]}\n---\nservices:\n- name: web\n  addresses: [198.51.100.7]\n", kError,
     "198.51.100.7", "services[0].addresses[0]", "198.51.100.7 is not inside any pool"},
    {"ServicePoolByNameInThePlainDocument", kAuto,
     POOL_RES "[192.0.2.0/24]}\n---\nservices:\n- name: web\n  pool: q\n", kError, "q\n",
     "services[0].pool", "pool \"q\" does not exist; did you mean \"p\"?"},
    {"DuplicateAdvertisementNamesInStandaloneResources", kAuto,
     "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: ad}\n---\n"
     "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: ad}\n---\n"
     "node: edge-1\n",
     kError, "apiVersion", "BGPAdvertisement(ad)", "duplicate definition of BGPAdvertisement"},
};

class StandaloneFile : public ::testing::TestWithParam<Expected> {};
TEST_P(StandaloneFile, ReportedAtItsPosition) { testing::expect_row(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Config, StandaloneFile, ::testing::ValuesIn(kRows), testing::row_name);

TEST(StandaloneFile, NodesCarryTheirHostnameLabel) {
  const auto r = check_text(
      "node: edge-1\nnodes:\n- name: edge-1\n  labels: {rack: r1}\n  addresses: [192.0.2.11, "
      "2001:db8::11]\n- name: edge-2.example.org\n  labels: {kubernetes.io/hostname: edge-2}\n",
      "in.yaml");
  ASSERT_TRUE(r.valid()) << errors_of(r);
  EXPECT_EQ(r.format, SourceFormat::kStandalone);
  const auto& nodes = r.config->standalone->nodes;
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0],
            (StandaloneNode{.name = "edge-1",
                            .labels = {{"kubernetes.io/hostname", "edge-1"}, {"rack", "r1"}},
                            .addresses = {ip("192.0.2.11"), ip("2001:db8::11")}}));
  // A label the file sets is kept.
  EXPECT_EQ(nodes[1].labels, (Labels{{"kubernetes.io/hostname", "edge-2"}}));
}

TEST(StandaloneFile, ServicesKeepTheirFamiliesAndLabelsAsWritten) {
  const auto r = check_text(POOL
                            "services:\n"
                            "- {name: a, ip-family-policy: RequireDualStack, ip-families: "
                            "[IPv6]}\n"
                            "- {name: b, ip-families: [IPv6, IPv4], labels: {app: b}}\n"
                            "- {name: c, ip-family-policy: SingleStack}\n"
                            "- {name: d}\n",
                            "in.yaml", kAlone);
  ASSERT_TRUE(r.valid()) << errors_of(r);
  const auto& s = r.config->standalone->services;
  EXPECT_EQ(s[0].details().ip_family_policy, IpFamilyPolicy::kRequireDualStack);
  EXPECT_EQ(s[0].details().ip_families, std::vector<Family>{Family::kV6});
  EXPECT_EQ(s[1].details().ip_family_policy, std::nullopt);
  EXPECT_EQ(s[1].details().ip_families, (std::vector<Family>{Family::kV6, Family::kV4}));
  EXPECT_EQ(s[1].details().labels, (Labels{{"app", "b"}}));
  EXPECT_EQ(s[2].details().ip_family_policy, IpFamilyPolicy::kSingleStack);
  EXPECT_TRUE(s[2].details().ip_families.empty());
  EXPECT_EQ(s[3], (StandaloneService{.name = "d"}));
}

// DESIGN.md's example, written both ways: one model, but for the names MetalLB's ConfigMap
// converter gives (peer1, bgpadvertisement1) where resources are named.
TEST(StandaloneFile, TheExampleWrittenBothWaysIsOneModel) {
  const auto body = check_file(kData + "edge.yaml");
  const auto resources = check_file(kData + "edge-resources.yaml");
  ASSERT_TRUE(body.valid()) << errors_of(body);
  ASSERT_TRUE(resources.valid()) << errors_of(resources);
  EXPECT_TRUE(body.diagnostics.empty()) << errors_of(body);
  EXPECT_TRUE(resources.diagnostics.empty()) << errors_of(resources);
  EXPECT_EQ(body.format, SourceFormat::kStandalone);
  EXPECT_EQ(resources.format, SourceFormat::kStandalone);
  auto renamed = *resources.config;
  ASSERT_EQ(renamed.peers.size(), 1u);
  ASSERT_EQ(renamed.bgp_advertisements.size(), 1u);
  EXPECT_EQ(renamed.peers[0].name, "router");
  renamed.peers[0].name = "peer1";
  renamed.bgp_advertisements[0].name = "bgpadvertisement1";
  EXPECT_EQ(renamed, *body.config);
  EXPECT_TRUE(renamed.peers[0].passive);
  EXPECT_EQ(renamed.standalone->nodes.size(), 2u);
  EXPECT_EQ(renamed.standalone->services.size(), 2u);
  // As a standalone file, the resources form is chosen on request as well.
  EXPECT_TRUE(check_file(kData + "edge-resources.yaml", kAlone).valid());
}

TEST(StandaloneFile, ResourcesCheckedAsStandaloneNeedNoPlainDocument) {
  const auto r = check_text(POOL_RES "[192.0.2.0/24]}\n", "in.yaml", kAlone);
  ASSERT_TRUE(r.valid()) << errors_of(r);
  EXPECT_EQ(r.format, SourceFormat::kStandalone);
  ASSERT_TRUE(r.config->standalone);
  EXPECT_TRUE(r.config->standalone->services.empty());
}

TEST(StandaloneFile, NodesAloneMakeAStandaloneFile) {
  const auto r = check_text("nodes:\n- name: edge-1\n", "in.yaml");
  ASSERT_TRUE(r.valid()) << errors_of(r);
  EXPECT_EQ(r.format, SourceFormat::kStandalone);
}

TEST(StandaloneFile, Layer2PoolsWithTheirMembersAreAccepted) {
  const auto r = check_text(
      "node: edge-1\nnodes:\n- {name: edge-1, addresses: [192.0.2.21]}\n- {name: edge-2, "
      "addresses: [192.0.2.22, 2001:db8::22]}\naddress-pools:\n- name: lan\n  protocol: "
      "layer2\n  addresses: [192.0.2.192/28]\nservices:\n- {name: web, addresses: "
      "[192.0.2.200]}\n",
      "in.yaml");
  ASSERT_TRUE(r.valid()) << errors_of(r);
  ASSERT_TRUE(r.config);
  EXPECT_TRUE(r.config->is_layer2(r.config->pools.at(0)));
}

TEST(StandaloneFile, NodeSelectorsAreNotCheckedWithoutNodes) {
  const auto r = check_text(
      "node: edge-1\npeers:\n- peer-address: 192.0.2.1\n  peer-asn: 64500\n  my-asn: 64501\n  "
      "node-selectors:\n  - match-labels: {rack: r9}\n",
      "in.yaml");
  ASSERT_TRUE(r.valid()) << errors_of(r);
  EXPECT_TRUE(r.diagnostics.empty()) << errors_of(r);
}

TEST(StandaloneFile, SummaryShowsNodesFamiliesAndLabels) {
  const auto r = check_file(kData + "edge.yaml");
  ASSERT_TRUE(r.valid()) << errors_of(r);
  const auto text = text_report(r);
  EXPECT_NE(text.find("  nodes: 2\n    edge-1: 192.0.2.11, 2001:db8::11 (labels "
                      "kubernetes.io/hostname=edge-1, rack=r1)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    shop/api: allocated from pool public, ip-family-policy "
                      "RequireDualStack [IPv6, IPv4], labels app=api\n"),
            std::string::npos)
      << text;
  const auto json = json_report({r});
  EXPECT_NE(json.find("\"nodes\":[{\"name\":\"edge-1\",\"labels\":{\"kubernetes.io/"
                      "hostname\":\"edge-1\",\"rack\":\"r1\"},\"addresses\":[\"192.0.2.11\","
                      "\"2001:db8::11\"]}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"ip_families\":[\"IPv6\",\"IPv4\"]"), std::string::npos) << json;
  EXPECT_NE(json.find("\"ip_family_policy\":\"RequireDualStack\""), std::string::npos) << json;
}

#undef POOL
#undef POOL_RES
#undef PEER_RES
#undef NODES

}  // namespace
}  // namespace vipd::config
