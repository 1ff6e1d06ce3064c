/* restore: predictions for symmetry restoration (theory/restore.h, SPEC.md
 * section 8).  Everything is built from the theory flow of one unit
 * (theory/flow.h: its exact gradient and log-likelihood), the data model's
 * exact sampler and, for binary units, flow_spin_data's transfer-matrix
 * expectations; the translations are core/obs.h's band-limited ones.
 */
#include "theory/restore.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>
#include <gsl/gsl_rng.h>

#include "core/err.h"
#include "core/obs.h"
#include "core/rng.h"
#include "theory/flow.h"
#include "theory/flow_spin.h"

/* Flow tolerances for w*: tighter than theory's defaults (1e-8/1e-10) so
 * that the residual gradient off the translation mode is ~1e-9, far below
 * what e and |dw* / dX| need. */
#define RESTORE_RTOL 1e-10
#define RESTORE_ATOL 1e-12
/* w* must have converged in shape: |gradient off e| <= this x |w*|. */
#define RESTORE_RESID_MAX 1e-6
/* Step of the central difference for e^T J e, relative to |w|: the
 * gradient is exact to ~1e-14, so the rounding error of the quotient is
 * ~1e-10 and the truncation error (third derivative) ~1e-8 |w|^2 h^2. */
#define RESTORE_FD_STEP 1e-4
/* Sokal's automatic window: the smallest W with W >= c tau(W). */
#define RESTORE_SOKAL_C 6.0

void restore_config_default(restore_config *c)
{
    memset(c, 0, sizeof *c);
    ring_params_default(&c->data);
    ring_params_set(&c->data, "beta", 1.0, NULL);
    unit_params_default(&c->unit, &unit_spin);
    c->lr = 0.05;
    c->batch = 10;
    c->B = 1000000;
    c->term = TRAIN_EXACT;
    c->chains = 100;
    c->mc_steps = 20;
    c->T_fix = 400.0;
    c->seed = 1;
    c->nsample = 1000000;
    c->pcd_updates = 1000;
    c->attractor_points = 64;
}

/* The theory of unit u: the binary family (any theta) or the gaussian one,
 * whose flow has gamma = 1, theta = 0 (SPEC.md 3a). */
static int unit_family(const unit_params *u, const flow_family **f, char *err)
{
    if (u->type == &unit_spin) {
        *f = &flow_family_spin;
        return SYM_OK;
    }
    if (u->type == &unit_gaussian) {
        if (u->gamma_p != 1.0 || u->theta_p != 0.0)
            return sym_error(err, SYM_EINVAL,
                             "gamma = %g, theta = %g: the gaussian theory has gamma = 1, theta = 0",
                             u->gamma_p, u->theta_p);
        *f = &flow_family_gaussian;
        return SYM_OK;
    }
    return sym_error(err, SYM_EINVAL, "hidden = %s: restore needs gaussian or spin units",
                     u->type ? u->type->name : "(null)");
}

static int open_flow(const ring_model *m, const unit_params *u, const double *w, double rtol,
                     double atol, flow **f, char *err)
{
    const flow_family *fam = NULL;
    int st = unit_family(u, &fam, err);
    if (st)
        return st;
    flow_params fp = {m, 0, 0.0, rtol, atol, FLOW_BDF, fam, 0};
    double theta = u->theta_p;
    flow_hidden hu = {1, &theta};
    return flow_alloc_units(f, &fp, &hu, w, NULL, err);
}

int restore_fixed_point(const ring_model *m, const unit_params *u, uint64_t seed, double T_fix,
                        double *w, char *err)
{
    if (!(T_fix > 0) || !isfinite(T_fix))
        return sym_error(err, SYM_EINVAL, "T_fix = %g: need 0 < T_fix < infinity", T_fix);
    if (rng_init_weights(seed, m->N, 1, 0.01, w))
        return sym_error(err, SYM_ENOMEM, "out of memory drawing w(0)");
    flow *f = NULL;
    int st = open_flow(m, u, w, RESTORE_RTOL, RESTORE_ATOL, &f, err);
    if (!st)
        st = flow_advance(f, T_fix, err);
    if (!st)
        flow_state(f, w, NULL);
    flow_free(f);
    return st;
}

int restore_mode(const double *w, size_t N, double *dwdX, double *e, double *dwdX2, char *err)
{
    size_t nc = N / 2 + 1;
    double *in = fftw_malloc(N * sizeof *in);
    fftw_complex *sp = fftw_malloc(nc * sizeof *sp);
    fftw_plan pf = NULL, pb = NULL;
    int st = SYM_OK;
    if (!in || !sp) {
        st = sym_error(err, SYM_ENOMEM, "out of memory (N = %zu)", N);
        goto done;
    }
    pf = fftw_plan_dft_r2c_1d((int)N, in, sp, FFTW_ESTIMATE);
    pb = fftw_plan_dft_c2r_1d((int)N, sp, in, FFTW_ESTIMATE);
    if (!pf || !pb) {
        st = sym_error(err, SYM_ENOMEM, "FFTW plan failed (N = %zu)", N);
        goto done;
    }
    memcpy(in, w, N * sizeof *in);
    fftw_execute(pf);
    /* d/ds w(i - s) = -w'(i): W_k times -i 2 pi k / N, k < N/2; the
     * Nyquist mode's translate cos(pi s) has zero slope at s = 0 */
    for (size_t k = 0; k < nc; k++) {
        double q = 2.0 * M_PI * (double)k / (double)N, a = sp[k][0], b = sp[k][1];
        if (2 * k == N)
            q = 0.0;
        sp[k][0] = q * b / (double)N;
        sp[k][1] = -q * a / (double)N;
    }
    fftw_execute(pb);
    double s2 = 0;
    for (size_t i = 0; i < N; i++)
        s2 += in[i] * in[i];
    if (!(s2 > 0)) {
        st = sym_error(err, SYM_EINVAL, "dw/dX = 0: a uniform profile has no translation mode");
        goto done;
    }
    *dwdX2 = s2;
    for (size_t i = 0; i < N; i++) {
        if (dwdX)
            dwdX[i] = in[i];
        e[i] = in[i] / sqrt(s2);
    }
done:
    if (pf)
        fftw_destroy_plan(pf);
    if (pb)
        fftw_destroy_plan(pb);
    fftw_free(in);
    fftw_free(sp);
    return st;
}

/* e^T C e, C the circulant two-point function: O(N^2), N <= 10^4 here. */
static double quad_C(const ring_model *m, const double *e)
{
    size_t N = m->N;
    double s = 0;
    for (size_t i = 0; i < N; i++) {
        double r = 0;
        for (size_t j = 0; j < N; j++)
            r += m->C[(j + N - i) % N] * e[j];
        s += e[i] * r;
    }
    return s;
}

/* Rows per call of the exact sampler (memory: RESTORE_CHUNK x N int8). */
#define RESTORE_CHUNK 4096

int restore_esigmae(const ring_model *m, const unit_params *u, const double *w, const double *e,
                    size_t nsample, uint64_t seed, double *eSe, double *se, char *err)
{
    size_t N = m->N;
    const flow_family *fam = NULL;
    int st = unit_family(u, &fam, err);
    if (st)
        return st;
    if (fam == &flow_family_spin) {
        double *d = malloc(N * sizeof *d), *jv = malloc(N * sizeof *jv);
        if (!d || !jv) {
            free(d);
            free(jv);
            return sym_error(err, SYM_ENOMEM, "out of memory (N = %zu)", N);
        }
        st = flow_spin_data(m, w, u->theta_p, d, NULL, NULL, e, jv, err);
        if (!st) {
            double ed = 0, ej = 0;
            for (size_t i = 0; i < N; i++) {
                ed += e[i] * d[i];
                ej += e[i] * jv[i];
            }
            *eSe = quad_C(m, e) - ej - ed * ed;
            *se = 0.0;
        }
        free(d);
        free(jv);
        return st;
    }
    if (nsample < 2)
        return sym_error(err, SYM_EINVAL, "nsample = %zu: need at least 2", nsample);
    /* gaussian: x = (e.v) Gamma'(w.v), its exact mean e.D */
    double gam = u->gamma_p, th = u->theta_p, mu = 0;
    for (size_t i = 0; i < N; i++) {
        double cw = 0;
        for (size_t j = 0; j < N; j++)
            cw += m->C[(j + N - i) % N] * w[j];
        mu += e[i] * (cw - th * m->mean) / gam;
    }
    int8_t *v = malloc(RESTORE_CHUNK * N);
    gsl_rng *r = rng_alloc(seed, RNG_STREAM_AUX);
    if (!v || !r) {
        free(v);
        if (r)
            gsl_rng_free(r);
        return sym_error(err, SYM_ENOMEM, "out of memory (N = %zu)", N);
    }
    double s1 = 0, s2 = 0;
    for (size_t b0 = 0; b0 < nsample && !st; b0 += RESTORE_CHUNK) {
        size_t nb = nsample - b0 < RESTORE_CHUNK ? nsample - b0 : RESTORE_CHUNK;
        if ((st = ring_sample(m, r, nb, v, err)))
            break;
        for (size_t b = 0; b < nb; b++) {
            const int8_t *x = v + b * N;
            double ev = 0, I = 0;
            for (size_t i = 0; i < N; i++) {
                ev += e[i] * x[i];
                I += w[i] * x[i];
            }
            double y = ev * (I - th) / gam - mu;
            y *= y;
            s1 += y;
            s2 += y * y;
        }
    }
    free(v);
    gsl_rng_free(r);
    if (st)
        return st;
    double n = (double)nsample, mean = s1 / n, var = (s2 / n - mean * mean) * n / (n - 1);
    *eSe = mean;
    *se = sqrt(var > 0 ? var / n : 0.0);
    return SYM_OK;
}

/* Sokal's integrated autocorrelation of the series x[c * n + t] (chains c
 * < nc, times t < n), pooled over chains about the overall mean.  *tau =
 * NAN when the series is constant up to the rounding of values of size
 * scale. */
static void tau_sokal(const double *x, size_t nc, size_t n, double scale, double *tau,
                      double *err)
{
    double mean = 0;
    for (size_t k = 0; k < nc * n; k++)
        mean += x[k];
    mean /= (double)(nc * n);
    double g0 = 0;
    for (size_t k = 0; k < nc * n; k++)
        g0 += (x[k] - mean) * (x[k] - mean);
    g0 /= (double)(nc * n);
    *tau = *err = NAN;
    /* a variance at the rounding of terms of size scale is no noise */
    if (!(g0 > 1e-24 * scale * scale) || n < 4)
        return;
    double t = 1.0;
    size_t W = 0;
    for (size_t lag = 1; lag < n / 2; lag++) {
        double g = 0;
        for (size_t c = 0; c < nc; c++)
            for (size_t s = 0; s + lag < n; s++)
                g += (x[c * n + s] - mean) * (x[c * n + s + lag] - mean);
        g /= (double)(nc * (n - lag));
        t += 2.0 * g / g0;
        W = lag;
        if ((double)lag >= RESTORE_SOKAL_C * t)
            break;
    }
    *tau = t;
    *err = t * sqrt(2.0 * (2.0 * (double)W + 1.0) / (double)(nc * n));
}

int restore_pcd_noise(const ring_model *m, const unit_params *u, const double *w, const double *e,
                      size_t chains, size_t mc_steps, size_t updates, restore_estimate est,
                      uint64_t seed, double *var, double *tau, double *tau_err, char *err)
{
    size_t N = m->N;
    if (chains < 1 || mc_steps < 1 || updates < 8)
        return sym_error(err, SYM_EINVAL,
                         "chains = %zu, mc_steps = %zu, updates = %zu: need >= 1, >= 1, >= 8",
                         chains, mc_steps, updates);
    if (!u->type || !u->type->sample)
        return sym_error(err, SYM_EINVAL, "hidden unit without a sampler");
    double *v = malloc(chains * N * sizeof *v), *x = malloc(chains * updates * sizeof *x);
    double *hx = malloc(chains * updates * sizeof *hx), *th = malloc(N * sizeof *th);
    gsl_rng *r = rng_alloc(seed, RNG_STREAM_TRAIN);
    if (!v || !x || !hx || !th || !r) {
        free(v); free(x); free(hx); free(th);
        if (r)
            gsl_rng_free(r);
        return sym_error(err, SYM_ENOMEM, "out of memory (%zu chains, %zu updates)", chains,
                         updates);
    }
    for (size_t k = 0; k < chains * N; k++)
        v[k] = gsl_rng_uniform(r) < 0.5 ? -1.0 : 1.0;
    /* binary units: tanh(w_i h) for h = +-1 once (the chain's cost is then
     * one uniform per site and step); the scale of e . h tanh(w h) is
     * sum_i |e_i| (|tanh| <= 1, |h| ~ 1 for binary units, the typical |h|
     * for gaussian ones is covered by the relative threshold anyway) */
    int bin = u->type->binary;
    double scale = 0;
    for (size_t i = 0; i < N; i++)
        scale += fabs(e[i]);
    double *tp = bin ? malloc(2 * N * sizeof *tp) : NULL;
    if (bin && !tp) {
        free(v); free(x); free(hx); free(th);
        gsl_rng_free(r);
        return sym_error(err, SYM_ENOMEM, "out of memory (N = %zu)", N);
    }
    for (size_t i = 0; bin && i < N; i++) {
        tp[i] = tanh(w[i]);
        tp[N + i] = -tp[i];
    }
    for (size_t c = 0; c < chains; c++) {
        double *vc = v + c * N;
        for (size_t t = 0; t < 2 * updates; t++) {
            for (size_t s = 0; s < mc_steps; s++) {
                double I = 0;
                for (size_t i = 0; i < N; i++)
                    I += w[i] * vc[i];
                double h = u->type->sample(u, I, r);
                /* E[v_i | h] = tanh(w_i h) (g = 0), then sample v */
                const double *tc = th;
                if (bin)
                    tc = h > 0 ? tp : tp + N;
                else
                    for (size_t i = 0; i < N; i++)
                        th[i] = tanh(w[i] * h);
                int rec = s + 1 == mc_steps && t >= updates;
                size_t k = c * updates + t - updates;
                if (rec && est == RESTORE_EST_VMEAN) {
                    double ex = 0;
                    for (size_t i = 0; i < N; i++)
                        ex += e[i] * tc[i];
                    x[k] = h * ex;
                }
                if (rec)
                    hx[k] = h;
                for (size_t i = 0; i < N; i++)
                    vc[i] = 2.0 * gsl_rng_uniform(r) < 1.0 + tc[i] ? 1.0 : -1.0;
                if (rec && est == RESTORE_EST_HMEAN) {
                    /* v E[h | v] = v Gamma'(w.v) on the chain's new v */
                    double ev = 0, J = 0;
                    for (size_t i = 0; i < N; i++) {
                        ev += e[i] * vc[i];
                        J += w[i] * vc[i];
                    }
                    x[k] = ev * u->type->dgamma(u, J);
                }
            }
        }
    }
    double mean = 0, s2 = 0, n = (double)(chains * updates);
    for (size_t k = 0; k < chains * updates; k++)
        mean += x[k];
    mean /= n;
    for (size_t k = 0; k < chains * updates; k++)
        s2 += (x[k] - mean) * (x[k] - mean);
    *var = s2 / (n - 1);
    tau_sokal(x, chains, updates, scale, tau, tau_err);
    if (isnan(*tau)) {
        /* no noise in the estimate (binary units, g = 0): report the
         * autocorrelation of the hidden unit's chain instead */
        *var = 0.0;
        tau_sokal(hx, chains, updates, 1.0, tau, tau_err);
    }
    free(v); free(x); free(hx); free(th); free(tp);
    gsl_rng_free(r);
    return SYM_OK;
}

int restore_loglik(const ring_model *m, const unit_params *u, const double *w, double *L,
                   char *err)
{
    flow *f = NULL;
    int st = open_flow(m, u, w, 1e-8, 1e-10, &f, err);
    if (!st)
        st = flow_loglik(f, w, NULL, L, err);
    flow_free(f);
    return st;
}

int restore_attractor(const ring_model *m, const unit_params *u, const double *w, size_t npts,
                      double *X, double *L, double *spread, double *lambda, double *force,
                      char *err)
{
    size_t N = m->N;
    if (npts < 1)
        return sym_error(err, SYM_EINVAL, "attractor points = 0: need at least 1");
    double *wt = malloc(N * sizeof *wt), *e = malloc(N * sizeof *e);
    double *gp = malloc(N * sizeof *gp), *gm = malloc(N * sizeof *gm);
    obs_ws *ow = obs_alloc(N);
    flow *f = NULL;
    int st = SYM_OK;
    if (!wt || !e || !gp || !gm || !ow) {
        st = sym_error(err, SYM_ENOMEM, "out of memory (N = %zu)", N);
        goto done;
    }
    double d2;
    if ((st = restore_mode(w, N, NULL, e, &d2, err)) ||
        (st = open_flow(m, u, w, 1e-8, 1e-10, &f, err)))
        goto done;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t j = 0; j < npts; j++) {
        double x = (double)j / (double)npts, l;
        obs_shift_frac(ow, w, x, wt);
        if ((st = flow_loglik(f, wt, NULL, &l, err)))
            goto done;
        l /= (double)N;
        if (X)
            X[j] = x;
        if (L)
            L[j] = l;
        lo = l < lo ? l : lo;
        hi = l > hi ? l : hi;
    }
    *spread = hi - lo;
    double nw = 0;
    for (size_t i = 0; i < N; i++)
        nw += w[i] * w[i];
    double h = RESTORE_FD_STEP * sqrt(nw);
    for (size_t i = 0; i < N; i++)
        wt[i] = w[i] + h * e[i];
    if ((st = flow_gradient(f, wt, NULL, gp, NULL, err)))
        goto done;
    for (size_t i = 0; i < N; i++)
        wt[i] = w[i] - h * e[i];
    if ((st = flow_gradient(f, wt, NULL, gm, NULL, err)))
        goto done;
    double lam = 0;
    for (size_t i = 0; i < N; i++)
        lam += e[i] * (gp[i] - gm[i]);
    *lambda = lam / (2.0 * h);
    if ((st = flow_gradient(f, w, NULL, gp, NULL, err)))
        goto done;
    double fo = 0;
    for (size_t i = 0; i < N; i++)
        fo += e[i] * gp[i];
    if (force)
        *force = fo;
done:
    flow_free(f);
    obs_free(ow);
    free(wt);
    free(e);
    free(gp);
    free(gm);
    return st;
}

static double log2cosh(double a)
{
    a = fabs(a);
    return a + log1p(exp(-2.0 * a));
}

/* log Z of profile w (g = 0): binary sum_h e^{-theta h} prod_i 2cosh(w_i
 * h); gaussian (gamma 1, theta 0) from the flow's L = w^T C w / 2 - log Z
 * (SPEC.md 3a), so that log P(v) = (w.v)^2 / 2 - log Z. */
static int log_z(flow *f, const ring_model *m, const unit_params *u, const double *w,
                 double *lz, char *err)
{
    size_t N = m->N;
    if (u->type == &unit_spin) {
        double a = -u->theta_p, b = u->theta_p;
        for (size_t i = 0; i < N; i++) {
            double l = log2cosh(w[i]);
            a += l;
            b += l;
        }
        double mx = a > b ? a : b;
        *lz = mx + log(exp(a - mx) + exp(b - mx));
        return SYM_OK;
    }
    double L;
    int st = flow_loglik(f, w, NULL, &L, err);
    if (st)
        return st;
    *lz = 0.5 * quad_C(m, w) - L;
    return SYM_OK;
}

int restore_landscape(const ring_model *m, const unit_params *u, const double *w,
                      const int8_t *v, size_t B, size_t npts, double T_eff, double *X, double *LB,
                      double *P, double *deff, double *ratio, char *err)
{
    size_t N = m->N;
    if (npts < 1 || B < 1)
        return sym_error(err, SYM_EINVAL, "points = %zu, B = %zu: need both >= 1", npts, B);
    if (!(T_eff > 0) || !isfinite(T_eff))
        return sym_error(err, SYM_EINVAL, "T_eff = %g: need 0 < T_eff < infinity", T_eff);
    double *wt = malloc(N * sizeof *wt);
    obs_ws *ow = obs_alloc(N);
    flow *f = NULL;
    int st = SYM_OK;
    if (!wt || !ow) {
        st = sym_error(err, SYM_ENOMEM, "out of memory (N = %zu)", N);
        goto done;
    }
    if ((st = open_flow(m, u, w, 1e-8, 1e-10, &f, err)))
        goto done;
    int binary = u->type == &unit_spin;
    double th = u->theta_p;
    for (size_t j = 0; j < npts; j++) {
        double x = (double)j * (double)N / (double)npts, lz;
        obs_shift_frac(ow, w, x, wt);
        if ((st = log_z(f, m, u, wt, &lz, err)))
            goto done;
        double s = 0;
        for (size_t b = 0; b < B; b++) {
            const int8_t *vb = v + b * N;
            double I = 0;
            for (size_t i = 0; i < N; i++)
                I += wt[i] * vb[i];
            s += binary ? log2cosh(I - th) : 0.5 * I * I;
        }
        if (X)
            X[j] = x;
        LB[j] = s / (double)B - lz;
    }
    /* log-sum-exp forms: the landscape over T_eff can be hundreds */
    double mx = -INFINITY, mn = INFINITY;
    for (size_t j = 0; j < npts; j++) {
        mx = LB[j] > mx ? LB[j] : mx;
        mn = LB[j] < mn ? LB[j] : mn;
    }
    double sp = 0, sm = 0;
    for (size_t j = 0; j < npts; j++) {
        sp += exp((LB[j] - mx) / T_eff);
        sm += exp(-(LB[j] - mn) / T_eff);
    }
    double n = (double)npts;
    if (P)
        for (size_t j = 0; j < npts; j++)
            P[j] = exp((LB[j] - mx) / T_eff) / (sp * (double)N / n);
    /* <e^{L/T}> <e^{-L/T}> = (sp/n) e^{mx/T} (sm/n) e^{-mn/T} */
    if (deff)
        *deff = exp(-(log(sp / n) + log(sm / n) + (mx - mn) / T_eff));
    if (ratio)
        *ratio = exp((mx - mn) / T_eff);
done:
    flow_free(f);
    obs_free(ow);
    free(wt);
    return st;
}

double restore_b_uniform(size_t B, double dL, double T_eff)
{
    double a = dL / (T_eff * log(2.0));
    return (double)B * a * a;
}

int restore_check(const restore_config *c, char *err)
{
    if (!(c->lr > 0) || !isfinite(c->lr))
        return sym_error(err, SYM_EINVAL, "lr = %g: need lr > 0", c->lr);
    if (c->batch < 1 || c->B < 1)
        return sym_error(err, SYM_EINVAL, "batch = %zu, B = %zu: need both >= 1", c->batch, c->B);
    if (c->term != TRAIN_EXACT && c->term != TRAIN_PCD)
        return sym_error(err, SYM_EINVAL, "model term %s: restore predicts exact or pcd",
                         train_term_name(c->term));
    if (c->term == TRAIN_PCD && (c->chains < 1 || c->mc_steps < 1))
        return sym_error(err, SYM_EINVAL, "chains = %zu, mc_steps = %zu: pcd needs both >= 1",
                         c->chains, c->mc_steps);
    if (c->attractor_points < 1)
        return sym_error(err, SYM_EINVAL, "attractor_points = 0: need at least 1");
    const flow_family *fam = NULL;
    return unit_family(&c->unit, &fam, err);
}

int restore_at(const restore_config *c, const ring_model *m, const double *w, restore_result *r,
               char *err)
{
    int st = restore_check(c, err);
    if (st)
        return st;
    size_t N = m->N;
    double *e = malloc(N * sizeof *e), *g = malloc(N * sizeof *g);
    obs_ws *ow = obs_alloc(N);
    flow *f = NULL;
    if (!e || !g || !ow) {
        st = sym_error(err, SYM_ENOMEM, "out of memory (N = %zu)", N);
        goto done;
    }
    memset(r, 0, sizeof *r);
    obs_values ov;
    obs_compute(ow, m->type, w, &ov);
    r->center = ov.center;
    if (!(ov.S > OBS_BROKEN_S)) {
        st = sym_error(err, SYM_EINVAL,
                       "S = %g: the fixed point is symmetric, no translation mode", ov.S);
        goto done;
    }
    if ((st = restore_mode(w, N, NULL, e, &r->dwdX2, err)))
        goto done;
    if ((st = open_flow(m, &c->unit, w, 1e-8, 1e-10, &f, err)) ||
        (st = flow_gradient(f, w, NULL, g, NULL, err)))
        goto done;
    double fo = 0, res = 0;
    for (size_t i = 0; i < N; i++)
        fo += e[i] * g[i];
    for (size_t i = 0; i < N; i++)
        res += (g[i] - fo * e[i]) * (g[i] - fo * e[i]);
    r->resid = sqrt(res / ov.norm2);
    if ((st = restore_esigmae(m, &c->unit, w, e, c->nsample, c->seed, &r->eSe, &r->eSe_err,
                              err)))
        goto done;
    double nu = c->lr, b = (double)c->batch, ep = nu * (double)c->B / b;
    r->nu_over_b = nu / b;
    r->D = nu * r->eSe / (2.0 * b * r->dwdX2);
    r->D_err = nu * r->eSe_err / (2.0 * b * r->dwdX2);
    r->D_epoch = r->D * ep;
    r->D_pcd = r->D_pcd_err = r->D_pcd_epoch = r->tau_int = r->tau_err = r->eSme = NAN;
    if (c->term == TRAIN_PCD) {
        if ((st = restore_pcd_noise(m, &c->unit, w, e, c->chains, c->mc_steps, c->pcd_updates,
                                    c->pcd_estimate, c->seed, &r->eSme, &r->tau_int, &r->tau_err, err)))
            goto done;
        double k = nu / (2.0 * (double)c->chains * r->dwdX2);
        r->D_pcd = r->eSme > 0 ? k * r->tau_int * r->eSme : 0.0;
        r->D_pcd_err = r->eSme > 0 ? k * r->tau_err * r->eSme : 0.0;
        r->D_pcd_epoch = r->D_pcd * ep;
    }
    r->D_total = r->D + (c->term == TRAIN_PCD ? r->D_pcd : 0.0);
    r->D_total_epoch = r->D_total * ep;
    st = restore_attractor(m, &c->unit, w, c->attractor_points, NULL, NULL, &r->pn_spread,
                           &r->lambda_trans, &r->force, err);
done:
    flow_free(f);
    obs_free(ow);
    free(e);
    free(g);
    return st;
}

int restore_predict(const restore_config *c, restore_result *r, char *err)
{
    int st = restore_check(c, err);
    if (st)
        return st;
    ring_model *m = NULL;
    if ((st = ring_alloc(&m, &c->data, err)))
        return st;
    double *w = malloc(m->N * sizeof *w);
    if (!w)
        st = sym_error(err, SYM_ENOMEM, "out of memory (N = %zu)", m->N);
    if (!st)
        st = restore_fixed_point(m, &c->unit, c->seed, c->T_fix, w, err);
    if (!st)
        st = restore_at(c, m, w, r, err);
    if (!st && !(r->resid <= RESTORE_RESID_MAX))
        st = sym_error(err, SYM_EINVAL,
                       "|dL/dw| / |w| = %g off the translation mode at T_fix = %g: not a fixed "
                       "point yet (need <= %g; raise T_fix)", r->resid, c->T_fix,
                       RESTORE_RESID_MAX);
    free(w);
    ring_free(m);
    return st;
}
