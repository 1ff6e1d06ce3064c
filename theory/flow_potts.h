/* flow_potts: the infinite-data gradient flow with Potts visible units
 * (SPEC.md 9, the Potts form of 3a and 3b), integrated with SUNDIALS CVODE.
 *
 * Visible units v_i in {0..P-1}, one-hot x_ic = [v_i = c]; a unit's
 * profile is w_i(c), N x P row-major (w[i P + c]), M units unit-major.
 * Hidden unit mu with field theta_mu: gaussian, p(h | v) ∝ e^{-h^2/2 +
 * h (I - theta)}; binary, h = +-1 with p(h | v) ∝ e^{h (I - theta)};
 * I_mu(v) = sum_i w_{i mu}(v_i).  The flow (dL/dw, dL/dtheta at fixed
 * visible fields g):
 *     dw_{i mu}(c)/dt = Pg[ D_{i mu}(c) - m_{i mu}(c) ] - l2 w_{i mu}(c)
 *     dtheta_mu/dt    = -<Gamma'(I_mu - theta_mu)>_data + <h_mu>_model
 * Pg the zero-sum gauge projection (core/obs_potts.h obs_potts_gauge),
 * applied to w(0) and to every right-hand side; theta is learned unless
 * fixed (then the projection restricts the model, SPEC 9).
 *   - gaussian (M = 1): D = C w + (<I> - theta)/P, C the block-circulant
 *     connected one-hot covariance (applied by a 2-D FFT over space and
 *     colour with the spectrum lambda_{k,p} of ring_potts_spectrum); the
 *     model term is the 1-D integral over h of p(h) ∝ e^{phi(h)},
 *     phi(h) = -h^2/2 - theta h + sum_i log sum_c e^{g_i(c) + w_i(c) h}.
 *   - binary (M >= 1): D_{i mu}(c) = E[x_ic tanh(I_mu - theta_mu)] exactly,
 *     through the Fourier kernel tanh x = (1/2) int dq sin(q x)/sinh(pi q/2)
 *     (the route of theory/flow_spin.h): E[x_ic e^{i q I}] is a ratio of
 *     traces of products of P x P matrices diag(e^{i q w_j(.)}) K around the
 *     ring, K the normalised xy transfer matrix; prefix and suffix products
 *     give all (i, c) in O(N P^3) per q node.  The model term is the sum
 *     over the 2^M hidden configurations with a softmax per site.
 * Linear regime (w -> 0, theta = 0): mode (k, p) grows at lambda_{k,p} -
 * 1/P - l2 (the model term of a uniform Potts layer is w/P in the gauge).
 * At P = 2 the flow is the +-1 flow of 3a/3b with w_spin = (w(1) - w(0))/2
 * on a clock twice as slow: w_potts(2t) <-> w_spin(t) (tests/test_flow_potts.c).
 */
#ifndef SYM_FLOW_POTTS_H
#define SYM_FLOW_POTTS_H

#include <stddef.h>
#include <stdint.h>
#include "core/ring.h"
#include "theory/flow.h"

/* Largest number of binary units (the 2^M model sum). */
#define FLOW_POTTS_M_MAX 16

/* A hidden-unit kind of the Potts flow: a table (STYLE.md "Kinds as
 * tables"), named as the +-1 flow families ("gaussian", "spin"). */
typedef struct flow_potts_kind flow_potts_kind;
extern const flow_potts_kind flow_potts_gaussian;
extern const flow_potts_kind flow_potts_spin;
/* The kind called name; SYM_EINVAL naming the choices otherwise. */
int flow_potts_kind_find(const char *name, const flow_potts_kind **k, char *err);
const char *flow_potts_kind_name(const flow_potts_kind *k);

typedef struct {
    const ring_model *data;      /* a Potts model (m->P >= 2), not owned */
    const flow_potts_kind *kind;
    size_t M;                    /* gaussian: 1; spin: 1..FLOW_POTTS_M_MAX */
    int fix_theta;               /* hold theta at theta0 (default: learned) */
    double l2, rtol, atol;
    flow_method method;          /* BDF (GMRES, difference-quotient J v) or Adams */
} flow_potts_params;

typedef struct flow_potts flow_potts;

/* Set up at t = 0 from w0 (M x N x P; projected onto the gauge here) and
 * theta0 (M; NULL = 0). */
int flow_potts_alloc(flow_potts **out, const flow_potts_params *p, const double *w0,
                     const double *theta0, char *err);
void flow_potts_free(flow_potts *f);
/* Integrate to tout (earlier times: nothing to do). */
int flow_potts_advance(flow_potts *f, double tout, char *err);
/* Current weights (M x N x P) and hidden fields (M; may be NULL). */
void flow_potts_state(const flow_potts *f, double *w, double *theta);
/* Right-hand side evaluations and CVODE steps so far. */
void flow_potts_stats(const flow_potts *f, long *nrhs, long *nsteps);

/* The flow's right-hand side at (w, theta): dw (M x N x P, projected) and
 * dtheta (M; 0 when theta is fixed; may be NULL).  g = 0. */
int flow_potts_rhs(flow_potts *f, const double *w, const double *theta, double *dw,
                   double *dtheta, char *err);
/* The unprojected gradient of the exact log-likelihood at (w, theta, g):
 * dw = D - m (no gauge projection, no l2), dtheta = dL/dtheta.  g (N x P)
 * may be NULL. */
int flow_potts_grad(flow_potts *f, const double *w, const double *theta, const double *g,
                    double *dw, double *dtheta, char *err);
/* Exact log-likelihood per sample at (w, theta, g) (g may be NULL). */
int flow_potts_loglik(flow_potts *f, const double *w, const double *theta, const double *g,
                      double *L, char *err);

/* For tests: the data term of one unit's profile w (N x P) at field theta:
 * d[i P + c] = <x_ic Gamma'(I - theta)>_data (gaussian: I - theta;
 * binary: tanh), and (each may be NULL) e1 = <Gamma'(I - theta)>_data and
 * e0 = <Gamma(I - theta)>_data (gaussian: (I - theta)^2 / 2; binary:
 * log 2cosh(I - theta)). */
int flow_potts_data(flow_potts *f, const double *w, double theta, double *d, double *e1,
                    double *e0, char *err);
/* For tests: the model term at (w, theta, g) (g may be NULL): m = <x_ic
 * h_mu> (M x N x P), mv = <x_ic> (N x P), mh = <h_mu> (M) and logZ = log
 * sum_v e^{g(v)} prod_mu e^{Gamma_mu(I_mu(v) - theta_mu)}, Gamma(x) = x^2/2
 * (gaussian: the integral over h with the standard normal measure) or
 * log 2cosh x (binary); each output but m may be NULL. */
int flow_potts_model(flow_potts *f, const double *w, const double *theta, const double *g,
                     double *m, double *mv, double *mh, double *logZ, char *err);

/* w(0) of a Potts run: w_{i mu}(c) = s0 z / sqrt(N), z iid standard
 * normal from the seed's RNG_STREAM_INIT in the order (mu, i, c), then
 * projected onto the gauge -- the rule sim must share. */
int flow_potts_init_weights(uint64_t seed, size_t N, size_t P, size_t M, double s0, double *w);

#endif
