/* potts: the Potts-visible trainer (sim/potts.h): data term, Gibbs chains
 * (PCD, CD), gradient with the zero-sum gauge, SGD/ADAM and the update loop.
 *
 * Speed (the discipline of sim/kern_sim.h): the inner loops over N x P are
 * plain arithmetic on contiguous rows - the visible field of a chain is M
 * axpy sweeps of length N P, its softmax vector arithmetic across sites on
 * a state-major copy of the parameters (sim/kern_potts.h), the inputs I_mu
 * and the data term N vector operations per row on a copy of the weights
 * with each (site, state)'s M weights contiguous (sim/kern_potts_ew.h) -
 * and the hidden-unit closed forms (gaussian, binary) are inline; only
 * relu/drelu draws call core/unit.h, once per (chain, unit).  The copies
 * change no sum's terms or order: the numbers are those of the direct
 * loops.  Uniforms come from the
 * vector xoshiro lanes of kern_sim, re-seeded from the training stream at
 * every model term (as sim/train.c).
 */
#include "sim/potts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

#include "core/err.h"
#include "core/obs_potts.h"
#include "core/rng.h"
#include "sim/kern_potts.h"
#include "sim/kern_potts_ew.h"
#include "sim/kern_sim.h"

struct potts_ws {
    potts_config c;
    const int8_t *data;
    size_t B;
    size_t n;          /* potts_nparam                                     */
    int8_t *chain;     /* PCD: chains x N persistent; CD: batch x N scratch */
    size_t nchain;
    double *h;         /* chains x M hidden states                         */
    double *fx;        /* 2 N P softmax scratch of one chain               */
    double *p;         /* N P softmax probabilities of one chain           */
    /* the transposed weights of data term and hidden inputs (lanes S,
     * sim/kern_potts_ew.h) at the x of the current gradient */
    size_t S;
    double *wT, *bS;   /* N P x S weights, S hidden fields                  */
    double *dT;        /* N P x S data-term sums                            */
    double *Ich;       /* chains x S inputs of the chains' rows             */
    double *Tch, *Tsc; /* binary units: their tanh estimates, scratch       */
    double *Isc;       /* 5 S scratch                                       */
    /* the softmax, state-major (sim/kern_potts.h): element q N + i */
    double *gS, *wS;   /* fields, weights (M x N P) at x                    */
    double *pT, *cdfT; /* one chain's probabilities and running sums        */
    double *mT;        /* (M + 1) N P v-mean sums (+ scratch rows)          */
    double *d, *mt, *gr;  /* data term, model term, gradient (n each)       */
    double *am, *as;   /* ADAM moments                                     */
    size_t *perm;      /* minibatch order                                  */
    size_t pos;
    kern_sim_rng q;
    double *u;         /* uniform pool of nu, next unused at upos          */
    size_t nu, upos;
    /* binary units, 2^M 2 N P <= POTTS_CACHE_MAX: the softmax of each hidden
     * configuration met in a model term, computed once (potts_model_term) */
    double *pc;        /* 2^M x (N P probabilities, N P running sums)     */
    unsigned char *have;
    size_t *ccount;    /* chains ending in each configuration              */
    const double **vp; /* the probabilities of the configurations met      */
    double *vcoef;     /* and their coefficients (kern_potts_vmean)         */
};

/* Doubles of the configuration cache at most (32 MB). */
#define POTTS_CACHE_MAX ((size_t)1 << 22)

/* Lanes of the transposed layout: the M units and the data term's count
 * (lane M), rounded up to whole vectors. */
static size_t lanes(size_t M)
{
    return (M + KERN_POTTS_LANES) / KERN_POTTS_LANES * KERN_POTTS_LANES;
}

/* wT[(i P + c) S + mu] = w_{i mu}(c), bS[mu] = b_mu, zero at mu >= M: the
 * M weights of a (site, state) in one contiguous run, so the inputs of a
 * row are N vector additions and the data term N vector updates. */
static void transpose_w(const potts_config *c, const double *x, size_t S, double *wT,
                        double *bS)
{
    size_t NP = c->N * c->P, M = c->M;
    for (size_t k = 0; k < NP; k++) {
        double *t = wT + k * S;
        for (size_t mu = 0; mu < M; mu++)
            t[mu] = x[mu * NP + k];
        for (size_t mu = M; mu < S; mu++)
            t[mu] = 0;
    }
    for (size_t mu = 0; mu < S; mu++)
        bS[mu] = mu < M ? x[M * NP + NP + mu] : 0;
}

size_t potts_nparam(const potts_config *c)
{
    return c->M * c->N * c->P + c->N * c->P + c->M;
}

int potts_config_check(const potts_config *c, char *err)
{
    if (c->N < 1)
        return sym_error(err, SYM_EINVAL, "N = %zu: need N >= 1", c->N);
    if (c->M < 1)
        return sym_error(err, SYM_EINVAL, "M = %zu: need at least one hidden unit", c->M);
    if (c->P < 2 || c->P > 127)
        return sym_error(err, SYM_EINVAL, "P = %zu: need 2 <= P <= 127", c->P);
    if ((double)c->M * (double)c->N * (double)c->P > 1e9)
        return sym_error(err, SYM_ENOMEM, "M x N x P = %zu x %zu x %zu weights: too many", c->M,
                         c->N, c->P);
    int st = unit_params_check(&c->unit, err);
    if (st)
        return sym_context(err, st, "hidden units");
    if (!(c->lr > 0) || !isfinite(c->lr))
        return sym_error(err, SYM_EINVAL, "lr = %g: must be > 0", c->lr);
    if (!(c->l2 >= 0) || !isfinite(c->l2))
        return sym_error(err, SYM_EINVAL, "l2 = %g: must be >= 0", c->l2);
    switch (c->term) {
    case TRAIN_EXACT:
        if (c->M == 1 && c->unit.type->linear)
            break;
        if (c->unit.type->binary && c->M <= POTTS_SPINX_MMAX)
            break;
        return sym_error(err, SYM_EINVAL, "model term exact with Potts visible units needs one "
                         "gaussian unit or binary units with M <= %d (%zu %s: use pcd, cd or "
                         "enum)", POTTS_SPINX_MMAX, c->M, c->unit.type->name);
    case TRAIN_ENUM:
        if (pow((double)c->P, (double)c->N) > POTTS_ENUM_MAX)
            return sym_error(err, SYM_EINVAL, "model term enum needs P^N <= 2^20 (P = %zu, "
                             "N = %zu)", c->P, c->N);
        break;
    case TRAIN_PCD:
        if (c->chains < 1)
            return sym_error(err, SYM_EINVAL, "chains = 0: pcd needs at least one chain");
        /* fall through */
    case TRAIN_CD:
        if (c->mc_steps < 1)
            return sym_error(err, SYM_EINVAL, "mc_steps = 0: need at least one Gibbs step");
        if (c->mc_steps > TRAIN_MC_STEPS_MAX)
            return sym_error(err, SYM_EINVAL, "mc_steps = %zu: more than %d Gibbs steps per "
                             "update", c->mc_steps, TRAIN_MC_STEPS_MAX);
        break;
    default:
        return sym_error(err, SYM_EINVAL, "unknown model term %d", (int)c->term);
    }
    if (c->opt != TRAIN_SGD && c->opt != TRAIN_ADAM)
        return sym_error(err, SYM_EINVAL, "unknown optimizer %d", (int)c->opt);
    return SYM_OK;
}

void potts_free(potts_ws *ws)
{
    if (!ws)
        return;
    free(ws->chain);
    free(ws->h);
    free(ws->fx);
    free(ws->p);
    free(ws->wT);
    free(ws->bS);
    free(ws->dT);
    free(ws->Ich);
    free(ws->Tch);
    free(ws->Tsc);
    free(ws->Isc);
    free(ws->gS);
    free(ws->wS);
    free(ws->pT);
    free(ws->cdfT);
    free(ws->mT);
    free(ws->d);
    free(ws->mt);
    free(ws->gr);
    free(ws->am);
    free(ws->as);
    free(ws->perm);
    free(ws->u);
    free(ws->pc);
    free(ws->have);
    free(ws->ccount);
    free(ws->vp);
    free(ws->vcoef);
    free(ws);
}

int potts_alloc(potts_ws **out, const potts_config *c, const int8_t *v, size_t B, gsl_rng *r,
                char *err)
{
    *out = NULL;
    int st = potts_config_check(c, err);
    if (st)
        return st;
    if (B < 1 || !v)
        return sym_error(err, SYM_EINVAL, "B = %zu: need at least one training sample", B);
    for (size_t k = 0; k < B * c->N; k++)
        if (v[k] < 0 || (size_t)v[k] >= c->P)
            return sym_error(err, SYM_EINVAL, "sample %zu, site %zu: state %d outside 0..%zu",
                             k / c->N, k % c->N, (int)v[k], c->P - 1);
    potts_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return sym_error(err, SYM_ENOMEM, "out of memory");
    ws->c = *c;
    ws->data = v;
    ws->B = B;
    size_t N = c->N, NP = N * c->P, n = potts_nparam(c);
    ws->n = n;
    int full = c->batch == 0 || c->batch >= B;
    ws->nchain = c->term == TRAIN_PCD ? c->chains : c->term == TRAIN_CD ? (full ? B : c->batch) : 0;
    if (ws->nchain) {
        ws->chain = malloc(ws->nchain * N);
        ws->h = malloc(ws->nchain * c->M * sizeof *ws->h);
    }
    ws->S = lanes(c->M);
    ws->wT = malloc(NP * ws->S * sizeof *ws->wT);
    ws->bS = malloc(ws->S * sizeof *ws->bS);
    ws->dT = malloc(NP * ws->S * sizeof *ws->dT);
    ws->Ich = malloc((ws->nchain > 1 ? ws->nchain : 1) * ws->S * sizeof *ws->Ich);
    ws->Isc = malloc(5 * ws->S * sizeof *ws->Isc);
    ws->Tch = malloc((ws->nchain > 1 ? ws->nchain : 1) * ws->S * sizeof *ws->Tch);
    ws->Tsc = malloc((ws->nchain > 1 ? ws->nchain : 1) * ws->S * sizeof *ws->Tsc);
    ws->gS = malloc(NP * sizeof *ws->gS);
    ws->wS = malloc(c->M * NP * sizeof *ws->wS);
    ws->pT = malloc(NP * sizeof *ws->pT);
    ws->cdfT = malloc(NP * sizeof *ws->cdfT);
    ws->mT = calloc((c->M + 1 + 3) / 4 * 4 * NP, sizeof *ws->mT);  /* kern_potts_vmean */
    ws->fx = malloc(2 * NP * sizeof *ws->fx);
    ws->p = malloc(NP * sizeof *ws->p);
    ws->d = malloc(n * sizeof *ws->d);
    ws->mt = malloc(n * sizeof *ws->mt);
    ws->gr = malloc(n * sizeof *ws->gr);
    ws->am = calloc(n, sizeof *ws->am);
    ws->as = calloc(n, sizeof *ws->as);
    ws->perm = malloc(B * sizeof *ws->perm);
    size_t nu = (N + c->M) * 8;
    nu = nu > 4096 ? nu : 4096;
    ws->nu = (nu + KERN_SIM_UCHUNK - 1) / KERN_SIM_UCHUNK * KERN_SIM_UCHUNK;
    ws->upos = ws->nu;
    ws->u = malloc(ws->nu * sizeof *ws->u);
    if ((ws->nchain && (!ws->chain || !ws->h)) || !ws->fx || !ws->p ||
        !ws->wT || !ws->bS || !ws->dT || !ws->Ich || !ws->Isc || !ws->Tch || !ws->Tsc ||
        !ws->gS || !ws->wS || !ws->pT || !ws->cdfT || !ws->mT || !ws->d || !ws->mt ||
        !ws->gr || !ws->am || !ws->as || !ws->perm || !ws->u) {
        potts_free(ws);
        return sym_error(err, SYM_ENOMEM, "out of memory");
    }
    if (ws->nchain && c->unit.type->binary && c->M <= 20 &&
        ((size_t)1 << c->M) * 2 * NP <= POTTS_CACHE_MAX) {
        size_t nconf = (size_t)1 << c->M;
        ws->pc = malloc(nconf * 2 * NP * sizeof *ws->pc);
        ws->have = malloc(nconf);
        ws->ccount = malloc(nconf * sizeof *ws->ccount);
        ws->vp = malloc(nconf * sizeof *ws->vp);
        ws->vcoef = malloc(nconf * ((c->M + 1 + 3) / 4 * 4) * sizeof *ws->vcoef);
        if (!ws->pc || !ws->have || !ws->ccount || !ws->vp || !ws->vcoef) {
            potts_free(ws);
            return sym_error(err, SYM_ENOMEM, "out of memory");
        }
    }
    for (size_t b = 0; b < B; b++)
        ws->perm[b] = b;
    if (c->term == TRAIN_PCD)
        for (size_t k = 0; k < ws->nchain * N; k++)
            ws->chain[k] = (int8_t)gsl_rng_uniform_int(r, (unsigned long)c->P);
    *out = ws;
    return SYM_OK;
}

int potts_init(const potts_config *c, uint64_t seed, double s0, double *x, char *err)
{
    size_t NP = c->N * c->P, n = potts_nparam(c);
    memset(x, 0, n * sizeof *x);
    /* rng_init_weights gives s0 z / sqrt(N P) over N P entries per unit */
    if (rng_init_weights(seed, NP, c->M, s0, x))
        return sym_error(err, SYM_ENOMEM, "out of memory");
    double sc = sqrt((double)c->P);
    for (size_t k = 0; k < c->M * NP; k++)
        x[k] *= sc;
    for (size_t mu = 0; mu < c->M; mu++)
        obs_potts_gauge(x + mu * NP, c->N, c->P);
    return SYM_OK;
}

/* Gamma'(I) for the closed-form kinds, else core/unit.h. */
static inline double dgamma(const unit_params *u, double I)
{
    if (u->type->linear)
        return (I - u->theta_p) / u->gamma_p;
    if (u->type->binary)
        return tanh(I - u->theta_p);
    return unit_dgamma(u, I);
}

/* I_mu = b_mu + sum_i w_{i mu}(v_i) for the nm units m0.. at once: each
 * sum in its own register, added in site order as a loop per unit would
 * (the same value), but four independent chains of additions instead of
 * one.  A block of fewer than four units repeats unit m0 in the spare
 * accumulators (read, never stored). */
#define INPUTS_BLOCK 4
static inline void inputs(const double *x, const double *b, const int8_t *row, size_t N,
                          size_t P, size_t m0, size_t nm, double *I)
{
    size_t NP = N * P;
    const double *w0 = x + m0 * NP;
    size_t o1 = nm > 1 ? NP : 0, o2 = nm > 2 ? 2 * NP : 0, o3 = nm > 3 ? 3 * NP : 0;
    double a0 = b[m0], a1 = b[m0 + (o1 ? 1 : 0)], a2 = b[m0 + (o2 ? 2 : 0)],
           a3 = b[m0 + (o3 ? 3 : 0)];
    for (size_t i = 0; i < N; i++) {
        const double *wi = w0 + i * P + (size_t)row[i];
        a0 += wi[0];
        a1 += wi[o1];
        a2 += wi[o2];
        a3 += wi[o3];
    }
    I[0] = a0;
    if (nm > 1)
        I[1] = a1;
    if (nm > 2)
        I[2] = a2;
    if (nm > 3)
        I[3] = a3;
}

/* The data term from the transposed weights: per row its inputs (four rows
 * at once), Gamma' of each, then one vector update of the row's slot at
 * every site with (Gamma'_0 .. Gamma'_{M-1}, 1, 0 ..).  Every sum gets the
 * same terms in the same (row) order as the direct scattered sums into d,
 * so the values are theirs. */
static void data_term_t(const potts_config *c, const double *wT, const double *bS, size_t S,
                        const int8_t *base, const size_t *idx, size_t nb, double *dT,
                        double *sc, double *d)
{
    size_t N = c->N, P = c->P, M = c->M, NP = N * P, MNP = M * NP;
    double *Ib = sc, *hr = sc + 4 * S;
    memset(dT, 0, NP * S * sizeof *dT);
    double *dh = d + MNP + NP;
    for (size_t mu = 0; mu < M; mu++)
        dh[mu] = 0;
    for (size_t r0 = 0; r0 < nb; r0 += 4) {
        size_t nr = nb - r0 < 4 ? nb - r0 : 4;
        const int8_t *rows[4];
        for (size_t r = 0; r < nr; r++)
            rows[r] = base + (idx ? idx[r0 + r] : r0 + r) * N;
        kern_potts_inputs(wT, bS, S, N, P, rows, nr, Ib);
        for (size_t r = 0; r < nr; r++) {
            for (size_t mu = 0; mu < M; mu++) {
                hr[mu] = dgamma(&c->unit, Ib[r * S + mu]);
                dh[mu] += hr[mu];
            }
            hr[M] = 1.0;
            for (size_t l = M + 1; l < S; l++)
                hr[l] = 0;
            kern_potts_scatter(dT, S, N, P, rows[r], hr);
        }
    }
    double inv = 1.0 / (double)nb;
    for (size_t k = 0; k < NP; k++) {
        const double *t = dT + k * S;
        for (size_t mu = 0; mu < M; mu++)
            d[mu * NP + k] = t[mu] * inv;
        d[MNP + k] = t[M] * inv;
    }
    for (size_t mu = 0; mu < M; mu++)
        dh[mu] *= inv;
}

int potts_data_term(const potts_config *c, const double *x, const int8_t *base,
                    const size_t *idx, size_t nb, double *d)
{
    size_t NP = c->N * c->P, S = lanes(c->M);
    double *buf = malloc((2 * NP * S + 6 * S) * sizeof *buf);
    if (!buf)
        return SYM_ENOMEM;
    double *wT = buf, *dT = buf + NP * S, *bS = dT + NP * S;
    transpose_w(c, x, S, wT, bS);
    data_term_t(c, wT, bS, S, base, idx, nb, dT, bS + S, d);
    free(buf);
    return SYM_OK;
}

void potts_gibbs_seed(potts_ws *ws, gsl_rng *r)
{
    kern_sim_rng_seed(&ws->q, r);
    ws->upos = ws->nu;
}

/* The next n uniforms of the pool (n <= nu). */
static const double *uniforms(potts_ws *ws, size_t n)
{
    if (ws->upos + n > ws->nu) {
        kern_sim_uniform(&ws->q, ws->u, ws->nu);
        ws->upos = 0;
    }
    const double *u = ws->u + ws->upos;
    ws->upos += n;
    return u;
}

/* Binary units: the draw v = 2u - 1 < tanh(I - theta) decided from an
 * estimate te of the tanh (kern_potts_tanh_est, error < 3e-15; glibc's
 * tanh is within 3 ulp, < 7e-16) wherever v is farther than
 * POTTS_TMARGIN from te - the comparison with glibc's tanh then has the
 * same outcome - and with that tanh itself elsewhere (NaN included; u a
 * multiple of 2^-32, at most one of its 2^32 values per estimate): the
 * same h as before every time, at the cost of one vector exp per chain
 * instead of M tanh calls. */
#define POTTS_TMARGIN 0x1p-40

/* h | I for one chain (I_mu including b_mu): a draw of the unit's kind;
 * te the tanh estimates of binary units (NULL: tanh). */
static void draw_h(potts_ws *ws, const double *I, const double *te, double *h, gsl_rng *r)
{
    const unit_params *u = &ws->c.unit;
    size_t M = ws->c.M;
    const double *uu = u->type->binary ? uniforms(ws, M) : NULL;
    for (size_t mu = 0; mu < M; mu++) {
        if (u->type->binary) {
            double v = 2.0 * uu[mu] - 1.0, d = te ? v - te[mu] : 0;
            if (d < -POTTS_TMARGIN)
                h[mu] = 1.0;
            else if (d > POTTS_TMARGIN)
                h[mu] = -1.0;
            else
                h[mu] = v < tanh(I[mu] - u->theta_p) ? 1.0 : -1.0;
        } else if (u->type->linear)
            h[mu] = (I[mu] - u->theta_p) / u->gamma_p +
                    gsl_ran_gaussian_ziggurat(r, 1.0) / sqrt(u->gamma_p);
        else
            h[mu] = unit_sample(u, I[mu], r);
    }
}

/* h | v for one chain: I_mu + b_mu, then a draw of the unit's kind. */
void potts_gibbs_h(potts_ws *ws, const double *x, const int8_t *row, double *h, gsl_rng *r)
{
    const potts_config *c = &ws->c;
    size_t N = c->N, P = c->P, M = c->M, NP = N * P;
    double *I = ws->Isc;
    for (size_t mu = 0; mu < M; mu += INPUTS_BLOCK)
        inputs(x, x + M * NP + NP, row, N, P, mu, M - mu < INPUTS_BLOCK ? M - mu : INPUTS_BLOCK,
               I + mu);
    draw_h(ws, I, NULL, h, r);
}

/* gS, wS: the fields and weights of x state-major (element q N + i of
 * each N P block), so that the softmax is vector arithmetic across sites. */
static void transpose_state(potts_ws *ws, const double *x)
{
    size_t N = ws->c.N, P = ws->c.P, M = ws->c.M, NP = N * P;
    for (size_t mu = 0; mu <= M; mu++) {
        const double *a = x + mu * NP;
        double *t = mu < M ? ws->wS + mu * NP : ws->gS;
        for (size_t i = 0; i < N; i++)
            for (size_t q = 0; q < P; q++)
                t[q * N + i] = a[i * P + q];
    }
}

/* v | h for one chain: the field g + sum_mu h_mu w_mu (gS, wS), its
 * softmax per site into p and running sums into cdf, state-major. */
static void softmax_h(potts_ws *ws, const double *h, double *p, double *cdf)
{
    size_t N = ws->c.N, P = ws->c.P, M = ws->c.M;
    kern_potts_softmax(ws->gS, ws->wS, h, M, N, P, ws->fx, p, cdf);
}

const double *potts_gibbs_v(potts_ws *ws, const double *x, const double *h, int8_t *row)
{
    size_t N = ws->c.N, P = ws->c.P;
    transpose_state(ws, x);
    softmax_h(ws, h, ws->pT, ws->cdfT);
    /* the first c with u < cdf_c (the last state if none), as
     * visible_potts_draw, without its data-dependent branch */
    kern_potts_draw(ws->cdfT, uniforms(ws, N), N, P, row);
    for (size_t i = 0; i < N; i++)
        for (size_t q = 0; q < P; q++)
            ws->p[i * P + q] = ws->pT[q * N + i];
    return ws->p;
}

/* The model term with ws->wT, ws->bS at x. */
static int model_term_t(potts_ws *ws, const double *x, const int8_t *base, const size_t *idx,
                        size_t nb, gsl_rng *r, double *m, char *err)
{
    const potts_config *c = &ws->c;
    if (c->term == TRAIN_EXACT || c->term == TRAIN_ENUM) {
        double logZ;
        return potts_exact(c, x, c->term == TRAIN_ENUM, &logZ, m, err);
    }
    size_t N = c->N, P = c->P, M = c->M, NP = N * P, MNP = M * NP, nc = ws->nchain;
    if (c->term == TRAIN_CD) {
        nc = nb < ws->nchain ? nb : ws->nchain;
        for (size_t k = 0; k < nc; k++)
            memcpy(ws->chain + k * N, base + (idx ? idx[k] : k) * N, N);
    }
    potts_gibbs_seed(ws, r);
    /* the inputs of every chain's first step, four chains at once */
    size_t S = ws->S;
    for (size_t k0 = 0; k0 < nc; k0 += 4) {
        size_t nr = nc - k0 < 4 ? nc - k0 : 4;
        const int8_t *rows[4];
        for (size_t k = 0; k < nr; k++)
            rows[k] = ws->chain + (k0 + k) * N;
        kern_potts_inputs(ws->wT, ws->bS, S, N, P, rows, nr, ws->Ich + k0 * S);
    }
    int bin = c->unit.type->binary;
    if (bin)
        kern_potts_tanh_est(ws->Ich, c->unit.theta_p, nc * S, ws->Tch, ws->Tsc);
    transpose_state(ws, x);
    /* the v-mean sums state-major in mT, the hidden means in m */
    double *mT = ws->mT;
    memset(mT, 0, (M + 1) * NP * sizeof *mT);
    memset(m, 0, ws->n * sizeof *m);
    size_t nconf = ws->pc ? (size_t)1 << M : 0;
    if (nconf) {
        memset(ws->have, 0, nconf);
        memset(ws->ccount, 0, nconf * sizeof *ws->ccount);
    }
    for (size_t k = 0; k < nc; k++) {
        int8_t *row = ws->chain + k * N;
        double *h = ws->h + k * M;
        const double *p = ws->pT;
        size_t conf = 0;
        for (size_t s = 0; s < c->mc_steps; s++) {
            const double *I = ws->Ich + k * S, *te = ws->Tch + k * S;
            if (s) {
                const int8_t *rows[1] = {row};
                kern_potts_inputs(ws->wT, ws->bS, S, N, P, rows, 1, ws->Isc);
                I = ws->Isc;
                te = NULL;
                if (bin) {
                    kern_potts_tanh_est(I, c->unit.theta_p, S, ws->Isc + S, ws->Isc + 2 * S);
                    te = ws->Isc + S;
                }
            }
            draw_h(ws, I, te, h, r);
            if (nconf) {
                /* binary units: the softmax of each hidden configuration
                 * once per model term (the weights do not change in it) */
                conf = 0;
                for (size_t mu = 0; mu < M; mu++)
                    conf |= (size_t)(h[mu] > 0) << mu;
                double *pq = ws->pc + conf * 2 * NP, *cdf = pq + NP;
                if (!ws->have[conf]) {
                    softmax_h(ws, h, pq, cdf);
                    ws->have[conf] = 1;
                }
                /* as potts_gibbs_v */
                kern_potts_draw(cdf, uniforms(ws, N), N, P, row);
                p = pq;
            } else {
                softmax_h(ws, h, ws->pT, ws->cdfT);
                kern_potts_draw(ws->cdfT, uniforms(ws, N), N, P, row);
            }
        }
        /* v-mean estimate: E[[v_i = c] | h] h_mu at the chain's last h */
        if (nconf) {
            ws->ccount[conf]++;
            for (size_t mu = 0; mu < M; mu++)
                m[MNP + NP + mu] += h[mu];
            continue;
        }
        for (size_t mu = 0; mu < M; mu++) {
            kern_potts_axpy(h[mu], p, mT + mu * NP, NP);
            m[MNP + NP + mu] += h[mu];
        }
        kern_potts_axpy(1.0, p, mT + MNP, NP);  /* 1.0 p exact: += p */
    }
    /* the configurations met, ascending, each (count x +-1 per unit, count)
     * times its probabilities - the axpy of each in turn, fused */
    size_t nl = 0, Rp = (M + 1 + 3) / 4 * 4;
    for (size_t conf = 0; conf < nconf; conf++) {
        if (!ws->ccount[conf])
            continue;
        double cnt = (double)ws->ccount[conf], *cf = ws->vcoef + nl * Rp;
        for (size_t mu = 0; mu < M; mu++)
            cf[mu] = (conf >> mu) & 1 ? cnt : -cnt;
        cf[M] = cnt;
        for (size_t l = M + 1; l < Rp; l++)
            cf[l] = 0;
        ws->vp[nl++] = ws->pc + conf * 2 * NP;
    }
    if (nl)
        kern_potts_vmean(ws->vp, ws->vcoef, nl, M + 1, NP, mT);
    double inv = 1.0 / (double)nc;
    for (size_t mu = 0; mu <= M; mu++) {
        const double *t = mT + mu * NP;
        double *a = m + mu * NP;
        for (size_t i = 0; i < N; i++)
            for (size_t q = 0; q < P; q++)
                a[i * P + q] = t[q * N + i] * inv;
    }
    for (size_t mu = 0; mu < M; mu++)
        m[MNP + NP + mu] *= inv;
    return SYM_OK;
}

int potts_model_term(potts_ws *ws, const double *x, const int8_t *base, const size_t *idx,
                     size_t nb, gsl_rng *r, double *m, char *err)
{
    if (ws->nchain)
        transpose_w(&ws->c, x, ws->S, ws->wT, ws->bS);
    return model_term_t(ws, x, base, idx, nb, r, m, err);
}

int potts_gradient(potts_ws *ws, const double *x, const int8_t *base, const size_t *idx,
                   size_t nb, gsl_rng *r, const double **grad, char *err)
{
    const potts_config *c = &ws->c;
    size_t N = c->N, P = c->P, M = c->M, NP = N * P, MNP = M * NP;
    /* one transposition of the weights for both terms */
    transpose_w(c, x, ws->S, ws->wT, ws->bS);
    data_term_t(c, ws->wT, ws->bS, ws->S, base, idx, nb, ws->dT, ws->Isc, ws->d);
    int st = model_term_t(ws, x, base, idx, nb, r, ws->mt, err);
    if (st)
        return st;
    double *gr = ws->gr;
    for (size_t q = 0; q < ws->n; q++)
        gr[q] = ws->d[q] - ws->mt[q];
    for (size_t q = 0; q < MNP; q++)
        gr[q] -= c->l2 * x[q];
    for (size_t mu = 0; mu < M; mu++)
        obs_potts_gauge(gr + mu * NP, N, P);
    if (c->learn_fields)
        obs_potts_gauge(gr + MNP, N, P);
    else
        memset(gr + MNP, 0, NP * sizeof *gr);
    if (!c->learn_theta)
        memset(gr + MNP + NP, 0, M * sizeof *gr);
    *grad = gr;
    return SYM_OK;
}

/* ADAM scales each component by its own rate, which takes a step out of
 * the zero-sum gauge: project w and g back.  Removing the colour mean
 * a_{i mu} of w_{i mu} is the gauge move (w - a, theta_mu - sum_i a) when
 * b is learned, so b_mu gains sum_i a_{i mu} (P(v) unchanged); with b
 * fixed it is the restriction of the model the header states. */
static void adam_gauge(const potts_config *c, double *x)
{
    size_t N = c->N, P = c->P, M = c->M, NP = N * P, MNP = M * NP;
    for (size_t mu = 0; mu < M; mu++) {
        double *wm = x + mu * NP, sa = 0;
        for (size_t i = 0; i < N; i++) {
            double a = 0;
            for (size_t q = 0; q < P; q++)
                a += wm[i * P + q];
            a /= (double)P;
            for (size_t q = 0; q < P; q++)
                wm[i * P + q] -= a;
            sa += a;
        }
        if (c->learn_theta)
            x[MNP + NP + mu] += sa;
    }
    obs_potts_gauge(x + MNP, N, P);
}

int potts_run(potts_ws *ws, size_t K, const size_t *snap, size_t nsnap, double *x, gsl_rng *r,
              potts_snap_fn fn, void *ctx, char *err)
{
    const potts_config *c = &ws->c;
    size_t B = ws->B, js = 0, n = ws->n;
    int full = c->batch == 0 || c->batch >= B;
    size_t bs = full ? B : c->batch;
    int st = SYM_OK;
    ws->pos = 0;
    while (js < nsnap && snap[js] == 0) {
        if (fn && (st = fn(ctx, 0, x, err)))
            return st;
        js++;
    }
    for (size_t k = 1; k <= K; k++) {
        const size_t *idx = NULL;
        size_t nb = B;
        if (!full) {
            if (ws->pos == 0)
                gsl_ran_shuffle(r, ws->perm, B, sizeof(size_t));
            idx = ws->perm + ws->pos;
            nb = B - ws->pos < bs ? B - ws->pos : bs;
            ws->pos = ws->pos + nb == B ? 0 : ws->pos + nb;
        }
        const double *gr;
        if ((st = potts_gradient(ws, x, ws->data, idx, nb, r, &gr, err)))
            return sym_context(err, st, "update");
        if (c->opt == TRAIN_SGD)
            for (size_t q = 0; q < n; q++)
                x[q] += c->lr * gr[q];
        else {
            train_adam_step(x, gr, ws->am, ws->as, n, k, c->lr);
            adam_gauge(c, x);
        }
        double s2 = 0;
        for (size_t q = 0; q < n; q++)
            s2 += x[q] * x[q];
        if (!isfinite(s2))
            return sym_error(err, SYM_ENUM, "NaN in weights at update %zu", k);
        if (!(s2 <= TRAIN_NORM2_MAX))
            return sym_error(err, SYM_ENUM, "weights diverged at update %zu (norm2 = %.3g): "
                             "lower lr", k, s2);
        while (js < nsnap && snap[js] == k) {
            if (fn && (st = fn(ctx, k, x, err)))
                return st;
            js++;
        }
    }
    return SYM_OK;
}
