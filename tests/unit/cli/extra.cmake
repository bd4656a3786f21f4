# Tests that run the built `onespace` command (included from
# tests/unit/CMakeLists.txt). The command is built when the plain variant
# is (tools/CMakeLists.txt); the target is defined later, which a generator
# expression allows.
if("plain" IN_LIST ONESPACE_VARIANTS AND TARGET os_cli
   AND EXISTS ${PROJECT_SOURCE_DIR}/tools/onespace.c)
  set(_cli_dir ${CMAKE_CURRENT_LIST_DIR})
  set(_os $<TARGET_FILE:onespace>)
  # name|exit status|stream|regex|arguments (space-separated)
  set(_cli_cases
    "no_command|2|stderr|^onespace: missing command"
    "unknown_command|2|stderr|^onespace: unknown command 'frob'|frob"
    "unknown_option|2|stderr|^onespace: unknown option '--frob'|--frob"
    "run_unknown_option|2|stderr|^onespace: run: unknown option '--bogus'|run --bogus /bin/x"
    "run_missing_program|2|stderr|^onespace: run: missing the program to run|run -C ."
    "run_missing_dir|2|stderr|^onespace: run: -C needs a directory|run -C"
    "run_missing_root|2|stderr|^onespace: run: --root needs a host directory|run --root"
    "run_both_dir_and_root|2|stderr|^onespace: run: -C and --root cannot be used together|run -C a --root b /bin/x"
    "run_bad_env|2|stderr|^onespace: run: --env expects NAME=VALUE, got 'X'|run --env X /bin/x"
    "init_missing_dir|2|stderr|^onespace: init: missing DIR|init"
    "init_extra_arg|2|stderr|^onespace: init: unexpected argument 'b'|init a b"
    "help_unknown|2|stderr|^onespace: help: unknown command 'x'|help x"
    "run_no_instance|1|stderr|^onespace: .*onespace.json: no such file|run -C ${CMAKE_CURRENT_BINARY_DIR}/no-such-instance /bin/x"
    "run_root_missing|1|stderr|^onespace: run: --root /no/such/dir: No such file or directory|run --root /no/such/dir x"
    "help|0|stdout|^Usage: onespace COMMAND|--help"
    "run_help|0|stdout|^Usage: onespace run|run --help"
    "init_help|0|stdout|^Usage: onespace init DIR|init --help"
    "version|0|stdout|^onespace [0-9]+\\.[0-9]+|--version"
  )
  foreach(_case ${_cli_cases})
    string(REPLACE "|" ";" _f "${_case}")
    list(GET _f 0 _name)
    list(GET _f 1 _status)
    list(GET _f 2 _stream)
    list(GET _f 3 _regex)
    list(LENGTH _f _n)
    set(_args "")
    if(_n GREATER 4)
      list(GET _f 4 _argstr)
      separate_arguments(_args UNIX_COMMAND "${_argstr}")
    endif()
    add_test(NAME cli.command.${_name}
             COMMAND sh ${_cli_dir}/expect.sh ${_status} ${_stream} "${_regex}" ${_os} ${_args})
    set_tests_properties(cli.command.${_name} PROPERTIES LABELS "cli;plain")
  endforeach()
  add_test(NAME cli.command.bad_env_var
           COMMAND ${CMAKE_COMMAND} -E env ONESPACE_LOG=loud
                   sh ${_cli_dir}/expect.sh 2 stderr "^onespace: ONESPACE_LOG=loud: expected"
                   ${_os} --version)
  add_test(NAME cli.command.init_run
           COMMAND sh ${_cli_dir}/init_run.sh ${_os} ${CMAKE_CURRENT_BINARY_DIR}/cli-init-run)
  set_tests_properties(cli.command.bad_env_var cli.command.init_run PROPERTIES LABELS "cli;plain")
endif()
