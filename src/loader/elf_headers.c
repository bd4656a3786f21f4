/* ELF header and program header validation. Every bound is checked against
 * the file's size before anything is read, with overflow-safe arithmetic,
 * so a malformed file gives -ENOEXEC and never a read past its end. */
#include "loader/elf_headers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/file.h"
#include "util/compiler.h"
#include "vm/vm_util.h"

int elf_read_exact(struct file *f, void *buf, size_t len, uint64_t off)
{
    unsigned char *p = buf;
    while (len > 0) {
        if (off > (uint64_t)INT64_MAX)
            return -EIO;
        ssize_t n = file_pread(f, p, len, (off_t)off);
        if (n == -EINTR)
            continue;
        if (n < 0)
            return (int)n;
        if (n == 0)
            return -EIO;        /* the file shrank under us */
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

/* [off, off+len) lies inside a file of `size` bytes. */
static bool in_file(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

static int check_ident(const Elf64_Ehdr *eh)
{
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_ident[EI_DATA] != ELFDATA2LSB ||
        eh->e_ident[EI_VERSION] != EV_CURRENT ||
        eh->e_machine != EM_X86_64 ||
        (eh->e_type != ET_DYN && eh->e_type != ET_EXEC) ||
        eh->e_phentsize != sizeof(Elf64_Phdr) ||
        eh->e_phnum == 0 || eh->e_phnum == PN_XNUM ||
        (size_t)eh->e_phnum * sizeof(Elf64_Phdr) > ELF_MAX_PHDR_BYTES)
        return -ENOEXEC;
    return 0;
}

static int check_load(const Elf64_Phdr *p, uint64_t file_size)
{
    if (p->p_filesz > p->p_memsz || !in_file(p->p_offset, p->p_filesz, file_size))
        return -ENOEXEC;
    /* Linux maps file pages: offset and address must agree within a page. */
    if ((p->p_vaddr - p->p_offset) % PAGE_SIZE != 0)
        return -ENOEXEC;
    if (p->p_vaddr >= VM_TASK_SIZE || p->p_memsz > VM_TASK_SIZE - p->p_vaddr)
        return -ENOEXEC;
    return 0;
}

static int read_interp(struct file *f, struct elf_info *info, const Elf64_Phdr *p)
{
    if (info->interp || p->p_filesz < 2 || p->p_filesz > PATH_MAX ||
        !in_file(p->p_offset, p->p_filesz, info->file_size))
        return -ENOEXEC;
    int err = elf_read_exact(f, info->interp_path, p->p_filesz, p->p_offset);
    if (err)
        return err;
    /* NUL-terminated, with no NUL before the end. */
    if (info->interp_path[p->p_filesz - 1] != '\0' ||
        strlen(info->interp_path) != p->p_filesz - 1)
        return -ENOEXEC;
    info->interp = p;
    return 0;
}

/* Walk the program headers: bounds, order, span, alignment, PT_INTERP. */
static int check_phdrs(struct file *f, struct elf_info *info)
{
    const Elf64_Ehdr *eh = &info->eh;
    uintptr_t prev_vaddr = 0, lo = UINTPTR_MAX, hi = 0;
    size_t align = PAGE_SIZE, nr_load = 0;
    const Elf64_Phdr *pt_phdr = NULL;
    for (size_t i = 0; i < eh->e_phnum; i++) {
        const Elf64_Phdr *p = &info->ph[i];
        int err = 0;
        switch (p->p_type) {
        case PT_LOAD:
            if (p->p_memsz == 0)
                break;          /* maps nothing (Linux skips it too) */
            err = check_load(p, info->file_size);
            if (err)
                return err;
            if (nr_load++ && p->p_vaddr < prev_vaddr)
                return -ENOEXEC;        /* the ELF spec: ascending order */
            prev_vaddr = p->p_vaddr;
            if (p->p_align > align && (p->p_align & (p->p_align - 1)) == 0)
                align = p->p_align;     /* others are ignored, like Linux */
            lo = MIN(lo, ALIGN_DOWN((uintptr_t)p->p_vaddr, PAGE_SIZE));
            hi = MAX(hi, ALIGN_UP((uintptr_t)(p->p_vaddr + p->p_memsz), PAGE_SIZE));
            break;
        case PT_INTERP:
            err = read_interp(f, info, p);
            break;
        case PT_PHDR:
            pt_phdr = p;
            break;
        default:
            break;              /* PT_GNU_STACK etc.: informative */
        }
        if (err)
            return err;
    }
    if (nr_load == 0)
        return -ENOEXEC;
    info->lo = lo;
    info->hi = hi;
    info->align = align;
    if (align > VM_TASK_SIZE || hi - lo > VM_TASK_SIZE)
        return -ENOEXEC;
    /* AT_PHDR: PT_PHDR, else where the segment holding e_phoff puts it
     * (Linux's rule); without either, Linux's fallback of offset 0. */
    info->phdr_vaddr = 0;
    if (pt_phdr) {
        info->phdr_vaddr = pt_phdr->p_vaddr;
        return 0;
    }
    for (size_t i = 0; i < eh->e_phnum; i++) {
        const Elf64_Phdr *p = &info->ph[i];
        if (p->p_type == PT_LOAD && p->p_memsz && p->p_offset <= eh->e_phoff &&
            eh->e_phoff - p->p_offset < p->p_filesz) {
            info->phdr_vaddr = eh->e_phoff - p->p_offset + p->p_vaddr;
            break;
        }
    }
    return 0;
}

int elf_info_read(struct file *f, struct elf_info *info)
{
    memset(info, 0, sizeof(*info));
    if (!file_readable(f))
        return -EACCES;
    struct stat st;
    int err = file_stat(f, &st);
    if (err)
        return err;
    if (!S_ISREG(st.st_mode))
        return -EACCES;
    info->file_size = st.st_size < 0 ? 0 : (uint64_t)st.st_size;
    if (info->file_size < sizeof(Elf64_Ehdr))
        return -ENOEXEC;
    err = elf_read_exact(f, &info->eh, sizeof(info->eh), 0);
    if (err)
        return err;
    err = check_ident(&info->eh);
    if (err)
        return err;
    size_t ph_bytes = (size_t)info->eh.e_phnum * sizeof(Elf64_Phdr);
    if (!in_file(info->eh.e_phoff, ph_bytes, info->file_size))
        return -ENOEXEC;
    info->ph = malloc(ph_bytes);
    if (!info->ph)
        return -ENOMEM;
    err = elf_read_exact(f, info->ph, ph_bytes, info->eh.e_phoff);
    if (!err)
        err = check_phdrs(f, info);
    if (err)
        elf_info_release(info);
    return err;
}

void elf_info_release(struct elf_info *info)
{
    free(info->ph);
    info->ph = NULL;
}
