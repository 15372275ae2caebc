#include "k8s/service_view.hpp"

#include "k8s/object_reader.hpp"

namespace vipd::k8s {
namespace json = boost::json;
using detail::EnumName;
using detail::member;
using detail::Path;

namespace {

constexpr EnumName<ServiceType> kTypes[] = {
    {"ClusterIP", ServiceType::kClusterIp},
    {"NodePort", ServiceType::kNodePort},
    {"LoadBalancer", ServiceType::kLoadBalancer},
    {"ExternalName", ServiceType::kExternalName},
};
constexpr EnumName<TrafficPolicy> kTrafficPolicies[] = {
    {"Cluster", TrafficPolicy::kCluster},
    {"Local", TrafficPolicy::kLocal},
};
constexpr EnumName<IpFamilyPolicy> kFamilyPolicies[] = {
    {"SingleStack", IpFamilyPolicy::kSingleStack},
    {"PreferDualStack", IpFamilyPolicy::kPreferDualStack},
    {"RequireDualStack", IpFamilyPolicy::kRequireDualStack},
};
constexpr EnumName<Protocol> kProtocols[] = {
    {"TCP", Protocol::kTcp},
    {"UDP", Protocol::kUdp},
    {"SCTP", Protocol::kSctp},
};
constexpr EnumName<Family> kFamilies[] = {
    {"IPv4", Family::kV4},
    {"IPv6", Family::kV6},
};

// Each element of an array of IP address strings; `skip` names a value that stands for none.
Result<std::vector<IpAddress>> read_ips(const json::value* v, const Path& path,
                                        std::string_view skip = {}) {
  VIPD_TRY(const auto* array, detail::read_array(v, path));
  std::vector<IpAddress> out;
  if (array == nullptr) return out;
  out.reserve(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) {
    const Path at = path.index(i);
    const auto& item = (*array)[i];
    if (!skip.empty() && item.is_string() && item.get_string() == skip) continue;
    VIPD_TRY(auto ip, detail::read_ip(&item, at));
    if (ip) out.push_back(*ip);
  }
  out.shrink_to_fit();
  return out;
}

Result<std::vector<ServicePort>> read_ports(const json::value* v, const Path& path) {
  VIPD_TRY(const auto* array, detail::read_array(v, path));
  std::vector<ServicePort> out;
  if (array == nullptr) return out;
  out.reserve(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) {
    const Path at = path.index(i);
    VIPD_TRY(const auto* p, detail::read_object(&(*array)[i], at));
    if (p == nullptr) return failure(detail::path_error(at, "expected an object, got null"));
    ServicePort port;
    VIPD_TRY(port.name, detail::read_string_or_empty(member(*p, "name"), at.key("name")));
    VIPD_TRY(auto protocol,
             detail::read_enum(member(*p, "protocol"), at.key("protocol"), kProtocols));
    port.protocol = protocol.value_or(Protocol::kTcp);
    const Path port_path = at.key("port");
    VIPD_TRY(auto number, detail::read_int(member(*p, "port"), port_path, 1, 65535));
    if (!number) return failure(detail::path_error(port_path, "missing"));
    port.port = static_cast<std::uint16_t>(*number);
    VIPD_TRY(auto node_port,
             detail::read_int(member(*p, "nodePort"), at.key("nodePort"), 0, 65535));
    port.node_port = static_cast<std::uint16_t>(node_port.value_or(0));
    out.push_back(std::move(port));
  }
  return out;
}

Result<std::vector<Family>> read_families(const json::value* v, const Path& path) {
  VIPD_TRY(const auto* array, detail::read_array(v, path));
  std::vector<Family> out;
  if (array == nullptr) return out;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const Path at = path.index(i);
    VIPD_TRY(auto family, detail::read_enum(&(*array)[i], at, kFamilies));
    if (!family) return failure(detail::path_error(at, "expected a string, got null"));
    out.push_back(*family);
  }
  return out;
}

Result<std::vector<IpAddress>> read_ingress(const json::object* status, const Path& path) {
  const Path lb_path = path.key("loadBalancer");
  VIPD_TRY(const auto* lb, detail::read_object(member(status, "loadBalancer"), lb_path));
  const Path ingress_path = lb_path.key("ingress");
  VIPD_TRY(const auto* ingress, detail::read_array(member(lb, "ingress"), ingress_path));
  std::vector<IpAddress> out;
  if (ingress == nullptr) return out;
  for (std::size_t i = 0; i < ingress->size(); ++i) {
    const Path at = ingress_path.index(i);
    VIPD_TRY(const auto* entry, detail::read_object(&(*ingress)[i], at));
    VIPD_TRY(auto ip, detail::read_ip(member(entry, "ip"), at.key("ip")));
    if (ip) out.push_back(*ip);  // an entry with only a hostname is not vipd's
  }
  return out;
}

}  // namespace

std::string_view to_string(ServiceType type) { return detail::enum_name(type, kTypes); }
std::string_view to_string(TrafficPolicy policy) {
  return detail::enum_name(policy, kTrafficPolicies);
}
std::string_view to_string(IpFamilyPolicy policy) {
  return detail::enum_name(policy, kFamilyPolicies);
}
std::string_view to_string(Protocol protocol) { return detail::enum_name(protocol, kProtocols); }

std::size_t Service::size_estimate() const {
  std::size_t total = meta.size_estimate() + detail::heap_bytes(selector) +
                      ip_families.capacity() * sizeof(Family) +
                      (cluster_ips.capacity() + external_ips.capacity() + ingress_ips.capacity()) *
                          sizeof(IpAddress) +
                      ports.capacity() * sizeof(ServicePort);
  if (load_balancer_class) total += detail::heap_bytes(*load_balancer_class);
  for (const auto& p : ports) total += detail::heap_bytes(p.name);
  return total;
}

Result<Service> decode_service(const json::value& object) {
  VIPD_TRY(const auto* root, detail::read_root(object));
  return decode_service(*root);
}

Result<Service> decode_service(const json::object& root) {
  VIPD_TRY(detail::check_type(root, Kind::kService));
  Service s;
  VIPD_TRY(s.meta, detail::read_meta(root, AnnotationFilter::kService));

  const Path top;
  const Path spec_path = top.key("spec");
  VIPD_TRY(const auto* spec, detail::read_object(member(root, "spec"), spec_path));
  VIPD_TRY(auto type, detail::read_enum(member(spec, "type"), spec_path.key("type"), kTypes));
  s.type = type.value_or(ServiceType::kClusterIp);
  VIPD_TRY(auto lb_class, detail::read_string(member(spec, "loadBalancerClass"),
                                              spec_path.key("loadBalancerClass")));
  if (lb_class) s.load_balancer_class = std::string(*lb_class);
  VIPD_TRY(s.load_balancer_ip,
           detail::read_ip(member(spec, "loadBalancerIP"), spec_path.key("loadBalancerIP")));
  VIPD_TRY(auto policy,
           detail::read_enum(member(spec, "externalTrafficPolicy"),
                             spec_path.key("externalTrafficPolicy"), kTrafficPolicies));
  s.external_traffic_policy = policy.value_or(TrafficPolicy::kCluster);
  VIPD_TRY(s.ip_families, read_families(member(spec, "ipFamilies"), spec_path.key("ipFamilies")));
  VIPD_TRY(s.ip_family_policy, detail::read_enum(member(spec, "ipFamilyPolicy"),
                                                 spec_path.key("ipFamilyPolicy"), kFamilyPolicies));
  // clusterIPs (1.20+) holds clusterIP as its first element; older servers send clusterIP only.
  if (const auto* ips = member(spec, "clusterIPs")) {
    VIPD_TRY(s.cluster_ips, read_ips(ips, spec_path.key("clusterIPs"), "None"));
  } else {
    const Path at = spec_path.key("clusterIP");
    VIPD_TRY(auto text, detail::read_string(member(spec, "clusterIP"), at));
    if (text && *text != "None") {
      VIPD_TRY(auto ip, detail::read_ip(member(spec, "clusterIP"), at));
      if (ip) s.cluster_ips.push_back(*ip);
    }
  }
  VIPD_TRY(s.external_ips, read_ips(member(spec, "externalIPs"), spec_path.key("externalIPs")));
  VIPD_TRY(s.ports, read_ports(member(spec, "ports"), spec_path.key("ports")));
  VIPD_TRY(s.selector,
           detail::read_string_map(member(spec, "selector"), spec_path.key("selector")));

  const Path status_path = top.key("status");
  VIPD_TRY(const auto* status, detail::read_object(member(root, "status"), status_path));
  VIPD_TRY(s.ingress_ips, read_ingress(status, status_path));
  return s;
}

}  // namespace vipd::k8s
