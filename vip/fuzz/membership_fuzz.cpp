// Fuzzes the membership heartbeat decoder with arbitrary datagrams, as any host on the LAN
// could send them.
//
// Beyond "never crashes": the decoder is strict enough that the wire form is canonical, so a
// datagram it accepts re-encodes to exactly its own bytes (every field kept, flags included),
// and what it accepts respects the limits the encoder promises.
#include <algorithm>
#include <cstdint>
#include <span>

#include "common/assert.hpp"
#include "vip/membership.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> datagram(data, size);
  auto heartbeat = vipd::vip::decode(datagram);
  if (!heartbeat) return 0;
  const auto& h = heartbeat.value();
  VIPD_ASSERT(!h.node.empty() && h.node.size() <= vipd::vip::kMaxNameLength,
              "accepted a node name out of bounds");
  VIPD_ASSERT(h.not_serving.size() <= vipd::vip::kMaxServices, "accepted too many services");
  VIPD_ASSERT(size <= vipd::vip::kMaxDatagram, "accepted an oversized datagram");
  const auto bytes = vipd::vip::encode(h);
  VIPD_ASSERT(bytes.size() == size && std::equal(bytes.begin(), bytes.end(), datagram.begin()),
              "re-encoding changed the heartbeat's bytes");
  return 0;
}
