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

/* ---- xy data: Potts visible units (SPEC.md 7 and 9) ----
 *
 * The centred one-hot data x_{ic} - 1/P live in the N (P - 1) dimensions of
 * the zero-sum gauge (sum_c = 0 per site); C^ there has the population
 * spectrum lambda_{k,p}, p = 1..P-1 (ring_potts_spectrum; p = 0 is the gauge
 * direction, eigenvalue 0, left out).  In units of l = P lambda the null
 * covariance of one site, (1/P)(I - J/P), is the identity on that space, so
 * the +-1 machinery above applies unchanged to the N (P - 1) values l with
 * c = N (P - 1) / B: growing modes are l > 1 (lambda > 1/P), the null noise
 * edge is (1 + sqrt c)^2 in l units, i.e. (P/(P-1)) (1 + sqrt c)^2 in the
 * paper's normalisation by the one-hot variance (1/P)(1 - 1/P) -- a product
 * (the paper's eq. 31 misprints it as a sum).  What is predicted:
 *  - Bc_bbp   = N (P-1) / (P lambda_max - 1)^2: BBP spike detectability of
 *               the top pair (k = 0, p = +-1) against the null bulk;
 *  - Bc_paper = N (P-1) / (sqrt(P lambda_max) - 1)^2: the paper's eq. 27 /
 *               30-31 criterion, Lambda_XY = (P/(P-1)) (1 + sqrt c)^2 with
 *               the product edge (r = N / Bc_paper is where the top
 *               population eigenvalue meets the noise edge);
 *  - ov_ang   = the expected squared projection of the top sample
 *               eigenvector on the angular space {k = 0, p = +-1}
 *               (Silverstein + Ledoit-Peche, or the spike residue when the
 *               top pair is an outlier: rmt_top_eval on the full block
 *               spectrum with its multiplicities); Bc_ang where it first
 *               crosses half-way between its B -> 0 level ang0 = sum_ang l / n
 *               and 1;
 *  - ov_spat  = the same on the growing modes with k != 0 and p = +-1, the
 *               modes a localised cosine field is built from.  It does not
 *               tend to 1: it rises from its B -> 0 level spat0 while the
 *               top eigenvector leaves the noise for the growing modes, peaks
 *               (spat_max at B_spat_max), and falls to 0 once the top
 *               eigenvector settles on k = 0.  Bc_spat is where it first
 *               crosses half-way between spat0 and spat_max on the way up:
 *               the sample size from which the k != 0 cosine modes are
 *               resolved above the noise in the top eigenvector.
 *               Bc_spat_fall is where it falls below spat_max / 2 past the
 *               peak: from there on the top eigenvector has separated the
 *               k = 0 mode from its k != 0 neighbours (a 1.4% gap in l at
 *               P = 10, beta = 1.5, N = 100), so it is the sample size at
 *               which the data resolve the spatial modes individually.
 *  - the top sample eigenvalue (raw and normalised) and the full-spectrum
 *               right edge of the support, normalised.
 * The top pair is treated as a spike (residues) only where that is
 * self-consistent -- where the residues leave more of the top eigenvector on
 * the pair than on any single other group; otherwise (its k = +-1 neighbours
 * are 1.4% below it at P = 10, beta = 1.5, N = 100) Ledoit-Peche at the
 * edge's classical location.  The finite-B splitting of the degenerate top
 * pair (rmt_set_m4) is off. */
typedef struct rmt_xy rmt_xy;

/* lambda[k P + p], k < N, p < P (ring_potts_spectrum).  SYM_EINVAL for
 * N < 1, P < 2, a non-finite or negative eigenvalue. */
int rmt_xy_alloc(rmt_xy **out, const double *lambda, size_t N, size_t P, char *err);
void rmt_xy_free(rmt_xy *x);

typedef struct {
    double B, c;          /* sample size, c = N (P - 1) / B                   */
    int spiked;           /* the top pair is a separated outlier              */
    double x_top;         /* predicted top eigenvalue of C^ (raw units)        */
    double x_top_norm;    /* the same / ((1/P)(1 - 1/P))                       */
    double edge_norm;     /* null noise edge (P/(P-1)) (1 + sqrt c)^2          */
    double x_edge_norm;   /* right edge of the full-spectrum support, normalised */
    double ov_ang, ov_spat, ov_grow;   /* squared projections (see above)     */
} rmt_xy_top;

/* The prediction at sample size B (> 0). */
int rmt_xy_eval(const rmt_xy *x, double B, rmt_xy_top *out, char *err);

typedef struct {
    double lambda_max, Lambda;    /* raw top population eigenvalue; normalised (Lambda_XY) */
    double Bc_bbp, Bc_paper;      /* INFINITY when P lambda_max <= 1           */
    double Bc_ang, Bc_spat;       /* NAN when the curve never crosses          */
    double Bc_spat_fall;          /* where ov_spat, past its peak, falls below
                                   * half of spat_max (its B -> infinity level
                                   * is 0): the k != 0 modes have left the top
                                   * eigenvector, which is resolved onto k = 0 */
    double ang0, spat0;           /* B -> 0 levels                             */
    double spat_max, B_spat_max;  /* the peak of ov_spat on the grid           */
    size_t n_ang, n_spat, n_grow; /* mode counts                               */
} rmt_xy_pred;

/* The thresholds, from a log grid of B from 0.1 to 1e12 (ratio 2^(1/8)),
 * interpolated linearly in log B. */
int rmt_xy_predict(const rmt_xy *x, rmt_xy_pred *out, char *err);

#endif
