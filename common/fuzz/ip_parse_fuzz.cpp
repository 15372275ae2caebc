// Fuzzes the address, prefix and range parsers (configuration text is untrusted input).
// Invariants beyond "does not crash": whatever parses formats back to text that parses to the
// same value, and a range's CIDR cover starts and ends where the range does.
#include <cstdint>
#include <string_view>

#include "common/assert.hpp"
#include "common/prefix.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using vipd::IpAddress;
  using vipd::IpRange;
  using vipd::Prefix;

  if (auto a = IpAddress::parse(text)) {
    VIPD_ASSERT(IpAddress::parse(a.value().to_string()).value() == a.value(), "address round trip");
  }
  if (auto p = Prefix::parse(text, Prefix::HostBits::kMask)) {
    VIPD_ASSERT(Prefix::parse(p.value().to_string()).value() == p.value(), "prefix round trip");
  }
  if (auto r = IpRange::parse(text)) {
    const auto cidrs = r.value().to_cidrs();
    VIPD_ASSERT(!cidrs.empty() && cidrs.front().first() == r.value().first() &&
                    cidrs.back().last() == r.value().last(),
                "range cover");
  }
  return 0;
}
