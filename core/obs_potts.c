/* obs_potts: order parameters of a Potts profile (SPEC.md section 9).
 *
 * Only the p = +-1 angular harmonic is ever needed, so instead of a 2-D FFT
 * over (site, colour) the harmonic z_i is taken per site in O(P) from a
 * table, and one complex length-N FFT of z gives W_{k,+1} for every k;
 * W_{k,-1} = conj W_{-k,+1} because w is real.  Cost O(N P + N log N) per
 * snapshot.  Plan made once with FFTW_ESTIMATE, as in core/obs.c.
 */
#include "core/obs_potts.h"

#include <limits.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

/* see obs_potts_compute: a harmonic below this fraction of norm2 has no phase */
#define PHASE_MIN_FRAC 1e-20

struct obs_potts_ws {
    size_t N, P;
    fftw_complex *z;       /* z_i = sum_c w_i(c) e^{-2 pi i c/P}            */
    fftw_complex *Z;       /* its spatial DFT: Z_k = W_{k,+1}               */
    fftw_plan pz;
    double *cosN, *sinN;   /* cos, sin (2 pi i / N): R and centre           */
    double *cosP, *sinP;   /* cos, sin (2 pi c / P): the harmonic           */
};

void obs_potts_free(obs_potts_ws *ws)
{
    if (!ws)
        return;
    if (ws->pz)
        fftw_destroy_plan(ws->pz);
    fftw_free(ws->z);
    fftw_free(ws->Z);
    free(ws->cosN);
    free(ws->sinN);
    free(ws->cosP);
    free(ws->sinP);
    free(ws);
}

/* Exactly symmetric tables (cos_j = cos_{n-j}, sin_j = -sin_{n-j}), as in
 * core/obs.c, so mirror-symmetric profiles have centres and phases exactly
 * on the mirror axis. */
static void trig_table(size_t n, double *cs, double *sn)
{
    for (size_t i = 0; i < n; i++) {
        size_t j = i <= n - i ? i : n - i;
        double th = 2.0 * M_PI * (double)j / (double)n;
        cs[i] = cos(th);
        sn[i] = i <= n - i ? sin(th) : -sin(th);
    }
}

obs_potts_ws *obs_potts_alloc(size_t N, size_t P)
{
    if (N == 0 || P < 2 || N > (size_t)INT_MAX || P > SIZE_MAX / N)
        return NULL;
    obs_potts_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->N = N;
    ws->P = P;
    ws->z = fftw_malloc(N * sizeof(fftw_complex));
    ws->Z = fftw_malloc(N * sizeof(fftw_complex));
    ws->cosN = malloc(N * sizeof(double));
    ws->sinN = malloc(N * sizeof(double));
    ws->cosP = malloc(P * sizeof(double));
    ws->sinP = malloc(P * sizeof(double));
    if (!ws->z || !ws->Z || !ws->cosN || !ws->sinN || !ws->cosP || !ws->sinP) {
        obs_potts_free(ws);
        return NULL;
    }
    ws->pz = fftw_plan_dft_1d((int)N, ws->z, ws->Z, FFTW_FORWARD, FFTW_ESTIMATE);
    if (!ws->pz) {
        obs_potts_free(ws);
        return NULL;
    }
    trig_table(N, ws->cosN, ws->sinN);
    trig_table(P, ws->cosP, ws->sinP);
    return ws;
}

/* z = sum_c w(c) e^{-2 pi i c/P} for one site */
static void site_harmonic(const obs_potts_ws *ws, const double *wi, double *re, double *im)
{
    double r = 0, m = 0;
    for (size_t c = 0; c < ws->P; c++) {
        r += wi[c] * ws->cosP[c];
        m -= wi[c] * ws->sinP[c];
    }
    *re = r;
    *im = m;
}

/* an angle atan2(y, x) moved into [0, period) by period / (2 pi) scaling */
static double angle_in(double y, double x, double period)
{
    double a = atan2(y, x) * period / (2.0 * M_PI);
    if (a < 0)
        a += period;
    /* a tiny negative angle can round up to exactly the period */
    if (a >= period)
        a -= period;
    return a;
}

void obs_potts_compute(obs_potts_ws *ws, const double *w, obs_potts_values *out)
{
    size_t N = ws->N, P = ws->P;
    double s2 = 0, s4 = 0, re = 0, im = 0, pre = 0, pim = 0, pz2 = 0;
    for (size_t i = 0; i < N; i++) {
        const double *wi = w + i * P;
        double s = 0;
        for (size_t c = 0; c < P; c++)
            s += wi[c] * wi[c];
        s2 += s;
        s4 += s * s;
        re += s * ws->cosN[i];
        im += s * ws->sinN[i];
        double zr, zi;
        site_harmonic(ws, wi, &zr, &zi);
        ws->z[i][0] = zr;
        ws->z[i][1] = zi;
        /* A_i^2 e^{i phi_i} is proportional to |z_i| conj(z_i) */
        double az = hypot(zr, zi);
        pre += az * zr;
        pim -= az * zi;
        pz2 += az * az;
    }
    fftw_execute(ws->pz);
    double NP = (double)N * (double)P;
    for (size_t k = 0; k < OBS_NA; k++) {
        if (k >= N) {
            out->a[k] = NAN;
            continue;
        }
        double p1 = ws->Z[k][0] * ws->Z[k][0] + ws->Z[k][1] * ws->Z[k][1];
        /* |W_{k,-1}| = |W_{-k,+1}|; for P = 2 the harmonics +1 and -1 are
         * the same mode (and then W_{-k,1} is the conjugate of W_{k,1}) */
        double m1 = 0;
        if (P > 2) {
            size_t j = (N - k) % N;
            m1 = ws->Z[j][0] * ws->Z[j][0] + ws->Z[j][1] * ws->Z[j][1];
        }
        out->a[k] = sqrt((p1 + m1) / NP);
    }
    out->norm2 = s2;
    out->X = NAN;
    if (!(s2 > 0)) {
        out->pr = out->R = out->S = out->center = out->S_ang = out->phase = NAN;
        return;
    }
    out->pr = s2 * s2 / ((double)N * s4);
    out->R = hypot(re, im) / s2;
    out->center = angle_in(im, re, (double)N);
    out->S = out->R;
    out->S_ang = out->a[0] * out->a[0] / s2;
    /* (2/P) sum_i |z_i|^2 is the harmonic's share of norm2 (P >= 3): below
     * PHASE_MIN_FRAC it is rounding noise (e.g. a pure p = 2 field), whose
     * phase would be a random number */
    out->phase = 2.0 * pz2 > PHASE_MIN_FRAC * (double)P * s2 ? angle_in(pim, pre, 2.0 * M_PI) : NAN;
}

void obs_potts_sites(const obs_potts_ws *ws, const double *w, double *A, double *phi, double *wang,
                     double *wspat)
{
    size_t N = ws->N, P = ws->P;
    if (wspat)
        for (size_t c = 0; c < P; c++)
            wspat[c] = 0;
    for (size_t i = 0; i < N; i++) {
        const double *wi = w + i * P;
        if (A || phi) {
            double zr, zi;
            site_harmonic(ws, wi, &zr, &zi);
            if (A)
                A[i] = 2.0 / (double)P * hypot(zr, zi);
            if (phi)
                phi[i] = angle_in(-zi, zr, 2.0 * M_PI);
        }
        if (wang) {
            double s = 0;
            for (size_t c = 0; c < P; c++)
                s += fabs(wi[c]);
            wang[i] = s;
        }
        if (wspat)
            for (size_t c = 0; c < P; c++)
                wspat[c] += wi[c];
    }
}

void obs_potts_gauge(double *w, size_t N, size_t P)
{
    if (P == 0)
        return;
    for (size_t i = 0; i < N; i++) {
        double *wi = w + i * P, m = 0;
        for (size_t c = 0; c < P; c++)
            m += wi[c];
        m /= (double)P;
        for (size_t c = 0; c < P; c++)
            wi[c] -= m;
    }
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* M sorted circular gaps of x[0..M) on a circle of the given period */
static void circ_gaps(const double *x, size_t M, double period, double *sep)
{
    for (size_t k = 0; k < M; k++)
        if (!isfinite(x[k])) {
            for (size_t j = 0; j < M; j++)
                sep[j] = NAN;
            return;
        }
    if (M == 0)
        return;
    memcpy(sep, x, M * sizeof *sep);
    qsort(sep, M, sizeof *sep, cmp_dbl);
    double first = sep[0];
    for (size_t k = 0; k + 1 < M; k++)
        sep[k] = sep[k + 1] - sep[k];
    sep[M - 1] = first + period - sep[M - 1];
    qsort(sep, M, sizeof *sep, cmp_dbl);
}

void obs_potts_separations(const double *center, const double *phase, size_t M, size_t N,
                           double *sep_center, double *sep_phase)
{
    if (sep_center)
        circ_gaps(center, M, (double)N, sep_center);
    if (sep_phase)
        circ_gaps(phase, M, 2.0 * M_PI, sep_phase);
}
