#include "compare/thr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "core/err.h"

int thr_grid(double Bmin, double Bmax, size_t points, size_t *B, size_t *n, char *err)
{
    if (!(Bmin >= 1) || !(Bmax >= Bmin) || !isfinite(Bmax))
        return sym_error(err, SYM_EINVAL, "B range [%g, %g]: need 1 <= Bmin <= Bmax", Bmin, Bmax);
    if (points < 1)
        return sym_error(err, SYM_EINVAL, "points = 0: need at least one grid point");
    if (points == 1 && Bmax != Bmin)
        return sym_error(err, SYM_EINVAL, "points = 1 needs Bmin == Bmax");
    size_t m = 0;
    double l0 = log(Bmin), l1 = log(Bmax);
    for (size_t j = 0; j < points; j++) {
        double x = points == 1 ? l0 : l0 + (l1 - l0) * (double)j / (double)(points - 1);
        size_t b = (size_t)llround(exp(x));
        if (b < 1)
            b = 1;
        if (m > 0 && b <= B[m - 1])
            continue;   /* small B: neighbouring grid points round alike */
        B[m++] = b;
    }
    *n = m;
    return SYM_OK;
}

int thr_crossing(const double *B, const double *y, size_t n, double lo, double hi, double *Bc,
                 char *err)
{
    *Bc = NAN;
    if (n < 2)
        return sym_error(err, SYM_EINVAL, "thr_crossing: need at least two sample sizes, got %zu", n);
    if (!isfinite(lo) || !isfinite(hi) || lo == hi)
        return sym_error(err, SYM_ENUM, "thr_crossing: levels %g and %g do not define a rise", lo, hi);
    double half = 0.5 * (lo + hi), dir = hi > lo ? 1 : -1;
    for (size_t j = 0; j < n; j++)
        if (!isfinite(y[j]))
            return sym_error(err, SYM_ENUM, "thr_crossing: value at B = %g is not finite", B[j]);
    /* d_j > 0: on the hi side of the level.  The curve starts on the lo side
     * (or is already across at the smallest B, then there is no crossing to
     * locate inside the grid). */
    if (dir * (y[0] - half) >= 0)
        return sym_error(err, SYM_ENUM, "thr_crossing: already half-way at the smallest B = %g", B[0]);
    for (size_t j = 0; j + 1 < n; j++) {
        double d0 = dir * (y[j] - half), d1 = dir * (y[j + 1] - half);
        if (d0 < 0 && d1 >= 0) {
            double x0 = log(B[j]), x1 = log(B[j + 1]);
            double f = d0 / (d0 - d1);   /* in (0, 1] */
            *Bc = exp(x0 + f * (x1 - x0));
            return SYM_OK;
        }
    }
    return sym_error(err, SYM_ENUM, "thr_crossing: never half-way up to B = %g", B[n - 1]);
}

void thr_levels_apply(const thr_levels *lv, const double *m, size_t n, double *lo, double *hi)
{
    *lo = lv->lo_data ? m[0] : lv->lo;
    *hi = lv->hi_data ? m[n - 1] : lv->hi;
}

int thr_bootstrap(const double *B, const double *y, size_t n, size_t ns, const thr_levels *lv,
                  size_t nres, gsl_rng *r, double *ci_lo, double *ci_hi, size_t *nvalid, char *err)
{
    *ci_lo = *ci_hi = NAN;
    *nvalid = 0;
    if (n < 2 || ns < 1 || nres < 1)
        return sym_error(err, SYM_EINVAL, "thr_bootstrap: need >= 2 sample sizes, >= 1 seed and "
                         ">= 1 replicate (got %zu, %zu, %zu)", n, ns, nres);
    double *m = malloc(n * sizeof *m), *bc = malloc(nres * sizeof *bc);
    if (!m || !bc) {
        free(m);
        free(bc);
        return sym_error(err, SYM_ENOMEM, "thr_bootstrap: out of memory");
    }
    size_t nv = 0;
    char dummy[SYM_ERRLEN];
    for (size_t rep = 0; rep < nres; rep++) {
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t k = 0; k < ns; k++)
                s += y[j * ns + gsl_rng_uniform_int(r, ns)];
            m[j] = s / (double)ns;
        }
        double lo, hi, b;
        thr_levels_apply(lv, m, n, &lo, &hi);
        /* a replicate that does not cross is counted out, not an error */
        if (thr_crossing(B, m, n, lo, hi, &b, dummy) == SYM_OK)
            bc[nv++] = b;
    }
    *nvalid = nv;
    if (2 * nv >= nres && nv > 0) {
        gsl_sort(bc, 1, nv);
        *ci_lo = gsl_stats_quantile_from_sorted_data(bc, 1, nv, THR_CI_LO);
        *ci_hi = gsl_stats_quantile_from_sorted_data(bc, 1, nv, THR_CI_HI);
    }
    free(m);
    free(bc);
    return SYM_OK;
}
