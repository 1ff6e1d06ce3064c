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

/* m[i] = <v_i h>, mv[i] = <v_i> (either may be NULL), g may be NULL (= 0).
 * Fills st (may be NULL).  Returns SYM_OK or SYM_ENUM with a message. */
int marg_eval(marg_ws *ws, const unit_params *u, const double *w, const double *g,
              double *m, double *mv, marg_stats *st, char *err);

/* The quadrature of the last marg_eval: nodes h[n] and normalised weights
 * p[n] (sum p = 1) such that <f(h)> ≈ sum_n p[n] f(h[n]). */
void marg_nodes(const marg_ws *ws, const double **h, const double **p, size_t *n);

#endif
