/* model_ising2: the ring with nearest and next-nearest couplings,
 *     P(v) ∝ exp(beta sum_i v_i v_{i+1} + beta2 sum_i v_i v_{i+2})   (periodic)
 * (beta >= 0, beta2 of either sign: beta2 < 0 frustrates the chain, the
 * ANNNI chain) -- exact C(r), spectrum, log Z, entropy and sampler from the
 * 4-state transfer matrix on pairs s_i = (v_i, v_{i+1}).
 *
 * Transfer matrix: T[(a,b),(b,c)] = exp(beta a b + beta2 a c), zero unless
 * the shared spin agrees, so that P(v) = prod_i T[s_i, s_{i+1}] / tr T^N
 * (s_N = s_0; this holds for every N >= 3).  Every quantity is a sum of
 * products of non-negative entries of powers T^n: there is no cancellation
 * however strong or frustrated the couplings (the eigenvalue form tr T^N =
 * sum_k mu_k^N cancels to nothing when, e.g., beta2 << 0 and N = 2 mod 4,
 * where the ++-- ground state does not fit).  T^n is built by n products
 * with its entries held as logarithms, renormalised at each step, so
 * nothing overflows or underflows at N = 10^6 or at large couplings; the
 * error grows at most like n rounding errors.
 *
 * Symmetries used: the global flip F (v -> -v) commutes with T, so only the
 * two columns of T^n ending in a state with first spin +1, s0 in {(+,+),
 * (+,-)}, are needed: c_s0^(n)[x] = T^n[x, s0].  Then, with the states of
 * first spin + written P and those of first spin - written M,
 *   Z        = tr T^N = 2 sum_{x in P} T^N[x,x],
 *   Z_same(r) = sum over v with v_0 = v_r = 2 sum_{x,y in P} T^r[x,y] T^(N-r)[y,x],
 *   Z_diff(r) = sum over v with v_0 != v_r = 2 sum_{x in P, y in M} T^r[x,y] T^(N-r)[y,x],
 * T^r[x,y] = c_y^(r)[x] for y in P and c_{Fy}^(r)[Fx] for y in M, and
 * C(r) = (Z_same - Z_diff) / (Z_same + Z_diff) = tanh((log Z_same - log Z_diff) / 2).
 *
 * Sampler: v_0 = +-1 with probability 1/2, then in the frame v_0 = +1
 * (multiply by v_0 at the end) v_1 from P(s_0) = T^N[s_0,s_0] / Z and, for
 * i = 1..N-2, v_{i+1} from
 *   P(s_i | s_{i-1}, s_0) = T[s_{i-1}, s_i] T^(N-i)[s_i, s_0] / T^(N-i+1)[s_{i-1}, s_0],
 * i.e. P(v_{i+1} = c | v_{i-1} = a, v_i = b, v_1) ∝ e^{beta2 a c} T^n[(b,c), s_0],
 * n = N - i (s_{N-1} = (v_{N-1}, v_0) is then fixed).  One uniform per spin;
 * the 8 conditionals per site are tabulated once, in ring_alloc.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/models.h"

enum { I2_BETA = 0, I2_BETA2 = 1 };

/* State index of the pair (a, b): 2 [a = -1] + [b = -1]; the flip is 3 - x. */
#define I2_STATE(a, b) (2 * ((a) < 0) + ((b) < 0))
#define I2_SPIN(bit) ((bit) ? -1 : 1)

static int check_beta2(double v, size_t N, char *err)
{
    (void)N;
    if (!isfinite(v))
        return sym_error(err, SYM_EINVAL, "beta2 = %g: need a finite value", v);
    return SYM_OK;
}

/* log(e^x + e^y), exact for -inf arguments. */
static double lae(double x, double y)
{
    if (x < y) {
        double t = x;
        x = y;
        y = t;
    }
    return y == -INFINITY ? x : x + log1p(exp(y - x));
}

/* log sum_k e^{x[k]}, k < n. */
static double lse(const double *x, size_t n)
{
    double mx = -INFINITY, s = 0;
    for (size_t k = 0; k < n; k++)
        mx = x[k] > mx ? x[k] : mx;
    if (mx == -INFINITY)
        return mx;
    for (size_t k = 0; k < n; k++)
        s += exp(x[k] - mx);
    return mx + log(s);
}

/* Log transfer weights, shifted so that the largest is 0:
 * lw[x][c] = log T[x = (a,b), (b,c)] - (beta + |beta2|)
 *          = beta (a b - 1) + |beta2| (sign(beta2) a c - 1) <= 0. */
static void log_weights(double beta, double beta2, double lw[4][2])
{
    double g = fabs(beta2), s = beta2 < 0 ? -1 : 1;
    for (int x = 0; x < 4; x++)
        for (int cb = 0; cb < 2; cb++) {
            int a = I2_SPIN(x >> 1), b = I2_SPIN(x & 1), c = I2_SPIN(cb);
            lw[x][cb] = beta * (a * b - 1) + g * (s * a * c - 1);
        }
}

/* One step c^(n+1) = T c^(n) for both columns (col[8] = c_0[0..3],
 * c_1[0..3]), renormalised so that the largest entry is 0; returns the
 * shift taken off (log of the scale). */
static double step(const double lw[4][2], double *col)
{
    double nx[8], mx = -INFINITY;
    for (int s0 = 0; s0 < 2; s0++)
        for (int x = 0; x < 4; x++) {
            int b = x & 1;   /* T[(a,b), (b,c)]: the next state is (b, c) */
            double t = lae(lw[x][0] + col[4 * s0 + 2 * b], lw[x][1] + col[4 * s0 + 2 * b + 1]);
            nx[4 * s0 + x] = t;
            mx = t > mx ? t : mx;
        }
    for (int k = 0; k < 8; k++)
        col[k] = nx[k] - mx;
    return mx;
}

/* log Z_same(r) - log Z_diff(r) from the columns of T^r (cr) and of
 * T^(N-r) (cn); +inf when Z_diff = 0 (r = 0). */
static double same_minus_diff(const double *cr, const double *cn)
{
    double ts[4], td[4];
    for (int x = 0; x < 2; x++)
        for (int y = 0; y < 2; y++) {
            /* y in P: T^r[x,y] = c_y[x]; y' = y + 2 in M: T^r[x,y'] = c_{3-y'}[3-x] */
            ts[2 * x + y] = cr[4 * y + x] + cn[4 * x + y];
            td[2 * x + y] = cr[4 * (1 - y) + (3 - x)] + cn[4 * x + y + 2];
        }
    double ls = lse(ts, 4), ld = lse(td, 4);
    return ld == -INFINITY ? INFINITY : ls - ld;
}

/* The 8 conditionals at n = N - i from the columns of T^n (see the top). */
static void conditionals(double beta2, const double *col, double *p)
{
    for (int d = 0; d < 2; d++)
        for (int ab = 0; ab < 2; ab++)
            for (int bb = 0; bb < 2; bb++) {
                int a = I2_SPIN(ab), b = I2_SPIN(bb);
                double keep = beta2 * a * b + col[4 * d + I2_STATE(b, b)];
                double flip = beta2 * a * -b + col[4 * d + I2_STATE(b, -b)];
                p[4 * d + 2 * ab + bb] = 1 / (1 + exp(flip - keep));
            }
}

static int ising2_fill(ring_model *m, char *err)
{
    size_t N = m->N, h = N / 2;
    double beta = m->val[I2_BETA], beta2 = m->val[I2_BETA2], dN = (double)N;
    if (N > SIZE_MAX / (8 * sizeof(double)))
        return sym_error(err, SYM_ENOMEM, "ring_alloc: N = %zu is too large", N);
    double *tab = malloc(sizeof(double) * 8 * N);
    double *keep = malloc(sizeof(double) * 8 * (h + 1));   /* columns of T^r, r <= N/2 */
    if (!tab || !keep) {
        free(tab);
        free(keep);
        return sym_error(err, SYM_ENOMEM, "ring_alloc: out of memory for the ising2 tables at N = %zu", N);
    }
    double lw[4][2], col[8], delta[3] = {INFINITY, NAN, NAN};
    log_weights(beta, beta2, lw);
    for (int k = 0; k < 8; k++)
        col[k] = -INFINITY;
    col[0] = col[4 + 1] = 0;   /* T^0 = identity: c_0[0] = c_1[1] = 1 */
    double L = 0, comp = 0;    /* sum of the shifts (Kahan): log scale of T^n */
    for (size_t k = 0; k < 8; k++)
        tab[k] = NAN;
    for (size_t n = 0;; n++) {
        if (n <= h)
            memcpy(keep + 8 * n, col, sizeof col);
        if (n >= N - h) {
            size_t r = N - n;
            double dl = same_minus_diff(keep + 8 * r, col);
            m->C[r] = r == 0 ? 1.0 : tanh(dl / 2);
            if (r > 0)
                m->C[N - r] = m->C[r];
            if (r == 1 || r == 2)
                delta[r] = dl;
            if (r == 1 && N - r == 2)   /* N = 3: C(2) = C(1) */
                delta[2] = dl;
        }
        if (n >= 2 && n <= N - 1)
            conditionals(beta2, col, tab + 8 * (N - n));
        if (n == N)
            break;
        double y = step(lw, col) - comp, t = L + y;
        comp = (t - L) - y;
        L = t;
    }
    /* P(v_1 = +1 | v_0 = +1) = T^N[0,0] / (T^N[0,0] + T^N[1,1]) */
    tab[0] = 1 / (1 + exp(col[4 + 1] - col[0]));
    for (size_t k = 8 * (N - 1); k < 8 * N; k++)
        tab[k] = NAN;
    free(keep);
    for (size_t r = 0; r < N; r++)
        if (!isfinite(m->C[r])) {
            free(tab);
            return sym_error(err, SYM_ENUM, "ring_alloc: ising2 at beta = %g, beta2 = %g: C(%zu) is not finite "
                             "(couplings beyond double range)", beta, beta2, r);
        }
    m->state = tab;
    m->mean = 0;
    /* log Z = log Z~ + N (beta + |beta2|) with Z~ the sum of the shifted
     * weights; S = log Z - beta N C(1) - beta2 N C(2) written as
     * log Z~ + beta N (1 - C(1)) + |beta2| N (1 - sign(beta2) C(2)), whose
     * last two terms are >= 0 and come with full relative accuracy from
     * 1 -+ C = 2 / (1 + e^{+-delta}), delta = log Z_same - log Z_diff. */
    double lZt = L + log(2.0) + lae(col[0], col[4 + 1]);
    m->logZ = lZt + dN * (beta + fabs(beta2));
    double e1 = beta > 0 ? beta * dN * 2 / (1 + exp(delta[1])) : 0;
    double s = beta2 < 0 ? -1 : 1;
    double e2 = beta2 != 0 ? fabs(beta2) * dN * 2 / (1 + exp(s * delta[2])) : 0;
    m->entropy = lZt + e1 + e2;
    return ring_lambda_from_C(m, err);
}

int ring_ising2_conditionals(const ring_model *m, double *p, char *err)
{
    if (m->type != &ring_ising2)
        return sym_error(err, SYM_EINVAL, "ring_ising2_conditionals: model is %s, not ising2", m->type->name);
    memcpy(p, m->state, sizeof(double) * 8 * m->N);
    return SYM_OK;
}

static int ising2_sample(const ring_model *m, gsl_rng *r, size_t B, int8_t *v, char *err)
{
    (void)err;
    size_t N = m->N;
    const double *p = m->state;
    /* mt19937: gsl_rng_uniform is exactly k / 2^32 of the raw draw k, so
     * calling the raw generator directly gives the same numbers without
     * the double-valued indirect call */
    int raw = r->type == gsl_rng_mt19937;
    unsigned long (*get)(void *) = r->type->get;
    void *st = r->state;
#define I2_UNIFORM() (raw ? (double)get(st) * (1.0 / 4294967296.0) : gsl_rng_uniform(r))
    for (size_t b = 0; b < B; b++) {
        int8_t *row = v + b * N;
        int8_t v0 = I2_UNIFORM() < 0.5 ? 1 : -1;
        /* w_i = v_i v_0, as bits: 1 for w_i = -1 */
        size_t d = I2_UNIFORM() < p[0] ? 0 : 1, prev = 0, cur = d;
        row[0] = v0;
        row[1] = d ? (int8_t)-v0 : v0;
        for (size_t i = 1; i + 1 < N; i++) {
            size_t next = I2_UNIFORM() < p[8 * i + 4 * d + 2 * prev + cur] ? cur : cur ^ 1;
            row[i + 1] = next ? (int8_t)-v0 : v0;
            prev = cur;
            cur = next;
        }
    }
#undef I2_UNIFORM
    return SYM_OK;
}

/* As for ising: a same-sign receptive field localises, S = R. */
static double ising2_order(double norm2, double R, double a1)
{
    (void)norm2;
    (void)a1;
    return R;
}

static const ring_param ising2_par[] = {
    [I2_BETA] = {"beta", 1.0, "nearest-neighbour coupling (>= 0)", ring_check_beta},
    [I2_BETA2] = {"beta2", 0.0, "ising2 next-nearest-neighbour coupling (any sign)", check_beta2},
};

const ring_type ring_ising2 = {
    .name = "ising2",
    .about = "P(v) ~ exp(beta sum_i v_i v_{i+1} + beta2 sum_i v_i v_{i+2}), periodic",
    .npar = sizeof ising2_par / sizeof ising2_par[0],
    .par = ising2_par,
    .check = NULL,
    .fill = ising2_fill,
    .sample = ising2_sample,
    .header = NULL,
    .order = ising2_order,
    /* no finite-B splitting (rmt's B -> infinity formulas), also where
     * beta2 < 0 moves the top mode to a pair k, N-k */
    .m4 = NULL,
};
