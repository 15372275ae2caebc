#include "common/ip_address.hpp"

#include <cctype>
#include <string>
#include <vector>

#include "common/assert.hpp"

namespace vipd {
namespace {

std::string quoted(std::string_view text) {
  std::string out = "'";
  out += text;
  out += "'";
  return out;
}

Error bad_v4(std::string_view text, std::string_view reason) {
  return Error(Errc::kInvalidArgument,
               quoted(text) + " is not a valid IPv4 address: " + std::string(reason));
}

Error bad_v6(std::string_view text, std::string_view reason) {
  return Error(Errc::kInvalidArgument,
               quoted(text) + " is not a valid IPv6 address: " + std::string(reason));
}

// One dotted-quad octet; the reason on failure, empty on success.
std::string parse_octet(std::string_view part, std::uint32_t& out) {
  if (part.empty()) return "empty octet";
  if (part.size() > 3) return "octet " + quoted(part) + " is larger than 255";
  std::uint32_t value = 0;
  for (char c : part) {
    if (c < '0' || c > '9') return "unexpected character " + quoted(std::string_view(&c, 1));
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (part.size() > 1 && part.front() == '0') {
    return "octet " + quoted(part) + " has a leading zero (ambiguous: octal or decimal)";
  }
  if (value > 255) return "octet " + quoted(part) + " is larger than 255";
  out = value;
  return {};
}

// The reason on failure, empty on success.
std::string parse_dotted_quad(std::string_view text, std::uint32_t& out) {
  if (text.empty()) return "empty string";
  std::uint32_t value = 0;
  int octets = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = text.find('.', start);
    const std::string_view part =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (++octets > 4) break;
    std::uint32_t octet = 0;
    if (std::string reason = parse_octet(part, octet); !reason.empty()) return reason;
    value = (value << 8) | octet;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (octets != 4) {
    std::size_t dots = 0;
    for (char c : text) dots += c == '.' ? 1 : 0;
    return "expected 4 dot-separated octets, found " + std::to_string(dots + 1);
  }
  out = value;
  return {};
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Splits one side of "::" into 16-bit groups. `dotted_allowed`: the side ends the text, so its
// last group may be a dotted quad (two groups). The reason on failure, empty on success.
std::string parse_groups(std::string_view side, bool dotted_allowed,
                         std::vector<std::uint16_t>& groups) {
  if (side.empty()) return {};
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = side.find(':', start);
    const bool last = colon == std::string_view::npos;
    const std::string_view group =
        side.substr(start, last ? std::string_view::npos : colon - start);
    if (group.empty()) return "empty group (a single ':' where '::' or a group was expected)";
    if (group.find('.') != std::string_view::npos) {
      if (!last || !dotted_allowed) {
        return "a dotted IPv4 part may only stand at the end, in place of the last two groups";
      }
      std::uint32_t v4 = 0;
      if (std::string reason = parse_dotted_quad(group, v4); !reason.empty()) {
        return "embedded IPv4 part " + quoted(group) + ": " + reason;
      }
      groups.push_back(static_cast<std::uint16_t>(v4 >> 16));
      groups.push_back(static_cast<std::uint16_t>(v4 & 0xffff));
      return {};
    }
    if (group.size() > 4) return "group " + quoted(group) + " has more than 4 hex digits";
    std::uint32_t value = 0;
    for (char c : group) {
      const int digit = hex_digit(c);
      if (digit < 0) {
        return "unexpected character " + quoted(std::string_view(&c, 1)) + " in group " +
               quoted(group);
      }
      value = value * 16 + static_cast<std::uint32_t>(digit);
    }
    groups.push_back(static_cast<std::uint16_t>(value));
    if (groups.size() > 8) return "more than 8 groups";
    if (last) return {};
    start = colon + 1;
  }
}

void append_hex(std::string& out, std::uint16_t group) {
  static constexpr char kDigits[] = "0123456789abcdef";
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    const int digit = (group >> shift) & 0xf;
    if (digit != 0 || started || shift == 0) {
      out.push_back(kDigits[digit]);
      started = true;
    }
  }
}

void append_dotted(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out += std::to_string((v >> shift) & 0xff);
    if (shift != 0) out.push_back('.');
  }
}

}  // namespace

std::string_view to_string(Family family) { return family == Family::kV4 ? "IPv4" : "IPv6"; }

Result<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.find(':') != std::string_view::npos) return parse_v6(text);
  if (text.empty()) return failure(Errc::kInvalidArgument, "empty string is not an IP address");
  return parse_v4(text);
}

Result<IpAddress> IpAddress::parse_v4(std::string_view text) {
  std::uint32_t value = 0;
  if (std::string reason = parse_dotted_quad(text, value); !reason.empty()) {
    return failure(bad_v4(text, reason));
  }
  return IpAddress::v4(value);
}

Result<IpAddress> IpAddress::parse_v6(std::string_view text) {
  if (text.empty()) return failure(bad_v6(text, "empty string"));
  if (text.find('%') != std::string_view::npos) {
    return failure(bad_v6(text, "zone index ('%...') not allowed here"));
  }
  if (text.front() == '[' || text.back() == ']') {
    return failure(bad_v6(text, "brackets not allowed here; give the bare address"));
  }
  if (text.find(":::") != std::string_view::npos) {
    return failure(bad_v6(text, "':::' is not allowed"));
  }
  const std::size_t gap = text.find("::");
  if (gap != std::string_view::npos && text.find("::", gap + 1) != std::string_view::npos) {
    return failure(bad_v6(text, "'::' may appear only once"));
  }

  std::vector<std::uint16_t> head;
  std::vector<std::uint16_t> tail;
  if (gap == std::string_view::npos) {
    if (std::string reason = parse_groups(text, true, head); !reason.empty()) {
      return failure(bad_v6(text, reason));
    }
    if (head.size() != 8) {
      return failure(
          bad_v6(text, "expected 8 groups (or '::'), found " + std::to_string(head.size())));
    }
  } else {
    const std::string_view left = text.substr(0, gap);
    const std::string_view right = text.substr(gap + 2);
    if (std::string reason = parse_groups(left, false, head); !reason.empty()) {
      return failure(bad_v6(text, reason));
    }
    if (std::string reason = parse_groups(right, true, tail); !reason.empty()) {
      return failure(bad_v6(text, reason));
    }
    // RFC 4291 §2.2: "::" stands for one or more groups of zeros.
    if (head.size() + tail.size() > 7) {
      return failure(bad_v6(text, "too many groups for '::' to stand for at least one"));
    }
  }

  u128 value = 0;
  for (std::uint16_t g : head) value = (value << 16) | g;
  for (std::size_t i = head.size() + tail.size(); i < 8; ++i) value <<= 16;
  for (std::uint16_t g : tail) value = (value << 16) | g;
  return IpAddress::v6(value);
}

std::optional<IpAddress> IpAddress::from_bytes(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != 4 && bytes.size() != 16) return std::nullopt;
  u128 value = 0;
  for (std::uint8_t b : bytes) value = (value << 8) | b;
  return IpAddress(bytes.size() == 4 ? Family::kV4 : Family::kV6, value);
}

std::uint32_t IpAddress::v4_value() const {
  VIPD_ASSERT(is_v4(), "v4_value() of an IPv6 address");
  return static_cast<std::uint32_t>(value());
}

AddressBytes IpAddress::bytes() const {
  AddressBytes out;
  out.size = is_v4() ? 4 : 16;
  for (std::size_t i = 0; i < out.size; ++i) {
    out.data[i] = static_cast<std::uint8_t>(value() >> (8 * (out.size - 1 - i)));
  }
  return out;
}

bool IpAddress::is_v4_mapped() const { return is_v6() && (value() >> 32) == 0xffff; }

std::optional<IpAddress> IpAddress::unmap() const {
  if (!is_v4_mapped()) return std::nullopt;
  return IpAddress::v4(static_cast<std::uint32_t>(value()));
}

std::string IpAddress::to_string() const {
  std::string out;
  if (is_v4()) {
    out.reserve(15);
    append_dotted(out, static_cast<std::uint32_t>(value()));
    return out;
  }
  // RFC 5952 §5: well-known prefixes with an embedded IPv4 address keep the dotted quad.
  if ((value() >> 32) == 0xffff) {
    out = "::ffff:";
    append_dotted(out, static_cast<std::uint32_t>(value()));
    return out;
  }
  if ((value() >> 32) == (u128{0xffff} << 16)) {
    out = "::ffff:0:";
    append_dotted(out, static_cast<std::uint32_t>(value()));
    return out;
  }
  std::array<std::uint16_t, 8> groups{};
  for (int i = 0; i < 8; ++i) groups[i] = static_cast<std::uint16_t>(value() >> (16 * (7 - i)));

  // RFC 5952 §4.2: compress the longest run of two or more zero groups, the first on a tie.
  int best_start = -1;
  int best_length = 1;
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_length) {
      best_start = i;
      best_length = j - i;
    }
    i = j;
  }
  out.reserve(39);
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_length - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out.push_back(':');
    append_hex(out, groups[i]);
  }
  return out;
}

IpAddress IpAddress::mask(int length) const {
  return IpAddress(family_, value() & netmask(family_, length).value());
}

IpAddress IpAddress::netmask(Family family, int length) {
  const int bits = address_bits(family);
  VIPD_ASSERT(length >= 0 && length <= bits, "prefix length out of range for the family");
  if (length == 0) return IpAddress(family, 0);
  const u128 all = max(family).value();
  const u128 host = length == bits ? 0 : pow2(bits - length) - 1;
  return IpAddress(family, all & ~host);
}

std::optional<IpAddress> IpAddress::plus(u128 offset) const {
  const u128 room = max(family_).value() - value();
  if (offset > room) return std::nullopt;
  return IpAddress(family_, value() + offset);
}

std::optional<IpAddress> IpAddress::minus(u128 offset) const {
  if (offset > value()) return std::nullopt;
  return IpAddress(family_, value() - offset);
}

u128 distance(const IpAddress& from, const IpAddress& to) {
  VIPD_ASSERT(from.family() == to.family(), "distance between addresses of different families");
  VIPD_ASSERT(from <= to, "distance with from > to");
  return to.value() - from.value();
}

}  // namespace vipd
