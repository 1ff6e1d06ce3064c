/* threshold: the critical-sample-size sweep as a library call (SPEC.md 7, 10).
 *
 * One task per (B, seed) on a log grid of B (core/task.h runs them, in
 * worker processes, resumably): draw the B samples and B_test held-out
 * samples exactly, measure the linear-regime overlap of their C^
 * (sim/lin.h), train one hidden unit in-process (sim/run.h: gaussian or
 * binary, exact model term, full-batch SGD) against the infinite-data
 * profile of theory/run.h at t = T (the same kind's flow family: SPEC.md 3a
 * or 3b), and store Q, S, W = |sum_i w_i|, the exact log-likelihood on the
 * training and the held-out samples, and the rest.  Then the seed means,
 * the measured B_c with bootstrap intervals (compare/thr.h), the
 * random-matrix predictions (theory/rmt.h) and the paper's eq. 27 go to
 * DIR/threshold.tsv and DIR/summary.tsv, written as one set.
 *
 * The beta scan (the paper's Fig. 7a) is the same task at a fixed B over a
 * linear grid of the data model's coupling beta: tasks (beta, seed), one
 * infinite-data profile per beta, the seed means per beta in
 * DIR/beta_scan.tsv.  A directory holds one kind of scan.
 */
#ifndef SYM_THRESHOLD_H
#define SYM_THRESHOLD_H

#include <stdint.h>
#include "core/ring.h"
#include "core/task.h"
#include "core/traj.h"
#include "core/unit.h"

/* grid points at most: the seed means live in fixed arrays */
#define THRESHOLD_MAXPOINTS 1000
#define THRESHOLD_MAXSEEDS 100000

/* what the grid runs over: B at fixed model (SPEC.md 7's B_c), or beta at
 * fixed B (the paper's Fig. 7a) */
typedef enum { THRESHOLD_SCAN_B = 0, THRESHOLD_SCAN_BETA = 1 } threshold_scan;

typedef struct {
    ring_params data;
    const unit_type *hidden;   /* unit_gaussian or unit_spin: the kinds with
                                * an infinite-data theory (theory_family_find) */
    threshold_scan scan;
    double Bmin, Bmax;         /* SCAN_B: the log grid of B                  */
    double beta_min, beta_max; /* SCAN_BETA: the linear grid of beta ...     */
    size_t B;                  /* ... at this B                              */
    size_t B_test;             /* held-out samples per task (>= 1)           */
    size_t points, seeds;
    double T, lr, init_scale;
    size_t snapshots, boot, jobs;
    uint64_t seed;
    int keep_sim, progress;
    task_select sel;           /* how the tasks run (core/task.h task_sweep) */
    /* 1: no hidden unit is trained (`--hidden none`), the data-only sweep of
     * Potts data (xy, SPEC.md 7 and 9): per task the top eigenpair of the
     * centred one-hot C^ (sim/lin.h lin_potts_top), its projections ov_ang
     * and ov_spat; the measured angular and spatial B_c beside the
     * predictions of theory/rmt.h rmt_xy.  B scan only; hidden, T, lr and
     * B_test are not used. */
    int data_only;
    /* The trained Potts sweep only (the paper's Fig. 11 scheme: minibatch
     * 100, 20 epochs, so the learning time grows with B): batch > 0 trains
     * on per-epoch reshuffled minibatches of that size (0: full batch);
     * epochs > 0 sets the length in epochs instead of T / lr updates.  Both
     * go to the task's sim_config as `symrbm sim --batch --epochs` and into
     * the task keys only when nonzero, so 0, 0 (the default) is the sweep
     * as before. */
    size_t batch, epochs;
} threshold_config;

/* "B|beta", for option choices; the scan called name (SYM_EINVAL naming
 * it otherwise). */
const char *threshold_scan_names(void);
int threshold_scan_parse(const char *name, threshold_scan *s, char *err);

/* The defaults of `symrbm threshold` (bump, N = 100, gaussian hidden unit,
 * B from 10 to 1e4 at 10 points, 8 seeds, B_test = 1000, T = 40, lr = 0.01,
 * jobs = cores online; beta scan: beta from 0.1 to 2 at B = 1000). */
void threshold_config_default(threshold_config *c);
int threshold_config_check(const threshold_config *c, char *err);

/* The data-only sweep writes DIR/threshold.tsv (per B: seed means and sd
 * of top_eval, top_norm, ov_ang, ov_spat, ov_grow, and the rmt_xy
 * predictions x_top_rmt, x_top_norm_rmt, edge_norm, x_edge_norm_rmt,
 * ov_ang_rmt, ov_spat_rmt, ov_grow_rmt) and DIR/summary.tsv (Bc_ang,
 * Bc_spat and Bc_spat_fall with bootstrap intervals, the predictions
 * Bc_ang_rmt, Bc_spat_rmt, Bc_spat_fall_rmt, Bc_bbp, Bc_paper, each also as
 * r = N / B).  Levels: ov_ang from rmt_xy's B -> 0 level to 1; ov_spat from
 * its B -> 0 level to the largest seed mean of the grid (rising), and from
 * that peak to 0 (falling, on the grid past the peak). */

/* The trained sweep of Potts data (data xy with --hidden gaussian|spin;
 * issue 10 item 5, the paper's Fig. 11): per task one hidden unit (M = 1,
 * exact model term, full-batch SGD at the fixed learning time T, hidden
 * field learned) trained by sim/potts_run.h sim_potts_run on the task's B
 * samples; stored: ang_frac (sim_potts_ang_frac: the p = +-1 share of
 * norm2 at any k), S_ang (k = 0 only), R, norm2, pr, ll_train, ll_test.
 * DIR/threshold.tsv has their seed means and sd per B beside rmt_xy's
 * ov_ang and ov_spat; DIR/summary.tsv the measured thresholds of
 * threshold_xy_locate (Bc_ang, Bc_S_ang, Bc_spat with _lo, _hi and r_*)
 * and the predictions of rmt_xy (Bc_ang_rmt, Bc_spat_rmt,
 * Bc_spat_fall_rmt, Bc_bbp, Bc_paper = the paper's eq. 30-31 with the
 * product edge).  B scan only. */

/* the thresholds of the trained Potts sweep */
enum { THRESHOLD_XY_ANG = 0, THRESHOLD_XY_SANG = 1, THRESHOLD_XY_SPAT = 2, THRESHOLD_XY_N = 3 };

typedef struct {
    double Bc[THRESHOLD_XY_N];          /* crossing of the seed means, NAN if none */
    double ci_lo[THRESHOLD_XY_N], ci_hi[THRESHOLD_XY_N];  /* bootstrap (thr_bootstrap) */
    double level_lo[THRESHOLD_XY_N], level_hi[THRESHOLD_XY_N];
    size_t valid[THRESHOLD_XY_N];       /* bootstrap replicates that cross */
} threshold_xy_bc;

/* The three thresholds from the seed values at increasing B[0..nB-1]
 * (x[j*ns + s]: seed s at B[j]) of ang_frac, S_ang and R, with boot
 * bootstrap replicates drawn from RNG_STREAM_AUX of seed.  Half-way
 * crossings (compare/thr.h) between the levels:
 *  - ANG (ang_frac): from 2 / (P - 1) (the p = +-1 share of a random
 *    zero-sum field, the B -> 0 level of a field fitted to noise; 1 for
 *    P = 2), fixed, to the seed mean at the largest B (resampled);
 *  - SANG (S_ang, k = 0 only): from the mean at the smallest B to the
 *    largest seed mean of the grid, rising; fixed (it falls again once the
 *    field localises: a localised cosine is not uniform in space);
 *  - SPAT (R): from the mean at the smallest B to that at the largest,
 *    both resampled (the grid must reach both plateaus). */
int threshold_xy_locate(const double *B, const double *ang, const double *sang, const double *R,
                        size_t nB, size_t ns, size_t P, size_t boot, uint64_t seed,
                        threshold_xy_bc *out, char *err);

/* Run the sweep into out (locked while it runs); h is the caller's header
 * (run_header + options), completed with the model's keys. */
int threshold_run(const threshold_config *c, traj_header *h, const char *out, char *err);

#endif
