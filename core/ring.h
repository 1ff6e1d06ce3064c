/* ring: translation-invariant data models on a ring of N spins (SPEC.md 2).
 *
 * Each model gives its exact two-point function C(r) = <v_i v_{i+r}>, the
 * spectrum lambda_k = sum_r C(r) exp(-2 pi i k r / N) (real), the exact
 * entropy where known, and an exact sampler (no Markov chain).
 */
#ifndef SYM_RING_H
#define SYM_RING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <gsl/gsl_rng.h>

typedef enum { RING_ISING = 0, RING_BUMP = 1 } ring_kind;

typedef struct {
    ring_kind kind;
    size_t N;
    double beta;   /* ising coupling, >= 0                         */
    double rho;    /* bump width fraction, L = round(rho N), (0,1) */
    double eps;    /* bump flip noise, in [0, 1/2]                 */
} ring_params;

typedef struct {
    ring_params p;
    size_t L;          /* bump: block length round(rho N); ising: 0          */
    double *C;         /* C[r], r = 0..N-1                                    */
    double *lambda;    /* lambda[k], k = 0..N-1                               */
    double mean;       /* <v_i> (same for all i)                              */
    double entropy;    /* exact S_data (nats), NAN where not known            */
    double logZ;       /* ising: log Z of the periodic chain; NAN otherwise   */
} ring_model;

/* Defaults: ising, N = 100, beta = 1, rho = 0.5, eps = 0.1. */
void ring_params_default(ring_params *p);

/* Check parameters; on failure a message naming the parameter, SYM_EINVAL. */
int ring_params_check(const ring_params *p, char *err);

/* Name <-> kind ("ising", "bump"). */
const char *ring_kind_name(ring_kind k);
int ring_kind_parse(const char *s, ring_kind *k, char *err);

/* Build the model: checks p, fills C, lambda, mean, entropy.  For bump the
 * spectrum comes from an FFTW_ESTIMATE plan made here: FFTW planning is not
 * thread-safe, so do not call ring_alloc from several threads at once. */
int ring_alloc(ring_model **out, const ring_params *p, char *err);
void ring_free(ring_model *m);

/* Write the model's "# key=value" header lines (data, N, beta or rho/eps). */
void ring_header_write(const ring_model *m, FILE *fp);

/* Exact sampler: B configurations into v[b*N + i] in {-1,+1}, drawn from r.
 * ising: transfer-matrix conditionals of the periodic chain (SPEC.md 2);
 * bump: uniform position, block, independent flips. */
int ring_sample(const ring_model *m, gsl_rng *r, size_t B, int8_t *v, char *err);

/* The ising sampler's conditionals (exposed so tests can check them against
 * enumeration): p[2*i + 0] = P(v_i = v_{i-1} | v_{i-1} v_0 = +1) and
 * p[2*i + 1] = P(v_i = v_{i-1} | v_{i-1} v_0 = -1) for i = 1..N-1 (p[0], p[1]
 * are NAN).  p holds 2N doubles.  SYM_EINVAL for a bump model. */
int ring_ising_conditionals(const ring_model *m, double *p, char *err);

/* Sample files (SPEC.md 5, README.md, section symrbm sample).  Text: "# key=value" header
 * lines, then one configuration per line, +1/-1 separated by spaces.
 * Binary: RING_SAMPLES_MAGIC, "key=value\n" header lines (N and B among
 * them), a line "end\n", then B rows of ceil(N/8) bytes, spin i of a row in
 * bit i%8 (least significant first) of byte i/8, 1 = +1, 0 = -1, padding
 * bits 0. */
#define RING_SAMPLES_MAGIC "SYMRBM-SAMPLES\n"

/* Write B rows of v (after the caller has written the header) in text
 * (bin = 0) or packed binary (bin = 1) form.  SYM_EIO on a write error. */
int ring_samples_write_rows(FILE *fp, int bin, const int8_t *v, size_t N, size_t B, char *err);

/* Read a sample file of either format (told apart by the magic): *v gets a
 * malloc'ed B*N array (free it), row b at v[b*N].  A missing file is SYM_EIO;
 * a malformed row (wrong length, a value other than +1/-1, not a number), a
 * bad header, a truncated binary body or no rows at all is SYM_EINVAL with a
 * message naming the file and line. */
int ring_samples_read(const char *path, size_t *N, size_t *B, int8_t **v, char *err);

#endif
