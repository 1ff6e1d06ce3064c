/* opts: the command-line parser shared by every subcommand (SPEC.md 6).
 *
 * A subcommand describes its options in a table; opt_parse fills the
 * destinations, rejecting unknown options, missing values and unparsable or
 * non-finite numbers with a one-line message.  The same table prints --help
 * (with defaults) and records every parameter in output headers.
 */
#ifndef SYM_OPTS_H
#define SYM_OPTS_H

#include <stddef.h>
#include <stdio.h>
#include "core/traj.h"

typedef enum {
    OPT_DOUBLE,     /* double *                                        */
    OPT_SIZE,       /* size_t *        non-negative integer            */
    OPT_U64,        /* uint64_t *      (seeds)                         */
    OPT_STRING,     /* const char **                                   */
    OPT_CHOICE,     /* const char **   one of choices "a|b|c"          */
    OPT_FLAG,       /* int *           set to 1, takes no value        */
    OPT_SIZE_LIST   /* opt_list *      comma-separated integers        */
} opt_type;

#define OPT_LIST_MAX 64
typedef struct {
    size_t n;
    size_t v[OPT_LIST_MAX];
} opt_list;

typedef struct {
    const char *name;      /* without the leading "--"                */
    opt_type type;
    void *dst;
    const char *help;      /* one line                                 */
    const char *choices;   /* OPT_CHOICE: "a|b|c"                      */
    int *seen;             /* optional: set to 1 when given            */
} opt_spec;

/* Parse argv[0..argc-1] (argv[0] is the subcommand name).  Accepts
 * "--name value" and "--name=value".  Arguments not starting with "--" go to
 * pos[] (at most maxpos; more is an error).  *help is set on -h/--help.
 * Returns SYM_OK or SYM_EINVAL with a message naming the option. */
int opt_parse(int argc, char **argv, const opt_spec *spec, size_t nspec,
              const char **pos, size_t maxpos, size_t *npos, int *help, char *err);

/* Print "usage: ..." then every option with its help and current value. */
void opt_usage(FILE *fp, const char *synopsis, const char *about,
               const opt_spec *spec, size_t nspec);

/* Record every option's current value in a file header. */
int opt_header(traj_header *h, const opt_spec *spec, size_t nspec);

#endif
