#!/usr/bin/env bash
# make figures: regenerate the figure set from nothing into figures/out/
# (PNG and PDF).  Runs the theory, the simulations and the phase scan it needs
# under figures/out/data/, then gnuplot.  Captions: figures/README.md.
set -euo pipefail
bin=${1:-build/symrbm}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=$root/figures/out
data=$out/data
mkdir -p "$out" "$data"
cd "$root"
log() { [ -t 2 ] && echo "figures: $*" >&2 || true; }

plot() { # plot SCRIPT NAME [gnuplot -e assignments]
    local script=$1 name=$2; shift 2
    for t in png pdf; do
        gnuplot -e "term='$t'; out='$out/$name'; $*" "figures/$script"
    done
}

# weights.tsv -> "i t w" triples for a heat map (blank line between times)
triples() { awk '!/^#/ && $1 != "t" { for (i = 3; i <= NF; i++) print i - 3, $1, $i; print "" }' "$1"; }
# final rows of a weights.tsv -> columns "i w_mu0 w_mu1 ..."
final_columns() {
    awk '!/^#/ && $1 != "t" { t = $1; row[$2] = $0 } END {
        n = 0; for (m in row) n++
        split(row[0], a); N = length(a) - 2
        for (i = 0; i < N; i++) { line = i; for (m = 0; m < n; m++) { split(row[m], b); line = line " " b[i + 3] } print line } }' "$1"
}

# (1)-(3): theory and simulation of ising N = 100 beta = 1
log "theory"
"$bin" theory --data ising --N 100 --beta 1 --T 40 --seed 1 --out "$data/theory"
for B in 10000 100000; do
    log "simulation B = $B"
    "$bin" sim --data ising --N 100 --beta 1 --B $B --hidden gaussian --M 1 --model-term exact \
        --optimizer sgd --lr 0.01 --batch 0 --T 40 --seed 1 --theory "$data/theory" \
        --out "$data/sim_B$B"
done
triples "$data/theory/weights.tsv" > "$data/heatmap.dat"
plot fig1_heatmap.gp fig1_receptive_field "dat='$data/heatmap.dat'"
tr="trajectory.tsv"
plot fig2_modes.gp fig2_modes "th='$data/theory/$tr'; s4='$data/sim_B10000/$tr'; s5='$data/sim_B100000/$tr'"
plot fig3_order.gp fig3_order_parameters "th='$data/theory/$tr'; s4='$data/sim_B10000/$tr'; s5='$data/sim_B100000/$tr'"

# (4): beta_c(N) and long integrations on either side
log "phase boundary"
Ns="25 50 100 200 400"
"$bin" phase --data ising --N "$(echo $Ns | tr ' ' ',')" --out "$data/phase.tsv" > /dev/null
awk '!/^#/ && $1 != "N" && NF == 4 { print $1, $2 }' "$data/phase.tsv" > "$data/beta_c.dat"
: > "$data/phase_points.dat"
while read -r N bc; do
    for d in -0.1 0.1; do
        b=$(awk -v x="$bc" -v d="$d" 'BEGIN { printf "%.6f", x + d }')
        "$bin" theory --data ising --N "$N" --beta "$b" --T 300 --weights none --snapshots 10 \
            --out "$data/phase_N${N}_b$b" > /dev/null
        R=$(awk -F'\t' '$1 == "R" { print $2 }' "$data/phase_N${N}_b$b/summary.tsv")
        echo "$N $b $R" >> "$data/phase_points.dat"
    done
done < "$data/beta_c.dat"
plot fig4_phase.gp fig4_phase_boundary "pb='$data/beta_c.dat'; pts='$data/phase_points.dat'"

# (6): M = 5 spin hidden units, PCD, at beta = 1 and 1.5
for b in 1 1.5; do
    log "M = 5 receptive fields, beta = $b"
    "$bin" sim --data ising --N 100 --beta $b --B 10000 --hidden spin --M 5 --model-term pcd \
        --chains 100 --mc-steps 1 --optimizer adam --lr 0.01 --batch 100 --epochs 20 --seed 1 \
        --out "$data/fields_beta$b"
    final_columns "$data/fields_beta$b/weights.tsv" > "$data/fields_beta$b.dat"
done
plot fig6_fields.gp fig6_receptive_fields "w1='$data/fields_beta1.dat'; w15='$data/fields_beta1.5.dat'"

# The paper's figures with binary hidden units (Figs. 3a, 4a-c, 7, 12, 14
# and the binary unit's beta_c(N)): figures/binary.sh, after figure 4 above
# so that its phase plot can show the gaussian boundary too.  About 6
# minutes on 2 idle cores, most of it the PCD-20 runs at M = 25 and 100;
# FIG4C=1 trains M = 100 for the paper's 100 epochs (about 17 minutes more).
bash figures/binary.sh "$bin" "$data" "$out"

# (5): critical sample sizes: the sweeps of figures/threshold_sweeps.txt
# (about 7 minutes on 2 cores; THRESHOLD_NMAX=100 keeps the N = 100 ones)
bash figures/threshold.sh "$bin" "$data" "$out"

# Fig. 3b: receptive-field width against correlation length, binary hidden
# unit; opt-in (FIG3B=1): about 2 minutes of theory plus about 50 s of CPU
# per sim run (FIG3B_SEEDS seeds x 5 betas, default 3; 0 for theory only)
if [ "${FIG3B:-0}" = 1 ]; then
    log "fig3b: width against correlation length"
    bash figures/fig3b.sh "$bin" "$data" "$out"
fi
# Symmetry restoration (issue 9; SPEC.md 8): figures/diffusion.sh - the
# centre walks, the MSD with the fit and the predicted line, three coherent
# centres.  The cheap online version always (seeds' wall times summed:
# 183 s on the loaded machine);
# DIFFUSION=1 adds the paper's setting (B = 10^6, PCD-20, per-epoch
# reshuffle; DIFF_EPOCHS epochs x DIFF_PAPER_SEEDS seeds, default 100 x 2,
# about 10 s of CPU per epoch and seed) and draws the walks and the MSD
# from it against epochs.
log "diffusion"
DIFF_PAPER="${DIFFUSION:-0}" bash figures/diffusion.sh "$bin" "$data" "$out"
# Pinning at finite B (issue 9 item 5; SPEC.md 8): figures/pinning.sh, the
# predicted P(X) of one training set against the measured centres at three
# B (fast default: T = 2e4, 4 seeds per B, 65 s of CPU; PIN_T, PIN_SEEDS,
# PIN_B).
log "pinning"
bash figures/pinning.sh "$bin" "$data" "$out"
bash figures/diffusion_lr.sh "$bin" "$data" "$out"   # D against nu/b: the committed table; DIFFUSION_LR=1 reruns it (~28 min CPU)

# XY data (issue 10; SPEC.md 9): the paper's Fig. 8 (100 exact
# configurations, a second) and Fig. 13d-e (the data-only threshold sweep of
# the empirical one-hot correlation, `threshold --hidden none`).  By default
# the sweep stops at B = 1e5 (r >= 1e-3, about 2 minutes on 2 cores);
# XY_RMT=1 runs the paper's range down to r = 2e-5 (B = 5e6: 500 MB of
# samples and about a minute per task).
log "xy configurations"
bash figures/xy_configs.sh "$bin" "$data" "$out"
log "xy receptive fields (Figs. 9-10)"
bash figures/xy_fields.sh "$bin" "$data" "$out"
log "xy random-matrix sweep"
if [ "${XY_RMT:-0}" = 1 ]; then
    bash figures/xy_rmt.sh "$bin" "$data" "$out"
else
    XY_RMT_BMAX="${XY_RMT_BMAX:-1e5}" bash figures/xy_rmt.sh "$bin" "$data" "$out"
fi
log "xy trained thresholds (Fig. 11)"
if [ "${XY_THR:-0}" = 1 ]; then bash figures/xy_thr.sh "$bin" "$data" "$out"; else XY_THR_BMAX="${XY_THR_BMAX:-1e5}" XY_THR_POINTS=9 bash figures/xy_thr.sh "$bin" "$data" "$out"; fi

log "done: $out"
