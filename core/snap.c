#include "core/snap.h"

#include <math.h>

void snap_times(double T, size_t S, int linear, double *t)
{
    t[0] = 0.0;
    if (S == 0)
        return;
    for (size_t j = 1; j <= S; j++) {
        if (linear || S == 1)
            t[j] = T * (double)j / (double)S;
        else
            t[j] = T * pow(SNAP_LOG_SPAN, (double)(S - j) / (double)(S - 1));
    }
    t[S] = T; /* exact, whatever pow rounds to */
}
