/* Suite ring: the data models of SPEC.md 2 against brute-force enumeration
 * of all 2^N states, the sampler's conditionals against enumeration, and the
 * samplers' statistics against the exact laws. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_gamma.h>

#include "core/err.h"
#include "core/models.h"
#include "core/ring.h"
#include "core/rng.h"
#include "tests/suites.h"

/* Enumeration and the closed forms agree to rounding: sums of <= 2^14 terms
 * of size <= 1 lose at most ~1e-13. */
#define TOL_EXACT 1e-12
/* Sampler statistics: an estimate is accepted within this many standard
 * errors (false alarm ~6e-7 per check). */
#define N_SE 5.0
/* Chi-square tests: reject only below this p-value (fixed seeds, so a pass
 * is reproducible; a wrong law gives p ~ 0 at these B). */
#define P_MIN 1e-6
/* Pool chi-square bins until each expects at least this many counts. */
#define MIN_EXPECTED 5.0

/* ck_assert writes to Check's pipe on every pass (one syscall); inside the
 * loops over 10^5 samples use this, which only calls Check on failure. */
#define REQUIRE(cond, ...) do { if (!(cond)) ck_abort_msg(__VA_ARGS__); } while (0)

/* Probabilities of all 2^N states, bit i of the index = (v_i == +1). */
static double *enum_ising(size_t N, double beta)
{
    size_t S = (size_t)1 << N;
    double *P = malloc(sizeof(double) * S), Z = 0;
    for (size_t s = 0; s < S; s++) {
        int E = 0;
        for (size_t i = 0; i < N; i++) {
            int a = (s >> i) & 1 ? 1 : -1, b = (s >> ((i + 1) % N)) & 1 ? 1 : -1;
            E += a * b;
        }
        P[s] = exp(beta * E);
        Z += P[s];
    }
    for (size_t s = 0; s < S; s++)
        P[s] /= Z;
    return P;
}

static double *enum_bump(size_t N, size_t L, double eps)
{
    size_t S = (size_t)1 << N;
    double *P = calloc(S, sizeof(double));
    for (size_t s = 0; s < S; s++)
        for (size_t x = 0; x < N; x++) {
            double p = 1.0 / (double)N;
            for (size_t i = 0; i < N; i++) {
                int si = (i + N - x) % N < L ? 1 : -1, vi = (s >> i) & 1 ? 1 : -1;
                p *= si == vi ? 1 - eps : eps;
            }
            P[s] += p;
        }
    return P;
}

/* Compare the model with the enumerated P: C(r) from site 0 and from the
 * average over sites, the spectrum by a direct DFT, mean, entropy. */
static void check_against(const ring_model *m, const double *P, const char *what)
{
    size_t N = m->N, S = (size_t)1 << N;
    /* long double accumulators: 2^14 terms summed naively in double drift
     * by ~5e-12, too much for TOL_EXACT */
    long double *Cl = calloc(N, sizeof(long double)), meanl = 0, Hl = 0;
    double *C = calloc(N, sizeof(double));
    for (size_t s = 0; s < S; s++) {
        int v0 = s & 1 ? 1 : -1;
        meanl += P[s] * v0;
        if (P[s] > 0)
            Hl -= P[s] * logl(P[s]);
        for (size_t r = 0; r < N; r++) {
            int c = 0;
            for (size_t i = 0; i < N; i++) {
                int a = (s >> i) & 1 ? 1 : -1, b = (s >> ((i + r) % N)) & 1 ? 1 : -1;
                c += a * b;
            }
            Cl[r] += (long double)P[s] * c;
        }
    }
    for (size_t r = 0; r < N; r++)
        C[r] = (double)(Cl[r] / (long double)N);
    double mean = (double)meanl, H = (double)Hl;
    free(Cl);
    for (size_t r = 0; r < N; r++)
        REQUIRE(fabs(m->C[r] - C[r]) < TOL_EXACT, "%s: C(%zu) = %.17g, enumeration %.17g",
                      what, r, m->C[r], C[r]);
    for (size_t k = 0; k < N; k++) {
        double lk = 0;
        for (size_t r = 0; r < N; r++)
            lk += C[r] * cos(2 * M_PI * (double)(k * r % N) / (double)N);
        REQUIRE(fabs(m->lambda[k] - lk) < TOL_EXACT * fmax(1, fabs(lk)),
                      "%s: lambda_%zu = %.17g, DFT %.17g", what, k, m->lambda[k], lk);
    }
    ck_assert_msg(fabs(m->mean - mean) < TOL_EXACT, "%s: mean %.17g, enumeration %.17g", what, m->mean, mean);
    ck_assert_msg(fabs(m->entropy - H) < TOL_EXACT * fmax(1, H), "%s: entropy %.17g, enumeration %.17g",
                  what, m->entropy, H);
    free(C);
}

static ring_model *make(const ring_type *type, size_t N, double beta, double rho, double eps)
{
    ring_params p;
    ring_params_default(&p);
    char err[SYM_ERRLEN] = "";
    p.type = type;
    p.N = N;
    ck_assert(ring_params_set(&p, "beta", beta, err) == SYM_OK && ring_params_set(&p, "rho", rho, err) == SYM_OK &&
              ring_params_set(&p, "eps", eps, err) == SYM_OK);
    ring_model *m = NULL;
    int st = ring_alloc(&m, &p, err);
    ck_assert_msg(st == SYM_OK && m, "ring_alloc: %s", err);
    return m;
}

START_TEST(test_ising_enumeration)
{
    static const size_t Ns[] = {3, 4, 7, 10, 14};
    static const double betas[] = {0, 0.3, 1, 2.5};
    for (size_t a = 0; a < sizeof Ns / sizeof *Ns; a++)
        for (size_t b = 0; b < sizeof betas / sizeof *betas; b++) {
            size_t N = Ns[a];
            ring_model *m = make(&ring_ising, N, betas[b], 0.5, 0.1);
            double *P = enum_ising(N, betas[b]);
            char what[64];
            snprintf(what, sizeof what, "ising N=%zu beta=%g", N, betas[b]);
            check_against(m, P, what);
            /* log Z by direct summation of the Boltzmann weights */
            double Z = 0;
            for (size_t s = 0; s < ((size_t)1 << N); s++) {
                int E = 0;
                for (size_t i = 0; i < N; i++)
                    E += (((s >> i) & 1) == ((s >> ((i + 1) % N)) & 1)) ? 1 : -1;
                Z += exp(betas[b] * E);
            }
            ck_assert_msg(fabs(m->logZ - log(Z)) < TOL_EXACT * fmax(1, log(Z)),
                          "%s: logZ %.17g, enumeration %.17g", what, m->logZ, log(Z));
            free(P);
            ring_free(m);
        }
}
END_TEST

START_TEST(test_bump_enumeration)
{
    static const size_t Ns[] = {5, 9, 14};
    static const double rhos[] = {0.3, 0.5, 0.7};
    static const double epss[] = {0, 0.1, 0.37, 0.5};
    for (size_t a = 0; a < sizeof Ns / sizeof *Ns; a++)
        for (size_t b = 0; b < sizeof rhos / sizeof *rhos; b++)
            for (size_t c = 0; c < sizeof epss / sizeof *epss; c++) {
                size_t N = Ns[a];
                ring_model *m = make(&ring_bump, N, 1, rhos[b], epss[c]);
                size_t L = (size_t)llround(rhos[b] * (double)N);
                ck_assert_msg(ring_bump_L(m) == L, "L = %zu, expected round(rho N) = %zu", ring_bump_L(m), L);
                ck_assert(isnan(m->logZ));
                double *P = enum_bump(N, L, epss[c]);
                char what[80];
                snprintf(what, sizeof what, "bump N=%zu rho=%g eps=%g", N, rhos[b], epss[c]);
                check_against(m, P, what);
                free(P);
                ring_free(m);
            }
}
END_TEST

/* Entropy beyond enumeration: eps = 0 is log N at any N, eps = 1/2 is
 * N log 2; otherwise NAN above the enumeration limit. */
START_TEST(test_bump_entropy_large)
{
    ring_model *m = make(&ring_bump, 1000, 1, 0.3, 0);
    ck_assert_msg(fabs(m->entropy - log(1000.0)) < TOL_EXACT * 10, "eps=0: %.17g", m->entropy);
    ring_free(m);
    m = make(&ring_bump, 1000, 1, 0.3, 0.5);
    ck_assert_msg(fabs(m->entropy - 1000 * log(2.0)) < TOL_EXACT * 1000, "eps=1/2: %.17g", m->entropy);
    for (size_t k = 0; k < 1000; k++)
        REQUIRE(fabs(m->lambda[k] - 1) < TOL_EXACT * 100, "eps=1/2: lambda_%zu = %g", k, m->lambda[k]);
    ring_free(m);
    m = make(&ring_bump, 200, 1, 0.5, 0.1);
    ck_assert(isnan(m->entropy));
    ring_free(m);
}
END_TEST

/* N = 10^6 at beta = 5 (xi ~ 1.1e4): no overflow, and the closed forms
 * against long double evaluations of the textbook expressions. */
START_TEST(test_ising_large_N)
{
    size_t N = 1000000;
    double beta = 5;
    ring_model *m = make(&ring_ising, N, beta, 0.5, 0.1);
    long double t = tanhl(5.0L), tN = powl(t, (long double)N);
    static const size_t rs[] = {0, 1, 17, 1000, 99999, 500000, 999999};
    for (size_t a = 0; a < sizeof rs / sizeof *rs; a++) {
        size_t r = rs[a];
        long double C = (powl(t, (long double)r) + powl(t, (long double)(N - r))) / (1 + tN);
        ck_assert_msg(isfinite(m->C[r]) && fabsl(m->C[r] - C) < 1e-10L * C,
                      "C(%zu) = %.17g, long double %.17Lg", r, m->C[r], C);
    }
    /* trace: sum_k lambda_k = N C(0) = N; every lambda_k > 0 */
    double tr = 0;
    for (size_t k = 0; k < N; k++) {
        REQUIRE(isfinite(m->lambda[k]) && m->lambda[k] > 0, "lambda_%zu = %g", k, m->lambda[k]);
        tr += m->lambda[k];
    }
    ck_assert_msg(fabs(tr - (double)N) < 1e-9 * (double)N, "sum lambda = %.17g", tr);
    long double logZ = (long double)N * logl(2 * coshl(5.0L)) + log1pl(tN);
    long double C1 = (t + powl(t, (long double)(N - 1))) / (1 + tN);
    long double S = logZ - 5.0L * (long double)N * C1;
    ck_assert_msg(fabsl(m->logZ - logZ) < 1e-12L * logZ, "logZ %.17g vs %.17Lg", m->logZ, logZ);
    ck_assert_msg(fabsl(m->entropy - S) < 1e-9L * S, "entropy %.17g vs %.17Lg", m->entropy, S);
    ring_free(m);

    /* deep in the ordered phase: two ground states, S -> log 2; at beta =
     * 1000 t rounds to 1 and every quantity takes its limit */
    static const double bigs[] = {50, 1000};
    for (size_t a = 0; a < 2; a++) {
        m = make(&ring_ising, 1000, bigs[a], 0.5, 0.1);
        ck_assert_msg(fabs(m->entropy - log(2.0)) < TOL_EXACT, "beta=%g: S = %.17g", bigs[a], m->entropy);
        ck_assert_msg(fabs(m->lambda[0] - 1000) < 1e-9, "beta=%g: lambda_0 = %.17g", bigs[a], m->lambda[0]);
        ck_assert_msg(fabs(m->C[500] - 1) < TOL_EXACT, "beta=%g: C(500) = %.17g", bigs[a], m->C[500]);
        double *p = malloc(sizeof(double) * 2000);
        char err[SYM_ERRLEN];
        ck_assert_int_eq(ring_ising_conditionals(m, p, err), SYM_OK);
        for (size_t i = 1; i < 1000; i++)
            REQUIRE(p[2 * i] >= 0 && p[2 * i] <= 1 && p[2 * i + 1] >= 0 && p[2 * i + 1] <= 1,
                          "beta=%g: conditional %zu = %g, %g", bigs[a], i, p[2 * i], p[2 * i + 1]);
        free(p);
        ring_free(m);
    }
}
END_TEST

/* P(v_i = v_{i-1} | v_0 .. v_{i-1}) from enumerated prefix marginals, for
 * every prefix, against the sampler's table. */
START_TEST(test_ising_conditionals)
{
    static const size_t Ns[] = {3, 5, 9, 12};
    static const double betas[] = {0, 0.4, 1.3, 3};
    for (size_t a = 0; a < sizeof Ns / sizeof *Ns; a++)
        for (size_t b = 0; b < sizeof betas / sizeof *betas; b++) {
            size_t N = Ns[a], S = (size_t)1 << N;
            ring_model *m = make(&ring_ising, N, betas[b], 0.5, 0.1);
            double *p = malloc(sizeof(double) * 2 * N);
            char err[SYM_ERRLEN];
            ck_assert_int_eq(ring_ising_conditionals(m, p, err), SYM_OK);
            double *P = enum_ising(N, betas[b]);
            /* marg[mask] for prefixes of length i: sum over the other bits */
            double *marg = malloc(sizeof(double) * S);
            memcpy(marg, P, sizeof(double) * S);
            for (size_t i = N - 1; i >= 1; i--) {
                /* fold bit i away: marg now holds prefix-(i+1) marginals at
                 * indices < 2^(i+1); compute length-i ones into low half */
                size_t half = (size_t)1 << i;
                for (size_t mask = 0; mask < half; mask++) {
                    int v0 = mask & 1 ? 1 : -1, vp = (mask >> (i - 1)) & 1 ? 1 : -1;
                    double same = marg[mask | (vp > 0 ? half : 0)];
                    double tot = marg[mask] + marg[mask | half];
                    double want = p[2 * i + (vp != v0)];
                    REQUIRE(fabs(same / tot - want) < TOL_EXACT,
                                  "N=%zu beta=%g i=%zu prefix %zx: P(same) = %.17g, table %.17g",
                                  N, betas[b], i, mask, same / tot, want);
                    marg[mask] = tot;
                }
            }
            free(marg);
            free(P);
            free(p);
            ring_free(m);
        }
}
END_TEST

/* Sampled C(r) and <v> within N_SE standard errors, the error estimated from
 * the per-configuration averages (configurations are independent). */
static void check_sampled_moments_with(const ring_model *m, size_t B, gsl_rng *r)
{
    size_t N = m->N;
    int8_t *v = malloc(B * N);
    char err[SYM_ERRLEN];
    ck_assert_int_eq(ring_sample(m, r, B, v, err), SYM_OK);
    for (size_t r0 = 0; r0 <= N; r0++) {   /* r0 = N: the mean */
        double s = 0, s2 = 0;
        for (size_t b = 0; b < B; b++) {
            const int8_t *x = v + b * N;
            double c = 0;
            for (size_t i = 0; i < N; i++)
                c += r0 < N ? x[i] * x[(i + r0) % N] : x[i];
            c /= (double)N;
            s += c;
            s2 += c * c;
        }
        double mu = s / (double)B, var = s2 / (double)B - mu * mu;
        double se = sqrt(fmax(var, 0) / (double)(B - 1)), exact = r0 < N ? m->C[r0] : m->mean;
        ck_assert_msg(fabs(mu - exact) <= N_SE * se + 1e-9,   /* 1e-9: rounding of B terms */
                      "%s N=%zu beta=%g beta2=%g rho=%g eps=%g: %s%zu sampled %.6g +- %.2g, exact %.6g",
                      m->type->name, N, ring_get(m, "beta"), ring_get(m, "beta2"), ring_get(m, "rho"),
                      ring_get(m, "eps"),
                      r0 < N ? "C" : "mean", r0 < N ? r0 : 0, mu, se, exact);
    }
    for (size_t k = 0; k < B * N; k++)
        REQUIRE(v[k] == 1 || v[k] == -1, "v[%zu] = %d", k, v[k]);
    free(v);
}

static void check_sampled_moments(const ring_model *m, size_t B, uint64_t seed)
{
    gsl_rng *r = rng_alloc(seed, RNG_STREAM_DATA);
    check_sampled_moments_with(m, B, r);
    gsl_rng_free(r);
}

START_TEST(test_ising_sampler_moments)
{
    static const double betas[] = {0, 0.5, 1.5};
    for (size_t b = 0; b < 3; b++) {
        ring_model *m = make(&ring_ising, 16, betas[b], 0.5, 0.1);
        check_sampled_moments(m, 200000, 11 + b);
        ring_free(m);
    }
    ring_model *m = make(&ring_ising, 7, 0.8, 0.5, 0.1);
    check_sampled_moments(m, 200000, 7);
    ring_free(m);
}
END_TEST

START_TEST(test_bump_sampler_moments)
{
    ring_model *m = make(&ring_bump, 12, 1, 0.4, 0.15);
    check_sampled_moments(m, 200000, 3);
    ring_free(m);
    m = make(&ring_bump, 15, 1, 0.5, 0.0);
    check_sampled_moments(m, 200000, 4);
    ring_free(m);
}
END_TEST

/* The mt19937 fast path compares raw 32-bit draws with integer thresholds;
 * it must give exactly the samples of the textbook rule "uniform < p" with
 * gsl_rng_uniform on the same stream.  Other generators take the textbook
 * path: check their statistics too. */
START_TEST(test_sampler_generators)
{
    size_t N = 30, B = 2000;
    ring_model *m = make(&ring_ising, N, 0.9, 0.5, 0.1);
    double *p = malloc(sizeof(double) * 2 * N);
    char err[SYM_ERRLEN];
    ck_assert_int_eq(ring_ising_conditionals(m, p, err), SYM_OK);
    int8_t *v = malloc(B * N), *w = malloc(B * N);
    gsl_rng *r1 = rng_alloc(21, RNG_STREAM_DATA), *r2 = rng_alloc(21, RNG_STREAM_DATA);
    ck_assert_int_eq(ring_sample(m, r1, B, v, err), SYM_OK);
    for (size_t b = 0; b < B; b++) {
        int8_t *x = w + b * N;
        x[0] = gsl_rng_uniform(r2) < 0.5 ? 1 : -1;
        for (size_t i = 1; i < N; i++)
            x[i] = gsl_rng_uniform(r2) < p[2 * i + (x[i - 1] != x[0])] ? x[i - 1] : (int8_t)-x[i - 1];
    }
    ck_assert_msg(!memcmp(v, w, B * N), "ising fast path differs from uniform < p");
    ring_free(m);
    m = make(&ring_bump, N, 1, 0.3, 0.2);
    gsl_rng_set(r1, 5);
    gsl_rng_set(r2, 5);
    ck_assert_int_eq(ring_sample(m, r1, B, v, err), SYM_OK);
    for (size_t b = 0; b < B; b++) {
        int8_t *x = w + b * N;
        size_t x0 = (size_t)gsl_rng_uniform_int(r2, N);
        for (size_t i = 0; i < N; i++)
            x[i] = (i + N - x0) % N < ring_bump_L(m) ? 1 : -1;
        for (size_t i = 0; i < N; i++)
            if (gsl_rng_uniform(r2) < 0.2)
                x[i] = (int8_t)-x[i];
    }
    ck_assert_msg(!memcmp(v, w, B * N), "bump fast path differs from uniform < eps");
    gsl_rng_free(r1);
    gsl_rng_free(r2);
    free(v);
    free(w);
    free(p);
    ring_free(m);

    gsl_rng *t = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(t, 77);
    m = make(&ring_ising, 10, 0.8, 0.5, 0.1);
    check_sampled_moments_with(m, 100000, t);
    ring_free(m);
    m = make(&ring_bump, 10, 1, 0.3, 0.2);
    check_sampled_moments_with(m, 100000, t);
    ring_free(m);
    gsl_rng_free(t);
}
END_TEST

/* Exact law of the number n of domain walls (bonds with v_i != v_{i+1}):
 * a configuration is v_0 and an even-sized set of wall bonds, with weight
 * e^{beta (N - 2n)}, so P(n) = C(N,n) x^n / Z', x = e^{-2 beta}, n even. */
static void walls_law(size_t N, double beta, double *P)
{
    double lmax = -INFINITY;
    for (size_t n = 0; n <= N; n++) {
        P[n] = n % 2 ? -INFINITY : gsl_sf_lnchoose((unsigned)N, (unsigned)n) - 2 * beta * (double)n;
        lmax = fmax(lmax, P[n]);
    }
    double Z = 0;
    for (size_t n = 0; n <= N; n++)
        Z += P[n] = exp(P[n] - lmax);
    for (size_t n = 0; n <= N; n++)
        P[n] /= Z;
}

static size_t count_walls(const int8_t *x, size_t N)
{
    size_t n = 0;
    for (size_t i = 0; i < N; i++)
        n += x[i] != x[(i + 1) % N];
    return n;
}

/* Chi-square of observed counts against probabilities P[0..K-1] (B draws),
 * bins pooled in order until each expects MIN_EXPECTED; returns the p-value. */
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
    if (e > 0 || o > 0) {   /* leftover tail: fold into a last bin */
        chi += (o - e) * (o - e) / fmax(e, 1e-300);
        bins++;
    }
    return bins > 1 ? gsl_cdf_chisq_Q(chi, (double)(bins - 1)) : 1;
}

START_TEST(test_ising_walls)
{
    /* the law against enumeration */
    static const size_t Ns[] = {5, 8, 13};
    for (size_t a = 0; a < 3; a++) {
        size_t N = Ns[a], S = (size_t)1 << N;
        double beta = 0.7, *P = enum_ising(N, beta), Pn[16] = {0}, law[16];
        for (size_t s = 0; s < S; s++) {
            int8_t x[16];
            for (size_t i = 0; i < N; i++)
                x[i] = (s >> i) & 1 ? 1 : -1;
            Pn[count_walls(x, N)] += P[s];
        }
        walls_law(N, beta, law);
        for (size_t n = 0; n <= N; n++)
            ck_assert_msg(fabs(Pn[n] - law[n]) < TOL_EXACT, "N=%zu: P(%zu walls) = %.17g, law %.17g",
                          N, n, Pn[n], law[n]);
        free(P);
    }
    /* sampled wall counts against the law, chi-square */
    static const struct { size_t N, B; double beta; } cs[] = {{11, 200000, 0.3}, {1000, 50000, 1.0}, {200, 100000, 2.0}};
    for (size_t a = 0; a < 3; a++) {
        size_t N = cs[a].N, B = cs[a].B;
        ring_model *m = make(&ring_ising, N, cs[a].beta, 0.5, 0.1);
        int8_t *v = malloc(B * N);
        size_t *cnt = calloc(N + 1, sizeof(size_t));
        double *law = malloc(sizeof(double) * (N + 1));
        gsl_rng *r = rng_alloc(100 + a, RNG_STREAM_DATA);
        char err[SYM_ERRLEN];
        ck_assert_int_eq(ring_sample(m, r, B, v, err), SYM_OK);
        for (size_t b = 0; b < B; b++) {
            size_t n = count_walls(v + b * N, N);
            REQUIRE(n % 2 == 0, "odd number of walls %zu", n);
            cnt[n]++;
        }
        walls_law(N, cs[a].beta, law);
        double pv = chisq_p(law, cnt, N + 1, B);
        ck_assert_msg(pv > P_MIN, "N=%zu beta=%g: wall-count chi-square p = %g", N, cs[a].beta, pv);
        gsl_rng_free(r);
        free(law);
        free(cnt);
        free(v);
        ring_free(m);
    }
}
END_TEST

/* eps = 0: each sample is exactly one block of L; its start x is uniform. */
START_TEST(test_bump_positions)
{
    size_t N = 37, B = 200000;
    ring_model *m = make(&ring_bump, N, 1, 0.3, 0);
    size_t L = ring_bump_L(m);
    int8_t *v = malloc(B * N);
    size_t *cnt = calloc(N, sizeof(size_t));
    gsl_rng *r = rng_alloc(5, RNG_STREAM_DATA);
    char err[SYM_ERRLEN];
    ck_assert_int_eq(ring_sample(m, r, B, v, err), SYM_OK);
    for (size_t b = 0; b < B; b++) {
        const int8_t *x = v + b * N;
        size_t starts = 0, x0 = 0, plus = 0;
        for (size_t i = 0; i < N; i++) {
            plus += x[i] > 0;
            if (x[i] > 0 && x[(i + N - 1) % N] < 0) {
                starts++;
                x0 = i;
            }
        }
        REQUIRE(starts == 1 && plus == L, "sample %zu: %zu blocks, %zu of +1 (L = %zu)", b, starts, plus, L);
        cnt[x0]++;
    }
    double *P = malloc(sizeof(double) * N);
    for (size_t i = 0; i < N; i++)
        P[i] = 1.0 / (double)N;
    double pv = chisq_p(P, cnt, N, B);
    ck_assert_msg(pv > P_MIN, "bump positions chi-square p = %g", pv);
    free(P);
    gsl_rng_free(r);
    free(cnt);
    free(v);
    ring_free(m);
}
END_TEST

/* Same generator state, same samples; B = 0 draws nothing. */
START_TEST(test_sampler_reproducible)
{
    ring_model *m = make(&ring_ising, 50, 0.9, 0.5, 0.1);
    int8_t *a = malloc(50 * 100), *b = malloc(50 * 100);
    gsl_rng *r1 = rng_alloc(9, RNG_STREAM_DATA), *r2 = rng_alloc(9, RNG_STREAM_DATA);
    char err[SYM_ERRLEN];
    ck_assert_int_eq(ring_sample(m, r1, 0, a, err), SYM_OK);
    ck_assert_int_eq(ring_sample(m, r1, 100, a, err), SYM_OK);
    /* two calls of 40 and 60 rows continue the same stream as one of 100 */
    ck_assert_int_eq(ring_sample(m, r2, 40, b, err), SYM_OK);
    ck_assert_int_eq(ring_sample(m, r2, 60, b + 40 * 50, err), SYM_OK);
    ck_assert(!memcmp(a, b, 50 * 100));
    gsl_rng_free(r1);
    gsl_rng_free(r2);
    free(a);
    free(b);
    ring_free(m);
}
END_TEST

static void expect_bad(ring_params p, const char *name)
{
    char err[SYM_ERRLEN] = "";
    ck_assert_int_eq(ring_params_check(&p, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, name) != NULL, "message '%s' does not name %s", err, name);
    ck_assert_msg(!strstr(err, "--"), "library message '%s' uses a CLI spelling", err);
    ck_assert_msg(!strchr(err, '\n'), "message has a newline: '%s'", err);
    ring_model *m = (ring_model *)&p;   /* any non-NULL value: must be reset */
    ck_assert_int_eq(ring_alloc(&m, &p, err), SYM_EINVAL);
    ck_assert(m == NULL);
}

static ring_params with(ring_params p, const char *key, double v)
{
    char err[SYM_ERRLEN];
    ck_assert_int_eq(ring_params_set(&p, key, v, err), SYM_OK);
    return p;
}

START_TEST(test_bad_params)
{
    ring_params p, q;
    ring_params_default(&p);
    ck_assert(p.type == &ring_ising && p.N == 100 && ring_params_get(&p, "beta") == 1 &&
              ring_params_get(&p, "rho") == 0.5 && ring_params_get(&p, "eps") == 0.1 &&
              ring_params_get(&p, "beta2") == 0);
    char err[SYM_ERRLEN];
    ck_assert_int_eq(ring_params_check(&p, err), SYM_OK);
    q = p; q.N = 2; expect_bad(q, "N = 2");
    q = p; q.N = 0; expect_bad(q, "N = 0");
    expect_bad(with(p, "beta", -1), "beta = -1");
    expect_bad(with(p, "beta", NAN), "beta = nan");
    expect_bad(with(p, "beta", INFINITY), "beta = inf");
    expect_bad(with(p, "eps", -0.1), "eps = -0.1");
    expect_bad(with(p, "eps", 0.6), "eps = 0.6");
    expect_bad(with(p, "eps", NAN), "eps");
    expect_bad(with(p, "rho", 0), "rho = 0");
    expect_bad(with(p, "rho", 1), "rho = 1");
    expect_bad(with(p, "beta2", NAN), "beta2");
    expect_bad(with(p, "beta2", -INFINITY), "beta2");
    q = p; q.type = &ring_ising2; expect_bad(with(q, "beta", -0.5), "beta = -0.5");   /* shared check */
    q = p; q.type = &ring_bump; q.N = 10; expect_bad(with(q, "rho", 0.04), "rho");   /* L = 0  */
    q = p; q.type = &ring_bump; q.N = 10; expect_bad(with(q, "rho", 0.96), "rho");   /* L = N  */
    q = with(with(p, "rho", 0.1), "eps", 0.5); q.type = &ring_bump; q.N = 10;
    ck_assert_int_eq(ring_params_check(&q, err), SYM_OK);                        /* L = 1 */
    q = p; q.type = NULL;
    ck_assert_int_eq(ring_params_check(&q, err), SYM_EINVAL);
    ck_assert_int_eq(ring_params_set(&q, "gamma", 1, err), SYM_EINVAL);
    ck_assert(strstr(err, "gamma") != NULL);
    ck_assert(isnan(ring_params_get(&p, "gamma")));

    ring_model *m = make(&ring_bump, 10, 1, 0.5, 0.1);
    double pp[80];
    ck_assert_int_eq(ring_ising_conditionals(m, pp, err), SYM_EINVAL);
    ck_assert_int_eq(ring_ising2_conditionals(m, pp, err), SYM_EINVAL);
    ck_assert(isnan(ring_get(m, "beta")) && ring_get(m, "eps") == 0.1 && ring_get(m, "rho") == 0.5);
    ring_free(m);
}
END_TEST

/* The header keys: data, N, the model's own parameters (%.17g), then what
 * the model derives (bump: L), each once, into an existing header. */
START_TEST(test_header_set)
{
    ring_model *m = make(&ring_bump, 10, 1, 0.3, 0.25);
    traj_header h;
    traj_header_init(&h);
    ck_assert_int_eq(traj_header_set(&h, "program", "x"), SYM_OK);
    ck_assert_int_eq(traj_header_set(&h, "N", "old"), SYM_OK);
    ck_assert_int_eq(ring_header_set(m, &h), SYM_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    traj_header_write(&h, fp);
    fclose(fp);
    ck_assert_str_eq(buf, "# program=x\n# N=10\n# data=bump\n# rho=0.29999999999999999\n# eps=0.25\n# L=3\n");
    free(buf);
    traj_header_free(&h);
    ring_free(m);
    m = make(&ring_ising, 64, 1.5, 0.3, 0.25);
    ck_assert_int_eq(ring_header_set(m, &h), SYM_OK);
    fp = open_memstream(&buf, &len);
    traj_header_write(&h, fp);
    fclose(fp);
    ck_assert_str_eq(buf, "# data=ising\n# N=64\n# beta=1.5\n");
    free(buf);
    traj_header_free(&h);
    ring_free(m);
}
END_TEST

/* Reading back through the type's own keys rebuilds the same model (what
 * compare does with a theory header). */
START_TEST(test_header_roundtrip)
{
    for (size_t t = 0; ring_types[t]; t++) {
        ring_params p;
        ring_params_default(&p);
        char err[SYM_ERRLEN];
        p.type = ring_types[t];
        p.N = 11;
        ck_assert_int_eq(ring_params_set(&p, "beta", 0.1 + 0.7, err), SYM_OK);
        ck_assert_int_eq(ring_params_set(&p, "beta2", -1.0 / 3, err), SYM_OK);
        ck_assert_int_eq(ring_params_set(&p, "rho", 0.3, err), SYM_OK);
        ring_model *m, *m2;
        ck_assert_msg(ring_alloc(&m, &p, err) == SYM_OK, "%s", err);
        traj_header h;
        traj_header_init(&h);
        ck_assert_int_eq(ring_header_set(m, &h), SYM_OK);
        ring_params q;
        ring_params_default(&q);
        ck_assert_int_eq(ring_type_find(traj_header_get(&h, "data"), &q.type, err), SYM_OK);
        q.N = (size_t)atoi(traj_header_get(&h, "N"));
        for (size_t j = 0; j < q.type->npar; j++)
            ck_assert_int_eq(ring_params_set(&q, q.type->par[j].key,
                                             strtod(traj_header_get(&h, q.type->par[j].key), NULL), err), SYM_OK);
        ck_assert_msg(ring_alloc(&m2, &q, err) == SYM_OK, "%s", err);
        ck_assert(m2->type == m->type && m2->N == m->N);
        for (size_t j = 0; j < m->type->npar; j++)
            ck_assert_msg(m2->val[j] == m->val[j], "%s: %s does not round-trip", m->type->name, m->type->par[j].key);
        ck_assert(!memcmp(m->C, m2->C, m->N * sizeof(double)));
        traj_header_free(&h);
        ring_free(m);
        ring_free(m2);
    }
}
END_TEST

Suite *ring_suite(void)
{
    Suite *s = suite_create("ring");
    TCase *tc = tcase_create("exact");
    tcase_add_test(tc, test_ising_enumeration);
    tcase_add_test(tc, test_bump_enumeration);
    tcase_add_test(tc, test_bump_entropy_large);
    tcase_add_test(tc, test_ising_large_N);
    tcase_add_test(tc, test_ising_conditionals);
    tcase_add_test(tc, test_bad_params);
    tcase_add_test(tc, test_header_set);
    tcase_add_test(tc, test_header_roundtrip);
    suite_add_tcase(s, tc);
    TCase *ts = tcase_create("sampler");
    tcase_add_test(ts, test_ising_sampler_moments);
    tcase_add_test(ts, test_bump_sampler_moments);
    tcase_add_test(ts, test_ising_walls);
    tcase_add_test(ts, test_bump_positions);
    tcase_add_test(ts, test_sampler_reproducible);
    tcase_add_test(ts, test_sampler_generators);
    suite_add_tcase(s, ts);
    return s;
}
