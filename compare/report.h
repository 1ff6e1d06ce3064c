/* report: `symrbm compare` as a library call (SPEC.md 4, 5).
 *
 * Reads a theory run and one or more simulation runs of the same data model
 * (compare/cmp.h), compares each simulation with the theory, and writes
 * compare.tsv (Q and order-parameter differences per snapshot),
 * overlay_theory.tsv, overlay_sim.tsv and summary.tsv (final scores, mean
 * and sd over seeds) as one set (core/run.h), then draws overlay.png/.pdf
 * with gnuplot unless asked not to.
 */
#ifndef SYM_REPORT_H
#define SYM_REPORT_H

#include <stddef.h>
#include "core/traj.h"

typedef struct {
    size_t mu;                /* the simulations' hidden unit compared      */
    int plot;                 /* draw the overlay figure                    */
    const char *plot_script;  /* gnuplot script, NULL: found (report_plot)  */
    int mu_given;             /* mu was asked for: compare that unit only,
                                 even when both runs have M >= 2 units     */
} report_config;

/* theory: the theory run directory; sims[0..nsim-1] the simulation runs.
 * Units are matched when mu_given is 0 and the theory and the first
 * simulation both have M >= 2 units (every simulation must then have the
 * theory's M); otherwise simulation unit mu is compared with theory unit 0,
 * as with one unit.  h
 * the caller's header (run_header + options), completed with the inputs,
 * their seeds and the data model's keys. */
/* The gnuplot script `name`: given when not NULL, else $SYMRBM_FIGURES/name,
 * figures/name below the working directory, or BIN/../figures/name. */
int report_find_script(const char *given, const char *name, char *path, size_t cap, char *err);

int report_run(const report_config *c, const char *theory, const char *const *sims, size_t nsim,
               traj_header *h, const char *out, char *err);

#endif
