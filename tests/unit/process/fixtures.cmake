# The process tests load the loader's test programs (loader/fixtures.cmake,
# included before this file): same folder, same build step.
file(GLOB _px_tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/process/test_*.c)
foreach(t ${_px_tests})
  get_filename_component(name ${t} NAME_WE)
  foreach(v ${ONESPACE_VARIANTS})
    onespace_suffix(${v} sfx)
    if(TARGET ${name}${sfx})
      add_dependencies(${name}${sfx} loader_fixtures)
      target_compile_definitions(${name}${sfx} PRIVATE
        PROCESS_FIXTURE_DIR="${_fx_dir}")
    endif()
  endforeach()
endforeach()
