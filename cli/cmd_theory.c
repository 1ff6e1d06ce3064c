/* cmd_theory: `symrbm theory`, the infinite-data gradient flow (SPEC.md 3, 5,
 * 6): parse, call theory_run (theory/run.h), report. */
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/opts.h"
#include "core/err.h"
#include "core/ring.h"
#include "core/run.h"
#include "sim/train.h"
#include "theory/run.h"

static const char synopsis[] = "symrbm theory [options] --out DIR";
static const char about[] =
    "Integrates the deterministic gradient flow of the RBM weights in the infinite-data\n"
    "limit (SPEC.md 3: one gaussian hidden unit, or M binary +-1 units) and writes\n"
    "trajectory.tsv, weights.tsv, summary.tsv and spectrum.tsv into DIR.  With\n"
    "--restore, --attractor or --landscape B (one unit), also the symmetry-restoration\n"
    "predictions of SPEC.md 8 at the final profile: the diffusion constant D_pred of\n"
    "its centre for SGD step --lr and minibatch --batch, the Peierls-Nabarro spread,\n"
    "the translation eigenvalue, and the pinning landscape of a finite training set.\n"
    "With --data xy (Potts visible units, SPEC.md 9) the Potts flow: gaussian M = 1 or\n"
    "spin M >= 1, learned hidden fields, weights in the zero-sum gauge (docs/files.md).";

int cmd_theory(int argc, char **argv, char *err)
{
    theory_config c;
    theory_config_default(&c);
    opt_common oc;
    opt_common_init(&oc);
    const char *fields = "fixed", *method = "bdf", *spacing = "log", *weights = "all";
    const char *hidden = "gaussian", *equation = "exact";
    unsigned which = OPTC_DATA | OPTC_T | OPTC_SEED | OPTC_INIT | OPTC_SNAP | OPTC_OUT;
    const char *term = "exact", *estimate = "v-mean";
    opt_spec spec[OPTC_MAX + 32];
    size_t n = opt_common_spec(&oc, which, spec);
    spec[n++] = (opt_spec){"hidden", OPT_CHOICE, &hidden,
                           "hidden units: one gaussian (SPEC 3a) or M binary +-1 (3b)",
                           theory_family_names(), NULL};
    spec[n++] = (opt_spec){"M", OPT_SIZE, &c.M, "hidden units (gaussian: 1)", NULL, NULL};
    spec[n++] = (opt_spec){"equation", OPT_CHOICE, &equation,
                           "the exact flow, or the small-beta lattice equation 37 (SPEC 3c; "
                           "u = w/sqrt(beta), T in tau = beta t)", "exact|small-beta", NULL};
    spec[n++] = (opt_spec){"fields", OPT_CHOICE, &fields, "visible fields g held at 0 or learned",
                           "fixed|learn", NULL};
    spec[n++] = (opt_spec){"l2", OPT_DOUBLE, &c.l2, "L2 penalty: dw/dt -= l2 w (>= 0)", NULL,
                           NULL};
    spec[n++] = (opt_spec){"rtol", OPT_DOUBLE, &c.rtol, "CVODE relative tolerance", NULL, NULL};
    spec[n++] = (opt_spec){"atol", OPT_DOUBLE, &c.atol, "CVODE absolute tolerance", NULL, NULL};
    spec[n++] = (opt_spec){"method", OPT_CHOICE, &method,
                           "CVODE method: bdf (Newton-Krylov, analytic J v) or adams (fixed point)",
                           "bdf|adams", NULL};
    spec[n++] = (opt_spec){"spacing", OPT_CHOICE, &spacing, "snapshot spacing", "log|linear",
                           NULL};
    spec[n++] = (opt_spec){"threads", OPT_SIZE, &c.threads,
                           "threads of the gaussian model term's site loops from N = 4096 on "
                           "(1: one; the numbers do not depend on it)", NULL, NULL};
    spec[n++] = (opt_spec){"weights", OPT_CHOICE, &weights,
                           "weights.tsv rows: every snapshot, first and last, or no file",
                           "all|final|none", NULL};
    spec[n++] = (opt_spec){"spectrum", OPT_FLAG, &c.spectrum_only,
                           "write spectrum.tsv only, no integration", NULL, NULL};
    /* symmetry restoration (SPEC.md 8, theory/restore.h), M = 1 */
    spec[n++] = (opt_spec){"restore", OPT_FLAG, &c.restore,
                           "D_pred (SPEC 8) and the attractor's numbers at the final profile into "
                           "summary.tsv", NULL, NULL};
    spec[n++] = (opt_spec){"attractor", OPT_FLAG, &c.attractor,
                           "attractor.tsv: log-likelihood per site of the final profile "
                           "translated by X in [0, 1) (implies --restore)", NULL, NULL};
    spec[n++] = (opt_spec){"attractor-points", OPT_SIZE, &c.rc.attractor_points,
                           "fractional shifts for --attractor", NULL, NULL};
    spec[n++] = (opt_spec){"landscape", OPT_SIZE, &c.landscape_B,
                           "B: landscape.tsv, L_B(X) and P(X) of the training set of B samples "
                           "that sim --seed draws (implies --restore)", NULL, NULL};
    spec[n++] = (opt_spec){"landscape-points", OPT_SIZE, &c.landscape_points,
                           "X points over the ring for --landscape", NULL, NULL};
    spec[n++] = (opt_spec){"lr", OPT_DOUBLE, &c.rc.lr, "SGD step nu of the predicted walk", NULL,
                           NULL};
    spec[n++] = (opt_spec){"batch", OPT_SIZE, &c.rc.batch, "minibatch b of the predicted walk",
                           NULL, NULL};
    spec[n++] = (opt_spec){"B", OPT_SIZE, &c.rc.B,
                           "training samples per epoch for the per-epoch D", NULL, NULL};
    spec[n++] = (opt_spec){"model-term", OPT_CHOICE, &term,
                           "model term of the predicted walk (pcd adds its chain noise)",
                           "exact|pcd", NULL};
    spec[n++] = (opt_spec){"chains", OPT_SIZE, &c.rc.chains, "PCD persistent chains", NULL,
                           NULL};
    spec[n++] = (opt_spec){"mc-steps", OPT_SIZE, &c.rc.mc_steps, "PCD Gibbs steps per update",
                           NULL, NULL};
    spec[n++] = (opt_spec){"pcd-updates", OPT_SIZE, &c.rc.pcd_updates,
                           "updates measured on the PCD chains at fixed w (tau_int)", NULL, NULL};
    spec[n++] = (opt_spec){"pcd-estimate", OPT_CHOICE, &estimate,
                           "PCD model-term estimate: h E[v|h] (sim's) or v E[h|v] (PGM's)",
                           "v-mean|h-mean", NULL};
    spec[n++] = (opt_spec){"nsample", OPT_SIZE, &c.rc.nsample,
                           "exact samples for the gaussian unit's e^T Sigma e", NULL, NULL};
    int done, st = opt_parse_or_help(argc, argv, spec, n, synopsis, about, NULL, 0, NULL, &done,
                                     err);
    if (st || done || (st = opt_common_finish(&oc, which, err)) ||
        (st = theory_family_find(hidden, &c.family, err)))
        return st;
    c.seed = oc.seed;
    c.T = oc.T;
    c.init_scale = oc.init_scale;
    c.snapshots = oc.snapshots;
    c.learn_fields = !strcmp(fields, "learn");
    c.method = strcmp(method, "bdf") ? FLOW_ADAMS : FLOW_BDF;
    c.linear = !strcmp(spacing, "linear");
    c.weights = !strcmp(weights, "all") ? THEORY_W_ALL
                : !strcmp(weights, "final") ? THEORY_W_FINAL : THEORY_W_NONE;
    c.progress = isatty(2);
    if ((st = train_term_parse(term, &c.rc.term, err)))
        return st;
    c.rc.pcd_estimate = strcmp(estimate, "h-mean") ? RESTORE_EST_VMEAN : RESTORE_EST_HMEAN;
    if ((st = theory_config_check(&c, err)))
        return st;
    ring_model *m = NULL;
    traj_header h;
    traj_header_init(&h);
    if (!(st = ring_alloc(&m, &oc.rp, err)) &&
        (st = opt_run_header(&h, "theory", argc, argv, spec, n)))
        st = sym_error(err, SYM_ENOMEM, "out of memory");
    if (!st)
        st = strcmp(equation, "exact") ? theory_run_small_beta(&c, m, &h, oc.out, err)
                                       : theory_run(&c, m, &h, oc.out, NULL, NULL, err);
    traj_header_free(&h);
    ring_free(m);
    return st;
}
