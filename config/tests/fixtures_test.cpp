// MetalLB's own files: every configuration sample and ConfigMap passes or fails exactly as
// MetalLB decides (Purpose::kTranslate), vipd refuses to run exactly the settings it does not
// implement yet (Purpose::kRun), and converting each ConfigMap gives the same model as MetalLB's
// converter.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "config/convert.hpp"
#include "config/load.hpp"
#include "config/tests/test_util.hpp"

namespace vipd::config {
namespace {

using testing::errors_of;

const std::string kData = VIPD_CONFIG_TEST_DATA "/metallb/";

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Whether every error of a check is a refusal of a setting vipd does not implement yet.
bool only_refusals(const CheckResult& r) {
  return std::all_of(r.diagnostics.begin(), r.diagnostics.end(), [](const Diagnostic& d) {
    return d.severity != Severity::kError || d.message.find("not supported") != std::string::npos;
  });
}

// A BFD profile with echo mode: what vipd refuses of BFD.
bool uses_refused_bfd(const Config& c) {
  return std::any_of(c.bfd_profiles.begin(), c.bfd_profiles.end(),
                     [](const BfdProfile& b) { return b.echo_mode; });
}

struct Verdict {
  const char* file;
  bool valid;
  const char* error;         // for invalid files: the one error MetalLB also reports
  std::size_t refusals = 0;  // for valid files: the settings vipd refuses to run
};

class Fixture : public ::testing::TestWithParam<Verdict> {};

TEST_P(Fixture, VerdictMatchesMetallb) {
  const auto& v = GetParam();
  const auto r = check_file(kData + v.file, InputFormat::kAuto, Purpose::kTranslate);
  EXPECT_EQ(r.valid(), v.valid) << errors_of(r);
  if (!v.valid) {
    ASSERT_EQ(r.error_count(), 1u) << errors_of(r);
    EXPECT_NE(r.diagnostics.front().to_string().find(v.error), std::string::npos) << errors_of(r);
  }
  // To run it, vipd adds one error per setting it does not implement, and nothing else.
  const auto run = check_file(kData + v.file);
  EXPECT_EQ(run.valid(), v.valid && v.refusals == 0) << errors_of(run);
  EXPECT_EQ(run.error_count(), r.error_count() + v.refusals) << errors_of(run);
  EXPECT_TRUE(v.refusals == 0 || only_refusals(run)) << errors_of(run);
}

const Verdict kVerdicts[] = {
    // MetalLB v0.12.1 reads the ConfigMap strictly; its own example spells bfd-profile in camel
    // case, which v0.12.1 rejects ("field bfdProfile not found").
    {"legacy-configmap/example-config.yaml", false,
     "example-config.yaml:39:7: peers[0].bfdProfile: unknown field \"bfdProfile\"; did you mean "
     "\"bfd-profile\"?"},
    {"legacy-configmap/example-layer2-config.yaml", true, ""},
    {"configsamples/bgpadv_selectspool_by_label.yaml", true, ""},
    {"configsamples/bgpadv_selectspool_by_list.yaml", true, ""},
    {"configsamples/bgpadvertisement_communities_localpref.yaml", true, ""},
    {"configsamples/bgpadvertisement_community_alias.yaml", true, ""},
    {"configsamples/bgpadvertisement_with_node_selector.yaml", true, ""},
    {"configsamples/bgppeer_simple.yaml", true, ""},
    {"configsamples/bgppeer_with_bfdprofile.yaml", true, ""},
    {"configsamples/bgppeer_with_session_options.yaml", true, ""},
    {"configsamples/bgppeer_with_vrf.yaml", true, "", 1},
    {"configsamples/bgppeer_withsecret.yaml", true, ""},
    {"configsamples/deployment_bgp.yaml", true, ""},
    {"configsamples/deployment_l2.yaml", true, ""},
    {"configsamples/ipaddresspool_simple.yaml", true, ""},
    {"configsamples/ipaddresspool_with_selector.yaml", true, ""},
    {"configsamples/l2adv_selects_pools_by_list.yaml", true, ""},
    {"configsamples/l2adv_with_node_selector.yaml", true, ""},
    {"configsamples/simple_pool_adv_bgp.yaml", true, ""},
    {"configsamples/simple_pool_adv_l2.yaml", true, ""},
    // MetalLB <= v0.12 knows the protocols bgp and layer2 only ("unknown protocol").
    {"configmaptocrs-testdata/configmap-data/config-data-full.yaml", false,
     "config-data-full.yaml:36:13: address-pools[1].protocol: unknown protocol \"l2\""},
    {"configmaptocrs-testdata/configmap-yaml/config-yaml-full.yaml", false,
     "config-yaml-full.yaml:43:17: address-pools[1].protocol: unknown protocol \"l2\""},
};

INSTANTIATE_TEST_SUITE_P(Metallb, Fixture, ::testing::ValuesIn(kVerdicts), [](const auto& row) {
  std::string name = row.param.file;
  for (auto& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
});

class Golden : public ::testing::TestWithParam<const char*> {};

// The input passes, the golden resources pass, and converting the input then reading the
// result gives the same model as reading MetalLB's own conversion.
TEST_P(Golden, ConvertedConfigMapEqualsMetallbConversion) {
  for (const std::string flavour : {"data", "yaml"}) {
    const auto base = kData + "configmaptocrs-testdata/configmap-" + flavour + "/config-" +
                      flavour + "-" + GetParam();
    const auto input = check_file(base + ".yaml", InputFormat::kAuto, Purpose::kTranslate);
    ASSERT_TRUE(input.valid()) << errors_of(input);
    EXPECT_EQ(input.format, SourceFormat::kConfigMap);
    const auto golden = check_file(base + ".golden", InputFormat::kResources, Purpose::kTranslate);
    ASSERT_TRUE(golden.valid()) << errors_of(golden);

    const auto converted = convert_configmap(read(base + ".yaml"), base + ".yaml");
    ASSERT_TRUE(converted) << converted.error().message();
    const auto reread = check_text(converted.value(), "converted.yaml", InputFormat::kResources,
                                   Purpose::kTranslate);
    ASSERT_TRUE(reread.valid()) << errors_of(reread) << converted.value();
    EXPECT_EQ(*reread.config, *golden.config) << converted.value();
    // Run by vipd, the input and its conversion are refused for the same settings (BFD echo
    // mode) only.
    const auto run_input = check_file(base + ".yaml");
    const auto run_converted = check_text(converted.value(), "converted.yaml");
    EXPECT_EQ(run_input.valid(), !uses_refused_bfd(*input.config)) << errors_of(run_input);
    EXPECT_TRUE(only_refusals(run_input)) << errors_of(run_input);
    EXPECT_EQ(run_converted.error_count(), run_input.error_count()) << errors_of(run_converted);
    EXPECT_TRUE(only_refusals(run_converted)) << errors_of(run_converted);
  }
}

INSTANTIATE_TEST_SUITE_P(Metallb, Golden,
                         ::testing::Values("address-pools", "bfdprofile", "communities",
                                           "convert-names", "peers"));

TEST(Golden, FullConfigMapIsRejectedNotConverted) {
  const auto path = kData + "configmaptocrs-testdata/configmap-data/config-data-full.yaml";
  const auto converted = convert_configmap(read(path), path);
  ASSERT_FALSE(converted);
  EXPECT_NE(converted.error().message().find("unknown protocol \"l2\""), std::string::npos);
  // With the protocol fixed, the rest converts to what MetalLB's converter wrote, plus the
  // L2Advertisement MetalLB's converter drops for the pool it could not classify.
  auto text = read(path);
  text.replace(text.find("protocol: l2"), 12, "protocol: layer2");
  const auto fixed = convert_configmap(text, path);
  ASSERT_TRUE(fixed) << fixed.error().message();
  auto reread =
      check_text(fixed.value(), "converted.yaml", InputFormat::kResources, Purpose::kTranslate);
  ASSERT_TRUE(reread.valid()) << errors_of(reread);
  const auto golden =
      check_file(kData + "configmaptocrs-testdata/configmap-data/config-data-full.golden",
                 InputFormat::kResources, Purpose::kTranslate);
  ASSERT_TRUE(golden.valid()) << errors_of(golden);
  ASSERT_EQ(reread.config->l2_advertisements.size(), 1u);
  reread.config->l2_advertisements.clear();
  EXPECT_EQ(*reread.config, *golden.config) << fixed.value();
}

TEST(Golden, ConversionChangesTheModelOnlyByNames) {
  // Reading the ConfigMap directly keeps its names; the converted resources rename them.
  const auto base = kData + "configmaptocrs-testdata/configmap-data/config-data-convert-names";
  const auto direct = check_file(base + ".yaml", InputFormat::kAuto, Purpose::kTranslate);
  const auto golden = check_file(base + ".golden", InputFormat::kAuto, Purpose::kTranslate);
  ASSERT_TRUE(direct.valid() && golden.valid());
  ASSERT_EQ(direct.config->pools.size(), golden.config->pools.size());
  for (std::size_t i = 0; i < direct.config->pools.size(); ++i) {
    auto renamed = direct.config->pools[i];
    renamed.name = resource_name(renamed.name);
    EXPECT_EQ(renamed, golden.config->pools[i]);
  }
}

}  // namespace
}  // namespace vipd::config
