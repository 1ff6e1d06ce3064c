/* Suite visible: the visible-unit table (core/visible.h) against direct
 * formulas and enumeration of the states: the log-partition against
 * log sum_c exp(x . e(c)) summed in long double and against log 2cosh x,
 * the conditional mean against the enumerated average and against central
 * differences of the log-partition, and the draw against the enumerated
 * probabilities (frequencies of 10^6 draws within 5 standard errors). */
#include <math.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "core/err.h"
#include "core/rng.h"
#include "core/visible.h"
#include "tests/suites.h"

#define TOL_LOGPART 1e-15   /* relative to 1 + |logpart|                      */
#define TOL_MEAN 1e-15
#define FD_STEP 1e-5
#define TOL_FD 1e-9
#define N_DRAWS 1000000
#define N_SE 5.0

static const double X_LIST[] = {-800.0, -30.0, -3.0, -0.7, -1e-9, 0.0, 1e-9, 0.25, 1.0, 4.0, 30.0,
                                800.0};
#define N_X (sizeof X_LIST / sizeof X_LIST[0])

/* log sum_c exp(x . e(c)) and the probabilities of the states, by
 * enumeration in long double, shifted by the largest exponent */
static long double enum_logpart(const visible_type *t, const double *x, long double *p)
{
    long double e[16], mx = -INFINITY;
    for (size_t c = 0; c < t->nstates; c++) {
        long double s = 0;
        for (size_t f = 0; f < t->nfield; f++)
            s += (long double)x[f] * visible_enc(t, c)[f];
        e[c] = s;
        mx = s > mx ? s : mx;
    }
    long double z = 0;
    for (size_t c = 0; c < t->nstates; c++)
        z += expl(e[c] - mx);
    for (size_t c = 0; p && c < t->nstates; c++)
        p[c] = expl(e[c] - mx) / z;
    return mx + logl(z);
}

START_TEST(test_table)
{
    char err[SYM_ERRLEN];
    const visible_type *t = NULL;
    for (size_t k = 0; visible_types[k]; k++) {
        ck_assert_int_eq(visible_type_parse(visible_types[k]->name, &t, err), SYM_OK);
        ck_assert_ptr_eq(t, visible_types[k]);
        ck_assert(t->nstates >= 2 && t->nstates <= 16 && t->nfield >= 1);
    }
    ck_assert_int_eq(visible_type_parse("potts", &t, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "spin"), "the message lists the kinds: %s", err);
    /* spin: two states, values -1 and +1 */
    ck_assert_uint_eq(visible_spin.nstates, 2);
    ck_assert_uint_eq(visible_spin.nfield, 1);
    ck_assert(visible_enc(&visible_spin, 0)[0] == -1.0 && visible_enc(&visible_spin, 1)[0] == 1.0);
}
END_TEST

START_TEST(test_logpart_and_mean)
{
    for (size_t k = 0; visible_types[k]; k++) {
        const visible_type *t = visible_types[k];
        for (size_t j = 0; j < N_X; j++) {
            double x[16], m[16];
            for (size_t f = 0; f < t->nfield; f++)
                x[f] = X_LIST[j] * (1.0 + 0.1 * (double)f);
            long double p[16];
            long double L = enum_logpart(t, x, p);
            double got = t->logpart(x);
            ck_assert_msg(fabsl(got - L) <= TOL_LOGPART * (1 + fabsl(L)),
                          "%s x=%g: logpart %.17g vs enumeration %.17Lg", t->name, x[0], got, L);
            t->mean(x, m);
            for (size_t f = 0; f < t->nfield; f++) {
                long double e = 0;
                for (size_t c = 0; c < t->nstates; c++)
                    e += p[c] * visible_enc(t, c)[f];
                ck_assert_msg(fabsl(m[f] - e) <= TOL_MEAN,
                              "%s x=%g: mean[%zu] %.17g vs enumeration %.17Lg", t->name, x[0], f,
                              m[f], e);
                /* the mean is the gradient of the log-partition */
                if (fabs(x[f]) < 100) {
                    double xp[16], xm[16];
                    memcpy(xp, x, sizeof xp);
                    memcpy(xm, x, sizeof xm);
                    xp[f] += FD_STEP;
                    xm[f] -= FD_STEP;
                    double fd = (t->logpart(xp) - t->logpart(xm)) / (2 * FD_STEP);
                    ck_assert_msg(fabs(fd - m[f]) <= TOL_FD, "%s x=%g: FD %.12g vs mean %.12g",
                                  t->name, x[0], fd, m[f]);
                }
            }
        }
    }
    /* spin against its closed forms, where log(2 cosh x) is representable */
    for (double x = -20; x <= 20; x += 0.37) {
        ck_assert(fabs(visible_spin.logpart(&x) - log(2 * cosh(x))) <= 1e-15 * (1 + fabs(x)));
        double m;
        visible_spin.mean(&x, &m);
        ck_assert(fabs(m - tanh(x)) <= 1e-16);
    }
    /* far fields do not overflow: log 2cosh(800) = 800 + log1p(e^-1600) */
    double big = 800.0;
    ck_assert(visible_spin.logpart(&big) == 800.0);
}
END_TEST

START_TEST(test_draw_frequencies)
{
    static const double xs[] = {-1.5, -0.2, 0.0, 0.6, 2.0};
    for (size_t k = 0; visible_types[k]; k++) {
        const visible_type *t = visible_types[k];
        gsl_rng *r = rng_alloc(17 + k, RNG_STREAM_AUX);
        for (size_t j = 0; j < sizeof xs / sizeof xs[0]; j++) {
            double x[16];
            for (size_t f = 0; f < t->nfield; f++)
                x[f] = xs[j] * (1.0 + 0.1 * (double)f);
            long double p[16];
            enum_logpart(t, x, p);
            size_t count[16] = {0};
            for (size_t n = 0; n < N_DRAWS; n++) {
                size_t c = t->draw(x, gsl_rng_uniform(r));
                ck_assert(c < t->nstates);
                count[c]++;
            }
            for (size_t c = 0; c < t->nstates; c++) {
                double f = (double)count[c] / N_DRAWS, pc = (double)p[c];
                double se = sqrt(pc * (1 - pc) / N_DRAWS);
                ck_assert_msg(fabs(f - pc) <= N_SE * se, "%s x=%g: state %zu drawn %.6f, p %.6f "
                              "(SE %.2g)", t->name, x[0], c, f, pc, se);
            }
        }
        /* inversion: u -> 0 gives the most likely state under a strong
         * field towards it, u -> 1 the other end */
        double x = 50.0;
        ck_assert_uint_eq(t->draw(&x, 0.0), t->nstates - 1);
        x = -50.0;
        ck_assert_uint_eq(t->draw(&x, 0.999999), 0);
        gsl_rng_free(r);
    }
}
END_TEST

Suite *visible_suite(void)
{
    Suite *s = suite_create("visible");
    TCase *tc = tcase_create("visible");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_table);
    tcase_add_test(tc, test_logpart_and_mean);
    tcase_add_test(tc, test_draw_frequencies);
    suite_add_tcase(s, tc);
    return s;
}
