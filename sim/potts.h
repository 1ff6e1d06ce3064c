/* potts: the RBM trainer of `symrbm sim` for Potts visible units (SPEC.md
 * 1, 4, 5 and 9; issue 10 item 2).  The +-1 trainer (sim/train.h) stays as
 * it is; this module is its Potts counterpart, with the same model terms
 * (exact, pcd, cd, enum), optimisers (SGD with the clock t = lr x updates,
 * ADAM) and per-epoch minibatch reshuffle.
 *
 * Parameters live in one vector x of potts_nparam() doubles:
 *   w  x[mu*N*P + i*P + c]  = w_{i mu}(c), mu < M, i < N, c < P
 *      (each unit's profile N x P row-major, the layout of core/obs_potts.h)
 *   g  x[M*N*P + i*P + c]   = g_i(c), the visible fields
 *   b  x[M*N*P + N*P + mu]  = the hidden-field shift of unit mu: its input is
 *      I_mu(v) + b_mu with I_mu(v) = sum_i w_{i mu}(v_i), i.e. its threshold
 *      is theta_mu = theta - b_mu (theta the --theta of every unit), so
 *      Gamma_mu(I) = Gamma(I + b_mu) for every hidden kind (SPEC.md 1: each
 *      Gamma is a function of I - theta).
 * SPEC.md 9: adding a_{i mu} to every colour of w_{i mu} and
 * sum_i a_{i mu} to theta_mu (subtracting it from b_mu) leaves P(v)
 * unchanged, so the zero-sum gauge sum_c w_{i mu}(c) = 0 is a true gauge
 * when b is learned (learn_theta = 1, the default for Potts) and a
 * restriction of the model when it is not (the run header says so).  The
 * fields g_i(c) + b_i are a gauge alone.  w(0) and every gradient of w and
 * g are projected onto the zero-sum gauge (obs_potts_gauge).
 *
 * Exact model terms and log Z:
 *   - one gaussian unit (M = 1): the 1-D integral
 *       Z = int dh exp(-U(h) + b h) prod_i sum_c exp(g_i(c) + w_i(c) h)
 *     by the trapezoid rule.  The integrand is entire and bounded on the
 *     strip |Im h| <= a by exp(gamma a^2 / 2) times its value on the real
 *     axis, so the rule's relative error is below exp(-2 pi^2 /
 *     (gamma dh^2)) (1e-23 at the step dh = 0.6 / sqrt(gamma) used); the
 *     range is where -gamma h^2/2 + (b - theta + sum_i max_c w_i(c)) h
 *     (h > 0; min_c for h < 0) exceeds -POTTS_CUT, outside which the
 *     integrand is below exp(-POTTS_CUT) of its value at h = 0;
 *   - binary (spin) units, M <= POTTS_SPINX_MMAX: the sum over 2^M hidden
 *     configurations with a softmax per site;
 *   - enumeration of all P^N visible states, P^N <= POTTS_ENUM_MAX.
 * The log-likelihood is exact where one of these applies, else NAN.
 */
#ifndef SYM_POTTS_H
#define SYM_POTTS_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>

#include "core/unit.h"
#include "sim/train.h"   /* train_term, train_opt */

#define POTTS_SPINX_MMAX 16
#define POTTS_ENUM_MAX 1048576.0   /* P^N states (2^20: as TRAIN_ENUM_NMAX) */
#define POTTS_CUT 80.0

typedef struct {
    size_t N, M, P;
    unit_params unit;
    int learn_fields;     /* g learned                                      */
    int learn_theta;      /* b (the hidden fields) learned                  */
    double l2;            /* on w only                                      */
    train_term term;
    size_t chains, mc_steps;
    train_opt opt;
    double lr;
    size_t batch;         /* 0: full batch                                  */
} potts_config;

typedef struct potts_ws potts_ws;

size_t potts_nparam(const potts_config *c);

/* N >= 1, M >= 1, 2 <= P <= 127, unit parameters, lr > 0, l2 >= 0; exact
 * needs one gaussian unit or binary units with M <= POTTS_SPINX_MMAX; enum
 * needs P^N <= POTTS_ENUM_MAX; pcd chains >= 1; pcd/cd mc_steps >= 1. */
int potts_config_check(const potts_config *c, char *err);

/* What the exact model term of c is, for headers: "gaussian integral",
 * "2^M sum", "enumeration" or NULL (none). */
const char *potts_exact_name(const potts_config *c);

/* Workspace for training on v[b*N + i] in 0..P-1 (kept by pointer).  PCD
 * chains start uniform over the P states, from r. */
int potts_alloc(potts_ws **out, const potts_config *c, const int8_t *v, size_t B, gsl_rng *r,
                char *err);
void potts_free(potts_ws *ws);

/* Initial parameters: w_{i mu}(c) = s0 z / sqrt(N) (z standard normal from
 * rng_init_weights's stream of seed, in the order of x), projected on the
 * zero-sum gauge; g = 0, b = 0. */
int potts_init(const potts_config *c, uint64_t seed, double s0, double *x, char *err);

/* Data term over rows idx[0..nb-1] of base (idx NULL: rows 0..nb-1):
 * d[w] = <[v_i = c] Gamma'_mu>, d[g] = <[v_i = c]>, d[b] = <Gamma'_mu>.
 * SYM_ENOMEM when its scratch cannot be allocated. */
int potts_data_term(const potts_config *c, const double *x, const int8_t *base,
                     const size_t *idx, size_t nb, double *d);

/* Model term m (layout of x) by the configured method: <[v_i=c] h_mu>,
 * <[v_i=c]>, <h_mu>.  CD restarts its chains from the rows idx of base. */
int potts_model_term(potts_ws *ws, const double *x, const int8_t *base, const size_t *idx,
                     size_t nb, gsl_rng *r, double *m, char *err);

/* Exact log Z and model term (m may be NULL) of c at x: the gaussian
 * integral (M = 1, gaussian unit), the 2^M sum (binary units) or, with
 * enumerate set or neither applying, enumeration (P^N <= POTTS_ENUM_MAX).
 * SYM_EINVAL when none applies. */
int potts_exact(const potts_config *c, const double *x, int enumerate, double *logZ, double *m,
                char *err);

/* Mean log-likelihood per sample of v[0..B-1] where exact, else NAN. */
int potts_loglik(const potts_config *c, const double *x, const int8_t *v, size_t B, double *ll,
                 char *err);

/* The Gibbs half-steps of one chain (PCD, CD use them; public for the
 * tests): h | v drawn into h[0..M-1]; v | h drawn into row, returning the
 * N x P softmax probabilities p_i(c | h) used (valid until the next call).
 * potts_gibbs_seed re-seeds their uniforms from r. */
void potts_gibbs_seed(potts_ws *ws, gsl_rng *r);
void potts_gibbs_h(potts_ws *ws, const double *x, const int8_t *row, double *h, gsl_rng *r);
const double *potts_gibbs_v(potts_ws *ws, const double *x, const double *h, int8_t *row);

/* The gradient of x at a minibatch: data - model - l2 w, projected on the
 * gauge, zero for the parts not learned (into ws; returned pointer). */
int potts_gradient(potts_ws *ws, const double *x, const int8_t *base, const size_t *idx,
                   size_t nb, gsl_rng *r, const double **grad, char *err);

typedef int (*potts_snap_fn)(void *ctx, size_t k, const double *x, char *err);

/* K updates from x, snapshots at the ascending update counts snap[0..nsnap-1]
 * (0 allowed).  SYM_ENUM on NaN or divergence (norm2 > TRAIN_NORM2_MAX). */
int potts_run(potts_ws *ws, size_t K, const size_t *snap, size_t nsnap, double *x, gsl_rng *r,
              potts_snap_fn fn, void *ctx, char *err);

#endif
