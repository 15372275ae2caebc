#include "admin/status_query.hpp"

#include <algorithm>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <charconv>
#include <set>

namespace vipd::admin {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded text: %XX and '+' for a space.
Result<std::string> decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c != '%') {
      out += c;
    } else {
      const int high = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
      const int low = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (high < 0 || low < 0) {
        return failure(Errc::kInvalidArgument,
                       "'" + std::string(text.substr(i, 3)) + "' is not a percent-encoded octet");
      }
      out += static_cast<char>(high * 16 + low);
      i += 2;
    }
  }
  return out;
}

Result<std::size_t> count(std::string_view name, std::string_view text) {
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return failure(Errc::kInvalidArgument,
                   std::string(name) + ": '" + std::string(text) + "' is not a whole number");
  }
  return value;
}

}  // namespace

bool StatusQuery::service_matches(std::string_view key) const {
  if (service.empty()) return true;
  if (service.ends_with('/')) return key.starts_with(service);
  return key == service;
}

bool StatusQuery::peer_matches(std::string_view name, std::string_view address) const {
  if (peer.empty() || (name.empty() && address.empty())) return true;
  return peer == name || peer == address;
}

bool StatusQuery::address_matches(const IpAddress& address) const {
  return !prefix || prefix->contains(address);
}

bool StatusQuery::any_address_matches(const std::vector<IpAddress>& addresses) const {
  return !prefix || std::any_of(addresses.begin(), addresses.end(),
                                [&](const IpAddress& a) { return prefix->contains(a); });
}

bool StatusQuery::prefix_matches(const Prefix& p) const { return !prefix || prefix->overlaps(p); }

Result<Prefix> parse_status_prefix(std::string_view text) {
  if (text.find('/') == std::string_view::npos) {
    VIPD_TRY(const auto address, IpAddress::parse(text));
    return Prefix::host(address);
  }
  return Prefix::parse(text, Prefix::HostBits::kMask);
}

StatusQuery metrics_query() {
  StatusQuery q;
  q.limit = std::numeric_limits<std::size_t>::max();
  q.announcements = false;
  q.only_checked_services = true;
  return q;
}

Result<StatusQuery> parse_status_query(std::string_view query) {
  StatusQuery out;
  std::set<std::string, std::less<>> seen;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    VIPD_TRY(const auto name, decode(pair.substr(0, eq)));
    VIPD_TRY(auto value,
             decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1)));
    if (!seen.insert(name).second) {
      return failure(Errc::kInvalidArgument, name + ": given twice");
    }
    if (name == "service") {
      out.service = std::move(value);
    } else if (name == "peer") {
      out.peer = std::move(value);
    } else if (name == "prefix") {
      auto prefix = parse_status_prefix(value);
      if (!prefix) return failure(Errc::kInvalidArgument, "prefix: " + prefix.error().message());
      out.prefix = prefix.value();
    } else if (name == "offset") {
      VIPD_TRY(const auto offset, count(name, value));
      out.offset = offset;
    } else if (name == "limit") {
      VIPD_TRY(const auto limit, count(name, value));
      out.limit = limit;
      if (out.limit > kMaxStatusLimit) {
        return failure(Errc::kOutOfRange, "limit: " + value + " is over the largest page, " +
                                              std::to_string(kMaxStatusLimit));
      }
    } else {
      return failure(Errc::kInvalidArgument, "unknown parameter '" + name +
                                                 "' (known: service, peer, prefix, offset, limit)");
    }
  }
  return out;
}

std::string format_status_query(const StatusQuery& q) {
  std::string out;
  const auto add = [&](std::string_view name, std::string_view value) {
    out += out.empty() ? "" : "&";
    out += name;
    out += '=';
    out += boost::urls::encode(value, boost::urls::unreserved_chars);
  };
  if (!q.service.empty()) add("service", q.service);
  if (!q.peer.empty()) add("peer", q.peer);
  if (q.prefix) add("prefix", q.prefix->to_string());
  if (q.offset != 0) add("offset", std::to_string(q.offset));
  if (q.limit != kDefaultStatusLimit) add("limit", std::to_string(q.limit));
  return out;
}

}  // namespace vipd::admin
