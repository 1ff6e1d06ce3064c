/* Suite phase: the uniform fixed point and the phase boundary (theory/phase.c).
 * - the fixed point a solves lambda_0 a = <h tanh(a h)> and the reported
 *   <h^2 sech^2(a h)> is right, both checked by an independent dense
 *   trapezoid integral over p(h) ∝ exp(-h^2/2 + N log 2cosh(a h));
 * - the stability changes sign across the bisected beta_c;
 * - long integrations of the full flow (N = 50) at beta_c - 0.05 end
 *   localised (R > 0.2) and at beta_c + 0.05 end uniform (R < 1e-3).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/models.h"
#include "core/obs.h"
#include "core/ring.h"
#include "core/rng.h"
#include "theory/flow.h"
#include "theory/phase.h"
#include "tests/suites.h"

static ring_model *ising(size_t N, double beta)
{
    ring_params p;
    ring_params_default(&p);
    p.N = N;
    p.val[ring_key_index("beta")] = beta;
    ring_model *rm = NULL;
    char err[SYM_ERRLEN];
    ck_assert_msg(ring_alloc(&rm, &p, err) == SYM_OK, "%s", err);
    return rm;
}

/* <h tanh(a h)> and <h^2 sech^2(a h)> by a trapezoid rule on a fine grid */
static void dense_uniform(size_t N, double a, double *m, double *s2)
{
    double hmax = (double)N * a + 20.0, dh = 1e-3, mx = -INFINITY;
    size_t K = (size_t)(hmax / dh);
    for (size_t k = 0; k <= 2 * K; k++) {
        double h = ((double)k - (double)K) * dh, x = fabs(a * h);
        mx = fmax(mx, -0.5 * h * h + (double)N * (x + log1p(exp(-2 * x))));
    }
    double z = 0, sm = 0, ss = 0;
    for (size_t k = 0; k <= 2 * K; k++) {
        double h = ((double)k - (double)K) * dh, x = fabs(a * h);
        double p = exp(-0.5 * h * h + (double)N * (x + log1p(exp(-2 * x))) - mx);
        double t = tanh(a * h);
        z += p;
        sm += p * h * t;
        ss += p * h * h * (1 - t * t);
    }
    *m = sm / z;
    *s2 = ss / z;
}

START_TEST(test_uniform_fixed_point)
{
    double betas[] = {0.5, 1.0, 1.5};
    size_t Ns[] = {20, 50, 200};
    for (size_t j = 0; j < 3; j++) {
        ring_model *rm = ising(Ns[j], betas[j]);
        phase_point pt = {0};
        char err[SYM_ERRLEN];
        ck_assert_msg(phase_uniform(rm, &pt, err) == SYM_OK, "%s", err);
        double m, s2;
        dense_uniform(Ns[j], pt.a, &m, &s2);
        ck_assert_msg(fabs(rm->lambda[0] * pt.a - m) < 1e-9 * m,
                      "N=%zu: lambda_0 a = %.15g but <h tanh(a h)> = %.15g", Ns[j],
                      rm->lambda[0] * pt.a, m);
        ck_assert_msg(fabs(pt.sech2 - s2) < 1e-9 * s2, "N=%zu: <h^2 sech^2> %.15g vs dense %.15g",
                      Ns[j], pt.sech2, s2);
        ck_assert_msg(fabs(pt.mu_max - (rm->lambda[1] - s2)) < 1e-8 * fabs(rm->lambda[1]),
                      "mu_max is not lambda_1 - <h^2 sech^2>");
        ring_free(rm);
    }
}
END_TEST

START_TEST(test_beta_c_brackets_sign_change)
{
    double bc;
    char err[SYM_ERRLEN];
    ck_assert_msg(phase_beta_c(50, 0.05, 4.0, 80, 1e-7, &bc, err) == SYM_OK, "%s", err);
    phase_point lo, hi;
    ring_model *a = ising(50, bc - 1e-5), *b = ising(50, bc + 1e-5);
    ck_assert_int_eq(phase_uniform(a, &lo, err), SYM_OK);
    ck_assert_int_eq(phase_uniform(b, &hi, err), SYM_OK);
    ck_assert_msg(lo.mu_max > 0 && hi.mu_max < 0, "mu_max %g below, %g above beta_c = %.9g",
                  lo.mu_max, hi.mu_max, bc);
    ring_free(a);
    ring_free(b);
}
END_TEST

static double final_R(size_t N, double beta, double T)
{
    ring_model *rm = ising(N, beta);
    double *w = malloc(N * sizeof *w);
    char err[SYM_ERRLEN];
    rng_init_weights(1, N, 1, 0.01, w);
    flow_params fp = {rm, 0, 0.0, 1e-8, 1e-10, FLOW_BDF, NULL, 0};
    flow *f;
    ck_assert_int_eq(flow_alloc(&f, &fp, w, NULL, err), SYM_OK);
    ck_assert_msg(flow_advance(f, T, err) == SYM_OK, "%s", err);
    flow_state(f, w, NULL);
    obs_ws *ow = obs_alloc(N);
    obs_values ov;
    obs_compute(ow, &ring_ising, w, &ov);
    obs_free(ow);
    flow_free(f);
    ring_free(rm);
    free(w);
    return ov.R;
}

START_TEST(test_long_integrations_either_side)
{
    double bc;
    char err[SYM_ERRLEN];
    ck_assert_msg(phase_beta_c(50, 0.05, 4.0, 80, 1e-6, &bc, err) == SYM_OK, "%s", err);
    double Rb = final_R(50, bc - 0.05, 200.0), Rs = final_R(50, bc + 0.05, 200.0);
    ck_assert_msg(Rb > 0.2, "beta_c - 0.05 = %g: R = %g, expected localised", bc - 0.05, Rb);
    ck_assert_msg(Rs < 1e-3, "beta_c + 0.05 = %g: R = %g, expected uniform", bc + 0.05, Rs);
}
END_TEST

START_TEST(test_no_fixed_point_without_growth)
{
    /* beta = 0: lambda_k = 1, w = 0 is the only fixed point */
    ring_model *rm = ising(20, 0.0);
    phase_point pt = {0};
    char err[SYM_ERRLEN] = "";
    ck_assert_int_eq(phase_uniform(rm, &pt, err), SYM_EINVAL);
    ck_assert(err[0]);
    ring_free(rm);
}
END_TEST

/* Frozen data (lambda_0 = N to double precision): the uniform fixed point
 * does not exist, since <h tanh(a h)> < N a for every a (p(h) is a mixture
 * of unit gaussians at (N - 2k) a); GSL's Brent used to abort here. */
START_TEST(test_frozen_data_refused)
{
    const size_t Ns[] = {3, 20};
    const double betas[] = {15.0, 1e10};
    for (size_t j = 0; j < 2; j++) {
        ring_model *rm = ising(Ns[j], betas[j]);
        ck_assert_msg(rm->lambda[0] >= (double)Ns[j] * (1 - 1e-15), "lambda_0 = %.17g",
                      rm->lambda[0]);
        phase_point pt = {0};
        char err[SYM_ERRLEN] = "";
        ck_assert_int_eq(phase_uniform(rm, &pt, err), SYM_EINVAL);
        ck_assert_msg(strstr(err, "lambda_0") && strstr(err, "no uniform fixed point"), "%s", err);
        ring_free(rm);
    }
    /* just below frozen the fixed point still exists, and solves its equation */
    ring_model *rm = ising(20, 6.0);
    ck_assert(rm->lambda[0] < 20.0);
    phase_point pt = {0};
    char err[SYM_ERRLEN];
    ck_assert_msg(phase_uniform(rm, &pt, err) == SYM_OK, "%s", err);
    double m, s2;
    dense_uniform(20, pt.a, &m, &s2);
    ck_assert_msg(fabs(rm->lambda[0] * pt.a - m) < 1e-9 * m, "beta = 6: %.15g vs %.15g",
                  rm->lambda[0] * pt.a, m);
    ring_free(rm);
}
END_TEST

/* phase_beta_c's failures are errors, and beta_c is never left unset on
 * success: a tol finer than double precision resolves stalls the bisection
 * (SYM_ENUM, beta_c untouched); a fixed-point failure names its beta; an
 * absurd scan is refused before any work. */
START_TEST(test_beta_c_failures)
{
    char err[SYM_ERRLEN] = "";
    double bc = -12345.0;
    ck_assert_int_eq(phase_beta_c(20, 0.05, 4.0, 5, 1e-300, &bc, err), SYM_ENUM);
    ck_assert_msg(strstr(err, "did not reach tol"), "%s", err);
    ck_assert(bc == -12345.0);
    ck_assert_int_eq(phase_beta_c(20, 0.05, 1e300, 5, 1e-6, &bc, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "beta = 1e+300") && strstr(err, "lambda_0"), "%s", err);
    ck_assert(bc == -12345.0);
    ck_assert_int_eq(phase_beta_c(20, 0.05, 4.0, PHASE_SCAN_MAX + 1, 1e-6, &bc, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "scan"), "%s", err);
    ck_assert_int_eq(phase_beta_c(20, 0.05, 4.0, (size_t)1e15, 1e-6, &bc, err), SYM_EINVAL);
    ck_assert_int_eq(phase_beta_c(20, 0.05, 4.0, 5, 0.0, &bc, err), SYM_EINVAL);
    ck_assert(bc == -12345.0);
    /* the smallest tol that double precision resolves near beta_c ~ 0.6 still works */
    ck_assert_msg(phase_beta_c(20, 0.05, 4.0, 5, 1e-14, &bc, err) == SYM_OK, "%s", err);
    ck_assert(bc > 0.05 && bc < 4.0);
}
END_TEST

/* One binary unit (SPEC 3b): the uniform fixed point solves D(a) = tanh(a)
 * and mode k has mu_k = sum_r E[v_0 v_r sech^2(a M)] cos(2 pi k r / N) -
 * sech^2(a), M = sum_i v_i -- both checked against the enumeration of all
 * 2^N ising states (in long double), independent of the transfer-matrix
 * route of theory/flow_spin. */
START_TEST(test_uniform_spin_enumerated)
{
    const size_t N = 12;
    const double beta = 0.9;
    ring_params p;
    ring_params_default(&p);
    p.type = &ring_ising;
    p.N = N;
    p.val[ring_key_index("beta")] = beta;
    char err[SYM_ERRLEN];
    ring_model *m;
    ck_assert_msg(ring_alloc(&m, &p, err) == SYM_OK, "%s", err);
    double mu[N / 2 + 1];
    phase_point pt = {0};
    ck_assert_msg(phase_uniform_spin(m, &pt, mu, err) == SYM_OK, "%s", err);
    double a = pt.a;
    long double Z = 0, D = 0, C[12] = {0};
    for (unsigned v = 0; v < (1u << N); v++) {
        int s[12], M = 0, E = 0;
        for (size_t i = 0; i < N; i++) {
            s[i] = (v >> i) & 1 ? 1 : -1;
            M += s[i];
        }
        for (size_t i = 0; i < N; i++)
            E += s[i] * s[(i + 1) % N];
        long double w = expl((long double)beta * E), ch = coshl((long double)a * M);
        Z += w;
        D += w * s[0] * tanhl((long double)a * M);
        for (size_t r = 0; r < N; r++)
            C[r] += w * s[0] * s[r] / (ch * ch);
    }
    D /= Z;
    ck_assert_msg(fabsl(D - tanhl(a)) < 1e-10, "D(a) = %.17Lg, tanh(a) = %.17g", D, tanh(a));
    double s2 = 1 / (cosh(a) * cosh(a));
    ck_assert_double_eq_tol(pt.sech2, s2, 1e-15);
    double best = -INFINITY;
    for (size_t k = 1; k <= N / 2; k++) {
        long double J = 0;
        for (size_t r = 0; r < N; r++)
            J += C[r] / Z * cosl(2 * M_PI * (long double)(k * r) / N);
        double want = (double)J - s2;
        ck_assert_msg(fabs(mu[k] - want) < 1e-9, "mu_%zu = %.17g, enumerated %.17g", k, mu[k], want);
        best = fmax(best, want);
    }
    ck_assert_double_eq_tol(pt.mu_max, best, 1e-9);
    ring_free(m);
}
END_TEST

Suite *phase_suite(void)
{
    Suite *s = suite_create("phase");
    TCase *tc = tcase_create("phase");
    tcase_add_test(tc, test_uniform_fixed_point);
    tcase_add_test(tc, test_beta_c_brackets_sign_change);
    tcase_add_test(tc, test_long_integrations_either_side);
    tcase_add_test(tc, test_no_fixed_point_without_growth);
    tcase_add_test(tc, test_frozen_data_refused);
    tcase_add_test(tc, test_beta_c_failures);
    tcase_add_test(tc, test_uniform_spin_enumerated);
    suite_add_tcase(s, tc);
    return s;
}
