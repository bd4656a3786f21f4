/* `make demo`: until the runtime runs real guest programs, the main job is a
 * demonstration of the chunked user-space memory manager. Several simulated
 * processes of very different sizes share one pool without any per-process
 * memory configuration; they share memory through System V shm, cannot touch
 * each other's memory, and give everything back when they exit.
 *
 * Exit status 0 only if every step behaved as expected. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <time.h>

#include "vm/process_vm.h"
#include "vm/shm_manager.h"
#include "vm/user_space_vm.h"

#define MiB (1024UL * 1024UL)

static int failures;

static void expect(int ok, const char *what)
{
    printf("  %-66s %s\n", what, ok ? "ok" : "FAILED");
    if (!ok)
        failures++;
}

static void print_stats(struct user_space_vm *usv, const char *when)
{
    struct user_space_vm_stats st;
    user_space_vm_get_stats(usv, &st);
    printf("  pool %s: %zu MiB free of %zu MiB; %zu chunks (%zu single-VMA, "
           "%zu multi-VMA), %zu VMAs, %zu shm segments\n",
           when, st.free_bytes / MiB, st.total_bytes / MiB, st.nr_chunks,
           st.nr_single_chunks, st.nr_multi_chunks, st.nr_vmas, st.nr_shm_segments);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void print_maps(struct process_vm *vm, int max_lines)
{
    static char buf[1 << 16];
    ssize_t n = process_vm_render_maps(vm, buf, sizeof(buf));
    if (n < 0) {
        printf("  (maps: error %zd)\n", n);
        return;
    }
    int lines = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        if (lines++ < max_lines)
            printf("    %s\n", line);
    }
    if (lines > max_lines)
        printf("    ... %d more lines\n", lines - max_lines);
}

int main(void)
{
    struct user_space_vm_config cfg = { .user_space_size = 1024 * MiB, .chunk_size = 32 * MiB };
    struct user_space_vm *usv;
    int rc = user_space_vm_create(&cfg, &usv);
    if (rc < 0) {
        fprintf(stderr, "onespace-demo: cannot reserve the pool: %s\n", strerror(-rc));
        return 1;
    }
    struct vm_range pool = user_space_vm_range(usv);
    printf("onespace demo: one %lu MiB user-space pool at %#lx-%#lx, 32 MiB chunks\n",
           (unsigned long)(vm_range_size(pool) / MiB), (unsigned long)pool.start,
           (unsigned long)pool.end);

    struct process_vm *big, *many, *tiny;
    if (process_vm_create(usv, 1, &big) || process_vm_create(usv, 2, &many) ||
        process_vm_create(usv, 3, &tiny)) {
        fprintf(stderr, "onespace-demo: cannot create processes\n");
        return 1;
    }

    printf("\n1. Processes of very different sizes, no per-process configuration\n");
    long big_map = process_vm_mmap(big, 0, 300 * MiB, PROT_READ | PROT_WRITE,
                                   MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
    expect(big_map > 0, "pid 1 maps 300 MiB (a single-VMA chunk)");
    if (big_map > 0)
        memset((char *)big_map + 299 * MiB, 0x5a, MiB);
    expect(process_vm_init_heap(big, 0, 64 * MiB) == 0, "pid 1 gets a 64 MiB brk heap");
    uintptr_t brk0 = process_vm_brk(big, 0);
    uintptr_t brk1 = process_vm_brk(big, brk0 + 10 * MiB);
    expect(brk1 == brk0 + 10 * MiB, "pid 1 grows its break by 10 MiB");

    int nsmall = 5000, made = 0;
    double t0 = now_ns();
    for (int i = 0; i < nsmall; i++) {
        /* Alternate permissions so neighbouring VMAs cannot merge. */
        int prot = (i & 1) ? PROT_READ : PROT_READ | PROT_WRITE;
        long a = process_vm_mmap(many, 0, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
        made += a > 0;
    }
    double t1 = now_ns();
    printf("  pid 2 made %d separate 4 KiB mappings in %.2f ms (%.0f ns each)\n",
           made, (t1 - t0) / 1e6, (t1 - t0) / nsmall);
    expect(made == nsmall, "pid 2 holds 5,000 small mappings in shared multi-VMA chunks");
    long t = process_vm_mmap(tiny, 0, 3 * 4096, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
    expect(t > 0, "pid 3 maps 12 KiB");
    print_stats(usv, "now");

    printf("\n2. Guests always receive zeroed pages\n");
    int zero = 1;
    for (int i = 0; i < 3 * 4096 && t > 0; i++)
        zero &= ((char *)t)[i] == 0;
    expect(zero, "pid 3's new mapping reads as zeros");
    if (t > 0) {
        memset((void *)t, 0xff, 3 * 4096);
        process_vm_munmap(tiny, (uintptr_t)t, 3 * 4096);
        long again = process_vm_mmap(tiny, (uintptr_t)t, 3 * 4096, PROT_READ | PROT_WRITE,
                                     MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
        zero = again > 0;
        for (int i = 0; i < 3 * 4096 && again > 0; i++)
            zero &= ((char *)again)[i] == 0;
        expect(zero, "unmapped, dirtied memory mapped again reads as zeros");
        t = again;
    }

    printf("\n3. Sharing through System V shm\n");
    int id = shm_get(big, IPC_PRIVATE, 1 * MiB, IPC_CREAT | 0600);
    expect(id >= 0, "pid 1 creates a 1 MiB shm segment");
    long s1 = shm_attach(big, id, 0, 0);
    long s3 = shm_attach(tiny, id, 0, 0);
    expect(s1 > 0 && s1 == s3, "pids 1 and 3 attach it (same address in one address space)");
    if (s1 > 0 && s3 > 0) {
        strcpy((char *)s1, "hello from pid 1");
        expect(strcmp((char *)s3, "hello from pid 1") == 0, "pid 3 reads what pid 1 wrote");
    }
    expect(shm_ctl(big, id, IPC_RMID, NULL) == 0, "pid 1 removes it (it lives until detached)");
    expect(shm_detach(big, (uintptr_t)s1) == 0, "pid 1 detaches");
    expect(s3 > 0 && strcmp((char *)s3, "hello from pid 1") == 0,
           "pid 3 still sees the data after RMID + pid 1's detach");

    printf("\n4. Isolation: one process cannot reach another's memory\n");
    if (big_map > 0) {
        uintptr_t victim = (uintptr_t)big_map + 299 * MiB;
        expect(process_vm_munmap(tiny, victim, MiB) == 0 &&
                   ((unsigned char *)victim)[0] == 0x5a,
               "pid 3 munmaps pid 1's range: nothing of pid 1 changes");
        expect(process_vm_mprotect(tiny, victim, MiB, PROT_READ) == -ENOMEM,
               "pid 3 mprotects pid 1's range: ENOMEM (not mapped for pid 3)");
        expect(process_vm_mmap(tiny, victim, MiB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
                                   MAP_FIXED, NULL, 0) == -ENOMEM,
               "pid 3 MAP_FIXEDs over pid 1's range: ENOMEM");
        expect(process_vm_check_access(tiny, victim, 1, PROT_READ) == -EFAULT,
               "a syscall of pid 3 with a pointer into pid 1's memory: EFAULT");
    }

    printf("\n5. /proc/3/maps\n");
    print_maps(tiny, 6);

    printf("\n6. Every process exits\n");
    process_vm_destroy(many);
    print_stats(usv, "after pid 2 exits");
    process_vm_destroy(tiny);
    process_vm_destroy(big);
    struct user_space_vm_stats st;
    user_space_vm_get_stats(usv, &st);
    print_stats(usv, "at the end");
    expect(st.free_bytes == st.total_bytes && st.nr_shm_segments == 0,
           "the pool's free space is whole again");
    expect(user_space_vm_check(usv) == 0, "the manager's invariants hold");
    user_space_vm_destroy(usv);

    printf("\nonespace demo: %s\n", failures ? "FAILED" : "all steps behaved as expected");
    return failures ? 1 : 0;
}
