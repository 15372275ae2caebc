// Duplicates inside one advertisement (or one list of selectors): refused where MetalLB refuses
// them (validateDuplicate, validateLabelSelectorDuplicate), a warning where MetalLB accepts them.
#include <gtest/gtest.h>

#include <string>

#include "config/load.hpp"
#include "config/tests/test_util.hpp"

namespace vipd::config {
namespace {

using testing::errors_of;
using testing::last_position_of;

struct Row {
  const char* name;
  InputFormat format;
  const char* text;
  Severity severity;
  const char* token;  // where the diagnostic points (its last occurrence in the text)
  const char* path;
  const char* message;  // a part of it
};

constexpr auto kMap = InputFormat::kConfigMap;
constexpr auto kRes = InputFormat::kResources;
constexpr auto kError = Severity::kError;
constexpr auto kWarning = Severity::kWarning;

#define POOL_P \
  "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\nspec: {addresses: "
#define BGP_AD \
  "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: a}\nspec:\n"
#define L2_AD "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l}\nspec:\n"

const Row kRows[] = {
    // --- BGPAdvertisement: MetalLB refuses every duplicate in its lists
    {"BgpCommunityTwice", kRes,
     POOL_P "[192.0.2.0/24]}\n---\n" BGP_AD
            "  communities: [\"64496:1\", \"64496:2\", \"64496:1\"]\n",
     kError, "\"64496:1\"]", "BGPAdvertisement(a).spec.communities[2]",
     "duplicate community \"64496:1\""},
    {"BgpPoolTwice", kRes, POOL_P "[2001:db8::/64]}\n---\n" BGP_AD "  ipAddressPools: [p, p]\n",
     kError, "p]", "BGPAdvertisement(a).spec.ipAddressPools[1]", "duplicate pool \"p\""},
    {"BgpPeerTwice", kRes, BGP_AD "  peers: [r1, r1]\n", kError, "r1]",
     "BGPAdvertisement(a).spec.peers[1]", "duplicate peer \"r1\""},
    {"BgpNodeSelectorTwiceValuesReordered", kRes,
     BGP_AD "  nodeSelectors:\n  - matchExpressions:\n    - {key: zone, operator: In, values: [a, "
            "b]}\n  - matchExpressions:\n    - {key: zone, operator: In, values: [b, a]}\n",
     kError, "matchExpressions:\n    - {key: zone, operator: In, values: [b",
     "BGPAdvertisement(a).spec.nodeSelectors[1]", "duplicate selector"},
    {"BgpPoolSelectorExpressionTwice", kRes,
     BGP_AD "  ipAddressPoolSelectors:\n  - matchExpressions:\n    - {key: tier, operator: NotIn, "
            "values: [x, y]}\n    - {key: tier, operator: NotIn, values: [y, x]}\n",
     kError, "{key: tier, operator: NotIn, values: [y",
     "BGPAdvertisement(a).spec.ipAddressPoolSelectors[0].matchExpressions[1]",
     "duplicate match expression (same as "
     "BGPAdvertisement(a).spec.ipAddressPoolSelectors[0].matchExpressions[0])"},
    {"BgpServiceSelectorValueTwice", kRes,
     BGP_AD "  serviceSelectors:\n  - matchExpressions:\n    - {key: app, operator: In, values: "
            "[web, dns, web]}\n",
     kError, "web]", "BGPAdvertisement(a).spec.serviceSelectors[0].matchExpressions[0].values[2]",
     "duplicate value \"web\""},
    // --- L2Advertisement
    {"L2PoolTwice", kRes, POOL_P "[192.0.2.0/24]}\n---\n" L2_AD "  ipAddressPools: [p, p]\n",
     kError, "p]", "L2Advertisement(l).spec.ipAddressPools[1]", "duplicate pool \"p\""},
    {"L2InterfaceTwiceIsAccepted", kRes, L2_AD "  interfaces: [eth0, eth1, eth0]\n", kWarning,
     "eth0]", "L2Advertisement(l).spec.interfaces[2]", "interface \"eth0\" listed twice"},
    {"L2NodeSelectorTwice", kRes,
     L2_AD "  nodeSelectors:\n  - matchLabels: {zone: a}\n  - matchLabels: {zone: a}\n", kError,
     "matchLabels: {zone: a}\n", "L2Advertisement(l).spec.nodeSelectors[1]", "duplicate selector"},
    // --- other lists of selectors MetalLB checks the same way
    {"PeerNodeSelectorValueTwice", kMap,
     "peers:\n- peer-address: 2001:db8::1\n  peer-asn: 64500\n  my-asn: 64501\n  node-selectors:\n"
     "  - match-expressions:\n    - {key: zone, operator: In, values: [a, a]}\n",
     kError, "a]", "peers[0].node-selectors[0].match-expressions[0].values[1]",
     "duplicate value \"a\""},
    {"PoolServiceSelectorTwice", kRes,
     POOL_P "[2001:db8::/64], serviceAllocation: {serviceSelectors: [{matchLabels: {app: a}}, "
            "{matchLabels: {app: a}}]}}\n",
     kError, "{matchLabels: {app: a}}]",
     "IPAddressPool(p).spec.serviceAllocation.serviceSelectors[1]", "duplicate selector"},
    // --- ConfigMap bgp-advertisements
    {"ConfigMapCommunityTwice", kMap,
     "bgp-communities:\n  no-export: 65535:65281\naddress-pools:\n- name: p\n  protocol: bgp\n  "
     "addresses: [192.0.2.0/24]\n  bgp-advertisements:\n  - communities: [no-export, no-export]\n",
     kError, "no-export]", "address-pools[0].bgp-advertisements[0].communities[1]",
     "duplicate community \"no-export\""},
    {"ConfigMapIdenticalAdvertisements", kMap,
     "address-pools:\n- name: p\n  protocol: bgp\n  addresses: [2001:db8::/64]\n  "
     "bgp-advertisements:\n  - aggregation-length-v6: 64\n    communities: [64496:1]\n  - "
     "aggregation-length-v6: 64\n    communities: [64496:1]\n",
     kError, "aggregation-length-v6: 64\n    communities: [64496:1]\n",
     "address-pools[0].bgp-advertisements[1]",
     "identical to address-pools[0].bgp-advertisements[0]; MetalLB refuses identical "
     "advertisements in one pool: remove one"},
};

#undef POOL_P
#undef BGP_AD
#undef L2_AD

class Duplicates : public ::testing::TestWithParam<Row> {};

TEST_P(Duplicates, VerdictMatchesMetallb) {
  const auto& row = GetParam();
  const auto r = check_text(row.text, "in.yaml", row.format);
  EXPECT_EQ(r.valid(), row.severity == kWarning) << errors_of(r);
  const auto at = last_position_of(row.text, row.token);
  bool found = false;
  for (const auto& d : r.diagnostics) {
    if (d.path != row.path || d.message.find(row.message) == std::string::npos) continue;
    found = true;
    EXPECT_EQ(d.severity, row.severity) << d.to_string();
    EXPECT_EQ(d.position, at) << d.to_string();
  }
  EXPECT_TRUE(found) << "want " << row.path << ": ..." << row.message << "...\ngot:\n"
                     << errors_of(r);
}

INSTANTIATE_TEST_SUITE_P(Config, Duplicates, ::testing::ValuesIn(kRows),
                         [](const auto& row) { return std::string(row.param.name); });

TEST(Duplicates, AdvertisementsDifferingInAWrittenDefaultAreNotIdentical) {
  // MetalLB compares what is written: a default written out differs from one left out.
  const auto r = check_text(
      "address-pools:\n- name: p\n  protocol: bgp\n  addresses: [192.0.2.0/24]\n  "
      "bgp-advertisements:\n  - aggregation-length: 32\n  - {}\n",
      "in.yaml", InputFormat::kConfigMap);
  EXPECT_TRUE(r.valid()) << errors_of(r);
  EXPECT_TRUE(r.diagnostics.empty()) << errors_of(r);
}

TEST(Duplicates, PreferredNodeSelectorsAreNotChecked) {
  // MetalLB reads a preference with LabelSelectorAsSelector only, which folds repeated values.
  const auto r = check_text(
      "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l}\nspec:\n  "
      "preferredNodeSelectors:\n  - weight: 10\n    preference:\n      matchExpressions:\n      - "
      "{key: zone, operator: In, values: [a, a]}\n",
      "in.yaml", InputFormat::kResources);
  EXPECT_TRUE(r.valid()) << errors_of(r);
  EXPECT_TRUE(r.diagnostics.empty()) << errors_of(r);
}

}  // namespace
}  // namespace vipd::config
