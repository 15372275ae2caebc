// The admin endpoint's HTTP behaviour against a real client over loopback TCP. Slow, idle and
// hostile clients: hostile_clients_test.cpp.
#include "admin/server.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "admin/process_memory.hpp"
#include "admin/tests/server_fixture.hpp"

namespace vipd::admin::test {
namespace {

TEST_F(AdminServerTest, ServesEachPath) {
  start();
  auto client = connect();

  auto healthz = client->get("/healthz");
  ASSERT_FALSE(healthz.error) << healthz.error.message();
  EXPECT_EQ(healthz.response.result(), http::status::ok);
  EXPECT_EQ(healthz.response.body(), "ok\n");
  EXPECT_EQ(healthz.response[http::field::content_type], "text/plain; charset=utf-8");

  auto metrics = client->get("/metrics");
  ASSERT_FALSE(metrics.error) << metrics.error.message();
  EXPECT_EQ(metrics.response.result(), http::status::ok);
  EXPECT_EQ(metrics.response[http::field::content_type],
            "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(metrics.response.body(), metrics_text_);

  auto status = client->get("/status");
  ASSERT_FALSE(status.error) << status.error.message();
  EXPECT_EQ(status.response.result(), http::status::ok);
  EXPECT_EQ(status.response[http::field::content_type], "application/json");
  EXPECT_EQ(json::parse(status.response.body()), status_);

  // /status is given its query string; one it refuses is a 400 with the reason.
  ASSERT_FALSE(client->get("/status?service=default%2Fweb&limit=5").error);
  {
    std::lock_guard lock(query_mutex_);
    EXPECT_EQ(status_query_, "service=default%2Fweb&limit=5");
  }
  auto refused = client->get("/status?limit=x");
  ASSERT_FALSE(refused.error);
  EXPECT_EQ(refused.response.result(), http::status::bad_request);
  EXPECT_EQ(refused.response.body(), "limit: 'x' is bad\n");

  // A query string does not change the other resources.
  auto with_query = client->get("/metrics?name[]=vipd_bgp_session_up");
  ASSERT_FALSE(with_query.error);
  EXPECT_EQ(with_query.response.result(), http::status::ok);
  EXPECT_EQ(with_query.response.body(), metrics_text_);
}

TEST_F(AdminServerTest, StatusIsIndentedForPeople) {
  status_ = json::parse(R"({"a":1,"list":["x","y"],"objects":[{"b":true}],"empty":{}})");
  start();
  auto status = connect()->get("/status");
  ASSERT_FALSE(status.error);
  EXPECT_EQ(status.response.body(),
            "{\n"
            "  \"a\": 1,\n"
            "  \"list\": [\"x\", \"y\"],\n"
            "  \"objects\": [\n"
            "    {\n"
            "      \"b\": true\n"
            "    }\n"
            "  ],\n"
            "  \"empty\": {}\n"
            "}\n");
}

TEST_F(AdminServerTest, ReadinessFollowsTheHandler) {
  start();
  auto client = connect();
  auto before = client->get("/readyz");
  ASSERT_FALSE(before.error);
  EXPECT_EQ(before.response.result(), http::status::service_unavailable);
  EXPECT_EQ(before.response.body(), "not ready\n");

  ready_ = true;
  auto after = client->get("/readyz");
  ASSERT_FALSE(after.error);
  EXPECT_EQ(after.response.result(), http::status::ok);
  EXPECT_EQ(after.response.body(), "ready\n");

  ready_ = false;
  EXPECT_EQ(client->get("/readyz").response.result(), http::status::service_unavailable);
}

TEST_F(AdminServerTest, UnknownPathIsNotFound) {
  start();
  auto client = connect();
  for (const char* path : {"/", "/metricsx", "/status/peers", "/../metrics"}) {
    auto r = client->get(path);
    ASSERT_FALSE(r.error) << path << ": " << r.error.message();
    EXPECT_EQ(r.response.result(), http::status::not_found) << path;
  }
}

TEST_F(AdminServerTest, OnlyGetAndHeadAreAllowed) {
  start();
  auto client = connect();
  for (auto method :
       {http::verb::post, http::verb::put, http::verb::delete_, http::verb::options}) {
    auto r = client->request(method, "/metrics");
    ASSERT_FALSE(r.error) << r.error.message();
    EXPECT_EQ(r.response.result(), http::status::method_not_allowed);
    EXPECT_EQ(r.response[http::field::allow], "GET, HEAD");
  }
}

TEST_F(AdminServerTest, HeadGivesTheHeadersOfGetWithoutTheContent) {
  start();
  auto client = connect();
  auto head = client->request(http::verb::head, "/metrics");
  ASSERT_FALSE(head.error) << head.error.message();
  EXPECT_EQ(head.response.result(), http::status::ok);
  EXPECT_EQ(head.response[http::field::content_length], std::to_string(metrics_text_.size()));
  EXPECT_EQ(head.response[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_TRUE(head.response.body().empty());

  // Nothing followed the header: the next answer on the connection parses cleanly.
  auto get = client->get("/healthz");
  ASSERT_FALSE(get.error) << get.error.message();
  EXPECT_EQ(get.response.body(), "ok\n");
}

TEST_F(AdminServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  auto client = connect();
  auto first = client->get("/healthz");
  ASSERT_FALSE(first.error);
  EXPECT_TRUE(first.response.keep_alive());
  auto second = client->get("/metrics");
  ASSERT_FALSE(second.error) << second.error.message();
  EXPECT_EQ(second.response.body(), metrics_text_);

  // Pipelined: two requests in one write, two answers in order.
  ASSERT_FALSE(
      client->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                   "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(client->read().response.body(), "ok\n");
  EXPECT_EQ(client->read().response.body(), "not ready\n");
}

TEST_F(AdminServerTest, ConnectionCloseAndHttp10AreHonoured) {
  start();
  {
    auto client = connect();
    auto r = client->request(http::verb::get, "/healthz", /*keep_alive=*/false);
    ASSERT_FALSE(r.error);
    EXPECT_FALSE(r.response.keep_alive());
    EXPECT_TRUE(closed_by_server(client->read().error));
  }
  {
    auto client = connect();
    ASSERT_FALSE(client->send(http::verb::get, "/healthz", /*keep_alive=*/false, 10));
    auto r = client->read();
    ASSERT_FALSE(r.error);
    EXPECT_EQ(r.response.version(), 10u);
    EXPECT_EQ(r.response.body(), "ok\n");
    EXPECT_TRUE(closed_by_server(client->read().error));
  }
}

TEST_F(AdminServerTest, OversizedHeaderIsRefused) {
  start();
  auto client = connect();
  const std::string request =
      "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(16 * 1024, 'a') + "\r\n\r\n";
  ASSERT_FALSE(client->send(request));
  auto r = client->read();
  if (r.error) {
    EXPECT_TRUE(closed_by_server(r.error)) << r.error.message();
  } else {
    EXPECT_EQ(r.response.result(), http::status::request_header_fields_too_large);
    EXPECT_FALSE(r.response.keep_alive());
  }
  // The server is still there for everyone else.
  EXPECT_EQ(connect()->get("/healthz").response.result(), http::status::ok);
}

TEST_F(AdminServerTest, RequestBodiesAndGarbageAreRefused) {
  start();
  {
    auto client = connect();
    ASSERT_FALSE(
        client->send("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"));
    auto r = client->read();
    ASSERT_FALSE(r.error) << r.error.message();
    EXPECT_EQ(r.response.result(), http::status::payload_too_large);
    EXPECT_TRUE(closed_by_server(client->read().error));
  }
  {
    auto client = connect();
    ASSERT_FALSE(client->send("GET /metrics HTTX/1.1\r\n\r\n"));
    auto r = client->read();
    ASSERT_FALSE(r.error) << r.error.message();
    EXPECT_EQ(r.response.result(), http::status::bad_request);
  }
}

TEST_F(AdminServerTest, AFailingHandlerIsAnInternalError) {
  status_throws_ = true;
  start();
  auto client = connect();
  auto r = client->get("/status");
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.response.result(), http::status::internal_server_error);
  EXPECT_EQ(client->get("/healthz").response.result(), http::status::ok);
}

TEST_F(AdminServerTest, StopClosesConnectionsAndTheListener) {
  start();
  auto client = connect();
  ASSERT_EQ(client->get("/healthz").response.result(), http::status::ok);
  on_io([this] { server_->stop(); });
  EXPECT_TRUE(closed_by_server(client->read().error));
  Client late;
  EXPECT_EQ(late.connect(endpoint_), asio::error::connection_refused);
}

TEST_F(AdminServerTest, BindConflictIsAClearError) {
  start();
  const auto taken = endpoint_;
  const auto message = on_io([&] {
    AdminServer second(io_.get_executor(), taken, handlers());
    auto started = second.start();
    return started ? std::string("started") : started.error().message();
  });
  EXPECT_EQ(message,
            "admin address 127.0.0.1:" + std::to_string(taken.port()) + ": Address already in use");
}

TEST_F(AdminServerTest, ServesOnIpv6Loopback) {
  start({}, "[::1]:0");
  EXPECT_TRUE(endpoint_.address().is_v6());
  EXPECT_EQ(format_endpoint(endpoint_), "[::1]:" + std::to_string(endpoint_.port()));
  auto r = connect()->get("/healthz");
  ASSERT_FALSE(r.error) << r.error.message();
  EXPECT_EQ(r.response.body(), "ok\n");
}

TEST(AdminAddress, ParsesAddressAndPort) {
  const auto v4 = parse_admin_address("127.0.0.1:7473");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4.value(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 7473));
  const auto v6 = parse_admin_address("[2001:db8::1]:80");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6.value(), tcp::endpoint(asio::ip::make_address("2001:db8::1"), 80));
  EXPECT_EQ(format_endpoint(v6.value()), "[2001:db8::1]:80");
  EXPECT_EQ(format_endpoint(parse_admin_address(kDefaultAdminAddress).value()), "127.0.0.1:7473");
  EXPECT_TRUE(parse_admin_address("0.0.0.0:0"));

  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                          "127.0.0.1:74x", "::1:7473", "[::1]", "[::1]7473", "[127.0.0.1]:7473",
                          "localhost:7473", "192.0.2.300:1", ":7473"}) {
    const auto r = parse_admin_address(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_NE(r.error().message().find("like 127.0.0.1:7473"), std::string::npos);
    }
  }
  EXPECT_NE(parse_admin_address("::1:7473").error().message().find("brackets"), std::string::npos);
}

TEST(ProcessMemory, ReadsTheResidentSize) {
  const auto before = process_resident_memory_bytes();
  ASSERT_TRUE(before) << before.error().message();
  EXPECT_GT(before.value(), 1u << 20);

  // Touching 64 MiB makes it resident.
  std::vector<char> block(64u << 20);
  for (std::size_t i = 0; i < block.size(); i += 4096) block[i] = 1;
  const auto after = process_resident_memory_bytes();
  ASSERT_TRUE(after);
  EXPECT_GE(after.value(), before.value() + (48u << 20));
  EXPECT_EQ(block[4096], 1);
}

TEST(ProcessMemory, ParsesStatm) {
  EXPECT_EQ(parse_statm_resident_bytes("1000 250 30 10 0 400 0\n", 4096).value(), 250u * 4096);
  EXPECT_EQ(parse_statm_resident_bytes("1 2", 4096).value(), 8192u);
  EXPECT_FALSE(parse_statm_resident_bytes("", 4096));
  EXPECT_FALSE(parse_statm_resident_bytes("1000", 4096));
  EXPECT_FALSE(parse_statm_resident_bytes("1000 x 3", 4096));
  EXPECT_FALSE(parse_statm_resident_bytes("1000 12x 3", 4096));
  EXPECT_FALSE(parse_statm_resident_bytes("1 18446744073709551615 0", 4096));
}

}  // namespace
}  // namespace vipd::admin::test
