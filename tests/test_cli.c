/* Suite cli: the program's contract for theory and phase (SPEC.md 5, 6):
 * files written, read back and reproducible; every bad input exits 2 with
 * one line on stderr naming the problem, leaving no partial file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "core/err.h"
#include "core/traj.h"
#include "tests/suites.h"
#include "tests/tutil.h"

static void tmpdir(char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/symrbm_cli_XXXXXX");
    ck_assert(mkdtemp(buf) != NULL);
}

START_TEST(test_theory_files)
{
    char d[64], err[4096], path[128];
    tmpdir(d, sizeof d);
    char *argv[] = {"", "theory", "--N", "24", "--beta", "0.9", "--T", "5", "--snapshots", "20",
                    "--out", d, NULL};
    ck_assert_msg(tutil_run(argv, err, sizeof err) == 0, "theory failed: %s", err);
    traj_table t;
    snprintf(path, sizeof path, "%s/trajectory.tsv", d);
    ck_assert_msg(traj_read(path, &t, err) == SYM_OK, "%s", err);
    ck_assert_uint_eq(t.nrow, 21);
    ck_assert_str_eq(traj_header_get(&t.header, "command"), "theory");
    ck_assert_str_eq(traj_header_get(&t.header, "N"), "24");
    ck_assert_str_eq(traj_header_get(&t.header, "beta"), "0.90000000000000002");
    int ct = traj_table_col(&t, "t"), cn = traj_table_col(&t, "norm2");
    ck_assert(ct >= 0 && cn >= 0);
    ck_assert(t.x[ct] == 0.0 && t.x[(t.nrow - 1) * t.ncol + ct] == 5.0);
    /* the flow grows the weights from w(0) */
    ck_assert(t.x[(t.nrow - 1) * t.ncol + cn] > 100 * t.x[cn]);
    traj_table_free(&t);
    snprintf(path, sizeof path, "%s/weights.tsv", d);
    ck_assert_msg(traj_read(path, &t, err) == SYM_OK, "%s", err);
    ck_assert_uint_eq(t.ncol, 2 + 24);
    traj_table_free(&t);
    traj_header kv;
    snprintf(path, sizeof path, "%s/summary.tsv", d);
    ck_assert_msg(traj_read_summary(path, &kv, err) == SYM_OK, "%s", err);
    const char *keys[] = {"norm2", "pr", "R", "S", "center", "loglik", "kl", "t_sb",
                          "wall_s", "n_rhs", "phase"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        ck_assert_msg(traj_header_get(&kv, keys[k]) != NULL, "summary lacks %s", keys[k]);
    traj_header_free(&kv);
    snprintf(path, sizeof path, "%s/spectrum.tsv", d);
    ck_assert_msg(traj_read(path, &t, err) == SYM_OK, "%s", err);
    ck_assert_uint_eq(t.nrow, 24);
    /* rate = lambda - 1 */
    ck_assert(fabs(t.x[2] - (t.x[1] - 1.0)) < 1e-15 * t.x[1]);
    traj_table_free(&t);
    ck_assert(!tutil_has_temp(d));
}
END_TEST

START_TEST(test_theory_reproducible)
{
    char d1[64], d2[64], err[4096], p1[128], p2[128];
    tmpdir(d1, sizeof d1);
    tmpdir(d2, sizeof d2);
    char *a1[] = {"", "theory", "--N", "30", "--T", "3", "--snapshots", "10", "--seed", "5",
                  "--out", d1, NULL};
    char *a2[] = {"", "theory", "--N", "30", "--T", "3", "--snapshots", "10", "--seed", "5",
                  "--out", d2, NULL};
    ck_assert_msg(tutil_run(a1, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(tutil_run(a2, err, sizeof err) == 0, "%s", err);
    const char *names[] = {"trajectory.tsv", "weights.tsv"};
    for (int k = 0; k < 2; k++) {
        snprintf(p1, sizeof p1, "%s/%s", d1, names[k]);
        snprintf(p2, sizeof p2, "%s/%s", d2, names[k]);
        char *s1 = tutil_slurp(p1, NULL), *s2 = tutil_slurp(p2, NULL);
        /* identical after the header line that records --out */
        char *b1 = strstr(s1, "\nt\t"), *b2 = strstr(s2, "\nt\t");
        ck_assert(b1 && b2);
        ck_assert_msg(!strcmp(b1, b2), "%s differs between two runs with the same seed", names[k]);
        free(s1);
        free(s2);
    }
}
END_TEST

static void expect_bad(char *argv[], const char *needle)
{
    char err[4096];
    int rc = tutil_run(argv, err, sizeof err);
    ck_assert_msg(rc == 2, "%s %s: exit %d, expected 2 (stderr: %s)", argv[1], argv[2], rc, err);
    ck_assert_msg(tutil_lines(err) == 1, "expected one line on stderr, got: %s", err);
    ck_assert_msg(strstr(err, needle) != NULL, "stderr '%s' does not mention '%s'", err, needle);
}

START_TEST(test_bad_input)
{
    char d[64];
    tmpdir(d, sizeof d);
    {
        char *a[] = {"", "theory", "--bogus", "1", "--out", d, NULL};
        expect_bad(a, "--bogus");
    }
    {
        char *a[] = {"", "theory", "--N", "2", "--out", d, NULL};
        expect_bad(a, "N");
    }
    {
        char *a[] = {"", "theory", "--beta", "-1", "--out", d, NULL};
        expect_bad(a, "beta");
    }
    {
        char *a[] = {"", "theory", "--data", "bump", "--eps", "0.7", "--out", d, NULL};
        expect_bad(a, "eps");
    }
    {
        char *a[] = {"", "theory", "--beta", "nan", "--out", d, NULL};
        expect_bad(a, "beta");
    }
    {
        char *a[] = {"", "theory", "--T", "abc", "--out", d, NULL};
        expect_bad(a, "--T");
    }
    {
        char *a[] = {"", "theory", "--N", "10", NULL};
        expect_bad(a, "--out");
    }
    {
        char *a[] = {"", "theory", "--data", "xyz", "--out", d, NULL};
        expect_bad(a, "--data");
    }
    {   /* xy (Potts units): the theory flow has no learned visible fields */
        char *a[] = {"", "theory", "--data", "xy", "--fields", "learn", "--out", d, NULL};
        expect_bad(a, "Potts visible units");
    }
    {
        char *a[] = {"", "phase", "--N", "50,2", NULL};
        expect_bad(a, "N");
    }
    {
        char *a[] = {"", "phase", "--beta-min", "3", "--beta-max", "1", NULL};
        expect_bad(a, "beta");
    }
    {
        char *a[] = {"", "nosuchcommand", NULL, NULL};
        expect_bad(a, "nosuchcommand");
    }
    /* an output directory that cannot be made */
    {
        char *a[] = {"", "theory", "--N", "10", "--out", "/proc/symrbm/x", NULL};
        expect_bad(a, "/proc/symrbm");
    }
    /* nothing half-written was left behind by any of these */
    ck_assert(!tutil_has_temp(d));
    char p[128];
    snprintf(p, sizeof p, "%s/trajectory.tsv", d);
    ck_assert(access(p, F_OK) != 0);
}
END_TEST

START_TEST(test_nan_during_run)
{
    /* weights of order 1e200: the log-density overflows, the run must stop
     * with a message, exit 2, and leave no trajectory behind */
    char d[64];
    tmpdir(d, sizeof d);
    char *a[] = {"", "theory", "--N", "10", "--init-scale", "1e300", "--T", "1", "--out", d, NULL};
    char err[4096];
    ck_assert_int_eq(tutil_run(a, err, sizeof err), 2);
    ck_assert_uint_eq(tutil_lines(err), 1);
    char p[128];
    snprintf(p, sizeof p, "%s/trajectory.tsv", d);
    ck_assert(access(p, F_OK) != 0);
    ck_assert(!tutil_has_temp(d));
}
END_TEST

START_TEST(test_phase_table)
{
    char d[64], err[4096], p[128];
    tmpdir(d, sizeof d);
    snprintf(p, sizeof p, "%s/phase.tsv", d);
    char *a[] = {"", "phase", "--N", "20,40", "--out", p, NULL};
    ck_assert_msg(tutil_run(a, err, sizeof err) == 0, "%s", err);
    traj_table t;
    ck_assert_msg(traj_read(p, &t, err) == SYM_OK, "%s", err);
    ck_assert_uint_eq(t.nrow, 2);
    int cb = traj_table_col(&t, "beta_c");
    ck_assert(cb >= 0);
    /* beta_c grows with N (the correlation length at beta_c scales with N) */
    ck_assert(t.x[cb] > 0.3 && t.x[t.ncol + cb] > t.x[cb]);
    traj_table_free(&t);
}
END_TEST

/* A failed run leaves the previous run's files, all of them, as they were
 * (spectrum.tsv is no longer written ahead of the rest). */
START_TEST(test_failed_run_keeps_set)
{
    char d[64], err[4096], p[128];
    tmpdir(d, sizeof d);
    char *ok[] = {"", "theory", "--N", "10", "--T", "1", "--snapshots", "3", "--out", d, NULL};
    ck_assert_msg(tutil_run(ok, err, sizeof err) == 0, "%s", err);
    const char *files[] = {"spectrum.tsv", "trajectory.tsv", "weights.tsv", "summary.tsv"};
    char *before[4];
    size_t len;
    for (int k = 0; k < 4; k++) {
        snprintf(p, sizeof p, "%s/%s", d, files[k]);
        before[k] = tutil_slurp(p, &len);
        ck_assert(before[k] != NULL);
    }
    char *bad[] = {"", "theory", "--N", "12", "--init-scale", "1e300", "--T", "1", "--out", d, NULL};
    ck_assert_int_eq(tutil_run(bad, err, sizeof err), 2);
    for (int k = 0; k < 4; k++) {
        snprintf(p, sizeof p, "%s/%s", d, files[k]);
        char *after = tutil_slurp(p, &len);
        ck_assert_msg(after && !strcmp(after, before[k]), "%s changed by a failed run", files[k]);
        free(after);
        free(before[k]);
    }
    ck_assert(!tutil_has_temp(d));
}
END_TEST

/* compare refuses a run directory whose files come from two runs. */
START_TEST(test_compare_mixed_runs)
{
    char a[64], b[64], s[64], c[64], err[4096], p1[128], p2[128];
    tmpdir(a, sizeof a);
    tmpdir(b, sizeof b);
    tmpdir(s, sizeof s);
    tmpdir(c, sizeof c);
    char *ta[] = {"", "theory", "--N", "20", "--T", "2", "--out", a, NULL};
    char *tb[] = {"", "theory", "--N", "20", "--T", "2", "--out", b, NULL};
    char *ts[] = {"", "sim", "--N", "20", "--B", "200", "--T", "2", "--out", s, NULL};
    char *tc[] = {"", "compare", a, s, "--no-plot", "--out", c, NULL};
    ck_assert_msg(tutil_run(ta, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(tutil_run(tb, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(tutil_run(ts, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(tutil_run(tc, err, sizeof err) == 0, "%s", err);
    /* the same parameters, another run: its summary does not belong to a */
    snprintf(p1, sizeof p1, "%s/summary.tsv", b);
    snprintf(p2, sizeof p2, "%s/summary.tsv", a);
    ck_assert_int_eq(rename(p1, p2), 0);
    ck_assert_int_eq(tutil_run(tc, err, sizeof err), 2);
    ck_assert_msg(strstr(err, "mixed") && tutil_lines(err) == 1, "%s", err);
}
END_TEST

/* Two sweeps on one directory: the second is refused at once. */
START_TEST(test_threshold_lock)
{
    char d[64], err[4096];
    tmpdir(d, sizeof d);
    char *a[] = {"", "threshold", "--data", "ising", "--N", "30", "--beta", "0.4", "--Bmin", "10",
                 "--Bmax", "20000", "--points", "6", "--seeds", "10", "--T", "20", "--jobs", "1",
                 "--out", d, NULL};
    const char *bin = getenv("SYMRBM_BIN");
    ck_assert(bin != NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(fd, 2);
        a[0] = (char *)bin;
        execv(bin, a);
        _exit(127);
    }
    /* wait for the first run to take the lock (it writes its pid there) */
    char lock[128];
    snprintf(lock, sizeof lock, "%s/symrbm.lock", d);
    size_t len = 0;
    for (int k = 0; k < 500; k++) {
        char *s = tutil_slurp(lock, &len);
        free(s);
        if (len > 0)
            break;
        usleep(20000);
    }
    ck_assert_msg(len > 0, "the first sweep never took the lock");
    ck_assert_int_eq(tutil_run(a, err, sizeof err), 2);
    ck_assert_msg(strstr(err, "in use by another symrbm run") && tutil_lines(err) == 1, "%s", err);
    /* the first sweep is not needed further: stop it */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}
END_TEST

static double summary_value(const char *dir, const char *key)
{
    char p[256], err[SYM_ERRLEN];
    snprintf(p, sizeof p, "%s/summary.tsv", dir);
    traj_header kv;
    ck_assert_msg(traj_read_summary(p, &kv, err) == SYM_OK, "%s", err);
    const char *v = traj_header_get(&kv, key);
    double x = v ? strtod(v, NULL) : NAN;
    traj_header_free(&kv);
    return x;
}

/* Binary hidden units (SPEC 3b) end to end: the theory's fixed point is one
 * peak of height ~0.73 (N = 100, beta = 1, the paper's Fig. 3a), and a
 * simulation with the exact model term on many samples follows the theory
 * (the same w(0), the same clock). */
START_TEST(test_spin_theory_and_sim)
{
    char th[64], th2[64], sim[64], cmp[64], err[4096], p[128];
    tmpdir(th, sizeof th);
    tmpdir(th2, sizeof th2);
    tmpdir(sim, sizeof sim);
    tmpdir(cmp, sizeof cmp);
    char *a[] = {"", "theory", "--hidden", "spin", "--N", "100", "--beta", "1", "--T", "1000",
                 "--snapshots", "20", "--out", th, NULL};
    ck_assert_msg(tutil_run(a, err, sizeof err) == 0, "%s", err);
    snprintf(p, sizeof p, "%s/weights.tsv", th);
    traj_table t;
    ck_assert_msg(traj_read(p, &t, err) == SYM_OK, "%s", err);
    double peak = 0;
    for (size_t c = 2; c < t.ncol; c++)
        peak = fmax(peak, fabs(t.x[(t.nrow - 1) * t.ncol + c]));
    traj_table_free(&t);
    ck_assert_msg(peak > 0.70 && peak < 0.76, "peak %g", peak);
    ck_assert(summary_value(th, "R") > 0.9);

    char *b[] = {"", "theory", "--hidden", "spin", "--N", "40", "--beta", "1", "--T", "60",
                 "--out", th2, NULL};
    char *c[] = {"", "sim", "--hidden", "spin", "--N", "40", "--beta", "1", "--B", "20000",
                 "--T", "60", "--lr", "0.05", "--theory", th2, "--out", sim, NULL};
    char *d[] = {"", "compare", th2, sim, "--no-plot", "--out", cmp, NULL};
    ck_assert_msg(tutil_run(b, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(tutil_run(c, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(tutil_run(d, err, sizeof err) == 0, "%s", err);
    double Q = summary_value(cmp, "Q_final");
    ck_assert_msg(Q > 0.99, "Q_final %g", Q);
    /* M units of a kind that theory has one at a time: refused */
    char *e[] = {"", "theory", "--hidden", "gaussian", "--M", "2", "--out", th2, NULL};
    ck_assert_int_eq(tutil_run(e, err, sizeof err), 2);
    ck_assert_msg(strstr(err, "M = 2") && tutil_lines(err) == 1, "%s", err);
}
END_TEST

/* The small-beta lattice equation (SPEC 3c) from the CLI, and the exact
 * binary-unit flow converging to it: with u = w / sqrt(beta), b = norm2 /
 * beta of the exact fixed point approaches eq. 37's b (~2.40 at N = 100)
 * linearly in beta. */
START_TEST(test_small_beta)
{
    char sb[64], e1[64], e2[64], err[4096], p[128];
    tmpdir(sb, sizeof sb);
    tmpdir(e1, sizeof e1);
    tmpdir(e2, sizeof e2);
    char *a[] = {"", "theory", "--equation", "small-beta", "--beta", "0.1", "--T", "10000",
                 "--out", sb, NULL};
    ck_assert_msg(tutil_run(a, err, sizeof err) == 0, "%s", err);
    double b = summary_value(sb, "b_0");
    ck_assert_msg(fabs(b - 2.40) < 0.005, "b = %g", b);
    snprintf(p, sizeof p, "%s/continuum.tsv", sb);
    ck_assert(access(p, F_OK) == 0);
    char *x1[] = {"", "theory", "--hidden", "spin", "--beta", "0.1", "--T", "2e5", "--snapshots",
                  "20", "--out", e1, NULL};
    char *x2[] = {"", "theory", "--hidden", "spin", "--beta", "0.05", "--T", "4e5", "--snapshots",
                  "20", "--out", e2, NULL};
    ck_assert_msg(tutil_run(x1, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(tutil_run(x2, err, sizeof err) == 0, "%s", err);
    double d1 = summary_value(e1, "norm2") / 0.1 / b - 1, d2 = summary_value(e2, "norm2") / 0.05 / b - 1;
    ck_assert_msg(d1 > 0 && d1 < 0.15 && fabs(d2 / d1 - 0.5) < 0.05, "b rel. diff %g (beta 0.1), "
                  "%g (0.05)", d1, d2);
    /* M = 2 (eqs. 50-51) runs (sb_localise's sweep count is no error
     * status) and, from small noise at N = 100, ends in two far-apart
     * single peaks, each with the M = 1 fixed point's b */
    char *m2[] = {"", "theory", "--equation", "small-beta", "--M", "2", "--T", "500", "--out", e1,
                  NULL}, *m1[] = {"", "theory", "--equation", "small-beta", "--T", "500", "--out",
                  e2, NULL};
    ck_assert_msg(tutil_run(m2, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(tutil_run(m1, err, sizeof err) == 0, "%s", err);
    double b1 = summary_value(e2, "b_0");
    for (int mu = 0; mu < 2; mu++) {
        double bm = summary_value(e1, mu ? "b_1" : "b_0");
        ck_assert_msg(fabs(bm - b1) < 1e-6, "M = 2: b_%d = %.10g, M = 1: %.10g", mu, bm, b1);
    }
    /* a model without a coupling beta has no small-beta equation */
    char *y[] = {"", "theory", "--equation", "small-beta", "--data", "bump", "--out", sb, NULL};
    ck_assert_int_eq(tutil_run(y, err, sizeof err), 2);
}
END_TEST

Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("theory-phase");
    tcase_add_test(tc, test_theory_files);
    tcase_add_test(tc, test_theory_reproducible);
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_nan_during_run);
    tcase_add_test(tc, test_phase_table);
    tcase_add_test(tc, test_failed_run_keeps_set);
    tcase_add_test(tc, test_compare_mixed_runs);
    tcase_add_test(tc, test_threshold_lock);
    tcase_add_test(tc, test_spin_theory_and_sim);
    tcase_add_test(tc, test_small_beta);
    suite_add_tcase(s, tc);
    return s;
}
