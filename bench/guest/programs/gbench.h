/* Shared by the guest benchmark programs: each one times its own loop with
 * CLOCK_MONOTONIC and prints one line `ns_per_op VALUE` (or `mb_per_s
 * VALUE`, `req_per_s VALUE`) for bench_guest to read. They run natively
 * and inside onespace unchanged, so they use nothing but libc. */
#ifndef GBENCH_H
#define GBENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double gb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* argv[i] as a positive count, or dflt. */
static inline long gb_count(int argc, char **argv, int i, long dflt)
{
    long v = i < argc ? atol(argv[i]) : 0;
    return v > 0 ? v : dflt;
}

static inline void gb_fail(const char *what)
{
    fprintf(stderr, "guest bench: %s failed\n", what);
    exit(1);
}

static inline void gb_report(const char *key, double value)
{
    printf("%s %.3f\n", key, value);
    fflush(stdout);
}

#endif
