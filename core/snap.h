/* snap: the snapshot times shared by theory and sim (SPEC.md 5): t = 0, then
 * S points log-spaced (or linearly spaced) up to T.  The log grid starts at
 * T * SNAP_LOG_SPAN so that the linear regime (t ~ 1/(lambda_max - 1)) and the
 * late, slow localisation are both resolved. */
#ifndef SYM_SNAP_H
#define SYM_SNAP_H

#include <stddef.h>

/* First log-spaced snapshot as a fraction of T: three decades. */
#define SNAP_LOG_SPAN 1e-3
/* Most snapshots a run may ask for (each is a row per hidden unit). */
#define SNAP_MAX 10000000

/* Fill t[0..S] (S + 1 values): t[0] = 0, t[S] = T, increasing. */
void snap_times(double T, size_t S, int linear, double *t);

#endif
