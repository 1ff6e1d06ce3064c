/* symrbm: one program, subcommands theory, phase, sample, sim, compare,
 * threshold (SPEC.md 6).  main() is the only place that prints an error and
 * exits: every failure is one line on stderr and exit status 2. */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "core/err.h"
#include "core/traj.h"

typedef int (*cmd_fn)(int, char **, char *);

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: symrbm COMMAND [options]   (symrbm COMMAND --help for each)\n"
            "\n"
            "  theory     infinite-data gradient flow of the RBM weights (CVODE + FFTW)\n"
            "  phase      stability of the symmetric state, critical beta_c(N)\n"
            "  sample     exact samples from a ring data model\n"
            "  sim        train an RBM on B samples (SGD/ADAM; exact, PCD, CD model term)\n"
            "  compare    overlay theory and simulation, score their agreement\n"
            "  threshold  critical sample size sweep and random-matrix predictions\n"
            "\n"
            "symrbm %s\n", SYM_VERSION);
}

int main(int argc, char **argv)
{
    static const char *const table[] = {"theory", "phase", "sample", "sim", "compare", "threshold"};
    cmd_fn fns[] = {cmd_theory, cmd_phase, cmd_sample, cmd_sim, cmd_compare, cmd_threshold};

    /* before anything can call GSL: its failures become messages, not aborts */
    sym_gsl_install();

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("symrbm %s\n", SYM_VERSION);
        return 0;
    }
    for (size_t c = 0; c < sizeof table / sizeof table[0]; c++) {
        if (strcmp(argv[1], table[c]))
            continue;
        if (!fns[c]) {
            fprintf(stderr, "symrbm: '%s' is not built into this version\n", argv[1]);
            return 2;
        }
        char err[SYM_ERRLEN] = "";
        int st = fns[c](argc - 1, argv + 1, err);
        if (st != 0) {
            fprintf(stderr, "symrbm %s: %s\n", argv[1], err[0] ? err : "failed");
            return 2;
        }
        return 0;
    }
    fprintf(stderr, "symrbm: unknown command '%s' (try symrbm --help)\n", argv[1]);
    return 2;
}
