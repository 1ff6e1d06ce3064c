/* suites: one Check suite per module.  Each tests/test_MODULE.c defines
 * MODULE_suite(); tests/run.c runs every suite that is linked in (weak
 * symbols), or only those named on its command line. */
#ifndef SYM_SUITES_H
#define SYM_SUITES_H

#include <check.h>

#define SYM_SUITE_LIST(X) \
    X(err) X(sys) X(run) X(task) X(opts) X(rng) X(ring) X(model) X(unit) X(visible) X(obs) X(obs_potts) X(traj) \
    X(kern) X(marg) X(flow) X(flow_spin) X(phase) X(sample) X(train) X(ckpt) X(spinx) X(rmt) X(compare) \
    X(threshold) X(cli) X(defects) X(smallbeta) X(xy) X(restore) X(diffusion) X(rmtxy) \
    X(potts_sim) X(pinning) X(flow_potts) X(kern_sim) X(cmp_potts) X(team)

#define SYM_DECLARE(name) Suite *name##_suite(void) __attribute__((weak));
SYM_SUITE_LIST(SYM_DECLARE)
#undef SYM_DECLARE

#endif
