/* lin: C^ and its top eigenvector's growing-mode overlap (sim/lin.h). */
#include "sim/lin.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>
#include "core/obs.h"

#include "core/err.h"

struct lin {
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

void lin_free(lin *ws)
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

int lin_alloc(lin **out, size_t N, const double *lambda, char *err)
{
    *out = NULL;
    if (N < 1)
        return sym_error(err, SYM_EINVAL, "lin_alloc: N = 0");
    lin *ws = calloc(1, sizeof *ws);
    if (!ws)
        return sym_error(err, SYM_ENOMEM, "lin_alloc: out of memory");
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
        lin_free(ws);
        return sym_error(err, SYM_ENOMEM, "lin_alloc: out of memory (N = %zu)", N);
    }
    for (size_t k = 0; k < N; k++) {
        if (!isfinite(lambda[k])) {
            lin_free(ws);
            return sym_error(err, SYM_EINVAL, "lin_alloc: lambda[%zu] is not finite", k);
        }
        ws->grow[k] = lambda[k] > 1 + LIN_GROW_TOL;
        ws->ngrow += ws->grow[k];
    }
    *out = ws;
    return SYM_OK;
}

size_t lin_ngrow(const lin *ws)
{
    return ws->ngrow;
}

int lin_corr(lin *ws, const int8_t *v, size_t B, double *C, char *err)
{
    size_t N = ws->N, W = (B + 63) / 64;
    if (B < 1)
        return sym_error(err, SYM_EINVAL, "lin_corr: B = 0");
    if (W > ws->words) {
        uint64_t *nb = realloc(ws->bits, N * W * sizeof *nb);
        if (!nb)
            return sym_error(err, SYM_ENOMEM, "lin_corr: out of memory (B = %zu)", B);
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
                return sym_error(err, SYM_EINVAL, "lin_corr: v[%zu][%zu] = %d is not +-1", b,
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

int lin_overlap(lin *ws, const int8_t *v, size_t B, double *ov, double *top, double *u,
                char *err)
{
    int st = lin_corr(ws, v, B, ws->C->data, err);
    if (st)
        return sym_context(err, st, "lin_overlap");
    return lin_overlap_of(ws, NULL, ov, top, u, err);
}

int lin_overlap_of(lin *ws, const double *C, double *ov, double *top, double *u, char *err)
{
    size_t N = ws->N;
    if (ws->C->tda != N)
        return sym_error(err, SYM_EINVAL, "lin_overlap: unexpected matrix layout");
    /* the eigensolver overwrites its matrix: work on a copy of the caller's */
    if (C)
        memcpy(ws->C->data, C, N * N * sizeof *C);
    if (gsl_eigen_symmv(ws->C, ws->eval, ws->evec, ws->eig))
        return sym_error(err, SYM_ENUM, "lin_overlap: eigensolver failed (N = %zu)", N);
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
