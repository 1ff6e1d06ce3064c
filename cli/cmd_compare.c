/* cmd_compare: `symrbm compare THEORY_DIR SIM_DIR... --out DIR`, theory
 * against simulation (SPEC.md 4, 5, 6): parse, call report_run
 * (compare/report.h). */
#include "cli/cmd.h"
#include "cli/opts.h"
#include "compare/report.h"
#include "core/err.h"

#define MAX_SIMS 256

static const char synopsis[] = "symrbm compare THEORY_DIR SIM_DIR... --out DIR [options]";
static const char about[] =
    "Compare a theory run with one or more simulation runs (seeds) of the same data\n"
    "model: aligned overlap Q and order-parameter differences per snapshot\n"
    "(compare.tsv), final scores with mean and sd over seeds (summary.tsv), and the\n"
    "overlay figure overlay.png / overlay.pdf (gnuplot).";

int cmd_compare(int argc, char **argv, char *err)
{
    report_config c = {0, 1, NULL, 0};
    const char *out = NULL;
    int no_plot = 0;
    opt_spec spec[] = {
        {"out", OPT_STRING, &out, "output directory (required)", NULL, NULL},
        {"mu", OPT_SIZE, &c.mu,
         "compare this hidden unit of the simulations with theory's unit 0 (default: unit 0, or, "
         "when both runs have M >= 2 units, every unit after matching)", NULL, &c.mu_given},
        {"no-plot", OPT_FLAG, &no_plot, "write the tables only, do not run gnuplot", NULL, NULL},
        {"plot-script", OPT_STRING, &c.plot_script,
         "gnuplot script [figures/overlay.gp, found via $SYMRBM_FIGURES, . or the binary's ..]",
         NULL, NULL},
    };
    size_t nspec = sizeof spec / sizeof spec[0];
    const char *pos[MAX_SIMS + 1];
    size_t npos = 0;
    int done, st = opt_parse_or_help(argc, argv, spec, nspec, synopsis, about, pos, MAX_SIMS + 1,
                                     &npos, &done, err);
    if (st || done)
        return st;
    if (npos < 2)
        return sym_error(err, SYM_EINVAL, "need THEORY_DIR and at least one SIM_DIR (see --help)");
    if (!out)
        return sym_error(err, SYM_EINVAL, "--out DIR is required");
    c.plot = !no_plot;
    traj_header h;
    traj_header_init(&h);
    st = opt_run_header(&h, "compare", argc, argv, spec, nspec)
             ? sym_error(err, SYM_ENOMEM, "out of memory")
             : report_run(&c, pos[0], pos + 1, npos - 1, &h, out, err);
    traj_header_free(&h);
    return st;
}
