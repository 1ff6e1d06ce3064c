/* Suite smallbeta: the small-beta lattice equation and its continuum limit
 * (theory/smallbeta.h, SPEC.md 3c).
 *   - the right-hand side against hand-evaluated cases, against minus the
 *     gradient of the Lyapunov function E (finite differences), its
 *     Jacobian against finite differences of it, its symmetry under
 *     rotations of the units;
 *   - the derivation itself: the exact binary-hidden flow of SPEC 3b,
 *     computed by enumerating every visible and hidden state at N = 8,
 *     divided by beta^{3/2}, tends to the equation as beta -> 0, at rate
 *     O(beta), for M = 1, 2, 3;
 *   - the converged fixed point at N = 100 (b ~ 2.40, SPEC 3c) against a
 *     second method (Newton from the continuum profile), its stability
 *     (Jacobian spectrum), its pinning to a site (the bond-centred fixed
 *     point is unstable and higher in E), E decreasing along the run;
 *   - M = 2: two separated peaks, each the M = 1 fixed point, once the
 *     units are rotated by sb_localise (checked against a scan, and on
 *     three rotated copies of the M = 1 fixed point);
 *   - the continuum: both roots satisfy b = integral u^2 (GSL quadrature),
 *     the profile solves the stationary equation, peak and FWHM, and
 *     stability of b- only from the linearised operator's spectrum.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_vector.h>

#include "core/err.h"
#include "core/models.h"
#include "core/obs.h"
#include "core/rng.h"
#include "tests/suites.h"
#include "theory/smallbeta.h"

/* Central differences with step 1e-5 on a cubic function of O(1)
 * arguments: truncation ~h^2 |f'''| ~ 1e-10, rounding ~1e-16/1e-5. */
#define FD_H 1e-5
#define FD_TOL 1e-8

static void fill_gauss(gsl_rng *r, double *x, size_t n, double s)
{
    for (size_t a = 0; a < n; a++)
        x[a] = gsl_ran_gaussian(r, s);
}

static double max_abs(const double *x, size_t n)
{
    double m = 0;
    for (size_t a = 0; a < n; a++)
        m = fmax(m, fabs(x[a]));
    return m;
}

/* Largest eigenvalue (and optionally the second largest) of the symmetric
 * n x n matrix A (destroyed). */
static double top_eigen(double *A, size_t n, double *second)
{
    gsl_matrix_view m = gsl_matrix_view_array(A, n, n);
    gsl_vector *ev = gsl_vector_alloc(n);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(n);
    ck_assert_ptr_nonnull(ev);
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(gsl_eigen_symm(&m.matrix, ev, w), 0);
    double l1 = -INFINITY, l2 = -INFINITY;
    for (size_t a = 0; a < n; a++) {
        double l = gsl_vector_get(ev, a);
        if (l > l1) {
            l2 = l1;
            l1 = l;
        } else if (l > l2)
            l2 = l;
    }
    gsl_eigen_symm_free(w);
    gsl_vector_free(ev);
    if (second)
        *second = l2;
    return l1;
}

/* FWHM of the dominant peak of |u| in sites, linear interpolation between
 * sites (SPEC.md 4), on a ring. */
static double fwhm(const double *u, size_t N)
{
    size_t im = 0;
    for (size_t i = 0; i < N; i++)
        if (fabs(u[i]) > fabs(u[im]))
            im = i;
    double h = fabs(u[im]) / 2, w = 0;
    for (int dir = -1; dir <= 1; dir += 2) {
        for (size_t d = 1; d < N; d++) {
            size_t i = (im + N + (size_t)((long)dir * (long)d % (long)N)) % N;
            size_t j = (im + N + (size_t)((long)dir * (long)(d - 1) % (long)N)) % N;
            double a = fabs(u[j]), b = fabs(u[i]);
            if (b <= h) {
                w += (double)(d - 1) + (a - h) / (a - b);
                break;
            }
        }
    }
    return w;
}

static double dot3(const double *x, const double *y, size_t n)
{
    double s = 0;
    for (size_t a = 0; a < n; a++)
        s += x[a] * y[a];
    return s;
}

static size_t argmax_abs(const double *u, size_t N)
{
    size_t im = 0;
    for (size_t i = 0; i < N; i++)
        if (fabs(u[i]) > fabs(u[im]))
            im = i;
    return im;
}

START_TEST(test_rhs_hand)
{
    /* N = 4, M = 1, u = (1, 2, 0, -1): b = 6 */
    double u[4] = {1, 2, 0, -1}, du[4], want[4] = {-4, -3, 1, 6};
    sb_rhs(4, 1, u, du);
    for (int i = 0; i < 4; i++)
        ck_assert_double_eq_tol(du[i], want[i], 1e-15);
    /* N = 3, M = 2, u_1 = (1, 0, 1), u_2 = (0, 1, 1): b = 2, 2, c = 1;
     * by hand du_1 = (0, 1, 0), du_2 = (1, 0, 0) */
    double v[6] = {1, 0, 1, 0, 1, 1}, dv[6], wv[6] = {0, 1, 0, 1, 0, 0};
    sb_rhs(3, 2, v, dv);
    for (int a = 0; a < 6; a++)
        ck_assert_double_eq_tol(dv[a], wv[a], 1e-15);
    /* E by hand: M = 1 case: hop = 1*2 + 2*0 + 0*(-1) + (-1)*1 = 1,
     * b^2/4 = 9, sum u^4 / 4 = 18/4 */
    ck_assert_double_eq_tol(sb_energy(4, 1, u), -1 + 9 - 4.5, 1e-14);
}
END_TEST

/* du = -grad E and J = d(du)/du by central differences, M = 1, 2, 3. */
START_TEST(test_gradient_and_jacobian)
{
    gsl_rng *r = rng_alloc(11, RNG_STREAM_AUX);
    const size_t N = 7;
    for (size_t M = 1; M <= 3; M++) {
        size_t n = M * N;
        double *u = malloc(n * sizeof *u), *du = malloc(n * sizeof *du);
        double *J = malloc(n * n * sizeof *J), *fp = malloc(n * sizeof *fp),
               *fm = malloc(n * sizeof *fm);
        fill_gauss(r, u, n, 0.7);
        sb_rhs(N, M, u, du);
        sb_jacobian(N, M, u, J);
        double scale = max_abs(du, n);
        for (size_t b = 0; b < n; b++) {
            double x = u[b];
            u[b] = x + FD_H;
            double Ep = sb_energy(N, M, u);
            sb_rhs(N, M, u, fp);
            u[b] = x - FD_H;
            double Em = sb_energy(N, M, u);
            sb_rhs(N, M, u, fm);
            u[b] = x;
            double g = -(Ep - Em) / (2 * FD_H);
            ck_assert_msg(fabs(g - du[b]) < FD_TOL * (1 + scale), "M = %zu, a = %zu: %g vs %g", M,
                          b, g, du[b]);
            for (size_t a = 0; a < n; a++) {
                double d = (fp[a] - fm[a]) / (2 * FD_H);
                ck_assert_msg(fabs(d - J[a * n + b]) < FD_TOL * (1 + scale),
                              "M = %zu, J[%zu][%zu] = %g, differences %g", M, a, b, J[a * n + b], d);
                ck_assert_double_eq(J[a * n + b], J[b * n + a]);
            }
        }
        free(u), free(du), free(J), free(fp), free(fm);
    }
    gsl_rng_free(r);
}
END_TEST

/* The small-beta expansion keeps only terms that are invariant under an
 * orthogonal rotation of the units (derivation in smallbeta.c): du(R u) =
 * R du(u), E(R u) = E(u).  A wrong cross term breaks this. */
START_TEST(test_rotation_equivariance)
{
    gsl_rng *r = rng_alloc(12, RNG_STREAM_AUX);
    const size_t N = 9;
    for (size_t M = 2; M <= 3; M++) {
        size_t n = M * N;
        double *u = malloc(n * sizeof *u), *ru = malloc(n * sizeof *ru);
        double *du = malloc(n * sizeof *du), *dru = malloc(n * sizeof *dru);
        fill_gauss(r, u, n, 0.6);
        /* R = a rotation by 0.7 in the (0, 1) plane, then by -1.1 in (1, M-1) */
        double R[9] = {0};
        for (size_t a = 0; a < M; a++)
            R[a * M + a] = 1;
        double c = cos(0.7), s = sin(0.7);
        double R1[9] = {0};
        memcpy(R1, R, sizeof R1);
        R1[0] = c, R1[1] = -s, R1[M] = s, R1[M + 1] = c;
        double c2 = cos(-1.1), s2 = sin(-1.1);
        double R2[9] = {0};
        memcpy(R2, R, sizeof R2);
        size_t p = 1, q = M - 1;
        if (p != q) {
            R2[p * M + p] = c2, R2[p * M + q] = -s2, R2[q * M + p] = s2, R2[q * M + q] = c2;
        }
        for (size_t a = 0; a < M; a++)
            for (size_t b = 0; b < M; b++) {
                double t = 0;
                for (size_t k = 0; k < M; k++)
                    t += R2[a * M + k] * R1[k * M + b];
                R[a * M + b] = t;
            }
        for (size_t mu = 0; mu < M; mu++)
            for (size_t i = 0; i < N; i++) {
                double t = 0;
                for (size_t nu = 0; nu < M; nu++)
                    t += R[mu * M + nu] * u[nu * N + i];
                ru[mu * N + i] = t;
            }
        sb_rhs(N, M, u, du);
        sb_rhs(N, M, ru, dru);
        for (size_t mu = 0; mu < M; mu++)
            for (size_t i = 0; i < N; i++) {
                double t = 0;
                for (size_t nu = 0; nu < M; nu++)
                    t += R[mu * M + nu] * du[nu * N + i];
                ck_assert_double_eq_tol(dru[mu * N + i], t, 1e-12);
            }
        ck_assert_double_eq_tol(sb_energy(N, M, ru), sb_energy(N, M, u), 1e-12);
        free(u), free(ru), free(du), free(dru);
    }
    gsl_rng_free(r);
}
END_TEST

/* The exact flow of SPEC 3b, zero fields, by enumeration: data term over
 * all 2^N ising states, model term over all 2^M hidden states. */
static void exact_flow(size_t N, size_t M, double beta, const double *w, double *dw)
{
    size_t n = M * N;
    double *D = calloc(n, sizeof *D), *m = calloc(n, sizeof *m);
    double Z = 0;
    for (unsigned s = 0; s < (1u << N); s++) {
        double e = 0;
        for (size_t i = 0; i < N; i++) {
            int a = (s >> i) & 1 ? 1 : -1, b = (s >> ((i + 1) % N)) & 1 ? 1 : -1;
            e += a * b;
        }
        double p = exp(beta * e);
        Z += p;
        for (size_t mu = 0; mu < M; mu++) {
            double I = 0;
            for (size_t j = 0; j < N; j++)
                I += w[mu * N + j] * ((s >> j) & 1 ? 1 : -1);
            double t = tanh(I);
            for (size_t i = 0; i < N; i++)
                D[mu * N + i] += p * ((s >> i) & 1 ? 1 : -1) * t;
        }
    }
    double Zh = 0;
    for (unsigned s = 0; s < (1u << M); s++) {
        double lp = 0;
        for (size_t i = 0; i < N; i++) {
            double x = 0;
            for (size_t nu = 0; nu < M; nu++)
                x += w[nu * N + i] * ((s >> nu) & 1 ? 1 : -1);
            lp += log(cosh(x));
        }
        double p = exp(lp);
        Zh += p;
        for (size_t i = 0; i < N; i++) {
            double x = 0;
            for (size_t nu = 0; nu < M; nu++)
                x += w[nu * N + i] * ((s >> nu) & 1 ? 1 : -1);
            for (size_t mu = 0; mu < M; mu++)
                m[mu * N + i] += p * ((s >> mu) & 1 ? 1 : -1) * tanh(x);
        }
    }
    for (size_t a = 0; a < n; a++)
        dw[a] = D[a] / Z - m[a] / Zh;
    free(D), free(m);
}

START_TEST(test_small_beta_limit_of_exact_flow)
{
    gsl_rng *r = rng_alloc(13, RNG_STREAM_AUX);
    const size_t N = 8;
    const double betas[3] = {1e-2, 1e-3, 1e-4};
    for (size_t M = 1; M <= 3; M++) {
        size_t n = M * N;
        double *u = malloc(n * sizeof *u), *F = malloc(n * sizeof *F), *w = malloc(n * sizeof *w),
               *dw = malloc(n * sizeof *dw);
        fill_gauss(r, u, n, 0.5);
        sb_rhs(N, M, u, F);
        double Fmax = max_abs(F, n), e[3];
        for (int k = 0; k < 3; k++) {
            double beta = betas[k], sb = sqrt(beta);
            for (size_t a = 0; a < n; a++)
                w[a] = sb * u[a];
            exact_flow(N, M, beta, w, dw);
            double d = 0;
            for (size_t a = 0; a < n; a++)
                d = fmax(d, fabs(dw[a] / (beta * sb) - F[a]));
            e[k] = d / Fmax;
        }
        /* the next order is O(beta) (header of smallbeta.c): the error
         * falls tenfold per decade and is already small */
        for (int k = 0; k < 2; k++) {
            double ratio = e[k] / e[k + 1];
            ck_assert_msg(ratio > 7 && ratio < 13, "M = %zu: error %g at beta %g, %g at %g", M,
                          e[k], betas[k], e[k + 1], betas[k + 1]);
        }
        ck_assert_msg(e[2] < 1e-3, "M = %zu: relative error %g at beta = 1e-4", M, e[2]);
        free(u), free(F), free(w), free(dw);
    }
    gsl_rng_free(r);
}
END_TEST

/* N = 100, M = 1, the default run: the converged fixed point. */
START_TEST(test_fixed_point_N100)
{
    char err[SYM_ERRLEN];
    sb_config c;
    sb_config_default(&c);
    c.snapshots = 60;
    sb_traj *tr;
    ck_assert_msg(sb_run(&c, &ring_ising, &tr, err) == SYM_OK, "%s", err);
    size_t N = c.N, last = tr->n - 1;
    ck_assert_uint_eq(tr->n, c.snapshots + 1);
    ck_assert_double_eq(tr->t[last], c.T);

    /* u(0) is the shared w(0) / sqrt(beta) */
    double *w0 = malloc(N * sizeof *w0);
    ck_assert_int_eq(rng_init_weights(c.seed, N, 1, c.init_scale, w0), 0);
    for (size_t i = 0; i < N; i++)
        ck_assert_double_eq_tol(tr->u[i], w0[i] / sqrt(c.beta), 1e-15);

    /* E decreases along the run (it is a Lyapunov function) */
    for (size_t s = 1; s < tr->n; s++)
        ck_assert_msg(sb_energy(N, 1, tr->u + s * N) <= sb_energy(N, 1, tr->u + (s - 1) * N) + 1e-9,
                      "E rose at tau = %g", tr->t[s]);

    const double *u = tr->u + last * N;
    double du[100];
    sb_rhs(N, 1, u, du);
    ck_assert_msg(max_abs(du, N) < 1e-7, "not converged: max |du| = %g", max_abs(du, N));
    /* SPEC 3c: b ~ 2.40 at N = 100, above the continuum b- = 2.343 */
    ck_assert_msg(fabs(tr->b[last] - 2.40) < 5e-3, "b = %.6f", tr->b[last]);
    double bm;
    sb_continuum_roots(&bm, NULL);
    ck_assert(tr->b[last] > bm);
    /* a single narrow peak */
    obs_values *o = &tr->obs[last];
    ck_assert_msg(o->R > 0.99 && o->pr < 0.06, "R = %g, pr = %g", o->R, o->pr);
    double fw = fwhm(u, N);
    ck_assert_msg(fw > 3 && fw < 5, "fwhm = %g", fw);
    /* pinned to a site: symmetric about its largest site */
    size_t im = argmax_abs(u, N);
    for (size_t d = 1; d < 10; d++)
        ck_assert_double_eq_tol(u[(im + d) % N], u[(im + N - d) % N], 1e-8);
    for (size_t i = 0; i < N; i++)
        ck_assert(u[i] * u[im] > 0); /* one sign: no other peak or node */

    /* a second method: Newton from eq. 44 at the same site finds the same
     * fixed point */
    double v[100], J[100 * 100], sgn = u[im] > 0 ? 1 : -1;
    ck_assert_int_eq(sb_continuum_profile(bm, N, (double)im, v, err), SYM_OK);
    for (size_t i = 0; i < N; i++)
        v[i] *= sgn;
    ck_assert_msg(sb_newton(N, 1, v, 1e-13, 50, err) == SYM_OK, "%s", err);
    for (size_t i = 0; i < N; i++)
        ck_assert_double_eq_tol(v[i], u[i], 1e-7);
    /* stable: every eigenvalue of the symmetric Jacobian negative (no zero
     * mode: the lattice has no continuous translation) */
    sb_jacobian(N, 1, v, J);
    double l1 = top_eigen(J, N, NULL);
    ck_assert_msg(l1 < -1e-4, "site-centred fixed point: top eigenvalue %g", l1);
    double Esite = sb_energy(N, 1, v);

    /* the bond-centred fixed point (Newton from eq. 44 centred between two
     * sites; Newton keeps the reflection symmetry) is unstable and higher in
     * E: the peak is pinned to a site (Peierls-Nabarro barrier) */
    ck_assert_int_eq(sb_continuum_profile(bm, N, (double)im + 0.5, v, err), SYM_OK);
    ck_assert_msg(sb_newton(N, 1, v, 1e-13, 50, err) == SYM_OK, "%s", err);
    ck_assert_double_eq_tol(v[im], v[(im + 1) % N], 1e-10);
    sb_jacobian(N, 1, v, J);
    l1 = top_eigen(J, N, NULL);
    ck_assert_msg(l1 > 1e-6, "bond-centred fixed point: top eigenvalue %g", l1);
    ck_assert(sb_energy(N, 1, v) > Esite);

    free(w0);
    sb_traj_free(tr);
}
END_TEST

/* M = 2: the equation is symmetric under rotations of the two units
 * (test_rotation_equivariance), so a fixed point is a rotation of a pair;
 * the rotation that maximises sum u^4 (the most localised units) shows two
 * separated peaks, each the M = 1 fixed point. */
START_TEST(test_two_units)
{
    char err[SYM_ERRLEN];
    sb_config c;
    sb_config_default(&c);
    c.snapshots = 10;
    sb_traj *t1, *t2;
    ck_assert_msg(sb_run(&c, &ring_ising, &t1, err) == SYM_OK, "%s", err);
    c.M = 2;
    ck_assert_msg(sb_run(&c, &ring_ising, &t2, err) == SYM_OK, "%s", err);
    size_t N = c.N;
    const double *u1 = t1->u + (t1->n - 1) * N;
    const double *u = t2->u + (t2->n - 1) * 2 * N;
    double du[200];
    sb_rhs(N, 2, u, du);
    ck_assert_msg(max_abs(du, 2 * N) < 1e-7, "max |du| = %g", max_abs(du, 2 * N));

    /* sb_localise against a scan of the rotation angle */
    double best = -1, th_best = 0;
    for (int k = 0; k < 3600; k++) {
        double th = M_PI / 2 * k / 3600, cs = cos(th), sn = sin(th), q = 0;
        for (size_t i = 0; i < N; i++) {
            double a = cs * u[i] + sn * u[N + i], b = -sn * u[i] + cs * u[N + i];
            q += a * a * a * a + b * b * b * b;
        }
        if (q > best)
            best = q, th_best = th;
    }
    double v[200], q = 0;
    memcpy(v, u, sizeof v);
    int sweeps = sb_localise(N, 2, v);
    ck_assert_int_ge(sweeps, 1);
    for (size_t a = 0; a < 2 * N; a++)
        q += v[a] * v[a] * v[a] * v[a];
    /* the scan's grid (step 4.4e-4) is within ~1e-6 of the maximum */
    ck_assert_msg(q >= best * (1 - 1e-14) && q < best * (1 + 1e-5), "sum u^4 %.15g, scan %.15g at %g", q, best,
                  th_best);
    obs_ws *ws = obs_alloc(N);
    ck_assert_ptr_nonnull(ws);
    double centre[2];
    for (int mu = 0; mu < 2; mu++) {
        obs_values o;
        obs_compute(ws, &ring_ising, v + mu * N, &o);
        ck_assert_msg(o.R > 0.99 && o.pr < 0.06, "unit %d: R = %g, pr = %g", mu, o.R, o.pr);
        centre[mu] = o.center;
        double Q = obs_overlap(ws, v + mu * N, u1, NULL, NULL);
        ck_assert_msg(Q > 1 - 1e-6, "unit %d: Q with the M = 1 fixed point %.12g", mu, Q);
    }
    double d = fabs(centre[0] - centre[1]);
    d = fmin(d, (double)N - d);
    ck_assert_msg(d > 10, "centres %g and %g", centre[0], centre[1]);
    obs_free(ws);
    sb_traj_free(t1);
    sb_traj_free(t2);
}
END_TEST

/* M = 3: three copies of the M = 1 fixed point 33 sites apart are a fixed
 * point up to their exponentially small overlaps; rotated by an arbitrary
 * orthogonal matrix they still are (the rotation symmetry), and
 * sb_localise recovers the three copies. */
START_TEST(test_localise_three)
{
    char err[SYM_ERRLEN];
    const size_t N = 100, M = 3;
    double bm, p1[100], u[300], ru[300], du[300];
    sb_continuum_roots(&bm, NULL);
    ck_assert_int_eq(sb_continuum_profile(bm, N, 0, p1, err), SYM_OK);
    ck_assert_msg(sb_newton(N, 1, p1, 1e-13, 50, err) == SYM_OK, "%s", err);
    for (size_t mu = 0; mu < M; mu++)
        for (size_t i = 0; i < N; i++)
            u[mu * N + i] = p1[(i + N - 33 * mu) % N];
    /* R = rotations by 0.4 in (0, 1), 1.3 in (1, 2), -0.8 in (0, 2) */
    memcpy(ru, u, sizeof u);
    const size_t pr[3][2] = {{0, 1}, {1, 2}, {0, 2}};
    const double ang[3] = {0.4, 1.3, -0.8};
    for (int k = 0; k < 3; k++) {
        double *x = ru + pr[k][0] * N, *y = ru + pr[k][1] * N, c = cos(ang[k]), s = sin(ang[k]);
        for (size_t i = 0; i < N; i++) {
            double a = c * x[i] - s * y[i], b = s * x[i] + c * y[i];
            x[i] = a, y[i] = b;
        }
    }
    sb_rhs(N, M, ru, du);
    ck_assert_msg(max_abs(du, M * N) < 1e-6, "max |du| = %g", max_abs(du, M * N));
    sb_localise(N, M, ru);
    int used[3] = {0, 0, 0};
    for (size_t mu = 0; mu < M; mu++) {
        double best = 0;
        int arg = -1;
        for (int nu = 0; nu < 3; nu++) {
            double d = fabs(dot3(ru + mu * N, u + nu * N, N)) / dot3(u + nu * N, u + nu * N, N);
            if (d > best)
                best = d, arg = nu;
        }
        ck_assert_msg(best > 1 - 1e-8, "unit %zu: best overlap %.12g", mu, best);
        ck_assert(!used[arg]);
        used[arg] = 1;
    }
}
END_TEST

static double u2_integrand(double x, void *p)
{
    double u = sb_continuum_u(*(double *)p, x);
    return u * u;
}

static double self_consistency(double b)
{
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
    gsl_function F = {u2_integrand, &b};
    double r, e;
    ck_assert_int_eq(gsl_integration_qagi(&F, 0, 1e-13, 1000, w, &r, &e), 0);
    gsl_integration_workspace_free(w);
    return r;
}

START_TEST(test_continuum_roots)
{
    double bm, bp;
    sb_continuum_roots(&bm, &bp);
    ck_assert_double_eq_tol(bm, 8 - 4 * M_SQRT2, 1e-14);
    ck_assert_double_eq_tol(bp, 8 + 4 * M_SQRT2, 1e-13);
    /* b = integral u^2 dx over the real line, by quadrature */
    ck_assert_double_eq_tol(self_consistency(bm), bm, 1e-10);
    ck_assert_double_eq_tol(self_consistency(bp), bp, 1e-9);
    /* and not for other b: 4 sqrt(b - 2) != b */
    ck_assert(fabs(self_consistency(3.0) - 3.0) > 0.5);
    ck_assert(fabs(self_consistency(6.0) - 6.0) > 0.5);

    /* SPEC 3c: peak 0.828, FWHM 4.50 sites at b- */
    ck_assert_double_eq_tol(sb_continuum_peak(bm), 0.828, 5e-4);
    ck_assert_double_eq_tol(sb_continuum_fwhm(bm), 4.50, 5e-3);
    ck_assert_double_eq_tol(sb_continuum_u(bm, 0), sb_continuum_peak(bm), 1e-15);
    ck_assert_double_eq_tol(sb_continuum_u(bm, sb_continuum_fwhm(bm) / 2),
                            sb_continuum_peak(bm) / 2, 1e-14);
    ck_assert(isnan(sb_continuum_u(2, 0)) && isnan(sb_continuum_peak(1)) &&
              isnan(sb_continuum_fwhm(2)));

    /* the profile solves the stationary continuum equation (eqs. 38-39)
     * u'' + (2 - b) u + u^3 = 0, by a fourth-order difference */
    for (int r = 0; r < 2; r++) {
        double b = r ? bp : bm, h = 1e-3 / sqrt(b - 2);
        for (double x = -3; x <= 3; x += 0.37) {
            double X = x / sqrt(b - 2);
            double d2 = (-sb_continuum_u(b, X + 2 * h) + 16 * sb_continuum_u(b, X + h) -
                         30 * sb_continuum_u(b, X) + 16 * sb_continuum_u(b, X - h) -
                         sb_continuum_u(b, X - 2 * h)) /
                        (12 * h * h);
            double u = sb_continuum_u(b, X);
            ck_assert_msg(fabs(d2 + (2 - b) * u + u * u * u) < 1e-5 * (b - 2), "b = %g, x = %g",
                          b, X);
        }
    }
}
END_TEST

/* Largest eigenvalues of the continuum equation linearised at eq. 44's
 * profile: L e = e'' + (2 - b) e + 3 u^2 e - 2 u integral(u e), on a grid
 * of spacing h (second differences, zero outside), a symmetric matrix. */
static double continuum_top(double b, double *second)
{
    double k = sqrt(b - 2), h = 0.05 / k, L = 20 / k;
    size_t n = (size_t)(2 * L / h) + 1;
    double *A = calloc(n * n, sizeof *A), *u = malloc(n * sizeof *u);
    ck_assert_ptr_nonnull(A);
    for (size_t a = 0; a < n; a++)
        u[a] = sb_continuum_u(b, -L + h * (double)a);
    for (size_t a = 0; a < n; a++) {
        A[a * n + a] = -2 / (h * h) + 2 - b + 3 * u[a] * u[a];
        if (a > 0)
            A[a * n + a - 1] = 1 / (h * h);
        if (a + 1 < n)
            A[a * n + a + 1] = 1 / (h * h);
        for (size_t j = 0; j < n; j++)
            A[a * n + j] -= 2 * h * u[a] * u[j];
    }
    double l = top_eigen(A, n, second);
    free(A), free(u);
    return l;
}

START_TEST(test_continuum_stability)
{
    double bm, bp, s;
    sb_continuum_roots(&bm, &bp);
    /* b-: the top eigenvalue is the translation mode u' (0 in the
     * continuum, O(h^2) here: measured 9e-4 (b - 2)); everything else
     * decays (second eigenvalue measured -0.75 (b - 2)) */
    double l = continuum_top(bm, &s);
    ck_assert_msg(fabs(l) < 5e-3 * (bm - 2), "b-: top eigenvalue %g", l);
    ck_assert_msg(s < -0.3 * (bm - 2), "b-: second eigenvalue %g", s);
    /* b+: an even mode grows (measured 0.985 (b - 2)), above the
     * translation mode */
    l = continuum_top(bp, &s);
    ck_assert_msg(l > 0.5 * (bp - 2), "b+: top eigenvalue %g", l);
    ck_assert_msg(fabs(s) < 5e-3 * (bp - 2), "b+: second eigenvalue %g", s);
}
END_TEST

START_TEST(test_lattice_profile)
{
    char err[SYM_ERRLEN];
    double bm, u[10];
    sb_continuum_roots(&bm, NULL);
    ck_assert_int_eq(sb_continuum_profile(bm, 10, 2, u, err), SYM_OK);
    ck_assert_double_eq_tol(u[2], sb_continuum_peak(bm), 1e-15);
    /* circular distance: site 9 is 3 from centre 2 (via 0), site 7 is 5 */
    ck_assert_double_eq_tol(u[9], sb_continuum_u(bm, 3), 1e-15);
    ck_assert_double_eq_tol(u[5], sb_continuum_u(bm, 3), 1e-15);
    ck_assert_double_eq_tol(u[7], sb_continuum_u(bm, 5), 1e-15);
    /* a fractional centre, and one given beyond N or negative */
    ck_assert_int_eq(sb_continuum_profile(bm, 10, -0.5, u, err), SYM_OK);
    ck_assert_double_eq_tol(u[9], u[0], 1e-15);
    ck_assert_double_eq_tol(u[9], sb_continuum_u(bm, 0.5), 1e-15);
    double v[10];
    ck_assert_int_eq(sb_continuum_profile(bm, 10, 19.5, v, err), SYM_OK);
    for (int i = 0; i < 10; i++)
        ck_assert_double_eq_tol(u[i], v[i], 1e-13);
    ck_assert_int_eq(sb_continuum_profile(2, 10, 0, u, err), SYM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "b = 2"));
    ck_assert_int_eq(sb_continuum_profile(3, 2, 0, u, err), SYM_EINVAL);
    ck_assert_int_eq(sb_continuum_profile(3, 10, NAN, u, err), SYM_EINVAL);
}
END_TEST

START_TEST(test_from_exact)
{
    char err[SYM_ERRLEN];
    /* N = 3, M = 2 at beta = 0.04: u = 5 w */
    double w[6] = {0.2, -0.4, 0, 0.1, 0.1, 0.3}, u[6], b[2];
    ck_assert_int_eq(sb_from_exact(w, 3, 2, 0.04, u, b, err), SYM_OK);
    double want[6] = {1, -2, 0, 0.5, 0.5, 1.5};
    for (int a = 0; a < 6; a++)
        ck_assert_double_eq_tol(u[a], want[a], 1e-14);
    ck_assert_double_eq_tol(b[0], 5, 1e-13);
    ck_assert_double_eq_tol(b[1], 2.75, 1e-13);
    /* in place, b not wanted */
    ck_assert_int_eq(sb_from_exact(w, 3, 2, 0.25, w, NULL, err), SYM_OK);
    ck_assert_double_eq_tol(w[1], -0.8, 1e-15);
    ck_assert_int_eq(sb_from_exact(w, 3, 2, 0, u, b, err), SYM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "beta = 0"));
    ck_assert_int_eq(sb_from_exact(w, 3, 2, -1, u, b, err), SYM_EINVAL);
    ck_assert_int_eq(sb_from_exact(w, 0, 2, 1, u, b, err), SYM_EINVAL);
}
END_TEST

START_TEST(test_errors)
{
    char err[SYM_ERRLEN];
    double u[8] = {0};
    sb_flow *f;
    sb_params p = {2, 1, 1e-8, 1e-10};
    ck_assert_int_eq(sb_alloc(&f, &p, u, err), SYM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "N = 2"));
    ck_assert_ptr_null(f);
    p = (sb_params){4, 0, 1e-8, 1e-10};
    ck_assert_int_eq(sb_alloc(&f, &p, u, err), SYM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "M = 0"));
    p = (sb_params){4, 1, 1e-15, 1e-10};
    ck_assert_int_eq(sb_alloc(&f, &p, u, err), SYM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "rtol"));
    p = (sb_params){SB_DIM_MAX, 2, 1e-8, 1e-10};
    ck_assert_int_eq(sb_alloc(&f, &p, u, err), SYM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "M N <="));
    p = (sb_params){4, 1, 1e-8, 0};
    ck_assert_int_eq(sb_alloc(&f, &p, u, err), SYM_EINVAL);
    p = (sb_params){4, 1, 1e-8, 1e-10};
    u[2] = NAN;
    ck_assert_int_eq(sb_alloc(&f, &p, u, err), SYM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "u0[2]"));
    u[2] = 0;
    /* u = 0 is a fixed point: the flow stays there */
    ck_assert_int_eq(sb_alloc(&f, &p, u, err), SYM_OK);
    ck_assert_int_eq(sb_advance(f, 10, err), SYM_OK);
    ck_assert_double_eq(sb_time(f), 10);
    sb_state(f, u);
    ck_assert_double_eq(max_abs(u, 4), 0);
    ck_assert_int_eq(sb_advance(f, INFINITY, err), SYM_EINVAL);
    sb_free(f);

    sb_config c;
    sb_config_default(&c);
    sb_traj *tr;
    c.beta = 0;
    ck_assert_int_eq(sb_run(&c, &ring_ising, &tr, err), SYM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "beta = 0"));
    ck_assert_ptr_null(tr);
    sb_config_default(&c);
    c.T = -1;
    ck_assert_int_eq(sb_run(&c, &ring_ising, &tr, err), SYM_EINVAL);
    sb_config_default(&c);
    c.snapshots = 0;
    ck_assert_int_eq(sb_run(&c, &ring_ising, &tr, err), SYM_EINVAL);
    sb_config_default(&c);
    c.init_scale = 0;
    ck_assert_int_eq(sb_run(&c, &ring_ising, &tr, err), SYM_EINVAL);
    /* Newton from u = 0 stays at the trivial root; a hopeless budget fails */
    double v[10];
    for (int i = 0; i < 10; i++)
        v[i] = 0.1 * (i % 3);
    ck_assert_int_eq(sb_newton(10, 1, v, 1e-300, 0, err), SYM_ENUM);
    ck_assert_ptr_nonnull(strstr(err, "sb_newton"));
}
END_TEST

Suite *smallbeta_suite(void)
{
    Suite *s = suite_create("smallbeta");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_rhs_hand);
    tcase_add_test(tc, test_gradient_and_jacobian);
    tcase_add_test(tc, test_rotation_equivariance);
    tcase_add_test(tc, test_small_beta_limit_of_exact_flow);
    tcase_add_test(tc, test_fixed_point_N100);
    tcase_add_test(tc, test_two_units);
    tcase_add_test(tc, test_localise_three);
    tcase_add_test(tc, test_continuum_roots);
    tcase_add_test(tc, test_continuum_stability);
    tcase_add_test(tc, test_lattice_profile);
    tcase_add_test(tc, test_from_exact);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}
