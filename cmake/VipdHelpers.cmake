# Helpers shared by every module: one library per folder, warnings, sanitizers, tests, fuzzers.

# Flags for the project's own code only (dependencies never see -Werror).
add_library(vipd_warnings INTERFACE)
target_compile_options(vipd_warnings INTERFACE
  -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor -Wimplicit-fallthrough
  # Designated initialisers that leave members at their defaults are intended.
  -Wno-missing-field-initializers
  # GCC 12 at -O2 reports Asio's recycled coroutine-frame allocator as a new/delete mismatch
  # (a false positive inside Boost's headers, seen on bgp/session.cpp).
  $<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>
  # GCC 12 at -O2 reports members of a std::variant alternative that is not the active one as
  # "may be used uninitialized" (seen on k8s/ views and the elector's actions, which are
  # initialised): a warning, not an error, so real cases still show.
  $<$<CXX_COMPILER_ID:GNU>:-Wno-error=maybe-uninitialized>)

if(VIPD_SANITIZE)
  # -fno-sanitize-recover: undefined behaviour aborts the test instead of printing and going on.
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(VIPD_SANITIZED_BUILD=1)
endif()

if(VIPD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "VIPD_FUZZ needs clang (use the 'fuzz' preset)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
  # The fuzz preset builds only this: the fuzzers and what they link (clang 14 cannot build
  # every I/O module with -fsanitize=fuzzer-no-link, and they are not fuzzed).
  add_custom_target(vipd_fuzzers)
endif()

# vipd_module(NAME [PURE] SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
#
# One folder = one namespace vipd::NAME = one library vipd_NAME (alias vipd::NAME).
# PURE marks code that must not do I/O: its sources are compiled with VIPD_PURE_MODULE, and
# the I/O headers (common/asio.hpp and friends) refuse to compile there.
function(vipd_module name)
  cmake_parse_arguments(M "PURE" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  set(target vipd_${name})
  if(M_SOURCES)
    add_library(${target} STATIC ${M_SOURCES})
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(${target} PUBLIC ${M_PUBLIC_DEPS} PRIVATE vipd_warnings ${M_PRIVATE_DEPS})
    if(M_PURE)
      target_compile_definitions(${target} PRIVATE VIPD_PURE_MODULE=1)
      list(TRANSFORM M_SOURCES PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/ OUTPUT_VARIABLE absolute)
      set_property(GLOBAL APPEND PROPERTY VIPD_PURE_SOURCES ${absolute})
    endif()
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${target} INTERFACE ${M_PUBLIC_DEPS})
  endif()
  add_library(vipd::${name} ALIAS ${target})
endfunction()

# vipd_test(NAME SOURCES ... LIBS ... [LABELS ...])
#
# One GoogleTest binary per module, registered with ctest (label "unit" unless told).
function(vipd_test name)
  if(NOT VIPD_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main
                                        vipd_warnings)
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST PROPERTIES LABELS "${T_LABELS}")
endfunction()

# vipd_fuzzer(NAME SOURCE file LIBS ... CORPUS dir)
#
# In the fuzz preset: a libFuzzer binary. In every other build: the same entry point linked
# with a replay driver that runs each file of the corpus once, registered with ctest under the
# label "fuzz", so a crash saved into the corpus keeps failing plain ctest until it is fixed.
function(vipd_fuzzer name)
  cmake_parse_arguments(F "" "SOURCE;CORPUS" "LIBS" ${ARGN})
  add_executable(${name} ${F_SOURCE})
  target_link_libraries(${name} PRIVATE ${F_LIBS} vipd_warnings)
  if(VIPD_FUZZ)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    add_dependencies(vipd_fuzzers ${name})
  else()
    target_sources(${name} PRIVATE ${PROJECT_SOURCE_DIR}/common/testing/fuzz_replay_main.cpp)
    if(VIPD_BUILD_TESTS)
      add_test(NAME ${name}.corpus COMMAND ${name} ${F_CORPUS})
      set_tests_properties(${name}.corpus PROPERTIES LABELS fuzz)
    endif()
  endif()
endfunction()

# A test that reads every pure target's sources (and the project headers they include) and
# fails on an include of an I/O library. Call once, after all modules are added.
function(vipd_add_purity_check)
  get_property(sources GLOBAL PROPERTY VIPD_PURE_SOURCES)
  if(VIPD_BUILD_TESTS AND sources)
    find_package(Python3 REQUIRED COMPONENTS Interpreter)
    add_test(NAME pure_modules_include_no_io
             COMMAND Python3::Interpreter ${PROJECT_SOURCE_DIR}/scripts/check-pure.py
                     ${PROJECT_SOURCE_DIR} ${sources})
    set_tests_properties(pure_modules_include_no_io PROPERTIES LABELS unit)
    # The check itself: it must fail on an Asio include reached through a project header, and
    # when it is given nothing to read (a check that reads nothing proves nothing).
    set(fixture ${PROJECT_SOURCE_DIR}/scripts/tests/pure_fixture)
    set(script ${PROJECT_SOURCE_DIR}/scripts/check-pure.py)
    add_test(NAME check_pure_refuses_asio
             COMMAND Python3::Interpreter ${script} ${fixture} ${fixture}/mod/clean.cpp
                     ${fixture}/mod/dirty.cpp)
    add_test(NAME check_pure_refuses_reading_nothing
             COMMAND Python3::Interpreter ${script} ${fixture})
    add_test(NAME check_pure_refuses_a_missing_file
             COMMAND Python3::Interpreter ${script} ${fixture} ${fixture}/mod/missing.cpp)
    add_test(NAME check_pure_accepts_pure_code
             COMMAND Python3::Interpreter ${script} ${fixture} ${fixture}/mod/clean.cpp)
    set_tests_properties(check_pure_refuses_asio PROPERTIES LABELS unit
      PASS_REGULAR_EXPRESSION "dirty.hpp:2: includes <common/asio.hpp>.*4 files read, 1 problems")
    set_tests_properties(check_pure_refuses_reading_nothing PROPERTIES LABELS unit
      PASS_REGULAR_EXPRESSION "no file read.*0 files read, 1 problems")
    set_tests_properties(check_pure_refuses_a_missing_file PROPERTIES LABELS unit
      PASS_REGULAR_EXPRESSION "missing.cpp: no such file.*0 files read, 2 problems")
    set_tests_properties(check_pure_accepts_pure_code PROPERTIES LABELS unit
      PASS_REGULAR_EXPRESSION "2 files read, 0 problems")
  endif()
endfunction()
