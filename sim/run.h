/* run (sim): one simulation as a library call (SPEC.md 1, 4, 5).
 *
 * sim_run trains a real RBM (sim/train.h) on given samples from the shared
 * w(0), records the order parameters and the exact log-likelihood (where
 * computable) at every snapshot, and writes trajectory.tsv, weights.tsv and
 * summary.tsv as one set (core/run.h), or nothing when no directory is
 * given (in-process sweeps).  sim_draw draws the training and held-out
 * samples exactly from the data model, from the random streams of the seed
 * that `symrbm sample` uses too.
 *
 * Long runs can be checkpointed (sim/ckpt.h, issue 11): with ckpt_every
 * > 0 and an output directory, OUT/checkpoint.bin holds, after every
 * ckpt_every updates, everything the run needs to go on - weights, fields,
 * optimiser moments and step count, PCD chains, every random stream, the
 * minibatch order and position, the snapshot rows written so far (the
 * bytes of trajectory.tsv and weights.tsv, header included) and a
 * fingerprint of every parameter and of the data.  With resume set, a run
 * whose directory holds a checkpoint continues from it and ends with files
 * byte for byte those of the uninterrupted run (the header is the first
 * process's, run id included; only summary.tsv's wall_s differs); a
 * checkpoint made with other parameters or data is refused naming the
 * first difference.  The checkpoint is removed once the files are in place.
 */
#ifndef SYM_SIM_RUN_H
#define SYM_SIM_RUN_H

#include <stdint.h>
#include "core/obs.h"
#include "core/ring.h"
#include "core/traj.h"
#include "sim/train.h"

typedef struct {
    train_config train;     /* N is set from the data by sim_run            */
    size_t epochs;          /* > 0: length in epochs, else T / lr updates   */
    double T;
    size_t snapshots;
    int linear;
    double init_scale;      /* >= 0                                         */
    uint64_t seed;          /* w(0) and the training stream                 */
    const double *theory_w; /* reference profile (N) for Q_theory, or NULL  */
    int progress;
    /* 1: the exact log-likelihood over the B training samples (and kl) only
     * at the final snapshot, nan in the other trajectory rows.  It costs
     * O(B N) per snapshot, which dominates long runs with many snapshots
     * (symrbm diffusion: 400+ snapshots, B up to 1e6); 0, the default: at
     * every snapshot. */
    int loglik_final;
    /* checkpoints (need out; see above) */
    size_t ckpt_every;      /* > 0: OUT/checkpoint.bin every ckpt_every
                               updates (0, the library default: none)       */
    double ckpt_seconds;    /* > 0 with ckpt_every 0: automatic checkpoints,
                               after the first update at which both
                               ckpt_seconds and SIM_CKPT_COST_FACTOR x the
                               last checkpoint's wall time have passed since
                               it (overhead <= 1 / SIM_CKPT_COST_FACTOR)    */
    int resume;             /* continue from OUT/checkpoint.bin if present  */
    size_t ckpt_stop;       /* > 0: stop right after the first checkpoint at
                               update >= ckpt_stop, the files left
                               unwritten (an interruption, for tests)      */
} sim_config;

/* The checkpoint's name in the output directory. */
#define SIM_CKPT_NAME "checkpoint.bin"
/* `symrbm sim` checkpoints automatically unless --checkpoint-every is
 * given: at least SIM_CKPT_SECONDS_DEFAULT apart (the work a kill can
 * lose), and at least SIM_CKPT_COST_FACTOR times the last checkpoint's own
 * wall time apart, so the overhead stays below 1% whatever the run.  A
 * fixed interval in updates cannot promise that: a checkpoint costs the
 * run's files written once more, the minibatch order (8 B bytes) and an
 * fsync (~20 ms at B = 10^4 on the loaded 2-core machine), an update from
 * 0.05 ms (exact model term, small batch) to tens of ms (README
 * "Checkpoints": measured). */
#define SIM_CKPT_SECONDS_DEFAULT 30.0
#define SIM_CKPT_COST_FACTOR 100.0

void sim_config_default(sim_config *c);

typedef struct {
    obs_values final;       /* mu = 0 */
    double loglik, kl, t_sb, wall_s, loglik_test, Q_theory;
    size_t updates;
    size_t resumed_from;    /* the update the run continued from (0: none) */
    int stopped;            /* ckpt_stop reached: no files written         */
} sim_result;

/* B training and B_test held-out samples (B_test may be 0: *vtest NULL) of
 * model m from the streams RNG_STREAM_DATA and RNG_STREAM_TEST of seed.
 * Sizes are checked before anything is allocated. */
int sim_draw(const ring_model *m, uint64_t seed, size_t B, size_t B_test, int8_t **v,
             int8_t **vtest, char *err);

/* The number of updates of c on B samples (epochs x updates per epoch, or
 * T / lr rounded), overflow-checked. */
int sim_updates(const sim_config *c, size_t B, size_t *K, char *err);

/* Everything about c that can be checked before the samples exist: the
 * trainer's configuration for N visible units, the update count *K on B
 * samples, and the work bound (sim/train.h train_plan_check). */
int sim_plan(const sim_config *c, size_t N, size_t B, size_t *K, char *err);

/* Train on v[b*N + i] (b < B); vtest may be NULL.  type gives S; m (may be
 * NULL for samples read from a file) gives the model's header keys and
 * entropy, and the fresh samples of c->train.sampling = online (which
 * needs it; c->train.model, if set, is used instead).  The sampling
 * streams are seeded from c->seed.  h is the caller's header, completed here; out NULL writes no
 * file.  r may be NULL. */
int sim_run(const sim_config *c, const ring_type *type, const ring_model *m, const int8_t *v,
            size_t N, size_t B, const int8_t *vtest, size_t B_test, traj_header *h,
            const char *out, sim_result *r, char *err);

#endif
