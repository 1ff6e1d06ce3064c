/* sys: the small system conventions every stage shares, one copy each
 * (STYLE.md "One owner per convention"): the monotonic clock, joining paths
 * without silent truncation, mean and standard deviation, and a directory
 * lock for runs that own an output directory (SPEC.md 10: two runs on one
 * directory must not corrupt it).  "The same header value" is
 * traj_header_same (core/traj.h).
 */
#ifndef SYM_SYS_H
#define SYM_SYS_H

#include <stddef.h>

/* Longest path we build. */
#define SYS_PATH 4096

/* Seconds on the monotonic clock (for wall_s). */
double sys_now(void);

/* dst = a "/" b (b alone when a is NULL or empty).  SYM_EINVAL naming the
 * path when it does not fit in cap bytes: never a silent truncation. */
int sys_path(char *dst, size_t cap, const char *a, const char *b, char *err);

/* Mean and sample standard deviation (n - 1; NAN for fewer than 2 values) of
 * x[0], x[stride], ..., x[(n-1) stride], skipping NaN; mean NAN when nothing
 * is left. */
void sys_mean_sd(const double *x, size_t n, size_t stride, double *mean, double *sd);

/* An exclusive lock on directory dir (the file dir/symrbm.lock, flock): a second
 * run on the same directory gets SYM_EINVAL "dir is in use by another
 * symrbm run (pid P)" at once instead of waiting or corrupting it.  The lock
 * goes with the process (also when it is killed).  *fd gets the descriptor
 * for sys_unlock. */
int sys_lock(const char *dir, int *fd, char *err);
void sys_unlock(int fd);

/* The shared form of sys_lock, for runs that each own only part of the
 * directory (symrbm --task processes, which lock their task with
 * sys_lock_file): any number of them hold it at once, while sys_lock fails
 * ("in use by symrbm --task runs") as long as one does, and this fails
 * naming the pid of a sys_lock holder. */
int sys_lock_shared(const char *dir, int *fd, char *err);

/* An exclusive lock on the file path (created), waiting for a holder to
 * let go.  sys_unlock_file removes the file before letting go, so that a
 * finished lock leaves nothing behind; a waiter that then wins the removed
 * file notices (its inode is no longer path's) and locks the new one, so
 * one process at a time holds path. */
int sys_lock_file(const char *path, int *fd, char *err);
void sys_unlock_file(const char *path, int fd);

/* Remove the temporary files of atomic writes (".NAME.tmp.PID.XXXXXX",
 * core/traj.h) that a killed run left in dir.  Call only while holding the
 * directory's lock: then no live run of ours can be writing them. */
void sys_clean_temps(const char *dir);

#endif
