/* loader_setup_stack: the layout parsed back (argc, argv, envp, auxv and
 * the strings and random bytes it points to), Linux's own auxv as the
 * oracle for which entries exist and their order, E2BIG. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs/file.h"
#include "loader/loader.h"
#include "loader_test_util.h"
#include "vm/process_vm.h"

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

struct parsed {
    uint64_t argc;
    char **argv, **envp;
    uint64_t keys[64], vals[64];
    size_t nauxv;               /* without AT_NULL */
};

static uint64_t auxval(const struct parsed *ps, uint64_t key, bool *found)
{
    for (size_t i = 0; i < ps->nauxv; i++)
        if (ps->keys[i] == key) {
            *found = true;
            return ps->vals[i];
        }
    *found = false;
    return 0;
}

static uint64_t need_aux(const struct parsed *ps, uint64_t key)
{
    bool found;
    uint64_t v = auxval(ps, key, &found);
    assert_true(found);
    return v;
}

/* Read the stack back like a libc's start code; every pointer it follows
 * must lie inside [lo, hi). */
static void parse(uintptr_t rsp, uintptr_t lo, uintptr_t hi, struct parsed *ps)
{
    assert_int_equal(rsp % 16, 0);
    assert_true(rsp >= lo && rsp < hi);
    uint64_t *sp = (uint64_t *)rsp;
    ps->argc = sp[0];
    ps->argv = (char **)(sp + 1);
    assert_null(ps->argv[ps->argc]);
    ps->envp = ps->argv + ps->argc + 1;
    size_t envc = 0;
    while (ps->envp[envc])
        envc++;
    uint64_t *av = (uint64_t *)(ps->envp + envc + 1);
    ps->nauxv = 0;
    for (; av[0] != AT_NULL; av += 2) {
        assert_true(ps->nauxv < 64);
        for (size_t i = 0; i < ps->nauxv; i++)
            assert_int_not_equal(ps->keys[i], av[0]);       /* no duplicates */
        ps->keys[ps->nauxv] = av[0];
        ps->vals[ps->nauxv++] = av[1];
    }
    uintptr_t table_end = (uintptr_t)(av + 2);
    /* Every string lies above the table and inside the stack. */
    for (size_t i = 0; i < ps->argc; i++)
        assert_true((uintptr_t)ps->argv[i] >= table_end && (uintptr_t)ps->argv[i] < hi);
    for (size_t i = 0; i < envc; i++)
        assert_true((uintptr_t)ps->envp[i] >= table_end && (uintptr_t)ps->envp[i] < hi);
    assert_int_equal(*(uint64_t *)(hi - 8), 0);
}

/* The keys of this test process's own auxv, from Linux. */
static size_t host_auxv_keys(uint64_t *keys, size_t max)
{
    FILE *f = fopen("/proc/self/auxv", "rb");
    assert_non_null(f);
    uint64_t kv[2];
    size_t n = 0;
    while (n < max && fread(kv, sizeof(kv), 1, f) == 1 && kv[0] != AT_NULL)
        keys[n++] = kv[0];
    fclose(f);
    return n;
}

static void load_glibc(struct pool *p, struct loader_image *img)
{
    pool_open(p);
    struct file *f = file_from_path(FIXTURE("glibc_static_pie"));
    assert_non_null(f);
    assert_int_equal(loader_load(p->vm, f, NULL, NULL, img), 0);
    file_put(f);
}

static void test_layout(void **state)
{
    (void)state;
    struct pool p;
    struct loader_image img;
    load_glibc(&p, &img);
    char *argv[] = { "/bin/prog", "arg one", "", NULL };
    char *envp[] = { "A=1", "PATH=/bin:/usr/bin", NULL };
    struct loader_stack_args a = {
        .argv = argv, .envp = envp, .execfn = "/bin/prog-execfn",
        .stack_size = 256 << 10, .vdso_base = 0x7fff12340000UL,
        .hwcap = 0x178bfbff, .hwcap2 = 2, .minsigstksz = 3376,
    };
    uintptr_t rsp;
    assert_int_equal(loader_setup_stack(p.vm, &img, &a, &rsp), 0);

    /* The stack mapping: read-write, named [stack], rsp near its top. */
    char perms[5], name[64];
    assert_true(maps_lookup(p.vm, rsp, perms, name));
    assert_string_equal(perms, "rw-p");
    assert_string_equal(name, "[stack]");
    uintptr_t lo, hi;
    maps_range(p.vm, rsp, &lo, &hi);
    assert_int_equal(hi - lo, 256 << 10);

    struct parsed ps;
    parse(rsp, lo, hi, &ps);
    assert_int_equal(ps.argc, 3);
    for (int i = 0; i < 3; i++)
        assert_string_equal(ps.argv[i], argv[i]);
    assert_string_equal(ps.envp[0], envp[0]);
    assert_string_equal(ps.envp[1], envp[1]);
    assert_null(ps.envp[2]);

    assert_int_equal(need_aux(&ps, AT_SYSINFO_EHDR), a.vdso_base);
    assert_int_equal(need_aux(&ps, AT_MINSIGSTKSZ), 3376);
    assert_int_equal(need_aux(&ps, AT_HWCAP), a.hwcap);
    assert_int_equal(need_aux(&ps, AT_HWCAP2), a.hwcap2);
    assert_int_equal(need_aux(&ps, AT_PAGESZ), 4096);
    assert_int_equal(need_aux(&ps, AT_CLKTCK), 100);
    assert_int_equal(need_aux(&ps, AT_PHDR), img.phdr);
    assert_int_equal(need_aux(&ps, AT_PHENT), sizeof(Elf64_Phdr));
    assert_int_equal(need_aux(&ps, AT_PHNUM), img.phnum);
    assert_int_equal(need_aux(&ps, AT_BASE), 0);
    assert_int_equal(need_aux(&ps, AT_FLAGS), 0);
    assert_int_equal(need_aux(&ps, AT_ENTRY), img.prog_entry);
    assert_int_equal(need_aux(&ps, AT_UID), getuid());
    assert_int_equal(need_aux(&ps, AT_EUID), geteuid());
    assert_int_equal(need_aux(&ps, AT_GID), getgid());
    assert_int_equal(need_aux(&ps, AT_EGID), getegid());
    assert_int_equal(need_aux(&ps, AT_SECURE), 0);
    uintptr_t rnd = need_aux(&ps, AT_RANDOM);
    assert_true(rnd > rsp && rnd + 16 <= hi);
    assert_string_equal((char *)need_aux(&ps, AT_EXECFN), "/bin/prog-execfn");
    uintptr_t plat = need_aux(&ps, AT_PLATFORM);
    assert_true(plat > rsp && plat < hi);
    assert_string_equal((char *)plat, "x86_64");
    /* AT_PHDR really points at the program headers. */
    assert_int_equal(((Elf64_Phdr *)need_aux(&ps, AT_PHDR))->p_type,
                     ((Elf64_Phdr *)img.phdr)->p_type);

    /* Linux as the oracle: each of our keys is one Linux gives a program,
     * in the same relative order. */
    uint64_t host[64];
    size_t nhost = host_auxv_keys(host, 64), h = 0;
    for (size_t i = 0; i < ps.nauxv; i++) {
        while (h < nhost && host[h] != ps.keys[i])
            h++;
        if (h == nhost)
            fail_msg("auxv key %lu not where Linux has it", (unsigned long)ps.keys[i]);
    }

    /* Another stack in another process gets other random bytes. */
    struct process_vm *vm2;
    assert_int_equal(process_vm_create(p.usv, 101, &vm2), 0);
    uintptr_t rsp2;
    assert_int_equal(loader_setup_stack(vm2, &img, &a, &rsp2), 0);
    struct parsed ps2;
    maps_range(vm2, rsp2, &lo, &hi);
    parse(rsp2, lo, hi, &ps2);
    assert_memory_not_equal((void *)rnd, (void *)need_aux(&ps2, AT_RANDOM), 16);
    process_vm_destroy(vm2);
    pool_close(&p);
}

/* Optional entries left out; no argv/envp; execfn defaults to "". */
static void test_minimal(void **state)
{
    (void)state;
    struct pool p;
    struct loader_image img;
    load_glibc(&p, &img);
    struct loader_stack_args a = { .stack_size = 0 };
    uintptr_t rsp;
    assert_int_equal(loader_setup_stack(p.vm, &img, &a, &rsp), 0);
    uintptr_t lo, hi;
    maps_range(p.vm, rsp, &lo, &hi);
    assert_int_equal(hi - lo, LOADER_DEFAULT_STACK_SIZE);
    struct parsed ps;
    parse(rsp, lo, hi, &ps);
    assert_int_equal(ps.argc, 0);
    assert_null(ps.envp[0]);
    bool found;
    auxval(&ps, AT_SYSINFO_EHDR, &found);
    assert_false(found);
    auxval(&ps, AT_MINSIGSTKSZ, &found);
    assert_false(found);
    assert_string_equal((char *)need_aux(&ps, AT_EXECFN), "");
    /* execfn defaults to argv[0]. */
    char *argv[] = { "first", NULL };
    a.argv = argv;
    struct process_vm *vm2;
    assert_int_equal(process_vm_create(p.usv, 101, &vm2), 0);
    assert_int_equal(loader_setup_stack(vm2, &img, &a, &rsp), 0);
    maps_range(vm2, rsp, &lo, &hi);
    parse(rsp, lo, hi, &ps);
    assert_string_equal((char *)need_aux(&ps, AT_EXECFN), "first");
    process_vm_destroy(vm2);
    pool_close(&p);
}

static void test_e2big(void **state)
{
    (void)state;
    struct pool p;
    struct loader_image img;
    load_glibc(&p, &img);
    process_vm_destroy(p.vm);
    assert_int_equal(process_vm_create(p.usv, 100, &p.vm), 0);
    static char big[20000];
    memset(big, 'x', sizeof(big) - 1);
    char *argv[] = { "prog", big, NULL };
    char *envp[] = { big, NULL };
    struct loader_stack_args a = { .argv = argv, .stack_size = 64 << 10 };
    uintptr_t rsp;
    assert_int_equal(loader_setup_stack(p.vm, &img, &a, &rsp), -E2BIG);
    a.argv = NULL;
    a.envp = envp;
    assert_int_equal(loader_setup_stack(p.vm, &img, &a, &rsp), -E2BIG);
    a.envp = NULL;
    a.execfn = big;
    assert_int_equal(loader_setup_stack(p.vm, &img, &a, &rsp), -E2BIG);
    assert_true(pool_process_empty(&p));
    /* The same fits in a bigger stack. */
    a.argv = argv;
    a.envp = envp;
    a.stack_size = 256 << 10;
    assert_int_equal(loader_setup_stack(p.vm, &img, &a, &rsp), 0);
    struct parsed ps;
    uintptr_t lo, hi;
    maps_range(p.vm, rsp, &lo, &hi);
    parse(rsp, lo, hi, &ps);
    assert_string_equal(ps.argv[1], big);
    assert_string_equal(ps.envp[0], big);
    pool_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_minimal),
        cmocka_unit_test(test_e2big),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
