#include "compare/cmp_potts.h"

#include <complex.h>
#include <fftw3.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_min.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compare/cmp.h"
#include "core/err.h"
#include "core/sys.h"

static const char *const names[CMPP_NOBS] = {"norm2", "R", "center", "S_ang", "phase", "loglik", "pr", "a0"};

const char *cmpp_obs_name(size_t j)
{
    return j < CMPP_NOBS ? names[j] : "?";
}

int cmpp_obs_circular(size_t j)
{
    return j == CMPP_CENTER || j == CMPP_PHASE;
}

/* The angular symmetry group of each Potts data model compare knows: xy's
 * energy depends on cos(2 pi (v_i - v_{i+1}) / P) only, invariant under a
 * common colour shift and under v -> -v. */
static const cmp_potts_sym syms[] = {
    {"xy", 1, 1},
};

const cmp_potts_sym *cmp_potts_sym_find(const char *data)
{
    for (size_t k = 0; data && k < sizeof syms / sizeof syms[0]; k++)
        if (!strcmp(syms[k].data, data))
            return &syms[k];
    return NULL;
}

double cmpp_circ_diff(double a, double b, double p)
{
    double d = a - b;
    if (!(p > 0) || !isfinite(d))
        return d;
    d = fmod(d, p);
    if (d > p / 2)
        d -= p;
    else if (d <= -p / 2)
        d += p;
    return d;
}

struct cmpp_ws {
    size_t N, P, nc;
    double *in;                 /* N x P                              */
    fftw_complex *W, *U;        /* nc x P: spatial modes per colour   */
    double complex *X;          /* nc: cross-spectrum of one alignment */
    double complex *root;       /* N: e^{2 pi i j / N}, the lattice phases */
    fftw_plan plan;
};

cmpp_ws *cmpp_ws_alloc(size_t N, size_t P)
{
    if (N < 1 || P < 1 || N > INT32_MAX || P > 128)
        return NULL;
    cmpp_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->N = N;
    ws->P = P;
    ws->nc = N / 2 + 1;
    ws->in = fftw_malloc(N * P * sizeof *ws->in);
    ws->W = fftw_malloc(ws->nc * P * sizeof *ws->W);
    ws->U = fftw_malloc(ws->nc * P * sizeof *ws->U);
    ws->X = malloc(ws->nc * sizeof *ws->X);
    ws->root = malloc(N * sizeof *ws->root);
    if (ws->in && ws->W && ws->U && ws->X && ws->root) {
        for (size_t j = 0; j < N; j++)
            ws->root[j] = cexp(2 * M_PI * I * (double)j / (double)N);
        /* P transforms of length N along the site index (stride P) */
        int n = (int)N;
        ws->plan = fftw_plan_many_dft_r2c(1, &n, (int)P, ws->in, NULL, (int)P, 1, ws->W, NULL, (int)P, 1,
                                          FFTW_ESTIMATE);
    }
    if (!ws->plan) {
        cmpp_ws_free(ws);
        return NULL;
    }
    return ws;
}

void cmpp_ws_free(cmpp_ws *ws)
{
    if (!ws)
        return;
    if (ws->plan)
        fftw_destroy_plan(ws->plan);
    fftw_free(ws->in);
    fftw_free(ws->W);
    fftw_free(ws->U);
    free(ws->X);
    free(ws->root);
    free(ws);
}

/* f(s) = sum_{i,c} w_i(c) u'_{i+s}(c) for the band-limited shift of u' (the
 * convention of obs_shift_frac: the Nyquist mode of even N as cos(pi s)). */
static double corr_at(const cmpp_ws *ws, double s)
{
    size_t N = ws->N;
    double f = creal(ws->X[0]);
    /* e^{2 pi i k s / N} by recurrence from one cexp: rounding grows like
     * k eps, far below the Brent tolerance for the N of a ring */
    double complex z = cexp(2 * M_PI * I * s / (double)N), e = 1;
    for (size_t k = 1; k < ws->nc; k++) {
        e *= z;
        if (2 * k == N)
            f += creal(ws->X[k]) * cos(M_PI * s);
        else
            f += 2 * creal(ws->X[k] * e);
    }
    return f / (double)N;
}

/* corr_at at the lattice shift s, from the table of roots (no cexp) */
static double corr_lattice(const cmpp_ws *ws, size_t s)
{
    size_t N = ws->N;
    double f = creal(ws->X[0]);
    for (size_t k = 1; k < ws->nc; k++) {
        double complex e = ws->root[(k * s) % N];
        if (2 * k == N)
            f += creal(ws->X[k]) * creal(e);
        else
            f += 2 * creal(ws->X[k] * e);
    }
    return f / (double)N;
}

typedef struct {
    const cmpp_ws *ws;
    double sg;
} corr_par;

static double neg_corr(double s, void *p)
{
    const corr_par *c = p;
    return -c->sg * corr_at(c->ws, s);
}

/* Brent's method on the trigonometric polynomial in [lo, hi] from guess m;
 * keeps (s, f) when GSL refuses the bracket (no interior minimum). */
static void refine(const cmpp_ws *ws, double sg, double lo, double m, double hi, double *s, double *f)
{
    corr_par cp = {ws, sg};
    gsl_function F = {neg_corr, &cp};
    gsl_min_fminimizer *mz = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent);
    if (!mz)
        return;
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    if (gsl_min_fminimizer_set(mz, &F, m, lo, hi) == GSL_SUCCESS) {
        for (int it = 0; it < 100; it++) {
            if (gsl_min_fminimizer_iterate(mz) != GSL_SUCCESS)
                break;
            double a = gsl_min_fminimizer_x_lower(mz), b = gsl_min_fminimizer_x_upper(mz);
            if (gsl_min_test_interval(a, b, 1e-12, 0) == GSL_SUCCESS)
                break;
        }
        double x = gsl_min_fminimizer_x_minimum(mz), v = sg * corr_at(ws, x);
        if (v > *f) {
            *s = x;
            *f = v;
        }
    }
    gsl_set_error_handler(old);
    gsl_min_fminimizer_free(mz);
}

/* X_k = sum_c conj(W_k(c)) U_k(refl c + r): the cross-spectrum of w with
 * u'_i(c) = u_i(refl c + r) (rf = 1: refl = -1). */
static void cross_spectrum(cmpp_ws *ws, size_t rf, size_t r)
{
    size_t P = ws->P;
    for (size_t k = 0; k < ws->nc; k++) {
        double complex x = 0;
        for (size_t c = 0; c < P; c++) {
            size_t cc = rf ? (P - c + r) % P : (c + r) % P;
            /* <complex.h> before <fftw3.h>: fftw_complex is double complex */
            x += conj(ws->W[k * P + c]) * ws->U[k * P + cc];
        }
        ws->X[k] = x;
    }
}

double cmpp_overlap(cmpp_ws *ws, const cmp_potts_sym *sym, const double *w, const double *u,
                    cmpp_align *al)
{
    size_t N = ws->N, P = ws->P;
    cmpp_align best = {0, 0, 1, 1};
    if (al)
        *al = best;
    double nw = 0, nu = 0;
    for (size_t k = 0; k < N * P; k++) {
        nw += w[k] * w[k];
        nu += u[k] * u[k];
    }
    if (!(nw > 0) || !(nu > 0) || !isfinite(nw) || !isfinite(nu))
        return NAN;
    memcpy(ws->in, w, N * P * sizeof *ws->in);
    fftw_execute_dft_r2c(ws->plan, ws->in, ws->W);
    memcpy(ws->in, u, N * P * sizeof *ws->in);
    fftw_execute_dft_r2c(ws->plan, ws->in, ws->U);
    size_t nr = sym && sym->colour_shift ? P : 1;
    int nrefl = sym && sym->reflect ? 2 : 1;
    /* pass 1: the lattice maximum of every alignment of the colours */
    size_t ng = nr * (size_t)nrefl, gb = 0;
    double lat[2 * 128];
    size_t latb[2 * 128];
    for (size_t g = 0; g < ng; g++) {
        cross_spectrum(ws, g / nr, g % nr);
        latb[g] = 0;
        lat[g] = -1;
        for (size_t s = 0; s < N; s++) {
            double v = fabs(corr_lattice(ws, s));
            if (v > lat[g]) {
                lat[g] = v;
                latb[g] = s;
            }
        }
        if (lat[g] > lat[gb])
            gb = g;
    }
    /* pass 2: the continuous refinement, only where it can win: between
     * lattice points a trigonometric polynomial of this band rises by far
     * less than 10% above its lattice maximum for the profiles compare
     * sees; the ones within 10% of the best are refined */
    double fbest = -1;
    for (size_t g = 0; g < ng; g++) {
        if (!(lat[g] >= 0.9 * lat[gb]))
            continue;
        cross_spectrum(ws, g / nr, g % nr);
        size_t b = latb[g];
        double bmax = lat[g];
        double sg = corr_lattice(ws, b) < 0 ? -1.0 : 1.0, s = (double)b, f = bmax;
        if (N > 1) {
            /* as obs_overlap_frac: the continuous maximum is within one
             * site of the lattice one, between it and a tied neighbour */
            /* the bracket is judged on corr_at itself, the function Brent
             * sees: the lattice table rounds differently, and a tie that
             * one call breaks by 1 ulp the other may not */
            double f0 = sg * corr_at(ws, s), fl = sg * corr_at(ws, s - 1), fr = sg * corr_at(ws, s + 1);
            if (fl < f0 && fr < f0)
                refine(ws, sg, s - 1, s, s + 1, &s, &f);
            else if (fr >= fl)
                refine(ws, sg, s, s + 0.5, s + 1, &s, &f);
            else
                refine(ws, sg, s - 1, s - 0.5, s, &s, &f);
        }
        if (f > fbest) {
            fbest = f;
            s = fmod(s, (double)N);
            if (s < 0)
                s += (double)N;
            if (s >= (double)N)
                s -= (double)N;
            best.shift = s;
            best.cshift = g % nr;
            best.refl = g / nr ? -1 : 1;
            best.sign = (int)sg;
        }
    }
    if (al)
        *al = best;
    double q = fbest / (sqrt(nw) * sqrt(nu));
    return q > 1 ? 1 : q;
}

double cmpp_match(cmpp_ws *ws, const cmp_potts_sym *sym, const double *wsim, const double *wth,
                  size_t M, size_t *perm, double *q)
{
    size_t L = ws->N * ws->P;
    double *Q = malloc((M * M + 1) * sizeof *Q);
    size_t *pm = malloc((M + 1) * sizeof *pm);
    double mean = NAN;
    if (Q && pm && M > 0) {
        for (size_t a = 0; a < M; a++)
            for (size_t b = 0; b < M; b++)
                Q[a * M + b] = cmpp_overlap(ws, sym, wsim + a * L, wth + b * L, NULL);
        mean = cmp_assign(Q, NULL, M, CMP_EXHAUSTIVE_MAX, pm) / (double)M;
        if (!isnan(mean)) {
            memcpy(perm, pm, M * sizeof *pm);
            for (size_t a = 0; q && a < M; a++)
                q[a] = Q[a * M + pm[a]];
        }
    }
    free(Q);
    free(pm);
    return mean;
}

/* ---- runs ---- */

void cmpp_run_free(cmpp_run *r)
{
    free(r->dir);
    traj_header_free(&r->header);
    free(r->t);
    free(r->o);
    free(r->wt);
    free(r->w);
    free(r->wrow);
    memset(r, 0, sizeof *r);
}

static int header_size(const traj_header *h, const char *key, const char *path, size_t *v, char *err)
{
    const char *s = traj_header_get(h, key);
    char *end;
    if (!s)
        return sym_error(err, SYM_EINVAL, "%s: header has no %s", path, key);
    double d = strtod(s, &end);
    if (end == s || *end || !(d >= 1) || d != floor(d) || d > 1e12)
        return sym_error(err, SYM_EINVAL, "%s: header %s=%s is not a positive integer", path, key, s);
    *v = (size_t)d;
    return SYM_OK;
}

static int load(cmpp_run *r, const char *dir, traj_table *tt, traj_table *tw, char *err)
{
    char pt[SYS_PATH], pw[SYS_PATH];
    int st = sys_path(pt, sizeof pt, dir, "trajectory.tsv", err);
    st = st ? st : sys_path(pw, sizeof pw, dir, "weights.tsv", err);
    st = st ? st : traj_read(pt, tt, err);
    st = st ? st : traj_read(pw, tw, err);
    if (st)
        return st;
    const char *data = traj_header_get(&tt->header, "data");
    if (!(r->sym = cmp_potts_sym_find(data)))
        return sym_error(err, SYM_EINVAL, "%s: data=%s is not a Potts data model", pt, data ? data : "(none)");
    if ((st = header_size(&tt->header, "N", pt, &r->N, err)) || (st = header_size(&tt->header, "P", pt, &r->P, err)))
        return st;
    size_t N = r->N, P = r->P, L = N * P;
    int ct = traj_table_col(tt, "t"), cm = traj_table_col(tt, "mu"), co[CMPP_NOBS];
    for (size_t j = 0; j < CMPP_NOBS; j++)
        if ((co[j] = traj_table_col(tt, names[j])) < 0)
            return sym_error(err, SYM_EINVAL, "%s: no column %s", pt, names[j]);
    if (ct < 0 || cm < 0)
        return sym_error(err, SYM_EINVAL, "%s: no column t or mu", pt);
    if (traj_table_col(tw, "t") != 0 || traj_table_col(tw, "mu") != 1 || traj_table_col(tw, "c") != 2 ||
        tw->ncol != N + 3)
        return sym_error(err, SYM_EINVAL, "%s: expected columns t mu c w_0 .. w_%zu (N=%zu), found %zu columns",
                         pw, N - 1, N, tw->ncol);
    /* M and the snapshot times: rows come as blocks of one time, mu in order */
    size_t M = 0;
    for (size_t q = 0; q < tt->nrow; q++) {
        double mu = tt->x[q * tt->ncol + (size_t)cm];
        if (!(mu >= 0) || mu != floor(mu) || mu >= (double)tt->nrow)
            return sym_error(err, SYM_EINVAL, "%s:%zu: mu = %g: need an integer in [0, %zu)", pt, tt->line[q], mu, tt->nrow);
        if ((size_t)mu + 1 > M)
            M = (size_t)mu + 1;
    }
    if (M == 0 || tt->nrow % M)
        return sym_error(err, SYM_EINVAL, "%s: %zu rows are not snapshots of M=%zu units", pt, tt->nrow, M);
    r->M = M;
    r->n = tt->nrow / M;
    size_t n = r->n;
    r->t = malloc(n * sizeof *r->t);
    r->o = malloc(M * n * CMPP_NOBS * sizeof *r->o);
    r->wrow = malloc(n * sizeof *r->wrow);
    if (!r->t || !r->o || !r->wrow)
        return sym_error(err, SYM_ENOMEM, "%s: out of memory", dir);
    for (size_t s = 0; s < n; s++) {
        r->wrow[s] = SIZE_MAX;
        for (size_t a = 0; a < M; a++) {
            const double *row = tt->x + (s * M + a) * tt->ncol;
            if (row[cm] != (double)a || row[ct] != tt->x[s * M * tt->ncol + (size_t)ct])
                return sym_error(err, SYM_EINVAL, "%s:%zu: expected unit mu=%zu of the snapshot at t=%g", pt,
                                 tt->line[s * M + a], a, tt->x[s * M * tt->ncol + (size_t)ct]);
            for (size_t j = 0; j < CMPP_NOBS; j++)
                r->o[(a * n + s) * CMPP_NOBS + j] = row[co[j]];
        }
        r->t[s] = tt->x[s * M * tt->ncol + (size_t)ct];
        if (!isfinite(r->t[s]) || (s > 0 && !(r->t[s] > r->t[s - 1])))
            return sym_error(err, SYM_EINVAL, "%s: snapshot times not increasing at t=%g", pt, r->t[s]);
    }
    if (tw->nrow == 0 || tw->nrow % (M * P))
        return sym_error(err, SYM_EINVAL, "%s: %zu rows are not snapshots of M=%zu units x P=%zu colours", pw,
                         tw->nrow, M, P);
    r->nw = tw->nrow / (M * P);
    r->wt = malloc(r->nw * sizeof *r->wt);
    r->w = malloc(r->nw * M * L * sizeof *r->w);
    if (!r->wt || !r->w)
        return sym_error(err, SYM_ENOMEM, "%s: out of memory", dir);
    size_t s = 0;
    for (size_t q = 0; q < r->nw; q++) {
        double tq = tw->x[q * M * P * tw->ncol];
        while (s < n && r->t[s] < tq)
            s++;
        if (s == n || r->t[s] != tq)
            return sym_error(err, SYM_EINVAL, "%s: weights at t=%.17g, not a snapshot of trajectory.tsv", pw, tq);
        r->wrow[s] = q;
        r->wt[q] = tq;
        for (size_t a = 0; a < M; a++)
            for (size_t c = 0; c < P; c++) {
                size_t row = (q * M + a) * P + c;
                const double *x = tw->x + row * tw->ncol;
                if (x[0] != tq || x[1] != (double)a || x[2] != (double)c)
                    return sym_error(err, SYM_EINVAL, "%s:%zu: expected t=%.17g mu=%zu c=%zu", pw, tw->line[row],
                                     tq, a, c);
                for (size_t i = 0; i < N; i++) {
                    if (!isfinite(x[3 + i]))
                        return sym_error(err, SYM_EINVAL, "%s:%zu: non-finite weight", pw, tw->line[row]);
                    r->w[((q * M + a) * N + i) * P + c] = x[3 + i];
                }
            }
        s++;
    }
    return SYM_OK;
}

int cmpp_run_load(cmpp_run *r, const char *dir, char *err)
{
    memset(r, 0, sizeof *r);
    traj_header_init(&r->header);
    traj_table tt, tw;
    memset(&tt, 0, sizeof tt);
    memset(&tw, 0, sizeof tw);
    traj_header_init(&tt.header);
    traj_header_init(&tw.header);
    int st = (r->dir = strdup(dir)) ? load(r, dir, &tt, &tw, err) : sym_error(err, SYM_ENOMEM, "out of memory");
    if (!st) {
        r->header = tt.header;
        traj_header_init(&tt.header);
    }
    traj_table_free(&tt);
    traj_table_free(&tw);
    if (st)
        cmpp_run_free(r);
    return st;
}

/* ---- comparison ---- */

void cmpp_result_free(cmpp_result *res)
{
    free(res->t);
    free(res->Q);
    free(res->oth);
    free(res->osim);
    free(res->match);
    free(res->al_final);
    free(res->Q_final);
    memset(res, 0, sizeof *res);
}

/* The theory at time t (linear in t between snapshots, circular columns
 * along the shorter arc): order parameters of every unit into o (M x
 * CMPP_NOBS) and, when both neighbouring snapshots (or t itself) have
 * weights, all units' profiles into w (M x N x P) with *have_w = 1. */
static int interp(const cmpp_run *th, double t, double *o, double *w, int *have_w, char *err)
{
    size_t n = th->n, M = th->M, L = th->N * th->P;
    double tl = th->t[n - 1], tol = CMP_T_TOL * fabs(tl);
    if (!(t >= th->t[0]) || t > tl + tol)
        return sym_error(err, SYM_EINVAL, "t=%g is outside the theory's range [%g, %g] (rerun theory with a larger --T)",
                         t, th->t[0], tl);
    size_t k = 0, k1;
    if (t >= tl)
        k = n - 1;
    else
        while (k + 1 < n && th->t[k + 1] <= t)
            k++;
    k1 = k + 1 < n ? k + 1 : k;
    double f = k1 == k ? 0 : (t - th->t[k]) / (th->t[k1] - th->t[k]);
    for (size_t a = 0; a < M; a++)
        for (size_t j = 0; j < CMPP_NOBS; j++) {
            double x = th->o[(a * n + k) * CMPP_NOBS + j], y = th->o[(a * n + k1) * CMPP_NOBS + j];
            double per = j == CMPP_CENTER ? (double)th->N : j == CMPP_PHASE ? 2 * M_PI : 0;
            double d = per > 0 ? cmpp_circ_diff(y, x, per) : y - x;
            double v = f == 0 ? x : x + f * d;
            if (per > 0 && isfinite(v)) {
                v = fmod(v, per);
                if (v < 0)
                    v += per;
            }
            o[a * CMPP_NOBS + j] = v;
        }
    *have_w = 0;
    size_t r0 = th->wrow[k], r1 = th->wrow[k1];
    if (r0 != SIZE_MAX && r1 != SIZE_MAX) {
        for (size_t x = 0; x < M * L; x++) {
            double a = th->w[r0 * M * L + x], b = th->w[r1 * M * L + x];
            w[x] = a + f * (b - a);
        }
    } else if (r0 != SIZE_MAX && fabs(t - th->t[k]) <= tol) {
        memcpy(w, th->w + r0 * M * L, M * L * sizeof *w);
    } else if (r1 != SIZE_MAX && fabs(t - th->t[k1]) <= tol) {
        memcpy(w, th->w + r1 * M * L, M * L * sizeof *w);
    } else {
        return SYM_OK;
    }
    *have_w = 1;
    return SYM_OK;
}

int cmpp_compare(cmpp_ws *ws, const cmpp_run *th, const cmpp_run *sim, cmpp_result *res, char *err)
{
    memset(res, 0, sizeof *res);
    if (th->sym != sim->sym || th->N != sim->N || th->P != sim->P || th->M != sim->M)
        return sym_error(err, SYM_EINVAL, "%s is data=%s N=%zu P=%zu M=%zu but theory %s is data=%s N=%zu P=%zu M=%zu",
                         sim->dir, sim->sym->data, sim->N, sim->P, sim->M, th->dir, th->sym->data, th->N, th->P,
                         th->M);
    const char *keys[] = {"beta"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const char *a = traj_header_get(&th->header, keys[k]), *b = traj_header_get(&sim->header, keys[k]);
        if ((a || b) && !traj_header_same(a, b))
            return sym_error(err, SYM_EINVAL, "%s has %s=%s but theory %s has %s=%s", sim->dir, keys[k],
                             b ? b : "(none)", th->dir, keys[k], a ? a : "(none)");
    }
    size_t n = sim->n, M = sim->M, L = sim->N * sim->P;
    int st = SYM_OK;
    res->n = n;
    res->M = M;
    res->t = malloc(n * sizeof *res->t);
    res->Q = malloc(n * M * sizeof *res->Q);
    res->oth = malloc(n * M * CMPP_NOBS * sizeof *res->oth);
    res->osim = malloc(n * M * CMPP_NOBS * sizeof *res->osim);
    res->match = malloc(M * sizeof *res->match);
    res->al_final = calloc(M, sizeof *res->al_final);
    res->Q_final = malloc(M * sizeof *res->Q_final);
    double *u = malloc(M * L * sizeof *u);
    int *hw = malloc(n * sizeof *hw);
    if (!res->t || !res->Q || !res->oth || !res->osim || !res->match || !res->al_final || !res->Q_final || !u || !hw) {
        st = sym_error(err, SYM_ENOMEM, "cmpp_compare: out of memory");
        goto done;
    }
    /* the matching: at the last sim snapshot with weights on both sides */
    size_t sm = SIZE_MAX;
    for (size_t s = 0; s < n; s++) {
        res->t[s] = sim->t[s];
        if ((st = interp(th, sim->t[s], res->oth + s * M * CMPP_NOBS, u, &hw[s], err))) {
            st = sym_context(err, st, sim->dir);
            goto done;
        }
        hw[s] = hw[s] && sim->wrow[s] != SIZE_MAX;
        if (hw[s])
            sm = s;
        for (size_t a = 0; a < M; a++)
            memcpy(res->osim + (s * M + a) * CMPP_NOBS, sim->o + (a * n + s) * CMPP_NOBS,
                   CMPP_NOBS * sizeof(double));
    }
    if (sm == SIZE_MAX) {
        st = sym_error(err, SYM_EINVAL, "%s: no snapshot with weights in both runs", sim->dir);
        goto done;
    }
    res->t_match = sim->t[sm];
    if ((st = interp(th, res->t_match, res->oth + sm * M * CMPP_NOBS, u, &hw[sm], err)))
        goto done;
    const double *wsim = sim->w + sim->wrow[sm] * M * L;
    res->Q_mean = cmpp_match(ws, sim->sym, wsim, u, M, res->match, res->Q_final);
    if (isnan(res->Q_mean) && M > 0) {
        /* a zero profile also gives nan: identity then */
        for (size_t a = 0; a < M; a++)
            res->match[a] = a;
    }
    for (size_t a = 0; a < M; a++)
        cmpp_overlap(ws, sim->sym, wsim + a * L, u + res->match[a] * L, &res->al_final[a]);
    for (size_t s = 0; s < n; s++) {
        int have = 0;
        if ((st = interp(th, sim->t[s], res->oth + s * M * CMPP_NOBS, u, &have, err)))
            goto done;
        for (size_t a = 0; a < M; a++)
            res->Q[s * M + a] = hw[s] ? cmpp_overlap(ws, sim->sym, sim->w + (sim->wrow[s] * M + a) * L,
                                                     u + res->match[a] * L, NULL)
                                      : NAN;
    }
    /* theory order parameters listed under the matched sim unit */
    double *tmp = malloc(M * CMPP_NOBS * sizeof *tmp);
    if (!tmp) {
        st = sym_error(err, SYM_ENOMEM, "cmpp_compare: out of memory");
        goto done;
    }
    for (size_t s = 0; s < n; s++) {
        memcpy(tmp, res->oth + s * M * CMPP_NOBS, M * CMPP_NOBS * sizeof *tmp);
        for (size_t a = 0; a < M; a++)
            memcpy(res->oth + (s * M + a) * CMPP_NOBS, tmp + res->match[a] * CMPP_NOBS, CMPP_NOBS * sizeof *tmp);
    }
    free(tmp);
done:
    free(u);
    free(hw);
    if (st)
        cmpp_result_free(res);
    return st;
}

int cmpp_ref_load(const char *dir, size_t N, size_t P, size_t M, double t, double *w, char *err)
{
    cmpp_run r;
    int st = cmpp_run_load(&r, dir, err);
    if (st)
        return st;
    double *o = malloc(r.M * CMPP_NOBS * sizeof *o);
    int have = 0;
    if (!o)
        st = sym_error(err, SYM_ENOMEM, "out of memory");
    else if (r.N != N || r.P != P || r.M != M)
        st = sym_error(err, SYM_EINVAL, "%s has N=%zu P=%zu M=%zu, the simulation N=%zu P=%zu M=%zu", dir, r.N,
                       r.P, r.M, N, P, M);
    else if ((st = interp(&r, t, o, w, &have, err)))
        st = sym_context(err, st, dir);
    else if (!have)
        st = sym_error(err, SYM_EINVAL, "%s: no weights at t=%g (theory --weights all, or the same T)", dir, t);
    free(o);
    cmpp_run_free(&r);
    return st;
}
