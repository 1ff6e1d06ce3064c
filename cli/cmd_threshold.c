/* cmd_threshold: `symrbm threshold`, the critical-sample-size sweep and the
 * beta scan (SPEC.md 7, 10): parse, call threshold_run
 * (compare/threshold.h), which runs its tasks in-process in worker
 * processes, one task (--task), over MPI (--mpi) or lists them
 * (--list-tasks; core/task.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/opts.h"
#include "compare/threshold.h"
#include "core/err.h"
#include "core/unit.h"
#include "theory/run.h"

static const char synopsis[] =
    "symrbm threshold --data MODEL --N N ... [--hidden gaussian|spin] --Bmin --Bmax --points "
    "--seeds --out DIR\n"
    "       symrbm threshold --data xy --P P --beta X --N N --hidden none --Bmin --Bmax ... --out DIR\n"
    "       symrbm threshold --data xy --P P --beta X --N N --hidden spin --T T --lr LR ... --out DIR\n"
    "       symrbm threshold --data xy ... --hidden spin --epochs E --batch b --lr LR ... --out DIR\n"
    "       symrbm threshold --scan beta --beta-min X --beta-max Y --points K --B B ... --out DIR";
static const char about[] =
    "Critical sample size sweep (SPEC.md 7): linear-regime overlap, trained Q and S\n"
    "against B, measured B_c with bootstrap intervals, BBP, random-matrix and the paper's\n"
    "eq. 27 predictions, W = |sum w| and the train - test log-likelihood gap; or\n"
    "(--scan beta) Q, S, W against beta on a linear grid at fixed B; or (--hidden none,\n"
    "Potts data: xy) no training, the top eigenvector of the centred one-hot C^ against B:\n"
    "measured angular and spatial B_c beside their random-matrix predictions; or (xy with\n"
    "--hidden spin|gaussian) one trained Potts unit per task: angular (ang_frac, S_ang) and\n"
    "spatial (R) thresholds of its final field beside the same predictions.\n"
    "Resumable: a rerun on the same --out only runs the tasks that have no result.\n"
    "Batch schedulers: --list-tasks, then --task ID per task (any number at once), then\n"
    "a run without either writes the summary; MPI: mpirun -np K symrbm threshold ... --mpi\n"
    "(the MPI build, make mpi; docs/batch.md).";

int cmd_threshold(int argc, char **argv, char *err)
{
    threshold_config c;
    threshold_config_default(&c);
    opt_common oc;
    opt_common_init(&oc);
    oc.rp = c.data;
    oc.data = c.data.type->name;
    oc.snapshots = c.snapshots;
    unsigned which = OPTC_DATA | OPTC_T | OPTC_SEED | OPTC_INIT | OPTC_SNAP | OPTC_OUT;
    const char *hidden = c.hidden->name, *scan = "B";
    int seen_e = 0;
    /* the theory families and "none" (the data-only sweep of Potts data) */
    char hidden_choices[256];
    snprintf(hidden_choices, sizeof hidden_choices, "%s|none", theory_family_names());
    opt_spec spec[OPTC_MAX + 20];
    size_t n = opt_common_spec(&oc, which, spec);
    const opt_spec more[] = {
        {"Bmin", OPT_DOUBLE, &c.Bmin, "smallest sample size of the log grid", NULL, NULL},
        {"Bmax", OPT_DOUBLE, &c.Bmax, "largest sample size of the log grid", NULL, NULL},
        {"points", OPT_SIZE, &c.points, "grid points (log-spaced, rounded, distinct)", NULL, NULL},
        {"seeds", OPT_SIZE, &c.seeds, "independent data sets per B", NULL, NULL},
        {"lr", OPT_DOUBLE, &c.lr, "SGD step (full batch; T / lr updates)", NULL, NULL},
        {"boot", OPT_SIZE, &c.boot, "bootstrap resamples", NULL, NULL},
        {"jobs", OPT_SIZE, &c.jobs, "worker processes (default: cores online)", NULL, NULL},
        {"keep-sim", OPT_FLAG, &c.keep_sim,
         "keep each task's sim output (large) and C^'s top eigenvector (evec_i in result.tsv)",
         NULL, NULL},
        {"hidden", OPT_CHOICE, &hidden, "hidden unit (its exact theory is the reference; none: "
         "data-only sweep of Potts data)", hidden_choices, NULL},
        {"B-test", OPT_SIZE, &c.B_test, "held-out samples per task (test log-likelihood)", NULL,
         NULL},
        {"scan", OPT_CHOICE, &scan, "grid over B (log) or over beta (linear, at --B)",
         threshold_scan_names(), NULL},
        {"beta-min", OPT_DOUBLE, &c.beta_min, "smallest beta of the beta scan", NULL, NULL},
        {"beta-max", OPT_DOUBLE, &c.beta_max, "largest beta of the beta scan", NULL, NULL},
        {"B", OPT_SIZE, &c.B, "sample size of the beta scan", NULL, NULL},
        {"batch", OPT_SIZE, &c.batch, "xy trained sweep: minibatch size, per-epoch reshuffle "
         "(0: full batch)", NULL, NULL},
        {"epochs", OPT_SIZE, &c.epochs, "xy trained sweep: training length in epochs (instead "
         "of --T; the paper's Fig. 11: --epochs 20 --batch 100 --lr 0.1)", NULL, &seen_e},
    };
    for (size_t k = 0; k < sizeof more / sizeof more[0]; k++)
        spec[n++] = more[k];
    size_t nhead = n;
    n += opt_task_spec(&c.sel, spec + n);
    int done, st = opt_parse_or_help(argc, argv, spec, n, synopsis, about, NULL, 0, NULL, &done,
                                     err);
    if (!st && !done && oc.seen_T && seen_e)
        st = sym_error(err, SYM_EINVAL, "give either --T or --epochs, not both");
    if (!st && !done && seen_e && c.epochs < 1)
        st = sym_error(err, SYM_EINVAL, "--epochs 0: need at least one epoch");
    if (st || done || (st = opt_common_finish(&oc, which, err)) ||
        (!(c.data_only = !strcmp(hidden, "none")) && (st = unit_type_parse(hidden, &c.hidden, err))) ||
        (st = threshold_scan_parse(scan, &c.scan, err)) || (st = opt_task_begin(&c.sel, err)))
        return st;
    c.data = oc.rp;
    c.T = oc.T;
    c.seed = oc.seed;
    c.init_scale = oc.init_scale;
    c.snapshots = oc.snapshots;
    c.progress = isatty(2);
    traj_header h;
    traj_header_init(&h);
    /* by epochs there is no fixed learning time: the header says so as the
     * task keys do (compare/threshold.c), not the --T default */
    st = opt_run_header(&h, "threshold", argc, argv, spec, nhead) ||
                 (seen_e && traj_header_set(&h, "T", c.batch ? "epochs minibatch" : "epochs"))
             ? sym_error(err, SYM_ENOMEM, "out of memory")
             : threshold_run(&c, &h, oc.out, err);
    traj_header_free(&h);
    return opt_task_end(&c.sel, "threshold", st, err);
}
