#pragma once
// Parsers for the Service annotations vipd honours, with errors a person can act on:
// MetalLB's metallb.io/address-pool, metallb.io/loadBalancerIPs (at most one address per
// family) and metallb.io/allow-shared-ip, their deprecated metallb.universe.tf/* spellings
// (accepted and reported as deprecated), and Romana's romanaip / romanavip JSON
// ({"auto": bool, "ip": "..."}), which asks for a layer-2 VIP. Pure; no I/O.

#include <optional>
#include <string>
#include <vector>

#include "common/ip_address.hpp"
#include "common/label_selector.hpp"
#include "config/diagnostic.hpp"

namespace vipd::config {

inline constexpr const char* kAnnotationAddressPool = "metallb.io/address-pool";
inline constexpr const char* kAnnotationLoadBalancerIps = "metallb.io/loadBalancerIPs";
inline constexpr const char* kAnnotationAllowSharedIp = "metallb.io/allow-shared-ip";
inline constexpr const char* kAnnotationIpAllocatedFromPool = "metallb.io/ip-allocated-from-pool";

struct RomanaRequest {
  std::string annotation;  // "romanaip" or "romanavip"
  bool auto_allocate = false;
  std::optional<IpAddress> ip;
  friend bool operator==(const RomanaRequest&, const RomanaRequest&) = default;
};

struct ServiceAnnotations {
  std::string address_pool;
  std::vector<IpAddress> load_balancer_ips;
  std::string allow_shared_ip;  // the sharing key
  std::optional<RomanaRequest> romana;
  friend bool operator==(const ServiceAnnotations&, const ServiceAnnotations&) = default;
};

struct AnnotationIssue {
  Severity severity = Severity::kError;
  std::string annotation;  // the key it concerns
  std::string message;
  std::string to_string() const;  // "KEY: MESSAGE" ("KEY: warning: MESSAGE")
};

struct AnnotationResult {
  ServiceAnnotations value;  // what could be read; use only when ok()
  std::vector<AnnotationIssue> issues;
  bool ok() const;  // no errors (warnings allowed)
};

// Reads the annotations of one Service; unrelated annotations are ignored.
AnnotationResult parse_service_annotations(const Labels& annotations);

}  // namespace vipd::config
