/* restore: predictions for symmetry restoration, the random walk of a formed
 * receptive field along its translation mode (SPEC.md section 8), for one
 * hidden unit (M = 1), gaussian (3a) or binary +-1 (3b), exact model term.
 *
 * From the theory flow's fixed point w* (theory/flow.h, integrated to
 * T_fix from the shared w(0)):
 * - the translation mode dw* / dX, the band-limited (Fourier) derivative of
 *   w* (core/obs.h obs_shift_frac is the translation it differentiates),
 *   and its unit vector e;
 * - e^T Sigma e, Sigma the covariance over the data model of the one-sample
 *   gradient v Gamma'(I), I = w*.v.  Binary units, exact by the transfer
 *   matrix: with tanh^2 = 1 - sech^2,
 *       e^T Sigma e = e^T C e - sum_i e_i E[v_i (e.v) sech^2(I - theta)]
 *                     - (e.D)^2,   D_i = E[v_i tanh(I - theta)],
 *   the three terms from the circulant C(r) and theory/flow_spin.h
 *   flow_spin_data (its sech^2 Jacobian kernel with u = e): one O(N) pass
 *   per quadrature node, no new transfer-matrix code.  Gaussian units need
 *   four-point functions E[(e.v)^2 (I - theta)^2]: a large exact sample
 *   (ring_sample) with the exact mean e.D = e.(C w* - theta <v>) / gamma,
 *   whose standard error goes into D_err;
 * - the diffusion constant of the centre for iid (or online) minibatches
 *   of size b at SGD step nu (SPEC.md 8, leading order in nu / b):
 *       D = nu e^T Sigma e / (2 b |dw* / dX|^2)     sites^2 per unit t,
 *   D_epoch = D nu B / b (t advances nu per update, B / b updates per
 *   epoch).  Scaling: D ∝ nu / b per unit t, so per update ∝ nu^2 / b and
 *   per epoch ∝ nu^2 B / b^2; through w* it depends on beta (the width of
 *   w* grows with the correlation length xi, |dw* / dX|^2 falls as the field
 *   widens, e^T Sigma e grows with the field's size) and, once the field
 *   is localised (N >> width), not on N.  Measured (binary, ising, nu / b
 *   = 5e-3, theory --restore): D = 0.0284, 0.0554, 0.1772, 0.693 at beta
 *   = 0.5, 0.7, 1, 1.3 (N = 100; FWHM 6.1, 8.3, 14.3, 27.0 sites), and
 *   0.17720, 0.17707, 0.17706 at N = 100, 200, 400 (beta = 1);
 * - with PCD chains, D_pcd = nu tau_int e^T Sigma_m e / (2 n_chains
 *   |dw* / dX|^2): Sigma_m the one-chain variance of e . (the Rao-Blackwell
 *   estimate h E[v | h] = h tanh(g + w h) the trainer uses, sim/train.h),
 *   tau_int its integrated autocorrelation in updates, both measured on
 *   persistent Gibbs chains at fixed w*.  For binary units with g = 0,
 *   h tanh(w_i h) = tanh(w_i) whatever h: the estimate has no noise and
 *   D_pcd = 0 exactly (tau_int is then that of h, for information); for
 *   gaussian units e . h tanh(w h) = h sum_i e_i tanh(w_i h) vanishes for
 *   a mirror-symmetric w* (e is odd about the centre, the sum is even),
 *   so D_pcd = 0 there too up to the asymmetry of w*.  The estimate
 *   v E[h | v] = v Gamma'(w.v) (PGM's, RESTORE_EST_HMEAN) does carry
 *   chain noise along e;
 * - the attractor: the Peierls-Nabarro spread of the exact log-likelihood
 *   per site over fractional translates w*(X) (a band-limited translate
 *   of the fixed point, not re-relaxed: an upper bound on the barrier of
 *   the relaxed path), and lambda_trans = e^T J e, J the Jacobian of the
 *   flow (the Hessian of L: M = 1 is a gradient flow), by the central
 *   difference of the exact gradient along e;
 * - pinning by a finite training set: restore_landscape.
 * Nothing here prints; errors are SYM_* with a message in err.  The
 * functions make FFTW plans (restore_mode, and core/obs workspaces), which
 * is not thread-safe in FFTW: serialise calls from several threads.
 */
#ifndef SYM_RESTORE_H
#define SYM_RESTORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/ring.h"
#include "core/unit.h"
#include "sim/train.h"

/* The PCD model-term estimate per chain: h E[v | h] = h tanh(g + w h)
 * after the last half-step (sim/train's, Rao-Blackwellised over v), or
 * v E[h | v] = v Gamma'(w.v) on the chain's last v (Rao-Blackwellised over
 * h, the estimate of PGM, the paper's code). */
typedef enum { RESTORE_EST_VMEAN = 0, RESTORE_EST_HMEAN = 1 } restore_estimate;

typedef struct {
    ring_params data;
    unit_params unit;      /* gaussian (gamma = 1, theta = 0: the theory's)
                            * or spin (any theta)                          */
    double lr;             /* SGD step nu > 0                              */
    size_t batch;          /* minibatch b >= 1                             */
    size_t B;              /* training set size (per-epoch values), >= 1   */
    train_term term;       /* TRAIN_EXACT or TRAIN_PCD                     */
    size_t chains;         /* PCD: persistent chains                       */
    size_t mc_steps;       /* PCD: Gibbs steps per update                  */
    double T_fix;          /* flow horizon for w*                          */
    uint64_t seed;         /* w(0) (shared with theory and sim), samples   */
    size_t nsample;        /* gaussian e^T Sigma e: exact samples          */
    size_t pcd_updates;    /* PCD: measured updates per chain (after as
                            * many again of burn-in)                       */
    restore_estimate pcd_estimate;
    size_t attractor_points; /* fractional shifts in [0, 1)                */
} restore_config;

typedef struct {
    double D, D_err, D_epoch;      /* minibatch term, sites^2 / unit t, / epoch */
    double eSe, eSe_err;           /* e^T Sigma e and its standard error        */
    double dwdX2;                  /* |dw* / dX|^2                                */
    double nu_over_b;
    double D_pcd, D_pcd_err, D_pcd_epoch;
    double tau_int, tau_err;       /* updates                                   */
    double eSme;                   /* e^T Sigma_m e (one chain)                 */
    double D_total, D_total_epoch; /* D + D_pcd                                 */
    double pn_spread;              /* max - min over X of L(w*(X)) / N          */
    double lambda_trans;           /* e^T J e                                   */
    double force;                  /* e . dL/dw at w*: the residual PN drift    */
    double resid;                  /* |gradient| off the translation mode       */
    double center;                 /* of w* (SPEC.md 4)                         */
} restore_result;

/* Defaults: ising N = 100 beta = 1, binary unit, lr 0.05, batch 10, B =
 * 10^6, exact model term, 100 chains, 20 steps, T_fix = 400, seed 1,
 * nsample 10^6, pcd_updates 1000, 64 attractor points. */
void restore_config_default(restore_config *c);

/* The whole prediction: w* from the flow, then the quantities above.
 * SYM_EINVAL for parameters out of range (naming them), a unit kind without
 * a theory, or a fixed point that is symmetric (no translation mode) or not
 * converged by T_fix (the message gives the residual). */
int restore_predict(const restore_config *c, restore_result *r, char *err);

/* The checks of restore_predict on c's own parameters (not the data). */
int restore_check(const restore_config *c, char *err);

/* restore_predict at a given fixed point w (N) of data model m (c->data
 * and c->T_fix unused): every result, r->resid reported, not checked. */
int restore_at(const restore_config *c, const ring_model *m, const double *w, restore_result *r,
               char *err);

/* The pieces, at a given profile w (N) of a unit u on data model m: */

/* w* from the flow: w(0) of seed, integrated to T_fix; w gets N values. */
int restore_fixed_point(const ring_model *m, const unit_params *u, uint64_t seed, double T_fix,
                        double *w, char *err);

/* dw/dX (out, N; may be NULL) and e = its unit vector (N), *dwdX2 =
 * |dw/dX|^2: the Fourier derivative d/ds of w(i - s) at s = 0 (Nyquist
 * mode: 0, the derivative of obs_shift_frac's cos(pi s)). */
int restore_mode(const double *w, size_t N, double *dwdX, double *e, double *dwdX2, char *err);

/* e^T Sigma e for the one-sample gradient v Gamma'(w.v) under the data
 * model (see the top of this file); *se its standard error (0 for the exact
 * binary route).  nsample and seed are used by gaussian units only. */
int restore_esigmae(const ring_model *m, const unit_params *u, const double *w, const double *e,
                    size_t nsample, uint64_t seed, double *eSe, double *se, char *err);

/* PCD chain noise at fixed w: *var = one-chain variance of e . (the
 * estimate est: h tanh(w h), the trainer's, or v Gamma'(w.v)), *tau,
 * *tau_err its integrated autocorrelation
 * in updates of mc_steps Gibbs steps (Sokal's window, c = 6; the error
 * sqrt(2 (2W + 1) / n) tau), from `chains` chains started uniformly at
 * random, updates measured after as many of burn-in.  When var is zero to
 * rounding, tau is that of h itself. */
int restore_pcd_noise(const ring_model *m, const unit_params *u, const double *w, const double *e,
                      size_t chains, size_t mc_steps, size_t updates, restore_estimate est,
                      uint64_t seed, double *var, double *tau, double *tau_err, char *err);

/* Exact log-likelihood per sample of profile w (the flow's, SPEC.md 3). */
int restore_loglik(const ring_model *m, const unit_params *u, const double *w, double *L,
                   char *err);

/* The attractor at the fixed point w: L[j] = exact log-likelihood per site
 * of the translate w(i - X_j), X_j = j / npts (j < npts), *spread = max -
 * min of L, *lambda = e^T J e (central difference of the exact gradient
 * along e, step 1e-4 |w|), *force = e . dL/dw at w.  X, L may be NULL. */
int restore_attractor(const ring_model *m, const unit_params *u, const double *w, size_t npts,
                      double *X, double *L, double *spread, double *lambda, double *force,
                      char *err);

/* Pinning (SPEC.md 8) on a training set v (B x N, +-1): for X_j = j N /
 * npts, j < npts (the whole ring, sub-lattice steps), LB[j] = (1/B) sum_b
 * log P_{w(X_j)}(v_b) (exact: log P(v) = Gamma(w.v) - log Z, log Z of the
 * translate exact, g = 0), P[j] ∝ exp(LB[j] / T_eff) normalised to a density
 * in X (sum_j P[j] N / npts = 1), *deff = D_eff / D =
 * 1 / (<e^{-LB/T}>_X <e^{LB/T}>_X) (Lifson-Jackson), *ratio = max P / min
 * P.  X, P, deff, ratio may be NULL. */
int restore_landscape(const ring_model *m, const unit_params *u, const double *w,
                      const int8_t *v, size_t B, size_t npts, double T_eff, double *X, double *LB,
                      double *P, double *deff, double *ratio, char *err);

/* The data size above which max P / min P < 2 (nearly uniform), from a
 * landscape of spread dL = max - min LB measured at B: the landscape falls
 * as 1/sqrt(B), so B_uniform = B (dL / (T_eff ln 2))^2. */
double restore_b_uniform(size_t B, double dL, double T_eff);

#endif
