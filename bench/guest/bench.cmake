# bench_guest: guest programs (bench/guest/programs/*.c, static-PIE) run
# natively and inside `onespace run` by the driver bench_guest.c, which
# prints the `bench:` lines. Included by bench/CMakeLists.txt (in bench/'s
# scope). See docs/benchmarks.md.
#
# The programs are guests, not onespace code: built with add_custom_command,
# always with gcc and their own flags, like tests/guest/ (docs/guest-tests.md).

set(BG_SRC ${CMAKE_CURRENT_LIST_DIR}/programs)
set(BG_OUT ${CMAKE_CURRENT_BINARY_DIR}/guest_programs)
set(BG_PROGRAMS empty getpid mmap_munmap pipe_pingpong pipe_throughput
    spawn_wait thread_create_join epoll_server)
set(BG_MUSL_PROGRAMS getpid)              # also built with musl (`_musl` figures)
set(BG_HEADERS ${BG_SRC}/gbench.h ${BG_SRC}/pipe_proc.h)
set(BG_CFLAGS -O2 -pthread -Wall -Wextra -Werror -D_GNU_SOURCE)
set(BG_CHECK_PIE ${PROJECT_SOURCE_DIR}/tests/guest/check_static_pie.sh)

find_program(BG_GCC NAMES gcc REQUIRED)
find_program(BG_MUSL_GCC NAMES musl-gcc)
find_path(BG_MUSL_LIBDIR rcrt1.o
  PATHS /usr/lib/musl/lib /usr/lib/x86_64-linux-musl /usr/local/musl/lib
  NO_DEFAULT_PATH)
set(BG_HAVE_MUSL 0)
if(BG_MUSL_GCC AND BG_MUSL_LIBDIR)
  set(BG_HAVE_MUSL 1)
  execute_process(COMMAND ${BG_GCC} -print-file-name=crtbeginS.o
    OUTPUT_VARIABLE BG_CRTBEGIN OUTPUT_STRIP_TRAILING_WHITESPACE)
  execute_process(COMMAND ${BG_GCC} -print-file-name=crtendS.o
    OUTPUT_VARIABLE BG_CRTEND OUTPUT_STRIP_TRAILING_WHITESPACE)
  execute_process(COMMAND ${BG_GCC} -print-libgcc-file-name
    OUTPUT_VARIABLE BG_LIBGCC OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()

set(BG_OUTPUTS)
foreach(name IN LISTS BG_PROGRAMS)
  set(out ${BG_OUT}/${name})
  add_custom_command(OUTPUT ${out}.glibc
    COMMAND ${CMAKE_COMMAND} -E make_directory ${BG_OUT}
    COMMAND ${BG_GCC} -static-pie ${BG_CFLAGS} -o ${out}.glibc ${BG_SRC}/${name}.c
    COMMAND ${BG_CHECK_PIE} ${out}.glibc
    DEPENDS ${BG_SRC}/${name}.c ${BG_HEADERS} ${BG_CHECK_PIE}
    COMMENT "bench guest ${name}.glibc (static-PIE)" VERBATIM)
  list(APPEND BG_OUTPUTS ${out}.glibc)
  if(BG_HAVE_MUSL AND name IN_LIST BG_MUSL_PROGRAMS)
    set(m ${BG_MUSL_LIBDIR})
    add_custom_command(OUTPUT ${out}.musl
      COMMAND ${CMAKE_COMMAND} -E make_directory ${BG_OUT}
      COMMAND ${BG_MUSL_GCC} -fPIE ${BG_CFLAGS} -c -o ${out}.musl.o ${BG_SRC}/${name}.c
      COMMAND ${BG_GCC} -nostdlib -static-pie -o ${out}.musl
              ${m}/rcrt1.o ${m}/crti.o ${BG_CRTBEGIN} ${out}.musl.o
              ${m}/libc.a ${BG_LIBGCC} ${BG_CRTEND} ${m}/crtn.o
      COMMAND ${BG_CHECK_PIE} ${out}.musl
      BYPRODUCTS ${out}.musl.o
      DEPENDS ${BG_SRC}/${name}.c ${BG_HEADERS} ${BG_CHECK_PIE}
      COMMENT "bench guest ${name}.musl (static-PIE)" VERBATIM)
    list(APPEND BG_OUTPUTS ${out}.musl)
  endif()
endforeach()
add_custom_target(bench_guest_programs ALL DEPENDS ${BG_OUTPUTS})

# The driver needs the `onespace` command, and tools/ is added after bench/:
# decide at the end of the top directory (as tests/guest/ does).
set_property(GLOBAL PROPERTY ONESPACE_BG_DRIVER ${CMAKE_CURRENT_LIST_DIR}/bench_guest.c)
set_property(GLOBAL PROPERTY ONESPACE_BG_OUT ${BG_OUT})
set_property(GLOBAL PROPERTY ONESPACE_BG_BINDIR ${CMAKE_CURRENT_BINARY_DIR})
set_property(GLOBAL PROPERTY ONESPACE_BG_INCLUDE ${CMAKE_CURRENT_SOURCE_DIR})
set_property(GLOBAL PROPERTY ONESPACE_BG_MUSL ${BG_HAVE_MUSL})

function(onespace_bench_guest_driver)
  if(NOT TARGET onespace)
    message(STATUS "bench_guest: no `onespace` target; not built")
    return()
  endif()
  get_property(src GLOBAL PROPERTY ONESPACE_BG_DRIVER)
  get_property(out GLOBAL PROPERTY ONESPACE_BG_OUT)
  get_property(bindir GLOBAL PROPERTY ONESPACE_BG_BINDIR)
  get_property(inc GLOBAL PROPERTY ONESPACE_BG_INCLUDE)
  get_property(musl GLOBAL PROPERTY ONESPACE_BG_MUSL)
  add_executable(bench_guest ${src})
  set_target_properties(bench_guest PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${bindir})
  target_include_directories(bench_guest PRIVATE ${inc})
  target_compile_options(bench_guest PRIVATE -O2)
  target_compile_definitions(bench_guest PRIVATE
    BENCH_GUEST_DIR="${out}"
    BENCH_ONESPACE="$<TARGET_FILE:onespace>"
    BENCH_GUEST_MUSL=${musl})
  add_dependencies(bench_guest bench_guest_programs onespace)
  # Smoke test: every guest program runs both ways (exit 1 otherwise); it
  # reports times but asserts nothing about them.
  add_test(NAME bench.guest_smoke COMMAND bench_guest)
  set_tests_properties(bench.guest_smoke PROPERTIES LABELS "bench;guest"
    ENVIRONMENT BENCH_SCALE=0.01 TIMEOUT 300)
endfunction()
cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR}
               CALL onespace_bench_guest_driver)
