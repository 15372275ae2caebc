// from_kubeconfig(): every field it reads, inline data and files (relative to the kubeconfig's
// directory), and every refusal, each naming the file and what is wrong.
#include <gtest/gtest.h>

#include "k8s/access.hpp"
#include "k8s/tests/support.hpp"

namespace vipd::k8s::test {
namespace {

std::string b64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

class Kubeconfig : public ::testing::Test {
 protected:
  // A kubeconfig with context "c" → cluster "k" and user "u"; the parts are spliced in.
  std::string write(const std::string& cluster, const std::string& user,
                    const std::string& context_extra = "") {
    return dir_.write("config",
                      "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                      "clusters:\n- name: k\n  cluster:\n" +
                          cluster + "users:\n- name: u\n  user:\n" + user +
                          "contexts:\n- name: c\n  context:\n    cluster: k\n"
                          "    user: u\n" +
                          context_extra);
  }
  std::string error(const Result<Access>& result) {
    EXPECT_FALSE(result) << "accepted";
    return result ? std::string() : result.error().message();
  }
  TempDir dir_;
};

const std::string kServer = "    server: https://api.example.test:6443\n";

TEST_F(Kubeconfig, ReadsInlineDataAndTheContextsNamespace) {
  const auto path = write(kServer + "    certificate-authority-data: " + b64("CA PEM") +
                              "\n    tls-server-name: kubernetes.default\n",
                          "    client-certificate-data: " + b64("CERT PEM") +
                              "\n    client-key-data: " + b64("KEY PEM") + "\n",
                          "    namespace: vipd-system\n");
  auto access = from_kubeconfig(path);
  ASSERT_TRUE(access) << access.error().message();
  EXPECT_EQ(access.value().server_host, "api.example.test");
  EXPECT_EQ(access.value().port, 6443);
  EXPECT_EQ(access.value().base_path, "");
  EXPECT_EQ(access.value().ca_pem, "CA PEM");
  EXPECT_EQ(access.value().client_cert_pem, "CERT PEM");
  EXPECT_EQ(access.value().client_key_pem, "KEY PEM");
  EXPECT_EQ(access.value().token, "");
  EXPECT_EQ(access.value().token_file, "");
  EXPECT_EQ(access.value().default_namespace, "vipd-system");
  EXPECT_EQ(access.value().tls_server_name, "kubernetes.default");
  EXPECT_FALSE(access.value().insecure_skip_tls_verify);
  EXPECT_EQ(access.value().origin, "kubeconfig " + path + " context c");
  EXPECT_EQ(server_url(access.value()), "https://api.example.test:6443");
}

TEST_F(Kubeconfig, ReadsFilesRelativeToItsDirectory) {
  dir_.write("pki/ca.crt", "CA FROM FILE");
  dir_.write("pki/client.crt", "CERT FROM FILE");
  const auto key = dir_.write("elsewhere/client.key", "KEY FROM FILE");
  dir_.write("pki/token", "tok-en\n");
  const auto path = write(kServer + "    certificate-authority: pki/ca.crt\n",
                          "    client-certificate: pki/client.crt\n    client-key: " + key +
                              "\n    tokenFile: pki/token\n");
  auto access = from_kubeconfig(path);
  ASSERT_TRUE(access) << access.error().message();
  EXPECT_EQ(access.value().ca_pem, "CA FROM FILE");
  EXPECT_EQ(access.value().client_cert_pem, "CERT FROM FILE");
  EXPECT_EQ(access.value().client_key_pem, "KEY FROM FILE");
  EXPECT_EQ(access.value().token_file, dir_.path("pki/token"));
  EXPECT_EQ(access.value().default_namespace, "default");
}

TEST_F(Kubeconfig, ReadsATokenAndDefaultsPort443) {
  auto access = from_kubeconfig(write("    server: https://192.0.2.10\n", "    token: abc.def\n"));
  ASSERT_TRUE(access) << access.error().message();
  EXPECT_EQ(access.value().server_host, "192.0.2.10");
  EXPECT_EQ(access.value().port, 443);
  EXPECT_EQ(access.value().token, "abc.def");
  EXPECT_EQ(access.value().ca_pem, "");  // the system's CAs then
}

TEST_F(Kubeconfig, ReadsAnIpv6ServerAndABasePath) {
  auto access =
      from_kubeconfig(write("    server: https://[2001:db8::1]:8443/k8s/clusters/c-1/\n", ""));
  ASSERT_TRUE(access) << access.error().message();
  EXPECT_EQ(access.value().server_host, "2001:db8::1");
  EXPECT_EQ(access.value().port, 8443);
  EXPECT_EQ(access.value().base_path, "/k8s/clusters/c-1");
  EXPECT_EQ(server_url(access.value()), "https://[2001:db8::1]:8443/k8s/clusters/c-1");
}

TEST_F(Kubeconfig, AContextMayBeChosen) {
  const auto path = dir_.write("config", R"(current-context: one
clusters:
- {name: k1, cluster: {server: "https://198.51.100.1"}}
- {name: k2, cluster: {server: "https://198.51.100.2"}}
users:
- {name: u2, user: {token: t2}}
contexts:
- {name: one, context: {cluster: k1}}
- {name: two, context: {cluster: k2, user: u2, namespace: n2}}
)");
  auto one = from_kubeconfig(path);
  ASSERT_TRUE(one) << one.error().message();
  EXPECT_EQ(one.value().server_host, "198.51.100.1");
  EXPECT_EQ(one.value().token, "");  // no user: anonymous
  auto two = from_kubeconfig(path, "two");
  ASSERT_TRUE(two) << two.error().message();
  EXPECT_EQ(two.value().server_host, "198.51.100.2");
  EXPECT_EQ(two.value().token, "t2");
  EXPECT_EQ(two.value().default_namespace, "n2");
  EXPECT_EQ(two.value().origin, "kubeconfig " + path + " context two");
}

TEST_F(Kubeconfig, NamesWhatIsNotDefined) {
  const auto path = write(kServer, "    token: t\n");
  EXPECT_EQ(error(from_kubeconfig(path, "nope")),
            "kubeconfig " + path + ": context \"nope\" is not defined");
  const auto no_user = dir_.write("no-user", R"(current-context: c
clusters: [{name: k, cluster: {server: "https://h"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
)");
  EXPECT_EQ(error(from_kubeconfig(no_user)),
            "kubeconfig " + no_user + ": context \"c\" names user \"u\" which is not defined");
  const auto no_cluster = dir_.write("no-cluster", R"(current-context: c
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
)");
  EXPECT_EQ(
      error(from_kubeconfig(no_cluster)),
      "kubeconfig " + no_cluster + ": context \"c\" names cluster \"k\" which is not defined");
  const auto no_current = dir_.write("no-current", "clusters: []\n");
  EXPECT_EQ(error(from_kubeconfig(no_current)),
            "kubeconfig " + no_current + ": current-context is not set and no context was given");
}

TEST_F(Kubeconfig, RefusesPlainHttpAndOtherServers) {
  const auto http = write("    server: http://api.example.test:8080\n", "");
  EXPECT_EQ(error(from_kubeconfig(http)),
            "kubeconfig " + http +
                ":7:13: cluster \"k\": server \"http://api.example.test:8080\" is plain http; "
                "vipd talks to the API server over https only");
  for (const std::string server : {"api.example.test:6443", "https://h:0", "https://h:99999",
                                   "https://u:p@h", "https://h/?q=1", "ftp://h", ""}) {
    const auto path = write("    server: \"" + server + "\"\n", "");
    EXPECT_NE(error(from_kubeconfig(path)).find("kubeconfig " + path), std::string::npos) << server;
  }
}

TEST_F(Kubeconfig, InsecureSkipTlsVerifyOnlyWhenAllowed) {
  const auto path = write(kServer + "    insecure-skip-tls-verify: true\n", "    token: t\n");
  const auto refused = error(from_kubeconfig(path));
  EXPECT_NE(refused.find("kubeconfig " + path + ":8:31:"), std::string::npos) << refused;
  EXPECT_NE(refused.find("insecure-skip-tls-verify is set"), std::string::npos) << refused;
  auto allowed = from_kubeconfig(path, {}, true);
  ASSERT_TRUE(allowed) << allowed.error().message();
  EXPECT_TRUE(allowed.value().insecure_skip_tls_verify);

  const auto both = write(kServer +
                              "    insecure-skip-tls-verify: true\n"
                              "    certificate-authority-data: " +
                              b64("CA") + "\n",
                          "");
  EXPECT_NE(error(from_kubeconfig(both, {}, true)).find("are both set"), std::string::npos);
  const auto notbool = write(kServer + "    insecure-skip-tls-verify: maybe\n", "");
  EXPECT_NE(error(from_kubeconfig(notbool)).find("is not true or false"), std::string::npos);
}

TEST_F(Kubeconfig, RefusesExecPluginsAuthProvidersBasicAuthAndImpersonation) {
  const auto exec = write(kServer,
                          "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                          "      command: aws\n");
  EXPECT_EQ(error(from_kubeconfig(exec)),
            "kubeconfig " + exec +
                ":12:7: user \"u\": exec credentials are not supported; use a token or client "
                "certificate");
  const auto provider = write(kServer, "    auth-provider: {name: oidc}\n");
  EXPECT_NE(error(from_kubeconfig(provider))
                .find("auth-provider credentials are not supported; use a token or client "
                      "certificate"),
            std::string::npos);
  const auto basic = write(kServer, "    username: admin\n    password: secret\n");
  EXPECT_NE(error(from_kubeconfig(basic)).find("basic authentication"), std::string::npos);
  const auto as = write(kServer, "    token: t\n    as: someone\n");
  EXPECT_NE(error(from_kubeconfig(as)).find("impersonation (as)"), std::string::npos);
}

TEST_F(Kubeconfig, RefusesAmbiguousOrHalfCredentials) {
  dir_.write("ca.crt", "CA");
  const auto both_ca = write(kServer +
                                 "    certificate-authority: ca.crt\n"
                                 "    certificate-authority-data: " +
                                 b64("CA") + "\n",
                             "");
  EXPECT_NE(error(from_kubeconfig(both_ca))
                .find("both certificate-authority and certificate-authority-data are set"),
            std::string::npos);
  const auto cert_only = write(kServer, "    client-certificate-data: " + b64("C") + "\n");
  EXPECT_NE(error(from_kubeconfig(cert_only)).find("needs its key"), std::string::npos);
  const auto key_only = write(kServer, "    client-key-data: " + b64("K") + "\n");
  EXPECT_NE(error(from_kubeconfig(key_only)).find("needs its key"), std::string::npos);
}

TEST_F(Kubeconfig, NamesUnreadableAndMalformedParts) {
  const auto missing_ca = write(kServer + "    certificate-authority: pki/none.crt\n", "");
  const auto text = error(from_kubeconfig(missing_ca));
  EXPECT_NE(text.find("kubeconfig " + missing_ca + ":8:28:"), std::string::npos) << text;
  EXPECT_NE(text.find(dir_.path("pki/none.crt")), std::string::npos) << text;
  const auto bad_data = write(kServer + "    certificate-authority-data: \"not*base64\"\n", "");
  EXPECT_NE(error(from_kubeconfig(bad_data)).find("certificate-authority-data: not base64"),
            std::string::npos);
  const auto missing_token = write(kServer, "    tokenFile: /nonexistent/token\n");
  EXPECT_NE(error(from_kubeconfig(missing_token)).find("/nonexistent/token"), std::string::npos);
  const auto list = write("    server: [a, b]\n", "");
  EXPECT_NE(error(from_kubeconfig(list)).find("server is not a string"), std::string::npos);
}

TEST_F(Kubeconfig, NamesTheFileWhenItCannotBeRead) {
  const auto missing = dir_.path("absent");
  const auto text = error(from_kubeconfig(missing));
  EXPECT_NE(text.find("kubeconfig: cannot open " + missing), std::string::npos) << text;
  const auto huge = dir_.write("huge", "# " + std::string(std::size_t{1} << 20, 'x') + "\n");
  EXPECT_NE(error(from_kubeconfig(huge)).find("larger than 1048576 bytes"), std::string::npos);
  const auto syntax = dir_.write("syntax", "clusters: [\n");
  const auto syntax_text = error(from_kubeconfig(syntax));
  EXPECT_NE(syntax_text.find("kubeconfig " + syntax + ":"), std::string::npos) << syntax_text;
  EXPECT_NE(syntax_text.find("YAML syntax error"), std::string::npos) << syntax_text;
  const auto scalar = dir_.write("scalar", "just text\n");
  EXPECT_EQ(error(from_kubeconfig(scalar)),
            "kubeconfig " + scalar + ": the file is not a kubeconfig (not a YAML mapping)");
  const auto twice = dir_.write("twice", R"(current-context: c
clusters: [{name: k, cluster: {server: "https://a"}}, {name: k, cluster: {server: "https://b"}}]
contexts: [{name: c, context: {cluster: k}}]
)");
  EXPECT_NE(error(from_kubeconfig(twice)).find("clusters: \"k\" is defined twice"),
            std::string::npos);
}

}  // namespace
}  // namespace vipd::k8s::test
