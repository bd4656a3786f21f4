/* Shared benchmark helpers. Every figure is printed as one line:
 *   bench: NAME onespace=VALUE UNIT native=VALUE UNIT ratio=X
 * or, where there is no native counterpart,
 *   bench: NAME onespace=VALUE UNIT baseline=WHAT:VALUE UNIT ratio=X
 * ratio > 1 means onespace is better (faster, or less memory). */
#ifndef ONESPACE_BENCH_H
#define ONESPACE_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Scale iteration counts down with BENCH_SCALE=0.1 etc. for quick runs. */
static inline double bench_scale(void)
{
    const char *s = getenv("BENCH_SCALE");
    double v = s ? atof(s) : 1.0;
    return v > 0 ? v : 1.0;
}

/* Lower is better (time, bytes): ratio = native / onespace. */
static inline void bench_report_lower(const char *name, double onespace,
                                      double native, const char *unit)
{
    printf("bench: %s onespace=%.4g %s native=%.4g %s ratio=%.2f\n", name,
           onespace, unit, native, unit, onespace > 0 ? native / onespace : 0.0);
    fflush(stdout);
}

/* Higher is better (throughput): ratio = onespace / native. */
static inline void bench_report_higher(const char *name, double onespace,
                                       double native, const char *unit)
{
    printf("bench: %s onespace=%.4g %s native=%.4g %s ratio=%.2f\n", name,
           onespace, unit, native, unit, native > 0 ? onespace / native : 0.0);
    fflush(stdout);
}

/* No native counterpart: compare with a named baseline (lower is better). */
static inline void bench_report_baseline(const char *name, double onespace,
                                         const char *baseline, double base,
                                         const char *unit)
{
    printf("bench: %s onespace=%.4g %s baseline=%s:%.4g %s ratio=%.2f\n", name,
           onespace, unit, baseline, base, unit, onespace > 0 ? base / onespace : 0.0);
    fflush(stdout);
}

#endif
