// One row per validation rule: the input, the offending token (its position is the expected
// line:column), the field path and a part of the message. Every row also runs in IPv6 or
// dual-stack form where addresses are involved.
#include <gtest/gtest.h>

#include "config/load.hpp"
#include "config/tests/test_util.hpp"

namespace vipd::config {
namespace {

using testing::errors_of;
using testing::last_position_of;
using testing::position_of;

struct Rule {
  const char* name;
  InputFormat format;
  const char* text;
  const char* token;  // where the error must point
  const char* path;
  const char* message;  // a part of the message
};

class Rules : public ::testing::TestWithParam<Rule> {};

TEST_P(Rules, ReportsTheErrorAtItsPosition) {
  const auto& rule = GetParam();
  const auto r = check_text(rule.text, "in.yaml", rule.format);
  EXPECT_FALSE(r.valid()) << errors_of(r);
  const auto at = last_position_of(rule.text, rule.token);
  bool found = false;
  for (const auto& d : r.diagnostics) {
    if (d.severity != Severity::kError) continue;
    if (d.path == rule.path && d.message.find(rule.message) != std::string::npos) {
      found = true;
      EXPECT_EQ(d.file, "in.yaml");
      EXPECT_EQ(d.position.line, at.line) << d.to_string();
      EXPECT_EQ(d.position.column, at.column) << d.to_string();
    }
  }
  EXPECT_TRUE(found) << "want " << rule.path << ": ..." << rule.message << "...\ngot:\n"
                     << errors_of(r);
}

constexpr auto kMap = InputFormat::kConfigMap;
constexpr auto kRes = InputFormat::kResources;
constexpr auto kAlone = InputFormat::kStandalone;

const Rule kRules[] = {
    // --- syntax, types, unknown keys
    {"UnknownTopLevelKey", kMap, "adress-pools: []\n", "adress-pools", "adress-pools",
     "unknown field \"adress-pools\"; did you mean \"address-pools\"?"},
    {"UnknownPoolKeyCamelCase", kMap,
     "address-pools:\n- name: a\n  protocol: layer2\n  addresses: [192.0.2.0/24]\n  autoAssign: "
     "false\n",
     "autoAssign", "address-pools[0].autoAssign", "did you mean \"auto-assign\"?"},
    {"UnknownSpecKey", kRes,
     "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\nspec:\n  "
     "addresses: [2001:db8::/64]\n  autoassign: false\n",
     "autoassign", "IPAddressPool(p).spec.autoassign", "did you mean \"autoAssign\"?"},
    {"ExpectedBoolean", kMap,
     "address-pools:\n- name: a\n  protocol: layer2\n  addresses: [192.0.2.0/24]\n  auto-assign: "
     "\"false\"\n",
     "\"false\"", "address-pools[0].auto-assign", "expected true or false"},
    {"ExpectedList", kMap,
     "address-pools:\n- name: a\n  protocol: layer2\n  addresses: 192.0.2.0/24\n", "192.0.2.0/24",
     "address-pools[0].addresses", "expected a list"},
    // --- pools
    {"MissingPoolName", kMap, "address-pools:\n- protocol: layer2\n  addresses: [192.0.2.0/24]\n",
     "protocol", "address-pools[0]", "missing pool name"},
    {"MissingProtocol", kMap, "address-pools:\n- name: a\n  addresses: [2001:db8::/64]\n", "name",
     "address-pools[0]", "missing the protocol field"},
    {"UnknownProtocol", kMap,
     "address-pools:\n- name: a\n  protocol: l2\n  addresses: [2001:db8::/64]\n", "l2",
     "address-pools[0].protocol", "unknown protocol \"l2\""},
    {"PoolWithoutAddresses", kRes,
     "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\nspec:\n  "
     "addresses: []\n",
     "apiVersion", "IPAddressPool(p)", "has no addresses"},
    {"InvalidCidrV4", kMap,
     "address-pools:\n- name: a\n  protocol: layer2\n  addresses:\n  - 192.0.2.0/33\n",
     "192.0.2.0/33", "address-pools[0].addresses[0]", "invalid CIDR \"192.0.2.0/33\""},
    {"InvalidCidrV6", kMap,
     "address-pools:\n- name: a\n  protocol: layer2\n  addresses:\n  - 2001:db8::g/64\n",
     "2001:db8::g/64", "address-pools[0].addresses[0]", "invalid CIDR"},
    {"ReversedRangeV4", kMap,
     "address-pools:\n- name: a\n  protocol: layer2\n  addresses:\n  - 192.0.2.20-192.0.2.10\n",
     "192.0.2.20-", "address-pools[0].addresses[0]", "invalid IP range"},
    {"ReversedRangeV6", kRes,
     "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\nspec:\n  "
     "addresses:\n  - 2001:db8::20-2001:db8::10\n",
     "2001:db8::20-", "IPAddressPool(p).spec.addresses[0]", "invalid IP range"},
    {"MixedFamilyRange", kMap,
     "address-pools:\n- name: a\n  protocol: layer2\n  addresses:\n  - 192.0.2.1-2001:db8::1\n",
     "192.0.2.1-", "address-pools[0].addresses[0]", "invalid IP range"},
    {"OverlapAcrossPoolsV4", kMap,
     "address-pools:\n- name: a\n  protocol: layer2\n  addresses: [192.0.2.0/24]\n- name: b\n  "
     "protocol: bgp\n  addresses: [192.0.2.128/25]\n",
     "192.0.2.128/25", "address-pools[1].addresses[0]", "overlaps 192.0.2.0/24 of pool \"a\""},
    {"OverlapAcrossPoolsV6", kRes,
     "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: a}\nspec:\n  "
     "addresses: [192.0.2.0/24, 2001:db8::/64]\n---\n"
     "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: b}\nspec:\n  "
     "addresses: [198.51.100.0/24, 2001:db8::10-2001:db8::20]\n",
     "2001:db8::10-", "IPAddressPool(b).spec.addresses[1]", "overlaps 2001:db8::/64 of pool \"a\""},
    {"OverlapWithinPool", kMap,
     "address-pools:\n- name: a\n  protocol: layer2\n  addresses: [192.0.2.0/28, "
     "192.0.2.8-192.0.2.30]\n",
     "192.0.2.8-", "address-pools[0].addresses[1]", "overlaps 192.0.2.0/28"},
    {"DuplicatePoolName", kMap,
     "address-pools:\n- name: a\n  protocol: layer2\n  addresses: [192.0.2.0/24]\n- name: a\n  "
     "protocol: layer2\n  addresses: [2001:db8::/64]\n",
     "a\n  protocol: layer2\n  addresses: [2001", "address-pools[1].name",
     "duplicate definition of pool \"a\""},
    // --- BGP advertisements
    {"AggregationShorterThanPoolV4", kMap,
     "address-pools:\n- name: a\n  protocol: bgp\n  addresses: [192.0.2.0/28]\n  "
     "bgp-advertisements:\n  - aggregation-length: 24\n",
     "24", "address-pools[0].bgp-advertisements[0].aggregation-length",
     "aggregation length 24 is shorter than prefix /28 of 192.0.2.0/28"},
    {"AggregationShorterThanPoolV6DualStack", kMap,
     "address-pools:\n- name: a\n  protocol: bgp\n  addresses: [192.0.2.0/28, 2001:db8::/120]\n  "
     "bgp-advertisements:\n  - aggregation-length: 28\n    aggregation-length-v6: 64\n",
     "64", "address-pools[0].bgp-advertisements[0].aggregation-length-v6",
     "aggregation length 64 is shorter than prefix /120 of 2001:db8::/120"},
    {"AggregationOfRangeUsesItsWidestCidr", kRes,
     "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: a}\nspec:\n  "
     "addresses: [192.0.2.0-192.0.2.127]\n---\n"
     "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: ad}\nspec:\n  "
     "aggregationLength: 24\n  ipAddressPools: [a]\n",
     "24\n", "BGPAdvertisement(ad).spec.aggregationLength", "shorter than prefix /25"},
    {"AggregationTooLongV4", kMap,
     "address-pools:\n- name: a\n  protocol: bgp\n  addresses: [192.0.2.0/24]\n  "
     "bgp-advertisements:\n  - aggregation-length: 33\n",
     "33", "address-pools[0].bgp-advertisements[0].aggregation-length", "for IPv4: must be 0..32"},
    {"AggregationTooLongV6", kRes,
     "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: ad}\nspec:\n  "
     "aggregationLengthV6: 129\n",
     "129", "BGPAdvertisement(ad).spec.aggregationLengthV6", "for IPv6: must be 0..128"},
    {"AdvertisementsOnLayer2Pool", kMap,
     "address-pools:\n- name: a\n  protocol: layer2\n  addresses: [2001:db8::/64]\n  "
     "bgp-advertisements:\n  - localpref: 100\n",
     "- localpref", "address-pools[0].bgp-advertisements", "a layer2 address pool cannot have"},
    {"ServiceSelectorsExcludeAggregation", kRes,
     "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: ad}\nspec:\n  "
     "aggregationLength: 24\n  serviceSelectors:\n  - matchLabels: {app: web}\n",
     "24", "BGPAdvertisement(ad).spec.aggregationLength", "mutually exclusive"},
    // --- communities
    {"UnknownCommunityAlias", kMap,
     "bgp-communities:\n  no-export: 65535:65281\naddress-pools:\n- name: a\n  protocol: bgp\n  "
     "addresses: [192.0.2.0/24]\n  bgp-advertisements:\n  - communities: [no-exprot]\n",
     "no-exprot", "address-pools[0].bgp-advertisements[0].communities[0]",
     "neither a value (NUMBER:NUMBER, large:N:N:N) nor a defined alias; did you mean "
     "\"no-export\"?"},
    {"CommunityOutOfRange", kMap,
     "address-pools:\n- name: a\n  protocol: bgp\n  addresses: [2001:db8::/64]\n  "
     "bgp-advertisements:\n  - communities: [\"70000:1\"]\n",
     "\"70000:1\"", "address-pools[0].bgp-advertisements[0].communities[0]",
     "each part must be 0..65535"},
    {"BadCommunityAliasValue", kMap, "bgp-communities:\n  mine: 1:2:3\n", "1:2:3",
     "bgp-communities.mine", "invalid community \"1:2:3\""},
    {"BadLargeCommunity", kRes,
     "apiVersion: metallb.io/v1beta1\nkind: Community\nmetadata: {name: c}\nspec:\n  "
     "communities:\n  - name: big\n    value: large:1:2\n",
     "large:1:2", "Community(c).spec.communities[0].value", "want large:NUMBER:NUMBER:NUMBER"},
    {"DuplicateCommunityAlias", kRes,
     "apiVersion: metallb.io/v1beta1\nkind: Community\nmetadata: {name: c}\nspec:\n  "
     "communities:\n  - name: x\n    value: 1:1\n  - name: x\n    value: 1:2\n",
     "x\n    value: 1:2", "Community(c).spec.communities[1].name",
     "duplicate definition of community"},
    // --- peers
    {"HoldTimeBelowThreeSeconds", kMap,
     "peers:\n- peer-address: 2001:db8::1\n  peer-asn: 64500\n  my-asn: 64501\n  hold-time: 2s\n",
     "2s", "peers[0].hold-time", "must be 0 or at least 3s"},
    {"KeepaliveLongerThanHold", kRes,
     "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r}\nspec:\n  myASN: 64500\n  "
     "peerASN: 64501\n  peerAddress: 192.0.2.1\n  holdTime: 9s\n  keepaliveTime: 10s\n",
     "10s", "BGPPeer(r).spec.keepaliveTime", "is longer than the hold time 9s"},
    {"BadDuration", kMap,
     "peers:\n- peer-address: 192.0.2.1\n  peer-asn: 64500\n  my-asn: 64501\n  hold-time: 90\n",
     "90", "peers[0].hold-time", "missing unit in duration"},
    {"EbgpMultihopOnIbgp", kMap,
     "peers:\n- peer-address: 2001:db8::1\n  peer-asn: 64500\n  my-asn: 64500\n  ebgp-multihop: "
     "true\n",
     "true", "peers[0].ebgp-multihop", "eBGP multihop set on an iBGP peer"},
    {"MissingLocalAsn", kMap, "peers:\n- peer-address: 192.0.2.1\n  peer-asn: 64500\n",
     "peer-address", "peers[0]", "missing local ASN"},
    {"MissingPeerAsn", kRes,
     "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r}\nspec:\n  myASN: 64500\n  "
     "peerAddress: 2001:db8::1\n",
     "myASN", "BGPPeer(r).spec", "missing peer ASN"},
    {"AsnBeyondFourOctets", kMap,
     "peers:\n- peer-address: 192.0.2.1\n  peer-asn: 4294967296\n  my-asn: 64500\n", "4294967296",
     "peers[0].peer-asn", "out of range 0..4294967295"},
    {"InvalidPeerAddress", kMap,
     "peers:\n- peer-address: 192.0.2.300\n  peer-asn: 64500\n  my-asn: 64501\n", "192.0.2.300",
     "peers[0].peer-address", "invalid IP address \"192.0.2.300\""},
    {"RouterIdMustBeIpv4", kMap,
     "peers:\n- peer-address: 2001:db8::1\n  peer-asn: 64500\n  my-asn: 64501\n  router-id: "
     "2001:db8::2\n",
     "2001:db8::2", "peers[0].router-id", "a BGP router ID is an IPv4 address"},
    {"PasswordAndSecret", kRes,
     "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r}\nspec:\n  myASN: 64500\n  "
     "peerASN: 64501\n  peerAddress: 192.0.2.1\n  password: x\n  passwordSecret: {name: s}\n",
     "{name: s}", "BGPPeer(r).spec.passwordSecret", "both a password and a password secret"},
    {"DuplicatePeer", kMap,
     "peers:\n- peer-address: 2001:db8::1\n  peer-asn: 64500\n  my-asn: 64501\n- peer-address: "
     "2001:db8::1\n  peer-asn: 64500\n  my-asn: 64501\n",
     "peer-address", "peers[1]", "duplicate peer: same session as peers[0]"},
    {"DuplicatePeerName", kRes,
     "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r}\nspec: {myASN: 64500, "
     "peerASN: 64501, peerAddress: 192.0.2.1}\n---\n"
     "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r}\nspec: {myASN: 64500, "
     "peerASN: 64501, peerAddress: 2001:db8::1}\n",
     "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r}\nspec: {myASN: 64500, "
     "peerASN: 64501, peerAddress: 2001",
     "BGPPeer(r)", "duplicate definition of peer \"r\""},
    {"V1beta1PeerHasNoVrf", kRes,
     "apiVersion: metallb.io/v1beta1\nkind: BGPPeer\nmetadata: {name: r}\nspec:\n  myASN: 64500\n  "
     "peerASN: 64501\n  peerAddress: 192.0.2.1\n  vrf: red\n",
     "vrf", "BGPPeer(r).spec.vrf", "unknown field \"vrf\""},
    // --- BFD
    {"BfdDetectMultiplierRange", kMap, "bfd-profiles:\n- name: b\n  detect-multiplier: 1\n", "1\n",
     "bfd-profiles[0].detect-multiplier", "invalid detect multiplier 1: must be in 2-255"},
    {"BfdReceiveIntervalRange", kRes,
     "apiVersion: metallb.io/v1beta1\nkind: BFDProfile\nmetadata: {name: b}\nspec:\n  "
     "receiveInterval: 5\n",
     "5\n", "BFDProfile(b).spec.receiveInterval", "must be in 10-60000"},
    {"BfdEchoIntervalRange", kMap, "bfd-profiles:\n- name: b\n  echo-interval: 60001\n", "60001",
     "bfd-profiles[0].echo-interval", "must be in 10-60000"},
    {"BfdMinimumTtlRange", kMap, "bfd-profiles:\n- name: b\n  minimum-ttl: 255\n", "255",
     "bfd-profiles[0].minimum-ttl", "invalid minimum TTL 255: must be in 1-254"},
    {"BfdProfileMissing", kMap,
     "bfd-profiles:\n- name: fast\npeers:\n- peer-address: 192.0.2.1\n  peer-asn: 64500\n  my-asn: "
     "64501\n  bfd-profile: fsat\n",
     "fsat", "peers[0].bfd-profile", "BFD profile \"fsat\" does not exist; did you mean \"fast\"?"},
    {"DuplicateBfdProfile", kMap, "bfd-profiles:\n- name: b\n- name: b\n", "b\n",
     "bfd-profiles[1].name", "duplicate definition of BFD profile"},
    // --- selectors
    {"SelectorBadOperator", kMap,
     "peers:\n- peer-address: 192.0.2.1\n  peer-asn: 64500\n  my-asn: 64501\n  node-selectors:\n  "
     "- match-expressions:\n    - key: zone\n      operator: in\n      values: [a]\n",
     "in\n", "peers[0].node-selectors[0].match-expressions[0].operator",
     "must be In, NotIn, Exists or DoesNotExist; did you mean \"In\"?"},
    {"SelectorInWithoutValues", kRes,
     "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l}\nspec:\n  "
     "nodeSelectors:\n  - matchExpressions:\n    - key: zone\n      operator: NotIn\n",
     "key: zone", "L2Advertisement(l).spec.nodeSelectors[0].matchExpressions[0]",
     "operator NotIn needs at least one value"},
    {"SelectorExistsWithValues", kRes,
     "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l}\nspec:\n  "
     "nodeSelectors:\n  - matchExpressions:\n    - key: zone\n      operator: Exists\n      "
     "values: [a]\n",
     "[a]", "L2Advertisement(l).spec.nodeSelectors[0].matchExpressions[0].values",
     "operator Exists takes no values"},
    {"SelectorBadLabelKey", kMap,
     "peers:\n- peer-address: 192.0.2.1\n  peer-asn: 64500\n  my-asn: 64501\n  node-selectors:\n  "
     "- match-labels:\n      -bad: x\n",
     "-bad", "peers[0].node-selectors[0].match-labels.-bad", "invalid label key"},
    {"SelectorBadLabelValue", kRes,
     "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\nspec:\n  "
     "addresses: [2001:db8::/64]\n  serviceAllocation:\n    serviceSelectors:\n    - matchLabels: "
     "{app: \"a b\"}\n",
     "\"a b\"", "IPAddressPool(p).spec.serviceAllocation.serviceSelectors[0].matchLabels.app",
     "invalid label value"},
    {"DuplicateNamespaceInServiceAllocation", kRes,
     "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\nspec:\n  "
     "addresses: [2001:db8::/64]\n  serviceAllocation:\n    namespaces: [a, a]\n",
     "a]", "IPAddressPool(p).spec.serviceAllocation.namespaces[1]", "duplicate namespace \"a\""},
    // --- resources
    {"UnknownMetallbKind", kRes,
     "apiVersion: metallb.io/v1beta1\nkind: IPPool\nmetadata: {name: p}\n", "IPPool",
     "documents[0].kind", "unknown MetalLB kind \"IPPool\""},
    {"UnsupportedVersion", kRes,
     "apiVersion: metallb.io/v1beta2\nkind: IPAddressPool\nmetadata: {name: p}\nspec: {addresses: "
     "[192.0.2.0/24]}\n",
     "metallb.io/v1beta2", "documents[0].apiVersion", "unsupported apiVersion"},
    {"MissingName", kRes, "apiVersion: metallb.io/v1beta1\nkind: BFDProfile\nmetadata: {}\n", "{}",
     "BFDProfile(#0).metadata", "missing required field \"name\""},
    {"MissingSpec", kRes,
     "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\n", "apiVersion",
     "IPAddressPool(p)", "missing required field \"spec\""},
    {"DuplicateAdvertisementName", kRes,
     "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l}\n---\napiVersion: "
     "metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l}\n",
     "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l}\n",
     "L2Advertisement(l)", "duplicate definition of L2Advertisement"},
    {"PeerPortCrdLimit", kRes,
     "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r}\nspec: {myASN: 64500, "
     "peerASN: 64501, peerAddress: 192.0.2.1, peerPort: 20000}\n",
     "20000", "BGPPeer(r).spec.peerPort", "out of range 1..16384"},
    // --- standalone
    {"StandaloneDuplicateService", kAlone,
     "address-pools:\n- {name: p, protocol: layer2, addresses: [192.0.2.0/24, "
     "2001:db8::/64]}\nservices:\n- name: web\n- name: web\n",
     "web\n", "services[1].name", "duplicate service \"default/web\""},
    {"StandaloneAddressOutsidePools", kAlone,
     "address-pools:\n- {name: p, protocol: layer2, addresses: [192.0.2.0/24]}\nservices:\n- name: "
     "web\n  addresses: [2001:db8::10]\n",
     "2001:db8::10", "services[0].addresses[0]", "2001:db8::10 is not inside any pool"},
    {"StandaloneUnknownPool", kAlone,
     "address-pools:\n- {name: public, protocol: layer2, addresses: [192.0.2.0/24]}\nservices:\n- "
     "name: web\n  pool: pubic\n",
     "pubic", "services[0].pool", "pool \"pubic\" does not exist; did you mean \"public\"?"},
    {"StandaloneAddressInOtherPool", kAlone,
     "address-pools:\n- {name: a, protocol: layer2, addresses: [2001:db8:a::/64]}\n- {name: b, "
     "protocol: layer2, addresses: [2001:db8:b::/64]}\nservices:\n- name: web\n  pool: a\n  "
     "addresses: [2001:db8:b::1]\n",
     "2001:db8:b::1", "services[0].addresses[0]", "is in pool \"b\", not in pool \"a\""},
    {"StandaloneOneAddressPerFamily", kAlone,
     "address-pools:\n- {name: p, protocol: layer2, addresses: [192.0.2.0/24, "
     "2001:db8::/64]}\nservices:\n- name: web\n  addresses: [192.0.2.1, 2001:db8::1, 192.0.2.2]\n",
     "192.0.2.2", "services[0].addresses[2]", "more than one IPv4 address"},
    {"StandaloneLocalNeedsHealthCheck", kAlone,
     "address-pools:\n- {name: p, protocol: layer2, addresses: [192.0.2.0/24]}\nservices:\n- name: "
     "web\n  traffic-policy: Local\n",
     "Local", "services[0].traffic-policy", "needs a health-check"},
    {"StandaloneBadHealthCheck", kAlone,
     "address-pools:\n- {name: p, protocol: layer2, addresses: [192.0.2.0/24]}\nservices:\n- name: "
     "web\n  health-check: {tcp: \"2001:db8::1:80\"}\n",
     "\"2001:db8::1:80\"", "services[0].health-check.tcp",
     "want ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)"},
    {"StandaloneHealthCheckTimeout", kAlone,
     "address-pools:\n- {name: p, protocol: layer2, addresses: [192.0.2.0/24]}\nservices:\n- name: "
     "web\n  health-check: {tcp: \"[2001:db8::1]:80\", interval: 1s, timeout: 2s}\n",
     "2s", "services[0].health-check.timeout", "is longer than the interval"},
    {"StandaloneSharingNeedsKey", kAlone,
     "address-pools:\n- {name: p, protocol: layer2, addresses: [2001:db8::/64]}\nservices:\n- "
     "name: web\n  addresses: [2001:db8::5]\n- name: dns\n  addresses: [2001:db8::5]\n",
     "2001:db8::5]\n", "services[1].addresses[0]", "without the same sharing-key"},
    {"StandaloneSharingPortClash", kAlone,
     "address-pools:\n- {name: p, protocol: layer2, addresses: [192.0.2.0/24]}\nservices:\n- name: "
     "web\n  addresses: [192.0.2.5]\n  sharing-key: k\n  ports: [{port: 80}]\n- name: web2\n  "
     "addresses: [192.0.2.5]\n  sharing-key: k\n  ports: [{port: 80, protocol: TCP}]\n",
     "192.0.2.5]\n  sharing-key: k\n  ports: [{port: 80, protocol", "services[1].addresses[0]",
     "uses the same port and protocol"},
    {"StandaloneBuggyAddress", kAlone,
     "address-pools:\n- {name: p, protocol: layer2, addresses: [192.0.2.0/24], avoid-buggy-ips: "
     "true}\nservices:\n- name: web\n  addresses: [192.0.2.255]\n",
     "192.0.2.255", "services[0].addresses[0]", "ends in .0 or .255"},
    {"StandaloneUnknownServiceKey", kAlone, "services:\n- name: web\n  sharing_key: k\n",
     "sharing_key", "services[0].sharing_key", "did you mean \"sharing-key\"?"},
};

INSTANTIATE_TEST_SUITE_P(Config, Rules, ::testing::ValuesIn(kRules),
                         [](const auto& row) { return std::string(row.param.name); });

TEST(Rules, ReportsEveryErrorNotJustTheFirst) {
  const std::string text =
      "address-pools:\n- name: a\n  protocol: bgp\n  addresses: [192.0.2.0/33, 2001:db8::/129]\n"
      "peers:\n- peer-address: 192.0.2.300\n  peer-asn: 64500\n  my-asn: 64501\n  hold-time: 1s\n";
  const auto r = check_text(text, "in.yaml", InputFormat::kConfigMap);
  ASSERT_FALSE(r.valid());
  // Parse errors are all reported; checks across objects wait for a model without them.
  ASSERT_EQ(r.error_count(), 3u) << errors_of(r);
  EXPECT_EQ(r.diagnostics[0].position, position_of(text, "192.0.2.0/33"));
  EXPECT_EQ(r.diagnostics[1].position, position_of(text, "2001:db8::/129"));
  EXPECT_EQ(r.diagnostics[2].position, position_of(text, "192.0.2.300"));
}

TEST(Rules, ReportsEveryCrossObjectError) {
  const std::string text =
      "address-pools:\n- name: a\n  protocol: layer2\n  addresses: [192.0.2.0/24]\n"
      "- name: a\n  protocol: layer2\n  addresses: [192.0.2.0/25]\n"
      "peers:\n- peer-address: 192.0.2.1\n  peer-asn: 64500\n  my-asn: 64501\n  hold-time: 1s\n";
  const auto r = check_text(text, "in.yaml", InputFormat::kConfigMap);
  EXPECT_EQ(r.error_count(), 3u) << errors_of(r);  // duplicate name, overlap, hold time
}

TEST(Rules, AcceptsFourOctetAsnsIpv6PeersAndLargeCommunities) {
  const std::string text =
      "peers:\n- peer-address: 2001:db8::1\n  peer-asn: 4200000000\n  my-asn: 65551\n"
      "  source-address: 2001:db8::2\n  hold-time: 0s\n"
      "address-pools:\n- name: dual\n  protocol: bgp\n  addresses: [203.0.113.0/24, "
      "2001:db8:1::/64]\n"
      "  bgp-advertisements:\n  - aggregation-length: 32\n    aggregation-length-v6: 128\n"
      "    communities: [large:65551:1:2, 64496:100]\n";
  const auto r = check_text(text, "in.yaml", InputFormat::kConfigMap);
  ASSERT_TRUE(r.valid()) << errors_of(r);
  EXPECT_EQ(r.config->peers[0].peer_asn, 4200000000u);
  EXPECT_EQ(r.config->pools[0].size(Family::kV6), u128{1} << 64);
  EXPECT_EQ(r.config->resolve_community("large:65551:1:2")->kind, Community::Kind::kLarge);
}

TEST(Rules, HostBitsAreMaskedWithAWarning) {
  const std::string text =
      "address-pools:\n- name: a\n  protocol: layer2\n  addresses: [192.0.2.7/24]\n";
  const auto r = check_text(text, "in.yaml", InputFormat::kConfigMap);
  ASSERT_TRUE(r.valid()) << errors_of(r);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].severity, Severity::kWarning);
  EXPECT_EQ(r.diagnostics[0].position, position_of(text, "192.0.2.7/24"));
  EXPECT_EQ(r.config->pools[0].addresses[0].to_string(), "192.0.2.0/24");
}

TEST(Rules, PositionsInsideAConfigMapPointIntoTheOuterFile) {
  const std::string text =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config\ndata:\n  config: |\n"
      "    address-pools:\n    - name: a\n      protocol: layer3\n      addresses: "
      "[192.0.2.0/24]\n";
  const auto r = check_text(text, "cm.yaml");
  ASSERT_EQ(r.error_count(), 1u) << errors_of(r);
  EXPECT_EQ(r.diagnostics[0].position, position_of(text, "layer3"));
  EXPECT_EQ(r.diagnostics[0].path, "address-pools[0].protocol");
}

TEST(Rules, UnrelatedDocumentsAreNotedAndIgnored) {
  const std::string text =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {whatever: 1}\n---\n"
      "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\nspec: {addresses: "
      "[2001:db8::/64]}\n";
  const auto r = check_text(text, "r.yaml");
  ASSERT_TRUE(r.valid()) << errors_of(r);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].severity, Severity::kNote);
  EXPECT_NE(r.diagnostics[0].message.find("ignored Deployment"), std::string::npos);
  EXPECT_EQ(r.format, SourceFormat::kResources);
}

TEST(Rules, ConfigMapAndResourcesDoNotMix) {
  const std::string text =
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: config}\ndata:\n  config: |\n    peers: "
      "[]\n---\n"
      "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\nspec: {addresses: "
      "[2001:db8::/64]}\n";
  const auto r = check_text(text, "r.yaml");
  EXPECT_FALSE(r.valid());
  EXPECT_NE(errors_of(r).find("either a MetalLB ConfigMap or MetalLB resources"),
            std::string::npos);
}

TEST(Rules, LoadTextListsEveryErrorInOneMessage) {
  const auto r =
      load_text("address-pools:\n- name: a\n- name: b\n", "x.yaml", InputFormat::kConfigMap);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(),
            "x.yaml:2:3: address-pools[0]: pool has no addresses\n"
            "x.yaml:2:3: address-pools[0]: address pool is missing the protocol field\n"
            "x.yaml:3:3: address-pools[1]: pool has no addresses\n"
            "x.yaml:3:3: address-pools[1]: address pool is missing the protocol field");
}

TEST(Rules, YamlSyntaxErrorsHaveAPosition) {
  const auto r = check_text("address-pools:\n- name: [a\n", "in.yaml", InputFormat::kConfigMap);
  ASSERT_EQ(r.error_count(), 1u);
  EXPECT_EQ(r.diagnostics[0].to_string(),
            "in.yaml:3:1: YAML syntax error: end of sequence flow not found");
  const auto inner = check_text("kind: ConfigMap\ndata:\n  config: |\n    peers: [\n", "cm.yaml");
  ASSERT_EQ(inner.error_count(), 1u);
  EXPECT_EQ(inner.diagnostics[0].position.line, 5);
}

}  // namespace
}  // namespace vipd::config
