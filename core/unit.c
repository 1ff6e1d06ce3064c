/* unit: hidden-unit potentials, their cumulant function Gamma and exact
 * conditional sampling (SPEC.md 1; conventions in core/unit.h).
 *
 * Every continuous kind is built from one-sided Gaussian integrals
 *     A(gamma, x) = log int_0^inf du exp(-gamma u^2/2 + x u)
 *                 = -log(gamma)/2 + log R(y),   y = -x / sqrt(gamma),
 * with R(y) = Q(y)/phi(y) the Mills ratio of the standard normal.  For
 * y < UNIT_Y_CF the closed form through erfc is accurate (no cancellation);
 * beyond it R and the truncated-normal moments come from the Mills-ratio
 * continued fraction, which stays accurate as y -> +infinity where the
 * direct forms (lambda - y, 1 - lambda (lambda - y)) cancel catastrophically.
 * Only libm's erfc is used, so no GSL error handler can fire on underflow.
 */
#include "core/unit.h"

#include <math.h>
#include <string.h>
#include <gsl/gsl_randist.h>

#include "core/err.h"

/* Above this y the Mills ratio and moments come from the continued fraction.
 * At y = 3 the direct forms lose at most ~1 digit, and the fraction below
 * converges to < 1e-16 relative with UNIT_CF_DEPTH terms (checked against the
 * erfc form in tests/test_unit.c over the overlap 3 <= y <= 6). */
#define UNIT_Y_CF 3.0
/* Terms of the backward-evaluated continued fraction; its truncation error at
 * y = 3 is far below double rounding with 400 terms. */
#define UNIT_CF_DEPTH 400

static const double LOG_SQRT_2PI = 0.91893853320467274178; /* log sqrt(2 pi) */

/* One side: log integral, mean and variance of u >= 0 under
 * exp(-gamma u^2/2 + x u). */
typedef struct {
    double logA, mean, var;
} side_moments;

/* f1 = 1/(y + 2/(y + 3/(y + ...))), f2 = 2/(y + 3/(y + ...)) */
static void mills_cf(double y, double *f1, double *f2)
{
    double f = 0.0;
    for (int k = UNIT_CF_DEPTH; k >= 2; k--)
        f = k / (y + f);
    *f2 = f;
    *f1 = 1.0 / (y + f);
}

static void side_eval(double gamma, double x, side_moments *s)
{
    double sg = sqrt(gamma);
    double y = -x / sg;
    double logR, m, v;
    if (y >= UNIT_Y_CF) {
        /* standardised s = t - y, t ~ N(0,1) conditioned on t > y:
         * E[s] = f1, Var[s] = f1 (f2 - f1), R(y) = 1/(y + f1) */
        double f1, f2;
        mills_cf(y, &f1, &f2);
        logR = -log(y + f1);
        m = f1;
        v = f1 * (f2 - f1);
    } else {
        double Q = 0.5 * erfc(y / M_SQRT2);
        logR = log(Q) + 0.5 * y * y + LOG_SQRT_2PI;
        double lambda = exp(-logR);     /* hazard phi(y)/Q(y) */
        m = lambda - y;
        v = 1.0 - lambda * m;
    }
    s->logA = -0.5 * log(gamma) + logR;
    s->mean = m / sg;
    s->var = v / gamma;
}

void unit_params_default(unit_params *u, unit_kind kind)
{
    u->kind = kind;
    u->gamma_p = u->gamma_m = 1.0;
    u->theta_p = u->theta_m = 0.0;
}

int unit_params_check(const unit_params *u, char *err)
{
    if (!u)
        return sym_error(err, SYM_EINVAL, "unit parameters missing");
    if (!isfinite(u->theta_p) || !isfinite(u->theta_m))
        return sym_error(err, SYM_EINVAL, "theta = %g, %g: must be finite", u->theta_p, u->theta_m);
    switch (u->kind) {
    case UNIT_SPIN:
        return SYM_OK;
    case UNIT_GAUSSIAN:
    case UNIT_RELU:
        if (!(u->gamma_p > 0) || !isfinite(u->gamma_p))
            return sym_error(err, SYM_EINVAL, "gamma = %g: must be > 0", u->gamma_p);
        return SYM_OK;
    case UNIT_DRELU:
        if (!(u->gamma_p > 0) || !isfinite(u->gamma_p))
            return sym_error(err, SYM_EINVAL, "gamma+ = %g: must be > 0", u->gamma_p);
        if (!(u->gamma_m > 0) || !isfinite(u->gamma_m))
            return sym_error(err, SYM_EINVAL, "gamma- = %g: must be > 0", u->gamma_m);
        return SYM_OK;
    }
    return sym_error(err, SYM_EINVAL, "unknown hidden-unit kind %d", (int)u->kind);
}

static const char *const unit_names[] = {"gaussian", "spin", "relu", "drelu"};

const char *unit_kind_name(unit_kind k)
{
    if ((unsigned)k < sizeof unit_names / sizeof unit_names[0])
        return unit_names[k];
    return "unknown";
}

int unit_kind_parse(const char *s, unit_kind *k, char *err)
{
    for (unsigned j = 0; j < sizeof unit_names / sizeof unit_names[0]; j++)
        if (s && !strcmp(s, unit_names[j])) {
            *k = (unit_kind)j;
            return SYM_OK;
        }
    return sym_error(err, SYM_EINVAL, "hidden-unit kind '%s': expected gaussian|spin|relu|drelu",
                     s ? s : "");
}

double unit_potential(const unit_params *u, double h)
{
    switch (u->kind) {
    case UNIT_GAUSSIAN:
        return 0.5 * u->gamma_p * h * h + u->theta_p * h;
    case UNIT_SPIN:
        return (h == 1.0 || h == -1.0) ? u->theta_p * h : INFINITY;
    case UNIT_RELU:
        return h >= 0 ? 0.5 * u->gamma_p * h * h + u->theta_p * h : INFINITY;
    case UNIT_DRELU:
        return h >= 0 ? 0.5 * u->gamma_p * h * h + u->theta_p * h
                      : 0.5 * u->gamma_m * h * h + u->theta_m * h;
    }
    return NAN;
}

/* drelu: the two sides, h = +u (x = I - theta+) and h = -u (x = theta- - I),
 * and the probability p of the positive side. */
static void drelu_sides(const unit_params *u, double I, side_moments *sp, side_moments *sm,
                        double *G, double *pp, double *pm)
{
    side_eval(u->gamma_p, I - u->theta_p, sp);
    side_eval(u->gamma_m, u->theta_m - I, sm);
    double hi = fmax(sp->logA, sm->logA);
    double lo = fmin(sp->logA, sm->logA);
    *G = hi + log1p(exp(lo - hi));
    *pp = exp(sp->logA - *G);
    *pm = exp(sm->logA - *G);
}

double unit_gamma(const unit_params *u, double I)
{
    switch (u->kind) {
    case UNIT_GAUSSIAN: {
        double x = I - u->theta_p;
        /* the constant keeps Gamma = log int exp(-U + hI) exactly (shared with marg) */
        return x * x / (2.0 * u->gamma_p) + 0.5 * log(2.0 * M_PI / u->gamma_p);
    }
    case UNIT_SPIN: {
        double a = fabs(I - u->theta_p);
        return a + log1p(exp(-2.0 * a));
    }
    case UNIT_RELU: {
        side_moments s;
        side_eval(u->gamma_p, I - u->theta_p, &s);
        return s.logA;
    }
    case UNIT_DRELU: {
        side_moments sp, sm;
        double G, pp, pm;
        drelu_sides(u, I, &sp, &sm, &G, &pp, &pm);
        return G;
    }
    }
    return NAN;
}

double unit_dgamma(const unit_params *u, double I)
{
    switch (u->kind) {
    case UNIT_GAUSSIAN:
        return (I - u->theta_p) / u->gamma_p;
    case UNIT_SPIN:
        return tanh(I - u->theta_p);
    case UNIT_RELU: {
        side_moments s;
        side_eval(u->gamma_p, I - u->theta_p, &s);
        return s.mean;
    }
    case UNIT_DRELU: {
        side_moments sp, sm;
        double G, pp, pm;
        drelu_sides(u, I, &sp, &sm, &G, &pp, &pm);
        return pp * sp.mean - pm * sm.mean;
    }
    }
    return NAN;
}

double unit_d2gamma(const unit_params *u, double I)
{
    switch (u->kind) {
    case UNIT_GAUSSIAN:
        return 1.0 / u->gamma_p;
    case UNIT_SPIN: {
        /* sech^2 = 4 e^{-2a} / (1 + e^{-2a})^2 keeps full relative accuracy
         * for large |I| where 1 - tanh^2 would round to 0 */
        double e = exp(-2.0 * fabs(I - u->theta_p));
        return 4.0 * e / ((1.0 + e) * (1.0 + e));
    }
    case UNIT_RELU: {
        side_moments s;
        side_eval(u->gamma_p, I - u->theta_p, &s);
        return s.var;
    }
    case UNIT_DRELU: {
        side_moments sp, sm;
        double G, pp, pm;
        drelu_sides(u, I, &sp, &sm, &G, &pp, &pm);
        /* mixture of h = +u and h = -u: no E[h^2] - E[h]^2 cancellation */
        double d = sp.mean + sm.mean;
        return pp * sp.var + pm * sm.var + pp * pm * d * d;
    }
    }
    return NAN;
}

/* u >= 0 from exp(-gamma u^2/2 + x u): u = (z + t)/sqrt(gamma) with
 * t ~ N(0,1) conditioned on t > -z, z = x/sqrt(gamma). */
static double side_sample(double gamma, double x, gsl_rng *r)
{
    double sg = sqrt(gamma);
    double z = x / sg;
    double t;
    if (z >= 0.0) {
        /* acceptance >= 1/2: plain rejection from N(0,1) is exact and fast */
        do
            t = gsl_ran_gaussian_ziggurat(r, 1.0);
        while (t <= -z);
    } else {
        /* Marsaglia's tail method (exact) for the cut -z > 0 */
        t = gsl_ran_gaussian_tail(r, -z, 1.0);
    }
    double s = (z + t) / sg;
    return s > 0.0 ? s : 0.0;
}

double unit_sample(const unit_params *u, double I, gsl_rng *r)
{
    switch (u->kind) {
    case UNIT_GAUSSIAN:
        return (I - u->theta_p) / u->gamma_p + gsl_ran_gaussian_ziggurat(r, 1.0) / sqrt(u->gamma_p);
    case UNIT_SPIN: {
        /* P(h = +1) = 1/(1 + exp(-2x)) */
        double p = 1.0 / (1.0 + exp(-2.0 * (I - u->theta_p)));
        return gsl_rng_uniform(r) < p ? 1.0 : -1.0;
    }
    case UNIT_RELU:
        return side_sample(u->gamma_p, I - u->theta_p, r);
    case UNIT_DRELU: {
        side_moments sp, sm;
        double G, pp, pm;
        drelu_sides(u, I, &sp, &sm, &G, &pp, &pm);
        if (gsl_rng_uniform(r) < pp)
            return side_sample(u->gamma_p, I - u->theta_p, r);
        return -side_sample(u->gamma_m, u->theta_m - I, r);
    }
    }
    return NAN;
}
