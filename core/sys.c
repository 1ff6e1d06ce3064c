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
        char pid[32] = "";
        ssize_t n = pread(f, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        close(f);
        if (e == EWOULDBLOCK)
            return sym_error(err, SYM_EINVAL, "%s is in use by another symrbm run (pid %s)", dir,
                             pid[0] ? pid : "?");
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
