/* Self-checks for guest test programs: on failure print a message (with
 * errno) to stderr and exit 1. Header-only: each guest is one .c file built
 * with glibc and with musl. */
#ifndef GUEST_CHECK_H
#define GUEST_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            int e_ = errno;                                                 \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__,          \
                    __LINE__, #cond);                                       \
            fprintf(stderr, __VA_ARGS__);                                   \
            fprintf(stderr, " (errno %d %s)\n", e_, strerror(e_));          \
            exit(1);                                                        \
        }                                                                   \
    } while (0)

/* A libc call returning -1 + errno must fail with exactly `err`. */
#define CHECK_ERR(call, err)                                                \
    do {                                                                    \
        errno = 0;                                                          \
        long r_ = (long)(call);                                             \
        CHECK(r_ == -1 && errno == (err), "%s returned %ld, want -1/%s",    \
              #call, r_, #err);                                             \
    } while (0)

/* Deterministic output line; flushed so a crash later keeps it. */
#define OUT(...)                                                            \
    do {                                                                    \
        printf(__VA_ARGS__);                                                \
        putchar('\n');                                                      \
        fflush(stdout);                                                     \
    } while (0)

#endif
