#pragma once
// `vipd status [--admin ADDR] [--output table|json] [--service NS/NAME|NS/] [--peer PEER]
// [--prefix PREFIX] [--offset N] [--limit N]`: asks a running daemon's admin endpoint for
// /status with those filters and that page (admin/status_query.hpp) and prints it as tables
// for people (admin/render.hpp), or the JSON document as received.
// Exit codes: 0 printed, 1 endpoint unreachable or its answer unusable, 2 usage error (the
// caller maps CLI11's parse errors to 2).
// Thread: the calling thread.

#include <CLI/CLI.hpp>
#include <cstddef>
#include <string>

namespace vipd::daemon {

class StatusCommand {
 public:
  // Registers the `status` subcommand on `app`.
  explicit StatusCommand(CLI::App& app);

  bool selected() const { return status_->parsed(); }
  int run() const;

 private:
  CLI::App* status_ = nullptr;
  std::string admin_ = "127.0.0.1:7473";
  std::string output_ = "table";
  std::string service_;
  std::string peer_;
  std::string prefix_;
  std::size_t offset_ = 0;
  std::size_t limit_ = 0;  // set from admin::kDefaultStatusLimit
};

}  // namespace vipd::daemon
