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
#include "core/sys.h"
#include "core/task.h"
#include "sim/lin.h"
#include "sim/run.h"
#include "theory/rmt.h"
#include "theory/run.h"

/* the order parameters of a task, in result.tsv and threshold.tsv order.
 * The first OP_STORED are stored per task; Q2 = Q^2 is derived: a squared
 * overlap, like ov_lin and rmt's ov_grow, whereas Q is an overlap (its
 * half-way point lies at smaller B because sqrt rises faster). */
enum { OP_LIN = 0, OP_Q = 1, OP_S = 2, OP_STORED = 3, OP_Q2 = 3, OP_N = 4 };
static const char *const op_key[OP_N] = {"ov_lin", "Q", "S", "Q2"};
static const char *const op_name[OP_N] = {"lin", "Q", "S", "Q2"};

void threshold_config_default(threshold_config *c)
{
    memset(c, 0, sizeof *c);
    ring_params_default(&c->data);
    ring_type_find("bump", &c->data.type, NULL);
    c->Bmin = 10;
    c->Bmax = 10000;
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
    if (!(c->T / c->lr >= 0.5))
        return sym_error(err, SYM_EINVAL, "T = %g with lr = %g is less than one update", c->T,
                         c->lr);
    if (!(c->init_scale > 0) || !isfinite(c->init_scale))
        return sym_error(err, SYM_EINVAL, "init-scale = %g: must be > 0", c->init_scale);
    if (!(c->Bmin >= 1))
        return sym_error(err, SYM_EINVAL, "Bmin = %g: need B >= 1", c->Bmin);
    if (!(c->Bmax >= c->Bmin) || !isfinite(c->Bmax))
        return sym_error(err, SYM_EINVAL, "Bmax = %g: must be finite and >= Bmin = %g", c->Bmax,
                         c->Bmin);
    /* a task holds its B samples and the bit-packed columns of C^: refuse
     * what the machine cannot hold before any worker starts */
    double need = c->Bmax * (double)c->data.N * 1.125;
    double have = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    if (have > 0 && need > have)
        return sym_error(err, SYM_EINVAL, "Bmax = %g samples of N = %zu need %.3g GB per task, "
                         "this machine has %.3g GB", c->Bmax, c->data.N, need / 1e9, have / 1e9);
    if (c->points < 2)
        return sym_error(err, SYM_EINVAL, "points = %zu: need at least 2 to locate a crossing",
                         c->points);
    if (c->points > THRESHOLD_MAXPOINTS)
        return sym_error(err, SYM_EINVAL, "points = %zu: at most %d", c->points,
                         THRESHOLD_MAXPOINTS);
    return SYM_OK;
}

typedef struct {
    const threshold_config *c;
    const ring_model *m;
    const size_t *Bs;
    const double *u;     /* the infinite-data profile at T */
} sweep;

/* The per-task seed: a function of the sweep seed, B and the seed index
 * only, so adding grid points or seeds never changes an existing task. */
static uint64_t task_seed(uint64_t seed, size_t B, size_t s)
{
    return rng_derive(rng_derive(seed, (uint64_t)B), (uint64_t)s);
}

static int task_name(void *ctx, size_t t, char *buf, size_t cap)
{
    const sweep *w = ctx;
    int n = snprintf(buf, cap, "%zu_%zu", w->Bs[t / w->c->seeds], t % w->c->seeds);
    return n < 0 || (size_t)n >= cap;
}

/* The keys a stored theory profile or task result must agree with. */
static int model_keys(const sweep *w, traj_header *h)
{
    const threshold_config *c = w->c;
    int st = ring_header_set(w->m, h);
    st = st ? st : traj_header_set(h, "T", "%.17g", c->T);
    st = st ? st : traj_header_set(h, "init-scale", "%.17g", c->init_scale);
    st = st ? st : traj_header_set(h, "seed", "%llu", (unsigned long long)c->seed);
    return st;
}

static int task_params(void *ctx, size_t t, traj_header *h)
{
    const sweep *w = ctx;
    const threshold_config *c = w->c;
    size_t B = w->Bs[t / c->seeds], s = t % c->seeds;
    int st = model_keys(w, h);
    st = st ? st : traj_header_set(h, "lr", "%.17g", c->lr);
    st = st ? st : traj_header_set(h, "sim-snapshots", "%zu", c->snapshots);
    st = st ? st : traj_header_set(h, "B", "%zu", B);
    st = st ? st : traj_header_set(h, "seed_index", "%zu", s);
    st = st ? st : traj_header_set(h, "task_seed", "%llu",
                                   (unsigned long long)task_seed(c->seed, B, s));
    return st;
}

static int put(traj_header *res, const char *key, double x)
{
    return traj_header_set(res, key, "%.17g", x);
}

/* One task, in a worker process: data, linear overlap, training. */
static int task_exec(void *ctx, size_t t, const char *dir, traj_header *res, char *err)
{
    const sweep *w = ctx;
    const threshold_config *c = w->c;
    size_t B = w->Bs[t / c->seeds], N = w->m->N;
    uint64_t ts = task_seed(c->seed, B, t % c->seeds);
    int8_t *v = NULL, *vt = NULL;
    lin *lw = NULL;
    double ov = NAN, top = NAN;
    traj_header h;
    traj_header_init(&h);
    char simdir[SYS_PATH];
    /* C^ is formed once: for the linear-regime overlap and for the trainer */
    double *C = malloc(N * N * sizeof *C);
    int st = C ? SYM_OK : sym_error(err, SYM_ENOMEM, "out of memory for C^ (N = %zu)", N);
    st = st ? st : sim_draw(w->m, ts, B, 0, &v, &vt, err);
    st = st ? st : lin_alloc(&lw, N, w->m->lambda, err);
    st = st ? st : lin_corr(lw, v, B, C, err);
    st = st ? st : lin_overlap_of(lw, C, &ov, &top, NULL, err);
    lin_free(lw);
    sim_config sc;
    sim_config_default(&sc);
    sc.train.chat = C;
    sc.train.lr = c->lr;
    sc.T = c->T;
    sc.snapshots = c->snapshots;
    sc.init_scale = c->init_scale;
    sc.seed = ts;
    sc.theory_w = w->u;
    sim_result r;
    st = st ? st : sys_path(simdir, sizeof simdir, dir, "sim", err);
    if (!st && run_header(&h, "sim", 0, NULL))
        st = sym_error(err, SYM_ENOMEM, "out of memory");
    st = st ? st : sim_run(&sc, w->m->type, w->m, v, N, B, NULL, 0, &h,
                           c->keep_sim ? simdir : NULL, &r, err);
    free(v);
    free(C);
    traj_header_free(&h);
    if (st)
        return sym_context(err, st, "task");
    if (put(res, "ov_lin", ov) || put(res, "top_eval", top) || put(res, "Q", r.Q_theory) ||
        put(res, "S", r.final.S) || put(res, "norm2", r.final.norm2) || put(res, "R", r.final.R) ||
        put(res, "pr", r.final.pr))
        return sym_error(err, SYM_ENOMEM, "out of memory");
    return SYM_OK;
}

/* The infinite-data profile at t = T, computed once into DIR/theory and
 * reused when its parameters match. */
static int theory_profile(const sweep *w, const char *out, double *u, char *err)
{
    char dir[SYS_PATH], wpath[SYS_PATH];
    int st = sys_path(dir, sizeof dir, out, "theory", err);
    st = st ? st : sys_path(wpath, sizeof wpath, dir, "weights.tsv", err);
    if (st)
        return st;
    traj_header want;
    traj_header_init(&want);
    if (model_keys(w, &want)) {
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
        size_t N = w->m->N, last = tb.nrow - 1;
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
             : theory_run(&tc, w->m, &h, dir, u, NULL, err);
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
    double Bc[OP_N], lo[OP_N], hi[OP_N], cl[OP_N], ch[OP_N];
    size_t nvalid[OP_N];
} estimates;

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
    fprintf(f, "\ttop_eval_mean\tov_grow_rmt\tx_top_rmt\tov_top_rmt\n");
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
        fputc('\n', f);
    }
    if ((st = run_files_open(&rf, "summary.tsv", h, &fs, err))) {
        run_files_abort(&rf);
        return st;
    }
    double lmax = -INFINITY;
    for (size_t k = 0; k < m->N; k++)
        lmax = fmax(lmax, m->lambda[k]);
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
    traj_summary_num(fs, "lambda_max", lmax);
    traj_summary_num(fs, "n_grow", (double)ngrow);
    traj_summary_num(fs, "tasks", (double)(nB * ns));
    traj_summary_num(fs, "tasks_run", (double)ntodo);
    traj_summary_num(fs, "wall_s", sys_now() - t0);
    return run_files_commit(&rf, err);
}

int threshold_run(const threshold_config *c, traj_header *h, const char *out, char *err)
{
    int st = threshold_config_check(c, err);
    if (st)
        return st;
    double t0 = sys_now();
    size_t ns = c->seeds, nB = 0, ntodo = 0;
    size_t *Bs = malloc(c->points * sizeof *Bs);
    ring_model *m = NULL;
    rmt_ws *rw = NULL;
    gsl_rng *raux = NULL;
    double *y = NULL, *top = NULL, *Bd = NULL, *u = NULL;
    estimates *e = calloc(1, sizeof *e);
    int lock = -1;
    if (!Bs || !e) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = traj_mkdir(out, err)) || (st = sys_lock(out, &lock, err)) ||
        (st = thr_grid(c->Bmin, c->Bmax, c->points, Bs, &nB, err)))
        goto done;
    if (nB < 2) {
        st = sym_error(err, SYM_EINVAL, "Bmin = %g, Bmax = %g: fewer than two distinct sample "
                       "sizes", c->Bmin, c->Bmax);
        goto done;
    }
    if ((st = ring_alloc(&m, &c->data, err)))
        goto done;
    size_t nt = nB * ns;
    y = malloc(OP_N * nt * sizeof *y);
    top = malloc(nt * sizeof *top);
    Bd = malloc(nB * sizeof *Bd);
    u = malloc(m->N * sizeof *u);
    if (!y || !top || !Bd || !u) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t j = 0; j < nB; j++)
        Bd[j] = (double)Bs[j];
    sweep w = {c, m, Bs, u};
    task_set ts = {nt, &w, task_name, task_params, task_exec};
    task_opts to = {c->jobs, c->progress, "threshold"};
    /* stored results are checked before the theory runs, so that a
     * parameter mismatch is reported at once */
    for (size_t t = 0; t < nt; t++) {
        traj_header res;
        traj_header_init(&res);
        int have;
        st = task_load(out, &ts, t, &res, &have, err);
        traj_header_free(&res);
        if (st)
            goto done;
    }
    if ((st = theory_profile(&w, out, u, err)) || (st = task_run_all(out, &ts, &to, &ntodo, err)))
        goto done;
    for (size_t t = 0; t < nt && !st; t++) {
        traj_header res;
        traj_header_init(&res);
        int have;
        double val[OP_STORED];
        st = task_load(out, &ts, t, &res, &have, err);
        if (!st && !have)
            st = sym_error(err, SYM_EIO, "task %zu_%zu left no result", Bs[t / ns], t % ns);
        for (size_t k = 0; k < OP_STORED && !st; k++)
            st = task_value(&res, op_key[k], &val[k], err);
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
    }

    /* ---- predictions ---- */
    if ((st = rmt_alloc(&rw, m->lambda, m->N, err)))
        goto done;
    /* finite-B splitting of a degenerate top spike (bump: k = +-1); off for
     * a simple top mode (theory/rmt.h) */
    if ((st = rmt_set_m4(rw, ring_m4(m), err)))
        goto done;
    double ov0, pred[3] = {rmt_bbp(m->lambda, m->N), NAN, NAN};
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
        for (size_t j = 0; j < nB; j++)
            sys_mean_sd(y + k * nt + j * ns, ns, 1, &e->mean[k][j], &e->sd[k][j]);
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
    st = write_files(c, m, rw, Bs, Bd, nB, top, e, pred, ngrow, ntodo, t0, h, out, err);
done:
    sys_unlock(lock);
    free(Bs);
    free(y);
    free(top);
    free(Bd);
    free(u);
    free(e);
    ring_free(m);
    rmt_free(rw);
    if (raux)
        gsl_rng_free(raux);
    return st;
}
