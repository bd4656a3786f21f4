/* Shared helpers of the loader tests: pools, files from host paths or
 * byte buffers, the fixtures, and /proc/<pid>/maps lookups. */
#ifndef ONESPACE_TESTS_LOADER_TEST_UTIL_H
#define ONESPACE_TESTS_LOADER_TEST_UTIL_H

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct file;
struct process_vm;
struct user_space_vm;

#define FIXTURE(name) LOADER_FIXTURE_DIR "/" name

struct pool {
    struct user_space_vm *usv;
    struct process_vm *vm;
};

/* A 256 MiB pool with one process in it. */
void pool_open(struct pool *p);
/* Check the process and the host protections, destroy the process, assert
 * the pool is whole again, then free it. */
void pool_close(struct pool *p);
/* Nothing is mapped in the process (its /proc/pid/maps is empty). */
bool pool_process_empty(struct pool *p);

/* Whole host file into a malloc'ed buffer. */
unsigned char *read_host_file(const char *path, size_t *len);
/* A read-only File over a host path (host_file); NULL if it can't open. */
struct file *file_from_path(const char *path);
/* A File over an unlinked temporary host file holding `buf`. */
struct file *file_from_bytes(const void *buf, size_t len, int access);

/* The program headers of an ELF image in memory. */
static inline Elf64_Phdr *elf_phdrs(unsigned char *img)
{
    return (Elf64_Phdr *)(img + ((Elf64_Ehdr *)img)->e_phoff);
}

/* The "rwxp" field of the maps line containing addr into perms[5];
 * false if no line contains it. `name` (may be NULL) gets the path/name
 * column (up to 63 chars). */
bool maps_lookup(struct process_vm *vm, uintptr_t addr, char perms[5], char name[64]);
/* The [lo, hi) of the maps line containing addr (asserts there is one). */
void maps_range(struct process_vm *vm, uintptr_t addr, uintptr_t *lo, uintptr_t *hi);

/* Open-interpreter callback: host paths as they are (ctx unused). */
int open_host_path(void *ctx, const char *path, struct file **out);

#endif
