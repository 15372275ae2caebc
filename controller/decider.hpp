#pragma once
// vipd::controller::Decider — what `vipd controller` decides for each Service: which
// addresses it gets, what its status, annotations and spec.externalIPs must say, and which
// Events to record. MetalLB's controller (controller/main.go, controller/service.go), made
// deterministic; the allocation rules are the allocator's (allocator/allocator.hpp), the
// annotation syntax config/annotations.hpp's, the reading of a Service controller/
// service_terms.hpp's.
//
// Rules:
//  - Nothing is decided before both a configuration (set_config) and the synced Services
//    (sync) are there: MetalLB waits for its configuration, and allocating before every
//    Service is known would hand out addresses that Services already show.
//  - sync() decides from scratch: first every address a Service already shows (status
//    ingress, or the spec.externalIPs vipd recorded) is re-adopted, in key order, so the first
//    of two Services claiming one address keeps it; only then is every Service decided, in key
//    order. A Service whose shown addresses cannot be kept gets ClearAssignment, then
//    IPAllocated or AllocationFailed. So a restart changes no address that is still valid.
//  - After sync the allocator's holdings are the truth; a view's status is read again only for
//    a Service first seen after sync (a previous leader may have assigned it).
//  - A Service of vipd's (Role kLoadBalancer or kExternalIp) is decided by its request
//    (service_terms.hpp). Annotations that do not parse, or a request the allocator finds
//    malformed (two sources of addresses, families), change nothing: a Warning Event
//    (AllocationFailed when the Service holds nothing; MetalLB's LoadBalancerFailed, "invalid
//    requested loadbalancer IPs", when it holds addresses, which it keeps).
//  - Otherwise the allocator decides. Success: IPAllocated ("Assigned IP [...]", MetalLB's
//    words) when the addresses changed. Failure: the Service's addresses are released and its
//    status cleared (MetalLB clears whatever it held when the new request cannot be met),
//    AllocationFailed ("Failed to allocate IP for "ns/name": reason"); the same failure again
//    is not repeated as a new Event.
//  - ClearAssignment ("current IP for "ns/name" not allowed by config, will attempt for new IP
//    assignment: reason", Normal) when vipd takes addresses away that the Service did not ask to
//    change: a configuration change put them outside every pool, the pool no longer accepts
//    the Service, they can no longer be shared, or they could not be re-adopted. A changed
//    request (another address, pool or family) just moves the Service (IPAllocated).
//  - No pool at all, or a Service without families (no cluster IP): its addresses are released
//    and its status cleared without an Event (MetalLB).
//  - A Service that is no longer vipd's (type or class changed, Romana annotation removed):
//    released and cleared, with ClearAssignment when it held addresses. A non-LoadBalancer
//    Service of vipd's class always has its status and pool annotation cleared (MetalLB).
//  - Whenever addresses are freed (a Service deleted, moved, cleared or failed), and after any
//    Service changed (what it shares may now fit), the Services waiting for an address are
//    decided again in key order.
//  - set_config with the same pools and layer-2 pools as before does nothing; otherwise the
//    allocator reloads (assignments outside the new pools are cleared) and every Service is
//    decided again in key order.
//  - deprecatedAnnotation (Warning, "Service uses deprecated annotation KEY") for each
//    metallb.universe.tf/ annotation of a Service whose desired state differs from its view, as
//    MetalLB reports them only when it writes; vipd does not delete them.
//
// Not done here: reading or writing the API (controller/ I/O side), the configuration's
// validity (config/), logging. Pure; no I/O. Single-threaded.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "allocator/allocator.hpp"
#include "common/label_selector.hpp"
#include "common/result.hpp"
#include "config/model.hpp"
#include "controller/changes.hpp"
#include "controller/service_terms.hpp"
#include "k8s/service_view.hpp"

namespace vipd::controller {

struct DeciderOptions {
  // --lb-class: serve only LoadBalancer Services of this class; empty: only those without one.
  std::string lb_class;
};

class Decider {
 public:
  explicit Decider(DeciderOptions options = {});

  // The configuration in force (valid: config/validate.hpp). An error when the allocator refuses
  // its pools (overlapping): the previous configuration stays in force.
  Result<Changes> set_config(const config::Config& config);

  // Every Service and the labels of every Namespace, once the informers have synced. Starts
  // over: holdings are forgotten and re-adopted from the views. Call once per leadership term.
  Changes sync(std::vector<k8s::Service> services, std::map<std::string, Labels> namespaces);

  // A Service added or changed; one deleted.
  Changes upsert(k8s::Service service);
  Changes remove(const ServiceKey& key);

  // A Namespace's labels (pools' namespaceSelectors); its Services are decided again.
  Changes upsert_namespace(const std::string& name, Labels labels);
  Changes remove_namespace(const std::string& name);

  // Each configured pool's status counts, in configuration order.
  std::vector<PoolStatus> pool_status() const;

  bool ready() const { return config_.has_value() && synced_; }
  const allocator::Allocator& allocator() const { return allocator_; }

 private:
  Changes full_pass();
  Changes decide_all(std::map<ServiceKey, std::string> cleared);
  // Decides one Service into `changes`; `clear_reason` comes from a reload or a failed
  // re-adoption. Returns true when it freed addresses.
  bool decide(const ServiceKey& key, Changes& changes,
              std::optional<std::string> clear_reason = std::nullopt);
  bool decide_ours(const k8s::Service& service, Role role, Changes& changes,
                   std::optional<std::string> clear_reason);
  // Releases what the Service holds; returns the released assignment.
  std::optional<allocator::Assignment> release(const ServiceKey& key);
  // Adopts the addresses the Service shows; the reason when they cannot be kept.
  std::optional<std::string> adopt_shown(const k8s::Service& service);
  // Decides the waiting Services again while that frees or takes addresses.
  void settle(Changes& changes, bool freed);

  void warn(Changes& changes, const ServiceKey& key, std::string_view reason, std::string message);
  void emit(Changes& changes, const ServiceKey& key, EventType type, std::string_view reason,
            std::string message);
  void set_desired(Changes& changes, const k8s::Service& service, Desired desired);
  Desired render(const k8s::Service& service, Role role,
                 const std::optional<allocator::Assignment>& held) const;
  const Labels& namespace_labels(const std::string& name) const;

  DeciderOptions options_;
  std::optional<config::Config> config_;
  bool synced_ = false;
  allocator::Allocator allocator_;
  std::map<ServiceKey, k8s::Service> services_;
  std::map<std::string, Labels> namespaces_;
  std::set<ServiceKey> waiting_;                    // vipd's, hold nothing, allocation failed
  std::map<ServiceKey, std::string> last_warning_;  // reason + message, not repeated
};

}  // namespace vipd::controller
