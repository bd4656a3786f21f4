/* Delta debugging (ddmin, complements only) of a failing call sequence. */
#include "vmt_minimize.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void vmt_replay_in_child(vmt_replay_fn replay, void *arg, const struct vmt_call *calls,
                         size_t n, char *sig, size_t siglen)
{
    int fds[2];
    fflush(stdout);
    fflush(stderr);
    if (pipe(fds)) {
        snprintf(sig, siglen, "pipe failed");
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigaction(SIGSEGV, &sa, NULL);
        sigaction(SIGBUS, &sa, NULL);
        char s[512] = "pass";
        if (replay(arg, calls, n, s, sizeof(s)) == 0)
            snprintf(s, sizeof(s), "pass");
        ssize_t w = write(fds[1], s, strlen(s) + 1);
        _exit(w > 0 ? 0 : 1);
    }
    close(fds[1]);
    char buf[512];
    ssize_t got = read(fds[0], buf, sizeof(buf) - 1);
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        snprintf(sig, siglen, "crash:%d", WTERMSIG(status));
    else if (got <= 0)
        snprintf(sig, siglen, "no answer (exit %d)", WEXITSTATUS(status));
    else {
        buf[got] = 0;
        snprintf(sig, siglen, "%s", buf);
    }
}

static bool still_fails(vmt_replay_fn replay, void *arg, const struct vmt_call *calls,
                        size_t n, const char *want)
{
    char sig[512];
    vmt_replay_in_child(replay, arg, calls, n, sig, sizeof(sig));
    return strcmp(sig, want) == 0;
}

void vmt_minimize(vmt_replay_fn replay, void *arg, struct vmt_call *calls, size_t *n,
                  const char *sig)
{
    struct vmt_call *tmp = malloc(*n * sizeof(*tmp));
    size_t parts = 2, tries = 0;
    while (*n >= 2 && tmp) {
        bool reduced = false;
        size_t len = *n;
        for (size_t i = 0; i < parts && !reduced; i++) {
            size_t lo = len * i / parts, hi = len * (i + 1) / parts, m = 0;
            for (size_t k = 0; k < len; k++)
                if (k < lo || k >= hi)
                    tmp[m++] = calls[k];
            tries++;
            if (m < len && still_fails(replay, arg, tmp, m, sig)) {
                memcpy(calls, tmp, m * sizeof(*tmp));
                *n = m;
                parts = parts > 2 ? parts - 1 : 2;
                reduced = true;
            }
        }
        if (!reduced) {
            if (parts >= len)
                break;
            parts = parts * 2 < len ? parts * 2 : len;
        }
    }
    fprintf(stderr, "[vm minimize] %zu calls left after %zu tries\n", *n, tries);
    free(tmp);
}
