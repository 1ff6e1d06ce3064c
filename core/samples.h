/* samples: the sample files of SPEC.md 5 -- writer and reader of the two
 * formats described in README.md, section "symrbm sample".
 *
 * Text: "# key=value" header lines, then one configuration per line, +1/-1
 * separated by single spaces (3 N bytes per row).  Binary: SAMPLES_MAGIC,
 * "key=value\n" header lines (N and B among them), a line "end\n", then B
 * rows of ceil(N/8) bytes, spin i of a row in bit i%8 (least significant
 * first) of byte i/8, 1 = +1, 0 = -1, padding bits 0.
 *
 * Potts samples (SPEC.md 5 and 9: states 0..P-1) carry the header key
 * states=P (2 <= P <= RING_POTTS_MAX; the model's header hook writes it), and
 * only they do: a file without it holds +-1 spins.  Text rows are the
 * states in decimal, right-aligned to the width of P-1 (one digit for
 * P <= 10), separated by single spaces; binary rows pack each state in
 * q = ceil(log2 P) bits, state i in bits i q .. i q + q - 1 of the row
 * (bit j of the row = bit j%8 of byte j/8, least significant first), rows
 * padded with 0 bits to ceil(N q / 8) bytes -- the spin layout is the case
 * q = 1.  The reader refuses a state >= P.
 *
 * The writer streams (draws and writes B rows in chunks, never B*N bytes at
 * once), refuses up front a file the disk cannot hold, and writes
 * atomically (core/traj.h: a temporary name beside the file, renamed at the
 * end, removed on any failure).  The reader checks what a damaged file
 * would get wrong: the header's N and B against the rows, NUL bytes, sizes.
 */
#ifndef SYM_SAMPLES_H
#define SYM_SAMPLES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <gsl/gsl_rng.h>

#include "core/ring.h"
#include "core/traj.h"

#define SAMPLES_MAGIC "SYMRBM-SAMPLES\n"

typedef enum { SAMPLES_TEXT = 0, SAMPLES_BIN = 1 } samples_format;

/* Default rows per draw-and-write step: about this many bytes of spins, so
 * that memory stays ~4 MB whatever B is while the O(N) set-up of each
 * ring_sample call stays negligible. */
#define SAMPLES_CHUNK_BYTES ((size_t)1 << 22)

/* Bits per state in binary rows: ceil(log2 P), 1 for spins (P = 0). */
size_t samples_state_bits(size_t P);

/* Bytes of B rows of N states in format f; P = 0 for +-1 spins (text 3 N
 * B, binary ceil(N/8) B), else Potts (text (w+1) N B with w the digits of
 * P-1, binary ceil(N q / 8) B); -1 when that does not fit in 64 bits, else 0. */
int samples_body_bytes(samples_format f, size_t N, size_t B, size_t P, uint64_t *bytes);

/* The header as the file starts: text "# key=value" lines (h may be NULL);
 * binary the magic, "key=value" lines and "end" (line breaks in values
 * become spaces).  SYM_EIO on a write error. */
int samples_header_write(FILE *fp, samples_format f, const traj_header *h, char *err);

/* Write B rows of v (row b at v[b*N]) in format f: +-1 spins for P = 0,
 * else Potts states 0..P-1 (not checked here).  SYM_EIO on a write error. */
int samples_write_rows(FILE *fp, samples_format f, const int8_t *v, size_t N, size_t B, size_t P, char *err);

typedef struct {
    samples_format format;
    size_t chunk;   /* rows per step; 0: SAMPLES_CHUNK_BYTES worth (at least 1) */
    /* called after each chunk (may be NULL): rows written so far of B */
    void (*progress)(void *ctx, size_t done, size_t B);
    void *ctx;
} samples_wopts;

/* Draw B rows from m with r (ring_sample, chunk by chunk: the file does not
 * depend on the chunk size) and write them with header h to path,
 * atomically.  Before anything is created: h's N and B, when present, must
 * be m->N and B (a binary header must have both: the reader needs them),
 * h must have states=P exactly when m has Potts units (m->P = P > 0),
 * and the file's exact size must fit the free space of its file system
 * (SYM_EIO "path: B = 1e+15 rows of N = 100: the file would take 300 PB,
 * 51.2 GB free").  Missing parent directories are then created.  On any
 * failure nothing is left at path (an existing file there is untouched). */
int samples_write(const char *path, const traj_header *h, const ring_model *m, gsl_rng *r, size_t B,
                  const samples_wopts *o, char *err);

/* Read a sample file of either format (told apart by the magic): *v gets a
 * malloc'ed B*N array (free it), row b at v[b*N]; *v is NULL on failure.  A
 * missing file is SYM_EIO.  SYM_EINVAL, with a one-line message naming the
 * file (and the line, for text): a malformed row (wrong length, a value
 * other than +1/-1, not a number), a NUL byte, a bad header, a header N or
 * B that the rows contradict (a text file cut inside a row or between rows),
 * a truncated or overlong binary body, nonzero padding bits, no rows at
 * all, a size B*N beyond the address space. */
int samples_read(const char *path, size_t *N, size_t *B, int8_t **v, char *err);

/* samples_read for either visible kind: *P = 0 and values +-1 for a spin
 * file, *P = the header's states and values 0..P-1 for a Potts file
 * (samples_read refuses those: its callers assume +-1).  Also SYM_EINVAL:
 * a states value outside 2..RING_POTTS_MAX or contradicted, a value that
 * is not an integer state below P. */
int samples_read_states(const char *path, size_t *N, size_t *B, size_t *P, int8_t **v, char *err);

#endif
