/* cmd_sim: `symrbm sim`, stochastic RBM training on B samples (SPEC.md 1, 4,
 * 5, 6; README.md, section symrbm sim).  Draws the data (stream RNG_STREAM_DATA, held-out test
 * samples RNG_STREAM_TEST) or reads --data-file, trains with sim/train, and
 * writes trajectory.tsv, weights.tsv and summary.tsv atomically.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/opts.h"
#include "core/err.h"
#include "core/obs.h"
#include "core/ring.h"
#include "core/rng.h"
#include "core/size.h"
#include "core/traj.h"
#include "core/unit.h"
#include "sim/train.h"

typedef struct {
    size_t N, M, K;
    double lr;
    ring_kind kind;
    double entropy;            /* S_data, NAN when unknown               */
    train_ws *tw;
    const int8_t *v;
    size_t B;
    obs_ws *obs;
    traj_file *traj, *wts;
    double *t, *S;             /* mu = 0's S at each snapshot (t_sb)     */
    size_t ns;
    double last_ll, last_kl;
    int progress;
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
    double t = c->lr * (double)k;
    for (size_t mu = 0; mu < c->M; mu++) {
        obs_values o;
        obs_compute(c->obs, c->kind, w + mu * c->N, &o);
        traj_obs_row(c->traj->fp, t, mu, ll, kl, &o);
        traj_weights_row(c->wts->fp, t, mu, w + mu * c->N, c->N);
        if (mu == 0) {
            c->t[c->ns] = t;
            c->S[c->ns] = o.S;
            c->ns++;
        }
    }
    c->last_ll = ll;
    c->last_kl = kl;
    if (c->progress)
        fprintf(stderr, "\rsim: update %zu / %zu", k, c->K);
    return SYM_OK;
}

/* Aligned overlap of the final mu = 0 profile with the last mu = 0 row of
 * DIR/weights.tsv (a theory run). */
static int theory_overlap(const char *dir, obs_ws *obs, const double *w, size_t N, double *Q,
                          char *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/weights.tsv", dir);
    traj_table tb;
    int st = traj_read(path, &tb, err);
    if (st)
        return sym_context(err, st, "--theory");
    int cmu = traj_table_col(&tb, "mu"), c0 = traj_table_col(&tb, "w_0");
    if (c0 < 0 || tb.nrow == 0 || tb.ncol != (size_t)c0 + N) {
        traj_table_free(&tb);
        return sym_error(err, SYM_EINVAL, "--theory %s: weights.tsv has no rows of N = %zu weights",
                         path, N);
    }
    size_t row = tb.nrow;
    for (size_t r = tb.nrow; r-- > 0;)
        if (cmu < 0 || tb.x[r * tb.ncol + (size_t)cmu] == 0.0) {
            row = r;
            break;
        }
    if (row == tb.nrow) {
        traj_table_free(&tb);
        return sym_error(err, SYM_EINVAL, "--theory %s: no row for mu = 0", path);
    }
    *Q = obs_overlap(obs, w, tb.x + row * tb.ncol + (size_t)c0, NULL, NULL);
    traj_table_free(&tb);
    return SYM_OK;
}

/* The update count K (from --epochs through train_updates, or T / lr) and
 * train_plan_check of the run's sizes and work. */
static int sim_plan(const train_config *tc, size_t B, int seen_epochs, size_t epochs, double T,
                    double lr, size_t *K, char *err)
{
    int st = train_config_check(tc, err);
    if (st)
        return st;
    if (seen_epochs) {
        if ((st = train_updates(tc, B, epochs, K, err)))
            return st;
    } else {
        double k = T / lr;
        if (!(k <= 1e15))
            return sym_error(err, SYM_EINVAL, "--T %g / --lr %g: too many updates", T, lr);
        *K = (size_t)llround(k);
        if (*K < 1)
            return sym_error(err, SYM_EINVAL, "--T %g with --lr %g is less than one update", T, lr);
    }
    return train_plan_check(tc, B, *K, err);
}

int cmd_sim(int argc, char **argv, char *err)
{
    const char *data = "ising", *data_file = NULL, *hidden = "gaussian", *fields = "fixed";
    const char *term_s = "exact", *opt_s = "sgd", *out = NULL, *theory = NULL, *spacing = "log";
    ring_params rp;
    ring_params_default(&rp);
    size_t N = rp.N, B = 10000, B_test = 1000, M = 1, chains = 100, mc_steps = 1, batch = 0;
    size_t epochs = 0, nsnap = 200;
    double gamma = 1, theta = 0, gamma_m = 1, theta_m = 0, l2 = 0, lr = 0.01, T = 40;
    double init_scale = 0.01;
    uint64_t seed = 1;
    int seen_T = 0, seen_epochs = 0, seen_N = 0, seen_gm = 0, seen_tm = 0;
    opt_spec spec[] = {
        {"data", OPT_CHOICE, &data, "data model (also sets S for --data-file)", "ising|bump", NULL},
        {"N", OPT_SIZE, &N, "visible units (ring sites)", NULL, &seen_N},
        {"beta", OPT_DOUBLE, &rp.beta, "ising coupling", NULL, NULL},
        {"rho", OPT_DOUBLE, &rp.rho, "bump width fraction", NULL, NULL},
        {"eps", OPT_DOUBLE, &rp.eps, "bump flip noise", NULL, NULL},
        {"B", OPT_SIZE, &B, "training samples drawn from the model", NULL, NULL},
        {"B-test", OPT_SIZE, &B_test, "held-out samples for loglik_test (0: none)", NULL, NULL},
        {"data-file", OPT_STRING, &data_file, "train on the samples in this file instead", NULL, NULL},
        {"hidden", OPT_CHOICE, &hidden, "hidden-unit kind", "gaussian|spin|relu|drelu", NULL},
        {"M", OPT_SIZE, &M, "hidden units", NULL, NULL},
        {"gamma", OPT_DOUBLE, &gamma, "hidden curvature (drelu: h >= 0 side)", NULL, NULL},
        {"theta", OPT_DOUBLE, &theta, "hidden threshold (drelu: h >= 0 side)", NULL, NULL},
        {"gamma-m", OPT_DOUBLE, &gamma_m, "drelu curvature on h < 0 (default: --gamma)", NULL, &seen_gm},
        {"theta-m", OPT_DOUBLE, &theta_m, "drelu threshold on h < 0 (default: --theta)", NULL, &seen_tm},
        {"fields", OPT_CHOICE, &fields, "visible fields g", "fixed|learn", NULL},
        {"l2", OPT_DOUBLE, &l2, "L2 penalty: dw/dt = dL/dw - l2 w", NULL, NULL},
        {"model-term", OPT_CHOICE, &term_s, "model average", "exact|pcd|cd|enum", NULL},
        {"chains", OPT_SIZE, &chains, "PCD persistent chains", NULL, NULL},
        {"mc-steps", OPT_SIZE, &mc_steps, "Gibbs steps per update (pcd, cd)", NULL, NULL},
        {"optimizer", OPT_CHOICE, &opt_s, "optimiser", "sgd|adam", NULL},
        {"lr", OPT_DOUBLE, &lr, "learning rate (t = lr x updates)", NULL, NULL},
        {"batch", OPT_SIZE, &batch, "minibatch size (0: full batch)", NULL, NULL},
        {"T", OPT_DOUBLE, &T, "training time: T / lr updates", NULL, &seen_T},
        {"epochs", OPT_SIZE, &epochs, "training length in epochs (instead of --T)", NULL, &seen_epochs},
        {"snapshots", OPT_SIZE, &nsnap, "snapshots after t = 0", NULL, NULL},
        {"spacing", OPT_CHOICE, &spacing, "snapshot spacing (as theory)", "log|linear", NULL},
        {"init-scale", OPT_DOUBLE, &init_scale, "w(0) = s0 z / sqrt(N)", NULL, NULL},
        {"seed", OPT_U64, &seed, "random seed", NULL, NULL},
        {"theory", OPT_STRING, &theory, "theory output DIR: report Q_theory", NULL, NULL},
        {"out", OPT_STRING, &out, "output directory", NULL, NULL},
    };
    size_t nspec = sizeof spec / sizeof spec[0];
    int help, st;
    st = opt_parse(argc, argv, spec, nspec, NULL, 0, NULL, &help, err);
    if (st)
        return st;
    if (help) {
        opt_usage(stdout, "symrbm sim --data ising|bump ... --hidden KIND --M M --out DIR",
                  "Train an RBM on B samples (SGD or ADAM; exact, PCD, CD or enumerated model "
                  "term);\nwrite trajectory.tsv, weights.tsv, summary.tsv (SPEC.md 5).",
                  spec, nspec);
        return SYM_OK;
    }

    /* ---- validate ---- */
    if (!out)
        return sym_error(err, SYM_EINVAL, "--out DIR is required");
    if (seen_T && seen_epochs)
        return sym_error(err, SYM_EINVAL, "give either --T or --epochs, not both");
    if (seen_T && !(T > 0))
        return sym_error(err, SYM_EINVAL, "--T %g: must be > 0", T);
    if (seen_epochs && epochs < 1)
        return sym_error(err, SYM_EINVAL, "--epochs 0: need at least one epoch");
    if (!(init_scale >= 0))
        return sym_error(err, SYM_EINVAL, "--init-scale %g: must be >= 0", init_scale);
    if (nsnap < 1)
        return sym_error(err, SYM_EINVAL, "--snapshots 0: need at least one snapshot");
    st = ring_kind_parse(data, &rp.kind, err);
    if (st)
        return st;
    train_config tc;
    memset(&tc, 0, sizeof tc);
    const unit_type *ut;
    if ((st = unit_type_parse(hidden, &ut, err)))
        return st;
    unit_params_default(&tc.unit, ut);
    tc.unit.gamma_p = gamma;
    tc.unit.theta_p = theta;
    tc.unit.gamma_m = unit_type_param(ut, "gamma-m") && seen_gm ? gamma_m : gamma;
    tc.unit.theta_m = unit_type_param(ut, "theta-m") && seen_tm ? theta_m : theta;
    if ((st = train_term_parse(term_s, &tc.term, err)) || (st = train_opt_parse(opt_s, &tc.opt, err)))
        return st;
    tc.M = M;
    tc.learn_fields = !strcmp(fields, "learn");
    tc.l2 = l2;
    tc.chains = chains;
    tc.mc_steps = mc_steps;
    tc.lr = lr;
    tc.batch = batch;

    tc.N = N;
    size_t K = 0;
    ring_model *model = NULL;
    int8_t *v = NULL, *vtest = NULL;
    double *w = NULL, *g = NULL, *tt = NULL, *SS = NULL;
    size_t *snap = NULL;
    train_ws *tw = NULL;
    obs_ws *obs = NULL;
    gsl_rng *rtrain = NULL;
    traj_header hdr;
    traj_header_init(&hdr);
    traj_file ftraj = {0}, fw = {0}, fsum = {0};
    int open_traj = 0, open_w = 0, open_sum = 0;
    double entropy = NAN;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    if (data_file) {
        size_t Nf;
        st = ring_samples_read(data_file, &Nf, &B, &v, err);
        if (st)
            goto fail;
        if (seen_N && Nf != N) {
            st = sym_error(err, SYM_EINVAL, "--N %zu but %s holds N = %zu", N, data_file, Nf);
            goto fail;
        }
        N = Nf;
        B_test = 0;
        if (N < 3) {
            st = sym_error(err, SYM_EINVAL, "%s: N = %zu, need N >= 3", data_file, N);
            goto fail;
        }
        tc.N = N;
        if ((st = sim_plan(&tc, B, seen_epochs, epochs, T, lr, &K, err)))
            goto fail;
    } else {
        rp.N = N;
        if (B < 1) {
            st = sym_error(err, SYM_EINVAL, "--B %zu: need at least one sample", B);
            goto fail;
        }
        if ((st = ring_alloc(&model, &rp, err)))
            goto fail;
        /* sizes and work are refused before any sample is drawn */
        if ((st = sim_plan(&tc, B, seen_epochs, epochs, T, lr, &K, err)) ||
            (B_test && (st = sym_alloc_check(B_test, N, 1, "B_test*N test samples", NULL, err))))
            goto fail;
        entropy = model->entropy;
        v = malloc(B * N);
        vtest = B_test ? malloc(B_test * N) : NULL;
        if (!v || (B_test && !vtest)) {
            st = sym_error(err, SYM_ENOMEM, "out of memory for %zu samples of N = %zu", B, N);
            goto fail;
        }
        gsl_rng *rd = rng_alloc(seed, RNG_STREAM_DATA);
        if (!rd) {
            st = sym_error(err, SYM_ENOMEM, "out of memory");
            goto fail;
        }
        st = ring_sample(model, rd, B, v, err);
        gsl_rng_free(rd);
        if (st)
            goto fail;
        if (B_test) {
            gsl_rng *rt = rng_alloc(seed, RNG_STREAM_TEST);
            if (!rt) {
                st = sym_error(err, SYM_ENOMEM, "out of memory");
                goto fail;
            }
            st = ring_sample(model, rt, B_test, vtest, err);
            gsl_rng_free(rt);
            if (st)
                goto fail;
        }
    }

    /* the training stream: minibatch order, chains, hidden and visible draws */
    rtrain = rng_alloc(seed, RNG_STREAM_TRAIN);
    w = malloc(M * N * sizeof *w);
    g = calloc(N, sizeof *g);
    snap = malloc((nsnap + 2) * sizeof *snap);
    tt = malloc((nsnap + 2) * sizeof *tt);
    SS = malloc((nsnap + 2) * sizeof *SS);
    obs = obs_alloc(N);
    if (!rtrain || !w || !g || !snap || !tt || !SS || !obs || rng_init_weights(seed, N, M, init_scale, w)) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto fail;
    }
    if ((st = train_alloc(&tw, &tc, v, B, rtrain, err)))
        goto fail;
    size_t ns = train_snapshots(K, lr, nsnap, !strcmp(spacing, "linear"), tt, snap);

    /* ---- files ---- */
    if ((st = traj_mkdir(out, err)))
        goto fail;
    {
        size_t len = 0;
        for (int a = 0; a < argc; a++)
            len += strlen(argv[a]) + 1;
        char *cmd = malloc(len + 8);
        if (!cmd) {
            st = sym_error(err, SYM_ENOMEM, "out of memory");
            goto fail;
        }
        strcpy(cmd, "symrbm");
        for (int a = 0; a < argc; a++) {
            strcat(cmd, " ");
            strcat(cmd, argv[a]);
        }
        st = traj_header_set(&hdr, "program", "symrbm sim");
        if (!st)
            st = traj_header_set(&hdr, "version", "%s", SYM_VERSION);
        if (!st)
            st = traj_header_set(&hdr, "command", "%s", cmd);
        free(cmd);
        if (!st)
            st = opt_header(&hdr, spec, nspec);
        if (!st)
            st = traj_header_set(&hdr, "N", "%zu", N);
        if (!st)
            st = traj_header_set(&hdr, "B", "%zu", B);
        if (!st)
            st = traj_header_set(&hdr, "updates", "%zu", K);
        if (!st)
            st = traj_header_set(&hdr, "clock", "t = lr x updates");
        if (st) {
            st = sym_error(err, SYM_ENOMEM, "out of memory");
            goto fail;
        }
    }
    if ((st = traj_open(&ftraj, out, "trajectory.tsv", &hdr, err)))
        goto fail;
    open_traj = 1;
    if ((st = traj_open(&fw, out, "weights.tsv", &hdr, err)))
        goto fail;
    open_w = 1;
    if (model) {
        ring_header_write(model, ftraj.fp);
        ring_header_write(model, fw.fp);
    }
    traj_obs_columns(ftraj.fp);
    traj_weights_columns(fw.fp, N);

    sim_ctx ctx = {N, M, K, lr, rp.kind, entropy, tw, v, B, obs, &ftraj, &fw, tt, SS, 0,
                   NAN, NAN, isatty(2)};
    st = train_run(tw, K, snap, ns, w, g, rtrain, snapshot, &ctx, err);
    if (ctx.progress)
        fprintf(stderr, "\n");
    if (st)
        goto fail;

    double ll_test = NAN, Qth = NAN;
    if (B_test && (st = train_loglik(tw, w, g, vtest, B_test, &ll_test, err)))
        goto fail;
    if (theory && (st = theory_overlap(theory, obs, w, N, &Qth, err)))
        goto fail;
    obs_values o;
    obs_compute(obs, rp.kind, w, &o);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);

    if ((st = traj_open(&fsum, out, "summary.tsv", &hdr, err)))
        goto fail;
    open_sum = 1;
    if (model)
        ring_header_write(model, fsum.fp);
    traj_summary_num(fsum.fp, "norm2", o.norm2);
    traj_summary_num(fsum.fp, "pr", o.pr);
    traj_summary_num(fsum.fp, "R", o.R);
    traj_summary_num(fsum.fp, "S", o.S);
    traj_summary_num(fsum.fp, "center", o.center);
    traj_summary_num(fsum.fp, "loglik", ctx.last_ll);
    traj_summary_num(fsum.fp, "kl", ctx.last_kl);
    traj_summary_num(fsum.fp, "t_sb", obs_t_sb(tt, SS, ctx.ns));
    traj_summary_num(fsum.fp, "wall_s", wall);
    traj_summary_num(fsum.fp, "loglik_test", ll_test);
    traj_summary_num(fsum.fp, "Q_theory", Qth);
    traj_summary_num(fsum.fp, "updates", (double)K);

    open_traj = 0;
    if ((st = traj_close(&ftraj, err)))
        goto fail;
    open_w = 0;
    if ((st = traj_close(&fw, err)))
        goto fail;
    open_sum = 0;
    if ((st = traj_close(&fsum, err)))
        goto fail;
    st = SYM_OK;
fail:
    if (open_traj)
        traj_abort(&ftraj);
    if (open_w)
        traj_abort(&fw);
    if (open_sum)
        traj_abort(&fsum);
    traj_header_free(&hdr);
    train_free(tw);
    obs_free(obs);
    if (rtrain)
        gsl_rng_free(rtrain);
    ring_free(model);
    free(v);
    free(vtest);
    free(w);
    free(g);
    free(snap);
    free(tt);
    free(SS);
    return st;
}
