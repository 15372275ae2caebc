// The memory an informer holds per cached Service and EndpointSlice (k8s/informer.hpp keeps a
// typed view and its resourceVersion under "namespace/name", never the JSON), beside the size
// of the JSON the API server sent for it: realistic objects of a LoadBalancer Service with
// MetalLB annotations, managedFields and two ports, and a dual-stack-sized EndpointSlice of
// three endpoints. Counters: bytes held per object (live heap after decoding 10,000 objects
// into the cache, divided by 10,000) and the JSON bytes per object.
#include <benchmark/benchmark.h>

#include <boost/json/parse.hpp>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "bench/heap_counter.hpp"
#include "k8s/objects.hpp"

namespace {

constexpr int kObjects = 10'000;

std::string service_json(int i) {
  const std::string n = std::to_string(i);
  const std::string ip = "198.18." + std::to_string(i / 256) + "." + std::to_string(i % 256);
  return R"({"kind":"Service","apiVersion":"v1","metadata":{"name":"web-)" + n +
         R"(","namespace":"shop","uid":"6a3c1f0e-3b1d-4a3e-9c55-)" + std::to_string(100000 + i) +
         R"(0000","resourceVersion":")" + std::to_string(5000 + i) +
         R"(","creationTimestamp":"2026-12-01T10:00:00Z","labels":{"app":"web","tier":"front"},)"
         R"("annotations":{"metallb.io/address-pool":"public","metallb.io/ip-allocated-from-pool":"public",)"
         R"("kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"annotations\":{\"metallb.io/address-pool\":\"public\"},\"name\":\"web\",\"namespace\":\"shop\"},\"spec\":{\"ports\":[{\"port\":80}],\"selector\":{\"app\":\"web\"},\"type\":\"LoadBalancer\"}}\n"},)"
         R"("managedFields":[{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"v1",)"
         R"("time":"2026-12-01T10:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:annotations":{".":{},)"
         R"("f:kubectl.kubernetes.io/last-applied-configuration":{},"f:metallb.io/address-pool":{}}},)"
         R"("f:spec":{"f:externalTrafficPolicy":{},"f:ports":{".":{},"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},)"
         R"("f:port":{},"f:protocol":{},"f:targetPort":{}}},"f:selector":{},"f:type":{}}}},)"
         R"({"manager":"vipd","operation":"Update","apiVersion":"v1","time":"2026-12-01T10:00:01Z",)"
         R"("fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:loadBalancer":{"f:ingress":{}}}},"subresource":"status"}]},)"
         R"("spec":{"ports":[{"name":"http","protocol":"TCP","port":80,"targetPort":8080,"nodePort":31080},)"
         R"({"name":"https","protocol":"TCP","port":443,"targetPort":8443,"nodePort":31443}],)"
         R"("selector":{"app":"web"},"clusterIP":"198.51.100.)" +
         std::to_string(i % 250 + 1) + R"(","clusterIPs":["198.51.100.)" +
         std::to_string(i % 250 + 1) +
         R"("],"type":"LoadBalancer","sessionAffinity":"None","externalTrafficPolicy":"Local",)"
         R"("healthCheckNodePort":32000,"ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack",)"
         R"("allocateLoadBalancerNodePorts":true,"internalTrafficPolicy":"Cluster"},)"
         R"("status":{"loadBalancer":{"ingress":[{"ip":")" +
         ip + R"(","ipMode":"VIP"}]}}})";
}

std::string slice_json(int i) {
  const std::string n = std::to_string(i);
  std::string endpoints;
  for (int e = 0; e < 3; ++e) {
    if (e > 0) endpoints += ",";
    endpoints += R"({"addresses":["192.0.2.)" + std::to_string((i * 3 + e) % 250 + 1) +
                 R"("],"conditions":{"ready":true,"serving":true,"terminating":false},)"
                 R"("nodeName":"node-)" +
                 std::to_string(e + 1) +
                 R"(","targetRef":{"kind":"Pod","namespace":"shop","name":"web-)" + n + "-" +
                 std::to_string(e) + R"(","uid":"0c0ffee0-0000-4000-8000-)" +
                 std::to_string(100000 + i) + std::to_string(e) + R"(00000"}})";
  }
  return R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"web-)" +
         n + R"(-x7k2p","generateName":"web-)" + n +
         R"(-","namespace":"shop","uid":"1b2c3d4e-0000-4000-8000-)" + std::to_string(100000 + i) +
         R"(0000","resourceVersion":")" + std::to_string(9000 + i) +
         R"(","generation":3,"creationTimestamp":"2026-12-01T10:00:00Z",)"
         R"("labels":{"endpointslice.kubernetes.io/managed-by":"endpointslice-controller.k8s.io",)"
         R"("kubernetes.io/service-name":"web-)" +
         n + R"("},"ownerReferences":[{"apiVersion":"v1","kind":"Service","name":"web-)" + n +
         R"(","uid":"6a3c1f0e","controller":true,"blockOwnerDeletion":true}]},)"
         R"("addressType":"IPv4","endpoints":[)" +
         endpoints + R"(],"ports":[{"name":"http","protocol":"TCP","port":8080}]})";
}

// Decodes `count` objects into a cache shaped like Informer's (view + resourceVersion by key)
// and reports the live heap it holds per object, and the JSON size per object.
template <class Decode, class Json>
void cache(benchmark::State& state, Decode decode, Json json) {
  std::vector<std::string> texts;
  std::size_t json_bytes = 0;
  for (int i = 0; i < kObjects; ++i) {
    texts.push_back(json(i));
    json_bytes += texts.back().size();
  }
  double held = 0;
  for (auto _ : state) {
    using View = std::remove_cvref_t<decltype(decode(boost::json::object{}).value())>;
    struct Entry {
      std::string resource_version;
      View value;
    };
    const auto before = vipd::bench::heap().live;
    std::map<std::string, Entry> cache;
    for (const auto& text : texts) {
      const auto value = boost::json::parse(text);
      auto view = decode(value.as_object());
      if (!view) state.SkipWithError(view.error().message().c_str());
      const auto& meta = view.value().meta;
      auto key = meta.namespace_ + "/" + meta.name;  // before the view moves into the cache
      auto version = meta.resource_version;
      cache.emplace(std::move(key), Entry{std::move(version), std::move(view.value())});
    }
    held = static_cast<double>(vipd::bench::heap().live - before);
    benchmark::DoNotOptimize(cache);
  }
  state.counters["held_bytes_per_object"] = held / kObjects;
  state.counters["json_bytes_per_object"] = static_cast<double>(json_bytes) / kObjects;
  state.counters["held_per_json"] = held / static_cast<double>(json_bytes);
  state.counters["objects_per_s"] = benchmark::Counter(
      static_cast<double>(kObjects), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_CacheServices(benchmark::State& state) {
  cache(
      state, [](const boost::json::object& o) { return vipd::k8s::decode_service(o); },
      service_json);
}
BENCHMARK(BM_CacheServices)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_CacheEndpointSlices(benchmark::State& state) {
  cache(
      state, [](const boost::json::object& o) { return vipd::k8s::decode_endpoint_slice(o); },
      slice_json);
}
BENCHMARK(BM_CacheEndpointSlices)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
