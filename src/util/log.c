#include "util/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* -1 = not read from the environment yet. */
static _Atomic int current_level = -1;

static const char *const level_names[] = { "error", "warn", "info", "debug", "trace" };

static int level_from_env(void)
{
    const char *s = getenv("ONESPACE_LOG");
    if (!s)
        return LOG_WARN;
    for (int i = 0; i <= LOG_TRACE; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return LOG_WARN;
}

enum log_level log_current_level(void)
{
    int l = atomic_load_explicit(&current_level, memory_order_relaxed);
    if (l < 0) {
        l = level_from_env();
        atomic_store(&current_level, l);
    }
    return (enum log_level)l;
}

void log_set_level(enum log_level level) { atomic_store(&current_level, (int)level); }

void log_write(enum log_level level, const char *subsystem, const char *fmt, ...)
{
    char buf[1024];
    int n = snprintf(buf, sizeof(buf), "onespace[%s] %s: ", subsystem,
                     level_names[level]);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof(buf))
        vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
    va_end(ap);
    /* One write per line so lines of concurrent threads do not interleave. */
    fprintf(stderr, "%s\n", buf);
}
