#pragma once
// The client unit tests' fixture: real sockets and TLS on a test io_context, time from a
// FakeTimerClock (timeouts pass only when a test advances it), a scripted TlsServer.

#include <gtest/gtest.h>

#include <list>
#include <memory>
#include <optional>

#include "common/testing/fake_timer_clock.hpp"
#include "k8s/client.hpp"
#include "k8s/tests/support.hpp"
#include "k8s/tests/tls_server.hpp"

namespace vipd::k8s::test {

class ClientTest : public ::testing::Test {
 protected:
  Access access_for(const TlsServer& server) const {
    Access access;
    access.server_host = "127.0.0.1";
    access.port = server.port();
    access.ca_pem = TestPki::get().ca_pem;
    access.token = "tok";
    access.origin = "test";
    return access;
  }
  std::unique_ptr<Client> client_for(const TlsServer& server, ClientOptions options = {}) {
    auto client = Client::create(io_.get_executor(), clock_, access_for(server), options);
    EXPECT_TRUE(client) << client.error().message();
    return std::move(client).value();
  }
  TlsServer& serve(TlsServer::Script script, bool tls = true) {
    return servers_.emplace_back(io_, std::move(script), tls);  // alive until the test ends
  }
  Result<Response> get(Client& client, std::string target = "/api/v1/namespaces") {
    return run_coroutine(io_, client.request(Verb::kGet, std::move(target)));
  }

  // Declared first: destroyed after the io_context and everything on it.
  testing::FakeTimerClock clock_;
  asio::io_context io_;
  std::list<TlsServer> servers_;
};

// Answers every request on a connection with 200 and `body`, keeping it open.
inline TlsServer::Script answer_all(std::string body = R"({"kind":"NamespaceList"})") {
  return [body](TlsServer& server, TlsServer::Peer& peer) -> asio::awaitable<void> {
    while (co_await server.read(peer)) {
      if (!co_await TlsServer::send(peer, TlsServer::answer(200, body))) co_return;
    }
  };
}

}  // namespace vipd::k8s::test
