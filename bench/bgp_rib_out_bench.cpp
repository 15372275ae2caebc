// Adj-RIB-Out: replacing the desired set and producing the full table for 1,000 / 10,000 /
// 100,000 host routes (messages, bytes, time, heap allocations), and the cost of one change on
// a 100,000-route table (must be proportional to the change, not to the table).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <vector>

#include "bench/heap_counter.hpp"
#include "bgp/rib_out.hpp"

namespace {

using namespace vipd;
using namespace vipd::bgp;

ExportPolicy policy() {
  ExportPolicy p;
  p.local_as = 64500;
  p.peer_as = 64496;
  p.codec = CodecOptions{.four_octet_as = true};
  p.next_hop_ipv4 = IpAddress::v4(0xc0000201);  // 192.0.2.1
  p.ipv4_unicast = true;
  return p;
}

// 198.18.0.0/15 (RFC 2544 benchmarking space) host routes, one attribute set.
Prefix host(std::uint32_t i) { return Prefix::host(IpAddress::v4(0xc6120000u + i)); }

struct Routes {
  AttributeInterner interner;
  AttributesRef attributes;
  AttributesRef other;
  RouteSet set;
  explicit Routes(std::uint32_t count) {
    RouteAttributes a;
    a.communities = {(64500u << 16) | 100};
    attributes = interner.intern(a);
    a.communities.push_back((64500u << 16) | 200);
    other = interner.intern(a);
    for (std::uint32_t i = 0; i < count; ++i) set.emplace_hint(set.end(), host(i), attributes);
  }
};

// replace() into an empty Adj-RIB-Out, then full_table(): what a session coming up costs.
void ReplaceAndFullTable(benchmark::State& state) {
  const auto count = static_cast<std::uint32_t>(state.range(0));
  const Routes routes(count);
  std::vector<std::uint8_t> out;
  std::size_t messages = 0;
  std::uint64_t allocations = 0;
  for (auto _ : state) {
    out.clear();
    const auto before = vipd::bench::heap().allocations;
    AdjRibOut rib(policy());
    rib.replace(routes.set);
    messages = rib.full_table(out);
    allocations += vipd::bench::heap().allocations - before;
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * count));
  const double iterations = static_cast<double>(state.iterations());
  state.counters["messages"] = static_cast<double>(messages);
  state.counters["bytes"] = static_cast<double>(out.size());
  state.counters["allocs"] = static_cast<double>(allocations) / iterations;
  state.counters["allocs/prefix"] = static_cast<double>(allocations) / iterations / count;
}

// full_table() alone, on an Adj-RIB-Out whose desired set is already in place.
void FullTableOnly(benchmark::State& state) {
  const auto count = static_cast<std::uint32_t>(state.range(0));
  const Routes routes(count);
  AdjRibOut rib(policy());
  rib.replace(routes.set);
  std::vector<std::uint8_t> out;
  std::size_t messages = 0;
  std::uint64_t allocations = 0;
  for (auto _ : state) {
    out.clear();
    const auto before = vipd::bench::heap().allocations;
    messages = rib.full_table(out);  // a ROUTE-REFRESH: everything again
    allocations += vipd::bench::heap().allocations - before;
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * count));
  state.counters["messages"] = static_cast<double>(messages);
  state.counters["bytes"] = static_cast<double>(out.size());
  state.counters["allocs"] =
      static_cast<double>(allocations) / static_cast<double>(state.iterations());
}

// One prefix changes its attributes on a table that has been sent: set() then updates().
void OneChange(benchmark::State& state) {
  const auto count = static_cast<std::uint32_t>(state.range(0));
  const Routes routes(count);
  AdjRibOut rib(policy());
  rib.replace(routes.set);
  std::vector<std::uint8_t> out;
  rib.full_table(out);
  std::uint64_t allocations = 0;
  std::uint64_t messages = 0;
  std::uint64_t i = 0;
  for (auto _ : state) {
    out.clear();
    const auto before = vipd::bench::heap().allocations;
    rib.set(host(static_cast<std::uint32_t>(i * 7919 % count)),
            (i / count) % 2 == 0 ? routes.other : routes.attributes);
    messages += rib.updates(out);
    allocations += vipd::bench::heap().allocations - before;
    ++i;
    benchmark::DoNotOptimize(out.data());
  }
  const double iterations = static_cast<double>(state.iterations());
  state.counters["messages"] = static_cast<double>(messages) / iterations;
  state.counters["bytes"] = static_cast<double>(out.size());
  state.counters["allocs"] = static_cast<double>(allocations) / iterations;
}

// replace() with a set that differs in one prefix, then updates(): a full planner run that
// changed one service. The merge walk is O(n); the message is one small UPDATE.
void ReplaceOneDifferent(benchmark::State& state) {
  const auto count = static_cast<std::uint32_t>(state.range(0));
  Routes routes(count);
  AdjRibOut rib(policy());
  rib.replace(routes.set);
  std::vector<std::uint8_t> out;
  rib.full_table(out);
  std::uint64_t allocations = 0;
  std::uint64_t messages = 0;
  std::uint64_t i = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const Prefix changed = host(static_cast<std::uint32_t>(i * 7919 % count));
    routes.set[changed] =
        routes.set[changed] == routes.attributes ? routes.other : routes.attributes;
    out.clear();
    state.ResumeTiming();
    const auto before = vipd::bench::heap().allocations;
    rib.replace(routes.set);
    messages += rib.updates(out);
    allocations += vipd::bench::heap().allocations - before;
    ++i;
    benchmark::DoNotOptimize(out.data());
  }
  const double iterations = static_cast<double>(state.iterations());
  state.counters["messages"] = static_cast<double>(messages) / iterations;
  state.counters["allocs"] = static_cast<double>(allocations) / iterations;
}

BENCHMARK(ReplaceAndFullTable)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(FullTableOnly)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(OneChange)->Arg(100000)->Unit(benchmark::kMicrosecond);
BENCHMARK(ReplaceOneDifferent)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
