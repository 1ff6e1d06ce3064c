/* ring: the generic part of the data models (SPEC.md 2) -- the table of
 * types, the parameter keys, building and freeing a model, its header keys;
 * each model's physics is in its own core/model_*.c. */
#include "core/ring.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <fftw3.h>

#include "core/err.h"
#include "core/models.h"

#define RING_TYPE_ADDR(name) &ring_##name,
const ring_type *const ring_types[] = {RING_TYPES(RING_TYPE_ADDR) NULL};
#undef RING_TYPE_ADDR

/* "|ising|bump|ising2" by string-literal concatenation: the choices follow
 * the table at compile time, with no mutable buffer. */
#define RING_TYPE_BAR(name) "|" #name
static const char ring_names_bar[] = RING_TYPES(RING_TYPE_BAR);
#undef RING_TYPE_BAR

const char *ring_type_names(void)
{
    return ring_names_bar + 1;
}

int ring_type_find(const char *s, const ring_type **t, char *err)
{
    for (size_t k = 0; ring_types[k]; k++)
        if (s && !strcmp(s, ring_types[k]->name)) {
            *t = ring_types[k];
            return SYM_OK;
        }
    char list[256] = "";
    size_t n = 0, len = 0;
    while (ring_types[n])
        n++;
    for (size_t k = 0; k < n; k++) {
        const char *sep = k == 0 ? "" : k + 1 < n ? ", " : " or ";
        int w = snprintf(list + len, sizeof list - len, "%s%s", sep, ring_types[k]->name);
        if (w < 0 || (size_t)w >= sizeof list - len)
            break;
        len += (size_t)w;
    }
    return sym_error(err, SYM_EINVAL, "data model '%s': expected %s", s ? s : "(null)", list);
}

/* ---- the parameter keys: every distinct key of every model, in table
 * order.  Recomputed on each call (a few string compares) rather than
 * cached, so that there is no mutable global state. */

/* The parameter declaring the k-th distinct key, or NULL. */
static const ring_param *nth_key(size_t k, size_t *count)
{
    size_t n = 0;
    const ring_param *found = NULL;
    for (size_t t = 0; ring_types[t]; t++)
        for (size_t j = 0; j < ring_types[t]->npar; j++) {
            const ring_param *p = &ring_types[t]->par[j];
            int seen = 0;
            for (size_t u = 0; u <= t && !seen; u++)
                for (size_t i = 0; i < (u < t ? ring_types[u]->npar : j) && !seen; i++)
                    seen = !strcmp(ring_types[u]->par[i].key, p->key);
            if (seen)
                continue;
            if (n == k)
                found = p;
            n++;
        }
    if (count)
        *count = n;
    return found;
}

size_t ring_nkeys(void)
{
    size_t n;
    nth_key(SIZE_MAX, &n);
    return n;
}

const ring_param *ring_key(size_t k)
{
    return nth_key(k, NULL);
}

int ring_key_index(const char *key)
{
    const ring_param *p;
    for (size_t k = 0; key && (p = ring_key(k)); k++)
        if (!strcmp(p->key, key))
            return (int)k;
    return -1;
}

void ring_params_default(ring_params *p)
{
    memset(p, 0, sizeof *p);
    p->type = ring_types[0];
    p->N = 100;
    const ring_param *q;
    for (size_t k = 0; (q = ring_key(k)); k++)
        p->val[k] = q->def;
}

double ring_params_get(const ring_params *p, const char *key)
{
    int k = ring_key_index(key);
    return k < 0 ? NAN : p->val[k];
}

int ring_params_set(ring_params *p, const char *key, double v, char *err)
{
    int k = ring_key_index(key);
    if (k < 0)
        return sym_error(err, SYM_EINVAL, "'%s' is not a parameter of any data model", key ? key : "(null)");
    p->val[k] = v;
    return SYM_OK;
}

/* The type's own parameters, in its par order, from the key-indexed p. */
static void own_values(const ring_params *p, double *val)
{
    for (size_t j = 0; j < p->type->npar; j++)
        val[j] = p->val[ring_key_index(p->type->par[j].key)];
}

int ring_params_check(const ring_params *p, char *err)
{
    if (!p->type)
        return sym_error(err, SYM_EINVAL, "no data model given");
    if (p->N < 3)
        return sym_error(err, SYM_EINVAL, "N = %zu: need N >= 3", p->N);
    /* Every key is checked whatever the model, so that a typo in a value
     * the model ignores is still reported. */
    const ring_param *q;
    for (size_t k = 0; (q = ring_key(k)); k++) {
        int st = q->check ? q->check(p->val[k], p->N, err) : SYM_OK;
        if (st)
            return st;
    }
    if (p->type->check) {
        double val[RING_MAXKEYS];
        own_values(p, val);
        return p->type->check(val, p->N, err);
    }
    return SYM_OK;
}

int ring_alloc(ring_model **out, const ring_params *p, char *err)
{
    *out = NULL;
    int st = ring_params_check(p, err);
    if (st)
        return sym_context(err, st, "ring_alloc");
    if (p->N > SIZE_MAX / sizeof(double))
        return sym_error(err, SYM_ENOMEM, "ring_alloc: N = %zu is too large", p->N);
    ring_model *m = calloc(1, sizeof *m);
    if (!m)
        return sym_error(err, SYM_ENOMEM, "ring_alloc: out of memory");
    m->type = p->type;
    m->N = p->N;
    own_values(p, m->val);
    m->P = m->type->potts ? m->type->potts->nstates(m->val) : 0;
    m->C = malloc(sizeof(double) * p->N);
    m->lambda = malloc(sizeof(double) * p->N);
    if (!m->C || !m->lambda) {
        ring_free(m);
        return sym_error(err, SYM_ENOMEM, "ring_alloc: out of memory for N = %zu", p->N);
    }
    if ((st = m->type->fill(m, err))) {
        ring_free(m);
        return st;
    }
    *out = m;
    return SYM_OK;
}

void ring_free(ring_model *m)
{
    if (!m)
        return;
    free(m->C);
    free(m->lambda);
    free(m->state);
    free(m);
}

int ring_type_has(const ring_type *t, const char *key)
{
    for (size_t k = 0; k < t->npar; k++)
        if (!strcmp(t->par[k].key, key))
            return 1;
    return 0;
}

double ring_get(const ring_model *m, const char *key)
{
    for (size_t j = 0; key && j < m->type->npar; j++)
        if (!strcmp(m->type->par[j].key, key))
            return m->val[j];
    return NAN;
}

int ring_header_set(const ring_model *m, traj_header *h)
{
    int st = traj_header_set(h, "data", "%s", m->type->name);
    st = st ? st : traj_header_set(h, "N", "%zu", m->N);
    for (size_t j = 0; j < m->type->npar && !st; j++)
        st = traj_header_set(h, m->type->par[j].key, "%.17g", m->val[j]);
    if (!st && m->type->header)
        st = m->type->header(m, h);
    return st ? SYM_ENOMEM : SYM_OK;
}

int ring_sample(const ring_model *m, gsl_rng *r, size_t B, int8_t *v, char *err)
{
    if (B == 0)
        return SYM_OK;
    if (B > SIZE_MAX / m->N)
        return sym_error(err, SYM_EINVAL, "ring_sample: B = %zu rows of N = %zu spins overflow the address space",
                         B, m->N);
    return m->type->sample(m, r, B, v, err);
}

size_t ring_nstates(const ring_model *m)
{
    return m->P ? m->P : 2;
}

/* The one message of every +-1-only path. */
static int need_spin(const char *name, size_t P, const char *what, char *err)
{
    if (!P)
        return SYM_OK;
    return sym_error(err, SYM_EINVAL, "data model %s has Potts visible units (P = %zu): %s supports +-1 visible units only",
                     name, P, what ? what : "this computation");
}

int ring_require_spin(const ring_model *m, const char *what, char *err)
{
    return need_spin(m->type->name, m->P, what, err);
}

int ring_params_require_spin(const ring_params *p, const char *what, char *err)
{
    if (!p->type || !p->type->potts)
        return SYM_OK;
    double val[RING_MAXKEYS];
    own_values(p, val);
    return need_spin(p->type->name, p->type->potts->nstates(val), what, err);
}

int ring_potts_corr(const ring_model *m, size_t r, double *C, char *err)
{
    if (!m->P)
        return sym_error(err, SYM_EINVAL, "ring_potts_corr: data model %s has +-1 visible units", m->type->name);
    if (r >= m->N)
        return sym_error(err, SYM_EINVAL, "ring_potts_corr: r = %zu: need r < N = %zu", r, m->N);
    return m->type->potts->corr(m, r, C, err);
}

int ring_potts_spectrum(const ring_model *m, double *lambda, char *err)
{
    if (!m->P)
        return sym_error(err, SYM_EINVAL, "ring_potts_spectrum: data model %s has +-1 visible units", m->type->name);
    return m->type->potts->spectrum(m, lambda, err);
}

double ring_order(const ring_model *m, double norm2, double R, double a1)
{
    return m->type->order(norm2, R, a1);
}

double ring_m4(const ring_model *m)
{
    return m->type->m4 ? m->type->m4(m) : NAN;
}

int ring_lambda_from_C(ring_model *m, char *err)
{
    size_t N = m->N;
    if (N > INT_MAX)
        return sym_error(err, SYM_EINVAL, "ring_alloc: N = %zu is beyond FFTW's int sizes", N);
    double *in = fftw_malloc(sizeof(double) * N);
    fftw_complex *out = fftw_malloc(sizeof(fftw_complex) * (N / 2 + 1));
    fftw_plan plan = (in && out) ? fftw_plan_dft_r2c_1d((int)N, in, out, FFTW_ESTIMATE) : NULL;
    if (!plan) {
        fftw_free(in);
        fftw_free(out);
        return sym_error(err, SYM_ENOMEM, "ring_alloc: no memory for the FFT of N = %zu", N);
    }
    memcpy(in, m->C, sizeof(double) * N);
    fftw_execute(plan);
    /* C(r) = C(N-r) makes the spectrum real and even: keep the real part. */
    for (size_t k = 0; k <= N / 2; k++) {
        m->lambda[k] = out[k][0];
        if (k > 0)
            m->lambda[N - k] = out[k][0];
    }
    fftw_destroy_plan(plan);
    fftw_free(in);
    fftw_free(out);
    return SYM_OK;
}
