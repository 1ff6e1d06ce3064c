/* lin: the linear-regime analysis of one data set (SPEC.md 7 (c)): the
 * exact empirical correlation C^ of a training set and its top eigenvector's
 * squared overlap with the growing modes {k : lambda_k > 1} of the
 * population spectrum - the quantity theory/rmt.h predicts.  It lives next
 * to the trainer because it reads the same samples and the same C^ that a
 * gaussian hidden unit's full-batch data term uses (sim/train.h).
 */
#ifndef SYM_LIN_H
#define SYM_LIN_H

#include <stddef.h>
#include <stdint.h>


typedef struct lin lin;

/* Workspace for configurations of N spins; lambda[0..N-1] is the population
 * spectrum that defines the growing modes (lambda_k > 1 + LIN_GROW_TOL, the
 * same rule as theory/rmt.c).  Holds the eigen-solver and FFT plan. */
#define LIN_GROW_TOL 1e-9
int lin_alloc(lin **out, size_t N, const double *lambda, char *err);
void lin_free(lin *ws);

/* Number of growing modes. */
size_t lin_ngrow(const lin *ws);

/* The empirical correlation C^_ij = (1/B) sum_b v_bi v_bj of v[b*N + i]
 * (exact: counted as integers through bit-packed columns) into C[N*N]. */
int lin_corr(lin *ws, const int8_t *v, size_t B, double *C, char *err);

/* Top eigenvector u of C^ (GSL symmetric eigensolver): ov = sum over growing
 * k of |u^_k|^2 / (N |u|^2) (the squared overlap with the growing-mode
 * subspace), top = its eigenvalue.  u (may be NULL) gets the unit vector. */
int lin_overlap(lin *ws, const int8_t *v, size_t B, double *ov, double *top, double *u,
                char *err);

/* The same from a C^ already formed by lin_corr (N x N, not modified; NULL:
 * the one lin_corr left in the workspace), so that a task forms C^ once for
 * both this analysis and the trainer (sim/train.h train_config.chat). */
int lin_overlap_of(lin *ws, const double *C, double *ov, double *top, double *u, char *err);

/* ---- Potts samples (SPEC.md 7 and 9: the xy data) ----
 *
 * The empirical one-hot correlation, centred by the exact mean 1/P (the
 * rotation symmetry of the xy data; the +-1 C^ above is not centred either,
 * <v_i> = 0 there): with x_{ic} = [v_i = c],
 *     C^_{(i,a),(j,b)} = (1/B) sum_b (x_{ia} - 1/P)(x_{jb} - 1/P),
 * an N P x N P matrix, row (i, a) at i P + a.  Every row sums to zero over
 * the colours of each site, so C^ lives exactly on the zero-sum gauge
 * (dimension N (P - 1)) and needs no further projection.  Counted exactly
 * as integers (pair counts of states), O(B N^2 / 2). */
int lin_potts_corr(const int8_t *v, size_t N, size_t P, size_t B, double *C, char *err);

typedef struct lin_potts lin_potts;

/* Workspace for N sites of P states; lambda[k P + p] is the population
 * spectrum (ring_potts_spectrum) that defines the mode classes, as in
 * theory/rmt.h rmt_xy: angular {k = 0, p = +-1}; spatial: growing
 * (P lambda_{k,p} > 1 + LIN_GROW_TOL) with k != 0 and p = +-1; growing. */
int lin_potts_alloc(lin_potts **out, size_t N, size_t P, const double *lambda, char *err);
void lin_potts_free(lin_potts *ws);

typedef struct {
    double top;        /* top eigenvalue of C^ (raw)                          */
    double top_norm;   /* / ((1/P)(1 - 1/P)), the paper's normalisation        */
    double ov_ang, ov_spat, ov_grow;   /* squared projections of the unit top
                                        * eigenvector on the three mode sets */
} lin_potts_result;

/* C^ of v[b N + i] (states 0..P-1; SYM_EINVAL otherwise), its top eigenpair
 * (GSL eigenvalues, then inverse iteration for the one eigenvector: 5x
 * faster than dense eigenvectors at N P = 1000; lin_potts_set_full) and the eigenvector's
 * projections (2-D DFT over sites and colours).  u (may be NULL) gets the
 * unit eigenvector (N P). */
/* full = 1: the dense solver with every eigenvector (gsl_eigen_symmv) instead,
 * the reference the tests compare the fast path with. */
void lin_potts_set_full(lin_potts *ws, int full);

int lin_potts_top(lin_potts *ws, const int8_t *v, size_t B, lin_potts_result *out, double *u,
                  char *err);

#endif
