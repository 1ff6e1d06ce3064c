/* report: the compare experiment (compare/report.h). */
#include "compare/report.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare/cmp.h"
#include "compare/report_potts.h"
#include "core/err.h"
#include "core/ring.h"
#include "core/run.h"
#include "core/sys.h"

/* overlay data: the a_k plotted (a_0 .. a_4) */
#define PLOT_NA 5

/* The plot script: --plot-script, else $SYMRBM_FIGURES/overlay.gp, else
 * figures/overlay.gp below the working directory, else next to the binary
 * (BIN/../figures/overlay.gp, the layout of a build directory). */
static int find_script_named(const char *given, const char *name, char *path, size_t cap, char *err);

static int find_script(const char *given, char *path, size_t cap, char *err)
{
    return find_script_named(given, "overlay.gp", path, cap, err);
}

int report_find_script(const char *given, const char *name, char *path, size_t cap, char *err)
{
    return find_script_named(given, name, path, cap, err);
}

static int find_script_named(const char *given, const char *name, char *path, size_t cap, char *err)
{
    if (given) {
        snprintf(path, cap, "%s", given);
        if (access(path, R_OK) == 0)
            return SYM_OK;
        return sym_error(err, SYM_EINVAL, "plot script %s: cannot read it", given);
    }
    const char *env = getenv("SYMRBM_FIGURES");
    if (env && *env) {
        snprintf(path, cap, "%s/%s", env, name);
        if (access(path, R_OK) == 0)
            return SYM_OK;
    }
    snprintf(path, cap, "figures/%s", name);
    if (access(path, R_OK) == 0)
        return SYM_OK;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(path, cap, "%s/../figures/%s", exe, name);
            if (access(path, R_OK) == 0)
                return SYM_OK;
        }
    }
    return sym_error(err, SYM_EINVAL,
                     "cannot find figures/%s (give a plot script, set SYMRBM_FIGURES, or draw no plot)", name);
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

/* compare.tsv with several units: one row per simulation, snapshot and
 * simulated unit mu, with its theory partner mu_theory (SPEC.md 5's one row
 * per snapshot and hidden unit). */
static int write_compare_units(run_files *rf, const traj_header *h, const cmp_result_units *res,
                               size_t nsim, char *err)
{
    traj_file f;
    int st = run_files_open(rf, "compare.tsv", h, &f.fp, err);
    if (st)
        return st;
    fputs("sim\tt\tmu\tmu_theory\tQ", f.fp);
    for (size_t j = 0; j < CMP_NOBS; j++)
        fprintf(f.fp, "\td%s", cmp_obs_name(j));
    fputc('\n', f.fp);
    for (size_t k = 0; k < nsim; k++)
        for (size_t s = 0; s < res[k].unit[0].n; s++)
            for (size_t a = 0; a < res[k].M; a++) {
                const cmp_result *r = &res[k].unit[a];
                if (s >= r->n)
                    continue;
                fprintf(f.fp, "%zu\t", k + 1);
                traj_put(f.fp, r->t[s]);
                fprintf(f.fp, "\t%zu\t%zu\t", a, res[k].match[a]);
                traj_put(f.fp, r->Q[s]);
                for (size_t j = 0; j < CMP_NOBS; j++) {
                    fputc('\t', f.fp);
                    traj_put(f.fp, r->d[s * CMP_NOBS + j]);
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

/* The final scores of one simulation, from either comparison. */
typedef struct {
    double Q_final, dR_max, dR_final, t_sb_theory, t_sb_sim;
} score;

static score score_of(const cmp_result *r)
{
    score c = {r->Q_final, r->dR_max, r->dR_final, r->t_sb_theory, r->t_sb_sim};
    return c;
}

/* Several units: Q_final the mean matched Q; dR_max over every unit;
 * dR_final the unit's of largest magnitude; t_sb the mean over units (nan
 * when a unit has none). */
static score score_units(const cmp_result_units *r)
{
    score c = {r->Q_final, NAN, 0, 0, 0};
    for (size_t a = 0; a < r->M; a++) {
        const cmp_result *u = &r->unit[a];
        if (isfinite(u->dR_max) && !(u->dR_max <= c.dR_max))
            c.dR_max = u->dR_max;
        double d = u->dR_final;
        if (a == 0 || isnan(d) || (!isnan(c.dR_final) && fabs(d) > fabs(c.dR_final)))
            c.dR_final = d;   /* a nan, once taken, stays */
        c.t_sb_theory += u->t_sb_theory / (double)r->M;
        c.t_sb_sim += u->t_sb_sim / (double)r->M;
    }
    return c;
}

/* The keys of several units (after the common ones): per-unit final Q and
 * matching, the centre separations of theory and sim, the matching time. */
static void summary_units(FILE *fp, const cmp_result_units *ru, size_t nsim, double *x)
{
    char key[64];
    size_t M = ru[0].M;
    for (size_t a = 0; a < M; a++) {
        snprintf(key, sizeof key, "Q_final_mu%zu", a);
        for (size_t k = 0; k < nsim; k++)
            x[k] = ru[k].unit[a].Q_final;
        summary_stat(fp, key, x, nsim);
    }
    /* a matching is a label, not a quantity: per simulation, no mean */
    for (size_t a = 0; a < M; a++)
        for (size_t k = 0; k < nsim; k++) {
            if (nsim == 1)
                snprintf(key, sizeof key, "match_mu%zu", a);
            else
                snprintf(key, sizeof key, "match_mu%zu_%zu", a, k + 1);
            fprintf(fp, "%s\t%zu\n", key, ru[k].match[a]);
        }
    for (size_t a = 0; a < M; a++) {
        snprintf(key, sizeof key, "sep_theory_%zu", a);
        traj_summary_num(fp, key, ru[0].sep_theory[a]);
    }
    for (size_t a = 0; a < M; a++) {
        snprintf(key, sizeof key, "sep_sim_%zu", a);
        for (size_t k = 0; k < nsim; k++)
            x[k] = ru[k].sep_sim[a];
        summary_stat(fp, key, x, nsim);
    }
    for (size_t k = 0; k < nsim; k++)
        x[k] = ru[k].t_match;
    summary_stat(fp, "t_match", x, nsim);
}

/* res (one unit) or ru (several units): exactly one is non-NULL. */
static int write_summary(run_files *rf, const traj_header *h, const cmp_result *res,
                         const cmp_result_units *ru, size_t nsim, double wall, char *err)
{
    double *x = malloc(nsim * sizeof *x);
    score *c = calloc(nsim ? nsim : 1, sizeof *c);
    if (!x || !c) {
        free(x);
        free(c);
        return sym_error(err, SYM_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < nsim; k++)
        c[k] = res ? score_of(&res[k]) : score_units(&ru[k]);
    traj_file f;
    int st = run_files_open(rf, "summary.tsv", h, &f.fp, err);
    if (st) {
        free(x);
        free(c);
        return st;
    }
    for (size_t k = 0; k < nsim; k++)
        x[k] = c[k].Q_final;
    summary_stat(f.fp, "Q_final", x, nsim);
    for (size_t k = 0; k < nsim; k++)
        x[k] = c[k].dR_max;
    summary_stat(f.fp, "dR_max", x, nsim);
    for (size_t k = 0; k < nsim; k++)
        x[k] = c[k].dR_final;
    summary_stat(f.fp, "dR_final", x, nsim);
    traj_summary_num(f.fp, "t_sb_theory", c[0].t_sb_theory);
    for (size_t k = 0; k < nsim; k++)
        x[k] = c[k].t_sb_sim;
    summary_stat(f.fp, "t_sb_sim", x, nsim);
    /* relative t_sb difference, the "within 25%" */
    for (size_t k = 0; k < nsim; k++)
        x[k] = c[k].t_sb_sim / c[k].t_sb_theory - 1;
    summary_stat(f.fp, "t_sb_rel", x, nsim);
    if (ru)
        summary_units(f.fp, ru, nsim, x);
    traj_summary_num(f.fp, "wall_s", wall);
    free(x);
    free(c);
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
    if (ring_params_require_spin(&p, "compare", err))
        return SYM_EINVAL;
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

static int report_one(const report_config *c, const char *theory, const char *const *sims_dir,
                      size_t nsim, traj_header *h, const char *out, char *err);

/* Several units on both sides (SPEC.md 4): every unit of the theory and of
 * each simulation, matched (compare/cmp.h).  The overlay files show unit 0
 * of each simulation and the theory unit matched to unit 0 of the first. */
static int report_units(const report_config *c, cmp_units *th, cmp_units *sims, size_t nsim,
                        traj_header *h, const char *out, double t0, char *err)
{
    cmp_result_units *ru = calloc(nsim, sizeof *ru);
    cmp_run *s0 = malloc(nsim * sizeof *s0);
    cmp_result *r0 = malloc(nsim * sizeof *r0);
    ring_model *rm = NULL;
    obs_ws *ws = NULL;
    run_files rf = {0};
    size_t ndone = 0;
    int st = !ru || !s0 || !r0 ? sym_error(err, SYM_ENOMEM, "out of memory") : SYM_OK;
    for (size_t k = 0; !st && k < nsim; k++)
        st = cmp_check_match(&th->unit[0], &sims[k].unit[0], err);
    if (st || (st = model_of(&th->unit[0], &rm, err)))
        goto done;
    if (!(ws = obs_alloc(th->unit[0].N))) {
        st = sym_error(err, SYM_ENOMEM, "out of memory (N = %zu)", th->unit[0].N);
        goto done;
    }
    for (; ndone < nsim; ndone++)
        if ((st = cmp_compare_units(ws, th, &sims[ndone], &ru[ndone], err)))
            goto done;
    for (size_t k = 0; k < nsim; k++) {
        s0[k] = sims[k].unit[0];   /* shallow views: freed with sims */
        r0[k] = ru[k].unit[0];
    }
    /* the inputs header names the run directories: one unit of each is enough */
    if (inputs_header(h, &th->unit[0], s0, nsim, rm) || traj_header_set(h, "M", "%zu", th->M)) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = run_files_init(&rf, out, err)) || (st = write_compare_units(&rf, h, ru, nsim, err)) ||
        (st = write_overlay(&rf, h, &th->unit[ru[0].match[0]], s0, r0, nsim, err)) ||
        (st = write_summary(&rf, h, NULL, ru, nsim, sys_now() - t0, err)) ||
        (st = run_files_commit(&rf, err)))
        goto done;
    if (c->plot)
        st = plot(out, c->plot_script, s0[0].n, err);
done:
    run_files_abort(&rf);
    for (size_t k = 0; ru && k < ndone; k++)
        cmp_result_units_free(&ru[k]);
    obs_free(ws);
    ring_free(rm);
    free(ru);
    free(s0);
    free(r0);
    return st;
}

/* Whether to match units: --mu not given and at least two units in the
 * theory and in the first simulation.  On yes, th and sims hold every unit
 * of every run (*yes = 1); on no, nothing is kept and the one-unit
 * comparison runs as it always did. */
static int units_mode(const report_config *c, const char *theory, const char *const *sims_dir,
                      size_t nsim, cmp_units *th, cmp_units *sims, int *yes, char *err)
{
    *yes = 0;
    if (c->mu_given)
        return SYM_OK;
    int st = cmp_units_load(th, theory, err);
    if (st)
        return st;
    if (th->M < 2) {
        cmp_units_free(th);
        return SYM_OK;
    }
    if ((st = cmp_units_load(&sims[0], sims_dir[0], err))) {
        cmp_units_free(th);
        return st;
    }
    if (sims[0].M < 2) {
        cmp_units_free(&sims[0]);
        cmp_units_free(th);
        return SYM_OK;
    }
    for (size_t k = 1; k < nsim && !st; k++)
        st = cmp_units_load(&sims[k], sims_dir[k], err);
    if (st) {
        for (size_t k = 0; k < nsim; k++)
            cmp_units_free(&sims[k]);
        cmp_units_free(th);
        return st;
    }
    *yes = 1;
    return SYM_OK;
}

int report_run(const report_config *c, const char *theory, const char *const *sims_dir,
               size_t nsim, traj_header *h, const char *out, char *err)
{
    if (nsim < 1)
        return sym_error(err, SYM_EINVAL, "need at least one simulation");
    int potts = 0;
    report_potts_detect(theory, &potts);   /* Potts visible units: SPEC 9 */
    if (potts)
        return report_potts_run(c, theory, sims_dir, nsim, h, out, err);
    for (size_t k = 0; k < nsim; k++) {
        report_potts_detect(sims_dir[k], &potts);
        if (potts)
            return sym_error(err, SYM_EINVAL, "%s has Potts visible units (data xy) but theory %s has "
                             "+-1 units: compare a Potts theory run with it", sims_dir[k], theory);
    }
    {
        double t0 = sys_now();
        cmp_units thu, *simu = calloc(nsim, sizeof *simu);
        int yes = 0;
        memset(&thu, 0, sizeof thu);
        int st = simu ? units_mode(c, theory, sims_dir, nsim, &thu, simu, &yes, err)
                      : sym_error(err, SYM_ENOMEM, "out of memory");
        if (!st && yes) {
            st = report_units(c, &thu, simu, nsim, h, out, t0, err);
            for (size_t k = 0; k < nsim; k++)
                cmp_units_free(&simu[k]);
            cmp_units_free(&thu);
        }
        free(simu);
        if (st || yes)
            return st;
    }
    return report_one(c, theory, sims_dir, nsim, h, out, err);
}

/* One unit of each simulation (c->mu) against the theory's unit 0. */
static int report_one(const report_config *c, const char *theory, const char *const *sims_dir,
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
        (st = write_summary(&rf, h, res, NULL, nsim, sys_now() - t0, err)) ||
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
