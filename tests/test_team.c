/* Tests of core/team (the thread team of the trainer's --threads) and of
 * its one promise to the trainer: sim/train.c with T >= 2 threads gives
 * the numbers of one thread, bit for bit, for every split it makes
 * (minibatch and full batch, several chunks of rows and of chains, odd N
 * and chain counts, the int8 and the widened data paths, and the kinds
 * whose model term stays on one thread). */
#include <check.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gsl/gsl_randist.h>

#include "core/err.h"
#include "core/rng.h"
#include "core/team.h"
#include "core/unit.h"
#include "sim/train.h"
#include "tests/suites.h"

typedef struct {
    atomic_size_t hits[8];
    size_t run;
    size_t seen[8];
} count_ctx;

static void count_fn(void *arg, size_t t, size_t T)
{
    count_ctx *c = arg;
    ck_assert(t < T);
    atomic_fetch_add(&c->hits[t], 1);
    c->seen[t] = c->run;   /* each member its own slot: no race */
}

/* Every member runs exactly once per team_run and before it returns, over
 * many runs in a row and after pauses long enough that members sleep. */
START_TEST(test_fork_join)
{
    char err[SYM_ERRLEN];
    for (size_t T = 2; T <= 3; T++) {
        team *tm;
        ck_assert_int_eq(team_alloc(&tm, T, err), SYM_OK);
        ck_assert_uint_eq(team_size(tm), T);
        count_ctx c;
        memset(&c, 0, sizeof c);
        size_t R = 4000;
        for (c.run = 1; c.run <= R; c.run++) {
            team_run(tm, count_fn, &c);
            for (size_t t = 0; t < T; t++)
                ck_assert_msg(c.seen[t] == c.run, "T %zu run %zu: member %zu did not run", T, c.run, t);
            if (c.run % 1000 == 0) {
                struct timespec ts = {0, 20 * 1000 * 1000};   /* members go to sleep */
                nanosleep(&ts, NULL);
            }
        }
        for (size_t t = 0; t < T; t++)
            ck_assert_uint_eq(atomic_load(&c.hits[t]), R);
        team_free(tm);
    }
    team *tm;
    ck_assert_int_ne(team_alloc(&tm, 1, err), SYM_OK);
    ck_assert_int_ne(team_alloc(&tm, TEAM_MAX + 1, err), SYM_OK);
    team_free(NULL);
}
END_TEST

typedef struct {
    size_t N, M, B, batch, chains, mc;
    train_term term;
    const unit_type *kind;
    int fields;
    train_sampling sampling;
    train_estimate est;
    size_t K;
    int sgd;     /* SGD instead of ADAM */
} tcase;

/* w and g after K updates with `threads` threads. */
static void train_with(const tcase *tc, size_t threads, double *w, double *g, double *ll)
{
    size_t N = tc->N, M = tc->M, B = tc->B;
    gsl_rng *a = rng_alloc(77, RNG_STREAM_AUX);
    int8_t *v = malloc(B * N);
    for (size_t k = 0; k < M * N; k++)
        w[k] = 0.3 * gsl_ran_gaussian(a, 1.0);
    for (size_t i = 0; i < N; i++)
        g[i] = 0.2 * gsl_ran_gaussian(a, 1.0);
    for (size_t k = 0; k < B * N; k++)
        v[k] = gsl_rng_uniform(a) < 0.55 ? 1 : -1;
    gsl_rng_free(a);
    train_config c = {0};
    c.N = N;
    c.M = M;
    unit_params_default(&c.unit, tc->kind);
    c.unit.theta_p = c.unit.theta_m = tc->kind->binary ? 0.1 : 0.0;
    c.learn_fields = tc->fields;
    c.l2 = 0.002;
    c.term = tc->term;
    c.chains = tc->chains;
    c.mc_steps = tc->mc;
    c.opt = tc->sgd ? TRAIN_SGD : TRAIN_ADAM;
    c.lr = tc->sgd ? 0.05 : 0.01;
    c.batch = tc->batch;
    c.sampling = tc->sampling;
    c.sampling_seed = 3;
    c.estimate = tc->est;
    c.threads = threads;
    char err[SYM_ERRLEN];
    gsl_rng *r = rng_alloc(5, RNG_STREAM_TRAIN);
    train_ws *ws;
    ck_assert_msg(train_alloc(&ws, &c, v, B, r, err) == SYM_OK, "train_alloc: %s", err);
    ck_assert_msg(train_run(ws, tc->K, NULL, 0, w, g, r, NULL, NULL, err) == SYM_OK,
                  "train_run: %s", err);
    ck_assert_msg(train_loglik(ws, w, g, v, B, ll, err) == SYM_OK, "train_loglik: %s", err);
    train_free(ws);
    gsl_rng_free(r);
    free(v);
}

START_TEST(test_threads_same_numbers)
{
    const tcase cases[] = {
        /* N < 256 (widened rows), odd N, minibatch, PCD on the team */
        {37, 5, 300, 100, 100, 1, TRAIN_PCD, &unit_spin, 1, TRAIN_EPOCH, TRAIN_EST_VMEAN, 12, 0},
        {37, 5, 300, 100, 100, 1, TRAIN_PCD, &unit_spin, 1, TRAIN_EPOCH, TRAIN_EST_VMEAN, 12, 1},
        /* int8 rows, full batch over two chunks, chains over two chunks, 3 steps */
        {300, 3, 600, 0, 300, 3, TRAIN_PCD, &unit_spin, 0, TRAIN_EPOCH, TRAIN_EST_VMEAN, 4, 0},
        {300, 3, 600, 0, 300, 3, TRAIN_PCD, &unit_spin, 1, TRAIN_EPOCH, TRAIN_EST_VMEAN, 4, 1},
        /* odd chain count, M = 1, sampling with replacement */
        {513, 1, 200, 50, 33, 2, TRAIN_PCD, &unit_spin, 1, TRAIN_REPLACE, TRAIN_EST_VMEAN, 10, 1},
        /* the log-likelihood of M >= 2 binary units beyond enumeration (2^M sum) */
        {400, 4, 333, 111, 50, 1, TRAIN_PCD, &unit_spin, 1, TRAIN_EPOCH, TRAIN_EST_VMEAN, 3, 0},
        /* minibatch larger than a chunk */
        {64, 2, 1000, 700, 64, 1, TRAIN_PCD, &unit_spin, 0, TRAIN_EPOCH, TRAIN_EST_VMEAN, 4, 0},
        /* the model term on one thread: CD, h-mean, exact, relu, gaussian */
        {20, 2, 100, 10, 0, 1, TRAIN_CD, &unit_relu, 1, TRAIN_EPOCH, TRAIN_EST_VMEAN, 20, 0},
        {64, 4, 200, 40, 40, 2, TRAIN_PCD, &unit_spin, 1, TRAIN_EPOCH, TRAIN_EST_HMEAN, 10, 0},
        {50, 1, 100, 25, 0, 1, TRAIN_EXACT, &unit_gaussian, 0, TRAIN_EPOCH, TRAIN_EST_VMEAN, 20, 0},
        {41, 3, 90, 30, 20, 1, TRAIN_PCD, &unit_gaussian, 1, TRAIN_EPOCH, TRAIN_EST_VMEAN, 10, 0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const tcase *tc = &cases[k];
        size_t MN = tc->M * tc->N;
        double *w1 = malloc(MN * sizeof *w1), *g1 = malloc(tc->N * sizeof *g1);
        double *wt = malloc(MN * sizeof *wt), *gt = malloc(tc->N * sizeof *gt);
        double ll1, llt;
        train_with(tc, 1, w1, g1, &ll1);
        for (size_t T = 2; T <= 3; T++) {
            train_with(tc, T, wt, gt, &llt);
            ck_assert_msg((isnan(ll1) && isnan(llt)) || !memcmp(&ll1, &llt, sizeof ll1),
                          "case %zu, %zu threads: loglik %.17g vs %.17g", k, T, ll1, llt);
            size_t diff = 0;
            for (size_t q = 0; q < MN; q++)
                diff += memcmp(&w1[q], &wt[q], sizeof(double)) != 0;
            ck_assert_msg(diff == 0, "case %zu (N %zu M %zu), %zu threads: %zu of %zu weights differ "
                          "(w[0] %.17g vs %.17g)", k, tc->N, tc->M, T, diff, MN, w1[0], wt[0]);
            ck_assert_msg(!memcmp(g1, gt, tc->N * sizeof *g1), "case %zu, %zu threads: fields differ",
                          k, T);
        }
        free(w1);
        free(g1);
        free(wt);
        free(gt);
    }
}
END_TEST

Suite *team_suite(void)
{
    Suite *s = suite_create("team");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_fork_join);
    tcase_add_test(tc, test_threads_same_numbers);
    suite_add_tcase(s, tc);
    return s;
}
