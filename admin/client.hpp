#pragma once
// The `vipd status` client: one GET to a running daemon's admin endpoint.
//
// Responsible for: the HTTP exchange (one GET, bounded by a deadline from connect to the last
// byte) and errors that read as one line for people.
// Not responsible for: rendering (admin/render.hpp) or the command line (daemon/).
// Thread: the calling thread; the exchange runs on a private io_context.

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace vipd::admin {

inline constexpr std::chrono::milliseconds kStatusTimeout{5000};

// GET `path` from the admin endpoint at `address` ("127.0.0.1:7473", "[::1]:7473") and return
// the body of a 200 answer. Errors read as one line for people, for example "cannot reach the
// admin endpoint at 127.0.0.1:7473: Connection refused (is vipd running? use --admin)".
Result<std::string> fetch_admin_document(std::string_view address, std::string_view path,
                                         std::chrono::milliseconds timeout = kStatusTimeout);

}  // namespace vipd::admin
