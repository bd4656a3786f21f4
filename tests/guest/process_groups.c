/* Process groups and sessions. The work runs in a child that starts a
 * session of its own (setsid), so kill(0, ...) reaches nothing outside
 * the test, natively or not. In it: setsid/getsid/getpgid, groups made by
 * posix_spawn (POSIX_SPAWN_SETPGROUP), kill(-pgid) reaching every member
 * and nobody else, kill(0, sig) reaching the caller's whole group (the
 * caller included), waitpid(-pgid) and waitpid(0), ESRCH for an empty
 * group.
 *
 * Members start with SIGUSR1 and SIGUSR2 blocked (POSIX_SPAWN_SETSIGMASK),
 * take the first one with sigwaitinfo and exit with its number, plus 100
 * if the other one is pending too. */
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_check.h"

extern char **environ;

static sigset_t usr_set(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGUSR2);
    return s;
}

/* Role "try": setpgid into an existing group of the session (our
 * parent's), then into one that does not exist. Exit code: 1 if the
 * first worked, +2 if the second failed with EPERM. */
static int try_setpgid(void)
{
    int r = 0;
    if (setpgid(0, getpgid(getppid())) == 0 && getpgrp() == getppid())
        r |= 1;
    if (setpgid(0, 999999) < 0 && errno == EPERM)
        r |= 2;
    return r;
}

static int member(void)
{
    sigset_t s = usr_set(), pend;
    siginfo_t si;
    int sig = sigwaitinfo(&s, &si);
    if (sig <= 0)
        return 1;
    if (sigpending(&pend))
        return 2;
    int other = sig == SIGUSR1 ? SIGUSR2 : SIGUSR1;
    return sig + (sigismember(&pend, other) ? 100 : 0);
}

/* pgroup: -1 stay in the parent's group, 0 a new one, > 0 join it. */
static pid_t spawn_member(const char *self, pid_t pgroup)
{
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    sigset_t s = usr_set();
    short flags = POSIX_SPAWN_SETSIGMASK;
    posix_spawnattr_setsigmask(&at, &s);
    if (pgroup >= 0) {
        flags |= POSIX_SPAWN_SETPGROUP;
        posix_spawnattr_setpgroup(&at, pgroup);
    }
    posix_spawnattr_setflags(&at, flags);
    char *argv[] = { (char *)self, "member", NULL };
    pid_t pid;
    int err = posix_spawn(&pid, self, NULL, &at, argv, environ);
    posix_spawnattr_destroy(&at);
    CHECK(err == 0, "posix_spawn: %s", strerror(err));
    return pid;
}

static int code(int st)
{
    return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? -WTERMSIG(st) : -1000;
}

static int session(const char *self)
{
    pid_t me = getpid();
    pid_t sid = setsid();
    CHECK(sid == me, "setsid returned %d", (int)sid);
    OUT("setsid: sid is the caller %d, getsid %d, getpgid %d, getpgrp %d", sid == me,
        getsid(0) == me, getpgid(0) == me, getpgrp() == me);
    CHECK_ERR(setsid(), EPERM);
    OUT("second setsid: EPERM");

    /* Same group as us: a, b. Their own group: x (leader) and y. */
    pid_t a = spawn_member(self, -1);
    pid_t b = spawn_member(self, -1);
    pid_t x = spawn_member(self, 0);
    pid_t y = spawn_member(self, x);
    OUT("a, b in our group: %d %d", getpgid(a) == me, getpgid(b) == me);
    OUT("x leads its group: %d, y in it: %d", getpgid(x) == x, getpgid(y) == x);
    OUT("all in our session: %d", getsid(a) == me && getsid(b) == me && getsid(x) == me &&
                                      getsid(y) == me);
    /* posix_spawn returns after the child's execve: too late to move it. */
    CHECK_ERR(setpgid(a, a), EACCES);
    OUT("setpgid of a child that has exec'd: EACCES");
    CHECK_ERR(setpgid(getppid(), 0), ESRCH);
    OUT("setpgid of a process that is not our child: ESRCH");
    {
        pid_t t = spawn_member(self, 0);
        char *targv[] = { (char *)self, "try", NULL };
        pid_t tr;
        int err = posix_spawn(&tr, self, NULL, NULL, targv, environ);
        CHECK(err == 0, "posix_spawn: %s", strerror(err));
        int st;
        CHECK(waitpid(tr, &st, 0) == tr, "waitpid try");
        OUT("setpgid into our group %d, into a group that does not exist EPERM %d",
            code(st) & 1, (code(st) & 2) >> 1);
        CHECK(kill(t, SIGUSR1) == 0, "kill t");
        CHECK(waitpid(t, &st, 0) == t, "waitpid t");
        OUT("getpgid of a reaped child: ESRCH %d", getpgid(t) < 0 && errno == ESRCH);
    }

    CHECK(kill(-x, SIGUSR2) == 0, "kill(-x)");
    int st, got_x = 0, got_y = 0;
    for (int i = 0; i < 2; i++) {
        pid_t w = waitpid(-x, &st, 0);
        CHECK(w == x || w == y, "waitpid(-x) -> %d", (int)w);
        *(w == x ? &got_x : &got_y) = code(st);
    }
    OUT("kill(-x, SIGUSR2): x exit %d, y exit %d", got_x, got_y);
    CHECK_ERR(waitpid(-x, &st, WNOHANG), ECHILD);
    OUT("waitpid(-x) then: ECHILD (a and b are not in that group)");
    CHECK_ERR(kill(-x, SIGUSR2), ESRCH);
    OUT("kill(-x) of the emptied group: ESRCH");

    /* kill(0): our group, us included. */
    sigset_t s = usr_set(), pend;
    CHECK(sigprocmask(SIG_BLOCK, &s, NULL) == 0, "sigprocmask");
    CHECK(kill(0, SIGUSR1) == 0, "kill(0)");
    int got_a = 0, got_b = 0;
    for (int i = 0; i < 2; i++) {
        pid_t w = waitpid(0, &st, 0);
        CHECK(w == a || w == b, "waitpid(0) -> %d", (int)w);
        *(w == a ? &got_a : &got_b) = code(st);
    }
    OUT("kill(0, SIGUSR1): a exit %d, b exit %d", got_a, got_b);
    CHECK(sigpending(&pend) == 0, "sigpending");
    OUT("kill(0) reached the caller: %d", sigismember(&pend, SIGUSR1));
    CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "member"))
        return member();
    if (argc > 1 && !strcmp(argv[1], "try"))
        return try_setpgid();
    if (argc > 1 && !strcmp(argv[1], "session"))
        return session(argv[0]);
    /* A group leader cannot setsid: the session runs in a child. */
    char *cargv[] = { argv[0], "session", NULL };
    pid_t pid;
    int err = posix_spawn(&pid, argv[0], NULL, NULL, cargv, environ);
    CHECK(err == 0, "posix_spawn: %s", strerror(err));
    int st;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
    OUT("session child: exit %d", code(st));
    return 0;
}
