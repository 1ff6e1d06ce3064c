#include "tests/tutil.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int tutil_run(char *argv[], char *errbuf, size_t errlen)
{
    const char *bin = getenv("SYMRBM_BIN");
    ck_assert_msg(bin != NULL, "SYMRBM_BIN is not set (run the suites through make check)");
    char path[] = "/tmp/symrbm_stderr_XXXXXX";
    int fd = mkstemp(path);
    ck_assert(fd >= 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd, 2);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    argv[0] = (char *)bin;
    pid_t pid;
    int rc = posix_spawn(&pid, bin, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    ck_assert_msg(rc == 0, "cannot start %s", bin);
    int status;
    waitpid(pid, &status, 0);
    if (errbuf) {
        ssize_t n = pread(fd, errbuf, errlen - 1, 0);
        errbuf[n > 0 ? n : 0] = 0;
    }
    close(fd);
    unlink(path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

char *tutil_slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap *= 2;
            s = realloc(s, cap);
        }
        size_t got = fread(s + n, 1, 4096, fp);
        n += got;
        if (got == 0)
            break;
    }
    fclose(fp);
    s[n] = 0;
    if (len)
        *len = n;
    return s;
}

size_t tutil_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += (*s == '\n');
    return n;
}

int tutil_has_temp(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)))
        if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            found = 1;
    closedir(d);
    return found;
}
