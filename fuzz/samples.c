/* libFuzzer target: the sample-file reader (SPEC.md 5; README "symrbm
 * sample"), text and packed binary, through fuzz/samples_api.h.
 *
 * Any input must give an error obeying the error contract and no array, or
 * N >= 3 and B >= 1 configurations -- of +-1 for a file without a states
 * key, of Potts states 0..P-1 (2 <= P <= 127) for one with states=P -- that
 * read back the same from both formats written here from the format's
 * description (not with the library's writer: a second, independent
 * statement of the format).  The +-1-only reader (samples_read) agrees: the
 * same array for a spin file, an error for a Potts file. */
#define _GNU_SOURCE
#include "fuzz/fuzz_util.h"

#include "fuzz/samples_api.h"

/* The format's magic line, as documented. */
static const char magic[] = "SYMRBM-SAMPLES\n";

static void reread(const char *buf, size_t len, size_t N, size_t B, size_t P, const int8_t *v, const char *what)
{
    const char *path = fuzz_memfile(1, buf, len);
    size_t N2 = 0, B2 = 0, P2 = 0;
    int8_t *v2 = NULL;
    char err[SYM_ERRLEN] = "";
    int st = FUZZ_SAMPLES_READ_STATES(path, &N2, &B2, &P2, &v2, err);
    FUZZ_CHECK(st == SYM_OK, "%s rewrite not readable: %s", what, err);
    FUZZ_CHECK(N2 == N && B2 == B && P2 == P, "%s: N %zu -> %zu, B %zu -> %zu, P %zu -> %zu", what, N, N2, B,
               B2, P, P2);
    FUZZ_CHECK(!memcmp(v, v2, N * B), "%s: values differ", what);
    free(v2);
}

/* Potts: text states in decimal (any spacing), binary q = ceil(log2 P)
 * bits a state, state i in bits i q .. i q + q - 1 of the row (bit j in
 * bit j%8 of byte j/8), rows padded to whole bytes; states=P in both
 * headers. */
static void round_trip_potts(size_t N, size_t B, size_t P, const int8_t *v)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    FUZZ_CHECK(fp != NULL, "open_memstream");
    fprintf(fp, "# program=symrbm\n# states=%zu\n", P);
    for (size_t b = 0; b < B; b++)
        for (size_t i = 0; i < N; i++)
            fprintf(fp, "%d%c", v[b * N + i], i + 1 < N ? ' ' : '\n');
    FUZZ_CHECK(fclose(fp) == 0, "fclose");
    reread(buf, len, N, B, P, v, "potts text");
    free(buf);
    size_t q = 1;
    while (((size_t)1 << q) < P)
        q++;
    buf = NULL;
    fp = open_memstream(&buf, &len);
    FUZZ_CHECK(fp != NULL, "open_memstream");
    fprintf(fp, "%sN=%zu\nB=%zu\nstates=%zu\nend\n", magic, N, B, P);
    size_t rb = (N * q + 7) / 8;
    unsigned char *row = calloc(rb, 1);
    FUZZ_CHECK(row != NULL, "calloc");
    for (size_t b = 0; b < B; b++) {
        memset(row, 0, rb);
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < q; j++)
                if (((unsigned)v[b * N + i] >> j) & 1u)
                    row[(i * q + j) / 8] |= (unsigned char)(1u << ((i * q + j) % 8));
        fwrite(row, 1, rb, fp);
    }
    free(row);
    FUZZ_CHECK(fclose(fp) == 0, "fclose");
    reread(buf, len, N, B, P, v, "potts binary");
    free(buf);
}

static void round_trip(size_t N, size_t B, const int8_t *v)
{
    /* text: one row per line, +1/-1 separated by spaces */
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    FUZZ_CHECK(fp != NULL, "open_memstream");
    fputs("# program=symrbm\n", fp);
    for (size_t b = 0; b < B; b++)
        for (size_t i = 0; i < N; i++)
            fprintf(fp, "%s%c", v[b * N + i] > 0 ? "+1" : "-1", i + 1 < N ? ' ' : '\n');
    FUZZ_CHECK(fclose(fp) == 0, "fclose");
    reread(buf, len, N, B, 0, v, "text");
    free(buf);
    /* binary: magic, key=value lines with N and B, "end", rows of
     * ceil(N/8) bytes, spin i in bit i%8 of byte i/8, 1 = +1 */
    buf = NULL;
    fp = open_memstream(&buf, &len);
    FUZZ_CHECK(fp != NULL, "open_memstream");
    fprintf(fp, "%sprogram=symrbm\nN=%zu\nB=%zu\nend\n", magic, N, B);
    size_t rb = (N + 7) / 8;
    for (size_t b = 0; b < B; b++)
        for (size_t j = 0; j < rb; j++) {
            unsigned byte = 0;
            for (size_t i = 8 * j; i < N && i < 8 * j + 8; i++)
                if (v[b * N + i] > 0)
                    byte |= 1u << (i % 8);
            fputc((int)byte, fp);
        }
    FUZZ_CHECK(fclose(fp) == 0, "fclose");
    reread(buf, len, N, B, 0, v, "binary");
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_memfile(0, data, size);
    size_t N = 0, B = 0, P = 0, N1 = 0, B1 = 0;
    int8_t *v = NULL, *v1 = NULL;
    char err[SYM_ERRLEN] = "", err1[SYM_ERRLEN] = "";
    int st = FUZZ_SAMPLES_READ_STATES(path, &N, &B, &P, &v, err);
    int st1 = FUZZ_SAMPLES_READ(path, &N1, &B1, &v1, err1);
    if (st1) {
        fuzz_check_error(st1, err1);
        FUZZ_CHECK(v1 == NULL, "failed +-1 read returned an array");
    }
    if (st) {
        fuzz_check_error(st, err);
        FUZZ_CHECK(v == NULL, "failed read returned an array");
        FUZZ_CHECK(st1 == st, "the +-1 reader gives %d where the states reader gives %d", st1, st);
        return 0;
    }
    /* the +-1 reader: the same array for a spin file, an error for Potts */
    FUZZ_CHECK(P ? st1 == SYM_EINVAL : st1 == SYM_OK && N1 == N && B1 == B && !memcmp(v, v1, N * B),
               "the +-1 reader disagrees (P = %zu, status %d)", P, st1);
    free(v1);
    FUZZ_CHECK(P == 0 || (P >= 2 && P <= 127), "P = %zu", P);
    FUZZ_CHECK(v != NULL && N >= 3 && B >= 1, "N = %zu, B = %zu", N, B);
    /* every configuration takes at least one byte per spin in text, one bit
     * in binary: more values than that were not in the file */
    FUZZ_CHECK(N / 8 <= size && B <= size && B * ((N + 7) / 8) <= size, "B x N = %zu x %zu from %zu bytes",
               B, N, size);
    for (size_t k = 0; k < N * B; k++)
        FUZZ_CHECK(P ? v[k] >= 0 && (size_t)v[k] < P : v[k] == 1 || v[k] == -1, "v[%zu] = %d (P = %zu)", k, v[k], P);
    if (P)
        round_trip_potts(N, B, P, v);
    else
        round_trip(N, B, v);
    free(v);
    return 0;
}
