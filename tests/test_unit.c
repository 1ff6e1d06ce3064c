/* Tests of core/unit: Gamma, Gamma', Gamma'' of every hidden-unit kind
 * against GSL adaptive quadrature of the defining integral (and the spin
 * two-term sum), against central finite differences, and the exact
 * conditional sampler against Gamma', Gamma'' by the moments of 10^6 draws. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_rng.h>

#include "core/err.h"
#include "core/rng.h"
#include "core/unit.h"
#include "tests/suites.h"

/* Quadrature: relative tolerance asked of QAG; the comparisons below allow
 * 100x more. */
#define QUAD_EPSREL 1e-12
#define TOL_GAMMA 1e-10    /* |Gamma - ref| <= TOL (1 + |ref|)              */
#define TOL_MOMENT 1e-8    /* Gamma', Gamma'' relative to the quadrature     */
#define FD_STEP 1e-5       /* central differences, O(h^2) ~ 1e-10 truncation */
#define TOL_FD 1e-6
#define N_DRAWS 1000000
#define N_SE 5.0           /* sample moments within 5 standard errors       */

static const double I_LIST[] = {-30.0, -12.0, -6.0, -3.0001, -2.9999, -1.0, -0.2, 0.0,
                                0.7, 2.5, 3.0, 6.0, 12.0, 30.0};
#define N_I (sizeof I_LIST / sizeof I_LIST[0])

/* The test parameters of each kind (asymmetric, thresholds nonzero). */
static const struct {
    const unit_type *type;
    double gamma_p, theta_p, gamma_m, theta_m;
} KINDS[] = {
    {&unit_gaussian, 1.7, 0.3, 1.7, 0.3},
    {&unit_spin, 1.0, 0.3, 1.0, 0.3},
    {&unit_relu, 1.7, 0.3, 1.7, 0.3},
    {&unit_drelu, 1.3, 0.2, 0.7, -0.4},
};
#define NKINDS (sizeof KINDS / sizeof KINDS[0])

static unit_params make(const unit_type *t)
{
    unit_params u;
    unit_params_default(&u, t);
    for (size_t k = 0; k < NKINDS; k++)
        if (KINDS[k].type == t) {
            u.gamma_p = KINDS[k].gamma_p;
            u.theta_p = KINDS[k].theta_p;
            u.gamma_m = KINDS[k].gamma_m;
            u.theta_m = KINDS[k].theta_m;
        }
    return u;
}

typedef struct {
    const unit_params *u;
    double I, shift, center;
    int power;
} qp;

static double integrand(double h, void *par)
{
    const qp *q = par;
    double U = unit_potential(q->u, h);
    if (!isfinite(U))
        return 0.0;
    double f = exp(-U + h * q->I - q->shift);
    for (int k = 0; k < q->power; k++)
        f *= (h - q->center);
    return f;
}

/* Integral of exp(-U + hI - shift) (h - center)^power over one support piece
 * [a, b], the peak at hp, on QAG with breakpoints. */
static double quad(const unit_params *u, double I, double shift, double center, int power,
                   double a, double b, double hp)
{
    qp q = {u, I, shift, center, power};
    gsl_function F = {integrand, &q};
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(2000);
    double pts[3];
    size_t np = 0;
    pts[np++] = a;
    if (hp > a && hp < b)
        pts[np++] = hp;
    pts[np++] = b;
    double res, abserr;
    int st = gsl_integration_qagp(&F, pts, np, 0.0, QUAD_EPSREL, 2000, ws, &res, &abserr);
    ck_assert_msg(st == 0 || st == GSL_EROUND, "quadrature failed: %d", st);
    gsl_integration_workspace_free(ws);
    return res;
}

/* Reference Gamma, mean, variance by quadrature over [peak +- 60 scales].
 * The supports are written out here (gaussian: R; relu: h >= 0; drelu: both
 * sides with their own potentials), independently of the table's pieces. */
static void reference(const unit_params *u, double I, double *G, double *m, double *v)
{
    /* the pieces: h >= 0 with (gamma_p, x_p) and, for gaussian/drelu, h < 0 */
    double lo[2], hi[2], pk[2], sh[2];
    int np = 0;
    double gp = u->gamma_p, xp = I - u->theta_p;
    if (u->type == &unit_gaussian) {
        double c = xp / gp, sc = 1.0 / sqrt(gp);
        lo[0] = c - 60 * sc; hi[0] = c + 60 * sc; pk[0] = c;
        sh[0] = xp * xp / (2 * gp);
        np = 1;
    } else {
        double c = fmax(0.0, xp / gp);
        double sc = fmin(1.0 / sqrt(gp), xp < 0 ? 1.0 / fabs(xp) : INFINITY);
        lo[np] = 0.0; hi[np] = c + 60 * sc; pk[np] = c;
        sh[np] = -unit_potential(u, c) + c * I;
        np++;
        if (u->type == &unit_drelu) {
            double gm = u->gamma_m, xm = u->theta_m - I;   /* h = -s */
            double cs = fmax(0.0, xm / gm);
            double scm = fmin(1.0 / sqrt(gm), xm < 0 ? 1.0 / fabs(xm) : INFINITY);
            lo[np] = -(cs + 60 * scm); hi[np] = 0.0; pk[np] = -cs;
            sh[np] = -unit_potential(u, -cs) - cs * I;
            np++;
        }
    }
    double shift = sh[0];
    for (int k = 1; k < np; k++)
        shift = fmax(shift, sh[k]);
    double z = 0, z1 = 0;
    for (int k = 0; k < np; k++) {
        z += quad(u, I, shift, 0.0, 0, lo[k], hi[k], pk[k]);
        z1 += quad(u, I, shift, 0.0, 1, lo[k], hi[k], pk[k]);
    }
    *G = shift + log(z);
    *m = z1 / z;
    double z2 = 0;
    for (int k = 0; k < np; k++)
        z2 += quad(u, I, shift, *m, 2, lo[k], hi[k], pk[k]);
    *v = z2 / z;
}

static void check_against_quadrature(const unit_type *k)
{
    unit_params u = make(k);
    for (size_t j = 0; j < N_I; j++) {
        double I = I_LIST[j], G, m, v;
        reference(&u, I, &G, &m, &v);
        double g0 = unit_gamma(&u, I), g1 = unit_dgamma(&u, I), g2 = unit_d2gamma(&u, I);
        ck_assert_msg(fabs(g0 - G) <= TOL_GAMMA * (1 + fabs(G)),
                      "%s I=%g: Gamma %.17g vs quadrature %.17g", k->name, I, g0, G);
        ck_assert_msg(fabs(g1 - m) <= TOL_MOMENT * fabs(m) + 1e-300,
                      "%s I=%g: Gamma' %.17g vs quadrature %.17g", k->name, I, g1, m);
        ck_assert_msg(fabs(g2 - v) <= TOL_MOMENT * fabs(v),
                      "%s I=%g: Gamma'' %.17g vs quadrature %.17g", k->name, I, g2, v);
    }
}

START_TEST(test_gaussian_quadrature) { check_against_quadrature(&unit_gaussian); }
END_TEST
START_TEST(test_relu_quadrature) { check_against_quadrature(&unit_relu); }
END_TEST
START_TEST(test_drelu_quadrature) { check_against_quadrature(&unit_drelu); }
END_TEST

/* relu with gamma = 1, theta = 0 puts y = -I exactly on the switch between
 * the erfc form and the continued fraction at I = -3: both sides must agree
 * with quadrature (done above) and be continuous to rounding here. */
START_TEST(test_relu_switch_continuity)
{
    unit_params u;
    unit_params_default(&u, &unit_relu);
    double a = unit_dgamma(&u, -3.0 - 1e-12), b = unit_dgamma(&u, -3.0 + 1e-12);
    ck_assert_msg(fabs(a - b) <= 1e-12 * fabs(a), "Gamma' jumps at y = 3: %.17g %.17g", a, b);
    a = unit_d2gamma(&u, -3.0 - 1e-12);
    b = unit_d2gamma(&u, -3.0 + 1e-12);
    ck_assert_msg(fabs(a - b) <= 1e-11 * fabs(a), "Gamma'' jumps at y = 3: %.17g %.17g", a, b);
}
END_TEST

START_TEST(test_spin_exact)
{
    unit_params u = make(&unit_spin);
    for (size_t j = 0; j < N_I; j++) {
        double I = I_LIST[j];
        /* the two-term sum over h = +-1 with U(h) = theta h, in log-sum-exp */
        double ep = I - u.theta_p, em = -(I - u.theta_p);
        double mx = fmax(ep, em);
        double G = mx + log(exp(ep - mx) + exp(em - mx));
        double pp = exp(ep - G), pm = exp(em - G);
        double m = pp - pm, v = 4 * pp * pm;
        ck_assert_msg(fabs(unit_gamma(&u, I) - G) <= TOL_GAMMA * (1 + fabs(G)), "spin Gamma I=%g", I);
        ck_assert_msg(fabs(unit_dgamma(&u, I) - m) <= 1e-14, "spin Gamma' I=%g", I);
        ck_assert_msg(fabs(unit_d2gamma(&u, I) - v) <= 1e-12 * v, "spin Gamma'' I=%g: %.17g vs %.17g",
                      I, unit_d2gamma(&u, I), v);
    }
}
END_TEST

START_TEST(test_finite_differences)
{
    for (size_t k = 0; k < NKINDS; k++) {
        unit_params u = make(KINDS[k].type);
        for (size_t j = 0; j < N_I; j++) {
            double I = I_LIST[j], h = FD_STEP;
            double d1 = (unit_gamma(&u, I + h) - unit_gamma(&u, I - h)) / (2 * h);
            double d2 = (unit_dgamma(&u, I + h) - unit_dgamma(&u, I - h)) / (2 * h);
            double g1 = unit_dgamma(&u, I), g2 = unit_d2gamma(&u, I);
            /* rounding of Gamma ~ 1e-16 |Gamma| / h adds to the tolerance */
            double r1 = 1e-16 * fabs(unit_gamma(&u, I)) / h;
            ck_assert_msg(fabs(d1 - g1) <= TOL_FD * fabs(g1) + 10 * r1 + 1e-9,
                          "%s I=%g: FD Gamma' %.12g vs %.12g", u.type->name, I, d1, g1);
            ck_assert_msg(fabs(d2 - g2) <= TOL_FD * fabs(g2) + 1e-10,
                          "%s I=%g: FD Gamma'' %.12g vs %.12g", u.type->name, I, d2, g2);
        }
    }
}
END_TEST

static void check_sampler(const unit_type *k, double I, uint64_t seed)
{
    unit_params u = make(k);
    gsl_rng *r = rng_alloc(seed, RNG_STREAM_AUX);
    double m = unit_dgamma(&u, I), v = unit_d2gamma(&u, I);
    double s1 = 0, s2 = 0, s4 = 0;
    for (int n = 0; n < N_DRAWS; n++) {
        double h = unit_sample(&u, I, r);
        ck_assert_msg(isfinite(unit_potential(&u, h)), "%s: draw %g outside support", k->name, h);
        double d = h - m;
        s1 += d;
        s2 += d * d;
        s4 += d * d * d * d;
    }
    gsl_rng_free(r);
    double n = N_DRAWS;
    double mean = s1 / n;          /* E[h] - Gamma' */
    double var = s2 / n - mean * mean;
    double se_m = sqrt(v / n);
    /* SE of the sample variance: sqrt((mu4 - sigma^4)/n), mu4 estimated */
    double se_v = sqrt(fmax(s4 / n - v * v, 0.0) / n);
    ck_assert_msg(fabs(mean) <= N_SE * se_m, "%s I=%g: sample mean off Gamma' by %g (SE %g)",
                  k->name, I, mean, se_m);
    ck_assert_msg(fabs(var - v) <= N_SE * se_v, "%s I=%g: sample var %g vs Gamma'' %g (SE %g)",
                  k->name, I, var, v, se_v);
}

START_TEST(test_sampler_moments)
{
    static const double Is[] = {-3.0, 0.0, 2.5};
    uint64_t seed = 11;
    for (size_t k = 0; k < NKINDS; k++)
        for (size_t j = 0; j < 3; j++)
            check_sampler(KINDS[k].type, Is[j], seed++);
    /* the far tail of the truncated gaussians */
    check_sampler(&unit_relu, -30.0, seed++);
    check_sampler(&unit_drelu, 0.3, seed++);
}
END_TEST

START_TEST(test_params_and_names)
{
    char err[SYM_ERRLEN];
    unit_params u;
    size_t n = 0;
    for (size_t k = 0; unit_types[k]; k++, n++) {
        const unit_type *back = NULL;
        ck_assert_int_eq(unit_type_parse(unit_types[k]->name, &back, err), SYM_OK);
        ck_assert_ptr_eq(back, unit_types[k]);
        unit_params_default(&u, unit_types[k]);
        ck_assert_int_eq(unit_params_check(&u, err), SYM_OK);
        /* every parameter a kind lists names a double of unit_params and
         * has a finite default */
        for (size_t j = 0; j < unit_types[k]->npar; j++) {
            const unit_param *p = &unit_types[k]->par[j];
            ck_assert(p->offset + sizeof(double) <= sizeof(unit_params));
            ck_assert(isfinite(p->def));
            ck_assert_ptr_eq(unit_type_param(unit_types[k], p->key), p);
            ck_assert(!p->same_as || unit_type_param(unit_types[k], p->same_as));
        }
    }
    ck_assert_uint_eq(n, NKINDS);
    const unit_type *back;
    ck_assert_int_eq(unit_type_parse("potts", &back, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "gaussian|spin|relu|drelu"), "message lists the kinds: %s", err);
    ck_assert_ptr_null(unit_type_param(&unit_gaussian, "gamma-m"));
    ck_assert_ptr_nonnull(unit_type_param(&unit_drelu, "gamma-m"));
    unit_params_default(&u, NULL);
    ck_assert_int_eq(unit_params_check(&u, err), SYM_EINVAL);
    unit_params_default(&u, &unit_gaussian);
    u.gamma_p = 0.0;
    ck_assert_int_eq(unit_params_check(&u, err), SYM_EINVAL);
    unit_params_default(&u, &unit_relu);
    u.gamma_p = -1.0;
    ck_assert_int_eq(unit_params_check(&u, err), SYM_EINVAL);
    unit_params_default(&u, &unit_drelu);
    u.gamma_m = 0.0;
    ck_assert_int_eq(unit_params_check(&u, err), SYM_EINVAL);
    unit_params_default(&u, &unit_spin);
    u.theta_p = NAN;
    ck_assert_int_eq(unit_params_check(&u, err), SYM_EINVAL);
    /* potentials: support and values */
    unit_params_default(&u, &unit_relu);
    ck_assert(isinf(unit_potential(&u, -0.5)));
    ck_assert(fabs(unit_potential(&u, 2.0) - 2.0) < 1e-15);
    unit_params_default(&u, &unit_spin);
    ck_assert(isinf(unit_potential(&u, 0.5)));
}
END_TEST

/* What marg reads from the table: the support as points or as pieces, and
 * when it is even, checked against the potential itself. */
START_TEST(test_support_description)
{
    for (size_t k = 0; k < NKINDS; k++) {
        const unit_type *t = KINDS[k].type;
        unit_params u = make(t);
        ck_assert_msg((t->npoint > 0) != (t->pieces != NULL), "%s: points or pieces", t->name);
        /* a discrete support: U finite exactly there */
        for (size_t j = 0; j < t->npoint; j++)
            ck_assert(isfinite(unit_potential(&u, t->point[j])));
        if (t->npoint) {
            ck_assert(isinf(unit_potential(&u, 0.5 * (t->point[0] + t->point[1]))));
            continue;
        }
        /* pieces: U(s y) = gamma y^2/2 + s theta y on each, +inf off them */
        unit_piece pc[UNIT_MAX_PIECES];
        size_t np = t->pieces(&u, pc);
        ck_assert(np >= 1 && np <= UNIT_MAX_PIECES && pc[0].s == 1.0);
        int neg = 0;
        for (size_t j = 0; j < np; j++) {
            neg |= pc[j].s < 0;
            for (double y = 0.25; y < 4; y += 0.5) {
                double want = 0.5 * pc[j].gamma * y * y + pc[j].s * pc[j].theta * y;
                double got = unit_potential(&u, pc[j].s * y);
                ck_assert_msg(fabs(got - want) <= 1e-14 * (1 + fabs(want)),
                              "%s piece %zu y=%g: U %.17g vs %.17g", t->name, j, y, got, want);
            }
        }
        if (!neg)
            ck_assert(isinf(unit_potential(&u, -1.0)));
        /* even() agrees with U(h) = U(-h): false for these thresholds, and
         * true at theta = 0 with equal sides where the kind allows it */
        ck_assert(!t->even(&u));
        u.theta_p = u.theta_m = 0.0;
        u.gamma_m = u.gamma_p;
        int sym = 1;
        for (double h = 0.25; h < 4; h += 0.5)
            sym &= unit_potential(&u, h) == unit_potential(&u, -h);
        ck_assert_int_eq(t->even(&u), sym);
    }
    /* the flags sim/train uses: linear means Gamma' = (I - theta) / gamma,
     * binary means Gamma' = tanh(I - theta) */
    for (size_t k = 0; k < NKINDS; k++) {
        const unit_type *t = KINDS[k].type;
        unit_params u = make(t);
        ck_assert(!(t->linear && t->binary));
        for (double I = -3; I <= 3; I += 0.75) {
            if (t->linear)
                ck_assert(unit_dgamma(&u, I) == (I - u.theta_p) / u.gamma_p);
            if (t->binary)
                ck_assert(fabs(unit_dgamma(&u, I) - tanh(I - u.theta_p)) <= 1e-16);
        }
    }
    ck_assert(unit_gaussian.linear && unit_spin.binary && !unit_relu.linear && !unit_drelu.binary);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("unit");
    TCase *tc = tcase_create("unit");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_gaussian_quadrature);
    tcase_add_test(tc, test_relu_quadrature);
    tcase_add_test(tc, test_drelu_quadrature);
    tcase_add_test(tc, test_relu_switch_continuity);
    tcase_add_test(tc, test_spin_exact);
    tcase_add_test(tc, test_finite_differences);
    tcase_add_test(tc, test_sampler_moments);
    tcase_add_test(tc, test_params_and_names);
    tcase_add_test(tc, test_support_description);
    suite_add_tcase(s, tc);
    return s;
}
