/* cmp: theory against simulation, from their files (SPEC.md 4 and 5; issue 4).
 *
 * Reads a run directory (trajectory.tsv, weights.tsv, summary.tsv), checks
 * that a simulation describes the same data model as the theory, interpolates
 * the theory trajectory at the simulation's snapshot times (linear in t: see
 * cmp_interp), and scores the agreement per snapshot: the aligned overlap Q
 * of the weight profiles (max over shifts and sign) and the differences of
 * the order parameters, plus t_sb of each side.
 *
 * Several hidden units (SPEC.md 4, last paragraphs): cmp_units_load reads
 * every unit of a run, cmp_assign / cmp_match find the permutation of the
 * simulation's units onto the theory's (each pair with its own shift and
 * sign) that maximises the mean Q, and cmp_compare_units scores every
 * matched pair as cmp_compare does one, with the sorted circular centre
 * separations (cmp_separations) of both sides at the matching time.
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

/* ---- several hidden units ---- */

/* Every hidden unit of one run: unit[mu] is what cmp_run_load(dir, mu)
 * gives, for mu = 0..M-1 (the files are read once).  The units must be
 * mu = 0..M-1 without gaps: a unit without rows is an error naming the
 * file. */
typedef struct {
    size_t M;
    cmp_run *unit;
} cmp_units;

int cmp_units_load(cmp_units *u, const char *dir, char *err);
void cmp_units_free(cmp_units *u);

/* Up to this M, cmp_assign in cmp_match tries all M! permutations; beyond,
 * the Hungarian method on the cost 1 - Q. */
#define CMP_EXHAUSTIVE_MAX 6

/* Mean Q values closer than this (per unit) are a tie: with a free shift
 * per unit, Q cannot tell two equal profiles at different centres apart,
 * so ties are broken by position (cmp_match). */
#define CMP_TIE_TOL 1e-9

/* The assignment perm (sim unit a -> theory unit perm[a], a bijection)
 * maximising sum_a Q[a M + perm[a]] over an M x M matrix Q; returns that
 * sum.  Exhaustive when M <= exhaustive_max (at most 16): among sums within
 * CMP_TIE_TOL M of the best, the smallest sum_a tie[a M + perm[a]] wins
 * (tie may be NULL), then the first in lexicographic order (the identity
 * first).  Beyond, the Hungarian method (O(M^3); tie unused, ties arbitrary).
 * A nan entry of Q counts as -1.  Out of memory (or exhaustive M > 16) is a
 * nan return with perm untouched. */
double cmp_assign(const double *Q, const double *tie, size_t M, size_t exhaustive_max, size_t *perm);

/* Match M simulated profiles wsim (M x N, row a = unit a) to M theory
 * profiles wth (M x N): Q[a M + b] = obs_overlap(wsim_a, wth_b) for every
 * pair, then cmp_assign with CMP_EXHAUSTIVE_MAX, ties broken by the
 * circular distance min(s, N - s) of each pair's shift s (the matching that
 * moves the units least: sim and theory share w(0), so their units sit at
 * the same centres).  perm[M], q[M] (the matched
 * Q of sim unit a), shift[M] and sign[M] (w_sim_a[i] ~ sign u_perm[a][i +
 * shift]) may be NULL except perm.  Returns the mean matched Q, nan when out
 * of memory (then perm is untouched). */
double cmp_match(obs_ws *ws, const double *wsim, const double *wth, size_t M, size_t N,
                 size_t *perm, double *q, size_t *shift, int *sign);

/* The centre separations of SPEC.md 4 from M centres in [0, N): the M
 * circular gaps between neighbouring centres (sum N), sorted ascending,
 * into sep[M].  M = 1 gives the one gap N; a nan centre makes every
 * separation nan. */
void cmp_separations(const double *centre, size_t M, size_t N, double *sep);

/* Several units against several: unit[a] compares sim unit a with theory
 * unit match[a] (cmp_compare), matched at the simulation's last snapshot
 * that has weights on both sides (the theory interpolated there), which is
 * time t_match; Q_final is the mean of unit[a].Q_final; sep_theory and
 * sep_sim the centre separations of either side at t_match. */
typedef struct {
    size_t M;
    size_t *match;                 /* M: sim unit -> theory unit     */
    cmp_result *unit;              /* M                              */
    double *sep_theory, *sep_sim;  /* M each                         */
    double t_match, Q_final;
} cmp_result_units;

/* SYM_EINVAL when the data models differ (cmp_check_match), the runs have
 * different M, or no simulation snapshot has weights on both sides. */
int cmp_compare_units(obs_ws *ws, const cmp_units *th, const cmp_units *sim, cmp_result_units *res,
                      char *err);
void cmp_result_units_free(cmp_result_units *res);

/* Draw the overlay figure: run gnuplot on script with the data files
 * theory_dat and sim_dat (every `every`-th simulation row drawn, so that
 * error bars stay readable), writing png_out and pdf_out (each first under a
 * temporary name, then renamed).  gnuplot's messages go to log_path, removed
 * afterwards.  A missing gnuplot or a failing script is SYM_EIO with a
 * message. */
int cmp_plot(const char *script, const char *theory_dat, const char *sim_dat, size_t every,
             const char *png_out, const char *pdf_out, const char *log_path, char *err);

#endif
