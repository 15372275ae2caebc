// The Service view: the real watch stream and the API's round-trip fixture decode with every
// field vipd reads; defaults are Kubernetes'; only the annotations vipd reads are kept; a bad
// value anywhere is an error that names its path; unknown fields change nothing.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "config/annotations.hpp"
#include "k8s/objects.hpp"
#include "k8s/tests/objects_test_util.hpp"

namespace vipd::k8s {
namespace {

using testing::at;
using testing::error_of;
using testing::load;
using testing::load_lines;
using testing::parse;
using testing::set;

IpAddress ip(std::string_view text) { return IpAddress::parse(text).value(); }

TEST(ServiceView, WatchStreamServicesDecode) {
  const auto events = load_lines("watch-stream-example.jsonl");
  ASSERT_EQ(events.size(), 5u);

  const auto added = decode_service(events[0].at("object"));
  ASSERT_TRUE(added) << error_of(added);
  const Service& s = added.value();
  EXPECT_EQ(s.meta.namespace_, "default");
  EXPECT_EQ(s.meta.name, "nginx");
  EXPECT_EQ(s.meta.uid, "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f");
  EXPECT_EQ(s.meta.resource_version, "10596");
  EXPECT_EQ(s.meta.generation, std::nullopt);
  EXPECT_EQ(s.meta.labels, (Labels{{"app", "nginx"}}));
  EXPECT_TRUE(s.meta.annotations.empty());
  EXPECT_FALSE(s.meta.has_deletion_timestamp);
  EXPECT_EQ(s.type, ServiceType::kLoadBalancer);
  EXPECT_EQ(s.load_balancer_class, std::nullopt);
  EXPECT_EQ(s.load_balancer_ip, std::nullopt);
  EXPECT_EQ(s.external_traffic_policy, TrafficPolicy::kCluster);
  EXPECT_EQ(s.ip_families, std::vector<Family>{Family::kV4});
  EXPECT_EQ(s.ip_family_policy, IpFamilyPolicy::kSingleStack);
  EXPECT_EQ(s.cluster_ips, std::vector<IpAddress>{ip("10.96.143.27")});
  EXPECT_TRUE(s.external_ips.empty());
  EXPECT_EQ(s.ports, (std::vector<ServicePort>{{"http", Protocol::kTcp, 80, 31380}}));
  EXPECT_EQ(s.selector, (Labels{{"app", "nginx"}}));
  EXPECT_TRUE(s.ingress_ips.empty());

  // MetalLB's controller wrote the ingress IP and its pool annotation through /status.
  const auto assigned = decode_service(events[1].at("object"));
  ASSERT_TRUE(assigned) << error_of(assigned);
  EXPECT_EQ(assigned.value().meta.resource_version, "10601");
  EXPECT_EQ(assigned.value().meta.annotations,
            (Labels{{"metallb.io/ip-allocated-from-pool", "example"}}));
  EXPECT_EQ(assigned.value().ingress_ips, std::vector<IpAddress>{ip("192.168.10.0")});

  // A bookmark carries only a resourceVersion: it is never an object to decode.
  EXPECT_EQ(error_of(decode_service(events[2].at("object"))), "metadata.name: missing");

  const auto local = decode_service(events[3].at("object"));
  ASSERT_TRUE(local) << error_of(local);
  EXPECT_EQ(local.value().external_traffic_policy, TrafficPolicy::kLocal);
  EXPECT_EQ(local.value().meta.resource_version, "12750");

  const auto deleted = decode_service(events[4].at("object"));
  ASSERT_TRUE(deleted) << error_of(deleted);
  EXPECT_EQ(deleted.value().meta.resource_version, "13002");
  Service expected = local.value();
  expected.meta.resource_version = "13002";
  EXPECT_EQ(deleted.value(), expected);
}

// The round-trip fixture fills every field with placeholders ("clusterIPsValue"). Each
// placeholder in a field vipd reads is an error naming that field, in decoding order; once
// all of them hold real values, every field decodes, and all the others are ignored.
TEST(ServiceView, RoundTripFixturePlaceholdersAreErrorsThenEveryFieldDecodes) {
  auto v = load("core.v1.Service.json");
  struct Step {
    const char* pointer;
    const char* error;
    boost::json::value replacement;
  };
  const Step steps[] = {
      {"/spec/type",
       "spec.type: unknown value \"typeValue\" (expected one of ClusterIP, NodePort, "
       "LoadBalancer, ExternalName)",
       "LoadBalancer"},
      {"/spec/loadBalancerIP", "spec.loadBalancerIP: 'loadBalancerIPValue' is not a valid IPv4",
       "203.0.113.7"},
      {"/spec/externalTrafficPolicy",
       "spec.externalTrafficPolicy: unknown value \"externalTrafficPolicyValue\" (expected one "
       "of Cluster, Local)",
       "Local"},
      {"/spec/ipFamilies/0",
       "spec.ipFamilies[0]: unknown value \"ipFamiliesValue\" (expected one of IPv4, IPv6)",
       "IPv6"},
      {"/spec/ipFamilyPolicy",
       "spec.ipFamilyPolicy: unknown value \"ipFamilyPolicyValue\" (expected one of SingleStack, "
       "PreferDualStack, RequireDualStack)",
       "SingleStack"},
      {"/spec/clusterIPs/0", "spec.clusterIPs[0]: 'clusterIPsValue' is not a valid IPv4",
       "2001:db8:100::1"},
      {"/spec/externalIPs/0", "spec.externalIPs[0]: 'externalIPsValue' is not a valid IPv4",
       "2001:db8:2::7"},
      {"/spec/ports/0/protocol",
       "spec.ports[0].protocol: unknown value \"protocolValue\" (expected one of TCP, UDP, SCTP)",
       "SCTP"},
      {"/status/loadBalancer/ingress/0/ip",
       "status.loadBalancer.ingress[0].ip: 'ipValue' is not a valid IPv4", "2001:db8:cafe::7"},
  };
  for (const auto& step : steps) {
    const auto r = decode_service(v);
    EXPECT_EQ(error_of(r).rfind(step.error, 0), 0u) << error_of(r) << "\nwanted " << step.error;
    at(v, step.pointer) = step.replacement;
  }
  const auto r = decode_service(v);
  ASSERT_TRUE(r) << error_of(r);
  const Service& s = r.value();
  EXPECT_EQ(s.meta.namespace_, "namespaceValue");
  EXPECT_EQ(s.meta.name, "nameValue");
  EXPECT_EQ(s.meta.uid, "uidValue");
  EXPECT_EQ(s.meta.resource_version, "resourceVersionValue");
  EXPECT_EQ(s.meta.generation, 7);
  EXPECT_EQ(s.meta.labels, (Labels{{"labelsKey", "labelsValue"}}));
  EXPECT_TRUE(s.meta.annotations.empty());  // "annotationsKey" is not vipd's
  EXPECT_TRUE(s.meta.has_deletion_timestamp);
  EXPECT_EQ(s.type, ServiceType::kLoadBalancer);
  EXPECT_EQ(s.load_balancer_class, "loadBalancerClassValue");
  EXPECT_EQ(s.load_balancer_ip, ip("203.0.113.7"));
  EXPECT_EQ(s.external_traffic_policy, TrafficPolicy::kLocal);
  EXPECT_EQ(s.ip_families, std::vector<Family>{Family::kV6});
  EXPECT_EQ(s.ip_family_policy, IpFamilyPolicy::kSingleStack);
  EXPECT_EQ(s.cluster_ips, std::vector<IpAddress>{ip("2001:db8:100::1")});
  EXPECT_EQ(s.external_ips, std::vector<IpAddress>{ip("2001:db8:2::7")});
  EXPECT_EQ(s.ports, (std::vector<ServicePort>{{"nameValue", Protocol::kSctp, 3, 5}}));
  EXPECT_EQ(s.selector, (Labels{{"selectorKey", "selectorValue"}}));
  EXPECT_EQ(s.ingress_ips, std::vector<IpAddress>{ip("2001:db8:cafe::7")});
}

TEST(ServiceView, DualStackLoadBalancerWithMetallbAnnotations) {
  const auto r = decode_service(load("service-loadbalancer-dual-stack.json"));
  ASSERT_TRUE(r) << error_of(r);
  const Service& s = r.value();
  EXPECT_EQ(s.meta.namespace_, "shop");
  EXPECT_EQ(s.meta.name, "web");
  EXPECT_EQ(s.meta.labels, (Labels{{"app", "web"}, {"tier", "frontend"}}));
  // last-applied-configuration and example.com/owner are dropped.
  EXPECT_EQ(s.meta.annotations,
            (Labels{{"metallb.io/address-pool", "public"},
                    {"metallb.io/allow-shared-ip", "web"},
                    {"metallb.io/ip-allocated-from-pool", "public"},
                    {"metallb.universe.tf/loadBalancerIPs", "203.0.113.10,2001:db8:cafe::10"}}));
  EXPECT_EQ(s.type, ServiceType::kLoadBalancer);
  EXPECT_EQ(s.external_traffic_policy, TrafficPolicy::kLocal);
  EXPECT_EQ(s.ip_families, (std::vector<Family>{Family::kV4, Family::kV6}));
  EXPECT_EQ(s.ip_family_policy, IpFamilyPolicy::kPreferDualStack);
  EXPECT_EQ(s.cluster_ips, (std::vector<IpAddress>{ip("198.51.100.20"), ip("2001:db8:100::14")}));
  EXPECT_EQ(s.ports, (std::vector<ServicePort>{{"http", Protocol::kTcp, 80, 31080},
                                               {"dns", Protocol::kUdp, 53, 31053}}));
  EXPECT_EQ(s.selector, (Labels{{"app", "web"}}));
  EXPECT_EQ(s.ingress_ips, (std::vector<IpAddress>{ip("203.0.113.10"), ip("2001:db8:cafe::10")}));

  // What is kept is what the annotation parser needs.
  const auto a = config::parse_service_annotations(s.meta.annotations);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.value.address_pool, "public");
  EXPECT_EQ(a.value.allow_shared_ip, "web");
  EXPECT_EQ(a.value.load_balancer_ips,
            (std::vector<IpAddress>{ip("203.0.113.10"), ip("2001:db8:cafe::10")}));
}

TEST(ServiceView, RomanaVipOnAClusterIpService) {
  const auto r = decode_service(load("service-romana-clusterip.json"));
  ASSERT_TRUE(r) << error_of(r);
  const Service& s = r.value();
  EXPECT_EQ(s.type, ServiceType::kClusterIp);
  EXPECT_EQ(s.meta.annotations, (Labels{{"romanavip", R"({"auto":false,"ip":"192.0.2.53"})"}}));
  EXPECT_EQ(s.external_ips, std::vector<IpAddress>{ip("192.0.2.53")});
  EXPECT_EQ(s.ports, (std::vector<ServicePort>{{"dns", Protocol::kUdp, 53, 0},
                                               {"dns-tcp", Protocol::kTcp, 53, 0}}));
  const auto a = config::parse_service_annotations(s.meta.annotations);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(a.value.romana);
  EXPECT_EQ(a.value.romana->ip, ip("192.0.2.53"));
}

TEST(ServiceView, HeadlessServiceHasNoClusterIps) {
  auto v = load("service-headless.json");
  auto r = decode_service(v);
  ASSERT_TRUE(r) << error_of(r);
  EXPECT_TRUE(r.value().cluster_ips.empty());
  EXPECT_EQ(r.value().ip_family_policy, IpFamilyPolicy::kRequireDualStack);

  // A server older than 1.20 sends clusterIP alone.
  v.at("spec").as_object().erase("clusterIPs");
  r = decode_service(v);
  ASSERT_TRUE(r) << error_of(r);
  EXPECT_TRUE(r.value().cluster_ips.empty());
  at(v, "/spec/clusterIP") = "198.51.100.9";
  r = decode_service(v);
  ASSERT_TRUE(r) << error_of(r);
  EXPECT_EQ(r.value().cluster_ips, std::vector<IpAddress>{ip("198.51.100.9")});
  at(v, "/spec/clusterIP") = "";
  r = decode_service(v);
  ASSERT_TRUE(r) << error_of(r);
  EXPECT_TRUE(r.value().cluster_ips.empty());
}

TEST(ServiceView, DefaultsAreKubernetes) {
  // An item of a list carries neither kind nor apiVersion; nulls are absent fields.
  const auto r = decode_service(
      parse(R"({"metadata":{"name":"a","creationTimestamp":null,"labels":null},"spec":{"ports":[)"
            R"({"port":80}],"selector":null,"type":null},"status":null})"));
  ASSERT_TRUE(r) << error_of(r);
  const Service& s = r.value();
  EXPECT_EQ(s.type, ServiceType::kClusterIp);
  EXPECT_EQ(s.external_traffic_policy, TrafficPolicy::kCluster);
  EXPECT_EQ(s.ip_family_policy, std::nullopt);
  EXPECT_TRUE(s.ip_families.empty());
  EXPECT_EQ(s.ports, (std::vector<ServicePort>{{"", Protocol::kTcp, 80, 0}}));
  EXPECT_TRUE(s.meta.labels.empty());
  EXPECT_TRUE(s.selector.empty());
  EXPECT_TRUE(s.ingress_ips.empty());
  // No spec at all.
  EXPECT_TRUE(decode_service(parse(R"({"metadata":{"name":"a"}})")));
  // An ingress entry with a hostname only is not vipd's.
  const auto h = decode_service(parse(
      R"({"metadata":{"name":"a"},"status":{"loadBalancer":{"ingress":[{"hostname":"lb.example"},)"
      R"({"ip":"192.0.2.9","ipMode":"Proxy"}]}}})"));
  ASSERT_TRUE(h) << error_of(h);
  EXPECT_EQ(h.value().ingress_ips, std::vector<IpAddress>{ip("192.0.2.9")});
}

TEST(ServiceView, KeepsOnlyTheAnnotationsVipdReads) {
  const std::pair<const char*, bool> keys[] = {
      {"metallb.io/address-pool", true},
      {"metallb.io/some-future-annotation", true},
      {"metallb.universe.tf/allow-shared-ip", true},
      {"romanaip", true},
      {"romanavip", true},
      {"romanaipx", false},
      {"xromanaip", false},
      {"metallb.io", false},
      {"xmetallb.io/address-pool", false},
      {"vipd.io/external-ips", true},
      {"xvipd.io/external-ips", false},
      {"vipd.io", false},
      {"kubectl.kubernetes.io/last-applied-configuration", false},
  };
  for (const auto& [key, kept] : keys) {
    auto v = parse(R"({"metadata":{"name":"a","annotations":{}}})");
    set(v, "/metadata/annotations", key, "value");
    const auto r = decode_service(v);
    ASSERT_TRUE(r) << error_of(r);
    EXPECT_EQ(r.value().meta.annotations.count(key), kept ? 1u : 0u) << key;
    EXPECT_EQ(keeps_annotation(AnnotationFilter::kService, key), kept) << key;
  }
  // A dropped annotation is not read at all; a kept one must be a string.
  EXPECT_TRUE(decode_service(parse(R"({"metadata":{"name":"a","annotations":{"x":1}}})")));
  EXPECT_EQ(error_of(decode_service(
                parse(R"({"metadata":{"name":"a","annotations":{"romanaip":{"auto":true}}}})"))),
            "metadata.annotations.romanaip: expected a string, got an object");
}

struct BadService {
  const char* json;
  const char* error;  // the whole message, or its start when it ends in "..."
};

void PrintTo(const BadService& c, std::ostream* out) { *out << c.json; }

class ServiceErrors : public ::testing::TestWithParam<BadService> {};

TEST_P(ServiceErrors, NameThePath) {
  const auto& c = GetParam();
  const auto r = decode_service(parse(c.json));
  ASSERT_FALSE(r) << c.json;
  std::string want = c.error;
  if (want.size() > 3 && want.substr(want.size() - 3) == "...") {
    want.resize(want.size() - 3);
    EXPECT_EQ(r.error().message().rfind(want, 0), 0u) << r.error().message();
  } else {
    EXPECT_EQ(r.error().message(), want);
  }
  EXPECT_EQ(r.error().code(), make_error_code(Errc::kInvalidArgument));
}

const BadService kBadServices[] = {
    {"[]", "object: expected an object, got an array"},
    {"null", "object: expected an object, got null"},
    {R"({"kind":"Node","metadata":{"name":"a"}})", "kind: expected \"Service\", got \"Node\""},
    {R"({"kind":7,"metadata":{"name":"a"}})", "kind: expected a string, got an integer"},
    {R"({"apiVersion":"v2","metadata":{"name":"a"}})",
     "apiVersion: unsupported apiVersion for Service (use v1)"},
    {R"({"spec":{}})", "metadata: missing"},
    {R"({"metadata":[]})", "metadata: expected an object, got an array"},
    {R"({"metadata":{}})", "metadata.name: missing"},
    {R"({"metadata":{"name":""}})", "metadata.name: missing"},
    {R"({"metadata":{"name":5}})", "metadata.name: expected a string, got an integer"},
    {R"({"metadata":{"name":"a","namespace":true}})",
     "metadata.namespace: expected a string, got a boolean"},
    {R"({"metadata":{"name":"a","resourceVersion":12}})",
     "metadata.resourceVersion: expected a string, got an integer"},
    {R"({"metadata":{"name":"a","generation":"7"}})",
     "metadata.generation: expected an integer, got a string"},
    {R"({"metadata":{"name":"a","labels":[]}})",
     "metadata.labels: expected an object, got an array"},
    {R"({"metadata":{"name":"a","labels":{"app":1}}})",
     "metadata.labels.app: expected a string, got an integer"},
    {R"({"metadata":{"name":"a","labels":{"app":null}}})",
     "metadata.labels.app: expected a string, got null"},
    {R"({"metadata":{"name":"a","annotations":"x"}})",
     "metadata.annotations: expected an object, got a string"},
    {R"({"metadata":{"name":"a","deletionTimestamp":1}})",
     "metadata.deletionTimestamp: expected a string, got an integer"},
    {R"({"metadata":{"name":"a"},"spec":"x"})", "spec: expected an object, got a string"},
    {R"({"metadata":{"name":"a"},"spec":{"type":1}})",
     "spec.type: expected a string, got an integer"},
    {R"({"metadata":{"name":"a"},"spec":{"loadBalancerClass":{}}})",
     "spec.loadBalancerClass: expected a string, got an object"},
    {R"({"metadata":{"name":"a"},"spec":{"loadBalancerIP":"192.0.2.300"}})",
     "spec.loadBalancerIP: '192.0.2.300' is not a valid IPv4 address..."},
    {R"({"metadata":{"name":"a"},"spec":{"externalTrafficPolicy":"local"}})",
     "spec.externalTrafficPolicy: unknown value \"local\" (expected one of Cluster, Local)"},
    {R"({"metadata":{"name":"a"},"spec":{"ipFamilies":"IPv4"}})",
     "spec.ipFamilies: expected an array, got a string"},
    {R"({"metadata":{"name":"a"},"spec":{"ipFamilies":["IPv4",null]}})",
     "spec.ipFamilies[1]: expected a string, got null"},
    {R"({"metadata":{"name":"a"},"spec":{"clusterIPs":["192.0.2.1","2001:db8::g"]}})",
     "spec.clusterIPs[1]: '2001:db8::g' is not a valid IPv6 address..."},
    {R"({"metadata":{"name":"a"},"spec":{"clusterIPs":[1]}})",
     "spec.clusterIPs[0]: expected a string, got an integer"},
    {R"({"metadata":{"name":"a"},"spec":{"clusterIP":"fe80::1%eth0"}})",
     "spec.clusterIP: 'fe80::1%eth0' is not a valid IPv6 address..."},
    {R"({"metadata":{"name":"a"},"spec":{"externalIPs":"192.0.2.1"}})",
     "spec.externalIPs: expected an array, got a string"},
    {R"({"metadata":{"name":"a"},"spec":{"ports":{}}})",
     "spec.ports: expected an array, got an object"},
    {R"({"metadata":{"name":"a"},"spec":{"ports":[1]}})",
     "spec.ports[0]: expected an object, got an integer"},
    {R"({"metadata":{"name":"a"},"spec":{"ports":[null]}})",
     "spec.ports[0]: expected an object, got null"},
    {R"({"metadata":{"name":"a"},"spec":{"ports":[{"port":80},{"port":"80"}]}})",
     "spec.ports[1].port: expected an integer, got a string"},
    {R"({"metadata":{"name":"a"},"spec":{"ports":[{"port":80.0}]}})",
     "spec.ports[0].port: expected an integer, got a number with a fraction or exponent"},
    {R"({"metadata":{"name":"a"},"spec":{"ports":[{"port":1e2}]}})",
     "spec.ports[0].port: expected an integer, got a number with a fraction or exponent"},
    {R"({"metadata":{"name":"a"},"spec":{"ports":[{"port":0}]}})",
     "spec.ports[0].port: 0 is out of range 1..65535"},
    {R"({"metadata":{"name":"a"},"spec":{"ports":[{"port":65536}]}})",
     "spec.ports[0].port: 65536 is out of range 1..65535"},
    {R"({"metadata":{"name":"a"},"spec":{"ports":[{"port":18446744073709551615}]}})",
     "spec.ports[0].port: 18446744073709551615 is out of range 1..65535"},
    {R"({"metadata":{"name":"a"},"spec":{"ports":[{"name":"http"}]}})",
     "spec.ports[0].port: missing"},
    {R"({"metadata":{"name":"a"},"spec":{"ports":[{"port":80,"nodePort":-1}]}})",
     "spec.ports[0].nodePort: -1 is out of range 0..65535"},
    {R"({"metadata":{"name":"a"},"spec":{"ports":[{"port":80,"protocol":"tcp"}]}})",
     "spec.ports[0].protocol: unknown value \"tcp\" (expected one of TCP, UDP, SCTP)"},
    {R"({"metadata":{"name":"a"},"spec":{"ports":[{"port":80,"name":3}]}})",
     "spec.ports[0].name: expected a string, got an integer"},
    {R"({"metadata":{"name":"a"},"spec":{"selector":{"app":["x"]}}})",
     "spec.selector.app: expected a string, got an array"},
    {R"({"metadata":{"name":"a"},"status":[]})", "status: expected an object, got an array"},
    {R"({"metadata":{"name":"a"},"status":{"loadBalancer":1}})",
     "status.loadBalancer: expected an object, got an integer"},
    {R"({"metadata":{"name":"a"},"status":{"loadBalancer":{"ingress":{}}}})",
     "status.loadBalancer.ingress: expected an array, got an object"},
    {R"({"metadata":{"name":"a"},"status":{"loadBalancer":{"ingress":[{"ip":3}]}}})",
     "status.loadBalancer.ingress[0].ip: expected a string, got an integer"},
    {R"({"metadata":{"name":"a"},"status":{"loadBalancer":{"ingress":[{"ip":"lb.example"}]}}})",
     "status.loadBalancer.ingress[0].ip: 'lb.example' is not a valid IPv4 address..."},
    // Values in messages are quoted, cut and escaped; so are keys with control bytes.
    {"{\"metadata\":{\"name\":\"a\"},\"spec\":{\"type\":\"\\u0001\\\"x\"}}",
     "spec.type: unknown value \"\\x01\\x22x\" (expected one of ClusterIP, NodePort, "
     "LoadBalancer, ExternalName)"},
    {"{\"metadata\":{\"name\":\"a\",\"labels\":{\"a\\nb\":1}}}",
     "metadata.labels.\"a\\x0ab\": expected a string, got an integer"},
    {R"({"metadata":{"name":"a"},"spec":{"clusterIPs":["1.2.3.4.5.6.7.8.9.0.1.2.3.4.5.6.7.8.9.0.1.2.3.4.5.6.7.8.9.0.1.2.3.4.5.6.7.8.9"]}})",
     "spec.clusterIPs[0]: \"1.2.3.4.5.6.7.8.9.0.1.2.3.4.5.6.7.8.9.0.1.2.3.4.5.6.7.8.9.0.1.2....\" "
     "is not an IP address"},
};

INSTANTIATE_TEST_SUITE_P(Table, ServiceErrors, ::testing::ValuesIn(kBadServices));

// Fields vipd does not read, at every level, change nothing: the API grows.
TEST(ServiceView, UnknownFieldsAreIgnored) {
  const auto original = load("service-loadbalancer-dual-stack.json");
  auto v = original;
  const auto future = parse(R"({"nested":[1,2.5,{"deep":null}],"flag":true})");
  set(v, "", "futureTopLevel", future);
  set(v, "/metadata", "futureMeta", future);
  set(v, "/spec", "futureSpec", future);
  set(v, "/spec/ports/0", "futurePort", future);
  set(v, "/status", "futureStatus", future);
  set(v, "/status/loadBalancer/ingress/0", "futureIngress", future);
  set(v, "/status/loadBalancer/ingress/0", "ports", parse(R"([{"port":80,"protocol":"TCP"}])"));
  const auto a = decode_service(original);
  const auto b = decode_service(v);
  ASSERT_TRUE(a) << error_of(a);
  ASSERT_TRUE(b) << error_of(b);
  EXPECT_EQ(a.value(), b.value());
}

}  // namespace
}  // namespace vipd::k8s
