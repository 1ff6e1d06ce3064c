/* kern_potts: the vector inner loop of the Potts Gibbs step (sim/potts.c,
 * SPEC.md 9): the exponentials of a chain's N x P shifted visible fields in
 * one call.  Compiled apart with -ffast-math -fopenmp-simd (Makefile), as
 * core/kern.c, so that GCC calls glibc's vector exp (libmvec): ~4 ulp, the
 * accuracy a draw with 2^-32 uniforms needs many times over. */
#ifndef SYM_KERN_POTTS_H
#define SYM_KERN_POTTS_H

#include <stddef.h>

/* y[q] = exp(x[q]), q < n (x <= 0 in the caller: shifted by the site's
 * largest field, so no overflow). */
void kern_potts_exp(const double *x, double *y, size_t n);

#endif
