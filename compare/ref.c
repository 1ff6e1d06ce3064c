/* ref: reference profile from a run directory (compare/ref.h). */
#include "compare/ref.h"

#include <math.h>

#include "core/err.h"
#include "core/sys.h"
#include "core/traj.h"

int ref_load(const char *dir, size_t N, double t, double *w, char *err)
{
    char path[SYS_PATH];
    int st = sys_path(path, sizeof path, dir, "weights.tsv", err);
    traj_table tb;
    if (st || (st = traj_read(path, &tb, err)))
        return st;
    int ct = traj_table_col(&tb, "t"), cmu = traj_table_col(&tb, "mu");
    int c0 = traj_table_col(&tb, "w_0");
    if (ct < 0 || cmu < 0 || c0 < 0 || tb.ncol != (size_t)c0 + N) {
        traj_table_free(&tb);
        return sym_error(err, SYM_EINVAL, "%s: no rows of N = %zu weights", path, N);
    }
    size_t row = tb.nrow;
    for (size_t r = 0; r < tb.nrow; r++) {
        const double *x = tb.x + r * tb.ncol;
        if (x[cmu] == 0.0 && fabs(x[ct] - t) <= 1e-9 * fabs(t))
            row = r;
    }
    if (row == tb.nrow) {
        traj_table_free(&tb);
        return sym_error(err, SYM_EINVAL, "%s: no profile of unit 0 at t = %.17g", path, t);
    }
    for (size_t i = 0; i < N && !st; i++)
        if (!isfinite(w[i] = tb.x[row * tb.ncol + (size_t)c0 + i]))
            st = sym_error(err, SYM_EINVAL, "%s: weight w_%zu at t = %g is not finite", path, i, t);
    traj_table_free(&tb);
    return st;
}
