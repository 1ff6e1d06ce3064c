/* report: the compare experiment (compare/report.h). */
#include "compare/report.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare/cmp.h"
#include "core/err.h"
#include "core/ring.h"
#include "core/run.h"
#include "core/sys.h"

/* overlay data: the a_k plotted (a_0 .. a_4) */
#define PLOT_NA 5

/* The plot script: --plot-script, else $SYMRBM_FIGURES/overlay.gp, else
 * figures/overlay.gp below the working directory, else next to the binary
 * (BIN/../figures/overlay.gp, the layout of a build directory). */
static int find_script(const char *given, char *path, size_t cap, char *err)
{
    if (given) {
        snprintf(path, cap, "%s", given);
        if (access(path, R_OK) == 0)
            return SYM_OK;
        return sym_error(err, SYM_EINVAL, "plot script %s: cannot read it", given);
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
                     "cannot find figures/overlay.gp (give a plot script, set SYMRBM_FIGURES, or draw no plot)");
}

static int write_compare(run_files *rf, const traj_header *h, const cmp_result *res, size_t nsim,
                         char *err)
{
    traj_file f;
    int st = run_files_open(rf, "compare.tsv", h, &f.fp, err);
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
    return SYM_OK;
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
    sys_mean_sd(x, n, 1, &mean, &sd);
    snprintf(name, sizeof name, "%s_mean", key);
    traj_summary_num(fp, name, mean);
    snprintf(name, sizeof name, "%s_sd", key);
    traj_summary_num(fp, name, sd);
    for (size_t k = 0; k < n; k++) {
        snprintf(name, sizeof name, "%s_%zu", key, k + 1);
        traj_summary_num(fp, name, x[k]);
    }
}

static int write_summary(run_files *rf, const traj_header *h, const cmp_result *res, size_t nsim,
                         double wall, char *err)
{
    double *x = malloc(nsim * sizeof *x);
    if (!x)
        return sym_error(err, SYM_ENOMEM, "out of memory");
    traj_file f;
    int st = run_files_open(rf, "summary.tsv", h, &f.fp, err);
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
    return SYM_OK;
}

/* overlay_theory.tsv: the theory's order parameters (t > 0: the x axis is
 * logarithmic).  overlay_sim.tsv: mean and sd over the simulations at each
 * snapshot when they share one time grid, else every simulation's points
 * (sd 0). */
static int write_overlay(run_files *rf, const traj_header *h, const cmp_run *th,
                         const cmp_run *sims, const cmp_result *res, size_t nsim, char *err)
{
    static const size_t cols[] = {CMP_NORM2, CMP_PR, CMP_R, CMP_S};
    traj_file f;
    int st = run_files_open(rf, "overlay_theory.tsv", h, &f.fp, err);
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

    int common = 1;
    for (size_t k = 1; k < nsim && common; k++) {
        if (sims[k].n != sims[0].n)
            common = 0;
        for (size_t s = 0; common && s < sims[0].n; s++)
            if (fabs(sims[k].t[s] - sims[0].t[s]) > CMP_T_TOL * fabs(sims[0].t[s]))
                common = 0;
    }
    if ((st = run_files_open(rf, "overlay_sim.tsv", h, &f.fp, err)))
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
    if (!x)
        return sym_error(err, SYM_ENOMEM, "out of memory");
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
                sys_mean_sd(x, m, 1, &mean, &sd);
                fputc('\t', f.fp);
                traj_put(f.fp, mean);
                fputc('\t', f.fp);
                traj_put(f.fp, isnan(sd) ? 0.0 : sd);
            }
            fputc('\n', f.fp);
        }
    free(x);
    return SYM_OK;
}

/* At most PLOT_POINTS simulation points per curve: error bars stay apart. */
#define PLOT_POINTS 60

static int plot(const char *out, const char *script_opt, size_t nrow, char *err)
{
    char script[PATH_MAX + 32];
    int st = find_script(script_opt, script, sizeof script, err);
    if (st)
        return st;
    char th[SYS_PATH], sim[SYS_PATH], png[SYS_PATH], pdf[SYS_PATH], log[SYS_PATH], lname[64];
    snprintf(lname, sizeof lname, ".gnuplot.log.%ld", (long)getpid());
    if ((st = sys_path(th, sizeof th, out, "overlay_theory.tsv", err)) ||
        (st = sys_path(sim, sizeof sim, out, "overlay_sim.tsv", err)) ||
        (st = sys_path(png, sizeof png, out, "overlay.png", err)) ||
        (st = sys_path(pdf, sizeof pdf, out, "overlay.pdf", err)) ||
        (st = sys_path(log, sizeof log, out, lname, err)))
        return st;
    return cmp_plot(script, th, sim, (nrow + PLOT_POINTS - 1) / PLOT_POINTS, png, pdf, log, err);
}

/* The data model of the theory's header, rebuilt so that our files record
 * its keys exactly as theory and sim do. */
static int model_of(const cmp_run *th, ring_model **rm, char *err)
{
    ring_params p;
    ring_params_default(&p);
    p.type = th->type;
    p.N = th->N;
    for (size_t k = 0; k < th->type->npar; k++) {
        const char *key = th->type->par[k].key, *s = traj_header_get(&th->header, key);
        if (!s)
            return sym_error(err, SYM_EINVAL, "%s/trajectory.tsv: header has no %s", th->dir, key);
        char *end;
        double v = strtod(s, &end);
        if (end == s || *end)
            return sym_error(err, SYM_EINVAL, "%s/trajectory.tsv: header %s=%s is not a number",
                             th->dir, key, s);
        p.val[ring_key_index(key)] = v;
    }
    return ring_alloc(rm, &p, err);
}

static int inputs_header(traj_header *h, const cmp_run *th, const cmp_run *sims, size_t nsim,
                         const ring_model *rm)
{
    const char *ts = traj_header_get(&th->header, "seed");
    int st = run_stamp(h) || traj_header_set(h, "theory", "%s", th->dir);
    st = st ? st : traj_header_set(h, "theory_seed", "%s", ts ? ts : "");
    for (size_t k = 0; k < nsim && !st; k++) {
        char key[64];
        const char *seed = traj_header_get(&sims[k].header, "seed");
        snprintf(key, sizeof key, "sim_%zu", k + 1);
        st = traj_header_set(h, key, "%s", sims[k].dir);
        snprintf(key, sizeof key, "sim_%zu_seed", k + 1);
        st = st ? st : traj_header_set(h, key, "%s", seed ? seed : "");
    }
    return st ? st : ring_header_set(rm, h);
}

int report_run(const report_config *c, const char *theory, const char *const *sims_dir,
               size_t nsim, traj_header *h, const char *out, char *err)
{
    double t0 = sys_now();
    cmp_run th;
    cmp_run *sims = calloc(nsim, sizeof *sims);
    cmp_result *res = calloc(nsim, sizeof *res);
    ring_model *rm = NULL;
    obs_ws *ws = NULL;
    size_t nloaded = 0, ndone = 0;
    run_files rf = {0};
    memset(&th, 0, sizeof th);
    int st = !sims || !res || nsim < 1 ? sym_error(err, SYM_ENOMEM, "out of memory") : SYM_OK;
    if (st || (st = cmp_run_load(&th, theory, 0, err)))
        goto done;
    for (; nloaded < nsim; nloaded++)
        if ((st = cmp_run_load(&sims[nloaded], sims_dir[nloaded], c->mu, err)) ||
            (st = cmp_check_match(&th, &sims[nloaded], err)))
            goto done;
    if ((st = model_of(&th, &rm, err)))
        goto done;
    if (!(ws = obs_alloc(th.N))) {
        st = sym_error(err, SYM_ENOMEM, "out of memory (N = %zu)", th.N);
        goto done;
    }
    for (; ndone < nsim; ndone++)
        if ((st = cmp_compare(ws, &th, &sims[ndone], &res[ndone], err)))
            goto done;
    if (inputs_header(h, &th, sims, nsim, rm)) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = run_files_init(&rf, out, err)) || (st = write_compare(&rf, h, res, nsim, err)) ||
        (st = write_overlay(&rf, h, &th, sims, res, nsim, err)) ||
        (st = write_summary(&rf, h, res, nsim, sys_now() - t0, err)) ||
        (st = run_files_commit(&rf, err)))
        goto done;
    if (c->plot)
        st = plot(out, c->plot_script, sims[0].n, err);
done:
    run_files_abort(&rf);
    for (size_t k = 0; k < ndone; k++)
        cmp_result_free(&res[k]);
    for (size_t k = 0; k < nloaded; k++)
        cmp_run_free(&sims[k]);
    if (sims && nloaded < nsim)
        cmp_run_free(&sims[nloaded]);   /* zeroed by a failed load: harmless */
    if (th.dir)
        cmp_run_free(&th);
    obs_free(ws);
    ring_free(rm);
    free(sims);
    free(res);
    return st;
}
