/* model_bump: place-field data of SPEC.md 2 -- a block of L = round(rho N)
 * spins +1 at a uniform position, each spin flipped with probability eps:
 * closed-form C(r), spectrum by FFT, entropy, exact sampler, and the top
 * mode's amplitude moment for theory/rmt. */
#include <math.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/models.h"

/* Largest N for which the bump entropy with 0 < eps < 1/2 is computed by
 * summing over all 2^N states: 2^24 states x N positions is ~0.5 s; beyond
 * that the entropy is reported as NAN (no closed form is known to us). */
#define BUMP_ENTROPY_NMAX 24

enum { BUMP_RHO = 0, BUMP_EPS = 1 };

/* L = round(rho N); rho is checked to lie in (0,1) before this is used. */
static size_t bump_L(double rho, size_t N)
{
    return (size_t)llround(rho * (double)N);
}

size_t ring_bump_L(const ring_model *m)
{
    return m->type == &ring_bump ? bump_L(m->val[BUMP_RHO], m->N) : 0;
}

static int check_rho(double v, size_t N, char *err)
{
    (void)N;
    if (!(v > 0 && v < 1))
        return sym_error(err, SYM_EINVAL, "rho = %g: need 0 < rho < 1", v);
    return SYM_OK;
}

static int check_eps(double v, size_t N, char *err)
{
    (void)N;
    if (!(v >= 0 && v <= 0.5))
        return sym_error(err, SYM_EINVAL, "eps = %g: need 0 <= eps <= 1/2", v);
    return SYM_OK;
}

static int bump_check(const double *val, size_t N, char *err)
{
    size_t L = bump_L(val[BUMP_RHO], N);
    if (L < 1 || L > N - 1)
        return sym_error(err, SYM_EINVAL, "rho = %g: L = round(rho N) = %zu at N = %zu, need 1 <= L <= N-1",
                         val[BUMP_RHO], L, N);
    return SYM_OK;
}

static int bump_fill(ring_model *m, char *err)
{
    size_t N = m->N, L = ring_bump_L(m);
    double eps = m->val[BUMP_EPS], a = (1 - 2 * eps) * (1 - 2 * eps);
    for (size_t r = 0; r < N; r++) {
        size_t rp = r < N - r ? r : N - r, d = rp;
        if (L < d)
            d = L;
        if (N - L < d)
            d = N - L;
        m->C[r] = r == 0 ? 1.0 : a * (1 - 4.0 * (double)d / (double)N);
    }
    int st = ring_lambda_from_C(m, err);
    if (st)
        return st;

    m->mean = (1 - 2 * eps) * (2.0 * (double)L / (double)N - 1);
    m->logZ = NAN;
    if (eps == 0) {
        /* N distinct translates of one block (a single block is never
         * periodic with a period < N), each with probability 1/N. */
        m->entropy = log((double)N);
    } else if (eps == 0.5) {
        m->entropy = (double)N * log(2.0);
    } else if (N <= BUMP_ENTROPY_NMAX) {
        /* P(v) = (1-eps)^N / N sum_x q^{d(v, s_x)}, q = eps/(1-eps), d the
         * Hamming distance to the block at x. */
        uint32_t sx[BUMP_ENTROPY_NMAX];
        double qp[BUMP_ENTROPY_NMAX + 1];
        double q = eps / (1 - eps), pre = pow(1 - eps, (double)N) / (double)N;
        for (size_t d = 0; d <= N; d++)
            qp[d] = pow(q, (double)d);
        for (size_t x = 0; x < N; x++) {
            sx[x] = 0;
            for (size_t i = 0; i < N; i++)
                if ((i + N - x) % N < L)
                    sx[x] |= 1u << i;
        }
        double S = 0, comp = 0;   /* Kahan sum over 2^N terms */
        for (uint32_t v = 0; v < (1u << N); v++) {
            double P = 0;
            for (size_t x = 0; x < N; x++)
                P += qp[__builtin_popcount(v ^ sx[x])];
            P *= pre;
            double term = -P * log(P) - comp, nx = S + term;
            comp = (nx - S) - term;
            S = nx;
        }
        m->entropy = S;
    } else {
        m->entropy = NAN;
    }
    return SYM_OK;
}

static int bump_sample(const ring_model *m, gsl_rng *r, size_t B, int8_t *v, char *err)
{
    size_t N = m->N, L = ring_bump_L(m);
    double eps = m->val[BUMP_EPS];
    if ((unsigned long)(N - 1) > gsl_rng_max(r) - gsl_rng_min(r))
        return sym_error(err, SYM_EINVAL, "ring_sample: N = %zu exceeds the generator's range", N);
    for (size_t b = 0; b < B; b++) {
        int8_t *row = v + b * N;
        size_t x = (size_t)gsl_rng_uniform_int(r, (unsigned long)N);
        /* block (i - x) mod N < L: i = x .. x+L-1 mod N */
        for (size_t i = 0; i < N; i++)
            row[i] = -1;
        for (size_t j = 0; j < L; j++)
            row[(x + j) % N] = 1;
        if (eps > 0 && r->type == gsl_rng_mt19937) {
            /* gsl_rng_uniform of mt19937 is exactly k / 2^32 (k the raw
             * draw), so k < ceil(eps 2^32) gives the same flips as
             * "uniform < eps" without the double conversion */
            uint64_t thr = (uint64_t)ceil(eps * 4294967296.0);
            for (size_t i = 0; i < N; i++)
                if (r->type->get(r->state) < thr)
                    row[i] = (int8_t)-row[i];
        } else if (eps > 0) {
            for (size_t i = 0; i < N; i++)
                if (gsl_rng_uniform(r) < eps)
                    row[i] = (int8_t)-row[i];
        }
    }
    return SYM_OK;
}

static int bump_header(const ring_model *m, traj_header *h)
{
    return traj_header_set(h, "L", "%zu", ring_bump_L(m));
}

/* A signed tuning curve picks a phase: modes k = 1 and N-1 together,
 * S = 2 a_1^2 / norm2 (SPEC.md 4). */
static double bump_order(double norm2, double R, double a1)
{
    (void)R;
    return 2.0 * a1 * a1 / norm2;
}

/* m4 of the top mode, exactly for a fixed-amplitude signal plus circular
 * Gaussian flip noise (CLT in N): v^_k = signal (fixed modulus A, uniform
 * phase) + noise eta with E|eta|^2 = N b, b = 1 - (1-2 eps)^2, so
 * E|v^|^4 = A^4 + 4 A^2 N b + 2 (N b)^2, E|v^|^2 = A^2 + N b = N lambda. */
static double bump_m4(const ring_model *m)
{
    size_t N = m->N, kt = 1;
    for (size_t k = 1; k < N; k++)
        if (m->lambda[k] > m->lambda[kt])
            kt = k;
    double eps = m->val[BUMP_EPS];
    double a = (1 - 2 * eps) * (1 - 2 * eps), b = 1 - a, l = m->lambda[kt];
    double A2 = l - b;   /* per N */
    return (A2 * A2 + 4 * A2 * b + 2 * b * b) / (l * l);
}

static const ring_param bump_par[] = {
    [BUMP_RHO] = {"rho", 0.5, "bump width fraction, L = round(rho N), 0 < rho < 1", check_rho},
    [BUMP_EPS] = {"eps", 0.1, "bump flip probability, in [0, 1/2]", check_eps},
};

const ring_type ring_bump = {
    .name = "bump",
    .about = "a block of L = round(rho N) spins +1 at a uniform position, flips with probability eps",
    .npar = sizeof bump_par / sizeof bump_par[0],
    .par = bump_par,
    .check = bump_check,
    .fill = bump_fill,
    .sample = bump_sample,
    .header = bump_header,
    .order = bump_order,
    .m4 = bump_m4,
};
