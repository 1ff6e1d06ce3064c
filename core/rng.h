/* rng: seeded random streams and the shared initial-weight draw (SPEC.md 1).
 *
 * Every random draw in symrbm comes from a GSL generator made here from the
 * run's --seed and a stream number, so independent uses (initial weights,
 * training data, test data, Monte Carlo chains) never share a sequence and
 * adding draws to one stream never shifts another.  Theory and sim both call
 * rng_init_weights with the same seed, hence the same w(0).
 */
#ifndef SYM_RNG_H
#define SYM_RNG_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>

enum rng_stream {
    RNG_STREAM_INIT = 0,   /* initial weights w(0)                  */
    RNG_STREAM_DATA = 1,   /* training samples                      */
    RNG_STREAM_TEST = 2,   /* held-out samples                      */
    RNG_STREAM_TRAIN = 3,  /* minibatch order, Gibbs chains         */
    RNG_STREAM_AUX = 4,    /* anything else (bootstrap, sweeps)     */
    RNG_STREAM_REPLACE = 5, /* sim --sampling replace: row indices  */
    RNG_STREAM_ONLINE = 6  /* sim --sampling online: fresh samples  */
};

/* A mt19937 generator seeded from (seed, stream) through splitmix64, or NULL
 * when out of memory.  Free with gsl_rng_free. */
gsl_rng *rng_alloc(uint64_t seed, int stream);

/* The seed that rng_alloc(seed, stream) uses (exposed for tests and for
 * deriving per-task seeds in sweeps). */
uint64_t rng_derive(uint64_t seed, uint64_t stream);

/* w(0): w[mu*N + i] = s0 * z / sqrt(N), z iid standard normal drawn in the
 * order mu = 0..M-1, i = 0..N-1 from rng_alloc(seed, RNG_STREAM_INIT).
 * Returns 0, or -1 when out of memory. */
int rng_init_weights(uint64_t seed, size_t N, size_t M, double s0, double *w);

#endif
