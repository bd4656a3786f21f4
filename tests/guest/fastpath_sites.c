/* Syscall sites that onespace's fast path rewrites (docs/fastpath.md),
 * driven the way that can go wrong: vector registers across syscalls,
 * signals arriving during fast syscalls, SA_RESTART vs EINTR on a
 * rewritten site, threads racing through a site while it is patched, and
 * a jump straight to a rewritten site's `syscall` instruction. Natively
 * every check passes too; the output is the same. */
#include <cpuid.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "guest_check.h"

/* Each site is its own `mov $nr,%eax; syscall` (what glibc's wrappers
 * look like), so it traps once and is then rewritten. */
static long site_getpid(void)
{
    long r;
    __asm__ volatile("mov $39, %%eax\n\tsyscall" : "=a"(r) : : "rcx", "r11", "memory");
    return r;
}

static long site_getuid(void)
{
    long r;
    __asm__ volatile("mov $102, %%eax\n\tsyscall" : "=a"(r) : : "rcx", "r11", "memory");
    return r;
}

static long site_getppid_race(void)
{
    long r;
    __asm__ volatile("mov $110, %%eax\n\tsyscall" : "=a"(r) : : "rcx", "r11", "memory");
    return r;
}

static long site_getgid_race(void)
{
    long r;
    __asm__ volatile("mov $104, %%eax\n\tsyscall" : "=a"(r) : : "rcx", "r11", "memory");
    return r;
}

static long site_read(int fd, void *buf, size_t len)
{
    long r;
    __asm__ volatile("mov $0, %%eax\n\tsyscall"
                     : "=a"(r)
                     : "D"((long)fd), "S"(buf), "d"(len)
                     : "rcx", "r11", "memory");
    return r;
}

/* getpid through the site, or (direct) through a jump straight to its
 * `syscall` instruction. */
static long site_getpid_jump(int direct)
{
    long r;
    __asm__ volatile("test %1, %1\n\t"
                     "jnz 2f\n\t"
                     "mov $39, %%eax\n"
                     "1:\tsyscall\n\t"
                     "jmp 3f\n"
                     "2:\tmov $39, %%eax\n\t"
                     "jmp 1b\n"
                     "3:"
                     : "=&a"(r)
                     : "r"(direct)
                     : "rcx", "r11", "memory");
    return r;
}

/* ---- vector registers ---- */

static int have_avx(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) || !(c & bit_AVX))
        return 0;
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 6) == 6;
}

/* Load ymm0-15 (xmm0-15 without AVX) from in, run syscall nr through a
 * rewritable site, store them to out. */
#define VEC_SITE(name, nr, load, store)                                              \
    static void name(const uint8_t *in, uint8_t *out)                                \
    {                                                                                \
        __asm__ volatile(load(0) load(1) load(2) load(3) load(4) load(5) load(6)     \
                             load(7) load(8) load(9) load(10) load(11) load(12)      \
                                 load(13) load(14) load(15)                          \
                         "mov $" #nr ", %%eax\n\tsyscall\n\t"                        \
                         store(0) store(1) store(2) store(3) store(4) store(5)       \
                             store(6) store(7) store(8) store(9) store(10)           \
                                 store(11) store(12) store(13) store(14) store(15)   \
                         :                                                           \
                         : "r"(in), "r"(out)                                         \
                         : "rax", "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2",    \
                           "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",   \
                           "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");   \
    }
#define LOADY(i) "vmovdqu " #i "*32(%0), %%ymm" #i "\n\t"
#define STOREY(i) "vmovdqu %%ymm" #i ", " #i "*32(%1)\n\t"
#define LOADX(i) "movdqu " #i "*32(%0), %%xmm" #i "\n\t"
#define STOREX(i) "movdqu %%xmm" #i ", " #i "*32(%1)\n\t"
VEC_SITE(vec_getpid_avx, 39, LOADY, STOREY)
VEC_SITE(vec_getuid_avx, 102, LOADY, STOREY)
VEC_SITE(vec_getpid_sse, 39, LOADX, STOREX)
VEC_SITE(vec_getuid_sse, 102, LOADX, STOREX)

static void check_vectors(void)
{
    int avx = have_avx();
    uint8_t in[16 * 32], out[16 * 32];
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof(in); i++)
            in[i] = (uint8_t)(i * 7 + round);
        for (int which = 0; which < 2; which++) {
            memset(out, 0, sizeof(out));
            if (avx)
                (which ? vec_getuid_avx : vec_getpid_avx)(in, out);
            else
                (which ? vec_getuid_sse : vec_getpid_sse)(in, out);
            for (int r = 0; r < 16; r++)
                CHECK(memcmp(in + r * 32, out + r * 32, avx ? 32 : 16) == 0,
                      "vector register %d changed across syscall %s (round %d)", r,
                      which ? "getuid" : "getpid", round);
        }
    }
    OUT("vector registers survive 800 syscalls");
}

/* ---- signals during fast syscalls ---- */

static volatile sig_atomic_t ticks;
static void on_tick(int sig)
{
    (void)sig;
    ticks++;
}

static void check_signals_during_calls(void)
{
    struct sigaction sa = { .sa_handler = on_tick, .sa_flags = SA_RESTART };
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0, "sigaction");
    struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer");
    long pid = getpid(), uid = (long)getuid();
    long calls = 0;
    while (ticks < 20) {
        CHECK(site_getpid() == pid, "getpid through the site");
        CHECK(site_getuid() == uid, "getuid through the site");
        calls += 2;
    }
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    CHECK(calls > 0, "no calls");
    OUT("20 timer signals arrived during syscalls; every result right");
}

/* ---- SA_RESTART vs EINTR on a rewritten read site ---- */

static int restart_pipe[2];
static void *late_writer(void *arg)
{
    (void)arg;
    usleep(150 * 1000);
    CHECK(write(restart_pipe[1], "z", 1) == 1, "late write");
    return NULL;
}

static void check_restart(int restart)
{
    struct sigaction sa = { .sa_handler = on_tick, .sa_flags = restart ? SA_RESTART : 0 };
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0, "sigaction");
    CHECK(pipe(restart_pipe) == 0, "pipe");
    char c;
    /* Make the site trap (and be rewritten) with data already there. */
    for (int i = 0; i < 3; i++) {
        CHECK(write(restart_pipe[1], "a", 1) == 1, "write");
        CHECK(site_read(restart_pipe[0], &c, 1) == 1 && c == 'a', "read");
    }
    ticks = 0;
    pthread_t th;
    CHECK(pthread_create(&th, NULL, late_writer, NULL) == 0, "pthread_create");
    struct itimerval it = { { 0, 0 }, { 0, 50 * 1000 } };
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer");
    long r = site_read(restart_pipe[0], &c, 1);
    pthread_join(th, NULL);
    if (restart) {
        CHECK(r == 1 && c == 'z' && ticks == 1, "restarted read gave %ld, ticks %d", r,
              (int)ticks);
        OUT("SA_RESTART: the blocked read went on after the handler and got the byte");
    } else {
        CHECK(r == -EINTR && ticks == 1, "interrupted read gave %ld, ticks %d", r, (int)ticks);
        CHECK(site_read(restart_pipe[0], &c, 1) == 1 && c == 'z', "read after EINTR");
        OUT("no SA_RESTART: the blocked read failed with EINTR");
    }
    close(restart_pipe[0]);
    close(restart_pipe[1]);
}

/* ---- threads racing through sites as they are patched ---- */

#define RACERS 8
static pthread_barrier_t start_line;
static long want_ppid, want_gid;

static void *racer(void *arg)
{
    (void)arg;
    long bad = 0;
    pthread_barrier_wait(&start_line);
    for (int i = 0; i < 3000; i++) {
        bad += site_getppid_race() != want_ppid;
        bad += site_getgid_race() != want_gid;
    }
    return (void *)bad;
}

static void check_racing_threads(void)
{
    want_ppid = getppid();
    want_gid = (long)getgid();
    pthread_t th[RACERS];
    CHECK(pthread_barrier_init(&start_line, NULL, RACERS) == 0, "barrier");
    for (int i = 0; i < RACERS; i++)
        CHECK(pthread_create(&th[i], NULL, racer, NULL) == 0, "pthread_create");
    long bad = 0;
    for (int i = 0; i < RACERS; i++) {
        void *r;
        pthread_join(th[i], &r);
        bad += (long)r;
    }
    CHECK(bad == 0, "%ld wrong results", bad);
    OUT("%d threads x 6000 calls through two fresh sites: every result right", RACERS);
}

/* ---- a jump straight to the syscall instruction ---- */

static void check_direct_jump(void)
{
    long pid = getpid();
    for (int i = 0; i < 50; i++)
        CHECK(site_getpid_jump(0) == pid, "through the site");
    for (int i = 0; i < 50; i++)
        CHECK(site_getpid_jump(1) == pid, "straight to the syscall instruction");
    OUT("a jump straight to a rewritten site's syscall instruction still works");
}

int main(void)
{
    check_vectors();
    check_signals_during_calls();
    check_restart(1);
    check_restart(0);
    check_racing_threads();
    check_direct_jump();
    OUT("done");
    return 0;
}
