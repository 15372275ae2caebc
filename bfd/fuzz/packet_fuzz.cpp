// Fuzzes the BFD Control packet decoder with arbitrary datagrams, as a peer could send them.
//
// Beyond "never crashes": a datagram the decoder accepts re-encodes to its own first 24 bytes
// (every field is kept, reserved diag values included, Length as received), and the packet's
// `length` bytes with those 24 re-encoded decode to the same value again. Bytes 24 to Length
// (possible only with the A bit clear) carry no field; they are passed along unchanged.
#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "bfd/packet.hpp"
#include "common/assert.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> datagram(data, size);
  auto packet = vipd::bfd::decode(datagram);
  if (!packet) return 0;
  VIPD_ASSERT(packet.value().length >= vipd::bfd::kControlPacketSize, "accepted a short Length");
  VIPD_ASSERT(packet.value().length <= size, "accepted a Length beyond the datagram");
  const auto bytes = vipd::bfd::encode(packet.value());
  VIPD_ASSERT(std::equal(bytes.begin(), bytes.end(), datagram.begin()),
              "re-encoding changed the packet's bytes");
  std::vector<std::uint8_t> packet_bytes(datagram.begin(),
                                         datagram.begin() + packet.value().length);
  std::copy(bytes.begin(), bytes.end(), packet_bytes.begin());
  auto again = vipd::bfd::decode(packet_bytes);
  VIPD_ASSERT(again && again.value() == packet.value(), "decoding is not stable");
  return 0;
}
