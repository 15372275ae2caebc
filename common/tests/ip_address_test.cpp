#include "common/ip_address.hpp"
#include "common/prefix.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "common/format.hpp"

namespace vipd {
namespace {

IpAddress v6(std::uint64_t high, std::uint64_t low) { return IpAddress::v6(make_u128(high, low)); }

// ---- IPv4 parsing ---------------------------------------------------------------------------

struct V4Case {
  std::string text;
  std::uint32_t value;
};

// Route tables hold one Prefix per route: keep the types small (no 16-byte alignment).
static_assert(sizeof(IpAddress) == 24);
static_assert(sizeof(Prefix) == 32);

TEST(IpAddress, OrdersNumericallyAcrossTheHalves) {
  const auto low = IpAddress::parse("::ffff:ffff:ffff:ffff").value();
  const auto high = IpAddress::parse("0:0:0:1::").value();
  EXPECT_LT(low, high);
  EXPECT_EQ(high.value(), u128{1} << 64);
  EXPECT_LT(IpAddress::parse("255.255.255.255").value(), IpAddress::parse("::").value());
}

TEST(IpAddressV4, ParsesValidDottedQuads) {
  const std::vector<V4Case> cases = {
      {"0.0.0.0", 0x00000000},        {"255.255.255.255", 0xffffffff}, {"192.0.2.1", 0xc0000201},
      {"198.51.100.254", 0xc63364fe}, {"203.0.113.0", 0xcb007100},     {"1.2.3.4", 0x01020304},
      {"10.0.0.255", 0x0a0000ff},     {"100.64.0.0", 0x64400000},
  };
  for (const auto& c : cases) {
    auto parsed = IpAddress::parse(c.text);
    ASSERT_TRUE(parsed) << c.text << ": " << parsed.error().message();
    EXPECT_TRUE(parsed.value().is_v4());
    EXPECT_EQ(parsed.value().v4_value(), c.value) << c.text;
    EXPECT_EQ(parsed.value().to_string(), c.text);
  }
}

struct BadCase {
  std::string text;
  std::string reason;  // must appear in the message
};

TEST(IpAddressV4, RejectsInvalidTextNamingTheProblem) {
  const std::vector<BadCase> cases = {
      {"", "empty"},
      {"1.2.3", "expected 4 dot-separated octets, found 3"},
      {"1.2.3.4.5", "expected 4 dot-separated octets, found 5"},
      {"256.1.1.1", "octet '256' is larger than 255"},
      {"1.2.3.1000", "octet '1000' is larger than 255"},
      {"01.2.3.4", "leading zero"},
      {"1.2.3.00", "leading zero"},
      {"1..2.3", "empty octet"},
      {"1.2.3.", "empty octet"},
      {".1.2.3", "empty octet"},
      {"1.2.3.4 ", "unexpected character ' '"},
      {" 1.2.3.4", "unexpected character ' '"},
      {"a.b.c.d", "unexpected character 'a'"},
      {"1.2.3.-1", "unexpected character '-'"},
      {"1.2.3.+1", "unexpected character '+'"},
  };
  for (const auto& c : cases) {
    auto parsed = IpAddress::parse_v4(c.text);
    ASSERT_FALSE(parsed) << "'" << c.text << "' was accepted";
    EXPECT_EQ(parsed.error().code(), Errc::kInvalidArgument);
    EXPECT_NE(parsed.error().message().find(c.reason), std::string::npos)
        << "'" << c.text << "': " << parsed.error().message();
    EXPECT_NE(parsed.error().message().find("IPv4"), std::string::npos);
  }
}

// ---- IPv6 parsing ---------------------------------------------------------------------------

struct V6Case {
  std::string text;
  IpAddress value;
};

TEST(IpAddressV6, ParsesEveryTextForm) {
  const std::vector<V6Case> cases = {
      {"::", v6(0, 0)},
      {"::1", v6(0, 1)},
      {"1::", v6(0x0001000000000000, 0)},
      {"::ffff:192.0.2.1", v6(0, 0x0000ffffc0000201)},
      {"::FFFF:c000:0201", v6(0, 0x0000ffffc0000201)},
      {"2001:db8::1", v6(0x20010db800000000, 1)},
      {"2001:DB8:0:0:1:0:0:1", v6(0x20010db800000000, 0x0001000000000001)},
      {"2001:0db8:0000:0000:0001:0000:0000:0001", v6(0x20010db800000000, 0x0001000000000001)},
      {"1:2:3:4:5:6:7:8", v6(0x0001000200030004, 0x0005000600070008)},
      {"1:2:3:4:5:6:7::", v6(0x0001000200030004, 0x0005000600070000)},
      {"::2:3:4:5:6:7:8", v6(0x0000000200030004, 0x0005000600070008)},
      {"1::8", v6(0x0001000000000000, 8)},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", IpAddress::max(Family::kV6)},
      {"64:ff9b::192.0.2.33", v6(0x0064ff9b00000000, 0x00000000c0000221)},
      {"0:0:0:0:0:0:0:0", v6(0, 0)},
      {"::0.0.0.0", v6(0, 0)},
      {"::192.0.2.1", v6(0, 0xc0000201)},
      {"1:2:3:4:5:6:1.2.3.4", v6(0x0001000200030004, 0x0005000601020304)},
      {"fe80::a:b", v6(0xfe80000000000000, 0x0000000a000b)},
  };
  for (const auto& c : cases) {
    auto parsed = IpAddress::parse(c.text);
    ASSERT_TRUE(parsed) << c.text << ": " << parsed.error().message();
    EXPECT_EQ(parsed.value(), c.value) << c.text;
    EXPECT_TRUE(parsed.value().is_v6());
  }
}

TEST(IpAddressV6, RejectsInvalidTextNamingTheProblem) {
  const std::vector<BadCase> cases = {
      {":::", "':::' is not allowed"},
      {"1:::2", "':::' is not allowed"},
      {"1::2::3", "'::' may appear only once"},
      {"1:2:3:4:5:6:7:8:9", "more than 8 groups"},
      {"1:2:3:4:5:6:7", "expected 8 groups (or '::'), found 7"},
      {"12345::", "group '12345' has more than 4 hex digits"},
      {"g::", "unexpected character 'g' in group 'g'"},
      {":1::", "empty group"},
      {"1::2:", "empty group"},
      {":", "empty group"},
      {"1:", "empty group"},
      {":1", "empty group"},
      {"fe80::1%eth0", "zone index"},
      {"[::1]", "brackets"},
      {"1.2.3.4::", "dotted IPv4 part may only stand at the end"},
      {"::1.2.3.4:5", "dotted IPv4 part may only stand at the end"},
      {"1:2:3:4:5:6:7:1.2.3.4", "expected 8 groups (or '::'), found 9"},
      {"::256.1.1.1", "embedded IPv4 part '256.1.1.1': octet '256' is larger than 255"},
      {"1:2:3:4:5:6:7:8::", "too many groups"},
      {"1:2:3:4::5:6:7:8", "too many groups"},
      {"::1 ", "unexpected character ' '"},
  };
  for (const auto& c : cases) {
    auto parsed = IpAddress::parse(c.text);
    ASSERT_FALSE(parsed) << "'" << c.text << "' was accepted";
    EXPECT_EQ(parsed.error().code(), Errc::kInvalidArgument);
    EXPECT_NE(parsed.error().message().find(c.reason), std::string::npos)
        << "'" << c.text << "': " << parsed.error().message();
    EXPECT_NE(parsed.error().message().find("IPv6"), std::string::npos);
  }
}

// ---- RFC 5952 formatting --------------------------------------------------------------------

TEST(IpAddressV6, FormatsCanonicallyPerRfc5952) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      // §2: every one of these represents 2001:db8::1:0:0:1.
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
      {"2001:0db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
      {"2001:db8::1:0:0:1", "2001:db8::1:0:0:1"},
      {"2001:db8::0:1:0:0:1", "2001:db8::1:0:0:1"},
      {"2001:0db8::1:0:0:1", "2001:db8::1:0:0:1"},
      {"2001:db8:0:0:1::1", "2001:db8::1:0:0:1"},
      {"2001:db8:0000:0:1::1", "2001:db8::1:0:0:1"},
      {"2001:DB8:0:0:1::1", "2001:db8::1:0:0:1"},
      // §2.1, §4.1: leading zeros suppressed.
      {"2001:db8:aaaa:bbbb:cccc:dddd:eeee:0001", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1"},
      {"2001:db8:aaaa:bbbb:cccc:dddd:eeee:001", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1"},
      {"2001:db8:aaaa:bbbb:cccc:dddd:eeee:01", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1"},
      // §2.2, §4.3: lower case.
      {"2001:db8:aaaa:bbbb:cccc:dddd:eeee:AAAA", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaaa"},
      {"2001:db8:aaaa:bbbb:cccc:dddd:eeee:AaAa", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaaa"},
      // §2.3, §4.2.1: "::" as long as possible.
      {"2001:db8:aaaa:bbbb:cccc:dddd:0:1", "2001:db8:aaaa:bbbb:cccc:dddd:0:1"},
      {"2001:db8:0:0:0::1", "2001:db8::1"},
      {"2001:db8:0:0::1", "2001:db8::1"},
      {"2001:db8:0::1", "2001:db8::1"},
      {"2001:db8::1", "2001:db8::1"},
      {"2001:db8::aaaa:0:0:1", "2001:db8::aaaa:0:0:1"},
      {"2001:db8:0:0:aaaa::1", "2001:db8::aaaa:0:0:1"},
      // §4.2.2: never "::" for a single zero group.
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
      {"2001:db8::1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
      // §4.2.3: the longest run wins; on a tie, the first.
      {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
      // §5: IPv4-mapped keeps the dotted quad.
      {"::ffff:c000:280", "::ffff:192.0.2.128"},
      {"::ffff:0:c000:280", "::ffff:0:192.0.2.128"},
      // Boundaries and edges.
      {"0:0:0:0:0:0:0:0", "::"},
      {"0:0:0:0:0:0:0:1", "::1"},
      {"1:0:0:0:0:0:0:0", "1::"},
      {"1:0:0:0:0:0:0:1", "1::1"},
      {"0:1:0:0:0:0:0:0", "0:1::"},
      {"1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0"},
      {"0:0:1:0:0:0:0:0", "0:0:1::"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
  };
  for (const auto& [input, expected] : cases) {
    auto parsed = IpAddress::parse(input);
    ASSERT_TRUE(parsed) << input << ": " << parsed.error().message();
    EXPECT_EQ(parsed.value().to_string(), expected) << input;
    EXPECT_EQ(fmt::format("{}", parsed.value()), expected);
  }
}

// ---- bytes, mapping, ordering -----------------------------------------------------------------

TEST(IpAddress, BytesRoundTripInNetworkOrder) {
  const auto a = IpAddress::parse("192.0.2.1").value();
  const auto bytes = a.bytes();
  ASSERT_EQ(bytes.size, 4u);
  EXPECT_EQ(bytes.data[0], 192);
  EXPECT_EQ(bytes.data[3], 1);
  EXPECT_EQ(IpAddress::from_bytes(bytes.span()), a);

  const auto b = IpAddress::parse("2001:db8::ff").value();
  const auto b_bytes = b.bytes();
  ASSERT_EQ(b_bytes.size, 16u);
  EXPECT_EQ(b_bytes.data[0], 0x20);
  EXPECT_EQ(b_bytes.data[1], 0x01);
  EXPECT_EQ(b_bytes.data[15], 0xff);
  EXPECT_EQ(IpAddress::from_bytes(b_bytes.span()), b);

  const std::uint8_t five[5] = {1, 2, 3, 4, 5};
  EXPECT_FALSE(IpAddress::from_bytes(five));
}

TEST(IpAddress, UnmapsIpv4MappedAddresses) {
  const auto mapped = IpAddress::parse("::ffff:198.51.100.7").value();
  EXPECT_TRUE(mapped.is_v4_mapped());
  EXPECT_EQ(mapped.unmap(), IpAddress::parse("198.51.100.7").value());
  EXPECT_FALSE(IpAddress::parse("::198.51.100.7").value().is_v4_mapped());
  EXPECT_FALSE(IpAddress::parse("198.51.100.7").value().unmap());
}

TEST(IpAddress, OrdersIpv4BeforeIpv6ThenByValue) {
  const auto v4_max = IpAddress::max(Family::kV4);
  const auto v6_zero = IpAddress::zero(Family::kV6);
  EXPECT_LT(v4_max, v6_zero);
  EXPECT_LT(IpAddress::parse("192.0.2.1").value(), IpAddress::parse("192.0.2.2").value());
  EXPECT_LT(IpAddress::parse("2001:db8::1").value(), IpAddress::parse("2001:db8::1:0").value());
  EXPECT_NE(IpAddress::v4(0), IpAddress::v6(0));
}

// ---- masks and arithmetic ------------------------------------------------------------------

TEST(IpAddress, MasksToAnyPrefixLength) {
  const auto a = IpAddress::parse("192.0.2.77").value();
  EXPECT_EQ(a.mask(24).to_string(), "192.0.2.0");
  EXPECT_EQ(a.mask(0).to_string(), "0.0.0.0");
  EXPECT_EQ(a.mask(32), a);
  EXPECT_EQ(a.mask(30).to_string(), "192.0.2.76");
  EXPECT_EQ(IpAddress::netmask(Family::kV4, 24).to_string(), "255.255.255.0");
  EXPECT_EQ(IpAddress::netmask(Family::kV4, 0).to_string(), "0.0.0.0");
  EXPECT_EQ(IpAddress::netmask(Family::kV4, 32).to_string(), "255.255.255.255");

  const auto b = IpAddress::parse("2001:db8:1:2:3:4:5:6").value();
  EXPECT_EQ(b.mask(64).to_string(), "2001:db8:1:2::");
  EXPECT_EQ(b.mask(0).to_string(), "::");
  EXPECT_EQ(b.mask(128), b);
  EXPECT_EQ(b.mask(127).to_string(), "2001:db8:1:2:3:4:5:6");
  EXPECT_EQ(b.mask(1).to_string(), "::");
  EXPECT_EQ(IpAddress::netmask(Family::kV6, 128).to_string(),
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  EXPECT_EQ(IpAddress::netmask(Family::kV6, 65).to_string(), "ffff:ffff:ffff:ffff:8000::");
}

TEST(IpAddress, ArithmeticIsExactAndStopsAtBothEnds) {
  const auto v4_max = IpAddress::max(Family::kV4);
  const auto v6_max = IpAddress::max(Family::kV6);
  EXPECT_EQ(v4_max.to_string(), "255.255.255.255");
  EXPECT_FALSE(v4_max.next());
  EXPECT_FALSE(IpAddress::zero(Family::kV4).prev());
  EXPECT_FALSE(v6_max.next());
  EXPECT_FALSE(IpAddress::zero(Family::kV6).prev());
  EXPECT_EQ(v4_max.prev()->to_string(), "255.255.255.254");
  EXPECT_EQ(IpAddress::parse("192.0.2.255").value().next()->to_string(), "192.0.3.0");
  EXPECT_EQ(IpAddress::parse("::ffff:ffff:ffff:ffff").value().next()->to_string(), "0:0:0:1::");

  const auto base = IpAddress::parse("2001:db8::").value();
  EXPECT_EQ(base.plus(pow2(64))->to_string(), "2001:db8:0:1::");
  EXPECT_EQ(base.plus(pow2(64) - 1)->to_string(), "2001:db8::ffff:ffff:ffff:ffff");
  EXPECT_EQ(IpAddress::zero(Family::kV6).plus(kU128Max), v6_max);
  EXPECT_FALSE(IpAddress::v6(1).plus(kU128Max));
  EXPECT_FALSE(IpAddress::v4(1).plus(0xffffffffu));
  EXPECT_EQ(IpAddress::v4(1).plus(0xfffffffeu), v4_max);
  EXPECT_FALSE(IpAddress::v4(0).plus(pow2(32)));
  EXPECT_EQ(v6_max.minus(kU128Max), IpAddress::zero(Family::kV6));
  EXPECT_FALSE(v4_max.minus(pow2(32)));

  EXPECT_EQ(distance(IpAddress::zero(Family::kV6), v6_max), kU128Max);
  EXPECT_EQ(distance(IpAddress::zero(Family::kV4), v4_max), u128{0xffffffffu});
  EXPECT_EQ(distance(base, *base.plus(12345)), u128{12345});
  EXPECT_EQ(to_decimal(distance(IpAddress::zero(Family::kV6), v6_max)),
            "340282366920938463463374607431768211455");
}

TEST(IpAddressDeathTest, DistanceAcrossFamiliesIsABug) {
  EXPECT_DEATH((void)distance(IpAddress::v4(0), IpAddress::v6(0)), "different families");
  EXPECT_DEATH((void)distance(IpAddress::v4(2), IpAddress::v4(1)), "from > to");
}

// ---- random round trips against the C library -----------------------------------------------

std::string ntop(const IpAddress& a) {
  char buffer[INET6_ADDRSTRLEN];
  const auto bytes = a.bytes();
  return inet_ntop(a.is_v4() ? AF_INET : AF_INET6, bytes.data.data(), buffer, sizeof buffer);
}

IpAddress random_v6(std::mt19937_64& rng) {
  // Zero groups are common in real addresses and are what "::" handling is about: give each
  // group a one in three chance to be zero, and one in eight to be 0xffff.
  u128 value = 0;
  for (int i = 0; i < 8; ++i) {
    const auto pick = rng() % 24;
    const std::uint16_t group = pick < 8    ? 0
                                : pick < 11 ? 0xffff
                                            : static_cast<std::uint16_t>(rng());
    value = (value << 16) | group;
  }
  return IpAddress::v6(value);
}

TEST(IpAddressProperty, RandomRoundTripsAgreeWithTheCLibrary) {
  std::mt19937_64 rng(20261126);
  int compared = 0;
  for (int i = 0; i < 600; ++i) {
    const IpAddress a =
        i % 3 == 0 ? IpAddress::v4(static_cast<std::uint32_t>(rng())) : random_v6(rng);
    const std::string text = a.to_string();
    auto back = IpAddress::parse(text);
    ASSERT_TRUE(back) << text << ": " << back.error().message();
    ASSERT_EQ(back.value(), a) << text;

    // inet_pton must read our text as the same address.
    std::uint8_t buffer[16];
    ASSERT_EQ(inet_pton(a.is_v4() ? AF_INET : AF_INET6, text.c_str(), buffer), 1) << text;
    EXPECT_EQ(IpAddress::from_bytes({buffer, a.is_v4() ? 4u : 16u}), a) << text;

    // glibc's inet_ntop is RFC 5952 too, except that it prints the deprecated IPv4-compatible
    // (::/96) and the IPv4-translated (::ffff:0:0:0/96) forms differently.
    const u128 top96 = a.value() >> 32;
    if (a.is_v6() && (top96 == 0 || top96 == (u128{0xffff} << 16))) continue;
    EXPECT_EQ(text, ntop(a));
    ++compared;
  }
  EXPECT_GT(compared, 500);
}

TEST(IpAddressProperty, RandomTextFormsParseLikeInetPton) {
  // Uncompressed, upper-case and leading-zero variants of random addresses.
  std::mt19937_64 rng(7);
  for (int i = 0; i < 300; ++i) {
    const IpAddress a = random_v6(rng);
    std::string text;
    for (int g = 0; g < 8; ++g) {
      if (g != 0) text += ':';
      const auto group = static_cast<unsigned>((a.value() >> (16 * (7 - g))) & 0xffff);
      text += rng() % 2 ? fmt::format("{:04X}", group) : fmt::format("{:x}", group);
    }
    auto parsed = IpAddress::parse(text);
    ASSERT_TRUE(parsed) << text << ": " << parsed.error().message();
    EXPECT_EQ(parsed.value(), a) << text;
    std::uint8_t buffer[16];
    ASSERT_EQ(inet_pton(AF_INET6, text.c_str(), buffer), 1) << text;
    EXPECT_EQ(IpAddress::from_bytes(buffer), a);
  }
}

TEST(IpAddressProperty, RandomStringsAreAcceptedExactlyWhenInetPtonAcceptsThem) {
  // Short strings over the characters that matter, biased towards almost-valid shapes.
  static constexpr std::string_view kAlphabet = "0123456789abcdefABCDEF:::::...g ";
  std::mt19937_64 rng(99);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const auto length = 1 + rng() % 20;
    for (std::size_t k = 0; k < length; ++k) text += kAlphabet[rng() % kAlphabet.size()];
    const bool v6 = text.find(':') != std::string::npos;
    std::uint8_t buffer[16];
    const bool libc = inet_pton(v6 ? AF_INET6 : AF_INET, text.c_str(), buffer) == 1;
    auto ours = IpAddress::parse(text);
    ASSERT_EQ(static_cast<bool>(ours), libc) << "'" << text << "'";
    if (libc) {
      ++accepted;
      EXPECT_EQ(IpAddress::from_bytes({buffer, v6 ? 16u : 4u}), ours.value()) << text;
    }
  }
  EXPECT_GT(accepted, 50);  // the generator must reach valid forms, or this proves little
}

}  // namespace
}  // namespace vipd
