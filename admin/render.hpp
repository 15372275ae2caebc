#pragma once
// The /status document as plain-text tables, for `vipd status`.
//
// Responsible for: a header (node, mode, version, readiness, configuration), then PEERS,
// SERVICES, ANNOUNCEMENTS and POOLS. Columns are aligned with spaces, no colours; control
// characters in the document are shown escaped. The document is read defensively: a daemon of
// another version may add, drop or retype fields, and what is understood is still printed
// ("-" for what is missing).
// Not responsible for: fetching the document (admin/client.hpp) or producing it
// (admin/status.hpp). Pure.

#include <boost/json/value.hpp>
#include <string>

namespace vipd::admin {

std::string render_status(const boost::json::value& status);

}  // namespace vipd::admin
