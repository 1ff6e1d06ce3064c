#include "theory/phase.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

#include "core/err.h"
#include "core/marg.h"
#include "core/models.h"

/* Fixed point located to this relative accuracy in a (Brent). */
#define PHASE_A_RTOL 1e-13
#define PHASE_MAX_ITER 200

typedef struct {
    marg_ws *ws;
    double *w, *m;
    size_t N;
    double lambda0;
    int failed;
    char *err;
} fp_ctx;

static const unit_params phase_unit = {UNIT_GAUSSIAN, 1.0, 0.0, 1.0, 0.0};

/* F(a) = lambda_0 a - <h tanh(a h)>: positive below the fixed point */
static double fp_residual(double a, void *par)
{
    fp_ctx *c = par;
    for (size_t i = 0; i < c->N; i++)
        c->w[i] = a;
    if (marg_eval(c->ws, &phase_unit, c->w, NULL, c->m, NULL, NULL, c->err)) {
        c->failed = 1;
        return GSL_NAN;
    }
    return c->lambda0 * a - c->m[0];
}

int phase_uniform(const ring_model *rm, phase_point *pt, char *err)
{
    size_t N = rm->N;
    double lam0 = rm->lambda[0];
    if (!(lam0 > 1.0))
        return sym_error(err, SYM_EINVAL,
                         "lambda_0 = %g <= 1: no uniform fixed point besides w = 0", lam0);
    fp_ctx c = {marg_alloc(N), malloc(N * sizeof(double)), malloc(N * sizeof(double)), N, lam0,
                0, err};
    int st = SYM_OK;
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!c.ws || !c.w || !c.m || !s) {
        st = sym_error(err, SYM_ENOMEM, "phase_uniform: out of memory");
        goto done;
    }
    /* bracket: F > 0 for small a (m ≈ a / (1 - N a^2)), F < 0 for large a
     * (m -> N a); start both ends from the scale 1/sqrt(N) */
    double lo = 1e-3 / sqrt((double)N), hi = 1.0 / sqrt((double)N);
    while (fp_residual(lo, &c) <= 0.0 && !c.failed && lo > 1e-300)
        lo *= 0.1;
    while (fp_residual(hi, &c) >= 0.0 && !c.failed && hi < 1e6)
        hi *= 2.0;
    if (c.failed) {
        st = sym_context(err, SYM_ENUM, "phase_uniform");
        goto done;
    }
    gsl_function F = {fp_residual, &c};
    gsl_root_fsolver_set(s, &F, lo, hi);
    double a = 0.5 * (lo + hi);
    int it;
    for (it = 0; it < PHASE_MAX_ITER; it++) {
        gsl_root_fsolver_iterate(s);
        if (c.failed) {
            st = sym_context(err, SYM_ENUM, "phase_uniform");
            goto done;
        }
        a = gsl_root_fsolver_root(s);
        if (gsl_root_test_interval(gsl_root_fsolver_x_lower(s), gsl_root_fsolver_x_upper(s), 0.0,
                                   PHASE_A_RTOL) == GSL_SUCCESS)
            break;
    }
    if (it == PHASE_MAX_ITER) {
        st = sym_error(err, SYM_ENUM, "phase_uniform: fixed point not converged");
        goto done;
    }
    /* <h^2 sech^2(a h)> on the quadrature of the fixed point */
    fp_residual(a, &c);
    const double *h, *p;
    size_t n;
    marg_nodes(c.ws, &h, &p, &n);
    double d = 0.0;
    for (size_t k = 0; k < n; k++) {
        double t = tanh(a * h[k]);
        d += p[k] * h[k] * h[k] * (1.0 - t * t);
    }
    pt->a = a;
    pt->norm2 = (double)N * a * a;
    pt->sech2 = d;
    pt->mu_max = -INFINITY;
    pt->k_max = 1;
    /* lambda_k = lambda_{N-k}: the smaller k of each pair is reported */
    for (size_t k = 1; k <= N / 2; k++)
        if (rm->lambda[k] - d > pt->mu_max) {
            pt->mu_max = rm->lambda[k] - d;
            pt->k_max = k;
        }
done:
    gsl_root_fsolver_free(s);
    marg_free(c.ws);
    free(c.w);
    free(c.m);
    return st;
}

typedef struct {
    size_t N;
    int failed;
    char *err;
} bc_ctx;

static double mu_of_beta(double beta, void *par)
{
    bc_ctx *c = par;
    ring_params p;
    ring_params_default(&p);
    p.type = &ring_ising;
    p.N = c->N;
    p.val[ring_key_index("beta")] = beta;
    ring_model *rm = NULL;
    phase_point pt;
    if (ring_alloc(&rm, &p, c->err) || phase_uniform(rm, &pt, c->err)) {
        ring_free(rm);
        c->failed = 1;
        return GSL_NAN;
    }
    ring_free(rm);
    return pt.mu_max;
}

int phase_beta_c(size_t N, double beta_lo, double beta_hi, size_t scan, double tol,
                 double *beta_c, char *err)
{
    if (!(beta_lo > 0 && beta_hi > beta_lo) || scan < 2 || !(tol > 0))
        return sym_error(err, SYM_EINVAL, "phase_beta_c: bad range [%g, %g] (scan %zu, tol %g)",
                         beta_lo, beta_hi, scan, tol);
    bc_ctx c = {N, 0, err};
    /* scan from the top down for the last sign change + (below) -> - (above) */
    double b1 = beta_hi, f1 = mu_of_beta(b1, &c), b0 = b1, f0 = f1;
    int found = 0;
    for (size_t j = scan - 1; j-- > 0 && !c.failed;) {
        b0 = beta_lo + (beta_hi - beta_lo) * (double)j / (double)(scan - 1);
        f0 = mu_of_beta(b0, &c);
        if (f0 > 0.0 && f1 <= 0.0) {
            found = 1;
            break;
        }
        b1 = b0;
        f1 = f0;
    }
    if (c.failed)
        return sym_context(err, SYM_ENUM, "phase_beta_c");
    if (!found)
        return sym_error(err, SYM_ENUM,
                         "N = %zu: the symmetric state does not change stability for beta in "
                         "[%g, %g]", N, beta_lo, beta_hi);
    gsl_function F = {mu_of_beta, &c};
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_bisection);
    if (!s)
        return sym_error(err, SYM_ENOMEM, "phase_beta_c: out of memory");
    gsl_root_fsolver_set(s, &F, b0, b1);
    int st = SYM_OK;
    for (int it = 0; it < PHASE_MAX_ITER; it++) {
        gsl_root_fsolver_iterate(s);
        if (c.failed) {
            st = sym_context(err, SYM_ENUM, "phase_beta_c");
            break;
        }
        double lo = gsl_root_fsolver_x_lower(s), hi = gsl_root_fsolver_x_upper(s);
        if (hi - lo < tol) {
            *beta_c = 0.5 * (lo + hi);
            break;
        }
    }
    gsl_root_fsolver_free(s);
    return st;
}
