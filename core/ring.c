/* ring: the ising and bump data models of SPEC.md 2 -- closed forms,
 * spectrum, entropy, exact samplers and the sample-file formats. */
#include "core/ring.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <fftw3.h>

#include "core/err.h"

/* Largest N for which the bump entropy with 0 < eps < 1/2 is computed by
 * summing over all 2^N states: 2^24 states x N positions is ~0.5 s; beyond
 * that the entropy is reported as NAN (no closed form is known to us). */
#define RING_ENTROPY_NMAX 24

void ring_params_default(ring_params *p)
{
    p->kind = RING_ISING;
    p->N = 100;
    p->beta = 1.0;
    p->rho = 0.5;
    p->eps = 0.1;
}

/* L = round(rho N); rho is checked to lie in (0,1) before this is used. */
static size_t bump_L(const ring_params *p)
{
    return (size_t)llround(p->rho * (double)p->N);
}

int ring_params_check(const ring_params *p, char *err)
{
    if (p->kind != RING_ISING && p->kind != RING_BUMP)
        return sym_error(err, SYM_EINVAL, "--data: unknown data model %d", (int)p->kind);
    if (p->N < 3)
        return sym_error(err, SYM_EINVAL, "--N %zu: need N >= 3", p->N);
    /* Every parameter is checked whatever the model, so that a typo in an
     * option the model ignores is still reported. */
    if (!(p->beta >= 0) || !isfinite(p->beta))
        return sym_error(err, SYM_EINVAL, "--beta %g: need beta >= 0 and finite", p->beta);
    if (!(p->eps >= 0 && p->eps <= 0.5))
        return sym_error(err, SYM_EINVAL, "--eps %g: need 0 <= eps <= 1/2", p->eps);
    if (!(p->rho > 0 && p->rho < 1))
        return sym_error(err, SYM_EINVAL, "--rho %g: need 0 < rho < 1", p->rho);
    if (p->kind == RING_BUMP) {
        size_t L = bump_L(p);
        if (L < 1 || L > p->N - 1)
            return sym_error(err, SYM_EINVAL,
                             "--rho %g: L = round(rho N) = %zu at N = %zu, need 1 <= L <= N-1",
                             p->rho, L, p->N);
    }
    return SYM_OK;
}

const char *ring_kind_name(ring_kind k)
{
    switch (k) {
    case RING_ISING:
        return "ising";
    case RING_BUMP:
        return "bump";
    }
    return "unknown";
}

int ring_kind_parse(const char *s, ring_kind *k, char *err)
{
    if (s && !strcmp(s, "ising")) {
        *k = RING_ISING;
        return SYM_OK;
    }
    if (s && !strcmp(s, "bump")) {
        *k = RING_BUMP;
        return SYM_OK;
    }
    return sym_error(err, SYM_EINVAL, "--data %s: expected ising or bump", s ? s : "(null)");
}

/* ---- ising: everything in terms of log t, t = tanh(beta) ----
 * With e = exp(-2 beta): t = (1-e)/(1+e), so log t = log(-expm1(-2 beta))
 * - log1p(e) keeps full relative accuracy both for small beta and for t close
 * to 1, and t^n = exp(n log t) neither overflows nor loses digits at n = 10^6
 * (pow(t, n) would amplify the rounding of t by n). */
typedef struct {
    double e;     /* exp(-2 beta)                         */
    double lt;    /* log t, -inf at beta = 0, 0 once e underflows */
} ising_t;

static ising_t ising_setup(double beta)
{
    ising_t s;
    s.e = exp(-2.0 * beta);
    s.lt = beta > 0 ? log(-expm1(-2.0 * beta)) - log1p(s.e) : -INFINITY;
    return s;
}

/* t^n, with t^0 = 1 also at t = 0 (0 * -inf would be NaN). */
static double tpow(const ising_t *s, double n)
{
    return n == 0 ? 1.0 : exp(n * s->lt);
}

/* (1 - t^a) / (1 - t^b), a, b >= 1, with its limit a/b at t = 1. */
static double one_minus_ratio(const ising_t *s, double a, double b)
{
    if (s->lt == 0)
        return a / b;
    return expm1(a * s->lt) / expm1(b * s->lt);
}

static void ising_fill(ring_model *m)
{
    size_t N = m->p.N;
    double beta = m->p.beta, dN = (double)N;
    ising_t s = ising_setup(beta);
    double tN = tpow(&s, dN);
    for (size_t r = 0; r < N; r++)
        m->C[r] = (tpow(&s, (double)r) + tpow(&s, (double)(N - r))) / (1 + tN);
    /* Closed-form DFT of C: lambda_k = (1-t^N)/(1+t^N) (1-t^2)/(1 - 2t cos q
     * + t^2), q = 2 pi k/N, with the denominator as (1-t)^2 + 4 t sin^2(q/2)
     * (no cancellation near t = 1) and k = 0 as (1+t)/(1+t^N) (1-t^N)/(1-t). */
    double t = tpow(&s, 1), omt = s.lt == 0 ? 0.0 : -expm1(s.lt);
    m->lambda[0] = (1 + t) / (1 + tN) * (s.lt == 0 ? dN : expm1(dN * s.lt) / expm1(s.lt));
    for (size_t k = 1; k < N; k++) {
        double sn = sin(M_PI * (double)k / dN);
        m->lambda[k] = (-expm1(dN * s.lt)) / (1 + tN) * omt * (1 + t) / (omt * omt + 4 * t * sn * sn);
    }
    m->mean = 0;
    /* log Z = log(lambda_+^N + lambda_-^N) = N log(2 cosh beta) + log1p(t^N),
     * log(2 cosh beta) = beta + log1p(e).  S = log Z - beta N C(1) with
     * 1 - C(1) = (1-t)(1-t^(N-1))/(1+t^N), so the large-beta cancellation
     * between N beta and beta N C(1) is done analytically. */
    m->logZ = dN * (beta + log1p(s.e)) + log1p(tN);
    double one_m_C1 = omt * (-expm1((dN - 1) * s.lt)) / (1 + tN);
    if (beta == 0)
        one_m_C1 = 1;
    m->entropy = beta * dN * one_m_C1 + dN * log1p(s.e) + log1p(tN);
}

/* ---- bump ---- */

static int bump_fill(ring_model *m, char *err)
{
    size_t N = m->p.N, L = m->L;
    double eps = m->p.eps, a = (1 - 2 * eps) * (1 - 2 * eps);
    for (size_t r = 0; r < N; r++) {
        size_t rp = r < N - r ? r : N - r, d = rp;
        if (L < d)
            d = L;
        if (N - L < d)
            d = N - L;
        m->C[r] = r == 0 ? 1.0 : a * (1 - 4.0 * (double)d / (double)N);
    }
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

    m->mean = (1 - 2 * eps) * (2.0 * (double)L / (double)N - 1);
    m->logZ = NAN;
    if (eps == 0) {
        /* N distinct translates of one block (a single block is never
         * periodic with a period < N), each with probability 1/N. */
        m->entropy = log((double)N);
    } else if (eps == 0.5) {
        m->entropy = (double)N * log(2.0);
    } else if (N <= RING_ENTROPY_NMAX) {
        /* P(v) = (1-eps)^N / N sum_x q^{d(v, s_x)}, q = eps/(1-eps), d the
         * Hamming distance to the block at x. */
        uint32_t sx[RING_ENTROPY_NMAX];
        double qp[RING_ENTROPY_NMAX + 1];
        double q = eps / (1 - eps), pre = pow(1 - eps, (double)N) / (double)N;
        for (size_t d = 0; d <= N; d++)
            qp[d] = pow(q, (double)d);
        for (size_t x = 0; x < N; x++) {
            sx[x] = 0;
            for (size_t i = 0; i < N; i++)
                if ((i + N - x) % N < L)
                    sx[x] |= 1u << i;
        }
        double S = 0, comp = 0;   /* Kahan sum over 2^N terms */
        for (uint32_t v = 0; v < (1u << N); v++) {
            double P = 0;
            for (size_t x = 0; x < N; x++)
                P += qp[__builtin_popcount(v ^ sx[x])];
            P *= pre;
            double term = -P * log(P) - comp, nx = S + term;
            comp = (nx - S) - term;
            S = nx;
        }
        m->entropy = S;
    } else {
        m->entropy = NAN;
    }
    return SYM_OK;
}

int ring_alloc(ring_model **out, const ring_params *p, char *err)
{
    *out = NULL;
    int st = ring_params_check(p, err);
    if (st)
        return sym_context(err, st, "ring_alloc");
    ring_model *m = calloc(1, sizeof *m);
    if (!m)
        return sym_error(err, SYM_ENOMEM, "ring_alloc: out of memory");
    m->p = *p;
    m->L = p->kind == RING_BUMP ? bump_L(p) : 0;
    m->C = malloc(sizeof(double) * p->N);
    m->lambda = malloc(sizeof(double) * p->N);
    if (!m->C || !m->lambda) {
        ring_free(m);
        return sym_error(err, SYM_ENOMEM, "ring_alloc: out of memory for N = %zu", p->N);
    }
    if (p->kind == RING_ISING) {
        ising_fill(m);
    } else {
        st = bump_fill(m, err);
        if (st) {
            ring_free(m);
            return st;
        }
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
    free(m);
}

void ring_header_write(const ring_model *m, FILE *fp)
{
    fprintf(fp, "# data=%s\n# N=%zu\n", ring_kind_name(m->p.kind), m->p.N);
    if (m->p.kind == RING_ISING)
        fprintf(fp, "# beta=%.17g\n", m->p.beta);
    else
        fprintf(fp, "# rho=%.17g\n# eps=%.17g\n# L=%zu\n", m->p.rho, m->p.eps, m->L);
}

/* ---- exact samplers ---- */

/* Periodic chain: P(v) = prod_i T(v_i, v_{i+1}) / tr T^N with T(a,b) =
 * exp(beta a b).  Given v_0 and v_{i-1}, the rest of the ring contributes
 * T^(n)(v_i, v_0) with n = N - i, and T^n(a,b) = lambda_+^n (1 + a b t^n)/2,
 * so
 *   P(v_i | v_{i-1}, v_0) = T(v_{i-1},v_i) T^n(v_i,v_0) / T^(n+1)(v_{i-1},v_0)
 *                        = e^{beta u} (1 + u s t^n) / (2 cosh beta (1 + s t^(n+1)))
 * with u = v_i v_{i-1}, s = v_{i-1} v_0.  For u = +1 this is
 * (1 + s t^n) / ((1 + e^{-2 beta}) (1 + s t^(n+1))); for s = -1 the ratio
 * (1 - t^n)/(1 - t^(n+1)) is taken through expm1. */
int ring_ising_conditionals(const ring_model *m, double *p, char *err)
{
    if (m->p.kind != RING_ISING)
        return sym_error(err, SYM_EINVAL, "ring_ising_conditionals: model is %s, not ising",
                         ring_kind_name(m->p.kind));
    size_t N = m->p.N;
    ising_t s = ising_setup(m->p.beta);
    double pre = 1 / (1 + s.e);
    p[0] = p[1] = NAN;
    for (size_t i = 1; i < N; i++) {
        double n = (double)(N - i);
        p[2 * i] = pre * (1 + tpow(&s, n)) / (1 + tpow(&s, n + 1));
        p[2 * i + 1] = pre * one_minus_ratio(&s, n, n + 1);
    }
    return SYM_OK;
}

static int sample_ising(const ring_model *m, gsl_rng *r, size_t B, int8_t *v, char *err)
{
    size_t N = m->p.N;
    double *p = malloc(sizeof(double) * 2 * N);
    if (!p)
        return sym_error(err, SYM_ENOMEM, "ring_sample: out of memory for N = %zu", N);
    int st = ring_ising_conditionals(m, p, err);
    if (st) {
        free(p);
        return st;
    }
    if (r->type == gsl_rng_mt19937) {
        /* gsl_rng_uniform of mt19937 is exactly k / 2^32 with k the raw
         * 32-bit output, and k / 2^32 < p <=> k < ceil(p 2^32): comparing k
         * with an integer threshold draws the same samples from the same
         * stream, without a double conversion and through one indirect
         * call per spin (this halves the sampling time). */
        uint64_t *thr = malloc(sizeof(uint64_t) * 2 * N);
        if (!thr) {
            free(p);
            return sym_error(err, SYM_ENOMEM, "ring_sample: out of memory for N = %zu", N);
        }
        for (size_t k = 2; k < 2 * N; k++)
            thr[k] = (uint64_t)ceil(p[k] * 4294967296.0);
        thr[0] = thr[1] = (uint64_t)1 << 31;   /* v_0: P(+1) = 1/2 */
        unsigned long (*get)(void *) = r->type->get;
        void *state = r->state;
        for (size_t b = 0; b < B; b++) {
            int8_t *row = v + b * N;
            int8_t v0 = get(state) < thr[0] ? 1 : -1;
            size_t sb = 0;   /* 1 when v_{i-1} != v_0 */
            row[0] = v0;
            for (size_t i = 1; i < N; i++) {
                sb ^= (size_t)(get(state) >= thr[2 * i + sb]);
                row[i] = sb ? (int8_t)-v0 : v0;
            }
        }
        free(thr);
    } else {
        for (size_t b = 0; b < B; b++) {
            int8_t *row = v + b * N;
            int v0 = gsl_rng_uniform(r) < 0.5 ? 1 : -1, prev = v0;
            row[0] = (int8_t)v0;
            for (size_t i = 1; i < N; i++) {
                /* index 2i for s = v_{i-1} v_0 = +1, 2i+1 for s = -1 */
                double keep = p[2 * i + (size_t)(prev != v0)];
                prev = gsl_rng_uniform(r) < keep ? prev : -prev;
                row[i] = (int8_t)prev;
            }
        }
    }
    free(p);
    return SYM_OK;
}

static int sample_bump(const ring_model *m, gsl_rng *r, size_t B, int8_t *v, char *err)
{
    size_t N = m->p.N, L = m->L;
    double eps = m->p.eps;
    if ((unsigned long)(N - 1) > gsl_rng_max(r) - gsl_rng_min(r))
        return sym_error(err, SYM_EINVAL, "ring_sample: N = %zu exceeds the generator's range", N);
    for (size_t b = 0; b < B; b++) {
        int8_t *row = v + b * N;
        size_t x = (size_t)gsl_rng_uniform_int(r, (unsigned long)N);
        /* block (i - x) mod N < L: i = x .. x+L-1 mod N */
        for (size_t i = 0; i < N; i++)
            row[i] = -1;
        for (size_t j = 0; j < L; j++)
            row[(x + j) % N] = 1;
        if (eps > 0 && r->type == gsl_rng_mt19937) {
            /* same integer comparison as in sample_ising: identical draws */
            uint64_t thr = (uint64_t)ceil(eps * 4294967296.0);
            for (size_t i = 0; i < N; i++)
                if (r->type->get(r->state) < thr)
                    row[i] = (int8_t)-row[i];
        } else if (eps > 0) {
            for (size_t i = 0; i < N; i++)
                if (gsl_rng_uniform(r) < eps)
                    row[i] = (int8_t)-row[i];
        }
    }
    return SYM_OK;
}

int ring_sample(const ring_model *m, gsl_rng *r, size_t B, int8_t *v, char *err)
{
    if (B == 0)
        return SYM_OK;
    if (m->p.kind == RING_ISING)
        return sample_ising(m, r, B, v, err);
    return sample_bump(m, r, B, v, err);
}

/* ---- sample files ---- */

int ring_samples_write_rows(FILE *fp, int bin, const int8_t *v, size_t N, size_t B, char *err)
{
    size_t len = bin ? (N + 7) / 8 : 3 * N;
    unsigned char *buf = malloc(len);
    if (!buf)
        return sym_error(err, SYM_ENOMEM, "ring_samples_write_rows: out of memory for N = %zu", N);
    for (size_t b = 0; b < B; b++) {
        const int8_t *row = v + b * N;
        if (bin) {
            memset(buf, 0, len);
            for (size_t i = 0; i < N; i++)
                if (row[i] > 0)
                    buf[i / 8] |= (unsigned char)(1u << (i % 8));
        } else {
            for (size_t i = 0; i < N; i++) {
                buf[3 * i] = row[i] > 0 ? '+' : '-';
                buf[3 * i + 1] = '1';
                buf[3 * i + 2] = i + 1 < N ? ' ' : '\n';
            }
        }
        if (fwrite(buf, 1, len, fp) != len) {
            free(buf);
            return sym_error(err, SYM_EIO, "ring_samples_write_rows: write failed at row %zu: %s",
                             b, strerror(errno));
        }
    }
    free(buf);
    return SYM_OK;
}

/* Grow *v to hold at least need bytes (doubling). */
static int grow(int8_t **v, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 4096;
    while (c < need) {
        if (c > SIZE_MAX / 2)
            return -1;
        c *= 2;
    }
    int8_t *nv = realloc(*v, c);
    if (!nv)
        return -1;
    *v = nv;
    *cap = c;
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int read_text(FILE *fp, const char *path, size_t *Nout, size_t *Bout, int8_t **vout, char *err)
{
    char *line = NULL;
    size_t lcap = 0, lineno = 0, N = 0, B = 0, first = 0, vcap = 0, rcap = 0;
    int8_t *v = NULL, *row = NULL;
    int st = SYM_OK;
    ssize_t len;
    while ((len = getline(&line, &lcap, fp)) >= 0) {
        lineno++;
        const char *c = line;
        while (is_space(*c))
            c++;
        if (!*c || *c == '#')
            continue;
        size_t n = 0;
        while (*c) {
            const char *tok = c;
            char *end;
            while (*c && !is_space(*c))
                c++;
            int tl = (int)(c - tok > 40 ? 40 : c - tok);
            errno = 0;
            double d = strtod(tok, &end);
            if (end != c) {
                st = sym_error(err, SYM_EINVAL, "%s line %zu: '%.*s' is not a number", path, lineno, tl, tok);
                goto done;
            }
            if (d != 1 && d != -1) {
                st = sym_error(err, SYM_EINVAL, "%s line %zu: value '%.*s' is not +1 or -1", path, lineno, tl, tok);
                goto done;
            }
            if (grow(&row, &rcap, n + 1)) {
                st = sym_error(err, SYM_ENOMEM, "%s line %zu: out of memory", path, lineno);
                goto done;
            }
            row[n++] = (int8_t)(d > 0 ? 1 : -1);
            while (is_space(*c))
                c++;
        }
        if (B == 0) {
            if (n < 3) {
                st = sym_error(err, SYM_EINVAL, "%s line %zu: %zu values, need N >= 3", path, lineno, n);
                goto done;
            }
            N = n;
            first = lineno;
        } else if (n != N) {
            st = sym_error(err, SYM_EINVAL, "%s line %zu: %zu values, expected N = %zu as in line %zu",
                           path, lineno, n, N, first);
            goto done;
        }
        if (B + 1 > SIZE_MAX / N || grow(&v, &vcap, (B + 1) * N)) {
            st = sym_error(err, SYM_ENOMEM, "%s line %zu: out of memory", path, lineno);
            goto done;
        }
        memcpy(v + B * N, row, N);
        B++;
    }
    if (ferror(fp)) {
        st = sym_error(err, SYM_EIO, "%s: read error after line %zu", path, lineno);
        goto done;
    }
    if (B == 0)
        st = sym_error(err, SYM_EINVAL, "%s: no configurations", path);
done:
    free(line);
    free(row);
    if (st) {
        free(v);
        return st;
    }
    *Nout = N;
    *Bout = B;
    *vout = v;
    return SYM_OK;
}

/* A positive integer header value; 0 on failure. */
static size_t parse_count(const char *s)
{
    char *end;
    if (!*s || *s == '-' || *s == '+')
        return 0;
    errno = 0;
    unsigned long long u = strtoull(s, &end, 10);
    if (errno || *end || u > SIZE_MAX)
        return 0;
    return (size_t)u;
}

static int read_bin(FILE *fp, const char *path, size_t *Nout, size_t *Bout, int8_t **vout, char *err)
{
    char *line = NULL;
    size_t lcap = 0, lineno = 1, N = 0, B = 0;
    unsigned char *buf = NULL;
    int8_t *v = NULL;
    int st = SYM_OK, ended = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, fp)) >= 0) {
        lineno++;
        if (len == 0 || line[len - 1] != '\n')
            break;
        line[len - 1] = 0;
        if (!strcmp(line, "end")) {
            ended = 1;
            break;
        }
        char *eq = strchr(line, '=');
        if (!eq || eq == line) {
            st = sym_error(err, SYM_EINVAL, "%s line %zu: expected key=value or 'end' in the binary header",
                           path, lineno);
            goto done;
        }
        *eq = 0;
        if (!strcmp(line, "N") || !strcmp(line, "B")) {
            size_t x = parse_count(eq + 1);
            if (x == 0) {
                st = sym_error(err, SYM_EINVAL, "%s line %zu: %s=%s is not a positive integer",
                               path, lineno, line, eq + 1);
                goto done;
            }
            if (line[0] == 'N')
                N = x;
            else
                B = x;
        }
    }
    if (!ended) {
        st = sym_error(err, SYM_EINVAL, "%s line %zu: binary header ends without an 'end' line", path, lineno);
        goto done;
    }
    if (N < 3 || B < 1) {
        st = sym_error(err, SYM_EINVAL, "%s: binary header needs N >= 3 and B >= 1 (N=%zu, B=%zu)", path, N, B);
        goto done;
    }
    size_t rb = (N + 7) / 8;
    if (N > SIZE_MAX / B || !(v = malloc(N * B)) || !(buf = malloc(rb))) {
        st = sym_error(err, SYM_ENOMEM, "%s: out of memory for B = %zu rows of N = %zu", path, B, N);
        goto done;
    }
    for (size_t b = 0; b < B; b++) {
        if (fread(buf, 1, rb, fp) != rb) {
            st = sym_error(err, SYM_EINVAL, "%s: truncated: row %zu of B = %zu is missing or short (%zu bytes per row)",
                           path, b + 1, B, rb);
            goto done;
        }
        if (N % 8 && (buf[rb - 1] >> (N % 8))) {
            st = sym_error(err, SYM_EINVAL, "%s: row %zu has nonzero padding bits", path, b + 1);
            goto done;
        }
        for (size_t i = 0; i < N; i++)
            v[b * N + i] = (buf[i / 8] >> (i % 8)) & 1 ? 1 : -1;
    }
    if (fgetc(fp) != EOF) {
        st = sym_error(err, SYM_EINVAL, "%s: trailing bytes after B = %zu rows", path, B);
        goto done;
    }
done:
    free(line);
    free(buf);
    if (st) {
        free(v);
        return st;
    }
    *Nout = N;
    *Bout = B;
    *vout = v;
    return SYM_OK;
}

int ring_samples_read(const char *path, size_t *N, size_t *B, int8_t **v, char *err)
{
    *v = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return sym_error(err, SYM_EIO, "%s: cannot open: %s", path, strerror(errno));
    char magic[sizeof RING_SAMPLES_MAGIC - 1];
    size_t got = fread(magic, 1, sizeof magic, fp);
    int st;
    if (got == sizeof magic && !memcmp(magic, RING_SAMPLES_MAGIC, sizeof magic)) {
        st = read_bin(fp, path, N, B, v, err);
    } else {
        rewind(fp);
        st = read_text(fp, path, N, B, v, err);
    }
    fclose(fp);
    return st;
}
