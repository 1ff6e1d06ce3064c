/* kern_potts: sim/kern_potts.h. */
#include "sim/kern_potts.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "sim/kern_potts_tab.h"

/* as sim/kern_sim.c: load-time choice of AVX-512, AVX2 or baseline code;
 * -ffp-contract=off (Makefile) keeps every a*b+c two roundings, so all
 * clones compute the same bits */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__) && \
    !defined(__SANITIZE_ADDRESS__)
#define KP_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define KP_CLONES
#endif

/* The constants of libmvec's 2-wide exp (glibc 2.36, SSE4.1 path):
 * 1024/ln 2, the 1.5 2^52 shifter that rounds to an integer, ln 2 / 1024
 * in a 32-bit head and its tail, the cubic's coefficients and the
 * high-word bound beyond which it calls the scalar exp. */
#define KP_L2E 0x1.71547652b82fep+10
#define KP_SHIFT 0x1.8p+52
#define KP_LN2HI 0x1.62e42fecp-11
#define KP_LN2LO 0x1.d1cf79abc9e3bp-42
#define KP_C2 0x1.0000001ebfbep-1
#define KP_C3 0x1.5555555555556p-3
#define KP_HIMAX 0x4086232au

static inline uint64_t kp_bits(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static inline double kp_double(uint64_t b)
{
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

KP_CLONES
void kern_potts_exp(const double *restrict x, double *restrict y, size_t n)
{
    /* exp(x) = 2^(k/1024) e^r, k the nearest integer to 1024 x / ln 2,
     * |r| <= ln 2 / 2048: the table entry k mod 1024 times the cubic
     * 1 + r (1 + r (c2 + c3 r)), its exponent raised by floor(k / 1024) as
     * an integer - the operations of libmvec's lanes, one by one */
    size_t nv = n & ~(size_t)1;
    int big = 0;
#pragma omp simd reduction(| : big)
    for (size_t q = 0; q < nv; q++) {
        double xq = x[q];
        double s = xq * KP_L2E + KP_SHIFT;
        double k = s - KP_SHIFT;   /* exact: the integer s holds */
        double r = xq - k * KP_LN2HI;
        r = r - k * KP_LN2LO;
        double c = (KP_C3 * r + KP_C2) * r + 1.0;
        c = 1.0 + r * c;
        uint64_t sb = kp_bits(s);
        uint64_t e = (sb & ~(uint64_t)0x3ff) << 42;
        y[q] = kp_double(kp_bits(kern_potts_exp2_tab[sb & 0x3ff] * c) + e);
        big |= (uint32_t)(kp_bits(xq) >> 32 & 0x7fffffff) > KP_HIMAX;
    }
    /* |x| > 708.39, inf, NaN: the scalar exp, as libmvec */
    if (big)
        for (size_t q = 0; q < nv; q++)
            if ((uint32_t)(kp_bits(x[q]) >> 32 & 0x7fffffff) > KP_HIMAX)
                y[q] = exp(x[q]);
    /* an odd last element: the scalar exp, as GCC's epilogue after the
     * 2-wide libmvec calls did */
    if (n & 1)
        y[n - 1] = exp(x[n - 1]);
}

KP_CLONES
void kern_potts_softmax(double *restrict f, size_t N, size_t P, double *restrict mx,
                        double *restrict p, double *restrict cdf)
{
    size_t NP = N * P;
    /* each site's largest field (the first of equal ones), subtracted */
#pragma omp simd
    for (size_t i = 0; i < N; i++)
        mx[i] = f[i];
    for (size_t q = 1; q < P; q++) {
        const double *restrict fq = f + q * N;
#pragma omp simd
        for (size_t i = 0; i < N; i++)
            mx[i] = fq[i] > mx[i] ? fq[i] : mx[i];
    }
    for (size_t q = 0; q < P; q++) {
        double *restrict fq = f + q * N;
#pragma omp simd
        for (size_t i = 0; i < N; i++)
            fq[i] -= mx[i];
    }
    kern_potts_exp(f, p, NP);
    /* z = 0 + p_0 + p_1 + ... per site in state order, then p / z as p (1/z);
     * mx now holds 1/z */
#pragma omp simd
    for (size_t i = 0; i < N; i++)
        mx[i] = 0;
    for (size_t q = 0; q < P; q++) {
        const double *restrict pq = p + q * N;
#pragma omp simd
        for (size_t i = 0; i < N; i++)
            mx[i] += pq[i];
    }
#pragma omp simd
    for (size_t i = 0; i < N; i++)
        mx[i] = 1.0 / mx[i];
    for (size_t q = 0; q < P; q++) {
        double *restrict pq = p + q * N;
#pragma omp simd
        for (size_t i = 0; i < N; i++)
            pq[i] *= mx[i];
    }
    /* the running sums 0 + p_0, + p_1, ... of visible_potts_draw */
#pragma omp simd
    for (size_t i = 0; i < N; i++)
        cdf[i] = 0 + p[i];
    for (size_t q = 1; q < P; q++) {
        const double *restrict pq = p + q * N, *restrict cp = cdf + (q - 1) * N;
        double *restrict cq = cdf + q * N;
#pragma omp simd
        for (size_t i = 0; i < N; i++)
            cq[i] = cp[i] + pq[i];
    }
}
