/* marg: the one-dimensional hidden-unit integral of SPEC.md section 3.
 *
 * For one hidden unit with weights w_i and visible fields g_i,
 *     p(h) ∝ exp(phi(h)),  phi(h) = -U(h) + sum_i log 2cosh(g_i + w_i h),
 * over the unit's support, gives the exact model averages of an RBM with
 * M = 1 for any N:  <v_i h> = ∫ p(h) h tanh(g_i + w_i h),
 * <v_i> = ∫ p(h) tanh(g_i + w_i h),  and
 * log Z = log sum_v exp(g.v + Gamma(I(v))) = log ∫ dh exp(phi(h)).
 * The peaks of phi are found by Newton's method, each is integrated on
 * Gauss-Legendre panels out to where phi has fallen by MARG_DROP, and every
 * sum is formed relative to max phi (log-sum-exp), so nothing overflows at
 * N = 10^6.  Spin hidden units (h = +-1) are a two-term sum.
 */
#ifndef SYM_MARG_H
#define SYM_MARG_H

#include <stddef.h>
#include "core/unit.h"

typedef struct marg_ws marg_ws;

typedef struct {
    double logZ;      /* log sum_v exp(g.v + Gamma(I(v)))                  */
    double h1, h2;    /* <h>, <h^2> under p(h)                            */
    size_t peaks;     /* local maxima of phi found                        */
    size_t nodes;     /* quadrature nodes used                            */
} marg_stats;

/* Workspace for N visible units; NULL when out of memory. */
marg_ws *marg_alloc(size_t N);
void marg_free(marg_ws *ws);

/* Split the site loops of marg_eval (the log-density at every node and
 * the node sums) over a team of threads (core/team.h; not owned, NULL: one
 * thread) from N = 4096 on, with the one-thread bits: the sites are cut at
 * the log-product's blocks and the block sums added in order.  SYM_ENOMEM
 * if the block buffers cannot be had. */
struct team;
int marg_set_team(marg_ws *ws, struct team *tm);

/* m[i] = <v_i h>, mv[i] = <v_i> (either may be NULL), g may be NULL (= 0).
 * Fills st (may be NULL).  Returns SYM_OK or SYM_ENUM with a message. */
int marg_eval(marg_ws *ws, const unit_params *u, const double *w, const double *g,
              double *m, double *mv, marg_stats *st, char *err);

/* The quadrature of the last marg_eval: nodes h[n] and normalised weights
 * p[n] (sum p = 1) such that <f(h)> ≈ sum_n p[n] f(h[n]). */
void marg_nodes(marg_ws *ws, const double **h, const double **p, size_t *n);

/* The Jacobian J_ij = d<v_i h>/dw_j (fields held fixed) at the point of the
 * last marg_eval, which must have computed m:
 *   J = diag(d) + sum_n p_n a_n a_n^T - m m^T,
 *   d_i = <h^2 sech^2(x_i)>,  a_ni = h_n tanh(x_i(h_n)),  x_i = g_i + w_i h.
 * marg_jac_prepare tabulates a (N x nodes doubles; SYM_ENOMEM if more than
 * MARG_JAC_MAX_DOUBLES), marg_jac_apply forms out = J v in O(N nodes) with
 * no transcendental functions, and marg_jac_diag_mean returns mean_i d_i. */
#define MARG_JAC_MAX_DOUBLES 50000000
int marg_jac_prepare(marg_ws *ws, const double *w, const double *g, const double *m, char *err);
void marg_jac_apply(marg_ws *ws, const double *v, double *out);
double marg_jac_diag_mean(const marg_ws *ws);

/* The warm start (the last interior peak of each piece) that the next
 * marg_eval begins its peak search from, so that its last bits depend on
 * the previous call: MARG_WARM_DOUBLES doubles out and back, for a
 * checkpointed run to continue bit for bit (sim/ckpt.h). */
#define MARG_WARM_DOUBLES (2 * UNIT_MAX_PIECES)
void marg_warm_get(const marg_ws *ws, double *x);
void marg_warm_set(marg_ws *ws, const double *x);

#endif
