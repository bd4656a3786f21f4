# Test programs for tests/unit/loader (included by tests/unit/CMakeLists.txt
# after the test targets exist). Built at build time from fixtures/hello.c:
#   glibc_static_pie  gcc -static-pie -O2
#   musl_static_pie   musl-gcc -c, linked with musl's rcrt1.o (Debian's
#                     musl-gcc ignores -static-pie and adds a PT_INTERP)
#   musl_dynamic_pie  musl-gcc -fPIE -pie (PT_INTERP /lib/ld-musl-x86_64.so.1)
# The tests get the folder as LOADER_FIXTURE_DIR and skip musl cases when
# LOADER_HAVE_MUSL is 0.
set(_fx_src ${CMAKE_CURRENT_SOURCE_DIR}/loader/fixtures/hello.c)
set(_fx_dir ${CMAKE_CURRENT_BINARY_DIR}/loader_fixtures)
file(MAKE_DIRECTORY ${_fx_dir})
find_program(ONESPACE_HOST_GCC NAMES gcc x86_64-linux-gnu-gcc)
find_program(ONESPACE_MUSL_GCC musl-gcc)
find_path(ONESPACE_MUSL_LIBDIR rcrt1.o PATHS /usr/lib/x86_64-linux-musl
          /usr/lib/musl/lib /usr/local/musl/lib NO_DEFAULT_PATH)

set(_fx_outputs ${_fx_dir}/glibc_static_pie)
add_custom_command(OUTPUT ${_fx_dir}/glibc_static_pie
  COMMAND ${ONESPACE_HOST_GCC} -static-pie -O2 -o ${_fx_dir}/glibc_static_pie ${_fx_src}
  DEPENDS ${_fx_src} VERBATIM)

set(_fx_musl 0)
if(ONESPACE_MUSL_GCC AND ONESPACE_MUSL_LIBDIR)
  set(_fx_musl 1)
  set(_m ${ONESPACE_MUSL_LIBDIR})
  execute_process(COMMAND ${ONESPACE_HOST_GCC} -print-libgcc-file-name
                  OUTPUT_VARIABLE _fx_libgcc OUTPUT_STRIP_TRAILING_WHITESPACE)
  add_custom_command(OUTPUT ${_fx_dir}/musl_static_pie
    COMMAND ${ONESPACE_MUSL_GCC} -O2 -fPIE -c -o ${_fx_dir}/hello_musl.o ${_fx_src}
    COMMAND ${ONESPACE_HOST_GCC} -static-pie -nostdlib -o ${_fx_dir}/musl_static_pie
            ${_m}/rcrt1.o ${_m}/crti.o ${_fx_dir}/hello_musl.o ${_m}/libc.a
            ${_fx_libgcc} ${_m}/crtn.o
    DEPENDS ${_fx_src} VERBATIM)
  add_custom_command(OUTPUT ${_fx_dir}/musl_dynamic_pie
    COMMAND ${ONESPACE_MUSL_GCC} -O2 -fPIE -pie -o ${_fx_dir}/musl_dynamic_pie ${_fx_src}
    DEPENDS ${_fx_src} VERBATIM)
  list(APPEND _fx_outputs ${_fx_dir}/musl_static_pie ${_fx_dir}/musl_dynamic_pie)
endif()
add_custom_target(loader_fixtures ALL DEPENDS ${_fx_outputs})

file(GLOB _fx_tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/loader/test_*.c)
foreach(t ${_fx_tests})
  get_filename_component(name ${t} NAME_WE)
  foreach(v ${ONESPACE_VARIANTS})
    onespace_suffix(${v} sfx)
    if(TARGET ${name}${sfx})
      add_dependencies(${name}${sfx} loader_fixtures)
      target_compile_definitions(${name}${sfx} PRIVATE
        LOADER_FIXTURE_DIR="${_fx_dir}" LOADER_HAVE_MUSL=${_fx_musl})
    endif()
  endforeach()
endforeach()
