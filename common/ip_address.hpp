#pragma once
// IpAddress: one IPv4 or IPv6 address, with exact arithmetic over the whole space.
//
// Both families share one representation (family + 128-bit value; IPv4 uses the low 32 bits),
// so pools, ranges and allocation work identically on 203.0.113.0/24 and 2001:db8::/64.
// Parsing is strict and explains what is wrong; formatting of IPv6 follows RFC 5952.
// Pure; no I/O.

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/uint128.hpp"

namespace vipd {

enum class Family : std::uint8_t { kV4, kV6 };

std::string_view to_string(Family family);  // "IPv4" / "IPv6"
constexpr int address_bits(Family family) { return family == Family::kV4 ? 32 : 128; }

// An address in network byte order: 4 or 16 significant bytes.
struct AddressBytes {
  std::array<std::uint8_t, 16> data{};
  std::size_t size = 0;
  std::span<const std::uint8_t> span() const { return {data.data(), size}; }
};

class IpAddress {
 public:
  constexpr IpAddress() = default;  // 0.0.0.0

  static constexpr IpAddress v4(std::uint32_t host_order) {
    return IpAddress(Family::kV4, host_order);
  }
  static constexpr IpAddress v6(u128 value) { return IpAddress(Family::kV6, value); }
  static constexpr IpAddress zero(Family family) { return IpAddress(family, 0); }
  static constexpr IpAddress max(Family family) {
    return IpAddress(family, family == Family::kV4 ? u128{0xffffffffu} : kU128Max);
  }

  // Either family, decided by the text (':' means IPv6).
  static Result<IpAddress> parse(std::string_view text);
  // Dotted quad only: four decimal octets 0-255, no leading zeros (they are ambiguous).
  static Result<IpAddress> parse_v4(std::string_view text);
  // RFC 4291 §2.2 text forms, including "::" compression and a trailing dotted quad.
  // Zone indices ("%eth0") and brackets are rejected.
  static Result<IpAddress> parse_v6(std::string_view text);
  // 4 bytes → IPv4, 16 bytes → IPv6, network byte order; anything else → nullopt.
  static std::optional<IpAddress> from_bytes(std::span<const std::uint8_t> bytes);

  constexpr Family family() const { return family_; }
  constexpr bool is_v4() const { return family_ == Family::kV4; }
  constexpr bool is_v6() const { return family_ == Family::kV6; }
  constexpr int bits() const { return address_bits(family_); }
  constexpr u128 value() const { return (u128{high_} << 64) | low_; }
  std::uint32_t v4_value() const;  // requires is_v4()
  AddressBytes bytes() const;

  // RFC 5952 for IPv6; IPv4-mapped (::ffff:0:0/96) and IPv4-translated (::ffff:0:0:0/96)
  // addresses keep their dotted quad (RFC 5952 §5).
  std::string to_string() const;

  bool is_v4_mapped() const;               // ::ffff:a.b.c.d
  std::optional<IpAddress> unmap() const;  // the IPv4 address inside a mapped one

  // Keep the first `length` bits (0..bits()), clear the rest.
  IpAddress mask(int length) const;
  // The all-ones netmask of a prefix length (for example 255.255.255.0 for IPv4 /24).
  static IpAddress netmask(Family family, int length);

  // Exact arithmetic; nullopt instead of wrapping past either end of the family's space.
  std::optional<IpAddress> next() const { return plus(1); }
  std::optional<IpAddress> prev() const { return minus(1); }
  std::optional<IpAddress> plus(u128 offset) const;
  std::optional<IpAddress> minus(u128 offset) const;

  // Family first (all IPv4 before all IPv6), then numeric value.
  friend constexpr auto operator<=>(const IpAddress&, const IpAddress&) = default;

 private:
  constexpr IpAddress(Family family, u128 value)
      : family_(family),
        high_(static_cast<std::uint64_t>(value >> 64)),
        low_(static_cast<std::uint64_t>(value)) {}

  Family family_ = Family::kV4;
  // Two halves rather than one u128: 8-byte alignment keeps an address at 24 bytes (not 32),
  // which matters in route tables of 100,000 prefixes. Compared high half first, so the
  // defaulted ordering is the numeric one.
  std::uint64_t high_ = 0;
  std::uint64_t low_ = 0;
};

// to - from, for addresses of one family with from <= to (asserted). Exact: the distance
// across all of IPv6 is 2^128 - 1, which fits.
u128 distance(const IpAddress& from, const IpAddress& to);

}  // namespace vipd

template <>
struct std::hash<vipd::IpAddress> {
  std::size_t operator()(const vipd::IpAddress& a) const noexcept {
    const auto v = a.value();
    return std::hash<std::uint64_t>{}(vipd::high64(v) * 0x9e3779b97f4a7c15ull ^ vipd::low64(v) ^
                                      static_cast<std::uint64_t>(a.family()));
  }
};
