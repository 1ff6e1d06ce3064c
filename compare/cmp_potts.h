/* cmp_potts: theory against simulation for Potts visible units (SPEC.md 4
 * and 9; issue 10 item 4).  The Potts counterpart of compare/cmp.h.
 *
 * A Potts profile is N sites x P colours, w[i*P + c].  The aligned overlap
 * Q of SPEC 4 generalised to the ring symmetries of a Potts data model: the
 * maximum over a continuous spatial shift s (band-limited translation, as
 * obs_overlap_frac), a cyclic colour shift r (c -> c + r), the colour
 * reflection c -> -c when the data model has it (cmp_potts_sym), and the
 * sign, of |sum_{i,c} w_i(c) u'_i(c)| / (|w| |u|) with u' the transformed
 * reference.  With M >= 2 units are matched by the permutation that
 * maximises the mean Q (cmp_assign of compare/cmp.h).
 *
 * Runs are read from trajectory.tsv (SPEC 9 columns) and weights.tsv rows
 * `t mu c w_0..w_{N-1}` (SPEC 5): one row per (snapshot, unit, colour).
 */
#ifndef SYM_CMP_POTTS_H
#define SYM_CMP_POTTS_H

#include <stddef.h>
#include "core/traj.h"

/* Order parameters compared, in this order. */
#define CMPP_NOBS 8
enum { CMPP_NORM2, CMPP_R, CMPP_CENTER, CMPP_S_ANG, CMPP_PHASE, CMPP_LOGLIK, CMPP_PR, CMPP_A0 };
const char *cmpp_obs_name(size_t j);
/* 1 for the circular ones (center: period N, phase: period 2 pi). */
int cmpp_obs_circular(size_t j);

/* The angular symmetries of a data model (a table, by data-model name):
 * 0 when the name is not a Potts model known to compare. */
typedef struct {
    const char *data;
    int colour_shift;   /* invariant under c -> c + r            */
    int reflect;        /* invariant under c -> -c               */
} cmp_potts_sym;
const cmp_potts_sym *cmp_potts_sym_find(const char *data);

/* Q workspace for N x P profiles; NULL when out of memory, N < 1 or P
 * outside 1 .. 128 (the xy model allows P <= 127). */
typedef struct cmpp_ws cmpp_ws;
cmpp_ws *cmpp_ws_alloc(size_t N, size_t P);
void cmpp_ws_free(cmpp_ws *ws);

/* The alignment that maximises Q: w_i(c) ~ sign u_{i+shift}(refl c + cshift)
 * with u shifted continuously (shift in [0, N)). */
typedef struct {
    double shift;
    size_t cshift;
    int refl;     /* +1 or -1 */
    int sign;     /* +1 or -1 */
} cmpp_align;

/* Q of w against u (both N x P); the group searched: colour shifts when
 * sym->colour_shift (else r = 0), reflection when sym->reflect.  A zero or
 * non-finite profile gives NAN.  al may be NULL. */
double cmpp_overlap(cmpp_ws *ws, const cmp_potts_sym *sym, const double *w, const double *u,
                    cmpp_align *al);

/* Match M sim profiles (M x N x P) to M theory profiles: perm[a] = theory
 * unit of sim unit a, q[a] its Q (may be NULL).  Returns the mean Q, NAN
 * when out of memory. */
double cmpp_match(cmpp_ws *ws, const cmp_potts_sym *sym, const double *wsim, const double *wth,
                  size_t M, size_t *perm, double *q);

/* One Potts run: every unit. */
typedef struct {
    char *dir;
    traj_header header;
    size_t N, P, M, n;     /* sites, colours, units, snapshots (per unit) */
    const cmp_potts_sym *sym;
    double *t;             /* n                                    */
    double *o;             /* M x n x CMPP_NOBS                    */
    size_t nw;             /* snapshots with weights               */
    double *wt;            /* nw                                   */
    double *w;             /* nw x M x N x P                       */
    size_t *wrow;          /* n: weight snapshot or SIZE_MAX       */
} cmpp_run;

/* Read dir/trajectory.tsv and dir/weights.tsv; errors name the file. */
int cmpp_run_load(cmpp_run *r, const char *dir, char *err);
void cmpp_run_free(cmpp_run *r);

/* The result for M units: per sim snapshot s and sim unit a, Q[s M + a]
 * (NAN without weights on both sides), theory and sim order parameters
 * oth/osim[(s M + a) CMPP_NOBS + j] (theory interpolated linearly in t,
 * circular quantities along the shorter arc); match[a] the theory unit of
 * sim unit a, found at t_match (the last snapshot with weights on both
 * sides) and used at every snapshot. */
typedef struct {
    size_t n, M;
    double *t, *Q, *oth, *osim;
    size_t *match;
    cmpp_align *al_final;   /* M: the alignment at t_match */
    double *Q_final;        /* M */
    double t_match, Q_mean;
} cmpp_result;

int cmpp_compare(cmpp_ws *ws, const cmpp_run *th, const cmpp_run *sim, cmpp_result *res, char *err);
void cmpp_result_free(cmpp_result *res);

/* The theory's profiles of every unit (M x N x P) at time t, interpolated
 * as compare does (within CMP_T_TOL of a snapshot when the run has
 * weights at some snapshots only): for sim --theory (Q_theory).  A run
 * that is not Potts, has another N, P or M, does not reach t or has no
 * weights there is SYM_EINVAL naming dir. */
int cmpp_ref_load(const char *dir, size_t N, size_t P, size_t M, double t, double *w, char *err);

/* The circular difference a - b with period p in (-p/2, p/2]; p = 0: a - b. */
double cmpp_circ_diff(double a, double b, double p);

#endif
