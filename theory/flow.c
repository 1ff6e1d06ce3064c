#include "theory/flow.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>
#include <cvode/cvode.h>
#include <nvector/nvector_serial.h>
#include <sunlinsol/sunlinsol_spgmr.h>
#include <sunnonlinsol/sunnonlinsol_fixedpoint.h>

#include "core/err.h"
#include "core/marg.h"

/* CVODE's step budget between two output times: generous, the flow is
 * smooth; a run that needs more is reported, not silently truncated. */
#define FLOW_MAX_STEPS 1000000
/* FFTW planning rigour.  The two FFTs of a right-hand side cost < 1% of the
 * model-term integral (N x nodes transcendental evaluations), while
 * FFTW_MEASURE planning costs ~60 ms at N = 100 (bench/run.sh), more than
 * the whole integration: plan by estimate. */
#define FLOW_FFTW_PLAN FFTW_ESTIMATE
/* Krylov subspace dimension for the BDF/Newton-Krylov option. */
#define FLOW_KRYLOV_DIM 20

struct flow {
    flow_params p;
    size_t N, n;            /* sites; state length (N or 2N)              */
    double *lam;            /* lambda_k in half-complex order             */
    double *w, *g, *m, *mv; /* real-space scratch                         */
    double *hc;             /* half-complex scratch                       */
    double *dbar;           /* preconditioner: mean <h^2 sech^2>          */
    fftw_plan fwd, bwd;     /* r2hc / hc2r on (w -> hc), (hc -> w)        */
    marg_ws *mw;
    unit_params unit;
    SUNContext ctx;
    N_Vector y;
    void *cv;
    SUNLinearSolver ls;
    SUNNonlinearSolver nls;
    double t;
    long nrhs;
    int jac_ready;          /* psetup has frozen a Jacobian          */
    char err[SYM_ERRLEN];   /* message from inside the right-hand side   */
};

/* half-complex -> real space, normalised (FFTW's hc2r is unnormalised) */
static void to_real(flow *f, const double *hc, double *x)
{
    memcpy(f->hc, hc, f->N * sizeof(double));
    fftw_execute_r2r(f->bwd, f->hc, x);
    double s = 1.0 / (double)f->N;
    for (size_t i = 0; i < f->N; i++)
        x[i] *= s;
}

int flow_gradient(flow *f, const double *w, const double *g, double *dw, double *dg, char *err)
{
    size_t N = f->N;
    int st = marg_eval(f->mw, &f->unit, w, g, f->m, dg ? f->mv : NULL, NULL, err);
    if (st)
        return sym_context(err, st, "flow_gradient");
    /* C w through the spectrum: FFT, multiply by lambda, inverse FFT */
    fftw_execute_r2r(f->fwd, (double *)w, f->hc); /* r2hc leaves its input intact */
    for (size_t k = 0; k < N; k++)
        f->hc[k] *= f->lam[k] / (double)N;
    fftw_execute_r2r(f->bwd, f->hc, dw);
    for (size_t i = 0; i < N; i++)
        dw[i] += -f->m[i] - f->p.l2 * w[i];
    if (dg)
        for (size_t i = 0; i < N; i++)
            dg[i] = f->p.data->mean - f->mv[i];
    return SYM_OK;
}

/* CVODE right-hand side in Fourier modes. */
static int rhs(sunrealtype t, N_Vector yv, N_Vector ydot, void *ud)
{
    (void)t;
    flow *f = ud;
    size_t N = f->N;
    const double *y = N_VGetArrayPointer(yv);
    double *dy = N_VGetArrayPointer(ydot);
    f->nrhs++;
    to_real(f, y, f->w);
    const double *g = NULL;
    if (f->p.learn_fields) {
        to_real(f, y + N, f->g);
        g = f->g;
    }
    int st = marg_eval(f->mw, &f->unit, f->w, g, f->m, g ? f->mv : NULL, NULL, f->err);
    if (st)
        return -1; /* unrecoverable: the message is in f->err */
    fftw_execute_r2r(f->fwd, f->m, dy);
    for (size_t k = 0; k < N; k++)
        dy[k] = (f->lam[k] - f->p.l2) * y[k] - dy[k];
    if (g) {
        for (size_t i = 0; i < N; i++)
            f->mv[i] = f->p.data->mean - f->mv[i];
        fftw_execute_r2r(f->fwd, f->mv, dy + N);
    }
    return 0;
}

/* Newton-Krylov option.  psetup evaluates the model term at the current
 * state and freezes its Jacobian (core/marg: diagonal plus a low-rank part
 * through p(h)); jtimes applies the full Jacobian of the flow with it,
 *     J v = lambda v - FFT[ J_m FFT^-1 v ] - l2 v,
 * in O(N nodes + N log N) with no transcendental function, instead of a
 * difference quotient that costs one more right-hand side per Krylov
 * iteration.  The preconditioner keeps the circulant part lambda_k and the
 * mean of J_m's diagonal, P = I - gamma (lambda_k - dbar - l2), diagonal in
 * Fourier space.  (Learned fields: difference-quotient products, same P.) */
static int psetup(sunrealtype t, N_Vector yv, N_Vector fy, sunbooleantype jok,
                  sunbooleantype *jcur, sunrealtype gamma, void *ud)
{
    (void)t;
    (void)fy;
    (void)gamma;
    flow *f = ud;
    if (jok) {
        *jcur = SUNFALSE;
        return 0;
    }
    *jcur = SUNTRUE;
    size_t N = f->N;
    const double *y = N_VGetArrayPointer(yv);
    to_real(f, y, f->w);
    const double *g = NULL;
    if (f->p.learn_fields) {
        to_real(f, y + N, f->g);
        g = f->g;
    }
    if (marg_eval(f->mw, &f->unit, f->w, g, f->m, NULL, NULL, f->err))
        return -1;
    if (marg_jac_prepare(f->mw, f->w, g, f->m, f->err))
        return -1;
    f->jac_ready = 1;
    *f->dbar = marg_jac_diag_mean(f->mw);
    return 0;
}

static int jtimes(N_Vector v, N_Vector Jv, sunrealtype t, N_Vector yv, N_Vector fy, void *ud,
                  N_Vector tmp)
{
    (void)t;
    (void)yv;
    (void)fy;
    (void)tmp;
    flow *f = ud;
    if (!f->jac_ready)
        return 1; /* recoverable: CVODE calls psetup and tries again */
    size_t N = f->N;
    const double *vv = N_VGetArrayPointer(v);
    double *out = N_VGetArrayPointer(Jv);
    to_real(f, vv, f->g);
    marg_jac_apply(f->mw, f->g, f->mv);
    fftw_execute_r2r(f->fwd, f->mv, out);
    for (size_t k = 0; k < N; k++)
        out[k] = (f->lam[k] - f->p.l2) * vv[k] - out[k];
    return 0;
}

static int psolve(sunrealtype t, N_Vector yv, N_Vector fy, N_Vector r, N_Vector z,
                  sunrealtype gamma, sunrealtype delta, int lr, void *ud)
{
    (void)t;
    (void)yv;
    (void)fy;
    (void)delta;
    (void)lr;
    flow *f = ud;
    const double *rr = N_VGetArrayPointer(r);
    double *zz = N_VGetArrayPointer(z);
    for (size_t k = 0; k < f->N; k++) {
        double den = 1.0 - gamma * (f->lam[k] - *f->dbar - f->p.l2);
        zz[k] = rr[k] / (fabs(den) > 1e-12 ? den : 1.0);
    }
    for (size_t k = f->N; k < f->n; k++)
        zz[k] = rr[k];
    return 0;
}

static int cv_check(int flag, const char *call, char *err)
{
    if (flag < 0)
        return sym_error(err, SYM_ENUM, "CVODE %s failed (flag %d)", call, flag);
    return SYM_OK;
}

int flow_alloc(flow **out, const flow_params *p, const double *w0, const double *g0, char *err)
{
    *out = NULL;
    size_t N = p->data->N;
    if (!(p->rtol > 0) || !(p->atol > 0))
        return sym_error(err, SYM_EINVAL, "tolerances must be positive (rtol %g, atol %g)",
                         p->rtol, p->atol);
    if (!(p->l2 >= 0))
        return sym_error(err, SYM_EINVAL, "--l2 %g: need l2 >= 0", p->l2);
    flow *f = calloc(1, sizeof *f);
    if (!f)
        return sym_error(err, SYM_ENOMEM, "flow_alloc: out of memory");
    f->p = *p;
    f->N = N;
    f->n = p->learn_fields ? 2 * N : N;
    f->unit = (unit_params){&unit_gaussian, 1.0, 0.0, 1.0, 0.0};
    f->lam = fftw_malloc(N * sizeof(double));
    f->w = fftw_malloc(N * sizeof(double));
    f->g = fftw_malloc(N * sizeof(double));
    f->m = fftw_malloc(N * sizeof(double));
    f->mv = fftw_malloc(N * sizeof(double));
    f->hc = fftw_malloc(N * sizeof(double));
    f->dbar = calloc(1, sizeof(double));
    f->mw = marg_alloc(N);
    if (!f->lam || !f->w || !f->g || !f->m || !f->mv || !f->hc || !f->dbar || !f->mw) {
        flow_free(f);
        return sym_error(err, SYM_ENOMEM, "flow_alloc: out of memory (N = %zu)", N);
    }
    /* plans once; every later call reuses them through new-array execution,
     * also on CVODE's and the caller's arrays, whose alignment FFTW cannot
     * know: hence FFTW_UNALIGNED. */
    f->fwd = fftw_plan_r2r_1d((int)N, f->w, f->hc, FFTW_R2HC, FLOW_FFTW_PLAN | FFTW_UNALIGNED);
    f->bwd = fftw_plan_r2r_1d((int)N, f->hc, f->w, FFTW_HC2R, FLOW_FFTW_PLAN | FFTW_UNALIGNED);
    if (!f->fwd || !f->bwd) {
        flow_free(f);
        return sym_error(err, SYM_ENOMEM, "flow_alloc: FFTW planning failed (N = %zu)", N);
    }
    /* lambda in half-complex order: element k and N-k both hold mode k
     * (lambda_k = lambda_{N-k}, C is symmetric) */
    for (size_t k = 0; k < N; k++)
        f->lam[k] = p->data->lambda[k];

    int flag = SUNContext_Create(NULL, &f->ctx);
    if (flag) {
        flow_free(f);
        return sym_error(err, SYM_ENUM, "SUNContext_Create failed (%d)", flag);
    }
    f->y = N_VNew_Serial((sunindextype)f->n, f->ctx);
    if (!f->y) {
        flow_free(f);
        return sym_error(err, SYM_ENOMEM, "flow_alloc: out of memory");
    }
    double *y = N_VGetArrayPointer(f->y);
    memcpy(f->w, w0, N * sizeof(double));
    fftw_execute_r2r(f->fwd, f->w, y);
    if (p->learn_fields) {
        for (size_t i = 0; i < N; i++)
            f->g[i] = g0 ? g0[i] : 0.0;
        fftw_execute_r2r(f->fwd, f->g, y + N);
    }

    int st = SYM_OK;
    f->cv = CVodeCreate(p->method == FLOW_BDF ? CV_BDF : CV_ADAMS, f->ctx);
    if (!f->cv)
        st = sym_error(err, SYM_ENOMEM, "CVodeCreate failed");
    if (!st)
        st = cv_check(CVodeInit(f->cv, rhs, 0.0, f->y), "CVodeInit", err);
    if (!st)
        st = cv_check(CVodeSStolerances(f->cv, p->rtol, p->atol), "CVodeSStolerances", err);
    if (!st)
        st = cv_check(CVodeSetUserData(f->cv, f), "CVodeSetUserData", err);
    if (!st)
        st = cv_check(CVodeSetMaxNumSteps(f->cv, FLOW_MAX_STEPS), "CVodeSetMaxNumSteps", err);
    if (!st && p->method == FLOW_ADAMS) {
        f->nls = SUNNonlinSol_FixedPoint(f->y, 0, f->ctx);
        if (!f->nls)
            st = sym_error(err, SYM_ENOMEM, "SUNNonlinSol_FixedPoint failed");
        if (!st)
            st = cv_check(CVodeSetNonlinearSolver(f->cv, f->nls), "CVodeSetNonlinearSolver", err);
    }
    if (!st && p->method == FLOW_BDF) {
        f->ls = SUNLinSol_SPGMR(f->y, SUN_PREC_LEFT, FLOW_KRYLOV_DIM, f->ctx);
        if (!f->ls)
            st = sym_error(err, SYM_ENOMEM, "SUNLinSol_SPGMR failed");
        if (!st)
            st = cv_check(CVodeSetLinearSolver(f->cv, f->ls, NULL), "CVodeSetLinearSolver", err);
        if (!st)
            st = cv_check(CVodeSetPreconditioner(f->cv, psetup, psolve), "CVodeSetPreconditioner",
                          err);
        if (!st && !p->learn_fields)
            st = cv_check(CVodeSetJacTimes(f->cv, NULL, jtimes), "CVodeSetJacTimes", err);
    }
    if (st) {
        flow_free(f);
        return st;
    }
    *out = f;
    return SYM_OK;
}

void flow_free(flow *f)
{
    if (!f)
        return;
    if (f->cv)
        CVodeFree(&f->cv);
    if (f->ls)
        SUNLinSolFree(f->ls);
    if (f->nls)
        SUNNonlinSolFree(f->nls);
    if (f->y)
        N_VDestroy(f->y);
    if (f->ctx)
        SUNContext_Free(&f->ctx);
    if (f->fwd)
        fftw_destroy_plan(f->fwd);
    if (f->bwd)
        fftw_destroy_plan(f->bwd);
    fftw_free(f->lam);
    fftw_free(f->w);
    fftw_free(f->g);
    fftw_free(f->m);
    fftw_free(f->mv);
    fftw_free(f->hc);
    free(f->dbar);
    marg_free(f->mw);
    free(f);
}

int flow_advance(flow *f, double tout, char *err)
{
    if (tout <= f->t)
        return SYM_OK;
    double tret;
    f->err[0] = 0;
    int flag = CVode(f->cv, tout, f->y, &tret, CV_NORMAL);
    if (flag < 0) {
        if (f->err[0])
            return sym_error(err, SYM_ENUM, "at t = %g: %s", f->t, f->err);
        return sym_error(err, SYM_ENUM, "CVode failed at t = %g on the way to %g (flag %d: %s)",
                         f->t, tout, flag, CVodeGetReturnFlagName(flag));
    }
    f->t = tret;
    const double *y = N_VGetArrayPointer(f->y);
    for (size_t k = 0; k < f->n; k++)
        if (!isfinite(y[k]))
            return sym_error(err, SYM_ENUM, "NaN in the weights at t = %g", tret);
    return SYM_OK;
}

double flow_time(const flow *f)
{
    return f->t;
}

void flow_state(flow *f, double *w, double *g)
{
    const double *y = N_VGetArrayPointer(f->y);
    to_real(f, y, w);
    if (g) {
        if (f->p.learn_fields)
            to_real(f, y + f->N, g);
        else
            memset(g, 0, f->N * sizeof(double));
    }
}

long flow_nrhs(const flow *f)
{
    return f->nrhs;
}

void flow_stats(const flow *f, flow_counters *c)
{
    long v = 0;
    *c = (flow_counters){0, 0, 0, 0, f->nrhs};
    CVodeGetNumSteps(f->cv, &c->steps);
    CVodeGetNumNonlinSolvIters(f->cv, &c->newton);
    if (f->ls) {
        CVodeGetNumLinIters(f->cv, &v);
        c->krylov = v;
        CVodeGetNumPrecEvals(f->cv, &v);
        c->psetups = v;
    }
}

int flow_loglik(flow *f, const double *w, const double *g, double *L, char *err)
{
    size_t N = f->N;
    marg_stats st;
    int s = marg_eval(f->mw, &f->unit, w, g, NULL, NULL, &st, err);
    if (s)
        return sym_context(err, s, "flow_loglik");
    /* w^T C w = (1/N) sum_{k=0}^{N-1} lambda_k |w^_k|^2; in half-complex
     * order slot k (1 <= k < N/2) holds Re w^_k and slot N-k holds Im w^_k,
     * and the mode N-k (its conjugate) counts once more */
    fftw_execute_r2r(f->fwd, (double *)w, f->hc);
    double q = f->lam[0] * f->hc[0] * f->hc[0];
    for (size_t k = 1; k < N; k++) {
        int self = (2 * k == N); /* the Nyquist mode of even N is real */
        q += (self ? 1.0 : 2.0) * f->lam[k] * f->hc[k] * f->hc[k];
    }
    q /= (double)N;
    double gv = 0.0;
    if (g)
        for (size_t i = 0; i < N; i++)
            gv += g[i] * f->p.data->mean;
    /* Gamma(I) = I^2/2 + log(2 pi)/2 for the standard gaussian unit, the
     * same constant marg's log Z carries */
    *L = 0.5 * q + 0.5 * log(2.0 * M_PI) + gv - st.logZ;
    return SYM_OK;
}
