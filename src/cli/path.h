/* Path helpers of the command (internal to src/cli). */
#ifndef ONESPACE_CLI_PATH_H
#define ONESPACE_CLI_PATH_H

#include <stdbool.h>

/* "dir/name" without doubled slashes; "name" if dir is "."; malloc'ed
 * (NULL on allocation failure). */
char *cli_path_join(const char *dir, const char *name);

/* Whether guest path `path` is `prefix` or below it, component-wise
 * ("/bin" covers "/bin/ls", not "/binx/ls"; "/" covers everything). */
bool cli_path_is_under(const char *path, const char *prefix);

/* Whether `path` has a ".." component. */
bool cli_path_has_dotdot(const char *path);

#endif
