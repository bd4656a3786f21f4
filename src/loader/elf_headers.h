/* Reading and validating an ELF file's headers (internal to the loader). */
#ifndef ONESPACE_LOADER_ELF_HEADERS_H
#define ONESPACE_LOADER_ELF_HEADERS_H

#include <elf.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct file;

/* Linux's limit on the program header table (ELF_MIN_ALIGN... 64 KiB). */
#define ELF_MAX_PHDR_BYTES 65536u

struct elf_info {
    Elf64_Ehdr eh;
    Elf64_Phdr *ph;           /* e_phnum entries (malloc'ed) */
    uint64_t file_size;
    uintptr_t lo;             /* lowest PT_LOAD p_vaddr, page aligned down */
    uintptr_t hi;             /* highest p_vaddr + p_memsz, page aligned up */
    size_t align;             /* largest power-of-two p_align, >= page */
    const Elf64_Phdr *interp; /* PT_INTERP or NULL */
    char interp_path[PATH_MAX];
    uintptr_t phdr_vaddr;     /* unbiased AT_PHDR */
};

/* Read and check the headers of `f` (see loader.h for the errnos). On
 * success *info owns info->ph: free it with elf_info_release. */
int elf_info_read(struct file *f, struct elf_info *info);
void elf_info_release(struct elf_info *info);

/* pread exactly len bytes at off: 0, -EIO (file shorter), or the read's
 * error. */
int elf_read_exact(struct file *f, void *buf, size_t len, uint64_t off);

#endif
