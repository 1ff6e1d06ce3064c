/* task: the task engine of sweeps (SPEC.md 10).
 *
 * A sweep is a set of independent tasks with deterministic parameters.  The
 * engine runs them in-process (no re-executing of the program) in --jobs
 * forked worker processes, and keeps a resumable store in the output
 * directory: task t's result is DIR/tasks/NAME/result.tsv, written
 * atomically, whose header records the parameters the task was run with.  A
 * rerun loads finished tasks instead of running them, and refuses a stored
 * result whose parameters differ from the current ones.  The directory is
 * locked for the whole sweep (core/sys.h sys_lock), temporary files of
 * killed runs are removed, and workers die with the parent.
 *
 * The same store serves the other ways of running a sweep (task_sweep):
 * --list-tasks prints the task names, --task NAME runs that task alone (in
 * this process, under a shared directory lock and a lock of its own, so
 * that any number of such processes - a job array, GNU parallel - share
 * one directory), and --mpi hands the tasks out from MPI rank 0 to the
 * other ranks, each of which runs its tasks in-process and stores them as
 * a local worker would (core/task_mpi.c, built only with SYM_MPI).  Every
 * way gives the same files.
 */
#ifndef SYM_TASK_H
#define SYM_TASK_H

#include <stddef.h>
#include <stdio.h>
#include "core/traj.h"

typedef struct {
    size_t ntasks;
    void *ctx;
    /* Directory name of task t under DIR/tasks (e.g. "1000_3"). */
    int (*name)(void *ctx, size_t t, char *buf, size_t cap);
    /* The parameters task t's result must carry; every key set here is
     * checked when a stored result is loaded. */
    int (*params)(void *ctx, size_t t, traj_header *h);
    /* Run task t (in a worker process): set the result values into res
     * (key -> number, written %.17g; every value must be finite). dir is
     * the task's own directory (created) for any extra output. */
    int (*run)(void *ctx, size_t t, const char *dir, traj_header *res, char *err);
} task_set;

/* How a sweep is run (the options --list-tasks, --task ID, --mpi). */
typedef struct {
    int list;          /* print the task names, run nothing                */
    const char *task;  /* run this task only (NULL: every task)            */
    int mpi;           /* dispatch from MPI rank 0 (task_mpi_init first)   */
} task_select;

typedef struct {
    size_t jobs;       /* worker processes, >= 1                          */
    int progress;      /* "\rNAME: k / n tasks" on stderr                  */
    const char *name;  /* for the progress line                            */
} task_opts;

/* What task_sweep adds to a task_set and task_opts (a struct of its own,
 * so that initialisers of those two stay as they are). */
typedef struct {
    task_select sel;   /* zero: every task, in local workers              */
    /* Optional (NULL: none): what every process needs before its first
     * task, e.g. a shared reference the tasks compare against, computed
     * into or loaded from dir.  Called once per process, on MPI rank 0
     * before any other rank, so that the others can load what rank 0
     * stored. */
    int (*prepare)(void *ctx, const char *dir, char *err);
    FILE *list;        /* sel.list: where the names go (NULL: stdout)      */
} task_mode;

/* Run every task of ts that has no stored result under dir (which must be
 * locked by the caller, see sys_lock).  *nrun gets the number run.  A
 * failing task stops the sweep: SYM_ENUM "task NAME: message". */
int task_run_all(const char *dir, const task_set *ts, const task_opts *o, size_t *nrun, char *err);

/* Stored result of task t: *have = 0 when there is none; else res gets the
 * result keys (summary form: key -> value strings).  A stored result made
 * with other parameters is SYM_EINVAL naming the file, the key and both
 * values; a value that is not a finite number is SYM_EINVAL. */
int task_load(const char *dir, const task_set *ts, size_t t, traj_header *res, int *have,
              char *err);

/* Run task t in this process and store its result atomically (what a
 * worker does); the task's directory is created. */
int task_run_one(const char *dir, const task_set *ts, size_t t, char *err);

/* Create dir (not for sel->list) and lock it as sel asks: sys_lock for a
 * whole sweep (MPI: rank 0 only; the other ranks work under its lock),
 * sys_lock_shared for sel->task, nothing for sel->list.  *fd is -1 when
 * nothing was locked; release with sys_unlock. */
int task_open(const char *dir, const task_select *sel, int *fd, char *err);

/* Run the sweep as m->sel asks, in the directory task_open locked:
 *  - sel.list: print every task's name, one a line, to m->list;
 *  - sel.task: the task of that name (SYM_EINVAL when there is none),
 *    unless stored; a second process on the same task waits for the first
 *    and then finds its result;
 *  - otherwise every task without a stored result (stored ones checked
 *    first), locally (task_run_all) or, with sel.mpi on several ranks,
 *    dispatched from rank 0.
 * m->prepare runs before the first task (always on a whole sweep, so that
 * what it provides is there for the summary).  *collect = 1 where the
 * caller goes on to read every result and write the summary (a whole
 * sweep; MPI: rank 0), else 0.  *nrun gets the tasks run here (MPI rank 0:
 * by every rank). */
int task_sweep(const char *dir, const task_set *ts, const task_opts *o, const task_mode *m,
               size_t *nrun, int *collect, char *err);

/* The index of the task named name, or SYM_EINVAL naming it. */
int task_find(const task_set *ts, const char *name, size_t *t, char *err);

/* ---- MPI (core/task_mpi.c when built with SYM_MPI; otherwise every call
 * but task_mpi_available fails with SYM_EINVAL "built without MPI") ---- */

/* 1 when this program was built with MPI. */
int task_mpi_available(void);
/* MPI_Init (works without mpirun, as a singleton); once per process. */
int task_mpi_init(char *err);
/* This process's rank and the number of ranks (0 and 1 before init). */
void task_mpi_world(int *rank, int *size);
/* MPI_Finalize. */
int task_mpi_finish(char *err);
/* End every rank at once with exit status code (MPI_Abort): what a rank
 * that failed does, so that no rank waits forever for it. */
void task_mpi_abort(int code);

/* The dispatch logic of rank 0, as pure functions (tested without MPI).
 * Workers ask for work, reporting the task they finished (if any) and
 * whether it succeeded; each of ntodo tasks is handed out once; after a
 * failure nothing more is handed out; every worker is told to stop once,
 * and the sweep is over when all were. */
typedef struct {
    size_t ntodo, next, busy, nworkers, stopped, ok;
    int failed;
} task_sched;

void task_sched_init(task_sched *s, size_t ntodo, size_t nworkers);
/* A worker's request: had = 1 when it reports a finished task, ok its
 * outcome.  Returns the index (0 .. ntodo-1) into the to-do list to hand
 * out, or -1: stop. */
long task_sched_next(task_sched *s, int had, int ok);
/* 1 when every worker was told to stop. */
int task_sched_over(const task_sched *s);

/* The MPI sweep over the tasks todo[0..ntodo-1] (checked, temporary files
 * removed, prepare run: on rank 0 by task_sweep; the other ranks call
 * prepare before their first task).  Used by task_sweep. */
int task_mpi_sweep(const char *dir, const task_set *ts, const task_opts *o, const task_mode *m,
                   const size_t *todo, size_t ntodo, size_t *nrun, char *err);

/* The number stored under key in a loaded result (finite, checked by
 * task_load).  SYM_EINVAL when absent. */
int task_value(const traj_header *res, const char *key, double *x, char *err);

#endif
