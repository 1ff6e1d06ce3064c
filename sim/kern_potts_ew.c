/* kern_potts_ew: sim/kern_potts_ew.h. */
#include "sim/kern_potts_ew.h"

/* as sim/kern_sim.c: load-time choice of AVX-512, AVX2 or baseline code;
 * -ffp-contract=off (Makefile) keeps a*b+c two roundings in every clone */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__) && \
    !defined(__SANITIZE_ADDRESS__)
#define KPE_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define KPE_CLONES
#endif

KPE_CLONES
void kern_potts_field(const double *restrict g, const double *restrict w,
                      const double *restrict h, size_t M, size_t NP, double *restrict f)
{
#pragma omp simd
    for (size_t q = 0; q < NP; q++)
        f[q] = g[q];
    for (size_t mu = 0; mu < M; mu++) {
        const double *restrict wm = w + mu * NP;
        double hm = h[mu];
#pragma omp simd
        for (size_t q = 0; q < NP; q++)
            f[q] += hm * wm[q];
    }
}

KPE_CLONES
void kern_potts_axpy(double a, const double *restrict x, double *restrict y, size_t n)
{
#pragma omp simd
    for (size_t q = 0; q < n; q++)
        y[q] += a * x[q];
}

KPE_CLONES
void kern_potts_draw(const double *restrict cdfT, const double *restrict u, size_t N, size_t P,
                     int8_t *restrict row)
{
    /* blocks of 64 sites: counts in a local array the vector loop can keep */
    for (size_t i0 = 0; i0 < N; i0 += 64) {
        size_t n = N - i0 < 64 ? N - i0 : 64;
        int64_t st[64] = {0};
        for (size_t q = 0; q + 1 < P; q++) {
            const double *restrict cq = cdfT + q * N + i0;
#pragma omp simd
            for (size_t i = 0; i < n; i++)
                st[i] += u[i0 + i] >= cq[i];
        }
        for (size_t i = 0; i < n; i++)
            row[i0 + i] = (int8_t)st[i];
    }
}
