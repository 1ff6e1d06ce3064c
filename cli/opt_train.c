/* opt_train: the trainer options of sim and diffusion (cli/opt_train.h). */
#include "cli/opt_train.h"

#include <string.h>

#include "core/err.h"
#include "core/unit.h"

void opt_train_init(opt_train *o, const char *hidden)
{
    *o = (opt_train){.hidden = hidden, .fields = "fixed", .term = "exact",
                     .gamma = 1, .theta = 0, .gamma_m = 1, .theta_m = 0};
}

size_t opt_train_spec(opt_train *o, train_config *t, opt_spec *spec)
{
    const opt_spec s[OPT_TRAIN_N] = {
        {"hidden", OPT_CHOICE, &o->hidden, "hidden-unit kind", unit_type_names(), NULL},
        {"M", OPT_SIZE, &t->M, "hidden units", NULL, NULL},
        {"gamma", OPT_DOUBLE, &o->gamma, "hidden curvature (drelu: h >= 0 side)", NULL, NULL},
        {"theta", OPT_DOUBLE, &o->theta, "hidden threshold (drelu: h >= 0 side)", NULL, NULL},
        {"gamma-m", OPT_DOUBLE, &o->gamma_m, "drelu curvature on h < 0 (default: --gamma)", NULL,
         &o->seen_gm},
        {"theta-m", OPT_DOUBLE, &o->theta_m, "drelu threshold on h < 0 (default: --theta)", NULL,
         &o->seen_tm},
        {"fields", OPT_CHOICE, &o->fields, "visible fields g", "fixed|learn", NULL},
        {"l2", OPT_DOUBLE, &t->l2, "L2 penalty: dw/dt = dL/dw - l2 w", NULL, NULL},
        {"model-term", OPT_CHOICE, &o->term, "model average", "exact|pcd|cd|enum", NULL},
        {"chains", OPT_SIZE, &t->chains, "PCD persistent chains", NULL, NULL},
        {"mc-steps", OPT_SIZE, &t->mc_steps, "Gibbs steps per update (pcd, cd)", NULL, NULL},
    };
    for (size_t k = 0; k < OPT_TRAIN_N; k++)
        spec[k] = s[k];
    return OPT_TRAIN_N;
}

int opt_train_finish(const opt_train *o, train_config *t, const unit_type **ut, char *err)
{
    int st = unit_type_parse(o->hidden, ut, err);
    if (st || (st = train_term_parse(o->term, &t->term, err)))
        return st;
    unit_params_default(&t->unit, *ut);
    t->unit.gamma_p = o->gamma;
    t->unit.theta_p = o->theta;
    t->unit.gamma_m = unit_type_param(*ut, "gamma-m") && o->seen_gm ? o->gamma_m : o->gamma;
    t->unit.theta_m = unit_type_param(*ut, "theta-m") && o->seen_tm ? o->theta_m : o->theta;
    t->learn_fields = !strcmp(o->fields, "learn");
    return SYM_OK;
}
