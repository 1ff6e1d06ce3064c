/* Suite rmtxy: random-matrix thresholds of xy data (theory/rmt.h rmt_xy,
 * sim/lin.h lin_potts_*, SPEC.md 7 and 9).  C^ against a direct
 * O(B N^2 P^2) sum of centred one-hot products, the gauge, the fast top
 * eigenvector against the dense solver and a direct angular projection,
 * the population quantities against a dense diagonalisation of the exact
 * block-circulant C built from ring_potts_corr and the closed form of
 * Lambda_XY, and the product noise edge against null Potts data (iid
 * uniform states). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort_vector.h>

#include "compare/threshold.h"
#include "core/err.h"
#include "core/models.h"
#include "core/ring.h"
#include "core/rng.h"
#include "sim/lin.h"
#include "tests/suites.h"
#include "theory/rmt.h"

static ring_model *xy_model(size_t N, size_t P, double beta)
{
    char err[SYM_ERRLEN];
    ring_params p;
    ring_params_default(&p);
    p.type = &ring_xy;
    p.N = N;
    ck_assert_int_eq(ring_params_set(&p, "P", (double)P, err), SYM_OK);
    ck_assert_int_eq(ring_params_set(&p, "beta", beta, err), SYM_OK);
    ring_model *m;
    ck_assert_msg(ring_alloc(&m, &p, err) == SYM_OK, "%s", err);
    return m;
}

static int8_t *xy_samples(const ring_model *m, size_t B, uint64_t seed)
{
    char err[SYM_ERRLEN];
    int8_t *v = malloc(B * m->N);
    gsl_rng *r = rng_alloc(seed, RNG_STREAM_DATA);
    ck_assert(v && r);
    ck_assert_msg(ring_sample(m, r, B, v, err) == SYM_OK, "%s", err);
    gsl_rng_free(r);
    return v;
}

/* ---- C^ against the direct sum ---- */
START_TEST(test_corr_direct)
{
    enum { N = 4, P = 3, B = 7, NP = N * P };
    const int8_t v[B * N] = {0, 1, 2, 2, 1, 1, 0, 2, 2, 0, 0, 1, 0, 0, 0, 0,
                             2, 2, 1, 0, 1, 0, 2, 1, 0, 2, 1, 2};
    double C[NP * NP], D[NP * NP] = {0};
    char err[SYM_ERRLEN];
    ck_assert_msg(lin_potts_corr(v, N, P, B, C, err) == SYM_OK, "%s", err);
    for (size_t b = 0; b < B; b++)
        for (size_t i = 0; i < N; i++)
            for (size_t a = 0; a < P; a++)
                for (size_t j = 0; j < N; j++)
                    for (size_t c = 0; c < P; c++) {
                        double xi = (v[b * N + i] == (int8_t)a) - 1.0 / P;
                        double xj = (v[b * N + j] == (int8_t)c) - 1.0 / P;
                        D[(i * P + a) * NP + j * P + c] += xi * xj / B;
                    }
    for (size_t k = 0; k < NP * NP; k++)
        ck_assert_msg(fabs(C[k] - D[k]) <= 1e-15, "entry %zu: %.17g direct %.17g", k, C[k], D[k]);
    /* a state outside 0..P-1 is refused */
    int8_t bad[N] = {0, 1, 3, 0};
    ck_assert_int_eq(lin_potts_corr(bad, N, P, 1, C, err), SYM_EINVAL);
}
END_TEST

/* ---- the gauge: C^ kills every constant-per-site vector ---- */
START_TEST(test_gauge)
{
    const size_t N = 6, P = 5, B = 50, NP = N * P;
    ring_model *m = xy_model(N, P, 0.7);
    int8_t *v = xy_samples(m, B, 3);
    double *C = malloc(NP * NP * sizeof *C);
    char err[SYM_ERRLEN];
    ck_assert_msg(lin_potts_corr(v, N, P, B, C, err) == SYM_OK, "%s", err);
    double a[6] = {1.0, -2.0, 0.5, 3.0, 0.0, 7.0}, maxc = 0;
    for (size_t r = 0; r < NP; r++) {
        double s = 0;
        for (size_t j = 0; j < N; j++)
            for (size_t c = 0; c < P; c++)
                s += C[r * NP + j * P + c] * a[j];
        maxc = fmax(maxc, fabs(C[r * NP + r]));
        ck_assert_msg(fabs(s) <= 1e-14, "row %zu: C^ a = %g", r, s);
    }
    ck_assert(maxc > 0.1);   /* the matrix is not trivially zero */
    free(C);
    free(v);
    ring_free(m);
}
END_TEST

/* ---- the fast top eigenvector against the dense solver and a direct
 * projection on cos / sin(2 pi c / P), uniform in space ---- */
START_TEST(test_top_vs_dense)
{
    const size_t N = 12, P = 6, NP = N * P;
    const size_t Bs[] = {30, 400, 20000};
    ring_model *m = xy_model(N, P, 1.5);
    double *lam = malloc(NP * sizeof *lam), *u = malloc(NP * sizeof *u);
    double *u2 = malloc(NP * sizeof *u2);
    char err[SYM_ERRLEN];
    ck_assert_int_eq(ring_potts_spectrum(m, lam, err), SYM_OK);
    lin_potts *ws;
    ck_assert_msg(lin_potts_alloc(&ws, N, P, lam, err) == SYM_OK, "%s", err);
    for (size_t q = 0; q < 3; q++) {
        int8_t *v = xy_samples(m, Bs[q], 10 + q);
        lin_potts_result f, d;
        lin_potts_set_full(ws, 0);
        ck_assert_msg(lin_potts_top(ws, v, Bs[q], &f, u, err) == SYM_OK, "%s", err);
        lin_potts_set_full(ws, 1);
        ck_assert_msg(lin_potts_top(ws, v, Bs[q], &d, u2, err) == SYM_OK, "%s", err);
        ck_assert_msg(fabs(f.top - d.top) <= 1e-12 * d.top, "B %zu: top %.17g dense %.17g",
                      Bs[q], f.top, d.top);
        ck_assert_msg(fabs(f.ov_ang - d.ov_ang) <= 1e-8 && fabs(f.ov_spat - d.ov_spat) <= 1e-8 &&
                          fabs(f.ov_grow - d.ov_grow) <= 1e-8,
                      "B %zu: fast %g %g %g dense %g %g %g", Bs[q], f.ov_ang, f.ov_spat,
                      f.ov_grow, d.ov_ang, d.ov_spat, d.ov_grow);
        ck_assert(fabs(f.top_norm - f.top * P * P / (P - 1.0)) <= 1e-13 * f.top_norm);
        double a = 0, b = 0;
        for (size_t j = 0; j < N; j++)
            for (size_t c = 0; c < P; c++) {
                a += u[j * P + c] * cos(2 * M_PI * c / P);
                b += u[j * P + c] * sin(2 * M_PI * c / P);
            }
        /* p = 1 and p = P - 1 each carry (a^2 + b^2) / (N P) */
        double ang = 2 * (a * a + b * b) / NP;
        ck_assert_msg(fabs(f.ov_ang - ang) <= 1e-10, "B %zu: ov_ang %.15g direct %.15g", Bs[q],
                      f.ov_ang, ang);
        ck_assert(f.ov_ang + f.ov_spat <= f.ov_grow + 1e-12 && f.ov_grow <= 1 + 1e-12);
        free(v);
    }
    lin_potts_free(ws);
    free(lam);
    free(u);
    free(u2);
    ring_free(m);
}
END_TEST

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- population quantities against a dense diagonalisation of the exact
 * block-circulant C (ring_potts_corr) ---- */
START_TEST(test_population_dense)
{
    const size_t Ns[] = {7, 6}, Ps[] = {4, 5};
    const double betas[] = {0.8, 1.5};
    for (size_t q = 0; q < 2; q++) {
        size_t N = Ns[q], P = Ps[q], NP = N * P;
        ring_model *m = xy_model(N, P, betas[q]);
        char err[SYM_ERRLEN];
        gsl_matrix *C = gsl_matrix_alloc(NP, NP);
        gsl_vector *ev = gsl_vector_alloc(NP);
        gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(NP);
        double *blk = malloc(P * P * sizeof *blk), *lam = malloc(NP * sizeof *lam);
        double *sl = malloc(NP * sizeof *sl);
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < N; j++) {
                ck_assert_int_eq(ring_potts_corr(m, (j + N - i) % N, blk, err), SYM_OK);
                for (size_t a = 0; a < P; a++)
                    for (size_t c = 0; c < P; c++)
                        gsl_matrix_set(C, i * P + a, j * P + c, blk[a * P + c]);
            }
        ck_assert_int_eq(gsl_eigen_symm(C, ev, w), GSL_SUCCESS);
        gsl_sort_vector(ev);
        ck_assert_int_eq(ring_potts_spectrum(m, lam, err), SYM_OK);
        for (size_t k = 0; k < NP; k++)
            sl[k] = lam[k];
        qsort(sl, NP, sizeof *sl, cmp_dbl);
        size_t nzero = 0, ngrow = 0;
        for (size_t k = 0; k < NP; k++) {
            double e = gsl_vector_get(ev, k);
            ck_assert_msg(fabs(e - sl[k]) <= 1e-13, "N %zu P %zu: eigenvalue %zu dense %.17g "
                          "spectrum %.17g", N, P, k, e, sl[k]);
            nzero += fabs(e) <= 1e-13;
            ngrow += P * e > 1 + 1e-9;
        }
        /* the gauge: one zero per site */
        ck_assert_uint_eq(nzero, N);
        double top = gsl_vector_get(ev, NP - 1), second = gsl_vector_get(ev, NP - 2);
        ck_assert(fabs(top - second) <= 1e-12);   /* the (k = 0, p = +-1) pair */
        rmt_xy *x;
        ck_assert_msg(rmt_xy_alloc(&x, lam, N, P, err) == SYM_OK, "%s", err);
        rmt_xy_pred pr;
        ck_assert_msg(rmt_xy_predict(x, &pr, err) == SYM_OK, "%s", err);
        ck_assert_uint_eq(pr.n_ang, 2);
        ck_assert_uint_eq(pr.n_grow, ngrow);
        ck_assert(fabs(pr.lambda_max - top) <= 1e-13);
        ck_assert(fabs(pr.Lambda - top * P * P / (P - 1.0)) <= 1e-12 * pr.Lambda);
        double l = P * top, n = (double)(N * (P - 1));
        ck_assert(fabs(pr.Bc_bbp - n / ((l - 1) * (l - 1))) <= 1e-12 * pr.Bc_bbp);
        ck_assert(fabs(pr.Bc_paper - n / ((sqrt(l) - 1) * (sqrt(l) - 1))) <= 1e-12 * pr.Bc_paper);
        /* B -> 0 level of ov_ang: the top pair's share of the trace */
        ck_assert(fabs(pr.ang0 - 2 * l / n) <= 1e-13);
        rmt_xy_free(x);
        free(blk);
        free(lam);
        free(sl);
        gsl_matrix_free(C);
        gsl_vector_free(ev);
        gsl_eigen_symm_free(w);
        ring_free(m);
    }
}
END_TEST

/* ---- Lambda_XY against its closed form (SPEC.md 9): at N = 100 the
 * finite-ring corrections t_1^N are ~1e-9 ---- */
START_TEST(test_lambda_xy)
{
    const size_t N = 100, P = 10;
    const double beta = 1.5;
    ring_model *m = xy_model(N, P, beta);
    double *lam = malloc(N * P * sizeof *lam), l0 = 0, l1 = 0;
    char err[SYM_ERRLEN];
    ck_assert_int_eq(ring_potts_spectrum(m, lam, err), SYM_OK);
    for (size_t v = 0; v < P; v++) {
        double e = exp(beta * cos(2 * M_PI * v / P));
        l0 += e;
        l1 += e * cos(2 * M_PI * v / P);
    }
    double want = P / (P - 1.0) * (l0 + l1) / (l0 - l1);
    rmt_xy *x;
    ck_assert_msg(rmt_xy_alloc(&x, lam, N, P, err) == SYM_OK, "%s", err);
    rmt_xy_pred pr;
    ck_assert_msg(rmt_xy_predict(x, &pr, err) == SYM_OK, "%s", err);
    ck_assert_msg(fabs(pr.Lambda - want) <= 1e-7 * want, "Lambda_XY %.12g closed form %.12g",
                  pr.Lambda, want);
    ck_assert(fabs(want - 4.391) < 5e-4);   /* the paper's value */
    /* the predicted top eigenvalue tends to it as B -> infinity */
    rmt_xy_top t;
    ck_assert_int_eq(rmt_xy_eval(x, 1e12, &t, err), SYM_OK);
    ck_assert_msg(fabs(t.x_top_norm - want) <= 1e-4 * want, "x_top %g", t.x_top_norm);
    ck_assert(t.ov_ang > 0.999);
    rmt_xy_free(x);
    free(lam);
    ring_free(m);
}
END_TEST

/* ---- the product noise edge against null Potts data ---- */
START_TEST(test_noise_edge)
{
    const size_t N = 30, P = 5, NP = N * P, reps = 3;
    const size_t Bs[] = {480, 1920};   /* c = N (P-1) / B = 0.25, 0.0625 */
    char err[SYM_ERRLEN];
    /* beta = 0: every lambda_{k, p >= 1} = 1/P, the null spectrum */
    ring_model *m0 = xy_model(N, P, 0.0);
    double *lam = malloc(NP * sizeof *lam);
    ck_assert_int_eq(ring_potts_spectrum(m0, lam, err), SYM_OK);
    rmt_xy *x;
    ck_assert_msg(rmt_xy_alloc(&x, lam, N, P, err) == SYM_OK, "%s", err);
    lin_potts *ws;
    ck_assert_msg(lin_potts_alloc(&ws, N, P, lam, err) == SYM_OK, "%s", err);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 12345);
    for (size_t q = 0; q < 2; q++) {
        size_t B = Bs[q];
        double c = (double)(N * (P - 1)) / (double)B;
        double edge = P / (P - 1.0) * (1 + sqrt(c)) * (1 + sqrt(c));
        rmt_xy_top t;
        ck_assert_int_eq(rmt_xy_eval(x, (double)B, &t, err), SYM_OK);
        ck_assert_msg(fabs(t.edge_norm - edge) <= 1e-14 * edge, "edge %g", t.edge_norm);
        /* the full-spectrum machinery on the identity population is MP */
        ck_assert_msg(fabs(t.x_edge_norm - edge) <= 1e-9 * edge, "c %g: support edge %.12g, "
                      "MP %.12g", c, t.x_edge_norm, edge);
        /* the sum form of the misprinted eq. 31 is far off at c = 0.25 */
        double mean = 0;
        int8_t *v = malloc(B * N);
        for (size_t k = 0; k < reps; k++) {
            for (size_t i = 0; i < B * N; i++)
                v[i] = (int8_t)gsl_rng_uniform_int(r, P);
            lin_potts_result res;
            ck_assert_msg(lin_potts_top(ws, v, B, &res, NULL, err) == SYM_OK, "%s", err);
            mean += res.top_norm / reps;
        }
        free(v);
        /* at n = N (P-1) = 120 dimensions the top eigenvalue sits below the
         * edge by the Tracy-Widom (GOE) mean, -1.2065 scales of
         * (P/(P-1)) (1 + sqrt c)^{4/3} c^{-1/6} n^{-2/3} (0.11 at c = 1/4);
         * its sd is 1.27 scales, 0.73 for the mean of 3: allow 2 scales */
        double n = (double)(N * (P - 1));
        double tw = P / (P - 1.0) * pow(1 + sqrt(c), 4.0 / 3) * pow(c, -1.0 / 6) * pow(n, -2.0 / 3);
        ck_assert_msg(fabs(mean - (edge - 1.2065 * tw)) <= 2 * tw, "c %g: top %.4f, product edge "
                      "%.4f, TW scale %.4f", c, mean, edge, tw);
        ck_assert(fabs(mean - edge) <= 0.06 * edge);
        double sum_form = P / (P - 1.0) + (1 + sqrt(c)) * (1 + sqrt(c));
        ck_assert(fabs(mean - sum_form) > 0.2 * edge);
    }
    gsl_rng_free(r);
    lin_potts_free(ws);
    rmt_xy_free(x);
    free(lam);
    ring_free(m0);
}
END_TEST

/* ---- the predicted overlap against the measured one, well above the
 * angular threshold and near it (a second, independent method) ---- */
START_TEST(test_overlap_vs_sample)
{
    const size_t N = 20, P = 10, NP = N * P, seeds = 4;
    const size_t Bs[] = {400, 10000};
    ring_model *m = xy_model(N, P, 1.5);
    double *lam = malloc(NP * sizeof *lam);
    char err[SYM_ERRLEN];
    ck_assert_int_eq(ring_potts_spectrum(m, lam, err), SYM_OK);
    rmt_xy *x;
    ck_assert_msg(rmt_xy_alloc(&x, lam, N, P, err) == SYM_OK, "%s", err);
    lin_potts *ws;
    ck_assert_msg(lin_potts_alloc(&ws, N, P, lam, err) == SYM_OK, "%s", err);
    for (size_t q = 0; q < 2; q++) {
        double ang = 0, top = 0;
        for (size_t s = 0; s < seeds; s++) {
            int8_t *v = xy_samples(m, Bs[q], 100 + 10 * q + s);
            lin_potts_result res;
            ck_assert_msg(lin_potts_top(ws, v, Bs[q], &res, NULL, err) == SYM_OK, "%s", err);
            ang += res.ov_ang / seeds;
            top += res.top_norm / seeds;
            free(v);
        }
        rmt_xy_top t;
        ck_assert_int_eq(rmt_xy_eval(x, (double)Bs[q], &t, err), SYM_OK);
        ck_assert_msg(fabs(ang - t.ov_ang) <= 0.1, "B %zu: ov_ang %.4f predicted %.4f", Bs[q],
                      ang, t.ov_ang);
        ck_assert_msg(fabs(top - t.x_top_norm) <= 0.03 * t.x_top_norm,
                      "B %zu: top %.4f predicted %.4f", Bs[q], top, t.x_top_norm);
    }
    lin_potts_free(ws);
    rmt_xy_free(x);
    free(lam);
    ring_free(m);
}
END_TEST

/* ---- the data-only sweep's refusals ---- */
START_TEST(test_sweep_refusals)
{
    char err[SYM_ERRLEN];
    threshold_config c;
    threshold_config_default(&c);
    c.data_only = 1;
    c.scan = THRESHOLD_SCAN_BETA;
    ck_assert_int_eq(threshold_config_check(&c, err), SYM_EINVAL);
    c.scan = THRESHOLD_SCAN_B;
    ck_assert_msg(threshold_config_check(&c, err) == SYM_OK, "%s", err);
    traj_header h;
    traj_header_init(&h);
    /* bump (+-1 data) has no data-only sweep */
    ck_assert_int_eq(threshold_run(&c, &h, "/nonexistent-dir/x", err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "Potts") != NULL, "%s", err);
    traj_header_free(&h);
}
END_TEST

/* ---- a small data-only sweep end to end: files, values, resume ---- */
START_TEST(test_sweep_run)
{
    char dir[] = "/tmp/symrbm-rmtxy-XXXXXX", err[SYM_ERRLEN];
    ck_assert(mkdtemp(dir) != NULL);
    threshold_config c;
    threshold_config_default(&c);
    ck_assert_int_eq(ring_type_find("xy", &c.data.type, err), SYM_OK);
    c.data.N = 10;
    ck_assert_int_eq(ring_params_set(&c.data, "P", 4, err), SYM_OK);
    ck_assert_int_eq(ring_params_set(&c.data, "beta", 1.0, err), SYM_OK);
    c.data_only = 1;
    c.Bmin = 20;
    c.Bmax = 5000;
    c.points = 5;
    c.seeds = 2;
    c.jobs = 1;
    c.boot = 50;
    for (int pass = 0; pass < 2; pass++) {
        traj_header h;
        traj_header_init(&h);
        ck_assert_msg(threshold_run(&c, &h, dir, err) == SYM_OK, "%s", err);
        traj_header_free(&h);
        char p[512];
        snprintf(p, sizeof p, "%s/summary.tsv", dir);
        traj_header kv;
        traj_header_init(&kv);
        ck_assert_msg(traj_read_summary(p, &kv, err) == SYM_OK, "%s", err);
        const char *sr = traj_header_get(&kv, "tasks_run"), *sl = traj_header_get(&kv, "Lambda_xy");
        const char *sa = traj_header_get(&kv, "Bc_ang_rmt");
        ck_assert(sr && sl && sa);
        double run = atof(sr), Lxy = atof(sl);
        ck_assert(atof(sa) > 0);
        traj_header_free(&kv);
        ck_assert_msg(run == (pass == 0 ? 10 : 0), "pass %d: tasks_run %g", pass, run);
        ring_model *m = xy_model(10, 4, 1.0);
        double *lam = malloc(40 * sizeof *lam), top = 0;
        ck_assert_int_eq(ring_potts_spectrum(m, lam, err), SYM_OK);
        for (size_t k = 0; k < 40; k++)
            top = fmax(top, lam[k]);
        ck_assert(fabs(Lxy - top * 16 / 3.0) <= 1e-12 * Lxy);
        free(lam);
        ring_free(m);
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *rmtxy_suite(void)
{
    Suite *s = suite_create("rmtxy");
    TCase *tc = tcase_create("exact");
    tcase_add_test(tc, test_corr_direct);
    tcase_add_test(tc, test_gauge);
    tcase_add_test(tc, test_top_vs_dense);
    tcase_add_test(tc, test_population_dense);
    tcase_add_test(tc, test_lambda_xy);
    tcase_add_test(tc, test_sweep_refusals);
    suite_add_tcase(s, tc);
    TCase *ts = tcase_create("sampled");
    tcase_set_timeout(ts, 120);
    tcase_add_test(ts, test_noise_edge);
    tcase_add_test(ts, test_overlap_vs_sample);
    tcase_add_test(ts, test_sweep_run);
    suite_add_tcase(s, ts);
    return s;
}
