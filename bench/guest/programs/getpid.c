/* getpid_guest: one raw getpid per iteration (syscall(), so no libc
 * caching can skip the kernel, or onespace).  Usage: getpid [N] */
#include <sys/syscall.h>
#include <unistd.h>

#include "gbench.h"

int main(int argc, char **argv)
{
    long n = gb_count(argc, argv, 1, 200000);
    for (int i = 0; i < 1000; i++)         /* warm up */
        syscall(SYS_getpid);
    double t0 = gb_now_ns();
    for (long i = 0; i < n; i++)
        if (syscall(SYS_getpid) <= 0)
            gb_fail("getpid");
    double t1 = gb_now_ns();
    gb_report("ns_per_op", (t1 - t0) / (double)n);
    return 0;
}
