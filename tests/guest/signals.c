/* Signals: handlers with siginfo (kill, raise), SA_RESTART vs EINTR on a
 * blocking pipe read, blocking and unblocking, sigaltstack + SA_ONSTACK,
 * SA_RESETHAND, sigsuspend, ppoll's mask, SIGPIPE, signals to child
 * processes (handler, SIGKILL), SIGCHLD (handler, SIG_IGN auto-reap),
 * alarm + pause, a periodic setitimer, a POSIX timer, sigtimedwait, and a
 * signal to a thread that never makes a syscall. Children are this program
 * spawned with a role argument. */
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_check.h"

extern char **environ;

static volatile sig_atomic_t got_sig, got_count;
static volatile int got_code, got_pid, got_status, got_value;
static volatile uintptr_t handler_sp;
static volatile int got_onstack, got_eperm;

static void on_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int saved_errno = errno;
    got_sig = sig;
    got_code = si->si_code;
    got_pid = si->si_pid;
    got_status = si->si_status;
    got_value = si->si_value.sival_int;
    got_count++;
    int local;
    handler_sp = (uintptr_t)&local;
    stack_t cur;
    got_onstack = sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_ONSTACK);
    if (got_onstack) {
        stack_t other = { .ss_sp = cur.ss_sp, .ss_size = cur.ss_size, .ss_flags = 0 };
        got_eperm = sigaltstack(&other, NULL) == -1 && errno == EPERM;
    }
    errno = saved_errno;
}

static void set_handler(int sig, int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(sig, &sa, NULL) == 0, "sigaction %d", sig);
}

static void set_disposition(int sig, void (*h)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = h;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(sig, &sa, NULL) == 0, "sigaction %d", sig);
}

static void reset(void) { got_sig = 0; got_count = 0; got_code = 0; got_pid = 0; }

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void block(int sig, int how)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    CHECK(sigprocmask(how, &s, NULL) == 0, "sigprocmask");
}

/* ---- a thread that signals the main thread, then maybe writes ---- */
struct poke {
    pthread_t target;
    int sig, delay_ms, write_fd;
};

static void *poker(void *arg)
{
    struct poke *p = arg;
    sleep_ms(p->delay_ms);
    pthread_kill(p->target, p->sig);
    if (p->write_fd >= 0) {
        sleep_ms(p->delay_ms);
        CHECK(write(p->write_fd, "x", 1) == 1, "write");
    }
    return NULL;
}

static void test_info(void)
{
    set_handler(SIGUSR1, 0);
    reset();
    raise(SIGUSR1);
    OUT("raise: sig %d code_is_tkill %d pid_ok %d", got_sig, got_code == SI_TKILL,
        got_pid == getpid());
    reset();
    kill(getpid(), SIGUSR1);
    OUT("kill: sig %d code_is_user %d pid_ok %d", got_sig, got_code == SI_USER,
        got_pid == getpid());
    reset();
    union sigval v = { .sival_int = 1234 };
    CHECK(sigqueue(getpid(), SIGUSR1, v) == 0, "sigqueue");
    OUT("sigqueue: sig %d code_is_queue %d value %d", got_sig, got_code == SI_QUEUE, got_value);
}

static void test_restart(int flags, const char *name)
{
    set_handler(SIGUSR1, flags);
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    struct poke pk = { pthread_self(), SIGUSR1, 100, fds[1] };
    pthread_t th;
    reset();
    pthread_create(&th, NULL, poker, &pk);
    char c;
    errno = 0;
    ssize_t n = read(fds[0], &c, 1);
    int e = errno;
    pthread_join(th, NULL);
    OUT("%s: read %zd errno %s handler %d", name, n, e == EINTR ? "EINTR" : e ? "other" : "0",
        got_count);
    close(fds[0]);
    close(fds[1]);
}

struct reader {
    int fd;
    ssize_t n;
    int err;
};

static void *blocked_reader(void *arg)
{
    struct reader *r = arg;
    char c;
    errno = 0;
    r->n = read(r->fd, &c, 1);
    r->err = errno;
    return NULL;
}

/* kill() to our own process while another thread sleeps in read(): the
 * calling thread takes the signal; the reader must not see EINTR. */
static void test_other_thread_undisturbed(void)
{
    set_handler(SIGUSR1, 0);
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    struct reader r = { fds[0], 0, 0 };
    pthread_t th;
    pthread_create(&th, NULL, blocked_reader, &r);
    sleep_ms(50);
    reset();
    for (int i = 0; i < 3; i++)
        kill(getpid(), SIGUSR1);
    sleep_ms(50);
    CHECK(write(fds[1], "y", 1) == 1, "write");
    pthread_join(th, NULL);
    OUT("reader undisturbed: read %zd EINTR %d main handler ran %d", r.n, r.err == EINTR,
        got_count > 0);
    close(fds[0]);
    close(fds[1]);
}

static void test_mask(void)
{
    set_handler(SIGUSR2, 0);
    reset();
    block(SIGUSR2, SIG_BLOCK);
    raise(SIGUSR2);
    sigset_t pend;
    sigpending(&pend);
    OUT("blocked: handler %d pending %d", got_count, sigismember(&pend, SIGUSR2));
    block(SIGUSR2, SIG_UNBLOCK);
    sigpending(&pend);
    OUT("unblocked: handler %d sig %d pending %d", got_count, got_sig, sigismember(&pend, SIGUSR2));
}

static void test_altstack(void)
{
    static char alt[64 * 1024];
    stack_t ss = { .ss_sp = alt, .ss_size = sizeof(alt), .ss_flags = 0 };
    CHECK(sigaltstack(&ss, NULL) == 0, "sigaltstack");
    set_handler(SIGUSR1, SA_ONSTACK);
    reset();
    raise(SIGUSR1);
    uintptr_t lo = (uintptr_t)alt, hi = lo + sizeof(alt);
    OUT("altstack: handler %d on_alt %d SS_ONSTACK %d EPERM %d", got_count,
        handler_sp >= lo && handler_sp < hi, got_onstack, got_eperm);
    set_handler(SIGUSR1, 0);
    reset();
    raise(SIGUSR1);
    OUT("no SA_ONSTACK: handler %d on_alt %d SS_ONSTACK %d", got_count,
        handler_sp >= lo && handler_sp < hi, got_onstack);
    ss.ss_flags = SS_DISABLE;
    CHECK(sigaltstack(&ss, NULL) == 0, "sigaltstack off");
}

static void test_resethand(void)
{
    set_handler(SIGUSR1, SA_RESETHAND);
    reset();
    raise(SIGUSR1);
    struct sigaction now;
    sigaction(SIGUSR1, NULL, &now);
    OUT("resethand: handler %d now_default %d", got_count, now.sa_handler == SIG_DFL);
}

static void test_sigsuspend(void)
{
    set_handler(SIGUSR1, 0);
    block(SIGUSR1, SIG_BLOCK);
    struct poke pk = { pthread_self(), SIGUSR1, 50, -1 };
    pthread_t th;
    reset();
    pthread_create(&th, NULL, poker, &pk);
    sigset_t none;
    sigemptyset(&none);
    errno = 0;
    int r = sigsuspend(&none);
    int e = errno;
    pthread_join(th, NULL);
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    OUT("sigsuspend: ret %d EINTR %d handler %d still_blocked %d", r, e == EINTR, got_count,
        sigismember(&cur, SIGUSR1));

    /* ppoll with a mask: the pending signal is delivered during the wait;
     * the old mask is back afterwards. */
    reset();
    raise(SIGUSR1);
    struct timespec to = { 5, 0 };
    errno = 0;
    r = ppoll(NULL, 0, &to, &none);
    e = errno;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    OUT("ppoll mask: ret %d EINTR %d handler %d still_blocked %d", r, e == EINTR, got_count,
        sigismember(&cur, SIGUSR1));
    block(SIGUSR1, SIG_UNBLOCK);
}

static void test_sigpipe(void)
{
    set_handler(SIGPIPE, 0);
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    close(fds[0]);
    reset();
    errno = 0;
    ssize_t n = write(fds[1], "x", 1);
    OUT("sigpipe: write %zd EPIPE %d handler %d sig %d", n, errno == EPIPE, got_count, got_sig);
    close(fds[1]);
    set_disposition(SIGPIPE, SIG_DFL);
}

static pid_t spawn(const char *self, const char *role, int out_fd)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (out_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, out_fd, 3);
    char *av[] = { (char *)self, (char *)role, NULL };
    pid_t pid;
    int r = posix_spawn(&pid, self, &fa, NULL, av, environ);
    CHECK(r == 0, "posix_spawn %s: %s", role, strerror(r));
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

static void wait_ready(int fd)
{
    char c;
    CHECK(read(fd, &c, 1) == 1, "child ready");
}

static void test_children(const char *self)
{
    /* A child with a handler: it reports on stdout and exits 7. */
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    pid_t pid = spawn(self, "child-handler", fds[1]);
    wait_ready(fds[0]);
    CHECK(kill(pid, SIGUSR1) == 0, "kill child");
    int st;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
    OUT("child handler: exited %d code %d", WIFEXITED(st), WEXITSTATUS(st));

    /* SIGKILL to a child that waits for ever. */
    pid = spawn(self, "child-pause", fds[1]);
    wait_ready(fds[0]);
    CHECK(kill(pid, SIGKILL) == 0, "kill -9");
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
    OUT("child SIGKILL: signaled %d sig %d", WIFSIGNALED(st), WTERMSIG(st));
    close(fds[0]);
    close(fds[1]);

    /* A timer signal nobody handles ends the child. */
    pid = spawn(self, "child-itimer", -1);
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
    OUT("child SIGALRM default: signaled %d sig %d", WIFSIGNALED(st), WTERMSIG(st));

    pid = spawn(self, "child-sigpipe", -1);
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
    OUT("child SIGPIPE default: signaled %d sig %d", WIFSIGNALED(st), WTERMSIG(st));

    /* SIGCHLD handler: siginfo tells who exited and how. */
    set_handler(SIGCHLD, 0);
    block(SIGCHLD, SIG_BLOCK);
    reset();
    pid = spawn(self, "child-exit5", -1);
    sigset_t none;
    sigemptyset(&none);
    while (!got_count)
        sigsuspend(&none);
    OUT("SIGCHLD: sig %d exited %d status %d pid_ok %d", got_sig, got_code == CLD_EXITED,
        got_status, got_pid == pid);
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
    OUT("SIGCHLD then wait: code %d", WEXITSTATUS(st));

    reset();
    pid = spawn(self, "child-killself", -1);
    while (!got_count)
        sigsuspend(&none);
    OUT("SIGCHLD killed: killed %d status %d", got_code == CLD_KILLED, got_status);
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
    block(SIGCHLD, SIG_UNBLOCK);

    /* SIGCHLD ignored: children are reaped by themselves. */
    set_disposition(SIGCHLD, SIG_IGN);
    pid = spawn(self, "child-exit5", -1);
    errno = 0;
    pid_t r = waitpid(-1, &st, 0);
    OUT("SIG_IGN SIGCHLD: waitpid %d ECHILD %d", (int)r, errno == ECHILD);
    set_disposition(SIGCHLD, SIG_DFL);
}

static void test_timers(void)
{
    set_handler(SIGALRM, 0);
    reset();
    alarm(1);
    errno = 0;
    int r = pause();
    OUT("alarm+pause: ret %d EINTR %d sig %d code_kernel %d", r, errno == EINTR, got_sig,
        got_code == SI_KERNEL);
    OUT("alarm after: %u", alarm(0));

    /* Periodic: three ticks of 50 ms. */
    block(SIGALRM, SIG_BLOCK);
    reset();
    struct itimerval it = { { 0, 50000 }, { 0, 50000 } };
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer");
    sigset_t none;
    sigemptyset(&none);
    while (got_count < 3)
        sigsuspend(&none);
    struct itimerval cur;
    getitimer(ITIMER_REAL, &cur);
    OUT("setitimer: ticks %d interval_us %ld", got_count, (long)cur.it_interval.tv_usec);
    memset(&it, 0, sizeof(it));
    setitimer(ITIMER_REAL, &it, NULL);
    getitimer(ITIMER_REAL, &cur);
    OUT("disarmed: %ld %ld", (long)cur.it_value.tv_sec, (long)cur.it_value.tv_usec);
    block(SIGALRM, SIG_UNBLOCK);

    /* POSIX timer on CLOCK_MONOTONIC, taken with sigwaitinfo. */
    block(SIGRTMIN, SIG_BLOCK);
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGRTMIN;
    ev.sigev_value.sival_int = 42;
    timer_t tid;
    CHECK(timer_create(CLOCK_MONOTONIC, &ev, &tid) == 0, "timer_create");
    struct itimerspec its = { { 0, 0 }, { 0, 30000000 } };
    CHECK(timer_settime(tid, 0, &its, NULL) == 0, "timer_settime");
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    siginfo_t si;
    int sig = sigwaitinfo(&set, &si);
    struct itimerspec left;
    timer_gettime(tid, &left);
    OUT("timer: sig_ok %d code_timer %d value %d left %ld", sig == SIGRTMIN,
        si.si_code == SI_TIMER, si.si_value.sival_int, left.it_value.tv_nsec);
    CHECK(timer_delete(tid) == 0, "timer_delete");
    block(SIGRTMIN, SIG_UNBLOCK);
}

static sem_t notified_sem;
static volatile int notified_value;

static void on_notify(union sigval v)
{
    notified_value = v.sival_int;
    sem_post(&notified_sem);
}

/* SIGEV_THREAD: the C library's helper thread waits for the timer's
 * signal (SIGEV_THREAD_ID + sigwaitinfo) and calls us. */
static void test_sigev_thread(void)
{
    sem_init(&notified_sem, 0, 0);
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = on_notify;
    ev.sigev_value.sival_int = 7;
    timer_t tid;
    CHECK(timer_create(CLOCK_REALTIME, &ev, &tid) == 0, "timer_create SIGEV_THREAD");
    struct itimerspec its = { { 0, 0 }, { 0, 20000000 } };
    CHECK(timer_settime(tid, 0, &its, NULL) == 0, "timer_settime");
    while (sem_wait(&notified_sem) != 0) {
    }
    OUT("SIGEV_THREAD: value %d", notified_value);
    CHECK(timer_delete(tid) == 0, "timer_delete");
}

static void *send_usr2(void *arg)
{
    (void)arg;
    sleep_ms(50);
    kill(getpid(), SIGUSR2);
    return NULL;
}

static void test_sigtimedwait(void)
{
    block(SIGUSR2, SIG_BLOCK);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    struct timespec to = { 0, 100000000 };
    siginfo_t si;
    errno = 0;
    int r = sigtimedwait(&set, &si, &to);
    OUT("sigtimedwait timeout: ret %d EAGAIN %d", r, errno == EAGAIN);
    raise(SIGUSR2);
    r = sigtimedwait(&set, &si, &to);
    OUT("sigtimedwait pending: ret %d", r);
    pthread_t th;
    pthread_create(&th, NULL, send_usr2, NULL);
    to.tv_sec = 10;
    r = sigtimedwait(&set, &si, &to);
    pthread_join(th, NULL);
    OUT("sigtimedwait from thread: ret %d user %d", r, si.si_code == SI_USER);
    block(SIGUSR2, SIG_UNBLOCK);

    /* Real-time signals queue, each with its value, lowest signal first. */
    int rt0 = SIGRTMIN + 2, rt1 = SIGRTMIN + 3;
    block(rt0, SIG_BLOCK);
    block(rt1, SIG_BLOCK);
    for (int i = 1; i <= 3; i++) {
        union sigval v = { .sival_int = 10 * i };
        CHECK(sigqueue(getpid(), rt1, v) == 0, "sigqueue rt1");
        v.sival_int = i;
        CHECK(sigqueue(getpid(), rt0, v) == 0, "sigqueue rt0");
    }
    sigset_t rts;
    sigemptyset(&rts);
    sigaddset(&rts, rt0);
    sigaddset(&rts, rt1);
    char line[128] = "";
    to.tv_sec = 0;
    to.tv_nsec = 0;
    while ((r = sigtimedwait(&rts, &si, &to)) > 0)
        snprintf(line + strlen(line), sizeof(line) - strlen(line), " %s:%d",
                 r == rt0 ? "rt0" : "rt1", si.si_value.sival_int);
    OUT("rt queue:%s (then EAGAIN %d)", line, errno == EAGAIN);
    block(rt0, SIG_UNBLOCK);
    block(rt1, SIG_UNBLOCK);
}

static volatile int spin_stop;
static volatile int spin_started;

static void on_stop(int sig)
{
    (void)sig;
    spin_stop = 1;
}

static void *spinner(void *arg)
{
    (void)arg;
    spin_started = 1;
    while (!spin_stop) {
    }
    return NULL;
}

static void test_busy_thread(void)
{
    set_disposition(SIGUSR1, on_stop);
    pthread_t th;
    pthread_create(&th, NULL, spinner, NULL);
    while (!spin_started)
        sleep_ms(1);
    pthread_kill(th, SIGUSR1);
    pthread_join(th, NULL);
    OUT("busy thread: stopped %d", spin_stop);
    set_disposition(SIGUSR1, SIG_DFL);
}

/* ---- children ---- */
static void child_ready(void)
{
    CHECK(write(3, "r", 1) == 1, "ready");
    close(3);
}

static int child(const char *role)
{
    if (strcmp(role, "child-handler") == 0) {
        set_handler(SIGUSR1, 0);
        block(SIGUSR1, SIG_BLOCK);
        child_ready();
        sigset_t none;
        sigemptyset(&none);
        while (!got_count)
            sigsuspend(&none);
        OUT("  child: got signal %d from parent %d", got_sig, got_pid == getppid());
        return 7;
    }
    if (strcmp(role, "child-pause") == 0) {
        child_ready();
        for (;;)
            pause();
    }
    if (strcmp(role, "child-itimer") == 0) {
        struct itimerval it = { { 0, 0 }, { 0, 20000 } };
        setitimer(ITIMER_REAL, &it, NULL);
        for (;;)
            pause();
    }
    if (strcmp(role, "child-sigpipe") == 0) {
        int p[2];
        CHECK(pipe(p) == 0, "pipe");
        close(p[0]);
        set_disposition(SIGPIPE, SIG_DFL);
        ssize_t n = write(p[1], "x", 1);
        fprintf(stderr, "write after SIGPIPE returned %zd\n", n);
        return 3;
    }
    if (strcmp(role, "child-exit5") == 0)
        return 5;
    if (strcmp(role, "child-killself") == 0) {
        set_disposition(SIGTERM, SIG_DFL);
        raise(SIGTERM);
        return 1;
    }
    fprintf(stderr, "unknown role %s\n", role);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return child(argv[1]);
    test_info();
    test_restart(SA_RESTART, "SA_RESTART");
    test_restart(0, "no SA_RESTART");
    test_other_thread_undisturbed();
    test_mask();
    test_altstack();
    test_resethand();
    test_sigsuspend();
    test_sigpipe();
    test_children(argv[0]);
    test_timers();
    test_sigtimedwait();
    test_sigev_thread();
    test_busy_thread();
    OUT("done");
    return 0;
}
