/* Tests of sim/spin_exact (the 2^M sum for binary hidden units) and of its
 * use by sim/train: the model term, <v> and log Z against a brute-force
 * enumeration of all (v, h) in long double (N <= 12, M = 1..4, with and
 * without visible and hidden fields, weight norms up to ~10 per unit); the
 * M = 1 zero-field closed form tanh(w_i); log Z and the model term against
 * train_enum (N <= 20); the exact log-likelihood at N = 100, M = 4 against
 * a direct long-double sum; training with the exact term (M = 3, N = 30,
 * ising data) increases the log-likelihood; and the acceptance: the
 * loglik column of a `symrbm sim` run (M = 4, N = 100) recomputed
 * independently from its weights.tsv. */
#define _GNU_SOURCE
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

#include "core/err.h"
#include "core/kern.h"
#include "core/ring.h"
#include "core/rng.h"
#include "core/traj.h"
#include "core/unit.h"
#include "sim/run.h"
#include "sim/spin_exact.h"
#include "sim/train.h"
#include "tests/suites.h"
#include "tests/tutil.h"

/* Against long-double brute force: both sides are sums of positive terms
 * (log Z) or of <= 2^M (N, M) terms bounded by 1, in log-sum-exp form, so a
 * few ulp per term; 1e-12 leaves room for libmvec's tanh and log kernels. */
#define TOL_BRUTE 1e-12
/* Against train_enum (double, running log-sum-exp over 2^N states). */
#define TOL_ENUM 1e-11
/* The acceptance bound for the exact log-likelihood. */
#define TOL_LOGLIK 1e-8
/* kern_tanh against libm tanh: a few ulp (tests/test_train.c's bounds). */
#define TOL_TANH_REL 4e-16
#define TOL_TANH_ABS 3e-16

static long double logcosh2l(long double x)
{
    long double a = fabsl(x);
    return a + log1pl(expl(-2.0L * a));
}

/* Enumeration of all 2^N x 2^M states (v, h) with energy
 * g.v + sum_mu h_mu (w_mu . v) - theta sum_mu h_mu: log Z, <v_i h_mu>, <v_i>
 * (two passes: max, then sums), in long double. */
static long double brute_vh(size_t N, size_t M, const double *w, const double *g, double theta,
                            double *mw, double *mg)
{
    size_t SV = (size_t)1 << N, SH = (size_t)1 << M;
    long double mx = -INFINITY;
    for (int pass = 0; pass < 2; pass++) {
        long double Z = 0, *aw = calloc(M * N, sizeof *aw), *ag = calloc(N, sizeof *ag);
        for (size_t s = 0; s < SV; s++)
            for (size_t t = 0; t < SH; t++) {
                long double E = 0;
                for (size_t i = 0; i < N; i++) {
                    double vi = ((s >> i) & 1) ? 1.0 : -1.0;
                    E += (g ? g[i] : 0.0) * vi;
                }
                for (size_t mu = 0; mu < M; mu++) {
                    double h = ((t >> mu) & 1) ? 1.0 : -1.0;
                    long double I = 0;
                    for (size_t i = 0; i < N; i++)
                        I += (long double)w[mu * N + i] * (((s >> i) & 1) ? 1.0 : -1.0);
                    E += h * I - theta * h;
                }
                if (pass == 0) {
                    if (E > mx)
                        mx = E;
                    continue;
                }
                long double p = expl(E - mx);
                Z += p;
                for (size_t i = 0; i < N; i++) {
                    double vi = ((s >> i) & 1) ? 1.0 : -1.0;
                    ag[i] += p * vi;
                    for (size_t mu = 0; mu < M; mu++)
                        aw[mu * N + i] += p * vi * (((t >> mu) & 1) ? 1.0 : -1.0);
                }
            }
        if (pass == 1) {
            for (size_t k = 0; mw && k < M * N; k++)
                mw[k] = (double)(aw[k] / Z);
            for (size_t i = 0; mg && i < N; i++)
                mg[i] = (double)(ag[i] / Z);
            free(aw);
            free(ag);
            return mx + logl(Z);
        }
        free(aw);
        free(ag);
    }
    return NAN;
}

/* log Z by the direct sum over h (no tree, no symmetry), long double. */
static long double direct_logZ(size_t N, size_t M, const double *w, const double *g, double theta)
{
    size_t SH = (size_t)1 << M;
    long double *L = malloc(SH * sizeof *L), mx = -INFINITY, Z = 0;
    for (size_t t = 0; t < SH; t++) {
        long double e = 0;
        for (size_t mu = 0; mu < M; mu++)
            e -= theta * (((t >> mu) & 1) ? 1.0 : -1.0);
        for (size_t i = 0; i < N; i++) {
            long double a = g ? g[i] : 0.0;
            for (size_t mu = 0; mu < M; mu++)
                a += (long double)w[mu * N + i] * (((t >> mu) & 1) ? 1.0 : -1.0);
            e += logcosh2l(a);
        }
        L[t] = e;
        if (e > mx)
            mx = e;
    }
    for (size_t t = 0; t < SH; t++)
        Z += expl(L[t] - mx);
    free(L);
    return mx + logl(Z);
}

/* Mean log-likelihood of v[0..B-1] in long double (direct sums). */
static long double direct_loglik(size_t N, size_t M, const double *w, const double *g,
                                 double theta, const int8_t *v, size_t B)
{
    long double s = 0;
    for (size_t b = 0; b < B; b++) {
        for (size_t i = 0; g && i < N; i++)
            s += (long double)g[i] * v[b * N + i];
        for (size_t mu = 0; mu < M; mu++) {
            long double I = 0;
            for (size_t i = 0; i < N; i++)
                I += (long double)w[mu * N + i] * v[b * N + i];
            s += logcosh2l(I - theta);
        }
    }
    return s / B - direct_logZ(N, M, w, g, theta);
}

static void fill(gsl_rng *r, double *x, size_t n, double scale)
{
    for (size_t k = 0; k < n; k++)
        x[k] = scale * gsl_ran_gaussian(r, 1.0);
}

static void near_max(const char *what, const double *a, const double *b, size_t n, double tol)
{
    double mx = 0;
    for (size_t k = 0; k < n; k++)
        mx = fmax(mx, fabs(b[k]));
    for (size_t k = 0; k < n; k++)
        ck_assert_msg(fabs(a[k] - b[k]) <= tol * fmax(mx, 1.0), "%s[%zu]: %.17g vs %.17g", what,
                      k, a[k], b[k]);
}

/* Model term, <v> and log Z against (v, h) enumeration: N = 5, 9, 12,
 * M = 1..4; fields absent (the h -> -h symmetric walk), visible fields, a
 * hidden field alone (symmetric walk with unequal mirror weights), both;
 * weight scales 0.3 to 3 per element (unit norms ~1 to ~10). */
START_TEST(test_brute)
{
    char err[SYM_ERRLEN];
    const size_t Ns[] = {5, 9, 12};
    const double scales[] = {0.3, 1.0, 3.0};
    gsl_rng *r = rng_alloc(11, RNG_STREAM_AUX);
    size_t cases = 0;
    for (size_t in = 0; in < 3; in++)
        for (size_t M = 1; M <= 4; M++)
            for (int f = 0; f < 4; f++)
                for (size_t is = 0; is < 3; is++) {
                    size_t N = Ns[in];
                    if (N == 12 && M > 2 && is != 2)
                        continue;   /* keep the (v, h) enumeration fast */
                    double w[4 * 12], g[12], mw[4 * 12], mg[12], rw[4 * 12], rg[12];
                    fill(r, w, M * N, scales[is]);
                    fill(r, g, N, 0.7);
                    const double *gp = (f & 1) ? g : NULL;
                    double theta = (f & 2) ? 0.4 : 0.0;
                    spinx_ws *ws;
                    ck_assert_int_eq(spinx_alloc(&ws, N, M, err), SYM_OK);
                    double lz = NAN;
                    ck_assert_msg(spinx_eval(ws, w, gp, theta, &lz, mw, mg, err) == SYM_OK, "%s",
                                  err);
                    long double ref = brute_vh(N, M, w, gp, theta, rw, rg);
                    ck_assert_msg(fabsl(lz - ref) <= TOL_BRUTE * fabsl(ref),
                                  "N %zu M %zu f %d: log Z %.17g vs %.17Lg", N, M, f, lz, ref);
                    near_max("<v h>", mw, rw, M * N, TOL_BRUTE);
                    near_max("<v>", mg, rg, N, TOL_BRUTE);
                    /* log Z alone (one pass) is the same number */
                    double lz1 = NAN;
                    ck_assert_int_eq(spinx_eval(ws, w, gp, theta, &lz1, NULL, NULL, err), SYM_OK);
                    ck_assert(lz1 == lz);
                    /* no visible field: <v> vanishes exactly when theta = 0 */
                    if (!gp && theta == 0.0)
                        for (size_t i = 0; i < N; i++)
                            ck_assert(mg[i] == 0.0);
                    spinx_free(ws);
                    cases++;
                }
    ck_assert_uint_ge(cases, 100);
    gsl_rng_free(r);
}
END_TEST

/* M = 1, no fields: <v_i h> = tanh(w_i) exactly (the two mirror weights are
 * 1/2 each, their sum 1): bit for bit core/kern's tanh of w_i, and within a
 * few ulp of libm's; g given as zeros takes the same path. */
START_TEST(test_m1_tanh)
{
    char err[SYM_ERRLEN];
    size_t N = 200;
    double w[200], g[200] = {0}, mw[200], mg[200], T[200];
    gsl_rng *r = rng_alloc(5, RNG_STREAM_AUX);
    fill(r, w, N, 2.0);
    w[0] = 0.0;
    w[1] = 1e-3;
    w[2] = 25.0;   /* tanh = 1 in double */
    gsl_rng_free(r);
    const double one = 1.0;
    kern_tanh_table(w, NULL, N, &one, 1, T);
    spinx_ws *ws;
    ck_assert_int_eq(spinx_alloc(&ws, N, 1, err), SYM_OK);
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(spinx_eval(ws, w, k ? g : NULL, 0.0, NULL, mw, mg, err), SYM_OK);
        for (size_t i = 0; i < N; i++) {
            ck_assert_msg(mw[i] == T[i], "w %.17g: %.17g vs kern tanh %.17g", w[i], mw[i], T[i]);
            double t = tanh(w[i]);
            ck_assert_msg(fabs(mw[i] - t) <= TOL_TANH_REL * fabs(t) + TOL_TANH_ABS,
                          "w %.17g: %.17g vs tanh %.17g", w[i], mw[i], t);
            ck_assert(mg[i] == 0.0);
        }
    }
    /* log Z = log 2 + sum_i log 2cosh(w_i) */
    double lz;
    ck_assert_int_eq(spinx_eval(ws, w, NULL, 0.0, &lz, NULL, NULL, err), SYM_OK);
    long double ref = logl(2.0L);
    for (size_t i = 0; i < N; i++)
        ref += logcosh2l(w[i]);
    ck_assert_msg(fabsl(lz - ref) <= TOL_BRUTE * fabsl(ref), "%.17g vs %.17Lg", lz, ref);
    spinx_free(ws);
}
END_TEST

/* Against train_enum (the trainer's 2^N enumeration of v, N <= 20):
 * log Z and <v_i Gamma'(I_mu)> = <v_i h_mu>, <v_i>, for N = 16 and 20. */
START_TEST(test_vs_enum)
{
    char err[SYM_ERRLEN];
    gsl_rng *r = rng_alloc(23, RNG_STREAM_AUX);
    const size_t Ns[] = {16, 20}, Ms[] = {3, 2};
    for (size_t k = 0; k < 2; k++) {
        size_t N = Ns[k], M = Ms[k];
        double w[3 * 20], g[20], mw[3 * 20], mg[20], rw[3 * 20], rg[20];
        fill(r, w, M * N, 0.8);
        fill(r, g, N, 0.4);
        unit_params u;
        unit_params_default(&u, &unit_spin);
        u.theta_p = -0.3;
        spinx_ws *ws;
        ck_assert_int_eq(spinx_alloc(&ws, N, M, err), SYM_OK);
        double lz, rz;
        ck_assert_int_eq(spinx_eval(ws, w, g, u.theta_p, &lz, mw, mg, err), SYM_OK);
        ck_assert_int_eq(train_enum(N, M, &u, w, g, &rz, rw, rg, err), SYM_OK);
        ck_assert_msg(fabs(lz - rz) <= TOL_ENUM * fabs(rz), "N %zu: %.17g vs %.17g", N, lz, rz);
        near_max("<v h> vs enum", mw, rw, M * N, TOL_ENUM);
        near_max("<v> vs enum", mg, rg, N, TOL_ENUM);
        spinx_free(ws);
    }
    gsl_rng_free(r);
}
END_TEST

static train_config spin_config(size_t N, size_t M, train_term term, double theta)
{
    train_config c = {0};
    c.N = N;
    c.M = M;
    unit_params_default(&c.unit, &unit_spin);
    c.unit.theta_p = theta;
    c.term = term;
    c.chains = 50;
    c.mc_steps = 1;
    c.opt = TRAIN_SGD;
    c.lr = 0.05;
    return c;
}

/* train_loglik: through the enumeration at N = 20 (PCD, M = 2: the existing
 * path) and through the 2^M sum at N = 21 and N = 100 (M = 4), each against
 * direct long-double sums, on the training rows and on other rows. */
START_TEST(test_loglik)
{
    char err[SYM_ERRLEN];
    const size_t Ns[] = {20, 21, 100}, Ms[] = {2, 3, 4}, B = 300;
    gsl_rng *r = rng_alloc(31, RNG_STREAM_AUX);
    for (size_t k = 0; k < 3; k++) {
        size_t N = Ns[k], M = Ms[k];
        double *w = malloc(M * N * sizeof *w), *g = malloc(N * sizeof *g);
        int8_t *v = malloc(2 * B * N);
        fill(r, w, M * N, 0.3);
        fill(r, g, N, 0.2);
        for (size_t q = 0; q < 2 * B * N; q++)
            v[q] = gsl_rng_uniform(r) < 0.55 ? 1 : -1;
        train_config c = spin_config(N, M, TRAIN_PCD, 0.2);
        gsl_rng *rt = rng_alloc(1, RNG_STREAM_TRAIN);
        train_ws *ws;
        ck_assert_msg(train_alloc(&ws, &c, v, B, rt, err) == SYM_OK, "%s", err);
        for (int gz = 0; gz < 2; gz++)
            for (int half = 0; half < 2; half++) {
                const double *gp = gz ? NULL : g;
                const int8_t *vv = v + half * B * N;
                double ll = NAN;
                ck_assert_msg(train_loglik(ws, w, gp, vv, B, &ll, err) == SYM_OK, "%s", err);
                long double ref = direct_loglik(N, M, w, gp, 0.2, vv, B);
                ck_assert_msg(fabsl(ll - ref) <= 1e-11 * fabsl(ref),
                              "N %zu M %zu: loglik %.17g vs %.17Lg", N, M, ll, ref);
            }
        train_free(ws);
        gsl_rng_free(rt);
        free(w);
        free(g);
        free(v);
    }
    gsl_rng_free(r);
}
END_TEST

/* Training with the exact model term (binary, M = 3, N = 30, ising data,
 * learned fields, SGD full batch): the model term train_model_term returns
 * is the 2^M sum, and the exact log-likelihood of the training data
 * increases from w(0) to the end (and never drops by more than rounding
 * along the way: full-batch gradient ascent with a small step). */
static int record_ll(void *p, size_t k, const double *w, const double *g, char *err)
{
    (void)k;
    void **ctx = p;
    train_ws *ws = ctx[0];
    double *ll = ctx[1];
    size_t *n = ctx[2];
    const int8_t *v = ctx[3];
    size_t B = *(size_t *)ctx[4];
    return train_loglik(ws, w, g, v, B, &ll[(*n)++], err);
}

START_TEST(test_train_exact)
{
    char err[SYM_ERRLEN];
    size_t N = 30, M = 3, B = 2000, K = 400;
    ring_params p;
    ring_params_default(&p);
    ck_assert_int_eq(ring_type_find("ising", &p.type, err), SYM_OK);
    p.N = N;
    ck_assert(!ring_params_set(&p, "beta", 1.0, err));
    ring_model *m;
    ck_assert_msg(ring_alloc(&m, &p, err) == SYM_OK, "%s", err);
    int8_t *v, *vt;
    ck_assert_msg(sim_draw(m, 3, B, 0, &v, &vt, err) == SYM_OK, "%s", err);
    train_config c = spin_config(N, M, TRAIN_EXACT, 0.0);
    c.learn_fields = 1;
    gsl_rng *rt = rng_alloc(3, RNG_STREAM_TRAIN);
    train_ws *ws;
    ck_assert_msg(train_alloc(&ws, &c, v, B, rt, err) == SYM_OK, "%s", err);
    double w[90], g[30] = {0}, mw[90], mg[30], rw[90], rg[30];
    gsl_rng *r = rng_alloc(4, RNG_STREAM_AUX);
    fill(r, w, M * N, 0.1);
    gsl_rng_free(r);
    g[0] = 0.05;
    /* the trainer's model term is the sum over h */
    ck_assert_int_eq(train_model_term(ws, w, g, NULL, B, rt, mw, mg, err), SYM_OK);
    spinx_ws *sx;
    ck_assert_int_eq(spinx_alloc(&sx, N, M, err), SYM_OK);
    ck_assert_int_eq(spinx_eval(sx, w, g, 0.0, NULL, rw, rg, err), SYM_OK);
    for (size_t q = 0; q < M * N; q++)
        ck_assert(mw[q] == rw[q]);
    for (size_t i = 0; i < N; i++)
        ck_assert(mg[i] == rg[i]);
    spinx_free(sx);
    g[0] = 0.0;
    size_t snap[11], n = 0;
    for (size_t j = 0; j <= 10; j++)
        snap[j] = j * K / 10;
    double ll[11];
    void *ctx[5] = {ws, ll, &n, v, &B};
    ck_assert_msg(train_run(ws, K, snap, 11, w, g, rt, record_ll, ctx, err) == SYM_OK, "%s", err);
    ck_assert_uint_eq(n, 11);
    for (size_t j = 1; j < n; j++)
        ck_assert_msg(ll[j] >= ll[j - 1] - 1e-9, "loglik dropped at snapshot %zu: %.12g -> %.12g",
                      j, ll[j - 1], ll[j]);
    ck_assert_msg(ll[n - 1] > ll[0] + 1.0, "loglik %.6g -> %.6g: no learning", ll[0], ll[n - 1]);
    /* and the final value is the direct long-double sum */
    long double ref = direct_loglik(N, M, w, g, 0.0, v, B);
    ck_assert_msg(fabsl(ll[n - 1] - ref) <= 1e-11 * fabsl(ref), "%.17g vs %.17Lg", ll[n - 1], ref);
    train_free(ws);
    gsl_rng_free(rt);
    free(v);
    ring_free(m);
}
END_TEST

/* Which configurations take the 2^M path, and which keep their errors. */
START_TEST(test_config)
{
    char err[SYM_ERRLEN];
    train_config c = spin_config(100, 16, TRAIN_EXACT, 0.0);
    ck_assert_msg(train_config_check(&c, err) == SYM_OK, "%s", err);
    c.M = 17;
    ck_assert_int_eq(train_config_check(&c, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "M <= 16"), "%s", err);
    c.M = 2;
    unit_params_default(&c.unit, &unit_gaussian);
    ck_assert_int_eq(train_config_check(&c, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "M = 1"), "%s", err);
    unit_params_default(&c.unit, &unit_relu);
    ck_assert_int_eq(train_config_check(&c, err), SYM_EINVAL);
    /* the work bound counts the 2^M sum: 10^9 updates at M = 16, N = 100 */
    c = spin_config(100, 16, TRAIN_EXACT, 0.0);
    ck_assert_int_eq(train_plan_check(&c, 10, (size_t)1e9, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "2^M"), "%s", err);
    ck_assert_msg(train_plan_check(&c, 10, 1000, err) == SYM_OK, "%s", err);
    /* bad workspace sizes */
    spinx_ws *ws = (spinx_ws *)&c;
    ck_assert_int_eq(spinx_alloc(&ws, 10, 0, err), SYM_EINVAL);
    ck_assert_ptr_null(ws);
    ck_assert_int_eq(spinx_alloc(&ws, 10, 17, err), SYM_EINVAL);
    ck_assert_int_eq(spinx_alloc(&ws, 0, 2, err), SYM_EINVAL);
    /* a non-finite weight is an error, not a number */
    ck_assert_int_eq(spinx_alloc(&ws, 3, 2, err), SYM_OK);
    double w[6] = {0.1, 0.2, NAN, 0.3, 0.1, 0.0}, lz;
    ck_assert_int_eq(spinx_eval(ws, w, NULL, 0.0, &lz, NULL, NULL, err), SYM_ENUM);
    spinx_free(ws);
}
END_TEST

/* Large weights: no overflow (log-sum-exp) and still the brute-force
 * answer (N = 8, M = 3, weights ~ 40 per element: log Z ~ 10^3). */
START_TEST(test_large)
{
    char err[SYM_ERRLEN];
    size_t N = 8, M = 3;
    double w[24], g[8], mw[24], mg[8], rw[24], rg[8];
    gsl_rng *r = rng_alloc(41, RNG_STREAM_AUX);
    fill(r, w, M * N, 40.0);
    fill(r, g, N, 5.0);
    gsl_rng_free(r);
    spinx_ws *ws;
    ck_assert_int_eq(spinx_alloc(&ws, N, M, err), SYM_OK);
    double lz;
    ck_assert_int_eq(spinx_eval(ws, w, g, 1.5, &lz, mw, mg, err), SYM_OK);
    long double ref = brute_vh(N, M, w, g, 1.5, rw, rg);
    ck_assert(isfinite(lz) && fabsl(ref) > 500);
    ck_assert_msg(fabsl(lz - ref) <= TOL_BRUTE * fabsl(ref), "%.17g vs %.17Lg", lz, ref);
    near_max("<v h> large", mw, rw, M * N, TOL_BRUTE);
    near_max("<v> large", mg, rg, N, TOL_BRUTE);
    spinx_free(ws);
}
END_TEST

/* The acceptance: `symrbm sim` with M = 4 binary units at N = 100
 * (exact model term, hidden field theta = 0.1, fields fixed at 0); its
 * loglik column at every snapshot against L recomputed from weights.tsv
 * (read back with traj_read) and the same training samples (sim_draw, the
 * seed of the run) in long double by a direct sum over the 16 hidden
 * configurations, to 1e-8 relative.  The same with PCD (a run whose loglik
 * was nan before). */
static void acceptance(const char *term)
{
    char dir[] = "/tmp/symrbm_spinxXXXXXX";
    ck_assert(mkdtemp(dir));
    size_t N = 100, M = 4, B = 500;
    char *argv[] = {"", "sim", "--data", "ising", "--N", "100", "--beta", "1", "--B", "500",
                    "--hidden", "spin", "--M", "4", "--theta", "0.1", "--model-term", (char *)term,
                    "--optimizer", "sgd", "--lr", "0.05", "--batch", "0", "--T", "5",
                    "--snapshots", "6", "--seed", "7", "--out", dir, NULL};
    char e[1024];
    ck_assert_msg(tutil_run(argv, e, sizeof e) == 0, "sim failed: %s", e);
    char err[SYM_ERRLEN], path[300];
    ring_params p;
    ring_params_default(&p);
    ck_assert_int_eq(ring_type_find("ising", &p.type, err), SYM_OK);
    p.N = N;
    ck_assert(!ring_params_set(&p, "beta", 1.0, err));
    ring_model *m;
    ck_assert_msg(ring_alloc(&m, &p, err) == SYM_OK, "%s", err);
    int8_t *v, *vt;
    ck_assert_msg(sim_draw(m, 7, B, 0, &v, &vt, err) == SYM_OK, "%s", err);
    traj_table tw, tt;
    snprintf(path, sizeof path, "%s/weights.tsv", dir);
    ck_assert_msg(traj_read(path, &tw, err) == SYM_OK, "%s", err);
    snprintf(path, sizeof path, "%s/trajectory.tsv", dir);
    ck_assert_msg(traj_read(path, &tt, err) == SYM_OK, "%s", err);
    int wt = traj_table_col(&tw, "t"), wmu = traj_table_col(&tw, "mu"), w0 = traj_table_col(&tw, "w_0");
    int tt_t = traj_table_col(&tt, "t"), tmu = traj_table_col(&tt, "mu");
    int tll = traj_table_col(&tt, "loglik");
    ck_assert(wt >= 0 && wmu >= 0 && w0 >= 0 && tt_t >= 0 && tmu >= 0 && tll >= 0);
    ck_assert_uint_eq(tw.nrow % M, 0);
    double w[400];
    size_t checked = 0;
    for (size_t r0 = 0; r0 < tw.nrow; r0 += M) {
        double t = tw.x[r0 * tw.ncol + wt];
        for (size_t mu = 0; mu < M; mu++) {
            const double *row = tw.x + (r0 + mu) * tw.ncol;
            ck_assert(row[wt] == t && row[wmu] == (double)mu);
            memcpy(w + mu * N, row + w0, N * sizeof *w);
        }
        double ll = NAN;
        for (size_t q = 0; q < tt.nrow; q++)
            if (tt.x[q * tt.ncol + tt_t] == t && tt.x[q * tt.ncol + tmu] == 0)
                ll = tt.x[q * tt.ncol + tll];
        long double ref = direct_loglik(N, M, w, NULL, 0.1, v, B);
        ck_assert_msg(isfinite(ll) && fabsl(ll - ref) <= TOL_LOGLIK * fabsl(ref),
                      "%s t = %g: loglik %.17g, from weights.tsv %.17Lg", term, t, ll, ref);
        checked++;
    }
    ck_assert_uint_ge(checked, 5);
    traj_table_free(&tw);
    traj_table_free(&tt);
    free(v);
    ring_free(m);
}

START_TEST(test_acceptance)
{
    acceptance("exact");
    acceptance("pcd");
}
END_TEST

Suite *spinx_suite(void)
{
    Suite *s = suite_create("spinx");
    TCase *tc = tcase_create("spinx");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_brute);
    tcase_add_test(tc, test_m1_tanh);
    tcase_add_test(tc, test_vs_enum);
    tcase_add_test(tc, test_loglik);
    tcase_add_test(tc, test_train_exact);
    tcase_add_test(tc, test_config);
    tcase_add_test(tc, test_large);
    tcase_add_test(tc, test_acceptance);
    suite_add_tcase(s, tc);
    return s;
}
