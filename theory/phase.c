#include "theory/phase.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

#include "core/err.h"
#include "core/marg.h"
#include "core/models.h"

/* Fixed point located to this relative accuracy in a (Brent). */
#define PHASE_A_RTOL 1e-13
#define PHASE_MAX_ITER 200
/* The bracket search for the fixed point: a is shrunk by 10 down to
 * PHASE_A_MIN and doubled up to PHASE_A_MAX (far beyond any physical
 * a ~ 1/sqrt(N); lambda_0 just below N puts it large). */
#define PHASE_A_MIN 1e-300
#define PHASE_A_MAX 1e6

typedef struct {
    marg_ws *ws;
    double *w, *m;
    size_t N;
    double lambda0;
    int failed;
    char *err;
} fp_ctx;

static const unit_params phase_unit = {&unit_gaussian, 1.0, 0.0, 1.0, 0.0};

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
    return phase_uniform_modes(rm, pt, NULL, err);
}

int phase_uniform_modes(const ring_model *rm, phase_point *pt, double *mu, char *err)
{
    size_t N = rm->N;
    double lam0 = rm->lambda[0];
    if (!(lam0 > 1.0))
        return sym_error(err, SYM_EINVAL,
                         "lambda_0 = %g <= 1: no uniform fixed point besides w = 0", lam0);
    /* p(h) is a mixture of unit gaussians at (N - 2k) a, so <h tanh(a h)> =
     * a sum_k pi_k (N - 2k)^2 / N < N a: with lambda_0 >= N (frozen data,
     * C(r) = 1 to double precision) F(a) > 0 for every a and the weights
     * grow without bound */
    if (!(lam0 < (double)N))
        return sym_error(err, SYM_EINVAL,
                         "lambda_0 = %.17g >= N = %zu (C(r) = 1: frozen data): no uniform fixed "
                         "point, the weights grow without bound",
                         lam0, N);
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
    double lo = 1e-3 / sqrt((double)N), hi = 1.0 / sqrt((double)N), flo, fhi;
    while ((flo = fp_residual(lo, &c)) <= 0.0 && !c.failed && lo > PHASE_A_MIN)
        lo *= 0.1;
    while ((fhi = fp_residual(hi, &c)) >= 0.0 && !c.failed && hi < PHASE_A_MAX)
        hi *= 2.0;
    if (c.failed) {
        st = sym_context(err, SYM_ENUM, "phase_uniform");
        goto done;
    }
    /* Brent needs a sign change; GSL would only report EINVAL */
    if (!((flo >= 0.0 && fhi <= 0.0) || (flo <= 0.0 && fhi >= 0.0))) {
        st = sym_error(err, SYM_ENUM,
                       "phase_uniform: no fixed point bracketed: lambda_0 a - <h tanh(a h)> "
                       "keeps its sign for a in [%g, %g] (lambda_0 = %.17g, N = %zu)",
                       lo, hi, lam0, N);
        goto done;
    }
    gsl_function F = {fp_residual, &c};
    int gst = gsl_root_fsolver_set(s, &F, lo, hi);
    if (gst) {
        st = sym_error(err, SYM_ENUM, "phase_uniform: root finder: %s", gsl_strerror(gst));
        goto done;
    }
    double a = 0.5 * (lo + hi);
    int it;
    for (it = 0; it < PHASE_MAX_ITER; it++) {
        gst = gsl_root_fsolver_iterate(s);
        if (c.failed) {
            st = sym_context(err, SYM_ENUM, "phase_uniform");
            goto done;
        }
        if (gst) {
            st = sym_error(err, SYM_ENUM, "phase_uniform: root finder: %s", gsl_strerror(gst));
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
    for (size_t k = 1; k <= N / 2; k++) {
        if (mu)
            mu[k] = rm->lambda[k] - d;
        if (rm->lambda[k] - d > pt->mu_max) {
            pt->mu_max = rm->lambda[k] - d;
            pt->k_max = k;
        }
    }
done:
    gsl_root_fsolver_free(s);
    marg_free(c.ws);
    free(c.w);
    free(c.m);
    return st;
}

typedef struct {
    const ring_params *tmpl;   /* the model; its beta is varied */
    phase_uniform_fn uniform;
    int failed, status;   /* status: the SYM_* code of the first failure */
    char *err;
} bc_ctx;

static double mu_of_beta(double beta, void *par)
{
    bc_ctx *c = par;
    ring_params p = *c->tmpl;
    p.val[ring_key_index("beta")] = beta;
    ring_model *rm = NULL;
    phase_point pt = {0};
    int st = ring_alloc(&rm, &p, c->err);
    if (!st)
        st = c->uniform(rm, &pt, NULL, c->err);
    if (st) {
        ring_free(rm);
        if (!c->failed) {   /* the first failure is the one reported */
            char where[64];
            snprintf(where, sizeof where, "beta = %g", beta);
            sym_context(c->err, st, where);
            c->status = st;
        }
        c->failed = 1;
        return GSL_NAN;
    }
    ring_free(rm);
    return pt.mu_max;
}

int phase_beta_c(size_t N, double beta_lo, double beta_hi, size_t scan, double tol,
                 double *beta_c, char *err)
{
    ring_params p;
    ring_params_default(&p);
    p.type = &ring_ising;
    p.N = N;
    return phase_beta_c_model(&p, phase_uniform_modes, beta_lo, beta_hi, scan, tol, beta_c, err);
}

int phase_beta_c_model(const ring_params *tmpl, phase_uniform_fn uniform, double beta_lo,
                       double beta_hi, size_t scan, double tol, double *beta_c, char *err)
{
    if (ring_key_index("beta") < 0 || !ring_type_has(tmpl->type, "beta"))
        return sym_error(err, SYM_EINVAL, "phase_beta_c: data model %s has no parameter beta",
                         tmpl->type->name);
    if (!(beta_lo > 0 && beta_hi > beta_lo) || !isfinite(beta_hi))
        return sym_error(err, SYM_EINVAL, "phase_beta_c: beta range [%g, %g]: need 0 < lo < hi",
                         beta_lo, beta_hi);
    if (scan < 2 || scan > PHASE_SCAN_MAX)
        return sym_error(err, SYM_EINVAL,
                         "phase_beta_c: scan = %zu points: need 2 <= scan <= %d (each point "
                         "solves for a fixed point)",
                         scan, PHASE_SCAN_MAX);
    if (!(tol > 0))
        return sym_error(err, SYM_EINVAL, "phase_beta_c: tol = %g: need tol > 0", tol);
    bc_ctx c = {tmpl, uniform ? uniform : phase_uniform_modes, 0, SYM_OK, err};
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
        return sym_context(err, c.status, "phase_beta_c");
    if (!found)
        return sym_error(err, SYM_ENUM,
                         "N = %zu: the symmetric state does not change stability for beta in "
                         "[%g, %g]", tmpl->N, beta_lo, beta_hi);
    gsl_function F = {mu_of_beta, &c};
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_bisection);
    if (!s)
        return sym_error(err, SYM_ENOMEM, "phase_beta_c: out of memory");
    int gst = gsl_root_fsolver_set(s, &F, b0, b1);
    if (c.failed || gst) {
        gsl_root_fsolver_free(s);
        if (c.failed)
            return sym_context(err, c.status, "phase_beta_c");
        return sym_error(err, SYM_ENUM, "phase_beta_c: bisection: %s", gsl_strerror(gst));
    }
    /* the bracket halves each iteration until it is below tol, or until it
     * stops shrinking: then tol is finer than double precision resolves at
     * beta_c, and no iteration count would reach it */
    int st = SYM_ENUM, it;
    double lo = b0, hi = b1;
    for (it = 0; it < PHASE_MAX_ITER; it++) {
        gst = gsl_root_fsolver_iterate(s);
        if (c.failed) {
            st = sym_context(err, c.status, "phase_beta_c");
            break;
        }
        if (gst) {
            st = sym_error(err, SYM_ENUM, "phase_beta_c: bisection: %s", gsl_strerror(gst));
            break;
        }
        double nlo = gsl_root_fsolver_x_lower(s), nhi = gsl_root_fsolver_x_upper(s);
        if (nhi - nlo < tol) {
            *beta_c = 0.5 * (nlo + nhi);
            st = SYM_OK;
            break;
        }
        if (!(nhi - nlo < hi - lo)) {
            it++;
            break;
        }
        lo = nlo;
        hi = nhi;
    }
    if (st == SYM_ENUM && !c.failed && !gst)
        st = sym_error(err, SYM_ENUM,
                       "phase_beta_c: bisection did not reach tol = %g in %d iterations (bracket "
                       "[%.17g, %.17g] at the resolution of double precision)",
                       tol, it, lo, hi);
    gsl_root_fsolver_free(s);
    return st;
}
