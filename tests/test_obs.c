/* Suite obs: the order parameters of SPEC.md section 4 (core/obs.h) against
 * closed forms (uniform, delta, pure Fourier modes, symmetric bumps), a
 * direct O(N^2) DFT, a brute-force O(N^2) maximum over shifts, and
 * piecewise-linear curves whose half-crossing is known exactly. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "core/models.h"
#include "core/obs.h"
#include "core/rng.h"
#include "tests/suites.h"

/* Round-off tolerances: every quantity below is a sum of N <= 1000 terms of
 * size O(1) computed in two different orders (FFT vs direct), so the
 * disagreement is a few hundred ulps at most. */
#define TOL_REL 1e-12
/* Centres are N/(2 pi) times an angle: the angle's round-off grows by N. */
#define TOL_CENTER 1e-9

static const size_t sizes[] = {3, 4, 7, 16, 64, 101, 1000};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static double *gauss_profile(gsl_rng *r, size_t N)
{
    double *w = malloc(N * sizeof *w);
    ck_assert_ptr_nonnull(w);
    for (size_t i = 0; i < N; i++)
        w[i] = gsl_ran_gaussian(r, 1.0);
    return w;
}

/* |sum_i w_i e^{-2 pi i k i / N}| / sqrt(N), angles reduced exactly mod N. */
static double direct_ak(const double *w, size_t N, size_t k)
{
    double re = 0, im = 0;
    for (size_t i = 0; i < N; i++) {
        double th = 2 * M_PI * (double)((k * i) % N) / (double)N;
        re += w[i] * cos(th);
        im -= w[i] * sin(th);
    }
    return hypot(re, im) / sqrt((double)N);
}

static double sumsq(const double *w, size_t N)
{
    double s = 0;
    for (size_t i = 0; i < N; i++)
        s += w[i] * w[i];
    return s;
}

/* distance on the circle of circumference N */
static double circ_dist(double a, double b, size_t N)
{
    double d = fmod(fabs(a - b), (double)N);
    return d < (double)N - d ? d : (double)N - d;
}

START_TEST(test_parseval_and_dft)
{
    gsl_rng *r = rng_alloc(11, RNG_STREAM_AUX);
    ck_assert_ptr_nonnull(r);
    for (size_t n = 0; n < NSIZES; n++) {
        size_t N = sizes[n];
        obs_ws *ws = obs_alloc(N);
        ck_assert_ptr_nonnull(ws);
        for (int rep = 0; rep < 3; rep++) {
            double *w = gauss_profile(r, N);
            double *a = malloc(N * sizeof *a);
            ck_assert_ptr_nonnull(a);
            obs_amplitudes(ws, w, a);
            double n2 = sumsq(w, N), s = 0;
            for (size_t k = 0; k < N; k++)
                s += a[k] * a[k];
            ck_assert_double_eq_tol(s, n2, TOL_REL * n2);
            /* each a_k against the direct DFT, and a_k = a_{N-k} */
            for (size_t k = 0; k < N && k < 40; k++) {
                ck_assert_double_eq_tol(a[k], direct_ak(w, N, k), TOL_REL * sqrt(n2));
                ck_assert_double_eq_tol(a[k], a[(N - k) % N], TOL_REL * sqrt(n2));
            }
            obs_values o;
            obs_compute(ws, &ring_ising, w, &o);
            ck_assert_double_eq_tol(o.norm2, n2, TOL_REL * n2);
            for (size_t k = 0; k < OBS_NA; k++) {
                if (k < N)
                    ck_assert_double_eq_tol(o.a[k], a[k], TOL_REL * sqrt(n2));
                else
                    ck_assert(isnan(o.a[k]));
            }
            free(a);
            free(w);
        }
        obs_free(ws);
    }
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_pr)
{
    for (size_t n = 0; n < NSIZES; n++) {
        size_t N = sizes[n];
        obs_ws *ws = obs_alloc(N);
        ck_assert_ptr_nonnull(ws);
        double *w = calloc(N, sizeof *w);
        ck_assert_ptr_nonnull(w);
        obs_values o;
        for (size_t i = 0; i < N; i++)
            w[i] = -0.37;
        obs_compute(ws, &ring_ising, w, &o);
        ck_assert_double_eq_tol(o.pr, 1.0, TOL_REL);
        /* a block of L equal weights: pr = L / N exactly */
        size_t L = N / 3 + 1;
        for (size_t i = 0; i < N; i++)
            w[i] = (i + 2) % N < L ? 2.5 : 0.0;
        obs_compute(ws, &ring_ising, w, &o);
        ck_assert_double_eq_tol(o.pr, (double)L / (double)N, TOL_REL);
        memset(w, 0, N * sizeof *w);
        w[N / 2] = 4.0;
        obs_compute(ws, &ring_ising, w, &o);
        ck_assert_double_eq_tol(o.pr, 1.0 / (double)N, TOL_REL);
        free(w);
        obs_free(ws);
    }
}
END_TEST

START_TEST(test_R_center_closed_forms)
{
    for (size_t n = 0; n < NSIZES; n++) {
        size_t N = sizes[n];
        obs_ws *ws = obs_alloc(N);
        ck_assert_ptr_nonnull(ws);
        double *w = calloc(N, sizeof *w);
        ck_assert_ptr_nonnull(w);
        obs_values o;
        for (size_t i = 0; i < N; i++)
            w[i] = 1.3;
        obs_compute(ws, &ring_ising, w, &o);
        ck_assert_double_eq_tol(o.R, 0.0, TOL_REL);
        ck_assert_double_eq(o.S, o.R);
        /* a delta at j: R = 1, centre j (every j, including the wrap) */
        for (size_t j = 0; j < N; j++) {
            memset(w, 0, N * sizeof *w);
            w[j] = j % 2 ? -0.7 : 0.7;
            obs_compute(ws, &ring_ising, w, &o);
            ck_assert_double_eq_tol(o.R, 1.0, TOL_REL);
            ck_assert(o.center >= 0 && o.center < (double)N);
            ck_assert_double_eq_tol(o.center, (double)j, TOL_CENTER);
        }
        /* equal deltas at j and j+2: sum = e^{i th (j+1)} 2 cos(2 pi / N),
         * so R = |cos(2 pi / N)| and the centre is j+1 (mod N; the phase
         * flips by pi when cos < 0, N = 3) */
        for (size_t j = 0; j < N; j++) {
            memset(w, 0, N * sizeof *w);
            w[j] = 1.0;
            w[(j + 2) % N] = -1.0;
            obs_compute(ws, &ring_ising, w, &o);
            double c2 = cos(2 * M_PI / (double)N);
            ck_assert_double_eq_tol(o.R, fabs(c2), TOL_REL);
            double expect = (double)(j + 1) + (c2 < 0 ? (double)N / 2 : 0.0);
            ck_assert(o.center >= 0 && o.center < (double)N);
            /* N = 4: cos = 0, R = 0 and the centre is undefined */
            if (fabs(c2) > 0.1)
                ck_assert_double_le_tol(circ_dist(o.center, expect, N), 0.0, TOL_CENTER);
        }
        free(w);
        obs_free(ws);
    }
}
END_TEST

START_TEST(test_center_smooth_bump)
{
    /* a Gaussian bump in periodic distance from c is mirror-symmetric about
     * c when 2c is an integer, so its centre is c exactly; check across the
     * wrap (c near 0 and near N) and at half-integers */
    const size_t N = 101;
    const double sigma = 6.0;
    const double cs[] = {0.0, 0.5, 3.0, 50.5, 77.0, 99.5, 100.0, 100.5};
    obs_ws *ws = obs_alloc(N);
    ck_assert_ptr_nonnull(ws);
    double w[101];
    for (size_t n = 0; n < sizeof cs / sizeof cs[0]; n++) {
        for (size_t i = 0; i < N; i++) {
            double d = circ_dist((double)i, cs[n], N);
            w[i] = 0.2 + exp(-d * d / (2 * sigma * sigma));
        }
        obs_values o;
        obs_compute(ws, &ring_ising, w, &o);
        ck_assert_double_le_tol(circ_dist(o.center, cs[n], N), 0.0, TOL_CENTER);
        ck_assert(o.R > 0.1 && o.R < 1.0);
        /* translation invariance of R and pr: shift by an integer */
        double ws2[101];
        for (size_t i = 0; i < N; i++)
            ws2[(i + 37) % N] = w[i];
        obs_values o2;
        obs_compute(ws, &ring_ising, ws2, &o2);
        ck_assert_double_eq_tol(o2.R, o.R, TOL_REL);
        ck_assert_double_eq_tol(o2.pr, o.pr, TOL_REL);
        ck_assert_double_le_tol(circ_dist(o2.center, cs[n] + 37, N), 0.0, TOL_CENTER);
    }
    obs_free(ws);
}
END_TEST

START_TEST(test_pure_modes)
{
    const double A = 0.8, phi = 0.3;
    for (size_t n = 0; n < NSIZES; n++) {
        size_t N = sizes[n];
        obs_ws *ws = obs_alloc(N);
        ck_assert_ptr_nonnull(ws);
        double *w = malloc(N * sizeof *w), *a = malloc(N * sizeof *a);
        ck_assert(w && a);
        for (size_t k0 = 0; k0 <= N / 2; k0++) {
            for (size_t i = 0; i < N; i++)
                w[i] = A * cos(2 * M_PI * (double)((k0 * i) % N) / (double)N + phi);
            obs_amplitudes(ws, w, a);
            /* A cos(k0 th + phi) = (A/2)(e^{i..} + e^{-i..}): amplitude
             * A sqrt(N)/2 at k0 and N-k0, which coincide (A cos phi) at k0 = 0
             * and k0 = N/2 */
            int self = k0 == 0 || 2 * k0 == N;
            double expect = self ? A * fabs(cos(phi)) * sqrt((double)N) : A * sqrt((double)N) / 2;
            for (size_t k = 0; k < N; k++) {
                int on = k == k0 || k == (N - k0) % N;
                ck_assert_double_eq_tol(a[k], on ? expect : 0.0, TOL_REL * A * sqrt((double)N));
            }
            if (k0 == 1 && N > 2) {
                /* a pure k = 1 mode is fully symmetry-broken for bump */
                obs_values o;
                obs_compute(ws, &ring_bump, w, &o);
                ck_assert_double_eq_tol(o.S, 1.0, TOL_REL);
            }
        }
        free(w);
        free(a);
        obs_free(ws);
    }
}
END_TEST

START_TEST(test_S_definitions)
{
    gsl_rng *r = rng_alloc(12, RNG_STREAM_AUX);
    for (size_t n = 0; n < NSIZES; n++) {
        size_t N = sizes[n];
        obs_ws *ws = obs_alloc(N);
        ck_assert_ptr_nonnull(ws);
        double *w = gauss_profile(r, N);
        for (size_t i = 0; i < N; i++)
            w[i] += 2.0 * cos(2 * M_PI * (double)i / (double)N - 1.0);
        obs_values ob, oi;
        obs_compute(ws, &ring_bump, w, &ob);
        obs_compute(ws, &ring_ising, w, &oi);
        double n2 = sumsq(w, N), a1 = direct_ak(w, N, 1);
        ck_assert_double_eq_tol(ob.S, 2 * a1 * a1 / n2, TOL_REL);
        ck_assert_double_eq(oi.S, oi.R);
        /* everything but S is independent of the data model */
        ck_assert_double_eq(ob.R, oi.R);
        ck_assert_double_eq(ob.pr, oi.pr);
        ck_assert_double_eq(ob.center, oi.center);
        /* sign flip leaves every order parameter unchanged */
        for (size_t i = 0; i < N; i++)
            w[i] = -w[i];
        obs_values of;
        obs_compute(ws, &ring_bump, w, &of);
        ck_assert_double_eq_tol(of.S, ob.S, TOL_REL);
        ck_assert_double_eq_tol(of.R, ob.R, TOL_REL);
        ck_assert_double_eq_tol(of.pr, ob.pr, TOL_REL);
        free(w);
        obs_free(ws);
    }
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_zero_profile)
{
    obs_ws *ws = obs_alloc(10);
    ck_assert_ptr_nonnull(ws);
    double w[10] = {0}, u[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    obs_values o;
    obs_compute(ws, &ring_bump, w, &o);
    ck_assert_double_eq(o.norm2, 0.0);
    ck_assert(isnan(o.pr) && isnan(o.R) && isnan(o.S) && isnan(o.center));
    ck_assert(isnan(obs_overlap(ws, w, u, NULL, NULL)));
    ck_assert(isnan(obs_overlap(ws, u, w, NULL, NULL)));
    obs_free(ws);
    ck_assert_ptr_null(obs_alloc(0));
    obs_free(NULL);
}
END_TEST

/* max over s and sign of |sum_i w_i u_{i+s}| / (|w||u|), and the s */
static double brute_overlap(const double *w, const double *u, size_t N, size_t *shift, int *sign)
{
    double best = -1, nw = sqrt(sumsq(w, N)), nu = sqrt(sumsq(u, N));
    for (size_t s = 0; s < N; s++) {
        double c = 0;
        for (size_t i = 0; i < N; i++)
            c += w[i] * u[(i + s) % N];
        if (fabs(c) > best) {
            best = fabs(c);
            *shift = s;
            *sign = c < 0 ? -1 : 1;
        }
    }
    return best / (nw * nu);
}

START_TEST(test_overlap_copies)
{
    gsl_rng *r = rng_alloc(13, RNG_STREAM_AUX);
    for (size_t n = 0; n < NSIZES; n++) {
        size_t N = sizes[n];
        obs_ws *ws = obs_alloc(N);
        ck_assert_ptr_nonnull(ws);
        double *u = gauss_profile(r, N), *w = malloc(N * sizeof *w);
        ck_assert_ptr_nonnull(w);
        const size_t shifts[] = {0, 1, N / 2, N - 1};
        for (size_t q = 0; q < 4; q++) {
            for (int sg = -1; sg <= 1; sg += 2) {
                /* w_i = sg * 3.7 * u_{i+s0}: Q = 1 at shift s0, sign sg */
                size_t s0 = shifts[q];
                for (size_t i = 0; i < N; i++)
                    w[i] = sg * 3.7 * u[(i + s0) % N];
                size_t shift = 12345;
                int sign = 0;
                double Q = obs_overlap(ws, w, u, &shift, &sign);
                ck_assert_double_eq_tol(Q, 1.0, TOL_REL);
                ck_assert_uint_eq(shift, s0);
                ck_assert_int_eq(sign, sg);
            }
        }
        free(u);
        free(w);
        obs_free(ws);
    }
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_overlap_brute_force)
{
    gsl_rng *r = rng_alloc(14, RNG_STREAM_AUX);
    for (size_t n = 0; n < NSIZES; n++) {
        size_t N = sizes[n];
        obs_ws *ws = obs_alloc(N);
        ck_assert_ptr_nonnull(ws);
        for (int rep = 0; rep < 5; rep++) {
            double *w = gauss_profile(r, N), *u = gauss_profile(r, N);
            /* make some pairs correlated so the maximum is not noise */
            if (rep % 2)
                for (size_t i = 0; i < N; i++)
                    w[i] += 0.5 * u[(i + 3 * (size_t)rep) % N];
            size_t sb, sf;
            int gb, gf;
            double Qb = brute_overlap(w, u, N, &sb, &gb);
            double Qf = obs_overlap(ws, w, u, &sf, &gf);
            ck_assert_double_eq_tol(Qf, Qb, TOL_REL);
            ck_assert(Qf <= 1.0 + TOL_REL);
            /* the reported shift and sign realise the maximum (a near-tie
             * may pick another s, so compare values, not indices) */
            double c = 0;
            for (size_t i = 0; i < N; i++)
                c += w[i] * u[(i + sf) % N];
            c /= sqrt(sumsq(w, N) * sumsq(u, N));
            ck_assert_double_eq_tol(gf * c, Qb, TOL_REL);
            free(w);
            free(u);
        }
        obs_free(ws);
    }
    gsl_rng_free(r);
}
END_TEST

/* A ramp from base at t0 to top at t1, flat outside: S(t) piecewise linear,
 * so linear interpolation between snapshots in [t0, t1] is exact. */
static double ramp(double t, double t0, double t1, double base, double top)
{
    double x = (t - t0) / (t1 - t0);
    x = x < 0 ? 0 : x > 1 ? 1 : x;
    return base + (top - base) * x;
}

START_TEST(test_t_sb)
{
    const double t[] = {0, 0.5, 1, 2.5, 3.7, 4.9, 6.5, 8, 10};
    const size_t n = sizeof t / sizeof t[0];
    double S[sizeof t / sizeof t[0]];
    /* ramp 0.01 -> 1 on [2, 6]: half = 0.5 at t = 2 + 4 (0.49 / 0.99),
     * bracketed by the snapshots 3.7 and 4.9, both on the ramp */
    for (size_t k = 0; k < n; k++)
        S[k] = ramp(t[k], 2, 6, 0.01, 1.0);
    ck_assert_double_eq_tol(obs_t_sb(t, S, n), 2 + 4 * 0.49 / 0.99, 1e-14);
    /* the same curve scaled: t_sb does not depend on the scale of S ... */
    for (size_t k = 0; k < n; k++)
        S[k] *= 0.25;
    ck_assert_double_eq_tol(obs_t_sb(t, S, n), 2 + 4 * 0.49 / 0.99, 1e-14);
    /* ... as long as the final state is broken: a final S at or below
     * OBS_BROKEN_S is the symmetric phase, where t_sb does not exist */
    for (size_t k = 0; k < n; k++)
        S[k] *= OBS_BROKEN_S / 0.25;
    ck_assert(isnan(obs_t_sb(t, S, n)));
    S[n - 1] = nextafter(OBS_BROKEN_S, 1);
    ck_assert(!isnan(obs_t_sb(t, S, n)));
    /* the first crossing counts: up to 0.8 at t = 1, down, up again */
    const double S2[] = {0, 0.2, 0.8, 0.1, 0.1, 0.3, 0.6, 0.9, 1.0};
    ck_assert_double_eq_tol(obs_t_sb(t, S2, n), 0.5 + 0.5 * (0.5 - 0.2) / (0.8 - 0.2), 1e-14);
    /* crossing exactly at a snapshot */
    const double S3[] = {0, 0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 0.8, 1.0};
    ck_assert_double_eq_tol(obs_t_sb(t, S3, n), 3.7, 1e-14);
    /* already above half at the first snapshot */
    const double S4[] = {0.6, 0.7, 0.8, 0.9, 1, 1, 1, 1, 1};
    ck_assert_double_eq(obs_t_sb(t, S4, n), 0.0);
    /* undefined: no snapshots, final value zero, negative or NaN */
    ck_assert(isnan(obs_t_sb(t, S, 0)));
    const double S5[] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
    ck_assert(isnan(obs_t_sb(t, S5, n)));
    const double S6[] = {0, 0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 0.8, -1.0};
    ck_assert(isnan(obs_t_sb(t, S6, n)));
    const double S7[] = {0, 0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 0.8, NAN};
    ck_assert(isnan(obs_t_sb(t, S7, n)));
    /* a NaN before the crossing is skipped, not interpolated through */
    const double S8[] = {0, 0.1, NAN, 0.7, 0.8, 0.9, 1, 1, 1};
    ck_assert_double_eq(obs_t_sb(t, S8, n), 2.5);
}
END_TEST

Suite *obs_suite(void)
{
    Suite *s = suite_create("obs");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_parseval_and_dft);
    tcase_add_test(tc, test_pr);
    tcase_add_test(tc, test_R_center_closed_forms);
    tcase_add_test(tc, test_center_smooth_bump);
    tcase_add_test(tc, test_pure_modes);
    tcase_add_test(tc, test_S_definitions);
    tcase_add_test(tc, test_zero_profile);
    tcase_add_test(tc, test_overlap_copies);
    tcase_add_test(tc, test_overlap_brute_force);
    tcase_add_test(tc, test_t_sb);
    suite_add_tcase(s, tc);
    return s;
}
