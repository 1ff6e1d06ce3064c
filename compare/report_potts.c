/* report_potts: the compare experiment for Potts runs (compare/report_potts.h). */
#include "compare/report_potts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare/cmp.h"
#include "compare/cmp_potts.h"
#include "core/err.h"
#include "core/run.h"
#include "core/sys.h"

void report_potts_detect(const char *dir, int *yes)
{
    char p[SYS_PATH], e[SYM_ERRLEN];
    traj_table t;
    memset(&t, 0, sizeof t);
    traj_header_init(&t.header);
    *yes = 0;
    if (!sys_path(p, sizeof p, dir, "trajectory.tsv", e) && !traj_read(p, &t, e))
        *yes = cmp_potts_sym_find(traj_header_get(&t.header, "data")) != NULL;
    traj_table_free(&t);
}

static double period(const cmpp_run *r, size_t j)
{
    return j == CMPP_CENTER ? (double)r->N : j == CMPP_PHASE ? 2 * M_PI : 0;
}

static int write_compare(run_files *rf, const traj_header *h, const cmpp_run *th, const cmpp_result *res,
                         size_t nsim, char *err)
{
    FILE *fp;
    int st = run_files_open(rf, "compare.tsv", h, &fp, err);
    if (st)
        return st;
    fputs("sim\tt\tmu\tmu_theory\tQ", fp);
    for (size_t j = 0; j < CMPP_NOBS; j++)
        fprintf(fp, "\t%s_theory\t%s_sim\td%s", cmpp_obs_name(j), cmpp_obs_name(j), cmpp_obs_name(j));
    fputc('\n', fp);
    for (size_t k = 0; k < nsim; k++) {
        const cmpp_result *r = &res[k];
        for (size_t s = 0; s < r->n; s++)
            for (size_t a = 0; a < r->M; a++) {
                fprintf(fp, "%zu\t", k + 1);
                traj_put(fp, r->t[s]);
                fprintf(fp, "\t%zu\t%zu\t", a, r->match[a]);
                traj_put(fp, r->Q[s * r->M + a]);
                for (size_t j = 0; j < CMPP_NOBS; j++) {
                    double x = r->oth[(s * r->M + a) * CMPP_NOBS + j], y = r->osim[(s * r->M + a) * CMPP_NOBS + j];
                    fputc('\t', fp);
                    traj_put(fp, x);
                    fputc('\t', fp);
                    traj_put(fp, y);
                    fputc('\t', fp);
                    traj_put(fp, cmpp_circ_diff(y, x, period(th, j)));
                }
                fputc('\n', fp);
            }
    }
    return SYM_OK;
}

static int write_overlay(run_files *rf, const traj_header *h, const cmpp_run *th, const cmpp_run *sims,
                         const cmpp_result *res, size_t nsim, char *err)
{
    FILE *fp;
    int st = run_files_open(rf, "overlay_theory.tsv", h, &fp, err);
    if (st)
        return st;
    fputs("t\tmu", fp);
    for (size_t j = 0; j < CMPP_NOBS; j++)
        fprintf(fp, "\t%s", cmpp_obs_name(j));
    fputc('\n', fp);
    for (size_t s = 0; s < th->n; s++)
        for (size_t a = 0; a < th->M; a++) {
            traj_put(fp, th->t[s]);
            fprintf(fp, "\t%zu", a);
            for (size_t j = 0; j < CMPP_NOBS; j++) {
                fputc('\t', fp);
                traj_put(fp, th->o[(a * th->n + s) * CMPP_NOBS + j]);
            }
            fputc('\n', fp);
        }
    if ((st = run_files_open(rf, "overlay_sim.tsv", h, &fp, err)))
        return st;
    fputs("sim\tt\tmu\tQ", fp);
    for (size_t j = 0; j < CMPP_NOBS; j++)
        fprintf(fp, "\t%s", cmpp_obs_name(j));
    fputc('\n', fp);
    for (size_t k = 0; k < nsim; k++)
        for (size_t s = 0; s < sims[k].n; s++)
            for (size_t a = 0; a < sims[k].M; a++) {
                fprintf(fp, "%zu\t", k + 1);
                traj_put(fp, sims[k].t[s]);
                fprintf(fp, "\t%zu\t", a);
                traj_put(fp, res[k].Q[s * res[k].M + a]);
                for (size_t j = 0; j < CMPP_NOBS; j++) {
                    fputc('\t', fp);
                    traj_put(fp, sims[k].o[(a * sims[k].n + s) * CMPP_NOBS + j]);
                }
                fputc('\n', fp);
            }
    return SYM_OK;
}

/* plain with one simulation; _mean, _sd and _1 .. _n with several */
static void stat(FILE *fp, const char *key, const double *x, size_t n)
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

static int write_summary(run_files *rf, const traj_header *h, const cmpp_run *th, const cmpp_result *res,
                         size_t nsim, double wall, char *err)
{
    FILE *fp;
    double *x = malloc(nsim * sizeof *x);
    if (!x)
        return sym_error(err, SYM_ENOMEM, "out of memory");
    int st = run_files_open(rf, "summary.tsv", h, &fp, err);
    if (st) {
        free(x);
        return st;
    }
    size_t M = res[0].M;
    char key[96];
    for (size_t k = 0; k < nsim; k++)
        x[k] = res[k].Q_mean;
    stat(fp, "Q_final", x, nsim);
    for (size_t a = 0; a < M; a++) {
        snprintf(key, sizeof key, "Q_final_mu%zu", a);
        for (size_t k = 0; k < nsim; k++)
            x[k] = res[k].Q_final[a];
        stat(fp, key, x, nsim);
    }
    for (size_t k = 0; k < nsim; k++)
        x[k] = res[k].t_match;
    stat(fp, "t_match", x, nsim);
    /* the alignment is a label per simulation: no mean */
    for (size_t k = 0; k < nsim; k++)
        for (size_t a = 0; a < M; a++) {
            const cmpp_align *al = &res[k].al_final[a];
            char sfx[48];
            if (nsim == 1)
                snprintf(sfx, sizeof sfx, "mu%zu", a);
            else
                snprintf(sfx, sizeof sfx, "mu%zu_%zu", a, k + 1);
            fprintf(fp, "match_%s\t%zu\n", sfx, res[k].match[a]);
            snprintf(key, sizeof key, "shift_%s", sfx);
            traj_summary_num(fp, key, al->shift);
            fprintf(fp, "colour_shift_%s\t%zu\nreflect_%s\t%d\nsign_%s\t%d\n", sfx, al->cshift, sfx, al->refl,
                    sfx, al->sign);
        }
    /* the order parameters at the simulation's last snapshot */
    for (size_t a = 0; a < M; a++)
        for (size_t j = 0; j < CMPP_NOBS; j++) {
            size_t last = res[0].n - 1;
            snprintf(key, sizeof key, "%s_theory_mu%zu", cmpp_obs_name(j), a);
            traj_summary_num(fp, key, res[0].oth[(last * M + a) * CMPP_NOBS + j]);
            for (size_t k = 0; k < nsim; k++)
                x[k] = res[k].osim[((res[k].n - 1) * M + a) * CMPP_NOBS + j];
            snprintf(key, sizeof key, "%s_sim_mu%zu", cmpp_obs_name(j), a);
            stat(fp, key, x, nsim);
            for (size_t k = 0; k < nsim; k++) {
                size_t l = (res[k].n - 1) * M + a;
                x[k] = cmpp_circ_diff(res[k].osim[l * CMPP_NOBS + j], res[k].oth[l * CMPP_NOBS + j], period(th, j));
            }
            snprintf(key, sizeof key, "d%s_final_mu%zu", cmpp_obs_name(j), a);
            stat(fp, key, x, nsim);
        }
    traj_summary_num(fp, "wall_s", wall);
    free(x);
    return SYM_OK;
}

static int inputs_header(traj_header *h, const cmpp_run *th, const cmpp_run *sims, size_t nsim)
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
    const char *beta = traj_header_get(&th->header, "beta");
    st = st ? st : traj_header_set(h, "data", "%s", th->sym->data);
    st = st ? st : traj_header_set(h, "N", "%zu", th->N);
    st = st ? st : traj_header_set(h, "P", "%zu", th->P);
    st = st ? st : traj_header_set(h, "beta", "%s", beta ? beta : "");
    st = st ? st : traj_header_set(h, "M", "%zu", th->M);
    return st;
}

/* At most this many simulation points per curve */
#define PLOT_POINTS 60

static int plot(const char *out, const char *script_opt, size_t nrow, char *err)
{
    char script[SYS_PATH + 32];
    int st = report_find_script(script_opt, "overlay_potts.gp", script, sizeof script, err);
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

int report_potts_run(const report_config *c, const char *theory, const char *const *sims_dir, size_t nsim,
                     traj_header *h, const char *out, char *err)
{
    double t0 = sys_now();
    cmpp_run th;
    cmpp_run *sims = calloc(nsim, sizeof *sims);
    cmpp_result *res = calloc(nsim, sizeof *res);
    cmpp_ws *ws = NULL;
    run_files rf = {0};
    size_t nl = 0, nd = 0;
    memset(&th, 0, sizeof th);
    int st = !sims || !res ? sym_error(err, SYM_ENOMEM, "out of memory") : SYM_OK;
    if (!st && c->mu_given)
        st = sym_error(err, SYM_EINVAL, "--mu: Potts runs are compared unit by unit after matching; "
                       "--mu is for +-1 runs");
    if (st || (st = cmpp_run_load(&th, theory, err)))
        goto done;
    for (; nl < nsim; nl++)
        if ((st = cmpp_run_load(&sims[nl], sims_dir[nl], err)))
            goto done;
    if (!(ws = cmpp_ws_alloc(th.N, th.P))) {
        st = sym_error(err, SYM_ENOMEM, "out of memory (N = %zu, P = %zu)", th.N, th.P);
        goto done;
    }
    for (; nd < nsim; nd++)
        if ((st = cmpp_compare(ws, &th, &sims[nd], &res[nd], err)))
            goto done;
    if (inputs_header(h, &th, sims, nsim)) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = run_files_init(&rf, out, err)) || (st = write_compare(&rf, h, &th, res, nsim, err)) ||
        (st = write_overlay(&rf, h, &th, sims, res, nsim, err)) ||
        (st = write_summary(&rf, h, &th, res, nsim, sys_now() - t0, err)) || (st = run_files_commit(&rf, err)))
        goto done;
    if (c->plot)
        st = plot(out, c->plot_script, sims[0].n * sims[0].M, err);
done:
    run_files_abort(&rf);
    for (size_t k = 0; k < nd; k++)
        cmpp_result_free(&res[k]);
    for (size_t k = 0; k < nl; k++)
        cmpp_run_free(&sims[k]);
    if (th.dir)
        cmpp_run_free(&th);
    cmpp_ws_free(ws);
    free(sims);
    free(res);
    return st;
}
