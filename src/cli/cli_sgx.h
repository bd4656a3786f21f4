/* `onespace sgx ...` / `onespace quote verify` (see cmd_sgx.c). */
#ifndef ONESPACE_CLI_CLI_SGX_H
#define ONESPACE_CLI_CLI_SGX_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/cli.h"

/* argv[1] is "sgx" or "quote". Returns the command's exit status. */
int cli_sgx_main(int argc, char **argv, FILE *out, FILE *errf);

#endif
