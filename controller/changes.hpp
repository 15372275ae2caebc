#pragma once
// What the controller's decisions say to the world (controller/decider.hpp decides): for each
// Service the state vipd wants on it, the Events to record, and each address pool's status
// counts. Values only: the I/O side compares a desired state with the live object, writes only
// the difference, and records the Events. Pure; no I/O.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "allocator/types.hpp"
#include "common/ip_address.hpp"
#include "common/label_selector.hpp"
#include "k8s/service_view.hpp"

namespace vipd::controller {

using allocator::ServiceKey;

// Annotations vipd writes on a Service. MetalLB's pool annotation; its deprecated spelling
// (which current MetalLB deletes when it writes the new one); and vipd's record of the
// spec.externalIPs entries it added (Romana VIPs), so that it later removes only its own.
inline constexpr std::string_view kAnnotationPool = "metallb.io/ip-allocated-from-pool";
inline constexpr std::string_view kAnnotationDeprecatedPool =
    "metallb.universe.tf/ip-allocated-from-pool";
inline constexpr std::string_view kAnnotationExternalIps = "vipd.io/external-ips";

// Event reasons, as MetalLB's controller spells them (controller/service.go, main.go).
inline constexpr std::string_view kReasonIpAllocated = "IPAllocated";
inline constexpr std::string_view kReasonAllocationFailed = "AllocationFailed";
inline constexpr std::string_view kReasonClearAssignment = "ClearAssignment";
inline constexpr std::string_view kReasonLoadBalancerFailed = "LoadBalancerFailed";
inline constexpr std::string_view kReasonDeprecatedAnnotation = "deprecatedAnnotation";

enum class EventType : std::uint8_t { kNormal, kWarning };
std::string_view to_string(EventType type);  // "Normal", "Warning"

// An Event to record on a Service.
struct Event {
  ServiceKey service;
  EventType type = EventType::kNormal;
  std::string reason;
  std::string message;
  friend bool operator==(const Event&, const Event&) = default;
};

// The parts of a Service vipd owns, as vipd wants them. Absolute, not a change: the same
// Desired is right whatever the live object holds.
struct Desired {
  // false: vipd owns nothing on this Service (another controller's class) and writes nothing.
  bool manage = false;
  // false: status.loadBalancer and metallb.io/ip-allocated-from-pool belong to another
  // controller (a LoadBalancer of another class that vipd once served as a Romana VIP): only
  // vipd's spec.externalIPs entries and their record are to be made as desired.
  bool owns_status = true;
  // status.loadBalancer.ingress: one entry {ip} per address, in this order, nothing else (no
  // hostname, no ipMode: MetalLB writes none; an ipMode the API server defaults is no change).
  std::vector<IpAddress> ingress;
  // metallb.io/ip-allocated-from-pool: the pool, or absent. The deprecated
  // metallb.universe.tf/ip-allocated-from-pool is always absent.
  std::optional<std::string> pool;
  // The spec.externalIPs entries that are vipd's (a Romana VIP on a Service that is not a
  // LoadBalancer), recorded in vipd.io/external-ips (absent when empty). Entries vipd
  // recorded before and no longer wants are removed; every other entry is the user's.
  std::vector<IpAddress> external_ips;

  friend bool operator==(const Desired&, const Desired&) = default;
};

// The annotations vipd owns with the value each must have (nullopt: must be absent), in a
// fixed order: kAnnotationPool, kAnnotationDeprecatedPool (both only when owns_status),
// kAnnotationExternalIps. Empty when !manage.
std::vector<std::pair<std::string_view, std::optional<std::string>>> owned_annotations(
    const Desired& desired);

// spec.externalIPs as vipd wants them, from the live object's list and annotations: the
// entries its vipd.io/external-ips annotation records are vipd's and are replaced by
// desired.external_ips (added at the end, in order, when missing); the others stay as they are.
// The live list itself when !manage.
std::vector<IpAddress> merge_external_ips(const Desired& desired,
                                          const std::vector<IpAddress>& live,
                                          const Labels& live_annotations);

// The addresses a vipd.io/external-ips value lists ("203.0.113.5,2001:db8::5"); entries that
// do not parse are skipped.
std::vector<IpAddress> parse_address_list(std::string_view text);
std::string format_address_list(const std::vector<IpAddress>& addresses);

// Whether the Service, as this view shows it, already is as desired (nothing to write); the
// status counts only when owns_status. Hostname entries in the status are not in the view, so
// they are not compared.
bool satisfied(const Desired& desired, const k8s::Service& service);

// An address pool's status (IPAddressPool status: assignedIPv4, assignedIPv6, availableIPv4,
// availableIPv6), the CRD's int64 counts: a count beyond 2^63 - 1 is 2^63 - 1, and available
// is that capped size minus the assigned addresses (MetalLB counts an enormous IPv6 pool as
// 2^63 - 1 addresses the same way).
struct PoolStatus {
  std::string pool;
  std::int64_t assigned_ipv4 = 0;
  std::int64_t assigned_ipv6 = 0;
  std::int64_t available_ipv4 = 0;
  std::int64_t available_ipv6 = 0;
  friend bool operator==(const PoolStatus&, const PoolStatus&) = default;
};

// The outcome of one call on the Decider.
struct Changes {
  // Each Service decided by the call, with its desired state (the last one when decided twice).
  std::map<ServiceKey, Desired> services;
  // In the order they happened.
  std::vector<Event> events;

  bool empty() const { return services.empty() && events.empty(); }
};

}  // namespace vipd::controller
