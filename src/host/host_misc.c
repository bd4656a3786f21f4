/* Host facts for guests (see host_misc.h). */
#include "host/host_misc.h"

#include <errno.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

int host_uname(struct utsname *u) { return uname(u) ? -errno : 0; }

int host_clock_gettime(clockid_t clk, struct timespec *ts)
{
    return clock_gettime(clk, ts) ? -errno : 0;
}

int host_clock_getres(clockid_t clk, struct timespec *ts)
{
    return clock_getres(clk, ts) ? -errno : 0;
}

int host_sysinfo(struct sysinfo *si) { return sysinfo(si) ? -errno : 0; }

int host_getrusage(int who, struct rusage *ru) { return getrusage(who, ru) ? -errno : 0; }

int host_sched_getaffinity(void *mask, size_t len)
{
    long r = syscall(SYS_sched_getaffinity, 0, len, mask);
    return r < 0 ? -errno : (int)r;
}

long host_nprocs(void) { return sysconf(_SC_NPROCESSORS_ONLN); }
