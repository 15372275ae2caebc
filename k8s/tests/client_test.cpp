// Client::request() against a scripted TLS server: headers, keep-alive reuse, concurrent calls,
// the one retry on a pooled connection, timeouts on the fake clock, cancellation, TLS refusals
// and limits.
#include <gtest/gtest.h>

#include "k8s/tests/client_fixture.hpp"

namespace vipd::k8s::test {
namespace {

TEST_F(ClientTest, CreateRefusesUnusableCredentials) {
  Access access;
  access.server_host = "127.0.0.1";
  access.origin = "kubeconfig x";
  access.ca_pem = "not a certificate";
  auto bad_ca = Client::create(io_.get_executor(), clock_, access);
  ASSERT_FALSE(bad_ca);
  EXPECT_NE(bad_ca.error().message().find("kubeconfig x: the CA certificate is not PEM"),
            std::string::npos)
      << bad_ca.error().message();
  access.ca_pem = TestPki::get().ca_pem;
  access.client_cert_pem = TestPki::get().server_cert_pem;
  access.client_key_pem = TestPki::get().other_key_pem;
  auto mismatch = Client::create(io_.get_executor(), clock_, access);
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().message(),
            "kubeconfig x: the client key does not belong to the client certificate");
}

TEST_F(ClientTest, GetsWithItsHeadersAndReusesTheConnection) {
  auto& server = serve(answer_all());
  auto client = client_for(server);
  auto first = get(*client, "/api/v1/namespaces?limit=500");
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first.value().status, 200u);
  EXPECT_EQ(first.value().body, R"({"kind":"NamespaceList"})");
  EXPECT_EQ(first.value().content_type, "application/json");
  ASSERT_TRUE(get(*client));
  ASSERT_EQ(server.requests.size(), 2u);
  const auto& request = server.requests.front();
  EXPECT_EQ(request.method(), http::verb::get);
  EXPECT_EQ(request.target(), "/api/v1/namespaces?limit=500");
  EXPECT_EQ(request[http::field::host], "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(request[http::field::authorization], "Bearer tok");
  EXPECT_EQ(request[http::field::accept], "application/json");
  EXPECT_EQ(request[http::field::user_agent], "vipd/0.1.0");
  EXPECT_EQ(server.accepted(), 1);
  const auto connections = client->connection_counts();
  EXPECT_EQ(connections.opened, 1u);
  EXPECT_EQ(connections.reused, 1u);
  EXPECT_EQ(connections.idle, 1u);
  EXPECT_EQ((client->request_counts()), (RequestCounts{{{"GET", "200"}, 2}}));
}

TEST_F(ClientTest, ANonSuccessStatusIsAnAnswer) {
  auto& server = serve([](TlsServer& s, TlsServer::Peer& peer) -> asio::awaitable<void> {
    while (co_await s.read(peer)) {
      co_await TlsServer::send(peer, TlsServer::answer(404, R"({"kind":"Status","code":404})"));
    }
  });
  auto client = client_for(server);
  auto response = get(*client, "/api/v1/namespaces/default/services/none");
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response.value().status, 404u);
  EXPECT_FALSE(response.value().ok());
  EXPECT_EQ((client->request_counts()), (RequestCounts{{{"GET", "404"}, 1}}));
}

TEST_F(ClientTest, SendsABodyWithItsType) {
  auto& server = serve(answer_all("{}"));
  auto client = client_for(server);
  ASSERT_TRUE(run_coroutine(io_, client->request(Verb::kPost, "/api/v1/namespaces", R"({"a":1})")));
  ASSERT_TRUE(run_coroutine(io_, client->request(Verb::kPatch, "/api/v1/x", R"({"b":2})",
                                                 "application/merge-patch+json")));
  ASSERT_TRUE(run_coroutine(io_, client->request(Verb::kDelete, "/api/v1/x")));
  ASSERT_EQ(server.requests.size(), 3u);
  EXPECT_EQ(server.requests[0].method(), http::verb::post);
  EXPECT_EQ(server.requests[0][http::field::content_type], "application/json");
  EXPECT_EQ(server.requests[0].body(), R"({"a":1})");
  EXPECT_EQ(server.requests[1].method(), http::verb::patch);
  EXPECT_EQ(server.requests[1][http::field::content_type], "application/merge-patch+json");
  EXPECT_EQ(server.requests[2].method(), http::verb::delete_);
  EXPECT_EQ(server.requests[2].body(), "");
  EXPECT_EQ((client->request_counts()),
            (RequestCounts{{{"POST", "200"}, 1}, {{"PATCH", "200"}, 1}, {{"DELETE", "200"}, 1}}));
}

TEST_F(ClientTest, ConcurrentRequestsEachGetAConnection) {
  Gate gate(io_.get_executor());
  auto& server = serve([&gate](TlsServer& s, TlsServer::Peer& peer) -> asio::awaitable<void> {
    while (co_await s.read(peer)) {
      co_await gate.wait();  // nobody is answered before all three requests arrived
      co_await TlsServer::send(peer, TlsServer::answer(200, "{}"));
    }
  });
  auto client = client_for(server);
  std::vector<std::shared_ptr<Started<Result<Response>>>> calls;
  for (int i = 0; i < 3; ++i) calls.push_back(start(io_, client->request(Verb::kGet, "/version")));
  ASSERT_TRUE(run_until(io_, [&] { return server.requests.size() == 3; }));
  EXPECT_EQ(server.accepted(), 3);
  gate.open();
  for (auto& call : calls) {
    auto response = finish(io_, call);
    ASSERT_TRUE(response) << response.error().message();
    EXPECT_EQ(response.value().status, 200u);
  }
  EXPECT_EQ(client->connection_counts().idle, 3u);
  ASSERT_TRUE(get(*client));  // from the pool
  EXPECT_EQ(server.accepted(), 3);
}

// The first connection answers once, then reads the next request and closes without an answer
// (the server dropped a kept-alive connection just as the request arrived).
TlsServer::Script answer_once_then_drop() {
  return [](TlsServer& s, TlsServer::Peer& peer) -> asio::awaitable<void> {
    while (co_await s.read(peer)) {
      if (peer.index == 0 && s.requests.size() > 1) co_return TlsServer::close(peer);
      co_await TlsServer::send(peer, TlsServer::answer(200, "{}"));
    }
  };
}

TEST_F(ClientTest, AGetIsSentAgainWhenAPooledConnectionDiesUnanswered) {
  auto& server = serve(answer_once_then_drop());
  auto client = client_for(server);
  ASSERT_TRUE(get(*client));
  auto again = get(*client);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again.value().status, 200u);
  EXPECT_EQ(server.accepted(), 2);
  EXPECT_EQ(client->connection_counts().retried, 1u);
}

TEST_F(ClientTest, APostThatMayHaveArrivedIsNotSentAgain) {
  auto& server = serve(answer_once_then_drop());
  auto client = client_for(server);
  ASSERT_TRUE(get(*client));
  auto post = run_coroutine(io_, client->request(Verb::kPost, "/api/v1/namespaces", "{}"));
  ASSERT_FALSE(post);
  EXPECT_EQ(post.error().code(), make_error_code(Errc::kIoError));
  EXPECT_NE(post.error().message().find("POST /api/v1/namespaces: reading the answer"),
            std::string::npos)
      << post.error().message();
  EXPECT_EQ(server.accepted(), 1);
  EXPECT_EQ(client->connection_counts().retried, 0u);
  EXPECT_EQ((client->request_counts()),
            (RequestCounts{{{"GET", "200"}, 1}, {{"POST", "<error>"}, 1}}));
}

TEST_F(ClientTest, APooledConnectionTheServerClosedIsReplacedBeforeUse) {
  auto& server = serve([](TlsServer& s, TlsServer::Peer& peer) -> asio::awaitable<void> {
    if (!co_await s.read(peer)) co_return;
    co_await TlsServer::send(peer, TlsServer::answer(200, "{}"));  // keep-alive, then closes
    TlsServer::close(peer);
  });
  auto client = client_for(server);
  ASSERT_TRUE(get(*client));
  ASSERT_EQ(client->connection_counts().idle, 1u);
  auto post = run_coroutine(io_, client->request(Verb::kPost, "/api/v1/namespaces", "{}"));
  ASSERT_TRUE(post) << post.error().message();  // a POST too: it never met the dead connection
  EXPECT_EQ(server.accepted(), 2);
  EXPECT_EQ(client->connection_counts().retried, 0u);
}

TEST_F(ClientTest, ARequestTimesOutOnTheClock) {
  auto& server = serve({}, /*tls=*/false);  // accepts, never completes a handshake
  ClientOptions options;
  options.request_timeout = std::chrono::seconds(30);
  auto client = client_for(server, options);
  const auto call = start(io_, client->request(Verb::kGet, "/version"));
  ASSERT_TRUE(run_until(io_, [&] { return server.accepted() == 1; }));
  clock_.advance(std::chrono::seconds(30) - std::chrono::milliseconds(1));
  io_.poll();
  EXPECT_FALSE(call->done()) << "ended before its timeout";
  clock_.advance(std::chrono::milliseconds(1));
  auto result = finish(io_, call);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), make_error_code(Errc::kTimedOut));
  EXPECT_EQ(result.error().message(), "cannot reach the API server at https://127.0.0.1:" +
                                          std::to_string(server.port()) + ": no answer within 30s");
  EXPECT_EQ(clock_.pending(), 0u);
  EXPECT_EQ((client->request_counts()), (RequestCounts{{{"GET", "<error>"}, 1}}));
}

TEST_F(ClientTest, ARequestIsCancelledThroughItsCoroutine) {
  auto& server = serve({}, /*tls=*/false);
  auto client = client_for(server);
  asio::cancellation_signal cancel;
  const auto call = start(io_, client->request(Verb::kGet, "/version"), cancel.slot());
  ASSERT_TRUE(run_until(io_, [&] { return server.accepted() == 1; }));
  cancel.emit(asio::cancellation_type::terminal);
  auto result = finish(io_, call);
  ASSERT_FALSE(result);
  EXPECT_TRUE(is_cancelled(result.error())) << result.error().message();
  EXPECT_EQ(clock_.pending(), 0u);
  ASSERT_TRUE(run_until(io_, [&] { return server.closed_by_client == 1; }));

  // The same when the caller's coroutine does not throw on cancellation.
  auto quiet = [&]() -> asio::awaitable<Result<Response>> {
    co_await asio::this_coro::throw_if_cancelled(false);
    co_return co_await client->request(Verb::kGet, "/version");
  };
  const auto second = start(io_, quiet(), cancel.slot());
  ASSERT_TRUE(run_until(io_, [&] { return server.accepted() == 2; }));
  cancel.emit(asio::cancellation_type::terminal);
  auto quiet_result = finish(io_, second);
  ASSERT_FALSE(quiet_result);
  EXPECT_TRUE(is_cancelled(quiet_result.error())) << quiet_result.error().message();
  EXPECT_EQ(clock_.pending(), 0u);
}

TEST_F(ClientTest, ARefusedConnectionSaysWhere) {
  asio::io_context other;
  tcp::acceptor probe(other, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = probe.local_endpoint().port();
  probe.close();
  Access access;
  access.server_host = "127.0.0.1";
  access.port = port;
  auto client = Client::create(io_.get_executor(), clock_, access).value();
  auto result = get(*client);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), make_error_code(Errc::kIoError));
  const auto where = "127.0.0.1:" + std::to_string(port);
  EXPECT_EQ(result.error().message(), "cannot reach the API server at https://" + where +
                                          ": connect to " + where + ": Connection refused");
}

TEST_F(ClientTest, AServerTheCaDidNotSignIsRefused) {
  auto& server = serve(answer_all());
  auto access = access_for(server);
  access.ca_pem = TestPki::get().other_ca_pem;
  auto client = Client::create(io_.get_executor(), clock_, access).value();
  auto result = get(*client);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message().find("TLS handshake: certificate verify failed"),
            std::string::npos)
      << result.error().message();
  EXPECT_NE(result.error().message().find("(is the CA right?)"), std::string::npos);
  EXPECT_TRUE(server.requests.empty());
}

TEST_F(ClientTest, TheServerNameIsVerified) {
  auto& server = serve(answer_all());
  auto access = access_for(server);
  access.tls_server_name = "kubernetes.example";  // not in the certificate
  auto wrong = Client::create(io_.get_executor(), clock_, access).value();
  auto refused = get(*wrong);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("not valid for kubernetes.example"), std::string::npos)
      << refused.error().message();
  access.tls_server_name = "localhost";  // in the certificate
  auto right = Client::create(io_.get_executor(), clock_, access).value();
  EXPECT_TRUE(get(*right));
  access.tls_server_name = "kubernetes.example";
  access.insecure_skip_tls_verify = true;
  access.ca_pem.clear();
  auto insecure = Client::create(io_.get_executor(), clock_, access).value();
  EXPECT_TRUE(get(*insecure));
}

TEST_F(ClientTest, ABodyOverTheLimitIsRefused) {
  const std::string big(2000, 'x');
  auto& server = serve([big](TlsServer& s, TlsServer::Peer& peer) -> asio::awaitable<void> {
    while (co_await s.read(peer)) {
      if (s.requests.size() == 1) {
        co_await TlsServer::send(peer, TlsServer::answer(200, big));
      } else {  // chunked: no length announced
        co_await TlsServer::send(peer, std::string(TlsServer::kStreamHeader) +
                                           TlsServer::chunk(big) + TlsServer::chunk(""));
      }
    }
  });
  ClientOptions options;
  options.max_body_bytes = 1999;
  auto client = client_for(server, options);
  for (int i = 0; i < 2; ++i) {
    auto result = get(*client);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code(), make_error_code(Errc::kExhausted));
    EXPECT_NE(result.error().message().find("limit of 1999"), std::string::npos);
  }
  options.max_body_bytes = 2000;
  auto enough = client_for(server, options);
  auto fits = get(*enough);  // a new connection: the third request, chunked
  ASSERT_TRUE(fits) << fits.error().message();
  EXPECT_EQ(fits.value().body, big);
}

TEST_F(ClientTest, RefusesTargetsThatAreNotPaths) {
  auto& server = serve(answer_all());
  auto client = client_for(server);
  for (const std::string target : {"api/v1", "/a b", "/a\r\nX-Injected: 1", ""}) {
    auto result = get(*client, target);
    ASSERT_FALSE(result) << target;
    EXPECT_EQ(result.error().code(), make_error_code(Errc::kInvalidArgument));
  }
  EXPECT_EQ(server.accepted(), 0);
}

TEST_F(ClientTest, ARotatedTokenFileIsSentOnTheNextRequest) {
  auto& server = serve(answer_all());
  TempDir dir;
  auto access = access_for(server);
  access.token_file = dir.write("token", "first\n");
  auto client = Client::create(io_.get_executor(), clock_, access).value();
  ASSERT_TRUE(get(*client));
  dir.write("token.new", "second");
  std::filesystem::rename(dir.path("token.new"), dir.path("token"));
  ASSERT_TRUE(get(*client));
  ASSERT_EQ(server.requests.size(), 2u);
  EXPECT_EQ(server.requests[0][http::field::authorization], "Bearer first");
  EXPECT_EQ(server.requests[1][http::field::authorization], "Bearer second");
  std::filesystem::remove(dir.path("token"));
  auto missing = get(*client);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("test: the token file " + dir.path("token")),
            std::string::npos)
      << missing.error().message();
}

}  // namespace
}  // namespace vipd::k8s::test
