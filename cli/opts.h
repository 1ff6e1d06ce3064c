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
#include <stdint.h>
#include "core/ring.h"
#include "core/task.h"
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

/* ---- the options every experiment shares (SPEC.md 6), declared once ----
 * --data (choices from the model table), --N and every model parameter
 * (generated from core/ring.h's key registry), --seed, --T, --init-scale,
 * --snapshots, --out.  A command picks the ones it takes with OPTC_* bits,
 * sets its own defaults in the struct, appends the specs to its table, and
 * after parsing calls opt_common_finish. */
enum {
    OPTC_DATA = 1u << 0,    /* --data, --N and the model parameters */
    OPTC_SEED = 1u << 1,
    OPTC_T = 1u << 2,
    OPTC_INIT = 1u << 3,
    OPTC_SNAP = 1u << 4,
    OPTC_OUT = 1u << 5,
    OPTC_NO_N = 1u << 6     /* with OPTC_DATA: the command takes its own --N */
};
#define OPTC_MAX (8 + RING_MAXKEYS)

typedef struct {
    const char *data;       /* model name, resolved into rp.type           */
    ring_params rp;         /* N and every model key                       */
    uint64_t seed;
    double T, init_scale;
    size_t snapshots;
    const char *out;
    int seen_N, seen_T;
} opt_common;

/* Defaults: ring_params_default, seed 1, T 40, init-scale 0.01, 200
 * snapshots, no out. */
void opt_common_init(opt_common *c);
/* Append the specs of the options in `which` to spec (room for OPTC_MAX);
 * returns how many. */
size_t opt_common_spec(opt_common *c, unsigned which, opt_spec *spec);
/* Resolve --data, check the model parameters and that --out was given
 * (when OPTC_OUT).  Messages name the option. */
int opt_common_finish(opt_common *c, unsigned which, char *err);

/* The usual ending of a command's parse: opt_parse, then on -h the usage
 * (*done = 1). */
int opt_parse_or_help(int argc, char **argv, const opt_spec *spec, size_t nspec,
                      const char *synopsis, const char *about, const char **pos, size_t maxpos,
                      size_t *npos, int *done, char *err);

/* ---- the options of every sweep on the task engine (core/task.h) ----
 * --list-tasks, --task ID, --mpi into a task_select.  A sweep command
 * appends them (after the options its header records: they say how the
 * sweep is run, not what it computes), calls opt_task_begin after parsing
 * and returns through opt_task_end. */
#define OPT_TASK_N 3
/* Append the OPT_TASK_N specs to spec; returns OPT_TASK_N. */
size_t opt_task_spec(task_select *s, opt_spec *spec);
/* Refuse combinations that mean nothing (--list-tasks with --task, either
 * with --mpi) and --mpi in a program built without MPI; start MPI. */
int opt_task_begin(const task_select *s, char *err);
/* The command's end, st its status: with --mpi, MPI_Finalize; a rank that
 * failed prints its message (symrbm COMMAND: message) and ends every rank
 * with exit status 2, since the others could otherwise wait for it
 * forever.  Returns st (or a finalize failure). */
int opt_task_end(const task_select *s, const char *command, int st, char *err);

/* The standard header (core/run.h) with every option recorded. */
int opt_run_header(traj_header *h, const char *command, int argc, char **argv,
                   const opt_spec *spec, size_t nspec);

#endif
