#pragma once
// The allocator's own input and output types. The configuration front ends (MetalLB
// ConfigMap, MetalLB resources, standalone file) and the Kubernetes Service views are mapped
// into these by the daemon; the allocator knows nothing about YAML, JSON or the API server.
// See allocator/allocator.hpp for the rules that use them. Pure; no I/O.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/ip_address.hpp"
#include "common/label_selector.hpp"
#include "common/prefix.hpp"
#include "common/uint128.hpp"

namespace vipd::allocator {

// One configured entry of a pool's address list: a CIDR or an inclusive first-last range.
using AddressBlock = std::variant<Prefix, IpRange>;

IpRange to_range(const AddressBlock& block);
std::string to_string(const AddressBlock& block);  // as configured: "a/n" or "first-last"

// An address pool (MetalLB IPAddressPool or ConfigMap address-pool).
struct Pool {
  std::string name;
  std::vector<AddressBlock> addresses;  // IPv4 and IPv6 mixed; searched in this order
  bool auto_assign = true;              // false: only for Services that name this pool or IP
  bool avoid_buggy_ips = false;         // IPv4 addresses ending in .0 or .255 are not handed out
  // serviceAllocation: a pool with any of these three is "pinned": automatic allocation uses it
  // only for Services it accepts, and before every unpinned pool.
  std::vector<std::string> namespaces;
  std::vector<LabelSelector> namespace_selectors;
  std::vector<LabelSelector> service_selectors;
  std::optional<int> priority;  // among pinned pools: lower first, unset after every set one

  bool pinned() const {
    return !namespaces.empty() || !namespace_selectors.empty() || !service_selectors.empty();
  }
};

// A Service's identity: namespace and name ("default" for standalone services without one).
struct ServiceKey {
  std::string ns;
  std::string name;

  std::string to_string() const { return ns + "/" + name; }
  friend auto operator<=>(const ServiceKey&, const ServiceKey&) = default;
};

// Where a requested address came from. Kubernetes offers two places that mean the same thing;
// a Service that uses both is refused rather than guessed at.
enum class AddressSource : std::uint8_t {
  kSpecLoadBalancerIp,   // spec.loadBalancerIP
  kAnnotation,           // metallb.io/loadBalancerIPs (or the metallb.universe.tf name)
  kStandaloneAddresses,  // standalone file: services[].addresses
};
std::string_view to_string(AddressSource source);

struct RequestedAddress {
  IpAddress address;
  AddressSource source = AddressSource::kAnnotation;
  friend bool operator==(const RequestedAddress&, const RequestedAddress&) = default;
};

enum class IpFamilyPolicy : std::uint8_t { kSingleStack, kPreferDualStack, kRequireDualStack };
std::string_view to_string(IpFamilyPolicy policy);

enum class TrafficPolicy : std::uint8_t { kCluster, kLocal };
std::string_view to_string(TrafficPolicy policy);

enum class Protocol : std::uint8_t { kTcp, kUdp, kSctp };
std::string_view to_string(Protocol protocol);

struct Port {
  Protocol protocol = Protocol::kTcp;
  std::uint16_t number = 0;
  std::string to_string() const;  // "TCP/80"
  friend auto operator<=>(const Port&, const Port&) = default;
};

// What one Service asks of the allocator.
struct ServiceRequest {
  ServiceKey key;
  Labels namespace_labels;  // labels of the Service's namespace (namespace selectors)
  Labels service_labels;    // the Service's own labels (service selectors)
  // Specific addresses wanted, at most one per family, all from one source.
  std::vector<RequestedAddress> requested;
  std::string pool;  // metallb.io/address-pool or standalone `pool`; empty = any pool
  IpFamilyPolicy family_policy = IpFamilyPolicy::kSingleStack;
  // spec.ipFamilies: one or two distinct families, primary first. SingleStack takes exactly
  // one, RequireDualStack exactly two, PreferDualStack one or two.
  std::vector<Family> families{Family::kV4};
  std::string sharing_key;  // metallb.io/allow-shared-ip; empty = never shared
  TrafficPolicy traffic_policy = TrafficPolicy::kCluster;
  Labels backend_selector;  // spec.selector; compared for sharing only under kLocal
  std::vector<Port> ports;
};

// What a Service holds: one address per family, all from one pool.
struct Assignment {
  std::string pool;
  std::vector<IpAddress> addresses;  // ascending: the IPv4 address (if any) first
  friend bool operator==(const Assignment&, const Assignment&) = default;
};

// Sizes are exact (u128) and additions saturate at 2^128 - 1, so a /64 (or larger) pool
// counts without overflow. Addresses a pool avoids (avoid-buggy-ips) are not in `total`.
struct FamilyCounts {
  u128 total = 0;
  u128 in_use = 0;  // distinct addresses held; an address shared by three Services counts once
  friend bool operator==(const FamilyCounts&, const FamilyCounts&) = default;
};

struct PoolCounts {
  FamilyCounts v4;
  FamilyCounts v6;
  u128 total() const;   // v4 + v6, saturating
  u128 in_use() const;  // v4 + v6
  friend bool operator==(const PoolCounts&, const PoolCounts&) = default;
};

// Addition that stops at 2^128 - 1 instead of wrapping.
constexpr u128 saturating_add(u128 a, u128 b) { return a > kU128Max - b ? kU128Max : a + b; }

// A configuration change took a Service's address(es) away: the caller re-allocates and emits
// ClearAssignment.
struct ClearedAssignment {
  ServiceKey service;
  Assignment previous;
  std::string reason;
};

// A configuration change kept a Service's address(es) but they now belong to another pool
// (the pool was renamed or split).
struct MovedAssignment {
  ServiceKey service;
  std::string from_pool;
  std::string to_pool;
};

struct ReloadReport {
  std::vector<ClearedAssignment> cleared;  // ordered by service
  std::vector<MovedAssignment> moved;      // ordered by service
};

}  // namespace vipd::allocator
