#include "daemon/status_command.hpp"

#include <boost/json/parse.hpp>
#include <cstdio>

#include "admin/client.hpp"
#include "admin/render.hpp"
#include "admin/server.hpp"

namespace vipd::daemon {

namespace json = boost::json;
using admin::fetch_admin_document;
using admin::parse_admin_address;
using admin::render_status;

StatusCommand::StatusCommand(CLI::App& app) {
  status_ = app.add_subcommand(
      "status", "Ask a running vipd for its peers, announced prefixes, services and pools");
  status_
      ->add_option("--admin", admin_,
                   "Admin address of the daemon: ADDRESS:PORT, like 127.0.0.1:7473 or [::1]:7473")
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            auto endpoint = parse_admin_address(value);
            return endpoint ? std::string() : endpoint.error().message();
          },
          "ADDRESS:PORT"))
      ->capture_default_str();
  status_->add_option("--output,-o", output_, "Output: table, or the daemon's JSON as received")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
}

int StatusCommand::run() const {
  const auto body = fetch_admin_document(admin_, "/status");
  if (!body) {
    std::fprintf(stderr, "vipd status: %s\n", body.error().message().c_str());
    return 1;
  }
  boost::system::error_code ec;
  const json::value document = json::parse(body.value(), ec);
  if (ec) {
    std::fprintf(stderr, "vipd status: the admin endpoint at %s answered with invalid JSON: %s\n",
                 admin_.c_str(), ec.message().c_str());
    return 1;
  }
  if (output_ == "json") {
    std::fputs(body.value().c_str(), stdout);
    if (!body.value().ends_with('\n')) std::fputc('\n', stdout);
  } else {
    std::fputs(render_status(document).c_str(), stdout);
  }
  return 0;
}

}  // namespace vipd::daemon
