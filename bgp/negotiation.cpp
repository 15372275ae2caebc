#include "bgp/negotiation.hpp"

#include <algorithm>

namespace vipd::bgp {
namespace {

bool has(const Open& open, CapabilityCode code) { return open.find(code) != nullptr; }

std::vector<AfiSafi> multiprotocol(const Open& open) {
  std::vector<AfiSafi> out;
  for (const auto& cap : open.capabilities) {
    if (cap.code == static_cast<std::uint8_t>(CapabilityCode::kMultiprotocol)) {
      out.push_back(cap.multiprotocol);
    }
  }
  // RFC 4760 §8: a speaker that sends no multiprotocol capability does IPv4 unicast.
  if (out.empty()) out.push_back(kIpv4Unicast);
  return out;
}

// RFC 7911 §4: what `open` says about add-path for `family`: receive, send.
std::pair<bool, bool> add_path(const Open& open, AfiSafi family) {
  for (const auto& cap : open.capabilities) {
    if (cap.code != static_cast<std::uint8_t>(CapabilityCode::kAddPath)) continue;
    for (const auto& f : cap.add_path) {
      if (f.family == family) return {f.receive, f.send};
    }
  }
  return {false, false};
}

}  // namespace

Negotiated negotiate(const Open& ours, const Open& theirs, bool external_peer) {
  Negotiated n;
  const bool four_octet =
      has(ours, CapabilityCode::kFourOctetAs) && has(theirs, CapabilityCode::kFourOctetAs);
  for (CodecOptions* o : {&n.receive, &n.send}) {
    o->four_octet_as = four_octet;
    o->external_peer = external_peer;
  }
  // RFC 8654 §4: "An implementation that advertises the BGP Extended Message Capability MUST be
  // capable of receiving a message with a Length up to and including 65535 octets", and "A BGP
  // speaker MAY send BGP Extended Messages to a peer only if the BGP Extended Message
  // Capability was received from that peer" (vipd sends them only when it offered them too).
  n.receive.extended_message = has(ours, CapabilityCode::kExtendedMessage);
  n.send.extended_message =
      has(ours, CapabilityCode::kExtendedMessage) && has(theirs, CapabilityCode::kExtendedMessage);
  const auto [our_v4_receive, our_v4_send] = add_path(ours, kIpv4Unicast);
  const auto [their_v4_receive, their_v4_send] = add_path(theirs, kIpv4Unicast);
  const auto [our_v6_receive, our_v6_send] = add_path(ours, kIpv6Unicast);
  const auto [their_v6_receive, their_v6_send] = add_path(theirs, kIpv6Unicast);
  n.receive.add_path_ipv4 = our_v4_receive && their_v4_send;
  n.receive.add_path_ipv6 = our_v6_receive && their_v6_send;
  n.send.add_path_ipv4 = our_v4_send && their_v4_receive;
  n.send.add_path_ipv6 = our_v6_send && their_v6_receive;

  n.route_refresh =
      has(ours, CapabilityCode::kRouteRefresh) && has(theirs, CapabilityCode::kRouteRefresh);
  n.enhanced_route_refresh = has(ours, CapabilityCode::kEnhancedRouteRefresh) &&
                             has(theirs, CapabilityCode::kEnhancedRouteRefresh);
  const auto mine = multiprotocol(ours);
  for (const auto& f : multiprotocol(theirs)) {
    if (std::find(mine.begin(), mine.end(), f) != mine.end()) n.families.push_back(f);
  }
  return n;
}

}  // namespace vipd::bgp
