/* potts_exact: the exact log Z and model term of a Potts RBM (sim/potts.h):
 * the 1-D integral of one gaussian unit, the 2^M sum of binary units and
 * the enumeration of all P^N visible states.  Sums of exponentials are
 * kept relative to a running maximum (rescaled when it grows), so nothing
 * overflows. */
#include "sim/potts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/visible.h"

/* Trapezoid step in units of 1/sqrt(gamma): relative error below
 * exp(-2 pi^2 / 0.36) ~ 1e-24 (sim/potts.h). */
#define POTTS_DH 0.6

/* Accumulators of one exact sum: Z and the moments relative to exp(ref). */
typedef struct {
    double ref, Z;
    double *m;    /* n moments */
    size_t n;
} acc_t;

/* Weight of a term with exponent f: rescales when f is a new maximum. */
static double acc_weight(acc_t *a, double f)
{
    if (f > a->ref) {
        double sc = exp(a->ref - f);
        a->Z *= sc;
        for (size_t k = 0; a->m && k < a->n; k++)
            a->m[k] *= sc;
        a->ref = f;
    }
    double e = exp(f - a->ref);
    a->Z += e;
    return e;
}

/* One gaussian unit: Z = int dh exp(-gamma h^2/2 - theta h + b h + sum_i
 * lse_c(g_i(c) + w_i(c) h)), by the trapezoid rule (sim/potts.h says why
 * its error is negligible).  p: P scratch; field: P scratch. */
static int exact_gauss(const potts_config *c, const double *x, double *logZ, double *m,
                       char *err)
{
    size_t N = c->N, P = c->P, NP = N * P;
    const double *w = x, *g = x + NP, b = x[2 * NP];
    double gam = c->unit.gamma_p, th = c->unit.theta_p;
    double sp = 0, sm = 0;
    for (size_t i = 0; i < N; i++) {
        double mx = w[i * P], mn = w[i * P];
        for (size_t k = 1; k < P; k++) {
            mx = w[i * P + k] > mx ? w[i * P + k] : mx;
            mn = w[i * P + k] < mn ? w[i * P + k] : mn;
        }
        sp += mx;
        sm += mn;
    }
    double Ap = b - th + sp, Am = b - th + sm;
    double Hp = (Ap + sqrt(Ap * Ap + 2 * POTTS_CUT * gam)) / gam;
    double Hm = (-Am + sqrt(Am * Am + 2 * POTTS_CUT * gam)) / gam;
    double dh = POTTS_DH / sqrt(gam);
    double span = Hp + Hm;
    if (!isfinite(span) || span / dh > 1e7)
        return sym_error(err, SYM_ENUM, "gaussian integral: range %g too wide (weights diverged?)",
                         span);
    size_t nodes = (size_t)ceil(span / dh) + 1;
    double *p = malloc((NP + P) * sizeof *p);
    if (!p)
        return sym_error(err, SYM_ENOMEM, "out of memory");
    double *fx = p + NP;
    acc_t a = {-INFINITY, 0, m, m ? 2 * NP + 1 : 0};
    if (m)
        memset(m, 0, a.n * sizeof *m);
    for (size_t k = 0; k < nodes; k++) {
        double h = -Hm + (double)k * dh;
        double f = -0.5 * gam * h * h + (b - th) * h;
        for (size_t i = 0; i < N; i++) {
            for (size_t q = 0; q < P; q++)
                fx[q] = g[i * P + q] + w[i * P + q] * h;
            f += m ? visible_potts_prob(fx, P, p + i * P) : visible_potts_logpart(fx, P);
        }
        double e = acc_weight(&a, f);
        if (m) {
            for (size_t q = 0; q < NP; q++) {
                m[q] += e * h * p[q];
                m[NP + q] += e * p[q];
            }
            m[2 * NP] += e * h;
        }
    }
    free(p);
    /* the trapezoid weight dh on every node (the ends carry e^-CUT) */
    *logZ = a.ref + log(a.Z * dh);
    if (m)
        for (size_t q = 0; q < a.n; q++)
            m[q] /= a.Z;
    if (!isfinite(*logZ))
        return sym_error(err, SYM_ENUM, "gaussian integral: log Z not finite");
    return SYM_OK;
}

/* Binary units: Z = sum_{s in {-1,1}^M} exp(sum_mu (b_mu - theta) s_mu +
 * sum_i lse_c(g_i(c) + sum_mu s_mu w_{i mu}(c))). */
static int exact_spin(const potts_config *c, const double *x, double *logZ, double *m, char *err)
{
    size_t N = c->N, P = c->P, M = c->M, NP = N * P, MNP = M * NP;
    const double *w = x, *g = x + MNP, *b = x + MNP + NP;
    double th = c->unit.theta_p;
    double *fx = malloc((2 * NP + M) * sizeof *fx);
    if (!fx)
        return sym_error(err, SYM_ENOMEM, "out of memory");
    double *p = fx + NP, *s = p + NP;
    acc_t a = {-INFINITY, 0, m, m ? MNP + NP + M : 0};
    if (m)
        memset(m, 0, a.n * sizeof *m);
    for (uint64_t conf = 0; conf < ((uint64_t)1 << M); conf++) {
        double f = 0;
        memcpy(fx, g, NP * sizeof *fx);
        for (size_t mu = 0; mu < M; mu++) {
            s[mu] = (conf >> mu) & 1 ? 1.0 : -1.0;
            f += (b[mu] - th) * s[mu];
            const double *wm = w + mu * NP;
            for (size_t q = 0; q < NP; q++)
                fx[q] += s[mu] * wm[q];
        }
        for (size_t i = 0; i < N; i++)
            f += m ? visible_potts_prob(fx + i * P, P, p + i * P)
                   : visible_potts_logpart(fx + i * P, P);
        double e = acc_weight(&a, f);
        if (m) {
            for (size_t mu = 0; mu < M; mu++) {
                double es = e * s[mu];
                double *mm = m + mu * NP;
                for (size_t q = 0; q < NP; q++)
                    mm[q] += es * p[q];
                m[MNP + NP + mu] += es;
            }
            for (size_t q = 0; q < NP; q++)
                m[MNP + q] += e * p[q];
        }
    }
    free(fx);
    *logZ = a.ref + log(a.Z);
    if (m)
        for (size_t q = 0; q < a.n; q++)
            m[q] /= a.Z;
    if (!isfinite(*logZ))
        return sym_error(err, SYM_ENUM, "2^M sum: log Z not finite");
    return SYM_OK;
}

/* All P^N visible states: Z = sum_v exp(sum_i g_i(v_i) + sum_mu Gamma(I_mu + b_mu)). */
static int exact_enum(const potts_config *c, const double *x, double *logZ, double *m, char *err)
{
    size_t N = c->N, P = c->P, M = c->M, NP = N * P, MNP = M * NP;
    const double *w = x, *g = x + MNP, *b = x + MNP + NP;
    const unit_params *u = &c->unit;
    size_t *v = calloc(N, sizeof *v);
    double *d = malloc(M * sizeof *d);
    if (!v || !d) {
        free(v);
        free(d);
        return sym_error(err, SYM_ENOMEM, "out of memory");
    }
    acc_t a = {-INFINITY, 0, m, m ? MNP + NP + M : 0};
    if (m)
        memset(m, 0, a.n * sizeof *m);
    for (int more = 1; more;) {
        double f = 0;
        for (size_t i = 0; i < N; i++)
            f += g[i * P + v[i]];
        for (size_t mu = 0; mu < M; mu++) {
            double I = b[mu];
            for (size_t i = 0; i < N; i++)
                I += w[mu * NP + i * P + v[i]];
            f += unit_gamma(u, I);
            d[mu] = unit_dgamma(u, I);
        }
        double e = acc_weight(&a, f);
        if (m) {
            for (size_t mu = 0; mu < M; mu++) {
                for (size_t i = 0; i < N; i++)
                    m[mu * NP + i * P + v[i]] += e * d[mu];
                m[MNP + NP + mu] += e * d[mu];
            }
            for (size_t i = 0; i < N; i++)
                m[MNP + i * P + v[i]] += e;
        }
        /* the next state: digits v_i count up, site 0 fastest */
        more = 0;
        for (size_t i = 0; i < N; i++) {
            if (++v[i] < P) {
                more = 1;
                break;
            }
            v[i] = 0;
        }
    }
    free(v);
    free(d);
    *logZ = a.ref + log(a.Z);
    if (m)
        for (size_t q = 0; q < a.n; q++)
            m[q] /= a.Z;
    if (!isfinite(*logZ))
        return sym_error(err, SYM_ENUM, "enumeration: log Z not finite");
    return SYM_OK;
}

static int enum_ok(const potts_config *c)
{
    return pow((double)c->P, (double)c->N) <= POTTS_ENUM_MAX;
}

const char *potts_exact_name(const potts_config *c)
{
    if (c->M == 1 && c->unit.type->linear)
        return "gaussian integral";
    if (c->unit.type->binary && c->M <= POTTS_SPINX_MMAX)
        return "2^M sum";
    if (enum_ok(c))
        return "enumeration";
    return NULL;
}

int potts_exact(const potts_config *c, const double *x, int enumerate, double *logZ, double *m,
                char *err)
{
    if (!enumerate && c->M == 1 && c->unit.type->linear)
        return exact_gauss(c, x, logZ, m, err);
    if (!enumerate && c->unit.type->binary && c->M <= POTTS_SPINX_MMAX)
        return exact_spin(c, x, logZ, m, err);
    if (enum_ok(c))
        return exact_enum(c, x, logZ, m, err);
    return sym_error(err, SYM_EINVAL, "no exact model term for %zu %s units with P^N = %zu^%zu "
                     "states", c->M, c->unit.type->name, c->P, c->N);
}

int potts_loglik(const potts_config *c, const double *x, const int8_t *v, size_t B, double *ll,
                 char *err)
{
    *ll = NAN;
    if (!potts_exact_name(c))
        return SYM_OK;
    double logZ;
    int st = potts_exact(c, x, 0, &logZ, NULL, err);
    if (st)
        return sym_context(err, st, "log-likelihood");
    size_t N = c->N, P = c->P, M = c->M, NP = N * P, MNP = M * NP;
    const double *w = x, *g = x + MNP, *b = x + MNP + NP;
    const unit_params *u = &c->unit;
    double th = u->theta_p, gam = u->gamma_p;
    double s = 0;
    for (size_t r = 0; r < B; r++) {
        const int8_t *row = v + r * N;
        double f = 0;
        for (size_t i = 0; i < N; i++)
            f += g[i * P + (size_t)row[i]];
        for (size_t mu = 0; mu < M; mu++) {
            const double *wm = w + mu * NP;
            double I = b[mu];
            for (size_t i = 0; i < N; i++)
                I += wm[i * P + (size_t)row[i]];
            /* the closed forms of core/unit.h where a kind has one */
            if (u->type->linear) {
                double y = I - th;
                f += y * y / (2.0 * gam) + 0.5 * log(2.0 * M_PI / gam);
            } else if (u->type->binary) {
                double y = fabs(I - th);
                f += y + log1p(exp(-2.0 * y));
            } else {
                f += unit_gamma(u, I);
            }
        }
        s += f;
    }
    *ll = s / (double)B - logZ;
    return SYM_OK;
}
