/* symrbm sample: exact samples from a ring data model into one file
 * (SPEC.md 2, 5, 6; the formats are described in README.md, section symrbm sample). */
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
#include "core/traj.h"

/* Rows sampled and written per step: bounds the memory to ~4 MB whatever B
 * is, while the O(N) set-up of each ring_sample call stays negligible.  The
 * stream does not depend on it: rows are drawn one after another. */
#define SAMPLE_CHUNK_BYTES ((size_t)1 << 22)

static const char *SYNOPSIS =
    "symrbm sample --data ising|bump --N N [--beta B | --rho R --eps E] --B B --seed S --out FILE [--format text|bin]";
static const char *ABOUT =
    "Draw B independent configurations exactly (no Markov chain) from the ising or\n"
    "bump ring model of SPEC.md 2, from random stream 'data' of --seed, into FILE:\n"
    "text = one configuration per line, +1/-1 separated by spaces, after '# key=value'\n"
    "header lines; bin = magic line, key=value lines, 'end', then bit-packed rows.";

/* The data-model keys of the header (as ring_header_write prints them), set
 * into h so that each key appears once, after the options. */
static int model_keys(traj_header *h, const ring_model *m)
{
    int st = traj_header_set(h, "data", "%s", ring_kind_name(m->p.kind));
    st = st ? st : traj_header_set(h, "N", "%zu", m->p.N);
    if (m->p.kind == RING_ISING) {
        st = st ? st : traj_header_set(h, "beta", "%.17g", m->p.beta);
    } else {
        st = st ? st : traj_header_set(h, "rho", "%.17g", m->p.rho);
        st = st ? st : traj_header_set(h, "eps", "%.17g", m->p.eps);
        st = st ? st : traj_header_set(h, "L", "%zu", m->L);
    }
    return st;
}

/* Binary header: magic, key=value lines (line breaks in values become
 * spaces, as in text headers), "end". */
static void bin_header_write(FILE *fp, const traj_header *h)
{
    fputs(RING_SAMPLES_MAGIC, fp);
    for (size_t k = 0; k < h->n; k++) {
        fprintf(fp, "%s=", h->key[k]);
        for (const char *c = h->val[k]; *c; c++)
            fputc(*c == '\n' || *c == '\r' ? ' ' : *c, fp);
        fputc('\n', fp);
    }
    fputs("end\n", fp);
}

/* Create the directory part of path, if any (after all checks passed). */
static int make_parent(const char *path, char *err)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return SYM_OK;
    size_t len = (size_t)(slash - path);
    char *dir = malloc(len + 1);
    if (!dir)
        return sym_error(err, SYM_ENOMEM, "out of memory");
    memcpy(dir, path, len);
    dir[len] = 0;
    int st = traj_mkdir(dir, err);
    free(dir);
    return st;
}

int cmd_sample(int argc, char **argv, char *err)
{
    ring_params p;
    ring_params_default(&p);
    const char *data = "ising", *out = NULL, *format = "text";
    size_t B = 1000;
    uint64_t seed = 1;
    opt_spec spec[] = {
        {"data", OPT_CHOICE, &data, "data model", "ising|bump", NULL},
        {"N", OPT_SIZE, &p.N, "number of spins on the ring (>= 3)", NULL, NULL},
        {"beta", OPT_DOUBLE, &p.beta, "ising coupling (>= 0)", NULL, NULL},
        {"rho", OPT_DOUBLE, &p.rho, "bump width fraction, L = round(rho N)", NULL, NULL},
        {"eps", OPT_DOUBLE, &p.eps, "bump flip probability, in [0, 1/2]", NULL, NULL},
        {"B", OPT_SIZE, &B, "number of configurations (>= 1)", NULL, NULL},
        {"seed", OPT_U64, &seed, "random seed (stream 'data')", NULL, NULL},
        {"out", OPT_STRING, &out, "output file (required)", NULL, NULL},
        {"format", OPT_CHOICE, &format, "file format", "text|bin", NULL},
    };
    size_t nspec = sizeof spec / sizeof spec[0];
    int help = 0;
    int st = opt_parse(argc, argv, spec, nspec, NULL, 0, NULL, &help, err);
    if (st)
        return st;
    if (help) {
        opt_usage(stdout, SYNOPSIS, ABOUT, spec, nspec);
        return SYM_OK;
    }
    st = ring_kind_parse(data, &p.kind, err);
    if (st)
        return st;
    st = ring_params_check(&p, err);
    if (st)
        return st;
    if (B < 1)
        return sym_error(err, SYM_EINVAL, "--B %zu: need B >= 1", B);
    if (!out)
        return sym_error(err, SYM_EINVAL, "--out FILE is required");
    int bin = !strcmp(format, "bin");

    ring_model *m = NULL;
    gsl_rng *r = NULL;
    int8_t *v = NULL;
    traj_header h;
    traj_header_init(&h);
    traj_file f = {0};
    int open = 0;

    st = ring_alloc(&m, &p, err);
    if (st)
        goto done;
    size_t chunk = SAMPLE_CHUNK_BYTES / p.N;
    if (chunk < 1)
        chunk = 1;
    if (chunk > B)
        chunk = B;
    r = rng_alloc(seed, RNG_STREAM_DATA);
    v = malloc(chunk * p.N);
    if (!r || !v) {
        st = sym_error(err, SYM_ENOMEM, "out of memory for %zu rows of N = %zu", chunk, p.N);
        goto done;
    }
    st = traj_header_set(&h, "program", "symrbm");
    st = st ? st : traj_header_set(&h, "version", "%s", SYM_VERSION);
    st = st ? st : traj_header_set(&h, "command", "sample");
    st = st ? st : opt_header(&h, spec, nspec);
    st = st ? st : model_keys(&h, m);
    st = st ? st : traj_header_set(&h, "B", "%zu", B);
    if (st) {
        st = sym_error(err, SYM_ENOMEM, "out of memory for the file header");
        goto done;
    }
    st = make_parent(out, err);
    if (st)
        goto done;
    st = traj_open(&f, NULL, out, bin ? NULL : &h, err);
    if (st)
        goto done;
    open = 1;
    if (bin)
        bin_header_write(f.fp, &h);
    int progress = isatty(2) && (double)B * (double)p.N > 1e8;
    for (size_t rows = 0; rows < B;) {
        size_t n = B - rows < chunk ? B - rows : chunk;
        st = ring_sample(m, r, n, v, err);
        if (st)
            goto done;
        st = ring_samples_write_rows(f.fp, bin, v, p.N, n, err);
        if (st) {
            sym_context(err, st, out);
            goto done;
        }
        rows += n;
        if (progress)
            fprintf(stderr, "\rsample: %zu / %zu configurations", rows, B);
    }
    if (progress)
        fputc('\n', stderr);
    open = 0;
    st = traj_close(&f, err);

done:
    if (open)
        traj_abort(&f);
    traj_header_free(&h);
    free(v);
    if (r)
        gsl_rng_free(r);
    ring_free(m);
    return st;
}
