/* bench_sim: wall times of the simulator benchmarks of issue 3 (training only,
 * data drawn beforehand): PGM-equivalent PCD runs (N = 100 and 1000, M = 5,
 * 10^4 samples, batch 100, 100 chains, 1 Gibbs step, ADAM, 20 epochs; spin
 * and gaussian hidden units) and the exact-model-term acceptance run (N = 100,
 * B = 10^5, gaussian, SGD lr 0.01, full batch, 4000 updates). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/err.h"
#include "core/ring.h"
#include "core/rng.h"
#include "sim/train.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bench(const char *name, size_t N, size_t M, unit_kind kind, train_term term,
                 train_opt opt, size_t B, size_t batch, size_t K, double lr)
{
    char err[SYM_ERRLEN];
    ring_params rp;
    ring_params_default(&rp);
    rp.N = N;
    ring_model *m;
    if (ring_alloc(&m, &rp, err))
        return fprintf(stderr, "bench_sim: %s\n", err), 1;
    int8_t *v = malloc(B * N);
    gsl_rng *rd = rng_alloc(1, RNG_STREAM_DATA), *rt = rng_alloc(1, RNG_STREAM_TRAIN);
    double *w = malloc(M * N * sizeof *w), *g = calloc(N, sizeof *g);
    if (!v || !rd || !rt || !w || !g || ring_sample(m, rd, B, v, err) || rng_init_weights(1, N, M, 0.01, w))
        return fprintf(stderr, "bench_sim: setup failed %s\n", err), 1;
    train_config c = {0};
    c.N = N; c.M = M; unit_params_default(&c.unit, kind); c.term = term; c.chains = 100;
    c.mc_steps = 1; c.opt = opt; c.lr = lr; c.batch = batch;
    train_ws *ws;
    double t0 = now();
    if (train_alloc(&ws, &c, v, B, rt, err) || train_run(ws, K, NULL, 0, w, g, rt, NULL, NULL, err))
        return fprintf(stderr, "bench_sim: %s\n", err), 1;
    double t1 = now();
    printf("%-52s %8.3f s  (%zu updates)\n", name, t1 - t0, K);
    train_free(ws);
    ring_free(m);
    gsl_rng_free(rd);
    gsl_rng_free(rt);
    free(v); free(w); free(g);
    return 0;
}

int main(void)
{
    int st = 0;
    /* 20 epochs of 10^4 samples in batches of 100: 2000 updates */
    st |= bench("pcd N=100 M=5 spin adam (PGM 0.99 s)", 100, 5, UNIT_SPIN, TRAIN_PCD, TRAIN_ADAM, 10000, 100, 2000, 0.01);
    st |= bench("pcd N=100 M=5 gaussian adam (PGM 1.45 s)", 100, 5, UNIT_GAUSSIAN, TRAIN_PCD, TRAIN_ADAM, 10000, 100, 2000, 0.01);
    st |= bench("pcd N=1000 M=5 spin adam (PGM 5.6 s)", 1000, 5, UNIT_SPIN, TRAIN_PCD, TRAIN_ADAM, 10000, 100, 2000, 0.01);
    st |= bench("exact N=100 B=1e5 gaussian sgd full batch T=40", 100, 1, UNIT_GAUSSIAN, TRAIN_EXACT, TRAIN_SGD, 100000, 0, 4000, 0.01);
    return st;
}
