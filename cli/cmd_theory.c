/* symrbm theory: the infinite-data gradient flow (SPEC.md 3, 5, 6). */
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
#include "core/snap.h"
#include "core/traj.h"
#include "theory/flow.h"

/* Final S above this is a localised (symmetry-broken) receptive field; a
 * uniform profile has S = R = 0 up to rounding (< 1e-6 in practice). */
#define THEORY_BROKEN_S 0.1

typedef struct {
    const char *data, *out, *fields, *method, *spacing, *weights;
    size_t N, snapshots;
    double beta, rho, eps, T, rtol, atol, init_scale, l2;
    uint64_t seed;
    int spectrum_only;
} theory_opts;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int write_spectrum(const ring_model *rm, double l2, const char *dir, const traj_header *h,
                          char *err)
{
    traj_file f;
    int st = traj_open(&f, dir, "spectrum.tsv", h, err);
    if (st)
        return st;
    fprintf(f.fp, "k\tlambda\trate\n");
    for (size_t k = 0; k < rm->p.N; k++) {
        fprintf(f.fp, "%zu\t", k);
        traj_put(f.fp, rm->lambda[k]);
        fputc('\t', f.fp);
        /* linear regime: m(w) ≈ w, so mode k grows at lambda_k - 1 - l2 */
        traj_put(f.fp, rm->lambda[k] - 1.0 - l2);
        fputc('\n', f.fp);
    }
    return traj_close(&f, err);
}

typedef struct {
    traj_file traj, wts;
    int open_traj, open_wts;
} outputs;

static void outputs_abort(outputs *o)
{
    if (o->open_traj)
        traj_abort(&o->traj);
    if (o->open_wts)
        traj_abort(&o->wts);
}

static int run(const theory_opts *o, const ring_model *rm, const traj_header *h, char *err)
{
    size_t N = o->N, S = o->snapshots;
    int learn = !strcmp(o->fields, "learn");
    double t0 = now();
    double *w = malloc(N * sizeof *w), *g = malloc(N * sizeof *g);
    double *ts = malloc((S + 1) * sizeof *ts), *Sv = malloc((S + 1) * sizeof *Sv);
    obs_ws *ow = obs_alloc(N);
    flow *f = NULL;
    outputs out = {0};
    int st = SYM_OK;
    obs_values ov = {0};
    double L = NAN, kl = NAN;
    if (!w || !g || !ts || !Sv || !ow) {
        st = sym_error(err, SYM_ENOMEM, "out of memory (N = %zu)", N);
        goto done;
    }
    if (rng_init_weights(o->seed, N, 1, o->init_scale, w)) {
        st = sym_error(err, SYM_ENOMEM, "out of memory drawing w(0)");
        goto done;
    }
    memset(g, 0, N * sizeof *g);
    flow_params fp = {rm, learn, o->l2, o->rtol, o->atol,
                      strcmp(o->method, "bdf") ? FLOW_ADAMS : FLOW_BDF, &flow_family_gaussian};
    st = flow_alloc(&f, &fp, w, NULL, err);
    if (st)
        goto done;
    snap_times(o->T, S, !strcmp(o->spacing, "linear"), ts);

    st = traj_open(&out.traj, o->out, "trajectory.tsv", h, err);
    if (st)
        goto done;
    out.open_traj = 1;
    traj_obs_columns(out.traj.fp);
    int all_w = !strcmp(o->weights, "all");
    if (strcmp(o->weights, "none")) {
        st = traj_open(&out.wts, o->out, "weights.tsv", h, err);
        if (st)
            goto done;
        out.open_wts = 1;
        traj_weights_columns(out.wts.fp, N);
    }
    int progress = isatty(2);
    for (size_t j = 0; j <= S; j++) {
        st = flow_advance(f, ts[j], err);
        if (st)
            goto done;
        flow_state(f, w, g);
        obs_compute(ow, rm->p.kind, w, &ov);
        st = flow_loglik(f, w, learn ? g : NULL, &L, err);
        if (st)
            goto done;
        kl = isfinite(rm->entropy) ? (-rm->entropy - L) / (double)N : NAN;
        Sv[j] = ov.S;
        traj_obs_row(out.traj.fp, ts[j], 0, L, kl, &ov);
        if (out.open_wts && (all_w || j == 0 || j == S))
            traj_weights_row(out.wts.fp, ts[j], 0, w, N);
        if (progress)
            fprintf(stderr, "\rtheory: t = %-10.4g of %g  R = %.4f  norm2 = %.5g   ", ts[j], o->T,
                    ov.R, ov.norm2);
    }
    if (progress)
        fputc('\n', stderr);
    st = traj_close(&out.traj, err);
    out.open_traj = 0;
    if (!st && out.open_wts) {
        st = traj_close(&out.wts, err);
        out.open_wts = 0;
    }
    if (st)
        goto done;

    traj_file sf;
    st = traj_open(&sf, o->out, "summary.tsv", h, err);
    if (st)
        goto done;
    traj_summary_num(sf.fp, "norm2", ov.norm2);
    traj_summary_num(sf.fp, "pr", ov.pr);
    traj_summary_num(sf.fp, "R", ov.R);
    traj_summary_num(sf.fp, "S", ov.S);
    traj_summary_num(sf.fp, "center", ov.center);
    traj_summary_num(sf.fp, "loglik", L);
    traj_summary_num(sf.fp, "kl", kl);
    /* t_sb is the time symmetry breaks: undefined when it does not */
    traj_summary_num(sf.fp, "t_sb", ov.S > THEORY_BROKEN_S ? obs_t_sb(ts, Sv, S + 1) : NAN);
    traj_summary_num(sf.fp, "wall_s", now() - t0);
    flow_counters fc;
    flow_stats(f, &fc);
    traj_summary_num(sf.fp, "n_rhs", (double)fc.rhs);
    traj_summary_num(sf.fp, "n_steps", (double)fc.steps);
    traj_summary_num(sf.fp, "n_newton", (double)fc.newton);
    traj_summary_num(sf.fp, "n_krylov", (double)fc.krylov);
    traj_summary_num(sf.fp, "n_jacobian", (double)fc.psetups);
    traj_summary_str(sf.fp, "phase", ov.S > THEORY_BROKEN_S ? "broken" : "symmetric");
    st = traj_close(&sf, err);
done:
    outputs_abort(&out);
    flow_free(f);
    obs_free(ow);
    free(w);
    free(g);
    free(ts);
    free(Sv);
    return st;
}

int cmd_theory(int argc, char **argv, char *err)
{
    theory_opts o = {.data = "ising", .out = NULL, .fields = "fixed", .method = "bdf",
                     .spacing = "log", .weights = "all", .N = 100, .snapshots = 200,
                     .beta = 1.0, .rho = 0.5, .eps = 0.1, .T = 40.0, .rtol = 1e-8,
                     .atol = 1e-10, .init_scale = 0.01, .l2 = 0.0, .seed = 1};
    const opt_spec spec[] = {
        {"data", OPT_CHOICE, &o.data, "data model", "ising|bump", NULL},
        {"N", OPT_SIZE, &o.N, "visible units on the ring (>= 3)", NULL, NULL},
        {"beta", OPT_DOUBLE, &o.beta, "ising coupling (>= 0)", NULL, NULL},
        {"rho", OPT_DOUBLE, &o.rho, "bump width fraction, L = round(rho N)", NULL, NULL},
        {"eps", OPT_DOUBLE, &o.eps, "bump flip noise in [0, 1/2]", NULL, NULL},
        {"T", OPT_DOUBLE, &o.T, "final learning time (> 0)", NULL, NULL},
        {"seed", OPT_U64, &o.seed, "seed of w(0) (same seed, same w(0) as sim)", NULL, NULL},
        {"init-scale", OPT_DOUBLE, &o.init_scale, "s0: w(0) = s0 z / sqrt(N)", NULL, NULL},
        {"fields", OPT_CHOICE, &o.fields, "visible fields g held at 0 or learned", "fixed|learn",
         NULL},
        {"l2", OPT_DOUBLE, &o.l2, "L2 penalty: dw/dt -= l2 w (>= 0)", NULL, NULL},
        {"rtol", OPT_DOUBLE, &o.rtol, "CVODE relative tolerance", NULL, NULL},
        {"atol", OPT_DOUBLE, &o.atol, "CVODE absolute tolerance", NULL, NULL},
        {"method", OPT_CHOICE, &o.method,
         "CVODE method: bdf (Newton-Krylov, analytic J v) or adams (fixed point)", "bdf|adams",
         NULL},
        {"snapshots", OPT_SIZE, &o.snapshots, "output times after t = 0 (>= 1)", NULL, NULL},
        {"spacing", OPT_CHOICE, &o.spacing, "snapshot spacing", "log|linear", NULL},
        {"weights", OPT_CHOICE, &o.weights,
         "weights.tsv rows: every snapshot, first and last, or no file", "all|final|none", NULL},
        {"spectrum", OPT_FLAG, &o.spectrum_only, "write spectrum.tsv only, no integration",
         NULL, NULL},
        {"out", OPT_STRING, &o.out, "output directory (required)", NULL, NULL},
    };
    size_t nspec = sizeof spec / sizeof spec[0];
    int help;
    int st = opt_parse(argc, argv, spec, nspec, NULL, 0, NULL, &help, err);
    if (st)
        return st;
    if (help) {
        opt_usage(stdout, "symrbm theory [options] --out DIR",
                  "Integrates the deterministic gradient flow of one gaussian hidden unit in the\n"
                  "infinite-data limit (SPEC.md 3) and writes trajectory.tsv, weights.tsv,\n"
                  "summary.tsv and spectrum.tsv into DIR.",
                  spec, nspec);
        return SYM_OK;
    }
    if (!o.out)
        return sym_error(err, SYM_EINVAL, "--out DIR is required");
    if (!(o.T > 0))
        return sym_error(err, SYM_EINVAL, "--T %g: need T > 0", o.T);
    if (o.snapshots < 1)
        return sym_error(err, SYM_EINVAL, "--snapshots 0: need at least 1");
    if (!(o.init_scale > 0))
        return sym_error(err, SYM_EINVAL, "--init-scale %g: need s0 > 0", o.init_scale);
    if (!(o.rtol > 0 && o.rtol < 1) || !(o.atol > 0))
        return sym_error(err, SYM_EINVAL, "--rtol %g --atol %g: need 0 < rtol < 1, atol > 0",
                         o.rtol, o.atol);
    if (!(o.l2 >= 0))
        return sym_error(err, SYM_EINVAL, "--l2 %g: need l2 >= 0", o.l2);

    ring_params rp;
    ring_params_default(&rp);
    st = ring_kind_parse(o.data, &rp.kind, err);
    if (st)
        return st;
    rp.N = o.N;
    rp.beta = o.beta;
    rp.rho = o.rho;
    rp.eps = o.eps;
    ring_model *rm = NULL;
    st = ring_alloc(&rm, &rp, err);
    if (st)
        return st;

    traj_header h;
    traj_header_init(&h);
    st = traj_header_set(&h, "program", "symrbm");
    if (!st)
        st = traj_header_set(&h, "version", "%s", SYM_VERSION);
    if (!st)
        st = traj_header_set(&h, "command", "theory");
    if (!st)
        st = traj_header_set(&h, "hidden", "gaussian");
    if (!st)
        st = traj_header_set(&h, "M", "1");
    if (!st)
        st = opt_header(&h, spec, nspec);
    if (!st)
        st = traj_header_set(&h, "entropy", "%.17g", rm->entropy);
    if (!st)
        st = traj_mkdir(o.out, err);
    if (!st)
        st = write_spectrum(rm, o.l2, o.out, &h, err);
    if (!st && !o.spectrum_only)
        st = run(&o, rm, &h, err);
    traj_header_free(&h);
    ring_free(rm);
    return st;
}
