# vipd::health — health checks of standalone services (TCP connect, HTTP GET, exec). Does I/O
# (Asio, Beast, child processes), so it is not a pure module; Beast is header-only and comes
# with Boost::headers through vipd::common.
vipd_module(health SOURCES health.cpp PUBLIC_DEPS vipd::config_model vipd::common_io)

if(VIPD_BUILD_TESTS)
  vipd_test(vipd_health_tests SOURCES tests/health_test.cpp LIBS vipd::health)
endif()
