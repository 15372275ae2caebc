#include "daemon/status_command.hpp"

#include <boost/json/parse.hpp>
#include <cstdio>

#include "admin/client.hpp"
#include "admin/render.hpp"
#include "admin/server.hpp"
#include "admin/status_query.hpp"

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
  status_->add_option("--service", service_,
                      "Only this service (NAMESPACE/NAME), or a namespace's (NAMESPACE/)");
  status_->add_option("--peer", peer_, "Only the announcements toward this peer (name or address)");
  status_
      ->add_option("--prefix", prefix_,
                   "Only what lies in this prefix, or holds this address (198.18.0.0/24, "
                   "198.18.0.7)")
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            auto prefix = admin::parse_status_prefix(value);
            return prefix ? std::string() : prefix.error().message();
          },
          "PREFIX"));
  limit_ = admin::kDefaultStatusLimit;
  status_->add_option("--offset", offset_, "Skip this many entries of each long list");
  status_
      ->add_option("--limit", limit_,
                   "Entries of each long list (services, announcements, layer 2)")
      ->check(CLI::Range(std::size_t{0}, admin::kMaxStatusLimit))
      ->capture_default_str();
}

int StatusCommand::run() const {
  admin::StatusQuery query;
  query.service = service_;
  query.peer = peer_;
  if (!prefix_.empty()) query.prefix = admin::parse_status_prefix(prefix_).value();
  query.offset = offset_;
  query.limit = limit_;
  const auto parameters = admin::format_status_query(query);
  const auto body =
      fetch_admin_document(admin_, parameters.empty() ? "/status" : "/status?" + parameters);
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
