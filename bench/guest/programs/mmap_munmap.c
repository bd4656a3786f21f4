/* mmap_munmap_4k_guest: map one anonymous private 4 KiB page, unmap it
 * (untouched).  Usage: mmap_munmap [N] */
#include <sys/mman.h>

#include "gbench.h"

static void one(void)
{
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        gb_fail("mmap");
    if (munmap(p, 4096) != 0)
        gb_fail("munmap");
}

int main(int argc, char **argv)
{
    long n = gb_count(argc, argv, 1, 50000);
    for (int i = 0; i < 500; i++)
        one();
    double t0 = gb_now_ns();
    for (long i = 0; i < n; i++)
        one();
    double t1 = gb_now_ns();
    gb_report("ns_per_op", (t1 - t0) / (double)n);
    return 0;
}
