/* flow_family: the hidden-unit family seam of theory/flow (SPEC.md 3a, 3b).
 *
 * theory/flow integrates, for M hidden units with weight profiles w_mu
 * (N sites each, unit-major: w[mu N + i]) and visible fields g,
 *     dw_mu/dt = D_mu(w) - m_mu(w, g) - l2 w_mu                (data - model)
 *     dg/dt    = <v>_data - <v>_model(w, g)                    (fields learned)
 * in Fourier modes, with CVODE.  The integrator knows nothing of the hidden
 * units: a family supplies the two terms and the log-likelihood, each with
 * the structure the Newton-Krylov solver exploits.
 *   - Data term D(w) = Lambda w + D_nl(w): a linear part diagonal in Fourier
 *     space (3a, one gaussian unit: C w, Lambda_k = lambda_k, D_nl = 0) plus
 *     an optional nonlinear real-space part (3b, binary units:
 *     <v_i tanh(I_mu - theta_mu)>_data, Lambda = 0).
 *   - Model term m(w, g) = <v_i h_mu>_model and <v_i>_model (3a: core/marg's
 *     1-D integral; 3b: the 2^M sum).
 *   - For each nonlinear term, a Jacobian frozen at a point (setup), its
 *     product with a vector (apply, analytic J v) and a diagonal of it in
 *     Fourier space (the preconditioner P = I - gamma (pd - pm - l2)).
 * The state is M x N half-complex modes (+ N for the fields); M is the
 * family's (units()).  <v>_data is the data model's mean, not the family's.
 *
 * A family is a const table (the gsl_rng_type pattern); its per-flow state
 * is a context made by alloc.  Every function that evaluates gets real-space
 * arrays of M x N (w, v, outputs) and N (g, mv); g may be NULL (= 0).
 */
#ifndef SYM_FLOW_FAMILY_H
#define SYM_FLOW_FAMILY_H

#include <stddef.h>
#include "core/ring.h"
#include "core/unit.h"

/* The flow's transforms of length N (FFTW plans made once by flow). */
typedef struct flow_fft flow_fft;

/* hc = the half-complex (FFTW r2hc, unnormalised) spectrum of x; x intact.
 * Any arrays of N doubles (no alignment needed). */
void flow_fft_forward(const flow_fft *t, const double *x, double *hc);

/* The hidden units beyond their kind: how many, and their (fixed) fields.
 * M = 0 is the family's default (1); theta NULL is theta_mu = 0.  The
 * gaussian family has M = 1 and ignores theta (its unit potential carries
 * it); binary units (3b) take any 1 <= M <= FLOW_SPIN_M_MAX. */
typedef struct {
    size_t M;
    const double *theta;      /* M values, U_mu(h) = theta_mu h (not owned)  */
} flow_hidden;

typedef struct {
    const ring_model *data;   /* data model: N, spectrum, mean (not owned)   */
    const unit_params *unit;  /* the hidden units' potential U(h)            */
    const flow_fft *fft;      /* the flow's transforms (not owned); usable
                               * from the first call after alloc             */
    int learn_fields;         /* the state carries the fields g              */
    const flow_hidden *units; /* M and theta; NULL: the family's defaults    */
    struct team *tm;          /* threads for the model term's site loops
                               * (flow_params.threads; not owned), or NULL   */
} flow_family_args;

typedef struct flow_family {
    const char *name;

    /* Context for one flow; SYM_OK, or a status with a message. */
    int (*alloc)(void **ctx, const flow_family_args *a, char *err);
    void (*free)(void *ctx);
    /* M, the number of hidden units (>= 1): the state holds M x N modes. */
    size_t (*units)(const void *ctx);

    /* Data term.  data_lin: Lambda_k for every unit, M x N in half-complex
     * order (called once; NULL: Lambda = 0).  data_eval: D_nl(w), real space
     * (NULL: D_nl = 0; then the three below are unused and may be NULL).
     * data_jac_setup freezes dD_nl/dw at w and writes pd (M x N), a diagonal
     * in Fourier space of the whole data Jacobian Lambda + dD_nl/dw;
     * data_jac_apply: out = (dD_nl/dw) v at the frozen point.  With
     * data_eval NULL, pd = Lambda. */
    void (*data_lin)(const void *ctx, double *lam);
    int (*data_eval)(void *ctx, const double *w, double *d, char *err);
    int (*data_jac_setup)(void *ctx, const double *w, double *pd, char *err);
    void (*data_jac_apply)(void *ctx, const double *v, double *out);

    /* Model term.  model_eval: m (M x N) and mv = <v_i>_model (N; NULL: not
     * wanted).  model_jac_setup freezes dm/dw at (w, g), fields held fixed,
     * and writes pm (M x N), a diagonal of it in Fourier space;
     * model_jac_apply: out = (dm/dw) v at the frozen point.  Fields have no
     * analytic Jacobian: with learned fields CVODE takes difference
     * quotients (and P is the identity on the field modes). */
    int (*model_eval)(void *ctx, const double *w, const double *g, double *m, double *mv,
                      char *err);
    int (*model_jac_setup)(void *ctx, const double *w, const double *g, double *pm, char *err);
    void (*model_jac_apply)(void *ctx, const double *v, double *out);

    /* Exact log-likelihood per sample at (w, g) (SPEC.md 3a, 3b). */
    int (*loglik)(void *ctx, const double *w, const double *g, double *L, char *err);
} flow_family;

/* SPEC.md 3a: one gaussian hidden unit (theory/flow_gauss.c). */
extern const flow_family flow_family_gaussian;
/* SPEC.md 3b: M binary +-1 hidden units (theory/flow_spin.c, flow_spin.h). */
extern const flow_family flow_family_spin;

#endif
