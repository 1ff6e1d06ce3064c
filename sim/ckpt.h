/* ckpt: checkpoint files of long sim runs (issue 11 item 3; SPEC.md 5's
 * "one set, atomically" applied to the state of a run in progress).
 *
 * A checkpoint is a flat file of named records: the magic "SYMRBMCK", a
 * format version, then records (tag, length, bytes) and a closing record
 * holding a hash of everything before it, so that a damaged file is refused
 * instead of resuming from garbage.  It is written under a temporary name
 * and renamed into place (core/traj.h traj_open/traj_finish/traj_commit),
 * so a run killed while writing leaves the previous checkpoint intact.
 * Records are looked up by tag, so their order is free; a record's length
 * is checked against what the reader expects.  The numbers are the
 * machine's own bytes (a checkpoint resumes on the machine that wrote it,
 * or one of the same byte order and type sizes: the header says which).
 */
#ifndef SYM_CKPT_H
#define SYM_CKPT_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>

#define CKPT_VERSION 1u
#define CKPT_TAGMAX 32   /* longest tag, bytes */

typedef struct ckpt_out ckpt_out;
typedef struct ckpt_in ckpt_in;

/* Start writing the checkpoint file path (under a temporary name beside
 * it).  SYM_EIO naming the path when it cannot be created. */
int ckpt_out_open(ckpt_out **o, const char *path, char *err);
/* Append a record.  A write error is remembered and reported by
 * ckpt_out_commit (the callers need not check each record). */
void ckpt_put(ckpt_out *o, const char *tag, const void *p, size_t n);
void ckpt_put_u64(ckpt_out *o, const char *tag, uint64_t x);
/* The generator's type name and its state bytes (gsl_rng_state). */
void ckpt_put_rng(ckpt_out *o, const char *tag, const gsl_rng *r);
/* Close the file (flushed and synced), rename it into place, free o. */
int ckpt_out_commit(ckpt_out *o, char *err);
/* Remove the temporary file and free o (o may be NULL). */
void ckpt_out_abort(ckpt_out *o);

/* Read the whole checkpoint at path.  A missing file is SYM_EIO (the
 * caller can tell it by ckpt_exists first); a file without the magic, of
 * another version or byte order, cut short or failing its hash is
 * SYM_EINVAL naming the path and what is wrong. */
int ckpt_in_read(ckpt_in **in, const char *path, char *err);
void ckpt_in_free(ckpt_in *in);
/* 1 if path exists (as anything). */
int ckpt_exists(const char *path);

/* The record tag: *p points into in (valid until ckpt_in_free), *n its
 * length.  A missing tag is SYM_EINVAL naming it. */
int ckpt_get_ptr(const ckpt_in *in, const char *tag, const void **p, size_t *n, char *err);
/* Copy record tag into p, which must be exactly n bytes long (else
 * SYM_EINVAL "record TAG: N1 bytes, expected N2"). */
int ckpt_get(const ckpt_in *in, const char *tag, void *p, size_t n, char *err);
int ckpt_get_u64(const ckpt_in *in, const char *tag, uint64_t *x, char *err);
/* Restore r's state from a ckpt_put_rng record: the generator type and
 * state size must match r's. */
int ckpt_get_rng(const ckpt_in *in, const char *tag, gsl_rng *r, char *err);

/* A 64-bit hash (FNV-1a over the bytes) continued from h (start with
 * CKPT_HASH0): hashing in pieces equals hashing the whole.  The checkpoint's
 * own check and the fingerprint of the training data. */
#define CKPT_HASH0 0xcbf29ce484222325ULL
uint64_t ckpt_hash(uint64_t h, const void *p, size_t n);

#endif
