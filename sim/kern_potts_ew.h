/* kern_potts_ew: the element-wise inner loops of the Potts trainer
 * (sim/potts.c, SPEC.md 9) - the v-mean accumulation, the branch-free
 * inverse-CDF draw, the hidden inputs and the data-term sums - vectorised
 * with `omp simd` and AVX-512/AVX2 clones.  Compiled apart (Makefile) with
 * -ffp-contract=off and without -ffast-math: every element sees the same
 * IEEE operations in the same order as the scalar loops they replace, so
 * the results are bit-identical to them (issue 10, "no silent change"). */
#ifndef SYM_KERN_POTTS_EW_H
#define SYM_KERN_POTTS_EW_H

#include <stddef.h>
#include <stdint.h>

/* y[q] += a x[q], q < n. */
void kern_potts_axpy(double a, const double *x, double *y, size_t n);

/* row[i] = #{q < P-1 : u[i] >= cdfT[q N + i]}, i < N: cdfT holds the
 * running sums of the site softmax transposed (state-major), so the count
 * is the first state whose running sum exceeds u (the last if none), the
 * draw of core/visible.h visible_potts_draw. */
void kern_potts_draw(const double *cdfT, const double *u, size_t N, size_t P, int8_t *row);

/* The transposed layout of the data term and the hidden inputs: S, a
 * multiple of KERN_POTTS_LANES, doubles per (site, state) slot, slot
 * i P + c holding w_{i mu}(c) at mu < M (zeros after). */
#define KERN_POTTS_LANES 8

/* I[r S + l] = bS[l] + wT[slot(0, rows[r][0]) S + l] + wT[slot(1, ...)] +
 * ..., added in site order, l < S, r < nr <= 4 (the inputs of
 * sim/potts.c's inputs(), for several rows at once). */
void kern_potts_inputs(const double *wT, const double *bS, size_t S, size_t N, size_t P,
                       const int8_t *const *rows, size_t nr, double *I);

/* dT[(i P + row[i]) S + l] += hr[l], l < S, i < N. */
void kern_potts_scatter(double *dT, size_t S, size_t N, size_t P, const int8_t *row,
                        const double *hr);

/* y[r n + k] += coef[j Rp + r] p[j][k], for j = 0, 1, .. nl-1 in turn,
 * r < R, k < n, Rp = R rounded up to a multiple of 4 (coef zero-padded):
 * R axpy sweeps per array p[j], fused.  y has Rp rows of n, the last Rp -
 * R scratch. */
void kern_potts_vmean(const double *const *p, const double *coef, size_t nl, size_t R,
                      size_t n, double *y);

#endif
