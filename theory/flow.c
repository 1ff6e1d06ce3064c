#include "theory/flow.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>
#include <cvode/cvode.h>
#include <nvector/nvector_serial.h>
#include <sunlinsol/sunlinsol_spgmr.h>
#include <sunnonlinsol/sunnonlinsol_fixedpoint.h>

#include "core/err.h"
#include "core/team.h"

/* CVODE's step budget per CVode call.  flow_advance calls CVode again
 * after each chunk (CVODE resumes exactly where it stopped: the same steps
 * as one uninterrupted call) and checks in between that the run is not
 * crawling: norm2, the step size, the steps spent on this output interval. */
#define FLOW_CHUNK_STEPS 500
/* Steps allowed between two output times, the guard against a crawl the
 * others miss.  BDF steps are limited by accuracy only: the largest counts
 * measured for one output interval t = 0 .. 40 (--snapshots 1, ising) are
 * 923 at the default tolerances (beta 0.1 .. 10 at N = 100 and 1000;
 * beta = 1 at N = 10^4, and 681 at N = 10^5) and 22591 at rtol 1e-13,
 * atol 1e-16 (N = 100, beta = 5).  A BDF step costs 0.05 .. 0.5 ms at
 * N = 100, so a crawl ends there within ~25 s.  Adams steps are limited by
 * stability, h ~ 1/|J|, and grow in number with the interval's length:
 * 107615 for that one interval at beta = 2 (17 s). */
#define FLOW_MAX_STEPS_BDF 50000L
#define FLOW_MAX_STEPS_ADAMS 200000L
/* A step below this fraction of t (h/t >= 1e-5 in every run measured)
 * makes no progress in any number of steps: step size collapsed.  (CVODE
 * itself only warns once t + h = t, and then steps in place.) */
#define FLOW_H_REL_MIN 1e-10
/* FFTW planning rigour.  The two FFTs of a right-hand side cost < 1% of the
 * model-term integral (N x nodes transcendental evaluations), while
 * FFTW_MEASURE planning costs ~60 ms at N = 100 (bench/run.sh), more than
 * the whole integration: plan by estimate. */
#define FLOW_FFTW_PLAN FFTW_ESTIMATE
/* The large-N solver of the gaussian flow (issue 8: N = 10^6 was 322 s).
 * From N = FLOW_R1_MIN_N on, the preconditioner adds a rank-one term along
 * the weights (r1_setup, exact on that direction), and while that makes it
 * nearly the whole Jacobian (gamma |J - J1| < FLOW_J1_TOL on a probe) the
 * Krylov products apply J1 itself: CVODE's Newton iteration then runs with
 * J1, every Krylov solve takes one iteration and no product streams the
 * model Jacobian's N x nodes table.  Once the profile localises, d_i =
 * <h^2 sech^2(w_i h)> varies over the sites, J1 misses it and the products
 * are exact again.  Jacobians are refrozen every FLOW_R1_MSBJ steps rather
 * than CVODE's 51: a fresher J1 converges in fewer Newton iterations and
 * fails fewer steps.  Measured (ising beta = 1, rtol 1e-8, CPU s, steps;
 * main -> this): N = 3000, T = 200 (localised) 1.23 -> 0.82, 786 -> 655;
 * N = 10^4, T = 40: 5.36 -> 2.92, 927 -> 724; N = 10^5: 25.3 -> 15.1,
 * 659 -> 561; tolerance 0.02 kept too many exact products at 10^4
 * (4.1 s), 0.3 failed steps at 3000 (1.66 s), and a refreeze every 10
 * steps gained nothing.  Below the threshold the numbers stay those of the
 * diagonal preconditioner, bit for bit (the regression set is N <= 100);
 * above it they change within the integration tolerance. */
#define FLOW_R1_MIN_N 10000
#define FLOW_J1_TOL 0.1
#define FLOW_R1_MSBJ 20
/* Krylov subspace dimension for the BDF/Newton-Krylov option. */
#define FLOW_KRYLOV_DIM 20

/* From this N on the transforms run as r2c / c2r with the half-complex
 * packing done here: FFTW's r2hc codelets are not vectorised.  At N =
 * 10^6 (FFTW_ESTIMATE, this machine, 3 December) r2hc + hc2r take 17.6 +
 * 21.8 ms, r2c + c2r 7.1 + 8.2 ms on aligned arrays but 17-19 ms each when
 * planned FFTW_UNALIGNED (no SIMD codelets).  CVODE's vectors come from
 * malloc (16-byte aligned), so the plans are made on aligned arrays and an
 * array FFTW would see misaligned is copied through the aligned scratch r
 * (~1 ms at 10^6).  The two transforms round differently, so the threshold
 * is that of the large-N solver, whose numbers already differ from the
 * small-N path within the integration tolerance; below it every transform
 * is r2hc, bit for bit as before. */
#define FLOW_RC_MIN_N FLOW_R1_MIN_N

struct flow_fft {
    fftw_plan fwd, bwd;     /* r2hc / hc2r of length N, FFTW_UNALIGNED      */
    fftw_plan fwdc, bwdc;   /* r2c / c2r instead (N >= FLOW_RC_MIN_N)       */
    fftw_complex *c;        /* their N/2 + 1 modes                          */
    double *r;              /* aligned real scratch (every N)               */
    int align;              /* fftw_alignment_of the arrays planned on      */
    size_t N;
};

/* x (N reals) -> half-complex hc (x intact) */
static void fft_fwd(const flow_fft *t, const double *x, double *hc)
{
    if (!t->fwdc) {
        fftw_execute_r2r(t->fwd, (double *)x, hc);
        return;
    }
    size_t N = t->N;
    if (fftw_alignment_of((double *)x) != t->align) {
        memcpy(t->r, x, N * sizeof(double));
        x = t->r;
    }
    fftw_execute_dft_r2c(t->fwdc, (double *)x, t->c);
    hc[0] = t->c[0][0];
    for (size_t k = 1; 2 * k < N; k++) {
        hc[k] = t->c[k][0];
        hc[N - k] = t->c[k][1];
    }
    if (N % 2 == 0)
        hc[N / 2] = t->c[N / 2][0];
}

/* half-complex hc -> N reals x, unnormalised (hc intact: hc2r destroys
 * its input, so it runs on a copy) */
static void fft_bwd(const flow_fft *t, const double *hc, double *x)
{
    size_t N = t->N;
    if (!t->bwdc) {
        memcpy(t->r, hc, N * sizeof(double));
        fftw_execute_r2r(t->bwd, t->r, x);
        return;
    }
    t->c[0][0] = hc[0];
    t->c[0][1] = 0.0;
    for (size_t k = 1; 2 * k < N; k++) {
        t->c[k][0] = hc[k];
        t->c[k][1] = hc[N - k];
    }
    if (N % 2 == 0) {
        t->c[N / 2][0] = hc[N / 2];
        t->c[N / 2][1] = 0.0;
    }
    if (fftw_alignment_of(x) == t->align) {
        fftw_execute_dft_c2r(t->bwdc, t->c, x);
        return;
    }
    fftw_execute_dft_c2r(t->bwdc, t->c, t->r);
    memcpy(x, t->r, N * sizeof(double));
}

struct flow {
    flow_params p;
    const flow_family *fam;
    void *ctx;              /* the family's context                         */
    size_t N, M, MN, n;     /* sites; units; weights M N; state length     */
    double *lam;            /* Lambda_k (M x N, half-complex order)        */
    double *pd, *pm;        /* preconditioner: data / model Jacobian diag  */
    double *w, *g, *m, *mv; /* real-space scratch: weights, fields, terms  */
    double *d, *vr, *jv;    /* nonlinear data term; J v input / output     */
    double *hc;             /* half-complex scratch                         */
    /* rank-one preconditioner correction (gaussian family, FLOW_R1_MIN_N):
     * r1u = Parseval-weighted modes of the unit weight direction, r1r = the
     * part of J's action on it the diagonal misses, r1s = r1r / den at the
     * gamma r1_gamma, r1_su = r1u . r1s */
    int r1_on, r1_ready;
    double *r1u, *r1r, *r1s, r1_gamma, r1_su;
    double r1_err;          /* |(J - J1) z| / |z| on the probe z            */
    int j1_mode;            /* jtimes applies J1: CVODE's Newton with J1   */
    struct flow_fft fft;
    team *tm;               /* flow_params.threads > 1, or NULL             */
    unit_params unit;
    SUNContext ctx_sun;
    N_Vector y;
    void *cv;
    SUNLinearSolver ls;
    SUNNonlinearSolver nls;
    double t;
    long nrhs;
    int jac_ready;          /* psetup has frozen a Jacobian                 */
    char err[SYM_ERRLEN];   /* message from inside the right-hand side     */
    char cvmsg[SYM_ERRLEN]; /* SUNDIALS' message (the error handler)       */
};

void flow_fft_forward(const flow_fft *t, const double *x, double *hc)
{
    fft_fwd(t, x, hc); /* leaves its input intact */
}

/* half-complex -> real space, normalised (FFTW's hc2r is unnormalised) */
static void to_real(flow *f, const double *hc, double *x)
{
    fft_bwd(&f->fft, hc, x);
    double s = 1.0 / (double)f->N;
    for (size_t i = 0; i < f->N; i++)
        x[i] *= s;
}

/* the M profiles of a state (or of a vector of the same layout) */
static void profiles_to_real(flow *f, const double *y, double *w)
{
    for (size_t mu = 0; mu < f->M; mu++)
        to_real(f, y + mu * f->N, w + mu * f->N);
}

static void profiles_to_modes(flow *f, double *x, double *y)
{
    for (size_t mu = 0; mu < f->M; mu++)
        fft_fwd(&f->fft, x + mu * f->N, y + mu * f->N);
}

/* norm2 = sum_i w_i^2 of profile mu from its modes (Parseval): slot 0 and
 * the Nyquist slot of even N once, every other slot for two modes */
static double modes_norm2(const flow *f, const double *y)
{
    size_t N = f->N;
    double q = y[0] * y[0];
    for (size_t k = 1; k < N; k++)
        q += (2 * k == N ? 1.0 : 2.0) * y[k] * y[k];
    return q / (double)N;
}

/* The nonlinear real-space part of the flow, q = m - D_nl (into f->m), at
 * the weights in f->w and fields g; mv = <v>_model when g is learned. */
static int nonlinear_terms(flow *f, const double *g, char *err)
{
    int st = f->fam->model_eval(f->ctx, f->w, g, f->m, g ? f->mv : NULL, err);
    if (st || !f->fam->data_eval)
        return st;
    st = f->fam->data_eval(f->ctx, f->w, f->d, err);
    if (st)
        return st;
    for (size_t i = 0; i < f->MN; i++)
        f->m[i] -= f->d[i];
    return SYM_OK;
}

int flow_gradient(flow *f, const double *w, const double *g, double *dw, double *dg, char *err)
{
    size_t N = f->N;
    int st = f->fam->model_eval(f->ctx, w, g, f->m, dg ? f->mv : NULL, err);
    if (st)
        return sym_context(err, st, "flow_gradient");
    /* the linear data term through the spectrum: FFT, multiply by Lambda,
     * inverse FFT (gaussian: C w) */
    for (size_t mu = 0; mu < f->M; mu++) {
        fft_fwd(&f->fft, w + mu * N, f->hc);
        for (size_t k = 0; k < N; k++)
            f->hc[k] *= f->lam[mu * N + k] / (double)N;
        fft_bwd(&f->fft, f->hc, dw + mu * N);
    }
    if (f->fam->data_eval) {
        st = f->fam->data_eval(f->ctx, w, f->d, err);
        if (st)
            return sym_context(err, st, "flow_gradient");
        for (size_t i = 0; i < f->MN; i++)
            dw[i] += f->d[i];
    }
    for (size_t i = 0; i < f->MN; i++)
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
    size_t N = f->N, MN = f->MN;
    const double *y = N_VGetArrayPointer(yv);
    double *dy = N_VGetArrayPointer(ydot);
    f->nrhs++;
    profiles_to_real(f, y, f->w);
    const double *g = NULL;
    if (f->p.learn_fields) {
        to_real(f, y + MN, f->g);
        g = f->g;
    }
    if (nonlinear_terms(f, g, f->err))
        return -1; /* unrecoverable: the message is in f->err */
    profiles_to_modes(f, f->m, dy);
    for (size_t k = 0; k < MN; k++)
        dy[k] = (f->lam[k] - f->p.l2) * y[k] - dy[k];
    if (g) {
        for (size_t i = 0; i < N; i++)
            f->mv[i] = f->p.data->mean - f->mv[i];
        fft_fwd(&f->fft, f->mv, dy + MN);
    }
    return 0;
}

/* The rank-one correction of the preconditioner, at the weights in f->w
 * with the family's Jacobian just frozen.  Along the unit direction v =
 * w / |w| the model Jacobian acts as J_m v; the Fourier-diagonal part
 * keeps pm v^, and the remainder r^ = F(J_m v) - pm v^ becomes a rank-one
 * term, so that the preconditioner's Jacobian
 *     J1 x = (pd - pm - l2) x - r^ (u . x),   u . x = v . F^-1 x,
 * is exact on v^.  (The gaussian model Jacobian is diag(d) + low rank
 * through p(h); while the profile is spread, w_i h << 1, d is nearly
 * constant and the low-rank part is ~ (<h^4> - <h^2>^2) w w^T, the one
 * stiff direction the diagonal misses.)  u: the half-complex modes with
 * Parseval's weights, so that u . v^ = |v|^2 = 1. */
static void r1_setup(flow *f)
{
    size_t N = f->N;
    double q = 0;
    for (size_t i = 0; i < N; i++)
        q += f->w[i] * f->w[i];
    f->r1_ready = 0;
    if (!(q > 0) || !isfinite(q))
        return;
    double s = 1.0 / sqrt(q);
    for (size_t i = 0; i < N; i++)
        f->vr[i] = f->w[i] * s;
    f->fam->model_jac_apply(f->ctx, f->vr, f->jv);
    fft_fwd(&f->fft, f->jv, f->r1r);
    fft_fwd(&f->fft, f->vr, f->r1u);
    for (size_t k = 0; k < N; k++) {
        f->r1r[k] -= f->pm[k] * f->r1u[k];
        f->r1u[k] *= (k == 0 || 2 * k == N ? 1.0 : 2.0) / (double)N;
    }
    f->r1_gamma = NAN; /* s1 is formed at the first solve's gamma */
    f->r1_ready = 1;
    /* How far J1 is from J: the probe z_i = (-1)^i v_i lives where the
     * weights are (where d_i departs from its mean once the profile
     * localises) and is nearly orthogonal to v.  e^ = F(J_m z) - pm z^ -
     * r^ (u . z^) is the model Jacobian's part that J1 misses on z. */
    for (size_t i = 0; i < N; i++)
        f->vr[i] = (i & 1) ? -f->w[i] * s : f->w[i] * s;
    f->fam->model_jac_apply(f->ctx, f->vr, f->jv);
    fft_fwd(&f->fft, f->jv, f->hc);
    fft_fwd(&f->fft, f->vr, f->d);
    double uz = 0;
    for (size_t k = 0; k < N; k++)
        uz += f->r1u[k] * f->d[k];
    double e2 = 0, z2 = 0;
    for (size_t k = 0; k < N; k++) {
        double c = (k == 0 || 2 * k == N ? 1.0 : 2.0);
        double e = f->hc[k] - f->pm[k] * f->d[k] - f->r1r[k] * uz;
        e2 += c * e * e;
        z2 += c * f->d[k] * f->d[k];
    }
    f->r1_err = z2 > 0 ? sqrt(e2 / z2) : INFINITY;
}

/* J1 for the Krylov products while it is close to J at this gamma. */
static void j1_choose(flow *f, double gamma)
{
    f->j1_mode = f->r1_ready && gamma * f->r1_err < FLOW_J1_TOL;
}

/* Newton-Krylov option.  psetup freezes the family's Jacobians at the
 * current state (gaussian: core/marg's diagonal plus a low-rank part
 * through p(h)); jtimes applies the full Jacobian of the flow with them,
 *     J v = (Lambda - l2) v - FFT[ (J_m - J_Dnl) FFT^-1 v ],
 * in O(N nodes + N log N) with no transcendental function, instead of a
 * difference quotient that costs one more right-hand side per Krylov
 * iteration.  The preconditioner keeps the Fourier-diagonal parts the
 * family gives (gaussian: lambda_k and the mean of J_m's diagonal),
 * P = I - gamma (pd_k - pm_k - l2).  (Learned fields: difference-quotient
 * products, P the identity on the field modes.) */
static int psetup(sunrealtype t, N_Vector yv, N_Vector fy, sunbooleantype jok,
                  sunbooleantype *jcur, sunrealtype gamma, void *ud)
{
    (void)t;
    (void)fy;
    flow *f = ud;
    if (jok) {
        *jcur = SUNFALSE;
        j1_choose(f, gamma);
        return 0;
    }
    *jcur = SUNTRUE;
    const double *y = N_VGetArrayPointer(yv);
    profiles_to_real(f, y, f->w);
    const double *g = NULL;
    if (f->p.learn_fields) {
        to_real(f, y + f->MN, f->g);
        g = f->g;
    }
    if (f->fam->data_eval && f->fam->data_jac_setup(f->ctx, f->w, f->pd, f->err))
        return -1;
    if (f->fam->model_jac_setup(f->ctx, f->w, g, f->pm, f->err))
        return -1;
    f->jac_ready = 1;
    if (f->r1_on)
        r1_setup(f);
    j1_choose(f, gamma);
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
    const double *vv = N_VGetArrayPointer(v);
    double *out = N_VGetArrayPointer(Jv);
    if (f->j1_mode) { /* J1 v = (pd - pm - l2) v - r^ (u . v): FLOW_J1_TOL */
        double uv = 0;
        for (size_t k = 0; k < f->N; k++)
            uv += f->r1u[k] * vv[k];
        for (size_t k = 0; k < f->N; k++)
            out[k] = (f->pd[k] - f->pm[k] - f->p.l2) * vv[k] - f->r1r[k] * uv;
        return 0;
    }
    profiles_to_real(f, vv, f->vr);
    f->fam->model_jac_apply(f->ctx, f->vr, f->jv);
    if (f->fam->data_eval) {
        f->fam->data_jac_apply(f->ctx, f->vr, f->d);
        for (size_t i = 0; i < f->MN; i++)
            f->jv[i] -= f->d[i];
    }
    profiles_to_modes(f, f->jv, out);
    for (size_t k = 0; k < f->MN; k++)
        out[k] = (f->lam[k] - f->p.l2) * vv[k] - out[k];
    return 0;
}

/* Sherman-Morrison: with P = Dg + gamma r^ u^T (Dg = the diagonal of
 * psolve, I - gamma J1 = P) and z = Dg^-1 b already in z,
 *     P^-1 b = z - gamma s (u . z) / (1 + gamma u . s),   s = Dg^-1 r^;
 * s and u . s are kept for the gamma of the last call (CVODE solves several
 * Krylov systems at one gamma). */
static void r1_solve(flow *f, double gamma, double *z)
{
    size_t N = f->N;
    if (!(gamma == f->r1_gamma)) {
        double su = 0;
        for (size_t k = 0; k < N; k++) {
            double den = 1.0 - gamma * (f->pd[k] - f->pm[k] - f->p.l2);
            f->r1s[k] = f->r1r[k] / (fabs(den) > 1e-12 ? den : 1.0);
            su += f->r1u[k] * f->r1s[k];
        }
        f->r1_su = su;
        f->r1_gamma = gamma;
    }
    double c = 1.0 + gamma * f->r1_su;
    if (!(fabs(c) > 1e-12))
        return; /* P singular along r^: the diagonal alone */
    double uz = 0;
    for (size_t k = 0; k < N; k++)
        uz += f->r1u[k] * z[k];
    double a = gamma * uz / c;
    for (size_t k = 0; k < N; k++)
        z[k] -= a * f->r1s[k];
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
    for (size_t k = 0; k < f->MN; k++) {
        double den = 1.0 - gamma * (f->pd[k] - f->pm[k] - f->p.l2);
        zz[k] = rr[k] / (fabs(den) > 1e-12 ? den : 1.0);
    }
    for (size_t k = f->MN; k < f->n; k++)
        zz[k] = rr[k];
    if (f->r1_ready)
        r1_solve(f, gamma, zz);
    return 0;
}

/* CVODE's weighted RMS norm, sqrt(sum (x_i w_i)^2 / n), several times per
 * step.  The serial NVector sums in one chain, bound by the latency of
 * the adds (6.5 ms at n = 10^6, against 2.7 ms for a linear sum that moves
 * more memory); eight partial sums in a fixed order cut that chain.  The
 * order differs from the serial one, so, as the r2c transforms, it is
 * installed from FLOW_RC_MIN_N on only (on f->y before CVodeInit: CVODE
 * clones every vector it makes from it, operations included). */
static sunrealtype wrms_norm8(N_Vector xv, N_Vector wv)
{
    const double *x = N_VGetArrayPointer(xv), *w = N_VGetArrayPointer(wv);
    size_t n = (size_t)N_VGetLength(xv), i = 0;
    double s[8] = {0};
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) {
            double p = x[i + j] * w[i + j];
            s[j] += p * p;
        }
    for (; i < n; i++) {
        double p = x[i] * w[i];
        s[0] += p * p;
    }
    double t = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    return sqrt(t / (double)n);
}

/* The linear solver CVODE sees: SPGMR, except while the Newton iteration
 * runs with J1 (j1_mode).  Then the preconditioner P = I - gamma J1 is the
 * system matrix itself (Sherman-Morrison makes P^-1 exact), so one
 * application of psolve is the solution, and SPGMR's set-up of the same
 * answer (scaling, a zero-iteration residual test, one Arnoldi step with
 * its Gram-Schmidt and norms, ~12 passes over the state) is skipped: at
 * N = 10^6 those passes over 8 MB vectors were a fifth of the run
 * (perf, 3 December).  The result is the exact solve where SPGMR returned
 * it to rounding (or returned 0 when b already passed its test), so the
 * numbers change within the integration tolerance; j1_mode exists only
 * with the large-N solver (flow_set_rank1, on by default from
 * FLOW_R1_MIN_N), without it every call goes to SPGMR unchanged.  One
 * direct solve counts as one Krylov iteration. */
typedef struct {
    SUNLinearSolver spgmr;
    flow *f;
    void *pdata;
    SUNPSolveFn psol;
    int direct;             /* the last solve was direct                   */
    sunindextype flag;
} flow_ls;

static flow_ls *fls(SUNLinearSolver S) { return S->content; }
static SUNLinearSolver_Type fls_type(SUNLinearSolver S)
{
    (void)S;
    return SUNLINEARSOLVER_ITERATIVE;
}
static SUNLinearSolver_ID fls_id(SUNLinearSolver S)
{
    (void)S;
    return SUNLINEARSOLVER_CUSTOM;
}
static int fls_atimes(SUNLinearSolver S, void *d, SUNATimesFn a)
{
    return SUNLinSolSetATimes(fls(S)->spgmr, d, a);
}
static int fls_prec(SUNLinearSolver S, void *d, SUNPSetupFn ps, SUNPSolveFn pv)
{
    fls(S)->pdata = d;
    fls(S)->psol = pv;
    return SUNLinSolSetPreconditioner(fls(S)->spgmr, d, ps, pv);
}
static int fls_scale(SUNLinearSolver S, N_Vector s1, N_Vector s2)
{
    return SUNLinSolSetScalingVectors(fls(S)->spgmr, s1, s2);
}
static int fls_zero(SUNLinearSolver S, sunbooleantype on)
{
    return SUNLinSolSetZeroGuess(fls(S)->spgmr, on);
}
static int fls_init(SUNLinearSolver S) { return SUNLinSolInitialize(fls(S)->spgmr); }
static int fls_setup(SUNLinearSolver S, SUNMatrix A) { return SUNLinSolSetup(fls(S)->spgmr, A); }
static int fls_solve(SUNLinearSolver S, SUNMatrix A, N_Vector x, N_Vector b, sunrealtype tol)
{
    flow_ls *c = fls(S);
    c->direct = c->f->j1_mode && c->psol;
    if (!c->direct)
        return SUNLinSolSolve(c->spgmr, A, x, b, tol);
    int st = c->psol(c->pdata, b, x, tol, SUN_PREC_LEFT);
    c->flag = st == 0 ? SUNLS_SUCCESS : st > 0 ? SUNLS_PSOLVE_FAIL_REC : SUNLS_PSOLVE_FAIL_UNREC;
    return (int)c->flag;
}
static int fls_iters(SUNLinearSolver S)
{
    return fls(S)->direct ? 1 : SUNLinSolNumIters(fls(S)->spgmr);
}
static sunrealtype fls_resnorm(SUNLinearSolver S)
{
    return fls(S)->direct ? 0.0 : SUNLinSolResNorm(fls(S)->spgmr);
}
static N_Vector fls_resid(SUNLinearSolver S) { return SUNLinSolResid(fls(S)->spgmr); }
static sunindextype fls_lastflag(SUNLinearSolver S)
{
    return fls(S)->direct ? fls(S)->flag : SUNLinSolLastFlag(fls(S)->spgmr);
}
static int fls_free(SUNLinearSolver S)
{
    if (!S)
        return 0;
    if (S->content) {
        SUNLinSolFree(fls(S)->spgmr);
        free(S->content);
        S->content = NULL;
    }
    SUNLinSolFreeEmpty(S);
    return 0;
}

/* the wrapper around a new SPGMR; NULL when out of memory */
static SUNLinearSolver fls_new(flow *f)
{
    SUNLinearSolver in = SUNLinSol_SPGMR(f->y, SUN_PREC_LEFT, FLOW_KRYLOV_DIM, f->ctx_sun);
    if (!in)
        return NULL;
    SUNLinearSolver S = SUNLinSolNewEmpty(f->ctx_sun);
    flow_ls *c = calloc(1, sizeof *c);
    if (!S || !c) {
        free(c);
        if (S)
            SUNLinSolFreeEmpty(S);
        SUNLinSolFree(in);
        return NULL;
    }
    c->spgmr = in;
    c->f = f;
    S->content = c;
    S->ops->gettype = fls_type;
    S->ops->getid = fls_id;
    S->ops->setatimes = fls_atimes;
    S->ops->setpreconditioner = fls_prec;
    S->ops->setscalingvectors = fls_scale;
    S->ops->setzeroguess = fls_zero;
    S->ops->initialize = fls_init;
    S->ops->setup = fls_setup;
    S->ops->solve = fls_solve;
    S->ops->numiters = fls_iters;
    S->ops->resnorm = fls_resnorm;
    S->ops->resid = fls_resid;
    S->ops->lastflag = fls_lastflag;
    S->ops->free = fls_free;
    return S;
}

/* SUNDIALS' error handler: its messages become ours, nothing is printed.
 * Errors: the first since flow_advance started a CVode call is kept for
 * its message.  Warnings: the only one CVode issues while stepping is
 * "t + h = t" (it would then step in place); flow_advance's check between
 * two chunks of steps reports that as a collapsed step size. */
static void cv_handler(int code, const char *module, const char *function, char *msg, void *ud)
{
    (void)module;
    flow *f = ud;
    if (code == CV_WARNING || f->cvmsg[0])
        return;
    snprintf(f->cvmsg, sizeof f->cvmsg, "%s: %s", function, msg);
    for (char *c = f->cvmsg; *c; c++)
        if (*c == '\n' || *c == '\t')
            *c = ' ';
    for (size_t n = strlen(f->cvmsg); n && f->cvmsg[n - 1] == ' '; n--)
        f->cvmsg[n - 1] = 0;
}

static int cv_check(flow *f, int flag, const char *call, char *err)
{
    if (flag < 0)
        return sym_error(err, SYM_ENUM, "flow_alloc: %s failed (flag %d)%s%s", call, flag,
                         f->cvmsg[0] ? ": " : "", f->cvmsg);
    return SYM_OK;
}

/* Finite state, no unit's norm2 beyond FLOW_N_NORM2_MAX / N, and atol not below
 * the rounding of the state (FLOW_ATOL_NOISE).  At t = 0 (flow_alloc) a
 * too small atol is a bad parameter (SYM_EINVAL); later it is found as the
 * weights grow (SYM_ENUM). */
static int check_state(flow *f, double t, char *err)
{
    const double *y = N_VGetArrayPointer(f->y);
    double ymax = 0;
    for (size_t k = 0; k < f->n; k++) {
        if (!isfinite(y[k]))
            return sym_error(err, SYM_ENUM, "NaN in the weights at t = %g", t);
        ymax = fmax(ymax, fabs(y[k]));
    }
    double qmax = FLOW_N_NORM2_MAX / (double)f->N;
    for (size_t mu = 0; mu < f->M; mu++) {
        double q = modes_norm2(f, y + mu * f->N);
        if (q > qmax) {
            char unit[48] = "";
            if (f->M > 1)
                snprintf(unit, sizeof unit, " (unit %zu)", mu);
            if (t == 0)
                return sym_error(err, SYM_ENUM,
                                 "initial weights too large: norm2 = %.3g%s, beyond %g / N = %g: "
                                 "the flow would crawl",
                                 q, unit, FLOW_N_NORM2_MAX, qmax);
            return sym_error(err, SYM_ENUM,
                             "weights diverged: norm2 = %.3g%s at t = %g, beyond %g / N = %g", q,
                             unit, t, FLOW_N_NORM2_MAX, qmax);
        }
    }
    double floor = FLOW_ATOL_NOISE * DBL_EPSILON * ymax;
    if (f->p.atol < floor) {
        if (t == 0)
            return sym_error(err, SYM_EINVAL,
                             "atol = %g: below the rounding of the initial state, need atol >= %.3g",
                             f->p.atol, floor);
        return sym_error(err, SYM_ENUM,
                         "atol = %g fell below the rounding of the weights at t = %g (need atol "
                         ">= %.3g): the error test would chase rounding",
                         f->p.atol, t, floor);
    }
    return SYM_OK;
}

static int check_params(const flow_params *p, char *err)
{
    if (!p->data)
        return sym_error(err, SYM_EINVAL, "no data model");
    /* the floors: theory/flow.h */
    if (!(p->rtol >= FLOW_RTOL_MIN && p->rtol < 1))
        return sym_error(err, SYM_EINVAL, "rtol = %g: need %g <= rtol < 1", p->rtol, FLOW_RTOL_MIN);
    if (!(p->atol >= FLOW_ATOL_MIN) || !isfinite(p->atol))
        return sym_error(err, SYM_EINVAL, "atol = %g: need finite atol >= %g", p->atol,
                         FLOW_ATOL_MIN);
    if (!(p->l2 >= 0) || !isfinite(p->l2))
        return sym_error(err, SYM_EINVAL, "l2 = %g: need finite l2 >= 0", p->l2);
    if (p->method != FLOW_ADAMS && p->method != FLOW_BDF)
        return sym_error(err, SYM_EINVAL, "method = %d: need FLOW_ADAMS or FLOW_BDF",
                         (int)p->method);
    const flow_family *fam = p->family ? p->family : &flow_family_gaussian;
    if (!fam->alloc || !fam->free || !fam->units || !fam->model_eval || !fam->model_jac_setup ||
        !fam->model_jac_apply || !fam->loglik ||
        (fam->data_eval && (!fam->data_jac_setup || !fam->data_jac_apply)))
        return sym_error(err, SYM_EINVAL, "family %s: a required function is missing",
                         fam->name ? fam->name : "(unnamed)");
    return SYM_OK;
}

static int rank1_allowed(const flow *f)
{
    return f->p.method == FLOW_BDF && f->fam == &flow_family_gaussian && f->M == 1 &&
           !f->p.learn_fields && f->ls;
}

int flow_alloc(flow **out, const flow_params *p, const double *w0, const double *g0, char *err)
{
    return flow_alloc_units(out, p, NULL, w0, g0, err);
}

int flow_alloc_units(flow **out, const flow_params *p, const flow_hidden *u, const double *w0,
                     const double *g0, char *err)
{
    *out = NULL;
    int st = check_params(p, err);
    if (st)
        return sym_context(err, st, "flow_alloc");
    size_t N = p->data->N;
    flow *f = calloc(1, sizeof *f);
    if (!f)
        return sym_error(err, SYM_ENOMEM, "flow_alloc: out of memory");
    f->p = *p;
    f->N = N;
    f->fam = p->family ? p->family : &flow_family_gaussian;
    f->unit = (unit_params){&unit_gaussian, 1.0, 0.0, 1.0, 0.0};
    if (p->threads > 1) {
        st = team_alloc(&f->tm, p->threads, err);
        if (st) {
            flow_free(f);
            return sym_context(err, st, "flow_alloc");
        }
    }
    flow_family_args fa = {p->data, &f->unit, &f->fft, p->learn_fields, u, f->tm};
    st = f->fam->alloc(&f->ctx, &fa, err);
    if (st) {
        flow_free(f);
        return sym_context(err, st, "flow_alloc");
    }
    f->M = f->fam->units(f->ctx);
    /* every size below is at most (M + 1) N doubles */
    if (f->M < 1 || f->M > SIZE_MAX / sizeof(double) / N - 1 ||
        (f->M + 1) * N > (size_t)INT64_MAX) {
        flow_free(f);
        return sym_error(err, SYM_EINVAL, "flow_alloc: M = %zu units of N = %zu: out of range",
                         f->M, N);
    }
    f->MN = f->M * N;
    f->n = f->MN + (p->learn_fields ? N : 0);
    size_t mn = f->MN * sizeof(double);
    f->lam = fftw_malloc(mn);
    f->pd = fftw_malloc(mn);
    f->pm = fftw_malloc(mn);
    f->w = fftw_malloc(mn);
    f->m = fftw_malloc(mn);
    f->d = fftw_malloc(mn);
    f->vr = fftw_malloc(mn);
    f->jv = fftw_malloc(mn);
    f->g = fftw_malloc(N * sizeof(double));
    f->mv = fftw_malloc(N * sizeof(double));
    f->hc = fftw_malloc(N * sizeof(double));
    if (!f->lam || !f->pd || !f->pm || !f->w || !f->m || !f->d || !f->vr || !f->jv || !f->g ||
        !f->mv || !f->hc) {
        flow_free(f);
        return sym_error(err, SYM_ENOMEM, "flow_alloc: out of memory (N = %zu, M = %zu)", N,
                         f->M);
    }
    /* plans once; every later call reuses them through new-array execution,
     * also on CVODE's and the caller's arrays, whose alignment FFTW cannot
     * know: hence FFTW_UNALIGNED. */
    f->fft.fwd =
        fftw_plan_r2r_1d((int)N, f->w, f->hc, FFTW_R2HC, FLOW_FFTW_PLAN | FFTW_UNALIGNED);
    f->fft.bwd =
        fftw_plan_r2r_1d((int)N, f->hc, f->w, FFTW_HC2R, FLOW_FFTW_PLAN | FFTW_UNALIGNED);
    f->fft.N = N;
    f->fft.r = fftw_malloc(N * sizeof(double));
    if (N >= FLOW_RC_MIN_N) {
        f->fft.c = fftw_malloc((N / 2 + 1) * sizeof(fftw_complex));
        if (f->fft.c && f->fft.r) {
            f->fft.align = fftw_alignment_of(f->fft.r);
            f->fft.fwdc = fftw_plan_dft_r2c_1d((int)N, f->fft.r, f->fft.c, FLOW_FFTW_PLAN);
            f->fft.bwdc = fftw_plan_dft_c2r_1d((int)N, f->fft.c, f->fft.r, FLOW_FFTW_PLAN);
        }
    }
    if (!f->fft.r || !f->fft.fwd || !f->fft.bwd ||
        (N >= FLOW_RC_MIN_N && (!f->fft.fwdc || !f->fft.bwdc))) {
        flow_free(f);
        return sym_error(err, SYM_ENOMEM, "flow_alloc: FFTW planning failed (N = %zu)", N);
    }
    if (f->fam->data_lin)
        f->fam->data_lin(f->ctx, f->lam);
    else
        memset(f->lam, 0, mn);
    memcpy(f->pd, f->lam, mn); /* the data Jacobian's diagonal when D_nl = 0 */
    memset(f->pm, 0, mn);
    for (size_t i = 0; i < f->MN; i++)
        if (!isfinite(w0[i])) {
            flow_free(f);
            return sym_error(err, SYM_EINVAL, "flow_alloc: w0[%zu] = %g: need finite weights", i,
                             w0[i]);
        }
    if (p->learn_fields && g0)
        for (size_t i = 0; i < N; i++)
            if (!isfinite(g0[i])) {
                flow_free(f);
                return sym_error(err, SYM_EINVAL, "flow_alloc: g0[%zu] = %g: need finite fields",
                                 i, g0[i]);
            }

    int flag = SUNContext_Create(NULL, &f->ctx_sun);
    if (flag) {
        flow_free(f);
        return sym_error(err, SYM_ENUM, "flow_alloc: SUNContext_Create failed (%d)", flag);
    }
    f->y = N_VNew_Serial((sunindextype)f->n, f->ctx_sun);
    if (!f->y) {
        flow_free(f);
        return sym_error(err, SYM_ENOMEM, "flow_alloc: out of memory");
    }
    if (N >= FLOW_RC_MIN_N)
        f->y->ops->nvwrmsnorm = wrms_norm8;
    double *y = N_VGetArrayPointer(f->y);
    memcpy(f->w, w0, mn);
    profiles_to_modes(f, f->w, y);
    if (p->learn_fields) {
        for (size_t i = 0; i < N; i++)
            f->g[i] = g0 ? g0[i] : 0.0;
        fft_fwd(&f->fft, f->g, y + f->MN);
    }
    st = check_state(f, 0.0, err);
    if (st) {
        flow_free(f);
        return sym_context(err, st, "flow_alloc");
    }

    f->cv = CVodeCreate(p->method == FLOW_BDF ? CV_BDF : CV_ADAMS, f->ctx_sun);
    if (!f->cv)
        st = sym_error(err, SYM_ENOMEM, "flow_alloc: CVodeCreate failed");
    if (!st)
        st = cv_check(f, CVodeSetErrHandlerFn(f->cv, cv_handler, f), "CVodeSetErrHandlerFn", err);
    if (!st)
        st = cv_check(f, CVodeInit(f->cv, rhs, 0.0, f->y), "CVodeInit", err);
    if (!st)
        st = cv_check(f, CVodeSStolerances(f->cv, p->rtol, p->atol), "CVodeSStolerances", err);
    if (!st)
        st = cv_check(f, CVodeSetUserData(f->cv, f), "CVodeSetUserData", err);
    if (!st)
        st = cv_check(f, CVodeSetMaxNumSteps(f->cv, FLOW_CHUNK_STEPS), "CVodeSetMaxNumSteps", err);
    if (!st && p->method == FLOW_ADAMS) {
        f->nls = SUNNonlinSol_FixedPoint(f->y, 0, f->ctx_sun);
        if (!f->nls)
            st = sym_error(err, SYM_ENOMEM, "flow_alloc: SUNNonlinSol_FixedPoint failed");
        if (!st)
            st = cv_check(f, CVodeSetNonlinearSolver(f->cv, f->nls), "CVodeSetNonlinearSolver",
                          err);
    }
    if (!st && p->method == FLOW_BDF) {
        f->ls = fls_new(f);
        if (!f->ls)
            st = sym_error(err, SYM_ENOMEM, "flow_alloc: SUNLinSol_SPGMR failed");
        if (!st)
            st = cv_check(f, CVodeSetLinearSolver(f->cv, f->ls, NULL), "CVodeSetLinearSolver",
                          err);
        if (!st)
            st = cv_check(f, CVodeSetPreconditioner(f->cv, psetup, psolve),
                          "CVodeSetPreconditioner", err);
        if (!st && !p->learn_fields)
            st = cv_check(f, CVodeSetJacTimes(f->cv, NULL, jtimes), "CVodeSetJacTimes", err);

    }
    if (!st && N >= FLOW_R1_MIN_N && rank1_allowed(f))
        st = flow_set_rank1(f, 1, err);
    if (st) {
        flow_free(f);
        return st;
    }
    *out = f;
    return SYM_OK;
}

int flow_set_rank1(flow *f, int on, char *err)
{
    long nst = 0;
    CVodeGetNumSteps(f->cv, &nst);
    if (nst > 0 || f->t > 0)
        return sym_error(err, SYM_EINVAL, "flow_set_rank1: the integration has begun");
    if (on && !rank1_allowed(f))
        return sym_error(err, SYM_EINVAL,
                         "flow_set_rank1: needs BDF, one gaussian unit and fixed fields");
    if (on && !f->r1u) {
        size_t N = f->N;
        f->r1u = fftw_malloc(N * sizeof(double));
        f->r1r = fftw_malloc(N * sizeof(double));
        f->r1s = fftw_malloc(N * sizeof(double));
        if (!f->r1u || !f->r1r || !f->r1s)
            return sym_error(err, SYM_ENOMEM, "flow_set_rank1: out of memory (N = %zu)", N);
    }
    int flag = CVodeSetJacEvalFrequency(f->cv, on ? FLOW_R1_MSBJ : 51L); /* 51: CVODE's default */
    if (flag < 0)
        return sym_error(err, SYM_ENUM, "flow_set_rank1: CVodeSetJacEvalFrequency failed (%d)",
                         flag);
    f->r1_on = on != 0;
    f->r1_ready = 0;
    f->j1_mode = 0;
    f->jac_ready = 0;
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
    if (f->ctx_sun)
        SUNContext_Free(&f->ctx_sun);
    if (f->fft.fwd)
        fftw_destroy_plan(f->fft.fwd);
    if (f->fft.bwd)
        fftw_destroy_plan(f->fft.bwd);
    if (f->fft.fwdc)
        fftw_destroy_plan(f->fft.fwdc);
    if (f->fft.bwdc)
        fftw_destroy_plan(f->fft.bwdc);
    fftw_free(f->fft.c);
    fftw_free(f->fft.r);
    if (f->ctx)
        f->fam->free(f->ctx);
    team_free(f->tm);
    fftw_free(f->lam);
    fftw_free(f->pd);
    fftw_free(f->pm);
    fftw_free(f->w);
    fftw_free(f->m);
    fftw_free(f->d);
    fftw_free(f->vr);
    fftw_free(f->jv);
    fftw_free(f->g);
    fftw_free(f->mv);
    fftw_free(f->hc);
    fftw_free(f->r1u);
    fftw_free(f->r1r);
    fftw_free(f->r1s);
    free(f);
}

int flow_advance(flow *f, double tout, char *err)
{
    if (tout <= f->t)
        return SYM_OK;
    if (!isfinite(tout))
        return sym_error(err, SYM_EINVAL, "flow_advance: tout = %g: need a finite time", tout);
    long max_steps = f->p.method == FLOW_BDF ? FLOW_MAX_STEPS_BDF : FLOW_MAX_STEPS_ADAMS;
    long steps0 = 0, steps = 0;
    CVodeGetNumSteps(f->cv, &steps0);
    double t_from = f->t;
    for (;;) {
        double tret = f->t;
        f->err[0] = 0;
        f->cvmsg[0] = 0;
        int flag = CVode(f->cv, tout, f->y, &tret, CV_NORMAL);
        if (flag < 0 && flag != CV_TOO_MUCH_WORK) {
            double tc = f->t;
            CVodeGetCurrentTime(f->cv, &tc);
            if (f->err[0])
                return sym_error(err, SYM_ENUM, "flow_advance: at t = %g: %s", tc, f->err);
            char *name = CVodeGetReturnFlagName(flag);
            sym_error(err, SYM_ENUM, "flow_advance: CVODE at t = %g: %s (%s)", tc,
                      f->cvmsg[0] ? f->cvmsg : "no message", name ? name : "?");
            free(name); /* SUNDIALS allocates the name */
            return SYM_ENUM;
        }
        f->t = tret;
        int st = check_state(f, tret, err);
        if (st)
            return sym_context(err, st, "flow_advance");
        if (flag >= 0)
            return SYM_OK;
        /* a chunk of FLOW_CHUNK_STEPS steps ended before tout */
        double h = 0;
        CVodeGetCurrentStep(f->cv, &h);
        CVodeGetNumSteps(f->cv, &steps);
        if (fabs(h) < FLOW_H_REL_MIN * fabs(tret))
            return sym_error(err, SYM_ENUM, "flow_advance: step size collapsed: h = %.3g at t = %g",
                             h, tret);
        if (steps - steps0 >= max_steps)
            return sym_error(err, SYM_ENUM,
                             "flow_advance: step size collapsed: %ld steps from t = %g reached "
                             "only t = %g on the way to %g (h = %.3g)%s",
                             steps - steps0, t_from, tret, tout, h,
                             f->p.method == FLOW_ADAMS
                                 ? "; Adams steps are bounded by stiffness, method bdf's are not"
                                 : "");
    }
}

double flow_time(const flow *f)
{
    return f->t;
}

void flow_state(flow *f, double *w, double *g)
{
    const double *y = N_VGetArrayPointer(f->y);
    profiles_to_real(f, y, w);
    if (g) {
        if (f->p.learn_fields)
            to_real(f, y + f->MN, g);
        else
            memset(g, 0, f->N * sizeof(double));
    }
}

size_t flow_units(const flow *f)
{
    return f->M;
}

size_t flow_size(const flow *f)
{
    return f->n;
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
    int s = f->fam->loglik(f->ctx, w, g, L, err);
    if (s)
        return sym_context(err, s, "flow_loglik");
    return SYM_OK;
}

int flow_rhs(flow *f, const double *y, double *dy, char *err)
{
    N_Vector yv = N_VMake_Serial((sunindextype)f->n, (double *)y, f->ctx_sun);
    N_Vector dv = N_VMake_Serial((sunindextype)f->n, dy, f->ctx_sun);
    int st = SYM_OK;
    f->err[0] = 0;
    if (!yv || !dv)
        st = sym_error(err, SYM_ENOMEM, "flow_rhs: out of memory");
    else if (rhs(f->t, yv, dv, f))
        st = sym_error(err, SYM_ENUM, "flow_rhs: %s", f->err);
    f->nrhs--; /* not one of the integration's */
    if (yv)
        N_VDestroy(yv);
    if (dv)
        N_VDestroy(dv);
    return st;
}

int flow_psolve(flow *f, const double *y, double gamma, const double *r, double *z, char *err)
{
    N_Vector yv = N_VMake_Serial((sunindextype)f->n, (double *)y, f->ctx_sun);
    N_Vector rv = N_VMake_Serial((sunindextype)f->n, (double *)r, f->ctx_sun);
    N_Vector zv = N_VMake_Serial((sunindextype)f->n, z, f->ctx_sun);
    int st = SYM_OK;
    sunbooleantype jcur;
    f->err[0] = 0;
    if (!yv || !rv || !zv)
        st = sym_error(err, SYM_ENOMEM, "flow_psolve: out of memory");
    else if (psetup(f->t, yv, NULL, SUNFALSE, &jcur, gamma, f) ||
             psolve(f->t, yv, NULL, rv, zv, gamma, 0.0, 1, f))
        st = sym_error(err, SYM_ENUM, "flow_psolve: %s", f->err);
    if (yv)
        N_VDestroy(yv);
    if (rv)
        N_VDestroy(rv);
    if (zv)
        N_VDestroy(zv);
    return st;
}

int flow_jtimes(flow *f, const double *y, const double *v, double *Jv, char *err)
{
    if (f->p.learn_fields)
        return sym_error(err, SYM_EINVAL,
                         "flow_jtimes: no analytic J v with learned fields (CVODE takes "
                         "difference quotients)");
    N_Vector yv = N_VMake_Serial((sunindextype)f->n, (double *)y, f->ctx_sun);
    N_Vector vv = N_VMake_Serial((sunindextype)f->n, (double *)v, f->ctx_sun);
    N_Vector jv = N_VMake_Serial((sunindextype)f->n, Jv, f->ctx_sun);
    int st = SYM_OK;
    sunbooleantype jcur;
    f->err[0] = 0;
    if (!yv || !vv || !jv)
        st = sym_error(err, SYM_ENOMEM, "flow_jtimes: out of memory");
    else if (psetup(f->t, yv, NULL, SUNFALSE, &jcur, 0.0, f) || (f->j1_mode = 0) ||
             jtimes(vv, jv, f->t, yv, NULL, f, NULL))
        st = sym_error(err, SYM_ENUM, "flow_jtimes: %s", f->err);
    if (yv)
        N_VDestroy(yv);
    if (vv)
        N_VDestroy(vv);
    if (jv)
        N_VDestroy(jv);
    return st;
}
