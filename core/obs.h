/* obs: the order parameters of SPEC.md section 4, one definition shared by
 * theory, sim and compare.
 *
 * For one weight profile w_0..w_{N-1}: norm2, Fourier amplitudes a_k
 * (Parseval-normalised), participation ratio pr, localisation R, centre,
 * the data model's symmetry-breaking parameter S, the aligned overlap Q
 * with a reference profile (max over continuous shifts and sign: FFT, then
 * Brent), the band-limited fractional translation of a profile, and
 * the width fwhm of the dominant peak (the paper's Fig. 3b).
 * obs_alloc/obs_free make and destroy FFTW plans, which is NOT thread-safe in
 * FFTW: serialise them (or call fftw_make_planner_thread_safe) when tasks run
 * in threads.  obs_compute/obs_overlap on one workspace per thread are safe.
 */
#ifndef SYM_OBS_H
#define SYM_OBS_H

#include <stddef.h>

/* core/ring.h (not included: core/ring.h includes core/traj.h, which
 * includes this header) */
typedef struct ring_type ring_type;

#define OBS_NA 9   /* a_0 .. a_8 are written to trajectory files */

typedef struct {
    double norm2, pr, R, S, center;
    double a[OBS_NA];      /* NAN for k >= N */
    double X;              /* unwrapped centre (SPEC.md 4): obs_compute sets
                              NAN, the writer of a trajectory fills it in
                              time order with obs_unwrap */
} obs_values;

typedef struct obs_ws obs_ws;

/* FFT plans and buffers for profiles of length N; NULL when out of memory. */
obs_ws *obs_alloc(size_t N);
void obs_free(obs_ws *ws);

/* All of obs_values for w; S is the data model's order parameter
 * (type->order: R for ising, 2 a_1^2 / norm2 for bump).  A zero profile
 * gives pr, R, S, center = NAN. */
void obs_compute(obs_ws *ws, const ring_type *type, const double *w, obs_values *out);

/* Every a_k, k = 0..N-1, into a[] (length N). */
void obs_amplitudes(obs_ws *ws, const double *w, double *a);

/* Q(w, u) of SPEC.md 4: the max over shifts s and sign of
 * |sum_i w_i u(i+s)| / (|w| |u|), the shift s continuous: u(i+s) is u's
 * band-limited (Fourier) interpolant, the convention of obs_shift_frac.
 * Found by FFT cross-correlation on the lattice, then Brent (gsl_min) on
 * the trigonometric cross-correlation polynomial within one site of the
 * best lattice shift, so it is never below the lattice-only overlap.
 * obs_overlap_frac: shift (may be NULL) gets the maximising s in [0, N)
 * (w ~ sign * obs_shift_frac(u, -s)), sign (may be NULL) +1 or -1.
 * obs_overlap: the same Q, shift = the lattice shift nearest to s.
 * A zero or non-finite w or u (or a norm that overflows) gives NAN
 * (shift 0, sign +1). */
double obs_overlap_frac(obs_ws *ws, const double *w, const double *u, double *shift, int *sign);
double obs_overlap(obs_ws *ws, const double *w, const double *u, size_t *shift, int *sign);

/* Band-limited translation by a real s: out_i = u(i - s) (the profile's
 * centre moves by +s), by the FFT; an integer s is the exact cyclic shift
 * out_i = u_{i-s}.  Even N: the Nyquist mode is multiplied by cos(pi s),
 * the real part of its equal split between k = +-N/2, so that out stays
 * real (that mode's weight shrinks by cos^2(pi s) between sites).  out may
 * equal u. */
void obs_shift_frac(obs_ws *ws, const double *u, double s, double *out);

/* fwhm (SPEC.md 4): the full width at half maximum, in sites, of the
 * dominant peak of |w| on the ring.  From the site p of the largest |w_p|
 * (the lowest such index on ties) walk each way to the first site with
 * |w_i| <= |w_p| / 2 and place the crossing by linear interpolation between
 * that site and its neighbour towards p; the width is the distance between
 * the two crossings (it may straddle the seam i = N-1 -> 0).  Needs no
 * workspace and is O(N).
 * NAN when no half maximum exists: a zero or non-finite profile, or one that
 * stays above half its maximum all round the ring (a flat, uniform field has
 * no peak, and reporting N would put a symmetric state on a width plot as
 * if it were the widest localised one; NAN is what t_sb does there too). */
double obs_fwhm(const double *w, size_t N);

/* A final S above this is a localised (symmetry-broken) receptive field;
 * a uniform profile has S = R = 0 up to rounding (< 1e-6 in practice). */
#define OBS_BROKEN_S 0.1

/* t_sb (SPEC.md 4), the one definition for theory, sim and compare: the
 * first t at which S(t) reaches half its final value S[n-1], interpolated
 * linearly between snapshots; NAN when the final state is symmetric
 * (S[n-1] <= OBS_BROKEN_S: symmetry did not break, so it has no time), or
 * n == 0. */
double obs_t_sb(const double *t, const double *S, size_t n);

/* X (SPEC.md 4), the unwrapped centre: center in [0, N) moved by the
 * multiple of N that brings it nearest to the previous snapshot's X (the
 * step is then at most N/2; snapshots must be dense enough that a true step
 * is shorter).  NAN when center is NAN; prev_X NAN (the first snapshot, or
 * one after a NAN centre) restarts the unwrapping at X = center. */
double obs_unwrap(double prev_X, double center, size_t N);

#endif
