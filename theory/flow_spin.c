/* The binary hidden-unit family of theory/flow (SPEC.md 3b); the route is
 * in theory/flow_spin.h.
 *
 * Data term (nonlinear, Lambda = 0): per unit mu, with X = sum_i |w_i| +
 * |theta| the largest |I - theta|, the trapezoid in q has step hq <=
 * 2 pi / (X + SPIN_ALIAS_MARGIN) and ends at SPIN_QMAX.  Its q = 0 node
 * carries the kernels' limits (tanh: 2 x / pi, sech^2: 2 / pi, log cosh:
 * x^2 / pi), i.e. E[v_i (I - theta)] = (C w)_i - theta <v>, computed by
 * FFT.  Every other node costs one pass of the data model's kernel:
 *   ising: P(v) ∝ prod_j e^{beta v_j v_{j+1}}; in the basis where the
 *     normalised bond matrix K = [[p, 1-p], [1-p, p]] (p = (1 + t) / 2,
 *     t = tanh beta) is diag(1, t), the site factor diag(e^{i q w_j v}) is
 *     c I + i s sigma_x (c, s = cos, sin q w_j) and the spin insertion
 *     sigma_z is sigma_x.  Products of such matrices stay of the forms
 *     [[a, i b], [i c, d]] ("even") and [[i a, b], [c, i d]] ("odd", one
 *     insertion), four reals each: E[v_i e^{i q I}] (imaginary: the model
 *     is even under v -> -v) from prefix and suffix products, all i in
 *     O(N) real arithmetic; E[v_i (u.v) e^{i q I}] (real) from their
 *     derivative along u (the prefix and suffix sums with one more
 *     insertion).  No rescaling is needed: K is stochastic and the phases
 *     have modulus 1, so every partial product has norm <= 1, and a
 *     product that underflows stands for a characteristic function below
 *     1e-280, nothing against the result (Z(0) = 1 + t^N >= 1).
 *   bump: given the block position x the spins are independent, E[e^{i q
 *     w_j v_j} | x] = cos + i m_j sin, E[v_j e^{...} | x] = m_j cos + i sin
 *     (m_j = +-(1 - 2 eps)): leave-one-out products by prefix and suffix,
 *     averaged over the N positions, O(N^2) per node.
 *
 * Model term: P(h) ∝ exp(-theta.h + sum_i log 2cosh(g_i + sum_mu w_{i mu}
 * h_mu)) over the 2^M configurations, in log-sum-exp form; m_{i mu} =
 * sum_h P(h) h_mu tanh(a_ih).  Its Jacobian at fixed fields,
 *     (J v)_{i mu} = sum_h P(h) h_mu [(1 - t_ih^2) (h.v_i) + t_ih (s_h - <s>)],
 *     s_h = sum_{j nu} h_nu t_jh v_{j nu},
 * is a diagonal per configuration plus a part of rank 2^M (through P(h)).
 *
 * Data Jacobian: J_ij = E[v_i v_j sech^2(I_mu - theta_mu)] on the same q
 * nodes.  For ising at N <= FLOW_SPIN_DENSE_NMAX the set-up builds it as a
 * dense matrix (the pair traces Tr(pre_i Mz_i M .. M Mz_j suf_{j+1}),
 * O(N^2) per node) and each J v is a matrix-vector product; beyond, and for
 * bump, J v runs the kernel with u (the prefix and suffix products of the
 * set-up kept, within SPIN_JAC_CACHE_MAX).  Both give the same sums up to
 * rounding (tests/test_flow_spin.c, test_dense_jacobian).
 *
 * Preconditioner (Fourier-diagonal parts): data, lambda_k E[sech^2(I_mu -
 * theta_mu)] (exact at w = 0, where the flow's linear regime is lambda_k
 * sech^2(theta) - 1); model, mean_i sum_h P(h) (1 - t_ih^2), the mean of
 * the model Jacobian's diagonal.
 */
#include "theory/flow_spin.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "core/err.h"
#include "core/models.h"
#include "core/size.h"

/* Largest q of the trapezoid: the kernels decay like q e^{-pi q / 2} and
 * |E[...]| <= 1, so the tail beyond 22 is below (4 / pi) 22 e^{-34.6} ~
 * 3e-14 of the q ~ 1 nodes, also for small weights (where every E[v
 * e^{iqI}] term is O(q |w|) and so is D).  (The cost is proportional to
 * SPIN_QMAX (X + SPIN_ALIAS_MARGIN); the tests ask for 1e-10.) */
#define SPIN_QMAX 22.0
/* W - X, W = 2 pi / hq: the aliasing error of the trapezoid is ~4 e^{-2 (W
 * - X)} sinh-shaped in I (for small I: 8 e^{-2 W} I, relative to D).
 * 16 gives 4 e^{-32} ~ 5e-14. */
#define SPIN_ALIAS_MARGIN 16.0
/* A partial transfer-matrix product below this (max-norm) is set to 0:
 * it stands for a characteristic function that is nothing against
 * Z(0) >= 1, and subnormal numbers would make the passes ~100x slower. */
#define SPIN_TINY 1e-280
/* Most nodes one unit may take (X ~ 3e4): beyond that the weights have
 * diverged long before (FLOW_N_NORM2_MAX). */
#define SPIN_NODES_MAX 200000
/* Largest cache of the frozen Jacobian's transfer-matrix products (J v
 * then costs 3 passes instead of 5 and no phases): N = 100 needs ~0.7 MB
 * per unit, N = 10^4 ~70 MB, beyond which J v recomputes them. */
#define SPIN_JAC_CACHE_MAX (64.0 * 1024 * 1024)

enum { SPIN_ISING, SPIN_BUMP };

/* The ising passes run SPIN_NB q nodes side by side: the products along
 * the ring are a serial chain per node, and independent lanes let the
 * compiler vectorise and the CPU overlap them (N = 100, beta = 1: 6x
 * faster than one node at a time). */
#define SPIN_NB 8

/* the four reals of even [[a, i b], [i c, d]] or odd [[i a, b], [c, i d]]
 * 2x2 matrices, one per lane */
typedef struct {
    double a[SPIN_NB], b[SPIN_NB], c[SPIN_NB], d[SPIN_NB];
} mat4v;

/* cos, sin of q_l w_j for the lanes l of one site j */
typedef struct {
    double c[SPIN_NB], s[SPIN_NB];
} phasev;

typedef struct {
    size_t N, M, H;        /* sites, units, 2^M configurations              */
    const ring_model *data;
    int kind;              /* SPIN_ISING or SPIN_BUMP                       */
    double t, z0;          /* ising: tanh beta, Z(0) = 1 + t^N              */
    size_t L;              /* bump: block length                            */
    double mb;             /* bump: 1 - 2 eps                               */
    double *theta;         /* M hidden fields                               */
    /* C u by FFT */
    fftw_plan fwd, bwd;
    double *hc;
    /* data kernel scratch */
    double *cs;            /* cos, sin of q w_j: 2N                         */
    mat4v *pre, *suf, *dpre, *dsuf; /* ising: N + 1 each                   */
    phasev *ph;            /* ising: N lanes of phases                      */
    double *rot;           /* ising: cos, sin of SPIN_NB hq w_j: 2N         */
    double *Av, *Bv, *Zv;  /* ising lanes: Im E[v_i e^{iqI}], E[v_i u.v
                            * e^{iqI}] (N x SPIN_NB), E[e^{iqI}]            */
    double *cz;            /* bump: complex scratch, 8 (N + 1) doubles      */
    double *A, *B;         /* 2N: one node's E[v e^{iqI}], E[v u.v e^{iqI}] */
    double *cw;            /* N: C w (or C u)                               */
    /* frozen data Jacobian */
    double *wj;            /* M N weights                                   */
    double *jd;            /* ising, N <= FLOW_SPIN_DENSE_NMAX: the frozen
                            * data Jacobian dD_mu/dw_mu of each unit, N x N
                            * (M N^2; made by the first set-up), or NULL
                            * (J v through the kernel)                      */
    int jc;                /* ising: the products below are kept            */
    size_t *jc_off;        /* M: first chunk of unit mu                     */
    size_t jc_cap;         /* chunks allocated                              */
    mat4v *jc_pre, *jc_suf; /* (N + 1) per chunk                            */
    phasev *jc_ph;         /* N per chunk                                   */
    /* model term: tanh(a_ih) (H N), log weights / P(h) (H); the frozen
     * Jacobian's copies */
    double *T, *P, *Tj, *Pj, *mj;
    double *hv, *sh;       /* N, H scratch of the model J v                 */
} spin_ctx;

/* ---- the data kernels: one q node ----------------------------------------- */

static void site_phases(spin_ctx *c, const double *w, double q)
{
    for (size_t j = 0; j < c->N; j++) {
        c->cs[2 * j] = cos(q * w[j]);
        c->cs[2 * j + 1] = sin(q * w[j]);
    }
}

/* The ising pass over SPIN_NB lanes with phases ph (N sites): Zv[l] =
 * E[e^{iqI}] (real), Av[i NB + l] = Im E[v_i e^{iqI}] (the real part is 0)
 * if Av, and with u, Bv[i NB + l] = E[v_i (u.v) e^{iqI}] (real).  Site j's
 * factor is M_j = even (c, s t, s, c t), its insertion Mz_j = odd (s, c t,
 * c, s t) (theory/flow_spin.c's header); products:
 *   even even -> even (a a' - b c', a b' + b d', c a' + d c', d d' - c b')
 *   odd  even -> odd  (a a' + b c', b d' - a b', c a' - d c', c b' + d d')
 *   even odd  -> odd  (a a' + b c', a b' - b d', d c' - c a', c b' + d d')
 * and Tr(odd odd') = (b c' - a a') + (c b' - d d'). */
/* lanes are independent: no two of one loop touch the same element */
#define LANES _Pragma("GCC ivdep") for (int l = 0; l < SPIN_NB; l++)

/* inlined into the AVX2 clone too (a call to the default-target copy cost
 * ~8% of the N = 100 flow) */
#if defined(__GNUC__)
#define SPIN_INLINE inline __attribute__((always_inline))
#else
#define SPIN_INLINE inline
#endif

static SPIN_INLINE void flush_lanes(mat4v *x)
{
    LANES
    {
        if (fabs(x->a[l]) + fabs(x->b[l]) + fabs(x->c[l]) + fabs(x->d[l]) < SPIN_TINY)
            x->a[l] = x->b[l] = x->c[l] = x->d[l] = 0;
    }
}

/* ising_chunk's stages: compute the prefix products (and the suffix ones
 * when asked for A or B), compute both always (to keep them: the frozen
 * Jacobian), or take both as given */
enum { CHUNK_NEED, CHUNK_BOTH, CHUNK_HAVE };

/* The passes are ~90% of a binary-unit flow's time: an AVX2 clone where
 * the CPU has it (twice the lanes per instruction; no FMA contraction in
 * ISO C mode, so every clone rounds the same) */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__) && \
    !defined(__SANITIZE_ADDRESS__)
#define SPIN_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SPIN_CLONES
#endif

SPIN_CLONES
static void ising_chunk(spin_ctx *c, const phasev *ph, mat4v *pre, mat4v *suf, int stage,
                        const double *u, double *Av, double *Bv, double *Zv)
{
    size_t N = c->N;
    const double t = c->t, iz = 1.0 / c->z0;
    if (stage == CHUNK_HAVE)
        goto products_ready;
    LANES
    {
        pre[0].a[l] = pre[0].d[l] = 1;
        pre[0].b[l] = pre[0].c[l] = 0;
    }
    for (size_t j = 0; j < N; j++) {
        const mat4v *x = &pre[j];
        mat4v *r = &pre[j + 1];
        LANES
        {
            double ma = ph[j].c[l], mb = ph[j].s[l] * t, mc = ph[j].s[l], md = ph[j].c[l] * t;
            r->a[l] = x->a[l] * ma - x->b[l] * mc;
            r->b[l] = x->a[l] * mb + x->b[l] * md;
            r->c[l] = x->c[l] * ma + x->d[l] * mc;
            r->d[l] = x->d[l] * md - x->c[l] * mb;
        }
        if ((j & 31) == 31)
            flush_lanes(r);
    }
    if (!Av && !u && stage != CHUNK_BOTH) {
        LANES Zv[l] = (pre[N].a[l] + pre[N].d[l]) * iz;
        return;
    }
    LANES
    {
        suf[N].a[l] = suf[N].d[l] = 1;
        suf[N].b[l] = suf[N].c[l] = 0;
    }
    for (size_t j = N; j-- > 0;) {
        const mat4v *y = &suf[j + 1];
        mat4v *r = &suf[j];
        LANES
        {
            double ma = ph[j].c[l], mb = ph[j].s[l] * t, mc = ph[j].s[l], md = ph[j].c[l] * t;
            r->a[l] = ma * y->a[l] - mb * y->c[l];
            r->b[l] = ma * y->b[l] + mb * y->d[l];
            r->c[l] = mc * y->a[l] + md * y->c[l];
            r->d[l] = md * y->d[l] - mc * y->b[l];
        }
        if ((j & 31) == 0)
            flush_lanes(r);
    }
products_ready:
    LANES Zv[l] = (pre[N].a[l] + pre[N].d[l]) * iz;
    if (Av)
        for (size_t i = 0; i < N; i++) {
            const mat4v *S = &suf[i + 1], *P = &pre[i];
            double *out = Av + i * SPIN_NB;
            LANES
            {
                /* X = S P (even even); Tr(Mz_i X) = i (s X.a + c t X.c + c X.b + s t X.d) */
                double xa = S->a[l] * P->a[l] - S->b[l] * P->c[l];
                double xb = S->a[l] * P->b[l] + S->b[l] * P->d[l];
                double xc = S->c[l] * P->a[l] + S->d[l] * P->c[l];
                double xd = S->d[l] * P->d[l] - S->c[l] * P->b[l];
                double cc = ph[i].c[l], ss = ph[i].s[l];
                out[l] = (ss * xa + cc * t * xc + cc * xb + ss * t * xd) * iz;
            }
        }
    if (!u)
        return;
    mat4v *dpre = c->dpre, *dsuf = c->dsuf;
    LANES dpre[0].a[l] = dpre[0].b[l] = dpre[0].c[l] = dpre[0].d[l] = 0;
    for (size_t j = 0; j < N; j++) {
        const mat4v *x = &dpre[j], *p = &pre[j];
        mat4v *r = &dpre[j + 1];
        double uj = u[j];
        LANES
        {
            double cc = ph[j].c[l], ss = ph[j].s[l];
            double ma = cc, mb = ss * t, mc = ss, md = cc * t; /* M_j  */
            double za = ss, zb = cc * t, zc = cc, zd = ss * t; /* Mz_j */
            /* dpre M_j (odd even) + u_j pre Mz_j (even odd) */
            r->a[l] = x->a[l] * ma + x->b[l] * mc + uj * (p->a[l] * za + p->b[l] * zc);
            r->b[l] = x->b[l] * md - x->a[l] * mb + uj * (p->a[l] * zb - p->b[l] * zd);
            r->c[l] = x->c[l] * ma - x->d[l] * mc + uj * (p->d[l] * zc - p->c[l] * za);
            r->d[l] = x->c[l] * mb + x->d[l] * md + uj * (p->c[l] * zb + p->d[l] * zd);
        }
        if ((j & 31) == 31)
            flush_lanes(r);
    }
    LANES dsuf[N].a[l] = dsuf[N].b[l] = dsuf[N].c[l] = dsuf[N].d[l] = 0;
    for (size_t j = N; j-- > 0;) {
        const mat4v *y = &dsuf[j + 1], *sy = &suf[j + 1];
        mat4v *r = &dsuf[j];
        double uj = u[j];
        LANES
        {
            double cc = ph[j].c[l], ss = ph[j].s[l];
            double ma = cc, mb = ss * t, mc = ss, md = cc * t;
            double za = ss, zb = cc * t, zc = cc, zd = ss * t;
            /* u_j Mz_j suf (odd even) + M_j dsuf (even odd) */
            r->a[l] = uj * (za * sy->a[l] + zb * sy->c[l]) + ma * y->a[l] + mb * y->c[l];
            r->b[l] = uj * (zb * sy->d[l] - za * sy->b[l]) + ma * y->b[l] - mb * y->d[l];
            r->c[l] = uj * (zc * sy->a[l] - zd * sy->c[l]) + md * y->c[l] - mc * y->a[l];
            r->d[l] = uj * (zc * sy->b[l] + zd * sy->d[l]) + mc * y->b[l] + md * y->d[l];
        }
        if ((j & 31) == 0)
            flush_lanes(r);
    }
    for (size_t i = 0; i < N; i++) {
        const mat4v *S = &suf[i + 1], *P = &pre[i], *dP = &dpre[i], *dS = &dsuf[i + 1];
        double *out = Bv + i * SPIN_NB, ui = u[i];
        LANES
        {
            /* Y = S dP (even odd) + dS P (odd even) */
            double ya = S->a[l] * dP->a[l] + S->b[l] * dP->c[l] + dS->a[l] * P->a[l] +
                        dS->b[l] * P->c[l];
            double yb = S->a[l] * dP->b[l] - S->b[l] * dP->d[l] + dS->b[l] * P->d[l] -
                        dS->a[l] * P->b[l];
            double yc = S->d[l] * dP->c[l] - S->c[l] * dP->a[l] + dS->c[l] * P->a[l] -
                        dS->d[l] * P->c[l];
            double yd = S->c[l] * dP->b[l] + S->d[l] * dP->d[l] + dS->c[l] * P->b[l] +
                        dS->d[l] * P->d[l];
            double cc = ph[i].c[l], ss = ph[i].s[l];
            /* Tr(Mz_i Y) + u_i Tr(prod M) (the insertion at i itself: v_i^2 = 1) */
            double tr = cc * t * yc + cc * yb - ss * ya - ss * t * yd;
            out[l] = (tr + ui * (pre[N].a[l] + pre[N].d[l])) * iz;
        }
    }
}

/* The dense data Jacobian's share of one chunk of nodes: for j >= i,
 *     J[i N + j] += sum_l wl[l] E_l[v_i v_j e^{iqI}],
 *     E[v_i v_j e^{iqI}] = Tr(pre_i Mz_i M_{i+1} .. M_{j-1} Mz_j suf_{j+1}) / Z(0)
 * (real: the trace of two odd matrices), with Y = pre_i Mz_i M_{i+1} ..
 * carried along j and R_j = Mz_j suf_{j+1} (times wl / Z(0)) made once; at
 * i = j it is E[e^{iqI}] (v_i^2 = 1).  O(N^2) per chunk against O(N) for
 * one J v, repaid when one frozen Jacobian serves many J v (N = 100: ~65).
 * R uses c->dpre as scratch. */
SPIN_CLONES
static void ising_pairs(spin_ctx *c, const phasev *ph, const mat4v *pre, const mat4v *suf,
                        const double *wl, double *J)
{
    size_t N = c->N;
    const double t = c->t, iz = 1.0 / c->z0;
    mat4v *R = c->dpre;
    for (size_t j = 0; j < N; j++) {
        const mat4v *y = &suf[j + 1];
        mat4v *r = &R[j];
        LANES
        {
            double cc = ph[j].c[l], ss = ph[j].s[l], sc = wl[l] * iz;
            double za = ss, zb = cc * t, zc = cc, zd = ss * t; /* Mz_j */
            /* odd even -> odd */
            r->a[l] = sc * (za * y->a[l] + zb * y->c[l]);
            r->b[l] = sc * (zb * y->d[l] - za * y->b[l]);
            r->c[l] = sc * (zc * y->a[l] - zd * y->c[l]);
            r->d[l] = sc * (zc * y->b[l] + zd * y->d[l]);
        }
    }
    double zs = 0;
    for (int l = 0; l < SPIN_NB; l++)
        zs += wl[l] * (pre[N].a[l] + pre[N].d[l]) * iz;
    for (size_t i = 0; i < N; i++) {
        double *Ji = J + i * N;
        const mat4v *p = &pre[i];
        mat4v Y;
        Ji[i] += zs;
        LANES
        {
            double cc = ph[i].c[l], ss = ph[i].s[l];
            double za = ss, zb = cc * t, zc = cc, zd = ss * t; /* Mz_i */
            /* even odd -> odd */
            Y.a[l] = p->a[l] * za + p->b[l] * zc;
            Y.b[l] = p->a[l] * zb - p->b[l] * zd;
            Y.c[l] = p->d[l] * zc - p->c[l] * za;
            Y.d[l] = p->c[l] * zb + p->d[l] * zd;
        }
        for (size_t j = i + 1; j < N; j++) {
            const mat4v *r = &R[j];
            double tr[SPIN_NB];
            /* Tr(odd odd') = (b c' - a a') + (c b' - d d') */
            LANES tr[l] = (Y.b[l] * r->c[l] - Y.a[l] * r->a[l]) +
                          (Y.c[l] * r->b[l] - Y.d[l] * r->d[l]);
            double acc = 0;
            for (int l = 0; l < SPIN_NB; l++)
                acc += tr[l];
            Ji[j] += acc;
            LANES
            {
                /* Y M_j, odd even -> odd, M_j = even (c, s t, s, c t) */
                double ma = ph[j].c[l], mb = ph[j].s[l] * t, mc = ph[j].s[l], md = ph[j].c[l] * t;
                double ya = Y.a[l], yb = Y.b[l], yc = Y.c[l], yd = Y.d[l];
                Y.a[l] = ya * ma + yb * mc;
                Y.b[l] = yb * md - ya * mb;
                Y.c[l] = yc * ma - yd * mc;
                Y.d[l] = yc * mb + yd * md;
            }
            if (((j - i) & 31) == 31)
                flush_lanes(&Y);
        }
    }
}

/* lane phases at q_l = q0 + (l + 1) dq, exactly */
static void ising_phases(spin_ctx *c, const double *w, double q0, double dq)
{
    for (size_t j = 0; j < c->N; j++)
        LANES
        {
            double q = q0 + dq * (double)(l + 1);
            c->ph[j].c[l] = cos(q * w[j]);
            c->ph[j].s[l] = sin(q * w[j]);
        }
}

/* the first chunk's phases (q = hq .. SPIN_NB hq) and the rotation to
 * the next chunk's */
static void ising_phases_start(spin_ctx *c, const double *w, double hq)
{
    ising_phases(c, w, 0.0, hq);
    for (size_t j = 0; j < c->N; j++) {
        c->rot[2 * j] = cos(SPIN_NB * hq * w[j]);
        c->rot[2 * j + 1] = sin(SPIN_NB * hq * w[j]);
    }
}

/* the phases advance from one chunk to the next by a rotation (n / SPIN_NB
 * of them: rounding ~1e-15) */
SPIN_CLONES
static void ising_phases_next(spin_ctx *c)
{
    for (size_t j = 0; j < c->N; j++) {
        double rc = c->rot[2 * j], rs = c->rot[2 * j + 1];
        LANES
        {
            double cc = c->ph[j].c[l], ss = c->ph[j].s[l];
            c->ph[j].c[l] = cc * rc - ss * rs;
            c->ph[j].s[l] = ss * rc + cc * rs;
        }
    }
}

/* complex helpers on (re, im) pairs */
static inline void cmul(double ar, double ai, double br, double bi, double *r, double *i)
{
    *r = ar * br - ai * bi;
    *i = ar * bi + ai * br;
}

/* bump: the same expectations, averaged over the block position x */
static void bump_node(spin_ctx *c, const double *w, const double *u, double q, double *A,
                      double *B, double *Z)
{
    size_t N = c->N, L = c->L;
    site_phases(c, w, q);
    const double *cs = c->cs;
    /* prefix / suffix of c_j and their derivative sums, complex */
    double *pc = c->cz, *sc = pc + 2 * (N + 1), *pd = sc + 2 * (N + 1), *sd = pd + 2 * (N + 1);
    if (A)
        memset(A, 0, 2 * N * sizeof *A);
    if (B)
        memset(B, 0, 2 * N * sizeof *B);
    double zr = 0, zi = 0;
    for (size_t x = 0; x < N; x++) {
        pc[0] = 1;
        pc[1] = 0;
        for (size_t j = 0; j < N; j++) {
            double m = ((j + N - x) % N < L) ? c->mb : -c->mb;
            cmul(pc[2 * j], pc[2 * j + 1], cs[2 * j], m * cs[2 * j + 1], &pc[2 * j + 2],
                 &pc[2 * j + 3]);
        }
        zr += pc[2 * N];
        zi += pc[2 * N + 1];
        if (!A && !B)
            continue;
        sc[2 * N] = 1;
        sc[2 * N + 1] = 0;
        for (size_t j = N; j-- > 0;) {
            double m = ((j + N - x) % N < L) ? c->mb : -c->mb;
            cmul(cs[2 * j], m * cs[2 * j + 1], sc[2 * j + 2], sc[2 * j + 3], &sc[2 * j],
                 &sc[2 * j + 1]);
        }
        if (B) {
            pd[0] = pd[1] = 0;
            for (size_t j = 0; j < N; j++) {
                double m = ((j + N - x) % N < L) ? c->mb : -c->mb;
                double r1, i1, r2, i2;
                cmul(pd[2 * j], pd[2 * j + 1], cs[2 * j], m * cs[2 * j + 1], &r1, &i1);
                cmul(pc[2 * j], pc[2 * j + 1], m * cs[2 * j], cs[2 * j + 1], &r2, &i2);
                pd[2 * j + 2] = r1 + u[j] * r2;
                pd[2 * j + 3] = i1 + u[j] * i2;
            }
            sd[2 * N] = sd[2 * N + 1] = 0;
            for (size_t j = N; j-- > 0;) {
                double m = ((j + N - x) % N < L) ? c->mb : -c->mb;
                double r1, i1, r2, i2;
                cmul(cs[2 * j], m * cs[2 * j + 1], sd[2 * j + 2], sd[2 * j + 3], &r1, &i1);
                cmul(m * cs[2 * j], cs[2 * j + 1], sc[2 * j + 2], sc[2 * j + 3], &r2, &i2);
                sd[2 * j] = r1 + u[j] * r2;
                sd[2 * j + 1] = i1 + u[j] * i2;
            }
        }
        for (size_t i = 0; i < N; i++) {
            double m = ((i + N - x) % N < L) ? c->mb : -c->mb;
            double dr = m * cs[2 * i], di = cs[2 * i + 1]; /* E[v_i e^{i q w_i v_i} | x] */
            double lr, li;                                 /* prod_{j != i} c_j       */
            cmul(pc[2 * i], pc[2 * i + 1], sc[2 * i + 2], sc[2 * i + 3], &lr, &li);
            if (A) {
                double r, im;
                cmul(dr, di, lr, li, &r, &im);
                A[2 * i] += r;
                A[2 * i + 1] += im;
            }
            if (B) {
                double r1, i1, r2, i2, r, im;
                cmul(pd[2 * i], pd[2 * i + 1], sc[2 * i + 2], sc[2 * i + 3], &r1, &i1);
                cmul(pc[2 * i], pc[2 * i + 1], sd[2 * i + 2], sd[2 * i + 3], &r2, &i2);
                cmul(dr, di, r1 + r2, i1 + i2, &r, &im);
                /* the insertion at i itself: v_i^2 = 1, the full product */
                B[2 * i] += r + u[i] * pc[2 * N];
                B[2 * i + 1] += im + u[i] * pc[2 * N + 1];
            }
        }
    }
    double s = 1.0 / (double)N;
    Z[0] = zr * s;
    Z[1] = zi * s;
    for (size_t k = 0; A && k < 2 * N; k++)
        A[k] *= s;
    for (size_t k = 0; B && k < 2 * N; k++)
        B[k] *= s;
}


/* out = C x (circular convolution with the two-point function), by FFT */
static void conv_C(spin_ctx *c, const double *x, double *out)
{
    size_t N = c->N;
    fftw_execute_r2r(c->fwd, (double *)x, c->hc);
    for (size_t k = 0; k < N; k++)
        c->hc[k] *= c->data->lambda[k] / (double)N;
    fftw_execute_r2r(c->bwd, c->hc, out);
}

/* The trapezoid's nodes for one profile: step hq and count n (q_n = n hq,
 * n = 1..count); SYM_ENUM when the weights are not finite or too large. */
static int nodes_of(const spin_ctx *c, const double *w, double theta, double *hq, size_t *n,
                    char *err)
{
    double X = fabs(theta);
    for (size_t i = 0; i < c->N; i++)
        X += fabs(w[i]);
    if (!isfinite(X))
        return sym_error(err, SYM_ENUM, "binary data term: weights not finite");
    double cnt = ceil(SPIN_QMAX * (X + SPIN_ALIAS_MARGIN) / (2 * M_PI));
    if (cnt > SPIN_NODES_MAX)
        return sym_error(err, SYM_ENUM,
                         "binary data term: sum_i |w_i| + |theta| = %.3g needs %.0f q nodes, "
                         "beyond %d",
                         X, cnt, SPIN_NODES_MAX);
    *n = (size_t)cnt;
    *hq = SPIN_QMAX / cnt;
    return SYM_OK;
}

/* One unit's data expectations (see flow_spin_data). */
/* The Jacobian's cache of ising products: fill it at set-up, use it in
 * J v (which then skips the prefix and suffix passes and the phases). */
enum { CACHE_NONE, CACHE_FILL, CACHE_USE };

static int data_unit_c(spin_ctx *c, const double *w, double theta, double *d, double *lc,
                       double *s2, const double *u, double *jv, int cache, size_t mu, char *err);

static int data_unit(spin_ctx *c, const double *w, double theta, double *d, double *lc,
                     double *s2, const double *u, double *jv, char *err)
{
    return data_unit_c(c, w, theta, d, lc, s2, u, jv, CACHE_NONE, 0, err);
}

static int data_unit_c(spin_ctx *c, const double *w, double theta, double *d, double *lc,
                       double *s2, const double *u, double *jv, int cache, size_t mu, char *err)
{
    size_t N = c->N, n = 0;
    double hq = 0;
    int st = nodes_of(c, w, theta, &hq, &n, err);
    if (st)
        return st;
    double mean = c->data->mean, base = hq / M_PI;
    /* q = 0 node: the kernels' limits */
    double ew2 = 0; /* E[(I - theta)^2] */
    if (d || lc) {
        conv_C(c, w, c->cw);
        double wcw = 0, sw = 0;
        for (size_t i = 0; i < N; i++) {
            wcw += w[i] * c->cw[i];
            sw += w[i];
        }
        ew2 = wcw - 2 * theta * mean * sw + theta * theta;
        if (d)
            for (size_t i = 0; i < N; i++)
                d[i] = base * (c->cw[i] - theta * mean);
    }
    if (jv) {
        conv_C(c, u, c->cw);
        for (size_t i = 0; i < N; i++)
            jv[i] = base * c->cw[i];
    }
    double lsum = 0.5 * base * ew2, ssum = base;
    if (c->kind == SPIN_ISING) {
        /* lanes of SPIN_NB nodes; the phases advance from one chunk to the
         * next by a rotation (n / SPIN_NB of them: rounding ~1e-15) */
        if (cache != CACHE_USE) {
            ising_phases_start(c, w, hq);
        }
        for (size_t k0 = 0; k0 < n; k0 += SPIN_NB) {
            const phasev *ph = c->ph;
            mat4v *pre = c->pre, *suf = c->suf;
            int stage = CHUNK_NEED;
            if (cache != CACHE_NONE) {
                size_t k = c->jc_off[mu] + k0 / SPIN_NB;
                pre = c->jc_pre + k * (N + 1);
                suf = c->jc_suf + k * (N + 1);
                if (cache == CACHE_FILL) {
                    memcpy(c->jc_ph + k * N, c->ph, N * sizeof *c->ph);
                    stage = CHUNK_BOTH;
                } else {
                    ph = c->jc_ph + k * N;
                    stage = CHUNK_HAVE;
                }
            }
            ising_chunk(c, ph, pre, suf, stage, jv ? u : NULL, d ? c->Av : NULL,
                        jv ? c->Bv : NULL, c->Zv);
            double wd[SPIN_NB], wj[SPIN_NB];
            LANES wd[l] = wj[l] = 0;
            for (size_t l = 0; l < SPIN_NB && k0 + l < n; l++) {
                double q = hq * (double)(k0 + l + 1), wt = hq / sinh(0.5 * M_PI * q);
                /* the model is even: E[e^{iqI}] and E[v_i (u.v) e^{iqI}]
                 * real, E[v_i e^{iqI}] imaginary; times e^{-i q theta} */
                double cq = cos(q * theta), zre = c->Zv[l] * cq;
                lsum += wt * (1.0 - zre) / q;
                ssum += wt * q * zre;
                wd[l] = wt * cq;
                wj[l] = wt * q * cq;
            }
            if (d)
                for (size_t i = 0; i < N; i++) {
                    double acc = 0;
                    LANES acc += wd[l] * c->Av[i * SPIN_NB + l];
                    d[i] += acc;
                }
            if (jv)
                for (size_t i = 0; i < N; i++) {
                    double acc = 0;
                    LANES acc += wj[l] * c->Bv[i * SPIN_NB + l];
                    jv[i] += acc;
                }
            if (cache != CACHE_USE)
                ising_phases_next(c);
        }
    } else
        for (size_t k = 1; k <= n; k++) {
            double q = hq * (double)k, wt = hq / sinh(0.5 * M_PI * q);
            double Z[2];
            bump_node(c, w, u, q, d ? c->A : NULL, jv ? c->B : NULL, Z);
            double cq = cos(q * theta), sq = sin(q * theta);
            /* times e^{-i q theta}: Re = re cq + im sq, Im = im cq - re sq */
            double zre = Z[0] * cq + Z[1] * sq;
            lsum += wt * (1.0 - zre) / q;
            ssum += wt * q * zre;
            if (d)
                for (size_t i = 0; i < N; i++)
                    d[i] += wt * (c->A[2 * i + 1] * cq - c->A[2 * i] * sq);
            if (jv)
                for (size_t i = 0; i < N; i++)
                    jv[i] += wt * q * (c->B[2 * i] * cq + c->B[2 * i + 1] * sq);
        }
    if (lc)
        *lc = M_LN2 + lsum;
    if (s2)
        *s2 = ssum;
    return SYM_OK;
}

/* One ising unit's dense data Jacobian J (N x N, symmetric),
 *     J_ij = d D_i / d w_j = E[v_i v_j sech^2(I - theta)],
 * on the nodes of data_unit_c (the same trapezoid; J u equals its jv up to
 * rounding), and s2 = E[sech^2(I - theta)] as there. */
static int data_unit_dense(spin_ctx *c, const double *w, double theta, double *s2, double *J,
                           char *err)
{
    size_t N = c->N, n = 0;
    double hq = 0;
    int st = nodes_of(c, w, theta, &hq, &n, err);
    if (st)
        return st;
    double base = hq / M_PI;
    /* q = 0 node: base C_ij, C circulant: C_ij = (C e_0)_{(j - i) mod N} */
    memset(c->A, 0, N * sizeof *c->A);
    c->A[0] = 1;
    conv_C(c, c->A, c->cw);
    for (size_t i = 0; i < N; i++)
        for (size_t j = i; j < N; j++)
            J[i * N + j] = base * c->cw[j - i];
    double ssum = base;
    ising_phases_start(c, w, hq);
    for (size_t k0 = 0; k0 < n; k0 += SPIN_NB) {
        ising_chunk(c, c->ph, c->pre, c->suf, CHUNK_BOTH, NULL, NULL, NULL, c->Zv);
        double wl[SPIN_NB];
        LANES wl[l] = 0;
        for (size_t l = 0; l < SPIN_NB && k0 + l < n; l++) {
            double q = hq * (double)(k0 + l + 1), wt = hq / sinh(0.5 * M_PI * q);
            double cq = cos(q * theta);
            ssum += wt * q * (c->Zv[l] * cq);
            wl[l] = wt * q * cq;
        }
        ising_pairs(c, c->ph, c->pre, c->suf, wl, J);
        ising_phases_next(c);
    }
    for (size_t i = 0; i < N; i++)
        for (size_t j = i + 1; j < N; j++)
            J[j * N + i] = J[i * N + j];
    *s2 = ssum;
    return SYM_OK;
}

/* ---- context ---------------------------------------------------------------- */

static void spin_free(void *ctx)
{
    spin_ctx *c = ctx;
    if (!c)
        return;
    if (c->fwd)
        fftw_destroy_plan(c->fwd);
    if (c->bwd)
        fftw_destroy_plan(c->bwd);
    fftw_free(c->hc);
    free(c->theta);
    free(c->cs);
    free(c->pre);
    free(c->suf);
    free(c->dpre);
    free(c->dsuf);
    free(c->ph);
    free(c->rot);
    free(c->Av);
    free(c->Bv);
    free(c->Zv);
    free(c->cz);
    free(c->A);
    free(c->B);
    free(c->cw);
    free(c->wj);
    free(c->jd);
    free(c->jc_off);
    free(c->jc_pre);
    free(c->jc_suf);
    free(c->jc_ph);
    free(c->T);
    free(c->P);
    free(c->Tj);
    free(c->Pj);
    free(c->mj);
    free(c->hv);
    free(c->sh);
    free(c);
}

static int spin_alloc(void **ctx, const flow_family_args *a, char *err)
{
    *ctx = NULL;
    const ring_model *m = a->data;
    size_t N = m->N, M = a->units && a->units->M ? a->units->M : 1;
    int kind;
    if (m->type == &ring_ising)
        kind = SPIN_ISING;
    else if (m->type == &ring_bump)
        kind = SPIN_BUMP;
    else
        return sym_error(err, SYM_EINVAL,
                         "binary hidden units: data model %s has no exact data term (ising or "
                         "bump)",
                         m->type->name);
    if (M > FLOW_SPIN_M_MAX)
        return sym_error(err, SYM_EINVAL, "M = %zu: need 1 <= M <= %d binary units", M,
                         FLOW_SPIN_M_MAX);
    const double *th = a->units ? a->units->theta : NULL;
    for (size_t mu = 0; th && mu < M; mu++)
        if (!isfinite(th[mu]))
            return sym_error(err, SYM_EINVAL, "theta[%zu] = %g: need finite hidden fields", mu,
                             th[mu]);
    size_t H = (size_t)1 << M, HN, MN;
    if (!sym_mul_ok(H, N, &HN) || !sym_mul_ok(M, N, &MN) || HN > SIZE_MAX / 8 / sizeof(double))
        return sym_error(err, SYM_EINVAL, "M = %zu, N = %zu: too large", M, N);
    int st = sym_alloc_check(2 * HN + 8 * N, sizeof(double), 1, "2^M x N model-term tables",
                             NULL, err);
    if (st)
        return st;
    spin_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return sym_error(err, SYM_ENOMEM, "out of memory");
    c->N = N;
    c->M = M;
    c->H = H;
    c->data = m;
    c->kind = kind;
    if (kind == SPIN_ISING) {
        c->t = tanh(ring_get(m, "beta"));
        c->z0 = 1.0 + pow(c->t, (double)N);
    } else {
        c->L = ring_bump_L(m);
        c->mb = 1.0 - 2.0 * ring_get(m, "eps");
    }
    c->theta = calloc(M, sizeof *c->theta);
    c->hc = fftw_malloc(N * sizeof *c->hc);
    c->cs = malloc(2 * N * sizeof *c->cs);
    c->A = malloc(2 * N * sizeof *c->A);
    c->B = malloc(2 * N * sizeof *c->B);
    c->cw = malloc(N * sizeof *c->cw);
    c->wj = malloc(MN * sizeof *c->wj);
    c->jc_off = calloc(M, sizeof *c->jc_off);
    c->T = malloc(HN * sizeof *c->T);
    c->Tj = malloc(HN * sizeof *c->Tj);
    c->P = malloc(H * sizeof *c->P);
    c->Pj = malloc(H * sizeof *c->Pj);
    c->mj = malloc(MN * sizeof *c->mj);
    c->hv = malloc(N * sizeof *c->hv);
    c->sh = malloc(H * sizeof *c->sh);
    int ok = c->theta && c->hc && c->cs && c->A && c->B && c->cw && c->wj && c->jc_off && c->T && c->Tj &&
             c->P && c->Pj && c->mj && c->hv && c->sh;
    if (kind == SPIN_ISING) {
        c->pre = malloc((N + 1) * sizeof *c->pre);
        c->suf = malloc((N + 1) * sizeof *c->suf);
        c->dpre = malloc((N + 1) * sizeof *c->dpre);
        c->dsuf = malloc((N + 1) * sizeof *c->dsuf);
        c->ph = malloc(N * sizeof *c->ph);
        c->rot = malloc(2 * N * sizeof *c->rot);
        c->Av = malloc(N * SPIN_NB * sizeof *c->Av);
        c->Bv = malloc(N * SPIN_NB * sizeof *c->Bv);
        c->Zv = malloc(SPIN_NB * sizeof *c->Zv);
        ok = ok && c->pre && c->suf && c->dpre && c->dsuf && c->ph && c->rot && c->Av && c->Bv &&
             c->Zv;
    } else {
        c->cz = malloc(8 * (N + 1) * sizeof *c->cz);
        ok = ok && c->cz;
    }
    if (ok) {
        c->fwd = fftw_plan_r2r_1d((int)N, c->cw, c->hc, FFTW_R2HC, FFTW_ESTIMATE | FFTW_UNALIGNED);
        c->bwd = fftw_plan_r2r_1d((int)N, c->hc, c->cw, FFTW_HC2R, FFTW_ESTIMATE | FFTW_UNALIGNED);
        ok = c->fwd && c->bwd;
    }
    if (!ok) {
        spin_free(c);
        return sym_error(err, SYM_ENOMEM, "out of memory (N = %zu, M = %zu)", N, M);
    }
    for (size_t mu = 0; th && mu < M; mu++)
        c->theta[mu] = th[mu];
    *ctx = c;
    return SYM_OK;
}

static size_t spin_units(const void *ctx)
{
    return ((const spin_ctx *)ctx)->M;
}

/* ---- data term --------------------------------------------------------------- */

static int spin_data_eval(void *ctx, const double *w, double *d, char *err)
{
    spin_ctx *c = ctx;
    for (size_t mu = 0; mu < c->M; mu++) {
        int st = data_unit(c, w + mu * c->N, c->theta[mu], d + mu * c->N, NULL, NULL, NULL, NULL,
                           err);
        if (st)
            return st;
    }
    return SYM_OK;
}

/* Room for the chunks of every unit at w in the Jacobian's cache, within
 * SPIN_JAC_CACHE_MAX bytes (else c->jc = 0: J v recomputes them). */
static int cache_reserve(spin_ctx *c, const double *w, char *err)
{
    size_t N = c->N, total = 0;
    for (size_t mu = 0; mu < c->M; mu++) {
        double hq;
        size_t n;
        int st = nodes_of(c, w + mu * N, c->theta[mu], &hq, &n, err);
        if (st)
            return st;
        c->jc_off[mu] = total;
        total += (n + SPIN_NB - 1) / SPIN_NB;
    }
    double per = (2.0 * (double)(N + 1) * sizeof(mat4v) + (double)N * sizeof(phasev));
    c->jc = c->kind == SPIN_ISING && per * (double)total <= SPIN_JAC_CACHE_MAX;
    if (!c->jc || total <= c->jc_cap)
        return SYM_OK;
    free(c->jc_pre);
    free(c->jc_suf);
    free(c->jc_ph);
    c->jc_pre = malloc(total * (N + 1) * sizeof *c->jc_pre);
    c->jc_suf = malloc(total * (N + 1) * sizeof *c->jc_suf);
    c->jc_ph = malloc(total * N * sizeof *c->jc_ph);
    c->jc_cap = total;
    if (!c->jc_pre || !c->jc_suf || !c->jc_ph) {
        c->jc = 0; /* recompute instead */
        c->jc_cap = 0;
    }
    return SYM_OK;
}

static int spin_data_jac_setup(void *ctx, const double *w, double *pd, char *err)
{
    spin_ctx *c = ctx;
    size_t N = c->N;
    memcpy(c->wj, w, c->M * N * sizeof *w);
    /* the dense matrices on the first set-up (the hooks never need them);
     * without the memory, the kernel route */
    if (c->kind == SPIN_ISING && N <= FLOW_SPIN_DENSE_NMAX && !c->jd)
        c->jd = malloc(c->M * N * N * sizeof *c->jd);
    if (c->jd) {
        for (size_t mu = 0; mu < c->M; mu++) {
            double s2;
            int st = data_unit_dense(c, w + mu * N, c->theta[mu], &s2, c->jd + mu * N * N, err);
            if (st)
                return st;
            for (size_t k = 0; k < N; k++)
                pd[mu * N + k] = c->data->lambda[k] * s2;
        }
        return SYM_OK;
    }
    int st0 = cache_reserve(c, w, err);
    if (st0)
        return st0;
    for (size_t mu = 0; mu < c->M; mu++) {
        double s2;
        int st = data_unit_c(c, w + mu * N, c->theta[mu], NULL, NULL, &s2, NULL, NULL,
                             c->jc ? CACHE_FILL : CACHE_NONE, mu, err);
        if (st)
            return st;
        for (size_t k = 0; k < N; k++)
            pd[mu * N + k] = c->data->lambda[k] * s2;
    }
    return SYM_OK;
}

/* y = J x for a symmetric J (N x N), as a sum of its rows times x_j: no
 * reduction in the inner loop, so it vectorises */
SPIN_CLONES
static void dense_apply(size_t N, const double *J, const double *x, double *y)
{
    memset(y, 0, N * sizeof *y);
    for (size_t j = 0; j < N; j++) {
        const double *Jj = J + j * N, xj = x[j];
        for (size_t i = 0; i < N; i++)
            y[i] += Jj[i] * xj;
    }
}

static void spin_data_jac_apply(void *ctx, const double *v, double *out)
{
    spin_ctx *c = ctx;
    size_t N = c->N;
    if (c->jd) {
        for (size_t mu = 0; mu < c->M; mu++)
            dense_apply(N, c->jd + mu * N * N, v + mu * N, out + mu * N);
        return;
    }
    char err[SYM_ERRLEN];
    for (size_t mu = 0; mu < c->M; mu++)
        /* cannot fail: the frozen weights passed nodes_of at set-up */
        if (data_unit_c(c, c->wj + mu * N, c->theta[mu], NULL, NULL, NULL, v + mu * N,
                        out + mu * N, c->jc ? CACHE_USE : CACHE_NONE, mu, err))
            for (size_t i = 0; i < N; i++)
                out[mu * N + i] = NAN;
}

/* ---- model term --------------------------------------------------------------- */

/* log 2cosh(a), no overflow */
static inline double log2cosh(double a)
{
    double x = fabs(a);
    return x + log1p(exp(-2 * x)) ;
}

/* h_mu of configuration h: bit mu set -> -1 */
static inline double hval(size_t h, size_t mu)
{
    return ((h >> mu) & 1) ? -1.0 : 1.0;
}

/* T[h N + i] = tanh(a_ih), P[h] = P_model(h); returns log Z */
static double model_core(spin_ctx *c, const double *w, const double *g, double *T, double *P)
{
    size_t N = c->N, M = c->M, H = c->H;
    double mx = -INFINITY;
    for (size_t h = 0; h < H; h++) {
        double s = 0;
        for (size_t mu = 0; mu < M; mu++)
            s -= c->theta[mu] * hval(h, mu);
        double *Th = T + h * N;
        for (size_t i = 0; i < N; i++) {
            double a = g ? g[i] : 0.0;
            for (size_t mu = 0; mu < M; mu++)
                a += hval(h, mu) * w[mu * N + i];
            s += log2cosh(a);
            Th[i] = tanh(a);
        }
        P[h] = s;
        mx = fmax(mx, s);
    }
    double z = 0;
    for (size_t h = 0; h < H; h++) {
        P[h] = exp(P[h] - mx);
        z += P[h];
    }
    for (size_t h = 0; h < H; h++)
        P[h] /= z;
    return mx + log(z);
}

static void model_moments(const spin_ctx *c, const double *T, const double *P, double *m,
                          double *mv)
{
    size_t N = c->N, M = c->M;
    memset(m, 0, M * N * sizeof *m);
    if (mv)
        memset(mv, 0, N * sizeof *mv);
    for (size_t h = 0; h < c->H; h++) {
        const double *Th = T + h * N;
        for (size_t mu = 0; mu < M; mu++) {
            double ph = P[h] * hval(h, mu);
            for (size_t i = 0; i < N; i++)
                m[mu * N + i] += ph * Th[i];
        }
        if (mv)
            for (size_t i = 0; i < N; i++)
                mv[i] += P[h] * Th[i];
    }
}

static int model_check(const double *logZ, char *err)
{
    if (!isfinite(*logZ))
        return sym_error(err, SYM_ENUM, "binary model term: log Z = %g", *logZ);
    return SYM_OK;
}

static int spin_model_eval(void *ctx, const double *w, const double *g, double *m, double *mv,
                           char *err)
{
    spin_ctx *c = ctx;
    double lz = model_core(c, w, g, c->T, c->P);
    int st = model_check(&lz, err);
    if (st)
        return st;
    model_moments(c, c->T, c->P, m, mv);
    return SYM_OK;
}

static int spin_model_jac_setup(void *ctx, const double *w, const double *g, double *pm,
                                char *err)
{
    spin_ctx *c = ctx;
    size_t N = c->N;
    double lz = model_core(c, w, g, c->Tj, c->Pj);
    int st = model_check(&lz, err);
    if (st)
        return st;
    model_moments(c, c->Tj, c->Pj, c->mj, NULL);
    /* mean over i of the diagonal sum_h P(h) (1 - t_ih^2) (h_mu^2 = 1) */
    double dbar = 0;
    for (size_t h = 0; h < c->H; h++) {
        const double *Th = c->Tj + h * N;
        double s = 0;
        for (size_t i = 0; i < N; i++)
            s += 1.0 - Th[i] * Th[i];
        dbar += c->Pj[h] * s;
    }
    dbar /= (double)N;
    for (size_t k = 0; k < c->M * N; k++)
        pm[k] = dbar;
    return SYM_OK;
}

static void spin_model_jac_apply(void *ctx, const double *v, double *out)
{
    spin_ctx *c = ctx;
    size_t N = c->N, M = c->M;
    double sbar = 0;
    for (size_t k = 0; k < M * N; k++)
        sbar += c->mj[k] * v[k];
    memset(out, 0, M * N * sizeof *out);
    for (size_t h = 0; h < c->H; h++) {
        const double *Th = c->Tj + h * N;
        double s = 0;
        for (size_t i = 0; i < N; i++) {
            double x = 0;
            for (size_t mu = 0; mu < M; mu++)
                x += hval(h, mu) * v[mu * N + i];
            c->hv[i] = x;
            s += Th[i] * x;
        }
        double ds = s - sbar, ph = c->Pj[h];
        for (size_t i = 0; i < N; i++) {
            double coef = ph * ((1.0 - Th[i] * Th[i]) * c->hv[i] + Th[i] * ds);
            for (size_t mu = 0; mu < M; mu++)
                out[mu * N + i] += hval(h, mu) * coef;
        }
    }
}

/* L = sum_mu E[log 2cosh(I_mu - theta_mu)] + sum_i g_i <v_i> - log Z */
static int spin_loglik(void *ctx, const double *w, const double *g, double *L, char *err)
{
    spin_ctx *c = ctx;
    size_t N = c->N;
    double s = 0;
    for (size_t mu = 0; mu < c->M; mu++) {
        double lc;
        int st = data_unit(c, w + mu * N, c->theta[mu], NULL, &lc, NULL, NULL, NULL, err);
        if (st)
            return st;
        s += lc;
    }
    if (g)
        for (size_t i = 0; i < N; i++)
            s += g[i] * c->data->mean;
    double lz = model_core(c, w, g, c->T, c->P);
    int st = model_check(&lz, err);
    if (st)
        return st;
    *L = s - lz;
    return SYM_OK;
}

const flow_family flow_family_spin = {
    .name = "spin",
    .alloc = spin_alloc,
    .free = spin_free,
    .units = spin_units,
    .data_lin = NULL,
    .data_eval = spin_data_eval,
    .data_jac_setup = spin_data_jac_setup,
    .data_jac_apply = spin_data_jac_apply,
    .model_eval = spin_model_eval,
    .model_jac_setup = spin_model_jac_setup,
    .model_jac_apply = spin_model_jac_apply,
    .loglik = spin_loglik,
};

/* ---- hooks ------------------------------------------------------------------- */

static int hook_ctx(spin_ctx **c, const ring_model *m, char *err)
{
    unit_params u;
    unit_params_default(&u, &unit_spin);
    flow_family_args a = {m, &u, NULL, 0, NULL, NULL};
    void *ctx;
    int st = spin_alloc(&ctx, &a, err);
    *c = ctx;
    return st;
}

int flow_spin_charfn(const ring_model *m, const double *w, double q, double *A, double *Z,
                     char *err)
{
    spin_ctx *c;
    int st = hook_ctx(&c, m, err);
    if (st)
        return sym_context(err, st, "flow_spin_charfn");
    if (c->kind == SPIN_ISING) {
        /* every lane at q */
        ising_phases(c, w, q, 0.0);
        ising_chunk(c, c->ph, c->pre, c->suf, CHUNK_NEED, NULL, c->Av, NULL, c->Zv);
        for (size_t i = 0; i < c->N; i++) {
            A[2 * i] = 0;
            A[2 * i + 1] = c->Av[i * SPIN_NB];
        }
        Z[0] = c->Zv[0];
        Z[1] = 0;
    } else
        bump_node(c, w, NULL, q, A, NULL, Z);
    spin_free(c);
    return SYM_OK;
}

int flow_spin_data(const ring_model *m, const double *w, double theta, double *d, double *lc,
                   double *s2, const double *u, double *jv, char *err)
{
    spin_ctx *c;
    int st = hook_ctx(&c, m, err);
    if (st)
        return sym_context(err, st, "flow_spin_data");
    if (!isfinite(theta))
        st = sym_error(err, SYM_EINVAL, "theta = %g: need a finite hidden field", theta);
    if (!st)
        st = data_unit(c, w, theta, d, lc, s2, jv ? u : NULL, u ? jv : NULL, err);
    spin_free(c);
    return st ? sym_context(err, st, "flow_spin_data") : SYM_OK;
}
