/* run (theory): theory_run (theory/run.h). */
#include "theory/run.h"
#include "theory/flow_spin.h"
#include "theory/run_potts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/rng.h"
#include "core/run.h"
#include "core/team.h"
#include "core/size.h"
#include "core/snap.h"
#include "core/sys.h"

/* The hidden-unit kinds with an exact infinite-data flow (SPEC.md 3). */
static const flow_family *const families[] = {&flow_family_gaussian, &flow_family_spin, NULL};

const char *theory_family_names(void)
{
    return "gaussian|spin";
}

int theory_family_find(const char *name, const flow_family **f, char *err)
{
    for (size_t k = 0; families[k]; k++)
        if (name && !strcmp(name, families[k]->name)) {
            *f = families[k];
            return SYM_OK;
        }
    return sym_error(err, SYM_EINVAL, "hidden = %s: theory has gaussian or spin hidden units",
                     name ? name : "(null)");
}

void theory_config_default(theory_config *c)
{
    *c = (theory_config){.family = &flow_family_gaussian, .M = 1, .seed = 1, .init_scale = 0.01, .T = 40.0, .snapshots = 200,
                         .linear = 0, .learn_fields = 0, .l2 = 0.0, .rtol = 1e-8,
                         .atol = 1e-10, .method = FLOW_BDF, .weights = THEORY_W_ALL,
                         .threads = 1};
    restore_config_default(&c->rc);
    c->landscape_points = 1600;
}

int theory_config_check(const theory_config *c, char *err)
{
    if (!(c->T > 0) || !isfinite(c->T))
        return sym_error(err, SYM_EINVAL, "T = %g: need 0 < T < infinity", c->T);
    if (c->snapshots < 1)
        return sym_error(err, SYM_EINVAL, "snapshots = 0: need at least 1");
    if (c->threads < 1 || c->threads > TEAM_MAX)
        return sym_error(err, SYM_EINVAL, "threads = %zu: need 1 <= threads <= %d", c->threads,
                         TEAM_MAX);
    if (c->snapshots > SNAP_MAX)
        return sym_error(err, SYM_EINVAL, "snapshots = %zu: at most %d", c->snapshots,
                         (int)SNAP_MAX);
    /* the family checks its own limit (gaussian: M = 1) in flow_alloc_units */
    if (c->M < 1 || c->M > FLOW_SPIN_M_MAX)
        return sym_error(err, SYM_EINVAL, "M = %zu: need 1 <= M <= %d", c->M, FLOW_SPIN_M_MAX);
    if (!(c->init_scale > 0) || !isfinite(c->init_scale))
        return sym_error(err, SYM_EINVAL, "init-scale = %g: need s0 > 0", c->init_scale);
    /* rtol, atol and l2 are the flow's own parameters: flow_alloc checks them */
    if (c->restore || c->attractor || c->landscape_B) {
        if (c->M != 1)
            return sym_error(err, SYM_EINVAL, "M = %zu: restoration predictions need M = 1", c->M);
        if (c->learn_fields)
            return sym_error(err, SYM_EINVAL,
                             "fields learned: restoration predictions need fixed fields");
        if (c->landscape_B && c->landscape_points < 1)
            return sym_error(err, SYM_EINVAL, "landscape points = 0: need at least 1");
        return restore_check(&c->rc, err);
    }
    return SYM_OK;
}

static void write_spectrum(FILE *fp, const ring_model *m, double l2)
{
    fprintf(fp, "k\tlambda\trate\n");
    for (size_t k = 0; k < m->N; k++) {
        fprintf(fp, "%zu\t", k);
        traj_put(fp, m->lambda[k]);
        fputc('\t', fp);
        /* linear regime: m(w) ≈ w, so mode k grows at lambda_k - 1 - l2 */
        traj_put(fp, m->lambda[k] - 1.0 - l2);
        fputc('\n', fp);
    }
}

/* xy (Potts units, SPEC.md 9), `theory --spectrum`: spectrum.tsv with
 * columns `k p lambda rate`, rate = lambda_{k,p} - 1/P - l2 (the model term
 * of a uniform Potts layer is w/P in the zero-sum gauge).  The top
 * eigenvalue, raw and over the one-hot variance (1/P)(1 - 1/P) (the
 * paper's Lambda_XY), and the entropy per site go into the header.  h
 * already holds the run stamp and the model's keys. */
static int potts_spectrum_run(const theory_config *c, const ring_model *m, traj_header *h, const char *out,
                              char *err)
{
    size_t N = m->N, P = m->P;
    double *lam = malloc(sizeof(double) * N * P);
    if (!lam)
        return sym_error(err, SYM_ENOMEM, "out of memory (N = %zu, P = %zu)", N, P);
    int st = theory_potts_spectrum(m, h, lam, err);
    run_files rf;
    FILE *fp;
    if (!st && !(st = run_files_init(&rf, out, err))) {
        if (!(st = run_files_open(&rf, "spectrum.tsv", h, &fp, err))) {
            theory_potts_spectrum_write(fp, lam, N, P, c->l2);
            st = run_files_commit(&rf, err);
        }
        run_files_abort(&rf);
    }
    free(lam);
    return st;
}


/* What the landscape adds to summary.tsv. */
typedef struct {
    double T_eff, spread, ratio, deff, b_uniform;
} land_out;

/* Symmetry restoration at the final profile w (theory_config: restore,
 * attractor, landscape_B): restore_at, then attractor.tsv and
 * landscape.tsv into the run's file set. */
static int restoration(const theory_config *c, const ring_model *m, const double *w,
                       run_files *rf, const traj_header *h, restore_result *rr, land_out *lo,
                       char *err)
{
    size_t N = m->N;
    restore_config rc = c->rc;
    unit_params_default(&rc.unit, c->family == &flow_family_spin ? &unit_spin : &unit_gaussian);
    rc.seed = c->seed;
    rc.T_fix = c->T;
    int st = restore_at(&rc, m, w, rr, err);
    if (st)
        return sym_context(err, st, "restoration");
    FILE *fp;
    if (c->attractor) {
        size_t n = rc.attractor_points;
        double *X = malloc(n * sizeof *X), *L = malloc(n * sizeof *L), sp, lam;
        if (!X || !L)
            st = sym_error(err, SYM_ENOMEM, "out of memory");
        if (!st)
            st = restore_attractor(m, &rc.unit, w, n, X, L, &sp, &lam, NULL, err);
        if (!st)
            st = run_files_open(rf, "attractor.tsv", h, &fp, err);
        if (!st) {
            fprintf(fp, "X\tL\n");
            for (size_t j = 0; j < n; j++) {
                traj_put(fp, X[j]);
                fputc('\t', fp);
                traj_put(fp, L[j]);
                fputc('\n', fp);
            }
        }
        free(X);
        free(L);
        if (st)
            return st;
    }
    if (c->landscape_B) {
        size_t B = c->landscape_B, n = c->landscape_points, nb;
        if ((st = sym_alloc_check(B, N, 1, "landscape samples B*N", &nb, err)))
            return st;
        int8_t *v = malloc(nb);
        double *X = malloc(n * sizeof *X), *LB = malloc(n * sizeof *LB), *P = malloc(n * sizeof *P);
        gsl_rng *rd = rng_alloc(c->seed, RNG_STREAM_DATA);
        if (!v || !X || !LB || !P || !rd)
            st = sym_error(err, SYM_ENOMEM, "out of memory for %zu samples of N = %zu", B, N);
        if (!st)
            st = ring_sample(m, rd, B, v, err);
        lo->T_eff = rc.lr * rr->eSe / (2.0 * (double)rc.batch);
        if (!st)
            st = restore_landscape(m, &rc.unit, w, v, B, n, lo->T_eff, X, LB, P, &lo->deff,
                                   &lo->ratio, err);
        if (!st)
            st = run_files_open(rf, "landscape.tsv", h, &fp, err);
        if (!st) {
            double mx = -INFINITY, mn = INFINITY;
            fprintf(fp, "X\tL_B\tP\n");
            for (size_t j = 0; j < n; j++) {
                traj_put(fp, X[j]);
                fputc('\t', fp);
                traj_put(fp, LB[j]);
                fputc('\t', fp);
                traj_put(fp, P[j]);
                fputc('\n', fp);
                mx = LB[j] > mx ? LB[j] : mx;
                mn = LB[j] < mn ? LB[j] : mn;
            }
            lo->spread = mx - mn;
            lo->b_uniform = restore_b_uniform(B, lo->spread, lo->T_eff);
        }
        free(v);
        free(X);
        free(LB);
        free(P);
        if (rd)
            gsl_rng_free(rd);
    }
    return st;
}

static void restoration_summary(FILE *fs, const theory_config *c, const restore_result *r,
                                const land_out *lo)
{
    traj_summary_num(fs, "D_pred", r->D);
    traj_summary_num(fs, "D_pred_err", r->D_err);
    traj_summary_num(fs, "D_pred_epoch", r->D_epoch);
    traj_summary_num(fs, "eSe", r->eSe);
    traj_summary_num(fs, "eSe_err", r->eSe_err);
    traj_summary_num(fs, "dwdX2", r->dwdX2);
    traj_summary_num(fs, "nu_over_b", r->nu_over_b);
    traj_summary_num(fs, "D_pcd", r->D_pcd);
    traj_summary_num(fs, "D_pcd_err", r->D_pcd_err);
    traj_summary_num(fs, "D_pcd_epoch", r->D_pcd_epoch);
    traj_summary_num(fs, "tau_int", r->tau_int);
    traj_summary_num(fs, "tau_err", r->tau_err);
    traj_summary_num(fs, "eSme", r->eSme);
    traj_summary_num(fs, "D_total", r->D_total);
    traj_summary_num(fs, "D_total_epoch", r->D_total_epoch);
    traj_summary_num(fs, "pn_spread", r->pn_spread);
    traj_summary_num(fs, "lambda_trans", r->lambda_trans);
    traj_summary_num(fs, "pn_force", r->force);
    traj_summary_num(fs, "fixed_point_resid", r->resid);
    if (c->landscape_B) {
        traj_summary_num(fs, "T_eff", lo->T_eff);
        traj_summary_num(fs, "landscape_spread", lo->spread);
        traj_summary_num(fs, "P_ratio", lo->ratio);
        traj_summary_num(fs, "D_eff_over_D", lo->deff);
        traj_summary_num(fs, "D_eff", lo->deff * r->D);
        traj_summary_num(fs, "B_uniform", lo->b_uniform);
    }
}

int theory_run(const theory_config *c, const ring_model *m, traj_header *h, const char *out,
               double *w_final, theory_result *r, char *err)
{
    int st = theory_config_check(c, err);
    if (st)
        return st;
    if (m->P && !c->spectrum_only)   /* Potts visible units: theory/run_potts.h */
        return theory_run_potts(c, m, h, out, w_final, r, err);
    if (!c->spectrum_only && (st = ring_require_spin(m, "the theory flow", err)))
        return st;
    size_t N = m->N, S = c->snapshots, M = c->M, MN;
    if ((st = sym_alloc_check(M, N, sizeof(double), "M*N weights", &MN, err)))
        return st;
    MN = M * N;
    double t0 = sys_now();
    if (run_stamp(h) || traj_header_set(h, "hidden", "%s", c->family->name) ||
        traj_header_set(h, "M", "%zu", M) ||
        ring_header_set(m, h) || traj_header_set(h, "entropy", "%.17g", m->entropy))
        return sym_error(err, SYM_ENOMEM, "out of memory");
    if (m->P)
        return potts_spectrum_run(c, m, h, out, err);
    run_files rf;
    if ((st = run_files_init(&rf, out, err)))
        return st;
    FILE *fs, *ft = NULL, *fw = NULL, *fsum;
    if ((st = run_files_open(&rf, "spectrum.tsv", h, &fs, err)))
        return st;
    write_spectrum(fs, m, c->l2);
    if (c->spectrum_only)
        return run_files_commit(&rf, err);

    double *w = malloc(MN * sizeof *w), *g = calloc(N, sizeof *g);
    double *ts = malloc((S + 1) * sizeof *ts), *Sv = malloc((S + 1) * sizeof *Sv);
    double *Xp = malloc(M * sizeof *Xp);   /* each unit's last X (SPEC.md 4) */
    obs_ws *ow = obs_alloc(N);
    flow *f = NULL;
    obs_values ov = {0}, ov0 = {0};
    double L = NAN, kl = NAN;
    if (!w || !g || !ts || !Sv || !Xp || !ow) {
        st = sym_error(err, SYM_ENOMEM, "out of memory (N = %zu)", N);
        goto done;
    }
    if (rng_init_weights(c->seed, N, M, c->init_scale, w)) {
        st = sym_error(err, SYM_ENOMEM, "out of memory drawing w(0)");
        goto done;
    }
    flow_params fp = {m, c->learn_fields, c->l2, c->rtol, c->atol, c->method, c->family,
                      c->threads};
    flow_hidden hu = {M, NULL};
    if ((st = flow_alloc_units(&f, &fp, &hu, w, NULL, err)))
        goto done;
    if (flow_units(f) != M) {
        st = sym_error(err, SYM_EINVAL, "M = %zu: %s hidden units come %zu at a time in theory",
                       M, c->family->name, flow_units(f));
        goto done;
    }
    snap_times(c->T, S, c->linear, ts);
    if ((st = run_files_open(&rf, "trajectory.tsv", h, &ft, err)))
        goto done;
    traj_obs_columns(ft);
    if (c->weights != THEORY_W_NONE) {
        if ((st = run_files_open(&rf, "weights.tsv", h, &fw, err)))
            goto done;
        traj_weights_columns(fw, N);
    }
    for (size_t j = 0; j <= S; j++) {
        if ((st = flow_advance(f, ts[j], err)))
            goto done;
        flow_state(f, w, g);
        if ((st = flow_loglik(f, w, c->learn_fields ? g : NULL, &L, err)))
            goto done;
        kl = isfinite(m->entropy) ? (-m->entropy - L) / (double)N : NAN;
        for (size_t mu = 0; mu < M; mu++) {
            obs_compute(ow, m->type, w + mu * N, &ov);
            ov.X = Xp[mu] = obs_unwrap(j ? Xp[mu] : NAN, ov.center, N);
            if (mu == 0)
                ov0 = ov;
            traj_obs_row(ft, ts[j], mu, L, kl, &ov);
            if (fw && (c->weights == THEORY_W_ALL || j == 0 || j == S))
                traj_weights_row(fw, ts[j], mu, w + mu * N, N);
        }
        ov = ov0;
        Sv[j] = ov.S;
        if (c->progress)
            fprintf(stderr, "\rtheory: t = %-10.4g of %g  R = %.4f  norm2 = %.5g   ", ts[j], c->T,
                    ov.R, ov.norm2);
    }
    if (c->progress)
        fputc('\n', stderr);

    restore_result rr;
    land_out lo = {0};
    if ((c->restore || c->attractor || c->landscape_B) &&
        (st = restoration(c, m, w, &rf, h, &rr, &lo, err)))
        goto done;

    theory_result res = {.final = ov, .loglik = L, .kl = kl, .t_sb = obs_t_sb(ts, Sv, S + 1),
                         .broken = ov.S > OBS_BROKEN_S};
    flow_stats(f, &res.fc);
    if ((st = run_files_open(&rf, "summary.tsv", h, &fsum, err)))
        goto done;
    res.wall_s = sys_now() - t0;
    traj_summary_num(fsum, "norm2", ov.norm2);
    traj_summary_num(fsum, "pr", ov.pr);
    traj_summary_num(fsum, "R", ov.R);
    traj_summary_num(fsum, "S", ov.S);
    traj_summary_num(fsum, "center", ov.center);
    traj_summary_num(fsum, "loglik", L);
    traj_summary_num(fsum, "kl", kl);
    traj_summary_num(fsum, "t_sb", res.t_sb);
    traj_summary_num(fsum, "wall_s", res.wall_s);
    traj_summary_num(fsum, "n_rhs", (double)res.fc.rhs);
    traj_summary_num(fsum, "n_steps", (double)res.fc.steps);
    traj_summary_num(fsum, "n_newton", (double)res.fc.newton);
    traj_summary_num(fsum, "n_krylov", (double)res.fc.krylov);
    traj_summary_num(fsum, "n_jacobian", (double)res.fc.psetups);
    traj_summary_str(fsum, "phase", res.broken ? "broken" : "symmetric");
    traj_summary_num(fsum, "fwhm", obs_fwhm(w, N));   /* unit 0, as the keys above */
    if (c->restore || c->attractor || c->landscape_B)
        restoration_summary(fsum, c, &rr, &lo);
    if ((st = run_files_commit(&rf, err)))
        goto done;
    if (w_final)
        memcpy(w_final, w, MN * sizeof *w);
    if (r)
        *r = res;
done:
    run_files_abort(&rf);
    flow_free(f);
    obs_free(ow);
    free(w);
    free(g);
    free(ts);
    free(Sv);
    free(Xp);
    return st;
}
