/* visible: the visible-unit kinds (core/visible.h), one section per kind,
 * then the table. */
#include "core/visible.h"

#include <math.h>
#include <string.h>

#include "core/err.h"

/* ---- spin: v in {-1, +1}, state c = 0 is -1, c = 1 is +1 ------------------ */

static const double spin_enc[] = {-1.0, 1.0};

/* log 2cosh x = |x| + log(1 + e^{-2|x|}): no overflow for any x */
static double spin_logpart(const double *x)
{
    double a = fabs(x[0]);
    return a + log1p(exp(-2.0 * a));
}

static void spin_mean(const double *x, double *m)
{
    m[0] = tanh(x[0]);
}

/* v = +1 iff 2u - 1 < tanh x, i.e. with probability (1 + tanh x)/2: the
 * rule of the trainer's visible half-step (sim/kern_sim.h) */
static size_t spin_draw(const double *x, double u)
{
    return 2.0 * u - 1.0 < tanh(x[0]) ? 1 : 0;
}

const visible_type visible_spin = {"spin", 2, 1, spin_enc, spin_logpart, spin_mean, spin_draw};

/* ---- Potts: v in {0..P-1}, one-hot, softmax over the P fields ------------- */

double visible_potts_logpart(const double *x, size_t P)
{
    double mx = x[0];
    for (size_t c = 1; c < P; c++)
        mx = x[c] > mx ? x[c] : mx;
    double z = 0;
    for (size_t c = 0; c < P; c++)
        z += exp(x[c] - mx);
    return mx + log(z);
}

double visible_potts_prob(const double *x, size_t P, double *p)
{
    double mx = x[0];
    for (size_t c = 1; c < P; c++)
        mx = x[c] > mx ? x[c] : mx;
    double z = 0;
    for (size_t c = 0; c < P; c++)
        z += p[c] = exp(x[c] - mx);
    double iz = 1.0 / z;
    for (size_t c = 0; c < P; c++)
        p[c] *= iz;
    return mx + log(z);
}

size_t visible_potts_draw(const double *p, size_t P, double u)
{
    double s = 0;
    for (size_t c = 0; c + 1 < P; c++)
        if (u < (s += p[c]))
            return c;
    return P - 1;
}

/* ---- the table ------------------------------------------------------------- */

const visible_type *const visible_types[] = {&visible_spin, NULL};

int visible_type_parse(const char *s, const visible_type **t, char *err)
{
    for (size_t j = 0; visible_types[j]; j++)
        if (s && !strcmp(s, visible_types[j]->name)) {
            *t = visible_types[j];
            return SYM_OK;
        }
    char list[256] = "";
    for (size_t j = 0; visible_types[j]; j++) {
        if (j)
            strncat(list, "|", sizeof list - strlen(list) - 1);
        strncat(list, visible_types[j]->name, sizeof list - strlen(list) - 1);
    }
    return sym_error(err, SYM_EINVAL, "visible-unit kind '%s': expected %s", s ? s : "", list);
}
