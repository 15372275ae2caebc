#pragma once
// The Service as vipd reads it (core/v1): what decides allocation, announcement and the
// status it writes. Defaults are Kubernetes' own: an unset type is ClusterIP, an unset
// externalTrafficPolicy is Cluster, an unset port protocol is TCP. See objects.hpp. Pure.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.hpp"
#include "common/label_selector.hpp"
#include "common/result.hpp"
#include "k8s/object_meta.hpp"

namespace vipd::k8s {

enum class ServiceType : std::uint8_t { kClusterIp, kNodePort, kLoadBalancer, kExternalName };
enum class TrafficPolicy : std::uint8_t { kCluster, kLocal };
enum class IpFamilyPolicy : std::uint8_t { kSingleStack, kPreferDualStack, kRequireDualStack };
enum class Protocol : std::uint8_t { kTcp, kUdp, kSctp };

// As the API spells them: "LoadBalancer", "Local", "PreferDualStack", "UDP".
std::string_view to_string(ServiceType type);
std::string_view to_string(TrafficPolicy policy);
std::string_view to_string(IpFamilyPolicy policy);
std::string_view to_string(Protocol protocol);

struct ServicePort {
  std::string name;
  Protocol protocol = Protocol::kTcp;
  std::uint16_t port = 0;       // 1-65535
  std::uint16_t node_port = 0;  // 0: none allocated
  friend bool operator==(const ServicePort&, const ServicePort&) = default;
};

struct Service {
  ObjectMeta meta;  // annotations: AnnotationFilter::kService
  ServiceType type = ServiceType::kClusterIp;
  std::optional<std::string> load_balancer_class;
  std::optional<IpAddress> load_balancer_ip;  // spec.loadBalancerIP ("" reads as unset)
  TrafficPolicy external_traffic_policy = TrafficPolicy::kCluster;
  std::vector<Family> ip_families;  // primary first
  std::optional<IpFamilyPolicy> ip_family_policy;
  std::vector<IpAddress> cluster_ips;  // spec.clusterIPs (or clusterIP); "None" (headless): empty
  std::vector<IpAddress> external_ips;
  std::vector<ServicePort> ports;
  Labels selector;
  std::vector<IpAddress> ingress_ips;  // status.loadBalancer.ingress[].ip; hostnames ignored

  std::size_t size_estimate() const;  // heap bytes held; not sizeof
  friend bool operator==(const Service&, const Service&) = default;
};

// Both forms: a parsed value, or an object as an informer holds it (an item of a list, the
// object of a watch event).
Result<Service> decode_service(const boost::json::value& object);
Result<Service> decode_service(const boost::json::object& object);

}  // namespace vipd::k8s
