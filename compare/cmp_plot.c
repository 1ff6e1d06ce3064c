/* cmp_plot: run gnuplot on figures/overlay.gp (see compare/cmp.h). */
#include "compare/cmp.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "core/err.h"

extern char **environ;

/* s as a gnuplot single-quoted string: the only escape is '' for '. */
static void gp_quote(char *out, size_t cap, const char *s)
{
    size_t k = 0;
    if (cap < 3)
        return;
    out[k++] = '\'';
    for (; *s && k + 3 < cap; s++) {
        if (*s == '\'')
            out[k++] = '\'';
        out[k++] = *s;
    }
    out[k++] = '\'';
    out[k] = 0;
}

/* "dir/.base.tmp.PID" next to path, so the rename stays on one filesystem. */
static char *tmp_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
    size_t n = strlen(path) + 48;
    char *t = malloc(n);
    if (t)
        snprintf(t, n, "%.*s.%s.tmp.%ld", (int)dlen, path, path + dlen, (long)getpid());
    return t;
}

/* First line of the log (gnuplot's first complaint), for the message. */
static void log_first_line(const char *log, char *line, size_t cap)
{
    line[0] = 0;
    FILE *fp = fopen(log, "r");
    if (!fp)
        return;
    while (fgets(line, (int)cap, fp)) {
        line[strcspn(line, "\r\n")] = 0;
        if (line[strspn(line, " \t^")])   /* skip blank and caret-only lines */
            break;
        line[0] = 0;
    }
    fclose(fp);
}

static int nonempty(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && sb.st_size > 0;
}

int cmp_plot(const char *script, const char *theory_dat, const char *sim_dat, size_t every,
             const char *png_out, const char *pdf_out, const char *log_path, char *err)
{
    if (access(script, R_OK) != 0)
        return sym_error(err, SYM_EIO, "%s: cannot read the plot script: %s", script, strerror(errno));
    char *tpng = tmp_name(png_out), *tpdf = tmp_name(pdf_out);
    size_t cap = 4 * (strlen(theory_dat) + strlen(sim_dat) + strlen(png_out) + strlen(pdf_out)) + 512;
    char *expr = malloc(cap), *q = malloc(cap);
    int st = SYM_OK;
    if (!tpng || !tpdf || !expr || !q) {
        st = sym_error(err, SYM_ENOMEM, "cmp_plot: out of memory");
        goto done;
    }
    size_t off = 0;
    const char *names[] = {"th", "sim", "png", "pdf"};
    const char *vals[] = {theory_dat, sim_dat, tpng, tpdf};
    for (size_t k = 0; k < 4; k++) {
        gp_quote(q, cap, vals[k]);
        off += (size_t)snprintf(expr + off, cap - off, "%s=%s; ", names[k], q);
    }
    snprintf(expr + off, cap - off, "stride=%zu; ", every > 0 ? every : 1);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    char *argv[] = {"gnuplot", "-e", expr, (char *)script, NULL};
    pid_t pid;
    int e = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e) {
        st = sym_error(err, SYM_EIO, "cannot run gnuplot: %s (install gnuplot, or use --no-plot)", strerror(e));
        goto done;
    }
    int ws;
    while (waitpid(pid, &ws, 0) < 0)
        if (errno != EINTR) {
            st = sym_error(err, SYM_EIO, "waiting for gnuplot: %s", strerror(errno));
            goto done;
        }
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 127) {
        st = sym_error(err, SYM_EIO, "gnuplot not found (install gnuplot, or use --no-plot)");
        goto done;
    }
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0 || !nonempty(tpng) || !nonempty(tpdf)) {
        char line[256];
        log_first_line(log_path, line, sizeof line);
        st = sym_error(err, SYM_EIO, "gnuplot failed on %s%s%s", script, line[0] ? ": " : "", line);
        goto done;
    }
    if (rename(tpng, png_out) != 0 || rename(tpdf, pdf_out) != 0)
        st = sym_error(err, SYM_EIO, "%s: cannot rename into place: %s", png_out, strerror(errno));
done:
    if (tpng)
        unlink(tpng);
    if (tpdf)
        unlink(tpdf);
    unlink(log_path);
    free(tpng);
    free(tpdf);
    free(expr);
    free(q);
    return st;
}
