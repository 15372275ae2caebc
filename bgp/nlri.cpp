// NLRI prefixes (RFC 4271 §4.3, RFC 4760 §5, RFC 7911 §3): [path id] length, prefix bytes.
#include "bgp/detail/codec_internal.hpp"

namespace vipd::bgp::detail {
namespace {

// Counts the prefixes in `bytes` without decoding them, so the caller can reserve once (no
// allocation per prefix). Stops at the first malformed entry; decoding reports it.
std::size_t count_prefixes(std::span<const std::uint8_t> bytes, bool add_path) {
  std::size_t count = 0;
  std::size_t at = 0;
  const std::size_t id = add_path ? 4 : 0;
  while (at + id < bytes.size()) {
    const std::size_t length = bytes[at + id];
    at += id + 1 + (length + 7) / 8;
    if (at > bytes.size()) break;
    ++count;
  }
  return count;
}

}  // namespace

std::optional<std::string> decode_prefixes(Reader& reader, Family family, bool add_path,
                                           std::vector<Nlri>& out) {
  out.reserve(out.size() + count_prefixes(reader.rest(), add_path));
  const int bits = address_bits(family);
  while (!reader.empty()) {
    std::uint32_t path_id = 0;
    if (add_path) {
      const auto id = reader.u32();
      if (!id) return std::string("truncated path identifier");
      path_id = *id;
    }
    const auto length = reader.u8();
    if (!length) return std::string("truncated prefix");  // unreachable: reader not empty
    if (*length > bits) {
      return "prefix length " + std::to_string(*length) + " is longer than " +
             std::to_string(bits) + " bits";
    }
    const auto bytes = reader.bytes((*length + 7) / 8);
    if (!bytes) {
      return "prefix of length " + std::to_string(*length) + " runs past the end of its field";
    }
    u128 value = 0;
    for (std::size_t i = 0; i < bytes->size(); ++i) {
      value |= u128{(*bytes)[i]} << (bits - 8 * static_cast<int>(i + 1));
    }
    // RFC 4271 §4.3: bits past the prefix length are irrelevant; mask them.
    const IpAddress address = family == Family::kV4
                                  ? IpAddress::v4(static_cast<std::uint32_t>(value))
                                  : IpAddress::v6(value);
    out.push_back(Nlri{Prefix::make(address, *length).value(), path_id});
  }
  return std::nullopt;
}

void encode_prefix(const Nlri& nlri, bool add_path, std::vector<std::uint8_t>& out) {
  if (add_path) put_u32(out, nlri.path_id);
  const int length = nlri.prefix.length();
  put_u8(out, static_cast<std::uint8_t>(length));
  const auto bytes = nlri.prefix.address().bytes();
  out.insert(out.end(), bytes.data.begin(), bytes.data.begin() + (length + 7) / 8);
}

std::size_t encoded_prefix_size(const Prefix& prefix, bool add_path) {
  return (add_path ? 4 : 0) + 1 + static_cast<std::size_t>(prefix.length() + 7) / 8;
}

}  // namespace vipd::bgp::detail
