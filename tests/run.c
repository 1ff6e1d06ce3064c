/* The test runner: `run` runs every linked suite, `run ring marg` only those.
 * One SRunner, so Check's closing line counts every test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "tests/suites.h"

typedef Suite *(*suite_fn)(void);

int main(int argc, char **argv)
{
#define SYM_ENTRY(name) {#name, name##_suite},
    static const struct { const char *name; suite_fn fn; } all[] = {SYM_SUITE_LIST(SYM_ENTRY)};
#undef SYM_ENTRY
    size_t nall = sizeof all / sizeof all[0];
    /* as in the program: a GSL failure is a status the test sees, not an
     * abort of the runner (Check forks, but the message would be lost) */
    sym_gsl_install();
    SRunner *sr = NULL;
    for (size_t k = 0; k < nall; k++) {
        int want = argc < 2;
        for (int a = 1; a < argc; a++)
            if (!strcmp(argv[a], all[k].name))
                want = 1;
        if (!want || !all[k].fn)
            continue;
        if (!sr)
            sr = srunner_create(all[k].fn());
        else
            srunner_add_suite(sr, all[k].fn());
    }
    for (int a = 1; a < argc; a++) {
        int known = 0;
        for (size_t k = 0; k < nall; k++)
            if (!strcmp(argv[a], all[k].name) && all[k].fn)
                known = 1;
        if (!known) {
            fprintf(stderr, "run: no suite '%s' in this build\n", argv[a]);
            return 2;
        }
    }
    if (!sr) {
        fprintf(stderr, "run: no suites linked\n");
        return 2;
    }
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
