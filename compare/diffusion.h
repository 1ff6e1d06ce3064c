/* diffusion: symmetry restoration as a library call - the random walk of
 * the receptive fields' centres (SPEC.md 4 `X`, 5 diffusion files, 8, 10).
 *
 * One task per seed (core/task.h: resumable, --jobs workers, locked): draw
 * the data, train in-process (sim/run.h sim_run) into the task's own
 * directory with linearly spaced snapshots, read trajectory.tsv back and
 * store the per-seed fit.  Then every seed's centres are unwrapped into X,
 * and DIR/centres.tsv (t seed mu X R), DIR/msd.tsv (tau msd msd_lo msd_hi
 * n: the time- and seed-averaged MSD after formation, bootstrap band over
 * seeds) and DIR/summary.tsv (D, D_lo, D_hi from MSD = a + 2 D tau, per
 * unit t and per epoch, D_pred, the restoration statistics, and for M >= 2
 * the step covariance and the spacing of the centres) are written as one
 * set.
 *
 * Definitions (written to summary.tsv too):
 * - formation: per unit, S reaches form_frac (default 0.9) of its plateau,
 *   the mean S over the last quarter of the snapshots; per seed the latest
 *   unit; the pooled analysis starts at the latest seed's t_form.
 * - fit lags: tau = dt .. tau_max = fit_frac x (T - t_form), fit_frac 1/4
 *   by default (the MSD of a window is averaged over all start times, so
 *   lags beyond a quarter of it rest on few independent segments; a smaller
 *   fraction, still much longer than the shape's relaxation, rests on more
 *   of them - measured: the interval narrowed only a little at 1/16, the
 *   spread between seeds dominates; the per-seed D_seed of the task
 *   results always uses 1/4); linearity = D_app(tau_max/2) /
 *   D_app(tau_max/4), D_app(tau) = MSD(tau) / (2 tau) (1 for a straight
 *   line through 0).
 */
#ifndef SYM_DIFFUSION_H
#define SYM_DIFFUSION_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>

#include "core/ring.h"
#include "core/task.h"
#include "core/traj.h"
#include "sim/run.h"
#include "theory/restore.h"

#define DIFFUSION_MAXSEEDS 100000
#define DIFFUSION_MAXM 16        /* C_mu_nu and gap keys in summary.tsv     */
/* default snapshot count: at least this many (MSD resolution) ... */
#define DIFFUSION_SNAP_MIN 400
/* ... and dense enough that the rms centre step between snapshots is at
 * most N / DIFFUSION_STEP_FRAC under a generous bound on D (diffusion.c
 * diffusion_snapshots): a true step must stay < N/2 for the unwrapping. */
#define DIFFUSION_STEP_FRAC 8.0
/* a measured |step| above N / DIFFUSION_SPARSE_FRAC flags the run as too
 * sparse (summary key sparse = 1; the CLI warns) */
#define DIFFUSION_SPARSE_FRAC 4.0

typedef struct {
    ring_params data;
    sim_config sim;        /* trainer, T or epochs, init_scale; the seed,
                            * snapshots and spacing are set per task        */
    /* The minibatch noise source is sim's own, sim.train.sampling
     * (sim/train.h: epoch, replace, online; SPEC.md 8); task_exec sets
     * sim.train.model and sim.loglik_final. */
    size_t B;              /* training samples (epoch, replace); online: the
                            * epoch length B / batch of the per-epoch values
                            * and the samples of the final log-likelihood   */
    task_select sel;       /* --list-tasks, --task, --mpi (core/task.h)     */
    size_t seeds, boot, jobs;
    size_t snapshots;      /* 0: diffusion_snapshots chooses               */
    double form_frac;      /* formation: S >= form_frac x plateau          */
    double fit_frac;       /* pooled fit over lags <= fit_frac x window    */
    uint64_t seed;
    int progress;
    /* pinning (compare/pinning.h, SPEC.md 8): every seed trains on the one
     * training set sim_draw(seed, B) (not its own), and pinning.tsv,
     * wells.tsv and the pin_ summary keys set the pooled centres after
     * formation against P(X) of that set.  M = 1, exact model term,
     * sampling replace (the white-noise case of the prediction). */
    int pin_data;
    size_t pin_points;     /* landscape grid over the ring (0: 8 N)        */
    size_t pin_bins;       /* histogram bins (0: N, one per site)          */
} diffusion_config;

/* Defaults: ising N = 100 beta = 1, binary hidden M = 1, exact model term,
 * online, lr 0.05, batch 10, T 4000, B 10^6, 8 seeds, 1000 resamples,
 * form_frac 0.9, fit_frac 0.25, jobs = cores online. */
void diffusion_config_default(diffusion_config *c);
int diffusion_config_check(const diffusion_config *c, char *err);

/* The snapshot count a run uses: c->snapshots, or when 0 the larger of
 * DIFFUSION_SNAP_MIN and T / dt_max, dt_max = (N / DIFFUSION_STEP_FRAC)^2 /
 * (2 D_up) with D_up = 100 nu / b sites^2 per unit t (the paper's Fig. 5b
 * slope is ~53 nu / b; b = B for a full batch), at most one per update. */
int diffusion_snapshots(const diffusion_config *c, size_t *ns, char *err);

/* Run the seeds into out as c->sel asks (core/task.h task_sweep: every
 * seed in c->jobs local workers, or --list-tasks, --task NAME, --mpi); the
 * pooled files (and D_pred, computed once here) are written where the
 * whole sweep is collected.  h is the caller's header (run_header +
 * options). */
int diffusion_run(const diffusion_config *c, traj_header *h, const char *out, char *err);

/* ---- the analysis, exposed for tests ---- */

/* Formation time of one unit: the first t[k] with S[k] >= frac x plateau,
 * plateau = mean of S over the last ceil(n/4) snapshots; NAN when the
 * plateau is symmetric (<= OBS_BROKEN_S) or n == 0. */
double diffusion_t_form(const double *t, const double *S, size_t n, double frac);

/* Time-averaged MSD of one walk X[0..n-1]: msd[j-1] = mean over k of
 * (X[k+j] - X[k])^2, lags j = 1..nlag (nlag < n). */
void diffusion_walk_msd(const double *X, size_t n, size_t nlag, double *msd);

/* Least squares msd = a + 2 D tau over tau[0..n-1] (n >= 2). */
int diffusion_fit(const double *tau, const double *msd, size_t n, double *D, double *a,
                  char *err);

/* Bootstrap over walks: msd is nw x nlag (row w = walk w's curve), the
 * resampled mean curves give the 95% band per lag (lo, hi: nlag each) and
 * the fit over the first nfit lags the interval [D_lo, D_hi].  nw >= 2. */
int diffusion_boot(const double *msd, size_t nw, size_t nlag, const double *tau, size_t nfit,
                   size_t boot, gsl_rng *r, double *lo, double *hi, double *D_lo,
                   double *D_hi, char *err);

/* Circular variance 1 - |mean exp(2 pi i x / N)| of x[0..n-1]: 0 for a
 * point mass, 1 for n >= 2 evenly spaced points on the ring; NAN if n = 0. */
double diffusion_circvar(const double *x, size_t n, double N);

/* Kolmogorov-Smirnov distance of the values x mod N (x is reduced and
 * sorted in place) to the uniform distribution on [0, N). */
double diffusion_ks_uniform(double *x, size_t n, double N);

/* The prediction of SPEC.md 8 (theory/restore.h restore_predict, w* from
 * the theory flow of c->seed): *have = 1 and r filled for M = 1, a hidden
 * kind restore supports, SGD without l2 and with fixed fields, exact or
 * pcd model term; otherwise *have = 0 and note says why (the prediction
 * does not exist there: not an error).  Errors only for memory. */
int diffusion_predict(const diffusion_config *c, restore_result *r, int *have, char *note,
                      size_t cap, char *err);

#endif
