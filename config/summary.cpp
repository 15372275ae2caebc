#include "config/summary.hpp"

#include <boost/json.hpp>

#include "common/format.hpp"

namespace vipd::config {
namespace {

std::string join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += sep;
    out += i;
  }
  return out;
}

std::string sizes(const Pool& pool) {
  std::vector<std::string> parts;
  for (const auto family : {Family::kV4, Family::kV6}) {
    const auto n = pool.size(family);
    if (n > 0) parts.push_back(std::string(to_string(family)) + " " + to_decimal(n));
  }
  return parts.empty() ? "no addresses" : join(parts);
}

std::string peer_line(const Peer& p) {
  std::string out = p.name + ": ";
  if (p.address) {
    out += p.address->is_v6() ? "[" + p.address->to_string() + "]" : p.address->to_string();
    out += ":" + std::to_string(p.port);
  } else {
    out += "interface " + p.interface;
  }
  if (p.dynamic_asn == DynamicAsn::kNone) {
    out += " AS " + std::to_string(p.peer_asn) + (p.is_ibgp() ? " (iBGP)" : " (eBGP)");
  } else {
    out += std::string(" dynamic AS (") +
           (p.dynamic_asn == DynamicAsn::kInternal ? "internal" : "external") + ")";
  }
  out += ", local AS " + std::to_string(p.my_asn);
  if (p.hold_time) out += ", hold " + format_duration(*p.hold_time);
  if (p.keepalive_time) out += ", keepalive " + format_duration(*p.keepalive_time);
  if (p.connect_time) out += ", connect " + format_duration(*p.connect_time);
  if (p.passive) out += ", passive";
  if (p.gtsm) out += ", GTSM";
  if (!p.bfd_profile.empty()) out += ", BFD " + p.bfd_profile;
  if (!p.node_selectors.empty())
    out += ", " + std::to_string(p.node_selectors.size()) + " node selector(s)";
  return out;
}

std::string pools_of(const std::vector<std::string>& pools,
                     const std::vector<LabelSelector>& selectors) {
  if (pools.empty() && selectors.empty()) return "all pools";
  std::string out = pools.empty() ? "" : "pools " + join(pools);
  if (!selectors.empty()) {
    out += (out.empty() ? "" : " + ") + std::to_string(selectors.size()) + " pool selector(s)";
  }
  return out;
}

std::string labels_text(const Labels& labels) {
  std::vector<std::string> pairs;
  for (const auto& [k, v] : labels) pairs.push_back(k + "=" + v);
  return join(pairs);
}

boost::json::object labels_json(const Labels& labels) {
  boost::json::object o;
  for (const auto& [k, v] : labels) o[k] = v;
  return o;
}

boost::json::array addresses_json(const std::vector<IpAddress>& addresses) {
  boost::json::array out;
  for (const auto& a : addresses) out.push_back(boost::json::string(a.to_string()));
  return out;
}

std::string addresses_text(const std::vector<IpAddress>& addresses) {
  std::vector<std::string> out;
  for (const auto& a : addresses) out.push_back(a.to_string());
  return join(out);
}

// "ip-family-policy RequireDualStack [IPv6, IPv4]", or "" when neither is written.
std::string families_text(const StandaloneService& s) {
  const auto& d = s.details();
  std::string out;
  if (d.ip_family_policy) out = "ip-family-policy " + std::string(to_string(*d.ip_family_policy));
  if (!d.ip_families.empty()) {
    std::vector<std::string> names;
    for (const auto f : d.ip_families) names.emplace_back(to_string(f));
    out += (out.empty() ? "ip-families [" : " [") + join(names) + "]";
  }
  return out;
}

std::string_view kind_name(HealthCheck::Kind kind) {
  switch (kind) {
    case HealthCheck::Kind::kTcp:
      return "tcp";
    case HealthCheck::Kind::kHttp:
      return "http";
    case HealthCheck::Kind::kExec:
      return "exec";
  }
  return "?";
}

std::string host_port(const HealthCheck& h) {
  const auto host = h.address.is_v6() ? "[" + h.address.to_string() + "]" : h.address.to_string();
  return host + ":" + std::to_string(h.port);
}

std::string http_url(const HealthCheck& h) { return "http://" + host_port(h) + h.http_path; }

// argv as a person would type it: arguments with blanks or quotes in double quotes.
std::string command_line(const std::vector<std::string>& argv) {
  std::vector<std::string> words;
  for (const auto& a : argv) {
    if (!a.empty() && a.find_first_of(" \t\"'\\") == std::string::npos) {
      words.push_back(a);
      continue;
    }
    std::string quoted = "\"";
    for (char c : a) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    words.push_back(quoted + "\"");
  }
  return join(words, " ");
}

std::string health_check_line(const HealthCheck& h) {
  std::string what;
  switch (h.kind) {
    case HealthCheck::Kind::kTcp:
      what = host_port(h);
      break;
    case HealthCheck::Kind::kHttp:
      what = http_url(h);
      break;
    case HealthCheck::Kind::kExec:
      what = command_line(h.command);
      break;
  }
  return std::string(kind_name(h.kind)) + " " + what + " every " + format_duration(h.interval) +
         " (timeout " + format_duration(h.timeout) + ", rise " + std::to_string(h.rise) +
         ", fall " + std::to_string(h.fall) + ")";
}

boost::json::object health_check_json(const HealthCheck& h) {
  boost::json::object o{{"kind", kind_name(h.kind)},
                        {"interval", format_duration(h.interval)},
                        {"timeout", format_duration(h.timeout)},
                        {"rise", h.rise},
                        {"fall", h.fall}};
  switch (h.kind) {
    case HealthCheck::Kind::kTcp:
      o["address"] = h.address.to_string();
      o["port"] = h.port;
      break;
    case HealthCheck::Kind::kHttp:
      o["url"] = http_url(h);
      o["address"] = h.address.to_string();
      o["port"] = h.port;
      o["path"] = h.http_path;
      break;
    case HealthCheck::Kind::kExec: {
      boost::json::array argv;
      for (const auto& a : h.command) argv.push_back(boost::json::string(a));
      o["command"] = std::move(argv);
      break;
    }
  }
  return o;
}

boost::json::array diagnostics_json(const CheckResult& r, Severity severity) {
  boost::json::array out;
  for (const auto& d : r.diagnostics) {
    if (d.severity != severity) continue;
    out.push_back({{"file", d.file},
                   {"line", d.position.line},
                   {"column", d.position.column},
                   {"path", d.path},
                   {"message", d.message},
                   {"text", d.to_string()}});
  }
  return out;
}

boost::json::object summary_json(const Config& c) {
  boost::json::array pools;
  for (const auto& p : c.pools) {
    boost::json::array addresses;
    for (const auto& a : p.addresses) addresses.push_back(boost::json::string(a.to_string()));
    pools.push_back({{"name", p.name},
                     {"addresses", addresses},
                     {"ipv4_addresses", to_decimal(p.size(Family::kV4))},
                     {"ipv6_addresses", to_decimal(p.size(Family::kV6))},
                     {"auto_assign", p.auto_assign},
                     {"avoid_buggy_ips", p.avoid_buggy_ips}});
  }
  boost::json::array peers;
  for (const auto& p : c.peers) {
    boost::json::object o{{"name", p.name},
                          {"address", p.address ? p.address->to_string() : ""},
                          {"interface", p.interface},
                          {"port", p.port},
                          {"my_asn", p.my_asn},
                          {"peer_asn", p.peer_asn},
                          {"bfd_profile", p.bfd_profile},
                          {"ebgp_multihop", p.ebgp_multihop},
                          {"passive", p.passive},
                          {"gtsm", p.gtsm}};
    if (p.hold_time) o["hold_time"] = format_duration(*p.hold_time);
    if (p.keepalive_time) o["keepalive_time"] = format_duration(*p.keepalive_time);
    if (p.connect_time) o["connect_time"] = format_duration(*p.connect_time);
    peers.push_back(std::move(o));
  }
  boost::json::array bgp;
  for (const auto& a : c.bgp_advertisements) {
    boost::json::array pools_of_ad, communities;
    for (const auto& p : a.pools) pools_of_ad.push_back(boost::json::string(p));
    for (const auto& x : a.communities) {
      const auto v = c.resolve_community(x);
      communities.push_back(boost::json::string(v ? v->to_string() : x));
    }
    bgp.push_back({{"name", a.name},
                   {"pools", pools_of_ad},
                   {"aggregation_length", a.aggregation_length},
                   {"aggregation_length_v6", a.aggregation_length_v6},
                   {"local_pref", a.local_pref},
                   {"communities", communities}});
  }
  boost::json::array l2;
  for (const auto& a : c.l2_advertisements) {
    boost::json::array pools_of_ad, interfaces;
    for (const auto& p : a.pools) pools_of_ad.push_back(boost::json::string(p));
    for (const auto& i : a.interfaces) interfaces.push_back(boost::json::string(i));
    l2.push_back({{"name", a.name}, {"pools", pools_of_ad}, {"interfaces", interfaces}});
  }
  boost::json::array bfd;
  for (const auto& b : c.bfd_profiles) bfd.push_back(boost::json::string(b.name));
  boost::json::object communities;
  for (const auto& [name, value] : c.communities) communities[name] = value.to_string();
  boost::json::object out{
      {"pools", pools},          {"peers", peers},      {"bgp_advertisements", bgp},
      {"l2_advertisements", l2}, {"bfd_profiles", bfd}, {"communities", communities}};
  if (c.standalone) {
    boost::json::array services;
    for (const auto& s : c.standalone->services) {
      const auto& d = s.details();
      boost::json::array families;
      for (const auto f : d.ip_families) families.push_back(boost::json::string(to_string(f)));
      boost::json::object service{
          {"name", s.name},
          {"namespace", s.namespace_},
          {"labels", labels_json(d.labels)},
          {"addresses", addresses_json(d.addresses)},
          {"pool", d.pool},
          {"ip_families", families},
          {"traffic_policy", s.traffic_policy == TrafficPolicy::kLocal ? "Local" : "Cluster"}};
      if (d.ip_family_policy) service["ip_family_policy"] = to_string(*d.ip_family_policy);
      if (d.health_check) service["health_check"] = health_check_json(*d.health_check);
      services.push_back(std::move(service));
    }
    boost::json::array nodes;
    for (const auto& n : c.standalone->nodes) {
      nodes.push_back({{"name", n.name},
                       {"labels", labels_json(n.labels)},
                       {"addresses", addresses_json(n.addresses)}});
    }
    out["node"] = c.standalone->node;
    out["nodes"] = nodes;
    out["services"] = services;
  }
  return out;
}

}  // namespace

std::string text_report(const CheckResult& result) {
  std::string out;
  for (const auto& d : result.diagnostics) out += d.to_string() + "\n";
  if (!result.config) {
    const auto n = result.error_count();
    return out + result.file + ": invalid: " + std::to_string(n) + (n == 1 ? " error" : " errors") +
           "; the whole file is rejected\n";
  }
  const auto& c = *result.config;
  out += result.file + ": valid " + std::string(to_string(result.format)) + "\n";
  out += "  pools: " + std::to_string(c.pools.size()) + "\n";
  for (const auto& p : c.pools) {
    std::vector<std::string> blocks;
    for (const auto& a : p.addresses) blocks.push_back(a.to_string());
    out += "    " + p.name + ": " + sizes(p) + " (" + join(blocks) + ")" +
           (p.auto_assign ? "" : ", no auto-assign") +
           (p.avoid_buggy_ips ? ", avoids .0/.255" : "") + "\n";
  }
  out += "  peers: " + std::to_string(c.peers.size()) + "\n";
  for (const auto& p : c.peers) out += "    " + peer_line(p) + "\n";
  out += "  BGP advertisements: " + std::to_string(c.bgp_advertisements.size()) + "\n";
  for (const auto& a : c.bgp_advertisements) {
    out += "    " + a.name + ": " + pools_of(a.pools, a.pool_selectors) + ", /" +
           std::to_string(a.aggregation_length) + " /" + std::to_string(a.aggregation_length_v6);
    if (a.local_pref != 0) out += ", local-pref " + std::to_string(a.local_pref);
    if (!a.communities.empty()) out += ", communities " + join(a.communities);
    if (!a.peers.empty()) out += ", peers " + join(a.peers);
    out += "\n";
  }
  out += "  L2 advertisements: " + std::to_string(c.l2_advertisements.size()) + "\n";
  for (const auto& a : c.l2_advertisements) {
    out += "    " + a.name + ": " + pools_of(a.pools, a.pool_selectors);
    if (!a.interfaces.empty()) out += ", interfaces " + join(a.interfaces);
    out += "\n";
  }
  if (!c.bfd_profiles.empty()) {
    std::vector<std::string> names;
    for (const auto& b : c.bfd_profiles) names.push_back(b.name);
    out += "  BFD profiles: " + join(names) + "\n";
  }
  if (!c.communities.empty()) {
    std::vector<std::string> aliases;
    for (const auto& [name, value] : c.communities)
      aliases.push_back(name + "=" + value.to_string());
    out += "  communities: " + join(aliases) + "\n";
  }
  if (c.standalone) {
    out += "  node: " + (c.standalone->node.empty() ? "(host name)" : c.standalone->node) + "\n";
    if (!c.standalone->nodes.empty()) {
      out += "  nodes: " + std::to_string(c.standalone->nodes.size()) + "\n";
      for (const auto& n : c.standalone->nodes) {
        out += "    " + n.name + ": " +
               (n.addresses.empty() ? "no addresses" : addresses_text(n.addresses)) + " (labels " +
               labels_text(n.labels) + ")\n";
      }
    }
    out += "  services: " + std::to_string(c.standalone->services.size()) + "\n";
    for (const auto& s : c.standalone->services) {
      const auto& d = s.details();
      const auto families = families_text(s);
      out += "    " + s.namespace_ + "/" + s.name + ": " +
             (d.addresses.empty() ? "allocated" : addresses_text(d.addresses)) +
             (d.pool.empty() ? "" : " from pool " + d.pool) +
             (families.empty() ? "" : ", " + families) +
             (d.labels.empty() ? "" : ", labels " + labels_text(d.labels)) +
             (s.traffic_policy == TrafficPolicy::kLocal ? ", traffic-policy Local" : "") +
             (d.health_check ? ", health check " + health_check_line(*d.health_check) : "") + "\n";
    }
  }
  return out;
}

std::string json_report(const std::vector<CheckResult>& results) {
  boost::json::array files;
  for (const auto& r : results) {
    boost::json::object o{{"file", r.file},
                          {"valid", r.valid()},
                          {"format", std::string(to_string(r.format))},
                          {"errors", diagnostics_json(r, Severity::kError)},
                          {"warnings", diagnostics_json(r, Severity::kWarning)},
                          {"notes", diagnostics_json(r, Severity::kNote)}};
    if (r.config) o["summary"] = summary_json(*r.config);
    files.push_back(std::move(o));
  }
  return boost::json::serialize(boost::json::object{{"files", files}}) + "\n";
}

}  // namespace vipd::config
