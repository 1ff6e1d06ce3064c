/* Compiled with -ffast-math -fopenmp-simd (see Makefile) so that GCC calls
 * libmvec's vector exp/log1p/tanh; nothing here relies on NaN or Inf
 * semantics (x = g + w h is finite: callers check w, g and h first).
 * target_clones adds an AVX2 version picked at load time. */
#include "core/kern.h"

#include <math.h>

#define KERN_CLONES __attribute__((target_clones("avx2", "default")))

KERN_CLONES
double kern_logcosh_sum(const double *w, const double *g, size_t N, double h)
{
    double s = 0.0;
    if (g) {
#pragma omp simd reduction(+ : s)
        for (size_t i = 0; i < N; i++) {
            double a = fabs(g[i] + w[i] * h);
            s += a + log1p(exp(-2.0 * a));
        }
    } else {
#pragma omp simd reduction(+ : s)
        for (size_t i = 0; i < N; i++) {
            double a = fabs(w[i] * h);
            s += a + log1p(exp(-2.0 * a));
        }
    }
    return s;
}

KERN_CLONES
void kern_tanh_sums(const double *w, const double *g, size_t N, double h, double *s1, double *s2)
{
    double a1 = 0.0, a2 = 0.0;
    if (g) {
#pragma omp simd reduction(+ : a1, a2)
        for (size_t i = 0; i < N; i++) {
            double t = tanh(g[i] + w[i] * h);
            a1 += w[i] * t;
            a2 += w[i] * w[i] * (1.0 - t * t);
        }
    } else {
#pragma omp simd reduction(+ : a1, a2)
        for (size_t i = 0; i < N; i++) {
            double t = tanh(w[i] * h);
            a1 += w[i] * t;
            a2 += w[i] * w[i] * (1.0 - t * t);
        }
    }
    *s1 = a1;
    *s2 = a2;
}

KERN_CLONES
void kern_node_sums(const double *w, const double *g, size_t N, const double *h,
                    const double *c1, const double *c0, const double *c2, size_t n,
                    double *m, double *mv, double *d)
{
    for (size_t i = 0; i < N; i++) {
        m[i] = 0.0;
        if (mv)
            mv[i] = 0.0;
        if (d)
            d[i] = 0.0;
    }
    /* node-outer, site-inner: the site loop vectorises and m, mv, d stay in
     * cache for the N of interest */
    for (size_t k = 0; k < n; k++) {
        double hk = h[k], a = c1[k];
        if (!mv && !d && !g) {
#pragma omp simd
            for (size_t i = 0; i < N; i++)
                m[i] += a * tanh(w[i] * hk);
            continue;
        }
        double b = c0 ? c0[k] : 0.0, c = c2 ? c2[k] : 0.0;
#pragma omp simd
        for (size_t i = 0; i < N; i++) {
            double t = tanh((g ? g[i] : 0.0) + w[i] * hk);
            m[i] += a * t;
            if (mv)
                mv[i] += b * t;
            if (d)
                d[i] += c * (1.0 - t * t);
        }
    }
}

KERN_CLONES
void kern_tanh_table(const double *w, const double *g, size_t N, const double *h, size_t n,
                     double *T)
{
    for (size_t k = 0; k < n; k++) {
        double hk = h[k], *Tk = T + k * N;
        if (g) {
#pragma omp simd
            for (size_t i = 0; i < N; i++)
                Tk[i] = tanh(g[i] + w[i] * hk);
        } else {
#pragma omp simd
            for (size_t i = 0; i < N; i++)
                Tk[i] = tanh(w[i] * hk);
        }
    }
}
