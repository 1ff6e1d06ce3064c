/* kern_sim: the vectorised inner loops of the stochastic trainer (SPEC.md 1).
 *
 * One row at a time (a data sample or a Gibbs chain, int8 spins): the inputs
 * I_mu = sum_i w_{mu i} v_i, the outer-product accumulation of a gradient
 * term, the fused visible half-step of Gibbs sampling, the hidden draws, and
 * the uniform random numbers they use.  Compiled apart with vector flags
 * (Makefile; sim/kern_sim.c says which and why) with AVX-512 and AVX2+FMA
 * clones picked at load time.  Results are deterministic for a given binary
 * on a given machine.
 */
#ifndef SYM_KERN_SIM_H
#define SYM_KERN_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>

/* Interleaved xoshiro256++ generators (one per vector lane). */
#define KERN_SIM_LANES 8
/* Uniforms come in multiples of this many (two 32-bit halves per draw). */
#define KERN_SIM_UCHUNK (2 * KERN_SIM_LANES)

typedef struct {
    uint64_t s[4][KERN_SIM_LANES];
} kern_sim_rng;

/* Seed all lanes from 64 bits drawn from the GSL stream r (splitmix64
 * expansion; never the all-zero state). */
void kern_sim_rng_seed(kern_sim_rng *q, gsl_rng *r);

/* u[0..n'-1] uniform on [0, 1) with resolution 2^-32, n' = n rounded up to
 * a multiple of KERN_SIM_UCHUNK (u must have room for n'). */
void kern_sim_uniform(kern_sim_rng *q, double *u, size_t n);

/* The integers k of the uniforms k 2^-32 of kern_sim_uniform (same stream,
 * same rounding of n). */
void kern_sim_uniform32(kern_sim_rng *q, uint32_t *u, size_t n);

/* y[i] = x[i] as double, i < n. */
void kern_sim_to_double(size_t n, const int8_t *x, double *y);

/* I[mu] = sum_i w[mu*N + i] x[i] for mu < M. */
void kern_sim_inputs(size_t N, size_t M, const double *w, const double *x, double *I);

/* I[c*M + mu] = sum_i w[mu*N + i] X[c*N + i] for c < nr rows of X. */
void kern_sim_inputs_block(size_t N, size_t M, size_t nr, const double *w, const double *X,
                           double *I);

/* acc[mu*N + i] += sum_{c < nr} H[c*M + mu] X[c*N + i] (rows X of N). */
void kern_sim_outer(size_t N, size_t M, size_t nr, const double *H, const double *X, double *acc);

/* kern_sim_inputs_block and kern_sim_outer on nr contiguous int8 rows of
 * +-1 (the data term): bit for bit the results of the double kernels on
 * kern_sim_to_double of the rows; s is scratch of 2N doubles. */
void kern_sim_inputs_block_i8(size_t N, size_t M, size_t nr, const double *w, const int8_t *X,
                              double *s, double *I);
void kern_sim_outer_i8(size_t N, size_t M, size_t nr, const double *H, const int8_t *X,
                       double *acc);

/* acc[i] += sum_{c < nr} X[c*N + i]. */
void kern_sim_colsum(size_t N, size_t nr, const double *X, double *acc);

/* The visible half-step of a Gibbs chain, in single precision: w, g (may be
 * NULL) as floats (kern_sim_to_float of the double weights), the field
 * f_i = g_i + sum_mu h[mu] w[mu*N+i] and its tanh in float, s float scratch
 * of N; f[i] = tanh(f_i) = E[v_i | h] and the draw x_i = +1 iff
 * 2u_i - 1 < f_i (probability (1 + tanh f_i)/2).  Why float is
 * enough: the field carries relative rounding ~ M 2^-24 of sum_mu |h_mu
 * w_mu| + |g_i| (weights rounded once, then at most M + 1 float operations)
 * and tanh ~ 3 2^-24 relative plus ~2^-24 absolute near f = 0 (1 - e), so
 * P(v_i = +1) and E[v_i | h] are off by ~1e-7 of the field scale: a bias
 * six orders of magnitude below the Monte Carlo error 1/sqrt(chains) of
 * any PCD gradient (100 chains: 0.1), while 16 float lanes per AVX-512
 * register (8 for double), a degree-7 instead of degree-13 exp polynomial
 * and the float division make the step several times cheaper.  Gradient
 * accumulation, weights and optimiser stay double. */
void kern_sim_visible_f(size_t N, size_t M, const float *w, const float *g, const double *h,
                        const double *u, int8_t *x, float *s, double *f);

/* kern_sim_visible_f with the 32-bit uniforms of kern_sim_uniform32 and
 * E[v_i | h] = tanh f_i left in s (float, N entries): the same draws, and
 * in s the values of kern_sim_visible_f's f before widening. */
void kern_sim_visible_f32(size_t N, size_t M, const float *w, const float *g, const double *h,
                          const uint32_t *u, int8_t *x, float *s);

/* kern_sim_outer and kern_sim_colsum on float rows X: bit for bit their
 * results on the rows widened to double. */
void kern_sim_outer_f(size_t N, size_t M, size_t nr, const double *H, const float *X, double *acc);
void kern_sim_colsum_f(size_t N, size_t nr, const float *X, double *acc);

/* The _cols kernels: kern_sim_outer_i8, kern_sim_outer_f and
 * kern_sim_colsum_f restricted to the columns [i0, i1) of rows N apart
 * (acc too), for threads that split the sites (train.c, --threads).  Every
 * column's sum is the same sequence of operations as in the whole-row
 * kernel, so each acc[i] comes out bit for bit the same (tested). */
void kern_sim_outer_i8_cols(size_t N, size_t i0, size_t i1, size_t M, size_t nr, const double *H,
                            const int8_t *X, double *acc);
void kern_sim_outer_f_cols(size_t N, size_t i0, size_t i1, size_t M, size_t nr, const double *H,
                           const float *X, double *acc);
void kern_sim_colsum_f_cols(size_t N, size_t i0, size_t i1, size_t nr, const float *X,
                            double *acc);

/* I[c*M + mu] = sum_i w[mu*N + i] X[c*N + i] for nr rows X of +-1 as float
 * (kern_sim_i8_to_float) against float weights, summed in float: the inputs of the hidden draws of Gibbs
 * chains.  Error <= (N + 1) 2^-24 sum_i |w_i| (recursive-summation bound;
 * the lane-split sums make it ~ (N/16) 2^-24 sum |w|, typically far less),
 * i.e. a shift ~1e-5 of the field scale at N = 1000 at worst in a hidden
 * unit's draw probability, far below the Monte Carlo error of a PCD
 * gradient.  Not for the data term, which stays double. */
void kern_sim_inputs_block_f(size_t N, size_t M, size_t nr, const float *w, const float *X,
                             double *I);

/* y[i] = x[i] as float, i < n. */
void kern_sim_i8_to_float(size_t n, const int8_t *x, float *y);

/* y[k] = (float)x[k], k < n. */
void kern_sim_to_float(size_t n, const double *x, float *y);

/* Spin hidden units: h[k] = +1 with probability (1 + tanh(I[k] - theta))/2
 * using u[k], for k < n. */
void kern_sim_spin_draw(size_t n, double theta, const double *I, const double *u, double *h);

/* kern_sim_spin_draw with the 32-bit uniforms of kern_sim_uniform32. */
void kern_sim_spin_draw32(size_t n, double theta, const double *I, const uint32_t *u, double *h);

/* out[k] = tanh(I[k] - theta), k < n (Gamma' of a spin unit). */
void kern_sim_tanh(size_t n, double theta, const double *I, double *out);

/* blk[i*N + j] += sum_{c < nr} X[c*N + i] X[c*N + j] for j >= i (int8 rows;
 * the caller keeps the partial sums below 2^31). */
void kern_sim_corr_accum(size_t N, size_t nr, const int8_t *X, int32_t *blk);

/* One ADAM ascent step (Kingma & Ba 2015) on x[0..n-1]: moments m, s with
 * rates b1, b2, bias corrections c1 = 1 - b1^t, c2 = 1 - b2^t. */
void kern_sim_adam(size_t n, double *x, const double *grad, double *m, double *s, double b1,
                   double b2, double c1, double c2, double eps, double lr);

/* ---- bit-sliced Gibbs sampling (sim/train.c, gibbs = bits) ----------------
 * For binary hidden units the visible conditional P(v_i = +1 | h) takes only
 * 2^M values per site, so each is precomputed once per update as a 32-bit
 * threshold t (P rounded to the grid 2^-32, as the 32-bit uniforms of
 * kern_sim_uniform: |P_drawn - P| <= 2^-32) and a visible draw is U < t for a
 * uniform 32-bit U whose bits are drawn lazily, 64 sites at once: bit l of
 * word k is bit k (most significant first) of site l's U.  Draws are exact
 * for the rounded thresholds.  Sites of a row are packed 64 to a uint64_t,
 * site i in bit i%64 of word i/64, +1 = 1 (little-endian: byte j of the row
 * holds sites 8j..8j+7, used by kern_sim_byte_dot). */

/* Bit planes per threshold (the uniform's resolution in bits). */
#define KERN_SIM_PLANES 32
/* Words kern_sim_bern64 always uses (below: why). */
#define KERN_SIM_BERN_FIRST 8

/* out[0..n'-1]: raw 64-bit xoshiro256++ outputs, n' = n rounded up to a
 * multiple of KERN_SIM_LANES (out must have room for n'). */
void kern_sim_bits(kern_sim_rng *q, uint64_t *out, size_t n);

/* The threshold of P(v = +1) = (1 + tanh f)/2: round(P 2^32), capped at
 * 2^32 - 1. */
uint32_t kern_sim_threshold(double f);

/* planes[k], k < KERN_SIM_PLANES: bit l (l < n <= 64) = bit 31 - k of t[l]. */
void kern_sim_planes(size_t n, const uint32_t *t, uint64_t *planes);

/* For each lane l set in lanes: bit l of the result = [U_l < t_l] with t the
 * thresholds of planes and U_l's bits from bit l of r[0], r[1], ... (most
 * significant first); r must hold KERN_SIM_PLANES words, *used gets how many
 * were consumed (the rest stay unused for the next call). */
static inline uint64_t kern_sim_bern64(const uint64_t *planes, uint64_t lanes, const uint64_t *r, size_t *used)
{
    /* Lane l draws U_l, 32 bits, most significant first, bit k from bit l of
     * r[k]; the draw is U_l < t_l, decided at the first bit where U_l and
     * t_l differ (U bit 0, t bit 1: below).  Lanes never decided have U = t
     * exactly, i.e. not below.  The first KERN_SIM_BERN_FIRST words are
     * always used, without a branch (64 lanes need about log2(64) + 1.3 =
     * 7.3 on average: a data-dependent loop exit mispredicts about once per
     * call, which costs more than the words), then one at a time while any
     * lane is undecided (about one call in five), at most KERN_SIM_PLANES. */
    uint64_t und = lanes, out = 0;
    /* unrolled: GCC -O2 keeps it a loop otherwise (measured) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 8
#endif
    for (int k = 0; k < KERN_SIM_BERN_FIRST; k++) {
        uint64_t u = r[k], p = planes[k];
        out |= ~u & p & und;
        und &= ~(u ^ p);
    }
    int k = KERN_SIM_BERN_FIRST;
    while (und && k < KERN_SIM_PLANES) {
        uint64_t u = r[k], p = planes[k];
        out |= ~u & p & und;
        und &= ~(u ^ p);
        k++;
    }
    *used = (size_t)k;
    return out;
}

/* T[j*256 + x], j < ceil(N/8), x < 256: sum of w[8j + b] over the bits b set
 * in x (sites >= N: 0), so that sum_{i: v_i = +1} w_i of a packed row v is
 * kern_sim_byte_dot: ceil(N/8) look-ups instead of N multiply-adds. */
void kern_sim_byte_table(size_t N, const double *w, double *T);
static inline double kern_sim_byte_dot(size_t nbyte, const double *T, const uint8_t *v)
{
    /* two accumulators: the look-ups are independent, the adds need not be
     * one chain */
    double s0 = 0.0, s1 = 0.0;
    size_t j = 0;
    for (; j + 1 < nbyte; j += 2) {
        s0 += T[j * 256 + v[j]];
        s1 += T[(j + 1) * 256 + v[j + 1]];
    }
    if (j < nbyte)
        s0 += T[j * 256 + v[j]];
    return s0 + s1;
}


/* ---- gibbs = lanes: the bits kernel with one random stream per chain ----
 * (train.c, TRAIN_GIBBS_LANES).  KERN_SIM_LANES chains step together, chain
 * l of a group drawing from xoshiro lane l, so that the bit-sliced visible
 * draws of 8 chains are one vector operation (the bits kernel's word-wise
 * operations are a chain's serial critical path); and the hidden draw is
 * U (1 + E) < 1 with E = exp(-2 (I - theta)) as a product of table
 * entries, no exp. */

/* Largest 2^M of kern_sim_bern64_lanes (masks per configuration). */
#define KERN_SIM_LANES_CFG 16

/* kern_sim_bern64 for KERN_SIM_LANES chains at once (lane l: chain l, its
 * hidden configuration cfg[l] < ncfg <= KERN_SIM_LANES_CFG, the planes of
 * configuration c at planes + c cstride, its active sites lanes[l], result
 * out[l]); word k of lane l is r[KERN_SIM_LANES k + l] (kern_sim_bits'
 * layout), every lane takes the same words: at least KERN_SIM_BERN_FIRST,
 * then one more while any lane is undecided.  Returns the words used
 * (per lane). */
size_t kern_sim_bern64_lanes(size_t ncfg, const uint64_t *planes, size_t cstride,
                             const uint8_t *cfg, const uint64_t *lanes, const uint64_t *r,
                             uint64_t *out);

/* P[j*256 + x] = exp(-4 sum of w[8j + b] over the bits b set in x) (sites
 * >= N: factor 1), j < ceil(N/8): exp(-4 sum_{v_i = +1} w_i) of a packed
 * row is kern_sim_byte_prod.  Each entry is within ~23 2^-53 of its exact
 * value (relative; 8 exps, 7 products). */
void kern_sim_prod_table(size_t N, const double *w, double *P);

/* prod_j P[j*256 + v[j]], four independent products. */
static inline double kern_sim_byte_prod(size_t nbyte, const double *P, const uint8_t *v)
{
    double p0 = 1.0, p1 = 1.0, p2 = 1.0, p3 = 1.0;
    size_t j = 0;
    for (; j + 3 < nbyte; j += 4) {
        p0 *= P[j * 256 + v[j]];
        p1 *= P[(j + 1) * 256 + v[j + 1]];
        p2 *= P[(j + 2) * 256 + v[j + 2]];
        p3 *= P[(j + 3) * 256 + v[j + 3]];
    }
    for (; j < nbyte; j++)
        p0 *= P[j * 256 + v[j]];
    return (p0 * p1) * (p2 * p3);
}

#endif
