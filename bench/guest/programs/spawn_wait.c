/* spawn_wait_empty: posix_spawn of an empty static-PIE program, then
 * waitpid for it.  Usage: spawn_wait N PATH (PATH is the empty program as
 * this process sees it: a host path natively, /bin/... inside onespace). */
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>

#include "gbench.h"

extern char **environ;

static void one(const char *path)
{
    char *av[] = { (char *)path, NULL };
    pid_t pid;
    int st;
    int r = posix_spawn(&pid, path, NULL, NULL, av, environ);
    if (r != 0) {
        fprintf(stderr, "posix_spawn %s: %s\n", path, strerror(r));
        exit(1);
    }
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        gb_fail("waitpid");
}

int main(int argc, char **argv)
{
    if (argc < 3)
        gb_fail("usage: spawn_wait N PATH;");
    long n = gb_count(argc, argv, 1, 5000);
    for (int i = 0; i < 5; i++)
        one(argv[2]);
    double t0 = gb_now_ns();
    for (long i = 0; i < n; i++)
        one(argv[2]);
    double t1 = gb_now_ns();
    gb_report("ns_per_op", (t1 - t0) / (double)n);
    return 0;
}
