#include "daemon/translate.hpp"

#include <algorithm>
#include <unordered_map>

#include "allocator/rules.hpp"
#include "bfd/profile.hpp"

namespace vipd::daemon {
namespace {

std::uint16_t seconds(const config::Duration& d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  return static_cast<std::uint16_t>(std::clamp<std::int64_t>(s, 0, 65535));
}

allocator::IpFamilyPolicy to_allocator(config::IpFamilyPolicy policy) {
  switch (policy) {
    case config::IpFamilyPolicy::kSingleStack:
      return allocator::IpFamilyPolicy::kSingleStack;
    case config::IpFamilyPolicy::kPreferDualStack:
      return allocator::IpFamilyPolicy::kPreferDualStack;
    case config::IpFamilyPolicy::kRequireDualStack:
      return allocator::IpFamilyPolicy::kRequireDualStack;
  }
  return allocator::IpFamilyPolicy::kPreferDualStack;
}

Family other(Family f) { return f == Family::kV4 ? Family::kV6 : Family::kV4; }

// The families the pools that may serve `request` offer: its named pool, else every
// auto-assign pool that accepts it.
std::vector<Family> offered_families(const allocator::ServiceRequest& request,
                                     const std::vector<allocator::Pool>& pools,
                                     const config::Config& config) {
  bool v4 = false, v6 = false;
  for (const auto& pool : pools) {
    if (request.pool.empty() ? !pool.auto_assign || allocator::pool_refusal(pool, request)
                             : pool.name != request.pool) {
      continue;
    }
    if (const auto* p = config.find_pool(pool.name)) {
      v4 = v4 || p->size(Family::kV4) > 0;
      v6 = v6 || p->size(Family::kV6) > 0;
    }
  }
  std::vector<Family> out;
  if (v4) out.push_back(Family::kV4);
  if (v6) out.push_back(Family::kV6);
  return out;
}

}  // namespace

allocator::ServiceRequest to_request(const config::StandaloneService& service,
                                     const config::Config& config,
                                     const std::vector<allocator::Pool>& pools) {
  allocator::ServiceRequest r;
  const auto& d = service.details();
  r.key = {service.namespace_, service.name};
  r.service_labels = d.labels;
  r.pool = d.pool;
  r.sharing_key = d.sharing_key;
  r.traffic_policy = service.traffic_policy == config::TrafficPolicy::kLocal
                         ? allocator::TrafficPolicy::kLocal
                         : allocator::TrafficPolicy::kCluster;
  for (const auto& p : d.ports) {
    allocator::Port port;
    port.number = p.port;
    port.protocol = p.protocol == "UDP"    ? allocator::Protocol::kUdp
                    : p.protocol == "SCTP" ? allocator::Protocol::kSctp
                                           : allocator::Protocol::kTcp;
    r.ports.push_back(port);
  }
  r.families.clear();
  if (!d.addresses.empty()) {
    // The addresses decide the families (validation refuses ip-families beside them).
    for (const auto& a : d.addresses) {
      r.requested.push_back({a, allocator::AddressSource::kStandaloneAddresses});
      r.families.push_back(a.family());
    }
    r.family_policy = r.families.size() == 2 ? allocator::IpFamilyPolicy::kRequireDualStack
                                             : allocator::IpFamilyPolicy::kSingleStack;
    return r;
  }
  // Kubernetes' rules: the policy defaults to PreferDualStack here (a standalone host has no
  // cluster default), the families to those the candidate pools offer, IPv4 first; a family
  // listed alone under a dual-stack policy is the primary and the other is added after it.
  const auto policy = d.ip_family_policy.value_or(config::IpFamilyPolicy::kPreferDualStack);
  r.family_policy = to_allocator(policy);
  const auto offered = offered_families(r, pools, config);
  if (!d.ip_families.empty()) {
    r.families = d.ip_families;
  } else {
    r.families = {offered.empty() ? Family::kV4 : offered.front()};
  }
  if (r.families.size() == 1 && policy != config::IpFamilyPolicy::kSingleStack) {
    const Family second = other(r.families.front());
    const bool available = std::find(offered.begin(), offered.end(), second) != offered.end();
    if (policy == config::IpFamilyPolicy::kRequireDualStack || available) {
      r.families.push_back(second);
    }
  }
  return r;
}

Result<bgp::PeerConfig> to_peer_config(const config::Peer& peer, const HostFacts& host,
                                       const PeerOptions& options) {
  if (!peer.address) {
    return failure(Errc::kUnsupported,
                   "peer " + peer.name + ": BGP unnumbered (interface) is not supported");
  }
  if (peer.dynamic_asn != config::DynamicAsn::kNone) {
    return failure(Errc::kUnsupported,
                   "peer " + peer.address->to_string() + ": dynamic ASN is not supported");
  }
  bgp::PeerConfig p;
  auto& s = p.session;
  s.peer_address = *peer.address;
  s.peer_port = peer.port;
  s.source_address = peer.source_address;
  s.password = peer.password;
  auto& f = s.fsm;
  f.local_as = peer.my_asn;
  f.peer_as = peer.peer_asn;
  f.router_id =
      peer.router_id && peer.router_id->is_v4() ? peer.router_id->v4_value() : host.router_id;
  f.hold_time = peer.hold_time ? seconds(*peer.hold_time) : 90;
  if (peer.keepalive_time) f.keepalive_time = seconds(*peer.keepalive_time);
  if (peer.connect_time) {
    // MetalLB's connectTime, FRR's `timers connect`: the ConnectRetry time, i.e. how long an
    // attempt may take and how long to wait between attempts (jittered, RFC 4271 §10).
    const auto t = std::chrono::duration_cast<bgp::Duration>(*peer.connect_time);
    f.connect_timeout = t;
    f.backoff_initial = t;
    f.backoff_max = t;
  }
  f.passive = peer.passive;
  // MetalLB: a session carries its own address family only, unless asked for both.
  const bool v6 = peer.address->is_v6();
  if (peer.dual_stack_address_family) {
    f.families = {bgp::kIpv4Unicast, bgp::kIpv6Unicast};
    if (v6) {
      // IPv4 routes need an IPv4 next hop; without one on this host they go with the session's
      // IPv6 address as next hop (RFC 8950), which the peer must accept (extended next hop).
      p.next_hop_ipv4 = host.next_hop_ipv4;
      p.ipv4_over_ipv6_next_hop = !host.next_hop_ipv4.has_value();
      f.extended_next_hop_ipv4 = p.ipv4_over_ipv6_next_hop;
    } else {
      p.next_hop_ipv6 = host.next_hop_ipv6;
    }
  } else {
    f.families = {v6 ? bgp::kIpv6Unicast : bgp::kIpv4Unicast};
  }
  if (peer.graceful_restart) {
    f.graceful_restart_time = 120;
    f.restarting = options.restarting;
  }
  f.hostname = host.hostname;
  if (peer.gtsm) {
    // RFC 5082: send with TTL 255 and accept only segments from one hop away (validation
    // refuses GTSM with ebgp-multihop).
    s.ttl = 255;
    s.gtsm = true;
    s.gtsm_hops = 1;
  } else {
    // RFC 4271 §5.1.3 / MetalLB: eBGP peers are one hop away unless ebgp-multihop; iBGP any.
    s.ttl = peer.is_ibgp() || peer.ebgp_multihop ? 255 : 1;
  }
  return p;
}

Result<std::optional<BfdPeerSettings>> to_bfd_settings(const config::Peer& peer,
                                                       const config::BfdProfile* profile,
                                                       const bgp::PeerConfig& session) {
  if (peer.bfd_profile.empty()) return std::optional<BfdPeerSettings>{};
  if (!profile || profile->name != peer.bfd_profile) {
    return failure(Errc::kNotFound, "BFD profile \"" + peer.bfd_profile + "\" not found");
  }
  bfd::ProfileValues values;
  values.receive_interval_ms = profile->receive_interval_ms;
  values.transmit_interval_ms = profile->transmit_interval_ms;
  values.detect_multiplier = profile->detect_multiplier;
  values.echo_interval_ms = profile->echo_interval_ms;
  values.echo_mode = profile->echo_mode;
  values.passive_mode = profile->passive_mode;
  values.minimum_ttl = profile->minimum_ttl;
  auto mapped = bfd::from_profile(values);
  if (!mapped) {
    return failure(mapped.error().with_context("BFD profile \"" + profile->name + "\""));
  }
  BfdPeerSettings s;
  s.profile = profile->name;
  s.peer = session.session.peer_address;
  s.local = session.session.source_address;
  s.session = mapped.value().session;
  s.multihop = peer.ebgp_multihop;
  s.minimum_ttl = mapped.value().minimum_ttl;
  return std::optional<BfdPeerSettings>{std::move(s)};
}

bgp::RouteSet to_route_set(bgp::RouteSet&& planned, bgp::AttributeInterner& interner) {
  // Keyed by the plan's set (held here, so no address is reused while the map lives).
  std::unordered_map<bgp::AttributesRef, bgp::AttributesRef> taken;
  for (auto& [prefix, attributes] : planned) {
    auto [it, fresh] = taken.try_emplace(attributes);
    if (fresh) it->second = interner.intern(*attributes);
    attributes = it->second;
  }
  return std::move(planned);
}

}  // namespace vipd::daemon
