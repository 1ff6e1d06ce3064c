/* libFuzzer target: traj_read, the table reader of trajectory.tsv and
 * weights.tsv (SPEC.md 5; core/traj.h).
 *
 * Any input must give either an error obeying the error contract with an
 * empty table, or a table that keeps the reader's promises (every row
 * complete, header keys once, row lines increasing) and that survives a
 * round trip through the writers bit for bit. */
#define _GNU_SOURCE
#include "fuzz/fuzz_util.h"

#include <math.h>

#include "core/traj.h"

static int same_num(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return !memcmp(&a, &b, sizeof a);
}

static int has_cr(const traj_header *h)
{
    for (size_t k = 0; k < h->n; k++)
        if (strchr(h->key[k], '\r') || strchr(h->val[k], '\r'))
            return 1;
    return 0;
}

static void check_header(const traj_header *h)
{
    for (size_t k = 0; k < h->n; k++) {
        FUZZ_CHECK(h->key[k] && h->val[k], "entry %zu is NULL", k);
        FUZZ_CHECK(h->key[k][0], "empty key at %zu", k);
        FUZZ_CHECK(!strchr(h->key[k], '\n') && !strchr(h->val[k], '\n'), "line break in entry %zu", k);
        /* each key once (small inputs: the quadratic check is cheap) */
        for (size_t q = 0; q < k; q++)
            FUZZ_CHECK(strcmp(h->key[q], h->key[k]), "key %s twice", h->key[k]);
        FUZZ_CHECK(traj_header_get(h, h->key[k]) == h->val[k], "lookup of %s", h->key[k]);
    }
}

static void check_table(const traj_table *t, const char *path)
{
    FUZZ_CHECK(t->ncol >= 1 && t->col, "no columns");
    FUZZ_CHECK(t->nrow == 0 || (t->x && t->line), "rows without storage");
    for (size_t c = 0; c < t->ncol; c++) {
        const char *s = t->col[c];
        FUZZ_CHECK(*s && !strpbrk(s, " \t\r\n\v\f"), "column %zu '%s'", c, s);
        int k = traj_table_col(t, s);
        FUZZ_CHECK(k >= 0 && (size_t)k <= c && !strcmp(t->col[k], s), "traj_table_col(%s)", s);
    }
    for (size_t r = 0; r < t->nrow; r++)
        FUZZ_CHECK(t->line[r] >= 2 && (r == 0 || t->line[r] > t->line[r - 1]), "row lines");
    check_header(&t->header);
    /* the finite check against a direct scan */
    int all = 1;
    for (size_t q = 0; q < t->nrow * t->ncol; q++)
        all = all && isfinite(t->x[q]);
    char err[SYM_ERRLEN] = "";
    int st = traj_table_require_finite(t, NULL, 0, path, err);
    FUZZ_CHECK((st == SYM_OK) == all, "require_finite says %d, scan says %d", st, all);
    if (st)
        fuzz_check_error(st, err);
    const char *first = t->col[0];
    int col0 = 1;
    for (size_t r = 0; r < t->nrow; r++)
        col0 = col0 && isfinite(t->x[r * t->ncol]);
    st = traj_table_require_finite(t, &first, 1, path, err);
    FUZZ_CHECK((st == SYM_OK) == col0, "require_finite(%s)", first);
}

/* Write t with the library's writers and read it back: the same table. */
static void round_trip(const traj_table *t)
{
    if (has_cr(&t->header))   /* the writer turns '\r' into ' ' on purpose */
        return;
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    FUZZ_CHECK(fp != NULL, "open_memstream");
    traj_header_write(&t->header, fp);
    for (size_t c = 0; c < t->ncol; c++)
        fprintf(fp, c ? "\t%s" : "%s", t->col[c]);
    fputc('\n', fp);
    for (size_t r = 0; r < t->nrow; r++) {
        for (size_t c = 0; c < t->ncol; c++) {
            if (c)
                fputc('\t', fp);
            traj_put(fp, t->x[r * t->ncol + c]);
        }
        fputc('\n', fp);
    }
    FUZZ_CHECK(fclose(fp) == 0, "fclose");
    const char *path = fuzz_memfile(1, buf, len);
    free(buf);
    traj_table u;
    char err[SYM_ERRLEN] = "";
    int st = traj_read(path, &u, err);
    FUZZ_CHECK(st == SYM_OK, "rewritten table not readable: %s", err);
    FUZZ_CHECK(u.ncol == t->ncol && u.nrow == t->nrow, "shape %zux%zu -> %zux%zu", t->nrow, t->ncol,
               u.nrow, u.ncol);
    for (size_t c = 0; c < t->ncol; c++)
        FUZZ_CHECK(!strcmp(u.col[c], t->col[c]), "column %zu", c);
    for (size_t q = 0; q < t->nrow * t->ncol; q++)
        FUZZ_CHECK(same_num(u.x[q], t->x[q]), "value %zu: %.17g -> %.17g", q, t->x[q], u.x[q]);
    FUZZ_CHECK(u.header.n == t->header.n, "header %zu -> %zu keys", t->header.n, u.header.n);
    for (size_t k = 0; k < t->header.n; k++)
        FUZZ_CHECK(!strcmp(u.header.key[k], t->header.key[k]) &&
                       !strcmp(u.header.val[k], t->header.val[k]),
                   "header entry %zu", k);
    traj_table_free(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_memfile(0, data, size);
    traj_table t;
    char err[SYM_ERRLEN] = "";
    int st = traj_read(path, &t, err);
    if (st) {
        fuzz_check_error(st, err);
        FUZZ_CHECK(t.ncol == 0 && t.nrow == 0 && !t.x && !t.col && !t.line && t.header.n == 0,
                   "failed read left a table behind");
    } else {
        check_table(&t, path);
        round_trip(&t);
    }
    traj_table_free(&t);
    return 0;
}
