#!/usr/bin/env python3
"""Reference for `make bench` (issue 8): the binary-hidden-unit flow of SPEC.md
3b (M = 1, zero fields, ising data) integrated by SciPy's LSODA with the exact
data term and the exact Jacobian, to time symrbm's `theory --hidden spin`
against and to check its final profile.

    dw_i/dt = D_i(w) - tanh(w_i),   D_i = E[v_i tanh(w.v)]   (ising, ring)
    J_ij    = E[v_i v_j sech^2(w.v)] - delta_ij sech^2(w_i)

Data term (independent of symrbm's C code, same mathematics): with the kernels
    tanh x   = int_0^inf sin(q x) / sinh(pi q / 2) dq
    sech^2 x = int_0^inf q cos(q x) / sinh(pi q / 2) dq
every expectation is an integral over q of E[v_i e^{i q I}] or
E[v_i v_j e^{i q I}], traces of products of 2x2 transfer matrices (site
factor diag(e^{i q w_j v}), bond factor e^{beta v v'} / 2 cosh beta).  The q
integral is the midpoint rule with step hq = 2 pi / (sum|w| + 20): by Poisson
summation its error is below ~4 e^{-40} (the kernel's images sit W = 2 pi / hq
away); the tail beyond q = 26 is below 1e-16.  The script first checks both
terms against enumeration of all 2^12 states.

Usage: ref_spin_lsoda.py --weights weights.tsv --beta 1 --T 200 [--rtol 1e-8]
       [--atol 1e-10] [--repeats 3]
w(0) is the t = 0 row of symrbm's weights.tsv (the same initial state); the
final row is compared with the reference's w(T).  Prints key<TAB>value lines.
"""
import argparse
import itertools
import statistics
import sys
import time

import numpy as np
from scipy.integrate import solve_ivp

QMAX = 26.0


def grid(w):
    """Midpoint q grid and its weights (hq each) for profile w."""
    hq = 2.0 * np.pi / (np.abs(w).sum() + 20.0)
    nq = int(np.ceil(QMAX / hq))
    q = (np.arange(nq) + 0.5) * hq
    return q, hq


def site_mats(w, q, beta):
    """A_j = diag(e^{i q w_j}, e^{-i q w_j}) K, shape (N, nq, 2, 2)."""
    e = np.exp(-2.0 * beta)
    a, b = 1.0 / (1.0 + e), e / (1.0 + e)         # K / (2 cosh beta)
    ph = np.exp(1j * np.outer(w, q))              # (N, nq): e^{i q w_j}
    A = np.empty((len(w), len(q), 2, 2), complex)
    A[:, :, 0, 0] = ph * a
    A[:, :, 0, 1] = ph * b
    A[:, :, 1, 0] = np.conj(ph) * b
    A[:, :, 1, 1] = np.conj(ph) * a
    return A


def prefix_suffix(A):
    """P[i] = A_0 .. A_{i-1}, S[i] = A_i .. A_{N-1} (P[0] = S[N] = 1)."""
    N, nq = A.shape[:2]
    P = np.empty((N + 1, nq, 2, 2), complex)
    S = np.empty((N + 1, nq, 2, 2), complex)
    P[0] = S[N] = np.eye(2)
    for i in range(N):
        P[i + 1] = P[i] @ A[i]
    for i in range(N - 1, -1, -1):
        S[i] = A[i] @ S[i + 1]
    return P, S


SZ = np.array([1.0, -1.0])   # sigma_z as a row scale: (X sigma)[.., a, b] = X[.., a, b] sz[b]


def tr_xsy(X, Y):
    """Tr(X sigma_z Y) over the last two axes."""
    return np.einsum('...ab,b,...ba->...', X, SZ, Y)


def data_term(w, beta):
    N = len(w)
    q, hq = grid(w)
    P, S = prefix_suffix(site_mats(w, q, beta))
    z0 = 1.0 + np.tanh(beta) ** N
    # E[v_i e^{i q I}] Z0 = Tr(P_i sigma S_i): sigma sits left of site i's factor
    e = tr_xsy(P[:N], S[:N])                     # (N, nq)
    return (e.imag / np.sinh(0.5 * np.pi * q)).sum(axis=1) * hq / z0


def data_jac(w, beta):
    """E[v_i v_j sech^2(w.v)] (N x N)."""
    N = len(w)
    q, hq = grid(w)
    A = site_mats(w, q, beta)
    P, S = prefix_suffix(A)
    z0 = 1.0 + np.tanh(beta) ** N
    kern = q / np.sinh(0.5 * np.pi * q) * hq / z0
    C = np.empty((N, N))
    C[np.diag_indices(N)] = (np.einsum('qaa->q', P[N]).real * kern).sum()
    # X_i = P_i sigma A_i .. A_{i+d-1}, all i < N - d at once; pair (i, i + d)
    X = P[:N] * SZ                               # P_i sigma
    for d in range(1, N):
        X = X[: N - d] @ A[d - 1: N - 1]         # times A_{i+d-1}
        v = (tr_xsy(X, S[d:N]).real * kern).sum(axis=1)
        idx = np.arange(N - d)
        C[idx, idx + d] = v
        C[idx + d, idx] = v
    return C


def rhs(t, w, beta, count):
    count[0] += 1
    return data_term(w, beta) - np.tanh(w)


def jac(t, w, beta, count):
    count[1] += 1
    return data_jac(w, beta) - np.diag(1.0 / np.cosh(w) ** 2)


def enumerate_check(beta, rng):
    """Max relative errors of D and E[v v sech^2] against all 2^12 states."""
    N = 12
    errs = []
    for scale in (0.3, 1.0, 3.0):
        w = rng.standard_normal(N) * scale
        V = np.array(list(itertools.product((1.0, -1.0), repeat=N)))
        logp = beta * (V * np.roll(V, -1, axis=1)).sum(axis=1)
        p = np.exp(logp - logp.max())
        p /= p.sum()
        I = V @ w
        D = (p * np.tanh(I)) @ V
        C = (V * (p / np.cosh(I) ** 2)[:, None]).T @ V
        errs.append(np.abs(data_term(w, beta) - D).max() / np.abs(D).max())
        errs.append(np.abs(data_jac(w, beta) - C).max() / np.abs(C).max())
    return max(errs)


def read_weights(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.startswith('#') or line.startswith('t\t'):
                continue
            fs = line.split('\t')
            if fs[1] == '0':                     # unit mu = 0
                rows.append((float(fs[0]), np.array([float(x) for x in fs[2:]])))
    return rows[0], rows[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--weights', required=True)
    ap.add_argument('--beta', type=float, default=1.0)
    ap.add_argument('--T', type=float, default=200.0)
    ap.add_argument('--rtol', type=float, default=1e-8)
    ap.add_argument('--atol', type=float, default=1e-10)
    ap.add_argument('--repeats', type=int, default=3)
    a = ap.parse_args()

    err = enumerate_check(a.beta, np.random.default_rng(1))
    print(f"enum_check_N12_maxrel\t{err:.3g}")
    if not err < 1e-10:
        print("ref_spin_lsoda: data term disagrees with enumeration", file=sys.stderr)
        return 1

    (t0, w0), (t1, w1) = read_weights(a.weights)
    if t0 != 0.0 or abs(t1 - a.T) > 1e-9 * a.T:
        print(f"ref_spin_lsoda: weights.tsv rows at t = {t0}, {t1}, need 0 and {a.T}",
              file=sys.stderr)
        return 1
    walls, cpus = [], []
    for _ in range(a.repeats):
        count = [0, 0]
        start, cstart = time.perf_counter(), time.process_time()
        sol = solve_ivp(rhs, (0.0, a.T), w0, method='LSODA', rtol=a.rtol, atol=a.atol,
                        jac=jac, args=(a.beta, count))
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cstart)
        if not sol.success:
            print(f"ref_spin_lsoda: LSODA failed: {sol.message}", file=sys.stderr)
            return 1
    wT = sol.y[:, -1]
    print(f"N\t{len(w0)}")
    print(f"wall_s_median\t{statistics.median(walls):.4f}")
    print(f"wall_s_all\t{','.join(f'{x:.4f}' for x in walls)}")
    print(f"cpu_s_median\t{statistics.median(cpus):.4f}")
    print(f"n_rhs\t{count[0]}")
    print(f"n_jac\t{count[1]}")
    print(f"norm2_ref\t{np.dot(wT, wT):.12g}")
    print(f"max_abs_diff_vs_symrbm\t{np.abs(wT - w1).max():.3g}")
    print(f"max_abs_w\t{np.abs(wT).max():.6g}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
