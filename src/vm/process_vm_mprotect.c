/* mprotect across VMAs and chunks, like Linux (Occlum: EINVAL across
 * chunks). Validated first (holes -> ENOMEM, EACCES cases), then applied,
 * so an error changes nothing. Process lock + one chunk lock at a time. */
#include "vm/process_vm_internal.h"

#include <errno.h>
#include <sys/mman.h>

#include "host/host_mem.h"
#include "util/compiler.h"
#include "util/log.h"
#include "vm/vm_perms.h"

#define PROT_SEM_BIT 0x8

struct mp_check {
    uintptr_t pos, end;
    uint32_t perms;
    struct process_vm *vm;
    int err;
};

static int check_vma(struct chunk_ref *ref, struct vm_area *v, void *arg)
{
    struct mp_check *mc = arg;
    if (v->range.start > mc->pos) {
        mc->err = -ENOMEM;      /* a hole (or another process's memory) */
        return 1;
    }
    if (v->flags & VMA_SHM) {
        /* One segment at one address for all: only whole attachments. */
        if (v->range.start < mc->pos || v->range.end > mc->end) {
            mc->err = -EINVAL;
            return 1;
        }
        if (mc->perms & ~vma_max_perms_for(v, mc->vm)) {
            mc->err = -EACCES;  /* attached SHM_RDONLY */
            return 1;
        }
    }
    if ((mc->perms & VM_PERM_WRITE) && (v->flags & VMA_SHARED) && v->file &&
        !vm_file_writable(v->file)) {
        mc->err = -EACCES;
        return 1;
    }
    mc->pos = v->range.end;
    return mc->pos >= mc->end;
}

/* Apply perms to [start, end) in one chunk (locked). */
static int apply_in_chunk(struct vm_op *op, struct chunk_ref *ref, struct vm_range r,
                          uint32_t perms)
{
    struct process_vm *vm = op->vm;
    struct vm_chunk_manager *cm = &ref->chunk->cm;
    int ret = 0;
    uintptr_t pos = r.start;
    struct vm_area *v;
    while ((v = cm_first_after(cm, pos)) != NULL && v->range.start < r.end) {
        if (!vma_visible_to(v, vm)) {
            pos = v->range.end;
            continue;
        }
        if (v->flags & VMA_SHM) {
            uint32_t old_perms = perms;
            for (unsigned i = 0; i < v->nr_sharers; i++)
                if (v->sharers[i].vm == vm) {
                    old_perms = v->sharers[i].perms;
                    v->sharers[i].perms = perms;
                }
            int err = host_mem_protect((void *)v->range.start, vma_size(v), vma_host_prot(v));
            if (err) {
                /* The host kept the old protection: so does the record. */
                for (unsigned i = 0; i < v->nr_sharers; i++)
                    if (v->sharers[i].vm == vm)
                        v->sharers[i].perms = old_perms;
                if (!ret)
                    ret = err;
            }
            pos = v->range.end;
            continue;
        }
        if (v->perms == perms) {      /* nothing changes: no host call */
            pos = v->range.end;
            continue;
        }
        if (v->range.start < r.start) {
            struct vm_area *right = op_take_blank(op);
            cm_split(cm, v, r.start, right);
            ref->nr_vmas++;
            v = right;
        }
        if (v->range.end > r.end) {
            struct vm_area *right = op_take_blank(op);
            cm_split(cm, v, r.end, right);
            ref->nr_vmas++;
        }
        uint32_t old_perms = v->perms;
        v->perms = perms;
        int err = host_mem_protect((void *)v->range.start, vma_size(v), vm_perms_to_host(perms));
        if (err) {
            /* The host kept the old protection (e.g. ENOMEM): so does the
             * record, or the two would disagree from now on. */
            v->perms = old_perms;
            log_error("vm", "mprotect %#lx: host %d", (unsigned long)v->range.start, err);
            if (!ret)
                ret = err;
        }
        pos = v->range.end;
        unsigned freed;
        cm_merge_around(cm, v, &freed);
        ref->nr_vmas -= freed;
    }
    return ret;
}

int process_vm_mprotect(struct process_vm *vm, uintptr_t addr, size_t len, int prot)
{
    /* Checks in Linux's order (do_mprotect_pkey). */
    int grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
    if (grows == (PROT_GROWSDOWN | PROT_GROWSUP))
        return -EINVAL;
    if (!IS_ALIGNED(addr, PAGE_SIZE))
        return -EINVAL;
    if (len == 0)
        return 0;
    if (len > SIZE_MAX - (PAGE_SIZE - 1))
        return -ENOMEM;
    size_t size = ALIGN_UP(len, PAGE_SIZE);
    uintptr_t end = addr + size;
    if (end <= addr)
        return -ENOMEM;
    if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM_BIT | PROT_GROWSDOWN | PROT_GROWSUP))
        return -EINVAL;
    uint32_t perms = (uint32_t)prot & VM_PERM_RWX;

    pthread_mutex_lock(&vm->lock);
    struct vm_op op;
    op_init(&op, vm, false);
    int err = 0;
    uintptr_t start = addr;

    /* The VMA at (or after) addr decides GROWSDOWN/GROWSUP. */
    struct chunk_ref *ref = ref_first_after(vm, addr);
    struct vm_area *first = NULL;
    for (; ref && !first; ref = ref_next(ref)) {
        chunk_lock(ref->chunk);
        for (struct vm_area *v = cm_first_after(&ref->chunk->cm, addr); v; v = cm_next(v))
            if (vma_visible_to(v, vm)) {
                first = v;
                break;
            }
        if (first && grows) {
            if (first->range.start >= end)
                err = -ENOMEM;
            else if ((grows & PROT_GROWSUP) || !(first->flags & VMA_GROWSDOWN))
                err = -EINVAL;
            else
                start = first->range.start;
        }
        chunk_unlock(ref->chunk);
    }
    if (!first)
        err = -ENOMEM;
    if (err)
        goto out;

    struct mp_check mc = { .pos = start, .end = end, .perms = perms, .vm = vm };
    struct vm_range r = { start, end };
    walk_vmas(vm, r, check_vma, &mc);
    err = mc.err;
    if (!err && mc.pos < end)
        err = -ENOMEM;
    if (!err)
        err = op_reserve(&op, 2);
    if (err)
        goto out;

    for (ref = ref_first_after(vm, start); ref && chunk_range(ref->chunk).start < end;
         ref = ref_next(ref)) {
        chunk_lock(ref->chunk);
        int e = apply_in_chunk(&op, ref, r, perms);
        chunk_unlock(ref->chunk);
        if (e && !err)
            err = e;
    }
out:
    op_finish(&op);
    return err;
}
