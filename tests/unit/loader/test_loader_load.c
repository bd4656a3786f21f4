/* loader_load and loader_setup_heap on real programs (built at build time,
 * see fixtures.cmake) and on small hand-made ELF files: addresses, contents
 * equal to the file's bytes, zeroed .bss, final permissions, unmapped gaps,
 * alignment, fixed-address ET_EXEC, the interpreter, the heap. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "fs/file.h"
#include "loader/loader.h"
#include "loader_test_util.h"
#include "vm/process_vm.h"
#include "vm/user_space_vm.h"

#define PG 4096UL

/* Everything the image says about itself, checked against guest memory. */
static void check_loaded(struct process_vm *vm, unsigned char *bytes, uintptr_t bias)
{
    Elf64_Ehdr *eh = (Elf64_Ehdr *)bytes;
    Elf64_Phdr *ph = elf_phdrs(bytes);
    size_t align = PG;
    for (size_t i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr *p = &ph[i];
        if (p->p_type != PT_LOAD || p->p_memsz == 0)
            continue;
        if (p->p_align > align)
            align = p->p_align;
        unsigned char *mem = (unsigned char *)(bias + p->p_vaddr);
        assert_memory_equal(mem, bytes + p->p_offset, p->p_filesz);
        for (size_t j = p->p_filesz; j < p->p_memsz; j++)
            assert_int_equal(mem[j], 0);
        /* Permissions: the memory manager's and the maps text's. */
        assert_int_equal(process_vm_check_access(vm, (uintptr_t)mem, p->p_memsz, PROT_READ), 0);
        int w = process_vm_check_access(vm, (uintptr_t)mem, p->p_memsz, PROT_WRITE);
        assert_int_equal(w, (p->p_flags & PF_W) ? 0 : -EFAULT);
        char perms[5];
        assert_true(maps_lookup(vm, (uintptr_t)mem, perms, NULL));
        assert_int_equal(perms[0], (p->p_flags & PF_R) ? 'r' : '-');
        assert_int_equal(perms[1], (p->p_flags & PF_W) ? 'w' : '-');
        assert_int_equal(perms[2], (p->p_flags & PF_X) ? 'x' : '-');
    }
    assert_int_equal(bias % align, 0);
}

static void check_image(struct process_vm *vm, const char *path, const struct loader_image *img)
{
    size_t len;
    unsigned char *bytes = read_host_file(path, &len);
    Elf64_Ehdr *eh = (Elf64_Ehdr *)bytes;
    Elf64_Phdr *ph = elf_phdrs(bytes);
    assert_int_equal(img->prog_entry, eh->e_entry + img->load_bias);
    assert_int_equal(img->phnum, eh->e_phnum);
    assert_int_equal(img->phent, sizeof(Elf64_Phdr));
    /* AT_PHDR points at the program headers as loaded. */
    assert_memory_equal((void *)img->phdr, ph, eh->e_phnum * sizeof(Elf64_Phdr));
    uintptr_t hi = 0;
    for (size_t i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr + ph[i].p_memsz > hi)
            hi = ph[i].p_vaddr + ph[i].p_memsz;
    assert_int_equal(img->brk_start, img->load_bias + ((hi + PG - 1) & ~(PG - 1)));
    check_loaded(vm, bytes, img->load_bias);
    free(bytes);
}

static void load_static(const char *path)
{
    struct pool p;
    pool_open(&p);
    struct file *f = file_from_path(path);
    assert_non_null(f);
    struct loader_image img;
    assert_int_equal(loader_load(p.vm, f, NULL, NULL, &img), 0);
    assert_int_equal(img.entry, img.prog_entry);
    assert_int_equal(img.interp_base, 0);
    assert_int_not_equal(img.load_bias, 0);
    check_image(p.vm, path, &img);

    /* The heap, then brk works from the first call. */
    assert_int_equal(loader_setup_heap(p.vm, &img, 1UL << 20), 0);
    uintptr_t brk0 = process_vm_brk(p.vm, 0);
    assert_int_not_equal(brk0, 0);
    assert_int_equal(process_vm_brk(p.vm, brk0 + 3 * PG), brk0 + 3 * PG);
    assert_int_equal(process_vm_check_access(p.vm, brk0, 3 * PG, PROT_WRITE), 0);
    assert_int_equal(loader_setup_heap(p.vm, &img, 1UL << 20), -EEXIST);
    file_put(f);
    pool_close(&p);
}

static void test_glibc_static_pie(void **state)
{
    (void)state;
    load_static(FIXTURE("glibc_static_pie"));
}

static void test_musl_static_pie(void **state)
{
    (void)state;
    if (!LOADER_HAVE_MUSL)
        skip();
    load_static(FIXTURE("musl_static_pie"));
}

static void test_musl_dynamic_pie(void **state)
{
    (void)state;
    if (!LOADER_HAVE_MUSL)
        skip();
    struct pool p;
    pool_open(&p);
    struct file *f = file_from_path(FIXTURE("musl_dynamic_pie"));
    assert_non_null(f);
    struct loader_image img;
    int err = loader_load(p.vm, f, open_host_path, NULL, &img);
    if (err == -ENOENT)         /* no /lib/ld-musl-x86_64.so.1 on this host */
        skip();
    assert_int_equal(err, 0);
    check_image(p.vm, FIXTURE("musl_dynamic_pie"), &img);
    assert_int_not_equal(img.interp_base, 0);

    /* The interpreter: loaded whole, the entry is its own. */
    size_t len;
    unsigned char *ld = read_host_file("/lib/ld-musl-x86_64.so.1", &len);
    assert_int_equal(img.entry, ((Elf64_Ehdr *)ld)->e_entry + img.interp_base);
    check_loaded(p.vm, ld, img.interp_base);
    free(ld);
    file_put(f);
    pool_close(&p);
}

/* ---- hand-made images ------------------------------------------------ */

/* Two segments: R+X headers and code at 0 (p_align `align`), and RW data
 * at page 5 (file offset 0x1000) with .bss up to `bss_end`. */
static unsigned char *make_elf(uint16_t type, uintptr_t base, uint64_t align,
                               uint64_t bss_end, size_t *len)
{
    *len = 0x1100;
    unsigned char *b = calloc(1, *len);
    assert_non_null(b);
    Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = type;
    eh->e_machine = EM_X86_64;
    eh->e_version = EV_CURRENT;
    eh->e_entry = base + 0x200;
    eh->e_phoff = sizeof(*eh);
    eh->e_ehsize = sizeof(*eh);
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = 3;
    Elf64_Phdr *ph = elf_phdrs(b);
    ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0,
                          .p_vaddr = base, .p_filesz = 0x1000, .p_memsz = 0x1000,
                          .p_align = align };
    ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = 0x1000,
                          .p_vaddr = base + 0x5000, .p_filesz = 0x100,
                          .p_memsz = bss_end - 0x5000, .p_align = align };
    ph[2] = (Elf64_Phdr){ .p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W };
    for (size_t i = 0x200; i < 0x1000; i++)
        b[i] = (unsigned char)(i * 7);
    for (size_t i = 0x1000; i < 0x1100; i++)
        b[i] = (unsigned char)(i * 13 + 1);
    return b;
}

static void test_gap_and_alignment(void **state)
{
    (void)state;
    struct pool p;
    pool_open(&p);
    size_t len;
    unsigned char *b = make_elf(ET_DYN, 0, 2UL << 20, 0x8000, &len);
    struct file *f = file_from_bytes(b, len, O_RDONLY);
    struct loader_image img;
    assert_int_equal(loader_load(p.vm, f, NULL, NULL, &img), 0);
    assert_int_equal(img.load_bias % (2UL << 20), 0);
    assert_int_equal(img.entry, img.load_bias + 0x200);
    assert_int_equal(img.phdr, img.load_bias + sizeof(Elf64_Ehdr));
    assert_int_equal(img.brk_start, img.load_bias + 0x8000);
    check_loaded(p.vm, b, img.load_bias);
    /* The pages between the segments are not mapped. */
    assert_int_equal(process_vm_check_access(p.vm, img.load_bias + 0x1000, 1, PROT_READ), -EFAULT);
    assert_int_equal(process_vm_check_access(p.vm, img.load_bias + 0x4fff, 1, PROT_READ), -EFAULT);
    assert_int_equal(process_vm_check_access(p.vm, img.load_bias + 0x8000, 1, PROT_READ), -EFAULT);
    file_put(f);
    free(b);
    pool_close(&p);
}

/* Two segments sharing a page: the page gets the later segment's
 * protection (as Linux's successive MAP_FIXED maps give it), both keep
 * their file bytes. A non-power-of-two p_align is ignored. */
static void test_shared_page(void **state)
{
    (void)state;
    struct pool p;
    pool_open(&p);
    size_t len;
    unsigned char *b = make_elf(ET_DYN, 0, PG, 0x8000, &len);
    Elf64_Phdr *ph = elf_phdrs(b);
    ph[0].p_filesz = ph[0].p_memsz = 0x800;
    ph[0].p_align = 3 * PG;
    ph[1].p_offset = 0x900;
    ph[1].p_vaddr = 0x900;
    ph[1].p_filesz = 0x700;
    ph[1].p_memsz = 0x2000;
    struct file *f = file_from_bytes(b, len, O_RDONLY);
    struct loader_image img;
    assert_int_equal(loader_load(p.vm, f, NULL, NULL, &img), 0);
    assert_int_equal(img.load_bias % PG, 0);
    unsigned char *m = (unsigned char *)img.load_bias;
    assert_memory_equal(m, b, 0x800);
    assert_memory_equal(m + 0x900, b + 0x900, 0x700);
    for (size_t i = 0x1000; i < 0x2900; i++)
        assert_int_equal(m[i], 0);
    char perms[5];
    assert_true(maps_lookup(p.vm, img.load_bias, perms, NULL));
    assert_string_equal(perms, "rw-p");
    assert_int_equal(img.brk_start, img.load_bias + 0x3000);
    file_put(f);
    free(b);
    pool_close(&p);
}

/* An image big enough for its own chunk gets the heap right after it. */
static void test_heap_after_image(void **state)
{
    (void)state;
    struct pool p;
    pool_open(&p);
    size_t len;
    unsigned char *b = make_elf(ET_DYN, 0, PG, 0x5000 + (16UL << 20), &len);
    struct file *f = file_from_bytes(b, len, O_RDONLY);
    struct loader_image img;
    assert_int_equal(loader_load(p.vm, f, NULL, NULL, &img), 0);
    check_loaded(p.vm, b, img.load_bias);
    assert_int_equal(loader_setup_heap(p.vm, &img, 4UL << 20), 0);
    assert_int_equal(process_vm_brk(p.vm, 0), img.brk_start);
    file_put(f);
    free(b);
    pool_close(&p);
}

static void test_exec_fixed_in_pool(void **state)
{
    (void)state;
    struct pool p, q;
    pool_open(&p);
    struct vm_range r = user_space_vm_range(p.usv);
    uintptr_t base = r.start + (64UL << 20);
    size_t len;
    unsigned char *b = make_elf(ET_EXEC, base, PG, 0x7000, &len);
    struct file *f = file_from_bytes(b, len, O_RDONLY);
    struct loader_image img;
    assert_int_equal(loader_load(p.vm, f, NULL, NULL, &img), 0);
    assert_int_equal(img.load_bias, 0);
    assert_int_equal(img.entry, base + 0x200);
    check_loaded(p.vm, b, 0);

    /* Same addresses in a second process: taken. */
    assert_int_equal(process_vm_create(p.usv, 101, &q.vm), 0);
    assert_int_equal(loader_load(q.vm, f, NULL, NULL, &img), -ENOEXEC);
    assert_int_equal(process_vm_render_maps(q.vm, NULL, 0), 0);
    process_vm_destroy(q.vm);
    file_put(f);
    free(b);

    /* Fixed addresses outside the pool. */
    b = make_elf(ET_EXEC, 0x400000, PG, 0x7000, &len);
    f = file_from_bytes(b, len, O_RDONLY);
    process_vm_destroy(p.vm);
    assert_int_equal(process_vm_create(p.usv, 100, &p.vm), 0);
    assert_int_equal(loader_load(p.vm, f, NULL, NULL, &img), -ENOEXEC);
    assert_true(pool_process_empty(&p));
    file_put(f);
    free(b);
    b = make_elf(ET_EXEC, 0, PG, 0x7000, &len);
    f = file_from_bytes(b, len, O_RDONLY);
    assert_int_equal(loader_load(p.vm, f, NULL, NULL, &img), -ENOEXEC);
    assert_true(pool_process_empty(&p));
    file_put(f);
    free(b);
    pool_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glibc_static_pie),
        cmocka_unit_test(test_musl_static_pie),
        cmocka_unit_test(test_musl_dynamic_pie),
        cmocka_unit_test(test_gap_and_alignment),
        cmocka_unit_test(test_shared_page),
        cmocka_unit_test(test_heap_after_image),
        cmocka_unit_test(test_exec_fixed_in_pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
