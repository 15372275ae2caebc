// Runs the real binary, as a user would.
#include <gtest/gtest.h>

#include "daemon/tests/run_vipd.hpp"

#include <array>
#include <cstdio>
#include <string>

#include "daemon/version.hpp"

namespace {

using vipd::testing::Run;

Run run(const std::string& args) { return vipd::testing::run_vipd(args); }

TEST(Cli, VersionPrintsTheBuildVersion) {
  const auto r = run("--version");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.output, "vipd " + std::string(vipd::version()) + "\n");
  EXPECT_EQ(r.output.rfind("vipd 0.", 0), 0u) << r.output;
}

TEST(Cli, HelpDescribesTheProgramAndItsOptions) {
  const auto r = run("--help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.output.find("stable virtual IPs"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--log-format"), std::string::npos);
  EXPECT_NE(r.output.find("--version"), std::string::npos);
}

TEST(Cli, RejectsUnknownOptionsAndBadValues) {
  const auto unknown = run("--frobnicate");
  EXPECT_NE(unknown.status, 0);
  EXPECT_NE(unknown.output.find("--frobnicate"), std::string::npos) << unknown.output;

  const auto bad_format = run("--log-format xml");
  EXPECT_NE(bad_format.status, 0);
  EXPECT_NE(bad_format.output.find("xml"), std::string::npos) << bad_format.output;
}

}  // namespace
