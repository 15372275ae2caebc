// Client::watch() against a scripted TLS server: events cut anywhere across chunks and TLS
// records, the end of a stream, ERROR events and refusals as HTTP codes, the idle timeout on
// the fake clock, cancellation, and streams that are not watch streams.
#include <gtest/gtest.h>

#include "k8s/tests/client_fixture.hpp"

namespace vipd::k8s::test {
namespace {

constexpr std::string_view kTarget = "/api/v1/namespaces/n/configmaps?watch=1&resourceVersion=7";

std::string event(const std::string& type, const std::string& name) {
  return R"({"type":")" + type + R"(","object":{"kind":"ConfigMap","metadata":{"name":")" + name +
         R"(","annotations":{"a":"}{\"]"}}}})";
}

const std::string kExpired =
    R"j({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 7 (12)","reason":"Expired","code":410}})j";

// Sends the stream header, then each of `pieces` as one chunk in its own write, then (if
// `end`) the terminating chunk; keeps the connection for further requests.
TlsServer::Script stream(std::vector<std::string> pieces, bool end = true) {
  return [pieces, end](TlsServer& s, TlsServer::Peer& peer) -> asio::awaitable<void> {
    if (!co_await s.read(peer)) co_return;
    if (!co_await TlsServer::send(peer, TlsServer::kStreamHeader)) co_return;
    for (const auto& piece : pieces) {
      if (!co_await TlsServer::send(peer, TlsServer::chunk(piece))) co_return;
    }
    if (!end) co_return co_await s.until_client_closes(peer);
    if (!co_await TlsServer::send(peer, TlsServer::chunk(""))) co_return;
    while (co_await s.read(peer)) co_await TlsServer::send(peer, TlsServer::answer(200, "{}"));
  };
}

class Watch : public ClientTest {
 protected:
  std::shared_ptr<Started<Result<void>>> start_watch(
      Client& client, std::optional<asio::cancellation_slot> slot = std::nullopt) {
    return start(
        io_,
        client.watch(std::string(kTarget),
                     [this](WatchEvent e) {
                       events_.push_back(
                           e.type + " " +
                           std::string(e.object["metadata"].as_object()["name"].as_string()));
                     }),
        slot);
  }
  std::vector<std::string> events_;
};

TEST_F(Watch, DeliversEventsWhereverTheStreamIsCut) {
  const auto all = event("ADDED", "a") + event("MODIFIED", "b") + "\n" + event("DELETED", "c");
  // Cuts inside a key, inside strings holding braces, one byte alone, between two events.
  std::vector<std::string> chunks;
  std::size_t at = 0;
  for (const std::size_t cut : {std::size_t{5}, std::size_t{60}, std::size_t{61}, std::size_t{130},
                                std::size_t{200}, all.size()}) {
    chunks.push_back(all.substr(at, cut - at));
    at = cut;
  }
  auto& server = serve(stream(chunks));
  auto client = client_for(server);
  auto ended = finish(io_, start_watch(*client));
  ASSERT_TRUE(ended) << ended.error().message();
  EXPECT_EQ(events_, (std::vector<std::string>{"ADDED a", "MODIFIED b", "DELETED c"}));
  EXPECT_EQ(server.requests.front().target(), kTarget);
  EXPECT_EQ((client->request_counts()), (RequestCounts{{{"WATCH", "200"}, 1}}));
  // The stream ended with its terminating chunk: the connection serves the next request.
  EXPECT_EQ(client->connection_counts().idle, 1u);
  ASSERT_TRUE(get(*client));
  EXPECT_EQ(server.accepted(), 1);
}

TEST_F(Watch, AnEventLargerThanOneReadArrivesWhole) {
  // A ConfigMap with 200 KiB of data: many times what one read of the stream takes.
  const std::string big(200 * 1024, 'x');
  const auto large = R"({"type":"ADDED","object":{"kind":"ConfigMap","metadata":{"name":"big"},)"
                     R"("data":{"config":")" +
                     big + R"("}}})";
  auto& server = serve(stream({large, event("ADDED", "after")}));
  auto client = client_for(server);
  std::vector<std::size_t> sizes;
  auto ended =
      finish(io_, start(io_, client->watch(std::string(kTarget), [&](WatchEvent e) {
               const auto* data = e.object.if_contains("data");
               sizes.push_back(data ? data->as_object().at("config").as_string().size() : 0);
             })));
  ASSERT_TRUE(ended) << ended.error().message();
  EXPECT_EQ(sizes, (std::vector<std::size_t>{big.size(), 0}));
}

TEST_F(Watch, AnErrorEventEndsTheWatchWithItsCode) {
  auto& server = serve(stream({event("ADDED", "a") + kExpired}));
  auto client = client_for(server);
  auto ended = finish(io_, start_watch(*client));
  ASSERT_FALSE(ended);
  EXPECT_TRUE(is_expired(ended.error()));
  EXPECT_EQ(http_status(ended.error()), 410u);
  EXPECT_EQ(ended.error().message(),
            "API server at https://127.0.0.1:" + std::to_string(server.port()) + ": WATCH " +
                std::string(kTarget) +
                ": the server ended the watch: HTTP 410 (Expired): too old resource version: 7 "
                "(12)");
  EXPECT_EQ(events_, (std::vector<std::string>{"ADDED a"}));
}

TEST_F(Watch, ARefusedWatchCarriesItsStatus) {
  auto& server = serve([](TlsServer& s, TlsServer::Peer& peer) -> asio::awaitable<void> {
    while (co_await s.read(peer)) {
      co_await TlsServer::send(
          peer, TlsServer::answer(403, R"({"kind":"Status","reason":"Forbidden","message":)"
                                       R"("configmaps is forbidden","code":403})"));
    }
  });
  auto client = client_for(server);
  auto ended = finish(io_, start_watch(*client));
  ASSERT_FALSE(ended);
  EXPECT_EQ(http_status(ended.error()), 403u);
  EXPECT_FALSE(is_expired(ended.error()));
  EXPECT_NE(ended.error().message().find("HTTP 403 (Forbidden): configmaps is forbidden"),
            std::string::npos);
  EXPECT_EQ((client->request_counts()), (RequestCounts{{{"WATCH", "403"}, 1}}));
}

TEST_F(Watch, ASilentStreamEndsAfterTheIdleTimeout) {
  auto& server = serve(stream({event("ADDED", "a")}, /*end=*/false));
  ClientOptions options;
  options.watch_idle_timeout = std::chrono::minutes(5);
  auto client = client_for(server, options);
  const auto watch = start_watch(*client);
  ASSERT_TRUE(run_until(io_, [&] { return events_.size() == 1; }));
  clock_.advance(std::chrono::minutes(5) - std::chrono::milliseconds(1));
  io_.poll();
  EXPECT_FALSE(watch->done()) << "ended before its idle timeout";
  clock_.advance(std::chrono::milliseconds(1));
  auto ended = finish(io_, watch);
  ASSERT_FALSE(ended);
  EXPECT_EQ(ended.error().code(), make_error_code(Errc::kTimedOut));
  EXPECT_NE(ended.error().message().find(": no data for 300s"), std::string::npos)
      << ended.error().message();
  EXPECT_EQ(clock_.pending(), 0u);
  ASSERT_TRUE(run_until(io_, [&] { return server.closed_by_client == 1; }));
  EXPECT_EQ(client->connection_counts().idle, 0u);
}

TEST_F(Watch, EndsWhenItsCoroutineLosesARace) {
  auto& server = serve(stream({event("ADDED", "a")}, /*end=*/false));
  auto client = client_for(server);
  auto race = [&]() -> asio::awaitable<int> {
    auto winner = co_await (client->watch(std::string(kTarget), [](WatchEvent) {}) ||
                            sleep_for(clock_, std::chrono::seconds(10)));
    co_return static_cast<int>(winner.index());
  };
  const auto raced = start(io_, race());
  ASSERT_TRUE(run_until(io_, [&] { return server.requests.size() == 1; }));
  clock_.advance(std::chrono::seconds(10));
  EXPECT_EQ(finish(io_, raced), 1);
  ASSERT_TRUE(run_until(io_, [&] { return server.closed_by_client == 1; }))
      << "the watch's connection stayed open";
  EXPECT_EQ(clock_.pending(), 0u);

  asio::cancellation_signal cancel;
  const auto watch = start_watch(*client, cancel.slot());
  ASSERT_TRUE(run_until(io_, [&] { return server.requests.size() == 2; }));
  cancel.emit(asio::cancellation_type::terminal);
  auto ended = finish(io_, watch);
  ASSERT_FALSE(ended);
  EXPECT_TRUE(is_cancelled(ended.error())) << ended.error().message();
}

TEST_F(Watch, AStreamCutInsideAnEventIsAnError) {
  auto& server = serve(stream({event("ADDED", "a") + event("ADDED", "b").substr(0, 20)}));
  auto client = client_for(server);
  auto ended = finish(io_, start_watch(*client));
  ASSERT_FALSE(ended);
  EXPECT_EQ(ended.error().code(), make_error_code(Errc::kProtocolError));
  EXPECT_NE(ended.error().message().find("the stream ended inside an event"), std::string::npos);
  EXPECT_EQ(events_, (std::vector<std::string>{"ADDED a"}));
}

TEST_F(Watch, AConnectionLostMidStreamIsAnError) {
  auto& server = serve([](TlsServer& s, TlsServer::Peer& peer) -> asio::awaitable<void> {
    if (!co_await s.read(peer)) co_return;
    co_await TlsServer::send(peer,
                             TlsServer::kStreamHeader + TlsServer::chunk(event("ADDED", "a")));
    TlsServer::close(peer);
  });
  auto client = client_for(server);
  auto ended = finish(io_, start_watch(*client));
  ASSERT_FALSE(ended);
  EXPECT_EQ(ended.error().code(), make_error_code(Errc::kIoError));
  EXPECT_NE(ended.error().message().find("the stream broke"), std::string::npos);
  EXPECT_EQ(events_, (std::vector<std::string>{"ADDED a"}));
}

TEST_F(Watch, ValuesThatAreNotEventsAreRefused) {
  for (const std::string bad : {R"({"kind":"ConfigMap"})", R"({"type":"ADDED","object":[]})",
                                R"({"type":"ADDED","object":{"a":1,}})", "[1,2]",
                                R"({"type":"ERROR","object":{"kind":"Other"}})"}) {
    auto& server = serve(stream({bad}));
    auto client = client_for(server);
    auto ended = finish(io_, start_watch(*client));
    ASSERT_FALSE(ended) << bad;
    EXPECT_EQ(ended.error().code(), make_error_code(Errc::kProtocolError)) << bad;
    EXPECT_NE(ended.error().message().find("WATCH /api/v1"), std::string::npos)
        << ended.error().message();
  }
}

TEST_F(Watch, AnEventOverTheLimitIsRefused) {
  auto& server = serve(stream({event("ADDED", std::string(500, 'x'))}));
  ClientOptions options;
  options.max_body_bytes = 400;
  auto client = client_for(server, options);
  auto ended = finish(io_, start_watch(*client));
  ASSERT_FALSE(ended);
  EXPECT_EQ(ended.error().code(), make_error_code(Errc::kExhausted));
}

}  // namespace
}  // namespace vipd::k8s::test
