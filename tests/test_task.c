/* Suite task: the sweep task engine (core/task.h): results stored and
 * reloaded, a rerun runs nothing, other parameters refused, a failing or
 * dying worker named, workers die with their parent, non-finite values
 * refused; the batch-scheduler interface (--list-tasks, --task: the same
 * results as a whole sweep, concurrent task processes on one store, each
 * task run once, the directory locks) and the MPI dispatch logic
 * (task_sched) as pure functions. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/sys.h"
#include "core/task.h"
#include "tests/suites.h"

typedef struct {
    double p;          /* a parameter recorded in every result */
    long fail_at;      /* task that returns an error, or -1     */
    long exit_at;      /* task whose worker exits at once       */
    long hang_at;      /* task that writes its pid and sleeps   */
    const char *pidfile;
    const char *runlog;  /* each run and prepare appends a line here      */
    unsigned sleep_ms;   /* every run takes this long                     */
} toy;

/* One line "WHAT\n" appended at once (O_APPEND: lines of concurrent
 * processes do not mix). */
static void log_line(const char *path, const char *what)
{
    if (!path)
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    ck_assert(fd >= 0);
    char line[64];
    int n = snprintf(line, sizeof line, "%s\n", what);
    ck_assert(write(fd, line, (size_t)n) == n);
    close(fd);
}

static int toy_prepare(void *ctx, const char *dir, char *err)
{
    const toy *c = ctx;
    (void)dir;
    (void)err;
    log_line(c->runlog, "prepare");
    return SYM_OK;
}

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
    if (c->sleep_ms) {
        struct timespec d = {c->sleep_ms / 1000, (long)(c->sleep_ms % 1000) * 1000000L};
        nanosleep(&d, NULL);
    }
    char what[32];
    snprintf(what, sizeof what, "run t%zu", t);
    log_line(c->runlog, what);
    return traj_header_set(res, "x", "%.17g", (double)t * (double)t + c->p);
}

/* Lines of path equal to line. */
static int count_lines(const char *path, const char *line)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 0;
    char buf[128];
    int n = 0;
    while (fgets(buf, sizeof buf, fp)) {
        buf[strcspn(buf, "\n")] = 0;
        n += strcmp(buf, line) == 0;
    }
    fclose(fp);
    return n;
}

/* The stored x of task t, NAN when none. */
static double stored_x(const char *dir, const task_set *ts, size_t t)
{
    traj_header r;
    traj_header_init(&r);
    int have = 0;
    double x = NAN;
    char err[SYM_ERRLEN];
    if (task_load(dir, ts, t, &r, &have, err) == SYM_OK && have &&
        task_value(&r, "x", &x, err) != SYM_OK)
        x = NAN;
    traj_header_free(&r);
    return x;
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
    toy c = {0.25, -1, -1, -1, NULL, NULL, 0};
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
    toy c = {1, 2, -1, -1, NULL, NULL, 0};
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
        toy c = {1, -1, -1, 0, pidfile, NULL, 0};
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

/* --list-tasks: every name once, in order, and nothing created. */
START_TEST(test_list_tasks)
{
    char *dir = tmpdir(), sub[128], err[SYM_ERRLEN];
    snprintf(sub, sizeof sub, "%s/none", dir);
    toy c = {1, -1, -1, -1, NULL, NULL, 0};
    task_set ts = {4, &c, toy_name, toy_params, toy_run};
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    task_opts o = {1, 0, "toy"};
    task_mode m = {{1, NULL, 0}, toy_prepare, fp};
    int fd, collect = 7;
    size_t nrun = 9;
    ck_assert_int_eq(task_open(sub, &m.sel, &fd, err), SYM_OK);
    ck_assert_int_eq(fd, -1);
    ck_assert_int_eq(task_sweep(sub, &ts, &o, &m, &nrun, &collect, err), SYM_OK);
    fclose(fp);
    ck_assert_str_eq(buf, "t0\nt1\nt2\nt3\n");
    ck_assert_int_eq(collect, 0);
    ck_assert_uint_eq(nrun, 0);
    ck_assert_int_ne(access(sub, F_OK), 0);
    free(buf);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* --task ID runs that task alone (prepare first), a rerun of it nothing, an
 * unknown id is refused; a whole sweep afterwards runs only the rest and
 * the store equals that of a whole sweep from scratch (x = t^2 + p). */
START_TEST(test_task_one_then_collect)
{
    char dir[64], err[SYM_ERRLEN], log[128];
    /* a copy: tmpdir's buffer is reused for the reference directory */
    snprintf(dir, sizeof dir, "%s", tmpdir());
    snprintf(log, sizeof log, "%s/log", dir);
    toy c = {0.5, -1, -1, -1, NULL, log, 0};
    task_set ts = {5, &c, toy_name, toy_params, toy_run};
    task_opts o = {2, 0, "toy"};
    task_mode m = {{0, "t3", 0}, toy_prepare, NULL};
    int fd, collect = 7;
    size_t nrun = 9;
    ck_assert_int_eq(task_open(dir, &m.sel, &fd, err), SYM_OK);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(task_sweep(dir, &ts, &o, &m, &nrun, &collect, err), SYM_OK);
    ck_assert_uint_eq(nrun, 1);
    ck_assert_int_eq(collect, 0);
    for (size_t t = 0; t < 5; t++)
        ck_assert_msg(t == 3 ? stored_x(dir, &ts, t) == 9.5 : isnan(stored_x(dir, &ts, t)),
                      "task %zu", t);
    ck_assert_int_eq(count_lines(log, "prepare"), 1);
    ck_assert_int_eq(count_lines(log, "run t3"), 1);
    /* again: stored, nothing runs (not even prepare) */
    ck_assert_int_eq(task_sweep(dir, &ts, &o, &m, &nrun, &collect, err), SYM_OK);
    ck_assert_uint_eq(nrun, 0);
    ck_assert_int_eq(count_lines(log, "prepare"), 1);
    /* no task lock left behind */
    char lk[160];
    snprintf(lk, sizeof lk, "%s/tasks/t3/.task.lock", dir);
    ck_assert_int_ne(access(lk, F_OK), 0);
    m.sel.task = "t9";
    ck_assert_int_eq(task_sweep(dir, &ts, &o, &m, &nrun, &collect, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "t9") != NULL, "%s", err);
    /* other parameters: refused for the one task too */
    c.p = 1;
    m.sel.task = "t3";
    ck_assert_int_eq(task_sweep(dir, &ts, &o, &m, &nrun, &collect, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "mismatch") != NULL, "%s", err);
    c.p = 0.5;
    sys_unlock(fd);
    /* the collecting run: the four others */
    m.sel.task = NULL;
    ck_assert_int_eq(task_open(dir, &m.sel, &fd, err), SYM_OK);
    ck_assert_int_eq(task_sweep(dir, &ts, &o, &m, &nrun, &collect, err), SYM_OK);
    sys_unlock(fd);
    ck_assert_uint_eq(nrun, 4);
    ck_assert_int_eq(collect, 1);
    for (size_t t = 0; t < 5; t++) {
        char what[16];
        snprintf(what, sizeof what, "run t%zu", t);
        ck_assert_int_eq(count_lines(log, what), 1);
    }
    /* the same store as one whole sweep */
    char refdir[64];
    snprintf(refdir, sizeof refdir, "%s", tmpdir());
    ck_assert_str_ne(refdir, dir);
    c.runlog = NULL;
    ck_assert_int_eq(task_run_all(refdir, &ts, &o, &nrun, err), SYM_OK);
    for (size_t t = 0; t < 5; t++) {
        ck_assert(stored_x(dir, &ts, t) == stored_x(refdir, &ts, t));
        ck_assert(stored_x(refdir, &ts, t) == (double)(t * t) + 0.5);
    }
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", dir, refdir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Six --task processes at once on one store, two on each of three tasks:
 * all succeed, every task runs exactly once (the second process on a task
 * waits and finds the result), a whole sweep is refused while they run and
 * allowed after, and no lock file is left. */
START_TEST(test_concurrent_tasks)
{
    char *dir = tmpdir(), err[SYM_ERRLEN], log[128];
    snprintf(log, sizeof log, "%s/log", dir);
    toy c = {2, -1, -1, -1, NULL, log, 500};
    task_set ts = {3, &c, toy_name, toy_params, toy_run};
    pid_t pid[6];
    for (int k = 0; k < 6; k++) {
        pid[k] = fork();
        ck_assert(pid[k] >= 0);
        if (pid[k] == 0) {
            char name[8], e[SYM_ERRLEN];
            snprintf(name, sizeof name, "t%d", k % 3);
            task_opts o = {1, 0, "toy"};
            task_mode m = {{0, name, 0}, toy_prepare, NULL};
            int fd, collect;
            size_t nrun;
            int st = task_open(dir, &m.sel, &fd, e);
            st = st ? st : task_sweep(dir, &ts, &o, &m, &nrun, &collect, e);
            if (st)
                fprintf(stderr, "task process %d: %s\n", k, e);
            _exit(st ? 1 : 0);
        }
    }
    /* while they run (each task takes 500 ms; "prepare" is logged under
     * both locks, just before the first run): the whole sweep's lock fails */
    for (int k = 0; k < 1000 && count_lines(log, "prepare") == 0; k++)
        usleep(10000);
    ck_assert_int_gt(count_lines(log, "prepare"), 0);
    int fd;
    ck_assert_int_eq(sys_lock(dir, &fd, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "--task runs") != NULL, "%s", err);
    for (int k = 0; k < 6; k++) {
        int status;
        ck_assert_int_eq(waitpid(pid[k], &status, 0), pid[k]);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "process %d", k);
    }
    for (size_t t = 0; t < 3; t++) {
        char what[16], lk[160];
        snprintf(what, sizeof what, "run t%zu", t);
        ck_assert_int_eq(count_lines(log, what), 1);
        ck_assert(stored_x(dir, &ts, t) == (double)(t * t) + 2);
        snprintf(lk, sizeof lk, "%s/tasks/t%zu/.task.lock", dir, t);
        ck_assert_int_ne(access(lk, F_OK), 0);
    }
    /* prepared once per process that ran a task, never by one that found
     * the result */
    ck_assert_int_eq(count_lines(log, "prepare"), 3);
    ck_assert_int_eq(sys_lock(dir, &fd, err), SYM_OK);
    /* and a --task process is refused while a whole sweep holds it */
    int fd2;
    ck_assert_int_eq(sys_lock_shared(dir, &fd2, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "in use by another symrbm run (pid") != NULL, "%s", err);
    sys_unlock(fd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* sys_lock_file: one holder at a time, also when the holder removes the
 * file on release (the waiter must not keep a lock on the removed file
 * while a newcomer locks the new one). */
START_TEST(test_lock_file_exclusive)
{
    char *dir = tmpdir(), path[128], log[128];
    snprintf(path, sizeof path, "%s/x.lock", dir);
    snprintf(log, sizeof log, "%s/log", dir);
    pid_t pid[5];
    for (int k = 0; k < 5; k++) {
        pid[k] = fork();
        ck_assert(pid[k] >= 0);
        if (pid[k] == 0) {
            char e[SYM_ERRLEN];
            for (int r = 0; r < 10; r++) {
                int fd;
                if (sys_lock_file(path, &fd, e))
                    _exit(1);
                /* "in" then "out" while holding it: interleaved holders
                 * would show as two "in" in a row */
                log_line(log, "in");
                usleep(2000);
                log_line(log, "out");
                sys_unlock_file(path, fd);
            }
            _exit(0);
        }
    }
    for (int k = 0; k < 5; k++) {
        int status;
        ck_assert_int_eq(waitpid(pid[k], &status, 0), pid[k]);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    FILE *fp = fopen(log, "r");
    ck_assert(fp != NULL);
    char buf[16];
    int n = 0, in = 0;
    while (fgets(buf, sizeof buf, fp)) {
        int is_in = strcmp(buf, "in\n") == 0;
        ck_assert_msg(is_in != in, "line %d: two holders at once", n);
        in = is_in;
        n++;
    }
    fclose(fp);
    ck_assert_int_eq(n, 100);
    ck_assert_int_ne(access(path, F_OK), 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* The MPI dispatch logic: workers asking in a random order get every task
 * once and in order, each is told to stop once, and the sweep is over
 * exactly when all were; after a failure nothing more is handed out. */
START_TEST(test_sched)
{
    unsigned seed = 12345;
    for (int trial = 0; trial < 200; trial++) {
        size_t ntodo = (size_t)(rand_r(&seed) % 20), nw = 1 + (size_t)(rand_r(&seed) % 5);
        long fail = trial % 3 == 0 && ntodo ? (long)(rand_r(&seed) % ntodo) : -1;
        task_sched s;
        task_sched_init(&s, ntodo, nw);
        long held[5];
        int stopped[5] = {0}, given[20] = {0};
        for (size_t w = 0; w < nw; w++)
            held[w] = -2; /* not yet asked */
        long expect = 0, after_fail = 0;
        int failed = 0;
        while (!task_sched_over(&s)) {
            size_t w = (size_t)(rand_r(&seed) % nw);
            if (stopped[w])
                continue;
            int had = held[w] >= 0, ok = !(had && held[w] == fail);
            failed |= !ok;
            long k = task_sched_next(&s, had, ok);
            if (k >= 0) {
                ck_assert_int_eq(k, expect++);
                ck_assert(!given[k]);
                given[k] = 1;
                after_fail += failed;
                held[w] = k;
            } else {
                stopped[w] = 1;
                held[w] = -1;
            }
        }
        ck_assert_int_eq(after_fail, 0);
        for (size_t w = 0; w < nw; w++)
            ck_assert(stopped[w]);
        if (fail < 0)
            for (size_t k = 0; k < ntodo; k++)
                ck_assert_msg(given[k], "trial %d: task %zu never handed out", trial, k);
        ck_assert_uint_eq(s.stopped, nw);
    }
}
END_TEST

/* The plain build: MPI refused with a message, one rank. */
START_TEST(test_mpi_absent)
{
    int rank = 5, size = 5;
    task_mpi_world(&rank, &size);
    ck_assert_int_eq(rank, 0);
    ck_assert_int_eq(size, 1);
    if (task_mpi_available())
        return;
    char err[SYM_ERRLEN];
    ck_assert_int_eq(task_mpi_init(err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "without MPI") != NULL, "%s", err);
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
    tcase_add_test(tc, test_list_tasks);
    tcase_add_test(tc, test_task_one_then_collect);
    tcase_add_test(tc, test_concurrent_tasks);
    tcase_add_test(tc, test_lock_file_exclusive);
    tcase_add_test(tc, test_sched);
    tcase_add_test(tc, test_mpi_absent);
    suite_add_tcase(s, tc);
    return s;
}
