// Allocator benchmarks: allocate 100,000 Services automatically from one pool, IPv4
// (198.18.0.0/15, 131,072 addresses, the largest benchmarking block available: the project uses
// documentation and benchmarking space only, so no /12 exists) and IPv6 (2001:db8::/64); then
// churn: release 10% of them at random and allocate them again.
//
// Memory is counted by bench/heap_counter.cpp (the global operator new/delete of this binary),
// so the bench reports both the bytes requested per allocated Service and the bytes still held
// per Service afterwards.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "allocator/allocator.hpp"
#include "bench/heap_counter.hpp"

namespace {

using vipd::IpAddress;
using vipd::Prefix;
using namespace vipd::allocator;  // NOLINT(google-build-using-namespace)

constexpr int kServices = 100'000;
constexpr int kChurn = kServices / 10;

Pool make_pool(const char* cidr, bool avoid_buggy) {
  Pool pool;
  pool.name = "bench";
  pool.addresses.push_back(Prefix::parse(cidr).value());
  pool.avoid_buggy_ips = avoid_buggy;
  return pool;
}

const std::vector<ServiceRequest>& requests(vipd::Family family) {
  static const auto build = [](vipd::Family f) {
    std::vector<ServiceRequest> out(kServices);
    for (int i = 0; i < kServices; ++i) {
      out[i].key = {"bench-" + std::to_string(i % 100), "service-" + std::to_string(i)};
      out[i].families = {f};
      out[i].ports = {{Protocol::kTcp, 443}};
    }
    return out;
  };
  static const auto v4 = build(vipd::Family::kV4);
  static const auto v6 = build(vipd::Family::kV6);
  return family == vipd::Family::kV4 ? v4 : v6;
}

std::unique_ptr<Allocator> fresh(const char* cidr, bool avoid_buggy) {
  auto allocator = std::make_unique<Allocator>();
  if (!allocator->set_pools({make_pool(cidr, avoid_buggy)})) std::abort();
  return allocator;
}

void allocate_all(benchmark::State& state, const char* cidr, vipd::Family family,
                  bool avoid_buggy) {
  const auto& all = requests(family);
  std::uint64_t news = 0;
  std::uint64_t bytes = 0;
  std::uint64_t retained = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto allocator = fresh(cidr, avoid_buggy);
    const auto before = vipd::bench::heap();
    state.ResumeTiming();
    for (const auto& request : all) {
      auto result = allocator->assign(request);
      if (!result) state.SkipWithError(result.error().message().c_str());
      benchmark::DoNotOptimize(result);
    }
    state.PauseTiming();
    const auto after = vipd::bench::heap();
    news += after.allocations - before.allocations;
    bytes += after.bytes - before.bytes;
    retained += after.live - before.live;
    allocator.reset();
    state.ResumeTiming();
  }
  const double services = static_cast<double>(state.iterations()) * kServices;
  state.counters["allocs_per_service"] = static_cast<double>(news) / services;
  state.counters["bytes_per_service"] = static_cast<double>(bytes) / services;
  state.counters["retained_per_service"] = static_cast<double>(retained) / services;
  state.counters["services_per_s"] = benchmark::Counter(services, benchmark::Counter::kIsRate);
}

// Release 10% of 100,000 Services at random and allocate them again (20,000 operations).
void churn(benchmark::State& state, const char* cidr, vipd::Family family) {
  const auto& all = requests(family);
  auto allocator = fresh(cidr, false);
  for (const auto& request : all) {
    if (!allocator->assign(request)) std::abort();
  }
  std::mt19937_64 random(42);
  std::vector<int> order(kServices);
  std::iota(order.begin(), order.end(), 0);
  for (auto _ : state) {
    state.PauseTiming();
    std::shuffle(order.begin(), order.end(), random);
    state.ResumeTiming();
    for (int i = 0; i < kChurn; ++i) allocator->release(all[order[i]].key);
    for (int i = 0; i < kChurn; ++i) {
      auto result = allocator->assign(all[order[i]]);
      if (!result) state.SkipWithError(result.error().message().c_str());
      benchmark::DoNotOptimize(result);
    }
  }
  state.counters["ops_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * 2 * kChurn, benchmark::Counter::kIsRate);
}

void BM_Allocate100kIpv4Slash15(benchmark::State& state) {
  allocate_all(state, "198.18.0.0/15", vipd::Family::kV4, false);
}
void BM_Allocate100kIpv4Slash15AvoidBuggy(benchmark::State& state) {
  allocate_all(state, "198.18.0.0/15", vipd::Family::kV4, true);
}
void BM_Allocate100kIpv6Slash64(benchmark::State& state) {
  allocate_all(state, "2001:db8::/64", vipd::Family::kV6, false);
}
void BM_Churn10PercentIpv4(benchmark::State& state) {
  churn(state, "198.18.0.0/15", vipd::Family::kV4);
}
void BM_Churn10PercentIpv6(benchmark::State& state) {
  churn(state, "2001:db8::/64", vipd::Family::kV6);
}

BENCHMARK(BM_Allocate100kIpv4Slash15)->Unit(benchmark::kMillisecond)->Iterations(10);
BENCHMARK(BM_Allocate100kIpv4Slash15AvoidBuggy)->Unit(benchmark::kMillisecond)->Iterations(10);
BENCHMARK(BM_Allocate100kIpv6Slash64)->Unit(benchmark::kMillisecond)->Iterations(10);
BENCHMARK(BM_Churn10PercentIpv4)->Unit(benchmark::kMillisecond)->Iterations(20);
BENCHMARK(BM_Churn10PercentIpv6)->Unit(benchmark::kMillisecond)->Iterations(20);

}  // namespace

BENCHMARK_MAIN();
