// EndpointSlice, Node, Namespace and ConfigMap views, the generic decode entry and the size
// estimates: real fixtures decode with their fields, Kubernetes' defaulting rules hold, bad
// values are errors naming their paths.
#include <gtest/gtest.h>

#include <boost/json/memory_resource.hpp>
#include <boost/json/serialize.hpp>
#include <iostream>
#include <new>

#include "config/load.hpp"
#include "k8s/objects.hpp"
#include "k8s/tests/objects_test_util.hpp"

namespace vipd::k8s {
namespace {

using testing::at;
using testing::error_of;
using testing::load;
using testing::parse;
using testing::read_data;
using testing::set;

IpAddress ip(std::string_view text) { return IpAddress::parse(text).value(); }

// ---- EndpointSlice ----

TEST(EndpointSliceView, DualStackSlicesOfOneService) {
  const auto v4 = decode_endpoint_slice(load("endpointslice-ipv4.json"));
  ASSERT_TRUE(v4) << error_of(v4);
  const EndpointSlice& s = v4.value();
  EXPECT_EQ(s.meta.namespace_, "shop");
  EXPECT_EQ(s.meta.name, "web-4xk2p");
  EXPECT_EQ(s.meta.generation, 4);
  EXPECT_TRUE(s.meta.annotations.empty());
  EXPECT_EQ(s.service_name, "web");
  EXPECT_EQ(s.address_type, AddressType::kIpv4);
  const std::vector<SliceEndpoint> want4 = {
      {{ip("192.0.2.11")}, "node-a", {.ready = true, .serving = true, .terminating = false}},
      {{ip("192.0.2.12")}, "node-b", {.ready = false, .serving = true, .terminating = true}},
      {{ip("192.0.2.13")}, "node-c", {.ready = false, .serving = false, .terminating = false}},
      // No node, conditions {}: ready and serving, not terminating.
      {{ip("192.0.2.14")}, std::nullopt, {.ready = true, .serving = true, .terminating = false}},
  };
  EXPECT_EQ(s.endpoints, want4);

  const auto v6 = decode_endpoint_slice(load("endpointslice-ipv6.json"));
  ASSERT_TRUE(v6) << error_of(v6);
  EXPECT_EQ(v6.value().service_name, "web");
  EXPECT_EQ(v6.value().address_type, AddressType::kIpv6);
  ASSERT_EQ(v6.value().endpoints.size(), 4u);
  EXPECT_EQ(v6.value().endpoints[0].addresses, std::vector<IpAddress>{ip("2001:db8:1::b")});
  // ready false, serving unset: serving defers to ready.
  EXPECT_EQ(v6.value().endpoints[3].conditions,
            (EndpointConditions{.ready = false, .serving = false, .terminating = false}));
}

// discovery.k8s.io/v1 EndpointConditions: ready nil → ready; serving nil → defer to ready;
// terminating nil → not terminating.
TEST(EndpointSliceView, ConditionDefaults) {
  struct Case {
    const char* conditions;  // JSON, or nullptr for no conditions member
    EndpointConditions want;
  };
  const Case cases[] = {
      {nullptr, {true, true, false}},
      {"null", {true, true, false}},
      {"{}", {true, true, false}},
      {R"({"ready":null,"serving":null,"terminating":null})", {true, true, false}},
      {R"({"ready":true})", {true, true, false}},
      {R"({"ready":false})", {false, false, false}},
      {R"({"serving":false})", {true, false, false}},
      {R"({"ready":false,"serving":true})", {false, true, false}},
      {R"({"terminating":true})", {true, true, true}},
      {R"({"ready":false,"serving":true,"terminating":true})", {false, true, true}},
      {R"({"ready":false,"serving":false,"terminating":true})", {false, false, true}},
  };
  for (const auto& c : cases) {
    auto v = parse(R"({"metadata":{"name":"s"},"addressType":"IPv4",)"
                   R"("endpoints":[{"addresses":["192.0.2.1"]}]})");
    if (c.conditions) set(v, "/endpoints/0", "conditions", parse(c.conditions));
    const auto r = decode_endpoint_slice(v);
    ASSERT_TRUE(r) << error_of(r);
    EXPECT_EQ(r.value().endpoints.at(0).conditions, c.want)
        << (c.conditions ? c.conditions : "(none)");
  }
}

TEST(EndpointSliceView, RoundTripFixture) {
  auto v = load("discovery.k8s.io.v1.EndpointSlice.json");
  EXPECT_EQ(error_of(decode_endpoint_slice(v)),
            "addressType: unknown value \"addressTypeValue\" (expected one of IPv4, IPv6, FQDN)");
  // An FQDN slice keeps no addresses: names are not vipd's to resolve.
  at(v, "/addressType") = "FQDN";
  auto r = decode_endpoint_slice(v);
  ASSERT_TRUE(r) << error_of(r);
  ASSERT_EQ(r.value().endpoints.size(), 1u);
  EXPECT_TRUE(r.value().endpoints[0].addresses.empty());

  at(v, "/addressType") = "IPv4";
  EXPECT_EQ(
      error_of(decode_endpoint_slice(v))
          .rfind("endpoints[0].addresses[0]: 'addressesValue' is not a valid IPv4 address", 0),
      0u);
  at(v, "/endpoints/0/addresses/0") = "192.0.2.7";
  r = decode_endpoint_slice(v);
  ASSERT_TRUE(r) << error_of(r);
  const EndpointSlice& s = r.value();
  EXPECT_EQ(s.meta.name, "nameValue");
  EXPECT_EQ(s.meta.namespace_, "namespaceValue");
  EXPECT_EQ(s.meta.resource_version, "resourceVersionValue");
  EXPECT_TRUE(s.meta.has_deletion_timestamp);
  EXPECT_TRUE(s.meta.annotations.empty());
  EXPECT_EQ(s.service_name, "");  // no kubernetes.io/service-name label
  const std::vector<SliceEndpoint> want = {
      {{ip("192.0.2.7")}, "nodeNameValue", {true, true, true}}};
  EXPECT_EQ(s.endpoints, want);
}

TEST(EndpointSliceView, AddressesMustMatchTheAddressType) {
  auto v = parse(R"({"metadata":{"name":"s"},"addressType":"IPv4",)"
                 R"("endpoints":[{"addresses":["2001:db8::1"]}]})");
  EXPECT_EQ(error_of(decode_endpoint_slice(v)),
            "endpoints[0].addresses[0]: 2001:db8::1 is not an IPv4 address (addressType IPv4)");
  at(v, "/addressType") = "IPv6";
  EXPECT_TRUE(decode_endpoint_slice(v));
  at(v, "/endpoints/0/addresses/0") = "192.0.2.1";
  EXPECT_EQ(error_of(decode_endpoint_slice(v)),
            "endpoints[0].addresses[0]: 192.0.2.1 is not an IPv6 address (addressType IPv6)");
}

TEST(EndpointSliceView, ErrorsNameThePath) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"metadata":{"name":"s"}})", "addressType: missing"},
      {R"({"kind":"Service","metadata":{"name":"s"},"addressType":"IPv4"})",
       "kind: expected \"EndpointSlice\", got \"Service\""},
      {R"({"apiVersion":"discovery.k8s.io/v1beta1","metadata":{"name":"s"},"addressType":"IPv4"})",
       "apiVersion: unsupported apiVersion for EndpointSlice (use discovery.k8s.io/v1)"},
      {R"({"metadata":{"name":"s"},"addressType":"IPv4","endpoints":{}})",
       "endpoints: expected an array, got an object"},
      {R"({"metadata":{"name":"s"},"addressType":"IPv4","endpoints":[[]]})",
       "endpoints[0]: expected an object, got an array"},
      {R"({"metadata":{"name":"s"},"addressType":"IPv4","endpoints":[{"addresses":"192.0.2.1"}]})",
       "endpoints[0].addresses: expected an array, got a string"},
      {R"({"metadata":{"name":"s"},"addressType":"FQDN","endpoints":[{"addresses":[5]}]})",
       "endpoints[0].addresses[0]: expected a string, got an integer"},
      {R"({"metadata":{"name":"s"},"addressType":"IPv4","endpoints":[{"addresses":[""]}]})",
       "endpoints[0].addresses[0]: empty address"},
      {R"({"metadata":{"name":"s"},"addressType":"IPv4","endpoints":[{"nodeName":1}]})",
       "endpoints[0].nodeName: expected a string, got an integer"},
      {R"({"metadata":{"name":"s"},"addressType":"IPv4","endpoints":[{"conditions":[]}]})",
       "endpoints[0].conditions: expected an object, got an array"},
      {R"({"metadata":{"name":"s"},"addressType":"IPv4","endpoints":[{},{"conditions":{"ready":"true"}}]})",
       "endpoints[1].conditions.ready: expected a boolean, got a string"},
      {R"({"metadata":{"name":"s"},"addressType":"IPv4","endpoints":[{"conditions":{"serving":0}}]})",
       "endpoints[0].conditions.serving: expected a boolean, got an integer"},
      {R"({"metadata":{"name":"s"},"addressType":"IPv4","endpoints":[{"conditions":{"terminating":{}}}]})",
       "endpoints[0].conditions.terminating: expected a boolean, got an object"},
  };
  for (const auto& [json, error] : cases) {
    EXPECT_EQ(error_of(decode_endpoint_slice(parse(json))), error) << json;
  }
}

// ---- Node ----

TEST(NodeView, ReadyCordonedNode) {
  const auto r = decode_node(load("node-ready.json"));
  ASSERT_TRUE(r) << error_of(r);
  const Node& n = r.value();
  EXPECT_EQ(n.meta.name, "node-a");
  EXPECT_EQ(n.meta.namespace_, "");
  EXPECT_EQ(n.meta.labels.at("kubernetes.io/hostname"), "node-a");
  EXPECT_EQ(n.meta.labels.size(), 5u);
  EXPECT_TRUE(n.meta.annotations.empty());
  EXPECT_EQ(n.ready, ConditionStatus::kTrue);
  EXPECT_FALSE(n.network_unavailable);
  EXPECT_TRUE(n.unschedulable);
  const std::vector<NodeAddress> want = {{NodeAddressType::kInternalIp, ip("192.0.2.1")},
                                         {NodeAddressType::kInternalIp, ip("2001:db8::1")},
                                         {NodeAddressType::kExternalIp, ip("203.0.113.1")}};
  EXPECT_EQ(n.addresses, want);
}

TEST(NodeView, RoundTripFixture) {
  // Condition and address types vipd does not read ("typeValue") are skipped, so the fixture
  // decodes as it is: no Ready condition reads as Unknown.
  auto v = load("core.v1.Node.json");
  auto r = decode_node(v);
  ASSERT_TRUE(r) << error_of(r);
  EXPECT_EQ(r.value().meta.name, "nameValue");
  EXPECT_EQ(r.value().meta.namespace_, "namespaceValue");
  EXPECT_EQ(r.value().meta.generation, 7);
  EXPECT_EQ(r.value().meta.labels, (Labels{{"labelsKey", "labelsValue"}}));
  EXPECT_EQ(r.value().ready, ConditionStatus::kUnknown);
  EXPECT_FALSE(r.value().network_unavailable);
  EXPECT_TRUE(r.value().unschedulable);
  EXPECT_TRUE(r.value().addresses.empty());

  at(v, "/status/conditions/0/type") = "Ready";
  EXPECT_EQ(error_of(decode_node(v)),
            "status.conditions[0].status: unknown value \"statusValue\" (expected one of True, "
            "False, Unknown)");
  at(v, "/status/conditions/0/status") = "False";
  at(v, "/status/addresses/0/type") = "InternalIP";
  EXPECT_EQ(
      error_of(decode_node(v))
          .rfind("status.addresses[0].address: 'addressValue' is not a valid IPv4 address", 0),
      0u);
  at(v, "/status/addresses/0/address") = "2001:db8::5";
  r = decode_node(v);
  ASSERT_TRUE(r) << error_of(r);
  EXPECT_EQ(r.value().ready, ConditionStatus::kFalse);
  EXPECT_EQ(r.value().addresses,
            (std::vector<NodeAddress>{{NodeAddressType::kInternalIp, ip("2001:db8::5")}}));
}

TEST(NodeView, ConditionsAsMetallbReadsThem) {
  struct Case {
    const char* conditions;
    ConditionStatus ready;
    bool network_unavailable;
  };
  const Case cases[] = {
      {"[]", ConditionStatus::kUnknown, false},
      {R"([{"type":"Ready","status":"True"}])", ConditionStatus::kTrue, false},
      {R"([{"type":"Ready","status":"False"}])", ConditionStatus::kFalse, false},
      {R"([{"type":"Ready","status":"Unknown"}])", ConditionStatus::kUnknown, false},
      {R"([{"type":"Ready"}])", ConditionStatus::kUnknown, false},
      {R"([{"type":"NetworkUnavailable","status":"True"}])", ConditionStatus::kUnknown, true},
      // Only "True" counts for NetworkUnavailable.
      {R"([{"type":"NetworkUnavailable","status":"Unknown"}])", ConditionStatus::kUnknown, false},
      {R"([{"type":"NetworkUnavailable","status":"bogus"}])", ConditionStatus::kUnknown, false},
      {R"([{"type":"MemoryPressure","status":"True"},{"type":"Ready","status":"True"},)"
       R"({"type":"NetworkUnavailable","status":"True"}])",
       ConditionStatus::kTrue, true},
  };
  for (const auto& c : cases) {
    auto v = parse(R"({"metadata":{"name":"n"},"status":{}})");
    set(v, "/status", "conditions", parse(c.conditions));
    const auto r = decode_node(v);
    ASSERT_TRUE(r) << error_of(r) << c.conditions;
    EXPECT_EQ(r.value().ready, c.ready) << c.conditions;
    EXPECT_EQ(r.value().network_unavailable, c.network_unavailable) << c.conditions;
    EXPECT_FALSE(r.value().unschedulable);
  }
}

TEST(NodeView, ErrorsNameThePath) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"metadata":{"name":"n"},"spec":{"unschedulable":"yes"}})",
       "spec.unschedulable: expected a boolean, got a string"},
      {R"({"metadata":{"name":"n"},"status":{"conditions":{}}})",
       "status.conditions: expected an array, got an object"},
      {R"({"metadata":{"name":"n"},"status":{"conditions":[1]}})",
       "status.conditions[0]: expected an object, got an integer"},
      {R"({"metadata":{"name":"n"},"status":{"conditions":[{"type":3}]}})",
       "status.conditions[0].type: expected a string, got an integer"},
      {R"({"metadata":{"name":"n"},"status":{"conditions":[{"type":"NetworkUnavailable","status":true}]}})",
       "status.conditions[0].status: expected a string, got a boolean"},
      {R"({"metadata":{"name":"n"},"status":{"addresses":[{"type":"ExternalIP"}]}})",
       "status.addresses[0].address: missing"},
      {R"({"metadata":{"name":"n"},"status":{"addresses":[{"type":["InternalIP"]}]}})",
       "status.addresses[0].type: expected a string, got an array"},
      {R"({"metadata":{"name":"n"},"status":{"addresses":[{"type":"InternalIP","address":"node-a"}]}})",
       "status.addresses[0].address: 'node-a' is not a valid IPv4 address..."},
  };
  for (const auto& [json, error] : cases) {
    std::string want = error;
    const auto got = error_of(decode_node(parse(json)));
    if (want.ends_with("...")) {
      want.resize(want.size() - 3);
      EXPECT_EQ(got.rfind(want, 0), 0u) << got;
    } else {
      EXPECT_EQ(got, want) << json;
    }
  }
  // Hostname entries carry a name, not an address; they are skipped unread.
  EXPECT_TRUE(decode_node(parse(
      R"({"metadata":{"name":"n"},"status":{"addresses":[{"type":"Hostname","address":"node-a"}]}})")));
}

// ---- Namespace and ConfigMap ----

TEST(NamespaceView, LabelsOnly) {
  const auto r = decode_namespace(load("namespace.json"));
  ASSERT_TRUE(r) << error_of(r);
  EXPECT_EQ(r.value().meta.name, "shop");
  EXPECT_EQ(r.value().meta.labels,
            (Labels{{"kubernetes.io/metadata.name", "shop"}, {"team", "web"}}));
  EXPECT_TRUE(r.value().meta.annotations.empty());
  EXPECT_EQ(error_of(decode_namespace(
                parse(R"({"kind":"Namespace","metadata":{"name":"a","labels":5}})"))),
            "metadata.labels: expected an object, got an integer");
}

TEST(ConfigMapView, RoundTripFixtureAndTheMetallbConfigMap) {
  const auto fixture = decode_config_map(load("core.v1.ConfigMap.json"));
  ASSERT_TRUE(fixture) << error_of(fixture);
  EXPECT_EQ(fixture.value().meta.name, "nameValue");
  EXPECT_EQ(fixture.value().data, (Labels{{"dataKey", "dataValue"}}));  // binaryData ignored

  const auto raw = load("configmap-metallb.json");
  const auto r = decode_config_map(raw);
  ASSERT_TRUE(r) << error_of(r);
  EXPECT_EQ(r.value().meta.namespace_, "metallb-system");
  EXPECT_EQ(r.value().meta.name, "config");
  ASSERT_EQ(r.value().data.size(), 1u);
  // Kept as is: the config front end reads the body.
  EXPECT_EQ(r.value().data.at("config"), raw.at("data").at("config").as_string());
  const auto check =
      config::check_text(r.value().data.at("config"), "config", config::InputFormat::kConfigMap);
  EXPECT_TRUE(check.valid());

  EXPECT_EQ(error_of(decode_config_map(parse(R"({"metadata":{"name":"c"},"data":{"config":1}})"))),
            "data.config: expected a string, got an integer");
  EXPECT_EQ(error_of(decode_config_map(parse(R"({"metadata":{"name":"c"},"data":[]})"))),
            "data: expected an object, got an array");
}

// ---- the generic entry ----

TEST(ObjectsDecode, EveryKindThroughOneEntry) {
  for (int i = 0; i <= static_cast<int>(Kind::kBfdProfile); ++i) {
    const auto kind = static_cast<Kind>(i);
    EXPECT_EQ(parse_kind(to_string(kind)), kind);
    EXPECT_EQ(is_metallb(kind), i >= static_cast<int>(Kind::kIpAddressPool));
  }
  EXPECT_EQ(parse_kind("Pod"), std::nullopt);

  const std::pair<Kind, const char*> files[] = {
      {Kind::kService, "service-loadbalancer-dual-stack.json"},
      {Kind::kEndpointSlice, "endpointslice-ipv4.json"},
      {Kind::kNode, "node-ready.json"},
      {Kind::kNamespace, "namespace.json"},
      {Kind::kConfigMap, "configmap-metallb.json"},
      {Kind::kLease, "lease-controller.json"},
      {Kind::kIpAddressPool, "ipaddresspool-from-api.json"},
      {Kind::kBgpPeer, "bgppeer-from-api.json"},
  };
  for (const auto& [kind, file] : files) {
    const auto v = load(file);
    const auto r = decode(kind, v);
    ASSERT_TRUE(r) << file << ": " << error_of(r);
    EXPECT_EQ(meta_of(r.value()).name, v.at("metadata").at("name").as_string()) << file;
    // An informer holds objects, not values: the same projection either way.
    const auto via_object = decode(kind, v.as_object());
    ASSERT_TRUE(via_object) << file << ": " << error_of(via_object);
    EXPECT_EQ(via_object.value(), r.value()) << file;
    EXPECT_GT(size_estimate(r.value()), 0u) << file;
    // The object's own kind is checked against the one asked for.
    const Kind other = kind == Kind::kNode ? Kind::kNamespace : Kind::kNode;
    EXPECT_EQ(error_of(decode(other, v)), "kind: expected \"" + std::string(to_string(other)) +
                                              "\", got \"" + std::string(v.at("kind").as_string()) +
                                              "\"");
  }
  const auto r = decode(Kind::kService, load("service-headless.json"));
  ASSERT_TRUE(r);
  EXPECT_TRUE(std::holds_alternative<Service>(r.value()));
}

// ---- sizes ----

std::size_t sizeof_object(const Object& o) {
  return std::visit([](const auto& x) { return sizeof(x); }, o);
}

// Estimated heap bytes plus the object itself, against the compact JSON text the API sent.
std::size_t held(const Object& o) { return sizeof_object(o) + size_estimate(o); }

TEST(ObjectSizes, EstimatesCountWhatIsHeld) {
  auto v = parse(R"({"metadata":{"name":"a","labels":{}},"spec":{"ports":[]}})");
  const auto small = decode_service(v);
  ASSERT_TRUE(small);
  EXPECT_EQ(small.value().size_estimate(), 0u);  // short strings live inside the object
  set(v, "/metadata/labels", "big", boost::json::value(std::string(1000, 'x')));
  for (int i = 1; i <= 100; ++i) {
    at(v, "/spec/ports").as_array().push_back(parse(R"({"port":80})"));
  }
  const auto big = decode_service(v);
  ASSERT_TRUE(big);
  const auto floor = 1001 + 100 * sizeof(ServicePort) + sizeof(Labels::value_type);
  EXPECT_GE(big.value().size_estimate(), floor);
  EXPECT_LT(big.value().size_estimate(), floor + 200);
}

// Live heap bytes of what is allocated through it: what a parsed boost::json::value holds.
class CountingResource : public boost::json::memory_resource {
 public:
  std::size_t live = 0;

 private:
  void* do_allocate(std::size_t n, std::size_t align) override {
    live += n;
    return ::operator new(n, std::align_val_t(align));
  }
  void do_deallocate(void* p, std::size_t n, std::size_t align) override {
    live -= n;
    ::operator delete(p, n, std::align_val_t(align));
  }
  bool do_is_equal(const boost::json::memory_resource& other) const noexcept override {
    return this == &other;
  }
};

// A projection against what the API sent: the compact JSON text, and the parsed DOM an
// informer that kept the JSON would hold.
TEST(ObjectSizes, ProjectionsAreSmallerThanTheirJson) {
  auto service_fixture = load("core.v1.Service.json");
  for (const char* p : {"/spec/loadBalancerIP", "/spec/clusterIPs/0", "/spec/externalIPs/0",
                        "/status/loadBalancer/ingress/0/ip"}) {
    at(service_fixture, p) = "192.0.2.1";
  }
  at(service_fixture, "/spec/type") = "LoadBalancer";
  at(service_fixture, "/spec/externalTrafficPolicy") = "Local";
  at(service_fixture, "/spec/ipFamilies/0") = "IPv4";
  at(service_fixture, "/spec/ipFamilyPolicy") = "SingleStack";
  at(service_fixture, "/spec/ports/0/protocol") = "TCP";
  auto slice_fixture = load("discovery.k8s.io.v1.EndpointSlice.json");
  at(slice_fixture, "/addressType") = "IPv4";
  at(slice_fixture, "/endpoints/0/addresses/0") = "192.0.2.7";
  const auto watched = testing::load_lines("watch-stream-example.jsonl");

  struct Row {
    const char* what;
    Kind kind;
    boost::json::value json;
  };
  const Row rows[] = {
      {"core.v1.Service.json (IPs and enums made real)", Kind::kService, service_fixture},
      {"watch-stream-example.jsonl MODIFIED Service", Kind::kService, watched[1].at("object")},
      {"service-loadbalancer-dual-stack.json", Kind::kService,
       load("service-loadbalancer-dual-stack.json")},
      {"discovery.k8s.io.v1.EndpointSlice.json (IPv4)", Kind::kEndpointSlice, slice_fixture},
      {"endpointslice-ipv4.json", Kind::kEndpointSlice, load("endpointslice-ipv4.json")},
      {"endpointslice-ipv6.json", Kind::kEndpointSlice, load("endpointslice-ipv6.json")},
      {"node-ready.json", Kind::kNode, load("node-ready.json")},
  };
  for (const auto& row : rows) {
    const auto r = decode(row.kind, row.json);
    ASSERT_TRUE(r) << row.what << ": " << error_of(r);
    const auto text = boost::json::serialize(row.json);
    CountingResource counting;
    std::size_t dom = 0;
    {
      boost::system::error_code ec;
      const auto parsed = boost::json::parse(text, ec, boost::json::storage_ptr(&counting));
      ASSERT_FALSE(ec);
      dom = sizeof(boost::json::value) + counting.live;
    }
    EXPECT_EQ(counting.live, 0u);
    const auto bytes = held(r.value());
    std::cout << "[ size     ] " << row.what << ": JSON text " << text.size()
              << " bytes, parsed JSON " << dom << " bytes, projection " << bytes << " bytes ("
              << sizeof_object(r.value()) << " object + " << size_estimate(r.value())
              << " heap) = " << (100 * bytes / text.size()) << "% of the text, "
              << (100 * bytes / dom) << "% of the parsed JSON\n";
    EXPECT_LT(bytes, text.size()) << row.what;
    EXPECT_LT(bytes * 3, dom) << row.what;
  }
}

}  // namespace
}  // namespace vipd::k8s
