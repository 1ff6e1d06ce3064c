/* Suite pinning: compare/pinning against exact answers - the KS distance
 * to a tabulated density at the exact quantiles of a closed-form one, the
 * histogram of known points, first passage times against closed forms
 * (flat and linear potentials) and against the backward equation by finite
 * differences, Lifson-Jackson (restore_landscape) against the passage time
 * and against 1 / I0(a)^2 for a cosine, the predicted dwell of m equal
 * wells in closed form, wells and hops on constructed landscapes and
 * walks; and `symrbm diffusion --pinning` end to end: the seeds trained on
 * the set sim_draw(seed) draws, and the landscape is theory --landscape's. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_bessel.h>

#include "compare/diffusion.h"
#include "compare/pinning.h"
#include "core/err.h"
#include "core/models.h"
#include "core/ring.h"
#include "core/rng.h"
#include "core/traj.h"
#include "sim/run.h"
#include "sim/train.h"
#include "theory/restore.h"
#include "tests/suites.h"
#include "tests/tutil.h"

static ring_model *ising(size_t N, double beta)
{
    ring_params rp;
    ring_params_default(&rp);
    rp.type = &ring_ising;
    rp.N = N;
    rp.val[ring_key_index("beta")] = beta;
    char err[SYM_ERRLEN];
    ring_model *m;
    ck_assert_msg(ring_alloc(&m, &rp, err) == SYM_OK, "%s", err);
    return m;
}

/* p(x) = (1 + a cos(2 pi x / N)) / N, its CDF from 0 */
static double cdf_cos(double x, double a, double N)
{
    return x / N + a * sin(2 * M_PI * x / N) / (2 * M_PI);
}

START_TEST(test_ks_closed_form)
{
    const double N = 50, a = 0.6;
    const size_t n = 400, nx = 1000;
    const double x0 = 0.037;   /* a grid not aligned with 0 */
    double p[400], x[1000];
    for (size_t j = 0; j < n; j++)
        p[j] = (1 + a * cos(2 * M_PI * (x0 + (double)j * N / (double)n) / N)) / N;
    /* the exact quantiles (k + 1/2) / nx by bisection: KS = 1 / (2 nx) for
     * the exact CDF; linear interpolation between nodes errs by O(h^2) */
    for (size_t k = 0; k < nx; k++) {
        double q = ((double)k + 0.5) / (double)nx, lo = 0, hi = N;
        for (int it = 0; it < 100; it++) {
            double mid = 0.5 * (lo + hi);
            if (cdf_cos(mid, a, N) < q)
                lo = mid;
            else
                hi = mid;
        }
        x[k] = 0.5 * (lo + hi) + (k % 3 ? N : -N);   /* any lap */
    }
    double d = pinning_ks(x, nx, N, p, n, x0);
    ck_assert_msg(fabs(d - 0.5 / (double)nx) < 2e-5, "KS %.8g, want %.8g", d, 0.5 / (double)nx);
    /* the same points against uniform: the largest |F_cos - F_unif| =
     * a / (2 pi), to 1 / nx */
    double u[400];
    for (size_t j = 0; j < n; j++)
        u[j] = 1 / N;
    d = pinning_ks(x, nx, N, u, n, x0);
    ck_assert_msg(fabs(d - a / (2 * M_PI)) < 1.0 / (double)nx, "KS to uniform %.6g, want %.6g", d,
                  a / (2 * M_PI));
    /* against uniform it is diffusion_ks_uniform on random points */
    gsl_rng *r = rng_alloc(3, RNG_STREAM_AUX);
    double y[1000], z[1000];
    for (size_t k = 0; k < nx; k++)
        y[k] = z[k] = N * gsl_rng_uniform(r) * 3 - N;
    double d1 = pinning_ks(y, nx, N, u, n, 0.1), d2 = diffusion_ks_uniform(z, nx, N);
    ck_assert_double_eq_tol(d1, d2, 1e-12);
    /* two-sample KS: a sample against itself 0, against its shift by half
     * the ring the largest CDF gap of the cosine, 2 a / (2 pi) = a / pi */
    double s1[1000], s2[1000];
    for (size_t k = 0; k < nx; k++) {
        s1[k] = fmod(x[k] + 2 * N, N);
        s2[k] = fmod(s1[k] + N / 2, N);
    }
    ck_assert_double_eq_tol(pinning_ks2(s1, nx, s1, nx), 0.0, 1e-15);
    d = pinning_ks2(s1, nx, s2, nx);
    ck_assert_msg(fabs(d - a / M_PI) < 2.0 / (double)nx, "KS2 %.6g, want %.6g", d, a / M_PI);
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_hist)
{
    const double x[] = {0.2, 0.7, 1.5, -0.5, 9.9, 10.1, 23.4};
    double h[5];
    pinning_hist(x, 7, 10, 5, h);   /* bins of 2: [0,2) gets 0.2 .7 1.5 .1; [8,10) 9.9 9.5; [2,4) 3.4 */
    const double want[] = {4, 1, 0, 0, 2};
    for (size_t b = 0; b < 5; b++)
        ck_assert_double_eq_tol(h[b], want[b] / (7 * 2.0), 1e-15);
}
END_TEST

START_TEST(test_mfpt_closed_forms)
{
    char err[SYM_ERRLEN];
    const size_t n = 201;
    const double L = 10, h = L / (double)(n - 1), D = 0.7;
    double U[201], T[201], p[201];
    /* flat: T = x (L - x) / (2 D), p = x / L, exact under the trapezoids */
    for (size_t k = 0; k < n; k++)
        U[k] = 0;
    ck_assert(pinning_mfpt(U, n, h, D, T, p, err) == SYM_OK);
    for (size_t k = 0; k < n; k++) {
        double x = (double)k * h;
        ck_assert_double_eq_tol(T[k], x * (L - x) / (2 * D), 1e-10);
        ck_assert_double_eq_tol(p[k], x / L, 1e-12);
    }
    /* linear, U = F x (drift -D F): p = (e^{F x} - 1) / (e^{F L} - 1),
     * T = (x - p L) / (F D); trapezoids to O(h^2) */
    const double F = 0.8;
    for (size_t k = 0; k < n; k++)
        U[k] = F * (double)k * h + 300;   /* an offset changes nothing */
    ck_assert(pinning_mfpt(U, n, h, D, T, p, err) == SYM_OK);
    double tmax = 0;
    for (size_t k = 0; k < n; k++) {
        double x = (double)k * h, pe = expm1(F * x) / expm1(F * L), te = (x - pe * L) / (F * D);
        ck_assert_msg(fabs(p[k] - pe) < 1e-3 * pe + 1e-12, "p(%g) %.8g want %.8g", x, p[k], pe);
        ck_assert_msg(fabs(T[k] - te) < 2e-3 * fabs(te) + 1e-9, "T(%g) %.8g want %.8g", x, T[k], te);
        tmax = fmax(tmax, T[k]);
    }
    ck_assert(tmax > 1);
    /* two wells with a tilt: the backward equation D (T'' - U' T') = -1 by
     * central differences at interior nodes (|U'| h <= 0.25: the
     * trapezoids' and the differences' errors stay small) */
    enum { n2 = 1601 };
    double U2[n2], T2[n2], h2 = L / (double)(n2 - 1);
    for (size_t k = 0; k < n2; k++) {
        double x = (double)k * h2;
        U2[k] = 2.5 * cos(3 * M_PI * x / L) + 0.3 * x;
    }
    ck_assert(pinning_mfpt(U2, n2, h2, D, T2, NULL, err) == SYM_OK);
    for (size_t k = 2; k + 2 < n2; k++) {
        const double *T = T2, *U = U2, h = h2;
        double t2 = (T[k + 1] - 2 * T[k] + T[k - 1]) / (h * h),
               t1 = (T[k + 1] - T[k - 1]) / (2 * h), u1 = (U[k + 1] - U[k - 1]) / (2 * h);
        double lhs = D * (t2 - u1 * t1);
        ck_assert_msg(fabs(lhs + 1) < 0.02, "node %zu: D(T'' - U'T') = %.6g, want -1", k, lhs);
    }
    ck_assert(pinning_mfpt(U, 2, h, D, T, NULL, err) == SYM_EINVAL);
}
END_TEST

/* U = a cos(2 pi m x / N): Lifson-Jackson's <e^U><e^-U> = I0(a)^2, and the
 * m equal wells (minima of U at cos = -1) have the dwell (N/m)^2 I0^2 / (2D) */
START_TEST(test_cosine_deff_dwell)
{
    char err[SYM_ERRLEN];
    const size_t n = 600;
    const double N = 40, T_eff = 0.01, D = 0.3;
    const double as[] = {0.5, 2.0, 4.0};
    const size_t ms[] = {1, 2, 3};
    double L[600];
    for (size_t q = 0; q < 3; q++) {
        double a = as[q];
        size_t m = ms[q];
        for (size_t j = 0; j < n; j++)   /* L = -T_eff U */
            L[j] = -T_eff * a * cos(2 * M_PI * (double)m * (double)j / (double)n);
        double r, i0 = gsl_sf_bessel_I0(a);
        ck_assert(pinning_deff_passage(L, n, N, T_eff, &r, err) == SYM_OK);
        ck_assert_msg(fabs(r * i0 * i0 - 1) < 1e-3, "a %g: passage D_eff/D %.8g, 1/I0^2 %.8g", a,
                      r, 1 / (i0 * i0));
        size_t idx[301], nw;
        pinning_wells(L, n, T_eff, idx, &nw);
        ck_assert_uint_eq(nw, m);
        for (size_t i = 0; i < nw; i++)   /* U's minima: (i + 1/2) n / m */
            ck_assert_uint_eq(idx[i], (size_t)(((double)i + 0.5) * (double)n / (double)m));
        double dw, Tw[3];
        ck_assert(pinning_dwell_pred(L, n, N, T_eff, D, idx, nw, &dw, Tw, err) == SYM_OK);
        double want = (N / (double)m) * (N / (double)m) * i0 * i0 / (2 * D);
        ck_assert_msg(fabs(dw / want - 1) < 2e-3, "m %zu a %g: dwell %.8g want %.8g", m, a, dw,
                      want);
        for (size_t i = 0; i < nw; i++)
            ck_assert_double_eq_tol(Tw[i], dw, 1e-6 * dw);
    }
}
END_TEST

/* Lifson-Jackson as restore_landscape computes it, on a real training set,
 * against the passage time of its own landscape */
START_TEST(test_lj_vs_passage)
{
    char err[SYM_ERRLEN];
    const size_t N = 24, B = 400, n = 192;
    ring_model *m = ising(N, 0.9);
    gsl_rng *r = rng_alloc(7, RNG_STREAM_DATA);
    int8_t *v = malloc(B * N);
    ck_assert_ptr_nonnull(v);
    ck_assert(ring_sample(m, r, B, v, err) == SYM_OK);
    double w[24], X[192], LB[192], P[192];
    for (size_t i = 0; i < N; i++)
        w[i] = 0.8 * exp(3.0 * (cos(2 * M_PI * ((double)i - 7.3) / (double)N) - 1));
    unit_params u;
    unit_params_default(&u, &unit_spin);
    const double temps[] = {0.05, 0.01, 0.003};
    for (size_t q = 0; q < 3; q++) {
        double deff, ratio, pass;
        ck_assert_msg(restore_landscape(m, &u, w, v, B, n, temps[q], X, LB, P, &deff, &ratio, err)
                          == SYM_OK, "%s", err);
        ck_assert(pinning_deff_passage(LB, n, (double)N, temps[q], &pass, err) == SYM_OK);
        ck_assert_msg(fabs(pass / deff - 1) < 1e-6 && deff < 1, "T %g: LJ %.10g passage %.10g",
                      temps[q], deff, pass);
    }
    free(v);
    gsl_rng_free(r);
    ring_free(m);
}
END_TEST

/* the fitted temperature: for L = a cos(2 pi x / N) the mean of L under
 * e^{L/T} is a I1(a/T) / I0(a/T) (the periodic trapezoid is spectrally
 * accurate); values whose mean is that give back T */
START_TEST(test_fit_temperature)
{
    const size_t n = 400;
    const double a = 0.05;
    double L[400];
    for (size_t j = 0; j < n; j++)
        L[j] = a * cos(2 * M_PI * (double)j / (double)n);
    const double T0s[] = {0.004, 0.02, 0.3};
    for (size_t q = 0; q < 3; q++) {
        double r = a / T0s[q], mean = a * gsl_sf_bessel_I1(r) / gsl_sf_bessel_I0(r);
        double Ls[3] = {mean - 0.01, mean, mean + 0.01};
        double T = pinning_fit_temperature(L, n, Ls, 3, 1e-4, 10);
        ck_assert_msg(fabs(T / T0s[q] - 1) < 1e-8, "T_fit %.12g, want %.12g", T, T0s[q]);
    }
    /* a mean above max L: the lowest T allowed */
    double hi = 2 * a;
    ck_assert_double_eq(pinning_fit_temperature(L, n, &hi, 1, 1e-4, 10), 1e-4);
    /* the interpolation between nodes, on a grid offset by x0 */
    double c[4] = {1, 3, 2, 0};
    ck_assert_double_eq_tol(pinning_interp(c, 4, 8, 0.5, 0.5 + 2.0 * 1.25), 2.75, 1e-12);
    ck_assert_double_eq_tol(pinning_interp(c, 4, 8, 0.5, 0.5 + 7.0), 0.5, 1e-12);   /* wraps */
    ck_assert_double_eq_tol(pinning_interp(c, 4, 8, 0.5, 0.5 - 8.0), 1.0, 1e-12);
}
END_TEST

START_TEST(test_wells_merge)
{
    /* two deep wells and a shallow bump of depth 0.05 on the slope of one:
     * at thr 0.1 the bump merges, at thr 0.01 it stays */
    const size_t n = 100;
    double L[100];
    for (size_t j = 0; j < n; j++) {
        double x = (double)j / (double)n;
        L[j] = cos(4 * M_PI * x);   /* maxima at 0 and 50 */
    }
    L[20] = L[19] + 0.05;   /* between 0 and 25 the landscape falls: a local max at 20 */
    size_t idx[51], nw;
    pinning_wells(L, n, 0.1, idx, &nw);
    ck_assert_uint_eq(nw, 2);
    ck_assert_uint_eq(idx[0], 0);
    ck_assert_uint_eq(idx[1], 50);
    pinning_wells(L, n, 0.01, idx, &nw);
    ck_assert_uint_eq(nw, 3);
    ck_assert_uint_eq(idx[1], 20);
    /* a threshold above both depths (2): one well, the deepest */
    L[50] = 0.9;
    pinning_wells(L, n, 5, idx, &nw);
    ck_assert_uint_eq(nw, 1);
    ck_assert_uint_eq(idx[0], 0);
    /* flat: one well */
    for (size_t j = 0; j < n; j++)
        L[j] = 1;
    pinning_wells(L, n, 0.1, idx, &nw);
    ck_assert_uint_eq(nw, 1);
}
END_TEST

START_TEST(test_hops)
{
    /* bottoms at 2 and 7 on N = 10: ..., -8, -3, 2, 7, 12, 17, ... */
    const double c[] = {2, 7};
    const double X[] = {1.5, 3, 6.9, 7.2, 5, 8, 13, 11.9, 12.1, 1.9, -3.5};
    const double t[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    /* start at 2; 7.2 reaches 7 (hop 1); 5 and 8 recross 7 (none); 13
     * reaches 12 (hop 2); 11.9, 12.1 recross; 12.1 -> 1.9 passes 7 and 2
     * (hops 3, 4); -3.5 reaches -3 (hop 5) */
    size_t hops = 0, dep[2] = {0, 0};
    double tw[2] = {0, 0};
    pinning_hops(X, t, 11, 10, c, 2, &hops, tw, dep);
    ck_assert_uint_eq(hops, 5);
    /* bottom 2 (well 0) is left at steps 2->3 (t 3), 8 -> 9 (passing 7
     * to 2: from 12 = well 0 at t 9), 9 -> 10: departures from well 0: 3,
     * from well 1: 1 (7 -> 12 at t 6) + 1 (7 -> 2 inside step 9) */
    ck_assert_uint_eq(dep[0] + dep[1], 5);
    ck_assert_uint_eq(dep[0], 3);
    ck_assert_double_eq_tol(tw[0] + tw[1], 10, 1e-12);
    /* time with well 1 last: steps starting at t 3, 4, 5 -> 3 */
    ck_assert_double_eq_tol(tw[1], 3, 1e-12);
}
END_TEST

/* `symrbm diffusion --pinning`: every seed trained on sim_draw(seed, B)
 * (the task's final log-likelihood on that set is its summary's), and
 * pinning.tsv's L_B is theory --landscape B's on the same seed */
START_TEST(test_cli_pinning)
{
    char d[64], err[4096], path[256], ebuf[SYM_ERRLEN];
    snprintf(d, sizeof d, "/tmp/symrbm_pinning_XXXXXX");
    ck_assert(mkdtemp(d) != NULL);
    const size_t N = 40, B = 500, np = 80;
    char dd[128], dt[128];
    snprintf(dd, sizeof dd, "%s/dif", d);
    snprintf(dt, sizeof dt, "%s/th", d);
    char *argv[] = {"", "diffusion", "--N", "40", "--beta", "1", "--hidden", "spin",
                    "--model-term", "exact", "--sampling", "replace", "--lr", "0.05", "--batch",
                    "10", "--B", "500", "--T", "400", "--snapshots", "200", "--seeds", "2",
                    "--seed", "4", "--jobs", "1", "--pinning", "--pin-points", "80", "--out", dd,
                    NULL};
    ck_assert_msg(tutil_run(argv, err, sizeof err) == 0, "diffusion --pinning failed: %s", err);
    char *targv[] = {"", "theory", "--hidden", "spin", "--N", "40", "--beta", "1", "--T", "400",
                     "--seed", "4", "--rtol", "1e-10", "--atol", "1e-12", "--landscape", "500", "--landscape-points", "80", "--lr",
                     "0.05", "--batch", "10", "--out", dt, NULL};
    ck_assert_msg(tutil_run(targv, err, sizeof err) == 0, "theory --landscape failed: %s", err);
    ring_model *m = ising(N, 1.0);
    int8_t *v, *vt;
    ck_assert(sim_draw(m, 4, B, 0, &v, &vt, ebuf) == SYM_OK);
    train_config tc = {0};
    tc.N = N;
    tc.M = 1;
    unit_params_default(&tc.unit, &unit_spin);
    tc.term = TRAIN_EXACT;
    tc.opt = TRAIN_SGD;
    tc.lr = 0.05;
    train_ws *tw;
    ck_assert_msg(train_alloc(&tw, &tc, v, B, NULL, ebuf) == SYM_OK, "%s", ebuf);
    /* each seed's final weights score on sim_draw(4)'s set what the seed's
     * sim wrote as its training log-likelihood */
    for (int s = 0; s < 2; s++) {
        traj_table t;
        snprintf(path, sizeof path, "%s/tasks/seed_%d/weights.tsv", dd, s);
        ck_assert_msg(traj_read(path, &t, ebuf) == SYM_OK, "%s", ebuf);
        double w[40], ll, llsim;
        int c0 = traj_table_col(&t, "w_0");
        ck_assert(c0 >= 0);
        for (size_t i = 0; i < N; i++)
            w[i] = t.x[(t.nrow - 1) * t.ncol + (size_t)c0 + i];
        traj_table_free(&t);
        ck_assert(train_loglik(tw, w, NULL, v, B, &ll, ebuf) == SYM_OK);
        traj_header kv;
        snprintf(path, sizeof path, "%s/tasks/seed_%d/summary.tsv", dd, s);
        ck_assert_msg(traj_read_summary(path, &kv, ebuf) == SYM_OK, "%s", ebuf);
        ck_assert(traj_summary_get_finite(&kv, "loglik", path, &llsim, ebuf) == SYM_OK);
        traj_header_free(&kv);
        ck_assert_msg(fabs(ll - llsim) < 1e-9 * fabs(ll), "seed %d: loglik on sim_draw(4) %.12g, "
                      "sim's %.12g", s, ll, llsim);
    }
    /* the landscape: centre node j of pinning.tsv is shift node round((c_j
     * - center) / h) of landscape.tsv */
    traj_header kv;
    snprintf(path, sizeof path, "%s/summary.tsv", dd);
    ck_assert_msg(traj_read_summary(path, &kv, ebuf) == SYM_OK, "%s", ebuf);
    double cen, ksp, ksu;
    ck_assert(traj_summary_get_finite(&kv, "pin_center_wstar", path, &cen, ebuf) == SYM_OK);
    ck_assert(traj_summary_get_finite(&kv, "ks_pred", path, &ksp, ebuf) == SYM_OK);
    ck_assert(traj_summary_get_finite(&kv, "ks_uniform_pin", path, &ksu, ebuf) == SYM_OK);
    traj_header_free(&kv);
    ck_assert(ksp >= 0 && ksp <= 1 && ksu >= 0 && ksu <= 1);
    traj_table a, b;
    snprintf(path, sizeof path, "%s/pinning.tsv", dd);
    ck_assert_msg(traj_read(path, &a, ebuf) == SYM_OK, "%s", ebuf);
    snprintf(path, sizeof path, "%s/landscape.tsv", dt);
    ck_assert_msg(traj_read(path, &b, ebuf) == SYM_OK, "%s", ebuf);
    ck_assert_uint_eq(a.nrow, np);
    ck_assert_uint_eq(b.nrow, np);
    int ax = traj_table_col(&a, "X"), al = traj_table_col(&a, "L_B"),
        ap = traj_table_col(&a, "P_pred"), am = traj_table_col(&a, "P_meas"),
        bl = traj_table_col(&b, "L_B"), bp = traj_table_col(&b, "P");
    ck_assert(ax >= 0 && al >= 0 && ap >= 0 && am >= 0 && bl >= 0 && bp >= 0);
    double h = (double)N / (double)np, sm = 0;
    for (size_t j = 0; j < np; j++) {
        double cj = a.x[j * a.ncol + ax];
        long k = lround((cj - cen) / h);
        size_t kk = (size_t)(((k % (long)np) + (long)np) % (long)np);
        double la = a.x[j * a.ncol + al], lb = b.x[kk * b.ncol + bl];
        ck_assert_msg(fabs(la - lb) < 1e-7 * fabs(lb), "node %zu: L_B %.12g, theory %.12g", j,
                      la, lb);
        ck_assert_msg(fabs(a.x[j * a.ncol + ap] - b.x[kk * b.ncol + bp]) <
                          1e-4 * b.x[kk * b.ncol + bp] + 1e-12, "node %zu: P", j);
        sm += a.x[j * a.ncol + am] * h;
    }
    ck_assert_double_eq_tol(sm, 1.0, 1e-9);   /* P_meas a density: two nodes per bin */
    traj_table_free(&a);
    traj_table_free(&b);
    /* bad input: pinning with online sampling, exit 2 and says why */
    char *bad[] = {"", "diffusion", "--pinning", "--sampling", "online", "--out", dd, NULL};
    ck_assert_int_eq(tutil_run(bad, err, sizeof err), 2);
    ck_assert_msg(strstr(err, "replace") != NULL, "%s", err);
    train_free(tw);
    free(v);
    free(vt);
    ring_free(m);
    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf %s", d);
    ck_assert(system(rm) == 0);
}
END_TEST

Suite *pinning_suite(void)
{
    Suite *s = suite_create("pinning");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_ks_closed_form);
    tcase_add_test(tc, test_hist);
    tcase_add_test(tc, test_mfpt_closed_forms);
    tcase_add_test(tc, test_cosine_deff_dwell);
    tcase_add_test(tc, test_lj_vs_passage);
    tcase_add_test(tc, test_fit_temperature);
    tcase_add_test(tc, test_wells_merge);
    tcase_add_test(tc, test_hops);
    suite_add_tcase(s, tc);
    TCase *tcli = tcase_create("cli");
    tcase_set_timeout(tcli, 300);
    tcase_add_test(tcli, test_cli_pinning);
    suite_add_tcase(s, tcli);
    return s;
}
