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

/* The field of sites i0 .. i0+L-1 in state q into a. */
#define KP_BLOCK 8
static inline __attribute__((always_inline)) void
kp_field(const double *restrict g, const double *restrict w, const double *restrict h,
         size_t M, size_t NP, size_t o, size_t L, double *restrict a)
{
    for (size_t l = 0; l < L; l++)
        a[l] = g[o + l];
    for (size_t mu = 0; mu < M; mu++) {
        const double *restrict wq = w + mu * NP + o;
        double hm = h[mu];
        for (size_t l = 0; l < L; l++)
            a[l] += hm * wq[l];
    }
}

/* The field of sites i0 .. i0+L-1 in every state, stored in f and shifted
 * by each site's largest; L = KP_BLOCK (inlined with a constant: the
 * block in registers) or N < KP_BLOCK.  Idempotent: a block may be done
 * twice. */
static inline __attribute__((always_inline)) void
kp_field_shift(const double *restrict g, const double *restrict w, const double *restrict h,
               size_t M, size_t N, size_t P, size_t i0, size_t L, double *restrict f)
{
    size_t NP = N * P;
    double mx[KP_BLOCK], a[KP_BLOCK];
    kp_field(g, w, h, M, NP, i0, L, a);
    for (size_t l = 0; l < L; l++)
        f[i0 + l] = mx[l] = a[l];
    for (size_t q = 1; q < P; q++) {
        size_t o = q * N + i0;
        kp_field(g, w, h, M, NP, o, L, a);
        for (size_t l = 0; l < L; l++) {
            f[o + l] = a[l];
            mx[l] = a[l] > mx[l] ? a[l] : mx[l];
        }
    }
    for (size_t q = 0; q < P; q++)
        for (size_t l = 0; l < L; l++)
            f[q * N + i0 + l] -= mx[l];
}

/* p = the exponentials e / their site sum, cdf the running sums of p,
 * sites i0 .. i0+L-1 (as kp_field_shift; idempotent too) */
static inline __attribute__((always_inline)) void
kp_normalise(size_t N, size_t P, size_t i0, size_t L, const double *restrict e,
             double *restrict p, double *restrict cdf)
{
    double z[KP_BLOCK], c[KP_BLOCK];
    for (size_t l = 0; l < L; l++)
        z[l] = 0;
    for (size_t q = 0; q < P; q++)
        for (size_t l = 0; l < L; l++)
            z[l] += e[q * N + i0 + l];
    for (size_t l = 0; l < L; l++) {
        z[l] = 1.0 / z[l];
        c[l] = 0;
    }
    for (size_t q = 0; q < P; q++)
        for (size_t l = 0; l < L; l++) {
            size_t k = q * N + i0 + l;
            double v = e[k] * z[l];
            p[k] = v;
            cdf[k] = c[l] += v;
        }
}

KP_CLONES
void kern_potts_softmax(const double *restrict g, const double *restrict w,
                        const double *restrict h, size_t M, size_t N, size_t P,
                        double *restrict f, double *restrict p, double *restrict cdf)
{
    /* blocks of KP_BLOCK sites, each value computed once in a register:
     * the field (g, then + h_mu w_mu in unit order), the running maximum
     * (the first of equal ones), the shift; one vector exp over all; the
     * site sums 0 + e_0 + e_1 ... in state order, p = e times 1/z, the
     * running sums 0 + p_0, + p_1, ... of visible_potts_draw.  The last
     * N mod KP_BLOCK sites: the block ending at site N-1 again. */
    size_t NP = N * P, i0;
    double *e = f + NP;
    if (N < KP_BLOCK)
        kp_field_shift(g, w, h, M, N, P, 0, N, f);
    else {
        for (i0 = 0; i0 + KP_BLOCK <= N; i0 += KP_BLOCK)
            kp_field_shift(g, w, h, M, N, P, i0, KP_BLOCK, f);
        if (i0 < N)
            kp_field_shift(g, w, h, M, N, P, N - KP_BLOCK, KP_BLOCK, f);
    }
    kern_potts_exp(f, e, NP);
    if (N < KP_BLOCK)
        kp_normalise(N, P, 0, N, e, p, cdf);
    else {
        for (i0 = 0; i0 + KP_BLOCK <= N; i0 += KP_BLOCK)
            kp_normalise(N, P, i0, KP_BLOCK, e, p, cdf);
        if (i0 < N)
            kp_normalise(N, P, N - KP_BLOCK, KP_BLOCK, e, p, cdf);
    }
}

KP_CLONES
void kern_potts_tanh_est(const double *restrict I, double theta, size_t n, double *restrict t,
                         double *restrict sc)
{
#pragma omp simd
    for (size_t k = 0; k < n; k++)
        sc[k] = 2 * fabs(I[k] - theta);
    kern_potts_exp(sc, t, n);
#pragma omp simd
    for (size_t k = 0; k < n; k++) {
        double a = 1 - 2 / (t[k] + 1);
        t[k] = I[k] - theta < 0 ? -a : a;
    }
}
