// The desired state of a Service and how it meets the live object: vipd's annotations,
// spec.externalIPs where only vipd's recorded entries are vipd's, and "nothing to write".
#include "controller/changes.hpp"

#include <gtest/gtest.h>

#include "controller/tests/builders.hpp"

namespace vipd::controller {
namespace {

using test::ip;
using test::ips;
using test::Svc;

TEST(AddressList, ParsesAndFormatsVipdsRecord) {
  EXPECT_EQ(parse_address_list("203.0.113.5,2001:db8::5"), ips({"203.0.113.5", "2001:db8::5"}));
  EXPECT_EQ(parse_address_list(" 203.0.113.5 , junk,,203.0.113.5"), ips({"203.0.113.5"}));
  EXPECT_TRUE(parse_address_list("").empty());
  EXPECT_EQ(format_address_list(ips({"203.0.113.5", "2001:db8::5"})), "203.0.113.5,2001:db8::5");
  EXPECT_EQ(format_address_list({}), "");
}

TEST(OwnedAnnotations, PoolSetOrAbsentDeprecatedAlwaysAbsentExternalRecord) {
  const Desired held{
      .manage = true, .pool = "public", .external_ips = ips({"203.0.113.5", "2001:db8::5"})};
  const auto a = owned_annotations(held);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].first, "metallb.io/ip-allocated-from-pool");
  EXPECT_EQ(a[0].second, "public");
  EXPECT_EQ(a[1].first, "metallb.universe.tf/ip-allocated-from-pool");
  EXPECT_EQ(a[1].second, std::nullopt);
  EXPECT_EQ(a[2].first, "vipd.io/external-ips");
  EXPECT_EQ(a[2].second, "203.0.113.5,2001:db8::5");

  const auto cleared = owned_annotations(Desired{.manage = true});
  ASSERT_EQ(cleared.size(), 3u);
  for (const auto& [name, value] : cleared) EXPECT_EQ(value, std::nullopt) << name;
  EXPECT_TRUE(owned_annotations(Desired{}).empty());
}

// Another class's LoadBalancer: vipd only takes back its spec.externalIPs entries.
TEST(OwnedAnnotations, WithoutTheStatusOnlyTheExternalIpsRecord) {
  const Desired d{.manage = true, .owns_status = false};
  const auto a = owned_annotations(d);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].first, "vipd.io/external-ips");
  EXPECT_EQ(a[0].second, std::nullopt);
  const k8s::Service theirs = Svc("lb")
                                  .lb_class("other")
                                  .ingress({"198.51.100.9"})
                                  .annotate("metallb.io/ip-allocated-from-pool", "theirs");
  EXPECT_TRUE(satisfied(d, theirs));
  EXPECT_FALSE(satisfied(
      d, Svc(theirs).external({"203.0.113.5"}).annotate("vipd.io/external-ips", "203.0.113.5")));
}

TEST(MergeExternalIps, ReplacesOnlyTheEntriesVipdRecorded) {
  const Labels recorded{{"vipd.io/external-ips", "203.0.113.5"}};
  const auto live = ips({"198.51.100.7", "203.0.113.5"});
  struct Case {
    const char* name;
    Desired desired;
    std::vector<IpAddress> live;
    Labels annotations;
    std::vector<IpAddress> want;
  };
  const Case cases[] = {
      {"vipd's entry replaced, the user's kept in place",
       {.manage = true, .external_ips = ips({"203.0.113.9"})},
       live,
       recorded,
       ips({"198.51.100.7", "203.0.113.9"})},
      {"vipd's entry removed", {.manage = true}, live, recorded, ips({"198.51.100.7"})},
      {"kept where it is",
       {.manage = true, .external_ips = ips({"203.0.113.5"})},
       live,
       recorded,
       live},
      {"without a record nothing is vipd's", {.manage = true}, live, {}, live},
      {"added at the end",
       {.manage = true, .external_ips = ips({"2001:db8::5"})},
       ips({"198.51.100.7"}),
       {},
       ips({"198.51.100.7", "2001:db8::5"})},
      {"a user entry equal to vipd's is not doubled",
       {.manage = true, .external_ips = ips({"198.51.100.7"})},
       ips({"198.51.100.7"}),
       {},
       ips({"198.51.100.7"})},
      {"not managed: untouched", {}, live, recorded, live},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(merge_external_ips(c.desired, c.live, c.annotations), c.want) << c.name;
  }
}

TEST(Satisfied, ComparesEveryPartVipdOwns) {
  const Desired d{.manage = true, .ingress = ips({"203.0.113.1"}), .pool = "public"};
  const k8s::Service done =
      Svc("web").ingress({"203.0.113.1"}).annotate("metallb.io/ip-allocated-from-pool", "public");
  EXPECT_TRUE(satisfied(d, done));
  EXPECT_TRUE(satisfied(Desired{}, Svc("other").ingress({"198.51.100.1"})));

  struct Case {
    const char* name;
    k8s::Service live;
  };
  const Case differ[] = {
      {"no status", Svc("web").annotate("metallb.io/ip-allocated-from-pool", "public")},
      {"another address",
       Svc("web").ingress({"203.0.113.2"}).annotate("metallb.io/ip-allocated-from-pool", "public")},
      {"an address too many", Svc("web")
                                  .ingress({"203.0.113.1", "2001:db8::1"})
                                  .annotate("metallb.io/ip-allocated-from-pool", "public")},
      {"no pool annotation", Svc("web").ingress({"203.0.113.1"})},
      {"another pool",
       Svc("web").ingress({"203.0.113.1"}).annotate("metallb.io/ip-allocated-from-pool", "other")},
      {"the deprecated pool annotation",
       Svc("web")
           .ingress({"203.0.113.1"})
           .annotate("metallb.io/ip-allocated-from-pool", "public")
           .annotate("metallb.universe.tf/ip-allocated-from-pool", "public")},
      {"a stale record of external IPs",
       Svc("web")
           .ingress({"203.0.113.1"})
           .annotate("metallb.io/ip-allocated-from-pool", "public")
           .annotate("vipd.io/external-ips", "203.0.113.9")},
  };
  for (const auto& c : differ) EXPECT_FALSE(satisfied(d, c.live)) << c.name;

  const Desired external{.manage = true, .pool = "l2", .external_ips = ips({"203.0.113.5"})};
  const auto romana = Svc("vip").cluster_ip().annotate("metallb.io/ip-allocated-from-pool", "l2");
  EXPECT_FALSE(satisfied(external, romana));
  EXPECT_FALSE(satisfied(external, Svc(romana).external({"203.0.113.5"})));  // no record
  EXPECT_TRUE(satisfied(external, Svc(romana)
                                      .external({"198.51.100.7", "203.0.113.5"})
                                      .annotate("vipd.io/external-ips", "203.0.113.5")));
}

TEST(Applied, WritingTheDesiredStateSatisfiesIt) {
  const Desired d{.manage = true, .pool = "l2", .external_ips = ips({"203.0.113.5"})};
  const k8s::Service before = Svc("vip")
                                  .cluster_ip()
                                  .external({"198.51.100.7", "203.0.113.4"})
                                  .ingress({"203.0.113.4"})
                                  .annotate("vipd.io/external-ips", "203.0.113.4");
  const auto after = test::applied(before, d);
  EXPECT_TRUE(satisfied(d, after));
  EXPECT_EQ(after.external_ips, ips({"198.51.100.7", "203.0.113.5"}));
  EXPECT_TRUE(after.ingress_ips.empty());
}

}  // namespace
}  // namespace vipd::controller
