/* obs: order parameters of one weight profile (SPEC.md section 4).
 *
 * Everything is O(N) except one real FFT per obs_compute and three per
 * obs_overlap (plus ~30 O(N) evaluations of the trigonometric
 * cross-correlation for the continuous shift), so snapshots stay cheap at
 * N = 10^6.  The plans are made once
 * in obs_alloc with FFTW_ESTIMATE: planning with MEASURE would cost seconds at
 * large N and overwrite the buffers, and a size-N r2c is called only once per
 * snapshot, so a better plan would not pay for itself.
 */
#include "core/obs.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_min.h>

#include "core/ring.h"

struct obs_ws {
    size_t N, nc;            /* length, number of r2c outputs N/2 + 1        */
    double *win, *uin;       /* real inputs of the two forward transforms    */
    fftw_complex *wout, *uout;
    fftw_complex *prod;      /* conj(W) U, input of the backward transform   */
    double *corr;            /* N x cross-correlation                        */
    fftw_plan pw, pu, pc;    /* w -> W, u -> U, prod -> corr                 */
    double *cosv, *sinv;     /* cos, sin (2 pi i / N): R and centre in O(N)  */
};

void obs_free(obs_ws *ws)
{
    if (!ws)
        return;
    if (ws->pw)
        fftw_destroy_plan(ws->pw);
    if (ws->pu)
        fftw_destroy_plan(ws->pu);
    if (ws->pc)
        fftw_destroy_plan(ws->pc);
    fftw_free(ws->win);
    fftw_free(ws->uin);
    fftw_free(ws->wout);
    fftw_free(ws->uout);
    fftw_free(ws->prod);
    fftw_free(ws->corr);
    free(ws->cosv);
    free(ws->sinv);
    free(ws);
}

obs_ws *obs_alloc(size_t N)
{
    /* FFTW takes the length as an int */
    if (N == 0 || N > (size_t)INT_MAX)
        return NULL;
    obs_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->N = N;
    ws->nc = N / 2 + 1;
    ws->win = fftw_malloc(N * sizeof(double));
    ws->uin = fftw_malloc(N * sizeof(double));
    ws->corr = fftw_malloc(N * sizeof(double));
    ws->wout = fftw_malloc(ws->nc * sizeof(fftw_complex));
    ws->uout = fftw_malloc(ws->nc * sizeof(fftw_complex));
    ws->prod = fftw_malloc(ws->nc * sizeof(fftw_complex));
    ws->cosv = malloc(N * sizeof(double));
    ws->sinv = malloc(N * sizeof(double));
    if (!ws->win || !ws->uin || !ws->corr || !ws->wout || !ws->uout || !ws->prod ||
        !ws->cosv || !ws->sinv) {
        obs_free(ws);
        return NULL;
    }
    int n = (int)N;
    ws->pw = fftw_plan_dft_r2c_1d(n, ws->win, ws->wout, FFTW_ESTIMATE);
    ws->pu = fftw_plan_dft_r2c_1d(n, ws->uin, ws->uout, FFTW_ESTIMATE);
    ws->pc = fftw_plan_dft_c2r_1d(n, ws->prod, ws->corr, FFTW_ESTIMATE);
    if (!ws->pw || !ws->pu || !ws->pc) {
        obs_free(ws);
        return NULL;
    }
    /* Angles from min(i, N-i) and a reflected sine, so the table is exactly
     * symmetric (cos_i = cos_{N-i}, sin_i = -sin_{N-i}): a mirror-symmetric
     * profile then has its centre exactly on the mirror axis. */
    for (size_t i = 0; i < N; i++) {
        size_t j = i <= N - i ? i : N - i;
        double th = 2.0 * M_PI * (double)j / (double)N;
        ws->cosv[i] = cos(th);
        ws->sinv[i] = i <= N - i ? sin(th) : -sin(th);
    }
    return ws;
}

/* |W_k| for any k in 0..N-1 from the half spectrum (W_{N-k} = conj W_k). */
static double mode_abs(const obs_ws *ws, size_t k)
{
    size_t j = k < ws->nc ? k : ws->N - k;
    return hypot(ws->wout[j][0], ws->wout[j][1]);
}

void obs_compute(obs_ws *ws, const ring_type *type, const double *w, obs_values *out)
{
    size_t N = ws->N;
    double s2 = 0, s4 = 0, re = 0, im = 0;
    for (size_t i = 0; i < N; i++) {
        double q = w[i] * w[i];
        s2 += q;
        s4 += q * q;
        re += q * ws->cosv[i];
        im += q * ws->sinv[i];
        ws->win[i] = w[i];
    }
    fftw_execute(ws->pw);
    double rootN = sqrt((double)N);
    for (size_t k = 0; k < OBS_NA; k++)
        out->a[k] = k < N ? mode_abs(ws, k) / rootN : NAN;
    out->norm2 = s2;
    out->X = NAN;
    if (!(s2 > 0)) {
        out->pr = out->R = out->S = out->center = NAN;
        return;
    }
    out->pr = s2 * s2 / ((double)N * s4);
    out->R = hypot(re, im) / s2;
    double c = atan2(im, re) * (double)N / (2.0 * M_PI);
    if (c < 0)
        c += (double)N;
    /* a tiny negative angle can round up to exactly N */
    if (c >= (double)N)
        c -= (double)N;
    out->center = c;
    double a1 = N > 1 ? mode_abs(ws, 1) / rootN : 0.0;
    out->S = type->order(s2, out->R, a1);
}

void obs_amplitudes(obs_ws *ws, const double *w, double *a)
{
    size_t N = ws->N;
    memcpy(ws->win, w, N * sizeof(double));
    fftw_execute(ws->pw);
    double rootN = sqrt((double)N);
    for (size_t k = 0; k < N; k++)
        a[k] = mode_abs(ws, k) / rootN;
}

/* The band-limited cross-correlation at a real shift s, times N:
 *     N c(s) = Re P_0 + 2 sum_{0<k<N/2} Re(P_k e^{2 pi i k s / N})
 *              + [N even] Re P_{N/2} cos(pi s),    P_k = conj(W_k) U_k,
 * the trigonometric interpolant of the lattice correlation (its values at
 * integer s are the c2r output).  The Nyquist term is the real part of the
 * split of P_{N/2} between k = +N/2 and -N/2, the same convention as
 * obs_shift_frac.  e^{i k theta} by complex multiplication, re-seeded from
 * cos/sin every OBS_RESEED terms so that the rounding stays ~1e-15 at any
 * N (one pass: N/2 complex products, N/512 sincos).  Uses wout, uout. */
#define OBS_RESEED 256
static double corr_at(const obs_ws *ws, double s)
{
    size_t N = ws->N, kmax = (N - 1) / 2;
    double th = 2.0 * M_PI * s / (double)N, cr = cos(th), ci = sin(th);
    double sum = ws->wout[0][0] * ws->uout[0][0], acc = 0.0, zr = 1.0, zi = 0.0;
    for (size_t k = 1; k <= kmax; k++) {
        if (k % OBS_RESEED == 1) {
            /* exact seed e^{i k theta}, k theta reduced through fmod of k s */
            double a = 2.0 * M_PI * fmod((double)k * s, (double)N) / (double)N;
            zr = cos(a);
            zi = sin(a);
        } else {
            double t = zr * cr - zi * ci;
            zi = zr * ci + zi * cr;
            zr = t;
        }
        double a = ws->wout[k][0], b = ws->wout[k][1], c = ws->uout[k][0], d = ws->uout[k][1];
        double pr = a * c + b * d, pi = a * d - b * c;
        acc += pr * zr - pi * zi;
    }
    sum += 2.0 * acc;
    if (N % 2 == 0)
        sum += ws->wout[N / 2][0] * ws->uout[N / 2][0] * cos(M_PI * s);
    return sum;
}

/* The minimiser works on the offset x from the lattice best b, s = b + x:
 * Brent's tolerance is relative to |x| (~1e-8 |x|), and in s it would be
 * 1e-8 N, which costs Q ~1e-10 for a rough profile at N = 1000. */
typedef struct {
    const obs_ws *ws;
    double sign, b;
} corr_arg;

static double corr_neg(double x, void *p)
{
    const corr_arg *a = p;
    return -a->sign * corr_at(a->ws, a->b + x);
}

/* Brent (gsl_min) on -sign c(b + x) over x in [lo, hi] from x; the best s and its
 * value into *s, *f when it improves on *f.  A bracket that is not one
 * (f(x) not below both ends: a flat correlation) leaves them alone. */
static void refine(const obs_ws *ws, double sign, double b, double lo, double x, double hi,
                   double *s, double *f)
{
    corr_arg a = {ws, sign, b};
    gsl_function F = {corr_neg, &a};
    double fx = corr_neg(x, &a), flo = corr_neg(lo, &a), fhi = corr_neg(hi, &a);
    if (!(fx < flo) || !(fx < fhi))
        return;
    gsl_min_fminimizer *m = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent);
    if (!m)
        return;
    /* GSL's error handler is left alone (setting it is global state, and
     * overlaps run in threads): set_with_values fails only on a bracket
     * not checked above, iterate only on a non-finite value, and the
     * values are finite (a NaN fails the checks above) */
    if (gsl_min_fminimizer_set_with_values(m, &F, x, fx, lo, flo, hi, fhi) == GSL_SUCCESS) {
        /* 1e-10 sites is far below what Q needs (its error is quadratic in
         * that of s); Brent stops near sqrt(eps) relative anyway */
        for (int it = 0; it < 100; it++) {
            if (gsl_min_fminimizer_iterate(m) != GSL_SUCCESS)
                break;
            if (gsl_min_test_interval(gsl_min_fminimizer_x_lower(m),
                                      gsl_min_fminimizer_x_upper(m), 1e-10, 0.0) == GSL_SUCCESS)
                break;
        }
        double fm = gsl_min_fminimizer_f_minimum(m);
        if (-fm > *f) {
            *f = -fm;
            *s = b + gsl_min_fminimizer_x_minimum(m);
        }
    }
    gsl_min_fminimizer_free(m);
}

double obs_overlap_frac(obs_ws *ws, const double *w, const double *u, double *shift, int *sign)
{
    size_t N = ws->N;
    double nw = 0, nu = 0;
    for (size_t i = 0; i < N; i++) {
        nw += w[i] * w[i];
        nu += u[i] * u[i];
        ws->win[i] = w[i];
        ws->uin[i] = u[i];
    }
    if (shift)
        *shift = 0;
    if (sign)
        *sign = 1;
    /* a non-finite norm (NaN or inf entries, or an overflow) has no
     * overlap; it would also hand Brent non-finite values */
    if (!(nw > 0) || !(nu > 0) || !isfinite(nw) || !isfinite(nu))
        return NAN;
    fftw_execute(ws->pw);
    fftw_execute(ws->pu);
    /* sum_i w_i u_{i+s} = (1/N) sum_k conj(W_k) U_k e^{+2 pi i k s / N}: the
     * unnormalised c2r of conj(W) U gives N times the cross-correlation. */
    for (size_t k = 0; k < ws->nc; k++) {
        double a = ws->wout[k][0], b = ws->wout[k][1];
        double c = ws->uout[k][0], d = ws->uout[k][1];
        ws->prod[k][0] = a * c + b * d;
        ws->prod[k][1] = a * d - b * c;
    }
    fftw_execute(ws->pc);
    size_t best = 0;
    double bmax = fabs(ws->corr[0]);
    for (size_t s = 1; s < N; s++) {
        double v = fabs(ws->corr[s]);
        if (v > bmax) {
            bmax = v;
            best = s;
        }
    }
    double sg = ws->corr[best] < 0 ? -1.0 : 1.0;
    /* the continuous maximum lies within one site of the lattice one (the
     * lattice neighbours are lower); when a neighbour ties, it lies
     * between the two, so bracket that half-interval instead */
    double b = (double)best, s = b, f = bmax;
    if (N > 1) {
        double fl = sg * ws->corr[(best + N - 1) % N], fr = sg * ws->corr[(best + 1) % N];
        if (fl < bmax && fr < bmax)
            refine(ws, sg, b, -1.0, 0.0, 1.0, &s, &f);
        else if (fr >= fl)
            refine(ws, sg, b, 0.0, 0.5, 1.0, &s, &f);
        else
            refine(ws, sg, b, -1.0, -0.5, 0.0, &s, &f);
    }
    s = fmod(s, (double)N);
    if (s < 0)
        s += (double)N;
    if (s >= (double)N)
        s -= (double)N;
    if (shift)
        *shift = s;
    if (sign)
        *sign = (int)sg;
    /* Cauchy-Schwarz: rounding can put the refined value a few ulps above 1 */
    double q = f / (double)N / sqrt(nw * nu);
    return q > 1.0 ? 1.0 : q;
}

double obs_overlap(obs_ws *ws, const double *w, const double *u, size_t *shift, int *sign)
{
    double s = 0.0;
    double q = obs_overlap_frac(ws, w, u, &s, sign);
    if (shift) {
        size_t k = (size_t)floor(s + 0.5);
        *shift = k >= ws->N ? k - ws->N : k;
    }
    return q;
}

void obs_shift_frac(obs_ws *ws, const double *u, double s, double *out)
{
    size_t N = ws->N, kmax = (N - 1) / 2;
    memcpy(ws->uin, u, N * sizeof(double));
    fftw_execute(ws->pu);
    /* out_i = u(i - s): multiply U_k by e^{-2 pi i k s / N}; the c2r of the
     * half spectrum is the real band-limited interpolant.  The Nyquist mode
     * (even N) is real on the lattice only as cos(pi (i - s)) sampled at
     * integers, (-1)^i cos(pi s): U_{N/2} is multiplied by cos(pi s), the
     * real part of splitting it equally between k = +N/2 and -N/2, so out
     * is real and integer s is an exact lattice translation (a profile
     * with a Nyquist component loses the factor cos^2(pi s) of that
     * component's weight in between). */
    double sm = fmod(s, (double)N);
    for (size_t k = 0; k < ws->nc; k++) {
        double c, d;
        if (k == 0) {
            c = 1.0;
            d = 0.0;
        } else if (k <= kmax) {
            double a = -2.0 * M_PI * fmod((double)k * sm, (double)N) / (double)N;
            c = cos(a);
            d = sin(a);
        } else {   /* k = N/2, N even */
            c = cos(M_PI * sm);
            d = 0.0;
        }
        double re = ws->uout[k][0], im = ws->uout[k][1];
        ws->prod[k][0] = re * c - im * d;
        ws->prod[k][1] = re * d + im * c;
    }
    fftw_execute(ws->pc);
    for (size_t i = 0; i < N; i++)
        out[i] = ws->corr[i] / (double)N;
}

double obs_t_sb(const double *t, const double *S, size_t n)
{
    if (n == 0 || !(S[n - 1] > OBS_BROKEN_S) || !isfinite(S[n - 1]))
        return NAN;
    double half = 0.5 * S[n - 1];
    if (S[0] >= half)
        return t[0];
    for (size_t k = 1; k < n; k++) {
        if (!(S[k] >= half))
            continue;
        /* S[k-1] < half <= S[k] unless S[k-1] is NaN: then no bracket */
        if (!(S[k - 1] < half))
            return t[k];
        return t[k - 1] + (half - S[k - 1]) * (t[k] - t[k - 1]) / (S[k] - S[k - 1]);
    }
    return t[n - 1];   /* not reached: S[n-1] >= half */
}

/* Distance from site p to the half-maximum crossing walking in direction
 * dir (+1 or -1), or -1 when |w| never drops to half all round the ring. */
static double fwhm_side(const double *w, size_t N, size_t p, int dir, double half)
{
    double prev = fabs(w[p]);
    for (size_t s = 1; s < N; s++) {
        size_t i = dir > 0 ? (p + s) % N : (p + N - s) % N;
        double a = fabs(w[i]);
        /* prev > half >= a, so the denominator is positive */
        if (a <= half)
            return (double)(s - 1) + (prev - half) / (prev - a);
        prev = a;
    }
    return -1.0;
}

double obs_fwhm(const double *w, size_t N)
{
    if (N == 0)
        return NAN;
    size_t p = 0;
    for (size_t i = 0; i < N; i++) {
        if (!isfinite(w[i]))
            return NAN;
        if (fabs(w[i]) > fabs(w[p]))
            p = i;
    }
    double half = 0.5 * fabs(w[p]);
    if (!(half > 0))
        return NAN;
    double r = fwhm_side(w, N, p, +1, half);
    if (r < 0)
        return NAN;   /* then the left walk cannot find a crossing either */
    return r + fwhm_side(w, N, p, -1, half);
}

double obs_unwrap(double prev_X, double center, size_t N)
{
    if (isnan(center) || isnan(prev_X) || !isfinite(prev_X))
        return center;
    double n = (double)N;
    return center + n * round((prev_X - center) / n);
}
