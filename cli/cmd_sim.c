/* cmd_sim: `symrbm sim`, stochastic RBM training on B samples (SPEC.md 1, 4,
 * 5, 6): parse, draw the samples (sim_draw) or read --data-file, call sim_run
 * (sim/run.h), report. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/opt_train.h"
#include "cli/opts.h"
#include "compare/cmp_potts.h"
#include "compare/ref.h"
#include "core/err.h"
#include "core/samples.h"
#include "sim/run.h"
#include "sim/potts_run.h"

static const char synopsis[] = "symrbm sim --data MODEL ... --hidden KIND --M M --out DIR";
static const char about[] =
    "Train an RBM on B samples (SGD or ADAM; exact, PCD, CD or enumerated model term);\n"
    "write trajectory.tsv, weights.tsv, summary.tsv (SPEC.md 5).";

/* Potts visible units (data xy): sim/potts_run.h. */
static int sim_potts_cmd(sim_config *c, const char *hfields, const opt_common *oc, size_t B,
                         size_t B_test, const char *theory, int argc, char **argv,
                         const opt_spec *spec, size_t n, char *err)
{
    ring_model *m = NULL;
    int8_t *v = NULL, *vt = NULL;
    traj_header h;
    traj_header_init(&h);
    int st = ring_alloc(&m, &oc->rp, err);
    st = st ? st : sim_potts_draw(m, c->seed, B, B_test, &v, &vt, err);
    double *u = NULL;   /* --theory: the theory's profiles at t = lr K */
    size_t K = 0;
    if (!st && theory) {
        size_t L = c->train.M * m->N * m->P;
        if (!(u = malloc(L * sizeof *u)))
            st = sym_error(err, SYM_ENOMEM, "out of memory");
        st = st ? st : sim_potts_updates(c, B, &K, err);
        st = st ? st : cmpp_ref_load(theory, m->N, m->P, c->train.M, c->train.lr * (double)K, u, err);
        if (st)
            st = sym_context(err, st, "--theory");
        c->theory_w = u;
    }
    if (!st && opt_run_header(&h, "sim", argc, argv, spec, n))
        st = sym_error(err, SYM_ENOMEM, "out of memory");
    st = st ? st : sim_potts_run(c, strcmp(hfields, "fixed") != 0, m, v, B, vt, B_test, &h,
                                 oc->out, NULL, err);
    traj_header_free(&h);
    ring_free(m);
    free(v);
    free(vt);
    free(u);
    return st;
}

int cmd_sim(int argc, char **argv, char *err)
{
    sim_config c;
    sim_config_default(&c);
    c.ckpt_seconds = SIM_CKPT_SECONDS_DEFAULT;   /* the library default is none */
    opt_common oc;
    opt_common_init(&oc);
    const char *data_file = NULL;
    opt_train ot;
    opt_train_init(&ot, "gaussian");
    const char *opt = "sgd", *theory = NULL, *spacing = "log", *sampling = "epoch";
    const char *gibbs = "float", *estimate = "v-mean", *loglik = "all", *weights = "all";
    const char *hfields = "auto";
    size_t B = 10000, B_test = 1000;
    int seen_e = 0, seen_ck = 0;
    const unit_type *ut;
    unsigned which = OPTC_DATA | OPTC_T | OPTC_SEED | OPTC_INIT | OPTC_SNAP | OPTC_OUT;
    opt_spec spec[OPTC_MAX + 30];
    size_t n = opt_common_spec(&oc, which, spec);
    train_config *t = &c.train;
    t->threads = 1;
    const opt_spec pre[] = {
        {"B", OPT_SIZE, &B, "training samples drawn from the model", NULL, NULL},
        {"B-test", OPT_SIZE, &B_test, "held-out samples for loglik_test (0: none)", NULL, NULL},
        {"data-file", OPT_STRING, &data_file, "train on the samples in this file instead", NULL,
         NULL},
    };
    for (size_t k = 0; k < sizeof pre / sizeof pre[0]; k++)
        spec[n++] = pre[k];
    n += opt_train_spec(&ot, t, spec + n);
    const opt_spec more[] = {
        {"optimizer", OPT_CHOICE, &opt, "optimiser", "sgd|adam", NULL},
        {"lr", OPT_DOUBLE, &t->lr, "learning rate (t = lr x updates)", NULL, NULL},
        {"batch", OPT_SIZE, &t->batch, "minibatch size (0: full batch)", NULL, NULL},
        {"epochs", OPT_SIZE, &c.epochs, "training length in epochs (instead of --T)", NULL,
         &seen_e},
        {"spacing", OPT_CHOICE, &spacing, "snapshot spacing (as theory)", "log|linear", NULL},
        {"theory", OPT_STRING, &theory, "theory output DIR: report Q_theory", NULL, NULL},
        {"sampling", OPT_CHOICE, &sampling,
         "minibatch source: per-epoch reshuffle, iid with replacement, or fresh samples of the "
         "data model at every update (B then sets the epoch length and the loglik set)",
         "epoch|replace|online", NULL},
        {"gibbs", OPT_CHOICE, &gibbs,
         "PCD Gibbs kernel: float (vector half-steps) or bits (binary hidden units, M <= 8: "
         "packed chains, precomputed thresholds; another random stream) or lanes (bits, M <= 4, "
         "8 chains at once, one random stream each: faster, other numbers)", "float|bits|lanes", NULL},
        {"pcd-estimate", OPT_CHOICE, &estimate,
         "model-term estimate of the chains: E[v|h] h (v-mean) or v E[h|v] (h-mean, PGM's: "
         "keeps the chains' noise)", "v-mean|h-mean", NULL},
        {"loglik-rows", OPT_CHOICE, &loglik,
         "log-likelihood (over all B samples) at every snapshot, or only at the end (nan in "
         "the other rows)", "all|final", NULL},
        {"weights-rows", OPT_CHOICE, &weights, "weights.tsv rows at every snapshot, or the last only",
         "all|final", NULL},
        {"checkpoint-every", OPT_SIZE, &c.ckpt_every,
         "write OUT/checkpoint.bin every K updates, 0: never (not given: automatic, see "
         "--checkpoint-seconds); removed when the run ends", NULL, &seen_ck},
        {"checkpoint-seconds", OPT_DOUBLE, &c.ckpt_seconds,
         "automatic checkpoints at least this far apart, and 100x their own cost", NULL, NULL},
        {"resume", OPT_FLAG, &c.resume,
         "continue from OUT/checkpoint.bin if there (same parameters; else start afresh)", NULL,
         NULL},
        {"threads", OPT_SIZE, &t->threads,
         "threads of this run (1: one; the numbers do not depend on it): the data term, and "
         "the PCD model term with --gibbs float, binary hidden units and v-mean", NULL, NULL},
        {"hidden-fields", OPT_CHOICE, &hfields,
         "hidden fields theta_mu: auto (learned for Potts visible units, SPEC 9; fixed at "
         "--theta for +-1), learn (Potts only) or fixed", "auto|learn|fixed", NULL},
    };
    for (size_t k = 0; k < sizeof more / sizeof more[0]; k++)
        spec[n++] = more[k];
    int done, st = opt_parse_or_help(argc, argv, spec, n, synopsis, about, NULL, 0, NULL, &done,
                                     err);
    if (st || done)
        return st;
    if (oc.seen_T && seen_e)
        return sym_error(err, SYM_EINVAL, "give either --T or --epochs, not both");
    if (seen_e && c.epochs < 1)
        return sym_error(err, SYM_EINVAL, "--epochs 0: need at least one epoch");
    if ((st = opt_common_finish(&oc, which & ~(unsigned)(data_file ? OPTC_DATA : 0), err)) ||
        (data_file && (st = ring_type_find(oc.data, &oc.rp.type, err))) ||
        (st = opt_train_finish(&ot, t, &ut, err)) || (st = train_opt_parse(opt, &t->opt, err)) ||
        (st = train_sampling_parse(sampling, &t->sampling, err)) ||
        (st = train_gibbs_parse(gibbs, &t->gibbs, err)) ||
        (st = train_estimate_parse(estimate, &t->estimate, err)))
        return st;
    c.loglik_final = !strcmp(loglik, "final");
    c.weights_final = !strcmp(weights, "final");
    if (seen_ck)
        c.ckpt_seconds = 0;   /* a fixed interval (or none) instead */
    if (!(c.ckpt_seconds >= 0) || !isfinite(c.ckpt_seconds))
        return sym_error(err, SYM_EINVAL, "--checkpoint-seconds %g: need >= 0", c.ckpt_seconds);
    if (t->sampling == TRAIN_ONLINE && data_file)
        return sym_error(err, SYM_EINVAL, "--sampling online draws fresh samples from the data "
                         "model: not with --data-file");
    c.T = oc.T;
    c.seed = oc.seed;
    c.init_scale = oc.init_scale;
    c.snapshots = oc.snapshots;
    c.linear = !strcmp(spacing, "linear");
    c.progress = isatty(2);

    if (t->threads < 1)
        return sym_error(err, SYM_EINVAL, "--threads 0: need at least one");
    if (t->threads > 1 && !data_file && oc.rp.type->potts)
        return sym_error(err, SYM_EINVAL, "--threads %zu: +-1 visible units only (not data %s)",
                         t->threads, oc.rp.type->name);
    if (!data_file && oc.rp.type->potts)
        return sim_potts_cmd(&c, hfields, &oc, B, B_test, theory, argc, argv, spec, n, err);
    if (!strcmp(hfields, "learn"))
        return sym_error(err, SYM_EINVAL, "--hidden-fields learn: Potts visible units (data xy) "
                         "only; +-1 runs hold theta at --theta");

    ring_model *m = NULL;
    int8_t *v = NULL, *vt = NULL;
    size_t N = oc.rp.N, K;
    double *u = NULL;
    traj_header h;
    traj_header_init(&h);
    if (data_file) {
        B_test = 0;
        if (!(st = samples_read(data_file, &N, &B, &v, err)) && oc.seen_N && N != oc.rp.N)
            st = sym_error(err, SYM_EINVAL, "--N %zu but %s holds N = %zu", oc.rp.N, data_file, N);
    } else if (!(st = sim_plan(&c, N, B, &K, err)) && !(st = ring_alloc(&m, &oc.rp, err))) {
        st = sim_draw(m, c.seed, B, B_test, &v, &vt, err);   /* checked before drawing */
    }
    if (!st && theory) {
        if (!(u = malloc(N * sizeof *u)))
            st = sym_error(err, SYM_ENOMEM, "out of memory");
        st = st ? st : sim_plan(&c, N, B, &K, err);
        st = st ? st : ref_load(theory, N, c.train.lr * (double)K, u, err);
        if (st)
            st = sym_context(err, st, "--theory");
        c.theory_w = u;
    }
    if (!st && opt_run_header(&h, "sim", argc, argv, spec, n))
        st = sym_error(err, SYM_ENOMEM, "out of memory");
    st = st ? st : sim_run(&c, oc.rp.type, m, v, N, B, vt, B_test, &h, oc.out, NULL, err);
    traj_header_free(&h);
    ring_free(m);
    free(v);
    free(vt);
    free(u);
    return st;
}
