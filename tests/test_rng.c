/* Suite rng: seeded streams, the shared w(0) draw (core/rng.c) and the
 * snapshot grid (core/snap.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/snap.h"
#include "tests/suites.h"

START_TEST(test_init_weights)
{
    enum { N = 400, M = 50 };
    double *a = malloc(N * M * sizeof *a), *b = malloc(N * M * sizeof *b);
    rng_init_weights(11, N, M, 0.3, a);
    rng_init_weights(11, N, M, 0.3, b);
    ck_assert(!memcmp(a, b, N * M * sizeof *a));   /* same seed, same w(0) */
    rng_init_weights(12, N, M, 0.3, b);
    ck_assert(memcmp(a, b, N * M * sizeof *a));    /* another seed, another */
    /* w = s0 z / sqrt(N): mean 0 and variance s0^2 / N within 5 standard
     * errors over the N M = 20000 draws */
    double s = 0, s2 = 0, var = 0.09 / N;
    for (size_t k = 0; k < N * M; k++) {
        s += a[k];
        s2 += a[k] * a[k];
    }
    double n = N * M, mean = s / n, v = s2 / n;
    ck_assert_msg(fabs(mean) < 5 * sqrt(var / n), "mean %g", mean);
    ck_assert_msg(fabs(v - var) < 5 * var * sqrt(2.0 / n), "variance %g, expected %g", v, var);
    /* unit mu's profile does not depend on M: the draw is mu-major */
    rng_init_weights(11, N, 1, 0.3, b);
    ck_assert(!memcmp(a, b, N * sizeof *a));
    free(a);
    free(b);
}
END_TEST

START_TEST(test_streams)
{
    /* streams of one seed and equal streams of nearby seeds are unrelated */
    gsl_rng *r0 = rng_alloc(1, RNG_STREAM_DATA), *r1 = rng_alloc(1, RNG_STREAM_TEST);
    gsl_rng *r2 = rng_alloc(2, RNG_STREAM_DATA), *r3 = rng_alloc(1, RNG_STREAM_DATA);
    int same01 = 1, same02 = 1, same03 = 1;
    for (int k = 0; k < 16; k++) {
        unsigned long x0 = gsl_rng_get(r0), x1 = gsl_rng_get(r1), x2 = gsl_rng_get(r2);
        unsigned long x3 = gsl_rng_get(r3);
        same01 &= (x0 == x1);
        same02 &= (x0 == x2);
        same03 &= (x0 == x3);
    }
    ck_assert(!same01 && !same02 && same03);
    ck_assert(rng_derive(1, 0) != rng_derive(0, 1));
    gsl_rng_free(r0);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
    gsl_rng_free(r3);
}
END_TEST

START_TEST(test_snapshots)
{
    double t[201];
    snap_times(40.0, 200, 0, t);
    ck_assert(t[0] == 0.0 && t[200] == 40.0);
    ck_assert(fabs(t[1] - 40.0 * SNAP_LOG_SPAN) < 1e-15);
    for (size_t j = 2; j <= 200; j++) {
        ck_assert(t[j] > t[j - 1]);
        /* constant ratio on the log grid */
        ck_assert(fabs(t[j] / t[j - 1] - t[2] / t[1]) < 1e-12);
    }
    snap_times(3.0, 6, 1, t);
    for (size_t j = 0; j <= 6; j++)
        ck_assert(fabs(t[j] - 0.5 * (double)j) < 1e-15);
    snap_times(5.0, 1, 0, t);
    ck_assert(t[0] == 0.0 && t[1] == 5.0);
}
END_TEST

Suite *rng_suite(void)
{
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("rng");
    tcase_add_test(tc, test_init_weights);
    tcase_add_test(tc, test_streams);
    tcase_add_test(tc, test_snapshots);
    suite_add_tcase(s, tc);
    return s;
}
