/* Host facts a guest may ask for: uname, clocks,
 * system information, CPU affinity. Thin wrappers: 0 / value or -errno. */
#ifndef ONESPACE_HOST_HOST_MISC_H
#define ONESPACE_HOST_HOST_MISC_H

#include <stddef.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <time.h>

int host_uname(struct utsname *u);
int host_clock_gettime(clockid_t clk, struct timespec *ts);
int host_clock_getres(clockid_t clk, struct timespec *ts);
int host_sysinfo(struct sysinfo *si);
/* RUSAGE_SELF of the whole host process, or RUSAGE_THREAD of the caller. */
int host_getrusage(int who, struct rusage *ru);
/* Affinity of the host process (the guest's CPUs), as a byte mask. */
int host_sched_getaffinity(void *mask, size_t len);
long host_nprocs(void);

#endif
