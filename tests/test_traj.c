/* Suite traj: file headers, atomic output files and the table reader
 * (core/traj.h, SPEC.md 5).  Every number written must read back to the last
 * bit; an abandoned or failed write must leave nothing behind; malformed
 * input must give an error naming the file and line. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include <gsl/gsl_rng.h>

#include "core/obs.h"
#include "core/ring.h"
#include "core/rng.h"
#include "core/traj.h"
#include "tests/suites.h"
#include "tests/tutil.h"

/* ------------------------------------------------------------ helpers */

static void make_tmpdir(char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/symrbm-traj-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(buf));
}

static void rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                    continue;
                char sub[4096];
                snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
                rm_tree(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* Number of entries in dir (without . and ..); the first name into first. */
static int count_entries(const char *dir, char *first, size_t len)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (n == 0 && first)
            snprintf(first, len, "%s", e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    ck_assert_int_eq(fclose(fp), 0);
}

static char *read_text(const char *path)
{
    FILE *fp = fopen(path, "r");
    ck_assert_ptr_nonnull(fp);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = 0;
    fclose(fp);
    return buf;
}

/* Same double to the last bit; every NaN counts as equal to every NaN. */
static int same_double(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return !memcmp(&a, &b, sizeof a);
}

/* Awkward numbers: thirds, extremes, signed zero, denormals, non-finite. */
static const double odd[] = {
    1.0 / 3.0, -2.0 / 3.0, 1e-300, -0.0, 0.0, NAN, INFINITY, -INFINITY,
    4.9406564584124654e-324, 2.2250738585072009e-308, DBL_MIN, DBL_MAX, -DBL_MAX,
    0.1, 1e22, 123456789012345678.0, 1.0000000000000002, M_PI * 1e100, -1e-310,
};
#define NODD (sizeof odd / sizeof odd[0])

/* a finite double with random bits */
static double random_bits(gsl_rng *r)
{
    for (;;) {
        uint64_t u = ((uint64_t)gsl_rng_get(r) << 32) ^ (uint64_t)gsl_rng_get(r);
        double d;
        memcpy(&d, &u, sizeof d);
        if (isfinite(d))
            return d;
    }
}

/* ---------------------------------------------------------------- tests */

START_TEST(test_header_set_get)
{
    traj_header h;
    traj_header_init(&h);
    ck_assert_int_eq(traj_header_set(&h, "N", "%zu", (size_t)100), SYM_OK);
    ck_assert_int_eq(traj_header_set(&h, "beta", "%.17g", 0.1), SYM_OK);
    ck_assert_str_eq(traj_header_get(&h, "N"), "100");
    ck_assert_str_eq(traj_header_get(&h, "beta"), "0.10000000000000001");
    ck_assert_ptr_null(traj_header_get(&h, "n"));
    /* replacing keeps one entry, in its place */
    ck_assert_int_eq(traj_header_set(&h, "N", "%d", 7), SYM_OK);
    ck_assert_uint_eq(h.n, 2);
    ck_assert_str_eq(h.key[0], "N");
    ck_assert_str_eq(traj_header_get(&h, "N"), "7");
    /* growth past the first allocation; long values */
    char big[5000];
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = 0;
    for (int k = 0; k < 100; k++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", k);
        ck_assert_int_eq(traj_header_set(&h, key, "%d:%s", k, k == 50 ? big : ""), SYM_OK);
    }
    ck_assert_uint_eq(h.n, 102);
    ck_assert_str_eq(traj_header_get(&h, "k99"), "99:");
    ck_assert_uint_eq(strlen(traj_header_get(&h, "k50")), 3 + sizeof big - 1);
    traj_header_free(&h);
    ck_assert_uint_eq(h.n, 0);
    traj_header_free(&h);   /* twice is harmless */
}
END_TEST

START_TEST(test_put_spelling)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(fp);
    const double x[] = {NAN, -NAN, INFINITY, -INFINITY, -0.0, 0.1, 1.0 / 3.0, 1e-300, 5e-324};
    for (size_t k = 0; k < sizeof x / sizeof x[0]; k++) {
        traj_put(fp, x[k]);
        fputc(' ', fp);
    }
    fclose(fp);
    ck_assert_str_eq(buf, "nan nan inf -inf -0 0.10000000000000001 0.33333333333333331 "
                          "1e-300 4.9406564584124654e-324 ");
    free(buf);
}
END_TEST

static const char *const obs_cols[] = {
    "t", "mu", "norm2", "pr", "R", "S", "center", "loglik", "kl",
    "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "X"};
#define NOBSCOL (sizeof obs_cols / sizeof obs_cols[0])

START_TEST(test_trajectory_roundtrip)
{
    char dir[64], path[256], err[SYM_ERRLEN];
    make_tmpdir(dir, sizeof dir);
    traj_header h;
    traj_header_init(&h);
    traj_header_set(&h, "program", "symrbm theory");
    traj_header_set(&h, "version", "%s", SYM_VERSION);
    traj_header_set(&h, "command", "symrbm theory --N 10 --beta=1");   /* '=' in a value */
    traj_header_set(&h, "multi", "line one\nline two");
    traj_header_set(&h, "seed", "%d", 42);

    /* rows built from the odd numbers, cycling them through every column */
    const size_t nrow = 2 * NODD;
    double want[2 * NODD][NOBSCOL];
    traj_file f;
    ck_assert_int_eq(traj_open(&f, dir, "trajectory.tsv", &h, err), SYM_OK);
    traj_obs_columns(f.fp);
    for (size_t r = 0; r < nrow; r++) {
        size_t c = 0;
        for (size_t k = 0; k < NOBSCOL; k++)
            want[r][k] = odd[(r + 3 * k) % NODD];
        want[r][1] = (double)(r % 3);   /* mu is an integer */
        obs_values o;
        o.norm2 = want[r][2];
        o.pr = want[r][3];
        o.R = want[r][4];
        o.S = want[r][5];
        o.center = want[r][6];
        for (c = 0; c < OBS_NA; c++)
            o.a[c] = want[r][9 + c];
        o.X = want[r][9 + OBS_NA];
        traj_obs_row(f.fp, want[r][0], r % 3, want[r][7], want[r][8], &o);
    }
    ck_assert_int_eq(traj_close(&f, err), SYM_OK);

    snprintf(path, sizeof path, "%s/trajectory.tsv", dir);
    /* the literal layout: "# key=value" lines, then the tab-separated column line */
    const char *text = read_text(path);
    ck_assert(!strncmp(text, "# program=symrbm theory\n# version=", 34));
    ck_assert_ptr_nonnull(strstr(text, "\n# multi=line one line two\n"));
    ck_assert_ptr_nonnull(strstr(text, "\nt\tmu\tnorm2\tpr\tR\tS\tcenter\tloglik\tkl\ta0\ta1\ta2"
                                       "\ta3\ta4\ta5\ta6\ta7\ta8\tX\n"));

    traj_table t;
    ck_assert_int_eq(traj_read(path, &t, err), SYM_OK);
    ck_assert_uint_eq(t.ncol, NOBSCOL);
    ck_assert_uint_eq(t.nrow, nrow);
    for (size_t k = 0; k < NOBSCOL; k++) {
        ck_assert_str_eq(t.col[k], obs_cols[k]);
        ck_assert_int_eq(traj_table_col(&t, obs_cols[k]), (int)k);
    }
    ck_assert_int_eq(traj_table_col(&t, "a9"), -1);
    for (size_t r = 0; r < nrow; r++)
        for (size_t k = 0; k < NOBSCOL; k++)
            ck_assert_msg(same_double(t.x[r * t.ncol + k], want[r][k]),
                          "row %zu col %zu: %.17g != %.17g", r, k, t.x[r * t.ncol + k], want[r][k]);
    ck_assert_str_eq(traj_header_get(&t.header, "program"), "symrbm theory");
    ck_assert_str_eq(traj_header_get(&t.header, "version"), SYM_VERSION);
    ck_assert_str_eq(traj_header_get(&t.header, "command"), "symrbm theory --N 10 --beta=1");
    ck_assert_str_eq(traj_header_get(&t.header, "seed"), "42");
    traj_table_free(&t);
    ck_assert_ptr_null(t.x);
    traj_header_free(&h);
    rm_tree(dir);
}
END_TEST

START_TEST(test_weights_roundtrip)
{
    char dir[64], path[256], err[SYM_ERRLEN];
    make_tmpdir(dir, sizeof dir);
    gsl_rng *r = rng_alloc(5, RNG_STREAM_AUX);
    const size_t N = 37, M = 3, T = 4;
    double w[4][3][37], times[4] = {0, 1.0 / 3.0, 1e-300, 40};
    for (size_t s = 0; s < T; s++)
        for (size_t mu = 0; mu < M; mu++)
            for (size_t i = 0; i < N; i++)
                w[s][mu][i] = (i + mu + s) % 4 ? random_bits(r) : odd[(i + 7 * mu + s) % NODD];
    traj_file f;
    ck_assert_int_eq(traj_open(&f, dir, "weights.tsv", NULL, err), SYM_OK);
    traj_weights_columns(f.fp, N);
    for (size_t s = 0; s < T; s++)
        for (size_t mu = 0; mu < M; mu++)
            traj_weights_row(f.fp, times[s], mu, w[s][mu], N);
    ck_assert_int_eq(traj_close(&f, err), SYM_OK);
    snprintf(path, sizeof path, "%s/weights.tsv", dir);
    traj_table t;
    ck_assert_int_eq(traj_read(path, &t, err), SYM_OK);
    ck_assert_uint_eq(t.ncol, N + 2);
    ck_assert_uint_eq(t.nrow, T * M);
    ck_assert_uint_eq(t.header.n, 0);
    ck_assert_str_eq(t.col[0], "t");
    ck_assert_str_eq(t.col[1], "mu");
    ck_assert_str_eq(t.col[2], "w_0");
    ck_assert_str_eq(t.col[N + 1], "w_36");
    for (size_t s = 0; s < T; s++)
        for (size_t mu = 0; mu < M; mu++) {
            const double *row = t.x + (s * M + mu) * t.ncol;
            ck_assert(same_double(row[0], times[s]));
            ck_assert(same_double(row[1], (double)mu));
            for (size_t i = 0; i < N; i++)
                ck_assert_msg(same_double(row[2 + i], w[s][mu][i]), "w %zu %zu %zu", s, mu, i);
        }
    traj_table_free(&t);
    gsl_rng_free(r);
    rm_tree(dir);
}
END_TEST

START_TEST(test_summary_roundtrip)
{
    char dir[64], path[256], err[SYM_ERRLEN];
    make_tmpdir(dir, sizeof dir);
    traj_header h;
    traj_header_init(&h);
    traj_header_set(&h, "program", "symrbm sim");
    traj_header_set(&h, "data", "ising");
    traj_file f;
    ck_assert_int_eq(traj_open(&f, dir, "summary.tsv", &h, err), SYM_OK);
    char key[NODD][16];
    for (size_t k = 0; k < NODD; k++) {
        snprintf(key[k], sizeof key[k], "x%zu", k);
        traj_summary_num(f.fp, key[k], odd[k]);
    }
    traj_summary_str(f.fp, "phase", "broken");
    traj_summary_str(f.fp, "note", "two words");
    traj_summary_str(f.fp, "empty", "");
    ck_assert_int_eq(traj_close(&f, err), SYM_OK);
    snprintf(path, sizeof path, "%s/summary.tsv", dir);
    traj_header kv;
    ck_assert_int_eq(traj_read_summary(path, &kv, err), SYM_OK);
    ck_assert_str_eq(traj_header_get(&kv, "program"), "symrbm sim");
    ck_assert_str_eq(traj_header_get(&kv, "data"), "ising");
    for (size_t k = 0; k < NODD; k++) {
        const char *v = traj_header_get(&kv, key[k]);
        ck_assert_ptr_nonnull(v);
        ck_assert_msg(same_double(strtod(v, NULL), odd[k]), "%s = %s", key[k], v);
    }
    ck_assert_str_eq(traj_header_get(&kv, "phase"), "broken");
    ck_assert_str_eq(traj_header_get(&kv, "note"), "two words");
    ck_assert_str_eq(traj_header_get(&kv, "empty"), "");
    ck_assert_uint_eq(kv.n, 2 + NODD + 3);
    traj_header_free(&kv);
    traj_header_free(&h);
    rm_tree(dir);
}
END_TEST

START_TEST(test_atomic_abort)
{
    char dir[64], path[256], name[256], err[SYM_ERRLEN];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/out.tsv", dir);
    traj_file f;
    ck_assert_int_eq(traj_open(&f, dir, "out.tsv", NULL, err), SYM_OK);
    fputs("partial\n", f.fp);
    /* while writing: nothing at the final name, one hidden temporary file */
    ck_assert(!exists(path));
    ck_assert_int_eq(count_entries(dir, name, sizeof name), 1);
    ck_assert(!strncmp(name, ".out.tsv.tmp.", 13));
    traj_abort(&f);
    ck_assert_ptr_null(f.fp);
    ck_assert_int_eq(count_entries(dir, NULL, 0), 0);
    traj_abort(&f);   /* twice is harmless */

    /* replacing an existing file: the old one stays until close, and an
     * abandoned rewrite leaves it untouched */
    write_text(path, "old\n");
    ck_assert_int_eq(traj_open(&f, dir, "out.tsv", NULL, err), SYM_OK);
    fputs("new\n", f.fp);
    fflush(f.fp);
    ck_assert_str_eq(read_text(path), "old\n");
    traj_abort(&f);
    ck_assert_str_eq(read_text(path), "old\n");
    ck_assert_int_eq(count_entries(dir, NULL, 0), 1);
    ck_assert_int_eq(traj_open(&f, dir, "out.tsv", NULL, err), SYM_OK);
    fputs("new\n", f.fp);
    ck_assert_int_eq(traj_close(&f, err), SYM_OK);
    ck_assert_str_eq(read_text(path), "new\n");
    ck_assert_int_eq(count_entries(dir, NULL, 0), 1);
    /* the result is readable by others (mkstemp alone would give 0600) */
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0644);
    rm_tree(dir);
}
END_TEST

START_TEST(test_atomic_failed_close)
{
    char dir[64], path[256], err[SYM_ERRLEN];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/trajectory.tsv", dir);

    /* a write error: the stream's descriptor is swapped for a read-only one,
     * so the final flush fails as a full disk would */
    traj_file f;
    ck_assert_int_eq(traj_open(&f, dir, "trajectory.tsv", NULL, err), SYM_OK);
    traj_obs_columns(f.fp);
    int ro = open("/dev/null", O_RDONLY);
    ck_assert_int_ge(ro, 0);
    ck_assert_int_ge(dup2(ro, fileno(f.fp)), 0);
    close(ro);
    err[0] = 0;
    ck_assert_int_eq(traj_close(&f, err), SYM_EIO);
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_ptr_null(f.fp);
    ck_assert_int_eq(count_entries(dir, NULL, 0), 0);

    /* the rename fails: a non-empty directory sits at the final name */
    char sub[300];
    snprintf(sub, sizeof sub, "%s/inner", path);
    ck_assert_int_eq(traj_mkdir(sub, err), SYM_OK);
    ck_assert_int_eq(traj_open(&f, dir, "trajectory.tsv", NULL, err), SYM_OK);
    traj_obs_columns(f.fp);
    err[0] = 0;
    ck_assert_int_eq(traj_close(&f, err), SYM_EIO);
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_int_eq(count_entries(dir, NULL, 0), 1);   /* only the directory */

    /* a directory that does not exist: error naming the path, nothing made */
    char missing[300];
    snprintf(missing, sizeof missing, "%s/nope", dir);
    err[0] = 0;
    ck_assert_int_eq(traj_open(&f, missing, "x.tsv", NULL, err), SYM_EIO);
    ck_assert_ptr_nonnull(strstr(err, "nope/x.tsv"));
    ck_assert_ptr_null(f.fp);
    ck_assert(!exists(missing));
    rm_tree(dir);
}
END_TEST

START_TEST(test_open_without_dir)
{
    /* dir NULL: name is the whole path, the temporary file sits beside it */
    char dir[64], path[256], err[SYM_ERRLEN];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/samples.txt", dir);
    traj_file f;
    ck_assert_int_eq(traj_open(&f, NULL, path, NULL, err), SYM_OK);
    ck_assert_int_eq(count_entries(dir, NULL, 0), 1);
    fputs("1 -1 1\n", f.fp);
    ck_assert_int_eq(traj_close(&f, err), SYM_OK);
    ck_assert_str_eq(read_text(path), "1 -1 1\n");
    ck_assert_int_eq(count_entries(dir, NULL, 0), 1);
    ck_assert_int_eq(traj_open(&f, dir, "", NULL, err), SYM_EINVAL);
    rm_tree(dir);
}
END_TEST

START_TEST(test_mkdir)
{
    char dir[64], p[512], err[SYM_ERRLEN];
    make_tmpdir(dir, sizeof dir);
    snprintf(p, sizeof p, "%s/a/b//c/", dir);
    ck_assert_int_eq(traj_mkdir(p, err), SYM_OK);
    snprintf(p, sizeof p, "%s/a/b/c", dir);
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_int_eq(traj_mkdir(p, err), SYM_OK);   /* already there */
    /* a file in the way, as the target or as a parent */
    snprintf(p, sizeof p, "%s/file", dir);
    write_text(p, "x");
    err[0] = 0;
    ck_assert_int_eq(traj_mkdir(p, err), SYM_EIO);
    ck_assert_ptr_nonnull(strstr(err, "file"));
    snprintf(p, sizeof p, "%s/file/sub", dir);
    err[0] = 0;
    ck_assert_int_eq(traj_mkdir(p, err), SYM_EIO);
    ck_assert_ptr_nonnull(strstr(err, "file"));
    ck_assert_int_ne(traj_mkdir("", err), SYM_OK);
    rm_tree(dir);
}
END_TEST

/* traj_read of text must fail with an error containing every piece of want */
static void expect_read_error(const char *dir, const char *text, int code, const char *want1,
                              const char *want2)
{
    char path[256], err[SYM_ERRLEN] = "";
    snprintf(path, sizeof path, "%s/bad.tsv", dir);
    write_text(path, text);
    traj_table t;
    ck_assert_int_eq(traj_read(path, &t, err), code);
    ck_assert_msg(strstr(err, want1) && (!want2 || strstr(err, want2)), "message: %s", err);
    ck_assert_ptr_null(strstr(err, "\n"));
    /* the table is left empty and safe to free */
    ck_assert_uint_eq(t.ncol, 0);
    ck_assert_uint_eq(t.nrow, 0);
    ck_assert_ptr_null(t.x);
    traj_table_free(&t);
}

START_TEST(test_read_malformed)
{
    char dir[64], path[256], err[SYM_ERRLEN];
    make_tmpdir(dir, sizeof dir);
    expect_read_error(dir, "# a=1\nt x y\n1 2 3\n\n1 2\n", SYM_EINVAL,
                      "bad.tsv:5: expected 3 fields, found 2", NULL);
    expect_read_error(dir, "t x y\n1 2 3 4\n", SYM_EINVAL,
                      "bad.tsv:2: expected 3 fields, found 4", NULL);
    expect_read_error(dir, "# a=1\nt x y\n1 2 3\n1 2.5x 3\n", SYM_EINVAL,
                      "bad.tsv:4:", "2.5x");
    expect_read_error(dir, "t x\n1 --3\n", SYM_EINVAL, "bad.tsv:2:", "--3");
    expect_read_error(dir, "t x\n1 1e400\n", SYM_EINVAL, "bad.tsv:2:", "1e400");
    expect_read_error(dir, "# program=symrbm\n# N=10\n", SYM_EINVAL, "bad.tsv:2:", "column line");
    expect_read_error(dir, "", SYM_EINVAL, "bad.tsv: empty file", "column line");
    expect_read_error(dir, "# comment\n\n   \n", SYM_EINVAL, "bad.tsv:3:", "column line");
    snprintf(path, sizeof path, "%s/missing.tsv", dir);
    traj_table t;
    err[0] = 0;
    ck_assert_int_eq(traj_read(path, &t, err), SYM_EIO);
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_ptr_null(t.x);
    /* a directory where a file should be */
    err[0] = 0;
    ck_assert_int_eq(traj_read(dir, &t, err), SYM_EIO);
    ck_assert_ptr_nonnull(strstr(err, dir));
    traj_header kv;
    err[0] = 0;
    ck_assert_int_eq(traj_read_summary(path, &kv, err), SYM_EIO);
    ck_assert_ptr_nonnull(strstr(err, path));
    /* a summary line without a value */
    snprintf(path, sizeof path, "%s/summary.tsv", dir);
    write_text(path, "# a=1\nnorm2\t1\nphase\n");
    err[0] = 0;
    ck_assert_int_eq(traj_read_summary(path, &kv, err), SYM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "summary.tsv:3:"));
    ck_assert_uint_eq(kv.n, 0);
    rm_tree(dir);
}
END_TEST

START_TEST(test_read_lenient)
{
    /* CRLF line ends, blank lines, comments without '=', comments after the
     * column line, spaces as separators, "nan"/"inf" spellings, header
     * keys with blanks around them */
    char dir[64], path[256], err[SYM_ERRLEN];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/ok.tsv", dir);
    write_text(path, "# just a comment\r\n#  key =v=w \r\n\r\nt  mu\tx\r\n"
                     "0 1 nan\r\n# late=1\n\n  2\t3  -inf  \n4 5 INF\n");
    traj_table t;
    ck_assert_int_eq(traj_read(path, &t, err), SYM_OK);
    ck_assert_uint_eq(t.ncol, 3);
    ck_assert_uint_eq(t.nrow, 3);
    ck_assert_str_eq(traj_header_get(&t.header, "key"), "v=w ");
    ck_assert_str_eq(traj_header_get(&t.header, "late"), "1");
    ck_assert_uint_eq(t.header.n, 2);
    ck_assert_double_eq(t.x[0], 0);
    ck_assert_double_eq(t.x[1], 1);
    ck_assert(isnan(t.x[2]));
    ck_assert_double_eq(t.x[3], 2);
    ck_assert(isinf(t.x[5]) && t.x[5] < 0);
    ck_assert(isinf(t.x[8]) && t.x[8] > 0);
    traj_table_free(&t);
    /* a column line and no rows is a valid, empty table */
    write_text(path, "# a=1\nt mu\n");
    ck_assert_int_eq(traj_read(path, &t, err), SYM_OK);
    ck_assert_uint_eq(t.ncol, 2);
    ck_assert_uint_eq(t.nrow, 0);
    traj_table_free(&t);
    rm_tree(dir);
}
END_TEST

/* ------------------------------------------- damaged files (issue 7) */

static void write_bytes(const char *path, const void *buf, size_t len)
{
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(buf, 1, len, fp), len);
    ck_assert_int_eq(fclose(fp), 0);
}

/* traj_read_summary of the bytes must fail with code and a one-line message
 * holding want1 (and want2), leaving kv empty */
static void expect_summary_error(const char *dir, const char *buf, size_t len, int code,
                                 const char *want1, const char *want2)
{
    char path[256], err[SYM_ERRLEN] = "";
    snprintf(path, sizeof path, "%s/summary.tsv", dir);
    write_bytes(path, buf, len);
    traj_header kv;
    ck_assert_int_eq(traj_read_summary(path, &kv, err), code);
    ck_assert_msg(strstr(err, want1) && (!want2 || strstr(err, want2)), "message: %s", err);
    ck_assert_ptr_null(strstr(err, "\n"));
    ck_assert_uint_eq(kv.n, 0);
    traj_header_free(&kv);
}

/* A file cut anywhere inside a line is refused, naming the line; a file cut
 * at a line end reads exactly the complete rows before the cut.  The file
 * is a real trajectory.tsv from the writers, cut at every byte. */
START_TEST(test_read_cut_everywhere)
{
    char dir[64], path[256], cut[256], err[SYM_ERRLEN];
    make_tmpdir(dir, sizeof dir);
    traj_header h;
    traj_header_init(&h);
    traj_header_set(&h, "program", "symrbm theory");
    traj_header_set(&h, "N", "10");
    traj_file f;
    ck_assert_int_eq(traj_open(&f, dir, "trajectory.tsv", &h, err), SYM_OK);
    traj_obs_columns(f.fp);
    for (size_t r = 0; r < 4; r++) {
        obs_values o = {odd[r], odd[r + 1], odd[r + 2], odd[r + 3], 1.5, {0}, -2.5};
        for (int k = 0; k < OBS_NA; k++)
            o.a[k] = odd[(r + (size_t)k) % NODD];
        traj_obs_row(f.fp, 0.25 * (double)r, r % 2, NAN, -1.0 / 3.0, &o);
    }
    ck_assert_int_eq(traj_close(&f, err), SYM_OK);
    traj_header_free(&h);
    snprintf(path, sizeof path, "%s/trajectory.tsv", dir);
    snprintf(cut, sizeof cut, "%s/cut.tsv", dir);
    size_t len;
    char *text = tutil_slurp(path, &len);
    ck_assert_ptr_nonnull(text);
    traj_table full;
    ck_assert_int_eq(traj_read(path, &full, err), SYM_OK);
    ck_assert_uint_eq(full.nrow, 4);
    /* the column line is line 3 */
    size_t col_end = (size_t)(strstr(text, "\nt\tmu") - text) + 1;
    col_end += (size_t)(strchr(text + col_end, '\n') - (text + col_end)) + 1;
    size_t lines = 0, cut_errors = 0;
    for (size_t k = 1; k < len; k++) {
        write_bytes(cut, text, k);
        traj_table t;
        err[0] = 0;
        int st = traj_read(cut, &t, err);
        if (text[k - 1] == '\n') {
            lines++;
            if (k < col_end) {   /* header lines only: no column line */
                ck_assert_int_eq(st, SYM_EINVAL);
                ck_assert_msg(strstr(err, "column line"), "cut at %zu: %s", k, err);
                continue;
            }
            ck_assert_msg(st == SYM_OK, "cut at %zu (a line end): %s", k, err);
            ck_assert_uint_eq(t.ncol, full.ncol);
            ck_assert_uint_le(t.nrow, full.nrow);
            ck_assert_uint_eq(t.nrow, lines - 3);
            for (size_t q = 0; q < t.nrow * t.ncol; q++)
                ck_assert(same_double(t.x[q], full.x[q]));
            traj_table_free(&t);
        } else {
            char want[64];
            snprintf(want, sizeof want, "cut.tsv:%zu: truncated (no newline at end of file)",
                     lines + 1);
            ck_assert_msg(st == SYM_EINVAL && strstr(err, want), "cut at %zu: %d %s", k, st, err);
            ck_assert_ptr_null(t.x);
            cut_errors++;
        }
    }
    ck_assert_uint_gt(cut_errors, len / 2);
    traj_table_free(&full);
    /* the same for a summary: the last value cut short */
    static const char sum[] = "# program=symrbm\nnorm2\t0.75\nphase\tbroken\n";
    for (size_t k = 1; k < sizeof sum - 1; k++) {
        if (sum[k - 1] == '\n') {
            write_bytes(cut, sum, k);
            traj_header kv;
            ck_assert_int_eq(traj_read_summary(cut, &kv, err), SYM_OK);
            traj_header_free(&kv);
            continue;
        }
        snprintf(path, sizeof path, "%s/summary.tsv", dir);
        write_bytes(path, sum, k);
        expect_summary_error(dir, sum, k, SYM_EINVAL, "summary.tsv:", "truncated");
    }
    /* a last line ending in "\r" only is cut short as well */
    expect_read_error(dir, "t x\r\n1 2\r", SYM_EINVAL, "bad.tsv:2: truncated", NULL);
    expect_read_error(dir, "# a=1", SYM_EINVAL, "bad.tsv:1: truncated", NULL);
    free(text);
    rm_tree(dir);
}
END_TEST

/* A NUL byte anywhere is an error naming the line and column: before, it
 * ended the line and the rest of it was silently dropped. */
START_TEST(test_read_nul)
{
    char dir[64], path[256], err[SYM_ERRLEN];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/bad.tsv", dir);
    static const char rows[] = "# a=1\nt x\n1 2\n3 4\0 5\n";   /* read as "3 4" before */
    static const char tail[] = "t x\n1 2\0\n";                  /* read as "1 2" before */
    static const char head[] = "# a=1\0junk\nt x\n1 2\n";
    static const char col[] = "t\0 x\n1\n";
    const struct {
        const char *buf;
        size_t len;
        const char *want;
    } cases[] = {
        {rows, sizeof rows - 1, "bad.tsv:4: NUL byte at column 4"},
        {tail, sizeof tail - 1, "bad.tsv:2: NUL byte at column 4"},
        {head, sizeof head - 1, "bad.tsv:1: NUL byte at column 6"},
        {col, sizeof col - 1, "bad.tsv:1: NUL byte at column 2"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        write_bytes(path, cases[c].buf, cases[c].len);
        traj_table t;
        err[0] = 0;
        ck_assert_int_eq(traj_read(path, &t, err), SYM_EINVAL);
        ck_assert_msg(strstr(err, cases[c].want), "case %zu: %s", c, err);
        ck_assert_ptr_null(t.x);
    }
    static const char sum[] = "# a=1\nnorm2\t0.5\0\nS\t1\n";
    expect_summary_error(dir, sum, sizeof sum - 1, SYM_EINVAL, "summary.tsv:2: NUL byte", NULL);
    rm_tree(dir);
}
END_TEST

/* Header keys (SPEC.md 5: each once): a repeat with the same value, as
 * numbers or strings, is one entry (old files repeat the data model's
 * keys); a repeat with another value is an error naming both lines. */
START_TEST(test_read_repeated_keys)
{
    char dir[64], path[256], err[SYM_ERRLEN];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/ok.tsv", dir);
    write_text(path, "# data=ising\n# N=10\n# eps=0.1\n# other=x\n# data=ising\n"
                     "# eps=0.10000000000000001\n# N=1e1\nt\n1\n# other=x\n");
    traj_table t;
    ck_assert_msg(traj_read(path, &t, err) == SYM_OK, "%s", err);
    ck_assert_uint_eq(t.header.n, 4);
    static const char *const order[] = {"data", "N", "eps", "other"};
    for (size_t k = 0; k < 4; k++)
        ck_assert_str_eq(t.header.key[k], order[k]);
    /* the last spelling, in the first place (as traj_header_set replaces) */
    ck_assert_str_eq(traj_header_get(&t.header, "eps"), "0.10000000000000001");
    ck_assert_str_eq(traj_header_get(&t.header, "N"), "1e1");
    traj_table_free(&t);

    expect_read_error(dir, "# data=ising\n# N=10\n# beta=1\n# N=12\nt\n1\n", SYM_EINVAL,
                      "bad.tsv:4: N=12 conflicts with N=10 on line 2", NULL);
    expect_read_error(dir, "# data=ising\nt\n1\n# data=bump\n", SYM_EINVAL,
                      "bad.tsv:4: data=bump conflicts with data=ising on line 1", NULL);
    /* the first conflict in the file is the one named */
    expect_read_error(dir, "# b=1\n# a=1\n# a=1\n# b=2\n# a=3\nt\n1\n", SYM_EINVAL,
                      "bad.tsv:4: b=2", NULL);
    /* a summary's rows and header share one namespace */
    snprintf(path, sizeof path, "%s/summary.tsv", dir);
    write_text(path, "# updates=120\n# S=x\nnorm2\t1\nupdates\t120\nnorm2\t1.0\n");
    traj_header kv;
    ck_assert_msg(traj_read_summary(path, &kv, err) == SYM_OK, "%s", err);
    ck_assert_uint_eq(kv.n, 3);
    ck_assert_str_eq(traj_header_get(&kv, "norm2"), "1.0");
    traj_header_free(&kv);
    static const char conflict[] = "# N=10\nnorm2\t1\nN\t11\n";
    expect_summary_error(dir, conflict, sizeof conflict - 1, SYM_EINVAL,
                         "summary.tsv:3: N=11 conflicts with N=10 on line 1", NULL);
    static const char rows[] = "norm2\t1\nS\t0.5\nnorm2\tnan\n";
    expect_summary_error(dir, rows, sizeof rows - 1, SYM_EINVAL,
                         "summary.tsv:3: norm2=nan conflicts with norm2=1 on line 1", NULL);

    /* many keys: resolved by sorting, not by a lookup per line (which took
     * ~1e10 string comparisons here) */
    enum { NKEY = 200000 };
    snprintf(path, sizeof path, "%s/many.tsv", dir);
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    for (int k = 0; k < NKEY; k++)
        fprintf(fp, "# key%d=%d\n", k, k % 7);
    fprintf(fp, "# key17=3\nt\n1\n");
    ck_assert_int_eq(fclose(fp), 0);
    clock_t c0 = clock();
    ck_assert_msg(traj_read(path, &t, err) == SYM_OK, "%s", err);
    double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    ck_assert_uint_eq(t.header.n, NKEY);
    ck_assert_str_eq(t.header.key[NKEY - 1], "key199999");
    ck_assert_str_eq(traj_header_get(&t.header, "key17"), "3");
    ck_assert_msg(cpu < 4.0, "%d header keys took %.1f s of CPU", NKEY, cpu);
    traj_table_free(&t);
    rm_tree(dir);
}
END_TEST

START_TEST(test_header_same)
{
    ck_assert(traj_header_same("0.1", "0.10000000000000001"));
    ck_assert(traj_header_same("10", "1e1"));
    ck_assert(traj_header_same("ising", "ising"));
    ck_assert(traj_header_same("nan", "NAN"));
    ck_assert(traj_header_same("", ""));
    ck_assert(!traj_header_same("ising", "bump"));
    ck_assert(!traj_header_same("1", "1x"));
    ck_assert(!traj_header_same("1", "2"));
    ck_assert(!traj_header_same("0.1", "0.10000000000000002"));
    /* overflowing spellings are strings: 1e999 and 2e999 are not one inf */
    ck_assert(!traj_header_same("1e999", "2e999"));
    ck_assert(traj_header_same("1e999", "1e999"));
    ck_assert(!traj_header_same("1", NULL));
    ck_assert(!traj_header_same(NULL, NULL));
}
END_TEST

/* Numbers: nan/inf are read (a table may hold them); a caller declares the
 * columns that must be finite and gets the file line of the first offending
 * row; overflowing spellings are never numbers. */
START_TEST(test_require_finite)
{
    char dir[64], path[256], err[SYM_ERRLEN];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/t.tsv", dir);
    write_text(path, "# a=1\nt x y z\n"        /* lines 1-2 */
                     "0 1 nan 2\n"             /* 3 */
                     "\n# late=2\n"            /* 4-5 */
                     "1 2 nan inf\n"           /* 6 */
                     "2 -inf 3 4\n"            /* 7 */
                     "nan 1 2 3\n");           /* 8 */
    traj_table t;
    ck_assert_msg(traj_read(path, &t, err) == SYM_OK, "%s", err);
    ck_assert_uint_eq(t.nrow, 4);
    const size_t want_line[] = {3, 6, 7, 8};
    for (size_t r = 0; r < 4; r++)
        ck_assert_uint_eq(t.line[r], want_line[r]);
    static const char *const cx[] = {"x"}, *const cy[] = {"y"}, *const cz[] = {"z", "x"},
                             *const ct[] = {"t"}, *const cn[] = {"x", "w"};
    err[0] = 0;
    ck_assert_int_eq(traj_table_require_finite(&t, cx, 1, path, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "t.tsv:7: x = -inf: need a finite number"), "%s", err);
    ck_assert_int_eq(traj_table_require_finite(&t, cy, 1, path, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "t.tsv:3: y = nan"), "%s", err);
    /* the first row in the file, whichever column */
    ck_assert_int_eq(traj_table_require_finite(&t, cz, 2, path, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "t.tsv:6: z = inf"), "%s", err);
    ck_assert_int_eq(traj_table_require_finite(&t, ct, 1, path, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "t.tsv:8: t = nan"), "%s", err);
    ck_assert_int_eq(traj_table_require_finite(&t, NULL, 0, path, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "t.tsv:3: y = nan"), "%s", err);
    /* a missing column is the error, whatever the others hold */
    ck_assert_int_eq(traj_table_require_finite(&t, cn, 2, path, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "t.tsv: no column w"), "%s", err);
    traj_table_free(&t);
    /* a finite table passes, a missing column does not */
    write_text(path, "t x\n0 1\n1 -2e-310\n");
    ck_assert_int_eq(traj_read(path, &t, err), SYM_OK);
    ck_assert_int_eq(traj_table_require_finite(&t, NULL, 0, path, err), SYM_OK);
    ck_assert_int_eq(traj_table_require_finite(&t, cx, 1, path, err), SYM_OK);
    ck_assert_int_eq(traj_table_require_finite(&t, cn, 2, path, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "t.tsv: no column w"), "%s", err);
    traj_table_free(&t);
    /* overflow is an unreadable number, not inf */
    expect_read_error(dir, "t x\n1 -1e999\n", SYM_EINVAL, "bad.tsv:2:", "-1e999");
    expect_read_error(dir, "t x\n1 0x1p99999\n", SYM_EINVAL, "bad.tsv:2:", "0x1p99999");
    expect_read_error(dir, "t x\n1 2\n1e309 2\n", SYM_EINVAL, "bad.tsv:3: field 1", "1e309");
    rm_tree(dir);
}
END_TEST

/* The summary getter (one copy of what threshold's result reader did) now
 * refuses nan/inf: a stored task result must be a number. */
START_TEST(test_summary_get_finite)
{
    char dir[64], path[256], err[SYM_ERRLEN];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/result.tsv", dir);
    write_text(path, "# B=100\nQ\t0.75\nS\t1e-320\nov\tnan\nR\tinf\npr\t-inf\nbig\t1e999\n"
                     "word\tbroken\nsp\t1 \nempty\t\n");
    traj_header kv;
    ck_assert_msg(traj_read_summary(path, &kv, err) == SYM_OK, "%s", err);
    double x = -1;
    ck_assert_int_eq(traj_summary_get_finite(&kv, "Q", path, &x, err), SYM_OK);
    ck_assert_double_eq(x, 0.75);
    ck_assert_int_eq(traj_summary_get_finite(&kv, "S", path, &x, err), SYM_OK);
    ck_assert(x > 0 && x < 1e-319);
    ck_assert_int_eq(traj_summary_get_finite(&kv, "B", path, &x, err), SYM_OK);
    ck_assert_double_eq(x, 100);
    const struct {
        const char *key, *want;
    } bad[] = {
        {"ov", "result.tsv: ov=nan: need a finite number"},
        {"R", "result.tsv: R=inf: need a finite number"},
        {"pr", "result.tsv: pr=-inf: need a finite number"},
        {"big", "result.tsv: big=1e999: need a finite number"},
        {"word", "result.tsv: word=broken is not a number"},
        {"sp", "result.tsv: sp=1  is not a number"},
        {"empty", "result.tsv: empty= is not a number"},
        {"nokey", "result.tsv: no key nokey"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        x = 42;
        err[0] = 0;
        ck_assert_int_eq(traj_summary_get_finite(&kv, bad[k].key, path, &x, err), SYM_EINVAL);
        ck_assert_msg(strstr(err, bad[k].want), "%s: %s", bad[k].key, err);
        ck_assert_double_eq(x, 42);   /* untouched */
    }
    traj_header_free(&kv);
    rm_tree(dir);
}
END_TEST

/* Long lines: a 2 MB column line, a 2 MB row and a 4 MB header value are
 * read in time linear in their length. */
START_TEST(test_read_long_lines)
{
    char dir[64], path[256], err[SYM_ERRLEN];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/long.tsv", dir);
    enum { NC = 1 << 20, NV = 1 << 22 };
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs("# v=", fp);
    for (int k = 0; k < NV; k++)
        fputc('a' + k % 26, fp);
    fputc('\n', fp);
    for (int k = 0; k < NC; k++)
        fputs(k ? " c" : "c", fp);
    fputc('\n', fp);
    for (int r = 0; r < 2; r++) {
        for (int k = 0; k < NC; k++)
            fprintf(fp, k ? " %d" : "%d", (k + r) % 10);
        fputc('\n', fp);
    }
    ck_assert_int_eq(fclose(fp), 0);
    clock_t c0 = clock();
    traj_table t;
    ck_assert_msg(traj_read(path, &t, err) == SYM_OK, "%s", err);
    double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    ck_assert_uint_eq(t.ncol, NC);
    ck_assert_uint_eq(t.nrow, 2);
    ck_assert_double_eq(t.x[NC + NC - 1], (NC - 1 + 1) % 10);
    ck_assert_uint_eq(strlen(traj_header_get(&t.header, "v")), NV);
    ck_assert_msg(cpu < 10.0, "long lines took %.1f s of CPU", cpu);
    traj_table_free(&t);
    rm_tree(dir);
}
END_TEST

/* File contents quoted in a message cannot break its one line (or reach a
 * terminal as an escape): control bytes become '?', long ones are cut. */
START_TEST(test_read_message_quoting)
{
    char dir[64], path[256], err[SYM_ERRLEN];
    make_tmpdir(dir, sizeof dir);
    expect_read_error(dir, "# a=x\033[31m\r\n# a=y\nt\n1\n", SYM_EINVAL,
                      "bad.tsv:2: a=y conflicts with a=x?[31m on line 1", NULL);
    expect_read_error(dir, "t x\n1 2\001\n", SYM_EINVAL, "bad.tsv:2: field 2 ('2?')", NULL);
    char line[200];
    snprintf(line, sizeof line, "t x\n1 %0100d\n", 7);
    line[6] = 'z';   /* a 100-byte token that is not a number */
    expect_read_error(dir, line, SYM_EINVAL,
                      "field 2 ('z000000000000000000000000000000000000000...')", NULL);
    snprintf(path, sizeof path, "%s/summary.tsv", dir);
    write_text(path, "k\033x\tv\033[2J\n");
    traj_header kv;
    ck_assert_msg(traj_read_summary(path, &kv, err) == SYM_OK, "%s", err);
    double x;
    ck_assert_int_eq(traj_summary_get_finite(&kv, "k\033x", path, &x, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "k?x=v?[2J is not a number"), "%s", err);
    for (const char *c = err; *c; c++)
        ck_assert_int_ge((unsigned char)*c, 0x20);
    traj_header_free(&kv);
    rm_tree(dir);
}
END_TEST


/* ---- the unwrapped centre X (SPEC.md 4) ------------------------------------ */

/* obs_unwrap recovers a walk from its centres mod N: steps up to 0.49 N
 * either way, several laps; a NAN centre gives NAN and restarts. */
START_TEST(test_unwrap_walk)
{
    const size_t N = 37;
    gsl_rng *r = rng_alloc(3, RNG_STREAM_AUX);
    double X = 5.25, prev = NAN, lo = 0, hi = 0;
    for (int s = 0; s < 5000; s++) {
        if (s)
            X += ((2 * gsl_rng_uniform(r) - 1) * 0.45 + 0.03) * (double)N;   /* |step| < 0.48 N */
        double c = fmod(X, (double)N);
        if (c < 0)
            c += (double)N;
        double u = obs_unwrap(prev, c, N);
        ck_assert_msg(fabs(u - X) < 1e-9 * fmax(1, fabs(X)), "step %d: X %.17g, unwrapped %.17g",
                      s, X, u);
        prev = u;
        lo = fmin(lo, X);
        hi = fmax(hi, X);
    }
    ck_assert_msg(hi - lo > 100.0 * N, "the walk covered %g laps only", (hi - lo) / N);
    ck_assert(isnan(obs_unwrap(12.0, NAN, N)));
    ck_assert(obs_unwrap(NAN, 3.5, N) == 3.5);             /* a restart */
    ck_assert(obs_unwrap(40.0, 3.5, N) == 40.5);           /* 3.5 + 37 */
    ck_assert(obs_unwrap(-30.0, 3.5, N) == 3.5 - 37.0);
    ck_assert(obs_unwrap(0.0, 36.5, N) == -0.5);           /* across the seam */
    gsl_rng_free(r);
}
END_TEST

/* A bump moved by 0.7 sites per snapshot through three laps: obs_compute's
 * centre (symmetric bump: exactly its position up to rounding) unwraps to
 * the distance travelled. */
START_TEST(test_unwrap_bump)
{
    const size_t N = 40;
    obs_ws *ws = obs_alloc(N);
    double w[40], X = NAN, x0 = 3.2;
    for (int s = 0; s <= 180; s++) {
        double pos = x0 + 0.7 * s;
        for (size_t i = 0; i < N; i++) {
            double d = fmod((double)i - pos, (double)N);
            d = d < -(double)N / 2 ? d + N : (d > (double)N / 2 ? d - N : d);
            w[i] = exp(-d * d / (2 * 2.5 * 2.5));
        }
        obs_values o;
        obs_compute(ws, ring_types[0], w, &o);
        ck_assert(isnan(o.X));   /* obs_compute leaves X to the writer */
        X = obs_unwrap(X, o.center, N);
        ck_assert_msg(fabs(X - pos) < 1e-6, "snapshot %d: X = %.10g, bump at %.10g", s, X, pos);
    }
    obs_free(ws);
}
END_TEST

/* The X column of a trajectory file: X = center mod N, steps at most N/2,
 * the first row of each unit X = center, NAN exactly where center is. */
static void check_X_column(const char *path)
{
    traj_table t;
    char err[SYM_ERRLEN];
    ck_assert_msg(traj_read(path, &t, err) == SYM_OK, "%s", err);
    int ix = traj_table_col(&t, "X"), ic = traj_table_col(&t, "center"),
        im = traj_table_col(&t, "mu");
    ck_assert_int_eq(ix, (int)t.ncol - 1);   /* the last column */
    ck_assert(ic >= 0 && im >= 0);
    double N = atof(traj_header_get(&t.header, "N"));
    double prev[8];
    int seen[8] = {0};
    size_t moved = 0;
    for (size_t r = 0; r < t.nrow; r++) {
        const double *x = t.x + r * t.ncol;
        size_t mu = (size_t)x[im];
        ck_assert_uint_lt(mu, 8);
        if (isnan(x[ic])) {
            ck_assert(isnan(x[ix]));
            seen[mu] = 0;
            continue;
        }
        double m = fmod(x[ix], N);
        m = m < 0 ? m + N : m;
        ck_assert_msg(fabs(m - x[ic]) < 1e-9 || fabs(fabs(m - x[ic]) - N) < 1e-9,
                      "%s row %zu: X %.17g, center %.17g", path, r, x[ix], x[ic]);
        if (!seen[mu])
            ck_assert(x[ix] == x[ic]);
        else {
            ck_assert_msg(fabs(x[ix] - prev[mu]) <= N / 2 + 1e-9, "%s row %zu: step %g", path,
                          r, x[ix] - prev[mu]);
            moved += x[ix] != x[ic];
        }
        prev[mu] = x[ix];
        seen[mu] = 1;
    }
    traj_table_free(&t);
    (void)moved;
}

START_TEST(test_X_column_runs)
{
    char dir[] = "/tmp/symrbm_trajX_XXXXXX", out[64], path[96], err[256];
    ck_assert(mkdtemp(dir) != NULL);
    snprintf(out, sizeof out, "%s/sim", dir);
    char *sim[] = {"symrbm", "sim", "--data", "ising", "--N", "24", "--beta", "1", "--B", "500",
                   "--hidden", "spin", "--M", "2", "--model-term", "pcd", "--lr", "0.05",
                   "--batch", "20", "--epochs", "4", "--init-scale", "0.5", "--out", out, NULL};
    ck_assert_msg(tutil_run(sim, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/trajectory.tsv", out);
    check_X_column(path);
    snprintf(out, sizeof out, "%s/th", dir);
    char *th[] = {"symrbm", "theory", "--data", "ising", "--N", "24", "--beta", "1", "--T", "10",
                  "--snapshots", "30", "--out", out, NULL};
    ck_assert_msg(tutil_run(th, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/trajectory.tsv", out);
    check_X_column(path);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *traj_suite(void)
{
    Suite *s = suite_create("traj");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_header_set_get);
    tcase_add_test(tc, test_put_spelling);
    tcase_add_test(tc, test_trajectory_roundtrip);
    tcase_add_test(tc, test_weights_roundtrip);
    tcase_add_test(tc, test_summary_roundtrip);
    tcase_add_test(tc, test_atomic_abort);
    tcase_add_test(tc, test_atomic_failed_close);
    tcase_add_test(tc, test_open_without_dir);
    tcase_add_test(tc, test_mkdir);
    tcase_add_test(tc, test_read_malformed);
    tcase_add_test(tc, test_read_lenient);
    tcase_add_test(tc, test_read_cut_everywhere);
    tcase_add_test(tc, test_read_nul);
    tcase_add_test(tc, test_read_repeated_keys);
    tcase_add_test(tc, test_header_same);
    tcase_add_test(tc, test_require_finite);
    tcase_add_test(tc, test_summary_get_finite);
    tcase_add_test(tc, test_read_long_lines);
    tcase_add_test(tc, test_read_message_quoting);
    tcase_add_test(tc, test_unwrap_walk);
    tcase_add_test(tc, test_unwrap_bump);
    tcase_add_test(tc, test_X_column_runs);
    suite_add_tcase(s, tc);
    return s;
}
