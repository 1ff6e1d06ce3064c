/* run (sim): sim_draw and sim_run (sim/run.h). */
#include "sim/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/size.h"
#include "core/rng.h"
#include "core/run.h"
#include "core/snap.h"
#include "core/sys.h"

void sim_config_default(sim_config *c)
{
    memset(c, 0, sizeof *c);
    unit_params_default(&c->train.unit, &unit_gaussian);
    c->train.M = 1;
    c->train.term = TRAIN_EXACT;
    c->train.chains = 100;
    c->train.mc_steps = 1;
    c->train.opt = TRAIN_SGD;
    c->train.lr = 0.01;
    c->T = 40;
    c->snapshots = 200;
    c->init_scale = 0.01;
    c->seed = 1;
}

int sim_draw(const ring_model *m, uint64_t seed, size_t B, size_t B_test, int8_t **v,
             int8_t **vtest, char *err)
{
    *v = *vtest = NULL;
    if (ring_require_spin(m, "sim", err))
        return SYM_EINVAL;
    if (B < 1)
        return sym_error(err, SYM_EINVAL, "B = 0: need at least one sample");
    size_t n, nt;
    int st = sym_alloc_check(B, m->N, 1, "B*N training samples", &n, err);
    if (!st && B_test)
        st = sym_alloc_check(B_test, m->N, 1, "B_test*N test samples", &nt, err);
    if (st)
        return st;
    nt = B_test ? nt : 0;
    *v = malloc(n);
    *vtest = B_test ? malloc(nt) : NULL;
    if (!*v || (B_test && !*vtest)) {
        free(*v);
        free(*vtest);
        *v = *vtest = NULL;
        return sym_error(err, SYM_ENOMEM, "out of memory for %zu + %zu samples of N = %zu (%.3g "
                         "GB)", B, B_test, m->N, ((double)n + (double)nt) / 1e9);
    }
    gsl_rng *rd = rng_alloc(seed, RNG_STREAM_DATA), *rt = rng_alloc(seed, RNG_STREAM_TEST);
    st = !rd || !rt ? sym_error(err, SYM_ENOMEM, "out of memory") : SYM_OK;
    st = st ? st : ring_sample(m, rd, B, *v, err);
    if (!st && B_test)
        st = ring_sample(m, rt, B_test, *vtest, err);
    if (rd)
        gsl_rng_free(rd);
    if (rt)
        gsl_rng_free(rt);
    if (st) {
        free(*v);
        free(*vtest);
        *v = *vtest = NULL;
    }
    return st;
}

int sim_updates(const sim_config *c, size_t B, size_t *K, char *err)
{
    if (c->epochs)
        return train_updates(&c->train, B, c->epochs, K, err);
    double k = c->T / c->train.lr;
    if (!(c->T > 0) || !(c->train.lr > 0) || !(k <= 1e15))
        return sym_error(err, SYM_EINVAL, "T = %g, lr = %g: need T > 0, lr > 0 and at most 1e15 "
                         "updates", c->T, c->train.lr);
    *K = (size_t)llround(k);
    if (*K < 1)
        return sym_error(err, SYM_EINVAL, "T = %g with lr = %g is less than one update", c->T,
                         c->train.lr);
    return SYM_OK;
}

typedef struct {
    const sim_config *c;
    const ring_type *type;
    size_t N, M, K;
    double entropy;
    train_ws *tw;
    const int8_t *v;
    size_t B;
    obs_ws *obs;
    FILE *traj, *wts;
    double *t, *S;      /* mu = 0's S at each snapshot (t_sb) */
    size_t ns;
    double last_ll, last_kl;
} sim_ctx;

static int snapshot(void *p, size_t k, const double *w, const double *g, char *err)
{
    sim_ctx *c = p;
    double ll = NAN, kl = NAN;
    int st = train_loglik(c->tw, w, g, c->v, c->B, &ll, err);
    if (st)
        return st;
    if (isfinite(ll) && isfinite(c->entropy))
        kl = (-c->entropy - ll) / (double)c->N;
    double t = c->c->train.lr * (double)k;
    for (size_t mu = 0; mu < c->M; mu++) {
        obs_values o;
        obs_compute(c->obs, c->type, w + mu * c->N, &o);
        if (c->traj)
            traj_obs_row(c->traj, t, mu, ll, kl, &o);
        if (c->wts)
            traj_weights_row(c->wts, t, mu, w + mu * c->N, c->N);
        if (mu == 0) {
            c->t[c->ns] = t;
            c->S[c->ns] = o.S;
            c->ns++;
        }
    }
    c->last_ll = ll;
    c->last_kl = kl;
    if (c->c->progress)
        fprintf(stderr, "\rsim: update %zu / %zu", k, c->K);
    return SYM_OK;
}

int sim_plan(const sim_config *c, size_t N, size_t B, size_t *K, char *err)
{
    train_config tc = c->train;
    tc.N = N;
    int st = train_config_check(&tc, err);
    st = st ? st : sim_updates(c, B, K, err);
    return st ? st : train_plan_check(&tc, B, *K, err);
}

int sim_run(const sim_config *c, const ring_type *type, const ring_model *m, const int8_t *v,
            size_t N, size_t B, const int8_t *vtest, size_t B_test, traj_header *h,
            const char *out, sim_result *r, char *err)
{
    double t0 = sys_now();
    if (m && ring_require_spin(m, "sim", err))
        return SYM_EINVAL;
    train_config tc = c->train;
    tc.N = N;
    int st = train_config_check(&tc, err);
    if (st)
        return st;
    if (!(c->init_scale >= 0) || !isfinite(c->init_scale))
        return sym_error(err, SYM_EINVAL, "init-scale = %g: must be >= 0", c->init_scale);
    if (c->snapshots < 1 || c->snapshots > SNAP_MAX)
        return sym_error(err, SYM_EINVAL, "snapshots = %zu: need 1 .. %d", c->snapshots,
                         (int)SNAP_MAX);
    size_t K;
    if ((st = sim_plan(c, N, B, &K, err)))
        return st;
    size_t M = tc.M, nsnap = c->snapshots, MN, bytes;
    if ((st = sym_alloc_check(M, N, sizeof(double), "M*N weights", &bytes, err)))
        return st;
    MN = M * N;   /* checked above */

    gsl_rng *rtrain = rng_alloc(c->seed, RNG_STREAM_TRAIN);
    double *w = malloc(MN * sizeof *w), *g = calloc(N, sizeof *g);
    size_t *snap = malloc((nsnap + 2) * sizeof *snap);
    double *tt = malloc((nsnap + 2) * sizeof *tt), *SS = malloc((nsnap + 2) * sizeof *SS);
    obs_ws *obs = obs_alloc(N);
    train_ws *tw = NULL;
    run_files rf = {0};
    sim_ctx ctx = {0};
    if (!rtrain || !w || !g || !snap || !tt || !SS || !obs ||
        rng_init_weights(c->seed, N, M, c->init_scale, w)) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = train_alloc(&tw, &tc, v, B, rtrain, err)))
        goto done;
    size_t ns = train_snapshots(K, tc.lr, nsnap, c->linear, tt, snap);

    if (run_stamp(h) || traj_header_set(h, "N", "%zu", N) || (m && ring_header_set(m, h)) ||
        traj_header_set(h, "B", "%zu", B) || traj_header_set(h, "updates", "%zu", K) ||
        traj_header_set(h, "clock", "t = lr x updates")) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    ctx = (sim_ctx){c, type, N, M, K, m ? m->entropy : NAN, tw, v, B, obs, NULL, NULL, tt, SS,
                    0, NAN, NAN};
    if (out) {
        if ((st = run_files_init(&rf, out, err)) ||
            (st = run_files_open(&rf, "trajectory.tsv", h, &ctx.traj, err)) ||
            (st = run_files_open(&rf, "weights.tsv", h, &ctx.wts, err)))
            goto done;
        traj_obs_columns(ctx.traj);
        traj_weights_columns(ctx.wts, N);
    }
    st = train_run(tw, K, snap, ns, w, g, rtrain, snapshot, &ctx, err);
    if (c->progress)
        fprintf(stderr, "\n");
    if (st)
        goto done;

    sim_result res = {.loglik = ctx.last_ll, .kl = ctx.last_kl, .loglik_test = NAN,
                      .Q_theory = NAN, .updates = K};
    if (vtest && B_test && (st = train_loglik(tw, w, g, vtest, B_test, &res.loglik_test, err)))
        goto done;
    if (c->theory_w)
        res.Q_theory = obs_overlap(obs, w, c->theory_w, NULL, NULL);
    obs_compute(obs, type, w, &res.final);
    res.t_sb = obs_t_sb(tt, SS, ctx.ns);
    res.wall_s = sys_now() - t0;
    if (out) {
        FILE *fs;
        if ((st = run_files_open(&rf, "summary.tsv", h, &fs, err)))
            goto done;
        traj_summary_num(fs, "norm2", res.final.norm2);
        traj_summary_num(fs, "pr", res.final.pr);
        traj_summary_num(fs, "R", res.final.R);
        traj_summary_num(fs, "S", res.final.S);
        traj_summary_num(fs, "center", res.final.center);
        traj_summary_num(fs, "loglik", res.loglik);
        traj_summary_num(fs, "kl", res.kl);
        traj_summary_num(fs, "t_sb", res.t_sb);
        traj_summary_num(fs, "wall_s", res.wall_s);
        traj_summary_num(fs, "loglik_test", res.loglik_test);
        traj_summary_num(fs, "Q_theory", res.Q_theory);
        traj_summary_num(fs, "updates", (double)K);
        traj_summary_num(fs, "fwhm", obs_fwhm(w, N));   /* unit 0, as res.final */
        if ((st = run_files_commit(&rf, err)))
            goto done;
    }
    if (r)
        *r = res;
done:
    run_files_abort(&rf);
    train_free(tw);
    obs_free(obs);
    if (rtrain)
        gsl_rng_free(rtrain);
    free(w);
    free(g);
    free(snap);
    free(tt);
    free(SS);
    return st;
}
