/* obs_potts: the order parameters of a Potts receptive field w_i(c)
 * (SPEC.md section 9, the Potts counterpart of section 4), one definition
 * shared by theory, sim and compare; and the zero-sum gauge projection that
 * theory and sim must apply identically.
 *
 * A profile is N sites x P colours, row-major: w[i*P + c].  Its 2-D Fourier
 * modes W_{k,p} = sum_{i,c} w_i(c) e^{-2 pi i (k i / N + p c / P)} carry a
 * spatial wave number k and an angular harmonic p; p = 0 is the gauge
 * direction, p = +-1 the cosine in angle the XY data select.
 * obs_potts_alloc/obs_potts_free make and destroy an FFTW plan, which is NOT
 * thread-safe in FFTW: serialise them as for obs_alloc (core/obs.h).
 * obs_potts_compute on one workspace per thread is safe.
 */
#ifndef SYM_OBS_POTTS_H
#define SYM_OBS_POTTS_H

#include <stddef.h>

#include "core/obs.h"   /* OBS_NA, obs_unwrap */

typedef struct {
    double norm2;    /* sum_{i,c} w_i(c)^2                                  */
    double pr;       /* (sum_i s_i)^2 / (N sum_i s_i^2), s_i = sum_c w_i(c)^2 */
    double R;        /* |sum_i s_i e^{2 pi i i/N}| / sum_i s_i (SPEC 4 on s) */
    double S;        /* the xy model's order parameter: R (SPEC 9)           */
    double center;   /* (N / 2 pi) arg(sum_i s_i e^{2 pi i i/N}) in [0, N)   */
    double S_ang;    /* fraction of norm2 in the (k = 0, p = +-1) modes      */
    double phase;    /* mean angular phase in [0, 2 pi): obs_potts_compute   */
    double a[OBS_NA];/* p = +-1 amplitude at spatial k, NAN for k >= N       */
    double X;        /* unwrapped centre: NAN here, the trajectory writer
                        fills it in time order with obs_unwrap              */
} obs_potts_values;

typedef struct obs_potts_ws obs_potts_ws;

/* FFT plan and buffers for N x P profiles; NULL when N == 0, P < 2 (no
 * angular harmonic), N > INT_MAX (FFTW's int length) or out of memory. */
obs_potts_ws *obs_potts_alloc(size_t N, size_t P);
void obs_potts_free(obs_potts_ws *ws);

/* All of obs_potts_values for w (N x P, w[i*P + c]).
 *
 * Per site the angular harmonic z_i = sum_c w_i(c) e^{-2 pi i c/P}.  Its
 * amplitude is A_i = (2/P) |z_i| (SPEC 9) and its phase phi_i = -arg z_i
 * in [0, 2 pi), so that w_i(c) = A cos(2 pi c/P - phi) has A_i = A and
 * phi_i = phi for P >= 3: the phase of the cosine in angle, the words of
 * SPEC 9 (its formula "A_i e^{i phi_i} = (2/P) sum_c w_i(c) e^{-2 pi i c/P}"
 * read literally is the complex conjugate, phase -phi).
 *
 * a_k is Parseval-normalised as in core/obs.h:
 * a_k^2 = (|W_{k,+1}|^2 + |W_{k,-1}|^2) / (N P), so that sum_k a_k^2 is the
 * part of norm2 in the p = +-1 harmonic (P = 2: +1 and -1 are one mode,
 * counted once).  S_ang = a_0^2 / norm2.
 * phase: the circular mean of phi_i weighted by the harmonic's power A_i^2,
 * arg(sum_i A_i^2 e^{i phi_i}) in [0, 2 pi): a site with A_i = 0 has no
 * phase and gets no weight.  NAN when the harmonic vanishes at every site
 * (carries less than 1e-20 of norm2: rounding, e.g. a pure p = 2 field).
 * A zero profile gives pr, R, S, center, S_ang, phase = NAN, as obs_compute;
 * a non-finite entry makes them NAN too. */
void obs_potts_compute(obs_potts_ws *ws, const double *w, obs_potts_values *out);

/* The per-site quantities of SPEC 9, each output NULL when not wanted:
 * A[i], phi[i] as in obs_potts_compute (phi = 0 where A = 0),
 * wang[i] = W^angular_i = sum_c |w_i(c)|, wspat[c] = W^spatial_c =
 * sum_i w_i(c) (the paper's eqs. 17-18).  O(N P), no FFT. */
void obs_potts_sites(const obs_potts_ws *ws, const double *w, double *A, double *phi, double *wang,
                     double *wspat);

/* The zero-sum gauge of SPEC 9: subtract from each site its mean over the
 * P colours, in place, so that sum_c w_i(c) = 0.  The one definition for
 * theory and sim (w(0) and every gradient).  Idempotent up to rounding. */
void obs_potts_gauge(double *w, size_t N, size_t P);

/* M units' centres (in [0, N)) and phases (in [0, 2 pi)): the M circular
 * gaps between neighbouring centres on the ring of N sites (sum N) into
 * sep_center[M], and between neighbouring phases on the circle (sum 2 pi)
 * into sep_phase[M], each sorted ascending (the convention of
 * cmp_separations, compare/cmp.h).  Either output may be NULL.  M = 1 gives
 * the one gap N (2 pi); a NAN input makes every separation of that kind
 * NAN. */
void obs_potts_separations(const double *center, const double *phase, size_t M, size_t N,
                           double *sep_center, double *sep_phase);

#endif
