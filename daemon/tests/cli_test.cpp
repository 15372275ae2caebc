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

TEST(Cli, LoggingOptionsAreAcceptedAfterTheSubcommandToo) {
  const std::string file = ::testing::TempDir() + "/bad-for-logging.yaml";
  {
    std::FILE* f = std::fopen(file.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("services:\n- name: web\n  addresses: [198.51.100.10]\n", f);
    std::fclose(f);
  }
  const std::string args =
      " --config " + file + " --state-dir " + ::testing::TempDir() + "/state --admin 127.0.0.1:0";
  // Where DESIGN.md's command lines put them: after the subcommand, in JSON.
  const auto after = run_vipd("standalone" + args + " --log-level error --log-format json");
  EXPECT_EQ(after.status, 1) << after.output;
  EXPECT_NE(after.output.find("\"level\":\"error\""), std::string::npos) << after.output;
  EXPECT_EQ(after.output.find("were not expected"), std::string::npos) << after.output;
  // Before it, as before.
  const auto before = run_vipd("--log-format json standalone" + args);
  EXPECT_EQ(before.status, 1) << before.output;
  EXPECT_NE(before.output.find("\"level\":\"error\""), std::string::npos) << before.output;
  // A level that hides errors hides them, wherever it is written.
  const auto quiet = run_vipd("standalone" + args + " --log-level off");
  EXPECT_EQ(quiet.status, 1);
  EXPECT_EQ(quiet.output, "") << quiet.output;
  // A bad value is still a usage error.
  EXPECT_EQ(run_vipd("standalone" + args + " --log-level loud").status, 2);
}

// The file limit is a flag: a size with a unit; out of range or unreadable is a usage error, and
// a file over it is refused unread with the flag named.
TEST(Cli, MaxConfigSizeBoundsTheFileAndIsChecked) {
  const std::string file = std::string(VIPD_CONFIG_TEST_DATA) + "/standalone/edge.yaml";
  EXPECT_EQ(run_vipd("config check " + file).status, 0);
  const auto small = run_vipd("config check --max-config-size 512b " + file);
  EXPECT_EQ(small.status, 1) << small.output;
  EXPECT_NE(small.output.find("larger than 512 bytes, the limit"), std::string::npos)
      << small.output;
  EXPECT_NE(small.output.find("--max-config-size raises it"), std::string::npos);
  EXPECT_EQ(run_vipd("config check --max-config-size 64MiB " + file).status, 0);
  for (const char* bad : {"0", "2GiB", "lots"}) {
    const auto r = run_vipd(std::string("config check --max-config-size ") + bad + " " + file);
    EXPECT_EQ(r.status, 2) << bad << ": " << r.output;
    EXPECT_NE(r.output.find("--max-config-size"), std::string::npos) << r.output;
  }
  const auto standalone = run_vipd("standalone --config " + file + " --max-config-size 512");
  EXPECT_EQ(standalone.status, 1) << standalone.output;
  EXPECT_NE(standalone.output.find("larger than 512 bytes"), std::string::npos)
      << standalone.output;
}

TEST(Cli, StandaloneRejectsABadDrainTime) {
  const auto r = run_vipd("standalone --config /nonexistent --drain-time soon");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--drain-time soon"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace vipd
