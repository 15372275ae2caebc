#pragma once
// Heap accounting for benchmarks: a benchmark binary that links heap_counter.cpp has every
// global operator new/delete counted (allocations, bytes requested, bytes still live).

#include <cstdint>

namespace vipd::bench {

struct HeapSnapshot {
  std::uint64_t allocations = 0;
  std::uint64_t bytes = 0;  // requested, in total
  std::uint64_t live = 0;   // requested and not yet freed
};

HeapSnapshot heap();

}  // namespace vipd::bench
