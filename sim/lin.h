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

#endif
