/* run_sb: `symrbm theory --equation small-beta` (SPEC.md 3c): the paper's
 * lattice equation 37 (general M) from the shared w(0), in its rescaled
 * units u = w / sqrt(beta), tau = beta t, with the continuum profile of
 * eq. 44 written beside it (theory/run.h theory_run_small_beta). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/run.h"
#include "core/sys.h"
#include "theory/run.h"
#include "theory/smallbeta.h"

int theory_run_small_beta(const theory_config *c, const ring_model *m, traj_header *h,
                          const char *out, char *err)
{
    double beta = ring_get(m, "beta"), t0 = sys_now();
    if (ring_require_spin(m, "the small-beta equation", err))
        return SYM_EINVAL;
    if (!(beta > 0))
        return sym_error(err, SYM_EINVAL, "the small-beta equation needs a data model with a "
                         "coupling beta > 0 (data = %s)", m->type->name);
    size_t N = m->N, M = c->M;
    sb_config sc;
    sb_config_default(&sc);
    sc.N = N;
    sc.M = M;
    sc.seed = c->seed;
    sc.init_scale = c->init_scale;
    sc.beta = beta;
    sc.T = c->T;
    sc.snapshots = c->snapshots;
    sc.linear = c->linear;
    sc.rtol = c->rtol;
    sc.atol = c->atol;
    int st = sb_config_check(&sc, err);
    if (st)
        return st;
    if (run_stamp(h) || traj_header_set(h, "equation", "small-beta") ||
        traj_header_set(h, "units", "u = w / sqrt(beta), t = tau = beta t_exact") ||
        traj_header_set(h, "M", "%zu", M) || ring_header_set(m, h))
        return sym_error(err, SYM_ENOMEM, "out of memory");
    sb_traj *tr = NULL;
    double *uc = malloc(N * sizeof *uc), *uf = malloc(M * N * sizeof *uf), *bf = malloc(M * sizeof *bf);
    run_files rf = {0};
    FILE *ft, *fw, *fc, *fs;
    if (!uc || !uf || !bf) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = sb_run(&sc, m->type, &tr, err)))
        goto done;
    /* several units: eq. 37 is invariant under rotations of the units, so
     * the final profiles are rotated to single peaks before they are
     * reported (theory/smallbeta.h sb_localise) */
    size_t last = tr->n - 1;
    for (size_t k = 0; k < M * N; k++)
        uf[k] = tr->u[last * M * N + k];
    /* it returns the sweeps done, not a status */
    sb_localise(N, M, uf);
    sb_norm2(N, M, uf, bf);
    double bm, bp;
    sb_continuum_roots(&bm, &bp);
    obs_ws *ow = obs_alloc(N);
    obs_values o0;
    if (!ow) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    obs_compute(ow, m->type, uf, &o0);
    obs_free(ow);
    if ((st = sb_continuum_profile(bm, N, o0.center, uc, err)) ||
        (st = run_files_init(&rf, out, err)) ||
        (st = run_files_open(&rf, "trajectory.tsv", h, &ft, err)) ||
        (st = run_files_open(&rf, "weights.tsv", h, &fw, err)) ||
        (st = run_files_open(&rf, "continuum.tsv", h, &fc, err)) ||
        (st = run_files_open(&rf, "summary.tsv", h, &fs, err)))
        goto done;
    traj_obs_columns(ft);
    traj_weights_columns(fw, N);
    double *S0 = malloc(tr->n * sizeof *S0);
    if (!S0) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t s = 0; s < tr->n; s++) {
        S0[s] = tr->obs[s * M].S;
        for (size_t mu = 0; mu < M; mu++) {
            obs_values *o = &tr->obs[s * M + mu];   /* X in time order (SPEC.md 4) */
            o->X = obs_unwrap(s ? tr->obs[(s - 1) * M + mu].X : NAN, o->center, N);
            traj_obs_row(ft, tr->t[s], mu, NAN, NAN, o);
            if (c->weights == THEORY_W_ALL || s == 0 || s == last)
                traj_weights_row(fw, tr->t[s], mu, tr->u + (s * M + mu) * N, N);
        }
    }
    /* the continuum profile of eq. 44 at b-, centred on unit 0's final centre */
    fprintf(fc, "i\tu_continuum\tu_lattice\n");
    for (size_t i = 0; i < N; i++) {
        fprintf(fc, "%zu\t", i);
        traj_put(fc, uc[i]);
        fputc('\t', fc);
        traj_put(fc, uf[i]);
        fputc('\n', fc);
    }
    double peak = 0;
    for (size_t i = 0; i < N; i++)
        peak = fmax(peak, fabs(uf[i]));
    traj_summary_num(fs, "norm2", o0.norm2);
    traj_summary_num(fs, "pr", o0.pr);
    traj_summary_num(fs, "R", o0.R);
    traj_summary_num(fs, "S", o0.S);
    traj_summary_num(fs, "center", o0.center);
    traj_summary_num(fs, "t_sb", obs_t_sb(tr->t, S0, tr->n));
    free(S0);
    for (size_t mu = 0; mu < M; mu++) {
        char key[32];
        snprintf(key, sizeof key, "b_%zu", mu);
        traj_summary_num(fs, key, bf[mu]);
    }
    traj_summary_num(fs, "peak", peak);
    traj_summary_num(fs, "b_continuum_minus", bm);
    traj_summary_num(fs, "b_continuum_plus", bp);
    traj_summary_num(fs, "peak_continuum", sb_continuum_peak(bm));
    traj_summary_num(fs, "fwhm_continuum", sb_continuum_fwhm(bm));
    traj_summary_num(fs, "wall_s", sys_now() - t0);
    traj_summary_num(fs, "n_steps", (double)tr->fc.steps);
    traj_summary_num(fs, "n_rhs", (double)tr->fc.rhs);
    traj_summary_str(fs, "phase", o0.S > OBS_BROKEN_S ? "broken" : "symmetric");
    st = run_files_commit(&rf, err);
done:
    run_files_abort(&rf);
    sb_traj_free(tr);
    free(uc);
    free(uf);
    free(bf);
    return st;
}
