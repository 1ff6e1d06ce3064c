/* size: the machine's memory and the allocation check (core/size.h). */
#include "core/size.h"

#include <stdint.h>
#include <unistd.h>

#include "core/err.h"

size_t sym_mem_total(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    size_t total;
    if (pages <= 0 || psize <= 0 || !sym_mul_ok((size_t)pages, (size_t)psize, &total))
        return SIZE_MAX;
    return total;
}

int sym_alloc_check(size_t n, size_t m, size_t el, const char *what, size_t *bytes, char *err)
{
    size_t nm, b;
    size_t mem = sym_mem_total();
    if (sym_mul_ok(n, m, &nm) && sym_mul_ok(nm, el, &b) && b <= mem) {
        if (bytes)
            *bytes = b;
        return SYM_OK;
    }
    /* in double the product cannot overflow: the message says how much */
    double need = (double)n * (double)m * (double)el;
    return sym_error(err, SYM_ENOMEM, "%s = %zu x %zu: need %.3g GB, this machine has %.3g GB",
                     what ? what : "size", n, m, need / 1e9, (double)mem / 1e9);
}
