/* model_xy: the discretised XY chain of SPEC.md 2 and 9, the paper's second
 * data family -- Potts visible units v_i in {0..P-1} (angle theta_i = 2 pi
 * v_i / P) on a periodic ring,
 *     P(v) ∝ exp(beta sum_i cos(2 pi (v_i - v_{i+1}) / P)),
 * with the exact one-hot correlations C_{ij}(c, c') on the finite ring, the
 * block-circulant spectrum lambda_{k,p}, log Z, the entropy and the exact
 * transfer-matrix sampler.
 *
 * Transfer matrix T(a, b) = exp(beta cos(2 pi (a - b) / P)): circulant, so
 * its eigenvectors are the Fourier harmonics p = 0..P-1 and its eigenvalues
 *     lambda_p = sum_v e^{beta cos(2 pi v/P)} cos(2 pi v p/P)
 *              = P sum_{n = p mod P} I_n(beta)          (n over Z)
 * (e^{beta cos x} = sum_n I_n(beta) e^{i n x}).  The Bessel form is used:
 * every term is positive, so lambda_p keeps its full relative accuracy
 * however small (the cosine sum cancels to rounding noise, of either sign,
 * at small beta), and with GSL's scaled I_n nothing overflows at large beta.
 * Everything below is in terms of t_p = lambda_p / lambda_0 in [0, 1)
 * (t_0 = 1), with 1 - t_p summed from non-negative terms, and
 *     T^n(a, b) = (lambda_0^n / P) R_n(a - b),
 *     R_n(d)    = sum_p t_p^n cos(2 pi p d / P)    (R_0(d) = P [d = 0]),
 *     Z         = tr T^N = lambda_0^N z,   z = sum_p t_p^N,
 * so no power of lambda_0 is ever formed.  The trace form on the finite
 * ring: <x_{0c} x_{rc'}> = T^r(c, c') T^(N-r)(c', c) / Z, and <x_{ic}> = 1/P
 * by the rotation symmetry.
 *
 * Sampler: v_0 is uniform (its exact marginal), then in the rotated frame
 * u_i = v_i - v_0 (mod P), for i = 1..N-1 with n = N - i,
 *     P(u_i = c | u_{i-1} = a) ∝ T(a, c) T^n(c, 0) ∝ e^{beta (cos(2 pi (c - a)/P) - 1)} R_n(c),
 * one uniform per site, by inversion.  R_n tends to 1 as t_p^n -> 0; once
 * sum_{p>=1} t_p^n is below 2^-56, R_n(c) rounds to 1 exactly for this and
 * every larger n, so R and the cumulative conditionals of the sampler (P x P
 * per n) are tabulated only up to that n (or N-1).  At large beta the first rows of R
 * come from products of positive entries instead (xy_setup), so that rare
 * transitions keep their relative accuracy.
 *
 * The spin-model fields of ring_model (C, lambda, mean) hold the angular
 * two-point function <cos(theta_i - theta_{i+r})>, its DFT and |<e^{i
 * theta}>| = 0: at P = 2 these are the ising chain's C(r) and lambda_k at
 * the same beta (cos(pi (a - b)) = s_a s_b), a check the tests make.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <fftw3.h>
#include <limits.h>
#include <stdint.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_bessel.h>

#include "core/err.h"
#include "core/models.h"
#include "core/size.h"

enum { XY_BETA = 0, XY_P = 1 };

/* The state stored in ring_model.state: one block, freed with free(). */
typedef struct {
    size_t P;
    size_t nlast;   /* R is tabulated for n = 0..nlast; R_n = R_nlast beyond */
    double beta;
    double lamr0;   /* lambda_0 e^{-beta}                       */
    double z;       /* sum_p t_p^N                              */
    double *cs;     /* cos(2 pi j / P), j < P                   */
    double *E;      /* e^{beta (cos(2 pi d / P) - 1)}, d < P    */
    double *t;      /* t_p                                      */
    double *lt;     /* log t_p (-inf where t_p = 0)             */
    double *R;      /* R[n P + d], n = 0..nlast                 */
    double *cum;    /* the sampler's cumulative conditionals:
                     * cum[(n P + a) P + c] = P(u_i <= c | u_{i-1} = a),
                     * n = N - i = 1..nlast (row n = 0 unused)  */
    uint64_t *thr;  /* ceil(cum 2^32), for mt19937's raw draws   */
} xy_state;

static int check_P(double v, size_t N, char *err)
{
    (void)N;
    /* states are stored as int8_t (samples, training data): P <= 127 */
    if (!(v >= 2 && v <= RING_POTTS_MAX) || v != floor(v))
        return sym_error(err, SYM_EINVAL, "P = %g: need an integer 2 <= P <= %d (states are stored in 8 bits)",
                         v, RING_POTTS_MAX);
    return SYM_OK;
}

static size_t xy_nstates(const double *val)
{
    return (size_t)val[XY_P];
}

/* t^n, with t^0 = 1 also at t = 0 (0 * -inf would be NaN). */
static double tp(double lt, size_t n)
{
    return n == 0 ? 1.0 : exp((double)n * lt);
}

/* sum_{p >= 1} t_p^n cos(2 pi p d / P): R_n(d) - 1 without the rounding of 1. */
static double rtail(const xy_state *s, size_t n, size_t d)
{
    double a = 0;
    for (size_t p = 1; p < s->P; p++)
        a += tp(s->lt[p], n) * s->cs[(p * d) % s->P];
    return a;
}

/* I_n(beta) e^{-beta}, 0 where it is below ~1e-300: (beta/2)^n / n!
 * bounds it (I_n(x) <= (x/2)^n e^x / n!), and GSL is not asked for a value
 * that would underflow (an error, not a number). */
static double bessel_scaled(size_t n, double beta)
{
    if ((double)n * log(beta / 2) - lgamma((double)n + 1) < -690)
        return 0.0;
    gsl_sf_result res;
    return gsl_sf_bessel_In_scaled_e((int)n, beta, &res) == GSL_SUCCESS ? res.val : 0.0;
}

/* lambda_p e^{-beta} = P sum_{n = p mod P} I_n(beta) e^{-beta}, n over Z:
 * I_n(beta) decreases with n, so the sum stops at the first period whose
 * terms add nothing. */
static double lam_scaled(size_t P, size_t p, double beta)
{
    if (beta == 0)
        return p == 0 ? (double)P : 0.0;
    double s = 0;
    for (size_t m = 0; m < 1000000; m++) {
        /* p = 0: n = 0 once, then n = +-m P; p > 0: n = p + m P and
         * n = -(P - p + m P) */
        double add = p == 0 ? (m == 0 ? 1.0 : 2.0) * bessel_scaled(m * P, beta)
                            : bessel_scaled(p + m * P, beta) + bessel_scaled(P - p + m * P, beta);
        s += add;
        if (add <= 1e-18 * s)
            break;
    }
    return (double)P * s;
}

/* p[c] = P(u_i = c | u_{i-1} = a), n = N - i, from the tables, unnormalised
 * weights into w (the sampler and the test hook share this). */
static double xy_weights(const xy_state *s, size_t n, size_t a, double *w)
{
    size_t P = s->P;
    const double *R = s->R + (n < s->nlast ? n : s->nlast) * P;
    double tot = 0;
    for (size_t c = 0; c < P; c++) {
        w[c] = s->E[(c + P - a) % P] * R[c];
        tot += w[c];
    }
    return tot;
}

/* The state block with t, R etc. for parameters val at ring size N. */
static int xy_setup(const double *val, size_t N, xy_state **out, char *err)
{
    size_t P = (size_t)val[XY_P];
    double beta = val[XY_BETA];
    *out = NULL;
    double *tmp = malloc(sizeof(double) * 3 * P);
    if (!tmp)
        return sym_error(err, SYM_ENOMEM, "ring_alloc: out of memory for xy at P = %zu", P);
    double *lam = tmp, *omt = tmp + P, *lt = tmp + 2 * P;
    for (size_t p = 0; p < P; p++)
        lam[p] = lam_scaled(P, p, beta);
    /* 1 - t_p = (lambda_0 - lambda_p)/lambda_0 from non-negative terms
     * e^{beta (cos x_v - 1)} 2 sin^2(p x_v / 2): no cancellation near t = 1 */
    for (size_t p = 0; p < P; p++) {
        double a = 0;
        for (size_t v = 0; v < P; v++) {
            double x = 2 * M_PI * (double)v / (double)P, sn = sin(M_PI * (double)((p * v) % P) / (double)P);
            a += exp(beta * (cos(x) - 1)) * 2 * sn * sn;
        }
        omt[p] = a / lam[0];
        double t = lam[p] / lam[0];
        lt[p] = p == 0 ? 0.0 : t == 0 ? -INFINITY : omt[p] < 0.5 ? log1p(-omt[p]) : log(t);
    }
    /* the last n whose R_n differs from 1 in double precision */
    size_t nlast = N - 1;
    for (size_t n = 1; n < N - 1; n++) {
        double s = 0;
        for (size_t p = 1; p < P; p++)
            s += tp(lt[p], n);
        if (s < 0x1p-56) {
            nlast = n;
            break;
        }
    }
    size_t nd = 4 * P, rows, rows2, bytes;
    if (!sym_mul_ok(nlast + 1, P, &rows) || !sym_mul_ok(rows, 2 * P + 1, &rows2) || !sym_add_ok(rows2, nd, &nd) ||
        sym_alloc_check(nd, sizeof(double), 1, "xy sampler table (rows x P)", &bytes, err)) {
        free(tmp);
        return sym_error(err, SYM_ENOMEM, "ring_alloc: xy table of %zu x %zu is too large", nlast + 1, P);
    }
    xy_state *s = malloc(sizeof *s + bytes);
    if (!s) {
        free(tmp);
        return sym_error(err, SYM_ENOMEM, "ring_alloc: out of memory for the xy tables at N = %zu", N);
    }
    double *d = (double *)(s + 1);
    s->P = P;
    s->nlast = nlast;
    s->beta = beta;
    s->lamr0 = lam[0];
    s->cs = d;
    s->E = d + P;
    s->t = d + 2 * P;
    s->lt = d + 3 * P;
    s->R = d + 4 * P;
    s->cum = s->R + (nlast + 1) * P;
    s->thr = (uint64_t *)(s->cum + (nlast + 1) * P * P);
    for (size_t j = 0; j < P; j++) {
        s->cs[j] = cos(2 * M_PI * (double)j / (double)P);
        s->E[j] = exp(beta * (s->cs[j] - 1));
        s->t[j] = j == 0 ? 1.0 : exp(lt[j]);
        s->lt[j] = lt[j];
    }
    double zt = 0;
    for (size_t p = 1; p < P; p++)
        zt += tp(lt[p], N);
    s->z = 1 + zt;
    for (size_t n = 0; n <= nlast; n++)
        for (size_t c = 0; c < P; c++)
            s->R[n * P + c] = n == 0 ? (c == 0 ? (double)P : 0.0) : 1 + rtail(s, n, c);
    /* The eigenvalue form is accurate to ~1e-16 of max_d R_n(d), absolutely:
     * at large beta and small n, where T^n(d) spans many orders of
     * magnitude, the sampler's rare transitions would get no relative
     * accuracy (or a negative weight).  There R_n(d) = sum_e R_{n-1}(e)
     * E(d - e) / (lambda_0 e^{-beta}), R_1(d) = P E(d) / (lambda_0
     * e^{-beta}): positive terms, relative error ~ n eps; used while
     * min_d R_n / max_d R_n < 1e-3 (beyond, the eigenvalue form is accurate
     * to 1e-13 relative; at beta <= 3.45 it is used from n = 1 on). */
    double *scr = tmp;   /* lam[] is no longer needed */
    for (size_t n = 1; n <= nlast; n++) {
        double *row = s->R + n * P, lo = INFINITY, hi = 0;
        for (size_t c = 0; c < P; c++) {
            double x = (double)P * s->E[c] / s->lamr0;
            if (n > 1) {
                x = 0;
                for (size_t e = 0; e < P; e++)
                    x += (row - P)[e] * s->E[(c + P - e) % P];
                x /= s->lamr0;
            }
            lo = fmin(lo, x);
            hi = fmax(hi, x);
            scr[c] = x;
        }
        if (!(lo < 1e-3 * hi))
            break;
        memcpy(row, scr, sizeof(double) * P);
    }
    /* the sampler's tables, from the same weights as ring_xy_conditional */
    double w[RING_POTTS_MAX];
    for (size_t n = 1; n <= nlast; n++)
        for (size_t a = 0; a < P; a++) {
            double tot = xy_weights(s, n, a, w), acc = 0;
            double *c = s->cum + (n * P + a) * P;
            for (size_t k = 0; k < P; k++) {
                acc += w[k];
                c[k] = acc / tot;
            }
            /* rounding must not leave u in [c[P-1], 1) undrawn: the last
             * state of positive weight takes it */
            for (size_t k = P; k-- > 0;)
                if (w[k] > 0) {
                    for (size_t j = k; j < P; j++)
                        c[j] = 1.0;
                    break;
                }
        }
    memset(s->cum, 0, sizeof(double) * P * P);   /* row n = 0, never used */
    for (size_t j = 0; j < (nlast + 1) * P * P; j++)
        s->thr[j] = (uint64_t)ceil(s->cum[j] * 4294967296.0);
    free(tmp);
    *out = s;
    return SYM_OK;
}

static const xy_state *xy_of(const ring_model *m)
{
    return (const xy_state *)m->state;
}

static int xy_fill(ring_model *m, char *err)
{
    xy_state *s;
    int st = xy_setup(m->val, m->N, &s, err);
    if (st)
        return st;
    m->state = s;
    size_t N = m->N, P = s->P;
    double dN = (double)N;
    /* <cos(theta_0 - theta_r)> = (1/z) sum_a t_a^r t_{a+1}^(N-r) (the
     * harmonic-1 part of T^r T^(N-r)) */
    for (size_t r = 0; r < N; r++) {
        double a = 0;
        for (size_t q = 0; q < P; q++)
            a += tp(s->lt[q], r) * tp(s->lt[(q + 1) % P], N - r);
        m->C[r] = a / s->z;
    }
    if ((st = ring_lambda_from_C(m, err)))
        return st;
    m->mean = 0;
    /* log Z = N log lambda_0 + log z;  S = log Z - beta N <cos(theta_0 -
     * theta_1)>, written with <1 - cos> so that N beta cancels analytically:
     * S / N = log(lambda_0 e^{-beta}) + log(z)/N + beta <1 - cos>, and
     * P(v_1 - v_0 = d) = E(d) R_{N-1}(d) / (lambda_0 e^{-beta} z). */
    double omc = 0, zt = s->z - 1;
    for (size_t d = 0; d < P; d++) {
        double Rn = 1 + rtail(s, N - 1, d);
        double sn = sin(M_PI * (double)d / (double)P);
        omc += 2 * sn * sn * s->E[d] * Rn;
    }
    omc /= s->lamr0 * s->z;
    m->logZ = dN * (s->beta + log(s->lamr0)) + log1p(zt);
    m->entropy = dN * log(s->lamr0) + log1p(zt) + s->beta * dN * omc;
    return SYM_OK;
}

/* Connected one-hot correlation at distance r:
 *   C_r(c, c') = R_r(d) R_(N-r)(d) / (P^2 z) - 1/P^2,  d = c' - c,
 * as (a + b + a b - (z - 1)) / (P^2 z) with a = R_r - 1, b = R_(N-r) - 1, so
 * that a small correlation keeps its relative accuracy. */
static int xy_corr(const ring_model *m, size_t r, double *C, char *err)
{
    (void)err;
    const xy_state *s = xy_of(m);
    size_t P = s->P, N = m->N;
    double zt = s->z - 1, den = (double)P * (double)P * s->z;
    for (size_t d = 0; d < P; d++) {
        double a = r == 0 ? (d == 0 ? (double)P - 1 : -1.0) : rtail(s, r, d);
        double b = rtail(s, N - r, d);
        double v = (a + b + a * b - zt) / den;
        for (size_t c = 0; c < P; c++)
            C[c * P + (c + d) % P] = v;
    }
    return SYM_OK;
}

/* lambda_{k,p} = sum_r F_p(r) e^{-2 pi i k r / N}, with the colour sum done
 * in closed form,
 *   F_p(r) = sum_d C_r(d) e^{-2 pi i p d/P} = (1/(P z)) sum_a t_a^r t_{p-a}^(N-r) - [p = 0]/P
 * (for p = 0 written as sum_{a>=1} (t_a^r t_a^(N-r) - t_a^N) / (P z): the
 * gauge direction, zero up to rounding), and the spatial sum by FFTW: F_p
 * is even in r, so the transform is real. */
static int xy_spectrum(const ring_model *m, double *lambda, char *err)
{
    const xy_state *s = xy_of(m);
    size_t P = s->P, N = m->N, rows;
    if (N > INT_MAX)
        return sym_error(err, SYM_EINVAL, "xy spectrum: N = %zu is beyond FFTW's int sizes", N);
    if (sym_alloc_check(N + 1, P, sizeof(double), "xy spectrum powers (N+1) x P", &rows, err))
        return SYM_ENOMEM;
    double *pw = malloc(rows);   /* pw[a (N+1) + r] = t_a^r */
    double *in = fftw_malloc(sizeof(double) * N);
    fftw_complex *out = fftw_malloc(sizeof(fftw_complex) * (N / 2 + 1));
    fftw_plan plan = (pw && in && out) ? fftw_plan_dft_r2c_1d((int)N, in, out, FFTW_ESTIMATE) : NULL;
    if (!plan) {
        free(pw);
        fftw_free(in);
        fftw_free(out);
        return sym_error(err, SYM_ENOMEM, "xy spectrum: out of memory for N = %zu, P = %zu", N, P);
    }
    for (size_t a = 0; a < P; a++)
        for (size_t r = 0; r <= N; r++)
            pw[a * (N + 1) + r] = tp(s->lt[a], r);
    double Pz = (double)P * s->z;
    for (size_t p = 0; p < P; p++) {
        for (size_t r = 0; r < N; r++) {
            double f = 0;
            if (p == 0) {
                for (size_t a = 1; a < P; a++)
                    f += pw[a * (N + 1) + r] * pw[a * (N + 1) + N - r] - pw[a * (N + 1) + N];
            } else {
                for (size_t a = 0; a < P; a++)
                    f += pw[a * (N + 1) + r] * pw[((p + P - a) % P) * (N + 1) + N - r];
            }
            in[r] = f / Pz;
        }
        fftw_execute(plan);
        for (size_t k = 0; k <= N / 2; k++) {
            lambda[k * P + p] = out[k][0];
            if (k > 0)
                lambda[(N - k) * P + p] = out[k][0];
        }
    }
    fftw_destroy_plan(plan);
    fftw_free(in);
    fftw_free(out);
    free(pw);
    return SYM_OK;
}

int ring_xy_conditional(const ring_model *m, size_t i, size_t a, double *p, char *err)
{
    if (m->type != &ring_xy)
        return sym_error(err, SYM_EINVAL, "ring_xy_conditional: model is %s, not xy", m->type->name);
    const xy_state *s = xy_of(m);
    if (i < 1 || i >= m->N || a >= s->P)
        return sym_error(err, SYM_EINVAL, "ring_xy_conditional: i = %zu, a = %zu: need 1 <= i < N = %zu, a < P = %zu",
                         i, a, m->N, s->P);
    double tot = xy_weights(s, m->N - i, a, p);
    for (size_t c = 0; c < s->P; c++)
        p[c] /= tot;
    return SYM_OK;
}

static int xy_sample(const ring_model *m, gsl_rng *r, size_t B, int8_t *v, char *err)
{
    (void)err;
    const xy_state *s = xy_of(m);
    size_t N = m->N, P = s->P;
    if (r->type == gsl_rng_mt19937) {
        /* gsl_rng_uniform of mt19937 is exactly k / 2^32 with k the raw
         * 32-bit output, and k / 2^32 < c <=> k < ceil(c 2^32), floor(P k
         * / 2^32) = (P k) >> 32: the same states from the same stream as
         * the general loop below, without the double conversion and the
         * indirect call per site (as model_ising.c) */
        unsigned long (*get)(void *) = r->type->get;
        void *state = r->state;
        for (size_t b = 0; b < B; b++) {
            int8_t *row = v + b * N;
            size_t v0 = (size_t)(((uint64_t)get(state) * P) >> 32), a = 0;
            row[0] = (int8_t)v0;
            for (size_t i = 1; i < N; i++) {
                size_t n = N - i;
                const uint64_t *c = s->thr + ((n < s->nlast ? n : s->nlast) * P + a) * P;
                uint64_t k32 = get(state);
                size_t k = 0;
                while (k + 1 < P && k32 >= c[k])
                    k++;
                a = k;
                size_t x = a + v0;
                row[i] = (int8_t)(x >= P ? x - P : x);
            }
        }
        return SYM_OK;
    }
    for (size_t b = 0; b < B; b++) {
        int8_t *row = v + b * N;
        size_t v0 = (size_t)(gsl_rng_uniform(r) * (double)P), a = 0;
        if (v0 >= P)
            v0 = P - 1;
        row[0] = (int8_t)v0;
        for (size_t i = 1; i < N; i++) {
            size_t n = N - i;
            const double *c = s->cum + ((n < s->nlast ? n : s->nlast) * P + a) * P;
            double u = gsl_rng_uniform(r);
            size_t k = 0;
            while (k + 1 < P && !(u < c[k]))   /* inversion; c[P-1] = 1 */
                k++;
            a = k;
            size_t x = a + v0;
            row[i] = (int8_t)(x >= P ? x - P : x);
        }
    }
    return SYM_OK;
}

/* S for xy is the spatial localisation R of the site power (SPEC.md 9). */
static double xy_order(double norm2, double R, double a1)
{
    (void)norm2;
    (void)a1;
    return R;
}

/* The number of states, for the sample files (core/samples.h) and readers. */
static int xy_header(const ring_model *m, traj_header *h)
{
    return traj_header_set(h, "states", "%zu", m->P) ? SYM_ENOMEM : SYM_OK;
}

/* T(a, b) e^{-beta} = e^{beta (cos(2 pi (a - b) / P) - 1)}: no overflow at
 * any beta. */
static void xy_transfer(const ring_model *m, double *E)
{
    size_t P = m->P;
    double beta = ring_get(m, "beta");
    for (size_t d = 0; d < P; d++)
        E[d] = exp(beta * (cos(2 * M_PI * (double)d / (double)P) - 1.0));
}

static const ring_param xy_par[] = {
    {"beta", 1.0, "ising coupling (>= 0); xy: the XY coupling", ring_check_beta},
    {"P", 10.0, "xy: number of Potts states (integer, 2 .. 127)", check_P},
};

static const ring_potts_ops xy_potts = {
    .nstates = xy_nstates,
    .corr = xy_corr,
    .spectrum = xy_spectrum,
    .transfer = xy_transfer,
};

const ring_type ring_xy = {
    .name = "xy",
    .about = "Potts v_i in 0..P-1, P(v) ~ exp(beta sum_i cos(2 pi (v_i - v_{i+1}) / P)), periodic",
    .npar = sizeof xy_par / sizeof xy_par[0],
    .par = xy_par,
    .check = NULL,
    .fill = xy_fill,
    .sample = xy_sample,
    .header = xy_header,
    .order = xy_order,
    .m4 = NULL,
    .potts = &xy_potts,
};
