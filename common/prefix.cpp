#include "common/prefix.hpp"

#include <algorithm>

namespace vipd {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

u128 saturating_size(const IpAddress& first, const IpAddress& last) {
  const u128 span = distance(first, last);
  return span == kU128Max ? kU128Max : span + 1;
}

}  // namespace

Result<Prefix> Prefix::make(const IpAddress& address, int length) {
  if (length < 0 || length > address.bits()) {
    return failure(Errc::kOutOfRange, "prefix length " + std::to_string(length) + " is out of " +
                                          "range for " +
                                          std::string(vipd::to_string(address.family())) + " (0-" +
                                          std::to_string(address.bits()) + ")");
  }
  return Prefix(address.mask(length), length);
}

Result<Prefix> Prefix::parse(std::string_view text, HostBits host_bits) {
  const auto bad = [&](const std::string& reason) {
    return failure(Errc::kInvalidArgument,
                   "'" + std::string(text) + "' is not a valid CIDR prefix: " + reason);
  };
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return bad("missing '/length'");
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return failure(address.error().with_context("'" + std::string(text) + "'"));

  const std::string_view digits = text.substr(slash + 1);
  if (digits.empty()) return bad("missing length after '/'");
  if (digits.size() > 3 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return bad("length '" + std::string(digits) + "' is not a decimal number from 0 to " +
               std::to_string(address.value().bits()));
  }
  if (digits.size() > 1 && digits.front() == '0') {
    return bad("length '" + std::string(digits) + "' has a leading zero");
  }
  const int length = std::stoi(std::string(digits));
  if (length > address.value().bits()) {
    return bad("length " + std::to_string(length) + " is longer than " +
               std::to_string(address.value().bits()) + " bits");
  }
  const Prefix prefix(address.value().mask(length), length);
  if (host_bits == HostBits::kReject && prefix.address_ != address.value()) {
    return bad("host bits are set past /" + std::to_string(length) + " (the network is " +
               prefix.to_string() + ")");
  }
  return prefix;
}

IpAddress Prefix::last() const {
  const int host_bits = address_.bits() - length_;
  const u128 host = host_bits == 128 ? kU128Max : pow2(host_bits) - 1;
  return *address_.plus(host);
}

u128 Prefix::size() const { return saturating_size(first(), last()); }

bool Prefix::contains(const IpAddress& address) const {
  return address.family() == family() && address.mask(length_) == address_;
}

bool Prefix::contains(const Prefix& other) const {
  return other.family() == family() && other.length_ >= length_ && contains(other.address_);
}

bool Prefix::overlaps(const Prefix& other) const {
  return contains(other) || other.contains(*this);
}

std::string Prefix::to_string() const {
  return address_.to_string() + "/" + std::to_string(length_);
}

Result<IpRange> IpRange::make(const IpAddress& first, const IpAddress& last) {
  if (first.family() != last.family()) {
    return failure(Errc::kInvalidArgument,
                   "range " + first.to_string() + "-" + last.to_string() + " mixes IPv4 and IPv6");
  }
  if (last < first) {
    return failure(Errc::kInvalidArgument, "range " + first.to_string() + "-" + last.to_string() +
                                               " is reversed (its first address is after its " +
                                               "last)");
  }
  return IpRange(first, last);
}

Result<IpRange> IpRange::parse(std::string_view text) {
  const std::size_t dash = text.find('-');
  if (dash == std::string_view::npos) {
    return failure(Errc::kInvalidArgument,
                   "'" + std::string(text) + "' is not a valid range: expected 'first-last'");
  }
  const std::string context = "range '" + std::string(text) + "'";
  auto first = IpAddress::parse(trim(text.substr(0, dash)));
  if (!first) return failure(first.error().with_context(context));
  auto last = IpAddress::parse(trim(text.substr(dash + 1)));
  if (!last) return failure(last.error().with_context(context));
  return make(first.value(), last.value());
}

u128 IpRange::size() const { return saturating_size(first_, last_); }

bool IpRange::contains(const IpAddress& address) const {
  return address.family() == family() && first_ <= address && address <= last_;
}

bool IpRange::contains(const IpRange& other) const {
  return contains(other.first_) && contains(other.last_);
}

bool IpRange::overlaps(const IpRange& other) const {
  return other.family() == family() && first_ <= other.last_ && other.first_ <= last_;
}

std::vector<Prefix> IpRange::to_cidrs() const {
  std::vector<Prefix> out;
  const int bits = first_.bits();
  IpAddress current = first_;
  while (true) {
    // The largest block that starts at `current` (alignment) and ends at or before `last_`.
    const int aligned = std::min(countr_zero(current.value()), bits);
    const u128 remaining = distance(current, last_);  // block size - 1 must not exceed this
    const int fits = remaining == kU128Max ? 128 : bit_width(remaining + 1) - 1;
    const int block = std::min(aligned, fits);
    out.push_back(Prefix::make(current, bits - block).value());
    const u128 step_minus_one = block == 128 ? kU128Max : pow2(block) - 1;
    const IpAddress block_last = *current.plus(step_minus_one);
    if (block_last == last_) break;
    current = *block_last.next();
  }
  return out;
}

std::string IpRange::to_string() const { return first_.to_string() + "-" + last_.to_string(); }

}  // namespace vipd
