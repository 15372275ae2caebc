#include "controller/decider.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "allocator/from_config.hpp"
#include "allocator/rules.hpp"
#include "common/assert.hpp"
#include "config/annotations.hpp"

namespace vipd::controller {
namespace {

// Go's %q of a []net.IP, as MetalLB's "Assigned IP %q" prints it: ["192.0.2.1" "2001:db8::1"].
std::string quoted(const std::vector<IpAddress>& addresses) {
  std::string out = "[";
  for (const auto& a : addresses) {
    if (out.size() > 1) out += " ";
    out += "\"" + a.to_string() + "\"";
  }
  return out + "]";
}

std::string errors_of(const config::AnnotationResult& r) {
  std::string out;
  for (const auto& issue : r.issues) {
    if (issue.severity != config::Severity::kError) continue;
    if (!out.empty()) out += "; ";
    out += issue.to_string();
  }
  return out;
}

// The addresses in the order the Service shows them when it shows exactly these, else primary
// family first (as Kubernetes orders clusterIPs): no rewrite for an order alone.
std::vector<IpAddress> ordered(std::vector<IpAddress> addresses,
                               const std::vector<IpAddress>& shown,
                               const std::vector<Family>& families) {
  if (std::is_permutation(addresses.begin(), addresses.end(), shown.begin(), shown.end())) {
    return shown;
  }
  const auto rank = [&](const IpAddress& a) {
    const auto it = std::find(families.begin(), families.end(), a.family());
    return it - families.begin();
  };
  std::stable_sort(addresses.begin(), addresses.end(),
                   [&](const IpAddress& a, const IpAddress& b) { return rank(a) < rank(b); });
  return addresses;
}

std::vector<std::string> layer2_pools(const config::Config& config) {
  std::vector<std::string> out;
  for (const auto& p : config.pools) {
    if (config.is_layer2(p)) out.push_back(p.name);
  }
  return out;
}

std::int64_t capped(u128 v) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  return v > static_cast<u128>(kMax) ? kMax : static_cast<std::int64_t>(v);
}

std::string clear_message(const ServiceKey& key, std::string_view reason) {
  return fmt::format(
      "current IP for \"{}\" not allowed by config, will attempt for new IP assignment: {}",
      key.to_string(), reason);
}

// Why a Service that held addresses is no longer vipd's.
std::string no_longer_ours(const k8s::Service& s, Role role, const allocator::Assignment& held) {
  std::string why;
  if (role == Role::kForeign && s.type == k8s::ServiceType::kLoadBalancer) {
    why = s.load_balancer_class
              ? fmt::format("its loadBalancerClass is \"{}\", not vipd's", *s.load_balancer_class)
              : "it has no loadBalancerClass and vipd serves one";
  } else {
    why = fmt::format("it is a {} Service without a Romana annotation", k8s::to_string(s.type));
  }
  return fmt::format("vipd no longer serves \"{}\" ({}); released {}", key_of(s).to_string(), why,
                     quoted(held.addresses));
}

}  // namespace

Decider::Decider(DeciderOptions options) : options_(std::move(options)) {}

const Labels& Decider::namespace_labels(const std::string& name) const {
  static const Labels kNone;
  const auto it = namespaces_.find(name);
  return it == namespaces_.end() ? kNone : it->second;
}

// --- inputs --------------------------------------------------------------------------------

Result<Changes> Decider::set_config(const config::Config& config) {
  if (config_ && *config_ == config) return Changes{};
  if (config_ && config_->pools == config.pools && layer2_pools(*config_) == layer2_pools(config)) {
    config_ = config;  // nothing the allocation reads changed
    return Changes{};
  }
  VIPD_TRY(auto report, allocator_.set_pools(allocator::pools_from_config(config)));
  const bool first = !config_.has_value();
  config_ = config;
  if (!synced_) return Changes{};
  if (first) return full_pass();
  std::map<ServiceKey, std::string> cleared;
  for (auto& c : report.cleared) cleared.emplace(c.service, std::move(c.reason));
  return decide_all(std::move(cleared));
}

Changes Decider::sync(std::vector<k8s::Service> services,
                      std::map<std::string, Labels> namespaces) {
  services_.clear();
  for (auto& s : services) {
    auto key = key_of(s);
    services_.insert_or_assign(std::move(key), std::move(s));
  }
  namespaces_ = std::move(namespaces);
  synced_ = true;
  if (!config_) return Changes{};
  return full_pass();
}

Changes Decider::upsert(k8s::Service service) {
  const auto key = key_of(service);
  const bool fresh = services_.count(key) == 0;
  services_.insert_or_assign(key, std::move(service));
  if (!ready()) return Changes{};
  Changes changes;
  std::optional<std::string> refused;
  // First seen after sync: what it shows may have been assigned by a previous leader.
  if (fresh && allocator_.assignment(key) == nullptr) refused = adopt_shown(services_.at(key));
  const bool freed = decide(key, changes, std::move(refused));
  // A changed Service may also have made room by what it shares (key, ports): MetalLB
  // reprocesses every Service when an allocation changes; here the waiting ones suffice.
  settle(changes, freed || !waiting_.empty());
  return changes;
}

Changes Decider::remove(const ServiceKey& key) {
  services_.erase(key);
  waiting_.erase(key);
  last_warning_.erase(key);
  const bool freed = release(key).has_value();
  Changes changes;
  if (ready()) settle(changes, freed);
  return changes;
}

Changes Decider::upsert_namespace(const std::string& name, Labels labels) {
  const auto it = namespaces_.find(name);
  if (it != namespaces_.end() && it->second == labels) return Changes{};
  namespaces_.insert_or_assign(name, std::move(labels));
  Changes changes;
  if (!ready()) return changes;
  bool freed = false;
  for (auto s = services_.lower_bound({name, ""}); s != services_.end() && s->first.ns == name;
       ++s) {
    freed = decide(s->first, changes) || freed;
  }
  settle(changes, freed);
  return changes;
}

Changes Decider::remove_namespace(const std::string& name) {
  if (namespaces_.erase(name) == 0) return Changes{};
  // Its Services (being deleted with it) are decided with no namespace labels.
  Changes changes;
  if (!ready()) return changes;
  bool freed = false;
  for (auto s = services_.lower_bound({name, ""}); s != services_.end() && s->first.ns == name;
       ++s) {
    freed = decide(s->first, changes) || freed;
  }
  settle(changes, freed);
  return changes;
}

std::vector<PoolStatus> Decider::pool_status() const {
  std::vector<PoolStatus> out;
  if (!ready()) return out;  // nothing adopted yet: the counts would be wrong
  for (const auto& pool : allocator_.pools()) {
    const auto counts = allocator_.counts(pool.name);
    VIPD_ASSERT(counts.has_value(), "a pool the allocator lists has no counts");
    const auto& c = counts.value();
    PoolStatus s{.pool = pool.name,
                 .assigned_ipv4 = capped(c.v4.in_use),
                 .assigned_ipv6 = capped(c.v6.in_use)};
    s.available_ipv4 = std::max<std::int64_t>(0, capped(c.v4.total) - s.assigned_ipv4);
    s.available_ipv6 = std::max<std::int64_t>(0, capped(c.v6.total) - s.assigned_ipv6);
    out.push_back(std::move(s));
  }
  return out;
}

// --- passes --------------------------------------------------------------------------------

Changes Decider::full_pass() {
  allocator_ = allocator::Allocator();
  const auto pools = allocator_.set_pools(allocator::pools_from_config(*config_));
  VIPD_ASSERT(pools.has_value(), "pools the allocator accepted before are refused");
  waiting_.clear();
  last_warning_.clear();
  // Every address already shown is kept before anything new is allocated.
  std::map<ServiceKey, std::string> refused;
  for (const auto& [key, service] : services_) {
    if (auto why = adopt_shown(service)) refused.emplace(key, std::move(*why));
  }
  return decide_all(std::move(refused));
}

Changes Decider::decide_all(std::map<ServiceKey, std::string> cleared) {
  Changes changes;
  bool freed = false;
  for (const auto& entry : services_) {
    const auto it = cleared.find(entry.first);
    std::optional<std::string> why;
    if (it != cleared.end()) why = std::move(it->second);
    freed = decide(entry.first, changes, std::move(why)) || freed;
  }
  settle(changes, freed);
  return changes;
}

void Decider::settle(Changes& changes, bool freed) {
  if (!freed) return;
  // A waiting Service holds nothing, so deciding it frees nothing: one pass is enough.
  const std::vector<ServiceKey> waiting(waiting_.begin(), waiting_.end());
  for (const auto& key : waiting) {
    if (waiting_.count(key) != 0) decide(key, changes);
  }
}

std::optional<std::string> Decider::adopt_shown(const k8s::Service& service) {
  const Role role = role_of(service, options_.lb_class);
  if (role != Role::kLoadBalancer && role != Role::kExternalIp) return std::nullopt;
  const auto shown = shown_addresses(service, role);
  if (shown.empty() || config_->pools.empty() || families_of(service).empty()) return std::nullopt;
  // MetalLB's Assign of the current IPs: pool membership, the pool accepting the Service and
  // sharing; whether the Service still asks for these addresses is its decision's business.
  auto request = base_request(service, namespace_labels(service.meta.namespace_));
  request.sharing_key =
      config::parse_service_annotations(service.meta.annotations).value.allow_shared_ip;
  auto adopted = allocator_.adopt(request, shown);
  if (!adopted) return adopted.error().message();
  return std::nullopt;
}

std::optional<allocator::Assignment> Decider::release(const ServiceKey& key) {
  const auto* held = allocator_.assignment(key);
  if (held == nullptr) return std::nullopt;
  auto copy = *held;
  allocator_.release(key);
  return copy;
}

// --- one Service ---------------------------------------------------------------------------

bool Decider::decide(const ServiceKey& key, Changes& changes,
                     std::optional<std::string> clear_reason) {
  const k8s::Service& service = services_.at(key);
  const Role role = role_of(service, options_.lb_class);
  if (role == Role::kLoadBalancer || role == Role::kExternalIp) {
    return decide_ours(service, role, changes, std::move(clear_reason));
  }
  waiting_.erase(key);
  last_warning_.erase(key);
  const auto released = release(key);
  if (released) {
    emit(changes, key, EventType::kNormal, kReasonClearAssignment,
         no_longer_ours(service, role, *released));
  }
  const bool marked = service.meta.annotations.count(std::string(kAnnotationExternalIps)) != 0;
  // MetalLB clears the status and pool annotation of every non-LoadBalancer it serves; vipd
  // also takes back what it wrote on a Service of another class, but never touches the status
  // of another class's LoadBalancer (vipd never wrote it: a LoadBalancer's class cannot change).
  Desired desired;
  if (role == Role::kNotLoadBalancer || released || marked) {
    desired.manage = true;
    desired.owns_status =
        !(role == Role::kForeign && service.type == k8s::ServiceType::kLoadBalancer);
  }
  set_desired(changes, service, std::move(desired));
  return released.has_value();
}

bool Decider::decide_ours(const k8s::Service& service, Role role, Changes& changes,
                          std::optional<std::string> clear_reason) {
  const auto key = key_of(service);
  std::optional<allocator::Assignment> held;
  if (const auto* a = allocator_.assignment(key)) held = *a;
  const auto clear = [&](const std::string& reason) {
    emit(changes, key, EventType::kNormal, kReasonClearAssignment, clear_message(key, reason));
  };
  // No pool at all, or no family to allocate in: MetalLB clears without a word (its check
  // comes before it looks at the current addresses).
  if (config_->pools.empty() || families_of(service).empty()) {
    waiting_.erase(key);
    last_warning_.erase(key);
    const bool freed = release(key).has_value();
    set_desired(changes, service, Desired{.manage = true});
    return freed || clear_reason.has_value();
  }
  if (clear_reason) clear(*clear_reason);

  const auto notes = config::parse_service_annotations(service.meta.annotations);
  Result<Requests> requests = failure(Errc::kInvalidArgument, errors_of(notes));
  if (notes.ok()) {
    std::optional<std::string> held_pool;
    if (held) held_pool = held->pool;
    requests = requests_of(service, notes.value, base_request(service, namespace_labels(key.ns)),
                           *config_, held_pool);
  }
  if (requests) {
    for (const auto& r : requests.value().tries) {
      if (auto valid = allocator::validate_request(r); !valid) {
        requests = valid.error();
        break;
      }
    }
  }
  if (!requests) {
    // A malformed Service changes nothing: what it holds, it keeps.
    waiting_.erase(key);
    const std::string& why = requests.error().message();
    if (held) {
      warn(changes, key, kReasonLoadBalancerFailed, "invalid requested loadbalancer IPs: " + why);
    } else {
      warn(changes, key, kReasonAllocationFailed,
           fmt::format("Failed to allocate IP for \"{}\": {}", key.to_string(), why));
    }
    set_desired(changes, service, render(service, role, held));
    return false;
  }

  const Requests& wanted = requests.value();
  // The pool of the held addresses no longer accepts the Service: MetalLB's Assign of the
  // current IPs fails ("not allowed by config").
  if (held && !clear_reason && !wanted.tries.empty()) {
    for (const auto& pool : allocator_.pools()) {
      if (pool.name != held->pool) continue;
      if (auto why = allocator::pool_refusal(pool, wanted.tries.front())) {
        clear_reason = *why;
        clear(*why);
      }
    }
  }
  const auto attempt = [&]() -> Result<allocator::Assignment> {
    if (wanted.impossible) return failure(Errc::kNotFound, *wanted.impossible);
    if (wanted.tries.size() == 1) return allocator_.assign(wanted.tries.front());
    std::string why;
    for (const auto& r : wanted.tries) {
      auto got = allocator_.assign(r);
      if (got) return got;
      why += fmt::format("{}pool '{}': {}", why.empty() ? "" : "; ", r.pool, got.error().message());
    }
    return failure(Errc::kExhausted, "no layer-2 address pool can serve it: " + why);
  };
  auto got = attempt();
  if (!got && held) {
    // MetalLB clears the current addresses before allocating anew: try once more without them
    // (held addresses that can no longer be shared are given up for others).
    const std::string first = got.error().message();
    release(key);
    got = attempt();
    if (!clear_reason && (got || got.error().message() != first)) clear(first);
  }

  std::optional<allocator::Assignment> now;
  if (const auto* a = allocator_.assignment(key)) now = *a;
  Desired desired = render(service, role, now);
  if (got) {
    waiting_.erase(key);
    last_warning_.erase(key);
    if (!held || held->addresses != now->addresses) {
      emit(changes, key, EventType::kNormal, kReasonIpAllocated,
           "Assigned IP " +
               quoted(role == Role::kLoadBalancer ? desired.ingress : desired.external_ips));
    }
  } else {
    waiting_.insert(key);
    warn(changes, key, kReasonAllocationFailed,
         fmt::format("Failed to allocate IP for \"{}\": {}", key.to_string(),
                     got.error().message()));
  }
  set_desired(changes, service, std::move(desired));
  if (!held) return false;
  return !now ||
         std::any_of(held->addresses.begin(), held->addresses.end(), [&](const IpAddress& a) {
           const auto& n = now->addresses;
           return std::find(n.begin(), n.end(), a) == n.end();
         });
}

Desired Decider::render(const k8s::Service& service, Role role,
                        const std::optional<allocator::Assignment>& held) const {
  Desired d{.manage = true};
  if (!held) return d;
  d.pool = held->pool;
  auto addresses = ordered(held->addresses, shown_addresses(service, role), families_of(service));
  if (role == Role::kLoadBalancer) {
    d.ingress = std::move(addresses);
  } else if (role == Role::kExternalIp) {
    d.external_ips = std::move(addresses);
  }
  return d;
}

// --- output --------------------------------------------------------------------------------

void Decider::emit(Changes& changes, const ServiceKey& key, EventType type, std::string_view reason,
                   std::string message) {
  Event event{key, type, std::string(reason), std::move(message)};
  // One call never says the same thing twice (a Service may be decided twice in one call).
  if (std::find(changes.events.begin(), changes.events.end(), event) != changes.events.end()) {
    return;
  }
  changes.events.push_back(std::move(event));
}

void Decider::warn(Changes& changes, const ServiceKey& key, std::string_view reason,
                   std::string message) {
  std::string said = std::string(reason) + "\n" + message;
  auto& last = last_warning_[key];
  if (last == said) return;  // the same failure again is no news
  last = std::move(said);
  emit(changes, key, EventType::kWarning, reason, std::move(message));
}

void Decider::set_desired(Changes& changes, const k8s::Service& service, Desired desired) {
  const auto key = key_of(service);
  if (!satisfied(desired, service)) {
    // MetalLB reports deprecated annotations only when it writes the Service.
    for (const auto& [name, value] : service.meta.annotations) {
      if (name.rfind("metallb.universe.tf/", 0) != 0 || name == kAnnotationDeprecatedPool) continue;
      emit(changes, key, EventType::kWarning, kReasonDeprecatedAnnotation,
           "Service uses deprecated annotation " + name);
    }
  }
  changes.services.insert_or_assign(key, std::move(desired));
}

}  // namespace vipd::controller
