/* The user-space pool: one host reservation, the VMManager over it, and the
 * SysV shm state. */
#include "vm/user_space_vm_internal.h"

#include <errno.h>
#include <stdlib.h>

#include "host/host_mem.h"
#include "util/compiler.h"
#include "util/log.h"
#include "vm/vm_util.h"

int user_space_vm_create(const struct user_space_vm_config *cfg,
                         struct user_space_vm **out)
{
    size_t size = cfg && cfg->user_space_size ? cfg->user_space_size
                                              : VM_DEFAULT_USER_SPACE_SIZE;
    size_t chunk = cfg && cfg->chunk_size ? cfg->chunk_size : VM_DEFAULT_CHUNK_SIZE;
    if (!IS_ALIGNED(size, PAGE_SIZE) || !IS_ALIGNED(chunk, PAGE_SIZE) ||
        chunk < VM_MIN_CHUNK_SIZE || size / 2 < chunk)
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
    vmm_unlock(&usv->mgr);
}
