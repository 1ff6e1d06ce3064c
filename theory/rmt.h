/* rmt: random-matrix critical sample sizes (SPEC.md section 7, (a) and (b)).
 *
 * For a population spectrum {lambda_k} (the N eigenvalues of C, mean 1) and B
 * samples, c = N/B, the sample correlation C^ = (1/B) sum_b v_b v_b^T has in
 * the large-N limit the spectral density given by Silverstein's equation for
 * the companion Stieltjes transform m_(z) (that of the B x B matrix):
 *     z = -1/m_ + (c/N) sum_k lambda_k / (1 + lambda_k m_)
 * solved here with the finite-N population measure (1/N) sum_k delta(lambda_k)
 * as the deterministic equivalent.  The top sample eigenvector is either an
 * outlier (the top population eigenvalue is a spike separated from the rest:
 * psi'(l) > 0, Baik-Ben Arous-Peche generalised) or sits at the right edge of
 * the support; its expected squared overlaps with population eigenvectors
 * follow from the Ledoit-Peche formula (edge) or the spike residue (outlier).
 */
#ifndef SYM_RMT_H
#define SYM_RMT_H

#include <stddef.h>

/* Two population eigenvalues closer than RMT_DEGEN_TOL * max(1, lambda_max)
 * are one degenerate group (k and N-k are equal up to FFT rounding, ~1e-13). */
#define RMT_DEGEN_TOL 1e-9

typedef struct rmt_ws rmt_ws;

/* The prediction for the top eigenvector of C^ at one sample size B. */
typedef struct {
    double B, c;          /* sample size and c = N/B                          */
    int spiked;           /* 1: top population group is a separated outlier   */
    size_t mult;          /* multiplicity of the top population eigenvalue    */
    double lambda_max;    /* top population eigenvalue l                      */
    double x_top;         /* predicted top sample eigenvalue                  */
    double x_edge;        /* right edge of the support (full spectrum)        */
    double psi, dpsi;     /* psi(l), psi'(l) against the rest of the spectrum */
    double delta;         /* finite-B shift of a degenerate pair: l -> l (1 + delta) */
    double ov_top;        /* squared overlap with the top population eigenspace */
    double ov_grow;       /* squared overlap with the growing modes lambda_k > 1 */
    double ov_grow_edge;  /* the edge formula's ov_grow, whichever case holds   */
} rmt_top;

/* Group the spectrum lambda[0..N-1] (any order; every value >= 0 up to
 * RMT_DEGEN_TOL) into distinct values with multiplicities.  SYM_EINVAL for
 * N < 1, a non-finite or negative eigenvalue. */
int rmt_alloc(rmt_ws **out, const double *lambda, size_t N, char *err);
void rmt_free(rmt_ws *ws);

/* Finite-B correction for a doubly degenerate top spike (a ring's k, N-k
 * pair).  The B samples split the pair's two outliers by the fluctuation of
 * the 2x2 sample block l (1 + Delta); the top one sees the larger spike
 * l (1 + delta), E delta = (sqrt(pi)/2) sqrt(m4 / B) (phase uniform by
 * translation invariance, |Z| Rayleigh), with m4 = E|v^_k|^4 / (E|v^_k|^2)^2
 * of the mode's amplitude (1: fixed amplitude, 2: Gaussian).  m4 <= 0 or NaN
 * (the default) turns it off and gives the B -> infinity formulas.  A data
 * model's m4 is ring_m4(m) (core/ring.h; NAN for ising, whose top mode k = 0
 * is simple). */
int rmt_set_m4(rmt_ws *ws, double m4, char *err);

/* (a) BBP estimate N / (lambda_max - 1)^2; INFINITY when lambda_max <= 1. */
double rmt_bbp(const double *lambda, size_t N);

/* Number of growing modes {k : lambda_k > 1} and the B -> 0 value of the
 * growing-mode overlap, (1/N) sum_{lambda_k > 1} lambda_k (B -> infinity: 1). */
size_t rmt_growing(const rmt_ws *ws, double *ov_zero);

/* Companion Stieltjes transform m_(z) (Im z > 0) of the limiting spectrum of
 * C^ with B samples; mr + i mi.  Continuation in Im z plus complex Newton. */
int rmt_stieltjes(const rmt_ws *ws, double B, double zr, double zi,
                  double *mr, double *mi, char *err);

/* Limiting spectral density of C^ (N x N, continuous part) at real x > 0. */
int rmt_density(const rmt_ws *ws, double B, double x, double *rho, char *err);

/* Edges of the support's outermost interval: right edge always; left edge
 * of the lowest interval when c < 1 (else 0: the spectrum has an atom at 0). */
int rmt_edges(const rmt_ws *ws, double B, double *left, double *right, char *err);

/* The top sample eigenvalue and its eigenvector's overlaps at sample size B. */
int rmt_top_eval(const rmt_ws *ws, double B, rmt_top *out, char *err);

/* (b) The predicted B_c: where ov_grow(B) first crosses half-way between its
 * B -> 0 and B -> infinity values (root in log B).  SYM_EINVAL when no mode
 * grows (lambda_max <= 1). */
int rmt_bc(const rmt_ws *ws, double *Bc, char *err);

/* B_c of the top population eigenspace alone: where ov_top (rmt_top_eval)
 * crosses half-way between its B -> 0 value, mult lambda_max / N, and 1, on
 * a log grid of B from 1e-3 to 1e12 (ratio 2^(1/8)), interpolated in log B.
 * SYM_ENUM with *Bc = NAN when it never crosses. */
int rmt_bc_top(const rmt_ws *ws, size_t N, double *Bc, char *err);

#endif
