// Watches against the test Kubernetes API server: events made with kubectl while the watch
// runs, a watch the server drops (it ends cleanly), and a watch from a compacted
// resourceVersion (410, told apart from other failures).
#include <gtest/gtest.h>

#include "k8s/tests/server_fixture.hpp"

namespace vipd::k8s::test {
namespace {

std::string list_version(const Response& list) {
  return std::string(
      boost::json::parse(list.body).at("metadata").at("resourceVersion").as_string());
}

TEST_F(ServerTest, AWatchDeliversEventsMadeWithKubectl) {
  TempDir dir;
  ApiServer server(dir.path("data"));
  ASSERT_EQ(server.kubectl({"create", "namespace", "w1"}).status, 0);
  auto client = client_for(admin_access(server));
  auto list = call(*client, Verb::kGet, "/api/v1/namespaces/w1/configmaps");
  ASSERT_TRUE(list) << list.error().message();
  const auto version = list_version(list.value());

  Events events;
  asio::cancellation_signal stop;
  const auto watch = start(io_,
                           client->watch("/api/v1/namespaces/w1/configmaps?watch=1&"
                                         "allowWatchBookmarks=true&resourceVersion=" +
                                             version,
                                         events.handler()),
                           stop.slot());
  ASSERT_EQ(server.kubectl({"create", "configmap", "one", "-n", "w1"}).status, 0);
  ASSERT_TRUE(run_until(
      io_, [&] { return events.contains("ADDED one"); }, 30s))
      << ::testing::PrintToString(events.seen);
  ASSERT_EQ(server.kubectl({"label", "configmap", "one", "-n", "w1", "x=y"}).status, 0);
  ASSERT_EQ(server.kubectl({"delete", "configmap", "one", "-n", "w1"}).status, 0);
  ASSERT_TRUE(run_until(
      io_, [&] { return events.contains("DELETED one"); }, 30s))
      << ::testing::PrintToString(events.seen);
  std::vector<std::string> changes;
  for (const auto& e : events.seen) {
    if (e.rfind("BOOKMARK", 0) != 0) changes.push_back(e);
  }
  EXPECT_EQ(changes, (std::vector<std::string>{"ADDED one", "MODIFIED one", "DELETED one"}));

  // The watch runs until stopped; requests on the same client go on meanwhile.
  EXPECT_FALSE(watch->done());
  ASSERT_EQ(call(*client, Verb::kGet, "/version").value().status, 200u);
  stop.emit(asio::cancellation_type::terminal);
  auto ended = finish(io_, watch);
  ASSERT_FALSE(ended);
  EXPECT_TRUE(is_cancelled(ended.error())) << ended.error().message();
}

TEST_F(ServerTest, AWatchThatTimesOutKeepsItsConnectionForTheNextRequest) {
  TempDir dir;
  ApiServer server(dir.path("data"));
  auto client = client_for(admin_access(server));
  Events events;
  auto ended =
      run_coroutine(io_,
                    client->watch("/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1",
                                  events.handler()),
                    15s);
  ASSERT_TRUE(ended) << ended.error().message();
  EXPECT_EQ(client->connection_counts().idle, 1u);
  ASSERT_EQ(call(*client, Verb::kGet, "/version").value().status, 200u);
  EXPECT_EQ(client->connection_counts().opened, 1u);
  EXPECT_EQ(client->connection_counts().reused, 1u);
}

class ForgetfulServer : public ServerTest {
 protected:
  // Ends every watch each second; keeps the last 3 events only.
  ForgetfulServer() : server_(dir_.path("data"), {.compact_every = 3, .drop_watches_every = 1}) {}
  TempDir dir_;
  ApiServer server_;
};

TEST_F(ForgetfulServer, AWatchTheServerDropsEndsCleanly) {
  auto client = client_for(admin_access(server_));
  Events events;
  const auto started = std::chrono::steady_clock::now();
  auto ended = run_coroutine(
      io_, client->watch("/api/v1/namespaces/default/configmaps?watch=1", events.handler()), 15s);
  ASSERT_TRUE(ended) << ended.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_EQ((client->request_counts()), (RequestCounts{{{"WATCH", "200"}, 1}}));
}

TEST_F(ForgetfulServer, AWatchFromACompactedVersionIsExpired) {
  auto client = client_for(admin_access(server_));
  const std::string collection = "/api/v1/namespaces/default/configmaps";
  auto list = call(*client, Verb::kGet, collection);
  ASSERT_TRUE(list) << list.error().message();
  const auto version = list_version(list.value());
  for (int i = 0; i < 5; ++i) {
    auto created = call(*client, Verb::kPost, collection, configmap("c" + std::to_string(i)));
    ASSERT_TRUE(created) << created.error().message();
    ASSERT_EQ(created.value().status, 201u) << created.value().body;
  }
  Events events;
  auto ended = run_coroutine(
      io_, client->watch(collection + "?watch=1&resourceVersion=" + version, events.handler()));
  ASSERT_FALSE(ended);
  EXPECT_TRUE(is_expired(ended.error())) << ended.error().message();
  EXPECT_EQ(http_status(ended.error()), 410u);
  EXPECT_NE(ended.error().message().find("too old resource version"), std::string::npos)
      << ended.error().message();
  EXPECT_TRUE(events.seen.empty());

  // A list at that exact version is a real HTTP 410: an answer, not a transport error.
  auto exact = call(*client, Verb::kGet,
                    collection + "?resourceVersion=" + version + "&resourceVersionMatch=Exact");
  ASSERT_TRUE(exact) << exact.error().message();
  EXPECT_EQ(exact.value().status, 410u);
  EXPECT_TRUE(is_expired(status_error("list", exact.value().status, exact.value().body)));
}

}  // namespace
}  // namespace vipd::k8s::test
