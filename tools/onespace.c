/* The `onespace` command: everything is in src/cli (cli_main). */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "entry/runtime.h"

int main(int argc, char **argv)
{
    struct cli_host_env env = {
        .log = getenv("ONESPACE_LOG"),
        .trace = getenv("ONESPACE_TRACE"),
        .fast_path = getenv("ONESPACE_FAST_PATH"),
        .stats = getenv("ONESPACE_STATS"),
        .watchdog = getenv("ONESPACE_WATCHDOG"),
    };
    return cli_main(argc, argv, &env, runtime_run, stdout, stderr);
}
