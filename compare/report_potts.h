/* report_potts: `symrbm compare` for runs with Potts visible units (SPEC.md
 * 4, 9; issue 10 item 4), the Potts branch of report_run (compare/report.h).
 *
 * Writes compare.tsv (per simulation, snapshot and unit: Q and theory, sim
 * and difference of each SPEC 9 order parameter, compare/cmp_potts.h),
 * overlay_theory.tsv and overlay_sim.tsv (the order parameters over time of
 * either side) and summary.tsv (final Q per unit, mean and sd over seeds,
 * the alignment found, final order parameters of both sides), and unless
 * told not to the figure overlay.png/.pdf (figures/overlay_potts.gp: norm2,
 * R and S_ang, Q, centre, phase, loglik of unit 0 over time).
 */
#ifndef SYM_REPORT_POTTS_H
#define SYM_REPORT_POTTS_H

#include <stddef.h>
#include "compare/report.h"

/* *yes = 1 when dir/trajectory.tsv names a Potts data model
 * (cmp_potts_sym_find).  An unreadable file is *yes = 0 and no error, so
 * that the +-1 path reports it as it always did. */
void report_potts_detect(const char *dir, int *yes);

int report_potts_run(const report_config *c, const char *theory, const char *const *sims, size_t nsim,
                     traj_header *h, const char *out, char *err);

#endif
