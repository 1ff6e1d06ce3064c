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
 *
 * The file is one section per kind (its functions, then its table entry),
 * after the shared one-sided pieces; the generic calls at the end only
 * dispatch through u->type.
 */
#include "core/unit.h"

#include <math.h>
#include <stddef.h>
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

/* gamma_p > 0 (the kinds with one curvature) */
static int check_gamma_p(const unit_params *u, char *err)
{
    if (!(u->gamma_p > 0) || !isfinite(u->gamma_p))
        return sym_error(err, SYM_EINVAL, "gamma = %g: must be > 0", u->gamma_p);
    return SYM_OK;
}

#define PAR(key, field, def, same, help) {key, offsetof(unit_params, field), def, same, help}

static const unit_param par_gamma_theta[] = {
    PAR("gamma", gamma_p, 1.0, NULL, "curvature of U"),
    PAR("theta", theta_p, 0.0, NULL, "threshold of U (Gamma is a function of I - theta)"),
};

/* ---- gaussian: U = gamma h^2/2 + theta h on R ----------------------------- */

static double gaussian_potential(const unit_params *u, double h)
{
    return 0.5 * u->gamma_p * h * h + u->theta_p * h;
}

static double gaussian_gamma(const unit_params *u, double I)
{
    double x = I - u->theta_p;
    /* the constant keeps Gamma = log int exp(-U + hI) exactly (shared with marg) */
    return x * x / (2.0 * u->gamma_p) + 0.5 * log(2.0 * M_PI / u->gamma_p);
}

static double gaussian_dgamma(const unit_params *u, double I)
{
    return (I - u->theta_p) / u->gamma_p;
}

static double gaussian_d2gamma(const unit_params *u, double I)
{
    (void)I;
    return 1.0 / u->gamma_p;
}

static double gaussian_sample(const unit_params *u, double I, gsl_rng *r)
{
    return (I - u->theta_p) / u->gamma_p + gsl_ran_gaussian_ziggurat(r, 1.0) / sqrt(u->gamma_p);
}

/* both half-lines with the same curvature and threshold */
static size_t gaussian_pieces(const unit_params *u, unit_piece pc[UNIT_MAX_PIECES])
{
    pc[0] = (unit_piece){1.0, u->gamma_p, u->theta_p};
    pc[1] = (unit_piece){-1.0, u->gamma_p, u->theta_p};
    return 2;
}

static int gaussian_even(const unit_params *u)
{
    return u->theta_p == 0.0;
}

const unit_type unit_gaussian = {
    "gaussian", par_gamma_theta, 2, check_gamma_p, gaussian_potential, gaussian_gamma,
    gaussian_dgamma, gaussian_d2gamma, gaussian_sample,
    0, NULL, gaussian_pieces, gaussian_even,
    1, 0,
};

/* ---- spin: h in {-1, +1}, U = theta h -------------------------------------- */

static int spin_check(const unit_params *u, char *err)
{
    (void)u;
    (void)err;
    return SYM_OK;
}

static double spin_potential(const unit_params *u, double h)
{
    return (h == 1.0 || h == -1.0) ? u->theta_p * h : INFINITY;
}

static double spin_gamma(const unit_params *u, double I)
{
    double a = fabs(I - u->theta_p);
    return a + log1p(exp(-2.0 * a));
}

static double spin_dgamma(const unit_params *u, double I)
{
    return tanh(I - u->theta_p);
}

static double spin_d2gamma(const unit_params *u, double I)
{
    /* sech^2 = 4 e^{-2a} / (1 + e^{-2a})^2 keeps full relative accuracy
     * for large |I| where 1 - tanh^2 would round to 0 */
    double e = exp(-2.0 * fabs(I - u->theta_p));
    return 4.0 * e / ((1.0 + e) * (1.0 + e));
}

static double spin_sample(const unit_params *u, double I, gsl_rng *r)
{
    /* P(h = +1) = 1/(1 + exp(-2x)) */
    double p = 1.0 / (1.0 + exp(-2.0 * (I - u->theta_p)));
    return gsl_rng_uniform(r) < p ? 1.0 : -1.0;
}

static const unit_param par_spin[] = {
    PAR("theta", theta_p, 0.0, NULL, "field of the unit (Gamma = log 2cosh(I - theta))"),
};

static const double spin_points[] = {-1.0, 1.0};

const unit_type unit_spin = {
    "spin", par_spin, 1, spin_check, spin_potential, spin_gamma,
    spin_dgamma, spin_d2gamma, spin_sample,
    2, spin_points, NULL, NULL,
    0, 1,
};

/* ---- relu: U = gamma h^2/2 + theta h on h >= 0 ----------------------------- */

static double relu_potential(const unit_params *u, double h)
{
    return h >= 0 ? 0.5 * u->gamma_p * h * h + u->theta_p * h : INFINITY;
}

static double relu_gamma(const unit_params *u, double I)
{
    side_moments s;
    side_eval(u->gamma_p, I - u->theta_p, &s);
    return s.logA;
}

static double relu_dgamma(const unit_params *u, double I)
{
    side_moments s;
    side_eval(u->gamma_p, I - u->theta_p, &s);
    return s.mean;
}

static double relu_d2gamma(const unit_params *u, double I)
{
    side_moments s;
    side_eval(u->gamma_p, I - u->theta_p, &s);
    return s.var;
}

static double relu_sample(const unit_params *u, double I, gsl_rng *r)
{
    return side_sample(u->gamma_p, I - u->theta_p, r);
}

static size_t relu_pieces(const unit_params *u, unit_piece pc[UNIT_MAX_PIECES])
{
    pc[0] = (unit_piece){1.0, u->gamma_p, u->theta_p};
    return 1;
}

static int relu_even(const unit_params *u)
{
    (void)u;
    return 0;
}

const unit_type unit_relu = {
    "relu", par_gamma_theta, 2, check_gamma_p, relu_potential, relu_gamma,
    relu_dgamma, relu_d2gamma, relu_sample,
    0, NULL, relu_pieces, relu_even,
    0, 0,
};

/* ---- drelu: two quadratic sides on R --------------------------------------- */

static int drelu_check(const unit_params *u, char *err)
{
    if (!(u->gamma_p > 0) || !isfinite(u->gamma_p))
        return sym_error(err, SYM_EINVAL, "gamma+ = %g: must be > 0", u->gamma_p);
    if (!(u->gamma_m > 0) || !isfinite(u->gamma_m))
        return sym_error(err, SYM_EINVAL, "gamma- = %g: must be > 0", u->gamma_m);
    return SYM_OK;
}

static double drelu_potential(const unit_params *u, double h)
{
    return h >= 0 ? 0.5 * u->gamma_p * h * h + u->theta_p * h
                  : 0.5 * u->gamma_m * h * h + u->theta_m * h;
}

/* the two sides, h = +u (x = I - theta+) and h = -u (x = theta- - I),
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

static double drelu_gamma(const unit_params *u, double I)
{
    side_moments sp, sm;
    double G, pp, pm;
    drelu_sides(u, I, &sp, &sm, &G, &pp, &pm);
    return G;
}

static double drelu_dgamma(const unit_params *u, double I)
{
    side_moments sp, sm;
    double G, pp, pm;
    drelu_sides(u, I, &sp, &sm, &G, &pp, &pm);
    return pp * sp.mean - pm * sm.mean;
}

static double drelu_d2gamma(const unit_params *u, double I)
{
    side_moments sp, sm;
    double G, pp, pm;
    drelu_sides(u, I, &sp, &sm, &G, &pp, &pm);
    /* mixture of h = +u and h = -u: no E[h^2] - E[h]^2 cancellation */
    double d = sp.mean + sm.mean;
    return pp * sp.var + pm * sm.var + pp * pm * d * d;
}

static double drelu_sample(const unit_params *u, double I, gsl_rng *r)
{
    side_moments sp, sm;
    double G, pp, pm;
    drelu_sides(u, I, &sp, &sm, &G, &pp, &pm);
    if (gsl_rng_uniform(r) < pp)
        return side_sample(u->gamma_p, I - u->theta_p, r);
    return -side_sample(u->gamma_m, u->theta_m - I, r);
}

static size_t drelu_pieces(const unit_params *u, unit_piece pc[UNIT_MAX_PIECES])
{
    pc[0] = (unit_piece){1.0, u->gamma_p, u->theta_p};
    pc[1] = (unit_piece){-1.0, u->gamma_m, u->theta_m};
    return 2;
}

/* the paper's symmetric double well theta+ = -theta- needs theta = 0 here
 * to be even: U(-h) = gamma- h^2/2 - theta- h */
static int drelu_even(const unit_params *u)
{
    return u->theta_p == 0.0 && u->gamma_m == u->gamma_p && u->theta_m == 0.0;
}

static const unit_param par_drelu[] = {
    PAR("gamma", gamma_p, 1.0, NULL, "curvature of U on h >= 0"),
    PAR("theta", theta_p, 0.0, NULL, "threshold of U on h >= 0"),
    PAR("gamma-m", gamma_m, 1.0, "gamma", "curvature of U on h < 0"),
    PAR("theta-m", theta_m, 0.0, "theta", "threshold of U on h < 0"),
};

const unit_type unit_drelu = {
    "drelu", par_drelu, 4, drelu_check, drelu_potential, drelu_gamma,
    drelu_dgamma, drelu_d2gamma, drelu_sample,
    0, NULL, drelu_pieces, drelu_even,
    0, 0,
};

/* ---- the table and the generic calls --------------------------------------- */

/* The table, once: the list and the option choices come from it. */
#define UNIT_TYPES(X) X(gaussian) X(spin) X(relu) X(drelu)
#define UNIT_TYPE_PTR(name) &unit_##name,
#define UNIT_TYPE_BAR(name) "|" #name
const unit_type *const unit_types[] = {UNIT_TYPES(UNIT_TYPE_PTR) NULL};
static const char unit_names_bar[] = UNIT_TYPES(UNIT_TYPE_BAR);

const char *unit_type_names(void)
{
    return unit_names_bar + 1;
}

int unit_type_parse(const char *s, const unit_type **t, char *err)
{
    for (size_t j = 0; unit_types[j]; j++)
        if (s && !strcmp(s, unit_types[j]->name)) {
            *t = unit_types[j];
            return SYM_OK;
        }
    char list[256] = "";
    for (size_t j = 0; unit_types[j]; j++) {
        if (j)
            strncat(list, "|", sizeof list - strlen(list) - 1);
        strncat(list, unit_types[j]->name, sizeof list - strlen(list) - 1);
    }
    return sym_error(err, SYM_EINVAL, "hidden-unit kind '%s': expected %s", s ? s : "", list);
}

const unit_param *unit_type_param(const unit_type *t, const char *key)
{
    for (size_t k = 0; t && key && k < t->npar; k++)
        if (!strcmp(t->par[k].key, key))
            return &t->par[k];
    return NULL;
}

void unit_params_default(unit_params *u, const unit_type *t)
{
    u->type = t;
    u->gamma_p = u->gamma_m = 1.0;
    u->theta_p = u->theta_m = 0.0;
}

int unit_params_check(const unit_params *u, char *err)
{
    if (!u)
        return sym_error(err, SYM_EINVAL, "unit parameters missing");
    if (!u->type)
        return sym_error(err, SYM_EINVAL, "hidden-unit kind missing");
    if (!isfinite(u->theta_p) || !isfinite(u->theta_m))
        return sym_error(err, SYM_EINVAL, "theta = %g, %g: must be finite", u->theta_p, u->theta_m);
    return u->type->check(u, err);
}

double unit_potential(const unit_params *u, double h)
{
    return u->type->potential(u, h);
}

double unit_gamma(const unit_params *u, double I)
{
    return u->type->gamma(u, I);
}

double unit_dgamma(const unit_params *u, double I)
{
    return u->type->dgamma(u, I);
}

double unit_d2gamma(const unit_params *u, double I)
{
    return u->type->d2gamma(u, I);
}

double unit_sample(const unit_params *u, double I, gsl_rng *r)
{
    return u->type->sample(u, I, r);
}
