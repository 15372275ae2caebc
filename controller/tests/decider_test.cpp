// MetalLB's controller table (controller/controller_test.go, TestControllerMutation) restated
// through Service views: each input is decided by a fresh controller that has just synced
// (the Service's status is what it shows), and the outcome is the desired status, the pool
// annotation, whether anything is to be written, and whether a Warning was recorded.
// MetalLB's pools overlap (pool5 holds pool1's and pool3's addresses); vipd refuses overlapping
// pools, so pool5 has addresses of its own here.
#include "controller/decider.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "controller/tests/builders.hpp"

namespace vipd::controller {
namespace {

using test::ips;
using test::pool_doc;
using test::Svc;

const config::Config& metallb_pools() {
  const auto ns1 = [](int priority, bool selector) {
    std::string s = "  serviceAllocation:\n    priority: " + std::to_string(priority) +
                    "\n    namespaces: [test-ns1]\n";
    if (selector) s += "    serviceSelectors:\n    - matchLabels: {team: metallb}\n";
    return s;
  };
  static const config::Config c =
      test::resources(pool_doc("pool1", {"203.0.113.0/31"}) +
                      pool_doc("pool2", {"203.0.113.10/32"}, "  autoAssign: false\n") +
                      pool_doc("pool3", {"2001:db8:3::/127"}) +
                      pool_doc("pool4", {"2001:db8:4::1/128"}, "  autoAssign: false\n") +
                      pool_doc("pool5", {"198.51.100.0/31", "2001:db8:5::/127"}) +
                      pool_doc("pool6", {"198.51.100.16/31"}, ns1(10, false)) +
                      pool_doc("pool7", {"198.51.100.18/31"}, ns1(11, false)) +
                      pool_doc("pool8", {"198.51.100.20/31"},
                               "  serviceAllocation:\n    priority: 9\n    serviceSelectors:\n"
                               "    - matchLabels: {team: metallb}\n") +
                      pool_doc("pool9", {"198.51.100.22/31"},
                               "  serviceAllocation:\n    namespaces: [test-ns2]\n") +
                      pool_doc("pool10", {"198.51.100.24/31"},
                               "  serviceAllocation:\n    priority: 8\n    serviceSelectors:\n"
                               "    - matchLabels: {team: metallb}\n") +
                      pool_doc("pool11", {"198.51.100.26/31"}, ns1(8, true)) +
                      pool_doc("pool12", {"198.51.100.28/31"}, ns1(5, true)));
  return c;
}

struct Case {
  const char* name;
  k8s::Service in;
  std::vector<IpAddress> ingress;  // the desired status
  std::optional<std::string> pool;
  bool writes;   // the desired state differs from the input
  bool warning;  // a Warning Event (MetalLB's loggedWarning)
};

void run(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    Decider d;
    ASSERT_TRUE(d.set_config(metallb_pools()));
    const auto changes = d.sync({c.in}, {});
    const auto key = test::key(c.in.meta.namespace_ + "/" + c.in.meta.name);
    const Desired& got = test::desired(changes, key);
    const auto events = test::describe(changes.events);
    EXPECT_EQ(got.ingress, c.ingress) << c.name;
    EXPECT_EQ(got.pool, c.pool) << c.name;
    EXPECT_EQ(!satisfied(got, c.in), c.writes) << c.name;
    const bool warned = std::any_of(changes.events.begin(), changes.events.end(),
                                    [](const Event& e) { return e.type == EventType::kWarning; });
    EXPECT_EQ(warned, c.warning) << c.name << "\n" << testing::PrintToString(events);
    // Whatever it says, saying it again changes nothing: the written Service is stable.
    if (got.manage) {
      const auto again = d.upsert(test::applied(c.in, got));
      EXPECT_TRUE(satisfied(test::desired(again, key), test::applied(c.in, got))) << c.name;
      EXPECT_TRUE(again.events.empty()) << c.name << "\n"
                                        << testing::PrintToString(test::describe(again.events));
    }
  }
}

TEST(MetallbControllerTable, SingleStack) {
  using k8s::ServiceType;
  run({
      {"simple non-LoadBalancer", Svc("test").cluster_ip(), {}, std::nullopt, false, false},
      {"simple LoadBalancer", Svc("test"), ips({"203.0.113.0"}), "pool1", true, false},
      {"request specific IP", Svc("test").spec_ip("203.0.113.1"), ips({"203.0.113.1"}), "pool1",
       true, false},
      {"request specific IP via custom annotation", Svc("test").lb_ips("203.0.113.1"),
       ips({"203.0.113.1"}), "pool1", true, false},
      {"request IP from both svc.spec.LoadBalancerIP and custom annotation",
       Svc("test").lb_ips("203.0.113.1").spec_ip("203.0.113.0"),
       {},
       std::nullopt,
       false,
       true},
      {"incompatible ip and address pool annotations",
       Svc("test").lb_ips("203.0.113.1").pool("pool2"),
       {},
       std::nullopt,
       false,
       true},
      {"request invalid IP via custom annotation",
       Svc("test").lb_ips("please sir may I have an IP address thank you"),
       {},
       std::nullopt,
       false,
       true},
      {"request two IPs from same ip family via custom annotation",
       Svc("test").lb_ips("203.0.113.0,203.0.113.1"),
       {},
       std::nullopt,
       false,
       true},
      {"request infeasible IP: the status is cleared",
       Svc("test").spec_ip("203.0.113.4").ingress({"203.0.113.1"}),
       {},
       std::nullopt,
       true,
       true},
      {"request IP from specific pool", Svc("test").pool("pool1"), ips({"203.0.113.0"}), "pool1",
       true, false},
      {"switch to a different specific pool", Svc("test").pool("pool2").ingress({"203.0.113.0"}),
       ips({"203.0.113.10"}), "pool2", true, false},
      {"unknown pool requested", Svc("test").pool("does-not-exist"), {}, std::nullopt, false, true},
      {"invalid IP assigned", Svc("test").ingress({"192.0.2.99"}), ips({"203.0.113.0"}), "pool1",
       true, false},
      {"former LoadBalancer, now NodePort",
       Svc("test").type(ServiceType::kNodePort).ingress({"203.0.113.0"}),
       {},
       std::nullopt,
       true,
       false},
      {"request layer2 service (a pool without auto-assign)", Svc("test").spec_ip("203.0.113.10"),
       ips({"203.0.113.10"}), "pool2", true, false},
      {"Layer2 service with local traffic policy",
       Svc("test").spec_ip("203.0.113.10").local({{"app", "web"}}), ips({"203.0.113.10"}), "pool2",
       true, false},
      {"No ClusterIP", Svc("test").no_families(), {}, std::nullopt, false, false},
      {"request IP from wrong ip-family (ipv4)",
       Svc("test").v6().spec_ip("203.0.113.1"),
       {},
       std::nullopt,
       false,
       true},
      {"request IP from wrong ip-family (ipv4) via custom annotation",
       Svc("test").v6().lb_ips("203.0.113.1"),
       {},
       std::nullopt,
       false,
       true},
      {"request IP from wrong ip-family (ipv6)",
       Svc("test").spec_ip("2001:db8:3::"),
       {},
       std::nullopt,
       false,
       true},
      {"request IP from wrong ip-family (ipv6) via custom annotation",
       Svc("test").lb_ips("2001:db8:3::"),
       {},
       std::nullopt,
       false,
       true},
      {"IP from wrong ip-family (ipv6) assigned", Svc("test").ingress({"2001:db8:3::"}),
       ips({"203.0.113.0"}), "pool1", true, false},
      {"IP from wrong ip-family (ipv4) assigned", Svc("test").v6().ingress({"203.0.113.0"}),
       ips({"2001:db8:3::"}), "pool3", true, false},
      // MetalLB warns ("nolbIPsIPFamily"); vipd says ClearAssignment (Normal) and allocates.
      {"ips already assigned but can't determine family",
       Svc("test").ingress({"203.0.113.0", "203.0.113.1", "203.0.113.10"}), ips({"203.0.113.0"}),
       "pool1", true, false},
  });
}

TEST(MetallbControllerTable, DualStack) {
  using k8s::IpFamilyPolicy;
  const auto both_single =
      Svc("test").families({Family::kV4, Family::kV6}, IpFamilyPolicy::kSingleStack);
  run({
      {"simple dual-stack LoadBalancer", Svc("test").require_dual(),
       ips({"198.51.100.0", "2001:db8:5::"}), "pool5", true, false},
      {"request IPs from specific pool", Svc("test").require_dual().pool("pool5"),
       ips({"198.51.100.0", "2001:db8:5::"}), "pool5", true, false},
      {"simple dual-stack LoadBalancer with PreferDualStack policy", Svc("test").prefer_dual(),
       ips({"198.51.100.0", "2001:db8:5::"}), "pool5", true, false},
      {"single-stack LoadBalancer with PreferDualStack policy (pinned to test-ns1)",
       Svc("test-ns1/test").prefer_dual(Family::kV4, false), ips({"198.51.100.16"}), "pool6", true,
       false},
      {"request IPs from dualstack pool with PreferDualStack policy",
       Svc("test").prefer_dual().pool("pool5"), ips({"198.51.100.0", "2001:db8:5::"}), "pool5",
       true, false},
      {"request IP from single-stack ipv4 pool with PreferDualStack policy",
       Svc("test").prefer_dual().pool("pool1"), ips({"203.0.113.0"}), "pool1", true, false},
      {"request IP from single-stack ipv6 pool with PreferDualStack policy",
       Svc("test").prefer_dual(Family::kV6, false).pool("pool3"), ips({"2001:db8:3::"}), "pool3",
       true, false},
      {"request specific loadbalancer IP with dual-stack (policy unset)",
       Svc(both_single).spec_ip("203.0.113.1"),
       {},
       std::nullopt,
       false,
       true},
      {"request specific loadbalancer IPv4 address via custom annotation for dual-stack config",
       Svc(both_single).lb_ips("203.0.113.1"),
       {},
       std::nullopt,
       false,
       true},
      {"request dual-stack loadbalancer IPs via custom annotation",
       Svc("test").require_dual().lb_ips("198.51.100.0,2001:db8:5::"),
       ips({"198.51.100.0", "2001:db8:5::"}), "pool5", true, false},
      // The primary family (IPv6) first, as Kubernetes orders clusterIPs; MetalLB writes IPv4
      // first.
      {"request dual-stack loadbalancer with invalid ingress",
       Svc("test").require_dual(Family::kV6).ingress({"2001:db8:5::"}),
       ips({"2001:db8:5::", "198.51.100.0"}), "pool5", true, false},
      {"request dual-stack loadbalancer IPs via custom annotation in a single stack cluster",
       Svc("test").lb_ips("203.0.113.0,2001:db8:3::"),
       {},
       std::nullopt,
       false,
       true},
  });
}

TEST(MetallbControllerTable, PinnedPools) {
  run({
      {"request IP for service from namespace specific ip pool", Svc("test-ns1/test"),
       ips({"198.51.100.16"}), "pool6", true, false},
      {"request IP for service from no priority namespace specific ip pool", Svc("test-ns2/test"),
       ips({"198.51.100.22"}), "pool9", true, false},
      {"request IP for service from service label specific ip pool",
       Svc("test").label("team", "metallb"), ips({"198.51.100.24"}), "pool10", true, false},
      {"request IP for service from ip pool having both namespace and service label",
       Svc("test-ns1/test").label("team", "metallb"), ips({"198.51.100.28"}), "pool12", true,
       false},
  });
}

// MetalLB's wording of the Events.
TEST(MetallbControllerTable, EventWording) {
  Decider d;
  ASSERT_TRUE(d.set_config(metallb_pools()));
  auto c = d.sync({Svc("ns/ok").require_dual(), Svc("ns/bad").pool("does-not-exist"),
                   Svc("ns/moved").ingress({"192.0.2.99"})},
                  {});
  EXPECT_EQ(
      test::describe(c.events),
      (std::vector<std::string>{
          "Warning AllocationFailed ns/bad: Failed to allocate IP for \"ns/bad\": ns/bad asks "
          "for address pool 'does-not-exist', which does not exist",
          "Normal ClearAssignment ns/moved: current IP for \"ns/moved\" not allowed by "
          "config, will attempt for new IP assignment: 192.0.2.99 is not in any address pool",
          "Normal IPAllocated ns/moved: Assigned IP [\"203.0.113.0\"]",
          "Normal IPAllocated ns/ok: Assigned IP [\"198.51.100.0\" \"2001:db8:5::\"]",
      }));
}

}  // namespace
}  // namespace vipd::controller
