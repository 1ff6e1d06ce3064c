/* Suite flow: the infinite-data gradient flow (theory/flow.c) and its
 * hidden-unit family seam (theory/flow_family.h, flow_gauss.c).
 * - its right-hand side is the gradient of the exact log-likelihood, computed
 *   here by enumerating all 2^N states of the data model and of the RBM
 *   (central finite differences), with and without fields, and the modes
 *   CVODE integrates (flow_rhs) are that gradient's spectrum;
 * - flow_loglik agrees with that enumeration;
 * - the analytic Jacobian-vector product is the derivative of the right-hand
 *   side (central differences), for the gaussian family and for a family
 *   with a nonlinear data term; the gaussian family's Jacobian and its
 *   preconditioner diagonal agree with a dense quadrature of p(h);
 * - families of two units with closed-form flows (a linear data term, a
 *   nonlinear one) integrate to their closed forms: the M x N layout;
 * - in the linear regime every Fourier mode grows as exp((lambda_k - 1) t);
 * - Adams and BDF integrations agree to their tolerances;
 * - the large-N solver (flow_set_rank1): its preconditioner is exact along
 *   the weights and close to a dense solve of I - gamma J while the profile
 *   is spread; it integrates to a tight reference as well as without it;
 * - defects: tolerances beyond double precision are refused (SYM_EINVAL,
 *   messages naming parameters), huge initial weights, a blow-up and
 *   crawls end with SYM_ENUM in seconds, SUNDIALS' messages land in err and
 *   nothing on stderr.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fftw3.h>
#include <gsl/gsl_linalg.h>

#include "core/err.h"
#include "core/models.h"
#include "core/marg.h"
#include "core/ring.h"
#include "core/rng.h"
#include "theory/flow.h"
#include "tests/suites.h"

/* exact data distribution by enumeration (ising or bump), P[s] */
static void data_probs(const ring_params *rp, double *P)
{
    size_t N = rp->N, S = (size_t)1 << N;
    double z = 0;
    size_t L = (size_t)lround(ring_params_get(rp, "rho") * (double)N);
    for (size_t s = 0; s < S; s++) {
        double p;
        if (rp->type == &ring_ising) {
            double e = 0;
            for (size_t i = 0; i < N; i++) {
                int vi = ((s >> i) & 1) ? 1 : -1, vj = ((s >> ((i + 1) % N)) & 1) ? 1 : -1;
                e += vi * vj;
            }
            p = exp(ring_params_get(rp, "beta") * e);
        } else {
            p = 0;
            for (size_t x = 0; x < N; x++) {
                double q = 1;
                for (size_t i = 0; i < N; i++) {
                    int si = ((i + N - x) % N < L) ? 1 : -1, vi = ((s >> i) & 1) ? 1 : -1;
                    q *= (si == vi) ? 1 - ring_params_get(rp, "eps") : ring_params_get(rp, "eps");
                }
                p += q / (double)N;
            }
        }
        P[s] = p;
        z += p;
    }
    for (size_t s = 0; s < S; s++)
        P[s] /= z;
}

/* L(w, g) = sum_v P_data(v) log P_rbm(v), P_rbm ∝ exp(g.v + I^2/2) */
static double loglik_enum(size_t N, const double *P, const double *w, const double *g)
{
    size_t S = (size_t)1 << N;
    double *lp = malloc(S * sizeof *lp), mx = -INFINITY;
    for (size_t s = 0; s < S; s++) {
        double I = 0, gv = 0;
        for (size_t i = 0; i < N; i++) {
            double v = ((s >> i) & 1) ? 1.0 : -1.0;
            I += w[i] * v;
            gv += (g ? g[i] : 0) * v;
        }
        lp[s] = gv + 0.5 * I * I;
        mx = fmax(mx, lp[s]);
    }
    double z = 0, L = 0;
    for (size_t s = 0; s < S; s++)
        z += exp(lp[s] - mx);
    for (size_t s = 0; s < S; s++)
        L += P[s] * (lp[s] - mx - log(z));
    free(lp);
    return L;
}

static void check_gradient(const ring_params *rp, int with_fields, double scale)
{
    size_t N = rp->N, S = (size_t)1 << N;
    char err[SYM_ERRLEN];
    ring_model *rm;
    ck_assert_int_eq(ring_alloc(&rm, rp, err), SYM_OK);
    double *P = malloc(S * sizeof *P);
    data_probs(rp, P);
    double w[16], g[16], dw[16], dg[16];
    for (size_t i = 0; i < N; i++) {
        w[i] = scale * (0.3 + cos(2.0 * M_PI * (double)i / (double)N + 0.4) + 0.2 * sin(3.0 * i));
        g[i] = with_fields ? 0.3 * sin(2.0 * M_PI * (double)i / (double)N) - 0.1 : 0.0;
    }
    flow_params fp = {rm, with_fields, 0.0, 1e-8, 1e-10, FLOW_BDF, NULL, 0};
    flow *f;
    ck_assert_int_eq(flow_alloc(&f, &fp, w, with_fields ? g : NULL, err), SYM_OK);
    ck_assert_msg(flow_gradient(f, w, with_fields ? g : NULL, dw, with_fields ? dg : NULL, err) ==
                      SYM_OK, "%s", err);
    const double hstep = 1e-5;
    for (size_t i = 0; i < N; i++) {
        double wp[16], wm[16];
        memcpy(wp, w, sizeof wp);
        memcpy(wm, w, sizeof wm);
        wp[i] += hstep;
        wm[i] -= hstep;
        double fd = (loglik_enum(N, P, wp, with_fields ? g : NULL) -
                     loglik_enum(N, P, wm, with_fields ? g : NULL)) / (2 * hstep);
        ck_assert_msg(fabs(fd - dw[i]) < 1e-6 * fmax(1.0, fabs(fd)),
                      "dL/dw_%zu: finite difference %.12g, flow %.12g", i, fd, dw[i]);
        if (with_fields) {
            double gp[16], gm[16];
            memcpy(gp, g, sizeof gp);
            memcpy(gm, g, sizeof gm);
            gp[i] += hstep;
            gm[i] -= hstep;
            double fdg = (loglik_enum(N, P, w, gp) - loglik_enum(N, P, w, gm)) / (2 * hstep);
            ck_assert_msg(fabs(fdg - dg[i]) < 1e-6 * fmax(1.0, fabs(fdg)),
                          "dL/dg_%zu: finite difference %.12g, flow %.12g", i, fdg, dg[i]);
        }
    }
    /* the modes CVODE integrates are the spectrum of that gradient */
    size_t n = flow_size(f);
    ck_assert_uint_eq(n, with_fields ? 2 * N : N);
    double y[32], dy[32], ref[32];
    fftw_plan pl = fftw_plan_r2r_1d((int)N, w, y, FFTW_R2HC, FFTW_ESTIMATE);
    fftw_execute_r2r(pl, w, y);
    fftw_execute_r2r(pl, dw, ref);
    if (with_fields) {
        fftw_execute_r2r(pl, g, y + N);
        fftw_execute_r2r(pl, dg, ref + N);
    }
    fftw_destroy_plan(pl);
    ck_assert_msg(flow_rhs(f, y, dy, err) == SYM_OK, "%s", err);
    double big = 0;
    for (size_t k = 0; k < n; k++)
        big = fmax(big, fabs(ref[k]));
    for (size_t k = 0; k < n; k++)
        ck_assert_msg(fabs(dy[k] - ref[k]) < 1e-12 * big, "flow_rhs mode %zu: %.15g, FFT of "
                      "the gradient %.15g", k, dy[k], ref[k]);
    /* the exact log-likelihood itself */
    double L;
    ck_assert_int_eq(flow_loglik(f, w, with_fields ? g : NULL, &L, err), SYM_OK);
    double Le = loglik_enum(N, P, w, with_fields ? g : NULL);
    ck_assert_msg(fabs(L - Le) < 1e-10 * fabs(Le), "loglik %.15g, enumeration %.15g", L, Le);
    flow_free(f);
    ring_free(rm);
    free(P);
}

START_TEST(test_gradient_ising)
{
    ring_params rp;
    ring_params_default(&rp);
    rp.N = 10;
    rp.val[ring_key_index("beta")] = 0.8;
    check_gradient(&rp, 0, 0.05);  /* paramagnetic */
    check_gradient(&rp, 0, 0.6);   /* localised, two peaks */
    check_gradient(&rp, 1, 0.4);   /* with fields */
}
END_TEST

START_TEST(test_gradient_bump)
{
    ring_params rp;
    ring_params_default(&rp);
    rp.type = &ring_bump;
    rp.N = 10;
    rp.val[ring_key_index("rho")] = 0.3;
    rp.val[ring_key_index("eps")] = 0.1;
    check_gradient(&rp, 1, 0.5);
    rp.val[ring_key_index("rho")] = 0.5;
    check_gradient(&rp, 0, 0.3);
}
END_TEST

/* linear regime: |w^_k(t)| = |w^_k(0)| exp((lambda_k - 1) t) while
 * norm2 stays tiny (corrections are O(norm2 e^{2 (lambda_0 - 1) t})) */
START_TEST(test_linear_regime)
{
    ring_params rp;
    ring_params_default(&rp);
    rp.N = 64;
    rp.val[ring_key_index("beta")] = 0.7;
    char err[SYM_ERRLEN];
    ring_model *rm;
    ck_assert_int_eq(ring_alloc(&rm, &rp, err), SYM_OK);
    size_t N = rp.N;
    double *w0 = fftw_malloc(N * sizeof *w0), *w1 = fftw_malloc(N * sizeof *w1);
    double *h0 = fftw_malloc(N * sizeof *h0), *h1 = fftw_malloc(N * sizeof *h1);
    rng_init_weights(7, N, 1, 1e-7, w0);
    flow_params fp = {rm, 0, 0.0, 1e-10, 1e-20, FLOW_BDF, NULL, 0};
    flow *f;
    ck_assert_int_eq(flow_alloc(&f, &fp, w0, NULL, err), SYM_OK);
    double t = 1.0;
    ck_assert_int_eq(flow_advance(f, t, err), SYM_OK);
    flow_state(f, w1, NULL);
    fftw_plan pl = fftw_plan_r2r_1d((int)N, w0, h0, FFTW_R2HC, FFTW_ESTIMATE);
    fftw_execute_r2r(pl, w0, h0);
    fftw_execute_r2r(pl, w1, h1);
    for (size_t k = 0; k <= N / 2; k++) {
        double a0 = h0[k] * h0[k] + ((k && k < N - k) ? h0[N - k] * h0[N - k] : 0);
        double a1 = h1[k] * h1[k] + ((k && k < N - k) ? h1[N - k] * h1[N - k] : 0);
        double growth = sqrt(a1 / a0), expect = exp((rm->lambda[k] - 1.0) * t);
        ck_assert_msg(fabs(growth / expect - 1) < 1e-6, "mode %zu grew by %.10g, expected %.10g",
                      k, growth, expect);
    }
    fftw_destroy_plan(pl);
    fftw_free(w0);
    fftw_free(w1);
    fftw_free(h0);
    fftw_free(h1);
    flow_free(f);
    ring_free(rm);
}
END_TEST

/* Adams and BDF are different integrators of the same flow: at tight
 * tolerances they agree on the whole nonlinear trajectory */
START_TEST(test_methods_agree)
{
    ring_params rp;
    ring_params_default(&rp);
    rp.N = 40;
    rp.val[ring_key_index("beta")] = 1.0;
    char err[SYM_ERRLEN];
    ring_model *rm;
    ck_assert_int_eq(ring_alloc(&rm, &rp, err), SYM_OK);
    double w0[40], wa[40], wb[40];
    rng_init_weights(3, 40, 1, 0.01, w0);
    flow *fa, *fb;
    flow_params pa = {rm, 0, 0.0, 1e-10, 1e-12, FLOW_ADAMS, NULL, 0}, pb = pa;
    pb.method = FLOW_BDF;
    ck_assert_int_eq(flow_alloc(&fa, &pa, w0, NULL, err), SYM_OK);
    ck_assert_int_eq(flow_alloc(&fb, &pb, w0, NULL, err), SYM_OK);
    ck_assert_msg(flow_advance(fa, 10.0, err) == SYM_OK, "%s", err);
    ck_assert_msg(flow_advance(fb, 10.0, err) == SYM_OK, "%s", err);
    flow_state(fa, wa, NULL);
    flow_state(fb, wb, NULL);
    double d = 0, n = 0;
    for (size_t i = 0; i < 40; i++) {
        d += (wa[i] - wb[i]) * (wa[i] - wb[i]);
        n += wa[i] * wa[i];
    }
    ck_assert_msg(sqrt(d / n) < 1e-6, "Adams and BDF differ by %g (relative)", sqrt(d / n));
    flow_free(fa);
    flow_free(fb);
    ring_free(rm);
}
END_TEST

/* ---- helpers ------------------------------------------------------------ */

/* CPU time of the test's process: the crawl guards bound the work done
 * (steps, step size), and on a shared machine wall time is several times
 * that (load 13 on 2 cores: 25-40 s of wall for ~3 s of CPU) */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* stderr (fd 2, what SUNDIALS' default handler writes to) into a temporary
 * file between stderr_begin and stderr_end, which returns its size */
typedef struct {
    FILE *tmp;
    int saved;
} stderr_capture;

static void stderr_begin(stderr_capture *c)
{
    fflush(stderr);
    c->tmp = tmpfile();
    ck_assert_ptr_nonnull(c->tmp);
    c->saved = dup(2);
    ck_assert_int_ge(c->saved, 0);
    ck_assert_int_ge(dup2(fileno(c->tmp), 2), 0);
}

static long stderr_end(stderr_capture *c, char *text, size_t len)
{
    fflush(stderr);
    dup2(c->saved, 2);
    close(c->saved);
    long n = ftell(c->tmp) >= 0 ? (fseek(c->tmp, 0, SEEK_END), ftell(c->tmp)) : -1;
    rewind(c->tmp);
    size_t got = fread(text, 1, len - 1, c->tmp);
    text[got] = 0;
    fclose(c->tmp);
    return n;
}

static ring_model *ising(size_t N, double beta)
{
    ring_params rp;
    ring_params_default(&rp);
    rp.N = N;
    rp.val[ring_key_index("beta")] = beta;
    char err[SYM_ERRLEN];
    ring_model *rm;
    ck_assert_msg(ring_alloc(&rm, &rp, err) == SYM_OK, "%s", err);
    return rm;
}

/* a localised profile with two peaks of p(h) (sum w^2 > 1) */
static void bump_profile(size_t N, double scale, double *w)
{
    for (size_t i = 0; i < N; i++) {
        double x = 2.0 * M_PI * (double)i / (double)N;
        w[i] = scale * (0.3 + cos(x + 0.4) + 0.2 * sin(3.0 * (double)i));
    }
}

static void modes_of(size_t N, const double *x, double *y)
{
    double *in = fftw_malloc(N * sizeof *in), *out = fftw_malloc(N * sizeof *out);
    fftw_plan pl = fftw_plan_r2r_1d((int)N, in, out, FFTW_R2HC, FFTW_ESTIMATE);
    memcpy(in, x, N * sizeof *in);
    fftw_execute(pl);
    memcpy(y, out, N * sizeof *out);
    fftw_destroy_plan(pl);
    fftw_free(in);
    fftw_free(out);
}

/* J v of flow_jtimes against central differences of flow_rhs along v */
static void check_jtimes(flow *f, const double *y, const double *v, double rel)
{
    size_t n = flow_size(f);
    char err[SYM_ERRLEN];
    double *jv = malloc(n * sizeof *jv), *yp = malloc(n * sizeof *yp);
    double *ym = malloc(n * sizeof *ym), *fp = malloc(n * sizeof *fp);
    double *fm = malloc(n * sizeof *fm);
    ck_assert_msg(flow_jtimes(f, y, v, jv, err) == SYM_OK, "%s", err);
    double ny = 0, nv = 0;
    for (size_t k = 0; k < n; k++) {
        ny = fmax(ny, fabs(y[k]));
        nv = fmax(nv, fabs(v[k]));
    }
    double eps = 1e-5 * fmax(ny, 1e-3) / nv;
    for (size_t k = 0; k < n; k++) {
        yp[k] = y[k] + eps * v[k];
        ym[k] = y[k] - eps * v[k];
    }
    ck_assert_msg(flow_rhs(f, yp, fp, err) == SYM_OK, "%s", err);
    ck_assert_msg(flow_rhs(f, ym, fm, err) == SYM_OK, "%s", err);
    double scale = 0;
    for (size_t k = 0; k < n; k++)
        scale = fmax(scale, fabs(jv[k]));
    ck_assert(scale > 0);
    for (size_t k = 0; k < n; k++) {
        double fd = (fp[k] - fm[k]) / (2 * eps);
        ck_assert_msg(fabs(fd - jv[k]) < rel * scale,
                      "J v mode %zu: analytic %.12g, central difference %.12g (scale %g)", k,
                      jv[k], fd, scale);
    }
    free(jv);
    free(yp);
    free(ym);
    free(fp);
    free(fm);
}

/* ---- the gaussian family: J v, Jacobian, preconditioner ------------------ */

START_TEST(test_jtimes_gaussian)
{
    size_t N = 40;
    ring_model *rm = ising(N, 1.0);
    char err[SYM_ERRLEN];
    double w[40], y[40], v[40];
    const double scales[] = {0.02, 0.3}; /* one peak of p(h); two peaks */
    for (size_t s = 0; s < 2; s++) {
        bump_profile(N, scales[s], w);
        flow_params fp = {rm, 0, 0.05, 1e-8, 1e-10, FLOW_BDF, &flow_family_gaussian, 0};
        flow *f;
        ck_assert_msg(flow_alloc(&f, &fp, w, NULL, err) == SYM_OK, "%s", err);
        ck_assert_uint_eq(flow_units(f), 1);
        modes_of(N, w, y);
        for (size_t k = 0; k < N; k++)
            v[k] = sin(1.7 * (double)k + 0.3) + (k == 1 ? 2.0 : 0.0);
        check_jtimes(f, y, v, 1e-6);
        flow_free(f);
    }
    /* learned fields: CVODE takes difference quotients, no analytic J v */
    flow_params fl = {rm, 1, 0.0, 1e-8, 1e-10, FLOW_BDF, NULL, 0};
    flow *f;
    ck_assert_msg(flow_alloc(&f, &fl, w, NULL, err) == SYM_OK, "%s", err);
    double yy[80], vv[80], jv[80];
    memset(yy, 0, sizeof yy);
    memset(vv, 0, sizeof vv);
    ck_assert_int_eq(flow_jtimes(f, yy, vv, jv, err), SYM_EINVAL);
    flow_free(f);
    ring_free(rm);
}
END_TEST

/* From N = 10^4 on the flow's transforms are r2c / c2r with the
 * half-complex packing done by the flow (theory/flow.c, FLOW_RC_MIN_N).
 * The modes it integrates must still be FFTW's r2hc spectrum: flow_rhs on
 * the r2hc modes of w (computed here by FFTW's own r2hc) equals the r2hc
 * of the real-space gradient, for even N (a Nyquist mode) and odd N, on
 * either side of the threshold.  A slot swapped between Re and Im, or a
 * Nyquist mode lost, moves the weights the model term sees. */
START_TEST(test_rhs_packing_large_n)
{
    const size_t Ns[] = {9999, 10000, 10001};
    char err[SYM_ERRLEN];
    for (size_t c = 0; c < sizeof Ns / sizeof *Ns; c++) {
        size_t N = Ns[c];
        ring_model *rm = ising(N, 1.0);
        double *w = malloc(N * sizeof *w), *y = malloc(N * sizeof *y);
        double *dw = malloc(N * sizeof *dw), *ref = malloc(N * sizeof *ref);
        double *dy = malloc(N * sizeof *dy);
        /* a profile with every mode, the Nyquist one included */
        for (size_t i = 0; i < N; i++)
            w[i] = 0.02 * exp(-0.5 * pow(((double)i - 0.3 * (double)N) / 40.0, 2)) +
                   1e-4 * sin(0.37 * (double)i * (double)i) + ((i & 1) ? 1e-4 : -1e-4);
        flow_params fp = {rm, 0, 0.0, 1e-8, 1e-10, FLOW_BDF, NULL, 0};
        flow *f;
        ck_assert_msg(flow_alloc(&f, &fp, w, NULL, err) == SYM_OK, "%s", err);
        ck_assert_msg(flow_gradient(f, w, NULL, dw, NULL, err) == SYM_OK, "%s", err);
        modes_of(N, w, y);
        modes_of(N, dw, ref);
        ck_assert_msg(flow_rhs(f, y, dy, err) == SYM_OK, "%s", err);
        double big = 0, dmax = 0;
        for (size_t k = 0; k < N; k++) {
            big = fmax(big, fabs(ref[k]));
            dmax = fmax(dmax, fabs(dy[k] - ref[k]));
        }
        ck_assert_msg(dmax < 1e-11 * big, "N = %zu: flow_rhs off the r2hc of the gradient by %g "
                      "(largest mode %g)", N, dmax, big);
        /* and the state flow_alloc builds from w is those modes */
        double *ws = malloc(N * sizeof *ws);
        flow_state(f, ws, NULL);
        for (size_t i = 0; i < N; i++)
            ck_assert_msg(fabs(ws[i] - w[i]) < 1e-15, "N = %zu: state w_%zu = %.17g, w0 %.17g",
                          N, i, ws[i], w[i]);
        free(ws);
        flow_free(f);
        free(w);
        free(y);
        free(dw);
        free(ref);
        free(dy);
        ring_free(rm);
    }
}
END_TEST

/* flow_params.threads: the model term's site loops over a team give the
 * one-thread integration bit for bit (N = 5000: above marg's 4096
 * threshold, below the large-N path), and a localised profile with the
 * large-N path (N = 10^4) too. */
START_TEST(test_threads_same_bits)
{
    const size_t Ns[] = {5000, 10000};
    char err[SYM_ERRLEN];
    for (size_t c = 0; c < 2; c++) {
        size_t N = Ns[c];
        ring_model *rm = ising(N, 1.0);
        double *w0 = malloc(N * sizeof *w0), *w[2];
        for (size_t i = 0; i < N; i++) {
            double x = ((double)i - 0.5 * (double)N) / 25.0;
            w0[i] = c ? 1.2 * exp(-0.5 * x * x) / 5.0 : 0.01 * sin(0.1 * (double)i) / 70.0;
        }
        flow_counters fc[2];
        for (int r = 0; r < 2; r++) {
            w[r] = malloc(N * sizeof **w);
            flow_params fp = {rm, 0, 0.0, 1e-8, 1e-10, FLOW_BDF, NULL, r ? 2 : 1};
            flow *f;
            ck_assert_msg(flow_alloc(&f, &fp, w0, NULL, err) == SYM_OK, "%s", err);
            ck_assert_msg(flow_advance(f, c ? 0.5 : 2.0, err) == SYM_OK, "%s", err);
            flow_state(f, w[r], NULL);
            flow_stats(f, &fc[r]);
            flow_free(f);
        }
        ck_assert_msg(memcmp(w[0], w[1], N * sizeof **w) == 0 && fc[0].rhs == fc[1].rhs,
                      "N = %zu: two threads changed the integration (%ld vs %ld rhs)", N,
                      fc[0].rhs, fc[1].rhs);
        ck_assert_msg(fc[0].rhs > 10, "N = %zu: only %ld right-hand sides", N, fc[0].rhs);
        free(w[0]);
        free(w[1]);
        free(w0);
        ring_free(rm);
    }
}
END_TEST

/* ---- the large-N solver (flow_set_rank1) ---------------------------------- */

/* dense solve of (I - gamma J) x = r, J from flow_jtimes columns (GSL LU) */
static void dense_solve(flow *f, const double *y, double gamma, const double *r, double *x)
{
    size_t n = flow_size(f);
    char err[SYM_ERRLEN];
    gsl_matrix *A = gsl_matrix_alloc(n, n);
    gsl_permutation *pm = gsl_permutation_alloc(n);
    double *e = calloc(n, sizeof *e), *jv = malloc(n * sizeof *jv);
    for (size_t j = 0; j < n; j++) {
        e[j] = 1.0;
        ck_assert_msg(flow_jtimes(f, y, e, jv, err) == SYM_OK, "%s", err);
        e[j] = 0.0;
        for (size_t i = 0; i < n; i++)
            gsl_matrix_set(A, i, j, (i == j ? 1.0 : 0.0) - gamma * jv[i]);
    }
    int sg;
    gsl_vector_const_view rv = gsl_vector_const_view_array(r, n);
    gsl_vector_view xv = gsl_vector_view_array(x, n);
    gsl_linalg_LU_decomp(A, pm, &sg);
    gsl_linalg_LU_solve(A, pm, &rv.vector, &xv.vector);
    free(e);
    free(jv);
    gsl_permutation_free(pm);
    gsl_matrix_free(A);
}

static double rel_diff(size_t n, const double *a, const double *b)
{
    double d = 0, q = 0;
    for (size_t i = 0; i < n; i++) {
        d += (a[i] - b[i]) * (a[i] - b[i]);
        q += b[i] * b[i];
    }
    return sqrt(d / q);
}

/* The rank-one preconditioner is exact along the weights: P^-1 (I - gamma
 * J) y = y for the state y itself, J the exact Jacobian (flow_jtimes),
 * where the diagonal preconditioner misses the stiff direction.  On a
 * generic vector, at a spread profile (d_i ~ its mean), it is nearly the
 * dense solve of (I - gamma J) x = r, and far closer to it than the
 * diagonal one. */
START_TEST(test_rank1_psolve)
{
    size_t N = 32;
    ring_model *rm = ising(N, 1.0);
    char err[SYM_ERRLEN];
    double w[32], y[32], jv[32], r[32], z[32], x[32], b[32];
    const double gamma = 0.5;
    rng_init_weights(5, N, 1, 0.1, w); /* norm2 ~ 0.3: one peak of p(h) */
    modes_of(N, w, y);
    double err_on = 0, err_off = 0, gen_on = 0, gen_off = 0;
    for (int on = 0; on < 2; on++) {
        flow_params fp = {rm, 0, 0.0, 1e-8, 1e-10, FLOW_BDF, NULL, 0};
        flow *f;
        ck_assert_msg(flow_alloc(&f, &fp, w, NULL, err) == SYM_OK, "%s", err);
        ck_assert_msg(flow_set_rank1(f, on, err) == SYM_OK, "%s", err);
        ck_assert_msg(flow_jtimes(f, y, y, jv, err) == SYM_OK, "%s", err);
        for (size_t k = 0; k < N; k++)
            r[k] = y[k] - gamma * jv[k];
        ck_assert_msg(flow_psolve(f, y, gamma, r, z, err) == SYM_OK, "%s", err);
        *(on ? &err_on : &err_off) = rel_diff(N, z, y);
        for (size_t k = 0; k < N; k++)
            b[k] = sin(0.9 * (double)k + 0.2) + (k < 3 ? 1.0 : 0.0);
        dense_solve(f, y, gamma, b, x);
        ck_assert_msg(flow_psolve(f, y, gamma, b, z, err) == SYM_OK, "%s", err);
        *(on ? &gen_on : &gen_off) = rel_diff(N, z, x);
        flow_free(f);
    }
    ck_assert_msg(err_on < 1e-12, "rank-one preconditioner off by %g along the weights", err_on);
    ck_assert_msg(err_off > 1e-3, "diagonal preconditioner exact along w (%g)? test too weak",
                  err_off);
    ck_assert_msg(gen_on < 1e-3 && gen_on < 0.2 * gen_off,
                  "against the dense solve: rank-one %g, diagonal %g", gen_on, gen_off);
    ring_free(rm);
}
END_TEST

/* The large-N solver integrates the same flow: against a tight reference
 * (diagonal preconditioner, rtol 1e-11), the default tolerances give the
 * same error with it as without it, through the spread phase and the
 * localisation (N = 64, T = 150: J1 products while spread, exact ones after); and it is engaged
 * (fewer Krylov iterations).  Refused once stepping began, or for Adams. */
START_TEST(test_rank1_integration)
{
    size_t N = 64;
    ring_model *rm = ising(N, 1.0);
    char err[SYM_ERRLEN];
    double w0[64], wr[64], w[2][64];
    rng_init_weights(7, N, 1, 0.01, w0);
    flow_counters c[2];
    flow *f;
    flow_params ref = {rm, 0, 0.0, 1e-11, 1e-14, FLOW_BDF, NULL, 0};
    ck_assert_msg(flow_alloc(&f, &ref, w0, NULL, err) == SYM_OK, "%s", err);
    ck_assert_msg(flow_advance(f, 150.0, err) == SYM_OK, "%s", err);
    flow_state(f, wr, NULL);
    flow_free(f);
    for (int on = 0; on < 2; on++) {
        flow_params fp = {rm, 0, 0.0, 1e-8, 1e-10, FLOW_BDF, NULL, 0};
        ck_assert_msg(flow_alloc(&f, &fp, w0, NULL, err) == SYM_OK, "%s", err);
        ck_assert_msg(flow_set_rank1(f, on, err) == SYM_OK, "%s", err);
        ck_assert_msg(flow_advance(f, 150.0, err) == SYM_OK, "%s", err);
        flow_state(f, w[on], NULL);
        flow_stats(f, &c[on]);
        if (on)
            ck_assert_int_eq(flow_set_rank1(f, 0, err), SYM_EINVAL);
        flow_free(f);
    }
    /* localised: the broken-phase fixed point has norm2 = 1.06 at N = 64,
     * the spread profile of the early flow ~0.86 */
    double q = 0;
    for (size_t i = 0; i < N; i++)
        q += wr[i] * wr[i];
    ck_assert_msg(q > 1.0, "the reference did not localise (norm2 = %g)", q);
    double e0 = rel_diff(N, w[0], wr), e1 = rel_diff(N, w[1], wr);
    ck_assert_msg(e1 < 1e-5 && e1 < 10 * e0 + 1e-7,
                  "rank-one solver off the reference by %g (diagonal: %g)", e1, e0);
    ck_assert_msg(c[1].krylov < c[0].krylov, "Krylov iterations %ld (rank one) vs %ld",
                  c[1].krylov, c[0].krylov);
    flow_params fa = {rm, 0, 0.0, 1e-8, 1e-10, FLOW_ADAMS, NULL, 0};
    ck_assert_msg(flow_alloc(&f, &fa, w0, NULL, err) == SYM_OK, "%s", err);
    ck_assert_int_eq(flow_set_rank1(f, 1, err), SYM_EINVAL);
    flow_free(f);
    ring_free(rm);
}
END_TEST

/* The family's model Jacobian against central differences of its model
 * term, and its preconditioner diagonal against mean_i <h^2 sech^2(w_i h)>
 * by a dense trapezoid rule over p(h) (no marg). */
START_TEST(test_gaussian_family_jacobian)
{
    size_t N = 12;
    ring_model *rm = ising(N, 0.8);
    char err[SYM_ERRLEN];
    unit_params u = {&unit_gaussian, 1.0, 0.0, 1.0, 0.0};
    flow_family_args a = {rm, &u, NULL, 0, NULL, NULL};
    const flow_family *fam = &flow_family_gaussian;
    void *ctx;
    ck_assert_msg(fam->alloc(&ctx, &a, err) == SYM_OK, "%s", err);
    ck_assert_uint_eq(fam->units(ctx), 1);
    ck_assert_ptr_null(fam->data_eval); /* C w is all linear */
    double lam[12];
    fam->data_lin(ctx, lam);
    for (size_t k = 0; k < N; k++)
        ck_assert_msg(lam[k] == rm->lambda[k], "Lambda_%zu = %g, lambda_k %g", k, lam[k],
                      rm->lambda[k]);
    double w[12], v[12], pm[12], jv[12], wp[12], wm[12], mp[12], mm[12];
    bump_profile(N, 0.5, w);
    for (size_t i = 0; i < N; i++)
        v[i] = cos(0.9 * (double)i) - 0.2;
    ck_assert_msg(fam->model_jac_setup(ctx, w, NULL, pm, err) == SYM_OK, "%s", err);
    fam->model_jac_apply(ctx, v, jv);
    const double eps = 1e-6;
    for (size_t i = 0; i < N; i++) {
        wp[i] = w[i] + eps * v[i];
        wm[i] = w[i] - eps * v[i];
    }
    ck_assert_msg(fam->model_eval(ctx, wp, NULL, mp, NULL, err) == SYM_OK, "%s", err);
    ck_assert_msg(fam->model_eval(ctx, wm, NULL, mm, NULL, err) == SYM_OK, "%s", err);
    for (size_t i = 0; i < N; i++) {
        double fd = (mp[i] - mm[i]) / (2 * eps);
        ck_assert_msg(fabs(fd - jv[i]) < 1e-7 * fmax(1.0, fabs(fd)),
                      "dm/dw v at %zu: analytic %.12g, central difference %.12g", i, jv[i], fd);
    }
    /* dense quadrature: phi(h) = -h^2/2 + sum_i log 2cosh(w_i h) */
    double L = 0;
    for (size_t i = 0; i < N; i++)
        L += fabs(w[i]);
    L += 12.0;
    size_t nodes = 400001;
    double dh = 2 * L / (double)(nodes - 1), mx = -INFINITY;
    double *phi = malloc(nodes * sizeof *phi);
    for (size_t j = 0; j < nodes; j++) {
        double h = -L + dh * (double)j, q = -0.5 * h * h;
        for (size_t i = 0; i < N; i++) {
            double x = fabs(w[i] * h);
            q += x + log1p(exp(-2 * x)); /* log 2cosh x - log 2 */
        }
        phi[j] = q;
        mx = fmax(mx, q);
    }
    double z = 0, dsum = 0;
    for (size_t j = 0; j < nodes; j++) {
        double h = -L + dh * (double)j, p = exp(phi[j] - mx);
        double s = 0;
        for (size_t i = 0; i < N; i++) {
            double c = 1.0 / cosh(w[i] * h);
            s += h * h * c * c;
        }
        z += p;
        dsum += p * s / (double)N;
    }
    free(phi);
    double dbar = dsum / z;
    for (size_t k = 0; k < N; k++)
        ck_assert_msg(fabs(pm[k] - dbar) < 1e-9 * dbar,
                      "preconditioner diagonal %zu: %.12g, quadrature mean <h^2 sech^2> %.12g", k,
                      pm[k], dbar);
    fam->free(ctx);
    ring_free(rm);
}
END_TEST

/* ---- families of two units with closed-form flows ------------------------- */

/* Two units, Lambda_k = a_mu (every mode), no nonlinear data term, no model
 * term: w_mu(t) = exp((a_mu - l2) t) w_mu(0).  And "cubic": Lambda = 0,
 * D_nl = -c_mu w^3 site by site: w(t) = w0 / sqrt(1 + 2 c w0^2 t) (l2 = 0). */
typedef struct {
    size_t N;
    int cubic;
    const double *wf; /* frozen point of the data Jacobian */
    double *w2;
} toy_ctx;

static const double toy_a[2] = {0.7, -0.4}, toy_c[2] = {1.0, 3.0};

static int toy_alloc(void **ctx, const flow_family_args *a, int cubic)
{
    toy_ctx *c = calloc(1, sizeof *c);
    c->N = a->data->N;
    c->cubic = cubic;
    c->w2 = calloc(2 * c->N, sizeof *c->w2);
    *ctx = c;
    return SYM_OK;
}

static int lin2_alloc(void **ctx, const flow_family_args *a, char *err)
{
    (void)err;
    return toy_alloc(ctx, a, 0);
}

static int cubic_alloc(void **ctx, const flow_family_args *a, char *err)
{
    (void)err;
    return toy_alloc(ctx, a, 1);
}

static void toy_free(void *ctx)
{
    toy_ctx *c = ctx;
    free(c->w2);
    free(c);
}

static size_t toy_units(const void *ctx)
{
    (void)ctx;
    return 2;
}

static void toy_lin(const void *ctx, double *lam)
{
    const toy_ctx *c = ctx;
    for (size_t mu = 0; mu < 2; mu++)
        for (size_t k = 0; k < c->N; k++)
            lam[mu * c->N + k] = toy_a[mu];
}

static int toy_data_eval(void *ctx, const double *w, double *d, char *err)
{
    (void)err;
    toy_ctx *c = ctx;
    for (size_t mu = 0; mu < 2; mu++)
        for (size_t i = 0; i < c->N; i++) {
            double x = w[mu * c->N + i];
            d[mu * c->N + i] = -toy_c[mu] * x * x * x;
        }
    return SYM_OK;
}

static int toy_data_jac_setup(void *ctx, const double *w, double *pd, char *err)
{
    (void)err;
    toy_ctx *c = ctx;
    for (size_t mu = 0; mu < 2; mu++) {
        double s = 0;
        for (size_t i = 0; i < c->N; i++) {
            double x = w[mu * c->N + i];
            c->w2[mu * c->N + i] = x * x;
            s += x * x;
        }
        for (size_t k = 0; k < c->N; k++)
            pd[mu * c->N + k] = -3.0 * toy_c[mu] * s / (double)c->N;
    }
    return SYM_OK;
}

static void toy_data_jac_apply(void *ctx, const double *v, double *out)
{
    toy_ctx *c = ctx;
    for (size_t mu = 0; mu < 2; mu++)
        for (size_t i = 0; i < c->N; i++)
            out[mu * c->N + i] = -3.0 * toy_c[mu] * c->w2[mu * c->N + i] * v[mu * c->N + i];
}

static int toy_model_eval(void *ctx, const double *w, const double *g, double *m, double *mv,
                          char *err)
{
    (void)w;
    (void)g;
    (void)err;
    toy_ctx *c = ctx;
    memset(m, 0, 2 * c->N * sizeof *m);
    if (mv)
        memset(mv, 0, c->N * sizeof *mv);
    return SYM_OK;
}

static int toy_model_jac_setup(void *ctx, const double *w, const double *g, double *pm, char *err)
{
    (void)w;
    (void)g;
    (void)err;
    toy_ctx *c = ctx;
    memset(pm, 0, 2 * c->N * sizeof *pm);
    return SYM_OK;
}

static void toy_model_jac_apply(void *ctx, const double *v, double *out)
{
    (void)v;
    toy_ctx *c = ctx;
    memset(out, 0, 2 * c->N * sizeof *out);
}

static int toy_loglik(void *ctx, const double *w, const double *g, double *L, char *err)
{
    (void)ctx;
    (void)w;
    (void)g;
    (void)err;
    *L = 0;
    return SYM_OK;
}

static const flow_family toy_linear2 = {
    "linear2", lin2_alloc, toy_free, toy_units, toy_lin, NULL, NULL, NULL,
    toy_model_eval, toy_model_jac_setup, toy_model_jac_apply, toy_loglik};
static const flow_family toy_cubic2 = {
    "cubic2", cubic_alloc, toy_free, toy_units, NULL, toy_data_eval, toy_data_jac_setup,
    toy_data_jac_apply, toy_model_eval, toy_model_jac_setup, toy_model_jac_apply, toy_loglik};

START_TEST(test_family_two_units_closed_form)
{
    size_t N = 16;
    ring_model *rm = ising(N, 1.0);
    char err[SYM_ERRLEN];
    double w0[32], w[32], y[32], v[32];
    for (size_t i = 0; i < 2 * N; i++)
        w0[i] = 0.5 * sin(0.7 * (double)i + 0.2) + 0.1 * (double)(i / N);
    for (int method = 0; method < 2; method++) {
        /* linear: exp((a_mu - l2) t), unit by unit */
        flow_params fp = {rm, 0, 0.25, 1e-10, 1e-12, method ? FLOW_BDF : FLOW_ADAMS,
                          &toy_linear2, 0};
        flow *f;
        ck_assert_msg(flow_alloc(&f, &fp, w0, NULL, err) == SYM_OK, "%s", err);
        ck_assert_uint_eq(flow_units(f), 2);
        ck_assert_uint_eq(flow_size(f), 2 * N);
        ck_assert_msg(flow_advance(f, 2.0, err) == SYM_OK, "%s", err);
        flow_state(f, w, NULL);
        for (size_t i = 0; i < 2 * N; i++) {
            double ex = w0[i] * exp((toy_a[i / N] - 0.25) * 2.0);
            ck_assert_msg(fabs(w[i] - ex) < 1e-7 * fabs(ex) + 1e-10,
                          "linear2 method %d w[%zu] = %.12g, closed form %.12g", method, i, w[i],
                          ex);
        }
        flow_free(f);
        /* cubic: w0 / sqrt(1 + 2 c w0^2 t) */
        fp.l2 = 0;
        fp.family = &toy_cubic2;
        ck_assert_msg(flow_alloc(&f, &fp, w0, NULL, err) == SYM_OK, "%s", err);
        ck_assert_msg(flow_advance(f, 3.0, err) == SYM_OK, "%s", err);
        flow_state(f, w, NULL);
        for (size_t i = 0; i < 2 * N; i++) {
            double c = toy_c[i / N], ex = w0[i] / sqrt(1 + 2 * c * w0[i] * w0[i] * 3.0);
            ck_assert_msg(fabs(w[i] - ex) < 1e-7 * fabs(ex) + 1e-10,
                          "cubic2 method %d w[%zu] = %.12g, closed form %.12g", method, i, w[i],
                          ex);
        }
        /* and its analytic J v (the nonlinear data term's) */
        for (size_t mu = 0; mu < 2; mu++)
            modes_of(N, w0 + mu * N, y + mu * N);
        for (size_t k = 0; k < 2 * N; k++)
            v[k] = cos(0.37 * (double)k);
        check_jtimes(f, y, v, 1e-7);
        flow_free(f);
    }
    ring_free(rm);
}
END_TEST

/* ---- defects: tolerances, blow-up, crawl, SUNDIALS' messages --------------- */

static void expect_refused(ring_model *rm, double rtol, double atol, double l2, const char *name)
{
    size_t N = rm->N;
    double *w = malloc(N * sizeof *w);
    rng_init_weights(1, N, 1, 0.01, w);
    flow_params fp = {rm, 0, l2, rtol, atol, FLOW_BDF, NULL, 0};
    flow *f = (flow *)&fp; /* must be reset to NULL */
    char err[SYM_ERRLEN] = "";
    ck_assert_int_eq(flow_alloc(&f, &fp, w, NULL, err), SYM_EINVAL);
    ck_assert_ptr_null(f);
    ck_assert_msg(strstr(err, name) != NULL, "message \"%s\" does not name %s", err, name);
    ck_assert_msg(strstr(err, "--") == NULL, "message \"%s\" uses a CLI spelling", err);
    free(w);
}

START_TEST(test_silly_tolerances_refused)
{
    ring_model *rm = ising(100, 1.0);
    expect_refused(rm, 1e-15, 1e-300, 0.0, "rtol"); /* theory --rtol 1e-15 --atol 1e-300 */
    expect_refused(rm, 1e-8, 1e-300, 0.0, "atol");
    expect_refused(rm, 1e-14, 1e-10, 0.0, "rtol");
    expect_refused(rm, NAN, 1e-10, 0.0, "rtol");
    expect_refused(rm, 1.0, 1e-10, 0.0, "rtol");
    expect_refused(rm, 1e-8, INFINITY, 0.0, "atol");
    expect_refused(rm, 1e-8, 1e-10, -1.0, "l2");
    expect_refused(rm, 1e-8, 1e-10, NAN, "l2");
    /* above the absolute floor but below the rounding of w(0) */
    expect_refused(rm, 1e-8, 1e-30, 0.0, "atol");
    /* the floors themselves are accepted */
    double w[100];
    rng_init_weights(1, 100, 1, 0.01, w);
    flow_params fp = {rm, 0, 0.0, FLOW_RTOL_MIN, 1e-16, FLOW_BDF, NULL, 0};
    flow *f;
    char err[SYM_ERRLEN];
    ck_assert_msg(flow_alloc(&f, &fp, w, NULL, err) == SYM_OK, "%s", err);
    flow_free(f);
    ring_free(rm);
}
END_TEST

/* theory --init-scale 1e10 crawled; the bound is N norm2 = FLOW_N_NORM2_MAX */
START_TEST(test_huge_init_scale)
{
    size_t N = 100;
    ring_model *rm = ising(N, 1.0);
    char err[SYM_ERRLEN];
    double w[100];
    flow_params fp = {rm, 0, 0.0, 1e-8, 1e-10, FLOW_BDF, NULL, 0};
    flow *f;
    double t0 = now();
    rng_init_weights(1, N, 1, 1e10, w);
    int st = flow_alloc(&f, &fp, w, NULL, err);
    if (st == SYM_OK) /* refusing at the first output time would do too */
        st = flow_advance(f, 40.0, err), flow_free(f);
    ck_assert_int_eq(st, SYM_ENUM);
    ck_assert_msg(strstr(err, "norm2") != NULL, "%s", err);
    ck_assert_msg(now() - t0 < 5.0, "took %g s", now() - t0);
    /* the bound itself: just above refused, just below accepted */
    double q = 0;
    for (size_t i = 0; i < N; i++)
        q += w[i] * w[i];
    for (int side = 0; side < 2; side++) {
        double target = FLOW_N_NORM2_MAX / (double)N * (side ? 1.001 : 0.999);
        double ws[100];
        for (size_t i = 0; i < N; i++)
            ws[i] = w[i] * sqrt(target / q);
        st = flow_alloc(&f, &fp, ws, NULL, err);
        ck_assert_int_eq(st, side ? SYM_ENUM : SYM_OK);
        if (!st)
            flow_free(f);
    }
    ring_free(rm);
}
END_TEST

/* A flow that blows up (unit 0 of linear2 grows as exp(0.7 t)) ends with
 * "weights diverged" once N norm2 passes FLOW_N_NORM2_MAX, not with a
 * finite state of norm2 1e20 reported as success. */
START_TEST(test_divergence)
{
    size_t N = 8;
    ring_model *rm = ising(N, 1.0);
    char err[SYM_ERRLEN];
    double w0[16], w[16];
    for (size_t i = 0; i < 2 * N; i++)
        w0[i] = 0.3 * sin(1.3 * (double)i + 0.5);
    double q0 = 0;
    for (size_t i = 0; i < N; i++)
        q0 += w0[i] * w0[i];
    /* the closed form crosses the bound at t_x */
    double tx = log(FLOW_N_NORM2_MAX / (double)N / q0) / (2 * toy_a[0]);
    flow_params fp = {rm, 0, 0.0, 1e-8, 1e-10, FLOW_BDF, &toy_linear2, 0};
    flow *f;
    ck_assert_msg(flow_alloc(&f, &fp, w0, NULL, err) == SYM_OK, "%s", err);
    ck_assert_msg(flow_advance(f, 0.9 * tx, err) == SYM_OK, "%s", err);
    ck_assert_int_eq(flow_advance(f, 3 * tx, err), SYM_ENUM);
    ck_assert_msg(strstr(err, "weights diverged: norm2 = ") && strstr(err, "(unit 0)"), "%s", err);
    flow_state(f, w, NULL);
    double q = 0;
    for (size_t i = 0; i < N; i++)
        q += w[i] * w[i];
    ck_assert_msg(flow_time(f) >= tx && q > FLOW_N_NORM2_MAX / (double)N,
                  "stopped at t = %g (crossing at %g), norm2 %g", flow_time(f), tx, q);
    flow_free(f);
    ring_free(rm);
}
END_TEST

/* atol 1e-18 passes at w(0) but falls below the rounding of the weights as
 * they grow: it used to take 12x the default steps, atol 1e-25 forever */
START_TEST(test_crawl_atol)
{
    const double atols[] = {1e-18, 3e-19};
    for (size_t a = 0; a < 2; a++) {
        ring_model *rm = ising(100, 1.0);
        char err[SYM_ERRLEN], text[512];
        double w[100];
        rng_init_weights(1, 100, 1, 0.01, w);
        flow_params fp = {rm, 0, 0.0, 1e-8, atols[a], FLOW_BDF, NULL, 0};
        flow *f;
        stderr_capture cap;
        stderr_begin(&cap);
        double t0 = now();
        int st = flow_alloc(&f, &fp, w, NULL, err);
        if (!st) {
            st = flow_advance(f, 40.0, err);
            flow_free(f);
        }
        double dt = now() - t0;
        long n = stderr_end(&cap, text, sizeof text);
        ck_assert_int_eq(st, SYM_ENUM);
        ck_assert_msg(strstr(err, "atol") != NULL, "%s", err);
        ck_assert_msg(dt < 10.0, "took %g s", dt);
        ck_assert_msg(n == 0, "%ld bytes on stderr: %s", n, text);
        ring_free(rm);
    }
}
END_TEST

/* A model term that is a step, m_i = sign(w_i): the weights chatter
 * through 0 and CVODE's step size collapses.  The flow must end in seconds
 * with "step size collapsed", and SUNDIALS must print nothing. */
static int sign_model_eval(void *ctx, const double *w, const double *g, double *m, double *mv,
                           char *err)
{
    (void)g;
    (void)err;
    toy_ctx *c = ctx;
    for (size_t i = 0; i < 2 * c->N; i++)
        m[i] = (w[i] > 0) - (w[i] < 0);
    if (mv)
        memset(mv, 0, c->N * sizeof *mv);
    return SYM_OK;
}

static const flow_family toy_sign2 = {
    "sign2", lin2_alloc, toy_free, toy_units, NULL, NULL, NULL, NULL,
    sign_model_eval, toy_model_jac_setup, toy_model_jac_apply, toy_loglik};

START_TEST(test_crawl_step_collapse)
{
    size_t N = 8;
    ring_model *rm = ising(N, 1.0);
    char err[SYM_ERRLEN], text[512];
    double w0[16];
    for (size_t i = 0; i < 2 * N; i++)
        w0[i] = 0.3 * sin(1.3 * (double)i + 0.5);
    for (int run = 0; run < 4; run++) {
        int method = run & 1;
        flow_params fp = {rm, 0, 0.0, run < 2 ? 1e-8 : 1e-11, run < 2 ? 1e-10 : 1e-13,
                          method ? FLOW_BDF : FLOW_ADAMS, &toy_sign2, 0};
        flow *f;
        stderr_capture cap;
        stderr_begin(&cap);
        double t0 = now();
        int st = flow_alloc(&f, &fp, w0, NULL, err);
        if (!st) {
            st = flow_advance(f, 5.0, err);
            flow_free(f);
        }
        double dt = now() - t0;
        long n = stderr_end(&cap, text, sizeof text);
        ck_assert_int_eq(st, SYM_ENUM);
        /* loose tolerances: h ~ 2.5e-10 at t ~ 0.01, the step budget ends it;
         * tight ones: h < 1e-10 t after the first chunk of steps */
        ck_assert_msg(strstr(err, run < 2 ? "step size collapsed: " : "step size collapsed: h = "),
                      "%s", err);
        ck_assert_msg(run >= 2 || strstr(err, " steps from t = "), "%s", err);
        ck_assert_msg(dt < 10.0, "method %d took %g s", method, dt);
        ck_assert_msg(n == 0, "%ld bytes on stderr: %s", n, text);
    }
    ring_free(rm);
}
END_TEST

/* A model term that turns NaN for good after 50 evaluations: every step
 * CVODE then tries fails its tests, and it gives up with an error of its
 * own.  The failing flow_advance must carry SUNDIALS' message, and stderr
 * stay empty (the default handler prints "[CVODE ERROR] ..."). */
static int nan_model_eval(void *ctx, const double *w, const double *g, double *m, double *mv,
                          char *err)
{
    toy_ctx *c = ctx;
    toy_model_eval(ctx, w, g, m, mv, err);
    if (++c->cubic > 50) /* the toy's spare int counts the calls */
        for (size_t i = 0; i < 2 * c->N; i++)
            m[i] = NAN;
    return SYM_OK;
}

static const flow_family toy_nan2 = {
    "nan2", lin2_alloc, toy_free, toy_units, toy_lin, NULL, NULL, NULL,
    nan_model_eval, toy_model_jac_setup, toy_model_jac_apply, toy_loglik};

START_TEST(test_sundials_message_in_err)
{
    size_t N = 8;
    ring_model *rm = ising(N, 1.0);
    char err[SYM_ERRLEN] = "", text[512];
    double w0[16];
    for (size_t i = 0; i < 2 * N; i++)
        w0[i] = 0.3 * sin(1.3 * (double)i + 0.5);
    for (int method = 0; method < 2; method++) {
        flow_params fp = {rm, 0, 0.0, 1e-8, 1e-10, method ? FLOW_BDF : FLOW_ADAMS, &toy_nan2, 0};
        flow *f;
        stderr_capture cap;
        stderr_begin(&cap);
        int st = flow_alloc(&f, &fp, w0, NULL, err);
        if (!st) {
            st = flow_advance(f, 10.0, err);
            flow_free(f);
        }
        long n = stderr_end(&cap, text, sizeof text);
        ck_assert_int_eq(st, SYM_ENUM);
        ck_assert_msg(n == 0, "%ld bytes on stderr: %s", n, text);
        ck_assert_msg(strncmp(err, "flow_advance: CVODE at t = ", 27) == 0, "%s", err);
        ck_assert_msg(strstr(err, "CVode: ") != NULL, "no SUNDIALS message: %s", err);
        ck_assert_msg(strchr(err, '\n') == NULL, "two lines: %s", err);
    }
    ring_free(rm);
}
END_TEST

Suite *flow_suite(void)
{
    Suite *s = suite_create("flow");
    TCase *tc = tcase_create("flow");
    tcase_add_test(tc, test_gradient_ising);
    tcase_add_test(tc, test_gradient_bump);
    tcase_add_test(tc, test_linear_regime);
    tcase_add_test(tc, test_methods_agree);
    tcase_add_test(tc, test_jtimes_gaussian);
    tcase_add_test(tc, test_gaussian_family_jacobian);
    tcase_add_test(tc, test_rhs_packing_large_n);
    tcase_add_test(tc, test_threads_same_bits);
    tcase_add_test(tc, test_rank1_psolve);
    tcase_add_test(tc, test_rank1_integration);
    tcase_add_test(tc, test_family_two_units_closed_form);
    tcase_add_test(tc, test_silly_tolerances_refused);
    tcase_add_test(tc, test_huge_init_scale);
    tcase_add_test(tc, test_divergence);
    tcase_add_test(tc, test_crawl_atol);
    tcase_add_test(tc, test_crawl_step_collapse);
    tcase_add_test(tc, test_sundials_message_in_err);
    suite_add_tcase(s, tc);
    return s;
}
