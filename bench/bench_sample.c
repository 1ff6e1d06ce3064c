/* bench_sample: wall time of the exact samplers (SPEC.md 2; target of the
 * sampler issue: 10^4 ising configurations at N = 1000, beta = 1 well under
 * 0.1 s).  Best of 5 repetitions per case, sampling only (no file output);
 * also the raw cost of the 32-bit mt19937 draws the sampler needs (one per
 * spin), which bounds it from below.  Usage: bench_sample [reps]. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/err.h"
#include "core/ring.h"
#include "core/rng.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* key and value: the model's parameter shown in the report (others at
 * their defaults) */
static int bench(const char *data, size_t N, const char *key, double val, size_t B, int reps)
{
    char err[SYM_ERRLEN];
    ring_params p;
    ring_params_default(&p);
    if (ring_type_find(data, &p.type, err) || ring_params_set(&p, key, val, err))
        return fprintf(stderr, "bench_sample: %s\n", err), 1;
    p.N = N;
    ring_model *m;
    if (ring_alloc(&m, &p, err))
        return fprintf(stderr, "bench_sample: %s\n", err), 1;
    int8_t *v = malloc(B * N);
    gsl_rng *r = rng_alloc(1, RNG_STREAM_DATA);
    if (!v || !r)
        return fprintf(stderr, "bench_sample: out of memory\n"), 1;
    double best = 1e300;
    long sum = 0;
    for (int k = 0; k < reps; k++) {
        double t0 = now();
        if (ring_sample(m, r, B, v, err))
            return fprintf(stderr, "bench_sample: %s\n", err), 1;
        double dt = now() - t0;
        best = dt < best ? dt : best;
        sum += v[B * N - 1];   /* keep the work observable */
    }
    /* the floor: one raw generator call per spin */
    double t0 = now();
    unsigned long acc = 0;
    for (size_t k = 0; k < B * N; k++)
        acc += gsl_rng_get(r);
    double raw = now() - t0;
    volatile unsigned long sink = acc + (unsigned long)sum;   /* keep the loops */
    (void)sink;
    printf("%-6s N=%-5zu %s=%-4g B=%zu  best of %d: %.4f s  (%.2f ns/spin; %zu raw draws %.4f s)\n",
           data, N, key, val, B, reps, best, 1e9 * best / (double)(B * N), B * N, raw);
    gsl_rng_free(r);
    free(v);
    ring_free(m);
    return 0;
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    if (reps < 1)
        reps = 5;
    int st = 0;
    st |= bench("ising", 1000, "beta", 1.0, 10000, reps);
    st |= bench("ising", 100, "beta", 1.0, 10000, reps);
    st |= bench("bump", 1000, "eps", 0.1, 10000, reps);
    st |= bench("ising2", 1000, "beta2", -0.5, 10000, reps);
    return st ? 2 : 0;
}
