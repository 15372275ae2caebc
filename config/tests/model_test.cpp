#include <gtest/gtest.h>

#include "config/convert.hpp"
#include "config/diagnostic.hpp"
#include "config/model.hpp"

namespace vipd::config {
namespace {

using namespace std::chrono_literals;

TEST(Duration, ParsesGoSyntax) {
  EXPECT_EQ(parse_duration("90s").value(), 90s);
  EXPECT_EQ(parse_duration("1m30s").value(), 90s);
  EXPECT_EQ(parse_duration("1.5s").value(), 1500ms);
  EXPECT_EQ(parse_duration("300ms").value(), 300ms);
  EXPECT_EQ(parse_duration("2h").value(), 2h);
  EXPECT_EQ(parse_duration("0").value(), 0s);
  EXPECT_EQ(parse_duration("-3s").value(), -3s);
  EXPECT_EQ(parse_duration("10us").value(), 10us);
  EXPECT_FALSE(parse_duration("90"));
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("1d"));
  EXPECT_FALSE(parse_duration("99999999999h"));
}

TEST(Duration, FormatsLikeGo) {
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(120s), "2m0s");
  EXPECT_EQ(format_duration(30s), "30s");
  EXPECT_EQ(format_duration(540s), "9m0s");
  EXPECT_EQ(format_duration(1h), "1h0m0s");
  EXPECT_EQ(format_duration(1500ms), "1.5s");
  EXPECT_EQ(format_duration(300ms), "300ms");
  EXPECT_EQ(format_duration(0s), "0s");
  EXPECT_EQ(format_duration(-2s), "-2s");
}

TEST(Community, ParsesStandardAndLarge) {
  const auto c = Community::parse("65535:65281").value();
  EXPECT_EQ(c.kind, Community::Kind::kStandard);
  EXPECT_EQ(c.global, 65535u);
  EXPECT_EQ(c.local1, 65281u);
  EXPECT_EQ(c.to_string(), "65535:65281");
  const auto l = Community::parse("large:4200000000:1:2").value();
  EXPECT_EQ(l.kind, Community::Kind::kLarge);
  EXPECT_EQ(l.to_string(), "large:4200000000:1:2");
  EXPECT_EQ(Community::parse("65536:1").error().code(), make_error_code(Errc::kOutOfRange));
  EXPECT_EQ(Community::parse("no-export").error().code(), make_error_code(Errc::kInvalidArgument));
  EXPECT_FALSE(Community::parse("1:2:3"));
  EXPECT_FALSE(Community::parse("large:1:2"));
  EXPECT_FALSE(Community::parse("large:1:2:4294967296"));
  EXPECT_FALSE(Community::parse(":1"));
}

TEST(ResourceName, FollowsMetallbConverter) {
  EXPECT_EQ(resource_name("01-numbered-addresspool"), "numbered-addresspool");
  EXPECT_EQ(resource_name("Capitalized-AddressPool"), "capitalized-addresspool");
  EXPECT_EQ(resource_name("underscored_bfd_profile"), "underscored-bfd-profile");
  EXPECT_EQ(
      resource_name("tooLongBFDProfileName01-tooLongBFDProfileName02-tooLongBFDProfileName03"),
      "toolongbfdprofilename01-toolongbfdprofilename02-toolongbfdprofi");
}

TEST(Diagnostic, FormatsFileLineColumnPathMessage) {
  Diagnostic d{Severity::kError, "f.yaml", {3, 7}, "address-pools[2].addresses[0]", "bad"};
  EXPECT_EQ(d.to_string(), "f.yaml:3:7: address-pools[2].addresses[0]: bad");
  d.severity = Severity::kWarning;
  EXPECT_EQ(d.to_string(), "f.yaml:3:7: warning: address-pools[2].addresses[0]: bad");
  d.path.clear();
  d.position = {};
  EXPECT_EQ(d.to_string(), "f.yaml: warning: bad");
}

TEST(Diagnostic, OriginsFallBackToTheParent) {
  Origins o;
  o.add("pools[1]", {{4, 3}, "address-pools[1]"});
  EXPECT_EQ(o.find("pools[1].addresses[0]").path, "address-pools[1]");
  EXPECT_EQ(o.find("pools[2]").path, "");
}

TEST(Diagnostic, OriginsTakeTheLastOfAKeyAndStayFoundAfterMoreAdds) {
  Origins o;
  o.add("services[0]", {{2, 3}, "services[0]"});  // path equal to its key: stored once
  o.add("pools[0]", {{1, 1}, "address-pools[0]"});
  EXPECT_EQ(o.find("services[0].name").position, (Position{2, 3}));
  o.add("services[0]", {{9, 9}, "services[0]"});  // again, after a lookup
  o.add("services[10]", {{5, 1}, "documents[1]"});
  EXPECT_EQ(o.find("services[0]").position, (Position{9, 9}));
  EXPECT_EQ(o.find("services[10].ports").path, "documents[1]");
  EXPECT_EQ(o.find("services[1]").path, "");  // "services[10]" is not its parent
  EXPECT_EQ(o.find("pools[0].addresses[3]").path, "address-pools[0]");
  EXPECT_EQ(o.size(), 4u);
}

TEST(Diagnostic, OriginsCostLittleAnEntry) {
  Origins o;
  for (int i = 0; i < 100000; ++i) {
    const auto k = "services[" + std::to_string(i) + "]";
    o.add(k, {{i + 1, 3}, k});
    o.add(k + ".name", {{i + 1, 10}, k + ".name"});
  }
  EXPECT_EQ(o.find("services[99999].name").position, (Position{100000, 10}));
  // 24 octets an entry plus its key once: ~45 a service field; a std::map held ~230.
  EXPECT_LT(o.footprint(), 200000u * 64u);
}

TEST(Diagnostic, DidYouMean) {
  EXPECT_EQ(did_you_mean("bfdProfile", {"bfd-profile", "password"}),
            "did you mean \"bfd-profile\"?");
  EXPECT_EQ(did_you_mean("adresses", {"addresses"}), "did you mean \"addresses\"?");
  EXPECT_EQ(did_you_mean("zzz", {"addresses"}), "");
}

TEST(Diagnostic, CapsTheNumberOfErrors) {
  Diagnostics d("f");
  for (std::size_t i = 0; i < Diagnostics::kMaxErrors + 10; ++i) d.error({1, 1}, "", "e");
  EXPECT_EQ(d.items().size(), Diagnostics::kMaxErrors + 1);
  EXPECT_EQ(d.error_count(), Diagnostics::kMaxErrors + 10);
}

TEST(Pool, SizesPerFamilySaturate) {
  Pool p;
  p.addresses.push_back({IpRange::from_prefix(Prefix::parse("::/0").value()), true});
  p.addresses.push_back({IpRange::from_prefix(Prefix::parse("2001:db8::/64").value()), true});
  p.addresses.push_back({IpRange::parse("192.0.2.10-192.0.2.20").value(), false});
  EXPECT_EQ(p.size(Family::kV6), kU128Max);
  EXPECT_EQ(p.size(Family::kV4), u128{11});
}

// MetalLB's pool selection by advertisements: named pools, pools whose labels a selector
// matches, and every pool when neither is given; a layer-2 pool is one an L2Advertisement selects.
TEST(Advertisement, SelectsPoolsByNameSelectorOrAll) {
  Pool web{.name = "web", .labels = {{"tier", "front"}}};
  Pool db{.name = "db", .labels = {{"tier", "back"}}};
  BgpAdvertisement every;
  EXPECT_TRUE(selects_pool(every, web));
  EXPECT_TRUE(selects_pool(every, db));
  BgpAdvertisement named{.pools = {"db"}};
  EXPECT_FALSE(selects_pool(named, web));
  EXPECT_TRUE(selects_pool(named, db));
  L2Advertisement by_label{.pool_selectors = {LabelSelector{{{"tier", "front"}}, {}}}};
  EXPECT_TRUE(selects_pool(by_label, web));
  EXPECT_FALSE(selects_pool(by_label, db));
  L2Advertisement both{.pools = {"db"}, .pool_selectors = {LabelSelector{{{"tier", "front"}}, {}}}};
  EXPECT_TRUE(selects_pool(both, web));
  EXPECT_TRUE(selects_pool(both, db));

  Config c;
  c.pools = {web, db};
  EXPECT_FALSE(c.is_layer2(web));
  c.bgp_advertisements = {every};
  EXPECT_FALSE(c.is_layer2(web));
  c.l2_advertisements = {by_label};
  EXPECT_TRUE(c.is_layer2(web));
  EXPECT_FALSE(c.is_layer2(db));
}

}  // namespace
}  // namespace vipd::config
