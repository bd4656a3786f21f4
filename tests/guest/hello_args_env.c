/* argv, envp, getenv, atexit and the exit code. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest_check.h"

extern char **environ;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void at_exit_handler(void)
{
    OUT("atexit ran");
}

int main(int argc, char **argv, char **envp)
{
    CHECK(argc >= 1 && argv[argc] == NULL, "argv not NULL-terminated");
    const char *base = strrchr(argv[0], '/');
    OUT("argv0 basename %s", base ? base + 1 : argv[0]);
    OUT("argc %d", argc);
    for (int i = 1; i < argc; i++)
        OUT("argv[%d] [%s]", i, argv[i]);

    CHECK(envp == environ, "envp != environ");
    int n = 0;
    while (envp[n])
        n++;
    char **sorted = malloc(sizeof(char *) * (size_t)(n + 1));
    CHECK(sorted != NULL, "malloc");
    memcpy(sorted, envp, sizeof(char *) * (size_t)n);
    qsort(sorted, (size_t)n, sizeof(char *), cmp_str);
    OUT("envc %d", n);
    for (int i = 0; i < n; i++)
        OUT("env %s", sorted[i]);
    free(sorted);

    const char *t = getenv("GUEST_TEST");
    CHECK(t != NULL && strcmp(t, "onespace-guest") == 0, "GUEST_TEST=%s", t ? t : "(unset)");
    CHECK(getenv("NO_SUCH_VARIABLE_HERE") == NULL, "unexpected variable");
    CHECK(setenv("ADDED", "1", 1) == 0 && strcmp(getenv("ADDED"), "1") == 0, "setenv");
    OUT("getenv GUEST_TEST=%s", t);

    CHECK(atexit(at_exit_handler) == 0, "atexit");
    return 0;
}
