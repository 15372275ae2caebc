// The speaker's reading of Services, EndpointSlices and Nodes, from objects as the API server
// sends them, and through the planner: which node announces what.
#include "speaker/cluster_view.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "config/load.hpp"
#include "planner/planner.hpp"

namespace vipd::speaker {
namespace {

namespace json = boost::json;

k8s::Service service(const std::string& spec_and_status, const std::string& name = "web",
                     const std::string& labels = "{}") {
  auto r = k8s::decode_service(
      json::parse(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":")" + name +
                  R"(","namespace":"shop","uid":"u-)" + name + R"(","labels":)" + labels + "}," +
                  spec_and_status + "}"));
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
  return r ? r.value() : k8s::Service{};
}

k8s::EndpointSlice slice(const std::string& name, const std::string& type,
                         const std::string& endpoints, const std::string& service = "web",
                         bool deleting = false) {
  auto r = k8s::decode_endpoint_slice(json::parse(
      R"({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":")" + name +
      R"(","namespace":"shop",)" +
      (deleting ? R"("deletionTimestamp":"2026-12-07T00:00:00Z",)" : "") +
      R"("labels":{"kubernetes.io/service-name":")" + service + R"("}},"addressType":")" + type +
      R"(","endpoints":)" + endpoints + "}"));
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
  return r ? r.value() : k8s::EndpointSlice{};
}

k8s::Node node(const std::string& name, const std::string& labels = "{}",
               const std::string& conditions = "[]") {
  auto r = k8s::decode_node(json::parse(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":")" +
                                        name + R"(","labels":)" + labels +
                                        R"(},"status":{"conditions":)" + conditions + "}}"));
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
  return r ? r.value() : k8s::Node{};
}

const std::string kLoadBalancer =
    R"("spec":{"type":"LoadBalancer","ports":[{"port":80}],"externalTrafficPolicy":"Local"},)"
    R"("status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.10"},{"ip":"2001:db8:100::10"}]}})";

TEST(Serves, OnlyLoadBalancersOfTheSpeakersClass) {
  EXPECT_TRUE(serves(service(kLoadBalancer), ""));
  EXPECT_FALSE(serves(service(kLoadBalancer), "example.com/lb"));
  const auto classed = service(
      R"("spec":{"type":"LoadBalancer","loadBalancerClass":"example.com/lb","ports":[{"port":80}]})");
  EXPECT_FALSE(serves(classed, ""));
  EXPECT_TRUE(serves(classed, "example.com/lb"));
  EXPECT_FALSE(serves(service(R"("spec":{"type":"ClusterIP","ports":[{"port":80}]})"), ""));
  EXPECT_FALSE(serves(service(R"("spec":{"type":"NodePort","ports":[{"port":80}]})"), ""));
}

TEST(ServiceInfo, AddressesFromTheStatusOnlyWithPolicyLabelsAndEndpoints) {
  // spec.loadBalancerIP and the annotations ask; only the status says what was allocated.
  const auto asked = service(
      R"("spec":{"type":"LoadBalancer","loadBalancerIP":"203.0.113.99","ports":[{"port":80}]})");
  EXPECT_TRUE(service_info(asked, {}).addresses.empty());

  const auto web = service(kLoadBalancer, "web", R"({"app":"web"})");
  const auto v4 = slice("web-a", "IPv4", R"([
      {"addresses":["10.0.0.1"],"nodeName":"n1","conditions":{"ready":true}},
      {"addresses":["10.0.0.2"],"nodeName":"n2","conditions":{"ready":false,"serving":true,"terminating":true}},
      {"addresses":["10.0.0.3"],"nodeName":"n3","conditions":{"ready":false}},
      {"addresses":["10.0.0.4"],"conditions":{}}])");
  const auto fqdn = slice("web-f", "FQDN", R"([{"addresses":["db.example"],"nodeName":"n1"}])");
  const auto gone =
      slice("web-g", "IPv4", R"([{"addresses":["10.0.0.9"],"nodeName":"n9"}])", "web", true);
  const std::vector<const k8s::EndpointSlice*> slices{&v4, &fqdn, &gone, nullptr};
  const auto info = service_info(web, slices);
  EXPECT_EQ(info.key(), "shop/web");
  EXPECT_EQ(info.labels.at("app"), "web");
  ASSERT_EQ(info.addresses.size(), 2u);
  EXPECT_EQ(info.addresses[0].to_string(), "203.0.113.10");
  EXPECT_EQ(info.addresses[1].to_string(), "2001:db8:100::10");
  EXPECT_TRUE(info.pool.empty());  // found from the address, as MetalLB's speaker does
  EXPECT_EQ(info.traffic_policy, config::TrafficPolicy::kLocal);
  ASSERT_EQ(info.endpoints.size(), 4u);  // the FQDN slice and the slice being deleted: none
  EXPECT_EQ(info.endpoints[0], (planner::Endpoint{"n1", true, true, "10.0.0.1"}));
  EXPECT_EQ(info.endpoints[1], (planner::Endpoint{"n2", false, true, "10.0.0.2"}));
  // serving unset defers to ready; ready unset is ready.
  EXPECT_EQ(info.endpoints[2], (planner::Endpoint{"n3", false, false, "10.0.0.3"}));
  EXPECT_EQ(info.endpoints[3], (planner::Endpoint{"", true, true, "10.0.0.4"}));
}

TEST(ServiceInfo, RomanaVipsOfAnyTypeTakeTheExternalIpsVipdRecorded) {
  // A ClusterIP Service with a Romana annotation: the controller put its VIP in
  // spec.externalIPs and recorded it; the user's own externalIPs entry is not vipd's.
  const auto vip = service(R"("spec":{"type":"ClusterIP","ports":[{"port":80}],)"
                           R"("externalIPs":["198.51.100.7","192.0.2.140"]},"status":{})");
  EXPECT_FALSE(serves(vip, ""));  // no annotation: not the speaker's
  auto annotated = vip;
  annotated.meta.annotations = {{"romanavip", R"({"auto": true})"},
                                {"vipd.io/external-ips", "192.0.2.140,203.0.113.1,bad"}};
  EXPECT_TRUE(is_romana_vip(annotated));
  EXPECT_TRUE(serves(annotated, ""));
  EXPECT_TRUE(serves(annotated, "example.com/lb"));
  const auto info = service_info(annotated, {});
  EXPECT_TRUE(info.romana_vip);
  // Recorded and present in the spec: only 192.0.2.140 (203.0.113.1 was removed by the user).
  ASSERT_EQ(info.addresses.size(), 1u);
  EXPECT_EQ(info.addresses[0].to_string(), "192.0.2.140");

  // A LoadBalancer with romanaip: the status addresses, and still a Romana VIP.
  auto lb = service(kLoadBalancer);
  lb.meta.annotations = {{"romanaip", R"({"auto": true})"}};
  const auto lb_info = service_info(lb, {});
  EXPECT_TRUE(lb_info.romana_vip);
  EXPECT_EQ(lb_info.addresses.size(), 2u);
  EXPECT_FALSE(service_info(service(kLoadBalancer), {}).romana_vip);
}

TEST(NodeInfo, LabelsAndNetworkUnavailable) {
  const auto n =
      node("n1", R"({"rack":"r1"})",
           R"([{"type":"Ready","status":"True"},{"type":"NetworkUnavailable","status":"True"}])");
  const auto info = node_info(n);
  EXPECT_EQ(info.name, "n1");
  EXPECT_EQ(info.labels.at("rack"), "r1");
  EXPECT_TRUE(info.network_unavailable);
  EXPECT_FALSE(node_info(node("n2")).network_unavailable);
  // Ready: True, or no Ready condition at all (the lab's Nodes); False and Unknown are not.
  EXPECT_TRUE(info.ready);
  EXPECT_TRUE(node_info(node("n2")).ready);
  EXPECT_FALSE(node_info(node("n3", "{}", R"([{"type":"Ready","status":"False"}])")).ready);
  EXPECT_FALSE(node_info(node("n4", "{}", R"([{"type":"Ready","status":"Unknown"}])")).ready);
}

TEST(SliceServiceKey, FromTheServiceNameLabel) {
  EXPECT_EQ(slice_service_key(slice("x", "IPv4", "[]", "api")), "shop/api");
  auto unlabelled = slice("y", "IPv4", "[]");
  unlabelled.service_name.clear();
  EXPECT_EQ(slice_service_key(unlabelled), "");
}

// Through the planner: a Local Service is announced only from the nodes with a ready (or
// serving) endpoint; Cluster from every node while any endpoint anywhere serves.
TEST(ClusterSnapshot, LocalPolicyAnnouncesFromTheEndpointsNodes) {
  auto config = config::load_text(R"(
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: router, namespace: metallb-system}
spec: {myASN: 64501, peerASN: 64500, peerAddress: 192.0.2.1}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: public, namespace: metallb-system}
spec: {addresses: [203.0.113.0/24, 2001:db8:100::/64]}
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {name: public, namespace: metallb-system}
)",
                                  "test.yaml", config::InputFormat::kResources);
  ASSERT_TRUE(config) << config.error().message();
  const auto web = service(kLoadBalancer);
  const auto v4 = slice("web-a", "IPv4", R"([
      {"addresses":["10.0.0.1"],"nodeName":"n1","conditions":{"ready":true}},
      {"addresses":["10.0.0.2"],"nodeName":"n2","conditions":{"ready":false,"serving":true,"terminating":true}},
      {"addresses":["10.0.0.3"],"nodeName":"n3","conditions":{"ready":false}}])");
  const std::vector<const k8s::EndpointSlice*> slices{&v4};
  const auto announced = [&](const k8s::Service& s, const std::string& name) {
    planner::Snapshot snapshot;
    snapshot.config = &config.value();
    snapshot.nodes.push_back(node_info(node(name)));
    snapshot.services.push_back(service_info(s, slices));
    const auto plan = planner::plan(snapshot, name);
    EXPECT_EQ(plan.peers.size(), 1u);
    return plan.peers.empty() ? 0u : plan.peers[0].routes.size();
  };
  EXPECT_EQ(announced(web, "n1"), 1u);  // the IPv4 session carries the IPv4 address only
  EXPECT_EQ(announced(web, "n2"), 1u);  // serving while terminating
  EXPECT_EQ(announced(web, "n3"), 0u);  // not ready, not serving
  EXPECT_EQ(announced(web, "n4"), 0u);  // no endpoint here
  auto cluster = web;
  cluster.external_traffic_policy = k8s::TrafficPolicy::kCluster;
  EXPECT_EQ(announced(cluster, "n4"), 1u);
}

}  // namespace
}  // namespace vipd::speaker
