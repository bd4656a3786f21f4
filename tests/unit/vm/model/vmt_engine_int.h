/* Internals shared by vmt_engine.c (calls) and vmt_check.c (checks). */
#ifndef VMT_ENGINE_INT_H
#define VMT_ENGINE_INT_H

#include <stdarg.h>
#include <stdio.h>

#include "vmt_engine.h"

#define VMT_LOG_DEPTH 24
#define VMT_MAX_AFF   4

struct vmt_engine {
    struct vmt_config cfg;
    struct vmt_model m;
    struct vmt_target *t[2];
    int nt;
    uint64_t rng;
    unsigned long step;
    pid_t next_pid;
    int next_key;
    struct vmt_counters c;
    bool failed;
    char fail[512];
    char log[VMT_LOG_DEPTH][192];
    /* Page ranges this step changed or read: checked closely afterwards. */
    struct { int64_t p, n; } aff[VMT_MAX_AFF];
    int naff;
    int slot;                   /* slot that acted this step */
    char *maps_buf;             /* scratch for render_maps */
    size_t maps_cap;
    uint8_t *host_prot;         /* scratch: host protection per page */
    struct vmt_call *calls;     /* every call run, for replays */
    size_t ncalls, cap_calls;
};

/* Record the first failure (printf-style); returns -1. */
int vmt_fail(struct vmt_engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Describe the current step for the replay log. */
void vmt_note(struct vmt_engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline uintptr_t vmt_addr(const struct vmt_target *t, int64_t page)
{
    return t->base + (uintptr_t)(page * (int64_t)VMT_PAGE);
}

static inline void vmt_affect(struct vmt_engine *e, int64_t p, int64_t n)
{
    if (e->naff < VMT_MAX_AFF && n > 0)
        e->aff[e->naff++] = (typeof(e->aff[0])){ p, n };
}

/* Checks after a step (vmt_check.c). `full` = whole pool. 0 or -1. */
int vmt_check_step(struct vmt_engine *e, bool full);
/* Final check once every process is gone. */
int vmt_check_empty(struct vmt_engine *e);
/* Write fresh tags into some writable pages of [p, p+n) for slot s. */
void vmt_scribble(struct vmt_engine *e, int s, int64_t p, int64_t n, int max_pages);

#endif
