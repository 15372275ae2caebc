#pragma once
// What a /status request asks for: filters and a page (`/status?service=default/web`,
// `?peer=tor1`, `?prefix=198.18.0.0/24`, `?offset=100&limit=50`), so the document stays
// bounded at any number of services: the long lists (services, announcements, layer-2 VIPs)
// hold one page of the entries that match, and the document says how many matched in all.
//
// Responsible for: reading the query string (percent-encoded, as curl and `vipd status` send
// it) into a StatusQuery or a one-line error naming the parameter, the matching rules, and
// counting a list while keeping only its page (`ListPage`), so a daemon builds views for the
// page only.
// Not responsible for: collecting the entries (the daemon does, asking the query) or the
// document's shape (admin/status.hpp).
// Pure.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.hpp"
#include "common/prefix.hpp"
#include "common/result.hpp"

namespace vipd::admin {

inline constexpr std::size_t kDefaultStatusLimit = 100;
inline constexpr std::size_t kMaxStatusLimit = 10'000;

struct StatusQuery {
  // "namespace/name" exactly, or "namespace/" for every service of a namespace; "" for all.
  std::string service;
  // A peer's name or address; "" for all. Decisions for every peer match any peer.
  std::string peer;
  // Entries whose prefix or address overlaps it (an address stands for its host prefix).
  std::optional<Prefix> prefix;
  std::size_t offset = 0;
  std::size_t limit = kDefaultStatusLimit;
  // Which lists a daemon fills. /metrics needs the services with a health check and the layer-2
  // VIPs, each of them, and no announcements.
  bool announcements = true;
  bool only_checked_services = false;

  bool service_matches(std::string_view key) const;
  // `name` "" and `address` "" stand for every peer.
  bool peer_matches(std::string_view name, std::string_view address) const;
  bool address_matches(const IpAddress& address) const;
  // Whether one of a service's addresses matches (none: only without a prefix).
  bool any_address_matches(const std::vector<IpAddress>& addresses) const;
  bool prefix_matches(const Prefix& prefix) const;
};

// The query of what /metrics reads: every service with a check and every layer-2 VIP.
StatusQuery metrics_query();

// A prefix ("198.18.0.0/24", host bits masked) or an address (its host prefix), the value of
// `prefix`; the parse error when it is neither.
Result<Prefix> parse_status_prefix(std::string_view text);

// "service=default%2Fweb&limit=50" (the part after '?'; "" for none). Unknown parameters, a
// parameter given twice, a bad number or prefix, and a limit over kMaxStatusLimit are errors:
// "limit: 20000 is over the largest page, 10000".
Result<StatusQuery> parse_status_query(std::string_view query);
// The query string back, for `vipd status` (percent-encoded, only what differs from the
// defaults; "" for the defaults).
std::string format_status_query(const StatusQuery& query);

// How many entries of a list there are, how many matched the filters, and where the page is.
struct ListCount {
  std::uint64_t total = 0;
  std::uint64_t matched = 0;
  std::uint64_t offset = 0;
  std::uint64_t shown = 0;
};

// Counts a list while keeping one page of it: call `entry()` for every entry and `admit()` for
// every one that matches; admit() says whether it falls on the page (build its view then).
class ListPage {
 public:
  ListPage(std::size_t offset, std::size_t limit) : offset_(offset), limit_(limit) {}
  explicit ListPage(const StatusQuery& query) : ListPage(query.offset, query.limit) {}

  void entry() { ++count_.total; }
  bool admit() {
    const std::uint64_t index = count_.matched++;
    if (index < offset_ || index - offset_ >= limit_) return false;
    ++count_.shown;
    return true;
  }
  ListCount count() const {
    ListCount c = count_;
    c.offset = offset_;
    return c;
  }

 private:
  std::uint64_t offset_;
  std::uint64_t limit_;
  ListCount count_;
};

}  // namespace vipd::admin
