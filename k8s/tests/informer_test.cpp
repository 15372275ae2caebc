// Informers, writes and Events against the test API server (integration/k8s_api_server.py):
// the cache converges after dropped watches without a relist, after compaction and after a
// server restart with a relist that loses and repeats no change; 409s are retried; repeated
// Events become a series.
#include "k8s/informer.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <map>
#include <random>
#include <set>

#include "k8s/event_recorder.hpp"
#include "k8s/tests/server_fixture.hpp"
#include "k8s/writer.hpp"

namespace vipd::k8s::test {
namespace {

using namespace std::chrono_literals;

const std::string kPath = "/api/v1/namespaces/default/configmaps";

// The projection of these tests: a ConfigMap's data.v.
struct Value {
  std::string v;
  friend bool operator==(const Value&, const Value&) = default;
};

Result<Value> decode_value(const boost::json::object& o) {
  const auto* data = o.if_contains("data");
  const auto* v = data && data->is_object() ? data->get_object().if_contains("v") : nullptr;
  if (v != nullptr && !v->is_string()) return failure(Errc::kInvalidArgument, "data.v: not text");
  return Value{v ? std::string(v->get_string()) : std::string()};
}

std::string value_map(const std::string& name, const std::string& value) {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name +
         R"("},"data":{"v":")" + value + R"("}})";
}

// What the callbacks said, applied to a map of its own; any add of a known key or delete of an
// unknown one (a repeated or lost change) is counted as a fault.
struct Mirror {
  std::map<std::string, Value> items;
  int faults = 0;
  int synced = 0;
  Informer<Value>::Handlers handlers() {
    return {[this](const std::string& k, const Value& v) {
              faults += items.contains(k);
              items[k] = v;
            },
            [this](const std::string& k, const Value& before, const Value& now) {
              faults += !items.contains(k) || !(items[k] == before);
              items[k] = now;
            },
            [this](const std::string& k, const Value&) { faults += items.erase(k) != 1; },
            [](const std::string&, const Error&) {}, [this] { ++synced; }};
  }
};

class InformerTest : public ServerTest {
 protected:
  // The server's ConfigMaps in default that the test made ("c-..."), as key → value.
  std::map<std::string, Value> server_state(Client& client) {
    std::map<std::string, Value> out;
    auto r = call(client, Verb::kGet, kPath);
    EXPECT_TRUE(r && r.value().ok());
    if (!r || !r.value().ok()) return out;
    const auto list = boost::json::parse(r.value().body);  // alive for the whole loop
    for (const auto& item : list.at("items").as_array()) {
      const auto name = std::string(item.at("metadata").at("name").as_string());
      if (name.rfind("c-", 0) == 0) out["default/" + name] = decode_value(item.as_object()).value();
    }
    return out;
  }
  static std::map<std::string, Value> ours(const std::map<std::string, Value>& items) {
    std::map<std::string, Value> out;
    for (const auto& [k, v] : items) {
      if (k.rfind("default/c-", 0) == 0) out[k] = v;
    }
    return out;
  }

  // `count` random creates, updates and deletes of c-0 … c-19, `pause` apart. (An int result:
  // the test helpers run coroutines that return a value.)
  asio::awaitable<int> churn(Client& client, int count, Clock::duration pause, unsigned seed) {
    std::mt19937 rng(seed);
    std::set<int> live;
    for (int i = 0; i < count; ++i) {
      const int n = static_cast<int>(rng() % 20);
      const std::string name = "c-" + std::to_string(n);
      if (!live.contains(n)) {
        co_await client.request(Verb::kPost, kPath, value_map(name, std::to_string(i)));
        live.insert(n);
      } else if (rng() % 3 == 0) {
        co_await client.request(Verb::kDelete, kPath + "/" + name);
        live.erase(n);
      } else {
        boost::json::object patch{{"data", boost::json::object{{"v", std::to_string(i)}}}};
        co_await client.request(Verb::kPatch, kPath + "/" + name, boost::json::serialize(patch),
                                "application/merge-patch+json");
      }
      if (pause.count() > 0) co_await sleep_for(clock_, pause);
    }
    co_return count;
  }

  // Changes made on a loop of their own while io_ (and so the informer) is not run at all: the
  // informer falls behind by exactly these changes.
  void churn_while_away(const Access& access, int count, Clock::duration pause, unsigned seed) {
    asio::io_context other;
    auto client = Client::create(other.get_executor(), clock_, access);
    ASSERT_TRUE(client) << client.error().message();
    run_coroutine(other, churn(*client.value(), count, pause, seed));
  }

  void expect_converged(Client& client, Informer<Value>& informer, Mirror& mirror) {
    std::map<std::string, Value> want;
    const bool converged = run_until(
        io_,
        [&] {
          want = server_state(client);
          return ours(mirror.items) == want && ours(informer_items(informer)) == want;
        },
        30s);
    EXPECT_TRUE(converged) << "cache " << ours(mirror.items).size() << " vs server " << want.size();
    EXPECT_EQ(mirror.faults, 0);
  }
  static std::map<std::string, Value> informer_items(const Informer<Value>& informer) {
    std::map<std::string, Value> out;
    for (const auto& [k, e] : informer.items()) out[k] = e.value;
    return out;
  }
};

TEST_F(InformerTest, DroppedWatchesResumeWithoutARelist) {
  TempDir dir;
  ApiServer server(dir.path("server"), {.drop_watches_every = 0.3});
  auto client = client_for(admin_access(server));
  Mirror mirror;
  Informer<Value> informer(io_.get_executor(), *client, clock_, {kPath}, decode_value,
                           mirror.handlers());
  informer.start();
  ASSERT_TRUE(run_until(io_, [&] { return informer.synced(); }));
  run_coroutine(io_, churn(*client, 80, 30ms, 1));
  expect_converged(*client, informer, mirror);
  EXPECT_EQ(informer.counts().lists, 1u);
  EXPECT_EQ(informer.counts().relists, 0u);
  EXPECT_GE(informer.counts().watch_restarts, 3u);  // ~2.4 s of churn, a drop every 0.3 s
  informer.stop();
}

TEST_F(InformerTest, CompactionMeansARelistThatLosesAndRepeatsNothing) {
  TempDir dir;
  // A history of two events, and watches dropped every 0.3 s: while the informer is away the
  // server drops its watch, and the version it resumes from is long gone.
  ApiServer server(dir.path("server"), {.compact_every = 2, .drop_watches_every = 0.3});
  const auto access = admin_access(server);
  auto client = client_for(access);
  Mirror mirror;
  Informer<Value> informer(io_.get_executor(), *client, clock_, {kPath}, decode_value,
                           mirror.handlers());
  informer.start();
  ASSERT_TRUE(run_until(io_, [&] { return informer.synced(); }));
  churn_while_away(access, 100, 10ms, 2);
  expect_converged(*client, informer, mirror);
  EXPECT_GE(informer.counts().relists, 1u);
  EXPECT_EQ(mirror.synced, static_cast<int>(informer.counts().lists));
  informer.stop();
}

TEST_F(InformerTest, AServerRestartIsFollowed) {
  TempDir dir;
  auto server = std::make_unique<ApiServer>(dir.path("server"));
  const auto port = server->port();
  const auto access = admin_access(*server);
  auto client = client_for(access);
  run_coroutine(io_, churn(*client, 20, 0ms, 3));
  Mirror mirror;
  Informer<Value> informer(io_.get_executor(), *client, clock_, {kPath}, decode_value,
                           mirror.handlers(), {.backoff_initial = 100ms, .backoff_max = 500ms});
  informer.start();
  ASSERT_TRUE(run_until(io_, [&] { return informer.synced(); }));
  // Restarted, and changed while the informer is away. The server kept its objects and
  // versions (the same cluster), so the informer resumes its watch from where it was — a
  // relist would only come if the version were gone (the compaction test above).
  server.reset();
  server = std::make_unique<ApiServer>(dir.path("server"), ApiServerOptions{.port = port});
  churn_while_away(access, 40, 0ms, 4);
  expect_converged(*client, informer, mirror);
  EXPECT_GE(informer.counts().watch_restarts, 1u);
  // And it keeps following: changes after the restart arrive through the watch.
  run_coroutine(io_, churn(*client, 10, 0ms, 5));
  expect_converged(*client, informer, mirror);
  informer.stop();
}

TEST_F(InformerTest, AnObjectThatStopsDecodingKeepsItsLastGoodState) {
  TempDir dir;
  ApiServer server(dir.path("server"));
  auto client = client_for(admin_access(server));
  ASSERT_TRUE(call(*client, Verb::kPost, kPath, value_map("c-bad", "good")).value().ok());
  Mirror mirror;
  std::vector<std::string> invalid;
  auto handlers = mirror.handlers();
  handlers.invalid = [&](const std::string& key, const Error&) { invalid.push_back(key); };
  Informer<Value> informer(
      io_.get_executor(), *client, clock_, {kPath},
      [](const boost::json::object& o) -> Result<Value> {
        auto v = decode_value(o);
        if (v && v.value().v == "bad") {
          return failure(Errc::kInvalidArgument, "bad");
        }
        return v;
      },
      handlers);
  informer.start();
  ASSERT_TRUE(run_until(io_, [&] { return informer.size() > 0; }));
  boost::json::object patch{{"data", boost::json::object{{"v", "bad"}}}};
  ASSERT_TRUE(run_coroutine(
      io_, client->request(Verb::kPatch, kPath + "/c-bad", boost::json::serialize(patch),
                           "application/merge-patch+json")));
  ASSERT_TRUE(run_until(io_, [&] { return !invalid.empty(); }));
  EXPECT_EQ(invalid.front(), "default/c-bad");
  ASSERT_NE(informer.get("default/c-bad"), nullptr);
  EXPECT_EQ(informer.get("default/c-bad")->v, "good");
  EXPECT_EQ(mirror.faults, 0);
  informer.stop();
}

asio::awaitable<int> increment(Writer& writer, std::string path, int times, int& failures) {
  for (int i = 0; i < times; ++i) {
    auto r = co_await writer.update(path, false, [](boost::json::object& o) -> Result<bool> {
      auto& data = o["data"].as_object();
      const int n = std::stoi(std::string(data["v"].as_string()));
      data["v"] = std::to_string(n + 1);
      return true;
    });
    if (!r) ++failures;
  }
  co_return times;
}

TEST_F(InformerTest, ConcurrentUpdatesRetryConflictsAndLoseNothing) {
  TempDir dir;
  ApiServer server(dir.path("server"));
  auto client = client_for(admin_access(server));
  ASSERT_TRUE(call(*client, Verb::kPost, kPath, value_map("c-n", "0")).value().ok());
  Writer first(*client, {.max_attempts = 50});
  Writer second(*client, {.max_attempts = 50});
  int failures = 0;
  auto a = start(io_, increment(first, kPath + "/c-n", 25, failures));
  auto b = start(io_, increment(second, kPath + "/c-n", 25, failures));
  finish(io_, a);
  finish(io_, b);
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(server_state(*client)["default/c-n"].v, "50");  // no increment lost
  EXPECT_GE(first.conflicts() + second.conflicts(), 1u);    // and they did collide
}

TEST_F(InformerTest, StatusWritesGoToTheSubresourceAndBoundedConflictsFail) {
  TempDir dir;
  ApiServer server(dir.path("server"));
  auto client = client_for(admin_access(server));
  const std::string services = "/api/v1/namespaces/default/services";
  ASSERT_TRUE(call(*client, Verb::kPost, services,
                   R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},)"
                   R"("spec":{"type":"LoadBalancer","ports":[{"port":80}]}})")
                  .value()
                  .ok());
  Writer writer(*client);
  auto written = run_coroutine(
      io_, writer.update(services + "/web", true, [](boost::json::object& o) -> Result<bool> {
        o["status"] = boost::json::parse(R"({"loadBalancer":{"ingress":[{"ip":"203.0.113.10"}]}})");
        o["spec"].as_object()["type"] = "NodePort";  // ignored by /status
        return true;
      }));
  ASSERT_TRUE(written) << written.error().message();
  EXPECT_EQ(written.value(), Written::kWritten);
  const auto now = boost::json::parse(call(*client, Verb::kGet, services + "/web").value().body);
  EXPECT_EQ(now.at("status").at("loadBalancer").at("ingress").at(0).at("ip"), "203.0.113.10");
  EXPECT_EQ(now.at("spec").at("type"), "LoadBalancer");
  // Nothing to change: no write.
  auto unchanged =
      run_coroutine(io_, writer.update(services + "/web", true,
                                       [](boost::json::object&) -> Result<bool> { return false; }));
  EXPECT_EQ(unchanged.value(), Written::kUnchanged);
  // A mutation that always collides (another write in between, every time) gives up.
  Writer once(*client, {.max_attempts = 2});
  auto conflicted =
      run_coroutine(io_, once.update(kPath + "/c-x", false,
                                     [](boost::json::object&) -> Result<bool> { return true; }));
  ASSERT_FALSE(conflicted);
  EXPECT_EQ(http_status(conflicted.error()), 404u);  // c-x does not exist: the read says so
  // Annotations by merge patch: set one, remove it.
  ASSERT_TRUE(run_coroutine(
      io_, writer.patch_annotations(services + "/web",
                                    {{"metallb.io/ip-allocated-from-pool", "public"}})));
  auto annotated = boost::json::parse(call(*client, Verb::kGet, services + "/web").value().body);
  EXPECT_EQ(annotated.at("metadata").at("annotations").at("metallb.io/ip-allocated-from-pool"),
            "public");
  ASSERT_TRUE(run_coroutine(
      io_, writer.patch_annotations(services + "/web",
                                    {{"metallb.io/ip-allocated-from-pool", std::nullopt}})));
  annotated = boost::json::parse(call(*client, Verb::kGet, services + "/web").value().body);
  const auto* annotations = annotated.at("metadata").as_object().if_contains("annotations");
  EXPECT_TRUE(annotations == nullptr ||
              !annotations->as_object().contains("metallb.io/ip-allocated-from-pool"));
}

TEST_F(InformerTest, RepeatedEventsBecomeOneSeries) {
  TempDir dir;
  ApiServer server(dir.path("server"));
  auto client = client_for(admin_access(server));
  EventRecorder recorder(io_.get_executor(), *client, clock_,
                         {.reporting_instance = "node-1", .series_refresh = 200ms});
  const ObjectReference web{"v1", "Service", "default", "web", "uid-1"};
  for (int i = 0; i < 4; ++i) {
    recorder.record(web, EventType::kWarning, "AllocationFailed", "Allocate",
                    "no available IPs in pool \"public\"");
  }
  recorder.record(web, EventType::kNormal, "IPAllocated", "Allocate",
                  "Assigned IP [\"203.0.113.10\"]");
  const ObjectReference node{"v1", "Node", "", "node-1", ""};
  recorder.record(node, EventType::kNormal, "nodeAssigned", "Announce", "announcing from node");
  std::map<std::string, boost::json::object> events;  // reason → the Event
  ASSERT_TRUE(run_until(
      io_,
      [&] {
        if (!recorder.idle()) return false;
        events.clear();
        for (const char* ns : {"default"}) {
          auto r = call(*client, Verb::kGet,
                        std::string("/apis/events.k8s.io/v1/namespaces/") + ns + "/events");
          if (!r || !r.value().ok()) return false;
          const auto list = boost::json::parse(r.value().body);
          for (const auto& e : list.at("items").as_array()) {
            events[std::string(e.at("reason").as_string())] = e.as_object();
          }
        }
        const auto it = events.find("AllocationFailed");
        return events.size() == 3 && it != events.end() && it->second.contains("series") &&
               it->second.at("series").at("count") == 4;
      },
      20s))
      << events.size();
  const auto& failed = events["AllocationFailed"];
  EXPECT_EQ(failed.at("type"), "Warning");
  EXPECT_EQ(failed.at("regarding").at("name"), "web");
  EXPECT_EQ(failed.at("reportingController"), "vipd.io/controller");
  EXPECT_EQ(failed.at("reportingInstance"), "node-1");
  EXPECT_FALSE(events["IPAllocated"].contains("series"));
  EXPECT_EQ(events["nodeAssigned"].at("regarding").at("kind"), "Node");
  EXPECT_EQ(recorder.counts().created, 3u);
  EXPECT_EQ(recorder.counts().repeats, 3u);
  EXPECT_EQ(recorder.counts().failures, 0u);
  // kubectl shows them, as a user would look.
  const auto shown = server.kubectl({"get", "events", "-n", "default"});
  EXPECT_NE(shown.out.find("AllocationFailed"), std::string::npos) << shown.out;
}

}  // namespace
}  // namespace vipd::k8s::test
