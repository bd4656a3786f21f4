/* The user-space pool: one host reservation, the VMManager over it, and the
 * SysV shm state. */
#include "vm/user_space_vm_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/host_mem.h"
#include "host/host_mem_query.h"
#include "util/compiler.h"
#include "util/log.h"
#include "vm/process_vm_internal.h"
#include "vm/vm_util.h"

/* The policy a config asks for: explicit, else $ONESPACE_VM_UNMAP (so a
 * user can make every use after munmap fault while debugging), else LAZY. */
static enum vm_unmap_protect unmap_protect_policy(enum vm_unmap_protect asked)
{
    if (asked != VM_UNMAP_PROTECT_DEFAULT)
        return asked;
    const char *env = getenv("ONESPACE_VM_UNMAP");
    if (env && strcasecmp(env, "strict") == 0)
        return VM_UNMAP_PROTECT_STRICT;
    if (env && *env && strcasecmp(env, "lazy") != 0)
        log_warn("vm", "ONESPACE_VM_UNMAP=%s: not strict or lazy, using lazy", env);
    return VM_UNMAP_PROTECT_LAZY;
}

int user_space_vm_create(const struct user_space_vm_config *cfg,
                         struct user_space_vm **out)
{
    size_t size = cfg && cfg->user_space_size ? cfg->user_space_size
                                              : VM_DEFAULT_USER_SPACE_SIZE;
    size_t chunk = cfg && cfg->chunk_size ? cfg->chunk_size : VM_DEFAULT_CHUNK_SIZE;
    enum vm_unmap_protect unmap = cfg ? cfg->unmap_protect : VM_UNMAP_PROTECT_DEFAULT;
    if (!IS_ALIGNED(size, PAGE_SIZE) || !IS_ALIGNED(chunk, PAGE_SIZE) ||
        chunk < VM_MIN_CHUNK_SIZE || size / 2 < chunk || (unsigned)unmap > VM_UNMAP_PROTECT_LAZY)
        return -EINVAL;

    struct user_space_vm *usv = calloc(1, sizeof(*usv));
    if (!usv)
        return -ENOMEM;
    int err = host_mem_reserve(size, VM_POOL_ALIGN, &usv->base);
    if (err)
        goto fail_free;
    usv->size = size;
    err = vmm_init(&usv->mgr, vm_range_make((uintptr_t)usv->base, size), chunk);
    if (err)
        goto fail_unreserve;
    err = shm_manager_create(&usv->shm);
    if (err)
        goto fail_vmm;
    usv->single_min = MAX(chunk / 4, PAGE_SIZE);
    usv->dirty_max = VM_DEFAULT_DIRTY_MAX;
    usv->release_min = VM_DEFAULT_RELEASE_MIN;
    usv->zero_memset_max = VM_DEFAULT_ZERO_MEMSET_MAX;
    usv->unmap_protect = unmap_protect_policy(unmap);
    pthread_mutex_init(&usv->stats_lock, NULL);
    *out = usv;
    return 0;

fail_vmm:
    vmm_destroy(&usv->mgr);
fail_unreserve:
    host_mem_unreserve(usv->base, size);
fail_free:
    free(usv);
    return err == -EINVAL ? -ENOMEM : err;
}

void user_space_vm_destroy(struct user_space_vm *usv)
{
    if (!usv)
        return;
    vmm_lock(&usv->mgr);
    shm_manager_destroy(usv);
    vmm_unlock(&usv->mgr);
    if (usv->mgr.nr_single + usv->mgr.nr_multi)
        log_warn("vm", "user_space_vm_destroy: %zu chunks still in use",
                 usv->mgr.nr_single + usv->mgr.nr_multi);
    vmm_destroy(&usv->mgr);
    host_mem_unreserve(usv->base, usv->size);
    pthread_mutex_destroy(&usv->stats_lock);
    free(usv->procs);
    free(usv);
}

struct vm_range user_space_vm_range(const struct user_space_vm *usv)
{
    return usv->mgr.range;
}

void user_space_vm_get_stats(struct user_space_vm *usv, struct user_space_vm_stats *st)
{
    vmm_lock(&usv->mgr);
    *st = (struct user_space_vm_stats){
        .total_bytes = usv->size,
        .free_bytes = usv->mgr.fsm.free_bytes,
        .nr_single_chunks = usv->mgr.nr_single,
        .nr_multi_chunks = usv->mgr.nr_multi,
        .nr_chunks = usv->mgr.nr_single + usv->mgr.nr_multi,
        .nr_shm_segments = shm_manager_count(usv->shm),
    };
    for (struct chunk *c = vmm_first_after(&usv->mgr, 0); c; c = vmm_next(c)) {
        chunk_lock(c);
        st->nr_vmas += c->cm.nr_vmas;
        chunk_unlock(c);
    }
    vmm_unlock(&usv->mgr);
}

int user_space_vm_check(struct user_space_vm *usv)
{
    vmm_lock(&usv->mgr);
    int err = vmm_check(&usv->mgr);
    vmm_unlock(&usv->mgr);
    return err;
}

void user_space_vm_tune(struct user_space_vm *usv, const struct user_space_vm_tuning *t)
{
    vmm_lock(&usv->mgr);
    if (t->single_min)
        usv->single_min = ALIGN_UP(t->single_min, PAGE_SIZE);
    if (t->dirty_max)
        usv->dirty_max = t->dirty_max;
    if (t->release_min)
        usv->release_min = t->release_min;
    usv->zero_memset_max = t->zero_memset_max;
    /* Either policy can follow the other at any time: the recorded
     * protections of lazily freed pages stay true. */
    if (t->unmap_protect == VM_UNMAP_PROTECT_STRICT || t->unmap_protect == VM_UNMAP_PROTECT_LAZY)
        usv->unmap_protect = t->unmap_protect;
    vmm_unlock(&usv->mgr);
}

enum vm_unmap_protect user_space_vm_unmap_protect(const struct user_space_vm *usv)
{
    return usv->unmap_protect;
}

/* What the manager believes the host has for chunk c's pages (c locked). */
static void expected_prot(struct chunk *c, uintptr_t base, uint8_t *want)
{
    struct vm_range r = chunk_range(c);
    if (c->kind == CHUNK_MULTI)
        for (uintptr_t a = r.start; a < r.end; a += PAGE_SIZE)
            want[(a - base) >> PAGE_SHIFT] = (uint8_t)cm_free_page_prot(&c->cm, a);
    for (struct vm_area *v = cm_first(&c->cm); v; v = cm_next(v))
        memset(want + ((v->range.start - base) >> PAGE_SHIFT), vma_host_prot(v),
               vma_size(v) >> PAGE_SHIFT);
}

int user_space_vm_check_host(struct user_space_vm *usv)
{
    size_t pages = usv->size >> PAGE_SHIFT;
    uintptr_t base = (uintptr_t)usv->base;
    uint8_t *want = malloc(pages), *got = malloc(pages);
    int err = want && got ? 0 : -ENOMEM;
    if (!err) {
        memset(want, HOST_PROT_NONE, pages);   /* the pool's free space */
        vmm_lock(&usv->mgr);
        for (struct chunk *c = vmm_first_after(&usv->mgr, 0); c; c = vmm_next(c)) {
            chunk_lock(c);
            expected_prot(c, base, want);
            chunk_unlock(c);
        }
        err = host_mem_query_prot(base, base + usv->size, got);
        vmm_unlock(&usv->mgr);
    }
    for (size_t i = 0; !err && i < pages; i++) {
        if (want[i] != got[i]) {
            log_error("vm", "page %#lx: host protection %#x, expected %#x",
                      (unsigned long)(base + (i << PAGE_SHIFT)), got[i], want[i]);
            err = -EUCLEAN;
        }
    }
    free(want);
    free(got);
    return err;
}
