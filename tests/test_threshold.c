/* Suite threshold: compare/thr (grid, half-way crossing, bootstrap, linear-
 * regime overlap) against exact answers, and `symrbm threshold` end to end
 * (resumability, parameter mismatch, bad input; binary hidden units, the
 * paper's eq. 27, the train - test log-likelihood against closed forms, the
 * beta scan). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>

#include "compare/thr.h"
#include "compare/threshold.h"
#include "sim/lin.h"
#include "sim/potts_run.h"
#include "core/err.h"
#include "core/models.h"
#include "core/ring.h"
#include "core/rng.h"
#include "core/traj.h"
#include "tests/suites.h"
#include "tests/tutil.h"

/* ---- grid ---- */

START_TEST(test_grid)
{
    char err[SYM_ERRLEN];
    size_t B[16], n;
    ck_assert_int_eq(thr_grid(10, 1000, 3, B, &n, err), SYM_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(B[0], 10);
    ck_assert_uint_eq(B[1], 100);
    ck_assert_uint_eq(B[2], 1000);
    /* 10 log-spaced points in [1, 3] round to 1, 2, 3 only */
    ck_assert_int_eq(thr_grid(1, 3, 10, B, &n, err), SYM_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(B[0], 1);
    ck_assert_uint_eq(B[1], 2);
    ck_assert_uint_eq(B[2], 3);
    ck_assert_int_eq(thr_grid(0.5, 3, 4, B, &n, err), SYM_EINVAL);
    ck_assert_int_eq(thr_grid(10, 5, 4, B, &n, err), SYM_EINVAL);
    ck_assert_int_eq(thr_grid(10, 50, 0, B, &n, err), SYM_EINVAL);
}
END_TEST

/* ---- half-way crossing ---- */

START_TEST(test_crossing_linear)
{
    /* y = a + b log B is linear in log B, so the interpolated crossing is
     * exact: log B_c = (half - a) / b. */
    char err[SYM_ERRLEN];
    double B[7], y[7], a = -0.3, b = 0.11, lo = 0.05, hi = 0.9, Bc;
    for (size_t j = 0; j < 7; j++) {
        B[j] = 3.0 * pow(4.0, (double)j);
        y[j] = a + b * log(B[j]);
    }
    ck_assert_int_eq(thr_crossing(B, y, 7, lo, hi, &Bc, err), SYM_OK);
    double want = exp((0.5 * (lo + hi) - a) / b);
    ck_assert_msg(fabs(Bc / want - 1) < 1e-12, "Bc %.17g want %.17g", Bc, want);
    /* a falling curve: hi < lo */
    for (size_t j = 0; j < 7; j++)
        y[j] = -y[j];
    ck_assert_int_eq(thr_crossing(B, y, 7, -lo, -hi, &Bc, err), SYM_OK);
    ck_assert_msg(fabs(Bc / want - 1) < 1e-12, "falling: Bc %.17g want %.17g", Bc, want);
}
END_TEST

START_TEST(test_crossing_first_and_none)
{
    char err[SYM_ERRLEN];
    double B[5] = {1, 10, 100, 1000, 10000}, Bc;
    /* crosses up between 10 and 100 (at 0.5: 1/4 of the way in log B), falls
     * back and crosses again later: the first crossing counts */
    double y[5] = {0.0, 0.4, 0.8, 0.3, 0.9};
    ck_assert_int_eq(thr_crossing(B, y, 5, 0, 1, &Bc, err), SYM_OK);
    ck_assert_msg(fabs(Bc / pow(10.0, 1.25) - 1) < 1e-12, "Bc %g", Bc);
    /* a point exactly at the level is the crossing */
    double y2[5] = {0.0, 0.2, 0.5, 0.7, 1.0};
    ck_assert_int_eq(thr_crossing(B, y2, 5, 0, 1, &Bc, err), SYM_OK);
    ck_assert_msg(fabs(Bc / 100 - 1) < 1e-12, "Bc %g", Bc);
    /* never half-way */
    double y3[5] = {0.0, 0.1, 0.2, 0.3, 0.4};
    ck_assert_int_eq(thr_crossing(B, y3, 5, 0, 1, &Bc, err), SYM_ENUM);
    ck_assert(isnan(Bc));
    /* already across at the smallest B */
    double y4[5] = {0.6, 0.7, 0.8, 0.9, 1.0};
    ck_assert_int_eq(thr_crossing(B, y4, 5, 0, 1, &Bc, err), SYM_ENUM);
    /* no rise, not finite, too short */
    ck_assert_int_eq(thr_crossing(B, y2, 5, 1, 1, &Bc, err), SYM_ENUM);
    y2[3] = NAN;
    ck_assert_int_eq(thr_crossing(B, y2, 5, 0, 1, &Bc, err), SYM_ENUM);
    ck_assert_int_eq(thr_crossing(B, y, 1, 0, 1, &Bc, err), SYM_EINVAL);
}
END_TEST

START_TEST(test_crossing_logistic)
{
    /* A smooth sigmoid in log B with midpoint B0 on a fine grid (factor
     * 1.05): linear interpolation is accurate to second order, |error| in
     * log B below h^2 max|y''| / (8 |y'|) ~ 1e-4 here. */
    char err[SYM_ERRLEN];
    double B[200], y[200], B0 = 737.0, Bc;
    for (size_t j = 0; j < 200; j++) {
        B[j] = 5 * pow(1.05, (double)j);
        y[j] = 0.2 + 0.7 / (1 + exp(-(log(B[j]) - log(B0)) / 0.6));
    }
    thr_levels lv = {1, 1, NAN, NAN};
    double lo, hi;
    thr_levels_apply(&lv, y, 200, &lo, &hi);
    ck_assert_double_eq(lo, y[0]);
    ck_assert_double_eq(hi, y[199]);
    ck_assert_int_eq(thr_crossing(B, y, 200, 0.2, 0.9, &Bc, err), SYM_OK);
    ck_assert_msg(fabs(log(Bc / B0)) < 1e-3, "Bc %g want %g", Bc, B0);
}
END_TEST

/* ---- bootstrap ---- */

START_TEST(test_bootstrap_exact)
{
    /* Two sample sizes, fixed levels 0 and 1.  At B0 every seed is 0; at B1
     * the two seeds are 0.6 and 1.0, so a replicate's mean there is 0.6, 0.8
     * or 1.0 with probabilities 1/4, 1/2, 1/4 and its crossing is
     * B0 (B1/B0)^(0.5/m).  The 2.5% and 97.5% quantiles of 4000 replicates
     * fall deep inside the outer blocks (each ~1000 replicates), so they are
     * exactly the values for m = 1.0 and m = 0.6. */
    char err[SYM_ERRLEN];
    double B[2] = {20, 2000}, y[4] = {0, 0, 0.6, 1.0};
    thr_levels lv = {0, 0, 0.0, 1.0};
    gsl_rng *r = rng_alloc(7, RNG_STREAM_AUX);
    double lo, hi;
    size_t nv;
    ck_assert_int_eq(thr_bootstrap(B, y, 2, 2, &lv, 4000, r, &lo, &hi, &nv, err), SYM_OK);
    ck_assert_uint_eq(nv, 4000);
    double want_lo = 20 * pow(100.0, 0.5 / 1.0), want_hi = 20 * pow(100.0, 0.5 / 0.6);
    ck_assert_msg(fabs(lo / want_lo - 1) < 1e-12, "lo %.17g want %.17g", lo, want_lo);
    ck_assert_msg(fabs(hi / want_hi - 1) < 1e-12, "hi %.17g want %.17g", hi, want_hi);

    /* seeds 0.4 and 0.4 at B1 never reach 0.5: no replicate crosses */
    double y2[4] = {0, 0, 0.4, 0.4};
    ck_assert_int_eq(thr_bootstrap(B, y2, 2, 2, &lv, 100, r, &lo, &hi, &nv, err), SYM_OK);
    ck_assert_uint_eq(nv, 0);
    ck_assert(isnan(lo) && isnan(hi));
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_bootstrap_noiseless)
{
    /* identical seeds: every replicate is the full-sample curve, so the
     * interval collapses onto the point estimate (data-derived levels) */
    char err[SYM_ERRLEN];
    double B[4] = {10, 100, 1000, 10000}, m[4] = {0.1, 0.3, 0.7, 0.95}, y[12];
    for (size_t j = 0; j < 4; j++)
        for (size_t s = 0; s < 3; s++)
            y[j * 3 + s] = m[j];
    thr_levels lv = {1, 1, NAN, NAN};
    double Bc, lo, hi;
    size_t nv;
    ck_assert_int_eq(thr_crossing(B, m, 4, 0.1, 0.95, &Bc, err), SYM_OK);
    /* half = 0.525, between 0.3 and 0.7: 0.5625 of the decade after 100 */
    ck_assert_msg(fabs(Bc / pow(10.0, 2.5625) - 1) < 1e-12, "Bc %g", Bc);
    gsl_rng *r = rng_alloc(3, RNG_STREAM_AUX);
    ck_assert_int_eq(thr_bootstrap(B, y, 4, 3, &lv, 200, r, &lo, &hi, &nv, err), SYM_OK);
    gsl_rng_free(r);
    ck_assert_uint_eq(nv, 200);
    ck_assert_msg(fabs(lo / Bc - 1) < 1e-12 && fabs(hi / Bc - 1) < 1e-12, "CI [%g, %g] Bc %g", lo,
                  hi, Bc);
}
END_TEST

/* ---- linear-regime overlap ---- */

/* Reference: squared overlap of unit vector u with the modes in grow[],
 * by explicit DFT sums (independent of FFTW and of core/obs). */
static double ref_proj(const double *u, size_t N, const unsigned char *grow)
{
    double g = 0, n2 = 0;
    for (size_t i = 0; i < N; i++)
        n2 += u[i] * u[i];
    for (size_t k = 0; k < N; k++) {
        if (!grow[k])
            continue;
        double re = 0, im = 0;
        for (size_t i = 0; i < N; i++) {
            double ph = 2 * M_PI * (double)((k * i) % N) / (double)N;
            re += u[i] * cos(ph);
            im -= u[i] * sin(ph);
        }
        g += (re * re + im * im) / (double)N;
    }
    return g / n2;
}

START_TEST(test_lin_single_configuration)
{
    /* B copies of one configuration v0: C^ = v0 v0^T, top eigenvector
     * v0 / sqrt(N), eigenvalue N. */
    char err[SYM_ERRLEN];
    enum { N = 18, B = 5 };
    double lambda[N];
    unsigned char grow[N];
    int8_t v[B * N];
    double u[N];
    for (size_t k = 0; k < N; k++) {
        size_t kk = k < N - k ? k : N - k;
        lambda[k] = kk <= 2 ? 1.5 : (kk == 3 ? 1.0 : 0.4);   /* k = 3: not growing (== 1) */
        grow[k] = kk <= 2;
    }
    for (size_t i = 0; i < N; i++) {
        int s = (i * 7 + 3) % 5 < 2 ? -1 : 1;
        u[i] = s / sqrt((double)N);
        for (size_t b = 0; b < B; b++)
            v[b * N + i] = (int8_t)s;
    }
    lin *ws;
    ck_assert_int_eq(lin_alloc(&ws, N, lambda, err), SYM_OK);
    ck_assert_uint_eq(lin_ngrow(ws), 5);
    double ov, top, uu[N];
    ck_assert_int_eq(lin_overlap(ws, v, B, &ov, &top, uu, err), SYM_OK);
    ck_assert_msg(fabs(top - N) < 1e-10, "top %g", top);
    double want = ref_proj(u, N, grow);
    ck_assert_msg(fabs(ov - want) < 1e-12, "ov %.17g want %.17g", ov, want);
    double dot = 0;
    for (size_t i = 0; i < N; i++)
        dot += uu[i] * u[i];
    ck_assert_msg(fabs(fabs(dot) - 1) < 1e-12, "eigenvector overlap %g", dot);
    /* a value other than +-1 is bad input */
    v[3] = 0;
    ck_assert_int_eq(lin_overlap(ws, v, B, &ov, &top, NULL, err), SYM_EINVAL);
    lin_free(ws);
}
END_TEST

/* Top eigenvector of the dense matrix C (n x n) by shifted power iteration,
 * independent of GSL's eigensolver; returns the residual |C u - l u|. */
static double ref_top(const double *C, size_t n, double *u, double *l)
{
    double *x = malloc(n * sizeof *x), res = 0;
    for (size_t i = 0; i < n; i++)
        u[i] = 1.0 + 0.01 * (double)i;
    for (int it = 0; it < 200000; it++) {
        double nn = 0;
        for (size_t i = 0; i < n; i++) {
            double s = 0;
            for (size_t j = 0; j < n; j++)
                s += C[i * n + j] * u[j];
            x[i] = s;
            nn += s * s;
        }
        nn = sqrt(nn);
        double lam = 0;
        for (size_t i = 0; i < n; i++) {
            u[i] = x[i] / nn;
        }
        for (size_t i = 0; i < n; i++) {
            double s = 0;
            for (size_t j = 0; j < n; j++)
                s += C[i * n + j] * u[j];
            x[i] = s;
            lam += u[i] * s;
        }
        res = 0;
        for (size_t i = 0; i < n; i++)
            res += (x[i] - lam * u[i]) * (x[i] - lam * u[i]);
        res = sqrt(res);
        *l = lam;
        if (res < 1e-13)
            break;
    }
    free(x);
    return res;
}

START_TEST(test_lin_model_data)
{
    /* Samples of the ising chain (top population mode k = 0): C^ against a
     * double loop over the samples (exact: integers / B), and ov against
     * power iteration plus explicit DFT. */
    char err[SYM_ERRLEN];
    ring_params p;
    ring_params_default(&p);
    p.type = &ring_ising;
    p.N = 24;
    p.val[ring_key_index("beta")] = 0.8;
    ring_model *m;
    ck_assert_int_eq(ring_alloc(&m, &p, err), SYM_OK);
    size_t N = p.N, B = 300;
    int8_t *v = malloc(B * N);
    gsl_rng *r = rng_alloc(11, RNG_STREAM_DATA);
    ck_assert_int_eq(ring_sample(m, r, B, v, err), SYM_OK);
    gsl_rng_free(r);
    double *C = calloc(N * N, sizeof *C), *Cref = calloc(N * N, sizeof *Cref);
    lin *ws;
    ck_assert_int_eq(lin_alloc(&ws, N, m->lambda, err), SYM_OK);
    ck_assert_int_eq(lin_corr(ws, v, B, C, err), SYM_OK);
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++) {
            long s = 0;
            for (size_t b = 0; b < B; b++)
                s += v[b * N + i] * v[b * N + j];
            Cref[i * N + j] = (double)s / (double)B;
            ck_assert_msg(C[i * N + j] == Cref[i * N + j], "C[%zu][%zu] %g want %g", i, j,
                          C[i * N + j], Cref[i * N + j]);
        }
    double u[24], l, ov, top;
    double res = ref_top(Cref, N, u, &l);
    ck_assert_msg(res < 1e-10, "power iteration did not converge (residual %g)", res);
    unsigned char grow[24];
    for (size_t k = 0; k < N; k++)
        grow[k] = m->lambda[k] > 1 + LIN_GROW_TOL;
    ck_assert_int_eq(lin_overlap(ws, v, B, &ov, &top, NULL, err), SYM_OK);
    ck_assert_msg(fabs(top - l) < 1e-9 * l, "top %.17g power %.17g", top, l);
    double want = ref_proj(u, N, grow);
    ck_assert_msg(fabs(ov - want) < 1e-8, "ov %.17g want %.17g", ov, want);
    /* the data are far above threshold here: most weight in growing modes */
    ck_assert_msg(ov > 0.9, "ov %g", ov);
    /* from the C^ formed once by the caller (C, from lin_corr above): the
     * same numbers, and the caller's C^ left as it was */
    double ov2, top2;
    ck_assert_int_eq(lin_overlap_of(ws, C, &ov2, &top2, NULL, err), SYM_OK);
    ck_assert(ov2 == ov && top2 == top);
    for (size_t i = 0; i < N * N; i++)
        ck_assert(C[i] == Cref[i]);
    lin_free(ws);
    free(C);
    free(Cref);
    free(v);
    ring_free(m);
}
END_TEST

/* ---- the program ---- */

static char *mkscratch(void)
{
    char tmpl[] = "/tmp/symrbm_thr_XXXXXX";
    char *d = mkdtemp(tmpl);
    ck_assert(d != NULL);
    return strdup(d);
}

static void rm_rf(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static double summary_get(const char *path, const char *key)
{
    traj_header kv;
    char err[SYM_ERRLEN];
    ck_assert_msg(traj_read_summary(path, &kv, err) == SYM_OK, "%s", err);
    const char *s = traj_header_get(&kv, key);
    ck_assert_msg(s != NULL, "%s: no %s", path, key);
    double x = strtod(s, NULL);
    traj_header_free(&kv);
    return x;
}

/* the tiny sweep: 3 sample sizes x 2 seeds = 6 tasks, a second or so */
#define SWEEP_ARGS(T)                                                                            \
    "threshold", "--data", "bump", "--N", "16", "--eps", "0.2", "--Bmin", "4", "--Bmax", "100", \
        "--points", "3", "--seeds", "2", "--T", T, "--lr", "0.01", "--boot", "50", "--jobs", "2"

static const size_t sweepB[3] = {4, 20, 100};

static void task_path(char *p, size_t len, const char *dir, size_t B, size_t s)
{
    snprintf(p, len, "%s/tasks/%zu_%zu/result.tsv", dir, B, s);
}

START_TEST(test_cli_sweep_resume)
{
    char *dir = mkscratch(), errbuf[2048], p[4200];
    char *argv[] = {NULL, SWEEP_ARGS("2"), "--out", dir, NULL};
    int rc = tutil_run(argv, errbuf, sizeof errbuf);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, errbuf);
    snprintf(p, sizeof p, "%s/summary.tsv", dir);
    ck_assert_double_eq(summary_get(p, "tasks"), 6);
    ck_assert_double_eq(summary_get(p, "tasks_run"), 6);
    double bbp = summary_get(p, "Bc_bbp");
    snprintf(p, sizeof p, "%s/threshold.tsv", dir);
    traj_table tb;
    char err[SYM_ERRLEN];
    ck_assert_msg(traj_read(p, &tb, err) == SYM_OK, "%s", err);
    ck_assert_uint_eq(tb.nrow, 3);
    int cB = traj_table_col(&tb, "B"), cQ = traj_table_col(&tb, "Q_mean");
    ck_assert(cB >= 0 && cQ >= 0 && traj_table_col(&tb, "ov_grow_rmt") >= 0);
    for (size_t j = 0; j < 3; j++) {
        ck_assert_double_eq(tb.x[j * tb.ncol + (size_t)cB], (double)sweepB[j]);
        double q = tb.x[j * tb.ncol + (size_t)cQ];
        ck_assert_msg(q >= 0 && q <= 1 + 1e-12, "Q %g", q);
    }
    ck_assert_str_eq(traj_header_get(&tb.header, "data"), "bump");
    /* Q2_mean is the seed mean of Q^2 from the task results */
    int cQ2 = traj_table_col(&tb, "Q2_mean");
    ck_assert(cQ2 >= 0);
    for (size_t j = 0; j < 3; j++) {
        double s2 = 0;
        for (size_t s = 0; s < 2; s++) {
            char rp[4200];
            snprintf(rp, sizeof rp, "%s/tasks/%zu_%zu/result.tsv", dir, sweepB[j], s);
            double q = summary_get(rp, "Q");
            s2 += q * q / 2;
        }
        double got = tb.x[j * tb.ncol + (size_t)cQ2];
        ck_assert_msg(fabs(got - s2) <= 1e-14 * (1 + s2), "B %zu: Q2_mean %.17g want %.17g",
                      sweepB[j], got, s2);
    }
    traj_table_free(&tb);
    ck_assert(!tutil_has_temp(dir));

    /* BBP against the model's spectrum directly */
    ring_params rp;
    ring_params_default(&rp);
    rp.type = &ring_bump;
    rp.N = 16;
    rp.val[ring_key_index("eps")] = 0.2;
    ring_model *m;
    ck_assert_int_eq(ring_alloc(&m, &rp, err), SYM_OK);
    double lmax = 0;
    for (size_t k = 0; k < 16; k++)
        lmax = fmax(lmax, m->lambda[k]);
    ck_assert_msg(fabs(bbp / (16 / ((lmax - 1) * (lmax - 1))) - 1) < 1e-12, "Bc_bbp %g", bbp);

    /* each task's ov_lin is that of the data `sim --seed task_seed` draws,
     * recomputed here from the seed in its header */
    struct stat sb[6];
    char *before = NULL;
    size_t compared = 0;
    for (size_t t = 0; t < 6; t++) {
        task_path(p, sizeof p, dir, sweepB[t / 2], t % 2);
        ck_assert_int_eq(stat(p, &sb[t]), 0);
        if (t == 3)
            before = tutil_slurp(p, NULL);
        traj_header kv;
        ck_assert_int_eq(traj_read_summary(p, &kv, err), SYM_OK);
        uint64_t ts = strtoull(traj_header_get(&kv, "task_seed"), NULL, 10);
        double ov = strtod(traj_header_get(&kv, "ov_lin"), NULL);
        traj_header_free(&kv);
        size_t B = sweepB[t / 2];
        int8_t *v = malloc(B * 16);
        gsl_rng *r = rng_alloc(ts, RNG_STREAM_DATA);
        ck_assert_int_eq(ring_sample(m, r, B, v, err), SYM_OK);
        gsl_rng_free(r);
        double C[256], u[16], l;
        for (size_t i = 0; i < 16; i++)
            for (size_t j = 0; j < 16; j++) {
                long s = 0;
                for (size_t b = 0; b < B; b++)
                    s += v[b * 16 + i] * v[b * 16 + j];
                C[i * 16 + j] = (double)s / (double)B;
            }
        free(v);
        unsigned char grow[16];
        for (size_t k = 0; k < 16; k++)
            grow[k] = m->lambda[k] > 1 + LIN_GROW_TOL;
        /* B = 4 < N: C^ has a clear top eigenvalue in practice; if the power
         * iteration cannot separate a (near-)degenerate top pair the
         * comparison is meaningless, so it must converge */
        double res = ref_top(C, 16, u, &l);
        if (res < 1e-10) {
            double want = ref_proj(u, 16, grow);
            ck_assert_msg(fabs(ov - want) < 1e-7, "task %zu: ov_lin %.17g want %.17g", t, ov, want);
            compared++;
        }
    }
    ck_assert_msg(compared >= 4, "only %zu of 6 tasks had a separated top eigenvalue", compared);
    ring_free(m);

    /* remove one task, rerun: only it is recomputed, identically */
    snprintf(p, sizeof p, "%s/tasks/%zu_%zu", dir, sweepB[1], (size_t)1);
    rm_rf(p);
    usleep(20000);
    rc = tutil_run(argv, errbuf, sizeof errbuf);
    ck_assert_msg(rc == 0, "rerun exit %d: %s", rc, errbuf);
    snprintf(p, sizeof p, "%s/summary.tsv", dir);
    ck_assert_double_eq(summary_get(p, "tasks_run"), 1);
    for (size_t t = 0; t < 6; t++) {
        struct stat s2;
        task_path(p, sizeof p, dir, sweepB[t / 2], t % 2);
        ck_assert_int_eq(stat(p, &s2), 0);
        int same = s2.st_mtim.tv_sec == sb[t].st_mtim.tv_sec &&
                   s2.st_mtim.tv_nsec == sb[t].st_mtim.tv_nsec;
        ck_assert_msg(same == (t != 3), "task %zu: mtime %s", t, same ? "unchanged" : "changed");
    }
    task_path(p, sizeof p, dir, sweepB[1], 1);
    char *after = tutil_slurp(p, NULL);
    /* identical apart from the wall_s line */
    char *wb = strstr(before, "wall_s"), *wa = strstr(after, "wall_s");
    ck_assert(wb && wa);
    *wb = *wa = 0;
    ck_assert_str_eq(before, after);
    free(before);
    free(after);

    /* the same directory with another T: a mismatch, not a silent reuse */
    char *argv2[] = {NULL, SWEEP_ARGS("3"), "--out", dir, NULL};
    rc = tutil_run(argv2, errbuf, sizeof errbuf);
    ck_assert_int_eq(rc, 2);
    ck_assert_msg(strstr(errbuf, "mismatch") && strstr(errbuf, "T="), "stderr: %s", errbuf);
    ck_assert_uint_eq(tutil_lines(errbuf), 1);
    rm_rf(dir);
    free(dir);
}
END_TEST

/* ---- binary hidden units, the paper's criterion, the log-likelihood gap,
 * the beta scan ---- */

/* A table column by name, row j. */
static double tab_get(const traj_table *tb, const char *col, size_t j)
{
    int c = traj_table_col(tb, col);
    ck_assert_msg(c >= 0 && j < tb->nrow, "no column %s or row %zu", col, j);
    return tb->x[j * tb->ncol + (size_t)c];
}

/* The final profile (last row) of a kept sim's weights.tsv. */
static void final_weights(const char *simdir, size_t N, double *w)
{
    char p[4400], err[SYM_ERRLEN];
    snprintf(p, sizeof p, "%s/weights.tsv", simdir);
    traj_table tb;
    ck_assert_msg(traj_read(p, &tb, err) == SYM_OK, "%s", err);
    int c0 = traj_table_col(&tb, "w_0");
    ck_assert(c0 >= 0 && tb.nrow > 0 && tb.ncol == (size_t)c0 + N);
    for (size_t i = 0; i < N; i++)
        w[i] = tb.x[(tb.nrow - 1) * tb.ncol + (size_t)c0 + i];
    traj_table_free(&tb);
}

/* Mean log-likelihood of B samples under one binary hidden unit with zero
 * fields, in closed form: Z = sum_h prod_i 2 cosh(h w_i) = 2 prod_i 2
 * cosh(w_i), so log p(v) = log 2cosh(w.v) - log 2 - sum_i log 2cosh(w_i)
 * (independent of sim/train's evaluation). */
static double ll_spin(const double *w, size_t N, const int8_t *v, size_t B)
{
    double lz = log(2.0), s = 0;
    for (size_t i = 0; i < N; i++)
        lz += fabs(w[i]) + log1p(exp(-2 * fabs(w[i])));
    for (size_t b = 0; b < B; b++) {
        double I = 0;
        for (size_t i = 0; i < N; i++)
            I += w[i] * v[b * N + i];
        s += fabs(I) + log1p(exp(-2 * fabs(I))) - lz;
    }
    return s / (double)B;
}

/* The same for one gaussian hidden unit (gamma = 1, theta = 0): log p(v) =
 * (w.v)^2 / 2 - log sum_v' exp((w.v')^2 / 2), by enumerating all 2^N v'. */
static double ll_gauss_enum(const double *w, size_t N, const int8_t *v, size_t B)
{
    double mx = -INFINITY, *e = malloc(((size_t)1 << N) * sizeof *e);
    for (size_t x = 0; x < ((size_t)1 << N); x++) {
        double I = 0;
        for (size_t i = 0; i < N; i++)
            I += (x >> i & 1) ? w[i] : -w[i];
        e[x] = I * I / 2;
        mx = fmax(mx, e[x]);
    }
    double z = 0;
    for (size_t x = 0; x < ((size_t)1 << N); x++)
        z += exp(e[x] - mx);
    free(e);
    double lz = mx + log(z), s = 0;
    for (size_t b = 0; b < B; b++) {
        double I = 0;
        for (size_t i = 0; i < N; i++)
            I += w[i] * v[b * N + i];
        s += I * I / 2 - lz;
    }
    return s / (double)B;
}

/* Task (B, s) of a sweep in dir: its stored ll_train, ll_test against the
 * closed form on its own training and held-out samples (redrawn here from
 * the task_seed of its header) and its kept sim's final weights. */
static void check_task_ll(const char *dir, const ring_model *m, size_t B, size_t s, size_t Bt,
                          int spin)
{
    char p[4200], err[SYM_ERRLEN];
    size_t N = m->N;
    task_path(p, sizeof p, dir, B, s);
    traj_header kv;
    ck_assert_int_eq(traj_read_summary(p, &kv, err), SYM_OK);
    ck_assert_str_eq(traj_header_get(&kv, "hidden"), spin ? "spin" : "gaussian");
    uint64_t ts = strtoull(traj_header_get(&kv, "task_seed"), NULL, 10);
    double lltr = strtod(traj_header_get(&kv, "ll_train"), NULL);
    double llte = strtod(traj_header_get(&kv, "ll_test"), NULL);
    double W = strtod(traj_header_get(&kv, "W"), NULL);
    traj_header_free(&kv);
    int8_t *v = malloc(B * N), *vt = malloc(Bt * N);
    gsl_rng *r = rng_alloc(ts, RNG_STREAM_DATA), *rt = rng_alloc(ts, RNG_STREAM_TEST);
    ck_assert_int_eq(ring_sample(m, r, B, v, err), SYM_OK);
    ck_assert_int_eq(ring_sample(m, rt, Bt, vt, err), SYM_OK);
    gsl_rng_free(r);
    gsl_rng_free(rt);
    double w[64], sw = 0;
    snprintf(p, sizeof p, "%s/tasks/%zu_%zu/sim", dir, B, s);
    final_weights(p, N, w);
    for (size_t i = 0; i < N; i++)
        sw += w[i];
    double a = spin ? ll_spin(w, N, v, B) : ll_gauss_enum(w, N, v, B);
    double b = spin ? ll_spin(w, N, vt, Bt) : ll_gauss_enum(w, N, vt, Bt);
    ck_assert_msg(fabs(lltr - a) < 1e-9 * fabs(a), "B %zu: ll_train %.17g want %.17g", B, lltr, a);
    ck_assert_msg(fabs(llte - b) < 1e-9 * fabs(b), "B %zu: ll_test %.17g want %.17g", B, llte, b);
    ck_assert_msg(fabs(W - fabs(sw)) < 1e-10 * (1 + fabs(sw)), "W %.17g want %.17g", W, fabs(sw));
    free(v);
    free(vt);
}

/* Task (B, s) of a --keep-sim sweep: its evec_i keys are a unit top
 * eigenvector of C^ of its own training samples (redrawn from task_seed):
 * C^ u = top_eval u, against the power iteration ref_top (sign free). */
static void check_task_evec(const char *dir, const ring_model *m, size_t B, size_t s)
{
    char p[4200], err[SYM_ERRLEN], k[32];
    size_t N = m->N;
    task_path(p, sizeof p, dir, B, s);
    traj_header kv;
    ck_assert_int_eq(traj_read_summary(p, &kv, err), SYM_OK);
    uint64_t ts = strtoull(traj_header_get(&kv, "task_seed"), NULL, 10);
    double top = strtod(traj_header_get(&kv, "top_eval"), NULL), u[64], x[64], C[64 * 64], l;
    for (size_t i = 0; i < N; i++) {
        snprintf(k, sizeof k, "evec_%zu", i);
        ck_assert_msg(traj_header_get(&kv, k) != NULL, "B %zu: no %s", B, k);
        u[i] = strtod(traj_header_get(&kv, k), NULL);
    }
    traj_header_free(&kv);
    int8_t *v = malloc(B * N);
    gsl_rng *r = rng_alloc(ts, RNG_STREAM_DATA);
    ck_assert_int_eq(ring_sample(m, r, B, v, err), SYM_OK);
    gsl_rng_free(r);
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++) {
            long c = 0;
            for (size_t b = 0; b < B; b++)
                c += v[b * N + i] * v[b * N + j];
            C[i * N + j] = (double)c / (double)B;
        }
    free(v);
    double res = ref_top(C, N, x, &l), dot = 0, nn = 0;
    ck_assert_msg(res < 1e-10, "B %zu: power iteration residual %g", B, res);
    for (size_t i = 0; i < N; i++) {
        dot += u[i] * x[i];
        nn += u[i] * u[i];
    }
    ck_assert_msg(fabs(top - l) < 1e-9 * l, "B %zu: top_eval %.17g want %.17g", B, top, l);
    ck_assert_msg(fabs(nn - 1) < 1e-10, "B %zu: |u|^2 = %.17g", B, nn);
    ck_assert_msg(fabs(fabs(dot) - 1) < 1e-8, "B %zu: |u . u_ref| = %.17g", B, fabs(dot));
}

static ring_model *ising_model(size_t N, double beta)
{
    char err[SYM_ERRLEN];
    ring_params rp;
    ring_params_default(&rp);
    rp.type = &ring_ising;
    rp.N = N;
    rp.val[ring_key_index("beta")] = beta;
    ring_model *m;
    ck_assert_int_eq(ring_alloc(&m, &rp, err), SYM_OK);
    return m;
}

START_TEST(test_cli_spin_sweep)
{
    /* binary hidden unit, ising N = 20 at beta = 0.8: 3 B x 3 seeds */
    char *dir = mkscratch(), errbuf[2048], p[4200], err[SYM_ERRLEN];
    char *argv[] = {NULL, "threshold", "--data", "ising", "--N", "20", "--beta", "0.8",
                    "--hidden", "spin", "--Bmin", "4", "--Bmax", "400", "--points", "3",
                    "--seeds", "3", "--T", "5", "--lr", "0.01", "--boot", "50", "--B-test",
                    "300", "--keep-sim", "--jobs", "2", "--out", dir, NULL};
    int rc = tutil_run(argv, errbuf, sizeof errbuf);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, errbuf);
    static const size_t Bs[3] = {4, 40, 400};
    ring_model *m = ising_model(20, 0.8);

    /* every stored result, and the summary, carry hidden=spin */
    for (size_t t = 0; t < 9; t++) {
        task_path(p, sizeof p, dir, Bs[t / 3], t % 3);
        traj_header kv;
        ck_assert_int_eq(traj_read_summary(p, &kv, err), SYM_OK);
        ck_assert_str_eq(traj_header_get(&kv, "hidden"), "spin");
        ck_assert_str_eq(traj_header_get(&kv, "B-test"), "300");
        traj_header_free(&kv);
    }
    snprintf(p, sizeof p, "%s/theory/weights.tsv", dir);
    traj_table tb;
    ck_assert_msg(traj_read(p, &tb, err) == SYM_OK, "%s", err);
    ck_assert_str_eq(traj_header_get(&tb.header, "hidden"), "spin");
    traj_table_free(&tb);

    /* the paper's eq. 27 from the model's own spectrum */
    snprintf(p, sizeof p, "%s/summary.tsv", dir);
    double lmax = 0;
    for (size_t k = 0; k < 20; k++)
        lmax = fmax(lmax, m->lambda[k]);
    double want = 20 / ((sqrt(lmax) - 1) * (sqrt(lmax) - 1)), got = summary_get(p, "Bc_paper");
    ck_assert_msg(fabs(got / want - 1) < 1e-12, "Bc_paper %.17g want %.17g", got, want);
    /* ising: lambda_max = e^{2 beta} (k = 0: (1 + t^N ...) close to it at N = 20), so
     * eq. 27 is near N / (e^beta - 1)^2 and above BBP by about (e^beta + 1)^2 */
    double bbp = summary_get(p, "Bc_bbp");
    ck_assert_msg(fabs(got / bbp / pow(sqrt(lmax) + 1, 2) - 1) < 1e-12, "ratio %g", got / bbp);

    /* ll_train, ll_test and W of one task per B against the closed form */
    for (size_t j = 0; j < 3; j++)
        check_task_ll(dir, m, Bs[j], 1, 300, 1);
    /* --keep-sim: C^'s top eigenvector (evec_i) of one task per B */
    for (size_t j = 0; j < 3; j++)
        check_task_evec(dir, m, Bs[j], 0);

    /* the gap: threshold.tsv's seed means are those of the tasks, and at
     * the smallest B the trained unit has overfitted its 4 samples */
    snprintf(p, sizeof p, "%s/threshold.tsv", dir);
    ck_assert_msg(traj_read(p, &tb, err) == SYM_OK, "%s", err);
    for (size_t j = 0; j < 3; j++) {
        double g = 0;
        for (size_t s = 0; s < 3; s++) {
            task_path(p, sizeof p, dir, Bs[j], s);
            g += (summary_get(p, "ll_train") - summary_get(p, "ll_test")) / 3;
        }
        double gm = tab_get(&tb, "gap_mean", j);
        ck_assert_msg(fabs(gm - g) <= 1e-12 * (1 + fabs(g)), "B %zu gap %.17g want %.17g",
                      Bs[j], gm, g);
    }
    ck_assert_msg(tab_get(&tb, "gap_mean", 0) > 0, "gap at B = 4: %g", tab_get(&tb, "gap_mean", 0));
    ck_assert_msg(tab_get(&tb, "gap_mean", 0) > tab_get(&tb, "gap_mean", 2), "gap does not shrink");
    traj_table_free(&tb);

    /* the other kind on the same directory is a parameter mismatch */
    argv[9] = "gaussian";
    rc = tutil_run(argv, errbuf, sizeof errbuf);
    ck_assert_int_eq(rc, 2);
    ck_assert_msg(strstr(errbuf, "mismatch") && strstr(errbuf, "hidden=spin"), "stderr: %s",
                  errbuf);
    ck_assert_uint_eq(tutil_lines(errbuf), 1);
    /* ... and a beta scan there is refused too */
    char *argvb[] = {NULL, "threshold", "--scan", "beta", "--data", "ising", "--N", "20",
                     "--hidden", "spin", "--B", "40", "--points", "2", "--out", dir, NULL};
    rc = tutil_run(argvb, errbuf, sizeof errbuf);
    ck_assert_int_eq(rc, 2);
    ck_assert_msg(strstr(errbuf, "B scan"), "stderr: %s", errbuf);
    ring_free(m);
    rm_rf(dir);
    free(dir);
}
END_TEST

START_TEST(test_cli_gauss_ll)
{
    /* the default gaussian unit: ll_train and ll_test against enumeration
     * of all 2^12 states */
    char *dir = mkscratch(), errbuf[2048];
    char *argv[] = {NULL, "threshold", "--data", "ising", "--N", "12", "--beta", "0.5",
                    "--Bmin", "6", "--Bmax", "60", "--points", "2", "--seeds", "1", "--T", "4",
                    "--boot", "10", "--B-test", "100", "--keep-sim", "--jobs", "1", "--out", dir,
                    NULL};
    int rc = tutil_run(argv, errbuf, sizeof errbuf);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, errbuf);
    ring_model *m = ising_model(12, 0.5);
    check_task_ll(dir, m, 6, 0, 100, 0);
    check_task_ll(dir, m, 60, 0, 100, 0);
    ring_free(m);
    rm_rf(dir);
    free(dir);
}
END_TEST

START_TEST(test_cli_beta_scan)
{
    /* Fig. 7a in small: ising N = 20, one binary unit, B = 400, beta from
     * 0.1 (lambda_max = e^0.2: the profile barely grows by T) to 1.3 (a
     * strong receptive field): W = |sum w| must rise with beta */
    char *dir = mkscratch(), errbuf[2048], p[4200], err[SYM_ERRLEN];
    char *argv[] = {NULL, "threshold", "--scan", "beta", "--data", "ising", "--N", "20",
                    "--hidden", "spin", "--beta-min", "0.1", "--beta-max", "1.3", "--points", "3",
                    "--B", "400", "--seeds", "2", "--T", "10", "--B-test", "100", "--jobs", "2",
                    "--out", dir, NULL};
    int rc = tutil_run(argv, errbuf, sizeof errbuf);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, errbuf);
    static const char *const names[3] = {"b0.1", "b0.7", "b1.3"};
    static const double betas[3] = {0.1, 0.7, 1.3};
    snprintf(p, sizeof p, "%s/beta_scan.tsv", dir);
    traj_table tb;
    ck_assert_msg(traj_read(p, &tb, err) == SYM_OK, "%s", err);
    ck_assert_uint_eq(tb.nrow, 3);
    for (size_t j = 0; j < 3; j++) {
        ck_assert_msg(fabs(tab_get(&tb, "beta", j) - betas[j]) < 1e-12, "beta %g",
                      tab_get(&tb, "beta", j));
        ck_assert_double_eq(tab_get(&tb, "B", j), 400);
        /* the seed mean of W from the tasks (named by beta, not by B) */
        double Wm = 0;
        for (size_t s = 0; s < 2; s++) {
            snprintf(p, sizeof p, "%s/tasks/%s_%zu/result.tsv", dir, names[j], s);
            Wm += summary_get(p, "W") / 2;
            traj_header kv;
            ck_assert_int_eq(traj_read_summary(p, &kv, err), SYM_OK);
            ck_assert_msg(fabs(strtod(traj_header_get(&kv, "beta"), NULL) - betas[j]) < 1e-12,
                          "task beta");
            traj_header_free(&kv);
        }
        ck_assert_msg(fabs(tab_get(&tb, "W_mean", j) - Wm) <= 1e-12 * (1 + Wm), "W_mean");
        /* each beta's theory profile is its own */
        snprintf(p, sizeof p, "%s/theory_%s/weights.tsv", dir, names[j]);
        ck_assert_msg(access(p, F_OK) == 0, "no %s", p);
        ring_model *m = ising_model(20, betas[j]);
        double lmax = 0;
        for (size_t k = 0; k < 20; k++)
            lmax = fmax(lmax, m->lambda[k]);
        ring_free(m);
        double want = 20 / ((sqrt(lmax) - 1) * (sqrt(lmax) - 1));
        ck_assert_msg(fabs(tab_get(&tb, "Bc_paper", j) / want - 1) < 1e-12, "Bc_paper");
    }
    double W0 = tab_get(&tb, "W_mean", 0), W1 = tab_get(&tb, "W_mean", 1),
           W2 = tab_get(&tb, "W_mean", 2);
    ck_assert_msg(W0 < W1 && W1 < W2 && W2 > 3 * W0, "W %g %g %g", W0, W1, W2);
    traj_table_free(&tb);
    snprintf(p, sizeof p, "%s/summary.tsv", dir);
    ck_assert_double_eq(summary_get(p, "tasks"), 6);
    ck_assert_double_eq(summary_get(p, "tasks_run"), 6);
    /* resumable: a rerun runs nothing */
    rc = tutil_run(argv, errbuf, sizeof errbuf);
    ck_assert_msg(rc == 0, "rerun exit %d: %s", rc, errbuf);
    ck_assert_double_eq(summary_get(p, "tasks_run"), 0);
    /* a B scan on the same directory is refused */
    char *argvB[] = {NULL, "threshold", "--data", "ising", "--N", "20", "--out", dir, NULL};
    rc = tutil_run(argvB, errbuf, sizeof errbuf);
    ck_assert_int_eq(rc, 2);
    ck_assert_msg(strstr(errbuf, "beta scan"), "stderr: %s", errbuf);
    rm_rf(dir);
    free(dir);
}
END_TEST

/* ---- the trained sweep of Potts data (xy) ---- */

/* threshold_xy_locate on a synthetic table whose seed means are linear in
 * log10 B between grid points, so that the half-way crossings are known in
 * closed form; seeds spread symmetrically about the mean. */
START_TEST(test_xy_locate_synthetic)
{
    char err[SYM_ERRLEN];
    enum { NB = 4, NS = 3 };
    const double B[NB] = {100, 1000, 10000, 100000};
    /* means: ang_frac from 2/9 (P = 10) to 1; S_ang rises to 0.9 and falls;
     * R from 0.1 to 0.7 */
    const double ma[NB] = {2.0 / 9, 0.5, 0.9, 1.0}, ms[NB] = {0.05, 0.6, 0.9, 0.3},
                 mr[NB] = {0.1, 0.1, 0.2, 0.7};
    for (int noisy = 0; noisy < 2; noisy++) {
        double ya[NB * NS], ys[NB * NS], yr[NB * NS];
        const double d[NS] = {-0.01, 0, 0.01};
        for (size_t j = 0; j < NB; j++)
            for (size_t s = 0; s < NS; s++) {
                double e = noisy ? d[s] : 0;
                ya[j * NS + s] = ma[j] + e;
                ys[j * NS + s] = ms[j] + e;
                yr[j * NS + s] = mr[j] + e;
            }
        threshold_xy_bc bc;
        ck_assert_msg(threshold_xy_locate(B, ya, ys, yr, NB, NS, 10, 400, 7, &bc, err) == SYM_OK,
                      "%s", err);
        /* ang: half-way (2/9 + 1)/2 between B = 1e3 (0.5) and 1e4 (0.9) */
        double h = (2.0 / 9 + 1) / 2, want[3];
        want[THRESHOLD_XY_ANG] = pow(10, 3 + (h - 0.5) / 0.4);
        /* S_ang: (0.05 + 0.9)/2 between 1e2 (0.05) and 1e3 (0.6) */
        want[THRESHOLD_XY_SANG] = pow(10, 2 + (0.475 - 0.05) / 0.55);
        /* R: 0.4 between 1e4 (0.2) and 1e5 (0.7) */
        want[THRESHOLD_XY_SPAT] = pow(10, 4 + (0.4 - 0.2) / 0.5);
        const double wlo[3] = {2.0 / 9, 0.05, 0.1}, whi[3] = {1.0, 0.9, 0.7};
        for (size_t k = 0; k < THRESHOLD_XY_N; k++) {
            ck_assert_msg(fabs(bc.Bc[k] / want[k] - 1) < 1e-12, "noisy %d k %zu: Bc %.17g want "
                          "%.17g", noisy, k, bc.Bc[k], want[k]);
            ck_assert_msg(fabs(bc.level_lo[k] - wlo[k]) < 1e-12 &&
                              fabs(bc.level_hi[k] - whi[k]) < 1e-12,
                          "k %zu levels %g %g", k, bc.level_lo[k], bc.level_hi[k]);
            ck_assert_uint_eq(bc.valid[k], 400);
            if (!noisy) {
                /* every replicate is the data itself */
                ck_assert_msg(fabs(bc.ci_lo[k] / want[k] - 1) < 1e-12 &&
                                  fabs(bc.ci_hi[k] / want[k] - 1) < 1e-12,
                              "k %zu ci %g %g", k, bc.ci_lo[k], bc.ci_hi[k]);
            } else {
                ck_assert_msg(bc.ci_lo[k] < want[k] && want[k] < bc.ci_hi[k] &&
                                  bc.ci_hi[k] < 1.5 * want[k] && bc.ci_lo[k] > want[k] / 1.5,
                              "k %zu: ci [%g, %g] around %g", k, bc.ci_lo[k], bc.ci_hi[k],
                              want[k]);
            }
        }
    }
    /* a flat R never crosses: NAN, no valid replicate */
    double ya[NB], yr[NB] = {0.3, 0.3, 0.3, 0.3};
    for (size_t j = 0; j < NB; j++)
        ya[j] = ma[j];
    threshold_xy_bc bc;
    ck_assert_int_eq(threshold_xy_locate(B, ya, ms, yr, NB, 1, 10, 50, 7, &bc, err), SYM_OK);
    ck_assert(isnan(bc.Bc[THRESHOLD_XY_SPAT]));
    ck_assert_uint_eq(bc.valid[THRESHOLD_XY_SPAT], 0);
    ck_assert(isfinite(bc.Bc[THRESHOLD_XY_ANG]));
    ck_assert_int_eq(threshold_xy_locate(B, ya, ms, yr, 1, 1, 10, 50, 7, &bc, err), SYM_EINVAL);
}
END_TEST

/* the summary.tsv values (all but wall_s) and threshold.tsv rows of two
 * directories agree exactly */
static void same_outputs(const char *d1, const char *d2)
{
    char p1[4200], p2[4200], err[SYM_ERRLEN];
    snprintf(p1, sizeof p1, "%s/threshold.tsv", d1);
    snprintf(p2, sizeof p2, "%s/threshold.tsv", d2);
    traj_table a, b;
    ck_assert_msg(traj_read(p1, &a, err) == SYM_OK, "%s", err);
    ck_assert_msg(traj_read(p2, &b, err) == SYM_OK, "%s", err);
    ck_assert(a.nrow == b.nrow && a.ncol == b.ncol && a.nrow > 0);
    for (size_t k = 0; k < a.nrow * a.ncol; k++)
        ck_assert_msg(memcmp(&a.x[k], &b.x[k], sizeof a.x[k]) == 0 || (isnan(a.x[k]) &&
                      isnan(b.x[k])), "threshold.tsv entry %zu: %.17g vs %.17g", k, a.x[k],
                      b.x[k]);
    traj_table_free(&a);
    traj_table_free(&b);
    /* summary.tsv as text: the value rows (the header carries argv and
     * stamps), wall_s left out */
    snprintf(p1, sizeof p1, "%s/summary.tsv", d1);
    snprintf(p2, sizeof p2, "%s/summary.tsv", d2);
    FILE *f1 = fopen(p1, "r"), *f2 = fopen(p2, "r");
    ck_assert(f1 && f2);
    char l1[512], l2[512];
    size_t rows = 0;
    for (;;) {
        char *r1 = fgets(l1, sizeof l1, f1);
        while (r1 && (l1[0] == '#' || strncmp(l1, "wall_s\t", 7) == 0))
            r1 = fgets(l1, sizeof l1, f1);
        char *r2 = fgets(l2, sizeof l2, f2);
        while (r2 && (l2[0] == '#' || strncmp(l2, "wall_s\t", 7) == 0))
            r2 = fgets(l2, sizeof l2, f2);
        ck_assert_msg(!r1 == !r2, "summary.tsv: different row counts");
        if (!r1)
            break;
        ck_assert_msg(strcmp(l1, l2) == 0, "summary.tsv: '%s' vs '%s'", l1, l2);
        rows++;
    }
    ck_assert_uint_gt(rows, 20);
    fclose(f1);
    fclose(f2);
}

/* The tiny trained sweep of xy data (N = 8, P = 4, binary unit: p = 2 is
 * there too, so ang_frac is not 1 by construction): identical
 * for --jobs 1 and 2; each task's ang_frac, R and norm2 recomputed from its
 * kept final weights by direct sums (a DFT in colour at each site, the site
 * power's first spatial harmonic); threshold.tsv's means are the tasks'. */
START_TEST(test_cli_xy_trained)
{
    char *d1 = mkscratch(), *d2 = mkscratch(), errbuf[2048], p[4200], err[SYM_ERRLEN];
    enum { N = 8, P = 4 };
    char *argv[] = {NULL, "threshold", "--data", "xy", "--N", "8", "--P", "4", "--beta", "1.0",
                    "--hidden", "spin", "--Bmin", "20", "--Bmax", "500", "--points", "3",
                    "--seeds", "2", "--T", "5", "--lr", "0.1", "--boot", "50", "--B-test",
                    "50", "--keep-sim", "--jobs", "2", "--out", d1, NULL};
    int rc = tutil_run(argv, errbuf, sizeof errbuf);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, errbuf);
    argv[30] = "1";
    argv[32] = d2;
    rc = tutil_run(argv, errbuf, sizeof errbuf);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, errbuf);
    same_outputs(d1, d2);

    static const size_t Bs[3] = {20, 100, 500};
    snprintf(p, sizeof p, "%s/threshold.tsv", d1);
    traj_table tb;
    ck_assert_msg(traj_read(p, &tb, err) == SYM_OK, "%s", err);
    for (size_t j = 0; j < 3; j++) {
        double mR = 0;
        for (size_t s = 0; s < 2; s++) {
            snprintf(p, sizeof p, "%s/tasks/%zu_%zu/sim/weights.tsv", d1, Bs[j], s);
            traj_table wt;
            ck_assert_msg(traj_read(p, &wt, err) == SYM_OK, "%s", err);
            int c0 = traj_table_col(&wt, "w_0"), cc = traj_table_col(&wt, "c");
            ck_assert(c0 >= 0 && cc >= 0 && wt.nrow == P && wt.ncol == (size_t)c0 + N);
            double w[N][P];
            for (size_t c = 0; c < P; c++) {
                ck_assert(wt.x[c * wt.ncol + (size_t)cc] == (double)c);
                for (size_t i = 0; i < N; i++)
                    w[i][c] = wt.x[c * wt.ncol + (size_t)c0 + i];
            }
            traj_table_free(&wt);
            double n2 = 0, pang = 0, zr = 0, zi = 0;
            for (size_t i = 0; i < N; i++) {
                double re = 0, im = 0, si = 0;
                for (size_t c = 0; c < P; c++) {
                    re += w[i][c] * cos(2 * M_PI * c / P);
                    im -= w[i][c] * sin(2 * M_PI * c / P);
                    si += w[i][c] * w[i][c];
                }
                /* Parseval in colour: harmonics +1 and -1 carry 2 |z|^2 / P */
                pang += 2 * (re * re + im * im) / P;
                n2 += si;
                zr += si * cos(2 * M_PI * i / N);
                zi += si * sin(2 * M_PI * i / N);
            }
            snprintf(p, sizeof p, "%s/tasks/%zu_%zu/result.tsv", d1, Bs[j], s);
            double af = summary_get(p, "ang_frac"), R = summary_get(p, "R"),
                   nn = summary_get(p, "norm2");
            ck_assert_msg(fabs(af - pang / n2) < 1e-9, "B %zu s %zu: ang_frac %.17g want %.17g",
                          Bs[j], s, af, pang / n2);
            ck_assert_msg(fabs(R - hypot(zr, zi) / n2) < 1e-9, "R %.17g want %.17g", R,
                          hypot(zr, zi) / n2);
            ck_assert_msg(fabs(nn - n2) < 1e-9 * n2, "norm2 %.17g want %.17g", nn, n2);
            mR += R / 2;
        }
        double got = tab_get(&tb, "R_mean", j);
        ck_assert_msg(fabs(got - mR) < 1e-12, "B %zu: R_mean %.17g want %.17g", Bs[j], got, mR);
    }
    traj_table_free(&tb);
    /* the predictions beside them: the paper's eq. 30-31 is finite */
    snprintf(p, sizeof p, "%s/summary.tsv", d1);
    ck_assert(isfinite(summary_get(p, "Bc_paper")));
    rm_rf(d1);
    rm_rf(d2);
    free(d1);
    free(d2);
}
END_TEST

START_TEST(test_cli_bad_input)
{
    char *dir = mkscratch(), errbuf[2048];
    static const char *const bad[][4] = {
        {"--Bmin", "0", NULL, NULL},        {"--Bmax", "2", NULL, NULL},
        {"--points", "1", NULL, NULL},      {"--seeds", "0", NULL, NULL},
        {"--data", "xy", "--scan", "beta"}, {"--eps", "0.7", NULL, NULL},
        {"--jobs", "0", NULL, NULL},        {"--N", "2", NULL, NULL},
        {"--lr", "-1", NULL, NULL},         {"--frobnicate", "1", NULL, NULL},
        {"--T", "nan", NULL, NULL},         {"--Bmin", "5", "--Bmax", "5.4"},
        {"--hidden", "relu", NULL, NULL},   {"--B-test", "0", NULL, NULL},
        {"--scan", "beta", NULL, NULL},     {"--scan", "Q", NULL, NULL},
        {"--scan", "beta", "--B", "0"},
        /* the data-only sweep: Potts data and a B scan only */
        {"--hidden", "none", NULL, NULL},   {"--hidden", "none", "--scan", "beta"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char *argv[16] = {NULL, "threshold", "--Bmin", "4", "--Bmax", "100", "--out", dir};
        size_t n = 8;
        for (size_t a = 0; a < 4 && bad[k][a]; a++)
            argv[n++] = (char *)bad[k][a];
        argv[n] = NULL;
        int rc = tutil_run(argv, errbuf, sizeof errbuf);
        ck_assert_msg(rc == 2, "case %zu (%s): exit %d", k, bad[k][0], rc);
        ck_assert_msg(tutil_lines(errbuf) == 1, "case %zu: stderr '%s'", k, errbuf);
    }
    char *argv[] = {NULL, "threshold", "--Bmin", "4", NULL};
    ck_assert_int_eq(tutil_run(argv, errbuf, sizeof errbuf), 2);
    ck_assert_msg(strstr(errbuf, "--out"), "stderr: %s", errbuf);
    char *argvh[] = {NULL, "threshold", "--help", NULL};
    ck_assert_int_eq(tutil_run(argvh, errbuf, sizeof errbuf), 0);
    /* nothing was run into the directory */
    char p[4200];
    snprintf(p, sizeof p, "%s/summary.tsv", dir);
    ck_assert(access(p, F_OK) != 0);
    rm_rf(dir);
    free(dir);
}
END_TEST

/* --epochs and --batch reach the trainer: every task of a tiny xy sweep
 * with the paper's scheme (here 3 epochs of minibatches of 7, per-epoch
 * reshuffle) equals a direct sim_potts_run on the task's samples with the
 * same settings, bit for bit, and differs from the full-batch run at the
 * sweep's default T (so options that were dropped would fail here). */
START_TEST(test_cli_xy_epochs)
{
    char *d = mkscratch(), errbuf[2048], p[4200], err[SYM_ERRLEN];
    char *argv[] = {NULL, "threshold", "--data", "xy", "--N", "8", "--P", "4", "--beta", "1.0",
                    "--hidden", "spin", "--Bmin", "20", "--Bmax", "100", "--points", "2",
                    "--seeds", "2", "--epochs", "3", "--batch", "7", "--lr", "0.1",
                    "--init-scale", "0.05", "--boot", "20", "--B-test", "50", "--jobs", "1",
                    "--out", d, NULL};
    int rc = tutil_run(argv, errbuf, sizeof errbuf);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, errbuf);
    ring_params rp;
    ring_params_default(&rp);
    ck_assert(ring_type_find("xy", &rp.type, err) == SYM_OK);
    rp.N = 8;
    ck_assert(ring_params_set(&rp, "P", 4, err) == SYM_OK);
    ck_assert(ring_params_set(&rp, "beta", 1.0, err) == SYM_OK);
    ring_model *m;
    ck_assert_msg(ring_alloc(&m, &rp, err) == SYM_OK, "%s", err);
    static const size_t Bs[2] = {20, 100};
    for (size_t j = 0; j < 2; j++)
        for (size_t s = 0; s < 2; s++) {
            snprintf(p, sizeof p, "%s/tasks/%zu_%zu/result.tsv", d, Bs[j], s);
            traj_header kv;
            ck_assert_msg(traj_read_summary(p, &kv, err) == SYM_OK, "%s", err);
            const char *tsv = traj_header_get(&kv, "task_seed");
            ck_assert(tsv != NULL);
            uint64_t ts = strtoull(tsv, NULL, 10);
            traj_header_free(&kv);
            sim_potts_result r[2];
            for (int full = 0; full < 2; full++) {
                sim_config c;
                sim_config_default(&c);
                unit_params_default(&c.train.unit, &unit_spin);
                c.train.M = 1;
                c.train.lr = 0.1;
                c.T = 40;   /* threshold's default T, used by the full-batch run only */
                c.train.batch = full ? 0 : 7;
                c.epochs = full ? 0 : 3;
                c.snapshots = 1;
                c.init_scale = 0.05;
                c.seed = ts;
                int8_t *v, *vt;
                ck_assert(sim_potts_draw(m, ts, Bs[j], 50, &v, &vt, err) == SYM_OK);
                traj_header h;
                traj_header_init(&h);
                ck_assert_msg(sim_potts_run(&c, 1, m, v, Bs[j], vt, 50, &h, NULL, &r[full], err) ==
                              SYM_OK, "%s", err);
                traj_header_free(&h);
                free(v);
                free(vt);
            }
            ck_assert_uint_eq(r[0].updates, 3 * ((Bs[j] + 6) / 7));
            const double want[4] = {r[0].ang_frac, r[0].final.R, r[0].final.norm2, r[0].loglik};
            const double fullb[4] = {r[1].ang_frac, r[1].final.R, r[1].final.norm2, r[1].loglik};
            static const char *const key[4] = {"ang_frac", "R", "norm2", "ll_train"};
            for (size_t k = 0; k < 4; k++) {
                double got = summary_get(p, key[k]);
                ck_assert_msg(got == want[k], "B %zu s %zu %s: %.17g want %.17g", Bs[j], s,
                              key[k], got, want[k]);
                ck_assert_msg(got != fullb[k], "B %zu s %zu %s: equals the full-batch run's",
                              Bs[j], s, key[k]);
            }
        }
    ring_free(m);
    /* the default (full-batch, fixed-T) sweep on the same directory refuses
     * these results rather than taking them: it sets no batch or epochs key,
     * so the scheme is in the T key */
    char *argvd[] = {NULL, "threshold", "--data", "xy", "--N", "8", "--P", "4", "--beta", "1.0",
                     "--hidden", "spin", "--Bmin", "20", "--Bmax", "100", "--points", "2",
                     "--seeds", "2", "--lr", "0.1", "--init-scale", "0.05", "--boot", "20",
                     "--B-test", "50", "--jobs", "1", "--out", d, NULL};
    rc = tutil_run(argvd, errbuf, sizeof errbuf);
    ck_assert_msg(rc == 2 && strstr(errbuf, "parameter mismatch"), "exit %d: %s", rc, errbuf);
    /* and so does a full-batch run by epochs */
    argv[23] = "0";   /* --batch 0 */
    rc = tutil_run(argv, errbuf, sizeof errbuf);
    ck_assert_msg(rc == 2 && strstr(errbuf, "parameter mismatch"), "exit %d: %s", rc, errbuf);
    rm_rf(d);
    free(d);
}
END_TEST

Suite *threshold_suite(void)
{
    Suite *s = suite_create("threshold");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_grid);
    tcase_add_test(tc, test_crossing_linear);
    tcase_add_test(tc, test_crossing_first_and_none);
    tcase_add_test(tc, test_crossing_logistic);
    tcase_add_test(tc, test_bootstrap_exact);
    tcase_add_test(tc, test_bootstrap_noiseless);
    tcase_add_test(tc, test_lin_single_configuration);
    tcase_add_test(tc, test_lin_model_data);
    tcase_add_test(tc, test_xy_locate_synthetic);
    suite_add_tcase(s, tc);
    TCase *tcli = tcase_create("cli");
    tcase_set_timeout(tcli, 300);
    tcase_add_test(tcli, test_cli_sweep_resume);
    tcase_add_test(tcli, test_cli_spin_sweep);
    tcase_add_test(tcli, test_cli_gauss_ll);
    tcase_add_test(tcli, test_cli_beta_scan);
    tcase_add_test(tcli, test_cli_bad_input);
    tcase_add_test(tcli, test_cli_xy_trained);
    tcase_add_test(tcli, test_cli_xy_epochs);
    suite_add_tcase(s, tcli);
    return s;
}
