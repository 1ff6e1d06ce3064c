/* ckpt: checkpoint files (sim/ckpt.h). */
#include "sim/ckpt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"
#include "core/traj.h"

static const char ckpt_magic[8] = {'S', 'Y', 'M', 'R', 'B', 'M', 'C', 'K'};
#define CKPT_BOM 0x01020304u
#define CKPT_END "end"

struct ckpt_out {
    traj_file f;
    uint64_t h;     /* hash of every byte written so far */
    int bad;        /* a write failed                    */
};

typedef struct {
    const char *tag;          /* not NUL-terminated: taglen bytes */
    size_t taglen, n;
    const unsigned char *p;
} ckpt_rec;

struct ckpt_in {
    unsigned char *buf;
    size_t n;
    ckpt_rec *rec;
    size_t nrec;
};

uint64_t ckpt_hash(uint64_t h, const void *p, size_t n)
{
    /* byte by byte, so that hashing a file in pieces as it is written and
     * in one piece as it is read agree (~1 GB/s: 0.1 s for the 10^8
     * bytes of the largest data sets, once per run) */
    const unsigned char *c = p;
    for (size_t k = 0; k < n; k++)
        h = (h ^ c[k]) * 0x100000001b3ULL;
    return h;
}

static void out_bytes(ckpt_out *o, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, o->f.fp) != n)
        o->bad = 1;
    o->h = ckpt_hash(o->h, p, n);
}

int ckpt_out_open(ckpt_out **out, const char *path, char *err)
{
    *out = NULL;
    ckpt_out *o = calloc(1, sizeof *o);
    if (!o)
        return sym_error(err, SYM_ENOMEM, "out of memory");
    int st = traj_open(&o->f, NULL, path, NULL, err);
    if (st) {
        free(o);
        return st;
    }
    o->h = CKPT_HASH0;
    uint32_t hdr[4] = {CKPT_VERSION, CKPT_BOM, (uint32_t)sizeof(size_t),
                       (uint32_t)sizeof(double)};
    out_bytes(o, ckpt_magic, sizeof ckpt_magic);
    out_bytes(o, hdr, sizeof hdr);
    *out = o;
    return SYM_OK;
}

void ckpt_put(ckpt_out *o, const char *tag, const void *p, size_t n)
{
    uint32_t tl = (uint32_t)strlen(tag);
    uint64_t len = n;
    if (tl > CKPT_TAGMAX)
        o->bad = 1;
    out_bytes(o, &tl, sizeof tl);
    out_bytes(o, tag, tl);
    out_bytes(o, &len, sizeof len);
    out_bytes(o, p, n);
}

void ckpt_put_u64(ckpt_out *o, const char *tag, uint64_t x)
{
    ckpt_put(o, tag, &x, sizeof x);
}

void ckpt_put_rng(ckpt_out *o, const char *tag, const gsl_rng *r)
{
    /* record: type name, NUL, then the state bytes */
    const char *name = gsl_rng_name(r);
    size_t nl = strlen(name) + 1, ns = gsl_rng_size(r);
    unsigned char *b = malloc(nl + ns);
    if (!b) {
        o->bad = 1;
        return;
    }
    memcpy(b, name, nl);
    memcpy(b + nl, gsl_rng_state(r), ns);
    ckpt_put(o, tag, b, nl + ns);
    free(b);
}

int ckpt_out_commit(ckpt_out *o, char *err)
{
    uint64_t h = o->h;
    ckpt_put(o, CKPT_END, &h, sizeof h);
    if (o->bad) {
        ckpt_out_abort(o);
        return sym_error(err, SYM_EIO, "checkpoint: write failed");
    }
    int st = traj_finish(&o->f, err);
    st = st ? st : traj_commit(&o->f, err);
    if (st)
        traj_abort(&o->f);
    free(o);
    return st;
}

void ckpt_out_abort(ckpt_out *o)
{
    if (!o)
        return;
    traj_abort(&o->f);
    free(o);
}

int ckpt_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

void ckpt_in_free(ckpt_in *in)
{
    if (!in)
        return;
    free(in->buf);
    free(in->rec);
    free(in);
}

static int read_all(const char *path, unsigned char **buf, size_t *n, char *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return sym_error(err, SYM_EIO, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    unsigned char *b = malloc(cap);
    while (b) {
        size_t got = fread(b + len, 1, cap - len, fp);
        len += got;
        if (len < cap)
            break;
        unsigned char *nb = realloc(b, cap * 2);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (!b)
        return sym_error(err, SYM_ENOMEM, "%s: out of memory", path);
    if (bad) {
        free(b);
        return sym_error(err, SYM_EIO, "%s: read error", path);
    }
    *buf = b;
    *n = len;
    return SYM_OK;
}

int ckpt_in_read(ckpt_in **out, const char *path, char *err)
{
    *out = NULL;
    ckpt_in *in = calloc(1, sizeof *in);
    if (!in)
        return sym_error(err, SYM_ENOMEM, "out of memory");
    int st = read_all(path, &in->buf, &in->n, err);
    if (st) {
        free(in);
        return st;
    }
    const unsigned char *b = in->buf;
    size_t n = in->n, pos = 8 + 16;
    uint32_t hdr[4];
    if (n < pos || memcmp(b, ckpt_magic, 8)) {
        ckpt_in_free(in);
        return sym_error(err, SYM_EINVAL, "%s: not a symrbm checkpoint", path);
    }
    memcpy(hdr, b + 8, sizeof hdr);
    if (hdr[0] != CKPT_VERSION || hdr[1] != CKPT_BOM || hdr[2] != sizeof(size_t) ||
        hdr[3] != sizeof(double)) {
        ckpt_in_free(in);
        return sym_error(err, SYM_EINVAL, "%s: checkpoint of another format version (%u) or "
                         "machine (byte order, type sizes)", path, (unsigned)hdr[0]);
    }
    size_t cap = 0;
    int ended = 0;
    while (pos < n && !ended) {
        uint32_t tl;
        uint64_t len;
        size_t start = pos;
        if (n - pos < sizeof tl)
            break;
        memcpy(&tl, b + pos, sizeof tl);
        pos += sizeof tl;
        if (tl > CKPT_TAGMAX || n - pos < tl + sizeof len)
            break;
        const unsigned char *tag = b + pos;
        pos += tl;
        memcpy(&len, b + pos, sizeof len);
        pos += sizeof len;
        if (len > n - pos)
            break;
        if (tl == strlen(CKPT_END) && !memcmp(tag, CKPT_END, tl)) {
            uint64_t h, want = ckpt_hash(CKPT_HASH0, b, start);
            /* the hash covers every byte before the closing record (the
             * writer hashes its own tag and length after taking it) */
            if (len != sizeof h)
                break;
            memcpy(&h, b + pos, sizeof h);
            if (h != want) {
                ckpt_in_free(in);
                return sym_error(err, SYM_EINVAL, "%s: checkpoint damaged (hash mismatch)",
                                 path);
            }
            ended = 1;
            pos += len;
            break;
        }
        if (in->nrec == cap) {
            cap = cap ? 2 * cap : 32;
            ckpt_rec *r = realloc(in->rec, cap * sizeof *r);
            if (!r) {
                ckpt_in_free(in);
                return sym_error(err, SYM_ENOMEM, "out of memory");
            }
            in->rec = r;
        }
        in->rec[in->nrec++] = (ckpt_rec){(const char *)tag, tl, (size_t)len, b + pos};
        pos += len;
    }
    if (!ended) {
        ckpt_in_free(in);
        return sym_error(err, SYM_EINVAL, "%s: checkpoint cut short or damaged", path);
    }
    *out = in;
    return SYM_OK;
}

int ckpt_get_ptr(const ckpt_in *in, const char *tag, const void **p, size_t *n, char *err)
{
    size_t tl = strlen(tag);
    for (size_t k = 0; k < in->nrec; k++)
        if (in->rec[k].taglen == tl && !memcmp(in->rec[k].tag, tag, tl)) {
            *p = in->rec[k].p;
            *n = in->rec[k].n;
            return SYM_OK;
        }
    return sym_error(err, SYM_EINVAL, "checkpoint has no record %s", tag);
}

int ckpt_get(const ckpt_in *in, const char *tag, void *p, size_t n, char *err)
{
    const void *q;
    size_t m;
    int st = ckpt_get_ptr(in, tag, &q, &m, err);
    if (st)
        return st;
    if (m != n)
        return sym_error(err, SYM_EINVAL, "checkpoint record %s: %zu bytes, expected %zu", tag,
                         m, n);
    if (n)
        memcpy(p, q, n);
    return SYM_OK;
}

int ckpt_get_u64(const ckpt_in *in, const char *tag, uint64_t *x, char *err)
{
    return ckpt_get(in, tag, x, sizeof *x, err);
}

int ckpt_get_rng(const ckpt_in *in, const char *tag, gsl_rng *r, char *err)
{
    const unsigned char *q;
    size_t m;
    int st = ckpt_get_ptr(in, tag, (const void **)&q, &m, err);
    if (st)
        return st;
    const char *name = gsl_rng_name(r);
    size_t nl = strlen(name) + 1, ns = gsl_rng_size(r);
    if (m != nl + ns || memcmp(q, name, nl))
        return sym_error(err, SYM_EINVAL, "checkpoint record %s: not the state of a %s generator",
                         tag, name);
    memcpy(gsl_rng_state(r), q + nl, ns);
    return SYM_OK;
}
