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
 */
#ifndef SYM_TASK_H
#define SYM_TASK_H

#include <stddef.h>
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

typedef struct {
    size_t jobs;       /* worker processes, >= 1                          */
    int progress;      /* "\rNAME: k / n tasks" on stderr                  */
    const char *name;  /* for the progress line                            */
} task_opts;

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

/* The number stored under key in a loaded result (finite, checked by
 * task_load).  SYM_EINVAL when absent. */
int task_value(const traj_header *res, const char *key, double *x, char *err);

#endif
