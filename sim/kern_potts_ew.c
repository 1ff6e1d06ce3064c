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
    /* blocks of 16 sites: a fixed-size count array the compiler keeps in
     * two vector registers through the states (a variable-size one lives
     * in memory, cleared and reloaded: 3x slower); the last N mod 16 sites
     * one by one */
    size_t i0 = 0;
    for (; i0 + 16 <= N; i0 += 16) {
        int64_t st[16];
        for (size_t i = 0; i < 16; i++)
            st[i] = 0;
        for (size_t q = 0; q + 1 < P; q++) {
            const double *restrict cq = cdfT + q * N + i0;
            for (size_t i = 0; i < 16; i++)
                st[i] += u[i0 + i] >= cq[i];
        }
        for (size_t i = 0; i < 16; i++)
            row[i0 + i] = (int8_t)st[i];
    }
    for (; i0 < N; i0++) {
        int c = 0;
        for (size_t q = 0; q + 1 < P; q++)
            c += u[i0] >= cdfT[q * N + i0];
        row[i0] = (int8_t)c;
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

KPE_CLONES
void kern_potts_vmean(const double *const *p, const double *restrict coef, size_t nl, size_t R,
                      size_t n, double *restrict y)
{
    /* blocks of 8 elements x 4 rows in registers through all nl arrays:
     * each p block loaded once per 4 rows instead of y loaded and stored
     * once per (array, row).  Unconditional (the spare rows of the last
     * group, coef 0, are scratch rows of y) so that the block stays in
     * registers. */
    size_t Rp = (R + 3) / 4 * 4, k0 = 0;
    for (; k0 + 8 <= n; k0 += 8)
        for (size_t r0 = 0; r0 < Rp; r0 += 4) {
            double *restrict y0 = y + r0 * n + k0, *restrict y1 = y0 + n, *restrict y2 = y1 + n,
                             *restrict y3 = y2 + n;
            double a0[8], a1[8], a2[8], a3[8];
            for (size_t l = 0; l < 8; l++) {
                a0[l] = y0[l];
                a1[l] = y1[l];
                a2[l] = y2[l];
                a3[l] = y3[l];
            }
            for (size_t j = 0; j < nl; j++) {
                const double *restrict pj = p[j] + k0, *restrict cj = coef + j * Rp + r0;
                double c0 = cj[0], c1 = cj[1], c2 = cj[2], c3 = cj[3];
                for (size_t l = 0; l < 8; l++) {
                    a0[l] += c0 * pj[l];
                    a1[l] += c1 * pj[l];
                    a2[l] += c2 * pj[l];
                    a3[l] += c3 * pj[l];
                }
            }
            for (size_t l = 0; l < 8; l++) {
                y0[l] = a0[l];
                y1[l] = a1[l];
                y2[l] = a2[l];
                y3[l] = a3[l];
            }
        }
    for (; k0 < n; k0++)
        for (size_t r = 0; r < R; r++) {
            double a = y[r * n + k0];
            for (size_t j = 0; j < nl; j++)
                a += coef[j * Rp + r] * p[j][k0];
            y[r * n + k0] = a;
        }
}
