/* spin_exact: the 2^M sum of sim/spin_exact.h.
 *
 * Two passes over the same depth-first walk: the first forms the log-weight
 * of every configuration (sum_i log 2cosh a_i, core/kern's vector kernel),
 * hence their maximum and log Z; the second, with P(h) known, forms
 * tanh(a_i) per configuration (core/kern again) and the averages.  Storing
 * 2^M log-weights (<= 1 MB) is cheaper than a running-max rescaling of every
 * partial sum in the tree.  The walk keeps one field row A_k and one partial
 * sum row R_k per level k:
 *   A_{k+1} = A_k +- w_k                      (h_k = +-1)
 *   R_k = sum over the leaves below of c(h) tanh(a(h)),
 *   <v h_k> += R_{k+1}(h_k = +1) - R_{k+1}(h_k = -1)
 * so every hidden unit's average costs N per node instead of N per leaf,
 * and each field is the sum of at most M + 1 terms, as a direct sum is.
 */
#include "sim/spin_exact.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/kern.h"
#include "core/size.h"

struct spinx_ws {
    size_t N, M;
    double *A;    /* (M + 1) x N fields, row k at depth k                    */
    double *R;    /* (M + 1) x N partial sums of c(h) tanh(a(h))             */
    double *L;    /* 2 x 2^M log-weights: h, then its mirror -h (symmetric)  */
};

void spinx_size(size_t N, size_t M, size_t *rows, size_t *confs)
{
    (void)N;
    *rows = 2 * (M + 1);
    *confs = (size_t)2 << (M < SPINX_MMAX ? M : SPINX_MMAX);
}

double spinx_work(size_t N, size_t M)
{
    /* per configuration: one log 2cosh and one tanh per site, the field and
     * partial-sum updates of its share of the tree */
    return ldexp(4.0 * (double)N, (int)(M < SPINX_MMAX ? M : SPINX_MMAX));
}

int spinx_alloc(spinx_ws **out, size_t N, size_t M, char *err)
{
    *out = NULL;
    if (N < 1)
        return sym_error(err, SYM_EINVAL, "N = %zu: need N >= 1", N);
    if (M < 1 || M > SPINX_MMAX)
        return sym_error(err, SYM_EINVAL, "M = %zu: the sum over hidden configurations needs "
                         "1 <= M <= %d", M, SPINX_MMAX);
    size_t rows, confs;
    spinx_size(N, M, &rows, &confs);
    int st = sym_alloc_check(rows, N, sizeof(double), "2(M+1)*N spin-sum rows", NULL, err);
    if (st)
        return st;
    spinx_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return sym_error(err, SYM_ENOMEM, "out of memory");
    ws->N = N;
    ws->M = M;
    ws->A = malloc((M + 1) * N * sizeof *ws->A);
    ws->R = malloc((M + 1) * N * sizeof *ws->R);
    ws->L = malloc(confs * sizeof *ws->L);
    if (!ws->A || !ws->R || !ws->L) {
        spinx_free(ws);
        return sym_error(err, SYM_ENOMEM, "out of memory (N = %zu, M = %zu)", N, M);
    }
    *out = ws;
    return SYM_OK;
}

void spinx_free(spinx_ws *ws)
{
    if (!ws)
        return;
    free(ws->A);
    free(ws->R);
    free(ws->L);
    free(ws);
}

/* The row loops of the walk, with restrict so that they vectorise (at -O2
 * GCC's "very cheap" model would leave loops of unknown length scalar; the
 * cheap model adds the epilogue and no run-time alias checks); an AVX2
 * clone as in core/kern.  Element-wise only (no reductions), so every
 * clone gives the same numbers. */
#define SPINX_VEC __attribute__((optimize("vect-cost-model=cheap"), target_clones("avx2", "default")))

/* y = a + s x, s = +-1 (exact: the field of a child from its parent's) */
SPINX_VEC static void row_step(size_t n, double *restrict y, const double *restrict a, double s,
                               const double *restrict x)
{
    for (size_t i = 0; i < n; i++)
        y[i] = a[i] + s * x[i];
}

/* m += s r, R = r (s = +1) or R += r (s = -1): the sums of two children */
SPINX_VEC static void row_merge(size_t n, double *restrict m, double *restrict R,
                                const double *restrict r, int first)
{
    if (first) {
        if (m)
            for (size_t i = 0; i < n; i++)
                m[i] += r[i];
        memcpy(R, r, n * sizeof *R);
    } else {
        if (m)
            for (size_t i = 0; i < n; i++)
                m[i] -= r[i];
        for (size_t i = 0; i < n; i++)
            R[i] += r[i];
    }
}

/* a leaf: mg += cg t, t *= cm (t = tanh a, in place) */
SPINX_VEC static void row_leaf(size_t n, double *restrict t, double *restrict mg, double cm,
                               double cg)
{
    if (mg && cg != 0.0)
        for (size_t i = 0; i < n; i++)
            mg[i] += cg * t[i];
    for (size_t i = 0; i < n; i++)
        t[i] *= cm;
}

/* One walk: F enumerated units (0..F-1; with sym the last unit M - 1 is
 * fixed to +1 and each leaf stands for h and -h). */
typedef struct {
    spinx_ws *ws;
    const double *w;
    size_t F;
    int sym;
    double theta;
    size_t leaf;         /* leaves visited so far (the index into L)          */
    double mx, inv;      /* pass 2: max log-weight, 1 / sum exp(L - mx)       */
    double *mw, *mg;
} spinx_walk;

static void walk_logw(spinx_walk *p, size_t k, double s)
{
    size_t N = p->ws->N;
    const double *A = p->ws->A + k * N;
    if (k == p->F) {
        /* sum_i log 2cosh a_i is even in a: shared by h and -h */
        double C = kern_logcosh_sum(A, NULL, N, 1.0);
        size_t nl = (size_t)1 << p->F;
        p->ws->L[p->leaf] = C - p->theta * s;
        if (p->sym)
            p->ws->L[nl + p->leaf] = C + p->theta * s;
        p->leaf++;
        return;
    }
    double *An = p->ws->A + (k + 1) * N;
    const double *wk = p->w + k * N;
    row_step(N, An, A, 1.0, wk);
    walk_logw(p, k + 1, s + 1.0);
    row_step(N, An, A, -1.0, wk);
    walk_logw(p, k + 1, s - 1.0);
}

static void walk_avg(spinx_walk *p, size_t k)
{
    size_t N = p->ws->N;
    const double *A = p->ws->A + k * N;
    double *R = p->ws->R + k * N;
    if (k == p->F) {
        size_t nl = (size_t)1 << p->F;
        double cp = exp(p->ws->L[p->leaf] - p->mx) * p->inv;
        double cm = p->sym ? exp(p->ws->L[nl + p->leaf] - p->mx) * p->inv : 0.0;
        p->leaf++;
        /* <v h_mu>: h and -h contribute h_mu tanh(a) alike; <v>: with
         * opposite signs (tanh is odd) */
        double c_m = p->sym ? cp + cm : cp, c_g = p->sym ? cp - cm : cp;
        if (c_m == 0.0 && c_g == 0.0) {
            memset(R, 0, N * sizeof *R);   /* underflowed: contributes nothing */
            return;
        }
        const double one = 1.0;
        kern_tanh_table(A, NULL, N, &one, 1, R);
        row_leaf(N, R, p->mg, c_m, c_g);
        return;
    }
    double *An = p->ws->A + (k + 1) * N, *Rn = p->ws->R + (k + 1) * N;
    double *mk = p->mw ? p->mw + k * N : NULL;
    const double *wk = p->w + k * N;
    row_step(N, An, A, 1.0, wk);
    walk_avg(p, k + 1);
    row_merge(N, mk, R, Rn, 1);
    row_step(N, An, A, -1.0, wk);
    walk_avg(p, k + 1);
    row_merge(N, mk, R, Rn, 0);
}

int spinx_eval(spinx_ws *ws, const double *w, const double *g, double theta, double *logZ,
               double *mw, double *mg, char *err)
{
    size_t N = ws->N, M = ws->M;
    int gzero = 1;
    for (size_t i = 0; g && i < N; i++)
        gzero &= g[i] == 0.0;
    spinx_walk p = {ws, w, gzero ? M - 1 : M, gzero, theta, 0, 0, 0, mw, mg};
    /* the root's field: g, or (symmetric) the fixed unit's w_{M-1}; the
     * walk starts with sum h = 1 for that unit */
    if (gzero)
        memcpy(ws->A, w + (M - 1) * N, N * sizeof *ws->A);
    else
        memcpy(ws->A, g, N * sizeof *ws->A);
    walk_logw(&p, 0, gzero ? 1.0 : 0.0);
    size_t nl = (size_t)1 << p.F, nL = gzero ? 2 * nl : nl;
    double mx = -INFINITY, sum = 0;
    for (size_t l = 0; l < nL; l++)
        mx = fmax(mx, ws->L[l]);
    for (size_t l = 0; l < nL; l++)
        sum += exp(ws->L[l] - mx);
    double lz = mx + log(sum);
    if (logZ)
        *logZ = lz;
    if (!isfinite(lz))
        return sym_error(err, SYM_ENUM, "sum over hidden configurations: log Z = %g not finite "
                         "(non-finite weights or fields?)", lz);
    if (!mw && !mg)
        return SYM_OK;
    if (mw)
        memset(mw, 0, M * N * sizeof *mw);
    if (mg)
        memset(mg, 0, N * sizeof *mg);
    p.leaf = 0;
    p.mx = mx;
    p.inv = 1.0 / sum;
    walk_avg(&p, 0);
    /* symmetric: the fixed unit has h = +1 at every visited leaf (and the
     * mirror's -1 x -tanh), so its average is the root's whole sum */
    if (gzero && mw)
        memcpy(mw + (M - 1) * N, ws->R, N * sizeof *mw);
    return SYM_OK;
}
