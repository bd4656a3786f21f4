/* Anonymous mmap/munmap/mprotect, mremap grow and move, MAP_FIXED,
 * madvise(DONTNEED) zeroes, mincore, and file-backed MAP_PRIVATE and
 * MAP_SHARED mappings of a file in /tmp (msync, coherence with read/write).
 * No faults here: see segv_handler. */
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest_check.h"

static size_t pg;

static int all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

static void anon(void)
{
    unsigned char *m = mmap(NULL, 16 * pg, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, "mmap anon");
    CHECK(((uintptr_t)m & (pg - 1)) == 0, "not page aligned");
    CHECK(all_bytes(m, 16 * pg, 0), "fresh anonymous memory not zero");
    for (size_t i = 0; i < 16; i++)
        memset(m + i * pg, (int)i + 1, pg);

    /* Punch a hole; the rest stays. */
    CHECK(munmap(m + 4 * pg, 2 * pg) == 0, "munmap hole");
    CHECK(all_bytes(m + 3 * pg, pg, 4) && all_bytes(m + 6 * pg, pg, 7), "neighbours");

    /* mincore: resident pages after touching; hole is ENOMEM. */
    unsigned char vec[4];
    CHECK(mincore(m, 4 * pg, vec) == 0, "mincore");
    CHECK((vec[0] & 1) && (vec[3] & 1), "touched pages not resident");
    CHECK_ERR(mincore(m + 4 * pg, pg, vec), ENOMEM);
    CHECK_ERR(mincore(m + 1, pg, vec), EINVAL);

    /* mprotect down and up. */
    CHECK(mprotect(m, 2 * pg, PROT_READ) == 0, "mprotect R");
    CHECK(m[0] == 1 && m[pg] == 2, "read after mprotect R");
    CHECK(mprotect(m, 2 * pg, PROT_READ | PROT_WRITE) == 0, "mprotect RW");
    m[0] = 99;
    CHECK(m[0] == 99, "write after mprotect RW");
    /* Raw syscall: musl's mprotect() rounds the address down itself. */
    CHECK_ERR(syscall(SYS_mprotect, m + 1, pg, PROT_READ), EINVAL);

    /* madvise(DONTNEED) on private anonymous memory zeroes it. */
    CHECK(madvise(m + 8 * pg, 2 * pg, MADV_DONTNEED) == 0, "madvise");
    CHECK(all_bytes(m + 8 * pg, 2 * pg, 0), "DONTNEED did not zero");
    CHECK(all_bytes(m + 10 * pg, pg, 11), "DONTNEED went too far");

    /* Errors. */
    CHECK_ERR(munmap(m + 1, pg), EINVAL);
    CHECK(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED &&
          errno == EINVAL, "mmap length 0");
    CHECK(munmap(m, 16 * pg) == 0, "munmap all (with hole)");
    CHECK(munmap(m, 16 * pg) == 0, "munmap of nothing is fine");
    OUT("anon mmap/munmap/mprotect/madvise/mincore ok");
}

static void fixed(void)
{
    unsigned char *r = mmap(NULL, 8 * pg, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(r != MAP_FAILED, "mmap reserve");
    memset(r, 0x5a, 8 * pg);
    unsigned char *f = mmap(r + 2 * pg, 2 * pg, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(f == r + 2 * pg, "MAP_FIXED at %p gave %p", (void *)(r + 2 * pg), (void *)f);
    CHECK(all_bytes(f, 2 * pg, 0), "MAP_FIXED replacement not zero");
    CHECK(all_bytes(r, 2 * pg, 0x5a) && all_bytes(r + 4 * pg, 4 * pg, 0x5a), "neighbours");
    void *nr = mmap(r + pg, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(nr == MAP_FAILED && errno == EEXIST, "MAP_FIXED_NOREPLACE over a mapping");
    CHECK(munmap(r, 8 * pg) == 0, "munmap");
    OUT("MAP_FIXED ok");
}

static void remap(void)
{
    /* Grow in place or by moving; contents preserved. */
    size_t n = 4 * pg;
    unsigned char *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, "mmap");
    for (size_t i = 0; i < n; i++)
        m[i] = (unsigned char)(i * 13);
    /* Block growth in place with a neighbour, so MAYMOVE must move. */
    unsigned char *g = mremap(m, n, 64 * pg, MREMAP_MAYMOVE);
    CHECK(g != MAP_FAILED, "mremap grow");
    for (size_t i = 0; i < n; i++)
        CHECK(g[i] == (unsigned char)(i * 13), "mremap lost byte %zu", i);
    CHECK(all_bytes(g + n, 60 * pg, 0), "grown part not zero");
    g[64 * pg - 1] = 1;

    /* Shrink. */
    unsigned char *s = mremap(g, 64 * pg, 2 * pg, 0);
    CHECK(s == g, "mremap shrink moved");

    /* Grow without MAYMOVE where the next page is taken -> ENOMEM. */
    unsigned char *blk = mmap(s + 2 * pg, pg, PROT_READ,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (blk == s + 2 * pg) {
        CHECK(mremap(s, 2 * pg, 4 * pg, 0) == MAP_FAILED && errno == ENOMEM,
              "mremap into a neighbour without MAYMOVE");
        CHECK(munmap(blk, pg) == 0, "munmap");
    }

    /* Move to a chosen address with MREMAP_FIXED. */
    unsigned char *dst = mmap(NULL, 8 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(dst != MAP_FAILED, "mmap dst");
    unsigned char *mv = mremap(s, 2 * pg, 2 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, dst + 4 * pg);
    CHECK(mv == dst + 4 * pg, "mremap FIXED");
    for (size_t i = 0; i < 2 * pg; i++)
        CHECK(mv[i] == (unsigned char)(i * 13), "moved contents byte %zu", i);
    CHECK(mincore(s, pg, (unsigned char[1]){0}) == -1 && errno == ENOMEM,
          "old address still mapped after move");
    CHECK(munmap(dst, 8 * pg) == 0, "munmap");
    OUT("mremap grow/shrink/move ok");
}

static void file_maps(void)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/guest_mmap_%d", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0, "open %s", path);
    size_t fsize = 2 * pg + pg / 2;      /* last page half beyond EOF */
    unsigned char *buf = malloc(fsize);
    for (size_t i = 0; i < fsize; i++)
        buf[i] = (unsigned char)(i % 251);
    CHECK(write(fd, buf, fsize) == (ssize_t)fsize, "write");

    /* MAP_PRIVATE: file contents, zero tail, private writes stay private. */
    unsigned char *p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(p != MAP_FAILED, "mmap private");
    CHECK(memcmp(p, buf, fsize) == 0, "private contents");
    CHECK(all_bytes(p + fsize, 3 * pg - fsize, 0), "tail beyond EOF not zero");
    p[0] = 0xee;
    unsigned char c;
    CHECK(pread(fd, &c, 1, 0) == 1 && c == 0, "private write reached the file");
    /* Offset mapping. */
    unsigned char *po = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, (off_t)pg);
    CHECK(po != MAP_FAILED && memcmp(po, buf + pg, pg) == 0, "offset mapping");
    CHECK(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 1) == MAP_FAILED && errno == EINVAL,
          "unaligned offset");
    munmap(po, pg);
    munmap(p, 3 * pg);
    OUT("file MAP_PRIVATE ok");

    /* MAP_SHARED: writes reach the file (msync), file writes reach the map. */
    unsigned char *s = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(s != MAP_FAILED, "mmap shared");
    memcpy(s + 100, "shared-write", 12);
    CHECK(msync(s, 2 * pg, MS_SYNC) == 0, "msync");
    char rb[16] = {0};
    CHECK(pread(fd, rb, 12, 100) == 12 && memcmp(rb, "shared-write", 12) == 0,
          "read() does not see the shared mapping's write");
    CHECK(pwrite(fd, "file-write", 10, (off_t)pg + 7) == 10, "pwrite");
    CHECK(memcmp(s + pg + 7, "file-write", 10) == 0, "mapping does not see write()");
    /* A second shared mapping sees the same pages. */
    unsigned char *s2 = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(s2 != MAP_FAILED && memcmp(s2 + 100, "shared-write", 12) == 0, "second shared map");
    s[0] = 0x42;
    CHECK(s2[0] == 0x42, "shared mappings not coherent");
    CHECK(msync(s, pg, MS_ASYNC) == 0 && msync(s, pg, MS_INVALIDATE) == 0, "msync flags");
    CHECK_ERR(msync(s + 1, pg, MS_SYNC), EINVAL);
    munmap(s2, pg);
    munmap(s, 2 * pg);
    /* After unmapping, the data is in the file. */
    CHECK(pread(fd, &c, 1, 0) == 1 && c == 0x42, "shared write lost after munmap");

    /* Grow the file; a shared mapping of the new part reads zeros. */
    CHECK(ftruncate(fd, (off_t)(4 * pg)) == 0, "ftruncate");
    unsigned char *t = mmap(NULL, 4 * pg, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(t != MAP_FAILED && all_bytes(t + fsize, 4 * pg - fsize, 0), "extended part");
    munmap(t, 4 * pg);

    /* A read-only fd cannot be mapped shared+writable. */
    int ro = open(path, O_RDONLY);
    CHECK(ro >= 0, "open ro");
    CHECK(mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED &&
          errno == EACCES, "RW shared map of O_RDONLY fd");
    close(ro);
    /* The mapping survives close(fd). */
    unsigned char *k = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(k != MAP_FAILED, "mmap");
    close(fd);
    CHECK(k[0] == 0x42, "mapping after close");
    munmap(k, pg);
    CHECK(unlink(path) == 0, "unlink");
    free(buf);
    OUT("file MAP_SHARED + msync + read/write coherence ok");
}

int main(void)
{
    pg = (size_t)sysconf(_SC_PAGESIZE);
    CHECK(pg == 4096, "page size %zu", pg);
    anon();
    fixed();
    remap();
    file_maps();
    OUT("mmap_family ok");
    return 0;
}
