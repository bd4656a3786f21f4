/* See host_fault.h. Each point has a call counter and a target: the call
 * whose number equals the target fails (and every later one if sticky).
 * Counters are atomics: points are checked from any thread. */
#include "host/host_fault.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fault_point {
    const char *name;
    int default_err;
    atomic_ulong calls;         /* calls counted since armed */
    atomic_ulong target;        /* 0: disarmed */
    atomic_int err;
    atomic_bool sticky;
    atomic_ulong injected;
};

static struct fault_point points[HOST_FAULT_NR_POINTS] = {
    [HOST_FAULT_MEM_COMMIT] = { .name = "mem_commit", .default_err = ENOMEM },
    [HOST_FAULT_MEM_PROTECT] = { .name = "mem_protect", .default_err = ENOMEM },
    [HOST_FAULT_THREAD_CREATE] = { .name = "thread_create", .default_err = EAGAIN },
    [HOST_FAULT_FILE_WRITE] = { .name = "file_write", .default_err = ENOSPC },
    [HOST_FAULT_SOCKET] = { .name = "socket", .default_err = ENOBUFS },
    [HOST_FAULT_SOCKET_SEND] = { .name = "socket_send", .default_err = ENOBUFS },
};

/* Any point armed? Keeps the unarmed check to one load. */
static atomic_int armed_count;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

const char *host_fault_point_name(enum host_fault_point p)
{
    return (unsigned)p < HOST_FAULT_NR_POINTS ? points[p].name : NULL;
}

static void arm(enum host_fault_point p, unsigned long nth, int err, bool sticky)
{
    struct fault_point *f = &points[p];
    unsigned long old = atomic_exchange(&f->target, 0);
    atomic_store(&f->calls, 0);
    atomic_store(&f->injected, 0);
    atomic_store(&f->err, err ? err : f->default_err);
    atomic_store(&f->sticky, sticky);
    if (nth)
        atomic_store(&f->target, nth);
    atomic_fetch_add(&armed_count, (nth != 0) - (old != 0));
}

static const struct { const char *name; int err; } errnames[] = {
    { "ENOMEM", ENOMEM }, { "EAGAIN", EAGAIN }, { "ENOSPC", ENOSPC },
    { "EIO", EIO }, { "ENOBUFS", ENOBUFS }, { "EMFILE", EMFILE },
    { "ENFILE", ENFILE }, { "EPIPE", EPIPE }, { "EDQUOT", EDQUOT },
    { "EFBIG", EFBIG }, { "EINTR", EINTR }, { "EACCES", EACCES },
};

static int parse_item(char *item)
{
    char *name = strtok(item, ":");
    char *num = strtok(NULL, ":");
    char *errname = strtok(NULL, ":");
    if (!name || !num)
        return -EINVAL;
    int p;
    for (p = 0; p < HOST_FAULT_NR_POINTS; p++)
        if (strcmp(points[p].name, name) == 0)
            break;
    if (p == HOST_FAULT_NR_POINTS)
        return -EINVAL;
    char *end;
    unsigned long nth = strtoul(num, &end, 10);
    bool sticky = *end == '+';
    if (end == num || nth == 0 || (*end && strcmp(end, "+") != 0))
        return -EINVAL;
    int err = 0;
    if (errname) {
        size_t i;
        for (i = 0; i < sizeof errnames / sizeof errnames[0]; i++)
            if (strcmp(errnames[i].name, errname) == 0)
                break;
        if (i == sizeof errnames / sizeof errnames[0])
            return -EINVAL;
        err = errnames[i].err;
    }
    arm((enum host_fault_point)p, nth, err, sticky);
    return 0;
}

int host_fault_parse(const char *spec)
{
    char *copy = strdup(spec);
    if (!copy)
        return -ENOMEM;
    int r = 0;
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item && !r;
         item = strtok_r(NULL, ",", &save))
        r = parse_item(item);
    free(copy);
    return r;
}

static void read_env(void)
{
    const char *spec = getenv("ONESPACE_FAULT");
    if (spec && *spec && host_fault_parse(spec) != 0)
        fprintf(stderr, "onespace: ONESPACE_FAULT=\"%s\": expected "
                "point:N[+][:ERRNO],... (points: mem_commit mem_protect "
                "thread_create file_write socket socket_send)\n", spec);
}

int host_fault_should_fail(enum host_fault_point p)
{
    pthread_once(&env_once, read_env);
    if (atomic_load_explicit(&armed_count, memory_order_relaxed) == 0)
        return 0;
    struct fault_point *f = &points[p];
    unsigned long target = atomic_load(&f->target);
    if (!target)
        return 0;
    unsigned long n = atomic_fetch_add(&f->calls, 1) + 1;
    if (n == target || (n > target && atomic_load(&f->sticky))) {
        atomic_fetch_add(&f->injected, 1);
        return -atomic_load(&f->err);
    }
    return 0;
}

void host_fault_arm(enum host_fault_point p, unsigned long nth, int err, bool sticky)
{
    pthread_once(&env_once, read_env);
    if ((unsigned)p < HOST_FAULT_NR_POINTS)
        arm(p, nth, err, sticky);
}

void host_fault_disarm_all(void)
{
    pthread_once(&env_once, read_env);
    for (int p = 0; p < HOST_FAULT_NR_POINTS; p++)
        arm((enum host_fault_point)p, 0, 0, false);
}

unsigned long host_fault_injected(enum host_fault_point p)
{
    return (unsigned)p < HOST_FAULT_NR_POINTS ? atomic_load(&points[p].injected) : 0;
}
