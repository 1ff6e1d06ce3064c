/* Suite flow: the infinite-data gradient flow (theory/flow.c).
 * - its right-hand side is the gradient of the exact log-likelihood, computed
 *   here by enumerating all 2^N states of the data model and of the RBM
 *   (central finite differences), with and without fields;
 * - flow_loglik agrees with that enumeration;
 * - in the linear regime every Fourier mode grows as exp((lambda_k - 1) t);
 * - Adams and BDF integrations agree to their tolerances.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "core/err.h"
#include "core/ring.h"
#include "core/rng.h"
#include "theory/flow.h"
#include "tests/suites.h"

/* exact data distribution by enumeration (ising or bump), P[s] */
static void data_probs(const ring_params *rp, double *P)
{
    size_t N = rp->N, S = (size_t)1 << N;
    double z = 0;
    size_t L = (size_t)lround(rp->rho * (double)N);
    for (size_t s = 0; s < S; s++) {
        double p;
        if (rp->kind == RING_ISING) {
            double e = 0;
            for (size_t i = 0; i < N; i++) {
                int vi = ((s >> i) & 1) ? 1 : -1, vj = ((s >> ((i + 1) % N)) & 1) ? 1 : -1;
                e += vi * vj;
            }
            p = exp(rp->beta * e);
        } else {
            p = 0;
            for (size_t x = 0; x < N; x++) {
                double q = 1;
                for (size_t i = 0; i < N; i++) {
                    int si = ((i + N - x) % N < L) ? 1 : -1, vi = ((s >> i) & 1) ? 1 : -1;
                    q *= (si == vi) ? 1 - rp->eps : rp->eps;
                }
                p += q / (double)N;
            }
        }
        P[s] = p;
        z += p;
    }
    for (size_t s = 0; s < S; s++)
        P[s] /= z;
}

/* L(w, g) = sum_v P_data(v) log P_rbm(v), P_rbm ∝ exp(g.v + I^2/2) */
static double loglik_enum(size_t N, const double *P, const double *w, const double *g)
{
    size_t S = (size_t)1 << N;
    double *lp = malloc(S * sizeof *lp), mx = -INFINITY;
    for (size_t s = 0; s < S; s++) {
        double I = 0, gv = 0;
        for (size_t i = 0; i < N; i++) {
            double v = ((s >> i) & 1) ? 1.0 : -1.0;
            I += w[i] * v;
            gv += (g ? g[i] : 0) * v;
        }
        lp[s] = gv + 0.5 * I * I;
        mx = fmax(mx, lp[s]);
    }
    double z = 0, L = 0;
    for (size_t s = 0; s < S; s++)
        z += exp(lp[s] - mx);
    for (size_t s = 0; s < S; s++)
        L += P[s] * (lp[s] - mx - log(z));
    free(lp);
    return L;
}

static void check_gradient(const ring_params *rp, int with_fields, double scale)
{
    size_t N = rp->N, S = (size_t)1 << N;
    char err[SYM_ERRLEN];
    ring_model *rm;
    ck_assert_int_eq(ring_alloc(&rm, rp, err), SYM_OK);
    double *P = malloc(S * sizeof *P);
    data_probs(rp, P);
    double w[16], g[16], dw[16], dg[16];
    for (size_t i = 0; i < N; i++) {
        w[i] = scale * (0.3 + cos(2.0 * M_PI * (double)i / (double)N + 0.4) + 0.2 * sin(3.0 * i));
        g[i] = with_fields ? 0.3 * sin(2.0 * M_PI * (double)i / (double)N) - 0.1 : 0.0;
    }
    flow_params fp = {rm, with_fields, 0.0, 1e-8, 1e-10, FLOW_BDF, NULL};
    flow *f;
    ck_assert_int_eq(flow_alloc(&f, &fp, w, with_fields ? g : NULL, err), SYM_OK);
    ck_assert_msg(flow_gradient(f, w, with_fields ? g : NULL, dw, with_fields ? dg : NULL, err) ==
                      SYM_OK, "%s", err);
    const double hstep = 1e-5;
    for (size_t i = 0; i < N; i++) {
        double wp[16], wm[16];
        memcpy(wp, w, sizeof wp);
        memcpy(wm, w, sizeof wm);
        wp[i] += hstep;
        wm[i] -= hstep;
        double fd = (loglik_enum(N, P, wp, with_fields ? g : NULL) -
                     loglik_enum(N, P, wm, with_fields ? g : NULL)) / (2 * hstep);
        ck_assert_msg(fabs(fd - dw[i]) < 1e-6 * fmax(1.0, fabs(fd)),
                      "dL/dw_%zu: finite difference %.12g, flow %.12g", i, fd, dw[i]);
        if (with_fields) {
            double gp[16], gm[16];
            memcpy(gp, g, sizeof gp);
            memcpy(gm, g, sizeof gm);
            gp[i] += hstep;
            gm[i] -= hstep;
            double fdg = (loglik_enum(N, P, w, gp) - loglik_enum(N, P, w, gm)) / (2 * hstep);
            ck_assert_msg(fabs(fdg - dg[i]) < 1e-6 * fmax(1.0, fabs(fdg)),
                          "dL/dg_%zu: finite difference %.12g, flow %.12g", i, fdg, dg[i]);
        }
    }
    /* the exact log-likelihood itself */
    double L;
    ck_assert_int_eq(flow_loglik(f, w, with_fields ? g : NULL, &L, err), SYM_OK);
    double Le = loglik_enum(N, P, w, with_fields ? g : NULL);
    ck_assert_msg(fabs(L - Le) < 1e-10 * fabs(Le), "loglik %.15g, enumeration %.15g", L, Le);
    flow_free(f);
    ring_free(rm);
    free(P);
}

START_TEST(test_gradient_ising)
{
    ring_params rp;
    ring_params_default(&rp);
    rp.N = 10;
    rp.beta = 0.8;
    check_gradient(&rp, 0, 0.05);  /* paramagnetic */
    check_gradient(&rp, 0, 0.6);   /* localised, two peaks */
    check_gradient(&rp, 1, 0.4);   /* with fields */
}
END_TEST

START_TEST(test_gradient_bump)
{
    ring_params rp;
    ring_params_default(&rp);
    rp.kind = RING_BUMP;
    rp.N = 10;
    rp.rho = 0.3;
    rp.eps = 0.1;
    check_gradient(&rp, 1, 0.5);
    rp.rho = 0.5;
    check_gradient(&rp, 0, 0.3);
}
END_TEST

/* linear regime: |w^_k(t)| = |w^_k(0)| exp((lambda_k - 1) t) while
 * norm2 stays tiny (corrections are O(norm2 e^{2 (lambda_0 - 1) t})) */
START_TEST(test_linear_regime)
{
    ring_params rp;
    ring_params_default(&rp);
    rp.N = 64;
    rp.beta = 0.7;
    char err[SYM_ERRLEN];
    ring_model *rm;
    ck_assert_int_eq(ring_alloc(&rm, &rp, err), SYM_OK);
    size_t N = rp.N;
    double *w0 = fftw_malloc(N * sizeof *w0), *w1 = fftw_malloc(N * sizeof *w1);
    double *h0 = fftw_malloc(N * sizeof *h0), *h1 = fftw_malloc(N * sizeof *h1);
    rng_init_weights(7, N, 1, 1e-7, w0);
    flow_params fp = {rm, 0, 0.0, 1e-10, 1e-20, FLOW_BDF, NULL};
    flow *f;
    ck_assert_int_eq(flow_alloc(&f, &fp, w0, NULL, err), SYM_OK);
    double t = 1.0;
    ck_assert_int_eq(flow_advance(f, t, err), SYM_OK);
    flow_state(f, w1, NULL);
    fftw_plan pl = fftw_plan_r2r_1d((int)N, w0, h0, FFTW_R2HC, FFTW_ESTIMATE);
    fftw_execute_r2r(pl, w0, h0);
    fftw_execute_r2r(pl, w1, h1);
    for (size_t k = 0; k <= N / 2; k++) {
        double a0 = h0[k] * h0[k] + ((k && k < N - k) ? h0[N - k] * h0[N - k] : 0);
        double a1 = h1[k] * h1[k] + ((k && k < N - k) ? h1[N - k] * h1[N - k] : 0);
        double growth = sqrt(a1 / a0), expect = exp((rm->lambda[k] - 1.0) * t);
        ck_assert_msg(fabs(growth / expect - 1) < 1e-6, "mode %zu grew by %.10g, expected %.10g",
                      k, growth, expect);
    }
    fftw_destroy_plan(pl);
    fftw_free(w0);
    fftw_free(w1);
    fftw_free(h0);
    fftw_free(h1);
    flow_free(f);
    ring_free(rm);
}
END_TEST

/* Adams and BDF are different integrators of the same flow: at tight
 * tolerances they agree on the whole nonlinear trajectory */
START_TEST(test_methods_agree)
{
    ring_params rp;
    ring_params_default(&rp);
    rp.N = 40;
    rp.beta = 1.0;
    char err[SYM_ERRLEN];
    ring_model *rm;
    ck_assert_int_eq(ring_alloc(&rm, &rp, err), SYM_OK);
    double w0[40], wa[40], wb[40];
    rng_init_weights(3, 40, 1, 0.01, w0);
    flow *fa, *fb;
    flow_params pa = {rm, 0, 0.0, 1e-10, 1e-12, FLOW_ADAMS, NULL}, pb = pa;
    pb.method = FLOW_BDF;
    ck_assert_int_eq(flow_alloc(&fa, &pa, w0, NULL, err), SYM_OK);
    ck_assert_int_eq(flow_alloc(&fb, &pb, w0, NULL, err), SYM_OK);
    ck_assert_msg(flow_advance(fa, 10.0, err) == SYM_OK, "%s", err);
    ck_assert_msg(flow_advance(fb, 10.0, err) == SYM_OK, "%s", err);
    flow_state(fa, wa, NULL);
    flow_state(fb, wb, NULL);
    double d = 0, n = 0;
    for (size_t i = 0; i < 40; i++) {
        d += (wa[i] - wb[i]) * (wa[i] - wb[i]);
        n += wa[i] * wa[i];
    }
    ck_assert_msg(sqrt(d / n) < 1e-6, "Adams and BDF differ by %g (relative)", sqrt(d / n));
    flow_free(fa);
    flow_free(fb);
    ring_free(rm);
}
END_TEST

Suite *flow_suite(void)
{
    Suite *s = suite_create("flow");
    TCase *tc = tcase_create("flow");
    tcase_add_test(tc, test_gradient_ising);
    tcase_add_test(tc, test_gradient_bump);
    tcase_add_test(tc, test_linear_regime);
    tcase_add_test(tc, test_methods_agree);
    suite_add_tcase(s, tc);
    return s;
}
