#include "admin/render.hpp"

#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <cmath>
#include <cstdio>
#include <optional>
#include <vector>

namespace vipd::admin {
namespace {

namespace json = boost::json;

// ---------------------------------------------------------------------------------------------
// Rendering

// Text of a value for a table cell; "-" for missing, null or empty.
std::string sanitize(std::string_view s) {
  // The document comes from the network: keep terminal control characters out of the output.
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", u);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out;
}

std::string text(const json::value* v) {
  if (v == nullptr || v->is_null()) return "-";
  if (v->is_string()) {
    const auto& s = v->get_string();
    return s.empty() ? "-" : sanitize(s);
  }
  if (v->is_bool()) return v->get_bool() ? "yes" : "no";
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  if (v->is_double()) {
    const double d = v->get_double();
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 1e15) {
      return std::to_string(static_cast<long long>(d));
    }
    return json::serialize(*v);
  }
  if (v->is_array()) {
    std::string out;
    for (const auto& item : v->get_array()) {
      if (!out.empty()) out += ", ";
      out += text(&item);
    }
    return out.empty() ? "-" : out;
  }
  return sanitize(json::serialize(*v));
}

const json::value* field(const json::value& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  return object.get_object().if_contains(key);
}

std::string text(const json::value& object, std::string_view key) {
  return text(field(object, key));
}

std::string duration(const json::value* v) {
  if (v == nullptr || !v->is_number()) return text(v);
  boost::system::error_code ec;
  const auto seconds = v->to_number<std::int64_t>(ec);
  if (ec || seconds < 0) return text(v);
  static constexpr std::pair<const char*, std::int64_t> kUnits[] = {
      {"d", 86400}, {"h", 3600}, {"m", 60}};
  std::string out;
  std::int64_t rest = seconds;
  for (const auto& [unit, size] : kUnits) {
    if (rest >= size || !out.empty()) {
      out += std::to_string(rest / size) + unit;
      rest %= size;
    }
  }
  return out + std::to_string(rest) + "s";
}

// "ipv4 1, ipv6 1" from {"ipv4": 1, "ipv6": 1}, whatever the families.
std::string per_family(const json::value* v) {
  if (v == nullptr || !v->is_object()) return text(v);
  std::string out;
  for (const auto& [family, count] : v->get_object()) {
    if (!out.empty()) out += ", ";
    out += sanitize(family) + " " + text(&count);
  }
  return out.empty() ? "-" : out;
}

// "passing (http: HTTP 200)" from the health object.
std::string health(const json::value* v) {
  if (v == nullptr || !v->is_object()) return text(v);
  std::string out = text(*v, "state");
  std::string detail;
  if (field(*v, "kind") != nullptr) detail = text(*v, "kind");
  if (const auto result = text(*v, "last_result"); result != "-") {
    detail = detail.empty() ? result : detail + ": " + result;
  }
  return detail.empty() ? out : out + " (" + detail + ")";
}

// Display width: UTF-8 continuation bytes take no column.
std::size_t width(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return n;
}

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

  void append(std::string& out) const {
    std::vector<std::size_t> widths(headers_.size());
    for (std::size_t c = 0; c < headers_.size(); ++c) {
      widths[c] = width(headers_[c]);
      for (const auto& row : rows_) widths[c] = std::max(widths[c], width(row[c]));
    }
    append_row(out, headers_, widths);
    for (const auto& row : rows_) append_row(out, row, widths);
  }

 private:
  static void append_row(std::string& out, const std::vector<std::string>& row,
                         const std::vector<std::size_t>& widths) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line.append(widths[c] - width(row[c]) + 2, ' ');
    }
    out += line;
    out += '\n';
  }

  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// A section: its title, then the table, "(none)" for an empty list; a field that is not a list
// is reported rather than guessed at.
template <class RowFn>
void append_section(std::string& out, const json::value& status, std::string_view key,
                    std::string_view title, std::vector<std::string> headers, RowFn row) {
  const json::value* list = field(status, key);
  if (list == nullptr) return;
  out += '\n';
  out += title;
  out += '\n';
  if (!list->is_array()) {
    out += "(not a list: " + sanitize(json::serialize(*list)).substr(0, 60) + ")\n";
    return;
  }
  // A paged list (/status "lists"): how much of what matched is shown.
  const json::value* lists = field(status, "lists");
  const json::value* count = lists ? field(*lists, key) : nullptr;
  const auto number = [&](std::string_view name) -> std::optional<std::uint64_t> {
    const json::value* v = count ? field(*count, name) : nullptr;
    if (v == nullptr || !v->is_number()) return std::nullopt;
    boost::system::error_code ec;
    const auto n = v->to_number<std::uint64_t>(ec);
    return ec ? std::nullopt : std::optional<std::uint64_t>(n);
  };
  const auto total = number("total"), matched = number("matched"), offset = number("offset");
  if (list->get_array().empty()) {
    if (total && matched && *total > 0 && *matched == 0) {
      out += "(none of " + std::to_string(*total) + " matches)\n";
    } else if (matched && offset && *matched > 0 && *offset >= *matched) {
      out += "(none past --offset " + std::to_string(*offset) + "; " + std::to_string(*matched) +
             " match)\n";
    } else {
      out += "(none)\n";
    }
    return;
  }
  Table table(std::move(headers));
  for (const auto& item : list->get_array()) table.add(row(item));
  table.append(out);
  const std::uint64_t shown = list->get_array().size();
  if (matched && offset && (*offset > 0 || *offset + shown < *matched)) {
    out += "(" + std::to_string(*offset + 1) + "-" + std::to_string(*offset + shown) + " of " +
           std::to_string(*matched) +
           (total && *total != *matched ? " matching, " + std::to_string(*total) + " in all" : "") +
           (*offset + shown < *matched
                ? "; --offset " + std::to_string(*offset + shown) + " for the next page"
                : "") +
           ")\n";
  }
}

// "services 3 (1 with errors)   announcements 5 (announced 4, noEndpoints 1)   layer2 1 (1
// here)" from the document's summary.
void append_summary(std::string& out, const json::value& status) {
  const json::value* summary = field(status, "summary");
  if (summary == nullptr || !summary->is_object()) return;
  std::string line;
  if (const auto* s = field(*summary, "services")) {
    line += "services " + text(*s, "total");
    std::string notes;
    if (const auto e = text(*s, "with_errors"); e != "-" && e != "0") notes += e + " with errors";
    if (const auto f = text(*s, "failing_health"); f != "-" && f != "0") {
      notes += (notes.empty() ? "" : ", ") + f + " failing health";
    }
    if (!notes.empty()) line += " (" + notes + ")";
  }
  if (const auto* a = field(*summary, "announcements")) {
    line += "   announcements " + text(*a, "total");
    if (const auto* reasons = field(*a, "by_reason");
        reasons && reasons->is_object() && !reasons->get_object().empty()) {
      std::string parts;
      for (const auto& [reason, n] : reasons->get_object()) {
        parts += (parts.empty() ? "" : ", ") + sanitize(reason) + " " + text(&n);
      }
      line += " (" + parts + ")";
    }
  }
  if (const auto* l = field(*summary, "layer2")) {
    line += "   layer2 " + text(*l, "total");
    if (const auto here = text(*l, "here"); here != "-" && here != "0") {
      line += " (" + here + " here)";
    }
  }
  out += line + "\n";
}

void append_header(std::string& out, const json::value& status) {
  out += "node " + text(status, "node") + "   mode " + text(status, "mode") + "   version " +
         text(status, "version") + "   ready " + text(status, "ready") + "\n";
  const json::value* config = field(status, "config");
  if (config == nullptr) return;
  out += "config " + text(*config, "file");
  if (field(*config, "loaded") != nullptr) out += "   loaded " + text(*config, "loaded");
  if (const auto* stale = field(*config, "stale"); stale != nullptr) {
    out += "   stale " + text(stale);
    if (stale->is_bool() && stale->get_bool()) {
      out += " (the last reload failed; the previous configuration is in force)";
    }
  }
  out += '\n';
  if (const auto* errors = field(*config, "errors"); errors != nullptr) {
    if (errors->is_array()) {
      for (const auto& e : errors->get_array()) out += "  error: " + text(&e) + "\n";
    } else if (!errors->is_null()) {
      out += "  error: " + text(errors) + "\n";
    }
  }
}

// "Up 300ms x3", "Down (Control Detection Time Expired)", "-" without BFD.
std::string bfd(const json::value* b) {
  if (!b || !b->is_object()) return "-";
  if (const auto problem = text(*b, "problem"); problem != "-") return "not running: " + problem;
  auto out = text(*b, "state");
  if (out == "Up") {
    return out + " " + text(*b, "transmit_interval_ms") + "ms x" + text(*b, "detect_multiplier");
  }
  if (const auto diag = text(*b, "diag"); diag != "-" && diag != "No Diagnostic") {
    out += " (" + diag + ")";
  }
  return out;
}

}  // namespace

std::string render_status(const json::value& status) {
  if (!status.is_object()) return "unexpected /status document: not a JSON object\n";
  std::string out;
  append_header(out, status);
  append_summary(out, status);

  append_section(out, status, "peers", "PEERS",
                 {"NAME", "ADDRESS", "ASN", "LOCAL ASN", "STATE", "UP FOR", "UPDATES SENT",
                  "RECEIVED", "PREFIXES", "BFD", "LAST ERROR"},
                 [](const json::value& peer) {
                   const auto state = text(peer, "state");
                   const bool up = state == "Established" || state == "-";
                   return std::vector<std::string>{
                       text(peer, "name"),
                       text(peer, "address"),
                       text(peer, "asn"),
                       text(peer, "local_asn"),
                       state,
                       up ? duration(field(peer, "established_for_seconds")) : "-",
                       text(peer, "updates_sent"),
                       text(peer, "messages_received"),
                       per_family(field(peer, "prefixes")),
                       bfd(field(peer, "bfd")),
                       text(peer, "held_by_bfd") != "-" ? "held: " + text(peer, "held_by_bfd")
                                                        : text(peer, "last_error")};
                 });

  append_section(out, status, "services", "SERVICES",
                 {"NAME", "ADDRESSES", "POOL", "POLICY", "HEALTH", "ERROR"},
                 [](const json::value& service) {
                   return std::vector<std::string>{text(service, "name"),
                                                   text(service, "addresses"),
                                                   text(service, "pool"),
                                                   text(service, "traffic_policy"),
                                                   health(field(service, "health")),
                                                   text(service, "error")};
                 });

  append_section(out, status, "announcements", "ANNOUNCEMENTS",
                 {"PEER", "PREFIX", "SERVICE", "REASON"}, [](const json::value& a) {
                   auto reason = text(a, "reason");
                   if (const auto detail = text(a, "detail"); detail != "-") {
                     reason += ": " + detail;
                   }
                   return std::vector<std::string>{text(a, "peer"), text(a, "prefix"),
                                                   text(a, "service"), reason};
                 });

  append_section(out, status, "layer2", "LAYER 2",
                 {"ADDRESS", "SERVICE", "OWNER", "HERE", "INTERFACE", "REASON"},
                 [](const json::value& l) {
                   auto reason = text(l, "reason");
                   if (const auto detail = text(l, "detail"); detail != "-") {
                     reason += ": " + detail;
                   }
                   auto here = text(l, "state");
                   if (const auto error = text(l, "error"); error != "-")
                     here += " (" + error + ")";
                   return std::vector<std::string>{text(l, "address"),   text(l, "service"),
                                                   text(l, "owner"),     here,
                                                   text(l, "interface"), reason};
                 });

  append_section(out, status, "pools", "POOLS", {"NAME", "FAMILY", "IN USE", "TOTAL"},
                 [](const json::value& pool) {
                   return std::vector<std::string>{text(pool, "name"), text(pool, "family"),
                                                   text(pool, "in_use"), text(pool, "total")};
                 });
  if (const auto* c = field(status, "controller"); c != nullptr && c->is_object()) {
    out += "\nCONTROLLER " + text(*c, "identity") + "   ";
    const auto* leading = field(*c, "leading");
    if (leading != nullptr && leading->is_bool() && leading->get_bool()) {
      out += "leader";
    } else {
      const auto holder = text(*c, "holder");
      out += "standby (leader: " + (holder.empty() || holder == "-" ? "none" : holder) + ")";
    }
    out += "\nwrites";
    if (const auto* w = field(*c, "writes"); w != nullptr && w->is_object()) {
      for (const auto& [object, count] : w->get_object()) {
        out += "   " + sanitize(object) + " " + text(&count);
      }
    }
    out += "   failures " + text(*c, "write_failures") + "   pending " + text(*c, "pending") + "\n";
  }
  if (const auto* k = field(status, "kubernetes"); k != nullptr && k->is_object()) {
    out += "\nKUBERNETES " + text(*k, "server") + "\n";
    append_section(
        out, *k, "informers", "INFORMERS",
        {"RESOURCE", "SYNCED", "OBJECTS", "LISTS", "RELISTS", "WATCH RESTARTS", "INVALID"},
        [](const json::value& i) {
          return std::vector<std::string>{
              text(i, "resource"), text(i, "synced"),         text(i, "objects"), text(i, "lists"),
              text(i, "relists"),  text(i, "watch_restarts"), text(i, "invalid")};
        });
    append_section(
        out, *k, "requests", "API REQUESTS", {"VERB", "CODE", "COUNT"}, [](const json::value& r) {
          return std::vector<std::string>{text(r, "verb"), text(r, "code"), text(r, "count")};
        });
  }
  return out;
}

}  // namespace vipd::admin
