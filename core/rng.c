#include "core/rng.h"

#include <math.h>
#include <gsl/gsl_randist.h>

uint64_t rng_derive(uint64_t seed, uint64_t stream)
{
    /* splitmix64 of seed mixed with the stream number: nearby seeds and
     * streams give unrelated generator states. */
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

gsl_rng *rng_alloc(uint64_t seed, int stream)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return NULL;
    /* mt19937 takes 32 bits of seed; fold the 64 so both halves count. */
    uint64_t s = rng_derive(seed, (uint64_t)stream);
    unsigned long s32 = (unsigned long)((s ^ (s >> 32)) & 0xffffffffULL);
    gsl_rng_set(r, s32 ? s32 : 4357UL);
    return r;
}

int rng_init_weights(uint64_t seed, size_t N, size_t M, double s0, double *w)
{
    gsl_rng *r = rng_alloc(seed, RNG_STREAM_INIT);
    if (!r)
        return -1;
    double scale = s0 / sqrt((double)N);
    for (size_t mu = 0; mu < M; mu++)
        for (size_t i = 0; i < N; i++)
            w[mu * N + i] = scale * gsl_ran_gaussian_ziggurat(r, 1.0);
    gsl_rng_free(r);
    return 0;
}
