/* Loading ELF images into a process's memory (loader_load) and placing the
 * brk heap after them (loader_setup_heap).
 *
 * One image = one reservation of the whole span of its PT_LOAD segments
 * (so the segments keep their relative addresses), mapped read-write while
 * the file bytes are copied in, then each segment gets its final
 * protection. Pages from the memory manager are zero already; gaps between
 * segments are unmapped, as Linux leaves them. */
#include "loader/loader.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "fs/file.h"
#include "loader/elf_headers.h"
#include "util/compiler.h"
#include "vm/process_vm.h"

struct loaded {
    uintptr_t start, len;     /* the mapped span */
    uintptr_t bias;
};

static int seg_prot(const Elf64_Phdr *p)
{
    return ((p->p_flags & PF_R) ? PROT_READ : 0) |
           ((p->p_flags & PF_W) ? PROT_WRITE : 0) |
           ((p->p_flags & PF_X) ? PROT_EXEC : 0);
}

/* Reserve the span: fixed for ET_EXEC, anywhere (aligned) for ET_DYN. */
static int reserve_span(struct process_vm *vm, const struct elf_info *info,
                        struct loaded *out)
{
    size_t span = info->hi - info->lo;
    const int rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
    if (info->eh.e_type == ET_EXEC) {
        long r = process_vm_mmap(vm, info->lo, span, rw, anon | MAP_FIXED_NOREPLACE,
                                 NULL, 0);
        if (r < 0)      /* outside the pool (-ENOMEM), taken (-EEXIST), at 0... */
            return -ENOEXEC;
        *out = (struct loaded){ .start = info->lo, .len = span, .bias = 0 };
        return 0;
    }
    /* Over-reserve by the alignment, then give back head and tail. */
    size_t extra = info->align - PAGE_SIZE;
    if (span > SIZE_MAX - extra)
        return -ENOMEM;
    long r = process_vm_mmap(vm, 0, span + extra, rw, anon, NULL, 0);
    if (r < 0)
        return r == -EINVAL ? -ENOMEM : (int)r;
    uintptr_t base = (uintptr_t)r, start = ALIGN_UP(base, info->align);
    int err = 0;
    if (start > base)
        err = process_vm_munmap(vm, base, start - base);
    if (!err && base + span + extra > start + span)
        err = process_vm_munmap(vm, start + span, base + span + extra - (start + span));
    if (err) {
        process_vm_munmap(vm, base, span + extra);
        return err;
    }
    *out = (struct loaded){ .start = start, .len = span, .bias = start - info->lo };
    return 0;
}

/* Copy one segment's file bytes (from the start of its first page, as
 * Linux's file mapping shows them) and zero the rest of its memory that
 * shares the last file page (the start of .bss). */
static int fill_segment(struct file *f, const Elf64_Phdr *p, uintptr_t bias)
{
    uintptr_t vaddr = p->p_vaddr + bias, head = vaddr % PAGE_SIZE;
    if (p->p_filesz > 0) {
        int err = elf_read_exact(f, (void *)(vaddr - head), head + p->p_filesz,
                                 p->p_offset - head);
        if (err)
            return err;
    }
    uintptr_t zero = vaddr + p->p_filesz;
    uintptr_t zero_end = MIN(vaddr + p->p_memsz, ALIGN_UP(zero, PAGE_SIZE));
    if (zero_end > zero)
        memset((void *)zero, 0, zero_end - zero);
    return 0;
}

static int map_image(struct process_vm *vm, struct file *f, const struct elf_info *info,
                     struct loaded *out)
{
    int err = reserve_span(vm, info, out);
    if (err)
        return err;
    uintptr_t bias = out->bias, prev_end = out->start;
    for (size_t i = 0; !err && i < info->eh.e_phnum; i++) {
        const Elf64_Phdr *p = &info->ph[i];
        if (p->p_type != PT_LOAD || p->p_memsz == 0)
            continue;
        uintptr_t first = ALIGN_DOWN((uintptr_t)p->p_vaddr + bias, PAGE_SIZE);
        if (first > prev_end)
            err = process_vm_munmap(vm, prev_end, first - prev_end);
        if (!err)
            err = fill_segment(f, p, bias);
        prev_end = MAX(prev_end, ALIGN_UP((uintptr_t)(p->p_vaddr + p->p_memsz) + bias,
                                          PAGE_SIZE));
    }
    /* Final protections, in header order: a page two segments share gets
     * the later one's, as with Linux's successive MAP_FIXED maps. */
    for (size_t i = 0; !err && i < info->eh.e_phnum; i++) {
        const Elf64_Phdr *p = &info->ph[i];
        if (p->p_type != PT_LOAD || p->p_memsz == 0)
            continue;
        uintptr_t first = ALIGN_DOWN((uintptr_t)p->p_vaddr + bias, PAGE_SIZE);
        uintptr_t end = ALIGN_UP((uintptr_t)(p->p_vaddr + p->p_memsz) + bias, PAGE_SIZE);
        err = process_vm_mprotect(vm, first, end - first, seg_prot(p));
    }
    if (err)
        process_vm_munmap(vm, out->start, out->len);
    return err;
}

/* The entry point must lie inside the image. */
static int check_entry(const struct elf_info *info)
{
    uint64_t e = info->eh.e_entry;
    return e >= info->lo && e < info->hi ? 0 : -ENOEXEC;
}

static int load_interp(struct process_vm *vm, const char *path, loader_open_fn open_interp,
                       void *ctx, struct loaded *out, uintptr_t *entry)
{
    if (!open_interp)
        return -ENOENT;
    struct file *f = NULL;
    int err = open_interp(ctx, path, &f);
    if (err)
        return err;
    struct elf_info info;
    err = elf_info_read(f, &info);
    if (err)
        goto out_put;
    /* The interpreter is a shared object that needs no interpreter. */
    if (info.eh.e_type != ET_DYN || info.interp)
        err = -ENOEXEC;
    if (!err)
        err = check_entry(&info);
    if (!err)
        err = map_image(vm, f, &info, out);
    if (!err)
        *entry = info.eh.e_entry + out->bias;
    elf_info_release(&info);
out_put:
    file_put(f);
    return err;
}

int loader_load(struct process_vm *vm, struct file *exe, loader_open_fn open_interp,
                void *ctx, struct loader_image *out)
{
    struct elf_info info;
    int err = elf_info_read(exe, &info);
    if (err)
        return err;
    err = check_entry(&info);
    struct loaded prog;
    if (!err)
        err = map_image(vm, exe, &info, &prog);
    if (err)
        goto out;
    *out = (struct loader_image){
        .prog_entry = info.eh.e_entry + prog.bias,
        .load_bias = prog.bias,
        .phdr = info.phdr_vaddr + prog.bias,
        .phnum = info.eh.e_phnum,
        .phent = info.eh.e_phentsize,
        .brk_start = info.hi + prog.bias,
    };
    out->entry = out->prog_entry;
    if (info.interp) {
        struct loaded interp;
        err = load_interp(vm, info.interp_path, open_interp, ctx, &interp, &out->entry);
        if (err) {
            process_vm_munmap(vm, prog.start, prog.len);
            goto out;
        }
        out->interp_base = interp.bias;
    }
out:
    elf_info_release(&info);
    return err;
}

int loader_setup_heap(struct process_vm *vm, const struct loader_image *img,
                      size_t heap_size)
{
    int err = process_vm_init_heap(vm, img->brk_start, heap_size);
    /* Right after the image only works when that is free pool space (an
     * image in a multi-VMA chunk has chunk space there): else anywhere. */
    if (err == -ENOMEM)
        err = process_vm_init_heap(vm, 0, heap_size);
    return err;
}
