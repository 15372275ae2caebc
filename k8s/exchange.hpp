#pragma once
// One request/answer in flight (internal to k8s/: shared by client.cpp and watch.cpp).

#include <boost/beast/http.hpp>
#include <memory>
#include <optional>
#include <string>

#include "k8s/client.hpp"
#include "k8s/connection.hpp"

namespace vipd::k8s {

struct Client::Exchange {
  Verb verb = Verb::kGet;
  std::string label;   // for counters and logs: the method, or "WATCH"
  std::string target;  // with the server's base path
  boost::beast::http::request<boost::beast::http::string_body> request;
  // Reads the answer; body bytes go wherever the reader points body().data.
  std::optional<boost::beast::http::response_parser<boost::beast::http::buffer_body>> parser;
  std::unique_ptr<Connection> connection;
  Clock::time_point started{};

  std::string what() const { return label + " " + target; }
};

// "30s", "250ms": how long a timeout was, for messages.
std::string describe(Clock::duration duration);

}  // namespace vipd::k8s
