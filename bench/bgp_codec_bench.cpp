// BGP codec throughput: decode and encode of large UPDATEs and of a stream of small ones, with
// the number of heap allocations per message (decoding must not allocate per prefix).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <vector>

#include "bench/heap_counter.hpp"
#include "bgp/codec.hpp"
#include "bgp/framer.hpp"

namespace {

using namespace vipd;
using namespace vipd::bgp;

const CodecOptions kOptions{.four_octet_as = true, .extended_message = true};

PathAttributes attributes() {
  PathAttributes a;
  a.origin = Origin::kIgp;
  a.as_path = AsPath{{AsSegment{AsSegmentType::kSequence, {64496}}}};
  a.next_hop = IpAddress::v4(0xc0000201);  // 192.0.2.1
  a.communities = std::vector<std::uint32_t>{(64496u << 16) | 100};
  return a;
}

// 198.18.0.0/15 (RFC 2544 benchmarking space) host routes.
Update ipv4_update(std::uint32_t count, std::uint32_t first = 0) {
  Update u;
  u.attributes = attributes();
  for (std::uint32_t i = 0; i < count; ++i) {
    u.nlri.push_back(Nlri{Prefix::host(IpAddress::v4(0xc6120000 + first + i)), 0});
  }
  return u;
}

Update ipv6_update(std::uint32_t count) {
  Update u;
  u.attributes = attributes();
  u.attributes.next_hop.reset();
  MpReach mp;
  mp.family = kIpv6Unicast;
  mp.next_hop = IpAddress::v6(make_u128(0x20010db800000000ull, 1));
  for (std::uint32_t i = 0; i < count; ++i) {
    mp.nlri.push_back(Nlri{Prefix::host(IpAddress::v6(make_u128(0x20010db800010000ull, i))), 0});
  }
  u.attributes.mp_reach = std::move(mp);
  return u;
}

std::vector<std::uint8_t> bytes_of(const Message& m) {
  std::vector<std::uint8_t> out;
  if (!encode(m, kOptions, out)) std::abort();
  return out;
}

void Decode(benchmark::State& state, const Update& update, std::size_t prefixes) {
  const auto bytes = bytes_of(update);
  std::size_t allocations = 0;
  for (auto _ : state) {
    const auto before = vipd::bench::heap().allocations;
    auto m = decode(bytes, kOptions);
    allocations += vipd::bench::heap().allocations - before;
    if (!m) std::abort();
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * prefixes));
  state.counters["allocs/msg"] = static_cast<double>(allocations) / state.iterations();
  state.counters["bytes"] = static_cast<double>(bytes.size());
}

void Encode(benchmark::State& state, const Update& update, std::size_t prefixes) {
  std::vector<std::uint8_t> out;
  out.reserve(70000);
  for (auto _ : state) {
    out.clear();
    if (!encode(update, kOptions, out)) std::abort();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * prefixes));
}

void BM_Decode_Ipv4Update_1000x32(benchmark::State& s) { Decode(s, ipv4_update(1000), 1000); }
void BM_Decode_Ipv6MpReach_500x128(benchmark::State& s) { Decode(s, ipv6_update(500), 500); }
void BM_Encode_Ipv4Update_1000x32(benchmark::State& s) { Encode(s, ipv4_update(1000), 1000); }
void BM_Encode_Ipv6MpReach_500x128(benchmark::State& s) { Encode(s, ipv6_update(500), 500); }

constexpr std::uint32_t kStream = 100000;

// 100,000 single-prefix UPDATEs as one TCP stream, cut into 64 KiB reads, framed and decoded.
void BM_Decode_Stream_100000x1(benchmark::State& state) {
  std::vector<std::uint8_t> stream;
  for (std::uint32_t i = 0; i < kStream; ++i) {
    if (!encode(ipv4_update(1, i % 131072), kOptions, stream)) std::abort();
  }
  std::size_t allocations = 0;
  for (auto _ : state) {
    const auto before = vipd::bench::heap().allocations;
    Framer framer(kMaxExtendedMessageSize);
    std::size_t decoded = 0;
    for (std::size_t at = 0; at < stream.size(); at += 65536) {
      framer.feed({stream.data() + at, std::min<std::size_t>(65536, stream.size() - at)});
      while (true) {
        auto next = framer.next();
        if (!next) std::abort();
        if (!next.value()) break;
        auto m = decode(*next.value(), kOptions);
        if (!m) std::abort();
        benchmark::DoNotOptimize(m);
        ++decoded;
      }
    }
    if (decoded != kStream) std::abort();
    allocations += vipd::bench::heap().allocations - before;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kStream));
  state.counters["allocs/msg"] = static_cast<double>(allocations) / state.iterations() / kStream;
}

void BM_Encode_Stream_100000x1(benchmark::State& state) {
  std::vector<Update> updates;
  for (std::uint32_t i = 0; i < kStream; ++i) updates.push_back(ipv4_update(1, i % 131072));
  std::vector<std::uint8_t> stream;
  stream.reserve(kStream * 64);
  for (auto _ : state) {
    stream.clear();
    for (const auto& u : updates) {
      if (!encode(u, kOptions, stream)) std::abort();
    }
    benchmark::DoNotOptimize(stream.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kStream));
}

BENCHMARK(BM_Decode_Ipv4Update_1000x32);
BENCHMARK(BM_Decode_Ipv6MpReach_500x128);
BENCHMARK(BM_Encode_Ipv4Update_1000x32);
BENCHMARK(BM_Encode_Ipv6MpReach_500x128);
BENCHMARK(BM_Decode_Stream_100000x1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Encode_Stream_100000x1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
