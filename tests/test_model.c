/* Suite model: the table of data-model types (core/ring.h, core/models.h)
 * and the ising2 model (core/model_ising2.c) -- C(r), spectrum, log Z,
 * entropy and the sampler's conditionals against brute-force enumeration of
 * all 2^N states, beta2 = 0 against the closed forms of ising, a second
 * independent computation (plain long-double products of the 4 x 4
 * transfer matrix) at N = 200 and 1001, stability at N = 10^6 and at
 * frustrated couplings, and the sampler's statistics against the exact
 * laws. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>

#include "core/err.h"
#include "core/models.h"
#include "core/ring.h"
#include "core/rng.h"
#include "tests/suites.h"

/* Enumeration against the transfer matrix: sums of <= 2^16 terms in long
 * double, compared in absolute terms for C, lambda, mean (values <= 1, or
 * lambda <= N), relative for log Z and the entropy. */
#define TOL_EXACT 1e-12
/* beta2 = 0 against the ising closed forms up to N = 10^5 (measured:
 * C within 3e-14, log Z and S within 1e-13 relative). */
#define TOL_ISING 1e-12
/* Sampler statistics: an estimate within this many standard errors. */
#define N_SE 5.0
/* Chi-square tests: reject below this p-value (fixed seeds). */
#define P_MIN 1e-6
#define MIN_EXPECTED 5.0

#define REQUIRE(cond, ...) do { if (!(cond)) ck_abort_msg(__VA_ARGS__); } while (0)

static ring_model *make(const ring_type *t, size_t N, double beta, double beta2)
{
    ring_params p;
    ring_params_default(&p);
    char err[SYM_ERRLEN] = "";
    p.type = t;
    p.N = N;
    ck_assert_int_eq(ring_params_set(&p, "beta", beta, err), SYM_OK);
    ck_assert_int_eq(ring_params_set(&p, "beta2", beta2, err), SYM_OK);
    ring_model *m = NULL;
    int st = ring_alloc(&m, &p, err);
    ck_assert_msg(st == SYM_OK && m, "ring_alloc %s N=%zu beta=%g beta2=%g: %s", t->name, N, beta, beta2, err);
    return m;
}

/* ------------------------------------------------------------ the table */

START_TEST(test_table)
{
    char err[SYM_ERRLEN];
    /* the names, the choices string and the lookup agree with the list */
    char names[256] = "";
    size_t nt = 0;
    for (; ring_types[nt]; nt++) {
        const ring_type *t = ring_types[nt], *f = NULL;
        if (nt)
            strcat(names, "|");
        strcat(names, t->name);
        ck_assert_int_eq(ring_type_find(t->name, &f, err), SYM_OK);
        ck_assert(f == t);
        ck_assert(t->fill && t->sample && t->order && t->about && (t->npar == 0 || t->par));
    }
    ck_assert_uint_eq(nt, 4);
    ck_assert_str_eq(ring_type_names(), names);
    ck_assert(ring_types[0] == &ring_ising && ring_types[1] == &ring_bump && ring_types[2] == &ring_ising2 &&
              ring_types[3] == &ring_xy);
    const ring_type *f = &ring_ising;
    ck_assert_int_eq(ring_type_find("potts", &f, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "'potts'") && strstr(err, "ising, bump, ising2 or xy"), "message: %s", err);
    ck_assert(f == &ring_ising);   /* untouched on failure */
    ck_assert_int_eq(ring_type_find(NULL, &f, err), SYM_EINVAL);

    /* the keys: distinct, each model's found, a shared key the same in
     * every model that has it */
    size_t nk = ring_nkeys();
    ck_assert_uint_eq(nk, 5);
    ck_assert(nk <= RING_MAXKEYS && ring_key(nk) == NULL);
    static const char *const want[] = {"beta", "rho", "eps", "beta2", "P"};
    for (size_t k = 0; k < nk; k++) {
        ck_assert_str_eq(ring_key(k)->key, want[k]);
        ck_assert_int_eq(ring_key_index(want[k]), (int)k);
    }
    ck_assert_int_eq(ring_key_index("L"), -1);
    ck_assert_int_eq(ring_key_index(NULL), -1);
    for (size_t t = 0; ring_types[t]; t++)
        for (size_t j = 0; j < ring_types[t]->npar; j++) {
            const ring_param *p = &ring_types[t]->par[j];
            int k = ring_key_index(p->key);
            ck_assert_msg(k >= 0, "%s: key %s not in the registry", ring_types[t]->name, p->key);
            ck_assert_msg(ring_key((size_t)k)->def == p->def && ring_key((size_t)k)->check == p->check,
                          "%s: key %s has another default or check than in %s", ring_types[t]->name, p->key,
                          "the first model declaring it");
            for (size_t i = 0; i < j; i++)
                ck_assert_str_ne(ring_types[t]->par[i].key, p->key);
        }
    /* defaults, set/get and the model's own values in par order */
    ring_params p;
    ring_params_default(&p);
    for (size_t k = 0; k < nk; k++)
        ck_assert(p.val[k] == ring_key(k)->def);
    ck_assert_int_eq(ring_params_set(&p, "beta2", -0.25, err), SYM_OK);
    ck_assert(ring_params_get(&p, "beta2") == -0.25);
    p.type = &ring_ising2;
    p.N = 9;
    ring_model *m;
    ck_assert_int_eq(ring_alloc(&m, &p, err), SYM_OK);
    ck_assert(m->val[0] == 1.0 && m->val[1] == -0.25 && ring_get(m, "beta2") == -0.25 && isnan(ring_get(m, "eps")));
    ck_assert(isnan(ring_m4(m)) && ring_order(m, 2.0, 0.3, 0.7) == 0.3);
    ring_free(m);
    p.type = &ring_bump;
    ck_assert_int_eq(ring_alloc(&m, &p, err), SYM_OK);
    ck_assert(ring_order(m, 2.0, 0.3, 0.5) == 0.25 && isfinite(ring_m4(m)));
    ring_free(m);
}
END_TEST

/* ------------------------------------------------------- enumeration */

typedef struct {
    double *C, *lambda, mean, logZ, H;
} enum_result;

/* Every quantity of the ising2 model from all 2^N states, in long double:
 * weights exp(E - E_max), so that large couplings stay representable. */
static enum_result enum_ising2(size_t N, double beta, double beta2, long double **Pout)
{
    size_t S = (size_t)1 << N;
    long double *E = malloc(sizeof(long double) * S), Emax = -INFINITY;
    for (size_t s = 0; s < S; s++) {
        long double e = 0;
        for (size_t i = 0; i < N; i++) {
            int a = (s >> i) & 1 ? 1 : -1, b = (s >> ((i + 1) % N)) & 1 ? 1 : -1,
                c = (s >> ((i + 2) % N)) & 1 ? 1 : -1;
            e += (long double)beta * a * b + (long double)beta2 * a * c;
        }
        E[s] = e;
        Emax = e > Emax ? e : Emax;
    }
    long double Z = 0;
    for (size_t s = 0; s < S; s++)
        Z += expl(E[s] - Emax);
    long double logZ = Emax + logl(Z), H = 0, mean = 0;
    long double *P = malloc(sizeof(long double) * S), *Cl = calloc(N, sizeof(long double));
    for (size_t s = 0; s < S; s++) {
        P[s] = expl(E[s] - logZ);
        H += P[s] * (logZ - E[s]);
        mean += P[s] * ((s & 1) ? 1 : -1);
        for (size_t r = 0; r < N; r++) {
            int c = 0;
            for (size_t i = 0; i < N; i++)
                c += (((s >> i) ^ (s >> ((i + r) % N))) & 1) ? -1 : 1;
            Cl[r] += P[s] * c;
        }
    }
    enum_result out;
    out.C = malloc(sizeof(double) * N);
    out.lambda = malloc(sizeof(double) * N);
    for (size_t r = 0; r < N; r++)
        out.C[r] = (double)(Cl[r] / (long double)N);
    for (size_t k = 0; k < N; k++) {
        long double l = 0;
        for (size_t r = 0; r < N; r++)
            l += Cl[r] / (long double)N * cosl(2 * M_PI * (long double)(k * r % N) / (long double)N);
        out.lambda[k] = (double)l;
    }
    out.mean = (double)mean;
    out.logZ = (double)logZ;
    out.H = (double)H;
    free(E);
    free(Cl);
    if (Pout)
        *Pout = P;
    else
        free(P);
    return out;
}

static void enum_free(enum_result *e)
{
    free(e->C);
    free(e->lambda);
}

/* (beta, beta2) pairs: zero, each coupling alone, ferro and frustrated
 * mixtures, the disorder line beta2 = -log(cosh beta)/2 (where the odd
 * sector of the transfer matrix is degenerate), and strong couplings. */
static const double couplings[][2] = {
    {0, 0}, {0.3, 0}, {0, 0.7}, {0.5, -0.3}, {1.0, 0.6}, {0.8, -1.1}, {2.0, -0.9},
    {1.5, -0.5 * 0.8570987314753703}, /* log cosh 1.5 = 0.857... */
    {0.5, -30}, {25, 10}, {0, -12}, {4, -3.5},
};
#define NCOUP (sizeof couplings / sizeof couplings[0])

START_TEST(test_ising2_enumeration)
{
    static const size_t Ns[] = {3, 4, 5, 6, 7, 8, 10, 13, 14, 16};
    for (size_t a = 0; a < sizeof Ns / sizeof *Ns; a++)
        for (size_t c = 0; c < NCOUP; c++) {
            size_t N = Ns[a];
            double beta = couplings[c][0], beta2 = couplings[c][1];
            ring_model *m = make(&ring_ising2, N, beta, beta2);
            enum_result e = enum_ising2(N, beta, beta2, NULL);
            char what[96];
            snprintf(what, sizeof what, "ising2 N=%zu beta=%g beta2=%g", N, beta, beta2);
            for (size_t r = 0; r < N; r++)
                REQUIRE(fabs(m->C[r] - e.C[r]) < TOL_EXACT, "%s: C(%zu) = %.17g, enumeration %.17g", what, r,
                        m->C[r], e.C[r]);
            for (size_t k = 0; k < N; k++)
                REQUIRE(fabs(m->lambda[k] - e.lambda[k]) < TOL_EXACT * fmax(1, fabs(e.lambda[k])),
                        "%s: lambda_%zu = %.17g, enumeration %.17g", what, k, m->lambda[k], e.lambda[k]);
            ck_assert_msg(m->mean == 0 && fabs(e.mean) < TOL_EXACT, "%s: mean %g, enumeration %g", what, m->mean,
                          e.mean);
            ck_assert_msg(fabs(m->logZ - e.logZ) < TOL_EXACT * fmax(1, fabs(e.logZ)),
                          "%s: logZ %.17g, enumeration %.17g", what, m->logZ, e.logZ);
            ck_assert_msg(fabs(m->entropy - e.H) < TOL_EXACT * fmax(1, e.H), "%s: entropy %.17g, enumeration %.17g",
                          what, m->entropy, e.H);
            enum_free(&e);
            ring_free(m);
        }
}
END_TEST

/* beta2 = 0 is the ising chain: the same C, lambda, log Z and entropy as
 * the closed forms of model_ising.c, from N = 3 to 10^5. */
START_TEST(test_ising2_is_ising)
{
    static const size_t Ns[] = {3, 4, 17, 100, 1000, 100000};
    static const double betas[] = {0, 0.4, 1, 3, 5, 15};
    for (size_t a = 0; a < sizeof Ns / sizeof *Ns; a++)
        for (size_t b = 0; b < sizeof betas / sizeof *betas; b++) {
            size_t N = Ns[a];
            ring_model *x = make(&ring_ising, N, betas[b], 0), *y = make(&ring_ising2, N, betas[b], 0);
            for (size_t r = 0; r < N; r++)
                REQUIRE(fabs(x->C[r] - y->C[r]) < TOL_ISING, "N=%zu beta=%g: C(%zu) %.17g, ising %.17g", N,
                        betas[b], r, y->C[r], x->C[r]);
            /* lambda sums N values of C: the error of C times up to N */
            for (size_t k = 0; k < N; k++)
                REQUIRE(fabs(x->lambda[k] - y->lambda[k]) < TOL_ISING * fmax(1, x->lambda[k]) * (double)N,
                        "N=%zu beta=%g: lambda_%zu %.17g, ising %.17g", N, betas[b], k, y->lambda[k], x->lambda[k]);
            ck_assert_msg(fabs(x->logZ - y->logZ) < TOL_ISING * fabs(x->logZ), "N=%zu beta=%g: logZ %.17g, ising %.17g",
                          N, betas[b], y->logZ, x->logZ);
            ck_assert_msg(fabs(x->entropy - y->entropy) < TOL_ISING * fmax(1, x->entropy),
                          "N=%zu beta=%g: entropy %.17g, ising %.17g", N, betas[b], y->entropy, x->entropy);
            ring_free(x);
            ring_free(y);
        }
}
END_TEST

/* ------------------------------------- a second method: plain products */

/* The 4 x 4 transfer matrix on pairs, T[(a,b),(b,c)] = exp(beta a b +
 * beta2 a c - beta - |beta2|), multiplied out in long double (entries stay
 * below 4^N, inside long double's range for these N): C(r) = tr(S T^r S
 * T^(N-r)) / tr T^N, S = diag(first spin of the pair). */
typedef long double m4x4[4][4];

static void mul(m4x4 c, m4x4 a, m4x4 b)
{
    m4x4 t;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            t[i][j] = 0;
            for (int k = 0; k < 4; k++)
                t[i][j] += a[i][k] * b[k][j];
        }
    memcpy(c, t, sizeof t);
}

static int spin_of(int x, int which)
{
    return ((x >> (1 - which)) & 1) ? -1 : 1;
}

START_TEST(test_ising2_products)
{
    static const struct { size_t N; double beta, beta2; } cs[] = {
        {200, 1.0, -0.4}, {200, 0.5, 0.8}, {1001, 2.0, -1.5}, {1001, 0.3, 0.2}, {202, 0.6, -2.0}};
    for (size_t a = 0; a < sizeof cs / sizeof *cs; a++) {
        size_t N = cs[a].N;
        long double beta = cs[a].beta, beta2 = cs[a].beta2;
        m4x4 T, *pw = malloc(sizeof(m4x4) * (N + 1));
        for (int x = 0; x < 4; x++)
            for (int y = 0; y < 4; y++) {
                int va = spin_of(x, 0), vb = spin_of(x, 1), vb2 = spin_of(y, 0), vc = spin_of(y, 1);
                T[x][y] = vb == vb2 ? expl(beta * va * vb + beta2 * va * vc - beta - fabsl(beta2)) : 0;
            }
        memset(pw[0], 0, sizeof(m4x4));
        for (int x = 0; x < 4; x++)
            pw[0][x][x] = 1;
        for (size_t n = 1; n <= N; n++)
            mul(pw[n], pw[n - 1], T);
        long double Z = 0;
        for (int x = 0; x < 4; x++)
            Z += pw[N][x][x];
        ring_model *m = make(&ring_ising2, N, cs[a].beta, cs[a].beta2);
        for (size_t r = 0; r < N; r++) {
            long double num = 0;
            for (int x = 0; x < 4; x++)
                for (int y = 0; y < 4; y++)
                    num += spin_of(x, 0) * pw[r][x][y] * spin_of(y, 0) * pw[N - r][y][x];
            double C = (double)(num / Z);
            REQUIRE(fabs(m->C[r] - C) < TOL_EXACT, "N=%zu beta=%g beta2=%g: C(%zu) = %.17g, products %.17g", N,
                    cs[a].beta, cs[a].beta2, r, m->C[r], C);
        }
        long double logZ = logl(Z) + (long double)N * (beta + fabsl(beta2));
        ck_assert_msg(fabsl(m->logZ - logZ) < TOL_EXACT * fabsl(logZ), "N=%zu: logZ %.17g, products %.17Lg", N,
                      m->logZ, logZ);
        long double S = logZ - beta * N * m->C[1] - beta2 * N * m->C[2];
        ck_assert_msg(fabsl(m->entropy - S) < 1e-10L * fmaxl(1, S), "N=%zu: entropy %.17g, products %.17Lg", N,
                      m->entropy, S);
        free(pw);
        ring_free(m);
    }
}
END_TEST

/* N = 10^6: nothing overflows; C(0) = 1, |C| <= 1, sum_k lambda_k = N C(0),
 * lambda_k >= 0, 0 <= S <= N log 2, the conditionals are probabilities --
 * also frustrated (beta2 << 0, N = 2 mod 4: the ++-- ground state does not
 * fit) and ferromagnetic at large couplings. */
START_TEST(test_ising2_large)
{
    static const struct { size_t N; double beta, beta2; } cs[] = {
        {999999, 5, -3}, {1000002, 0.2, -40}, {1000000, 0.2, -40}, {1000000, 30, 20}};
    double S[4];
    for (size_t a = 0; a < sizeof cs / sizeof *cs; a++) {
        size_t N = cs[a].N;
        ring_model *m = make(&ring_ising2, N, cs[a].beta, cs[a].beta2);
        ck_assert(m->C[0] == 1);
        double tr = 0, lmin = INFINITY, lmax = -INFINITY;
        for (size_t k = 0; k < N; k++) {
            REQUIRE(isfinite(m->C[k]) && fabs(m->C[k]) <= 1, "C(%zu) = %g", k, m->C[k]);
            REQUIRE(m->C[k] == m->C[(N - k) % N], "C(%zu) != C(N-%zu)", k, k);
            REQUIRE(isfinite(m->lambda[k]), "lambda_%zu = %g", k, m->lambda[k]);
            tr += m->lambda[k];
            lmin = fmin(lmin, m->lambda[k]);
            lmax = fmax(lmax, m->lambda[k]);
        }
        ck_assert_msg(fabs(tr - (double)N) < 1e-9 * (double)N, "N=%zu: sum lambda = %.17g", N, tr);
        ck_assert_msg(lmin > -1e-9 * fmax(1, lmax), "N=%zu beta2=%g: lambda_min = %g", N, cs[a].beta2, lmin);
        ck_assert_msg(m->entropy >= -1e-9 && m->entropy <= (double)N * log(2.0) * (1 + 1e-12) && isfinite(m->logZ),
                      "N=%zu: S = %g, logZ = %g", N, m->entropy, m->logZ);
        S[a] = m->entropy;
        double *p = malloc(sizeof(double) * 8 * N);
        char err[SYM_ERRLEN];
        ck_assert_int_eq(ring_ising2_conditionals(m, p, err), SYM_OK);
        ck_assert(p[0] >= 0 && p[0] <= 1);
        for (size_t k = 8; k < 8 * (N - 1); k++)
            REQUIRE(p[k] >= 0 && p[k] <= 1, "conditional %zu = %g", k, p[k]);
        free(p);
        ring_free(m);
    }
    /* frustration: at beta2 = -40 the ground states are the 4 shifts of
     * ++--, S = log 4 up to e^{-160}, when N = 0 mod 4; at N = 2 mod 4 every
     * configuration has defects, which can sit anywhere: S is larger */
    ck_assert_msg(fabs(S[2] - log(4.0)) < 1e-6, "N = 0 mod 4: S = %.17g, expected log 4", S[2]);
    ck_assert_msg(S[1] > S[2] + 1, "N = 2 mod 4: S = %g not above %g", S[1], S[2]);
    /* strong ferromagnet: the two ground states */
    ck_assert_msg(fabs(S[3] - log(2.0)) < 1e-6, "beta = 30: S = %.17g, expected log 2", S[3]);
}
END_TEST

/* -------------------------------------------------------- the sampler */

/* P(v_{i+1} = v_i | v_0 .. v_i) from enumerated prefix marginals, for every
 * prefix (both signs of v_0), against the sampler's table in the frame
 * v_0 = +1; and P(v_1 = +1 | v_0 = +1). */
START_TEST(test_ising2_conditionals)
{
    static const size_t Ns[] = {3, 4, 5, 8, 11};
    for (size_t a = 0; a < sizeof Ns / sizeof *Ns; a++)
        for (size_t c = 0; c < NCOUP; c++) {
            size_t N = Ns[a];
            double beta = couplings[c][0], beta2 = couplings[c][1];
            ring_model *m = make(&ring_ising2, N, beta, beta2);
            double *p = malloc(sizeof(double) * 8 * N);
            char err[SYM_ERRLEN];
            ck_assert_int_eq(ring_ising2_conditionals(m, p, err), SYM_OK);
            long double *P;
            enum_result e = enum_ising2(N, beta, beta2, &P);
            enum_free(&e);
            /* marg[mask], bit i = (v_i == +1), over prefixes of length len */
            for (size_t len = N; len >= 3; len--) {
                size_t bit = (size_t)1 << (len - 1), i = len - 2;
                for (size_t mask = 0; mask < bit; mask++) {
                    int v0 = mask & 1 ? 1 : -1;
                    int w1 = ((mask >> 1) & 1 ? 1 : -1) * v0, wa = ((mask >> (i - 1)) & 1 ? 1 : -1) * v0,
                        wb = ((mask >> i) & 1 ? 1 : -1) * v0;
                    int vi = wb * v0;
                    long double same = P[mask | (vi > 0 ? bit : 0)], tot = P[mask] + P[mask | bit];
                    double want = p[8 * i + 4 * (w1 < 0) + 2 * (wa < 0) + (wb < 0)];
                    REQUIRE(fabsl(same / tot - want) < TOL_EXACT,
                            "N=%zu beta=%g beta2=%g i=%zu prefix %zx: P(same) = %.17Lg, table %.17g", N, beta, beta2,
                            i, mask, same / tot, want);
                    P[mask] = tot;
                }
            }
            long double p1 = P[3] / (P[3] + P[1]);   /* v_0 = +1: bit 0 set; v_1 = +1: bit 1 */
            ck_assert_msg(fabsl(p1 - p[0]) < TOL_EXACT, "N=%zu: P(v1 = + | v0 = +) = %.17Lg, table %.17g", N, p1,
                          p[0]);
            free(P);
            free(p);
            ring_free(m);
        }
}
END_TEST

/* Chi-square p-value of counts against probabilities (B draws), bins pooled
 * in order until each expects MIN_EXPECTED. */
static double chisq_p(const double *P, const size_t *cnt, size_t K, size_t B)
{
    double chi = 0, e = 0, o = 0;
    size_t bins = 0;
    for (size_t k = 0; k < K; k++) {
        e += P[k] * (double)B;
        o += (double)cnt[k];
        if (e >= MIN_EXPECTED) {
            chi += (o - e) * (o - e) / e;
            bins++;
            e = o = 0;
        }
    }
    if (e > 0 || o > 0) {
        chi += (o - e) * (o - e) / fmax(e, 1e-300);
        bins++;
    }
    return bins > 1 ? gsl_cdf_chisq_Q(chi, (double)(bins - 1)) : 1;
}

/* N = 6: the frequencies of all 64 configurations at B = 2e5 against the
 * enumerated law. */
START_TEST(test_ising2_configurations)
{
    static const double cs[][2] = {{0.7, -0.4}, {0.3, 1.1}, {1.2, -1.5}, {0, -0.8}};
    size_t N = 6, S = 64, B = 200000;
    for (size_t c = 0; c < sizeof cs / sizeof *cs; c++) {
        ring_model *m = make(&ring_ising2, N, cs[c][0], cs[c][1]);
        long double *P;
        enum_result e = enum_ising2(N, cs[c][0], cs[c][1], &P);
        enum_free(&e);
        double Pd[64];
        for (size_t s = 0; s < S; s++)
            Pd[s] = (double)P[s];
        free(P);
        int8_t *v = malloc(B * N);
        size_t cnt[64] = {0};
        gsl_rng *r = rng_alloc(40 + c, RNG_STREAM_DATA);
        char err[SYM_ERRLEN];
        ck_assert_int_eq(ring_sample(m, r, B, v, err), SYM_OK);
        for (size_t b = 0; b < B; b++) {
            size_t s = 0;
            for (size_t i = 0; i < N; i++) {
                REQUIRE(v[b * N + i] == 1 || v[b * N + i] == -1, "spin %d", v[b * N + i]);
                s |= (size_t)(v[b * N + i] > 0) << i;
            }
            cnt[s]++;
        }
        double pv = chisq_p(Pd, cnt, S, B);
        ck_assert_msg(pv > P_MIN, "beta=%g beta2=%g: configuration chi-square p = %g", cs[c][0], cs[c][1], pv);
        gsl_rng_free(r);
        free(v);
        ring_free(m);
    }
}
END_TEST

/* Sampled C(r) (site-averaged per configuration; configurations are
 * independent) within N_SE standard errors of the exact C(r), B = 2e5. */
START_TEST(test_ising2_sampled_C)
{
    static const struct { size_t N; double beta, beta2; } cs[] = {
        {16, 0.5, -0.3}, {16, 1.0, 0.6}, {18, 0.8, -1.1}, {40, 0.4, -0.9}, {50, 1.2, 0.3}, {7, 2.0, -0.9}};
    size_t B = 200000;
    double zmax = 0;
    for (size_t a = 0; a < sizeof cs / sizeof *cs; a++) {
        size_t N = cs[a].N;
        ring_model *m = make(&ring_ising2, N, cs[a].beta, cs[a].beta2);
        int8_t *v = malloc(B * N);
        gsl_rng *r = rng_alloc(70 + a, RNG_STREAM_DATA);
        char err[SYM_ERRLEN];
        ck_assert_int_eq(ring_sample(m, r, B, v, err), SYM_OK);
        for (size_t r0 = 1; r0 <= N; r0++) {   /* r0 = N: the mean */
            double s = 0, s2 = 0;
            for (size_t b = 0; b < B; b++) {
                const int8_t *x = v + b * N;
                int c = 0;
                for (size_t i = 0; i < N; i++)
                    c += r0 < N ? x[i] * x[(i + r0) % N] : x[i];
                double cb = (double)c / (double)N;
                s += cb;
                s2 += cb * cb;
            }
            double mu = s / (double)B, var = s2 / (double)B - mu * mu;
            double se = sqrt(fmax(var, 0) / (double)(B - 1)), exact = r0 < N ? m->C[r0] : m->mean;
            double z = fabs(mu - exact) / fmax(se, 1e-300);
            zmax = fmax(zmax, z);
            ck_assert_msg(z < N_SE, "N=%zu beta=%g beta2=%g: %s%zu sampled %.6g +- %.2g, exact %.6g (z = %.2f)", N,
                          cs[a].beta, cs[a].beta2, r0 < N ? "C" : "mean", r0 % N, mu, se, exact, z);
        }
        gsl_rng_free(r);
        free(v);
        ring_free(m);
    }
    printf("model: ising2 sampler, largest |z| of C(r) over %zu models at B = %zu: %.2f\n",
           sizeof cs / sizeof *cs, B, zmax);
}
END_TEST

/* The mt19937 path calls the raw generator: the same rows as the textbook
 * rule "uniform < p" on the same stream; another generator takes the
 * textbook path; rows are drawn one after another (chunks do not matter). */
START_TEST(test_ising2_sampler_paths)
{
    size_t N = 23, B = 3000;
    ring_model *m = make(&ring_ising2, N, 0.9, -0.7);
    double *p = malloc(sizeof(double) * 8 * N);
    char err[SYM_ERRLEN];
    ck_assert_int_eq(ring_ising2_conditionals(m, p, err), SYM_OK);
    int8_t *v = malloc(B * N), *w = malloc(B * N);
    gsl_rng *r1 = rng_alloc(3, RNG_STREAM_DATA), *r2 = rng_alloc(3, RNG_STREAM_DATA);
    ck_assert_int_eq(ring_sample(m, r1, B, v, err), SYM_OK);
    for (size_t b = 0; b < B; b++) {
        int8_t *x = w + b * N;
        int v0 = gsl_rng_uniform(r2) < 0.5 ? 1 : -1;
        int wv[64];
        wv[0] = 1;
        wv[1] = gsl_rng_uniform(r2) < p[0] ? 1 : -1;
        for (size_t i = 1; i + 1 < N; i++) {
            double keep = p[8 * i + 4 * (wv[1] < 0) + 2 * (wv[i - 1] < 0) + (wv[i] < 0)];
            wv[i + 1] = gsl_rng_uniform(r2) < keep ? wv[i] : -wv[i];
        }
        for (size_t i = 0; i < N; i++)
            x[i] = (int8_t)(v0 * wv[i]);
    }
    ck_assert_msg(!memcmp(v, w, B * N), "ising2 fast path differs from uniform < p");
    /* 1000 + 2000 rows continue the stream as 3000 */
    gsl_rng_set(r1, 99);
    gsl_rng_set(r2, 99);
    ck_assert_int_eq(ring_sample(m, r1, B, v, err), SYM_OK);
    ck_assert_int_eq(ring_sample(m, r2, 1000, w, err), SYM_OK);
    ck_assert_int_eq(ring_sample(m, r2, B - 1000, w + 1000 * N, err), SYM_OK);
    ck_assert(!memcmp(v, w, B * N));
    gsl_rng_free(r1);
    gsl_rng_free(r2);
    free(p);
    free(v);
    free(w);
    ring_free(m);
    /* taus2: the textbook path, checked by its statistics */
    m = make(&ring_ising2, 10, 0.6, 0.5);
    size_t Bt = 100000;
    v = malloc(Bt * 10);
    gsl_rng *t = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(t, 5);
    ck_assert_int_eq(ring_sample(m, t, Bt, v, err), SYM_OK);
    for (size_t r0 = 1; r0 <= 5; r0++) {
        double s = 0, s2 = 0;
        for (size_t b = 0; b < Bt; b++) {
            int c = 0;
            for (size_t i = 0; i < 10; i++)
                c += v[b * 10 + i] * v[b * 10 + (i + r0) % 10];
            s += c / 10.0;
            s2 += (c / 10.0) * (c / 10.0);
        }
        double mu = s / (double)Bt, se = sqrt((s2 / (double)Bt - mu * mu) / (double)(Bt - 1));
        ck_assert_msg(fabs(mu - m->C[r0]) < N_SE * se, "taus2: C(%zu) sampled %g +- %g, exact %g", r0, mu, se,
                      m->C[r0]);
    }
    gsl_rng_free(t);
    free(v);
    ring_free(m);
}
END_TEST

/* B * N beyond size_t is refused before anything is written. */
START_TEST(test_sample_overflow)
{
    ring_model *m = make(&ring_ising2, 256, 1, 0.5);
    gsl_rng *r = rng_alloc(1, RNG_STREAM_DATA);
    char err[SYM_ERRLEN];
    int8_t one;
    ck_assert_int_eq(ring_sample(m, r, (size_t)72057594037927936ULL, &one, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "B = 72057594037927936") && strstr(err, "N = 256"), "message: %s", err);
    gsl_rng_free(r);
    ring_free(m);
}
END_TEST

Suite *model_suite(void)
{
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, test_table);
    suite_add_tcase(s, tc);
    TCase *te = tcase_create("ising2");
    tcase_add_test(te, test_ising2_enumeration);
    tcase_add_test(te, test_ising2_is_ising);
    tcase_add_test(te, test_ising2_products);
    tcase_add_test(te, test_ising2_large);
    tcase_add_test(te, test_ising2_conditionals);
    suite_add_tcase(s, te);
    TCase *ts = tcase_create("ising2 sampler");
    tcase_add_test(ts, test_ising2_configurations);
    tcase_add_test(ts, test_ising2_sampled_C);
    tcase_add_test(ts, test_ising2_sampler_paths);
    tcase_add_test(ts, test_sample_overflow);
    suite_add_tcase(s, ts);
    return s;
}
