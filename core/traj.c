/* traj: headers, atomic output files and the table reader (SPEC.md 5).
 *
 * Atomicity: a file is written as ".NAME.tmp.PID.XXXXXX" (mkstemp) in the
 * directory of its final name, so rename() is a same-filesystem atomic
 * replace; readers see either the old file, or the complete new one, never a
 * half.  Every failure path removes the temporary file.
 */
#include "core/traj.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/err.h"

/* ---------------------------------------------------------------- header */

void traj_header_init(traj_header *h)
{
    h->key = h->val = NULL;
    h->n = h->cap = 0;
}

void traj_header_free(traj_header *h)
{
    for (size_t k = 0; k < h->n; k++) {
        free(h->key[k]);
        free(h->val[k]);
    }
    free(h->key);
    free(h->val);
    traj_header_init(h);
}

static char *dup_str(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = 0;
    }
    return d;
}

static char *vformat(const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    int len = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (len < 0)
        return NULL;
    char *s = malloc((size_t)len + 1);
    if (s)
        vsnprintf(s, (size_t)len + 1, fmt, ap);
    return s;
}

/* Room for one more entry. */
static int header_grow(traj_header *h)
{
    if (h->n < h->cap)
        return SYM_OK;
    if (h->cap > SIZE_MAX / 2 / sizeof *h->key)
        return SYM_ENOMEM;
    size_t cap = h->cap ? 2 * h->cap : 16;
    char **nk = realloc(h->key, cap * sizeof *nk);
    if (!nk)
        return SYM_ENOMEM;
    h->key = nk;
    char **nv = realloc(h->val, cap * sizeof *nv);
    if (!nv)
        return SYM_ENOMEM;
    h->val = nv;
    h->cap = cap;
    return SYM_OK;
}

/* Append key (klen bytes) with val, without looking for an earlier entry.
 * Takes ownership of val (freed on failure). */
static int header_append(traj_header *h, const char *key, size_t klen, char *val)
{
    if (!val)
        return SYM_ENOMEM;
    char *kd = NULL;
    if (header_grow(h) || !(kd = dup_str(key, klen))) {
        free(val);
        return SYM_ENOMEM;
    }
    h->key[h->n] = kd;
    h->val[h->n] = val;
    h->n++;
    return SYM_OK;
}

/* Takes ownership of val (freed on failure). */
static int header_put(traj_header *h, const char *key, size_t klen, char *val)
{
    if (!val)
        return SYM_ENOMEM;
    for (size_t k = 0; k < h->n; k++) {
        if (strlen(h->key[k]) == klen && !strncmp(h->key[k], key, klen)) {
            free(h->val[k]);
            h->val[k] = val;
            return SYM_OK;
        }
    }
    return header_append(h, key, klen, val);
}

int traj_header_set(traj_header *h, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *val = vformat(fmt, ap);
    va_end(ap);
    return header_put(h, key, strlen(key), val);
}

const char *traj_header_get(const traj_header *h, const char *key)
{
    for (size_t k = 0; k < h->n; k++)
        if (!strcmp(h->key[k], key))
            return h->val[k];
    return NULL;
}

/* A value with a line break (say, a recorded command line) would end the
 * header line early and the rest would be read as the column line: line
 * breaks are written as spaces. */
static void put_line_safe(FILE *fp, const char *s)
{
    for (; *s; s++)
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, fp);
}

void traj_header_write(const traj_header *h, FILE *fp)
{
    for (size_t k = 0; k < h->n; k++) {
        fputs("# ", fp);
        put_line_safe(fp, h->key[k]);
        fputc('=', fp);
        put_line_safe(fp, h->val[k]);
        fputc('\n', fp);
    }
}

/* ----------------------------------------------------------- directories */

int traj_mkdir(const char *dir, char *err)
{
    if (!dir || !*dir)
        return sym_error(err, SYM_EINVAL, "empty directory name");
    size_t len = strlen(dir);
    char *p = dup_str(dir, len);
    if (!p)
        return sym_error(err, SYM_ENOMEM, "%s: out of memory", dir);
    /* create every prefix ending before a '/', then the whole path */
    for (size_t k = 1; k <= len; k++) {
        if (k < len && p[k] != '/')
            continue;
        if (k < len && p[k - 1] == '/')
            continue;   /* "a//b" */
        char save = p[k];
        p[k] = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            int e = errno;
            sym_error(err, SYM_EIO, "%s: cannot create directory: %s", p, strerror(e));
            free(p);
            return SYM_EIO;
        }
        p[k] = save;
    }
    free(p);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return sym_error(err, SYM_EIO, "%s: exists and is not a directory", dir);
    return SYM_OK;
}

/* ---------------------------------------------------------- atomic files */

static void file_reset(traj_file *f)
{
    f->fp = NULL;
    f->path = f->tmp = NULL;
}

int traj_open(traj_file *f, const char *dir, const char *name, const traj_header *h, char *err)
{
    file_reset(f);
    if (!name || !*name)
        return sym_error(err, SYM_EINVAL, "empty file name");
    /* dir NULL or "" means name is the whole path (symrbm sample --out FILE) */
    int has_dir = dir && *dir;
    size_t plen = (has_dir ? strlen(dir) + 1 : 0) + strlen(name);
    char *path = malloc(plen + 1);
    if (!path)
        return sym_error(err, SYM_ENOMEM, "%s: out of memory", name);
    snprintf(path, plen + 1, "%s%s%s", has_dir ? dir : "", has_dir ? "/" : "", name);
    if (path[plen - 1] == '/') {
        sym_error(err, SYM_EINVAL, "%s: is a directory name, not a file name", path);
        free(path);
        return SYM_EINVAL;
    }
    /* temporary name next to the final one (same directory, same filesystem) */
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = path + dlen;
    size_t tlen = plen + 64;
    char *tmp = malloc(tlen);
    if (!tmp) {
        free(path);
        return sym_error(err, SYM_ENOMEM, "%s: out of memory", name);
    }
    snprintf(tmp, tlen, "%.*s.%s.tmp.%ld.XXXXXX", (int)dlen, path, base, (long)getpid());
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        sym_error(err, SYM_EIO, "%s: cannot create temporary file: %s", path, strerror(e));
        free(tmp);
        free(path);
        return SYM_EIO;
    }
    /* mkstemp makes the file 0600; output files are meant to be shared */
    if (fchmod(fd, 0644) != 0 || !(f->fp = fdopen(fd, "w"))) {
        int e = errno;
        close(fd);
        unlink(tmp);
        sym_error(err, SYM_EIO, "%s: cannot open temporary file: %s", path, strerror(e));
        free(tmp);
        free(path);
        return SYM_EIO;
    }
    f->path = path;
    f->tmp = tmp;
    if (h)
        traj_header_write(h, f->fp);
    return SYM_OK;
}

int traj_finish(traj_file *f, char *err)
{
    if (!f->fp || !f->tmp || !f->path) {
        traj_abort(f);
        return sym_error(err, SYM_EINVAL, "traj_finish: file not open");
    }
    int e = 0;
    const char *what = NULL;
    if (fflush(f->fp) != 0 || ferror(f->fp)) {
        e = errno;
        what = "write failed";
    } else if (fsync(fileno(f->fp)) != 0 && errno != EINVAL) {
        /* data on disk before the rename, so a crash cannot leave an empty
         * file under the final name (EINVAL: no fsync on this file system) */
        e = errno;
        what = "sync failed";
    }
    if (fclose(f->fp) != 0 && !what) {
        e = errno;
        what = "close failed";
    }
    f->fp = NULL;
    if (what) {
        int st = sym_error(err, SYM_EIO, "%s: %s: %s", f->path, what, e ? strerror(e) : "I/O error");
        traj_abort(f);
        return st;
    }
    return SYM_OK;
}

int traj_commit(traj_file *f, char *err)
{
    int st = SYM_OK;
    if (!f->tmp || !f->path || f->fp)
        st = sym_error(err, SYM_EINVAL, "traj_commit: file not finished");
    else if (rename(f->tmp, f->path) != 0)
        st = sym_error(err, SYM_EIO, "%s: cannot rename into place: %s", f->path, strerror(errno));
    if (st)
        traj_abort(f);
    free(f->tmp);
    free(f->path);
    file_reset(f);
    return st;
}

int traj_close(traj_file *f, char *err)
{
    int st = traj_finish(f, err);
    return st ? st : traj_commit(f, err);
}

void traj_abort(traj_file *f)
{
    if (f->fp)
        fclose(f->fp);
    if (f->tmp)
        unlink(f->tmp);
    free(f->tmp);
    free(f->path);
    file_reset(f);
}

/* --------------------------------------------------------------- writing */

void traj_put(FILE *fp, double x)
{
    if (isnan(x))
        fputs("nan", fp);
    else if (isinf(x))
        fputs(x > 0 ? "inf" : "-inf", fp);
    else
        fprintf(fp, "%.17g", x);
}

void traj_obs_columns(FILE *fp)
{
    fputs("t\tmu\tnorm2\tpr\tR\tS\tcenter\tloglik\tkl", fp);
    for (int k = 0; k < OBS_NA; k++)
        fprintf(fp, "\ta%d", k);
    fputs("\tX\n", fp);   /* last, so that readers by position are unchanged */
}

void traj_obs_row(FILE *fp, double t, size_t mu, double loglik, double kl, const obs_values *o)
{
    traj_put(fp, t);
    fprintf(fp, "\t%zu", mu);
    const double v[] = {o->norm2, o->pr, o->R, o->S, o->center, loglik, kl};
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
        fputc('\t', fp);
        traj_put(fp, v[k]);
    }
    for (int k = 0; k < OBS_NA; k++) {
        fputc('\t', fp);
        traj_put(fp, o->a[k]);
    }
    fputc('\t', fp);
    traj_put(fp, o->X);
    fputc('\n', fp);
}

void traj_weights_columns(FILE *fp, size_t N)
{
    fputs("t\tmu", fp);
    for (size_t i = 0; i < N; i++)
        fprintf(fp, "\tw_%zu", i);
    fputc('\n', fp);
}

void traj_weights_row(FILE *fp, double t, size_t mu, const double *w, size_t N)
{
    traj_put(fp, t);
    fprintf(fp, "\t%zu", mu);
    for (size_t i = 0; i < N; i++) {
        fputc('\t', fp);
        traj_put(fp, w[i]);
    }
    fputc('\n', fp);
}

void traj_summary_num(FILE *fp, const char *key, double x)
{
    fprintf(fp, "%s\t", key);
    traj_put(fp, x);
    fputc('\n', fp);
}

void traj_summary_str(FILE *fp, const char *key, const char *s)
{
    fprintf(fp, "%s\t", key);
    put_line_safe(fp, s);
    fputc('\n', fp);
}

/* --------------------------------------------------------------- reading */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* At most QUOTE_MAX bytes of s[0..len) for a message, "..." when cut:
 * control bytes become '?', so file contents cannot break the one-line
 * message (or send escapes to a terminal). */
enum { QUOTE_MAX = 40, QUOTE_BUF = QUOTE_MAX + 4 };
_Static_assert(QUOTE_BUF == TRAJ_QUOTE_BUF, "traj.h states the quote buffer size");
static const char *quote(char *buf, const char *s, size_t len)
{
    size_t n = len < QUOTE_MAX ? len : QUOTE_MAX;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        buf[k] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    if (len > QUOTE_MAX) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = 0;
    return buf;
}

const char *traj_quote(char buf[TRAJ_QUOTE_BUF], const char *s, size_t len)
{
    return quote(buf, s, len);
}

static const char *quote_str(char *buf, const char *s)
{
    return quote(buf, s, strnlen(s, QUOTE_MAX + 1));
}

/* The whole of s is one number that did not overflow (strtod accepts "nan",
 * "inf", "-inf"; an overflow to +-HUGE_VAL is not a number we wrote). */
static int full_number(const char *s, double *x)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end || (errno == ERANGE && isinf(d)))
        return 0;
    *x = d;
    return 1;
}

int traj_header_same(const char *a, const char *b)
{
    if (!a || !b)
        return 0;
    if (!strcmp(a, b))
        return 1;
    double x, y;
    if (full_number(a, &x) && full_number(b, &y))
        return x == y || (isnan(x) && isnan(y));
    return 0;
}

/* The next line of fp into *line, its line break ("\n" or "\r\n") stripped;
 * *got = 0 at the end of the file.  Every line of our files ends with '\n',
 * so a last line without one is a file cut short (an interrupted copy, a
 * full disk): it is an error, not a short row.  A NUL byte would silently
 * end the line for every string function after this one. */
static int next_line(FILE *fp, const char *path, char **line, size_t *cap, size_t *lineno, int *got,
                     char *err)
{
    *got = 0;
    errno = 0;
    ssize_t len = getline(line, cap, fp);
    if (len < 0) {
        if (ferror(fp))
            return sym_error(err, SYM_EIO, "%s:%zu: read error: %s", path, *lineno + 1,
                             strerror(errno ? errno : EIO));
        if (!feof(fp))   /* getline's own allocation failed */
            return sym_error(err, SYM_ENOMEM, "%s:%zu: out of memory for the line", path, *lineno + 1);
        return SYM_OK;
    }
    ++*lineno;
    char *s = *line;
    const char *nul = memchr(s, 0, (size_t)len);
    if (nul)
        return sym_error(err, SYM_EINVAL, "%s:%zu: NUL byte at column %zu (not a text file?)", path,
                         *lineno, (size_t)(nul - s) + 1);
    if (s[len - 1] != '\n')
        return sym_error(err, SYM_EINVAL, "%s:%zu: truncated (no newline at end of file)", path,
                         *lineno);
    s[--len] = 0;
    if (len > 0 && s[len - 1] == '\r')
        s[--len] = 0;
    *got = 1;
    return SYM_OK;
}

/* Header entries as read, with their lines, before repeats are resolved:
 * resolving them once at the end by sorting keeps a file of many keys
 * O(n log n) (a lookup per line would be quadratic). */
typedef struct {
    traj_header *h;
    size_t *line;    /* h->n: the line of entry k */
    size_t cap;
} kv_acc;

static void kv_init(kv_acc *a, traj_header *h)
{
    a->h = h;
    a->line = NULL;
    a->cap = 0;
}

static int kv_add(kv_acc *a, const char *key, size_t klen, const char *val, size_t lineno)
{
    if (a->h->n == a->cap) {
        if (a->cap > SIZE_MAX / 2 / sizeof *a->line)
            return SYM_ENOMEM;
        size_t c = a->cap ? 2 * a->cap : 16;
        size_t *nl = realloc(a->line, c * sizeof *nl);
        if (!nl)
            return SYM_ENOMEM;
        a->line = nl;
        a->cap = c;
    }
    a->line[a->h->n] = lineno;
    return header_append(a->h, key, klen, dup_str(val, strlen(val)));
}

typedef struct {
    const char *key;
    size_t k;
} kv_ref;

static int kv_ref_cmp(const void *pa, const void *pb)
{
    const kv_ref *a = pa, *b = pb;
    int c = strcmp(a->key, b->key);
    return c ? c : (a->k > b->k) - (a->k < b->k);
}

/* Resolve repeats: every repeat of a key must have the first one's value
 * (traj_header_same); the entry stays at its first position with the last
 * value, as traj_header_set's replacement did before.  Frees a's lines. */
static int kv_finish(kv_acc *a, const char *path, char *err)
{
    traj_header *h = a->h;
    size_t n = h->n;
    int st = SYM_OK;
    kv_ref *r = n ? malloc(n * sizeof *r) : NULL;
    unsigned char *drop = n ? calloc(n, 1) : NULL;
    if (n && (!r || !drop)) {
        st = sym_error(err, SYM_ENOMEM, "%s: out of memory for %zu header keys", path, n);
        goto done;
    }
    for (size_t k = 0; k < n; k++)
        r[k] = (kv_ref){h->key[k], k};
    if (n > 1)
        qsort(r, n, sizeof *r, kv_ref_cmp);
    size_t bad = SIZE_MAX, bad_first = 0;   /* the conflict seen first in the file */
    for (size_t g = 0; g < n;) {
        size_t e = g + 1;
        while (e < n && !strcmp(r[e].key, r[g].key))
            e++;
        size_t f = r[g].k, l = r[e - 1].k;
        int same = 1;
        for (size_t q = g + 1; q < e && same; q++) {
            if (!(same = traj_header_same(h->val[f], h->val[r[q].k]))) {
                if (bad == SIZE_MAX || a->line[r[q].k] < a->line[bad]) {
                    bad = r[q].k;
                    bad_first = f;
                }
            }
            drop[r[q].k] = 1;
        }
        if (same && l != f) {
            char *v = h->val[f];
            h->val[f] = h->val[l];
            h->val[l] = v;
        }
        g = e;
    }
    if (bad != SIZE_MAX) {
        char qk[QUOTE_BUF], qv[QUOTE_BUF], qf[QUOTE_BUF];
        st = sym_error(err, SYM_EINVAL, "%s:%zu: %s=%s conflicts with %s=%s on line %zu "
                       "(each key once)", path, a->line[bad], quote_str(qk, h->key[bad]),
                       quote_str(qv, h->val[bad]), qk, quote_str(qf, h->val[bad_first]),
                       a->line[bad_first]);
        goto done;
    }
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        if (drop[k]) {
            free(h->key[k]);
            free(h->val[k]);
            continue;
        }
        h->key[m] = h->key[k];
        h->val[m] = h->val[k];
        m++;
    }
    h->n = m;
done:
    free(r);
    free(drop);
    free(a->line);
    a->line = NULL;
    a->cap = 0;
    return st;
}

/* "# key=value" into a; other comment lines are ignored. */
static int parse_comment(kv_acc *a, const char *line, size_t lineno)
{
    const char *p = line + 1;
    while (is_space(*p))
        p++;
    const char *eq = strchr(p, '=');
    if (!eq || eq == p)
        return SYM_OK;
    size_t klen = (size_t)(eq - p);
    while (klen > 0 && is_space(p[klen - 1]))
        klen--;
    return kv_add(a, p, klen, eq + 1, lineno);
}

/* One number token [s, e); strtod accepts "nan", "inf", "-inf".  Gradual
 * underflow (denormals, which %.17g writes) sets ERANGE but is exact enough
 * to round-trip, so only overflow to +-HUGE_VAL is rejected. */
static int parse_num(const char *s, const char *e, double *x)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end != e || end == s)
        return -1;
    if (errno == ERANGE && isinf(d))
        return -1;
    *x = d;
    return 0;
}

/* Grow *p to hold need elements of size elem (doubling). */
static int grow_buf(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 1024;
    while (c < need) {
        if (c > SIZE_MAX / 2 / elem)
            return -1;
        c *= 2;
    }
    void *np = realloc(*p, c * elem);
    if (!np)
        return -1;
    *p = np;
    *cap = c;
    return 0;
}

static void table_reset(traj_table *t)
{
    traj_header_init(&t->header);
    t->ncol = t->nrow = 0;
    t->col = NULL;
    t->x = NULL;
    t->line = NULL;
}

void traj_table_free(traj_table *t)
{
    traj_header_free(&t->header);
    for (size_t k = 0; k < t->ncol; k++)
        free(t->col[k]);
    free(t->col);
    free(t->x);
    free(t->line);
    table_reset(t);
}

int traj_table_col(const traj_table *t, const char *name)
{
    for (size_t k = 0; k < t->ncol; k++)
        if (!strcmp(t->col[k], name))
            return k > (size_t)INT_MAX ? -1 : (int)k;
    return -1;
}

static const char *num_spelling(double x)
{
    return isnan(x) ? "nan" : x > 0 ? "inf" : "-inf";
}

int traj_table_require_finite(const traj_table *t, const char *const *cols, size_t n,
                              const char *path, char *err)
{
    size_t nc = cols ? n : t->ncol, bad_r = SIZE_MAX, bad_c = 0;
    /* column by column, keeping the first offending row in file order */
    for (size_t j = 0; j < nc; j++) {
        size_t c = j;
        if (cols) {
            int ci = traj_table_col(t, cols[j]);
            char q[QUOTE_BUF];
            if (ci < 0)
                return sym_error(err, SYM_EINVAL, "%s: no column %s", path, quote_str(q, cols[j]));
            c = (size_t)ci;
        }
        for (size_t r = 0; r < t->nrow && r < bad_r; r++)
            if (!isfinite(t->x[r * t->ncol + c])) {
                bad_r = r;
                bad_c = c;
                break;
            }
    }
    if (bad_r == SIZE_MAX)
        return SYM_OK;
    size_t line = t->line ? t->line[bad_r] : 0;
    char q[QUOTE_BUF];
    return sym_error(err, SYM_EINVAL, "%s:%zu: %s = %s: need a finite number", path, line,
                     quote_str(q, t->col[bad_c]), num_spelling(t->x[bad_r * t->ncol + bad_c]));
}

static int split_columns(traj_table *t, const char *line)
{
    size_t cap = 0;
    const char *p = line;
    for (;;) {
        while (is_space(*p))
            p++;
        if (!*p)
            return SYM_OK;
        const char *e = p;
        while (*e && !is_space(*e))
            e++;
        if (grow_buf((void **)&t->col, &cap, t->ncol + 1, sizeof *t->col))
            return SYM_ENOMEM;
        if (!(t->col[t->ncol] = dup_str(p, (size_t)(e - p))))
            return SYM_ENOMEM;
        t->ncol++;
        p = e;
    }
}

int traj_read(const char *path, traj_table *t, char *err)
{
    table_reset(t);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return sym_error(err, SYM_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t lcap = 0, lineno = 0, xcap = 0, rcap = 0;
    int st = SYM_OK, have_cols = 0, got;
    kv_acc kv;
    kv_init(&kv, &t->header);
    while (!(st = next_line(fp, path, &line, &lcap, &lineno, &got, err)) && got) {
        const char *p = line;
        while (is_space(*p))
            p++;
        if (!*p)
            continue;
        if (*p == '#') {
            if ((st = parse_comment(&kv, p, lineno)))
                break;
            continue;
        }
        if (!have_cols) {
            if ((st = split_columns(t, p)))
                break;
            have_cols = 1;
            continue;
        }
        if (t->nrow > SIZE_MAX / t->ncol - 1 ||
            grow_buf((void **)&t->x, &xcap, (t->nrow + 1) * t->ncol, sizeof *t->x) ||
            grow_buf((void **)&t->line, &rcap, t->nrow + 1, sizeof *t->line)) {
            st = SYM_ENOMEM;
            break;
        }
        double *row = t->x + t->nrow * t->ncol;
        size_t nf = 0;
        while (*p) {
            const char *e = p;
            while (*e && !is_space(*e))
                e++;
            if (nf < t->ncol && parse_num(p, e, &row[nf])) {
                char q[QUOTE_BUF];
                st = sym_error(err, SYM_EINVAL, "%s:%zu: field %zu ('%s'): not a number", path,
                               lineno, nf + 1, quote(q, p, (size_t)(e - p)));
                break;
            }
            nf++;
            p = e;
            while (is_space(*p))
                p++;
        }
        if (st)
            break;
        if (nf != t->ncol) {
            st = sym_error(err, SYM_EINVAL, "%s:%zu: expected %zu fields, found %zu",
                           path, lineno, t->ncol, nf);
            break;
        }
        t->line[t->nrow] = lineno;
        t->nrow++;
    }
    if (!st && !have_cols && lineno == 0)
        st = sym_error(err, SYM_EINVAL, "%s: empty file (no column line)", path);
    else if (!st && !have_cols)
        st = sym_error(err, SYM_EINVAL, "%s:%zu: end of file before the column line "
                       "(truncated file?)", path, lineno);
    if (!st)
        st = kv_finish(&kv, path, err);
    if (st == SYM_ENOMEM)
        sym_error(err, SYM_ENOMEM, "%s:%zu: out of memory", path, lineno);
    free(kv.line);
    free(line);
    fclose(fp);
    if (st)
        traj_table_free(t);
    return st;
}

int traj_read_summary(const char *path, traj_header *kv, char *err)
{
    traj_header_init(kv);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return sym_error(err, SYM_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t lcap = 0, lineno = 0;
    int st = SYM_OK, got;
    kv_acc acc;
    kv_init(&acc, kv);
    while (!(st = next_line(fp, path, &line, &lcap, &lineno, &got, err)) && got) {
        const char *p = line;
        while (is_space(*p))
            p++;
        if (!*p)
            continue;
        if (*p == '#') {
            if ((st = parse_comment(&acc, p, lineno)))
                break;
            continue;
        }
        /* key<TAB>value; a value may contain spaces, so split at the first
         * tab, or at the first blank run when there is no tab */
        const char *sep = strchr(p, '\t');
        if (!sep) {
            sep = p;
            while (*sep && !is_space(*sep))
                sep++;
        }
        if (!*sep) {
            st = sym_error(err, SYM_EINVAL, "%s:%zu: expected key<TAB>value", path, lineno);
            break;
        }
        const char *v = sep;
        while (is_space(*v))
            v++;
        size_t klen = (size_t)(sep - p);
        while (klen > 0 && is_space(p[klen - 1]))
            klen--;
        if ((st = kv_add(&acc, p, klen, v, lineno)))
            break;
    }
    if (!st)
        st = kv_finish(&acc, path, err);
    if (st == SYM_ENOMEM)
        sym_error(err, SYM_ENOMEM, "%s:%zu: out of memory", path, lineno);
    free(acc.line);
    free(line);
    fclose(fp);
    if (st)
        traj_header_free(kv);
    return st;
}

int traj_summary_get_finite(const traj_header *kv, const char *key, const char *path, double *x,
                            char *err)
{
    const char *s = traj_header_get(kv, key);
    char *end, qk[QUOTE_BUF], q[QUOTE_BUF];
    if (!s)
        return sym_error(err, SYM_EINVAL, "%s: no key %s", path, quote_str(qk, key));
    double d = strtod(s, &end);
    if (end == s || *end)
        return sym_error(err, SYM_EINVAL, "%s: %s=%s is not a number", path, quote_str(qk, key),
                         quote_str(q, s));
    if (!isfinite(d))   /* nan, inf, or an overflow to HUGE_VAL */
        return sym_error(err, SYM_EINVAL, "%s: %s=%s: need a finite number", path,
                         quote_str(qk, key), quote_str(q, s));
    *x = d;
    return SYM_OK;
}

void traj_potts_columns(FILE *fp)
{
    fputs("t\tmu\tnorm2\tpr\tR\tS\tcenter\tS_ang\tphase\tloglik\tkl", fp);
    for (int k = 0; k < OBS_NA; k++)
        fprintf(fp, "\ta%d", k);
    fputs("\tX\n", fp);
}

void traj_potts_row(FILE *fp, double t, size_t mu, double loglik, double kl,
                    const obs_potts_values *o)
{
    traj_put(fp, t);
    fprintf(fp, "\t%zu", mu);
    const double v[] = {o->norm2, o->pr, o->R, o->S, o->center, o->S_ang, o->phase, loglik, kl};
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
        fputc('\t', fp);
        traj_put(fp, v[k]);
    }
    for (int k = 0; k < OBS_NA; k++) {
        fputc('\t', fp);
        traj_put(fp, o->a[k]);
    }
    fputc('\t', fp);
    traj_put(fp, o->X);
    fputc('\n', fp);
}
