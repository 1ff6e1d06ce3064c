/* traj: the files that are the contract between components (SPEC.md 5).
 *
 * trajectory.tsv, weights.tsv, summary.tsv and sample files all start with
 * "# key=value" header lines (program, version, every parameter, seed, data
 * model).  Every file is written under a temporary name in the same
 * directory and renamed into place on traj_close, so an interrupted run never
 * leaves a half-written file.  Numbers are printed with %.17g (round trip);
 * NaN is written "nan".  The reader parses any of these tables back.
 */
#ifndef SYM_TRAJ_H
#define SYM_TRAJ_H

#include <stddef.h>
#include <stdio.h>
#include "core/obs.h"

#define SYM_VERSION "0.1.0"

/* Ordered key=value list for file headers. */
typedef struct traj_header {
    char **key, **val;
    size_t n, cap;
} traj_header;

void traj_header_init(traj_header *h);
void traj_header_free(traj_header *h);
/* Set (or replace) key to the printf-formatted value. Returns SYM_OK/SYM_ENOMEM. */
int traj_header_set(traj_header *h, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Value of key, or NULL. */
const char *traj_header_get(const traj_header *h, const char *key);
void traj_header_write(const traj_header *h, FILE *fp);

/* An output file being written atomically. */
typedef struct {
    FILE *fp;
    char *path;      /* final name      */
    char *tmp;       /* temporary name  */
} traj_file;

/* Create dir (and parents) if needed. */
int traj_mkdir(const char *dir, char *err);

/* Open dir/name for writing under a temporary name; writes the header lines
 * (if h != NULL).  dir NULL or "" means name is the whole path.  The
 * temporary file is ".NAME.tmp.PID.XXXXXX" beside the final name. */
int traj_open(traj_file *f, const char *dir, const char *name, const traj_header *h, char *err);
/* Flush, check for write errors, close and rename into place. On failure the
 * temporary file is removed and nothing is left at the final name. */
int traj_close(traj_file *f, char *err);
/* The two halves of traj_close, for files written as one set (core/run.h):
 * traj_finish flushes, syncs and closes the temporary file (removing it on
 * failure), traj_commit renames it into place. */
int traj_finish(traj_file *f, char *err);
int traj_commit(traj_file *f, char *err);
/* Abandon: close and remove the temporary file. */
void traj_abort(traj_file *f);

/* Print one number (%.17g, "nan", "inf", "-inf"). */
void traj_put(FILE *fp, double x);

/* trajectory.tsv: the column line, then one row per (t, mu). */
void traj_obs_columns(FILE *fp);
void traj_obs_row(FILE *fp, double t, size_t mu, double loglik, double kl, const obs_values *o);

/* weights.tsv: column line "t mu w_0 ... w_{N-1}", rows. */
void traj_weights_columns(FILE *fp, size_t N);
void traj_weights_row(FILE *fp, double t, size_t mu, const double *w, size_t N);

/* summary.tsv rows: key<TAB>value. */
void traj_summary_num(FILE *fp, const char *key, double x);
void traj_summary_str(FILE *fp, const char *key, const char *s);

/* A table read back from any of these files. */
typedef struct {
    traj_header header;   /* the "# key=value" lines                      */
    size_t ncol, nrow;
    char **col;           /* column names (ncol)                          */
    double *x;            /* nrow x ncol, row-major; "nan" -> NAN         */
} traj_table;

/* Read a whitespace-separated table with header and column line.  A missing
 * file, a row with the wrong number of fields or an unparsable number is an
 * error naming the file and line. */
int traj_read(const char *path, traj_table *t, char *err);
void traj_table_free(traj_table *t);
/* Index of column name, or -1. */
int traj_table_col(const traj_table *t, const char *name);

/* summary.tsv read back: header plus key/value strings. */
int traj_read_summary(const char *path, traj_header *kv, char *err);

#endif
