/* pinning: the pinned centre's distribution and hops (compare/pinning.h). */
#include "compare/pinning.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_sort.h>

#include "core/err.h"
#include "core/traj.h"
#include "theory/restore.h"

static double wrap(double x, double N)
{
    x = fmod(x, N);
    return x < 0 ? x + N : x;
}

double pinning_ks(double *x, size_t nx, double N, const double *p, size_t n, double x0)
{
    if (nx == 0 || n == 0)
        return NAN;
    double h = N / (double)n;
    /* G[j]: mass from c_0 = x0 to c_j, trapezoids; G[n] the whole ring */
    double *G = malloc((n + 1) * sizeof *G);
    if (!G)
        return NAN;
    G[0] = 0;
    for (size_t j = 0; j < n; j++)
        G[j + 1] = G[j] + 0.5 * h * (p[j] + p[(j + 1) % n]);
    double tot = G[n];
    /* the CDF from x0 over y in [0, N) */
#define CDF_FROM_X0(y, out)                                                      \
    do {                                                                         \
        double yy_ = (y);                                                        \
        size_t j_ = (size_t)floor(yy_ / h);                                      \
        if (j_ >= n)                                                             \
            j_ = n - 1;                                                          \
        double d_ = yy_ - (double)j_ * h, a_ = p[j_], b_ = p[(j_ + 1) % n];      \
        (out) = (G[j_] + d_ * a_ + (b_ - a_) * d_ * d_ / (2 * h)) / tot;         \
    } while (0)
    double F0;   /* the mass from x0 up to N, i.e. the CDF from x0 at 0 + N */
    CDF_FROM_X0(x0 > 0 ? N - x0 : 0, F0);
    for (size_t k = 0; k < nx; k++)
        x[k] = wrap(x[k], N);
    gsl_sort(x, 1, nx);
    double dmax = 0;
    for (size_t k = 0; k < nx; k++) {
        double y = x[k] - x0, Fy;
        if (y < 0)
            y += N;
        CDF_FROM_X0(y, Fy);
        double u = Fy - F0;
        if (u < 0)
            u += 1;
        u = fmin(fmax(u, 0), 1);
        dmax = fmax(dmax, fmax((double)(k + 1) / (double)nx - u, u - (double)k / (double)nx));
    }
#undef CDF_FROM_X0
    free(G);
    return dmax;
}

void pinning_hist(const double *x, size_t nx, double N, size_t nbins, double *dens)
{
    memset(dens, 0, nbins * sizeof *dens);
    if (nx == 0)
        return;
    double w = N / (double)nbins;
    for (size_t k = 0; k < nx; k++) {
        size_t b = (size_t)floor(wrap(x[k], N) / w);
        dens[b < nbins ? b : nbins - 1] += 1;
    }
    for (size_t b = 0; b < nbins; b++)
        dens[b] /= (double)nx * w;
}

void pinning_wells(const double *L, size_t n, double thr, size_t *idx, size_t *nw)
{
    /* alternating circular list: maxima mx[k], and mn[k] the minimum of L
     * between maximum k and maximum k + 1 */
    size_t cap = n / 2 + 1, m = 0, best = 0;
    for (size_t j = 0; j < n; j++) {
        double l = L[(j + n - 1) % n], r = L[(j + 1) % n];
        if (L[j] > l && L[j] >= r && m < cap)
            idx[m++] = j;
        if (L[j] > L[best])
            best = j;
    }
    if (m == 0) {
        idx[0] = best;
        *nw = 1;
        return;
    }
    double *mn = malloc(m * sizeof *mn);
    if (!mn) {   /* no room to merge: keep the deepest well only */
        idx[0] = best;
        *nw = 1;
        return;
    }
    for (size_t k = 0; k < m; k++) {
        size_t a = idx[k], b = idx[(k + 1) % m] + (k + 1 == m ? n : 0);
        double v = INFINITY;
        for (size_t j = a + 1; j < b; j++)
            v = fmin(v, L[j % n]);
        mn[k] = m == 1 && !isfinite(v) ? L[a] : v;
    }
    while (m > 1) {
        /* the shallowest well: its depth above the higher of its two
         * neighbouring minima */
        size_t ks = 0;
        double ds = INFINITY;
        for (size_t k = 0; k < m; k++) {
            double lo = mn[(k + m - 1) % m], hi = mn[k];
            double d = L[idx[k]] - fmax(lo, hi);
            if (d < ds) {
                ds = d;
                ks = k;
            }
        }
        if (ds >= thr)
            break;
        /* remove well ks and the higher of its minima; the lower remains
         * between its two neighbours */
        size_t kl = (ks + m - 1) % m;
        double keep = fmin(mn[kl], mn[ks]);
        mn[kl] = keep;
        memmove(idx + ks, idx + ks + 1, (m - ks - 1) * sizeof *idx);
        memmove(mn + ks, mn + ks + 1, (m - ks - 1) * sizeof *mn);
        m--;
        if (ks == m && m > 0)   /* removed the last: its left minimum is now the wrap one */
            mn[m - 1] = keep;
    }
    free(mn);
    *nw = m;
}

int pinning_mfpt(const double *U, size_t n, double h, double D, double *T, double *p, char *err)
{
    if (n < 3 || !(h > 0) || !(D > 0))
        return sym_error(err, SYM_EINVAL, "mfpt: n = %zu, h = %g, D = %g: need n >= 3, h > 0, "
                         "D > 0", n, h, D);
    double *I = malloc(n * sizeof *I), *Phi = malloc(n * sizeof *Phi), *E = malloc(n * sizeof *E);
    if (!I || !Phi || !E) {
        free(I);
        free(Phi);
        free(E);
        return sym_error(err, SYM_ENOMEM, "mfpt: out of memory (n = %zu)", n);
    }
    /* shift U by its extremes so neither e^U nor e^-U overflows: the
     * products e^U(y) e^-U(z) only see U(y) - U(z) */
    double umin = INFINITY, umax = -INFINITY;
    for (size_t k = 0; k < n; k++) {
        umin = fmin(umin, U[k]);
        umax = fmax(umax, U[k]);
    }
    /* I(y) = int_0^y e^{-(U - umin)}, Phi = int_0^x e^{U - umax} I: both
     * bounded; T = (p Phi(b) - Phi) e^{umax - umin} / D */
    I[0] = 0;
    for (size_t k = 1; k < n; k++)
        I[k] = I[k - 1] + 0.5 * h * (exp(-(U[k - 1] - umin)) + exp(-(U[k] - umin)));
    Phi[0] = 0;
    E[0] = 0;
    for (size_t k = 1; k < n; k++) {
        double f0 = exp(U[k - 1] - umax), f1 = exp(U[k] - umax);
        Phi[k] = Phi[k - 1] + 0.5 * h * (f0 * I[k - 1] + f1 * I[k]);
        E[k] = E[k - 1] + 0.5 * h * (f0 + f1);
    }
    double scale = exp(umax - umin) / D;
    for (size_t k = 0; k < n; k++) {
        double pk = E[k] / E[n - 1];
        T[k] = (pk * Phi[n - 1] - Phi[k]) * scale;
        if (p)
            p[k] = pk;
    }
    T[0] = T[n - 1] = 0;
    free(I);
    free(Phi);
    free(E);
    return SYM_OK;
}

/* U = -L / T_eff on the nodes lo .. hi (unwrapped indices of the periodic
 * grid), into u (hi - lo + 1) */
static void seg_u(const double *L, size_t n, long lo, long hi, double T_eff, double *u)
{
    for (long k = lo; k <= hi; k++) {
        long j = ((k % (long)n) + (long)n) % (long)n;
        u[k - lo] = -L[j] / T_eff;
    }
}

int pinning_dwell_pred(const double *L, size_t n, double N, double T_eff, double D,
                       const size_t *idx, size_t nw, double *mean, double *Tw, char *err)
{
    *mean = NAN;
    if (nw < 1 || n < 2)
        return sym_error(err, SYM_EINVAL, "dwell: %zu wells on %zu nodes", nw, n);
    double h = N / (double)n;
    size_t cap = 2 * n + 1;
    double *u = malloc(cap * sizeof *u), *T = malloc(cap * sizeof *T), *p = malloc(cap * sizeof *p),
           *Ti = malloc(nw * sizeof *Ti), *pr = malloc(nw * sizeof *pr);
    gsl_matrix *A = gsl_matrix_calloc(nw, nw);
    gsl_vector *b = gsl_vector_calloc(nw), *pi = gsl_vector_alloc(nw);
    gsl_permutation *perm = gsl_permutation_alloc(nw);
    int st = SYM_OK;
    if (!u || !T || !p || !Ti || !pr || !A || !b || !pi || !perm) {
        st = sym_error(err, SYM_ENOMEM, "dwell: out of memory");
        goto done;
    }
    for (size_t i = 0; i < nw; i++) {
        long c = (long)idx[i];
        long lo = (long)idx[(i + nw - 1) % nw] - (i == 0 ? (long)n : 0);
        long hi = (long)idx[(i + 1) % nw] + (i == nw - 1 ? (long)n : 0);
        size_t len = (size_t)(hi - lo + 1);
        seg_u(L, n, lo, hi, T_eff, u);
        if ((st = pinning_mfpt(u, len, h, D, T, p, err)))
            goto done;
        Ti[i] = T[c - lo];
        pr[i] = p[c - lo];
    }
    /* stationary law of the bottoms visited: pi (P - I) = 0, sum pi = 1
     * (row 0 of the transposed system replaced by the normalisation) */
    for (size_t i = 0; i < nw; i++) {
        size_t r = (i + 1) % nw, l = (i + nw - 1) % nw;
        *gsl_matrix_ptr(A, r, i) += pr[i];
        *gsl_matrix_ptr(A, l, i) += 1 - pr[i];
        *gsl_matrix_ptr(A, i, i) -= 1;
    }
    for (size_t i = 0; i < nw; i++)
        gsl_matrix_set(A, 0, i, 1);
    gsl_vector_set(b, 0, 1);
    int sg;
    if (gsl_linalg_LU_decomp(A, perm, &sg) || gsl_linalg_LU_solve(A, perm, b, pi)) {
        st = sym_error(err, SYM_EINVAL, "dwell: singular chain of %zu wells", nw);
        goto done;
    }
    double s = 0;
    for (size_t i = 0; i < nw; i++) {
        s += gsl_vector_get(pi, i) * Ti[i];
        if (Tw)
            Tw[i] = Ti[i];
    }
    *mean = s;
done:
    free(u);
    free(T);
    free(p);
    free(Ti);
    free(pr);
    gsl_matrix_free(A);
    gsl_vector_free(b);
    gsl_vector_free(pi);
    gsl_permutation_free(perm);
    return st;
}

int pinning_deff_passage(const double *L, size_t n, double N, double T_eff, double *ratio,
                         char *err)
{
    size_t len = 2 * n + 1;
    double *u = malloc(len * sizeof *u), *T = malloc(len * sizeof *T);
    int st = u && T ? SYM_OK : sym_error(err, SYM_ENOMEM, "passage: out of memory");
    if (!st) {
        seg_u(L, n, -(long)n, (long)n, T_eff, u);
        st = pinning_mfpt(u, len, N / (double)n, 1.0, T, NULL, err);
    }
    if (!st)
        *ratio = N * N / (2 * T[n]);
    free(u);
    free(T);
    return st;
}

/* milestones: q-th bottom at c[q mod nw] + floor(q / nw) N; cnt(x) = the
 * number of bottoms <= x, counted from q = 0 at the first lap's first */
static long cnt(double x, double N, const double *c, size_t nw)
{
    double k = floor(x / N), r = x - k * N;
    long m = 0;
    while ((size_t)m < nw && c[m] <= r)
        m++;
    return (long)k * (long)nw + m;
}

static double qpos(long q, double N, const double *c, size_t nw)
{
    long k = q >= 0 ? q / (long)nw : -((-q + (long)nw - 1) / (long)nw);
    return c[q - k * (long)nw] + (double)k * N;
}

static size_t qwell(long q, size_t nw)
{
    long r = q % (long)nw;
    return (size_t)(r < 0 ? r + (long)nw : r);
}

void pinning_hops(const double *X, const double *t, size_t nx, double N, const double *c,
                  size_t nw, size_t *hops, double *tw, size_t *dep)
{
    if (nx == 0 || nw == 0)
        return;
    long qb = cnt(X[0], N, c, nw) - 1;
    long last = fabs(X[0] - qpos(qb, N, c, nw)) <= fabs(qpos(qb + 1, N, c, nw) - X[0]) ? qb : qb + 1;
    for (size_t k = 1; k < nx; k++) {
        tw[qwell(last, nw)] += t[k] - t[k - 1];
        double lo = fmin(X[k - 1], X[k]), hi = fmax(X[k - 1], X[k]);
        long a = cnt(lo, N, c, nw), b = cnt(hi, N, c, nw) - 1;   /* crossed: a .. b */
        if (a > b)
            continue;
        int up = X[k] > X[k - 1];
        for (long j = 0; j <= b - a; j++) {
            long q = up ? a + j : b - j;
            if (q != last) {
                (*hops)++;
                dep[qwell(last, nw)]++;
                last = q;
            }
        }
    }
}

void pinning_pred_free(pinning_pred *pp)
{
    free(pp->c);
    free(pp->LB);
    free(pp->P);
    free(pp->well);
    free(pp->Tw);
    memset(pp, 0, sizeof *pp);
}

int pinning_predict(const ring_model *m, const unit_params *u, const double *wstar, double eSe,
                    double dwdX2, double center, double lr, size_t batch, const int8_t *v,
                    size_t B, size_t npts, pinning_pred *pp, char *err)
{
    memset(pp, 0, sizeof *pp);
    size_t N = m->N, n = npts;
    if (n < 3 || batch < 1 || !(lr > 0) || !(dwdX2 > 0) || !(eSe > 0) || !isfinite(center))
        return sym_error(err, SYM_EINVAL, "pinning: points = %zu, batch = %zu, lr = %g, "
                         "|dw/dX|^2 = %g, eSe = %g, center = %g: need points >= 3, batch >= 1 "
                         "and positive finite values", n, batch, lr, dwdX2, eSe, center);
    double h = (double)N / (double)n;
    double *X = malloc(n * sizeof *X), *L = malloc(n * sizeof *L), *P = malloc(n * sizeof *P);
    pp->c = malloc(n * sizeof *pp->c);
    pp->LB = malloc(n * sizeof *pp->LB);
    pp->P = malloc(n * sizeof *pp->P);
    pp->well = malloc((n / 2 + 1) * sizeof *pp->well);
    pp->Tw = malloc((n / 2 + 1) * sizeof *pp->Tw);
    int st = SYM_OK;
    if (!X || !L || !P || !pp->c || !pp->LB || !pp->P || !pp->well || !pp->Tw) {
        st = sym_error(err, SYM_ENOMEM, "pinning: out of memory (points = %zu)", n);
        goto done;
    }
    pp->npts = n;
    pp->h = h;
    pp->T_eff = lr * eSe / (2.0 * (double)batch);
    pp->D = pp->T_eff / dwdX2;
    pp->dwdX2 = dwdX2;
    pp->center = center;
    if ((st = restore_landscape(m, u, wstar, v, B, n, pp->T_eff, X, L, P, &pp->deff_lj,
                                &pp->ratio, err)))
        goto done;
    /* to the centre coordinate: node j of the shift grid sits at
     * c = X_j + center; rotate so the centre grid starts in [0, h) */
    double cw = wrap(center, (double)N);
    size_t s = (size_t)floor(cw / h);
    pp->x0 = cw - (double)s * h;
    if (pp->x0 >= h || s >= n) {   /* rounding at a grid boundary */
        pp->x0 = 0;
        s = (size_t)lround(cw / h) % n;
    }
    double mx = -INFINITY, mn = INFINITY;
    for (size_t j = 0; j < n; j++) {
        /* centre node j = shift node (j - s) mod n */
        size_t k = (j + n - s) % n;
        pp->c[j] = pp->x0 + (double)j * h;
        pp->LB[j] = L[k];
        pp->P[j] = P[k];
        mx = fmax(mx, L[k]);
        mn = fmin(mn, L[k]);
    }
    pp->spread = mx - mn;
    pp->b_uniform = restore_b_uniform(B, pp->spread, pp->T_eff);
    pinning_wells(pp->LB, n, PINNING_WELL_DEPTH * pp->T_eff, pp->well, &pp->nw);
    if ((st = pinning_deff_passage(pp->LB, n, (double)N, pp->T_eff, &pp->deff_pass, err)) ||
        (st = pinning_dwell_pred(pp->LB, n, (double)N, pp->T_eff, pp->D, pp->well, pp->nw,
                                 &pp->dwell_pred, pp->Tw, err)))
        goto done;
done:
    free(X);
    free(L);
    free(P);
    if (st)
        pinning_pred_free(pp);
    return st;
}

void pinning_meas_free(pinning_meas *pm)
{
    free(pm->Pm);
    free(pm->tw);
    free(pm->dep);
    memset(pm, 0, sizeof *pm);
}

double pinning_ks2(double *a, size_t na, double *b, size_t nb)
{
    if (!na || !nb)
        return NAN;
    gsl_sort(a, 1, na);
    gsl_sort(b, 1, nb);
    size_t i = 0, j = 0;
    double d = 0;
    while (i < na && j < nb) {
        double x = a[i] <= b[j] ? a[i] : b[j];
        while (i < na && a[i] <= x)
            i++;
        while (j < nb && b[j] <= x)
            j++;
        d = fmax(d, fabs((double)i / (double)na - (double)j / (double)nb));
    }
    return d;
}

double pinning_interp(const double *L, size_t n, double N, double x0, double x)
{
    double h = N / (double)n, y = wrap(x - x0, N) / h;
    size_t j = (size_t)floor(y);
    if (j >= n)
        j = n - 1;
    double f = y - (double)j;
    return (1 - f) * L[j] + f * L[(j + 1) % n];
}

/* E_T[L] over the grid, log-sum-exp safe */
static double mean_at(const double *L, size_t n, double T)
{
    double mx = -INFINITY, z = 0, s = 0;
    for (size_t j = 0; j < n; j++)
        mx = fmax(mx, L[j]);
    for (size_t j = 0; j < n; j++) {
        double e = exp((L[j] - mx) / T);
        z += e;
        s += e * L[j];
    }
    return s / z;
}

double pinning_fit_temperature(const double *L, size_t npts, const double *Ls, size_t n,
                               double T_lo, double T_hi)
{
    double m = 0;
    for (size_t k = 0; k < n; k++)
        m += Ls[k];
    m /= (double)n;
    /* E_T[L] falls as T rises (d E / d(1/T) = Var(L) >= 0): bisect log T */
    double a = log(T_lo), b = log(T_hi);
    if (mean_at(L, npts, T_lo) <= m)
        return T_lo;
    if (mean_at(L, npts, T_hi) >= m)
        return T_hi;
    for (int it = 0; it < 200 && b - a > 1e-12; it++) {
        double c = 0.5 * (a + b);
        if (mean_at(L, npts, exp(c)) > m)
            a = c;
        else
            b = c;
    }
    return exp(0.5 * (a + b));
}

int pinning_measure(const pinning_pred *pp, double N, const double *X, const double *t,
                    size_t nwalk, size_t nt, size_t k0, size_t nbins, pinning_meas *pm,
                    char *err)
{
    memset(pm, 0, sizeof *pm);
    if (nwalk < 1 || k0 >= nt || nbins < 1)
        return sym_error(err, SYM_EINVAL, "pinning: %zu walks, formation at snapshot %zu of "
                         "%zu, %zu bins: need a formed walk after formation", nwalk, k0, nt,
                         nbins);
    size_t nw = nt - k0, n = nwalk * nw, npts = pp->npts;
    double *xs = malloc(n * sizeof *xs), *ys = malloc(n * sizeof *ys),
           *hist = malloc(nbins * sizeof *hist), *cw = malloc(pp->nw * sizeof *cw);
    pm->Pm = malloc(npts * sizeof *pm->Pm);
    pm->tw = calloc(pp->nw, sizeof *pm->tw);
    pm->dep = calloc(pp->nw, sizeof *pm->dep);
    int st = SYM_OK;
    if (!xs || !ys || !hist || !cw || !pm->Pm || !pm->tw || !pm->dep) {
        st = sym_error(err, SYM_ENOMEM, "pinning: out of memory for %zu positions", n);
        goto done;
    }
    for (size_t w = 0; w < nwalk; w++)
        for (size_t k = 0; k < nw; k++)
            xs[w * nw + k] = wrap(X[w * nt + k0 + k], N);
    pm->n = n;
    pinning_hist(xs, n, N, nbins, hist);
    for (size_t j = 0; j < npts; j++) {
        size_t b = (size_t)floor(pp->c[j] / (N / (double)nbins));
        pm->Pm[j] = hist[b < nbins ? b : nbins - 1];
    }
    /* the split halves before xs is sorted (walk order) */
    size_t nh = (nwalk / 2) * nw;
    memcpy(ys, xs, n * sizeof *ys);
    pm->ks_split = nwalk >= 2 ? pinning_ks2(ys, nh, ys + nh, n - nh) : NAN;
    memcpy(ys, xs, n * sizeof *ys);
    double *flat = malloc(npts * sizeof *flat);
    if (!flat) {
        st = sym_error(err, SYM_ENOMEM, "pinning: out of memory");
        goto done;
    }
    for (size_t j = 0; j < npts; j++)
        flat[j] = 1.0 / N;
    pm->ks_uniform = pinning_ks(ys, n, N, flat, npts, pp->x0);
    free(flat);
    pm->ks_pred = pinning_ks(xs, n, N, pp->P, npts, pp->x0);
    for (size_t i = 0; i < pp->nw; i++)
        cw[i] = pp->c[pp->well[i]];
    for (size_t w = 0; w < nwalk; w++)
        pinning_hops(X + w * nt + k0, t + k0, nw, N, cw, pp->nw, &pm->hops, pm->tw, pm->dep);
    pm->time = (double)nwalk * (t[nt - 1] - t[k0]);
    pm->dwell = pm->hops ? pm->time / (double)pm->hops : NAN;
    /* the fitted temperature (ys: the positions, unsorted order unneeded) */
    for (size_t k = 0; k < n; k++)
        ys[k] = pinning_interp(pp->LB, npts, N, pp->x0, ys[k]);
    pm->T_fit = pinning_fit_temperature(pp->LB, npts, ys, n, 1e-3 * pp->T_eff, 1e3 * pp->T_eff);
    double *Pf = malloc(npts * sizeof *Pf);
    if (!Pf) {
        st = sym_error(err, SYM_ENOMEM, "pinning: out of memory");
        goto done;
    }
    {
        double mx = -INFINITY, z = 0;
        for (size_t j = 0; j < npts; j++)
            mx = fmax(mx, pp->LB[j]);
        for (size_t j = 0; j < npts; j++)
            z += (Pf[j] = exp((pp->LB[j] - mx) / pm->T_fit)) * pp->h;
        for (size_t j = 0; j < npts; j++)
            Pf[j] /= z;
    }
    memcpy(ys, xs, n * sizeof *ys);
    pm->ks_fit = pinning_ks(ys, n, N, Pf, npts, pp->x0);
    free(Pf);
    if ((st = pinning_deff_passage(pp->LB, npts, N, pm->T_fit, &pm->deff_fit, err)) ||
        (st = pinning_dwell_pred(pp->LB, npts, N, pm->T_fit, pp->D * pm->T_fit / pp->T_eff,
                                 pp->well, pp->nw, &pm->dwell_fit, NULL, err)))
        goto done;
done:
    free(xs);
    free(ys);
    free(hist);
    free(cw);
    if (st)
        pinning_meas_free(pm);
    return st;
}

void pinning_write(const pinning_pred *pp, const pinning_meas *pm, double D_meas, FILE *ftab,
                   FILE *fwell, FILE *fsum)
{
    fprintf(ftab, "X\tL_B\tP_pred\tP_meas\n");
    for (size_t j = 0; j < pp->npts; j++) {
        traj_put(ftab, pp->c[j]);
        fputc('\t', ftab);
        traj_put(ftab, pp->LB[j]);
        fputc('\t', ftab);
        traj_put(ftab, pp->P[j]);
        fputc('\t', ftab);
        traj_put(ftab, pm->Pm[j]);
        fputc('\n', ftab);
    }
    fprintf(fwell, "X\tL_B\tT_pred\tdwell_meas\tdepartures\n");
    for (size_t i = 0; i < pp->nw; i++) {
        traj_put(fwell, pp->c[pp->well[i]]);
        fputc('\t', fwell);
        traj_put(fwell, pp->LB[pp->well[i]]);
        fputc('\t', fwell);
        traj_put(fwell, pp->Tw[i]);
        fputc('\t', fwell);
        traj_put(fwell, pm->dep[i] ? pm->tw[i] / (double)pm->dep[i] : NAN);
        fprintf(fwell, "\t%zu\n", pm->dep[i]);
    }
    double pmax = -INFINITY, pmin = INFINITY;
    for (size_t j = 0; j < pp->npts; j++) {
        pmax = fmax(pmax, pp->P[j]);
        pmin = fmin(pmin, pp->P[j]);
    }
    traj_summary_num(fsum, "pin_T_eff", pp->T_eff);
    traj_summary_num(fsum, "pin_D_bare", pp->D);
    traj_summary_num(fsum, "pin_spread", pp->spread);
    traj_summary_num(fsum, "pin_spread_over_T_eff", pp->spread / pp->T_eff);
    traj_summary_num(fsum, "pin_P_max", pmax);
    traj_summary_num(fsum, "pin_P_min", pmin);
    traj_summary_num(fsum, "pin_P_ratio", pp->ratio);
    traj_summary_num(fsum, "pin_B_uniform", pp->b_uniform);
    traj_summary_num(fsum, "pin_center_wstar", pp->center);
    traj_summary_num(fsum, "ks_pred", pm->ks_pred);
    traj_summary_num(fsum, "ks_uniform_pin", pm->ks_uniform);
    traj_summary_num(fsum, "ks_split", pm->ks_split);
    traj_summary_num(fsum, "pin_n_pooled", (double)pm->n);
    traj_summary_num(fsum, "wells", (double)pp->nw);
    traj_summary_num(fsum, "well_depth_rule", PINNING_WELL_DEPTH);
    traj_summary_num(fsum, "hops", (double)pm->hops);
    traj_summary_num(fsum, "dwell_meas", pm->dwell);
    traj_summary_num(fsum, "dwell_pred", pp->dwell_pred);
    traj_summary_num(fsum, "dwell_meas_over_pred", pm->dwell / pp->dwell_pred);
    traj_summary_num(fsum, "D_eff_over_D_lj", pp->deff_lj);
    traj_summary_num(fsum, "D_eff_over_D_passage", pp->deff_pass);
    traj_summary_num(fsum, "D_eff_pred", pp->D * pp->deff_lj);
    traj_summary_num(fsum, "D_eff_meas", D_meas);
    traj_summary_num(fsum, "D_eff_meas_over_pred", D_meas / (pp->D * pp->deff_lj));
    traj_summary_num(fsum, "T_fit", pm->T_fit);
    traj_summary_num(fsum, "T_fit_over_T_eff", pm->T_fit / pp->T_eff);
    traj_summary_num(fsum, "ks_fit", pm->ks_fit);
    traj_summary_num(fsum, "D_eff_fit", pp->D * pm->T_fit / pp->T_eff * pm->deff_fit);
    traj_summary_num(fsum, "dwell_fit", pm->dwell_fit);
}
