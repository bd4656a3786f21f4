# Build helpers shared by every folder. Conventions (see docs/building.md):
#  - src/<sub>/*.c and *.S form library os_<sub>[-variant];
#  - tests/unit/<sub>/test_*.c are one test each (label <sub>), linked with
#    os_<sub> and the folder's other .c files (shared test helpers);
#    tests whose name contains "concurrent" or "stress" also get a tsan build;
#  - bench/<name>/*.c form one benchmark executable bench_<name>.

set(ONESPACE_FLAGS_plain "")
set(ONESPACE_FLAGS_asan  -fsanitize=address,undefined -fno-sanitize-recover=all
                         -fno-omit-frame-pointer -O1)
set(ONESPACE_FLAGS_tsan  -fsanitize=thread -fno-omit-frame-pointer -O1)

function(onespace_suffix variant out)
  if(variant STREQUAL "plain")
    set(${out} "" PARENT_SCOPE)
  else()
    set(${out} "-${variant}" PARENT_SCOPE)
  endif()
endfunction()

function(onespace_apply_variant target variant)
  target_compile_options(${target} PRIVATE ${ONESPACE_FLAGS_${variant}})
  target_link_options(${target} PRIVATE ${ONESPACE_FLAGS_${variant}})
endfunction()

# onespace_library(<sub> DEPS <sub>...): one library per variant.
function(onespace_library sub)
  cmake_parse_arguments(A "" "" "DEPS;LIBS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${sub}/*.c
                                   ${CMAKE_CURRENT_SOURCE_DIR}/${sub}/*.S)
  if(NOT srcs)
    return()
  endif()
  foreach(v ${ONESPACE_VARIANTS})
    onespace_suffix(${v} sfx)
    add_library(os_${sub}${sfx} STATIC ${srcs})
    target_include_directories(os_${sub}${sfx} PUBLIC
      ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/include)
    onespace_apply_variant(os_${sub}${sfx} ${v})
    foreach(d ${A_DEPS})
      if(TARGET os_${d}${sfx})
        target_link_libraries(os_${sub}${sfx} PUBLIC os_${d}${sfx})
      endif()
    endforeach()
    target_link_libraries(os_${sub}${sfx} PUBLIC Threads::Threads ${A_LIBS})
  endforeach()
  set_property(GLOBAL APPEND PROPERTY ONESPACE_SUBSYSTEMS ${sub})
endfunction()

# Every test_*.c under tests/unit/<sub>/ becomes test <sub>.<name>[.variant].
function(onespace_unit_tests sub)
  file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${sub}/test_*.c)
  file(GLOB all CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${sub}/*.c)
  set(helpers ${all})
  if(tests)
    list(REMOVE_ITEM helpers ${tests})
  endif()
  foreach(t ${tests})
    get_filename_component(name ${t} NAME_WE)
    string(REGEX REPLACE "^test_" "" short ${name})
    foreach(v ${ONESPACE_VARIANTS})
      if(v STREQUAL "tsan" AND NOT short MATCHES "concurrent|stress")
        continue()
      endif()
      onespace_suffix(${v} sfx)
      if(NOT TARGET os_${sub}${sfx})
        continue()
      endif()
      set(exe ${name}${sfx})
      add_executable(${exe} ${t} ${helpers})
      onespace_apply_variant(${exe} ${v})
      target_include_directories(${exe} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/${sub})
      target_link_libraries(${exe} PRIVATE os_${sub}${sfx} PkgConfig::CMOCKA)
      set(tname ${sub}.${short})
      if(NOT v STREQUAL "plain")
        set(tname ${tname}.${v})
      endif()
      add_test(NAME ${tname} COMMAND ${exe})
      set(labels ${sub} ${v})
      if(short MATCHES "stress|soak")
        list(APPEND labels slow)
      endif()
      set_tests_properties(${tname} PROPERTIES LABELS "${labels}"
        ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0;UBSAN_OPTIONS=print_stacktrace=1;TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1")
    endforeach()
  endforeach()
endfunction()
