/* Compiled with -fopenmp-simd -ffp-contract=fast -fno-math-errno
 * -fno-trapping-math -mprefer-vector-width=512 (see Makefile), deliberately
 * not -ffast-math: the `omp simd reduction` pragmas are what license the
 * vector reductions, and -fassociative-math would fold the round-to-integer
 * trick of exp_neg ((x + 1.5 2^52) - 1.5 2^52) into x, which the gradient
 * tests caught.  Each kernel has an AVX-512, an AVX2+FMA and a baseline
 * clone; the loader picks one per machine, so results are bit-for-bit
 * reproducible on a given machine (not across machines).
 *
 * Why not a GSL generator for the Gibbs uniforms: the PGM benchmark (N = 100,
 * 100 chains, 2000 updates) draws 2 x 10^7 uniforms, N = 1000 draws 2 x 10^8.
 * bench/bench_sim, CPU seconds on this machine (before the float Gibbs
 * path, which brought N = 1000 spin to 0.48 s), built as is / built with
 * -DTRAIN_GSL_UNIFORMS=gsl_rng_<type> (same pool, one gsl_rng_get per
 * uniform, generator seeded from the training stream at each model term):
 *   N = 100 spin    0.089 | taus2 0.19, mt19937 0.27, gfsr4 1.18 (its seeding)
 *   N = 1000 spin   0.77  | taus2 1.74, mt19937 2.35, gfsr4 2.64
 * The fastest GSL type more than doubles the run (> 50% of it), far beyond
 * the ~20% the project allows, so the uniforms come from 8 interleaved
 * xoshiro256++ lanes, re-seeded from the run's GSL stream (core/rng.h) at
 * every model-term evaluation: every draw still derives deterministically
 * from the seeded gsl_rng. */
#include "sim/kern_sim.h"

#include <math.h>
#include <string.h>

/* exp(x) for x <= 0, inline so that the Gibbs loops vectorise without a
 * call into libmvec (measured 20% faster on the visible half-step):
 * x = k ln2 + r, |r| <= ln2/2, degree-13 Taylor polynomial (truncation
 * < 5e-18 relative), 2^k assembled in the exponent bits.  x is clamped at
 * EXP_NEG_MIN: exp(-700) ~ 1e-304 stands in for anything smaller, which
 * changes a probability 1/(1 + e) by < 1e-300. */
#define EXP_NEG_MIN (-700.0)
static inline double exp_neg(double x)
{
    const double shifter = 6755399441055744.0;   /* 1.5 * 2^52: round to integer */
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    x = x < EXP_NEG_MIN ? EXP_NEG_MIN : x;
    double kd = x * 1.4426950408889634074 + shifter;
    double k = kd - shifter;
    double r = (x - k * ln2_hi) - k * ln2_lo;
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    uint64_t kb;
    memcpy(&kb, &kd, sizeof kb);
    uint64_t eb = (kb - 0x4338000000000000ULL + 1023ULL) << 52;
    double sc;
    memcpy(&sc, &eb, sizeof sc);
    return p * sc;
}

/* The single-precision exp(x), x <= 0, of the float visible half-step
 * (kern_sim_visible_f): x = k ln2 + r, |r| <= ln2/2, degree-7 Taylor
 * polynomial (truncation r^8/8! < 8e-9 relative, under the float rounding
 * 2^-24 = 6e-8), ln2 split Cephes-style so k ln2_hi is exact; 2^k in the
 * exponent bits.  x is clamped at EXPF_NEG_MIN: exp(-87) ~ 1.6e-38 is the
 * smallest normal float, and a probability 1/(1 + e) moves by < 2e-38. */
#define EXPF_NEG_MIN (-87.0f)
static inline float expf_neg(float x)
{
    const float shifter = 12582912.0f;   /* 1.5 * 2^23: round to integer */
    const float ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;
    x = x < EXPF_NEG_MIN ? EXPF_NEG_MIN : x;
    float kd = x * 1.44269504088896341f + shifter;
    float k = kd - shifter;
    float r = (x - k * ln2_hi) - k * ln2_lo;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    uint32_t kb;
    memcpy(&kb, &kd, sizeof kb);
    uint32_t eb = (kb - 0x4B400000U + 127U) << 23;   /* k + 127 >= 1: normal */
    float sc;
    memcpy(&sc, &eb, sizeof sc);
    return p * sc;
}

/* tanh x in float: sign(x) (1 - e)/(1 + e), e = exp(-2|x|) <= 1 */
static inline float tanhf_from(float x)
{
    float e = expf_neg(-2.0f * fabsf(x));
    float t = (1.0f - e) / (1.0f + e);
    return x >= 0.0f ? t : -t;
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__) && \
    !defined(__SANITIZE_ADDRESS__)
#define KSIM_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define KSIM_CLONES
#endif

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void kern_sim_rng_seed(kern_sim_rng *q, gsl_rng *r)
{
    /* 64 bits from the GSL stream (its generators give 32 bits per call);
     * splitmix64 outputs are never all zero across the 4 words of a lane */
    uint64_t x = ((uint64_t)(gsl_rng_get(r) & 0xffffffffUL) << 32) ^
                 (uint64_t)(gsl_rng_get(r) & 0xffffffffUL);
    for (int k = 0; k < 4; k++)
        for (int l = 0; l < KERN_SIM_LANES; l++)
            q->s[k][l] = splitmix(&x);
}

/* tanh x = sign(x) (1 - e)/(1 + e), e = exp(-2|x|) <= 1: no overflow */
static inline double tanh_from(double x)
{
    double e = exp_neg(-2.0 * fabs(x));
    double t = (1.0 - e) / (1.0 + e);
    return x >= 0.0 ? t : -t;
}

/* Exact k 2^-32 for a 32-bit k: put k under the exponent of 1.0, subtract 1. */
static inline double u32_to_unit(uint64_t k)
{
    uint64_t bits = (k << 20) | 0x3ff0000000000000ULL;
    double d;
    memcpy(&d, &bits, sizeof d);
    return d - 1.0;
}

KSIM_CLONES
void kern_sim_uniform(kern_sim_rng *restrict q, double *restrict u, size_t n)
{
    /* xoshiro256++ (Blackman & Vigna 2019): every output bit is good, so
     * both 32-bit halves serve as uniforms */
    for (size_t j = 0; j < n; j += KERN_SIM_UCHUNK)
        for (int l = 0; l < KERN_SIM_LANES; l++) {
            uint64_t s0 = q->s[0][l], s1 = q->s[1][l], s2 = q->s[2][l], s3 = q->s[3][l];
            uint64_t a = s0 + s3;
            uint64_t res = ((a << 23) | (a >> 41)) + s0;
            uint64_t t = s1 << 17;
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            s3 = (s3 << 45) | (s3 >> 19);
            q->s[0][l] = s0;
            q->s[1][l] = s1;
            q->s[2][l] = s2;
            q->s[3][l] = s3;
            u[j + l] = u32_to_unit(res >> 32);
            u[j + KERN_SIM_LANES + l] = u32_to_unit(res & 0xffffffffULL);
        }
}

/* The same stream as kern_sim_uniform, kept as the 32-bit integers k of
 * the uniforms k 2^-32: half the memory traffic of the doubles, widened
 * exactly (u32_to_unit) where they are used. */
KSIM_CLONES
void kern_sim_uniform32(kern_sim_rng *restrict q, uint32_t *restrict u, size_t n)
{
    for (size_t j = 0; j < n; j += KERN_SIM_UCHUNK)
        for (int l = 0; l < KERN_SIM_LANES; l++) {
            uint64_t s0 = q->s[0][l], s1 = q->s[1][l], s2 = q->s[2][l], s3 = q->s[3][l];
            uint64_t a = s0 + s3;
            uint64_t res = ((a << 23) | (a >> 41)) + s0;
            uint64_t t = s1 << 17;
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            s3 = (s3 << 45) | (s3 >> 19);
            q->s[0][l] = s0;
            q->s[1][l] = s1;
            q->s[2][l] = s2;
            q->s[3][l] = s3;
            u[j + l] = (uint32_t)(res >> 32);
            u[j + KERN_SIM_LANES + l] = (uint32_t)(res & 0xffffffffULL);
        }
}

KSIM_CLONES
void kern_sim_to_double(size_t n, const int8_t *restrict x, double *restrict y)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        y[i] = (double)x[i];
}

/* Four weight rows per sweep over x: independent accumulators hide the add
 * latency and x is loaded once per group. */
KSIM_CLONES
void kern_sim_inputs(size_t N, size_t M, const double *restrict w, const double *restrict x,
                     double *restrict I)
{
    size_t mu = 0;
    for (; mu + 4 <= M; mu += 4) {
        const double *restrict w0 = w + mu * N, *restrict w1 = w0 + N;
        const double *restrict w2 = w1 + N, *restrict w3 = w2 + N;
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
        for (size_t i = 0; i < N; i++) {
            double xi = x[i];
            s0 += w0[i] * xi;
            s1 += w1[i] * xi;
            s2 += w2[i] * xi;
            s3 += w3[i] * xi;
        }
        I[mu] = s0;
        I[mu + 1] = s1;
        I[mu + 2] = s2;
        I[mu + 3] = s3;
    }
    /* the last M mod 4 rows: four accumulators over the quarters of x */
    size_t q = N / 4;
    for (; mu < M; mu++) {
        const double *restrict w0 = w + mu * N;
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
        for (size_t i = 0; i < q; i++) {
            s0 += w0[i] * x[i];
            s1 += w0[i + q] * x[i + q];
            s2 += w0[i + 2 * q] * x[i + 2 * q];
            s3 += w0[i + 3 * q] * x[i + 3 * q];
        }
        for (size_t i = 4 * q; i < N; i++)
            s0 += w0[i] * x[i];
        I[mu] = (s0 + s1) + (s2 + s3);
    }
}

/* Two rows at a time against four weight rows: eight accumulators, six
 * loads per eight multiply-adds (against ten for one row at a time). */
KSIM_CLONES
void kern_sim_inputs_block(size_t N, size_t M, size_t nr, const double *restrict w,
                           const double *restrict X, double *restrict I)
{
    size_t c = 0;
    for (; c + 2 <= nr; c += 2) {
        const double *restrict xa = X + c * N, *restrict xb = xa + N;
        double *Ia = I + c * M, *Ib = Ia + M;
        size_t mu = 0;
        for (; mu + 4 <= M; mu += 4) {
            const double *restrict w0 = w + mu * N, *restrict w1 = w0 + N;
            const double *restrict w2 = w1 + N, *restrict w3 = w2 + N;
            double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0, b0 = 0.0, b1 = 0.0, b2 = 0.0, b3 = 0.0;
#pragma omp simd reduction(+ : a0, a1, a2, a3, b0, b1, b2, b3)
            for (size_t i = 0; i < N; i++) {
                double p = xa[i], q = xb[i];
                a0 += w0[i] * p;
                a1 += w1[i] * p;
                a2 += w2[i] * p;
                a3 += w3[i] * p;
                b0 += w0[i] * q;
                b1 += w1[i] * q;
                b2 += w2[i] * q;
                b3 += w3[i] * q;
            }
            Ia[mu] = a0;
            Ia[mu + 1] = a1;
            Ia[mu + 2] = a2;
            Ia[mu + 3] = a3;
            Ib[mu] = b0;
            Ib[mu + 1] = b1;
            Ib[mu + 2] = b2;
            Ib[mu + 3] = b3;
        }
        /* the last M mod 4 weight rows: both halves of x, both rows */
        size_t hN = N / 2;
        for (; mu < M; mu++) {
            const double *restrict w0 = w + mu * N;
            double a0 = 0.0, a1 = 0.0, b0 = 0.0, b1 = 0.0;
#pragma omp simd reduction(+ : a0, a1, b0, b1)
            for (size_t i = 0; i < hN; i++) {
                a0 += w0[i] * xa[i];
                a1 += w0[i + hN] * xa[i + hN];
                b0 += w0[i] * xb[i];
                b1 += w0[i + hN] * xb[i + hN];
            }
            if (N & 1) {
                a0 += w0[N - 1] * xa[N - 1];
                b0 += w0[N - 1] * xb[N - 1];
            }
            Ia[mu] = a0 + a1;
            Ib[mu] = b0 + b1;
        }
    }
    for (; c < nr; c++)
        kern_sim_inputs(N, M, w, X + c * N, I + c * M);
}

/* Four rows and two weight rows per sweep: an eighth of the loads and
 * stores of acc of a row-by-row axpy. */
KSIM_CLONES
void kern_sim_outer(size_t N, size_t M, size_t nr, const double *restrict H,
                    const double *restrict X, double *restrict acc)
{
    size_t c = 0;
    for (; c + 4 <= nr; c += 4) {
        const double *restrict x0 = X + c * N, *restrict x1 = x0 + N;
        const double *restrict x2 = x1 + N, *restrict x3 = x2 + N;
        size_t mu = 0;
        /* an odd M ends in a triple, not a pair and a single row: x is
         * swept once less (M = 5: twice instead of three times) */
        if (M >= 3 && M % 2) {
            const double *Ha = H + c * M + M - 3;
            double a0 = Ha[0], a1 = Ha[M], a2 = Ha[2 * M], a3 = Ha[3 * M];
            double b0 = Ha[1], b1 = Ha[M + 1], b2 = Ha[2 * M + 1], b3 = Ha[3 * M + 1];
            double d0 = Ha[2], d1 = Ha[M + 2], d2 = Ha[2 * M + 2], d3 = Ha[3 * M + 2];
            double *restrict y = acc + (M - 3) * N, *restrict z = y + N, *restrict t = z + N;
#pragma omp simd
            for (size_t i = 0; i < N; i++) {
                double p0 = x0[i], p1 = x1[i], p2 = x2[i], p3 = x3[i];
                y[i] += (a0 * p0 + a1 * p1) + (a2 * p2 + a3 * p3);
                z[i] += (b0 * p0 + b1 * p1) + (b2 * p2 + b3 * p3);
                t[i] += (d0 * p0 + d1 * p1) + (d2 * p2 + d3 * p3);
            }
        }
        size_t mend = M >= 3 && M % 2 ? M - 3 : M;
        for (; mu + 2 <= mend; mu += 2) {
            const double *Ha = H + c * M + mu;
            double a0 = Ha[0], a1 = Ha[M], a2 = Ha[2 * M], a3 = Ha[3 * M];
            double b0 = Ha[1], b1 = Ha[M + 1], b2 = Ha[2 * M + 1], b3 = Ha[3 * M + 1];
            double *restrict y = acc + mu * N, *restrict z = y + N;
#pragma omp simd
            for (size_t i = 0; i < N; i++) {
                double p0 = x0[i], p1 = x1[i], p2 = x2[i], p3 = x3[i];
                y[i] += (a0 * p0 + a1 * p1) + (a2 * p2 + a3 * p3);
                z[i] += (b0 * p0 + b1 * p1) + (b2 * p2 + b3 * p3);
            }
        }
        for (; mu < mend; mu++) {
            double a0 = H[c * M + mu], a1 = H[(c + 1) * M + mu];
            double a2 = H[(c + 2) * M + mu], a3 = H[(c + 3) * M + mu];
            double *restrict y = acc + mu * N;
#pragma omp simd
            for (size_t i = 0; i < N; i++)
                y[i] += (a0 * x0[i] + a1 * x1[i]) + (a2 * x2[i] + a3 * x3[i]);
        }
    }
    for (; c < nr; c++) {
        const double *restrict x0 = X + c * N;
        for (size_t mu = 0; mu < M; mu++) {
            double a0 = H[c * M + mu];
            double *restrict y = acc + mu * N;
#pragma omp simd
            for (size_t i = 0; i < N; i++)
                y[i] += a0 * x0[i];
        }
    }
}

/* ---- the data term on int8 rows ------------------------------------------
 * The same loops as kern_sim_inputs_block and kern_sim_outer with the +-1
 * rows read as int8 and widened in registers: an eighth of the memory
 * traffic of a double block.  Products with +-1 are exact and every sum
 * keeps the order of the double kernels, so the results are those of
 * kern_sim_to_double followed by the double kernels (tested bit for bit in
 * tests/test_kern_sim.c). */

/* Row pairs widened into the 2N doubles of s (L1-resident) and passed to
 * kern_sim_inputs_block, which treats each pair (and an odd last row)
 * independently: the same sums as on a whole double block.  (Widening in
 * registers inside the reduction loops changes GCC's vectorisation, hence
 * the order of the sums: measured, not bit for bit.) */
void kern_sim_inputs_block_i8(size_t N, size_t M, size_t nr, const double *restrict w,
                              const int8_t *restrict X, double *restrict s, double *restrict I)
{
    for (size_t c = 0; c < nr; c += 2) {
        size_t n = c + 1 < nr ? 2 : 1;
        kern_sim_to_double(n * N, X + c * N, s);
        kern_sim_inputs_block(N, M, n, w, s, I + c * M);
    }
}

/* the loops of kern_sim_outer_i8 over columns [0, n) of rows ld apart (n = ld: all) */
static inline __attribute__((always_inline)) void
outer_i8_body(size_t n, size_t ld, size_t M, size_t nr, const double *restrict H,
    const int8_t *restrict X, double *restrict acc)
{
    size_t c = 0;
    for (; c + 4 <= nr; c += 4) {
        const int8_t *restrict x0 = X + c * ld, *restrict x1 = x0 + ld;
        const int8_t *restrict x2 = x1 + ld, *restrict x3 = x2 + ld;
        size_t mu = 0;
        /* an odd M ends in a triple, not a pair and a single row: x is
         * swept once less (M = 5: twice instead of three times) */
        if (M >= 3 && M % 2) {
            const double *Ha = H + c * M + M - 3;
            double a0 = Ha[0], a1 = Ha[M], a2 = Ha[2 * M], a3 = Ha[3 * M];
            double b0 = Ha[1], b1 = Ha[M + 1], b2 = Ha[2 * M + 1], b3 = Ha[3 * M + 1];
            double d0 = Ha[2], d1 = Ha[M + 2], d2 = Ha[2 * M + 2], d3 = Ha[3 * M + 2];
            double *restrict y = acc + (M - 3) * ld, *restrict z = y + ld, *restrict t = z + ld;
#pragma omp simd
            for (size_t i = 0; i < n; i++) {
                double p0 = (double)x0[i], p1 = (double)x1[i], p2 = (double)x2[i], p3 = (double)x3[i];
                y[i] += (a0 * p0 + a1 * p1) + (a2 * p2 + a3 * p3);
                z[i] += (b0 * p0 + b1 * p1) + (b2 * p2 + b3 * p3);
                t[i] += (d0 * p0 + d1 * p1) + (d2 * p2 + d3 * p3);
            }
        }
        size_t mend = M >= 3 && M % 2 ? M - 3 : M;
        for (; mu + 2 <= mend; mu += 2) {
            const double *Ha = H + c * M + mu;
            double a0 = Ha[0], a1 = Ha[M], a2 = Ha[2 * M], a3 = Ha[3 * M];
            double b0 = Ha[1], b1 = Ha[M + 1], b2 = Ha[2 * M + 1], b3 = Ha[3 * M + 1];
            double *restrict y = acc + mu * ld, *restrict z = y + ld;
#pragma omp simd
            for (size_t i = 0; i < n; i++) {
                double p0 = (double)x0[i], p1 = (double)x1[i], p2 = (double)x2[i], p3 = (double)x3[i];
                y[i] += (a0 * p0 + a1 * p1) + (a2 * p2 + a3 * p3);
                z[i] += (b0 * p0 + b1 * p1) + (b2 * p2 + b3 * p3);
            }
        }
        for (; mu < mend; mu++) {
            double a0 = H[c * M + mu], a1 = H[(c + 1) * M + mu];
            double a2 = H[(c + 2) * M + mu], a3 = H[(c + 3) * M + mu];
            double *restrict y = acc + mu * ld;
#pragma omp simd
            for (size_t i = 0; i < n; i++)
                y[i] += (a0 * (double)x0[i] + a1 * (double)x1[i]) + (a2 * (double)x2[i] + a3 * (double)x3[i]);
        }
    }
    for (; c < nr; c++) {
        const int8_t *restrict x0 = X + c * ld;
        for (size_t mu = 0; mu < M; mu++) {
            double a0 = H[c * M + mu];
            double *restrict y = acc + mu * ld;
#pragma omp simd
            for (size_t i = 0; i < n; i++)
                y[i] += a0 * (double)x0[i];
        }
    }
}

KSIM_CLONES
void kern_sim_outer_i8(size_t N, size_t M, size_t nr, const double *restrict H,
                    const int8_t *restrict X, double *restrict acc)
{
    outer_i8_body(N, N, M, nr, H, X, acc);
}

KSIM_CLONES
void kern_sim_outer_i8_cols(size_t N, size_t i0, size_t i1, size_t M, size_t nr,
                    const double *restrict H, const int8_t *restrict X, double *restrict acc)
{
    outer_i8_body(i1 - i0, N, M, nr, H, X + i0, acc + i0);
}

/* kern_sim_outer on float rows (E[v | h] of kern_sim_visible_f32): the
 * same sums of the same values as on their double copies; its loops over
 * columns [0, n) of rows ld apart (n = ld: all). */
static inline __attribute__((always_inline)) void
outer_f_body(size_t n, size_t ld, size_t M, size_t nr, const double *restrict H,
    const float *restrict X, double *restrict acc)
{
    size_t c = 0;
    for (; c + 4 <= nr; c += 4) {
        const float *restrict x0 = X + c * ld, *restrict x1 = x0 + ld;
        const float *restrict x2 = x1 + ld, *restrict x3 = x2 + ld;
        size_t mu = 0;
        /* an odd M ends in a triple, not a pair and a single row: x is
         * swept once less (M = 5: twice instead of three times) */
        if (M >= 3 && M % 2) {
            const double *Ha = H + c * M + M - 3;
            double a0 = Ha[0], a1 = Ha[M], a2 = Ha[2 * M], a3 = Ha[3 * M];
            double b0 = Ha[1], b1 = Ha[M + 1], b2 = Ha[2 * M + 1], b3 = Ha[3 * M + 1];
            double d0 = Ha[2], d1 = Ha[M + 2], d2 = Ha[2 * M + 2], d3 = Ha[3 * M + 2];
            double *restrict y = acc + (M - 3) * ld, *restrict z = y + ld, *restrict t = z + ld;
#pragma omp simd
            for (size_t i = 0; i < n; i++) {
                double p0 = (double)x0[i], p1 = (double)x1[i], p2 = (double)x2[i], p3 = (double)x3[i];
                y[i] += (a0 * p0 + a1 * p1) + (a2 * p2 + a3 * p3);
                z[i] += (b0 * p0 + b1 * p1) + (b2 * p2 + b3 * p3);
                t[i] += (d0 * p0 + d1 * p1) + (d2 * p2 + d3 * p3);
            }
        }
        size_t mend = M >= 3 && M % 2 ? M - 3 : M;
        for (; mu + 2 <= mend; mu += 2) {
            const double *Ha = H + c * M + mu;
            double a0 = Ha[0], a1 = Ha[M], a2 = Ha[2 * M], a3 = Ha[3 * M];
            double b0 = Ha[1], b1 = Ha[M + 1], b2 = Ha[2 * M + 1], b3 = Ha[3 * M + 1];
            double *restrict y = acc + mu * ld, *restrict z = y + ld;
#pragma omp simd
            for (size_t i = 0; i < n; i++) {
                double p0 = (double)x0[i], p1 = (double)x1[i], p2 = (double)x2[i], p3 = (double)x3[i];
                y[i] += (a0 * p0 + a1 * p1) + (a2 * p2 + a3 * p3);
                z[i] += (b0 * p0 + b1 * p1) + (b2 * p2 + b3 * p3);
            }
        }
        for (; mu < mend; mu++) {
            double a0 = H[c * M + mu], a1 = H[(c + 1) * M + mu];
            double a2 = H[(c + 2) * M + mu], a3 = H[(c + 3) * M + mu];
            double *restrict y = acc + mu * ld;
#pragma omp simd
            for (size_t i = 0; i < n; i++)
                y[i] += (a0 * (double)x0[i] + a1 * (double)x1[i]) + (a2 * (double)x2[i] + a3 * (double)x3[i]);
        }
    }
    for (; c < nr; c++) {
        const float *restrict x0 = X + c * ld;
        for (size_t mu = 0; mu < M; mu++) {
            double a0 = H[c * M + mu];
            double *restrict y = acc + mu * ld;
#pragma omp simd
            for (size_t i = 0; i < n; i++)
                y[i] += a0 * (double)x0[i];
        }
    }
}

KSIM_CLONES
void kern_sim_outer_f(size_t N, size_t M, size_t nr, const double *restrict H,
                    const float *restrict X, double *restrict acc)
{
    outer_f_body(N, N, M, nr, H, X, acc);
}

KSIM_CLONES
void kern_sim_outer_f_cols(size_t N, size_t i0, size_t i1, size_t M, size_t nr,
                    const double *restrict H, const float *restrict X, double *restrict acc)
{
    outer_f_body(i1 - i0, N, M, nr, H, X + i0, acc + i0);
}

/* kern_sim_colsum on float rows. */
KSIM_CLONES
void kern_sim_colsum_f(size_t N, size_t nr, const float *restrict X, double *restrict acc)
{
    for (size_t c = 0; c < nr; c++) {
        const float *restrict x = X + c * N;
#pragma omp simd
        for (size_t i = 0; i < N; i++)
            acc[i] += (double)x[i];
    }
}

/* kern_sim_colsum_f on columns [i0, i1) of rows N apart. */
KSIM_CLONES
void kern_sim_colsum_f_cols(size_t N, size_t i0, size_t i1, size_t nr, const float *restrict X,
                            double *restrict acc)
{
    for (size_t c = 0; c < nr; c++) {
        const float *restrict x = X + c * N;
#pragma omp simd
        for (size_t i = i0; i < i1; i++)
            acc[i] += (double)x[i];
    }
}

/* acc[i] += sum_c X[c*N + i] */
KSIM_CLONES
void kern_sim_colsum(size_t N, size_t nr, const double *restrict X, double *restrict acc)
{
    for (size_t c = 0; c < nr; c++) {
        const double *restrict x = X + c * N;
#pragma omp simd
        for (size_t i = 0; i < N; i++)
            acc[i] += x[i];
    }
}

/* s = tanh(g + sum_mu h_mu w_mu) in float, the shared first part of
 * kern_sim_visible_f and kern_sim_visible_f32 (inlined into each target
 * clone, so both keep the same loops and the same bits). */
static inline __attribute__((always_inline)) void
visible_tanh_f(size_t N, size_t M, const float *restrict w, const float *restrict g,
               const double *restrict h, float *restrict s)
{
    const float *base = g;
    size_t mu = 0;
    for (; mu + 5 < M; mu += 4) {
        const float *restrict w0 = w + mu * N, *restrict w1 = w0 + N;
        const float *restrict w2 = w1 + N, *restrict w3 = w2 + N;
        float a0 = (float)h[mu], a1 = (float)h[mu + 1], a2 = (float)h[mu + 2], a3 = (float)h[mu + 3];
        if (base) {
#pragma omp simd
            for (size_t i = 0; i < N; i++)
                s[i] = base[i] + ((a0 * w0[i] + a1 * w1[i]) + (a2 * w2[i] + a3 * w3[i]));
        } else {
#pragma omp simd
            for (size_t i = 0; i < N; i++)
                s[i] = (a0 * w0[i] + a1 * w1[i]) + (a2 * w2[i] + a3 * w3[i]);
        }
        base = s;
    }
    if (!base) {
        memset(s, 0, N * sizeof *s);
        base = s;
    }
    const float *restrict w0 = w + mu * N, *restrict w1 = w0 + N;
    const float *restrict w2 = w1 + N, *restrict w3 = w2 + N, *restrict w4 = w3 + N;
    float a0 = (float)h[mu];
    switch (M - mu) {
    case 1:
#pragma omp simd
        for (size_t i = 0; i < N; i++)
            s[i] = tanhf_from(base[i] + a0 * w0[i]);
        break;
    case 2: {
        float a1 = (float)h[mu + 1];
#pragma omp simd
        for (size_t i = 0; i < N; i++)
            s[i] = tanhf_from(base[i] + (a0 * w0[i] + a1 * w1[i]));
        break;
    }
    case 3: {
        float a1 = (float)h[mu + 1], a2 = (float)h[mu + 2];
#pragma omp simd
        for (size_t i = 0; i < N; i++)
            s[i] = tanhf_from(base[i] + ((a0 * w0[i] + a1 * w1[i]) + a2 * w2[i]));
        break;
    }
    case 4: {
        float a1 = (float)h[mu + 1], a2 = (float)h[mu + 2], a3 = (float)h[mu + 3];
#pragma omp simd
        for (size_t i = 0; i < N; i++)
            s[i] = tanhf_from(base[i] + ((a0 * w0[i] + a1 * w1[i]) + (a2 * w2[i] + a3 * w3[i])));
        break;
    }
    default: {   /* 5: M = 5 (the benchmark) in one sweep, no scratch pass */
        float a1 = (float)h[mu + 1], a2 = (float)h[mu + 2], a3 = (float)h[mu + 3];
        float a4 = (float)h[mu + 4];
#pragma omp simd
        for (size_t i = 0; i < N; i++)
            s[i] = tanhf_from(base[i] + (((a0 * w0[i] + a1 * w1[i]) + (a2 * w2[i] + a3 * w3[i])) +
                                         a4 * w4[i]));
    }
    }
}

/* The float visible half-step (see kern_sim.h for why float is enough).
 * Structure: groups of four weight rows into
 * the scratch s, the last 1..5 rows fused with tanh, then a double loop
 * for E[v|h] and the draw (a loop of its own so that the int8 store does
 * not set the vector length of the float loops: 16 lanes per AVX-512
 * register against 8 for double). */
KSIM_CLONES
void kern_sim_visible_f(size_t N, size_t M, const float *restrict w, const float *restrict g,
                        const double *restrict h, const double *restrict u, int8_t *restrict x,
                        float *restrict s, double *restrict f)
{
    visible_tanh_f(N, M, w, g, h, s);
    /* x = +1 iff 2u - 1 < tanh f, compared in double: 2u - 1 stays exact
     * for u = k 2^-32, so the only error is that of the float tanh */
#pragma omp simd
    for (size_t i = 0; i < N; i++) {
        double t = (double)s[i];
        f[i] = t;
        x[i] = (int8_t)(2.0 * u[i] - 1.0 < t ? 1 : -1);
    }
}

/* kern_sim_visible_f with 32-bit uniforms and E[v | h] left in s as float
 * (the double f of kern_sim_visible_f holds the same values): the same
 * loops, so the same tanh and the same draws. */
KSIM_CLONES
void kern_sim_visible_f32(size_t N, size_t M, const float *restrict w, const float *restrict g,
                          const double *restrict h, const uint32_t *restrict u,
                          int8_t *restrict x, float *restrict s)
{
    visible_tanh_f(N, M, w, g, h, s);
    /* x = +1 iff 2u - 1 < tanh f, compared in double: 2u - 1 stays exact
     * for u = k 2^-32, so the only error is that of the float tanh */
#pragma omp simd
    for (size_t i = 0; i < N; i++)
        x[i] = (int8_t)(2.0 * u32_to_unit(u[i]) - 1.0 < (double)s[i] ? 1 : -1);
}

/* I for float rows (+-1, exact) against float weights, two rows and four
 * weight rows per sweep as in kern_sim_inputs_block; sums in float. */
KSIM_CLONES
void kern_sim_inputs_block_f(size_t N, size_t M, size_t nr, const float *restrict w,
                             const float *restrict X, double *restrict I)
{
    for (size_t c = 0; c < nr; c += 2) {
        /* an odd last row is paired with itself (same result twice) */
        const float *restrict xa = X + c * N, *restrict xb = c + 1 < nr ? xa + N : xa;
        double *Ia = I + c * M, *Ib = c + 1 < nr ? Ia + M : Ia;
        size_t mu = 0;
        for (; mu + 4 <= M; mu += 4) {
            const float *restrict w0 = w + mu * N, *restrict w1 = w0 + N;
            const float *restrict w2 = w1 + N, *restrict w3 = w2 + N;
            float a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
#pragma omp simd reduction(+ : a0, a1, a2, a3, b0, b1, b2, b3)
            for (size_t i = 0; i < N; i++) {
                float p = xa[i], q = xb[i];
                a0 += w0[i] * p;
                a1 += w1[i] * p;
                a2 += w2[i] * p;
                a3 += w3[i] * p;
                b0 += w0[i] * q;
                b1 += w1[i] * q;
                b2 += w2[i] * q;
                b3 += w3[i] * q;
            }
            Ia[mu] = a0;
            Ia[mu + 1] = a1;
            Ia[mu + 2] = a2;
            Ia[mu + 3] = a3;
            Ib[mu] = b0;
            Ib[mu + 1] = b1;
            Ib[mu + 2] = b2;
            Ib[mu + 3] = b3;
        }
        for (; mu < M; mu++) {
            const float *restrict w0 = w + mu * N;
            float a0 = 0, b0 = 0;
#pragma omp simd reduction(+ : a0, b0)
            for (size_t i = 0; i < N; i++) {
                a0 += w0[i] * xa[i];
                b0 += w0[i] * xb[i];
            }
            Ia[mu] = a0;
            Ib[mu] = b0;
        }
    }
}

KSIM_CLONES
void kern_sim_i8_to_float(size_t n, const int8_t *restrict x, float *restrict y)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        y[i] = (float)x[i];
}

/* y[k] = x[k] rounded to float. */
KSIM_CLONES
void kern_sim_to_float(size_t n, const double *restrict x, float *restrict y)
{
#pragma omp simd
    for (size_t k = 0; k < n; k++)
        y[k] = (float)x[k];
}

/* Four rows per sweep over the upper triangle of blk (N x N int32). */
KSIM_CLONES
void kern_sim_corr_accum(size_t N, size_t nr, const int8_t *restrict X, int32_t *restrict blk)
{
    size_t c = 0;
    for (; c + 4 <= nr; c += 4) {
        const int8_t *restrict x0 = X + c * N, *restrict x1 = x0 + N;
        const int8_t *restrict x2 = x1 + N, *restrict x3 = x2 + N;
        for (size_t i = 0; i < N; i++) {
            int32_t a0 = x0[i], a1 = x1[i], a2 = x2[i], a3 = x3[i];
            int32_t *restrict row = blk + i * N;
#pragma omp simd
            for (size_t j = i; j < N; j++)
                row[j] += (a0 * x0[j] + a1 * x1[j]) + (a2 * x2[j] + a3 * x3[j]);
        }
    }
    for (; c < nr; c++) {
        const int8_t *restrict x0 = X + c * N;
        for (size_t i = 0; i < N; i++) {
            int32_t a0 = x0[i];
            int32_t *restrict row = blk + i * N;
#pragma omp simd
            for (size_t j = i; j < N; j++)
                row[j] += a0 * x0[j];
        }
    }
}

/* ADAM (Kingma & Ba 2015) on x[0..n-1]: c1, c2 the bias corrections. */
KSIM_CLONES
void kern_sim_adam(size_t n, double *restrict x, const double *restrict grad, double *restrict m,
                   double *restrict s, double b1, double b2, double c1, double c2, double eps,
                   double lr)
{
#pragma omp simd
    for (size_t k = 0; k < n; k++) {
        m[k] = b1 * m[k] + (1.0 - b1) * grad[k];
        s[k] = b2 * s[k] + (1.0 - b2) * grad[k] * grad[k];
        double mh = m[k] / c1, sh = s[k] / c2;
        x[k] += lr * mh / (sqrt(sh) + eps);
    }
}

KSIM_CLONES
void kern_sim_spin_draw(size_t n, double theta, const double *restrict I, const double *restrict u,
                        double *restrict h)
{
#pragma omp simd
    for (size_t k = 0; k < n; k++) {
        double a = I[k] - theta;
        double q = 1.0 / (1.0 + exp_neg(-2.0 * fabs(a)));
        double sg = a >= 0.0 ? 1.0 : -1.0;
        h[k] = u[k] < q ? sg : -sg;
    }
}

/* kern_sim_spin_draw with 32-bit uniforms. */
KSIM_CLONES
void kern_sim_spin_draw32(size_t n, double theta, const double *restrict I, const uint32_t *restrict u,
                        double *restrict h)
{
#pragma omp simd
    for (size_t k = 0; k < n; k++) {
        double a = I[k] - theta;
        double q = 1.0 / (1.0 + exp_neg(-2.0 * fabs(a)));
        double sg = a >= 0.0 ? 1.0 : -1.0;
        h[k] = u32_to_unit(u[k]) < q ? sg : -sg;
    }
}

KSIM_CLONES
void kern_sim_tanh(size_t n, double theta, const double *restrict I, double *restrict out)
{
#pragma omp simd
    for (size_t k = 0; k < n; k++)
        out[k] = tanh_from(I[k] - theta);
}

/* ---- bit-sliced Gibbs sampling (binary hidden units, train.c's "bits") ---- */

KSIM_CLONES
void kern_sim_bits(kern_sim_rng *restrict q, uint64_t *restrict out, size_t n)
{
    /* the xoshiro256++ step of kern_sim_uniform, keeping all 64 bits */
    for (size_t j = 0; j < n; j += KERN_SIM_LANES)
        for (int l = 0; l < KERN_SIM_LANES; l++) {
            uint64_t s0 = q->s[0][l], s1 = q->s[1][l], s2 = q->s[2][l], s3 = q->s[3][l];
            uint64_t a = s0 + s3;
            uint64_t res = ((a << 23) | (a >> 41)) + s0;
            uint64_t t = s1 << 17;
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            s3 = (s3 << 45) | (s3 >> 19);
            q->s[0][l] = s0;
            q->s[1][l] = s1;
            q->s[2][l] = s2;
            q->s[3][l] = s3;
            out[j + l] = res;
        }
}

uint32_t kern_sim_threshold(double f)
{
    /* P(v = +1) = (1 + tanh f)/2 = 1/(1 + e^{-2f}); rounded to the 2^-32
     * grid and capped at 2^32 - 1 (P = 1 - 2^-32 instead of 1) */
    double p = 1.0 / (1.0 + exp(-2.0 * f));
    double t = nearbyint(p * 0x1p32);
    return t >= 0x1p32 ? UINT32_MAX : (uint32_t)t;
}

KSIM_CLONES
void kern_sim_planes(size_t n, const uint32_t *restrict t, uint64_t *restrict planes)
{
    /* planes[k] bit l = bit 31 - k of t[l] (most significant plane first);
     * the planes as the inner loop, which vectorises (32 lanes of 64 bits):
     * measured 6 % of the bits kernels with the lanes as the inner loop */
    for (int k = 0; k < KERN_SIM_PLANES; k++)
        planes[k] = 0;
    for (size_t l = 0; l < n; l++) {
        uint64_t tl = t[l];
#pragma omp simd
        for (int k = 0; k < KERN_SIM_PLANES; k++)
            planes[k] |= ((tl >> (31 - k)) & 1u) << l;
    }
}

void kern_sim_byte_table(size_t N, const double *w, double *T)
{
    /* T[j*256 + x] = sum of w[8j + b] over the bits b set in x (sites >= N
     * count 0); each entry from the one with its lowest bit cleared */
    size_t nbyte = (N + 7) / 8;
    for (size_t j = 0; j < nbyte; j++) {
        double *t = T + j * 256;
        double wb[8];
        for (int b = 0; b < 8; b++)
            wb[b] = 8 * j + (size_t)b < N ? w[8 * j + (size_t)b] : 0.0;
        t[0] = 0.0;
        for (unsigned x = 1; x < 256; x++)
            t[x] = t[x & (x - 1)] + wb[__builtin_ctz(x)];
    }
}

void kern_sim_prod_table(size_t N, const double *w, double *P)
{
    /* as kern_sim_byte_table, with products of exp(-4 w_b) for sums */
    size_t nbyte = (N + 7) / 8;
    for (size_t j = 0; j < nbyte; j++) {
        double *t = P + j * 256;
        double eb[8];
        for (int b = 0; b < 8; b++)
            eb[b] = 8 * j + (size_t)b < N ? exp(-4.0 * w[8 * j + (size_t)b]) : 1.0;
        t[0] = 1.0;
        for (unsigned x = 1; x < 256; x++)
            t[x] = t[x & (x - 1)] * eb[__builtin_ctz(x)];
    }
}

/* GCC/Clang vector extension: 8 x 64 bits, one zmm with AVX-512, two ymm
 * with AVX2, four xmm otherwise. */
typedef uint64_t ksim_v8 __attribute__((vector_size(8 * sizeof(uint64_t))));

KSIM_CLONES
size_t kern_sim_bern64_lanes(size_t ncfg, const uint64_t *restrict planes, size_t cstride,
                             const uint8_t *restrict cfg, const uint64_t *restrict lanes,
                             const uint64_t *restrict r, uint64_t *restrict out)
{
    /* kern_sim_bern64 on 8 chains at once, lane l = chain l: its planes
     * selected per lane by masks (2^M of them), word k of lane l at
     * r[8k + l]; all lanes take the same words, until none is undecided */
    ksim_v8 mk[KERN_SIM_LANES_CFG], und, o = {0};
    for (size_t c = 0; c < ncfg; c++)
        for (int l = 0; l < KERN_SIM_LANES; l++)
            mk[c][l] = cfg[l] == c ? ~(uint64_t)0 : 0;
    memcpy(&und, lanes, sizeof und);
    size_t k = 0;
    for (; k < KERN_SIM_PLANES; k++) {
        if (k >= KERN_SIM_BERN_FIRST) {
            uint64_t any = 0;
            for (int l = 0; l < KERN_SIM_LANES; l++)
                any |= und[l];
            if (!any)
                break;
        }
        ksim_v8 u, p = mk[0] & planes[k];
        memcpy(&u, r + KERN_SIM_LANES * k, sizeof u);
        for (size_t c = 1; c < ncfg; c++)
            p |= mk[c] & planes[c * cstride + k];
        o |= ~u & p & und;
        und &= ~(u ^ p);
    }
    memcpy(out, &o, sizeof o);
    return k;
}
