/* flow: the infinite-data gradient flow of one gaussian hidden unit
 * (SPEC.md section 3), integrated with SUNDIALS CVODE in Fourier modes.
 *
 * State: the N real numbers of the half-complex (FFTW r2hc) spectrum of w,
 * followed by that of the fields g when they are learned.  Right-hand side:
 *     d w^_k/dt = lambda_k w^_k - FFT[m(w, g)]_k - l2 w^_k
 *     d g^_k/dt = FFT[<v>_data - <v>_model]_k            (--fields learn)
 * with m_i = <v_i h>_model from core/marg (the exact 1-D integral).
 */
#ifndef SYM_FLOW_H
#define SYM_FLOW_H

#include <stddef.h>
#include <stdio.h>
#include "core/ring.h"

typedef enum { FLOW_ADAMS = 0, FLOW_BDF = 1 } flow_method;

typedef struct {
    const ring_model *data;   /* spectrum lambda_k, mean, entropy (not owned) */
    int learn_fields;         /* integrate the fields too                     */
    double l2;                /* L2 penalty: dw/dt -= l2 w                    */
    double rtol, atol;        /* CVODE tolerances                             */
    flow_method method;
} flow_params;

typedef struct flow flow;

/* Set up the integrator at t = 0 from w0 (length N) and g0 (NULL = 0). */
int flow_alloc(flow **out, const flow_params *p, const double *w0, const double *g0, char *err);
void flow_free(flow *f);

/* Integrate to tout (> current time).  Fails with SYM_ENUM on a solver error
 * or a non-finite state. */
int flow_advance(flow *f, double tout, char *err);

/* Current time, weights and fields in real space (g may be NULL). */
double flow_time(const flow *f);
void flow_state(flow *f, double *w, double *g);

/* Right-hand side evaluations so far, every call counted (CVODE's steps,
 * and with BDF also its difference-quotient Jacobian-vector products). */
long flow_nrhs(const flow *f);

/* CVODE counters: steps, Newton iterations, Krylov iterations (0 for
 * Adams), preconditioner set-ups (Jacobian tabulations). */
typedef struct {
    long steps, newton, krylov, psetups, rhs;
} flow_counters;
void flow_stats(const flow *f, flow_counters *c);

/* Real-space gradient flow at (w, g): dw = C w - m(w, g) - l2 w,
 * dg = <v>_data - <v>_model (dg may be NULL). */
int flow_gradient(flow *f, const double *w, const double *g, double *dw, double *dg, char *err);

/* Exact log-likelihood per sample at (w, g) (SPEC.md 3):
 * L = w^T C w / 2 + sum_i g_i <v_i> - log Z_RBM. */
int flow_loglik(flow *f, const double *w, const double *g, double *L, char *err);

#endif
