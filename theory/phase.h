/* phase: the uniform fixed point of the flow, its per-mode stability and the
 * phase boundary beta_c(N) of symmetry breaking (SPEC.md section 3).
 *
 * At a uniform profile w_i = a the Jacobian of the flow is circulant: mode
 * k != 0 has eigenvalue mu_k = lambda_k - <h^2 sech^2(a h)>_p, with
 * p(h) ∝ exp(-h^2/2 + N log 2cosh(a h)).  The uniform fixed point solves
 * lambda_0 a = <h tanh(a h)>_p.  The symmetric state is unstable (the
 * receptive field localises) where max_{k != 0} mu_k > 0.
 */
#ifndef SYM_PHASE_H
#define SYM_PHASE_H

#include <stddef.h>
#include <stdio.h>
#include "core/ring.h"

typedef struct {
    double a;          /* uniform weight at the fixed point                  */
    double norm2;      /* N a^2                                              */
    double sech2;      /* <h^2 sech^2(a h)>_p                                */
    double mu_max;     /* max_{k != 0} (lambda_k - sech2): > 0 is unstable   */
    size_t k_max;      /* the mode that attains it                           */
} phase_point;

/* The uniform fixed point of the data model m (needs lambda_0 > 1, else
 * SYM_EINVAL: w = 0 is then the only fixed point) and its stability. */
int phase_uniform(const ring_model *m, phase_point *pt, char *err);
/* The same, with mu_k = lambda_k - sech2 for k = 1..N/2 into mu (N/2 + 1
 * entries; mu may be NULL). */
int phase_uniform_modes(const ring_model *m, phase_point *pt, double *mu, char *err);

/* The same for one binary +-1 hidden unit with zero fields (SPEC.md 3b):
 * the root a > 0 of D(a) = tanh(a), D the exact data term at w_i = a
 * (theory/flow_spin), sech2 = sech^2(a) (the model term's slope) and mu_k
 * the Jacobian's eigenvalue of mode k (theory/phase_spin.c). */
int phase_uniform_spin(const ring_model *m, phase_point *pt, double *mu, char *err);

/* Which of the two a phase computation uses (phase_uniform_modes or
 * phase_uniform_spin). */
typedef int (*phase_uniform_fn)(const ring_model *m, phase_point *pt, double *mu, char *err);

/* Most scan points phase_beta_c accepts: each is one fixed-point solve
 * (milliseconds at N = 100), so 10^4 points already take tens of seconds. */
#define PHASE_SCAN_MAX 10000

/* beta_c(N) for ising: the largest beta in [beta_lo, beta_hi] where mu_max
 * changes sign (unstable below, stable above), located on a scan of
 * `scan` points (2 <= scan <= PHASE_SCAN_MAX) and refined by bisection until
 * the bracket is narrower than tol.  SYM_ENUM if no sign change is found,
 * if a fixed point fails (the message names its beta), or if the bisection
 * stops short of tol (a tol below what double precision resolves). */
int phase_beta_c(size_t N, double beta_lo, double beta_hi, size_t scan, double tol,
                 double *beta_c, char *err);
/* The same for any data model with a parameter beta: tmpl gives the model,
 * N and its other parameters (ising2: beta2 held fixed). */
int phase_beta_c_model(const ring_params *tmpl, phase_uniform_fn uniform, double beta_lo,
                       double beta_hi, size_t scan, double tol, double *beta_c, char *err);

/* `symrbm phase` as a library call: for one N the uniform fixed point at
 * the model's parameters and lambda_k, mu_k for k <= modes; then, for a
 * model with a parameter beta, the table N beta_c lambda1_c norm2_c over
 * every N.  Written to fp. */
typedef struct {
    ring_params data;          /* the model (its N is replaced by each N)  */
    phase_uniform_fn uniform;  /* phase_uniform_modes (gaussian) or _spin */
    const size_t *N;
    size_t nN;
    double beta_min, beta_max, tol;
    size_t scan, modes;
} phase_config;
int phase_report(const phase_config *c, FILE *fp, char *err);

#endif
