#include "common/prefix.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "common/format.hpp"

namespace vipd {
namespace {

IpAddress ip(std::string_view text) { return IpAddress::parse(text).value(); }
Prefix prefix(std::string_view text) { return Prefix::parse(text).value(); }

std::vector<std::string> strings(const std::vector<Prefix>& prefixes) {
  std::vector<std::string> out;
  for (const auto& p : prefixes) out.push_back(p.to_string());
  return out;
}

TEST(Prefix, ParsesBothFamilies) {
  const std::vector<std::tuple<std::string, std::string, int>> cases = {
      {"192.0.2.0/24", "192.0.2.0", 24},
      {"0.0.0.0/0", "0.0.0.0", 0},
      {"203.0.113.7/32", "203.0.113.7", 32},
      {"2001:db8::/64", "2001:db8::", 64},
      {"::/0", "::", 0},
      {"2001:db8::1/128", "2001:db8::1", 128},
      {"198.51.100.128/25", "198.51.100.128", 25},
  };
  for (const auto& [text, address, length] : cases) {
    auto parsed = Prefix::parse(text);
    ASSERT_TRUE(parsed) << text << ": " << parsed.error().message();
    EXPECT_EQ(parsed.value().address(), ip(address));
    EXPECT_EQ(parsed.value().length(), length);
    EXPECT_EQ(parsed.value().to_string(), text);
    EXPECT_EQ(fmt::format("{}", parsed.value()), text);
  }
}

TEST(Prefix, RejectsInvalidTextNamingTheProblem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"192.0.2.0", "missing '/length'"},
      {"192.0.2.0/", "missing length after '/'"},
      {"192.0.2.0/33", "length 33 is longer than 32 bits"},
      {"2001:db8::/129", "length 129 is longer than 128 bits"},
      {"192.0.2.1/24", "host bits are set past /24 (the network is 192.0.2.0/24)"},
      {"2001:db8::1/64", "host bits are set past /64 (the network is 2001:db8::/64)"},
      {"192.0.2.0/024", "leading zero"},
      {"192.0.2.0/a", "is not a decimal number from 0 to 32"},
      {"192.0.2.0/-1", "is not a decimal number"},
      {"192.0.2.0/2 4", "is not a decimal number"},
      {"192.0.2.0/1000", "is not a decimal number"},
      {"x/24", "'x/24': 'x' is not a valid IPv4 address"},
      {"2001:db8::g/64", "unexpected character 'g'"},
  };
  for (const auto& [text, reason] : cases) {
    auto parsed = Prefix::parse(text);
    ASSERT_FALSE(parsed) << text << " was accepted";
    EXPECT_NE(parsed.error().message().find(reason), std::string::npos)
        << text << ": " << parsed.error().message();
  }
}

TEST(Prefix, MasksHostBitsWhenAsked) {
  auto p = Prefix::parse("192.0.2.77/24", Prefix::HostBits::kMask);
  ASSERT_TRUE(p);
  EXPECT_EQ(p.value().to_string(), "192.0.2.0/24");
  EXPECT_EQ(Prefix::make(ip("2001:db8::ff"), 120).value().to_string(), "2001:db8::/120");
  EXPECT_FALSE(Prefix::make(ip("192.0.2.1"), 33));
  EXPECT_FALSE(Prefix::make(ip("192.0.2.1"), -1));
  EXPECT_EQ(Prefix::host(ip("2001:db8::5")).to_string(), "2001:db8::5/128");
  EXPECT_TRUE(Prefix::host(ip("192.0.2.5")).is_host());
}

TEST(Prefix, KnowsItsBoundsAndSize) {
  const auto p = prefix("192.0.2.0/24");
  EXPECT_EQ(p.first(), ip("192.0.2.0"));
  EXPECT_EQ(p.last(), ip("192.0.2.255"));
  EXPECT_EQ(p.size(), u128{256});
  EXPECT_EQ(prefix("0.0.0.0/0").size(), pow2(32));
  EXPECT_EQ(prefix("0.0.0.0/0").last(), IpAddress::max(Family::kV4));
  EXPECT_EQ(prefix("2001:db8::/64").size(), pow2(64));
  EXPECT_EQ(prefix("2001:db8::/64").last(), ip("2001:db8::ffff:ffff:ffff:ffff"));
  EXPECT_EQ(prefix("::/1").size(), pow2(127));
  EXPECT_EQ(prefix("::/0").size(), kU128Max);  // 2^128 saturates
  EXPECT_EQ(prefix("::/0").last(), IpAddress::max(Family::kV6));
  EXPECT_EQ(prefix("2001:db8::1/128").size(), u128{1});
}

TEST(Prefix, ContainsAndOverlaps) {
  const auto p = prefix("192.0.2.0/24");
  EXPECT_TRUE(p.contains(ip("192.0.2.0")));
  EXPECT_TRUE(p.contains(ip("192.0.2.255")));
  EXPECT_FALSE(p.contains(ip("192.0.3.0")));
  EXPECT_FALSE(p.contains(ip("::ffff:192.0.2.1")));  // other family
  EXPECT_TRUE(p.contains(prefix("192.0.2.128/25")));
  EXPECT_FALSE(prefix("192.0.2.128/25").contains(p));
  EXPECT_TRUE(p.overlaps(prefix("192.0.2.128/25")));
  EXPECT_TRUE(prefix("192.0.2.128/25").overlaps(p));
  EXPECT_FALSE(p.overlaps(prefix("192.0.3.0/24")));
  EXPECT_TRUE(prefix("::/0").contains(prefix("2001:db8::/32")));
  EXPECT_FALSE(prefix("::/0").contains(prefix("0.0.0.0/0")));
  EXPECT_FALSE(prefix("::/0").overlaps(prefix("0.0.0.0/0")));
}

TEST(IpRange, ParsesWithOrWithoutSpaces) {
  for (const std::string text :
       {"192.0.2.10-192.0.2.20", "192.0.2.10 - 192.0.2.20", " 192.0.2.10-192.0.2.20 "}) {
    auto r = IpRange::parse(text);
    ASSERT_TRUE(r) << text << ": " << r.error().message();
    EXPECT_EQ(r.value().first(), ip("192.0.2.10"));
    EXPECT_EQ(r.value().last(), ip("192.0.2.20"));
    EXPECT_EQ(r.value().size(), u128{11});
    EXPECT_EQ(r.value().to_string(), "192.0.2.10-192.0.2.20");
  }
  auto v6 = IpRange::parse("2001:db8::1-2001:db8::ff");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6.value().size(), u128{255});
}

TEST(IpRange, RejectsInvalidRanges) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"192.0.2.20-192.0.2.10", "is reversed"},
      {"192.0.2.1-2001:db8::1", "mixes IPv4 and IPv6"},
      {"192.0.2.1", "expected 'first-last'"},
      {"192.0.2.1-", "range '192.0.2.1-': empty string is not an IP address"},
      {"192.0.2.1-192.0.2.300", "octet '300' is larger than 255"},
  };
  for (const auto& [text, reason] : cases) {
    auto r = IpRange::parse(text);
    ASSERT_FALSE(r) << text << " was accepted";
    EXPECT_NE(r.error().message().find(reason), std::string::npos)
        << text << ": " << r.error().message();
  }
}

TEST(IpRange, ContainsAndOverlaps) {
  const auto r = IpRange::parse("192.0.2.10-192.0.2.20").value();
  EXPECT_TRUE(r.contains(ip("192.0.2.10")));
  EXPECT_TRUE(r.contains(ip("192.0.2.20")));
  EXPECT_FALSE(r.contains(ip("192.0.2.21")));
  EXPECT_TRUE(r.overlaps(IpRange::parse("192.0.2.20-192.0.2.30").value()));
  EXPECT_FALSE(r.overlaps(IpRange::parse("192.0.2.21-192.0.2.30").value()));
  EXPECT_TRUE(r.contains(IpRange::parse("192.0.2.11-192.0.2.19").value()));
  EXPECT_EQ(IpRange::from_prefix(prefix("::/0")).size(), kU128Max);
}

TEST(IpRange, SplitsIntoTheMinimalListOfCidrs) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"192.0.2.0-192.0.2.255", {"192.0.2.0/24"}},
      {"192.0.2.10-192.0.2.10", {"192.0.2.10/32"}},
      {"192.0.2.1-192.0.2.254",
       {"192.0.2.1/32", "192.0.2.2/31", "192.0.2.4/30", "192.0.2.8/29", "192.0.2.16/28",
        "192.0.2.32/27", "192.0.2.64/26", "192.0.2.128/26", "192.0.2.192/27", "192.0.2.224/28",
        "192.0.2.240/29", "192.0.2.248/30", "192.0.2.252/31", "192.0.2.254/32"}},
      {"198.51.100.0-198.51.101.127", {"198.51.100.0/24", "198.51.101.0/25"}},
      {"0.0.0.0-255.255.255.255", {"0.0.0.0/0"}},
      {"255.255.255.255-255.255.255.255", {"255.255.255.255/32"}},
      {"255.255.255.254-255.255.255.255", {"255.255.255.254/31"}},
      {"0.0.0.0-0.0.0.0", {"0.0.0.0/32"}},
      {"::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", {"::/0"}},
      {"2001:db8::-2001:db8::ffff:ffff:ffff:ffff", {"2001:db8::/64"}},
      {"2001:db8::ffff-2001:db8::1:0", {"2001:db8::ffff/128", "2001:db8::1:0/128"}},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
       {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"}},
  };
  for (const auto& [text, expected] : cases) {
    EXPECT_EQ(strings(IpRange::parse(text).value().to_cidrs()), expected) << text;
  }
  // ::1 to the top of the space: one block per bit, 128 in all, the last 8000::/1.
  const auto all_but_zero =
      IpRange::make(IpAddress::v6(1), IpAddress::max(Family::kV6)).value().to_cidrs();
  ASSERT_EQ(all_but_zero.size(), 128u);
  EXPECT_EQ(all_but_zero.front().to_string(), "::1/128");
  EXPECT_EQ(all_but_zero.back().to_string(), "8000::/1");
}

// Independent count of the minimal cover: walk the binary trie from the root; a node fully
// inside the range is one block, a node outside is none, anything else splits in two.
int minimal_cover(u128 first, u128 last, u128 node, int node_bits) {
  const u128 node_last = node + (pow2(node_bits) - 1);
  if (node_last < first || node > last) return 0;
  if (first <= node && node_last <= last) return 1;
  return minimal_cover(first, last, node, node_bits - 1) +
         minimal_cover(first, last, node + pow2(node_bits - 1), node_bits - 1);
}

TEST(IpRangeProperty, RandomRangesSplitIntoExactMinimalCovers) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 400; ++i) {
    const bool v6 = i % 2 == 1;
    IpAddress a, b;
    if (v6) {
      // Random 128-bit ends sharing a random-length common prefix, so sizes vary widely.
      const u128 base = make_u128(rng(), rng());
      const int span_bits = static_cast<int>(rng() % 127) + 1;
      const u128 mask = pow2(span_bits) - 1;
      a = IpAddress::v6((base & ~mask) | (make_u128(rng(), rng()) & mask));
      b = IpAddress::v6((base & ~mask) | (make_u128(rng(), rng()) & mask));
    } else {
      const auto base = static_cast<std::uint32_t>(rng());
      const std::uint32_t mask = (1u << (rng() % 31 + 1)) - 1;
      a = IpAddress::v4((base & ~mask) | (static_cast<std::uint32_t>(rng()) & mask));
      b = IpAddress::v4((base & ~mask) | (static_cast<std::uint32_t>(rng()) & mask));
    }
    if (b < a) std::swap(a, b);
    const auto range = IpRange::make(a, b).value();
    const auto cidrs = range.to_cidrs();
    ASSERT_FALSE(cidrs.empty());
    // Exact cover: contiguous, ascending, from first to last.
    EXPECT_EQ(cidrs.front().first(), a);
    EXPECT_EQ(cidrs.back().last(), b);
    for (std::size_t k = 1; k < cidrs.size(); ++k) {
      ASSERT_EQ(cidrs[k - 1].last().next(), cidrs[k].first()) << range.to_string();
    }
    // Minimal: as many blocks as the trie walk finds, which is the optimum.
    if (v6) {
      // Only the bits below the common prefix matter; walk a subtree of that height.
      const int height = bit_width(a.value() ^ b.value());
      const u128 root = height == 128 ? 0 : a.value() & ~(pow2(height) - 1);
      if (height < 128) {
        EXPECT_EQ(static_cast<int>(cidrs.size()), minimal_cover(a.value(), b.value(), root, height))
            << range.to_string();
      }
    } else {
      EXPECT_EQ(static_cast<int>(cidrs.size()), minimal_cover(a.value(), b.value(), 0, 32))
          << range.to_string();
    }
  }
}

}  // namespace
}  // namespace vipd
