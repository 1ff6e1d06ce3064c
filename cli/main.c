/* symrbm: one program, one table of subcommands (SPEC.md 6).  main() is the
 * only place that prints an error and exits: every failure is one line on
 * stderr and exit status 2. */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "core/err.h"
#include "core/traj.h"

static const struct {
    const char *name;
    int (*fn)(int, char **, char *);
    const char *summary;
} commands[] = {
    {"theory", cmd_theory, "infinite-data gradient flow of the RBM weights (CVODE + FFTW)"},
    {"phase", cmd_phase, "stability of the symmetric state, critical beta_c(N)"},
    {"sample", cmd_sample, "exact samples from a ring data model"},
    {"sim", cmd_sim, "train an RBM on B samples (SGD/ADAM; exact, PCD, CD model term)"},
    {"compare", cmd_compare, "overlay theory and simulation, score their agreement"},
    {"threshold", cmd_threshold, "critical sample size sweep and random-matrix predictions"},
    {"diffusion", cmd_diffusion, "random walk of the receptive fields: D, MSD, restoration"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *fp)
{
    fprintf(fp, "usage: symrbm COMMAND [options]   (symrbm COMMAND --help for each)\n\n");
    for (size_t c = 0; c < NCOMMANDS; c++)
        fprintf(fp, "  %-10s %s\n", commands[c].name, commands[c].summary);
    fprintf(fp, "\nsymrbm %s\n", SYM_VERSION);
}

int main(int argc, char **argv)
{
    /* GSL's default handler aborts: every GSL failure becomes a message */
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
    for (size_t c = 0; c < NCOMMANDS; c++) {
        if (strcmp(argv[1], commands[c].name))
            continue;
        char err[SYM_ERRLEN] = "";
        int st = commands[c].fn(argc - 1, argv + 1, err);
        if (st != 0) {
            fprintf(stderr, "symrbm %s: %s\n", argv[1], err[0] ? err : "failed (no message)");
            return 2;
        }
        return 0;
    }
    fprintf(stderr, "symrbm: unknown command '%s' (try symrbm --help)\n", argv[1]);
    return 2;
}
