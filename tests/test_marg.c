/* Suite marg: the one-dimensional hidden-unit integral (core/marg.c) against
 * brute-force enumeration of all 2^N visible states and against a dense
 * trapezoid reference integral, in the paramagnetic regime, near
 * sum w^2 = gamma (a flat, quartic peak), deep in the localised regime, with
 * and without fields, for every hidden-unit kind. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_erf.h>

#include "core/err.h"
#include "core/marg.h"
#include "core/team.h"
#include "tests/suites.h"

/* SPEC.md 3 asks for 1e-10 relative accuracy of m(w). */
#define TOL_M 1e-10
#define TOL_LOGZ 1e-11

/* ---- independent closed forms of Gamma(I) and Gamma'(I) ---------------- */

/* one side of a quadratic potential: log ∫_0^inf exp(-g y^2/2 + x y) dy */
static double side_gamma(double gam, double x)
{
    double z = x / sqrt(gam);
    return 0.5 * z * z + 0.5 * log(M_PI / (2.0 * gam)) + gsl_sf_log_erfc(-z / M_SQRT2);
}

/* its derivative in x: the mean of the truncated normal */
static double side_dgamma(double gam, double x)
{
    return x / gam + gsl_sf_hazard(-x / sqrt(gam)) / sqrt(gam);
}

static void ref_gaussian(const unit_params *u, double I, double *G, double *dG)
{
    double x = I - u->theta_p;
    *G = x * x / (2 * u->gamma_p) + 0.5 * log(2 * M_PI / u->gamma_p);
    *dG = x / u->gamma_p;
}

static void ref_spin(const unit_params *u, double I, double *G, double *dG)
{
    *G = log(2 * cosh(I - u->theta_p));
    *dG = tanh(I - u->theta_p);
}

static void ref_relu(const unit_params *u, double I, double *G, double *dG)
{
    *G = side_gamma(u->gamma_p, I - u->theta_p);
    *dG = side_dgamma(u->gamma_p, I - u->theta_p);
}

static void ref_drelu(const unit_params *u, double I, double *G, double *dG)
{
    /* h >= 0 side and h < 0 side (h = -y) */
    double a = side_gamma(u->gamma_p, I - u->theta_p);
    double b = side_gamma(u->gamma_m, -(I - u->theta_m));
    double mx = fmax(a, b);
    *G = mx + log(exp(a - mx) + exp(b - mx));
    double pa = exp(a - *G), pb = exp(b - *G);
    *dG = pa * side_dgamma(u->gamma_p, I - u->theta_p) -
          pb * side_dgamma(u->gamma_m, -(I - u->theta_m));
}

/* The test's own description of each kind, independent of core/unit's
 * table: its closed-form Gamma, whether it lives on h < 0 at all, and
 * whether h < 0 has its own potential (gamma_m, theta_m). */
static const struct {
    const unit_type *type;
    void (*ref)(const unit_params *u, double I, double *G, double *dG);
    int negative, own_negative;
} REFS[] = {
    {&unit_gaussian, ref_gaussian, 1, 0},
    {&unit_spin, ref_spin, 1, 0},
    {&unit_relu, ref_relu, 0, 0},
    {&unit_drelu, ref_drelu, 1, 1},
};

static int ref_index(const unit_params *u)
{
    for (size_t k = 0; k < sizeof REFS / sizeof REFS[0]; k++)
        if (REFS[k].type == u->type)
            return (int)k;
    ck_abort_msg("no reference for hidden-unit kind %s", u->type->name);
    return -1;
}

static void ref_gamma(const unit_params *u, double I, double *G, double *dG)
{
    REFS[ref_index(u)].ref(u, I, G, dG);
}

/* Enumeration: P(v) ∝ exp(g.v + Gamma(I(v))); <v_i h> = <v_i Gamma'(I)>. */
static void enumerate(const unit_params *u, size_t N, const double *w, const double *g,
                      double *m, double *mv, double *logZ)
{
    size_t S = (size_t)1 << N;
    double *lp = malloc(S * sizeof *lp), *dg = malloc(S * sizeof *dg);
    double mx = -INFINITY;
    for (size_t s = 0; s < S; s++) {
        double I = 0, gv = 0;
        for (size_t i = 0; i < N; i++) {
            double v = ((s >> i) & 1) ? 1.0 : -1.0;
            I += w[i] * v;
            gv += (g ? g[i] : 0.0) * v;
        }
        double G, dG;
        ref_gamma(u, I, &G, &dG);
        lp[s] = gv + G;
        dg[s] = dG;
        mx = fmax(mx, lp[s]);
    }
    double z = 0;
    for (size_t i = 0; i < N; i++)
        m[i] = mv[i] = 0;
    for (size_t s = 0; s < S; s++) {
        double p = exp(lp[s] - mx);
        z += p;
        for (size_t i = 0; i < N; i++) {
            double v = ((s >> i) & 1) ? 1.0 : -1.0;
            m[i] += p * v * dg[s];
            mv[i] += p * v;
        }
    }
    for (size_t i = 0; i < N; i++) {
        m[i] /= z;
        mv[i] /= z;
    }
    *logZ = mx + log(z);
    free(lp);
    free(dg);
}

/* Dense reference: trapezoid rule on a fine grid (spectrally accurate for a
 * smooth integrand decaying at both ends; for relu/drelu the kink at h = 0 is
 * handled by putting a grid point there and integrating each side). */
static void dense(const unit_params *u, size_t N, const double *w, const double *g,
                  double *m, double *mv, double *logZ)
{
    /* every maximum of phi lies within |h| <= sum |w_i| (gamma >= 1 here),
     * and p(h) is at least as narrow as exp(-h^2/2) beyond it */
    double W1 = 0;
    for (size_t i = 0; i < N; i++)
        W1 += fabs(w[i]);
    const double H = W1 + 15.0, dh = 4e-3;
    size_t K = (size_t)(H / dh);
    double mx = -INFINITY;
    double *lp = malloc((2 * K + 1) * sizeof *lp);
    int ki = ref_index(u);
    for (size_t k = 0; k <= 2 * K; k++) {
        double h = ((double)k - (double)K) * dh, U;
        if (!REFS[ki].negative && h < 0) {
            lp[k] = -INFINITY;
            continue;
        }
        if (h >= 0)
            U = 0.5 * u->gamma_p * h * h + u->theta_p * h;
        else if (REFS[ki].own_negative)
            U = 0.5 * u->gamma_m * h * h + u->theta_m * h;
        else
            U = 0.5 * u->gamma_p * h * h + u->theta_p * h;
        double s = -U;
        for (size_t i = 0; i < N; i++) {
            double x = (g ? g[i] : 0.0) + w[i] * h;
            s += fabs(x) + log1p(exp(-2 * fabs(x)));
        }
        lp[k] = s;
        mx = fmax(mx, s);
    }
    double z = 0;
    for (size_t i = 0; i < N; i++)
        m[i] = mv[i] = 0;
    for (size_t k = 0; k <= 2 * K; k++) {
        if (!isfinite(lp[k]))
            continue;
        double h = ((double)k - (double)K) * dh;
        double wt = dh;
        /* the kink at 0 for relu/drelu: trapezoid end weights on each side */
        if (k == K && (!REFS[ki].negative || REFS[ki].own_negative))
            wt = !REFS[ki].negative ? 0.5 * dh : dh;
        double p = wt * exp(lp[k] - mx);
        z += p;
        for (size_t i = 0; i < N; i++) {
            double t = tanh((g ? g[i] : 0.0) + w[i] * h);
            m[i] += p * h * t;
            mv[i] += p * t;
        }
    }
    for (size_t i = 0; i < N; i++) {
        m[i] /= z;
        mv[i] /= z;
    }
    *logZ = mx + log(z);
    free(lp);
}

/* profiles: a random one scaled to norm2 = n2, a localised bump, fields */
static void profile_random(size_t N, double n2, unsigned long seed, double *w)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    double s = 0;
    for (size_t i = 0; i < N; i++) {
        w[i] = 0.3 + gsl_ran_gaussian(r, 1.0);
        s += w[i] * w[i];
    }
    for (size_t i = 0; i < N; i++)
        w[i] *= sqrt(n2 / s);
    gsl_rng_free(r);
}

static void profile_bump(size_t N, double amp, double width, double *w)
{
    for (size_t i = 0; i < N; i++) {
        double d = fmin((double)i, (double)(N - i));
        w[i] = amp * exp(-d * d / (2 * width * width)) + 0.01;
    }
}

static void fields(size_t N, double scale, double *g)
{
    for (size_t i = 0; i < N; i++)
        g[i] = scale * sin(2.0 * M_PI * (double)i / (double)N + 0.3);
}

static double relerr(double a, double b, double scale)
{
    return fabs(a - b) / fmax(fabs(b), scale);
}

/* compare marg with a reference; "scale" guards relative errors of values
 * that vanish by symmetry (the largest |m| is the natural unit) */
static void check_case(const char *what, const unit_params *u, size_t N, const double *w,
                       const double *g, int use_dense)
{
    double *m = malloc(N * sizeof *m), *mv = malloc(N * sizeof *mv);
    double *rm = malloc(N * sizeof *rm), *rv = malloc(N * sizeof *rv), rlz;
    char err[SYM_ERRLEN];
    marg_ws *ws = marg_alloc(N);
    marg_stats st;
    ck_assert_msg(ws != NULL, "alloc");
    int s = marg_eval(ws, u, w, g, m, mv, &st, err);
    ck_assert_msg(s == SYM_OK, "%s: %s", what, err);
    if (use_dense)
        dense(u, N, w, g, rm, rv, &rlz);
    else
        enumerate(u, N, w, g, rm, rv, &rlz);
    double mscale = 0, vscale = 0;
    for (size_t i = 0; i < N; i++) {
        mscale = fmax(mscale, fabs(rm[i]));
        vscale = fmax(vscale, fabs(rv[i]));
    }
    for (size_t i = 0; i < N; i++) {
        ck_assert_msg(relerr(m[i], rm[i], 1e-3 * mscale) < TOL_M,
                      "%s: m[%zu] = %.17g, reference %.17g (rel %.3g)", what, i, m[i], rm[i],
                      relerr(m[i], rm[i], 1e-3 * mscale));
        ck_assert_msg(fabs(mv[i] - rv[i]) < TOL_M * fmax(vscale, 1e-3),
                      "%s: <v[%zu]> = %.17g, reference %.17g", what, i, mv[i], rv[i]);
    }
    ck_assert_msg(fabs(st.logZ - rlz) < TOL_LOGZ * fmax(1.0, fabs(rlz)),
                  "%s: logZ = %.17g, reference %.17g", what, st.logZ, rlz);
    marg_free(ws);
    free(m);
    free(mv);
    free(rm);
    free(rv);
}

static const double norms[] = {0.3, 0.999, 1.0, 1.001, 3.0, 40.0};

START_TEST(test_gaussian_enum)
{
    size_t N = 14;
    double w[14], g[14];
    unit_params u = {&unit_gaussian, 1.0, 0.0, 1.0, 0.0};
    for (size_t k = 0; k < sizeof norms / sizeof norms[0]; k++) {
        char what[64];
        profile_random(N, norms[k], 11 + k, w);
        snprintf(what, sizeof what, "gaussian norm2=%g", norms[k]);
        check_case(what, &u, N, w, NULL, 0);
        fields(N, 0.4, g);
        snprintf(what, sizeof what, "gaussian norm2=%g fields", norms[k]);
        check_case(what, &u, N, w, g, 0);
    }
    profile_bump(N, 2.5, 1.5, w);
    check_case("gaussian localised bump", &u, N, w, NULL, 0);
    u.gamma_p = u.gamma_m = 2.0;
    u.theta_p = u.theta_m = 0.7;
    profile_random(N, 3.0, 5, w);
    check_case("gaussian gamma=2 theta=0.7", &u, N, w, NULL, 0);
}
END_TEST

START_TEST(test_other_kinds_enum)
{
    size_t N = 12;
    double w[12], g[12];
    const unit_type *kinds[] = {&unit_spin, &unit_relu, &unit_drelu};
    for (size_t c = 0; c < 3; c++) {
        unit_params u = {kinds[c], 1.0, 0.0, 1.0, 0.0};
        for (size_t k = 0; k < sizeof norms / sizeof norms[0]; k++) {
            char what[64];
            profile_random(N, norms[k], 101 + k, w);
            snprintf(what, sizeof what, "kind %s norm2=%g", kinds[c]->name, norms[k]);
            check_case(what, &u, N, w, NULL, 0);
            fields(N, 0.5, g);
            check_case(what, &u, N, w, g, 0);
        }
        u.gamma_p = 1.5;
        u.theta_p = -0.4;
        u.gamma_m = 0.7;
        u.theta_m = 0.3;
        profile_random(N, 4.0, 7, w);
        check_case("asymmetric potential", &u, N, w, NULL, 0);
    }
}
END_TEST

START_TEST(test_dense_reference)
{
    /* larger N than enumeration allows: a localised profile and a uniform one */
    size_t N = 400;
    double *w = malloc(N * sizeof *w), *g = malloc(N * sizeof *g);
    unit_params u = {&unit_gaussian, 1.0, 0.0, 1.0, 0.0};
    profile_bump(N, 1.2, 4.0, w);
    check_case("dense localised N=400", &u, N, w, NULL, 1);
    for (size_t i = 0; i < N; i++)
        w[i] = 1.0 / sqrt((double)N);
    check_case("dense uniform norm2=1 N=400", &u, N, w, NULL, 1);
    fields(N, 0.2, g);
    profile_random(N, 5.0, 3, w);
    check_case("dense random norm2=5 fields N=400", &u, N, w, g, 1);
    unit_params r = {&unit_drelu, 1.0, 0.2, 2.0, -0.1};
    check_case("dense drelu fields N=400", &r, N, w, g, 1);
    free(w);
    free(g);
}
END_TEST

START_TEST(test_no_overflow_large_N)
{
    /* N = 10^6, deep localised: log Z ~ 10^5, must stay finite and m
     * must match the half-line symmetry m_i = <|h| |tanh|> > 0 */
    size_t N = 1000000;
    double *w = malloc(N * sizeof *w), *m = malloc(N * sizeof *m);
    for (size_t i = 0; i < N; i++)
        w[i] = 0.01 + ((i < 1000) ? 0.5 : 0.0);
    marg_ws *ws = marg_alloc(N);
    unit_params u = {&unit_gaussian, 1.0, 0.0, 1.0, 0.0};
    marg_stats st;
    char err[SYM_ERRLEN];
    ck_assert_int_eq(marg_eval(ws, &u, w, NULL, m, NULL, &st, err), SYM_OK);
    ck_assert(isfinite(st.logZ) && st.logZ > 1e4);
    for (size_t i = 0; i < N; i += 9973)
        ck_assert(isfinite(m[i]) && m[i] > 0);
    /* at the peak h*, h* = sum_i w_i tanh(w_i h*) to O(1/h*): <h^2> ≈ h*^2 */
    ck_assert(st.h2 > 1e4);
    marg_free(ws);
    free(w);
    free(m);
}
END_TEST

/* marg_set_team: the same bits as one thread (the sites cut at the
 * log-product's blocks, the block sums added in order), for teams of 2
 * and 3, N on either side of the 4096 threshold and not a multiple of the
 * block, every continuous kind and a discrete one, with and without
 * fields, a spread and a localised profile (one peak, two peaks). */
START_TEST(test_team_same_bits)
{
    const size_t Ns[] = {4000, 4097, 10000, 20011};
    const unit_type *kinds[] = {&unit_gaussian, &unit_relu, &unit_drelu, &unit_spin};
    char err[SYM_ERRLEN];
    team *tms[2];
    ck_assert_int_eq(team_alloc(&tms[0], 2, err), SYM_OK);
    ck_assert_int_eq(team_alloc(&tms[1], 3, err), SYM_OK);
    size_t cases = 0;
    for (size_t a = 0; a < sizeof Ns / sizeof *Ns; a++) {
        size_t N = Ns[a];
        double *w = malloc(N * sizeof *w), *g = malloc(N * sizeof *g);
        double *m[2], *mv[2];
        for (int r = 0; r < 2; r++) {
            m[r] = malloc(N * sizeof **m);
            mv[r] = malloc(N * sizeof **mv);
        }
        for (int prof = 0; prof < 2; prof++) {
            for (size_t i = 0; i < N; i++) {
                double x = ((double)i - 0.4 * (double)N) / 30.0;
                w[i] = prof ? 1.5 * exp(-0.5 * x * x) / sqrt(30.0) + 1e-3 * sin(0.3 * (double)i)
                            : (0.9 + 0.2 * sin(0.01 * (double)i)) / sqrt((double)N);
                g[i] = 0.05 * cos(0.7 * (double)i);
            }
            for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
                for (int withg = 0; withg < 2; withg++)
                    for (int t = 0; t < 2; t++) {
                        unit_params u = {kinds[k], 1.0, 0.0, 1.0, 0.0};
                        marg_stats st[2];
                        for (int r = 0; r < 2; r++) {
                            marg_ws *ws = marg_alloc(N);
                            ck_assert_ptr_nonnull(ws);
                            ck_assert_int_eq(marg_set_team(ws, r ? tms[t] : NULL), SYM_OK);
                            ck_assert_msg(marg_eval(ws, &u, w, withg ? g : NULL, m[r], mv[r],
                                                    &st[r], err) == SYM_OK, "%s", err);
                            marg_free(ws);
                        }
                        ck_assert_msg(memcmp(m[0], m[1], N * sizeof **m) == 0 &&
                                          memcmp(mv[0], mv[1], N * sizeof **mv) == 0 &&
                                          st[0].logZ == st[1].logZ && st[0].nodes == st[1].nodes,
                                      "%s N = %zu profile %d fields %d team %d: not the "
                                      "one-thread bits (logZ %.17g vs %.17g)", kinds[k]->name, N,
                                      prof, withg, t + 2, st[0].logZ, st[1].logZ);
                        cases++;
                    }
        }
        free(w);
        free(g);
        for (int r = 0; r < 2; r++) {
            free(m[r]);
            free(mv[r]);
        }
    }
    ck_assert_uint_eq(cases, 4 * 2 * 4 * 2 * 2);
    team_free(tms[0]);
    team_free(tms[1]);
}
END_TEST

START_TEST(test_nonfinite_rejected)
{
    double w[4] = {0.1, NAN, 0.2, 0.3};
    double m[4];
    char err[SYM_ERRLEN] = "";
    marg_ws *ws = marg_alloc(4);
    unit_params u = {&unit_gaussian, 1.0, 0.0, 1.0, 0.0};
    ck_assert_int_eq(marg_eval(ws, &u, w, NULL, m, NULL, NULL, err), SYM_ENUM);
    ck_assert(err[0] != 0);
    marg_free(ws);
}
END_TEST

Suite *marg_suite(void)
{
    Suite *s = suite_create("marg");
    TCase *tc = tcase_create("integral");
    tcase_add_test(tc, test_gaussian_enum);
    tcase_add_test(tc, test_other_kinds_enum);
    tcase_add_test(tc, test_dense_reference);
    tcase_add_test(tc, test_no_overflow_large_N);
    tcase_add_test(tc, test_nonfinite_rejected);
    tcase_add_test(tc, test_team_same_bits);
    suite_add_tcase(s, tc);
    return s;
}
