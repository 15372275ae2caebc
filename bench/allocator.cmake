# Allocator: 100,000 allocations from an IPv4 and an IPv6 pool, and 10% churn (bench/RESULTS.md).
vipd_benchmark(vipd_allocator_bench
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/allocator_bench.cpp ${CMAKE_CURRENT_SOURCE_DIR}/heap_counter.cpp
  LIBS vipd::allocator)
