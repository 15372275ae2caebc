#pragma once
// What two OPENs agree on (RFC 5492 §3): the codec options for each direction of a session.
// Pure; the FSM calls it once both OPENs are known.

#include "bgp/codec.hpp"
#include "bgp/messages.hpp"

namespace vipd::bgp {

struct Negotiated {
  CodecOptions receive;  // for decoding what the peer sends
  CodecOptions send;     // for encoding what we send
  bool route_refresh = false;
  bool enhanced_route_refresh = false;
  std::vector<AfiSafi> families;  // multiprotocol families both sides announced
};

// `external_peer` is a session fact (peer AS != local AS), not something OPENs negotiate.
Negotiated negotiate(const Open& ours, const Open& theirs, bool external_peer);

}  // namespace vipd::bgp
