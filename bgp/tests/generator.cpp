#include "bgp/tests/generator.hpp"

namespace vipd::bgp::testing {

CodecOptions MessageGenerator::options() {
  return CodecOptions{.four_octet_as = coin(70),
                      .extended_message = coin(20),
                      .add_path_ipv4 = coin(20),
                      .add_path_ipv6 = coin(20),
                      .external_peer = coin()};
}

Message MessageGenerator::message(const CodecOptions& options) {
  switch (below(10)) {
    case 0:
      return open();
    case 1:
      return notification();
    case 2:
      return route_refresh();
    case 3:
      return Keepalive{};
    default:
      return update(options);
  }
}

Nlri MessageGenerator::prefix(Family family, bool add_path) {
  const int length = static_cast<int>(below(address_bits(family) + 1));
  const u128 value = make_u128(rng_(), rng_());
  const IpAddress address = family == Family::kV4 ? IpAddress::v4(u32()) : IpAddress::v6(value);
  return Nlri{Prefix::make(address, length).value(), add_path ? u32() : 0};
}

std::vector<Nlri> MessageGenerator::prefixes(Family family, bool add_path, std::size_t most) {
  std::vector<Nlri> out(below(static_cast<std::uint32_t>(most) + 1));
  for (auto& n : out) n = prefix(family, add_path);
  return out;
}

AsPath MessageGenerator::as_path(bool four_octet, bool confederations) {
  AsPath path;
  const auto segments = below(4);
  for (std::uint32_t i = 0; i < segments; ++i) {
    AsSegment s;
    s.type = static_cast<AsSegmentType>(1 + below(confederations ? 4 : 2));
    s.asns.resize(1 + below(8));
    for (auto& asn : s.asns) asn = four_octet ? u32() : below(65536);
    path.segments.push_back(std::move(s));
  }
  return path;
}

Capability MessageGenerator::capability() {
  Capability c;
  static constexpr std::uint8_t kCodes[] = {1, 2, 5, 6, 64, 65, 69, 70, 71, 73, 128, 200};
  c.code = kCodes[below(std::size(kCodes))];
  const auto family = [&] { return AfiSafi{static_cast<std::uint16_t>(1 + below(2)), 1}; };
  switch (c.code) {
    case 1:
      c.multiprotocol =
          AfiSafi{static_cast<std::uint16_t>(below(65536)), static_cast<std::uint8_t>(below(256))};
      break;
    case 5:
      for (auto n = below(3); n > 0; --n) c.extended_next_hop.push_back({1, 1, 2});
      break;
    case 64:
      c.restart_state = coin();
      c.graceful_notification = coin();
      c.restart_time = static_cast<std::uint16_t>(below(4096));
      for (auto n = below(3); n > 0; --n) c.graceful_restart.push_back({family(), coin()});
      break;
    case 65:
      c.four_octet_as = u32();
      break;
    case 69:
      for (auto n = below(3); n > 0; --n) {
        const bool receive = coin();
        c.add_path.push_back({family(), receive, !receive || coin()});
      }
      break;
    case 71:
      for (auto n = below(3); n > 0; --n) {
        c.long_lived_graceful_restart.push_back({family(), coin(), below(1 << 24)});
      }
      break;
    case 73:
      c.hostname = "node-" + std::to_string(below(1000));
      c.domain_name = coin() ? "example.org" : "";
      break;
    case 128:
    case 200:
      c.raw.resize(c.code == 128 ? 0 : below(10));
      for (auto& b : c.raw) b = static_cast<std::uint8_t>(u32());
      break;
    default:
      break;
  }
  return c;
}

Open MessageGenerator::open() {
  Open o;
  o.my_as = static_cast<std::uint16_t>(below(65536));
  const auto hold = below(65536);
  o.hold_time = static_cast<std::uint16_t>(hold == 1 || hold == 2 ? 0 : hold);
  o.bgp_identifier = 1 + below(0xfffffffe);
  o.capabilities.resize(below(12));
  for (auto& c : o.capabilities) c = capability();
  if (coin(30) && !o.capabilities.empty()) {  // several capabilities per parameter
    std::size_t left = o.capabilities.size();
    while (left > 0) {
      const auto n = static_cast<std::uint8_t>(1 + below(static_cast<std::uint32_t>(left)));
      o.capabilities_per_parameter.push_back(n);
      left -= n;
    }
    bool all_one = true;
    for (auto n : o.capabilities_per_parameter) all_one = all_one && n == 1;
    if (all_one) o.capabilities_per_parameter.clear();  // the decoder's canonical form
  }
  o.extended_parameters = coin(10);
  return o;
}

Update MessageGenerator::update(const CodecOptions& o) {
  Update u;
  u.withdrawn = prefixes(Family::kV4, o.add_path_ipv4, 20);
  u.nlri = prefixes(Family::kV4, o.add_path_ipv4, 20);
  auto& a = u.attributes;
  const bool mp_reach = coin(40);
  const bool announces = !u.nlri.empty() || mp_reach;
  if (announces || coin()) {
    a.origin = static_cast<Origin>(below(3));
    a.as_path = as_path(o.four_octet_as, !o.external_peer);
  }
  if (!u.nlri.empty() || coin(20))
    a.next_hop = IpAddress::v4(0x01000000 + below(0xdf000000 - 0x01000000));
  if (coin()) a.med = u32();
  if (!o.external_peer && coin()) a.local_pref = u32();
  a.atomic_aggregate = coin(20);
  if (coin(20)) {
    a.aggregator = Aggregator{o.four_octet_as ? u32() : below(65536), IpAddress::v4(u32())};
  }
  if (coin(40)) {
    a.communities.emplace(1 + below(10));
    for (auto& c : *a.communities) c = u32();
  }
  if (!o.external_peer && coin(20)) a.originator_id = u32();
  if (!o.external_peer && coin(20)) {
    a.cluster_list.emplace(1 + below(4));
    for (auto& c : *a.cluster_list) c = u32();
  }
  if (mp_reach) {
    MpReach mp;
    mp.family = kIpv6Unicast;
    mp.next_hop = IpAddress::v6(make_u128(0x20010db800000000ull | below(65536), rng_()));
    if (coin()) mp.link_local_next_hop = IpAddress::v6(make_u128(0xfe80000000000000ull, rng_()));
    mp.nlri = prefixes(Family::kV6, o.add_path_ipv6, 10);
    if (mp.nlri.empty()) mp.nlri.push_back(prefix(Family::kV6, o.add_path_ipv6));
    a.mp_reach = std::move(mp);
  }
  if (coin(30)) {
    MpUnreach mp;
    mp.family = kIpv6Unicast;
    mp.withdrawn = prefixes(Family::kV6, o.add_path_ipv6, 10);
    a.mp_unreach = std::move(mp);
  }
  if (coin(30)) {
    a.extended_communities.emplace(1 + below(4));
    for (auto& c : *a.extended_communities) c.value = rng_();
  }
  if (!o.four_octet_as && coin(20)) a.as4_path = as_path(true, false);
  if (!o.four_octet_as && coin(10)) a.as4_aggregator = Aggregator{u32(), IpAddress::v4(u32())};
  if (coin(30)) {
    a.large_communities.emplace(1 + below(4));
    for (auto& c : *a.large_communities) c = {u32(), u32(), u32()};
  }
  if (coin(10)) {
    // Unknown optional transitive attribute: it comes back with Partial set.
    const auto type = static_cast<std::uint8_t>(100 + below(100));
    std::vector<std::uint8_t> value(below(300));
    for (auto& b : value) b = static_cast<std::uint8_t>(u32());
    a.unknown.push_back({0xe0, type, std::move(value)});
  }
  return u;
}

Notification MessageGenerator::notification() {
  Notification n;
  n.code = static_cast<std::uint8_t>(1 + below(7));
  n.subcode = static_cast<std::uint8_t>(below(11));
  if (n.code == 6 && (n.subcode == 2 || n.subcode == 4) && coin()) {
    std::string text = "maintenance window " + std::to_string(below(100)) + " — back soon";
    n.data.push_back(static_cast<std::uint8_t>(text.size()));
    n.data.insert(n.data.end(), text.begin(), text.end());
    n.shutdown_message = text;
    return n;
  }
  if (n.code == 6 && (n.subcode == 2 || n.subcode == 4)) return n;  // no data
  n.data.resize(below(40));
  for (auto& b : n.data) b = static_cast<std::uint8_t>(u32());
  return n;
}

RouteRefresh MessageGenerator::route_refresh() {
  return RouteRefresh{static_cast<std::uint16_t>(1 + below(2)), static_cast<std::uint8_t>(below(3)),
                      1};
}

}  // namespace vipd::bgp::testing
