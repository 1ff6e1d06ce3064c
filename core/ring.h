/* ring: translation-invariant data models on a ring of N spins (SPEC.md 2),
 * as a table of types (the gsl_rng_type pattern, STYLE.md "Kinds as tables").
 *
 * A data model is one `const ring_type` in its own file (core/model_*.c):
 * its name, its parameters (key, default, help, check), how to fill the exact
 * two-point function C(r) = <v_i v_{i+r}>, the spectrum lambda_k = sum_r C(r)
 * exp(-2 pi i k r / N), the mean, the entropy and log Z where known, its exact
 * sampler (no Markov chain), the extra header keys it derives, its
 * symmetry-breaking order parameter S (SPEC.md 4) and what theory/rmt needs.
 *
 * Visible kind.  Every model so far had +-1 spins; a model with Potts
 * visible units (SPEC.md 9: xy) sets `potts`, a table of what only such a
 * model provides -- its number of states P from its parameters (P is a
 * model parameter, so a fixed visible_type per kind cannot say it), the
 * exact connected one-hot correlations and the block-circulant spectrum.
 * A pointer that is NULL for the +-1 models is the smallest additive
 * extension: their tables are untouched, and m->P = 0 says "+-1 spins"
 * everywhere.  Code that assumes +-1 units calls ring_require_spin first.
 * Nothing outside a model's file knows which model it is: a new model is one
 * file and one entry of RING_TYPES in core/models.h.  The sample files
 * themselves are core/samples.h.
 */
#ifndef SYM_RING_H
#define SYM_RING_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>

#include "core/traj.h"

typedef struct ring_model ring_model;
typedef struct ring_type ring_type;   /* also declared by core/obs.h */

/* Largest number of distinct parameter keys over all models. */
#define RING_MAXKEYS 8

/* One parameter of a model.  Keys shared by several models (beta) have the
 * same default and check in each (the models share the check function). */
typedef struct {
    const char *key;    /* option and header key, e.g. "beta"          */
    double def;         /* default                                     */
    const char *help;   /* one line for --help                         */
    /* SYM_OK, or SYM_EINVAL with a message naming the parameter (key, not
     * a CLI spelling: "beta = -1: need beta >= 0 and finite").  N is the
     * ring size (already checked >= 3). */
    int (*check)(double v, size_t N, char *err);
} ring_param;

/* Largest number of Potts states: states are stored as int8_t. */
#define RING_POTTS_MAX 127

/* What a model with Potts visible units (SPEC.md 9) provides besides the
 * common hooks.  One-hot encoding x_{ic} = [v_i = c]. */
typedef struct {
    /* The number of states P >= 2 from the parameters (val in par order). */
    size_t (*nstates)(const double *val);
    /* Exact connected one-hot correlation on the finite ring at distance
     * r < N: C[c P + c'] = <x_{i c} x_{i+r, c'}> - <x_{ic}> <x_{i+r,c'}>. */
    int (*corr)(const ring_model *m, size_t r, double *C, char *err);
    /* Eigenvalues of the block-circulant matrix C_{(i,c),(j,c')}:
     * lambda[k P + p], k = 0..N-1 spatial wave number, p = 0..P-1 angular
     * harmonic (eigenvector e^{2 pi i (k j / N + p c / P)}). */
    int (*spectrum)(const ring_model *m, double *lambda, char *err);
    /* A nearest-neighbour chain whose transfer matrix is circulant in
     * colour, T(a, b) = E[(a - b) mod P] up to a constant: E[0..P-1]
     * (theory/flow_potts.c's binary data term needs it); NULL for a model
     * without one. */
    void (*transfer)(const ring_model *m, double *E);
} ring_potts_ops;

/* S of SPEC.md 4 from a profile's norm2, R and a_1. */
typedef double (*ring_order_fn)(double norm2, double R, double a1);

struct ring_type {
    const char *name;          /* "ising"                                   */
    const char *about;         /* one line for --help                       */
    size_t npar;
    const ring_param *par;     /* par[0..npar-1]                            */
    /* Checks that involve several parameters or N (after each parameter's own
     * check); may be NULL.  val[] holds this model's parameters in par order. */
    int (*check)(const double *val, size_t N, char *err);
    /* Fill m->C, m->lambda (allocated, N each), m->mean, m->entropy, m->logZ
     * (NAN where not known) and m->state (freed with free(), may stay NULL).
     * m->type, m->N and m->val are set. */
    int (*fill)(ring_model *m, char *err);
    /* B configurations into v[b*N + i] in {-1,+1} (Potts models: states
     * 0..P-1), exactly, from r.  Rows are
     * drawn one after another from r, so that B rows in one call and in
     * several calls (chunks) are the same rows. */
    int (*sample)(const ring_model *m, gsl_rng *r, size_t B, int8_t *v, char *err);
    /* Header keys derived from the parameters (bump: L); NULL if none.
     * SYM_OK or SYM_ENOMEM. */
    int (*header)(const ring_model *m, traj_header *h);
    /* The model's symmetry-breaking order parameter S of SPEC.md 4 from a
     * profile's norm2, R and a_1 (R for ising, 2 a_1^2 / norm2 for bump). */
    ring_order_fn order;
    /* theory/rmt: E|v^_k|^4 / (E|v^_k|^2)^2 of the top mode's sample
     * Fourier coefficient, for the finite-B splitting of a degenerate top
     * pair; NULL where the top mode is simple (no splitting) or not known. */
    double (*m4)(const ring_model *m);
    /* Potts visible units (SPEC.md 9); NULL for +-1 spins. */
    const ring_potts_ops *potts;
};

/* Parameters of a model as the command line gives them: the type, N, and a
 * value for every key of every model (so that every given value is checked
 * whatever the model: a typo in eps is reported even for ising). */
typedef struct {
    const ring_type *type;
    size_t N;
    double val[RING_MAXKEYS];   /* indexed by ring_key_index()            */
} ring_params;

struct ring_model {
    const ring_type *type;
    size_t N;
    double val[RING_MAXKEYS];   /* this model's parameters, in type->par order */
    double *C;         /* C[r], r = 0..N-1                                    */
    double *lambda;    /* lambda[k], k = 0..N-1                               */
    double mean;       /* <v_i> (same for all i)                              */
    double entropy;    /* exact S_data (nats), NAN where not known            */
    double logZ;       /* log Z of the data model where known, else NAN       */
    void *state;       /* the type's own data (free()d by ring_free)          */
    size_t P;          /* Potts states (SPEC.md 9); 0 for +-1 spins. Potts
                        * models keep in C, lambda and mean the angular
                        * <cos(theta_i - theta_{i+r})>, its DFT and
                        * |<e^{i theta}>| (model_xy.c)                       */
};

/* ---- the table ---- */

/* NULL-terminated list of every model, in --help order. */
extern const ring_type *const ring_types[];
/* "ising|bump|ising2" (static storage), for option choices. */
const char *ring_type_names(void);
/* The type named s; SYM_EINVAL "data model 'x': expected ising, bump or ..." */
int ring_type_find(const char *s, const ring_type **t, char *err);

/* Every distinct parameter key over all models, in table order:
 * ring_nkeys() of them.  ring_key(k) describes key k (as the first model
 * that declares it; NULL for k >= ring_nkeys()). */
size_t ring_nkeys(void);
const ring_param *ring_key(size_t k);
/* Index of key in ring_params.val, or -1. */
int ring_key_index(const char *key);

/* Defaults: the first type (ising), N = 100, every key at its default. */
void ring_params_default(ring_params *p);
/* Value of key in p (NAN when not a key). */
double ring_params_get(const ring_params *p, const char *key);
/* Set key in p to v; SYM_EINVAL (naming the key) when it is not a key.
 * Nothing is checked here: ring_params_check does that. */
int ring_params_set(ring_params *p, const char *key, double v, char *err);
/* N >= 3, every key's own check, then the type's joint check. */
int ring_params_check(const ring_params *p, char *err);

/* Build the model: checks p, calls type->fill.  FFTW planning (the
 * spectrum of models without a closed form) is not thread-safe: do not call
 * ring_alloc from several threads at once. */
int ring_alloc(ring_model **out, const ring_params *p, char *err);
void ring_free(ring_model *m);

/* Value of one of the model's own parameters by key (NAN when the model
 * has no such parameter). */
double ring_get(const ring_model *m, const char *key);

/* 1 if models of type t have the parameter key. */
int ring_type_has(const ring_type *t, const char *key);

/* Set the model's header keys into h: data, N, each of its parameters
 * (%.17g), then type->header's derived keys.  SYM_ENOMEM on failure. */
int ring_header_set(const ring_model *m, traj_header *h);

/* Exact sampler: B configurations into v[b*N + i] in {-1,+1} (Potts:
 * states 0..P-1), drawn from r.
 * B*N must fit in size_t (SYM_EINVAL otherwise). */
int ring_sample(const ring_model *m, gsl_rng *r, size_t B, int8_t *v, char *err);

/* ---- visible kind ---- */

/* Number of states of one visible unit: 2 for +-1 spins, P for Potts. */
size_t ring_nstates(const ring_model *m);

/* SYM_OK for a model with +-1 visible units; otherwise SYM_EINVAL
 * "data model xy has Potts visible units (P = 10): <what> supports +-1
 * visible units only".  Called at the top of every run that assumes +-1
 * units (theory flows, phase, sim, threshold, compare).  The params form
 * is for callers that hold parameters, not a model. */
int ring_require_spin(const ring_model *m, const char *what, char *err);
int ring_params_require_spin(const ring_params *p, const char *what, char *err);

/* Potts models: the exact connected one-hot correlation at distance r
 * (C holds P*P doubles, C[c P + c']) and the block-circulant spectrum
 * (lambda holds N*P doubles, lambda[k P + p]).  SYM_EINVAL for a +-1 model
 * or r >= N; SYM_ENOMEM. */
int ring_potts_corr(const ring_model *m, size_t r, double *C, char *err);
int ring_potts_spectrum(const ring_model *m, double *lambda, char *err);

/* S of SPEC.md 4 for this model. */
double ring_order(const ring_model *m, double norm2, double R, double a1);

/* m4 of the model's top mode for theory/rmt (type->m4), NAN where the type
 * has none. */
double ring_m4(const ring_model *m);

#endif
