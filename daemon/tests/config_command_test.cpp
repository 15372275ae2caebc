// Runs `vipd config check` and `vipd config convert` as a user would, on real files.
#include <gtest/gtest.h>

#include "daemon/tests/run_vipd.hpp"

#include <array>
#include <cstdio>
#include <fstream>
#include <string>

namespace {

using vipd::testing::Run;

Run run(const std::string& args) { return vipd::testing::run_vipd(args); }

const std::string kData = VIPD_CONFIG_TEST_DATA "/metallb/";

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

TEST(ConfigCheck, ValidFileExitsZeroWithASummary) {
  const auto file = kData + "configsamples/deployment_bgp.yaml";
  const auto r = run("config check " + file);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find(file + ": valid MetalLB resources"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("example: IPv4 256, IPv6 16"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("peerv6: [fc00:f853:ccd:e793::5]:179 AS 64512 (iBGP)"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("note: documents[4]: ignored Deployment"), std::string::npos) << r.output;
}

TEST(ConfigCheck, InvalidFileExitsOneWithEveryError) {
  const auto file = write_temp("invalid.yaml",
                               "address-pools:\n"
                               "- name: a\n"
                               "  protocol: bgp\n"
                               "  addresses: [2001:db8::/64]\n"
                               "  bgp-advertisements:\n"
                               "  - aggregation-length-v6: 48\n"
                               "peers:\n"
                               "- peer-address: 2001:db8::1\n"
                               "  peer-asn: 64500\n"
                               "  my-asn: 64500\n"
                               "  ebgp-multihop: true\n");
  const auto r = run("config check " + file);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(
      r.output.find(file + ":6:28: address-pools[0].bgp-advertisements[0].aggregation-length-v6: "
                           "aggregation length 48 is shorter than prefix /64"),
      std::string::npos)
      << r.output;
  EXPECT_NE(
      r.output.find(file + ":11:18: peers[0].ebgp-multihop: eBGP multihop set on an iBGP peer"),
      std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(file + ": invalid: 2 errors; the whole file is rejected"),
            std::string::npos)
      << r.output;
}

TEST(ConfigCheck, SeveralFilesAndJsonOutput) {
  const auto good = kData + "legacy-configmap/example-layer2-config.yaml";
  const auto bad = kData + "legacy-configmap/example-config.yaml";
  const auto r = run("config check --output json " + good + " " + bad);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_EQ(r.output.rfind("{\"files\":[{\"file\":\"" + good + "\",\"valid\":true", 0), 0u)
      << r.output;
  EXPECT_NE(r.output.find("\"valid\":false"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"line\":39,\"column\":7,\"path\":\"peers[0].bfdProfile\""),
            std::string::npos)
      << r.output;
}

TEST(ConfigCheck, UsageErrorsExitTwo) {
  EXPECT_EQ(run("config check").status, 2);
  EXPECT_EQ(run("config check /nonexistent/file.yaml").status, 2);
  EXPECT_EQ(run("config check --output xml " + kData + "configsamples/bgppeer_simple.yaml").status,
            2);
  EXPECT_EQ(run("config").status, 2);
}

TEST(ConfigConvert, ConvertsAConfigMapIntoResourcesThatCheckValid) {
  const auto file = kData + "configmaptocrs-testdata/configmap-yaml/config-yaml-address-pools.yaml";
  const auto r = run("config convert " + file);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("kind: IPAddressPool\nmetadata:\n  name: my-ip-space-bgp\n"),
            std::string::npos)
      << r.output;
  const auto converted = write_temp("converted.yaml", r.output);
  const auto check = run("config check --format resources " + converted);
  EXPECT_EQ(check.status, 0) << check.output;
  EXPECT_NE(check.output.find("my-ip-space-bgp: IPv4 256, IPv6 16"), std::string::npos)
      << check.output;
}

TEST(ConfigConvert, RefusesAnInvalidConfigMap) {
  const auto r = run("config convert " + kData +
                     "configmaptocrs-testdata/configmap-data/config-data-full.yaml");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("unknown protocol \"l2\""), std::string::npos) << r.output;
}

}  // namespace
