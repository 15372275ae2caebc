#pragma once
// How the controller reads a Service (k8s::Service view): whether it is vipd's and in which
// role, its ip families, the allocator request its spec and annotations make, and the
// addresses it already shows as assigned. The rules are MetalLB's controller
// (controller/service.go, internal/allocator/k8salloc) plus the Romana annotation; the
// allocation rules themselves are the allocator's (allocator/allocator.hpp) and the annotation
// syntax is config/annotations.hpp's. Pure; no I/O.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "allocator/types.hpp"
#include "common/label_selector.hpp"
#include "common/result.hpp"
#include "config/annotations.hpp"
#include "config/model.hpp"
#include "k8s/service_view.hpp"

namespace vipd::controller {

// What vipd does with a Service.
enum class Role : std::uint8_t {
  // A LoadBalancer Service of another class (or, with --lb-class, of no class), or any Service
  // of another controller: vipd leaves it alone (MetalLB filters it out entirely).
  kForeign,
  // Not a LoadBalancer and not a Romana VIP: vipd holds nothing for it, and clears the status
  // and pool annotation MetalLB's controller would clear (convergeBalancer, "notLoadBalancer").
  kNotLoadBalancer,
  // A LoadBalancer Service of vipd's class: addresses in status.loadBalancer.ingress.
  kLoadBalancer,
  // A Romana VIP on a Service that is not a LoadBalancer: the address goes to spec.externalIPs.
  kExternalIp,
};
std::string_view to_string(Role role);

// The role under the controller's --lb-class (empty: only Services without a class). MetalLB's
// filterByLoadBalancerClass for LoadBalancers; a romanaip/romanavip annotation (even a
// malformed one) makes any other Service a kExternalIp.
Role role_of(const k8s::Service& service, std::string_view lb_class);
bool has_romana_annotation(const k8s::Service& service);

allocator::ServiceKey key_of(const k8s::Service& service);

// spec.ipFamilies, primary first; a view without them takes the families of spec.clusterIPs
// (MetalLB derives them from the cluster IPs). Empty when neither says.
std::vector<Family> families_of(const k8s::Service& service);

// The request every decision starts from: key, namespace and service labels, ip family policy
// (Kubernetes' default SingleStack) and families, ports, traffic policy and, for Local, the pod
// selector (MetalLB's backend key). No addresses, pool or sharing key.
allocator::ServiceRequest base_request(const k8s::Service& service, const Labels& namespace_labels);

// The addresses the Service shows as vipd's: status.loadBalancer.ingress IPs for a
// LoadBalancer; for kExternalIp the spec.externalIPs entries vipd.io/external-ips records.
std::vector<IpAddress> shown_addresses(const k8s::Service& service, Role role);

// The ways a Service asks for addresses, tried in order; the first the allocator grants wins.
// One request, except for Romana's {"auto": true}, which tries each candidate layer-2 pool.
struct Requests {
  std::vector<allocator::ServiceRequest> tries;
  // Why none can be made (a Romana VIP outside every layer-2 pool, no layer-2 pool open to it):
  // an allocation failure, not a malformed Service.
  std::optional<std::string> impossible;
};

// What the Service asks for, from its spec and its parsed annotations (which have no errors):
//  - MetalLB: metallb.io/loadBalancerIPs and spec.loadBalancerIP as requested addresses
//    (both at once is for the allocator to refuse), metallb.io/address-pool, the sharing key;
//  - Romana {"ip": X}: X alone (single stack in X's family, when the Service has it), from the
//    layer-2 pool holding it (the named pool, which must be layer 2, when
//    metallb.io/address-pool is set);
//  - Romana {"auto": true}: one address of the primary family from a layer-2 pool: the named
//    pool, else each layer-2 pool with auto-assign in configuration order, the pool the Service
//    holds first (so a held address stays).
// Error (a malformed Service): Romana together with requested addresses.
Result<Requests> requests_of(const k8s::Service& service, const config::ServiceAnnotations& notes,
                             allocator::ServiceRequest base, const config::Config& config,
                             const std::optional<std::string>& held_pool);

}  // namespace vipd::controller
