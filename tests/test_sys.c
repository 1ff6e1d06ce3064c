/* Suite sys: path join, same value, mean/sd, the directory lock, temp cleanup. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/err.h"
#include "core/sys.h"
#include "tests/suites.h"

START_TEST(test_path)
{
    char p[16], err[SYM_ERRLEN];
    ck_assert_int_eq(sys_path(p, sizeof p, "a/b", "c.tsv", err), SYM_OK);
    ck_assert_str_eq(p, "a/b/c.tsv");
    ck_assert_int_eq(sys_path(p, sizeof p, "", "c.tsv", err), SYM_OK);
    ck_assert_str_eq(p, "c.tsv");
    ck_assert_int_eq(sys_path(p, sizeof p, NULL, "c.tsv", err), SYM_OK);
    /* 15 characters fit in 16 bytes, 16 do not: never a silent truncation */
    ck_assert_int_eq(sys_path(p, sizeof p, "abcdefghij", "klmn", err), SYM_OK);
    ck_assert_int_eq(sys_path(p, sizeof p, "abcdefghij", "klmno", err), SYM_EINVAL);
    ck_assert(strstr(err, "longer than 15") != NULL);
}
END_TEST

START_TEST(test_mean_sd)
{
    /* 1..5: mean 3, sample variance 2.5 */
    double x[] = {1, NAN, 2, NAN, 3, NAN, 4, NAN, 5, NAN}, m, s;
    sys_mean_sd(x, 5, 2, &m, &s);
    ck_assert_double_eq_tol(m, 3.0, 1e-15);
    ck_assert_double_eq_tol(s, sqrt(2.5), 1e-15);
    sys_mean_sd(x + 1, 5, 2, &m, &s);   /* all NaN */
    ck_assert(isnan(m) && isnan(s));
    sys_mean_sd(x, 1, 1, &m, &s);
    ck_assert(m == 1.0 && isnan(s));
    sys_mean_sd(x, 4, 1, &m, &s);       /* 1, NaN, 2, NaN: NaN skipped */
    ck_assert_double_eq_tol(m, 1.5, 1e-15);
    ck_assert_double_eq_tol(s, sqrt(0.5), 1e-15);
}
END_TEST

START_TEST(test_lock)
{
    char dir[] = "/tmp/symrbm_lockXXXXXX", err[SYM_ERRLEN];
    ck_assert(mkdtemp(dir) != NULL);
    int fd = -1;
    ck_assert_int_eq(sys_lock(dir, &fd, err), SYM_OK);
    /* another process cannot take it, and says who holds it */
    pid_t pid = fork();
    if (pid == 0) {
        int f2 = -1;
        char e2[SYM_ERRLEN];
        int st = sys_lock(dir, &f2, e2);
        char want[64];
        snprintf(want, sizeof want, "(pid %ld)", (long)getppid());
        _exit(st == SYM_EINVAL && strstr(e2, "in use by another") && strstr(e2, want) ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    sys_unlock(fd);
    /* released: it can be taken again */
    pid = fork();
    if (pid == 0) {
        int f2 = -1;
        char e2[SYM_ERRLEN];
        _exit(sys_lock(dir, &f2, e2) == SYM_OK ? 0 : 1);
    }
    waitpid(pid, &status, 0);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char p[256];
    snprintf(p, sizeof p, "%s/symrbm.lock", dir);
    unlink(p);
    rmdir(dir);
}
END_TEST

START_TEST(test_clean_temps)
{
    char dir[] = "/tmp/symrbm_tmpXXXXXX", p[256];
    ck_assert(mkdtemp(dir) != NULL);
    const char *names[] = {".summary.tsv.tmp.123.abcdef", "summary.tsv", ".lock"};
    for (size_t k = 0; k < 3; k++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[k]);
        FILE *fp = fopen(p, "w");
        ck_assert(fp != NULL);
        fclose(fp);
    }
    sys_clean_temps(dir);
    snprintf(p, sizeof p, "%s/%s", dir, names[0]);
    ck_assert(access(p, F_OK) != 0);
    for (size_t k = 1; k < 3; k++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[k]);
        ck_assert(access(p, F_OK) == 0);
        unlink(p);
    }
    rmdir(dir);
}
END_TEST

Suite *sys_suite(void)
{
    Suite *s = suite_create("sys");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_path);
    tcase_add_test(tc, test_mean_sd);
    tcase_add_test(tc, test_lock);
    tcase_add_test(tc, test_clean_temps);
    suite_add_tcase(s, tc);
    return s;
}
