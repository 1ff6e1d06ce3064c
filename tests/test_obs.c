/* Suite obs: the order parameters of SPEC.md section 4 (core/obs.h) against
 * closed forms (uniform, delta, pure Fourier modes, symmetric bumps), a
 * direct O(N^2) DFT, a brute-force O(N^2) maximum over lattice shifts (a
 * lower bound of Q) and a direct band-limited interpolant on a fine grid of
 * continuous shifts, closed-form translates (von Mises bumps), and
 * piecewise-linear curves whose half-crossing is known exactly (t_sb and
 * fwhm), and for fwhm a sampled gaussian against its closed-form width
 * within the linear-interpolation error bound. */
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
    /* non-finite entries, or a norm that overflows: no overlap (and no
     * GSL error: the refinement never sees a non-finite value) */
    double x[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    x[3] = NAN;
    ck_assert(isnan(obs_overlap(ws, x, u, NULL, NULL)));
    x[3] = INFINITY;
    ck_assert(isnan(obs_overlap(ws, u, x, NULL, NULL)));
    x[3] = 1e200;
    ck_assert(isnan(obs_overlap(ws, x, u, NULL, NULL)));
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

/* u(x) at a real x by the band-limited interpolant of the samples u_i,
 * from a direct O(N^2) DFT (no FFT; an independent route to obs's): the
 * modes |k| < N/2 with their phases, the Nyquist mode as cos(pi x) times
 * its coefficient (the convention of obs_shift_frac). */
static double interp_direct(const double *u, size_t N, double x)
{
    double sum = 0;
    for (size_t k = 0; 2 * k <= N; k++) {
        double re = 0, im = 0;
        for (size_t i = 0; i < N; i++) {
            double th = 2 * M_PI * (double)((k * i) % N) / (double)N;
            re += u[i] * cos(th);
            im -= u[i] * sin(th);
        }
        double a = 2 * M_PI * (double)k * x / (double)N;
        double mult = (k == 0 || 2 * k == N) ? 1.0 : 2.0;
        if (2 * k == N)
            sum += re * cos(M_PI * x);
        else
            sum += mult * (re * cos(a) - im * sin(a));
    }
    return sum / (double)N;
}

/* The continuous correlation by interp_direct: sum_i w_i u(i + s) / norms. */
static double corr_direct(const double *w, const double *u, size_t N, double s)
{
    double c = 0;
    for (size_t i = 0; i < N; i++)
        c += w[i] * interp_direct(u, N, (double)i + s);
    return c / sqrt(sumsq(w, N) * sumsq(u, N));
}

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
            double sx;
            int gx;
            double Qx = obs_overlap_frac(ws, w, u, &sx, &gx);
            /* the continuous shift can only do better than the lattice */
            ck_assert_msg(Qf >= Qb - TOL_REL, "N %zu: Q %.17g < lattice %.17g", N, Qf, Qb);
            ck_assert(Qf <= 1.0);
            ck_assert_double_eq(Qf, Qx);
            ck_assert_int_eq(gf, gx);
            ck_assert(sx >= 0 && sx < (double)N);
            /* nearest lattice shift */
            double dsx = fabs(sx - (double)sf);
            ck_assert(dsx <= 0.5 || fabs(dsx - (double)N) <= 0.5);
            /* the reported shift and sign realise Q on the independent
             * interpolant, and no point of a fine grid within one site of
             * the lattice best beats it (N <= 101: O(N^2) per point) */
            if (N <= 101) {
                ck_assert_double_eq_tol(gx * corr_direct(w, u, N, sx), Qx, 1e-11);
                for (int j = -50; j <= 50; j++) {
                    double c = fabs(corr_direct(w, u, N, (double)sb + j / 50.0));
                    ck_assert_msg(c <= Qx + 1e-11, "N %zu: grid %.17g > Q %.17g", N, c, Qx);
                }
            }
            free(w);
            free(u);
        }
        obs_free(ws);
    }
    gsl_rng_free(r);
}
END_TEST

/* von Mises bump exp(kappa (cos(2 pi (i - c) / N) - 1)): its Fourier
 * coefficients are I_k(kappa) e^{-kappa}, below 1e-17 of the peak beyond
 * k ~ 40 for kappa <= 30, so at N = 100 it is band-limited to rounding and
 * its exact translate is the closed form at another c. */
static void von_mises(double *w, size_t N, double kappa, double c)
{
    for (size_t i = 0; i < N; i++)
        w[i] = exp(kappa * (cos(2 * M_PI * ((double)i - c) / (double)N) - 1.0));
}

START_TEST(test_overlap_frac_spec_example)
{
    /* SPEC.md 4: fields at fractional centres 32.20 and 52.83; the lattice
     * overlap is below 1, the continuous one is 1 to rounding and its
     * shift is the offset of the centres */
    const size_t N = 100;
    const double kappas[] = {7.0, 30.0};   /* FWHM ~ 14 and ~ 7 sites */
    obs_ws *ws = obs_alloc(N);
    ck_assert_ptr_nonnull(ws);
    double w[100], u[100];
    for (int q = 0; q < 2; q++) {
        von_mises(w, N, kappas[q], 52.83);
        von_mises(u, N, kappas[q], 32.20);
        size_t sb;
        int gb;
        double Qb = brute_overlap(w, u, N, &sb, &gb);
        double s;
        int g;
        double Q = obs_overlap_frac(ws, w, u, &s, &g);
        ck_assert_msg(Qb < 1.0 - 1e-6, "lattice Q %.17g", Qb);
        ck_assert_msg(fabs(Q - 1.0) < 1e-12, "Q - 1 = %g", Q - 1.0);
        ck_assert_int_eq(g, 1);
        /* w_i = u(i + s) with w centred at 52.83, u at 32.20: s = -20.63 */
        ck_assert_msg(circ_dist(s, (double)N - 20.63, N) < 1e-6, "s %.17g", s);
        size_t sl;
        (void)obs_overlap(ws, w, u, &sl, NULL);
        ck_assert_uint_eq(sl, 79);   /* 100 - 20.63 = 79.37 -> 79 */
        /* the sign: -w matches with sign -1 and the same shift */
        for (size_t i = 0; i < N; i++)
            w[i] = -w[i];
        double s2;
        ck_assert(fabs(obs_overlap_frac(ws, w, u, &s2, &g) - 1.0) < 1e-12);
        ck_assert_int_eq(g, -1);
        ck_assert(circ_dist(s2, s, N) < 1e-6);
        /* obs_shift_frac reproduces the closed-form translate */
        von_mises(u, N, kappas[q], 32.20);
        von_mises(w, N, kappas[q], 52.83);
        double v[100];
        obs_shift_frac(ws, u, 52.83 - 32.20, v);
        for (size_t i = 0; i < N; i++)
            ck_assert_double_eq_tol(v[i], w[i], 1e-13);
    }
    obs_free(ws);
}
END_TEST

/* Remove the Nyquist mode of w (even N): then the band-limited translate
 * keeps the whole norm and Q(w, translate) = 1 exactly. */
static void drop_nyquist(double *w, size_t N)
{
    if (N % 2)
        return;
    double a = 0;
    for (size_t i = 0; i < N; i++)
        a += (i % 2 ? -1.0 : 1.0) * w[i];
    for (size_t i = 0; i < N; i++)
        w[i] -= (i % 2 ? -1.0 : 1.0) * a / (double)N;
}

START_TEST(test_overlap_frac_translates)
{
    gsl_rng *r = rng_alloc(15, RNG_STREAM_AUX);
    for (size_t n = 0; n < NSIZES; n++) {
        size_t N = sizes[n];
        obs_ws *ws = obs_alloc(N);
        ck_assert_ptr_nonnull(ws);
        double *w = gauss_profile(r, N), *u = malloc(N * sizeof *u), *v = malloc(N * sizeof *v);
        ck_assert_ptr_nonnull(u);
        ck_assert_ptr_nonnull(v);
        /* a smooth profile, so that the maximum of the correlation is the
         * translate's (a white-noise profile has near-ties at every site) */
        for (size_t i = 0; i < N; i++)
            w[i] += 4.0 * exp(-0.5 * pow(fmin((double)i, (double)(N - i)) / 3.0, 2));
        drop_nyquist(w, N);
        for (int rep = 0; rep < 6; rep++) {
            double s = gsl_rng_uniform(r) * (double)N * 3.0 - (double)N;
            obs_shift_frac(ws, w, s, u);
            double sh;
            int g;
            double Q = obs_overlap_frac(ws, w, u, &sh, &g);
            ck_assert_msg(fabs(Q - 1.0) < 1e-12, "N %zu s %g: Q - 1 = %g", N, s, Q - 1.0);
            ck_assert_int_eq(g, 1);
            /* u(i) = w(i - s), so w(i) = u(i + s) */
            ck_assert_msg(circ_dist(sh, s, N) < 1e-6, "N %zu: shift %.17g want %g", N, sh, s);
            /* symmetry: Q(u, w) = Q(w, u), shift -s */
            double sh2;
            double Q2 = obs_overlap_frac(ws, u, w, &sh2, &g);
            ck_assert_double_eq_tol(Q2, Q, 1e-12);
            ck_assert(circ_dist(sh2, -s, N) < 1e-6);
            /* a norm-preserving translation, and translations compose */
            ck_assert_double_eq_tol(sumsq(u, N), sumsq(w, N), 1e-12 * sumsq(w, N));
            obs_shift_frac(ws, u, -s, v);
            for (size_t i = 0; i < N; i++)
                ck_assert_double_eq_tol(v[i], w[i], 1e-11);
        }
        /* integer s: the exact cyclic shift, Nyquist mode or not */
        for (size_t i = 0; i < N; i++)
            w[i] = gsl_ran_gaussian(r, 1.0);
        obs_shift_frac(ws, w, 2.0, u);
        for (size_t i = 0; i < N; i++)
            ck_assert_double_eq_tol(u[i], w[(i + N - 2 % N) % N], 1e-13);
        /* in place */
        memcpy(v, w, N * sizeof *v);
        obs_shift_frac(ws, v, 2.0, v);
        for (size_t i = 0; i < N; i++)
            ck_assert_double_eq_tol(v[i], u[i], 1e-15);
        free(w);
        free(u);
        free(v);
        obs_free(ws);
    }
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_overlap_nyquist_real)
{
    /* N = 4: the pure Nyquist mode (-1)^i translated by s is (-1)^i cos(pi
     * s): real, and zero half-way between sites; an even N profile keeps
     * the rest of its modes at full norm */
    obs_ws *ws = obs_alloc(4);
    ck_assert_ptr_nonnull(ws);
    double w[4] = {1, -1, 1, -1}, u[4];
    const double ss[] = {0.25, 0.5, 1.0, 1.7};
    for (int q = 0; q < 4; q++) {
        obs_shift_frac(ws, w, ss[q], u);
        for (size_t i = 0; i < 4; i++)
            ck_assert_double_eq_tol(u[i], w[i] * cos(M_PI * ss[q]), 1e-15);
    }
    obs_free(ws);
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

/* ---- fwhm ---------------------------------------------------------------- */

/* A triangle of height 1 and half-base a centred at c on the ring: linear
 * between sites wherever no kink (apex c, feet c +- a) lies between them,
 * so fwhm's interpolation is exact there. */
static void triangle(double *w, size_t N, double c, double a, double base)
{
    for (size_t i = 0; i < N; i++) {
        double t = 1 - circ_dist((double)i, c, N) / a;
        w[i] = base + (1 - base) * (t > 0 ? t : 0);
    }
}

START_TEST(test_fwhm_triangle)
{
    size_t N = 100;
    double *w = malloc(N * sizeof *w);
    ck_assert_ptr_nonnull(w);
    /* apex on a site: the maximum is 1, half 1/2 is reached at c +- a/2,
     * so fwhm = a (a >= 2.5 keeps the foot beyond the bracketing site) */
    const double as[] = {2.5, 4, 7.3, 20};
    for (size_t k = 0; k < sizeof as / sizeof as[0]; k++) {
        triangle(w, N, 40, as[k], 0);
        ck_assert_double_eq_tol(obs_fwhm(w, N), as[k], 1e-12);
        /* |w|: sign and scale do not matter */
        for (size_t i = 0; i < N; i++)
            w[i] *= -3.5;
        ck_assert_double_eq_tol(obs_fwhm(w, N), as[k], 1e-12);
    }
    /* on a pedestal 0.2: half 1/2 is where the triangle is 3/8, at
     * c +- 5 a / 8 (a >= 4: the crossing's outer site is still on the slope) */
    for (size_t k = 1; k < sizeof as / sizeof as[0]; k++) {
        triangle(w, N, 40, as[k], 0.2);
        ck_assert_double_eq_tol(obs_fwhm(w, N), 1.25 * as[k], 1e-12);
    }
    /* apex between sites (c = 40.3, a = 9): the largest sample is
     * m = 1 - 0.3/9 at site 40, and |w| = m/2 at c +- a (1 - m/2) */
    triangle(w, N, 40.3, 9, 0);
    double m = 1 - 0.3 / 9;
    ck_assert_double_eq_tol(obs_fwhm(w, N), 2 * 9 * (1 - m / 2), 1e-12);
    /* a delta: half is crossed half-way to either neighbour */
    memset(w, 0, N * sizeof *w);
    w[17] = -2;
    ck_assert_double_eq_tol(obs_fwhm(w, N), 1.0, 1e-15);
    /* a neighbour exactly at half the maximum is the crossing itself */
    w[16] = w[18] = 1;
    ck_assert_double_eq_tol(obs_fwhm(w, N), 2.0, 1e-15);
    /* the dominant peak is measured, not a wider, lower one (height 0.8,
     * half-base 20, at distance 50: the two meet at 0 between them) */
    triangle(w, N, 20, 5, 0);
    for (size_t i = 0; i < N; i++) {
        double t = 1 - circ_dist((double)i, 70, N) / 20;
        if (t > 0)
            w[i] = 0.8 * t;
    }
    ck_assert_double_eq_tol(obs_fwhm(w, N), 5.0, 1e-12);
    free(w);
}
END_TEST

START_TEST(test_fwhm_gaussian)
{
    /* w_i = exp(-d^2 / (2 s^2)), d the ring distance from a centre c between
     * sites.  With m the largest sample, the exact profile is at m/2 at
     * d0 = s sqrt(2 ln(2/m)) on either side.  On the bracketing interval
     * [j, j+1] the linear interpolant differs from f by at most
     * max|f''| / 8, so its crossing lies within max|f''| / (8 min|f'|) of
     * the true one: the bound is computed per side from f' and f'' sampled
     * densely on the bracket (with 1% margin for the sampling).  N = 240
     * keeps the tails of the widest one below 1e-40 at the antipode. */
    size_t N = 240;
    double *w = malloc(N * sizeof *w);
    ck_assert_ptr_nonnull(w);
    const double ss[] = {1.5, 3, 6, 12};
    const double cs[] = {50.37, 119.5, 0.81};   /* the last one straddles the seam */
    for (size_t a = 0; a < sizeof ss / sizeof ss[0]; a++) {
        for (size_t b = 0; b < sizeof cs / sizeof cs[0]; b++) {
            double s = ss[a], c = cs[b], m = 0;
            for (size_t i = 0; i < N; i++) {
                double d = circ_dist((double)i, c, N);
                w[i] = exp(-d * d / (2 * s * s));
                m = w[i] > m ? w[i] : m;
            }
            double d0 = s * sqrt(2 * log(2 / m)), bound = 0;
            for (int side = -1; side <= 1; side += 2) {
                /* the crossing at x0 = c + side d0, bracketed by j, j+1 */
                double x0 = c + side * d0, j = floor(x0);
                double m2 = 0, m1 = INFINITY;
                for (int q = 0; q <= 1000; q++) {
                    double x = j + q / 1000.0, y = x - c;
                    double f = exp(-y * y / (2 * s * s));
                    double f1 = fabs(y / (s * s) * f);
                    double f2 = fabs((y * y / (s * s) - 1) / (s * s) * f);
                    m1 = f1 < m1 ? f1 : m1;
                    m2 = f2 > m2 ? f2 : m2;
                }
                /* f is monotone on the bracket (the apex is outside it) */
                ck_assert_msg(c < j || c > j + 1, "s = %g: the bracket of x0 = %g holds c", s,
                              x0);
                bound += 1.01 * m2 / (8 * m1);
            }
            double got = obs_fwhm(w, N), exact = 2 * d0;
            ck_assert_msg(fabs(got - exact) <= bound,
                          "s = %g c = %g: fwhm %.12g, exact %.12g, bound %.3g", s, c, got,
                          exact, bound);
            /* the bound is tight enough to mean something: well under the
             * half-site error of rounding to sites */
            ck_assert_msg(bound < 0.25, "s = %g: bound %g", s, bound);
        }
    }
    free(w);
}
END_TEST

START_TEST(test_fwhm_seam)
{
    /* the same triangles across the seam: apex on site 0 (a = 7.3) and
     * between sites 99 and 0 (c = 99.6, largest sample 1 - 0.4/9 on
     * site 0), against the closed forms of test_fwhm_triangle */
    size_t N = 100;
    double *w = malloc(N * sizeof *w), *u = malloc(N * sizeof *u);
    ck_assert_ptr_nonnull(w);
    ck_assert_ptr_nonnull(u);
    triangle(w, N, 0, 7.3, 0);
    ck_assert_double_eq_tol(obs_fwhm(w, N), 7.3, 1e-12);
    triangle(w, N, 99.6, 9, 0);
    double m = 1 - 0.4 / 9;
    ck_assert_double_eq_tol(obs_fwhm(w, N), 2 * 9 * (1 - m / 2), 1e-12);
    /* an asymmetric, noisy peak: every cyclic shift and the mirror image
     * give the same width (the peak is unique, so the same arithmetic) */
    gsl_rng *r = rng_alloc(11, RNG_STREAM_INIT);
    ck_assert_ptr_nonnull(r);
    for (size_t i = 0; i < N; i++) {
        double d = (double)i - 30.4, s = d < 0 ? 3.0 : 7.0;
        w[i] = exp(-d * d / (2 * s * s)) + 0.05 * gsl_ran_gaussian(r, 1.0);
    }
    double ref = obs_fwhm(w, N);
    ck_assert_msg(ref > 2 * 1.1774 * 4 && ref < 2 * 1.1774 * 6, "fwhm %g", ref);
    for (size_t sh = 0; sh < N; sh++) {
        for (size_t i = 0; i < N; i++)
            u[(i + sh) % N] = w[i];
        ck_assert_double_eq_tol(obs_fwhm(u, N), ref, 1e-12);
        for (size_t i = 0; i < N; i++)
            u[(2 * N - 1 - i + sh) % N] = w[i];
        ck_assert_double_eq_tol(obs_fwhm(u, N), ref, 1e-12);
    }
    gsl_rng_free(r);
    free(w);
    free(u);
}
END_TEST

START_TEST(test_fwhm_undefined)
{
    /* No half-maximum crossing, so NAN (see core/obs.h for why not N): a
     * flat profile, a zero one, one above half its maximum all round
     * (1 + 0.3 cos: minimum 0.7 > 1.3 / 2), a NaN or Inf entry, N = 0 and
     * N = 1. */
    size_t N = 64;
    double *w = malloc(N * sizeof *w);
    ck_assert_ptr_nonnull(w);
    for (size_t i = 0; i < N; i++)
        w[i] = -0.37;
    ck_assert(isnan(obs_fwhm(w, N)));
    memset(w, 0, N * sizeof *w);
    ck_assert(isnan(obs_fwhm(w, N)));
    for (size_t i = 0; i < N; i++)
        w[i] = 1 + 0.3 * cos(2 * M_PI * (double)i / (double)N);
    ck_assert(isnan(obs_fwhm(w, N)));
    /* ... until one site dips to half: then a width exists and is < N */
    w[N / 2] = 0.6;
    double f = obs_fwhm(w, N);
    ck_assert_msg(isfinite(f) && f > N - 2 && f < N, "fwhm %g", f);
    w[3] = NAN;
    ck_assert(isnan(obs_fwhm(w, N)));
    w[3] = -INFINITY;
    ck_assert(isnan(obs_fwhm(w, N)));
    ck_assert(isnan(obs_fwhm(w, 0)));
    w[0] = 2;
    ck_assert(isnan(obs_fwhm(w, 1)));
    free(w);
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
    tcase_add_test(tc, test_overlap_frac_spec_example);
    tcase_add_test(tc, test_overlap_frac_translates);
    tcase_add_test(tc, test_overlap_nyquist_real);
    tcase_add_test(tc, test_t_sb);
    tcase_add_test(tc, test_fwhm_triangle);
    tcase_add_test(tc, test_fwhm_gaussian);
    tcase_add_test(tc, test_fwhm_seam);
    tcase_add_test(tc, test_fwhm_undefined);
    suite_add_tcase(s, tc);
    return s;
}
