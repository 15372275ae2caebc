#pragma once
// `vipd status [--admin ADDR] [--output table|json]`: asks a running daemon's admin endpoint
// for /status and prints it as tables for people, or the JSON document as received.
//
// Responsible for: the HTTP exchange (one GET, bounded by a 5 s deadline from connect to the
// last byte) and the rendering. The renderer reads the document defensively: a daemon of
// another version may add, drop or retype fields, and the command must still print what it
// understands ("-" for what is missing).
// Not responsible for: producing the document (the daemon's wiring does, served by
// admin_server.hpp).
// Exit codes: 0 printed, 1 endpoint unreachable or its answer unusable, 2 usage error (the
// caller maps CLI11's parse errors to 2).
// Thread: the calling thread; the exchange runs on a private io_context.

#include <CLI/CLI.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <string>
#include <string_view>

#include "common/result.hpp"

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
};

inline constexpr std::chrono::milliseconds kStatusTimeout{5000};

// GET `path` from the admin endpoint at `address` ("127.0.0.1:7473", "[::1]:7473") and return
// the body of a 200 answer. Errors read as one line for people, for example "cannot reach the
// admin endpoint at 127.0.0.1:7473: Connection refused (is vipd running? use --admin)".
Result<std::string> fetch_admin_document(std::string_view address, std::string_view path,
                                         std::chrono::milliseconds timeout = kStatusTimeout);

// The /status document as plain-text tables: a header (node, mode, version, readiness,
// configuration), then PEERS, SERVICES, ANNOUNCEMENTS and POOLS. Columns are aligned with
// spaces, no colours; control characters in the document are shown escaped. Pure.
std::string render_status(const boost::json::value& status);

}  // namespace vipd::daemon
