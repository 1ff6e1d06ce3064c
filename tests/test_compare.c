/* Suite compare: symrbm compare (compare/cmp.h, cli/cmd_compare.c) on
 * synthetic theory/sim directories whose relationship is known exactly:
 * the theory profile is linear in t, u(t) = u0 + t u1 (so interpolating it
 * linearly in t is exact), and a simulation is a cyclically shifted,
 * sign-flipped (optionally noisy) copy of the theory taken at t + delta,
 * sampled at the theory's times minus delta.  Then
 *   - Q(t') is the brute-force max over shifts/sign of the overlap of the
 *     sim profile with u(t') (computed here directly, O(N^2));
 *   - S_sim(t'_j) = S_theory(t_j) exactly (noise-free), so
 *     t_sb_sim = t_sb_theory - delta exactly;
 *   - dR(t') = R_sim(t') - (theory R interpolated linearly at t').
 * Plus: mismatched N / data model / beta, missing and truncated files exit 2
 * with a message; seeds give _mean/_sd; the figure (when gnuplot exists).
 * Several units (SPEC.md 4): the assignment against brute force over all
 * permutations; the matching recovers a planted permutation, shifts and
 * signs of bumps of distinct widths, and, for equal bumps (a tie in Q), the
 * planted permutation by position; the centre separations of bumps at known
 * centres; and an end-to-end theory/sim/compare run with M = 3 binary
 * units, checked against Q and centres computed here from weights.tsv. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>

#include "compare/cmp.h"
#include "core/err.h"
#include "core/models.h"
#include "core/obs.h"
#include "core/rng.h"
#include "core/traj.h"
#include "tests/suites.h"
#include "tests/tutil.h"

/* Every expected value below is computed from the same doubles the files
 * hold (%.17g round trip), by sums of N = 24 terms: agreement to ~1e-13. */
#define TOL 1e-11

enum { NN = 24, NT = 41, SHIFT = 7 };
static const double DELTA = 0.05;

static double theory_t(int j)
{
    return j == 0 ? 0.0 : pow(10.0, -2.0 + 3.0 * (j - 1) / (NT - 2));
}

/* u(t) = u0 + t u1: u0 uniform, u1 a bump at site 5 */
static void theory_u(double t, size_t N, double *u)
{
    for (size_t i = 0; i < N; i++) {
        double d = fabs((double)i - 5.0);
        d = fmin(d, (double)N - d);
        u[i] = 0.1 + t * exp(-d * d / 8.0);
    }
}

/* sim profile at t': -u_{i+SHIFT}(t' + delta) + sigma z_i */
static void sim_w(double tp, size_t N, double sigma, gsl_rng *r, double *w)
{
    double u[64];
    theory_u(tp + DELTA, N, u);
    for (size_t i = 0; i < N; i++)
        w[i] = -u[(i + SHIFT) % N] + (sigma > 0 ? sigma * gsl_ran_gaussian(r, 1.0) : 0.0);
}

/* R = |sum w_i^2 e^{2 pi i i/N}| / sum w_i^2, directly */
static double direct_R(const double *w, size_t N)
{
    double re = 0, im = 0, s = 0;
    for (size_t i = 0; i < N; i++) {
        double th = 2 * M_PI * (double)i / (double)N;
        re += w[i] * w[i] * cos(th);
        im += w[i] * w[i] * sin(th);
        s += w[i] * w[i];
    }
    return hypot(re, im) / s;
}

/* max over s and sign of |sum_i w_i u_{i+s}| / (|w| |u|), brute force */
/* sum_i w_i u(i + s), u(x) the band-limited interpolant of u by a direct
 * DFT (Nyquist mode as cos(pi x): SPEC.md 4's continuous shift) */
static double corr_direct(const double *w, const double *u, size_t N, double s)
{
    double c = 0;
    for (size_t k = 0; 2 * k <= N; k++) {
        double re = 0, im = 0, f = (k == 0 || 2 * k == N) ? 1.0 : 2.0;
        for (size_t j = 0; j < N; j++) {
            re += u[j] * cos(2 * M_PI * (double)(k * j % N) / (double)N);
            im -= u[j] * sin(2 * M_PI * (double)(k * j % N) / (double)N);
        }
        for (size_t i = 0; i < N; i++) {
            double a = 2 * M_PI * (double)k * ((double)i + s) / (double)N;
            c += w[i] * f * (2 * k == N ? re * cos(M_PI * ((double)i + s))
                                        : re * cos(a) - im * sin(a)) / (double)N;
        }
    }
    return c;
}

static double direct_Q(const double *w, const double *u, size_t N, size_t *best_s, int *best_sign)
{
    double nw = 0, nu = 0, best = -1;
    for (size_t i = 0; i < N; i++) {
        nw += w[i] * w[i];
        nu += u[i] * u[i];
    }
    for (size_t s = 0; s < N; s++) {
        double c = 0;
        for (size_t i = 0; i < N; i++)
            c += w[i] * u[(i + s) % N];
        if (fabs(c) > best) {
            best = fabs(c);
            *best_s = s;
            *best_sign = c < 0 ? -1 : 1;
        }
    }
    /* the continuous shift: golden section within one site of the best
     * lattice one, on the directly computed interpolant */
    double a = (double)*best_s - 1, b = (double)*best_s + 1, g = (sqrt(5.0) - 1) / 2;
    for (int it = 0; it < 60; it++) {
        double x1 = b - g * (b - a), x2 = a + g * (b - a);
        if (*best_sign * corr_direct(w, u, N, x1) > *best_sign * corr_direct(w, u, N, x2))
            b = x2;
        else
            a = x1;
    }
    double c = fabs(corr_direct(w, u, N, (a + b) / 2));
    best = c > best ? c : best;
    return best / sqrt(nw * nu);
}

typedef struct {
    const char *data;
    size_t N;
    double beta;
    int sim;            /* 0: theory profile; 1: sim profile */
    double sigma;
    uint64_t seed;
    int weights_final;  /* weights.tsv rows at the first and last snapshot only */
} run_spec;

/* Write dir/{trajectory,weights,summary}.tsv; times: theory_t(j) for a
 * theory, theory_t(j) - delta (j >= first) for a sim. */
static void make_run(const char *dir, const run_spec *rs, size_t *nsnap, double *ts, double *Rs, double *W)
{
    char err[SYM_ERRLEN];
    traj_header h;
    traj_header_init(&h);
    traj_header_set(&h, "program", "symrbm");
    traj_header_set(&h, "command", rs->sim ? "sim" : "theory");
    traj_header_set(&h, "seed", "%llu", (unsigned long long)rs->seed);
    traj_header_set(&h, "data", "%s", rs->data);
    traj_header_set(&h, "N", "%zu", rs->N);
    if (!strcmp(rs->data, "ising")) {
        traj_header_set(&h, "beta", "%.17g", rs->beta);
    } else {
        traj_header_set(&h, "rho", "0.5");
        traj_header_set(&h, "eps", "0.1");
    }
    ck_assert_int_eq(traj_mkdir(dir, err), SYM_OK);
    traj_file ft, fw, fs;
    ck_assert_msg(traj_open(&ft, dir, "trajectory.tsv", &h, err) == SYM_OK, "%s", err);
    ck_assert_msg(traj_open(&fw, dir, "weights.tsv", &h, err) == SYM_OK, "%s", err);
    traj_obs_columns(ft.fp);
    traj_weights_columns(fw.fp, rs->N);
    obs_ws *ows = obs_alloc(rs->N);
    gsl_rng *r = rng_alloc(rs->seed, RNG_STREAM_AUX);
    double w[64];
    size_t n = 0;
    /* the first sim time with t - delta > 0 */
    for (int j = 0; j < NT; j++) {
        double t = theory_t(j);
        if (rs->sim) {
            if (t - DELTA <= 0)
                continue;
            t -= DELTA;
            sim_w(t, rs->N, rs->sigma, r, w);
        } else {
            theory_u(t, rs->N, w);
        }
        obs_values ov;
        obs_compute(ows, strcmp(rs->data, "ising") ? &ring_bump : &ring_ising, w, &ov);
        traj_obs_row(ft.fp, t, 0, NAN, NAN, &ov);
        if (!rs->weights_final || j == 0 || j == NT - 1)
            traj_weights_row(fw.fp, t, 0, w, rs->N);
        if (ts)
            ts[n] = t;
        if (Rs)
            Rs[n] = direct_R(w, rs->N);
        if (W)
            memcpy(W + n * rs->N, w, rs->N * sizeof *w);
        n++;
    }
    if (nsnap)
        *nsnap = n;
    ck_assert_int_eq(traj_close(&ft, err), SYM_OK);
    ck_assert_int_eq(traj_close(&fw, err), SYM_OK);
    ck_assert_int_eq(traj_open(&fs, dir, "summary.tsv", &h, err), SYM_OK);
    traj_summary_num(fs.fp, "t_sb", NAN);
    ck_assert_int_eq(traj_close(&fs, err), SYM_OK);
    gsl_rng_free(r);
    obs_free(ows);
    traj_header_free(&h);
}

/* ---- running the program ---- */

typedef struct {
    int status;
    char err[4096];
    char out[4096];
} run_result;

static void slurp(const char *path, char *buf, size_t cap)
{
    buf[0] = 0;
    FILE *fp = fopen(path, "r");
    if (!fp)
        return;
    size_t n = fread(buf, 1, cap - 1, fp);
    buf[n] = 0;
    fclose(fp);
}

/* Run $SYMRBM_BIN with args (NULL-terminated); env_path (may be NULL)
 * replaces PATH in the child. */
static run_result run_bin(const char *tmp, const char *env_path, const char **args)
{
    const char *bin = getenv("SYMRBM_BIN");
    ck_assert_msg(bin != NULL, "SYMRBM_BIN not set (run through make check)");
    char fo[512], fe[512];
    snprintf(fo, sizeof fo, "%s/stdout.txt", tmp);
    snprintf(fe, sizeof fe, "%s/stderr.txt", tmp);
    const char *argv[32];
    size_t n = 0;
    argv[n++] = bin;
    for (; args[n - 1] && n < 31; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        int o = open(fo, O_WRONLY | O_CREAT | O_TRUNC, 0644), e = open(fe, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0)
            _exit(126);
        dup2(o, 1);
        dup2(e, 2);
        if (env_path)
            setenv("PATH", env_path, 1);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    int ws;
    ck_assert(waitpid(pid, &ws, 0) == pid);
    run_result r;
    r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    slurp(fe, r.err, sizeof r.err);
    slurp(fo, r.out, sizeof r.out);
    return r;
}

static char *mktmp(void)
{
    char *d = strdup("/tmp/symrbm-test-compare-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(d));
    return d;
}

static void rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static double summary_get(const char *path, const char *key)
{
    char err[SYM_ERRLEN];
    traj_header kv;
    ck_assert_msg(traj_read_summary(path, &kv, err) == SYM_OK, "%s", err);
    const char *v = traj_header_get(&kv, key);
    ck_assert_msg(v != NULL, "%s: no key %s", path, key);
    double x = strtod(v, NULL);
    traj_header_free(&kv);
    return x;
}

/* t_sb from a column, the SPEC.md 4 definition, written out here */
static double expect_t_sb(const double *t, const double *S, size_t n)
{
    double half = 0.5 * S[n - 1];
    if (S[0] >= half)
        return t[0];
    for (size_t k = 1; k < n; k++)
        if (S[k] >= half)
            return t[k - 1] + (half - S[k - 1]) * (t[k] - t[k - 1]) / (S[k] - S[k - 1]);
    return NAN;
}

/* theory R interpolated linearly in t at tp */
static double interp(const double *t, const double *y, size_t n, double tp)
{
    for (size_t k = 0; k + 1 < n; k++)
        if (tp >= t[k] && tp <= t[k + 1])
            return y[k] + (tp - t[k]) / (t[k + 1] - t[k]) * (y[k + 1] - y[k]);
    return y[n - 1];
}

/* ---- library: interpolation and alignment ---- */
/* theory --weights final: the profile exists at the ends only */
START_TEST(test_lib_weights_final)
{
    char *tmp = mktmp(), dth[600], err[SYM_ERRLEN];
    snprintf(dth, sizeof dth, "%s/th", tmp);
    run_spec th = {"ising", NN, 1.0, 0, 0, 1, 1};
    make_run(dth, &th, NULL, NULL, NULL, NULL);
    cmp_run a;
    ck_assert_msg(cmp_run_load(&a, dth, 0, err) == SYM_OK, "%s", err);
    ck_assert_uint_eq(a.n, NT);
    ck_assert_uint_eq(a.nw, 2);
    double u[NN], want[NN], o[CMP_NOBS];
    int have = 1;
    ck_assert_int_eq(cmp_interp(&a, 0.5, o, u, &have, err), SYM_OK);
    ck_assert_int_eq(have, 0);
    ck_assert_int_eq(cmp_interp(&a, theory_t(NT - 1), o, u, &have, err), SYM_OK);
    ck_assert_int_eq(have, 1);
    theory_u(theory_t(NT - 1), NN, want);
    for (size_t i = 0; i < NN; i++)
        ck_assert_msg(fabs(u[i] - want[i]) < TOL, "w[%zu] %g want %g", i, u[i], want[i]);
    cmp_run_free(&a);
    rm_rf(tmp);
    free(tmp);
}
END_TEST

START_TEST(test_lib_align)
{
    char *tmp = mktmp(), dth[600], dsim[600], err[SYM_ERRLEN];
    snprintf(dth, sizeof dth, "%s/th", tmp);
    snprintf(dsim, sizeof dsim, "%s/sim", tmp);
    run_spec th = {"ising", NN, 1.0, 0, 0, 1, 0}, sm = {"ising", NN, 1.0, 1, 0, 2, 0};
    double W[NT * NN], ts[NT];
    size_t ns;
    make_run(dth, &th, NULL, NULL, NULL, NULL);
    make_run(dsim, &sm, &ns, ts, NULL, W);
    cmp_run a, b;
    ck_assert_msg(cmp_run_load(&a, dth, 0, err) == SYM_OK, "%s", err);
    ck_assert_msg(cmp_run_load(&b, dsim, 0, err) == SYM_OK, "%s", err);
    ck_assert_uint_eq(a.n, NT);
    ck_assert_uint_eq(b.n, ns);

    /* weights linear in t: interpolation reproduces u(t) */
    double u[NN], want[NN], o[CMP_NOBS];
    int have;
    ck_assert_int_eq(cmp_interp(&a, 0.3337, o, u, &have, err), SYM_OK);
    ck_assert(have);
    theory_u(0.3337, NN, want);
    for (size_t i = 0; i < NN; i++)
        ck_assert_msg(fabs(u[i] - want[i]) < TOL, "w[%zu] %g want %g", i, u[i], want[i]);
    ck_assert_int_eq(cmp_interp(&a, 10.5, o, u, &have, err), SYM_EINVAL);
    ck_assert_int_eq(cmp_interp(&a, -0.1, o, u, &have, err), SYM_EINVAL);

    obs_ws *ws = obs_alloc(NN);
    cmp_result res;
    ck_assert_msg(cmp_compare(ws, &a, &b, &res, err) == SYM_OK, "%s", err);
    for (size_t s = 0; s < ns; s++) {
        size_t bs;
        int sg;
        theory_u(ts[s], NN, u);
        double q = direct_Q(W + s * NN, u, NN, &bs, &sg);
        ck_assert_msg(fabs(res.Q[s] - q) < TOL, "t %g: Q %.15g want %.15g", ts[s], res.Q[s], q);
    }
    /* w_i = -u_{i+SHIFT}: the final alignment is shift SHIFT, sign -1 */
    ck_assert_uint_eq(res.shift, SHIFT);
    ck_assert_int_eq(res.sign, -1);
    cmp_result_free(&res);
    obs_free(ws);
    cmp_run_free(&a);
    cmp_run_free(&b);
    rm_rf(tmp);
    free(tmp);
}
END_TEST

/* ---- the program on one noise-free sim ---- */
START_TEST(test_cli_single)
{
    char *tmp = mktmp(), dth[600], dsim[600], dout[600], path[700];
    snprintf(dth, sizeof dth, "%s/th", tmp);
    snprintf(dsim, sizeof dsim, "%s/sim", tmp);
    snprintf(dout, sizeof dout, "%s/out", tmp);
    run_spec th = {"ising", NN, 1.0, 0, 0, 1, 0}, sm = {"ising", NN, 1.0, 1, 0, 2, 0};
    double tth[NT], Rth[NT], tsim[NT], Rsim[NT], W[NT * NN];
    size_t nth, ns;
    make_run(dth, &th, &nth, tth, Rth, NULL);
    make_run(dsim, &sm, &ns, tsim, Rsim, W);
    const char *args[] = {"compare", dth, dsim, "--out", dout, "--no-plot", NULL};
    run_result r = run_bin(tmp, NULL, args);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);

    snprintf(path, sizeof path, "%s/summary.tsv", dout);
    double tsb_th = expect_t_sb(tth, Rth, nth);   /* ising: S = R */
    double tsb_sim = expect_t_sb(tsim, Rsim, ns);
    ck_assert_msg(fabs(tsb_sim - (tsb_th - DELTA)) < 1e-9, "construction: %g vs %g", tsb_sim, tsb_th - DELTA);
    ck_assert_msg(fabs(summary_get(path, "t_sb_theory") - tsb_th) < TOL, "t_sb_theory %.15g want %.15g",
                  summary_get(path, "t_sb_theory"), tsb_th);
    ck_assert_msg(fabs(summary_get(path, "t_sb_sim") - (tsb_th - DELTA)) < 1e-9, "t_sb_sim %.15g want %.15g",
                  summary_get(path, "t_sb_sim"), tsb_th - DELTA);

    double dRmax = 0, u[NN];
    size_t bs;
    int sg;
    for (size_t s = 0; s < ns; s++)
        dRmax = fmax(dRmax, fabs(Rsim[s] - interp(tth, Rth, nth, tsim[s])));
    theory_u(tsim[ns - 1], NN, u);
    double qf = direct_Q(W + (ns - 1) * NN, u, NN, &bs, &sg);
    ck_assert_msg(fabs(summary_get(path, "dR_max") - dRmax) < TOL, "dR_max %.15g want %.15g",
                  summary_get(path, "dR_max"), dRmax);
    ck_assert_msg(fabs(summary_get(path, "Q_final") - qf) < TOL, "Q_final %.15g want %.15g",
                  summary_get(path, "Q_final"), qf);

    /* compare.tsv: one row per sim snapshot, header records the inputs */
    char err[SYM_ERRLEN];
    traj_table tb;
    snprintf(path, sizeof path, "%s/compare.tsv", dout);
    ck_assert_msg(traj_read(path, &tb, err) == SYM_OK, "%s", err);
    ck_assert_uint_eq(tb.nrow, ns);
    int cq = traj_table_col(&tb, "Q"), cr = traj_table_col(&tb, "dR"), ct = traj_table_col(&tb, "t");
    ck_assert(cq >= 0 && cr >= 0 && ct >= 0 && traj_table_col(&tb, "da8") >= 0 &&
              traj_table_col(&tb, "dnorm2") >= 0 && traj_table_col(&tb, "dpr") >= 0);
    double qmin = 1;
    for (size_t s = 0; s < ns; s++) {
        ck_assert(tb.x[s * tb.ncol + ct] == tsim[s]);
        double want = Rsim[s] - interp(tth, Rth, nth, tsim[s]);
        ck_assert_msg(fabs(tb.x[s * tb.ncol + cr] - want) < TOL, "dR at %g: %g want %g", tsim[s],
                      tb.x[s * tb.ncol + cr], want);
        theory_u(tsim[s], NN, u);
        double q = direct_Q(W + s * NN, u, NN, &bs, &sg);
        ck_assert_msg(fabs(tb.x[s * tb.ncol + cq] - q) < TOL, "Q at %g: %.15g want %.15g", tsim[s],
                      tb.x[s * tb.ncol + cq], q);
        qmin = fmin(qmin, q);
    }
    ck_assert_msg(qmin < 0.999, "test construction: the time offset should cost overlap early on (%g)", qmin);
    ck_assert_str_eq(traj_header_get(&tb.header, "theory"), dth);
    ck_assert_str_eq(traj_header_get(&tb.header, "sim_1"), dsim);
    ck_assert_str_eq(traj_header_get(&tb.header, "data"), "ising");
    ck_assert_str_eq(traj_header_get(&tb.header, "command"), "compare");
    traj_table_free(&tb);
    snprintf(path, sizeof path, "%s/overlay.png", dout);
    ck_assert_msg(access(path, F_OK) != 0, "--no-plot wrote a figure");
    rm_rf(tmp);
    free(tmp);
}
END_TEST

/* ---- several noisy seeds: per-seed values, mean and sd ---- */
START_TEST(test_cli_seeds)
{
    char *tmp = mktmp(), dth[600], ds[3][600], dout[600], path[700];
    snprintf(dth, sizeof dth, "%s/th", tmp);
    snprintf(dout, sizeof dout, "%s/out", tmp);
    run_spec th = {"ising", NN, 1.0, 0, 0, 1, 0};
    make_run(dth, &th, NULL, NULL, NULL, NULL);
    double qf[3], u[NN], W[NT * NN], tsim[NT];
    for (int k = 0; k < 3; k++) {
        snprintf(ds[k], sizeof ds[k], "%s/sim%d", tmp, k);
        run_spec sm = {"ising", NN, 1.0, 1, 0.02, (uint64_t)(10 + k), 0};
        size_t ns, bs;
        int sg;
        make_run(ds[k], &sm, &ns, tsim, NULL, W);
        theory_u(tsim[ns - 1], NN, u);
        qf[k] = direct_Q(W + (ns - 1) * NN, u, NN, &bs, &sg);
    }
    int plot = system("gnuplot --version > /dev/null 2>&1") == 0;
    const char *args[] = {"compare", dth, ds[0], ds[1], ds[2], "--out", dout, plot ? NULL : "--no-plot", NULL};
    run_result r = run_bin(tmp, NULL, args);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    snprintf(path, sizeof path, "%s/summary.tsv", dout);
    double mean = (qf[0] + qf[1] + qf[2]) / 3, var = 0;
    for (int k = 0; k < 3; k++) {
        char key[32];
        snprintf(key, sizeof key, "Q_final_%d", k + 1);
        ck_assert_msg(fabs(summary_get(path, key) - qf[k]) < TOL, "%s %.15g want %.15g", key,
                      summary_get(path, key), qf[k]);
        var += (qf[k] - mean) * (qf[k] - mean) / 2;
    }
    ck_assert_msg(fabs(summary_get(path, "Q_final_mean") - mean) < TOL, "mean");
    ck_assert_msg(fabs(summary_get(path, "Q_final_sd") - sqrt(var)) < 1e-9, "sd %g want %g",
                  summary_get(path, "Q_final_sd"), sqrt(var));
    ck_assert(sqrt(var) > 0);
    summary_get(path, "t_sb_sim_mean");
    summary_get(path, "dR_max_sd");
    if (plot) {
        const char *ext[] = {"png", "pdf"};
        const unsigned char magic[2][4] = {{0x89, 'P', 'N', 'G'}, {'%', 'P', 'D', 'F'}};
        for (int e = 0; e < 2; e++) {
            snprintf(path, sizeof path, "%s/overlay.%s", dout, ext[e]);
            FILE *fp = fopen(path, "rb");
            ck_assert_msg(fp != NULL, "no %s", path);
            unsigned char b[4] = {0};
            ck_assert_uint_eq(fread(b, 1, 4, fp), 4);
            fclose(fp);
            ck_assert_msg(!memcmp(b, magic[e], 4), "%s is not a %s file", path, ext[e]);
        }
    }
    rm_rf(tmp);
    free(tmp);
}
END_TEST

/* ---- errors: exit 2 and a one-line message naming the problem ---- */
static void expect_fail(const char *tmp, const char **args, const char *needle, const char *what)
{
    run_result r = run_bin(tmp, NULL, args);
    ck_assert_msg(r.status == 2, "%s: exit %d (%s)", what, r.status, r.err);
    ck_assert_msg(strstr(r.err, needle) != NULL, "%s: message '%s' lacks '%s'", what, r.err, needle);
    ck_assert_msg(strchr(r.err, '\n') == r.err + strlen(r.err) - 1, "%s: not one line: '%s'", what, r.err);
}

START_TEST(test_cli_mismatch)
{
    char *tmp = mktmp(), dth[600], dn[600], dd[600], db[600], dout[600], path[700];
    snprintf(dth, sizeof dth, "%s/th", tmp);
    snprintf(dn, sizeof dn, "%s/simN", tmp);
    snprintf(dd, sizeof dd, "%s/simdata", tmp);
    snprintf(db, sizeof db, "%s/simbeta", tmp);
    snprintf(dout, sizeof dout, "%s/out", tmp);
    run_spec th = {"ising", NN, 1.0, 0, 0, 1, 0};
    run_spec sn = {"ising", NN + 1, 1.0, 1, 0, 2, 0}, sd = {"bump", NN, 1.0, 1, 0, 2, 0}, sb = {"ising", NN, 1.5, 1, 0, 2, 0};
    make_run(dth, &th, NULL, NULL, NULL, NULL);
    make_run(dn, &sn, NULL, NULL, NULL, NULL);
    make_run(dd, &sd, NULL, NULL, NULL, NULL);
    make_run(db, &sb, NULL, NULL, NULL, NULL);
    const char *a1[] = {"compare", dth, dn, "--out", dout, "--no-plot", NULL};
    expect_fail(tmp, a1, "N=25", "different N");
    const char *a2[] = {"compare", dth, dd, "--out", dout, "--no-plot", NULL};
    expect_fail(tmp, a2, "data=bump", "different data model");
    const char *a3[] = {"compare", dth, db, "--out", dout, "--no-plot", NULL};
    expect_fail(tmp, a3, "beta=1.5", "different beta");
    const char *a4[] = {"compare", dth, "--out", dout, NULL};
    expect_fail(tmp, a4, "SIM_DIR", "no sim dir");
    const char *a5[] = {"compare", dth, db, NULL};
    expect_fail(tmp, a5, "--out", "no --out");
    /* nothing was written */
    snprintf(path, sizeof path, "%s/compare.tsv", dout);
    ck_assert_msg(access(path, F_OK) != 0, "a failed compare left %s", path);
    rm_rf(tmp);
    free(tmp);
}
END_TEST

START_TEST(test_cli_missing_truncated)
{
    char *tmp = mktmp(), dth[600], ds[600], dout[600], path[700];
    snprintf(dth, sizeof dth, "%s/th", tmp);
    snprintf(ds, sizeof ds, "%s/sim", tmp);
    snprintf(dout, sizeof dout, "%s/out", tmp);
    run_spec th = {"ising", NN, 1.0, 0, 0, 1, 0}, sm = {"ising", NN, 1.0, 1, 0, 2, 0};
    make_run(dth, &th, NULL, NULL, NULL, NULL);
    make_run(ds, &sm, NULL, NULL, NULL, NULL);
    const char *args[] = {"compare", dth, ds, "--out", dout, "--no-plot", NULL};

    /* a directory that does not exist */
    char nod[700];
    snprintf(nod, sizeof nod, "%s/nothere", tmp);
    const char *a0[] = {"compare", dth, nod, "--out", dout, "--no-plot", NULL};
    expect_fail(tmp, a0, "nothere/trajectory.tsv", "missing directory");

    /* missing summary.tsv / weights.tsv */
    char keep[700];
    snprintf(path, sizeof path, "%s/summary.tsv", ds);
    snprintf(keep, sizeof keep, "%s/summary.keep", ds);
    ck_assert_int_eq(rename(path, keep), 0);
    expect_fail(tmp, args, "summary.tsv", "missing summary.tsv");
    ck_assert_int_eq(rename(keep, path), 0);
    snprintf(path, sizeof path, "%s/weights.tsv", dth);
    snprintf(keep, sizeof keep, "%s/weights.keep", dth);
    ck_assert_int_eq(rename(path, keep), 0);
    expect_fail(tmp, args, "weights.tsv", "missing theory weights.tsv");
    ck_assert_int_eq(rename(keep, path), 0);

    /* truncated mid-row: cut trajectory.tsv 30 bytes before its end */
    snprintf(path, sizeof path, "%s/trajectory.tsv", ds);
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(truncate(path, sb.st_size - 30), 0);
    expect_fail(tmp, args, "trajectory.tsv", "truncated trajectory.tsv");
    /* truncated at a row boundary: weights.tsv then has more snapshots */
    FILE *fp = fopen(path, "r");
    char *buf = malloc((size_t)sb.st_size + 1);
    size_t n = fread(buf, 1, (size_t)sb.st_size, fp);
    fclose(fp);
    buf[n] = 0;
    char *last = strrchr(buf, '\n');
    *last = 0;
    last = strrchr(buf, '\n');   /* drop the cut row and one whole row */
    last[1] = 0;
    fp = fopen(path, "w");
    fputs(buf, fp);
    fclose(fp);
    free(buf);
    expect_fail(tmp, args, "weights.tsv", "row-truncated trajectory.tsv");

    /* help works */
    const char *ah[] = {"compare", "--help", NULL};
    run_result r = run_bin(tmp, NULL, ah);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(strstr(r.out, "usage:") && strstr(r.out, "--no-plot"), "help: %s", r.out);
    rm_rf(tmp);
    free(tmp);
}
END_TEST

/* No gnuplot on PATH: an error message, exit 2, no half figure. */
START_TEST(test_cli_no_gnuplot)
{
    char *tmp = mktmp(), dth[600], ds[600], dout[600], path[700];
    snprintf(dth, sizeof dth, "%s/th", tmp);
    snprintf(ds, sizeof ds, "%s/sim", tmp);
    snprintf(dout, sizeof dout, "%s/out", tmp);
    run_spec th = {"ising", NN, 1.0, 0, 0, 1, 0}, sm = {"ising", NN, 1.0, 1, 0, 2, 0};
    make_run(dth, &th, NULL, NULL, NULL, NULL);
    make_run(ds, &sm, NULL, NULL, NULL, NULL);
    const char *args[] = {"compare", dth, ds, "--out", dout, NULL};
    char empty[700];
    snprintf(empty, sizeof empty, "%s/emptybin", tmp);
    ck_assert_int_eq(mkdir(empty, 0755), 0);
    run_result r = run_bin(tmp, empty, args);
    ck_assert_msg(r.status == 2, "exit %d: %s", r.status, r.err);
    ck_assert_msg(strstr(r.err, "gnuplot") && strstr(r.err, "--no-plot"), "message: %s", r.err);
    snprintf(path, sizeof path, "%s/overlay.png", dout);
    ck_assert(access(path, F_OK) != 0);
    rm_rf(tmp);
    free(tmp);
}
END_TEST

/* ---- damaged observables (issue 7): nan/inf where compare needs numbers ---- */

/* Replace column col of data row `row` (0-based) of the tab-separated table
 * at path with val; returns the file line (1-based) of that row. */
static size_t set_field(const char *path, size_t row, const char *col, const char *val)
{
    size_t len;
    char *text = tutil_slurp(path, &len);
    ck_assert_ptr_nonnull(text);
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    size_t lineno = 0, found = 0, data = 0;
    int ci = -1;
    for (char *line = text, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl);
        *nl = 0;
        lineno++;
        if (line[0] == '#') {
            fprintf(fp, "%s\n", line);
            continue;
        }
        if (ci < 0) {   /* the column line */
            char *copy = strdup(line), *save = NULL;
            int k = 0;
            for (char *tok = strtok_r(copy, "\t", &save); tok; tok = strtok_r(NULL, "\t", &save), k++)
                if (!strcmp(tok, col))
                    ci = k;
            free(copy);
            ck_assert_msg(ci >= 0, "%s: no column %s", path, col);
            fprintf(fp, "%s\n", line);
            continue;
        }
        if (data++ != row) {
            fprintf(fp, "%s\n", line);
            continue;
        }
        found = lineno;
        char *f = line;
        for (int k = 0; k < ci; k++)
            f = strchr(f, '\t') + 1;
        char *e = strchr(f, '\t');
        *f = 0;
        fprintf(fp, "%s%s%s\n", line, val, e ? e : "");
    }
    ck_assert_int_eq(fclose(fp), 0);
    free(text);
    ck_assert_uint_gt(found, 0);
    return found;
}

/* cmp_run_load of dir must fail with a message holding file:line and want */
static void expect_load_fail(const char *dir, const char *file, size_t line, const char *want)
{
    char err[SYM_ERRLEN] = "", where[64];
    cmp_run a;
    ck_assert_int_eq(cmp_run_load(&a, dir, 0, err), SYM_EINVAL);
    snprintf(where, sizeof where, "%s:%zu: ", file, line);
    ck_assert_msg(strstr(err, where) && strstr(err, want), "want '%s%s', got: %s", where, want, err);
    cmp_run_free(&a);
}

START_TEST(test_lib_nonfinite)
{
    char *tmp = mktmp(), dir[600], path[700], wpath[700], err[SYM_ERRLEN];
    snprintf(dir, sizeof dir, "%s/th", tmp);
    snprintf(path, sizeof path, "%s/trajectory.tsv", dir);
    snprintf(wpath, sizeof wpath, "%s/weights.tsv", dir);
    run_spec th = {"ising", NN, 1.0, 0, 0, 1, 0};
    /* each damage on a fresh run; the undamaged run loads */
    const struct {
        const char *file, *col, *val, *want;
        size_t row;
    } cases[] = {
        {"trajectory.tsv", "R", "nan", "R = nan with norm2 = ", 5},
        {"trajectory.tsv", "S", "inf", "S = inf", 0},
        {"trajectory.tsv", "pr", "-inf", "pr = -inf", NT - 1},
        {"trajectory.tsv", "norm2", "nan", "norm2 = nan: need a finite number", 3},
        {"trajectory.tsv", "t", "inf", "t = inf", NT - 1},
        {"trajectory.tsv", "a3", "nan", "a3 = nan", 7},
        {"trajectory.tsv", "a8", "inf", "a8 = inf", 2},
        {"weights.tsv", "w_3", "inf", "w_3 = inf", 4},
        {"weights.tsv", "t", "nan", "t = nan", 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        rm_rf(dir);
        make_run(dir, &th, NULL, NULL, NULL, NULL);
        cmp_run a;
        ck_assert_msg(cmp_run_load(&a, dir, 0, err) == SYM_OK, "%s", err);
        cmp_run_free(&a);
        const char *p = strcmp(cases[c].file, "weights.tsv") ? path : wpath;
        size_t line = set_field(p, cases[c].row, cases[c].col, cases[c].val);
        expect_load_fail(dir, cases[c].file, line, cases[c].want);
    }

    /* what does not exist may be nan: pr, R, S of a zero profile (sim
     * --init-scale 0 at t = 0), and the modes a_k with k >= N */
    rm_rf(dir);
    make_run(dir, &th, NULL, NULL, NULL, NULL);
    set_field(path, 0, "norm2", "0");
    set_field(path, 0, "pr", "nan");
    set_field(path, 0, "R", "nan");
    set_field(path, 0, "S", "nan");
    cmp_run a;
    ck_assert_msg(cmp_run_load(&a, dir, 0, err) == SYM_OK, "%s", err);
    ck_assert(isnan(a.o[CMP_R]) && a.o[CMP_NORM2] == 0);
    cmp_run_free(&a);
    /* but inf stays an error there */
    size_t line = set_field(path, 0, "S", "inf");
    expect_load_fail(dir, "trajectory.tsv", line, "S = inf with norm2 = 0");
    rm_rf(dir);
    run_spec small = {"ising", 5, 1.0, 0, 0, 1, 0};
    make_run(dir, &small, NULL, NULL, NULL, NULL);
    ck_assert_msg(cmp_run_load(&a, dir, 0, err) == SYM_OK, "%s", err);
    ck_assert(isnan(a.o[CMP_A0 + 5]) && isfinite(a.o[CMP_A0 + 4]));
    cmp_run_free(&a);
    line = set_field(path, 2, "a4", "nan");
    expect_load_fail(dir, "trajectory.tsv", line, "a4 = nan");

    /* through the program: exit 2, one line naming file and line */
    char ds[600], dout[600], needle[64];
    snprintf(ds, sizeof ds, "%s/sim", tmp);
    snprintf(dout, sizeof dout, "%s/out", tmp);
    rm_rf(dir);
    make_run(dir, &th, NULL, NULL, NULL, NULL);
    run_spec sm = {"ising", NN, 1.0, 1, 0, 2, 0};
    make_run(ds, &sm, NULL, NULL, NULL, NULL);
    snprintf(path, sizeof path, "%s/trajectory.tsv", ds);
    line = set_field(path, 6, "R", "inf");
    snprintf(needle, sizeof needle, "trajectory.tsv:%zu: R = inf", line);
    const char *args[] = {"compare", dir, ds, "--out", dout, "--no-plot", NULL};
    expect_fail(tmp, args, needle, "inf in a sim's R");
    snprintf(path, sizeof path, "%s/compare.tsv", dout);
    ck_assert_msg(access(path, F_OK) != 0, "a failed compare left %s", path);
    rm_rf(tmp);
    free(tmp);
}
END_TEST

/* ---- several hidden units ---- */

/* The best sum over all M! permutations, by recursion (independent of
 * cmp_assign's lexicographic enumeration and of the Hungarian method). */
static double brute_assign(const double *Q, size_t M, size_t a, int *used)
{
    if (a == M)
        return 0;
    double best = -INFINITY;
    for (size_t b = 0; b < M; b++)
        if (!used[b]) {
            used[b] = 1;
            double v = Q[a * M + b] + brute_assign(Q, M, a + 1, used);
            used[b] = 0;
            if (v > best)
                best = v;
        }
    return best;
}

static void check_bijection(const size_t *perm, size_t M)
{
    int seen[64] = {0};
    for (size_t a = 0; a < M; a++) {
        ck_assert_uint_lt(perm[a], M);
        ck_assert_msg(!seen[perm[a]], "perm[%zu] = %zu twice", a, perm[a]);
        seen[perm[a]] = 1;
    }
}

START_TEST(test_assign_brute)
{
    gsl_rng *r = rng_alloc(11, RNG_STREAM_AUX);
    double Q[64];
    size_t perm[8];
    for (size_t M = 1; M <= 7; M++)
        for (int trial = 0; trial < 30; trial++) {
            for (size_t k = 0; k < M * M; k++)
                Q[k] = gsl_rng_uniform(r);
            int used[8] = {0};
            double want = brute_assign(Q, M, 0, used);
            /* exhaustive and Hungarian, each checked against brute force and
             * against the sum of the permutation it returns */
            for (int hung = 0; hung < 2; hung++) {
                double got = cmp_assign(Q, NULL, M, hung ? 0 : 16, perm);
                check_bijection(perm, M);
                double sum = 0;
                for (size_t a = 0; a < M; a++)
                    sum += Q[a * M + perm[a]];
                ck_assert_msg(fabs(got - want) < 1e-12, "M %zu %s: %.15g want %.15g", M,
                              hung ? "hungarian" : "exhaustive", got, want);
                ck_assert_msg(fabs(sum - got) < 1e-12, "returned %.15g, perm sums to %.15g", got, sum);
            }
        }
    /* a planted optimum at M = 12 (brute force out of reach): planted
     * entries 1, all others < 0.5, so any other permutation loses >= 0.5 */
    enum { MP = 12 };
    double QP[MP * MP];
    size_t plant[MP] = {3, 7, 0, 11, 5, 1, 9, 2, 10, 4, 8, 6}, pp[MP];
    for (size_t a = 0; a < MP; a++)
        for (size_t b = 0; b < MP; b++)
            QP[a * MP + b] = b == plant[a] ? 1.0 : 0.49 * gsl_rng_uniform(r);
    ck_assert(fabs(cmp_assign(QP, NULL, MP, 0, pp) - MP) < 1e-12);
    for (size_t a = 0; a < MP; a++)
        ck_assert_uint_eq(pp[a], plant[a]);
    /* an all-equal matrix is one big tie: the identity */
    double Qe[16];
    for (size_t k = 0; k < 16; k++)
        Qe[k] = 0.7;
    ck_assert(fabs(cmp_assign(Qe, NULL, 4, 16, perm) - 2.8) < 1e-12);
    for (size_t a = 0; a < 4; a++)
        ck_assert_uint_eq(perm[a], a);
    /* a nan (zero profile) loses against any real overlap */
    double Qn[4] = {NAN, 0.1, 0.2, 0.05};
    cmp_assign(Qn, NULL, 2, 16, perm);
    ck_assert(perm[0] == 1 && perm[1] == 0);
    cmp_assign(Qn, NULL, 2, 0, perm);
    ck_assert(perm[0] == 1 && perm[1] == 0);
    gsl_rng_free(r);
}
END_TEST

/* A gaussian bump of width sd centred at c (circular distance), on N sites. */
static void bump(double *w, size_t N, double c, double sd, double amp)
{
    for (size_t i = 0; i < N; i++) {
        double d = fabs((double)i - c);
        d = fmin(d, (double)N - d);
        w[i] = amp * exp(-d * d / (2 * sd * sd));
    }
}

/* Sim unit a = sign[a] x theory unit perm[a], cyclically shifted:
 * wsim_a[i] = sign[a] wth_perm[a][(i + shift[a]) mod N]. */
static void plant_units(const double *wth, size_t M, size_t N, const size_t *perm, const size_t *shift,
                        const int *sign, double *wsim)
{
    for (size_t a = 0; a < M; a++)
        for (size_t i = 0; i < N; i++)
            wsim[a * N + i] = sign[a] * wth[perm[a] * N + (i + shift[a]) % N];
}

START_TEST(test_match_planted)
{
    enum { N = 60, MMAX = 8 };
    obs_ws *ws = obs_alloc(N);
    double wth[MMAX * N], wsim[MMAX * N], q[MMAX];
    size_t got[MMAX], gsh[MMAX];
    int gsg[MMAX];
    /* M = 4 exhaustive, M = 8 Hungarian (beyond CMP_EXHAUSTIVE_MAX) */
    static const size_t perm4[] = {2, 0, 3, 1}, perm8[] = {5, 2, 7, 0, 3, 6, 1, 4};
    static const size_t shift8[] = {0, 13, 29, 7, 44, 58, 1, 30};
    static const int sign8[] = {1, -1, -1, 1, 1, -1, 1, -1};
    for (int pass = 0; pass < 2; pass++) {
        size_t M = pass ? 8 : 4;
        const size_t *perm = pass ? perm8 : perm4;
        ck_assert(pass == 0 || M > CMP_EXHAUSTIVE_MAX);
        /* distinct widths: Q tells the units apart whatever their shift */
        for (size_t b = 0; b < M; b++)
            bump(wth + b * N, N, 5.0 + 7.0 * (double)b, 1.5 + 1.1 * (double)b, 0.5 + 0.1 * (double)b);
        plant_units(wth, M, N, perm, shift8, sign8, wsim);
        double mean = cmp_match(ws, wsim, wth, M, N, got, q, gsh, gsg);
        ck_assert_msg(fabs(mean - 1) < 1e-12, "M %zu: mean Q %.15g", M, mean);
        for (size_t a = 0; a < M; a++) {
            ck_assert_msg(got[a] == perm[a], "M %zu: sim %zu -> %zu, planted %zu", M, a, got[a], perm[a]);
            ck_assert_uint_eq(gsh[a], shift8[a]);
            ck_assert_int_eq(gsg[a], sign8[a]);
            ck_assert(fabs(q[a] - 1) < 1e-12);
        }
    }
    /* M = 1: the one pairing, and Q is obs_overlap's */
    size_t p1, s1, s1w;
    int g1, g1w;
    double q1;
    bump(wth, N, 10, 3, 1);
    bump(wsim, N, 17, 4, -1);
    double m1 = cmp_match(ws, wsim, wth, 1, N, &p1, &q1, &s1, &g1);
    double want = obs_overlap(ws, wsim, wth, &s1w, &g1w);
    ck_assert_uint_eq(p1, 0);
    ck_assert(m1 == want && q1 == want && s1 == s1w && g1 == g1w);
    ck_assert(want < 0.99);   /* widths 3 and 4: not a trivial Q = 1 */
    obs_free(ws);
}
END_TEST

/* Equal bumps at different centres: Q = 1 for every pairing (a tie), which
 * only the position breaks: the planted permutation is the one that moves
 * each unit by at most one site. */
START_TEST(test_match_ties)
{
    enum { N = 60, M = 4 };
    obs_ws *ws = obs_alloc(N);
    double wth[M * N], wsim[M * N], c[M] = {5, 20, 35, 50};
    static const size_t perm[M] = {1, 3, 0, 2}, off[M] = {1, 0, 59, 1};
    size_t got[M], sh[M];
    double q[M];
    for (size_t b = 0; b < M; b++)
        bump(wth + b * N, N, c[b], 3.0, 1.0);
    for (size_t a = 0; a < M; a++)
        bump(wsim + a * N, N, c[perm[a]] - (off[a] == 59 ? -1.0 : (double)off[a]), 3.0, 1.0);
    double mean = cmp_match(ws, wsim, wth, M, N, got, q, sh, NULL);
    ck_assert(fabs(mean - 1) < 1e-12);
    for (size_t a = 0; a < M; a++) {
        ck_assert_msg(got[a] == perm[a], "sim %zu -> %zu, planted %zu", a, got[a], perm[a]);
        ck_assert_uint_eq(sh[a], off[a]);
    }
    /* without the tie-break the lexicographic first (the identity) wins */
    double Q[M * M];
    for (size_t a = 0; a < M; a++)
        for (size_t b = 0; b < M; b++)
            Q[a * M + b] = obs_overlap(ws, wsim + a * N, wth + b * N, NULL, NULL);
    cmp_assign(Q, NULL, M, 16, got);
    for (size_t a = 0; a < M; a++)
        ck_assert_uint_eq(got[a], a);
    obs_free(ws);
}
END_TEST

START_TEST(test_separations)
{
    enum { N = 60 };
    double sep[3], c3[3] = {50, 3.5, 20};
    cmp_separations(c3, 3, N, sep);   /* gaps 16.5, 30, 13.5 */
    ck_assert(sep[0] == 13.5 && sep[1] == 16.5 && sep[2] == 30);
    double c1 = 17.25, s1;
    cmp_separations(&c1, 1, N, &s1);
    ck_assert(s1 == N);
    double cn[3] = {1, NAN, 2};
    cmp_separations(cn, 3, N, sep);
    ck_assert(isnan(sep[0]) && isnan(sep[1]) && isnan(sep[2]));
    /* three symmetric bumps centred on sites 7, 25, 48: their centres (SPEC
     * 4, from obs_compute) and gaps 18, 23, 19 */
    obs_ws *ws = obs_alloc(N);
    double w[N], c[3], want[3] = {18, 19, 23}, at[3] = {25, 7, 48};
    for (size_t k = 0; k < 3; k++) {
        obs_values ov;
        bump(w, N, at[k], 2.5, k == 1 ? -1.0 : 1.0);
        obs_compute(ws, &ring_ising, w, &ov);
        c[k] = ov.center;
        ck_assert_msg(fabs(c[k] - at[k]) < 1e-9, "centre %.15g want %g", c[k], at[k]);
    }
    cmp_separations(c, 3, N, sep);
    for (size_t k = 0; k < 3; k++)
        ck_assert_msg(fabs(sep[k] - want[k]) < 1e-9, "sep %zu: %.15g want %g", k, sep[k], want[k]);
    obs_free(ws);
}
END_TEST

/* The final weights of every unit in dir/weights.tsv, M x N. */
static void final_weights(const char *dir, size_t M, size_t N, double *w)
{
    char path[700], err[SYM_ERRLEN];
    snprintf(path, sizeof path, "%s/weights.tsv", dir);
    traj_table t;
    ck_assert_msg(traj_read(path, &t, err) == SYM_OK, "%s", err);
    ck_assert_uint_eq(t.ncol, N + 2);
    ck_assert_uint_ge(t.nrow, M);
    double tl = t.x[(t.nrow - 1) * t.ncol];
    for (size_t r = 0; r < t.nrow; r++)
        if (t.x[r * t.ncol] == tl) {
            size_t mu = (size_t)t.x[r * t.ncol + 1];
            ck_assert_uint_lt(mu, M);
            memcpy(w + mu * N, t.x + r * t.ncol + 2, N * sizeof *w);
        }
    traj_table_free(&t);
}

static double direct_centre(const double *w, size_t N)
{
    double re = 0, im = 0;
    for (size_t i = 0; i < N; i++) {
        double th = 2 * M_PI * (double)i / (double)N;
        re += w[i] * w[i] * cos(th);
        im += w[i] * w[i] * sin(th);
    }
    double c = atan2(im, re) * (double)N / (2 * M_PI);
    return c < 0 ? c + (double)N : c;
}

/* theory and sim with M = 3 binary units, the exact model term and many
 * samples: after matching, every unit's Q > 0.95; Q, matching and centre
 * separations agree with a recomputation from the two weights.tsv. */
START_TEST(test_e2e_units)
{
    enum { N = 60, M = 3 };
    char *tmp = mktmp(), dth[600], dsim[600], dout[600], dmu[600], path[700], key[64];
    snprintf(dth, sizeof dth, "%s/th", tmp);
    snprintf(dsim, sizeof dsim, "%s/sim", tmp);
    snprintf(dout, sizeof dout, "%s/out", tmp);
    snprintf(dmu, sizeof dmu, "%s/out_mu", tmp);
    const char *a_th[] = {"theory", "--hidden", "spin", "--M", "3", "--N", "60", "--beta", "1", "--T", "10",
                          "--snapshots", "10", "--seed", "1", "--out", dth, NULL};
    const char *a_sim[] = {"sim", "--hidden", "spin", "--M", "3", "--N", "60", "--beta", "1", "--T", "10",
                           "--snapshots", "10", "--seed", "1", "--B", "20000", "--B-test", "0",
                           "--model-term", "exact", "--out", dsim, NULL};
    const char *a_cmp[] = {"compare", dth, dsim, "--out", dout, "--no-plot", NULL};
    const char *a_mu[] = {"compare", dth, dsim, "--out", dmu, "--no-plot", "--mu", "0", NULL};
    const char **runs[] = {a_th, a_sim, a_cmp, a_mu};
    for (size_t k = 0; k < 4; k++) {
        run_result r = run_bin(tmp, NULL, runs[k]);
        ck_assert_msg(r.status == 0, "%s: exit %d: %s", runs[k][0], r.status, r.err);
    }
    double wth[M * N], wsim[M * N];
    final_weights(dth, M, N, wth);
    final_weights(dsim, M, N, wsim);
    /* the best matching, brute force with the Q of direct_Q */
    double Q[M * M];
    size_t sh[M * M];
    int sg;
    for (size_t a = 0; a < M; a++)
        for (size_t b = 0; b < M; b++)
            Q[a * M + b] = direct_Q(wsim + a * N, wth + b * N, N, &sh[a * M + b], &sg);
    int used[M] = {0};
    double best = brute_assign(Q, M, 0, used);
    snprintf(path, sizeof path, "%s/summary.tsv", dout);
    double qsum = 0;
    int seen[M] = {0};
    for (size_t a = 0; a < M; a++) {
        snprintf(key, sizeof key, "match_mu%zu", a);
        size_t b = (size_t)summary_get(path, key);
        ck_assert_uint_lt(b, M);
        ck_assert(!seen[b]);
        seen[b] = 1;
        snprintf(key, sizeof key, "Q_final_mu%zu", a);
        double q = summary_get(path, key);
        ck_assert_msg(fabs(q - Q[a * M + b]) < 1e-12, "%s %.15g, direct %.15g", key, q, Q[a * M + b]);
        ck_assert_msg(q > 0.95, "%s = %g", key, q);
        qsum += q;
    }
    ck_assert_msg(fabs(qsum - best) < 1e-12, "matched sum %.15g, best %.15g", qsum, best);
    ck_assert(fabs(summary_get(path, "Q_final") - qsum / M) < 1e-12);
    /* centre separations, recomputed, and they close the ring */
    for (int side = 0; side < 2; side++) {
        double c[M], sep[M], tot = 0, prev = 0;
        for (size_t a = 0; a < M; a++)
            c[a] = direct_centre((side ? wsim : wth) + a * N, N);
        cmp_separations(c, M, N, sep);
        for (size_t k = 0; k < M; k++) {
            snprintf(key, sizeof key, "%s_%zu", side ? "sep_sim" : "sep_theory", k);
            double v = summary_get(path, key);
            ck_assert_msg(fabs(v - sep[k]) < 1e-9, "%s %.15g direct %.15g", key, v, sep[k]);
            ck_assert_msg(v >= prev, "%s = %g: not sorted", key, v);
            prev = v;
            tot += v;
        }
        ck_assert(fabs(tot - N) < 1e-9);
    }
    /* compare.tsv: M rows per snapshot with mu and mu_theory; with --mu the
     * one-unit format of before */
    snprintf(path, sizeof path, "%s/compare.tsv", dout);
    char err[SYM_ERRLEN];
    traj_table t;
    ck_assert_msg(traj_read(path, &t, err) == SYM_OK, "%s", err);
    ck_assert_int_eq(traj_table_col(&t, "mu"), 2);
    ck_assert_int_eq(traj_table_col(&t, "mu_theory"), 3);
    ck_assert_int_eq(traj_table_col(&t, "Q"), 4);
    ck_assert_uint_eq(t.nrow, 11 * M);
    for (size_t r = 0; r < t.nrow; r++)
        ck_assert(t.x[r * t.ncol + 2] == (double)(r % M));
    /* at t = 0 sim and theory share w(0) (same seed): Q = 1 per unit */
    for (size_t a = 0; a < M; a++)
        ck_assert_msg(fabs(t.x[a * t.ncol + 4] - 1) < 1e-12, "Q(0) %.15g", t.x[a * t.ncol + 4]);
    traj_table_free(&t);
    snprintf(path, sizeof path, "%s/compare.tsv", dmu);
    ck_assert_msg(traj_read(path, &t, err) == SYM_OK, "%s", err);
    ck_assert_int_eq(traj_table_col(&t, "mu"), -1);
    ck_assert_int_eq(traj_table_col(&t, "Q"), 2);
    ck_assert_uint_eq(t.nrow, 11);
    traj_table_free(&t);
    rm_rf(tmp);
    free(tmp);
}
END_TEST

Suite *compare_suite(void)
{
    Suite *s = suite_create("compare");
    TCase *tc = tcase_create("compare");
    tcase_add_test(tc, test_lib_align);
    tcase_add_test(tc, test_lib_weights_final);
    tcase_add_test(tc, test_cli_single);
    tcase_add_test(tc, test_cli_seeds);
    tcase_add_test(tc, test_cli_mismatch);
    tcase_add_test(tc, test_cli_missing_truncated);
    tcase_add_test(tc, test_cli_no_gnuplot);
    tcase_add_test(tc, test_lib_nonfinite);
    tcase_add_test(tc, test_assign_brute);
    tcase_add_test(tc, test_match_planted);
    tcase_add_test(tc, test_match_ties);
    tcase_add_test(tc, test_separations);
    tcase_add_test(tc, test_e2e_units);
    suite_add_tcase(s, tc);
    return s;
}
