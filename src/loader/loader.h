/* The ELF loader: puts a static-PIE (or dynamic PIE + its interpreter)
 * Linux x86-64 executable into a process's memory in the pool, and builds
 * the initial stack (argc, argv, envp, auxv) the guest's start code reads.
 *
 * Everything returns 0 or a negative errno and never reads past a file:
 * -ENOEXEC  malformed or unsupported ELF (wrong class, machine, type,
 *           program headers out of bounds, an ET_EXEC whose fixed addresses
 *           are outside the pool or taken, ...)
 * -EACCES   the file is not readable or not a regular file
 * -ENOMEM   no room in the pool
 * -EIO      the file is shorter than its size said when reading it
 * -E2BIG    (stack) argv + envp need more than a quarter of the stack
 * or what the interpreter callback returned (-ENOENT: no interpreter).
 * On error nothing stays mapped in `vm` by the failed call.
 * Details: docs/loader.md. */
#ifndef ONESPACE_LOADER_LOADER_H
#define ONESPACE_LOADER_LOADER_H

#include <stddef.h>
#include <stdint.h>

struct file;
struct process_vm;

struct loader_image {
    uintptr_t entry;          /* where the first guest thread starts: the
                                 interpreter's entry if any, else the program's */
    uintptr_t prog_entry;     /* AT_ENTRY */
    uintptr_t load_bias;      /* where the program was loaded (0 for ET_EXEC) */
    uintptr_t phdr;           /* AT_PHDR (program headers in guest memory) */
    size_t phnum, phent;      /* AT_PHNUM, AT_PHENT */
    uintptr_t interp_base;    /* AT_BASE (0 without interpreter) */
    uintptr_t brk_start;      /* end of the program's highest segment, page aligned */
};

/* Opens `path` (the PT_INTERP of the program) as a File with a reference
 * the loader drops with file_put. 0 or a negative errno (returned as is). */
typedef int (*loader_open_fn)(void *ctx, const char *path, struct file **out);

/* Load `exe` (read with file_pread; the caller keeps its reference) and its
 * interpreter, if it has one, through `open_interp` (may be NULL: a program
 * with PT_INTERP then gives -ENOENT). Fills *out. */
int loader_load(struct process_vm *vm, struct file *exe, loader_open_fn open_interp,
                void *ctx, struct loader_image *out);

/* The brk heap of at most heap_size bytes: right after the image
 * (img->brk_start) when that part of the pool is free, else anywhere
 * (process_vm_init_heap's placement). */
int loader_setup_heap(struct process_vm *vm, const struct loader_image *img,
                      size_t heap_size);

#define LOADER_DEFAULT_STACK_SIZE (8UL << 20)

struct loader_stack_args {
    char *const *argv;        /* NULL-terminated; NULL = no arguments */
    char *const *envp;        /* NULL-terminated; NULL = empty environment */
    const char *execfn;       /* AT_EXECFN; NULL = argv[0] (or "") */
    size_t stack_size;        /* 0 = LOADER_DEFAULT_STACK_SIZE; page rounded */
    uintptr_t vdso_base;      /* AT_SYSINFO_EHDR; 0 = none */
    uint64_t hwcap, hwcap2;   /* AT_HWCAP, AT_HWCAP2 */
    size_t minsigstksz;       /* AT_MINSIGSTKSZ; 0 = leave the entry out */
};

/* Map the main thread's stack (marked [stack]) and lay out, as Linux does:
 * argc, argv[], NULL, envp[], NULL, auxv pairs up to AT_NULL, then padding,
 * 16 random bytes (AT_RANDOM), "x86_64" (AT_PLATFORM), argv and envp
 * strings, the AT_EXECFN string, and 8 zero bytes at the very top.
 * *rsp_out = the address of argc, 16-byte aligned. */
int loader_setup_stack(struct process_vm *vm, const struct loader_image *img,
                       const struct loader_stack_args *a, uintptr_t *rsp_out);

#endif
