/* Two processes joined by two pipes: the program spawns itself (argv[0])
 * with a role argument; the child reads the parent's pipe on its fd 0 and
 * answers on its fd 1 (posix_spawn dup2 file actions). */
#ifndef PIPE_PROC_H
#define PIPE_PROC_H

#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gbench.h"

extern char **environ;

struct peer {
    pid_t pid;
    int to_child;       /* parent writes here */
    int from_child;     /* parent reads here */
};

static inline struct peer peer_spawn(const char *self, char *role, char *arg)
{
    int down[2], up[2];
    if (pipe2(down, O_CLOEXEC) != 0 || pipe2(up, O_CLOEXEC) != 0)
        gb_fail("pipe2");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, down[0], 0);
    posix_spawn_file_actions_adddup2(&fa, up[1], 1);
    char *av[] = { (char *)self, role, arg, NULL };
    struct peer p;
    int r = posix_spawn(&p.pid, self, &fa, NULL, av, environ);
    if (r != 0) {
        fprintf(stderr, "posix_spawn %s: %s\n", self, strerror(r));
        exit(1);
    }
    posix_spawn_file_actions_destroy(&fa);
    close(down[0]);
    close(up[1]);
    p.to_child = down[1];
    p.from_child = up[0];
    return p;
}

/* Close our ends (the child sees EOF) and reap it. */
static inline void peer_finish(struct peer *p)
{
    int st;
    close(p->to_child);
    close(p->from_child);
    if (waitpid(p->pid, &st, 0) != p->pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        gb_fail("child");
}

#endif
