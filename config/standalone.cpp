// Front end for the standalone file's own keys: `node`, `nodes` and `services`, written beside the
// ConfigMap body (one mapping) or as the one plain document beside MetalLB resources.
#include <algorithm>

#include "config/front_ends.hpp"

namespace vipd::config::detail {

namespace {

// A service's field is recorded only when written: an absent one is found at its service's own
// origin (Origins falls back to the parent key, "services[i]", recorded with the same mapping),
// which is where record() would have put it. 100,000 services: ~300,000 fewer origins.
void record_if_written(Reader& r, const std::string& model_key, const MapReader& m,
                       std::string_view field) {
  if (auto f = m.get(field)) r.record(model_key, f->node, f->path);
}

}  // namespace
namespace {

std::string q(std::string_view s) { return "\"" + std::string(s) + "\""; }

// A word from a closed set, with a "did you mean" when it is not one of them.
template <class T, std::size_t N>
std::optional<T> read_choice(Reader& r, const Field& f,
                             const std::pair<const char*, T> (&choices)[N], std::string_view what) {
  const auto text = read_string(r, f);
  if (!text) return std::nullopt;
  std::vector<std::string> names;
  for (const auto& [name, value] : choices) {
    if (*text == name) return value;
    names.emplace_back(name);
  }
  std::string list;
  for (std::size_t i = 0; i < names.size(); ++i) {
    list += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  }
  const auto hint = did_you_mean(*text, names);
  r.error(f.node, f.path,
          "invalid " + std::string(what) + " " + q(*text) + ": must be " + list +
              (hint.empty() ? "" : "; " + hint));
  return std::nullopt;
}

constexpr std::pair<const char*, TrafficPolicy> kTrafficPolicies[] = {
    {"Cluster", TrafficPolicy::kCluster}, {"Local", TrafficPolicy::kLocal}};
constexpr std::pair<const char*, IpFamilyPolicy> kFamilyPolicies[] = {
    {"SingleStack", IpFamilyPolicy::kSingleStack},
    {"PreferDualStack", IpFamilyPolicy::kPreferDualStack},
    {"RequireDualStack", IpFamilyPolicy::kRequireDualStack}};
constexpr std::pair<const char*, Family> kFamilies[] = {{"IPv4", Family::kV4},
                                                        {"IPv6", Family::kV6}};

// A list of IP addresses, each recorded under model_key[i].
std::vector<IpAddress> read_addresses(Reader& r, const Field& f, const std::string& model_key) {
  std::vector<IpAddress> out;
  read_list(r, f, [&](const Field& item, std::size_t) {
    if (auto ip = read_ip(r, item)) {
      r.record(key(model_key, out.size()), item.node, item.path);
      out.push_back(*ip);
    }
  });
  return out;
}

// Kubernetes' rules for ipFamilyPolicy and ipFamilies (ValidateService): no family twice,
// SingleStack with one family; the addresses a service requests decide its families themselves.
void read_families(Reader& r, const MapReader& m, const std::string& mk, StandaloneService& s) {
  record_if_written(r, key(mk, "ip_family_policy"), m, "ip-family-policy");
  record_if_written(r, key(mk, "ip_families"), m, "ip-families");
  const auto policy = m.get("ip-family-policy");
  const auto families = m.get("ip-families");
  if (policy)
    s.edit().ip_family_policy = read_choice(r, *policy, kFamilyPolicies, "ip-family-policy");
  if (families) {
    read_list(r, *families, [&](const Field& item, std::size_t) {
      const auto family = read_choice(r, item, kFamilies, "IP family");
      if (!family) return;
      if (std::find(s.details().ip_families.begin(), s.details().ip_families.end(), *family) !=
          s.details().ip_families.end()) {
        r.error(item.node, item.path,
                "IP family " + std::string(to_string(*family)) + " listed twice: list " +
                    "each family once, the primary first");
        return;
      }
      s.edit().ip_families.push_back(*family);
    });
  }
  if (s.details().ip_family_policy == IpFamilyPolicy::kSingleStack &&
      s.details().ip_families.size() > 1) {
    r.error(families->node, families->path,
            "SingleStack takes one IP family: list one, or use PreferDualStack or "
            "RequireDualStack");
  }
  if (!s.details().addresses.empty()) {
    for (const auto& f : {policy, families}) {
      if (!f) continue;
      r.error(f->node, f->path,
              "a service with addresses takes no ip-family-policy or ip-families: the addresses "
              "decide the families; remove this field (or the addresses)");
    }
  }
}

void read_service(Reader& r, const Field& f, Config& config) {
  MapReader m(r, f,
              {"name", "namespace", "labels", "addresses", "pool", "ip-family-policy",
               "ip-families", "ports", "sharing-key", "traffic-policy", "health-check"});
  if (!m.is_map()) return;
  auto& services = config.standalone->services;
  const auto mk = key("services", services.size());
  r.record(mk, f.node, f.path);
  StandaloneService s;
  record_if_written(r, key(mk, "name"), m, "name");
  if (auto v = m.get("name")) {
    s.name = read_string(r, *v).value_or("");
    if (s.name.empty()) r.error(v->node, v->path, "service name must not be empty");
  } else {
    r.error(f.node, f.path, "missing required field \"name\"");
  }
  if (auto v = m.get("namespace")) s.namespace_ = read_string(r, *v).value_or("default");
  if (auto v = m.get("labels")) s.edit().labels = read_labels(r, *v).value_or(Labels{});
  if (auto v = m.get("addresses")) s.edit().addresses = read_addresses(r, *v, key(mk, "addresses"));
  record_if_written(r, key(mk, "pool"), m, "pool");
  if (auto v = m.get("pool")) s.edit().pool = read_string(r, *v).value_or("");
  read_families(r, m, mk, s);
  if (auto v = m.get("ports")) {
    read_list(r, *v, [&](const Field& item, std::size_t) {
      MapReader p(r, item, {"port", "protocol"});
      if (!p.is_map()) return;
      ServicePort port;
      if (auto n = p.get("port")) {
        port.port = static_cast<std::uint16_t>(read_int(r, *n, 1, 65535).value_or(0));
      } else {
        p.require("port");
      }
      if (auto pr = p.get("protocol")) {
        port.protocol = read_string(r, *pr).value_or("TCP");
        if (port.protocol != "TCP" && port.protocol != "UDP" && port.protocol != "SCTP") {
          const auto hint = did_you_mean(port.protocol, {"TCP", "UDP", "SCTP"});
          r.error(pr->node, pr->path,
                  "invalid protocol " + q(port.protocol) + ": must be TCP, UDP or SCTP" +
                      (hint.empty() ? "" : "; " + hint));
        }
      }
      r.record(key(key(mk, "ports"), s.details().ports.size()), item.node, item.path);
      s.edit().ports.push_back(port);
    });
  }
  if (auto v = m.get("sharing-key")) s.edit().sharing_key = read_string(r, *v).value_or("");
  record_if_written(r, key(mk, "traffic_policy"), m, "traffic-policy");
  if (auto v = m.get("traffic-policy")) {
    s.traffic_policy =
        read_choice(r, *v, kTrafficPolicies, "traffic-policy").value_or(TrafficPolicy::kCluster);
  }
  if (auto v = m.get("health-check")) s.edit().health_check = read_health_check(r, *v);
  services.push_back(std::move(s));
}

void read_node(Reader& r, const Field& f, Config& config) {
  MapReader m(r, f, {"name", "labels", "addresses"});
  if (!m.is_map()) return;
  auto& nodes = config.standalone->nodes;
  const auto mk = key("nodes", nodes.size());
  r.record(mk, f.node, f.path);
  record_if_written(r, key(mk, "name"), m, "name");
  StandaloneNode n;
  if (auto v = m.get("name")) {
    n.name = read_string(r, *v).value_or("");
    if (n.name.empty()) {
      r.error(v->node, v->path, "node name must not be empty");
    } else if (auto why = check_dns_subdomain(n.name); !why.empty()) {
      r.error(v->node, v->path,
              "invalid node name " + q(n.name) + ": a node name, as in Kubernetes, " + why);
    }
  } else {
    r.error(f.node, f.path, "missing required field \"name\"");
  }
  if (auto v = m.get("labels")) n.labels = read_labels(r, *v).value_or(Labels{});
  // Every Kubernetes node carries its name as this label; node selectors often use it.
  n.labels.emplace("kubernetes.io/hostname", n.name);
  if (auto v = m.get("addresses")) n.addresses = read_addresses(r, *v, key(mk, "addresses"));
  nodes.push_back(std::move(n));
}

}  // namespace

const std::vector<std::string> kStandaloneKeys = {"node", "nodes", "services"};

void read_standalone_part(Reader& r, const MapReader& m, Config& config) {
  if (!config.standalone) config.standalone.emplace();
  record(r, "node", m, "node");
  if (auto v = m.get("node")) config.standalone->node = read_string(r, *v).value_or("");
  if (auto v = m.get("nodes")) {
    read_list(r, *v, [&](const Field& item, std::size_t) { read_node(r, item, config); });
  }
  if (auto v = m.get("services")) {
    config.standalone->services.reserve(v->node.size());
    read_list(r, *v, [&](const Field& item, std::size_t) { read_service(r, item, config); });
  }
}

void read_standalone_document(Reader& r, const Node& document, Config& config) {
  MapReader m(r, Field{document, ""}, kStandaloneKeys,
              "beside MetalLB resources the plain document holds only node, nodes and services: "
              "pools and peers are written either as resources or in the body, not both");
  if (m.is_map()) read_standalone_part(r, m, config);
}

}  // namespace vipd::config::detail
