/* train: stochastic training of a real RBM on B samples (SPEC.md 1, 4, 5).
 *
 * Visible spins v in {-1,+1} (samples stored as int8), M hidden units of one
 * kind (core/unit.h), fields g fixed or learned, L2 penalty on w.  The
 * gradient dL/dw_{i mu} = <v_i Gamma'(I_mu)>_data - <v_i h_mu>_model with the
 * model term exact (M = 1, through core/marg; binary units with
 * 2 <= M <= SPINX_MMAX, by the sum over 2^M hidden configurations of
 * sim/spin_exact.h), by PCD or CD Gibbs chains, or by enumerating all 2^N
 * visible states (N <= TRAIN_ENUM_NMAX).  SGD uses the
 * clock t = lr x updates shared with theory; ADAM is Kingma & Ba (2015).
 */
#ifndef SYM_TRAIN_H
#define SYM_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>

#include "core/unit.h"

/* Largest N for the enumeration model term and log-likelihood (2^20 states
 * x N x M work per evaluation: seconds at most). */
#define TRAIN_ENUM_NMAX 20

/* ADAM constants (Kingma & Ba 2015, their defaults). */
#define TRAIN_ADAM_BETA1 0.9
#define TRAIN_ADAM_BETA2 0.999
#define TRAIN_ADAM_EPS 1e-8

/* Bounds that refuse absurd runs up front (issue 7) rather than hang:
 * - TRAIN_WORK_MAX: updates x operations per update (train_plan_check).
 *   10^15 is days at the ~10^10 operations per second of the vector
 *   kernels; the paper's longest setting (B = 10^6, PCD-20, 100 chains,
 *   batch 100, 100 epochs, M = 3) is ~10^12.
 * - TRAIN_MC_STEPS_MAX: Gibbs steps per update, for every model term (a
 *   value beyond it is a typo, not a setting; the paper uses PCD-20).
 * - TRAIN_MARG_NODES: quadrature nodes assumed per exact model term in the
 *   work estimate (core/marg uses 24 to a few hundred). */
#define TRAIN_WORK_MAX 1e15
#define TRAIN_MC_STEPS_MAX 1000000
#define TRAIN_MARG_NODES 100.0

/* Divergence: train_run stops with SYM_ENUM once norm2 of the weights (or
 * of the fields) exceeds TRAIN_NORM2_MAX, checked after every update in the
 * pass that already looked for NaN.  A learned profile has norm2 of order
 * one per localised field (the paper's peak: ~5) and at most of order N for
 * a uniform one; 10^12 is far beyond that for any N <= 10^6, and below where
 * a blow-up first breaks the exact model term (core/marg's tail search
 * fails near norm2 ~ 10^16 at N = 100), so the message says what happened. */
#define TRAIN_NORM2_MAX 1e12

typedef enum { TRAIN_EXACT = 0, TRAIN_PCD = 1, TRAIN_CD = 2, TRAIN_ENUM = 3 } train_term;
typedef enum { TRAIN_SGD = 0, TRAIN_ADAM = 1 } train_opt;

/* Minibatch noise sources (SPEC.md 8), each drawn from its own stream so
 * that one source never changes another's numbers:
 * - TRAIN_EPOCH: per-epoch reshuffle of the B training rows (the paper's
 *   scheme; the order from the training stream r, as always);
 * - TRAIN_REPLACE: every minibatch b iid uniform rows of the training set,
 *   with replacement, from rng_alloc(sampling_seed, RNG_STREAM_REPLACE);
 * - TRAIN_ONLINE: every minibatch b fresh samples of the data model
 *   (ring_sample of model, from rng_alloc(sampling_seed,
 *   RNG_STREAM_ONLINE)): infinite data with SGD noise.  The training set
 *   then serves only the log-likelihood and, through B, the epoch length
 *   (ceil(B / b) updates) and the full-batch size (batch 0: B fresh rows).
 * Full batches (batch 0 or >= B): epoch uses all B rows in order, replace
 * draws B rows with replacement, online B fresh rows, at every update. */
typedef enum { TRAIN_EPOCH = 0, TRAIN_REPLACE = 1, TRAIN_ONLINE = 2 } train_sampling;

/* Gibbs kernels of the PCD model term (issue 9, trainer speed):
 * - TRAIN_GIBBS_FLOAT: the vectorised float half-steps (every kind; the
 *   numbers of every run before issue 9);
 * - TRAIN_GIBBS_BITS: binary hidden units, M <= TRAIN_BITS_MMAX, pcd only:
 *   chains bit-packed, the 2^M visible conditionals per site precomputed
 *   once per update as 32-bit thresholds and drawn 64 sites at a time by
 *   bit-sliced comparison with lazily drawn uniforms (sim/kern_sim.h), the
 *   inputs w.v by byte tables.  The same chain distribution up to the
 *   2^-32 rounding of each P(v_i = +1 | h) (the float kernel's uniforms
 *   have the same resolution; its float field ~1e-7 is coarser), another
 *   random stream, so other numbers: selected explicitly.
 * - TRAIN_GIBBS_LANES: bits (M <= 4) with one random stream per chain, so
 *   that the bit-sliced draws of KERN_SIM_LANES chains are one vector
 *   operation (one shared stream makes them serial), and the hidden draw
 *   U (1 + E) < 1 with E = exp(-2 (I - theta)) from product tables instead
 *   of exp (relative error ~1e-14 in E).  The same chain distribution as
 *   bits, other random numbers: selected explicitly (issue 9, Fig. 5 speed). */
typedef enum { TRAIN_GIBBS_FLOAT = 0, TRAIN_GIBBS_BITS = 1, TRAIN_GIBBS_LANES = 2 } train_gibbs;

/* The Monte-Carlo estimate of the model term <v_i h_mu> from the chains'
 * last half-steps (PCD, CD):
 *   v-mean  E[v_i | h] h_mu at the chain's final h (Rao-Blackwellised over
 *           v; symrbm's default).  For one binary unit with zero visible
 *           fields it is tanh(w_i) whatever h is: the chains add no noise.
 *   h-mean  v_i E[h_mu | v] at the chain's final v (PGM's estimate,
 *           Rao-Blackwellised over h): the chains' noise stays, so the
 *           paper's PCD runs had it (SPEC.md 8, D_PCD). */
typedef enum { TRAIN_EST_VMEAN = 0, TRAIN_EST_HMEAN = 1 } train_estimate;

/* Largest M of TRAIN_GIBBS_BITS: 2^M threshold sets of N x 32 bits each. */
#define TRAIN_BITS_MMAX 8

typedef struct ring_model ring_model;   /* core/ring.h */

/* Checkpointing (sim/ckpt.h) */
typedef struct ckpt_out ckpt_out;
typedef struct ckpt_in ckpt_in;

typedef struct {
    size_t N, M;
    unit_params unit;
    int learn_fields;     /* 0: g fixed, 1: g learned                        */
    double l2;            /* dw/dt = dL/dw - l2 w (fields not penalised)     */
    train_term term;
    size_t chains;        /* PCD persistent chains                           */
    size_t mc_steps;      /* Gibbs steps v -> h -> v per update (PCD, CD)    */
    train_opt opt;
    double lr;
    size_t batch;         /* 0: full batch                                   */
    /* Optional: the exact empirical correlation C^ of the training data
     * (N x N, sim/lin.h lin_corr), copied instead of formed again when the
     * trainer needs it (a linear hidden unit with a full batch).  It must be
     * the C^ of the data given to train_alloc: both are exact integer counts
     * over B, so the copy is bit-identical to what train_alloc would form. */
    const double *chat;
    train_sampling sampling;   /* minibatch source (0: epoch, as before)      */
    const ring_model *model;   /* online: the data model (N = this N)          */
    uint64_t sampling_seed;    /* replace, online: seed of the source stream  */
    train_gibbs gibbs;         /* PCD Gibbs kernel (0: float, as before)      */
    train_estimate estimate;   /* PCD/CD model-term estimate (0: v-mean)      */
    /* Threads of one run (0 or 1: this one only).  With T >= 2 a team
     * (core/team.h) splits each update's rows (samples, chains) and sites
     * between T threads such that every number is the one of one thread:
     * the data term always, the model term for PCD with gibbs float, binary
     * hidden units and estimate v-mean (elsewhere it stays on one thread). */
    size_t threads;
} train_config;

typedef struct train_ws train_ws;

/* Names <-> enums ("exact|pcd|cd|enum", "sgd|adam"). */
int train_term_parse(const char *s, train_term *t, char *err);
int train_opt_parse(const char *s, train_opt *o, char *err);
const char *train_term_name(train_term t);
/* "epoch|replace|online" */
int train_sampling_parse(const char *s, train_sampling *m, char *err);
const char *train_sampling_name(train_sampling m);
/* "float|bits|lanes" */
int train_gibbs_parse(const char *s, train_gibbs *g, char *err);
const char *train_gibbs_name(train_gibbs g);
/* "v-mean|h-mean" */
int train_estimate_parse(const char *s, train_estimate *e, char *err);
const char *train_estimate_name(train_estimate e);

/* Check c (N >= 1, M >= 1, unit, lr > 0, l2 >= 0, exact needs M = 1 and a
 * kind with a 1-D integral or binary units with M <= SPINX_MMAX, enum needs N <= TRAIN_ENUM_NMAX, pcd needs
 * chains >= 1, pcd/cd mc_steps >= 1, mc_steps <= TRAIN_MC_STEPS_MAX), and
 * that the arrays that do not depend on the data fit: every product of sizes
 * is overflow-checked and the total compared with the machine's memory
 * (SYM_ENOMEM "M*N weights = M x N: need X GB ..., this machine has Y GB"). */
int train_config_check(const train_config *c, char *err);

/* *K = epochs x train_updates_per_epoch(c, B), SYM_EINVAL if B or epochs
 * is 0 or the product overflows (instead of wrapping to a small count). */
int train_updates(const train_config *c, size_t B, size_t epochs, size_t *K, char *err);

/* Before generating data or allocating: train_config_check, then the arrays
 * of a run on B samples (the samples included) against the machine's memory,
 * and the work of K updates (K x the operations of one update, e.g.
 * 2 x mc_steps x chains x N x M for pcd) against TRAIN_WORK_MAX.  The
 * message says which product is too large and by how much. */
int train_plan_check(const train_config *c, size_t B, size_t K, char *err);

/* Workspace for training on data v[b*N + i], b < B (kept by pointer, not
 * copied; must outlive ws).  PCD chains start uniform at random from r.
 * Online sampling needs c->model (SYM_EINVAL without one or with another N);
 * replace needs B <= 2^32 (the range of one draw of the source stream).
 * For gaussian hidden units with a full batch the empirical correlation
 * matrix is formed once here (N^2 doubles). */
int train_alloc(train_ws **out, const train_config *c, const int8_t *v, size_t B,
                gsl_rng *r, char *err);
void train_free(train_ws *ws);

/* Data term over the rows idx[0..nb-1] (idx NULL: all B rows):
 * dw[mu*N+i] = <v_i Gamma'_mu(I_mu)>, dg[i] = <v_i> (dg may be NULL). */
void train_data_term(train_ws *ws, const double *w, const double *g, const size_t *idx, size_t nb,
                     double *dw, double *dg);

/* Model term mw[mu*N+i] = <v_i h_mu>, mg[i] = <v_i> (mg may be NULL) by the
 * configured method; CD restarts its chains from the rows idx (NULL: all).
 * PCD/CD estimate <v_i h_mu> by E[v_i | h] h_mu after the last half-step
 * (Rao-Blackwellised over v).  g may be NULL (= 0). */
int train_model_term(train_ws *ws, const double *w, const double *g, const size_t *idx, size_t nb,
                     gsl_rng *r, double *mw, double *mg, char *err);

/* Exact model averages and log Z = log sum_v exp(g.v + sum_mu Gamma(I_mu))
 * by enumerating all 2^N states (N <= TRAIN_ENUM_NMAX). mw, mg may be NULL. */
int train_enum(size_t N, size_t M, const unit_params *u, const double *w, const double *g,
               double *logZ, double *mw, double *mg, char *err);

/* Exact mean log-likelihood per sample of v[0..B-1] where computable
 * (M = 1 through marg; binary units with 2 <= M <= SPINX_MMAX at any N by
 * the 2^M sum, when the model term is exact or N > TRAIN_ENUM_NMAX; else
 * N <= TRAIN_ENUM_NMAX by enumeration of v); else NAN. */
int train_loglik(train_ws *ws, const double *w, const double *g, const int8_t *v, size_t B,
                 double *ll, char *err);

/* One ADAM ascent step on x[0..n-1] with gradient grad, moments m, s, step
 * count t >= 1 (after this update). */
void train_adam_step(double *x, const double *grad, double *m, double *s, size_t n, size_t t,
                     double lr);

/* Snapshot update counts: 0, then the times of core/snap.h (log- or
 * linearly spaced up to lr K, the theory's grid) rounded to whole updates,
 * duplicates removed, the last = K.  tbuf and out need nsnap + 1 entries;
 * returns the count. */
size_t train_snapshots(size_t K, double lr, size_t nsnap, int linear, double *tbuf, size_t *out);

/* Updates per epoch: 1 for a full batch, else ceil(B / batch). */
size_t train_updates_per_epoch(const train_config *c, size_t B);

/* The next minibatch of the configured source (train_sampling), advancing
 * it: rows base[idx[b] * N ..], b < nb.  Epoch with a full batch gives
 * idx NULL (all B rows in order); epoch otherwise the next slice of the
 * order reshuffled from r at the start of each epoch; replace nb iid
 * uniform indices; online nb fresh samples in a buffer of ws (valid until
 * the next call), idx the identity.  train_run draws every minibatch here. */
int train_next_batch(train_ws *ws, gsl_rng *r, const int8_t **base, const size_t **idx,
                     size_t *nb, char *err);

/* Called at each snapshot with the update count k. */
typedef int (*train_snap_fn)(void *ctx, size_t k, const double *w, const double *g, char *err);

/* K updates from w (M*N) and g (N), snapshots at snap[0..nsnap-1] (ascending
 * update counts, 0 allowed).  Minibatches come from train_next_batch.
 * train_run always starts at update 1 (a new epoch, ADAM's step count 1);
 * train_continue starts after the updates ws has done (train_done: those of
 * its last train_run/train_continue, or of the checkpoint train_load read),
 * skipping the snapshots at or before them, so that a run split into pieces
 * (train_run to K1, train_continue to K) gives the weights of one run to K
 * bit for bit.
 * A non-finite weight is SYM_ENUM "NaN in weights at update k"; weights
 * that stay finite but blow up (norm2 > TRAIN_NORM2_MAX) are SYM_ENUM
 * "weights diverged at update k (norm2 = ...): lower lr", and initial
 * weights already beyond the bound are SYM_EINVAL. */
int train_run(train_ws *ws, size_t K, const size_t *snap, size_t nsnap, double *w, double *g,
              gsl_rng *r, train_snap_fn fn, void *ctx, char *err);
int train_continue(train_ws *ws, size_t K, const size_t *snap, size_t nsnap, double *w,
                   double *g, gsl_rng *r, train_snap_fn fn, void *ctx, char *err);

/* Updates done so far (0 for a new workspace). */
size_t train_done(const train_ws *ws);

/* Called after update k (after its snapshots) at every k that is a multiple
 * of every, k < K, when set by train_set_checkpoint (every 0: never).  A
 * non-zero return stops the run with that status. */
typedef int (*train_ckpt_fn)(void *ctx, size_t k, const double *w, const double *g, char *err);
void train_set_checkpoint(train_ws *ws, size_t every, train_ckpt_fn fn, void *ctx);

/* The state of ws that train_continue needs besides w, g and the caller's
 * stream r (sim/ckpt.h records): updates done, position in the epoch and
 * the minibatch order, ADAM moments, PCD chains, the source stream and the
 * exact model term's warm start.  train_load checks every record's size
 * against this workspace (SYM_EINVAL naming the record). */
int train_save(const train_ws *ws, ckpt_out *o, char *err);
int train_load(train_ws *ws, ckpt_in *in, char *err);

#endif
