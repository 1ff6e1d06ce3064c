/* Suite kern_sim: the trainer kernels added for issue 9's speed acceptance
 * (sim/kern_sim.c): the int8 and float variants of the products and the
 * 32-bit uniforms against the kernels they replace, bit for bit; the lanes
 * Gibbs kernel's pieces (vector bit-sliced draws against the scalar ones
 * lane by lane, product tables against exp of plain sums) and its PCD model
 * term against exact enumeration (train_enum) and the exact M = 1 term. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

#include "core/err.h"
#include "core/rng.h"
#include "core/unit.h"
#include "sim/kern_sim.h"
#include "sim/train.h"
#include "tests/suites.h"

/* The data-term int8 kernels and the float Gibbs path's float/uint32
 * kernels against kern_sim_to_double + the double kernels and the double
 * uniforms: memcmp, every N/M/row remainder. */
START_TEST(test_bitwise_variants)
{
    gsl_rng *r = rng_alloc(41, RNG_STREAM_AUX);
    const size_t Ns[] = {1, 3, 15, 16, 17, 37, 100, 101, 1000};
    for (size_t a = 0; a < sizeof Ns / sizeof Ns[0]; a++) {
        size_t N = Ns[a];
        for (size_t M = 1; M <= 9; M++)
            for (size_t nr = 1; nr <= 33; nr += nr < 9 ? 1 : 8) {
                double *w = malloc(M * N * sizeof *w), *X = malloc(nr * N * sizeof *X);
                double *H = malloc(nr * M * sizeof *H), *I1 = malloc(nr * M * sizeof *I1);
                double *I2 = malloc(nr * M * sizeof *I2), *a1 = malloc(M * N * sizeof *a1);
                double *a2 = malloc(M * N * sizeof *a2), *sc = malloc(2 * N * sizeof *sc);
                float *Xf = malloc(nr * N * sizeof *Xf);
                int8_t *x8 = malloc(nr * N);
                for (size_t k = 0; k < M * N; k++) {
                    w[k] = gsl_ran_gaussian(r, 1.0);
                    a1[k] = a2[k] = gsl_rng_uniform(r);
                }
                for (size_t k = 0; k < nr * N; k++)
                    x8[k] = gsl_rng_uniform(r) < 0.5 ? -1 : 1;
                for (size_t k = 0; k < nr * M; k++)
                    H[k] = gsl_ran_gaussian(r, 1.0);
                kern_sim_to_double(nr * N, x8, X);
                kern_sim_inputs_block(N, M, nr, w, X, I1);
                kern_sim_inputs_block_i8(N, M, nr, w, x8, sc, I2);
                ck_assert_msg(!memcmp(I1, I2, nr * M * sizeof *I1), "inputs_i8 N %zu M %zu nr %zu",
                              N, M, nr);
                kern_sim_outer(N, M, nr, H, X, a1);
                kern_sim_outer_i8(N, M, nr, H, x8, a2);
                ck_assert_msg(!memcmp(a1, a2, M * N * sizeof *a1), "outer_i8 N %zu M %zu nr %zu",
                              N, M, nr);
                /* float rows: arbitrary floats (E[v|h]), widened exactly */
                for (size_t k = 0; k < nr * N; k++) {
                    Xf[k] = (float)(2.0 * gsl_rng_uniform(r) - 1.0);
                    X[k] = (double)Xf[k];
                }
                kern_sim_outer(N, M, nr, H, X, a1);
                kern_sim_outer_f(N, M, nr, H, Xf, a2);
                ck_assert_msg(!memcmp(a1, a2, M * N * sizeof *a1), "outer_f N %zu M %zu nr %zu",
                              N, M, nr);
                kern_sim_colsum(N, nr, X, a1);
                kern_sim_colsum_f(N, nr, Xf, a2);
                ck_assert(!memcmp(a1, a2, N * sizeof *a1));
                free(w); free(X); free(H); free(I1); free(I2); free(a1); free(a2); free(sc);
                free(Xf); free(x8);
            }
    }
    /* uniforms: the same stream as integers, the visible half-step and the
     * spin draws on them the same as on the doubles */
    kern_sim_rng q1, q2;
    kern_sim_rng_seed(&q1, r);
    q2 = q1;
    enum { NU = 4096 };
    double *ud = malloc(NU * sizeof *ud);
    uint32_t *ui = malloc(NU * sizeof *ui);
    kern_sim_uniform(&q1, ud, NU);
    kern_sim_uniform32(&q2, ui, NU);
    for (size_t k = 0; k < NU; k++)
        ck_assert(ud[k] == (double)ui[k] * 0x1p-32);
    ck_assert(!memcmp(&q1, &q2, sizeof q1));
    for (size_t M = 1; M <= 9; M++) {
        size_t N = 301;
        float *w = malloc(M * N * sizeof *w), g[301], s1[301], s2[301];
        double h[9], f[301], I[9], h1[9], h2[9];
        int8_t x1[301], x2[301];
        for (size_t k = 0; k < M * N; k++)
            w[k] = (float)(0.3 * gsl_ran_gaussian(r, 1.0));
        for (size_t i = 0; i < N; i++)
            g[i] = (float)(0.2 * gsl_ran_gaussian(r, 1.0));
        for (size_t mu = 0; mu < M; mu++) {
            h[mu] = gsl_rng_uniform(r) < 0.5 ? -1.0 : 1.0;
            I[mu] = gsl_ran_gaussian(r, 1.5);
        }
        for (int withg = 0; withg < 2; withg++) {
            kern_sim_visible_f(N, M, w, withg ? g : NULL, h, ud, x1, s1, f);
            kern_sim_visible_f32(N, M, w, withg ? g : NULL, h, ui, x2, s2);
            ck_assert_msg(!memcmp(x1, x2, N), "visible_f32 draws M %zu", M);
            for (size_t i = 0; i < N; i++)
                ck_assert_msg(f[i] == (double)s2[i], "visible_f32 E[v|h] M %zu site %zu", M, i);
        }
        kern_sim_spin_draw(M, 0.1, I, ud + 7, h1);
        kern_sim_spin_draw32(M, 0.1, I, ui + 7, h2);
        ck_assert(!memcmp(h1, h2, M * sizeof *h1));
        free(w);
    }
    free(ud);
    free(ui);
    gsl_rng_free(r);
}
END_TEST

/* kern_sim_planes against its definition; kern_sim_bern64_lanes against
 * kern_sim_bern64 lane by lane (the lane's words gathered, its own planes,
 * thresholds including the edge values 0, 1, 2^31, 2^32 - 1); the product
 * tables against exp(-4 sum) of plain sums. */
START_TEST(test_lanes_pieces)
{
    gsl_rng *r = rng_alloc(42, RNG_STREAM_AUX);
    for (int trial = 0; trial < 400; trial++) {
        size_t ncfg = (size_t)1 << (1 + trial % 4), n = trial % 3 ? 64 : 1 + trial % 64;
        uint64_t planes[16 * KERN_SIM_PLANES], rr[KERN_SIM_LANES * KERN_SIM_PLANES];
        for (size_t c = 0; c < ncfg; c++) {
            uint32_t t[64];
            for (size_t l = 0; l < 64; l++) {
                unsigned e = (unsigned)gsl_rng_uniform_int(r, 6);
                t[l] = e == 0 ? 0 : e == 1 ? 1 : e == 2 ? 0x80000000u : e == 3 ? UINT32_MAX
                                                                          : (uint32_t)gsl_rng_get(r);
            }
            kern_sim_planes(n, t, planes + c * KERN_SIM_PLANES);
            for (int k = 0; k < KERN_SIM_PLANES; k++)
                for (size_t l = 0; l < 64; l++)
                    ck_assert(((planes[c * KERN_SIM_PLANES + k] >> l) & 1) ==
                              (l < n ? (t[l] >> (31 - k)) & 1 : 0));
        }
        for (size_t k = 0; k < KERN_SIM_LANES * KERN_SIM_PLANES; k++)
            rr[k] = ((uint64_t)gsl_rng_get(r) << 32) ^ (uint64_t)gsl_rng_get(r);
        uint8_t cfg[KERN_SIM_LANES];
        uint64_t lm[KERN_SIM_LANES], out[KERN_SIM_LANES];
        uint64_t mask = n == 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
        for (size_t l = 0; l < KERN_SIM_LANES; l++) {
            cfg[l] = (uint8_t)gsl_rng_uniform_int(r, ncfg);
            lm[l] = l == 5 && trial % 2 ? 0 : mask;   /* an idle lane */
        }
        size_t used = kern_sim_bern64_lanes(ncfg, planes, KERN_SIM_PLANES, cfg, lm, rr, out);
        size_t most = KERN_SIM_BERN_FIRST;
        for (size_t l = 0; l < KERN_SIM_LANES; l++) {
            uint64_t mine[KERN_SIM_PLANES];
            for (int k = 0; k < KERN_SIM_PLANES; k++)
                mine[k] = rr[KERN_SIM_LANES * k + l];
            size_t u1;
            uint64_t want = kern_sim_bern64(planes + cfg[l] * KERN_SIM_PLANES, lm[l], mine, &u1);
            ck_assert_msg(out[l] == want, "trial %d lane %zu", trial, l);
            most = u1 > most ? u1 : most;
        }
        /* every lane's words, and no more: the longest lane's count */
        ck_assert_msg(used == most, "trial %d: used %zu, longest lane %zu", trial, used, most);
    }
    size_t N = 70, nbyte = (N + 7) / 8;
    double w[70], P[9 * 256];
    for (size_t i = 0; i < N; i++)
        w[i] = 0.7 * gsl_ran_gaussian(r, 1.0);
    kern_sim_prod_table(N, w, P);
    for (int trial = 0; trial < 500; trial++) {
        uint8_t v[9] = {0};
        double s = 0.0;
        for (size_t i = 0; i < N; i++)
            if (gsl_rng_uniform(r) < 0.5) {
                v[i / 8] |= (uint8_t)(1u << (i % 8));
                s += w[i];
            }
        double want = exp(-4.0 * s), got = kern_sim_byte_prod(nbyte, P, v);
        ck_assert_msg(fabs(got / want - 1.0) < 1e-13, "byte_prod %.17g vs %.17g", got, want);
    }
    gsl_rng_free(r);
}
END_TEST

/* The lanes PCD model term at stationarity (fixed w, g; 2001 chains: a
 * partial last group) against the exact one: N = 8, M = 2 and N = 10,
 * M = 3 by enumeration, N = 70 (two words, a partial one), M = 1 by the
 * exact term; within 5 standard errors of the mean over K updates, for
 * <v h> and <v>.  And what lanes refuses. */
START_TEST(test_lanes_pcd_vs_exact)
{
    char err[SYM_ERRLEN];
    for (int pass = 0; pass < 3; pass++) {
        size_t N = pass == 2 ? 70 : pass ? 10 : 8, M = pass == 2 ? 1 : pass ? 3 : 2;
        size_t B = 10, K = 30;
        double w[210], g[70], mw[210], mg[70], rw[210], rg[70], s1[280] = {0}, s2[280] = {0};
        int8_t v[700];
        gsl_rng *ra = rng_alloc(51 + (uint64_t)pass, RNG_STREAM_AUX);
        for (size_t k = 0; k < M * N; k++)
            w[k] = (pass == 2 ? 0.15 : 0.35) * gsl_ran_gaussian(ra, 1.0);
        for (size_t i = 0; i < N; i++)
            g[i] = 0.3 * gsl_ran_gaussian(ra, 1.0);
        for (size_t k = 0; k < B * N; k++)
            v[k] = gsl_rng_uniform(ra) < 0.6 ? 1 : -1;
        gsl_rng_free(ra);
        train_config c = {0};
        c.N = N; c.M = M; unit_params_default(&c.unit, &unit_spin);
        c.unit.theta_p = 0.2;
        c.term = TRAIN_PCD; c.chains = 2001; c.mc_steps = 30; c.opt = TRAIN_SGD; c.lr = 0.01;
        c.gibbs = TRAIN_GIBBS_LANES; c.learn_fields = 1;
        gsl_rng *r = rng_alloc(61 + (uint64_t)pass, RNG_STREAM_TRAIN);
        train_ws *ws;
        ck_assert_int_eq(train_alloc(&ws, &c, v, B, r, err), SYM_OK);
        ck_assert_int_eq(train_model_term(ws, w, g, NULL, B, r, mw, mg, err), SYM_OK);
        for (size_t k = 0; k < K; k++) {
            ck_assert_int_eq(train_model_term(ws, w, g, NULL, B, r, mw, mg, err), SYM_OK);
            for (size_t q = 0; q < M * N + N; q++) {
                double x = q < M * N ? mw[q] : mg[q - M * N];
                s1[q] += x;
                s2[q] += x * x;
            }
        }
        train_free(ws);
        if (pass == 2) {
            train_config e = c;
            e.term = TRAIN_EXACT; e.gibbs = TRAIN_GIBBS_FLOAT;
            train_ws *we;
            ck_assert_int_eq(train_alloc(&we, &e, v, B, r, err), SYM_OK);
            ck_assert_int_eq(train_model_term(we, w, g, NULL, B, r, rw, rg, err), SYM_OK);
            train_free(we);
        } else {
            ck_assert_int_eq(train_enum(N, M, &c.unit, w, g, NULL, rw, rg, err), SYM_OK);
        }
        for (size_t q = 0; q < M * N + N; q++) {
            double m = s1[q] / K, var = (s2[q] / K - m * m) * K / (K - 1);
            double se = sqrt(var / K), ex = q < M * N ? rw[q] : rg[q - M * N];
            ck_assert_msg(fabs(m - ex) <= 5 * se + 1e-12,
                          "N %zu M %zu [%zu]: lanes %.6g vs exact %.6g (SE %.2g)", N, M, q, m, ex, se);
        }
        gsl_rng_free(r);
    }
    train_config c = {0};
    c.N = 8; c.M = 5; unit_params_default(&c.unit, &unit_spin); c.term = TRAIN_PCD;
    c.chains = 10; c.mc_steps = 1; c.lr = 0.1; c.gibbs = TRAIN_GIBBS_LANES;
    ck_assert_int_eq(train_config_check(&c, err), SYM_EINVAL);   /* M <= 4 */
    c.M = 4;
    ck_assert_int_eq(train_config_check(&c, err), SYM_OK);
    c.term = TRAIN_CD;
    ck_assert_int_eq(train_config_check(&c, err), SYM_EINVAL);
    c.term = TRAIN_PCD; unit_params_default(&c.unit, &unit_gaussian);
    ck_assert_int_eq(train_config_check(&c, err), SYM_EINVAL);
    ck_assert_str_eq(train_gibbs_name(TRAIN_GIBBS_LANES), "lanes");
    train_gibbs gb;
    ck_assert_int_eq(train_gibbs_parse("lanes", &gb, err), SYM_OK);
    ck_assert(gb == TRAIN_GIBBS_LANES);
}
END_TEST

Suite *kern_sim_suite(void)
{
    Suite *s = suite_create("kern_sim");
    TCase *tc = tcase_create("kern_sim");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_bitwise_variants);
    tcase_add_test(tc, test_lanes_pieces);
    tcase_add_test(tc, test_lanes_pcd_vs_exact);
    suite_add_tcase(s, tc);
    return s;
}
