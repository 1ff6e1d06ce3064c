/* symrbm phase: the uniform fixed point, its per-mode stability, and the
 * phase boundary beta_c(N) of symmetry breaking (SPEC.md 3, 6). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/opts.h"
#include "core/err.h"
#include "core/ring.h"
#include "core/traj.h"
#include "theory/phase.h"

typedef struct {
    const char *data, *out;
    opt_list N;
    ring_params rp;   /* every model key but beta (the report's beta is "beta") */
    double beta, beta_min, beta_max, tol;
    size_t scan, modes;
} phase_opts;

static int model_at(const phase_opts *o, size_t N, double beta, ring_model **rm, char *err)
{
    ring_params p = o->rp;
    int st = ring_type_find(o->data, &p.type, err);
    if (st)
        return st;
    p.N = N;
    p.val[ring_key_index("beta")] = beta;
    return ring_alloc(rm, &p, err);
}

/* the per-mode report at one N and beta */
static int modes_report(const phase_opts *o, size_t N, FILE *fp, char *err)
{
    ring_model *rm = NULL;
    int st = model_at(o, N, o->beta, &rm, err);
    if (st)
        return st;
    phase_point pt;
    st = phase_uniform(rm, &pt, err);
    if (!st) {
        fprintf(fp, "# uniform fixed point at beta=%.17g: a=%.17g norm2=%.17g "
                    "<h^2 sech^2>=%.17g\n",
                o->beta, pt.a, pt.norm2, pt.sech2);
        fprintf(fp, "# mode k: lambda_k, mu_k = lambda_k - <h^2 sech^2> (k != 0; > 0 unstable)\n");
        fprintf(fp, "k\tlambda\tmu\n");
        size_t kmax = o->modes < N / 2 ? o->modes : N / 2;
        for (size_t k = 0; k <= kmax; k++) {
            fprintf(fp, "%zu\t", k);
            traj_put(fp, rm->lambda[k]);
            fputc('\t', fp);
            traj_put(fp, k ? rm->lambda[k] - pt.sech2 : NAN);
            fputc('\n', fp);
        }
        fprintf(fp, "# symmetric state at beta=%.17g: %s (mu_max=%.6g at k=%zu)\n", o->beta,
                pt.mu_max > 0 ? "unstable, receptive field localises" : "stable", pt.mu_max,
                pt.k_max);
    }
    ring_free(rm);
    return st;
}

int cmd_phase(int argc, char **argv, char *err)
{
    phase_opts o = {.data = "ising", .out = NULL, .N = {1, {100}}, .beta = 1.0,
                    .beta_min = 0.05, .beta_max = 4.0, .tol = 1e-6, .scan = 80,
                    .modes = 8};
    ring_params_default(&o.rp);
    const opt_spec fixed[] = {
        {"data", OPT_CHOICE, &o.data, "data model (beta_c is defined for ising)", ring_type_names(),
         NULL},
        {"N", OPT_SIZE_LIST, &o.N, "ring sizes, comma-separated (each >= 3)", NULL, NULL},
        {"beta", OPT_DOUBLE, &o.beta, "beta of the per-mode report (single N)", NULL, NULL},
        {"beta-min", OPT_DOUBLE, &o.beta_min, "lower end of the beta_c search", NULL, NULL},
        {"beta-max", OPT_DOUBLE, &o.beta_max, "upper end of the beta_c search", NULL, NULL},
        {"scan", OPT_SIZE, &o.scan, "scan points before bisection (>= 2)", NULL, NULL},
        {"tol", OPT_DOUBLE, &o.tol, "bisection tolerance on beta_c", NULL, NULL},
        {"modes", OPT_SIZE, &o.modes, "modes listed in the per-mode report", NULL, NULL},
        {"out", OPT_STRING, &o.out, "also write the table to this file", NULL, NULL},
    };
    /* data, N, beta, then the other model parameters from the key registry */
    opt_spec spec[sizeof fixed / sizeof fixed[0] + RING_MAXKEYS];
    size_t nspec = 0;
    for (size_t j = 0; j < sizeof fixed / sizeof fixed[0]; j++) {
        spec[nspec++] = fixed[j];
        for (size_t k = 0; j == 2 && k < ring_nkeys(); k++)
            if (strcmp(ring_key(k)->key, "beta"))
                spec[nspec++] = (opt_spec){ring_key(k)->key, OPT_DOUBLE, &o.rp.val[k], ring_key(k)->help, NULL, NULL};
    }
    int help;
    int st = opt_parse(argc, argv, spec, nspec, NULL, 0, NULL, &help, err);
    if (st)
        return st;
    if (help) {
        opt_usage(stdout, "symrbm phase [options]",
                  "Finds the uniform fixed point of the infinite-data flow, the stability of each\n"
                  "Fourier mode there, and (ising) the critical beta_c(N) above which the symmetric\n"
                  "state is stable, by a scan and bisection (SPEC.md 3).  Prints TSV to stdout.",
                  spec, nspec);
        return SYM_OK;
    }
    if (!(o.beta_min > 0 && o.beta_max > o.beta_min))
        return sym_error(err, SYM_EINVAL, "--beta-min %g --beta-max %g: need 0 < min < max",
                         o.beta_min, o.beta_max);
    if (!(o.tol > 0))
        return sym_error(err, SYM_EINVAL, "--tol %g: need tol > 0", o.tol);
    if (o.scan < 2)
        return sym_error(err, SYM_EINVAL, "--scan %zu: need at least 2 points", o.scan);
    for (size_t j = 0; j < o.N.n; j++) {
        ring_model *rm = NULL; /* validates N, beta, rho, eps with the usual messages */
        st = model_at(&o, o.N.v[j], o.beta, &rm, err);
        ring_free(rm);
        if (st)
            return st;
    }

    /* everything goes to a memory buffer first: stdout and --out get the
     * same text, and --out is written atomically */
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return sym_error(err, SYM_ENOMEM, "out of memory");
    fprintf(mem, "# program=symrbm\n# version=%s\n# command=phase\n", SYM_VERSION);
    traj_header h;
    traj_header_init(&h);
    st = opt_header(&h, spec, nspec);
    traj_header_write(&h, mem);
    traj_header_free(&h);
    if (!st && o.N.n == 1)
        st = modes_report(&o, o.N.v[0], mem, err);
    if (!st && !strcmp(o.data, "ising")) {
        fprintf(mem, "N\tbeta_c\tlambda1_c\tnorm2_c\n");
        for (size_t j = 0; j < o.N.n && !st; j++) {
            double bc;
            st = phase_beta_c(o.N.v[j], o.beta_min, o.beta_max, o.scan, o.tol, &bc, err);
            if (st)
                break;
            ring_model *rm = NULL;
            phase_point pt;
            st = model_at(&o, o.N.v[j], bc, &rm, err);
            if (!st)
                st = phase_uniform(rm, &pt, err);
            if (!st) {
                fprintf(mem, "%zu\t", o.N.v[j]);
                traj_put(mem, bc);
                fputc('\t', mem);
                traj_put(mem, rm->lambda[1]);
                fputc('\t', mem);
                traj_put(mem, pt.norm2);
                fputc('\n', mem);
            }
            ring_free(rm);
        }
    }
    fclose(mem);
    if (!st) {
        fwrite(text, 1, len, stdout);
        fflush(stdout);
        if (o.out) {
            traj_file f;
            st = traj_open(&f, NULL, o.out, NULL, err);
            if (!st) {
                fwrite(text, 1, len, f.fp);
                st = traj_close(&f, err);
            }
        }
    }
    free(text);
    return st;
}
