# align.awk: match the units of a theory profile to those of a simulated one
# as `symrbm compare` does (SPEC.md 4) - the permutation and per-unit sign
# and lattice shift that maximise the mean overlap Q - and print columns
#   i  sim_0 theory_0  sim_1 theory_1 ...
# where theory_mu is the theory unit matched to sim unit mu, shifted and
# signed onto it.  Each pair is flipped together so that the sim unit's
# largest |w| is positive (h -> -h is a symmetry at zero fields).
# Comments: "# mu Q shift sign center_sim center_theory_aligned
# center_theory" per sim unit (the last before the shift).
# usage: awk -f figures/align.awk THEORY_ROWS SIM_ROWS   (final_rows.awk output)
FNR == 1 { f++ }
f == 1 { M1 = FNR; N = NF - 1; for (i = 0; i < N; i++) u[FNR - 1, i] = $(i + 2); next }
f == 2 { M2 = FNR; for (i = 0; i < N; i++) w[FNR - 1, i] = $(i + 2) }
function centre(a, m,   i, c, s, x) {
    c = 0; s = 0
    for (i = 0; i < N; i++) { x = a[m, i] * a[m, i]; c += x * cos(2 * pi * i / N); s += x * sin(2 * pi * i / N) }
    x = atan2(s, c) * N / (2 * pi); return x < 0 ? x + N : x
}
# best lattice shift and sign of theory unit a onto sim unit b
function best(a, b,   s, i, d, nu, nw, q) {
    nu = 0; nw = 0
    for (i = 0; i < N; i++) { nu += u[a, i] * u[a, i]; nw += w[b, i] * w[b, i] }
    bq[a, b] = -1
    for (s = 0; s < N; s++) {
        d = 0
        for (i = 0; i < N; i++) d += w[b, i] * u[a, (i + s) % N]
        q = (d < 0 ? -d : d) / sqrt(nu * nw)
        if (q > bq[a, b]) { bq[a, b] = q; bs[a, b] = s; bsg[a, b] = d < 0 ? -1 : 1 }
    }
}
# exhaustive search over permutations (M! is small for the M <= 6 this is used for)
function perm(k,   j, t) {
    if (k == M2) {
        t = 0; for (j = 0; j < M2; j++) t += bq[p[j], j]
        if (t > bestt) { bestt = t; for (j = 0; j < M2; j++) bp[j] = p[j] }
        return
    }
    for (j = 0; j < M1; j++) if (!used[j]) { used[j] = 1; p[k] = j; perm(k + 1); used[j] = 0 }
}
END {
    pi = atan2(0, -1)
    for (a = 0; a < M1; a++) for (b = 0; b < M2; b++) best(a, b)
    bestt = -1; perm(0)
    for (b = 0; b < M2; b++) {
        a = bp[b]; mx = 0
        for (i = 0; i < N; i++) if (w[b, i] * w[b, i] > mx * mx) mx = w[b, i]
        fl[b] = mx < 0 ? -1 : 1
        for (i = 0; i < N; i++) v[a, i] = u[a, (i + bs[a, b]) % N]
        printf "# %d %.6f %d %d %.4f %.4f %.4f\n", b, bq[a, b], bs[a, b], bsg[a, b], centre(w, b), centre(v, a), centre(u, a)
    }
    for (i = 0; i < N; i++) {
        line = i
        for (b = 0; b < M2; b++) {
            a = bp[b]
            line = line sprintf(" %.9g %.9g", fl[b] * w[b, i], fl[b] * bsg[a, b] * u[a, (i + bs[a, b]) % N])
        }
        print line
    }
}
