#include "vm/chunk.h"

#include <errno.h>
#include <stdlib.h>

#include "util/log.h"

int chunk_new(enum chunk_kind kind, struct vm_range range, struct process_vm *owner,
              struct chunk **out)
{
    struct chunk *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    int err = cm_init(&c->cm, range, kind == CHUNK_MULTI);
    if (err) {
        free(c);
        return err;
    }
    c->kind = kind;
    c->owner = owner;
    pthread_mutex_init(&c->lock, NULL);
    list_init(&c->multi_link);
    list_init(&c->trim_link);
    *out = c;
    return 0;
}

void chunk_free(struct chunk *c)
{
    if (!c)
        return;
    cm_destroy(&c->cm);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

size_t chunk_free_bytes(const struct chunk *c)
{
    if (c->kind == CHUNK_MULTI)
        return c->cm.fsm.free_bytes;
    return vm_range_size(c->cm.range) - c->cm.vma_bytes;
}

size_t chunk_largest_free(const struct chunk *c)
{
    return c->kind == CHUNK_MULTI ? fsm_largest_free(&c->cm.fsm) : 0;
}

int chunk_check(const struct chunk *c)
{
    int err = cm_check(&c->cm);
    if (err)
        return err;
    if (c->kind == CHUNK_SINGLE) {
        for (struct vm_area *v = cm_first(&c->cm); v; v = cm_next(v)) {
            if (v->chunk != c || (c->owner && v->owner != c->owner)) {
                log_error("vm", "single chunk %#lx: VMA of another owner",
                          (unsigned long)c->cm.range.start);
                return -EUCLEAN;
            }
        }
    } else {
        for (struct vm_area *v = cm_first(&c->cm); v; v = cm_next(v)) {
            if (v->chunk != c || !v->owner) {
                log_error("vm", "multi chunk %#lx: bad VMA %#lx",
                          (unsigned long)c->cm.range.start, (unsigned long)v->range.start);
                return -EUCLEAN;
            }
        }
    }
    return 0;
}
