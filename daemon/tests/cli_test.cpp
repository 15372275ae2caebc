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

namespace vipd {
namespace {

using testing::run_vipd;

TEST(Cli, StatusSaysWhenNoDaemonAnswers) {
  // Port 1 on loopback: nothing listens there in a test environment.
  const auto r = run_vipd("status --admin 127.0.0.1:1");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("cannot reach the admin endpoint at 127.0.0.1:1"), std::string::npos)
      << r.output;
}

TEST(Cli, StandaloneRefusesToStartOnABadFileNamingEveryError) {
  const std::string file = ::testing::TempDir() + "/bad-standalone.yaml";
  {
    std::FILE* f = std::fopen(file.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(
        "address-pools:\n- {name: p, protocol: bgp, addresses: [192.0.2.0/24]}\nservices:\n"
        "- name: web\n  addresses: [198.51.100.10]\n- name: web\n",
        f);
    std::fclose(f);
  }
  const auto r = run_vipd("standalone --config " + file + " --state-dir " + ::testing::TempDir() +
                          "/state --admin 127.0.0.1:0");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("bad-standalone.yaml:5:15"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("not inside any pool"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("duplicate service"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("not starting"), std::string::npos) << r.output;
}

TEST(Cli, StandaloneRejectsABadDrainTime) {
  const auto r = run_vipd("standalone --config /nonexistent --drain-time soon");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--drain-time soon"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace vipd
