/* Suite err: sym_error / sym_context formatting, return codes, truncation at
 * SYM_ERRLEN (core/err.h); the non-aborting GSL handler; the overflow-checked
 * size arithmetic and the allocation check of core/size.h (against 128-bit
 * products computed independently). */
#include <stdint.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

#include "core/err.h"
#include "core/size.h"
#include "tests/suites.h"

START_TEST(test_error_format)
{
    char err[SYM_ERRLEN] = "old";
    int st = sym_error(err, SYM_EINVAL, "N = %zu: need N >= %d (%s)", (size_t)2, 3, "ring");
    ck_assert_int_eq(st, SYM_EINVAL);
    ck_assert_str_eq(err, "N = 2: need N >= 3 (ring)");
    /* every code passes through unchanged */
    const int codes[] = {SYM_OK, SYM_EINVAL, SYM_EIO, SYM_ENUM, SYM_ENOMEM};
    for (size_t k = 0; k < sizeof codes / sizeof codes[0]; k++)
        ck_assert_int_eq(sym_error(err, codes[k], "x"), codes[k]);
    /* a NULL buffer is allowed: only the code comes back */
    ck_assert_int_eq(sym_error(NULL, SYM_EIO, "ignored %d", 1), SYM_EIO);
    ck_assert_int_eq(sym_context(NULL, SYM_ENUM, "f"), SYM_ENUM);
}
END_TEST

START_TEST(test_context_chain)
{
    char err[SYM_ERRLEN];
    sym_error(err, SYM_EIO, "trajectory.tsv:17: expected 19 fields, found 12");
    int st = sym_context(err, SYM_EIO, "traj_read");
    st = sym_context(err, st, "cmd_compare");
    ck_assert_int_eq(st, SYM_EIO);
    ck_assert_str_eq(err, "cmd_compare: traj_read: trajectory.tsv:17: expected 19 fields, found 12");
    /* NULL where leaves the message alone */
    ck_assert_int_eq(sym_context(err, SYM_EINVAL, NULL), SYM_EINVAL);
    ck_assert_str_eq(err, "cmd_compare: traj_read: trajectory.tsv:17: expected 19 fields, found 12");
}
END_TEST

START_TEST(test_truncation)
{
    /* a message longer than the buffer is cut at SYM_ERRLEN - 1 characters
     * and stays NUL-terminated; the guard bytes after the buffer survive */
    char big[3 * SYM_ERRLEN];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    char buf[SYM_ERRLEN + 16];
    memset(buf, '#', sizeof buf);
    sym_error(buf, SYM_EINVAL, "%s", big);
    ck_assert_uint_eq(strlen(buf), SYM_ERRLEN - 1);
    for (size_t k = SYM_ERRLEN; k < sizeof buf; k++)
        ck_assert_int_eq(buf[k], '#');

    /* prefixing a full message keeps the prefix and drops the tail */
    sym_context(buf, SYM_EINVAL, "where");
    ck_assert_uint_eq(strlen(buf), SYM_ERRLEN - 1);
    ck_assert(!strncmp(buf, "where: xxx", 10));
    for (size_t k = SYM_ERRLEN; k < sizeof buf; k++)
        ck_assert_int_eq(buf[k], '#');

    /* a message of exactly SYM_ERRLEN - 1 characters is kept whole */
    big[SYM_ERRLEN - 1] = 0;
    sym_error(buf, SYM_EINVAL, "%s", big);
    ck_assert_str_eq(buf, big);
}
END_TEST

static double line(double x, void *p)
{
    (void)p;
    return x + 10.0;
}

/* With GSL's default handler a bracket without a sign change aborts the
 * process (Check reports the forked test as an error); after
 * sym_gsl_install it is the status GSL_EINVAL. */
START_TEST(test_gsl_handler)
{
    gsl_set_error_handler(NULL);   /* GSL's default: print and abort */
    sym_gsl_install();
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    ck_assert_ptr_nonnull(s);
    gsl_function F = {line, NULL};
    ck_assert_int_eq(gsl_root_fsolver_set(s, &F, 0.0, 1.0), GSL_EINVAL);
    gsl_root_fsolver_free(s);
}
END_TEST

START_TEST(test_mul_add_ok)
{
    const size_t vals[] = {0, 1, 2, 3, 255, 256, (size_t)1 << 31, (size_t)1 << 32,
                           ((size_t)1 << 32) + 1, (size_t)1 << 56, (size_t)1 << 59,
                           SIZE_MAX / 2, SIZE_MAX / 2 + 1, SIZE_MAX - 1, SIZE_MAX};
    size_t n = sizeof vals / sizeof vals[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            unsigned __int128 p = (unsigned __int128)vals[i] * vals[j];
            unsigned __int128 q = (unsigned __int128)vals[i] + vals[j];
            size_t out = 12345;
            int ok = sym_mul_ok(vals[i], vals[j], &out);
            ck_assert_msg(ok == (p <= SIZE_MAX), "mul %zu x %zu: ok = %d", vals[i], vals[j], ok);
            if (ok)
                ck_assert(out == (size_t)p);
            ok = sym_add_ok(vals[i], vals[j], &out);
            ck_assert_msg(ok == (q <= SIZE_MAX), "add %zu + %zu: ok = %d", vals[i], vals[j], ok);
            if (ok)
                ck_assert(out == (size_t)q);
        }
    /* the products: B x N = 2^56 x 2^8 and M x N x 8 = 2^59 x 4 x 8 */
    size_t out;
    ck_assert(!sym_mul_ok((size_t)72057594037927936ULL, 256, &out));
    ck_assert(sym_mul_ok((size_t)576460752303423488ULL, 4, &out));
    ck_assert(!sym_mul_ok(out, sizeof(double), &out));
}
END_TEST

START_TEST(test_alloc_check)
{
    char err[SYM_ERRLEN] = "";
    size_t b = 0, mem = sym_mem_total();
    ck_assert(mem > ((size_t)1 << 24));
    ck_assert_int_eq(sym_alloc_check(1000, 100, 8, "rows", &b, err), SYM_OK);
    ck_assert_uint_eq(b, 800000);
    ck_assert_int_eq(sym_alloc_check(0, SIZE_MAX, 8, "empty", &b, err), SYM_OK);
    ck_assert_uint_eq(b, 0);
    /* the product wraps: refused, with the need in GB named */
    ck_assert_int_eq(sym_alloc_check((size_t)1 << 56, 256, 1, "B*N samples", NULL, err),
                     SYM_ENOMEM);
    ck_assert_msg(strstr(err, "B*N samples = 72057594037927936 x 256") && strstr(err, "1.84e+10 GB"),
                  "message: %s", err);
    /* it fits size_t but not this machine */
    if (mem < SIZE_MAX / 2) {
        ck_assert_int_eq(sym_alloc_check(mem / 8 + 1, 1, 8, "big", NULL, err), SYM_ENOMEM);
        ck_assert_int_eq(sym_alloc_check(mem / 8, 1, 8, "fits", NULL, err), SYM_OK);
    }
}
END_TEST

Suite *err_suite(void)
{
    Suite *s = suite_create("err");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_error_format);
    tcase_add_test(tc, test_context_chain);
    tcase_add_test(tc, test_truncation);
    tcase_add_test(tc, test_gsl_handler);
    tcase_add_test(tc, test_mul_add_ok);
    tcase_add_test(tc, test_alloc_check);
    suite_add_tcase(s, tc);
    return s;
}
