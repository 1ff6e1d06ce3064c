/* run (theory): one theory experiment as a library call (SPEC.md 3a, 5).
 *
 * theory_run integrates the infinite-data gradient flow from the shared
 * w(0) (core/rng.h) to T, computes the order parameters and the exact
 * log-likelihood at every snapshot, and writes spectrum.tsv,
 * trajectory.tsv, weights.tsv and summary.tsv into a directory as one set
 * (core/run.h).  The CLI (cli/cmd_theory.c) and the sweeps call it alike.
 */
#ifndef SYM_THEORY_RUN_H
#define SYM_THEORY_RUN_H

#include <stdint.h>
#include "core/obs.h"
#include "core/ring.h"
#include "core/traj.h"
#include "theory/flow.h"
#include "theory/restore.h"

typedef enum { THEORY_W_ALL = 0, THEORY_W_FINAL = 1, THEORY_W_NONE = 2 } theory_weights;

typedef struct {
    const flow_family *family; /* hidden units: flow_family_gaussian (3a,
                                * M = 1) or flow_family_spin (3b, M >= 1) */
    size_t M;               /* hidden units                                 */
    uint64_t seed;          /* w(0) seed, shared with sim                   */
    double init_scale;      /* w(0) = s0 z / sqrt(N), s0 > 0                */
    double T;               /* final time, > 0                              */
    size_t snapshots;       /* output times after t = 0, >= 1               */
    int linear;             /* linear instead of log spacing                */
    int learn_fields;
    double l2, rtol, atol;
    flow_method method;
    theory_weights weights; /* rows of weights.tsv                          */
    int spectrum_only;      /* write spectrum.tsv only                      */
    int progress;           /* progress line on stderr                      */
    size_t threads;         /* >= 1 (flow_params.threads): the same numbers  */
    /* Symmetry restoration at the final profile (SPEC.md 8, theory/restore.h;
     * M = 1).  restore: D_pred and the rest of restore_result into
     * summary.tsv, for SGD step rc.lr, minibatch rc.batch, rc.B samples per
     * epoch, model term rc.term (rc.chains, rc.mc_steps, rc.pcd_updates),
     * rc.nsample (gaussian e^T Sigma e); rc.data, rc.unit, rc.seed and
     * rc.T_fix are set from the run.  attractor: attractor.tsv (X, the
     * log-likelihood per site of the translate w*(i - X) at
     * rc.attractor_points fractional X in [0, 1)).  landscape_B > 0: the
     * training set of B samples that `sim --seed` draws (RNG_STREAM_DATA
     * of seed), its landscape L_B(X) on landscape_points X over the ring
     * and P(X) into landscape.tsv.  Either of the last two implies restore. */
    int restore, attractor;
    size_t landscape_B, landscape_points;
    restore_config rc;
} theory_config;

/* theory_config with the defaults of SPEC.md 6 (one gaussian unit, T = 40,
 * 200 snapshots, ...). */
void theory_config_default(theory_config *c);

/* The flow family of the hidden-unit kind called name ("gaussian", "spin"):
 * the kinds with an exact infinite-data theory; SYM_EINVAL for the others. */
int theory_family_find(const char *name, const flow_family **f, char *err);
/* "gaussian|spin", for option choices. */
const char *theory_family_names(void);

/* Checks of the run's own parameters (T, snapshots, init-scale), messages
 * naming parameters; the flow's (rtol, atol, l2) are checked by flow_alloc. */
int theory_config_check(const theory_config *c, char *err);

typedef struct {
    obs_values final;       /* unit 0 */
    double loglik, kl, t_sb, wall_s;
    int broken;             /* final S > OBS_BROKEN_S                        */
    flow_counters fc;
} theory_result;

/* Run c on data model m; h is the caller's header (run_header + options),
 * to which the model's keys and the run's own keys are added.  out is the
 * directory; w_final (M x N doubles, may be NULL) gets the final profiles;
 * r (may be NULL) the final values. */
int theory_run(const theory_config *c, const ring_model *m, traj_header *h, const char *out,
               double *w_final, theory_result *r, char *err);

/* The small-beta lattice equation instead of the exact flow (SPEC.md 3c,
 * theory/smallbeta.h): M units from the same w(0), rescaled to u = w /
 * sqrt(beta), integrated to tau = T; trajectory.tsv and weights.tsv in those
 * units, continuum.tsv (eq. 44 at b-, centred on unit 0, beside the final
 * lattice profile), summary.tsv with each unit's b.  The data model must
 * have a coupling beta. */
int theory_run_small_beta(const theory_config *c, const ring_model *m, traj_header *h,
                          const char *out, char *err);

#endif
