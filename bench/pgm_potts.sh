#!/usr/bin/env bash
# bench/pgm_potts.sh BUILD_DIR: symrbm's Potts trainer beside the authors'
# PGM package (issue 10 acceptance "Speed": PCD on XY data against PGM,
# which has Potts visible units; target 10x), in one run on one machine.
# Task: xy data P = 10, beta = 1.5, N = 100, B = 10^4; M = 5 +-1 hidden
# units (PGM hidden='Spin', symrbm --hidden spin); PCD, 100 persistent
# chains, 1 Gibbs step, batch 100, ADAM lr 0.01, 20 epochs (2000 updates);
# visible fields and hidden fields learned in both (PGM always learns them:
# symrbm --fields learn, and its Potts default --hidden-fields auto).
# PGM: bench/ref_pgm.py --visible Potts --P 10 on a `symrbm sample --data
# xy` text file (states 0..P-1) with NUMBA_NUM_THREADS=1 and 2, its fit
# timed after a compiling warm-up.  symrbm: the full CLI (`symrbm sim --data
# xy`, which draws its own B samples exactly from the same model) with the
# default outputs and lean ones (--loglik-rows final --weights-rows final).
# Times: minimum over PGM_REPS
# (3) repeats, wall and CPU (user + sys) seconds.  PGM is looked for in
# PGM_DIR (/tmp/pgm_potts/source); numba from Debian (scripts/deps.sh bench).
# Skipped with a message when either is missing.
set -euo pipefail
build=${1:-build}
bin=$build/symrbm
reps=${PGM_REPS:-3}
pgm=${PGM_DIR:-/tmp/pgm_potts/source}
py=/usr/bin/python3
echo "== PGM side by side, Potts visible units (issue 10 speed) =="
if [ ! -f "$pgm/rbm.py" ]; then
    echo "PGM Potts side by side: skipped (no PGM at $pgm; set PGM_DIR to its source/ directory)"
    exit 0
fi
if ! { scripts/deps.sh bench >/dev/null 2>&1 && "$py" -c 'import numba, numpy' 2>/dev/null; }; then
    echo "PGM Potts side by side: skipped (numba unavailable: scripts/deps.sh bench as root installs python3-numba)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
get() { awk -F'\t' -v k="$2" '$1 == k {print $2}' "$1"; }
# best REPS "wall cpu" of a command (cpu = user + sys of the process)
best() {
    local bw= bc=
    for _ in $(seq "$reps"); do
        /usr/bin/time -o "$tmp/time" -f "%e %U %S" "$@" >/dev/null
        read -r w u s < "$tmp/time"
        c=$(awk -v u="$u" -v s="$s" 'BEGIN{print u + s}')
        if [ -z "$bw" ] || awk -v a="$w" -v b="$bw" 'BEGIN{exit !(a<b)}'; then bw=$w; fi
        if [ -z "$bc" ] || awk -v a="$c" -v b="$bc" 'BEGIN{exit !(a<b)}'; then bc=$c; fi
    done
    echo "$bw $bc"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1fx", a / b}'; }

xy="--data xy --P 10 --beta 1.5 --N 100 --B 10000 --seed 1"
pcd="--hidden spin --M 5 --model-term pcd --chains 100 --mc-steps 1 --optimizer adam --lr 0.01 --batch 100 --epochs 20 --fields learn"
# shellcheck disable=SC2086
"$bin" sample $xy --out "$tmp/xy.txt" >/dev/null
printf "%-40s %9s %9s %12s %12s\n" run wall_s cpu_s "PGM-1/this" "(cpu)"
for th in 1 2; do
    NUMBA_NUM_THREADS=$th "$py" bench/ref_pgm.py --pgm "$pgm" --data "$tmp/xy.txt" --visible Potts \
        --P 10 --M 5 --optimizer ADAM --lr 0.01 --batch 100 --chains 100 --mc 1 --epochs 20 \
        --repeats "$reps" > "$tmp/pgm.$th" 2>/dev/null
    printf "%-40s %9.3f %9.3f\n" "PGM NUMBA_NUM_THREADS=$th (fit)" \
        "$(get "$tmp/pgm.$th" fit_s_min)" "$(get "$tmp/pgm.$th" fit_cpu_s_min)"
done
p1=$(get "$tmp/pgm.1" fit_s_min) p1c=$(get "$tmp/pgm.1" fit_cpu_s_min)
# shellcheck disable=SC2086
read -r w c < <(best "$bin" sim $xy $pcd --out "$tmp/s")
printf "%-40s %9.3f %9.3f %12s %12s\n" "symrbm sim (CLI, default outputs)" "$w" "$c" \
    "$(ratio "$p1" "$w")" "$(ratio "$p1c" "$c")"
# shellcheck disable=SC2086
read -r w c < <(best "$bin" sim $xy $pcd --loglik-rows final --weights-rows final --out "$tmp/s")
printf "%-40s %9.3f %9.3f %12s %12s\n" "symrbm sim (CLI, lean outputs)" "$w" "$c" \
    "$(ratio "$p1" "$w")" "$(ratio "$p1c" "$c")"
echo "target (issue 10): PGM/symrbm 10x (on a loaded machine the cpu ratio is the one to trust)"
