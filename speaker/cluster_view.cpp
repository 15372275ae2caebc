#include "speaker/cluster_view.hpp"

#include <algorithm>

namespace vipd::speaker {

bool is_romana_vip(const k8s::Service& service) {
  const auto& a = service.meta.annotations;
  return a.contains("romanaip") || a.contains("romanavip");
}

bool serves(const k8s::Service& service, std::string_view lb_class) {
  if (service.type != k8s::ServiceType::kLoadBalancer) return is_romana_vip(service);
  if (lb_class.empty()) return !service.load_balancer_class.has_value();
  return service.load_balancer_class == lb_class;
}

std::vector<IpAddress> vipd_external_ips(const k8s::Service& service) {
  std::vector<IpAddress> out;
  const auto it = service.meta.annotations.find(kExternalIpsAnnotation);
  if (it == service.meta.annotations.end()) return out;
  std::string_view rest = it->second;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const auto item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    const auto address = IpAddress::parse(item);
    if (!address) continue;
    const auto& spec = service.external_ips;
    if (std::find(spec.begin(), spec.end(), address.value()) != spec.end() &&
        std::find(out.begin(), out.end(), address.value()) == out.end()) {
      out.push_back(address.value());
    }
  }
  return out;
}

planner::ServiceInfo service_info(const k8s::Service& service,
                                  std::span<const k8s::EndpointSlice* const> slices) {
  planner::ServiceInfo info;
  info.namespace_ = service.meta.namespace_;
  info.name = service.meta.name;
  info.labels = service.meta.labels;
  info.romana_vip = is_romana_vip(service);
  info.addresses = service.type == k8s::ServiceType::kLoadBalancer ? service.ingress_ips
                                                                   : vipd_external_ips(service);
  info.traffic_policy = service.external_traffic_policy == k8s::TrafficPolicy::kLocal
                            ? config::TrafficPolicy::kLocal
                            : config::TrafficPolicy::kCluster;
  for (const auto* slice : slices) {
    if (slice == nullptr || slice->address_type == k8s::AddressType::kFqdn ||
        slice->meta.has_deletion_timestamp) {
      continue;
    }
    for (const auto& e : slice->endpoints) {
      planner::Endpoint endpoint;
      endpoint.node = e.node_name.value_or("");
      endpoint.ready = e.conditions.ready;
      endpoint.serving = e.conditions.serving;
      if (!e.addresses.empty()) endpoint.address = e.addresses.front().to_string();
      info.endpoints.push_back(std::move(endpoint));
    }
  }
  return info;
}

planner::NodeInfo node_info(const k8s::Node& node) {
  return planner::NodeInfo{
      .name = node.meta.name,
      .labels = node.meta.labels,
      .network_unavailable = node.network_unavailable,
      .ready = !node.has_ready_condition || node.ready == k8s::ConditionStatus::kTrue};
}

std::string slice_service_key(const k8s::EndpointSlice& slice) {
  if (slice.service_name.empty()) return {};
  return slice.meta.namespace_ + "/" + slice.service_name;
}

}  // namespace vipd::speaker
