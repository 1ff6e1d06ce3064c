/* fuzz_util: what the libFuzzer targets of fuzz/ share (issue 7 item 8).
 *
 * The readers under test take a path, so each input is written to one
 * memfd made at the first call and reopened through /proc/self/fd: no file
 * system traffic, nothing left behind.  A broken invariant aborts, which
 * libFuzzer reports as a finding with the input saved. */
#ifndef SYM_FUZZ_UTIL_H
#define SYM_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/err.h"

#define FUZZ_CHECK(cond, ...)                                                   \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "fuzz: %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
            abort();                                                            \
        }                                                                       \
    } while (0)

/* buf as a file: slot 0 holds the input, slot 1 a round trip's rewrite.
 * The same path every call for a slot (the harness is single-threaded; the
 * previous content is replaced). */
enum { FUZZ_NSLOT = 2 };
static inline const char *fuzz_memfile(int slot, const void *buf, size_t len)
{
    static int fd[FUZZ_NSLOT] = {-1, -1};
    static char path[FUZZ_NSLOT][64];
    if (fd[slot] < 0) {
        fd[slot] = memfd_create("fuzz-input", 0);
        FUZZ_CHECK(fd[slot] >= 0, "memfd_create failed");
        snprintf(path[slot], sizeof path[slot], "/proc/self/fd/%d", fd[slot]);
    }
    FUZZ_CHECK(ftruncate(fd[slot], 0) == 0, "ftruncate failed");
    const char *p = buf;
    size_t off = 0;
    while (off < len) {
        ssize_t w = pwrite(fd[slot], p + off, len - off, (off_t)off);
        FUZZ_CHECK(w > 0, "pwrite failed");
        off += (size_t)w;
    }
    return path[slot];
}

/* The contract of every error (core/err.h, SPEC.md 6): a known status and
 * one non-empty line of message (SYM_ERRLEN bounds it). */
static inline void fuzz_check_error(int st, const char *err)
{
    FUZZ_CHECK(st == SYM_EINVAL || st == SYM_EIO || st == SYM_ENOMEM, "status %d", st);
    size_t n = strnlen(err, SYM_ERRLEN);
    FUZZ_CHECK(n > 0 && n < SYM_ERRLEN, "empty or unterminated message");
    /* one line, and no file content that a terminal would act on;
     * FUZZ_LAX_MESSAGES=1 keeps only the line break check, to look past a
     * known quoting defect for others */
    static int lax = -1;
    if (lax < 0)
        lax = getenv("FUZZ_LAX_MESSAGES") && !strcmp(getenv("FUZZ_LAX_MESSAGES"), "1");
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)err[k];
        FUZZ_CHECK(c != '\n' && (lax || (c >= 0x20 && c != 0x7f)),
                   "control byte 0x%02x at %zu in message: %s", c, k, err);
    }
}

#endif
