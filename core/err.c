#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

int sym_error(char *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, SYM_ERRLEN, fmt, ap);
        va_end(ap);
    }
    return code;
}

int sym_context(char *err, int code, const char *where)
{
    if (err && where) {
        char tmp[SYM_ERRLEN];
        snprintf(tmp, sizeof tmp, "%s: %s", where, err);
        memcpy(err, tmp, SYM_ERRLEN);
    }
    return code;
}

void sym_gsl_install(void)
{
    gsl_set_error_handler_off();
}
