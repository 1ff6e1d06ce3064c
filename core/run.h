/* run: what every run writes (SPEC.md 5): the one standard header and the
 * run's files as one set.
 *
 * The header is written by one function for every command: program=symrbm,
 * version, command (the subcommand), argv (the full command line); a run
 * that writes several files adds run (an id unique to the run, so that
 * compare can tell files of two runs apart); then the caller adds its options after parsing (cli/opts.h opt_header)
 * and the data model's keys (ring_header_set) - each key once, since
 * traj_header_set replaces a key already there.
 *
 * A run's files are opened under temporary names and renamed into place
 * together at the end (run_files_commit): a run that fails or is killed
 * leaves the previous run's files as they were, never a mixture of two.
 */
#ifndef SYM_RUN_H
#define SYM_RUN_H

#include <stdio.h>
#include "core/traj.h"

/* Start h with program, version, command, argv (argv[0..argc-1] joined by
 * spaces after "symrbm"; argv may be NULL for runs made in-process).
 * SYM_ENOMEM on failure.  The same command gives the same header, so that
 * a sample file is reproducible byte for byte. */
int run_header(traj_header *h, const char *command, int argc, char *const *argv);

/* Set run = an id unique to this run (process id and clock), for the
 * files of one run to be recognised as one set. */
int run_stamp(traj_header *h);

#define RUN_MAXFILES 8

typedef struct {
    const char *dir;
    size_t n;
    traj_file f[RUN_MAXFILES];
} run_files;

/* An empty set of files in dir (created if needed). */
int run_files_init(run_files *rf, const char *dir, char *err);
/* Open dir/name under a temporary name, header h written (h may be NULL);
 * *fp gets the stream. */
int run_files_open(run_files *rf, const char *name, const traj_header *h, FILE **fp, char *err);
/* Finish every file, then rename them all into place.  On any failure every
 * temporary file is removed and nothing is renamed. */
int run_files_commit(run_files *rf, char *err);
/* Remove every temporary file (after a failure); safe after a commit. */
void run_files_abort(run_files *rf);

#endif
