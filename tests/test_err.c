/* Suite err: sym_error / sym_context formatting, return codes, truncation at
 * SYM_ERRLEN (core/err.h). */
#include <string.h>

#include "core/err.h"
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

Suite *err_suite(void)
{
    Suite *s = suite_create("err");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_error_format);
    tcase_add_test(tc, test_context_chain);
    tcase_add_test(tc, test_truncation);
    suite_add_tcase(s, tc);
    return s;
}
