/* potts_run: sim_potts_draw and sim_potts_run (sim/potts_run.h). */
#include "sim/potts_run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/obs.h"
#include "core/obs_potts.h"
#include "core/rng.h"
#include "core/run.h"
#include "core/size.h"
#include "core/snap.h"
#include "core/sys.h"
#include "compare/cmp_potts.h"   /* --theory: the Potts overlap Q */
#include "sim/potts.h"

int sim_potts_draw(const ring_model *m, uint64_t seed, size_t B, size_t B_test, int8_t **v,
                   int8_t **vtest, char *err)
{
    *v = *vtest = NULL;
    if (B < 1)
        return sym_error(err, SYM_EINVAL, "B = 0: need at least one sample");
    size_t n, nt = 0;
    int st = sym_alloc_check(B, m->N, 1, "B*N training samples", &n, err);
    if (!st && B_test)
        st = sym_alloc_check(B_test, m->N, 1, "B_test*N test samples", &nt, err);
    if (st)
        return st;
    *v = malloc(n);
    *vtest = B_test ? malloc(nt) : NULL;
    gsl_rng *rd = rng_alloc(seed, RNG_STREAM_DATA), *rt = rng_alloc(seed, RNG_STREAM_TEST);
    st = !*v || (B_test && !*vtest) || !rd || !rt ? sym_error(err, SYM_ENOMEM, "out of memory")
                                                  : SYM_OK;
    st = st ? st : ring_sample(m, rd, B, *v, err);
    if (!st && B_test)
        st = ring_sample(m, rt, B_test, *vtest, err);
    if (rd)
        gsl_rng_free(rd);
    if (rt)
        gsl_rng_free(rt);
    if (st) {
        free(*v);
        free(*vtest);
        *v = *vtest = NULL;
    }
    return st;
}

typedef struct {
    const sim_config *c;
    const potts_config *pc;
    size_t K;
    double entropy;
    const int8_t *v;
    size_t B;
    obs_potts_ws *obs;
    FILE *traj, *wts;
    double *t, *S, *X;
    size_t ns;
    double last_ll, last_kl;
} pctx;

static void weights_rows(FILE *fp, double t, size_t mu, const double *w, size_t N, size_t P)
{
    for (size_t c = 0; c < P; c++) {
        traj_put(fp, t);
        fprintf(fp, "\t%zu\t%zu", mu, c);
        for (size_t i = 0; i < N; i++) {
            fputc('\t', fp);
            traj_put(fp, w[i * P + c]);
        }
        fputc('\n', fp);
    }
}

static int snapshot(void *p, size_t k, const double *x, char *err)
{
    pctx *c = p;
    const potts_config *pc = c->pc;
    size_t N = pc->N, P = pc->P, NP = N * P;
    int last = k == c->K;
    double ll = NAN, kl = NAN;
    if (!c->c->loglik_final || last) {
        int st = potts_loglik(pc, x, c->v, c->B, &ll, err);
        if (st)
            return st;
    }
    if (isfinite(ll) && isfinite(c->entropy))
        kl = (-c->entropy - ll) / (double)N;
    double t = pc->lr * (double)k;
    for (size_t mu = 0; mu < pc->M; mu++) {
        obs_potts_values o;
        obs_potts_compute(c->obs, x + mu * NP, &o);
        o.X = c->X[mu] = obs_unwrap(c->X[mu], o.center, N);
        if (c->traj)
            traj_potts_row(c->traj, t, mu, ll, kl, &o);
        if (c->wts && (last || !c->c->weights_final))
            weights_rows(c->wts, t, mu, x + mu * NP, N, P);
        if (mu == 0) {
            c->t[c->ns] = t;
            c->S[c->ns] = o.S;
            c->ns++;
        }
    }
    c->last_ll = ll;
    c->last_kl = kl;
    if (c->c->progress)
        fprintf(stderr, "\rsim: update %zu / %zu", k, c->K);
    return SYM_OK;
}

/* What the Potts trainer does not do, refused up front. */
static int refuse(const sim_config *c, char *err)
{
    const train_config *t = &c->train;
    if (t->sampling != TRAIN_EPOCH)
        return sym_error(err, SYM_EINVAL, "--sampling %s: Potts visible units (data xy) train "
                         "with --sampling epoch only", train_sampling_name(t->sampling));
    if (t->gibbs != TRAIN_GIBBS_FLOAT)
        return sym_error(err, SYM_EINVAL, "--gibbs bits: +-1 visible units only (data xy has "
                         "Potts units)");
    if (t->estimate != TRAIN_EST_VMEAN)
        return sym_error(err, SYM_EINVAL, "--pcd-estimate h-mean: not available for Potts "
                         "visible units (data xy)");
    if (c->resume)
        return sym_error(err, SYM_EINVAL, "--resume: checkpoints are not written for Potts "
                         "visible units (data xy): rerun without --resume");
    if (!(c->init_scale >= 0) || !isfinite(c->init_scale))
        return sym_error(err, SYM_EINVAL, "init-scale = %g: must be >= 0", c->init_scale);
    if (c->snapshots < 1 || c->snapshots > SNAP_MAX)
        return sym_error(err, SYM_EINVAL, "snapshots = %zu: need 1 .. %d", c->snapshots,
                         (int)SNAP_MAX);
    return SYM_OK;
}

int sim_potts_updates(const sim_config *c, size_t B, size_t *K, char *err)
{
    if (c->epochs) {
        size_t per = c->train.batch == 0 || c->train.batch >= B
                         ? 1 : (B + c->train.batch - 1) / c->train.batch;
        if (!sym_mul_ok(c->epochs, per, K))
            return sym_error(err, SYM_EINVAL, "epochs x updates per epoch overflows");
        return SYM_OK;
    }
    return sim_updates(c, B, K, err);
}

int sim_potts_run(const sim_config *c, int learn_theta, const ring_model *m, const int8_t *v,
                  size_t B, const int8_t *vtest, size_t B_test, traj_header *h, const char *out,
                  sim_potts_result *r, char *err)
{
    double t0 = sys_now();
    int st = refuse(c, err);
    if (st)
        return st;
    if (!m || !m->P)
        return sym_error(err, SYM_EINVAL, "sim_potts_run: needs a data model with Potts units");
    potts_config pc = {m->N, c->train.M, m->P, c->train.unit, c->train.learn_fields, learn_theta,
                       c->train.l2, c->train.term, c->train.chains, c->train.mc_steps,
                       c->train.opt, c->train.lr, c->train.batch};
    if ((st = potts_config_check(&pc, err)))
        return st;
    size_t K, N = pc.N, M = pc.M, P = pc.P, NP = N * P, n = potts_nparam(&pc);
    if ((st = sim_potts_updates(c, B, &K, err)))
        return st;
    size_t nsnap = c->snapshots;
    gsl_rng *rtrain = rng_alloc(c->seed, RNG_STREAM_TRAIN);
    double *x = malloc(n * sizeof *x);
    size_t *snap = malloc((nsnap + 2) * sizeof *snap);
    double *tt = malloc((nsnap + 2) * sizeof *tt), *SS = malloc((nsnap + 2) * sizeof *SS);
    double *Xp = malloc(M * sizeof *Xp), *cen = malloc(2 * M * sizeof *cen);
    double *sites = malloc(4 * NP * sizeof *sites);
    size_t *qperm = malloc(M * sizeof *qperm);   /* --theory: the matching */
    double *qmu = malloc(M * sizeof *qmu);
    obs_potts_ws *obs = obs_potts_alloc(N, P);
    potts_ws *ws = NULL;
    run_files rf = {0};
    pctx ctx = {0};
    if (!rtrain || !x || !snap || !tt || !SS || !Xp || !cen || !sites || !obs || !qperm || !qmu) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = potts_init(&pc, c->seed, c->init_scale, x, err)) ||
        (st = potts_alloc(&ws, &pc, v, B, rtrain, err)))
        goto done;
    size_t ns = train_snapshots(K, pc.lr, nsnap, c->linear, tt, snap);
    const char *ex = potts_exact_name(&pc);
    if (run_stamp(h) || traj_header_set(h, "N", "%zu", N) || ring_header_set(m, h) ||
        traj_header_set(h, "B", "%zu", B) || traj_header_set(h, "updates", "%zu", K) ||
        /* by epochs, the learning time is lr x updates (as sim/run.c) */
        (c->epochs && traj_header_set(h, "T", "%.17g", pc.lr * (double)K)) ||
        traj_header_set(h, "clock", "t = lr x updates") ||
        traj_header_set(h, "visible", "potts") ||
        traj_header_set(h, "gauge", "zero-sum (w and g; w(0) and every gradient projected)") ||
        traj_header_set(h, "hidden-fields", "%s", learn_theta ? "learn" :
                        "fixed (the zero-sum gauge is then a restriction of the model, SPEC 9)") ||
        traj_header_set(h, "loglik-method", "%s", ex ? ex : "none (nan)") ||
        traj_header_set(h, "checkpoints", "none (Potts visible units)") ||
        traj_header_set(h, "loglik-rows", "%s", c->loglik_final ? "final" : "all") ||
        traj_header_set(h, "weights-rows", "%s", c->weights_final ? "final" : "all")) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t mu = 0; mu < M; mu++)
        Xp[mu] = NAN;
    ctx = (pctx){c, &pc, K, m->entropy, v, B, obs, NULL, NULL, tt, SS, Xp, 0, NAN, NAN};
    if (out) {
        if ((st = run_files_init(&rf, out, err)) ||
            (st = run_files_open(&rf, "trajectory.tsv", h, &ctx.traj, err)) ||
            (st = run_files_open(&rf, "weights.tsv", h, &ctx.wts, err)))
            goto done;
        traj_potts_columns(ctx.traj);
        fputs("t\tmu\tc", ctx.wts);
        for (size_t i = 0; i < N; i++)
            fprintf(ctx.wts, "\tw_%zu", i);
        fputc('\n', ctx.wts);
    }
    if ((st = potts_run(ws, K, snap, ns, x, rtrain, snapshot, &ctx, err)))
        goto done;
    if (c->progress)
        fprintf(stderr, "\n");
    sim_potts_result res = {.loglik = ctx.last_ll, .kl = ctx.last_kl, .loglik_test = NAN,
                            .updates = K, .Q_theory = NAN};
    /* --theory: Q of the final profiles against the theory's at t = lr K */
    for (size_t mu = 0; mu < M; mu++)
        qmu[mu] = NAN;
    if (c->theory_w) {
        const cmp_potts_sym *sym = cmp_potts_sym_find(m->type->name);
        cmpp_ws *qws = cmpp_ws_alloc(N, P);
        if (!qws) {
            st = sym_error(err, SYM_ENOMEM, "out of memory");
            goto done;
        }
        res.Q_theory = cmpp_match(qws, sym, x, c->theory_w, M, qperm, qmu);
        cmpp_ws_free(qws);
    }
    if (vtest && B_test && (st = potts_loglik(&pc, x, vtest, B_test, &res.loglik_test, err)))
        goto done;
    obs_potts_compute(obs, x, &res.final);
    res.ang_frac = sim_potts_ang_frac(obs, x, N, P, sites);
    res.t_sb = obs_t_sb(tt, SS, ctx.ns);
    res.wall_s = sys_now() - t0;
    if (out) {
        FILE *fs, *fsite, *fsp;
        if ((st = run_files_open(&rf, "sites.tsv", h, &fsite, err)) ||
            (st = run_files_open(&rf, "wspatial.tsv", h, &fsp, err)) ||
            (st = run_files_open(&rf, "summary.tsv", h, &fs, err)))
            goto done;
        fputs("mu\ti\tA\tphi\tW_ang\ts\n", fsite);
        fputs("mu\tc\tW_spat\n", fsp);
        double *A = sites, *phi = sites + N, *wang = sites + 2 * N, *wsp = sites + 3 * N;
        for (size_t mu = 0; mu < M; mu++) {
            const double *w = x + mu * NP;
            obs_potts_sites(obs, w, A, phi, wang, wsp);
            for (size_t i = 0; i < N; i++) {
                double s = 0;
                for (size_t q = 0; q < P; q++)
                    s += w[i * P + q] * w[i * P + q];
                fprintf(fsite, "%zu\t%zu\t", mu, i);
                const double row[] = {A[i], phi[i], wang[i], s};
                for (size_t k = 0; k < 4; k++) {
                    traj_put(fsite, row[k]);
                    fputc(k < 3 ? '\t' : '\n', fsite);
                }
            }
            for (size_t q = 0; q < P; q++) {
                fprintf(fsp, "%zu\t%zu\t", mu, q);
                traj_put(fsp, wsp[q]);
                fputc('\n', fsp);
            }
        }
        const obs_potts_values *o = &res.final;
        traj_summary_num(fs, "norm2", o->norm2);
        traj_summary_num(fs, "pr", o->pr);
        traj_summary_num(fs, "R", o->R);
        traj_summary_num(fs, "S", o->S);
        traj_summary_num(fs, "center", o->center);
        traj_summary_num(fs, "loglik", res.loglik);
        traj_summary_num(fs, "kl", res.kl);
        traj_summary_num(fs, "t_sb", res.t_sb);
        traj_summary_num(fs, "wall_s", res.wall_s);
        traj_summary_num(fs, "loglik_test", res.loglik_test);
        traj_summary_num(fs, "updates", (double)K);
        traj_summary_num(fs, "S_ang", o->S_ang);
        traj_summary_num(fs, "phase", o->phase);
        if (c->theory_w) {
            traj_summary_num(fs, "Q_theory", res.Q_theory);
            for (size_t mu = 0; M >= 2 && mu < M; mu++) {
                char key[64];
                snprintf(key, sizeof key, "Q_theory_mu%zu", mu);
                traj_summary_num(fs, key, qmu[mu]);
                fprintf(fs, "theory_match_mu%zu\t%zu\n", mu, qperm[mu]);
            }
        }
        /* per unit, then the separations of SPEC 4 and 9 (M >= 2) */
        for (size_t mu = 0; mu < M; mu++) {
            obs_potts_values om;
            obs_potts_compute(obs, x + mu * NP, &om);
            char key[64];
            const char *names[] = {"norm2", "R", "center", "S_ang", "phase"};
            const double vals[] = {om.norm2, om.R, om.center, om.S_ang, om.phase};
            for (size_t k = 0; k < 5; k++) {
                snprintf(key, sizeof key, "%s_%zu", names[k], mu);
                traj_summary_num(fs, key, vals[k]);
            }
            snprintf(key, sizeof key, "theta_%zu", mu);
            traj_summary_num(fs, key, pc.unit.theta_p - x[M * NP + NP + mu]);
            cen[mu] = om.center;
            cen[M + mu] = om.phase;
        }
        if (M >= 2) {
            double *sc = malloc(2 * M * sizeof *sc);
            if (!sc) {
                st = sym_error(err, SYM_ENOMEM, "out of memory");
                goto done;
            }
            obs_potts_separations(cen, cen + M, M, N, sc, sc + M);
            char key[64];
            for (size_t k = 0; k < M; k++) {
                snprintf(key, sizeof key, "sep_center_%zu", k);
                traj_summary_num(fs, key, sc[k]);
            }
            for (size_t k = 0; k < M; k++) {
                snprintf(key, sizeof key, "sep_phase_%zu", k);
                traj_summary_num(fs, key, sc[M + k]);
            }
            free(sc);
        }
        if ((st = run_files_commit(&rf, err)))
            goto done;
    }
    if (r)
        *r = res;
done:
    run_files_abort(&rf);
    potts_free(ws);
    obs_potts_free(obs);
    if (rtrain)
        gsl_rng_free(rtrain);
    free(x);
    free(snap);
    free(tt);
    free(SS);
    free(Xp);
    free(cen);
    free(sites);
    free(qperm);
    free(qmu);
    return st;
}

double sim_potts_ang_frac(const obs_potts_ws *ws, const double *w, size_t N, size_t P, double *A)
{
    obs_potts_sites(ws, w, A, NULL, NULL, NULL);
    double num = 0, den = 0;
    for (size_t i = 0; i < N; i++) {
        num += A[i] * A[i];
        for (size_t c = 0; c < P; c++)
            den += w[i * P + c] * w[i * P + c];
    }
    num *= (double)P / (P == 2 ? 4.0 : 2.0);
    return den > 0 ? num / den : NAN;
}
