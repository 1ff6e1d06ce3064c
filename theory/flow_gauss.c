/* The gaussian hidden-unit family of theory/flow (SPEC.md 3a): M = 1.
 *
 * Data term: C w, diagonal in Fourier space (Lambda_k = lambda_k, no
 * nonlinear part).  Model term: core/marg's exact 1-D integral over p(h),
 * its Jacobian diag(d) + low rank through p(h), and for the preconditioner
 * the mean of d on every mode.  Log-likelihood:
 *     L = w^T C w / 2 + sum_i g_i <v_i> - log Z_RBM.
 *
 * One marg workspace serves the right-hand side, the Jacobian set-up, the
 * log-likelihood and flow_gradient, in the order the flow calls them: marg
 * warm-starts its peak search from the previous call, so that order is
 * part of the numbers (an Adams run at N = 50 takes 15x more steps if the
 * log-likelihood at the snapshots uses a workspace of its own).
 */
#include <math.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/marg.h"
#include "theory/flow_family.h"

typedef struct {
    size_t N;
    const ring_model *data;
    const flow_fft *fft;
    unit_params unit;
    marg_ws *mw;
    double *m;      /* model term at the Jacobian's point                 */
    double *hc;     /* half-complex scratch of the log-likelihood         */
} gauss_ctx;

static void gauss_free(void *ctx)
{
    gauss_ctx *c = ctx;
    if (!c)
        return;
    marg_free(c->mw);
    free(c->m);
    free(c->hc);
    free(c);
}

static int gauss_alloc(void **ctx, const flow_family_args *a, char *err)
{
    *ctx = NULL;
    size_t N = a->data->N;
    gauss_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return sym_error(err, SYM_ENOMEM, "out of memory");
    c->N = N;
    c->data = a->data;
    c->fft = a->fft;
    c->unit = *a->unit;
    c->mw = marg_alloc(N);
    c->m = malloc(N * sizeof *c->m);
    c->hc = malloc(N * sizeof *c->hc);
    if (!c->mw || !c->m || !c->hc || marg_set_team(c->mw, a->tm)) {
        gauss_free(c);
        return sym_error(err, SYM_ENOMEM, "out of memory (N = %zu)", N);
    }
    *ctx = c;
    return SYM_OK;
}

static size_t gauss_units(const void *ctx)
{
    (void)ctx;
    return 1;
}

/* lambda in half-complex order: element k and N-k both hold mode k
 * (lambda_k = lambda_{N-k}, C is symmetric) */
static void gauss_data_lin(const void *ctx, double *lam)
{
    const gauss_ctx *c = ctx;
    for (size_t k = 0; k < c->N; k++)
        lam[k] = c->data->lambda[k];
}

static int gauss_model_eval(void *ctx, const double *w, const double *g, double *m, double *mv,
                            char *err)
{
    gauss_ctx *c = ctx;
    return marg_eval(c->mw, &c->unit, w, g, m, mv, NULL, err);
}

/* The model Jacobian (core/marg) frozen at (w, g): diagonal plus a low-rank
 * part through p(h).  Its diagonal is not circulant; its mean is the
 * circulant part the preconditioner keeps, on every mode. */
static int gauss_model_jac_setup(void *ctx, const double *w, const double *g, double *pm,
                                 char *err)
{
    gauss_ctx *c = ctx;
    int st = marg_eval(c->mw, &c->unit, w, g, c->m, NULL, NULL, err);
    if (st)
        return st;
    st = marg_jac_prepare(c->mw, w, g, c->m, err);
    if (st)
        return st;
    double dbar = marg_jac_diag_mean(c->mw);
    for (size_t k = 0; k < c->N; k++)
        pm[k] = dbar;
    return SYM_OK;
}

static void gauss_model_jac_apply(void *ctx, const double *v, double *out)
{
    gauss_ctx *c = ctx;
    marg_jac_apply(c->mw, v, out);
}

static int gauss_loglik(void *ctx, const double *w, const double *g, double *L, char *err)
{
    gauss_ctx *c = ctx;
    size_t N = c->N;
    const double *lam = c->data->lambda;
    marg_stats st;
    int s = marg_eval(c->mw, &c->unit, w, g, NULL, NULL, &st, err);
    if (s)
        return s;
    /* w^T C w = (1/N) sum_{k=0}^{N-1} lambda_k |w^_k|^2; in half-complex
     * order slot k (1 <= k < N/2) holds Re w^_k and slot N-k holds Im w^_k,
     * and the mode N-k (its conjugate) counts once more */
    flow_fft_forward(c->fft, w, c->hc);
    double q = lam[0] * c->hc[0] * c->hc[0];
    for (size_t k = 1; k < N; k++) {
        int self = (2 * k == N); /* the Nyquist mode of even N is real */
        q += (self ? 1.0 : 2.0) * lam[k] * c->hc[k] * c->hc[k];
    }
    q /= (double)N;
    double gv = 0.0;
    if (g)
        for (size_t i = 0; i < N; i++)
            gv += g[i] * c->data->mean;
    /* Gamma(I) = I^2/2 + log(2 pi)/2 for the standard gaussian unit, the
     * same constant marg's log Z carries */
    *L = 0.5 * q + 0.5 * log(2.0 * M_PI) + gv - st.logZ;
    return SYM_OK;
}

const flow_family flow_family_gaussian = {
    .name = "gaussian",
    .alloc = gauss_alloc,
    .free = gauss_free,
    .units = gauss_units,
    .data_lin = gauss_data_lin,
    .data_eval = NULL,
    .data_jac_setup = NULL,
    .data_jac_apply = NULL,
    .model_eval = gauss_model_eval,
    .model_jac_setup = gauss_model_jac_setup,
    .model_jac_apply = gauss_model_jac_apply,
    .loglik = gauss_loglik,
};
