/* models: the data-model types behind core/ring.h (SPEC.md 2), one file
 * each (core/model_NAME.c defines `const ring_type ring_NAME`), and what
 * they share.  RING_TYPES is the table: a new model is its file plus one
 * entry here, which core/ring.c turns into ring_types[] and the option
 * choices.  Also the model-specific hooks the tests use.
 */
#ifndef SYM_MODELS_H
#define SYM_MODELS_H

#include "core/ring.h"

/* The models, in --help order (the first is the default). */
#define RING_TYPES(X) X(ising) X(bump) X(ising2) X(xy)

#define RING_DECLARE_TYPE(name) extern const ring_type ring_##name;
RING_TYPES(RING_DECLARE_TYPE)
#undef RING_DECLARE_TYPE

/* ---- shared by the models ---- */

/* The ising coupling's check, for every model with the key beta:
 * beta >= 0 and finite. */
int ring_check_beta(double v, size_t N, char *err);

/* m->lambda from m->C for models without a closed-form spectrum: the real
 * part of FFTW's r2c transform (C(r) = C(N-r) makes the spectrum real and
 * even), with an FFTW_ESTIMATE plan made here (not thread-safe, as
 * ring_alloc).  SYM_ENOMEM when the plan or its buffers cannot be made. */
int ring_lambda_from_C(ring_model *m, char *err);

/* ---- hooks for the tests ---- */

/* The ising sampler's conditionals: p[2*i + 0] = P(v_i = v_{i-1} |
 * v_{i-1} v_0 = +1) and p[2*i + 1] = P(v_i = v_{i-1} | v_{i-1} v_0 = -1)
 * for i = 1..N-1 (p[0], p[1] are NAN).  p holds 2N doubles.  SYM_EINVAL
 * for another model. */
int ring_ising_conditionals(const ring_model *m, double *p, char *err);

/* The ising2 sampler's conditionals, in the frame v_0 = +1 (the sampler
 * multiplies by v_0): p[0] = P(v_1 = +1 | v_0 = +1), p[1..7] unused (NAN),
 * and for i = 1..N-2
 *     p[8*i + 4*d + 2*a + b] = P(v_{i+1} = v_i | v_{i-1}, v_i, v_1)
 * with d = (v_1 == -1), a = (v_{i-1} == -1), b = (v_i == -1); entries of
 * rows i = 0 and N-1 are NAN.  p holds 8N doubles.  SYM_EINVAL for another
 * model. */
int ring_ising2_conditionals(const ring_model *m, double *p, char *err);

/* The xy sampler's conditionals: p[c] = P(v_i - v_0 = c | v_{i-1} - v_0 =
 * a) (mod P), i = 1..N-1, a < P; p holds P doubles.  SYM_EINVAL for
 * another model or i, a out of range. */
int ring_xy_conditional(const ring_model *m, size_t i, size_t a, double *p, char *err);

/* bump: the block length L = round(rho N); 0 for another model. */
size_t ring_bump_L(const ring_model *m);

#endif
