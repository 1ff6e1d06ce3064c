/* symrbm sample: exact samples from a ring data model into one file
 * (SPEC.md 2, 5, 6, 9; the formats are described in README.md, section
 * symrbm sample).  Potts models need nothing here: their header hook writes
 * the states key that core/samples checks and the reader uses. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/opts.h"
#include "core/err.h"
#include "core/ring.h"
#include "core/rng.h"
#include "core/samples.h"
#include "core/traj.h"

static const char *SYNOPSIS =
    "symrbm sample --data MODEL --N N [model parameters] --B B --seed S --out FILE [--format text|bin]";
static const char *ABOUT =
    "Draw B independent configurations exactly (no Markov chain) from a ring data\n"
    "model of SPEC.md 2, from random stream 'data' of --seed, into FILE:\n"
    "text = one configuration per line, +1/-1 separated by spaces, after '# key=value'\n"
    "header lines; bin = magic line, key=value lines, 'end', then bit-packed rows.\n"
    "Potts models (xy) write states 0..P-1 (header key states=P; bin: ceil(log2 P)\n"
    "bits a state).";

static void progress(void *ctx, size_t done, size_t B)
{
    (void)ctx;
    fprintf(stderr, "\rsample: %zu / %zu configurations%s", done, B, done == B ? "\n" : "");
}

int cmd_sample(int argc, char **argv, char *err)
{
    ring_params p;
    ring_params_default(&p);
    const char *data = p.type->name, *out = NULL, *format = "text";
    size_t B = 1000;
    uint64_t seed = 1;
    /* the model parameters come from the key registry (core/ring.h) */
    opt_spec spec[6 + RING_MAXKEYS];
    size_t nspec = 0;
    spec[nspec++] = (opt_spec){"data", OPT_CHOICE, &data, "data model", ring_type_names(), NULL};
    spec[nspec++] = (opt_spec){"N", OPT_SIZE, &p.N, "number of spins on the ring (>= 3)", NULL, NULL};
    for (size_t k = 0; k < ring_nkeys(); k++)
        spec[nspec++] = (opt_spec){ring_key(k)->key, OPT_DOUBLE, &p.val[k], ring_key(k)->help, NULL, NULL};
    spec[nspec++] = (opt_spec){"B", OPT_SIZE, &B, "number of configurations (>= 1)", NULL, NULL};
    spec[nspec++] = (opt_spec){"seed", OPT_U64, &seed, "random seed (stream 'data')", NULL, NULL};
    spec[nspec++] = (opt_spec){"out", OPT_STRING, &out, "output file (required)", NULL, NULL};
    spec[nspec++] = (opt_spec){"format", OPT_CHOICE, &format, "file format", "text|bin", NULL};
    int help = 0;
    int st = opt_parse(argc, argv, spec, nspec, NULL, 0, NULL, &help, err);
    if (st)
        return st;
    if (help) {
        opt_usage(stdout, SYNOPSIS, ABOUT, spec, nspec);
        return SYM_OK;
    }
    if ((st = ring_type_find(data, &p.type, err)) || (st = ring_params_check(&p, err)))
        return st;
    if (B < 1)
        return sym_error(err, SYM_EINVAL, "--B %zu: need B >= 1", B);
    if (!out)
        return sym_error(err, SYM_EINVAL, "--out FILE is required");
    samples_wopts wo = {!strcmp(format, "bin") ? SAMPLES_BIN : SAMPLES_TEXT, 0, NULL, NULL};
    if (isatty(2) && (double)B * (double)p.N > 1e8)
        wo.progress = progress;

    ring_model *m = NULL;
    gsl_rng *r = NULL;
    traj_header h;
    traj_header_init(&h);
    if ((st = ring_alloc(&m, &p, err)))
        goto done;
    if (!(r = rng_alloc(seed, RNG_STREAM_DATA))) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    st = opt_run_header(&h, "sample", argc, argv, spec, nspec);
    st = st ? st : ring_header_set(m, &h);
    st = st ? st : traj_header_set(&h, "B", "%zu", B);
    if (st) {
        st = sym_error(err, SYM_ENOMEM, "out of memory for the file header");
        goto done;
    }
    st = samples_write(out, &h, m, r, B, &wo, err);
done:
    traj_header_free(&h);
    if (r)
        gsl_rng_free(r);
    ring_free(m);
    return st;
}
