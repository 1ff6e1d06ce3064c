/* libFuzzer target: the sample-file reader (SPEC.md 5; README "symrbm
 * sample"), text and packed binary, through fuzz/samples_api.h.
 *
 * Any input must give an error obeying the error contract and no array, or
 * N >= 3 and B >= 1 configurations of +-1 that read back the same from
 * both formats written here from the format's description (not with the
 * library's writer: a second, independent statement of the format). */
#define _GNU_SOURCE
#include "fuzz/fuzz_util.h"

#include "fuzz/samples_api.h"

/* The format's magic line, as documented. */
static const char magic[] = "SYMRBM-SAMPLES\n";

static void reread(const char *buf, size_t len, size_t N, size_t B, const int8_t *v, const char *what)
{
    const char *path = fuzz_memfile(1, buf, len);
    size_t N2 = 0, B2 = 0;
    int8_t *v2 = NULL;
    char err[SYM_ERRLEN] = "";
    int st = FUZZ_SAMPLES_READ(path, &N2, &B2, &v2, err);
    FUZZ_CHECK(st == SYM_OK, "%s rewrite not readable: %s", what, err);
    FUZZ_CHECK(N2 == N && B2 == B, "%s: N %zu -> %zu, B %zu -> %zu", what, N, N2, B, B2);
    FUZZ_CHECK(!memcmp(v, v2, N * B), "%s: values differ", what);
    free(v2);
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
    reread(buf, len, N, B, v, "text");
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
    reread(buf, len, N, B, v, "binary");
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_memfile(0, data, size);
    size_t N = 0, B = 0;
    int8_t *v = NULL;
    char err[SYM_ERRLEN] = "";
    int st = FUZZ_SAMPLES_READ(path, &N, &B, &v, err);
    if (st) {
        fuzz_check_error(st, err);
        FUZZ_CHECK(v == NULL, "failed read returned an array");
        return 0;
    }
    FUZZ_CHECK(v != NULL && N >= 3 && B >= 1, "N = %zu, B = %zu", N, B);
    /* every configuration takes at least one byte per spin in text, one bit
     * in binary: more values than that were not in the file */
    FUZZ_CHECK(N / 8 <= size && B <= size && B * ((N + 7) / 8) <= size, "B x N = %zu x %zu from %zu bytes",
               B, N, size);
    for (size_t k = 0; k < N * B; k++)
        FUZZ_CHECK(v[k] == 1 || v[k] == -1, "v[%zu] = %d", k, v[k]);
    round_trip(N, B, v);
    free(v);
    return 0;
}
