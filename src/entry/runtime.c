/* runtime_run: one instance from start to the last process's exit. */
#include "entry/runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/wait.h>

#include "entry/entry.h"
#include "entry/fastpath.h"
#include "entry/runtime_stats.h"
#include "fs/pipe.h"
#include "fs/poll_sigmask.h"
#include "fs/vfs.h"
#include "net/socket.h"
#include "host/host_instance_fs.h"
#include "host/host_thread.h"
#include "process/exec.h"
#include "process/signal.h"
#include "process/watchdog.h"
#include "process/runtime_state.h"
#include "sgx/sgx.h"
#include "sgx/sgx_dev.h"
#include "syscall/syscall.h"
#include "syscall/syscall_names.h"
#include "util/log.h"
#include "vm/process_vm.h"
#include "vm/user_space_vm.h"
#include "vm/vm_stats.h"

#define MiB (1024UL * 1024)

void runtime_opts_defaults(struct runtime_opts *o)
{
    *o = (struct runtime_opts){
        .user_space_size = 1024 * MiB,
        .chunk_size = 32 * MiB,
        .default_stack_size = 8 * MiB,
        .default_heap_size = 32 * MiB,
        .max_threads = 64,
    };
}

/* Load argv[0] into p and fill the first thread's registers. */
static int load_program(struct process *p, const struct runtime_opts *o, uint64_t *regs)
{
    struct exec_image img;
    int err = process_exec_load(p, o->argv[0], o->argv, o->envp, &img);
    if (err) {
        if (err == -ENOEXEC)
            fprintf(stderr, "onespace: %s: not a valid x86-64 PIE or static-PIE ELF program\n",
                    o->argv[0]);
        else
            fprintf(stderr, "onespace: %s: %s\n", o->argv[0], strerror(-err));
        return err;
    }
    process_exec_commit(p, &img);
    fastpath_prepare_vm(p->vm);
    memset(regs, 0, GR_COUNT * sizeof(*regs));
    regs[GR_RSP] = img.rsp;
    regs[GR_RIP] = img.entry;
    regs[GR_RFLAGS] = 0x202;
    return 0;
}

static int exit_code_of(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 1;
}

/* /dev/sgx: this instance's measurement is SHA-256 over the program's
 * bytes and its guest path (what a relying party can recompute), or the
 * path alone if the program cannot be read here. */
static void runtime_sgx_configure(void *arg)
{
    const struct runtime_opts *o = arg;
    struct sgx_dev_config c = { .dir = o->sgx_dir,
                                .provider = (enum sgx_provider)o->dcap_provider };
    char path[4096];
    char *image = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/%s", o->root, o->argv[0]);
    if (host_instance_read_file(path, 256u << 20, &image, &len) < 0)
        len = 0;
    sgx_measure(image, len, o->argv[0], strlen(o->argv[0]), c.mr_enclave);
    free(image);
    int err = sgx_dev_configure(&c);
    if (err)
        fprintf(stderr, "onespace: /dev/sgx: no simulated platform in %s: %s\n",
                o->sgx_dir ? o->sgx_dir : "memory", strerror(-err));
}

static void fill_end_stats(struct user_space_vm *usv, struct runtime_end_stats *es)
{
    struct user_space_vm_stats st;
    user_space_vm_get_stats(usv, &st);
    *es = (struct runtime_end_stats){ .pool_total_bytes = st.total_bytes,
                                      .pool_free_bytes = st.free_bytes,
                                      .nr_chunks = st.nr_chunks,
                                      .nr_vmas = st.nr_vmas,
                                      .nr_shm_segments = st.nr_shm_segments,
                                      .check = user_space_vm_check(usv) };
}

int runtime_run(const struct runtime_opts *o)
{
    if (!o->root || !o->argv || !o->argv[0]) {
        fprintf(stderr, "onespace: no program to run\n");
        return -EINVAL;
    }
    struct user_space_vm *usv;
    struct user_space_vm_config cfg = { .user_space_size = o->user_space_size,
                                        .chunk_size = o->chunk_size };
    int err = user_space_vm_create(&cfg, &usv);
    if (err) {
        fprintf(stderr, "onespace: cannot reserve a user space of %zu bytes: %s\n",
                o->user_space_size, strerror(-err));
        return err;
    }
    if (o->stats)
        user_space_vm_record_procs(usv);
    struct vm_range pool = user_space_vm_range(usv);
    struct runtime rt;
    err = runtime_state_init(&rt, usv);
    if (!err)
        err = entry_init(pool.start, pool.end - pool.start);
    if (err) {
        user_space_vm_destroy(usv);
        return err;
    }
    rt.default_stack_size = o->default_stack_size;
    rt.default_heap_size = o->default_heap_size;
    rt.max_threads = o->max_threads;
    rt.trace = o->trace;
    fastpath_init(!o->no_fast_path);
    fastpath_tier1_enabled = !o->trace;     /* tier 1 would bypass the trace */
    syscall_table_init();
    sgx_dev_set_lazy_configure(runtime_sgx_configure, (void *)o);
    signal_notify_hook = entry_notify_thread;
    signal_kill_hook = entry_kick_process;
    pipe_set_sigpipe_hook(signal_raise_sigpipe);
    socket_set_sigpipe_hook(signal_raise_sigpipe);
    wait_sigmask_set_hooks(&signal_wait_sigmask_hooks);
    runtime_procfs_attach(&rt);
    syscall_set_trace(o->trace);

    struct process *p;
    struct thread *t = NULL;
    err = watchdog_start(o->watchdog_seconds, syscall_name);
    if (err) {
        fprintf(stderr, "onespace: cannot start the watchdog: %s\n", strerror(-err));
    } else {
        err = process_create(&rt, NULL, o->root, &p);
        if (err)
            fprintf(stderr, "onespace: cannot create the first process: %s\n", strerror(-err));
    }
    if (!err)
        err = thread_create(p, &t);
    uint64_t regs[GR_COUNT];
    if (!err)
        err = load_program(p, o, regs);
    if (!err)
        err = entry_start_thread(t, regs, 0);
    if (err && t) {
        process_begin_exit(p, W_EXITCODE(127, 0));
        thread_release(t);
    }
    int status = runtime_wait_all(&rt);
    if (o->trace || o->stats)
        fastpath_print_stats(stderr);
    watchdog_stop();
    if (o->end_stats)
        fill_end_stats(usv, o->end_stats);
    runtime_procfs_attach(NULL);
    sgx_dev_set_lazy_configure(NULL, NULL);
    runtime_state_destroy(&rt);
    if (o->stats)
        runtime_print_stats(usv, stderr);
    user_space_vm_destroy(usv);
    sgx_dev_shutdown();
    return err ? err : exit_code_of(status);
}
