/* phase_run: `symrbm phase` as a library call (theory/phase.h phase_report):
 * the per-mode report at one N and the beta_c(N) table. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/traj.h"
#include "theory/phase.h"

static int model_at(const phase_config *c, size_t N, double beta, ring_model **rm, char *err)
{
    ring_params p = c->data;
    p.N = N;
    if (!isnan(beta))
        p.val[ring_key_index("beta")] = beta;
    return ring_alloc(rm, &p, err);
}

/* the per-mode report at one N, at the model's parameters */
static int modes_report(const phase_config *c, size_t N, FILE *fp, char *err)
{
    ring_model *rm = NULL;
    int st = model_at(c, N, NAN, &rm, err);
    if (st)
        return st;
    double beta = ring_params_get(&c->data, "beta");
    phase_point pt = {0};
    double *mu = calloc(N / 2 + 1, sizeof *mu);
    st = mu ? c->uniform(rm, &pt, mu, err) : sym_error(err, SYM_ENOMEM, "out of memory");
    if (!st) {
        fprintf(fp, "# uniform fixed point at beta=%.17g: a=%.17g norm2=%.17g "
                    "<h^2 sech^2>=%.17g\n",
                beta, pt.a, pt.norm2, pt.sech2);
        fprintf(fp, "# mode k: lambda_k, mu_k = lambda_k - <h^2 sech^2> (k != 0; > 0 unstable)\n");
        fprintf(fp, "k\tlambda\tmu\n");
        size_t kmax = c->modes < N / 2 ? c->modes : N / 2;
        for (size_t k = 0; k <= kmax; k++) {
            fprintf(fp, "%zu\t", k);
            traj_put(fp, rm->lambda[k]);
            fputc('\t', fp);
            traj_put(fp, k ? mu[k] : NAN);
            fputc('\n', fp);
        }
        fprintf(fp, "# symmetric state at beta=%.17g: %s (mu_max=%.6g at k=%zu)\n", beta,
                pt.mu_max > 0 ? "unstable, receptive field localises" : "stable", pt.mu_max,
                pt.k_max);
    }
    free(mu);
    ring_free(rm);
    return st;
}

int phase_report(const phase_config *c, FILE *fp, char *err)
{
    if (!(c->beta_min > 0 && c->beta_max > c->beta_min) || !isfinite(c->beta_max))
        return sym_error(err, SYM_EINVAL, "beta-min = %g, beta-max = %g: need 0 < min < max",
                         c->beta_min, c->beta_max);
    if (!(c->tol > 0))
        return sym_error(err, SYM_EINVAL, "tol = %g: need tol > 0", c->tol);
    if (c->scan < 2 || c->scan > PHASE_SCAN_MAX)
        return sym_error(err, SYM_EINVAL, "scan = %zu: need 2 .. %d points", c->scan,
                         (int)PHASE_SCAN_MAX);
    int st = ring_params_require_spin(&c->data, "phase", err);
    for (size_t j = 0; j < c->nN && !st; j++) {
        ring_model *rm = NULL; /* validates N and the model parameters first */
        st = model_at(c, c->N[j], NAN, &rm, err);
        ring_free(rm);
    }
    if (!st && c->nN == 1)
        st = modes_report(c, c->N[0], fp, err);
    /* beta_c exists for the models with a coupling beta to vary */
    if (st || !ring_type_has(c->data.type, "beta"))
        return st;
    fprintf(fp, "N\tbeta_c\tlambda1_c\tnorm2_c\n");
    for (size_t j = 0; j < c->nN && !st; j++) {
        ring_params p = c->data;
        p.N = c->N[j];
        double bc;
        if ((st = phase_beta_c_model(&p, c->uniform, c->beta_min, c->beta_max, c->scan, c->tol,
                                     &bc, err)))
            break;
        ring_model *rm = NULL;
        phase_point pt = {0};
        st = model_at(c, c->N[j], bc, &rm, err);
        if (!st)
            st = c->uniform(rm, &pt, NULL, err);
        if (!st) {
            fprintf(fp, "%zu\t", c->N[j]);
            traj_put(fp, bc);
            fputc('\t', fp);
            traj_put(fp, rm->lambda[1]);
            fputc('\t', fp);
            traj_put(fp, pt.norm2);
            fputc('\n', fp);
        }
        ring_free(rm);
    }
    return st;
}
