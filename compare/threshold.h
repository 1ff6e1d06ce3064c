/* threshold: the critical-sample-size sweep as a library call (SPEC.md 7, 10).
 *
 * One task per (B, seed) on a log grid of B (core/task.h runs them, in
 * worker processes, resumably): draw the B samples exactly, measure the
 * linear-regime overlap of their C^ (sim/lin.h), train one gaussian hidden
 * unit in-process (sim/run.h: exact model term, full-batch SGD) against the
 * infinite-data profile of theory/run.h at t = T, and store Q, S and the
 * rest.  Then the seed means, the measured B_c with bootstrap intervals
 * (compare/thr.h) and the random-matrix predictions (theory/rmt.h) go to
 * DIR/threshold.tsv and DIR/summary.tsv, written as one set.
 */
#ifndef SYM_THRESHOLD_H
#define SYM_THRESHOLD_H

#include <stdint.h>
#include "core/ring.h"
#include "core/traj.h"

/* grid points at most: the seed means live in fixed arrays */
#define THRESHOLD_MAXPOINTS 1000
#define THRESHOLD_MAXSEEDS 100000

typedef struct {
    ring_params data;
    double Bmin, Bmax;
    size_t points, seeds;
    double T, lr, init_scale;
    size_t snapshots, boot, jobs;
    uint64_t seed;
    int keep_sim, progress;
} threshold_config;

/* The defaults of `symrbm threshold` (bump, N = 100, B from 10 to 1e4 at 10
 * points, 8 seeds, T = 40, lr = 0.01, jobs = cores online). */
void threshold_config_default(threshold_config *c);
int threshold_config_check(const threshold_config *c, char *err);

/* Run the sweep into out (locked while it runs); h is the caller's header
 * (run_header + options), completed with the model's keys. */
int threshold_run(const threshold_config *c, traj_header *h, const char *out, char *err);

#endif
