/* Suite run: the standard header and a run's files written as one set. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/run.h"
#include "tests/suites.h"
#include "tests/tutil.h"

START_TEST(test_header)
{
    traj_header h;
    traj_header_init(&h);
    char *argv[] = {"sim", "--N", "10", NULL};
    ck_assert_int_eq(run_header(&h, "sim", 3, argv), SYM_OK);
    ck_assert_str_eq(traj_header_get(&h, "program"), "symrbm");
    ck_assert_str_eq(traj_header_get(&h, "command"), "sim");
    ck_assert_str_eq(traj_header_get(&h, "argv"), "symrbm sim --N 10");
    ck_assert(traj_header_get(&h, "run") == NULL);
    ck_assert_int_eq(run_stamp(&h), SYM_OK);
    const char *id = traj_header_get(&h, "run");
    ck_assert(id != NULL);
    /* two runs get different ids */
    traj_header h2;
    traj_header_init(&h2);
    usleep(1000);
    ck_assert_int_eq(run_header(&h2, "sim", 0, NULL), SYM_OK);
    ck_assert_int_eq(run_stamp(&h2), SYM_OK);
    ck_assert_str_ne(traj_header_get(&h2, "run"), id);
    ck_assert_str_eq(traj_header_get(&h2, "argv"), "(in-process)");
    /* a key set again keeps one line */
    traj_header_set(&h, "N", "10");
    traj_header_set(&h, "N", "10");
    size_t count = 0;
    for (size_t k = 0; k < h.n; k++)
        count += !strcmp(h.key[k], "N");
    ck_assert_uint_eq(count, 1);
    traj_header_free(&h);
    traj_header_free(&h2);
}
END_TEST

static void write_set(const char *dir, const char *text, int fail)
{
    run_files rf;
    char err[SYM_ERRLEN];
    FILE *a, *b;
    ck_assert_int_eq(run_files_init(&rf, dir, err), SYM_OK);
    ck_assert_int_eq(run_files_open(&rf, "a.tsv", NULL, &a, err), SYM_OK);
    fprintf(a, "%s\n", text);
    ck_assert_int_eq(run_files_open(&rf, "b.tsv", NULL, &b, err), SYM_OK);
    fprintf(b, "%s\n", text);
    if (fail) {
        run_files_abort(&rf);
        return;
    }
    ck_assert_int_eq(run_files_commit(&rf, err), SYM_OK);
}

START_TEST(test_files_one_set)
{
    char dir[] = "/tmp/symrbm_runXXXXXX", p[128];
    ck_assert(mkdtemp(dir) != NULL);
    write_set(dir, "first", 0);
    /* a failed second run leaves the first run's files, both, untouched */
    write_set(dir, "second", 1);
    for (int k = 0; k < 2; k++) {
        snprintf(p, sizeof p, "%s/%s", dir, k ? "b.tsv" : "a.tsv");
        size_t len;
        char *s = tutil_slurp(p, &len);
        ck_assert(s && !strcmp(s, "first\n"));
        free(s);
    }
    ck_assert(!tutil_has_temp(dir));
    write_set(dir, "third", 0);
    snprintf(p, sizeof p, "%s/b.tsv", dir);
    size_t len;
    char *s = tutil_slurp(p, &len);
    ck_assert(s && !strcmp(s, "third\n"));
    free(s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *run_suite(void)
{
    Suite *s = suite_create("run");
    TCase *tc = tcase_create("files");
    tcase_add_test(tc, test_header);
    tcase_add_test(tc, test_files_one_set);
    suite_add_tcase(s, tc);
    return s;
}
