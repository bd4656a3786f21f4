/* Job control: a child (spawned from this program with a role argument)
 * is stopped with SIGSTOP / SIGTSTP and continued with SIGCONT while one
 * of its threads spins in user code and the other blocks in read.
 * Checked: wait4 WUNTRACED / WCONTINUED status words (reported once),
 * waitid WSTOPPED / WCONTINUED (CLD_STOPPED / CLD_CONTINUED), /proc state
 * T, SIGCHLD for stop and continue (and none with SA_NOCLDSTOP), a stop
 * signal pending while stopped discarded by SIGCONT, the child's SIGCONT
 * handler, the interrupted read restarted, SIGKILL of a stopped child.
 *
 * SIGCHLD stays blocked in the parent and is taken with sigtimedwait
 * after each event, so each one is seen (standard signals merge). */
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_check.h"

extern char **environ;

/* ---- the child ---------------------------------------------------------- */

static volatile sig_atomic_t got_cont;

static void on_cont(int sig)
{
    (void)sig;
    got_cont = 1;
}

static void *spin(void *arg)
{
    volatile unsigned long *n = arg;
    for (;;)
        (*n)++;
    return NULL;
}

/* fd 0: the parent's command pipe; fd 1: the ready pipe. Exits with
 * 10 + (SIGCONT handler ran) once a byte arrives on fd 0. */
static int stoppable(bool keep_group)
{
    static unsigned long spins;
    /* A group of its own whose parent is in another group of the same
     * session: not orphaned, so SIGTSTP stops it (an orphaned group
     * discards SIGTSTP/SIGTTIN/SIGTTOU). */
    if (!keep_group && setpgid(0, 0))
        return 2;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_cont;
    sa.sa_flags = SA_RESTART;
    if (sigaction(SIGCONT, &sa, NULL))
        return 3;
    pthread_t t;
    if (pthread_create(&t, NULL, spin, &spins))
        return 4;
    if (write(1, "R", 1) != 1)
        return 5;
    char c;
    ssize_t n;
    while ((n = read(0, &c, 1)) < 0 && errno == EINTR)
        ;
    if (n != 1)
        return 6;
    /* The continue is reported to the parent when SIGCONT is sent; the
     * handler runs once a thread runs again, maybe after the parent's
     * byte arrived: give it time. */
    for (int i = 0; i < 10000 && !got_cont; i++)
        usleep(1000);
    return 10 + got_cont;
}

/* Role "busy": threads in every kind of wait while it is stopped and
 * continued again and again: one spinning, one in pthread_cond_wait (a
 * futex), one sleeping in nanosleep, main blocked in read (fd 0). After
 * the byte they all stop; exit 0 if every wait behaved (no EINTR seen,
 * the condition variable's state intact). */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile int done_flag;
static volatile int wait_errors;

static void *cond_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    while (!done_flag)
        if (pthread_cond_wait(&cv, &mu))
            wait_errors++;
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void *sleeper(void *arg)
{
    (void)arg;
    while (!done_flag) {
        struct timespec ts = { 0, 2 * 1000 * 1000 };
        if (nanosleep(&ts, NULL))
            wait_errors++;
    }
    return NULL;
}

static void *busy_spin(void *arg)
{
    volatile unsigned long n = 0;
    (void)arg;
    while (!done_flag)
        n++;
    return NULL;
}

static int busy(void)
{
    pthread_t t[3];
    if (pthread_create(&t[0], NULL, cond_waiter, NULL) ||
        pthread_create(&t[1], NULL, sleeper, NULL) ||
        pthread_create(&t[2], NULL, busy_spin, NULL))
        return 2;
    if (write(1, "R", 1) != 1)
        return 3;
    char c;
    ssize_t n = read(0, &c, 1);     /* no handler: a stop must not show EINTR */
    pthread_mutex_lock(&mu);
    done_flag = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    return n == 1 && !wait_errors ? 0 : 4;
}

/* Stops itself; exits 12 once continued. */
static int selfstop(void)
{
    raise(SIGSTOP);
    return 12;
}

/* ---- the parent --------------------------------------------------------- */

struct kid {
    pid_t pid;
    int cmd;        /* write end of the child's fd 0 */
};

static struct kid spawn_stoppable_in(const char *self, pid_t pgroup);

static struct kid spawn_stoppable(const char *self)
{
    return spawn_stoppable_in(self, -1);
}

/* pgroup >= 0: put it in that group at spawn (0: a new one) instead of
 * the child's own setpgid(0, 0). */
static struct kid spawn_stoppable_in(const char *self, pid_t pgroup)
{
    int cmd[2], ready[2];
    CHECK(pipe(cmd) == 0 && pipe(ready) == 0, "pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, cmd[0], 0);
    posix_spawn_file_actions_adddup2(&fa, ready[1], 1);
    posix_spawn_file_actions_addclose(&fa, cmd[1]);
    posix_spawn_file_actions_addclose(&fa, ready[0]);
    char *argv[] = { (char *)self, pgroup == -2 ? "busy" : "stoppable",
                     pgroup >= 0 ? "keep-group" : NULL, NULL };
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    if (pgroup >= 0) {
        posix_spawnattr_setpgroup(&at, pgroup);
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    }
    struct kid k;
    int err = posix_spawn(&k.pid, self, &fa, &at, argv, environ);
    CHECK(err == 0, "posix_spawn: %s", strerror(err));
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(cmd[0]);
    close(ready[1]);
    char c;
    CHECK(read(ready[0], &c, 1) == 1 && c == 'R', "child not ready");
    close(ready[0]);
    k.cmd = cmd[1];
    return k;
}

static const char *code_name(int code)
{
    switch (code) {
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    case CLD_DUMPED: return "CLD_DUMPED";
    case CLD_STOPPED: return "CLD_STOPPED";
    case CLD_CONTINUED: return "CLD_CONTINUED";
    default: return "?";
    }
}

/* Take the next SIGCHLD. For a stop or an exit Linux queues it before
 * the wait returns; for a continue the child sends it once it runs
 * again, so it may come a little later: wait for it. */
static void take_sigchld(const char *what, pid_t pid)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    struct timespec limit = { 20, 0 };
    siginfo_t si;
    if (sigtimedwait(&set, &si, &limit) != SIGCHLD) {
        OUT("%s: no SIGCHLD", what);
        return;
    }
    OUT("%s: SIGCHLD %s status %d from the child %d", what, code_name(si.si_code),
        si.si_status, si.si_pid == pid);
}

static void no_sigchld(const char *what)
{
    sigset_t pend;
    CHECK(sigpending(&pend) == 0, "sigpending");
    OUT("%s: SIGCHLD pending %d", what, sigismember(&pend, SIGCHLD));
}

static void on_chld(int sig)
{
    (void)sig;
}

static void set_chld_action(int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_chld;
    sa.sa_flags = flags;
    CHECK(sigaction(SIGCHLD, &sa, NULL) == 0, "sigaction");
}

/* The state letter of /proc/pid/stat. */
static char proc_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0, "open %s", path);
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    CHECK(n > 0, "read %s", path);
    buf[n] = 0;
    char *rp = strrchr(buf, ')');
    CHECK(rp && rp[1] == ' ', "stat format");
    return rp[2];
}

static void print_status(const char *what, int st)
{
    if (WIFSTOPPED(st))
        OUT("%s: status %#x stopped by %d", what, st, WSTOPSIG(st));
    else if (WIFCONTINUED(st))
        OUT("%s: status %#x continued", what, st);
    else if (WIFEXITED(st))
        OUT("%s: status %#x exited %d", what, st, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        OUT("%s: status %#x killed by %d core %d", what, st, WTERMSIG(st),
            WCOREDUMP(st) ? 1 : 0);
}

static void stop_and_continue(const char *self)
{
    set_chld_action(SA_SIGINFO);
    struct kid k = spawn_stoppable(self);
    int st;

    CHECK(kill(k.pid, SIGSTOP) == 0, "kill SIGSTOP");
    CHECK(waitpid(k.pid, &st, WUNTRACED) == k.pid, "waitpid WUNTRACED");
    print_status("SIGSTOP, waitpid WUNTRACED", st);
    take_sigchld("SIGSTOP", k.pid);
    OUT("stopped child's /proc state %c", proc_state(k.pid));
    OUT("reported once: waitpid WUNTRACED|WNOHANG -> %d",
        (int)waitpid(k.pid, &st, WUNTRACED | WNOHANG));
    OUT("without WUNTRACED: waitpid WNOHANG -> %d", (int)waitpid(k.pid, &st, WNOHANG));

    CHECK(kill(k.pid, SIGCONT) == 0, "kill SIGCONT");
    CHECK(waitpid(k.pid, &st, WCONTINUED) == k.pid, "waitpid WCONTINUED");
    print_status("SIGCONT, waitpid WCONTINUED", st);
    take_sigchld("SIGCONT", k.pid);
    OUT("continued: waitpid WCONTINUED|WNOHANG -> %d",
        (int)waitpid(k.pid, &st, WCONTINUED | WNOHANG));

    /* waitid this time. */
    siginfo_t si;
    CHECK(kill(k.pid, SIGSTOP) == 0, "kill SIGSTOP");
    memset(&si, 0, sizeof(si));
    CHECK(waitid(P_PID, k.pid, &si, WSTOPPED | WNOWAIT) == 0, "waitid WSTOPPED|WNOWAIT");
    OUT("waitid WSTOPPED|WNOWAIT: %s status %d pid ok %d", code_name(si.si_code),
        si.si_status, si.si_pid == k.pid);
    memset(&si, 0, sizeof(si));
    CHECK(waitid(P_PID, k.pid, &si, WSTOPPED) == 0, "waitid WSTOPPED");
    OUT("waitid WSTOPPED: %s status %d", code_name(si.si_code), si.si_status);
    memset(&si, 0, sizeof(si));
    CHECK(waitid(P_PID, k.pid, &si, WSTOPPED | WNOHANG) == 0, "waitid WNOHANG");
    OUT("waitid again: si_pid %d", (int)si.si_pid);
    take_sigchld("SIGSTOP 2", k.pid);
    CHECK(kill(k.pid, SIGCONT) == 0, "kill SIGCONT");
    memset(&si, 0, sizeof(si));
    CHECK(waitid(P_PID, k.pid, &si, WCONTINUED) == 0, "waitid WCONTINUED");
    OUT("waitid WCONTINUED: %s status %d", code_name(si.si_code), si.si_status);
    take_sigchld("SIGCONT 2", k.pid);

    /* SIGTSTP (default action: stop), then a SIGSTOP sent to the stopped
     * child stays pending and the SIGCONT discards it. */
    CHECK(kill(k.pid, SIGTSTP) == 0, "kill SIGTSTP");
    CHECK(waitpid(k.pid, &st, WUNTRACED) == k.pid, "waitpid WUNTRACED");
    print_status("SIGTSTP", st);
    take_sigchld("SIGTSTP", k.pid);
    CHECK(kill(k.pid, SIGSTOP) == 0, "kill SIGSTOP");
    CHECK(kill(k.pid, SIGCONT) == 0, "kill SIGCONT");
    CHECK(waitpid(k.pid, &st, WCONTINUED) == k.pid, "waitpid WCONTINUED");
    print_status("SIGSTOP while stopped, then SIGCONT", st);
    take_sigchld("SIGCONT 3", k.pid);

    /* Let it finish: it must not stop again on the way. */
    CHECK(write(k.cmd, "x", 1) == 1, "write");
    CHECK(waitpid(k.pid, &st, WUNTRACED | WCONTINUED) == k.pid, "waitpid");
    print_status("end (10 + SIGCONT handler ran)", st);
    take_sigchld("exit", k.pid);
    close(k.cmd);
}

static void nocldstop_and_kill(const char *self)
{
    set_chld_action(SA_SIGINFO | SA_NOCLDSTOP);
    struct kid k = spawn_stoppable(self);
    int st;
    CHECK(kill(k.pid, SIGSTOP) == 0, "kill SIGSTOP");
    CHECK(waitpid(k.pid, &st, WUNTRACED) == k.pid, "waitpid WUNTRACED");
    print_status("SA_NOCLDSTOP, SIGSTOP", st);
    no_sigchld("SA_NOCLDSTOP stop");
    CHECK(kill(k.pid, SIGCONT) == 0, "kill SIGCONT");
    CHECK(waitpid(k.pid, &st, WCONTINUED) == k.pid, "waitpid WCONTINUED");
    print_status("SA_NOCLDSTOP, SIGCONT", st);
    no_sigchld("SA_NOCLDSTOP continue");
    CHECK(kill(k.pid, SIGSTOP) == 0, "kill SIGSTOP");
    CHECK(waitpid(k.pid, &st, WUNTRACED) == k.pid && WIFSTOPPED(st), "waitpid WUNTRACED: %#x",
          st);
    CHECK(kill(k.pid, SIGKILL) == 0, "kill SIGKILL");
    CHECK(waitpid(k.pid, &st, WUNTRACED | WCONTINUED) == k.pid, "waitpid");
    print_status("SIGKILL while stopped", st);
    take_sigchld("SIGKILL", k.pid);
    CHECK_ERR(waitpid(-1, &st, WUNTRACED | WCONTINUED | WNOHANG), ECHILD);
    close(k.cmd);
}

/* Whatever SIGCHLDs are pending or arrive (a continue's may come late,
 * and standard signals merge): taken, not printed. */
static void drain_sigchld(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    struct timespec soon = { 0, 50 * 1000 * 1000 };
    while (sigtimedwait(&set, NULL, &soon) == SIGCHLD)
        ;
}

static void many_cycles(const char *self)
{
    set_chld_action(SA_SIGINFO | SA_NOCLDSTOP);
    struct kid k = spawn_stoppable_in(self, -2);
    int st, ok = 0;
    const int cycles = 50;
    for (int i = 0; i < cycles; i++) {
        CHECK(kill(k.pid, SIGSTOP) == 0, "kill SIGSTOP");
        CHECK(waitpid(k.pid, &st, WUNTRACED) == k.pid, "waitpid WUNTRACED");
        CHECK(kill(k.pid, SIGCONT) == 0, "kill SIGCONT");
        CHECK(waitpid(k.pid, &st, WCONTINUED) == k.pid, "waitpid WCONTINUED");
        ok += WIFCONTINUED(st);
    }
    OUT("%d stop/continue cycles of a 4-thread child: %d continued", cycles, ok);
    CHECK(write(k.cmd, "x", 1) == 1, "write");
    CHECK(waitpid(k.pid, &st, 0) == k.pid, "waitpid");
    print_status("its waits after the cycles (0: all fine)", st);
    close(k.cmd);
    drain_sigchld();
}

/* raise(SIGSTOP) in the child; a stop of a whole group with kill(-pgid). */
static void self_and_group(const char *self)
{
    set_chld_action(SA_SIGINFO | SA_NOCLDSTOP);
    char *argv[] = { (char *)self, "selfstop", NULL };
    pid_t pid;
    int err = posix_spawn(&pid, self, NULL, NULL, argv, environ);
    CHECK(err == 0, "posix_spawn: %s", strerror(err));
    int st;
    CHECK(waitpid(pid, &st, WUNTRACED) == pid, "waitpid WUNTRACED");
    print_status("raise(SIGSTOP)", st);
    CHECK(kill(pid, SIGCONT) == 0, "kill SIGCONT");
    CHECK(waitpid(pid, &st, WUNTRACED) == pid, "waitpid");
    print_status("continued, then", st);

    struct kid a = spawn_stoppable_in(self, 0);
    struct kid b = spawn_stoppable_in(self, a.pid);
    CHECK(kill(-a.pid, SIGSTOP) == 0, "kill(-pgid, SIGSTOP)");
    int seen = 0;
    for (int i = 0; i < 2; i++) {
        pid_t w = waitpid(-a.pid, &st, WUNTRACED);
        CHECK((w == a.pid || w == b.pid) && WIFSTOPPED(st), "waitpid(-pgid) -> %d %#x", (int)w,
              st);
        seen |= w == a.pid ? 1 : 2;
    }
    OUT("kill(-pgid, SIGSTOP): both stopped %d", seen == 3);
    CHECK(kill(-a.pid, SIGCONT) == 0, "kill(-pgid, SIGCONT)");
    seen = 0;
    for (int i = 0; i < 2; i++) {
        pid_t w = waitpid(-a.pid, &st, WCONTINUED);
        CHECK((w == a.pid || w == b.pid) && WIFCONTINUED(st), "waitpid(-pgid) -> %d %#x",
              (int)w, st);
        seen |= w == a.pid ? 1 : 2;
    }
    OUT("kill(-pgid, SIGCONT): both continued %d", seen == 3);
    CHECK(write(a.cmd, "x", 1) == 1 && write(b.cmd, "x", 1) == 1, "write");
    CHECK(waitpid(a.pid, &st, 0) == a.pid, "waitpid a");
    print_status("group member a", st);
    CHECK(waitpid(b.pid, &st, 0) == b.pid, "waitpid b");
    print_status("group member b", st);
    close(a.cmd);
    close(b.cmd);
    drain_sigchld();
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "stoppable"))
        return stoppable(argc > 2);
    if (argc > 1 && !strcmp(argv[1], "selfstop"))
        return selfstop();
    if (argc > 1 && !strcmp(argv[1], "busy"))
        return busy();
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0, "sigprocmask");
    stop_and_continue(argv[0]);
    nocldstop_and_kill(argv[0]);
    self_and_group(argv[0]);
    many_cycles(argv[0]);
    OUT("done");
    return 0;
}
