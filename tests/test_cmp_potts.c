/* Suite cmp_potts: the aligned overlap Q of Potts profiles and the unit
 * matching (compare/cmp_potts.h), against exact answers:
 *   - a band-limited profile F(x, c) (a few spatial cosines, colour
 *     dependence through random tables) against its own copy moved by a
 *     fractional shift, a colour shift, a reflection and a sign: Q = 1 and
 *     the alignment recovered; without the colour group in the search the
 *     same copy gives Q < 1 (the search is what makes Q = 1);
 *   - two closed-form cosine profiles (a cosine in angle times spatial
 *     cosines): Q against a direct computation, the maximum over every
 *     colour shift and reflection and a dense grid of continuous shifts of
 *     the analytic overlap sum;
 *   - M = 2: sim units planted in swapped order are matched back;
 *   - end to end: `symrbm compare` of a Potts theory run with itself gives
 *     Q_final = 1 and zero order-parameter differences;
 *   - sim --theory: Q_theory against Q recomputed from the written files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/cmp_potts.h"
#include "core/traj.h"
#include "tests/suites.h"
#include "tests/tutil.h"

#define KMAX 4

/* F(x, c) = sum_{k=0..KMAX} A[k][c] cos(2 pi k x / N + ph[k][c]) */
typedef struct {
    size_t N, P;
    double A[KMAX + 1][16], ph[KMAX + 1][16];
} prof;

static void prof_random(prof *f, size_t N, size_t P, unsigned seed)
{
    srand(seed);
    f->N = N;
    f->P = P;
    for (int k = 0; k <= KMAX; k++)
        for (size_t c = 0; c < P; c++) {
            f->A[k][c] = (double)rand() / RAND_MAX - 0.5;
            f->ph[k][c] = 2 * M_PI * (double)rand() / RAND_MAX;
        }
}

static double prof_at(const prof *f, double x, size_t c)
{
    double v = 0;
    for (int k = 0; k <= KMAX; k++)
        v += f->A[k][c] * cos(2 * M_PI * k * x / (double)f->N + f->ph[k][c]);
    return v;
}

/* w_i(c) = sign F(i + s, refl c + r): aligned by (s, r, refl, sign) */
static void prof_fill(const prof *f, double s, size_t r, int refl, int sign, double *w)
{
    size_t N = f->N, P = f->P;
    for (size_t i = 0; i < N; i++)
        for (size_t c = 0; c < P; c++) {
            size_t cc = refl < 0 ? (P - c + r) % P : (c + r) % P;
            w[i * P + c] = sign * prof_at(f, (double)i + s, cc);
        }
}

START_TEST(test_self_transformed)
{
    const cmp_potts_sym *xy = cmp_potts_sym_find("xy");
    ck_assert_ptr_nonnull(xy);
    static const size_t Ns[] = {31, 40};
    for (size_t q = 0; q < 2; q++) {
        size_t N = Ns[q], P = 7;
        prof f;
        prof_random(&f, N, P, 11 + (unsigned)q);
        double *u = malloc(N * P * sizeof *u), *w = malloc(N * P * sizeof *w);
        cmpp_ws *ws = cmpp_ws_alloc(N, P);
        ck_assert_ptr_nonnull(ws);
        prof_fill(&f, 0, 0, 1, 1, u);
        struct { double s; size_t r; int refl, sign; } cs[] = {
            {0, 0, 1, 1}, {3.37, 2, 1, -1}, {17.81, 5, -1, 1}, {0.5, 6, -1, -1}, {29.02, 1, 1, 1}};
        for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
            prof_fill(&f, cs[k].s, cs[k].r, cs[k].refl, cs[k].sign, w);
            cmpp_align al;
            double Q = cmpp_overlap(ws, xy, w, u, &al);
            ck_assert_msg(fabs(Q - 1) < 1e-10, "N=%zu case %zu: Q = %.15g", N, k, Q);
            double ds = fabs(al.shift - cs[k].s);
            ds = fmin(ds, (double)N - ds);
            ck_assert_msg(ds < 1e-5 && al.cshift == cs[k].r && al.refl == cs[k].refl && al.sign == cs[k].sign,
                          "N=%zu case %zu: found s=%g r=%zu refl=%d sign=%d", N, k, al.shift, al.cshift,
                          al.refl, al.sign);
            /* without the angular group the rotated copies do not align */
            cmp_potts_sym none = {"none", 0, 0};
            double Q0 = cmpp_overlap(ws, &none, w, u, NULL);
            if (cs[k].r != 0 || cs[k].refl != 1)
                ck_assert_msg(Q0 < 0.99, "N=%zu case %zu: Q without colour search %g", N, k, Q0);
            else
                ck_assert_msg(fabs(Q0 - 1) < 1e-10, "Q0 = %.15g", Q0);
        }
        /* a zero profile has no overlap */
        memset(w, 0, N * P * sizeof *w);
        ck_assert(isnan(cmpp_overlap(ws, xy, w, u, NULL)));
        cmpp_ws_free(ws);
        free(u);
        free(w);
    }
}
END_TEST

/* cosine in angle with phase phi times a spatial part g(x) */
static double gw(double x, size_t N)
{
    return 1.0 + cos(2 * M_PI * x / N) + 0.4 * sin(4 * M_PI * x / N);
}
static double gu(double x, size_t N)
{
    return 0.7 + cos(2 * M_PI * (x - 4.3) / N) + 0.25 * cos(4 * M_PI * (x - 1.1) / N + 0.3);
}

START_TEST(test_cosines_direct)
{
    const cmp_potts_sym *xy = cmp_potts_sym_find("xy");
    size_t N = 24, P = 10;
    double phw = 0.9, phu = 2.4;
    double *w = malloc(N * P * sizeof *w), *u = malloc(N * P * sizeof *u);
    for (size_t i = 0; i < N; i++)
        for (size_t c = 0; c < P; c++) {
            w[i * P + c] = gw((double)i, N) * cos(2 * M_PI * c / P - phw);
            u[i * P + c] = gu((double)i, N) * cos(2 * M_PI * c / P - phu);
        }
    cmpp_ws *ws = cmpp_ws_alloc(N, P);
    double Q = cmpp_overlap(ws, xy, w, u, NULL);
    /* direct: sum_{i,c} w_i(c) u(i + s, refl c + r) with u analytic in x
     * (band-limited, k <= 2 < N/2: the Fourier shift is the formula) */
    double nw = 0, nu = 0, best = 0;
    for (size_t k = 0; k < N * P; k++) {
        nw += w[k] * w[k];
        nu += u[k] * u[k];
    }
    for (int rf = 0; rf < 2; rf++)
        for (size_t r = 0; r < P; r++) {
            double a[24];   /* the colour sum per site: independent of s */
            for (size_t i = 0; i < N; i++) {
                a[i] = 0;
                for (size_t c = 0; c < P; c++) {
                    size_t cc = rf ? (P - c + r) % P : (c + r) % P;
                    a[i] += w[i * P + c] * cos(2 * M_PI * cc / P - phu);
                }
            }
            for (long m = 0; m < 48000; m++) {
                double s = (double)N * (double)m / 48000.0, f = 0;
                for (size_t i = 0; i < N; i++)
                    f += a[i] * gu((double)i + s, N);
                if (fabs(f) > best)
                    best = fabs(f);
            }
        }
    double Qd = best / sqrt(nw * nu);
    /* grid step 5e-4 sites: the maximum is missed by < 1e-7 relative
     * ((2 pi 5e-4 / N)^2 / 2 times the curvature ratio) */
    ck_assert_msg(Q >= Qd - 1e-12 && Q - Qd < 1e-7, "Q = %.15g, direct %.15g", Q, Qd);
    ck_assert_msg(Q < 0.999, "Q = %g: the profiles differ, Q must be below 1", Q);
    cmpp_ws_free(ws);
    free(w);
    free(u);
}
END_TEST

START_TEST(test_match_m2)
{
    const cmp_potts_sym *xy = cmp_potts_sym_find("xy");
    size_t N = 30, P = 6, L = N * P;
    prof f0, f1;
    prof_random(&f0, N, P, 5);
    prof_random(&f1, N, P, 6);
    double *th = malloc(2 * L * sizeof *th), *sim = malloc(2 * L * sizeof *sim);
    prof_fill(&f0, 0, 0, 1, 1, th);
    prof_fill(&f1, 0, 0, 1, 1, th + L);
    /* sim unit 0 is theory unit 1 moved, sim unit 1 theory unit 0 moved */
    prof_fill(&f1, 7.25, 3, -1, 1, sim);
    prof_fill(&f0, 12.5, 1, 1, -1, sim + L);
    cmpp_ws *ws = cmpp_ws_alloc(N, P);
    size_t perm[2];
    double q[2];
    double mean = cmpp_match(ws, xy, sim, th, 2, perm, q);
    ck_assert_msg(perm[0] == 1 && perm[1] == 0, "perm %zu %zu", perm[0], perm[1]);
    ck_assert_msg(fabs(mean - 1) < 1e-10 && fabs(q[0] - 1) < 1e-10 && fabs(q[1] - 1) < 1e-10,
                  "mean %.15g q %.15g %.15g", mean, q[0], q[1]);
    /* the identity pairing is worse: the matching chose for a reason */
    double q01 = cmpp_overlap(ws, xy, sim, th, NULL), q10 = cmpp_overlap(ws, xy, sim + L, th + L, NULL);
    ck_assert_msg((q01 + q10) / 2 < 0.99, "identity pairing mean %g", (q01 + q10) / 2);
    cmpp_ws_free(ws);
    free(th);
    free(sim);
}
END_TEST

START_TEST(test_circ_diff)
{
    ck_assert(fabs(cmpp_circ_diff(0.5, 99.5, 100) - 1.0) < 1e-12);
    ck_assert(fabs(cmpp_circ_diff(99.5, 0.5, 100) + 1.0) < 1e-12);
    ck_assert(fabs(cmpp_circ_diff(3.0, 1.0, 0) - 2.0) < 1e-12);
    ck_assert(fabs(cmpp_circ_diff(0.1, 2 * M_PI - 0.1, 2 * M_PI) - 0.2) < 1e-12);
}
END_TEST

/* the CLI end to end: a theory run against itself */
START_TEST(test_e2e_self)
{
    const char *bin = getenv("SYMRBM_BIN");
    if (!bin)
        bin = "build/symrbm";
    char dir[] = "/tmp/cmpp_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char th[256], out[256], errb[1024], path[300];
    snprintf(th, sizeof th, "%s/th", dir);
    snprintf(out, sizeof out, "%s/cmp", dir);
    char *a1[] = {(char *)bin, "theory", "--data", "xy", "--P", "5", "--beta", "1.5", "--N", "12", "--T", "20",
                  "--snapshots", "20", "--seed", "4", "--out", th, NULL};
    ck_assert_msg(tutil_run(a1, errb, sizeof errb) == 0, "theory: %s", errb);
    char *a2[] = {(char *)bin, "compare", th, th, "--out", out, "--no-plot", NULL};
    ck_assert_msg(tutil_run(a2, errb, sizeof errb) == 0, "compare: %s", errb);
    snprintf(path, sizeof path, "%s/compare.tsv", out);
    traj_table t;
    char e[1024];
    ck_assert_msg(traj_read(path, &t, e) == 0, "%s", e);
    int cq = traj_table_col(&t, "Q"), cd = traj_table_col(&t, "dS_ang"), cc = traj_table_col(&t, "dcenter");
    ck_assert(cq >= 0 && cd >= 0 && cc >= 0);
    ck_assert(t.nrow == 21);
    for (size_t r = 0; r < t.nrow; r++) {
        const double *x = t.x + r * t.ncol;
        ck_assert_msg(fabs(x[cq] - 1) < 1e-10 && x[cd] == 0 && x[cc] == 0, "row %zu: Q=%.15g", r, x[cq]);
    }
    traj_table_free(&t);
    /* --mu is refused with one line and status 2 */
    char *a3[] = {(char *)bin, "compare", th, th, "--out", out, "--mu", "0", NULL};
    ck_assert_int_eq(tutil_run(a3, errb, sizeof errb), 2);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* sim --data xy --theory DIR: Q_theory in summary.tsv is the matched
 * overlap of the sim's final profiles (weights.tsv) with the theory's at
 * the sim's final time, recomputed here from the files; a theory of
 * another M is refused with status 2 */
START_TEST(test_sim_theory)
{
    const char *bin = getenv("SYMRBM_BIN");
    if (!bin)
        bin = "build/symrbm";
    char dir[] = "/tmp/cmpp_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char th[256], sim[256], errb[1024], path[300], e[1024];
    snprintf(th, sizeof th, "%s/th", dir);
    snprintf(sim, sizeof sim, "%s/sim", dir);
    char *a1[] = {(char *)bin, "theory", "--data", "xy", "--P", "4", "--N", "10", "--T", "3", "--hidden", "spin",
                  "--M", "2", "--seed", "2", "--snapshots", "10", "--out", th, NULL};
    ck_assert_msg(tutil_run(a1, errb, sizeof errb) == 0, "theory: %s", errb);
    char *a2[] = {(char *)bin, "sim", "--data", "xy", "--P", "4", "--N", "10", "--T", "3", "--hidden", "spin",
                  "--M", "2", "--seed", "2", "--snapshots", "10", "--B", "500", "--lr", "0.05", "--theory", th,
                  "--out", sim, NULL};
    ck_assert_msg(tutil_run(a2, errb, sizeof errb) == 0, "sim: %s", errb);
    cmpp_run r;
    ck_assert_msg(cmpp_run_load(&r, sim, e) == 0, "%s", e);
    size_t L = r.N * r.P;
    double *u = malloc(2 * L * sizeof *u);
    const double *w = r.w + (r.nw - 1) * 2 * L;
    ck_assert_msg(cmpp_ref_load(th, r.N, r.P, 2, r.wt[r.nw - 1], u, e) == 0, "%s", e);
    cmpp_ws *ws = cmpp_ws_alloc(r.N, r.P);
    size_t perm[2];
    double Q = cmpp_match(ws, r.sym, w, u, 2, perm, NULL);
    snprintf(path, sizeof path, "%s/summary.tsv", sim);
    /* the library reader takes a Potts summary (its header once had a key
     * loglik= beside the summary key loglik, and traj_read_summary refused
     * the file) */
    traj_header kv;
    ck_assert_msg(traj_read_summary(path, &kv, e) == 0, "%s", e);
    double Qs;
    ck_assert_msg(traj_summary_get_finite(&kv, "Q_theory", path, &Qs, e) == 0, "%s", e);
    ck_assert_ptr_nonnull(traj_header_get(&kv, "loglik"));
    /* weights.tsv prints %.17g: the same doubles, the same Q up to rounding */
    ck_assert_msg(fabs(Qs - Q) < 1e-12 && Q > 0.9, "Q_theory %.17g, recomputed %.17g", Qs, Q);
    traj_header_free(&kv);
    cmpp_ws_free(ws);
    free(u);
    cmpp_run_free(&r);
    char *a3[] = {(char *)bin, "sim", "--data", "xy", "--P", "4", "--N", "10", "--T", "3", "--seed", "2",
                  "--B", "500", "--theory", th, "--out", sim, NULL};
    ck_assert_int_eq(tutil_run(a3, errb, sizeof errb), 2);
    ck_assert_msg(strstr(errb, "M=2") != NULL, "%s", errb);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *cmp_potts_suite(void)
{
    Suite *s = suite_create("cmp_potts");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_self_transformed);
    tcase_add_test(tc, test_cosines_direct);
    tcase_add_test(tc, test_match_m2);
    tcase_add_test(tc, test_circ_diff);
    tcase_add_test(tc, test_e2e_self);
    tcase_add_test(tc, test_sim_theory);
    suite_add_tcase(s, tc);
    return s;
}
