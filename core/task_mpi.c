/* task_mpi: the MPI backend of the task engine (core/task.h, SPEC.md 10),
 * compiled only into the MPI build (make mpi: mpicc -DSYM_MPI), so that the
 * plain program has no MPI header or library in it.
 *
 * Rank 0 only dispatches: the other ranks ask it for a task, run the task
 * in-process (task_run_one: the result written atomically into the shared
 * store, exactly as a local worker writes it), and report the outcome with
 * their next request.  Rank 0 hands tasks out in order as they are asked
 * for (dynamic: a slow task holds up only its rank) by the pure logic of
 * task_sched, and tells every rank to stop once nothing is left or a task
 * failed.  Rank 0 does not run tasks itself: it would either have to stop
 * answering while it works or fork workers under MPI; instead it sleeps
 * between polls (MPI's blocking receive spins a core), so that K ranks
 * give K - 1 workers at the cost of almost no CPU (measured in
 * docs/batch.md).  A rank that dies loses its current task only: every
 * finished task is in the store, and a rerun runs the rest.
 */
#ifdef SYM_MPI

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/task.h"

enum { TAG_ASK = 1, TAG_GIVE = 2 };

/* A worker's request: the task it finished (-1: none yet), its status and
 * message. */
typedef struct {
    int64_t task;
    int32_t status;
    char msg[SYM_ERRLEN];
} ask_msg;

int task_mpi_available(void)
{
    return 1;
}

int task_mpi_init(char *err)
{
    int init = 0;
    MPI_Initialized(&init);
    if (init)
        return SYM_OK;
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS)
        return sym_error(err, SYM_EIO, "mpi: MPI_Init failed");
    /* failures come back as codes (turned into messages), not MPI's abort */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    return SYM_OK;
}

void task_mpi_world(int *rank, int *size)
{
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    *rank = 0;
    *size = 1;
    if (init && !fin) {
        MPI_Comm_rank(MPI_COMM_WORLD, rank);
        MPI_Comm_size(MPI_COMM_WORLD, size);
    }
}

int task_mpi_finish(char *err)
{
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    if (init && !fin && MPI_Finalize() != MPI_SUCCESS)
        return sym_error(err, SYM_EIO, "mpi: MPI_Finalize failed");
    return SYM_OK;
}

void task_mpi_abort(int code)
{
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    if (init && !fin)
        MPI_Abort(MPI_COMM_WORLD, code);
}

/* Wait for rq to complete, sleeping between tests (from 20 us up to 2 ms:
 * a fast answer stays fast, a long wait costs no CPU). */
static int wait_for(MPI_Request *rq, MPI_Status *status, char *err)
{
    long us = 20;
    for (;;) {
        int flag = 0;
        if (MPI_Test(rq, &flag, status) != MPI_SUCCESS)
            return sym_error(err, SYM_EIO, "mpi: MPI_Test failed");
        if (flag)
            return SYM_OK;
        struct timespec ts = {0, us * 1000};
        nanosleep(&ts, NULL);
        if (us < 2000)
            us *= 2;
    }
}

/* Rank 0: hand out todo[] to ranks 1 .. size-1. */
static int dispatch(const task_set *ts, const task_opts *o, const size_t *todo, size_t ntodo,
                    int size, size_t *nrun, char *err)
{
    ask_msg *m = malloc(sizeof *m);
    if (!m)
        return sym_error(err, SYM_ENOMEM, "out of memory");
    task_sched s;
    task_sched_init(&s, ntodo, (size_t)size - 1);
    int st = SYM_OK;
    size_t done = 0;
    while (!task_sched_over(&s)) {
        MPI_Request rq;
        MPI_Status status;
        if (MPI_Irecv(m, (int)sizeof *m, MPI_BYTE, MPI_ANY_SOURCE, TAG_ASK, MPI_COMM_WORLD,
                      &rq) != MPI_SUCCESS) {
            st = sym_error(err, SYM_EIO, "mpi: MPI_Irecv failed");
            break;
        }
        int e = wait_for(&rq, &status, err);
        if (e) {
            st = e;
            break;
        }
        int had = m->task >= 0, ok = !had || m->status == 0;
        if (had) {
            done++;
            if (ok)
                (*nrun)++;
            else if (st == SYM_OK) {
                char name[256] = "?";
                m->msg[sizeof m->msg - 1] = 0;
                ts->name(ts->ctx, (size_t)m->task, name, sizeof name);
                st = sym_error(err, SYM_ENUM, "task %s (rank %d): %s", name, status.MPI_SOURCE,
                               m->msg[0] ? m->msg : "failed (no message)");
            }
            if (o->progress)
                fprintf(stderr, "\r%s: %zu / %zu tasks", o->name ? o->name : "sweep", done,
                        ntodo);
        }
        long k = task_sched_next(&s, had, ok);
        int64_t give = k < 0 ? -1 : (int64_t)todo[k];
        if (MPI_Send(&give, 1, MPI_INT64_T, status.MPI_SOURCE, TAG_GIVE, MPI_COMM_WORLD) !=
            MPI_SUCCESS) {
            st = st ? st : sym_error(err, SYM_EIO, "mpi: MPI_Send to rank %d failed",
                                     status.MPI_SOURCE);
            break;
        }
    }
    if (o->progress && ntodo)
        fprintf(stderr, "\n");
    free(m);
    return st;
}

/* Ranks 1 ..: ask, run, report, until told to stop. */
static int work(const char *dir, const task_set *ts, const task_mode *md, size_t *nrun,
                char *err)
{
    ask_msg *m = calloc(1, sizeof *m);
    if (!m)
        return sym_error(err, SYM_ENOMEM, "out of memory");
    m->task = -1;
    int st = SYM_OK, prepared = 0;
    for (;;) {
        int64_t t;
        MPI_Request rq;
        MPI_Status status;
        if (MPI_Send(m, (int)sizeof *m, MPI_BYTE, 0, TAG_ASK, MPI_COMM_WORLD) != MPI_SUCCESS ||
            MPI_Irecv(&t, 1, MPI_INT64_T, 0, TAG_GIVE, MPI_COMM_WORLD, &rq) != MPI_SUCCESS) {
            st = sym_error(err, SYM_EIO, "mpi: no contact with rank 0");
            break;
        }
        if ((st = wait_for(&rq, &status, err)) || t < 0)
            break;
        /* a failure goes to rank 0, which names the task and stops the
         * sweep; this rank goes on asking until it is told to stop */
        char e[SYM_ERRLEN] = "";
        int r = SYM_OK;
        if (!prepared && md->prepare)
            r = md->prepare(ts->ctx, dir, e);
        prepared = r == SYM_OK;
        r = r ? r : task_run_one(dir, ts, (size_t)t, e);
        if (!r)
            (*nrun)++;
        m->task = t;
        m->status = r;
        snprintf(m->msg, sizeof m->msg, "%s", e);
    }
    free(m);
    return st;
}

int task_mpi_sweep(const char *dir, const task_set *ts, const task_opts *o, const task_mode *m,
                   const size_t *todo, size_t ntodo, size_t *nrun, char *err)
{
    *nrun = 0;
    int rank, size;
    task_mpi_world(&rank, &size);
    if (size < 2)
        return sym_error(err, SYM_EINVAL, "mpi: %d rank: a sweep over MPI needs at least 2", size);
    return rank == 0 ? dispatch(ts, o, todo, ntodo, size, nrun, err) : work(dir, ts, m, nrun, err);
}

#endif
