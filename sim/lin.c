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

/* ---- Potts samples ---- */

int lin_potts_corr(const int8_t *v, size_t N, size_t P, size_t B, double *C, char *err)
{
    if (B < 1 || N < 1 || P < 2)
        return sym_error(err, SYM_EINVAL, "lin_potts_corr: B = %zu, N = %zu, P = %zu: need B, "
                         "N >= 1 and P >= 2", B, N, P);
    if (B > UINT32_MAX)
        return sym_error(err, SYM_EINVAL, "lin_potts_corr: B = %zu: counts need B < 2^32", B);
    size_t NP = N * P, PP = P * P;
    /* cnt[(i N + j) P^2 + a P + b] = #{b : v_bi = a, v_bj = b}, i < j;
     * n[i P + a] = #{b : v_bi = a} */
    uint32_t *cnt = calloc(N * N * PP, sizeof *cnt), *n = calloc(NP, sizeof *n);
    if (!cnt || !n) {
        free(cnt);
        free(n);
        return sym_error(err, SYM_ENOMEM, "lin_potts_corr: out of memory (N = %zu, P = %zu)", N,
                         P);
    }
    for (size_t b = 0; b < B; b++) {
        const int8_t *row = v + b * N;
        for (size_t i = 0; i < N; i++)
            if (row[i] < 0 || (size_t)row[i] >= P) {
                free(cnt);
                free(n);
                return sym_error(err, SYM_EINVAL, "lin_potts_corr: v[%zu][%zu] = %d is not a "
                                 "state 0..%zu", b, i, (int)row[i], P - 1);
            }
        for (size_t i = 0; i < N; i++) {
            size_t a = (size_t)row[i];
            n[i * P + a]++;
            uint32_t *ci = cnt + (i * N) * PP + a * P;
            for (size_t j = i + 1; j < N; j++)
                ci[j * PP + (size_t)row[j]]++;
        }
    }
    double dB = (double)B, iP = 1.0 / (double)P, iP2 = iP * iP;
    for (size_t i = 0; i < N; i++)
        for (size_t j = i; j < N; j++)
            for (size_t a = 0; a < P; a++)
                for (size_t c = 0; c < P; c++) {
                    double nij = i == j ? (a == c ? (double)n[i * P + a] : 0.0)
                                        : (double)cnt[(i * N + j) * PP + a * P + c];
                    double x = nij / dB - iP * ((double)n[i * P + a] + (double)n[j * P + c]) / dB +
                               iP2;
                    C[(i * P + a) * NP + j * P + c] = C[(j * P + c) * NP + i * P + a] = x;
                }
    free(cnt);
    free(n);
    return SYM_OK;
}

enum { LIN_ANG = 1, LIN_SPAT = 2, LIN_GROW = 4 };

struct lin_potts {
    size_t N, P;
    unsigned char *cls;   /* N P: mode (k, p) at k P + p */
    gsl_matrix *C, *evec;
    gsl_vector *eval;
    gsl_eigen_symmv_workspace *eig;
    double *cs, *sn;      /* cos, sin of 2 pi m / (N P), m < N P */
};

void lin_potts_free(lin_potts *ws)
{
    if (!ws)
        return;
    free(ws->cls);
    if (ws->C)
        gsl_matrix_free(ws->C);
    if (ws->evec)
        gsl_matrix_free(ws->evec);
    if (ws->eval)
        gsl_vector_free(ws->eval);
    if (ws->eig)
        gsl_eigen_symmv_free(ws->eig);
    free(ws->cs);
    free(ws->sn);
    free(ws);
}

int lin_potts_alloc(lin_potts **out, size_t N, size_t P, const double *lambda, char *err)
{
    *out = NULL;
    if (N < 1 || P < 2 || N > 100000 / P)
        return sym_error(err, SYM_EINVAL, "lin_potts_alloc: N = %zu, P = %zu: need N >= 1, "
                         "P >= 2 and N P <= 1e5", N, P);
    size_t NP = N * P;
    lin_potts *ws = calloc(1, sizeof *ws);
    if (!ws)
        return sym_error(err, SYM_ENOMEM, "lin_potts_alloc: out of memory");
    ws->N = N;
    ws->P = P;
    ws->cls = calloc(NP, 1);
    ws->C = gsl_matrix_alloc(NP, NP);
    ws->evec = gsl_matrix_alloc(NP, NP);
    ws->eval = gsl_vector_alloc(NP);
    ws->eig = gsl_eigen_symmv_alloc(NP);
    ws->cs = malloc(NP * sizeof *ws->cs);
    ws->sn = malloc(NP * sizeof *ws->sn);
    if (!ws->cls || !ws->C || !ws->evec || !ws->eval || !ws->eig || !ws->cs || !ws->sn) {
        lin_potts_free(ws);
        return sym_error(err, SYM_ENOMEM, "lin_potts_alloc: out of memory (N P = %zu)", NP);
    }
    for (size_t m = 0; m < NP; m++) {
        ws->cs[m] = cos(2 * M_PI * (double)m / (double)NP);
        ws->sn[m] = sin(2 * M_PI * (double)m / (double)NP);
    }
    for (size_t k = 0; k < N; k++)
        for (size_t p = 1; p < P; p++) {
            double l = lambda[k * P + p];
            if (!isfinite(l)) {
                lin_potts_free(ws);
                return sym_error(err, SYM_EINVAL, "lin_potts_alloc: lambda[k = %zu, p = %zu] is "
                                 "not finite", k, p);
            }
            int cos1 = p == 1 || p == P - 1, grow = (double)P * l > 1 + LIN_GROW_TOL;
            unsigned char c = k == 0 && cos1 ? LIN_ANG : (grow && cos1 ? LIN_SPAT : 0);
            ws->cls[k * P + p] = (unsigned char)(c | (grow ? LIN_GROW : 0));
        }
    *out = ws;
    return SYM_OK;
}

int lin_potts_top(lin_potts *ws, const int8_t *v, size_t B, lin_potts_result *out, double *u,
                  char *err)
{
    size_t N = ws->N, P = ws->P, NP = N * P;
    if (ws->C->tda != NP)
        return sym_error(err, SYM_EINVAL, "lin_potts_top: unexpected matrix layout");
    int st = lin_potts_corr(v, N, P, B, ws->C->data, err);
    if (st)
        return sym_context(err, st, "lin_potts_top");
    if (gsl_eigen_symmv(ws->C, ws->eval, ws->evec, ws->eig))
        return sym_error(err, SYM_ENUM, "lin_potts_top: eigensolver failed (N P = %zu)", NP);
    size_t kmax = gsl_vector_max_index(ws->eval);
    double norm2 = 0;
    for (size_t r = 0; r < NP; r++) {
        double x = gsl_matrix_get(ws->evec, r, kmax);
        norm2 += x * x;
    }
    /* |u^_{k,p}|^2 / (N P) is the squared projection on the unit mode
     * e^{2 pi i (k j / N + p c / P)} / sqrt(N P); the phase
     * k j / N + p c / P = (k j P + p c N) / (N P) indexes the tables */
    double ang = 0, spat = 0, grow = 0;
    for (size_t k = 0; k < N; k++)
        for (size_t p = 0; p < P; p++) {
            unsigned char cl = ws->cls[k * P + p];
            if (!cl)
                continue;
            double re = 0, im = 0;
            for (size_t j = 0; j < N; j++)
                for (size_t c = 0; c < P; c++) {
                    size_t m = (k * j * P + p * c * N) % NP;
                    double x = gsl_matrix_get(ws->evec, j * P + c, kmax);
                    re += x * ws->cs[m];
                    im -= x * ws->sn[m];
                }
            double o = (re * re + im * im) / ((double)NP * norm2);
            if (cl & LIN_ANG)
                ang += o;
            if (cl & LIN_SPAT)
                spat += o;
            if (cl & LIN_GROW)
                grow += o;
        }
    double top = gsl_vector_get(ws->eval, kmax);
    out->top = top;
    out->top_norm = top * (double)P * (double)P / ((double)P - 1);
    out->ov_ang = ang;
    out->ov_spat = spat;
    out->ov_grow = grow;
    if (u)
        for (size_t r = 0; r < NP; r++)
            u[r] = gsl_matrix_get(ws->evec, r, kmax) / sqrt(norm2);
    return SYM_OK;
}
