/* Suite potts_sim: the Potts-visible trainer (sim/potts.h, sim/potts_run.h)
 * against answers computed here independently:
 *   - log Z, the model term and the log-likelihood against brute force over
 *     all (v, h): every v of P^N (N = 4, P = 3) and, for binary units, every
 *     h of 2^M (M <= 3); for a gaussian unit the h integral of each v in
 *     closed form, sqrt(2 pi / gamma) exp((I + b - theta)^2 / (2 gamma));
 *   - the gradient (data term - exact model term) against central finite
 *     differences of the exact log-likelihood, every component;
 *   - gauge invariance: w_{i mu}(c) + a_{i mu} with theta_mu + sum_i a_{i mu}
 *     (b_mu - sum_i a), and g_i(c) + b_i, leave the log-likelihood unchanged;
 *   - the softmax Gibbs step against the exact conditional (z-scores of
 *     state counts), and the binary hidden step against (1 + tanh)/2;
 *   - PCD with many chains against the exact model term;
 *   - an end-to-end sim on xy data with the exact model term: the final
 *     log-likelihood is above the initial one, and the gauge holds;
 *   - the kernels (sim/kern_potts.h, sim/kern_potts_ew.h) against the
 *     direct loops they replace, bit for bit (softmax, draw, inputs, the
 *     fused v-mean sums, the data term), the exponential against expl
 *     (and, on x86-64 glibc with SSE4.1, libmvec's 2-wide exp bit for bit)
 *     and the tanh estimate against tanh within its stated bound. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "core/err.h"
#include "core/ring.h"
#include "core/rng.h"
#include "core/unit.h"
#include "core/visible.h"
#include "sim/kern_potts.h"
#include "sim/kern_potts_ew.h"
#include "sim/potts.h"
#include "sim/potts_run.h"
#include "tests/suites.h"
#include "tests/tutil.h"

#define TOL_EXACT 1e-10   /* relative to 1 + |value|                         */
#define FD_STEP 1e-5
#define TOL_FD 1e-7
#define TOL_GAUGE 1e-11
#define N_Z 5.0           /* z-score bound of every statistical check        */

/* N = 4, P = 3: 81 visible states */
#define TN 4
#define TP 3

static void cfg_init(potts_config *c, const unit_type *t, size_t M)
{
    memset(c, 0, sizeof *c);
    c->N = TN;
    c->P = TP;
    c->M = M;
    unit_params_default(&c->unit, t);
    c->learn_fields = 1;
    c->learn_theta = 1;
    c->term = TRAIN_EXACT;
    c->chains = 10;
    c->mc_steps = 1;
    c->lr = 0.01;
}

/* random parameters of order scale (not in the gauge: the exact formulas
 * must hold for any w) */
static double *rand_params(const potts_config *c, unsigned long seed, double scale)
{
    size_t n = potts_nparam(c);
    double *x = malloc(n * sizeof *x);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (size_t k = 0; k < n; k++)
        x[k] = scale * (2 * gsl_rng_uniform(r) - 1);
    gsl_rng_free(r);
    return x;
}

/* Brute force over all (v, h) (h: 2^M for binary units, the closed-form
 * integral for one gaussian unit): log Z, and <[v_i=c] h_mu>, <[v_i=c]>,
 * <h_mu> in the layout of x; logp[s] = log P(v_s) for state index s
 * (site 0 the fastest digit). */
static double brute(const potts_config *c, const double *x, double *m, double *logp)
{
    size_t N = c->N, P = c->P, M = c->M, NP = N * P, MNP = M * NP, n = potts_nparam(c);
    size_t nv = 1;
    for (size_t i = 0; i < N; i++)
        nv *= P;
    const double *w = x, *g = x + MNP, *b = x + MNP + NP;
    double th = c->unit.theta_p, gam = c->unit.gamma_p;
    long double Z = 0, *acc = calloc(n, sizeof *acc);
    double *lv = malloc(nv * sizeof *lv);
    for (size_t s = 0; s < nv; s++) {
        size_t v[16], q = s;
        for (size_t i = 0; i < N; i++) {
            v[i] = q % P;
            q /= P;
        }
        double gv = 0, I[8];
        for (size_t i = 0; i < N; i++)
            gv += g[i * P + v[i]];
        for (size_t mu = 0; mu < M; mu++) {
            I[mu] = b[mu];
            for (size_t i = 0; i < N; i++)
                I[mu] += w[mu * NP + i * P + v[i]];
        }
        long double zv = 0;
        if (c->unit.type->binary) {
            for (size_t hc = 0; hc < ((size_t)1 << M); hc++) {
                double e = gv, h[8];
                for (size_t mu = 0; mu < M; mu++) {
                    h[mu] = (hc >> mu) & 1 ? 1.0 : -1.0;
                    e += h[mu] * (I[mu] - th);
                }
                long double pe = expl((long double)e);
                zv += pe;
                for (size_t mu = 0; mu < M; mu++) {
                    for (size_t i = 0; i < N; i++)
                        acc[mu * NP + i * P + v[i]] += pe * h[mu];
                    acc[MNP + NP + mu] += pe * h[mu];
                }
                for (size_t i = 0; i < N; i++)
                    acc[MNP + i * P + v[i]] += pe;
            }
        } else {
            /* one gaussian unit: int dh exp(-gam h^2/2 + h (I - th)) */
            double y = I[0] - th;
            long double pe = expl((long double)(gv + y * y / (2 * gam))) * sqrtl(2 * M_PI / gam);
            double hm = y / gam;
            zv = pe;
            for (size_t i = 0; i < N; i++) {
                acc[i * P + v[i]] += pe * hm;
                acc[MNP + i * P + v[i]] += pe;
            }
            acc[MNP + NP] += pe * hm;
        }
        Z += zv;
        lv[s] = (double)logl(zv);
    }
    double logZ = (double)logl(Z);
    for (size_t k = 0; m && k < n; k++)
        m[k] = (double)(acc[k] / Z);
    for (size_t s = 0; logp && s < nv; s++)
        logp[s] = lv[s] - logZ;
    free(acc);
    free(lv);
    return logZ;
}

static void check_exact(const unit_type *t, size_t M, int enumerate, unsigned long seed)
{
    potts_config c;
    cfg_init(&c, t, M);
    c.unit.theta_p = 0.3;
    if (t->linear)
        c.unit.gamma_p = 1.7;
    double *x = rand_params(&c, seed, 0.8);
    size_t n = potts_nparam(&c);
    double *m = malloc(n * sizeof *m), *mb = malloc(n * sizeof *mb), logZ;
    char err[SYM_ERRLEN];
    ck_assert_msg(potts_exact(&c, x, enumerate, &logZ, m, err) == SYM_OK, "%s", err);
    double lb = brute(&c, x, mb, NULL);
    ck_assert_msg(fabs(logZ - lb) < TOL_EXACT * (1 + fabs(lb)), "%s M=%zu enum=%d: log Z %.15g, "
                  "brute force %.15g", t->name, M, enumerate, logZ, lb);
    for (size_t k = 0; k < n; k++)
        ck_assert_msg(fabs(m[k] - mb[k]) < TOL_EXACT * (1 + fabs(mb[k])),
                      "%s M=%zu enum=%d: model term[%zu] %.15g, brute force %.15g", t->name, M,
                      enumerate, k, m[k], mb[k]);
    free(x);
    free(m);
    free(mb);
}

START_TEST(test_exact_gauss)
{
    check_exact(&unit_gaussian, 1, 0, 11);   /* the 1-D integral */
    check_exact(&unit_gaussian, 1, 1, 12);   /* the enumeration */
}
END_TEST

START_TEST(test_exact_spin)
{
    for (size_t M = 1; M <= 3; M++) {
        check_exact(&unit_spin, M, 0, 20 + M);   /* the 2^M sum */
        check_exact(&unit_spin, M, 1, 30 + M);   /* the enumeration */
    }
}
END_TEST

/* The gaussian integral with large weights (a wide, bimodal p(h)). */
START_TEST(test_exact_gauss_wide)
{
    potts_config c;
    cfg_init(&c, &unit_gaussian, 1);
    double *x = rand_params(&c, 5, 3.0);
    double logZ, lb = brute(&c, x, NULL, NULL);
    char err[SYM_ERRLEN];
    ck_assert_msg(potts_exact(&c, x, 0, &logZ, NULL, err) == SYM_OK, "%s", err);
    ck_assert_msg(fabs(logZ - lb) < TOL_EXACT * (1 + fabs(lb)), "log Z %.15g, brute %.15g", logZ,
                  lb);
    free(x);
}
END_TEST

/* a fixed set of B samples of N = 4, P = 3 */
static int8_t *rand_samples(size_t B, unsigned long seed)
{
    int8_t *v = malloc(B * TN);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (size_t k = 0; k < B * TN; k++)
        v[k] = (int8_t)gsl_rng_uniform_int(r, TP);
    gsl_rng_free(r);
    return v;
}

static void check_loglik(const unit_type *t, size_t M, unsigned long seed)
{
    potts_config c;
    cfg_init(&c, t, M);
    c.unit.theta_p = -0.2;
    double *x = rand_params(&c, seed, 0.7);
    size_t B = 37;
    int8_t *v = rand_samples(B, seed + 1);
    double logp[81], ll, want = 0;
    brute(&c, x, NULL, logp);
    for (size_t b = 0; b < B; b++) {
        size_t s = 0;
        for (size_t i = TN; i-- > 0;)
            s = s * TP + (size_t)v[b * TN + i];
        want += logp[s] / (double)B;
    }
    char err[SYM_ERRLEN];
    ck_assert_msg(potts_loglik(&c, x, v, B, &ll, err) == SYM_OK, "%s", err);
    ck_assert_msg(fabs(ll - want) < TOL_EXACT * (1 + fabs(want)), "%s M=%zu: loglik %.15g, brute "
                  "force %.15g", t->name, M, ll, want);
    free(x);
    free(v);
}

START_TEST(test_loglik)
{
    check_loglik(&unit_gaussian, 1, 40);
    check_loglik(&unit_spin, 1, 41);
    check_loglik(&unit_spin, 3, 42);
}
END_TEST

/* data term - exact model term = d loglik / dx, every component */
static void check_fd(const unit_type *t, size_t M, unsigned long seed)
{
    potts_config c;
    cfg_init(&c, t, M);
    c.unit.theta_p = 0.1;
    c.term = c.unit.type->binary || (M == 1 && t->linear) ? TRAIN_EXACT : TRAIN_ENUM;
    double *x = rand_params(&c, seed, 0.6);
    size_t n = potts_nparam(&c), B = 29;
    int8_t *v = rand_samples(B, seed + 7);
    double *d = malloc(n * sizeof *d), *m = malloc(n * sizeof *m), logZ;
    char err[SYM_ERRLEN];
    potts_data_term(&c, x, v, NULL, B, d);
    ck_assert_msg(potts_exact(&c, x, c.term == TRAIN_ENUM, &logZ, m, err) == SYM_OK, "%s", err);
    for (size_t k = 0; k < n; k++) {
        double x0 = x[k], lp, lm;
        x[k] = x0 + FD_STEP;
        ck_assert(potts_loglik(&c, x, v, B, &lp, err) == SYM_OK);
        x[k] = x0 - FD_STEP;
        ck_assert(potts_loglik(&c, x, v, B, &lm, err) == SYM_OK);
        x[k] = x0;
        double fd = (lp - lm) / (2 * FD_STEP), an = d[k] - m[k];
        ck_assert_msg(fabs(fd - an) < TOL_FD, "%s M=%zu component %zu: gradient %.12g, finite "
                      "difference %.12g", t->name, M, k, an, fd);
    }
    free(x);
    free(v);
    free(d);
    free(m);
}

START_TEST(test_gradient_fd)
{
    check_fd(&unit_gaussian, 1, 50);
    check_fd(&unit_spin, 2, 51);
    check_fd(&unit_drelu, 1, 52);
}
END_TEST

START_TEST(test_gauge)
{
    const unit_type *ts[] = {&unit_gaussian, &unit_spin};
    size_t Ms[] = {1, 3};
    for (int j = 0; j < 2; j++) {
        potts_config c;
        cfg_init(&c, ts[j], Ms[j]);
        double *x = rand_params(&c, 60 + j, 0.6);
        size_t NP = TN * TP, MNP = c.M * NP, n = potts_nparam(&c), B = 23;
        int8_t *v = rand_samples(B, 70 + j);
        double l0, l1, l2;
        char err[SYM_ERRLEN];
        ck_assert(potts_loglik(&c, x, v, B, &l0, err) == SYM_OK);
        double *y = malloc(n * sizeof *y);
        memcpy(y, x, n * sizeof *y);
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        for (size_t mu = 0; mu < c.M; mu++)
            for (size_t i = 0; i < TN; i++) {
                double a = 2 * gsl_rng_uniform(r) - 1;
                for (size_t q = 0; q < TP; q++)
                    y[mu * NP + i * TP + q] += a;
                y[MNP + NP + mu] -= a;   /* theta_mu + a */
            }
        ck_assert(potts_loglik(&c, y, v, B, &l1, err) == SYM_OK);
        ck_assert_msg(fabs(l1 - l0) < TOL_GAUGE * (1 + fabs(l0)), "%s: w gauge moved loglik "
                      "%.15g -> %.15g", ts[j]->name, l0, l1);
        for (size_t i = 0; i < TN; i++) {
            double a = 3 * gsl_rng_uniform(r);
            for (size_t q = 0; q < TP; q++)
                y[MNP + i * TP + q] += a;
        }
        ck_assert(potts_loglik(&c, y, v, B, &l2, err) == SYM_OK);
        ck_assert_msg(fabs(l2 - l0) < TOL_GAUGE * (1 + fabs(l0)), "%s: g gauge moved loglik "
                      "%.15g -> %.15g", ts[j]->name, l0, l2);
        /* without the theta shift the likelihood must change (the test can fail) */
        y[0] += 0.5;
        y[1] += 0.5;
        y[2] += 0.5;
        ck_assert(potts_loglik(&c, y, v, B, &l2, err) == SYM_OK);
        ck_assert_msg(fabs(l2 - l0) > 1e-4, "a shift of w alone left loglik unchanged");
        gsl_rng_free(r);
        free(x);
        free(y);
        free(v);
    }
}
END_TEST

/* v | h: counts of each (i, c) over many draws at fixed h against the
 * softmax of g + sum_mu h_mu w_mu, computed here; h | v for binary units
 * against (1 + tanh(I + b - theta)) / 2. */
START_TEST(test_gibbs_conditionals)
{
    potts_config c;
    cfg_init(&c, &unit_spin, 2);
    c.term = TRAIN_PCD;
    c.unit.theta_p = 0.2;
    double *x = rand_params(&c, 80, 1.2);
    size_t NP = TN * TP, MNP = c.M * NP;
    int8_t *v = rand_samples(4, 81);
    gsl_rng *r = rng_alloc(3, RNG_STREAM_AUX);
    potts_ws *ws;
    char err[SYM_ERRLEN];
    ck_assert_msg(potts_alloc(&ws, &c, v, 4, r, err) == SYM_OK, "%s", err);
    potts_gibbs_seed(ws, r);
    const size_t ND = 200000;
    double h[2] = {1.0, -1.0};
    long cnt[TN * TP] = {0};
    int8_t row[TN];
    for (size_t d = 0; d < ND; d++) {
        potts_gibbs_v(ws, x, h, row);
        for (size_t i = 0; i < TN; i++)
            cnt[i * TP + (size_t)row[i]]++;
    }
    for (size_t i = 0; i < TN; i++) {
        double f[TP], mx = -INFINITY, z = 0;
        for (size_t q = 0; q < TP; q++) {
            f[q] = x[MNP + i * TP + q] + h[0] * x[i * TP + q] + h[1] * x[NP + i * TP + q];
            mx = fmax(mx, f[q]);
        }
        for (size_t q = 0; q < TP; q++)
            z += exp(f[q] - mx);
        for (size_t q = 0; q < TP; q++) {
            double p = exp(f[q] - mx) / z, se = sqrt(p * (1 - p) / (double)ND);
            double zz = ((double)cnt[i * TP + q] / (double)ND - p) / se;
            ck_assert_msg(fabs(zz) < N_Z, "site %zu state %zu: frequency z = %.2f (p = %.4f)", i,
                          q, zz, p);
        }
    }
    /* h | v */
    long up[2] = {0, 0};
    const int8_t *v0 = v;
    for (size_t d = 0; d < ND; d++) {
        double hh[2];
        potts_gibbs_h(ws, x, v0, hh, r);
        for (size_t mu = 0; mu < 2; mu++)
            up[mu] += hh[mu] > 0;
    }
    for (size_t mu = 0; mu < 2; mu++) {
        double I = x[MNP + NP + mu];
        for (size_t i = 0; i < TN; i++)
            I += x[mu * NP + i * TP + (size_t)v0[i]];
        double p = 0.5 * (1 + tanh(I - c.unit.theta_p)), se = sqrt(p * (1 - p) / (double)ND);
        double zz = ((double)up[mu] / (double)ND - p) / se;
        ck_assert_msg(fabs(zz) < N_Z, "unit %zu: P(h = 1 | v) z = %.2f (p = %.4f)", mu, zz, p);
    }
    potts_free(ws);
    gsl_rng_free(r);
    free(x);
    free(v);
}
END_TEST

/* PCD with many chains against the exact model term: NREP successive
 * estimates (PCD_STEPS more Gibbs steps each, the chains persistent), their
 * mean against the exact value in units of the standard error from their
 * spread (Student t with NREP - 1 degrees of freedom: bound PCD_Z). */
#define NREP 20
#define PCD_STEPS 10
#define PCD_Z 6.0
static void check_pcd(const unit_type *t, size_t M)
{
    potts_config c;
    cfg_init(&c, t, M);
    c.term = TRAIN_PCD;
    c.chains = 10000;
    c.mc_steps = PCD_STEPS;
    double *x = rand_params(&c, 90 + M, 0.9);
    size_t n = potts_nparam(&c);
    int8_t *v = rand_samples(4, 91);
    gsl_rng *r = rng_alloc(4, RNG_STREAM_AUX);
    potts_ws *ws;
    char err[SYM_ERRLEN];
    ck_assert_msg(potts_alloc(&ws, &c, v, 4, r, err) == SYM_OK, "%s", err);
    double *m = malloc(n * sizeof *m), *me = malloc(n * sizeof *me), logZ;
    double *s1 = calloc(n, sizeof *s1), *s2 = calloc(n, sizeof *s2);
    ck_assert(potts_model_term(ws, x, v, NULL, 4, r, m, err) == SYM_OK);   /* burn-in */
    for (int rep = 0; rep < NREP; rep++) {
        ck_assert(potts_model_term(ws, x, v, NULL, 4, r, m, err) == SYM_OK);
        for (size_t k = 0; k < n; k++) {
            s1[k] += m[k];
            s2[k] += m[k] * m[k];
        }
    }
    ck_assert(potts_exact(&c, x, 0, &logZ, me, err) == SYM_OK);
    for (size_t k = 0; k < n; k++) {
        double mean = s1[k] / NREP, var = (s2[k] - NREP * mean * mean) / (NREP - 1);
        double se = sqrt(fmax(var, 0) / NREP) + 1e-12;
        double zz = (mean - me[k]) / se;
        ck_assert_msg(fabs(zz) < PCD_Z, "%s M=%zu component %zu: pcd %.5f, exact %.5f (%.1f se)",
                      t->name, M, k, mean, me[k], zz);
    }
    potts_free(ws);
    gsl_rng_free(r);
    free(x);
    free(v);
    free(m);
    free(me);
    free(s1);
    free(s2);
}

/* One ADAM update of potts_run against the step done here (the first ADAM
 * step is lr g / (|g| + eps) per component, g the projected gradient): the
 * log-likelihoods agree (the re-projection onto the gauge moves theta with
 * w), and the result is in the zero-sum gauge. */
START_TEST(test_adam_gauge)
{
    potts_config c;
    cfg_init(&c, &unit_spin, 2);
    c.opt = TRAIN_ADAM;
    c.lr = 0.05;
    double *x = rand_params(&c, 95, 0.5);
    size_t n = potts_nparam(&c), NP = TN * TP, B = 31;
    int8_t *v = rand_samples(B, 96);
    gsl_rng *r = rng_alloc(5, RNG_STREAM_AUX);
    potts_ws *ws;
    char err[SYM_ERRLEN];
    ck_assert(potts_alloc(&ws, &c, v, B, r, err) == SYM_OK);
    const double *gr;
    ck_assert(potts_gradient(ws, x, v, NULL, B, r, &gr, err) == SYM_OK);
    double *y = malloc(n * sizeof *y), ly, lx;
    for (size_t k = 0; k < n; k++)
        y[k] = x[k] + c.lr * gr[k] / (fabs(gr[k]) + TRAIN_ADAM_EPS);
    ck_assert(potts_run(ws, 1, NULL, 0, x, r, NULL, NULL, err) == SYM_OK);
    ck_assert(potts_loglik(&c, y, v, B, &ly, err) == SYM_OK);
    ck_assert(potts_loglik(&c, x, v, B, &lx, err) == SYM_OK);
    ck_assert_msg(fabs(lx - ly) < TOL_GAUGE * (1 + fabs(ly)), "ADAM step: loglik %.15g, by hand "
                  "%.15g", lx, ly);
    for (size_t q = 0; q < c.M * TN + TN; q++) {
        double s = 0;
        for (size_t k = 0; k < TP; k++)
            s += x[q * TP + k];
        ck_assert_msg(fabs(s) < 1e-12, "row %zu of w, g: colour sum %g after ADAM", q, s);
    }
    (void)NP;
    potts_free(ws);
    gsl_rng_free(r);
    free(x);
    free(y);
    free(v);
}
END_TEST

START_TEST(test_pcd_exact)
{
    check_pcd(&unit_spin, 2);
    check_pcd(&unit_gaussian, 1);
}
END_TEST

/* sim on xy data, exact model term: the log-likelihood grows and the
 * final weights are in the zero-sum gauge. */
START_TEST(test_sim_xy)
{
    ring_params rp;
    ring_params_default(&rp);
    char err[SYM_ERRLEN];
    ck_assert(ring_type_find("xy", &rp.type, err) == SYM_OK);
    rp.N = 12;
    ck_assert(ring_params_set(&rp, "P", 4, err) == SYM_OK);
    ck_assert(ring_params_set(&rp, "beta", 1.5, err) == SYM_OK);
    ring_model *m;
    ck_assert_msg(ring_alloc(&m, &rp, err) == SYM_OK, "%s", err);
    const unit_type *ts[] = {&unit_spin, &unit_gaussian};
    for (int j = 0; j < 2; j++) {
        sim_config c;
        sim_config_default(&c);
        unit_params_default(&c.train.unit, ts[j]);
        c.train.M = 1;
        c.train.lr = 0.05;
        c.train.batch = 50;
        c.epochs = 10;
        c.snapshots = 5;
        c.init_scale = 0.1;
        int8_t *v, *vt;
        size_t B = 1000;
        ck_assert(sim_potts_draw(m, 2, B, 200, &v, &vt, err) == SYM_OK);
        potts_config pc = {12, 1, 4, c.train.unit, 0, 1, 0, TRAIN_EXACT, 1, 1, TRAIN_SGD, 0.05, 50};
        double *x0 = malloc(potts_nparam(&pc) * sizeof *x0), l0;
        ck_assert(potts_init(&pc, c.seed, c.init_scale, x0, err) == SYM_OK);
        ck_assert(potts_loglik(&pc, x0, v, B, &l0, err) == SYM_OK);
        traj_header h;
        traj_header_init(&h);
        sim_potts_result res;
        ck_assert_msg(sim_potts_run(&c, 1, m, v, B, vt, 200, &h, NULL, &res, err) == SYM_OK, "%s",
                      err);
        ck_assert_msg(res.loglik > l0 + 0.1, "%s: loglik %.6f -> %.6f", ts[j]->name, l0,
                      res.loglik);
        ck_assert(isfinite(res.loglik_test) && res.loglik_test > l0);
        /* a localised, angular field has S_ang well above a random one's */
        ck_assert_msg(res.final.S_ang > 0.5, "%s: S_ang %.3f", ts[j]->name, res.final.S_ang);
        traj_header_free(&h);
        free(v);
        free(vt);
        free(x0);
    }
    ring_free(m);
}
END_TEST

/* The command line: refusals are one line and exit 2. */
START_TEST(test_cli_refusals)
{
    char err[4096];
    char *a[] = {"", "sim", "--data", "xy", "--P", "3", "--N", "6", "--B", "50", "--resume",
                 "--out", "/tmp/symrbm_potts_never", NULL};
    ck_assert_int_eq(tutil_run(a, err, sizeof err), 2);
    ck_assert_msg(tutil_lines(err) == 1 && strstr(err, "resume"), "%s", err);
    char *b[] = {"", "sim", "--data", "xy", "--P", "3", "--N", "6", "--B", "50", "--hidden",
                 "relu", "--model-term", "exact", "--out", "/tmp/symrbm_potts_never", NULL};
    ck_assert_int_eq(tutil_run(b, err, sizeof err), 2);
    ck_assert_msg(tutil_lines(err) == 1 && strstr(err, "exact"), "%s", err);
    char *d[] = {"", "sim", "--N", "6", "--B", "50", "--hidden-fields", "learn", "--out",
                 "/tmp/symrbm_potts_never", NULL};
    ck_assert_int_eq(tutil_run(d, err, sizeof err), 2);
    ck_assert_msg(tutil_lines(err) == 1 && strstr(err, "hidden-fields"), "%s", err);
}
END_TEST

/* ---- kernels ---------------------------------------------------------- */

#if defined(__x86_64__) && defined(__GLIBC__)
#include <emmintrin.h>
__m128d _ZGVbN2v_exp(__m128d x);   /* libmvec, the old kern_potts_exp */
#define HAVE_MVEC2 1
#endif

static double rand_in(gsl_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * gsl_rng_uniform(r);
}

START_TEST(test_kern_exp)
{
    gsl_rng *r = rng_alloc(91, RNG_STREAM_AUX);
    size_t n = 200001;   /* odd: the scalar last element */
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    const double sc[] = {1e-300, 1e-8, 1, 10, 100, 700, 745, 800};
    for (size_t a = 0; a < sizeof sc / sizeof sc[0]; a++) {
        for (size_t k = 0; k < n; k++)
            x[k] = rand_in(r, -sc[a], sc[a] < 700 ? sc[a] : 709);
        x[0] = 0, x[1] = -0.0, x[2] = INFINITY, x[3] = -INFINITY, x[4] = NAN;
        x[5] = 708.39563088221371, x[6] = -708.4, x[7] = -1e-320;
        kern_potts_exp(x, y, n);
        for (size_t k = 0; k < n; k++) {
            if (isnan(x[k])) {
                ck_assert(isnan(y[k]));
                continue;
            }
            long double e = expl((long double)x[k]);
            double ulp = nextafter((double)e, INFINITY) - (double)e;
            if (isinf(e) || e < 0x1p-1022L) {   /* the scalar exp's range */
                ck_assert_msg(y[k] == exp(x[k]), "x %a: %a vs exp %a", x[k], y[k], exp(x[k]));
                continue;
            }
            ck_assert_msg(fabsl((long double)y[k] - e) <= 3 * (long double)ulp,
                          "x %a: %a vs expl %La", x[k], y[k], e);
        }
#ifdef HAVE_MVEC2
        if (__builtin_cpu_supports("sse4.1"))
            for (size_t k = 0; k + 1 < n; k += 2) {
                double z[2];
                _mm_storeu_pd(z, _ZGVbN2v_exp(_mm_loadu_pd(x + k)));
                ck_assert_msg(!memcmp(z, y + k, sizeof z) || (isnan(z[0]) && isnan(y[k])),
                              "x %a %a: libmvec %a %a, kern %a %a", x[k], x[k + 1], z[0], z[1],
                              y[k], y[k + 1]);
            }
#endif
    }
    free(x);
    free(y);
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_kern_tanh_est)
{
    gsl_rng *r = rng_alloc(92, RNG_STREAM_AUX);
    size_t n = 100003;
    double *I = malloc(n * sizeof *I), *t = malloc(n * sizeof *t), *sc = malloc(n * sizeof *sc);
    const double span[] = {1e-12, 1e-4, 0.1, 1, 5, 20, 400};
    for (size_t a = 0; a < sizeof span / sizeof span[0]; a++) {
        for (size_t k = 0; k < n; k++)
            I[k] = rand_in(r, -span[a], span[a]);
        kern_potts_tanh_est(I, 0.3, n, t, sc);
        for (size_t k = 0; k < n; k++)
            ck_assert_msg(fabs(t[k] - tanh(I[k] - 0.3)) < 3e-15, "I %a: %a vs tanh %a", I[k],
                          t[k], tanh(I[k] - 0.3));
    }
    free(I);
    free(t);
    free(sc);
    gsl_rng_free(r);
}
END_TEST

/* The softmax, draw, inputs and fused v-mean kernels against the site-major
 * loops they replace (sim/potts.c before them), memcmp. */
START_TEST(test_kern_bitwise)
{
    gsl_rng *r = rng_alloc(93, RNG_STREAM_AUX);
    const size_t Ns[] = {1, 3, 7, 8, 9, 16, 17, 37, 100}, Ps[] = {2, 3, 10};
    for (size_t a = 0; a < sizeof Ns / sizeof Ns[0]; a++)
        for (size_t b = 0; b < sizeof Ps / sizeof Ps[0]; b++)
            for (size_t M = 1; M <= 9; M += 4) {
                size_t N = Ns[a], P = Ps[b], NP = N * P;
                double *g = malloc(NP * sizeof *g), *w = malloc(M * NP * sizeof *w);
                double *gS = malloc(NP * sizeof *gS), *wS = malloc(M * NP * sizeof *wS);
                double *f = malloc(NP * sizeof *f), *p1 = malloc(NP * sizeof *p1);
                double *fs = malloc(2 * NP * sizeof *fs), *pT = malloc(NP * sizeof *pT);
                double *cdf = malloc(NP * sizeof *cdf), *u = malloc(N * sizeof *u), h[9];
                for (size_t k = 0; k < NP; k++)
                    g[k] = 3 * gsl_ran_gaussian(r, 1.0);
                for (size_t k = 0; k < M * NP; k++)
                    w[k] = 3 * gsl_ran_gaussian(r, 1.0);
                for (size_t mu = 0; mu < M; mu++)
                    h[mu] = gsl_rng_uniform(r) < 0.5 ? 1.0 : -gsl_rng_uniform(r);
                for (size_t i = 0; i < N; i++)
                    for (size_t q = 0; q < P; q++) {
                        gS[q * N + i] = g[i * P + q];
                        for (size_t mu = 0; mu < M; mu++)
                            wS[mu * NP + q * N + i] = w[mu * NP + i * P + q];
                    }
                /* the direct loops: field, shift per site, exp, normalise */
                for (size_t k = 0; k < NP; k++) {
                    f[k] = g[k];
                    for (size_t mu = 0; mu < M; mu++)
                        f[k] += h[mu] * w[mu * NP + k];
                }
                for (size_t i = 0; i < N; i++) {
                    double *fi = f + i * P, mx = fi[0];
                    for (size_t q = 1; q < P; q++)
                        mx = fi[q] > mx ? fi[q] : mx;
                    for (size_t q = 0; q < P; q++)
                        fi[q] -= mx;
                }
                kern_potts_exp(f, p1, NP);
                for (size_t i = 0; i < N; i++) {
                    double *pi = p1 + i * P, z = 0;
                    for (size_t q = 0; q < P; q++)
                        z += pi[q];
                    double iz = 1.0 / z;
                    for (size_t q = 0; q < P; q++)
                        pi[q] *= iz;
                }
                kern_potts_softmax(gS, wS, h, M, N, P, fs, pT, cdf);
                for (size_t i = 0; i < N; i++)
                    for (size_t q = 0; q < P; q++)
                        ck_assert_msg(!memcmp(&p1[i * P + q], &pT[q * N + i], sizeof *p1),
                                      "softmax N %zu P %zu M %zu site %zu state %zu", N, P, M,
                                      i, q);
                /* the draw: every uniform, and ones on the running sums */
                int8_t row[100];
                for (size_t rep = 0; rep < 20; rep++) {
                    for (size_t i = 0; i < N; i++)
                        u[i] = rep < 10 ? gsl_rng_uniform(r)
                                        : cdf[(gsl_rng_uniform_int(r, P)) * N + i];
                    kern_potts_draw(cdf, u, N, P, row);
                    for (size_t i = 0; i < N; i++)
                        ck_assert_int_eq(row[i], (int)visible_potts_draw(p1 + i * P, P, u[i]));
                }
                /* the fused v-mean sums against an axpy per (array, row) */
                size_t nl = 5, R = M + 1, Rp = (R + 3) / 4 * 4;
                const double *pl[5];
                double *cf = calloc(nl * Rp, sizeof *cf);
                double *y1 = malloc(Rp * NP * sizeof *y1), *y2 = malloc(Rp * NP * sizeof *y2);
                for (size_t j = 0; j < nl; j++) {
                    pl[j] = j % 2 ? pT : p1;
                    for (size_t l = 0; l < R; l++)
                        cf[j * Rp + l] = gsl_ran_gaussian(r, 2.0);
                }
                for (size_t k = 0; k < R * NP; k++)
                    y1[k] = y2[k] = gsl_ran_gaussian(r, 1.0);
                for (size_t j = 0; j < nl; j++)
                    for (size_t l = 0; l < R; l++)
                        kern_potts_axpy(cf[j * Rp + l], pl[j], y1 + l * NP, NP);
                kern_potts_vmean(pl, cf, nl, R, NP, y2);
                ck_assert_msg(!memcmp(y1, y2, R * NP * sizeof *y1), "vmean N %zu P %zu M %zu",
                              N, P, M);
                /* the inputs of 1..4 rows against the sums in site order */
                size_t S = (M + KERN_POTTS_LANES) / KERN_POTTS_LANES * KERN_POTTS_LANES;
                double *wT = calloc(NP * S, sizeof *wT), bS[16] = {0}, I[4 * 16];
                int8_t rv[4][100];
                const int8_t *rows[4] = {rv[0], rv[1], rv[2], rv[3]};
                for (size_t k = 0; k < NP; k++)
                    for (size_t mu = 0; mu < M; mu++)
                        wT[k * S + mu] = w[mu * NP + k];
                for (size_t mu = 0; mu < M; mu++)
                    bS[mu] = gsl_ran_gaussian(r, 1.0);
                for (size_t nr = 1; nr <= 4; nr++) {
                    for (size_t k = 0; k < nr; k++)
                        for (size_t i = 0; i < N; i++)
                            rv[k][i] = (int8_t)gsl_rng_uniform_int(r, P);
                    kern_potts_inputs(wT, bS, S, N, P, rows, nr, I);
                    for (size_t k = 0; k < nr; k++)
                        for (size_t mu = 0; mu < M; mu++) {
                            double e = bS[mu];
                            for (size_t i = 0; i < N; i++)
                                e += w[mu * NP + i * P + (size_t)rv[k][i]];
                            ck_assert_msg(!memcmp(&e, &I[k * S + mu], sizeof e),
                                          "inputs N %zu P %zu M %zu nr %zu", N, P, M, nr);
                        }
                }
                free(g), free(w), free(gS), free(wS), free(f), free(p1), free(fs), free(pT);
                free(cdf), free(u), free(cf), free(y1), free(y2), free(wT);
            }
    gsl_rng_free(r);
}
END_TEST

/* potts_data_term against the direct scattered sums (sim/potts.c before
 * the transposed layout), memcmp, for each hidden kind and M across a
 * lane block. */
START_TEST(test_data_term_bitwise)
{
    const unit_type *ts[] = {&unit_spin, &unit_gaussian, &unit_relu};
    for (size_t a = 0; a < 3; a++)
        for (size_t M = 1; M <= 9; M += 4) {
            potts_config c;
            cfg_init(&c, ts[a], M);
            c.unit.theta_p = 0.2;
            double *x = rand_params(&c, 60 + M, 1.0);
            size_t N = TN, P = TP, NP = N * P, MNP = M * NP, n = potts_nparam(&c), B = 37;
            int8_t *v = rand_samples(B, 61 + M);
            size_t idx[37];
            for (size_t r = 0; r < B; r++)
                idx[r] = (r * 7) % B;
            double *d1 = calloc(n, sizeof *d1), *d2 = malloc(n * sizeof *d2);
            for (size_t r = 0; r < B; r++) {
                const int8_t *row = v + idx[r] * N;
                for (size_t i = 0; i < N; i++)
                    d1[MNP + i * P + (size_t)row[i]] += 1.0;
                for (size_t mu = 0; mu < M; mu++) {
                    double I = x[MNP + NP + mu];
                    for (size_t i = 0; i < N; i++)
                        I += x[mu * NP + i * P + (size_t)row[i]];
                    double hv = ts[a] == &unit_spin       ? tanh(I - c.unit.theta_p)
                                : ts[a] == &unit_gaussian ? (I - c.unit.theta_p) / c.unit.gamma_p
                                                          : unit_dgamma(&c.unit, I);
                    for (size_t i = 0; i < N; i++)
                        d1[mu * NP + i * P + (size_t)row[i]] += hv;
                    d1[MNP + NP + mu] += hv;
                }
            }
            for (size_t k = 0; k < n; k++)
                d1[k] *= 1.0 / (double)B;
            ck_assert_int_eq(potts_data_term(&c, x, v, idx, B, d2), SYM_OK);
            for (size_t k = 0; k < n; k++)
                ck_assert_msg(!memcmp(&d1[k], &d2[k], sizeof *d1), "%s M %zu k %zu: %a vs %a",
                              ts[a]->name, M, k, d1[k], d2[k]);
            free(x), free(v), free(d1), free(d2);
        }
}
END_TEST

Suite *potts_sim_suite(void)
{
    Suite *s = suite_create("potts_sim");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_exact_gauss);
    tcase_add_test(tc, test_exact_spin);
    tcase_add_test(tc, test_exact_gauss_wide);
    tcase_add_test(tc, test_loglik);
    tcase_add_test(tc, test_gradient_fd);
    tcase_add_test(tc, test_gauge);
    tcase_add_test(tc, test_gibbs_conditionals);
    tcase_add_test(tc, test_pcd_exact);
    tcase_add_test(tc, test_adam_gauge);
    tcase_add_test(tc, test_sim_xy);
    tcase_add_test(tc, test_cli_refusals);
    suite_add_tcase(s, tc);
    TCase *tk = tcase_create("kernels");
    tcase_set_timeout(tk, 120);
    tcase_add_test(tk, test_kern_exp);
    tcase_add_test(tk, test_kern_tanh_est);
    tcase_add_test(tk, test_kern_bitwise);
    tcase_add_test(tk, test_data_term_bitwise);
    suite_add_tcase(s, tk);
    return s;
}
