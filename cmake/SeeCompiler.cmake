# Compiler set-up shared by every target: ccache, warnings as errors, optional sanitizers/fuzzing.

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_C_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

option(SEE_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(SEE_FUZZ "Build libFuzzer targets (requires clang)" OFF)

add_compile_options(-Wall -Wextra -Werror -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # spdlog/fmt headers trip this one in GCC 12 with false positives.
  add_compile_options(-Wno-stringop-overflow)
endif()
add_compile_definitions(_GNU_SOURCE)

if(SEE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

if(SEE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SEE_FUZZ requires clang (configure with CXX=clang++)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# see_fuzz_target(name SOURCES ... LIBS ... [CORPUS dir]): a libFuzzer binary, only in SEE_FUZZ
# builds. Its seed corpus (default: fuzz_corpus/ beside the sources) is listed in
# <build>/fuzz_targets.txt so scripts/test.sh can run every target without knowing them.
if(SEE_FUZZ)
  file(WRITE ${CMAKE_BINARY_DIR}/fuzz_targets.txt "")
endif()
function(see_fuzz_target name)
  cmake_parse_arguments(F "" "CORPUS" "SOURCES;LIBS" ${ARGN})
  if(SEE_FUZZ)
    add_executable(${name} ${F_SOURCES})
    target_link_libraries(${name} PRIVATE ${F_LIBS})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    if(NOT F_CORPUS)
      set(F_CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_corpus)
    endif()
    file(APPEND ${CMAKE_BINARY_DIR}/fuzz_targets.txt "${name} ${F_CORPUS}\n")
  endif()
endfunction()

# see_test(name SOURCES ... LIBS ... [LABELS ...]): a GoogleTest binary registered with CTest.
function(see_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  if(SEE_FUZZ)
    # Tests are not built in fuzz builds, but the target is still declared (EXCLUDE_FROM_ALL) so
    # target_compile_definitions() and friends on it in a CMakeLists.txt keep configuring.
    add_executable(${name} EXCLUDE_FROM_ALL ${T_SOURCES})
    return()
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gmock GTest::gtest_main)
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS "${T_LABELS}" DISCOVERY_TIMEOUT 30)
endfunction()
