/* Compiled with -ffast-math -fopenmp-simd (see Makefile) so that GCC calls
 * libmvec's vector exp/log1p/tanh; nothing here relies on NaN or Inf
 * semantics (x = g + w h is finite: callers check w, g and h first).
 * target_clones adds an AVX2 version picked at load time. */
#include "core/kern.h"

#include <math.h>

#define KERN_CLONES __attribute__((target_clones("avx2", "default")))

/* tanh through one exp, which vectorises twice as fast as libmvec's tanh
 * or expm1 here.  (1 - e)/(1 + e) loses relative accuracy eps/|x| for small
 * |x| (at most 2.2e-15 at the switch), where weights start out, so below
 * KERN_TANH_SMALL the odd Taylor series takes over (its first omitted term
 * is < 1e-18 relative there). */
#define KERN_TANH_SMALL 0.05
static inline double kern_tanh(double x)
{
    double a = fabs(x), e = exp(-2.0 * a), t = (1.0 - e) / (1.0 + e);
    double q = a * a;
    double p = a * (1.0 + q * (-1.0 / 3 + q * (2.0 / 15 + q * (-17.0 / 315 +
                    q * (62.0 / 2835 + q * (-1382.0 / 155925))))));
    return copysign(a < KERN_TANH_SMALL ? p : t, x);
}

/* Elements per block of the log-product: prod (1 + e_i) <= 2^64 cannot
 * overflow, and one log per block replaces a log1p per element. */
#define KERN_BLOCK KERN_LOGCOSH_BLOCK

/* One block [b, e) of the log-product: s = sum |x_i|, the return value
 * log prod (1 + e^{-2|x_i|}).  Inlined into both callers' clones, so the
 * sum and its parts are formed by the same instructions. */
static inline __attribute__((always_inline)) double
logcosh_block(const double *w, const double *g, size_t b, size_t e, double h, double *sum)
{
    double prod = 1.0, s = 0.0;
    if (g) {
#pragma omp simd reduction(* : prod) reduction(+ : s)
        for (size_t i = b; i < e; i++) {
            double a = fabs(g[i] + w[i] * h);
            s += a;
            prod *= 1.0 + exp(-2.0 * a);
        }
    } else {
#pragma omp simd reduction(* : prod) reduction(+ : s)
        for (size_t i = b; i < e; i++) {
            double a = fabs(w[i] * h);
            s += a;
            prod *= 1.0 + exp(-2.0 * a);
        }
    }
    *sum = s;
    return log(prod);
}

KERN_CLONES
double kern_logcosh_sum(const double *w, const double *g, size_t N, double h)
{
    /* log 2cosh x = |x| + log(1 + e^{-2|x|}) */
    double sa = 0.0, sl = 0.0;
    for (size_t b = 0; b < N; b += KERN_BLOCK) {
        size_t e = (b + KERN_BLOCK < N) ? b + KERN_BLOCK : N;
        double s, l = logcosh_block(w, g, b, e, h, &s);
        sa += s;
        sl += l;
    }
    return sa + sl;
}

/* kern_logcosh_sum's blocks, their two sums stored instead of added */
KERN_CLONES
void kern_logcosh_parts(const double *w, const double *g, size_t N, double h, double *sb,
                        double *lb)
{
    for (size_t b = 0; b < N; b += KERN_BLOCK) {
        size_t e = (b + KERN_BLOCK < N) ? b + KERN_BLOCK : N;
        lb[b / KERN_BLOCK] = logcosh_block(w, g, b, e, h, &sb[b / KERN_BLOCK]);
    }
}

KERN_CLONES
void kern_tanh_sums(const double *w, const double *g, size_t N, double h, double *s1, double *s2)
{
    double a1 = 0.0, a2 = 0.0;
    if (g) {
#pragma omp simd reduction(+ : a1, a2)
        for (size_t i = 0; i < N; i++) {
            double t = kern_tanh(g[i] + w[i] * h);
            a1 += w[i] * t;
            a2 += w[i] * w[i] * (1.0 - t * t);
        }
    } else {
#pragma omp simd reduction(+ : a1, a2)
        for (size_t i = 0; i < N; i++) {
            double t = kern_tanh(w[i] * h);
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
                m[i] += a * kern_tanh(w[i] * hk);
            continue;
        }
        double b = c0 ? c0[k] : 0.0, c = c2 ? c2[k] : 0.0;
#pragma omp simd
        for (size_t i = 0; i < N; i++) {
            double t = kern_tanh((g ? g[i] : 0.0) + w[i] * hk);
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
                Tk[i] = kern_tanh(g[i] + w[i] * hk);
        } else {
#pragma omp simd
            for (size_t i = 0; i < N; i++)
                Tk[i] = kern_tanh(w[i] * hk);
        }
    }
}

KERN_CLONES
void kern_jac_apply(const double *A, const double *p, const double *d, const double *m,
                    size_t n, size_t N, const double *v, double *out, double *Av)
{
    double mv = 0.0;
#pragma omp simd reduction(+ : mv)
    for (size_t i = 0; i < N; i++)
        mv += m[i] * v[i];
    for (size_t k = 0; k < n; k++) {
        const double *Ak = A + k * N;
        double s = 0.0;
#pragma omp simd reduction(+ : s)
        for (size_t i = 0; i < N; i++)
            s += Ak[i] * v[i];
        Av[k] = p[k] * s;
    }
#pragma omp simd
    for (size_t i = 0; i < N; i++)
        out[i] = d[i] * v[i] - m[i] * mv;
    for (size_t k = 0; k < n; k++) {
        const double *Ak = A + k * N;
        double c = Av[k];
#pragma omp simd
        for (size_t i = 0; i < N; i++)
            out[i] += c * Ak[i];
    }
}
