# The admin endpoint (/metrics, /healthz, /readyz, /status) and `vipd status`.

# vipd::metrics — the Prometheus text exposition and the catalogue of metric names. Pure.
vipd_module(metrics PURE SOURCES metrics.cpp PUBLIC_DEPS vipd::common)

# vipd::admin — the HTTP server (Boost.Beast), the `vipd status` client and renderer, and the
# process memory reading.
vipd_module(admin
  SOURCES admin_server.cpp process_memory.cpp status_command.cpp
  PUBLIC_DEPS vipd::metrics vipd::common_io Boost::json CLI11::CLI11)

vipd_test(vipd_metrics_tests SOURCES tests/metrics_test.cpp LIBS vipd::metrics)
vipd_test(vipd_admin_tests
  SOURCES tests/admin_server_test.cpp tests/status_command_test.cpp
  LIBS vipd::admin)
