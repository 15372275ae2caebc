#pragma once
// Prefix (CIDR block) and IpRange (inclusive first-last range) of one family.
//
// A Prefix is always in canonical form: its address has no bits set past its length. IpRange
// converts to the minimal list of CIDRs covering exactly the same addresses. Sizes are exact
// up to 2^128 - 1 and saturate there (only ::/0 holds more). Pure; no I/O.

#include <compare>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.hpp"
#include "common/result.hpp"

namespace vipd {

class Prefix {
 public:
  // What parse() does with an address that has bits set past the length ("192.0.2.1/24").
  enum class HostBits { kReject, kMask };

  // "address/length"; the length is decimal, 0..32 or 0..128.
  static Result<Prefix> parse(std::string_view text, HostBits host_bits = HostBits::kReject);
  // Masks the address to the length; fails only for a length outside 0..bits.
  static Result<Prefix> make(const IpAddress& address, int length);
  // The /32 or /128 holding exactly one address.
  static Prefix host(const IpAddress& address) { return Prefix(address, address.bits()); }

  const IpAddress& address() const { return address_; }
  int length() const { return length_; }
  Family family() const { return address_.family(); }
  bool is_host() const { return length_ == address_.bits(); }

  IpAddress first() const { return address_; }
  IpAddress last() const;
  // Number of addresses, saturating at 2^128 - 1 (for ::/0).
  u128 size() const;

  bool contains(const IpAddress& address) const;
  bool contains(const Prefix& other) const;
  bool overlaps(const Prefix& other) const;

  std::string to_string() const;

  // Family, then address, then length.
  friend auto operator<=>(const Prefix&, const Prefix&) = default;

 private:
  Prefix(const IpAddress& address, int length) : address_(address), length_(length) {}

  IpAddress address_;
  int length_ = 0;
};

class IpRange {
 public:
  // Both ends of one family, first <= last.
  static Result<IpRange> make(const IpAddress& first, const IpAddress& last);
  // "first-last", spaces around either address allowed (as MetalLB accepts them).
  static Result<IpRange> parse(std::string_view text);
  static IpRange from_prefix(const Prefix& prefix) {
    return IpRange(prefix.first(), prefix.last());
  }

  const IpAddress& first() const { return first_; }
  const IpAddress& last() const { return last_; }
  Family family() const { return first_.family(); }
  // Number of addresses, saturating at 2^128 - 1 (for the whole IPv6 space).
  u128 size() const;

  bool contains(const IpAddress& address) const;
  bool contains(const IpRange& other) const;
  bool overlaps(const IpRange& other) const;

  // The fewest CIDRs that cover exactly this range, in ascending order.
  std::vector<Prefix> to_cidrs() const;

  std::string to_string() const;  // "first-last"

  friend auto operator<=>(const IpRange&, const IpRange&) = default;

 private:
  IpRange(const IpAddress& first, const IpAddress& last) : first_(first), last_(last) {}

  IpAddress first_;
  IpAddress last_;
};

}  // namespace vipd
