/* spin_exact: the exact model term and log-partition of an RBM with M binary
 * (+-1) hidden units, by the sum over the 2^M hidden configurations
 * (SPEC.md 3b; sim's `--model-term exact` and exact log-likelihood).
 *
 * Summing out the visible spins v in {-1,+1}^N,
 *   P(h) ∝ exp(-theta sum_mu h_mu) prod_i 2cosh(a_i(h)),
 *   a_i(h) = g_i + sum_mu w_{mu i} h_mu,
 *   <v_i h_mu> = sum_h P(h) h_mu tanh(a_i(h)),  <v_i> = sum_h P(h) tanh(a_i(h)),
 *   log Z = logsumexp_h [ -theta sum_mu h_mu + sum_i log 2cosh(a_i(h)) ]
 * (U(h) = +theta h per unit, core/unit.h's sign, one theta for all units).
 * Everything is in log-sum-exp form (no overflow at any weight norm).  The
 * configurations are visited depth first, one hidden unit per level, so a
 * field a(h) costs N additions from its parent's (not N M) and the sums over
 * h of <v_i h_mu> are formed on the way back up (N per node, not N M per
 * leaf).  With all visible fields g zero, h and -h share |a_i| and the sum
 * runs over 2^{M-1} configurations (the last unit fixed to +1).
 */
#ifndef SYM_SPIN_EXACT_H
#define SYM_SPIN_EXACT_H

#include <stddef.h>

/* Largest M: 2^16 configurations x N per evaluation (SPEC.md 3b). */
#define SPINX_MMAX 16

typedef struct spinx_ws spinx_ws;

/* Bytes of a workspace for N visible and M hidden units (the trainer's
 * memory budget), as two products: *rows x N doubles of field and sum
 * buffers and *confs doubles of configuration weights. */
void spinx_size(size_t N, size_t M, size_t *rows, size_t *confs);

/* Operations of one evaluation with the model averages (a cost estimate
 * for the trainer's work bound: two passes over 2^M configurations x N). */
double spinx_work(size_t N, size_t M);

/* Workspace for N >= 1 visible and 1 <= M <= SPINX_MMAX hidden units
 * (SYM_EINVAL otherwise; sizes checked against the machine's memory). */
int spinx_alloc(spinx_ws **out, size_t N, size_t M, char *err);
void spinx_free(spinx_ws *ws);

/* For weights w[mu*N + i], visible fields g (NULL: all 0) and hidden field
 * theta: *logZ (may be NULL), mw[mu*N + i] = <v_i h_mu> and mg[i] = <v_i>
 * (each may be NULL; with both NULL only the log-partition is formed, one
 * pass instead of two).  SYM_ENUM if log Z is not finite (non-finite
 * input). */
int spinx_eval(spinx_ws *ws, const double *w, const double *g, double theta, double *logZ,
               double *mw, double *mg, char *err);

#endif
