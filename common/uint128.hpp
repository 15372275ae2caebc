#pragma once
// 128-bit unsigned arithmetic for IP addresses.
//
// IPv6 needs exact 128-bit arithmetic (an allocator walks a /64, a range of 2^64 addresses, by
// offset). GCC and clang provide unsigned __int128; this header names it once and adds the few
// helpers the address types need. Pure; no I/O.

#include <bit>
#include <cstdint>
#include <string>

namespace vipd {

__extension__ using u128 = unsigned __int128;

inline constexpr u128 kU128Max = ~u128{0};

constexpr u128 make_u128(std::uint64_t high, std::uint64_t low) {
  return (u128{high} << 64) | u128{low};
}
constexpr std::uint64_t high64(u128 v) { return static_cast<std::uint64_t>(v >> 64); }
constexpr std::uint64_t low64(u128 v) { return static_cast<std::uint64_t>(v); }

// Number of trailing zero bits; 128 for zero.
constexpr int countr_zero(u128 v) {
  if (low64(v) != 0) return std::countr_zero(low64(v));
  if (high64(v) != 0) return 64 + std::countr_zero(high64(v));
  return 128;
}

// Number of bits needed to represent v (0 for zero).
constexpr int bit_width(u128 v) {
  if (high64(v) != 0) return 64 + static_cast<int>(std::bit_width(high64(v)));
  return static_cast<int>(std::bit_width(low64(v)));
}

// 2^n for n in [0, 127]; callers that need 2^128 must saturate themselves.
constexpr u128 pow2(int n) { return u128{1} << n; }

// Decimal text (fmt and iostreams do not all print unsigned __int128).
std::string to_decimal(u128 v);

}  // namespace vipd
