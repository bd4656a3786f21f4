/* Orphans and PR_SET_CHILD_SUBREAPER. This process is a subreaper, so
 * the output does not depend on the init it runs under. A middle child
 * spawns grandchildren and exits:
 *   - a live grandchild is reparented here: its getppid() is our pid, we
 *     can wait for it, and its exit brings us SIGCHLD;
 *   - a grandchild that is already a zombie when the middle exits is
 *     reparented too: SIGCHLD, and wait reaps it;
 *   - a stopped grandchild whose group the middle's exit orphans (the
 *     middle made a session of its own) gets SIGHUP + SIGCONT and dies;
 *   - with SIGCHLD ignored here, such a zombie is reaped at once (wait
 *     gives ECHILD), as Linux does.
 * Roles by argv; pids travel over pipes as text. */
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_check.h"

extern char **environ;

static pid_t spawn(const char *self, const char *role, int in, int out)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (in >= 0)
        posix_spawn_file_actions_adddup2(&fa, in, 0);
    if (out >= 0)
        posix_spawn_file_actions_adddup2(&fa, out, 1);
    /* Children start with SIGCHLD at its default and unblocked (ours may
     * be ignored or blocked). */
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    sigset_t none, chld;
    sigemptyset(&none);
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &chld);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    char *argv[] = { (char *)self, (char *)role, NULL };
    pid_t pid;
    int err = posix_spawn(&pid, self, &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    CHECK(err == 0, "posix_spawn %s: %s", role, strerror(err));
    return pid;
}

static void put_num(int fd, long v)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%ld\n", v);
    CHECK(write(fd, buf, (size_t)n) == n, "write");
}

static long get_num(int fd)
{
    char buf[32];
    size_t n = 0;
    while (n < sizeof(buf) - 1) {
        ssize_t r = read(fd, buf + n, 1);
        CHECK(r == 1, "read number");
        if (buf[n] == '\n')
            break;
        n++;
    }
    buf[n] = 0;
    return atol(buf);
}

/* Grandchild "live": waits for a byte on fd 0, reports getppid() on
 * fd 1, exits 5. */
static int live(void)
{
    char c;
    if (read(0, &c, 1) != 1)
        return 1;
    put_num(1, getppid());
    return 5;
}

/* Middle "middle_live": spawns a live grandchild (same fds), reports its
 * pid on fd 1, exits 0 without waiting for it. */
static int middle_live(const char *self)
{
    pid_t gc = spawn(self, "live", -1, -1);
    put_num(1, gc);
    return 0;
}

/* Middle "middle_zombie": spawns a grandchild that exits 6 at once,
 * waits until it is a zombie (WNOWAIT: not reaped), reports its pid,
 * exits 0. */
static int middle_zombie(const char *self)
{
    pid_t gc = spawn(self, "quick", -1, -1);
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    if (waitid(P_PID, gc, &si, WEXITED | WNOWAIT) != 0 || si.si_pid != gc)
        return 1;
    put_num(1, gc);
    return 0;
}

/* Role "stopper": a group of its own, stops itself; exits 7 if it ever
 * runs again. */
static int stopper(void)
{
    if (setpgid(0, 0))
        return 1;
    raise(SIGSTOP);
    return 7;
}

/* Middle "middle_session": a session of its own; spawns a stopper, waits
 * until it is stopped, reports its pid, exits. The stopper's group then
 * has no link out of its session: an orphaned group with a stopped
 * member, which gets SIGHUP and SIGCONT (POSIX, Linux). */
static int middle_session(const char *self)
{
    if (setsid() < 0)
        return 1;
    pid_t c = spawn(self, "stopper", -1, -1);
    int st;
    if (waitpid(c, &st, WUNTRACED) != c || !WIFSTOPPED(st))
        return 2;
    put_num(1, c);
    return 0;
}

static void take_sigchld(const char *what)
{
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    CHECK(sigpending(&pend) == 0, "sigpending");
    OUT("%s: SIGCHLD pending %d", what, sigismember(&pend, SIGCHLD));
    if (sigismember(&pend, SIGCHLD)) {
        siginfo_t si;
        CHECK(sigwaitinfo(&set, &si) == SIGCHLD, "sigwaitinfo");
    }
}

static void on_chld(int sig)
{
    (void)sig;
}

int main(int argc, char **argv)
{
    const char *self = argv[0];
    if (argc > 1) {
        if (!strcmp(argv[1], "live"))
            return live();
        if (!strcmp(argv[1], "quick"))
            return 6;
        if (!strcmp(argv[1], "middle_live"))
            return middle_live(self);
        if (!strcmp(argv[1], "middle_zombie"))
            return middle_zombie(self);
        if (!strcmp(argv[1], "stopper"))
            return stopper();
        if (!strcmp(argv[1], "middle_session"))
            return middle_session(self);
        return 99;
    }

    int on = -1;
    CHECK(prctl(PR_GET_CHILD_SUBREAPER, &on) == 0, "PR_GET_CHILD_SUBREAPER");
    OUT("subreaper before: %d", on);
    CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "PR_SET_CHILD_SUBREAPER");
    CHECK(prctl(PR_GET_CHILD_SUBREAPER, &on) == 0, "PR_GET_CHILD_SUBREAPER");
    OUT("subreaper after: %d", on != 0);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0, "sigprocmask");
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_chld;
    CHECK(sigaction(SIGCHLD, &sa, NULL) == 0, "sigaction");

    /* A live orphan. */
    int go[2], report[2];
    CHECK(pipe(go) == 0 && pipe(report) == 0, "pipe");
    pid_t mid = spawn(self, "middle_live", go[0], report[1]);
    close(go[0]);
    close(report[1]);
    pid_t gc = (pid_t)get_num(report[0]);
    int st;
    CHECK(waitpid(mid, &st, 0) == mid, "waitpid middle");
    OUT("middle exited %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    take_sigchld("middle's exit");
    CHECK(write(go[1], "g", 1) == 1, "write");
    long ppid = get_num(report[0]);
    OUT("grandchild's getppid() is the subreaper: %d", ppid == getpid());
    CHECK(waitpid(-1, &st, 0) == gc, "waitpid grandchild");
    OUT("reaped the grandchild: exited %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    take_sigchld("grandchild's exit");
    CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD);
    close(go[1]);
    close(report[0]);

    /* A zombie orphan. */
    CHECK(pipe(report) == 0, "pipe");
    mid = spawn(self, "middle_zombie", -1, report[1]);
    close(report[1]);
    gc = (pid_t)get_num(report[0]);
    CHECK(waitpid(mid, &st, 0) == mid, "waitpid middle");
    OUT("middle exited %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    take_sigchld("middle's exit with a zombie child");
    CHECK(waitpid(gc, &st, WNOHANG) == gc, "waitpid zombie grandchild");
    OUT("reaped the zombie grandchild: exited %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD);
    close(report[0]);

    /* A stopped group orphaned by its parent's exit: SIGHUP kills it. */
    CHECK(pipe(report) == 0, "pipe");
    mid = spawn(self, "middle_session", -1, report[1]);
    close(report[1]);
    gc = (pid_t)get_num(report[0]);
    CHECK(waitpid(mid, &st, 0) == mid, "waitpid middle");
    OUT("session middle exited %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    CHECK(waitpid(gc, &st, 0) == gc, "waitpid stopped orphan");
    if (WIFSIGNALED(st))
        OUT("stopped orphan in an orphaned group: killed by signal %d", WTERMSIG(st));
    else
        OUT("stopped orphan in an orphaned group: status %#x", st);
    close(report[0]);
    take_sigchld("orphaned group");

    /* SIGCHLD ignored: the reparented zombie goes at once. */
    sa.sa_handler = SIG_IGN;
    CHECK(sigaction(SIGCHLD, &sa, NULL) == 0, "sigaction");
    CHECK(pipe(report) == 0, "pipe");
    mid = spawn(self, "middle_zombie", -1, report[1]);
    close(report[1]);
    gc = (pid_t)get_num(report[0]);
    /* The middle is reaped on its own too: wait ends with ECHILD once it
     * is gone. */
    CHECK_ERR(waitpid(mid, &st, 0), ECHILD);
    OUT("SIGCHLD ignored: middle auto-reaped");
    CHECK_ERR(waitpid(gc, &st, WNOHANG), ECHILD);
    OUT("SIGCHLD ignored: zombie grandchild auto-reaped");
    close(report[0]);
    OUT("done");
    return 0;
}
