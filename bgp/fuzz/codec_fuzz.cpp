// Fuzzes the framer and the decoder with arbitrary bytes, as a peer could send them.
//
// Input: one octet of session options (bit 0 four-octet AS, 1 extended message, 2 add-path
// IPv4, 3 add-path IPv6, 4 external peer, bits 5-7 chunk size), then the TCP byte stream.
// Beyond "never crashes": every message the decoder accepts cleanly re-encodes, and from
// then on encoding and decoding are exact inverses.
#include <cstdint>
#include <span>
#include <vector>

#include "bgp/codec.hpp"
#include "bgp/framer.hpp"
#include "common/assert.hpp"

namespace {

using namespace vipd::bgp;

bool clean(const Message& m) {
  const auto* u = std::get_if<Update>(&m);
  return !u || u->action == ErrorAction::kNone;
}

// Re-encoding may normalise once (an unknown transitive attribute gains the Partial bit);
// after that, encode and decode must be exact inverses.
void check_round_trip(const Message& m, const CodecOptions& options) {
  std::vector<std::uint8_t> first;
  if (!encode(m, options, first)) return;  // larger than the limit once re-encoded
  auto normalised = decode(first, options);
  VIPD_ASSERT(normalised, "a re-encoded message failed to decode");
  VIPD_ASSERT(clean(normalised.value()), "a re-encoded message decoded with errors");
  VIPD_ASSERT(normalised.value().index() == m.index(), "a re-encoded message changed type");
  std::vector<std::uint8_t> second;
  VIPD_ASSERT(encode(normalised.value(), options, second), "re-encoding failed");
  VIPD_ASSERT(second == first, "encoding is not stable");
  auto again = decode(second, options);
  VIPD_ASSERT(again && again.value() == normalised.value(), "decoding is not stable");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t flags = data[0];
  const CodecOptions options{.four_octet_as = (flags & 1) != 0,
                             .extended_message = (flags & 2) != 0,
                             .add_path_ipv4 = (flags & 4) != 0,
                             .add_path_ipv6 = (flags & 8) != 0,
                             .external_peer = (flags & 16) != 0};
  const std::size_t chunk = std::size_t{1} << ((flags >> 5) * 2);  // 1, 4, 16 ... 4096
  const std::span<const std::uint8_t> stream(data + 1, size - 1);

  Framer framer(options.max_message_size());
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    framer.feed(stream.subspan(at, std::min(chunk, stream.size() - at)));
    while (true) {
      auto next = framer.next();
      if (!next) return 0;  // header error: the session would end here
      if (!next.value()) break;
      auto message = decode(*next.value(), options);
      if (message && clean(message.value())) check_round_trip(message.value(), options);
    }
  }
  return 0;
}
