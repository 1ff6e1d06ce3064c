/* Suite ckpt: checkpoint files (sim/ckpt.h) and checkpointed sim runs
 * (sim/run.h, issue 11 item 3).  The exact answer a resumed run must give
 * is the uninterrupted run: every test interrupts training through the
 * library (sim_run stops right after a checkpoint, everything is freed),
 * resumes in a new sim_run and compares the files byte for byte, for SGD
 * and ADAM, exact, PCD and CD model terms, and each minibatch source. */
#define _GNU_SOURCE
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/ring.h"
#include "core/rng.h"
#include "core/run.h"
#include "sim/ckpt.h"
#include "sim/run.h"
#include "tests/suites.h"
#include "tests/tutil.h"

static char tmpdir[64];

static void mk_tmp(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/symrbm_ckpt_XXXXXX");
    ck_assert(mkdtemp(tmpdir) != NULL);
}

static void rm_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

/* ---- the record file ------------------------------------------------------- */

START_TEST(test_records)
{
    mk_tmp();
    char path[128], err[SYM_ERRLEN];
    snprintf(path, sizeof path, "%s/c.bin", tmpdir);
    gsl_rng *r = rng_alloc(5, RNG_STREAM_AUX), *r2 = rng_alloc(6, RNG_STREAM_AUX);
    for (int k = 0; k < 100; k++)
        gsl_rng_get(r);
    double x[3] = {1.5, -2, NAN};
    ckpt_out *o;
    ck_assert_msg(ckpt_out_open(&o, path, err) == SYM_OK, "%s", err);
    ckpt_put(o, "x", x, sizeof x);
    ckpt_put_u64(o, "k", 12345678901ULL);
    ckpt_put(o, "empty", NULL, 0);
    ckpt_put_rng(o, "r", r);
    ck_assert_int_eq(ckpt_exists(path), 0);   /* not in place before the commit */
    ck_assert_msg(ckpt_out_commit(o, err) == SYM_OK, "%s", err);
    ck_assert_int_eq(ckpt_exists(path), 1);
    ck_assert_int_eq(tutil_has_temp(tmpdir), 0);

    ckpt_in *in;
    ck_assert_msg(ckpt_in_read(&in, path, err) == SYM_OK, "%s", err);
    double y[3];
    uint64_t k;
    ck_assert_int_eq(ckpt_get(in, "x", y, sizeof y, err), SYM_OK);
    ck_assert(y[0] == 1.5 && y[1] == -2 && isnan(y[2]));
    ck_assert_int_eq(ckpt_get_u64(in, "k", &k, err), SYM_OK);
    ck_assert(k == 12345678901ULL);
    ck_assert_int_eq(ckpt_get(in, "empty", NULL, 0, err), SYM_OK);
    ck_assert_int_eq(ckpt_get(in, "x", y, 2 * sizeof(double), err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "record x: 24 bytes, expected 16"), "%s", err);
    ck_assert_int_eq(ckpt_get(in, "nope", y, 8, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "no record nope"), "%s", err);
    /* the restored generator continues the saved one's sequence */
    ck_assert_int_eq(ckpt_get_rng(in, "r", r2, err), SYM_OK);
    for (int j = 0; j < 1000; j++)
        ck_assert_uint_eq(gsl_rng_get(r), gsl_rng_get(r2));
    gsl_rng *t = gsl_rng_alloc(gsl_rng_taus2);
    ck_assert_int_eq(ckpt_get_rng(in, "r", t, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "taus2"), "%s", err);
    gsl_rng_free(t);
    ckpt_in_free(in);

    /* damage: one byte changed, the file cut short, not a checkpoint */
    size_t len;
    char *b = tutil_slurp(path, &len);
    ck_assert(b && len > 60);
    FILE *fp = fopen(path, "wb");
    b[40] ^= 1;
    fwrite(b, 1, len, fp);
    fclose(fp);
    ck_assert_int_eq(ckpt_in_read(&in, path, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "damaged"), "%s", err);
    b[40] ^= 1;
    fp = fopen(path, "wb");
    fwrite(b, 1, len - 5, fp);
    fclose(fp);
    ck_assert_int_eq(ckpt_in_read(&in, path, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "cut short"), "%s", err);
    fp = fopen(path, "wb");
    fputs("t\tmu\n", fp);
    fclose(fp);
    ck_assert_int_eq(ckpt_in_read(&in, path, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "not a symrbm checkpoint"), "%s", err);
    free(b);
    ck_assert_int_eq(ckpt_in_read(&in, "/nonexistent/c.bin", err), SYM_EIO);
    /* pieces hash as the whole */
    const char *s = "translation-invariant ring data";
    ck_assert(ckpt_hash(ckpt_hash(CKPT_HASH0, s, 7), s + 7, strlen(s) - 7) ==
              ckpt_hash(CKPT_HASH0, s, strlen(s)));
    gsl_rng_free(r);
    gsl_rng_free(r2);
    rm_tmp();
}
END_TEST

/* ---- checkpointed runs ------------------------------------------------------ */

typedef struct {
    ring_model *m;
    int8_t *v, *vt;
    size_t N, B, Bt;
} data_set;

static data_set make_data(size_t N, size_t B, size_t Bt, uint64_t seed)
{
    ring_params rp;
    ring_params_default(&rp);
    rp.N = N;
    char err[SYM_ERRLEN];
    ck_assert_int_eq(ring_params_set(&rp, "beta", 0.9, err), SYM_OK);
    data_set d = {NULL, NULL, NULL, N, B, Bt};
    ck_assert_msg(ring_alloc(&d.m, &rp, err) == SYM_OK, "%s", err);
    ck_assert_msg(sim_draw(d.m, seed, B, Bt, &d.v, &d.vt, err) == SYM_OK, "%s", err);
    return d;
}

static void free_data(data_set *d)
{
    ring_free(d->m);
    free(d->v);
    free(d->vt);
}

static int run_sim(const sim_config *c, const data_set *d, const char *out, sim_result *r,
                   char *err)
{
    traj_header h;
    traj_header_init(&h);
    ck_assert_int_eq(run_header(&h, "sim", 0, NULL), SYM_OK);
    int st = sim_run(c, d->m->type, d->m, d->v, d->N, d->B, d->vt, d->Bt, &h, out, r, err);
    traj_header_free(&h);
    return st;
}

/* The file without its run-id header line (and summary's wall_s). */
static char *file_body(const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t len;
    char *s = tutil_slurp(path, &len);
    ck_assert_msg(s != NULL, "%s missing", path);
    char *o = malloc(len + 1), *q = o;
    for (char *p = s; *p;) {
        char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p + 1) : strlen(p);
        if (strncmp(p, "# run=", 6) && strncmp(p, "wall_s\t", 7)) {
            memcpy(q, p, n);
            q += n;
        }
        p += n;
    }
    *q = 0;
    free(s);
    return o;
}

static void same_files(const char *a, const char *b, const char *what)
{
    const char *names[] = {"trajectory.tsv", "weights.tsv", "summary.tsv"};
    for (int f = 0; f < 3; f++) {
        char *x = file_body(a, names[f]), *y = file_body(b, names[f]);
        ck_assert_msg(!strcmp(x, y), "%s: %s differs from the uninterrupted run", what, names[f]);
        free(x);
        free(y);
    }
    char path[256];
    snprintf(path, sizeof path, "%s/%s", b, SIM_CKPT_NAME);
    ck_assert_msg(!ckpt_exists(path), "%s: checkpoint left after the run", what);
    ck_assert_msg(!tutil_has_temp(b), "%s: temporary files left", what);
}

typedef struct {
    const unit_type *unit;
    size_t M;
    train_term term;
    train_opt opt;
    int learn;           /* bit 0: learn fields; bit 1: gibbs = bits (issue 9) */
} run_kind;

static void kind_config(sim_config *c, const run_kind *k, train_sampling smp)
{
    sim_config_default(c);
    unit_params_default(&c->train.unit, k->unit);
    c->train.M = k->M;
    c->train.term = k->term;
    c->train.opt = k->opt;
    c->train.learn_fields = k->learn & 1;
    c->train.gibbs = k->learn & 2 ? TRAIN_GIBBS_BITS : TRAIN_GIBBS_FLOAT;
    c->train.lr = k->opt == TRAIN_ADAM ? 0.01 : 0.05;
    c->train.batch = 12;
    c->train.chains = 20;
    c->train.mc_steps = 2;
    c->train.sampling = smp;
    c->epochs = 3;           /* B = 120: 10 updates per epoch, K = 30 */
    c->snapshots = 12;
    c->init_scale = 0.3;
    c->seed = 21;
}

/* Interrupted at updates 5, 15 and 25 (checkpoints every 5), resumed each
 * time in a new sim_run, and twice in a row (5, then 20, then the end):
 * files byte for byte those of the run that was never interrupted. */
START_TEST(test_resume_identical)
{
    mk_tmp();
    char err[SYM_ERRLEN], ref[128], dir[128];
    data_set d = make_data(10, 120, 40, 8);
    const run_kind kinds[] = {
        {&unit_gaussian, 1, TRAIN_EXACT, TRAIN_SGD, 0},
        {&unit_spin, 1, TRAIN_EXACT, TRAIN_ADAM, 1},
        {&unit_gaussian, 1, TRAIN_PCD, TRAIN_SGD, 0},   /* h drawn from the training stream */
        {&unit_spin, 2, TRAIN_PCD, TRAIN_ADAM, 1},
        {&unit_spin, 2, TRAIN_PCD, TRAIN_ADAM, 3},      /* bits: packed chains */
        {&unit_spin, 2, TRAIN_EXACT, TRAIN_SGD, 0},     /* the 2^M sum */
        {&unit_relu, 1, TRAIN_CD, TRAIN_SGD, 0},
    };
    const size_t stops[] = {5, 15, 25};
    for (size_t ik = 0; ik < sizeof kinds / sizeof kinds[0]; ik++)
        for (int smp = TRAIN_EPOCH; smp <= TRAIN_ONLINE; smp++) {
            sim_config c;
            kind_config(&c, &kinds[ik], (train_sampling)smp);
            char what[128];
            snprintf(what, sizeof what, "%s M=%zu %s %s %s", kinds[ik].unit->name, kinds[ik].M,
                     train_term_name(kinds[ik].term), kinds[ik].opt ? "adam" : "sgd",
                     train_sampling_name((train_sampling)smp));
            snprintf(ref, sizeof ref, "%s/ref", tmpdir);
            sim_result r;
            ck_assert_msg(run_sim(&c, &d, ref, &r, err) == SYM_OK, "%s: %s", what, err);
            ck_assert_uint_eq(r.updates, 30);
            for (size_t is = 0; is <= 3; is++) {
                snprintf(dir, sizeof dir, "%s/k%zu", tmpdir, is);
                sim_config ci = c;
                ci.ckpt_every = 5;
                ci.ckpt_stop = is < 3 ? stops[is] : 5;
                ck_assert_msg(run_sim(&ci, &d, dir, &r, err) == SYM_OK, "%s: %s", what, err);
                ck_assert_msg(r.stopped && r.updates == ci.ckpt_stop, "%s: stopped %d at %zu",
                              what, r.stopped, r.updates);
                ck_assert(!tutil_has_temp(dir));
                ci.resume = 1;
                if (is == 3) {
                    /* a second interruption of the resumed run */
                    ci.ckpt_stop = 20;
                    ck_assert_msg(run_sim(&ci, &d, dir, &r, err) == SYM_OK, "%s: %s", what, err);
                    ck_assert(r.stopped && r.updates == 20 && r.resumed_from == 5);
                }
                ci.ckpt_stop = 0;
                ck_assert_msg(run_sim(&ci, &d, dir, &r, err) == SYM_OK, "%s: %s", what, err);
                ck_assert(!r.stopped && r.updates == 30);
                ck_assert_uint_eq(r.resumed_from, is < 3 ? stops[is] : 20);
                same_files(ref, dir, what);
            }
            /* checkpoints that are written and never used change nothing */
            sim_config cc = c;
            cc.ckpt_every = 3;
            snprintf(dir, sizeof dir, "%s/every", tmpdir);
            ck_assert_msg(run_sim(&cc, &d, dir, &r, err) == SYM_OK, "%s: %s", what, err);
            same_files(ref, dir, what);
        }
    free_data(&d);
    rm_tmp();
}
END_TEST

/* A checkpoint of other parameters or data is refused naming the first
 * difference and left in place; a damaged one is refused; resume without a
 * checkpoint starts afresh. */
START_TEST(test_resume_refused)
{
    mk_tmp();
    char err[SYM_ERRLEN], dir[128], path[160], ref[128];
    data_set d = make_data(10, 120, 0, 8);
    run_kind k = {&unit_spin, 1, TRAIN_PCD, TRAIN_SGD, 0};
    sim_config c;
    kind_config(&c, &k, TRAIN_EPOCH);
    snprintf(dir, sizeof dir, "%s/k", tmpdir);
    snprintf(path, sizeof path, "%s/%s", dir, SIM_CKPT_NAME);
    sim_result r;
    sim_config ci = c;
    ci.ckpt_every = 5;
    ci.ckpt_stop = 10;
    ck_assert_msg(run_sim(&ci, &d, dir, &r, err) == SYM_OK, "%s", err);
    ck_assert(r.stopped && ckpt_exists(path));
    ci.ckpt_stop = 0;
    ci.resume = 1;

    sim_config cx = ci;
    cx.train.lr = 0.06;
    ck_assert_int_eq(run_sim(&cx, &d, dir, &r, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "made with lr=0.050000000000000003, this run has "
                              "lr=0.059999999999999998"), "%s", err);
    cx = ci;
    cx.seed = 22;
    ck_assert_int_eq(run_sim(&cx, &d, dir, &r, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "seed=21") && strstr(err, "seed=22"), "%s", err);
    cx = ci;
    cx.train.sampling = TRAIN_REPLACE;
    ck_assert_int_eq(run_sim(&cx, &d, dir, &r, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "sampling=epoch"), "%s", err);
    d.v[7] = (int8_t)-d.v[7];   /* other training data, same parameters */
    ck_assert_int_eq(run_sim(&ci, &d, dir, &r, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "data-hash="), "%s", err);
    d.v[7] = (int8_t)-d.v[7];
    ck_assert(ckpt_exists(path));

    /* damaged: refused, nothing written */
    size_t len;
    char *b = tutil_slurp(path, &len);
    b[len / 2] ^= 0x10;
    FILE *fp = fopen(path, "wb");
    fwrite(b, 1, len, fp);
    fclose(fp);
    ck_assert_int_eq(run_sim(&ci, &d, dir, &r, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "resume") && strstr(err, "damaged"), "%s", err);
    b[len / 2] ^= 0x10;
    fp = fopen(path, "wb");
    fwrite(b, 1, len, fp);
    fclose(fp);
    free(b);
    /* restored, it resumes to the uninterrupted run's files */
    ck_assert_msg(run_sim(&ci, &d, dir, &r, err) == SYM_OK, "%s", err);
    ck_assert_uint_eq(r.resumed_from, 10);
    snprintf(ref, sizeof ref, "%s/ref", tmpdir);
    ck_assert_msg(run_sim(&c, &d, ref, &r, err) == SYM_OK, "%s", err);
    same_files(ref, dir, "restored");
    /* --resume with no checkpoint: a fresh run */
    snprintf(dir, sizeof dir, "%s/fresh", tmpdir);
    ck_assert_msg(run_sim(&ci, &d, dir, &r, err) == SYM_OK, "%s", err);
    ck_assert_uint_eq(r.resumed_from, 0);
    same_files(ref, dir, "fresh");
    /* online sampling needs the data model */
    cx = c;
    cx.train.sampling = TRAIN_ONLINE;
    traj_header h;
    traj_header_init(&h);
    ck_assert_int_eq(sim_run(&cx, d.m->type, NULL, d.v, d.N, d.B, NULL, 0, &h, NULL, &r, err),
                     SYM_EINVAL);
    ck_assert_msg(strstr(err, "online"), "%s", err);
    traj_header_free(&h);
    free_data(&d);
    rm_tmp();
}
END_TEST

/* Automatic checkpoints (ckpt_seconds, the CLI's default): a process's
 * first checkpoint is due at its first update (its cost is not known yet),
 * later ones 100 times that cost apart.  Interrupted at update 1, resumed
 * and interrupted at 2 (the resumed process's first), resumed to the end:
 * the files are the uninterrupted run's. */
START_TEST(test_resume_auto)
{
    mk_tmp();
    char err[SYM_ERRLEN], dir[128], ref[128], path[160];
    data_set d = make_data(10, 120, 20, 9);
    run_kind k = {&unit_spin, 2, TRAIN_PCD, TRAIN_ADAM, 1};
    sim_config c;
    kind_config(&c, &k, TRAIN_ONLINE);
    snprintf(ref, sizeof ref, "%s/ref", tmpdir);
    snprintf(dir, sizeof dir, "%s/k", tmpdir);
    snprintf(path, sizeof path, "%s/%s", dir, SIM_CKPT_NAME);
    sim_result r;
    ck_assert_msg(run_sim(&c, &d, ref, &r, err) == SYM_OK, "%s", err);
    sim_config ci = c;
    ci.ckpt_seconds = 1e-9;
    ci.ckpt_stop = 1;
    ck_assert_msg(run_sim(&ci, &d, dir, &r, err) == SYM_OK, "%s", err);
    ck_assert_msg(r.stopped && r.updates == 1 && ckpt_exists(path), "stopped %d at %zu",
                  r.stopped, r.updates);
    ci.resume = 1;
    ci.ckpt_stop = 2;
    ck_assert_msg(run_sim(&ci, &d, dir, &r, err) == SYM_OK, "%s", err);
    ck_assert_msg(r.stopped && r.updates == 2 && r.resumed_from == 1, "stopped %d at %zu",
                  r.stopped, r.updates);
    ci.ckpt_stop = 0;
    ck_assert_msg(run_sim(&ci, &d, dir, &r, err) == SYM_OK, "%s", err);
    ck_assert_uint_eq(r.resumed_from, 2);
    same_files(ref, dir, "auto");
    free_data(&d);
    rm_tmp();
}
END_TEST

Suite *ckpt_suite(void)
{
    Suite *s = suite_create("ckpt");
    TCase *tc = tcase_create("ckpt");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_records);
    tcase_add_test(tc, test_resume_identical);
    tcase_add_test(tc, test_resume_refused);
    tcase_add_test(tc, test_resume_auto);
    suite_add_tcase(s, tc);
    return s;
}
