/* lin: C^ and its top eigenvector's growing-mode overlap (sim/lin.h). */
#include "sim/lin.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_sort_vector.h>
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
    gsl_matrix *C, *A;    /* C^ and the solver's copy */
    gsl_vector *eval, *x, *y;
    gsl_eigen_symm_workspace *eig;
    int full;             /* 1: dense eigenvectors (lin_potts_set_full) */
    double *cs, *sn;      /* cos, sin of 2 pi m / (N P), m < N P */
};

void lin_potts_free(lin_potts *ws)
{
    if (!ws)
        return;
    free(ws->cls);
    if (ws->C)
        gsl_matrix_free(ws->C);
    if (ws->A)
        gsl_matrix_free(ws->A);
    if (ws->eval)
        gsl_vector_free(ws->eval);
    if (ws->x)
        gsl_vector_free(ws->x);
    if (ws->y)
        gsl_vector_free(ws->y);
    if (ws->eig)
        gsl_eigen_symm_free(ws->eig);
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
    ws->A = gsl_matrix_alloc(NP, NP);
    ws->eval = gsl_vector_alloc(NP);
    ws->x = gsl_vector_alloc(NP);
    ws->y = gsl_vector_alloc(NP);
    ws->eig = gsl_eigen_symm_alloc(NP);
    ws->cs = malloc(NP * sizeof *ws->cs);
    ws->sn = malloc(NP * sizeof *ws->sn);
    if (!ws->cls || !ws->C || !ws->A || !ws->eval || !ws->x || !ws->y || !ws->eig || !ws->cs ||
        !ws->sn) {
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

void lin_potts_set_full(lin_potts *ws, int full)
{
    ws->full = full;
}

/* The top eigenpair of ws->C into *top and ws->x.  The dense solver with
 * eigenvectors (gsl_eigen_symmv) costs ~5 s at N P = 1000 on this machine;
 * only one vector is needed, so: all eigenvalues without vectors
 * (gsl_eigen_symm, ~1 s), then inverse iteration with the Cholesky factor of
 * sigma I - C^, sigma = l1 + delta just above the top eigenvalue l1, which
 * converges by delta / (delta + l1 - l2) per step.  delta is 1e-3 of the gap
 * but at least LIN_SHIFT_REL l1 (so that the factor exists in doubles);
 * a (numerically) degenerate top pair converges to a vector of the pair's
 * space, which is all the projections need.  Falls back to symmv. */
#define LIN_SHIFT_REL 1e-10
#define LIN_INVIT_TOL 1e-13
#define LIN_INVIT_MAX 50
static int top_pair(lin_potts *ws, double *top, char *err)
{
    size_t NP = ws->N * ws->P;
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int st = SYM_OK, ok = 0;
    if (!ws->full) {
        gsl_matrix_memcpy(ws->A, ws->C);
        if (gsl_eigen_symm(ws->A, ws->eval, ws->eig) == GSL_SUCCESS) {
            gsl_sort_vector(ws->eval);
            double l1 = gsl_vector_get(ws->eval, NP - 1), l2 = gsl_vector_get(ws->eval, NP - 2);
            double delta = fmax(1e-3 * (l1 - l2), LIN_SHIFT_REL * fabs(l1));
            double sigma = l1 + delta;
            /* A = sigma I - C^ */
            for (size_t i = 0; i < NP; i++)
                for (size_t j = 0; j < NP; j++)
                    gsl_matrix_set(ws->A, i, j, (i == j ? sigma : 0.0) - gsl_matrix_get(ws->C, i, j));
            if (gsl_linalg_cholesky_decomp1(ws->A) == GSL_SUCCESS) {
                /* start from a fixed vector with every component nonzero */
                for (size_t i = 0; i < NP; i++)
                    gsl_vector_set(ws->x, i, 1.0 + 0.5 * sin(1.0 + (double)i));
                double prev = 0;
                for (int it = 0; it < LIN_INVIT_MAX; it++) {
                    double nx = gsl_blas_dnrm2(ws->x);
                    gsl_vector_scale(ws->x, 1.0 / nx);
                    gsl_linalg_cholesky_svx(ws->A, ws->x);
                    /* Rayleigh quotient of the iterate */
                    double n2 = gsl_blas_dnrm2(ws->x);
                    gsl_vector_scale(ws->x, 1.0 / n2);
                    gsl_blas_dsymv(CblasUpper, 1.0, ws->C, ws->x, 0.0, ws->y);
                    double rq;
                    gsl_blas_ddot(ws->x, ws->y, &rq);
                    /* the Rayleigh quotient converges as the square of
                     * the vector: a few steps past its stagnation */
                    if (it >= 3 && fabs(rq - prev) <= LIN_INVIT_TOL * fabs(rq)) {
                        ok = 1;
                        *top = rq;
                        break;
                    }
                    prev = rq;
                }
            }
        }
    }
    if (!ok) {
        gsl_matrix *evec = gsl_matrix_alloc(NP, NP);
        gsl_eigen_symmv_workspace *ev = gsl_eigen_symmv_alloc(NP);
        if (!evec || !ev)
            st = sym_error(err, SYM_ENOMEM, "out of memory (N P = %zu)", NP);
        else {
            gsl_matrix_memcpy(ws->A, ws->C);
            if (gsl_eigen_symmv(ws->A, ws->eval, evec, ev) != GSL_SUCCESS)
                st = sym_error(err, SYM_ENUM, "eigensolver failed (N P = %zu)", NP);
            else {
                size_t kmax = gsl_vector_max_index(ws->eval);
                *top = gsl_vector_get(ws->eval, kmax);
                gsl_matrix_get_col(ws->x, evec, kmax);
            }
        }
        if (evec)
            gsl_matrix_free(evec);
        if (ev)
            gsl_eigen_symmv_free(ev);
    }
    gsl_set_error_handler(old);
    return st;
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
    double top = NAN;
    if ((st = top_pair(ws, &top, err)))
        return sym_context(err, st, "lin_potts_top");
    const double *ev = ws->x->data;
    double norm2 = 0;
    for (size_t r = 0; r < NP; r++)
        norm2 += ev[r] * ev[r];
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
                    double x = ev[j * P + c];
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
    out->top = top;
    out->top_norm = top * (double)P * (double)P / ((double)P - 1);
    out->ov_ang = ang;
    out->ov_spat = spat;
    out->ov_grow = grow;
    if (u)
        for (size_t r = 0; r < NP; r++)
            u[r] = ev[r] / sqrt(norm2);
    return SYM_OK;
}
