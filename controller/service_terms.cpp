#include "controller/service_terms.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "controller/changes.hpp"

namespace vipd::controller {
namespace {

allocator::Protocol to_allocator(k8s::Protocol p) {
  switch (p) {
    case k8s::Protocol::kTcp:
      return allocator::Protocol::kTcp;
    case k8s::Protocol::kUdp:
      return allocator::Protocol::kUdp;
    case k8s::Protocol::kSctp:
      return allocator::Protocol::kSctp;
  }
  return allocator::Protocol::kTcp;
}

allocator::IpFamilyPolicy to_allocator(k8s::IpFamilyPolicy p) {
  switch (p) {
    case k8s::IpFamilyPolicy::kSingleStack:
      return allocator::IpFamilyPolicy::kSingleStack;
    case k8s::IpFamilyPolicy::kPreferDualStack:
      return allocator::IpFamilyPolicy::kPreferDualStack;
    case k8s::IpFamilyPolicy::kRequireDualStack:
      return allocator::IpFamilyPolicy::kRequireDualStack;
  }
  return allocator::IpFamilyPolicy::kSingleStack;
}

bool holds(const config::Pool& pool, const IpAddress& address) {
  return std::any_of(pool.addresses.begin(), pool.addresses.end(),
                     [&](const config::AddressBlock& b) { return b.range.contains(address); });
}

std::string layer2_pool_names(const config::Config& config) {
  std::string out;
  for (const auto& p : config.pools) {
    if (!config.is_layer2(p)) continue;
    if (!out.empty()) out += ", ";
    out += "'" + p.name + "'";
  }
  return out.empty() ? "none" : out;
}

}  // namespace

std::string_view to_string(Role role) {
  switch (role) {
    case Role::kForeign:
      return "foreign";
    case Role::kNotLoadBalancer:
      return "not a LoadBalancer";
    case Role::kLoadBalancer:
      return "LoadBalancer";
    case Role::kExternalIp:
      return "external IP";
  }
  return "unknown";
}

bool has_romana_annotation(const k8s::Service& service) {
  const auto& a = service.meta.annotations;
  return a.count("romanaip") != 0 || a.count("romanavip") != 0;
}

Role role_of(const k8s::Service& service, std::string_view lb_class) {
  const auto& cls = service.load_balancer_class;
  // filterByLoadBalancerClass: with --lb-class only that class, without it only no class.
  const bool our_class = lb_class.empty() ? !cls.has_value() : cls && *cls == lb_class;
  if (service.type == k8s::ServiceType::kLoadBalancer) {
    return our_class ? Role::kLoadBalancer : Role::kForeign;
  }
  if (has_romana_annotation(service)) return Role::kExternalIp;
  return our_class ? Role::kNotLoadBalancer : Role::kForeign;
}

allocator::ServiceKey key_of(const k8s::Service& service) {
  return {service.meta.namespace_, service.meta.name};
}

std::vector<Family> families_of(const k8s::Service& service) {
  if (!service.ip_families.empty()) return service.ip_families;
  std::vector<Family> out;
  for (const auto& ip : service.cluster_ips) {
    if (std::find(out.begin(), out.end(), ip.family()) == out.end()) out.push_back(ip.family());
  }
  return out;
}

allocator::ServiceRequest base_request(const k8s::Service& service,
                                       const Labels& namespace_labels) {
  allocator::ServiceRequest r;
  r.key = key_of(service);
  r.namespace_labels = namespace_labels;
  r.service_labels = service.meta.labels;
  r.family_policy =
      to_allocator(service.ip_family_policy.value_or(k8s::IpFamilyPolicy::kSingleStack));
  r.families = families_of(service);
  r.traffic_policy = service.external_traffic_policy == k8s::TrafficPolicy::kLocal
                         ? allocator::TrafficPolicy::kLocal
                         : allocator::TrafficPolicy::kCluster;
  if (r.traffic_policy == allocator::TrafficPolicy::kLocal) r.backend_selector = service.selector;
  for (const auto& p : service.ports) r.ports.push_back({to_allocator(p.protocol), p.port});
  return r;
}

std::vector<IpAddress> shown_addresses(const k8s::Service& service, Role role) {
  std::vector<IpAddress> out;
  const auto add = [&](const IpAddress& a) {
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  };
  if (role == Role::kLoadBalancer) {
    for (const auto& a : service.ingress_ips) add(a);
  } else if (role == Role::kExternalIp) {
    const auto it = service.meta.annotations.find(kAnnotationExternalIps);
    if (it != service.meta.annotations.end()) {
      for (const auto& a : parse_address_list(it->second)) {
        const auto& live = service.external_ips;
        if (std::find(live.begin(), live.end(), a) != live.end()) add(a);
      }
    }
  }
  return out;
}

Result<Requests> requests_of(const k8s::Service& service, const config::ServiceAnnotations& notes,
                             allocator::ServiceRequest base, const config::Config& config,
                             const std::optional<std::string>& held_pool) {
  base.pool = notes.address_pool;
  base.sharing_key = notes.allow_shared_ip;
  Requests out;
  if (!notes.romana) {
    for (const auto& a : notes.load_balancer_ips) {
      base.requested.push_back({a, allocator::AddressSource::kAnnotation});
    }
    if (service.load_balancer_ip) {
      base.requested.push_back(
          {*service.load_balancer_ip, allocator::AddressSource::kSpecLoadBalancerIp});
    }
    out.tries.push_back(std::move(base));
    return out;
  }

  const auto& romana = *notes.romana;
  if (!notes.load_balancer_ips.empty() || service.load_balancer_ip) {
    return failure(
        Errc::kInvalidArgument,
        fmt::format("{} and {} both request addresses; use one of them", romana.annotation,
                    notes.load_balancer_ips.empty() ? "spec.loadBalancerIP"
                                                    : config::kAnnotationLoadBalancerIps));
  }
  if (!base.pool.empty()) {
    const auto* named = config.find_pool(base.pool);
    if (named != nullptr && !config.is_layer2(*named)) {
      out.impossible = fmt::format(
          "{} asks for a layer-2 VIP, but address pool '{}' is not announced by layer 2 (no "
          "L2Advertisement selects it)",
          romana.annotation, base.pool);
      return out;
    }
  }
  if (romana.ip) {
    const IpAddress& ip = *romana.ip;
    if (base.pool.empty()) {
      for (const auto& p : config.pools) {
        if (config.is_layer2(p) && holds(p, ip)) {
          base.pool = p.name;  // pools do not overlap: this is the only one
          break;
        }
      }
      if (base.pool.empty()) {
        out.impossible = fmt::format(
            "{} asks for {}, which is in no layer-2 address pool (pools an L2Advertisement "
            "selects: {})",
            romana.annotation, ip.to_string(), layer2_pool_names(config));
        return out;
      }
    }
    // One address, of its own family when the Service has that family (else the allocator
    // refuses it for the family).
    if (std::find(base.families.begin(), base.families.end(), ip.family()) != base.families.end()) {
      base.family_policy = allocator::IpFamilyPolicy::kSingleStack;
      base.families = {ip.family()};
    }
    base.requested.push_back({ip, allocator::AddressSource::kAnnotation});
    out.tries.push_back(std::move(base));
    return out;
  }

  // {"auto": true}: one address, of the primary family.
  base.family_policy = allocator::IpFamilyPolicy::kSingleStack;
  if (base.families.size() > 1) base.families.resize(1);
  std::vector<std::string> candidates;
  if (!base.pool.empty()) {
    candidates.push_back(base.pool);
  } else {
    for (const auto& p : config.pools) {
      if (p.auto_assign && config.is_layer2(p)) candidates.push_back(p.name);
    }
    if (held_pool) {
      const auto it = std::find(candidates.begin(), candidates.end(), *held_pool);
      if (it != candidates.end()) std::rotate(candidates.begin(), it, it + 1);
    }
  }
  if (candidates.empty()) {
    out.impossible = fmt::format(
        "{} asks for a layer-2 VIP, but no address pool with auto-assign is announced by layer 2 "
        "(pools an L2Advertisement selects: {})",
        romana.annotation, layer2_pool_names(config));
    return out;
  }
  for (auto& name : candidates) {
    auto r = base;
    r.pool = std::move(name);
    out.tries.push_back(std::move(r));
  }
  return out;
}

}  // namespace vipd::controller
