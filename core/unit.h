/* unit: hidden-unit potentials U(h) and their cumulant functions (SPEC.md 1).
 *
 * Every kind is described by one struct: a quadratic potential on h >= 0
 * (gamma_p, theta_p) and on h < 0 (gamma_m, theta_m), with the support
 * restricted by the kind:
 *   gaussian  U = gamma h^2/2 + theta h on R        (p and m sides equal)
 *   relu      U = gamma h^2/2 + theta h on h >= 0   (m side unused)
 *   drelu     both sides as given, on R
 *   spin      h in {-1,+1}, U(h) = theta h          (gamma unused)
 * For spin, SPEC.md's table writes U = -theta h but its Gamma is
 * log 2cosh(I - theta); we keep U = +theta h so that Gamma(I) is a function
 * of I - theta for every kind (the defaults, theta = 0, agree either way).
 *
 * Gamma(I) = log integral dh exp(-U(h) + h I)   (sum for spin)
 * is the log-partition of one hidden unit given its input I.
 */
#ifndef SYM_UNIT_H
#define SYM_UNIT_H

#include <gsl/gsl_rng.h>

typedef enum { UNIT_GAUSSIAN = 0, UNIT_SPIN = 1, UNIT_RELU = 2, UNIT_DRELU = 3 } unit_kind;

typedef struct {
    unit_kind kind;
    double gamma_p, theta_p;   /* h >= 0 side (all kinds; spin: theta_p)   */
    double gamma_m, theta_m;   /* h <  0 side (gaussian: = p side; drelu)  */
} unit_params;

/* gamma = 1, theta = 0 on both sides. */
void unit_params_default(unit_params *u, unit_kind kind);
int unit_params_check(const unit_params *u, char *err);
const char *unit_kind_name(unit_kind k);
int unit_kind_parse(const char *s, unit_kind *k, char *err);

/* U(h) (+INFINITY outside the support). */
double unit_potential(const unit_params *u, double h);

/* Gamma(I), Gamma'(I) = <h | I>, Gamma''(I) = Var(h | I). */
double unit_gamma(const unit_params *u, double I);
double unit_dgamma(const unit_params *u, double I);
double unit_d2gamma(const unit_params *u, double I);

/* One draw of h from P(h | I) ∝ exp(-U(h) + h I). */
double unit_sample(const unit_params *u, double I, gsl_rng *r);

#endif
