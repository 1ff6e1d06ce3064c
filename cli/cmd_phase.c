/* cmd_phase: `symrbm phase`, the uniform fixed point, its per-mode
 * stability, and the phase boundary beta_c(N) (SPEC.md 3, 6): parse, call
 * phase_report (theory/phase.h), print and optionally write the text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/opts.h"
#include "core/err.h"
#include "core/run.h"
#include "theory/phase.h"

static const char synopsis[] = "symrbm phase [options]";
static const char about[] =
    "Finds the uniform fixed point of the infinite-data flow, the stability of each\n"
    "Fourier mode there, and (models with a coupling beta) the critical beta_c(N) above\n"
    "which the symmetric state is stable, by a scan and bisection (SPEC.md 3).  Prints\n"
    "TSV to stdout.";

int cmd_phase(int argc, char **argv, char *err)
{
    opt_common oc;
    opt_common_init(&oc);
    opt_list N = {1, {100}};
    const char *out = NULL, *hidden = "gaussian";
    phase_config c = {.beta_min = 0.05, .beta_max = 4.0, .tol = 1e-6, .scan = 80, .modes = 8};
    opt_spec spec[OPTC_MAX + 8];
    size_t n = opt_common_spec(&oc, OPTC_DATA | OPTC_NO_N, spec);
    const opt_spec more[] = {
        {"N", OPT_SIZE_LIST, &N, "ring sizes, comma-separated (each >= 3)", NULL, NULL},
        {"beta-min", OPT_DOUBLE, &c.beta_min, "lower end of the beta_c search", NULL, NULL},
        {"beta-max", OPT_DOUBLE, &c.beta_max, "upper end of the beta_c search", NULL, NULL},
        {"scan", OPT_SIZE, &c.scan, "scan points before bisection (>= 2)", NULL, NULL},
        {"tol", OPT_DOUBLE, &c.tol, "bisection tolerance on beta_c", NULL, NULL},
        {"modes", OPT_SIZE, &c.modes, "modes listed in the per-mode report", NULL, NULL},
        {"hidden", OPT_CHOICE, &hidden, "one gaussian or one binary +-1 hidden unit",
         "gaussian|spin", NULL},
        {"out", OPT_STRING, &out, "also write the table to this file", NULL, NULL},
    };
    for (size_t k = 0; k < sizeof more / sizeof more[0]; k++)
        spec[n++] = more[k];
    int done, st = opt_parse_or_help(argc, argv, spec, n, synopsis, about, NULL, 0, NULL, &done,
                                     err);
    if (st || done || (st = opt_common_finish(&oc, OPTC_DATA | OPTC_NO_N, err)))
        return st;
    c.data = oc.rp;
    /* the uniform fixed point of each hidden-unit family with a theory */
    c.uniform = strcmp(hidden, "spin") ? phase_uniform_modes : phase_uniform_spin;
    c.N = N.v;
    c.nN = N.n;
    /* everything goes to a memory buffer first: stdout and --out get the
     * same text, and --out is written atomically */
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return sym_error(err, SYM_ENOMEM, "out of memory");
    traj_header h;
    traj_header_init(&h);
    st = opt_run_header(&h, "phase", argc, argv, spec, n) ? sym_error(err, SYM_ENOMEM, "no memory")
                                                          : SYM_OK;
    if (!st)
        traj_header_write(&h, mem);
    traj_header_free(&h);
    st = st ? st : phase_report(&c, mem, err);
    fclose(mem);
    if (!st) {
        fwrite(text, 1, len, stdout);
        fflush(stdout);
        traj_file f;
        if (out && !(st = traj_open(&f, NULL, out, NULL, err))) {
            fwrite(text, 1, len, f.fp);
            st = traj_close(&f, err);
        }
    }
    free(text);
    return st;
}
