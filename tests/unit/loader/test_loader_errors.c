/* loader_load on broken files: corrupted copies of a real static-PIE
 * program and of a dynamic one. Each gives its errno, and leaves nothing
 * mapped in the process and the pool whole after process_vm_destroy. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fs/file.h"
#include "loader/loader.h"
#include "loader_test_util.h"
#include "vm/process_vm.h"

typedef void (*corrupt_fn)(unsigned char *b, size_t *len);

static Elf64_Phdr *nth_load(unsigned char *b, int n)
{
    Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
    Elf64_Phdr *ph = elf_phdrs(b);
    for (size_t i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && n-- == 0)
            return &ph[i];
    return NULL;
}

static Elf64_Phdr *last_load(unsigned char *b)
{
    Elf64_Phdr *last = NULL, *p;
    for (int i = 0; (p = nth_load(b, i)); i++)
        last = p;
    return last;
}

/* Load a corrupted copy of `path` in a fresh pool: expect `err`. */
static void expect(const char *path, corrupt_fn corrupt, int access,
                   loader_open_fn open_interp, int err)
{
    size_t len;
    unsigned char *b = read_host_file(path, &len);
    if (corrupt)
        corrupt(b, &len);
    struct file *f = file_from_bytes(b, len, access);
    struct pool p;
    pool_open(&p);
    struct loader_image img;
    memset(&img, 0x5a, sizeof(img));
    assert_int_equal(loader_load(p.vm, f, open_interp, NULL, &img), err);
    assert_true(pool_process_empty(&p));
    pool_close(&p);
    file_put(f);
    free(b);
}

#define GLIBC FIXTURE("glibc_static_pie")
#define MUSL_DYN FIXTURE("musl_dynamic_pie")

static void bad_magic(unsigned char *b, size_t *len) { (void)len; b[1] = 'X'; }
static void bad_class(unsigned char *b, size_t *len) { (void)len; b[EI_CLASS] = ELFCLASS32; }
static void bad_endian(unsigned char *b, size_t *len) { (void)len; b[EI_DATA] = ELFDATA2MSB; }
static void bad_machine(unsigned char *b, size_t *len)
{
    (void)len;
    ((Elf64_Ehdr *)b)->e_machine = EM_AARCH64;
}
static void bad_type(unsigned char *b, size_t *len)
{
    (void)len;
    ((Elf64_Ehdr *)b)->e_type = ET_REL;
}
static void bad_phentsize(unsigned char *b, size_t *len)
{
    (void)len;
    ((Elf64_Ehdr *)b)->e_phentsize = 32;
}
static void too_many_phdrs(unsigned char *b, size_t *len)
{
    (void)len;
    ((Elf64_Ehdr *)b)->e_phnum = 2000;  /* > 64 KiB of headers */
}
static void truncated_half(unsigned char *b, size_t *len) { (void)b; *len /= 2; }
static void truncated_header(unsigned char *b, size_t *len) { (void)b; *len = 40; }
static void truncated_phdrs(unsigned char *b, size_t *len) { (void)b; *len = 100; }
static void phoff_past_end(unsigned char *b, size_t *len)
{
    ((Elf64_Ehdr *)b)->e_phoff = *len - 10;
}
static void phoff_overflow(unsigned char *b, size_t *len)
{
    (void)len;
    ((Elf64_Ehdr *)b)->e_phoff = UINT64_MAX - 8;
}
static void filesz_gt_memsz(unsigned char *b, size_t *len)
{
    (void)len;
    Elf64_Phdr *p = last_load(b);
    p->p_filesz = p->p_memsz + 1;
}
static void segment_past_end(unsigned char *b, size_t *len)
{
    /* Past the end by whole pages, so only the bound is wrong. */
    last_load(b)->p_offset += (*len + 4095) & ~4095UL;
}
static void no_load(unsigned char *b, size_t *len)
{
    (void)len;
    Elf64_Phdr *p;
    while ((p = nth_load(b, 0)))
        p->p_type = PT_NULL;
}
static void huge_memsz(unsigned char *b, size_t *len)
{
    (void)len;
    last_load(b)->p_memsz = 1UL << 40;      /* far more than the 256 MiB pool */
}
static void memsz_overflow(unsigned char *b, size_t *len)
{
    (void)len;
    last_load(b)->p_memsz = UINT64_MAX - 4096;
}
static void misaligned_offset(unsigned char *b, size_t *len)
{
    (void)len;
    last_load(b)->p_offset += 8;
}
static void unordered(unsigned char *b, size_t *len)
{
    (void)len;
    Elf64_Phdr *a = nth_load(b, 0), *c = nth_load(b, 1), t = *a;
    *a = *c;
    *c = t;
}
static void entry_outside(unsigned char *b, size_t *len)
{
    (void)len;
    ((Elf64_Ehdr *)b)->e_entry = 1UL << 36;
}

static Elf64_Phdr *interp_phdr(unsigned char *b)
{
    Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
    Elf64_Phdr *ph = elf_phdrs(b);
    for (size_t i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_INTERP)
            return &ph[i];
    fail();
    return NULL;
}
static void interp_unterminated(unsigned char *b, size_t *len)
{
    (void)len;
    Elf64_Phdr *p = interp_phdr(b);
    b[p->p_offset + p->p_filesz - 1] = 'x';
}
static void interp_past_end(unsigned char *b, size_t *len)
{
    interp_phdr(b)->p_offset = *len - 4;
}

static void test_header_errors(void **state)
{
    (void)state;
    expect(GLIBC, bad_magic, O_RDONLY, NULL, -ENOEXEC);
    expect(GLIBC, bad_class, O_RDONLY, NULL, -ENOEXEC);
    expect(GLIBC, bad_endian, O_RDONLY, NULL, -ENOEXEC);
    expect(GLIBC, bad_machine, O_RDONLY, NULL, -ENOEXEC);
    expect(GLIBC, bad_type, O_RDONLY, NULL, -ENOEXEC);
    expect(GLIBC, bad_phentsize, O_RDONLY, NULL, -ENOEXEC);
    expect(GLIBC, too_many_phdrs, O_RDONLY, NULL, -ENOEXEC);
    expect(GLIBC, entry_outside, O_RDONLY, NULL, -ENOEXEC);
}

static void test_truncated(void **state)
{
    (void)state;
    expect(GLIBC, truncated_half, O_RDONLY, NULL, -ENOEXEC);
    expect(GLIBC, truncated_header, O_RDONLY, NULL, -ENOEXEC);
    expect(GLIBC, truncated_phdrs, O_RDONLY, NULL, -ENOEXEC);
    expect(GLIBC, phoff_past_end, O_RDONLY, NULL, -ENOEXEC);
    expect(GLIBC, phoff_overflow, O_RDONLY, NULL, -ENOEXEC);
    expect(GLIBC, segment_past_end, O_RDONLY, NULL, -ENOEXEC);
}

static void test_segment_errors(void **state)
{
    (void)state;
    expect(GLIBC, filesz_gt_memsz, O_RDONLY, NULL, -ENOEXEC);
    expect(GLIBC, no_load, O_RDONLY, NULL, -ENOEXEC);
    expect(GLIBC, huge_memsz, O_RDONLY, NULL, -ENOMEM);
    expect(GLIBC, memsz_overflow, O_RDONLY, NULL, -ENOEXEC);
    expect(GLIBC, misaligned_offset, O_RDONLY, NULL, -ENOEXEC);
    expect(GLIBC, unordered, O_RDONLY, NULL, -ENOEXEC);
}

static void test_not_readable(void **state)
{
    (void)state;
    expect(GLIBC, NULL, O_WRONLY, NULL, -EACCES);
}

/* A File that claims more bytes than it gives: the segment reads come up
 * short after the image is mapped (-EIO, and the mapping is undone). A
 * File that is not a regular file: -EACCES. */
struct short_file {
    struct file file;
    unsigned char *bytes;
    size_t len, claimed;
    mode_t mode;
};

static ssize_t short_pread(struct file *f, void *buf, size_t len, off_t off)
{
    struct short_file *s = (struct short_file *)f;
    if ((size_t)off >= s->len)
        return 0;
    size_t n = len < s->len - (size_t)off ? len : s->len - (size_t)off;
    memcpy(buf, s->bytes + off, n);
    return (ssize_t)n;
}

static int short_stat(struct file *f, struct stat *st)
{
    struct short_file *s = (struct short_file *)f;
    memset(st, 0, sizeof(*st));
    st->st_mode = s->mode | 0755;
    st->st_size = (off_t)s->claimed;
    return 0;
}

static void short_release(struct file *f)
{
    (void)f;
}

static const struct file_ops short_ops = {
    .name = "short", .pread = short_pread, .stat = short_stat, .release = short_release,
};

static void test_short_file(void **state)
{
    (void)state;
    struct short_file s;
    s.bytes = read_host_file(GLIBC, &s.claimed);
    s.len = last_load(s.bytes)->p_offset + 16;     /* inside the last segment */
    s.mode = S_IFREG;
    file_init(&s.file, &short_ops, O_RDONLY);
    struct pool p;
    pool_open(&p);
    struct loader_image img;
    assert_int_equal(loader_load(p.vm, &s.file, NULL, NULL, &img), -EIO);
    assert_true(pool_process_empty(&p));
    s.mode = S_IFIFO;
    s.len = s.claimed;
    assert_int_equal(loader_load(p.vm, &s.file, NULL, NULL, &img), -EACCES);
    s.mode = S_IFREG;
    assert_int_equal(loader_load(p.vm, &s.file, NULL, NULL, &img), 0);
    pool_close(&p);
    file_put(&s.file);
    free(s.bytes);
}

static int open_missing(void *ctx, const char *path, struct file **out)
{
    (void)ctx;
    (void)out;
    assert_string_equal(path, "/lib/ld-musl-x86_64.so.1");
    return -ENOENT;
}

/* The "interpreter" is itself a program with a PT_INTERP. */
static int open_dynamic_program(void *ctx, const char *path, struct file **out)
{
    (void)path;
    return open_host_path(ctx, MUSL_DYN, out);
}

/* The "interpreter" is a static PIE executable: ET_DYN, no PT_INTERP, so
 * Linux would accept it too. */
static int open_static_program(void *ctx, const char *path, struct file **out)
{
    (void)path;
    return open_host_path(ctx, FIXTURE("glibc_static_pie"), out);
}

static void test_interp_errors(void **state)
{
    (void)state;
    if (!LOADER_HAVE_MUSL)
        skip();
    /* Missing: the program was mapped first and must be gone again. */
    expect(MUSL_DYN, NULL, O_RDONLY, open_missing, -ENOENT);
    expect(MUSL_DYN, NULL, O_RDONLY, NULL, -ENOENT);
    expect(MUSL_DYN, NULL, O_RDONLY, open_dynamic_program, -ENOEXEC);
    expect(MUSL_DYN, interp_unterminated, O_RDONLY, open_host_path, -ENOEXEC);
    expect(MUSL_DYN, interp_past_end, O_RDONLY, open_host_path, -ENOEXEC);

    struct pool p;
    pool_open(&p);
    struct file *f = file_from_path(MUSL_DYN);
    struct loader_image img;
    assert_int_equal(loader_load(p.vm, f, open_static_program, NULL, &img), 0);
    assert_int_not_equal(img.interp_base, 0);
    assert_int_not_equal(img.entry, img.prog_entry);
    file_put(f);
    pool_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_segment_errors),
        cmocka_unit_test(test_not_readable),
        cmocka_unit_test(test_short_file),
        cmocka_unit_test(test_interp_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
