/* symrbm compare THEORY_DIR SIM_DIR... --out DIR: theory against simulation
 * (SPEC.md 4, 5, 6; issue 4; README.md, section symrbm compare). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/opts.h"
#include "compare/cmp.h"
#include "core/err.h"
#include "core/ring.h"
#include "core/traj.h"

#define MAX_SIMS 256
/* overlay data: the a_k plotted (a_0 .. a_4) */
#define PLOT_NA 5

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The data model of the theory's header, rebuilt from the type's keys so
 * that ring_header_set records it in our files exactly as theory and sim do. */
static int model_of(const cmp_run *th, ring_model **rm, char *err)
{
    ring_params p;
    ring_params_default(&p);
    p.type = th->type;
    p.N = th->N;
    for (size_t k = 0; k < th->type->npar; k++) {
        const char *key = th->type->par[k].key;
        const char *s = traj_header_get(&th->header, key);
        if (!s)
            return sym_error(err, SYM_EINVAL, "%s/trajectory.tsv: header has no %s", th->dir, key);
        char *end;
        double v = strtod(s, &end);
        if (end == s || *end)
            return sym_error(err, SYM_EINVAL, "%s/trajectory.tsv: header %s=%s is not a number", th->dir, key, s);
        p.val[ring_key_index(key)] = v;
    }
    int st = ring_alloc(rm, &p, err);
    return st ? sym_context(err, st, th->dir) : SYM_OK;
}

/* The plot script: --plot-script, else $SYMRBM_FIGURES/overlay.gp, else
 * figures/overlay.gp below the working directory, else next to the binary
 * (BIN/../figures/overlay.gp, the layout of a build directory). */
static int find_script(const char *given, char *path, size_t cap, char *err)
{
    if (given) {
        snprintf(path, cap, "%s", given);
        if (access(path, R_OK) == 0)
            return SYM_OK;
        return sym_error(err, SYM_EINVAL, "--plot-script %s: cannot read it", given);
    }
    const char *env = getenv("SYMRBM_FIGURES");
    if (env && *env) {
        snprintf(path, cap, "%s/overlay.gp", env);
        if (access(path, R_OK) == 0)
            return SYM_OK;
    }
    snprintf(path, cap, "figures/overlay.gp");
    if (access(path, R_OK) == 0)
        return SYM_OK;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(path, cap, "%s/../figures/overlay.gp", exe);
            if (access(path, R_OK) == 0)
                return SYM_OK;
        }
    }
    return sym_error(err, SYM_EINVAL,
                     "cannot find figures/overlay.gp (give --plot-script FILE, set SYMRBM_FIGURES, or use --no-plot)");
}

static int write_compare(const char *out, const traj_header *h, const cmp_result *res, size_t nsim, char *err)
{
    traj_file f;
    int st = traj_open(&f, out, "compare.tsv", h, err);
    if (st)
        return st;
    fputs("sim\tt\tQ", f.fp);
    for (size_t j = 0; j < CMP_NOBS; j++)
        fprintf(f.fp, "\td%s", cmp_obs_name(j));
    fputc('\n', f.fp);
    for (size_t k = 0; k < nsim; k++)
        for (size_t s = 0; s < res[k].n; s++) {
            fprintf(f.fp, "%zu\t", k + 1);
            traj_put(f.fp, res[k].t[s]);
            fputc('\t', f.fp);
            traj_put(f.fp, res[k].Q[s]);
            for (size_t j = 0; j < CMP_NOBS; j++) {
                fputc('\t', f.fp);
                traj_put(f.fp, res[k].d[s * CMP_NOBS + j]);
            }
            fputc('\n', f.fp);
        }
    return traj_close(&f, err);
}

/* One summary quantity: plain with one simulation; _mean, _sd and per-seed
 * _1 .. _n with several. */
static void summary_stat(FILE *fp, const char *key, const double *x, size_t n)
{
    char name[128];
    if (n == 1) {
        traj_summary_num(fp, key, x[0]);
        return;
    }
    double mean, sd;
    cmp_mean_sd(x, n, 1, &mean, &sd);
    snprintf(name, sizeof name, "%s_mean", key);
    traj_summary_num(fp, name, mean);
    snprintf(name, sizeof name, "%s_sd", key);
    traj_summary_num(fp, name, sd);
    for (size_t k = 0; k < n; k++) {
        snprintf(name, sizeof name, "%s_%zu", key, k + 1);
        traj_summary_num(fp, name, x[k]);
    }
}

static int write_summary(const char *out, const traj_header *h, const cmp_result *res, size_t nsim,
                         double wall, char *err)
{
    double *x = malloc(nsim * sizeof *x);
    if (!x)
        return sym_error(err, SYM_ENOMEM, "out of memory");
    traj_file f;
    int st = traj_open(&f, out, "summary.tsv", h, err);
    if (st) {
        free(x);
        return st;
    }
    for (size_t k = 0; k < nsim; k++)
        x[k] = res[k].Q_final;
    summary_stat(f.fp, "Q_final", x, nsim);
    for (size_t k = 0; k < nsim; k++)
        x[k] = res[k].dR_max;
    summary_stat(f.fp, "dR_max", x, nsim);
    for (size_t k = 0; k < nsim; k++)
        x[k] = res[k].dR_final;
    summary_stat(f.fp, "dR_final", x, nsim);
    traj_summary_num(f.fp, "t_sb_theory", res[0].t_sb_theory);
    for (size_t k = 0; k < nsim; k++)
        x[k] = res[k].t_sb_sim;
    summary_stat(f.fp, "t_sb_sim", x, nsim);
    /* relative t_sb difference, the "within 25%" */
    for (size_t k = 0; k < nsim; k++)
        x[k] = res[k].t_sb_sim / res[k].t_sb_theory - 1;
    summary_stat(f.fp, "t_sb_rel", x, nsim);
    traj_summary_num(f.fp, "wall_s", wall);
    free(x);
    return traj_close(&f, err);
}

/* overlay_theory.tsv: the theory's order parameters (t > 0: the x axis is
 * logarithmic).  overlay_sim.tsv: mean and sd over the simulations at each
 * snapshot when they share one time grid, else every simulation's points
 * (sd 0). */
static int write_overlay(const char *out, const traj_header *h, const cmp_run *th, const cmp_run *sims,
                         const cmp_result *res, size_t nsim, char *err)
{
    static const size_t cols[] = {CMP_NORM2, CMP_PR, CMP_R, CMP_S};
    traj_file f;
    int st = traj_open(&f, out, "overlay_theory.tsv", h, err);
    if (st)
        return st;
    fputs("t\tnorm2\tpr\tR\tS", f.fp);
    for (int k = 0; k < PLOT_NA; k++)
        fprintf(f.fp, "\ta%d", k);
    fputc('\n', f.fp);
    for (size_t s = 0; s < th->n; s++) {
        if (!(th->t[s] > 0))
            continue;
        traj_put(f.fp, th->t[s]);
        for (size_t j = 0; j < CMP_A0 + PLOT_NA; j++) {
            fputc('\t', f.fp);
            traj_put(f.fp, th->o[s * CMP_NOBS + j]);
        }
        fputc('\n', f.fp);
    }
    if ((st = traj_close(&f, err)))
        return st;

    int common = 1;
    for (size_t k = 1; k < nsim && common; k++) {
        if (sims[k].n != sims[0].n)
            common = 0;
        for (size_t s = 0; common && s < sims[0].n; s++)
            if (fabs(sims[k].t[s] - sims[0].t[s]) > CMP_T_TOL * fabs(sims[0].t[s]))
                common = 0;
    }
    if ((st = traj_open(&f, out, "overlay_sim.tsv", h, err)))
        return st;
    fputs("t", f.fp);
    for (size_t j = 0; j < 4; j++)
        fprintf(f.fp, "\t%s\t%s_sd", cmp_obs_name(cols[j]), cmp_obs_name(cols[j]));
    fputs("\tQ\tQ_sd", f.fp);
    for (int k = 0; k < PLOT_NA; k++)
        fprintf(f.fp, "\ta%d\ta%d_sd", k, k);
    fputc('\n', f.fp);
    size_t nk = common ? 1 : nsim, m = common ? nsim : 1;
    double *x = malloc(nsim * sizeof *x);
    if (!x) {
        traj_abort(&f);
        return sym_error(err, SYM_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < nk; k++)
        for (size_t s = 0; s < sims[k].n; s++) {
            if (!(sims[k].t[s] > 0))
                continue;
            traj_put(f.fp, sims[k].t[s]);
            for (size_t j = 0; j < 4 + 1 + PLOT_NA; j++) {
                /* columns: norm2 pr R S, then Q, then a_0 .. */
                for (size_t q = 0; q < m; q++) {
                    const cmp_run *r = &sims[k + q];
                    const cmp_result *c = &res[k + q];
                    x[q] = j < 4 ? r->o[s * CMP_NOBS + cols[j]]
                         : j == 4 ? c->Q[s] : r->o[s * CMP_NOBS + CMP_A0 + (j - 5)];
                }
                double mean, sd;
                cmp_mean_sd(x, m, 1, &mean, &sd);
                fputc('\t', f.fp);
                traj_put(f.fp, mean);
                fputc('\t', f.fp);
                traj_put(f.fp, isnan(sd) ? 0.0 : sd);
            }
            fputc('\n', f.fp);
        }
    free(x);
    return traj_close(&f, err);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* At most PLOT_POINTS simulation points per curve: error bars stay apart. */
#define PLOT_POINTS 60

static int plot(const char *out, const char *script_opt, size_t nrow, char *err)
{
    char script[PATH_MAX + 32];
    int st = find_script(script_opt, script, sizeof script, err);
    if (st)
        return st;
    char *th = join(out, "overlay_theory.tsv"), *sim = join(out, "overlay_sim.tsv");
    char *png = join(out, "overlay.png"), *pdf = join(out, "overlay.pdf"), *log = NULL;
    size_t ln = strlen(out) + 64;
    if ((log = malloc(ln)))
        snprintf(log, ln, "%s/.gnuplot.log.%ld", out, (long)getpid());
    if (!th || !sim || !png || !pdf || !log)
        st = sym_error(err, SYM_ENOMEM, "out of memory");
    else
        st = cmp_plot(script, th, sim, (nrow + PLOT_POINTS - 1) / PLOT_POINTS, png, pdf, log, err);
    free(th);
    free(sim);
    free(png);
    free(pdf);
    free(log);
    return st;
}

int cmd_compare(int argc, char **argv, char *err)
{
    const char *out = NULL, *script = NULL;
    size_t mu = 0;
    int no_plot = 0;
    opt_spec spec[] = {
        {"out", OPT_STRING, &out, "output directory (required)", NULL, NULL},
        {"mu", OPT_SIZE, &mu, "hidden unit of the simulations compared with theory's", NULL, NULL},
        {"no-plot", OPT_FLAG, &no_plot, "write the tables only, do not run gnuplot", NULL, NULL},
        {"plot-script", OPT_STRING, &script,
         "gnuplot script [figures/overlay.gp, found via $SYMRBM_FIGURES, . or the binary's ..]",
         NULL, NULL},
    };
    size_t nspec = sizeof spec / sizeof spec[0];
    const char *pos[MAX_SIMS + 1];
    size_t npos = 0;
    int help;
    int st = opt_parse(argc, argv, spec, nspec, pos, MAX_SIMS + 1, &npos, &help, err);
    if (st)
        return st;
    if (help) {
        opt_usage(stdout, "symrbm compare THEORY_DIR SIM_DIR... --out DIR [options]",
                  "Compare a theory run with one or more simulation runs (seeds) of the same data\n"
                  "model: aligned overlap Q and order-parameter differences per snapshot\n"
                  "(compare.tsv), final scores with mean and sd over seeds (summary.tsv), and the\n"
                  "overlay figure overlay.png / overlay.pdf (gnuplot).",
                  spec, nspec);
        return SYM_OK;
    }
    if (npos < 2)
        return sym_error(err, SYM_EINVAL, "need THEORY_DIR and at least one SIM_DIR (see --help)");
    if (!out)
        return sym_error(err, SYM_EINVAL, "--out DIR is required");
    double t0 = now();
    size_t nsim = npos - 1;
    cmp_run th;
    cmp_run *sims = calloc(nsim, sizeof *sims);
    cmp_result *res = calloc(nsim, sizeof *res);
    ring_model *rm = NULL;
    obs_ws *ws = NULL;
    size_t nloaded = 0, ndone = 0;
    traj_header h;
    traj_header_init(&h);
    memset(&th, 0, sizeof th);
    if (!sims || !res) {
        free(sims);
        free(res);
        return sym_error(err, SYM_ENOMEM, "out of memory");
    }
    if ((st = cmp_run_load(&th, pos[0], 0, err)))
        goto done;
    for (; nloaded < nsim; nloaded++) {
        if ((st = cmp_run_load(&sims[nloaded], pos[nloaded + 1], mu, err)))
            goto done;
        if ((st = cmp_check_match(&th, &sims[nloaded], err)))
            goto done;
    }
    if ((st = model_of(&th, &rm, err)))
        goto done;
    if (!(ws = obs_alloc(th.N))) {
        st = sym_error(err, SYM_ENOMEM, "out of memory (N = %zu)", th.N);
        goto done;
    }
    for (; ndone < nsim; ndone++)
        if ((st = cmp_compare(ws, &th, &sims[ndone], &res[ndone], err)))
            goto done;

    /* header: program, options, inputs (and their seeds), data model */
    st = traj_header_set(&h, "program", "symrbm");
    if (!st)
        st = traj_header_set(&h, "version", "%s", SYM_VERSION);
    if (!st)
        st = traj_header_set(&h, "command", "compare");
    if (!st)
        st = opt_header(&h, spec, nspec);
    if (!st)
        st = traj_header_set(&h, "theory", "%s", th.dir);
    if (!st)
        st = traj_header_set(&h, "theory_seed", "%s",
                             traj_header_get(&th.header, "seed") ? traj_header_get(&th.header, "seed") : "");
    for (size_t k = 0; k < nsim && !st; k++) {
        char key[64];
        const char *seed = traj_header_get(&sims[k].header, "seed");
        snprintf(key, sizeof key, "sim_%zu", k + 1);
        st = traj_header_set(&h, key, "%s", sims[k].dir);
        snprintf(key, sizeof key, "sim_%zu_seed", k + 1);
        if (!st)
            st = traj_header_set(&h, key, "%s", seed ? seed : "");
    }
    if (st) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    /* the data model's keys come last (each once) */
    if ((st = ring_header_set(rm, &h))) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }

    if ((st = traj_mkdir(out, err)) || (st = write_compare(out, &h, res, nsim, err)) ||
        (st = write_overlay(out, &h, &th, sims, res, nsim, err)))
        goto done;
    if (!no_plot && (st = plot(out, script, sims[0].n, err)))
        goto done;
    st = write_summary(out, &h, res, nsim, now() - t0, err);
done:
    traj_header_free(&h);
    for (size_t k = 0; k < ndone; k++)
        cmp_result_free(&res[k]);
    for (size_t k = 0; k < nloaded; k++)
        cmp_run_free(&sims[k]);
    if (nloaded < nsim)
        cmp_run_free(&sims[nloaded]);   /* zeroed by a failed load: harmless */
    if (th.dir)
        cmp_run_free(&th);
    obs_free(ws);
    ring_free(rm);
    free(sims);
    free(res);
    return st;
}
