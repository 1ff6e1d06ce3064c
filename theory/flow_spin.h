/* flow_spin: M binary +-1 hidden units as a family of theory/flow (SPEC.md
 * 3b, the paper's eqs. 19-22): the exact nonlinear data term
 *     D_{i mu} = < v_i tanh(I_mu(v) - theta_mu) >_data
 * of the data model (ising: 2x2 transfer matrices; bump: its mixture over
 * the block position), the exact model term over the 2^M hidden
 * configurations, their Jacobian-vector products, and the exact
 * log-likelihood.
 *
 * Use: flow_params.family = &flow_family_spin, and flow_alloc_units with
 * flow_hidden {M, theta} (theta NULL: 0); the state holds M x N modes.
 *
 * Data term, the route: with I' = I - theta and the Fourier kernels
 *     tanh x        = (1/2) int_R dq sin(q x) / sinh(pi q / 2)
 *     sech^2 x      = (1/2) int_R dq q cos(q x) / sinh(pi q / 2)
 *     log cosh x    = (1/2) int_R dq (1 - cos(q x)) / (q sinh(pi q / 2))
 * every expectation becomes an integral over q of E[v_i e^{i q I}] (and of
 * E[e^{i q I}], E[v_i (u.v) e^{i q I}]), which the data model gives
 * exactly: a trace of products of 2x2 matrices (ising) or an average over
 * positions of products of one-site factors (bump).  The q integral is the
 * trapezoid rule on the whole line, step hq, truncated at SPIN_QMAX: its
 * sum is exactly E[v_i T(I')] with T(x) = tanh x + sum_{m >= 1} [tanh(x +
 * m W) + tanh(x - m W)], W = 2 pi / hq (the Poisson summation of the
 * kernel), so the error is at most ~4 e^{-2 (W - X)} for |I'| <= X =
 * sum_i |w_i| + |theta| -- a bound, not an estimate (theory/flow_spin.c).
 */
#ifndef SYM_FLOW_SPIN_H
#define SYM_FLOW_SPIN_H

#include <stddef.h>
#include "core/ring.h"
#include "theory/flow_family.h"

/* Largest number of binary units: the model term sums 2^M configurations,
 * and keeps tanh(g_i + sum w h) of each for the Jacobian (2^M N doubles). */
#define FLOW_SPIN_M_MAX 16

/* Largest N whose ising data Jacobian is kept dense (M N^2 doubles), so
 * that CVODE's J v are matrix-vector products: its set-up costs O(N^2) per
 * q node against O(N) for one J v through the transfer-matrix products,
 * and one frozen Jacobian serves ~50-70 J v.  Measured (CPU s per run,
 * theory --hidden spin --beta 1 --T 200 --rtol 1e-8, dense / kernel, 2
 * December): N = 100 0.056 / 0.087, 200 0.11 / 0.14, 400 0.40 / 0.43,
 * 700 1.24 / 1.02.  Beyond
 * it (and for bump) J v runs the kernel.  -DFLOW_SPIN_DENSE_NMAX=0 turns
 * the dense route off (for measurements). */
#ifndef FLOW_SPIN_DENSE_NMAX
#define FLOW_SPIN_DENSE_NMAX 400
#endif

/* For tests and analysis: the data model's characteristic functions at
 * one q for a single profile w (N): A[2i], A[2i+1] = Re, Im E[v_i e^{i q
 * I}], I = w.v, and Z[0], Z[1] = Re, Im E[e^{i q I}].  SYM_EINVAL for a
 * data model without an exact data term (the message says which). */
int flow_spin_charfn(const ring_model *m, const double *w, double q, double *A, double *Z,
                     char *err);

/* For tests and analysis: the per-unit data expectations at one profile w
 * (N) and hidden field theta: d[i] = E[v_i tanh(I - theta)], and (each may
 * be NULL) lc = E[log 2cosh(I - theta)], s2 = E[sech^2(I - theta)], and
 * jv[i] = E[v_i (u.v) sech^2(I - theta)] for the direction u (jv and u
 * both NULL or both given). */
int flow_spin_data(const ring_model *m, const double *w, double theta, double *d, double *lc,
                   double *s2, const double *u, double *jv, char *err);

#endif
