/* potts_run: `symrbm sim` with Potts visible units (data model xy; SPEC.md
 * 5 and 9, issue 10 item 2) as a library call: draw the samples, train with
 * sim/potts.h from the shared seed, write trajectory.tsv (the Potts order
 * parameters of core/traj.h traj_potts_*), weights.tsv (rows t mu c w_0 ..
 * w_{N-1}, SPEC.md 5), sites.tsv (final per-site angular harmonic and
 * W^angular), wspatial.tsv (final W^spatial_c) and summary.tsv as one set.
 *
 * The sim_config of sim/run.h carries the options; what the Potts trainer
 * does not have is refused with a line naming it: --sampling other than
 * epoch, --gibbs bits, --pcd-estimate h-mean, and --resume
 * (checkpoints are not written for Potts runs; the header says
 * checkpoints=none).
 *
 * --theory: c->theory_w is then the theory's profiles of all M units at
 * the run's final time (M x N x P, w[(mu N + i) P + c], cmpp_ref_load of
 * compare/cmp_potts.h), and summary.tsv gets Q_theory, the mean matched
 * Potts overlap (spatial shift, colour shift, reflection, sign; units
 * matched by permutation), and Q_theory_mu per unit.
 */
#ifndef SYM_POTTS_RUN_H
#define SYM_POTTS_RUN_H

#include <stdint.h>

#include "core/obs_potts.h"
#include "core/ring.h"
#include "core/traj.h"
#include "sim/run.h"

/* sim_draw for a Potts model: the same streams (RNG_STREAM_DATA, _TEST). */
int sim_potts_draw(const ring_model *m, uint64_t seed, size_t B, size_t B_test, int8_t **v,
                   int8_t **vtest, char *err);

typedef struct {
    double loglik, loglik_test, kl, t_sb, wall_s;
    obs_potts_values final;   /* unit 0 */
    size_t updates;
    double ang_frac;          /* unit 0: sim_potts_ang_frac of its final profile */
    double Q_theory;          /* NAN without c->theory_w */
} sim_potts_result;

/* The fraction of norm2 of one profile w (N x P, w[i*P + c], zero-sum
 * gauge) in the angular harmonic p = +-1 at any spatial wave number: the
 * cosine-in-angle order (SPEC.md 9) without S_ang's restriction to k = 0,
 * so that a localised cosine counts as angularly ordered.  From the site
 * amplitudes A_i of obs_potts_sites: a cosine A cos(2 pi c / P - phi)
 * carries A^2 P / 2 of a site's sum_c w_i(c)^2 (P >= 3; P / 4 for P = 2,
 * where +1 and -1 are one mode).  A[0..N-1] is scratch.  NAN for a zero
 * profile.  A random zero-sum profile has the expectation 2 / (P - 1)
 * (P >= 3): two of the P - 1 harmonics. */
double sim_potts_ang_frac(const obs_potts_ws *ws, const double *w, size_t N, size_t P, double *A);

/* The number of updates of a Potts run on B samples: --epochs x updates
 * per epoch, or T / lr (sim_updates); for the --theory time lr x K. */
int sim_potts_updates(const sim_config *c, size_t B, size_t *K, char *err);

/* Train on v (B x N states 0..m->P-1); vtest may be NULL.  learn_theta:
 * the hidden fields are learned (the default for Potts, SPEC.md 9).  h is
 * the caller's header, completed here; out NULL writes nothing; r may be
 * NULL. */
int sim_potts_run(const sim_config *c, int learn_theta, const ring_model *m, const int8_t *v,
                  size_t B, const int8_t *vtest, size_t B_test, traj_header *h, const char *out,
                  sim_potts_result *r, char *err);

#endif
