/* Suite rmt: random-matrix critical sample sizes (theory/rmt.h, SPEC.md 7)
 * against closed forms (BBP, Marchenko-Pastur edges, density and Stieltjes
 * transform, the single spike on an MP bulk and its B_c), exact moments of
 * the limiting density, and GSL eigendecompositions of sample correlation
 * matrices of data drawn from the ring models with ring_sample. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>

#include "core/err.h"
#include "core/models.h"
#include "core/ring.h"
#include "core/rng.h"
#include "tests/suites.h"
#include "theory/rmt.h"

/* Closed forms evaluated in doubles vs root finding to 1e-13: agreement to
 * a few 1e-10 (edges sit at a quadratic minimum, where a root error of
 * 1e-13 in m moves z by far less). */
#define TOL_CLOSED 1e-9
/* Densities on the real axis are evaluated at Im z = 1e-10 x: the error is
 * O(eta / distance to the edge), below 1e-6 at the points used. */
#define TOL_DENSITY 1e-6

static void fill(double *l, size_t n, double v)
{
    for (size_t k = 0; k < n; k++)
        l[k] = v;
}

static rmt_ws *ws_of(const double *l, size_t N)
{
    char err[SYM_ERRLEN];
    rmt_ws *ws = NULL;
    ck_assert_msg(rmt_alloc(&ws, l, N, err) == SYM_OK, "%s", err);
    return ws;
}

/* ---- (a) BBP against its closed form ---- */
START_TEST(test_bbp_ising)
{
    /* lambda_0 = sum_r C(r) = (1+t)(1-t^N) / ((1-t)(1+t^N)) for the
     * periodic chain (geometric sums of SPEC.md 2's C(r)). */
    const double betas[] = {0.3, 1.0, 1.5};
    for (size_t j = 0; j < 3; j++) {
        char err[SYM_ERRLEN];
        ring_params p;
        ring_params_default(&p);
        p.N = 100;
        p.val[ring_key_index("beta")] = betas[j];
        ring_model *m;
        ck_assert_msg(ring_alloc(&m, &p, err) == SYM_OK, "%s", err);
        double t = tanh(ring_params_get(&p, "beta")), tN = pow(t, (double)p.N);
        double l0 = (1 + t) * (1 - tN) / ((1 - t) * (1 + tN));
        double want = (double)p.N / ((l0 - 1) * (l0 - 1));
        double got = rmt_bbp(m->lambda, p.N);
        ck_assert_msg(fabs(got - want) <= 1e-10 * want, "beta %g: B_bbp %.15g want %.15g",
                      ring_params_get(&p, "beta"), got, want);
        ring_free(m);
    }
}
END_TEST

START_TEST(test_bbp_bump_and_trivial)
{
    /* bump rho = 1/2: the top pair k = +-1, lambda_1 = sum_r C(r) cos(2 pi r/N)
     * summed directly from SPEC.md 2's C(r) (not through ring's FFT). */
    char err[SYM_ERRLEN];
    ring_params p;
    ring_params_default(&p);
    p.type = &ring_bump;
    p.N = 120;
    p.val[ring_key_index("eps")] = 0.3;
    ring_model *m;
    ck_assert_msg(ring_alloc(&m, &p, err) == SYM_OK, "%s", err);
    size_t N = p.N, L = (size_t)lround(ring_params_get(&p, "rho") * (double)N);
    double a = (1 - 2 * ring_params_get(&p, "eps")) * (1 - 2 * ring_params_get(&p, "eps")), l1 = 1;
    for (size_t r = 1; r < N; r++) {
        size_t rp = r < N - r ? r : N - r, mn = rp < L ? rp : L;
        mn = mn < N - L ? mn : N - L;
        l1 += a * (1 - 4.0 * (double)mn / (double)N) * cos(2 * M_PI * (double)r / (double)N);
    }
    double want = (double)N / ((l1 - 1) * (l1 - 1));
    ck_assert_msg(fabs(rmt_bbp(m->lambda, N) - want) <= 1e-10 * want, "bump B_bbp %.15g want %.15g",
                  rmt_bbp(m->lambda, N), want);
    ring_free(m);

    double ones[10];
    fill(ones, 10, 1.0);
    ck_assert(isinf(rmt_bbp(ones, 10)));
}
END_TEST

/* ---- Marchenko-Pastur: every lambda = 1 ---- */
START_TEST(test_mp_edges)
{
    enum { N = 100 };
    double l[N];
    fill(l, N, 1.0);
    rmt_ws *ws = ws_of(l, N);
    const double Bs[] = {25, 50, 100, 150, 400, 1e4};
    for (size_t j = 0; j < sizeof Bs / sizeof Bs[0]; j++) {
        char err[SYM_ERRLEN];
        double c = N / Bs[j], lo, hi;
        ck_assert_msg(rmt_edges(ws, Bs[j], &lo, &hi, err) == SYM_OK, "%s", err);
        double wlo = c < 1 ? (1 - sqrt(c)) * (1 - sqrt(c)) : 0, whi = (1 + sqrt(c)) * (1 + sqrt(c));
        ck_assert_msg(fabs(hi - whi) <= TOL_CLOSED * whi, "c %g: right edge %.15g want %.15g", c, hi, whi);
        ck_assert_msg(fabs(lo - wlo) <= TOL_CLOSED * whi, "c %g: left edge %.15g want %.15g", c, lo, wlo);
    }
    rmt_free(ws);
}
END_TEST

START_TEST(test_mp_density_stieltjes)
{
    enum { N = 50 };
    double l[N];
    fill(l, N, 1.0);
    rmt_ws *ws = ws_of(l, N);
    const double cs[] = {0.25, 0.7, 2.0};
    for (size_t j = 0; j < 3; j++) {
        char err[SYM_ERRLEN];
        double c = cs[j], B = N / c;
        double a = (1 - sqrt(c)) * (1 - sqrt(c)), b = (1 + sqrt(c)) * (1 + sqrt(c));
        for (int q = 1; q < 10; q++) {
            double x = a + (b - a) * q / 10.0, rho;
            ck_assert_msg(rmt_density(ws, B, x, &rho, err) == SYM_OK, "%s", err);
            double want = sqrt((b - x) * (x - a)) / (2 * M_PI * c * x);
            ck_assert_msg(fabs(rho - want) <= TOL_DENSITY * want, "c %g x %g: rho %.12g want %.12g",
                          c, x, rho, want);
        }
        /* outside the support the density vanishes */
        double rho;
        ck_assert_int_eq(rmt_density(ws, B, b * 1.1, &rho, err), SYM_OK);
        ck_assert_msg(fabs(rho) < 1e-8, "rho beyond the edge = %g", rho);
        /* companion transform off the axis: z m^2 + (z + 1 - c) m + 1 = 0,
         * the root with Im m > 0 */
        const double complex zs[] = {2.0 + 0.5 * I, 0.3 + 0.01 * I, 7.0 + 3.0 * I};
        for (size_t s = 0; s < 3; s++) {
            double complex z = zs[s], d = csqrt((z + 1 - c) * (z + 1 - c) - 4 * z);
            double complex r1 = (-(z + 1 - c) + d) / (2 * z), r2 = (-(z + 1 - c) - d) / (2 * z);
            double complex want = cimag(r1) > 0 ? r1 : r2;
            double mr, mi;
            ck_assert_msg(rmt_stieltjes(ws, B, creal(z), cimag(z), &mr, &mi, err) == SYM_OK, "%s", err);
            ck_assert_msg(cabs(mr + I * mi - want) <= 1e-10 * cabs(want), "c %g z %g%+gi: m %g%+gi want %g%+gi",
                          c, creal(z), cimag(z), mr, mi, creal(want), cimag(want));
        }
    }
    rmt_free(ws);
}
END_TEST

/* A two-component population (half 0.5, half 2): no closed form, but the
 * limiting density must integrate to 1 and its mean is (1/N) tr C = 1.25
 * exactly for any c < 1.  Midpoint rule on a fine grid between the edges:
 * square-root edges make the error O(h^1.5) ~ 1e-4. */
START_TEST(test_density_moments)
{
    enum { N = 40 };
    double l[N];
    fill(l, N / 2, 0.5);
    fill(l + N / 2, N / 2, 2.0);
    rmt_ws *ws = ws_of(l, N);
    const double cs[] = {0.1, 0.5};
    for (size_t j = 0; j < 2; j++) {
        char err[SYM_ERRLEN];
        double B = N / cs[j], lo, hi;
        ck_assert_msg(rmt_edges(ws, B, &lo, &hi, err) == SYM_OK, "%s", err);
        const int n = 4000;
        double h = (hi - lo) / n, m0 = 0, m1 = 0;
        for (int q = 0; q < n; q++) {
            double x = lo + (q + 0.5) * h, rho;
            ck_assert_msg(rmt_density(ws, B, x, &rho, err) == SYM_OK, "%s", err);
            ck_assert_msg(rho >= -1e-12, "negative density %g at %g", rho, x);
            m0 += rho * h;
            m1 += x * rho * h;
        }
        ck_assert_msg(fabs(m0 - 1) < 2e-3, "c %g: mass %.6f", cs[j], m0);
        ck_assert_msg(fabs(m1 - 1.25) < 2e-3 * 1.25, "c %g: mean %.6f want 1.25", cs[j], m1);
    }
    rmt_free(ws);
}
END_TEST

/* ---- one spike l on N-1 unit eigenvalues ----
 * With c' = c (N-1)/N (the bulk's weight), psi = l + c' l/(l-1), and the
 * outlier's overlap is (1 - c'/(l-1)^2) / (1 + c'/(l-1)) (Paul 2007). */
START_TEST(test_spike_closed_form)
{
    enum { N = 400 };
    double l[N];
    const double ell = 4.0;
    fill(l, N, 1.0);
    l[N / 3] = ell;
    rmt_ws *ws = ws_of(l, N);
    const double Bs[] = {60, 200, 1000, 1e5};
    for (size_t j = 0; j < 4; j++) {
        char err[SYM_ERRLEN];
        rmt_top t;
        ck_assert_msg(rmt_top_eval(ws, Bs[j], &t, err) == SYM_OK, "%s", err);
        double cp = (double)N / Bs[j] * (N - 1) / N, d = ell - 1;
        int want_spiked = cp < d * d;
        ck_assert_int_eq(t.spiked, want_spiked);
        ck_assert_uint_eq(t.mult, 1);
        if (!want_spiked)
            continue;
        double psi = ell + cp * ell / d, ov = (1 - cp / (d * d)) / (1 + cp / d);
        ck_assert_msg(fabs(t.x_top - psi) <= TOL_CLOSED * psi, "B %g: x_top %.15g want %.15g", Bs[j], t.x_top, psi);
        ck_assert_msg(fabs(t.ov_top - ov) <= TOL_CLOSED, "B %g: overlap %.15g want %.15g", Bs[j], t.ov_top, ov);
        /* the spike is the only growing mode */
        ck_assert_msg(fabs(t.ov_grow - ov) <= TOL_CLOSED, "B %g: ov_grow %.15g want %.15g", Bs[j], t.ov_grow, ov);
    }
    /* B_c: the overlap reaches h = (1 + l/N)/2, half-way from its B -> 0
     * value l/N to 1, at c' = (1 - h) d^2 / (1 + h d), i.e. B = (N-1)/c'. */
    char err[SYM_ERRLEN];
    double Bc, ov0, h, d = ell - 1;
    ck_assert_uint_eq(rmt_growing(ws, &ov0), 1);
    ck_assert_msg(fabs(ov0 - ell / N) < 1e-15, "ov0 %g", ov0);
    h = 0.5 * (1 + ell / N);
    double want = (N - 1) / ((1 - h) * d * d / (1 + h * d));
    ck_assert_msg(rmt_bc(ws, &Bc, err) == SYM_OK, "%s", err);
    ck_assert_msg(fabs(Bc - want) <= 1e-9 * want, "B_c %.15g want %.15g", Bc, want);
    rmt_free(ws);
}
END_TEST

START_TEST(test_errors)
{
    char err[SYM_ERRLEN];
    rmt_ws *ws;
    double l[4] = {1, 2, -0.5, 1};
    ck_assert_int_eq(rmt_alloc(&ws, l, 4, err), SYM_EINVAL);
    l[2] = NAN;
    ck_assert_int_eq(rmt_alloc(&ws, l, 4, err), SYM_EINVAL);
    ck_assert_int_eq(rmt_alloc(&ws, l, 0, err), SYM_EINVAL);
    double ok[4] = {0.9, 0.5, 1.0, 1.0};
    ws = ws_of(ok, 4);
    double Bc;
    ck_assert_int_eq(rmt_bc(ws, &Bc, err), SYM_EINVAL);   /* nothing grows */
    rmt_top t;
    ck_assert_int_eq(rmt_top_eval(ws, 0, &t, err), SYM_EINVAL);
    ck_assert_int_eq(rmt_top_eval(ws, NAN, &t, err), SYM_EINVAL);
    rmt_free(ws);
}
END_TEST

/* ---- against GSL eigendecompositions of sampled C^ ---- */

typedef struct {
    double ov_mean, ov_se, x_mean, x_se;
} measured;

/* Top eigenpair of C^ = (1/B) sum_b v_b v_b^T for `draws` independent data
 * sets from ring_sample; squared overlap of the eigenvector with the modes
 * k where grow[k], by a direct DFT. */
static measured measure(const ring_model *m, const int *grow, size_t B, int draws, uint64_t seed)
{
    size_t N = m->N;
    char err[SYM_ERRLEN];
    int8_t *v = malloc(B * N);
    gsl_matrix *C = gsl_matrix_alloc(N, N), *V = gsl_matrix_alloc(N, N);
    gsl_vector *e = gsl_vector_alloc(N);
    gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(N);
    ck_assert(v && C && V && e && w);
    double so = 0, so2 = 0, sx = 0, sx2 = 0;
    gsl_rng *r = rng_alloc(seed, RNG_STREAM_DATA);
    for (int d = 0; d < draws; d++) {
        ck_assert_msg(ring_sample(m, r, B, v, err) == SYM_OK, "%s", err);
        for (size_t i = 0; i < N; i++)
            for (size_t j = i; j < N; j++) {
                long s = 0;
                for (size_t b = 0; b < B; b++)
                    s += v[b * N + i] * v[b * N + j];
                gsl_matrix_set(C, i, j, (double)s / (double)B);
                gsl_matrix_set(C, j, i, (double)s / (double)B);
            }
        gsl_eigen_symmv(C, e, V, w);
        gsl_eigen_symmv_sort(e, V, GSL_EIGEN_SORT_VAL_DESC);
        double o = 0;
        for (size_t k = 0; k < N; k++) {
            if (!grow[k])
                continue;
            double re = 0, im = 0;
            for (size_t i = 0; i < N; i++) {
                double th = 2 * M_PI * (double)((k * i) % N) / (double)N;
                re += gsl_matrix_get(V, i, 0) * cos(th);
                im -= gsl_matrix_get(V, i, 0) * sin(th);
            }
            o += (re * re + im * im) / (double)N;
        }
        double x = gsl_vector_get(e, 0);
        so += o;
        so2 += o * o;
        sx += x;
        sx2 += x * x;
    }
    gsl_rng_free(r);
    measured out;
    out.ov_mean = so / draws;
    out.ov_se = sqrt(fmax(0, so2 / draws - out.ov_mean * out.ov_mean) / (draws - 1));
    out.x_mean = sx / draws;
    out.x_se = sqrt(fmax(0, sx2 / draws - out.x_mean * out.x_mean) / (draws - 1));
    free(v);
    gsl_matrix_free(C);
    gsl_matrix_free(V);
    gsl_vector_free(e);
    gsl_eigen_symmv_free(w);
    return out;
}

/* One model, several B: predicted growing-mode overlap within 3 standard
 * errors of the draw average plus `bias`, the allowance for the finite-N,
 * finite-B corrections the asymptotic formulas leave out (stated per case). */
static void check_model(ring_params *p, const size_t *Bs, size_t nB, int draws, double bias, int want_spiked,
                        int use_m4)
{
    char err[SYM_ERRLEN];
    ring_model *m;
    ck_assert_msg(ring_alloc(&m, p, err) == SYM_OK, "%s", err);
    size_t N = p->N;
    int *grow = malloc(N * sizeof *grow);
    for (size_t k = 0; k < N; k++)
        grow[k] = m->lambda[k] > 1 + RMT_DEGEN_TOL;
    rmt_ws *ws = ws_of(m->lambda, N);
    if (use_m4)
        ck_assert_int_eq(rmt_set_m4(ws, ring_m4(m), err), SYM_OK);
    for (size_t j = 0; j < nB; j++) {
        rmt_top t;
        ck_assert_msg(rmt_top_eval(ws, (double)Bs[j], &t, err) == SYM_OK, "%s", err);
        measured me = measure(m, grow, Bs[j], draws, 17 + j);
        ck_assert_msg(t.spiked == want_spiked, "%s B %zu: spiked %d", p->type->name, Bs[j], t.spiked);
        ck_assert_msg(fabs(t.ov_grow - me.ov_mean) <= 3 * me.ov_se + bias,
                      "%s N %zu B %zu: predicted overlap %.4f, measured %.4f +- %.4f",
                      p->type->name, N, Bs[j], t.ov_grow, me.ov_mean, me.ov_se);
        /* the top eigenvalue itself: within 4% (measured <= 3.5%) */
        ck_assert_msg(fabs(t.x_top - me.x_mean) <= 3 * me.x_se + 0.04 * t.x_top,
                      "%s N %zu B %zu: predicted top eigenvalue %.4f, measured %.4f +- %.4f",
                      p->type->name, N, Bs[j], t.x_top, me.x_mean, me.x_se);
    }
    rmt_free(ws);
    free(grow);
    ring_free(m);
}

/* ising beta = 1/2, N = 150: a smooth spectrum, no spike; the top sample
 * eigenvector sits at the top of the bulk (Ledoit-Peche at the classical
 * location of the top eigenvalue), and the overlap climbs from 0.66 (B -> 0)
 * to 1 over this range of B.  The remaining finite-N deviation is <= 0.013
 * (the plain edge formula: up to 0.026): allowance 0.02. */
START_TEST(test_eigen_ising)
{
    ring_params p;
    ring_params_default(&p);
    p.N = 150;
    p.val[ring_key_index("beta")] = 0.5;
    const size_t Bs[] = {10, 40, 150, 600};
    check_model(&p, Bs, 4, 6, 0.02, 0, 0);
}
END_TEST

/* bump eps = 0.4, N = 200: the degenerate top pair k = +-1 is an outlier.
 * The top of its two outliers sees the spike raised by the finite-B spread
 * of the 2x2 block (rmt_set_m4).  Without that correction the prediction is
 * 0.03-0.09 low at B = 40-160 (the mean over both outliers matches the
 * uncorrected formula instead); with it the measured excess is <= 0.03 at
 * B = 40 and <= 0.01 from B = 160: allowance 0.03. */
START_TEST(test_eigen_bump)
{
    ring_params p;
    ring_params_default(&p);
    p.type = &ring_bump;
    p.N = 200;
    p.val[ring_key_index("eps")] = 0.4;
    const size_t Bs[] = {40, 160, 400, 1200};
    check_model(&p, Bs, 4, 6, 0.03, 1, 1);
}
END_TEST

/* rmt_ring_m4 against the sampled moment E|v^_1|^4 / (E|v^_1|^2)^2 of the
 * bump's top mode: 20000 samples give a relative standard error ~ 0.5%
 * (m4 <= 2); the CLT treatment of the flip noise is exact up to O(1/N). */
START_TEST(test_ring_m4)
{
    const double epss[] = {0.1, 0.3, 0.45};
    for (size_t j = 0; j < 3; j++) {
        char err[SYM_ERRLEN];
        ring_params p;
        ring_params_default(&p);
        p.type = &ring_bump;
        p.N = 100;
        p.val[ring_key_index("eps")] = epss[j];
        ring_model *m;
        ck_assert_msg(ring_alloc(&m, &p, err) == SYM_OK, "%s", err);
        size_t N = p.N, B = 20000;
        int8_t *v = malloc(B * N);
        gsl_rng *r = rng_alloc(7 + j, RNG_STREAM_DATA);
        ck_assert_msg(ring_sample(m, r, B, v, err) == SYM_OK, "%s", err);
        double s2 = 0, s4 = 0;
        for (size_t b = 0; b < B; b++) {
            double re = 0, im = 0;
            for (size_t i = 0; i < N; i++) {
                re += v[b * N + i] * cos(2 * M_PI * (double)i / (double)N);
                im -= v[b * N + i] * sin(2 * M_PI * (double)i / (double)N);
            }
            double a2 = re * re + im * im;
            s2 += a2;
            s4 += a2 * a2;
        }
        double want = (s4 / B) / ((s2 / B) * (s2 / B)), got = ring_m4(m);
        ck_assert_msg(fabs(got - want) < 0.03 * want, "eps %g: m4 %.4f, sampled %.4f", ring_params_get(&p, "eps"), got, want);
        gsl_rng_free(r);
        free(v);
        ring_free(m);
    }
    ring_params p;
    ring_params_default(&p);
    char err[SYM_ERRLEN];
    ring_model *m;
    ck_assert_int_eq(ring_alloc(&m, &p, err), SYM_OK);
    ck_assert(isnan(ring_m4(m)));   /* ising: top mode k = 0 is single */
    ring_free(m);
}
END_TEST

/* bump eps = 1/2 is iid +-1 spins: C = I, Marchenko-Pastur.  The top
 * sample eigenvalue is at (1 + sqrt c)^2 up to its Tracy-Widom scale
 * (1 + sqrt c)^{4/3} c^{-1/6} N^{-2/3} ~ 0.05 here; its mean lies ~1.2 of
 * those below the edge: allow 3 scales. */
START_TEST(test_eigen_mp)
{
    char err[SYM_ERRLEN];
    ring_params p;
    ring_params_default(&p);
    p.type = &ring_bump;
    p.N = 200;
    p.val[ring_key_index("eps")] = 0.5;
    ring_model *m;
    ck_assert_msg(ring_alloc(&m, &p, err) == SYM_OK, "%s", err);
    rmt_ws *ws = ws_of(m->lambda, p.N);
    int grow[200] = {0};
    const size_t Bs[] = {100, 800};
    for (size_t j = 0; j < 2; j++) {
        double lo, hi, c = (double)p.N / (double)Bs[j];
        ck_assert_msg(rmt_edges(ws, (double)Bs[j], &lo, &hi, err) == SYM_OK, "%s", err);
        measured me = measure(m, grow, Bs[j], 4, 99 + j);
        double tw = pow(1 + sqrt(c), 4.0 / 3) * pow(c, -1.0 / 6) * pow((double)p.N, -2.0 / 3);
        ck_assert_msg(fabs(me.x_mean - hi) <= 3 * tw, "c %g: top eigenvalue %.4f, edge %.4f (TW scale %.3f)",
                      c, me.x_mean, hi, tw);
    }
    rmt_free(ws);
    ring_free(m);
}
END_TEST

Suite *rmt_suite(void)
{
    Suite *s = suite_create("rmt");
    TCase *tc = tcase_create("closed");
    tcase_add_test(tc, test_bbp_ising);
    tcase_add_test(tc, test_bbp_bump_and_trivial);
    tcase_add_test(tc, test_mp_edges);
    tcase_add_test(tc, test_mp_density_stieltjes);
    tcase_add_test(tc, test_density_moments);
    tcase_add_test(tc, test_spike_closed_form);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    TCase *te = tcase_create("eigen");
    tcase_add_test(te, test_eigen_ising);
    tcase_add_test(te, test_eigen_bump);
    tcase_add_test(te, test_ring_m4);
    tcase_add_test(te, test_eigen_mp);
    suite_add_tcase(s, te);
    return s;
}
