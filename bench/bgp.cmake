# BGP codec micro benchmarks.
vipd_benchmark(vipd_bgp_codec_bench
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/bgp_codec_bench.cpp ${CMAKE_CURRENT_SOURCE_DIR}/heap_counter.cpp
  LIBS vipd::bgp)
vipd_benchmark(vipd_bgp_rib_out_bench
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/bgp_rib_out_bench.cpp ${CMAKE_CURRENT_SOURCE_DIR}/heap_counter.cpp
  LIBS vipd::bgp)
