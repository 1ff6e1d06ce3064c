/* samples: the sample-file formats of SPEC.md 5, writer and reader (see
 * core/samples.h and README.md, section "symrbm sample"). */
#include "core/samples.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "core/err.h"

/* ---------------------------------------------------------------- sizes */

size_t samples_state_bits(size_t P)
{
    size_t q = 1;
    while (P > ((size_t)1 << q))
        q++;
    return q;
}

/* Characters of one state in text, without its separator: "+1"/"-1" for
 * spins, the digits of P-1 for Potts (states right-aligned to that width,
 * so that every row has the same length). */
static size_t text_width(size_t P)
{
    size_t w = 1;
    for (size_t x = P ? P - 1 : 0; x >= 10; x /= 10)
        w++;
    return P ? w : 2;
}

/* Bytes of one binary row: N states of samples_state_bits(P) bits each
 * (1 for spins), packed from the least significant bit, padded to a byte. */
static int bin_row_bytes(size_t N, size_t P, uint64_t *rb)
{
    uint64_t bits;
    if (__builtin_mul_overflow((uint64_t)N, (uint64_t)samples_state_bits(P), &bits))
        return -1;
    *rb = bits / 8 + (bits % 8 != 0);
    return 0;
}

int samples_body_bytes(samples_format f, size_t N, size_t B, size_t P, uint64_t *bytes)
{
    /* text: every state is text_width(P) characters plus one separator (a
     * space, or the newline after the last); binary: bin_row_bytes */
    uint64_t row;
    if (f == SAMPLES_BIN) {
        if (bin_row_bytes(N, P, &row))
            return -1;
    } else if (__builtin_mul_overflow((uint64_t)N, (uint64_t)text_width(P) + 1, &row)) {
        return -1;
    }
    return __builtin_mul_overflow(row, (uint64_t)B, bytes) ? -1 : 0;
}

/* "300 PB", "51.2 GB": decimal units, three significant digits. */
static void human(uint64_t x, char *buf, size_t len)
{
    static const char *const unit[] = {"bytes", "kB", "MB", "GB", "TB", "PB", "EB"};
    double v = (double)x;
    size_t u = 0;
    while (v >= 999.5 && u + 1 < sizeof unit / sizeof unit[0]) {
        v /= 1000;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%llu bytes", (unsigned long long)x);
    else
        snprintf(buf, len, v >= 99.95 ? "%.0f %s" : v >= 9.995 ? "%.1f %s" : "%.2f %s", v, unit[u]);
}

/* Free bytes for an unprivileged writer on the file system that will hold
 * path: statvfs of its directory, or of the nearest existing ancestor when
 * directories are still to be created.  0 when it cannot be found out (the
 * check is then skipped: opening the file will report the problem). */
static int free_bytes(const char *path, uint64_t *out)
{
    size_t len = strlen(path);
    char *dir = malloc(len + 2);
    if (!dir)
        return -1;
    memcpy(dir, path, len + 1);
    int ok = -1;
    for (;;) {
        char *slash = strrchr(dir, '/');
        if (!slash) {
            strcpy(dir, ".");
        } else if (slash == dir) {
            dir[1] = 0;
        } else {
            *slash = 0;
        }
        struct statvfs sv;
        if (statvfs(dir, &sv) == 0) {
            uint64_t b;
            if (__builtin_mul_overflow((uint64_t)sv.f_bavail, (uint64_t)sv.f_frsize, &b))
                b = UINT64_MAX;
            *out = b;
            ok = 0;
            break;
        }
        if (errno != ENOENT || !strcmp(dir, ".") || !strcmp(dir, "/"))
            break;
    }
    free(dir);
    return ok;
}

/* -------------------------------------------------------------- writing */

int samples_header_write(FILE *fp, samples_format f, const traj_header *h, char *err)
{
    if (f == SAMPLES_BIN) {
        fputs(SAMPLES_MAGIC, fp);
        for (size_t k = 0; h && k < h->n; k++) {
            fprintf(fp, "%s=", h->key[k]);
            /* line breaks in values become spaces, as in text headers */
            for (const char *c = h->val[k]; *c; c++)
                fputc(*c == '\n' || *c == '\r' ? ' ' : *c, fp);
            fputc('\n', fp);
        }
        fputs("end\n", fp);
    } else if (h) {
        traj_header_write(h, fp);
    }
    if (ferror(fp))
        return sym_error(err, SYM_EIO, "samples_header_write: write failed: %s", strerror(errno));
    return SYM_OK;
}

int samples_write_rows(FILE *fp, samples_format f, const int8_t *v, size_t N, size_t B, size_t P, char *err)
{
    int bin = f == SAMPLES_BIN;
    uint64_t len64;
    if (samples_body_bytes(f, N, 1, P, &len64) || len64 > SIZE_MAX)
        return sym_error(err, SYM_EINVAL, "samples_write_rows: N = %zu: a row does not fit in memory", N);
    size_t len = (size_t)len64, q = samples_state_bits(P), w = text_width(P);
    unsigned char *buf = malloc(len + 1);   /* + the terminator of snprintf */
    if (!buf)
        return sym_error(err, SYM_ENOMEM, "samples_write_rows: out of memory for N = %zu", N);
    for (size_t b = 0; b < B; b++) {
        const int8_t *row = v + b * N;
        if (bin) {
            memset(buf, 0, len);
            for (size_t i = 0; i < N; i++) {
                unsigned x = P ? (unsigned)row[i] : row[i] > 0;
                for (size_t j = 0; j < q; j++)
                    if ((x >> j) & 1u)
                        buf[(i * q + j) / 8] |= (unsigned char)(1u << ((i * q + j) % 8));
            }
        } else if (!P) {
            for (size_t i = 0; i < N; i++) {
                buf[3 * i] = row[i] > 0 ? '+' : '-';
                buf[3 * i + 1] = '1';
                buf[3 * i + 2] = i + 1 < N ? ' ' : '\n';
            }
        } else {
            for (size_t i = 0; i < N; i++) {
                snprintf((char *)buf + (w + 1) * i, w + 2, "%*d", (int)w, (int)row[i]);
                buf[(w + 1) * i + w] = i + 1 < N ? ' ' : '\n';
            }
        }
        if (fwrite(buf, 1, len, fp) != len) {
            free(buf);
            return sym_error(err, SYM_EIO, "samples_write_rows: write failed at row %zu: %s", b, strerror(errno));
        }
    }
    free(buf);
    return SYM_OK;
}

/* A positive integer header value; 0 on failure. */
static size_t parse_count(const char *s)
{
    char *end;
    if (!*s || *s == '-' || *s == '+' || *s == ' ')
        return 0;
    errno = 0;
    unsigned long long u = strtoull(s, &end, 10);
    if (errno || *end || u > SIZE_MAX)
        return 0;
    return (size_t)u;
}

/* h's value of key, when present, must be want. */
static int header_agrees(const traj_header *h, const char *key, size_t want, const char *path, char *err)
{
    const char *s = h ? traj_header_get(h, key) : NULL;
    if (s && parse_count(s) != want)
        return sym_error(err, SYM_EINVAL, "%s: header %s=%s, but %s = %zu rows are written", path, key, s,
                         key, want);
    return SYM_OK;
}

int samples_write(const char *path, const traj_header *h, const ring_model *m, gsl_rng *r, size_t B,
                  const samples_wopts *o, char *err)
{
    size_t N = m->N;
    if (B < 1)
        return sym_error(err, SYM_EINVAL, "%s: B = %zu: need B >= 1", path, B);
    int st;
    if ((st = header_agrees(h, "N", N, path, err)) || (st = header_agrees(h, "B", B, path, err)))
        return st;
    /* the reader tells Potts files by their states key: it must say P */
    const char *hs = h ? traj_header_get(h, "states") : NULL;
    if (m->P && (!hs || parse_count(hs) != m->P))
        return sym_error(err, SYM_EINVAL, "%s: Potts samples (P = %zu) need states=%zu in the header", path, m->P,
                         m->P);
    if (!m->P && hs)
        return sym_error(err, SYM_EINVAL, "%s: header states=%s, but the model has +-1 visible units", path, hs);
    if (o->format == SAMPLES_BIN && (!h || !traj_header_get(h, "N") || !traj_header_get(h, "B")))
        return sym_error(err, SYM_EINVAL, "%s: a binary sample file needs N and B in its header", path);

    /* the header as bytes first: its exact length enters the size check */
    char *hbuf = NULL;
    size_t hlen = 0;
    FILE *mf = open_memstream(&hbuf, &hlen);
    if (!mf)
        return sym_error(err, SYM_ENOMEM, "%s: out of memory for the header", path);
    st = samples_header_write(mf, o->format, h, err);
    if (fclose(mf) && !st)
        st = sym_error(err, SYM_ENOMEM, "%s: out of memory for the header", path);
    if (st) {
        free(hbuf);
        return st;
    }

    uint64_t body = 0, total = 0, avail = 0;
    char need[32] = "more than 18 EB", have[32];
    int over = samples_body_bytes(o->format, N, B, m->P, &body) || __builtin_add_overflow(body, (uint64_t)hlen, &total);
    if (!over)
        human(total, need, sizeof need);
    if (free_bytes(path, &avail) == 0 && (over || total > avail)) {
        human(avail, have, sizeof have);
        free(hbuf);
        return sym_error(err, SYM_EIO, "%s: B = %g rows of N = %zu: the file would take %s, %s free", path,
                         (double)B, N, need, have);
    }
    if (over) {
        free(hbuf);
        return sym_error(err, SYM_EINVAL, "%s: B = %g rows of N = %zu: the file would take %s", path,
                         (double)B, N, need);
    }

    size_t chunk = o->chunk ? o->chunk : SAMPLES_CHUNK_BYTES / N;
    if (chunk < 1)
        chunk = 1;
    if (chunk > B)
        chunk = B;
    /* chunk * N <= max(SAMPLES_CHUNK_BYTES, N) by default; a caller's
     * chunk is checked */
    int8_t *v = chunk <= SIZE_MAX / N ? malloc(chunk * N) : NULL;
    if (!v) {
        free(hbuf);
        return sym_error(err, SYM_ENOMEM, "%s: out of memory for %zu rows of N = %zu", path, chunk, N);
    }

    /* the parent directories, then the temporary file beside the final name */
    const char *slash = strrchr(path, '/');
    if (slash && slash != path) {
        size_t dl = (size_t)(slash - path);
        char *dir = malloc(dl + 1);
        if (!dir) {
            st = sym_error(err, SYM_ENOMEM, "%s: out of memory", path);
        } else {
            memcpy(dir, path, dl);
            dir[dl] = 0;
            st = traj_mkdir(dir, err);
            free(dir);
        }
        if (st) {
            free(v);
            free(hbuf);
            return st;
        }
    }
    traj_file f = {0};
    if ((st = traj_open(&f, NULL, path, NULL, err))) {
        free(v);
        free(hbuf);
        return st;
    }
    if (fwrite(hbuf, 1, hlen, f.fp) != hlen)
        st = sym_error(err, SYM_EIO, "%s: write failed in the header: %s", path, strerror(errno));
    for (size_t rows = 0; rows < B && !st;) {
        size_t n = B - rows < chunk ? B - rows : chunk;
        if ((st = ring_sample(m, r, n, v, err)))
            break;
        if ((st = samples_write_rows(f.fp, o->format, v, N, n, m->P, err))) {
            sym_context(err, st, path);
            break;
        }
        rows += n;
        if (o->progress)
            o->progress(o->ctx, rows, B);
    }
    free(v);
    free(hbuf);
    if (st) {
        traj_abort(&f);
        return st;
    }
    return traj_close(&f, err);
}

/* -------------------------------------------------------------- reading */

/* Grow *v to hold at least need bytes (doubling). */
static int grow(int8_t **v, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 4096;
    while (c < need) {
        if (c > SIZE_MAX / 2)
            return -1;
        c *= 2;
    }
    int8_t *nv = realloc(*v, c);
    if (!nv)
        return -1;
    *v = nv;
    *cap = c;
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* A count N or B declared in a header (text or binary). */
typedef struct {
    size_t val, line;   /* val 0: not given */
} hdr_count;

/* Record key=value (value as in the file) when key is N, B or states
 * (other keys are ignored); SYM_OK or SYM_EINVAL. */
static int hdr_take(hdr_count *hn, hdr_count *hb, hdr_count *hs, const char *key, size_t klen, const char *value,
                    const char *path, size_t lineno, char *err)
{
    char q[TRAJ_QUOTE_BUF];
    if (klen == 6 && !memcmp(key, "states", 6)) {
        size_t x = parse_count(value);
        if (x < 2 || x > RING_POTTS_MAX)
            return sym_error(err, SYM_EINVAL, "%s line %zu: states=%s: need an integer 2 <= states <= %d", path,
                             lineno, traj_quote(q, value, strlen(value)), RING_POTTS_MAX);
        if (hs->val && hs->val != x)
            return sym_error(err, SYM_EINVAL, "%s line %zu: states=%zu contradicts states=%zu of line %zu", path,
                             lineno, x, hs->val, hs->line);
        hs->val = x;
        hs->line = lineno;
        return SYM_OK;
    }
    if (klen != 1 || (key[0] != 'N' && key[0] != 'B'))
        return SYM_OK;
    hdr_count *h = key[0] == 'N' ? hn : hb;
    size_t x = parse_count(value);
    if (x == 0)
        return sym_error(err, SYM_EINVAL, "%s line %zu: %c=%s is not a positive integer", path, lineno, key[0],
                         traj_quote(q, value, strlen(value)));
    if (h->val && h->val != x)
        return sym_error(err, SYM_EINVAL, "%s line %zu: %c=%zu contradicts %c=%zu of line %zu", path, lineno,
                         key[0], x, key[0], h->val, h->line);
    h->val = x;
    h->line = lineno;
    return SYM_OK;
}

static int read_text(FILE *fp, const char *path, size_t *Nout, size_t *Bout, size_t *Pout, int8_t **vout,
                     char *err)
{
    char *line = NULL;
    size_t lcap = 0, lineno = 0, N = 0, B = 0, first = 0, vcap = 0, rcap = 0;
    hdr_count hn = {0, 0}, hb = {0, 0}, hs = {0, 0};
    int8_t *v = NULL, *row = NULL;
    int st = SYM_OK;
    ssize_t len;
    while ((len = getline(&line, &lcap, fp)) >= 0) {
        lineno++;
        /* a NUL would end the line early for every string function below */
        if (memchr(line, 0, (size_t)len)) {
            st = sym_error(err, SYM_EINVAL, "%s line %zu: NUL byte", path, lineno);
            goto done;
        }
        const char *c = line;
        while (is_space(*c))
            c++;
        if (*c == '#') {
            /* header lines "# N=..." and "# B=..." before the first row are
             * checked against the rows */
            const char *k = c + 1;
            while (*k == ' ' || *k == '\t')
                k++;
            const char *eq = strchr(k, '=');
            if (B == 0 && eq) {
                char *val = (char *)eq + 1, *e = val + strlen(val);
                while (e > val && is_space(e[-1]))
                    *--e = 0;
                if ((st = hdr_take(&hn, &hb, &hs, k, (size_t)(eq - k), val, path, lineno, err)))
                    goto done;
            }
            continue;
        }
        if (!*c)
            continue;
        size_t n = 0;
        while (*c) {
            const char *tok = c;
            char *end;
            while (*c && !is_space(*c))
                c++;
            char q[TRAJ_QUOTE_BUF];
            traj_quote(q, tok, (size_t)(c - tok));
            errno = 0;
            double d = strtod(tok, &end);
            if (end != c) {
                st = sym_error(err, SYM_EINVAL, "%s line %zu: '%s' is not a number", path, lineno, q);
                goto done;
            }
            if (hs.val ? !(d >= 0 && d < (double)hs.val && d == (double)(int)d) : d != 1 && d != -1) {
                if (hs.val)
                    st = sym_error(err, SYM_EINVAL, "%s line %zu: value '%s' is not a state 0..%zu (states=%zu)",
                                   path, lineno, q, hs.val - 1, hs.val);
                else
                    st = sym_error(err, SYM_EINVAL, "%s line %zu: value '%s' is not +1 or -1", path, lineno, q);
                goto done;
            }
            if (grow(&row, &rcap, n + 1)) {
                st = sym_error(err, SYM_ENOMEM, "%s line %zu: out of memory", path, lineno);
                goto done;
            }
            row[n++] = (int8_t)(hs.val ? (int)d : d > 0 ? 1 : -1);
            while (is_space(*c))
                c++;
        }
        if (B == 0) {
            if (hn.val && n != hn.val) {
                st = sym_error(err, SYM_EINVAL, "%s line %zu: %zu values, but line %zu says N=%zu", path, lineno,
                               n, hn.line, hn.val);
                goto done;
            }
            if (n < 3) {
                st = sym_error(err, SYM_EINVAL, "%s line %zu: %zu values, need N >= 3", path, lineno, n);
                goto done;
            }
            N = n;
            first = lineno;
        } else if (n != N) {
            st = sym_error(err, SYM_EINVAL, "%s line %zu: %zu values, expected N = %zu as in line %zu",
                           path, lineno, n, N, first);
            goto done;
        }
        if (B + 1 > SIZE_MAX / N || grow(&v, &vcap, (B + 1) * N)) {
            st = sym_error(err, SYM_ENOMEM, "%s line %zu: out of memory", path, lineno);
            goto done;
        }
        memcpy(v + B * N, row, N);
        B++;
    }
    if (ferror(fp)) {
        st = sym_error(err, SYM_EIO, "%s: read error after line %zu", path, lineno);
        goto done;
    }
    if (B == 0) {
        st = sym_error(err, SYM_EINVAL, "%s: no configurations", path);
        goto done;
    }
    if (hb.val && B != hb.val)
        st = sym_error(err, SYM_EINVAL, "%s: %zu configurations, but line %zu says B=%zu (a cut or damaged file)",
                       path, B, hb.line, hb.val);
done:
    free(line);
    free(row);
    if (st) {
        free(v);
        return st;
    }
    *Nout = N;
    *Bout = B;
    *Pout = hs.val;
    *vout = v;
    return SYM_OK;
}

static int read_bin(FILE *fp, const char *path, size_t *Nout, size_t *Bout, size_t *Pout, int8_t **vout,
                    char *err)
{
    char *line = NULL;
    size_t lcap = 0, lineno = 1;
    hdr_count hn = {0, 0}, hb = {0, 0}, hs = {0, 0};
    unsigned char *buf = NULL;
    int8_t *v = NULL;
    int st = SYM_OK, ended = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, fp)) >= 0) {
        lineno++;
        if (len == 0 || line[len - 1] != '\n')
            break;
        if (memchr(line, 0, (size_t)len)) {
            st = sym_error(err, SYM_EINVAL, "%s line %zu: NUL byte in the binary header", path, lineno);
            goto done;
        }
        line[len - 1] = 0;
        if (!strcmp(line, "end")) {
            ended = 1;
            break;
        }
        char *eq = strchr(line, '=');
        if (!eq || eq == line) {
            st = sym_error(err, SYM_EINVAL, "%s line %zu: expected key=value or 'end' in the binary header",
                           path, lineno);
            goto done;
        }
        if ((st = hdr_take(&hn, &hb, &hs, line, (size_t)(eq - line), eq + 1, path, lineno, err)))
            goto done;
    }
    if (!ended) {
        st = sym_error(err, SYM_EINVAL, "%s line %zu: binary header ends without an 'end' line", path, lineno);
        goto done;
    }
    size_t N = hn.val, B = hb.val;
    if (N < 3 || B < 1) {
        st = sym_error(err, SYM_EINVAL, "%s: binary header needs N >= 3 and B >= 1 (N=%zu, B=%zu)", path, N, B);
        goto done;
    }
    size_t P = hs.val, q = samples_state_bits(P);
    uint64_t rb64;
    if (bin_row_bytes(N, P, &rb64) || rb64 > SIZE_MAX) {
        st = sym_error(err, SYM_EINVAL, "%s: header N=%zu: a row overflows the address space", path, N);
        goto done;
    }
    size_t rb = (size_t)rb64, tail = (size_t)(((uint64_t)N * q) % 8);
    if (N > SIZE_MAX / B) {
        st = sym_error(err, SYM_EINVAL, "%s: header B=%zu rows of N=%zu spins overflow the address space",
                       path, B, N);
        goto done;
    }
    /* A regular file's size says at once whether the body is complete:
     * no allocation for a header that claims more rows than there are. */
    struct stat sb;
    long pos = ftell(fp);
    if (fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode) && pos >= 0) {
        uint64_t have = (uint64_t)sb.st_size - (uint64_t)pos, need = (uint64_t)rb * (uint64_t)B;
        if (have < need) {
            st = sym_error(err, SYM_EINVAL, "%s: truncated: %llu bytes of rows, B = %zu rows of %zu bytes need %llu",
                           path, (unsigned long long)have, B, rb, (unsigned long long)need);
            goto done;
        }
        if (have > need) {
            st = sym_error(err, SYM_EINVAL, "%s: trailing bytes after B = %zu rows", path, B);
            goto done;
        }
    }
    if (!(v = malloc(N * B)) || !(buf = malloc(rb))) {
        st = sym_error(err, SYM_ENOMEM, "%s: out of memory for B = %zu rows of N = %zu", path, B, N);
        goto done;
    }
    /* +-1 rows: each byte of bits is 8 spins, looked up (bit j -> site 8k + j) */
    int8_t spins[256][8];
    if (!P)
        for (unsigned x = 0; x < 256; x++)
            for (unsigned j = 0; j < 8; j++)
                spins[x][j] = (int8_t)((x >> j) & 1 ? 1 : -1);
    for (size_t b = 0; b < B; b++) {
        if (fread(buf, 1, rb, fp) != rb) {
            st = sym_error(err, SYM_EINVAL, "%s: truncated: row %zu of B = %zu is missing or short (%zu bytes per row)",
                           path, b + 1, B, rb);
            goto done;
        }
        if (tail && (buf[rb - 1] >> tail)) {
            st = sym_error(err, SYM_EINVAL, "%s: row %zu has nonzero padding bits", path, b + 1);
            goto done;
        }
        size_t i0 = 0;
        if (!P) {
            for (size_t k = 0; k < N / 8; k++)
                memcpy(v + b * N + 8 * k, spins[buf[k]], 8);
            i0 = N / 8 * 8;
        }
        for (size_t i = i0; i < N; i++) {
            unsigned x = 0;
            for (size_t j = 0; j < q; j++)
                x |= (unsigned)((buf[(i * q + j) / 8] >> ((i * q + j) % 8)) & 1) << j;
            if (P && x >= P) {
                st = sym_error(err, SYM_EINVAL, "%s: row %zu, site %zu: state %u is not below states=%zu", path,
                               b + 1, i, x, P);
                goto done;
            }
            v[b * N + i] = (int8_t)(P ? (int)x : x ? 1 : -1);
        }
    }
    if (fgetc(fp) != EOF) {
        st = sym_error(err, SYM_EINVAL, "%s: trailing bytes after B = %zu rows", path, B);
        goto done;
    }
    *Nout = N;
    *Bout = B;
    *Pout = P;
done:
    free(line);
    free(buf);
    if (st) {
        free(v);
        return st;
    }
    *vout = v;
    return SYM_OK;
}

int samples_read_states(const char *path, size_t *N, size_t *B, size_t *P, int8_t **v, char *err)
{
    *v = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return sym_error(err, SYM_EIO, "%s: cannot open: %s", path, strerror(errno));
    char magic[sizeof SAMPLES_MAGIC - 1];
    size_t got = fread(magic, 1, sizeof magic, fp);
    int st;
    if (got == sizeof magic && !memcmp(magic, SAMPLES_MAGIC, sizeof magic)) {
        st = read_bin(fp, path, N, B, P, v, err);
    } else {
        rewind(fp);
        st = read_text(fp, path, N, B, P, v, err);
    }
    fclose(fp);
    return st;
}

int samples_read(const char *path, size_t *N, size_t *B, int8_t **v, char *err)
{
    size_t P = 0;
    int st = samples_read_states(path, N, B, &P, v, err);
    if (!st && P) {
        free(*v);
        *v = NULL;
        return sym_error(err, SYM_EINVAL, "%s: Potts samples (states=%zu): +-1 samples expected here", path, P);
    }
    return st;
}
