/* run_potts (theory): one theory experiment with Potts visible units as a
 * library call (SPEC.md 9 with 3a, 3b, 4 and 5): the flow of
 * theory/flow_potts.h from the shared w(0) to T, the SPEC 9 order
 * parameters (core/obs_potts.h) and the exact log-likelihood at every
 * snapshot, written as one file set (core/run.h).  theory_run (theory/run.h)
 * hands every non-spectrum run of a Potts data model here.
 */
#ifndef SYM_THEORY_RUN_POTTS_H
#define SYM_THEORY_RUN_POTTS_H

#include <stdio.h>
#include "core/ring.h"
#include "core/traj.h"
#include "theory/run.h"

/* The run.  Files: spectrum.tsv (k p lambda rate), trajectory.tsv
 * (traj_potts_columns), weights.tsv (rows `t mu c w_0 .. w_{N-1}`, one per
 * colour, SPEC.md 5), theta.tsv (`t mu theta`, the learned hidden fields),
 * sites.tsv (the final per-site `mu i A phi W_ang s` of SPEC 9: harmonic
 * amplitude and phase, W^angular, site power) and summary.tsv.  w_final
 * (M x N x P, may be NULL) gets the final profiles; r (may be NULL) the
 * final values of unit 0 (r->final holds the +-1 fields that exist for a
 * Potts profile: norm2 pr R S center a_k). */
int theory_run_potts(const theory_config *c, const ring_model *m, traj_header *h, const char *out,
                     double *w_final, theory_result *r, char *err);

/* spectrum.tsv of a Potts model (shared with `theory --spectrum`): lam
 * (N x P) from ring_potts_spectrum and the header keys lambda_top,
 * lambda_top_k, lambda_top_p, Lambda_XY, entropy_per_site into h; then the
 * rows `k p lambda rate`, rate = lambda - 1/P - l2 (SPEC 9). */
int theory_potts_spectrum(const ring_model *m, traj_header *h, double *lam, char *err);
void theory_potts_spectrum_write(FILE *fp, const double *lam, size_t N, size_t P, double l2);

#endif
