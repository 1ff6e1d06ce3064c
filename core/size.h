/* size: overflow-checked products of sizes, and the refusal of allocations
 * far beyond the machine (issue 7: every product of sizes is checked, and a
 * run that cannot fit says how much memory it would need).  One copy for
 * every module; messages name parameters, not command-line spellings. */
#ifndef SYM_SIZE_H
#define SYM_SIZE_H

#include <stddef.h>

/* *out = a * b; 0 (and *out unspecified) if the product overflows size_t. */
static inline int sym_mul_ok(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

/* *out = a + b; 0 if the sum overflows size_t. */
static inline int sym_add_ok(size_t a, size_t b, size_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

/* Physical memory of this machine in bytes (sysconf), SIZE_MAX if unknown. */
size_t sym_mem_total(void);

/* n x m elements of el bytes each, named `what` in the message: SYM_OK and
 * *bytes = n m el (bytes may be NULL) if the product fits in size_t and in
 * the machine's memory, else SYM_ENOMEM "what = n x m: need X GB, this
 * machine has Y GB". */
int sym_alloc_check(size_t n, size_t m, size_t el, const char *what, size_t *bytes, char *err);

#endif
