/* malloc/free of many sizes (small: brk/heap arenas, large: mmap), realloc
 * growth keeps contents, calloc returns zeroed memory (also when it reuses
 * freed dirty memory), and a checksum of all contents. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest_check.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed * 31u + i * 7u);
}

static int verify(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed * 31u + i * 7u))
            return 0;
    return 1;
}

static uint64_t sum(const unsigned char *p, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

#define SLOTS 2048

static unsigned char *blk[SLOTS];
static size_t len[SLOTS];
static unsigned seedof[SLOTS];

static size_t pick_size(void)
{
    uint32_t r = next_rand() % 100;
    if (r < 70)
        return 1 + next_rand() % 256;            /* small bins */
    if (r < 97)
        return 256 + next_rand() % 32768;        /* larger heap blocks */
    return 128 * 1024 + next_rand() % (512u << 10); /* over the mmap threshold */
}

int main(void)
{
    uint64_t h = 0xcbf29ce484222325ull;
    unsigned seed = 1;

    /* Churn: random allocate/free with contents checked at free time. */
    for (int round = 0; round < 20000; round++) {
        int i = (int)(next_rand() % SLOTS);
        if (blk[i]) {
            CHECK(verify(blk[i], len[i], seedof[i]), "block %d corrupted", i);
            h = sum(blk[i], len[i], h);
            free(blk[i]);
            blk[i] = NULL;
        } else {
            len[i] = pick_size();
            seedof[i] = seed++;
            blk[i] = malloc(len[i]);
            CHECK(blk[i] != NULL, "malloc(%zu)", len[i]);
            CHECK(((uintptr_t)blk[i] & 15) == 0, "malloc result not 16-aligned");
            fill(blk[i], len[i], seedof[i]);
        }
    }
    for (int i = 0; i < SLOTS; i++) {
        if (blk[i]) {
            CHECK(verify(blk[i], len[i], seedof[i]), "block %d corrupted", i);
            h = sum(blk[i], len[i], h);
            free(blk[i]);
            blk[i] = NULL;
        }
    }
    OUT("churn checksum %016llx", (unsigned long long)h);

    /* realloc growth from 1 byte to 16 MiB keeps the old contents. */
    size_t n = 1;
    unsigned char *p = malloc(n);
    CHECK(p != NULL, "malloc(1)");
    fill(p, n, 7);
    while (n < (16u << 20)) {
        size_t m = n * 3 / 2 + 1;
        unsigned char *q = realloc(p, m);
        CHECK(q != NULL, "realloc(%zu)", m);
        CHECK(verify(q, n, 7), "realloc %zu -> %zu lost contents", n, m);
        p = q;
        fill(p, m, 7);
        n = m;
    }
    /* ...and shrinking too. */
    p = realloc(p, 100);
    CHECK(p != NULL && verify(p, 100, 7), "realloc shrink");
    free(p);
    OUT("realloc grew to %zu bytes", n);

    /* calloc: zeroed, also when recycling dirty freed memory. */
    for (int r = 0; r < 200; r++) {
        size_t sz = (r % 2) ? 1 + next_rand() % 4096 : 64 * 1024 + next_rand() % (1u << 20);
        unsigned char *d = malloc(sz);
        CHECK(d != NULL, "malloc");
        memset(d, 0xa5, sz);
        free(d);
        unsigned char *z = calloc(1, sz);
        CHECK(z != NULL, "calloc(%zu)", sz);
        for (size_t i = 0; i < sz; i++)
            CHECK(z[i] == 0, "calloc(%zu) byte %zu is %#x", sz, i, z[i]);
        free(z);
    }
    volatile size_t huge = SIZE_MAX / 2;   /* volatile: keep gcc quiet */
    errno = 0;
    CHECK(calloc(huge, 4) == NULL && errno == ENOMEM, "calloc overflow");
    OUT("calloc zeroed");

    /* One big allocation touched end to end (mmap path), then freed. */
    size_t big = 32u << 20;
    unsigned char *b = malloc(big);
    CHECK(b != NULL, "malloc 32 MiB");
    for (size_t i = 0; i < big; i += 4096)
        b[i] = (unsigned char)(i >> 12);
    uint64_t bh = 0;
    for (size_t i = 0; i < big; i += 4096)
        bh += b[i];
    free(b);
    OUT("big block sum %llu", (unsigned long long)bh);

    void *al = NULL;
    CHECK(posix_memalign(&al, 1 << 16, 1000) == 0 && ((uintptr_t)al & 0xffff) == 0,
          "posix_memalign 64K");
    free(al);
    OUT("malloc_heavy ok");
    return 0;
}
