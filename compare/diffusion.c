/* diffusion: the restoration runs over seeds (compare/diffusion.h). */
#include "compare/diffusion.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "compare/pinning.h"
#include "core/err.h"
#include "core/obs.h"
#include "core/rng.h"
#include "core/run.h"
#include "core/size.h"
#include "core/snap.h"
#include "core/sys.h"
#include "core/task.h"

void diffusion_config_default(diffusion_config *c)
{
    memset(c, 0, sizeof *c);
    ring_params_default(&c->data);
    ring_type_find("ising", &c->data.type, NULL);
    ring_params_set(&c->data, "beta", 1.0, NULL);
    c->data.N = 100;
    sim_config_default(&c->sim);
    unit_params_default(&c->sim.train.unit, &unit_spin);
    c->sim.train.lr = 0.05;
    c->sim.train.batch = 10;
    c->sim.T = 4000;
    c->sim.train.sampling = TRAIN_ONLINE;
    c->B = 1000000;
    c->seeds = 8;
    c->boot = 1000;
    c->form_frac = 0.9;
    c->fit_frac = 0.25;
    c->seed = 1;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    c->jobs = ncpu > 0 ? (size_t)ncpu : 1;
}

/* updates of the run: from T or epochs on the nominal B */
static int run_updates(const diffusion_config *c, size_t *K, char *err)
{
    return sim_updates(&c->sim, c->B, K, err);
}

int diffusion_config_check(const diffusion_config *c, char *err)
{
    int st = ring_params_check(&c->data, err);
    if (st)
        return st;
    if (c->seeds < 1 || c->seeds > DIFFUSION_MAXSEEDS)
        return sym_error(err, SYM_EINVAL, "seeds = %zu: need 1 .. %d", c->seeds,
                         DIFFUSION_MAXSEEDS);
    if (c->jobs < 1 || c->jobs > 4096)
        return sym_error(err, SYM_EINVAL, "jobs = %zu: need 1 .. 4096 workers", c->jobs);
    if (c->boot < 1 || c->boot > 100000000)
        return sym_error(err, SYM_EINVAL, "boot = %zu: need 1 .. 1e8 bootstrap resamples", c->boot);
    if (!(c->form_frac > 0 && c->form_frac <= 1))
        return sym_error(err, SYM_EINVAL, "form_frac = %g: need 0 < form_frac <= 1", c->form_frac);
    if (!(c->fit_frac > 0 && c->fit_frac <= 0.5))
        return sym_error(err, SYM_EINVAL, "fit_frac = %g: need 0 < fit_frac <= 0.5 (msd.tsv "
                         "holds lags up to half the window)", c->fit_frac);
    if (c->B < 1)
        return sym_error(err, SYM_EINVAL, "B = 0: need at least one sample");
    if (c->sim.train.M < 1 || c->sim.train.M > DIFFUSION_MAXM)
        return sym_error(err, SYM_EINVAL, "M = %zu: need 1 .. %d hidden units", c->sim.train.M,
                         DIFFUSION_MAXM);
    train_sampling smp = c->sim.train.sampling;
    if (smp != TRAIN_EPOCH && smp != TRAIN_REPLACE && smp != TRAIN_ONLINE)
        return sym_error(err, SYM_EINVAL, "sampling = %d: expected epoch, replace or online",
                         (int)smp);
    if (smp == TRAIN_ONLINE && c->sim.train.batch < 1)
        return sym_error(err, SYM_EINVAL, "sampling = online with batch = 0: online sampling "
                         "needs minibatches (batch >= 1)");
    if (c->snapshots > SNAP_MAX)
        return sym_error(err, SYM_EINVAL, "snapshots = %zu: need 0 (auto) .. %d", c->snapshots,
                         (int)SNAP_MAX);
    if (c->pin_data) {
        const train_config *tc = &c->sim.train;
        if (tc->M != 1 || tc->term != TRAIN_EXACT || smp != TRAIN_REPLACE)
            return sym_error(err, SYM_EINVAL, "pinning needs M = 1, --model-term exact and "
                             "--sampling replace (the white-noise case of P(X)), not M = %zu, "
                             "%s, %s", tc->M, train_term_name(tc->term),
                             train_sampling_name(smp));
        if (c->pin_points && c->pin_points < 3)
            return sym_error(err, SYM_EINVAL, "pin_points = %zu: need at least 3", c->pin_points);
    }
    size_t K;
    return sim_plan(&c->sim, c->data.N, c->B, &K, err);
}

int diffusion_snapshots(const diffusion_config *c, size_t *ns, char *err)
{
    size_t K;
    int st = run_updates(c, &K, err);
    if (st)
        return st;
    if (c->snapshots) {
        *ns = c->snapshots;
        return SYM_OK;
    }
    double lr = c->sim.train.lr, b = c->sim.train.batch ? (double)c->sim.train.batch : (double)c->B;
    double Dup = 100 * lr / b, step = (double)c->data.N / DIFFUSION_STEP_FRAC;
    double dtmax = step * step / (2 * Dup), want = ceil(lr * (double)K / dtmax);
    double n = fmax(DIFFUSION_SNAP_MIN, want);
    n = fmin(n, (double)K);
    if (!(n <= SNAP_MAX))
        return sym_error(err, SYM_EINVAL, "T = %g: needs %.3g snapshots for steps below N/%g, "
                         "more than %d", lr * (double)K, n, DIFFUSION_STEP_FRAC, (int)SNAP_MAX);
    *ns = (size_t)n;
    return SYM_OK;
}

int diffusion_predict(const diffusion_config *c, restore_result *r, int *have, char *note,
                      size_t cap, char *err)
{
    const train_config *tc = &c->sim.train;
    *have = 0;
    memset(r, 0, sizeof *r);
    const char *why = NULL;
    if (tc->M != 1)
        why = "M >= 2: restore predicts one hidden unit only";
    else if (tc->unit.type != &unit_spin && tc->unit.type != &unit_gaussian)
        why = "restore has no theory for this hidden kind (spin and gaussian only)";
    else if (tc->term != TRAIN_EXACT && tc->term != TRAIN_PCD)
        why = "restore predicts the exact and pcd model terms only";
    else if (tc->opt != TRAIN_SGD || tc->l2 != 0 || tc->learn_fields)
        why = "restore predicts plain SGD (no adam, l2 = 0, fixed fields) only";
    else if (tc->batch < 1)
        why = "restore predicts minibatches (batch >= 1) only";
    if (why) {
        snprintf(note, cap, "%s", why);
        return SYM_OK;
    }
    restore_config rc;
    restore_config_default(&rc);
    rc.data = c->data;
    rc.unit = tc->unit;
    rc.lr = tc->lr;
    rc.batch = tc->batch;
    rc.B = c->B;
    rc.term = tc->term;
    rc.chains = tc->chains;
    rc.mc_steps = tc->mc_steps;
    /* the chains' estimate of the model term decides the PCD noise term */
    rc.pcd_estimate = tc->estimate == TRAIN_EST_HMEAN ? RESTORE_EST_HMEAN : RESTORE_EST_VMEAN;
    rc.seed = c->seed;
    char e2[SYM_ERRLEN];
    int st = restore_predict(&rc, r, e2);
    if (st == SYM_ENOMEM)
        return sym_error(err, st, "D_pred: %s", e2);
    if (st) {
        /* no prediction there (e.g. a symmetric fixed point): say why */
        snprintf(note, cap, "restore_predict: %s", e2);
        return SYM_OK;
    }
    *have = 1;
    snprintf(note, cap, "%s", "restore_predict (theory/restore.h): leading order in nu/b for "
             "iid/online minibatches, w* of the theory flow of seed");
    return SYM_OK;
}

/* ---- analysis ---- */

double diffusion_t_form(const double *t, const double *S, size_t n, double frac)
{
    if (n == 0)
        return NAN;
    size_t q = (n + 3) / 4;
    double p = 0;
    for (size_t k = n - q; k < n; k++)
        p += S[k];
    p /= (double)q;
    if (!(p > OBS_BROKEN_S))
        return NAN;
    for (size_t k = 0; k < n; k++)
        if (S[k] >= frac * p)
            return t[k];
    return NAN;
}

void diffusion_walk_msd(const double *X, size_t n, size_t nlag, double *msd)
{
    for (size_t j = 1; j <= nlag; j++) {
        double s = 0;
        for (size_t k = 0; k + j < n; k++) {
            double d = X[k + j] - X[k];
            s += d * d;
        }
        msd[j - 1] = j < n ? s / (double)(n - j) : NAN;
    }
}

int diffusion_fit(const double *tau, const double *msd, size_t n, double *D, double *a, char *err)
{
    *D = *a = NAN;
    if (n < 2)
        return sym_error(err, SYM_EINVAL, "fit over %zu lags: need at least 2", n);
    double mt = 0, mm = 0;
    for (size_t j = 0; j < n; j++) {
        mt += tau[j];
        mm += msd[j];
    }
    mt /= (double)n;
    mm /= (double)n;
    double sxx = 0, sxy = 0;
    for (size_t j = 0; j < n; j++) {
        sxx += (tau[j] - mt) * (tau[j] - mt);
        sxy += (tau[j] - mt) * (msd[j] - mm);
    }
    if (!(sxx > 0))
        return sym_error(err, SYM_EINVAL, "fit: all %zu lags equal", n);
    double slope = sxy / sxx;
    *D = slope / 2;
    *a = mm - slope * mt;
    return SYM_OK;
}

int diffusion_boot(const double *msd, size_t nw, size_t nlag, const double *tau, size_t nfit,
                   size_t boot, gsl_rng *r, double *lo, double *hi, double *D_lo, double *D_hi,
                   char *err)
{
    if (nw < 2 || nfit > nlag || boot < 1)
        return sym_error(err, SYM_EINVAL, "bootstrap over %zu walks, %zu of %zu lags, %zu "
                         "resamples: need 2 walks and nfit <= nlag", nw, nfit, nlag, boot);
    size_t bytes;
    int st = sym_alloc_check(nlag, boot, sizeof(double), "bootstrap curves (lags x resamples)",
                             &bytes, err);
    if (st)
        return st;
    double *bc = malloc(bytes), *Db = malloc(boot * sizeof *Db), *cur = malloc(nlag * sizeof *cur);
    if (!bc || !Db || !cur) {
        free(bc);
        free(Db);
        free(cur);
        return sym_error(err, SYM_ENOMEM, "out of memory for the bootstrap");
    }
    char e2[SYM_ERRLEN];
    for (size_t b = 0; b < boot; b++) {
        memset(cur, 0, nlag * sizeof *cur);
        for (size_t k = 0; k < nw; k++) {
            const double *row = msd + gsl_rng_uniform_int(r, nw) * nlag;
            for (size_t j = 0; j < nlag; j++)
                cur[j] += row[j];
        }
        for (size_t j = 0; j < nlag; j++)
            bc[j * boot + b] = cur[j] / (double)nw;
        double a;
        if (nfit < 2 || diffusion_fit(tau, cur, nfit, &Db[b], &a, e2) != SYM_OK)
            Db[b] = NAN;
        else
            Db[b] /= (double)nw;   /* the fit of the sum: scale to the mean */
    }
    for (size_t j = 0; j < nlag; j++) {
        double *x = bc + j * boot;
        gsl_sort(x, 1, boot);
        lo[j] = gsl_stats_quantile_from_sorted_data(x, 1, boot, 0.025);
        hi[j] = gsl_stats_quantile_from_sorted_data(x, 1, boot, 0.975);
    }
    *D_lo = *D_hi = NAN;
    if (nfit >= 2) {
        gsl_sort(Db, 1, boot);
        *D_lo = gsl_stats_quantile_from_sorted_data(Db, 1, boot, 0.025);
        *D_hi = gsl_stats_quantile_from_sorted_data(Db, 1, boot, 0.975);
    }
    free(bc);
    free(Db);
    free(cur);
    return SYM_OK;
}

double diffusion_circvar(const double *x, size_t n, double N)
{
    if (n == 0)
        return NAN;
    double c = 0, s = 0;
    for (size_t k = 0; k < n; k++) {
        c += cos(2 * M_PI * x[k] / N);
        s += sin(2 * M_PI * x[k] / N);
    }
    return 1 - hypot(c, s) / (double)n;
}

double diffusion_ks_uniform(double *x, size_t n, double N)
{
    if (n == 0)
        return NAN;
    for (size_t k = 0; k < n; k++) {
        x[k] = fmod(x[k], N);
        if (x[k] < 0)
            x[k] += N;
    }
    gsl_sort(x, 1, n);
    double d = 0;
    for (size_t k = 0; k < n; k++) {
        double u = x[k] / N;
        d = fmax(d, fmax((double)(k + 1) / (double)n - u, u - (double)k / (double)n));
    }
    return d;
}

/* ---- one seed's walk, read back from its trajectory.tsv ---- */

typedef struct {
    size_t nt, M;
    double *t;            /* nt                                       */
    double *X, *R, *S;    /* M x nt, row mu                           */
} walk;

static void walk_free(walk *w)
{
    free(w->t);
    free(w->X);
    free(w->R);
    free(w->S);
    memset(w, 0, sizeof *w);
}

static int walk_read(const char *dir, size_t M, size_t N, walk *w, char *err)
{
    memset(w, 0, sizeof *w);
    char path[SYS_PATH];
    int st = sys_path(path, sizeof path, dir, "trajectory.tsv", err);
    traj_table tb;
    if (st || (st = traj_read(path, &tb, err)))
        return st;
    int ct = traj_table_col(&tb, "t"), cm = traj_table_col(&tb, "mu"),
        cc = traj_table_col(&tb, "center"), cr = traj_table_col(&tb, "R"),
        cs = traj_table_col(&tb, "S");
    if (ct < 0 || cm < 0 || cc < 0 || cr < 0 || cs < 0 || tb.nrow < 2 * M || tb.nrow % M) {
        traj_table_free(&tb);
        return sym_error(err, SYM_EINVAL, "%s: need columns t mu center R S and two snapshots "
                         "of %zu units", path, M);
    }
    size_t nt = tb.nrow / M;
    w->nt = nt;
    w->M = M;
    w->t = malloc(nt * sizeof *w->t);
    w->X = malloc(M * nt * sizeof *w->X);
    w->R = malloc(M * nt * sizeof *w->R);
    w->S = malloc(M * nt * sizeof *w->S);
    if (!w->t || !w->X || !w->R || !w->S) {
        traj_table_free(&tb);
        walk_free(w);
        return sym_error(err, SYM_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < nt && !st; k++)
        for (size_t mu = 0; mu < M && !st; mu++) {
            const double *row = tb.x + (k * M + mu) * tb.ncol;
            if (row[cm] != (double)mu || (mu && row[ct] != w->t[k]))
                st = sym_error(err, SYM_EINVAL, "%s:%zu: expected unit %zu of snapshot %zu",
                               path, tb.line[k * M + mu], mu, k);
            w->t[k] = row[ct];
            double c = row[cc], *X = w->X + mu * nt;
            /* a zero profile has no centre: the walk stays where it was */
            if (k == 0)
                X[0] = isfinite(c) ? c : 0;
            else
                X[k] = isfinite(c) ? obs_unwrap(X[k - 1], c, N) : X[k - 1];
            w->R[mu * nt + k] = row[cr];
            w->S[mu * nt + k] = row[cs];
        }
    traj_table_free(&tb);
    if (st)
        walk_free(w);
    return st;
}

/* the latest unit's formation time, NAN if some unit never formed */
static double walk_t_form(const walk *w, double frac)
{
    double tf = -INFINITY;
    for (size_t mu = 0; mu < w->M; mu++)
        tf = fmax(tf, diffusion_t_form(w->t, w->S + mu * w->nt, w->nt, frac));
    return isfinite(tf) ? tf : NAN;
}

static size_t first_at(const walk *w, double t)
{
    size_t k = 0;
    while (k < w->nt && w->t[k] < t)
        k++;
    return k;
}

/* seed's MSD over its units from k0: msd[nlag] */
static void walk_msd(const walk *w, size_t k0, size_t nlag, double *msd, double *tmp)
{
    memset(msd, 0, nlag * sizeof *msd);
    for (size_t mu = 0; mu < w->M; mu++) {
        diffusion_walk_msd(w->X + mu * w->nt + k0, w->nt - k0, nlag, tmp);
        for (size_t j = 0; j < nlag; j++)
            msd[j] += tmp[j] / (double)w->M;
    }
}

static double walk_dt(const walk *w)
{
    return (w->t[w->nt - 1] - w->t[0]) / (double)(w->nt - 1);
}

/* ---- tasks ---- */

typedef struct {
    const diffusion_config *c;
    const ring_model *m;
    size_t K, nsnap;
} dctx;

/* a function of the run seed and the seed index only: adding seeds never
 * changes an existing one */
static uint64_t task_seed(uint64_t seed, size_t s)
{
    return rng_derive(rng_derive(seed, 0x646966667573ull), (uint64_t)s);
}

static int task_name(void *ctx, size_t t, char *buf, size_t cap)
{
    (void)ctx;
    int n = snprintf(buf, cap, "seed_%zu", t);
    return n < 0 || (size_t)n >= cap;
}

static int put(traj_header *h, const char *key, double x)
{
    return traj_header_set(h, key, "%.17g", x);
}

static int task_params(void *ctx, size_t t, traj_header *h)
{
    const dctx *d = ctx;
    const diffusion_config *c = d->c;
    const train_config *tc = &c->sim.train;
    int st = ring_header_set(d->m, h);
    st = st ? st : traj_header_set(h, "hidden", "%s", tc->unit.type->name);
    st = st ? st : traj_header_set(h, "M", "%zu", tc->M);
    st = st ? st : put(h, "gamma", tc->unit.gamma_p);
    st = st ? st : put(h, "theta", tc->unit.theta_p);
    st = st ? st : put(h, "gamma-m", tc->unit.gamma_m);
    st = st ? st : put(h, "theta-m", tc->unit.theta_m);
    st = st ? st : traj_header_set(h, "fields", "%s", tc->learn_fields ? "learn" : "fixed");
    st = st ? st : put(h, "l2", tc->l2);
    st = st ? st : traj_header_set(h, "model-term", "%s", train_term_name(tc->term));
    st = st ? st : traj_header_set(h, "chains", "%zu", tc->chains);
    st = st ? st : traj_header_set(h, "mc-steps", "%zu", tc->mc_steps);
    st = st ? st : traj_header_set(h, "gibbs", "%s", train_gibbs_name(tc->gibbs));
    st = st ? st : traj_header_set(h, "pcd-estimate", "%s", train_estimate_name(tc->estimate));
    st = st ? st : traj_header_set(h, "optimizer", "%s", tc->opt == TRAIN_ADAM ? "adam" : "sgd");
    st = st ? st : put(h, "lr", tc->lr);
    st = st ? st : traj_header_set(h, "batch", "%zu", tc->batch);
    st = st ? st : traj_header_set(h, "updates", "%zu", d->K);
    st = st ? st : traj_header_set(h, "sampling", "%s", train_sampling_name(tc->sampling));
    st = st ? st : traj_header_set(h, "B", "%zu", c->B);
    st = st ? st : traj_header_set(h, "sim-snapshots", "%zu", d->nsnap);
    st = st ? st : put(h, "init-scale", c->sim.init_scale);
    st = st ? st : put(h, "form-frac", c->form_frac);
    st = st ? st : traj_header_set(h, "seed", "%llu", (unsigned long long)c->seed);
    st = st ? st : traj_header_set(h, "seed_index", "%zu", t);
    st = st ? st : traj_header_set(h, "task_seed", "%llu",
                                   (unsigned long long)task_seed(c->seed, t));
    /* only when set: the task parameters of other runs stay as they were */
    if (c->pin_data)
        st = st ? st : traj_header_set(h, "pinning-data-seed", "%llu",
                                       (unsigned long long)c->seed);
    return st;
}

/* the per-seed fit of a walk (formed: t_form finite) */
static int walk_fit(const walk *w, double tf, double *D, double *a, char *err)
{
    size_t k0 = first_at(w, tf), n = w->nt - k0, nfit = n > 1 ? (n - 1) / 4 : 0;
    if (nfit < 2)
        return sym_error(err, SYM_EINVAL, "t_form = %g leaves %zu snapshots: need a longer T",
                         tf, n);
    double *msd = malloc(nfit * sizeof *msd), *tmp = malloc(nfit * sizeof *tmp),
           *tau = malloc(nfit * sizeof *tau);
    int st = msd && tmp && tau ? SYM_OK : sym_error(err, SYM_ENOMEM, "out of memory");
    if (!st) {
        walk_msd(w, k0, nfit, msd, tmp);
        for (size_t j = 0; j < nfit; j++)
            tau[j] = (double)(j + 1) * walk_dt(w);
        st = diffusion_fit(tau, msd, nfit, D, a, err);
    }
    free(msd);
    free(tmp);
    free(tau);
    return st;
}

/* the largest centre step from snapshot k0 on (before formation the
 * centre of a noise profile jumps freely: no walk to unwrap there) */
static double walk_step_max(const walk *w, size_t k0)
{
    double s = 0;
    for (size_t mu = 0; mu < w->M; mu++)
        for (size_t k = k0 + 1; k < w->nt; k++)
            s = fmax(s, fabs(w->X[mu * w->nt + k] - w->X[mu * w->nt + k - 1]));
    return s;
}

static int task_exec(void *ctx, size_t t, const char *dir, traj_header *res, char *err)
{
    const dctx *d = ctx;
    const diffusion_config *c = d->c;
    const ring_model *m = d->m;
    uint64_t ts = task_seed(c->seed, t);
    sim_config sc = c->sim;
    sc.seed = ts;
    sc.snapshots = d->nsnap;
    sc.linear = 1;
    sc.progress = 0;
    sc.theory_w = NULL;
    sc.train.model = m;    /* online: sim draws fresh samples of m */
    sc.loglik_final = 1;   /* the O(B N) log-likelihood only at the end */
    size_t B = c->B;
    int8_t *v = NULL, *vt = NULL;
    /* pinning: the run's one training set, which the landscape uses too */
    int st = sim_draw(m, c->pin_data ? c->seed : ts, B, 0, &v, &vt, err);
    traj_header h;
    traj_header_init(&h);
    if (!st && (run_header(&h, "sim", 0, NULL) ||
                traj_header_set(&h, "seed", "%llu", (unsigned long long)ts) ||
                traj_header_set(&h, "seed_index", "%zu", t)))
        st = sym_error(err, SYM_ENOMEM, "out of memory");
    st = st ? st : sim_run(&sc, m->type, m, v, m->N, B, NULL, 0, &h, dir, NULL, err);
    free(v);
    free(vt);
    traj_header_free(&h);
    walk w;
    if (st || (st = walk_read(dir, sc.train.M, m->N, &w, err)))
        return sym_context(err, st, "task");
    double tf = walk_t_form(&w, c->form_frac), Rm = 0, Sm = 0, D, a;
    for (size_t mu = 0; mu < w.M; mu++) {
        Rm += w.R[mu * w.nt + w.nt - 1] / (double)w.M;
        Sm += w.S[mu * w.nt + w.nt - 1] / (double)w.M;
    }
    int formed = isfinite(tf);
    if (formed && (st = walk_fit(&w, tf, &D, &a, err))) {
        walk_free(&w);
        return sym_context(err, st, "task");
    }
    double smax = walk_step_max(&w, formed ? first_at(&w, tf) : 0);
    st = put(res, "formed", formed) || put(res, "R_final", Rm) || put(res, "S_final", Sm) ||
         put(res, "X_final", w.X[w.nt - 1]) || put(res, "step_max", smax) ||
         (formed && (put(res, "t_form", tf) || put(res, "D_seed", D) || put(res, "a_seed", a)));
    walk_free(&w);
    return st ? sym_error(err, SYM_ENOMEM, "out of memory") : SYM_OK;
}

/* ---- the pooled analysis ---- */

typedef struct {
    size_t ns, M, nt, N;      /* seeds, units, snapshots per walk          */
    walk *w;                  /* ns                                       */
    int *formed;              /* ns                                       */
    double *tf;               /* ns                                       */
    double *Dseed;            /* ns (NAN unless formed)                   */
    double step_max;
} pool;

static void pool_free(pool *p)
{
    for (size_t s = 0; p->w && s < p->ns; s++)
        walk_free(&p->w[s]);
    free(p->w);
    free(p->formed);
    free(p->tf);
    free(p->Dseed);
}

static void put_tab(FILE *fp, double x)
{
    fputc('\t', fp);
    traj_put(fp, x);
}

static void put_key(FILE *fp, const char *fmt, size_t a, size_t b, double x)
{
    char key[64];
    snprintf(key, sizeof key, fmt, a, b);
    traj_summary_num(fp, key, x);
}

typedef struct {
    size_t k0, nwin, nlag, nfit, nf;  /* formed seeds nf                */
    double tform, dt;
    double *tau, *msd, *lo, *hi;      /* nlag                          */
    double D, D_lo, D_hi, a, lin, Dq, Dh;
    double circvar, ks;
    size_t npool;
    double C[DIFFUSION_MAXM][DIFFUSION_MAXM];
    double gmean[DIFFUSION_MAXM], gsd[DIFFUSION_MAXM];
} result;

/* every seed's walk must have the same snapshot times */
static int pool_load(const char *out, const task_set *ts, const diffusion_config *c, pool *p,
                     char *err)
{
    p->ns = c->seeds;
    p->M = c->sim.train.M;
    p->N = c->data.N;
    p->w = calloc(p->ns, sizeof *p->w);
    p->formed = calloc(p->ns, sizeof *p->formed);
    p->tf = calloc(p->ns, sizeof *p->tf);
    p->Dseed = calloc(p->ns, sizeof *p->Dseed);
    if (!p->w || !p->formed || !p->tf || !p->Dseed)
        return sym_error(err, SYM_ENOMEM, "out of memory");
    int st = SYM_OK;
    for (size_t s = 0; s < p->ns && !st; s++) {
        char name[64], dir[SYS_PATH], rel[80];
        task_name(NULL, s, name, sizeof name);
        snprintf(rel, sizeof rel, "tasks/%s", name);
        traj_header res;
        traj_header_init(&res);
        int have = 0;
        double f = 0, smax = 0;
        st = task_load(out, ts, s, &res, &have, err);
        if (!st && !have)
            st = sym_error(err, SYM_EIO, "left no result");
        st = st ? st : task_value(&res, "formed", &f, err);
        st = st ? st : task_value(&res, "step_max", &smax, err);
        p->step_max = fmax(p->step_max, smax);
        p->formed[s] = f > 0;
        p->tf[s] = p->Dseed[s] = NAN;
        if (!st && p->formed[s] && !(st = task_value(&res, "t_form", &p->tf[s], err)))
            st = task_value(&res, "D_seed", &p->Dseed[s], err);
        traj_header_free(&res);
        st = st ? st : sys_path(dir, sizeof dir, out, rel, err);
        st = st ? st : walk_read(dir, p->M, p->N, &p->w[s], err);
        if (!st && s > 0 && (p->w[s].nt != p->w[0].nt ||
                             p->w[s].t[p->w[s].nt - 1] != p->w[0].t[p->w[0].nt - 1]))
            st = sym_error(err, SYM_EINVAL, "its snapshot times differ from seed_0's");
        if (st)
            st = sym_context(err, st, name);
    }
    p->nt = st ? 0 : p->w[0].nt;
    return st;
}

static int analyse(const diffusion_config *c, const pool *p, gsl_rng *r, result *e, char *err)
{
    size_t M = p->M, nt = p->nt, nf = 0;
    double tform = -INFINITY;
    for (size_t s = 0; s < p->ns; s++)
        if (p->formed[s]) {
            nf++;
            tform = fmax(tform, p->tf[s]);
        }
    e->nf = nf;
    e->D = e->D_lo = e->D_hi = e->a = e->lin = e->Dq = e->Dh = e->circvar = e->ks = NAN;
    e->tform = nf ? tform : NAN;
    e->dt = walk_dt(&p->w[0]);
    for (size_t i = 0; i < DIFFUSION_MAXM; i++) {
        e->gmean[i] = e->gsd[i] = NAN;
        for (size_t j = 0; j < DIFFUSION_MAXM; j++)
            e->C[i][j] = NAN;
    }
    if (!nf)
        return SYM_OK;   /* no field formed: nothing diffuses, every D is nan */
    e->k0 = first_at(&p->w[0], tform);
    e->nwin = nt - e->k0;
    e->nlag = e->nwin > 1 ? (e->nwin - 1) / 2 : 0;
    /* fit_frac 0.25: (nwin - 1) / 4 exactly, as before */
    e->nfit = e->nwin > 1 ? (size_t)floor((double)(e->nwin - 1) * c->fit_frac) : 0;
    if (e->nfit > e->nlag)
        e->nfit = e->nlag;
    if (e->nfit < 2)
        return sym_error(err, SYM_EINVAL, "t_form = %g leaves %zu of %zu snapshots: need a "
                         "longer T", tform, e->nwin, nt);
    size_t nl = e->nlag;
    e->tau = malloc(nl * sizeof *e->tau);
    e->msd = calloc(nl, sizeof *e->msd);
    e->lo = malloc(nl * sizeof *e->lo);
    e->hi = malloc(nl * sizeof *e->hi);
    double *rows = malloc(nf * nl * sizeof *rows), *tmp = malloc(nl * sizeof *tmp);
    size_t npool = nf * M * e->nwin;
    double *xs = malloc(npool * sizeof *xs);
    int st = SYM_OK;
    if (!e->tau || !e->msd || !e->lo || !e->hi || !rows || !tmp || !xs) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t j = 0; j < nl; j++)
        e->tau[j] = (double)(j + 1) * e->dt;
    size_t f = 0, q = 0;
    for (size_t s = 0; s < p->ns; s++) {
        if (!p->formed[s])
            continue;
        walk_msd(&p->w[s], e->k0, nl, rows + f * nl, tmp);
        for (size_t j = 0; j < nl; j++)
            e->msd[j] += rows[f * nl + j] / (double)nf;
        for (size_t mu = 0; mu < M; mu++)
            for (size_t k = e->k0; k < nt; k++)
                xs[q++] = p->w[s].X[mu * nt + k];
        f++;
    }
    if ((st = diffusion_fit(e->tau, e->msd, e->nfit, &e->D, &e->a, err)))
        goto done;
    /* MSD / (2 tau) at a quarter and a half of the largest fit lag */
    size_t jq = e->nfit / 4 ? e->nfit / 4 - 1 : 0, jh = e->nfit / 2 - 1;
    e->Dq = e->msd[jq] / (2 * e->tau[jq]);
    e->Dh = e->msd[jh] / (2 * e->tau[jh]);
    e->lin = e->Dh / e->Dq;
    if (nf >= 2) {
        if ((st = diffusion_boot(rows, nf, nl, e->tau, e->nfit, c->boot, r, e->lo, e->hi,
                                 &e->D_lo, &e->D_hi, err)))
            goto done;
    } else
        for (size_t j = 0; j < nl; j++)
            e->lo[j] = e->hi[j] = NAN;
    e->npool = npool;
    e->circvar = diffusion_circvar(xs, npool, (double)p->N);
    e->ks = diffusion_ks_uniform(xs, npool, (double)p->N);
    /* step covariance per unit t, pooled over formed seeds and snapshots */
    double sm[DIFFUSION_MAXM] = {0}, sp[DIFFUSION_MAXM][DIFFUSION_MAXM] = {{0}};
    size_t nst = 0;
    for (size_t s = 0; s < p->ns; s++) {
        if (!p->formed[s])
            continue;
        for (size_t k = e->k0; k + 1 < nt; k++) {
            double d[DIFFUSION_MAXM];
            for (size_t mu = 0; mu < M; mu++)
                d[mu] = p->w[s].X[mu * nt + k + 1] - p->w[s].X[mu * nt + k];
            for (size_t mu = 0; mu < M; mu++) {
                sm[mu] += d[mu];
                for (size_t nu = 0; nu < M; nu++)
                    sp[mu][nu] += d[mu] * d[nu];
            }
            nst++;
        }
    }
    for (size_t mu = 0; mu < M && nst > 1; mu++)
        for (size_t nu = 0; nu < M; nu++)
            e->C[mu][nu] = (sp[mu][nu] - sm[mu] * sm[nu] / (double)nst) / (double)(nst - 1) /
                           e->dt;
    /* spacing: the M circular gaps of the sorted positions, themselves
     * sorted (gap 0 the smallest), mean and sd over seeds and snapshots */
    if (M >= 2) {
        double g1[DIFFUSION_MAXM] = {0}, g2[DIFFUSION_MAXM] = {0};
        size_t ng = 0;
        for (size_t s = 0; s < p->ns; s++) {
            if (!p->formed[s])
                continue;
            for (size_t k = e->k0; k < nt; k++) {
                double x[DIFFUSION_MAXM], g[DIFFUSION_MAXM];
                for (size_t mu = 0; mu < M; mu++) {
                    x[mu] = fmod(p->w[s].X[mu * nt + k], (double)p->N);
                    x[mu] += x[mu] < 0 ? (double)p->N : 0;
                }
                gsl_sort(x, 1, M);
                for (size_t mu = 0; mu < M; mu++)
                    g[mu] = mu + 1 < M ? x[mu + 1] - x[mu] : x[0] + (double)p->N - x[M - 1];
                gsl_sort(g, 1, M);
                for (size_t mu = 0; mu < M; mu++) {
                    g1[mu] += g[mu];
                    g2[mu] += g[mu] * g[mu];
                }
                ng++;
            }
        }
        for (size_t mu = 0; mu < M && ng > 1; mu++) {
            e->gmean[mu] = g1[mu] / (double)ng;
            e->gsd[mu] = sqrt(fmax(0, (g2[mu] - g1[mu] * g1[mu] / (double)ng) / (double)(ng - 1)));
        }
    }
done:
    free(rows);
    free(tmp);
    free(xs);
    return st;
}

/* Pinning (c->pin_data): the prediction on the run's training set, w* of
 * the theory flow of c->seed as restore_predict's, and the pooled walks of
 * the formed seeds after the latest formation (e->k0) against it. */
static int pin_run(const diffusion_config *c, const ring_model *m, const pool *p,
                   const result *e, const restore_result *rp, int have, const char *note,
                   pinning_pred *pp, pinning_meas *pm, char *err)
{
    if (!have)
        return sym_error(err, SYM_EINVAL, "pinning needs the prediction of SPEC.md 8: %s", note);
    if (!e->nf)
        return sym_error(err, SYM_EINVAL, "pinning: no seed formed a field");
    const train_config *tc = &c->sim.train;
    size_t N = m->N, nt = p->nt;
    restore_config rc;
    restore_config_default(&rc);
    double *w = malloc(N * sizeof *w), *X = malloc(e->nf * nt * sizeof *X);
    int8_t *v = NULL, *vt = NULL;
    int st = w && X ? SYM_OK : sym_error(err, SYM_ENOMEM, "out of memory");
    st = st ? st : restore_fixed_point(m, &tc->unit, c->seed, rc.T_fix, w, err);
    st = st ? st : sim_draw(m, c->seed, c->B, 0, &v, &vt, err);
    st = st ? st : pinning_predict(m, &tc->unit, w, rp->eSe, rp->dwdX2, rp->center, tc->lr,
                                   tc->batch, v, c->B, c->pin_points ? c->pin_points : 8 * N,
                                   pp, err);
    size_t f = 0;
    for (size_t s = 0; !st && s < p->ns; s++)
        if (p->formed[s])
            memcpy(X + f++ * nt, p->w[s].X, nt * sizeof *X);
    st = st ? st : pinning_measure(pp, (double)N, X, p->w[0].t, e->nf, nt, e->k0,
                                   c->pin_bins ? c->pin_bins : N, pm, err);
    free(w);
    free(X);
    free(v);
    free(vt);
    return st ? sym_context(err, st, "pinning") : SYM_OK;
}

static int write_files(const diffusion_config *c, const pool *p, const result *e,
                       const restore_result *rp, int have, size_t K, size_t ntodo, double t0,
                       const pinning_pred *pp, const pinning_meas *pm, traj_header *h,
                       const char *out, char *err)
{
    run_files rf;
    FILE *fc, *fm, *fs, *fp = NULL, *fw = NULL;
    int st = run_files_init(&rf, out, err);
    st = st ? st : run_files_open(&rf, "centres.tsv", h, &fc, err);
    st = st ? st : run_files_open(&rf, "msd.tsv", h, &fm, err);
    st = st ? st : run_files_open(&rf, "summary.tsv", h, &fs, err);
    if (pp) {
        st = st ? st : run_files_open(&rf, "pinning.tsv", h, &fp, err);
        st = st ? st : run_files_open(&rf, "wells.tsv", h, &fw, err);
    }
    if (st) {
        run_files_abort(&rf);
        return st;
    }
    fprintf(fc, "t\tseed\tmu\tX\tR\n");
    for (size_t s = 0; s < p->ns; s++)
        for (size_t k = 0; k < p->nt; k++)
            for (size_t mu = 0; mu < p->M; mu++) {
                traj_put(fc, p->w[s].t[k]);
                fprintf(fc, "\t%zu\t%zu", s, mu);
                put_tab(fc, p->w[s].X[mu * p->nt + k]);
                put_tab(fc, p->w[s].R[mu * p->nt + k]);
                fputc('\n', fc);
            }
    fprintf(fm, "tau\tmsd\tmsd_lo\tmsd_hi\tn\n");
    for (size_t j = 0; e->nf && j < e->nlag; j++) {
        traj_put(fm, e->tau[j]);
        put_tab(fm, e->msd[j]);
        put_tab(fm, e->lo[j]);
        put_tab(fm, e->hi[j]);
        fprintf(fm, "\t%zu\n", e->nf * p->M * (e->nwin - j - 1));
    }
    const train_config *tc = &c->sim.train;
    double lr = tc->lr, b = tc->batch ? (double)tc->batch : (double)c->B;
    double upe = tc->batch ? ceil((double)c->B / b) : 1, tep = lr * upe;
    double Dm, Dsd;
    size_t nds = 0;
    double *dv = malloc((p->ns ? p->ns : 1) * sizeof *dv);
    if (!dv) {
        run_files_abort(&rf);
        return sym_error(err, SYM_ENOMEM, "out of memory");
    }
    for (size_t s = 0; s < p->ns; s++)
        if (p->formed[s])
            dv[nds++] = p->Dseed[s];
    sys_mean_sd(dv, nds, 1, &Dm, &Dsd);
    free(dv);
    traj_summary_num(fs, "D", e->D);
    traj_summary_num(fs, "D_lo", e->D_lo);
    traj_summary_num(fs, "D_hi", e->D_hi);
    /* the prediction (SPEC.md 8; nan where restore has none: the header's
     * D_pred_note says why).  D_pred is the minibatch term, D_pcd the
     * chain term, D_total their sum, the one to set beside D. */
    double Dp = have ? rp->D : NAN, Dpe = have ? rp->D_err : NAN,
           Dc = have ? rp->D_pcd : NAN, Dce = have ? rp->D_pcd_err : NAN,
           Dt = have ? rp->D_total : NAN;
    traj_summary_num(fs, "D_pred", Dp);
    traj_summary_num(fs, "D_pred_err", Dpe);
    traj_summary_num(fs, "D_pcd", Dc);
    traj_summary_num(fs, "D_pcd_err", Dce);
    traj_summary_num(fs, "D_total", Dt);
    traj_summary_num(fs, "D_over_D_total", e->D / Dt);
    traj_summary_num(fs, "D_pred_epoch", Dp * tep);
    traj_summary_num(fs, "D_pcd_epoch", Dc * tep);
    traj_summary_num(fs, "D_total_epoch", Dt * tep);
    traj_summary_num(fs, "eSe", have ? rp->eSe : NAN);
    traj_summary_num(fs, "eSe_err", have ? rp->eSe_err : NAN);
    traj_summary_num(fs, "dwdX2", have ? rp->dwdX2 : NAN);
    traj_summary_num(fs, "tau_int", have ? rp->tau_int : NAN);
    traj_summary_num(fs, "D_epoch", e->D * tep);
    traj_summary_num(fs, "D_epoch_lo", e->D_lo * tep);
    traj_summary_num(fs, "D_epoch_hi", e->D_hi * tep);
    traj_summary_num(fs, "D_intercept", e->a);
    traj_summary_num(fs, "D_app_quarter", e->Dq);
    traj_summary_num(fs, "D_app_half", e->Dh);
    traj_summary_num(fs, "linearity", e->lin);
    traj_summary_num(fs, "D_seed_mean", Dm);
    traj_summary_num(fs, "D_seed_sd", Dsd);
    traj_summary_num(fs, "nu_over_b", lr / b);
    traj_summary_num(fs, "D_over_nu_b", e->D / (lr / b));
    traj_summary_num(fs, "t_per_epoch", tep);
    traj_summary_num(fs, "updates_per_epoch", upe);
    traj_summary_num(fs, "t_form", e->tform);
    traj_summary_str(fs, "t_form_rule", "latest unit and seed with S >= form-frac x plateau "
                                        "(mean S over the last quarter)");
    traj_summary_num(fs, "tau_fit_min", e->nf ? e->tau[0] : NAN);
    traj_summary_num(fs, "tau_fit_max", e->nf ? e->tau[e->nfit - 1] : NAN);
    traj_summary_num(fs, "fit_frac", c->fit_frac);
    traj_summary_num(fs, "dt", e->dt);
    traj_summary_num(fs, "circvar", e->circvar);
    traj_summary_num(fs, "ks_uniform", e->ks);
    traj_summary_num(fs, "n_pooled", (double)e->npool);
    traj_summary_num(fs, "step_max", p->step_max);
    traj_summary_num(fs, "sparse", p->step_max > (double)p->N / DIFFUSION_SPARSE_FRAC);
    for (size_t mu = 0; mu < p->M; mu++)
        for (size_t nu = 0; nu < p->M; nu++)
            put_key(fs, "C_%zu_%zu", mu, nu, e->C[mu][nu]);
    for (size_t mu = 0; mu < p->M; mu++)
        for (size_t nu = mu + 1; nu < p->M; nu++)
            put_key(fs, "corr_%zu_%zu", mu, nu, e->C[mu][nu] / sqrt(e->C[mu][mu] * e->C[nu][nu]));
    for (size_t mu = 0; p->M >= 2 && mu < p->M; mu++) {
        char key[64];
        snprintf(key, sizeof key, "gap_%zu_mean", mu);
        traj_summary_num(fs, key, e->gmean[mu]);
        snprintf(key, sizeof key, "gap_%zu_sd", mu);
        traj_summary_num(fs, key, e->gsd[mu]);
    }
    traj_summary_str(fs, "sampling", train_sampling_name(c->sim.train.sampling));
    traj_summary_num(fs, "seeds", (double)p->ns);
    traj_summary_num(fs, "seeds_formed", (double)e->nf);
    traj_summary_num(fs, "n_snapshots", (double)p->nt);
    traj_summary_num(fs, "updates", (double)K);
    traj_summary_num(fs, "tasks", (double)p->ns);
    traj_summary_num(fs, "tasks_run", (double)ntodo);
    traj_summary_num(fs, "wall_s", sys_now() - t0);
    if (pp)
        pinning_write(pp, pm, e->D, fp, fw, fs);
    return run_files_commit(&rf, err);
}

int diffusion_run(const diffusion_config *c, traj_header *h, const char *out, char *err)
{
    int st = diffusion_config_check(c, err);
    if (st)
        return st;
    double t0 = sys_now();
    size_t K, nsnap, ntodo = 0;
    if ((st = run_updates(c, &K, err)) || (st = diffusion_snapshots(c, &nsnap, err)))
        return st;
    ring_model *m = NULL;
    gsl_rng *raux = NULL;
    pool p = {0};
    result e = {0};
    pinning_pred pp = {0};
    pinning_meas pm = {0};
    int lock = -1, collect = 0;
    if ((st = task_open(out, &c->sel, &lock, err)) || (st = ring_alloc(&m, &c->data, err)))
        goto done;
    dctx d = {c, m, K, nsnap};
    task_set ts = {c->seeds, &d, task_name, task_params, task_exec};
    task_opts to = {c->jobs, c->progress, "diffusion"};
    task_mode tm = {c->sel, NULL, NULL};
    if ((st = task_sweep(out, &ts, &to, &tm, &ntodo, &collect, err)) || !collect ||
        (st = pool_load(out, &ts, c, &p, err)))
        goto done;
    if (!(raux = rng_alloc(c->seed, RNG_STREAM_AUX))) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = analyse(c, &p, raux, &e, err)))
        goto done;
    /* once per sweep, where the results are collected (not per task) */
    restore_result rp;
    int have;
    char note[SYM_ERRLEN + 32];
    if ((st = diffusion_predict(c, &rp, &have, note, sizeof note, err)))
        goto done;
    if (run_stamp(h) || ring_header_set(m, h) ||
        traj_header_set(h, "sim-snapshots", "%zu", nsnap) ||
        traj_header_set(h, "updates", "%zu", K) ||
        /* by epochs, each seed's learning time is lr x updates, not the --T
         * default the command line's record holds */
        (c->sim.epochs && traj_header_set(h, "T", "%.17g", c->sim.train.lr * (double)K)) ||
        /* the seeds' sim runs compute loglik and kl at the final snapshot
         * only (sim's loglik_final: their O(B N) cost per snapshot would
         * dominate); sim's own spelling of the key */
        traj_header_set(h, "loglik-rows", "%s", "final") ||
        traj_header_set(h, "D_pred_note", "%s", note)) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    if (c->pin_data && (st = pin_run(c, m, &p, &e, &rp, have, note, &pp, &pm, err)))
        goto done;
    st = write_files(c, &p, &e, &rp, have, K, ntodo, t0, c->pin_data ? &pp : NULL, &pm, h, out,
                     err);
done:
    pinning_pred_free(&pp);
    pinning_meas_free(&pm);
    sys_unlock(lock);
    ring_free(m);
    pool_free(&p);
    free(e.tau);
    free(e.msd);
    free(e.lo);
    free(e.hi);
    if (raux)
        gsl_rng_free(raux);
    return st;
}
