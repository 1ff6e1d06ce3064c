#!/usr/bin/env bash
# Figure 3b (the paper's Fig. 3b): receptive-field width fwhm (SPEC.md 4)
# against the data's correlation length xi = -1/ln tanh(beta), for one
# binary (+-1) hidden unit (SPEC.md 3b) learning ising data.
#
#   theory line: the fixed point of the exact flow (T = 1e5) at N = 400, for
#                xi = 2 .. 12 (beta = atanh(exp(-1/xi))); N = 400 because at
#                xi = 12 the width still moves by 2% between N = 200 and 400
#                but by < 0.1% between 400 and 800 (fig3b_ncheck.dat keeps
#                the N = 200 / 400 pair of every run);
#   fit:         least squares fwhm = a xi + b (with intercept) to that line;
#   paper clock: the same flow at the sims' ring and learning time
#                (N = 100, t = lr x updates = 0.001 x 100 x 10^4/10 = 100);
#   sim points:  the paper's settings, PCD-20, SGD lr 0.001, batch 10,
#                B = 10^4, 100 epochs, N = 100, FIG3B_SEEDS seeds per beta at
#                xi = 2, 4, 6, 8, 10 (45-55 s per run on an idle core;
#                FIG3B_SEEDS=0 skips them).
#
# Runs are resumable: a run whose summary.tsv exists is not repeated (every
# file is written atomically, so an existing summary is a finished run).
# Usage: figures/fig3b.sh BIN DATA OUT
# Writes DATA/fig3b/{theory,ncheck,fit,sim,sim_mean}.dat and OUT/fig3b_width.{png,pdf}.
set -euo pipefail
bin=$1 data=$2/fig3b out=$3
seeds=${FIG3B_SEEDS:-3}
jobs=$(nproc 2>/dev/null || echo 2)
mkdir -p "$data" "$out"
log() { [ -t 2 ] && echo "figures: fig3b: $*" >&2 || true; }

beta_of() { awk -v x="$1" 'BEGIN { t = exp(-1 / x); printf "%.17g", 0.5 * log((1 + t) / (1 - t)) }'; }
key() { awk -F'\t' -v k="$2" '$1 == k { print $2 }' "$1/summary.tsv"; }

xis_theory="2 3 4 5 6 7 8 9 10 11 12"
xis_sim="2 4 6 8 10"
xmax=12

# every run as one line "DIR ARGS...", skipped when DIR/summary.tsv exists,
# run $jobs at a time
tasks=$data/tasks.txt
: > "$tasks"
task() { local dir=$1; shift; [ -f "$dir/summary.tsv" ] || echo "$dir $*" >> "$tasks"; }
theory="theory --data ising --hidden spin --M 1 --seed 1 --snapshots 20 --weights final"
for xi in $xis_theory; do
    b=$(beta_of "$xi")
    task "$data/th_N400_xi$xi" $theory --N 400 --beta "$b" --T 1e5
    task "$data/th_N100_t100_xi$xi" $theory --N 100 --beta "$b" --T 100
done
task "$data/th_N200_xi$xmax" $theory --N 200 --beta "$(beta_of $xmax)" --T 1e5
for s in $(seq 1 "$seeds"); do   # seed-major: a cut-short run still covers every beta
    for xi in $xis_sim; do
        task "$data/sim_xi${xi}_s$s" sim --data ising --N 100 --beta "$(beta_of "$xi")" \
            --hidden spin --M 1 --model-term pcd --mc-steps 20 --optimizer sgd --lr 0.001 \
            --batch 10 --B 10000 --B-test 0 --epochs 100 --seed "$s" --snapshots 20
    done
done
log "$(wc -l < "$tasks") runs, $jobs at a time"
# shellcheck disable=SC2016
xargs -r -P "$jobs" -L 1 sh -c 'd=$1; shift; "$0" "$@" --out "$d" > /dev/null' "$bin" < "$tasks"

{
    echo "# xi beta fwhm(N=400,T=1e5) fwhm(N=100,T=100) norm2 R"
    for xi in $xis_theory; do
        d=$data/th_N400_xi$xi
        echo "$xi $(beta_of "$xi") $(key "$d" fwhm) $(key "$data/th_N100_t100_xi$xi" fwhm)" \
             "$(key "$d" norm2) $(key "$d" R)"
    done
} > "$data/theory.dat"
{
    echo "# xi N fwhm (T = 1e5): the N-independence check at the largest xi"
    echo "$xmax 200 $(key "$data/th_N200_xi$xmax" fwhm)"
    echo "$xmax 400 $(key "$data/th_N400_xi$xmax" fwhm)"
} > "$data/ncheck.dat"
# least squares fwhm = a xi + b over the theory line
awk '!/^#/ { n++; sx += $1; sy += $3; sxx += $1 * $1; sxy += $1 * $3 }
     END { a = (n * sxy - sx * sy) / (n * sxx - sx * sx); b = (sy - a * sx) / n
           printf "# fwhm = a xi + b, least squares over %d theory points\n%.6g %.6g\n", n, a, b }' \
    "$data/theory.dat" > "$data/fit.dat"
{
    echo "# xi beta seed fwhm R (sim, N = 100, PCD-20, SGD lr 0.001, batch 10, B = 1e4, 100 epochs)"
    for s in $(seq 1 "$seeds"); do
        for xi in $xis_sim; do
            d=$data/sim_xi${xi}_s$s
            [ -f "$d/summary.tsv" ] && echo "$xi $(beta_of "$xi") $s $(key "$d" fwhm) $(key "$d" R)"
        done
    done
} > "$data/sim.dat"
{
    echo "# xi fwhm_mean fwhm_sd n (sim; sd over seeds)"
    awk '!/^#/ && $4 == $4 + 0 { n[$1]++; s[$1] += $4; q[$1] += $4 * $4 }
         END { for (x in n) { m = s[x] / n[x]; v = n[x] > 1 ? (q[x] - n[x] * m * m) / (n[x] - 1) : 0
                              printf "%s %.6g %.6g %d\n", x, m, sqrt(v > 0 ? v : 0), n[x] } }' \
        "$data/sim.dat" | sort -g
} > "$data/sim_mean.dat"
read -r a b < <(grep -v '^#' "$data/fit.dat")
log "fit fwhm = $a xi + $b"
for t in png pdf; do
    gnuplot -e "term='$t'; out='$out/fig3b_width'; th='$data/theory.dat'; sim='$data/sim.dat';
                simm='$data/sim_mean.dat'; fa=$a; fb=$b" figures/fig3b_width.gp
done
