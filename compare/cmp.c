#include "compare/cmp.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/sys.h"

static const char *const obs_names[CMP_NOBS] = {
    "norm2", "pr", "R", "S", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"};

const char *cmp_obs_name(size_t j)
{
    return j < CMP_NOBS ? obs_names[j] : "?";
}

/* The header's N as a positive integer. */
static int header_N(const traj_header *h, const char *path, size_t *N, char *err)
{
    const char *s = traj_header_get(h, "N");
    char *end;
    if (!s)
        return sym_error(err, SYM_EINVAL, "%s: header has no N", path);
    double d = strtod(s, &end);
    if (end == s || *end || !(d >= 1) || d != floor(d) || d > 1e12)
        return sym_error(err, SYM_EINVAL, "%s: header N=%s is not a positive integer", path, s);
    *N = (size_t)d;
    return SYM_OK;
}

/* Rows of table t for hidden unit mu, in file order. */
static size_t rows_of(const traj_table *t, int cmu, size_t mu, size_t *idx)
{
    size_t n = 0;
    for (size_t r = 0; r < t->nrow; r++)
        if (t->x[r * t->ncol + (size_t)cmu] == (double)mu)
            idx[n++] = r;
    return n;
}

/* The observables compare uses must be numbers (a damaged or diverged run
 * is an error naming its line, not a nan in the scores): t, mu and norm2 in
 * every row, a_k for the modes the ring has (obs_compute writes nan for
 * k >= N); pr, R and S do not exist for a zero profile, so nan is accepted
 * there where norm2 = 0, and inf nowhere. */
static int check_obs(const traj_table *tt, size_t N, const char *path, char *err)
{
    const char *fin[3 + OBS_NA] = {"t", "mu", "norm2"};
    size_t n = 3;
    for (size_t k = 0; k < OBS_NA && k < N; k++)
        fin[n++] = obs_names[CMP_A0 + k];
    int st = traj_table_require_finite(tt, fin, n, path, err);
    if (st)
        return st;
    static const char *const shape[] = {"pr", "R", "S"};
    size_t cn = (size_t)traj_table_col(tt, "norm2");
    for (size_t j = 0; j < sizeof shape / sizeof shape[0]; j++) {
        int c = traj_table_col(tt, shape[j]);
        if (c < 0)
            return sym_error(err, SYM_EINVAL, "%s: no column %s", path, shape[j]);
        for (size_t q = 0; q < tt->nrow; q++) {
            double x = tt->x[q * tt->ncol + (size_t)c], n2 = tt->x[q * tt->ncol + cn];
            if (isfinite(x) || (isnan(x) && n2 == 0))
                continue;
            return sym_error(err, SYM_EINVAL, "%s:%zu: %s = %s with norm2 = %.17g: need a finite number",
                             path, tt->line[q], shape[j], isnan(x) ? "nan" : x > 0 ? "inf" : "-inf", n2);
        }
    }
    return SYM_OK;
}

void cmp_run_free(cmp_run *r)
{
    free(r->dir);
    traj_header_free(&r->header);
    traj_header_free(&r->summary);
    free(r->t);
    free(r->o);
    free(r->wt);
    free(r->w);
    free(r->wrow);
    memset(r, 0, sizeof *r);
}

static int load(cmp_run *r, const char *dir, size_t mu, traj_table *tt, traj_table *tw, char *err)
{
    char pt[SYS_PATH], pw[SYS_PATH], ps[SYS_PATH];
    size_t *it = NULL, *iw = NULL;
    int st = sys_path(pt, sizeof pt, dir, "trajectory.tsv", err);
    st = st ? st : sys_path(pw, sizeof pw, dir, "weights.tsv", err);
    st = st ? st : sys_path(ps, sizeof ps, dir, "summary.tsv", err);
    if (st)
        goto done;
    if ((st = traj_read(pt, tt, err)) || (st = traj_read(pw, tw, err)) ||
        (st = traj_read_summary(ps, &r->summary, err)))
        goto done;

    /* the data model, from the trajectory header */
    const char *data = traj_header_get(&tt->header, "data");
    if (!data) {
        st = sym_error(err, SYM_EINVAL, "%s: header has no data model (data=...)", pt);
        goto done;
    }
    if ((st = ring_type_find(data, &r->type, err))) {
        st = sym_context(err, st, pt);
        goto done;
    }
    if ((st = header_N(&tt->header, pt, &r->N, err)))
        goto done;
    /* the three files must come from one run: the same run id (core/run.h),
     * command line, data, N, model parameters (every key of every model)
     * and seed; files written before run ids existed have none */
    const char *rt = traj_header_get(&tt->header, "run"), *rs = traj_header_get(&r->summary, "run");
    if ((rt == NULL) != (rs == NULL) || (rt && strcmp(rt, rs))) {
        st = sym_error(err, SYM_EINVAL, "%s: run=%s, but trajectory.tsv is from run=%s: the files "
                       "of two runs are mixed", ps, rs ? rs : "(none)", rt ? rt : "(none)");
        goto done;
    }
    const char *fixed[] = {"run", "argv", "data", "N", "seed", "command"};
    size_t nfix = sizeof fixed / sizeof fixed[0], nkeys = nfix + ring_nkeys();
    for (size_t k = 0; k < nkeys; k++) {
        const char *key = k < nfix ? fixed[k] : ring_key(k - nfix)->key;
        const char *a = traj_header_get(&tt->header, key), *b = traj_header_get(&tw->header, key);
        if ((a == NULL) != (b == NULL) || (a && strcmp(a, b))) {
            st = sym_error(err, SYM_EINVAL, "%s: header %s=%s differs from trajectory.tsv's %s=%s", pw,
                           key, b ? b : "(none)", key, a ? a : "(none)");
            goto done;
        }
    }

    int ct = traj_table_col(tt, "t"), cm = traj_table_col(tt, "mu");
    int cwt = traj_table_col(tw, "t"), cwm = traj_table_col(tw, "mu");
    int co[CMP_NOBS];
    for (size_t j = 0; j < CMP_NOBS; j++)
        if ((co[j] = traj_table_col(tt, obs_names[j])) < 0) {
            st = sym_error(err, SYM_EINVAL, "%s: no column %s", pt, obs_names[j]);
            goto done;
        }
    if (ct < 0 || cm < 0) {
        st = sym_error(err, SYM_EINVAL, "%s: no column %s", pt, ct < 0 ? "t" : "mu");
        goto done;
    }
    if (cwt != 0 || cwm != 1 || tw->ncol != r->N + 2) {
        st = sym_error(err, SYM_EINVAL, "%s: expected columns t mu w_0 .. w_%zu (N=%zu), found %zu columns",
                       pw, r->N - 1, r->N, tw->ncol);
        goto done;
    }
    if ((st = check_obs(tt, r->N, pt, err)) || (st = traj_table_require_finite(tw, NULL, 0, pw, err)))
        goto done;
    it = malloc((tt->nrow + 1) * sizeof *it);
    iw = malloc((tw->nrow + 1) * sizeof *iw);
    if (!it || !iw) {
        st = sym_error(err, SYM_ENOMEM, "%s: out of memory", dir);
        goto done;
    }
    size_t n = rows_of(tt, cm, mu, it), nw = rows_of(tw, cwm, mu, iw);
    if (n == 0) {
        st = sym_error(err, SYM_EINVAL, "%s: no rows for hidden unit mu=%zu", pt, mu);
        goto done;
    }
    if (nw == 0) {
        st = sym_error(err, SYM_EINVAL, "%s: no rows for hidden unit mu=%zu", pw, mu);
        goto done;
    }
    if (nw > n) {
        st = sym_error(err, SYM_EINVAL, "%s: %zu snapshots for mu=%zu, more than trajectory.tsv's %zu",
                       pw, nw, mu, n);
        goto done;
    }
    r->n = n;
    r->nw = nw;
    r->t = malloc(n * sizeof *r->t);
    r->o = malloc(n * CMP_NOBS * sizeof *r->o);
    r->wt = malloc(nw * sizeof *r->wt);
    r->w = malloc(nw * r->N * sizeof *r->w);
    r->wrow = malloc(n * sizeof *r->wrow);
    if (!r->t || !r->o || !r->wt || !r->w || !r->wrow) {
        st = sym_error(err, SYM_ENOMEM, "%s: out of memory", dir);
        goto done;
    }
    for (size_t s = 0; s < n; s++) {
        const double *row = tt->x + it[s] * tt->ncol;
        r->t[s] = row[ct];
        r->wrow[s] = SIZE_MAX;
        if (!isfinite(r->t[s]) || (s > 0 && !(r->t[s] > r->t[s - 1]))) {
            st = sym_error(err, SYM_EINVAL, "%s: snapshot times not increasing at t=%g", pt, r->t[s]);
            goto done;
        }
        for (size_t j = 0; j < CMP_NOBS; j++)
            r->o[s * CMP_NOBS + j] = row[co[j]];
    }
    /* every weights row sits at a snapshot of trajectory.tsv (both print the
     * same double with %.17g, so the times are equal, not just close) */
    size_t s = 0;
    for (size_t q = 0; q < nw; q++) {
        const double *wr = tw->x + iw[q] * tw->ncol;
        while (s < n && r->t[s] < wr[0])
            s++;
        if (s == n || r->t[s] != wr[0]) {
            st = sym_error(err, SYM_EINVAL, "%s: weights at t=%.17g, not a snapshot of trajectory.tsv", pw, wr[0]);
            goto done;
        }
        r->wrow[s] = q;
        r->wt[q] = wr[0];
        for (size_t i = 0; i < r->N; i++) {
            r->w[q * r->N + i] = wr[2 + i];
            if (!isfinite(wr[2 + i])) {
                st = sym_error(err, SYM_EINVAL, "%s: non-finite weight at t=%g", pw, wr[0]);
                goto done;
            }
        }
        s++;
    }
done:
    free(it);
    free(iw);
    return st;
}

int cmp_run_load(cmp_run *r, const char *dir, size_t mu, char *err)
{
    memset(r, 0, sizeof *r);
    traj_header_init(&r->header);
    traj_header_init(&r->summary);
    traj_table tt, tw;
    memset(&tt, 0, sizeof tt);
    memset(&tw, 0, sizeof tw);
    traj_header_init(&tt.header);
    traj_header_init(&tw.header);
    if (!(r->dir = strdup(dir)))
        return sym_error(err, SYM_ENOMEM, "%s: out of memory", dir);
    int st = load(r, dir, mu, &tt, &tw, err);
    if (!st) {
        /* keep the trajectory header: move it out of the table */
        r->header = tt.header;
        traj_header_init(&tt.header);
    }
    traj_table_free(&tt);
    traj_table_free(&tw);
    if (st)
        cmp_run_free(r);
    return st;
}

int cmp_check_match(const cmp_run *th, const cmp_run *sim, char *err)
{
    if (th->type != sim->type)
        return sym_error(err, SYM_EINVAL, "%s is data=%s but theory %s is data=%s", sim->dir,
                         sim->type->name, th->dir, th->type->name);
    if (th->N != sim->N)
        return sym_error(err, SYM_EINVAL, "%s has N=%zu but theory %s has N=%zu", sim->dir, sim->N,
                         th->dir, th->N);
    for (size_t k = 0; k < th->type->npar; k++) {
        const char *key = th->type->par[k].key;
        const char *a = traj_header_get(&th->header, key), *b = traj_header_get(&sim->header, key);
        if ((a || b) && !traj_header_same(a, b))
            return sym_error(err, SYM_EINVAL, "%s has %s=%s but theory %s has %s=%s", sim->dir, key,
                             b ? b : "(none)", th->dir, key, a ? a : "(none)");
    }
    return SYM_OK;
}

/* Linear in t, not in log t: the trajectory solves an autonomous ODE and is
 * smooth (analytic) in t, including at t = 0, the first snapshot, which log t
 * cannot place.  On the log-spaced grid the error is (dt)^2 |f''| / 8 per
 * interval; in log t it would gain a term (dt)^2 |f'| / (8 t) on top. */
int cmp_interp(const cmp_run *th, double t, double *o, double *w, int *have_w, char *err)
{
    size_t n = th->n;
    double tl = th->t[n - 1];
    if (!(t >= th->t[0]) || t > tl + CMP_T_TOL * fabs(tl))
        return sym_error(err, SYM_EINVAL, "t=%g is outside the theory's range [%g, %g] (rerun theory with a larger --T)",
                         t, th->t[0], tl);
    size_t k = 0;
    if (t >= tl)
        k = n - 1;
    else {
        size_t lo = 0, hi = n - 1;   /* t[lo] <= t < t[hi] */
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if (th->t[mid] <= t)
                lo = mid;
            else
                hi = mid;
        }
        k = lo;
    }
    double f = 0;
    size_t k1 = k;
    if (k + 1 < n) {
        k1 = k + 1;
        f = (t - th->t[k]) / (th->t[k1] - th->t[k]);
    }
    if (o)
        for (size_t j = 0; j < CMP_NOBS; j++) {
            double a = th->o[k * CMP_NOBS + j], b = th->o[k1 * CMP_NOBS + j];
            o[j] = f == 0 ? a : a + f * (b - a);
        }
    if (have_w)
        *have_w = 0;
    if (!w)
        return SYM_OK;
    size_t r0 = th->wrow[k], r1 = th->wrow[k1];
    double tol = CMP_T_TOL * fabs(tl);
    if (r0 != SIZE_MAX && r1 != SIZE_MAX) {
        for (size_t i = 0; i < th->N; i++) {
            double a = th->w[r0 * th->N + i], b = th->w[r1 * th->N + i];
            w[i] = a + f * (b - a);
        }
    } else if (r0 != SIZE_MAX && fabs(t - th->t[k]) <= tol) {
        memcpy(w, th->w + r0 * th->N, th->N * sizeof *w);
    } else if (r1 != SIZE_MAX && fabs(t - th->t[k1]) <= tol) {
        memcpy(w, th->w + r1 * th->N, th->N * sizeof *w);
    } else {
        return SYM_OK;
    }
    if (have_w)
        *have_w = 1;
    return SYM_OK;
}

void cmp_result_free(cmp_result *res)
{
    free(res->t);
    free(res->Q);
    free(res->d);
    memset(res, 0, sizeof *res);
}

static double col_t_sb(const cmp_run *r, double *buf)
{
    for (size_t s = 0; s < r->n; s++)
        buf[s] = r->o[s * CMP_NOBS + CMP_S];
    return obs_t_sb(r->t, buf, r->n);
}

int cmp_compare(obs_ws *ws, const cmp_run *th, const cmp_run *sim, cmp_result *res, char *err)
{
    memset(res, 0, sizeof *res);
    int st = cmp_check_match(th, sim, err);
    if (st)
        return st;
    size_t n = sim->n, N = th->N;
    res->n = n;
    res->t = malloc(n * sizeof *res->t);
    res->Q = malloc(n * sizeof *res->Q);
    res->d = malloc(n * CMP_NOBS * sizeof *res->d);
    double *u = malloc(N * sizeof *u), *o = malloc(CMP_NOBS * sizeof *o);
    size_t nb = th->n > n ? th->n : n;
    double *buf = malloc(nb * sizeof *buf);
    if (!res->t || !res->Q || !res->d || !u || !o || !buf) {
        st = sym_error(err, SYM_ENOMEM, "cmp_compare: out of memory");
        goto done;
    }
    res->dR_max = NAN;
    for (size_t s = 0; s < n; s++) {
        double t = sim->t[s];
        res->t[s] = t;
        size_t shift = 0;
        int sign = 1, have_w = 0;
        if ((st = cmp_interp(th, t, o, u, &have_w, err))) {
            st = sym_context(err, st, sim->dir);
            goto done;
        }
        res->Q[s] = NAN;
        if (have_w && sim->wrow[s] != SIZE_MAX)
            res->Q[s] = obs_overlap(ws, sim->w + sim->wrow[s] * N, u, &shift, &sign);
        for (size_t j = 0; j < CMP_NOBS; j++)
            res->d[s * CMP_NOBS + j] = sim->o[s * CMP_NOBS + j] - o[j];
        double dR = fabs(res->d[s * CMP_NOBS + CMP_R]);
        if (isfinite(dR) && !(dR <= res->dR_max))
            res->dR_max = dR;
        if (s == n - 1) {
            res->shift = shift;
            res->sign = sign;
            res->Q_final = res->Q[s];
            res->dR_final = res->d[s * CMP_NOBS + CMP_R];
        }
    }
    res->t_sb_theory = col_t_sb(th, buf);
    res->t_sb_sim = col_t_sb(sim, buf);
done:
    free(u);
    free(o);
    free(buf);
    if (st)
        cmp_result_free(res);
    return st;
}

