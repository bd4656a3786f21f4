/* Shared helpers of the loader tests (see loader_test_util.h). */
#include "loader_test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs/file.h"
#include "fs/host_file.h"
#include "vm/process_vm.h"
#include "vm/user_space_vm.h"

void pool_open(struct pool *p)
{
    struct user_space_vm_config cfg = { .user_space_size = 256UL << 20 };
    assert_int_equal(user_space_vm_create(&cfg, &p->usv), 0);
    assert_int_equal(process_vm_create(p->usv, 100, &p->vm), 0);
}

void pool_close(struct pool *p)
{
    assert_int_equal(process_vm_check(p->vm), 0);
    /* The host protections are what the loader asked for. */
    assert_int_equal(user_space_vm_check_host(p->usv), 0);
    process_vm_destroy(p->vm);
    struct user_space_vm_stats st;
    user_space_vm_get_stats(p->usv, &st);
    assert_int_equal(st.free_bytes, st.total_bytes);
    assert_int_equal(user_space_vm_check(p->usv), 0);
    user_space_vm_destroy(p->usv);
}

bool pool_process_empty(struct pool *p)
{
    char buf[16];
    return process_vm_render_maps(p->vm, buf, sizeof(buf)) == 0;
}

unsigned char *read_host_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    unsigned char *buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

struct file *file_from_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct file *f;
    assert_int_equal(host_file_create(fd, O_RDONLY, HOST_FILE_OWN_FD, &f), 0);
    return f;
}

struct file *file_from_bytes(const void *buf, size_t len, int access)
{
    char tmpl[] = "/tmp/onespace-loader-XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    unlink(tmpl);
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
    struct file *f;
    assert_int_equal(host_file_create(fd, access, HOST_FILE_OWN_FD, &f), 0);
    return f;
}

static bool maps_find(struct process_vm *vm, uintptr_t addr, char perms[5], char name[64],
                      uintptr_t *lo_out, uintptr_t *hi_out)
{
    ssize_t need = process_vm_render_maps(vm, NULL, 0);
    assert_true(need >= 0);
    char *buf = malloc((size_t)need + 1);
    assert_non_null(buf);
    assert_int_equal(process_vm_render_maps(vm, buf, (size_t)need + 1), need);
    bool found = false;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned long lo, hi;
        char p[5];
        int off = 0;
        if (sscanf(line, "%lx-%lx %4s %*s %*s %*s%n", &lo, &hi, p, &off) != 3)
            continue;
        if (addr < lo || addr >= hi)
            continue;
        memcpy(perms, p, 5);
        *lo_out = lo;
        *hi_out = hi;
        if (name) {
            const char *n = line + off;
            while (*n == ' ')
                n++;
            snprintf(name, 64, "%s", n);
        }
        found = true;
        break;
    }
    free(buf);
    return found;
}

bool maps_lookup(struct process_vm *vm, uintptr_t addr, char perms[5], char name[64])
{
    uintptr_t lo, hi;
    return maps_find(vm, addr, perms, name, &lo, &hi);
}

void maps_range(struct process_vm *vm, uintptr_t addr, uintptr_t *lo, uintptr_t *hi)
{
    char perms[5];
    assert_true(maps_find(vm, addr, perms, NULL, lo, hi));
}

int open_host_path(void *ctx, const char *path, struct file **out)
{
    (void)ctx;
    struct file *f = file_from_path(path);
    if (!f)
        return -ENOENT;
    *out = f;
    return 0;
}
