/* Suite diffusion: compare/diffusion's analysis against exact answers
 * (unwrapping across the seam, MSD and fit of exact lines, synthetic
 * gaussian walks of known D with the bootstrap's coverage, circular
 * variance and KS distance of point masses and evenly spaced points, the
 * formation time) and `symrbm diffusion` end to end (files, X against the
 * trajectories' centres, resumability, changed parameters, bad input). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "compare/diffusion.h"
#include "core/err.h"
#include "core/obs.h"
#include "core/traj.h"
#include "tests/suites.h"
#include "tests/tutil.h"

/* ---- unwrapping ---- */

START_TEST(test_unwrap_seam)
{
    /* a true walk on N = 10 crossing the seam both ways, steps < N/2: the
     * unwrapped centres reproduce it exactly from its centres X mod N */
    const size_t N = 10;
    const double X[] = {8.5, 9.7,  10.9, 12.3, 16.1, 12.1,  9.1,
                        5.0, 1.0, -1.2, -4.9, 0.05, -0.05, 4.4};
    size_t n = sizeof X / sizeof X[0];
    double prev = X[0];
    for (size_t k = 1; k < n; k++) {
        double c = fmod(X[k], (double)N);
        c += c < 0 ? (double)N : 0;
        double got = obs_unwrap(prev, c, N);
        ck_assert_msg(fabs(got - X[k]) < 1e-12, "step %zu: %.17g want %.17g", k, got, X[k]);
        prev = got;
    }
    /* a step of 0.6 N is taken as -0.4 N: the reason snapshots must be dense */
    ck_assert_double_eq_tol(obs_unwrap(3.0, 9.0, 10), -1.0, 1e-12);
    /* a step of exactly N/2 either way stays at N/2 in size, on the lap */
    double t1 = obs_unwrap(7.0, 2.0, 10), t2 = obs_unwrap(2.0, 7.0, 10);
    ck_assert_double_eq_tol(fabs(t1 - 7.0), 5.0, 1e-12);
    ck_assert_double_eq_tol(fabs(t2 - 2.0), 5.0, 1e-12);
    ck_assert_double_eq_tol(fmod(t1 + 100, 10), 2.0, 1e-12);
    ck_assert_double_eq_tol(fmod(t2 + 100, 10), 7.0, 1e-12);
    /* far from the first lap */
    ck_assert_double_eq_tol(obs_unwrap(-1003.5, 6.0, 10), -1004.0, 1e-9);
    /* a NAN centre has no X; a NAN previous X restarts at the centre */
    ck_assert(isnan(obs_unwrap(3.0, NAN, 10)));
    ck_assert_double_eq(obs_unwrap(NAN, 6.5, 10), 6.5);
}
END_TEST

/* ---- MSD and fit ---- */

START_TEST(test_msd_fit_exact)
{
    char err[SYM_ERRLEN];
    /* a ballistic walk X = x0 + v k: MSD(j) = v^2 j^2 exactly */
    double X[50], msd[20], tau[20];
    for (size_t k = 0; k < 50; k++)
        X[k] = 3.25 - 0.75 * (double)k;
    diffusion_walk_msd(X, 50, 20, msd);
    for (size_t j = 1; j <= 20; j++)
        ck_assert_double_eq_tol(msd[j - 1], 0.5625 * (double)(j * j), 1e-9);
    /* a line a + 2 D tau is fitted exactly */
    for (size_t j = 0; j < 20; j++) {
        tau[j] = 0.5 * (double)(j + 1);
        msd[j] = -1.5 + 2 * 0.37 * tau[j];
    }
    double D, a;
    ck_assert_int_eq(diffusion_fit(tau, msd, 20, &D, &a, err), SYM_OK);
    ck_assert_double_eq_tol(D, 0.37, 1e-12);
    ck_assert_double_eq_tol(a, -1.5, 1e-12);
    ck_assert_int_eq(diffusion_fit(tau, msd, 1, &D, &a, err), SYM_EINVAL);
    tau[1] = tau[0];
    ck_assert_int_eq(diffusion_fit(tau, msd, 2, &D, &a, err), SYM_EINVAL);
}
END_TEST

/* nw gaussian walks of n points, steps of variance 2 D dt: the
 * time-averaged MSD has expectation exactly 2 D tau at every lag */
static void walks(gsl_rng *r, size_t nw, size_t n, double D, double dt, size_t nlag, double *rows)
{
    double *X = malloc(n * sizeof *X);
    for (size_t w = 0; w < nw; w++) {
        X[0] = gsl_rng_uniform(r) * 100;
        for (size_t k = 1; k < n; k++)
            X[k] = X[k - 1] + gsl_ran_gaussian(r, sqrt(2 * D * dt));
        diffusion_walk_msd(X, n, nlag, rows + w * nlag);
    }
    free(X);
}

START_TEST(test_random_walk_D)
{
    char err[SYM_ERRLEN];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 12345);
    const size_t nw = 200, n = 800, nlag = 399, nfit = 199;
    const double D = 0.8, dt = 0.25;
    double *rows = malloc(nw * nlag * sizeof *rows), tau[399], mean[399] = {0}, lo[399], hi[399];
    double Dw[200], a;
    walks(r, nw, n, D, dt, nlag, rows);
    for (size_t j = 0; j < nlag; j++)
        tau[j] = (double)(j + 1) * dt;
    for (size_t w = 0; w < nw; w++) {
        for (size_t j = 0; j < nlag; j++)
            mean[j] += rows[w * nlag + j] / (double)nw;
        ck_assert_int_eq(diffusion_fit(tau, rows + w * nlag, nfit, &Dw[w], &a, err), SYM_OK);
    }
    /* the fit of the mean curve is the mean of the per-walk fits (linear);
     * it is unbiased, so within 4 standard errors of the true D */
    double Dhat, sd = 0, m = 0;
    ck_assert_int_eq(diffusion_fit(tau, mean, nfit, &Dhat, &a, err), SYM_OK);
    for (size_t w = 0; w < nw; w++)
        m += Dw[w] / (double)nw;
    for (size_t w = 0; w < nw; w++)
        sd += (Dw[w] - m) * (Dw[w] - m) / (double)(nw - 1);
    double se = sqrt(sd / (double)nw);
    ck_assert_double_eq_tol(Dhat, m, 1e-12);
    ck_assert_msg(fabs(Dhat - D) < 4 * se, "D %g want %g (se %g)", Dhat, D, se);
    ck_assert_msg(se < 0.05 * D, "se %g: too few walks to test anything", se);
    /* the bootstrap interval has the width of +-1.96 standard errors */
    double D_lo, D_hi;
    ck_assert_int_eq(diffusion_boot(rows, nw, nlag, tau, nfit, 2000, r, lo, hi, &D_lo, &D_hi,
                                    err), SYM_OK);
    ck_assert_msg(D_lo < Dhat && Dhat < D_hi, "[%g, %g] around %g", D_lo, D_hi, Dhat);
    ck_assert_msg(fabs((D_hi - D_lo) / (2 * 1.96 * se) - 1) < 0.15, "width %g, 2x1.96 se %g",
                  D_hi - D_lo, 2 * 1.96 * se);
    for (size_t j = 0; j < nlag; j += 37)
        ck_assert_msg(lo[j] < mean[j] && mean[j] < hi[j], "lag %zu: band", j);
    /* one walk cannot be bootstrapped */
    ck_assert_int_eq(diffusion_boot(rows, 1, nlag, tau, nfit, 10, r, lo, hi, &D_lo, &D_hi, err),
                     SYM_EINVAL);
    free(rows);
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_bootstrap_coverage)
{
    /* 60 independent experiments of 16 walks: the 95% interval holds the
     * true D in about 57 of them (a percentile bootstrap over few walks
     * under-covers a little; 48 is 3.7 binomial sd below 57) */
    char err[SYM_ERRLEN];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 777);
    const size_t nw = 16, n = 400, nlag = 199, nfit = 99, nexp = 60;
    const double D = 2.0, dt = 1;
    double *rows = malloc(nw * nlag * sizeof *rows), tau[199], lo[199], hi[199];
    for (size_t j = 0; j < nlag; j++)
        tau[j] = (double)(j + 1) * dt;
    size_t cover = 0;
    for (size_t e = 0; e < nexp; e++) {
        walks(r, nw, n, D, dt, nlag, rows);
        double D_lo, D_hi;
        ck_assert_int_eq(diffusion_boot(rows, nw, nlag, tau, nfit, 500, r, lo, hi, &D_lo, &D_hi,
                                        err), SYM_OK);
        cover += D_lo <= D && D <= D_hi;
    }
    ck_assert_msg(cover >= 48 && cover <= 60, "coverage %zu / %zu", cover, nexp);
    free(rows);
    gsl_rng_free(r);
}
END_TEST

/* ---- restoration statistics ---- */

START_TEST(test_circvar_ks)
{
    const double N = 100;
    double x[1000];
    /* a point mass: circular variance 0, KS distance 1/2 at N/2 ... */
    for (size_t k = 0; k < 1000; k++)
        x[k] = 50 + 100 * (double)(k % 3);   /* the same point on three laps */
    ck_assert_double_eq_tol(diffusion_circvar(x, 1000, N), 0, 1e-12);
    ck_assert_double_eq_tol(diffusion_ks_uniform(x, 1000, N), 0.5, 1e-12);
    /* ... and 1 - 1/n at 0 (the empirical cdf jumps to 1 at once) */
    for (size_t k = 0; k < 1000; k++)
        x[k] = -300;
    ck_assert_double_eq_tol(diffusion_ks_uniform(x, 1000, N), 1, 1e-12);
    /* n evenly spaced points at the midpoints: circular variance 1, KS 1/(2n) */
    for (size_t k = 0; k < 1000; k++)
        x[k] = N * ((double)((k * 7) % 1000) + 0.5) / 1000 - 2 * N;
    ck_assert_double_eq_tol(diffusion_circvar(x, 1000, N), 1, 1e-12);
    ck_assert_double_eq_tol(diffusion_ks_uniform(x, 1000, N), 0.5 / 1000, 1e-12);
    /* equal masses at 0 and N/4: |mean| = |1 + i| / 2 */
    for (size_t k = 0; k < 1000; k++)
        x[k] = k % 2 ? 25 : 0;
    ck_assert_double_eq_tol(diffusion_circvar(x, 1000, N), 1 - sqrt(0.5), 1e-12);
    /* KS: cdf 1/2 on [0, 1/4), distance max(1/2 - 0, 1 - 1/4) = 3/4 */
    ck_assert_double_eq_tol(diffusion_ks_uniform(x, 1000, N), 0.75, 1e-12);
    ck_assert(isnan(diffusion_circvar(x, 0, N)));
}
END_TEST

START_TEST(test_t_form)
{
    double t[100], S[100];
    for (size_t k = 0; k < 100; k++) {
        t[k] = 2.0 * (double)k;
        S[k] = 0.8 * (1 - exp(-t[k] / 10));
    }
    /* plateau: the mean over the last 25 snapshots */
    double p = 0;
    for (size_t k = 75; k < 100; k++)
        p += S[k] / 25;
    double want = NAN;
    for (size_t k = 0; k < 100 && isnan(want); k++)
        if (S[k] >= 0.9 * p)
            want = t[k];
    double got = diffusion_t_form(t, S, 100, 0.9);
    ck_assert_double_eq(got, want);
    /* the continuous crossing 10 ln(1/(1 - 0.9 p/0.8)) lies within one step */
    ck_assert(want - 10 * log(1 / (1 - 0.9 * p / 0.8)) < 2.0 + 1e-12);
    for (size_t k = 0; k < 100; k++)
        S[k] = 0.05;
    ck_assert(isnan(diffusion_t_form(t, S, 100, 0.9)));
    ck_assert(isnan(diffusion_t_form(t, S, 0, 0.9)));
}
END_TEST

/* ---- symrbm diffusion end to end ---- */

static char *mkscratch(void)
{
    char tmpl[] = "/tmp/symrbm_diff_XXXXXX";
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

/* two seeds of a short online run at N = 40 (about a second each) */
#define RUN_ARGS(LR)                                                                         \
    "diffusion", "--N", "40", "--beta", "1", "--T", "100", "--lr", LR, "--batch", "10",      \
        "--seeds", "2", "--boot", "50", "--jobs", "2", "--B", "2000"

/* sim's loglik switch (sim_config.loglik_final): in a seed's trajectory
 * loglik and kl are nan in every row but the final snapshot's, where they
 * are finite (exact for M = 1) and equal the seed's summary.tsv loglik */
static void check_loglik_final(const char *dir, size_t s)
{
    char p[8500], err[SYM_ERRLEN];
    traj_table tr;
    snprintf(p, sizeof p, "%s/tasks/seed_%zu/trajectory.tsv", dir, s);
    ck_assert_msg(traj_read(p, &tr, err) == SYM_OK, "%s", err);
    int cl = traj_table_col(&tr, "loglik"), ck = traj_table_col(&tr, "kl");
    ck_assert(cl >= 0 && ck >= 0 && tr.nrow > 2);
    for (size_t k = 0; k < tr.nrow; k++) {
        double ll = tr.x[k * tr.ncol + (size_t)cl], kl = tr.x[k * tr.ncol + (size_t)ck];
        if (k + 1 < tr.nrow)
            ck_assert_msg(isnan(ll) && isnan(kl), "row %zu: loglik %g", k, ll);
        else
            ck_assert_msg(isfinite(ll) && ll < 0 && isfinite(kl) && kl >= 0, "final %g %g", ll, kl);
    }
    double last = tr.x[(tr.nrow - 1) * tr.ncol + (size_t)cl];
    traj_table_free(&tr);
    snprintf(p, sizeof p, "%s/tasks/seed_%zu/summary.tsv", dir, s);
    ck_assert_double_eq(summary_get(p, "loglik"), last);
}

START_TEST(test_cli_run_resume)
{
    char *dir = mkscratch(), errbuf[2048], p[4200], err[SYM_ERRLEN];
    char *argv[] = {NULL, RUN_ARGS("0.05"), "--out", dir, NULL};
    int rc = tutil_run(argv, errbuf, sizeof errbuf);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, errbuf);
    snprintf(p, sizeof p, "%s/summary.tsv", dir);
    ck_assert_double_eq(summary_get(p, "tasks_run"), 2);
    ck_assert_double_eq(summary_get(p, "seeds_formed"), 2);
    double D = summary_get(p, "D"), lo = summary_get(p, "D_lo"), hi = summary_get(p, "D_hi");
    ck_assert_msg(D > 0 && lo <= D && D <= hi, "D %g [%g, %g]", D, lo, hi);
    /* the prediction (theory/restore.h) for binary M = 1: present, finite,
     * no chain term with the exact model term, per epoch x lr B / batch */
    double Dp = summary_get(p, "D_pred");
    ck_assert_msg(isfinite(Dp) && Dp > 0, "D_pred %g", Dp);
    ck_assert(isnan(summary_get(p, "D_pcd")));
    ck_assert_double_eq(summary_get(p, "D_total"), Dp);
    ck_assert_double_eq_tol(summary_get(p, "D_pred_epoch"), Dp * 0.05 * 200, 1e-12 * Dp * 10);
    ck_assert(isfinite(summary_get(p, "eSe")) && summary_get(p, "dwdX2") > 0);
    /* per epoch: x lr B / batch with B = 2000 */
    ck_assert_double_eq_tol(summary_get(p, "D_epoch"), D * 0.05 * 200, 1e-9 * D * 10);
    check_loglik_final(dir, 0);
    check_loglik_final(dir, 1);
    double cv = summary_get(p, "circvar"), ks = summary_get(p, "ks_uniform");
    ck_assert(cv >= 0 && cv <= 1 && ks > 0 && ks <= 1);
    ck_assert(!tutil_has_temp(dir));

    /* centres.tsv: X mod N is each seed's trajectory centre, t and R agree */
    traj_table c, tr;
    snprintf(p, sizeof p, "%s/centres.tsv", dir);
    ck_assert_msg(traj_read(p, &c, err) == SYM_OK, "%s", err);
    ck_assert_str_eq(traj_header_get(&c.header, "command"), "diffusion");
    int cs = traj_table_col(&c, "seed"), cx = traj_table_col(&c, "X"), cr = traj_table_col(&c, "R");
    ck_assert(cs >= 0 && cx >= 0 && cr >= 0 && traj_table_col(&c, "mu") >= 0);
    size_t off = 0;
    for (size_t s = 0; s < 2; s++) {
        snprintf(p, sizeof p, "%s/tasks/seed_%zu/trajectory.tsv", dir, s);
        ck_assert_msg(traj_read(p, &tr, err) == SYM_OK, "%s", err);
        int tc = traj_table_col(&tr, "center"), tR = traj_table_col(&tr, "R");
        double maxstep = 0;
        for (size_t k = 0; k < tr.nrow; k++) {
            const double *row = c.x + (off + k) * c.ncol;
            ck_assert_double_eq(row[cs], (double)s);
            ck_assert_double_eq(row[0], tr.x[k * tr.ncol]);
            ck_assert_double_eq(row[cr], tr.x[k * tr.ncol + (size_t)tR]);
            double m = fmod(row[cx], 40);
            m += m < 0 ? 40 : 0;
            double d = fabs(m - tr.x[k * tr.ncol + (size_t)tc]);
            ck_assert_msg(fmin(d, 40 - d) < 1e-9, "seed %zu row %zu: X %g centre %g", s, k,
                          row[cx], tr.x[k * tr.ncol + (size_t)tc]);
            if (k)
                maxstep = fmax(maxstep, fabs(row[cx] - c.x[(off + k - 1) * c.ncol + cx]));
        }
        ck_assert(maxstep <= 20 + 1e-9);   /* the unwrapping never steps beyond N/2 */
        off += tr.nrow;
        traj_table_free(&tr);
    }
    ck_assert_uint_eq(c.nrow, off);
    traj_table_free(&c);
    /* msd.tsv: columns and positive counts */
    traj_table m;
    snprintf(p, sizeof p, "%s/msd.tsv", dir);
    ck_assert_msg(traj_read(p, &m, err) == SYM_OK, "%s", err);
    ck_assert(m.nrow > 10 && traj_table_col(&m, "msd_hi") == 3 && traj_table_col(&m, "n") == 4);
    traj_table_free(&m);

    /* a rerun loads every seed and writes the same D */
    snprintf(p, sizeof p, "%s/tasks/seed_1/result.tsv", dir);
    char *before = tutil_slurp(p, NULL);
    rc = tutil_run(argv, errbuf, sizeof errbuf);
    ck_assert_msg(rc == 0, "rerun exit %d: %s", rc, errbuf);
    char *after = tutil_slurp(p, NULL);
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
    snprintf(p, sizeof p, "%s/summary.tsv", dir);
    ck_assert_double_eq(summary_get(p, "tasks_run"), 0);
    ck_assert_double_eq(summary_get(p, "D"), D);
    /* --fit-frac is analysis only: the stored seeds serve, the fit range
     * halves with it (msd.tsv lags are dt apart) */
    double tmax = summary_get(p, "tau_fit_max"), dt = summary_get(p, "dt");
    char *argvf[] = {NULL, RUN_ARGS("0.05"), "--fit-frac", "0.125", "--out", dir, NULL};
    rc = tutil_run(argvf, errbuf, sizeof errbuf);
    ck_assert_msg(rc == 0, "fit-frac exit %d: %s", rc, errbuf);
    ck_assert_double_eq(summary_get(p, "tasks_run"), 0);
    double tmax2 = summary_get(p, "tau_fit_max");
    ck_assert_msg(fabs(tmax2 - tmax / 2) <= dt + 1e-9, "tau_fit_max %g, before %g", tmax2, tmax);
    ck_assert_double_eq(summary_get(p, "fit_frac"), 0.125);
    /* another learning rate is refused, naming the parameter */
    char *argv2[] = {NULL, RUN_ARGS("0.04"), "--out", dir, NULL};
    ck_assert_int_eq(tutil_run(argv2, errbuf, sizeof errbuf), 2);
    ck_assert_msg(strstr(errbuf, "parameter mismatch") && strstr(errbuf, "lr"), "%s", errbuf);
    ck_assert_uint_eq(tutil_lines(errbuf), 1);
    rm_rf(dir);
    free(dir);
}
END_TEST

START_TEST(test_cli_bad_input)
{
    char *dir = mkscratch(), errbuf[2048];
    static const char *const bad[][4] = {
        {"--seeds", "0", NULL, NULL},       {"--task", "seed_99", NULL, NULL},
        {"--sampling", "x", NULL, NULL},    {"--batch", "0", NULL, NULL},
        {"--N", "2", NULL, NULL},           {"--lr", "-1", NULL, NULL},
        {"--form-frac", "0", NULL, NULL},   {"--frobnicate", "1", NULL, NULL},
        {"--epochs", "2", NULL, NULL},      {"--M", "17", NULL, NULL},
        {"--jobs", "0", NULL, NULL},        {"--beta", "-1", NULL, NULL},
        {"--list-tasks", "--task", "seed_0", NULL}, {"--fit-frac", "0.6", NULL, NULL},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char *argv[16] = {NULL, "diffusion", "--N", "20", "--T", "10", "--out", dir};
        size_t n = 8;
        for (size_t a = 0; a < 4 && bad[k][a]; a++)
            argv[n++] = (char *)bad[k][a];
        argv[n] = NULL;
        int rc = tutil_run(argv, errbuf, sizeof errbuf);
        ck_assert_msg(rc == 2, "case %zu (%s): exit %d", k, bad[k][0], rc);
        ck_assert_msg(tutil_lines(errbuf) == 1, "case %zu: stderr '%s'", k, errbuf);
    }
    char *argv[] = {NULL, "diffusion", "--N", "20", NULL};
    ck_assert_int_eq(tutil_run(argv, errbuf, sizeof errbuf), 2);
    ck_assert_msg(strstr(errbuf, "--out"), "stderr: %s", errbuf);
    char *argvh[] = {NULL, "diffusion", "--help", NULL};
    ck_assert_int_eq(tutil_run(argvh, errbuf, sizeof errbuf), 0);
    char p[4200];
    snprintf(p, sizeof p, "%s/summary.tsv", dir);
    ck_assert(access(p, F_OK) != 0);
    rm_rf(dir);
    free(dir);
}
END_TEST

/* sim's own noise sources end to end: epoch and replace (online is
 * test_cli_run_resume's) run, form, diffuse and say which they used; the
 * two share w(0) (seeded the same) but not the walk (other noise). */
START_TEST(test_cli_sampling_modes)
{
    char *dir = mkscratch(), errbuf[2048], p[8500], err[SYM_ERRLEN];
    static const char *const modes[] = {"epoch", "replace"};
    double x1[2];
    for (size_t k = 0; k < 2; k++) {
        char sub[4200];
        snprintf(sub, sizeof sub, "%s/%s", dir, modes[k]);
        char *argv[] = {NULL, RUN_ARGS("0.05"), "--sampling", (char *)modes[k], "--out", sub,
                        NULL};
        int rc = tutil_run(argv, errbuf, sizeof errbuf);
        ck_assert_msg(rc == 0, "%s: exit %d: %s", modes[k], rc, errbuf);
        snprintf(p, sizeof p, "%s/summary.tsv", sub);
        ck_assert_double_eq(summary_get(p, "seeds_formed"), 2);
        double D = summary_get(p, "D");
        ck_assert_msg(isfinite(D) && D > 0, "%s: D %g", modes[k], D);
        ck_assert(isfinite(summary_get(p, "D_pred")));
        traj_table tr;
        snprintf(p, sizeof p, "%s/tasks/seed_0/trajectory.tsv", sub);
        ck_assert_msg(traj_read(p, &tr, err) == SYM_OK, "%s", err);
        ck_assert_str_eq(traj_header_get(&tr.header, "sampling"), modes[k]);
        int cc = traj_table_col(&tr, "center");
        x1[k] = tr.x[(tr.nrow - 1) * tr.ncol + (size_t)cc];
        traj_table_free(&tr);
        snprintf(p, sizeof p, "%s/centres.tsv", sub);
        ck_assert_msg(traj_read(p, &tr, err) == SYM_OK, "%s", err);
        ck_assert_str_eq(traj_header_get(&tr.header, "sampling"), modes[k]);
        traj_table_free(&tr);
        check_loglik_final(sub, 0);
    }
    ck_assert_msg(x1[0] != x1[1], "epoch and replace end at the same centre %g", x1[0]);
    rm_rf(dir);
    free(dir);
}
END_TEST

/* The batch-scheduler interface: --list-tasks names the seeds; --task
 * runs one seed each, a plain run then only collects, and its summary is
 * the local run's (all but the wall time and the tasks run here). */
START_TEST(test_cli_task_select)
{
    char *dir = mkscratch(), errbuf[2048], a[4200], b[4200];
    snprintf(a, sizeof a, "%s/local", dir);
    snprintf(b, sizeof b, "%s/tasks", dir);
    char *argv[] = {NULL, RUN_ARGS("0.05"), "--out", a, NULL};
    ck_assert_int_eq(tutil_run(argv, errbuf, sizeof errbuf), 0);
    /* --list-tasks: stdout, nothing created */
    char cmd[8800];
    snprintf(cmd, sizeof cmd, "'%s' diffusion --N 40 --seeds 3 --list-tasks --out '%s/none'",
             getenv("SYMRBM_BIN"), dir);
    FILE *fp = popen(cmd, "r");
    ck_assert(fp != NULL);
    char out[256] = "";
    size_t n = fread(out, 1, sizeof out - 1, fp);
    out[n] = 0;
    ck_assert_int_eq(pclose(fp), 0);
    ck_assert_str_eq(out, "seed_0\nseed_1\nseed_2\n");
    snprintf(cmd, sizeof cmd, "%s/none", dir);
    ck_assert(access(cmd, F_OK) != 0);
    static const char *const ids[] = {"seed_1", "seed_0"};
    for (size_t k = 0; k < 2; k++) {
        char *argt[] = {NULL, RUN_ARGS("0.05"), "--task", (char *)ids[k], "--out", b, NULL};
        int rc = tutil_run(argt, errbuf, sizeof errbuf);
        ck_assert_msg(rc == 0, "--task %s: exit %d: %s", ids[k], rc, errbuf);
        snprintf(cmd, sizeof cmd, "%s/summary.tsv", b);
        ck_assert_msg(access(cmd, F_OK) != 0, "--task wrote the summary");
    }
    char *argc2[] = {NULL, RUN_ARGS("0.05"), "--out", b, NULL};
    ck_assert_int_eq(tutil_run(argc2, errbuf, sizeof errbuf), 0);
    char pa[4300], pb[4300], e1[SYM_ERRLEN];   /* a, b: 4200 */
    snprintf(pa, sizeof pa, "%s/summary.tsv", a);
    snprintf(pb, sizeof pb, "%s/summary.tsv", b);
    ck_assert_double_eq(summary_get(pb, "tasks_run"), 0);
    traj_header ka, kb;
    ck_assert_msg(traj_read_summary(pa, &ka, e1) == SYM_OK, "%s", e1);
    ck_assert_msg(traj_read_summary(pb, &kb, e1) == SYM_OK, "%s", e1);
    ck_assert_uint_eq(ka.n, kb.n);
    size_t compared = 0;
    for (size_t k = 0; k < ka.n; k++) {
        /* the run's identity (argv, out, run id) and how it ran */
        static const char *const skip[] = {"wall_s", "tasks_run", "argv", "out", "run"};
        int sk = 0;
        for (size_t j = 0; j < sizeof skip / sizeof skip[0]; j++)
            sk |= !strcmp(ka.key[k], skip[j]);
        if (sk)
            continue;
        const char *vb = traj_header_get(&kb, ka.key[k]);
        ck_assert_msg(vb && !strcmp(vb, ka.val[k]), "%s: %s vs %s", ka.key[k], ka.val[k],
                      vb ? vb : "(none)");
        compared++;
    }
    ck_assert_uint_ge(compared, 20);
    traj_header_free(&ka);
    traj_header_free(&kb);
    rm_rf(dir);
    free(dir);
}
END_TEST

/* M = 2: restore has no prediction; D_pred is nan and the header says why */
START_TEST(test_cli_pred_m2)
{
    char *dir = mkscratch(), errbuf[2048], p[4200], err[SYM_ERRLEN];
    char *argv[] = {NULL, "diffusion", "--N", "40", "--T", "40", "--lr", "0.05", "--batch", "10",
                    "--seeds", "2", "--boot", "20", "--jobs", "2", "--B", "500", "--M", "2",
                    "--out", dir, NULL};
    int rc = tutil_run(argv, errbuf, sizeof errbuf);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, errbuf);
    snprintf(p, sizeof p, "%s/summary.tsv", dir);
    ck_assert(isnan(summary_get(p, "D_pred")) && isnan(summary_get(p, "D_total")));
    traj_table tb;
    snprintf(p, sizeof p, "%s/msd.tsv", dir);
    ck_assert_msg(traj_read(p, &tb, err) == SYM_OK, "%s", err);
    const char *note = traj_header_get(&tb.header, "D_pred_note");
    ck_assert_msg(note && strstr(note, "M >= 2"), "note %s", note ? note : "(none)");
    traj_table_free(&tb);
    rm_rf(dir);
    free(dir);
}
END_TEST

Suite *diffusion_suite(void)
{
    Suite *s = suite_create("diffusion");
    TCase *tc = tcase_create("core");
    /* about 1 s of CPU; room for a loaded machine when run without make */
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_unwrap_seam);
    tcase_add_test(tc, test_msd_fit_exact);
    tcase_add_test(tc, test_random_walk_D);
    tcase_add_test(tc, test_bootstrap_coverage);
    tcase_add_test(tc, test_circvar_ks);
    tcase_add_test(tc, test_t_form);
    suite_add_tcase(s, tc);
    TCase *tcli = tcase_create("cli");
    tcase_set_timeout(tcli, 300);
    tcase_add_test(tcli, test_cli_run_resume);
    tcase_add_test(tcli, test_cli_bad_input);
    tcase_add_test(tcli, test_cli_sampling_modes);
    tcase_add_test(tcli, test_cli_task_select);
    tcase_add_test(tcli, test_cli_pred_m2);
    suite_add_tcase(s, tcli);
    return s;
}
