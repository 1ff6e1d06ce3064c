/* cmp: theory against simulation, from their files (SPEC.md 4 and 5; issue 4).
 *
 * Reads a run directory (trajectory.tsv, weights.tsv, summary.tsv), checks
 * that a simulation describes the same data model as the theory, interpolates
 * the theory trajectory at the simulation's snapshot times (linear in t: see
 * cmp_interp), and scores the agreement per snapshot: the aligned overlap Q
 * of the weight profiles (max over shifts and sign) and the differences of
 * the order parameters, plus t_sb of each side.
 */
#ifndef SYM_CMP_H
#define SYM_CMP_H

#include <stddef.h>
#include "core/obs.h"
#include "core/ring.h"
#include "core/traj.h"

/* Order parameters compared, in this order: norm2 pr R S a0 .. a8. */
#define CMP_NOBS (4 + OBS_NA)
enum { CMP_NORM2 = 0, CMP_PR = 1, CMP_R = 2, CMP_S = 3, CMP_A0 = 4 };
/* Column name of order parameter j ("norm2", ..., "a8"). */
const char *cmp_obs_name(size_t j);

/* A simulation snapshot may lie beyond the theory's last time by this
 * relative amount (t = eta x updates accumulates rounding) and is then
 * compared with the last theory snapshot. */
#define CMP_T_TOL 1e-9

/* One run directory, restricted to one hidden unit. */
typedef struct {
    char *dir;
    traj_header header;   /* trajectory.tsv header                 */
    traj_header summary;  /* summary.tsv keys                      */
    const ring_type *type;   /* the data model (header key data)   */
    size_t N, n;          /* profile length, snapshots             */
    double *t;            /* n, strictly increasing                */
    double *o;            /* n x CMP_NOBS                          */
    size_t nw;            /* snapshots with a weight profile       */
    double *wt;           /* nw times (a subset of t)              */
    double *w;            /* nw x N                                */
    size_t *wrow;         /* n: row of w for snapshot s, or SIZE_MAX */
} cmp_run;

/* Read dir/{trajectory,weights,summary}.tsv for hidden unit mu.  weights.tsv
 * may hold every snapshot or a subset (theory --weights final).  A missing
 * or malformed file, a header without data model or N, weights whose length
 * or times disagree with trajectory.tsv, or no rows for mu is an error
 * naming the file. */
int cmp_run_load(cmp_run *r, const char *dir, size_t mu, char *err);
void cmp_run_free(cmp_run *r);

/* SYM_EINVAL unless sim has the theory's data model, N and model
 * parameters (the header keys of the type's par[]). */
int cmp_check_match(const cmp_run *th, const cmp_run *sim, char *err);

/* The theory at time t, linear in t between snapshots: order parameters
 * o[CMP_NOBS] and profile w[N] (either may be NULL).  The profile needs
 * weights at every snapshot, or a weights row at t itself (within
 * CMP_T_TOL); otherwise *have_w = 0 and w is untouched.  SYM_EINVAL outside
 * [t_0, t_last (1 + CMP_T_TOL)]. */
int cmp_interp(const cmp_run *th, double t, double *o, double *w, int *have_w, char *err);

/* The comparison of one simulation with the theory. */
typedef struct {
    size_t n;             /* the simulation's snapshots                  */
    double *t, *Q;        /* n                                           */
    double *d;            /* n x CMP_NOBS: sim - theory                  */
    double Q_final, dR_max, dR_final;
    double t_sb_theory, t_sb_sim;
    size_t shift;         /* final alignment: w_sim[i] ~ sign u[i+shift] */
    int sign;
} cmp_result;

int cmp_compare(obs_ws *ws, const cmp_run *th, const cmp_run *sim, cmp_result *res, char *err);
void cmp_result_free(cmp_result *res);


/* Draw the overlay figure: run gnuplot on script with the data files
 * theory_dat and sim_dat (every `every`-th simulation row drawn, so that
 * error bars stay readable), writing png_out and pdf_out (each first under a
 * temporary name, then renamed).  gnuplot's messages go to log_path, removed
 * afterwards.  A missing gnuplot or a failing script is SYM_EIO with a
 * message. */
int cmp_plot(const char *script, const char *theory_dat, const char *sim_dat, size_t every,
             const char *png_out, const char *pdf_out, const char *log_path, char *err);

#endif
