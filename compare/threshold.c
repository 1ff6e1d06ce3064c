/* threshold: the critical-sample-size sweep (compare/threshold.h). */
#include "compare/threshold.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare/thr.h"
#include "core/err.h"
#include "core/rng.h"
#include "core/run.h"
#include "core/size.h"
#include "core/sys.h"
#include "core/task.h"
#include "sim/lin.h"
#include "sim/potts_run.h"
#include "sim/run.h"
#include "theory/rmt.h"
#include "theory/flow_family.h"
#include "theory/run.h"

/* the order parameters of a task, in result.tsv and threshold.tsv order.
 * The first OP_STORED are stored per task; Q2 = Q^2 is derived: a squared
 * overlap, like ov_lin and rmt's ov_grow, whereas Q is an overlap (its
 * half-way point lies at smaller B because sqrt rises faster). */
enum { OP_LIN = 0, OP_Q = 1, OP_S = 2, OP_STORED = 3, OP_Q2 = 3, OP_N = 4 };
static const char *const op_key[OP_N] = {"ov_lin", "Q", "S", "Q2"};
static const char *const op_name[OP_N] = {"lin", "Q", "S", "Q2"};

/* the further per-task values, after the B_c ones (new columns and keys
 * come after the old ones, so that the old ones keep their places):
 * W = |sum_i w_i| (the paper's order parameter, Fig. 7), the exact mean
 * log-likelihood per sample on the training and on the held-out samples,
 * and their gap (derived: overfitting shows as gap > 0). */
enum { EX_W = 0, EX_LLTR = 1, EX_LLTE = 2, EX_STORED = 3, EX_GAP = 3, EX_N = 4 };
static const char *const ex_key[EX_N] = {"W", "ll_train", "ll_test", "gap"};

static const char *const scan_names[] = {"B", "beta"};

const char *threshold_scan_names(void)
{
    return "B|beta";
}

int threshold_scan_parse(const char *name, threshold_scan *sc, char *err)
{
    for (int k = 0; k < 2; k++)
        if (name && strcmp(name, scan_names[k]) == 0) {
            *sc = (threshold_scan)k;
            return SYM_OK;
        }
    return sym_error(err, SYM_EINVAL, "scan '%s': expected %s", name ? name : "(null)",
                     threshold_scan_names());
}

void threshold_config_default(threshold_config *c)
{
    memset(c, 0, sizeof *c);
    ring_params_default(&c->data);
    ring_type_find("bump", &c->data.type, NULL);
    c->hidden = &unit_gaussian;
    c->scan = THRESHOLD_SCAN_B;
    c->Bmin = 10;
    c->Bmax = 10000;
    c->beta_min = 0.1;
    c->beta_max = 2;
    c->B = 1000;
    c->B_test = 1000;
    c->points = 10;
    c->seeds = 8;
    c->T = 40;
    c->lr = 0.01;
    c->init_scale = 0.01;
    c->snapshots = 1;
    c->boot = 1000;
    c->seed = 1;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    c->jobs = ncpu > 0 ? (size_t)ncpu : 1;
}

int threshold_config_check(const threshold_config *c, char *err)
{
    int st = ring_params_check(&c->data, err);
    if (st)
        return st;
    if (c->seeds < 1 || c->seeds > THRESHOLD_MAXSEEDS)
        return sym_error(err, SYM_EINVAL, "seeds = %zu: need 1 .. %d", c->seeds,
                         THRESHOLD_MAXSEEDS);
    if (c->jobs < 1 || c->jobs > 4096)
        return sym_error(err, SYM_EINVAL, "jobs = %zu: need 1 .. 4096 workers", c->jobs);
    if (c->boot < 1 || c->boot > 100000000)
        return sym_error(err, SYM_EINVAL, "boot = %zu: need 1 .. 1e8 bootstrap resamples", c->boot);
    if (c->snapshots < 1 || c->snapshots > 1000000)
        return sym_error(err, SYM_EINVAL, "snapshots = %zu: need 1 .. 1e6", c->snapshots);
    if (!(c->T > 0) || !isfinite(c->T))
        return sym_error(err, SYM_EINVAL, "T = %g: must be > 0", c->T);
    if (!(c->lr > 0) || !isfinite(c->lr))
        return sym_error(err, SYM_EINVAL, "lr = %g: must be > 0", c->lr);
    if ((c->batch || c->epochs) && (c->data_only || !c->data.type->potts))
        return sym_error(err, SYM_EINVAL, "batch/epochs: only the trained sweep of Potts data "
                         "(xy with --hidden spin|gaussian) trains with minibatches or epochs");
    if (!c->epochs && !(c->T / c->lr >= 0.5))
        return sym_error(err, SYM_EINVAL, "T = %g with lr = %g is less than one update", c->T,
                         c->lr);
    if (!(c->init_scale > 0) || !isfinite(c->init_scale))
        return sym_error(err, SYM_EINVAL, "init-scale = %g: must be > 0", c->init_scale);
    const flow_family *fam;
    if (c->data_only && c->scan != THRESHOLD_SCAN_B)
        return sym_error(err, SYM_EINVAL, "hidden = none: the data-only sweep scans B only");
    if (!c->data_only && (!c->hidden || theory_family_find(c->hidden->name, &fam, err)))
        return sym_error(err, SYM_EINVAL, "hidden = %s: the sweep needs a kind with an "
                         "infinite-data theory (%s)", c->hidden ? c->hidden->name : "(null)",
                         theory_family_names());
    if (c->B_test < 1 || c->B_test > 100000000)
        return sym_error(err, SYM_EINVAL, "B_test = %zu: need 1 .. 1e8 held-out samples",
                         c->B_test);
    double Blargest;
    if (c->scan == THRESHOLD_SCAN_BETA) {
        if (!ring_type_has(c->data.type, "beta"))
            return sym_error(err, SYM_EINVAL, "scan = beta: data model %s has no coupling beta",
                             c->data.type->name);
        if (!(c->beta_min >= 0) || !isfinite(c->beta_min))
            return sym_error(err, SYM_EINVAL, "beta_min = %g: need beta_min >= 0", c->beta_min);
        if (!(c->beta_max > c->beta_min) || !isfinite(c->beta_max))
            return sym_error(err, SYM_EINVAL, "beta_max = %g: must be finite and > beta_min = %g",
                             c->beta_max, c->beta_min);
        if (c->B < 1)
            return sym_error(err, SYM_EINVAL, "B = 0: need at least one sample");
        Blargest = (double)c->B;
    } else if (c->scan == THRESHOLD_SCAN_B) {
        if (!(c->Bmin >= 1))
            return sym_error(err, SYM_EINVAL, "Bmin = %g: need B >= 1", c->Bmin);
        if (!(c->Bmax >= c->Bmin) || !isfinite(c->Bmax))
            return sym_error(err, SYM_EINVAL, "Bmax = %g: must be finite and >= Bmin = %g",
                             c->Bmax, c->Bmin);
        Blargest = c->Bmax;
    } else
        return sym_error(err, SYM_EINVAL, "scan = %d: expected %s", (int)c->scan,
                         threshold_scan_names());
    /* a task holds its B + B_test samples and the bit-packed columns of C^:
     * refuse what the machine cannot hold before any worker starts */
    double need = (Blargest * 1.125 + (double)c->B_test) * (double)c->data.N;
    double have = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    if (have > 0 && need > have)
        return sym_error(err, SYM_EINVAL, "B = %g (+ B_test = %zu) samples of N = %zu need %.3g "
                         "GB per task, this machine has %.3g GB", Blargest, c->B_test, c->data.N,
                         need / 1e9, have / 1e9);
    if (c->points < 2)
        return sym_error(err, SYM_EINVAL, "points = %zu: need at least 2 to locate a crossing",
                         c->points);
    if (c->points > THRESHOLD_MAXPOINTS)
        return sym_error(err, SYM_EINVAL, "points = %zu: at most %d", c->points,
                         THRESHOLD_MAXPOINTS);
    return SYM_OK;
}

/* Label of a grid point of the beta scan, in task and theory directory
 * names ("b0.25"): %.6g, checked distinct over the grid by threshold_run. */
#define LABEL_CAP 32

typedef struct {
    const threshold_config *c;
    size_t npt;                 /* grid points                               */
    ring_model *const *m;       /* per point (B scan: m[0] for every point)  */
    const size_t *Bs;           /* per point                                 */
    char (*label)[LABEL_CAP];   /* per point (beta scan), else NULL          */
    double *u;                  /* the infinite-data profiles at T, N each:
                                 * one (B scan) or one per point (beta scan) */
    const double *plam;         /* data-only (Potts): lambda[k P + p]         */
} sweep;

static const ring_model *point_model(const sweep *w, size_t j)
{
    return w->m[w->c->scan == THRESHOLD_SCAN_BETA ? j : 0];
}

static const double *point_profile(const sweep *w, size_t j)
{
    return w->u + (w->c->scan == THRESHOLD_SCAN_BETA ? j * w->m[0]->N : 0);
}

/* The per-task seed: a function of the sweep seed, B and the seed index
 * only, so adding grid points or seeds never changes an existing task (and
 * the beta scan draws every beta's data from the same streams). */
static uint64_t task_seed(uint64_t seed, size_t B, size_t s)
{
    return rng_derive(rng_derive(seed, (uint64_t)B), (uint64_t)s);
}

static int task_name(void *ctx, size_t t, char *buf, size_t cap)
{
    const sweep *w = ctx;
    size_t j = t / w->c->seeds, s = t % w->c->seeds;
    int n = w->label ? snprintf(buf, cap, "%s_%zu", w->label[j], s)
                     : snprintf(buf, cap, "%zu_%zu", w->Bs[j], s);
    return n < 0 || (size_t)n >= cap;
}

/* The keys a stored theory profile or task result of point j must agree
 * with; the hidden kind among them, so that the two kinds never mix. */
static int model_keys(const sweep *w, size_t j, traj_header *h)
{
    const threshold_config *c = w->c;
    int st = ring_header_set(point_model(w, j), h);
    /* A run by epochs has no fixed learning time.  The T key also tells
     * the training scheme, so that a default (full-batch, fixed-T) sweep,
     * which sets no "batch" or "epochs" key to check, refuses results
     * trained otherwise instead of taking them; the default's value is as
     * before, so its stored results still resume. */
    if (c->epochs)
        st = st ? st : traj_header_set(h, "T", c->batch ? "epochs minibatch" : "epochs");
    else if (c->batch)
        st = st ? st : traj_header_set(h, "T", "%.17g minibatch", c->T);
    else
        st = st ? st : traj_header_set(h, "T", "%.17g", c->T);
    st = st ? st : traj_header_set(h, "init-scale", "%.17g", c->init_scale);
    st = st ? st : traj_header_set(h, "seed", "%llu", (unsigned long long)c->seed);
    st = st ? st : traj_header_set(h, "hidden", "%s", c->data_only ? "none" : c->hidden->name);
    return st;
}

static int task_params(void *ctx, size_t t, traj_header *h)
{
    const sweep *w = ctx;
    const threshold_config *c = w->c;
    size_t j = t / c->seeds, B = w->Bs[j], s = t % c->seeds;
    int st = model_keys(w, j, h);
    st = st ? st : traj_header_set(h, "lr", "%.17g", c->lr);
    st = st ? st : traj_header_set(h, "sim-snapshots", "%zu", c->snapshots);
    st = st ? st : traj_header_set(h, "B", "%zu", B);
    st = st ? st : traj_header_set(h, "seed_index", "%zu", s);
    st = st ? st : traj_header_set(h, "task_seed", "%llu",
                                   (unsigned long long)task_seed(c->seed, B, s));
    st = st ? st : traj_header_set(h, "B-test", "%zu", c->B_test);
    /* only when set: the keys of the default sweep stay as they were, so
     * its stored task results still match (and resume) */
    if (c->batch)
        st = st ? st : traj_header_set(h, "batch", "%zu", c->batch);
    if (c->epochs)
        st = st ? st : traj_header_set(h, "epochs", "%zu", c->epochs);
    return st;
}

static int put(traj_header *res, const char *key, double x)
{
    return traj_header_set(res, key, "%.17g", x);
}

static int task_exec_potts(const sweep *w, size_t t, traj_header *res, char *err);
static int task_exec_potts_trained(const sweep *w, size_t t, const char *dir, traj_header *res,
                                   char *err);

/* One task, in a worker process: data, linear overlap, training. */
static int task_exec(void *ctx, size_t t, const char *dir, traj_header *res, char *err)
{
    const sweep *w = ctx;
    const threshold_config *c = w->c;
    if (c->data_only)
        return task_exec_potts(w, t, res, err);
    if (c->data.type->potts)
        return task_exec_potts_trained(w, t, dir, res, err);
    size_t j = t / c->seeds;
    const ring_model *m = point_model(w, j);
    size_t B = w->Bs[j], N = m->N;
    uint64_t ts = task_seed(c->seed, B, t % c->seeds);
    int8_t *v = NULL, *vt = NULL;
    lin *lw = NULL;
    double ov = NAN, top = NAN, *u = NULL;
    traj_header h;
    traj_header_init(&h);
    char simdir[SYS_PATH];
    /* C^ is formed once: for the linear-regime overlap and for the trainer
     * (which uses it for a linear unit only).  The held-out samples come
     * from their own stream, so the training samples do not depend on
     * B_test. */
    double *C = malloc(N * N * sizeof *C);
    int st = C ? SYM_OK : sym_error(err, SYM_ENOMEM, "out of memory for C^ (N = %zu)", N);
    /* --keep-sim also keeps C^'s top eigenvector (the paper's Fig. 12c) */
    if (!st && c->keep_sim && !(u = malloc(N * sizeof *u)))
        st = sym_error(err, SYM_ENOMEM, "out of memory for the top eigenvector (N = %zu)", N);
    st = st ? st : sim_draw(m, ts, B, c->B_test, &v, &vt, err);
    st = st ? st : lin_alloc(&lw, N, m->lambda, err);
    st = st ? st : lin_corr(lw, v, B, C, err);
    st = st ? st : lin_overlap_of(lw, C, &ov, &top, u, err);
    lin_free(lw);
    sim_config sc;
    sim_config_default(&sc);
    unit_params_default(&sc.train.unit, c->hidden);
    sc.train.chat = C;
    sc.train.lr = c->lr;
    sc.T = c->T;
    sc.snapshots = c->snapshots;
    sc.init_scale = c->init_scale;
    sc.seed = ts;
    sc.theory_w = point_profile(w, j);
    sim_result r;
    st = st ? st : sys_path(simdir, sizeof simdir, dir, "sim", err);
    if (!st && run_header(&h, "sim", 0, NULL))
        st = sym_error(err, SYM_ENOMEM, "out of memory");
    st = st ? st : sim_run(&sc, m->type, m, v, N, B, vt, c->B_test, &h,
                           c->keep_sim ? simdir : NULL, &r, err);
    free(v);
    free(vt);
    free(C);
    traj_header_free(&h);
    if (st) {
        free(u);
        return sym_context(err, st, "task");
    }
    /* a_0 = |sum_i w_i| / sqrt(N) (core/obs.h, Parseval-normalised) */
    double W = r.final.a[0] * sqrt((double)N);
    if (put(res, "ov_lin", ov) || put(res, "top_eval", top) || put(res, "Q", r.Q_theory) ||
        put(res, "S", r.final.S) || put(res, "norm2", r.final.norm2) || put(res, "R", r.final.R) ||
        put(res, "pr", r.final.pr) || put(res, "W", W) || put(res, "ll_train", r.loglik) ||
        put(res, "ll_test", r.loglik_test))
        st = sym_error(err, SYM_ENOMEM, "out of memory");
    /* keys evec_0 .. evec_{N-1} after the others (the task engine adds
     * wall_s): the unit top eigenvector, sign as the eigensolver left it */
    char key[32];
    for (size_t i = 0; !st && u && i < N; i++) {
        snprintf(key, sizeof key, "evec_%zu", i);
        if (put(res, key, u[i]))
            st = sym_error(err, SYM_ENOMEM, "out of memory");
    }
    free(u);
    return st;
}

/* The infinite-data profile of point j at t = T, computed once into
 * DIR/theory (B scan) or DIR/theory_<label> (beta scan) and reused when its
 * parameters match. */
static int theory_profile(const sweep *w, size_t j, const char *out, double *u, char *err)
{
    char dir[SYS_PATH], wpath[SYS_PATH], name[LABEL_CAP + 8];
    snprintf(name, sizeof name, "theory%s%s", w->label ? "_" : "", w->label ? w->label[j] : "");
    int st = sys_path(dir, sizeof dir, out, name, err);
    st = st ? st : sys_path(wpath, sizeof wpath, dir, "weights.tsv", err);
    if (st)
        return st;
    const ring_model *m = point_model(w, j);
    traj_header want;
    traj_header_init(&want);
    if (model_keys(w, j, &want)) {
        traj_header_free(&want);
        return sym_error(err, SYM_ENOMEM, "out of memory");
    }
    if (access(wpath, F_OK) == 0) {
        traj_table tb;
        if ((st = traj_read(wpath, &tb, err))) {
            traj_header_free(&want);
            return st;
        }
        for (size_t k = 0; k < want.n && !st; k++) {
            const char *have = traj_header_get(&tb.header, want.key[k]);
            if (!traj_header_same(want.val[k], have))
                st = sym_error(err, SYM_EINVAL, "%s: parameter mismatch, %s=%s there but %s now "
                               "(use another --out or remove it)", wpath, want.key[k],
                               have ? have : "(missing)", want.val[k]);
        }
        int ct = traj_table_col(&tb, "t"), c0 = traj_table_col(&tb, "w_0");
        size_t N = m->N, last = tb.nrow - 1;
        if (!st && (ct < 0 || c0 < 0 || tb.nrow == 0 || tb.ncol != (size_t)c0 + N ||
                    !(fabs(tb.x[last * tb.ncol + (size_t)ct] - w->c->T) <= 1e-12 * w->c->T)))
            st = sym_error(err, SYM_EINVAL, "%s: no profile of N = %zu weights at t = T = %g",
                           wpath, N, w->c->T);
        for (size_t i = 0; !st && i < N; i++)
            if (!isfinite(u[i] = tb.x[last * tb.ncol + (size_t)c0 + i]))
                st = sym_error(err, SYM_EINVAL, "%s: weight %zu is not finite", wpath, i);
        traj_table_free(&tb);
        traj_header_free(&want);
        return st;
    }
    traj_header_free(&want);
    theory_config tc;
    theory_config_default(&tc);
    /* the hidden kind's own flow (checked by threshold_config_check) */
    if ((st = theory_family_find(w->c->hidden->name, &tc.family, err)))
        return st;
    tc.M = 1;
    tc.seed = w->c->seed;
    tc.init_scale = w->c->init_scale;
    tc.T = w->c->T;
    tc.snapshots = 1;
    tc.weights = THEORY_W_FINAL;
    traj_header h;
    traj_header_init(&h);
    st = run_header(&h, "theory", 0, NULL) || traj_header_set(&h, "T", "%.17g", tc.T) ||
                 traj_header_set(&h, "init-scale", "%.17g", tc.init_scale) ||
                 traj_header_set(&h, "seed", "%llu", (unsigned long long)tc.seed)
             ? sym_error(err, SYM_ENOMEM, "out of memory")
             : theory_run(&tc, m, &h, dir, u, NULL, err);
    traj_header_free(&h);
    return st ? sym_context(err, st, "theory") : SYM_OK;
}

static void put_tab(FILE *fp, double x)
{
    fputc('\t', fp);
    traj_put(fp, x);
}

typedef struct {
    double mean[OP_N][THRESHOLD_MAXPOINTS], sd[OP_N][THRESHOLD_MAXPOINTS];
    double xmean[EX_N][THRESHOLD_MAXPOINTS], xsd[EX_N][THRESHOLD_MAXPOINTS];
    double Bc[OP_N], lo[OP_N], hi[OP_N], cl[OP_N], ch[OP_N];
    size_t nvalid[OP_N];
} estimates;

static double lambda_max(const ring_model *m)
{
    double lmax = -INFINITY;
    for (size_t k = 0; k < m->N; k++)
        lmax = fmax(lmax, m->lambda[k]);
    return lmax;
}

/* The paper's eq. 27 (SPEC.md 7): the top population eigenvalue at the
 * Marchenko-Pastur edge (1 + sqrt(N/B))^2, B_c = N / (sqrt(lambda_max) -
 * 1)^2; infinite when no eigenvalue exceeds 1 (as rmt_bbp). */
static double bc_paper(const ring_model *m)
{
    double lmax = lambda_max(m);
    if (!(lmax > 1))
        return INFINITY;
    double d = sqrt(lmax) - 1;
    return (double)m->N / (d * d);
}

/* the seed means and sd of the extra values of every point, tab-led */
static void put_extra(FILE *f, const estimates *e, size_t j)
{
    for (size_t k = 0; k < EX_N; k++) {
        put_tab(f, e->xmean[k][j]);
        put_tab(f, e->xsd[k][j]);
    }
}

static void extra_columns(FILE *f)
{
    for (size_t k = 0; k < EX_N; k++)
        fprintf(f, "\t%s_mean\t%s_sd", ex_key[k], ex_key[k]);
}

static int write_files(const threshold_config *c, const ring_model *m, const rmt_ws *rw,
                       const size_t *Bs, const double *Bd, size_t nB, const double *top,
                       const estimates *e, const double *pred, size_t ngrow, size_t ntodo,
                       double t0, traj_header *h, const char *out, char *err)
{
    size_t ns = c->seeds;
    run_files rf;
    FILE *f, *fs;
    int st = run_files_init(&rf, out, err);
    st = st ? st : run_files_open(&rf, "threshold.tsv", h, &f, err);
    if (st)
        return st;
    fprintf(f, "B\tseeds");
    for (size_t k = 0; k < OP_N; k++)
        fprintf(f, "\t%s_mean\t%s_sd", op_key[k], op_key[k]);
    fprintf(f, "\ttop_eval_mean\tov_grow_rmt\tx_top_rmt\tov_top_rmt");
    extra_columns(f);
    fputc('\n', f);
    char e2[SYM_ERRLEN];
    for (size_t j = 0; j < nB; j++) {
        fprintf(f, "%zu\t%zu", Bs[j], ns);
        for (size_t k = 0; k < OP_N; k++) {
            put_tab(f, e->mean[k][j]);
            put_tab(f, e->sd[k][j]);
        }
        double tm, tsd;
        sys_mean_sd(top + j * ns, ns, 1, &tm, &tsd);
        rmt_top rt;
        int ok = ngrow > 0 && rmt_top_eval(rw, Bd[j], &rt, e2) == SYM_OK;
        put_tab(f, tm);
        put_tab(f, ok ? rt.ov_grow : NAN);
        put_tab(f, ok ? rt.x_top : NAN);
        put_tab(f, ok ? rt.ov_top : NAN);
        put_extra(f, e, j);
        fputc('\n', f);
    }
    if ((st = run_files_open(&rf, "summary.tsv", h, &fs, err))) {
        run_files_abort(&rf);
        return st;
    }
    traj_summary_num(fs, "Bc_bbp", pred[0]);
    traj_summary_num(fs, "Bc_rmt", pred[1]);
    traj_summary_num(fs, "Bc_rmt_top", pred[2]);
    for (size_t k = 0; k < OP_N; k++) {
        char key[64];
        const char *suffix[] = {"", "_lo", "_hi"};
        const double val[] = {e->Bc[k], e->cl[k], e->ch[k]};
        for (size_t q = 0; q < 3; q++) {
            snprintf(key, sizeof key, "Bc_%s%s", op_name[k], suffix[q]);
            traj_summary_num(fs, key, val[q]);
        }
        snprintf(key, sizeof key, "%s_level_lo", op_name[k]);
        traj_summary_num(fs, key, e->lo[k]);
        snprintf(key, sizeof key, "%s_level_hi", op_name[k]);
        traj_summary_num(fs, key, e->hi[k]);
        snprintf(key, sizeof key, "%s_boot_valid", op_name[k]);
        traj_summary_num(fs, key, (double)e->nvalid[k]);
    }
    traj_summary_num(fs, "lambda_max", lambda_max(m));
    traj_summary_num(fs, "n_grow", (double)ngrow);
    traj_summary_num(fs, "tasks", (double)(nB * ns));
    traj_summary_num(fs, "tasks_run", (double)ntodo);
    traj_summary_num(fs, "wall_s", sys_now() - t0);
    /* new keys after the old ones (their rows keep their places) */
    traj_summary_num(fs, "Bc_paper", pred[3]);
    traj_summary_str(fs, "hidden", c->hidden->name);
    return run_files_commit(&rf, err);
}

/* The beta scan's files: DIR/beta_scan.tsv, one row per beta, and
 * DIR/summary.tsv. */
static int write_beta_files(const threshold_config *c, const sweep *w, const double *beta,
                            const double *top, const estimates *e, size_t ntodo, double t0,
                            traj_header *h, const char *out, char *err)
{
    size_t ns = c->seeds;
    run_files rf;
    FILE *f, *fs;
    int st = run_files_init(&rf, out, err);
    st = st ? st : run_files_open(&rf, "beta_scan.tsv", h, &f, err);
    if (st)
        return st;
    fprintf(f, "beta\tB\tseeds");
    for (size_t k = 0; k < OP_N; k++)
        fprintf(f, "\t%s_mean\t%s_sd", op_key[k], op_key[k]);
    fprintf(f, "\ttop_eval_mean");
    extra_columns(f);
    fprintf(f, "\tlambda_max\tBc_bbp\tBc_paper\n");
    for (size_t j = 0; j < w->npt; j++) {
        const ring_model *m = point_model(w, j);
        traj_put(f, beta[j]);
        fprintf(f, "\t%zu\t%zu", c->B, ns);
        for (size_t k = 0; k < OP_N; k++) {
            put_tab(f, e->mean[k][j]);
            put_tab(f, e->sd[k][j]);
        }
        double tm, tsd;
        sys_mean_sd(top + j * ns, ns, 1, &tm, &tsd);
        put_tab(f, tm);
        put_extra(f, e, j);
        put_tab(f, lambda_max(m));
        put_tab(f, rmt_bbp(m->lambda, m->N));
        put_tab(f, bc_paper(m));
        fputc('\n', f);
    }
    if ((st = run_files_open(&rf, "summary.tsv", h, &fs, err))) {
        run_files_abort(&rf);
        return st;
    }
    traj_summary_str(fs, "scan", "beta");
    traj_summary_str(fs, "hidden", c->hidden->name);
    traj_summary_num(fs, "B", (double)c->B);
    traj_summary_num(fs, "points", (double)w->npt);
    traj_summary_num(fs, "tasks", (double)(w->npt * ns));
    traj_summary_num(fs, "tasks_run", (double)ntodo);
    traj_summary_num(fs, "wall_s", sys_now() - t0);
    return run_files_commit(&rf, err);
}

/* The B scan's predictions and measured B_c, then its files. */
static int finish_b(const threshold_config *c, const sweep *w, const double *y,
                    const double *top, estimates *e, size_t ntodo, double t0, traj_header *h,
                    const char *out, char *err)
{
    size_t nB = w->npt, ns = c->seeds, nt = nB * ns;
    const ring_model *m = w->m[0];
    rmt_ws *rw = NULL;
    gsl_rng *raux = NULL;
    double *Bd = malloc(nB * sizeof *Bd);
    int st = Bd ? SYM_OK : sym_error(err, SYM_ENOMEM, "out of memory");
    if (st)
        return st;
    for (size_t j = 0; j < nB; j++)
        Bd[j] = (double)w->Bs[j];
    if ((st = rmt_alloc(&rw, m->lambda, m->N, err)))
        goto done;
    /* finite-B splitting of a degenerate top spike (bump: k = +-1); off for
     * a simple top mode (theory/rmt.h) */
    if ((st = rmt_set_m4(rw, ring_m4(m), err)))
        goto done;
    double ov0, pred[4] = {rmt_bbp(m->lambda, m->N), NAN, NAN, bc_paper(m)};
    size_t ngrow = rmt_growing(rw, &ov0);
    char e2[SYM_ERRLEN];
    /* recorded as nan when they do not exist; the measured values still stand */
    if (ngrow > 0 && rmt_bc(rw, &pred[1], e2) != SYM_OK)
        pred[1] = NAN;
    if (ngrow > 0 && rmt_bc_top(rw, m->N, &pred[2], e2) != SYM_OK)
        pred[2] = NAN;

    /* ---- measured B_c ----
     * ov_lin: levels of the random-matrix limits (B -> 0: rmt_growing's
     * (1/N) sum lambda_k; B -> infinity: 1), the same ones rmt_bc uses.
     * Q, S: no closed-form limits at finite T, so the seed means at the
     * smallest and largest B of the grid (the grid must reach both plateaus). */
    thr_levels lv[OP_N] = {{0, 0, ov0, 1.0}, {1, 1, NAN, NAN}, {1, 1, NAN, NAN}, {1, 1, NAN, NAN}};
    if (!(raux = rng_alloc(c->seed, RNG_STREAM_AUX))) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < OP_N; k++) {
        thr_levels_apply(&lv[k], e->mean[k], nB, &e->lo[k], &e->hi[k]);
        if (thr_crossing(Bd, e->mean[k], nB, e->lo[k], e->hi[k], &e->Bc[k], e2) != SYM_OK)
            e->Bc[k] = NAN;
        if ((st = thr_bootstrap(Bd, y + k * nt, nB, ns, &lv[k], c->boot, raux, &e->cl[k],
                                &e->ch[k], &e->nvalid[k], err)))
            goto done;
    }
    if (run_stamp(h) || ring_header_set(m, h)) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    st = write_files(c, m, rw, w->Bs, Bd, nB, top, e, pred, ngrow, ntodo, t0, h, out, err);
done:
    free(Bd);
    rmt_free(rw);
    if (raux)
        gsl_rng_free(raux);
    return st;
}

/* What every process of the sweep needs before its first task (task_mode
 * prepare): the infinite-data profiles, computed into or loaded from out. */
static int sweep_prepare(void *ctx, const char *out, char *err)
{
    const sweep *w = ctx;
    int st = SYM_OK;
    size_t N = w->m[0]->N;
    for (size_t j = 0; j < (w->c->scan == THRESHOLD_SCAN_BETA ? w->npt : 1) && !st; j++)
        st = theory_profile(w, j, out, w->u + j * N, err);
    return st;
}

/* A directory holds one kind of scan: their summary.tsv would overwrite
 * each other's. */
static int scan_kind_check(const threshold_config *c, const char *out, char *err)
{
    const char *other = c->scan == THRESHOLD_SCAN_BETA ? "threshold.tsv" : "beta_scan.tsv";
    char p[SYS_PATH];
    int st = sys_path(p, sizeof p, out, other, err);
    if (!st && access(p, F_OK) == 0)
        st = sym_error(err, SYM_EINVAL, "%s: this directory holds a %s scan, not a %s scan "
                       "(use another --out)", p, scan_names[1 - (int)c->scan],
                       scan_names[c->scan]);
    return st;
}

static int threshold_run_potts(const threshold_config *c, traj_header *h, const char *out,
                               char *err);

int threshold_run(const threshold_config *c, traj_header *h, const char *out, char *err)
{
    if (c->data_only || c->data.type->potts)
        return threshold_run_potts(c, h, out, err);
    int st = ring_params_require_spin(&c->data, "threshold", err);
    st = st ? st : threshold_config_check(c, err);
    if (st)
        return st;
    double t0 = sys_now();
    int beta_scan = c->scan == THRESHOLD_SCAN_BETA;
    size_t ns = c->seeds, npt = 0, nm = 0, ntodo = 0;
    size_t *Bs = malloc(c->points * sizeof *Bs);
    double *beta = malloc(c->points * sizeof *beta);
    char(*label)[LABEL_CAP] = beta_scan ? malloc(c->points * sizeof *label) : NULL;
    ring_model **m = calloc(c->points, sizeof *m);
    double *y = NULL, *x = NULL, *top = NULL, *u = NULL;
    estimates *e = calloc(1, sizeof *e);
    int lock = -1, collect;
    task_opts to = {c->jobs, c->progress, "threshold"};
    task_mode tm = {c->sel, sweep_prepare, NULL};
    if (!Bs || !beta || !m || !e || (beta_scan && !label)) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = task_open(out, &c->sel, &lock, err)) || (st = scan_kind_check(c, out, err)))
        goto done;
    if (beta_scan) {
        /* a linear grid: beta = 0 is a valid end, and the symmetry-breaking
         * region is a window of fixed width in beta */
        npt = c->points;
        for (size_t j = 0; j < npt; j++) {
            beta[j] = j + 1 == npt ? c->beta_max
                                   : c->beta_min + (c->beta_max - c->beta_min) * (double)j /
                                                       (double)(npt - 1);
            Bs[j] = c->B;
            snprintf(label[j], LABEL_CAP, "b%.6g", beta[j]);
            for (size_t i = 0; i < j && !st; i++)
                if (strcmp(label[i], label[j]) == 0)
                    st = sym_error(err, SYM_EINVAL, "points = %zu: beta %.17g and %.17g share "
                                   "the name %s; use fewer points", npt, beta[i], beta[j],
                                   label[j]);
            ring_params p = c->data;
            st = st ? st : ring_params_set(&p, "beta", beta[j], err);
            st = st ? st : ring_alloc(&m[j], &p, err);
            if (st)
                goto done;
            nm = j + 1;
        }
    } else {
        if ((st = thr_grid(c->Bmin, c->Bmax, c->points, Bs, &npt, err)))
            goto done;
        if (npt < 2) {
            st = sym_error(err, SYM_EINVAL, "Bmin = %g, Bmax = %g: fewer than two distinct "
                           "sample sizes", c->Bmin, c->Bmax);
            goto done;
        }
        if ((st = ring_alloc(&m[0], &c->data, err)))
            goto done;
        nm = 1;
    }
    size_t nt = npt * ns, N = m[0]->N;
    y = malloc(OP_N * nt * sizeof *y);
    x = malloc(EX_N * nt * sizeof *x);
    top = malloc(nt * sizeof *top);
    u = malloc((beta_scan ? npt : 1) * N * sizeof *u);
    if (!y || !x || !top || !u) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    sweep w = {c, npt, m, Bs, label, u, NULL};
    task_set ts = {nt, &w, task_name, task_params, task_exec};
    /* stored results are checked before the theory runs (task_sweep), so
     * that a parameter mismatch is reported at once */
    if ((st = task_sweep(out, &ts, &to, &tm, &ntodo, &collect, err)) || !collect)
        goto done;
    for (size_t t = 0; t < nt && !st; t++) {
        traj_header res;
        traj_header_init(&res);
        int have;
        double val[OP_STORED], xv[EX_STORED];
        st = task_load(out, &ts, t, &res, &have, err);
        if (!st && !have)
            st = sym_error(err, SYM_EIO, "left no result");
        for (size_t k = 0; k < OP_STORED && !st; k++)
            st = task_value(&res, op_key[k], &val[k], err);
        for (size_t k = 0; k < EX_STORED && !st; k++)
            st = task_value(&res, ex_key[k], &xv[k], err);
        st = st ? st : task_value(&res, "top_eval", &top[t], err);
        traj_header_free(&res);
        if (st) {
            char name[64];
            task_name(&w, t, name, sizeof name);
            st = sym_context(err, st, name);
            goto done;
        }
        for (size_t k = 0; k < OP_STORED; k++)
            y[k * nt + t] = val[k];
        y[OP_Q2 * nt + t] = val[OP_Q] * val[OP_Q];
        for (size_t k = 0; k < EX_STORED; k++)
            x[k * nt + t] = xv[k];
        x[EX_GAP * nt + t] = xv[EX_LLTR] - xv[EX_LLTE];
    }
    for (size_t j = 0; j < npt; j++) {
        for (size_t k = 0; k < OP_N; k++)
            sys_mean_sd(y + k * nt + j * ns, ns, 1, &e->mean[k][j], &e->sd[k][j]);
        for (size_t k = 0; k < EX_N; k++)
            sys_mean_sd(x + k * nt + j * ns, ns, 1, &e->xmean[k][j], &e->xsd[k][j]);
    }
    if (!beta_scan)
        st = finish_b(c, &w, y, top, e, ntodo, t0, h, out, err);
    else if (run_stamp(h))
        st = sym_error(err, SYM_ENOMEM, "out of memory");
    else
        st = write_beta_files(c, &w, beta, top, e, ntodo, t0, h, out, err);
done:
    sys_unlock(lock);
    free(Bs);
    free(beta);
    free(label);
    for (size_t j = 0; j < nm; j++)
        ring_free(m[j]);
    free(m);
    free(y);
    free(x);
    free(top);
    free(u);
    free(e);
    return st;
}

/* ---- the data-only sweep of Potts data (xy; SPEC.md 7 and 9) ----
 * No hidden unit: the Potts RBM is not built yet, so the two thresholds of
 * the paper's Fig. 11 are approached through the data alone, by the top
 * eigenvector of C^ (theory/rmt.h rmt_xy says what each quantity is). */

/* per-task values, in result.tsv and threshold.tsv order */
enum { PX_TOP = 0, PX_TOPN = 1, PX_ANG = 2, PX_SPAT = 3, PX_GROW = 4, PX_N = 5 };
static const char *const px_key[PX_N] = {"top_eval", "top_norm", "ov_ang", "ov_spat", "ov_grow"};

static int task_exec_potts(const sweep *w, size_t t, traj_header *res, char *err)
{
    const threshold_config *c = w->c;
    const ring_model *m = w->m[0];
    size_t B = w->Bs[t / c->seeds], N = m->N, P = m->P, n;
    uint64_t ts = task_seed(c->seed, B, t % c->seeds);
    int st = sym_alloc_check(B, N, 1, "B*N training samples", &n, err);
    if (st)
        return st;
    /* the training stream of sim_draw (sim/run.h), which refuses Potts
     * data: the same rows a future Potts trainer would see */
    int8_t *v = malloc(n);
    gsl_rng *rd = rng_alloc(ts, RNG_STREAM_DATA);
    lin_potts *lw = NULL;
    lin_potts_result r;
    st = !v || !rd ? sym_error(err, SYM_ENOMEM, "out of memory for B = %zu samples", B) : SYM_OK;
    st = st ? st : ring_sample(m, rd, B, v, err);
    st = st ? st : lin_potts_alloc(&lw, N, P, w->plam, err);
    st = st ? st : lin_potts_top(lw, v, B, &r, NULL, err);
    lin_potts_free(lw);
    if (rd)
        gsl_rng_free(rd);
    free(v);
    if (st)
        return sym_context(err, st, "task");
    const double val[PX_N] = {r.top, r.top_norm, r.ov_ang, r.ov_spat, r.ov_grow};
    for (size_t k = 0; k < PX_N; k++)
        if (put(res, px_key[k], val[k]))
            return sym_error(err, SYM_ENOMEM, "out of memory");
    return SYM_OK;
}

/* measured B_c of the seed values y[j ns + s] between fixed levels lo, hi:
 * the crossing of the seed means and its bootstrap interval */
static int potts_bc(const threshold_config *c, const double *Bd, const double *mean,
                    const double *y, size_t nB, double lo, double hi, gsl_rng *r, double bc[3],
                    size_t *nvalid, char *err)
{
    char e2[SYM_ERRLEN];
    thr_levels lv = {0, 0, lo, hi};
    if (thr_crossing(Bd, mean, nB, lo, hi, &bc[0], e2) != SYM_OK)
        bc[0] = NAN;
    return thr_bootstrap(Bd, y, nB, c->seeds, &lv, c->boot, r, &bc[1], &bc[2], nvalid, err);
}

static void summary_bc(FILE *fs, const char *name, const double bc[3], double N)
{
    const char *suffix[] = {"", "_lo", "_hi"};
    char key[64];
    for (size_t q = 0; q < 3; q++) {
        snprintf(key, sizeof key, "Bc_%s%s", name, suffix[q]);
        traj_summary_num(fs, key, bc[q]);
    }
    /* r = N / B: the interval's ends swap */
    const double rv[3] = {N / bc[0], N / bc[2], N / bc[1]};
    for (size_t q = 0; q < 3; q++) {
        snprintf(key, sizeof key, "r_%s%s", name, suffix[q]);
        traj_summary_num(fs, key, rv[q]);
    }
}

static int finish_potts(const threshold_config *c, const sweep *w, const double *y, size_t ntodo,
                        double t0, traj_header *h, const char *out, char *err)
{
    size_t nB = w->npt, ns = c->seeds, nt = nB * ns;
    const ring_model *m = w->m[0];
    double N = (double)m->N;
    rmt_xy *rx = NULL;
    gsl_rng *raux = NULL;
    double *Bd = malloc(nB * sizeof *Bd), *mean = malloc(PX_N * nB * sizeof *mean);
    double *sd = malloc(PX_N * nB * sizeof *sd);
    int st = Bd && mean && sd ? SYM_OK : sym_error(err, SYM_ENOMEM, "out of memory");
    st = st ? st : rmt_xy_alloc(&rx, w->plam, m->N, m->P, err);
    rmt_xy_pred pr;
    st = st ? st : rmt_xy_predict(rx, &pr, err);
    if (!st && !(raux = rng_alloc(c->seed, RNG_STREAM_AUX)))
        st = sym_error(err, SYM_ENOMEM, "out of memory");
    if (st)
        goto done;
    for (size_t j = 0; j < nB; j++) {
        Bd[j] = (double)w->Bs[j];
        for (size_t k = 0; k < PX_N; k++)
            sys_mean_sd(y + k * nt + j * ns, ns, 1, &mean[k * nB + j], &sd[k * nB + j]);
    }
    /* levels: ov_ang from its random-matrix B -> 0 level to 1 (as ov_lin);
     * ov_spat from its B -> 0 level to the largest seed mean of the grid
     * (it falls back to 0 at large B: rmt_xy), both held fixed in the
     * bootstrap */
    double bca[3], bcs[3], bcf[3] = {NAN, NAN, NAN}, smax = -INFINITY;
    size_t va, vs, vf = 0, jmax = 0;
    for (size_t j = 0; j < nB; j++)
        if (mean[PX_SPAT * nB + j] > smax) {
            smax = mean[PX_SPAT * nB + j];
            jmax = j;
        }
    st = potts_bc(c, Bd, mean + PX_ANG * nB, y + PX_ANG * nt, nB, pr.ang0, 1.0, raux, bca, &va,
                  err);
    st = st ? st : potts_bc(c, Bd, mean + PX_SPAT * nB, y + PX_SPAT * nt, nB, pr.spat0, smax, raux,
                            bcs, &vs, err);
    /* ... and falling past its peak, from smax to its B -> infinity level 0 */
    if (!st && nB - jmax >= 2)
        st = potts_bc(c, Bd + jmax, mean + PX_SPAT * nB + jmax, y + PX_SPAT * nt + jmax * ns,
                      nB - jmax, smax, 0.0, raux, bcf, &vf, err);
    if (!st && (run_stamp(h) || ring_header_set(m, h)))
        st = sym_error(err, SYM_ENOMEM, "out of memory");
    if (st)
        goto done;
    run_files rf;
    FILE *f, *fs;
    if ((st = run_files_init(&rf, out, err)) ||
        (st = run_files_open(&rf, "threshold.tsv", h, &f, err)))
        goto done;
    fprintf(f, "B\tr\tseeds");
    for (size_t k = 0; k < PX_N; k++)
        fprintf(f, "\t%s_mean\t%s_sd", px_key[k], px_key[k]);
    fprintf(f, "\tx_top_rmt\tx_top_norm_rmt\tedge_norm\tx_edge_norm_rmt\tov_ang_rmt\tov_spat_rmt"
               "\tov_grow_rmt\n");
    for (size_t j = 0; j < nB && !st; j++) {
        rmt_xy_top t;
        st = rmt_xy_eval(rx, Bd[j], &t, err);
        fprintf(f, "%zu", w->Bs[j]);
        put_tab(f, N / Bd[j]);
        fprintf(f, "\t%zu", ns);
        for (size_t k = 0; k < PX_N; k++) {
            put_tab(f, mean[k * nB + j]);
            put_tab(f, sd[k * nB + j]);
        }
        const double pv[7] = {t.x_top, t.x_top_norm, t.edge_norm, t.x_edge_norm, t.ov_ang,
                              t.ov_spat, t.ov_grow};
        for (size_t q = 0; q < 7; q++)
            put_tab(f, st ? NAN : pv[q]);
        fputc('\n', f);
    }
    if (st || (st = run_files_open(&rf, "summary.tsv", h, &fs, err))) {
        run_files_abort(&rf);
        goto done;
    }
    summary_bc(fs, "ang", bca, N);
    traj_summary_num(fs, "ang_level_lo", pr.ang0);
    traj_summary_num(fs, "ang_level_hi", 1.0);
    traj_summary_num(fs, "ang_boot_valid", (double)va);
    summary_bc(fs, "spat", bcs, N);
    traj_summary_num(fs, "spat_level_lo", pr.spat0);
    traj_summary_num(fs, "spat_level_hi", smax);
    traj_summary_num(fs, "spat_boot_valid", (double)vs);
    summary_bc(fs, "spat_fall", bcf, N);
    traj_summary_num(fs, "spat_fall_boot_valid", (double)vf);
    const char *pk[] = {"Bc_ang_rmt", "Bc_spat_rmt", "Bc_spat_fall_rmt", "Bc_bbp", "Bc_paper"};
    const double pvv[] = {pr.Bc_ang, pr.Bc_spat, pr.Bc_spat_fall, pr.Bc_bbp, pr.Bc_paper};
    for (size_t q = 0; q < 5; q++) {
        traj_summary_num(fs, pk[q], pvv[q]);
        char key[64];
        snprintf(key, sizeof key, "r_%s", pk[q] + 3);
        traj_summary_num(fs, key, N / pvv[q]);
    }
    traj_summary_num(fs, "spat_max_rmt", pr.spat_max);
    traj_summary_num(fs, "B_spat_max_rmt", pr.B_spat_max);
    traj_summary_num(fs, "lambda_max", pr.lambda_max);
    traj_summary_num(fs, "Lambda_xy", pr.Lambda);
    traj_summary_num(fs, "n_ang", (double)pr.n_ang);
    traj_summary_num(fs, "n_spat", (double)pr.n_spat);
    traj_summary_num(fs, "n_grow", (double)pr.n_grow);
    traj_summary_num(fs, "tasks", (double)nt);
    traj_summary_num(fs, "tasks_run", (double)ntodo);
    traj_summary_num(fs, "wall_s", sys_now() - t0);
    traj_summary_str(fs, "hidden", "none");
    st = run_files_commit(&rf, err);
done:
    free(Bd);
    free(mean);
    free(sd);
    rmt_xy_free(rx);
    if (raux)
        gsl_rng_free(raux);
    return st;
}

/* ---- the trained sweep of Potts data (xy; SPEC.md 7 and 9, issue 10
 * item 5, the paper's Fig. 11) ----
 * One binary (or gaussian) hidden unit per task, trained in-process by
 * sim/potts_run.h at the fixed learning time T with full-batch SGD and the
 * exact model term; the angular and the spatial order of its final field
 * give two thresholds. */

/* per-task values, in result.tsv and threshold.tsv order */
enum { TX_ANGF = 0, TX_SANG = 1, TX_R = 2, TX_NORM2 = 3, TX_PR = 4, TX_LLTR = 5, TX_LLTE = 6,
       TX_N = 7 };
static const char *const tx_key[TX_N] = {"ang_frac", "S_ang", "R", "norm2", "pr", "ll_train",
                                         "ll_test"};

static int task_exec_potts_trained(const sweep *w, size_t t, const char *dir, traj_header *res,
                                   char *err)
{
    const threshold_config *c = w->c;
    const ring_model *m = w->m[0];
    size_t B = w->Bs[t / c->seeds];
    uint64_t ts = task_seed(c->seed, B, t % c->seeds);
    int8_t *v = NULL, *vt = NULL;
    char simdir[SYS_PATH];
    traj_header h;
    traj_header_init(&h);
    sim_config sc;
    sim_config_default(&sc);
    unit_params_default(&sc.train.unit, c->hidden);
    sc.train.M = 1;
    sc.train.lr = c->lr;
    sc.T = c->T;
    /* the paper's scheme (batch 100, 20 epochs: t = lr x 20 B / 100) when
     * set; per-epoch reshuffle is sim_config_default's sampling */
    sc.train.batch = c->batch;
    sc.epochs = c->epochs;
    sc.snapshots = c->snapshots;
    sc.init_scale = c->init_scale;
    sc.seed = ts;
    /* only the final field is used: no log-likelihood or weights rows on
     * the way (a snapshot's log-likelihood costs a pass over the B rows) */
    sc.loglik_final = 1;
    sc.weights_final = 1;
    sim_potts_result r;
    int st = sim_potts_draw(m, ts, B, c->B_test, &v, &vt, err);
    st = st ? st : sys_path(simdir, sizeof simdir, dir, "sim", err);
    if (!st && run_header(&h, "sim", 0, NULL))
        st = sym_error(err, SYM_ENOMEM, "out of memory");
    /* learn_theta = 1: the hidden field is learned, which makes the
     * zero-sum gauge a true gauge (SPEC.md 9; sim's default for Potts) */
    st = st ? st : sim_potts_run(&sc, 1, m, v, B, vt, c->B_test, &h,
                                 c->keep_sim ? simdir : NULL, &r, err);
    free(v);
    free(vt);
    traj_header_free(&h);
    if (st)
        return sym_context(err, st, "task");
    const double val[TX_N] = {r.ang_frac, r.final.S_ang, r.final.R, r.final.norm2, r.final.pr,
                              r.loglik, r.loglik_test};
    for (size_t k = 0; k < TX_N; k++)
        if (put(res, tx_key[k], val[k]))
            return sym_error(err, SYM_ENOMEM, "out of memory");
    return SYM_OK;
}

int threshold_xy_locate(const double *B, const double *ang, const double *sang, const double *R,
                        size_t nB, size_t ns, size_t P, size_t boot, uint64_t seed,
                        threshold_xy_bc *out, char *err)
{
    if (nB < 2 || ns < 1 || P < 2 || boot < 1)
        return sym_error(err, SYM_EINVAL, "threshold_xy_locate: nB = %zu, ns = %zu, P = %zu, "
                         "boot = %zu: need nB >= 2, ns, boot >= 1, P >= 2", nB, ns, P, boot);
    double *mean = malloc(THRESHOLD_XY_N * nB * sizeof *mean);
    gsl_rng *r = rng_alloc(seed, RNG_STREAM_AUX);
    int st = mean && r ? SYM_OK : sym_error(err, SYM_ENOMEM, "out of memory");
    const double *y[THRESHOLD_XY_N] = {ang, sang, R};
    for (size_t k = 0; k < THRESHOLD_XY_N && !st; k++)
        for (size_t j = 0; j < nB; j++) {
            double sd;
            sys_mean_sd(y[k] + j * ns, ns, 1, &mean[k * nB + j], &sd);
        }
    double smax = -INFINITY;
    for (size_t j = 0; j < nB && !st; j++)
        smax = fmax(smax, mean[THRESHOLD_XY_SANG * nB + j]);
    const thr_levels lv[THRESHOLD_XY_N] = {
        {0, 1, P > 2 ? 2.0 / (double)(P - 1) : 1.0, NAN},
        {0, 0, st ? NAN : mean[THRESHOLD_XY_SANG * nB], smax},
        {1, 1, NAN, NAN}};
    char e2[SYM_ERRLEN];
    for (size_t k = 0; k < THRESHOLD_XY_N && !st; k++) {
        const double *mk = mean + k * nB;
        thr_levels_apply(&lv[k], mk, nB, &out->level_lo[k], &out->level_hi[k]);
        if (thr_crossing(B, mk, nB, out->level_lo[k], out->level_hi[k], &out->Bc[k], e2) !=
            SYM_OK)
            out->Bc[k] = NAN;
        st = thr_bootstrap(B, y[k], nB, ns, &lv[k], boot, r, &out->ci_lo[k], &out->ci_hi[k],
                           &out->valid[k], err);
    }
    free(mean);
    if (r)
        gsl_rng_free(r);
    return st;
}

static int finish_potts_trained(const threshold_config *c, const sweep *w, const double *y,
                                size_t ntodo, double t0, traj_header *h, const char *out,
                                char *err)
{
    size_t nB = w->npt, ns = c->seeds, nt = nB * ns;
    const ring_model *m = w->m[0];
    double N = (double)m->N;
    rmt_xy *rx = NULL;
    double *Bd = malloc(nB * sizeof *Bd), *mean = malloc(TX_N * nB * sizeof *mean);
    double *sd = malloc(TX_N * nB * sizeof *sd);
    int st = Bd && mean && sd ? SYM_OK : sym_error(err, SYM_ENOMEM, "out of memory");
    st = st ? st : rmt_xy_alloc(&rx, w->plam, m->N, m->P, err);
    rmt_xy_pred pr;
    st = st ? st : rmt_xy_predict(rx, &pr, err);
    if (st)
        goto done;
    for (size_t j = 0; j < nB; j++) {
        Bd[j] = (double)w->Bs[j];
        for (size_t k = 0; k < TX_N; k++)
            sys_mean_sd(y + k * nt + j * ns, ns, 1, &mean[k * nB + j], &sd[k * nB + j]);
    }
    threshold_xy_bc bc;
    st = threshold_xy_locate(Bd, y + TX_ANGF * nt, y + TX_SANG * nt, y + TX_R * nt, nB, ns, m->P,
                             c->boot, c->seed, &bc, err);
    if (!st && (run_stamp(h) || ring_header_set(m, h)))
        st = sym_error(err, SYM_ENOMEM, "out of memory");
    if (st)
        goto done;
    run_files rf;
    FILE *f, *fs;
    if ((st = run_files_init(&rf, out, err)) ||
        (st = run_files_open(&rf, "threshold.tsv", h, &f, err)))
        goto done;
    fprintf(f, "B\tr\tseeds");
    for (size_t k = 0; k < TX_N; k++)
        fprintf(f, "\t%s_mean\t%s_sd", tx_key[k], tx_key[k]);
    fprintf(f, "\tov_ang_rmt\tov_spat_rmt\n");
    for (size_t j = 0; j < nB && !st; j++) {
        rmt_xy_top tp;
        st = rmt_xy_eval(rx, Bd[j], &tp, err);
        fprintf(f, "%zu", w->Bs[j]);
        put_tab(f, N / Bd[j]);
        fprintf(f, "\t%zu", ns);
        for (size_t k = 0; k < TX_N; k++) {
            put_tab(f, mean[k * nB + j]);
            put_tab(f, sd[k * nB + j]);
        }
        put_tab(f, st ? NAN : tp.ov_ang);
        put_tab(f, st ? NAN : tp.ov_spat);
        fputc('\n', f);
    }
    if (st || (st = run_files_open(&rf, "summary.tsv", h, &fs, err))) {
        run_files_abort(&rf);
        goto done;
    }
    const char *bn[THRESHOLD_XY_N] = {"ang", "S_ang", "spat"};
    for (size_t q = 0; q < THRESHOLD_XY_N; q++) {
        char key[64];
        const double bv[3] = {bc.Bc[q], bc.ci_lo[q], bc.ci_hi[q]};
        summary_bc(fs, bn[q], bv, N);
        snprintf(key, sizeof key, "%s_level_lo", bn[q]);
        traj_summary_num(fs, key, bc.level_lo[q]);
        snprintf(key, sizeof key, "%s_level_hi", bn[q]);
        traj_summary_num(fs, key, bc.level_hi[q]);
        snprintf(key, sizeof key, "%s_boot_valid", bn[q]);
        traj_summary_num(fs, key, (double)bc.valid[q]);
    }
    const char *pk[] = {"Bc_ang_rmt", "Bc_spat_rmt", "Bc_spat_fall_rmt", "Bc_bbp", "Bc_paper"};
    const double pvv[] = {pr.Bc_ang, pr.Bc_spat, pr.Bc_spat_fall, pr.Bc_bbp, pr.Bc_paper};
    for (size_t q = 0; q < 5; q++) {
        traj_summary_num(fs, pk[q], pvv[q]);
        char key[64];
        snprintf(key, sizeof key, "r_%s", pk[q] + 3);
        traj_summary_num(fs, key, N / pvv[q]);
    }
    traj_summary_num(fs, "lambda_max", pr.lambda_max);
    traj_summary_num(fs, "Lambda_xy", pr.Lambda);
    traj_summary_num(fs, "tasks", (double)nt);
    traj_summary_num(fs, "tasks_run", (double)ntodo);
    traj_summary_num(fs, "wall_s", sys_now() - t0);
    traj_summary_str(fs, "hidden", c->hidden->name);
    st = run_files_commit(&rf, err);
done:
    free(Bd);
    free(mean);
    free(sd);
    rmt_xy_free(rx);
    return st;
}

static int threshold_run_potts(const threshold_config *c, traj_header *h, const char *out,
                               char *err)
{
    int st = threshold_config_check(c, err);
    if (st)
        return st;
    if (!c->data.type->potts)
        return sym_error(err, SYM_EINVAL, "hidden = none: the data-only sweep is for Potts data "
                         "(xy); data model %s trains a hidden unit", c->data.type->name);
    if (c->scan != THRESHOLD_SCAN_B)
        return sym_error(err, SYM_EINVAL, "data %s: the Potts sweep scans B only",
                         c->data.type->name);
    int trained = !c->data_only;
    size_t nk = trained ? TX_N : PX_N;
    const char *const *keys = trained ? tx_key : px_key;
    double t0 = sys_now();
    size_t ns = c->seeds, npt = 0, ntodo = 0;
    size_t *Bs = malloc(c->points * sizeof *Bs);
    ring_model *m = NULL;
    double *plam = NULL, *y = NULL;
    int lock = -1, collect;
    task_opts to = {c->jobs, c->progress, "threshold"};
    task_mode tm = {c->sel, NULL, NULL};
    if (!Bs) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = task_open(out, &c->sel, &lock, err)) || (st = scan_kind_check(c, out, err)) ||
        (st = thr_grid(c->Bmin, c->Bmax, c->points, Bs, &npt, err)))
        goto done;
    if (npt < 2) {
        st = sym_error(err, SYM_EINVAL, "Bmin = %g, Bmax = %g: fewer than two distinct sample "
                       "sizes", c->Bmin, c->Bmax);
        goto done;
    }
    if ((st = ring_alloc(&m, &c->data, err)))
        goto done;
    size_t nt = npt * ns;
    plam = malloc(m->N * m->P * sizeof *plam);
    y = malloc(nk * nt * sizeof *y);
    if (!plam || !y) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = ring_potts_spectrum(m, plam, err)))
        goto done;
    ring_model *mm[1] = {m};
    sweep w = {c, npt, mm, Bs, NULL, NULL, plam};
    task_set ts = {nt, &w, task_name, task_params, task_exec};
    if ((st = task_sweep(out, &ts, &to, &tm, &ntodo, &collect, err)) || !collect)
        goto done;
    for (size_t t = 0; t < nt && !st; t++) {
        traj_header res;
        traj_header_init(&res);
        int have;
        st = task_load(out, &ts, t, &res, &have, err);
        if (!st && !have)
            st = sym_error(err, SYM_EIO, "left no result");
        for (size_t k = 0; k < nk && !st; k++)
            st = task_value(&res, keys[k], &y[k * nt + t], err);
        traj_header_free(&res);
        if (st) {
            char name[64];
            task_name(&w, t, name, sizeof name);
            st = sym_context(err, st, name);
        }
    }
    if (!st)
        st = trained ? finish_potts_trained(c, &w, y, ntodo, t0, h, out, err)
                     : finish_potts(c, &w, y, ntodo, t0, h, out, err);
done:
    sys_unlock(lock);
    free(Bs);
    ring_free(m);
    free(plam);
    free(y);
    return st;
}
