/* Suite obs_potts: the Potts order parameters of SPEC.md section 9
 * (core/obs_potts.h) against closed forms (a cosine in angle times a
 * spatial envelope f: amplitude A f(i), phase phi, S_ang = 1 for constant
 * f), against core/obs.h applied to sqrt(s_i) (an independent route to R,
 * centre and pr), against a direct O(N^2 P^2) 2-D DFT (a_k and Parseval),
 * gauge invariance, constructed multi-unit profiles with known centre and
 * phase gaps, the NAN conventions, and the trajectory writer read back. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>

#include "core/err.h"
#include "core/models.h"
#include "core/obs.h"
#include "core/obs_potts.h"
#include "core/rng.h"
#include "core/traj.h"
#include "tests/suites.h"

/* sums of N P <= 10^4 O(1) terms in two different orders */
#define TOL 1e-11
/* centres are N / 2 pi times an angle */
#define TOL_CENTER 1e-9

static double circ_dist(double a, double b, double period)
{
    double d = fmod(fabs(a - b), period);
    return d < period - d ? d : period - d;
}

static double *alloc_w(size_t N, size_t P)
{
    double *w = calloc(N * P, sizeof *w);
    ck_assert_ptr_nonnull(w);
    return w;
}

/* w_i(c) = A cos(2 pi c / P - phi) f(i) */
static void cosine_profile(double *w, size_t N, size_t P, double A, double phi, const double *f)
{
    for (size_t i = 0; i < N; i++)
        for (size_t c = 0; c < P; c++)
            w[i * P + c] = A * cos(2 * M_PI * (double)c / (double)P - phi) * f[i];
}

static gsl_rng *test_rng(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    ck_assert_ptr_nonnull(r);
    gsl_rng_set(r, seed);
    return r;
}

static const size_t NS[] = {3, 8, 31, 100};
static const size_t PS[] = {3, 4, 10};

/* A_i = A f(i), phi_i = phi, W^ang_i and W^spat_c from their sums, and the
 * mean phase = phi, for a positive random envelope f */
START_TEST(test_cosine_sites)
{
    gsl_rng *r = test_rng(11);
    for (size_t a = 0; a < sizeof NS / sizeof NS[0]; a++)
        for (size_t b = 0; b < sizeof PS / sizeof PS[0]; b++) {
            size_t N = NS[a], P = PS[b];
            obs_potts_ws *ws = obs_potts_alloc(N, P);
            ck_assert_ptr_nonnull(ws);
            double *w = alloc_w(N, P), *f = malloc(N * sizeof *f);
            double *A = malloc(N * sizeof *A), *phi = malloc(N * sizeof *phi);
            double *wang = malloc(N * sizeof *wang), *wspat = malloc(P * sizeof *wspat);
            ck_assert(f && A && phi && wang && wspat);
            double Amp = 0.5 + gsl_rng_uniform(r), ph = 2 * M_PI * gsl_rng_uniform(r);
            double fsum = 0;
            for (size_t i = 0; i < N; i++) {
                f[i] = 0.1 + gsl_rng_uniform(r);
                fsum += f[i];
            }
            cosine_profile(w, N, P, Amp, ph, f);
            obs_potts_sites(ws, w, A, phi, wang, wspat);
            double cabs = 0;
            for (size_t c = 0; c < P; c++)
                cabs += fabs(cos(2 * M_PI * (double)c / (double)P - ph));
            for (size_t i = 0; i < N; i++) {
                ck_assert_double_eq_tol(A[i], Amp * f[i], TOL);
                ck_assert_double_le_tol(circ_dist(phi[i], ph, 2 * M_PI), 0, 1e-12);
                ck_assert(phi[i] >= 0 && phi[i] < 2 * M_PI);
                ck_assert_double_eq_tol(wang[i], Amp * f[i] * cabs, TOL);
            }
            for (size_t c = 0; c < P; c++)
                ck_assert_double_eq_tol(
                    wspat[c], Amp * cos(2 * M_PI * (double)c / (double)P - ph) * fsum, TOL * N);
            obs_potts_values o;
            obs_potts_compute(ws, w, &o);
            ck_assert_double_le_tol(circ_dist(o.phase, ph, 2 * M_PI), 0, 1e-12);
            ck_assert_double_eq(o.S, o.R);
            /* the cosine is all p = +-1: sum_k a_k^2 = norm2 when every k
             * is among a_0..a_8 */
            if (N <= OBS_NA) {
                double s = 0;
                for (size_t k = 0; k < N; k++)
                    s += o.a[k] * o.a[k];
                ck_assert_double_eq_tol(s, o.norm2, TOL * o.norm2);
            }
            free(w), free(f), free(A), free(phi), free(wang), free(wspat);
            obs_potts_free(ws);
        }
    gsl_rng_free(r);
}
END_TEST

/* f constant: uniform in space, a cosine in angle: S_ang = 1, R = 0,
 * pr = 1, a_k = 0 for k > 0, a_0^2 = norm2 = N A^2 P / 2 */
START_TEST(test_cosine_uniform)
{
    for (size_t a = 0; a < sizeof NS / sizeof NS[0]; a++)
        for (size_t b = 0; b < sizeof PS / sizeof PS[0]; b++) {
            size_t N = NS[a], P = PS[b];
            obs_potts_ws *ws = obs_potts_alloc(N, P);
            ck_assert_ptr_nonnull(ws);
            double *w = alloc_w(N, P), *f = malloc(N * sizeof *f);
            ck_assert_ptr_nonnull(f);
            for (size_t i = 0; i < N; i++)
                f[i] = 1.0;
            cosine_profile(w, N, P, 0.7, 1.3, f);
            obs_potts_values o;
            obs_potts_compute(ws, w, &o);
            double n2 = (double)N * 0.49 * (double)P / 2;
            ck_assert_double_eq_tol(o.norm2, n2, TOL * n2);
            ck_assert_double_eq_tol(o.S_ang, 1.0, TOL);
            ck_assert_double_le_tol(o.R, 0, 1e-12);
            ck_assert_double_eq_tol(o.pr, 1.0, TOL);
            ck_assert_double_eq_tol(o.a[0] * o.a[0], n2, TOL * n2);
            for (size_t k = 1; k < OBS_NA; k++) {
                if (k < N)
                    ck_assert_double_le_tol(o.a[k], 0, 1e-12);
                else
                    ck_assert(isnan(o.a[k]));
            }
            ck_assert_double_le_tol(circ_dist(o.phase, 1.3, 2 * M_PI), 0, 1e-12);
            ck_assert(isnan(o.X));
            free(w), free(f);
            obs_potts_free(ws);
        }
}
END_TEST

/* R, centre, pr of the site power equal obs_compute's on u_i = sqrt(s_i)
 * (obs squares u back into s), for random and for localised profiles */
START_TEST(test_site_power_vs_obs)
{
    gsl_rng *r = test_rng(12);
    for (size_t a = 0; a < sizeof NS / sizeof NS[0]; a++)
        for (size_t b = 0; b < sizeof PS / sizeof PS[0]; b++) {
            size_t N = NS[a], P = PS[b];
            obs_potts_ws *ws = obs_potts_alloc(N, P);
            obs_ws *ows = obs_alloc(N);
            ck_assert(ws && ows);
            double *w = alloc_w(N, P), *u = malloc(N * sizeof *u);
            ck_assert_ptr_nonnull(u);
            for (int rep = 0; rep < 2; rep++) {
                double c0 = (double)N * gsl_rng_uniform(r);
                for (size_t i = 0; i < N; i++) {
                    /* rep 1: a von Mises envelope, localised near c0 */
                    double env =
                        rep ? exp(3 * cos(2 * M_PI * ((double)i - c0) / (double)N)) : 1.0;
                    for (size_t c = 0; c < P; c++)
                        w[i * P + c] = env * gsl_ran_gaussian(r, 1.0);
                }
                double n2 = 0;
                for (size_t i = 0; i < N; i++) {
                    double s = 0;
                    for (size_t c = 0; c < P; c++)
                        s += w[i * P + c] * w[i * P + c];
                    u[i] = sqrt(s);
                    n2 += s;
                }
                obs_potts_values o;
                obs_values ref;
                obs_potts_compute(ws, w, &o);
                obs_compute(ows, &ring_ising, u, &ref);
                ck_assert_double_eq_tol(o.norm2, n2, TOL * n2);
                ck_assert_double_eq_tol(o.R, ref.R, TOL);
                ck_assert_double_eq_tol(o.pr, ref.pr, TOL);
                ck_assert_double_le_tol(circ_dist(o.center, ref.center, (double)N), 0, TOL_CENTER);
                ck_assert(o.center >= 0 && o.center < (double)N);
                ck_assert_double_eq(o.S, o.R);
            }
            free(w), free(u);
            obs_potts_free(ws);
            obs_free(ows);
        }
    gsl_rng_free(r);
}
END_TEST

/* a_k against a direct 2-D DFT, and Parseval: every k present (N <= 9),
 * sum_k a_k^2 is the direct p = +-1 power, and all p together give norm2 */
START_TEST(test_parseval)
{
    static const size_t Ns[] = {1, 2, 5, 9};
    static const size_t Ps[] = {2, 3, 6, 7};
    gsl_rng *r = test_rng(13);
    for (size_t a = 0; a < sizeof Ns / sizeof Ns[0]; a++)
        for (size_t b = 0; b < sizeof Ps / sizeof Ps[0]; b++) {
            size_t N = Ns[a], P = Ps[b];
            obs_potts_ws *ws = obs_potts_alloc(N, P);
            ck_assert_ptr_nonnull(ws);
            double *w = alloc_w(N, P);
            for (size_t j = 0; j < N * P; j++)
                w[j] = gsl_ran_gaussian(r, 1.0);
            obs_potts_values o;
            obs_potts_compute(ws, w, &o);
            double total = 0, harm = 0;
            for (size_t k = 0; k < N; k++) {
                double pk = 0;
                for (size_t p = 0; p < P; p++) {
                    double re = 0, im = 0;
                    for (size_t i = 0; i < N; i++)
                        for (size_t c = 0; c < P; c++) {
                            double th = 2 * M_PI * ((double)((k * i) % N) / (double)N +
                                                    (double)((p * c) % P) / (double)P);
                            re += w[i * P + c] * cos(th);
                            im -= w[i * P + c] * sin(th);
                        }
                    double q = (re * re + im * im) / (double)(N * P);
                    total += q;
                    /* the set {+1, P-1}: one mode when P = 2 */
                    if (p == 1 || p == P - 1)
                        pk += q;
                }
                harm += pk;
                ck_assert_double_eq_tol(o.a[k], sqrt(pk), TOL);
            }
            for (size_t k = N; k < OBS_NA; k++)
                ck_assert(isnan(o.a[k]));
            double s = 0;
            for (size_t k = 0; k < N; k++)
                s += o.a[k] * o.a[k];
            ck_assert_double_eq_tol(s, harm, TOL * (1 + harm));
            ck_assert_double_eq_tol(total, o.norm2, TOL * o.norm2);
            ck_assert_double_eq_tol(o.S_ang, o.a[0] * o.a[0] / o.norm2, TOL);
            ck_assert(o.S_ang >= 0 && o.S_ang <= 1);
            free(w);
            obs_potts_free(ws);
        }
    gsl_rng_free(r);
}
END_TEST

/* gauge: zero column sums, idempotent, and a per-site constant added
 * before the projection changes nothing after it */
START_TEST(test_gauge)
{
    gsl_rng *r = test_rng(14);
    size_t N = 37, P = 10;
    obs_potts_ws *ws = obs_potts_alloc(N, P);
    ck_assert_ptr_nonnull(ws);
    double *w = alloc_w(N, P), *v = alloc_w(N, P), *wspat = malloc(P * sizeof *wspat);
    ck_assert_ptr_nonnull(wspat);
    for (size_t j = 0; j < N * P; j++)
        w[j] = gsl_ran_gaussian(r, 1.0);
    for (size_t i = 0; i < N; i++) {
        double a = 5 * gsl_ran_gaussian(r, 1.0);
        for (size_t c = 0; c < P; c++)
            v[i * P + c] = w[i * P + c] + a;
    }
    /* the p = +-1 harmonic ignores the constants even before projecting */
    obs_potts_values o1, o2;
    obs_potts_compute(ws, w, &o1);
    obs_potts_compute(ws, v, &o2);
    for (size_t k = 0; k < OBS_NA; k++)
        ck_assert_double_eq_tol(o1.a[k], o2.a[k], 1e-10);
    ck_assert_double_le_tol(circ_dist(o1.phase, o2.phase, 2 * M_PI), 0, 1e-10);
    obs_potts_gauge(w, N, P);
    obs_potts_gauge(v, N, P);
    for (size_t j = 0; j < N * P; j++)
        ck_assert_double_eq_tol(w[j], v[j], 1e-12);
    for (size_t i = 0; i < N; i++) {
        double s = 0;
        for (size_t c = 0; c < P; c++)
            s += w[i * P + c];
        ck_assert_double_le_tol(fabs(s), 0, 1e-13);
    }
    obs_potts_compute(ws, w, &o1);
    obs_potts_compute(ws, v, &o2);
    ck_assert_double_eq_tol(o1.norm2, o2.norm2, 1e-10);
    ck_assert_double_eq_tol(o1.R, o2.R, 1e-12);
    ck_assert_double_eq_tol(o1.pr, o2.pr, 1e-12);
    ck_assert_double_eq_tol(o1.S_ang, o2.S_ang, 1e-12);
    ck_assert_double_le_tol(circ_dist(o1.center, o2.center, (double)N), 0, 1e-9);
    /* idempotent */
    memcpy(v, w, N * P * sizeof *w);
    obs_potts_gauge(v, N, P);
    for (size_t j = 0; j < N * P; j++)
        ck_assert_double_eq_tol(w[j], v[j], 1e-15);
    /* W^spat of a zero-sum profile sums to 0 (its sum is sum over all i, c) */
    obs_potts_sites(ws, w, NULL, NULL, NULL, wspat);
    double s = 0, sa = 0;
    for (size_t c = 0; c < P; c++) {
        s += wspat[c];
        sa += fabs(wspat[c]);
    }
    ck_assert(sa > 1);   /* not trivially zero */
    ck_assert_double_le_tol(fabs(s), 0, 1e-12);
    free(w), free(v), free(wspat);
    obs_potts_free(ws);
    gsl_rng_free(r);
}
END_TEST

static void expect_sorted(const double *got, const double *want, size_t M, double tol)
{
    for (size_t m = 0; m < M; m++)
        ck_assert_double_eq_tol(got[m], want[m], tol);
}

/* M localised cosine units at chosen integer centres (a mirror-symmetric
 * envelope: the centre is exact) and chosen phases: obs_potts_compute
 * finds each, and obs_potts_separations gives the hand-computed gaps */
START_TEST(test_separations)
{
    enum { M = 3 };
    size_t N = 100, P = 10;
    const double cen[M] = {80, 10, 35}, ph[M] = {5.0, 0.3, 2.0};
    const double want_c[M] = {25, 30, 45};
    /* gaps 1.7, 3.0 and 2 pi - 4.7 = 1.583..., sorted */
    const double want_p[M] = {2 * M_PI - 4.7, 1.7, 3.0};
    obs_potts_ws *ws = obs_potts_alloc(N, P);
    ck_assert_ptr_nonnull(ws);
    double *w = alloc_w(N, P), f[100];
    double gc[M], gp[M], sc[M], sp[M];
    for (size_t m = 0; m < M; m++) {
        for (size_t i = 0; i < N; i++)
            f[i] = exp(4 * cos(2 * M_PI * ((double)i - cen[m]) / (double)N));
        cosine_profile(w, N, P, 1.0, ph[m], f);
        obs_potts_values o;
        obs_potts_compute(ws, w, &o);
        ck_assert_double_le_tol(circ_dist(o.center, cen[m], (double)N), 0, 1e-9);
        ck_assert_double_le_tol(circ_dist(o.phase, ph[m], 2 * M_PI), 0, 1e-12);
        ck_assert(o.R > 0.5 && o.S_ang < 0.5);   /* localised, so not uniform */
        gc[m] = o.center;
        gp[m] = o.phase;
    }
    obs_potts_separations(gc, gp, M, N, sc, sp);
    expect_sorted(sc, want_c, M, 1e-8);
    expect_sorted(sp, want_p, M, 1e-11);
    /* one output only, M = 1, NAN */
    double one = 42, sep1;
    obs_potts_separations(&one, NULL, 1, N, &sep1, NULL);
    ck_assert_double_eq(sep1, (double)N);
    double ph1 = 1.0;
    obs_potts_separations(NULL, &ph1, 1, N, NULL, &sep1);
    ck_assert_double_eq_tol(sep1, 2 * M_PI, 1e-15);
    gp[1] = NAN;
    obs_potts_separations(gc, gp, M, N, sc, sp);
    expect_sorted(sc, want_c, M, 1e-8);
    for (size_t m = 0; m < M; m++)
        ck_assert(isnan(sp[m]));
    free(w);
    obs_potts_free(ws);
}
END_TEST

/* zero and NAN profiles, a field with no p = +-1 harmonic, bad sizes */
START_TEST(test_nan)
{
    size_t N = 16, P = 5;
    ck_assert_ptr_null(obs_potts_alloc(0, 5));
    ck_assert_ptr_null(obs_potts_alloc(16, 1));
    obs_potts_ws *ws = obs_potts_alloc(N, P);
    ck_assert_ptr_nonnull(ws);
    double *w = alloc_w(N, P);
    obs_potts_values o;
    obs_potts_compute(ws, w, &o);
    ck_assert_double_eq(o.norm2, 0);
    ck_assert(isnan(o.pr) && isnan(o.R) && isnan(o.S) && isnan(o.center) && isnan(o.S_ang) &&
              isnan(o.phase) && isnan(o.X));
    for (size_t k = 0; k < OBS_NA; k++)
        ck_assert_double_eq(o.a[k], 0);
    w[3 * P + 2] = NAN;
    obs_potts_compute(ws, w, &o);
    ck_assert(isnan(o.norm2) && isnan(o.pr) && isnan(o.R) && isnan(o.center) && isnan(o.S_ang) &&
              isnan(o.phase));
    /* pure p = 2 harmonic: well-defined R, S_ang = 0, no phase */
    for (size_t i = 0; i < N; i++)
        for (size_t c = 0; c < P; c++)
            w[i * P + c] = cos(4 * M_PI * (double)c / (double)P);
    obs_potts_compute(ws, w, &o);
    ck_assert(isfinite(o.R) && isfinite(o.pr));
    ck_assert_double_le_tol(o.S_ang, 0, 1e-20);
    ck_assert(isnan(o.phase));
    free(w);
    obs_potts_free(ws);
}
END_TEST

/* traj_potts_columns/row read back by traj_read: the column names of
 * SPEC 9's trajectory and the values in that order */
START_TEST(test_traj_row)
{
    char path[] = "/tmp/test_obs_potts_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *fp = fdopen(fd, "w");
    ck_assert_ptr_nonnull(fp);
    obs_potts_values o = {.norm2 = 1.5, .pr = 0.25, .R = 0.125, .S = 0.125, .center = 7.75,
                          .S_ang = 0.5, .phase = 2.5, .X = 107.75};
    for (int k = 0; k < OBS_NA; k++)
        o.a[k] = k < 5 ? 0.1 * k : NAN;
    fputs("# program=symrbm\n", fp);
    traj_potts_columns(fp);
    traj_potts_row(fp, 0.5, 3, -1.25, 0.0625, &o);
    ck_assert_int_eq(fclose(fp), 0);
    traj_table t;
    char err[SYM_ERRLEN];
    ck_assert_int_eq(traj_read(path, &t, err), SYM_OK);
    unlink(path);
    const char *names[] = {"t",  "mu", "norm2", "pr", "R",  "S",  "center", "S_ang",
                           "phase", "loglik", "kl", "a0", "a1", "a2", "a3", "a4",
                           "a5", "a6", "a7", "a8", "X"};
    const double want[] = {0.5, 3, 1.5, 0.25, 0.125, 0.125, 7.75, 0.5, 2.5, -1.25, 0.0625,
                           0, 0.1, 0.2, 0.1 * 3, 0.4, NAN, NAN, NAN, NAN, 107.75};
    size_t n = sizeof names / sizeof names[0];
    ck_assert_uint_eq(t.ncol, n);
    ck_assert_uint_eq(t.nrow, 1);
    for (size_t j = 0; j < n; j++) {
        ck_assert_str_eq(t.col[j], names[j]);
        if (isnan(want[j]))
            ck_assert(isnan(t.x[j]));
        else
            ck_assert_double_eq(t.x[j], want[j]);
    }
    traj_table_free(&t);
}
END_TEST

Suite *obs_potts_suite(void)
{
    Suite *s = suite_create("obs_potts");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_cosine_sites);
    tcase_add_test(tc, test_cosine_uniform);
    tcase_add_test(tc, test_site_power_vs_obs);
    tcase_add_test(tc, test_parseval);
    tcase_add_test(tc, test_gauge);
    tcase_add_test(tc, test_separations);
    tcase_add_test(tc, test_nan);
    tcase_add_test(tc, test_traj_row);
    suite_add_tcase(s, tc);
    return s;
}
