/* smallbeta: the paper's small-beta limit of the binary-hidden flow and its
 * continuum limit (SPEC.md 3c; the paper's eqs. 36-47 and 50-51).
 *
 * With u = w / sqrt(beta) and tau = beta t, the flow of SPEC 3b becomes at
 * beta -> 0 the parameter-free lattice equation (eq. 37 for M = 1)
 *     du_{i mu}/dtau = u_{i+1,mu} + u_{i-1,mu} - u_{i mu} b_mu + u_{i mu}^3
 *                      + sum_{nu != mu} [u_{i mu} u_{i nu}^2 - u_{i nu} c_{mu nu}]
 * with b_mu = sum_k u_{k mu}^2 and c_{mu nu} = sum_k u_{k mu} u_{k nu}
 * (M = 2: eqs. 50-51 with their index typos corrected; the derivation for
 * any M is in smallbeta.c).  It is the gradient flow du/dtau = -dE/du of
 *     E(u) = sum_mu [-sum_i u_{i mu} u_{i+1,mu} + b_mu^2 / 4 - sum_i u_{i mu}^4 / 4]
 *            + sum_{mu < nu} [c_{mu nu}^2 / 2 - sum_i u_{i mu}^2 u_{i nu}^2 / 2].
 * E is invariant, and the flow equivariant, under orthogonal rotations of
 * the M units among themselves (u_mu -> sum_nu R_{mu nu} u_nu): at this order the
 * binary nature of h cancels between data and model terms, so M >= 2 fixed
 * points come in rotation families; the rotation that maximises sum u^4
 * shows M separated single peaks (M = 2: each the M = 1 fixed point), the
 * raw units of a run are generally mixtures of them.
 * This module evaluates it, integrates it with CVODE, finds its fixed points
 * by Newton's method, and gives the continuum stationary profile (eq. 44)
 * u(x) = sqrt(2 (b - 2)) / cosh(x sqrt(b - 2)) with its two roots
 * b = 8 -+ 4 sqrt 2 (eq. 45; only b- is stable, eqs. 46-47).
 * Profiles are unit-major: u[mu N + i].
 */
#ifndef SYM_SMALLBETA_H
#define SYM_SMALLBETA_H

#include <stddef.h>
#include <stdint.h>

#include "core/obs.h"

/* ---- the lattice equation (pure functions of u, N >= 3, M >= 1) ---- */

/* du = the right-hand side of eq. 37 (general M) at u; M x N each. */
void sb_rhs(size_t N, size_t M, const double *u, double *du);

/* E(u) of the header, the Lyapunov function: dE/dtau = -|du/dtau|^2. */
double sb_energy(size_t N, size_t M, const double *u);

/* The Jacobian d(du_a)/du_b of sb_rhs at u, dense, row-major, a = mu N + i:
 * J[a * (M N) + b].  Symmetric (it is -Hessian E). */
void sb_jacobian(size_t N, size_t M, const double *u, double *J);

/* b[mu] = sum_i u_{i mu}^2, mu = 0..M-1. */
void sb_norm2(size_t N, size_t M, const double *u, double *b);

/* The rotation of the units that maximises sum_{i mu} u_{i mu}^4 (the most
 * localised units of a rotation family, see above), applied to u in place
 * by Jacobi sweeps of pairwise rotations, each the exact maximiser for
 * its pair.  Stops when a sweep raises sum u^4 by at most 1e-14 of it, or
 * after SB_LOCALISE_SWEEPS sweeps; returns the sweeps done.  M = 1: nothing
 * to do (0). */
#define SB_LOCALISE_SWEEPS 100
int sb_localise(size_t N, size_t M, double *u);

/* ---- integration (CVODE) ---- */

typedef struct {
    size_t N, M;         /* sites (>= 3), units (>= 1)                        */
    double rtol, atol;   /* CVODE tolerances: SB_RTOL_MIN <= rtol < 1, atol > 0 */
} sb_params;

/* rtol below this chases the rounding of the right-hand side (sums of N
 * cubic terms, ~N u of b). */
#define SB_RTOL_MIN 1e-13
/* A unit with b beyond this has diverged: the fixed points have b ~ 2.4,
 * the uniform state 2N/(N-1). */
#define SB_B_MAX 1e6
/* Dense linear algebra: the Jacobian is M N x M N, factorised O((M N)^3)
 * ~60 times per run (N = 100, M = 3: 30 ms each, 2 s per run); at the
 * limit M N = 2000 a run takes ~10 min. */
#define SB_DIM_MAX 2000

typedef struct sb_flow sb_flow;

/* Integrator at tau = 0 from u0 (M x N).  SYM_EINVAL for bad parameters
 * or a non-finite u0, SYM_ENOMEM when out of memory. */
int sb_alloc(sb_flow **out, const sb_params *p, const double *u0, char *err);
void sb_free(sb_flow *f);

/* Integrate to tau (earlier: nothing).  SYM_ENUM on a solver failure
 * (SUNDIALS' message in err), a non-finite state or b > SB_B_MAX. */
int sb_advance(sb_flow *f, double tau, char *err);

double sb_time(const sb_flow *f);
/* The current u (M x N). */
void sb_state(const sb_flow *f, double *u);

typedef struct {
    long steps, rhs, jac;   /* CVODE steps, right-hand sides, Jacobians */
} sb_counters;
void sb_stats(const sb_flow *f, sb_counters *c);

/* Newton's method on du/dtau = 0 from u (M x N, overwritten by the root):
 * stops when max_a |du_a| <= tol, SYM_ENUM after maxit iterations or at a
 * singular Jacobian. */
int sb_newton(size_t N, size_t M, double *u, double tol, int maxit, char *err);

/* ---- a run from the shared w(0) (SPEC.md 1, 5) ---- */

typedef struct {
    size_t N, M;          /* sites, units                                   */
    uint64_t seed;        /* w(0) = rng_init_weights(seed, N, M, init_scale) */
    double init_scale;    /* s0 > 0                                          */
    double beta;          /* u(0) = w(0) / sqrt(beta), beta > 0              */
    double T;             /* final tau (the rescaled time beta t), > 0       */
    size_t snapshots;     /* output times after tau = 0 (core/snap.h)        */
    int linear;           /* linear instead of log spacing                   */
    double rtol, atol;
} sb_config;

/* N = 100, M = 1, seed 1, s0 = 0.01, beta = 0.1, T = 1e4, 200 log-spaced
 * snapshots, rtol 1e-8, atol 1e-10. */
void sb_config_default(sb_config *c);
int sb_config_check(const sb_config *c, char *err);

typedef struct {
    size_t N, M, n;       /* n = snapshots + 1 rows                           */
    double *t;            /* t[s], tau of snapshot s                          */
    double *u;            /* u[(s M + mu) N + i]                              */
    double *b;            /* b[s M + mu] = sum_i u^2                          */
    obs_values *obs;      /* obs[s M + mu] (SPEC.md 4, with the given S)      */
    sb_counters fc;       /* at the end                                       */
} sb_traj;

/* Integrate c; S of obs is type's order parameter (e.g. &ring_ising).  On
 * success *out is a trajectory to free with sb_traj_free. */
int sb_run(const sb_config *c, const ring_type *type, sb_traj **out, char *err);
void sb_traj_free(sb_traj *tr);

/* ---- the continuum limit (eqs. 38-47) ---- */

/* The roots of the self-consistency b = integral u^2 of eq. 44's profile:
 * b-/+ = 8 -+ 4 sqrt 2 (derivation in smallbeta.c). */
void sb_continuum_roots(double *b_minus, double *b_plus);

/* Peak sqrt(2 (b - 2)) and FWHM 2 arccosh(2) / sqrt(b - 2) of eq. 44's
 * profile (NAN for b <= 2). */
double sb_continuum_peak(double b);
double sb_continuum_fwhm(double b);

/* Eq. 44 at x: sqrt(2 (b - 2)) / cosh(x sqrt(b - 2)) (NAN for b <= 2). */
double sb_continuum_u(double b, double x);

/* Eq. 44 on the ring: u[i] = sqrt(2 (b - 2)) / cosh(d_i sqrt(b - 2)), d_i
 * the circular distance from site i to centre (any real, taken mod N).
 * SYM_EINVAL unless b > 2 and finite, N >= 3, centre finite. */
int sb_continuum_profile(double b, size_t N, double centre, double *u, char *err);

/* ---- the exact flow in these units ---- */

/* u = w / sqrt(beta) (M x N, u may be w) and b[mu] = sum_i u_{i mu}^2
 * (b may be NULL), for an exact-flow profile w at coupling beta > 0: the
 * exact flow converges to eq. 37 as beta -> 0. */
int sb_from_exact(const double *w, size_t N, size_t M, double beta, double *u, double *b,
                  char *err);

#endif
