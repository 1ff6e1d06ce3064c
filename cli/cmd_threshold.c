/* cmd_threshold: `symrbm threshold`, the critical-sample-size sweep (SPEC.md
 * 7; issue 4; README.md, section symrbm threshold).  One task per (B, seed) on a log grid of B:
 * draw the B samples exactly, measure the linear-regime overlap (compare/thr),
 * train with `symrbm sim` against one `symrbm theory` profile, and keep the
 * result in DIR/tasks/<B>_<seed>/result.tsv (resumable).  Tasks run in
 * --jobs worker processes.  Then the seed averages, the measured B_c with
 * bootstrap intervals and the predictions of theory/rmt go to
 * DIR/threshold.tsv and DIR/summary.tsv.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/opts.h"
#include "compare/thr.h"
#include "core/err.h"
#include "core/ring.h"
#include "core/rng.h"
#include "core/traj.h"
#include "theory/rmt.h"

extern char **environ;

#define THR_PATH 4096
/* grid points at most: the seed means live in fixed arrays */
#define THR_MAXPOINTS 1000
/* the order parameters of a task, in result.tsv and threshold.tsv order.
 * The first OP_STORED are stored per task; Q2 = Q^2 is derived: a squared
 * overlap, like ov_lin and rmt's ov_grow, whereas Q is an overlap (its
 * half-way point lies at smaller B because sqrt rises faster). */
enum { OP_LIN = 0, OP_Q = 1, OP_S = 2, OP_STORED = 3, OP_Q2 = 3, OP_N = 4 };
static const char *const op_key[OP_N] = {"ov_lin", "Q", "S", "Q2"};
static const char *const op_name[OP_N] = {"lin", "Q", "S", "Q2"};

typedef struct {
    const char *data, *out;
    ring_params rp;
    size_t N, points, seeds, jobs, snapshots, boot;
    double Bmin, Bmax, T, lr, init_scale;
    uint64_t seed;
    int keep_sim;
    char exe[THR_PATH];
} thr_opts;

/* dst = a/b; a path beyond THR_PATH is an error, never a silent truncation. */
static int pjoin(char *dst, const char *a, const char *b)
{
    int n = snprintf(dst, THR_PATH, "%s/%s", a, b);
    return n < 0 || n >= THR_PATH ? -1 : 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The per-task seed: a function of the sweep seed, B and the seed index
 * only, so adding grid points or seeds never changes an existing task. */
static uint64_t task_seed(uint64_t seed, size_t B, size_t s)
{
    return rng_derive(rng_derive(seed, (uint64_t)B), (uint64_t)s);
}

/* ---- headers: what a stored result must agree with ---- */

static const char *const task_keys[] = {"data", "N", "beta", "rho", "eps", "T", "lr",
                                        "init-scale", "sim-snapshots", "seed", "B",
                                        "seed_index", "task_seed"};
#define NTASK_KEYS (sizeof task_keys / sizeof task_keys[0])

static int task_header(traj_header *h, const thr_opts *o, size_t B, size_t s)
{
    int st = traj_header_set(h, "program", "symrbm threshold task");
    st = st ? st : traj_header_set(h, "version", "%s", SYM_VERSION);
    st = st ? st : traj_header_set(h, "data", "%s", o->data);
    st = st ? st : traj_header_set(h, "N", "%zu", o->N);
    st = st ? st : traj_header_set(h, "beta", "%.17g", o->rp.beta);
    st = st ? st : traj_header_set(h, "rho", "%.17g", o->rp.rho);
    st = st ? st : traj_header_set(h, "eps", "%.17g", o->rp.eps);
    st = st ? st : traj_header_set(h, "T", "%.17g", o->T);
    st = st ? st : traj_header_set(h, "lr", "%.17g", o->lr);
    st = st ? st : traj_header_set(h, "init-scale", "%.17g", o->init_scale);
    st = st ? st : traj_header_set(h, "sim-snapshots", "%zu", o->snapshots);
    st = st ? st : traj_header_set(h, "seed", "%llu", (unsigned long long)o->seed);
    st = st ? st : traj_header_set(h, "B", "%zu", B);
    st = st ? st : traj_header_set(h, "seed_index", "%zu", s);
    st = st ? st : traj_header_set(h, "task_seed", "%llu",
                                   (unsigned long long)task_seed(o->seed, B, s));
    return st;
}

/* Equal as numbers when both parse completely, else as strings. */
static int value_match(const char *a, const char *b)
{
    if (!a || !b)
        return 0;
    char *ea, *eb;
    double x = strtod(a, &ea), y = strtod(b, &eb);
    if (ea != a && !*ea && eb != b && !*eb)
        return x == y || (isnan(x) && isnan(y));
    return !strcmp(a, b);
}

static int header_check(const traj_header *want, const traj_header *have, const char *const *keys,
                        size_t nk, const char *path, char *err)
{
    for (size_t k = 0; k < nk; k++) {
        const char *w = traj_header_get(want, keys[k]), *h = traj_header_get(have, keys[k]);
        if (!value_match(w, h))
            return sym_error(err, SYM_EINVAL,
                             "%s: parameter mismatch, %s=%s there but %s now (use another --out "
                             "or remove it)",
                             path, keys[k], h ? h : "(missing)", w ? w : "(missing)");
    }
    return SYM_OK;
}

/* ---- running the program itself ---- */

/* Run exe with argv (argv[0] set here), stdout to /dev/null, stderr into
 * errpath; on a nonzero exit the first line of errpath becomes the message. */
static int spawn_wait(const char *exe, char **argv, const char *errpath, const char *what,
                      char *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    argv[0] = (char *)exe;
    pid_t pid;
    int rc = posix_spawn(&pid, exe, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc)
        return sym_error(err, SYM_EIO, "%s: cannot start %s: %s", what, exe, strerror(rc));
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return sym_error(err, SYM_EIO, "%s: waitpid: %s", what, strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        unlink(errpath);
        return SYM_OK;
    }
    char line[512] = "";
    FILE *fp = fopen(errpath, "r");
    if (fp) {
        if (!fgets(line, sizeof line, fp))
            line[0] = 0;
        fclose(fp);
        line[strcspn(line, "\n")] = 0;
    }
    if (WIFEXITED(status))
        return sym_error(err, SYM_ENUM, "%s failed (exit %d): %s", what, WEXITSTATUS(status), line);
    return sym_error(err, SYM_ENUM, "%s killed by signal %d", what,
                     WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* Model-parameter options shared by the theory and sim command lines. */
typedef struct {
    char N[32], beta[40], rho[40], eps[40], T[40], lr[40], s0[40], snaps[32], seed[32], B[32];
} argbuf;

static void argbuf_fill(argbuf *a, const thr_opts *o)
{
    snprintf(a->N, sizeof a->N, "%zu", o->N);
    snprintf(a->beta, sizeof a->beta, "%.17g", o->rp.beta);
    snprintf(a->rho, sizeof a->rho, "%.17g", o->rp.rho);
    snprintf(a->eps, sizeof a->eps, "%.17g", o->rp.eps);
    snprintf(a->T, sizeof a->T, "%.17g", o->T);
    snprintf(a->lr, sizeof a->lr, "%.17g", o->lr);
    snprintf(a->s0, sizeof a->s0, "%.17g", o->init_scale);
    snprintf(a->snaps, sizeof a->snaps, "%zu", o->snapshots);
}

static const char *const theory_keys[] = {"data", "N", "beta", "rho", "eps", "T", "seed",
                                          "init-scale"};

/* The infinite-data profile at t = T, run once into DIR/theory (kept and
 * reused when its header matches). */
static int theory_run(const thr_opts *o, char *err)
{
    char dir[THR_PATH], wpath[THR_PATH], epath[THR_PATH];
    if (pjoin(dir, o->out, "theory") || pjoin(wpath, dir, "weights.tsv") ||
        pjoin(epath, o->out, "theory.err"))
        return sym_error(err, SYM_EINVAL, "--out %s: path too long", o->out);
    argbuf a;
    argbuf_fill(&a, o);
    snprintf(a.seed, sizeof a.seed, "%llu", (unsigned long long)o->seed);
    traj_header want;
    traj_header_init(&want);
    int st = traj_header_set(&want, "data", "%s", o->data);
    st = st ? st : traj_header_set(&want, "N", "%s", a.N);
    st = st ? st : traj_header_set(&want, "beta", "%s", a.beta);
    st = st ? st : traj_header_set(&want, "rho", "%s", a.rho);
    st = st ? st : traj_header_set(&want, "eps", "%s", a.eps);
    st = st ? st : traj_header_set(&want, "T", "%s", a.T);
    st = st ? st : traj_header_set(&want, "seed", "%s", a.seed);
    st = st ? st : traj_header_set(&want, "init-scale", "%s", a.s0);
    if (st) {
        traj_header_free(&want);
        return sym_error(err, SYM_ENOMEM, "out of memory");
    }
    if (access(wpath, F_OK) == 0) {
        traj_table tb;
        st = traj_read(wpath, &tb, err);
        if (!st) {
            st = header_check(&want, &tb.header, theory_keys,
                              sizeof theory_keys / sizeof theory_keys[0], wpath, err);
            traj_table_free(&tb);
        }
        traj_header_free(&want);
        return st;
    }
    traj_header_free(&want);
    char *argv[] = {NULL, "theory", "--data", (char *)o->data, "--N", a.N, "--beta", a.beta,
                    "--rho", a.rho, "--eps", a.eps, "--T", a.T, "--seed", a.seed,
                    "--init-scale", a.s0, "--snapshots", "1", "--weights", "final", "--out", dir,
                    NULL};
    return spawn_wait(o->exe, argv, epath, "symrbm theory", err);
}

static int rm_sim_dir(const char *dir)
{
    static const char *const files[] = {"trajectory.tsv", "weights.tsv", "summary.tsv"};
    char p[THR_PATH];
    for (size_t k = 0; k < 3; k++)
        if (!pjoin(p, dir, files[k]))
            unlink(p);
    return rmdir(dir);
}

/* One task, in a worker process: data, linear overlap, training, result. */
static int task_run(const thr_opts *o, const ring_model *m, size_t B, size_t s, char *err)
{
    double t0 = now();
    char dir[THR_PATH], simdir[THR_PATH], epath[THR_PATH], spath[THR_PATH], thdir[THR_PATH];
    char name[80];
    snprintf(name, sizeof name, "tasks/%zu_%zu", B, s);
    if (pjoin(dir, o->out, name) || pjoin(simdir, dir, "sim") || pjoin(epath, dir, "sim.err") ||
        pjoin(spath, simdir, "summary.tsv") || pjoin(thdir, o->out, "theory"))
        return sym_error(err, SYM_EINVAL, "--out %s: path too long", o->out);
    uint64_t ts = task_seed(o->seed, B, s);
    int st = traj_mkdir(dir, err);
    if (st)
        return st;

    /* (i) the linear-regime overlap, on the data sim draws from this seed */
    size_t N = o->N;
    int8_t *v = malloc(B * N);
    gsl_rng *rd = rng_alloc(ts, RNG_STREAM_DATA);
    thr_lin *lw = NULL;
    double ov = NAN, top = NAN;
    if (!v || !rd) {
        st = sym_error(err, SYM_ENOMEM, "out of memory for %zu samples", B);
        goto done;
    }
    if ((st = ring_sample(m, rd, B, v, err)) || (st = thr_lin_alloc(&lw, N, m->lambda, err)) ||
        (st = thr_lin_overlap(lw, v, B, &ov, &top, NULL, err)))
        goto done;
    free(v);
    v = NULL;

    /* (ii) training: exact model term, gaussian hidden unit, full-batch SGD */
    argbuf a;
    argbuf_fill(&a, o);
    snprintf(a.seed, sizeof a.seed, "%llu", (unsigned long long)ts);
    snprintf(a.B, sizeof a.B, "%zu", B);
    char *argv[] = {NULL, "sim", "--data", (char *)o->data, "--N", a.N, "--beta", a.beta,
                    "--rho", a.rho, "--eps", a.eps, "--B", a.B, "--B-test", "0",
                    "--hidden", "gaussian", "--M", "1", "--model-term", "exact",
                    "--optimizer", "sgd", "--batch", "0", "--lr", a.lr, "--T", a.T,
                    "--init-scale", a.s0, "--snapshots", a.snaps, "--seed", a.seed,
                    "--theory", thdir, "--out", simdir, NULL};
    if ((st = spawn_wait(o->exe, argv, epath, "symrbm sim", err)))
        goto done;
    traj_header kv;
    double res[8];
    static const char *const sim_keys[] = {"Q_theory", "S", "norm2", "R", "pr"};
    if ((st = traj_read_summary(spath, &kv, err)))
        goto done;
    for (size_t k = 0; k < 5 && !st; k++)
        st = traj_summary_get_finite(&kv, sim_keys[k], spath, &res[k], err);
    traj_header_free(&kv);
    if (st)
        goto done;
    if (!o->keep_sim)
        rm_sim_dir(simdir);

    traj_header h;
    traj_header_init(&h);
    if (task_header(&h, o, B, s)) {
        traj_header_free(&h);
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    traj_file f;
    st = traj_open(&f, dir, "result.tsv", &h, err);
    traj_header_free(&h);
    if (st)
        goto done;
    traj_summary_num(f.fp, "ov_lin", ov);
    traj_summary_num(f.fp, "top_eval", top);
    traj_summary_num(f.fp, "Q", res[0]);
    traj_summary_num(f.fp, "S", res[1]);
    traj_summary_num(f.fp, "norm2", res[2]);
    traj_summary_num(f.fp, "R", res[3]);
    traj_summary_num(f.fp, "pr", res[4]);
    traj_summary_num(f.fp, "wall_s", now() - t0);
    st = traj_close(&f, err);
done:
    free(v);
    if (rd)
        gsl_rng_free(rd);
    thr_lin_free(lw);
    return st;
}

/* A finished task's result, checked against the current parameters.
 * *have = 0 when there is none. */
static int task_load(const thr_opts *o, size_t B, size_t s, int *have, double *val, double *top,
                     char *err)
{
    char path[THR_PATH], name[100];
    snprintf(name, sizeof name, "tasks/%zu_%zu/result.tsv", B, s);
    if (pjoin(path, o->out, name))
        return sym_error(err, SYM_EINVAL, "--out %s: path too long", o->out);
    *have = 0;
    if (access(path, F_OK) != 0)
        return SYM_OK;
    traj_header kv, want;
    int st = traj_read_summary(path, &kv, err);
    if (st)
        return st;
    traj_header_init(&want);
    st = task_header(&want, o, B, s) ? sym_error(err, SYM_ENOMEM, "out of memory") : SYM_OK;
    st = st ? st : header_check(&want, &kv, task_keys, NTASK_KEYS, path, err);
    for (size_t k = 0; k < OP_STORED && !st; k++)
        st = traj_summary_get_finite(&kv, op_key[k], path, &val[k], err);
    if (!st)
        st = traj_summary_get_finite(&kv, "top_eval", path, top, err);
    traj_header_free(&kv);
    traj_header_free(&want);
    if (!st)
        *have = 1;
    return st;
}

/* ---- the worker pool ---- */

typedef struct {
    pid_t pid;
    int fd;
    size_t task;
} worker;

static int pool_run(const thr_opts *o, const ring_model *m, const size_t *Bs, const size_t *todo,
                    size_t ntodo, size_t ns, char *err)
{
    worker *wk = calloc(o->jobs, sizeof *wk);
    if (!wk)
        return sym_error(err, SYM_ENOMEM, "out of memory");
    size_t next = 0, running = 0, done = 0;
    int st = SYM_OK, progress = isatty(2);
    while ((next < ntodo && st == SYM_OK) || running > 0) {
        while (running < o->jobs && next < ntodo && st == SYM_OK) {
            size_t t = todo[next];
            int pfd[2];
            if (pipe(pfd)) {
                st = sym_error(err, SYM_EIO, "pipe: %s", strerror(errno));
                break;
            }
            fflush(NULL);
            pid_t pid = fork();
            if (pid < 0) {
                close(pfd[0]);
                close(pfd[1]);
                st = sym_error(err, SYM_EIO, "fork: %s", strerror(errno));
                break;
            }
            if (pid == 0) {
                close(pfd[0]);
                char e[SYM_ERRLEN] = "";
                int r = task_run(o, m, Bs[t / ns], t % ns, e);
                if (r) {
                    size_t len = strlen(e);
                    /* < PIPE_BUF: one atomic write the parent reads after exit */
                    if (write(pfd[1], e, len) < 0)
                        r = SYM_EIO;
                }
                close(pfd[1]);
                _exit(r ? 2 : 0);
            }
            close(pfd[1]);
            size_t k = 0;
            while (wk[k].pid)
                k++;
            wk[k] = (worker){pid, pfd[0], t};
            running++;
            next++;
        }
        if (!running)
            break;
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            st = st ? st : sym_error(err, SYM_EIO, "waitpid: %s", strerror(errno));
            break;
        }
        size_t k = 0;
        while (k < o->jobs && wk[k].pid != pid)
            k++;
        if (k == o->jobs)
            continue;
        char msg[SYM_ERRLEN] = "";
        ssize_t n = read(wk[k].fd, msg, sizeof msg - 1);
        msg[n > 0 ? n : 0] = 0;
        close(wk[k].fd);
        size_t t = wk[k].task;
        wk[k].pid = 0;
        running--;
        done++;
        if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) && st == SYM_OK)
            st = sym_error(err, SYM_ENUM, "task B=%zu seed %zu: %s", Bs[t / ns], t % ns,
                           msg[0] ? msg : "worker died");
        if (progress)
            fprintf(stderr, "\rthreshold: %zu / %zu tasks", done, ntodo);
    }
    if (progress && ntodo)
        fprintf(stderr, "\n");
    free(wk);
    return st;
}

/* ---- estimates and files ---- */

static void mean_sd(const double *y, size_t n, double *mean, double *sd)
{
    double s = 0, q = 0;
    for (size_t k = 0; k < n; k++)
        s += y[k];
    *mean = s / (double)n;
    for (size_t k = 0; k < n; k++)
        q += (y[k] - *mean) * (y[k] - *mean);
    *sd = n > 1 ? sqrt(q / (double)(n - 1)) : NAN;
}

/* The random-matrix B_c of the top population eigenspace alone: where
 * rmt_top_eval's ov_top crosses half-way between its B -> 0 value
 * (mult lambda_max / N, a single sample's share) and 1.  The trained profile
 * is a bump in the top modes, so Q^2 follows ov_top rather than ov_grow when
 * other modes grow too.  Scanned on a log grid of ratio THR_TOP_STEP and
 * interpolated in log B (thr_crossing): the interpolation error is far below
 * the seed scatter of the measurement. */
#define THR_TOP_STEP 1.0905077326652577   /* 2^(1/8) */
#define THR_TOP_BMIN 1e-3                 /* c = 1e3 N: ov_top at its B -> 0 value */
#define THR_TOP_BMAX 1e12
static double bc_rmt_top(const rmt_ws *rw, size_t N, char *err)
{
    size_t n = (size_t)ceil(log(THR_TOP_BMAX / THR_TOP_BMIN) / log(THR_TOP_STEP)) + 1;
    double *B = malloc(n * sizeof *B), *y = malloc(n * sizeof *y), Bc = NAN, mult = 0, l = 0;
    if (!B || !y) {
        free(B);
        free(y);
        return NAN;
    }
    size_t k;
    for (k = 0; k < n; k++) {
        rmt_top t;
        B[k] = THR_TOP_BMIN * pow(THR_TOP_STEP, (double)k);
        if (rmt_top_eval(rw, B[k], &t, err) != SYM_OK)
            break;
        y[k] = t.ov_top;
        mult = (double)t.mult;
        l = t.lambda_max;
    }
    if (k == n && thr_crossing(B, y, n, mult * l / (double)N, 1.0, &Bc, err) != SYM_OK)
        Bc = NAN;
    free(B);
    free(y);
    return Bc;
}

static int header_common(traj_header *h, int argc, char **argv, const opt_spec *spec, size_t nspec)
{
    size_t len = 8;
    for (int k = 0; k < argc; k++)
        len += strlen(argv[k]) + 1;
    char *cmd = malloc(len);
    if (!cmd)
        return SYM_ENOMEM;
    strcpy(cmd, "symrbm");
    for (int k = 0; k < argc; k++) {
        strcat(cmd, " ");
        strcat(cmd, argv[k]);
    }
    int st = traj_header_set(h, "program", "symrbm threshold");
    st = st ? st : traj_header_set(h, "version", "%s", SYM_VERSION);
    st = st ? st : traj_header_set(h, "command", "%s", cmd);
    free(cmd);
    return st ? st : opt_header(h, spec, nspec);
}

int cmd_threshold(int argc, char **argv, char *err)
{
    thr_opts o;
    memset(&o, 0, sizeof o);
    ring_params_default(&o.rp);
    o.data = "bump";
    o.N = 100;
    o.Bmin = 10;
    o.Bmax = 10000;
    o.points = 10;
    o.seeds = 8;
    o.T = 40;
    o.lr = 0.01;
    o.init_scale = 0.01;
    o.snapshots = 1;
    o.boot = 1000;
    o.seed = 1;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    o.jobs = ncpu > 0 ? (size_t)ncpu : 1;
    const opt_spec spec[] = {
        {"data", OPT_CHOICE, &o.data, "data model", "ising|bump", NULL},
        {"N", OPT_SIZE, &o.N, "visible units (ring sites)", NULL, NULL},
        {"beta", OPT_DOUBLE, &o.rp.beta, "ising coupling", NULL, NULL},
        {"rho", OPT_DOUBLE, &o.rp.rho, "bump width fraction", NULL, NULL},
        {"eps", OPT_DOUBLE, &o.rp.eps, "bump flip noise", NULL, NULL},
        {"Bmin", OPT_DOUBLE, &o.Bmin, "smallest sample size of the log grid", NULL, NULL},
        {"Bmax", OPT_DOUBLE, &o.Bmax, "largest sample size of the log grid", NULL, NULL},
        {"points", OPT_SIZE, &o.points, "grid points (log-spaced, rounded, distinct)", NULL, NULL},
        {"seeds", OPT_SIZE, &o.seeds, "independent data sets per B", NULL, NULL},
        {"T", OPT_DOUBLE, &o.T, "training time of sim and theory", NULL, NULL},
        {"lr", OPT_DOUBLE, &o.lr, "SGD step (full batch; T / lr updates)", NULL, NULL},
        {"init-scale", OPT_DOUBLE, &o.init_scale, "w(0) = s0 z / sqrt(N)", NULL, NULL},
        {"snapshots", OPT_SIZE, &o.snapshots, "sim snapshots per task (only the last is used)",
         NULL, NULL},
        {"boot", OPT_SIZE, &o.boot, "bootstrap resamples", NULL, NULL},
        {"seed", OPT_U64, &o.seed, "sweep seed (task seeds derive from it)", NULL, NULL},
        {"jobs", OPT_SIZE, &o.jobs, "worker processes (default: cores online)", NULL, NULL},
        {"keep-sim", OPT_FLAG, &o.keep_sim, "keep each task's sim output (large)", NULL, NULL},
        {"out", OPT_STRING, &o.out, "output directory", NULL, NULL},
    };
    size_t nspec = sizeof spec / sizeof spec[0];
    int help, st;
    if ((st = opt_parse(argc, argv, spec, nspec, NULL, 0, NULL, &help, err)))
        return st;
    if (help) {
        opt_usage(stdout,
                  "symrbm threshold --data ising|bump --N N ... --Bmin --Bmax --points --seeds "
                  "--out DIR",
                  "Critical sample size sweep (SPEC.md 7): linear-regime overlap, trained Q and S\n"
                  "against B, measured B_c with bootstrap intervals, BBP and random-matrix "
                  "predictions.",
                  spec, nspec);
        return SYM_OK;
    }
    if (!o.out)
        return sym_error(err, SYM_EINVAL, "--out DIR is required");
    if ((st = ring_kind_parse(o.data, &o.rp.kind, err)))
        return st;
    o.rp.N = o.N;
    if ((st = ring_params_check(&o.rp, err)))
        return st;
    if (o.seeds < 1)
        return sym_error(err, SYM_EINVAL, "--seeds 0: need at least one seed");
    if (o.jobs < 1)
        return sym_error(err, SYM_EINVAL, "--jobs 0: need at least one worker");
    if (o.boot < 1)
        return sym_error(err, SYM_EINVAL, "--boot 0: need at least one bootstrap resample");
    if (o.snapshots < 1)
        return sym_error(err, SYM_EINVAL, "--snapshots 0: need at least one snapshot");
    if (!(o.T > 0))
        return sym_error(err, SYM_EINVAL, "--T %g: must be > 0", o.T);
    if (!(o.lr > 0))
        return sym_error(err, SYM_EINVAL, "--lr %g: must be > 0", o.lr);
    if (!(o.T / o.lr >= 0.5))
        return sym_error(err, SYM_EINVAL, "--T %g with --lr %g is less than one update", o.T, o.lr);
    if (!(o.init_scale >= 0))
        return sym_error(err, SYM_EINVAL, "--init-scale %g: must be >= 0", o.init_scale);
    if (!(o.Bmin >= 1))
        return sym_error(err, SYM_EINVAL, "--Bmin %g: need B >= 1", o.Bmin);
    if (!(o.Bmax >= o.Bmin))
        return sym_error(err, SYM_EINVAL, "--Bmax %g: must be >= --Bmin %g", o.Bmax, o.Bmin);
    if (o.points < 2)
        return sym_error(err, SYM_EINVAL, "--points %zu: need at least 2 to locate a crossing",
                         o.points);
    if (o.points > THR_MAXPOINTS || o.seeds > 100000)
        return sym_error(err, SYM_EINVAL, "--points %zu / --seeds %zu: too many tasks", o.points,
                         o.seeds);
    ssize_t nexe = readlink("/proc/self/exe", o.exe, sizeof o.exe - 1);
    if (nexe <= 0)
        return sym_error(err, SYM_EIO, "cannot find the program (/proc/self/exe): %s",
                         strerror(errno));
    o.exe[nexe] = 0;

    double t0 = now();
    size_t *Bs = malloc(o.points * sizeof *Bs), nB = 0, ns = o.seeds;
    ring_model *m = NULL;
    rmt_ws *rw = NULL;
    gsl_rng *raux = NULL;
    size_t *todo = NULL;
    double *y = NULL, *top = NULL, *Bd = NULL;
    traj_header hdr;
    traj_header_init(&hdr);
    if (!Bs) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = thr_grid(o.Bmin, o.Bmax, o.points, Bs, &nB, err)))
        goto done;
    if (nB < 2) {
        st = sym_error(err, SYM_EINVAL, "--Bmin %g --Bmax %g: fewer than two distinct sample sizes",
                       o.Bmin, o.Bmax);
        goto done;
    }
    if ((st = ring_alloc(&m, &o.rp, err)))
        goto done;
    size_t nt = nB * ns, ntodo = 0;
    todo = malloc(nt * sizeof *todo);
    y = malloc(OP_N * nt * sizeof *y);
    top = malloc(nt * sizeof *top);
    Bd = malloc(nB * sizeof *Bd);
    if (!todo || !y || !top || !Bd) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t j = 0; j < nB; j++)
        Bd[j] = (double)Bs[j];

    /* finished tasks are checked before anything runs: a mismatch stops the
     * sweep instead of mixing two parameter sets */
    for (size_t t = 0; t < nt; t++) {
        int have;
        double val[OP_N];
        if ((st = task_load(&o, Bs[t / ns], t % ns, &have, val, &top[t], err)))
            goto done;
        if (!have)
            todo[ntodo++] = t;
    }
    char tdir[THR_PATH];
    if (pjoin(tdir, o.out, "tasks")) {
        st = sym_error(err, SYM_EINVAL, "--out %s: path too long", o.out);
        goto done;
    }
    if ((st = traj_mkdir(tdir, err)) || (st = theory_run(&o, err)))
        goto done;
    if ((st = pool_run(&o, m, Bs, todo, ntodo, ns, err)))
        goto done;
    for (size_t t = 0; t < nt; t++) {
        int have;
        double val[OP_N];
        if ((st = task_load(&o, Bs[t / ns], t % ns, &have, val, &top[t], err)))
            goto done;
        if (!have) {
            st = sym_error(err, SYM_EIO, "task B=%zu seed %zu left no result", Bs[t / ns], t % ns);
            goto done;
        }
        for (size_t k = 0; k < OP_STORED; k++)
            y[k * nt + t] = val[k];
        y[OP_Q2 * nt + t] = val[OP_Q] * val[OP_Q];
    }

    /* ---- predictions ---- */
    if ((st = rmt_alloc(&rw, m->lambda, o.N, err)))
        goto done;
    /* finite-B splitting of a degenerate top spike (bump: k = +-1); off for
     * ising, whose top mode k = 0 is simple (theory/rmt.h) */
    if ((st = rmt_set_m4(rw, rmt_ring_m4(m), err)))
        goto done;
    double ov0, Bc_rmt = NAN, Bc_bbp = rmt_bbp(m->lambda, o.N);
    size_t ngrow = rmt_growing(rw, &ov0);
    char e2[SYM_ERRLEN];
    if (ngrow > 0 && rmt_bc(rw, &Bc_rmt, e2) != SYM_OK)
        Bc_rmt = NAN;   /* recorded as nan; the measured values still stand */
    double Bc_rmt_top = ngrow > 0 ? bc_rmt_top(rw, o.N, e2) : NAN;

    /* ---- measured B_c ----
     * ov_lin: levels of the random-matrix limits (B -> 0: rmt_growing's
     * (1/N) sum lambda_k; B -> infinity: 1), the same ones rmt_bc uses.
     * Q, S: no closed-form limits at finite T, so the seed means at the
     * smallest and largest B of the grid (the grid must reach both plateaus). */
    thr_levels lv[OP_N] = {{0, 0, ov0, 1.0}, {1, 1, NAN, NAN}, {1, 1, NAN, NAN}, {1, 1, NAN, NAN}};
    static_assert(THR_MAXPOINTS >= 2, "the grid needs two points");
    double mean[OP_N][THR_MAXPOINTS], sd[OP_N][THR_MAXPOINTS];
    double Bc[OP_N], lo[OP_N], hi[OP_N], cl[OP_N], ch[OP_N];
    size_t nvalid[OP_N];
    raux = rng_alloc(o.seed, RNG_STREAM_AUX);
    if (!raux) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < OP_N; k++) {
        for (size_t j = 0; j < nB; j++)
            mean_sd(y + k * nt + j * ns, ns, &mean[k][j], &sd[k][j]);
        thr_levels_apply(&lv[k], mean[k], nB, &lo[k], &hi[k]);
        if (thr_crossing(Bd, mean[k], nB, lo[k], hi[k], &Bc[k], e2) != SYM_OK)
            Bc[k] = NAN;
        if ((st = thr_bootstrap(Bd, y + k * nt, nB, ns, &lv[k], o.boot, raux, &cl[k], &ch[k],
                                &nvalid[k], err)))
            goto done;
    }

    /* ---- files ---- */
    if ((st = header_common(&hdr, argc, argv, spec, nspec))) {
        st = sym_error(err, SYM_ENOMEM, "out of memory");
        goto done;
    }
    traj_file f;
    if ((st = traj_open(&f, o.out, "threshold.tsv", &hdr, err)))
        goto done;
    ring_header_write(m, f.fp);
    fprintf(f.fp, "B\tseeds");
    for (size_t k = 0; k < OP_N; k++)
        fprintf(f.fp, "\t%s_mean\t%s_sd", op_key[k], op_key[k]);
    fprintf(f.fp, "\ttop_eval_mean\tov_grow_rmt\tx_top_rmt\tov_top_rmt\n");
    for (size_t j = 0; j < nB; j++) {
        fprintf(f.fp, "%zu\t%zu", Bs[j], ns);
        for (size_t k = 0; k < OP_N; k++) {
            fputc('\t', f.fp);
            traj_put(f.fp, mean[k][j]);
            fputc('\t', f.fp);
            traj_put(f.fp, sd[k][j]);
        }
        double tm, tsd;
        mean_sd(top + j * ns, ns, &tm, &tsd);
        rmt_top rt;
        int ok = ngrow > 0 && rmt_top_eval(rw, Bd[j], &rt, e2) == SYM_OK;
        fputc('\t', f.fp);
        traj_put(f.fp, tm);
        fputc('\t', f.fp);
        traj_put(f.fp, ok ? rt.ov_grow : NAN);
        fputc('\t', f.fp);
        traj_put(f.fp, ok ? rt.x_top : NAN);
        fputc('\t', f.fp);
        traj_put(f.fp, ok ? rt.ov_top : NAN);
        fputc('\n', f.fp);
    }
    if ((st = traj_close(&f, err)))
        goto done;

    if ((st = traj_open(&f, o.out, "summary.tsv", &hdr, err)))
        goto done;
    ring_header_write(m, f.fp);
    double lmax = -INFINITY;
    for (size_t k = 0; k < o.N; k++)
        lmax = fmax(lmax, m->lambda[k]);
    traj_summary_num(f.fp, "Bc_bbp", Bc_bbp);
    traj_summary_num(f.fp, "Bc_rmt", Bc_rmt);
    traj_summary_num(f.fp, "Bc_rmt_top", Bc_rmt_top);
    for (size_t k = 0; k < OP_N; k++) {
        char key[64];
        snprintf(key, sizeof key, "Bc_%s", op_name[k]);
        traj_summary_num(f.fp, key, Bc[k]);
        snprintf(key, sizeof key, "Bc_%s_lo", op_name[k]);
        traj_summary_num(f.fp, key, cl[k]);
        snprintf(key, sizeof key, "Bc_%s_hi", op_name[k]);
        traj_summary_num(f.fp, key, ch[k]);
        snprintf(key, sizeof key, "%s_level_lo", op_name[k]);
        traj_summary_num(f.fp, key, lo[k]);
        snprintf(key, sizeof key, "%s_level_hi", op_name[k]);
        traj_summary_num(f.fp, key, hi[k]);
        snprintf(key, sizeof key, "%s_boot_valid", op_name[k]);
        traj_summary_num(f.fp, key, (double)nvalid[k]);
    }
    traj_summary_num(f.fp, "lambda_max", lmax);
    traj_summary_num(f.fp, "n_grow", (double)ngrow);
    traj_summary_num(f.fp, "tasks", (double)nt);
    traj_summary_num(f.fp, "tasks_run", (double)ntodo);
    traj_summary_num(f.fp, "wall_s", now() - t0);
    st = traj_close(&f, err);
done:
    traj_header_free(&hdr);
    free(Bs);
    free(todo);
    free(y);
    free(top);
    free(Bd);
    ring_free(m);
    rmt_free(rw);
    if (raux)
        gsl_rng_free(raux);
    return st;
}
