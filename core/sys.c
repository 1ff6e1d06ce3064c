/* sys: clock, paths, same-value test, mean/sd, directory lock (core/sys.h). */
#include "core/sys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"

double sys_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int sys_path(char *dst, size_t cap, const char *a, const char *b, char *err)
{
    int n = a && *a ? snprintf(dst, cap, "%s/%s", a, b) : snprintf(dst, cap, "%s", b);
    if (n < 0 || (size_t)n >= cap)
        return sym_error(err, SYM_EINVAL, "path %s/%s: longer than %zu bytes", a ? a : "", b,
                         cap - 1);
    return SYM_OK;
}

void sys_mean_sd(const double *x, size_t n, size_t stride, double *mean, double *sd)
{
    double s = 0;
    size_t m = 0;
    for (size_t k = 0; k < n; k++)
        if (!isnan(x[k * stride])) {
            s += x[k * stride];
            m++;
        }
    *mean = m ? s / (double)m : NAN;
    *sd = NAN;
    if (m < 2)
        return;
    double v = 0;
    for (size_t k = 0; k < n; k++)
        if (!isnan(x[k * stride]))
            v += (x[k * stride] - *mean) * (x[k * stride] - *mean);
    *sd = sqrt(v / (double)(m - 1));
}

/* The pid a sys_lock holder wrote, "?" when none. */
static void lock_pid(int f, char *pid, size_t cap)
{
    ssize_t n = pread(f, pid, cap - 1, 0);
    pid[n > 0 ? n : 0] = 0;
    pid[strcspn(pid, "\n")] = 0;
    if (!pid[0])
        snprintf(pid, cap, "?");
}

int sys_lock(const char *dir, int *fd, char *err)
{
    char path[SYS_PATH];
    int st = sys_path(path, sizeof path, dir, "symrbm.lock", err);
    if (st)
        return st;
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (f < 0)
        return sym_error(err, SYM_EIO, "%s: %s", path, strerror(errno));
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char pid[32];
        lock_pid(f, pid, sizeof pid);
        /* held shared: by --task runs (sys_lock_shared), whose pids are not
         * recorded; the file's pid is an old exclusive holder's */
        int shared = e == EWOULDBLOCK && flock(f, LOCK_SH | LOCK_NB) == 0;
        close(f);
        if (shared)
            return sym_error(err, SYM_EINVAL, "%s is in use by symrbm --task runs", dir);
        if (e == EWOULDBLOCK)
            return sym_error(err, SYM_EINVAL, "%s is in use by another symrbm run (pid %s)", dir,
                             pid);
        return sym_error(err, SYM_EIO, "%s: lock: %s", path, strerror(e));
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(f, 0) != 0 || pwrite(f, pid, (size_t)n, 0) != n) {
        close(f);
        return sym_error(err, SYM_EIO, "%s: %s", path, strerror(errno));
    }
    *fd = f;
    return SYM_OK;
}

int sys_lock_shared(const char *dir, int *fd, char *err)
{
    char path[SYS_PATH];
    int st = sys_path(path, sizeof path, dir, "symrbm.lock", err);
    if (st)
        return st;
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (f < 0)
        return sym_error(err, SYM_EIO, "%s: %s", path, strerror(errno));
    if (flock(f, LOCK_SH | LOCK_NB) != 0) {
        int e = errno;
        char pid[32];
        lock_pid(f, pid, sizeof pid);
        close(f);
        if (e == EWOULDBLOCK)
            return sym_error(err, SYM_EINVAL, "%s is in use by another symrbm run (pid %s)", dir,
                             pid);
        return sym_error(err, SYM_EIO, "%s: lock: %s", path, strerror(e));
    }
    *fd = f;
    return SYM_OK;
}

int sys_lock_file(const char *path, int *fd, char *err)
{
    for (;;) {
        int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (f < 0)
            return sym_error(err, SYM_EIO, "%s: %s", path, strerror(errno));
        int r;
        while ((r = flock(f, LOCK_EX)) != 0 && errno == EINTR)
            ;
        if (r != 0) {
            int e = errno;
            close(f);
            return sym_error(err, SYM_EIO, "%s: lock: %s", path, strerror(e));
        }
        struct stat a, b;
        if (fstat(f, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino) {
            *fd = f;
            return SYM_OK;
        }
        /* the holder we waited for removed the file: lock the current one */
        close(f);
    }
}

void sys_unlock_file(const char *path, int fd)
{
    if (fd < 0)
        return;
    unlink(path);
    close(fd);
}

void sys_unlock(int fd)
{
    if (fd >= 0)
        close(fd);
}

void sys_clean_temps(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[SYS_PATH], e2[SYM_ERRLEN];
    while ((e = readdir(d)))
        if (e->d_name[0] == '.' && strstr(e->d_name, ".tmp.") &&
            sys_path(path, sizeof path, dir, e->d_name, e2) == SYM_OK)
            unlink(path);
    closedir(d);
}
