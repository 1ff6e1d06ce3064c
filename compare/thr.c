#include "compare/thr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <gsl/gsl_vector.h>

#include "core/err.h"
#include "core/obs.h"

int thr_grid(double Bmin, double Bmax, size_t points, size_t *B, size_t *n, char *err)
{
    if (!(Bmin >= 1) || !(Bmax >= Bmin) || !isfinite(Bmax))
        return sym_error(err, SYM_EINVAL, "B range [%g, %g]: need 1 <= Bmin <= Bmax", Bmin, Bmax);
    if (points < 1)
        return sym_error(err, SYM_EINVAL, "points = 0: need at least one grid point");
    if (points == 1 && Bmax != Bmin)
        return sym_error(err, SYM_EINVAL, "points = 1 needs Bmin == Bmax");
    size_t m = 0;
    double l0 = log(Bmin), l1 = log(Bmax);
    for (size_t j = 0; j < points; j++) {
        double x = points == 1 ? l0 : l0 + (l1 - l0) * (double)j / (double)(points - 1);
        size_t b = (size_t)llround(exp(x));
        if (b < 1)
            b = 1;
        if (m > 0 && b <= B[m - 1])
            continue;   /* small B: neighbouring grid points round alike */
        B[m++] = b;
    }
    *n = m;
    return SYM_OK;
}

int thr_crossing(const double *B, const double *y, size_t n, double lo, double hi, double *Bc,
                 char *err)
{
    *Bc = NAN;
    if (n < 2)
        return sym_error(err, SYM_EINVAL, "thr_crossing: need at least two sample sizes, got %zu", n);
    if (!isfinite(lo) || !isfinite(hi) || lo == hi)
        return sym_error(err, SYM_ENUM, "thr_crossing: levels %g and %g do not define a rise", lo, hi);
    double half = 0.5 * (lo + hi), dir = hi > lo ? 1 : -1;
    for (size_t j = 0; j < n; j++)
        if (!isfinite(y[j]))
            return sym_error(err, SYM_ENUM, "thr_crossing: value at B = %g is not finite", B[j]);
    /* d_j > 0: on the hi side of the level.  The curve starts on the lo side
     * (or is already across at the smallest B, then there is no crossing to
     * locate inside the grid). */
    if (dir * (y[0] - half) >= 0)
        return sym_error(err, SYM_ENUM, "thr_crossing: already half-way at the smallest B = %g", B[0]);
    for (size_t j = 0; j + 1 < n; j++) {
        double d0 = dir * (y[j] - half), d1 = dir * (y[j + 1] - half);
        if (d0 < 0 && d1 >= 0) {
            double x0 = log(B[j]), x1 = log(B[j + 1]);
            double f = d0 / (d0 - d1);   /* in (0, 1] */
            *Bc = exp(x0 + f * (x1 - x0));
            return SYM_OK;
        }
    }
    return sym_error(err, SYM_ENUM, "thr_crossing: never half-way up to B = %g", B[n - 1]);
}

void thr_levels_apply(const thr_levels *lv, const double *m, size_t n, double *lo, double *hi)
{
    *lo = lv->lo_data ? m[0] : lv->lo;
    *hi = lv->hi_data ? m[n - 1] : lv->hi;
}

int thr_bootstrap(const double *B, const double *y, size_t n, size_t ns, const thr_levels *lv,
                  size_t nres, gsl_rng *r, double *ci_lo, double *ci_hi, size_t *nvalid, char *err)
{
    *ci_lo = *ci_hi = NAN;
    *nvalid = 0;
    if (n < 2 || ns < 1 || nres < 1)
        return sym_error(err, SYM_EINVAL, "thr_bootstrap: need >= 2 sample sizes, >= 1 seed and "
                         ">= 1 replicate (got %zu, %zu, %zu)", n, ns, nres);
    double *m = malloc(n * sizeof *m), *bc = malloc(nres * sizeof *bc);
    if (!m || !bc) {
        free(m);
        free(bc);
        return sym_error(err, SYM_ENOMEM, "thr_bootstrap: out of memory");
    }
    size_t nv = 0;
    char dummy[SYM_ERRLEN];
    for (size_t rep = 0; rep < nres; rep++) {
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t k = 0; k < ns; k++)
                s += y[j * ns + gsl_rng_uniform_int(r, ns)];
            m[j] = s / (double)ns;
        }
        double lo, hi, b;
        thr_levels_apply(lv, m, n, &lo, &hi);
        /* a replicate that does not cross is counted out, not an error */
        if (thr_crossing(B, m, n, lo, hi, &b, dummy) == SYM_OK)
            bc[nv++] = b;
    }
    *nvalid = nv;
    if (2 * nv >= nres && nv > 0) {
        gsl_sort(bc, 1, nv);
        *ci_lo = gsl_stats_quantile_from_sorted_data(bc, 1, nv, THR_CI_LO);
        *ci_hi = gsl_stats_quantile_from_sorted_data(bc, 1, nv, THR_CI_HI);
    }
    free(m);
    free(bc);
    return SYM_OK;
}

/* ---- linear-regime overlap ---- */

struct thr_lin {
    size_t N;
    unsigned char *grow;   /* N: 1 for a growing mode              */
    size_t ngrow;
    uint64_t *bits;        /* N x words: column i, sample b in bit b */
    size_t words;          /* capacity per column                   */
    gsl_matrix *C, *evec;
    gsl_vector *eval;
    gsl_eigen_symmv_workspace *eig;
    obs_ws *obs;
    double *u, *a;
};

void thr_lin_free(thr_lin *ws)
{
    if (!ws)
        return;
    free(ws->grow);
    free(ws->bits);
    if (ws->C)
        gsl_matrix_free(ws->C);
    if (ws->evec)
        gsl_matrix_free(ws->evec);
    if (ws->eval)
        gsl_vector_free(ws->eval);
    if (ws->eig)
        gsl_eigen_symmv_free(ws->eig);
    obs_free(ws->obs);
    free(ws->u);
    free(ws->a);
    free(ws);
}

int thr_lin_alloc(thr_lin **out, size_t N, const double *lambda, char *err)
{
    *out = NULL;
    if (N < 1)
        return sym_error(err, SYM_EINVAL, "thr_lin_alloc: N = 0");
    thr_lin *ws = calloc(1, sizeof *ws);
    if (!ws)
        return sym_error(err, SYM_ENOMEM, "thr_lin_alloc: out of memory");
    ws->N = N;
    ws->grow = calloc(N, 1);
    ws->C = gsl_matrix_alloc(N, N);
    ws->evec = gsl_matrix_alloc(N, N);
    ws->eval = gsl_vector_alloc(N);
    ws->eig = gsl_eigen_symmv_alloc(N);
    ws->obs = obs_alloc(N);
    ws->u = malloc(N * sizeof *ws->u);
    ws->a = malloc(N * sizeof *ws->a);
    if (!ws->grow || !ws->C || !ws->evec || !ws->eval || !ws->eig || !ws->obs || !ws->u || !ws->a) {
        thr_lin_free(ws);
        return sym_error(err, SYM_ENOMEM, "thr_lin_alloc: out of memory (N = %zu)", N);
    }
    for (size_t k = 0; k < N; k++) {
        if (!isfinite(lambda[k])) {
            thr_lin_free(ws);
            return sym_error(err, SYM_EINVAL, "thr_lin_alloc: lambda[%zu] is not finite", k);
        }
        ws->grow[k] = lambda[k] > 1 + THR_GROW_TOL;
        ws->ngrow += ws->grow[k];
    }
    *out = ws;
    return SYM_OK;
}

size_t thr_lin_ngrow(const thr_lin *ws)
{
    return ws->ngrow;
}

int thr_lin_corr(thr_lin *ws, const int8_t *v, size_t B, double *C, char *err)
{
    size_t N = ws->N, W = (B + 63) / 64;
    if (B < 1)
        return sym_error(err, SYM_EINVAL, "thr_lin_corr: B = 0");
    if (W > ws->words) {
        uint64_t *nb = realloc(ws->bits, N * W * sizeof *nb);
        if (!nb)
            return sym_error(err, SYM_ENOMEM, "thr_lin_corr: out of memory (B = %zu)", B);
        ws->bits = nb;
        ws->words = W;
    }
    /* v_i v_j = +1 exactly when the two bits agree, so
     * sum_b v_bi v_bj = B - 2 popcount(col_i XOR col_j): integer arithmetic,
     * 64 samples per word, padding bits 0 in every column. */
    memset(ws->bits, 0, N * W * sizeof *ws->bits);
    for (size_t b = 0; b < B; b++) {
        const int8_t *row = v + b * N;
        uint64_t bit = (uint64_t)1 << (b % 64);
        size_t w = b / 64;
        for (size_t i = 0; i < N; i++) {
            if (row[i] != 1 && row[i] != -1)
                return sym_error(err, SYM_EINVAL, "thr_lin_corr: v[%zu][%zu] = %d is not +-1", b,
                                 i, (int)row[i]);
            if (row[i] > 0)
                ws->bits[i * W + w] |= bit;
        }
    }
    for (size_t i = 0; i < N; i++) {
        C[i * N + i] = 1.0;
        const uint64_t *ci = ws->bits + i * W;
        for (size_t j = i + 1; j < N; j++) {
            const uint64_t *cj = ws->bits + j * W;
            uint64_t diff = 0;
            for (size_t w = 0; w < W; w++)
                diff += (uint64_t)__builtin_popcountll(ci[w] ^ cj[w]);
            double c = ((double)B - 2.0 * (double)diff) / (double)B;
            C[i * N + j] = C[j * N + i] = c;
        }
    }
    return SYM_OK;
}

int thr_lin_overlap(thr_lin *ws, const int8_t *v, size_t B, double *ov, double *top, double *u,
                    char *err)
{
    size_t N = ws->N;
    int st = thr_lin_corr(ws, v, B, ws->C->data, err);
    if (st)
        return sym_context(err, st, "thr_lin_overlap");
    if (ws->C->tda != N)
        return sym_error(err, SYM_EINVAL, "thr_lin_overlap: unexpected matrix layout");
    if (gsl_eigen_symmv(ws->C, ws->eval, ws->evec, ws->eig))
        return sym_error(err, SYM_ENUM, "thr_lin_overlap: eigensolver failed (N = %zu, B = %zu)", N, B);
    size_t kmax = gsl_vector_max_index(ws->eval);
    double norm2 = 0;
    for (size_t i = 0; i < N; i++) {
        ws->u[i] = gsl_matrix_get(ws->evec, i, kmax);
        norm2 += ws->u[i] * ws->u[i];
    }
    /* Parseval (core/obs.h): sum_k a_k^2 = sum_i u_i^2 */
    obs_amplitudes(ws->obs, ws->u, ws->a);
    double g = 0;
    for (size_t k = 0; k < N; k++)
        if (ws->grow[k])
            g += ws->a[k] * ws->a[k];
    *ov = g / norm2;
    *top = gsl_vector_get(ws->eval, kmax);
    if (u)
        for (size_t i = 0; i < N; i++)
            u[i] = ws->u[i] / sqrt(norm2);
    return SYM_OK;
}
