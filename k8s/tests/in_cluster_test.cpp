// in_cluster(): the service's environment variables and the service-account files, injected.
#include <gtest/gtest.h>

#include "k8s/access.hpp"
#include "k8s/tests/support.hpp"

namespace vipd::k8s::test {
namespace {

class InCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("token", "eyJhbGciOi.token\n");
    dir_.write("ca.crt", "CLUSTER CA");
    dir_.write("namespace", "vipd-system\n");
  }
  std::map<std::string, std::string> env_{{"KUBERNETES_SERVICE_HOST", "198.51.100.1"},
                                          {"KUBERNETES_SERVICE_PORT", "443"}};
  TempDir dir_;
};

TEST_F(InCluster, ReadsTheServiceAndTheServiceAccount) {
  auto access = in_cluster(env_, dir_.path());
  ASSERT_TRUE(access) << access.error().message();
  EXPECT_EQ(access.value().server_host, "198.51.100.1");
  EXPECT_EQ(access.value().port, 443);
  EXPECT_EQ(access.value().token_file, dir_.path("token"));  // re-read while running
  EXPECT_EQ(access.value().token, "");
  EXPECT_EQ(access.value().ca_pem, "CLUSTER CA");
  EXPECT_EQ(access.value().default_namespace, "vipd-system");
  EXPECT_EQ(access.value().origin, "in-cluster");
  EXPECT_EQ(server_url(access.value()), "https://198.51.100.1:443");
}

TEST_F(InCluster, BracketsAnIpv6Host) {
  env_["KUBERNETES_SERVICE_HOST"] = "2001:db8::1";
  env_["KUBERNETES_SERVICE_PORT"] = "6443";
  auto access = in_cluster(env_, dir_.path());
  ASSERT_TRUE(access) << access.error().message();
  EXPECT_EQ(access.value().server_host, "2001:db8::1");
  EXPECT_EQ(server_url(access.value()), "https://[2001:db8::1]:6443");
}

TEST_F(InCluster, NotInAClusterWithoutTheVariables) {
  for (const char* missing : {"KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"}) {
    auto env = env_;
    env.erase(missing);
    auto access = in_cluster(env, dir_.path());
    ASSERT_FALSE(access);
    EXPECT_EQ(access.error().code(), make_error_code(Errc::kNotFound));
    EXPECT_NE(access.error().message().find("not running in a cluster"), std::string::npos);
  }
}

TEST_F(InCluster, RefusesABadPort) {
  for (const char* port : {"https", "0", "65536", "443x", "-1"}) {
    env_["KUBERNETES_SERVICE_PORT"] = port;
    auto access = in_cluster(env_, dir_.path());
    ASSERT_FALSE(access) << port;
    EXPECT_EQ(access.error().message(), std::string("in-cluster: KUBERNETES_SERVICE_PORT \"") +
                                            port + "\" is not a port number");
  }
}

TEST_F(InCluster, NamesAMissingOrEmptyTokenAndAMissingCa) {
  std::filesystem::remove(dir_.path("token"));
  auto no_token = in_cluster(env_, dir_.path());
  ASSERT_FALSE(no_token);
  EXPECT_NE(no_token.error().message().find("in-cluster: the service account token: cannot open " +
                                            dir_.path("token")),
            std::string::npos)
      << no_token.error().message();
  dir_.write("token", "\n");
  auto empty = in_cluster(env_, dir_.path());
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message().find("is empty"), std::string::npos);
  dir_.write("token", "t");
  std::filesystem::remove(dir_.path("ca.crt"));
  auto no_ca = in_cluster(env_, dir_.path());
  ASSERT_FALSE(no_ca);
  EXPECT_NE(no_ca.error().message().find(dir_.path("ca.crt")), std::string::npos);
}

TEST_F(InCluster, NamespaceFromTheEnvironmentThenTheFileThenDefault) {
  env_["POD_NAMESPACE"] = "from-env";
  EXPECT_EQ(in_cluster(env_, dir_.path()).value().default_namespace, "from-env");
  env_.erase("POD_NAMESPACE");
  std::filesystem::remove(dir_.path("namespace"));
  EXPECT_EQ(in_cluster(env_, dir_.path()).value().default_namespace, "default");
}

}  // namespace
}  // namespace vipd::k8s::test
