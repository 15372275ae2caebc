// Front end for a standalone service's `health-check`: exactly one kind (tcp, http or exec) and
// its timers.
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <charconv>

#include "config/front_ends.hpp"

namespace vipd::config::detail {
namespace {

std::string q(std::string_view s) { return "\"" + std::string(s) + "\""; }

constexpr const char* kKinds[] = {"tcp", "http", "exec"};
constexpr const char* kChoices = "tcp, http or exec";

// A port as RFC 3986 §3.2.3 writes it (digits only), 1-65535.
std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 1 ||
      value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

// "ADDRESS:PORT", an IPv6 address in brackets (RFC 3986 §3.2.2 IP-literal): "[2001:db8::1]:80".
// Brackets hold IPv6 only, and an IPv6 address is always in brackets.
bool read_tcp(Reader& r, const Field& f, HealthCheck& h) {
  const auto text = read_string(r, f);
  if (!text) return false;
  std::string_view host, port;
  bool bracketed = false;
  if (!text->empty() && text->front() == '[') {
    const auto close = text->find("]:");
    if (close != std::string::npos) {
      host = std::string_view(*text).substr(1, close - 1);
      port = std::string_view(*text).substr(close + 2);
      bracketed = true;
    }
  } else if (const auto colon = text->rfind(':');
             colon != std::string::npos && text->find(':') == colon) {
    host = std::string_view(*text).substr(0, colon);
    port = std::string_view(*text).substr(colon + 1);
  }
  const auto ip = IpAddress::parse(host);
  const auto number = parse_port(port);
  if (host.empty() || !ip || ip.value().is_v6() != bracketed || !number) {
    r.error(f.node, f.path,
            "invalid tcp health check " + q(*text) +
                ": want ADDRESS:PORT (IPv6 as [ADDRESS]:PORT), port 1-65535");
    return false;
  }
  h.kind = HealthCheck::Kind::kTcp;
  h.address = ip.value();
  h.port = *number;
  return true;
}

// "http://ADDRESS[:PORT][/PATH][?QUERY]": plain HTTP to a literal address (no name to resolve,
// no TLS); the port defaults to 80 and the path to "/" (RFC 9110 §4.2.1, §4.2.3).
bool read_http(Reader& r, const Field& f, HealthCheck& h) {
  const auto text = read_string(r, f);
  if (!text) return false;
  const auto fail = [&](std::string_view why) {
    r.error(f.node, f.path,
            "invalid http health check " + q(*text) + ": " + std::string(why) +
                " (want http://ADDRESS[:PORT][/PATH][?QUERY], IPv6 as [ADDRESS])");
    return false;
  };
  const auto parsed = boost::urls::parse_uri(*text);
  if (!parsed) return fail("not a URL");
  const boost::urls::url_view url = parsed.value();
  if (url.scheme_id() != boost::urls::scheme::http) return fail("the scheme must be http");
  if (url.has_userinfo()) return fail("user information is not allowed");
  const auto type = url.host_type();
  if (type != boost::urls::host_type::ipv4 && type != boost::urls::host_type::ipv6) {
    return fail("the host must be an IP address");
  }
  const std::string_view host(url.encoded_host_address().data(), url.encoded_host_address().size());
  const auto ip = IpAddress::parse(host);
  if (!ip) return fail("invalid IP address " + q(host));
  std::uint16_t port = 80;
  if (url.has_port() && !url.port().empty()) {
    const auto number = parse_port(std::string_view(url.port().data(), url.port().size()));
    if (!number) return fail("the port must be 1-65535");
    port = *number;
  }
  if (url.has_fragment()) return fail("a fragment is never sent to the server");
  std::string target(url.encoded_path().data(), url.encoded_path().size());
  if (target.empty()) target = "/";
  if (url.has_query()) {
    target += "?";
    target.append(url.encoded_query().data(), url.encoded_query().size());
  }
  h.kind = HealthCheck::Kind::kHttp;
  h.address = ip.value();
  h.port = port;
  h.http_path = std::move(target);
  return true;
}

// [/absolute/command, arg, ...]: run without a shell, so argv[0] is a path, not a name to look
// up in PATH.
bool read_exec(Reader& r, const Field& f, HealthCheck& h) {
  if (!f.node.IsSequence()) {
    r.error(f.node, f.path,
            "expected a list [/path/to/command, argument, ...] (run without a shell)");
    return false;
  }
  bool ok = true;
  std::vector<std::string> argv;
  read_list(r, f, [&](const Field& item, std::size_t i) {
    const auto s = item.node.IsDefined() && !item.node.IsNull() ? read_string(r, item)
                                                                : std::optional<std::string>();
    if (!s) {
      if (!item.node.IsDefined() || item.node.IsNull()) {
        r.error(item.node, item.path, "expected text, got nothing");
      }
      ok = false;
      return;
    }
    if (s->empty()) {
      r.error(item.node, item.path, "an argument must not be empty");
      ok = false;
    } else if (s->find('\0') != std::string::npos) {
      r.error(item.node, item.path, "an argument must not contain a NUL character");
      ok = false;
    } else if (i == 0 && s->front() != '/') {
      r.error(item.node, item.path,
              "the command " + q(*s) +
                  " must be an absolute path (it runs without a shell or a PATH lookup)");
      ok = false;
    }
    argv.push_back(*s);
  });
  if (argv.empty() && ok) {
    r.error(f.node, f.path, "the command is missing: want [/path/to/command, argument, ...]");
    return false;
  }
  if (!ok) return false;
  h.kind = HealthCheck::Kind::kExec;
  h.command = std::move(argv);
  return true;
}

}  // namespace

std::optional<HealthCheck> read_health_check(Reader& r, const Field& f) {
  MapReader m(r, f, {"tcp", "http", "exec", "interval", "timeout", "rise", "fall"});
  if (!m.is_map()) return std::nullopt;
  HealthCheck h;
  bool ok = true;
  std::vector<std::string> kinds;
  for (const char* kind : kKinds) {
    if (m.has(kind)) kinds.emplace_back(kind);
  }
  if (kinds.empty()) {
    r.error(f.node, f.path,
            std::string("missing the kind of health check: write one of ") + kChoices);
    ok = false;
  } else if (kinds.size() > 1) {
    // Point at the second kind: the first one written is taken as the intended one.
    const auto second = m.get(kinds[1]);
    r.error(second ? second->node : f.node, second ? second->path : m.path(kinds[1]),
            "a health check has one kind, found " + kinds[0] + " and " + kinds[1] +
                ": keep one of " + kChoices);
    ok = false;
  } else if (const auto value = m.get(kinds[0]); !value) {
    r.error(f.node, m.path(kinds[0]), kinds[0] + " has no value");
    ok = false;
  } else if (kinds[0] == "tcp") {
    ok = read_tcp(r, *value, h);
  } else if (kinds[0] == "http") {
    ok = read_http(r, *value, h);
  } else {
    ok = read_exec(r, *value, h);
  }
  for (const auto& [field, out] :
       {std::pair{"interval", &h.interval}, std::pair{"timeout", &h.timeout}}) {
    if (auto v = m.get(field)) {
      if (auto d = read_duration(r, *v)) {
        if (d->count() <= 0) {
          r.error(v->node, v->path, std::string(field) + " must be positive");
          ok = false;
        }
        *out = *d;
      } else {
        ok = false;
      }
    }
  }
  if (h.timeout > h.interval) {
    const auto at = m.get("timeout") ? *m.get("timeout") : f;
    r.error(at.node, at.path,
            "timeout " + format_duration(h.timeout) + " is longer than the interval " +
                format_duration(h.interval));
    ok = false;
  }
  for (const auto& [field, out] : {std::pair{"rise", &h.rise}, std::pair{"fall", &h.fall}}) {
    if (auto v = m.get(field)) {
      if (auto n = read_int(r, *v, 1, 100)) {
        *out = static_cast<int>(*n);
      } else {
        ok = false;
      }
    }
  }
  if (!ok) return std::nullopt;
  return h;
}

}  // namespace vipd::config::detail
