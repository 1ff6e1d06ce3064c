/* err: error status and messages with context (STYLE.md "Errors").
 *
 * Library functions return an int status (SYM_OK or a SYM_E* code) and write
 * a one-line message into a caller-provided buffer of SYM_ERRLEN bytes.
 * A caller that passes an error upward prepends its own function name, so the
 * final line reads like a one-line stack trace.  Only main() prints and exits;
 * every error becomes exit status 2 there (SPEC.md section 6).
 */
#ifndef SYM_ERR_H
#define SYM_ERR_H

#include <stddef.h>

#define SYM_ERRLEN 1024

enum {
    SYM_OK = 0,
    SYM_EINVAL = 1,   /* bad input: option, parameter, file contents      */
    SYM_EIO = 2,      /* a file could not be read or written              */
    SYM_ENUM = 3,     /* numerical failure: NaN, solver error, no convergence */
    SYM_ENOMEM = 4    /* allocation failed                                */
};

/* Write "msg" (printf format) into err and return code.  Usage:
 *     if (N < 3) return sym_error(err, SYM_EINVAL, "N = %zu: need N >= 3", N);
 */
int sym_error(char *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepend "where: " to the message already in err and return code, for
 * passing a callee's failure upward:  return sym_context(err, st, __func__); */
int sym_context(char *err, int code, const char *where);

/* Turn off GSL's default error handler, which prints and calls abort():
 * afterwards every GSL failure comes back as a status that the caller turns
 * into a SYM_* code and a message (STYLE.md "Errors are values").  main()
 * and the test runner call it first thing; GSL keeps the handler in its
 * own state, so none is ours. */
void sym_gsl_install(void);

#endif
