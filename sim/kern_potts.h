/* kern_potts: the vector inner loops of the Potts Gibbs step (sim/potts.c,
 * SPEC.md 9) that need an exponential: the softmax of a chain's N x P
 * visible field and the tanh estimate of the binary hidden draw.
 *
 * The exponential was glibc's vector exp (libmvec, -ffast-math), whose
 * 2-wide SSE4 entry GCC calls at baseline x86-64; libmvec's AVX2 and
 * AVX-512 entries are other algorithms (about 1e-4 of results differ in
 * the last bit).  Here the 2-wide entry's algorithm (glibc 2.36) is written
 * out operation by operation (a 1024-entry table of 2^(j/1024) and a
 * cubic, < 3 ulp), so every lane of the AVX-512/AVX2 clones gives its
 * bits: the trainer's numbers on x86-64 are unchanged and the
 * exponentials ~4x faster (issue 10 speed); other architectures, whose
 * libmvec differs, now run the same operations.  Compiled apart with
 * -ffp-contract=off (Makefile), no -ffast-math. */
#ifndef SYM_KERN_POTTS_H
#define SYM_KERN_POTTS_H

#include <stddef.h>

/* y[q] = exp(x[q]), q < n (x <= 0 in the caller: shifted by the site's
 * largest field, so no overflow). */
void kern_potts_exp(const double *x, double *y, size_t n);

/* The softmax of one chain's visible field f = g + h_0 w_0 + h_1 w_1 + ...
 * (added in that order; w the M state-major blocks of N P), state-major
 * (element q N + i the state q of site i): f (2 N P scratch) shifted by each
 * site's largest field, p = exp(f) / z (z the site's sum, added in state
 * order, applied as the product with 1 / z) and cdf its running sums in
 * state order (the draw of core/visible.h visible_potts_draw, for
 * kern_potts_draw).  Each element sees the operations of the site-by-site
 * loops they replace, in their order. */
void kern_potts_softmax(const double *g, const double *w, const double *h, size_t M, size_t N,
                        size_t P, double *f, double *p, double *cdf);

/* t[k] = tanh(I[k] - theta) to within 3e-15 (sc: n doubles of scratch),
 * from y = |I - theta|: 1 - 2 / (exp(2 y) + 1), signed.  Bound: the exp
 * above is within 1.5e-15 relative (the cubic's truncation r^4 / 24 <
 * 6e-16 at |r| <= ln 2 / 2048 and a rounding per operation; measured
 * below 3 ulp), the sum, quotient and difference round once each, and
 * 2 / (exp + 1) <= 1; an overflowing exp gives +-1 exactly. */
void kern_potts_tanh_est(const double *I, double theta, size_t n, double *t, double *sc);

#endif
