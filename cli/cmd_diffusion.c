/* cmd_diffusion: `symrbm diffusion`, the random walk of the receptive
 * fields after they formed and its diffusion constant (SPEC.md 8, 10):
 * parse, call diffusion_run (compare/diffusion.h), which runs one task per
 * seed in-process in worker processes; warn when the snapshots were too
 * sparse to unwrap the centres safely. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/opt_train.h"
#include "cli/opts.h"
#include "compare/diffusion.h"
#include "core/err.h"
#include "core/sys.h"

static const char synopsis[] =
    "symrbm diffusion --data ising --N 100 --beta 1 --hidden spin --M 1 --model-term exact|pcd\n"
    "       --sampling online|epoch|replace --lr 0.05 --batch 10 --T 4000 | --epochs E --seeds 8 --out DIR";
static const char about[] =
    "Symmetry restoration (SPEC.md 8): per seed a sim run with linear snapshots, the unwrapped\n"
    "centres X, their time- and seed-averaged MSD after formation, D from MSD = a + 2 D tau with\n"
    "a bootstrap over seeds, per unit t and per epoch, circular variance and KS distance of\n"
    "X mod N, for M >= 2 the step covariance and the sorted gaps.  --snapshots 0 chooses the\n"
    "count from T, lr and batch.  Resumable: a rerun only runs the seeds without a result;\n"
    "--list-tasks / --task ID / --mpi spread the seeds (core/task.h).  D_pred, D_pcd, D_total:\n"
    "the prediction of theory/restore.h (M = 1, spin or gaussian, SGD), computed once.\n"
    "sim's log-likelihood is computed at the final snapshot only.  --pinning (M = 1, exact,\n"
    "--sampling replace): every seed trains on the one set sim --seed S --B B draws; the pooled\n"
    "centres after formation against P(X) of its landscape (SPEC.md 8), hops between wells.";

int cmd_diffusion(int argc, char **argv, char *err)
{
    diffusion_config c;
    diffusion_config_default(&c);
    opt_common oc;
    opt_common_init(&oc);
    oc.rp = c.data;
    oc.data = c.data.type->name;
    oc.T = c.sim.T;
    oc.snapshots = 0;
    train_config *t = &c.sim.train;
    opt_train ot;
    opt_train_init(&ot, "spin");
    const char *opt = "sgd", *sampling = "online", *gibbs = "float", *estimate = "v-mean";
    int seen_e = 0;
    unsigned which = OPTC_DATA | OPTC_T | OPTC_SEED | OPTC_INIT | OPTC_SNAP | OPTC_OUT;
    opt_spec spec[OPTC_MAX + 27 + OPT_TASK_N];
    size_t n = opt_common_spec(&oc, which, spec);
    /* sim's options (cli/cmd_sim.c), as there */
    n += opt_train_spec(&ot, t, spec + n);
    const opt_spec more[] = {
        {"gibbs", OPT_CHOICE, &gibbs, "PCD Gibbs kernel (as sim)", "float|bits|lanes", NULL},
        {"pcd-estimate", OPT_CHOICE, &estimate, "chains' model-term estimate (as sim; h-mean: "
         "PGM's, keeps the chain noise)", "v-mean|h-mean", NULL},
        {"optimizer", OPT_CHOICE, &opt, "optimiser", "sgd|adam", NULL},
        {"lr", OPT_DOUBLE, &t->lr, "learning rate (t = lr x updates)", NULL, NULL},
        {"batch", OPT_SIZE, &t->batch, "minibatch size (0: full batch)", NULL, NULL},
        {"epochs", OPT_SIZE, &c.sim.epochs, "run length in epochs of B (instead of --T)", NULL,
         &seen_e},
        {"B", OPT_SIZE, &c.B, "training samples (online: the epoch of the per-epoch D)", NULL,
         NULL},
        {"sampling", OPT_CHOICE, &sampling, "minibatch noise (SPEC.md 8)",
         "epoch|replace|online", NULL},
        {"seeds", OPT_SIZE, &c.seeds, "independent runs", NULL, NULL},
        {"boot", OPT_SIZE, &c.boot, "bootstrap resamples over seeds", NULL, NULL},
        {"form-frac", OPT_DOUBLE, &c.form_frac, "formed: S >= this x its plateau", NULL, NULL},
        {"fit-frac", OPT_DOUBLE, &c.fit_frac, "pooled fit over lags <= this x the window", NULL,
         NULL},
        {"jobs", OPT_SIZE, &c.jobs, "worker processes (default: cores online)", NULL, NULL},
        {"pinning", OPT_FLAG, &c.pin_data, "every seed on the one training set of --seed; "
         "pinning.tsv, wells.tsv: centres against P(X) (compare/pinning.h)", NULL, NULL},
        {"pin-points", OPT_SIZE, &c.pin_points, "pinning: landscape points over the ring "
         "(0: 8 N)", NULL, NULL},
        {"pin-bins", OPT_SIZE, &c.pin_bins, "pinning: histogram bins (0: N)", NULL, NULL},
    };
    for (size_t k = 0; k < sizeof more / sizeof more[0]; k++)
        spec[n++] = more[k];
    size_t nhead = n;   /* the task options say how the sweep runs: not in the header */
    n += opt_task_spec(&c.sel, spec + n);
    int done, st = opt_parse_or_help(argc, argv, spec, n, synopsis, about, NULL, 0, NULL, &done,
                                     err);
    if (st || done)
        return st;
    if (oc.seen_T && seen_e)
        return sym_error(err, SYM_EINVAL, "give either --T or --epochs, not both");
    if (seen_e && c.sim.epochs < 1)
        return sym_error(err, SYM_EINVAL, "--epochs 0: need at least one epoch");
    const unit_type *ut;
    if ((st = opt_common_finish(&oc, which, err)) || (st = opt_train_finish(&ot, t, &ut, err)) ||
        (st = train_opt_parse(opt, &t->opt, err)) ||
        (st = train_sampling_parse(sampling, &t->sampling, err)) ||
        (st = train_gibbs_parse(gibbs, &t->gibbs, err)) ||
        (st = train_estimate_parse(estimate, &t->estimate, err)) ||
        (st = opt_task_begin(&c.sel, err)))
        return st;
    c.data = oc.rp;
    c.sim.T = oc.T;
    c.sim.init_scale = oc.init_scale;
    c.seed = oc.seed;
    c.snapshots = oc.snapshots;
    c.progress = isatty(2);
    traj_header h;
    traj_header_init(&h);
    st = opt_run_header(&h, "diffusion", argc, argv, spec, nhead)
             ? sym_error(err, SYM_ENOMEM, "out of memory")
             : diffusion_run(&c, &h, oc.out, err);
    traj_header_free(&h);
    char path[SYS_PATH], e2[SYM_ERRLEN];
    traj_header kv;
    double sparse = 0, smax = 0;
    if (!st && !c.sel.list && !c.sel.task && !sys_path(path, sizeof path, oc.out, "summary.tsv", e2) &&
        !traj_read_summary(path, &kv, e2)) {
        if (!traj_summary_get_finite(&kv, "sparse", path, &sparse, e2) && sparse > 0 &&
            !traj_summary_get_finite(&kv, "step_max", path, &smax, e2))
            fprintf(stderr, "symrbm diffusion: warning: a centre moved %g sites between two "
                    "snapshots (> N/%g): raise --snapshots\n", smax, DIFFUSION_SPARSE_FRAC);
        traj_header_free(&kv);
    }
    return opt_task_end(&c.sel, "diffusion", st, err);
}
