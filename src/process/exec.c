/* Loading programs into processes (see exec.h). */
#include "process/exec.h"
#include "process/timer.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "fs/fd_table.h"
#include "fs/vfs.h"
#include "host/host_thread.h"
#include "loader/loader.h"
#include "process/runtime_state.h"
#include "vm/process_vm.h"
#include "vm/vm_stats.h"

/* Linux's exec_binprm allows 5 nested #! scripts (rewrites at depth
 * 0..4); the 6th is -ELOOP. */
#define MAX_SCRIPT_DEPTH 4
#define SHEBANG_MAX 256

static int open_interp(void *ctx, const char *path, struct file **out)
{
    char full[PATH_MAX];
    return vfs_open_exec(ctx, path, out, full, sizeof(full));
}

static int make_cmdline(char *const argv[], char **out, size_t *len_out)
{
    size_t len = 0;
    for (int i = 0; argv && argv[i]; i++)
        len += strlen(argv[i]) + 1;
    char *s = malloc(len ? len : 1);
    if (!s)
        return -ENOMEM;
    size_t at = 0;
    for (int i = 0; argv && argv[i]; i++) {
        size_t n = strlen(argv[i]) + 1;
        memcpy(s + at, argv[i], n);
        at += n;
    }
    *out = s;
    *len_out = len;
    return 0;
}

/* "#!interp [arg]": 1 and the parts (in buf), 0 if not a script. */
static int parse_shebang(char *buf, size_t n, char **interp, char **arg)
{
    if (n < 2 || buf[0] != '#' || buf[1] != '!')
        return 0;
    char *end = memchr(buf, '\n', n);
    if (!end && n < SHEBANG_MAX)
        end = buf + n;          /* the file ends the line (Linux takes it) */
    if (!end)
        return -ENOEXEC;        /* a longer line: not handled */
    *end = 0;
    char *s = buf + 2;
    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s)
        return -ENOEXEC;
    *interp = s;
    while (*s && *s != ' ' && *s != '\t')
        s++;
    *arg = NULL;
    if (*s) {
        *s++ = 0;
        while (*s == ' ' || *s == '\t')
            s++;
        char *e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            *--e = 0;
        if (*s)
            *arg = s;
    }
    return 1;
}

static int load(struct process *p, const char *path, char *const argv[], char *const envp[],
                int depth, struct exec_image *out)
{
    struct file *exe;
    int err = vfs_open_exec(p->fs, path, &exe, out->exe_path, sizeof(out->exe_path));
    if (err)
        return err;
    char head[SHEBANG_MAX];
    ssize_t n = file_pread(exe, head, sizeof(head), 0);
    if (n < 0) {
        file_put(exe);
        return (int)n;
    }
    char *interp, *arg;
    int script = parse_shebang(head, (size_t)n, &interp, &arg);
    if (script) {
        file_put(exe);
        if (script < 0)
            return script;
        if (depth > MAX_SCRIPT_DEPTH)
            return -ELOOP;
        /* interp [arg] path argv[1...] */
        size_t argc = 0;
        while (argv && argv[argc])
            argc++;
        char **nargv = calloc(argc + 4, sizeof(*nargv));
        if (!nargv)
            return -ENOMEM;
        size_t k = 0;
        nargv[k++] = interp;
        if (arg)
            nargv[k++] = arg;
        char script_path[PATH_MAX];
        strcpy(script_path, out->exe_path);
        nargv[k++] = script_path;
        for (size_t i = 1; i < argc; i++)
            nargv[k++] = argv[i];
        err = load(p, interp, nargv, envp, depth + 1, out);
        free(nargv);
        return err;
    }

    struct runtime *rt = p->rt;
    err = process_vm_create(rt->usv, p->pid, &out->vm);
    if (err) {
        file_put(exe);
        return err;
    }
    struct loader_image img;
    err = loader_load(out->vm, exe, open_interp, p->fs, &img);
    file_put(exe);
    if (!err)
        err = loader_setup_heap(out->vm, &img, rt->default_heap_size);
    struct loader_stack_args sa = {
        .argv = argv, .envp = envp, .execfn = out->exe_path,
        .stack_size = rt->default_stack_size, .vdso_base = host_auxv(AT_SYSINFO_EHDR),
        .hwcap = host_auxv(AT_HWCAP), .hwcap2 = host_auxv(AT_HWCAP2),
        .minsigstksz = host_auxv(51 /* AT_MINSIGSTKSZ */),
    };
    if (!err)
        err = loader_setup_stack(out->vm, &img, &sa, &out->rsp);
    if (!err)
        err = make_cmdline(argv, &out->cmdline, &out->cmdline_len);
    if (!err)   /* for the stats report (onespace run --stats) */
        process_vm_set_name(out->vm, out->cmdline, out->cmdline_len);
    if (err) {
        process_vm_destroy(out->vm);
        out->vm = NULL;
        return err;
    }
    out->entry = img.entry;
    return 0;
}

int process_exec_load(struct process *p, const char *path, char *const argv[],
                      char *const envp[], struct exec_image *out)
{
    memset(out, 0, sizeof(*out));
    return load(p, path, argv, envp, 0, out);
}

void process_exec_abort(struct exec_image *img)
{
    if (img->vm)
        process_vm_destroy(img->vm);
    free(img->cmdline);
    img->vm = NULL;
    img->cmdline = NULL;
}

void process_exec_commit(struct process *p, struct exec_image *img)
{
    struct process_vm *old = p->vm;
    bool borrowed = p->vm_borrowed;
    p->vm = img->vm;
    if (borrowed)
        process_vfork_release(p);
    else if (old)
        process_vm_destroy(old);
    fd_table_close_on_exec(p->fds);
    pthread_mutex_lock(&p->lock);
    for (int i = 0; i < 64; i++) {
        struct guest_sigaction *sa = &p->sigactions[i];
        if (sa->handler != (uint64_t)(uintptr_t)SIG_IGN)
            *sa = (struct guest_sigaction){ 0 };
    }
    memcpy(p->exe_path, img->exe_path, sizeof(p->exe_path));
    free(p->cmdline);
    p->cmdline = img->cmdline;
    p->cmdline_len = img->cmdline_len;
    p->did_exec = true;
    pthread_mutex_unlock(&p->lock);
    process_timers_exec(p);
    img->vm = NULL;
    img->cmdline = NULL;
}
