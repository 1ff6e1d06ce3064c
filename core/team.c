/* team: fork-join thread team with spin-then-sleep waiting (core/team.h). */
#include "core/team.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

/* Pauses a waiting member spins before it sleeps (a pause is 10-150
 * cycles, so this is ~0.01-0.2 ms): longer than the serial stretches
 * between the parallel parts of an update, shorter than anything a person
 * would see as a busy core. */
#define TEAM_SPIN 4000

typedef struct {
    team *tm;
    size_t t;
    pthread_t th;
} member;

struct team {
    size_t T;
    member *mem;
    size_t started;
    /* the job: read by members after they see gen change */
    team_fn fn;
    void *ctx;
    /* on lines of their own: members spin on gen, the caller on done */
    _Alignas(64) atomic_uint gen;       /* bumped once per team_run        */
    _Alignas(64) atomic_size_t done;    /* members (other than 0) finished */
    char pad_[64 - sizeof(atomic_size_t)];
    atomic_int quit;
    atomic_int sleepers;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static inline void cpu_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void *member_main(void *arg)
{
    member *me = arg;
    team *tm = me->tm;
    /* gen is 0 until team_alloc returns: a member that starts late must
     * not take a first job that is already posted for its own */
    unsigned seen = 0;
    for (;;) {
        unsigned g;
        size_t spins = 0;
        while ((g = atomic_load_explicit(&tm->gen, memory_order_acquire)) == seen) {
            if (++spins < TEAM_SPIN) {
                cpu_pause();
                continue;
            }
            /* sleep: sleepers is raised before gen is read again, and
             * team_run reads sleepers after it bumps gen (both seq_cst),
             * so a bump is either seen here or followed by a broadcast */
            pthread_mutex_lock(&tm->mu);
            atomic_fetch_add(&tm->sleepers, 1);
            while (atomic_load(&tm->gen) == seen)
                pthread_cond_wait(&tm->cv, &tm->mu);
            atomic_fetch_sub(&tm->sleepers, 1);
            pthread_mutex_unlock(&tm->mu);
            spins = 0;
        }
        seen = g;
        if (atomic_load(&tm->quit))
            return NULL;
        tm->fn(tm->ctx, me->t, tm->T);
        atomic_fetch_add_explicit(&tm->done, 1, memory_order_release);
    }
}

static void wake(team *tm)
{
    if (atomic_load(&tm->sleepers)) {
        pthread_mutex_lock(&tm->mu);
        pthread_cond_broadcast(&tm->cv);
        pthread_mutex_unlock(&tm->mu);
    }
}

int team_alloc(team **out, size_t T, char *err)
{
    *out = NULL;
    if (T < 2 || T > TEAM_MAX)
        return sym_error(err, SYM_EINVAL, "threads = %zu: need 2 to %d (1: no team)", T,
                         TEAM_MAX);
    /* the alignment of its cache-line fields (C11 aligned_alloc: a size in
     * whole multiples of the alignment) */
    size_t bytes = (sizeof(team) + 63) / 64 * 64;
    team *tm = aligned_alloc(64, bytes);
    if (tm)
        memset(tm, 0, bytes);
    member *mem = calloc(T, sizeof *mem);
    if (!tm || !mem) {
        free(tm);
        free(mem);
        return sym_error(err, SYM_ENOMEM, "out of memory (thread team)");
    }
    tm->T = T;
    tm->mem = mem;
    atomic_init(&tm->gen, 0);
    atomic_init(&tm->done, 0);
    atomic_init(&tm->quit, 0);
    atomic_init(&tm->sleepers, 0);
    pthread_mutex_init(&tm->mu, NULL);
    pthread_cond_init(&tm->cv, NULL);
    for (size_t t = 1; t < T; t++) {
        mem[t].tm = tm;
        mem[t].t = t;
        if (pthread_create(&mem[t].th, NULL, member_main, &mem[t])) {
            team_free(tm);
            return sym_error(err, SYM_ENOMEM, "cannot start thread %zu of %zu", t, T);
        }
        tm->started = t;
    }
    *out = tm;
    return SYM_OK;
}

void team_free(team *tm)
{
    if (!tm)
        return;
    atomic_store(&tm->quit, 1);
    atomic_fetch_add(&tm->gen, 1);
    pthread_mutex_lock(&tm->mu);
    pthread_cond_broadcast(&tm->cv);
    pthread_mutex_unlock(&tm->mu);
    for (size_t t = 1; t <= tm->started; t++)
        pthread_join(tm->mem[t].th, NULL);
    pthread_mutex_destroy(&tm->mu);
    pthread_cond_destroy(&tm->cv);
    free(tm->mem);
    free(tm);
}

size_t team_size(const team *tm)
{
    return tm->T;
}

void team_run(team *tm, team_fn fn, void *ctx)
{
    tm->fn = fn;
    tm->ctx = ctx;
    atomic_store_explicit(&tm->done, 0, memory_order_relaxed);
    atomic_fetch_add(&tm->gen, 1);   /* seq_cst: publishes fn, ctx, done */
    wake(tm);
    fn(ctx, 0, tm->T);
    size_t spins = 0;
    while (atomic_load_explicit(&tm->done, memory_order_acquire) < tm->T - 1) {
        /* a member descheduled on a busy machine: give it the core */
        if (++spins < TEAM_SPIN)
            cpu_pause();
        else
            sched_yield();
    }
}
