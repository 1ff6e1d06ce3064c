/* kern_potts: sim/kern_potts.h. */
#include "sim/kern_potts.h"

#include <math.h>

void kern_potts_exp(const double *x, double *y, size_t n)
{
#pragma omp simd
    for (size_t q = 0; q < n; q++)
        y[q] = exp(x[q]);
}
