#pragma once
// The fixture of the tests against the test API server: a real io_context and the real clock
// (the server runs in real time), clients built from the admin kubeconfig the server writes.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <memory>

#include "common/timer.hpp"
#include "k8s/access.hpp"
#include "k8s/client.hpp"
#include "k8s/tests/api_server.hpp"
#include "k8s/tests/support.hpp"

namespace vipd::k8s::test {

class ServerTest : public ::testing::Test {
 protected:
  Access admin_access(const ApiServer& server) const {
    auto access = from_kubeconfig(server.kubeconfig());
    EXPECT_TRUE(access) << access.error().message();
    return access.value();
  }
  std::unique_ptr<Client> client_for(Access access, ClientOptions options = {}) {
    auto client = Client::create(io_.get_executor(), clock_, std::move(access), options);
    EXPECT_TRUE(client) << client.error().message();
    return std::move(client).value();
  }
  Result<Response> call(Client& client, Verb verb, std::string target, std::string body = {}) {
    return run_coroutine(io_, client.request(verb, std::move(target), std::move(body)));
  }
  // The "metadata.name" of every item of a list body.
  static std::vector<std::string> names(const std::string& list) {
    std::vector<std::string> out;
    const auto parsed = boost::json::parse(list);
    for (const auto& item : parsed.at("items").as_array()) {
      out.emplace_back(item.at("metadata").at("name").as_string());
    }
    return out;
  }
  static std::string configmap(const std::string& name) {
    return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name +
           R"("},"data":{"k":"v"}})";
  }

  SteadyTimerClock clock_;
  asio::io_context io_;
};

// Collects "TYPE name" of each event a watch delivers.
struct Events {
  std::vector<std::string> seen;
  WatchHandler handler() {
    return [this](WatchEvent event) {
      const auto* metadata = event.object.if_contains("metadata");
      const auto* name = metadata ? metadata->as_object().if_contains("name") : nullptr;
      seen.push_back(event.type + " " + (name ? std::string(name->as_string()) : std::string()));
    };
  }
  bool contains(const std::string& event) const {
    return std::find(seen.begin(), seen.end(), event) != seen.end();
  }
};

}  // namespace vipd::k8s::test
