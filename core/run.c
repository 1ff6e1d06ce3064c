/* run: the standard header and a run's files as one set (core/run.h). */
#include "core/run.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"

int run_header(traj_header *h, const char *command, int argc, char *const *argv)
{
    size_t len = 8;
    for (int k = 0; argv && k < argc; k++)
        len += strlen(argv[k]) + 1;
    char *line = malloc(len);
    if (!line)
        return SYM_ENOMEM;
    strcpy(line, "symrbm");
    for (int k = 0; argv && k < argc; k++) {
        strcat(line, " ");
        strcat(line, argv[k]);
    }
    int st = traj_header_set(h, "program", "symrbm");
    st = st ? st : traj_header_set(h, "version", "%s", SYM_VERSION);
    st = st ? st : traj_header_set(h, "command", "%s", command);
    st = st ? st : traj_header_set(h, "argv", "%s", argv ? line : "(in-process)");
    free(line);
    return st;
}

int run_stamp(traj_header *h)
{
    /* process and clock: enough to tell two runs apart */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return traj_header_set(h, "run", "%ld-%lld.%09ld", (long)getpid(), (long long)ts.tv_sec,
                           (long)ts.tv_nsec);
}

int run_files_init(run_files *rf, const char *dir, char *err)
{
    memset(rf, 0, sizeof *rf);
    rf->dir = dir;
    return traj_mkdir(dir, err);
}

int run_files_open(run_files *rf, const char *name, const traj_header *h, FILE **fp, char *err)
{
    if (rf->n == RUN_MAXFILES)
        return sym_error(err, SYM_EINVAL, "run_files_open: more than %d files", RUN_MAXFILES);
    int st = traj_open(&rf->f[rf->n], rf->dir, name, h, err);
    if (st)
        return st;
    *fp = rf->f[rf->n++].fp;
    return SYM_OK;
}

int run_files_commit(run_files *rf, char *err)
{
    int st = SYM_OK;
    for (size_t k = 0; k < rf->n && !st; k++)
        st = traj_finish(&rf->f[k], err);
    for (size_t k = 0; k < rf->n && !st; k++)
        st = traj_commit(&rf->f[k], err);
    if (st)
        run_files_abort(rf);
    rf->n = 0;
    return st;
}

void run_files_abort(run_files *rf)
{
    for (size_t k = 0; k < rf->n; k++)
        traj_abort(&rf->f[k]);
    rf->n = 0;
}
