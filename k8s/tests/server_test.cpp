// The client against the test Kubernetes API server (integration/k8s_api_server.py): the
// admin kubeconfig's client certificate, its static token, a service account's token file
// rotated while the client runs, a CA that did not sign the server, concurrent requests, and a
// server restarted under the client.
#include <gtest/gtest.h>

#include "k8s/tests/server_fixture.hpp"
#include "k8s/tests/tls_server.hpp"

namespace vipd::k8s::test {
namespace {

class SharedServer : public ServerTest {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    server_ = new ApiServer(dir_->path("data"));
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  static TempDir* dir_;
  static ApiServer* server_;
};
TempDir* SharedServer::dir_ = nullptr;
ApiServer* SharedServer::server_ = nullptr;

TEST_F(SharedServer, VersionAndAListWithTheAdminKubeconfig) {
  const auto access = admin_access(*server_);
  ASSERT_FALSE(access.client_cert_pem.empty()) << "admin.kubeconfig carries a client certificate";
  EXPECT_EQ(server_url(access), server_->url());
  EXPECT_EQ(access.default_namespace, "default");
  auto client = client_for(access);
  auto version = call(*client, Verb::kGet, "/version");
  ASSERT_TRUE(version) << version.error().message();
  EXPECT_EQ(version.value().status, 200u);
  EXPECT_EQ(boost::json::parse(version.value().body).at("gitVersion"), "v1.32.4");
  auto services = call(*client, Verb::kGet, "/api/v1/namespaces/default/services");
  ASSERT_TRUE(services) << services.error().message();
  EXPECT_EQ(services.value().status, 200u);
  EXPECT_EQ(names(services.value().body), std::vector<std::string>{"kubernetes"});
  EXPECT_EQ((client->request_counts()), (RequestCounts{{{"GET", "200"}, 2}}));
  EXPECT_EQ(client->connection_counts().opened, 1u);
}

TEST_F(SharedServer, TheAdminTokenInsteadOfTheCertificate) {
  auto access = admin_access(*server_);
  access.client_cert_pem.clear();
  access.client_key_pem.clear();
  auto anonymous = client_for(access);
  auto refused = call(*anonymous, Verb::kGet, "/api/v1/namespaces/default/services");
  ASSERT_TRUE(refused) << refused.error().message();
  EXPECT_EQ(refused.value().status, 403u) << refused.value().body;
  access.token = read_file(server_->file("admin.token"));
  while (!access.token.empty() && access.token.back() == '\n') access.token.pop_back();
  auto client = client_for(access);
  auto services = call(*client, Verb::kGet, "/api/v1/namespaces/default/services");
  ASSERT_TRUE(services) << services.error().message();
  EXPECT_EQ(services.value().status, 200u) << services.value().body;
}

TEST_F(SharedServer, AWrongCaIsACertificateError) {
  auto access = admin_access(*server_);
  access.ca_pem = TestPki::get().other_ca_pem;
  auto client = client_for(access);
  auto result = call(*client, Verb::kGet, "/version");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), make_error_code(Errc::kIoError));
  const auto& text = result.error().message();
  EXPECT_EQ(text.rfind("cannot reach the API server at " + server_->url() + ": TLS handshake: ", 0),
            0u)
      << text;
  EXPECT_NE(text.find("certificate verify failed"), std::string::npos) << text;
  EXPECT_NE(text.find("(is the CA right?)"), std::string::npos) << text;
}

TEST_F(SharedServer, AServiceAccountTokenFileIsReadAgainWhenReplaced) {
  ASSERT_EQ(server_->kubectl({"create", "namespace", "tok"}).status, 0);
  ASSERT_EQ(server_->kubectl({"create", "serviceaccount", "reader", "-n", "tok"}).status, 0);
  const auto issued = server_->kubectl({"create", "token", "reader", "-n", "tok"}, false);
  ASSERT_EQ(issued.status, 0);
  TempDir dir;
  const auto replace = [&](const std::string& token) {  // as the kubelet does: write, rename
    dir.write("token.new", token);
    std::filesystem::rename(dir.path("token.new"), dir.path("token"));
  };
  replace(issued.out);
  auto access = admin_access(*server_);
  access.client_cert_pem.clear();
  access.client_key_pem.clear();
  access.token_file = dir.path("token");
  auto client = client_for(access);

  const std::string target = "/api/v1/namespaces/tok/configmaps";
  auto as_reader = call(*client, Verb::kGet, target);
  ASSERT_TRUE(as_reader) << as_reader.error().message();
  EXPECT_EQ(as_reader.value().status, 403u);
  EXPECT_NE(as_reader.value().body.find("User \\\"system:serviceaccount:tok:reader\\\""),
            std::string::npos)
      << as_reader.value().body;
  Events events;
  auto watch = run_coroutine(io_, client->watch(target + "?watch=1", events.handler()));
  ASSERT_FALSE(watch);
  EXPECT_EQ(http_status(watch.error()), 403u) << watch.error().message();

  replace(read_file(server_->file("admin.token")));
  auto as_admin = call(*client, Verb::kGet, target);
  ASSERT_TRUE(as_admin) << as_admin.error().message();
  EXPECT_EQ(as_admin.value().status, 200u) << as_admin.value().body;

  replace("not-a-token");
  auto bad = call(*client, Verb::kGet, target);
  ASSERT_TRUE(bad) << bad.error().message();
  EXPECT_EQ(bad.value().status, 401u);
}

TEST_F(SharedServer, ConcurrentRequestsOnOneClient) {
  ClientOptions options;
  options.max_idle_connections = 8;
  auto client = client_for(admin_access(*server_), options);
  const std::vector<std::string> targets = {"/version",
                                            "/api/v1/namespaces",
                                            "/api/v1/namespaces/default/services",
                                            "/api/v1/namespaces/default/endpoints",
                                            "/apis/discovery.k8s.io/v1/endpointslices",
                                            "/api/v1/nodes",
                                            "/apis/coordination.k8s.io/v1/leases",
                                            "/api/v1/configmaps"};
  std::vector<std::shared_ptr<Started<Result<Response>>>> calls;
  for (const auto& target : targets)
    calls.push_back(start(io_, client->request(Verb::kGet, target)));
  for (std::size_t i = 0; i < calls.size(); ++i) {
    auto response = finish(io_, calls[i]);
    ASSERT_TRUE(response) << targets[i] << ": " << response.error().message();
    EXPECT_EQ(response.value().status, 200u) << targets[i];
  }
  EXPECT_EQ(client->connection_counts().opened, targets.size());
  for (const auto& target : targets) {
    auto response = call(*client, Verb::kGet, target);
    ASSERT_TRUE(response) << response.error().message();
    EXPECT_EQ(response.value().status, 200u);
  }
  EXPECT_EQ(client->connection_counts().opened, targets.size()) << "the pool was not used";
  EXPECT_EQ((client->request_counts()), (RequestCounts{{{"GET", "200"}, 2 * targets.size()}}));
}

TEST_F(ServerTest, TheNextRequestReconnectsToARestartedServer) {
  TempDir dir;
  auto server = std::make_unique<ApiServer>(dir.path("data"));
  const auto port = server->port();
  auto client = client_for(admin_access(*server));
  ASSERT_EQ(call(*client, Verb::kGet, "/version").value().status, 200u);

  server.reset();
  auto down = call(*client, Verb::kGet, "/version");
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code(), make_error_code(Errc::kIoError));
  EXPECT_NE(down.error().message().find("Connection refused"), std::string::npos)
      << down.error().message();

  server = std::make_unique<ApiServer>(dir.path("data"), ApiServerOptions{.port = port});
  auto up = call(*client, Verb::kGet, "/version");
  ASSERT_TRUE(up) << up.error().message();
  EXPECT_EQ(up.value().status, 200u);
  const auto opened = client->connection_counts().opened;

  // Restarted while a kept-alive connection sits in the pool: even a POST goes through.
  server.reset();
  server = std::make_unique<ApiServer>(dir.path("data"), ApiServerOptions{.port = port});
  auto created = call(*client, Verb::kPost, "/api/v1/namespaces/default/configmaps",
                      configmap("after-restart"));
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(created.value().status, 201u) << created.value().body;
  EXPECT_EQ(client->connection_counts().opened, opened + 1);
}

TEST_F(ServerTest, AnIpv6Server) {
  TempDir dir;
  ApiServer server(dir.path("data"), {.host = "::1"});
  const auto access = admin_access(server);
  EXPECT_EQ(access.server_host, "::1");
  EXPECT_EQ(server_url(access), "https://[::1]:" + std::to_string(server.port()));
  auto client = client_for(access);
  auto services = call(*client, Verb::kGet, "/api/v1/namespaces/default/services");
  ASSERT_TRUE(services) << services.error().message();
  EXPECT_EQ(services.value().status, 200u);
  EXPECT_EQ(names(services.value().body), std::vector<std::string>{"kubernetes"});
}

}  // namespace
}  // namespace vipd::k8s::test
