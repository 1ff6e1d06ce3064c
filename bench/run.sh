#!/usr/bin/env bash
# make bench: the figures the issues ask for, on this machine.
#   theory (issue 2): ising beta = 1, T = 40, rtol 1e-8, N = 100 .. 10^5:
#     wall time of the integration, right-hand-side evaluations, peak memory;
#     and the CVODE method choice (BDF + Newton-Krylov vs Adams) at N = 100.
#   sample, sim (issue 3): bench/bench_sample, bench/bench_sim.
# Usage: bench/run.sh BUILD_DIR   (BENCH_NMAX=10000 skips N = 10^5)
set -euo pipefail
build=${1:-build}
bin=$build/symrbm
nmax=${BENCH_NMAX:-100000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

get() { awk -F'\t' -v k="$2" '$1 == k {print $2}' "$1"; }

echo "== theory: ising beta=1 T=40 rtol=1e-8 (best of 3 for N <= 10^4) =="
printf "%-8s %-7s %10s %10s %8s %8s %10s\n" N method wall_s n_rhs steps krylov peak_MB
for N in 100 1000 10000 100000; do
    [ "$N" -le "$nmax" ] || continue
    reps=3; [ "$N" -ge 100000 ] && reps=1
    for method in bdf adams; do
        [ "$method" = adams ] && [ "$N" -gt 100 ] && continue
        best=
        for _ in $(seq $reps); do
            mem=$( { /usr/bin/time -f "%M" "$bin" theory --N "$N" --beta 1 --T 40 --rtol 1e-8 \
                     --method "$method" --weights final --snapshots 20 --out "$tmp/t" >/dev/null; } 2>&1 | tail -1)
            w=$(get "$tmp/t/summary.tsv" wall_s)
            if [ -z "$best" ] || awk -v a="$w" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$w; bmem=$mem; fi
        done
        printf "%-8s %-7s %10.3f %10s %8s %8s %10.1f\n" "$N" "$method" "$best" \
            "$(get "$tmp/t/summary.tsv" n_rhs)" "$(get "$tmp/t/summary.tsv" n_steps)" \
            "$(get "$tmp/t/summary.tsv" n_krylov)" "$(awk -v m="$bmem" 'BEGIN{print m/1024}')"
    done
done
echo "targets: N=100 within 0.12 s (SciPy LSODA reference 6.0 s), N=10^5 within 60 s"

for b in bench_sample bench_sim; do
    if [ -f "bench/$b.c" ]; then
        make --no-print-directory -s BUILD="$build" "$build/bench/$b" >/dev/null
        echo "== $b =="
        "$build/bench/$b"
    fi
done
