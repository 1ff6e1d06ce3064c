/* opt_train: the trainer's options that `symrbm sim` and `symrbm diffusion`
 * share (SPEC.md 6; the train_config of sim/train.h), declared and turned
 * into a train_config in one place instead of once per command.
 *
 * --hidden, --M, --gamma, --theta, --gamma-m, --theta-m, --fields, --l2,
 * --model-term, --chains, --mc-steps, in this order (the order of --help
 * and of the run header).
 */
#ifndef SYM_OPT_TRAIN_H
#define SYM_OPT_TRAIN_H

#include "cli/opts.h"
#include "sim/train.h"

#define OPT_TRAIN_N 11

typedef struct {
    const char *hidden, *fields, *term;
    double gamma, theta, gamma_m, theta_m;
    int seen_gm, seen_tm;
} opt_train;

/* Defaults: hidden kind `hidden`, fields fixed, model term exact, gamma 1,
 * theta 0 (and their h < 0 sides). */
void opt_train_init(opt_train *o, const char *hidden);
/* Append the OPT_TRAIN_N specs (destinations in o and t); returns
 * OPT_TRAIN_N. */
size_t opt_train_spec(opt_train *o, train_config *t, opt_spec *spec);
/* After parsing: the hidden kind and its parameters (the h < 0 side follows
 * the h >= 0 side unless the kind has its own and they were given), the
 * model term and learn_fields into t; *ut the kind.  Messages name the
 * option. */
int opt_train_finish(const opt_train *o, train_config *t, const unit_type **ut, char *err);

#endif
