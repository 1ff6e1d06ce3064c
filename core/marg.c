#include "core/marg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_integration.h>

#include "core/err.h"
#include "core/kern.h"
#include "core/team.h"

/* ---- precision knobs (all in one place) -------------------------------- */

/* Every tail is followed until phi has fallen MARG_DROP below its maximum:
 * the neglected mass is below exp(-40) ~ 4e-18 of the total, far under the
 * 1e-10 accuracy SPEC.md 3 asks for. */
#define MARG_DROP 40.0

/* Gauss-Hermite path.  A peak whose log-density is Gaussian to within
 * MARG_GAUSS_TOL at +-MARG_GAUSS_AT standard deviations is integrated with
 * MARG_GH Hermite nodes centred on it and scaled by its curvature: the
 * integrand is then a Gaussian times a nearly-constant factor, which the
 * rule integrates to ~1e-13 (tests/test_marg.c: enumeration, dense grid).
 * This is the common case (the paramagnetic peak, and the separated peaks of
 * a localised receptive field); flat or lopsided peaks take the panels. */
#define MARG_GH 24
#define MARG_GAUSS_AT 3.0
#define MARG_GAUSS_TOL 0.05
/* Reach of the Hermite rule in standard deviations (largest node of the
 * 24-point rule is 6.5 in e^{-x^2} units, 9.2 sigma): a peak closer than
 * this to h = 0 (a piece boundary) is not handled by it. */
#define MARG_GH_REACH 9.5

/* Panel path: Gauss-Legendre panels marched out from each peak.  A panel
 * starting MARG level L below the maximum may span a fall of
 * MARG_PANEL_D0 + MARG_PANEL_D1 * L: far panels carry little mass and need
 * less relative accuracy. */
#define MARG_GL 12
#define MARG_PANEL_D0 4.0
#define MARG_PANEL_D1 1.0
/* Curvature floor (fraction of gamma) for the first step off a flat peak
 * (near sum w^2 = gamma the peak is quartic, width ~ N^(1/4)). */
#define MARG_CURV_FLOOR 1e-2
/* Panels allowed per tail: a guard, the fall per panel grows geometrically. */
#define MARG_MAX_PANELS 200

/* Peak location: Newton iterations (safeguarded by bisection) to this
 * tolerance in units of 1/sqrt(gamma).  The integral does not depend on
 * it: the Hermite centre only needs to be near the peak. */
#define MARG_PEAK_TOL 1e-9
#define MARG_ROOT_ITER 100
#define MARG_MAX_PEAKS 2

/* ---- workspace ------------------------------------------------------------ */

struct marg_ws {
    size_t N;
    size_t cap;              /* node capacity                              */
    double *h, *wq, *lw, *p; /* nodes, log quadrature weights, log weights,
                                normalised probabilities                  */
    double *c1, *c0;         /* node coefficients for the site sums       */
    double *hm, *pm;         /* mirrored copies for marg_nodes            */
    size_t n;
    int mirrored;
    double gh_x[MARG_GH], gh_lw[MARG_GH]; /* Hermite nodes, log weights    */
    double prev[UNIT_MAX_PIECES]; /* last interior peak per piece (warm start) */
    int has_prev[UNIT_MAX_PIECES];
    double *mscratch;        /* <v_i h> when the caller wants only <v_i> */
    double *jA, *jd, *jm, *jAv, *jp; /* Jacobian: a table (n x N), d, m,
                                          a.v, node weights (frozen copies) */
    size_t jn, jcap;         /* nodes in the table, its capacity          */
    gsl_integration_glfixed_table *gl;
    team *tm;                /* marg_set_team (not owned), or NULL         */
    double *bs, *bl;         /* kern_logcosh_parts per block, for the team */
};

/* The site loops of a team: from this N on (below it a fork and join,
 * ~1 us, is a sizeable part of a 10 us loop). */
#define MARG_TEAM_MIN_N 4096

/* sites [i0, i1) of member t of T: whole KERN_LOGCOSH_BLOCK blocks, so
 * that every member's loops see the addresses and the block boundaries
 * of the one-thread loop */
static void team_range(size_t N, size_t t, size_t T, size_t *i0, size_t *i1)
{
    size_t nb = (N + KERN_LOGCOSH_BLOCK - 1) / KERN_LOGCOSH_BLOCK;
    size_t b0 = nb * t / T, b1 = nb * (t + 1) / T;
    *i0 = b0 * KERN_LOGCOSH_BLOCK;
    *i1 = b1 * KERN_LOGCOSH_BLOCK < N ? b1 * KERN_LOGCOSH_BLOCK : N;
}

typedef struct {
    const double *w, *g;
    size_t N;
    double h;
    double *bs, *bl;
} lc_job;

static void lc_member(void *ctx, size_t t, size_t T)
{
    const lc_job *j = ctx;
    size_t i0, i1;
    team_range(j->N, t, T, &i0, &i1);
    if (i0 < i1)
        kern_logcosh_parts(j->w + i0, j->g ? j->g + i0 : NULL, i1 - i0, j->h,
                           j->bs + i0 / KERN_LOGCOSH_BLOCK, j->bl + i0 / KERN_LOGCOSH_BLOCK);
}

/* kern_logcosh_sum, split over the team when there is one: the same bits
 * (the parts added in block order, as kern_logcosh_sum adds them) */
static double logcosh_sum(const marg_ws *ws, const double *w, const double *g, size_t N, double h)
{
    if (!ws->tm || N < MARG_TEAM_MIN_N)
        return kern_logcosh_sum(w, g, N, h);
    lc_job j = {w, g, N, h, ws->bs, ws->bl};
    team_run(ws->tm, lc_member, &j);
    size_t nb = (N + KERN_LOGCOSH_BLOCK - 1) / KERN_LOGCOSH_BLOCK;
    double sa = 0.0, sl = 0.0;
    for (size_t b = 0; b < nb; b++) {
        sa += ws->bs[b];
        sl += ws->bl[b];
    }
    return sa + sl;
}

typedef struct {
    const double *w, *g;
    size_t N;
    const double *h, *c1, *c0, *c2;
    size_t n;
    double *m, *mv, *d;
} ns_job;

static void ns_member(void *ctx, size_t t, size_t T)
{
    const ns_job *j = ctx;
    size_t i0, i1;
    team_range(j->N, t, T, &i0, &i1);
    if (i0 < i1)
        kern_node_sums(j->w + i0, j->g ? j->g + i0 : NULL, i1 - i0, j->h, j->c1, j->c0, j->c2,
                       j->n, j->m + i0, j->mv ? j->mv + i0 : NULL, j->d ? j->d + i0 : NULL);
}

/* kern_node_sums over the team's sites: every site's sums are its own, so
 * the bits are those of one thread */
static void node_sums(const marg_ws *ws, const double *w, const double *g, size_t N,
                      const double *h, const double *c1, const double *c0, const double *c2,
                      size_t n, double *m, double *mv, double *d)
{
    if (!ws->tm || N < MARG_TEAM_MIN_N) {
        kern_node_sums(w, g, N, h, c1, c0, c2, n, m, mv, d);
        return;
    }
    ns_job j = {w, g, N, h, c1, c0, c2, n, m, mv, d};
    team_run(ws->tm, ns_member, &j);
}

int marg_set_team(marg_ws *ws, team *tm)
{
    if (tm && !ws->bs) {
        size_t nb = ws->N / KERN_LOGCOSH_BLOCK + 1;
        ws->bs = malloc(nb * sizeof(double));
        ws->bl = malloc(nb * sizeof(double));
        if (!ws->bs || !ws->bl)
            return SYM_ENOMEM;
    }
    ws->tm = tm;
    return SYM_OK;
}

marg_ws *marg_alloc(size_t N)
{
    marg_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->N = N;
    ws->gl = gsl_integration_glfixed_table_alloc(MARG_GL);
    ws->mscratch = malloc((N ? N : 1) * sizeof(double));
    gsl_integration_fixed_workspace *gh =
        gsl_integration_fixed_alloc(gsl_integration_fixed_hermite, MARG_GH, 0.0, 1.0, 0.0, 0.0);
    if (!gh || !ws->gl || !ws->mscratch) {
        if (gh)
            gsl_integration_fixed_free(gh);
        marg_free(ws);
        return NULL;
    }
    const double *x = gsl_integration_fixed_nodes(gh), *wt = gsl_integration_fixed_weights(gh);
    for (size_t k = 0; k < MARG_GH; k++) {
        ws->gh_x[k] = x[k];
        /* log of the weight for a bare integrand: W e^{x^2} */
        ws->gh_lw[k] = log(wt[k]) + x[k] * x[k];
    }
    gsl_integration_fixed_free(gh);
    return ws;
}

void marg_free(marg_ws *ws)
{
    if (!ws)
        return;
    double *arrs[] = {ws->h, ws->wq, ws->lw, ws->p, ws->c1, ws->c0, ws->hm, ws->pm};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++)
        free(arrs[k]);
    free(ws->mscratch);
    free(ws->jA);
    free(ws->jd);
    free(ws->jm);
    free(ws->jAv);
    free(ws->jp);
    free(ws->bs);
    free(ws->bl);
    if (ws->gl)
        gsl_integration_glfixed_table_free(ws->gl);
    free(ws);
}

static int ws_reserve(marg_ws *ws, size_t need)
{
    if (need <= ws->cap)
        return 0;
    size_t cap = ws->cap ? ws->cap : 256;
    while (cap < need)
        cap *= 2;
    double **arrs[] = {&ws->h, &ws->wq, &ws->lw, &ws->p, &ws->c1, &ws->c0, &ws->hm, &ws->pm};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++) {
        size_t len = (k >= 6) ? 2 * cap : cap;
        double *q = realloc(*arrs[k], len * sizeof(double));
        if (!q)
            return -1;
        *arrs[k] = q;
    }
    ws->cap = cap;
    return 0;
}

static int all_zero(const double *g, size_t N)
{
    if (!g)
        return 1;
    for (size_t i = 0; i < N; i++)
        if (g[i] != 0.0)
            return 0;
    return 1;
}

/* ---- one half-line piece ------------------------------------------------
 * Every continuous kind is a set of pieces h = s*y, y >= 0, s = +-1, with
 * U = gamma y^2/2 + s theta y on the piece (the kind's table entry lists
 * them, core/unit.h), so one routine handles gaussian, relu and drelu (and
 * the mirrored half of a symmetric problem). */
typedef struct {
    const double *w, *g;
    size_t N;
    double s, gamma, theta;
    const marg_ws *ws;
} piece;

static double piece_phi(const piece *pc, double y)
{
    return -0.5 * pc->gamma * y * y - pc->s * pc->theta * y +
           logcosh_sum(pc->ws, pc->w, pc->g, pc->N, pc->s * y);
}

/* phi'(y), phi''(y) on the piece (d/dy) */
static void piece_d(const piece *pc, double y, double *d1, double *d2)
{
    double s1, s2;
    kern_tanh_sums(pc->w, pc->g, pc->N, pc->s * y, &s1, &s2);
    *d1 = -pc->gamma * y - pc->s * pc->theta + pc->s * s1;
    *d2 = -pc->gamma + s2;
}

/* A root of phi' in the bracket [a, b] (phi'(a) >= 0 >= phi'(b)) by Newton
 * steps from x0, falling back to bisection whenever a step leaves the
 * bracket.  GSL's bracketing solvers ignore the derivative, which costs as
 * much as phi' itself here and halves the number of O(N) passes. */
static int peak_newton(const piece *pc, double a, double b, double x0, double *root, char *err)
{
    double tol = MARG_PEAK_TOL / sqrt(pc->gamma) * (1.0 + fabs(x0));
    double x = (x0 > a && x0 < b) ? x0 : 0.5 * (a + b);
    for (int it = 0; it < MARG_ROOT_ITER; it++) {
        double f, df;
        piece_d(pc, x, &f, &df);
        if (f > 0.0)
            a = x;
        else
            b = x;
        double xn = (df < 0.0) ? x - f / df : 0.5 * (a + b);
        if (!(xn > a && xn < b))
            xn = 0.5 * (a + b);
        if (fabs(xn - x) < tol || b - a < tol) {
            *root = xn;
            return SYM_OK;
        }
        x = xn;
    }
    return sym_error(err, SYM_ENUM, "marg: no convergence locating a peak of p(h) in [%g, %g]",
                     pc->s * a, pc->s * b);
}

/* Smallest b = a + 2^k step with phi'(b) <= 0 (phi'' -> -gamma far out). */
static double grow_bracket(const piece *pc, double a, double step)
{
    double b = a + step, d1, d2;
    for (;;) {
        piece_d(pc, b, &d1, &d2);
        if (d1 <= 0.0 || !isfinite(b))
            return b;
        b = a + 2.0 * (b - a);
    }
}

/* The maxima of phi on y >= 0: a boundary maximum at 0 and/or one interior
 * maximum.  Exact for g = 0, where phi' is concave on the half-line; with
 * fields it is the structure met in practice, and the tests check the
 * result against enumeration. */
static int piece_peaks(marg_ws *ws, int ip, const piece *pc, double *peaks, int *npk, char *err)
{
    double scale = 1.0 / sqrt(pc->gamma);
    double d1, d2;
    piece_d(pc, 0.0, &d1, &d2);
    *npk = 0;
    double from = 0.0;
    if (d1 < 0.0 && d2 > 0.0) {
        /* phi falls off the boundary but phi' rises: does it turn positive? */
        peaks[(*npk)++] = 0.0;
        double a = 0.0, b = scale, e1, e2;
        for (;;) { /* bracket the end of the rise (phi'' = 0) */
            piece_d(pc, b, &e1, &e2);
            if (e2 <= 0.0 || !isfinite(b))
                break;
            a = b;
            b *= 2.0;
        }
        /* maximise phi' on [a, b] by bisection on phi'' (monotone for g=0) */
        for (int it = 0; it < MARG_ROOT_ITER && b - a > 1e-6 * scale; it++) {
            double c = 0.5 * (a + b);
            piece_d(pc, c, &e1, &e2);
            if (e2 > 0.0)
                a = c;
            else
                b = c;
        }
        piece_d(pc, b, &e1, &e2);
        if (e1 <= 0.0)
            return SYM_OK;
        from = b;
    } else if (d1 < 0.0 || (d1 == 0.0 && d2 <= 0.0)) {
        peaks[(*npk)++] = 0.0;
        return SYM_OK;
    }
    /* an interior maximum to the right of `from`, where phi' > 0 */
    double a = from, b;
    double x0 = ws->has_prev[ip] ? ws->prev[ip] : -1.0;
    int bracketed = 0;
    if (x0 > from) {
        double lo = fmax(from, x0 - scale), hi = x0 + scale, f, df;
        piece_d(pc, hi, &f, &df);
        if (f <= 0.0) {
            b = hi;
            if (lo > from) {
                piece_d(pc, lo, &f, &df);
                if (f > 0.0)
                    a = lo;
            }
            bracketed = 1;
        }
    }
    if (!bracketed)
        b = grow_bracket(pc, from, scale);
    double y = 0.0;
    int st = peak_newton(pc, a, b, x0, &y, err);
    if (st)
        return st;
    ws->prev[ip] = y;
    ws->has_prev[ip] = 1;
    peaks[(*npk)++] = y;
    return SYM_OK;
}

/* node bookkeeping: h real, log quadrature weight */
static int add_node(marg_ws *ws, double h, double lwq)
{
    if (ws_reserve(ws, ws->n + 1))
        return -1;
    ws->h[ws->n] = h;
    ws->wq[ws->n] = lwq;
    ws->n++;
    return 0;
}

/* 0, or -1 out of memory, -2 GSL refused the node (a status it can return) */
static int add_panel(marg_ws *ws, const piece *pc, double a, double b)
{
    /* Gauss-Legendre nodes on [a, b] from GSL's fixed table */
    for (size_t k = 0; k < MARG_GL; k++) {
        double y, wt;
        if (gsl_integration_glfixed_point(a, b, k, &y, &wt, ws->gl))
            return -2;
        if (add_node(ws, pc->s * y, log(wt)))
            return -1;
    }
    return 0;
}

/* March panels from y0 towards limit (either side) until phi has fallen
 * MARG_DROP below phimax. */
static int march(marg_ws *ws, const piece *pc, double y0, double limit, double phimax, char *err)
{
    double dir = (limit >= y0) ? 1.0 : -1.0;
    double y = y0, phi_y = piece_phi(pc, y0), d1, d2;
    piece_d(pc, y0, &d1, &d2);
    for (int np = 0; np < MARG_MAX_PANELS; np++) {
        double dist = fabs(limit - y);
        if (dist <= 0.0)
            return SYM_OK;
        double allow = MARG_PANEL_D0 + MARG_PANEL_D1 * (phimax - phi_y);
        /* step whose predicted fall is `allow`: |phi'| s + |phi''| s^2 / 2 */
        double slope = fabs(d1), curv = fmax(-d2, MARG_CURV_FLOOR * pc->gamma);
        double s = (sqrt(slope * slope + 2.0 * curv * allow) - slope) / curv;
        s = fmin(s, dist);
        double yn = y + dir * s, phi_n = piece_phi(pc, yn);
        while (fabs(phi_n - phi_y) > 1.5 * allow && s > 1e-9 * (1.0 + fabs(y))) {
            s *= 0.5;
            yn = y + dir * s;
            phi_n = piece_phi(pc, yn);
        }
        if (!isfinite(phi_n))
            return sym_error(err, SYM_ENUM, "marg: log-density not finite at h = %g", pc->s * yn);
        int ap = add_panel(ws, pc, fmin(y, yn), fmax(y, yn));
        if (ap == -2)
            return sym_error(err, SYM_ENUM, "marg: Gauss-Legendre node on [%g, %g] refused by GSL",
                             pc->s * y, pc->s * yn);
        if (ap)
            return sym_error(err, SYM_ENOMEM, "marg: out of memory");
        y = yn;
        phi_y = phi_n;
        if (phi_y < phimax - MARG_DROP)
            return SYM_OK;
        piece_d(pc, y, &d1, &d2);
    }
    return sym_error(err, SYM_ENUM, "marg: tail of p(h) not reached after %d panels",
                     MARG_MAX_PANELS);
}

/* Try the Hermite rule on a single peak y0 of the piece.  Returns 1 if used. */
static int try_hermite(marg_ws *ws, const piece *pc, double y0, double phi0, int even,
                       double phimax, int *fail)
{
    double d1, d2;
    piece_d(pc, y0, &d1, &d2);
    if (!(d2 < 0.0))
        return 0;
    double sig = 1.0 / sqrt(-d2);
    if (!even) {
        if (y0 < MARG_GH_REACH * sig)
            return 0;
        /* the boundary must be far down too: p(h) may be flatter than the
         * Gaussian away from the peak (phi'' >= -gamma only) */
        if (piece_phi(pc, 0.0) > phimax - MARG_DROP)
            return 0;
    }
    double q = 0.5 * MARG_GAUSS_AT * MARG_GAUSS_AT;
    if (fabs(piece_phi(pc, y0 + MARG_GAUSS_AT * sig) - (phi0 - q)) > MARG_GAUSS_TOL)
        return 0;
    if (!even && fabs(piece_phi(pc, y0 - MARG_GAUSS_AT * sig) - (phi0 - q)) > MARG_GAUSS_TOL)
        return 0;
    double scale = M_SQRT2 * sig, lsc = log(scale);
    for (size_t k = 0; k < MARG_GH; k++) {
        if (even && ws->gh_x[k] <= 0.0)
            continue; /* the mirror image carries the other half */
        if (add_node(ws, pc->s * (y0 + scale * ws->gh_x[k]), ws->gh_lw[k] + lsc)) {
            *fail = 1;
            return 1;
        }
    }
    return 1;
}

/* ---- the public entry ------------------------------------------------------ */

/* A discrete support (spin: h = -1, +1): a sum over its points with the
 * weights exp(-U(h) + sum_i log 2cosh(g_i + w_i h)). */
static int eval_points(marg_ws *ws, const unit_params *u, const double *w, const double *g,
                       double *m, double *mv, marg_stats *st, char *err)
{
    size_t N = ws->N, np = u->type->npoint;
    const double *pt = u->type->point;
    if (ws_reserve(ws, np))
        return sym_error(err, SYM_ENOMEM, "marg: out of memory");
    double ref = -INFINITY;
    for (size_t k = 0; k < np; k++) {
        double h = pt[k];
        ws->h[k] = h;
        ws->lw[k] = -unit_potential(u, h) + logcosh_sum(ws, w, g, N, h);
        ref = fmax(ref, ws->lw[k]);
    }
    ws->n = np;
    ws->mirrored = 0;
    double z = 0.0, h1 = 0.0, h2 = 0.0;
    for (size_t k = 0; k < np; k++)
        z += exp(ws->lw[k] - ref);
    for (size_t k = 0; k < np; k++) {
        ws->p[k] = exp(ws->lw[k] - ref) / z;
        ws->c1[k] = ws->p[k] * ws->h[k];
        ws->c0[k] = ws->p[k];
        h1 += ws->c1[k];
        h2 += ws->c1[k] * ws->h[k];
    }
    if (m)
        node_sums(ws, w, g, N, ws->h, ws->c1, ws->c0, NULL, np, m, mv, NULL);
    else if (mv)
        node_sums(ws, w, g, N, ws->h, ws->c1, ws->c0, NULL, np, ws->mscratch, mv, NULL);
    if (st) {
        st->logZ = ref + log(z);
        st->h1 = h1;
        st->h2 = h2;
        st->peaks = np;
        st->nodes = np;
    }
    return SYM_OK;
}


int marg_eval(marg_ws *ws, const unit_params *u, const double *w, const double *g,
              double *m, double *mv, marg_stats *st, char *err)
{
    size_t N = ws->N;
    for (size_t i = 0; i < N; i++)
        if (!isfinite(w[i]) || (g && !isfinite(g[i])))
            return sym_error(err, SYM_ENUM, "marg: non-finite weight or field at i = %zu", i);
    int gzero = all_zero(g, N);
    const double *gg = gzero ? NULL : g;
    if (u->type->npoint)
        return eval_points(ws, u, w, gg, m, mv, st, err);
    if (!u->type->pieces)
        return sym_error(err, SYM_EINVAL, "marg: hidden-unit kind %s has no 1-D integral",
                         u->type->name);

    /* the pieces of the support; a symmetric problem (even phi) keeps only
     * h >= 0 and mirrors it */
    piece pcs[UNIT_MAX_PIECES];
    unit_piece up[UNIT_MAX_PIECES];
    int symmetric = gzero && u->type->even(u);
    int npc = (int)u->type->pieces(u, up);
    if (symmetric)
        npc = 1;   /* up[0] is the h >= 0 side */
    for (int c = 0; c < npc; c++)
        pcs[c] = (piece){w, gg, N, up[c].s, up[c].gamma, up[c].theta, ws};

    double peaks[UNIT_MAX_PIECES][MARG_MAX_PEAKS], phipk[UNIT_MAX_PIECES][MARG_MAX_PEAKS];
    int npk[UNIT_MAX_PIECES];
    double phimax = -INFINITY;
    size_t npeaks = 0;
    for (int c = 0; c < npc; c++) {
        int s = piece_peaks(ws, c, &pcs[c], peaks[c], &npk[c], err);
        if (s)
            return sym_context(err, s, "marg_eval");
        for (int k = 0; k < npk[c]; k++) {
            phipk[c][k] = piece_phi(&pcs[c], peaks[c][k]);
            phimax = fmax(phimax, phipk[c][k]);
        }
        npeaks += (size_t)npk[c];
    }
    if (!isfinite(phimax))
        return sym_error(err, SYM_ENUM, "marg_eval: log-density not finite at its peak");

    ws->n = 0;
    ws->mirrored = symmetric;
    for (int c = 0; c < npc; c++) {
        const piece *pc = &pcs[c];
        if (npk[c] == 1) {
            /* a symmetric problem's peak at 0 is a true (even) maximum */
            int even = symmetric && peaks[c][0] == 0.0;
            int fail = 0;
            if (even || peaks[c][0] > 0.0) {
                if (try_hermite(ws, pc, peaks[c][0], phipk[c][0], even, phimax, &fail)) {
                    if (fail)
                        return sym_error(err, SYM_ENOMEM, "marg: out of memory");
                    continue;
                }
            }
        }
        for (int k = 0; k < npk[c]; k++) {
            double y0 = peaks[c][k];
            /* neighbouring peaks split at the midpoint: no overlap, no gap */
            double left = (k > 0) ? 0.5 * (peaks[c][k - 1] + y0) : 0.0;
            double right = (k + 1 < npk[c]) ? 0.5 * (y0 + peaks[c][k + 1]) : INFINITY;
            int s = march(ws, pc, y0, right, phimax, err);
            if (!s && y0 > left)
                s = march(ws, pc, y0, left, phimax, err);
            if (s)
                return sym_context(err, s, "marg_eval");
        }
    }

    /* log weights at the nodes (log-sum-exp: nothing overflows) */
    size_t n = ws->n;
    double ref = -INFINITY;
    for (size_t k = 0; k < n; k++) {
        double h = ws->h[k];
        const piece *pc = (h >= 0.0 || npc == 1) ? &pcs[0] : &pcs[1];
        ws->lw[k] = ws->wq[k] + piece_phi(pc, pc->s * h);
        ref = fmax(ref, ws->lw[k]);
    }
    double z = 0.0, h1 = 0.0, h2 = 0.0;
    for (size_t k = 0; k < n; k++) {
        ws->p[k] = exp(ws->lw[k] - ref);
        z += ws->p[k];
    }
    for (size_t k = 0; k < n; k++) {
        ws->p[k] /= z;
        h1 += ws->p[k] * ws->h[k];
        h2 += ws->p[k] * ws->h[k] * ws->h[k];
        ws->c1[k] = ws->p[k] * ws->h[k];
        ws->c0[k] = ws->p[k];
    }
    if (symmetric)
        h1 = 0.0;
    if (m || mv) {
        /* a symmetric problem has <v_i> = 0 exactly: skip that sum */
        node_sums(ws, w, gg, N, ws->h, ws->c1, ws->c0, NULL, n, m ? m : ws->mscratch,
                       symmetric ? NULL : mv, NULL);
        if (mv && symmetric)
            memset(mv, 0, N * sizeof *mv);
    }
    if (st) {
        st->logZ = ref + log(z) + (symmetric ? M_LN2 : 0.0);
        st->h1 = h1;
        st->h2 = h2;
        st->peaks = npeaks;
        st->nodes = n;
    }
    return SYM_OK;
}

void marg_nodes(marg_ws *ws, const double **h, const double **p, size_t *n)
{
    if (!ws->mirrored) {
        *h = ws->h;
        *p = ws->p;
        *n = ws->n;
        return;
    }
    /* symmetric problem: nodes were placed on h >= 0 only; expose the full
     * distribution by mirroring (the buffers are sized 2 * cap for this) */
    for (size_t k = 0; k < ws->n; k++) {
        ws->hm[2 * k] = ws->h[k];
        ws->pm[2 * k] = 0.5 * ws->p[k];
        ws->hm[2 * k + 1] = -ws->h[k];
        ws->pm[2 * k + 1] = 0.5 * ws->p[k];
    }
    *h = ws->hm;
    *p = ws->pm;
    *n = 2 * ws->n;
}

int marg_jac_prepare(marg_ws *ws, const double *w, const double *g, const double *m, char *err)
{
    size_t N = ws->N, n = ws->n;
    if (n * N > MARG_JAC_MAX_DOUBLES)
        return sym_error(err, SYM_ENOMEM, "marg: Jacobian table of %zu x %zu too large", n, N);
    if (n > ws->jcap || !ws->jd) {
        double *A = realloc(ws->jA, n * N * sizeof(double));
        double *Av = realloc(ws->jAv, n * sizeof(double));
        double *P = realloc(ws->jp, n * sizeof(double));
        if (A)
            ws->jA = A;
        if (Av)
            ws->jAv = Av;
        if (P)
            ws->jp = P;
        if (!A || !Av || !P)
            return sym_error(err, SYM_ENOMEM, "marg: out of memory for the Jacobian");
        ws->jcap = n;
    }
    if (!ws->jd) {
        ws->jd = malloc(N * sizeof(double));
        ws->jm = malloc(N * sizeof(double));
        if (!ws->jd || !ws->jm)
            return sym_error(err, SYM_ENOMEM, "marg: out of memory for the Jacobian");
    }
    /* In a symmetric problem the nodes cover h >= 0 only; the mirror node
     * -h has the same a_ni = h tanh(w_i h) and the same sech^2, so the
     * half-line nodes with their full weights give J exactly. */
    kern_tanh_table(w, all_zero(g, N) ? NULL : g, N, ws->h, n, ws->jA);
    memset(ws->jd, 0, N * sizeof(double));
    for (size_t k = 0; k < n; k++) {
        double hk = ws->h[k], c = ws->p[k] * hk * hk, *Ak = ws->jA + k * N;
        for (size_t i = 0; i < N; i++) {
            ws->jd[i] += c * (1.0 - Ak[i] * Ak[i]);
            Ak[i] *= hk;
        }
    }
    memcpy(ws->jm, m, N * sizeof(double));
    memcpy(ws->jp, ws->p, n * sizeof(double));
    ws->jn = n;
    return SYM_OK;
}

void marg_jac_apply(marg_ws *ws, const double *v, double *out)
{
    kern_jac_apply(ws->jA, ws->jp, ws->jd, ws->jm, ws->jn, ws->N, v, out, ws->jAv);
}

double marg_jac_diag_mean(const marg_ws *ws)
{
    double s = 0.0;
    for (size_t i = 0; i < ws->N; i++)
        s += ws->jd[i];
    return s / (double)ws->N;
}

void marg_warm_get(const marg_ws *ws, double *x)
{
    for (int k = 0; k < UNIT_MAX_PIECES; k++) {
        x[k] = ws->prev[k];
        x[UNIT_MAX_PIECES + k] = ws->has_prev[k];
    }
}

void marg_warm_set(marg_ws *ws, const double *x)
{
    for (int k = 0; k < UNIT_MAX_PIECES; k++) {
        ws->prev[k] = x[k];
        ws->has_prev[k] = x[UNIT_MAX_PIECES + k] != 0.0;
    }
}
