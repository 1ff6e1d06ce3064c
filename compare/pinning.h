/* pinning: a formed receptive field pinned by a finite training set (SPEC.md
 * 8, "Pinning at finite B") - the predicted stationary distribution of its
 * centre against the measured one, and the hops between the landscape's
 * wells.
 *
 * `symrbm diffusion --pinning` (compare/diffusion.h pin_data) trains every
 * seed on ONE training set, sim_draw(seed of the run, B) - the very samples
 * `symrbm sim --seed S --B B` and `symrbm theory --landscape B --seed S`
 * draw - from its own w(0) and minibatch stream (the task seed).  On that
 * set restore_landscape (theory/restore.h) gives L_B(X) of the shifted
 * fixed point w*(X), P(X) ∝ exp(L_B / T_eff), T_eff = nu e^T Sigma e /
 * (2 b) and Lifson-Jackson's D_eff.  In the centre coordinate of SPEC 4 the
 * translate w*(X) sits at c = X + center(w*), so the prediction is
 * written on the grid c_j = x0 + j h (h = N / npts, 0 <= x0 < h).
 *
 * Wells: the local maxima of L_B (minima of U = -L_B / T_eff), merged by
 * persistence until every well is at least PINNING_WELL_DEPTH T_eff deep on
 * its shallower side.  A hop (milestoning) is the walk reaching the bottom
 * of a well other than the last bottom it reached; the mean dwell is the
 * observed time after formation over the hops.  Its prediction is exact
 * for the Langevin equation along the zero mode (SPEC 8): from bottom i the
 * walk first reaches bottom i - 1 or i + 1 after the mean first passage
 * time T_i, to the right with splitting probability p_i,
 *     p(x) = int_a^x e^U / int_a^b e^U,
 *     T(x) = (p(x) Phi(b) - Phi(x)) / D,  Phi(x) = int_a^x e^U(y) int_a^y e^-U,
 * (a, b the neighbouring bottoms) and the mean dwell is sum_i pi_i T_i, pi
 * the stationary law of the chain of bottoms visited.  The same passage
 * time from x to x +- N gives a second D_eff = N^2 / (2 T), independent of
 * Lifson-Jackson's formula.
 *
 * Nothing here prints; errors are SYM_* with a message in err.
 */
#ifndef SYM_PINNING_H
#define SYM_PINNING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/ring.h"
#include "core/unit.h"

/* wells shallower than this many T_eff (on their shallower side) are
 * merged into a neighbour: a barrier of about kT is crossed at the rate of
 * free diffusion and would only count recrossings as hops */
#define PINNING_WELL_DEPTH 1.0

/* Kolmogorov-Smirnov distance of the values x mod N (reduced and sorted in
 * place) to the periodic density p given at c_j = x0 + j N / n (j < n,
 * 0 <= x0 < N / n), linear between nodes (so sum_j p_j N / n = 1 is its
 * integral; it is renormalised to 1).  NAN if nx = 0. */
double pinning_ks(double *x, size_t nx, double N, const double *p, size_t n, double x0);

/* Histogram density of x mod N over nbins bins of width N / nbins from 0:
 * dens[k] = count / (nx N / nbins) (0 if nx = 0). */
void pinning_hist(const double *x, size_t nx, double N, size_t nbins, double *dens);

/* The wells of the periodic landscape L[0..n-1] (maxima of L) after
 * persistence merging at depth thr: idx[0..*nw-1] ascending grid indices
 * (idx has room for n / 2 + 1).  A landscape without a strict maximum gives
 * the one well at its argmax. */
void pinning_wells(const double *L, size_t n, double thr, size_t *idx, size_t *nw);

/* Mean first passage time T[0..n-1] (and splitting probability p towards
 * node n - 1, may be NULL) on the grid y_k = k h, k < n (n >= 3), of
 * dX = -D U'(X) dt + sqrt(2 D) dW with both ends absorbing: the formulas
 * above by the trapezoidal rule. */
int pinning_mfpt(const double *U, size_t n, double h, double D, double *T, double *p, char *err);

/* Predicted mean dwell between hops on the periodic landscape L (n nodes,
 * spacing h = N / n) with wells idx[0..nw-1] at temperature T_eff and bare
 * diffusion constant D: sum_i pi_i T_i.  Tw (nw, may be NULL) gets T_i. */
int pinning_dwell_pred(const double *L, size_t n, double N, double T_eff, double D,
                       const size_t *idx, size_t nw, double *mean, double *Tw, char *err);

/* D_eff / D from the passage time of the periodic landscape L (n nodes over
 * the ring of N) from node 0 to +-N: N^2 / (2 D T(0 -> +-N)). */
int pinning_deff_passage(const double *L, size_t n, double N, double T_eff, double *ratio,
                         char *err);

/* Hops of one unwrapped walk X[0..nx-1] between the bottoms c_w + k N of
 * the wells at centre positions c[0..nw-1] (ascending in [0, N)): *hops
 * added to, and per well the time spent with it as the last bottom
 * reached (tw, nw, added to) and the departures from it (dep, added to).
 * The walk starts at its nearest bottom. */
void pinning_hops(const double *X, const double *t, size_t nx, double N, const double *c,
                  size_t nw, size_t *hops, double *tw, size_t *dep);

/* The prediction on a training set: */
typedef struct {
    size_t npts;             /* grid over the ring                          */
    double x0, h;            /* centre grid c_j = x0 + j h                  */
    double *c, *LB, *P;      /* npts each, on the centre grid (ascending)   */
    double T_eff, D, dwdX2, center;
    double deff_lj, deff_pass;   /* D_eff / D: Lifson-Jackson, passage time */
    double ratio, spread, b_uniform;
    size_t nw, *well;        /* wells: indices into the centre grid        */
    double *Tw;              /* predicted T_i per well                      */
    double dwell_pred;
} pinning_pred;

/* w* the fixed point, e^T Sigma e, |dw* / dX|^2 and center(w*) from
 * theory/restore.h (D = nu eSe / (2 b dwdX2), T_eff = nu eSe / (2 b)),
 * v the B x N training set: everything above.  Free with pinning_pred_free. */
int pinning_predict(const ring_model *m, const unit_params *u, const double *wstar, double eSe,
                    double dwdX2, double center, double lr, size_t batch, const int8_t *v,
                    size_t B, size_t npts, pinning_pred *pp, char *err);
void pinning_pred_free(pinning_pred *pp);

/* The measured side: walks X (nwalk rows of nt unwrapped centres, the
 * formed seeds), times t (nt), pooled from snapshot k0 on (formation). */
typedef struct {
    size_t n;                /* pooled positions                            */
    double *Pm;              /* npts: histogram density (nbins bins from 0)
                              * of the bin holding centre node j           */
    double ks_pred, ks_uniform, ks_split;   /* ks_split: KS of the first
                              * half of the walks against the second, the
                              * scale of the sampling noise (correlated)   */
    size_t hops;
    double time, dwell;      /* observed time after formation, time / hops  */
    double *tw;              /* per well: time as the last bottom reached   */
    size_t *dep;             /* per well: departures                        */
    /* the diagnostic: the temperature T_fit that maximises the likelihood
     * of the pooled centres under P_T(X) ∝ exp(L_B / T) (L_B linear
     * between nodes), and at it the KS distance, D_eff / D and the dwell
     * on the same wells with the bare D scaled by T_fit / T_eff (T_eff =
     * D |dw* / dX|^2 at fixed shape).  T_fit / T_eff > 1: the walk is
     * hotter than the leading order in nu / b says. */
    double T_fit, ks_fit, deff_fit, dwell_fit;
} pinning_meas;

/* The maximum-likelihood T of the values Ls[0..n-1] (L_B at the samples)
 * under P_T ∝ exp(L / T) on the grid L[0..npts-1]: the root of mean(Ls) =
 * E_T[L], in [T_lo, T_hi]; the nearer end if there is none. */
double pinning_fit_temperature(const double *L, size_t npts, const double *Ls, size_t n,
                               double T_lo, double T_hi);

int pinning_measure(const pinning_pred *pp, double N, const double *X, const double *t,
                    size_t nwalk, size_t nt, size_t k0, size_t nbins, pinning_meas *pm,
                    char *err);
void pinning_meas_free(pinning_meas *pm);

/* L at x (mod N) on the periodic centre grid c_j = x0 + j h, linear. */
double pinning_interp(const double *L, size_t n, double N, double x0, double x);

/* Two-sample KS distance of a and b (sorted in place). */
double pinning_ks2(double *a, size_t na, double *b, size_t nb);

/* The files: pinning.tsv body (c L_B P_pred P_meas), wells.tsv body (c
 * L_B T_pred dwell_meas departures) and the summary keys (D_meas: the
 * caller's measured D). */
void pinning_write(const pinning_pred *pp, const pinning_meas *pm, double D_meas, FILE *ftab,
                   FILE *fwell, FILE *fsum);

#endif
