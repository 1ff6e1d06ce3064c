#!/usr/bin/env bash
# The restoration figures (issue 9 item 7; SPEC.md 8) from `symrbm diffusion`:
#
#   diff_walks     the unwrapped centres X(t) - X(t_form) of every seed (the
#                  paper's Fig. 5a);
#   diff_msd       their time- and seed-averaged MSD after formation with the
#                  bootstrap band over seeds and the fit a + 2 D tau (Fig. 5b);
#   diff_coherent  the three centres of one M = 3 run (Fig. 6).
#
# Runs (resumable: `symrbm diffusion` loads the seeds it already has):
#   online  ising N = 100, beta = 1, one binary unit, exact model term,
#           online sampling, lr 0.05, batch 50 (nu/b = 1e-3, where the
#           leading-order D_pred applies), T = 2000, 8 seeds (158 s of
#           wall time summed over seeds on the loaded machine);
#   m3      lr 0.05, batch 10, M = 3 (exact 2^3 model term), T = 4000,
#           2 seeds (25 s of wall time summed);
#   paper   DIFF_PAPER=1 only (make.sh: DIFFUSION=1): the paper's setting,
#           B = 10^6, PCD-20, 100 chains, lr 0.1, batch 100, per-epoch
#           reshuffle, DIFF_EPOCHS epochs (default 100), DIFF_PAPER_SEEDS
#           seeds (default 2; about 10 s of CPU per seed and epoch); then
#           diff_walks and diff_msd are drawn from it against epochs.
# make.sh runs the cheap default (online and m3) always.
# Usage (from the repository root): figures/diffusion.sh BIN DATA OUT
set -euo pipefail
bin=$1 data=$2/diffusion out=$3
jobs=$(nproc 2>/dev/null || echo 2)
mkdir -p "$data" "$out"
key() { awk -F'\t' -v k="$2" '$1 == k { print $2 }' "$1/summary.tsv"; }
common="--data ising --N 100 --beta 1 --hidden spin --seed 1 --jobs $jobs"
"$bin" diffusion $common --M 1 --model-term exact --sampling online --lr 0.05 --batch 50 \
    --B 10000 --T 2000 --seeds 8 --out "$data/online" > /dev/null
"$bin" diffusion $common --M 3 --model-term exact --sampling online --lr 0.05 --batch 10 \
    --B 10000 --T 4000 --seeds 2 --out "$data/m3" > /dev/null
walk=$data/online
if [ "${DIFF_PAPER:-0}" = 1 ]; then
    "$bin" diffusion $common --M 1 --model-term pcd --mc-steps 20 --chains 100 \
        --sampling epoch --lr 0.1 --batch 100 --B 1000000 --epochs "${DIFF_EPOCHS:-100}" \
        --seeds "${DIFF_PAPER_SEEDS:-2}" --out "$data/paper" > /dev/null
    walk=$data/paper
fi

# x axis: epochs for a reshuffled run (the paper's), learning time t otherwise
if [ "$(key "$walk" sampling)" = epoch ]; then
    xs=$(key "$walk" t_per_epoch) xlab='epochs'
else
    xs=1 xlab='learning time t = lr x updates'
fi
tf=$(key "$walk" t_form)
# walks: X - X at the first snapshot at or after t_form, one block per seed
awk -v tf="$tf" '/^#/ || $1 == "t" { next }
    $3 == 0 && $1 >= tf { if (!($2 in x0)) { x0[$2] = $4; if (n++) print "\n" }
                          print $1, $4 - x0[$2], $2 + 1 }' "$walk/centres.tsv" > "$data/walks.dat"
# seed 0 of the M = 3 run: one row per snapshot, t X_0 X_1 X_2
awk '/^#/ || $1 == "t" || $2 != 0 { next }
    { x[$3] = $4 } $3 == 2 { print $1, x[0], x[1], x[2] }' "$data/m3/centres.tsv" \
    > "$data/coherent.dat"
for fmt in png pdf; do
    gnuplot -e "term='$fmt'; out='$out/diff_walks'; in='$data/walks.dat'; xs=$xs; \
        xlab='$xlab'; tf=$tf" figures/diff_walks.gp
    gnuplot -e "term='$fmt'; out='$out/diff_msd'; in='$walk/msd.tsv'; xs=$xs; xlab='$xlab'; \
        D=$(key "$walk" D); Dlo=$(key "$walk" D_lo); Dhi=$(key "$walk" D_hi); \
        a=$(key "$walk" D_intercept); taumax=$(key "$walk" tau_fit_max); \
        De=$(key "$walk" D_epoch); Dp=$(key "$walk" D_total | sed 's/^nan$/NaN/')" figures/diff_msd.gp
    gnuplot -e "term='$fmt'; out='$out/diff_coherent'; in='$data/coherent.dat'; \
        g0=$(key "$data/m3" gap_0_mean); g2=$(key "$data/m3" gap_2_mean); \
        c01=$(key "$data/m3" corr_0_1); c02=$(key "$data/m3" corr_0_2); \
        c12=$(key "$data/m3" corr_1_2)" figures/diff_coherent.gp
done
