// MetalLB's LOCAL_PREF rule: two BGP advertisements that announce one prefix of one pool to one
// peer from one node must not set different LOCAL_PREF values. One row per case, for the
// ConfigMap (a pool's bgp-advertisements) and the resources (BGPAdvertisement documents), with
// IPv4, IPv6 and dual-stack pools.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/advertisement_overlap.hpp"
#include "config/load.hpp"
#include "config/tests/test_util.hpp"

namespace vipd::config {
namespace {

using testing::errors_of;
using testing::last_position_of;

enum class Verdict { kAccepted, kWarning, kError };

struct Row {
  std::string name;
  InputFormat format;
  std::string text;
  Verdict verdict;
  std::string token;  // where the diagnostic points (its last occurrence in the text)
  std::string path;
  std::string message;  // a part of it
};

std::string pool(const std::string& name, const std::string& addresses,
                 const std::string& labels = "") {
  return "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: " + name +
         (labels.empty() ? "" : "\n  labels: " + labels) + "\nspec:\n  addresses: " + addresses +
         "\n---\n";
}

std::string ad(const std::string& name, const std::string& spec) {
  return "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata:\n  name: " + name +
         "\nspec:\n" + spec + "---\n";
}

std::string configmap_pool(const std::string& name, const std::string& addresses,
                           const std::string& ads) {
  return "- name: " + name + "\n  protocol: bgp\n  addresses: " + addresses +
         "\n  bgp-advertisements:\n" + ads;
}

const std::string kV4 = "[192.0.2.0/24]";
const std::string kV6 = "[2001:db8::/64]";
const std::string kDual = "[198.51.100.0/24, 2001:db8:1::/64]";

std::vector<Row> rows() {
  constexpr auto kMap = InputFormat::kConfigMap;
  constexpr auto kRes = InputFormat::kResources;
  const auto two = [](const std::string& pools, const std::string& a, const std::string& b) {
    return pools + ad("a", a) + ad("b", b);
  };
  const std::string lp100 = "  ipAddressPools: [p]\n  localPref: 100\n";
  const std::string lp200 = "  ipAddressPools: [p]\n  localPref: 200\n";
  const std::string conflict = "local preference 200 conflicts with 100 of BGPAdvertisement(a)";
  const std::string path = "BGPAdvertisement(b).spec.localPref";
  return {
      // --- resources: which advertisements apply to one pool
      {"SamePoolByNameV4", kRes, two(pool("p", kV4), lp100, lp200), Verdict::kError, "200", path,
       conflict + ": both announce pool \"p\" with the same aggregation length to the same "
                  "peers from every node"},
      {"SamePoolByNameV6", kRes, two(pool("p", kV6), lp100, lp200), Verdict::kError, "200", path,
       conflict},
      {"SameLocalPref", kRes, two(pool("p", kDual), lp100, lp100), Verdict::kAccepted, "", "", ""},
      {"UnsetAgainstSet", kRes,
       two(pool("p", kV4), "  ipAddressPools: [p]\n", "  ipAddressPools: [p]\n  localPref: 150\n"),
       Verdict::kError, "150", path, "local preference 150 conflicts with 0 of"},
      {"PoolBySelectorAndByName", kRes,
       two(pool("p", kV6, "{tier: edge}"),
           "  ipAddressPoolSelectors:\n  - matchLabels: {tier: edge}\n  localPref: 100\n", lp200),
       Verdict::kError, "200", path, conflict},
      {"EveryPoolAndNamedPool", kRes, two(pool("p", kV4), "  localPref: 100\n", lp200),
       Verdict::kError, "200", path, conflict},
      {"DifferentPools", kRes,
       pool("p", kV4) + pool("q", "[198.51.100.0/24]") + ad("a", lp100) +
           ad("b", "  ipAddressPools: [q]\n  localPref: 200\n"),
       Verdict::kAccepted, "", "", ""},
      {"SelectorMatchesAnotherPool", kRes,
       pool("p", kV4, "{tier: edge}") + pool("q", kV6, "{tier: core}") +
           ad("a", "  ipAddressPoolSelectors:\n  - matchLabels: {tier: core}\n  localPref: 100\n") +
           ad("b", lp200),
       Verdict::kAccepted, "", "", ""},
      // --- aggregation lengths: different prefixes in every family of the pool
      {"V4PoolLengthsDiffer", kRes,
       two(pool("p", kV4), "  ipAddressPools: [p]\n  aggregationLength: 24\n  localPref: 100\n",
           lp200),
       Verdict::kAccepted, "", "", ""},
      {"V6PoolOnlyV4LengthDiffers", kRes,
       two(pool("p", kV6), "  ipAddressPools: [p]\n  aggregationLength: 24\n  localPref: 100\n",
           lp200),
       Verdict::kError, "200", path, conflict},
      {"V6PoolLengthsDiffer", kRes,
       two(pool("p", kV6), "  ipAddressPools: [p]\n  aggregationLengthV6: 64\n  localPref: 100\n",
           lp200),
       Verdict::kAccepted, "", "", ""},
      {"DualStackOneLengthDiffers", kRes,
       two(pool("p", kDual), "  ipAddressPools: [p]\n  aggregationLength: 24\n  localPref: 100\n",
           lp200),
       Verdict::kError, "200", path, conflict},
      {"DualStackBothLengthsDiffer", kRes,
       two(pool("p", kDual),
           "  ipAddressPools: [p]\n  aggregationLength: 24\n  aggregationLengthV6: 64\n  "
           "localPref: 100\n",
           lp200),
       Verdict::kAccepted, "", "", ""},
      // --- peers: named on both sides and disjoint
      {"DisjointPeers", kRes,
       two(pool("p", kV4), lp100 + "  peers: [r1]\n", lp200 + "  peers: [r2, r3]\n"),
       Verdict::kAccepted, "", "", ""},
      {"SharedPeer", kRes,
       two(pool("p", kV6), lp100 + "  peers: [r1, r2]\n", lp200 + "  peers: [r2]\n"),
       Verdict::kError, "200", path, conflict},
      {"NamedPeersAndEveryPeer", kRes, two(pool("p", kV4), lp100 + "  peers: [r1]\n", lp200),
       Verdict::kError, "200", path, conflict},
      // --- nodes: MetalLB compares the nodes each one selects in the cluster
      {"DisjointNodeLabels", kRes,
       two(pool("p", kV4), lp100 + "  nodeSelectors:\n  - matchLabels: {zone: a}\n",
           lp200 + "  nodeSelectors:\n  - matchLabels: {zone: b}\n"),
       Verdict::kAccepted, "", "", ""},
      {"InAndNotInSameValues", kRes,
       two(pool("p", kDual),
           lp100 + "  nodeSelectors:\n  - matchExpressions:\n    - {key: zone, operator: In, "
                   "values: [a, b]}\n",
           lp200 + "  nodeSelectors:\n  - matchExpressions:\n    - {key: zone, operator: NotIn, "
                   "values: [b, a]}\n"),
       Verdict::kAccepted, "", "", ""},
      {"ExistsAndDoesNotExist", kRes,
       two(pool("p", kV6),
           lp100 + "  nodeSelectors:\n  - matchExpressions:\n    - {key: edge, operator: Exists}\n",
           lp200 + "  nodeSelectors:\n  - matchExpressions:\n    - {key: edge, operator: "
                   "DoesNotExist}\n"),
       Verdict::kAccepted, "", "", ""},
      {"NodeLabelsThatMayMeet", kRes,
       two(pool("p", kV4), lp100 + "  nodeSelectors:\n  - matchLabels: {zone: a}\n",
           lp200 + "  nodeSelectors:\n  - matchLabels: {rack: r1}\n"),
       Verdict::kWarning, "200", path,
       conflict + ": both announce pool \"p\" with the same aggregation length to the same "
                  "peers from nodes matching both node selectors; MetalLB refuses the "
                  "configuration while such a node exists"},
      {"OneOfSeveralSelectorsMayMeet", kRes,
       two(pool("p", kV6),
           lp100 + "  nodeSelectors:\n  - matchLabels: {zone: a}\n  - matchLabels: {zone: b}\n",
           lp200 + "  nodeSelectors:\n  - matchExpressions:\n    - {key: zone, operator: In, "
                   "values: [b, c]}\n"),
       Verdict::kWarning, "200", path, "from nodes matching both node selectors"},
      {"SelectedNodesAndEveryNode", kRes,
       two(pool("p", kDual), lp100 + "  nodeSelectors:\n  - matchLabels: {zone: a}\n", lp200),
       Verdict::kWarning, "200", path, "from nodes matching both node selectors"},
      {"EmptySelectorSelectsEveryNode", kRes,
       two(pool("p", kV4), lp100 + "  nodeSelectors:\n  - {}\n", lp200), Verdict::kError, "200",
       path, "from every node"},
      // --- service selectors: which services an advertisement carries is known at run time only
      {"ServiceSelectorsAreNotCompared", kRes,
       two(pool("p", kV4), lp100 + "  serviceSelectors:\n  - matchLabels: {app: web}\n", lp200),
       Verdict::kAccepted, "", "", ""},
      // --- ConfigMap: the advertisements of one pool
      {"ConfigMapV4", kMap,
       "address-pools:\n" + configmap_pool("p", kV4, "  - localpref: 100\n  - localpref: 200\n"),
       Verdict::kError, "200", "address-pools[0].bgp-advertisements[1].localpref",
       "local preference 200 conflicts with 100 of address-pools[0].bgp-advertisements[0]: both "
       "announce pool \"p\" with the same aggregation length to the same peers from every node"},
      {"ConfigMapV6", kMap,
       "address-pools:\n" + configmap_pool("p", kV6, "  - localpref: 100\n  - localpref: 200\n"),
       Verdict::kError, "200", "address-pools[0].bgp-advertisements[1].localpref",
       "conflicts with 100 of address-pools[0].bgp-advertisements[0]"},
      {"ConfigMapUnsetLocalPref", kMap,
       "address-pools:\n" +
           configmap_pool("p", kV4, "  - localpref: 100\n  - communities: [64496:1]\n"),
       Verdict::kError, "communities: [64496:1]", "address-pools[0].bgp-advertisements[1]",
       "local preference 0 conflicts with 100"},
      {"ConfigMapLengthsDiffer", kMap,
       "address-pools:\n" +
           configmap_pool("p", kV4,
                          "  - aggregation-length: 24\n    localpref: 100\n  - localpref: 200\n"),
       Verdict::kAccepted, "", "", ""},
      {"ConfigMapDualStackOneLengthDiffers", kMap,
       "address-pools:\n" +
           configmap_pool("p", kDual,
                          "  - aggregation-length: 24\n    localpref: 100\n  - localpref: 200\n"),
       Verdict::kError, "200", "address-pools[0].bgp-advertisements[1].localpref",
       "conflicts with 100"},
      {"ConfigMapDualStackBothLengthsDiffer", kMap,
       "address-pools:\n" +
           configmap_pool("p", kDual,
                          "  - aggregation-length: 24\n    aggregation-length-v6: 64\n    "
                          "localpref: 100\n  - localpref: 200\n"),
       Verdict::kAccepted, "", "", ""},
      {"ConfigMapOtherPool", kMap,
       "address-pools:\n" + configmap_pool("p", kV4, "  - localpref: 100\n") +
           configmap_pool("q", kV6, "  - localpref: 200\n"),
       Verdict::kAccepted, "", "", ""},
  };
}

class LocalPref : public ::testing::TestWithParam<Row> {};

TEST_P(LocalPref, VerdictMatchesMetallb) {
  const auto& row = GetParam();
  const auto r = check_text(row.text, "in.yaml", row.format);
  const auto mentions = [&](const Diagnostic& d) {
    return d.message.find("local preference") != std::string::npos;
  };
  if (row.verdict == Verdict::kAccepted) {
    EXPECT_TRUE(r.valid()) << errors_of(r);
    EXPECT_TRUE(std::none_of(r.diagnostics.begin(), r.diagnostics.end(), mentions)) << errors_of(r);
    return;
  }
  EXPECT_EQ(r.valid(), row.verdict == Verdict::kWarning) << errors_of(r);
  const auto severity = row.verdict == Verdict::kError ? Severity::kError : Severity::kWarning;
  const auto at = last_position_of(row.text, row.token);
  std::size_t found = 0;
  for (const auto& d : r.diagnostics) {
    if (!mentions(d)) continue;
    ++found;
    EXPECT_EQ(d.severity, severity) << d.to_string();
    EXPECT_EQ(d.path, row.path) << d.to_string();
    EXPECT_EQ(d.position, at) << d.to_string();
    EXPECT_NE(d.message.find(row.message), std::string::npos) << d.to_string();
  }
  EXPECT_EQ(found, 1u) << errors_of(r);
}

INSTANTIATE_TEST_SUITE_P(Config, LocalPref, ::testing::ValuesIn(rows()),
                         [](const auto& row) { return row.param.name; });

TEST(LocalPref, ReportsEachAdvertisementOnceAgainstItsSurestCollision) {
  // c may collide with a (node selectors), and surely collides with b: one error, naming b.
  const std::string text =
      pool("p", kV4) + ad("a", "  localPref: 100\n  nodeSelectors:\n  - matchLabels: {zone: a}\n") +
      ad("b", "  localPref: 200\n") + ad("c", "  localPref: 300\n");
  const auto r = check_text(text, "in.yaml", InputFormat::kResources);
  std::vector<std::string> lines;
  for (const auto& d : r.diagnostics) {
    if (d.message.find("local preference") != std::string::npos) lines.push_back(d.to_string());
  }
  ASSERT_EQ(lines.size(), 2u) << errors_of(r);
  EXPECT_NE(lines[0].find("warning: BGPAdvertisement(b).spec.localPref: local preference 200 "
                          "conflicts with 100 of BGPAdvertisement(a)"),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find("BGPAdvertisement(c).spec.localPref: local preference 300 conflicts "
                          "with 200 of BGPAdvertisement(b)"),
            std::string::npos)
      << lines[1];
}

TEST(SelectorOverlap, FollowsKubernetesMatching) {
  const auto in = [](std::string key, std::vector<std::string> values) {
    return LabelSelector{{},
                         {{std::move(key), LabelRequirement::Operator::kIn, std::move(values)}}};
  };
  const auto not_in = [](std::string key, std::vector<std::string> values) {
    return LabelSelector{{},
                         {{std::move(key), LabelRequirement::Operator::kNotIn, std::move(values)}}};
  };
  const LabelSelector zone_a{{{"zone", "a"}}, {}};
  EXPECT_TRUE(selectors_can_overlap(zone_a, in("zone", {"a", "b"})));
  EXPECT_FALSE(selectors_can_overlap(zone_a, in("zone", {"b"})));
  EXPECT_FALSE(selectors_can_overlap(zone_a, not_in("zone", {"a"})));
  // NotIn also matches a node without the label.
  EXPECT_TRUE(selectors_can_overlap(not_in("zone", {"a"}), not_in("zone", {"b"})));
  EXPECT_TRUE(selectors_can_overlap(in("zone", {"a", "b"}), not_in("zone", {"a"})));
  // A selector that matches nothing overlaps nothing, not even everything.
  LabelSelector never = in("zone", {"a"});
  never.match_expressions.push_back({"zone", LabelRequirement::Operator::kDoesNotExist, {}});
  EXPECT_FALSE(selectors_can_overlap(never, LabelSelector{}));
  EXPECT_EQ(node_overlap({}, {LabelSelector{}}), NodeOverlap::kCertain);
  EXPECT_EQ(node_overlap({never}, {}), NodeOverlap::kNever);
  EXPECT_EQ(node_overlap({zone_a}, {}), NodeOverlap::kPossible);
}

}  // namespace
}  // namespace vipd::config
