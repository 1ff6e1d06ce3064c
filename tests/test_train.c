/* Tests of sim/train and `symrbm sim`: the trainer's data and model terms
 * against an independent brute-force enumeration of P(v) for tiny RBMs of
 * every hidden kind (with fields), the enumerated log-likelihood's finite
 * differences, PCD against enumeration within its Monte Carlo error, ADAM
 * against a hand-worked two-step example, bit-for-bit reproducibility, bad
 * input (exit 2), and the bridge to theory (same seed, N = 32). */
#define _GNU_SOURCE
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "core/err.h"
#include "core/ring.h"
#include "core/rng.h"
#include "core/size.h"
#include "core/traj.h"
#include "core/unit.h"
#include "sim/train.h"
#include "sim/kern_sim.h"
#include "tests/suites.h"
#include "tests/tutil.h"

#define TOL_EXACT 1e-9   /* trainer terms vs enumeration (marg claims 1e-10) */
#define TOL_FD 1e-6      /* central differences of the enumerated L          */
#define FD_STEP 1e-5
#define TOL_TANH_REL 4e-16   /* kernel tanh: a few ulp ...                    */
#define TOL_TANH_ABS 3e-16   /* ... plus the cancellation in 1 - e near f = 0   */
/* The float Gibbs kernels, in units of the float rounding 2^-24 (6e-8):
 * the field is off by <= (M + 2) 2^-24 of its magnitude |g| + sum |h w|
 * (weights rounded once, M + 1 float operations), tanh by <= 3 ulp relative
 * plus ~2 2^-24 absolute from 1 - e near f = 0; the float inputs by the
 * recursive-summation bound (N + 1) 2^-24 sum |w| (kern_sim.h). */
#define TOL_F_UNIT 0x1p-24
#define TOL_F_FIELD(M) ((double)(M) + 3.0)   /* x the field magnitude         */
#define TOL_F_TANH 8.0                        /* x (1 + |tanh|), tanh + 1 - e  */

/* The test parameters of each kind, in the order of unit_types[] (the
 * seeds below are derived from that index). */
static const struct {
    const unit_type *type;
    double gamma_p, theta_p, gamma_m, theta_m;
} KINDS[] = {
    {&unit_gaussian, 1.3, 0.2, 1.3, 0.2},
    {&unit_spin, 1.0, 0.1, 1.0, 0.1},
    {&unit_relu, 1.3, 0.2, 1.3, 0.2},
    {&unit_drelu, 1.2, 0.3, 0.8, -0.2},
};
#define NKINDS (sizeof KINDS / sizeof KINDS[0])

static unit_params kind_params(size_t k)
{
    unit_params u;
    unit_params_default(&u, KINDS[k].type);
    u.gamma_p = KINDS[k].gamma_p;
    u.theta_p = KINDS[k].theta_p;
    u.gamma_m = KINDS[k].gamma_m;
    u.theta_m = KINDS[k].theta_m;
    return u;
}

/* Independent enumeration: log Z, <v_i Gamma'(I_mu)>, <v_i> under
 * P(v) ∝ exp(g.v + sum_mu Gamma(I_mu)), two passes (max, then sums). */
static double brute(size_t N, size_t M, const unit_params *u, const double *w, const double *g,
                    double *mw, double *mg)
{
    size_t S = (size_t)1 << N;
    double *E = malloc(S * sizeof *E), mx = -INFINITY;
    for (size_t s = 0; s < S; s++) {
        double e = 0;
        for (size_t i = 0; i < N; i++)
            e += g[i] * (((s >> i) & 1) ? 1.0 : -1.0);
        for (size_t mu = 0; mu < M; mu++) {
            double I = 0;
            for (size_t i = 0; i < N; i++)
                I += w[mu * N + i] * (((s >> i) & 1) ? 1.0 : -1.0);
            e += unit_gamma(u, I);
        }
        E[s] = e;
        if (e > mx)
            mx = e;
    }
    double Z = 0;
    if (mw)
        memset(mw, 0, M * N * sizeof *mw);
    if (mg)
        memset(mg, 0, N * sizeof *mg);
    for (size_t s = 0; s < S; s++) {
        double p = exp(E[s] - mx);
        Z += p;
        for (size_t mu = 0; mu < M && mw; mu++) {
            double I = 0;
            for (size_t i = 0; i < N; i++)
                I += w[mu * N + i] * (((s >> i) & 1) ? 1.0 : -1.0);
            double d = unit_dgamma(u, I);
            for (size_t i = 0; i < N; i++)
                mw[mu * N + i] += p * d * (((s >> i) & 1) ? 1.0 : -1.0);
        }
        for (size_t i = 0; i < N && mg; i++)
            mg[i] += p * (((s >> i) & 1) ? 1.0 : -1.0);
    }
    for (size_t k = 0; mw && k < M * N; k++)
        mw[k] /= Z;
    for (size_t i = 0; mg && i < N; i++)
        mg[i] /= Z;
    free(E);
    return mx + log(Z);
}

/* Mean log-likelihood of the data by enumeration. */
static double brute_ll(size_t N, size_t M, const unit_params *u, const double *w, const double *g,
                       const int8_t *v, size_t B)
{
    double logZ = brute(N, M, u, w, g, NULL, NULL), s = 0;
    for (size_t b = 0; b < B; b++) {
        for (size_t i = 0; i < N; i++)
            s += g[i] * v[b * N + i];
        for (size_t mu = 0; mu < M; mu++) {
            double I = 0;
            for (size_t i = 0; i < N; i++)
                I += w[mu * N + i] * v[b * N + i];
            s += unit_gamma(u, I);
        }
    }
    return s / (double)B - logZ;
}

static void setup(size_t N, size_t M, size_t B, uint64_t seed, double *w, double *g, int8_t *v,
                  double scale)
{
    gsl_rng *r = rng_alloc(seed, RNG_STREAM_AUX);
    for (size_t k = 0; k < M * N; k++)
        w[k] = scale * gsl_ran_gaussian(r, 1.0);
    for (size_t i = 0; i < N; i++)
        g[i] = 0.3 * gsl_ran_gaussian(r, 1.0);
    for (size_t k = 0; k < B * N; k++)
        v[k] = gsl_rng_uniform(r) < 0.6 ? 1 : -1;
    gsl_rng_free(r);
}

static void near(const char *what, const double *a, const double *b, size_t n, double tol)
{
    double mx = 0;
    for (size_t k = 0; k < n; k++)
        mx = fmax(mx, fabs(b[k]));
    for (size_t k = 0; k < n; k++)
        ck_assert_msg(fabs(a[k] - b[k]) <= tol * fmax(mx, 1e-300), "%s[%zu]: %.15g vs %.15g", what, k,
                      a[k], b[k]);
}

/* data term (full batch and a minibatch) and model terms exact/enum vs brute */
static void check_terms(size_t kind, train_term term, size_t M)
{
    size_t N = 7, B = 40;
    char err[SYM_ERRLEN];
    double w[3 * 7], g[7], dw[3 * 7], dg[7], mw[3 * 7], mg[7], rw[3 * 7], rg[7];
    int8_t v[40 * 7];
    setup(N, M, B, 100 + (uint64_t)kind * 10 + M, w, g, v, 0.5);
    train_config c = {0};
    c.N = N; c.M = M; c.unit = kind_params(kind); c.learn_fields = 1; c.term = term;
    c.chains = 1; c.mc_steps = 1; c.opt = TRAIN_SGD; c.lr = 0.01; c.batch = 0;
    gsl_rng *r = rng_alloc(1, RNG_STREAM_TRAIN);
    train_ws *ws;
    ck_assert_int_eq(train_alloc(&ws, &c, v, B, r, err), SYM_OK);
    /* data term over all rows */
    train_data_term(ws, w, g, NULL, B, dw, dg);
    for (size_t mu = 0; mu < M; mu++)
        for (size_t i = 0; i < N; i++) {
            double s = 0;
            for (size_t b = 0; b < B; b++) {
                double I = 0;
                for (size_t j = 0; j < N; j++)
                    I += w[mu * N + j] * v[b * N + j];
                s += v[b * N + i] * unit_dgamma(&c.unit, I);
            }
            rw[mu * N + i] = s / B;
        }
    for (size_t i = 0; i < N; i++) {
        double s = 0;
        for (size_t b = 0; b < B; b++)
            s += v[b * N + i];
        rg[i] = s / B;
    }
    near("data dw", dw, rw, M * N, 1e-12);
    near("data dg", dg, rg, N, 1e-12);
    /* minibatch: rows 3, 17, 5 */
    size_t idx[3] = {3, 17, 5};
    train_data_term(ws, w, g, idx, 3, dw, dg);
    for (size_t mu = 0; mu < M; mu++)
        for (size_t i = 0; i < N; i++) {
            double s = 0;
            for (size_t q = 0; q < 3; q++) {
                double I = 0;
                for (size_t j = 0; j < N; j++)
                    I += w[mu * N + j] * v[idx[q] * N + j];
                s += v[idx[q] * N + i] * unit_dgamma(&c.unit, I);
            }
            rw[mu * N + i] = s / 3;
        }
    near("minibatch dw", dw, rw, M * N, 1e-12);
    /* model term */
    ck_assert_int_eq(train_model_term(ws, w, g, NULL, B, r, mw, mg, err), SYM_OK);
    brute(N, M, &c.unit, w, g, rw, rg);
    near("model mw", mw, rw, M * N, TOL_EXACT);
    near("model mg", mg, rg, N, TOL_EXACT);
    /* exact log-likelihood */
    double ll;
    ck_assert_int_eq(train_loglik(ws, w, g, v, B, &ll, err), SYM_OK);
    double ref = brute_ll(N, M, &c.unit, w, g, v, B);
    ck_assert_msg(fabs(ll - ref) <= 1e-9 * fabs(ref), "loglik %.15g vs %.15g", ll, ref);
    train_free(ws);
    gsl_rng_free(r);
}

START_TEST(test_terms_enum)
{
    for (size_t k = 0; k < NKINDS; k++)
        check_terms(k, TRAIN_ENUM, 3);
}
END_TEST

START_TEST(test_terms_exact)
{
    for (size_t k = 0; k < NKINDS; k++)
        check_terms(k, TRAIN_EXACT, 1);
}
END_TEST

/* the gradient equals central finite differences of the enumerated L */
START_TEST(test_fd_loglik)
{
    size_t N = 6, M = 2, B = 30;
    char err[SYM_ERRLEN];
    for (size_t k = 0; k < NKINDS; k++) {
        double w[12], g[6], dw[12], dg[6], mw[12], mg[6];
        int8_t v[30 * 6];
        setup(N, M, B, 7 + (uint64_t)k, w, g, v, 0.4);
        train_config c = {0};
        c.N = N; c.M = M; c.unit = kind_params(k); c.learn_fields = 1;
        c.term = TRAIN_ENUM; c.opt = TRAIN_SGD; c.lr = 0.01;
        train_ws *ws;
        ck_assert_int_eq(train_alloc(&ws, &c, v, B, NULL, err), SYM_OK);
        train_data_term(ws, w, g, NULL, B, dw, dg);
        ck_assert_int_eq(train_model_term(ws, w, g, NULL, B, NULL, mw, mg, err), SYM_OK);
        for (size_t q = 0; q < M * N + N; q++) {
            double *x = q < M * N ? &w[q] : &g[q - M * N];
            double x0 = *x;
            *x = x0 + FD_STEP;
            double lp = brute_ll(N, M, &c.unit, w, g, v, B);
            *x = x0 - FD_STEP;
            double lm = brute_ll(N, M, &c.unit, w, g, v, B);
            *x = x0;
            double fd = (lp - lm) / (2 * FD_STEP);
            double gr = q < M * N ? dw[q] - mw[q] : dg[q - M * N] - mg[q - M * N];
            ck_assert_msg(fabs(fd - gr) <= TOL_FD * fmax(fabs(gr), 1e-3),
                          "%s param %zu: FD %.12g vs gradient %.12g",
                          KINDS[k].type->name, q, fd, gr);
        }
        train_free(ws);
    }
}
END_TEST

/* PCD on N = 8: the mean of K independent-ish estimates (each over many
 * chains, 60 Gibbs steps apart so that successive estimates are nearly
 * independent even for the slow-mixing gaussian unit) is within 5 SE of the
 * enumerated model term, for each hidden kind. */
START_TEST(test_pcd_vs_enum)
{
    size_t N = 8, M = 2, B = 10, K = 20;
    char err[SYM_ERRLEN];
    for (size_t kind = 0; kind < NKINDS; kind++) {
        double w[16], g[8], mw[16], mg[8], rw[16], rg[8], s1[16] = {0}, s2[16] = {0};
        int8_t v[80];
        setup(N, M, B, 55 + (uint64_t)kind, w, g, v, 0.35);
        train_config c = {0};
        c.N = N; c.M = M; c.unit = kind_params(kind); c.term = TRAIN_PCD;
        c.chains = 2000; c.mc_steps = 60; c.opt = TRAIN_SGD; c.lr = 0.01;
        gsl_rng *r = rng_alloc(9 + (uint64_t)kind, RNG_STREAM_TRAIN);
        train_ws *ws;
        ck_assert_int_eq(train_alloc(&ws, &c, v, B, r, err), SYM_OK);
        /* burn-in */
        ck_assert_int_eq(train_model_term(ws, w, g, NULL, B, r, mw, mg, err), SYM_OK);
        for (size_t k = 0; k < K; k++) {
            ck_assert_int_eq(train_model_term(ws, w, g, NULL, B, r, mw, mg, err), SYM_OK);
            for (size_t q = 0; q < M * N; q++) {
                s1[q] += mw[q];
                s2[q] += mw[q] * mw[q];
            }
        }
        brute(N, M, &c.unit, w, g, rw, rg);
        for (size_t q = 0; q < M * N; q++) {
            double m = s1[q] / K, var = (s2[q] / K - m * m) * K / (K - 1);
            double se = sqrt(var / K);
            ck_assert_msg(fabs(m - rw[q]) <= 5 * se + 1e-12, "%s <v h>[%zu]: PCD %.6g vs exact %.6g (SE %.2g)",
                          KINDS[kind].type->name, q, m, rw[q], se);
        }
        train_free(ws);
        gsl_rng_free(r);
    }
}
END_TEST

/* ---- the vector kernels of sim/kern_sim against plain loops ---- */

/* Inputs, outer products and correlation counts for every group/remainder
 * path (M = 1..9, rows 1..9, odd N), against straightforward sums (long
 * double for the real ones, exact for the integer counts). */
START_TEST(test_kern_products)
{
    gsl_rng *r = rng_alloc(21, RNG_STREAM_AUX);
    const size_t Ns[] = {1, 3, 7, 37, 101};
    for (size_t a = 0; a < sizeof Ns / sizeof Ns[0]; a++) {
        size_t N = Ns[a];
        for (size_t M = 1; M <= 9; M++) {
            double *w = malloc(M * N * sizeof *w), *X = malloc(9 * N * sizeof *X);
            double *H = malloc(9 * M * sizeof *H), *acc = malloc(M * N * sizeof *acc), I[9];
            int8_t *x8 = malloc(9 * N);
            for (size_t k = 0; k < M * N; k++)
                w[k] = gsl_ran_gaussian(r, 1.0);
            for (size_t k = 0; k < 9 * N; k++)
                x8[k] = gsl_rng_uniform(r) < 0.5 ? -1 : 1;
            for (size_t k = 0; k < 9 * M; k++)
                H[k] = gsl_ran_gaussian(r, 1.0);
            kern_sim_to_double(9 * N, x8, X);
            for (size_t k = 0; k < 9 * N; k++)
                ck_assert(X[k] == (double)x8[k]);
            double IB[9 * 9];
            kern_sim_inputs_block(N, M, 9, w, X, IB);
            for (size_t c = 0; c < 9; c++) {
                kern_sim_inputs(N, M, w, X + c * N, I);
                for (size_t mu = 0; mu < M; mu++) {
                    ck_assert_msg(fabs(IB[c * M + mu] - I[mu]) <= 1e-15 * (fabs(I[mu]) + N),
                                  "N %zu M %zu block inputs row %zu", N, M, c);
                    long double ref = 0, mag = 0;
                    for (size_t i = 0; i < N; i++) {
                        ref += (long double)w[mu * N + i] * x8[c * N + i];
                        mag += fabs(w[mu * N + i]);
                    }
                    ck_assert_msg(fabsl(I[mu] - ref) <= 1e-15L * mag, "N %zu M %zu I[%zu]: %.17g vs %.17Lg",
                                  N, M, mu, I[mu], ref);
                }
            }
            for (size_t nr = 1; nr <= 9; nr++) {
                for (size_t k = 0; k < M * N; k++)
                    acc[k] = 0.5;
                kern_sim_outer(N, M, nr, H, X, acc);
                for (size_t mu = 0; mu < M; mu++)
                    for (size_t i = 0; i < N; i++) {
                        long double ref = 0.5L, mag = 0.5L;
                        for (size_t c = 0; c < nr; c++) {
                            ref += (long double)H[c * M + mu] * x8[c * N + i];
                            mag += fabs(H[c * M + mu]);
                        }
                        ck_assert_msg(fabsl(acc[mu * N + i] - ref) <= 1e-15L * mag,
                                      "N %zu M %zu rows %zu outer[%zu,%zu]", N, M, nr, mu, i);
                    }
            }
            if (M == 1)   /* the correlation counts of C^, every row remainder */
                for (size_t nr = 1; nr <= 9; nr++) {
                    int32_t *blk = calloc(N * N, sizeof *blk);
                    kern_sim_corr_accum(N, nr, x8, blk);
                    for (size_t i = 0; i < N; i++)
                        for (size_t j = i; j < N; j++) {
                            int32_t ref = 0;
                            for (size_t c = 0; c < nr; c++)
                                ref += x8[c * N + i] * x8[c * N + j];
                            ck_assert_msg(blk[i * N + j] == ref, "N %zu rows %zu C[%zu,%zu] %d vs %d", N,
                                          nr, i, j, (int)blk[i * N + j], (int)ref);
                        }
                    free(blk);
                }
            free(w); free(X); free(H); free(acc); free(x8);
        }
    }
    gsl_rng_free(r);
}
END_TEST

/* The float visible half-step against libm's tanh of the double field,
 * within the float error bound (TOL_F_*), for every M path with and
 * without fields; the sign at u = 1/2 wherever |tanh| exceeds the bound;
 * and over K draws each site is +1 with frequency (1 + tanh f_i)/2 within
 * 5 standard errors.  Also the float conversions (exact for +-1). */
START_TEST(test_kern_visible_f)
{
    gsl_rng *r = rng_alloc(24, RNG_STREAM_AUX);
    const size_t N = 37, K = 20000;
    double w[9 * 37], g[37], h[9], f[37], u[37 + KERN_SIM_UCHUNK];
    float wf[9 * 37], gf[37], sf[37];
    int8_t x[37];
    for (size_t M = 1; M <= 9; M++) {
        for (size_t k = 0; k < M * N; k++)
            w[k] = 0.3 * gsl_ran_gaussian(r, 1.0);
        for (size_t i = 0; i < N; i++)
            g[i] = 0.2 * gsl_ran_gaussian(r, 1.0);
        for (size_t mu = 0; mu < M; mu++)
            h[mu] = gsl_rng_uniform(r) < 0.5 ? -1.0 : 1.0;
        kern_sim_to_float(M * N, w, wf);
        kern_sim_to_float(N, g, gf);
        for (size_t k = 0; k < M * N; k++)
            ck_assert(wf[k] == (float)w[k]);
        for (int withg = 0; withg < 2; withg++) {
            for (size_t i = 0; i < N; i++)
                u[i] = 0.5;
            kern_sim_visible_f(N, M, wf, withg ? gf : NULL, h, u, x, sf, f);
            for (size_t i = 0; i < N; i++) {
                double s = withg ? g[i] : 0.0, mag = withg ? fabs(g[i]) : 0.0;
                for (size_t mu = 0; mu < M; mu++) {
                    s += h[mu] * w[mu * N + i];
                    mag += fabs(h[mu] * w[mu * N + i]);
                }
                double ref = tanh(s);
                double tol = TOL_F_UNIT * (TOL_F_FIELD(M) * mag + TOL_F_TANH * (1 + fabs(ref)));
                ck_assert_msg(fabs(f[i] - ref) <= tol, "M %zu E[v_%zu|h] %.17g vs tanh %.17g (tol %.1e)",
                              M, i, f[i], ref, tol);
                if (fabs(ref) > tol)   /* u = 1/2: the likelier sign */
                    ck_assert(x[i] == (ref > 0 ? 1 : -1));
            }
        }
    }
    size_t M = 6;
    long cnt[37] = {0};
    kern_sim_rng q;
    kern_sim_rng_seed(&q, r);
    for (size_t k = 0; k < K; k++) {
        kern_sim_uniform(&q, u, N);
        kern_sim_visible_f(N, M, wf, gf, h, u, x, sf, f);
        for (size_t i = 0; i < N; i++)
            cnt[i] += x[i] > 0;
    }
    for (size_t i = 0; i < N; i++) {
        double s = g[i];
        for (size_t mu = 0; mu < M; mu++)
            s += h[mu] * w[mu * N + i];
        double p = 0.5 * (1 + tanh(s)), se = sqrt(p * (1 - p) / K);
        ck_assert_msg(fabs(cnt[i] / (double)K - p) <= 5 * se, "site %zu: P(+1) %.5f vs %.5f (SE %.1e)", i,
                      cnt[i] / (double)K, p, se);
    }
    gsl_rng_free(r);
}
END_TEST

/* The float inputs of the chains' hidden draws against long-double sums
 * within (N + 1) 2^-24 sum |w| (every M and row-count path, odd N). */
START_TEST(test_kern_inputs_f)
{
    gsl_rng *r = rng_alloc(25, RNG_STREAM_AUX);
    const size_t Ns[] = {1, 3, 7, 37, 101};
    for (size_t a = 0; a < sizeof Ns / sizeof Ns[0]; a++) {
        size_t N = Ns[a];
        for (size_t M = 1; M <= 9; M++) {
            double *w = malloc(M * N * sizeof *w), I[9 * 9];
            float *wf = malloc(M * N * sizeof *wf), *Xf = malloc(9 * N * sizeof *Xf);
            int8_t *x8 = malloc(9 * N);
            for (size_t k = 0; k < M * N; k++)
                w[k] = gsl_ran_gaussian(r, 1.0);
            for (size_t k = 0; k < 9 * N; k++)
                x8[k] = gsl_rng_uniform(r) < 0.5 ? -1 : 1;
            kern_sim_to_float(M * N, w, wf);
            kern_sim_i8_to_float(9 * N, x8, Xf);
            for (size_t k = 0; k < 9 * N; k++)
                ck_assert(Xf[k] == (float)x8[k]);
            for (size_t nr = 1; nr <= 9; nr++) {
                for (size_t k = 0; k < 9 * 9; k++)
                    I[k] = NAN;
                kern_sim_inputs_block_f(N, M, nr, wf, Xf, I);
                for (size_t c = 0; c < nr; c++)
                    for (size_t mu = 0; mu < M; mu++) {
                        long double ref = 0, mag = 0;
                        for (size_t i = 0; i < N; i++) {
                            ref += (long double)w[mu * N + i] * x8[c * N + i];
                            mag += fabs(w[mu * N + i]);
                        }
                        double tol = TOL_F_UNIT * (double)(N + 1) * (double)mag;
                        ck_assert_msg(fabsl(I[c * M + mu] - ref) <= tol,
                                      "N %zu M %zu rows %zu I[%zu,%zu] %.17g vs %.17Lg", N, M, nr, c, mu,
                                      I[c * M + mu], ref);
                    }
            }
            free(w); free(wf); free(Xf); free(x8);
        }
    }
    gsl_rng_free(r);
}
END_TEST

/* Uniforms: multiples of 2^-32 in [0, 1); 16-bin chi-square, mean and the
 * lag-1 correlation within 5 standard errors; the spin-unit draw and
 * Gamma' of a spin unit against tanh. */
START_TEST(test_kern_uniform)
{
    gsl_rng *r = rng_alloc(23, RNG_STREAM_AUX);
    kern_sim_rng q;
    kern_sim_rng_seed(&q, r);
    const size_t n = 1 << 20;
    double *u = malloc((n + KERN_SIM_UCHUNK) * sizeof *u);
    kern_sim_uniform(&q, u, n);
    long bins[16] = {0};
    double m = 0, c1 = 0;
    for (size_t k = 0; k < n; k++) {
        ck_assert(u[k] >= 0 && u[k] < 1);
        double s = ldexp(u[k], 32);
        ck_assert(s == floor(s));
        bins[(int)(u[k] * 16)]++;
        m += u[k];
        if (k)
            c1 += (u[k] - 0.5) * (u[k - 1] - 0.5);
    }
    double chi = 0, e = n / 16.0;
    for (int b = 0; b < 16; b++)
        chi += (bins[b] - e) * (bins[b] - e) / e;
    ck_assert_msg(chi < 15 + 5 * sqrt(30.0), "chi-square %g with 15 dof", chi);
    ck_assert_msg(fabs(m / n - 0.5) <= 5 * sqrt(1.0 / 12 / n), "mean %g", m / n);
    ck_assert_msg(fabs(c1 / (n - 1)) <= 5 * (1.0 / 12) / sqrt((double)n), "lag-1 covariance %g", c1 / (n - 1));
    /* Gamma' of a spin unit and the spin draw at u = 1/2 */
    double I[64], out[64], hh[64], half[64];
    for (int k = 0; k < 64; k++) {
        I[k] = (k - 32) * 0.37;
        half[k] = 0.5;
    }
    kern_sim_tanh(64, 0.1, I, out);
    kern_sim_spin_draw(64, 0.1, I, half, hh);
    for (int k = 0; k < 64; k++) {
        double ref = tanh(I[k] - 0.1);
        ck_assert_msg(fabs(out[k] - ref) <= TOL_TANH_REL * fabs(ref) + TOL_TANH_ABS, "tanh(%g) %.17g vs %.17g",
                      I[k] - 0.1, out[k], ref);
        ck_assert(hh[k] == (ref >= 0 ? 1.0 : -1.0));
    }
    free(u);
    gsl_rng_free(r);
}
END_TEST

/* two ADAM steps worked by hand (x0 = (1, -2), lr 0.1, gradients (0.5, -0.1)
 * then (-0.3, 0.2)): step 1 moves each by lr g/(|g| + eps); step 2 has
 * m = (0.015, 0.011)/0.19, s = (0.00033975, 0.0000499...)/0.001999. */
START_TEST(test_adam_hand)
{
    double x[2] = {1.0, -2.0}, m[2] = {0, 0}, s[2] = {0, 0};
    double g1[2] = {0.5, -0.1}, g2[2] = {-0.3, 0.2};
    train_adam_step(x, g1, m, s, 2, 1, 0.1);
    ck_assert(fabs(x[0] - 1.099999998) < 1e-15);
    ck_assert(fabs(x[1] - (-2.09999999)) < 1e-14);
    train_adam_step(x, g2, m, s, 2, 2, 0.1);
    ck_assert_msg(fabs(x[0] - 1.1191498010582246) < 1e-13, "x0 = %.17g", x[0]);
    ck_assert_msg(fabs(x[1] - (-2.0633896396115112)) < 1e-13, "x1 = %.17g", x[1]);
}
END_TEST

START_TEST(test_snapshots)
{
    size_t out[12];
    double tb[12];
    size_t n = train_snapshots(1000, 0.01, 10, 0, tb, out);
    ck_assert_uint_eq(out[0], 0);
    ck_assert_uint_eq(out[n - 1], 1000);
    for (size_t k = 1; k < n; k++)
        ck_assert(out[k] > out[k - 1]);
    n = train_snapshots(10, 0.01, 10, 1, tb, out);
    ck_assert_uint_eq(n, 11);   /* linear: every update */
}
END_TEST

/* ---- through the program ---- */

START_TEST(test_same_seed)
{
    char d1[] = "/tmp/symrbm_trainAXXXXXX", d2[] = "/tmp/symrbm_trainBXXXXXX";
    ck_assert(mkdtemp(d1) && mkdtemp(d2));
    const char *dirs[2] = {d1, d2};
    for (int k = 0; k < 2; k++) {
        char *argv[] = {"", "sim", "--data", "ising", "--N", "12", "--beta", "0.8", "--B", "300",
                        "--hidden", "spin", "--M", "2", "--model-term", "pcd", "--chains", "50",
                        "--optimizer", "adam", "--batch", "32", "--epochs", "4", "--fields", "learn",
                        "--seed", "5", "--snapshots", "10", "--out", (char *)dirs[k], NULL};
        char e[512];
        ck_assert_msg(tutil_run(argv, e, sizeof e) == 0, "sim failed: %s", e);
    }
    const char *files[] = {"trajectory.tsv", "weights.tsv", "summary.tsv"};
    for (int f = 0; f < 3; f++) {
        char p1[256], p2[256];
        snprintf(p1, sizeof p1, "%s/%s", d1, files[f]);
        snprintf(p2, sizeof p2, "%s/%s", d2, files[f]);
        size_t n1, n2;
        char *a = tutil_slurp(p1, &n1), *b = tutil_slurp(p2, &n2);
        ck_assert_msg(a && b, "missing %s", files[f]);
        (void)n1;
        (void)n2;
        /* line by line; only the output directory (argv, out), the run id
         * and wall_s may differ */
        char *sa, *sb, *la = strtok_r(a, "\n", &sa), *lb = strtok_r(b, "\n", &sb);
        size_t lines = 0;
        while (la && lb) {
            if (strncmp(la, "# argv=", 7) && strncmp(la, "# run=", 6) && strncmp(la, "# out=", 6) &&
                strncmp(la, "wall_s", 6))
                ck_assert_msg(!strcmp(la, lb), "%s: '%.80s' vs '%.80s'", files[f], la, lb);
            la = strtok_r(NULL, "\n", &sa);
            lb = strtok_r(NULL, "\n", &sb);
            lines++;
        }
        ck_assert_msg(!la && !lb && lines > 10, "%s: different line counts", files[f]);
        free(a);
        free(b);
    }
}
END_TEST

START_TEST(test_bad_input)
{
    char dir[] = "/tmp/symrbm_trainBadXXXXXX";
    ck_assert(mkdtemp(dir));
    char bad[300];
    snprintf(bad, sizeof bad, "%s/bad.txt", dir);
    FILE *fp = fopen(bad, "w");
    fprintf(fp, "# data=ising\n1 -1 1 1\n1 0 1 -1\n");
    fclose(fp);
    char out[300];
    snprintf(out, sizeof out, "%s/out", dir);
#define A(...) {"", "sim", __VA_ARGS__, "--out", out, NULL}
    char *cases[][24] = {
        A("--N", "2"),
        A("--beta", "-1"),
        A("--data", "bump", "--eps", "0.7"),
        A("--B", "0"),
        A("--M", "2", "--model-term", "exact"),
        A("--N", "30", "--model-term", "enum"),
        A("--hidden", "potts"),
        A("--bogus", "1"),
        A("--data-file", "/nonexistent/file.txt"),
        A("--data-file", bad),
        A("--gamma", "0"),
        A("--lr", "0"),
        A("--T", "1", "--epochs", "2"),
        A("--model-term", "pcd", "--chains", "0"),
        A("--model-term", "cd", "--mc-steps", "0"),
        A("--threads", "0"),
        A("--threads", "65"),
        A("--data", "xy", "--threads", "2"),
        /* weights blow up: NaN/Inf during the run */
        A("--N", "8", "--B", "50", "--hidden", "gaussian", "--gamma", "0.05", "--model-term", "enum",
          "--lr", "5", "--T", "5000"),
    };
#undef A
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char e[1024];
        int rc = tutil_run(cases[k], e, sizeof e);
        ck_assert_msg(rc == 2, "case %zu (%s %s): exit %d, stderr '%s'", k, cases[k][2], cases[k][3], rc, e);
        size_t nl = 0;
        for (char *p = e; *p; p++)
            nl += *p == '\n';
        ck_assert_msg(strlen(e) > 10 && nl == 1, "case %zu: want one line on stderr, got '%s'", k, e);
        char tp[400];
        snprintf(tp, sizeof tp, "%s/trajectory.tsv", out);
        ck_assert_msg(access(tp, F_OK) != 0, "case %zu left %s", k, tp);
    }
    /* --help is not an error */
    char *help[] = {"", "sim", "--help", NULL};
    ck_assert_int_eq(tutil_run(help, NULL, 0), 0);
}
END_TEST

/* Linear interpolation of column y at x in a table sorted by x (rows mu = 0). */
static double interp(const traj_table *t, int cx, int cy, int cmu, double x)
{
    double px = NAN, py = NAN;
    for (size_t r = 0; r < t->nrow; r++) {
        const double *row = t->x + r * t->ncol;
        if (cmu >= 0 && row[cmu] != 0)
            continue;
        if (row[cx] >= x) {
            if (isnan(px) || row[cx] == x)
                return row[cy];
            return py + (row[cy] - py) * (x - px) / (row[cx] - px);
        }
        px = row[cx];
        py = row[cy];
    }
    return NAN;
}

/* The bridge: sim (exact model term, SGD, full batch, B = 2x10^5) follows
 * theory's norm2(t) from the same seed.  Two errors separate them:
 * finite B (the top eigenvalue of C^ differs from lambda_max by ~ lambda_max
 * sqrt(2/B), so log norm2 drifts by ~ 2 t lambda_max sqrt(2/B), allowed 4x)
 * and Euler steps of lr (log norm2 lags by ~ lr lambda_max^2 t, allowed 2x). */
START_TEST(test_theory_bridge)
{
    char dir[] = "/tmp/symrbm_bridgeXXXXXX";
    ck_assert(mkdtemp(dir));
    char th[300], sm[300];
    snprintf(th, sizeof th, "%s/theory", dir);
    snprintf(sm, sizeof sm, "%s/sim", dir);
    const double beta = 0.5, T = 4, lr = 0.01;
    const double B = 2e5;
    char *ta[] = {"", "theory", "--data", "ising", "--N", "32", "--beta", "0.5", "--T", "4",
                  "--seed", "3", "--snapshots", "40", "--out", th, NULL};
    char e[1024];
    ck_assert_msg(tutil_run(ta, e, sizeof e) == 0, "theory failed: %s", e);
    char *sa[] = {"", "sim", "--data", "ising", "--N", "32", "--beta", "0.5", "--B", "200000",
                  "--hidden", "gaussian", "--M", "1", "--model-term", "exact", "--optimizer", "sgd",
                  "--lr", "0.01", "--batch", "0", "--T", "4", "--seed", "3", "--snapshots", "40",
                  "--theory", th, "--out", sm, NULL};
    ck_assert_msg(tutil_run(sa, e, sizeof e) == 0, "sim failed: %s", e);
    char p[400];
    traj_table a, b;
    char err[SYM_ERRLEN];
    snprintf(p, sizeof p, "%s/trajectory.tsv", th);
    ck_assert_msg(traj_read(p, &a, err) == 0, "%s", err);
    snprintf(p, sizeof p, "%s/trajectory.tsv", sm);
    ck_assert_msg(traj_read(p, &b, err) == 0, "%s", err);
    int at = traj_table_col(&a, "t"), an = traj_table_col(&a, "norm2"), amu = traj_table_col(&a, "mu");
    int bt = traj_table_col(&b, "t"), bn = traj_table_col(&b, "norm2");
    ck_assert(at >= 0 && an >= 0 && bt >= 0 && bn >= 0);
    /* ising, beta: lambda_max = sum_r C(r) at N = 32 */
    double tb = tanh(beta), lmax = 0;
    for (int r = 0; r < 32; r++)
        lmax += (pow(tb, r) + pow(tb, 32 - r)) / (1 + pow(tb, 32));
    size_t compared = 0;
    for (size_t r = 0; r < b.nrow; r++) {
        double t = b.x[r * b.ncol + bt], ns = b.x[r * b.ncol + bn];
        double nt = interp(&a, at, an, amu, t);
        if (!isfinite(nt))
            continue;
        double tol = 4 * 2 * t * lmax * sqrt(2 / B) + 2 * lr * lmax * lmax * t + 1e-3;
        ck_assert_msg(fabs(log(ns / nt)) <= tol, "t = %g: norm2 sim %g vs theory %g (tol %g in log)",
                      t, ns, nt, tol);
        compared++;
    }
    ck_assert_uint_ge(compared, 20);
    traj_table_free(&a);
    traj_table_free(&b);
    (void)T;
}
END_TEST

/* ---- sizes, work and divergence (issue 7) ---- */

static train_config small_config(size_t N, size_t M, const unit_type *t, train_term term)
{
    train_config c = {0};
    c.N = N;
    c.M = M;
    unit_params_default(&c.unit, t);
    c.term = term;
    c.chains = 100;
    c.mc_steps = 1;
    c.opt = TRAIN_SGD;
    c.lr = 0.01;
    return c;
}

START_TEST(test_updates_overflow)
{
    char err[SYM_ERRLEN];
    train_config c = small_config(10, 1, &unit_gaussian, TRAIN_EXACT);
    const size_t Bs[] = {1, 7, 64, 1000}, batches[] = {0, 1, 3, 64, 5000};
    const size_t epochs[] = {1, 2, 17, 1000000};
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 5; j++)
            for (size_t e = 0; e < 4; e++) {
                c.batch = batches[j];
                size_t per = (c.batch == 0 || c.batch >= Bs[i]) ? 1 : (Bs[i] + c.batch - 1) / c.batch;
                size_t K = 0;
                ck_assert_int_eq(train_updates(&c, Bs[i], epochs[e], &K, err), SYM_OK);
                ck_assert_uint_eq(K, epochs[e] * per);
            }
    /* the case: 2^58 epochs x 64 updates wrapped to 0 updates */
    c.batch = 1;
    size_t K = 99;
    ck_assert_int_eq(train_updates(&c, 64, (size_t)288230376151711744ULL, &K, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "overflows"), "%s", err);
    ck_assert_int_eq(train_updates(&c, 64, 0, &K, err), SYM_EINVAL);
    ck_assert_int_eq(train_updates(&c, 0, 1, &K, err), SYM_EINVAL);
}
END_TEST

START_TEST(test_size_checks)
{
    char err[SYM_ERRLEN] = "";
    /* M x N x 8 bytes wraps size_t: refused by the config check */
    train_config c = small_config(4, (size_t)576460752303423488ULL, &unit_spin, TRAIN_PCD);
    ck_assert_int_eq(train_config_check(&c, err), SYM_ENOMEM);
    ck_assert_msg(strstr(err, "GB") && strstr(err, "this machine"), "%s", err);
    /* N = 10^6 gaussian, full batch: C^ alone is 10^12 doubles */
    c = small_config(1000000, 1, &unit_gaussian, TRAIN_EXACT);
    ck_assert(sym_mem_total() < (size_t)8e12);
    ck_assert_int_eq(train_config_check(&c, err), SYM_ENOMEM);
    ck_assert_msg(strstr(err, "N*N"), "%s", err);
    c.batch = 100;   /* minibatches: no C^, and the rest fits */
    ck_assert_msg(train_config_check(&c, err) == SYM_OK, "%s", err);
    /* B x N wraps: train_alloc refuses before touching the data */
    c = small_config(256, 1, &unit_gaussian, TRAIN_EXACT);
    ck_assert_int_eq(train_config_check(&c, err), SYM_OK);
    int8_t dummy = 1;
    train_ws *ws = (train_ws *)&dummy;
    ck_assert_int_eq(train_alloc(&ws, &c, &dummy, (size_t)72057594037927936ULL, NULL, err),
                     SYM_ENOMEM);
    ck_assert_ptr_null(ws);
    ck_assert_msg(strstr(err, "B*N"), "%s", err);
    ck_assert_int_eq(train_plan_check(&c, (size_t)72057594037927936ULL, 10, err), SYM_ENOMEM);
    /* Gibbs steps beyond the bound, for any model term */
    c.mc_steps = (size_t)1e12;
    ck_assert_int_eq(train_config_check(&c, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "mc_steps"), "%s", err);
}
END_TEST

START_TEST(test_plan_work)
{
    char err[SYM_ERRLEN] = "";
    size_t N = 100, B = 1000;
    train_config c = small_config(N, 1, &unit_gaussian, TRAIN_PCD);
    /* full batch of a linear unit: the data term is C^ w (M N^2), the
     * model term 2 mc_steps chains N M */
    double per = 1.0 * N * N + 2.0 * 1 * 100 * N * 1;
    size_t K1 = (size_t)(TRAIN_WORK_MAX / per);
    ck_assert_msg(train_plan_check(&c, B, K1, err) == SYM_OK, "%s", err);
    ck_assert_int_eq(train_plan_check(&c, B, K1 + K1 / 100, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "operations") && strstr(err, "mc_steps x chains"), "%s", err);
    /* a minibatch of relu units: batch x N x M data term */
    c = small_config(N, 3, &unit_relu, TRAIN_CD);
    c.batch = 50;
    c.mc_steps = 20;
    per = 50.0 * N * 3 + 2.0 * 20 * 50 * N * 3;
    K1 = (size_t)(TRAIN_WORK_MAX / per);
    ck_assert_msg(train_plan_check(&c, B, K1, err) == SYM_OK, "%s", err);
    ck_assert_int_eq(train_plan_check(&c, B, 2 * K1, err), SYM_EINVAL);
    ck_assert_int_eq(train_plan_check(&c, 0, 1, err), SYM_EINVAL);
}
END_TEST

typedef struct {
    size_t calls;
    double max_norm2;
} watch_ctx;

static int watch(void *p, size_t k, const double *w, const double *g, char *err)
{
    (void)k; (void)g; (void)err;
    watch_ctx *c = p;
    double s = 0;
    for (size_t q = 0; q < 6; q++)
        s += w[q] * w[q];
    c->calls++;
    c->max_norm2 = fmax(c->max_norm2, s);
    return SYM_OK;
}

/* SGD with an enumerated model term: lr = 1e10 blows the weights up within a
 * few updates (SYM_ENUM, "diverged", no snapshot beyond the bound); at
 * lr = 0.05 train_run's weights are bit for bit those of the plain update
 * w += lr (data - model) done here by hand, so the check changes nothing. */
START_TEST(test_divergence)
{
    size_t N = 6, M = 1, B = 30, K = 12;
    char err[SYM_ERRLEN] = "";
    double w0[6], g[6], w[6], dw[6], mw[6];
    int8_t v[30 * 6];
    setup(N, M, B, 71, w0, g, v, 0.1);
    memset(g, 0, sizeof g);
    train_config c = small_config(N, M, &unit_gaussian, TRAIN_ENUM);
    size_t snap[12];
    for (size_t k = 0; k < K; k++)
        snap[k] = k + 1;

    c.lr = 1e10;
    train_ws *ws;
    ck_assert_int_eq(train_alloc(&ws, &c, v, B, NULL, err), SYM_OK);
    memcpy(w, w0, sizeof w);
    watch_ctx wc = {0, 0};
    ck_assert_int_eq(train_run(ws, K, snap, K, w, g, NULL, watch, &wc, err), SYM_ENUM);
    ck_assert_msg(strstr(err, "diverged at update"), "%s", err);
    ck_assert_msg(wc.max_norm2 <= TRAIN_NORM2_MAX, "a snapshot saw norm2 = %g", wc.max_norm2);
    ck_assert(wc.calls < K);
    train_free(ws);

    c.lr = 0.05;
    ck_assert_int_eq(train_alloc(&ws, &c, v, B, NULL, err), SYM_OK);
    memcpy(w, w0, sizeof w);
    ck_assert_msg(train_run(ws, K, snap, K, w, g, NULL, NULL, NULL, err) == SYM_OK, "%s", err);
    double h[6];
    memcpy(h, w0, sizeof h);
    for (size_t k = 0; k < K; k++) {
        train_data_term(ws, h, g, NULL, B, dw, NULL);
        ck_assert_int_eq(train_model_term(ws, h, g, NULL, B, NULL, mw, NULL, err), SYM_OK);
        for (size_t q = 0; q < N; q++)
            h[q] += c.lr * (dw[q] - mw[q] - c.l2 * h[q]);
    }
    for (size_t q = 0; q < N; q++)
        ck_assert_msg(w[q] == h[q], "w[%zu] = %.17g, by hand %.17g", q, w[q], h[q]);

    /* weights already beyond the bound are refused before the first update */
    for (size_t q = 0; q < N; q++)
        w[q] = 1e7;
    ck_assert_int_eq(train_run(ws, K, snap, K, w, g, NULL, NULL, NULL, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "initial weights"), "%s", err);
    train_free(ws);
}
END_TEST


/* ---- minibatch sources (train_sampling) ---------------------------------- */

static ring_model *ising_model(size_t N, double beta)
{
    ring_params rp;
    ring_params_default(&rp);
    rp.type = ring_types[0];   /* ising */
    rp.N = N;
    char err[SYM_ERRLEN];
    ck_assert_int_eq(ring_params_set(&rp, "beta", beta, err), SYM_OK);
    ring_model *m;
    ck_assert_msg(ring_alloc(&m, &rp, err) == SYM_OK, "%s", err);
    ck_assert_str_eq(m->type->name, "ising");
    return m;
}

/* epoch: each epoch's minibatches cover every row exactly once (B = 53,
 * batch 10: five of 10 and one of 3), in a new order each epoch. */
START_TEST(test_sampling_epoch)
{
    size_t N = 4, B = 53, E = 4;
    char err[SYM_ERRLEN];
    double w[4], g[4];
    int8_t v[53 * 4];
    setup(N, 1, B, 5, w, g, v, 0.1);
    train_config c = small_config(N, 1, &unit_gaussian, TRAIN_EXACT);
    c.batch = 10;
    train_ws *ws;
    gsl_rng *r = rng_alloc(9, RNG_STREAM_TRAIN);
    ck_assert_msg(train_alloc(&ws, &c, v, B, r, err) == SYM_OK, "%s", err);
    size_t first[2] = {0, 0};
    for (size_t e = 0; e < E; e++) {
        int seen[53] = {0};
        size_t total = 0;
        for (size_t u = 0; u < train_updates_per_epoch(&c, B); u++) {
            const int8_t *base;
            const size_t *idx;
            size_t nb;
            ck_assert_int_eq(train_next_batch(ws, r, &base, &idx, &nb, err), SYM_OK);
            ck_assert(base == v && idx);
            ck_assert_uint_eq(nb, u < 5 ? 10 : 3);
            if (u == 0)
                first[e % 2] = idx[0] * 1000 + idx[1];
            for (size_t b = 0; b < nb; b++)
                seen[idx[b]]++;
            total += nb;
        }
        ck_assert_uint_eq(total, B);
        for (size_t b = 0; b < B; b++)
            ck_assert_msg(seen[b] == 1, "epoch %zu: row %zu seen %d times", e, b, seen[b]);
        if (e % 2)
            ck_assert_msg(first[0] != first[1], "epoch %zu kept the previous order", e);
    }
    train_free(ws);
    gsl_rng_free(r);
}
END_TEST

/* replace: 2 10^4 draws of rows out of B = 50 are uniform (chi-square,
 * 49 degrees of freedom), and minibatches do repeat rows (with
 * replacement: a batch of 10 out of 50 has no repeat with probability
 * 0.38 only); the training stream r is not touched. */
START_TEST(test_sampling_replace)
{
    size_t N = 3, B = 50, nbat = 2000;
    char err[SYM_ERRLEN];
    double w[3], g[3];
    int8_t v[50 * 3];
    setup(N, 1, B, 6, w, g, v, 0.1);
    train_config c = small_config(N, 1, &unit_gaussian, TRAIN_EXACT);
    c.batch = 10;
    c.sampling = TRAIN_REPLACE;
    c.sampling_seed = 77;
    train_ws *ws;
    gsl_rng *r = rng_alloc(9, RNG_STREAM_TRAIN), *r0 = rng_alloc(9, RNG_STREAM_TRAIN);
    ck_assert_msg(train_alloc(&ws, &c, v, B, r, err) == SYM_OK, "%s", err);
    gsl_rng_memcpy(r0, r);
    double count[50] = {0};
    size_t repeats = 0;
    for (size_t u = 0; u < nbat; u++) {
        const int8_t *base;
        const size_t *idx;
        size_t nb;
        ck_assert_int_eq(train_next_batch(ws, r, &base, &idx, &nb, err), SYM_OK);
        ck_assert(base == v);
        ck_assert_uint_eq(nb, 10);
        int in[50] = {0};
        int rep = 0;
        for (size_t b = 0; b < nb; b++) {
            ck_assert_uint_lt(idx[b], B);
            count[idx[b]]++;
            rep |= in[idx[b]]++;
        }
        repeats += rep != 0;
    }
    double expect = (double)(nbat * 10) / (double)B, chi2 = 0;
    for (size_t b = 0; b < B; b++)
        chi2 += (count[b] - expect) * (count[b] - expect) / expect;
    double q = gsl_cdf_chisq_Q(chi2, (double)(B - 1));
    ck_assert_msg(q > 1e-4 && q < 1 - 1e-4, "chi2 = %g (49 dof), Q = %g", chi2, q);
    /* P(repeat) = 0.62 per batch: 1240 +- 22 expected */
    ck_assert_msg(repeats > 1100 && repeats < 1380, "%zu batches with a repeated row", repeats);
    ck_assert_msg(gsl_rng_get(r) == gsl_rng_get(r0), "replace sampling drew from r");
    train_free(ws);
    gsl_rng_free(r);
    gsl_rng_free(r0);
}
END_TEST

/* online: fresh samples of the model at every update, whose pair
 * averages <v_i v_j> over 400 minibatches of 50 match the exact C(|i-j|)
 * of the ising chain (z-scores with the exact variance 1 - C^2 of one
 * product), and <v_i> = 0; the rows are not the training set's. */
START_TEST(test_sampling_online)
{
    size_t N = 10, B = 20, nbat = 400, bs = 50;
    char err[SYM_ERRLEN];
    ring_model *m = ising_model(N, 0.7);
    double w[10], g[10];
    int8_t v[20 * 10];
    setup(N, 1, B, 7, w, g, v, 0.1);
    train_config c = small_config(N, 1, &unit_gaussian, TRAIN_EXACT);
    c.batch = bs;
    c.sampling = TRAIN_ONLINE;
    train_ws *ws;
    ck_assert_int_eq(train_alloc(&ws, &c, v, B, NULL, err), SYM_EINVAL);   /* no model */
    ck_assert_msg(strstr(err, "online"), "%s", err);
    c.model = m;
    c.sampling_seed = 3;
    /* a training set of 200 rows all +1: online never reads it */
    int8_t *vb = calloc(200 * N, 1);
    for (size_t k = 0; k < 200 * N; k++)
        vb[k] = 1;
    ck_assert_msg(train_alloc(&ws, &c, vb, 200, NULL, err) == SYM_OK, "%s", err);
    double pair[10][10] = {{0}}, mean[10] = {0};
    size_t n = 0;
    for (size_t u = 0; u < nbat; u++) {
        const int8_t *base;
        const size_t *idx;
        size_t nb;
        ck_assert_int_eq(train_next_batch(ws, NULL, &base, &idx, &nb, err), SYM_OK);
        ck_assert(base != vb);
        ck_assert_uint_eq(nb, bs);
        for (size_t b = 0; b < nb; b++) {
            const int8_t *x = base + idx[b] * N;
            for (size_t i = 0; i < N; i++) {
                mean[i] += x[i];
                for (size_t j = 0; j < N; j++)
                    pair[i][j] += x[i] * x[j];
            }
            n++;
        }
    }
    double zmax = 0;
    for (size_t i = 0; i < N; i++) {
        double z = mean[i] / (double)n * sqrt((double)n);
        zmax = fmax(zmax, fabs(z));
        for (size_t j = i + 1; j < N; j++) {
            size_t r = j - i;
            double C = m->C[r], est = pair[i][j] / (double)n;
            zmax = fmax(zmax, fabs(est - C) / sqrt((1 - C * C) / (double)n));
        }
    }
    /* 55 z-scores, nearby pairs correlated: 4.5 is exceeded with p ~ 4e-4 */
    ck_assert_msg(zmax < 4.5, "max |z| = %g", zmax);
    train_free(ws);
    free(vb);
    ring_free(m);
}
END_TEST

/* Online sampling at a huge batch follows the infinite-data flow: SGD of a
 * gaussian unit with the exact model term, the data term from fresh
 * samples, against the same updates with the exact data term C w of the
 * model's closed-form C(r) (no data at all).  The distance shrinks like
 * 1/sqrt(batch): batch 4000 is within 2% and at least 4x closer than
 * batch 40. */
START_TEST(test_sampling_online_flow)
{
    size_t N = 8, K = 60, B = 4000;
    char err[SYM_ERRLEN];
    ring_model *m = ising_model(N, 0.8);
    double w0[8], g[8] = {0}, wx[8], dw[8], mw[8];
    int8_t *v = calloc(B * N, 1);
    for (size_t k = 0; k < B * N; k++)
        v[k] = (k % 3) ? 1 : -1;   /* a training set that is no sample: unused */
    gsl_rng *r = rng_alloc(4, RNG_STREAM_AUX);
    for (size_t i = 0; i < N; i++)
        w0[i] = 0.5 + 0.2 * gsl_ran_gaussian(r, 1.0);
    gsl_rng_free(r);
    train_config c = small_config(N, 1, &unit_gaussian, TRAIN_EXACT);
    c.lr = 0.05;
    c.model = m;
    c.sampling = TRAIN_ONLINE;
    c.sampling_seed = 11;
    /* the exact flow, SGD steps of the same lr */
    train_ws *ws;
    ck_assert_msg(train_alloc(&ws, &c, v, B, NULL, err) == SYM_OK, "%s", err);
    memcpy(wx, w0, sizeof wx);
    for (size_t k = 0; k < K; k++) {
        for (size_t i = 0; i < N; i++) {
            dw[i] = 0;
            for (size_t j = 0; j < N; j++)
                dw[i] += m->C[(i > j ? i - j : j - i)] * wx[j];
        }
        ck_assert_int_eq(train_model_term(ws, wx, g, NULL, 0, NULL, mw, NULL, err), SYM_OK);
        for (size_t i = 0; i < N; i++)
            wx[i] += c.lr * (dw[i] - mw[i]);
    }
    train_free(ws);
    double dist[2], nx = 0;
    for (size_t i = 0; i < N; i++)
        nx += wx[i] * wx[i];
    const size_t batches[2] = {4000, 40};
    for (int t = 0; t < 2; t++) {
        double w[8];
        memcpy(w, w0, sizeof w);
        c.batch = batches[t];
        ck_assert_msg(train_alloc(&ws, &c, v, B, NULL, err) == SYM_OK, "%s", err);
        ck_assert_msg(train_run(ws, K, NULL, 0, w, g, NULL, NULL, NULL, err) == SYM_OK, "%s", err);
        train_free(ws);
        double d = 0;
        for (size_t i = 0; i < N; i++)
            d += (w[i] - wx[i]) * (w[i] - wx[i]);
        dist[t] = sqrt(d / nx);
    }
    ck_assert_msg(dist[0] < 0.02, "batch 4000: relative distance %g to the exact flow", dist[0]);
    ck_assert_msg(dist[0] * 4 < dist[1], "batch 4000: %g, batch 40: %g", dist[0], dist[1]);
    free(v);
    ring_free(m);
}
END_TEST

/* ---- the bits Gibbs kernel (train_gibbs = bits) ---- */

/* kern_sim_bern64 against the straightforward draw: build each lane's
 * 32-bit U from bit l of the 32 words and compare with its threshold --
 * identical results (same arithmetic), for random and for edge thresholds
 * (0, 1, 2^31, 2^32 - 1, equal to U) and partial lane masks. */
START_TEST(test_bits_bern_exact)
{
    gsl_rng *r = rng_alloc(21, RNG_STREAM_AUX);
    for (int trial = 0; trial < 2000; trial++) {
        uint32_t t[64];
        uint64_t words[KERN_SIM_PLANES], planes[KERN_SIM_PLANES];
        for (int k = 0; k < KERN_SIM_PLANES; k++)
            words[k] = ((uint64_t)gsl_rng_get(r) << 32) ^ (uint64_t)gsl_rng_get(r);
        for (int l = 0; l < 64; l++) {
            uint32_t U = 0;
            for (int k = 0; k < KERN_SIM_PLANES; k++)
                U |= (uint32_t)((words[k] >> l) & 1) << (31 - k);
            unsigned e = (unsigned)gsl_rng_uniform_int(r, 7);
            t[l] = e == 0 ? 0 : e == 1 ? 1 : e == 2 ? 0x80000000u : e == 3 ? UINT32_MAX
                 : e == 4 ? U : e == 5 ? U + 1 : (uint32_t)gsl_rng_get(r);
        }
        size_t n = trial % 3 ? 64 : 1 + (size_t)gsl_rng_uniform_int(r, 64);
        kern_sim_planes(n, t, planes);
        uint64_t lanes = n == 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
        size_t used;
        uint64_t got = kern_sim_bern64(planes, lanes, words, &used);
        ck_assert(used >= KERN_SIM_BERN_FIRST && used <= KERN_SIM_PLANES);
        for (size_t l = 0; l < 64; l++) {
            uint32_t U = 0;
            for (int k = 0; k < KERN_SIM_PLANES; k++)
                U |= (uint32_t)((words[k] >> l) & 1) << (31 - k);
            int want = l < n && U < t[l];
            ck_assert_msg((int)((got >> l) & 1) == want, "trial %d lane %zu: U %u t %u got %d",
                          trial, l, U, t[l], (int)((got >> l) & 1));
        }
        /* the words beyond `used` must not matter */
        uint64_t w2[KERN_SIM_PLANES];
        memcpy(w2, words, sizeof w2);
        for (size_t k = used; k < KERN_SIM_PLANES; k++)
            w2[k] = ~w2[k];
        size_t used2;
        ck_assert(kern_sim_bern64(planes, lanes, w2, &used2) == got && used2 == used);
    }
    gsl_rng_free(r);
}
END_TEST

/* Conditional frequencies of bern64 fed by kern_sim_bits against the
 * thresholds (z-scores over 40000 draws per lane), the thresholds against
 * (1 + tanh f)/2 (within the 2^-32 rounding), and the byte tables against
 * plain sums. */
START_TEST(test_bits_freq_tables)
{
    gsl_rng *r = rng_alloc(22, RNG_STREAM_AUX);
    kern_sim_rng q;
    kern_sim_rng_seed(&q, r);
    uint32_t t[64];
    double f[64];
    for (int l = 0; l < 64; l++) {
        f[l] = 3.0 * (gsl_rng_uniform(r) - 0.5);
        t[l] = kern_sim_threshold(f[l]);
        double p = (1.0 + tanh(f[l])) / 2.0;
        ck_assert_msg(fabs((double)t[l] * 0x1p-32 - p) <= 0x1p-32, "threshold %d", l);
    }
    ck_assert(kern_sim_threshold(40.0) == UINT32_MAX && kern_sim_threshold(-40.0) == 0);
    uint64_t planes[KERN_SIM_PLANES], pool[4096];
    kern_sim_planes(64, t, planes);
    size_t n1[64] = {0}, D = 40000, pos = sizeof pool / sizeof pool[0];
    for (size_t d = 0; d < D; d++) {
        if (sizeof pool / sizeof pool[0] - pos < KERN_SIM_PLANES) {
            kern_sim_bits(&q, pool, sizeof pool / sizeof pool[0]);
            pos = 0;
        }
        size_t used;
        uint64_t x = kern_sim_bern64(planes, ~(uint64_t)0, pool + pos, &used);
        pos += used;
        for (int l = 0; l < 64; l++)
            n1[l] += (x >> l) & 1;
    }
    for (int l = 0; l < 64; l++) {
        double p = (double)t[l] * 0x1p-32, z = ((double)n1[l] - D * p) / sqrt(D * p * (1 - p));
        ck_assert_msg(fabs(z) < 5.0, "lane %d: %zu of %zu, p %.6f, z %.2f", l, n1[l], D, p, z);
    }
    size_t N = 70, nbyte = (N + 7) / 8;
    double w[70], T[9 * 256];
    for (size_t i = 0; i < N; i++)
        w[i] = gsl_ran_gaussian(r, 1.0);
    kern_sim_byte_table(N, w, T);
    for (int trial = 0; trial < 200; trial++) {
        uint8_t v[9] = {0};
        double want = 0.0;
        for (size_t i = 0; i < N; i++)
            if (gsl_rng_uniform(r) < 0.5) {
                v[i / 8] |= (uint8_t)(1u << (i % 8));
                want += w[i];
            }
        ck_assert(fabs(kern_sim_byte_dot(nbyte, T, v) - want) < 1e-12);
    }
    gsl_rng_free(r);
}
END_TEST

/* The bits PCD model term against the exact one: N = 8, M = 2 by
 * enumeration (brute), and N = 70 (two words, a partial one), M = 1 with
 * fields by the exact term (core/marg); both within 5 standard errors of
 * the mean over K persistent updates, for <v h> and <v>. */
START_TEST(test_bits_pcd_vs_exact)
{
    char err[SYM_ERRLEN];
    for (int pass = 0; pass < 2; pass++) {
        size_t N = pass ? 70 : 8, M = pass ? 1 : 2, B = 10, K = 30;
        double w[140], g[70], mw[140], mg[70], rw[140], rg[70];
        double s1[210] = {0}, s2[210] = {0};
        int8_t v[700];
        setup(N, M, B, 77 + (uint64_t)pass, w, g, v, pass ? 0.15 : 0.35);
        train_config c = {0};
        c.N = N; c.M = M; c.unit = kind_params(1); c.term = TRAIN_PCD;
        c.chains = 2000; c.mc_steps = 30; c.opt = TRAIN_SGD; c.lr = 0.01;
        c.gibbs = TRAIN_GIBBS_BITS; c.learn_fields = 1;
        gsl_rng *r = rng_alloc(31 + (uint64_t)pass, RNG_STREAM_TRAIN);
        train_ws *ws;
        ck_assert_int_eq(train_alloc(&ws, &c, v, B, r, err), SYM_OK);
        ck_assert_int_eq(train_model_term(ws, w, g, NULL, B, r, mw, mg, err), SYM_OK);
        for (size_t k = 0; k < K; k++) {
            ck_assert_int_eq(train_model_term(ws, w, g, NULL, B, r, mw, mg, err), SYM_OK);
            for (size_t q = 0; q < M * N + N; q++) {
                double x = q < M * N ? mw[q] : mg[q - M * N];
                s1[q] += x;
                s2[q] += x * x;
            }
        }
        if (pass) {
            train_config e = c;
            e.term = TRAIN_EXACT; e.gibbs = TRAIN_GIBBS_FLOAT;
            train_ws *we;
            ck_assert_int_eq(train_alloc(&we, &e, v, B, r, err), SYM_OK);
            ck_assert_int_eq(train_model_term(we, w, g, NULL, B, r, rw, rg, err), SYM_OK);
            train_free(we);
        } else {
            brute(N, M, &c.unit, w, g, rw, rg);
        }
        for (size_t q = 0; q < M * N + N; q++) {
            double m = s1[q] / K, var = (s2[q] / K - m * m) * K / (K - 1);
            double se = sqrt(var / K), ex = q < M * N ? rw[q] : rg[q - M * N];
            ck_assert_msg(fabs(m - ex) <= 5 * se + 1e-12, "N %zu [%zu]: bits %.6g vs exact %.6g (SE %.2g)",
                          N, q, m, ex, se);
        }
        train_free(ws);
        gsl_rng_free(r);
    }
    /* what bits refuses */
    train_config c = {0};
    c.N = 8; c.M = 1; unit_params_default(&c.unit, &unit_spin); c.term = TRAIN_CD;
    c.chains = 10; c.mc_steps = 1; c.lr = 0.1; c.gibbs = TRAIN_GIBBS_BITS;
    ck_assert_int_eq(train_config_check(&c, err), SYM_EINVAL);
    c.term = TRAIN_PCD; c.M = TRAIN_BITS_MMAX + 1;
    ck_assert_int_eq(train_config_check(&c, err), SYM_EINVAL);
    c.M = 1; unit_params_default(&c.unit, &unit_gaussian);
    ck_assert_int_eq(train_config_check(&c, err), SYM_EINVAL);
    unit_params_default(&c.unit, &unit_spin);
    ck_assert_int_eq(train_config_check(&c, err), SYM_OK);
}
END_TEST

/* The h-mean estimate v E[h|v] (PGM's) at stationarity against enumeration
 * over (v, h), every hidden kind; and what tells it from v-mean: for one
 * binary unit with zero visible fields v-mean is tanh(w_i) at any chain
 * state (no chain noise), h-mean is not. */
START_TEST(test_pcd_hmean)
{
    size_t N = 8, M = 2, B = 10, K = 20;
    char err[SYM_ERRLEN];
    for (size_t kind = 0; kind < NKINDS; kind++) {
        double w[16], g[8], mw[16], mg[8], rw[16], rg[8], s1[16] = {0}, s2[16] = {0};
        int8_t v[80];
        setup(N, M, B, 65 + (uint64_t)kind, w, g, v, 0.35);
        train_config c = {0};
        c.N = N; c.M = M; c.unit = kind_params(kind); c.term = TRAIN_PCD;
        c.chains = 2000; c.mc_steps = 60; c.opt = TRAIN_SGD; c.lr = 0.01;
        c.estimate = TRAIN_EST_HMEAN;
        gsl_rng *r = rng_alloc(19 + (uint64_t)kind, RNG_STREAM_TRAIN);
        train_ws *ws;
        ck_assert_int_eq(train_alloc(&ws, &c, v, B, r, err), SYM_OK);
        ck_assert_int_eq(train_model_term(ws, w, g, NULL, B, r, mw, mg, err), SYM_OK);
        for (size_t k = 0; k < K; k++) {
            ck_assert_int_eq(train_model_term(ws, w, g, NULL, B, r, mw, mg, err), SYM_OK);
            for (size_t q = 0; q < M * N; q++) {
                s1[q] += mw[q];
                s2[q] += mw[q] * mw[q];
            }
        }
        brute(N, M, &c.unit, w, g, rw, rg);
        for (size_t q = 0; q < M * N; q++) {
            double m = s1[q] / K, var = (s2[q] / K - m * m) * K / (K - 1);
            double se = sqrt(var / K);
            ck_assert_msg(se > 0, "%s: h-mean estimate without noise", KINDS[kind].type->name);
            ck_assert_msg(fabs(m - rw[q]) <= 5 * se + 1e-12,
                          "%s h-mean <v h>[%zu]: PCD %.6g vs exact %.6g (SE %.2g)",
                          KINDS[kind].type->name, q, m, rw[q], se);
        }
        train_free(ws);
        gsl_rng_free(r);
    }
    /* one binary unit, g = 0: v-mean is exactly tanh(w_i) (to the float
     * kernel's field rounding), h-mean scatters around it */
    for (int est = 0; est < 2; est++) {
        size_t n = 12;
        double w[12], mw[12], d2 = 0;
        for (size_t i = 0; i < n; i++)
            w[i] = 0.3 * sin(0.7 * (double)i + 0.2);
        int8_t v[12 * 4] = {0};
        for (size_t q = 0; q < sizeof v; q++)
            v[q] = (q * 7 + 3) % 5 < 2 ? 1 : -1;
        train_config c = {0};
        c.N = n; c.M = 1; unit_params_default(&c.unit, &unit_spin); c.term = TRAIN_PCD;
        c.chains = 50; c.mc_steps = 2; c.opt = TRAIN_SGD; c.lr = 0.01;
        c.estimate = est ? TRAIN_EST_HMEAN : TRAIN_EST_VMEAN;
        gsl_rng *r = rng_alloc(5, RNG_STREAM_TRAIN);
        train_ws *ws;
        ck_assert_int_eq(train_alloc(&ws, &c, v, 4, r, err), SYM_OK);
        for (int k = 0; k < 5; k++) {
            ck_assert_int_eq(train_model_term(ws, w, NULL, NULL, 4, r, mw, NULL, err), SYM_OK);
            for (size_t i = 0; i < n; i++)
                d2 += (mw[i] - tanh(w[i])) * (mw[i] - tanh(w[i]));
        }
        if (est)
            ck_assert_msg(sqrt(d2 / 60) > 1e-3, "h-mean: rms %.3g from tanh(w)", sqrt(d2 / 60));
        else
            ck_assert_msg(sqrt(d2 / 60) < 1e-6, "v-mean: rms %.3g from tanh(w)", sqrt(d2 / 60));
        train_free(ws);
        gsl_rng_free(r);
    }
    /* what h-mean refuses: the exact term, the bits kernel */
    train_config c = {0};
    c.N = 8; c.M = 1; unit_params_default(&c.unit, &unit_spin); c.term = TRAIN_EXACT;
    c.chains = 10; c.mc_steps = 1; c.lr = 0.1; c.estimate = TRAIN_EST_HMEAN;
    ck_assert_int_eq(train_config_check(&c, err), SYM_EINVAL);
    c.term = TRAIN_PCD; c.gibbs = TRAIN_GIBBS_BITS;
    ck_assert_int_eq(train_config_check(&c, err), SYM_EINVAL);
    c.gibbs = TRAIN_GIBBS_FLOAT;
    ck_assert_int_eq(train_config_check(&c, err), SYM_OK);
    train_estimate e;
    ck_assert_int_eq(train_estimate_parse("h-mean", &e, err), SYM_OK);
    ck_assert_int_eq(e, TRAIN_EST_HMEAN);
    ck_assert_int_eq(train_estimate_parse("mean", &e, err), SYM_EINVAL);
}
END_TEST

Suite *train_suite(void)
{
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("train");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_terms_enum);
    tcase_add_test(tc, test_terms_exact);
    tcase_add_test(tc, test_fd_loglik);
    tcase_add_test(tc, test_pcd_vs_enum);
    tcase_add_test(tc, test_pcd_hmean);
    tcase_add_test(tc, test_kern_products);
    tcase_add_test(tc, test_kern_visible_f);
    tcase_add_test(tc, test_kern_inputs_f);
    tcase_add_test(tc, test_kern_uniform);
    tcase_add_test(tc, test_adam_hand);
    tcase_add_test(tc, test_snapshots);
    tcase_add_test(tc, test_same_seed);
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_theory_bridge);
    tcase_add_test(tc, test_updates_overflow);
    tcase_add_test(tc, test_size_checks);
    tcase_add_test(tc, test_plan_work);
    tcase_add_test(tc, test_divergence);
    tcase_add_test(tc, test_sampling_epoch);
    tcase_add_test(tc, test_sampling_replace);
    tcase_add_test(tc, test_sampling_online);
    tcase_add_test(tc, test_sampling_online_flow);
    tcase_add_test(tc, test_bits_bern_exact);
    tcase_add_test(tc, test_bits_freq_tables);
    tcase_add_test(tc, test_bits_pcd_vs_exact);
    suite_add_tcase(s, tc);
    return s;
}
