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
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 16;
        char **nk = realloc(h->key, cap * sizeof *nk);
        if (!nk) {
            free(val);
            return SYM_ENOMEM;
        }
        h->key = nk;
        char **nv = realloc(h->val, cap * sizeof *nv);
        if (!nv) {
            free(val);
            return SYM_ENOMEM;
        }
        h->val = nv;
        h->cap = cap;
    }
    char *kd = dup_str(key, klen);
    if (!kd) {
        free(val);
        return SYM_ENOMEM;
    }
    h->key[h->n] = kd;
    h->val[h->n] = val;
    h->n++;
    return SYM_OK;
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
    fputc('\n', fp);
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

/* Strip the line break ("\n" or "\r\n") in place; other trailing blanks stay,
 * since a summary value may legitimately be empty ("key\t"). */
static void chomp(char *s, ssize_t *len)
{
    while (*len > 0 && (s[*len - 1] == '\n' || s[*len - 1] == '\r'))
        s[--*len] = 0;
}

/* "# key=value" into h; other comment lines are ignored. */
static int parse_comment(traj_header *h, const char *line)
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
    const char *v = eq + 1;
    return header_put(h, p, klen, dup_str(v, strlen(v)));
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

static int grow_rows(double **x, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 1024;
    while (c < need) {
        if (c > SIZE_MAX / 2 / sizeof(double))
            return -1;
        c *= 2;
    }
    double *nx = realloc(*x, c * sizeof(double));
    if (!nx)
        return -1;
    *x = nx;
    *cap = c;
    return 0;
}

static void table_reset(traj_table *t)
{
    traj_header_init(&t->header);
    t->ncol = t->nrow = 0;
    t->col = NULL;
    t->x = NULL;
}

void traj_table_free(traj_table *t)
{
    traj_header_free(&t->header);
    for (size_t k = 0; k < t->ncol; k++)
        free(t->col[k]);
    free(t->col);
    free(t->x);
    table_reset(t);
}

int traj_table_col(const traj_table *t, const char *name)
{
    for (size_t k = 0; k < t->ncol; k++)
        if (!strcmp(t->col[k], name))
            return k > (size_t)INT_MAX ? -1 : (int)k;
    return -1;
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
        if (t->ncol == cap) {
            size_t c = cap ? 2 * cap : 32;
            char **nc = realloc(t->col, c * sizeof *nc);
            if (!nc)
                return SYM_ENOMEM;
            t->col = nc;
            cap = c;
        }
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
    size_t lcap = 0, lineno = 0, xcap = 0;
    ssize_t len;
    int st = SYM_OK, have_cols = 0;
    while ((len = getline(&line, &lcap, fp)) >= 0) {
        lineno++;
        chomp(line, &len);
        const char *p = line;
        while (is_space(*p))
            p++;
        if (!*p)
            continue;
        if (*p == '#') {
            if ((st = parse_comment(&t->header, p)))
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
            grow_rows(&t->x, &xcap, (t->nrow + 1) * t->ncol)) {
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
                st = sym_error(err, SYM_EINVAL, "%s:%zu: field %zu ('%.*s'): not a number",
                               path, lineno, nf + 1, (int)(e - p > 40 ? 40 : e - p), p);
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
        t->nrow++;
    }
    if (!st && ferror(fp))
        st = sym_error(err, SYM_EIO, "%s:%zu: read error: %s", path, lineno + 1, strerror(errno));
    if (!st && !have_cols && lineno == 0)
        st = sym_error(err, SYM_EINVAL, "%s: empty file (no column line)", path);
    else if (!st && !have_cols)
        st = sym_error(err, SYM_EINVAL, "%s:%zu: end of file before the column line "
                       "(truncated file?)", path, lineno);
    if (st == SYM_ENOMEM)
        sym_error(err, SYM_ENOMEM, "%s:%zu: out of memory", path, lineno);
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
    ssize_t len;
    int st = SYM_OK;
    while ((len = getline(&line, &lcap, fp)) >= 0) {
        lineno++;
        chomp(line, &len);
        const char *p = line;
        while (is_space(*p))
            p++;
        if (!*p)
            continue;
        if (*p == '#') {
            if ((st = parse_comment(kv, p)))
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
        if ((st = header_put(kv, p, klen, dup_str(v, strlen(v)))))
            break;
    }
    if (!st && ferror(fp))
        st = sym_error(err, SYM_EIO, "%s:%zu: read error: %s", path, lineno + 1, strerror(errno));
    if (st == SYM_ENOMEM)
        sym_error(err, SYM_ENOMEM, "%s:%zu: out of memory", path, lineno);
    free(line);
    fclose(fp);
    if (st)
        traj_header_free(kv);
    return st;
}
