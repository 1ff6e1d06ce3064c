/* train: the stochastic RBM trainer of `symrbm sim` (SPEC.md 1, 4, 5).
 *
 * Everything works on rows in their natural layout: a data sample or a
 * Gibbs chain is N int8 spins, the weights are M rows of N doubles, and the
 * three products of an update (inputs I = w v, the field sum_mu h_mu w_mu
 * of the visible half-step, the outer products h v of the gradient) are
 * per-row reductions and axpy sweeps done by sim/kern_sim.c, which is built
 * with vector math.  Nothing is transposed.  The Gibbs chains (inputs of
 * the hidden draws and the visible half-step) run in float on a copy of w
 * and g made per model term; the data term, gradient sums, weights and
 * optimiser are double (sim/kern_sim.h: why float is enough there).
 * Rows are taken in blocks of TRAIN_BLOCK so that the hidden-unit work
 * (Gamma', draws) runs vectorised over a whole block.  With
 * train_config.threads >= 2 a thread team (core/team.h) shares the rows and
 * then the sites of each update (the section "threads" below), with the
 * numbers of one thread.
 */
#include "sim/train.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

#include "core/err.h"
#include "core/kern.h"
#include "core/marg.h"
#include "core/ring.h"
#include "core/rng.h"
#include "core/size.h"
#include "core/snap.h"
#include "core/team.h"
#include "core/visible.h"
#include "sim/ckpt.h"
#include "sim/kern_sim.h"
#include "sim/spin_exact.h"

/* Rows (samples or chains) per block: the block as doubles (N TRAIN_BLOCK)
 * stays in L2 up to N ~ 2000, and the hidden-unit work still runs over
 * M TRAIN_BLOCK values at a time. */
#define TRAIN_BLOCK 32

/* The Gibbs uniforms come from interleaved xoshiro256++ lanes (sim/kern_sim.c
 * says why) re-seeded from the training stream at every model term.  Built
 * with -DTRAIN_GSL_UNIFORMS=gsl_rng_taus2 (or any gsl_rng type) they come
 * from that GSL generator instead, seeded the same way: the benchmark
 * variant behind the choice (bench/bench_sim, numbers in kern_sim.c). */

/* Uniforms drawn per refill of the pool (at least; see train_alloc): large
 * enough that the discarded tail of a refill (< one row) costs little. */
#define TRAIN_UPOOL 4096

/* Random 64-bit words per refill of the bits kernel's pool (train_gibbs):
 * a chain's Gibbs step takes 8 or more per 64 sites plus one per hidden unit
 * (refilled whenever fewer than a step's worst case, M + 32 per word, are left). */
#define TRAIN_RPOOL 4096

/* Threads (train_config.threads): rows are handed out in chunks of this
 * many samples (a multiple of TRAIN_BLOCK, so that the blocks and their
 * sums are those of one thread), two team runs per chunk (rows, then
 * sites); chains in chunks whose planned uniforms take about TRAIN_TUBYTES. */
#define TRAIN_TCHUNK (8 * TRAIN_BLOCK)
#define TRAIN_TUBYTES ((size_t)8 << 20)


struct train_ws {
    train_config c;
    const int8_t *data;
    size_t B;
    double *I;        /* TRAIN_BLOCK x M inputs, I[c*M + mu]                */
    double *H;        /* TRAIN_BLOCK x M: Gamma'(I) or sampled h            */
    double *X;        /* TRAIN_BLOCK x N: rows as +-1.0, or E[v | h]        */
    int8_t *X8;       /* TRAIN_BLOCK x N: the data term's minibatch rows    */
    int8_t *chain;    /* PCD: chains x N persistent; CD: a block scratch    */
    size_t nchain;
    double *Chat;     /* gaussian full batch: N x N empirical correlation   */
    double *vbar;     /* N: empirical <v_i> over all B                      */
    marg_ws *marg;
    spinx_ws *spinx;  /* binary units, M >= 2: the 2^M sum (train_spinx_use) */
    double *gw, *mw, *gg, *mg;  /* gradient buffers (M N, M N, N, N)         */
    double *am, *as;  /* ADAM moments over (w, g)                           */
    size_t *perm;     /* minibatch order                                    */
    kern_sim_rng q;   /* Gibbs uniforms, re-seeded from the gsl stream      */
#ifdef TRAIN_GSL_UNIFORMS
    gsl_rng *gq;      /* the benchmark variant: a GSL generator instead     */
#endif
    float *wf, *gf;   /* w, g rounded to float for the visible half-step    */
    float *Xf;        /* TRAIN_BLOCK x N: chain rows as +-1.0f, then E[v|h] */
    uint32_t *u;      /* uniform pool (k of k 2^-32), next unused at upos   */
    size_t nu, upos;
    /* progress between updates (train_continue, train_save) */
    size_t k;         /* updates done                                       */
    size_t pos;       /* epoch sampling: rows of the order used this epoch  */
    gsl_rng *rs;      /* replace, online: the source's own stream           */
    size_t *bidx;     /* replace: the drawn rows; online: the identity      */
    int8_t *orow;     /* online: the fresh samples of one minibatch         */
    size_t ck_every;  /* train_set_checkpoint                               */
    train_ckpt_fn ck_fn;
    void *ck_ctx;
    /* gibbs = bits (train_gibbs): the chains live in cb; ws->chain is
     * brought up to date only for train_save (unpack_chains) */
    uint64_t *cb;     /* chains x nw packed rows, site i in bit i%64 of i/64 */
    size_t nw;        /* words per packed row                               */
    uint32_t *thr;    /* N thresholds of one hidden configuration           */
    uint64_t *planes; /* 2^M x nw x KERN_SIM_PLANES threshold bit planes    */
    double *ev;       /* 2^M x N: E[v_i | h] = tanh f_i(h)                  */
    double *btab;     /* M x ceil(N/8) x 256 byte tables of w               */
    double *ptab;     /* lanes: M x ceil(N/8) x 256 product tables          */
    uint64_t *rl;     /* lanes: a scratch row (nw words) for unused lanes   */
    size_t *ccount;   /* 2^M: chains per final hidden configuration         */
    uint64_t *rb;     /* nrb random words, next unused at rpos              */
    size_t nrb, rpos;
    /* threads >= 2 (train_config.threads): the team and the buffers of one
     * chunk of rows (TRAIN_TCHUNK samples, tmchunk chains) */
    team *team;
    double *tI, *tH;  /* TRAIN_TCHUNK x M: data-term inputs, Gamma'(I)       */
    double *tIm, *tHm;/* tmchunk x M: chains' inputs, sampled h              */
    int8_t *tX8;      /* TRAIN_TCHUNK x N: the chunk's gathered minibatch rows */
    float *tXf;       /* tmchunk x N: chain rows as floats, then E[v|h]      */
    double *tS;       /* threads x 2N: scratch of kern_sim_inputs_block_i8   */
    double *tLI;      /* threads x TRAIN_BLOCK x M: train_loglik's inputs    */
    size_t tmchunk;   /* chains per chunk (a multiple of TRAIN_BLOCK)        */
    uint32_t *tU;     /* the chunk's uniform pools, tucap of nu each         */
    size_t tucap;
    const uint32_t **tuh, **tuv;  /* per (block, step), (chain, step)      */
};

static const char *const term_names[] = {"exact", "pcd", "cd", "enum"};

const char *train_term_name(train_term t)
{
    return (unsigned)t < 4 ? term_names[t] : "unknown";
}

static const char *const sampling_names[] = {"epoch", "replace", "online"};

const char *train_sampling_name(train_sampling m)
{
    return (unsigned)m < 3 ? sampling_names[m] : "unknown";
}

static const char *const gibbs_names[] = {"float", "bits", "lanes"};

const char *train_gibbs_name(train_gibbs g)
{
    return (unsigned)g < 3 ? gibbs_names[g] : "unknown";
}

int train_gibbs_parse(const char *s, train_gibbs *g, char *err)
{
    for (unsigned k = 0; k < 3; k++)
        if (s && !strcmp(s, gibbs_names[k])) {
            *g = (train_gibbs)k;
            return SYM_OK;
        }
    return sym_error(err, SYM_EINVAL, "gibbs '%s': expected float|bits|lanes", s ? s : "");
}

static const char *const estimate_names[] = {"v-mean", "h-mean"};

const char *train_estimate_name(train_estimate e)
{
    return (unsigned)e < 2 ? estimate_names[e] : "unknown";
}

int train_estimate_parse(const char *s, train_estimate *e, char *err)
{
    for (unsigned k = 0; k < 2; k++)
        if (s && !strcmp(s, estimate_names[k])) {
            *e = (train_estimate)k;
            return SYM_OK;
        }
    return sym_error(err, SYM_EINVAL, "estimate '%s': expected v-mean|h-mean", s ? s : "");
}

int train_sampling_parse(const char *s, train_sampling *m, char *err)
{
    for (unsigned k = 0; k < 3; k++)
        if (s && !strcmp(s, sampling_names[k])) {
            *m = (train_sampling)k;
            return SYM_OK;
        }
    return sym_error(err, SYM_EINVAL, "sampling '%s': expected epoch|replace|online",
                     s ? s : "");
}

int train_term_parse(const char *s, train_term *t, char *err)
{
    for (unsigned k = 0; k < 4; k++)
        if (s && !strcmp(s, term_names[k])) {
            *t = (train_term)k;
            return SYM_OK;
        }
    return sym_error(err, SYM_EINVAL, "model term '%s': expected exact|pcd|cd|enum", s ? s : "");
}

int train_opt_parse(const char *s, train_opt *o, char *err)
{
    if (s && !strcmp(s, "sgd"))
        *o = TRAIN_SGD;
    else if (s && !strcmp(s, "adam"))
        *o = TRAIN_ADAM;
    else
        return sym_error(err, SYM_EINVAL, "optimizer '%s': expected sgd|adam", s ? s : "");
    return SYM_OK;
}

/* Binary hidden units with 2 <= M <= SPINX_MMAX have an exact model term and
 * log-partition by the sum over 2^M hidden configurations (sim/spin_exact.h).
 * M = 1 keeps core/marg's 1-D integral and N <= TRAIN_ENUM_NMAX keeps the
 * enumeration of the visible states for the log-likelihood, where they
 * already served, so those runs are unchanged bit for bit.  Bit 1: the
 * model term (term exact), bit 2: the log-likelihood (N beyond the
 * enumeration); 0: no workspace. */
#define TRAIN_SPINX_MODEL 1
#define TRAIN_SPINX_LOGLIK 2
static int train_spinx_use(const train_config *c)
{
    if (!c->unit.type || !c->unit.type->binary || c->M < 2 || c->M > SPINX_MMAX)
        return 0;
    return (c->term == TRAIN_EXACT ? TRAIN_SPINX_MODEL : 0) |
           (c->N > TRAIN_ENUM_NMAX ? TRAIN_SPINX_LOGLIK : 0);
}

/* ---- sizes, memory and work ------------------------------------------------
 * Every array of a run is a product of sizes; each product is formed with
 * sym_mul_ok (core/size.h) and the total compared with the machine's memory
 * before anything is allocated, so an absurd size is a message naming it,
 * never a wrapped product and a corrupted heap. */

/* Bytes per weight: w itself, the two gradient terms, ADAM's two moments
 * (doubles) and the float copy of the Gibbs chains. */
#define TRAIN_BYTES_PER_WEIGHT (5 * sizeof(double) + sizeof(float))

/* The item a message names is the first whose bytes overflow size_t, else
 * the largest. */
typedef struct {
    size_t total;       /* bytes so far (valid unless overflow)               */
    int overflow;
    double total_d;     /* the same in double                                 */
    double big;         /* the named item's bytes for the choice (inf once an */
                        /* item overflowed, so that it stays named)           */
    double big_d;       /* the named item's bytes for the message             */
    const char *what;   /* the named item: what = a x b                       */
    size_t a, b;
} train_budget;

static void budget_add(train_budget *bu, const char *what, size_t a, size_t b, size_t el)
{
    size_t ab, bytes;
    int over = !sym_mul_ok(a, b, &ab) || !sym_mul_ok(ab, el, &bytes) ||
               !sym_add_ok(bu->total, bytes, &bu->total);
    double d = (double)a * (double)b * (double)el;
    bu->total_d += d;
    if (over && !bu->overflow) {
        bu->big = INFINITY;   /* keeps this item named */
        bu->what = what;
        bu->a = a;
        bu->b = b;
        bu->big_d = d;
    }
    bu->overflow |= over;
    if (d > bu->big) {
        bu->big = bu->big_d = d;
        bu->what = what;
        bu->a = a;
        bu->b = b;
    }
}

/* The arrays of a run on B samples (B = 0: only those that do not depend
 * on the data; the empirical C^ is then counted for batch = 0). */
static int train_memory(const train_config *c, size_t B, char *err)
{
    size_t N = c->N, M = c->M;
    train_budget bu = {0};
    budget_add(&bu, "M*N weights", M, N, TRAIN_BYTES_PER_WEIGHT);
    /* per site: fields, their gradients and moments, <v>, float scratch */
    budget_add(&bu, "N*8 field buffers", N, 8, sizeof(double));
    budget_add(&bu, "M*TRAIN_BLOCK hidden-unit buffers", M, TRAIN_BLOCK, 3 * sizeof(double));
    budget_add(&bu, "N*TRAIN_BLOCK row buffers", N, TRAIN_BLOCK, sizeof(double) + sizeof(float));
    if (c->term == TRAIN_PCD)
        budget_add(&bu, "chains*N persistent chains", c->chains, N, 1);
    if (c->threads >= 2) {
        budget_add(&bu, "N*TRAIN_TCHUNK thread row buffers", N, TRAIN_TCHUNK, 1 + sizeof(float));
        budget_add(&bu, "uniform pools of a chunk of chains", TRAIN_TUBYTES, 2, 1);
    }
    if (train_spinx_use(c)) {
        size_t rows, confs;
        spinx_size(N, M, &rows, &confs);
        budget_add(&bu, "2(M+1)*N spin-sum rows", rows, N, sizeof(double));
        budget_add(&bu, "2^(M+1) hidden-configuration weights", confs, 1, sizeof(double));
    }
    int full = c->batch == 0 || (B > 0 && c->batch >= B);
    if (c->unit.type && c->unit.type->linear && full)
        /* C^ and the integer sums that form it (form_chat) */
        budget_add(&bu, "N*N empirical correlations", N, N,
                   sizeof(double) + sizeof(int64_t) + sizeof(int32_t));
    if (B > 0) {
        budget_add(&bu, "B*N training samples", B, N, 1);
        budget_add(&bu, "B minibatch indices", B, 1, sizeof(size_t));
        if (c->sampling != TRAIN_EPOCH)
            budget_add(&bu, "B drawn minibatch indices", B, 1, sizeof(size_t));
        if (c->sampling == TRAIN_ONLINE)
            budget_add(&bu, "batch*N fresh samples", full ? B : c->batch, N, 1);
    }
    size_t mem = sym_mem_total();
    if (!bu.overflow && bu.total <= mem)
        return SYM_OK;
    return sym_error(err, SYM_ENOMEM,
                     "%s = %zu x %zu: need %.3g GB (the run %.3g GB), this machine has %.3g GB",
                     bu.what, bu.a, bu.b, bu.big_d / 1e9, bu.total_d / 1e9, (double)mem / 1e9);
}

int train_config_check(const train_config *c, char *err)
{
    if (c->N < 1)
        return sym_error(err, SYM_EINVAL, "N = %zu: need N >= 1", c->N);
    if (c->M < 1)
        return sym_error(err, SYM_EINVAL, "M = %zu: need at least one hidden unit", c->M);
    int st = unit_params_check(&c->unit, err);
    if (st)
        return sym_context(err, st, "hidden units");
    if (!(c->lr > 0) || !isfinite(c->lr))
        return sym_error(err, SYM_EINVAL, "lr = %g: must be > 0", c->lr);
    if (!(c->l2 >= 0) || !isfinite(c->l2))
        return sym_error(err, SYM_EINVAL, "l2 = %g: must be >= 0", c->l2);
    switch (c->term) {
    case TRAIN_EXACT:
        if (train_spinx_use(c) & TRAIN_SPINX_MODEL)
            break;   /* the 2^M sum */
        if (c->M > SPINX_MMAX && c->unit.type->binary)
            return sym_error(err, SYM_EINVAL, "model term exact for binary hidden units needs "
                             "M <= %d (M = %zu: use pcd or cd)", SPINX_MMAX, c->M);
        if (c->M != 1)
            return sym_error(err, SYM_EINVAL,
                             "model term exact needs M = 1 (M = %zu: use pcd, cd or enum)", c->M);
        if (!c->unit.type->npoint && !c->unit.type->pieces)
            return sym_error(err, SYM_EINVAL, "model term exact: hidden-unit kind %s has no 1-D "
                             "integral (use pcd, cd or enum)", c->unit.type->name);
        break;
    case TRAIN_ENUM:
        if (c->N > TRAIN_ENUM_NMAX)
            return sym_error(err, SYM_EINVAL, "model term enum needs N <= %d (N = %zu)",
                             TRAIN_ENUM_NMAX, c->N);
        break;
    case TRAIN_PCD:
        if (c->chains < 1)
            return sym_error(err, SYM_EINVAL, "chains = 0: pcd needs at least one chain");
        /* fall through */
    case TRAIN_CD:
        if (c->mc_steps < 1)
            return sym_error(err, SYM_EINVAL, "mc_steps = 0: need at least one Gibbs step");
        break;
    default:
        return sym_error(err, SYM_EINVAL, "unknown model term %d", (int)c->term);
    }
    if (c->mc_steps > TRAIN_MC_STEPS_MAX)
        return sym_error(err, SYM_EINVAL,
                         "mc_steps = %zu: more than %d Gibbs steps per update (each costs "
                         "chains x N x M operations; PCD-20 is the paper's setting)",
                         c->mc_steps, TRAIN_MC_STEPS_MAX);
    if (c->opt != TRAIN_SGD && c->opt != TRAIN_ADAM)
        return sym_error(err, SYM_EINVAL, "unknown optimizer %d", (int)c->opt);
    if ((unsigned)c->sampling > TRAIN_ONLINE)
        return sym_error(err, SYM_EINVAL, "unknown sampling %d", (int)c->sampling);
    if ((unsigned)c->gibbs > TRAIN_GIBBS_LANES)
        return sym_error(err, SYM_EINVAL, "unknown gibbs kernel %d", (int)c->gibbs);
    if ((unsigned)c->estimate > TRAIN_EST_HMEAN)
        return sym_error(err, SYM_EINVAL, "unknown model-term estimate %d", (int)c->estimate);
    if (c->estimate == TRAIN_EST_HMEAN && c->term != TRAIN_PCD && c->term != TRAIN_CD)
        return sym_error(err, SYM_EINVAL, "estimate = h-mean: needs model term pcd or cd (not %s)",
                         train_term_name(c->term));
    if (c->estimate == TRAIN_EST_HMEAN && c->gibbs != TRAIN_GIBBS_FLOAT)
        return sym_error(err, SYM_EINVAL, "estimate = h-mean: needs gibbs = float");
    if (c->gibbs != TRAIN_GIBBS_FLOAT) {
        const char *gn = train_gibbs_name(c->gibbs);
        if (c->term != TRAIN_PCD)
            return sym_error(err, SYM_EINVAL, "gibbs = %s: needs model term pcd (not %s)", gn,
                             train_term_name(c->term));
        if (!c->unit.type->binary)
            return sym_error(err, SYM_EINVAL, "gibbs = %s: needs binary hidden units (not %s)",
                             gn, c->unit.type->name);
        if (c->M > TRAIN_BITS_MMAX)
            return sym_error(err, SYM_EINVAL, "gibbs = %s: M = %zu: need M <= %d", gn, c->M,
                             TRAIN_BITS_MMAX);
        if (c->gibbs == TRAIN_GIBBS_LANES && ((size_t)1 << c->M) > KERN_SIM_LANES_CFG)
            return sym_error(err, SYM_EINVAL, "gibbs = lanes: M = %zu: need M <= 4", c->M);
    }
    if (c->threads > TEAM_MAX)
        return sym_error(err, SYM_EINVAL, "threads = %zu: at most %d", c->threads, TEAM_MAX);
    return train_memory(c, 0, err);
}

int train_updates(const train_config *c, size_t B, size_t epochs, size_t *K, char *err)
{
    if (B < 1)
        return sym_error(err, SYM_EINVAL, "B = 0: need at least one training sample");
    if (epochs < 1)
        return sym_error(err, SYM_EINVAL, "epochs = 0: need at least one epoch");
    size_t per = train_updates_per_epoch(c, B);
    if (!sym_mul_ok(epochs, per, K))
        return sym_error(err, SYM_EINVAL,
                         "epochs = %zu x %zu updates per epoch: the number of updates overflows",
                         epochs, per);
    return SYM_OK;
}

int train_plan_check(const train_config *c, size_t B, size_t K, char *err)
{
    int st = train_config_check(c, err);
    if (st)
        return st;
    if (B < 1)
        return sym_error(err, SYM_EINVAL, "B = 0: need at least one training sample");
    if ((st = train_memory(c, B, err)))
        return st;
    /* operations per update, in double (no overflow), the largest term
     * named in the message */
    double N = (double)c->N, M = (double)c->M, dB = (double)B;
    int full = c->batch == 0 || c->batch >= B;
    double nb = full ? dB : (double)c->batch;
    double data = c->unit.type->linear && full ? M * N * N : nb * N * M;
    const char *dname = c->unit.type->linear && full ? "M x N x N" : "batch x N x M";
    double model = 0;
    const char *mname = "";
    switch (c->term) {
    case TRAIN_EXACT:
        if (train_spinx_use(c) & TRAIN_SPINX_MODEL) {
            model = spinx_work(c->N, c->M);
            mname = "4 x 2^M x N hidden-configuration sums";
        } else {
            model = N * TRAIN_MARG_NODES;
            mname = "N x quadrature nodes";
        }
        break;
    case TRAIN_ENUM:
        model = ldexp(N * M, (int)c->N);
        mname = "2^N x N x M";
        break;
    case TRAIN_PCD:
        model = 2.0 * (double)c->mc_steps * (double)c->chains * N * M;
        mname = "2 x mc_steps x chains x N x M";
        break;
    case TRAIN_CD:
        model = 2.0 * (double)c->mc_steps * nb * N * M;
        mname = "2 x mc_steps x batch x N x M";
        break;
    }
    double per = data + model, work = (double)K * per;
    if (!(work <= TRAIN_WORK_MAX))
        return sym_error(err, SYM_EINVAL,
                         "%zu updates x %.3g operations per update (%s) = %.3g operations: above "
                         "the bound %.0e (days of computing); fewer updates or a smaller run",
                         K, per, model > data ? mname : dname, work, TRAIN_WORK_MAX);
    return SYM_OK;
}

void train_free(train_ws *ws)
{
    if (!ws)
        return;
    free(ws->I);
    free(ws->H);
    free(ws->X);
    free(ws->X8);
    free(ws->chain);
    free(ws->Chat);
    free(ws->vbar);
    marg_free(ws->marg);
    spinx_free(ws->spinx);
    free(ws->gw);
    free(ws->mw);
    free(ws->gg);
    free(ws->mg);
    free(ws->am);
    free(ws->as);
    free(ws->perm);
    free(ws->u);
    free(ws->wf);
    free(ws->gf);
    free(ws->Xf);
    free(ws->bidx);
    free(ws->orow);
    free(ws->cb);
    free(ws->thr);
    free(ws->planes);
    free(ws->ev);
    free(ws->btab);
    free(ws->ptab);
    free(ws->rl);
    free(ws->ccount);
    free(ws->rb);
    team_free(ws->team);
    free(ws->tI);
    free(ws->tH);
    free(ws->tIm);
    free(ws->tHm);
    free(ws->tX8);
    free(ws->tXf);
    free(ws->tS);
    free(ws->tLI);
    free(ws->tU);
    free(ws->tuh);
    free(ws->tuv);
    if (ws->rs)
        gsl_rng_free(ws->rs);
#ifdef TRAIN_GSL_UNIFORMS
    if (ws->gq)
        gsl_rng_free(ws->gq);
#endif
    free(ws);
}

/* sum_b v_bi v_bj / B, accumulated exactly in integers per row block. */
static int form_chat(train_ws *ws)
{
    size_t N = ws->c.N, B = ws->B;
    int64_t *acc = calloc(N * N, sizeof *acc);
    int32_t *blk = malloc(N * N * sizeof *blk);
    if (!acc || !blk) {
        free(acc);
        free(blk);
        return SYM_ENOMEM;
    }
    /* int32 partial sums over at most 2^20 rows cannot overflow */
    const size_t rows = (size_t)1 << 20;
    for (size_t b0 = 0; b0 < B; b0 += rows) {
        size_t b1 = b0 + rows < B ? b0 + rows : B;
        memset(blk, 0, N * N * sizeof *blk);
        kern_sim_corr_accum(N, b1 - b0, ws->data + b0 * N, blk);
        for (size_t k = 0; k < N * N; k++)
            acc[k] += blk[k];
    }
    for (size_t i = 0; i < N; i++)
        for (size_t j = i; j < N; j++)
            ws->Chat[i * N + j] = ws->Chat[j * N + i] = (double)acc[i * N + j] / (double)B;
    free(acc);
    free(blk);
    return SYM_OK;
}

/* gibbs = bits: ws->chain (int8 +-1) <-> ws->cb (packed, +1 = 1). */
static void pack_chains(train_ws *ws)
{
    size_t N = ws->c.N;
    memset(ws->cb, 0, ws->nchain * ws->nw * sizeof *ws->cb);
    for (size_t c = 0; c < ws->nchain; c++)
        for (size_t i = 0; i < N; i++)
            if (ws->chain[c * N + i] > 0)
                ws->cb[c * ws->nw + i / 64] |= (uint64_t)1 << (i % 64);
}

static void unpack_chains(const train_ws *ws)
{
    size_t N = ws->c.N;
    for (size_t c = 0; c < ws->nchain; c++)
        for (size_t i = 0; i < N; i++)
            ws->chain[c * N + i] = (ws->cb[c * ws->nw + i / 64] >> (i % 64)) & 1 ? 1 : -1;
}

/* Buffers that threads write side by side start on a cache line (and the
 * items they are cut into are whole lines where the sizes allow), so that
 * two threads do not write one line; freed with free(). */
static void *line_alloc(size_t bytes)
{
    return aligned_alloc(64, (bytes + 63) / 64 * 64);
}

int train_alloc(train_ws **out, const train_config *c, const int8_t *v, size_t B, gsl_rng *r,
                char *err)
{
    *out = NULL;
    int st = train_config_check(c, err);
    if (st)
        return st;
    if (B < 1 || !v)
        return sym_error(err, SYM_EINVAL, "B = %zu: need at least one training sample", B);
    if (c->sampling == TRAIN_ONLINE && !c->model)
        return sym_error(err, SYM_EINVAL, "sampling online draws fresh samples from the data "
                         "model: none given (samples read from a file?)");
    if (c->sampling == TRAIN_ONLINE && c->model->N != c->N)
        return sym_error(err, SYM_EINVAL, "sampling online: the data model has N = %zu, the "
                         "trainer N = %zu", c->model->N, c->N);
    /* one draw of gsl_rng_uniform_int covers the mt19937 range 2^32 */
    if (c->sampling == TRAIN_REPLACE && (uint64_t)B > 0x100000000ULL)
        return sym_error(err, SYM_EINVAL, "sampling replace: B = %zu above 2^32 rows", B);
    /* after this every product of sizes below fits in size_t and in memory */
    if ((st = train_memory(c, B, err)))
        return st;
    train_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return sym_error(err, SYM_ENOMEM, "out of memory");
    ws->c = *c;
    ws->data = v;
    ws->B = B;
    size_t N = c->N, M = c->M, BL = TRAIN_BLOCK;
    ws->I = malloc(M * BL * sizeof(double));
    ws->H = malloc(M * BL * sizeof(double));
    ws->X = malloc(N * BL * sizeof(double));
    ws->X8 = malloc(N * BL);
    ws->vbar = calloc(N, sizeof(double));
    ws->gw = line_alloc(M * N * sizeof(double));
    ws->mw = line_alloc(M * N * sizeof(double));
    ws->gg = malloc(N * sizeof(double));
    ws->mg = malloc(N * sizeof(double));
    ws->am = calloc(M * N + N, sizeof(double));
    ws->as = calloc(M * N + N, sizeof(double));
    ws->perm = malloc(B * sizeof(size_t));
    /* the pool serves one request of up to max(N, M BL) uniforms at a time */
    size_t nu = N > M * BL ? N : M * BL;
    nu = nu > TRAIN_UPOOL ? nu : TRAIN_UPOOL;
    ws->nu = (nu + KERN_SIM_UCHUNK - 1) / KERN_SIM_UCHUNK * KERN_SIM_UCHUNK;
    ws->upos = ws->nu;
    ws->u = malloc(ws->nu * sizeof(uint32_t));
#ifdef TRAIN_GSL_UNIFORMS
    ws->gq = gsl_rng_alloc(TRAIN_GSL_UNIFORMS);
    if (!ws->gq) {
        train_free(ws);
        return sym_error(err, SYM_ENOMEM, "out of memory");
    }
#endif
    int full0 = c->batch == 0 || c->batch >= B;
    size_t nbat = full0 ? B : c->batch;
    if (c->sampling != TRAIN_EPOCH) {
        ws->bidx = malloc(nbat * sizeof(size_t));
        ws->rs = rng_alloc(c->sampling_seed, c->sampling == TRAIN_REPLACE ? RNG_STREAM_REPLACE
                                                                          : RNG_STREAM_ONLINE);
        if (c->sampling == TRAIN_ONLINE)
            ws->orow = malloc(nbat * N);
        if (!ws->bidx || !ws->rs || (c->sampling == TRAIN_ONLINE && !ws->orow)) {
            train_free(ws);
            return sym_error(err, SYM_ENOMEM, "out of memory (minibatch source)");
        }
        for (size_t b = 0; b < nbat; b++)
            ws->bidx[b] = b;
    }
    ws->nchain = c->term == TRAIN_PCD ? c->chains : (c->term == TRAIN_CD ? BL : 0);
    if (ws->nchain) {
        ws->chain = line_alloc(ws->nchain * N);
        ws->wf = malloc(M * N * sizeof(float));
        ws->gf = malloc(N * sizeof(float));
        ws->Xf = malloc(N * BL * sizeof(float));
    }
    /* the 1-D integral: the exact model term of M = 1, and its log Z */
    int need_marg = (c->term == TRAIN_EXACT && !(train_spinx_use(c) & TRAIN_SPINX_MODEL)) ||
                    c->M == 1;
    if (need_marg)
        ws->marg = marg_alloc(N);
    if (train_spinx_use(c) && (st = spinx_alloc(&ws->spinx, N, M, err))) {
        train_free(ws);
        return st;
    }
    int full = c->batch == 0 || c->batch >= B;
    if (c->unit.type->linear && full)
        ws->Chat = malloc(N * N * sizeof(double));
    if (!ws->I || !ws->H || !ws->X || !ws->X8 || !ws->vbar || !ws->gw || !ws->mw || !ws->gg ||
        !ws->mg || !ws->am || !ws->as || !ws->perm || !ws->u || (ws->nchain && (!ws->chain || !ws->wf || !ws->gf || !ws->Xf)) ||
        (need_marg && !ws->marg) ||
        (c->unit.type->linear && full && !ws->Chat)) {
        train_free(ws);
        return sym_error(err, SYM_ENOMEM, "out of memory (N = %zu, M = %zu, B = %zu)", N, M, B);
    }
    for (size_t b = 0; b < B; b++)
        ws->perm[b] = b;
    for (size_t b = 0; b < B; b++)
        for (size_t i = 0; i < N; i++)
            ws->vbar[i] += v[b * N + i];
    for (size_t i = 0; i < N; i++)
        ws->vbar[i] /= (double)B;
    if (ws->Chat && c->chat)
        memcpy(ws->Chat, c->chat, N * N * sizeof *ws->Chat);
    else if (ws->Chat && form_chat(ws)) {
        train_free(ws);
        return sym_error(err, SYM_ENOMEM, "out of memory (correlation matrix N = %zu)", N);
    }
    if (c->term == TRAIN_PCD)
        for (size_t k = 0; k < ws->nchain * N; k++)
            ws->chain[k] = gsl_rng_uniform(r) < 0.5 ? -1 : 1;
    if (c->gibbs == TRAIN_GIBBS_BITS || c->gibbs == TRAIN_GIBBS_LANES) {
        size_t ncfg = (size_t)1 << M, nbyte = (N + 7) / 8;
        ws->nw = (N + 63) / 64;
        ws->cb = malloc(ws->nchain * ws->nw * sizeof *ws->cb);
        ws->thr = malloc(ws->nw * 64 * sizeof *ws->thr);
        ws->planes = malloc(ncfg * ws->nw * KERN_SIM_PLANES * sizeof *ws->planes);
        ws->ev = malloc(ncfg * N * sizeof *ws->ev);
        ws->btab = malloc(M * nbyte * 256 * sizeof *ws->btab);
        ws->ccount = malloc(ncfg * sizeof *ws->ccount);
        /* at least one step's worst case; a multiple of the generator lanes */
        ws->nrb = M + ws->nw * KERN_SIM_PLANES > TRAIN_RPOOL ? M + ws->nw * KERN_SIM_PLANES
                                                             : TRAIN_RPOOL;
        ws->nrb = (ws->nrb + KERN_SIM_LANES - 1) / KERN_SIM_LANES * KERN_SIM_LANES;
        ws->rb = malloc(ws->nrb * sizeof *ws->rb);
        int lanes = c->gibbs == TRAIN_GIBBS_LANES;
        if (lanes) {
            /* the pool: a step's worst case per lane, for all lanes */
            size_t nl = (M + ws->nw * KERN_SIM_PLANES) * KERN_SIM_LANES;
            ws->nrb = ws->nrb > nl ? ws->nrb : nl;
            free(ws->rb);
            ws->rb = malloc(ws->nrb * sizeof *ws->rb);
            ws->rl = calloc(ws->nw, sizeof *ws->rl);
            ws->ptab = malloc(M * nbyte * 256 * sizeof *ws->ptab);
        }
        if (!ws->cb || !ws->thr || !ws->planes || !ws->ev || !ws->btab || !ws->ccount || !ws->rb ||
            (lanes && (!ws->rl || !ws->ptab))) {
            train_free(ws);
            return sym_error(err, SYM_ENOMEM, "out of memory (gibbs = bits, N = %zu, M = %zu)",
                             N, M);
        }
        pack_chains(ws);
    }
    if (c->threads >= 2) {
        size_t S = c->mc_steps ? c->mc_steps : 1, T = c->threads;
        size_t per = S * BL * (N + M) * sizeof(uint32_t), nblk = TRAIN_TUBYTES / per;
        nblk = nblk < 1 ? 1 : (nblk > 8 ? 8 : nblk);
        ws->tmchunk = nblk * BL;
        ws->tI = line_alloc(TRAIN_TCHUNK * M * sizeof(double));
        ws->tH = line_alloc(TRAIN_TCHUNK * M * sizeof(double));
        ws->tX8 = line_alloc(TRAIN_TCHUNK * N);
        ws->tS = line_alloc(T * 2 * N * sizeof(double));
        ws->tLI = line_alloc(T * BL * M * sizeof(double));
        if (ws->nchain) {
            ws->tIm = line_alloc(ws->tmchunk * M * sizeof(double));
            ws->tHm = line_alloc(ws->tmchunk * M * sizeof(double));
            ws->tXf = line_alloc(ws->tmchunk * N * sizeof(float));
            ws->tuh = malloc(nblk * S * sizeof *ws->tuh);
            ws->tuv = malloc(ws->tmchunk * S * sizeof *ws->tuv);
            ws->tucap = 2;
            ws->tU = malloc(ws->tucap * ws->nu * sizeof *ws->tU);
        }
        if (!ws->tI || !ws->tH || !ws->tX8 || !ws->tS || !ws->tLI ||
            (ws->nchain && (!ws->tIm || !ws->tHm || !ws->tXf || !ws->tuh || !ws->tuv || !ws->tU))) {
            train_free(ws);
            return sym_error(err, SYM_ENOMEM, "out of memory (thread buffers, N = %zu)", N);
        }
        if ((st = team_alloc(&ws->team, T, err))) {
            train_free(ws);
            return st;
        }
    }
    *out = ws;
    return SYM_OK;
}

/* ---- blocks of rows -------------------------------------------------------- */

/* Minibatch rows are scattered over the whole data set (10 MB at N = 1000,
 * B = 10^4): ask for them this many rows ahead of use. */
#define TRAIN_PREFETCH_ROWS 4

/* Rows of at least this many sites go through the data term as int8
 * (data_term_rows): a TRAIN_BLOCK block of doubles is then >= 64 kB, past
 * L1. */
#define TRAIN_I8_NMIN 256

static void prefetch_row(const int8_t *p, size_t N)
{
    for (size_t i = 0; i < N; i += 64)
        __builtin_prefetch(p + i);
}

/* n uniforms from the pool (n <= ws->nu), refilled from the lanes when short;
 * the unused tail of a pool is discarded (deterministically). */
static const uint32_t *uniforms(train_ws *ws, size_t n)
{
    if (ws->nu - ws->upos < n) {
#ifdef TRAIN_GSL_UNIFORMS
        /* the same 32-bit resolution, one GSL call per uniform */
        for (size_t k = 0; k < ws->nu; k++)
            ws->u[k] = (uint32_t)(gsl_rng_get(ws->gq) & 0xffffffffUL);
#else
        kern_sim_uniform32(&ws->q, ws->u, ws->nu);
#endif
        ws->upos = 0;
    }
    const uint32_t *p = ws->u + ws->upos;
    ws->upos += n;
    return p;
}

/* Gamma'(I) over a block: the kinds whose Gamma' has a closed form the
 * vector kernels know (core/unit.h: linear, binary) run vectorised, every
 * other kind through its own function. */
static void block_dgamma(const unit_params *u, size_t n, const double *I, double *out)
{
    if (u->type->linear) {
        for (size_t k = 0; k < n; k++)
            out[k] = (I[k] - u->theta_p) / u->gamma_p;
    } else if (u->type->binary) {
        kern_sim_tanh(n, u->theta_p, I, out);
    } else {
        for (size_t k = 0; k < n; k++)
            out[k] = unit_dgamma(u, I[k]);
    }
}

/* h ~ P(h | I) over a block, with the same split as block_dgamma: binary
 * units from the uniform pool, linear (gaussian) ones from the stream. */
static void block_sample_h(train_ws *ws, size_t n, const double *I, double *h, gsl_rng *r)
{
    const unit_params *u = &ws->c.unit;
    if (u->type->binary) {
        kern_sim_spin_draw32(n, u->theta_p, I, uniforms(ws, n), h);
    } else if (u->type->linear) {
        double sd = 1.0 / sqrt(u->gamma_p);
        for (size_t k = 0; k < n; k++)
            h[k] = (I[k] - u->theta_p) / u->gamma_p + sd * gsl_ran_gaussian_ziggurat(r, 1.0);
    } else {
        for (size_t k = 0; k < n; k++)
            h[k] = unit_sample(u, I[k], r);
    }
}

/* ---- gradient terms ------------------------------------------------------ */

/* The data term over rows base[idx[b] N ..] (base: the training set, or
 * the fresh rows of online sampling; idx NULL: all B training rows). */
static void data_term_rows(train_ws *ws, const int8_t *base, const double *w, const size_t *idx,
                           size_t nb, double *dw, double *dg);

void train_data_term(train_ws *ws, const double *w, const double *g, const size_t *idx, size_t nb,
                     double *dw, double *dg)
{
    (void)g;   /* the data term of w does not depend on the fields */
    data_term_rows(ws, ws->data, w, idx, nb, dw, dg);
}

/* The end of a data term: dw, the sums over nb rows, divided by nb, and dg
 * = <v> over the rows (idx NULL: all B, from vbar). */
static void data_term_scale(const train_ws *ws, const int8_t *base, const size_t *idx, size_t nb,
                            double *dw, double *dg)
{
    size_t N = ws->c.N, M = ws->c.M;
    double inv = 1.0 / (double)nb;
    for (size_t k = 0; k < M * N; k++)
        dw[k] *= inv;
    if (dg) {
        if (!idx) {
            memcpy(dg, ws->vbar, N * sizeof *dg);
        } else {
            memset(dg, 0, N * sizeof *dg);
            for (size_t b = 0; b < nb; b++)
                for (size_t i = 0; i < N; i++)
                    dg[i] += base[idx[b] * N + i];
            for (size_t i = 0; i < N; i++)
                dg[i] *= inv;
        }
    }
}

static void data_term_rows(train_ws *ws, const int8_t *base, const double *w, const size_t *idx,
                           size_t nb, double *dw, double *dg)
{
    size_t N = ws->c.N, M = ws->c.M;
    const unit_params *u = &ws->c.unit;
    if (!idx && ws->Chat) {
        /* gaussian, full batch: <v_i Gamma'(I)> = (C^ w - theta <v>)_i / gamma */
        for (size_t mu = 0; mu < M; mu++) {
            double *dm = dw + mu * N;
            /* (C^ w)_i: the rows of C^ against w, the product of the inputs */
            kern_sim_inputs(N, N, ws->Chat, w + mu * N, dm);
            for (size_t i = 0; i < N; i++)
                dm[i] = (dm[i] - u->theta_p * ws->vbar[i]) / u->gamma_p;
        }
        if (dg)
            memcpy(dg, ws->vbar, N * sizeof *dg);
        return;
    }
    if (!idx)
        nb = ws->B;
    memset(dw, 0, M * N * sizeof *dw);
    /* large rows stay int8 (a minibatch gathered into X8, the full batch in
     * place): the kernels widen them, with the sums of the double kernels,
     * saving the traffic of a double block that no longer fits L1; small
     * rows (a block of doubles within L1) are widened once, which measured
     * faster there (N = 100: 8%).  The same numbers either way. */
    int wide = N < TRAIN_I8_NMIN;
    for (size_t b0 = 0; b0 < nb; b0 += TRAIN_BLOCK) {
        size_t nr = nb - b0 < TRAIN_BLOCK ? nb - b0 : TRAIN_BLOCK;
        const int8_t *xb = base + b0 * N;
        if (wide) {
            for (size_t c = 0; c < nr; c++) {
                if (idx && b0 + c + TRAIN_PREFETCH_ROWS < nb)
                    prefetch_row(base + idx[b0 + c + TRAIN_PREFETCH_ROWS] * N, N);
                kern_sim_to_double(N, base + (idx ? idx[b0 + c] : b0 + c) * N, ws->X + c * N);
            }
            kern_sim_inputs_block(N, M, nr, w, ws->X, ws->I);
            block_dgamma(u, nr * M, ws->I, ws->H);
            kern_sim_outer(N, M, nr, ws->H, ws->X, dw);
            continue;
        }
        if (idx) {
            for (size_t c = 0; c < nr; c++) {
                if (b0 + c + TRAIN_PREFETCH_ROWS < nb)
                    prefetch_row(base + idx[b0 + c + TRAIN_PREFETCH_ROWS] * N, N);
                memcpy(ws->X8 + c * N, base + idx[b0 + c] * N, N);
            }
            xb = ws->X8;
        }
        kern_sim_inputs_block_i8(N, M, nr, w, xb, ws->X, ws->I);
        block_dgamma(u, nr * M, ws->I, ws->H);
        kern_sim_outer_i8(N, M, nr, ws->H, xb, dw);
    }
    data_term_scale(ws, base, idx, nb, dw, dg);
}

/* mc_steps Gibbs steps v -> h -> v on the nr int8 rows x, accumulating
 * E[v|h] h and E[v|h] of the final half-step into mw, mg (estimate v-mean),
 * or v E[h|v] and v at the final v (h-mean; E[h|v] = Gamma'(w.v) in double
 * from w).  The visible half-step runs in float on wf, gf (kern_sim.h: why
 * that is enough). */
static void gibbs_block(train_ws *ws, const double *w, const float *wf, const float *gf,
                        int8_t *x, size_t nr, gsl_rng *r, double *mw, double *mg)
{
    size_t N = ws->c.N, M = ws->c.M;
    for (size_t s = 0; s < ws->c.mc_steps; s++) {
        int last = s + 1 == ws->c.mc_steps;
        kern_sim_i8_to_float(nr * N, x, ws->Xf);
        kern_sim_inputs_block_f(N, M, nr, wf, ws->Xf, ws->I);
        block_sample_h(ws, nr * M, ws->I, ws->H, r);
        /* the rows of Xf, read by the inputs above, now receive E[v | h] */
        for (size_t c = 0; c < nr; c++)
            kern_sim_visible_f32(N, M, wf, gf, ws->H + c * M, uniforms(ws, N), x + c * N,
                                 ws->Xf + c * N);
        if (last && ws->c.estimate == TRAIN_EST_HMEAN) {
            /* the sampled v (x), and E[h | v] = Gamma'(I) at it */
            for (size_t c = 0; c < nr; c++)
                kern_sim_to_double(N, x + c * N, ws->X + c * N);
            kern_sim_inputs_block(N, M, nr, w, ws->X, ws->I);
            block_dgamma(&ws->c.unit, nr * M, ws->I, ws->H);
            kern_sim_outer(N, M, nr, ws->H, ws->X, mw);
            if (mg)
                kern_sim_colsum(N, nr, ws->X, mg);
        } else if (last) {
            /* Xf now holds E[v | h] row by row (float, widened exactly) */
            kern_sim_outer_f(N, M, nr, ws->H, ws->Xf, mw);
            if (mg)
                kern_sim_colsum_f(N, nr, ws->Xf, mg);
        }
    }
}

/* bits, lanes: the thresholds, bit planes and E[v | h] of the 2^M hidden
 * configurations. */
static void bits_tables(train_ws *ws, const double *w, const double *g)
{
    size_t N = ws->c.N, M = ws->c.M, nw = ws->nw;
    size_t ncfg = (size_t)1 << M, NP = KERN_SIM_PLANES;
    for (size_t cfg = 0; cfg < ncfg; cfg++) {
        double *ev = ws->ev + cfg * N;
        for (size_t i = 0; i < N; i++) {
            double f = g ? g[i] : 0.0;
            for (size_t mu = 0; mu < M; mu++)
                f += (cfg >> mu & 1) ? w[mu * N + i] : -w[mu * N + i];
            ev[i] = tanh(f);
            ws->thr[i] = kern_sim_threshold(f);
        }
        for (size_t j = 0; j < nw; j++)
            kern_sim_planes(N - 64 * j < 64 ? N - 64 * j : 64, ws->thr + 64 * j,
                            ws->planes + (cfg * nw + j) * NP);
    }
}

/* bits, lanes: the Rao-Blackwellised estimate from the chains' final
 * hidden configurations (ws->ccount). */
static void bits_estimate(train_ws *ws, double *mw, double *mg)
{
    size_t N = ws->c.N, M = ws->c.M, ncfg = (size_t)1 << M;
    double inv = 1.0 / (double)ws->nchain;
    memset(mw, 0, M * N * sizeof *mw);
    if (mg)
        memset(mg, 0, N * sizeof *mg);
    for (size_t cfg = 0; cfg < ncfg; cfg++) {
        if (!ws->ccount[cfg])
            continue;
        double a = (double)ws->ccount[cfg] * inv;
        const double *ev = ws->ev + cfg * N;
        for (size_t mu = 0; mu < M; mu++) {
            double b = (cfg >> mu & 1) ? a : -a;
            for (size_t i = 0; i < N; i++)
                mw[mu * N + i] += b * ev[i];
        }
        if (mg)
            for (size_t i = 0; i < N; i++)
                mg[i] += a * ev[i];
    }
}

/* The PCD model term with gibbs = bits (train.h): per update the 2^M
 * thresholds and E[v | h] of every site and the byte tables of w, then per
 * chain mc_steps steps v -> h -> v on its packed row.  h_mu = +1 with
 * probability 1/(1 + e^{-2(I_mu - theta)}) = (1 + tanh(I_mu - theta))/2
 * from a 53-bit uniform, I_mu = 2 sum_{v_i = +1} w_{mu i} - sum_i w_{mu i};
 * the Rao-Blackwellised estimate E[v | h] h of the last step is, summed
 * over chains, a sum over the final hidden configurations. */
static void bits_model_term(train_ws *ws, const double *w, const double *g, double *mw, double *mg)
{
    size_t N = ws->c.N, M = ws->c.M, nw = ws->nw, nbyte = (N + 7) / 8;
    size_t ncfg = (size_t)1 << M, NP = KERN_SIM_PLANES;
    double theta = ws->c.unit.theta_p, wsum[TRAIN_BITS_MMAX];
    const double *btab = ws->btab;
    const uint64_t *planes = ws->planes;
    bits_tables(ws, w, g);
    for (size_t mu = 0; mu < M; mu++) {
        kern_sim_byte_table(N, w + mu * N, ws->btab + mu * nbyte * 256);
        wsum[mu] = 0.0;
        for (size_t i = 0; i < N; i++)
            wsum[mu] += w[mu * N + i];
    }
    memset(ws->ccount, 0, ncfg * sizeof *ws->ccount);
    uint64_t last = N % 64 ? ((uint64_t)1 << (N % 64)) - 1 : ~(uint64_t)0;
    /* the pool and its position in locals: stores to the rows would
     * otherwise force reloads through ws (same element type) */
    uint64_t *restrict rb = ws->rb;
    size_t rpos = ws->rpos;
    /* chain by chain, all its steps (stepping several chains side by side
     * to overlap their latencies measured 5-15 % slower at N = 100) */
    for (size_t c = 0; c < ws->nchain; c++) {
        uint64_t *restrict v = ws->cb + c * nw;
        size_t cfg = 0;
        for (size_t s = 0; s < ws->c.mc_steps; s++) {
            if (ws->nrb - rpos < M + nw * NP) {
                kern_sim_bits(&ws->q, rb, ws->nrb);
                rpos = 0;
            }
            cfg = 0;
            for (size_t mu = 0; mu < M; mu++) {
                double I = 2.0 * kern_sim_byte_dot(nbyte, btab + mu * nbyte * 256,
                                                   (const uint8_t *)v) - wsum[mu];
                double p = 1.0 / (1.0 + exp(-2.0 * (I - theta)));
                if ((double)(rb[rpos + mu] >> 11) * 0x1p-53 < p)
                    cfg |= (size_t)1 << mu;
            }
            rpos += M;
            const uint64_t *pl = planes + cfg * nw * NP;
            for (size_t j = 0; j < nw; j++) {
                size_t used;
                v[j] = kern_sim_bern64(pl + j * NP, j + 1 < nw ? ~(uint64_t)0 : last, rb + rpos,
                                       &used);
                rpos += used;
            }
        }
        ws->ccount[cfg]++;
    }
    ws->rpos = rpos;
    bits_estimate(ws, mw, mg);
}

/* The PCD model term with gibbs = lanes (train.h): bits_model_term's
 * tables and estimate, chains in groups of KERN_SIM_LANES stepped together,
 * chain l of a group on lane l of the kern_sim_bits pool (word k of lane l
 * at rb[8k + l]; every lane takes the same words, refilled for all when
 * short of a step's worst case), visible draws by kern_sim_bern64_lanes,
 * hidden draw U (1 + E) < 1, E = C prod_j P_j[v_j] (kern_sim_byte_prod;
 * P(h = +1) = 1/(1 + E) with E = exp(-2 (I - theta)), I = 2 sum_{v_i = +1} w_i
 * - sum_i w_i, U = (r >> 11) 2^-53). */
static void lanes_model_term(train_ws *ws, const double *w, const double *g, double *mw, double *mg)
{
    size_t N = ws->c.N, M = ws->c.M, nw = ws->nw, nbyte = (N + 7) / 8;
    size_t ncfg = (size_t)1 << M, NP = KERN_SIM_PLANES, L = KERN_SIM_LANES;
    size_t nvec = ws->nrb / L;   /* pool words per lane */
    double theta = ws->c.unit.theta_p, cfac[TRAIN_BITS_MMAX];
    const double *ptab = ws->ptab;
    bits_tables(ws, w, g);
    for (size_t mu = 0; mu < M; mu++) {
        double wsum = 0.0;
        for (size_t i = 0; i < N; i++)
            wsum += w[mu * N + i];
        kern_sim_prod_table(N, w + mu * N, ws->ptab + mu * nbyte * 256);
        cfac[mu] = exp(2.0 * wsum + 2.0 * theta);
    }
    memset(ws->ccount, 0, ncfg * sizeof *ws->ccount);
    uint64_t last = N % 64 ? ((uint64_t)1 << (N % 64)) - 1 : ~(uint64_t)0;
    uint64_t *restrict rb = ws->rb;
    size_t rpos = nvec;   /* in words per lane; a fresh pool per model term */
    for (size_t c0 = 0; c0 < ws->nchain; c0 += L) {
        size_t G = ws->nchain - c0 < L ? ws->nchain - c0 : L;
        uint64_t *row[KERN_SIM_LANES], lm[KERN_SIM_LANES], out[KERN_SIM_LANES];
        uint8_t cfg[KERN_SIM_LANES] = {0};
        /* lanes past the last chain: a scratch row, no active sites */
        for (size_t l = 0; l < L; l++)
            row[l] = l < G ? ws->cb + (c0 + l) * nw : ws->rl;
        for (size_t s = 0; s < ws->c.mc_steps; s++) {
            if (nvec - rpos < M + nw * NP) {
                kern_sim_bits(&ws->q, rb, ws->nrb);
                rpos = 0;
            }
            for (size_t l = 0; l < G; l++) {
                size_t h = 0;
                for (size_t mu = 0; mu < M; mu++) {
                    double E = cfac[mu] * kern_sim_byte_prod(nbyte, ptab + mu * nbyte * 256,
                                                             (const uint8_t *)row[l]);
                    double U = (double)(rb[(rpos + mu) * L + l] >> 11) * 0x1p-53;
                    h |= (size_t)(U * (1.0 + E) < 1.0) << mu;
                }
                cfg[l] = (uint8_t)h;
            }
            rpos += M;
            for (size_t j = 0; j < nw; j++) {
                for (size_t l = 0; l < L; l++)
                    lm[l] = l < G ? (j + 1 < nw ? ~(uint64_t)0 : last) : 0;
                rpos += kern_sim_bern64_lanes(ncfg, ws->planes + j * NP, nw * NP, cfg, lm,
                                              rb + rpos * L, out);
                for (size_t l = 0; l < G; l++)
                    row[l][j] = out[l];
            }
        }
        for (size_t l = 0; l < G; l++)
            ws->ccount[cfg[l]]++;
    }
    bits_estimate(ws, mw, mg);
}

/* The model term; CD restarts from rows base[idx[b] N ..]. */
static int model_term_rows(train_ws *ws, const int8_t *base, const double *w, const double *g,
                           const size_t *idx, size_t nb, gsl_rng *r, double *mw, double *mg,
                           char *err);

int train_model_term(train_ws *ws, const double *w, const double *g, const size_t *idx, size_t nb,
                     gsl_rng *r, double *mw, double *mg, char *err)
{
    return model_term_rows(ws, ws->data, w, g, idx, nb, r, mw, mg, err);
}

static int model_term_rows(train_ws *ws, const int8_t *base, const double *w, const double *g,
                           const size_t *idx, size_t nb, gsl_rng *r, double *mw, double *mg,
                           char *err)
{
    size_t N = ws->c.N, M = ws->c.M;
    int st;
    switch (ws->c.term) {
    case TRAIN_EXACT:
        if (train_spinx_use(&ws->c) & TRAIN_SPINX_MODEL) {
            st = spinx_eval(ws->spinx, w, g, ws->c.unit.theta_p, NULL, mw, mg, err);
            return st ? sym_context(err, st, "exact model term") : SYM_OK;
        }
        st = marg_eval(ws->marg, &ws->c.unit, w, g, mw, mg, NULL, err);
        return st ? sym_context(err, st, "exact model term") : SYM_OK;
    case TRAIN_ENUM:
        return train_enum(N, M, &ws->c.unit, w, g, NULL, mw, mg, err);
    case TRAIN_PCD:
    case TRAIN_CD:
        break;
    default:
        return sym_error(err, SYM_EINVAL, "unknown model term");
    }
    if (ws->cb) {
        kern_sim_rng_seed(&ws->q, r);
        ws->rpos = ws->nrb;
        if (ws->c.gibbs == TRAIN_GIBBS_LANES)
            lanes_model_term(ws, w, g, mw, mg);
        else
            bits_model_term(ws, w, g, mw, mg);
        return SYM_OK;
    }
#ifdef TRAIN_GSL_UNIFORMS
    gsl_rng_set(ws->gq, gsl_rng_get(r));
#else
    kern_sim_rng_seed(&ws->q, r);
#endif
    ws->upos = ws->nu;
    kern_sim_to_float(M * N, w, ws->wf);
    const float *gf = NULL;
    if (g) {
        kern_sim_to_float(N, g, ws->gf);
        gf = ws->gf;
    }
    memset(mw, 0, M * N * sizeof *mw);
    if (mg)
        memset(mg, 0, N * sizeof *mg);
    if (ws->c.term == TRAIN_PCD) {
        for (size_t c0 = 0; c0 < ws->nchain; c0 += TRAIN_BLOCK) {
            size_t nr = ws->nchain - c0 < TRAIN_BLOCK ? ws->nchain - c0 : TRAIN_BLOCK;
            gibbs_block(ws, w, ws->wf, gf, ws->chain + c0 * N, nr, r, mw, mg);
        }
        nb = ws->nchain;
    } else {
        if (!idx)
            nb = ws->B;
        for (size_t b0 = 0; b0 < nb; b0 += TRAIN_BLOCK) {
            size_t nr = nb - b0 < TRAIN_BLOCK ? nb - b0 : TRAIN_BLOCK;
            for (size_t c = 0; c < nr; c++)
                memcpy(ws->chain + c * N, base + (idx ? idx[b0 + c] : b0 + c) * N, N);
            gibbs_block(ws, w, ws->wf, gf, ws->chain, nr, r, mw, mg);
        }
    }
    double inv = 1.0 / (double)nb;
    for (size_t k = 0; k < M * N; k++)
        mw[k] *= inv;
    if (mg)
        for (size_t i = 0; i < N; i++)
            mg[i] *= inv;
    return SYM_OK;
}

int train_enum(size_t N, size_t M, const unit_params *u, const double *w, const double *g,
               double *logZ, double *mw, double *mg, char *err)
{
    if (N > TRAIN_ENUM_NMAX || N < 1)
        return sym_error(err, SYM_EINVAL, "enumeration needs 1 <= N <= %d (N = %zu)", TRAIN_ENUM_NMAX, N);
    int st = sym_alloc_check(M, N, sizeof(double), "M*N weights", NULL, err);
    if (st)
        return st;
    /* the visible states from the visible-unit table: spin, the only kind
     * the trainer's data (int8 +-1) and kernels hold */
    const visible_type *vt = &visible_spin;
    size_t nst = vt->nstates;
    double *I = malloc(M * sizeof *I), *d = malloc(M * sizeof *d);
    double *aw = calloc(M * N, sizeof *aw), *ag = calloc(N, sizeof *ag);
    double *v = malloc(N * sizeof *v);
    size_t *c = calloc(N, sizeof *c);
    if (!I || !d || !aw || !ag || !v || !c) {
        free(I); free(d); free(aw); free(ag); free(v); free(c);
        return sym_error(err, SYM_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < N; i++)
        v[i] = visible_enc(vt, 0)[0];
    /* running log-sum-exp: sums are kept relative to exp(ref) */
    double ref = -INFINITY, Z = 0;
    for (int more = 1; more;) {
        double E = 0;
        for (size_t i = 0; g && i < N; i++)
            E += g[i] * v[i];
        for (size_t mu = 0; mu < M; mu++) {
            double a = 0;
            for (size_t i = 0; i < N; i++)
                a += w[mu * N + i] * v[i];
            I[mu] = a;
            E += unit_gamma(u, a);
            d[mu] = unit_dgamma(u, a);
        }
        if (E > ref) {
            double sc = exp(ref - E);
            Z *= sc;
            for (size_t k = 0; k < M * N; k++)
                aw[k] *= sc;
            for (size_t i = 0; i < N; i++)
                ag[i] *= sc;
            ref = E;
        }
        double p = exp(E - ref);
        Z += p;
        for (size_t mu = 0; mu < M; mu++)
            for (size_t i = 0; i < N; i++)
                aw[mu * N + i] += p * v[i] * d[mu];
        for (size_t i = 0; i < N; i++)
            ag[i] += p * v[i];
        /* the next state: the digits c_i count up, site 0 fastest (for
         * spin the bits of a counter s, v_i = +1 where bit i is set) */
        more = 0;
        for (size_t i = 0; i < N; i++) {
            if (++c[i] < nst) {
                v[i] = visible_enc(vt, c[i])[0];
                more = 1;
                break;
            }
            c[i] = 0;
            v[i] = visible_enc(vt, 0)[0];
        }
    }
    if (logZ)
        *logZ = ref + log(Z);
    if (mw)
        for (size_t k = 0; k < M * N; k++)
            mw[k] = aw[k] / Z;
    if (mg)
        for (size_t i = 0; i < N; i++)
            mg[i] = ag[i] / Z;
    free(I); free(d); free(aw); free(ag); free(v); free(c);
    if (!isfinite(ref) || !(Z > 0))
        return sym_error(err, SYM_ENUM, "enumeration: log Z not finite");
    return SYM_OK;
}

/* train_loglik's sum of log 2cosh(I - theta) over the rows of v (binary
 * units, M >= 2) on the team: blocks of TRAIN_BLOCK rows from a shared
 * counter, each block's sum kept apart and the sums added in block order,
 * so the total is the one of one thread. */
typedef struct {
    train_ws *ws;
    const double *w;
    const int8_t *v;
    size_t B;
    double *part;
    _Alignas(64) atomic_size_t next;   /* a line of its own (tjob) */
    char pad_[64 - sizeof(atomic_size_t)];
} tll_job;

static void tll_run(void *arg, size_t t, size_t T)
{
    tll_job *j = arg;
    train_ws *ws = j->ws;
    size_t N = ws->c.N, M = ws->c.M, nblk = (j->B + TRAIN_BLOCK - 1) / TRAIN_BLOCK;
    double *I = ws->tLI + t * TRAIN_BLOCK * M, theta = ws->c.unit.theta_p;
    (void)T;
    for (;;) {
        size_t k = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (k >= nblk)
            return;
        size_t b0 = k * TRAIN_BLOCK, nr = j->B - b0 < TRAIN_BLOCK ? j->B - b0 : TRAIN_BLOCK;
        /* the inputs of kern_sim_to_double + kern_sim_inputs_block, bit for bit */
        kern_sim_inputs_block_i8(N, M, nr, j->w, j->v + b0 * N, ws->tS + t * 2 * N, I);
        for (size_t q = 0; q < nr * M; q++)
            I[q] -= theta;
        j->part[k] = kern_logcosh_sum(I, NULL, nr * M, 1.0);
    }
}

static int team_logcosh(train_ws *ws, const double *w, const int8_t *v, size_t B, double *sg)
{
    size_t nblk = (B + TRAIN_BLOCK - 1) / TRAIN_BLOCK;
    tll_job j = {.ws = ws, .w = w, .v = v, .B = B, .part = malloc(nblk * sizeof(double))};
    if (!j.part)
        return SYM_ENOMEM;
    atomic_store(&j.next, 0);
    team_run(ws->team, tll_run, &j);
    double s = 0;
    for (size_t k = 0; k < nblk; k++)
        s += j.part[k];
    free(j.part);
    *sg = s;
    return SYM_OK;
}

int train_loglik(train_ws *ws, const double *w, const double *g, const int8_t *v, size_t B,
                 double *ll, char *err)
{
    size_t N = ws->c.N, M = ws->c.M;
    const unit_params *u = &ws->c.unit;
    double logZ = NAN;
    int st;
    *ll = NAN;
    if (M == 1 && ws->marg) {
        marg_stats ms;
        st = marg_eval(ws->marg, u, w, g, NULL, NULL, &ms, err);
        if (st)
            return sym_context(err, st, "log-likelihood");
        logZ = ms.logZ;
    } else if (ws->spinx) {
        /* binary units, M >= 2: the 2^M sum at any N (allocated only for
         * runs that had no log-likelihood before, or no exact model term) */
        st = spinx_eval(ws->spinx, w, g, u->theta_p, &logZ, NULL, NULL, err);
        if (st)
            return sym_context(err, st, "log-likelihood");
    } else if (N <= TRAIN_ENUM_NMAX) {
        st = train_enum(N, M, u, w, g, &logZ, NULL, NULL, err);
        if (st)
            return sym_context(err, st, "log-likelihood");
    } else {
        return SYM_OK;
    }
    double gv = 0;
    int gzero = 1;
    for (size_t i = 0; g && i < N; i++)
        gzero &= g[i] == 0.0;
    if (!gzero && v == ws->data && B == ws->B) {
        for (size_t i = 0; i < N; i++)
            gv += g[i] * ws->vbar[i];
    } else if (!gzero) {
        /* g.<v> over the given samples */
        for (size_t b = 0; b < B; b++)
            for (size_t i = 0; i < N; i++)
                gv += g[i] * v[b * N + i];
        gv /= (double)B;
    }
    double sg = 0;
    if (v == ws->data && B == ws->B && ws->Chat && M == 1) {
        /* gaussian: <(I - theta)^2> = w C^ w - 2 theta w.<v> + theta^2 */
        double q = 0, wv = 0;
        for (size_t i = 0; i < N; i++) {
            double s = 0;
            for (size_t j = 0; j < N; j++)
                s += ws->Chat[i * N + j] * w[j];
            q += w[i] * s;
            wv += w[i] * ws->vbar[i];
        }
        double th = u->theta_p;
        sg = (q - 2 * th * wv + th * th) / (2 * u->gamma_p) + 0.5 * log(2 * M_PI / u->gamma_p);
    } else if (ws->spinx && ws->team) {
        /* the same block sums on the team, added here in block order */
        st = team_logcosh(ws, w, v, B, &sg);
        if (st)
            return sym_error(err, st, "log-likelihood: out of memory");
        sg /= (double)B;
    } else if (ws->spinx) {
        /* binary units (the 2^M path, so no earlier number to keep): Gamma =
         * log 2cosh(I - theta) (core/unit.h) over blocks of rows with the
         * vector kernels; at B = 10^4 this is the cost of a snapshot */
        for (size_t b0 = 0; b0 < B; b0 += TRAIN_BLOCK) {
            size_t nr = B - b0 < TRAIN_BLOCK ? B - b0 : TRAIN_BLOCK;
            for (size_t c = 0; c < nr; c++)
                kern_sim_to_double(N, v + (b0 + c) * N, ws->X + c * N);
            kern_sim_inputs_block(N, M, nr, w, ws->X, ws->I);
            for (size_t k = 0; k < nr * M; k++)
                ws->I[k] -= u->theta_p;
            sg += kern_logcosh_sum(ws->I, NULL, nr * M, 1.0);
        }
        sg /= (double)B;
    } else {
        for (size_t b = 0; b < B; b++) {
            kern_sim_to_double(N, v + b * N, ws->X);
            kern_sim_inputs(N, M, w, ws->X, ws->I);
            for (size_t mu = 0; mu < M; mu++)
                sg += unit_gamma(u, ws->I[mu]);
        }
        sg /= (double)B;
    }
    *ll = gv + sg - logZ;
    return SYM_OK;
}

/* ---- optimiser and schedule ---------------------------------------------- */

void train_adam_step(double *x, const double *grad, double *m, double *s, size_t n, size_t t,
                     double lr)
{
    double c1 = 1.0 - pow(TRAIN_ADAM_BETA1, (double)t);
    double c2 = 1.0 - pow(TRAIN_ADAM_BETA2, (double)t);
    kern_sim_adam(n, x, grad, m, s, TRAIN_ADAM_BETA1, TRAIN_ADAM_BETA2, c1, c2, TRAIN_ADAM_EPS, lr);
}

size_t train_snapshots(size_t K, double lr, size_t nsnap, int linear, double *tbuf, size_t *out)
{
    /* the theory's snapshot times (core/snap.h), rounded to whole updates */
    snap_times(lr * (double)K, nsnap, linear, tbuf);
    size_t n = 0;
    out[n++] = 0;
    for (size_t j = 1; j <= nsnap && K > 0; j++) {
        double kd = tbuf[j] / lr;
        size_t k = kd <= 0 ? 0 : (size_t)llround(kd);
        if (k > K)
            k = K;
        if (k > out[n - 1])
            out[n++] = k;
    }
    if (K > 0 && out[n - 1] != K)
        out[n - 1] = K;   /* rounding never leaves the end short */
    return n;
}

size_t train_updates_per_epoch(const train_config *c, size_t B)
{
    if (c->batch == 0 || c->batch >= B)
        return 1;
    return (B + c->batch - 1) / c->batch;
}

static int check_finite(const double *x, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!isfinite(x[k]))
            return 0;
    return 1;
}

static double sum_squares(const double *x, size_t n)
{
    double s = 0;
    for (size_t k = 0; k < n; k++)
        s += x[k] * x[k];
    return s;
}

/* After update k (k = 0: the initial state): SYM_ENUM if a weight or field
 * is not finite, or if the weights or fields have blown up (norm2 above
 * TRAIN_NORM2_MAX): a run that diverges without reaching inf is not a
 * result.  One pass of sums of squares, which a NaN or inf also poisons,
 * so this costs what the finiteness check alone did. */
static int check_state(const double *w, size_t MN, const double *g, size_t N, size_t k,
                       char *err)
{
    double nw = sum_squares(w, MN), ng = sum_squares(g, N);
    if (!isfinite(nw) || !isfinite(ng)) {
        if (!check_finite(w, MN) || !check_finite(g, N))
            return sym_error(err, SYM_ENUM, "NaN in weights at update %zu", k);
    }
    if (!(nw <= TRAIN_NORM2_MAX) || !(ng <= TRAIN_NORM2_MAX)) {
        int wts = !(nw <= TRAIN_NORM2_MAX);
        if (k == 0)
            return sym_error(err, SYM_EINVAL,
                             "initial %s: norm2 = %.3g, above the bound %.0e: lower the init scale",
                             wts ? "weights" : "fields", wts ? nw : ng, TRAIN_NORM2_MAX);
        return sym_error(err, SYM_ENUM, "%s diverged at update %zu (norm2 = %.3g): lower lr",
                         wts ? "weights" : "fields", k, wts ? nw : ng);
    }
    return SYM_OK;
}

int train_next_batch(train_ws *ws, gsl_rng *r, const int8_t **base, const size_t **idx,
                     size_t *nb, char *err)
{
    size_t B = ws->B;
    int full = ws->c.batch == 0 || ws->c.batch >= B;
    size_t n = full ? B : ws->c.batch;
    *base = ws->data;
    switch (ws->c.sampling) {
    case TRAIN_EPOCH:
        if (full) {
            *idx = NULL;
            *nb = B;
            return SYM_OK;
        }
        if (ws->pos == 0)
            gsl_ran_shuffle(r, ws->perm, B, sizeof(size_t));
        *idx = ws->perm + ws->pos;
        *nb = B - ws->pos < n ? B - ws->pos : n;
        ws->pos += *nb;
        if (ws->pos == B)
            ws->pos = 0;
        return SYM_OK;
    case TRAIN_REPLACE:
        for (size_t b = 0; b < n; b++)
            ws->bidx[b] = (size_t)gsl_rng_uniform_int(ws->rs, (unsigned long)B);
        *idx = ws->bidx;
        *nb = n;
        return SYM_OK;
    case TRAIN_ONLINE: {
        int st = ring_sample(ws->c.model, ws->rs, n, ws->orow, err);
        if (st)
            return sym_context(err, st, "online sampling");
        *base = ws->orow;
        *idx = ws->bidx;
        *nb = n;
        return SYM_OK;
    }
    }
    return sym_error(err, SYM_EINVAL, "unknown sampling %d", (int)ws->c.sampling);
}

size_t train_done(const train_ws *ws)
{
    return ws->k;
}

void train_set_checkpoint(train_ws *ws, size_t every, train_ckpt_fn fn, void *ctx)
{
    ws->ck_every = fn ? every : 0;
    ws->ck_fn = fn;
    ws->ck_ctx = ctx;
}

/* Updates ws->k + 1 .. K (train_run, train_continue). */
/* ---- threads ---------------------------------------------------------------
 * With train_config.threads = T >= 2 an update runs as chunks of rows, each
 * in two team runs (core/team.h): first the members take items of the
 * chunk's rows in turn (gather, inputs and Gamma' of data rows, the Gibbs
 * steps of chains), then items of sites in turn (the outer-product sums of
 * the gradient over all rows of the chunk, in the block order of one
 * thread, and at the last chunk the optimiser step there).  Items rather
 * than fixed shares: on a shared machine one member is often slowed down,
 * and then it simply takes fewer.
 * Items start at even rows (the inputs kernels pair rows) and blocks stay
 * those of one thread, so every sum has the same terms in the same order:
 * the numbers are those of threads = 1, bit for bit (tests/test_team.c).
 * The Gibbs uniforms still come from one stream in one order: at each chunk
 * member 0 replays the pool of uniforms() (sizes of requests, refills,
 * discarded tails) and draws the pools the chunk will use, so each chain
 * finds the very numbers one thread would have given it. */

typedef struct {
    train_ws *ws;
    const double *w;
    /* data part: dn rows of the batch from row d0 (idx NULL: base in place) */
    const int8_t *base;
    const size_t *idx;
    size_t d0, dn;
    const int8_t *dX;   /* the chunk's rows, contiguous                      */
    double *dw;
    /* model part: chains m0 .. m0 + mn - 1 */
    size_t m0, mn;
    const float *wf, *gf;
    double *mw, *mg;
    /* the end of the update (run_updates), done by each member on its own
     * sites once the last chunk is summed: the scaling by 1/rows, the
     * gradient and the optimiser step of w and g; k = 0: not here */
    size_t k, nb, nc;
    int last;
    double *wu, *gu, *dg;
    /* the next work item, the chunk's uniforms drawn (or failed): each on
     * a cache line of its own, away from the fields every member reads */
    _Alignas(64) atomic_size_t next;
    _Alignas(64) atomic_int uready;
    char pad_[64 - sizeof(atomic_int)];
    int failed;
    size_t *cur;
} tjob;

static int plan_uniforms(train_ws *ws, size_t mn, size_t *cur);

/* Rows per work item of phase 1: a multiple of 2 and a divisor of
 * TRAIN_BLOCK; 16 rows of N int8 spins are whole cache lines when 4 | N
 * (measured: 8-row items, 12.5 lines at N = 100, made PCD-20 at N = 100
 * slower on two threads than on one). */
#define TRAIN_TITEM 16

static void tjob_data_item(tjob *j, size_t t, size_t lo, size_t hi)
{
    train_ws *ws = j->ws;
    size_t N = ws->c.N, M = ws->c.M;
    if (j->idx)
        for (size_t c = lo; c < hi; c++) {
            if (c + TRAIN_PREFETCH_ROWS < hi)
                prefetch_row(j->base + j->idx[j->d0 + c + TRAIN_PREFETCH_ROWS] * N, N);
            memcpy(ws->tX8 + c * N, j->base + j->idx[j->d0 + c] * N, N);
        }
    kern_sim_inputs_block_i8(N, M, hi - lo, j->w, j->dX + lo * N, ws->tS + t * 2 * N,
                             ws->tI + lo * M);
    block_dgamma(&ws->c.unit, (hi - lo) * M, ws->tI + lo * M, ws->tH + lo * M);
}

/* The Gibbs steps of the chunk's chains [a, b), within one block. */
static void tjob_chain_item(tjob *j, size_t a, size_t b)
{
    train_ws *ws = j->ws;
    size_t N = ws->c.N, M = ws->c.M, S = ws->c.mc_steps, blk = a / TRAIN_BLOCK;
    double theta = ws->c.unit.theta_p;
    int8_t *x = ws->chain + (j->m0 + a) * N;
    float *xf = ws->tXf + a * N;
    for (size_t s = 0; s < S; s++) {
        kern_sim_i8_to_float((b - a) * N, x, xf);
        kern_sim_inputs_block_f(N, M, b - a, j->wf, xf, ws->tIm + a * M);
        kern_sim_spin_draw32((b - a) * M, theta, ws->tIm + a * M,
                             ws->tuh[blk * S + s] + (a - blk * TRAIN_BLOCK) * M, ws->tHm + a * M);
        for (size_t c = a; c < b; c++)
            kern_sim_visible_f32(N, M, j->wf, j->gf, ws->tHm + c * M, ws->tuv[c * S + s],
                                 ws->chain + (j->m0 + c) * N, ws->tXf + c * N);
    }
}

/* Phase 1, member t: items of TRAIN_TITEM rows taken in turn from a shared
 * counter, the data rows first, then the chains.  Member 0 first draws the
 * chunk's uniforms (plan_uniforms), serial by nature, while the others
 * start on the data rows; chain items wait until the uniforms are there.
 * Which member takes an item changes nothing: every item writes its own
 * rows. */
static void tjob_rows(void *arg, size_t t, size_t T)
{
    tjob *j = arg;
    (void)T;
    size_t nd = (j->dn + TRAIN_TITEM - 1) / TRAIN_TITEM, nm = (j->mn + TRAIN_TITEM - 1) / TRAIN_TITEM;
    if (t == 0 && j->mn) {
        if (plan_uniforms(j->ws, j->mn, j->cur))
            j->failed = 1;
        atomic_store_explicit(&j->uready, 1, memory_order_release);
    }
    for (;;) {
        size_t k = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (k < nd) {
            size_t lo = k * TRAIN_TITEM, hi = lo + TRAIN_TITEM < j->dn ? lo + TRAIN_TITEM : j->dn;
            tjob_data_item(j, t, lo, hi);
            continue;
        }
        if (k >= nd + nm)
            return;
        while (!atomic_load_explicit(&j->uready, memory_order_acquire))
            ;   /* member 0 is drawing the uniforms: a few microseconds */
        if (j->failed)
            return;
        size_t a = (k - nd) * TRAIN_TITEM, b = a + TRAIN_TITEM < j->mn ? a + TRAIN_TITEM : j->mn;
        tjob_chain_item(j, a, b);
    }
}

/* The rest of run_updates' update on the sites [i0, i1): the same
 * operations in the same order on every entry as there (elementwise), so
 * the same bits. */
static void tjob_finish(tjob *j, size_t i0, size_t i1)
{
    train_ws *ws = j->ws;
    const train_config *c = &ws->c;
    size_t N = c->N, M = c->M, n = i1 - i0;
    double invd = 1.0 / (double)j->nb, invm = 1.0 / (double)j->nc;
    double *w = j->wu, *g = j->gu;
    for (size_t mu = 0; mu < M; mu++) {
        size_t q0 = mu * N + i0;
        for (size_t q = q0; q < q0 + n; q++) {
            j->dw[q] *= invd;
            j->mw[q] *= invm;
        }
        for (size_t q = q0; q < q0 + n; q++)
            ws->gw[q] = ws->gw[q] - ws->mw[q] - c->l2 * w[q];
    }
    if (c->learn_fields) {
        double *dg = j->dg;
        if (!j->idx) {
            memcpy(dg + i0, ws->vbar + i0, n * sizeof *dg);
        } else {
            memset(dg + i0, 0, n * sizeof *dg);
            for (size_t b = 0; b < j->nb; b++)
                for (size_t i = i0; i < i1; i++)
                    dg[i] += j->base[j->idx[b] * N + i];
            for (size_t i = i0; i < i1; i++)
                dg[i] *= invd;
        }
        for (size_t i = i0; i < i1; i++)
            j->mg[i] *= invm;
    }
    for (size_t i = i0; i < i1; i++)
        ws->gg[i] = c->learn_fields ? ws->gg[i] - ws->mg[i] : 0.0;
    if (c->opt == TRAIN_SGD) {
        for (size_t mu = 0; mu < M; mu++)
            for (size_t q = mu * N + i0; q < mu * N + i1; q++)
                w[q] += c->lr * ws->gw[q];
        if (c->learn_fields)
            for (size_t i = i0; i < i1; i++)
                g[i] += c->lr * ws->gg[i];
    } else {
        size_t MN = M * N;
        for (size_t mu = 0; mu < M; mu++) {
            size_t q0 = mu * N + i0;
            train_adam_step(w + q0, ws->gw + q0, ws->am + q0, ws->as + q0, n, j->k, c->lr);
        }
        if (c->learn_fields)
            train_adam_step(g + i0, ws->gg + i0, ws->am + MN + i0, ws->as + MN + i0, n, j->k,
                            c->lr);
    }
}

/* Phase 2, member t: items of sites, each over every block of the chunk. */
static void tjob_sites(void *arg, size_t t, size_t T)
{
    tjob *j = arg;
    train_ws *ws = j->ws;
    size_t N = ws->c.N, M = ws->c.M;
    (void)t;
    /* items of whole cache lines of the double sums, about 8 per member, so
     * that a member the machine slows down takes fewer */
    size_t L = (N + 8 * T - 1) / (8 * T);
    L = L < 16 ? 16 : (L + 7) / 8 * 8;
    for (;;) {
        size_t i0 = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed) * L;
        if (i0 >= N)
            return;
        size_t i1 = i0 + L < N ? i0 + L : N;
        for (size_t b0 = 0; b0 < j->dn; b0 += TRAIN_BLOCK) {
            size_t nr = j->dn - b0 < TRAIN_BLOCK ? j->dn - b0 : TRAIN_BLOCK;
            kern_sim_outer_i8_cols(N, i0, i1, M, nr, ws->tH + b0 * M, j->dX + b0 * N, j->dw);
        }
        for (size_t b0 = 0; b0 < j->mn; b0 += TRAIN_BLOCK) {
            size_t nr = j->mn - b0 < TRAIN_BLOCK ? j->mn - b0 : TRAIN_BLOCK;
            kern_sim_outer_f_cols(N, i0, i1, M, nr, ws->tHm + b0 * M, ws->tXf + b0 * N, j->mw);
            if (j->mg)
                kern_sim_colsum_f_cols(N, i0, i1, nr, ws->tXf + b0 * N, j->mg);
        }
        if (j->k && j->last)
            tjob_finish(j, i0, i1);
    }
}

/* Replay uniforms() for the mn chains of a chunk: the pointers tuh, tuv
 * and the pools they point into (slot 0: the pool left by the previous
 * chunk).  Returns SYM_ENOMEM if the pools cannot grow. */
static int plan_uniforms(train_ws *ws, size_t mn, size_t *cur)
{
    size_t N = ws->c.N, M = ws->c.M, S = ws->c.mc_steps, nu = ws->nu;
    if (*cur)
        memcpy(ws->tU, ws->tU + *cur * nu, nu * sizeof *ws->tU);
    *cur = 0;
    /* pass 0 counts the pools, pass 1 draws them and sets the pointers */
    size_t upos0 = ws->upos, need = 1;
    for (int pass = 0; pass < 2; pass++) {
        size_t slot = 0, upos = upos0;
        for (size_t b0 = 0; b0 < mn; b0 += TRAIN_BLOCK) {
            size_t nr = mn - b0 < TRAIN_BLOCK ? mn - b0 : TRAIN_BLOCK;
            for (size_t s = 0; s < S; s++) {
                for (size_t c = 0; c <= nr; c++) {
                    size_t n = c == 0 ? nr * M : N;   /* the draws of h, then each row */
                    if (nu - upos < n) {
                        slot++;
                        upos = 0;
                        if (pass)
                            kern_sim_uniform32(&ws->q, ws->tU + slot * nu, nu);
                    }
                    if (pass) {
                        const uint32_t *p = ws->tU + slot * nu + upos;
                        if (c == 0)
                            ws->tuh[(b0 / TRAIN_BLOCK) * S + s] = p;
                        else
                            ws->tuv[(b0 + c - 1) * S + s] = p;
                    }
                    upos += n;
                }
            }
        }
        if (!pass) {
            need = slot + 1;
            if (need > ws->tucap) {
                uint32_t *p = realloc(ws->tU, need * nu * sizeof *p);
                if (!p)
                    return SYM_ENOMEM;
                ws->tU = p;
                ws->tucap = need;
            }
        } else {
            ws->upos = upos;
            *cur = slot;
        }
    }
    return SYM_OK;
}

/* Whether this update's model term runs on the team (else on one thread). */
static int team_model(const train_ws *ws)
{
    return ws->team && ws->c.term == TRAIN_PCD && ws->c.gibbs == TRAIN_GIBBS_FLOAT &&
           ws->c.unit.type->binary && ws->c.estimate == TRAIN_EST_VMEAN;
}

/* The data term of data_term_rows (minibatch or full batch, not the
 * gaussian full-batch C^ form) and, with mw, the PCD model term of
 * model_term_rows, on the team: the same numbers. */
static int team_terms(train_ws *ws, const int8_t *base, const double *w, const double *g,
                      const size_t *idx, size_t nb, gsl_rng *r, double *dw, double *dg,
                      double *mw, double *mg, size_t k, double *wu, double *gu)
{
    size_t N = ws->c.N, M = ws->c.M;
    if (!idx)
        nb = ws->B;
    size_t cur = 0;
    tjob j = {.ws = ws, .w = w, .base = base, .idx = idx, .dw = dw, .mw = mw, .mg = mg,
              .k = mw ? k : 0, .nb = nb, .nc = mw ? ws->nchain : 0, .wu = wu, .gu = gu, .dg = dg,
              .cur = &cur};
    memset(dw, 0, M * N * sizeof *dw);
    if (mw) {
        kern_sim_rng_seed(&ws->q, r);
        ws->upos = ws->nu;
        kern_sim_to_float(M * N, w, ws->wf);
        if (g) {
            kern_sim_to_float(N, g, ws->gf);
            j.gf = ws->gf;
        }
        j.wf = ws->wf;
        memset(mw, 0, M * N * sizeof *mw);
        if (mg)
            memset(mg, 0, N * sizeof *mg);
    }
    size_t nc = mw ? ws->nchain : 0;
    for (size_t d0 = 0, m0 = 0; d0 < nb || m0 < nc;) {
        j.d0 = d0;
        j.dn = nb - d0 < TRAIN_TCHUNK ? nb - d0 : TRAIN_TCHUNK;
        j.dX = idx ? ws->tX8 : base + d0 * N;
        j.m0 = m0;
        j.mn = nc - m0 < ws->tmchunk ? nc - m0 : ws->tmchunk;
        j.last = d0 + j.dn == nb && m0 + j.mn == nc;
        atomic_store(&j.next, 0);
        atomic_store(&j.uready, 0);
        team_run(ws->team, tjob_rows, &j);
        if (j.failed)
            return SYM_ENOMEM;
        atomic_store(&j.next, 0);
        team_run(ws->team, tjob_sites, &j);
        d0 += j.dn;
        m0 += j.mn;
    }
    if (j.k)
        return SYM_OK;   /* the members finished the update */
    data_term_scale(ws, base, idx, nb, dw, dg);
    if (mw) {
        double inv = 1.0 / (double)nc;
        for (size_t k = 0; k < M * N; k++)
            mw[k] *= inv;
        if (mg)
            for (size_t i = 0; i < N; i++)
                mg[i] *= inv;
    }
    return SYM_OK;
}

static int run_updates(train_ws *ws, size_t K, const size_t *snap, size_t nsnap, double *w,
                       double *g, gsl_rng *r, train_snap_fn fn, void *ctx, char *err)
{
    size_t N = ws->c.N, M = ws->c.M, MN = M * N, k0 = ws->k;
    size_t js = 0;
    int st;
    if ((st = check_state(w, MN, g, N, k0, err)))
        goto done;
    /* the snapshots at or before k0 were taken before the checkpoint */
    while (js < nsnap && snap[js] < k0)
        js++;
    while (k0 > 0 && js < nsnap && snap[js] == k0)
        js++;
    while (js < nsnap && snap[js] == 0) {
        if (fn && (st = fn(ctx, 0, w, g, err)))
            goto done;
        js++;
    }
    for (size_t k = k0 + 1; k <= K; k++) {
        const size_t *idx = NULL;
        const int8_t *base = ws->data;
        size_t nb = ws->B;
        if ((st = train_next_batch(ws, r, &base, &idx, &nb, err))) {
            sym_context(err, st, "update");
            goto done;
        }
        /* field gradients only when fields are learned */
        double *dg = ws->c.learn_fields ? ws->gg : NULL, *mg = ws->c.learn_fields ? ws->mg : NULL;
        if (idx)
            for (size_t b = 0; b < nb && b < TRAIN_PREFETCH_ROWS; b++)
                prefetch_row(base + idx[b] * N, N);
        int on_team = ws->team && !(!idx && ws->Chat), both = on_team && team_model(ws);
        if (both) {
            /* the whole update on the team, the optimiser step included */
            if ((st = team_terms(ws, base, w, g, idx, nb, r, ws->gw, dg, ws->mw, mg, k, w, g))) {
                sym_error(err, st, "out of memory (uniforms of the threads)");
                goto done;
            }
            goto stepped;
        }
        if (on_team) {
            /* the data term on the team, the model term here */
            st = team_terms(ws, base, w, g, idx, nb, r, ws->gw, dg, NULL, NULL, 0, NULL, NULL);
            if (st)
                st = sym_error(err, st, "out of memory (uniforms of the threads)");
            else
                st = model_term_rows(ws, base, w, g, idx, nb, r, ws->mw, mg, err);
        } else {
            data_term_rows(ws, base, w, idx, nb, ws->gw, dg);
            st = model_term_rows(ws, base, w, g, idx, nb, r, ws->mw, mg, err);
        }
        if (st) {
            sym_context(err, st, "update");
            goto done;
        }
        for (size_t q = 0; q < MN; q++)
            ws->gw[q] = ws->gw[q] - ws->mw[q] - ws->c.l2 * w[q];
        for (size_t i = 0; i < N; i++)
            ws->gg[i] = ws->c.learn_fields ? ws->gg[i] - ws->mg[i] : 0.0;
        if (ws->c.opt == TRAIN_SGD) {
            for (size_t q = 0; q < MN; q++)
                w[q] += ws->c.lr * ws->gw[q];
            if (ws->c.learn_fields)
                for (size_t i = 0; i < N; i++)
                    g[i] += ws->c.lr * ws->gg[i];
        } else {
            /* ADAM is elementwise: w and g with their own slices of the
             * moments (am, as hold w's M N entries, then g's N) */
            train_adam_step(w, ws->gw, ws->am, ws->as, MN, k, ws->c.lr);
            if (ws->c.learn_fields)
                train_adam_step(g, ws->gg, ws->am + MN, ws->as + MN, N, k, ws->c.lr);
        }
    stepped:
        ws->k = k;
        /* read-only, so a run that does not blow up is unchanged */
        if ((st = check_state(w, MN, g, N, k, err)))
            goto done;
        while (js < nsnap && snap[js] == k) {
            if (fn && (st = fn(ctx, k, w, g, err)))
                goto done;
            js++;
        }
        if (ws->ck_every && k % ws->ck_every == 0 && k < K &&
            (st = ws->ck_fn(ws->ck_ctx, k, w, g, err)))
            goto done;
    }
done:
    return st;
}

int train_run(train_ws *ws, size_t K, const size_t *snap, size_t nsnap, double *w, double *g,
              gsl_rng *r, train_snap_fn fn, void *ctx, char *err)
{
    ws->k = 0;
    ws->pos = 0;
    return run_updates(ws, K, snap, nsnap, w, g, r, fn, ctx, err);
}

int train_continue(train_ws *ws, size_t K, const size_t *snap, size_t nsnap, double *w,
                   double *g, gsl_rng *r, train_snap_fn fn, void *ctx, char *err)
{
    return run_updates(ws, K, snap, nsnap, w, g, r, fn, ctx, err);
}

/* ---- checkpoints ----------------------------------------------------------- */

int train_save(const train_ws *ws, ckpt_out *o, char *err)
{
    (void)err;
    size_t N = ws->c.N, MN = ws->c.M * N;
    ckpt_put_u64(o, "train.k", ws->k);
    ckpt_put_u64(o, "train.pos", ws->pos);
    ckpt_put(o, "train.perm", ws->perm, ws->B * sizeof *ws->perm);
    ckpt_put(o, "train.adam_m", ws->am, (MN + N) * sizeof *ws->am);
    ckpt_put(o, "train.adam_s", ws->as, (MN + N) * sizeof *ws->as);
    if (ws->cb)
        unpack_chains(ws);
    if (ws->c.term == TRAIN_PCD)
        ckpt_put(o, "train.chains", ws->chain, ws->nchain * N);
    if (ws->rs)
        ckpt_put_rng(o, "train.source_rng", ws->rs);
    if (ws->marg) {
        double x[MARG_WARM_DOUBLES];
        marg_warm_get(ws->marg, x);
        ckpt_put(o, "train.marg_warm", x, sizeof x);
    }
    return SYM_OK;
}

int train_load(train_ws *ws, ckpt_in *in, char *err)
{
    size_t N = ws->c.N, MN = ws->c.M * N;
    uint64_t k, pos;
    int st = ckpt_get_u64(in, "train.k", &k, err);
    st = st ? st : ckpt_get_u64(in, "train.pos", &pos, err);
    st = st ? st : ckpt_get(in, "train.perm", ws->perm, ws->B * sizeof *ws->perm, err);
    st = st ? st : ckpt_get(in, "train.adam_m", ws->am, (MN + N) * sizeof *ws->am, err);
    st = st ? st : ckpt_get(in, "train.adam_s", ws->as, (MN + N) * sizeof *ws->as, err);
    if (!st && ws->c.term == TRAIN_PCD)
        st = ckpt_get(in, "train.chains", ws->chain, ws->nchain * N, err);
    if (!st && ws->cb)
        pack_chains(ws);
    if (!st && ws->rs)
        st = ckpt_get_rng(in, "train.source_rng", ws->rs, err);
    if (!st && ws->marg) {
        double x[MARG_WARM_DOUBLES];
        if (!(st = ckpt_get(in, "train.marg_warm", x, sizeof x, err)))
            marg_warm_set(ws->marg, x);
    }
    if (st)
        return st;
    if (pos >= ws->B)
        return sym_error(err, SYM_EINVAL, "checkpoint: epoch position %llu beyond B = %zu",
                         (unsigned long long)pos, ws->B);
    for (size_t b = 0; b < ws->B; b++)
        if (ws->perm[b] >= ws->B)
            return sym_error(err, SYM_EINVAL, "checkpoint: minibatch order holds row %zu >= B",
                             ws->perm[b]);
    ws->k = (size_t)k;
    ws->pos = (size_t)pos;
    return SYM_OK;
}
