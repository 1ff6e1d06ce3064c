/* Suite restore: the symmetry-restoration predictions of theory/restore.h
 * (SPEC.md 8) against independent routes: e^T Sigma e by enumeration of
 * all 2^N states of the ising chain (binary units with a hidden field:
 * exact to rounding; gaussian units: the sampled estimate within its own
 * standard error), the translation mode against the closed-form
 * derivative of a band-limited bump, the landscape at integer shifts
 * against sim/train's exact log-likelihood of the lattice-shifted profile,
 * the PCD chain variance against the model distribution of h by
 * quadrature, the attractor's spread shrinking as the field widens, and
 * the D formula's wiring and scaling. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include <gsl/gsl_randist.h>

#include "core/err.h"
#include "core/models.h"
#include "core/rng.h"
#include "core/unit.h"
#include "sim/train.h"
#include "theory/restore.h"
#include "core/traj.h"
#include "tests/suites.h"
#include "tests/tutil.h"

static ring_model *ising(size_t N, double beta)
{
    ring_params rp;
    ring_params_default(&rp);
    rp.type = &ring_ising;
    rp.N = N;
    rp.val[ring_key_index("beta")] = beta;
    char err[SYM_ERRLEN];
    ring_model *m;
    ck_assert_msg(ring_alloc(&m, &rp, err) == SYM_OK, "%s", err);
    return m;
}

/* E[x^2] - E[x]^2 of x = (e.v) Gamma'(w.v) over the ising chain by
 * enumeration, P(v) ∝ exp(beta sum_i v_i v_{i+1}) (SPEC.md 2, not core/ring) */
static double esigmae_enum(size_t N, double beta, const double *w, const double *e,
                           int binary, double theta)
{
    double Z = 0, s1 = 0, s2 = 0;
    for (size_t s = 0; s < ((size_t)1 << N); s++) {
        double E = 0, I = 0, ev = 0;
        for (size_t i = 0; i < N; i++) {
            double vi = ((s >> i) & 1) ? 1.0 : -1.0, vj = ((s >> ((i + 1) % N)) & 1) ? 1.0 : -1.0;
            E += beta * vi * vj;
            I += w[i] * vi;
            ev += e[i] * vi;
        }
        double p = exp(E), x = ev * (binary ? tanh(I - theta) : I - theta);
        Z += p;
        s1 += p * x;
        s2 += p * x * x;
    }
    return s2 / Z - (s1 / Z) * (s1 / Z);
}

static void random_profile(gsl_rng *r, size_t N, double *w, double *e)
{
    double ne = 0;
    for (size_t i = 0; i < N; i++) {
        w[i] = 0.6 * exp(-0.5 * pow(((double)i - 4.3) / 1.7, 2)) + 0.15 * gsl_ran_gaussian(r, 1);
        e[i] = gsl_ran_gaussian(r, 1);
        ne += e[i] * e[i];
    }
    for (size_t i = 0; i < N; i++)
        e[i] /= sqrt(ne);
}

START_TEST(test_esigmae_binary_enum)
{
    char err[SYM_ERRLEN];
    gsl_rng *r = rng_alloc(3, RNG_STREAM_AUX);
    const size_t Ns[] = {6, 11, 14};
    const double betas[] = {0.4, 1.0, 1.7}, thetas[] = {0.0, 0.35, -0.8};
    for (int q = 0; q < 3; q++) {
        size_t N = Ns[q];
        ring_model *m = ising(N, betas[q]);
        double w[14], e[14];
        random_profile(r, N, w, e);
        unit_params u;
        unit_params_default(&u, &unit_spin);
        u.theta_p = thetas[q];
        double eSe, se;
        ck_assert_msg(restore_esigmae(m, &u, w, e, 0, 1, &eSe, &se, err) == SYM_OK, "%s", err);
        double want = esigmae_enum(N, betas[q], w, e, 1, thetas[q]);
        ck_assert_msg(fabs(eSe - want) < 1e-9 * want, "N %zu: %.17g vs enum %.17g", N, eSe, want);
        ck_assert_double_eq(se, 0.0);
        ring_free(m);
    }
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_esigmae_gaussian_sampled)
{
    char err[SYM_ERRLEN];
    gsl_rng *r = rng_alloc(4, RNG_STREAM_AUX);
    const size_t N = 12;
    ring_model *m = ising(N, 0.8);
    double w[12], e[12];
    random_profile(r, N, w, e);
    unit_params u;
    unit_params_default(&u, &unit_gaussian);
    double eSe, se;
    ck_assert_msg(restore_esigmae(m, &u, w, e, 200000, 7, &eSe, &se, err) == SYM_OK, "%s", err);
    double want = esigmae_enum(N, 0.8, w, e, 0, 0.0);
    /* within 4.5 standard errors, and the error is of the size its formula
     * says (a sample of 2e5: ~0.3% of a quantity of order one) */
    ck_assert_msg(fabs(eSe - want) < 4.5 * se, "%.17g vs enum %.17g (se %g)", eSe, want, se);
    ck_assert(se > 1e-4 * want && se < 2e-2 * want);
    /* the theory has gamma = 1, theta = 0 only */
    u.theta_p = 0.5;
    ck_assert_int_eq(restore_esigmae(m, &u, w, e, 1000, 7, &eSe, &se, err), SYM_EINVAL);
    ck_assert(strstr(err, "theta") != NULL);
    ring_free(m);
    gsl_rng_free(r);
}
END_TEST

/* von Mises bump exp(kappa (cos(2 pi (i - c) / N) - 1)): band-limited to
 * rounding at N = 64, kappa = 8, with the closed-form derivative in c */
START_TEST(test_mode_closed_form)
{
    char err[SYM_ERRLEN];
    const size_t N = 64;
    const double kappa = 8.0, c = 20.37;
    double w[64], e[64], d[64], want[64], s2 = 0;
    for (size_t i = 0; i < N; i++) {
        double a = 2 * M_PI * ((double)i - c) / (double)N;
        w[i] = 0.7 * exp(kappa * (cos(a) - 1));
        /* d/dc of w(i - c) with the centre c moving: d w / d c */
        want[i] = w[i] * kappa * sin(a) * 2 * M_PI / (double)N;
        s2 += want[i] * want[i];
    }
    double d2;
    ck_assert_msg(restore_mode(w, N, d, e, &d2, err) == SYM_OK, "%s", err);
    ck_assert_double_eq_tol(d2, s2, 1e-12 * s2);
    for (size_t i = 0; i < N; i++) {
        ck_assert_double_eq_tol(d[i], want[i], 1e-13);
        ck_assert_double_eq_tol(e[i], want[i] / sqrt(s2), 1e-12);
    }
    double z[64] = {0};
    for (size_t i = 0; i < N; i++)
        z[i] = 0.3;
    ck_assert_int_eq(restore_mode(z, N, NULL, e, &d2, err), SYM_EINVAL);
}
END_TEST

/* L_B at integer X: the lattice translate w_{i - X} exactly, whose mean
 * log-likelihood sim/train computes by its own route (marg's integral for
 * gaussian units, the 2-term sum for binary ones) */
static void landscape_vs_train(const unit_type *t, double amp)
{
    char err[SYM_ERRLEN];
    const size_t N = 16, B = 300;
    ring_model *m = ising(N, 0.9);
    gsl_rng *r = rng_alloc(5, RNG_STREAM_DATA);
    int8_t *v = malloc(B * N);
    ck_assert_ptr_nonnull(v);
    ck_assert_msg(ring_sample(m, r, B, v, err) == SYM_OK, "%s", err);
    double w[16], ws[16], X[32], LB[32], P[32];
    for (size_t i = 0; i < N; i++)
        w[i] = amp * exp(3.0 * (cos(2 * M_PI * ((double)i - 5.2) / (double)N) - 1))
               + 0.02 * sin(3.0 * (double)i);
    unit_params u;
    unit_params_default(&u, t);
    double deff, ratio;
    /* two points per site: even j are the integer shifts */
    ck_assert_msg(restore_landscape(m, &u, w, v, B, 2 * N, 0.01, X, LB, P, &deff, &ratio, err)
                      == SYM_OK, "%s", err);
    train_config c = {0};
    c.N = N;
    c.M = 1;
    c.unit = u;
    c.term = TRAIN_EXACT;
    c.opt = TRAIN_SGD;
    c.lr = 0.01;
    train_ws *tw;
    ck_assert_msg(train_alloc(&tw, &c, v, B, NULL, err) == SYM_OK, "%s", err);
    for (size_t j = 0; j < 2 * N; j += 2) {
        size_t s = j / 2;
        ck_assert_double_eq_tol(X[j], (double)s, 1e-15);
        for (size_t i = 0; i < N; i++)
            ws[i] = w[(i + N - s) % N];
        double ll;
        ck_assert_msg(train_loglik(tw, ws, NULL, v, B, &ll, err) == SYM_OK, "%s", err);
        ck_assert_msg(fabs(LB[j] - ll) < 1e-10 * (1 + fabs(ll)), "%s X %zu: %.17g vs %.17g",
                      t->name, s, LB[j], ll);
    }
    /* P is a density on the ring, D_eff <= D (Lifson-Jackson), and a huge
     * temperature flattens both */
    double sum = 0, mx = 0, mn = INFINITY;
    for (size_t j = 0; j < 2 * N; j++) {
        sum += P[j] * (double)N / (double)(2 * N);
        mx = P[j] > mx ? P[j] : mx;
        mn = P[j] < mn ? P[j] : mn;
    }
    ck_assert_double_eq_tol(sum, 1.0, 1e-12);
    ck_assert_double_eq_tol(ratio, mx / mn, 1e-9 * ratio);
    ck_assert(deff > 0 && deff <= 1.0);
    ck_assert_msg(restore_landscape(m, &u, w, v, B, 2 * N, 1e6, X, LB, P, &deff, &ratio, err)
                      == SYM_OK, "%s", err);
    ck_assert(fabs(deff - 1) < 1e-9 && fabs(ratio - 1) < 1e-6);
    train_free(tw);
    free(v);
    gsl_rng_free(r);
    ring_free(m);
}

START_TEST(test_landscape_integer_shifts)
{
    landscape_vs_train(&unit_spin, 0.8);
    landscape_vs_train(&unit_gaussian, 0.25);
}
END_TEST

START_TEST(test_b_uniform)
{
    /* ratio exp(dL / T) = 2 at B_u where dL(B_u) = dL(B) sqrt(B / B_u) */
    double B = 1e4, dL = 0.03, T = 0.005;
    double Bu = restore_b_uniform(1e4, dL, T);
    ck_assert_double_eq_tol(exp(dL * sqrt(B / Bu) / T), 2.0, 1e-12);
}
END_TEST

/* Var over the model of x(h) = h sum_i e_i tanh(w_i h), p(h) ∝ exp(-h^2/2)
 * prod_i cosh(w_i h) (gaussian unit, g = 0), by a trapezoid rule on a wide
 * grid (the integrand is smooth and decays like a gaussian) */
static void model_var(size_t N, const double *w, const double *e, double *mean, double *var)
{
    double Z = 0, s1 = 0, s2 = 0, hmax = 40.0, dh = 1e-3;
    for (double h = -hmax; h <= hmax; h += dh) {
        double lp = -0.5 * h * h, x = 0;
        for (size_t i = 0; i < N; i++) {
            lp += log(cosh(w[i] * h));
            x += e[i] * tanh(w[i] * h);
        }
        x *= h;
        double p = exp(lp);
        Z += p;
        s1 += p * x;
        s2 += p * x * x;
    }
    *mean = s1 / Z;
    *var = s2 / Z - *mean * *mean;
}

START_TEST(test_pcd_noise)
{
    char err[SYM_ERRLEN];
    const size_t N = 20;
    ring_model *m = ising(N, 1.0);
    double w[20], e[20], ne = 0;
    for (size_t i = 0; i < N; i++) {
        /* sum w^2 > 1: p(h) has two peaks; e not odd about the peak, so
         * that e . tanh(w h) does not vanish by symmetry */
        w[i] = 0.6 * exp(2.0 * (cos(2 * M_PI * ((double)i - 7.4) / (double)N) - 1));
        e[i] = w[i] + 0.3 * sin(2 * M_PI * ((double)i - 7.4) / (double)N);
        ne += e[i] * e[i];
    }
    for (size_t i = 0; i < N; i++)
        e[i] /= sqrt(ne);
    unit_params u;
    unit_params_default(&u, &unit_spin);
    double var, tau, te;
    /* binary units at g = 0: h tanh(w_i h) = tanh(w_i), no chain noise */
    ck_assert_msg(restore_pcd_noise(m, &u, w, e, 20, 2, 200, RESTORE_EST_VMEAN, 3, &var, &tau, &te, err) == SYM_OK,
                  "%s", err);
    ck_assert_double_eq(var, 0.0);
    /* gaussian units: the one-chain variance is the model's (the chains
     * sample it exactly in the long run), tau >= ~1 */
    unit_params_default(&u, &unit_gaussian);
    ck_assert_msg(restore_pcd_noise(m, &u, w, e, 40, 3, 1000, RESTORE_EST_VMEAN, 3, &var, &tau, &te, err) == SYM_OK,
                  "%s", err);
    double mu, want;
    model_var(N, w, e, &mu, &want);
    ck_assert_msg(want > 0 && fabs(var - want) < 0.08 * want, "chain var %g vs model %g", var,
                  want);
    ck_assert_msg(isfinite(tau) && tau > 0.5 && te > 0 && te < tau, "tau %g +- %g", tau, te);
    /* PGM's estimate v Gamma'(w.v) on a binary unit: the variance of
     * (e.v) tanh(w.v) under the model P(v) ∝ cosh(w.v), by enumeration */
    unit_params_default(&u, &unit_spin);
    {
        const size_t n = 14;
        ring_model *m2 = ising(n, 1.0);
        double w2[14], e2[14], Z = 0, s1 = 0, s2 = 0, nn = 0;
        for (size_t i = 0; i < n; i++) {
            w2[i] = 0.5 * exp(2.0 * (cos(2 * M_PI * ((double)i - 4.6) / (double)n) - 1));
            e2[i] = w2[i] + 0.2 * cos(3.0 * (double)i);
            nn += e2[i] * e2[i];
        }
        for (size_t i = 0; i < n; i++)
            e2[i] /= sqrt(nn);
        for (size_t st = 0; st < ((size_t)1 << n); st++) {
            double I = 0, ev = 0;
            for (size_t i = 0; i < n; i++) {
                double vi = ((st >> i) & 1) ? 1.0 : -1.0;
                I += w2[i] * vi;
                ev += e2[i] * vi;
            }
            double p = cosh(I), x = ev * tanh(I);
            Z += p;
            s1 += p * x;
            s2 += p * x * x;
        }
        double want2 = s2 / Z - (s1 / Z) * (s1 / Z);
        ck_assert_msg(restore_pcd_noise(m2, &u, w2, e2, 40, 3, 1000, RESTORE_EST_HMEAN, 5, &var,
                                        &tau, &te, err) == SYM_OK, "%s", err);
        ck_assert_msg(fabs(var - want2) < 0.08 * want2, "h-mean var %g vs enum %g", var, want2);
        ck_assert(isfinite(tau) && tau > 0.5);
        ring_free(m2);
    }
    ck_assert_int_eq(restore_pcd_noise(m, &u, w, e, 0, 3, 1000, RESTORE_EST_VMEAN, 3, &var, &tau, &te, err),
                     SYM_EINVAL);
    ring_free(m);
}
END_TEST

START_TEST(test_attractor_widens)
{
    /* binary fixed points at N = 100: the field widens with beta and the
     * Peierls-Nabarro spread and the translation eigenvalue fall towards 0
     * (measured: spread 1.1e-7, 6.7e-9, 7.9e-12 per site at beta = 0.5,
     * 1, 1.3) */
    char err[SYM_ERRLEN];
    const double betas[] = {0.5, 1.0, 1.3};
    double prev = INFINITY, prevl = INFINITY;
    unit_params u;
    unit_params_default(&u, &unit_spin);
    for (int q = 0; q < 3; q++) {
        ring_model *m = ising(100, betas[q]);
        double w[100], sp, lam, fo;
        ck_assert_msg(restore_fixed_point(m, &u, 1, 400.0, w, err) == SYM_OK, "%s", err);
        ck_assert_msg(restore_attractor(m, &u, w, 8, NULL, NULL, &sp, &lam, &fo, err) == SYM_OK,
                      "%s", err);
        ck_assert_msg(sp < prev && fabs(lam) < prevl, "beta %g: spread %g, lambda %g", betas[q],
                      sp, lam);
        prev = sp;
        prevl = fabs(lam);
        ring_free(m);
    }
    ck_assert(prev < 1e-10);
}
END_TEST

START_TEST(test_predict_formula)
{
    char err[SYM_ERRLEN];
    restore_config c;
    restore_config_default(&c);
    c.data.N = 60;
    restore_result a, b;
    ck_assert_msg(restore_predict(&c, &a, err) == SYM_OK, "%s", err);
    ck_assert_double_eq_tol(a.D, c.lr * a.eSe / (2.0 * (double)c.batch * a.dwdX2), 1e-15 * a.D);
    ck_assert_double_eq_tol(a.D_epoch, a.D * c.lr * (double)c.B / (double)c.batch,
                            1e-12 * a.D_epoch);
    ck_assert_double_eq(a.D_total, a.D);
    ck_assert(a.eSe > 0 && a.dwdX2 > 0 && a.resid < 1e-6);
    /* D per unit t depends on nu / b only */
    c.lr *= 2;
    c.batch *= 2;
    ck_assert_msg(restore_predict(&c, &b, err) == SYM_OK, "%s", err);
    ck_assert_double_eq_tol(b.D, a.D, 1e-14 * a.D);
    /* errors name the parameter */
    c.lr = -1;
    ck_assert_int_eq(restore_predict(&c, &b, err), SYM_EINVAL);
    ck_assert(strstr(err, "lr = -1") != NULL);
    restore_config_default(&c);
    c.data.N = 30;   /* ising beta = 1, N = 30: the fixed point is uniform */
    ck_assert_int_eq(restore_predict(&c, &b, err), SYM_EINVAL);
    ck_assert(strstr(err, "symmetric") != NULL);
    restore_config_default(&c);
    unit_params_default(&c.unit, &unit_relu);
    ck_assert_int_eq(restore_predict(&c, &b, err), SYM_EINVAL);
}
END_TEST

/* symrbm theory --attractor --landscape B: the files, the summary keys
 * against the library, and L_B at X = 0 against train_loglik of the final
 * profile on the training set that sim --seed 1 draws */
START_TEST(test_cli_theory_restore)
{
    char d[64], err[4096], path[128], ebuf[SYM_ERRLEN];
    snprintf(d, sizeof d, "/tmp/symrbm_restore_XXXXXX");
    ck_assert(mkdtemp(d) != NULL);
    const size_t N = 60, B = 300;
    char *argv[] = {"", "theory", "--hidden", "spin", "--N", "60", "--beta", "1", "--T", "400",
                    "--snapshots", "5", "--rtol", "1e-10", "--atol", "1e-12", "--weights",
                    "final", "--attractor", "--attractor-points", "16", "--landscape", "300",
                    "--landscape-points", "120", "--lr", "0.05", "--batch", "10", "--out", d,
                    NULL};
    ck_assert_msg(tutil_run(argv, err, sizeof err) == 0, "theory failed: %s", err);
    traj_table t;
    snprintf(path, sizeof path, "%s/attractor.tsv", d);
    ck_assert_msg(traj_read(path, &t, ebuf) == SYM_OK, "%s", ebuf);
    ck_assert_uint_eq(t.nrow, 16);
    ck_assert_double_eq(t.x[5 * t.ncol + traj_table_col(&t, "X")], 5.0 / 16);
    traj_table_free(&t);
    /* the final profile */
    double w[60];
    snprintf(path, sizeof path, "%s/weights.tsv", d);
    ck_assert_msg(traj_read(path, &t, ebuf) == SYM_OK, "%s", ebuf);
    for (size_t i = 0; i < N; i++)
        w[i] = t.x[(t.nrow - 1) * t.ncol + 2 + i];
    traj_table_free(&t);
    /* summary against restore_at at that profile */
    traj_header kv;
    snprintf(path, sizeof path, "%s/summary.tsv", d);
    ck_assert_msg(traj_read_summary(path, &kv, ebuf) == SYM_OK, "%s", ebuf);
    double D, Teff, spread;
    ck_assert(traj_summary_get_finite(&kv, "D_pred", path, &D, ebuf) == SYM_OK);
    ck_assert(traj_summary_get_finite(&kv, "T_eff", path, &Teff, ebuf) == SYM_OK);
    ck_assert(traj_summary_get_finite(&kv, "pn_spread", path, &spread, ebuf) == SYM_OK);
    traj_header_free(&kv);
    restore_config c;
    restore_config_default(&c);
    c.data.N = N;
    c.attractor_points = 16;
    ring_model *m = ising(N, 1.0);
    restore_result r;
    ck_assert_msg(restore_at(&c, m, w, &r, ebuf) == SYM_OK, "%s", ebuf);
    /* the profile went through %.17g: equal to rounding */
    ck_assert_double_eq_tol(D, r.D, 1e-12 * r.D);
    ck_assert_double_eq_tol(Teff, c.lr * r.eSe / (2.0 * (double)c.batch), 1e-12 * Teff);
    ck_assert_double_eq_tol(spread, r.pn_spread, 1e-9 * spread + 1e-15);
    /* landscape.tsv: 120 X over the ring, P a density, L_B(0) the mean
     * log-likelihood of sim's training set (seed 1) */
    snprintf(path, sizeof path, "%s/landscape.tsv", d);
    ck_assert_msg(traj_read(path, &t, ebuf) == SYM_OK, "%s", ebuf);
    ck_assert_uint_eq(t.nrow, 120);
    int cx = traj_table_col(&t, "X"), cl = traj_table_col(&t, "L_B"), cp = traj_table_col(&t, "P");
    ck_assert(cx >= 0 && cl >= 0 && cp >= 0);
    double sum = 0;
    for (size_t j = 0; j < t.nrow; j++)
        sum += t.x[j * t.ncol + cp] * (double)N / 120.0;
    ck_assert_double_eq_tol(sum, 1.0, 1e-12);
    ck_assert_double_eq_tol(t.x[60 * t.ncol + cx], 30.0, 1e-12);
    gsl_rng *rd = rng_alloc(1, RNG_STREAM_DATA);
    int8_t *v = malloc(B * N);
    ck_assert_ptr_nonnull(v);
    ck_assert(ring_sample(m, rd, B, v, ebuf) == SYM_OK);
    train_config tc = {0};
    tc.N = N;
    tc.M = 1;
    unit_params_default(&tc.unit, &unit_spin);
    tc.term = TRAIN_EXACT;
    tc.opt = TRAIN_SGD;
    tc.lr = 0.01;
    train_ws *tw;
    ck_assert_msg(train_alloc(&tw, &tc, v, B, NULL, ebuf) == SYM_OK, "%s", ebuf);
    double ll;
    ck_assert(train_loglik(tw, w, NULL, v, B, &ll, ebuf) == SYM_OK);
    ck_assert_msg(fabs(t.x[cl] - ll) < 1e-10 * fabs(ll), "L_B(0) %.17g, train %.17g", t.x[cl], ll);
    traj_table_free(&t);
    train_free(tw);
    free(v);
    gsl_rng_free(rd);
    ring_free(m);
    /* M = 2 has no single translation mode: exit 2, the message says why */
    char *bad[] = {"", "theory", "--hidden", "spin", "--M", "2", "--attractor", "--out", d, NULL};
    ck_assert_int_eq(tutil_run(bad, err, sizeof err), 2);
    ck_assert_msg(strstr(err, "M = 2") != NULL, "%s", err);
    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf %s", d);
    ck_assert(system(rm) == 0);
}
END_TEST

Suite *restore_suite(void)
{
    Suite *s = suite_create("restore");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_esigmae_binary_enum);
    tcase_add_test(tc, test_esigmae_gaussian_sampled);
    tcase_add_test(tc, test_mode_closed_form);
    tcase_add_test(tc, test_landscape_integer_shifts);
    tcase_add_test(tc, test_b_uniform);
    tcase_add_test(tc, test_pcd_noise);
    tcase_add_test(tc, test_attractor_widens);
    tcase_add_test(tc, test_predict_formula);
    tcase_add_test(tc, test_cli_theory_restore);
    suite_add_tcase(s, tc);
    return s;
}
