# vipd::planner — the announcement planner (pure): which routes this node announces to each
# BGP peer, and why. Included by daemon/CMakeLists.txt, so paths are relative to daemon/.
vipd_module(planner PURE
  SOURCES planner.cpp
  PUBLIC_DEPS vipd::config_model vipd::bgp vipd::common)

if(VIPD_BUILD_TESTS)
  vipd_test(vipd_planner_tests SOURCES tests/planner_test.cpp LIBS vipd::planner)
endif()
