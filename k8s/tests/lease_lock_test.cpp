// LeaseLock against a scripted TLS server, on the fake clock: the requests it sends (paths,
// verbs, bodies with the resourceVersion read), a renewal the server never answers (abandoned
// after the request timeout; the leader stops at its renew deadline, not before, while the
// request still hangs), and a stop() whose release is never answered (it returns after the
// release timeout).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <memory>
#include <string>
#include <vector>

#include "k8s/lease_lock.hpp"
#include "k8s/tests/client_fixture.hpp"

namespace vipd::k8s::test {
namespace {

constexpr const char* kPath = "/apis/coordination.k8s.io/v1/namespaces/vipd/leases/controller";

std::string lease_json(const std::string& holder, const std::string& version) {
  return R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"controller",)"
         R"("namespace":"vipd","resourceVersion":")" +
         version + R"(","labels":{"app":"vipd"}},"spec":{"holderIdentity":")" + holder +
         R"(","leaseDurationSeconds":15,"acquireTime":"2026-03-02T10:15:00.000000Z",)"
         R"("renewTime":"2026-03-02T10:15:00.000000Z","leaseTransitions":0}})";
}

// GET: 404 until created, then the Lease; POST: 201; PUT: answered while `answer_puts`, else
// never (the connection is held until the client gives up on it).
struct FakeApi {
  bool exists = false;
  bool answer_puts = true;
  int version = 0;

  TlsServer::Script script() {
    return [this](TlsServer& server, TlsServer::Peer& peer) -> asio::awaitable<void> {
      while (co_await server.read(peer)) {
        const auto& request = server.requests.back();
        std::string reply;
        if (request.method() == http::verb::get) {
          reply = exists ? TlsServer::answer(200, lease_json("a", std::to_string(version)))
                         : TlsServer::answer(404, R"({"kind":"Status","code":404})");
        } else if (request.method() == http::verb::post) {
          exists = true;
          reply = TlsServer::answer(201, lease_json("a", std::to_string(++version)));
        } else if (answer_puts) {
          reply = TlsServer::answer(200, lease_json("a", std::to_string(++version)));
        } else {
          co_await server.until_client_closes(peer);
          co_return;
        }
        if (!co_await TlsServer::send(peer, reply)) co_return;
      }
    };
  }
};

class LeaseLockTest : public ClientTest {
 protected:
  LeaseLock& make(TlsServer& server) {
    client_ = client_for(server);
    LeaseLockOptions options;
    options.lease_namespace = "vipd";
    options.lease_name = "controller";
    options.election.identity = "a";
    options.request_timeout = 4s;
    options.release_timeout = 5s;
    options.wall_clock = [] { return MicroTime{} + 1h; };
    auto created = LeaseLock::create(
        io_.get_executor(), *client_, clock_, std::move(options),
        LeaseLockCallbacks{.on_started_leading = [this] { ++started_; },
                           .on_stopped_leading = [this](StopReason r) { stopped_.push_back(r); }});
    EXPECT_TRUE(created) << created.error().message();
    lock_ = std::move(created).value();
    return *lock_;
  }
  // Moves the fake clock by `by` in 100 ms steps, letting the io_context catch up at each.
  void pass(Clock::duration by) {
    for (auto done = Clock::duration::zero(); done < by; done += 100ms) {
      clock_.advance(100ms);
      settle();
    }
  }
  void settle() {
    for (int i = 0; i < 1000 && io_.poll() > 0; ++i) io_.restart();
    io_.restart();
  }

  std::unique_ptr<Client> client_;
  std::unique_ptr<LeaseLock> lock_;
  int started_ = 0;
  std::vector<StopReason> stopped_;
};

TEST_F(LeaseLockTest, CreatesRenewsWithTheVersionItReadAndKeepsLabels) {
  FakeApi api;
  auto& server = serve(api.script());
  auto& lock = make(server);
  lock.start();
  ASSERT_TRUE(run_until(io_, [&] { return lock.leading(); }));
  ASSERT_EQ(server.requests.size(), 2u);
  EXPECT_EQ(server.requests[0].method(), http::verb::get);
  EXPECT_EQ(server.requests[0].target(), kPath);
  EXPECT_EQ(server.requests[1].method(), http::verb::post);
  EXPECT_EQ(server.requests[1].target(), "/apis/coordination.k8s.io/v1/namespaces/vipd/leases");
  const auto created = boost::json::parse(server.requests[1].body());
  EXPECT_EQ(created.at("kind"), "Lease");
  EXPECT_EQ(created.at("metadata").at("name"), "controller");
  EXPECT_FALSE(created.at("metadata").as_object().contains("resourceVersion"));
  EXPECT_EQ(created.at("spec").at("holderIdentity"), "a");
  EXPECT_EQ(created.at("spec").at("leaseDurationSeconds"), 15);
  EXPECT_EQ(created.at("spec").at("renewTime"), "1970-01-01T01:00:00.000000Z");
  EXPECT_EQ(started_, 1);
  // A renewal every retry period (2 s), a PUT on the version last written.
  pass(2s);
  ASSERT_TRUE(run_until(io_, [&] { return server.requests.size() == 3; }));
  EXPECT_EQ(server.requests[2].method(), http::verb::put);
  EXPECT_EQ(server.requests[2].target(), kPath);
  const auto renewed = boost::json::parse(server.requests[2].body());
  EXPECT_EQ(renewed.at("metadata").at("resourceVersion"), "1");
  EXPECT_EQ(renewed.at("metadata").at("labels").at("app"), "vipd");
  EXPECT_EQ(lock.counts().writes, 2u);
}

TEST_F(LeaseLockTest, AHangingRenewalIsAbandonedAndTheLeaderStopsAtItsDeadline) {
  FakeApi api;
  auto& server = serve(api.script());
  auto& lock = make(server);
  lock.start();
  ASSERT_TRUE(run_until(io_, [&] { return lock.leading(); }));  // the create was sent at 0 s
  api.answer_puts = false;
  pass(2s);  // the first renewal: it hangs
  ASSERT_TRUE(run_until(io_, [&] { return server.requests.size() == 3; }));
  pass(3900ms);
  EXPECT_EQ(lock.counts().failures, 0u);
  pass(200ms);  // 4 s after it was sent: abandoned, then a GET (answered) and another PUT
  EXPECT_EQ(lock.counts().failures, 1u);
  ASSERT_TRUE(run_until(io_, [&] { return server.requests.size() == 5; }));
  EXPECT_EQ(server.requests[3].method(), http::verb::get);
  EXPECT_EQ(server.requests[4].method(), http::verb::put);
  EXPECT_TRUE(lock.leading());
  // Leading until 10 s after the create was sent, with a renewal hanging at that moment.
  pass(3700ms);  // 9.8 s
  EXPECT_TRUE(lock.leading());
  EXPECT_TRUE(stopped_.empty());
  pass(300ms);  // 10.1 s
  EXPECT_FALSE(lock.leading());
  EXPECT_EQ(stopped_, std::vector<StopReason>{StopReason::kRenewDeadline});
}

TEST_F(LeaseLockTest, StopReturnsAfterTheReleaseTimeoutWhenTheReleaseHangs) {
  FakeApi api;
  auto& server = serve(api.script());
  auto& lock = make(server);
  lock.start();
  ASSERT_TRUE(run_until(io_, [&] { return lock.leading(); }));
  api.answer_puts = false;
  auto done = std::make_shared<bool>(false);
  asio::co_spawn(io_, lock.stop(), [done](std::exception_ptr) { *done = true; });
  ASSERT_TRUE(run_until(io_, [&] { return server.requests.size() == 3; }));
  EXPECT_EQ(stopped_, std::vector<StopReason>{StopReason::kStopped});
  EXPECT_FALSE(lock.leading());
  const auto release = boost::json::parse(server.requests[2].body());
  EXPECT_EQ(server.requests[2].method(), http::verb::put);
  EXPECT_EQ(release.at("spec").at("holderIdentity"), "");
  EXPECT_EQ(release.at("spec").at("leaseDurationSeconds"), 1);
  EXPECT_EQ(release.at("metadata").at("resourceVersion"), "1");
  pass(4900ms);
  EXPECT_FALSE(*done);
  pass(200ms);
  EXPECT_TRUE(*done);
  EXPECT_TRUE(lock.stopped());
  settle();
}

TEST_F(LeaseLockTest, DestroyedWithoutStopItReleasesNothing) {
  FakeApi api;
  auto& server = serve(api.script());
  auto& lock = make(server);
  lock.start();
  ASSERT_TRUE(run_until(io_, [&] { return lock.leading(); }));
  lock_.reset();
  pass(5s);
  EXPECT_EQ(server.requests.size(), 2u);  // the GET and the create, nothing after
  EXPECT_TRUE(stopped_.empty());          // a dead process calls nothing
}

TEST(LeaseLockCreateTest, RefusesBadNamesAndTimings) {
  testing::FakeTimerClock clock;
  asio::io_context io;
  Access access;
  access.server_host = "127.0.0.1";
  access.token = "t";
  auto client = Client::create(io.get_executor(), clock, access);
  ASSERT_TRUE(client) << client.error().message();
  const auto create = [&](std::string ns, std::string name, Clock::duration renew) {
    LeaseLockOptions options;
    options.lease_namespace = std::move(ns);
    options.lease_name = std::move(name);
    options.election.identity = "a";
    options.election.renew_deadline = renew;
    return LeaseLock::create(io.get_executor(), *client.value(), clock, options, {});
  };
  EXPECT_TRUE(create("vipd", "vipd-controller.lock", 10s));
  EXPECT_FALSE(create("vipd", "a/b", 10s));
  EXPECT_FALSE(create("vipd", "", 10s));
  EXPECT_FALSE(create("Vipd", "x", 10s));
  EXPECT_FALSE(create("a.b", "x", 10s));
  EXPECT_FALSE(create("vipd", "x", 15s));
}

}  // namespace
}  // namespace vipd::k8s::test
