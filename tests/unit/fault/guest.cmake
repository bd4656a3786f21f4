# Guest-level fault injection (included by tests/unit/CMakeLists.txt):
# guest/fault_guest.c, a static-PIE program, runs inside the built
# `onespace` with ONESPACE_FAULT set. onespace only (no native oracle: the
# fault is onespace's), as ctests fault.guest_<case> (label fault).
if("plain" IN_LIST ONESPACE_VARIANTS AND TARGET os_cli
   AND EXISTS ${PROJECT_SOURCE_DIR}/tools/onespace.c)
  find_program(_fg_gcc NAMES gcc)
  set(_fg_src ${CMAKE_CURRENT_SOURCE_DIR}/fault/guest/fault_guest.c)
  set(_fg_out ${CMAKE_CURRENT_BINARY_DIR}/fault_guest)
  add_custom_command(OUTPUT ${_fg_out}
    COMMAND ${_fg_gcc} -static-pie -O2 -pthread -Wall -Wextra -Werror -o ${_fg_out} ${_fg_src}
    DEPENDS ${_fg_src} COMMENT "guest fault_guest (static-PIE)" VERBATIM)
  add_custom_target(fault_guest ALL DEPENDS ${_fg_out})
  set(_fg_run ${CMAKE_CURRENT_SOURCE_DIR}/fault/guest/run_fault_guest.sh)
  add_test(NAME fault.guest_thread_create
    COMMAND ${_fg_run} $<TARGET_FILE:onespace> ${_fg_out} thread_create:2 thread
            "^second thread ran")
  add_test(NAME fault.guest_file_write
    COMMAND ${_fg_run} $<TARGET_FILE:onespace> ${_fg_out} file_write:2:EIO write
            "file \"abcdef\"")
  set_tests_properties(fault.guest_thread_create fault.guest_file_write
    PROPERTIES LABELS "fault;plain" TIMEOUT 60)
endif()
