/* flow_potts: the Potts-visible gradient flow (theory/flow_potts.h, SPEC.md 9).
 *
 * State (real space): the M profiles w_mu (N x P each, in the zero-sum
 * gauge), then the M hidden fields theta_mu.  The transforms of a +-1 flow
 * (r2hc per unit, theory/flow.c) do not carry over to profiles with a
 * colour index, and the flow at the sizes of the paper (N = 100, P = 10:
 * 1000 weights) is not stiff, so CVODE integrates the real-space weights;
 * with BDF the Newton systems go to GMRES with CVODE's difference-quotient
 * J v and no preconditioner.  Measured (P = 10, beta = 1.5, N = 100, T =
 * 100, 20 snapshots, CPU s, two repeats identical to 0.2 s): gaussian BDF
 * 6.6 s (300 steps, 868 right-hand sides), Adams 8.6 s (712, 1075); binary
 * BDF 18.9 s (232, 603), Adams 15.5 s (245, 467).  Neither wins both, so
 * the default stays the +-1 flows' BDF (--method adams is there).
 *
 * Gaussian model term: phi(h) = -h^2/2 - theta h + sum_i lse_i(h) has
 * phi'' = -1 + sum_i Var_i(w_i(.); h) >= -1, so between two grid points a
 * step s apart phi exceeds the larger end value by at most s^2/8: a grid
 * of step POTTS_GRID finds every cell that can carry mass above
 * e^{-POTTS_DROP} of the peak, rigorously, and only those cells get
 * Gauss-Legendre nodes.  Beyond |h| > A + sqrt(A^2 + 2 POTTS_DROP), A =
 * |theta| + sum_i max_c |w_i(c)|, phi lies POTTS_DROP below phi(0) <= max
 * phi: the grid spans that range.  Every sum is taken relative to the
 * grid's max phi (log-sum-exp), so nothing overflows.
 *
 * Binary data term: the q trapezoid of theory/flow_spin.c (step hq <= 2 pi
 * / (X + POTTS_ALIAS_MARGIN), X = |theta| + sum_i max_c |w_i(c)| >= |I -
 * theta|, up to POTTS_QMAX; its q = 0 node carries the kernels' limits
 * through E[x_ic (I - theta)] = (C w)_ic + (<I> - theta)/P).  Per node the
 * ring products A_j = diag(e^{i q w_j(.)}) K, K = T / lambda_0 the
 * normalised transfer matrix (norm 1, so every partial product has norm
 * <= 1): suffixes S_i = A_i ... A_{N-1} stored, the prefix R_i = A_0 ...
 * A_{i-1} running, and E[x_ic e^{i q I}] = (S_i R_i)_cc / tr K^N.
 */
#include "theory/flow_potts.h"

#include <complex.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>
#include <gsl/gsl_integration.h>
#include <cvode/cvode.h>
#include <nvector/nvector_serial.h>
#include <sunlinsol/sunlinsol_spgmr.h>
#include <sunnonlinsol/sunnonlinsol_fixedpoint.h>

#include "core/err.h"
#include "core/obs_potts.h"
#include "core/rng.h"
#include "core/size.h"

#include <gsl/gsl_randist.h>

/* ---- precision knobs (all in one place) -------------------------------- */

/* Mass neglected by the gaussian unit's quadrature: below e^{-40} ~ 4e-18
 * of the total, as core/marg.c's MARG_DROP. */
#define POTTS_DROP 40.0
/* Grid step of the mass search (phi'' >= -1: slack POTTS_GRID^2 / 8). */
#define POTTS_GRID 1.0
/* Gauss-Legendre panels per grid cell and nodes per panel: the integrand
 * e^{phi} varies on the scale of a unit-variance Gaussian or slower near
 * its peaks (phi'' >= -1); two 12-point panels per unit cell integrate it
 * to ~1e-15 (tests/test_flow_potts.c, enumeration). */
#define POTTS_PANELS 2
#define POTTS_GL 12
/* The binary data term's trapezoid (theory/flow_spin.c: SPIN_QMAX,
 * SPIN_ALIAS_MARGIN): tail beyond 22 below 3e-14, aliasing ~4 e^{-32}. */
#define POTTS_QMAX 22.0
#define POTTS_ALIAS_MARGIN 16.0
/* A partial product below this (max-norm) is set to 0: it stands for a
 * characteristic function that is nothing against tr K^N >= 1, and
 * subnormal numbers would slow the passes ~100x. */
#define POTTS_TINY 1e-280
/* Guard on the q nodes of one unit (X ~ 3e4): beyond that the weights
 * have diverged. */
#define POTTS_NODES_MAX 200000
/* CVODE's step budget per output interval. */
#define POTTS_MAX_STEPS 200000L
#define POTTS_KRYLOV_DIM 10

struct flow_potts_kind {
    const char *name;
    size_t m_max;
    int (*data)(flow_potts *f, const double *w, double theta, double *d, double *e1, double *e0,
                char *err);
    int (*model)(flow_potts *f, const double *w, const double *theta, const double *g,
                 double *m, double *mv, double *mh, double *logZ, char *err);
};

struct flow_potts {
    flow_potts_params p;
    size_t N, P, M, NP, MNP, n, nc;
    double *lam;            /* lambda[k P + p], N x P                        */
    double *K;              /* normalised transfer matrix (binary data term) */
    double zK;              /* tr K^N                                        */
    double *fr;             /* FFT real buffer N x P                         */
    fftw_complex *fc;       /* FFT complex buffer N x (P/2 + 1)              */
    fftw_plan fwd, bwd;
    double *cw;             /* C w of one unit                               */
    double *d, *m, *mh, *gth; /* scratch of the right-hand side */
    double *ex;             /* N x P exponentials of a quadrature node       */
    double *lse;            /* 2^M or N: per-configuration / per-site sums   */
    double complex *suf;    /* (N + 1) P^2                                   */
    double complex *pre, *tmp, *ph;
    gsl_integration_glfixed_table *gl;
    SUNContext sun;
    void *cv;
    N_Vector y;
    SUNLinearSolver ls;
    SUNNonlinearSolver nls;
    double t;
    long nrhs;
    char err[SYM_ERRLEN];
};

/* ---- shared pieces ------------------------------------------------------- */

/* cw = C w for one profile: the block-circulant connected covariance by a
 * 2-D FFT (r2c over space x colour), times lambda_{k,p}, back. */
static void apply_C(flow_potts *f, const double *w, double *cw)
{
    size_t N = f->N, P = f->P, Ph = P / 2 + 1;
    memcpy(f->fr, w, f->NP * sizeof(double));
    fftw_execute(f->fwd);
    for (size_t k = 0; k < N; k++)
        for (size_t p = 0; p < Ph; p++) {
            double l = f->lam[k * P + p] / (double)f->NP;
            f->fc[k * Ph + p] *= l;   /* fftw_complex is double complex after complex.h */
        }
    fftw_execute(f->bwd);
    memcpy(cw, f->fr, f->NP * sizeof(double));
}

static double sum_of(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return s;
}

static double maxabs_of(const double *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(x[i]));
    return m;
}

/* |theta| + sum_i max_c |w_i(c)|: the largest |I - theta|. */
static double reach(const double *w, size_t N, size_t P, double theta)
{
    double A = fabs(theta);
    for (size_t i = 0; i < N; i++) {
        double mx = 0;
        for (size_t c = 0; c < P; c++)
            mx = fmax(mx, fabs(w[i * P + c]));
        A += mx;
    }
    return A;
}

/* ---- gaussian unit ------------------------------------------------------- */

static int gauss_data(flow_potts *f, const double *w, double theta, double *d, double *e1,
                      double *e0, char *err)
{
    (void)err;
    size_t NP = f->NP;
    apply_C(f, w, f->cw);
    double mI = sum_of(w, NP) / (double)f->P - theta;
    for (size_t j = 0; j < NP; j++)
        d[j] = f->cw[j] + mI / (double)f->P;
    if (e1)
        *e1 = mI;
    if (e0) {
        double wcw = 0;
        for (size_t j = 0; j < NP; j++)
            wcw += w[j] * f->cw[j];
        *e0 = 0.5 * (wcw + mI * mI);
    }
    return SYM_OK;
}

/* phi(h) + theta h + h^2/2 = sum_i log sum_c e^{g_i(c) + w_i(c) h}; with ex
 * non-NULL also the per-site softmax into ex (N x P). */
static double sites_lse(const flow_potts *f, const double *w, const double *g, double h, double *ex)
{
    size_t N = f->N, P = f->P;
    double tot = 0;
    for (size_t i = 0; i < N; i++) {
        const double *wi = w + i * P, *gi = g ? g + i * P : NULL;
        double mx = -INFINITY;
        for (size_t c = 0; c < P; c++)
            mx = fmax(mx, (gi ? gi[c] : 0.0) + wi[c] * h);
        double s = 0;
        for (size_t c = 0; c < P; c++) {
            double e = exp((gi ? gi[c] : 0.0) + wi[c] * h - mx);
            s += e;
            if (ex)
                ex[i * P + c] = e;
        }
        if (ex)
            for (size_t c = 0; c < P; c++)
                ex[i * P + c] /= s;
        tot += mx + log(s);
    }
    return tot;
}

static int gauss_model(flow_potts *f, const double *w, const double *theta, const double *g,
                       double *m, double *mv, double *mh, double *logZ, char *err)
{
    size_t NP = f->NP;
    double th = theta ? theta[0] : 0.0;
    double A = reach(w, f->N, f->P, th);
    double H = A + sqrt(A * A + 2 * POTTS_DROP) + POTTS_GRID;
    size_t ncell = (size_t)ceil(2 * H / POTTS_GRID);
    if (!isfinite(H) || ncell > 10000000)
        return sym_error(err, SYM_ENUM, "gaussian model term: weights out of range (sum max|w| = %g)", A);
    double *phi = malloc((ncell + 1) * sizeof *phi);
    if (!phi)
        return sym_error(err, SYM_ENOMEM, "gaussian model term: out of memory (%zu cells)", ncell);
    double pmax = -INFINITY;
    for (size_t j = 0; j <= ncell; j++) {
        double h = -H + POTTS_GRID * (double)j;
        phi[j] = -0.5 * h * h - th * h + sites_lse(f, w, g, h, NULL);
        pmax = fmax(pmax, phi[j]);
    }
    memset(m, 0, NP * sizeof *m);
    if (mv)
        memset(mv, 0, NP * sizeof *mv);
    double S = 0, S1 = 0, slack = POTTS_GRID * POTTS_GRID / 8;
    double pw = POTTS_GRID / POTTS_PANELS;
    for (size_t j = 0; j < ncell; j++) {
        if (fmax(phi[j], phi[j + 1]) + slack < pmax - POTTS_DROP)
            continue;
        double a0 = -H + POTTS_GRID * (double)j;
        for (size_t k = 0; k < POTTS_PANELS; k++)
            for (size_t l = 0; l < POTTS_GL; l++) {
                double h, wq;
                gsl_integration_glfixed_point(a0 + pw * (double)k, a0 + pw * (double)(k + 1), l, &h,
                                              &wq, f->gl);
                double ph = -0.5 * h * h - th * h + sites_lse(f, w, g, h, f->ex);
                double om = wq * exp(ph - pmax);
                if (om == 0)
                    continue;
                S += om;
                S1 += om * h;
                double oh = om * h;
                for (size_t i = 0; i < NP; i++)
                    m[i] += oh * f->ex[i];
                if (mv)
                    for (size_t i = 0; i < NP; i++)
                        mv[i] += om * f->ex[i];
            }
    }
    free(phi);
    if (!(S > 0) || !isfinite(S))
        return sym_error(err, SYM_ENUM, "gaussian model term: no mass found (sum max|w| = %g)", A);
    for (size_t i = 0; i < NP; i++)
        m[i] /= S;
    if (mv)
        for (size_t i = 0; i < NP; i++)
            mv[i] /= S;
    if (mh)
        mh[0] = S1 / S;
    if (logZ)
        *logZ = pmax + log(S) - 0.5 * log(2 * M_PI);
    return SYM_OK;
}

/* ---- binary units -------------------------------------------------------- */

/* One unit's data expectations through the xy transfer matrices. */
static int spin_data(flow_potts *f, const double *w, double theta, double *d, double *e1,
                     double *e0, char *err)
{
    size_t N = f->N, P = f->P, NP = f->NP, PP = P * P;
    apply_C(f, w, f->cw);
    double mI = sum_of(w, NP) / (double)P - theta;
    double X = reach(w, N, P, theta);
    double cnt = ceil(POTTS_QMAX * (X + POTTS_ALIAS_MARGIN) / (2 * M_PI));
    if (!(cnt <= POTTS_NODES_MAX))
        return sym_error(err, SYM_ENUM, "binary data term: %g q nodes (sum max|w| = %g): weights diverged",
                         cnt, X);
    size_t nq = (size_t)cnt;
    double hq = POTTS_QMAX / cnt;
    /* q = 0: the kernels' limits (tanh: 2x/pi; log cosh: x^2/pi), half weight */
    double wcw = 0;
    for (size_t j = 0; j < NP; j++) {
        d[j] = hq / M_PI * (f->cw[j] + mI / (double)P);
        wcw += w[j] * f->cw[j];
    }
    double lc = log(2.0) + hq / (2 * M_PI) * (wcw + mI * mI);
    const double *K = f->K;
    double complex *suf = f->suf, *R = f->pre, *T = f->tmp, *ph = f->ph;
    for (size_t n = 1; n <= nq; n++) {
        double q = hq * (double)n, kern = hq / sinh(0.5 * M_PI * q);
        for (size_t j = 0; j < NP; j++)
            ph[j] = cexp(I * q * w[j]);
        /* suffixes: S_N = 1, S_j = diag(ph_j) K S_{j+1} */
        double complex *S = suf + N * PP;
        for (size_t a = 0; a < PP; a++)
            S[a] = (a % (P + 1) == 0) ? 1.0 : 0.0;
        for (size_t j = N; j-- > 0;) {
            const double complex *Sn = suf + (j + 1) * PP;
            double complex *Sj = suf + j * PP;
            double mx = 0;
            for (size_t a = 0; a < P; a++) {
                double complex pa = ph[j * P + a];
                for (size_t b = 0; b < P; b++) {
                    double complex s = 0;
                    for (size_t c = 0; c < P; c++)
                        s += K[a * P + c] * Sn[c * P + b];
                    Sj[a * P + b] = pa * s;
                    mx = fmax(mx, fmax(fabs(creal(s)), fabs(cimag(s))));
                }
            }
            if (mx < POTTS_TINY)
                memset(Sj, 0, PP * sizeof *Sj);
        }
        double complex rot = cexp(-I * q * theta) / f->zK;
        /* prefixes: R_0 = 1, R_{i+1} = R_i diag(ph_i) K */
        for (size_t a = 0; a < PP; a++)
            R[a] = (a % (P + 1) == 0) ? 1.0 : 0.0;
        for (size_t i = 0; i < N; i++) {
            const double complex *Si = suf + i * PP;
            for (size_t c = 0; c < P; c++) {
                double complex s = 0;
                for (size_t a = 0; a < P; a++)
                    s += Si[c * P + a] * R[a * P + c];
                d[i * P + c] += kern * cimag(s * rot);
            }
            double mx = 0;
            for (size_t a = 0; a < P; a++)
                for (size_t b = 0; b < P; b++) {
                    double complex s = 0;
                    for (size_t c = 0; c < P; c++)
                        s += R[a * P + c] * ph[i * P + c] * K[c * P + b];
                    T[a * P + b] = s;
                    mx = fmax(mx, fmax(fabs(creal(s)), fabs(cimag(s))));
                }
            if (mx < POTTS_TINY)
                memset(T, 0, PP * sizeof *T);
            memcpy(R, T, PP * sizeof *R);
        }
        double complex Z = 0;
        for (size_t c = 0; c < P; c++)
            Z += suf[c * (P + 1)];
        lc += kern * (1.0 - creal(Z * rot)) / q;
    }
    if (e1) {
        double s = 0;   /* sum_c x_0c = 1 */
        for (size_t c = 0; c < P; c++)
            s += d[c];
        *e1 = s;
    }
    if (e0)
        *e0 = lc;
    return SYM_OK;
}

static int spin_model(flow_potts *f, const double *w, const double *theta, const double *g,
                      double *m, double *mv, double *mh, double *logZ, char *err)
{
    (void)err;
    size_t N = f->N, P = f->P, M = f->M, NP = f->NP, nh = (size_t)1 << M;
    double *a = f->lse, *x = f->ex;
    double amax = -INFINITY;
    for (size_t b = 0; b < nh; b++) {
        double s = 0;
        for (size_t mu = 0; mu < M; mu++)
            s -= (theta ? theta[mu] : 0.0) * ((b >> mu & 1) ? 1.0 : -1.0);
        for (size_t j = 0; j < NP; j++) {
            double v = g ? g[j] : 0.0;
            for (size_t mu = 0; mu < M; mu++)
                v += ((b >> mu & 1) ? 1.0 : -1.0) * w[mu * NP + j];
            x[j] = v;
        }
        for (size_t i = 0; i < N; i++) {
            double mx = -INFINITY, t = 0;
            for (size_t c = 0; c < P; c++)
                mx = fmax(mx, x[i * P + c]);
            for (size_t c = 0; c < P; c++)
                t += exp(x[i * P + c] - mx);
            s += mx + log(t);
        }
        a[b] = s;
        amax = fmax(amax, s);
    }
    double S = 0;
    for (size_t b = 0; b < nh; b++)
        S += exp(a[b] - amax);
    memset(m, 0, M * NP * sizeof *m);
    if (mv)
        memset(mv, 0, NP * sizeof *mv);
    if (mh)
        memset(mh, 0, M * sizeof *mh);
    for (size_t b = 0; b < nh; b++) {
        double pb = exp(a[b] - amax) / S;
        if (pb == 0)
            continue;
        for (size_t j = 0; j < NP; j++) {
            double v = g ? g[j] : 0.0;
            for (size_t mu = 0; mu < M; mu++)
                v += ((b >> mu & 1) ? 1.0 : -1.0) * w[mu * NP + j];
            x[j] = v;
        }
        for (size_t i = 0; i < N; i++) {
            double mx = -INFINITY, t = 0;
            for (size_t c = 0; c < P; c++)
                mx = fmax(mx, x[i * P + c]);
            for (size_t c = 0; c < P; c++)
                t += (x[i * P + c] = exp(x[i * P + c] - mx));
            for (size_t c = 0; c < P; c++)
                x[i * P + c] *= pb / t;
        }
        for (size_t mu = 0; mu < M; mu++) {
            double hm = (b >> mu & 1) ? 1.0 : -1.0;
            for (size_t j = 0; j < NP; j++)
                m[mu * NP + j] += hm * x[j];
            if (mh)
                mh[mu] += hm * pb;
        }
        if (mv)
            for (size_t j = 0; j < NP; j++)
                mv[j] += x[j];
    }
    if (logZ)
        *logZ = amax + log(S);
    return SYM_OK;
}

const flow_potts_kind flow_potts_gaussian = {"gaussian", 1, gauss_data, gauss_model};
const flow_potts_kind flow_potts_spin = {"spin", FLOW_POTTS_M_MAX, spin_data, spin_model};
static const flow_potts_kind *const kinds[] = {&flow_potts_gaussian, &flow_potts_spin, NULL};

int flow_potts_kind_find(const char *name, const flow_potts_kind **k, char *err)
{
    for (size_t j = 0; kinds[j]; j++)
        if (name && !strcmp(name, kinds[j]->name)) {
            *k = kinds[j];
            return SYM_OK;
        }
    return sym_error(err, SYM_EINVAL,
                     "hidden = %s: theory with Potts visible units has gaussian or spin hidden units",
                     name ? name : "(null)");
}

const char *flow_potts_kind_name(const flow_potts_kind *k)
{
    return k->name;
}

/* ---- gradient, likelihood ------------------------------------------------ */

int flow_potts_data(flow_potts *f, const double *w, double theta, double *d, double *e1,
                    double *e0, char *err)
{
    return f->p.kind->data(f, w, theta, d, e1, e0, err);
}

int flow_potts_model(flow_potts *f, const double *w, const double *theta, const double *g,
                     double *m, double *mv, double *mh, double *logZ, char *err)
{
    return f->p.kind->model(f, w, theta, g, m, mv, mh, logZ, err);
}

int flow_potts_grad(flow_potts *f, const double *w, const double *theta, const double *g,
                    double *dw, double *dtheta, char *err)
{
    size_t NP = f->NP;
    int st = f->p.kind->model(f, w, theta, g, f->m, NULL, f->mh, NULL, err);
    for (size_t mu = 0; mu < f->M && !st; mu++) {
        double e1;
        st = f->p.kind->data(f, w + mu * NP, theta ? theta[mu] : 0.0, f->d, &e1, NULL, err);
        for (size_t j = 0; j < NP && !st; j++)
            dw[mu * NP + j] = f->d[j] - f->m[mu * NP + j];
        if (dtheta)
            dtheta[mu] = -e1 + f->mh[mu];
    }
    return st;
}

int flow_potts_rhs(flow_potts *f, const double *w, const double *theta, double *dw,
                   double *dtheta, char *err)
{
    double *dth = dtheta ? dtheta : f->gth;
    int st = flow_potts_grad(f, w, theta, NULL, dw, dth, err);
    if (st)
        return st;
    for (size_t mu = 0; mu < f->M; mu++)
        obs_potts_gauge(dw + mu * f->NP, f->N, f->P);
    for (size_t j = 0; j < f->MNP; j++)
        dw[j] -= f->p.l2 * w[j];
    if (f->p.fix_theta)
        for (size_t mu = 0; mu < f->M; mu++)
            dth[mu] = 0;
    return SYM_OK;
}

int flow_potts_loglik(flow_potts *f, const double *w, const double *theta, const double *g,
                      double *L, char *err)
{
    double logZ, s = 0;
    int st = f->p.kind->model(f, w, theta, g, f->m, NULL, NULL, &logZ, err);
    for (size_t mu = 0; mu < f->M && !st; mu++) {
        double e0;
        st = f->p.kind->data(f, w + mu * f->NP, theta ? theta[mu] : 0.0, f->d, NULL, &e0, err);
        s += e0;
    }
    if (st)
        return st;
    if (g)
        s += sum_of(g, f->NP) / (double)f->P; /* <x_ic> = 1/P in the data */
    *L = s - logZ;
    return SYM_OK;
}

int flow_potts_init_weights(uint64_t seed, size_t N, size_t P, size_t M, double s0, double *w)
{
    gsl_rng *r = rng_alloc(seed, RNG_STREAM_INIT);
    if (!r)
        return -1;
    double scale = s0 / sqrt((double)N);
    for (size_t j = 0; j < M * N * P; j++)
        w[j] = scale * gsl_ran_gaussian_ziggurat(r, 1.0);
    gsl_rng_free(r);
    for (size_t mu = 0; mu < M; mu++)
        obs_potts_gauge(w + mu * N * P, N, P);
    return 0;
}

/* ---- CVODE --------------------------------------------------------------- */

static int cv_rhs(sunrealtype t, N_Vector yv, N_Vector ydot, void *ud)
{
    (void)t;
    flow_potts *f = ud;
    const double *y = N_VGetArrayPointer(yv);
    double *dy = N_VGetArrayPointer(ydot);
    f->nrhs++;
    for (size_t j = 0; j < f->n; j++)
        if (!isfinite(y[j])) {
            sym_error(f->err, SYM_ENUM, "NaN in the weights");
            return 1;   /* recoverable: CVODE retries with a smaller step */
        }
    if (flow_potts_rhs(f, y, y + f->MNP, dy, dy + f->MNP, f->err))
        return -1;
    return 0;
}

static void cv_handler(int code, const char *module, const char *function, char *msg, void *ud)
{
    (void)module;
    flow_potts *f = ud;
    if (code == CV_WARNING || f->err[0])
        return;
    snprintf(f->err, sizeof f->err, "%s: %s", function, msg);
    for (char *c = f->err; *c; c++)
        if (*c == '\n' || *c == '\t')
            *c = ' ';
}

void flow_potts_free(flow_potts *f)
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
    if (f->sun)
        SUNContext_Free(&f->sun);
    if (f->fwd)
        fftw_destroy_plan(f->fwd);
    if (f->bwd)
        fftw_destroy_plan(f->bwd);
    fftw_free(f->fr);
    fftw_free(f->fc);
    if (f->gl)
        gsl_integration_glfixed_table_free(f->gl);
    double *arr[] = {f->lam, f->K, f->cw, f->d, f->m, f->mh, f->gth, f->ex, f->lse};
    for (size_t k = 0; k < sizeof arr / sizeof arr[0]; k++)
        free(arr[k]);
    free(f->suf);
    free(f->pre);
    free(f->tmp);
    free(f->ph);
    free(f);
}

/* The chain's transfer matrix K = T / lambda_0 (circulant, from the
 * model's transfer hook, core/ring.h), and tr K^N = sum_p t_p^N from its
 * circulant spectrum.  Only the binary data term needs it: a Potts model
 * without the hook is refused there. */
static int setup_transfer(flow_potts *f, char *err)
{
    const ring_model *m = f->p.data;
    if (!m->type->potts->transfer)
        return sym_error(err, SYM_EINVAL,
                         "data model %s: the binary-unit Potts data term needs a circulant "
                         "nearest-neighbour transfer matrix", m->type->name);
    size_t P = f->P;
    double E[RING_POTTS_MAX], s = 0;
    m->type->potts->transfer(m, E);
    for (size_t d = 0; d < P; d++)
        s += E[d];
    for (size_t a = 0; a < P; a++)
        for (size_t b = 0; b < P; b++)
            f->K[a * P + b] = E[(a + P - b) % P] / s;
    double z = 0;
    for (size_t p = 0; p < P; p++) {
        double t = 0;
        for (size_t d = 0; d < P; d++)
            t += E[d] * cos(2 * M_PI * (double)(p * d % P) / (double)P);
        t /= s;
        z += p == 0 ? 1.0 : pow(t, (double)f->N);
    }
    f->zK = z;
    return SYM_OK;
}

int flow_potts_alloc(flow_potts **out, const flow_potts_params *p, const double *w0,
                     const double *theta0, char *err)
{
    *out = NULL;
    const ring_model *dm = p->data;
    if (!dm || dm->P < 2)
        return sym_error(err, SYM_EINVAL, "flow_potts_alloc: the data model has no Potts visible units");
    if (!p->kind)
        return sym_error(err, SYM_EINVAL, "flow_potts_alloc: no hidden-unit kind");
    if (p->M < 1 || p->M > p->kind->m_max)
        return sym_error(err, SYM_EINVAL, "M = %zu: %s hidden units with Potts visible units take 1 <= M <= %zu",
                         p->M, p->kind->name, p->kind->m_max);
    if (!(p->rtol >= FLOW_RTOL_MIN && p->rtol < 1))
        return sym_error(err, SYM_EINVAL, "rtol = %g: need %g <= rtol < 1", p->rtol, FLOW_RTOL_MIN);
    if (!(p->atol >= FLOW_ATOL_MIN) || !isfinite(p->atol))
        return sym_error(err, SYM_EINVAL, "atol = %g: need finite atol >= %g", p->atol, FLOW_ATOL_MIN);
    if (!(p->l2 >= 0) || !isfinite(p->l2))
        return sym_error(err, SYM_EINVAL, "l2 = %g: need finite l2 >= 0", p->l2);
    size_t N = dm->N, P = dm->P, M = p->M, NP, MNP;
    int st;
    if ((st = sym_alloc_check(N, P, sizeof(double), "N*P weights", &NP, err)) ||
        (st = sym_alloc_check(M, N * P, sizeof(double), "M*N*P weights", &MNP, err)))
        return st;
    if (N > (size_t)1 << 30 || P > RING_POTTS_MAX)
        return sym_error(err, SYM_EINVAL, "N = %zu: too large for the Potts flow", N);
    flow_potts *f = calloc(1, sizeof *f);
    if (!f)
        return sym_error(err, SYM_ENOMEM, "flow_potts_alloc: out of memory");
    f->p = *p;
    f->N = N;
    f->P = P;
    f->M = M;
    f->NP = N * P;
    f->MNP = M * N * P;
    f->n = f->MNP + M;
    f->nc = N * (P / 2 + 1);
    size_t nh = (size_t)1 << M, nl = nh > N ? nh : N;
    int spin = p->kind == &flow_potts_spin;
    f->lam = malloc(f->NP * sizeof(double));
    f->K = malloc(P * P * sizeof(double));
    f->fr = fftw_malloc(f->NP * sizeof(double));
    f->fc = fftw_malloc(f->nc * sizeof(fftw_complex));
    f->cw = malloc(f->NP * sizeof(double));
    f->d = malloc(f->NP * sizeof(double));
    f->m = malloc(f->MNP * sizeof(double));
    f->mh = malloc(M * sizeof(double));
    f->gth = malloc(M * sizeof(double));
    f->ex = malloc(f->NP * sizeof(double));
    f->lse = malloc(nl * sizeof(double));
    if (spin) {
        f->suf = malloc((N + 1) * P * P * sizeof(double complex));
        f->pre = malloc(P * P * sizeof(double complex));
        f->tmp = malloc(P * P * sizeof(double complex));
        f->ph = malloc(f->NP * sizeof(double complex));
    }
    f->gl = gsl_integration_glfixed_table_alloc(POTTS_GL);
    if (!f->lam || !f->K || !f->fr || !f->fc || !f->cw || !f->d || !f->m ||
        !f->mh || !f->gth || !f->ex || !f->lse || !f->gl ||
        (spin && (!f->suf || !f->pre || !f->tmp || !f->ph))) {
        flow_potts_free(f);
        return sym_error(err, SYM_ENOMEM, "flow_potts_alloc: out of memory (N = %zu, P = %zu, M = %zu)",
                         N, P, M);
    }
    f->fwd = fftw_plan_dft_r2c_2d((int)N, (int)P, f->fr, f->fc, FFTW_ESTIMATE);
    f->bwd = fftw_plan_dft_c2r_2d((int)N, (int)P, f->fc, f->fr, FFTW_ESTIMATE);
    if (!f->fwd || !f->bwd) {
        flow_potts_free(f);
        return sym_error(err, SYM_ENOMEM, "flow_potts_alloc: FFTW planning failed (N = %zu, P = %zu)", N, P);
    }
    if ((st = ring_potts_spectrum(dm, f->lam, err)) || (spin && (st = setup_transfer(f, err)))) {
        flow_potts_free(f);
        return sym_context(err, st, "flow_potts_alloc");
    }
    for (size_t j = 0; j < f->MNP; j++)
        if (!isfinite(w0[j])) {
            flow_potts_free(f);
            return sym_error(err, SYM_EINVAL, "flow_potts_alloc: w0[%zu] = %g: need finite weights", j, w0[j]);
        }
    int flag = SUNContext_Create(NULL, &f->sun);
    if (flag || !(f->y = N_VNew_Serial((sunindextype)f->n, f->sun))) {
        flow_potts_free(f);
        return sym_error(err, SYM_ENOMEM, "flow_potts_alloc: SUNDIALS set-up failed");
    }
    double *y = N_VGetArrayPointer(f->y);
    memcpy(y, w0, f->MNP * sizeof(double));
    for (size_t mu = 0; mu < M; mu++) {
        obs_potts_gauge(y + mu * f->NP, N, P);
        y[f->MNP + mu] = theta0 ? theta0[mu] : 0.0;
    }
    /* w0 already in the gauge (flow_potts_init_weights) keeps its bits: a
     * second projection would move them by rounding, and w(0) is shared
     * bit for bit with sim */
    double dmax = 0, wmax = maxabs_of(w0, f->MNP);
    for (size_t j = 0; j < f->MNP; j++)
        dmax = fmax(dmax, fabs(y[j] - w0[j]));
    if (dmax <= 8 * DBL_EPSILON * wmax)
        memcpy(y, w0, f->MNP * sizeof(double));
    f->cv = CVodeCreate(p->method == FLOW_BDF ? CV_BDF : CV_ADAMS, f->sun);
    st = !f->cv || CVodeSetErrHandlerFn(f->cv, cv_handler, f) || CVodeInit(f->cv, cv_rhs, 0.0, f->y) ||
         CVodeSStolerances(f->cv, p->rtol, p->atol) || CVodeSetUserData(f->cv, f) ||
         CVodeSetMaxNumSteps(f->cv, POTTS_MAX_STEPS);
    if (!st && p->method == FLOW_ADAMS)
        st = !(f->nls = SUNNonlinSol_FixedPoint(f->y, 0, f->sun)) ||
             CVodeSetNonlinearSolver(f->cv, f->nls);
    if (!st && p->method == FLOW_BDF)
        st = !(f->ls = SUNLinSol_SPGMR(f->y, SUN_PREC_NONE, POTTS_KRYLOV_DIM, f->sun)) ||
             CVodeSetLinearSolver(f->cv, f->ls, NULL);
    if (st) {
        sym_error(err, SYM_ENUM, "flow_potts_alloc: CVODE set-up failed%s%s", f->err[0] ? ": " : "", f->err);
        flow_potts_free(f);
        return SYM_ENUM;
    }
    *out = f;
    return SYM_OK;
}

int flow_potts_advance(flow_potts *f, double tout, char *err)
{
    if (tout <= f->t)
        return SYM_OK;
    if (!isfinite(tout))
        return sym_error(err, SYM_EINVAL, "flow_potts_advance: tout = %g: need a finite time", tout);
    f->err[0] = 0;
    double tret = f->t;
    int flag = CVode(f->cv, tout, f->y, &tret, CV_NORMAL);
    if (flag < 0)
        return sym_error(err, SYM_ENUM, "flow_potts_advance: CVode failed at t = %g (flag %d)%s%s", tret,
                         flag, f->err[0] ? ": " : "", f->err);
    f->t = tret;
    const double *y = N_VGetArrayPointer(f->y);
    for (size_t j = 0; j < f->n; j++)
        if (!isfinite(y[j]))
            return sym_error(err, SYM_ENUM, "NaN in the weights at t = %g", f->t);
    return SYM_OK;
}

void flow_potts_state(const flow_potts *f, double *w, double *theta)
{
    const double *y = N_VGetArrayPointer(f->y);
    memcpy(w, y, f->MNP * sizeof(double));
    if (theta)
        memcpy(theta, y + f->MNP, f->M * sizeof(double));
}

void flow_potts_stats(const flow_potts *f, long *nrhs, long *nsteps)
{
    long s = 0;
    CVodeGetNumSteps(f->cv, &s);
    if (nrhs)
        *nrhs = f->nrhs;
    if (nsteps)
        *nsteps = s;
}
