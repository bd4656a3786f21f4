/* Path helpers (see path.h). */
#include "cli/path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *cli_path_join(const char *dir, const char *name)
{
    if (strcmp(dir, ".") == 0)
        return strdup(name);
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    while (*name == '/')
        name++;
    char *out = NULL;
    const char *sep = (n == 1 && dir[0] == '/') ? "" : "/";
    if (asprintf(&out, "%.*s%s%s", (int)n, dir, sep, name) < 0)
        return NULL;
    return out;
}

bool cli_path_is_under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    while (n > 0 && prefix[n - 1] == '/')
        n--;
    if (n == 0)
        return path[0] == '/';
    return strncmp(path, prefix, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

bool cli_path_has_dotdot(const char *path)
{
    for (const char *p = path; *p;) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return true;
        if (!e)
            break;
        p = e + 1;
    }
    return false;
}
