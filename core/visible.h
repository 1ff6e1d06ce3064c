/* visible: the kinds of visible unit (SPEC.md 1 and 9), as a table like
 * core/unit.h's hidden units: what a trainer or an integral needs of ONE
 * visible unit given its field.  spin (v in {-1,+1}) is the table's entry;
 * Potts (v in {0..P-1}, SPEC.md 9) has P as a parameter, which the
 * table's one-argument hooks cannot carry, so its softmax primitives are
 * the functions visible_potts_* below (sim/potts.h trains with them).
 *
 * A unit in state c adds x . e(c) to the exponent of P(v, h), where x is
 * its field (nfield numbers) and e(c) the state's encoding:
 *   spin   nfield = 1, e(c) = v = -1, +1 (c = 0, 1), x = g_i + sum_mu w_{i mu} h_mu;
 *   Potts  nfield = P, e(c) the one-hot vector, x_c = g_i(c) + sum_mu w_{i mu}(c) h_mu.
 * So the log-partition of one unit is log sum_c exp(x . e(c)) (spin:
 * log 2cosh x), its conditional mean E[e(v) | x] (spin: tanh x), and a
 * draw picks c with probability exp(x . e(c) - logpart(x)).
 */
#ifndef SYM_VISIBLE_H
#define SYM_VISIBLE_H

#include <stddef.h>

typedef struct visible_type {
    const char *name;
    size_t nstates;                            /* states c = 0..nstates-1       */
    size_t nfield;                             /* components of x and of e(c)   */
    const double *enc;                         /* e(c): nstates rows of nfield   */
    double (*logpart)(const double *x);        /* log sum_c exp(x . e(c))       */
    void (*mean)(const double *x, double *m);  /* m = E[e(v) | x], nfield values */
    /* the state drawn with one uniform u in [0, 1) (inversion, so a caller
     * holding a pool of uniforms spends one per unit) */
    size_t (*draw)(const double *x, double u);
} visible_type;

extern const visible_type visible_spin;

/* Every kind, NULL-terminated. */
extern const visible_type *const visible_types[];

/* The kind called s, or SYM_EINVAL "visible-unit kind 's': expected spin". */
int visible_type_parse(const char *s, const visible_type **t, char *err);

/* e(c), the nfield numbers of state c (spin: its value -1 or +1). */
static inline const double *visible_enc(const visible_type *t, size_t c)
{
    return t->enc + c * t->nfield;
}

/* ---- Potts (SPEC.md 9): one unit with P states, one-hot e(c), field x[0..P-1] ----
 * Direct calls (no function pointer), one per site in the trainer's loops. */

/* log sum_c exp(x_c), shifted by the largest x_c (no overflow). */
double visible_potts_logpart(const double *x, size_t P);

/* p[c] = exp(x_c - logpart) (the softmax, sums to 1); returns logpart. */
double visible_potts_prob(const double *x, size_t P, double *p);

/* The state c drawn by inversion of the probabilities p (sum 1) with one
 * uniform u in [0, 1): the first c with u < p_0 + ... + p_c (the last state
 * when rounding leaves the sum short of u). */
size_t visible_potts_draw(const double *p, size_t P, double u);

#endif
