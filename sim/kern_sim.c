/* Compiled with -ffast-math -fopenmp-simd (see Makefile): reductions are
 * reassociated into vector lanes and exp goes to libmvec.  Nothing here
 * relies on NaN or Inf semantics: callers check that w, g and the inputs
 * are finite (train_run stops at the first non-finite weight).
 *
 * Why not a GSL generator for the Gibbs uniforms: the PGM benchmark (N = 100,
 * 100 chains, 2000 updates) needs 2 x 10^7 uniforms, N = 1000 needs 2 x 10^8.
 * Measured on this machine (CPU time for 2 x 10^7 draws): gsl_rng_gfsr4
 * 0.049 s, taus113 0.055 s, taus2 0.055 s, mt19937 0.126 s, ranlxs0 0.55 s,
 * against 0.021 s for 8 interleaved xoshiro256 lanes giving 53-bit doubles
 * and about half that giving two 32-bit uniforms per draw (this file).  The
 * fastest GSL type alone would take half of the 0.10 s target of the whole
 * run.  So the lanes below are re-seeded from the run's GSL stream at every
 * model-term evaluation (kern_sim_rng_seed): every draw still derives
 * deterministically from the seeded gsl_rng of core/rng.h. */
#include "sim/kern_sim.h"

#include <math.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__) && \
    !defined(__SANITIZE_ADDRESS__)
#define KSIM_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
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

KSIM_CLONES
void kern_sim_to_double(size_t n, const int8_t *restrict x, double *restrict y)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        y[i] = (double)x[i];
}

/* Four, two or one weight rows per sweep over x: independent accumulators
 * hide the add latency and x is loaded once per group. */
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
    for (; mu + 2 <= M; mu += 2) {
        const double *restrict w0 = w + mu * N, *restrict w1 = w0 + N;
        double s0 = 0.0, s1 = 0.0;
#pragma omp simd reduction(+ : s0, s1)
        for (size_t i = 0; i < N; i++) {
            s0 += w0[i] * x[i];
            s1 += w1[i] * x[i];
        }
        I[mu] = s0;
        I[mu + 1] = s1;
    }
    for (; mu < M; mu++) {
        const double *restrict w0 = w + mu * N;
        double s0 = 0.0;
#pragma omp simd reduction(+ : s0)
        for (size_t i = 0; i < N; i++)
            s0 += w0[i] * x[i];
        I[mu] = s0;
    }
}

/* Four rows per sweep over acc: a quarter of the loads and stores of acc. */
KSIM_CLONES
void kern_sim_outer(size_t N, size_t M, size_t nr, const double *restrict H,
                    const double *restrict X, double *restrict acc)
{
    size_t c = 0;
    for (; c + 4 <= nr; c += 4) {
        const double *restrict x0 = X + c * N, *restrict x1 = x0 + N;
        const double *restrict x2 = x1 + N, *restrict x3 = x2 + N;
        for (size_t mu = 0; mu < M; mu++) {
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

KSIM_CLONES
void kern_sim_visible(size_t N, size_t M, const double *restrict w, const double *restrict g,
                      const double *restrict h, const double *restrict u, int8_t *restrict x,
                      double *restrict f)
{
    if (g) {
#pragma omp simd
        for (size_t i = 0; i < N; i++)
            f[i] = g[i];
    } else {
#pragma omp simd
        for (size_t i = 0; i < N; i++)
            f[i] = 0.0;
    }
    for (size_t mu = 0; mu < M; mu++) {
        double a = h[mu];
        const double *restrict wm = w + mu * N;
#pragma omp simd
        for (size_t i = 0; i < N; i++)
            f[i] += a * wm[i];
    }
    /* P(x = sign f) = 1/(1 + e), e = exp(-2|f|) <= 1: no overflow, and
     * tanh f = sign(f) (1 - e)/(1 + e) from the same exp */
#pragma omp simd
    for (size_t i = 0; i < N; i++) {
        double fi = f[i];
        double e = exp(-2.0 * fabs(fi));
        double q = 1.0 / (1.0 + e);
        double sg = fi >= 0.0 ? 1.0 : -1.0;
        x[i] = (int8_t)(u[i] < q ? sg : -sg);
        f[i] = sg * ((1.0 - e) * q);
    }
}

KSIM_CLONES
void kern_sim_spin_draw(size_t n, double theta, const double *restrict I, const double *restrict u,
                        double *restrict h)
{
#pragma omp simd
    for (size_t k = 0; k < n; k++) {
        double a = I[k] - theta;
        double q = 1.0 / (1.0 + exp(-2.0 * fabs(a)));
        double sg = a >= 0.0 ? 1.0 : -1.0;
        h[k] = u[k] < q ? sg : -sg;
    }
}

KSIM_CLONES
void kern_sim_tanh(size_t n, double theta, const double *restrict I, double *restrict out)
{
#pragma omp simd
    for (size_t k = 0; k < n; k++) {
        double a = I[k] - theta;
        double e = exp(-2.0 * fabs(a));
        double t = (1.0 - e) / (1.0 + e);
        out[k] = a >= 0.0 ? t : -t;
    }
}
