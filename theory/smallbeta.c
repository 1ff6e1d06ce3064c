/* smallbeta: eq. 37 and its general-M form, its integration and fixed
 * points, and the continuum profile of eqs. 44-45 (SPEC.md 3c).
 *
 * Derivation of the lattice equation from the flow of SPEC 3b (zero fields),
 *     dw_{i mu}/dt = <v_i tanh(I_mu)>_data - <v_i h_mu>_model,
 * at beta -> 0 with w = O(sqrt beta), keeping the leading order beta^{3/2}:
 *   - data: ising C(0) = 1, C(+-1) = beta + O(beta^3), C(r >= 2) = O(beta^2).
 *     tanh I = I - I^3/3 + O(I^5).  <v_i I> = w_i + beta (w_{i+1} + w_{i-1})
 *     + O(beta^{5/2}); the cubic term at beta = 0 (independent spins, only
 *     paired indices survive, the all-equal pairing counted once, not three
 *     times) <v_i I^3> = 3 w_i b(w) - 2 w_i^3.  So
 *         D_{i mu} = w_{i mu} + beta (w_{i+1,mu} + w_{i-1,mu})
 *                    - w_{i mu} sum_k w_{k mu}^2 + (2/3) w_{i mu}^3.
 *   - model: P(h) ∝ prod_i cosh(x_i), x_i = sum_nu w_{i nu} h_nu, and
 *     sum_i log cosh x_i = sum_i x_i^2 / 2 + O(beta^2) = const
 *     + sum_{nu < rho} h_nu h_rho c_{nu rho} (c = w_nu . w_rho = O(beta)),
 *     so E_P[h_mu h_nu] = c_{mu nu} for nu != mu to first order, and with
 *     tanh x = x - x^3/3 (the cubic term at uniform P(h), pairings as above)
 *         m_{i mu} = w_{i mu} + sum_{nu != mu} w_{i nu} c_{mu nu}
 *                    - w_{i mu}^3 / 3 - w_{i mu} sum_{nu != mu} w_{i nu}^2.
 *   - D - m: the linear terms w_{i mu} cancel, every remaining term is
 *     beta^{3/2}; with w = sqrt(beta) u, tau = beta t this is the equation
 *     of smallbeta.h (M = 1: eq. 37; M = 2: eqs. 50-51 corrected).  Every
 *     term is minus a derivative of the E(u) of smallbeta.h (tests check
 *     it by finite differences): to leading order, and up to a constant,
 *     E(u) is -L / beta^2 (L the log-likelihood, whose gradient the flow is).
 *
 * Continuum (eqs. 38-39): u_{i+1} + u_{i-1} = 2 u + u'' + ..., so
 * du/dtau = u'' + (2 - b) u + u^3.  Its stationary localised solution with
 * a = b - 2 > 0 is u = sqrt(2a) sech(sqrt(a) x) (eq. 44: u'' = a u - u^3).
 * Self-consistency b = integral u^2 dx = 2a * 2 / sqrt(a) = 4 sqrt(b - 2),
 * i.e. b^2 - 16 b + 32 = 0: b = 8 -+ 4 sqrt 2 (eq. 45).  Stability (eqs.
 * 46-47) is checked numerically by the tests (spectrum of the linearised
 * operator d^2 + (2 - b) + 3 u^2 - 2 u (integral u .)).
 */
#include "theory/smallbeta.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_permutation.h>

#include <cvode/cvode.h>
#include <nvector/nvector_serial.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

#include "core/err.h"
#include "core/rng.h"
#include "core/size.h"
#include "core/snap.h"

/* Method: CVODE BDF with a dense direct linear solver and the analytic
 * Jacobian (sb_jacobian).  The equation is mildly stiff at most (the
 * Jacobian's spectrum lies within |lambda| <= 2 + b + 3 max u^2 ~ 5), but a
 * run spends nearly all of its time next to a fixed point, where BDF's
 * steps grow without a stability bound and Adams' do not: measured at
 * N = 100, M = 1 from the default w(0), BDF takes 540 steps to tau = 1e4
 * and 543 to tau = 1e6, Adams 925 and 2073.  The Jacobian is dense (b_mu
 * and c_{mu nu} couple every site: a rank-M^2 part on top of the
 * tridiagonal hopping), and at the sizes of SPEC 3c (N = 100, M = 1, 2)
 * a dense LU is cheap: 0.1 s (M = 1) and 0.6 s (M = 2) per run to
 * tau = 1e4, ~60 factorisations each.  It costs O((M N)^3) per
 * factorisation, hence SB_DIM_MAX; larger systems would want Krylov with
 * the tridiagonal part as preconditioner (the rest is of rank M^2).
 * The step budget of one sb_advance call: */
#define SB_MAX_STEPS 200000L

struct sb_flow {
    size_t N, M, n;
    SUNContext ctx;
    N_Vector y;
    SUNMatrix A;
    SUNLinearSolver ls;
    void *cv;
    double t;
    char cvmsg[SYM_ERRLEN];
};

/* ---- the lattice equation ---- */

void sb_norm2(size_t N, size_t M, const double *u, double *b)
{
    for (size_t mu = 0; mu < M; mu++) {
        double s = 0;
        for (size_t i = 0; i < N; i++)
            s += u[mu * N + i] * u[mu * N + i];
        b[mu] = s;
    }
}

static double dot(const double *x, const double *y, size_t N)
{
    double s = 0;
    for (size_t i = 0; i < N; i++)
        s += x[i] * y[i];
    return s;
}

void sb_rhs(size_t N, size_t M, const double *u, double *du)
{
    for (size_t mu = 0; mu < M; mu++) {
        const double *x = u + mu * N;
        double *d = du + mu * N;
        double b = dot(x, x, N);
        for (size_t i = 0; i < N; i++) {
            double l = x[i == 0 ? N - 1 : i - 1], r = x[i + 1 == N ? 0 : i + 1];
            d[i] = l + r - x[i] * b + x[i] * x[i] * x[i];
        }
        for (size_t nu = 0; nu < M; nu++) {
            if (nu == mu)
                continue;
            const double *z = u + nu * N;
            double c = dot(x, z, N);
            for (size_t i = 0; i < N; i++)
                d[i] += x[i] * z[i] * z[i] - z[i] * c;
        }
    }
}

double sb_energy(size_t N, size_t M, const double *u)
{
    double E = 0;
    for (size_t mu = 0; mu < M; mu++) {
        const double *x = u + mu * N;
        double hop = 0, q4 = 0, b = 0;
        for (size_t i = 0; i < N; i++) {
            hop += x[i] * x[i + 1 == N ? 0 : i + 1];
            b += x[i] * x[i];
            q4 += x[i] * x[i] * x[i] * x[i];
        }
        E += -hop + b * b / 4 - q4 / 4;
        for (size_t nu = mu + 1; nu < M; nu++) {
            const double *z = u + nu * N;
            double c = dot(x, z, N), loc = 0;
            for (size_t i = 0; i < N; i++)
                loc += x[i] * x[i] * z[i] * z[i];
            E += c * c / 2 - loc / 2;
        }
    }
    return E;
}

void sb_jacobian(size_t N, size_t M, const double *u, double *J)
{
    size_t n = M * N;
    memset(J, 0, n * n * sizeof *J);
    for (size_t mu = 0; mu < M; mu++) {
        const double *x = u + mu * N;
        double b = dot(x, x, N);
        for (size_t i = 0; i < N; i++) {
            double *row = J + (mu * N + i) * n;
            row[mu * N + (i == 0 ? N - 1 : i - 1)] += 1;
            row[mu * N + (i + 1 == N ? 0 : i + 1)] += 1;
            row[mu * N + i] += -b + 3 * x[i] * x[i];
            for (size_t j = 0; j < N; j++)
                row[mu * N + j] -= 2 * x[i] * x[j];
        }
        for (size_t nu = 0; nu < M; nu++) {
            if (nu == mu)
                continue;
            const double *z = u + nu * N;
            double c = dot(x, z, N);
            for (size_t i = 0; i < N; i++) {
                double *row = J + (mu * N + i) * n;
                row[mu * N + i] += z[i] * z[i];
                for (size_t j = 0; j < N; j++)
                    row[mu * N + j] -= z[i] * z[j];
                row[nu * N + i] += 2 * x[i] * z[i] - c;
                for (size_t j = 0; j < N; j++)
                    row[nu * N + j] -= z[i] * x[j];
            }
        }
    }
}

static double sum4(const double *x, size_t n)
{
    double q = 0;
    for (size_t a = 0; a < n; a++)
        q += x[a] * x[a] * x[a] * x[a];
    return q;
}

/* For a pair of profiles x, y rotated by theta, a = cos x + sin y and
 * b = -sin x + cos y, i.e. a + i b = e^{-i theta} z with z = x + i y:
 * a^4 + b^4 = (3/4) |z|^4 + (1/4) Re(z^4 e^{-4 i theta}).  Summed over
 * sites, the maximum is at theta = arg(sum_i z_i^4) / 4, in closed form. */
int sb_localise(size_t N, size_t M, double *u)
{
    if (M < 2)
        return 0;
    double q = sum4(u, N * M);
    int sweep = 0;
    while (sweep < SB_LOCALISE_SWEEPS) {
        sweep++;
        for (size_t p = 0; p < M; p++)
            for (size_t r = p + 1; r < M; r++) {
                double *x = u + p * N, *y = u + r * N, re = 0, im = 0;
                for (size_t i = 0; i < N; i++) {
                    /* z^4 = (x^4 - 6 x^2 y^2 + y^4) + i 4 x y (x^2 - y^2) */
                    double x2 = x[i] * x[i], y2 = y[i] * y[i];
                    re += x2 * x2 - 6 * x2 * y2 + y2 * y2;
                    im += 4 * x[i] * y[i] * (x2 - y2);
                }
                double th = atan2(im, re) / 4, c = cos(th), s = sin(th);
                for (size_t i = 0; i < N; i++) {
                    double a = c * x[i] + s * y[i], b = -s * x[i] + c * y[i];
                    x[i] = a;
                    y[i] = b;
                }
            }
        double q1 = sum4(u, N * M);
        int done = q1 - q <= 1e-14 * q1;
        q = q1;
        if (done)
            break;
    }
    return sweep;
}

/* ---- integration ---- */

static int cv_rhs(sunrealtype t, N_Vector yv, N_Vector ydot, void *ud)
{
    (void)t;
    sb_flow *f = ud;
    sb_rhs(f->N, f->M, N_VGetArrayPointer(yv), N_VGetArrayPointer(ydot));
    return 0;
}

/* The Jacobian is symmetric, so the row-major matrix of sb_jacobian is also
 * the column-major one SUNDIALS' dense matrix holds. */
static int cv_jac(sunrealtype t, N_Vector yv, N_Vector fy, SUNMatrix A, void *ud, N_Vector t1,
                  N_Vector t2, N_Vector t3)
{
    (void)t, (void)fy, (void)t1, (void)t2, (void)t3;
    sb_flow *f = ud;
    sb_jacobian(f->N, f->M, N_VGetArrayPointer(yv), SUNDenseMatrix_Data(A));
    return 0;
}

/* SUNDIALS' messages become ours (the first error of a call), never stderr. */
static void cv_handler(int code, const char *module, const char *function, char *msg, void *ud)
{
    (void)module;
    sb_flow *f = ud;
    if (code == CV_WARNING || f->cvmsg[0])
        return;
    snprintf(f->cvmsg, sizeof f->cvmsg, "%s: %s", function, msg);
    for (char *c = f->cvmsg; *c; c++)
        if (*c == '\n' || *c == '\t')
            *c = ' ';
}

static int check_params(const sb_params *p, char *err)
{
    if (p->N < 3)
        return sym_error(err, SYM_EINVAL, "N = %zu: need N >= 3", p->N);
    if (p->M < 1)
        return sym_error(err, SYM_EINVAL, "M = %zu: need M >= 1", p->M);
    size_t n;
    if (!sym_mul_ok(p->N, p->M, &n) || n > SB_DIM_MAX)
        return sym_error(err, SYM_EINVAL, "N = %zu, M = %zu: need M N <= %d (dense Jacobian)",
                         p->N, p->M, SB_DIM_MAX);
    if (!(p->rtol >= SB_RTOL_MIN && p->rtol < 1))
        return sym_error(err, SYM_EINVAL, "rtol = %g: need %g <= rtol < 1", p->rtol, SB_RTOL_MIN);
    if (!(p->atol > 0 && isfinite(p->atol)))
        return sym_error(err, SYM_EINVAL, "atol = %g: need atol > 0", p->atol);
    return SYM_OK;
}

void sb_free(sb_flow *f)
{
    if (!f)
        return;
    if (f->cv)
        CVodeFree(&f->cv);
    if (f->ls)
        SUNLinSolFree(f->ls);
    if (f->A)
        SUNMatDestroy(f->A);
    if (f->y)
        N_VDestroy(f->y);
    if (f->ctx)
        SUNContext_Free(&f->ctx);
    free(f);
}

static int cv_check(sb_flow *f, int flag, const char *call, char *err)
{
    if (flag < 0)
        return sym_error(err, SYM_ENUM, "sb_alloc: %s failed (flag %d)%s%s", call, flag,
                         f->cvmsg[0] ? ": " : "", f->cvmsg);
    return SYM_OK;
}

int sb_alloc(sb_flow **out, const sb_params *p, const double *u0, char *err)
{
    *out = NULL;
    int st = check_params(p, err);
    if (st)
        return sym_context(err, st, "sb_alloc");
    size_t n = p->N * p->M;
    st = sym_alloc_check(n, n, sizeof(double), "Jacobian", NULL, err);
    if (st)
        return sym_context(err, st, "sb_alloc");
    for (size_t a = 0; a < n; a++)
        if (!isfinite(u0[a]))
            return sym_error(err, SYM_EINVAL, "sb_alloc: u0[%zu] = %g: need finite weights", a,
                             u0[a]);
    sb_flow *f = calloc(1, sizeof *f);
    if (!f)
        return sym_error(err, SYM_ENOMEM, "sb_alloc: out of memory");
    f->N = p->N;
    f->M = p->M;
    f->n = n;
    if (SUNContext_Create(NULL, &f->ctx)) {
        f->ctx = NULL;
        sb_free(f);
        return sym_error(err, SYM_ENUM, "sb_alloc: SUNContext_Create failed");
    }
    f->y = N_VNew_Serial((sunindextype)n, f->ctx);
    f->A = f->y ? SUNDenseMatrix((sunindextype)n, (sunindextype)n, f->ctx) : NULL;
    f->ls = f->A ? SUNLinSol_Dense(f->y, f->A, f->ctx) : NULL;
    f->cv = f->ls ? CVodeCreate(CV_BDF, f->ctx) : NULL;
    if (!f->cv) {
        sb_free(f);
        return sym_error(err, SYM_ENOMEM, "sb_alloc: out of memory");
    }
    memcpy(N_VGetArrayPointer(f->y), u0, n * sizeof(double));
    st = cv_check(f, CVodeSetErrHandlerFn(f->cv, cv_handler, f), "CVodeSetErrHandlerFn", err);
    if (!st)
        st = cv_check(f, CVodeInit(f->cv, cv_rhs, 0.0, f->y), "CVodeInit", err);
    if (!st)
        st = cv_check(f, CVodeSStolerances(f->cv, p->rtol, p->atol), "CVodeSStolerances", err);
    if (!st)
        st = cv_check(f, CVodeSetUserData(f->cv, f), "CVodeSetUserData", err);
    if (!st)
        st = cv_check(f, CVodeSetMaxNumSteps(f->cv, SB_MAX_STEPS), "CVodeSetMaxNumSteps", err);
    if (!st)
        st = cv_check(f, CVodeSetLinearSolver(f->cv, f->ls, f->A), "CVodeSetLinearSolver", err);
    if (!st)
        st = cv_check(f, CVodeSetJacFn(f->cv, cv_jac), "CVodeSetJacFn", err);
    if (st) {
        sb_free(f);
        return st;
    }
    *out = f;
    return SYM_OK;
}

int sb_advance(sb_flow *f, double tau, char *err)
{
    if (tau <= f->t)
        return SYM_OK;
    if (!isfinite(tau))
        return sym_error(err, SYM_EINVAL, "sb_advance: tau = %g: need a finite time", tau);
    f->cvmsg[0] = 0;
    double tret = f->t;
    int flag = CVode(f->cv, tau, f->y, &tret, CV_NORMAL);
    if (flag < 0) {
        char *name = CVodeGetReturnFlagName(flag);
        sym_error(err, SYM_ENUM, "sb_advance: CVODE on the way to tau = %g: %s (%s)", tau,
                  f->cvmsg[0] ? f->cvmsg : "no message", name ? name : "?");
        free(name); /* SUNDIALS allocates the name */
        return SYM_ENUM;
    }
    f->t = tret;
    const double *y = N_VGetArrayPointer(f->y);
    for (size_t mu = 0; mu < f->M; mu++) {
        double b = dot(y + mu * f->N, y + mu * f->N, f->N);
        if (!isfinite(b))
            return sym_error(err, SYM_ENUM, "sb_advance: NaN in u at tau = %g", tret);
        if (b > SB_B_MAX)
            return sym_error(err, SYM_ENUM,
                             "sb_advance: u diverged: b = %.3g (unit %zu) at tau = %g, beyond %g",
                             b, mu, tret, SB_B_MAX);
    }
    return SYM_OK;
}

double sb_time(const sb_flow *f)
{
    return f->t;
}

void sb_state(const sb_flow *f, double *u)
{
    memcpy(u, N_VGetArrayPointer(f->y), f->n * sizeof(double));
}

void sb_stats(const sb_flow *f, sb_counters *c)
{
    long v = 0;
    CVodeGetNumSteps(f->cv, &c->steps);
    CVodeGetNumRhsEvals(f->cv, &c->rhs);
    CVodeGetNumJacEvals(f->cv, &v);
    c->jac = v;
}

/* ---- fixed points ---- */

int sb_newton(size_t N, size_t M, double *u, double tol, int maxit, char *err)
{
    sb_params p = {N, M, 1e-8, 1e-10};
    int st = check_params(&p, err);
    if (st)
        return sym_context(err, st, "sb_newton");
    size_t n = N * M;
    gsl_matrix *J = gsl_matrix_alloc(n, n);
    gsl_permutation *perm = gsl_permutation_alloc(n);
    gsl_vector *r = gsl_vector_alloc(n), *dx = gsl_vector_alloc(n);
    st = J && perm && r && dx ? SYM_OK : sym_error(err, SYM_ENOMEM, "sb_newton: out of memory");
    for (int it = 0; !st; it++) {
        sb_rhs(N, M, u, r->data);
        double rmax = 0;
        for (size_t a = 0; a < n; a++)
            rmax = fmax(rmax, fabs(r->data[a]));
        if (!isfinite(rmax)) {
            st = sym_error(err, SYM_ENUM, "sb_newton: NaN at iteration %d", it);
            break;
        }
        if (rmax <= tol)
            break;
        if (it >= maxit) {
            st = sym_error(err, SYM_ENUM, "sb_newton: max |du| = %.3g > tol = %g after %d iterations",
                           rmax, tol, maxit);
            break;
        }
        sb_jacobian(N, M, u, J->data);
        int sgn;
        if (gsl_linalg_LU_decomp(J, perm, &sgn) || gsl_linalg_LU_solve(J, perm, r, dx)) {
            st = sym_error(err, SYM_ENUM, "sb_newton: singular Jacobian at iteration %d", it);
            break;
        }
        for (size_t a = 0; a < n; a++)
            u[a] -= dx->data[a];
    }
    gsl_vector_free(dx);
    gsl_vector_free(r);
    gsl_permutation_free(perm);
    gsl_matrix_free(J);
    return st;
}

/* ---- a run ---- */

void sb_config_default(sb_config *c)
{
    *c = (sb_config){.N = 100, .M = 1, .seed = 1, .init_scale = 0.01, .beta = 0.1, .T = 1e4,
                     .snapshots = 200, .linear = 0, .rtol = 1e-8, .atol = 1e-10};
}

int sb_config_check(const sb_config *c, char *err)
{
    sb_params p = {c->N, c->M, c->rtol, c->atol};
    int st = check_params(&p, err);
    if (st)
        return st;
    if (!(c->init_scale > 0 && isfinite(c->init_scale)))
        return sym_error(err, SYM_EINVAL, "init_scale = %g: need init_scale > 0", c->init_scale);
    if (!(c->beta > 0 && isfinite(c->beta)))
        return sym_error(err, SYM_EINVAL, "beta = %g: need beta > 0 (u = w / sqrt(beta))",
                         c->beta);
    if (!(c->T > 0 && isfinite(c->T)))
        return sym_error(err, SYM_EINVAL, "T = %g: need T > 0", c->T);
    if (c->snapshots < 1 || c->snapshots > SNAP_MAX)
        return sym_error(err, SYM_EINVAL, "snapshots = %zu: need 1 <= snapshots <= %d",
                         c->snapshots, SNAP_MAX);
    return SYM_OK;
}

void sb_traj_free(sb_traj *tr)
{
    if (!tr)
        return;
    free(tr->t);
    free(tr->u);
    free(tr->b);
    free(tr->obs);
    free(tr);
}

/* snapshot s of the trajectory from the flow's current state */
static void record(sb_traj *tr, size_t s, double tau, const double *u, obs_ws *ws,
                   const ring_type *type)
{
    size_t N = tr->N, M = tr->M;
    tr->t[s] = tau;
    memcpy(tr->u + s * M * N, u, M * N * sizeof *u);
    sb_norm2(N, M, u, tr->b + s * M);
    for (size_t mu = 0; mu < M; mu++)
        obs_compute(ws, type, u + mu * N, &tr->obs[s * M + mu]);
}

int sb_run(const sb_config *c, const ring_type *type, sb_traj **out, char *err)
{
    *out = NULL;
    int st = sb_config_check(c, err);
    if (st)
        return sym_context(err, st, "sb_run");
    size_t N = c->N, M = c->M, n = c->snapshots + 1, nu;
    st = sym_alloc_check(n, M * N, sizeof(double), "snapshots x weights", NULL, err);
    if (st)
        return sym_context(err, st, "sb_run");
    sym_mul_ok(n, M * N, &nu);
    sb_traj *tr = calloc(1, sizeof *tr);
    double *u = malloc(M * N * sizeof *u);
    obs_ws *ws = obs_alloc(N);
    if (tr) {
        tr->N = N, tr->M = M, tr->n = n;
        tr->t = malloc(n * sizeof *tr->t);
        tr->u = malloc(nu * sizeof *tr->u);
        tr->b = malloc(n * M * sizeof *tr->b);
        tr->obs = malloc(n * M * sizeof *tr->obs);
    }
    sb_flow *f = NULL;
    if (!tr || !u || !ws || !tr->t || !tr->u || !tr->b || !tr->obs)
        st = sym_error(err, SYM_ENOMEM, "sb_run: out of memory");
    else if (rng_init_weights(c->seed, N, M, c->init_scale, u))
        st = sym_error(err, SYM_ENOMEM, "sb_run: out of memory");
    if (!st) {
        double s = 1 / sqrt(c->beta);
        for (size_t a = 0; a < M * N; a++)
            u[a] *= s;
        sb_params p = {N, M, c->rtol, c->atol};
        st = sb_alloc(&f, &p, u, err);
    }
    if (!st) {
        snap_times(c->T, c->snapshots, c->linear, tr->t);
        record(tr, 0, 0.0, u, ws, type);
        for (size_t s = 1; s < n && !st; s++) {
            double tau = tr->t[s];
            st = sb_advance(f, tau, err);
            if (!st) {
                sb_state(f, u);
                record(tr, s, tau, u, ws, type);
            }
        }
        if (!st)
            sb_stats(f, &tr->fc);
    }
    sb_free(f);
    obs_free(ws);
    free(u);
    if (st) {
        sb_traj_free(tr);
        return sym_context(err, st, "sb_run");
    }
    *out = tr;
    return SYM_OK;
}

/* ---- the continuum ---- */

void sb_continuum_roots(double *b_minus, double *b_plus)
{
    /* b^2 - 16 b + 32 = 0 (header comment); b- in the cancellation-free
     * form 32 / b+ (product of the roots) */
    double bp = 8 + 4 * M_SQRT2;
    if (b_plus)
        *b_plus = bp;
    if (b_minus)
        *b_minus = 32 / bp;
}

double sb_continuum_peak(double b)
{
    return b > 2 ? sqrt(2 * (b - 2)) : NAN;
}

double sb_continuum_fwhm(double b)
{
    return b > 2 ? 2 * acosh(2.0) / sqrt(b - 2) : NAN;
}

double sb_continuum_u(double b, double x)
{
    return b > 2 ? sqrt(2 * (b - 2)) / cosh(x * sqrt(b - 2)) : NAN;
}

int sb_continuum_profile(double b, size_t N, double centre, double *u, char *err)
{
    if (!(b > 2 && isfinite(b)))
        return sym_error(err, SYM_EINVAL, "sb_continuum_profile: b = %g: need b > 2", b);
    if (N < 3)
        return sym_error(err, SYM_EINVAL, "sb_continuum_profile: N = %zu: need N >= 3", N);
    if (!isfinite(centre))
        return sym_error(err, SYM_EINVAL, "sb_continuum_profile: centre = %g: need finite",
                         centre);
    double L = (double)N;
    double c = fmod(centre, L);
    if (c < 0)
        c += L;
    for (size_t i = 0; i < N; i++) {
        double d = fabs((double)i - c);
        if (d > L - d)
            d = L - d;
        u[i] = sb_continuum_u(b, d);
    }
    return SYM_OK;
}

/* ---- the exact flow in these units ---- */

int sb_from_exact(const double *w, size_t N, size_t M, double beta, double *u, double *b,
                  char *err)
{
    if (!(beta > 0 && isfinite(beta)))
        return sym_error(err, SYM_EINVAL, "sb_from_exact: beta = %g: need beta > 0", beta);
    if (N < 1 || M < 1)
        return sym_error(err, SYM_EINVAL, "sb_from_exact: N = %zu, M = %zu: need N, M >= 1", N,
                         M);
    size_t n;
    if (!sym_mul_ok(N, M, &n))
        return sym_error(err, SYM_EINVAL, "sb_from_exact: N = %zu x M = %zu overflows", N, M);
    double s = 1 / sqrt(beta);
    for (size_t a = 0; a < n; a++)
        u[a] = w[a] * s;
    if (b)
        sb_norm2(N, M, u, b);
    return SYM_OK;
}
