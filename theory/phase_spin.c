/* phase_spin: the uniform fixed point of one binary +-1 hidden unit and its
 * per-mode stability (SPEC.md 3b, "symmetric phase"; theory/phase.h
 * phase_uniform_spin).
 *
 * With zero fields the model term of one binary unit is tanh(w_i), so at a
 * uniform profile w_i = a the flow is D(a) - tanh(a), D(a) = <v_i tanh(a
 * sum_j v_j)>_data the exact data term of theory/flow_spin.  Its Jacobian
 * there is circulant (the data are translation invariant): mode k has
 * eigenvalue mu_k = J_k - sech^2(a), J_k the k-th Fourier coefficient of
 * E[v_0 v_r sech^2(a sum v)].  Both come from the flow itself (flow_rhs,
 * flow_jtimes on the half-complex state), so phase and theory share one data
 * term: in the half-complex basis a circulant Jacobian is diagonal, and
 * mu_k is the k-th diagonal element.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

#include "core/err.h"
#include "theory/flow.h"
#include "theory/flow_spin.h"
#include "theory/phase.h"

typedef struct {
    flow *f;
    size_t N;
    double *y, *dy;
    int status;
    char *err;
} uni_ctx;

/* The k = 0 component of the flow at w_i = a, per site: D(a) - tanh(a). */
static double uniform_rhs(double a, void *p)
{
    uni_ctx *c = p;
    memset(c->y, 0, c->N * sizeof *c->y);
    c->y[0] = (double)c->N * a;   /* r2hc of a constant */
    int st = flow_rhs(c->f, c->y, c->dy, c->err);
    if (st && !c->status)
        c->status = st;
    return st ? GSL_NAN : c->dy[0] / (double)c->N;
}

/* Largest uniform weight searched: D(a) < 1 while tanh(a) -> 1, so the root
 * has a = atanh(D(a)) of order one unless the data are nearly frozen. */
#define PHASE_SPIN_AMAX 50.0

int phase_uniform_spin(const ring_model *m, phase_point *pt, double *mu, char *err)
{
    size_t N = m->N;
    if (!(m->lambda[0] > 1))
        return sym_error(err, SYM_EINVAL, "lambda_0 = %.17g <= 1: no uniform fixed point besides "
                         "w = 0", m->lambda[0]);
    flow_params fp = {m, 0, 0.0, 1e-8, 1e-10, FLOW_BDF, &flow_family_spin, 0};
    flow_hidden hu = {1, NULL};
    uni_ctx c = {NULL, N, calloc(N, sizeof(double)), calloc(N, sizeof(double)), SYM_OK, err};
    double *v = calloc(N, sizeof *v), *jv = calloc(N, sizeof *jv), *w0 = calloc(N, sizeof *w0);
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    int st = !c.y || !c.dy || !v || !jv || !w0 || !s
                 ? sym_error(err, SYM_ENOMEM, "phase_uniform_spin: out of memory (N = %zu)", N)
                 : flow_alloc_units(&c.f, &fp, &hu, w0, NULL, err);
    if (st)
        goto done;
    /* bracket the nonzero root: F > 0 for small a (the linear regime grows
     * at lambda_0 - 1), F < 0 once tanh(a) exceeds the data term */
    double lo = 1e-3 / sqrt((double)N), hi = lo, flo = uniform_rhs(lo, &c), fhi = flo;
    while (!c.status && fhi > 0 && hi < PHASE_SPIN_AMAX) {
        lo = hi;
        flo = fhi;
        hi *= 2;
        fhi = uniform_rhs(hi, &c);
    }
    if (c.status) {
        st = sym_context(err, c.status, "phase_uniform_spin");
        goto done;
    }
    if (!(flo > 0 && fhi < 0)) {
        st = sym_error(err, SYM_ENUM, "phase_uniform_spin: no sign change of D(a) - tanh(a) for a "
                       "up to %g", hi);
        goto done;
    }
    gsl_function F = {uniform_rhs, &c};
    gsl_root_fsolver_set(s, &F, lo, hi);
    double a = 0.5 * (lo + hi);
    int gst = GSL_CONTINUE;
    for (int it = 0; it < 200 && gst == GSL_CONTINUE && !c.status; it++) {
        if ((gst = gsl_root_fsolver_iterate(s)))
            break;
        a = gsl_root_fsolver_root(s);
        gst = gsl_root_test_interval(gsl_root_fsolver_x_lower(s), gsl_root_fsolver_x_upper(s),
                                     0, 1e-14);
    }
    if (c.status || gst != GSL_SUCCESS) {
        st = c.status ? sym_context(err, c.status, "phase_uniform_spin")
                      : sym_error(err, SYM_ENUM, "phase_uniform_spin: root: %s", gsl_strerror(gst));
        goto done;
    }
    /* the Jacobian at w = a, mode by mode (diagonal in the half-complex basis) */
    memset(c.y, 0, N * sizeof *c.y);
    c.y[0] = (double)N * a;
    double sech2 = 1.0 / (cosh(a) * cosh(a));
    pt->a = a;
    pt->norm2 = (double)N * a * a;
    pt->sech2 = sech2;
    pt->mu_max = -INFINITY;
    pt->k_max = 0;
    for (size_t k = 1; k <= N / 2 && !st; k++) {
        memset(v, 0, N * sizeof *v);
        v[k] = 1.0;
        if ((st = flow_jtimes(c.f, c.y, v, jv, err)))
            break;
        if (mu)
            mu[k] = jv[k];
        if (jv[k] > pt->mu_max) {
            pt->mu_max = jv[k];
            pt->k_max = k;
        }
    }
done:
    flow_free(c.f);
    gsl_root_fsolver_free(s);
    free(c.y);
    free(c.dy);
    free(v);
    free(jv);
    free(w0);
    return st;
}
