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
#include "core/obs_potts.h"

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

/* Up to 40 bytes of s[0..len) for a one-line message: control bytes become
 * '?', "..." marks a cut (file contents cannot break the message or send
 * escapes to a terminal).  buf holds TRAJ_QUOTE_BUF bytes. */
#define TRAJ_QUOTE_BUF 44
const char *traj_quote(char buf[TRAJ_QUOTE_BUF], const char *s, size_t len);

/* Print one number (%.17g, "nan", "inf", "-inf"). */
void traj_put(FILE *fp, double x);

/* trajectory.tsv: the column line, then one row per (t, mu); the last
 * column is o->X (the writer unwraps it with obs_unwrap, core/obs.h). */
void traj_obs_columns(FILE *fp);
void traj_obs_row(FILE *fp, double t, size_t mu, double loglik, double kl, const obs_values *o);

/* weights.tsv: column line "t mu w_0 ... w_{N-1}", rows. */
void traj_weights_columns(FILE *fp, size_t N);
void traj_weights_row(FILE *fp, double t, size_t mu, const double *w, size_t N);

/* summary.tsv rows: key<TAB>value. */
void traj_summary_num(FILE *fp, const char *key, double x);
void traj_summary_str(FILE *fp, const char *key, const char *s);

/* Equal header values: as numbers when both parse completely as finite or
 * non-finite numbers without overflow (so "0.1" and "0.10000000000000001"
 * agree), else as strings.  NULL equals nothing. */
int traj_header_same(const char *a, const char *b);

/* A table read back from any of these files. */
typedef struct {
    traj_header header;   /* the "# key=value" lines                      */
    size_t ncol, nrow;
    char **col;           /* column names (ncol)                          */
    double *x;            /* nrow x ncol, row-major; "nan" -> NAN         */
    size_t *line;         /* nrow: the file line each row was read from   */
} traj_table;

/* The readers' contract (SPEC.md 5): every line ends with a newline (a last
 * line without one is a file cut short: SYM_EINVAL "PATH:L: truncated"); a
 * NUL byte anywhere is an error naming the line; a header key may repeat
 * only with the same value (traj_header_same; older files repeat the data
 * model's keys), a conflicting repeat is an error naming both lines.  Memory
 * is proportional to the file size, time linear in it (up to a log factor
 * for the header keys). */

/* Read a whitespace-separated table with header and column line.  A missing
 * file, a row with the wrong number of fields or an unparsable or
 * overflowing number (1e999) is an error naming the file and line.  "nan",
 * "inf" and "-inf" are read as such: a caller that needs finite values says
 * so with traj_table_require_finite. */
int traj_read(const char *path, traj_table *t, char *err);
void traj_table_free(traj_table *t);
/* Index of column name, or -1. */
int traj_table_col(const traj_table *t, const char *name);
/* SYM_EINVAL unless every column cols[0..n-1] (cols NULL: every column of
 * the table) exists and holds a finite number in every row; the message
 * names path, the line of the first offending row and the column. */
int traj_table_require_finite(const traj_table *t, const char *const *cols, size_t n,
                              const char *path, char *err);

/* summary.tsv read back: header plus key/value strings (one namespace: a
 * row may repeat a header key only with the same value). */
int traj_read_summary(const char *path, traj_header *kv, char *err);
/* The value of key as a finite number into *x: a missing key, a value that
 * is not a number, nan, inf or an overflowing number is SYM_EINVAL naming
 * path and key. */
int traj_summary_get_finite(const traj_header *kv, const char *key, const char *path, double *x,
                            char *err);

/* trajectory.tsv of a Potts run (SPEC.md 9): the column line
 * "t mu norm2 pr R S center S_ang phase loglik kl a0 ... a8 X" and one row
 * per (t, mu), a_k the p = +-1 amplitudes of core/obs_potts.h; X last, as in
 * traj_obs_columns, filled by the writer with obs_unwrap. */
void traj_potts_columns(FILE *fp);
void traj_potts_row(FILE *fp, double t, size_t mu, double loglik, double kl,
                    const obs_potts_values *o);

#endif
