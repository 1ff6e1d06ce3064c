/* team: a fixed set of threads that run one function together, for the
 * trainer's opt-in --threads (SPEC.md 1; issue 9 "threads over chains") and
 * for the site loops of the theory's gaussian model term (core/marg).
 *
 * team_run(tm, fn, ctx) calls fn(ctx, t, T) on every member t < T (member
 * 0 is the caller) and returns when all have returned: a fork and a join,
 * with no other synchronisation.  An update of the trainer takes 20-200
 * microseconds, so a member waits for work by spinning for a while
 * (TEAM_SPIN pauses, ~0.02-0.1 ms) before it sleeps on a condition variable:
 * consecutive runs within an update cost well below a microsecond, and an
 * idle team (snapshots being written, a finished run) costs no CPU.
 * Work is split by the caller's fn; the team knows nothing of it, so the
 * results are whatever fn makes them (train.c splits so that every number
 * is the one of a single thread).
 */
#ifndef SYM_TEAM_H
#define SYM_TEAM_H

#include <stddef.h>

/* Most members of a team (the caller included). */
#define TEAM_MAX 64

typedef struct team team;
typedef void (*team_fn)(void *ctx, size_t t, size_t T);

/* A team of T >= 2 members (T - 1 new threads); err (SYM_ERRLEN) says why
 * on failure.  Returns a core/err.h code. */
int team_alloc(team **out, size_t T, char *err);
/* Stops and joins the threads; NULL is allowed. */
void team_free(team *tm);
size_t team_size(const team *tm);
/* fn(ctx, t, T) on every member, the caller as member 0; returns after all. */
void team_run(team *tm, team_fn fn, void *ctx);

#endif
