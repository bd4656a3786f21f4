/* Fuzz the ELF loader: the input bytes are an executable file (a memfd
 * wrapped as a host File), loaded with loader_load, and when that works
 * also given a heap and a stack, into a fresh process of a small pool.
 * Afterwards the process and pool checks must pass, and once the process
 * is destroyed the pool must be whole again (free == total): a failed or
 * successful load never leaks pool memory. An interpreter (PT_INTERP) is
 * "opened" as a second copy of the same bytes, so the interpreter path of
 * the loader is fuzzed too. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fs/file.h"
#include "fs/host_file.h"
#include "loader/loader.h"
#include "vm/process_vm.h"
#include "vm/user_space_vm.h"

static struct user_space_vm *usv;

static struct file *file_of(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0)
            abort();
        done += (size_t)n;
    }
    struct file *f;
    if (host_file_create(fd, O_RDONLY, HOST_FILE_OWN_FD, &f) != 0)
        abort();
    return f;
}

struct input {
    const uint8_t *data;
    size_t size;
    int opened;
};

static int open_interp(void *ctx, const char *path, struct file **out)
{
    struct input *in = ctx;
    (void)path;
    if (in->opened++)           /* an interpreter of the interpreter */
        return -ENOENT;
    *out = file_of(in->data, in->size);
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct user_space_vm_config cfg = { .user_space_size = 64UL << 20 };
    if (user_space_vm_create(&cfg, &usv) != 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct process_vm *vm;
    if (process_vm_create(usv, 100, &vm) != 0)
        abort();
    struct file *f = file_of(data, size);
    struct input in = { data, size, 0 };
    struct loader_image img;
    int r = loader_load(vm, f, open_interp, &in, &img);
    if (r == 0) {
        loader_setup_heap(vm, &img, 1UL << 20);
        char *argv[] = { "prog", "arg", NULL };
        char *envp[] = { "A=B", NULL };
        struct loader_stack_args sa = { .argv = argv, .envp = envp,
                                        .stack_size = 256UL << 10 };
        uintptr_t rsp;
        loader_setup_stack(vm, &img, &sa, &rsp);
    } else {
        char buf[8];
        /* "On error nothing stays mapped in vm by the failed call." */
        if (process_vm_render_maps(vm, buf, sizeof buf) != 0)
            abort();
    }
    if (process_vm_check(vm) != 0 || user_space_vm_check_host(usv) != 0)
        abort();
    process_vm_destroy(vm);
    file_put(f);
    struct user_space_vm_stats st;
    user_space_vm_get_stats(usv, &st);
    if (st.free_bytes != st.total_bytes || user_space_vm_check(usv) != 0)
        abort();
    return 0;
}
