/* Byte sizes as written in onespace.json: "32MB", "1GB", "512KB", "4096",
 * units B/KB/MB/GB or K/M/G (case-insensitive, powers of 1024), optionally
 * separated from the number by spaces. */
#ifndef ONESPACE_CLI_SIZE_H
#define ONESPACE_CLI_SIZE_H

#include <stddef.h>
#include <stdint.h>

#define SIZE_KB ((uint64_t)1 << 10)
#define SIZE_MB ((uint64_t)1 << 20)
#define SIZE_GB ((uint64_t)1 << 30)

/* 0 and *out on success; -EINVAL if `s` is not a size; -ERANGE if it does
 * not fit in 64 bits. */
int size_parse(const char *s, uint64_t *out);

/* The shortest exact spelling: "1GB", "32MB", "64KB", "4095" (bytes).
 * Returns `buf`. */
char *size_format(uint64_t v, char *buf, size_t len);

#endif
