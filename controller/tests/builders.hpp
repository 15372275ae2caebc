#pragma once
// Builders shared by the controller model's tests: Service views as the k8s decoder makes
// them, configurations read by the real front end (MetalLB resources or the ConfigMap body),
// and readable renderings of what a Decider says. Addresses: documentation ranges only.

#include <gtest/gtest.h>

#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "config/load.hpp"
#include "controller/changes.hpp"
#include "controller/decider.hpp"
#include "k8s/service_view.hpp"

namespace vipd::controller {

// Readable failure messages for GoogleTest.
inline void PrintTo(const PoolStatus& s, std::ostream* os) {
  *os << s.pool << ": IPv4 " << s.assigned_ipv4 << " assigned, " << s.available_ipv4
      << " available; IPv6 " << s.assigned_ipv6 << " assigned, " << s.available_ipv6
      << " available";
}
inline void PrintTo(const Desired& d, std::ostream* os) {
  if (!d.manage) {
    *os << "(not managed)";
    return;
  }
  *os << "ingress [";
  for (const auto& a : d.ingress) *os << " " << a.to_string();
  *os << " ] pool " << (d.pool ? *d.pool : "(none)") << " external [";
  for (const auto& a : d.external_ips) *os << " " << a.to_string();
  *os << " ]";
}

}  // namespace vipd::controller

namespace vipd::controller::test {

inline IpAddress ip(std::string_view text) { return IpAddress::parse(text).value(); }

inline std::vector<IpAddress> ips(std::initializer_list<std::string_view> texts) {
  std::vector<IpAddress> out;
  for (const auto t : texts) out.push_back(ip(t));
  return out;
}

// A Service view: LoadBalancer, SingleStack IPv4 (a cluster IP in 192.0.2.0/24), one TCP port
// 80, Cluster traffic policy, unless told otherwise.
class Svc {
 public:
  // "ns/name", or "name" in namespace "default".
  explicit Svc(std::string_view id) {
    const auto slash = id.find('/');
    s_.meta.namespace_ =
        slash == std::string_view::npos ? "default" : std::string(id.substr(0, slash));
    s_.meta.name = std::string(slash == std::string_view::npos ? id : id.substr(slash + 1));
    s_.meta.uid = "uid-" + s_.meta.namespace_ + "-" + s_.meta.name;
    s_.type = k8s::ServiceType::kLoadBalancer;
    s_.ip_families = {Family::kV4};
    s_.cluster_ips = {ip("192.0.2.250")};
    s_.ports = {{.name = "http", .protocol = k8s::Protocol::kTcp, .port = 80}};
  }

  // A view to change further.
  explicit Svc(k8s::Service s) : s_(std::move(s)) {}

  Svc& type(k8s::ServiceType t) {
    s_.type = t;
    return *this;
  }
  Svc& cluster_ip() { return type(k8s::ServiceType::kClusterIp); }
  Svc& lb_class(std::string c) {
    s_.load_balancer_class = std::move(c);
    return *this;
  }
  Svc& annotate(std::string key, std::string value) {
    s_.meta.annotations.insert_or_assign(std::move(key), std::move(value));
    return *this;
  }
  Svc& pool(std::string name) { return annotate("metallb.io/address-pool", std::move(name)); }
  Svc& lb_ips(std::string list) { return annotate("metallb.io/loadBalancerIPs", std::move(list)); }
  Svc& share(std::string key) { return annotate("metallb.io/allow-shared-ip", std::move(key)); }
  Svc& romana(std::string json, std::string key = "romanaip") {
    return annotate(std::move(key), std::move(json));
  }
  Svc& label(std::string key, std::string value) {
    s_.meta.labels.insert_or_assign(std::move(key), std::move(value));
    return *this;
  }
  Svc& spec_ip(std::string_view text) {
    s_.load_balancer_ip = ip(text);
    return *this;
  }
  // ipFamilies (primary first) and ipFamilyPolicy; cluster IPs follow the families.
  Svc& families(std::vector<Family> f, k8s::IpFamilyPolicy policy) {
    s_.ip_families = f;
    s_.ip_family_policy = policy;
    s_.cluster_ips.clear();
    for (const auto family : f) {
      s_.cluster_ips.push_back(family == Family::kV4 ? ip("192.0.2.250") : ip("2001:db8:ffff::1"));
    }
    return *this;
  }
  Svc& v6() { return families({Family::kV6}, k8s::IpFamilyPolicy::kSingleStack); }
  Svc& require_dual(Family primary = Family::kV4) {
    return families({primary, primary == Family::kV4 ? Family::kV6 : Family::kV4},
                    k8s::IpFamilyPolicy::kRequireDualStack);
  }
  Svc& prefer_dual(Family primary = Family::kV4, bool cluster_has_both = true) {
    std::vector<Family> f{primary};
    if (cluster_has_both) f.push_back(primary == Family::kV4 ? Family::kV6 : Family::kV4);
    return families(f, k8s::IpFamilyPolicy::kPreferDualStack);
  }
  Svc& no_families() {
    s_.ip_families.clear();
    s_.cluster_ips.clear();
    return *this;
  }
  Svc& ports(std::vector<std::pair<k8s::Protocol, std::uint16_t>> list) {
    s_.ports.clear();
    for (const auto& [proto, port] : list) s_.ports.push_back({.protocol = proto, .port = port});
    return *this;
  }
  Svc& port(std::uint16_t p, k8s::Protocol proto = k8s::Protocol::kTcp) {
    return ports({{proto, p}});
  }
  Svc& local(Labels selector) {
    s_.external_traffic_policy = k8s::TrafficPolicy::kLocal;
    s_.selector = std::move(selector);
    return *this;
  }
  Svc& selector(Labels selector) {
    s_.selector = std::move(selector);
    return *this;
  }
  Svc& ingress(std::initializer_list<std::string_view> list) {
    s_.ingress_ips = ips(list);
    return *this;
  }
  Svc& external(std::initializer_list<std::string_view> list) {
    s_.external_ips = ips(list);
    return *this;
  }

  const k8s::Service& view() const { return s_; }
  operator k8s::Service() const { return s_; }  // NOLINT(google-explicit-constructor)
  ServiceKey key() const { return {s_.meta.namespace_, s_.meta.name}; }

 private:
  k8s::Service s_;
};

inline ServiceKey key(std::string_view id) { return Svc(id).key(); }

// MetalLB resources (IPAddressPool, L2Advertisement, ...) read by the real front end.
inline config::Config resources(const std::string& yaml) {
  auto r = config::load_text(yaml, "test.yaml", config::InputFormat::kResources);
  if (!r) ADD_FAILURE() << r.error().message();
  return r ? std::move(r.value()) : config::Config{};
}

// A ConfigMap body (address-pools with protocol bgp or layer2).
inline config::Config configmap(const std::string& body) {
  auto r = config::load_text(body, "config.yaml", config::InputFormat::kConfigMap);
  if (!r) ADD_FAILURE() << r.error().message();
  return r ? std::move(r.value()) : config::Config{};
}

// One IPAddressPool document.
inline std::string pool_doc(const std::string& name, const std::vector<std::string>& addresses,
                            const std::string& extra_spec = "") {
  std::string out =
      "---\napiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: " + name +
      "\n  namespace: metallb-system\nspec:\n  addresses:\n";
  for (const auto& a : addresses) out += "  - " + a + "\n";
  return out + extra_spec;
}

// An L2Advertisement of the named pools (none: every pool).
inline std::string l2_doc(const std::string& name, const std::vector<std::string>& pools = {}) {
  std::string out =
      "---\napiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata:\n  name: " + name +
      "\n  namespace: metallb-system\n";
  if (!pools.empty()) {
    out += "spec:\n  ipAddressPools:\n";
    for (const auto& p : pools) out += "  - " + p + "\n";
  }
  return out;
}

inline std::string describe(const Event& e) {
  return std::string(to_string(e.type)) + " " + e.reason + " " + e.service.to_string() + ": " +
         e.message;
}

inline std::vector<std::string> describe(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(describe(e));
  return out;
}

// "Normal IPAllocated", ... for one Service, in order.
inline std::vector<std::string> reasons(const Changes& c, const ServiceKey& k) {
  std::vector<std::string> out;
  for (const auto& e : c.events) {
    if (e.service == k) out.push_back(std::string(to_string(e.type)) + " " + e.reason);
  }
  return out;
}

inline const Desired& desired(const Changes& c, const ServiceKey& k) {
  static const Desired kMissing{};
  const auto it = c.services.find(k);
  if (it == c.services.end()) {
    ADD_FAILURE() << k.to_string() << " was not decided";
    return kMissing;
  }
  return it->second;
}

// The Service as it will be once the desired state is written (status, annotations,
// spec.externalIPs): what the informer hands back next.
inline k8s::Service applied(k8s::Service s, const Desired& d) {
  if (!d.manage) return s;
  s.external_ips = merge_external_ips(d, s.external_ips, s.meta.annotations);
  if (d.owns_status) s.ingress_ips = d.ingress;
  for (const auto& [name, value] : owned_annotations(d)) {
    if (value) {
      s.meta.annotations.insert_or_assign(std::string(name), *value);
    } else {
      s.meta.annotations.erase(std::string(name));
    }
  }
  return s;
}

}  // namespace vipd::controller::test
