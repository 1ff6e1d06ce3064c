/* libFuzzer target: traj_read_summary and traj_summary_get_finite, the
 * readers of summary.tsv and of threshold's stored task results (SPEC.md 5,
 * 10; core/traj.h).
 *
 * Any input must give an error obeying the error contract with nothing
 * left in kv, or keys once each that read back the same after a rewrite;
 * the finite getter must agree with a direct strtod. */
#define _GNU_SOURCE
#include "fuzz/fuzz_util.h"

#include <errno.h>
#include <math.h>

#include "core/traj.h"

static void check_kv(const traj_header *h)
{
    for (size_t k = 0; k < h->n; k++) {
        FUZZ_CHECK(h->key[k] && h->val[k] && h->key[k][0], "entry %zu", k);
        FUZZ_CHECK(!strchr(h->key[k], '\n') && !strchr(h->val[k], '\n'), "line break in entry %zu", k);
        for (size_t q = 0; q < k; q++)
            FUZZ_CHECK(strcmp(h->key[q], h->key[k]), "key %s twice", h->key[k]);
    }
}

/* The getter against strtod: finite numbers only, the whole value. */
static void check_getter(const traj_header *h, const char *path)
{
    for (size_t k = 0; k < h->n; k++) {
        char err[SYM_ERRLEN] = "", *end;
        double x = 12345, want = strtod(h->val[k], &end);
        int ok = end != h->val[k] && !*end && isfinite(want);
        int st = traj_summary_get_finite(h, h->key[k], path, &x, err);
        FUZZ_CHECK((st == SYM_OK) == ok, "get_finite(%s=%s): %d", h->key[k], h->val[k], st);
        if (st) {
            fuzz_check_error(st, err);
            FUZZ_CHECK(x == 12345, "value written on failure");
        } else {
            FUZZ_CHECK(!memcmp(&x, &want, sizeof x), "get_finite(%s) = %.17g, want %.17g", h->key[k],
                       x, want);
        }
    }
    char err[SYM_ERRLEN] = "";
    double x;
    if (!traj_header_get(h, "no such key"))
        FUZZ_CHECK(traj_summary_get_finite(h, "no such key", path, &x, err) == SYM_EINVAL, "missing key");
}

/* Rewrite: a key holding '=' can only have come from a row (key<TAB>value),
 * every other one goes back as a "# key=value" header line. */
static void round_trip(const traj_header *h)
{
    for (size_t k = 0; k < h->n; k++)
        if (strchr(h->key[k], '\r') || strchr(h->val[k], '\r'))
            return;   /* written as ' ' on purpose */
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    FUZZ_CHECK(fp != NULL, "open_memstream");
    for (size_t k = 0; k < h->n; k++) {
        if (strchr(h->key[k], '='))
            traj_summary_str(fp, h->key[k], h->val[k]);
        else
            fprintf(fp, "# %s=%s\n", h->key[k], h->val[k]);
    }
    FUZZ_CHECK(fclose(fp) == 0, "fclose");
    const char *path = fuzz_memfile(1, buf, len);
    free(buf);
    traj_header u;
    char err[SYM_ERRLEN] = "";
    int st = traj_read_summary(path, &u, err);
    FUZZ_CHECK(st == SYM_OK, "rewritten summary not readable: %s", err);
    FUZZ_CHECK(u.n == h->n, "%zu -> %zu keys", h->n, u.n);
    for (size_t k = 0; k < h->n; k++)
        FUZZ_CHECK(!strcmp(u.key[k], h->key[k]) && !strcmp(u.val[k], h->val[k]),
                   "entry %zu: %s=%s -> %s=%s", k, h->key[k], h->val[k], u.key[k], u.val[k]);
    traj_header_free(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_memfile(0, data, size);
    traj_header kv;
    char err[SYM_ERRLEN] = "";
    int st = traj_read_summary(path, &kv, err);
    if (st) {
        fuzz_check_error(st, err);
        FUZZ_CHECK(kv.n == 0 && !kv.key && !kv.val, "failed read left entries behind");
    } else {
        check_kv(&kv);
        check_getter(&kv, path);
        round_trip(&kv);
    }
    traj_header_free(&kv);
    return 0;
}
