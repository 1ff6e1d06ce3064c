/* Suite flow_spin: M binary +-1 hidden units (theory/flow_spin.c, SPEC.md
 * 3b), against computations that share nothing with it:
 * - the data term E[v_i tanh(I - theta)], E[log 2cosh], E[sech^2] and the
 *   Jacobian-vector product E[v_i (u.v) sech^2] against enumeration of all
 *   2^N data states (ising, bump; several beta, weight norms to ~6, fields)
 *   to 1e-10 relative to the largest entry;
 * - at N = 100: against GSL's adaptive quadrature of the same q integral
 *   (a second quadrature of the characteristic function) and against Monte
 *   Carlo over the exact sampler (a z-score test; no transfer matrix);
 * - the data Jacobian against central differences of the data term; the
 *   dense one (ising, N <= FLOW_SPIN_DENSE_NMAX) also against the
 *   transfer-matrix J v and column by column against central differences;
 * - the model term <v_i h_mu>, <v_i> and the log-likelihood against
 *   enumeration of all (v, h) for small N and M <= 4 and M = 16, the model Jacobian
 *   against central differences, M = 1 without fields is tanh(w_i);
 * - the flow's right-hand side is the gradient of the enumerated exact
 *   log-likelihood (central differences), weights and fields, and its
 *   analytic J v the derivative of the right-hand side;
 * - the linear regime: modes grow at lambda_k sech^2(theta) - 1;
 * - the fixed point at N = 100, beta = 1, M = 1: one peak of height ~0.73
 *   and fwhm ~14 sites (SPEC.md 3b);
 * - bad input is refused with messages naming the parameter.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fftw3.h>
#include <gsl/gsl_integration.h>

#include "core/err.h"
#include "core/models.h"
#include "core/ring.h"
#include "core/rng.h"
#include "theory/flow.h"
#include "theory/flow_spin.h"
#include "tests/suites.h"

static ring_model *model(const ring_type *type, size_t N, double beta, double rho, double eps)
{
    ring_params rp;
    ring_params_default(&rp);
    rp.type = type;
    rp.N = N;
    rp.val[ring_key_index("beta")] = beta;
    rp.val[ring_key_index("rho")] = rho;
    rp.val[ring_key_index("eps")] = eps;
    char err[SYM_ERRLEN];
    ring_model *m;
    ck_assert_msg(ring_alloc(&m, &rp, err) == SYM_OK, "%s", err);
    return m;
}

static double spin_of(size_t s, size_t i)
{
    return ((s >> i) & 1) ? 1.0 : -1.0;
}

/* the exact data distribution by enumeration, from the definitions of
 * SPEC.md 2 (not from core/ring) */
static double *data_probs(const ring_model *m)
{
    size_t N = m->N, S = (size_t)1 << N;
    double *P = malloc(S * sizeof *P), z = 0;
    int ising = m->type == &ring_ising;
    double beta = ring_get(m, "beta"), eps = ring_get(m, "eps");
    size_t L = ring_bump_L(m);
    for (size_t s = 0; s < S; s++) {
        double p = 0;
        if (ising) {
            double e = 0;
            for (size_t i = 0; i < N; i++)
                e += spin_of(s, i) * spin_of(s, (i + 1) % N);
            p = exp(beta * e);
        } else {
            for (size_t x = 0; x < N; x++) {
                double q = 1;
                for (size_t i = 0; i < N; i++) {
                    double si = ((i + N - x) % N < L) ? 1.0 : -1.0;
                    q *= (si == spin_of(s, i)) ? 1 - eps : eps;
                }
                p += q / (double)N;
            }
        }
        P[s] = p;
        z += p;
    }
    for (size_t s = 0; s < S; s++)
        P[s] /= z;
    return P;
}

static double rel_err(const double *a, const double *b, size_t n)
{
    double big = 0, d = 0;
    for (size_t i = 0; i < n; i++) {
        big = fmax(big, fabs(b[i]));
        d = fmax(d, fabs(a[i] - b[i]));
    }
    return d / big;
}

/* a test profile: a bump of height amp plus a wiggle */
static void profile(size_t N, double amp, double phase, double *w)
{
    for (size_t i = 0; i < N; i++) {
        double x = 2.0 * M_PI * (double)i / (double)N + phase;
        w[i] = amp * (0.2 + exp(2.0 * (cos(x) - 1)) + 0.15 * sin(3.0 * (double)i + phase));
    }
}

/* ---- data term vs enumeration ---------------------------------------------- */

static void check_data_enum(const ring_model *m, double amp, double theta)
{
    size_t N = m->N, S = (size_t)1 << N;
    double *P = data_probs(m);
    double w[16], u[16], d[16], jv[16], de[16] = {0}, je[16] = {0}, lce = 0, s2e = 0;
    profile(N, amp, 0.3, w);
    for (size_t i = 0; i < N; i++)
        u[i] = cos(1.3 * (double)i) - 0.3;
    for (size_t s = 0; s < S; s++) {
        double I = -theta, uv = 0;
        for (size_t i = 0; i < N; i++) {
            I += w[i] * spin_of(s, i);
            uv += u[i] * spin_of(s, i);
        }
        double th = tanh(I), sh = 1.0 / cosh(I);
        lce += P[s] * (fabs(I) + log1p(exp(-2 * fabs(I))));
        s2e += P[s] * sh * sh;
        for (size_t i = 0; i < N; i++) {
            de[i] += P[s] * spin_of(s, i) * th;
            je[i] += P[s] * spin_of(s, i) * uv * sh * sh;
        }
    }
    double lc, s2;
    char err[SYM_ERRLEN];
    ck_assert_msg(flow_spin_data(m, w, theta, d, &lc, &s2, u, jv, err) == SYM_OK, "%s", err);
    double sw = 0;
    for (size_t i = 0; i < N; i++)
        sw += fabs(w[i]);
    const char *name = m->type->name;
    if (getenv("FLOW_SPIN_VERBOSE"))
        fprintf(stderr, "%s N=%zu amp=%g theta=%g: D %.2g, J v %.2g, log 2cosh %.2g, sech^2 %.2g\n",
                name, N, amp, theta, rel_err(d, de, N), rel_err(jv, je, N), fabs(lc / lce - 1),
                fabs(s2 / s2e - 1));
    ck_assert_msg(rel_err(d, de, N) < 1e-10, "%s N=%zu amp=%g (sum|w| = %.2f) theta=%g: D "
                  "relative error %.3g", name, N, amp, sw, theta, rel_err(d, de, N));
    ck_assert_msg(rel_err(jv, je, N) < 1e-10, "%s N=%zu amp=%g theta=%g: J v relative error %.3g",
                  name, N, amp, theta, rel_err(jv, je, N));
    ck_assert_msg(fabs(lc - lce) < 1e-12 * lce, "%s: E log 2cosh %.15g, enumeration %.15g", name,
                  lc, lce);
    ck_assert_msg(fabs(s2 - s2e) < 1e-10 * s2e, "%s: E sech^2 %.15g, enumeration %.15g", name,
                  s2, s2e);
    free(P);
}

START_TEST(test_data_ising_enum)
{
    const double betas[] = {0.3, 1.0, 2.0};
    for (size_t b = 0; b < 3; b++) {
        ring_model *m = model(&ring_ising, 12, betas[b], 0.5, 0.0);
        check_data_enum(m, 0.01, 0.0);  /* linear regime: D ~ C w */
        check_data_enum(m, 0.7, 0.0);
        check_data_enum(m, 0.7, 0.6);   /* hidden field */
        check_data_enum(m, 2.0, -1.1);  /* sum |w| ~ 13 */
        ring_free(m);
    }
    ring_model *m = model(&ring_ising, 16, 0.8, 0.5, 0.0);
    check_data_enum(m, 1.5, 0.4);       /* sum |w| ~ 14, norm2 ~ 11 */
    ring_free(m);
}
END_TEST

START_TEST(test_data_bump_enum)
{
    ring_model *m = model(&ring_bump, 12, 1.0, 0.5, 0.1);
    check_data_enum(m, 0.01, 0.0);
    check_data_enum(m, 1.0, 0.5);
    ring_free(m);
    m = model(&ring_bump, 12, 1.0, 0.3, 0.0); /* <v> != 0, no noise */
    check_data_enum(m, 0.8, -0.3);
    ring_free(m);
    m = model(&ring_bump, 14, 1.0, 0.4, 0.25);
    check_data_enum(m, 2.0, 0.2);
    ring_free(m);
}
END_TEST

/* ---- N = 100: a second quadrature, and Monte Carlo ------------------------- */

typedef struct {
    const ring_model *m;
    const double *w;
    double theta;
    size_t i;
    double *A;
} qpar;

static double q_integrand(double q, void *p)
{
    qpar *a = p;
    double Z[2];
    char err[SYM_ERRLEN];
    if (flow_spin_charfn(a->m, a->w, q, a->A, Z, err))
        return NAN;
    double re = a->A[2 * a->i], im = a->A[2 * a->i + 1];
    return (im * cos(q * a->theta) - re * sin(q * a->theta)) / sinh(0.5 * M_PI * q);
}

static void check_data_n100(const ring_model *m, double amp, double theta)
{
    size_t N = m->N;
    double *w = malloc(N * sizeof *w), *d = malloc(N * sizeof *d), *A = malloc(2 * N * sizeof *A);
    profile(N, amp, 0.0, w);
    char err[SYM_ERRLEN];
    ck_assert_msg(flow_spin_data(m, w, theta, d, NULL, NULL, NULL, NULL, err) == SYM_OK, "%s",
                  err);
    double big = 0;
    for (size_t i = 0; i < N; i++)
        big = fmax(big, fabs(d[i]));
    /* GSL's adaptive Gauss-Kronrod on [0, 40] of the half-line form */
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(2000);
    const size_t sites[] = {0, 7, N / 4, N / 2, N - 3};
    for (size_t k = 0; k < 5; k++) {
        qpar a = {m, w, theta, sites[k], A};
        gsl_function F = {q_integrand, &a};
        double r, e;
        int st = gsl_integration_qag(&F, 0.0, 40.0, 1e-14, 1e-13, 2000, GSL_INTEG_GAUSS61, ws, &r,
                                     &e);
        ck_assert_msg(st == 0, "qag status %d", st);
        ck_assert_msg(fabs(r - d[sites[k]]) < 1e-10 * big,
                      "%s N=%zu site %zu: trapezoid %.15g, qag %.15g (err est %.2g)", m->type->name,
                      N, sites[k], d[sites[k]], r, e);
    }
    gsl_integration_workspace_free(ws);

    /* Monte Carlo from the exact sampler: every site within 5 sd, and the
     * chi^2 of all N z-scores within 5 sd of its mean N */
    size_t B = 100000;
    int8_t *v = malloc(B * N);
    gsl_rng *r = rng_alloc(11, 0);
    ck_assert_int_eq(ring_sample(m, r, B, v, err), SYM_OK);
    double *s1 = calloc(N, sizeof *s1), *s2 = calloc(N, sizeof *s2);
    for (size_t b = 0; b < B; b++) {
        const int8_t *x = v + b * N;
        double I = -theta;
        for (size_t i = 0; i < N; i++)
            I += w[i] * x[i];
        double t = tanh(I);
        for (size_t i = 0; i < N; i++) {
            s1[i] += x[i] * t;
            s2[i] += t * t;
        }
    }
    double chi2 = 0;
    for (size_t i = 0; i < N; i++) {
        double mean = s1[i] / (double)B, var = s2[i] / (double)B - mean * mean;
        double z = (mean - d[i]) / sqrt(var / (double)B);
        ck_assert_msg(fabs(z) < 5, "%s site %zu: MC %.6g, exact %.6g, z = %.2f", m->type->name, i,
                      mean, d[i], z);
        chi2 += z * z;
    }
    ck_assert_msg(fabs(chi2 - (double)N) < 5 * sqrt(2.0 * (double)N), "%s: chi2 = %.1f of %zu",
                  m->type->name, chi2, N);
    gsl_rng_free(r);
    free(v);
    free(s1);
    free(s2);
    free(w);
    free(d);
    free(A);
}

START_TEST(test_data_n100)
{
    ring_model *m = model(&ring_ising, 100, 1.0, 0.5, 0.0);
    check_data_n100(m, 0.5, 0.0);
    check_data_n100(m, 0.9, 0.7);
    ring_free(m);
    m = model(&ring_bump, 100, 1.0, 0.3, 0.1);
    check_data_n100(m, 0.4, 0.3);
    ring_free(m);
}
END_TEST

/* ---- Jacobians against central differences ----------------------------------- */

static void *family_ctx(const ring_model *m, size_t M, const double *theta)
{
    unit_params u;
    unit_params_default(&u, &unit_spin);
    flow_hidden hu = {M, theta};
    flow_family_args a = {m, &u, NULL, 0, &hu, NULL};
    void *ctx;
    char err[SYM_ERRLEN];
    ck_assert_msg(flow_family_spin.alloc(&ctx, &a, err) == SYM_OK, "%s", err);
    ck_assert_uint_eq(flow_family_spin.units(ctx), M);
    return ctx;
}

START_TEST(test_jacobians_fd)
{
    const flow_family *fam = &flow_family_spin;
    const ring_type *types[] = {&ring_ising, &ring_bump};
    for (size_t ty = 0; ty < 2; ty++) {
        size_t N = 40, M = 3, MN = M * N;
        ring_model *m = model(types[ty], N, 0.9, 0.35, 0.05);
        double theta[3] = {0.0, 0.4, -0.8};
        void *ctx = family_ctx(m, M, theta);
        double *w = malloc(MN * sizeof *w), *v = malloc(MN * sizeof *v), *g = malloc(N * sizeof *g);
        double *wp = malloc(MN * sizeof *w), *wm = malloc(MN * sizeof *w);
        double *a = malloc(MN * sizeof *w), *b = malloc(MN * sizeof *w), *jv = malloc(MN * sizeof *w);
        double *fd = malloc(MN * sizeof *w), *pd = malloc(MN * sizeof *w);
        for (size_t mu = 0; mu < M; mu++)
            profile(N, 0.4 + 0.3 * (double)mu, 2.0 * (double)mu, w + mu * N);
        for (size_t k = 0; k < MN; k++)
            v[k] = sin(0.7 * (double)k) + 0.2;
        for (size_t i = 0; i < N; i++)
            g[i] = 0.2 * cos(0.3 * (double)i);
        char err[SYM_ERRLEN];
        const double h = 1e-5;
        for (size_t k = 0; k < MN; k++) {
            wp[k] = w[k] + h * v[k];
            wm[k] = w[k] - h * v[k];
        }
        /* data */
        ck_assert_msg(fam->data_jac_setup(ctx, w, pd, err) == SYM_OK, "%s", err);
        fam->data_jac_apply(ctx, v, jv);
        ck_assert_int_eq(fam->data_eval(ctx, wp, a, err), SYM_OK);
        ck_assert_int_eq(fam->data_eval(ctx, wm, b, err), SYM_OK);
        for (size_t k = 0; k < MN; k++)
            fd[k] = (a[k] - b[k]) / (2 * h);
        ck_assert_msg(rel_err(jv, fd, MN) < 1e-7, "%s: data J v vs central differences: %.3g",
                      m->type->name, rel_err(jv, fd, MN));
        /* model, fields held fixed */
        ck_assert_msg(fam->model_jac_setup(ctx, w, g, pd, err) == SYM_OK, "%s", err);
        fam->model_jac_apply(ctx, v, jv);
        ck_assert_int_eq(fam->model_eval(ctx, wp, g, a, NULL, err), SYM_OK);
        ck_assert_int_eq(fam->model_eval(ctx, wm, g, b, NULL, err), SYM_OK);
        for (size_t k = 0; k < MN; k++)
            fd[k] = (a[k] - b[k]) / (2 * h);
        ck_assert_msg(rel_err(jv, fd, MN) < 1e-7, "%s: model J v vs central differences: %.3g",
                      m->type->name, rel_err(jv, fd, MN));
        fam->free(ctx);
        ring_free(m);
        free(w);
        free(v);
        free(g);
        free(wp);
        free(wm);
        free(a);
        free(b);
        free(jv);
        free(fd);
        free(pd);
    }
}
END_TEST

/* ---- the dense data Jacobian (N <= FLOW_SPIN_DENSE_NMAX) ------------------------ */

/* The family's frozen data Jacobian at N (dense for ising N <=
 * FLOW_SPIN_DENSE_NMAX, the cached kernel beyond) against the kernel's own
 * J v (flow_spin_data: the uncached transfer-matrix route, the one the flow
 * used before the dense matrix), its columns against central differences
 * of the data term, and the preconditioner's diagonal against
 * lambda_k E[sech^2]. */
static void check_dense(size_t N, size_t M, double beta, double amp)
{
    const flow_family *fam = &flow_family_spin;
    size_t MN = M * N;
    ring_model *m = model(&ring_ising, N, beta, 0.5, 0.0);
    double theta[2] = {0.0, 0.45};
    void *ctx = family_ctx(m, M, theta);
    double *w = malloc(MN * sizeof *w), *v = malloc(MN * sizeof *w), *jv = malloc(MN * sizeof *w);
    double *ref = malloc(MN * sizeof *w), *pd = malloc(MN * sizeof *w);
    double *wp = malloc(MN * sizeof *w), *wm = malloc(MN * sizeof *w);
    double *a = malloc(MN * sizeof *w), *b = malloc(MN * sizeof *w), *e = malloc(MN * sizeof *w);
    for (size_t mu = 0; mu < M; mu++)
        profile(N, amp * (1.0 + 0.5 * (double)mu), 1.3 * (double)mu, w + mu * N);
    for (size_t k = 0; k < MN; k++)
        v[k] = cos(0.37 * (double)k) - 0.1;
    char err[SYM_ERRLEN];
    ck_assert_msg(fam->data_jac_setup(ctx, w, pd, err) == SYM_OK, "%s", err);
    fam->data_jac_apply(ctx, v, jv);
    for (size_t mu = 0; mu < M; mu++) {
        double d[FLOW_SPIN_DENSE_NMAX + 64], s2;
        ck_assert_uint_le(N, FLOW_SPIN_DENSE_NMAX + 64);
        ck_assert_msg(flow_spin_data(m, w + mu * N, theta[mu], d, NULL, &s2, v + mu * N,
                                     ref + mu * N, err) == SYM_OK,
                      "%s", err);
        for (size_t k = 0; k < N; k++)
            ck_assert_msg(fabs(pd[mu * N + k] - m->lambda[k] * s2) <= 1e-14 * fabs(m->lambda[k] * s2),
                          "N = %zu unit %zu mode %zu: preconditioner %.17g vs %.17g", N, mu, k,
                          pd[mu * N + k], m->lambda[k] * s2);
    }
    ck_assert_msg(rel_err(jv, ref, MN) < 1e-12, "N = %zu, beta = %g: J v vs the kernel's: %.3g", N,
                  beta, rel_err(jv, ref, MN));
    /* columns j of the Jacobian (unit mu's block) against central differences */
    const double h = 1e-5;
    size_t cols[3] = {0, N / 3, N - 1};
    for (size_t mu = 0; mu < M; mu++)
        for (size_t c = 0; c < 3; c++) {
            size_t j = mu * N + cols[c];
            memset(e, 0, MN * sizeof *e);
            e[j] = 1;
            fam->data_jac_apply(ctx, e, jv);
            memcpy(wp, w, MN * sizeof *w);
            memcpy(wm, w, MN * sizeof *w);
            wp[j] += h;
            wm[j] -= h;
            ck_assert_int_eq(fam->data_eval(ctx, wp, a, err), SYM_OK);
            ck_assert_int_eq(fam->data_eval(ctx, wm, b, err), SYM_OK);
            for (size_t k = 0; k < MN; k++)
                ref[k] = (a[k] - b[k]) / (2 * h);
            ck_assert_msg(rel_err(jv, ref, MN) < 1e-7,
                          "N = %zu, beta = %g, column %zu: J e_j vs central differences: %.3g", N,
                          beta, j, rel_err(jv, ref, MN));
        }
    fam->free(ctx);
    ring_free(m);
    free(w);
    free(v);
    free(jv);
    free(ref);
    free(pd);
    free(wp);
    free(wm);
    free(a);
    free(b);
    free(e);
}

START_TEST(test_dense_jacobian)
{
    check_dense(100, 2, 1.0, 0.7);  /* dense, ~15 chunks of q nodes */
    check_dense(64, 1, 0.3, 2.0);   /* dense, ~40 chunks, small tanh beta */
    check_dense(FLOW_SPIN_DENSE_NMAX + 20, 1, 1.0, 0.3); /* the cached kernel */
}
END_TEST

/* ---- model term and log-likelihood vs enumeration over (v, h) --------------- */

/* log P_rbm(v) for all v, from the joint energy summed over h explicitly */
static double *rbm_logp(size_t N, size_t M, const double *w, const double *g,
                        const double *theta)
{
    size_t S = (size_t)1 << N, H = (size_t)1 << M;
    double *lp = malloc(S * sizeof *lp), mx = -INFINITY;
    for (size_t s = 0; s < S; s++) {
        double acc = -INFINITY;
        for (size_t h = 0; h < H; h++) {
            double e = 0;
            for (size_t i = 0; i < N; i++)
                e += (g ? g[i] : 0) * spin_of(s, i);
            for (size_t mu = 0; mu < M; mu++) {
                double hm = spin_of(h, mu);
                e -= (theta ? theta[mu] : 0) * hm;
                for (size_t i = 0; i < N; i++)
                    e += w[mu * N + i] * spin_of(s, i) * hm;
            }
            acc = fmax(acc, e) + log1p(exp(-fabs(acc - e)));
        }
        lp[s] = acc;
        mx = fmax(mx, acc);
    }
    double z = 0;
    for (size_t s = 0; s < S; s++)
        z += exp(lp[s] - mx);
    for (size_t s = 0; s < S; s++)
        lp[s] -= mx + log(z);
    return lp;
}

static double loglik_enum(const double *P, size_t N, size_t M, const double *w, const double *g,
                          const double *theta)
{
    double *lp = rbm_logp(N, M, w, g, theta), L = 0;
    for (size_t s = 0; s < ((size_t)1 << N); s++)
        L += P[s] * lp[s];
    free(lp);
    return L;
}

START_TEST(test_model_loglik_enum)
{
    const flow_family *fam = &flow_family_spin;
    size_t N = 7;
    ring_model *m = model(&ring_ising, N, 0.7, 0.5, 0.0);
    double *P = data_probs(m);
    for (size_t M = 1; M <= 4; M++) {
        double theta[4] = {0.3, -0.5, 0.0, 0.9};
        double w[28], g[7], mm[28], mv[7], me[28] = {0}, mve[7] = {0};
        for (size_t k = 0; k < M * N; k++)
            w[k] = 0.6 * sin(1.1 * (double)k + 0.2 * (double)M) + 0.1;
        for (size_t i = 0; i < N; i++)
            g[i] = 0.25 * cos(0.9 * (double)i) - 0.05;
        void *ctx = family_ctx(m, M, theta);
        char err[SYM_ERRLEN];
        ck_assert_int_eq(fam->model_eval(ctx, w, g, mm, mv, err), SYM_OK);
        /* <v_i h_mu> and <v_i> from the joint distribution */
        size_t S = (size_t)1 << N, H = (size_t)1 << M;
        double z = 0, mx = -INFINITY;
        double *le = malloc(S * H * sizeof *le);
        for (size_t s = 0; s < S; s++)
            for (size_t h = 0; h < H; h++) {
                double e = 0;
                for (size_t i = 0; i < N; i++)
                    e += g[i] * spin_of(s, i);
                for (size_t mu = 0; mu < M; mu++) {
                    e -= theta[mu] * spin_of(h, mu);
                    for (size_t i = 0; i < N; i++)
                        e += w[mu * N + i] * spin_of(s, i) * spin_of(h, mu);
                }
                le[s * H + h] = e;
                mx = fmax(mx, e);
            }
        for (size_t k = 0; k < S * H; k++)
            z += exp(le[k] - mx);
        for (size_t s = 0; s < S; s++)
            for (size_t h = 0; h < H; h++) {
                double p = exp(le[s * H + h] - mx) / z;
                for (size_t i = 0; i < N; i++) {
                    mve[i] += p * spin_of(s, i);
                    for (size_t mu = 0; mu < M; mu++)
                        me[mu * N + i] += p * spin_of(s, i) * spin_of(h, mu);
                }
            }
        free(le);
        ck_assert_msg(rel_err(mm, me, M * N) < 1e-12, "M=%zu: <v h> relative error %.3g", M,
                      rel_err(mm, me, M * N));
        ck_assert_msg(rel_err(mv, mve, N) < 1e-12, "M=%zu: <v> relative error %.3g", M,
                      rel_err(mv, mve, N));
        double L, Le = loglik_enum(P, N, M, w, g, theta);
        ck_assert_int_eq(fam->loglik(ctx, w, g, &L, err), SYM_OK);
        ck_assert_msg(fabs(L - Le) < 1e-11 * fabs(Le), "M=%zu: loglik %.15g, enumeration %.15g",
                      M, L, Le);
        fam->free(ctx);
    }
    /* M = 1 without fields: tanh(w_i), and <v> = 0 */
    void *ctx = family_ctx(m, 1, NULL);
    double w[7], mm[7], mv[7];
    char err[SYM_ERRLEN];
    for (size_t i = 0; i < N; i++)
        w[i] = 1.7 * cos((double)i) - 0.4;
    ck_assert_int_eq(fam->model_eval(ctx, w, NULL, mm, mv, err), SYM_OK);
    for (size_t i = 0; i < N; i++) {
        ck_assert_msg(fabs(mm[i] - tanh(w[i])) < 1e-15, "m_%zu = %.17g, tanh %.17g", i, mm[i],
                      tanh(w[i]));
        ck_assert_msg(fabs(mv[i]) < 1e-15, "<v_%zu> = %g", i, mv[i]);
    }
    fam->free(ctx);
    free(P);
    ring_free(m);
}
END_TEST

/* M = 16 (the largest): <v_i h_mu> and the log-likelihood against the
 * joint enumeration of all 2^(N + M) states */
START_TEST(test_model_m16)
{
    const flow_family *fam = &flow_family_spin;
    size_t N = 4, M = 16, MN = M * N, H = (size_t)1 << M, S = (size_t)1 << N;
    ring_model *m = model(&ring_ising, N, 0.5, 0.5, 0.0);
    double *P = data_probs(m);
    double theta[16], w[64], g[4], mm[64], me[64] = {0};
    for (size_t mu = 0; mu < M; mu++)
        theta[mu] = 0.1 * sin((double)mu);
    for (size_t k = 0; k < MN; k++)
        w[k] = 0.3 * cos(0.77 * (double)k);
    for (size_t i = 0; i < N; i++)
        g[i] = 0.1 * (double)i - 0.15;
    void *ctx = family_ctx(m, M, theta);
    char err[SYM_ERRLEN];
    ck_assert_int_eq(fam->model_eval(ctx, w, g, mm, NULL, err), SYM_OK);
    double *le = malloc(S * H * sizeof *le), mx = -INFINITY, z = 0;
    for (size_t s = 0; s < S; s++)
        for (size_t h = 0; h < H; h++) {
            double e = 0;
            for (size_t i = 0; i < N; i++)
                e += g[i] * spin_of(s, i);
            for (size_t mu = 0; mu < M; mu++) {
                double hm = spin_of(h, mu), I = 0;
                for (size_t i = 0; i < N; i++)
                    I += w[mu * N + i] * spin_of(s, i);
                e += hm * (I - theta[mu]);
            }
            le[s * H + h] = e;
            mx = fmax(mx, e);
        }
    for (size_t k = 0; k < S * H; k++)
        z += exp(le[k] - mx);
    double Le = 0;
    for (size_t s = 0; s < S; s++) {
        double ps = 0;
        for (size_t h = 0; h < H; h++) {
            double p = exp(le[s * H + h] - mx) / z;
            ps += p;
            for (size_t mu = 0; mu < M; mu++)
                for (size_t i = 0; i < N; i++)
                    me[mu * N + i] += p * spin_of(s, i) * spin_of(h, mu);
        }
        Le += P[s] * log(ps);
    }
    free(le);
    ck_assert_msg(rel_err(mm, me, MN) < 1e-11, "M=16: <v h> relative error %.3g",
                  rel_err(mm, me, MN));
    double L;
    ck_assert_int_eq(fam->loglik(ctx, w, g, &L, err), SYM_OK);
    ck_assert_msg(fabs(L - Le) < 1e-10 * fabs(Le), "M=16: loglik %.15g, enumeration %.15g", L, Le);
    fam->free(ctx);
    free(P);
    ring_free(m);
}
END_TEST

/* ---- the flow is the gradient of the exact log-likelihood ------------------- */

static void check_gradient(const ring_model *m, size_t M, int fields)
{
    size_t N = m->N, MN = M * N;
    double *P = data_probs(m);
    double theta[3] = {0.2, -0.6, 0.4};
    double w[24], g[8], dw[24], dg[8];
    for (size_t k = 0; k < MN; k++)
        w[k] = 0.5 * cos(0.8 * (double)k) + 0.15 * (double)(k % 3);
    for (size_t i = 0; i < N; i++)
        g[i] = fields ? 0.2 * sin((double)i) : 0.0;
    flow_params fp = {m, fields, 0.0, 1e-8, 1e-10, FLOW_BDF, &flow_family_spin, 0};
    flow_hidden hu = {M, theta};
    flow *f;
    char err[SYM_ERRLEN];
    ck_assert_msg(flow_alloc_units(&f, &fp, &hu, w, fields ? g : NULL, err) == SYM_OK, "%s", err);
    ck_assert_uint_eq(flow_units(f), M);
    ck_assert_uint_eq(flow_size(f), MN + (fields ? N : 0));
    ck_assert_msg(flow_gradient(f, w, fields ? g : NULL, dw, fields ? dg : NULL, err) == SYM_OK,
                  "%s", err);
    const double h = 1e-5;
    for (size_t k = 0; k < MN; k++) {
        double wp[24], wm[24];
        memcpy(wp, w, sizeof wp);
        memcpy(wm, w, sizeof wm);
        wp[k] += h;
        wm[k] -= h;
        double fd = (loglik_enum(P, N, M, wp, fields ? g : NULL, theta) -
                     loglik_enum(P, N, M, wm, fields ? g : NULL, theta)) / (2 * h);
        ck_assert_msg(fabs(fd - dw[k]) < 1e-8 * fmax(1.0, fabs(fd)),
                      "%s M=%zu dL/dw[%zu]: finite difference %.12g, flow %.12g", m->type->name, M,
                      k, fd, dw[k]);
    }
    for (size_t i = 0; fields && i < N; i++) {
        double gp[8], gm[8];
        memcpy(gp, g, sizeof gp);
        memcpy(gm, g, sizeof gm);
        gp[i] += h;
        gm[i] -= h;
        double fd = (loglik_enum(P, N, M, w, gp, theta) - loglik_enum(P, N, M, w, gm, theta)) /
                    (2 * h);
        ck_assert_msg(fabs(fd - dg[i]) < 1e-8 * fmax(1.0, fabs(fd)),
                      "dL/dg[%zu]: finite difference %.12g, flow %.12g", i, fd, dg[i]);
    }
    /* the integrator's analytic J v (data and model Jacobians, modes)
     * against central differences of its right-hand side */
    if (!fields) {
        double y[24], v[24], yp[24], ym[24], fp_[24], fm_[24], jv[24], fd[24];
        fftw_plan pl = fftw_plan_r2r_1d((int)N, w, y, FFTW_R2HC, FFTW_ESTIMATE);
        for (size_t mu = 0; mu < M; mu++)
            fftw_execute_r2r(pl, w + mu * N, y + mu * N);
        fftw_destroy_plan(pl);
        for (size_t k = 0; k < MN; k++) {
            v[k] = cos(2.1 * (double)k) + 0.3;
            yp[k] = y[k] + h * v[k];
            ym[k] = y[k] - h * v[k];
        }
        ck_assert_msg(flow_jtimes(f, y, v, jv, err) == SYM_OK, "%s", err);
        ck_assert_msg(flow_rhs(f, yp, fp_, err) == SYM_OK, "%s", err);
        ck_assert_msg(flow_rhs(f, ym, fm_, err) == SYM_OK, "%s", err);
        for (size_t k = 0; k < MN; k++)
            fd[k] = (fp_[k] - fm_[k]) / (2 * h);
        ck_assert_msg(rel_err(jv, fd, MN) < 1e-7, "%s M=%zu: flow_jtimes vs central "
                      "differences of flow_rhs: %.3g", m->type->name, M, rel_err(jv, fd, MN));
    }
    double L;
    ck_assert_int_eq(flow_loglik(f, w, fields ? g : NULL, &L, err), SYM_OK);
    double Le = loglik_enum(P, N, M, w, fields ? g : NULL, theta);
    ck_assert_msg(fabs(L - Le) < 1e-11 * fabs(Le), "flow_loglik %.15g, enumeration %.15g", L, Le);
    flow_free(f);
    free(P);
}

START_TEST(test_gradient)
{
    ring_model *m = model(&ring_ising, 8, 0.9, 0.5, 0.0);
    check_gradient(m, 1, 0);
    check_gradient(m, 3, 1);
    check_gradient(m, 2, 0);
    ring_free(m);
    m = model(&ring_bump, 8, 1.0, 0.375, 0.1);
    check_gradient(m, 2, 1);
    check_gradient(m, 2, 0);
    ring_free(m);
}
END_TEST

/* ---- linear regime ------------------------------------------------------------- */

START_TEST(test_linear_regime)
{
    size_t N = 48;
    ring_model *m = model(&ring_ising, N, 0.7, 0.5, 0.0);
    const double thetas[] = {0.0, 0.5};
    for (size_t a = 0; a < 2; a++) {
        double theta = thetas[a];
        double *w0 = fftw_malloc(N * sizeof *w0), *w1 = fftw_malloc(N * sizeof *w1);
        double *h0 = fftw_malloc(N * sizeof *h0), *h1 = fftw_malloc(N * sizeof *h1);
        rng_init_weights(5, N, 1, 1e-7, w0);
        flow_params fp = {m, 0, 0.0, 1e-10, 1e-20, FLOW_BDF, &flow_family_spin, 0};
        flow_hidden hu = {1, &theta};
        flow *f;
        char err[SYM_ERRLEN];
        ck_assert_msg(flow_alloc_units(&f, &fp, &hu, w0, NULL, err) == SYM_OK, "%s", err);
        double t = 1.5;
        ck_assert_msg(flow_advance(f, t, err) == SYM_OK, "%s", err);
        flow_state(f, w1, NULL);
        fftw_plan pl = fftw_plan_r2r_1d((int)N, w0, h0, FFTW_R2HC, FFTW_ESTIMATE);
        fftw_execute_r2r(pl, w0, h0);
        fftw_execute_r2r(pl, w1, h1);
        double s2 = 1.0 / (cosh(theta) * cosh(theta));
        for (size_t k = 0; k <= N / 2; k++) {
            double a0 = h0[k] * h0[k] + ((k && k < N - k) ? h0[N - k] * h0[N - k] : 0);
            double a1 = h1[k] * h1[k] + ((k && k < N - k) ? h1[N - k] * h1[N - k] : 0);
            double growth = sqrt(a1 / a0), expect = exp((s2 * m->lambda[k] - 1.0) * t);
            ck_assert_msg(fabs(growth / expect - 1) < 1e-6,
                          "theta %g mode %zu grew by %.10g, expected %.10g", theta, k, growth,
                          expect);
        }
        fftw_destroy_plan(pl);
        fftw_free(w0);
        fftw_free(w1);
        fftw_free(h0);
        fftw_free(h1);
        flow_free(f);
    }
    ring_free(m);
}
END_TEST

/* ---- the fixed point of SPEC.md 3b ----------------------------------------- */

/* fwhm of the dominant peak of |w|: linear interpolation between sites */
static double fwhm(const double *w, size_t N)
{
    size_t p = 0;
    for (size_t i = 1; i < N; i++)
        if (fabs(w[i]) > fabs(w[p]))
            p = i;
    double half = 0.5 * fabs(w[p]), width = 0;
    for (int dir = -1; dir <= 1; dir += 2) {
        for (size_t s = 1; s < N; s++) {
            size_t i = dir > 0 ? (p + s) % N : (p + N - s) % N;
            size_t j = dir > 0 ? (p + s - 1) % N : (p + N - s + 1) % N;
            if (fabs(w[i]) < half) {
                width += (double)(s - 1) + (fabs(w[j]) - half) / (fabs(w[j]) - fabs(w[i]));
                break;
            }
        }
    }
    return width;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

START_TEST(test_fixed_point)
{
    size_t N = 100;
    ring_model *m = model(&ring_ising, N, 1.0, 0.5, 0.0);
    double *w = malloc(N * sizeof *w), *dw = malloc(N * sizeof *dw);
    rng_init_weights(1, N, 1, 0.01, w);
    flow_params fp = {m, 0, 0.0, 1e-8, 1e-10, FLOW_BDF, &flow_family_spin, 0};
    flow *f;
    char err[SYM_ERRLEN];
    ck_assert_msg(flow_alloc_units(&f, &fp, NULL, w, NULL, err) == SYM_OK, "%s", err);
    double t0 = now();
    const double T[] = {200, 1e3, 1e4};
    for (size_t k = 0; k < 3; k++)
        ck_assert_msg(flow_advance(f, T[k], err) == SYM_OK, "%s", err);
    double wall = now() - t0;
    flow_counters c;
    flow_stats(f, &c);
    flow_state(f, w, NULL);
    size_t p = 0;
    int sign = 0, pos = 0;
    for (size_t i = 0; i < N; i++) {
        if (fabs(w[i]) > fabs(w[p]))
            p = i;
    }
    for (size_t i = 0; i < N; i++) {
        if (w[i] * w[p] < 0)
            sign++;
        if (fabs(w[i]) > 0.5 * fabs(w[p]))
            pos++;
    }
    double height = fabs(w[p]), width = fwhm(w, N);
    ck_assert_msg(flow_gradient(f, w, NULL, dw, NULL, err) == SYM_OK, "%s", err);
    double gmax = 0;
    for (size_t i = 0; i < N; i++)
        gmax = fmax(gmax, fabs(dw[i]));
    fprintf(stderr, "flow_spin fixed point N=100 beta=1: height %.4f fwhm %.3f |grad| %.2g, "
            "T=1e4 in %.2f s, %ld steps, %ld rhs, %ld newton, %ld krylov, %ld psetups\n", height,
            width, gmax, wall, c.steps, c.rhs, c.newton, c.krylov, c.psetups);
    ck_assert_msg(gmax < 1e-6, "not at a fixed point: max |dL/dw| = %g", gmax);
    ck_assert_msg(fabs(height - 0.73) < 0.03, "peak height %.4f, expected ~0.73", height);
    ck_assert_msg(fabs(width - 14) < 1.5, "fwhm %.3f sites, expected ~14", width);
    ck_assert_msg(sign == 0, "%d sites of the other sign: not a single positive peak", sign);
    ck_assert_msg(pos < 20, "%d sites above half maximum: not a single peak", pos);
    flow_free(f);
    free(w);
    free(dw);
    ring_free(m);
}
END_TEST

/* ---- bad input -------------------------------------------------------------------- */

START_TEST(test_refused)
{
    char err[SYM_ERRLEN];
    unit_params u;
    unit_params_default(&u, &unit_spin);
    void *ctx;
    ring_params rp;
    ring_params_default(&rp);
    rp.type = &ring_ising2;
    rp.N = 10;
    ring_model *m2;
    ck_assert_msg(ring_alloc(&m2, &rp, err) == SYM_OK, "%s", err);
    flow_family_args a = {m2, &u, NULL, 0, NULL, NULL};
    ck_assert_int_eq(flow_family_spin.alloc(&ctx, &a, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "ising2"), "%s", err);
    ring_free(m2);
    ring_model *m = model(&ring_ising, 10, 1.0, 0.5, 0.0);
    flow_hidden big = {17, NULL};
    a = (flow_family_args){m, &u, NULL, 0, &big, NULL};
    ck_assert_int_eq(flow_family_spin.alloc(&ctx, &a, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "M = 17"), "%s", err);
    double th[2] = {0.0, NAN};
    flow_hidden bad = {2, th};
    a = (flow_family_args){m, &u, NULL, 0, &bad, NULL};
    ck_assert_int_eq(flow_family_spin.alloc(&ctx, &a, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "theta[1]"), "%s", err);
    double w[10];
    for (size_t i = 0; i < 10; i++)
        w[i] = i == 3 ? INFINITY : 0.1;
    double d[10];
    ck_assert_int_eq(flow_spin_data(m, w, 0.0, d, NULL, NULL, NULL, NULL, err), SYM_ENUM);
    ring_free(m);
}
END_TEST

Suite *flow_spin_suite(void)
{
    Suite *s = suite_create("flow_spin");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_data_ising_enum);
    tcase_add_test(tc, test_data_bump_enum);
    tcase_add_test(tc, test_data_n100);
    tcase_add_test(tc, test_jacobians_fd);
    tcase_add_test(tc, test_dense_jacobian);
    tcase_add_test(tc, test_model_loglik_enum);
    tcase_add_test(tc, test_model_m16);
    tcase_add_test(tc, test_gradient);
    tcase_add_test(tc, test_linear_regime);
    tcase_add_test(tc, test_fixed_point);
    tcase_add_test(tc, test_refused);
    suite_add_tcase(s, tc);
    return s;
}
