/* task: the sweep task engine (core/task.h, SPEC.md 10). */
#include "core/task.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/err.h"
#include "core/run.h"
#include "core/sys.h"

static int task_dir(const char *dir, const task_set *ts, size_t t, char *path, size_t cap,
                    char *err)
{
    char name[256], rel[300];
    int st = ts->name(ts->ctx, t, name, sizeof name);
    if (st)
        return sym_error(err, SYM_EINVAL, "task %zu: no name", t);
    snprintf(rel, sizeof rel, "tasks/%s", name);
    return sys_path(path, cap, dir, rel, err);
}

int task_value(const traj_header *res, const char *key, double *x, char *err)
{
    const char *s = traj_header_get(res, key);
    if (!s)
        return sym_error(err, SYM_EINVAL, "no key %s", key);
    char *end;
    *x = strtod(s, &end);
    if (end == s || *end || !isfinite(*x))
        return sym_error(err, SYM_EINVAL, "%s=%s is not a finite number", key, s);
    return SYM_OK;
}

int task_load(const char *dir, const task_set *ts, size_t t, traj_header *res, int *have,
              char *err)
{
    char tdir[SYS_PATH], path[SYS_PATH];
    *have = 0;
    int st = task_dir(dir, ts, t, tdir, sizeof tdir, err);
    st = st ? st : sys_path(path, sizeof path, tdir, "result.tsv", err);
    if (st)
        return st;
    if (access(path, F_OK) != 0)
        return SYM_OK;
    traj_header want;
    traj_header_init(&want);
    if ((st = traj_read_summary(path, res, err)))
        goto done;
    if (ts->params(ts->ctx, t, &want)) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < want.n && !st; k++) {
        const char *w = want.val[k], *h = traj_header_get(res, want.key[k]);
        if (!traj_header_same(w, h))
            st = sym_error(err, SYM_EINVAL,
                           "%s: parameter mismatch, %s=%s there but %s now (use another --out or "
                           "remove it)",
                           path, want.key[k], h ? h : "(missing)", w);
    }
    if (!st)
        *have = 1;
done:
    traj_header_free(&want);
    if (st) {
        traj_header_free(res);
        traj_header_init(res);
    }
    return st;
}

int task_run_one(const char *dir, const task_set *ts, size_t t, char *err)
{
    char tdir[SYS_PATH];
    int st = task_dir(dir, ts, t, tdir, sizeof tdir, err);
    st = st ? st : traj_mkdir(tdir, err);
    if (st)
        return st;
    traj_header h, res;
    traj_header_init(&h);
    traj_header_init(&res);
    double t0 = sys_now();
    if (run_header(&h, "task", 0, NULL) || ts->params(ts->ctx, t, &h)) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = ts->run(ts->ctx, t, tdir, &res, err)))
        goto done;
    traj_file f;
    if ((st = traj_open(&f, tdir, "result.tsv", &h, err)))
        goto done;
    for (size_t k = 0; k < res.n; k++)
        traj_summary_str(f.fp, res.key[k], res.val[k]);
    traj_summary_num(f.fp, "wall_s", sys_now() - t0);
    st = traj_close(&f, err);
done:
    traj_header_free(&h);
    traj_header_free(&res);
    return st;
}

typedef struct {
    pid_t pid;
    int fd;
    size_t task;
} worker;

/* The lock file of one task for --task processes (sys_lock_file): not a
 * name sys_clean_temps removes, since a process cleans its task's
 * directory while it holds the lock. */
#define TASK_LOCK ".task.lock"

/* The tasks of ts without a stored result into todo (room for ntasks),
 * after checking every stored one: a mismatch stops the sweep before
 * anything runs instead of mixing two parameter sets.  Under the whole
 * directory's lock, so the leftovers of killed runs (temporary files, lock
 * files of killed --task processes) are removed. */
static int task_todo(const char *dir, const task_set *ts, size_t *todo, size_t *ntodo, char *err)
{
    char tdir[SYS_PATH];
    int st = sys_path(tdir, sizeof tdir, dir, "tasks", err);
    st = st ? st : traj_mkdir(tdir, err);
    if (st)
        return st;
    *ntodo = 0;
    sys_clean_temps(dir);
    for (size_t t = 0; t < ts->ntasks && !st; t++) {
        traj_header res;
        traj_header_init(&res);
        int have;
        char p[SYS_PATH], lk[SYS_PATH];
        st = task_load(dir, ts, t, &res, &have, err);
        traj_header_free(&res);
        if (!st && !have)
            todo[(*ntodo)++] = t;
        if (!st && task_dir(dir, ts, t, p, sizeof p, err) == SYM_OK) {
            sys_clean_temps(p);
            if (sys_path(lk, sizeof lk, p, TASK_LOCK, err) == SYM_OK)
                unlink(lk);
        }
    }
    return st;
}

int task_run_all(const char *dir, const task_set *ts, const task_opts *o, size_t *nrun, char *err)
{
    *nrun = 0;
    size_t *todo = malloc((ts->ntasks ? ts->ntasks : 1) * sizeof *todo), ntodo = 0;
    worker *wk = calloc(o->jobs ? o->jobs : 1, sizeof *wk);
    if (!todo || !wk) {
        free(todo);
        free(wk);
        return sym_error(err, SYM_ENOMEM, "out of memory for %zu tasks", ts->ntasks);
    }
    int st = task_todo(dir, ts, todo, &ntodo, err);
    pid_t parent = getpid();
    size_t next = 0, running = 0, done = 0;
    while ((next < ntodo && st == SYM_OK) || running > 0) {
        while (running < o->jobs && next < ntodo && st == SYM_OK) {
            size_t t = todo[next];
            int pfd[2];
            if (pipe(pfd)) {
                st = sym_error(err, SYM_EIO, "pipe: %s", strerror(errno));
                break;
            }
            fflush(NULL);
            pid_t pid = fork();
            if (pid < 0) {
                close(pfd[0]);
                close(pfd[1]);
                st = sym_error(err, SYM_EIO, "fork: %s", strerror(errno));
                break;
            }
            if (pid == 0) {
                /* a worker dies with its parent: killing the sweep stops it */
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                    _exit(3);
                close(pfd[0]);
                char e[SYM_ERRLEN] = "";
                int r = task_run_one(dir, ts, t, e);
                if (r) {
                    /* < PIPE_BUF: one atomic write the parent reads after exit */
                    size_t len = strlen(e);
                    if (write(pfd[1], e, len) < 0)
                        r = SYM_EIO;
                }
                close(pfd[1]);
                _exit(r ? 2 : 0);
            }
            close(pfd[1]);
            size_t k = 0;
            while (wk[k].pid)
                k++;
            wk[k] = (worker){pid, pfd[0], t};
            running++;
            next++;
        }
        if (!running)
            break;
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            st = st ? st : sym_error(err, SYM_EIO, "waitpid: %s", strerror(errno));
            break;
        }
        size_t k = 0;
        while (k < o->jobs && wk[k].pid != pid)
            k++;
        if (k == o->jobs)
            continue;
        char msg[SYM_ERRLEN] = "";
        ssize_t n = read(wk[k].fd, msg, sizeof msg - 1);
        msg[n > 0 ? n : 0] = 0;
        close(wk[k].fd);
        size_t t = wk[k].task;
        wk[k].pid = 0;
        running--;
        done++;
        if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) && st == SYM_OK) {
            char name[256] = "?", why[64];
            ts->name(ts->ctx, t, name, sizeof name);
            if (WIFSIGNALED(status))
                snprintf(why, sizeof why, "worker killed by signal %d (%s)", WTERMSIG(status),
                         strsignal(WTERMSIG(status)));
            else
                snprintf(why, sizeof why, "worker exited with status %d and no message",
                         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
            st = sym_error(err, SYM_ENUM, "task %s: %s", name, msg[0] ? msg : why);
        } else if (st == SYM_OK) {
            (*nrun)++;
        }
        if (o->progress)
            fprintf(stderr, "\r%s: %zu / %zu tasks", o->name ? o->name : "sweep", done, ntodo);
    }
    if (o->progress && ntodo)
        fprintf(stderr, "\n");
    free(todo);
    free(wk);
    return st;
}

int task_find(const task_set *ts, const char *name, size_t *t, char *err)
{
    char buf[256];
    for (size_t k = 0; k < ts->ntasks; k++)
        if (ts->name(ts->ctx, k, buf, sizeof buf) == 0 && strcmp(buf, name) == 0) {
            *t = k;
            return SYM_OK;
        }
    return sym_error(err, SYM_EINVAL, "task %s: no such task in this sweep (%zu tasks; "
                     "list-tasks lists them)", name, ts->ntasks);
}

int task_open(const char *dir, const task_select *sel, int *fd, char *err)
{
    *fd = -1;
    if (sel->list)
        return SYM_OK;
    int st = traj_mkdir(dir, err);
    if (st)
        return st;
    if (sel->task)
        return sys_lock_shared(dir, fd, err);
    int rank, size;
    task_mpi_world(&rank, &size);
    if (sel->mpi && rank != 0)
        return SYM_OK;
    return sys_lock(dir, fd, err);
}

static int task_prepare(const char *dir, const task_set *ts, const task_mode *m, char *err)
{
    return m->prepare ? m->prepare(ts->ctx, dir, err) : SYM_OK;
}

/* --task NAME: that task alone, in this process, under its own lock. */
static int task_sweep_one(const char *dir, const task_set *ts, const task_mode *m,
                          size_t *nrun, char *err)
{
    size_t t;
    const char *name = m->sel.task;
    char tdir[SYS_PATH], lk[SYS_PATH];
    int st = task_find(ts, name, &t, err), have = 0, fd = -1;
    traj_header res;
    traj_header_init(&res);
    st = st ? st : task_load(dir, ts, t, &res, &have, err);
    traj_header_free(&res);
    if (st || have)
        return st;
    st = sys_path(tdir, sizeof tdir, dir, "tasks", err);
    st = st ? st : traj_mkdir(tdir, err);
    st = st ? st : task_dir(dir, ts, t, tdir, sizeof tdir, err);
    st = st ? st : traj_mkdir(tdir, err);
    st = st ? st : sys_path(lk, sizeof lk, tdir, TASK_LOCK, err);
    st = st ? st : sys_lock_file(lk, &fd, err);
    if (st)
        return st;
    /* whoever held the lock before may have finished the task */
    traj_header_init(&res);
    st = task_load(dir, ts, t, &res, &have, err);
    traj_header_free(&res);
    if (!st && !have) {
        /* nobody else writes into this task's directory now: the shared
         * directory lock keeps whole sweeps out, the task lock other
         * --task processes */
        sys_clean_temps(tdir);
        st = task_prepare(dir, ts, m, err);
        if (!st && (st = task_run_one(dir, ts, t, err))) {
            char where[300];
            snprintf(where, sizeof where, "task %s", name);
            st = sym_context(err, st, where);
        }
        if (!st)
            *nrun = 1;
    }
    sys_unlock_file(lk, fd);
    return st;
}

int task_sweep(const char *dir, const task_set *ts, const task_opts *o, const task_mode *m,
               size_t *nrun, int *collect, char *err)
{
    *nrun = 0;
    *collect = 0;
    if (m->sel.list) {
        FILE *fp = m->list ? m->list : stdout;
        char name[256];
        for (size_t t = 0; t < ts->ntasks; t++) {
            if (ts->name(ts->ctx, t, name, sizeof name))
                return sym_error(err, SYM_EINVAL, "task %zu: no name", t);
            fprintf(fp, "%s\n", name);
        }
        return fflush(fp) == 0 && !ferror(fp) ? SYM_OK
                                                : sym_error(err, SYM_EIO, "task list: write failed");
    }
    if (m->sel.task)
        return task_sweep_one(dir, ts, m, nrun, err);
    int rank, size;
    task_mpi_world(&rank, &size);
    int mpi = m->sel.mpi && size > 1;
    if (mpi && rank != 0)
        return task_mpi_sweep(dir, ts, o, m, NULL, 0, nrun, err);
    *collect = 1;
    size_t *todo = malloc((ts->ntasks ? ts->ntasks : 1) * sizeof *todo), ntodo = 0;
    if (!todo)
        return sym_error(err, SYM_ENOMEM, "out of memory for %zu tasks", ts->ntasks);
    int st = task_todo(dir, ts, todo, &ntodo, err);
    st = st ? st : task_prepare(dir, ts, m, err);
    if (!st)
        st = mpi ? task_mpi_sweep(dir, ts, o, m, todo, ntodo, nrun, err)
                 : task_run_all(dir, ts, o, nrun, err);
    free(todo);
    return st;
}

void task_sched_init(task_sched *s, size_t ntodo, size_t nworkers)
{
    memset(s, 0, sizeof *s);
    s->ntodo = ntodo;
    s->nworkers = nworkers;
}

long task_sched_next(task_sched *s, int had, int ok)
{
    if (had) {
        s->busy--;
        if (ok)
            s->ok++;
        else
            s->failed = 1;
    }
    if (!s->failed && s->next < s->ntodo) {
        s->busy++;
        return (long)s->next++;
    }
    s->stopped++;
    return -1;
}

int task_sched_over(const task_sched *s)
{
    return s->stopped >= s->nworkers;
}

#ifndef SYM_MPI
/* The plain build: no MPI header or library; --mpi is refused by the CLI
 * through task_mpi_available, and these only answer for a library caller. */
int task_mpi_available(void)
{
    return 0;
}

static int no_mpi(char *err)
{
    return sym_error(err, SYM_EINVAL, "mpi: this symrbm was built without MPI (make mpi)");
}

int task_mpi_init(char *err)
{
    return no_mpi(err);
}

void task_mpi_world(int *rank, int *size)
{
    *rank = 0;
    *size = 1;
}

int task_mpi_finish(char *err)
{
    return no_mpi(err);
}

void task_mpi_abort(int code)
{
    (void)code;
}

int task_mpi_sweep(const char *dir, const task_set *ts, const task_opts *o, const task_mode *m,
                   const size_t *todo, size_t ntodo, size_t *nrun, char *err)
{
    (void)dir;
    (void)ts;
    (void)o;
    (void)m;
    (void)todo;
    (void)ntodo;
    *nrun = 0;
    return no_mpi(err);
}
#endif
