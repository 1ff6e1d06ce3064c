/* Suite sample: the `symrbm sample` command line (SPEC.md 5, 6) and the
 * sample-file module core/samples (the streaming, atomic, size-checked
 * writer and the reader that `sim --data-file` uses). */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/err.h"
#include "core/ring.h"
#include "core/rng.h"
#include "core/samples.h"
#include "core/traj.h"
#include "tests/suites.h"

extern char **environ;

/* A string literal and its length (binary bodies hold NUL bytes). */
#define LIT(s) s, sizeof(s) - 1

/* Failures only: ck_assert would write to Check's pipe on every pass. */
#define REQUIRE(cond, ...) do { if (!(cond)) ck_abort_msg(__VA_ARGS__); } while (0)

static char tmpdir[256];

static void setup(void)
{
    strcpy(tmpdir, "/tmp/symrbm-sample-XXXXXX");
    ck_assert_msg(mkdtemp(tmpdir) != NULL, "mkdtemp failed");
}

static void rm_rf(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[1024];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (!lstat(path, &st) && S_ISDIR(st.st_mode))
            rm_rf(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static void teardown(void)
{
    rm_rf(tmpdir);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    rewind(fp);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, fp);
    fclose(fp);
    s[got] = 0;
    if (len)
        *len = got;
    return s;
}

static void spit(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    ck_assert(fp != NULL);
    ck_assert(fwrite(data, 1, len, fp) == len);
    fclose(fp);
}

/* Run $SYMRBM_BIN with args (NULL-terminated), stdout and stderr into
 * tmpdir/.. files read back into *out / *errout (free them).  Returns the
 * exit status, -1 if it did not exit normally. */
static int run(const char *const *args, char **out, char **errout)
{
    const char *bin = getenv("SYMRBM_BIN");
    ck_assert_msg(bin != NULL, "SYMRBM_BIN is not set (run through make check)");
    char *argv[64];
    size_t n = 0;
    argv[n++] = (char *)bin;
    for (; args[n - 1] && n < 63; n++)
        argv[n] = (char *)args[n - 1];
    argv[n] = NULL;
    char o[300], e[300];
    /* outside tmpdir, so that "no file left behind" sees only the program's */
    snprintf(o, sizeof o, "%s.stdout", tmpdir);
    snprintf(e, sizeof e, "%s.stderr", tmpdir);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, o, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, e, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    int rc = posix_spawn(&pid, bin, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    ck_assert_msg(rc == 0, "cannot run %s", bin);
    int status;
    ck_assert(waitpid(pid, &status, 0) == pid);
    char *so = slurp(o, NULL), *se = slurp(e, NULL);
    unlink(o);
    unlink(e);
    if (out)
        *out = so;
    else
        free(so);
    if (errout)
        *errout = se;
    else
        free(se);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Number of entries in tmpdir (files and directories, hidden ones too). */
static size_t dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d)
        closedir(d);
    return n;
}

/* The samples the program must have written: stream 'data' of seed. */
static int8_t *expected(const char *data, size_t N, double beta, double rho, double eps,
                        size_t B, uint64_t seed)
{
    ring_params p;
    ring_params_default(&p);
    char err[SYM_ERRLEN];
    ck_assert_int_eq(ring_type_find(data, &p.type, err), SYM_OK);
    p.N = N;
    ck_assert(!ring_params_set(&p, "beta", beta, err) && !ring_params_set(&p, "rho", rho, err) &&
              !ring_params_set(&p, "eps", eps, err));
    ring_model *m;
    ck_assert_int_eq(ring_alloc(&m, &p, err), SYM_OK);
    int8_t *v = malloc(B * N);
    gsl_rng *r = rng_alloc(seed, RNG_STREAM_DATA);
    ck_assert_int_eq(ring_sample(m, r, B, v, err), SYM_OK);
    gsl_rng_free(r);
    ring_free(m);
    return v;
}

static int has_line(const char *s, const char *line)
{
    size_t len = strlen(line);
    for (const char *p = s; (p = strstr(p, line)); p++)
        if ((p == s || p[-1] == '\n') && (p[len] == '\n'))
            return 1;
    return 0;
}

START_TEST(test_text_file)
{
    char path[300];
    snprintf(path, sizeof path, "%s/s.txt", tmpdir);
    const char *args[] = {"sample", "--data", "ising", "--N", "12", "--beta", "0.7", "--B", "500",
                          "--seed", "3", "--out", path, NULL};
    char *err = NULL;
    int rc = run(args, NULL, &err);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    ck_assert_msg(err[0] == 0, "stderr not empty: %s", err);
    free(err);
    char *s = slurp(path, NULL);
    ck_assert(s != NULL);
    static const char *hdr[] = {"# program=symrbm", "# version=" SYM_VERSION, "# command=sample",
                                "# data=ising", "# N=12", "# beta=0.69999999999999996", "# B=500",
                                "# seed=3", "# format=text", "# rho=0.5", "# eps=0.10000000000000001"};
    for (size_t k = 0; k < sizeof hdr / sizeof *hdr; k++)
        ck_assert_msg(has_line(s, hdr[k]), "header line '%s' missing in:\n%.600s", hdr[k], s);
    /* rows: exactly the stream-'data' samples, "+1"/"-1" separated by one space */
    int8_t *want = expected("ising", 12, 0.7, 0.5, 0.1, 500, 3);
    const char *c = s;
    size_t row = 0, headers = 0;
    while (*c) {
        const char *eol = strchr(c, '\n');
        ck_assert_msg(eol != NULL, "last line not terminated");
        if (*c == '#') {
            ck_assert_msg(row == 0, "header line after the data");
            headers++;
        } else {
            REQUIRE(row < 500, "more than B rows");
            REQUIRE((size_t)(eol - c) == 12 * 3 - 1, "row %zu has length %zu", row, (size_t)(eol - c));
            for (size_t i = 0; i < 12; i++) {
                const char *tok = c + 3 * i;
                REQUIRE((tok[0] == '+' || tok[0] == '-') && tok[1] == '1' && (i == 11 || tok[2] == ' '),
                        "row %zu token %zu: '%.3s'", row, i, tok);
                REQUIRE((tok[0] == '+' ? 1 : -1) == want[row * 12 + i],
                        "row %zu spin %zu differs from stream 'data' of the seed", row, i);
            }
            row++;
        }
        c = eol + 1;
    }
    ck_assert_msg(row == 500, "%zu rows, expected 500", row);
    ck_assert(headers >= sizeof hdr / sizeof *hdr);
    /* and the reader gives the same */
    size_t N, B;
    int8_t *v;
    char msg[SYM_ERRLEN];
    ck_assert_msg(samples_read(path, &N, &B, &v, msg) == SYM_OK, "%s", msg);
    ck_assert(N == 12 && B == 500);
    ck_assert(!memcmp(v, want, 12 * 500));
    ck_assert_msg(dir_entries(tmpdir) == 1, "temporary files left behind");
    free(v);
    free(want);
    free(s);
}
END_TEST

/* Text and binary files of the same run hold the same configurations; the
 * binary body is B rows of ceil(N/8) bytes after "end\n". */
START_TEST(test_bin_roundtrip)
{
    static const struct { const char *data; size_t N; } cs[] = {{"bump", 13}, {"ising", 16}, {"bump", 3}};
    for (size_t a = 0; a < 3; a++) {
        char t[300], b[300], Ns[16];
        snprintf(t, sizeof t, "%s/r%zu.txt", tmpdir, a);
        snprintf(b, sizeof b, "%s/sub/r%zu.bin", tmpdir, a);   /* parent created */
        snprintf(Ns, sizeof Ns, "%zu", cs[a].N);
        const char *at[] = {"sample", "--data", cs[a].data, "--N", Ns, "--rho", "0.4", "--eps", "0.2",
                            "--beta", "0.3", "--B", "777", "--seed", "11", "--out", t, NULL};
        const char *ab[] = {"sample", "--data", cs[a].data, "--N", Ns, "--rho", "0.4", "--eps", "0.2",
                            "--beta", "0.3", "--B", "777", "--seed", "11", "--out", b, "--format", "bin", NULL};
        char *err;
        int rc = run(at, NULL, &err);
        ck_assert_msg(rc == 0, "text: exit %d: %s", rc, err);
        free(err);
        rc = run(ab, NULL, &err);
        ck_assert_msg(rc == 0, "bin: exit %d: %s", rc, err);
        free(err);
        size_t N1, B1, N2, B2, len;
        int8_t *v1, *v2;
        char msg[SYM_ERRLEN];
        ck_assert_msg(samples_read(t, &N1, &B1, &v1, msg) == SYM_OK, "%s", msg);
        ck_assert_msg(samples_read(b, &N2, &B2, &v2, msg) == SYM_OK, "%s", msg);
        ck_assert(N1 == cs[a].N && N2 == cs[a].N && B1 == 777 && B2 == 777);
        ck_assert_msg(!memcmp(v1, v2, N1 * B1), "%s N=%zu: text and bin differ", cs[a].data, cs[a].N);
        int8_t *want = expected(cs[a].data, cs[a].N, 0.3, 0.4, 0.2, 777, 11);
        ck_assert(!memcmp(v1, want, N1 * B1));
        /* layout: magic, key=value lines including N and B, end, packed body */
        char *s = slurp(b, &len);
        ck_assert(!strncmp(s, SAMPLES_MAGIC, strlen(SAMPLES_MAGIC)));
        char *end = strstr(s, "\nend\n");
        ck_assert(end != NULL);
        size_t hlen = (size_t)(end - s) + 5, rb = (cs[a].N + 7) / 8;
        ck_assert_msg(len == hlen + 777 * rb, "bin size %zu, expected %zu + 777 x %zu", len, hlen, rb);
        char nl[32], bl[32];
        snprintf(nl, sizeof nl, "\nN=%zu\n", cs[a].N);
        snprintf(bl, sizeof bl, "\nB=777\n");
        ck_assert_msg(strstr(s, nl) && strstr(s, bl) && strstr(s, "\ncommand=sample\n"),
                      "bin header lacks N, B or command");
        for (size_t k = 0; k < 777; k++)
            for (size_t i = 0; i < cs[a].N; i++) {
                int bit = ((unsigned char)s[hlen + k * rb + i / 8] >> (i % 8)) & 1;
                REQUIRE((bit ? 1 : -1) == want[k * cs[a].N + i], "bin row %zu bit %zu", k, i);
            }
        free(s);
        free(want);
        free(v1);
        free(v2);
    }
}
END_TEST

START_TEST(test_same_seed)
{
    char p[300];
    snprintf(p, sizeof p, "%s/x.txt", tmpdir);
    const char *a1[] = {"sample", "--data", "bump", "--N", "40", "--B", "300", "--seed", "5", "--out", p, NULL};
    const char *a2[] = {"sample", "--data", "bump", "--N", "40", "--B", "300", "--seed", "6", "--out", p, NULL};
    size_t l1, l2;
    ck_assert_int_eq(run(a1, NULL, NULL), 0);
    char *s1 = slurp(p, &l1);
    ck_assert_int_eq(run(a1, NULL, NULL), 0);
    char *s2 = slurp(p, &l2);
    ck_assert_msg(l1 == l2 && !memcmp(s1, s2, l1), "same seed, different files");
    size_t N1, B1, N3, B3;
    int8_t *v1, *v3;
    char msg[SYM_ERRLEN];
    ck_assert_msg(samples_read(p, &N1, &B1, &v1, msg) == SYM_OK, "%s", msg);
    ck_assert_int_eq(run(a2, NULL, NULL), 0);
    ck_assert_msg(samples_read(p, &N3, &B3, &v3, msg) == SYM_OK, "%s", msg);
    ck_assert(N1 == 40 && N3 == 40 && B1 == 300 && B3 == 300);
    ck_assert_msg(memcmp(v1, v3, 40 * 300) != 0, "seeds 5 and 6 gave the same samples");
    free(v1);
    free(v3);
    free(s1);
    free(s2);
}
END_TEST

/* Bad input: exit 2, one non-empty line on stderr naming the problem, no
 * file (nor temporary) left behind, and an existing file left intact. */
START_TEST(test_bad_input)
{
    char p[300], keep[300];
    snprintf(p, sizeof p, "%s/bad.txt", tmpdir);
    snprintf(keep, sizeof keep, "%s/keep.txt", tmpdir);
    static const struct { const char *a[8]; const char *needle; } cs[] = {
        {{"--bogus", "1"}, "--bogus"},
        {{"--N", "2"}, "N = 2"},
        {{"--N", "abc"}, "--N"},
        {{"--beta", "-1"}, "beta = -1"},
        {{"--beta", "nan"}, "--beta"},
        {{"--eps", "0.6"}, "eps = 0.6"},
        {{"--eps", "-0.1"}, "eps = -0.1"},
        {{"--B", "0"}, "--B"},
        {{"--data", "potts"}, "--data"},
        {{"--data", "bump", "--rho", "1"}, "rho = 1"},
        {{"--data", "bump", "--N", "10", "--rho", "0.02"}, "rho = 0.02"},
        {{"--data", "ising2", "--beta2", "inf"}, "--beta2"},
        {{"--B", "1e15", "--N", "100"}, "would take"},
        {{"--format", "xml"}, "--format"},
        {{"extra"}, "extra"},
    };
    for (size_t k = 0; k < sizeof cs / sizeof *cs; k++) {
        for (int target = 0; target < 2; target++) {
            const char *args[20] = {"sample", "--B", "10", "--out", target ? keep : p};
            size_t n = 5;
            for (size_t j = 0; cs[k].a[j]; j++)
                args[n++] = cs[k].a[j];
            args[n] = NULL;
            if (target) {
                const char *good[] = {"sample", "--N", "5", "--B", "3", "--out", keep, NULL};
                ck_assert_int_eq(run(good, NULL, NULL), 0);
            }
            size_t l0 = 0, l1 = 0;
            char *before = target ? slurp(keep, &l0) : NULL, *err = NULL;
            int rc = run(args, NULL, &err);
            ck_assert_msg(rc == 2, "case %s %s: exit %d", cs[k].a[0], cs[k].a[1] ? cs[k].a[1] : "", rc);
            ck_assert_msg(count_lines(err) == 1 && strlen(err) > 1, "case %s: stderr not one line: '%s'",
                          cs[k].a[0], err);
            ck_assert_msg(strstr(err, cs[k].needle) != NULL, "message '%s' does not name %s", err, cs[k].needle);
            if (target) {
                char *after = slurp(keep, &l1);
                ck_assert_msg(l0 == l1 && !memcmp(before, after, l0), "existing file changed by a failed run");
                free(after);
                unlink(keep);
            } else {
                ck_assert_msg(dir_entries(tmpdir) == 0, "case %s: a file was left behind", cs[k].a[0]);
            }
            free(before);
            free(err);
        }
    }
    const char *noout[] = {"sample", "--N", "10", NULL};
    char *err = NULL;
    ck_assert_int_eq(run(noout, NULL, &err), 2);
    ck_assert(strstr(err, "--out") != NULL && count_lines(err) == 1);
    free(err);
    /* a directory name instead of a file name */
    const char *dirout[] = {"sample", "--N", "10", "--out", tmpdir, NULL};
    ck_assert_int_eq(run(dirout, NULL, &err), 2);
    ck_assert(count_lines(err) == 1);
    ck_assert_msg(dir_entries(tmpdir) == 0, "a file was left behind");
    free(err);
}
END_TEST

START_TEST(test_help)
{
    const char *args[] = {"sample", "--help", NULL};
    char *out, *err;
    ck_assert_int_eq(run(args, &out, &err), 0);
    ck_assert(!strncmp(out, "usage:", 6));
    static const char *opts[] = {"--data", "--N", "--beta", "--rho", "--eps", "--beta2", "--B", "--seed", "--out",
                                 "--format", "ising|bump|ising2"};
    for (size_t k = 0; k < sizeof opts / sizeof *opts; k++)
        ck_assert_msg(strstr(out, opts[k]) != NULL, "--help does not mention %s", opts[k]);
    ck_assert(err[0] == 0);
    ck_assert_msg(dir_entries(tmpdir) == 0, "--help wrote a file");
    free(out);
    free(err);
}
END_TEST

/* Library round trip: random v through samples_write_rows in both
 * formats, back through samples_read. */
START_TEST(test_rows_roundtrip)
{
    static const size_t Ns[] = {3, 7, 8, 9, 64, 1001};
    gsl_rng *r = rng_alloc(1, RNG_STREAM_AUX);
    char msg[SYM_ERRLEN];
    for (size_t a = 0; a < sizeof Ns / sizeof *Ns; a++) {
        size_t N = Ns[a], B = 37;
        int8_t *v = malloc(N * B);
        for (size_t k = 0; k < N * B; k++)
            v[k] = gsl_rng_uniform(r) < 0.5 ? 1 : -1;
        for (int bin = 0; bin < 2; bin++) {
            char path[300];
            snprintf(path, sizeof path, "%s/rt%d", tmpdir, bin);
            FILE *fp = fopen(path, "wb");
            if (bin)
                fprintf(fp, "%sprogram=test\nB=%zu\nN=%zu\nend\n", SAMPLES_MAGIC, B, N);
            else
                fprintf(fp, "# program=test\n\n   # indented comment\n");
            ck_assert_int_eq(samples_write_rows(fp, bin ? SAMPLES_BIN : SAMPLES_TEXT, v, N, B, 0, msg), SYM_OK);
            fclose(fp);
            size_t N2, B2;
            int8_t *w;
            ck_assert_msg(samples_read(path, &N2, &B2, &w, msg) == SYM_OK, "%s", msg);
            ck_assert(N2 == N && B2 == B);
            ck_assert_msg(!memcmp(v, w, N * B), "N=%zu bin=%d: round trip differs", N, bin);
            free(w);
        }
        free(v);
    }
    gsl_rng_free(r);
}
END_TEST

/* Other spellings of +-1 that numpy.savetxt and hand-written files use. */
START_TEST(test_reader_spellings)
{
    char path[300];
    snprintf(path, sizeof path, "%s/ok.txt", tmpdir);
    const char *txt = "# N=4\n1 -1 +1 -1\r\n\n\t1.000000000000000000e+00 -1.0 -1e0 1\n";
    spit(path, txt, strlen(txt));
    size_t N, B;
    int8_t *v;
    char msg[SYM_ERRLEN];
    ck_assert_msg(samples_read(path, &N, &B, &v, msg) == SYM_OK, "%s", msg);
    ck_assert(N == 4 && B == 2);
    static const int8_t want[] = {1, -1, 1, -1, 1, -1, -1, 1};
    ck_assert(!memcmp(v, want, 8));
    free(v);
}
END_TEST

/* Malformed files: SYM_EINVAL (SYM_EIO if missing) with a one-line message
 * naming the file and, for text rows, the line. */
START_TEST(test_reader_errors)
{
    static const struct { const char *body; size_t len; const char *needle; } cs[] = {
        {LIT("# h\n1 1 -1\n-1 -1 1\n1 1\n"), "line 4"},            /* short row            */
        {LIT("1 1 -1\n-1 -1 1 1\n"), "line 2"},                    /* long row             */
        {LIT("1 1 -1\n-1 2 1\n"), "line 2"},                       /* value 2              */
        {LIT("1 1 -1\n-1 0 1\n"), "line 2"},                       /* value 0              */
        {LIT("1 1 -1\n\n-1 x 1\n"), "line 3"},                     /* not a number         */
        {LIT("1 1 -1\n-1 1e 1\n"), "line 2"},                      /* not a number         */
        {LIT("1 1 -1\n-1 nan 1\n"), "line 2"},                     /* NaN                  */
        {LIT("1 -1\n"), "line 1"},                                 /* N < 3                */
        {LIT("# only a header\n\n"), "no configurations"},
        {LIT(""), "no configurations"},
        {LIT(SAMPLES_MAGIC "N=9\nB=2\nend\n\x01\x00\x02"), "truncated"},
        {LIT(SAMPLES_MAGIC "N=9\nB=1\nend\n\x01\x00\x02"), "trailing"},
        {LIT(SAMPLES_MAGIC "N=9\nB=1\nend\n\x01\x02"), "padding"},
        {LIT(SAMPLES_MAGIC "N=9\nB=1\n"), "end"},
        {LIT(SAMPLES_MAGIC "N=9\ngarbage\nend\n"), "line 3"},
        {LIT(SAMPLES_MAGIC "N=-9\nB=1\nend\n\x01\x00"), "line 2"},
        {LIT(SAMPLES_MAGIC "B=1\nend\n\x01\x00"), "N >= 3"},
    };
    char path[300];
    snprintf(path, sizeof path, "%s/bad.dat", tmpdir);
    for (size_t k = 0; k < sizeof cs / sizeof *cs; k++) {
        size_t len = cs[k].len;
        spit(path, cs[k].body, len);
        size_t N = 99, B = 99;
        int8_t *v = (int8_t *)path;
        char msg[SYM_ERRLEN] = "";
        int st = samples_read(path, &N, &B, &v, msg);
        ck_assert_msg(st == SYM_EINVAL, "case %zu: status %d (%s)", k, st, msg);
        ck_assert_msg(v == NULL, "case %zu: *v not NULL on failure", k);
        ck_assert_msg(strstr(msg, path) && strstr(msg, cs[k].needle) && !strchr(msg, '\n'),
                      "case %zu: message '%s' should name the file and '%s'", k, msg, cs[k].needle);
    }
    snprintf(path, sizeof path, "%s/missing.txt", tmpdir);
    size_t N, B;
    int8_t *v;
    char msg[SYM_ERRLEN];
    ck_assert_int_eq(samples_read(path, &N, &B, &v, msg), SYM_EIO);
    ck_assert(strstr(msg, path) != NULL);
}
END_TEST


/* Damaged files: what a cut, a NUL or a lying header would otherwise get
 * wrong, each with a one-line message naming the file and the problem. */
START_TEST(test_reader_damaged)
{
    static const struct { const char *body; size_t len; const char *needle; } cs[] = {
        /* cut inside the first row: 10 of 30 values, read as N = 10 before */
        {LIT("# N=30\n# B=2\n+1 -1 +1 -1 +1 -1 +1 -1 +1 -1\n"), "N=30"},
        /* cut between rows */
        {LIT("# N=3\n# B=3\n+1 -1 +1\n-1 -1 -1\n"), "B=3"},
        /* a NUL used to end the line silently (here after 2 of 3 values) */
        {LIT("1 -1 1\n-1 1\0 1\n"), "NUL"},
        {LIT("# N=3\n# N=4\n1 1 1\n"), "contradicts"},
        {LIT("# N=abc\n1 1 1\n"), "not a positive integer"},
        {LIT("# B=0\n1 1 1\n"), "not a positive integer"},
        /* binary: a header B far beyond the body, refused without allocating */
        {LIT(SAMPLES_MAGIC "N=9\nB=1000000000000000\nend\n\x01\x00"), "truncated"},
        {LIT(SAMPLES_MAGIC "N=1099511627776\nB=1099511627776\nend\n"), "overflow"},
        {LIT(SAMPLES_MAGIC "N=9\nN=10\nB=1\nend\n\x01\x00"), "contradicts"},
        {LIT(SAMPLES_MAGIC "N=9\nB=1\nx=a\0b\nend\n\x01\x00"), "NUL"},
    };
    char path[300];
    snprintf(path, sizeof path, "%s/damaged.dat", tmpdir);
    for (size_t k = 0; k < sizeof cs / sizeof *cs; k++) {
        spit(path, cs[k].body, cs[k].len);
        size_t N = 99, B = 99;
        int8_t *v = (int8_t *)path;
        char msg[SYM_ERRLEN] = "";
        int st = samples_read(path, &N, &B, &v, msg);
        ck_assert_msg(st == SYM_EINVAL, "case %zu: status %d (%s)", k, st, msg);
        ck_assert_msg(v == NULL, "case %zu: *v not NULL on failure", k);
        ck_assert_msg(strstr(msg, path) && strstr(msg, cs[k].needle) && !strchr(msg, '\n'),
                      "case %zu: message '%s' should name the file and '%s'", k, msg, cs[k].needle);
    }
    /* the header's N and B, when they agree, are fine in any order and
     * with other keys around */
    const char *ok = "# B=2\n# program=x\n#N=3\n+1 -1 +1\n-1 -1 -1\n# N=7 (a comment after the data)\n";
    spit(path, ok, strlen(ok));
    size_t N, B;
    int8_t *v;
    char msg[SYM_ERRLEN];
    ck_assert_msg(samples_read(path, &N, &B, &v, msg) == SYM_OK, "%s", msg);
    ck_assert(N == 3 && B == 2);
    free(v);
}
END_TEST

/* A model for the writer tests. */
static ring_model *model(const char *data, size_t N)
{
    ring_params p;
    ring_params_default(&p);
    char err[SYM_ERRLEN];
    ck_assert_int_eq(ring_type_find(data, &p.type, err), SYM_OK);
    p.N = N;
    ck_assert(!ring_params_set(&p, "beta2", -0.4, err) && !ring_params_set(&p, "rho", 0.3, err));
    ring_model *m;
    ck_assert_msg(ring_alloc(&m, &p, err) == SYM_OK, "%s", err);
    return m;
}

static void header_for(traj_header *h, const ring_model *m, size_t B)
{
    traj_header_init(h);
    ck_assert(!traj_header_set(h, "program", "test") && !ring_header_set(m, h) && !traj_header_set(h, "B", "%zu", B));
}

/* The streamed file does not depend on the chunk size (the samplers draw
 * rows one after another) and is byte for byte the header followed by the
 * rows of one ring_sample call of all B -- today's format. */
START_TEST(test_writer_chunks)
{
    static const char *const models[] = {"ising", "bump", "ising2"};
    static const size_t chunks[] = {1, 7, 0, 100000};
    for (size_t a = 0; a < 3; a++)
        for (int bin = 0; bin < 2; bin++) {
            size_t N = 13 + 5 * a, B = 501;
            ring_model *m = model(models[a], N);
            traj_header h;
            header_for(&h, m, B);
            char want_path[300];
            snprintf(want_path, sizeof want_path, "%s/want", tmpdir);
            FILE *fp = fopen(want_path, "wb");
            char err[SYM_ERRLEN];
            ck_assert_int_eq(samples_header_write(fp, bin ? SAMPLES_BIN : SAMPLES_TEXT, &h, err), SYM_OK);
            int8_t *v = malloc(B * N);
            gsl_rng *r = rng_alloc(8, RNG_STREAM_DATA);
            ck_assert_int_eq(ring_sample(m, r, B, v, err), SYM_OK);
            gsl_rng_free(r);
            ck_assert_int_eq(samples_write_rows(fp, bin ? SAMPLES_BIN : SAMPLES_TEXT, v, N, B, 0, err), SYM_OK);
            fclose(fp);
            free(v);
            size_t lw;
            char *want = slurp(want_path, &lw);
            for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
                char path[300];
                snprintf(path, sizeof path, "%s/sub/dir/s%zu", tmpdir, c);   /* parents are created */
                samples_wopts o = {bin ? SAMPLES_BIN : SAMPLES_TEXT, chunks[c], NULL, NULL};
                r = rng_alloc(8, RNG_STREAM_DATA);
                ck_assert_msg(samples_write(path, &h, m, r, B, &o, err) == SYM_OK, "%s", err);
                gsl_rng_free(r);
                size_t lg;
                char *got = slurp(path, &lg);
                ck_assert_msg(got && lg == lw && !memcmp(got, want, lw), "%s bin=%d chunk=%zu: file differs",
                              models[a], bin, chunks[c]);
                free(got);
            }
            free(want);
            traj_header_free(&h);
            ring_free(m);
        }
}
END_TEST

static size_t progress_calls, progress_last;

static void count_progress(void *ctx, size_t done, size_t B)
{
    (void)ctx;
    ck_assert(done <= B && done > progress_last);
    progress_calls++;
    progress_last = done;
}

/* A header that contradicts what is written, a binary header without N or
 * B: refused before any file exists.  Progress is reported per chunk. */
START_TEST(test_writer_checks)
{
    ring_model *m = model("ising", 10);
    traj_header h;
    header_for(&h, m, 50);
    char path[300], err[SYM_ERRLEN];
    snprintf(path, sizeof path, "%s/x.txt", tmpdir);
    gsl_rng *r = rng_alloc(1, RNG_STREAM_DATA);
    samples_wopts o = {SAMPLES_TEXT, 0, NULL, NULL};
    ck_assert_int_eq(samples_write(path, &h, m, r, 51, &o, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "B=50") != NULL, "%s", err);
    ck_assert_int_eq(samples_write(path, &h, m, r, 0, &o, err), SYM_EINVAL);
    ck_assert(traj_header_set(&h, "N", "11") == SYM_OK);
    ck_assert_int_eq(samples_write(path, &h, m, r, 50, &o, err), SYM_EINVAL);
    ck_assert_msg(strstr(err, "N=11") != NULL, "%s", err);
    traj_header_free(&h);
    traj_header_init(&h);
    o.format = SAMPLES_BIN;
    ck_assert_int_eq(samples_write(path, &h, m, r, 50, &o, err), SYM_EINVAL);
    ck_assert_int_eq(samples_write(path, NULL, m, r, 50, &o, err), SYM_EINVAL);
    ck_assert_msg(dir_entries(tmpdir) == 0, "a refused write left a file");
    /* text without a header is allowed: rows only */
    o.format = SAMPLES_TEXT;
    o.chunk = 8;
    o.progress = count_progress;
    progress_calls = progress_last = 0;
    ck_assert_msg(samples_write(path, NULL, m, r, 50, &o, err) == SYM_OK, "%s", err);
    ck_assert(progress_calls == 7 && progress_last == 50);
    size_t len;
    char *s = slurp(path, &len);
    ck_assert(len == 50 * 30 && (s[0] == '+' || s[0] == '-'));
    free(s);
    gsl_rng_free(r);
    traj_header_free(&h);
    ring_free(m);
}
END_TEST

/* Sizes the disk cannot hold are refused at once, with the size and the
 * free space in the message, and nothing created (not even the missing
 * parent directory); sizes beyond 64 bits likewise. */
START_TEST(test_writer_space)
{
    static const struct { size_t N, B; int bin; const char *needle; } cs[] = {
        {100, 1000000000000000ULL, 0, "PB"},
        {100, 1000000000000000000ULL, 1, "EB"},
        {1000000, 1000000000000000000ULL, 0, "more than 18 EB"},
    };
    for (size_t a = 0; a < sizeof cs / sizeof *cs; a++) {
        ring_model *m = model("ising", cs[a].N);
        traj_header h;
        header_for(&h, m, cs[a].B);
        char path[300], err[SYM_ERRLEN];
        snprintf(path, sizeof path, "%s/new/big", tmpdir);
        gsl_rng *r = rng_alloc(1, RNG_STREAM_DATA);
        samples_wopts o = {cs[a].bin ? SAMPLES_BIN : SAMPLES_TEXT, 0, NULL, NULL};
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int st = samples_write(path, &h, m, r, cs[a].B, &o, err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double dt = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        ck_assert_msg(st == SYM_EIO, "case %zu: status %d (%s)", a, st, err);
        ck_assert_msg(strstr(err, "would take") && strstr(err, "free") && strstr(err, cs[a].needle) &&
                          strstr(err, "rows of N =") && !strchr(err, '\n'),
                      "case %zu: message '%s'", a, err);
        ck_assert_msg(dt < 1.0, "case %zu: took %.2f s", a, dt);
        ck_assert_msg(dir_entries(tmpdir) == 0, "case %zu: something was created", a);
        gsl_rng_free(r);
        traj_header_free(&h);
        ring_free(m);
    }
}
END_TEST

/* A write that fails half-way (here: a file-size limit, EFBIG) removes its
 * temporary file and leaves an existing file at the name untouched. */
START_TEST(test_writer_failure_cleanup)
{
    char path[300], err[SYM_ERRLEN];
    snprintf(path, sizeof path, "%s/keep.txt", tmpdir);
    spit(path, "old\n", 4);
    ring_model *m = model("ising2", 100);
    traj_header h;
    header_for(&h, m, 20000);
    struct rlimit old, lim;
    ck_assert(getrlimit(RLIMIT_FSIZE, &old) == 0);
    lim = old;
    lim.rlim_cur = 1 << 20;   /* 1 MB of a 6 MB file */
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    ck_assert(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    gsl_rng *r = rng_alloc(1, RNG_STREAM_DATA);
    samples_wopts o = {SAMPLES_TEXT, 0, NULL, NULL};
    int st = samples_write(path, &h, m, r, 20000, &o, err);
    ck_assert(setrlimit(RLIMIT_FSIZE, &old) == 0);
    signal(SIGXFSZ, prev);
    ck_assert_msg(st == SYM_EIO, "status %d (%s)", st, err);
    ck_assert_msg(strstr(err, path) && !strchr(err, '\n'), "message '%s'", err);
    size_t len;
    char *s = slurp(path, &len);
    ck_assert_msg(len == 4 && !memcmp(s, "old\n", 4), "existing file changed");
    free(s);
    ck_assert_msg(dir_entries(tmpdir) == 1, "temporary file left behind");
    gsl_rng_free(r);
    traj_header_free(&h);
    ring_free(m);
}
END_TEST

/* The case: `sample --N 100 --B 1e15` ends at once with exit 2 and
 * one line saying how much disk it would need; nothing is written. */
START_TEST(test_cli_too_big)
{
    char p[300];
    snprintf(p, sizeof p, "%s/huge.txt", tmpdir);
    const char *args[] = {"sample", "--N", "100", "--B", "1e15", "--out", p, NULL};
    char *err = NULL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = run(args, NULL, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    ck_assert_msg(rc == 2, "exit %d: %s", rc, err);
    ck_assert_msg(count_lines(err) == 1 && strstr(err, "B = 1e+15 rows of N = 100: the file would take 300 PB"),
                  "stderr '%s'", err);
    ck_assert_msg(dt < 2.0, "took %.2f s", dt);
    ck_assert(dir_entries(tmpdir) == 0);
    free(err);
}
END_TEST

/* --data ising2 through the command line: the rows of the library sampler
 * and the model's keys in the header, each once. */
START_TEST(test_cli_ising2)
{
    char path[300];
    snprintf(path, sizeof path, "%s/i2.txt", tmpdir);
    const char *args[] = {"sample", "--data", "ising2", "--N", "9", "--beta", "0.8", "--beta2", "-0.6", "--B",
                          "300", "--seed", "4", "--out", path, NULL};
    char *err = NULL;
    int rc = run(args, NULL, &err);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    free(err);
    char *s = slurp(path, NULL);
    static const char *hdr[] = {"# data=ising2", "# N=9", "# beta=0.80000000000000004", "# beta2=-0.59999999999999998",
                                "# B=300"};
    for (size_t k = 0; k < sizeof hdr / sizeof *hdr; k++) {
        ck_assert_msg(has_line(s, hdr[k]), "header line '%s' missing in:\n%.600s", hdr[k], s);
        ck_assert_msg(strstr(strstr(s, hdr[k]) + 1, hdr[k]) == NULL, "header line '%s' twice", hdr[k]);
    }
    free(s);
    ring_params p;
    ring_params_default(&p);
    char msg[SYM_ERRLEN];
    ck_assert_int_eq(ring_type_find("ising2", &p.type, msg), SYM_OK);
    p.N = 9;
    ck_assert(!ring_params_set(&p, "beta", 0.8, msg) && !ring_params_set(&p, "beta2", -0.6, msg));
    ring_model *m;
    ck_assert_int_eq(ring_alloc(&m, &p, msg), SYM_OK);
    ck_assert_str_eq(m->type->name, "ising2");
    int8_t *want = malloc(9 * 300), *v;
    gsl_rng *r = rng_alloc(4, RNG_STREAM_DATA);
    ck_assert_int_eq(ring_sample(m, r, 300, want, msg), SYM_OK);
    size_t N, B;
    ck_assert_msg(samples_read(path, &N, &B, &v, msg) == SYM_OK, "%s", msg);
    ck_assert(N == 9 && B == 300 && !memcmp(v, want, 9 * 300));
    gsl_rng_free(r);
    free(v);
    free(want);
    ring_free(m);
}
END_TEST

/* The reader behind `symrbm sim --data-file`: a malformed row makes the
 * program exit 2 with one line naming the file and line. */
START_TEST(test_data_file_cli)
{
    char path[300], out[300];
    snprintf(path, sizeof path, "%s/d.txt", tmpdir);
    snprintf(out, sizeof out, "%s/simout", tmpdir);
    const char *txt = "# bad\n1 -1 1 -1\n-1 -1 1\n";
    spit(path, txt, strlen(txt));
    const char *args[] = {"sim", "--data-file", path, "--out", out, NULL};
    char *err = NULL;
    int rc = run(args, NULL, &err);
    ck_assert_msg(rc == 2, "exit %d: %s", rc, err);
    ck_assert_msg(count_lines(err) == 1 && strstr(err, path) && strstr(err, "line 3"),
                  "stderr '%s' should name %s line 3", err, path);
    free(err);
}
END_TEST

Suite *sample_suite(void)
{
    Suite *s = suite_create("sample");
    TCase *tc = tcase_create("cli");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_text_file);
    tcase_add_test(tc, test_bin_roundtrip);
    tcase_add_test(tc, test_same_seed);
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_help);
    tcase_add_test(tc, test_data_file_cli);
    tcase_add_test(tc, test_cli_too_big);
    tcase_add_test(tc, test_cli_ising2);
    suite_add_tcase(s, tc);
    TCase *tr = tcase_create("reader");
    tcase_add_checked_fixture(tr, setup, teardown);
    tcase_add_test(tr, test_rows_roundtrip);
    tcase_add_test(tr, test_reader_spellings);
    tcase_add_test(tr, test_reader_errors);
    tcase_add_test(tr, test_reader_damaged);
    TCase *tw = tcase_create("writer");
    tcase_add_checked_fixture(tw, setup, teardown);
    tcase_add_test(tw, test_writer_chunks);
    tcase_add_test(tw, test_writer_checks);
    tcase_add_test(tw, test_writer_space);
    tcase_add_test(tw, test_writer_failure_cleanup);
    suite_add_tcase(s, tr);
    suite_add_tcase(s, tw);
    return s;
}
