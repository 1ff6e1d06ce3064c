/* unit: hidden-unit potentials U(h) and their cumulant functions (SPEC.md 1).
 *
 * Every kind is one `unit_type` (the gsl_rng_type pattern): its name, its
 * parameters, its functions, and what core/marg and sim/train need to know
 * about it, all in one const table entry in core/unit.c; no code outside
 * that file looks at which kind it holds.  The parameters of a unit are a
 * quadratic potential on h >= 0 (gamma_p, theta_p) and on h < 0 (gamma_m,
 * theta_m), with the support restricted by the kind:
 *   gaussian  U = gamma h^2/2 + theta h on R        (p side only)
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

#include <stddef.h>
#include <gsl/gsl_rng.h>

typedef struct unit_type unit_type;

typedef struct {
    const unit_type *type;
    double gamma_p, theta_p;   /* h >= 0 side (all kinds; spin: theta_p)   */
    double gamma_m, theta_m;   /* h <  0 side (drelu only)                 */
} unit_params;

/* One parameter of a kind, for options and headers made from the table. */
typedef struct {
    const char *key;       /* "gamma", "theta", "gamma-m", "theta-m"         */
    size_t offset;         /* offsetof(unit_params, the double it sets)     */
    double def;            /* default value                                 */
    const char *same_as;   /* NULL, or the key whose value is the default   */
    const char *help;
} unit_param;

/* A half-line piece of a continuous support (core/marg integrates each):
 * h = s y, y >= 0, s = +-1, on which U = gamma y^2/2 + s theta y. */
typedef struct {
    double s, gamma, theta;
} unit_piece;

#define UNIT_MAX_PIECES 2

struct unit_type {
    const char *name;
    const unit_param *par;
    size_t npar;
    /* the kind's own conditions on its parameters (theta finite is common) */
    int (*check)(const unit_params *u, char *err);
    double (*potential)(const unit_params *u, double h);
    double (*gamma)(const unit_params *u, double I);
    double (*dgamma)(const unit_params *u, double I);
    double (*d2gamma)(const unit_params *u, double I);
    double (*sample)(const unit_params *u, double I, gsl_rng *r);

    /* core/marg, the 1-D integral over h: a discrete support lists its
     * npoint points (weights exp(-U)); a continuous one gives its pieces
     * (count returned) and says when U is even (U(h) = U(-h)), where marg
     * integrates h >= 0 only and mirrors it. */
    size_t npoint;
    const double *point;
    /* pc[0] is the h >= 0 side (s = +1) and pc[1], if any, the h < 0 side */
    size_t (*pieces)(const unit_params *u, unit_piece pc[UNIT_MAX_PIECES]);
    int (*even)(const unit_params *u);

    /* sim/train: closed forms its vectorised block kernels use in place of
     * the calls above (same values; see sim/train.c).
     * linear: U = gamma_p h^2/2 + theta_p h on R, so Gamma'(I) =
     *   (I - theta_p) / gamma_p, h | I is gaussian with variance 1 / gamma_p,
     *   Gamma(I) = (I - theta_p)^2 / (2 gamma_p) + log sqrt(2 pi / gamma_p),
     *   and the data term is linear in w: C^ w (SPEC.md 3a).
     * binary: h in {-1, +1}, Gamma'(I) = tanh(I - theta_p),
     *   P(h = 1 | I) = (1 + tanh(I - theta_p)) / 2. */
    int linear, binary;
};

extern const unit_type unit_gaussian, unit_spin, unit_relu, unit_drelu;

/* Every kind, in a fixed order, NULL-terminated. */
extern const unit_type *const unit_types[];

/* "gaussian|spin|relu|drelu" (static storage), for option choices. */
const char *unit_type_names(void);
/* The kind called s, or SYM_EINVAL "hidden-unit kind 's': expected
 * gaussian|spin|relu|drelu" (the list from the table). */
int unit_type_parse(const char *s, const unit_type **t, char *err);

/* The parameter `key` of kind t, or NULL if t has none of that name. */
const unit_param *unit_type_param(const unit_type *t, const char *key);

/* gamma = 1, theta = 0 on both sides. */
void unit_params_default(unit_params *u, const unit_type *t);
int unit_params_check(const unit_params *u, char *err);

/* U(h) (+INFINITY outside the support). */
double unit_potential(const unit_params *u, double h);

/* Gamma(I), Gamma'(I) = <h | I>, Gamma''(I) = Var(h | I). */
double unit_gamma(const unit_params *u, double I);
double unit_dgamma(const unit_params *u, double I);
double unit_d2gamma(const unit_params *u, double I);

/* One draw of h from P(h | I) ∝ exp(-U(h) + h I). */
double unit_sample(const unit_params *u, double I, gsl_rng *r);

#endif
