/* kern: the vectorised inner loops of the hidden-unit integral (SPEC.md 3).
 *
 * Every right-hand side of the theory flow and every exact model term of the
 * trainer spends its time in sums over the N sites of log 2cosh(g_i + w_i h)
 * and tanh(g_i + w_i h).  These loops are compiled apart (core/kern.c) with
 * glibc's vector math (libmvec) and an AVX2 clone chosen at run time: three
 * times faster than scalar libm on this machine (bench/bench_theory.c).
 * g may be NULL (all fields zero).
 */
#ifndef SYM_KERN_H
#define SYM_KERN_H

#include <stddef.h>

/* sum_i log(2 cosh(g_i + w_i h)) */
double kern_logcosh_sum(const double *w, const double *g, size_t N, double h);

/* The same sum in its blocks of KERN_LOGCOSH_BLOCK sites: for block b
 * (sites [64 b, 64 b + 64) of these N), s[b] = sum |x_i| and l[b] =
 * log prod (1 + e^{-2|x_i|}).  kern_logcosh_sum is (sum_b s[b]) + (sum_b
 * l[b]), each summed in block order, bit for bit: a caller that splits the
 * sites at block boundaries over threads and adds the parts in that order
 * gets the one-thread number (core/marg with a team). */
#define KERN_LOGCOSH_BLOCK 64
void kern_logcosh_parts(const double *w, const double *g, size_t N, double h, double *s,
                        double *l);

/* s1 = sum_i w_i tanh(x_i), s2 = sum_i w_i^2 sech^2(x_i), x_i = g_i + w_i h */
void kern_tanh_sums(const double *w, const double *g, size_t N, double h, double *s1, double *s2);

/* For k = 0..n-1 nodes h[k] with coefficients c1[k], c0[k]:
 *   m[i]  += sum_k c1[k] tanh(g_i + w_i h[k])
 *   mv[i] += sum_k c0[k] tanh(g_i + w_i h[k])      (mv may be NULL)
 *   d[i]  += sum_k c2[k] sech^2(g_i + w_i h[k])    (d may be NULL)
 * after zeroing m, mv, d. */
void kern_node_sums(const double *w, const double *g, size_t N, const double *h,
                    const double *c1, const double *c0, const double *c2, size_t n,
                    double *m, double *mv, double *d);

/* T[k*N + i] = tanh(g_i + w_i h[k]) for k = 0..n-1 */
void kern_tanh_table(const double *w, const double *g, size_t N, const double *h, size_t n,
                     double *T);

/* out = diag(d) v - m (m.v) + sum_k p_k A_k (A_k . v), A is n x N row-major;
 * Av (length n) is scratch.  The Jacobian-vector product of core/marg. */
void kern_jac_apply(const double *A, const double *p, const double *d, const double *m,
                    size_t n, size_t N, const double *v, double *out, double *Av);

#endif
