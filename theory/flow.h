/* flow: the infinite-data gradient flow of an RBM's hidden units (SPEC.md
 * section 3), integrated with SUNDIALS CVODE in Fourier modes.
 *
 * State: the half-complex (FFTW r2hc) spectra of the M weight profiles w_mu
 * (N reals each), followed by that of the fields g when they are learned.
 * Right-hand side, for the data term D = Lambda w + D_nl(w) and the model
 * term m of a hidden-unit family (theory/flow_family.h):
 *     d w^_mu,k/dt = (Lambda_k - l2) w^_mu,k - FFT[m_mu - D_nl,mu]_k
 *     d g^_k/dt    = FFT[<v>_data - <v>_model]_k            (fields learned)
 * The gaussian family (3a, M = 1) has Lambda_k = lambda_k, D_nl = 0 and m_i
 * = <v_i h>_model from core/marg (the exact 1-D integral).
 *
 * Numerical guards (the measurements are below and in flow.c): tolerances
 * beyond what double precision delivers are refused by flow_alloc; weights
 * beyond FLOW_N_NORM2_MAX / N, an atol that falls below the rounding of the
 * growing weights, a step size collapsing below the rounding of t, or more
 * than the step budget of one output interval end flow_advance with
 * SYM_ENUM, in seconds.  SUNDIALS' own messages go into err, never to
 * stderr.
 */
#ifndef SYM_FLOW_H
#define SYM_FLOW_H

#include <stddef.h>
#include <stdio.h>
#include "core/ring.h"
#include "theory/flow_family.h"

typedef enum { FLOW_ADAMS = 0, FLOW_BDF = 1 } flow_method;

typedef struct {
    const ring_model *data;   /* spectrum lambda_k, mean, entropy (not owned) */
    int learn_fields;         /* integrate the fields too                     */
    double l2;                /* L2 penalty: dw/dt -= l2 w                    */
    double rtol, atol;        /* CVODE tolerances (FLOW_RTOL_MIN <= rtol < 1,
                               * atol >= FLOW_ATOL_MIN)                       */
    flow_method method;
    const flow_family *family; /* hidden units; NULL: flow_family_gaussian    */
    size_t threads;           /* 0 or 1: one; more: the gaussian model term's
                               * site loops over a team (core/marg), from
                               * N = 4096 on, with the one-thread numbers    */
} flow_params;

/* Tolerances below what double precision delivers are refused.  rtol:
 * CVODE's error estimate is a difference of states that each carry the
 * rounding of the right-hand side (two FFTs, ~u log2 N, and the model
 * term's quadrature); below ~500 ulps the error test chases that noise.
 * atol: a mode passing through 0 is resolved to atol absolute, its rounding
 * error is ~1e-16 |y|, and CVODE's norm squares error / atol, which
 * overflows a double once atol < ~1e-170.  (Well above that floor a tiny
 * atol still crawls: FLOW_ATOL_NOISE.) */
#define FLOW_RTOL_MIN 1e-13
#define FLOW_ATOL_MIN 1e-150
/* The rounding of the modes is ~u max_k |y_k| (u = DBL_EPSILON; the FFT
 * spreads the largest mode's rounding onto every mode), and a mode near 0
 * cannot be resolved below it: with atol < FLOW_ATOL_NOISE u max|y| the
 * error test passes only once h times that noise is below atol, and CVODE
 * crawls (ising beta = 1, N = 100, max|y| ~ 5: atol 1e-18 takes 12x the
 * steps of the default 1e-10, 1e-20 70x, 1e-22 220x, 1e-25 does not
 * finish; N = 1000, beta = 10, rtol 1e-13, atol 1e-16: 372327 steps in
 * 265 s, against 3706 with atol 1e-14).  Checked at t = 0 and as the
 * weights grow. */
#define FLOW_ATOL_NOISE 1e-2
/* Weights with N norm2 (norm2 = sum_i w_i^2, any unit) above this end the
 * flow.  Fixed points have norm2 of order one (gaussian unit, uniform
 * state: norm2 = atanh(lambda_0 / N) < 20 in double precision, N norm2 <
 * 2e7 up to N = 10^6; ising beta = 1, N = 100: norm2 = 1.08), and the
 * model term shrinks large weights.  But p(h) peaks at h ~ sum_i |w_i| <=
 * sqrt(N norm2); once h^2 ~ 1e9, tanh(w_i h) is a step on the scale of the
 * weights, the weights chatter through 0 under a force ~h and CVODE crawls
 * (N = 100, init scale 3e3: h ~ 1e-7; N = 10^4, init scale 300: no
 * snapshot in 2 min).  N norm2 = 1e8 (init scale 1e3 at N = 100) takes 3 s. */
#define FLOW_N_NORM2_MAX 1e8

typedef struct flow flow;

/* Set up the integrator at t = 0 from w0 (M x N, unit-major) and g0 (N;
 * NULL = 0).  SYM_EINVAL for bad parameters (also an atol below the
 * rounding of w0), SYM_ENUM for initial weights beyond FLOW_N_NORM2_MAX / N. */
int flow_alloc(flow **out, const flow_params *p, const double *w0, const double *g0, char *err);
/* The same for a family of several or parametrised units (binary units,
 * SPEC.md 3b: p->family = &flow_family_spin, u = {M, theta}); w0 holds
 * M x N weights.  u NULL (or flow_alloc): the family's defaults, M = 1. */
int flow_alloc_units(flow **out, const flow_params *p, const flow_hidden *u, const double *w0,
                     const double *g0, char *err);
void flow_free(flow *f);

/* Integrate to tout (> current time; earlier times: nothing to do).  Fails
 * with SYM_ENUM on a solver error (SUNDIALS' message in err), a non-finite
 * state, weights beyond FLOW_N_NORM2_MAX / N ("weights diverged"), or a crawl
 * ("step size collapsed": h below the rounding of t, or more steps than a
 * legitimate run takes between two output times). */
int flow_advance(flow *f, double tout, char *err);

/* Current time, weights (M x N) and fields (N) in real space (g may be
 * NULL). */
double flow_time(const flow *f);
void flow_state(flow *f, double *w, double *g);

/* M, the number of hidden units, and the length of the state (M N, plus N
 * with learned fields). */
size_t flow_units(const flow *f);
size_t flow_size(const flow *f);

/* Right-hand side evaluations so far, every call counted (CVODE's steps,
 * and with BDF also its difference-quotient Jacobian-vector products). */
long flow_nrhs(const flow *f);

/* CVODE counters: steps, Newton iterations, Krylov iterations (0 for
 * Adams), preconditioner set-ups (Jacobian tabulations). */
typedef struct {
    long steps, newton, krylov, psetups, rhs;
} flow_counters;
void flow_stats(const flow *f, flow_counters *c);

/* Real-space gradient flow at (w, g): dw = D(w) - m(w, g) - l2 w (gaussian:
 * D = C w), dg = <v>_data - <v>_model (dg may be NULL). */
int flow_gradient(flow *f, const double *w, const double *g, double *dw, double *dg, char *err);

/* Exact log-likelihood per sample at (w, g), the family's (SPEC.md 3;
 * gaussian: L = w^T C w / 2 + sum_i g_i <v_i> - log Z_RBM). */
int flow_loglik(flow *f, const double *w, const double *g, double *L, char *err);

/* The functions CVODE integrates with, on a state y of flow_size(f) modes:
 * the right-hand side dy = F(y), and the analytic Jacobian-vector product
 * Jv = J(y) v of the Newton-Krylov option (SYM_EINVAL with learned fields,
 * which have none).  For tests and analysis: both use the flow's model-term
 * workspace, and flow_jtimes re-freezes the Jacobian, so calling them
 * between two flow_advance calls changes the later integration's bits. */
int flow_rhs(flow *f, const double *y, double *dy, char *err);
/* The large-N solver of the gaussian flow (theory/flow.c, FLOW_R1_MIN_N;
 * BDF, one gaussian unit, fixed fields): flow_alloc turns it on from
 * N = 10^4 on; flow_set_rank1 turns it on (1) or off (0) at any N, before
 * the first flow_advance (SYM_EINVAL after it, or on for another flow).
 * While its J1 is the Newton matrix, each linear solve is one exact
 * preconditioner solve instead of an SPGMR iteration.  Independently of
 * it, every flow from N = 10^4 on (any family) transforms by r2c / c2r and
 * forms CVODE's error norm in eight partial sums (theory/flow.c,
 * FLOW_RC_MIN_N): faster at large N, the same numbers within the
 * integration tolerance, not bit for bit those of the small-N path. */
int flow_set_rank1(flow *f, int on, char *err);

/* The preconditioner solve z = P^-1 r at y (frozen there) for gamma: P =
 * I - gamma J1, J1 the Fourier-diagonal part plus, with the large-N solver
 * (flow_set_rank1), the rank-one term along the weights. */
int flow_psolve(flow *f, const double *y, double gamma, const double *r, double *z, char *err);
int flow_jtimes(flow *f, const double *y, const double *v, double *Jv, char *err);

#endif
