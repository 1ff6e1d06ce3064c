/* Suite defects: regression tests for the reliability defects of issue 7
 * (item 7) on the library side, run through the program ($SYMRBM_BIN):
 * GSL's aborting handler (exit 134 before), unchecked products of sizes
 * (heap corruption before), absurd lengths (a hang, or an overflow to zero
 * updates and exit 0), an uninitialised beta_c returned as success, and a
 * finite blow-up reported as success.  Each command must exit 2 within
 * DEFECT_SECONDS, print exactly one line on stderr that names the problem,
 * and leave no output file (nor a temporary one) behind. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/suites.h"
#include "tests/tutil.h"

/* "in seconds": the slowest case takes ~0.1 s here; 10 s leaves room for
 * a loaded machine and the sanitizer build. */
#define DEFECT_SECONDS 10.0

typedef enum { OUT_NONE, OUT_FILE, OUT_DIR } out_kind;

typedef struct {
    const char *args[12];   /* after the program name, NULL-terminated    */
    const char *needle;     /* what the one line must mention             */
    out_kind out;           /* phase: --out FILE; sim: --out DIR          */
} defect_case;

static const defect_case CASES[] = {
    /* GSL's default handler aborted (exit 134) */
    {{"phase", "--N", "3", "--beta", "15", NULL}, "lambda_0", OUT_FILE},
    {{"phase", "--N", "20", "--beta", "1e10", NULL}, "lambda_0", OUT_FILE},
    {{"phase", "--N", "20", "--beta-max", "1e300", NULL}, "beta = 1e+300", OUT_FILE},
    /* success with an uninitialised beta_c */
    {{"phase", "--N", "20", "--tol", "1e-300", "--scan", "5", NULL}, "did not reach tol", OUT_FILE},
    /* a hang */
    {{"phase", "--scan", "1e15", NULL}, "scan", OUT_FILE},
    /* products of sizes that wrapped and corrupted the heap */
    {{"sim", "--N", "256", "--B", "72057594037927936", NULL}, "B*N", OUT_DIR},
    {{"sim", "--N", "256", "--B-test", "72057594037927936", NULL}, "B_test*N", OUT_DIR},
    {{"sim", "--N", "4", "--M", "576460752303423488", "--model-term", "pcd", NULL}, "GB", OUT_DIR},
    /* absurd lengths */
    {{"sim", "--mc-steps", "1e12", NULL}, "mc_steps", OUT_DIR},
    {{"sim", "--model-term", "pcd", "--mc-steps", "1000", "--T", "1e6", NULL}, "operations", OUT_DIR},
    {{"sim", "--epochs", "288230376151711744", "--batch", "1", "--B", "64", NULL}, "overflows",
     OUT_DIR},
    /* a blow-up that stayed finite counted as success */
    {{"sim", "--lr", "1e10", "--T", "1e11", NULL}, "diverged", OUT_DIR},
    {{"sim", "--lr", "1e10", "--T", "1e11", "--batch", "100", NULL}, "diverged", OUT_DIR},
};
#define NCASES (sizeof CASES / sizeof CASES[0])

/* entries of dir besides . and .. (0 if it does not exist) */
static size_t dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

START_TEST(test_defect)
{
    const defect_case *c = &CASES[_i];
    char dir[64], out[128], err[4096], cmd[512] = "";
    snprintf(dir, sizeof dir, "/tmp/symrbm_defect_XXXXXX");
    ck_assert(mkdtemp(dir) != NULL);
    snprintf(out, sizeof out, "%s/%s", dir, c->out == OUT_FILE ? "phase.tsv" : "run");
    char *argv[20];
    size_t n = 0;
    argv[n++] = "";
    for (size_t k = 0; c->args[k]; k++) {
        argv[n++] = (char *)c->args[k];
        strncat(cmd, c->args[k], sizeof cmd - strlen(cmd) - 2);
        strcat(cmd, " ");
    }
    if (c->out != OUT_NONE) {
        argv[n++] = "--out";
        argv[n++] = out;
    }
    argv[n] = NULL;

    double t0 = now();
    int rc = tutil_run(argv, err, sizeof err);
    double dt = now() - t0;
    ck_assert_msg(rc == 2, "%s: exit %d, expected 2 (stderr: %s)", cmd, rc, err);
    ck_assert_msg(dt < DEFECT_SECONDS, "%s: took %.1f s", cmd, dt);
    size_t len = strlen(err);
    ck_assert_msg(tutil_lines(err) == 1 && len > 0 && err[len - 1] == '\n',
                  "%s: want exactly one line on stderr, got '%s'", cmd, err);
    ck_assert_msg(strstr(err, c->needle) != NULL, "%s: '%s' does not name '%s'", cmd, err,
                  c->needle);
    /* nothing written: no table, no run directory contents, no temporaries */
    if (c->out == OUT_FILE)
        ck_assert_msg(access(out, F_OK) != 0, "%s left %s", cmd, out);
    if (c->out == OUT_DIR)
        ck_assert_msg(dir_entries(out) == 0, "%s left files in %s", cmd, out);
    ck_assert_msg(!tutil_has_temp(dir), "%s left a temporary file in %s", cmd, dir);
    rmdir(out);
    rmdir(dir);
}
END_TEST

Suite *defects_suite(void)
{
    Suite *s = suite_create("defects");
    TCase *tc = tcase_create("issue7");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_defect, 0, (int)NCASES);
    suite_add_tcase(s, tc);
    return s;
}
