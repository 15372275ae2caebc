#include "daemon/translate.hpp"

#include <boost/asio/ip/address.hpp>
#include <sstream>

namespace vipd::daemon {
namespace {

boost::asio::ip::address to_asio(const IpAddress& ip) {
  if (ip.is_v4()) return boost::asio::ip::address_v4(ip.v4_value());
  return boost::asio::ip::make_address(ip.to_string());
}

std::uint16_t seconds(const config::Duration& d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  return static_cast<std::uint16_t>(std::clamp<std::int64_t>(s, 0, 65535));
}

}  // namespace

std::vector<allocator::Pool> to_allocator_pools(const config::Config& config) {
  std::vector<allocator::Pool> out;
  for (const auto& p : config.pools) {
    allocator::Pool pool;
    pool.name = p.name;
    for (const auto& block : p.addresses) {
      if (block.is_cidr) {
        pool.addresses.emplace_back(
            Prefix::make(block.range.first(), block.widest_prefix_length()).value());
      } else {
        pool.addresses.emplace_back(block.range);
      }
    }
    pool.auto_assign = p.auto_assign;
    pool.avoid_buggy_ips = p.avoid_buggy_ips;
    if (p.service_allocation) {
      pool.namespaces = p.service_allocation->namespaces;
      pool.namespace_selectors = p.service_allocation->namespace_selectors;
      pool.service_selectors = p.service_allocation->service_selectors;
      pool.priority = p.service_allocation->priority;
    }
    out.push_back(std::move(pool));
  }
  return out;
}

allocator::ServiceRequest to_request(const config::StandaloneService& service,
                                     const config::Config& config) {
  allocator::ServiceRequest r;
  r.key = {service.namespace_, service.name};
  r.pool = service.pool;
  r.sharing_key = service.sharing_key;
  r.traffic_policy = service.traffic_policy == config::TrafficPolicy::kLocal
                         ? allocator::TrafficPolicy::kLocal
                         : allocator::TrafficPolicy::kCluster;
  for (const auto& p : service.ports) {
    allocator::Port port;
    port.number = p.port;
    port.protocol = p.protocol == "UDP"    ? allocator::Protocol::kUdp
                    : p.protocol == "SCTP" ? allocator::Protocol::kSctp
                                           : allocator::Protocol::kTcp;
    r.ports.push_back(port);
  }
  if (!service.addresses.empty()) {
    r.families.clear();
    for (const auto& a : service.addresses) {
      r.requested.push_back({a, allocator::AddressSource::kStandaloneAddresses});
      r.families.push_back(a.family());
    }
    r.family_policy = r.families.size() == 2 ? allocator::IpFamilyPolicy::kRequireDualStack
                                             : allocator::IpFamilyPolicy::kSingleStack;
    return r;
  }
  // From a pool: one address of each family the pool has, IPv4 first.
  r.families.clear();
  if (const auto* pool = config.find_pool(service.pool)) {
    for (const Family f : {Family::kV4, Family::kV6}) {
      if (pool->size(f) > 0) r.families.push_back(f);
    }
  }
  if (r.families.empty()) r.families = {Family::kV4};
  r.family_policy = r.families.size() == 2 ? allocator::IpFamilyPolicy::kPreferDualStack
                                           : allocator::IpFamilyPolicy::kSingleStack;
  return r;
}

Result<bgp::PeerConfig> to_peer_config(const config::Peer& peer, const HostFacts& host,
                                       const PeerOptions& options) {
  if (!peer.address) {
    return failure(Errc::kUnsupported,
                   "peer " + peer.name + ": BGP unnumbered (interface) is not supported");
  }
  if (peer.dynamic_asn != config::DynamicAsn::kNone) {
    return failure(Errc::kUnsupported, "peer " + peer.address->to_string() +
                                           ": dynamic ASN is not supported in standalone mode");
  }
  bgp::PeerConfig p;
  auto& s = p.session;
  s.peer_address = to_asio(*peer.address);
  s.peer_port = peer.port;
  if (peer.source_address) s.source_address = to_asio(*peer.source_address);
  s.password = peer.password;
  auto& f = s.fsm;
  f.local_as = peer.my_asn;
  f.peer_as = peer.peer_asn;
  f.router_id =
      peer.router_id && peer.router_id->is_v4() ? peer.router_id->v4_value() : host.router_id;
  f.hold_time = peer.hold_time ? seconds(*peer.hold_time) : 90;
  if (peer.keepalive_time) f.keepalive_time = seconds(*peer.keepalive_time);
  // MetalLB: a session carries its own address family only, unless asked for both.
  const bool v6 = peer.address->is_v6();
  if (peer.dual_stack_address_family) {
    f.families = {bgp::kIpv4Unicast, bgp::kIpv6Unicast};
    if (v6) {
      p.next_hop_ipv4 = host.next_hop_ipv4;
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
  // RFC 4271 §5.1.3 / MetalLB: eBGP peers are one hop away unless ebgp-multihop; iBGP any.
  s.ttl = peer.is_ibgp() || peer.ebgp_multihop ? 255 : 1;
  return p;
}

std::string fingerprint(const bgp::PeerConfig& c) {
  std::ostringstream o;
  const auto& s = c.session;
  const auto& f = s.fsm;
  o << s.peer_address.to_string() << '|' << s.peer_port << '|'
    << (s.source_address ? s.source_address->to_string() : "") << '|' << s.password << '|' << s.ttl
    << '|' << s.gtsm << '|' << s.gtsm_hops << '|' << f.local_as << '|' << f.peer_as << '|'
    << f.router_id << '|' << f.hold_time << '|' << f.keepalive_time.value_or(0) << '|' << f.passive
    << '|' << f.extended_next_hop_ipv4 << '|' << f.extended_message << '|'
    << f.graceful_restart_time.value_or(0) << '|' << f.hostname << '|'
    << (c.next_hop_ipv4 ? c.next_hop_ipv4->to_string() : "") << '|'
    << (c.next_hop_ipv6 ? c.next_hop_ipv6->to_string() : "") << '|' << c.ipv4_over_ipv6_next_hop;
  for (const auto& family : f.families) o << '|' << family.afi << '/' << int(family.safi);
  return o.str();
}

bgp::RouteSet to_route_set(const std::map<Prefix, bgp::RouteAttributes>& routes,
                           bgp::AttributeInterner& interner) {
  bgp::RouteSet out;
  for (const auto& [prefix, attributes] : routes) out.emplace(prefix, interner.intern(attributes));
  return out;
}

}  // namespace vipd::daemon
