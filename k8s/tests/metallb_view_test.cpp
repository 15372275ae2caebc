// MetalLB resources: the document each view keeps is what the configuration front end reads.
// Every MetalLB sample, decoded from JSON as the API server serves it, gives the same
// configuration model as the sample's own YAML file; server-added fields never reach the
// document; the vipd.io/ annotations do.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "config/load.hpp"
#include "k8s/objects.hpp"
#include "k8s/tests/objects_test_util.hpp"

namespace vipd::k8s {
namespace {

using testing::error_of;
using testing::load;
using testing::load_lines;
using testing::parse;
using testing::set;

std::string diagnostics(const config::CheckResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics) out += d.to_string() + "\n";
  return out;
}

Result<MetallbObject> decode_by_kind(const boost::json::value& v) {
  const auto kind = parse_kind(v.at("kind").as_string());
  EXPECT_TRUE(kind && is_metallb(*kind)) << v.at("kind");
  return decode_metallb_object(*kind, v);
}

const char* const kSamples[] = {
    "bgpadv_selectspool_by_label",
    "bgpadv_selectspool_by_list",
    "bgpadvertisement_communities_localpref",
    "bgpadvertisement_community_alias",
    "bgpadvertisement_with_node_selector",
    "bgppeer_simple",
    "bgppeer_with_bfdprofile",
    "bgppeer_with_session_options",
    "bgppeer_with_vrf",
    "bgppeer_withsecret",
    "deployment_bgp",
    "deployment_l2",
    "ipaddresspool_simple",
    "ipaddresspool_with_selector",
    "l2adv_selects_pools_by_list",
    "l2adv_with_node_selector",
    "simple_pool_adv_bgp",
    "simple_pool_adv_l2",
};

class MetallbSample : public ::testing::TestWithParam<const char*> {};

TEST_P(MetallbSample, DocumentsReadAsTheYamlFileReads) {
  const std::string name = GetParam();
  const auto objects = load_lines("metallb/" + name + ".jsonl");
  ASSERT_FALSE(objects.empty());
  std::string joined;
  for (const auto& v : objects) {
    const auto r = decode_by_kind(v);
    ASSERT_TRUE(r) << error_of(r);
    const MetallbObject& o = r.value();
    EXPECT_EQ(o.api_version, v.at("apiVersion").as_string());
    EXPECT_EQ(o.meta.name, v.at("metadata").at("name").as_string());
    EXPECT_EQ(o.meta.namespace_, "metallb-system");
    // The samples carry nothing but apiVersion, kind, metadata (name, namespace) and spec, so
    // the document is the object itself.
    EXPECT_EQ(parse(o.document), v) << o.document;
    // Each document alone is valid MetalLB configuration, unless it names another document
    // of its sample (a Community alias, a BFD profile).
    const auto alone = config::check_text(o.document, "x", config::InputFormat::kResources,
                                          config::Purpose::kTranslate);
    const bool refers =
        (name == "bgpadvertisement_community_alias" && o.kind == Kind::kBgpAdvertisement) ||
        (name == "bgppeer_with_bfdprofile" && o.kind == Kind::kBgpPeer);
    EXPECT_EQ(alone.valid(), !refers) << o.document << "\n" << diagnostics(alone);
    if (refers) {
      EXPECT_NE(diagnostics(alone).find(o.kind == Kind::kBgpPeer
                                            ? "BFD profile \"testbfdprofile\" does not exist"
                                            : "nor a defined alias"),
                std::string::npos)
          << diagnostics(alone);
    }
    joined += o.document + "\n---\n";
  }
  const std::string yaml =
      std::string(VIPD_CONFIG_TEST_DATA) + "/metallb/configsamples/" + name + ".yaml";
  ASSERT_TRUE(std::filesystem::exists(yaml)) << yaml;
  const auto from_yaml =
      config::check_file(yaml, config::InputFormat::kAuto, config::Purpose::kTranslate);
  const auto from_json =
      config::check_text(joined, "x", config::InputFormat::kResources, config::Purpose::kTranslate);
  ASSERT_TRUE(from_yaml.valid()) << diagnostics(from_yaml);
  ASSERT_TRUE(from_json.valid()) << joined << "\n" << diagnostics(from_json);
  EXPECT_EQ(*from_json.config, *from_yaml.config) << joined;
  // Run by vipd, both are refused for the same settings (BFD, VRF), and only those.
  const auto run_yaml = config::check_file(yaml);
  const auto run_json = config::check_text(joined, "x", config::InputFormat::kResources);
  EXPECT_EQ(run_json.valid(), run_yaml.valid()) << diagnostics(run_json);
  EXPECT_EQ(run_json.error_count(), run_yaml.error_count()) << diagnostics(run_json);
}

INSTANTIATE_TEST_SUITE_P(Configsamples, MetallbSample, ::testing::ValuesIn(kSamples),
                         [](const auto& sample) { return std::string(sample.param); });

TEST(MetallbView, ServerFieldsNeverReachTheDocument) {
  const auto r = decode_metallb_object(Kind::kIpAddressPool, load("ipaddresspool-from-api.json"));
  ASSERT_TRUE(r) << error_of(r);
  const MetallbObject& o = r.value();
  EXPECT_EQ(o.kind, Kind::kIpAddressPool);
  EXPECT_EQ(o.api_version, "metallb.io/v1beta1");
  EXPECT_EQ(o.meta.resource_version, "48219");
  EXPECT_EQ(o.meta.generation, 2);
  EXPECT_EQ(o.meta.uid, "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d");
  EXPECT_TRUE(o.meta.annotations.empty());  // last-applied-configuration dropped
  EXPECT_EQ(o.document,
            R"({"apiVersion":"metallb.io/v1beta1","kind":"IPAddressPool","metadata":)"
            R"({"name":"public","namespace":"metallb-system","labels":{"zone":"dmz"}},)"
            R"("spec":{"addresses":["203.0.113.0/24","2001:db8:cafe::/120"],"autoAssign":true,)"
            R"("avoidBuggyIPs":false}})");
  const auto check = config::check_text(o.document, "x", config::InputFormat::kResources);
  ASSERT_TRUE(check.valid()) << diagnostics(check);
  ASSERT_EQ(check.config->pools.size(), 1u);
  EXPECT_EQ(check.config->pools[0].name, "public");
  EXPECT_EQ(check.config->pools[0].labels, (Labels{{"zone", "dmz"}}));
}

TEST(MetallbView, VipdAnnotationsAreKept) {
  const auto r = decode_metallb_object(Kind::kBgpPeer, load("bgppeer-from-api.json"));
  ASSERT_TRUE(r) << error_of(r);
  EXPECT_EQ(r.value().api_version, "metallb.io/v1beta2");
  EXPECT_EQ(r.value().meta.annotations, (Labels{{"vipd.io/passive", "true"}}));
  EXPECT_EQ(
      r.value().document,
      R"({"apiVersion":"metallb.io/v1beta2","kind":"BGPPeer","metadata":)"
      R"({"name":"tor-1","namespace":"metallb-system","annotations":{"vipd.io/passive":"true"}},)"
      R"("spec":{"myASN":64501,"peerASN":64500,"peerAddress":"192.0.2.254","holdTime":"90s",)"
      R"("nodeSelectors":[{"matchLabels":{"kubernetes.io/hostname":"node-a"}}]}})");
  const auto check = config::check_text(r.value().document, "x", config::InputFormat::kResources);
  ASSERT_TRUE(check.valid()) << diagnostics(check);
  ASSERT_EQ(check.config->peers.size(), 1u);
  EXPECT_TRUE(check.config->peers[0].passive);
  EXPECT_EQ(check.config->peers[0].node_selectors.size(), 1u);

  // A misspelt vipd.io/ annotation reaches the front end, which names it.
  auto v = load("bgppeer-from-api.json");
  set(v, "/metadata/annotations", "vipd.io/pasive", "true");
  const auto typo = decode_metallb_object(Kind::kBgpPeer, v);
  ASSERT_TRUE(typo) << error_of(typo);
  const auto refused =
      config::check_text(typo.value().document, "x", config::InputFormat::kResources);
  EXPECT_FALSE(refused.valid());
  EXPECT_NE(diagnostics(refused).find("unknown annotation \"vipd.io/pasive\""), std::string::npos)
      << diagnostics(refused);
}

// JSON text is YAML: escapes and non-ASCII text in the document read back unchanged, and a
// quoted "no" stays a string.
TEST(MetallbView, StringsSurviveTheYamlReader) {
  const std::string tricky = "a \"quoted\" \\ value: #not-a-comment, {x} [y] & *z \u00e9 \t end";
  auto v = parse(R"({"apiVersion":"metallb.io/v1beta2","kind":"BGPPeer","metadata":{"name":"p",)"
                 R"("labels":{"yes":"no"}},"spec":{"myASN":64501,"peerASN":64500,)"
                 R"("peerAddress":"192.0.2.254"}})");
  set(v, "/spec", "password", boost::json::value(tricky));
  const auto r = decode_metallb_object(Kind::kBgpPeer, v);
  ASSERT_TRUE(r) << error_of(r);
  const auto check = config::check_text(r.value().document, "x", config::InputFormat::kResources,
                                        config::Purpose::kTranslate);
  ASSERT_TRUE(check.valid()) << r.value().document << "\n" << diagnostics(check);
  ASSERT_EQ(check.config->peers.size(), 1u);
  EXPECT_EQ(check.config->peers[0].password, tricky);
}

TEST(MetallbView, ErrorsNameThePath) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"kind":"IPAddressPool","metadata":{"name":"p"}})", "apiVersion: missing"},
      {R"({"apiVersion":"metallb.io/v1beta1","metadata":{"name":"p"}})", "kind: missing"},
      {R"({"apiVersion":"metallb.io/v1","kind":"IPAddressPool","metadata":{"name":"p"}})",
       "apiVersion: unsupported apiVersion for IPAddressPool (use metallb.io/v1beta1 or v1beta2)"},
      {R"({"apiVersion":"metallb.io/v1beta1","kind":"BGPPeer","metadata":{"name":"p"}})",
       "kind: expected \"IPAddressPool\", got \"BGPPeer\""},
      {R"({"apiVersion":"metallb.io/v1beta1","kind":"IPAddressPool","metadata":{"name":"p"},"spec":[]})",
       "spec: expected an object, got an array"},
      {R"({"apiVersion":"metallb.io/v1beta1","kind":"IPAddressPool","metadata":{"name":"p","annotations":{"vipd.io/passive":true}}})",
       "metadata.annotations.vipd.io/passive: expected a string, got a boolean"},
      {R"({"apiVersion":"metallb.io/v1beta1","kind":"IPAddressPool","metadata":{"labels":{}}})",
       "metadata.name: missing"},
  };
  for (const auto& [json, error] : cases) {
    EXPECT_EQ(error_of(decode_metallb_object(Kind::kIpAddressPool, parse(json))), error) << json;
  }
  // No spec: the front end decides (an empty BGPAdvertisement is valid, a pool is not).
  const auto empty = decode_metallb_object(
      Kind::kBgpAdvertisement,
      parse(
          R"({"apiVersion":"metallb.io/v1beta1","kind":"BGPAdvertisement","metadata":{"name":"e"},"status":{}})"));
  ASSERT_TRUE(empty) << error_of(empty);
  EXPECT_EQ(
      empty.value().document,
      R"({"apiVersion":"metallb.io/v1beta1","kind":"BGPAdvertisement","metadata":{"name":"e"}})");
}

}  // namespace
}  // namespace vipd::k8s
