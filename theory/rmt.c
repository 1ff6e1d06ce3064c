#include "theory/rmt.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

#include "core/err.h"

/* Tolerances (all relative unless said otherwise). */
#define RMT_ROOT_TOL 1e-13      /* edge and B_c roots: far below any finite-N effect   */
#define RMT_ROOT_ITER 400       /* brent iterations: bisection-safe for 1e-13 from 2^k */
#define RMT_NEWTON_TOL 1e-13    /* complex Newton step |dm| <= tol |m|                 */
#define RMT_NEWTON_ITER 60
#define RMT_ETA_REL 1e-10       /* Im z used for densities on the real axis, x scale   */
#define RMT_BC_BMIN 1e-3        /* B_c scan: from c = 1e3 N (ov_grow at its B->0 value) */
#define RMT_BC_BMAX 1e18        /* ... to where every spectrum here is resolved         */
/* A top group of at most RMT_SPIKE_MULT equal eigenvalues can be a finite-rank
 * spike (ring modes come in pairs k, N-k); a larger group carries a finite
 * fraction of the spectrum and is a bulk component, handled by the edge. */
#define RMT_SPIKE_MULT 4
/* The top eigenvalue's classical location: the quantile (j - 1/2)/N, j = 1. */
#define RMT_QUANTILE 0.5

struct rmt_ws {
    size_t N, ng;
    double m4;     /* top pair's amplitude moment; 0: no finite-B shift */
    double *lam;   /* distinct eigenvalues, descending */
    size_t *n;     /* multiplicities                   */
};

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

int rmt_alloc(rmt_ws **out, const double *lambda, size_t N, char *err)
{
    *out = NULL;
    if (N < 1)
        return sym_error(err, SYM_EINVAL, "rmt_alloc: empty spectrum");
    double *s = malloc(N * sizeof *s);
    rmt_ws *ws = calloc(1, sizeof *ws);
    if (!s || !ws) {
        free(s);
        free(ws);
        return sym_error(err, SYM_ENOMEM, "rmt_alloc: out of memory");
    }
    for (size_t k = 0; k < N; k++) {
        if (!isfinite(lambda[k])) {
            free(s);
            free(ws);
            return sym_error(err, SYM_EINVAL, "rmt_alloc: eigenvalue %zu is not finite", k);
        }
        s[k] = lambda[k];
    }
    qsort(s, N, sizeof *s, cmp_desc);
    double tol = RMT_DEGEN_TOL * fmax(1.0, s[0]);
    if (s[N - 1] < -tol) {
        double bad = s[N - 1];
        free(s);
        free(ws);
        return sym_error(err, SYM_EINVAL, "rmt_alloc: negative eigenvalue %g", bad);
    }
    ws->lam = malloc(N * sizeof *ws->lam);
    ws->n = malloc(N * sizeof *ws->n);
    if (!ws->lam || !ws->n) {
        free(s);
        rmt_free(ws);
        return sym_error(err, SYM_ENOMEM, "rmt_alloc: out of memory");
    }
    ws->N = N;
    for (size_t k = 0; k < N;) {
        /* a group: every value within tol of its first member; its value
         * is the group mean (exactly degenerate modes differ by rounding) */
        size_t j = k;
        double sum = 0;
        while (j < N && s[k] - s[j] <= tol)
            sum += s[j++];
        double v = sum / (double)(j - k);
        ws->lam[ws->ng] = fabs(v) <= tol ? 0.0 : v;
        ws->n[ws->ng] = j - k;
        ws->ng++;
        k = j;
    }
    free(s);
    *out = ws;
    return SYM_OK;
}

void rmt_free(rmt_ws *ws)
{
    if (!ws)
        return;
    free(ws->lam);
    free(ws->n);
    free(ws);
}

double rmt_bbp(const double *lambda, size_t N)
{
    double lmax = -INFINITY;
    for (size_t k = 0; k < N; k++)
        lmax = fmax(lmax, lambda[k]);
    if (!(lmax > 1))
        return INFINITY;
    return (double)N / ((lmax - 1) * (lmax - 1));
}

int rmt_set_m4(rmt_ws *ws, double m4, char *err)
{
    if (isinf(m4))
        return sym_error(err, SYM_EINVAL, "rmt_set_m4: m4 = %g", m4);
    ws->m4 = m4 > 0 ? m4 : 0;
    return SYM_OK;
}

static int growing(double lam)
{
    return lam > 1 + RMT_DEGEN_TOL;
}

size_t rmt_growing(const rmt_ws *ws, double *ov_zero)
{
    size_t ng = 0;
    double sum = 0;
    for (size_t g = 0; g < ws->ng; g++)
        if (growing(ws->lam[g])) {
            ng += ws->n[g];
            sum += (double)ws->n[g] * ws->lam[g];
        }
    if (ov_zero)
        *ov_zero = sum / (double)ws->N;
    return ng;
}

/* ---- the right edge: minimum of z(m) on (-1/lambda_max, 0) ----
 * Variable u = 1 + lambda_max m in (0, 1): the top group's denominator is u
 * itself, every other one is ((l - lam) + lam u) / l, free of cancellation.
 * z is convex there (every term of z'' is positive), so z'(u) has one root. */
typedef struct {
    const rmt_ws *ws;
    double c;
} edge_par;

static double edge_den(const rmt_ws *ws, size_t g, double u)
{
    double l = ws->lam[0];
    return g == 0 ? u : ((l - ws->lam[g]) + ws->lam[g] * u) / l;
}

static double edge_dz(double u, void *p)
{
    const edge_par *e = p;
    const rmt_ws *ws = e->ws;
    double l = ws->lam[0], s = 0;
    for (size_t g = 0; g < ws->ng; g++) {
        double d = edge_den(ws, g, u);
        s += (double)ws->n[g] * ws->lam[g] * ws->lam[g] / (d * d);
    }
    return l * l / ((1 - u) * (1 - u)) - e->c / (double)ws->N * s;
}

static double edge_z(const rmt_ws *ws, double c, double u)
{
    double l = ws->lam[0], s = 0;
    for (size_t g = 0; g < ws->ng; g++)
        s += (double)ws->n[g] * ws->lam[g] / edge_den(ws, g, u);
    return l / (1 - u) + c / (double)ws->N * s;
}

/* Brent on f over [lo, hi] (f(lo) < 0 < f(hi)). */
static int brent(double (*f)(double, void *), void *par, double lo, double hi,
                 double *root, char *err)
{
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!s) {
        gsl_set_error_handler(old);
        return sym_error(err, SYM_ENOMEM, "out of memory");
    }
    gsl_function F = {f, par};
    int st = gsl_root_fsolver_set(s, &F, lo, hi);
    int it = 0;
    while (st == GSL_SUCCESS && it++ < RMT_ROOT_ITER) {
        st = gsl_root_fsolver_iterate(s);
        if (st)
            break;
        lo = gsl_root_fsolver_x_lower(s);
        hi = gsl_root_fsolver_x_upper(s);
        if (gsl_root_test_interval(lo, hi, 0, RMT_ROOT_TOL) == GSL_SUCCESS)
            break;
    }
    *root = gsl_root_fsolver_root(s);
    gsl_root_fsolver_free(s);
    gsl_set_error_handler(old);
    if (st != GSL_SUCCESS || !isfinite(*root))
        return sym_error(err, SYM_ENUM, "root finder failed (%s)", gsl_strerror(st));
    return SYM_OK;
}

static int check_B(const rmt_ws *ws, double B, double *c, char *err)
{
    if (!(B > 0) || !isfinite(B))
        return sym_error(err, SYM_EINVAL, "B = %g: need a finite B > 0", B);
    if (!(ws->lam[0] > 0))
        return sym_error(err, SYM_EINVAL, "spectrum is identically zero");
    *c = (double)ws->N / B;
    return SYM_OK;
}

/* u at the right edge. */
static int edge_solve(const rmt_ws *ws, double c, double *u_out, char *err)
{
    edge_par e = {ws, c};
    double lo = 0.5, hi = 0.5;
    for (int k = 0; edge_dz(lo, &e) >= 0; k++) {
        if (k > 2000)
            return sym_error(err, SYM_ENUM, "right edge: no bracket near the top eigenvalue");
        lo *= 0.5;
    }
    for (int k = 0; edge_dz(hi, &e) <= 0; k++) {
        if (k > 60)
            return sym_error(err, SYM_ENUM, "right edge: no bracket near m = 0");
        hi = 1 - (1 - hi) * 0.5;
    }
    int st = brent(edge_dz, &e, lo, hi, u_out, err);
    return st ? sym_context(err, st, "right edge") : SYM_OK;
}

/* ---- the left edge (c < 1): maximum of z(m) on (-inf, -1/lambda_min) ----
 * m = -(1 + v) / lmin, v > 0, lmin the smallest positive eigenvalue;
 * denominators 1 + lam m = ((lmin - lam) - lam v) / lmin < 0. */
typedef struct {
    const rmt_ws *ws;
    double c, lmin;
} left_par;

static double left_dz(double v, void *p)
{
    const left_par *e = p;
    const rmt_ws *ws = e->ws;
    double m = -(1 + v) / e->lmin, s = 0;
    for (size_t g = 0; g < ws->ng; g++) {
        if (ws->lam[g] == 0)
            continue;
        double d = ((e->lmin - ws->lam[g]) - ws->lam[g] * v) / e->lmin;
        if (ws->lam[g] == e->lmin)
            d = -v;
        s += (double)ws->n[g] * ws->lam[g] * ws->lam[g] / (d * d);
    }
    return 1 / (m * m) - e->c / (double)ws->N * s;
}

int rmt_edges(const rmt_ws *ws, double B, double *left, double *right, char *err)
{
    double c, u;
    int st = check_B(ws, B, &c, err);
    if (st || (st = edge_solve(ws, c, &u, err)))
        return sym_context(err, st, "rmt_edges");
    *right = edge_z(ws, c, u);
    size_t nz = 0;
    double lmin = 0;
    for (size_t g = 0; g < ws->ng; g++)
        if (ws->lam[g] > 0) {
            nz += ws->n[g];
            lmin = ws->lam[g];
        }
    *left = 0;
    /* as v -> inf, z' -> (1 - c nz/N) / m^2: an interval away from 0 exists
     * only when the nonzero part has fewer dimensions than samples */
    if (c * (double)nz / (double)ws->N >= 1)
        return SYM_OK;
    left_par e = {ws, c, lmin};
    double lo = 1, hi = 1;
    for (int k = 0; left_dz(lo, &e) >= 0; k++) {
        if (k > 2000)
            return sym_error(err, SYM_ENUM, "rmt_edges: left edge: no bracket");
        lo *= 0.5;
    }
    for (int k = 0; left_dz(hi, &e) <= 0; k++) {
        if (k > 200)
            return sym_error(err, SYM_ENUM, "rmt_edges: left edge: no bracket at large |m|");
        hi *= 2;
    }
    double v;
    if ((st = brent(left_dz, &e, lo, hi, &v, err)))
        return sym_context(err, st, "rmt_edges: left edge");
    double m = -(1 + v) / lmin, z = -1 / m;
    for (size_t g = 0; g < ws->ng; g++)
        if (ws->lam[g] > 0)
            z += c / (double)ws->N * (double)ws->n[g] * ws->lam[g] /
                 (ws->lam[g] == lmin ? -v : ((lmin - ws->lam[g]) - ws->lam[g] * v) / lmin);
    *left = z;
    return SYM_OK;
}

/* ---- Silverstein's equation off the real axis ---- */
static double complex silv_F(const rmt_ws *ws, double c, double complex m, double complex z,
                             double complex *dF)
{
    double complex s = 0, ds = 0;
    for (size_t g = 0; g < ws->ng; g++) {
        double complex d = 1 + ws->lam[g] * m;
        s += (double)ws->n[g] * ws->lam[g] / d;
        ds += (double)ws->n[g] * ws->lam[g] * ws->lam[g] / (d * d);
    }
    double a = c / (double)ws->N;
    *dF = 1 / (m * m) - a * ds;
    return -1 / m + a * s - z;
}

static int newton(const rmt_ws *ws, double c, double complex z, double complex *m)
{
    double complex x = *m;
    for (int it = 0; it < RMT_NEWTON_ITER; it++) {
        double complex dF, F = silv_F(ws, c, x, z, &dF);
        double complex step = F / dF;
        if (!isfinite(creal(step)) || !isfinite(cimag(step)))
            return -1;
        x -= step;
        if (cimag(x) <= 0)
            return -1;   /* left the upper half plane: wrong branch */
        if (cabs(step) <= RMT_NEWTON_TOL * cabs(x)) {
            *m = x;
            return 0;
        }
    }
    return -1;
}

int rmt_stieltjes(const rmt_ws *ws, double B, double zr, double zi,
                  double *mr, double *mi, char *err)
{
    double c;
    int st = check_B(ws, B, &c, err);
    if (st)
        return sym_context(err, st, "rmt_stieltjes");
    if (!(zi > 0) || !isfinite(zr) || !isfinite(zi))
        return sym_error(err, SYM_EINVAL, "rmt_stieltjes: need Im z > 0");
    /* Start far above the spectrum, where m_ ~ -1/z, and walk Im z down
     * to its target, each Newton solve starting from the last solution;
     * a failed step is retried shorter. */
    double scale = 1 + fabs(zr) + ws->lam[0] * (1 + c);
    double eta = fmax(zi, 10 * scale);
    double complex m = -1 / (zr + I * eta);
    if (newton(ws, c, zr + I * eta, &m))
        return sym_error(err, SYM_ENUM, "rmt_stieltjes: no convergence far from the axis");
    double f = 0.5;
    while (eta > zi) {
        double next = fmax(zi, eta * f);
        double complex trial = m;
        if (newton(ws, c, zr + I * next, &trial) == 0) {
            m = trial;
            eta = next;
            f = fmax(0.05, f * f);   /* speed up while it works */
        } else {
            f = sqrt(f);
            if (f > 0.999)
                return sym_error(err, SYM_ENUM,
                                 "rmt_stieltjes: continuation stalled at z = %g + %gi", zr, next);
        }
    }
    *mr = creal(m);
    *mi = cimag(m);
    return SYM_OK;
}

int rmt_density(const rmt_ws *ws, double B, double x, double *rho, char *err)
{
    double c, mr, mi;
    int st = check_B(ws, B, &c, err);
    if (st)
        return sym_context(err, st, "rmt_density");
    double eta = RMT_ETA_REL * fmax(1.0, fabs(x));
    if ((st = rmt_stieltjes(ws, B, x, eta, &mr, &mi, err)))
        return sym_context(err, st, "rmt_density");
    /* m = (m_ + (1 - c)/z) / c for the N x N matrix */
    double complex z = x + I * eta;
    double complex m = (mr + I * mi + (1 - c) / z) / c;
    *rho = cimag(m) / M_PI;
    return SYM_OK;
}

/* rmt_top_eval, and with ovg != NULL also the predicted squared overlap of
 * the top sample eigenvector with each whole group g (ovg[g], ws->ng
 * entries): the same terms whose sums are ov_top and ov_grow, stored on the
 * way (the sums themselves are formed exactly as before). */
static int top_eval(const rmt_ws *ws, double B, rmt_top *out, double *ovg, int allow_spike,
                    char *err)
{
    double c, u;
    int st = check_B(ws, B, &c, err);
    if (st || (st = edge_solve(ws, c, &u, err)))
        return sym_context(err, st, "rmt_top_eval");
    const double a = c / (double)ws->N, l = ws->lam[0];
    out->B = B;
    out->c = c;
    out->mult = ws->n[0];
    out->lambda_max = l;

    /* Right edge of the full finite-N measure, Ledoit-Peche there:
     * N |<u_top, e_k>|^2 = c lam_k / (x (1 + lam_k m_)^2). */
    double x = edge_z(ws, c, u), ov_top_e = 0, ov_grow_e = 0;
    for (size_t g = 0; g < ws->ng; g++) {
        double d = edge_den(ws, g, u);
        double o = a * (double)ws->n[g] * ws->lam[g] / (x * d * d);
        if (ovg)
            ovg[g] = o;
        if (g == 0)
            ov_top_e = o;
        if (growing(ws->lam[g]))
            ov_grow_e += o;
    }
    out->x_edge = x;
    out->ov_grow_edge = ov_grow_e;

    /* At finite N the top eigenvalue is not at the edge but near its
     * classical location x_q, where the density above holds RMT_QUANTILE/N
     * of the spectrum.  With z(m) = x+ + z''(m*) (m - m*)^2 / 2 near the edge,
     * Im m_(x+ - D) = sqrt(2 D / z''), the mass above is
     * (2/(3 pi c)) sqrt(2/z'') D^{3/2}, so D = (3 pi c q / (2 N) sqrt(z''/2))^{2/3};
     * m_ there is polished by Newton, and Ledoit-Peche applies with
     * |1 + lam m_|^2.  Against GSL eigendecompositions (ising, N = 150) this
     * halves the edge formula's excess. */
    double ms = (u - 1) / l, z2 = -2 / (ms * ms * ms);
    for (size_t g = 0; g < ws->ng; g++) {
        double d = edge_den(ws, g, u);
        z2 += 2 * a * (double)ws->n[g] * ws->lam[g] * ws->lam[g] * ws->lam[g] / (d * d * d);
    }
    double D = pow(3 * M_PI * c * RMT_QUANTILE / (2.0 * (double)ws->N) * sqrt(0.5 * z2), 2.0 / 3);
    double xq = x - D, ov_top_q = ov_top_e, ov_grow_q = ov_grow_e;
    double complex mq = ms + I * sqrt(2 * D / z2);
    if (isfinite(D) && D > 0 && xq > 0 && newton(ws, c, xq + I * RMT_ETA_REL * xq, &mq) == 0) {
        ov_top_q = ov_grow_q = 0;
        for (size_t g = 0; g < ws->ng; g++) {
            double complex d = 1 + ws->lam[g] * mq;
            double o = a * (double)ws->n[g] * ws->lam[g] / (xq * creal(d * conj(d)));
            if (ovg)
                ovg[g] = o;
            if (g == 0)
                ov_top_q = o;
            if (growing(ws->lam[g]))
                ov_grow_q += o;
        }
    } else {
        xq = x;
    }

    /* The top group as a spike against the rest:
     *   psi(l) = l + (c/N) sum_rest lam l / (l - lam),  psi' = 1 - (c/N) sum lam^2/(l - lam)^2,
     * an outlier at psi(l) when psi'(l) > 0, overlap l psi'/psi with its own
     * eigenspace and (c/N) lam l^2 / (psi (l - lam)^2) with each other mode
     * (residues of the resolvent's deterministic equivalent at the outlier).
     * A degenerate pair's top outlier sees l (1 + delta) (rmt_set_m4). */
    out->delta = ws->n[0] == 2 && ws->m4 > 0 ? 0.5 * sqrt(M_PI * ws->m4 / B) : 0;
    double le = l * (1 + out->delta), psi = le, dpsi = 1;
    for (size_t g = 1; g < ws->ng; g++) {
        double d = le - ws->lam[g];
        psi += a * (double)ws->n[g] * ws->lam[g] * le / d;
        dpsi -= a * (double)ws->n[g] * ws->lam[g] * ws->lam[g] / (d * d);
    }
    out->psi = psi;
    out->dpsi = dpsi;
    out->spiked = allow_spike && ws->ng > 1 && ws->n[0] <= RMT_SPIKE_MULT && dpsi > 0;
    if (out->spiked) {
        out->x_top = psi;
        out->ov_top = le * dpsi / psi;
        out->ov_grow = growing(l) ? out->ov_top : 0;
        for (size_t g = 1; g < ws->ng; g++)
            if (growing(ws->lam[g])) {
                double d = le - ws->lam[g];
                out->ov_grow += a * (double)ws->n[g] * ws->lam[g] * le * le / (psi * d * d);
            }
        if (ovg) {
            ovg[0] = out->ov_top;
            for (size_t g = 1; g < ws->ng; g++) {
                double d = le - ws->lam[g];
                ovg[g] = a * (double)ws->n[g] * ws->lam[g] * le * le / (psi * d * d);
            }
        }
    } else {
        out->x_top = xq;
        out->ov_top = ov_top_q;
        out->ov_grow = ov_grow_q;
    }
    return SYM_OK;
}

int rmt_top_eval(const rmt_ws *ws, double B, rmt_top *out, char *err)
{
    return top_eval(ws, B, out, NULL, 1, err);
}

typedef struct {
    const rmt_ws *ws;
    double half;
    int st;
    char *err;
} bc_par;

static double bc_f(double logB, void *p)
{
    bc_par *b = p;
    rmt_top t;
    int st = rmt_top_eval(b->ws, exp(logB), &t, b->err);
    if (st) {
        b->st = st;
        return NAN;
    }
    return t.ov_grow - b->half;
}

int rmt_bc(const rmt_ws *ws, double *Bc, char *err)
{
    double ov0;
    if (rmt_growing(ws, &ov0) == 0)
        return sym_error(err, SYM_EINVAL, "rmt_bc: no growing mode (lambda_max = %g <= 1)", ws->lam[0]);
    bc_par p = {ws, 0.5 * (ov0 + 1), SYM_OK, err};
    /* Scan a log grid (factor 2) for the first crossing, then Brent there:
     * ov_grow rises from ov0 to 1 with B, and the first crossing is the one
     * the measured order parameter is compared with. */
    double lo = log(RMT_BC_BMIN), flo = bc_f(lo, &p);
    if (p.st)
        return sym_context(err, p.st, "rmt_bc");
    if (flo >= 0)
        return sym_error(err, SYM_ENUM, "rmt_bc: overlap already above half-way at B = %g", RMT_BC_BMIN);
    for (double hi = lo + M_LN2; hi <= log(RMT_BC_BMAX); hi += M_LN2) {
        double fhi = bc_f(hi, &p);
        if (p.st)
            return sym_context(err, p.st, "rmt_bc");
        if (fhi >= 0) {
            double r;
            int st = brent(bc_f, &p, lo, hi, &r, err);
            if (p.st)
                return sym_context(err, p.st, "rmt_bc");
            if (st)
                return sym_context(err, st, "rmt_bc");
            *Bc = exp(r);
            return SYM_OK;
        }
        lo = hi;
    }
    return sym_error(err, SYM_ENUM, "rmt_bc: overlap never reaches half-way up to B = %g", RMT_BC_BMAX);
}

/* The random-matrix B_c of the top population eigenspace alone: where
 * rmt_top_eval's ov_top crosses half-way between its B -> 0 value
 * (mult lambda_max / N, a single sample's share) and 1.  The trained profile
 * is a bump in the top modes, so Q^2 follows ov_top rather than ov_grow when
 * other modes grow too.  Scanned on a log grid of ratio RMT_TOP_STEP and
 * interpolated linearly in log B between the two grid points that bracket
 * the first upward crossing (the rule of compare/thr.h thr_crossing, which
 * theory cannot call): the interpolation error is far below the seed scatter
 * of the measurement it is set beside. */
#define RMT_TOP_STEP 1.0905077326652577   /* 2^(1/8) */
#define RMT_TOP_BMIN 1e-3                 /* c = 1e3 N: ov_top at its B -> 0 value */
#define RMT_TOP_BMAX 1e12
int rmt_bc_top(const rmt_ws *ws, size_t N, double *Bc, char *err)
{
    *Bc = NAN;
    size_t n = (size_t)ceil(log(RMT_TOP_BMAX / RMT_TOP_BMIN) / log(RMT_TOP_STEP)) + 1;
    double *B = malloc(n * sizeof *B), *y = malloc(n * sizeof *y), mult = 0, l = 0;
    int st = !B || !y ? sym_error(err, SYM_ENOMEM, "rmt_bc_top: out of memory") : SYM_OK;
    for (size_t k = 0; k < n && !st; k++) {
        rmt_top t;
        B[k] = RMT_TOP_BMIN * pow(RMT_TOP_STEP, (double)k);
        st = rmt_top_eval(ws, B[k], &t, err);
        y[k] = t.ov_top;
        mult = (double)t.mult;
        l = t.lambda_max;
    }
    if (!st) {
        double lo = mult * l / (double)N, hi = 1.0, half = 0.5 * (lo + hi);
        st = sym_error(err, SYM_ENUM, "rmt_bc_top: ov_top never half-way up to B = %g", B[n - 1]);
        if (isfinite(y[0]) && y[0] - half < 0)
            for (size_t j = 0; j + 1 < n; j++) {
                double d0 = y[j] - half, d1 = y[j + 1] - half;
                if (!isfinite(d1))
                    break;
                if (d0 < 0 && d1 >= 0) {
                    double x0 = log(B[j]), x1 = log(B[j + 1]), f = d0 / (d0 - d1);
                    *Bc = exp(x0 + f * (x1 - x0));
                    st = SYM_OK;
                    break;
                }
            }
    }
    free(B);
    free(y);
    return st;
}

/* ---- xy data: Potts visible units (SPEC.md 7, 9) ---- */

struct rmt_xy {
    size_t N, P, n;       /* sites, states, n = N (P - 1) gauge dimensions   */
    rmt_ws *ws;           /* the n eigenvalues l = P lambda_{k,p}, p >= 1    */
    size_t *grp;          /* n: the group of mode (k, p) (index k (P-1) + p-1) */
    unsigned char *cls;   /* n: RMT_XY_ANG, RMT_XY_SPAT or 0                 */
    double *ovg;          /* ng: per-group overlaps of one evaluation        */
    double lmax;          /* raw top population eigenvalue                   */
    double ang0, spat0;   /* B -> 0 levels: sum of l over the class / n      */
    size_t nang, nspat, ngrow;
};

enum { RMT_XY_ANG = 1, RMT_XY_SPAT = 2, RMT_XY_GROW = 4 };

void rmt_xy_free(rmt_xy *x)
{
    if (!x)
        return;
    rmt_free(x->ws);
    free(x->grp);
    free(x->cls);
    free(x->ovg);
    free(x);
}

int rmt_xy_alloc(rmt_xy **out, const double *lambda, size_t N, size_t P, char *err)
{
    *out = NULL;
    if (N < 1 || P < 2)
        return sym_error(err, SYM_EINVAL, "rmt_xy_alloc: N = %zu, P = %zu: need N >= 1, P >= 2",
                         N, P);
    if (N > ((size_t)-1) / P)
        return sym_error(err, SYM_EINVAL, "rmt_xy_alloc: N P overflows");
    size_t n = N * (P - 1);
    rmt_xy *x = calloc(1, sizeof *x);
    double *l = malloc(n * sizeof *l);
    if (x) {
        x->grp = malloc(n * sizeof *x->grp);
        x->cls = calloc(n, 1);
    }
    if (!x || !l || !x->grp || !x->cls) {
        free(l);
        rmt_xy_free(x);
        return sym_error(err, SYM_ENOMEM, "rmt_xy_alloc: out of memory");
    }
    x->N = N;
    x->P = P;
    x->n = n;
    x->lmax = -INFINITY;
    /* the p = 0 column is the gauge direction (eigenvalue 0, SPEC.md 9):
     * left out, so the measure lives on the N (P - 1) dimensions where C^
     * of centred one-hot data lives; in units of l = P lambda the null
     * covariance (1/P)(I - J/P) per site is the identity there. */
    for (size_t k = 0; k < N; k++)
        for (size_t p = 1; p < P; p++) {
            double v = lambda[k * P + p];
            if (!isfinite(v)) {
                free(l);
                rmt_xy_free(x);
                return sym_error(err, SYM_EINVAL, "rmt_xy_alloc: lambda[k = %zu, p = %zu] is "
                                 "not finite", k, p);
            }
            l[k * (P - 1) + p - 1] = (double)P * v;
            x->lmax = fmax(x->lmax, v);
        }
    int st = rmt_alloc(&x->ws, l, n, err);
    if (st) {
        free(l);
        rmt_xy_free(x);
        return sym_context(err, st, "rmt_xy_alloc");
    }
    const rmt_ws *ws = x->ws;
    x->ovg = malloc(ws->ng * sizeof *x->ovg);
    if (!x->ovg) {
        free(l);
        rmt_xy_free(x);
        return sym_error(err, SYM_ENOMEM, "rmt_xy_alloc: out of memory");
    }
    for (size_t k = 0; k < N; k++)
        for (size_t p = 1; p < P; p++) {
            size_t i = k * (P - 1) + p - 1, best = 0;
            for (size_t g = 1; g < ws->ng; g++)
                if (fabs(ws->lam[g] - l[i]) < fabs(ws->lam[best] - l[i]))
                    best = g;
            x->grp[i] = best;
            int grow = growing(l[i]);
            if (k == 0 && (p == 1 || p == P - 1)) {
                x->cls[i] = RMT_XY_ANG;
                x->nang++;
                x->ang0 += l[i];
            } else if (grow && (p == 1 || p == P - 1)) {
                x->cls[i] = RMT_XY_SPAT;
                x->nspat++;
                x->spat0 += l[i];
            }
            if (grow) {
                x->cls[i] |= RMT_XY_GROW;
                x->ngrow++;
            }
        }
    x->ang0 /= (double)n;
    x->spat0 /= (double)n;
    free(l);
    *out = x;
    return SYM_OK;
}

int rmt_xy_eval(const rmt_xy *x, double B, rmt_xy_top *out, char *err)
{
    rmt_top t;
    int st = top_eval(x->ws, B, &t, x->ovg, 1, err);
    /* The spike residues are first-order perturbation theory in the
     * distance to the other atoms of the finite-N spectrum.  The xy top pair
     * (k = 0, p = +-1) has neighbours k = +-1 only 1.4% below it (N = 100,
     * P = 10, beta = 1.5), which become outliers at almost the same B: when
     * the residues put more of the top eigenvector on one neighbouring group
     * than on the pair itself the outlier picture is not self-consistent
     * (its ov_ang then dips to ~0.1 in a narrow window of B, a pure
     * artefact against the measured curve), and the cluster is treated as
     * part of the bulk: Ledoit-Peche at the edge's classical location. */
    if (!st && t.spiked) {
        double other = 0;
        for (size_t g = 1; g < x->ws->ng; g++)
            other = fmax(other, x->ovg[g]);
        if (other > x->ovg[0])
            st = top_eval(x->ws, B, &t, x->ovg, 0, err);
    }
    if (st)
        return sym_context(err, st, "rmt_xy_eval");
    double P = (double)x->P, var = (P - 1) / (P * P), sc = sqrt(t.c);
    out->B = B;
    out->c = t.c;
    out->spiked = t.spiked;
    out->x_top = t.x_top / P;
    out->x_top_norm = out->x_top / var;
    out->x_edge_norm = t.x_edge / P / var;
    out->edge_norm = P / (P - 1) * (1 + sc) * (1 + sc);
    out->ov_ang = out->ov_spat = out->ov_grow = 0;
    /* a group's overlap is shared equally by its (equal-eigenvalue) modes */
    for (size_t i = 0; i < x->n; i++) {
        size_t g = x->grp[i];
        double o = x->ovg[g] / (double)x->ws->n[g];
        if (x->cls[i] & RMT_XY_ANG)
            out->ov_ang += o;
        if (x->cls[i] & RMT_XY_SPAT)
            out->ov_spat += o;
        if (x->cls[i] & RMT_XY_GROW)
            out->ov_grow += o;
    }
    return SYM_OK;
}

/* the B grid of the predicted thresholds (the rule of rmt_bc_top) */
#define RMT_XY_BMIN 1e-1
#define RMT_XY_BMAX 1e12

/* first upward crossing of y through half on the grid B[0..n-1],
 * interpolated linearly in log B; NAN when there is none */
static double up_cross(const double *B, const double *y, size_t n, double half)
{
    for (size_t j = 0; j + 1 < n; j++) {
        double d0 = y[j] - half, d1 = y[j + 1] - half;
        if (!isfinite(d0) || !isfinite(d1))
            return NAN;
        if (d0 < 0 && d1 >= 0) {
            double x0 = log(B[j]), x1 = log(B[j + 1]), f = d0 / (d0 - d1);
            return exp(x0 + f * (x1 - x0));
        }
    }
    return NAN;
}

/* first downward crossing, the mirror of up_cross */
static double down_cross(const double *B, const double *y, size_t n, double half)
{
    for (size_t j = 0; j + 1 < n; j++) {
        double d0 = y[j] - half, d1 = y[j + 1] - half;
        if (!isfinite(d0) || !isfinite(d1))
            return NAN;
        if (d0 > 0 && d1 <= 0) {
            double x0 = log(B[j]), x1 = log(B[j + 1]), f = d0 / (d0 - d1);
            return exp(x0 + f * (x1 - x0));
        }
    }
    return NAN;
}

int rmt_xy_predict(const rmt_xy *x, rmt_xy_pred *out, char *err)
{
    double P = (double)x->P, n = (double)x->n;
    out->lambda_max = x->lmax;
    out->Lambda = x->lmax * P * P / (P - 1);
    out->n_ang = x->nang;
    out->n_spat = x->nspat;
    out->n_grow = x->ngrow;
    out->ang0 = x->ang0;
    out->spat0 = x->spat0;
    double l = P * x->lmax;
    out->Bc_bbp = l > 1 ? n / ((l - 1) * (l - 1)) : INFINITY;
    out->Bc_paper = l > 1 ? n / ((sqrt(l) - 1) * (sqrt(l) - 1)) : INFINITY;
    out->Bc_ang = out->Bc_spat = out->Bc_spat_fall = out->spat_max = out->B_spat_max = NAN;
    size_t m = (size_t)ceil(log(RMT_XY_BMAX / RMT_XY_BMIN) / log(RMT_TOP_STEP)) + 1;
    double *B = malloc(m * sizeof *B), *ya = malloc(m * sizeof *ya), *ys = malloc(m * sizeof *ys);
    int st = !B || !ya || !ys ? sym_error(err, SYM_ENOMEM, "rmt_xy_predict: out of memory")
                              : SYM_OK;
    size_t imax = 0;
    for (size_t k = 0; k < m && !st; k++) {
        rmt_xy_top t;
        B[k] = RMT_XY_BMIN * pow(RMT_TOP_STEP, (double)k);
        st = rmt_xy_eval(x, B[k], &t, err);
        ya[k] = t.ov_ang;
        ys[k] = t.ov_spat;
        if (ys[k] > ys[imax])
            imax = k;
    }
    if (!st && x->nang > 0)
        out->Bc_ang = up_cross(B, ya, m, 0.5 * (x->ang0 + 1));
    if (!st && x->nspat > 0) {
        out->spat_max = ys[imax];
        out->B_spat_max = B[imax];
        out->Bc_spat = up_cross(B, ys, imax + 1, 0.5 * (x->spat0 + ys[imax]));
        out->Bc_spat_fall = down_cross(B + imax, ys + imax, m - imax, 0.5 * ys[imax]);
    }
    free(B);
    free(ya);
    free(ys);
    return st;
}
