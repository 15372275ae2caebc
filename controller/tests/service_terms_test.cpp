// How the controller reads a Service: its role under --lb-class, families, the allocator
// request of its spec and annotations (Romana's two forms included), and what it shows.
#include "controller/service_terms.hpp"

#include <gtest/gtest.h>

#include "allocator/rules.hpp"
#include "controller/tests/builders.hpp"

namespace vipd::controller {
namespace {

using test::ip;
using test::ips;
using test::Svc;

TEST(Role, LoadBalancerClassRomanaAndType) {
  struct Case {
    const char* name;
    k8s::Service service;
    const char* lb_class;
    Role want;
  };
  const Case cases[] = {
      {"LoadBalancer without a class, no --lb-class", Svc("a"), "", Role::kLoadBalancer},
      {"LoadBalancer of a class, no --lb-class", Svc("a").lb_class("other"), "", Role::kForeign},
      {"LoadBalancer of our class", Svc("a").lb_class("vipd"), "vipd", Role::kLoadBalancer},
      {"LoadBalancer of another class", Svc("a").lb_class("other"), "vipd", Role::kForeign},
      {"LoadBalancer without a class under --lb-class", Svc("a"), "vipd", Role::kForeign},
      {"ClusterIP", Svc("a").cluster_ip(), "", Role::kNotLoadBalancer},
      {"NodePort", Svc("a").type(k8s::ServiceType::kNodePort), "", Role::kNotLoadBalancer},
      {"ClusterIP under --lb-class", Svc("a").cluster_ip(), "vipd", Role::kForeign},
      {"Romana on a ClusterIP", Svc("a").cluster_ip().romana(R"({"auto": true})"), "",
       Role::kExternalIp},
      {"romanavip on a ClusterIP under --lb-class",
       Svc("a").cluster_ip().romana(R"({"auto": true})", "romanavip"), "vipd", Role::kExternalIp},
      {"a malformed Romana annotation still makes it vipd's", Svc("a").cluster_ip().romana("{"), "",
       Role::kExternalIp},
      {"Romana on a LoadBalancer: the status", Svc("a").romana(R"({"auto": true})"), "",
       Role::kLoadBalancer},
      {"Romana on another class's LoadBalancer",
       Svc("a").lb_class("other").romana(R"({"auto": true})"), "", Role::kForeign},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(role_of(c.service, c.lb_class), c.want) << c.name;
  }
}

TEST(Families, IpFamiliesElseClusterIps) {
  EXPECT_EQ(families_of(Svc("a").prefer_dual(Family::kV6)),
            (std::vector<Family>{Family::kV6, Family::kV4}));
  k8s::Service from_cluster_ips = Svc("a");
  from_cluster_ips.ip_families.clear();
  from_cluster_ips.cluster_ips = ips({"2001:db8:ffff::1", "192.0.2.250"});
  EXPECT_EQ(families_of(from_cluster_ips), (std::vector<Family>{Family::kV6, Family::kV4}));
  EXPECT_TRUE(families_of(Svc("a").no_families()).empty());
}

TEST(BaseRequest, SpecLabelsPortsAndTrafficPolicy) {
  const auto r = base_request(Svc("team/web")
                                  .label("app", "web")
                                  .ports({{k8s::Protocol::kTcp, 80}, {k8s::Protocol::kUdp, 53}})
                                  .selector({{"run", "web"}}),
                              {{"env", "prod"}});
  EXPECT_EQ(r.key, (ServiceKey{"team", "web"}));
  EXPECT_EQ(r.service_labels, (Labels{{"app", "web"}}));
  EXPECT_EQ(r.namespace_labels, (Labels{{"env", "prod"}}));
  EXPECT_EQ(r.family_policy,
            allocator::IpFamilyPolicy::kSingleStack);  // unset: Kubernetes' default
  EXPECT_EQ(r.families, std::vector<Family>{Family::kV4});
  ASSERT_EQ(r.ports.size(), 2u);
  EXPECT_EQ(r.ports[1].to_string(), "UDP/53");
  EXPECT_EQ(r.traffic_policy, allocator::TrafficPolicy::kCluster);
  EXPECT_TRUE(r.backend_selector.empty());  // only Local compares the selector
  EXPECT_TRUE(r.requested.empty());
  EXPECT_TRUE(r.pool.empty());
  EXPECT_TRUE(r.sharing_key.empty());

  const auto local = base_request(Svc("web").local({{"run", "web"}}), {});
  EXPECT_EQ(local.traffic_policy, allocator::TrafficPolicy::kLocal);
  EXPECT_EQ(local.backend_selector, (Labels{{"run", "web"}}));
  const auto dual = base_request(Svc("web").require_dual(Family::kV6), {});
  EXPECT_EQ(dual.family_policy, allocator::IpFamilyPolicy::kRequireDualStack);
  EXPECT_EQ(dual.families, (std::vector<Family>{Family::kV6, Family::kV4}));
}

TEST(ShownAddresses, StatusForLoadBalancersRecordedExternalIpsForRomana) {
  EXPECT_EQ(shown_addresses(Svc("a").ingress({"203.0.113.1", "2001:db8::1"}), Role::kLoadBalancer),
            ips({"203.0.113.1", "2001:db8::1"}));
  const k8s::Service romana = Svc("a")
                                  .cluster_ip()
                                  .external({"198.51.100.7", "203.0.113.5"})
                                  .annotate("vipd.io/external-ips", "203.0.113.5,203.0.113.6");
  // Recorded and still listed: 203.0.113.6 was removed by someone, 198.51.100.7 is the user's.
  EXPECT_EQ(shown_addresses(romana, Role::kExternalIp), ips({"203.0.113.5"}));
  EXPECT_TRUE(shown_addresses(Svc(romana.meta.name).cluster_ip().external({"203.0.113.5"}),
                              Role::kExternalIp)
                  .empty());
  EXPECT_TRUE(shown_addresses(romana, Role::kNotLoadBalancer).empty());
}

const config::Config& l2_config() {
  static const config::Config c = test::resources(
      test::pool_doc("bgp", {"198.51.100.0/28"}) + test::pool_doc("l2-a", {"203.0.113.0/29"}) +
      test::pool_doc("l2-manual", {"203.0.113.8/29"}, "  autoAssign: false\n") +
      test::pool_doc("l2-b", {"203.0.113.16/29", "2001:db8:2::/126"}) +
      test::l2_doc("l2", {"l2-a", "l2-manual", "l2-b"}));
  return c;
}

Result<Requests> requests(const k8s::Service& s, std::optional<std::string> held = std::nullopt) {
  const auto notes = config::parse_service_annotations(s.meta.annotations);
  EXPECT_TRUE(notes.ok());
  return requests_of(s, notes.value, base_request(s, {}), l2_config(), held);
}

std::vector<std::string> pools_tried(const Result<Requests>& r) {
  std::vector<std::string> out;
  for (const auto& t : r.value().tries) out.push_back(t.pool);
  return out;
}

TEST(Requests, MetallbAnnotationsAndSpec) {
  const auto r = requests(Svc("a").lb_ips("203.0.113.1").pool("l2-a").share("k"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r.value().tries.size(), 1u);
  const auto& t = r.value().tries[0];
  EXPECT_EQ(t.pool, "l2-a");
  EXPECT_EQ(t.sharing_key, "k");
  ASSERT_EQ(t.requested.size(), 1u);
  EXPECT_EQ(t.requested[0].source, allocator::AddressSource::kAnnotation);
  // Both sources are passed on: the allocator refuses the pair.
  const auto both = requests(Svc("a").lb_ips("203.0.113.1").spec_ip("203.0.113.2"));
  ASSERT_TRUE(both);
  EXPECT_EQ(both.value().tries[0].requested.size(), 2u);
  EXPECT_FALSE(allocator::validate_request(both.value().tries[0]));
}

TEST(Requests, RomanaIpComesFromItsLayer2Pool) {
  const auto r = requests(Svc("a").cluster_ip().romana(R"({"ip": "203.0.113.10"})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(pools_tried(r), std::vector<std::string>{"l2-manual"});
  EXPECT_EQ(r.value().tries[0].requested[0].address, ip("203.0.113.10"));
  EXPECT_FALSE(r.value().impossible);

  const auto bgp = requests(Svc("a").cluster_ip().romana(R"({"ip": "198.51.100.1"})"));
  ASSERT_TRUE(bgp);
  ASSERT_TRUE(bgp.value().impossible);
  EXPECT_EQ(*bgp.value().impossible,
            "romanaip asks for 198.51.100.1, which is in no layer-2 address pool (pools an "
            "L2Advertisement selects: 'l2-a', 'l2-manual', 'l2-b')");
  const auto named_bgp =
      requests(Svc("a").cluster_ip().romana(R"({"ip": "198.51.100.1"})").pool("bgp"));
  ASSERT_TRUE(named_bgp.value().impossible);
  EXPECT_NE(named_bgp.value().impossible->find("'bgp' is not announced by layer 2"),
            std::string::npos);

  // A dual-stack Service asks for the one address, in its family.
  const auto v6 =
      requests(Svc("a").cluster_ip().require_dual().romana(R"({"ip": "2001:db8:2::1"})"));
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6.value().tries[0].family_policy, allocator::IpFamilyPolicy::kSingleStack);
  EXPECT_EQ(v6.value().tries[0].families, std::vector<Family>{Family::kV6});
  EXPECT_TRUE(allocator::validate_request(v6.value().tries[0]));
}

TEST(Requests, RomanaAutoTriesLayer2PoolsWithAutoAssignHeldPoolFirst) {
  const auto r = requests(Svc("a").cluster_ip().prefer_dual().romana(R"({"auto": true})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(pools_tried(r), (std::vector<std::string>{"l2-a", "l2-b"}));
  EXPECT_EQ(r.value().tries[0].family_policy, allocator::IpFamilyPolicy::kSingleStack);
  EXPECT_EQ(r.value().tries[0].families, std::vector<Family>{Family::kV4});
  EXPECT_EQ(pools_tried(requests(Svc("a").cluster_ip().romana(R"({"auto": true})"), "l2-b")),
            (std::vector<std::string>{"l2-b", "l2-a"}));
  // A named pool is the only one (auto-assign does not matter for a named pool).
  EXPECT_EQ(
      pools_tried(requests(Svc("a").cluster_ip().romana(R"({"auto": true})").pool("l2-manual"))),
      std::vector<std::string>{"l2-manual"});
  const auto none =
      requests_of(Svc("a").cluster_ip().romana(R"({"auto": true})"),
                  config::parse_service_annotations(
                      Svc("a").romana(R"({"auto": true})").view().meta.annotations)
                      .value,
                  base_request(Svc("a"), {}),
                  test::resources(test::pool_doc("bgp", {"198.51.100.0/28"})), std::nullopt);
  ASSERT_TRUE(none);
  ASSERT_TRUE(none.value().impossible);
  EXPECT_NE(none.value().impossible->find("(pools an L2Advertisement selects: none)"),
            std::string::npos);
}

TEST(Requests, RomanaWithRequestedAddressesIsMalformed) {
  const auto r = requests(Svc("a").romana(R"({"auto": true})").lb_ips("203.0.113.1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(),
            "romanaip and metallb.io/loadBalancerIPs both request addresses; use one of them");
  const auto spec = requests(Svc("a").romana(R"({"ip": "203.0.113.1"})").spec_ip("203.0.113.1"));
  ASSERT_FALSE(spec);
  EXPECT_NE(spec.error().message().find("spec.loadBalancerIP"), std::string::npos);
}

TEST(Requests, ConfigMapLayer2PoolsAreLayer2) {
  const auto c = test::configmap(
      "address-pools:\n- name: l2\n  protocol: layer2\n  addresses: [203.0.113.0/29]\n"
      "- name: routed\n  protocol: bgp\n  addresses: [198.51.100.0/29]\n");
  const k8s::Service s = Svc("a").cluster_ip().romana(R"({"auto": true})");
  const auto r = requests_of(s, config::parse_service_annotations(s.meta.annotations).value,
                             base_request(s, {}), c, std::nullopt);
  ASSERT_TRUE(r);
  EXPECT_EQ(pools_tried(r), std::vector<std::string>{"l2"});
}

}  // namespace
}  // namespace vipd::controller
