/* run_potts (theory): theory_run_potts (theory/run_potts.h). */
#include "theory/run_potts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/obs.h"
#include "core/obs_potts.h"
#include "core/run.h"
#include "core/size.h"
#include "core/snap.h"
#include "core/sys.h"
#include "theory/flow_potts.h"

int theory_potts_spectrum(const ring_model *m, traj_header *h, double *lam, char *err)
{
    size_t N = m->N, P = m->P, top = 0;
    int st = ring_potts_spectrum(m, lam, err);
    for (size_t j = 1; j < N * P && !st; j++)
        top = lam[j] > lam[top] ? j : top;
    if (!st && (traj_header_set(h, "lambda_top", "%.17g", lam[top]) ||
                traj_header_set(h, "lambda_top_k", "%zu", top / P) ||
                traj_header_set(h, "lambda_top_p", "%zu", top % P) ||
                traj_header_set(h, "Lambda_XY", "%.17g", lam[top] * (double)(P * P) / (double)(P - 1)) ||
                traj_header_set(h, "entropy_per_site", "%.17g", m->entropy / (double)N)))
        st = sym_error(err, SYM_ENOMEM, "out of memory");
    return st;
}

void theory_potts_spectrum_write(FILE *fp, const double *lam, size_t N, size_t P, double l2)
{
    fprintf(fp, "k\tp\tlambda\trate\n");
    for (size_t j = 0; j < N * P; j++) {
        fprintf(fp, "%zu\t%zu\t", j / P, j % P);
        traj_put(fp, lam[j]);
        fputc('\t', fp);
        traj_put(fp, lam[j] - 1.0 / (double)P - l2);
        fputc('\n', fp);
    }
}

/* weights.tsv of a Potts run: `t mu c w_0 .. w_{N-1}`, one row per colour. */
static void weights_columns(FILE *fp, size_t N)
{
    fputs("t\tmu\tc", fp);
    for (size_t i = 0; i < N; i++)
        fprintf(fp, "\tw_%zu", i);
    fputc('\n', fp);
}

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

static int check_config(const theory_config *c, const flow_potts_kind *k, char *err)
{
    if (c->learn_fields)
        return sym_error(err, SYM_EINVAL, "fields learn: with Potts visible units theory holds the visible "
                         "fields at 0 (the hidden fields theta are learned)");
    if (c->restore || c->attractor || c->landscape_B)
        return sym_error(err, SYM_EINVAL, "restoration predictions need +-1 visible units");
    (void)k;
    return SYM_OK;
}

int theory_run_potts(const theory_config *c, const ring_model *m, traj_header *h, const char *out,
                     double *w_final, theory_result *r, char *err)
{
    const flow_potts_kind *kind;
    int st = flow_potts_kind_find(c->family->name, &kind, err);
    if (st || (st = check_config(c, kind, err)))
        return st;
    size_t N = m->N, P = m->P, M = c->M, S = c->snapshots, NP, MNP;
    if ((st = sym_alloc_check(N, P, sizeof(double), "N*P weights", &NP, err)) ||
        (st = sym_alloc_check(M, N * P, sizeof(double), "M*N*P weights", &MNP, err)))
        return st;
    NP = N * P;   /* sym_alloc_check gave bytes */
    MNP = M * NP;
    double t0 = sys_now();
    if (run_stamp(h) || traj_header_set(h, "hidden", "%s", c->family->name) ||
        traj_header_set(h, "M", "%zu", M) || ring_header_set(m, h) ||
        traj_header_set(h, "entropy", "%.17g", m->entropy) ||
        traj_header_set(h, "theta", "learned") || traj_header_set(h, "gauge", "zero-sum"))
        return sym_error(err, SYM_ENOMEM, "out of memory");
    double *lam = malloc(NP * sizeof *lam), *w = malloc(MNP * sizeof *w), *th = calloc(M, sizeof *th);
    double *ts = malloc((S + 1) * sizeof *ts), *Sv = malloc((S + 1) * sizeof *Sv);
    double *Xp = malloc(M * sizeof *Xp), *cen = malloc(M * sizeof *cen), *pha = malloc(M * sizeof *pha);
    double *A = malloc(N * sizeof *A), *phi = malloc(N * sizeof *phi), *wang = malloc(N * sizeof *wang);
    obs_potts_ws *ow = obs_potts_alloc(N, P);
    flow_potts *f = NULL;
    obs_potts_values ov = {0}, ov0 = {0};
    run_files rf;
    int rf_open = 0;
    FILE *fs, *ft, *fw = NULL, *fth, *fsite, *fsum;
    double L = NAN, kl = NAN;
    if (!lam || !w || !th || !ts || !Sv || !Xp || !cen || !pha || !A || !phi || !wang || !ow) {
        st = sym_error(err, SYM_ENOMEM, "out of memory (N = %zu, P = %zu)", N, P);
        goto done;
    }
    if ((st = theory_potts_spectrum(m, h, lam, err)))
        goto done;
    if (flow_potts_init_weights(c->seed, N, P, M, c->init_scale, w)) {
        st = sym_error(err, SYM_ENOMEM, "out of memory drawing w(0)");
        goto done;
    }
    flow_potts_params fp = {m, kind, M, 0, c->l2, c->rtol, c->atol, c->method};
    if ((st = flow_potts_alloc(&f, &fp, w, NULL, err)))
        goto done;
    snap_times(c->T, S, c->linear, ts);
    if ((st = run_files_init(&rf, out, err)))
        goto done;
    rf_open = 1;
    if ((st = run_files_open(&rf, "spectrum.tsv", h, &fs, err)))
        goto done;
    theory_potts_spectrum_write(fs, lam, N, P, c->l2);
    if ((st = run_files_open(&rf, "trajectory.tsv", h, &ft, err)) ||
        (st = run_files_open(&rf, "theta.tsv", h, &fth, err)))
        goto done;
    traj_potts_columns(ft);
    fputs("t\tmu\ttheta\n", fth);
    if (c->weights != THEORY_W_NONE) {
        if ((st = run_files_open(&rf, "weights.tsv", h, &fw, err)))
            goto done;
        weights_columns(fw, N);
    }
    for (size_t j = 0; j <= S; j++) {
        if ((st = flow_potts_advance(f, ts[j], err)))
            goto done;
        flow_potts_state(f, w, th);
        if ((st = flow_potts_loglik(f, w, th, NULL, &L, err)))
            goto done;
        kl = isfinite(m->entropy) ? (-m->entropy - L) / (double)N : NAN;
        for (size_t mu = 0; mu < M; mu++) {
            obs_potts_compute(ow, w + mu * NP, &ov);
            ov.X = Xp[mu] = obs_unwrap(j ? Xp[mu] : NAN, ov.center, N);
            if (mu == 0)
                ov0 = ov;
            cen[mu] = ov.center;
            pha[mu] = ov.phase;
            traj_potts_row(ft, ts[j], mu, L, kl, &ov);
            traj_put(fth, ts[j]);
            fprintf(fth, "\t%zu\t", mu);
            traj_put(fth, th[mu]);
            fputc('\n', fth);
            if (fw && (c->weights == THEORY_W_ALL || j == 0 || j == S))
                weights_rows(fw, ts[j], mu, w + mu * NP, N, P);
        }
        ov = ov0;
        Sv[j] = ov.S;
        if (c->progress)
            fprintf(stderr, "\rtheory: t = %-10.4g of %g  R = %.4f  S_ang = %.4f  norm2 = %.5g   ", ts[j],
                    c->T, ov.R, ov.S_ang, ov.norm2);
    }
    if (c->progress)
        fputc('\n', stderr);
    if ((st = run_files_open(&rf, "sites.tsv", h, &fsite, err)))
        goto done;
    fputs("mu\ti\tA\tphi\tW_ang\ts\n", fsite);
    for (size_t mu = 0; mu < M; mu++) {
        obs_potts_sites(ow, w + mu * NP, A, phi, wang, NULL);
        for (size_t i = 0; i < N; i++) {
            double s = 0;
            for (size_t cc = 0; cc < P; cc++)
                s += w[mu * NP + i * P + cc] * w[mu * NP + i * P + cc];
            fprintf(fsite, "%zu\t%zu", mu, i);
            const double v[] = {A[i], phi[i], wang[i], s};
            for (size_t k = 0; k < 4; k++) {
                fputc('\t', fsite);
                traj_put(fsite, v[k]);
            }
            fputc('\n', fsite);
        }
    }
    theory_result res = {.loglik = L, .kl = kl, .t_sb = obs_t_sb(ts, Sv, S + 1),
                         .broken = ov.S > OBS_BROKEN_S};
    res.final.norm2 = ov.norm2;
    res.final.pr = ov.pr;
    res.final.R = ov.R;
    res.final.S = ov.S;
    res.final.center = ov.center;
    res.final.X = ov.X;
    memcpy(res.final.a, ov.a, sizeof ov.a);
    long nrhs, nsteps;
    flow_potts_stats(f, &nrhs, &nsteps);
    res.fc.rhs = nrhs;
    res.fc.steps = nsteps;
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
    traj_summary_num(fsum, "n_rhs", (double)nrhs);
    traj_summary_num(fsum, "n_steps", (double)nsteps);
    traj_summary_str(fsum, "phase", res.broken ? "broken" : "symmetric");
    traj_summary_num(fsum, "S_ang", ov.S_ang);
    traj_summary_num(fsum, "ang_phase", ov.phase);
    {
        size_t top = 0;
        for (size_t j = 1; j < NP; j++)
            top = lam[j] > lam[top] ? j : top;
        traj_summary_num(fsum, "rate_top", lam[top] - 1.0 / (double)P - c->l2);
    }
    for (size_t mu = 0; mu < M; mu++) {
        char key[32];
        snprintf(key, sizeof key, "theta_%zu", mu);
        traj_summary_num(fsum, key, th[mu]);
    }
    if (M >= 2) {
        double *sc = malloc(2 * M * sizeof *sc);
        if (!sc) {
            st = sym_error(err, SYM_ENOMEM, "out of memory");
            goto done;
        }
        obs_potts_separations(cen, pha, M, N, sc, sc + M);
        for (size_t mu = 0; mu < M; mu++) {
            char key[40];
            snprintf(key, sizeof key, "sep_center_%zu", mu);
            traj_summary_num(fsum, key, sc[mu]);
        }
        for (size_t mu = 0; mu < M; mu++) {
            char key[40];
            snprintf(key, sizeof key, "sep_phase_%zu", mu);
            traj_summary_num(fsum, key, sc[M + mu]);
        }
        free(sc);
    }
    if ((st = run_files_commit(&rf, err)))
        goto done;
    if (w_final)
        memcpy(w_final, w, MNP * sizeof *w);
    if (r)
        *r = res;
done:
    if (rf_open)
        run_files_abort(&rf);
    flow_potts_free(f);
    obs_potts_free(ow);
    free(lam);
    free(w);
    free(th);
    free(ts);
    free(Sv);
    free(Xp);
    free(cen);
    free(pha);
    free(A);
    free(phi);
    free(wang);
    return st;
}
