# `vipd standalone`: the wiring of config, allocator, health checks, planner, speaker and admin
# endpoint (daemon/standalone.hpp), and the translations it uses.
vipd_module(standalone SOURCES standalone.cpp standalone_command.cpp translate.cpp report.cpp
            PUBLIC_DEPS vipd::planner vipd::health vipd::admin vipd::bgp_io vipd::config
                        vipd::allocator vipd::allocator_state vipd::daemon)
