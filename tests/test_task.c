/* Suite task: the sweep task engine (core/task.h): results stored and
 * reloaded, a rerun runs nothing, other parameters refused, a failing or
 * dying worker named, workers die with their parent, non-finite values
 * refused. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/task.h"
#include "tests/suites.h"

typedef struct {
    double p;          /* a parameter recorded in every result */
    long fail_at;      /* task that returns an error, or -1     */
    long exit_at;      /* task whose worker exits at once       */
    long hang_at;      /* task that writes its pid and sleeps   */
    const char *pidfile;
} toy;

static int toy_name(void *ctx, size_t t, char *buf, size_t cap)
{
    (void)ctx;
    return snprintf(buf, cap, "t%zu", t) >= (int)cap;
}

static int toy_params(void *ctx, size_t t, traj_header *h)
{
    const toy *c = ctx;
    return traj_header_set(h, "p", "%.17g", c->p) || traj_header_set(h, "task", "%zu", t);
}

static int toy_run(void *ctx, size_t t, const char *dir, traj_header *res, char *err)
{
    const toy *c = ctx;
    (void)dir;
    if ((long)t == c->fail_at)
        return sym_error(err, SYM_ENUM, "toy failure %zu", t);
    if ((long)t == c->exit_at)
        _exit(7);
    if ((long)t == c->hang_at) {
        FILE *fp = fopen(c->pidfile, "w");
        fprintf(fp, "%ld\n", (long)getpid());
        fclose(fp);
        sleep(60);
    }
    return traj_header_set(res, "x", "%.17g", (double)t * (double)t + c->p);
}

static char *tmpdir(void)
{
    static char d[64];
    strcpy(d, "/tmp/symrbm_taskXXXXXX");
    ck_assert(mkdtemp(d) != NULL);
    return d;
}

START_TEST(test_run_resume_mismatch)
{
    char *dir = tmpdir(), err[SYM_ERRLEN];
    toy c = {0.25, -1, -1, -1, NULL};
    task_set ts = {5, &c, toy_name, toy_params, toy_run};
    task_opts o = {2, 0, "toy"};
    size_t nrun = 99;
    ck_assert_int_eq(task_run_all(dir, &ts, &o, &nrun, err), SYM_OK);
    ck_assert_uint_eq(nrun, 5);
    for (size_t t = 0; t < 5; t++) {
        traj_header r;
        traj_header_init(&r);
        int have = 0;
        double x;
        ck_assert_int_eq(task_load(dir, &ts, t, &r, &have, err), SYM_OK);
        ck_assert(have);
        ck_assert_int_eq(task_value(&r, "x", &x, err), SYM_OK);
        ck_assert(x == (double)(t * t) + 0.25);
        traj_header_free(&r);
    }
    /* rerun: nothing left to do */
    ck_assert_int_eq(task_run_all(dir, &ts, &o, &nrun, err), SYM_OK);
    ck_assert_uint_eq(nrun, 0);
    /* other parameters: refused, naming the key and both values */
    c.p = 0.5;
    ck_assert_int_eq(task_run_all(dir, &ts, &o, &nrun, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "mismatch") && strstr(err, "p=0.25") && strstr(err, "0.5 now"),
                  "%s", err);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_failures_named)
{
    char *dir = tmpdir(), err[SYM_ERRLEN];
    toy c = {1, 2, -1, -1, NULL};
    task_set ts = {4, &c, toy_name, toy_params, toy_run};
    task_opts o = {1, 0, "toy"};
    size_t nrun;
    ck_assert_int_eq(task_run_all(dir, &ts, &o, &nrun, err), SYM_ENUM);
    ck_assert_msg(strstr(err, "task t2: toy failure 2") != NULL, "%s", err);
    c.fail_at = -1;
    c.exit_at = 3;
    ck_assert_int_eq(task_run_all(dir, &ts, &o, &nrun, err), SYM_ENUM);
    ck_assert_msg(strstr(err, "task t3") && strstr(err, "status 7"), "%s", err);
    /* the tasks that finished are kept: only t3 is left */
    c.exit_at = -1;
    ck_assert_int_eq(task_run_all(dir, &ts, &o, &nrun, err), SYM_OK);
    ck_assert_uint_eq(nrun, 1);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_value_finite)
{
    traj_header r;
    traj_header_init(&r);
    char err[SYM_ERRLEN];
    double x;
    traj_header_set(&r, "a", "nan");
    traj_header_set(&r, "b", "inf");
    traj_header_set(&r, "c", "1.5");
    traj_header_set(&r, "d", "1.5x");
    ck_assert_int_eq(task_value(&r, "a", &x, err), SYM_EINVAL);
    ck_assert_int_eq(task_value(&r, "b", &x, err), SYM_EINVAL);
    ck_assert_int_eq(task_value(&r, "d", &x, err), SYM_EINVAL);
    ck_assert_int_eq(task_value(&r, "e", &x, err), SYM_EINVAL);
    ck_assert_int_eq(task_value(&r, "c", &x, err), SYM_OK);
    ck_assert(x == 1.5);
    traj_header_free(&r);
}
END_TEST

/* Running, not a zombie waiting for a (possibly absent) reaper. */
static int running(long pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = 0;
    const char *rp = strrchr(buf, ')');
    return rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
}

/* A sweep killed by SIGKILL takes its workers with it. */
START_TEST(test_workers_die_with_parent)
{
    char *dir = tmpdir(), pidfile[128], err[SYM_ERRLEN];
    snprintf(pidfile, sizeof pidfile, "%s/worker.pid", dir);
    pid_t sweep = fork();
    if (sweep == 0) {
        toy c = {1, -1, -1, 0, pidfile};
        task_set ts = {1, &c, toy_name, toy_params, toy_run};
        task_opts o = {1, 0, "toy"};
        size_t nrun;
        task_run_all(dir, &ts, &o, &nrun, err);
        _exit(0);
    }
    long wpid = 0;
    for (int k = 0; k < 200 && !wpid; k++) {
        FILE *fp = fopen(pidfile, "r");
        if (fp) {
            if (fscanf(fp, "%ld", &wpid) != 1)
                wpid = 0;
            fclose(fp);
        }
        if (!wpid)
            usleep(50000);
    }
    ck_assert_msg(wpid > 0, "worker never started");
    kill(sweep, SIGKILL);
    waitpid(sweep, NULL, 0);
    int alive = 1;
    for (int k = 0; k < 100 && alive; k++) {
        alive = running(wpid);
        if (alive)
            usleep(20000);
    }
    ck_assert_msg(!alive, "worker %ld still running after its parent was killed", wpid);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *task_suite(void)
{
    Suite *s = suite_create("task");
    TCase *tc = tcase_create("engine");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_run_resume_mismatch);
    tcase_add_test(tc, test_failures_named);
    tcase_add_test(tc, test_value_finite);
    tcase_add_test(tc, test_workers_die_with_parent);
    suite_add_tcase(s, tc);
    return s;
}
