#!/usr/bin/env bash
# bench/pgm.sh BUILD_DIR: symrbm's trainer beside the authors' PGM package
# (issue 9, "Trainer speed" and "Speed"), in one run on the same machine.
#   (a) the issue-3 PCD benchmark: ising beta = 1 samples, B = 10^4, N = 100
#       and 1000, M = 5 +-1 hidden units (PGM hidden='Spin', symrbm --hidden
#       spin), batch 100, 100 persistent chains, 1 Gibbs step, ADAM lr 0.01,
#       20 epochs (2000 updates).  PGM (bench/ref_pgm.py) with
#       NUMBA_NUM_THREADS=1 and 2, its fit timed after a compiling warm-up;
#       symrbm as the full CLI (`symrbm sim --data-file` of a binary sample
#       file, all outputs written) with the default outputs and lean ones
#       (--loglik-rows final --weights-rows final), the lean CLI with
#       --threads 2 (set beside PGM's 2 threads, wall against wall), and
#       as the library (bench_sim).
#   (b) the paper's Fig. 5 run shortened: N = 100, M = 1, PCD-20, 100
#       chains (PGM's default: n_chains = batch size), SGD lr 0.1, batch
#       100; seconds per update of each, extrapolated to 10 seeds x 10^6
#       updates (100 epochs of B = 10^6) two seeds at a time on 2 cores.
# Times: minimum over PGM_REPS (2) repeats; wall and CPU seconds.  PGM is
# looked for in PGM_DIR (/tmp/pgm/source); numba comes from Debian
# (scripts/deps.sh bench).  Skipped with a message when either is missing.
# PGM_PART=a or b runs only that part (default: both).
set -euo pipefail
build=${1:-build}
bin=$build/symrbm
reps=${PGM_REPS:-2}
pgm=${PGM_DIR:-/tmp/pgm/source}
py=/usr/bin/python3
echo "== PGM side by side (issue 9 trainer speed) =="
if [ ! -f "$pgm/rbm.py" ]; then
    echo "PGM side by side: skipped (no PGM at $pgm; set PGM_DIR to its source/ directory)"
    exit 0
fi
if ! { scripts/deps.sh bench >/dev/null 2>&1 && "$py" -c 'import numba, numpy' 2>/dev/null; }; then
    echo "PGM side by side: skipped (numba unavailable: scripts/deps.sh bench as root installs python3-numba)"
    exit 0
fi
make --no-print-directory -s BUILD="$build" "$build/bench/bench_sim" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
get() { awk -F'\t' -v k="$2" '$1 == k {print $2}' "$1"; }
# best REPS "wall cpu" of a command (cpu = user + sys of the process)
best() {
    local bw= bc=
    for _ in $(seq "$reps"); do
        # wall to the microsecond (GNU time's %e has 10 ms steps: 20 % of a
        # 0.05 s run); CPU as GNU time reports it (10 ms steps)
        local t0 t1
        t0=$(date +%s%N)
        /usr/bin/time -o "$tmp/time" -f "%e %U %S" "$@" >/dev/null
        t1=$(date +%s%N)
        read -r _ u s < "$tmp/time"
        w=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f", (b - a) / 1e9}')
        c=$(awk -v u="$u" -v s="$s" 'BEGIN{print u + s}')
        if [ -z "$bw" ] || awk -v a="$w" -v b="$bw" 'BEGIN{exit !(a<b)}'; then bw=$w; fi
        if [ -z "$bc" ] || awk -v a="$c" -v b="$bc" 'BEGIN{exit !(a<b)}'; then bc=$c; fi
    done
    echo "$bw $bc"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1fx", a / b}'; }

part=${PGM_PART:-ab}
pcd="--hidden spin --M 5 --model-term pcd --chains 100 --mc-steps 1 --optimizer adam --lr 0.01 --batch 100 --epochs 20"
[[ $part == *a* ]] && printf "%-6s %-38s %9s %9s %12s %12s\n" N run wall_s cpu_s "PGM-1/this" "(cpu)"
for N in 100 1000; do
    [[ $part == *a* ]] || break
    "$bin" sample --N "$N" --B 10000 --seed 1 --out "$tmp/d$N.txt" >/dev/null
    "$bin" sample --N "$N" --B 10000 --seed 1 --format bin --out "$tmp/d$N.bin" >/dev/null
    for th in 1 2; do
        NUMBA_NUM_THREADS=$th "$py" bench/ref_pgm.py --pgm "$pgm" --data "$tmp/d$N.txt" --M 5 \
            --optimizer ADAM --lr 0.01 --batch 100 --chains 100 --mc 1 --epochs 20 \
            --repeats "$reps" > "$tmp/pgm$N.$th" 2>/dev/null
        printf "%-6s %-38s %9.3f %9.3f\n" "$N" "PGM NUMBA_NUM_THREADS=$th (fit)" \
            "$(get "$tmp/pgm$N.$th" fit_s_min)" "$(get "$tmp/pgm$N.$th" fit_cpu_s_min)"
    done
    p1=$(get "$tmp/pgm$N.1" fit_s_min) p1c=$(get "$tmp/pgm$N.1" fit_cpu_s_min)
    # shellcheck disable=SC2086
    read -r w c < <(best "$bin" sim --data-file "$tmp/d$N.bin" $pcd --out "$tmp/s$N")
    printf "%-6s %-38s %9.3f %9.3f %12s %12s\n" "$N" "symrbm sim (CLI, default outputs)" "$w" "$c" \
        "$(ratio "$p1" "$w")" "$(ratio "$p1c" "$c")"
    # shellcheck disable=SC2086
    read -r w c < <(best "$bin" sim --data-file "$tmp/d$N.bin" $pcd --loglik-rows final --weights-rows final --out "$tmp/s$N")
    printf "%-6s %-38s %9.3f %9.3f %12s %12s\n" "$N" "symrbm sim (CLI, lean outputs)" "$w" "$c" \
        "$(ratio "$p1" "$w")" "$(ratio "$p1c" "$c")"
    # shellcheck disable=SC2086
    read -r w c < <(best "$bin" sim --data-file "$tmp/d$N.bin" $pcd --threads 2 --out "$tmp/s$N")
    printf "%-6s %-38s %9.3f %9.3f %12s %12s\n" "$N" "symrbm sim (CLI, default, --threads 2)" "$w" "$c" \
        "$(ratio "$p1" "$w")" "$(ratio "$p1c" "$c")"
    # shellcheck disable=SC2086
    read -r w c < <(best "$bin" sim --data-file "$tmp/d$N.bin" $pcd --loglik-rows final --weights-rows final --threads 2 --out "$tmp/s$N")
    p2=$(get "$tmp/pgm$N.2" fit_s_min)
    printf "%-6s %-38s %9.3f %9.3f %12s %12s\n" "$N" "symrbm sim (CLI, lean, --threads 2)" "$w" "$c" \
        "$(ratio "$p1" "$w")" "$(ratio "$p1c" "$c")"
    printf "%-6s %-38s %9s %9s %12s\n" "$N" "  PGM-2 wall / this (--threads 2) wall" "" "" "$(ratio "$p2" "$w")"
    "$build/bench/bench_sim" "pcd_N${N}_M5_spin" > "$tmp/lib" 2> "$tmp/libcpu"
    lib=$(awk '{print $(NF-4)}' "$tmp/lib") libc=$(awk '{print $3}' "$tmp/libcpu")
    printf "%-6s %-38s %9.3f %9.3f %12s %12s\n" "$N" "symrbm library (bench_sim, best of 3)" "$lib" \
        "$libc" "$(ratio "$p1" "$lib")" "$(ratio "$p1c" "$libc")"
    "$build/bench/bench_sim" "threads2_N${N}_M5_spin" > "$tmp/lib" 2> "$tmp/libcpu"
    lib=$(awk '{print $(NF-4)}' "$tmp/lib") libc=$(awk '{print $3}' "$tmp/libcpu")
    printf "%-6s %-38s %9.3f %9.3f %12s %12s\n" "$N" "symrbm library, 2 threads" "$lib" \
        "$libc" "$(ratio "$p1" "$lib")" "$(ratio "$p1c" "$libc")"
    printf "%-6s %-38s %9s %9s %12s\n" "$N" "  PGM-2 wall / library 2 threads wall" "" "" "$(ratio "$p2" "$lib")"
done
[[ $part == *a* ]] && echo "target (issue 9): PGM/symrbm 20x at both N (on a loaded machine the cpu ratio is the one to trust)"
[[ $part == *b* ]] || exit 0

echo "-- Fig. 5 run shortened: N=100 M=1 PCD-20, 100 chains, SGD lr 0.1, batch 100 --"
"$bin" sample --N 100 --B 10000 --seed 2 --out "$tmp/f.txt" >/dev/null
"$bin" sample --N 100 --B 1000000 --seed 2 --format bin --out "$tmp/f.bin" >/dev/null
printf "%-36s %8s %9s %9s %12s %16s\n" run updates wall_s cpu_s cpu_s/update "10 seeds cpu (s)"
# 10 seeds x 10^6 updates, two at a time on 2 cores: cpu per update x 5 x 10^6
extra() { awk -v s="$1" 'BEGIN{printf "%.0f", s * 1e6 * 10 / 2}'; }
NUMBA_NUM_THREADS=1 "$py" bench/ref_pgm.py --pgm "$pgm" --data "$tmp/f.txt" --M 1 --optimizer SGD \
    --lr 0.1 --batch 100 --chains 100 --mc 20 --epochs 2 --repeats 1 > "$tmp/pgmf" 2>/dev/null
pu=$(get "$tmp/pgmf" updates)
su=$(awk -v c="$(get "$tmp/pgmf" fit_cpu_s_min)" -v u="$pu" 'BEGIN{print c / u}')
printf "%-36s %8s %9.3f %9.3f %12.3g %16s\n" "PGM NUMBA_NUM_THREADS=1 (fit)" "$pu" \
    "$(get "$tmp/pgmf" fit_s_min)" "$(get "$tmp/pgmf" fit_cpu_s_min)" "$su" "$(extra "$su")"
for gb in float bits lanes; do
    read -r w c < <(best "$bin" sim --data-file "$tmp/f.bin" --hidden spin --M 1 --model-term pcd \
        --chains 100 --mc-steps 20 --optimizer sgd --lr 0.1 --batch 100 --epochs 2 --gibbs "$gb" \
        --loglik-rows final --weights-rows final --out "$tmp/f$gb")
    su=$(awk -v c="$c" 'BEGIN{print c / 20000}')
    printf "%-36s %8s %9.3f %9.3f %12.3g %16s\n" "symrbm sim --gibbs $gb (CLI, lean)" 20000 "$w" "$c" \
        "$su" "$(extra "$su")"
done
echo "target (issue 9): 10 seeds within 600 s (two at a time on 2 cores)"
