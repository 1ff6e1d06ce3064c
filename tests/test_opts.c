/* Suite opts: the shared command-line parser cli/opts.c (SPEC.md 6): every
 * option type in both spellings, every rejection (unknown option, missing
 * value, non-finite or out-of-range numbers, bad choices, malformed lists,
 * too many positionals) with a message naming the option, --help, and the
 * header record of every value. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/opts.h"
#include "core/err.h"
#include "tests/suites.h"

/* One option of every type, with the defaults a subcommand would set. */
typedef struct {
    double beta;
    size_t N;
    uint64_t seed;
    const char *out, *data;
    int spectrum;
    opt_list Ns;
    int seen_beta, seen_N;
} opts_t;

#define NSPEC 7

static void spec_init(opts_t *o, opt_spec *spec)
{
    memset(o, 0, sizeof *o);
    o->beta = 1.0;
    o->N = 100;
    o->seed = 1;
    o->data = "ising";
    const opt_spec s[NSPEC] = {
        {"beta", OPT_DOUBLE, &o->beta, "coupling", NULL, &o->seen_beta},
        {"N", OPT_SIZE, &o->N, "ring size", NULL, &o->seen_N},
        {"seed", OPT_U64, &o->seed, "seed", NULL, NULL},
        {"out", OPT_STRING, &o->out, "output directory", NULL, NULL},
        {"data", OPT_CHOICE, &o->data, "data model", "ising|bump", NULL},
        {"spectrum", OPT_FLAG, &o->spectrum, "write the spectrum", NULL, NULL},
        {"Ns", OPT_SIZE_LIST, &o->Ns, "ring sizes", NULL, NULL},
    };
    memcpy(spec, s, sizeof s);
}

/* Parse a NULL-terminated list of arguments (argv[0] = "cmd" is added). */
static int parse(opts_t *o, const char *const *args, const char **pos, size_t maxpos,
                 size_t *npos, int *help, char *err)
{
    opt_spec spec[NSPEC];
    spec_init(o, spec);
    char *argv[64];
    int argc = 0;
    argv[argc++] = "cmd";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    int h = 0;
    err[0] = 0;
    return opt_parse(argc, argv, spec, NSPEC, pos, maxpos, npos, help ? help : &h, err);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Parsing must fail with SYM_EINVAL and a one-line message containing want. */
static void expect_fail(const char *const *args, const char *want)
{
    opts_t o;
    char err[SYM_ERRLEN];
    const char *pos[2];
    size_t npos;
    int st = parse(&o, args, pos, 2, &npos, NULL, err);
    ck_assert_msg(st == SYM_EINVAL, "'%s ...' accepted", args[0]);
    ck_assert_msg(strstr(err, want) != NULL, "message '%s' lacks '%s'", err, want);
    ck_assert_ptr_null(strchr(err, '\n'));
}

START_TEST(test_each_type_both_spellings)
{
    opts_t o;
    char err[SYM_ERRLEN];
    const char *pos[2];
    size_t npos = 99;
    int help = 7;
    ck_assert_int_eq(parse(&o, ARGS("--beta", "0.25", "--N", "200", "--seed", "18446744073709551615",
                                    "--out", "dir one", "--data", "bump", "--spectrum",
                                    "--Ns", "50,100,200"),
                           pos, 2, &npos, &help, err),
                     SYM_OK);
    ck_assert_double_eq(o.beta, 0.25);
    ck_assert_uint_eq(o.N, 200);
    ck_assert(o.seed == UINT64_MAX);
    ck_assert_str_eq(o.out, "dir one");
    ck_assert_str_eq(o.data, "bump");
    ck_assert_int_eq(o.spectrum, 1);
    ck_assert_uint_eq(o.Ns.n, 3);
    ck_assert_uint_eq(o.Ns.v[0], 50);
    ck_assert_uint_eq(o.Ns.v[1], 100);
    ck_assert_uint_eq(o.Ns.v[2], 200);
    ck_assert_uint_eq(npos, 0);
    ck_assert_int_eq(help, 0);
    ck_assert_int_eq(o.seen_beta, 1);
    ck_assert_int_eq(o.seen_N, 1);

    ck_assert_int_eq(parse(&o, ARGS("--beta=-1.5e-3", "--N=1e5", "--seed=0", "--out=x=y",
                                    "--data=ising", "--Ns=7"),
                           pos, 2, &npos, NULL, err),
                     SYM_OK);
    ck_assert_double_eq(o.beta, -1.5e-3);
    ck_assert_uint_eq(o.N, 100000);   /* 1e5-style integers are accepted */
    ck_assert(o.seed == 0);
    ck_assert_str_eq(o.out, "x=y");   /* only the first '=' separates */
    ck_assert_str_eq(o.data, "ising");
    ck_assert_uint_eq(o.Ns.n, 1);
    ck_assert_uint_eq(o.Ns.v[0], 7);
    ck_assert_int_eq(o.spectrum, 0);
    ck_assert_int_eq(o.seen_N, 1);

    /* untouched options keep their defaults and stay unseen; the last of
     * repeated options wins; a negative number is a value, not an option */
    ck_assert_int_eq(parse(&o, ARGS("--N", "5", "--N", "7", "--beta", "-2"), pos, 2, &npos, NULL, err),
                     SYM_OK);
    ck_assert_uint_eq(o.N, 7);
    ck_assert_double_eq(o.beta, -2.0);
    ck_assert(o.seed == 1);
    ck_assert_str_eq(o.data, "ising");
    ck_assert_ptr_null(o.out);
    ck_assert_int_eq(parse(&o, ARGS("--seed", "3"), pos, 2, &npos, NULL, err), SYM_OK);
    ck_assert_int_eq(o.seen_N, 0);
    ck_assert_int_eq(o.seen_beta, 0);
}
END_TEST

START_TEST(test_unknown_and_missing)
{
    expect_fail(ARGS("--bogus", "3"), "--bogus");
    expect_fail(ARGS("--bogus=3"), "--bogus");
    expect_fail(ARGS("--bet", "3"), "--bet");      /* no prefix matching */
    expect_fail(ARGS("--betas", "3"), "--betas");
    expect_fail(ARGS("-x"), "-x");
    expect_fail(ARGS("--"), "--");
    /* missing value: at the end of the line */
    expect_fail(ARGS("--N", "10", "--beta"), "--beta");
    expect_fail(ARGS("--beta"), "needs a value");
    /* a flag takes no value */
    expect_fail(ARGS("--spectrum=1"), "--spectrum");
}
END_TEST

START_TEST(test_bad_numbers)
{
    expect_fail(ARGS("--beta", "nan"), "--beta");
    expect_fail(ARGS("--beta", "NaN"), "--beta");
    expect_fail(ARGS("--beta", "inf"), "--beta");
    expect_fail(ARGS("--beta", "-inf"), "--beta");
    expect_fail(ARGS("--beta", "1e400"), "--beta");
    expect_fail(ARGS("--beta", "1.5x"), "1.5x");
    expect_fail(ARGS("--beta", ""), "--beta");
    expect_fail(ARGS("--beta="), "--beta");
    expect_fail(ARGS("--N", "-5"), "--N");
    expect_fail(ARGS("--N=-3"), "--N");
    expect_fail(ARGS("--N", "2.5"), "--N");
    expect_fail(ARGS("--N", "1e400"), "--N");
    expect_fail(ARGS("--N", "nan"), "--N");
    expect_fail(ARGS("--N", "ten"), "--N");
    expect_fail(ARGS("--N", ""), "--N");
    expect_fail(ARGS("--seed", "-1"), "--seed");
    expect_fail(ARGS("--seed", "1.5"), "--seed");
    expect_fail(ARGS("--seed", "18446744073709551616"), "--seed");   /* 2^64 */
    expect_fail(ARGS("--out", ""), "--out");

    /* a rejected value leaves the destination at its previous value */
    opts_t o;
    char err[SYM_ERRLEN];
    size_t npos;
    ck_assert_int_eq(parse(&o, ARGS("--beta", "0.5", "--beta", "nan"), NULL, 0, &npos, NULL, err),
                     SYM_EINVAL);
    ck_assert_double_eq(o.beta, 0.5);
}
END_TEST

START_TEST(test_choices)
{
    expect_fail(ARGS("--data", "potts"), "ising|bump");
    expect_fail(ARGS("--data", "potts"), "--data");
    expect_fail(ARGS("--data", "isi"), "--data");          /* prefix */
    expect_fail(ARGS("--data", "isingx"), "--data");       /* extension */
    expect_fail(ARGS("--data", "ising|bump"), "--data");   /* the list itself */
    expect_fail(ARGS("--data", "Ising"), "--data");        /* case matters */
    expect_fail(ARGS("--data", ""), "--data");
}
END_TEST

START_TEST(test_lists)
{
    expect_fail(ARGS("--Ns", "50,-1"), "--Ns");
    expect_fail(ARGS("--Ns", "50,,100"), "--Ns");
    expect_fail(ARGS("--Ns", ",50"), "--Ns");
    expect_fail(ARGS("--Ns", "50,2.5"), "--Ns");
    expect_fail(ARGS("--Ns", "50;100"), "--Ns");
    expect_fail(ARGS("--Ns", ""), "--Ns");
    /* OPT_LIST_MAX values fit, one more does not */
    char list[1024] = "";
    for (int k = 1; k <= OPT_LIST_MAX; k++)
        snprintf(list + strlen(list), sizeof list - strlen(list), k > 1 ? ",%d" : "%d", k);
    opts_t o;
    char err[SYM_ERRLEN];
    size_t npos;
    ck_assert_int_eq(parse(&o, ARGS("--Ns", list), NULL, 0, &npos, NULL, err), SYM_OK);
    ck_assert_uint_eq(o.Ns.n, OPT_LIST_MAX);
    for (size_t k = 0; k < OPT_LIST_MAX; k++)
        ck_assert_uint_eq(o.Ns.v[k], k + 1);
    strcat(list, ",65");
    expect_fail(ARGS("--Ns", list), "--Ns");
    /* 1e3-style entries, and a repeated list replaces the first */
    ck_assert_int_eq(parse(&o, ARGS("--Ns", "1,2,3", "--Ns", "1e3,20"), NULL, 0, &npos, NULL, err),
                     SYM_OK);
    ck_assert_uint_eq(o.Ns.n, 2);
    ck_assert_uint_eq(o.Ns.v[0], 1000);
    ck_assert_uint_eq(o.Ns.v[1], 20);
}
END_TEST

START_TEST(test_positionals)
{
    opts_t o;
    char err[SYM_ERRLEN];
    const char *pos[2] = {NULL, NULL};
    size_t npos = 99;
    ck_assert_int_eq(parse(&o, ARGS("theory_dir", "--N", "10", "sim_dir"), pos, 2, &npos, NULL, err),
                     SYM_OK);
    ck_assert_uint_eq(npos, 2);
    ck_assert_str_eq(pos[0], "theory_dir");
    ck_assert_str_eq(pos[1], "sim_dir");
    ck_assert_uint_eq(o.N, 10);
    /* a leading '-' followed by a digit is a positional number */
    ck_assert_int_eq(parse(&o, ARGS("-5"), pos, 2, &npos, NULL, err), SYM_OK);
    ck_assert_uint_eq(npos, 1);
    ck_assert_str_eq(pos[0], "-5");
    expect_fail(ARGS("a", "b", "c"), "'c'");
    ck_assert_int_eq(parse(&o, ARGS("a"), pos, 0, &npos, NULL, err), SYM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "'a'"));
}
END_TEST

START_TEST(test_help)
{
    opts_t o;
    char err[SYM_ERRLEN];
    size_t npos;
    int help = 0;
    ck_assert_int_eq(parse(&o, ARGS("--help"), NULL, 0, &npos, &help, err), SYM_OK);
    ck_assert_int_eq(help, 1);
    help = 0;
    ck_assert_int_eq(parse(&o, ARGS("--N", "5", "-h"), NULL, 0, &npos, &help, err), SYM_OK);
    ck_assert_int_eq(help, 1);
    ck_assert_int_eq(parse(&o, ARGS("--N", "5"), NULL, 0, &npos, &help, err), SYM_OK);
    ck_assert_int_eq(help, 0);

    /* usage lists every option with its current value */
    opt_spec spec[NSPEC];
    spec_init(&o, spec);
    o.Ns.n = 2;
    o.Ns.v[0] = 50;
    o.Ns.v[1] = 100;
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(fp);
    opt_usage(fp, "symrbm test [options]", "A test.", spec, NSPEC);
    fclose(fp);
    ck_assert(!strncmp(buf, "usage: symrbm test [options]", 28));
    const char *want[] = {"--beta X", "[1]", "--N X", "[100]", "--seed X", "--out X",
                          "--data ising|bump", "[ising]", "--spectrum", "--Ns X", "[50,100]",
                          "--help"};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
        ck_assert_msg(strstr(buf, want[k]) != NULL, "usage lacks '%s'", want[k]);
    free(buf);
}
END_TEST

/* edge cases: underflow to a denormal is a number, a trailing comma and a
 * negative seed hidden behind white space are not */
START_TEST(test_edge_numbers)
{
    opts_t o;
    char err[SYM_ERRLEN];
    int help;
    const char *a1[] = {"--beta", "1e-320", NULL};
    ck_assert_int_eq(parse(&o, a1, NULL, 0, NULL, &help, err), SYM_OK);
    ck_assert(o.beta > 0 && o.beta < 1e-300);
    const char *a2[] = {"--Ns", "50,100,", NULL};
    expect_fail(a2, "--Ns");
    const char *a3[] = {"--seed", " -1", NULL};
    expect_fail(a3, "--seed");
    const char *a4[] = {"--beta", "1e-400", NULL};
    ck_assert_int_eq(parse(&o, a4, NULL, 0, NULL, &help, err), SYM_OK);
    ck_assert(o.beta == 0.0);
}
END_TEST

START_TEST(test_header_record)
{
    opts_t o;
    opt_spec spec[NSPEC];
    spec_init(&o, spec);
    char *argv[] = {"cmd", "--beta", "0.1", "--N", "1e3", "--seed", "18446744073709551615",
                    "--data=bump", "--spectrum", "--Ns", "3,5", "--out", "a b"};
    int help;
    size_t npos;
    char err[SYM_ERRLEN];
    ck_assert_int_eq(opt_parse(13, argv, spec, NSPEC, NULL, 0, &npos, &help, err), SYM_OK);
    traj_header h;
    traj_header_init(&h);
    ck_assert_int_eq(opt_header(&h, spec, NSPEC), SYM_OK);
    ck_assert_uint_eq(h.n, NSPEC);
    /* the recorded double reads back to the same bits */
    const char *b = traj_header_get(&h, "beta");
    ck_assert_ptr_nonnull(b);
    double beta = strtod(b, NULL);
    ck_assert(!memcmp(&beta, &o.beta, sizeof beta));
    ck_assert_str_eq(traj_header_get(&h, "N"), "1000");
    ck_assert_str_eq(traj_header_get(&h, "seed"), "18446744073709551615");
    ck_assert_str_eq(traj_header_get(&h, "data"), "bump");
    ck_assert_str_eq(traj_header_get(&h, "spectrum"), "1");
    ck_assert_str_eq(traj_header_get(&h, "Ns"), "3,5");
    ck_assert_str_eq(traj_header_get(&h, "out"), "a b");
    traj_header_free(&h);
    /* defaults are recorded too (an unset string as empty) */
    spec_init(&o, spec);
    traj_header_init(&h);
    ck_assert_int_eq(opt_header(&h, spec, NSPEC), SYM_OK);
    ck_assert_str_eq(traj_header_get(&h, "beta"), "1");
    ck_assert_str_eq(traj_header_get(&h, "N"), "100");
    ck_assert_str_eq(traj_header_get(&h, "spectrum"), "0");
    ck_assert_str_eq(traj_header_get(&h, "out"), "");
    ck_assert_str_eq(traj_header_get(&h, "Ns"), "");
    traj_header_free(&h);
}
END_TEST

Suite *opts_suite(void)
{
    Suite *s = suite_create("opts");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_each_type_both_spellings);
    tcase_add_test(tc, test_unknown_and_missing);
    tcase_add_test(tc, test_bad_numbers);
    tcase_add_test(tc, test_choices);
    tcase_add_test(tc, test_lists);
    tcase_add_test(tc, test_positionals);
    tcase_add_test(tc, test_help);
    tcase_add_test(tc, test_header_record);
    tcase_add_test(tc, test_edge_numbers);
    suite_add_tcase(s, tc);
    return s;
}
