/* Suite flow_potts: the gradient flow with Potts visible units
 * (theory/flow_potts.c, SPEC.md 9 with 3a and 3b).
 *
 * Every term against an independent computation: the data term and the
 * model term against enumeration of all P^N visible states (the xy
 * distribution summed here from its Boltzmann weights; the hidden units
 * summed or integrated in closed form per state), the gradient against
 * central finite differences of the exact log-likelihood, gauge
 * invariance, the linear-regime rate lambda_{k,p} - 1/P measured from a
 * small-amplitude integration, and P = 2 against the +-1 flows of
 * theory/flow.c (w_spin = (w(1) - w(0))/2, Potts clock twice as slow). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "core/err.h"
#include "core/obs_potts.h"
#include "core/ring.h"
#include "tests/suites.h"
#include "theory/flow.h"
#include "theory/flow_potts.h"
#include "theory/run.h"
#include "core/traj.h"

#define REQUIRE(cond, ...) do { if (!(cond)) ck_abort_msg(__VA_ARGS__); } while (0)

static ring_model *model_of(const char *type, size_t N, size_t P, double beta)
{
    ring_params p;
    ring_params_default(&p);
    char err[SYM_ERRLEN];
    ck_assert_int_eq(ring_type_find(type, &p.type, err), SYM_OK);
    p.N = N;
    ck_assert_int_eq(ring_params_set(&p, "beta", beta, err), SYM_OK);
    if (P)
        ck_assert_int_eq(ring_params_set(&p, "P", (double)P, err), SYM_OK);
    ring_model *m = NULL;
    ck_assert_msg(ring_alloc(&m, &p, err) == SYM_OK, "%s", err);
    return m;
}

static flow_potts *potts_flow(const ring_model *m, const flow_potts_kind *k, size_t M,
                              const double *w0, double rtol, double atol)
{
    flow_potts_params p = {m, k, M, 0, 0.0, rtol, atol, FLOW_BDF};
    flow_potts *f = NULL;
    char err[SYM_ERRLEN];
    ck_assert_msg(flow_potts_alloc(&f, &p, w0, NULL, err) == SYM_OK, "%s", err);
    return f;
}

/* The xy distribution by enumeration: pv[idx], idx = sum_i v_i P^i. */
static double *xy_enum(size_t N, size_t P, double beta, size_t *n)
{
    size_t cnt = 1;
    for (size_t i = 0; i < N; i++)
        cnt *= P;
    double *pv = malloc(cnt * sizeof *pv), Z = 0;
    size_t v[8];
    for (size_t idx = 0; idx < cnt; idx++) {
        size_t r = idx;
        for (size_t i = 0; i < N; i++, r /= P)
            v[i] = r % P;
        double e = 0;
        for (size_t i = 0; i < N; i++)
            e += cos(2 * M_PI * ((double)v[i] - (double)v[(i + 1) % N]) / (double)P);
        pv[idx] = exp(beta * e);
        Z += pv[idx];
    }
    for (size_t idx = 0; idx < cnt; idx++)
        pv[idx] /= Z;
    *n = cnt;
    return pv;
}

static void states(size_t idx, size_t N, size_t P, size_t *v)
{
    for (size_t i = 0; i < N; i++, idx /= P)
        v[i] = idx % P;
}

static double input(const double *w, const size_t *v, size_t N, size_t P)
{
    double s = 0;
    for (size_t i = 0; i < N; i++)
        s += w[i * P + v[i]];
    return s;
}

static void randn(gsl_rng *r, double *x, size_t n, double s)
{
    for (size_t j = 0; j < n; j++)
        x[j] = s * gsl_ran_gaussian(r, 1.0);
}

static double maxabs(const double *x, size_t n)
{
    double m = 0;
    for (size_t j = 0; j < n; j++)
        m = fmax(m, fabs(x[j]));
    return m;
}

/* ---- data term against enumeration --------------------------------------- */

START_TEST(test_data_enum)
{
    struct { size_t N, P; double beta, amp; } cs[] = {
        {4, 3, 0.8, 0.7}, {3, 4, 1.3, 0.5}, {5, 3, 0.5, 1.5}, {4, 4, 1.5, 2.0}, {5, 4, 0.3, 0.2}};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    char err[SYM_ERRLEN];
    double worst = 0;
    for (size_t q = 0; q < sizeof cs / sizeof cs[0]; q++) {
        size_t N = cs[q].N, P = cs[q].P, NP = N * P, n, v[8];
        ring_model *m = model_of("xy", N, P, cs[q].beta);
        double *pv = xy_enum(N, P, cs[q].beta, &n);
        double w[40], d[40], ref[40], theta = 0.3 * gsl_ran_gaussian(r, 1.0);
        randn(r, w, NP, cs[q].amp);   /* not in the gauge: the term must not need it */
        for (int kind = 0; kind < 2; kind++) {
            const flow_potts_kind *k = kind ? &flow_potts_spin : &flow_potts_gaussian;
            flow_potts *f = potts_flow(m, k, 1, w, 1e-8, 1e-10);
            double e1, e0, r1 = 0, r0 = 0;
            ck_assert_msg(flow_potts_data(f, w, theta, d, &e1, &e0, err) == SYM_OK, "%s", err);
            memset(ref, 0, sizeof ref);
            for (size_t idx = 0; idx < n; idx++) {
                states(idx, N, P, v);
                double x = input(w, v, N, P) - theta;
                double gp = kind ? tanh(x) : x;
                double g0 = kind ? log(2 * cosh(x)) : 0.5 * x * x;
                for (size_t i = 0; i < N; i++)
                    ref[i * P + v[i]] += pv[idx] * gp;
                r1 += pv[idx] * gp;
                r0 += pv[idx] * g0;
            }
            double sc = maxabs(ref, NP), e = 0;
            for (size_t j = 0; j < NP; j++)
                e = fmax(e, fabs(d[j] - ref[j]) / sc);
            REQUIRE(e < 1e-10, "data term %s N=%zu P=%zu: rel error %.3g", k == &flow_potts_spin ? "spin" : "gauss", N, P, e);
            REQUIRE(fabs(e1 - r1) < 1e-10 * fmax(1, fabs(r1)), "E[Gamma'] %.17g vs %.17g", e1, r1);
            REQUIRE(fabs(e0 - r0) < 1e-10 * fmax(1, fabs(r0)), "E[Gamma] %.17g vs %.17g", e0, r0);
            worst = fmax(worst, e);
            flow_potts_free(f);
        }
        free(pv);
        ring_free(m);
    }
    fprintf(stderr, "flow_potts: data term vs enumeration, largest rel error %.2g\n", worst);
    gsl_rng_free(r);
}
END_TEST

/* ---- model term against enumeration -------------------------------------- */

START_TEST(test_model_enum)
{
    struct { size_t N, P, M; int spin; double amp; } cs[] = {
        {4, 3, 1, 0, 0.6}, {3, 4, 1, 0, 1.2}, {5, 3, 1, 0, 0.4}, {4, 4, 1, 1, 0.8},
        {5, 3, 2, 1, 0.7}, {3, 4, 3, 1, 1.5}};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    char err[SYM_ERRLEN];
    double worst = 0;
    for (size_t q = 0; q < sizeof cs / sizeof cs[0]; q++) {
        size_t N = cs[q].N, P = cs[q].P, M = cs[q].M, NP = N * P, n = 1, v[8];
        for (size_t i = 0; i < N; i++)
            n *= P;
        ring_model *dm = model_of("xy", N, P, 1.0);
        double w[3 * 40], g[40], th[3], m[3 * 40], mv[40], mh[3], logZ;
        double rm[3 * 40] = {0}, rmv[40] = {0}, rmh[3] = {0}, Z = 0;
        randn(r, w, M * NP, cs[q].amp);
        randn(r, g, NP, 0.5);
        randn(r, th, M, 0.4);
        const flow_potts_kind *k = cs[q].spin ? &flow_potts_spin : &flow_potts_gaussian;
        flow_potts *f = potts_flow(dm, k, M, w, 1e-8, 1e-10);
        ck_assert_msg(flow_potts_model(f, w, th, g, m, mv, mh, &logZ, err) == SYM_OK, "%s", err);
        /* per visible state: weight e^{g(v)} prod e^{Gamma(I - theta)}, <h|v> */
        double *lw = malloc(n * sizeof *lw), lmax = -INFINITY;
        for (size_t idx = 0; idx < n; idx++) {
            states(idx, N, P, v);
            double s = input(g, v, N, P);
            for (size_t mu = 0; mu < M; mu++) {
                double x = input(w + mu * NP, v, N, P) - th[mu];
                s += cs[q].spin ? log(2 * cosh(x)) : 0.5 * x * x;
            }
            lw[idx] = s;
            lmax = fmax(lmax, s);
        }
        for (size_t idx = 0; idx < n; idx++)
            Z += exp(lw[idx] - lmax);
        for (size_t idx = 0; idx < n; idx++) {
            states(idx, N, P, v);
            double pv = exp(lw[idx] - lmax) / Z;
            for (size_t i = 0; i < N; i++)
                rmv[i * P + v[i]] += pv;
            for (size_t mu = 0; mu < M; mu++) {
                double x = input(w + mu * NP, v, N, P) - th[mu];
                double hm = cs[q].spin ? tanh(x) : x;
                rmh[mu] += pv * hm;
                for (size_t i = 0; i < N; i++)
                    rm[mu * NP + i * P + v[i]] += pv * hm;
            }
        }
        double rlogZ = lmax + log(Z), e = 0, sc = maxabs(rm, M * NP);
        for (size_t j = 0; j < M * NP; j++)
            e = fmax(e, fabs(m[j] - rm[j]) / sc);
        for (size_t j = 0; j < NP; j++)
            e = fmax(e, fabs(mv[j] - rmv[j]));
        for (size_t mu = 0; mu < M; mu++)
            e = fmax(e, fabs(mh[mu] - rmh[mu]) / fmax(1, fabs(rmh[mu])));
        e = fmax(e, fabs(logZ - rlogZ) / fmax(1, fabs(rlogZ)));
        REQUIRE(e < 1e-10, "model term case %zu (%s, M = %zu): rel error %.3g (logZ %.17g vs %.17g)", q,
                cs[q].spin ? "spin" : "gauss", M, e, logZ, rlogZ);
        worst = fmax(worst, e);
        free(lw);
        flow_potts_free(f);
        ring_free(dm);
    }
    fprintf(stderr, "flow_potts: model term vs enumeration, largest rel error %.2g\n", worst);
    gsl_rng_free(r);
}
END_TEST

/* ---- gradient = finite differences of the exact log-likelihood ----------- */

START_TEST(test_grad_fd)
{
    struct { size_t N, P, M; int spin; } cs[] = {{6, 3, 1, 0}, {5, 4, 1, 1}, {6, 3, 2, 1}};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    char err[SYM_ERRLEN];
    for (size_t q = 0; q < sizeof cs / sizeof cs[0]; q++) {
        size_t N = cs[q].N, P = cs[q].P, M = cs[q].M, NP = N * P, MNP = M * NP;
        ring_model *dm = model_of("xy", N, P, 1.2);
        double w[2 * 24], g[24], th[2], dw[2 * 24], dth[2], rw[2 * 24], rth[2];
        randn(r, w, MNP, 0.6);
        randn(r, g, NP, 0.3);
        randn(r, th, M, 0.3);
        const flow_potts_kind *k = cs[q].spin ? &flow_potts_spin : &flow_potts_gaussian;
        flow_potts *f = potts_flow(dm, k, M, w, 1e-8, 1e-10);
        ck_assert_msg(flow_potts_grad(f, w, th, g, dw, dth, err) == SYM_OK, "%s", err);
        double hstep = 1e-5, Lp, Lm, e = 0;
        for (size_t j = 0; j < MNP + M; j++) {
            double *x = j < MNP ? w + j : th + (j - MNP), x0 = *x;
            *x = x0 + hstep;
            ck_assert_int_eq(flow_potts_loglik(f, w, th, g, &Lp, err), SYM_OK);
            *x = x0 - hstep;
            ck_assert_int_eq(flow_potts_loglik(f, w, th, g, &Lm, err), SYM_OK);
            *x = x0;
            double fd = (Lp - Lm) / (2 * hstep);
            if (j < MNP)
                rw[j] = fd;
            else
                rth[j - MNP] = fd;
        }
        double sc = fmax(maxabs(rw, MNP), maxabs(rth, M));
        for (size_t j = 0; j < MNP; j++)
            e = fmax(e, fabs(dw[j] - rw[j]) / sc);
        for (size_t mu = 0; mu < M; mu++)
            e = fmax(e, fabs(dth[mu] - rth[mu]) / sc);
        REQUIRE(e < 1e-7, "gradient vs finite differences, case %zu: rel error %.3g", q, e);
        /* the flow's right-hand side is the projection of that gradient (g = 0) */
        double rw2[2 * 24], rth2[2];
        ck_assert_int_eq(flow_potts_grad(f, w, th, NULL, rw2, rth2, err), SYM_OK);
        ck_assert_int_eq(flow_potts_rhs(f, w, th, dw, dth, err), SYM_OK);
        for (size_t mu = 0; mu < M; mu++)
            obs_potts_gauge(rw2 + mu * NP, N, P);
        for (size_t j = 0; j < MNP; j++)
            REQUIRE(fabs(dw[j] - rw2[j]) < 1e-14 * fmax(1, maxabs(rw2, MNP)), "rhs != projected gradient at %zu", j);
        for (size_t mu = 0; mu < M; mu++)
            REQUIRE(dth[mu] == rth2[mu], "rhs theta");
        flow_potts_free(f);
        ring_free(dm);
    }
    gsl_rng_free(r);
}
END_TEST

/* ---- gauge invariance ------------------------------------------------------ */

START_TEST(test_gauge)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    char err[SYM_ERRLEN];
    size_t N = 6, P = 4, NP = N * P;
    ring_model *dm = model_of("xy", N, P, 1.0);
    for (int spin = 0; spin < 2; spin++) {
        size_t M = spin ? 2 : 1, MNP = M * NP;
        double w[48], w2[48], th[2], th2[2], g[24], g2[24], L1, L2, d1[48], d2[48], t1[2], t2[2];
        randn(r, w, MNP, 0.5);
        randn(r, th, M, 0.3);
        randn(r, g, NP, 0.3);
        for (size_t mu = 0; mu < M; mu++)
            obs_potts_gauge(w + mu * NP, N, P);
        memcpy(w2, w, sizeof w);
        memcpy(g2, g, sizeof g);
        for (size_t mu = 0; mu < M; mu++) {
            th2[mu] = th[mu];
            for (size_t i = 0; i < N; i++) {
                double a = gsl_ran_gaussian(r, 1.0);
                for (size_t c = 0; c < P; c++)
                    w2[mu * NP + i * P + c] += a;
                th2[mu] += a;   /* the hidden field absorbs the shift */
            }
        }
        for (size_t i = 0; i < N; i++) {
            double b = gsl_ran_gaussian(r, 1.0);
            for (size_t c = 0; c < P; c++)
                g2[i * P + c] += b;
        }
        flow_potts *f = potts_flow(dm, spin ? &flow_potts_spin : &flow_potts_gaussian, M, w, 1e-8, 1e-10);
        ck_assert_int_eq(flow_potts_loglik(f, w, th, g, &L1, err), SYM_OK);
        ck_assert_int_eq(flow_potts_loglik(f, w2, th2, g2, &L2, err), SYM_OK);
        REQUIRE(fabs(L1 - L2) < 1e-11 * fmax(1, fabs(L1)), "loglik not gauge invariant: %.17g vs %.17g", L1, L2);
        ck_assert_int_eq(flow_potts_rhs(f, w, th, d1, t1, err), SYM_OK);
        ck_assert_int_eq(flow_potts_rhs(f, w2, th2, d2, t2, err), SYM_OK);
        double e = 0, sc = maxabs(d1, MNP);
        for (size_t j = 0; j < MNP; j++)
            e = fmax(e, fabs(d1[j] - d2[j]) / sc);
        for (size_t mu = 0; mu < M; mu++)
            e = fmax(e, fabs(t1[mu] - t2[mu]) / sc);
        REQUIRE(e < 1e-10, "projected rhs not gauge invariant (%s): %.3g", spin ? "spin" : "gauss", e);
        /* and the flow stays in the gauge: every projected right-hand side sums to 0 per site */
        for (size_t j = 0; j < M * N; j++) {
            double s = 0;
            for (size_t c = 0; c < P; c++)
                s += d1[j * P + c];
            REQUIRE(fabs(s) < 1e-13 * fmax(1, sc), "rhs leaves the gauge: %.3g", s);
        }
        flow_potts_free(f);
    }
    ring_free(dm);
    gsl_rng_free(r);
}
END_TEST

/* ---- linear regime: mode (k, p) grows at lambda_{k,p} - 1/P -------------- */

START_TEST(test_linear_rate)
{
    size_t N = 12, P = 5, NP = N * P;
    ring_model *dm = model_of("xy", N, P, 1.5);
    char err[SYM_ERRLEN];
    double *lam = malloc(NP * sizeof *lam);
    ck_assert_int_eq(ring_potts_spectrum(dm, lam, err), SYM_OK);
    size_t modes[][2] = {{0, 1}, {1, 1}, {3, 2}, {2, 1}};
    double worst = 0, T = 2.0, eps = 1e-6;
    for (int spin = 0; spin < 2; spin++)
        for (size_t q = 0; q < sizeof modes / sizeof modes[0]; q++) {
            size_t k = modes[q][0], p = modes[q][1];
            double w0[60], w[60], th;
            for (size_t i = 0; i < N; i++)
                for (size_t c = 0; c < P; c++)
                    w0[i * P + c] = eps * cos(2 * M_PI * ((double)(k * i) / (double)N + (double)(p * c) / (double)P));
            flow_potts *f = potts_flow(dm, spin ? &flow_potts_spin : &flow_potts_gaussian, 1, w0, 1e-10, 1e-20);
            ck_assert_msg(flow_potts_advance(f, T, err) == SYM_OK, "%s", err);
            flow_potts_state(f, w, &th);
            double a = 0, b = 0;
            for (size_t j = 0; j < NP; j++) {
                a += w[j] * w0[j];
                b += w0[j] * w0[j];
            }
            double rate = log(a / b) / T, pred = lam[k * P + p] - 1.0 / (double)P;
            REQUIRE(fabs(rate - pred) < 1e-6, "%s mode (%zu,%zu): rate %.10g, lambda - 1/P = %.10g", spin ? "spin" : "gauss", k, p, rate, pred);
            REQUIRE(fabs(th) < 1e-9, "theta moved in the linear regime: %g", th);
            worst = fmax(worst, fabs(rate - pred));
            flow_potts_free(f);
        }
    fprintf(stderr, "flow_potts: linear-regime rates vs lambda_{k,p} - 1/P, largest |diff| %.2g\n", worst);
    free(lam);
    ring_free(dm);
}
END_TEST

/* ---- P = 2 is the +-1 flow ------------------------------------------------- */

START_TEST(test_p2_spin_flow)
{
    size_t N = 12;
    double beta = 0.8, T = 3.0;
    ring_model *xy = model_of("xy", N, 2, beta), *is = model_of("ising", N, 0, beta);
    char err[SYM_ERRLEN];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 2);
    double ws[12], wp[24], wo[24], wso[12], th;
    for (int spin = 0; spin < 2; spin++) {
        randn(r, ws, N, 0.4);
        for (size_t i = 0; i < N; i++) {   /* state 1 is s = +1, state 0 is s = -1 */
            wp[2 * i + 1] = ws[i];
            wp[2 * i] = -ws[i];
        }
        flow_params fp = {is, 0, 0.0, 1e-11, 1e-14, FLOW_BDF, spin ? &flow_family_spin : &flow_family_gaussian, 0};
        flow_hidden hu = {1, NULL};
        flow *fs = NULL;
        ck_assert_msg(flow_alloc_units(&fs, &fp, &hu, ws, NULL, err) == SYM_OK, "%s", err);
        ck_assert_msg(flow_advance(fs, T, err) == SYM_OK, "%s", err);
        flow_state(fs, wso, NULL);
        flow_free(fs);
        flow_potts *f = potts_flow(xy, spin ? &flow_potts_spin : &flow_potts_gaussian, 1, wp, 1e-11, 1e-14);
        ck_assert_msg(flow_potts_advance(f, 2 * T, err) == SYM_OK, "%s", err);
        flow_potts_state(f, wo, &th);
        flow_potts_free(f);
        double e = 0, d0 = 0;
        for (size_t i = 0; i < N; i++) {
            e = fmax(e, fabs(0.5 * (wo[2 * i + 1] - wo[2 * i]) - wso[i]));
            d0 = fmax(d0, fabs(wso[i] - ws[i]));
        }
        REQUIRE(d0 > 0.05, "the flow hardly moved (%g): no test", d0);
        REQUIRE(e < 1e-6 * maxabs(wso, N), "%s: P = 2 flow differs from the +-1 flow by %.3g", spin ? "spin" : "gauss", e);
        REQUIRE(fabs(th) < 1e-9, "theta %g at P = 2 (symmetric data)", th);
        fprintf(stderr, "flow_potts: P = 2 vs the +-1 %s flow: largest |diff| %.2g (weights moved %.2g)\n",
                spin ? "spin" : "gaussian", e, d0);
    }
    gsl_rng_free(r);
    ring_free(xy);
    ring_free(is);
}
END_TEST

/* ---- theory_run on xy: the files ------------------------------------------- */

/* theory_run with binary units on a small xy ring: weights.tsv has the
 * SPEC 5 Potts layout (t mu c w_0 .. w_{N-1}) starting from
 * flow_potts_init_weights, every snapshot in the gauge, and the
 * trajectory's log-likelihood at the last snapshot equals the enumerated
 * one of the written weights and theta. */
START_TEST(test_run_files)
{
    char err[SYM_ERRLEN], dir[] = "/tmp/symrbm_flow_potts_XXXXXX", path[300];
    ck_assert(mkdtemp(dir) != NULL);
    size_t N = 5, P = 3, M = 2, S = 3, NP = N * P, n;
    double beta = 1.1;
    ring_model *dm = model_of("xy", N, P, beta);
    theory_config c;
    theory_config_default(&c);
    c.family = &flow_family_spin;
    c.M = M;
    c.T = 3;
    c.snapshots = S;
    c.init_scale = 0.8;
    traj_header h;
    traj_header_init(&h);
    ck_assert_msg(theory_run(&c, dm, &h, dir, NULL, NULL, err) == SYM_OK, "%s", err);
    traj_header_free(&h);
    traj_table tw, tt, tth;
    snprintf(path, sizeof path, "%s/weights.tsv", dir);
    ck_assert_msg(traj_read(path, &tw, err) == SYM_OK, "%s", err);
    snprintf(path, sizeof path, "%s/trajectory.tsv", dir);
    ck_assert_msg(traj_read(path, &tt, err) == SYM_OK, "%s", err);
    snprintf(path, sizeof path, "%s/theta.tsv", dir);
    ck_assert_msg(traj_read(path, &tth, err) == SYM_OK, "%s", err);
    ck_assert_uint_eq(tw.ncol, N + 3);
    ck_assert_uint_eq(tw.nrow, (S + 1) * M * P);
    ck_assert_str_eq(tw.col[2], "c");
    ck_assert_str_eq(tw.col[3], "w_0");
    double w0[2 * 15], w[2 * 15], th[2];
    ck_assert_int_eq(flow_potts_init_weights(c.seed, N, P, M, c.init_scale, w0), 0);
    for (size_t row = 0; row < tw.nrow; row++) {
        const double *x = tw.x + row * tw.ncol;
        size_t snap = row / (M * P), mu = (size_t)x[1], cc = (size_t)x[2];
        ck_assert_uint_eq(mu, row / P % M);
        ck_assert_uint_eq(cc, row % P);
        for (size_t i = 0; i < N; i++) {
            if (snap == 0)
                REQUIRE(x[3 + i] == w0[mu * NP + i * P + cc], "w(0) is not flow_potts_init_weights: %.17g vs %.17g (row %zu, i %zu)", x[3 + i], w0[mu * NP + i * P + cc], row, i);
            if (snap == S)
                w[mu * NP + i * P + cc] = x[3 + i];
        }
        if (cc == P - 1)   /* the block of one (t, mu) is complete: the gauge */
            for (size_t i = 0; i < N; i++) {
                double sum = 0;
                for (size_t k = 0; k < P; k++)
                    sum += tw.x[(row - k) * tw.ncol + 3 + i];
                REQUIRE(fabs(sum) < 1e-13, "weights leave the gauge: %g", sum);
            }
    }
    ck_assert_uint_eq(tth.nrow, (S + 1) * M);
    for (size_t mu = 0; mu < M; mu++)
        th[mu] = tth.x[(S * M + mu) * tth.ncol + 2];
    REQUIRE(fabs(th[0]) + fabs(th[1]) > 1e-6, "theta did not move: no test of it");
    int cl = traj_table_col(&tt, "loglik");
    ck_assert_int_ge(cl, 0);
    double L = tt.x[(tt.nrow - 1) * tt.ncol + (size_t)cl];
    /* enumeration: L = sum_v p(v) log P_model(v) */
    double *pv = xy_enum(N, P, beta, &n), *lw = malloc(n * sizeof *lw), lmax = -INFINITY, Z = 0, ref = 0;
    size_t v[8];
    for (size_t idx = 0; idx < n; idx++) {
        states(idx, N, P, v);
        double s = 0;
        for (size_t mu = 0; mu < M; mu++)
            s += log(2 * cosh(input(w + mu * NP, v, N, P) - th[mu]));
        lw[idx] = s;
        lmax = fmax(lmax, s);
    }
    for (size_t idx = 0; idx < n; idx++)
        Z += exp(lw[idx] - lmax);
    for (size_t idx = 0; idx < n; idx++)
        ref += pv[idx] * (lw[idx] - lmax - log(Z));
    REQUIRE(fabs(L - ref) < 1e-10 * fabs(ref), "trajectory loglik %.17g, enumeration %.17g", L, ref);
    free(pv);
    free(lw);
    traj_table_free(&tw);
    traj_table_free(&tt);
    traj_table_free(&tth);
    ring_free(dm);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *flow_potts_suite(void)
{
    Suite *s = suite_create("flow_potts");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_data_enum);
    tcase_add_test(tc, test_model_enum);
    tcase_add_test(tc, test_grad_fd);
    tcase_add_test(tc, test_gauge);
    tcase_add_test(tc, test_linear_rate);
    tcase_add_test(tc, test_p2_spin_flow);
    tcase_add_test(tc, test_run_files);
    suite_add_tcase(s, tc);
    return s;
}
