/* Suite kern: the vectorised loops of core/kern.c against plain libm sums
 * (long double references), across the Taylor/exp switch of the tanh at
 * |x| = 0.05 and out to |x| = 700 where exp underflows; the Jacobian product
 * against an explicit dense matrix. */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#include "core/kern.h"
#include "core/rng.h"
#include "tests/suites.h"

#define NK 1000

/* a profile spanning tiny, switch-size, moderate and huge |w h| */
static void profile(double *w, double *g, gsl_rng *r)
{
    for (size_t i = 0; i < NK; i++) {
        double mag = pow(10.0, -9.0 + 11.5 * (double)i / NK); /* 1e-9 .. ~3e2 */
        w[i] = (gsl_rng_uniform(r) < 0.5 ? -1 : 1) * mag;
        g[i] = 0.3 * gsl_ran_gaussian(r, 1.0);
    }
}

START_TEST(test_logcosh_sum)
{
    gsl_rng *r = rng_alloc(5, RNG_STREAM_AUX);
    double w[NK], g[NK];
    profile(w, g, r);
    double hs[] = {0.0, 1e-3, 0.7, -2.0, 2.3};
    for (size_t j = 0; j < sizeof hs / sizeof hs[0]; j++)
        for (int withg = 0; withg < 2; withg++) {
            long double ref = 0;
            for (size_t i = 0; i < NK; i++) {
                long double x = (withg ? g[i] : 0.0) + w[i] * hs[j], a = fabsl(x);
                ref += a + log1pl(expl(-2 * a));
            }
            double got = kern_logcosh_sum(w, withg ? g : NULL, NK, hs[j]);
            ck_assert_msg(fabsl(got - ref) <= 1e-13L * fmaxl(1.0L, fabsl(ref)),
                          "h = %g, fields %d: %.17g vs %.17Lg", hs[j], withg, got, ref);
        }
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_tanh_paths)
{
    /* through kern_node_sums with one node of weight 1: m_i = tanh(x_i) */
    gsl_rng *r = rng_alloc(6, RNG_STREAM_AUX);
    double w[NK], g[NK], m[NK], mv[NK], d[NK];
    profile(w, g, r);
    double h = 1.0, c1 = 1.0, c0 = 1.0, c2 = 1.0;
    kern_node_sums(w, NULL, NK, &h, &c1, NULL, NULL, 1, m, NULL, NULL);
    for (size_t i = 0; i < NK; i++) {
        /* a few ulp on the Taylor side (|x| < 0.05); eps/|x| <= 2.2e-15 on
         * the exp side (core/kern.c) */
        long double ref = tanhl((long double)w[i]);
        double tol = fabs(w[i]) < 0.05 ? 4e-16 : 2.5e-15;
        ck_assert_msg(fabsl(m[i] - ref) <= tol * fabsl(ref) + 1e-300L,
                      "tanh(%.17g) = %.17g, reference %.17Lg", w[i], m[i], ref);
    }
    kern_node_sums(w, g, NK, &h, &c1, &c0, &c2, 1, m, mv, d);
    for (size_t i = 0; i < NK; i++) {
        long double t = tanhl((long double)g[i] + w[i]);
        double tol = fabs((double)t) < 0.05 ? 4e-16 : 2.5e-15;
        ck_assert(fabsl(m[i] - t) <= tol * fabsl(t) + 1e-300L);
        ck_assert(fabsl(mv[i] - t) <= tol * fabsl(t) + 1e-300L);
        ck_assert(fabsl(d[i] - (1 - t * t)) <= 1e-15L);
    }
    /* tanh sums: s1 = sum w tanh, s2 = sum w^2 sech^2 */
    double s1, s2;
    kern_tanh_sums(w, g, NK, 0.37, &s1, &s2);
    long double r1 = 0, r2 = 0;
    for (size_t i = 0; i < NK; i++) {
        long double t = tanhl((long double)g[i] + w[i] * 0.37);
        r1 += w[i] * t;
        r2 += (long double)w[i] * w[i] * (1 - t * t);
    }
    ck_assert(fabsl(s1 - r1) <= 1e-13L * fabsl(r1));
    ck_assert(fabsl(s2 - r2) <= 1e-13L * fmaxl(fabsl(r2), 1e-3L));
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_jac_apply)
{
    /* out = diag(d) v - m (m.v) + sum_k p_k A_k (A_k.v) against the dense
     * matrix built entry by entry */
    enum { n = 5, N = 37 };
    gsl_rng *r = rng_alloc(7, RNG_STREAM_AUX);
    double A[n * N], p[n], d[N], m[N], v[N], out[N], Av[n];
    for (size_t k = 0; k < n * N; k++)
        A[k] = gsl_ran_gaussian(r, 1.0);
    for (size_t k = 0; k < n; k++)
        p[k] = gsl_rng_uniform(r);
    for (size_t i = 0; i < N; i++) {
        d[i] = gsl_rng_uniform(r);
        m[i] = gsl_ran_gaussian(r, 1.0);
        v[i] = gsl_ran_gaussian(r, 1.0);
    }
    kern_jac_apply(A, p, d, m, n, N, v, out, Av);
    for (size_t i = 0; i < N; i++) {
        long double s = 0;
        for (size_t j = 0; j < N; j++) {
            long double J = (i == j ? d[i] : 0.0) - (long double)m[i] * m[j];
            for (size_t k = 0; k < n; k++)
                J += (long double)p[k] * A[k * N + i] * A[k * N + j];
            s += J * v[j];
        }
        ck_assert_msg(fabsl(out[i] - s) <= 1e-12L * (1 + fabsl(s)), "row %zu: %.17g vs %.17Lg",
                      i, out[i], s);
    }
    gsl_rng_free(r);
}
END_TEST

Suite *kern_suite(void)
{
    Suite *s = suite_create("kern");
    TCase *tc = tcase_create("kern");
    tcase_add_test(tc, test_logcosh_sum);
    tcase_add_test(tc, test_tanh_paths);
    tcase_add_test(tc, test_jac_apply);
    suite_add_tcase(s, tc);
    return s;
}
