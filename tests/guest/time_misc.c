/* Clocks, sleeping, uname, ids, getrandom, affinity, rlimits. Only
 * lower bounds on elapsed time are checked (never upper bounds). */
#include <sched.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "guest_check.h"

static int64_t ns(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static void clocks(void)
{
    struct timespec a, b;
    CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0, "monotonic");
    int64_t prev = ns(&a);
    for (int i = 0; i < 1000; i++) {
        CHECK(clock_gettime(CLOCK_MONOTONIC, &b) == 0, "monotonic");
        CHECK(ns(&b) >= prev, "CLOCK_MONOTONIC went backwards");
        prev = ns(&b);
    }
    /* The raw syscall agrees with the vDSO's clock. */
    CHECK(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b) == 0 && ns(&b) >= prev,
          "raw clock_gettime");

    struct timespec req = {0, 1000000};
    CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0, "monotonic");
    CHECK(nanosleep(&req, NULL) == 0, "nanosleep");
    CHECK(clock_gettime(CLOCK_MONOTONIC, &b) == 0, "monotonic");
    CHECK(ns(&b) - ns(&a) >= 1000000, "nanosleep(1ms) slept %lld ns",
          (long long)(ns(&b) - ns(&a)));
    req.tv_nsec = 2000000;
    CHECK(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL) == 0, "clock_nanosleep");
    struct timespec until;
    CHECK(clock_gettime(CLOCK_MONOTONIC, &until) == 0, "monotonic");
    until.tv_nsec += 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == 0, "abs sleep");
    CHECK(clock_gettime(CLOCK_MONOTONIC, &b) == 0 && ns(&b) >= ns(&until), "woke early");
    req.tv_nsec = 1000000000;
    CHECK(nanosleep(&req, NULL) == -1 && errno == EINVAL, "nanosleep tv_nsec 1e9");
    OUT("monotonic clock and sleeps ok");

    /* Realtime: after 2020, gettimeofday and time() agree within seconds. */
    struct timespec rt;
    struct timeval tv;
    CHECK(clock_gettime(CLOCK_REALTIME, &rt) == 0 && rt.tv_sec > 1577836800, "realtime");
    CHECK(gettimeofday(&tv, NULL) == 0 && tv.tv_usec >= 0 && tv.tv_usec < 1000000, "gtod");
    time_t t = time(NULL);
    CHECK(tv.tv_sec - rt.tv_sec >= 0 && tv.tv_sec - rt.tv_sec < 5, "gettimeofday vs realtime");
    /* time() reads the coarse clock (updated once a tick), so right at a
     * second boundary it can be one second behind the precise clock read
     * just before it, natively as well. */
    CHECK(t - rt.tv_sec >= -1 && t - rt.tv_sec < 5, "time() vs realtime");
    struct timespec res;
    CHECK(clock_getres(CLOCK_MONOTONIC, &res) == 0 && ns(&res) > 0 && ns(&res) <= 1000000,
          "clock_getres");
    struct timespec cpu;
    CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0 && ns(&cpu) >= 0, "cputime");
    CHECK(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0 && ns(&cpu) >= 0, "thread cputime");
    CHECK(clock_gettime((clockid_t)12345, &cpu) == -1 && errno == EINVAL, "bad clock id");
    OUT("realtime/gettimeofday/time/getres ok");
}

int main(void)
{
    clocks();

    struct utsname u;
    CHECK(uname(&u) == 0, "uname");
    OUT("sysname %s", u.sysname);
    CHECK(!strcmp(u.machine, "x86_64"), "machine %s", u.machine);
    OUT("machine %s", u.machine);

    CHECK(getuid() == geteuid() && getgid() == getegid(), "ids differ");
    uid_t r, e, s;
    CHECK(getresuid(&r, &e, &s) == 0 && r == getuid() && e == geteuid(), "getresuid");
    CHECK(getpid() > 0 && getpid() == (pid_t)syscall(SYS_gettid), "main thread tid != pid");
    OUT("ids consistent");

    unsigned char rnd[64] = {0}, rnd2[64] = {0};
    CHECK(getrandom(rnd, sizeof rnd, 0) == sizeof rnd, "getrandom");
    CHECK(getrandom(rnd2, sizeof rnd2, GRND_NONBLOCK) == sizeof rnd2, "getrandom nonblock");
    int zeros = 0;
    for (size_t i = 0; i < sizeof rnd; i++)
        zeros += rnd[i] == 0;
    CHECK(zeros < 16 && memcmp(rnd, rnd2, sizeof rnd) != 0, "getrandom output looks wrong");
    OUT("getrandom ok");

    cpu_set_t set;
    CPU_ZERO(&set);
    CHECK(sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0, "affinity");
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    CHECK(online > 0, "nprocs");
    CHECK(sched_yield() == 0, "sched_yield");
    OUT("sched_getaffinity non-empty");

    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > 0 && rl.rlim_cur <= rl.rlim_max,
          "RLIMIT_NOFILE");
    CHECK(getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur > 0, "RLIMIT_STACK");
    CHECK(getrlimit(12345, &rl) == -1 && errno == EINVAL, "bad resource");
    OUT("getrlimit ok");

    struct rusage ru;
    CHECK(getrusage(RUSAGE_SELF, &ru) == 0, "getrusage");
    OUT("time_misc ok");
    return 0;
}
