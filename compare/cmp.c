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

/* Read and check dir's three files into tt, tw and r's summary, type, N (the
 * part every hidden unit shares); pt and pw get the file paths. */
static int load_files(cmp_run *r, const char *dir, traj_table *tt, traj_table *tw, char *pt, char *pw,
                      char *err)
{
    char ps[SYS_PATH];
    int st = sys_path(pt, SYS_PATH, dir, "trajectory.tsv", err);
    st = st ? st : sys_path(pw, SYS_PATH, dir, "weights.tsv", err);
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
done:
    return st;
}

/* Hidden unit mu of the tables load_files read. */
static int load_unit(cmp_run *r, size_t mu, const traj_table *tt, const traj_table *tw, const char *pt,
                     const char *pw, const char *dir, char *err)
{
    size_t *it = NULL, *iw = NULL;
    int st = SYM_OK;
    int ct = traj_table_col(tt, "t"), cm = traj_table_col(tt, "mu"), cwm = traj_table_col(tw, "mu");
    int co[CMP_NOBS];
    for (size_t j = 0; j < CMP_NOBS; j++)
        co[j] = traj_table_col(tt, obs_names[j]);
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

static int load(cmp_run *r, const char *dir, size_t mu, traj_table *tt, traj_table *tw, char *err)
{
    char pt[SYS_PATH], pw[SYS_PATH];
    int st = load_files(r, dir, tt, tw, pt, pw, err);
    return st ? st : load_unit(r, mu, tt, tw, pt, pw, dir, err);
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


/* ---- several hidden units ---- */

static int header_copy(traj_header *dst, const traj_header *src)
{
    for (size_t k = 0; k < src->n; k++)
        if (traj_header_set(dst, src->key[k], "%s", src->val[k]))
            return SYM_ENOMEM;
    return SYM_OK;
}

void cmp_units_free(cmp_units *u)
{
    for (size_t k = 0; u->unit && k < u->M; k++)
        cmp_run_free(&u->unit[k]);
    free(u->unit);
    memset(u, 0, sizeof *u);
}

/* M = 1 + the largest mu of trajectory.tsv (mu is checked finite). */
static int units_M(const traj_table *tt, const char *pt, size_t *M, char *err)
{
    size_t cm = (size_t)traj_table_col(tt, "mu"), m = 0;
    for (size_t q = 0; q < tt->nrow; q++) {
        double x = tt->x[q * tt->ncol + cm];
        if (!(x >= 0) || x != floor(x) || x >= (double)tt->nrow)
            return sym_error(err, SYM_EINVAL, "%s:%zu: mu = %.17g: need an integer in [0, %zu)", pt,
                             tt->line[q], x, tt->nrow);
        if ((size_t)x + 1 > m)
            m = (size_t)x + 1;
    }
    *M = m;
    return SYM_OK;
}

int cmp_units_load(cmp_units *u, const char *dir, char *err)
{
    memset(u, 0, sizeof *u);
    cmp_run r0;
    memset(&r0, 0, sizeof r0);
    traj_header_init(&r0.header);
    traj_header_init(&r0.summary);
    traj_table tt, tw;
    memset(&tt, 0, sizeof tt);
    memset(&tw, 0, sizeof tw);
    traj_header_init(&tt.header);
    traj_header_init(&tw.header);
    char pt[SYS_PATH], pw[SYS_PATH];
    size_t M = 0;
    int st = load_files(&r0, dir, &tt, &tw, pt, pw, err);
    st = st ? st : units_M(&tt, pt, &M, err);
    if (!st && M == 0)
        st = sym_error(err, SYM_EINVAL, "%s: no rows", pt);
    if (!st && !(u->unit = calloc(M, sizeof *u->unit)))
        st = sym_error(err, SYM_ENOMEM, "%s: out of memory", dir);
    /* every unit carries the run's headers, as cmp_run_load gives them */
    for (size_t mu = 0; !st && mu < M; mu++) {
        cmp_run *r = &u->unit[mu];
        traj_header_init(&r->header);
        traj_header_init(&r->summary);
        u->M = mu + 1;
        r->type = r0.type;
        r->N = r0.N;
        if (!(r->dir = strdup(dir)) || header_copy(&r->header, &tt.header) ||
            header_copy(&r->summary, &r0.summary))
            st = sym_error(err, SYM_ENOMEM, "%s: out of memory", dir);
        else
            st = load_unit(r, mu, &tt, &tw, pt, pw, dir, err);
    }
    traj_table_free(&tt);
    traj_table_free(&tw);
    cmp_run_free(&r0);
    if (st)
        cmp_units_free(u);
    return st;
}

/* A nan overlap (a zero profile) counts as worse than any real one, so
 * that the assignment stays well defined. */
static double qval(double x)
{
    return isnan(x) ? -1.0 : x;
}

/* The next permutation in lexicographic order; 0 after the last. */
static int next_perm(size_t *p, size_t M)
{
    if (M < 2)
        return 0;
    size_t i = M - 1;
    while (i > 0 && p[i - 1] >= p[i])
        i--;
    if (i == 0)
        return 0;
    size_t j = M - 1;
    while (p[j] <= p[i - 1])
        j--;
    size_t x = p[i - 1];
    p[i - 1] = p[j];
    p[j] = x;
    for (size_t a = i, b = M - 1; a < b; a++, b--) {
        x = p[a];
        p[a] = p[b];
        p[b] = x;
    }
    return 1;
}

/* Hungarian method (shortest augmenting paths with potentials, O(M^3)) on
 * the cost c[a M + b] = -Q: rows a are sim units, columns b theory units.
 * Arrays are 1-based as in the textbook form; column 0 is the virtual
 * start. */
static int hungarian(const double *Q, size_t M, size_t *perm)
{
    size_t n1 = M + 1;
    double *u = calloc(n1, sizeof *u), *v = calloc(n1, sizeof *v), *minv = malloc(n1 * sizeof *minv);
    size_t *p = calloc(n1, sizeof *p), *way = calloc(n1, sizeof *way);
    char *used = malloc(n1);
    int ok = u && v && minv && p && way && used;
    for (size_t i = 1; ok && i <= M; i++) {
        p[0] = i;
        size_t j0 = 0;
        for (size_t j = 0; j <= M; j++) {
            minv[j] = INFINITY;
            used[j] = 0;
        }
        do {
            used[j0] = 1;
            size_t i0 = p[j0], j1 = 0;
            double delta = INFINITY;
            for (size_t j = 1; j <= M; j++)
                if (!used[j]) {
                    double cur = -qval(Q[(i0 - 1) * M + (j - 1)]) - u[i0] - v[j];
                    if (cur < minv[j]) {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if (minv[j] < delta) {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            for (size_t j = 0; j <= M; j++)
                if (used[j]) {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            j0 = j1;
        } while (p[j0] != 0);
        do {
            size_t j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0);
    }
    if (ok)
        for (size_t j = 1; j <= M; j++)
            perm[p[j] - 1] = j - 1;
    free(u);
    free(v);
    free(minv);
    free(p);
    free(way);
    free(used);
    return ok ? SYM_OK : SYM_ENOMEM;
}

double cmp_assign(const double *Q, const double *tie, size_t M, size_t exhaustive_max, size_t *perm)
{
    double best = 0;
    if (M == 0)
        return 0;
    if (M > exhaustive_max) {
        if (hungarian(Q, M, perm))
            return NAN;
        for (size_t a = 0; a < M; a++)
            best += qval(Q[a * M + perm[a]]);
        return best;
    }
    size_t p[16];   /* 16! permutations are out of reach anyway */
    if (M > sizeof p / sizeof p[0])
        return NAN;
    for (size_t a = 0; a < M; a++)
        p[a] = a;
    double best_tie = INFINITY, tol = CMP_TIE_TOL * (double)M;
    best = -INFINITY;
    do {
        double s = 0, b = 0;
        for (size_t a = 0; a < M; a++) {
            s += qval(Q[a * M + p[a]]);
            b += tie ? tie[a * M + p[a]] : 0;
        }
        /* better by more than rounding, or as good and better on tie; the
         * first of equals in lexicographic order (the identity first) wins */
        if (s > best + tol || (s >= best - tol && b < best_tie)) {
            best = s > best ? s : best;
            best_tie = b;
            memcpy(perm, p, M * sizeof *p);
        }
    } while (next_perm(p, M));
    /* the sum of the chosen permutation, not the running maximum */
    best = 0;
    for (size_t a = 0; a < M; a++)
        best += qval(Q[a * M + perm[a]]);
    return best;
}

double cmp_match(obs_ws *ws, const double *wsim, const double *wth, size_t M, size_t N,
                 size_t *perm, double *q, size_t *shift, int *sign)
{
    double *Q = malloc(M * M * sizeof *Q), *dist = malloc(M * M * sizeof *dist);
    size_t *sh = malloc(M * M * sizeof *sh), *pm = malloc(M * sizeof *pm);
    int *sg = malloc(M * M * sizeof *sg);
    double mean = NAN;
    if (!Q || !dist || !sh || !sg || !pm || M == 0)
        goto done;
    for (size_t a = 0; a < M; a++)
        for (size_t b = 0; b < M; b++)
            Q[a * M + b] = obs_overlap(ws, wsim + a * N, wth + b * N, &sh[a * M + b], &sg[a * M + b]);
    /* the tie-break: how far each pair must move to align, in sites */
    for (size_t k = 0; k < M * M; k++) {
        double d = (double)sh[k];
        dist[k] = d < (double)N - d ? d : (double)N - d;
    }
    mean = cmp_assign(Q, dist, M, CMP_EXHAUSTIVE_MAX, pm) / (double)M;
    if (isnan(mean))
        goto done;
    memcpy(perm, pm, M * sizeof *pm);
    for (size_t a = 0; a < M; a++) {
        size_t k = a * M + pm[a];
        if (q)
            q[a] = Q[k];
        if (shift)
            shift[a] = sh[k];
        if (sign)
            sign[a] = sg[k];
    }
done:
    free(Q);
    free(dist);
    free(sh);
    free(sg);
    free(pm);
    return mean;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void cmp_separations(const double *centre, size_t M, size_t N, double *sep)
{
    for (size_t k = 0; k < M; k++)
        if (!isfinite(centre[k])) {
            for (size_t j = 0; j < M; j++)
                sep[j] = NAN;
            return;
        }
    if (M == 0)
        return;
    /* sort the centres into sep, then replace by the gaps in place */
    memcpy(sep, centre, M * sizeof *sep);
    qsort(sep, M, sizeof *sep, cmp_double);
    double first = sep[0];
    for (size_t k = 0; k + 1 < M; k++)
        sep[k] = sep[k + 1] - sep[k];
    sep[M - 1] = first + (double)N - sep[M - 1];
    qsort(sep, M, sizeof *sep, cmp_double);
}

void cmp_result_units_free(cmp_result_units *res)
{
    for (size_t a = 0; res->unit && a < res->M; a++)
        cmp_result_free(&res->unit[a]);
    free(res->unit);
    free(res->match);
    free(res->sep_theory);
    free(res->sep_sim);
    memset(res, 0, sizeof *res);
}

int cmp_compare_units(obs_ws *ws, const cmp_units *th, const cmp_units *sim, cmp_result_units *res,
                      char *err)
{
    memset(res, 0, sizeof *res);
    size_t M = th->M;
    if (M == 0 || sim->M != M)
        return sym_error(err, SYM_EINVAL, "%s has M=%zu hidden units but theory %s has M=%zu: need the "
                         "same M (or compare one unit, mu)", sim->M ? sim->unit[0].dir : "sim", sim->M,
                         M ? th->unit[0].dir : "theory", M);
    int st = cmp_check_match(&th->unit[0], &sim->unit[0], err);
    if (st)
        return st;
    size_t N = th->unit[0].N;
    /* the matching time: the sim's last snapshot with weights of every unit
     * on both sides (sim units share one snapshot grid) */
    const cmp_run *s0 = &sim->unit[0];
    double *wth = malloc(M * N * sizeof *wth), *wsim = malloc(M * N * sizeof *wsim);
    double *cth = malloc(M * sizeof *cth), *csim = malloc(M * sizeof *csim);
    res->match = malloc(M * sizeof *res->match);
    res->unit = calloc(M, sizeof *res->unit);
    res->sep_theory = malloc(M * sizeof *res->sep_theory);
    res->sep_sim = malloc(M * sizeof *res->sep_sim);
    if (!wth || !wsim || !cth || !csim || !res->match || !res->unit || !res->sep_theory || !res->sep_sim) {
        st = sym_error(err, SYM_ENOMEM, "cmp_compare_units: out of memory");
        goto done;
    }
    res->M = M;
    int found = 0;
    for (size_t s = s0->n; s-- > 0 && !found;) {
        double t = s0->t[s];
        found = 1;
        for (size_t a = 0; a < M && found; a++) {
            const cmp_run *r = &sim->unit[a];
            int have = 0;
            /* the sim units' snapshot grids must agree at t */
            if (r->n != s0->n || r->t[s] != t || r->wrow[s] == SIZE_MAX) {
                found = 0;
                break;
            }
            memcpy(wsim + a * N, r->w + r->wrow[s] * N, N * sizeof *wsim);
            if ((st = cmp_interp(&th->unit[a], t, NULL, wth + a * N, &have, err))) {
                st = sym_context(err, st, s0->dir);
                goto done;
            }
            found = have;
        }
        if (found)
            res->t_match = t;
    }
    if (!found) {
        st = sym_error(err, SYM_EINVAL, "%s: no snapshot with weights of all %zu units in both runs", s0->dir, M);
        goto done;
    }
    if (isnan(cmp_match(ws, wsim, wth, M, N, res->match, NULL, NULL, NULL))) {
        st = sym_error(err, SYM_ENOMEM, "cmp_compare_units: out of memory");
        goto done;
    }
    res->Q_final = 0;
    for (size_t a = 0; a < M; a++) {
        if ((st = cmp_compare(ws, &th->unit[res->match[a]], &sim->unit[a], &res->unit[a], err)))
            goto done;
        res->Q_final += res->unit[a].Q_final;
        obs_values ov;
        obs_compute(ws, th->unit[0].type, wth + a * N, &ov);
        cth[a] = ov.center;
        obs_compute(ws, th->unit[0].type, wsim + a * N, &ov);
        csim[a] = ov.center;
    }
    res->Q_final /= (double)M;
    cmp_separations(cth, M, N, res->sep_theory);
    cmp_separations(csim, M, N, res->sep_sim);
done:
    free(wth);
    free(wsim);
    free(cth);
    free(csim);
    if (st)
        cmp_result_units_free(res);
    return st;
}
