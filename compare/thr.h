/* thr: measured critical sample sizes (SPEC.md section 7 (c), issue 4).
 *
 * The linear-regime order parameter of one data set (squared overlap of the
 * top eigenvector of the empirical correlation C^ with the growing modes
 * {k : lambda_k > 1}, the quantity theory/rmt.h predicts), the half-way
 * crossing of a seed-averaged curve against log B, and its bootstrap
 * confidence interval.  cli/cmd_threshold.c runs the sweep around these.
 */
#ifndef SYM_THR_H
#define SYM_THR_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>

/* ---- sample-size grid ---- */

/* At most `points` integers log-spaced from Bmin to Bmax (both included),
 * rounded to the nearest integer, duplicates removed (small B), increasing.
 * B[] holds `points` entries; *n gets the count.  SYM_EINVAL unless
 * 1 <= Bmin <= Bmax and points >= 1 (points == 1 needs Bmin == Bmax). */
int thr_grid(double Bmin, double Bmax, size_t points, size_t *B, size_t *n, char *err);

/* ---- half-way crossing ---- */

/* B_c of a curve y(B) sampled at increasing B[0..n-1]: the first place,
 * scanning up from the smallest B, where y passes from the lo side of
 * (lo + hi)/2 to the hi side, interpolated linearly in log B between the two
 * grid points that bracket it (a point exactly at the level counts as
 * crossed).  lo and hi are the B -> 0 and B -> infinity levels; the curve may
 * rise (hi > lo) or fall.  SYM_ENUM with *Bc = NAN when it never crosses, or
 * when lo == hi or a value is not finite; SYM_EINVAL for n < 2. */
int thr_crossing(const double *B, const double *y, size_t n, double lo, double hi, double *Bc,
                 char *err);

/* How the levels of a bootstrap replicate are set. */
typedef struct {
    int lo_data, hi_data;  /* 1: the (resampled) mean at the smallest / largest B */
    double lo, hi;         /* the fixed levels where *_data == 0                  */
} thr_levels;

/* Levels of the seed means m[0..n-1] under the rule lv. */
void thr_levels_apply(const thr_levels *lv, const double *m, size_t n, double *lo, double *hi);

/* Bootstrap confidence interval of B_c.  y[j*ns + s] is seed s at B[j]
 * (ns seeds at every B).  Each of nres replicates draws, independently at
 * every B, ns seeds with replacement (from r), averages, sets the levels by
 * lv and takes the crossing; ci_lo and ci_hi are the THR_CI_LO and THR_CI_HI
 * quantiles of the replicates that cross.  *nvalid gets their number; with
 * fewer than half the replicates crossing the interval is NAN (an estimate
 * that usually does not exist has no meaningful interval). */
#define THR_CI_LO 0.025
#define THR_CI_HI 0.975
int thr_bootstrap(const double *B, const double *y, size_t n, size_t ns, const thr_levels *lv,
                  size_t nres, gsl_rng *r, double *ci_lo, double *ci_hi, size_t *nvalid, char *err);

#endif
