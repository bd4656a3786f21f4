/* The initial stack of a new program (Linux's create_elf_tables layout).
 *
 *   top:  8 zero bytes
 *         AT_EXECFN string
 *         envp strings, argv strings (argv[0] lowest)
 *         "x86_64" (AT_PLATFORM)
 *         16 random bytes (AT_RANDOM), 16-byte aligned
 *         padding
 *   rsp:  argc, argv[0..argc-1], NULL, envp[...], NULL, auxv pairs, AT_NULL
 *
 * The strings are measured first, so E2BIG comes before anything is
 * mapped; then the stack is mapped and written directly (it is our own
 * address space). */
#include "loader/loader.h"

#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "host/host_ids.h"
#include "host/host_random.h"
#include "util/compiler.h"
#include "vm/process_vm.h"

#define PLATFORM "x86_64"
#define MAX_AUXV 24

struct strv {
    char *const *v;
    size_t n;       /* entries */
    size_t bytes;   /* string bytes with NULs */
};

static int measure(char *const *v, size_t limit, struct strv *out)
{
    *out = (struct strv){ .v = v };
    for (; v && v[out->n]; out->n++) {
        size_t l = strlen(v[out->n]) + 1;
        if (l > limit || out->bytes > limit - l || out->n >= limit / sizeof(void *))
            return -E2BIG;
        out->bytes += l;
    }
    return 0;
}

/* Copy the strings downwards from *pos (last one highest, as Linux), store
 * their guest addresses in ptrs[]. */
static void put_strings(const struct strv *s, uintptr_t *pos, uint64_t *ptrs)
{
    for (size_t i = s->n; i-- > 0;) {
        size_t l = strlen(s->v[i]) + 1;
        *pos -= l;
        memcpy((void *)*pos, s->v[i], l);
        ptrs[i] = *pos;
    }
}

static uintptr_t put_bytes(uintptr_t *pos, const void *src, size_t len)
{
    *pos -= len;
    memcpy((void *)*pos, src, len);
    return *pos;
}

struct auxv {
    uint64_t kv[2 * MAX_AUXV];
    size_t n;
};

static void aux(struct auxv *a, uint64_t key, uint64_t val)
{
    a->kv[2 * a->n] = key;
    a->kv[2 * a->n + 1] = val;
    a->n++;
}

int loader_setup_stack(struct process_vm *vm, const struct loader_image *img,
                       const struct loader_stack_args *a, uintptr_t *rsp_out)
{
    size_t size = a->stack_size ? a->stack_size : LOADER_DEFAULT_STACK_SIZE;
    if (size > SIZE_MAX / 2)
        return -ENOMEM;
    size = ALIGN_UP(size, PAGE_SIZE);
    const char *execfn = a->execfn ? a->execfn
                       : (a->argv && a->argv[0]) ? a->argv[0] : "";

    /* Linux's limit: strings and pointers within a quarter of the stack. */
    size_t limit = size / 4;
    struct strv argv, envp;
    int err = measure(a->argv, limit, &argv);
    if (!err)
        err = measure(a->envp, limit, &envp);
    if (err)
        return err;
    size_t execfn_len = strlen(execfn) + 1;
    size_t need = argv.bytes + envp.bytes + execfn_len +
                  (argv.n + envp.n + 3) * sizeof(uint64_t);
    if (argv.bytes > limit || envp.bytes > limit || execfn_len > limit || need > limit)
        return -E2BIG;

    unsigned char random[16];
    err = host_random_bytes(random, sizeof(random));
    if (err)
        return err;

    long r = process_vm_mmap(vm, 0, size, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_GROWSDOWN,
                             NULL, 0);
    if (r < 0)
        return (int)r;
    uintptr_t base = (uintptr_t)r, pos = base + size;
    err = process_vm_mark_stack(vm, base, size);
    if (err) {
        process_vm_munmap(vm, base, size);
        return err;
    }

    /* Pointer table, built in place below the strings. */
    pos -= sizeof(uint64_t);                    /* the zero word at the top */
    memset((void *)pos, 0, sizeof(uint64_t));
    uintptr_t execfn_addr = put_bytes(&pos, execfn, execfn_len);
    size_t nptr = 1 + argv.n + 1 + envp.n + 1;
    /* Where everything below the strings goes, so the table's place is
     * known before the strings are copied and their addresses stored. */
    uintptr_t strings_top = pos;
    size_t strings = argv.bytes + envp.bytes;
    uintptr_t platform = strings_top - strings - sizeof(PLATFORM);
    uintptr_t rnd = ALIGN_DOWN(platform - sizeof(random), 16);

    struct host_ids ids;
    host_ids_get(&ids);
    struct auxv av = { .n = 0 };
    if (a->vdso_base)
        aux(&av, AT_SYSINFO_EHDR, a->vdso_base);
    if (a->minsigstksz)
        aux(&av, AT_MINSIGSTKSZ, a->minsigstksz);
    aux(&av, AT_HWCAP, a->hwcap);
    aux(&av, AT_PAGESZ, PAGE_SIZE);
    aux(&av, AT_CLKTCK, 100);
    aux(&av, AT_PHDR, img->phdr);
    aux(&av, AT_PHENT, img->phent);
    aux(&av, AT_PHNUM, img->phnum);
    aux(&av, AT_BASE, img->interp_base);
    aux(&av, AT_FLAGS, 0);
    aux(&av, AT_ENTRY, img->prog_entry);
    aux(&av, AT_UID, ids.uid);
    aux(&av, AT_EUID, ids.euid);
    aux(&av, AT_GID, ids.gid);
    aux(&av, AT_EGID, ids.egid);
    aux(&av, AT_SECURE, 0);
    aux(&av, AT_RANDOM, rnd);
    aux(&av, AT_HWCAP2, a->hwcap2);
    aux(&av, AT_EXECFN, execfn_addr);
    aux(&av, AT_PLATFORM, platform);
    aux(&av, AT_NULL, 0);

    uintptr_t sp = ALIGN_DOWN(rnd - (nptr + 2 * av.n) * sizeof(uint64_t), 16);
    uint64_t *table = (uint64_t *)sp;
    table[0] = argv.n;
    uint64_t *argv_ptrs = table + 1, *envp_ptrs = argv_ptrs + argv.n + 1;
    /* envp strings above argv strings, as Linux copies them. */
    put_strings(&envp, &pos, envp_ptrs);
    put_strings(&argv, &pos, argv_ptrs);
    argv_ptrs[argv.n] = 0;
    envp_ptrs[envp.n] = 0;
    put_bytes(&pos, PLATFORM, sizeof(PLATFORM));
    memcpy((void *)rnd, random, sizeof(random));
    memcpy(envp_ptrs + envp.n + 1, av.kv, 2 * av.n * sizeof(uint64_t));
    *rsp_out = sp;
    return 0;
}
