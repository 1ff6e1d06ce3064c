#include "cli/opts.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/run.h"

static const opt_spec *find(const opt_spec *spec, size_t n, const char *name, size_t len)
{
    for (size_t k = 0; k < n; k++)
        if (strlen(spec[k].name) == len && !strncmp(spec[k].name, name, len))
            return &spec[k];
    return NULL;
}

/* strtod that accepts underflow to a denormal or zero but not overflow */
static int to_double(const char *s, double *d)
{
    char *end;
    errno = 0;
    *d = strtod(s, &end);
    if (end == s || *end || !isfinite(*d))
        return -1;
    if (errno == ERANGE && fabs(*d) > 1.0)
        return -1;
    return 0;
}

static int parse_size(const char *name, const char *s, size_t *out, char *err)
{
    char *end;
    errno = 0;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '-')
        return sym_error(err, SYM_EINVAL, "--%s %s: expected a non-negative integer", name, s);
    /* accept 1e5-style integers, common in physics scripts */
    double d = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(d) || d < 0 || d != floor(d) || d > 1e18)
        return sym_error(err, SYM_EINVAL, "--%s %s: expected a non-negative integer", name, s);
    *out = (size_t)d;
    return SYM_OK;
}

static int set_value(const opt_spec *o, const char *s, char *err)
{
    char *end;
    switch (o->type) {
    case OPT_DOUBLE: {
        double d;
        if (to_double(s, &d))
            return sym_error(err, SYM_EINVAL, "--%s %s: expected a finite number", o->name, s);
        *(double *)o->dst = d;
        return SYM_OK;
    }
    case OPT_SIZE:
        return parse_size(o->name, s, (size_t *)o->dst, err);
    case OPT_U64: {
        errno = 0;
        if (strchr(s, '-') || strchr(s, ' ') || strchr(s, '\t'))
            return sym_error(err, SYM_EINVAL, "--%s %s: expected a non-negative integer", o->name, s);
        unsigned long long u = strtoull(s, &end, 10);
        if (errno || end == s || *end)
            return sym_error(err, SYM_EINVAL, "--%s %s: expected a non-negative integer", o->name, s);
        *(uint64_t *)o->dst = (uint64_t)u;
        return SYM_OK;
    }
    case OPT_STRING:
        if (!*s)
            return sym_error(err, SYM_EINVAL, "--%s: empty value", o->name);
        *(const char **)o->dst = s;
        return SYM_OK;
    case OPT_CHOICE: {
        const char *c = o->choices;
        size_t len = strlen(s);
        while (c && *c) {
            const char *bar = strchr(c, '|');
            size_t clen = bar ? (size_t)(bar - c) : strlen(c);
            if (clen == len && !strncmp(c, s, len)) {
                *(const char **)o->dst = s;
                return SYM_OK;
            }
            c = bar ? bar + 1 : NULL;
        }
        return sym_error(err, SYM_EINVAL, "--%s %s: expected one of %s", o->name, s, o->choices);
    }
    case OPT_SIZE_LIST: {
        opt_list *l = o->dst;
        l->n = 0;
        const char *p = s;
        while (*p) {
            char buf[64];
            size_t len = strcspn(p, ",");
            if (len == 0 || len >= sizeof buf)
                return sym_error(err, SYM_EINVAL, "--%s %s: expected integers separated by commas", o->name, s);
            if (l->n == OPT_LIST_MAX)
                return sym_error(err, SYM_EINVAL, "--%s: at most %d values", o->name, OPT_LIST_MAX);
            memcpy(buf, p, len);
            buf[len] = 0;
            int st = parse_size(o->name, buf, &l->v[l->n], err);
            if (st)
                return st;
            l->n++;
            p += len;
            if (*p == ',' && !*++p)
                return sym_error(err, SYM_EINVAL, "--%s %s: trailing comma", o->name, s);
        }
        if (l->n == 0)
            return sym_error(err, SYM_EINVAL, "--%s: empty list", o->name);
        return SYM_OK;
    }
    case OPT_FLAG:
        *(int *)o->dst = 1;
        return SYM_OK;
    }
    return sym_error(err, SYM_EINVAL, "--%s: internal: unknown option type", o->name);
}

int opt_parse(int argc, char **argv, const opt_spec *spec, size_t nspec,
              const char **pos, size_t maxpos, size_t *npos, int *help, char *err)
{
    size_t np = 0;
    *help = 0;
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            *help = 1;
            continue;
        }
        if (strncmp(arg, "--", 2)) {
            if (arg[0] == '-' && arg[1] && !(arg[1] >= '0' && arg[1] <= '9'))
                return sym_error(err, SYM_EINVAL, "unknown option '%s'", arg);
            if (np == maxpos)
                return sym_error(err, SYM_EINVAL, "unexpected argument '%s'", arg);
            pos[np++] = arg;
            continue;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const opt_spec *o = find(spec, nspec, name, len);
        if (!o)
            return sym_error(err, SYM_EINVAL, "unknown option '--%.*s' (see --help)", (int)len, name);
        const char *val;
        if (o->type == OPT_FLAG) {
            if (eq)
                return sym_error(err, SYM_EINVAL, "--%s takes no value", o->name);
            val = "";
        } else if (eq) {
            val = eq + 1;
        } else {
            if (a + 1 >= argc)
                return sym_error(err, SYM_EINVAL, "--%s needs a value", o->name);
            val = argv[++a];
        }
        int st = set_value(o, val, err);
        if (st)
            return st;
        if (o->seen)
            *o->seen = 1;
    }
    if (npos)
        *npos = np;
    return SYM_OK;
}

/* exact (%.17g, for file headers) or short (%g, for --help) */
static void value_string(const opt_spec *o, char *buf, size_t len, int exact)
{
    switch (o->type) {
    case OPT_DOUBLE:
        snprintf(buf, len, exact ? "%.17g" : "%g", *(double *)o->dst);
        break;
    case OPT_SIZE:
        snprintf(buf, len, "%zu", *(size_t *)o->dst);
        break;
    case OPT_U64:
        snprintf(buf, len, "%" PRIu64, *(uint64_t *)o->dst);
        break;
    case OPT_STRING:
    case OPT_CHOICE: {
        const char *s = *(const char **)o->dst;
        snprintf(buf, len, "%s", s ? s : "");
        break;
    }
    case OPT_FLAG:
        snprintf(buf, len, "%d", *(int *)o->dst);
        break;
    case OPT_SIZE_LIST: {
        const opt_list *l = o->dst;
        size_t off = 0;
        buf[0] = 0;
        for (size_t k = 0; k < l->n && off < len; k++)
            off += (size_t)snprintf(buf + off, len - off, k ? ",%zu" : "%zu", l->v[k]);
        break;
    }
    }
}

void opt_usage(FILE *fp, const char *synopsis, const char *about,
               const opt_spec *spec, size_t nspec)
{
    fprintf(fp, "usage: %s\n\n%s\n\noptions (default in brackets):\n", synopsis, about);
    for (size_t k = 0; k < nspec; k++) {
        char val[512], lhs[128];
        value_string(&spec[k], val, sizeof val, 0);
        if (spec[k].type == OPT_FLAG)
            snprintf(lhs, sizeof lhs, "--%s", spec[k].name);
        else if (spec[k].type == OPT_CHOICE)
            snprintf(lhs, sizeof lhs, "--%s %s", spec[k].name, spec[k].choices);
        else
            snprintf(lhs, sizeof lhs, "--%s X", spec[k].name);
        if (spec[k].type == OPT_FLAG)
            fprintf(fp, "  %-28s %s\n", lhs, spec[k].help);
        else
            fprintf(fp, "  %-28s %s [%s]\n", lhs, spec[k].help, val);
    }
    fprintf(fp, "  %-28s %s\n", "-h, --help", "this text");
}

int opt_header(traj_header *h, const opt_spec *spec, size_t nspec)
{
    for (size_t k = 0; k < nspec; k++) {
        char val[512];
        value_string(&spec[k], val, sizeof val, 1);
        int st = traj_header_set(h, spec[k].name, "%s", val);
        if (st)
            return st;
    }
    return SYM_OK;
}

/* ---- common options ---- */

void opt_common_init(opt_common *c)
{
    memset(c, 0, sizeof *c);
    ring_params_default(&c->rp);
    c->data = c->rp.type->name;
    c->seed = 1;
    c->T = 40;
    c->init_scale = 0.01;
    c->snapshots = 200;
}

size_t opt_common_spec(opt_common *c, unsigned which, opt_spec *spec)
{
    size_t n = 0;
    if (which & OPTC_DATA) {
        spec[n++] = (opt_spec){"data", OPT_CHOICE, &c->data, "data model (SPEC.md 2)",
                               ring_type_names(), NULL};
        if (!(which & OPTC_NO_N))
            spec[n++] = (opt_spec){"N", OPT_SIZE, &c->rp.N, "visible units on the ring (>= 3)",
                                   NULL, &c->seen_N};
        for (size_t k = 0; k < ring_nkeys() && k < RING_MAXKEYS; k++)
            spec[n++] = (opt_spec){ring_key(k)->key, OPT_DOUBLE, &c->rp.val[k], ring_key(k)->help,
                                   NULL, NULL};
    }
    if (which & OPTC_T)
        spec[n++] = (opt_spec){"T", OPT_DOUBLE, &c->T, "learning time (> 0)", NULL, &c->seen_T};
    if (which & OPTC_SEED)
        spec[n++] = (opt_spec){"seed", OPT_U64, &c->seed,
                               "random seed (the same seed gives theory and sim the same w(0))",
                               NULL, NULL};
    if (which & OPTC_INIT)
        spec[n++] = (opt_spec){"init-scale", OPT_DOUBLE, &c->init_scale,
                               "s0: w(0) = s0 z / sqrt(N)", NULL, NULL};
    if (which & OPTC_SNAP)
        spec[n++] = (opt_spec){"snapshots", OPT_SIZE, &c->snapshots,
                               "output times after t = 0 (>= 1)", NULL, NULL};
    if (which & OPTC_OUT)
        spec[n++] = (opt_spec){"out", OPT_STRING, &c->out, "output directory (required)", NULL,
                               NULL};
    return n;
}

int opt_common_finish(opt_common *c, unsigned which, char *err)
{
    if ((which & OPTC_OUT) && !c->out)
        return sym_error(err, SYM_EINVAL, "--out is required");
    if (which & OPTC_DATA) {
        int st = ring_type_find(c->data, &c->rp.type, err);
        if (st)
            return sym_context(err, st, "--data");
        if (!(which & OPTC_NO_N) && (st = ring_params_check(&c->rp, err)))
            return st;
    }
    return SYM_OK;
}

int opt_parse_or_help(int argc, char **argv, const opt_spec *spec, size_t nspec,
                      const char *synopsis, const char *about, const char **pos, size_t maxpos,
                      size_t *npos, int *done, char *err)
{
    int help = 0;
    int st = opt_parse(argc, argv, spec, nspec, pos, maxpos, npos, &help, err);
    *done = !st && help;
    if (*done)
        opt_usage(stdout, synopsis, about, spec, nspec);
    return st;
}

int opt_run_header(traj_header *h, const char *command, int argc, char **argv,
                   const opt_spec *spec, size_t nspec)
{
    int st = run_header(h, command, argc, argv);
    return st ? st : opt_header(h, spec, nspec);
}

size_t opt_task_spec(task_select *s, opt_spec *spec)
{
    const opt_spec t[OPT_TASK_N] = {
        {"list-tasks", OPT_FLAG, &s->list, "print the task ids, one a line, and stop", NULL, NULL},
        {"task", OPT_STRING, &s->task, "run only the task of this id (batch schedulers)", NULL,
         NULL},
        {"mpi", OPT_FLAG, &s->mpi, "hand the tasks out from MPI rank 0 (under mpirun)", NULL,
         NULL},
    };
    for (size_t k = 0; k < OPT_TASK_N; k++)
        spec[k] = t[k];
    return OPT_TASK_N;
}

int opt_task_begin(const task_select *s, char *err)
{
    if (s->list && s->task)
        return sym_error(err, SYM_EINVAL, "--list-tasks and --task: give one of them");
    if (s->mpi && (s->list || s->task))
        return sym_error(err, SYM_EINVAL, "--mpi with --%s: a single task or the list needs no MPI",
                         s->list ? "list-tasks" : "task");
    if (s->task && !s->task[0])
        return sym_error(err, SYM_EINVAL, "--task: empty task id");
    if (!s->mpi)
        return SYM_OK;
    if (!task_mpi_available())
        return sym_error(err, SYM_EINVAL, "--mpi: this symrbm was built without MPI "
                         "(build build-mpi/symrbm with make mpi)");
    return task_mpi_init(err);
}

int opt_task_end(const task_select *s, const char *command, int st, char *err)
{
    if (!s->mpi || !task_mpi_available())
        return st;
    int rank, size;
    task_mpi_world(&rank, &size);
    if (st && size > 1) {
        fprintf(stderr, "symrbm %s: %s (rank %d)\n", command, err[0] ? err : "failed", rank);
        fflush(stderr);
        task_mpi_abort(2);
    }
    char e2[SYM_ERRLEN];
    int fs = task_mpi_finish(e2);
    if (!st && fs) {
        snprintf(err, SYM_ERRLEN, "%s", e2);
        st = fs;
    }
    return st;
}
