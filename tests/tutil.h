/* tutil: helpers shared by the suites that drive the symrbm program. */
#ifndef SYM_TUTIL_H
#define SYM_TUTIL_H

#include <stddef.h>

/* Run $SYMRBM_BIN with argv[1..] (argv[0] is replaced, argv NULL-terminated),
 * stdout to /dev/null, stderr captured into errbuf (may be NULL).  Returns
 * the exit status, or -1 if the program did not exit normally. */
int tutil_run(char *argv[], char *errbuf, size_t errlen);

/* The whole file, NUL-terminated (free it), or NULL; *len gets its length. */
char *tutil_slurp(const char *path, size_t *len);

/* Number of lines in s. */
size_t tutil_lines(const char *s);

/* 1 if directory dir holds any file whose name starts with '.' (a leftover
 * temporary file of an atomic write), else 0. */
int tutil_has_temp(const char *dir);

#endif
