/* run (sim): sim_draw and sim_run (sim/run.h). */
#include "sim/run.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/size.h"
#include "core/rng.h"
#include "core/run.h"
#include "core/snap.h"
#include "core/sys.h"
#include "sim/ckpt.h"

void sim_config_default(sim_config *c)
{
    memset(c, 0, sizeof *c);
    unit_params_default(&c->train.unit, &unit_gaussian);
    c->train.M = 1;
    c->train.term = TRAIN_EXACT;
    c->train.chains = 100;
    c->train.mc_steps = 1;
    c->train.opt = TRAIN_SGD;
    c->train.lr = 0.01;
    c->T = 40;
    c->snapshots = 200;
    c->init_scale = 0.01;
    c->seed = 1;
}

int sim_draw(const ring_model *m, uint64_t seed, size_t B, size_t B_test, int8_t **v,
             int8_t **vtest, char *err)
{
    *v = *vtest = NULL;
    if (ring_require_spin(m, "sim", err))
        return SYM_EINVAL;
    if (B < 1)
        return sym_error(err, SYM_EINVAL, "B = 0: need at least one sample");
    size_t n, nt;
    int st = sym_alloc_check(B, m->N, 1, "B*N training samples", &n, err);
    if (!st && B_test)
        st = sym_alloc_check(B_test, m->N, 1, "B_test*N test samples", &nt, err);
    if (st)
        return st;
    nt = B_test ? nt : 0;
    *v = malloc(n);
    *vtest = B_test ? malloc(nt) : NULL;
    if (!*v || (B_test && !*vtest)) {
        free(*v);
        free(*vtest);
        *v = *vtest = NULL;
        return sym_error(err, SYM_ENOMEM, "out of memory for %zu + %zu samples of N = %zu (%.3g "
                         "GB)", B, B_test, m->N, ((double)n + (double)nt) / 1e9);
    }
    gsl_rng *rd = rng_alloc(seed, RNG_STREAM_DATA), *rt = rng_alloc(seed, RNG_STREAM_TEST);
    st = !rd || !rt ? sym_error(err, SYM_ENOMEM, "out of memory") : SYM_OK;
    st = st ? st : ring_sample(m, rd, B, *v, err);
    if (!st && B_test)
        st = ring_sample(m, rt, B_test, *vtest, err);
    if (rd)
        gsl_rng_free(rd);
    if (rt)
        gsl_rng_free(rt);
    if (st) {
        free(*v);
        free(*vtest);
        *v = *vtest = NULL;
    }
    return st;
}

int sim_updates(const sim_config *c, size_t B, size_t *K, char *err)
{
    if (c->epochs)
        return train_updates(&c->train, B, c->epochs, K, err);
    double k = c->T / c->train.lr;
    if (!(c->T > 0) || !(c->train.lr > 0) || !(k <= 1e15))
        return sym_error(err, SYM_EINVAL, "T = %g, lr = %g: need T > 0, lr > 0 and at most 1e15 "
                         "updates", c->T, c->train.lr);
    *K = (size_t)llround(k);
    if (*K < 1)
        return sym_error(err, SYM_EINVAL, "T = %g with lr = %g is less than one update", c->T,
                         c->train.lr);
    return SYM_OK;
}

typedef struct {
    const sim_config *c;
    const ring_type *type;
    size_t N, M, K;
    double entropy;
    train_ws *tw;
    const int8_t *v;
    size_t B;
    obs_ws *obs;
    FILE *traj, *wts;
    double *t, *S;      /* mu = 0's S at each snapshot (t_sb) */
    size_t ns;
    double last_ll, last_kl;
    double *X;          /* each unit's last X (SPEC.md 4) */
    /* checkpoints */
    const char *ckpath; /* OUT/checkpoint.bin                             */
    char *params;       /* the fingerprint text (sim_params), formed when */
                        /* first needed: it hashes the whole data set     */
    const traj_header *h;
    gsl_rng *rtrain;
    run_files *rf;
    double ck_last, ck_cost;   /* automatic checkpoints: when, and the cost */
    /* what sim_params needs besides the above */
    const train_config *tc;
    const ring_model *m;
    const int8_t *vtest;
    size_t B_test;
} sim_ctx;

static int snapshot(void *p, size_t k, const double *w, const double *g, char *err)
{
    sim_ctx *c = p;
    double ll = NAN, kl = NAN;
    int last = k == c->K;
    int st = c->c->loglik_final && !last ? SYM_OK : train_loglik(c->tw, w, g, c->v, c->B, &ll, err);
    if (st)
        return st;
    if (isfinite(ll) && isfinite(c->entropy))
        kl = (-c->entropy - ll) / (double)c->N;
    double t = c->c->train.lr * (double)k;
    for (size_t mu = 0; mu < c->M; mu++) {
        obs_values o;
        obs_compute(c->obs, c->type, w + mu * c->N, &o);
        o.X = c->X[mu] = obs_unwrap(c->X[mu], o.center, c->N);
        if (c->traj)
            traj_obs_row(c->traj, t, mu, ll, kl, &o);
        if (c->wts && (last || !c->c->weights_final))
            traj_weights_row(c->wts, t, mu, w + mu * c->N, c->N);
        if (mu == 0) {
            c->t[c->ns] = t;
            c->S[c->ns] = o.S;
            c->ns++;
        }
    }
    c->last_ll = ll;
    c->last_kl = kl;
    if (c->c->progress)
        fprintf(stderr, "\rsim: update %zu / %zu", k, c->K);
    return SYM_OK;
}

int sim_plan(const sim_config *c, size_t N, size_t B, size_t *K, char *err)
{
    train_config tc = c->train;
    tc.N = N;
    int st = train_config_check(&tc, err);
    st = st ? st : sim_updates(c, B, K, err);
    return st ? st : train_plan_check(&tc, B, *K, err);
}

/* ---- checkpoints ----------------------------------------------------------- */

/* A status of the checkpoint callback that is not an error: ckpt_stop. */
#define SIM_STOP 100

/* The fingerprint of a run: one "key=value" line per parameter that
 * changes its numbers, and hashes of the data, so that a refused
 * checkpoint names the first difference. */
static char *sim_params(const sim_config *c, const train_config *tc, const ring_model *m,
                        const int8_t *v, size_t B, const int8_t *vtest, size_t B_test, size_t K)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (!fp)
        return NULL;
    size_t N = tc->N;
    fprintf(fp, "N=%zu\nM=%zu\nhidden=%s\ngamma=%.17g\ntheta=%.17g\ngamma_m=%.17g\n"
            "theta_m=%.17g\nfields=%s\nl2=%.17g\nmodel-term=%s\nchains=%zu\nmc-steps=%zu\n"
            "optimizer=%s\nlr=%.17g\nbatch=%zu\nsampling=%s\nepochs=%zu\nT=%.17g\n"
            "snapshots=%zu\nlinear=%d\ninit-scale=%.17g\nseed=%llu\nupdates=%zu\nB=%zu\n"
            "B-test=%zu\n", N, tc->M, tc->unit.type->name, tc->unit.gamma_p, tc->unit.theta_p,
            tc->unit.gamma_m, tc->unit.theta_m, tc->learn_fields ? "learn" : "fixed", tc->l2,
            train_term_name(tc->term), tc->chains, tc->mc_steps,
            tc->opt == TRAIN_SGD ? "sgd" : "adam", tc->lr, tc->batch,
            train_sampling_name(tc->sampling), c->epochs, c->T, c->snapshots, c->linear,
            c->init_scale, (unsigned long long)c->seed, K, B, B_test);
    if (tc->gibbs != TRAIN_GIBBS_FLOAT)   /* (absent before issue 9: old checkpoints match) */
        fprintf(fp, "gibbs=%s\n", train_gibbs_name(tc->gibbs));
    if (tc->estimate != TRAIN_EST_VMEAN)  /* (likewise) */
        fprintf(fp, "pcd-estimate=%s\n", train_estimate_name(tc->estimate));
    if (c->loglik_final || c->weights_final)   /* (likewise) */
        fprintf(fp, "loglik-rows=%s\nweights-rows=%s\n", c->loglik_final ? "final" : "all",
                c->weights_final ? "final" : "all");
    if (m) {
        fprintf(fp, "data=%s\n", m->type->name);
        for (size_t k = 0; k < m->type->npar; k++)
            fprintf(fp, "%s=%.17g\n", m->type->par[k].key, m->val[k]);
    }
    fprintf(fp, "data-hash=%016llx\n", (unsigned long long)ckpt_hash(CKPT_HASH0, v, B * N));
    if (vtest && B_test)
        fprintf(fp, "test-hash=%016llx\n",
                (unsigned long long)ckpt_hash(CKPT_HASH0, vtest, B_test * N));
    if (c->theory_w)
        fprintf(fp, "theory-hash=%016llx\n",
                (unsigned long long)ckpt_hash(CKPT_HASH0, c->theory_w, N * sizeof(double)));
    if (fclose(fp)) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* SYM_EINVAL naming the first line where the checkpoint's parameters
 * (have, n bytes) differ from this run's (want). */
static int params_same(const char *path, const char *have, size_t n, const char *want,
                       char *err)
{
    if (strlen(want) == n && !memcmp(have, want, n))
        return SYM_OK;
    const char *a = have, *ae = have + n, *b = want;
    while (a < ae && *b) {
        const char *an = memchr(a, '\n', (size_t)(ae - a)), *bn = strchr(b, '\n');
        size_t la = an ? (size_t)(an - a) : (size_t)(ae - a), lb = bn ? (size_t)(bn - b) : strlen(b);
        if (la != lb || memcmp(a, b, la))
            return sym_error(err, SYM_EINVAL, "%s was made with %.*s, this run has %.*s: resume "
                             "with the same parameters and data, or remove it", path,
                             (int)(la < 200 ? la : 200), a, (int)(lb < 200 ? lb : 200), b);
        a += la + (an ? 1 : 0);
        b += lb + (bn ? 1 : 0);
    }
    return sym_error(err, SYM_EINVAL, "%s was made with other parameters: resume with the same "
                     "parameters and data, or remove it", path);
}

/* The bytes of the file path (a run file's temporary, flushed). */
static int slurp(const char *path, char **buf, size_t *n, char *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return sym_error(err, SYM_EIO, "%s: %s", path, strerror(errno));
    int st = SYM_OK;
    long len = fseek(fp, 0, SEEK_END) ? -1 : ftell(fp);
    if (len < 0 || fseek(fp, 0, SEEK_SET))
        st = sym_error(err, SYM_EIO, "%s: cannot seek", path);
    *buf = st ? NULL : malloc((size_t)len + 1);
    if (!st && !*buf)
        st = sym_error(err, SYM_ENOMEM, "out of memory");
    if (!st && fread(*buf, 1, (size_t)len, fp) != (size_t)len)
        st = sym_error(err, SYM_EIO, "%s: read error", path);
    fclose(fp);
    if (st) {
        free(*buf);
        *buf = NULL;
    }
    *n = st ? 0 : (size_t)len;
    return st;
}

/* The header as "key\0value\0" pairs. */
static char *header_pack(const traj_header *h, size_t *n)
{
    size_t len = 0;
    for (size_t k = 0; k < h->n; k++)
        len += strlen(h->key[k]) + strlen(h->val[k]) + 2;
    char *b = malloc(len ? len : 1), *q = b;
    if (!b)
        return NULL;
    for (size_t k = 0; k < h->n; k++) {
        size_t a = strlen(h->key[k]) + 1, c = strlen(h->val[k]) + 1;
        memcpy(q, h->key[k], a);
        memcpy(q + a, h->val[k], c);
        q += a + c;
    }
    *n = len;
    return b;
}

static int header_unpack(traj_header *h, const char *b, size_t n, char *err)
{
    traj_header_free(h);
    traj_header_init(h);
    const char *e = b + n;
    while (b < e) {
        const char *k = b, *kz = memchr(k, 0, (size_t)(e - k));
        const char *v = kz ? kz + 1 : NULL, *vz = v && v < e ? memchr(v, 0, (size_t)(e - v)) : NULL;
        if (!vz)
            return sym_error(err, SYM_EINVAL, "checkpoint: header record damaged");
        if (traj_header_set(h, k, "%s", v))
            return sym_error(err, SYM_ENOMEM, "out of memory");
        b = vz + 1;
    }
    return SYM_OK;
}

/* Write the checkpoint after update k (train_ckpt_fn). */
/* c->params, formed on first use (a run that never writes or reads a
 * checkpoint does not hash its data). */
static int ctx_params(sim_ctx *c, char *err)
{
    if (!c->params &&
        !(c->params = sim_params(c->c, c->tc, c->m, c->v, c->B, c->vtest, c->B_test, c->K)))
        return sym_error(err, SYM_ENOMEM, "out of memory");
    return SYM_OK;
}

static int ckpt_write(void *p, size_t k, const double *w, const double *g, char *err)
{
    sim_ctx *c = p;
    int st0 = ctx_params(c, err);
    if (st0)
        return st0;
    size_t N = c->N, MN = c->M * N, hn = 0;
    char *hb = header_pack(c->h, &hn);
    if (!hb)
        return sym_error(err, SYM_ENOMEM, "out of memory");
    ckpt_out *o;
    int st = ckpt_out_open(&o, c->ckpath, err);
    if (st) {
        free(hb);
        return sym_context(err, st, "checkpoint");
    }
    ckpt_put(o, "sim.params", c->params, strlen(c->params));
    ckpt_put(o, "sim.header", hb, hn);
    free(hb);
    ckpt_put_u64(o, "sim.k", k);
    ckpt_put(o, "sim.w", w, MN * sizeof *w);
    ckpt_put(o, "sim.g", g, N * sizeof *g);
    ckpt_put_rng(o, "sim.rtrain", c->rtrain);
    ckpt_put_u64(o, "sim.ns", c->ns);
    ckpt_put(o, "sim.t", c->t, c->ns * sizeof *c->t);
    ckpt_put(o, "sim.S", c->S, c->ns * sizeof *c->S);
    double last[2] = {c->last_ll, c->last_kl};
    ckpt_put(o, "sim.last", last, sizeof last);
    ckpt_put(o, "sim.X", c->X, c->M * sizeof *c->X);
    train_save(c->tw, o, err);
    if (c->traj) {
        /* the rows so far, header included, as the files hold them */
        const char *tags[2] = {"file.trajectory", "file.weights"};
        FILE *fps[2] = {c->traj, c->wts};
        for (int f = 0; f < 2 && !st; f++) {
            char *b = NULL;
            size_t n = 0;
            if (fflush(fps[f]))
                st = sym_error(err, SYM_EIO, "checkpoint: flushing %s", c->rf->f[f].tmp);
            st = st ? st : slurp(c->rf->f[f].tmp, &b, &n, err);
            if (!st) {
                ckpt_put(o, tags[f], b, n);
                free(b);
            }
        }
    }
    if (st) {
        ckpt_out_abort(o);
        return sym_context(err, st, "checkpoint");
    }
    if ((st = ckpt_out_commit(o, err)))
        return sym_context(err, st, "checkpoint");
    if (c->c->ckpt_stop && k >= c->c->ckpt_stop)
        return SIM_STOP;
    return SYM_OK;
}

/* Automatic checkpoints (sim_config.ckpt_seconds): called after every
 * update, writes when the interval has passed. */
static int ckpt_auto(void *p, size_t k, const double *w, const double *g, char *err)
{
    sim_ctx *c = p;
    double now = sys_now();
    if (now - c->ck_last < fmax(c->c->ckpt_seconds, SIM_CKPT_COST_FACTOR * c->ck_cost))
        return SYM_OK;
    int st = ckpt_write(p, k, w, g, err);
    c->ck_last = sys_now();
    c->ck_cost = c->ck_last - now;
    return st;
}

/* Resume from the checkpoint in: the state into w, g, ctx and the
 * training workspace, the first process's header into h.  The run's
 * files are reopened by the caller from the bytes returned. */
static int ckpt_resume(ckpt_in *in, sim_ctx *c, double *w, double *g, traj_header *h,
                       size_t *k, char *err)
{
    size_t N = c->N, MN = c->M * N, n;
    const void *p;
    uint64_t k64, ns;
    int st = ctx_params(c, err);
    if (!st)
        st = ckpt_get_ptr(in, "sim.params", &p, &n, err);
    if (!st)
        st = params_same(c->ckpath, p, n, c->params, err);
    if (st)
        return st;
    st = ckpt_get_ptr(in, "sim.header", &p, &n, err);
    st = st ? st : header_unpack(h, p, n, err);
    st = st ? st : ckpt_get_u64(in, "sim.k", &k64, err);
    st = st ? st : ckpt_get(in, "sim.w", w, MN * sizeof *w, err);
    st = st ? st : ckpt_get(in, "sim.g", g, N * sizeof *g, err);
    st = st ? st : ckpt_get_rng(in, "sim.rtrain", c->rtrain, err);
    st = st ? st : ckpt_get_u64(in, "sim.ns", &ns, err);
    if (st)
        return st;
    if (k64 < 1 || k64 >= c->K || ns > c->c->snapshots + 2)
        return sym_error(err, SYM_EINVAL, "checkpoint: update %llu or snapshot count %llu out "
                         "of range", (unsigned long long)k64, (unsigned long long)ns);
    double last[2];
    st = ckpt_get(in, "sim.t", c->t, (size_t)ns * sizeof *c->t, err);
    st = st ? st : ckpt_get(in, "sim.S", c->S, (size_t)ns * sizeof *c->S, err);
    st = st ? st : ckpt_get(in, "sim.last", last, sizeof last, err);
    st = st ? st : ckpt_get(in, "sim.X", c->X, c->M * sizeof *c->X, err);
    st = st ? st : train_load(c->tw, in, err);
    if (st)
        return st;
    if (train_done(c->tw) != k64)
        return sym_error(err, SYM_EINVAL, "checkpoint: trainer at update %zu, run at %llu",
                         train_done(c->tw), (unsigned long long)k64);
    c->ns = (size_t)ns;
    c->last_ll = last[0];
    c->last_kl = last[1];
    *k = (size_t)k64;
    return SYM_OK;
}

/* Remove the temporary files (core/traj.h: ".NAME.tmp.PID.XXXXXX") that
 * processes killed while running in dir left behind: those of this run's
 * files and checkpoint whose process no longer exists. */
static void ckpt_sweep(const char *dir)
{
    static const char *const names[] = {"trajectory.tsv", "weights.tsv", "summary.tsv",
                                        SIM_CKPT_NAME};
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
            size_t l = strlen(names[k]);
            const char *p = e->d_name;
            if (p[0] != '.' || strncmp(p + 1, names[k], l) || strncmp(p + 1 + l, ".tmp.", 5))
                continue;
            char *end;
            long pid = strtol(p + l + 6, &end, 10);
            if (end == p + l + 6 || *end != '.' || pid <= 0 || pid == (long)getpid() ||
                !(kill((pid_t)pid, 0) && errno == ESRCH))
                continue;
            size_t n = strlen(dir) + strlen(p) + 2;
            char *path = malloc(n);
            if (path) {
                snprintf(path, n, "%s/%s", dir, p);
                remove(path);
                free(path);
            }
        }
    }
    closedir(d);
}

/* Reopened files: the bytes the checkpoint holds (header included). */
static int ckpt_files(ckpt_in *in, sim_ctx *c, char *err)
{
    const char *tags[2] = {"file.trajectory", "file.weights"};
    FILE *fps[2] = {c->traj, c->wts};
    for (int f = 0; f < 2; f++) {
        const void *p;
        size_t n;
        int st = ckpt_get_ptr(in, tags[f], &p, &n, err);
        if (st)
            return st;
        if (n && fwrite(p, 1, n, fps[f]) != n)
            return sym_error(err, SYM_EIO, "%s: write failed", c->rf->f[f].tmp);
    }
    return SYM_OK;
}

int sim_run(const sim_config *c, const ring_type *type, const ring_model *m, const int8_t *v,
            size_t N, size_t B, const int8_t *vtest, size_t B_test, traj_header *h,
            const char *out, sim_result *r, char *err)
{
    double t0 = sys_now();
    if (m && ring_require_spin(m, "sim", err))
        return SYM_EINVAL;
    train_config tc = c->train;
    tc.N = N;
    tc.sampling_seed = c->seed;
    if (!tc.model)
        tc.model = m;
    int st = train_config_check(&tc, err);
    if (st)
        return st;
    if (tc.sampling == TRAIN_ONLINE && !tc.model)
        return sym_error(err, SYM_EINVAL, "sampling online draws fresh samples from the data "
                         "model: samples read from a file have none");
    if (!(c->init_scale >= 0) || !isfinite(c->init_scale))
        return sym_error(err, SYM_EINVAL, "init-scale = %g: must be >= 0", c->init_scale);
    if (c->snapshots < 1 || c->snapshots > SNAP_MAX)
        return sym_error(err, SYM_EINVAL, "snapshots = %zu: need 1 .. %d", c->snapshots,
                         (int)SNAP_MAX);
    size_t K;
    if ((st = sim_plan(c, N, B, &K, err)))
        return st;
    size_t M = tc.M, nsnap = c->snapshots, MN, bytes;
    if ((st = sym_alloc_check(M, N, sizeof(double), "M*N weights", &bytes, err)))
        return st;
    MN = M * N;   /* checked above */

    gsl_rng *rtrain = rng_alloc(c->seed, RNG_STREAM_TRAIN);
    double *w = malloc(MN * sizeof *w), *g = calloc(N, sizeof *g);
    size_t *snap = malloc((nsnap + 2) * sizeof *snap);
    double *tt = malloc((nsnap + 2) * sizeof *tt), *SS = malloc((nsnap + 2) * sizeof *SS);
    obs_ws *obs = obs_alloc(N);
    double *Xp = malloc(M * sizeof *Xp);
    train_ws *tw = NULL;
    run_files rf = {0};
    sim_ctx ctx = {0};
    char *ckpath = NULL;
    ckpt_in *cin = NULL;
    size_t k0 = 0;
    if (!rtrain || !w || !g || !snap || !tt || !SS || !obs || !Xp ||
        rng_init_weights(c->seed, N, M, c->init_scale, w)) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = train_alloc(&tw, &tc, v, B, rtrain, err)))
        goto done;
    size_t ns = train_snapshots(K, tc.lr, nsnap, c->linear, tt, snap);

    if (run_stamp(h) || traj_header_set(h, "N", "%zu", N) || (m && ring_header_set(m, h)) ||
        traj_header_set(h, "B", "%zu", B) || traj_header_set(h, "updates", "%zu", K) ||
        /* by epochs, the learning time is lr x updates, not the --T default
         * the command line's record holds */
        (c->epochs && traj_header_set(h, "T", "%.17g", tc.lr * (double)K)) ||
        traj_header_set(h, "clock", "t = lr x updates") ||
        traj_header_set(h, "sampling", "%s", train_sampling_name(tc.sampling)) ||
        traj_header_set(h, "gibbs", "%s", train_gibbs_name(tc.gibbs)) ||
        traj_header_set(h, "pcd-estimate", "%s", train_estimate_name(tc.estimate)) ||
        traj_header_set(h, "loglik-rows", "%s", c->loglik_final ? "final" : "all") ||
        traj_header_set(h, "weights-rows", "%s", c->weights_final ? "final" : "all")) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t mu = 0; mu < M; mu++)
        Xp[mu] = NAN;
    ctx = (sim_ctx){c, type, N, M, K, m ? m->entropy : NAN, tw, v, B, obs, NULL, NULL, tt, SS,
                    0, NAN, NAN, Xp, NULL, NULL, h, rtrain, &rf, 0, 0, &tc, m, vtest, B_test};
    int ckpt = out && (c->ckpt_every > 0 || c->ckpt_seconds > 0 || c->resume);
    if (ckpt) {
        size_t lo = strlen(out) + sizeof SIM_CKPT_NAME + 1;
        if (!(ckpath = malloc(lo))) {
            st = sym_error(err, SYM_ENOMEM, "out of memory");
            goto done;
        }
        snprintf(ckpath, lo, "%s/%s", out, SIM_CKPT_NAME);
        ctx.ckpath = ckpath;
        if (c->resume && ckpt_exists(ckpath)) {
            if ((st = ckpt_in_read(&cin, ckpath, err)) ||
                (st = ckpt_resume(cin, &ctx, w, g, h, &k0, err))) {
                st = sym_context(err, st, "resume");
                goto done;
            }
        }
        if (c->ckpt_every > 0)
            train_set_checkpoint(tw, c->ckpt_every, ckpt_write, &ctx);
        else if (c->ckpt_seconds > 0)
            train_set_checkpoint(tw, 1, ckpt_auto, &ctx);
    }
    if (out) {
        /* a resumed run's files start as the checkpoint holds them */
        const traj_header *hf = cin ? NULL : h;
        if ((st = run_files_init(&rf, out, err)) ||
            (st = run_files_open(&rf, "trajectory.tsv", hf, &ctx.traj, err)) ||
            (st = run_files_open(&rf, "weights.tsv", hf, &ctx.wts, err)))
            goto done;
        if (cin && (st = ckpt_files(cin, &ctx, err))) {
            st = sym_context(err, st, "resume");
            goto done;
        }
        if (cin)
            ckpt_sweep(out);
        if (!cin) {
            traj_obs_columns(ctx.traj);
            traj_weights_columns(ctx.wts, N);
        }
    }
    ckpt_in_free(cin);
    cin = NULL;
    ctx.ck_last = sys_now();
    if (k0)
        st = train_continue(tw, K, snap, ns, w, g, rtrain, snapshot, &ctx, err);
    else
        st = train_run(tw, K, snap, ns, w, g, rtrain, snapshot, &ctx, err);
    if (c->progress)
        fprintf(stderr, "\n");
    if (st == SIM_STOP) {
        /* interrupted on purpose: the checkpoint is the only output */
        st = SYM_OK;
        if (r) {
            memset(r, 0, sizeof *r);
            r->updates = train_done(tw);
            r->resumed_from = k0;
            r->stopped = 1;
        }
        goto done;
    }
    if (st)
        goto done;

    sim_result res = {.loglik = ctx.last_ll, .kl = ctx.last_kl, .loglik_test = NAN,
                      .Q_theory = NAN, .updates = K, .resumed_from = k0};
    if (vtest && B_test && (st = train_loglik(tw, w, g, vtest, B_test, &res.loglik_test, err)))
        goto done;
    if (c->theory_w)
        res.Q_theory = obs_overlap(obs, w, c->theory_w, NULL, NULL);
    obs_compute(obs, type, w, &res.final);
    res.t_sb = obs_t_sb(tt, SS, ctx.ns);
    res.wall_s = sys_now() - t0;
    if (out) {
        FILE *fs;
        if ((st = run_files_open(&rf, "summary.tsv", h, &fs, err)))
            goto done;
        traj_summary_num(fs, "norm2", res.final.norm2);
        traj_summary_num(fs, "pr", res.final.pr);
        traj_summary_num(fs, "R", res.final.R);
        traj_summary_num(fs, "S", res.final.S);
        traj_summary_num(fs, "center", res.final.center);
        traj_summary_num(fs, "loglik", res.loglik);
        traj_summary_num(fs, "kl", res.kl);
        traj_summary_num(fs, "t_sb", res.t_sb);
        traj_summary_num(fs, "wall_s", res.wall_s);
        traj_summary_num(fs, "loglik_test", res.loglik_test);
        traj_summary_num(fs, "Q_theory", res.Q_theory);
        traj_summary_num(fs, "updates", (double)K);
        traj_summary_num(fs, "fwhm", obs_fwhm(w, N));   /* unit 0, as res.final */
        if ((st = run_files_commit(&rf, err)))
            goto done;
        /* the files are in place: the checkpoint has served */
        if (ckpt && remove(ckpath) && errno != ENOENT) {
            st = sym_error(err, SYM_EIO, "%s: cannot remove: %s", ckpath, strerror(errno));
            goto done;
        }
        if (ckpt)
            ckpt_sweep(out);
    }
    if (r)
        *r = res;
done:
    ckpt_in_free(cin);
    free(ckpath);
    free(ctx.params);
    free(Xp);
    run_files_abort(&rf);
    train_free(tw);
    obs_free(obs);
    if (rtrain)
        gsl_rng_free(rtrain);
    free(w);
    free(g);
    free(snap);
    free(tt);
    free(SS);
    return st;
}
