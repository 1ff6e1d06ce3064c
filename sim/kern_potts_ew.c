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

KPE_CLONES
void kern_potts_inputs(const double *restrict wT, const double *restrict bS, size_t S,
                       size_t N, size_t P, const int8_t *const *rows, size_t nr,
                       double *restrict I)
{
    /* four rows at once, eight units of each in a vector register: four
     * independent chains of additions; each lane still adds b and then the
     * sites in order.  Spare rows repeat row 0 (read, never stored). */
    const int8_t *r0 = rows[0], *r1 = nr > 1 ? rows[1] : r0, *r2 = nr > 2 ? rows[2] : r0,
                 *r3 = nr > 3 ? rows[3] : r0;
    for (size_t l0 = 0; l0 < S; l0 += KERN_POTTS_LANES) {
        double a0[KERN_POTTS_LANES], a1[KERN_POTTS_LANES], a2[KERN_POTTS_LANES],
            a3[KERN_POTTS_LANES];
        for (size_t l = 0; l < KERN_POTTS_LANES; l++)
            a0[l] = a1[l] = a2[l] = a3[l] = bS[l0 + l];
        for (size_t i = 0; i < N; i++) {
            const double *restrict w0 = wT + (i * P + (size_t)r0[i]) * S + l0;
            const double *restrict w1 = wT + (i * P + (size_t)r1[i]) * S + l0;
            const double *restrict w2 = wT + (i * P + (size_t)r2[i]) * S + l0;
            const double *restrict w3 = wT + (i * P + (size_t)r3[i]) * S + l0;
            for (size_t l = 0; l < KERN_POTTS_LANES; l++) {
                a0[l] += w0[l];
                a1[l] += w1[l];
                a2[l] += w2[l];
                a3[l] += w3[l];
            }
        }
        for (size_t l = 0; l < KERN_POTTS_LANES; l++) {
            I[l0 + l] = a0[l];
            if (nr > 1)
                I[S + l0 + l] = a1[l];
            if (nr > 2)
                I[2 * S + l0 + l] = a2[l];
            if (nr > 3)
                I[3 * S + l0 + l] = a3[l];
        }
    }
}

KPE_CLONES
void kern_potts_scatter(double *restrict dT, size_t S, size_t N, size_t P,
                        const int8_t *restrict row, const double *restrict hr)
{
    for (size_t i = 0; i < N; i++) {
        double *restrict t = dT + (i * P + (size_t)row[i]) * S;
#pragma omp simd
        for (size_t l = 0; l < S; l++)
            t[l] += hr[l];
    }
}
