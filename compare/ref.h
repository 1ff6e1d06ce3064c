/* ref: a reference profile read back from a run directory (SPEC.md 4, 5):
 * the theory's w at the time a simulation ends, for sim's Q_theory. */
#ifndef SYM_REF_H
#define SYM_REF_H

#include <stddef.h>

/* The mu = 0 profile of dir/weights.tsv at time t (within a relative
 * 1e-9, the rounding of t = lr x updates): w gets N values.  A missing
 * file, rows of another length, no row at t (e.g. a theory run to another
 * T), or a non-finite weight is SYM_EINVAL naming the file. */
int ref_load(const char *dir, size_t N, double t, double *w, char *err);

#endif
