/* Suite xy: the discretised XY data model with Potts states (core/model_xy.c,
 * SPEC.md 2 and 9), its sample files (core/samples, SPEC.md 5) and the guard
 * that keeps the +-1-only paths from running on it (ring_require_spin).
 *
 * Every exact quantity is checked against an independent computation:
 * enumeration of all P^N configurations (correlations, spectrum through the
 * eigenvalues of the enumerated N P x N P matrix, entropy, log Z), the
 * large-N closed forms of SPEC.md 9 from transfer-matrix eigenvalues summed
 * directly here, and the ising chain at P = 2.  The sampler is checked
 * through its conditionals (the chain rule reproduces the enumerated P(v))
 * and through z-scores of its statistics. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_sort_vector.h>

#include "core/err.h"
#include "core/models.h"
#include "core/ring.h"
#include "core/rng.h"
#include "core/samples.h"
#include "core/traj.h"
#include "sim/run.h"
#include "tests/suites.h"
#include "theory/run.h"

#define REQUIRE(cond, ...) do { if (!(cond)) ck_abort_msg(__VA_ARGS__); } while (0)

static ring_model *xy_model(size_t N, size_t P, double beta)
{
    ring_params p;
    ring_params_default(&p);
    char err[SYM_ERRLEN];
    ck_assert_int_eq(ring_type_find("xy", &p.type, err), SYM_OK);
    p.N = N;
    ck_assert_int_eq(ring_params_set(&p, "beta", beta, err), SYM_OK);
    ck_assert_int_eq(ring_params_set(&p, "P", (double)P, err), SYM_OK);
    ring_model *m = NULL;
    ck_assert_msg(ring_alloc(&m, &p, err) == SYM_OK, "%s", err);
    return m;
}

/* Enumeration of all P^N states: probabilities p[idx], idx = sum_i v_i P^i. */
typedef struct {
    size_t N, P, n;
    double *p, logZ, S;
} enumer;

static void digits(size_t idx, size_t N, size_t P, size_t *v)
{
    for (size_t i = 0; i < N; i++, idx /= P)
        v[i] = idx % P;
}

static enumer enumerate(size_t N, size_t P, double beta)
{
    enumer e = {N, P, 1, NULL, 0, 0};
    for (size_t i = 0; i < N; i++)
        e.n *= P;
    e.p = malloc(sizeof(double) * e.n);
    size_t v[16];
    double Z = 0;
    for (size_t idx = 0; idx < e.n; idx++) {
        digits(idx, N, P, v);
        double E = 0;
        for (size_t i = 0; i < N; i++)
            E += cos(2 * M_PI * ((double)v[i] - (double)v[(i + 1) % N]) / (double)P);
        e.p[idx] = exp(beta * E);
        Z += e.p[idx];
    }
    for (size_t idx = 0; idx < e.n; idx++) {
        e.p[idx] /= Z;
        e.S -= e.p[idx] * log(e.p[idx]);
    }
    e.logZ = log(Z);
    return e;
}

/* <x_{ic} x_{jc'}> - <x_ic><x_jc'> from the enumeration. */
static double enum_corr(const enumer *e, size_t i, size_t c, size_t j, size_t c2)
{
    size_t v[16];
    double a = 0, mi = 0, mj = 0;
    for (size_t idx = 0; idx < e->n; idx++) {
        digits(idx, e->N, e->P, v);
        a += (v[i] == c && v[j] == c2) * e->p[idx];
        mi += (v[i] == c) * e->p[idx];
        mj += (v[j] == c2) * e->p[idx];
    }
    return a - mi * mj;
}

/* C_ij(c,c'), spectrum, entropy, log Z and the angular C(r) against the
 * enumeration, to 1e-12. */
START_TEST(test_xy_enumeration)
{
    static const struct { size_t N, P; double beta; } cs[] = {
        {5, 3, 0.7}, {5, 3, 1.5}, {5, 4, 1.5}, {4, 10, 1.5}, {3, 2, 0.9}, {4, 5, 0.0}, {4, 10, 20.0},
        {3, 12, 50.0}, {5, 3, 1e-9}};
    char err[SYM_ERRLEN];
    for (size_t q = 0; q < sizeof cs / sizeof cs[0]; q++) {
        size_t N = cs[q].N, P = cs[q].P, NP = N * P;
        ring_model *m = xy_model(N, P, cs[q].beta);
        enumer e = enumerate(N, P, cs[q].beta);
        ck_assert_uint_eq(m->P, P);
        ck_assert_uint_eq(ring_nstates(m), P);
        REQUIRE(fabs(m->logZ - e.logZ) < 1e-12 * fabs(e.logZ) + 1e-13, "case %zu: log Z %.17g vs %.17g", q,
                m->logZ, e.logZ);
        REQUIRE(fabs(m->entropy - e.S) < 1e-12 * e.S, "case %zu: S %.17g vs %.17g", q, m->entropy, e.S);
        double *C = malloc(sizeof(double) * P * P);
        gsl_matrix *A = gsl_matrix_alloc(NP, NP);
        /* the full matrix from the enumeration (every pair i, j), and the
         * model's C_r against its row i = 0 */
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < N; j++)
                for (size_t c = 0; c < P; c++)
                    for (size_t c2 = 0; c2 < P; c2++)
                        gsl_matrix_set(A, i * P + c, j * P + c2, enum_corr(&e, i, c, j, c2));
        for (size_t r = 0; r < N; r++) {
            ck_assert_int_eq(ring_potts_corr(m, r, C, err), SYM_OK);
            double ang = 0;
            for (size_t c = 0; c < P; c++)
                for (size_t c2 = 0; c2 < P; c2++) {
                    double x = gsl_matrix_get(A, c, r * P + c2);
                    REQUIRE(fabs(C[c * P + c2] - x) < 1e-12, "case %zu: C_%zu(%zu,%zu) = %.17g, enumeration %.17g",
                            q, r, c, c2, C[c * P + c2], x);
                    ang += cos(2 * M_PI * ((double)c - (double)c2) / (double)P) * (x + 1.0 / (double)(P * P));
                }
            REQUIRE(fabs(m->C[r] - ang) < 1e-12, "case %zu: <cos(theta_0 - theta_%zu)> = %.17g vs %.17g", q, r,
                    m->C[r], ang);
        }
        ck_assert_int_eq(ring_potts_corr(m, N, C, err), SYM_EINVAL);
        /* eigenvalues of the enumerated matrix, sorted, against the
         * model's lambda_{k,p}, sorted */
        gsl_vector *ev = gsl_vector_alloc(NP);
        gsl_eigen_symm_workspace *ws = gsl_eigen_symm_alloc(NP);
        gsl_eigen_symm(A, ev, ws);
        gsl_sort_vector(ev);
        double *lam = malloc(sizeof(double) * NP);
        ck_assert_int_eq(ring_potts_spectrum(m, lam, err), SYM_OK);
        for (size_t k = 0; k < N; k++)
            REQUIRE(fabs(lam[k * P]) < 1e-13, "case %zu: lambda_{%zu,0} = %g, not 0", q, k, lam[k * P]);
        gsl_sort(lam, 1, NP);
        for (size_t j = 0; j < NP; j++)
            REQUIRE(fabs(lam[j] - gsl_vector_get(ev, j)) < 1e-12, "case %zu: eigenvalue %zu: %.17g vs %.17g", q, j,
                    lam[j], gsl_vector_get(ev, j));
        /* the chain rule through the sampler's conditionals: P(v) =
         * (1/P) prod_i P(u_i | u_{i-1}), u_i = v_i - v_0 */
        size_t v[16];
        double *pc = malloc(sizeof(double) * P);
        for (size_t idx = 0; idx < e.n; idx++) {
            digits(idx, N, P, v);
            double pr = 1.0 / (double)P;
            for (size_t i = 1; i < N; i++) {
                ck_assert_int_eq(ring_xy_conditional(m, i, (v[i - 1] + P - v[0]) % P, pc, err), SYM_OK);
                pr *= pc[(v[i] + P - v[0]) % P];
            }
            REQUIRE(fabs(pr - e.p[idx]) < 1e-12 * e.p[idx], "case %zu: chain rule at %zu: %.17g vs %.17g", q, idx,
                    pr, e.p[idx]);
        }
        ck_assert_int_eq(ring_xy_conditional(m, 0, 0, pc, err), SYM_EINVAL);
        ck_assert_int_eq(ring_xy_conditional(m, 1, P, pc, err), SYM_EINVAL);
        free(pc);
        free(lam);
        gsl_eigen_symm_free(ws);
        gsl_vector_free(ev);
        gsl_matrix_free(A);
        free(C);
        free(e.p);
        ring_free(m);
    }
}
END_TEST

/* Transfer-matrix eigenvalue lambda_p and d lambda_p / d beta by the
 * direct cosine sums of SPEC.md 9 (not the Bessel form of the model). */
static double lam_direct(size_t P, size_t p, double beta, double *dlam)
{
    double s = 0, d = 0;
    for (size_t v = 0; v < P; v++) {
        double x = 2 * M_PI * (double)v / (double)P, w = exp(beta * cos(x)) * cos(x * (double)p);
        s += w;
        d += w * cos(x);
    }
    if (dlam)
        *dlam = d;
    return s;
}

/* Large N: the closed forms of SPEC.md 9, C_r(c,c') = (1/P^2) sum_{p>=1}
 * t_p^r cos(2 pi p (c-c')/P), lambda_{k,p} = (1/P)(1-t_p^2)/(1 - 2 t_p cos q +
 * t_p^2), lambda_{k,0} = 0, the top pair (0, +-1) and the paper's Lambda_XY
 * (4.391 at P = 10, beta = 1.5), and the entropy per site log lambda_0 -
 * beta lambda_0' / lambda_0. */
START_TEST(test_xy_large_N)
{
    static const struct { size_t N, P; double beta; } cs[] = {{400, 10, 1.5}, {300, 7, 0.6}, {100, 10, 1.5}};
    char err[SYM_ERRLEN];
    for (size_t q = 0; q < sizeof cs / sizeof cs[0]; q++) {
        size_t N = cs[q].N, P = cs[q].P;
        double beta = cs[q].beta, t[16], d0;
        double l0 = lam_direct(P, 0, beta, &d0);
        for (size_t p = 0; p < P; p++)
            t[p] = lam_direct(P, p, beta, NULL) / l0;
        ring_model *m = xy_model(N, P, beta);
        double *C = malloc(sizeof(double) * P * P), *lam = malloc(sizeof(double) * N * P);
        for (size_t r = 0; r <= 20; r++) {
            ck_assert_int_eq(ring_potts_corr(m, r, C, err), SYM_OK);
            for (size_t c = 0; c < P; c++)
                for (size_t c2 = 0; c2 < P; c2++) {
                    double x = 0;
                    for (size_t p = 1; p < P; p++)
                        x += pow(t[p], (double)r) * cos(2 * M_PI * (double)p * ((double)c - (double)c2) / (double)P);
                    x /= (double)(P * P);
                    REQUIRE(fabs(C[c * P + c2] - x) < 1e-12, "N=%zu: C_%zu(%zu,%zu) %.17g vs closed form %.17g", N, r,
                            c, c2, C[c * P + c2], x);
                }
        }
        ck_assert_int_eq(ring_potts_spectrum(m, lam, err), SYM_OK);
        size_t top = 0;
        for (size_t k = 0; k < N; k++)
            for (size_t p = 0; p < P; p++) {
                double cq = cos(2 * M_PI * (double)k / (double)N), x = p == 0 ? 0.0
                    : (1 - t[p] * t[p]) / (1 - 2 * t[p] * cq + t[p] * t[p]) / (double)P;
                REQUIRE(fabs(lam[k * P + p] - x) < 1e-12, "N=%zu: lambda_{%zu,%zu} = %.17g vs %.17g", N, k, p,
                        lam[k * P + p], x);
                top = lam[k * P + p] > lam[top] ? k * P + p : top;
            }
        ck_assert(top == 1 || top == P - 1);   /* k = 0, p = +-1 */
        double LXY = lam[top] / ((1.0 / (double)P) * (1 - 1.0 / (double)P));
        double closed = (double)P / (double)(P - 1) * (1 + t[1]) / (1 - t[1]);
        REQUIRE(fabs(LXY - closed) < 1e-12 * closed, "Lambda_XY %.17g vs %.17g", LXY, closed);
        if (P == 10 && beta == 1.5)   /* the paper's value */
            REQUIRE(fabs(LXY - 4.391) < 5e-4, "Lambda_XY = %.6f, paper 4.391", LXY);
        double s = log(l0) - beta * d0 / l0;
        REQUIRE(fabs(m->entropy / (double)N - s) < 1e-12 * s, "entropy per site %.17g vs %.17g", m->entropy / (double)N,
                s);
        free(C);
        free(lam);
        ring_free(m);
    }
}
END_TEST

/* P = 2 is the ising chain at the same beta (cos(pi (a - b)) = s_a s_b):
 * the angular C(r), its spectrum, log Z and the entropy agree. */
START_TEST(test_xy_p2_is_ising)
{
    static const struct { size_t N; double beta; } cs[] = {{7, 0.8}, {200, 1.3}, {50, 0.0}, {1000, 3.0}};
    char err[SYM_ERRLEN];
    for (size_t q = 0; q < sizeof cs / sizeof cs[0]; q++) {
        ring_model *x = xy_model(cs[q].N, 2, cs[q].beta), *i = NULL;
        ring_params p;
        ring_params_default(&p);
        p.N = cs[q].N;
        ck_assert_int_eq(ring_params_set(&p, "beta", cs[q].beta, err), SYM_OK);
        ck_assert_int_eq(ring_alloc(&i, &p, err), SYM_OK);
        for (size_t r = 0; r < p.N; r++) {
            REQUIRE(fabs(x->C[r] - i->C[r]) < 1e-12, "N=%zu: C(%zu) %.17g vs ising %.17g", p.N, r, x->C[r], i->C[r]);
            REQUIRE(fabs(x->lambda[r] - i->lambda[r]) < 1e-11 * (1 + fabs(i->lambda[r])),
                    "N=%zu: lambda_%zu %.17g vs ising %.17g", p.N, r, x->lambda[r], i->lambda[r]);
        }
        REQUIRE(fabs(x->logZ - i->logZ) < 1e-12 * i->logZ, "log Z %.17g vs %.17g", x->logZ, i->logZ);
        REQUIRE(fabs(x->entropy - i->entropy) < 1e-12 * i->entropy, "S %.17g vs %.17g", x->entropy, i->entropy);
        ring_free(x);
        ring_free(i);
    }
}
END_TEST

/* Sampler statistics at B = 10^5, N = 100, P = 10, beta = 1.5: one-hot
 * means at every site and <x_{ic} x_{i+r,c'}> at several r and i (across
 * the seam at i = 0) as z-scores against the exact values. */
START_TEST(test_xy_sampler_stats)
{
    size_t N = 100, P = 10, B = 100000;
    ring_model *m = xy_model(N, P, 1.5);
    char err[SYM_ERRLEN];
    gsl_rng *r = rng_alloc(11, RNG_STREAM_DATA);
    int8_t *v = malloc(N * B);
    ck_assert_int_eq(ring_sample(m, r, B, v, err), SYM_OK);
    double zmax = 0;
    size_t *cnt = calloc(N * P, sizeof *cnt);
    for (size_t b = 0; b < B; b++)
        for (size_t i = 0; i < N; i++) {
            REQUIRE(v[b * N + i] >= 0 && (size_t)v[b * N + i] < P, "state %d out of range", v[b * N + i]);
            cnt[i * P + (size_t)v[b * N + i]]++;
        }
    double p0 = 1.0 / (double)P;
    for (size_t j = 0; j < N * P; j++) {
        double z = ((double)cnt[j] / (double)B - p0) / sqrt(p0 * (1 - p0) / (double)B);
        zmax = fmax(zmax, fabs(z));
    }
    static const size_t rs[] = {1, 2, 5, 50}, is[] = {0, 37, 99};
    double *C = malloc(sizeof(double) * P * P);
    for (size_t a = 0; a < 4; a++) {
        ck_assert_int_eq(ring_potts_corr(m, rs[a], C, err), SYM_OK);
        for (size_t s = 0; s < 3; s++) {
            size_t i = is[s], j = (i + rs[a]) % N;
            memset(cnt, 0, sizeof *cnt * P * P);
            for (size_t b = 0; b < B; b++)
                cnt[(size_t)v[b * N + i] * P + (size_t)v[b * N + j]]++;
            for (size_t c = 0; c < P * P; c++) {
                double pe = C[c] + p0 * p0;
                double z = ((double)cnt[c] / (double)B - pe) / sqrt(pe * (1 - pe) / (double)B);
                zmax = fmax(zmax, fabs(z));
            }
        }
    }
    fprintf(stderr, "xy: sampler, largest |z| over %zu one-hot means and 1200 pair frequencies at B = %zu: %.2f\n",
            N * P, B, zmax);
    REQUIRE(zmax < 5, "largest |z| = %.2f", zmax);
    free(C);
    free(cnt);
    free(v);
    gsl_rng_free(r);
    ring_free(m);
}
END_TEST

/* Rows are drawn one after another: B rows in one call and in chunks are
 * the same rows. */
START_TEST(test_xy_chunks)
{
    size_t N = 37, B = 1000;
    ring_model *m = xy_model(N, 10, 1.5);
    char err[SYM_ERRLEN];
    int8_t *a = malloc(N * B), *b = malloc(N * B);
    gsl_rng *r = rng_alloc(5, RNG_STREAM_DATA);
    ck_assert_int_eq(ring_sample(m, r, B, a, err), SYM_OK);
    gsl_rng_free(r);
    static const size_t ch[] = {1, 7, 992};
    r = rng_alloc(5, RNG_STREAM_DATA);
    for (size_t done = 0, k = 0; done < B; k++) {
        size_t n = ch[k % 3] < B - done ? ch[k % 3] : B - done;
        ck_assert_int_eq(ring_sample(m, r, n, b + done * N, err), SYM_OK);
        done += n;
    }
    gsl_rng_free(r);
    ck_assert(!memcmp(a, b, N * B));
    free(a);
    free(b);
    ring_free(m);
}
END_TEST

/* The mt19937 fast path (raw 32-bit draws against integer thresholds)
 * draws the same rows as the general path: the same generator under
 * another type pointer takes the general one. */
START_TEST(test_xy_fast_path)
{
    size_t N = 50, B = 2000;
    ring_model *m = xy_model(N, 10, 1.5);
    char err[SYM_ERRLEN];
    gsl_rng_type wrapped = *gsl_rng_mt19937;
    wrapped.name = "mt19937-wrapped";
    gsl_rng *a = rng_alloc(9, RNG_STREAM_DATA), *b = gsl_rng_alloc(&wrapped);
    ck_assert(a->type == gsl_rng_mt19937);
    memcpy(b->state, a->state, gsl_rng_mt19937->size);
    int8_t *va = malloc(N * B), *vb = malloc(N * B);
    ck_assert_int_eq(ring_sample(m, a, B, va, err), SYM_OK);
    ck_assert_int_eq(ring_sample(m, b, B, vb, err), SYM_OK);
    ck_assert(!memcmp(va, vb, N * B));
    ck_assert(gsl_rng_get(a) == gsl_rng_get(b));   /* the same number of draws */
    free(va);
    free(vb);
    gsl_rng_free(a);
    gsl_rng_free(b);
    ring_free(m);
}
END_TEST

static char tmpdir[256];

static void setup(void)
{
    strcpy(tmpdir, "/tmp/symrbm-xy-XXXXXX");
    ck_assert_msg(mkdtemp(tmpdir) != NULL, "mkdtemp failed");
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
}

static void put(const char *path, const char *s, size_t len)
{
    FILE *fp = fopen(path, "wb");
    ck_assert(fp != NULL);
    ck_assert_uint_eq(fwrite(s, 1, len, fp), len);
    fclose(fp);
}

/* samples_write of xy models, text and binary, read back by
 * samples_read_states: the same states as ring_sample from the same
 * stream, P known; samples_read (the +-1 callers) refuses them. */
START_TEST(test_xy_files)
{
    static const struct { size_t N, P; } cs[] = {{12, 10}, {13, 16}, {9, 127}, {11, 2}, {20, 3}};
    char err[SYM_ERRLEN], path[300];
    for (size_t q = 0; q < sizeof cs / sizeof cs[0]; q++)
        for (int bin = 0; bin < 2; bin++) {
            size_t N = cs[q].N, P = cs[q].P, B = 57;
            ring_model *m = xy_model(N, P, 0.9);
            traj_header h;
            traj_header_init(&h);
            ck_assert_int_eq(ring_header_set(m, &h), SYM_OK);
            ck_assert_int_eq(traj_header_set(&h, "B", "%zu", B), SYM_OK);
            snprintf(path, sizeof path, "%s/s%zu.%s", tmpdir, q, bin ? "bin" : "txt");
            samples_wopts o = {bin ? SAMPLES_BIN : SAMPLES_TEXT, 5, NULL, NULL};
            gsl_rng *r = rng_alloc(3, RNG_STREAM_DATA);
            ck_assert_msg(samples_write(path, &h, m, r, B, &o, err) == SYM_OK, "%s", err);
            gsl_rng_free(r);
            int8_t *want = malloc(N * B), *v = NULL;
            r = rng_alloc(3, RNG_STREAM_DATA);
            ck_assert_int_eq(ring_sample(m, r, B, want, err), SYM_OK);
            gsl_rng_free(r);
            size_t N2 = 0, B2 = 0, P2 = 0;
            ck_assert_msg(samples_read_states(path, &N2, &B2, &P2, &v, err) == SYM_OK, "%s", err);
            ck_assert(N2 == N && B2 == B && P2 == P);
            ck_assert(!memcmp(v, want, N * B));
            free(v);
            /* the exact file size the writer promised */
            uint64_t body;
            ck_assert_int_eq(samples_body_bytes(o.format, N, B, P, &body), 0);
            FILE *fp = fopen(path, "rb");
            fseek(fp, 0, SEEK_END);
            long size = ftell(fp);
            fclose(fp);
            ck_assert((uint64_t)size > body && (uint64_t)size - body < 4096);
            ck_assert_int_eq(samples_read(path, &N2, &B2, &v, err), SYM_EINVAL);
            ck_assert_msg(strstr(err, "Potts samples") && v == NULL, "%s", err);
            /* a Potts model needs states=P in the header, a spin one must
             * not have it */
            traj_header_set(&h, "states", "%zu", P + 1);
            r = rng_alloc(3, RNG_STREAM_DATA);
            ck_assert_int_eq(samples_write(path, &h, m, r, B, &o, err), SYM_EINVAL);
            gsl_rng_free(r);
            free(want);
            traj_header_free(&h);
            ring_free(m);
        }
    /* the text rows as documented: P = 10 one digit, P = 16 two, right-aligned */
    snprintf(path, sizeof path, "%s/s0.txt", tmpdir);
    char *buf = NULL;
    size_t cap = 0;
    FILE *fp = fopen(path, "r");
    ssize_t len;
    while ((len = getline(&buf, &cap, fp)) > 0 && buf[0] == '#')
        ;
    ck_assert_int_eq(len, 24);   /* 12 states "d " */
    fclose(fp);
    snprintf(path, sizeof path, "%s/s1.txt", tmpdir);
    fp = fopen(path, "r");
    while ((len = getline(&buf, &cap, fp)) > 0 && buf[0] == '#')
        ;
    ck_assert_int_eq(len, 39);   /* 13 states "dd " */
    fclose(fp);
    free(buf);
}
END_TEST

/* Hand-written Potts files (from the format's description), good and
 * damaged. */
START_TEST(test_xy_reader)
{
    char err[SYM_ERRLEN], path[300];
    size_t N, B, P;
    int8_t *v;
    snprintf(path, sizeof path, "%s/f", tmpdir);
    static const char good[] = "# states=10\n0 9 3 4\n 1 2  3 7\n";
    put(path, good, sizeof good - 1);
    ck_assert_msg(samples_read_states(path, &N, &B, &P, &v, err) == SYM_OK, "%s", err);
    ck_assert(N == 4 && B == 2 && P == 10 && v[1] == 9 && v[4] == 1 && v[7] == 7);
    free(v);
    /* binary: P = 10, 4 bits a state; N = 3 -> 12 bits, 2 bytes a row */
    static const char bin[] = "SYMRBM-SAMPLES\nN=3\nB=1\nstates=10\nend\n\x39\x02";
    put(path, bin, sizeof bin - 1);
    ck_assert_msg(samples_read_states(path, &N, &B, &P, &v, err) == SYM_OK, "%s", err);
    ck_assert(N == 3 && B == 1 && P == 10 && v[0] == 9 && v[1] == 3 && v[2] == 2);
    free(v);
    static const struct { const char *s; size_t len; const char *msg; } bad[] = {
        {"# states=10\n0 10 3\n", 19, "not a state"},
        {"# states=10\n0 -1 3\n", 19, "not a state"},
        {"# states=10\n0 1.5 3\n", 20, "not a state"},
        {"# states=1\n0 0 0\n", 17, "states=1"},
        {"# states=128\n0 0 0\n", 19, "states=128"},
        {"# states=abc\n0 0 0\n", 19, "states=abc"},
        {"# states=10\n# states=9\n0 0 0\n", 29, "contradicts"},
        {"SYMRBM-SAMPLES\nN=3\nB=1\nstates=10\nend\n\x3f\x02", 39, "not below"},
        {"SYMRBM-SAMPLES\nN=3\nB=1\nstates=10\nend\n\x39\x12", 39, "padding"},
        {"SYMRBM-SAMPLES\nN=3\nB=1\nstates=10\nend\n\x39", 38, "truncated"},
        {"SYMRBM-SAMPLES\nN=3\nB=1\nstates=0\nend\n\x39\x02", 38, "states=0"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        put(path, bad[k].s, bad[k].len);
        v = NULL;
        int st = samples_read_states(path, &N, &B, &P, &v, err);
        REQUIRE(st == SYM_EINVAL && v == NULL && strstr(err, bad[k].msg) && !strchr(err, '\n'),
                "case %zu: st %d, message '%s'", k, st, err);
    }
    /* a +-1 file reads as before, P = 0 */
    put(path, "+1 -1 +1\n", 9);
    ck_assert_int_eq(samples_read_states(path, &N, &B, &P, &v, err), SYM_OK);
    ck_assert(P == 0 && v[0] == 1 && v[1] == -1);
    free(v);
}
END_TEST

/* The guard: one message for every +-1-only path, and the library run
 * calls refuse xy before doing anything. */
START_TEST(test_xy_guard)
{
    char err[SYM_ERRLEN];
    ring_model *m = xy_model(20, 10, 1.5);
    ck_assert_int_eq(ring_require_spin(m, "sim", err), SYM_EINVAL);
    ck_assert_str_eq(err, "data model xy has Potts visible units (P = 10): sim supports +-1 visible units only");
    ring_params p;
    ring_params_default(&p);
    ck_assert_int_eq(ring_params_require_spin(&p, "threshold", err), SYM_OK);
    ring_model *mi = NULL;
    ck_assert_int_eq(ring_alloc(&mi, &p, err), SYM_OK);
    ck_assert_int_eq(ring_require_spin(mi, "sim", err), SYM_OK);
    ck_assert_uint_eq(mi->P, 0);
    ck_assert_uint_eq(ring_nstates(mi), 2);
    double C[4];
    ck_assert_int_eq(ring_potts_corr(mi, 0, C, err), SYM_EINVAL);
    ck_assert_int_eq(ring_potts_spectrum(mi, C, err), SYM_EINVAL);
    ring_free(mi);
    p.type = m->type;
    ring_params_set(&p, "P", 7, err);
    ck_assert_int_eq(ring_params_require_spin(&p, "threshold", err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "(P = 7): threshold supports +-1"), "%s", err);
    /* sim_draw refuses before drawing */
    int8_t *v = (int8_t *)1, *vt = (int8_t *)1;
    ck_assert_int_eq(sim_draw(m, 1, 100, 0, &v, &vt, err), SYM_EINVAL);
    ck_assert(v == NULL && vt == NULL && strstr(err, "Potts"));
    /* theory: the Potts flow (theory/run_potts.c) refuses what it has not
     * (learned visible fields), nothing is written */
    theory_config c;
    theory_config_default(&c);
    c.learn_fields = 1;
    traj_header h;
    traj_header_init(&h);
    char out[300];
    snprintf(out, sizeof out, "%s/th", tmpdir);
    ck_assert_int_eq(theory_run(&c, m, &h, out, NULL, NULL, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "Potts visible units") != NULL, "%s", err);
    ck_assert(access(out, F_OK) != 0);
    traj_header_free(&h);
    ring_free(m);
}
END_TEST

/* theory --spectrum for xy writes spectrum.tsv `k p lambda rate` with the
 * top eigenvalue, Lambda_XY and the entropy per site in its header. */
START_TEST(test_xy_spectrum_file)
{
    char err[SYM_ERRLEN], out[300], path[340];
    size_t N = 30, P = 10;
    ring_model *m = xy_model(N, P, 1.5);
    theory_config c;
    theory_config_default(&c);
    c.spectrum_only = 1;
    traj_header h;
    traj_header_init(&h);
    snprintf(out, sizeof out, "%s/sp", tmpdir);
    ck_assert_msg(theory_run(&c, m, &h, out, NULL, NULL, err) == SYM_OK, "%s", err);
    snprintf(path, sizeof path, "%s/spectrum.tsv", out);
    traj_table t;
    ck_assert_msg(traj_read(path, &t, err) == SYM_OK, "%s", err);
    ck_assert_uint_eq(t.nrow, N * P);
    ck_assert_uint_eq(t.ncol, 4);
    double *lam = malloc(sizeof(double) * N * P);
    ck_assert_int_eq(ring_potts_spectrum(m, lam, err), SYM_OK);
    double top = 0;
    for (size_t j = 0; j < N * P; j++) {
        const double *row = t.x + j * t.ncol;
        ck_assert(row[0] == (double)(j / P) && row[1] == (double)(j % P) && row[2] == lam[j]);
        ck_assert(fabs(row[3] - (lam[j] - 0.1)) < 1e-15);
        top = fmax(top, lam[j]);
    }
    /* the top over the one-hot variance (1/P)(1 - 1/P); at N = 30 it is
     * within t_1^30 ~ 2e-7 of the large-N closed form */
    double t1 = lam_direct(P, 1, 1.5, NULL) / lam_direct(P, 0, 1.5, NULL);
    double LXY = strtod(traj_header_get(&t.header, "Lambda_XY"), NULL);
    ck_assert(fabs(LXY - top / (0.1 * 0.9)) < 1e-14 * LXY);
    ck_assert(fabs(LXY - (10.0 / 9) * (1 + t1) / (1 - t1)) < 1e-5);
    ck_assert(strtod(traj_header_get(&t.header, "lambda_top"), NULL) == top);
    ck_assert(strtod(traj_header_get(&t.header, "entropy_per_site"), NULL) == m->entropy / (double)N);
    traj_table_free(&t);
    free(lam);
    traj_header_free(&h);
    ring_free(m);
}
END_TEST

Suite *xy_suite(void)
{
    Suite *s = suite_create("xy");
    TCase *tc = tcase_create("exact");
    tcase_add_test(tc, test_xy_enumeration);
    tcase_add_test(tc, test_xy_large_N);
    tcase_add_test(tc, test_xy_p2_is_ising);
    tcase_add_test(tc, test_xy_chunks);
    tcase_add_test(tc, test_xy_fast_path);
    tcase_add_test(tc, test_xy_sampler_stats);
    suite_add_tcase(s, tc);
    TCase *tf = tcase_create("files");
    tcase_add_checked_fixture(tf, setup, teardown);
    tcase_add_test(tf, test_xy_files);
    tcase_add_test(tf, test_xy_reader);
    tcase_add_test(tf, test_xy_guard);
    tcase_add_test(tf, test_xy_spectrum_file);
    suite_add_tcase(s, tf);
    return s;
}
