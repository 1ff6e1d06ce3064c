#!/usr/bin/env bash
# D against nu/b (issue 9 item 7, the new figure; SPEC.md 8): the measured
# diffusion constant of the receptive-field centre, online sampling with the
# exact model term (ising N = 100, beta = 1, M = 1), binary and gaussian
# hidden units, at several (lr, batch), beside the leading-order prediction
# D_pred = nu e^T Sigma e / (2 b |dw*/dX|^2), a line of slope one in nu/b.
#
# By default it draws from the committed table figures/data/diffusion_lr.tsv
# (seconds).  DIFFUSION_LR=1 reruns every point of the list below into
# DATA/diffusion_lr/ (resumable: `symrbm diffusion` loads the seeds it has;
# about 28 minutes of CPU in total, measured 2026-12-02), writes DATA/diffusion_lr.tsv
# and draws from that instead.  Copy it over figures/data/diffusion_lr.tsv to
# update the committed table.
#
# Table columns: hidden lr batch nu_over_b T seeds D D_lo D_hi D_pred ratio
# ratio_lo ratio_hi intercept linearity broken.  broken = seeds whose field
# broke up after formation: norm2 or R (SPEC.md 4) below 0.5 at some
# snapshot after t_form (the formed gaussian field sits at norm2 = 1.08,
# R = 0.88, the binary one at R = 0.93; a field that dissolves and re-forms
# elsewhere passes through small norm2).
# Usage (from the repository root): figures/diffusion_lr.sh BIN DATA OUT
set -euo pipefail
bin=$1 data=$2 out=$3
jobs=$(nproc 2>/dev/null || echo 2)
table=figures/data/diffusion_lr.tsv
# hidden lr batch T seeds.  No gaussian point beyond nu/b = 5e-4: at lr 0.1,
# batch 100 a seed's weights diverge within 22 updates, at lr 0.05, batch 50
# (1e-3) every field collapses repeatedly (norm2 down to 0.06-0.18) and one
# seed of six diverged at t = 124, at batch 20 one at t = 15 ("weights
# diverged ... lower lr": symrbm diffusion stops).
points="gaussian 0.01 100 400 32
gaussian 0.01 80 400 32
gaussian 0.01 50 400 32
gaussian 0.015 100 400 32
gaussian 0.02 100 400 32
gaussian 0.02 80 400 32
gaussian 0.025 100 400 32
gaussian 0.05 100 400 32
spin 0.01 100 1500 16
spin 0.02 100 1500 32
spin 0.05 100 1500 32
spin 0.01 10 1500 32
spin 0.1 100 1500 32
spin 0.05 40 1500 32
spin 0.1 40 1500 32"
key() { awk -F'\t' -v k="$2" '$1 == k { print $2 }' "$1/summary.tsv"; }
if [ "${DIFFUSION_LR:-0}" = 1 ]; then
    mkdir -p "$data/diffusion_lr"
    table=$data/diffusion_lr.tsv
    printf 'hidden\tlr\tbatch\tnu_over_b\tT\tseeds\tD\tD_lo\tD_hi\tD_pred\tratio\tratio_lo\tratio_hi\tintercept\tlinearity\tbroken\n' > "$table"
    echo "$points" | while read -r h lr b T S; do
        d=$data/diffusion_lr/${h}_lr${lr}_b$b
        [ -t 2 ] && echo "figures: diffusion_lr $h lr $lr batch $b" >&2
        "$bin" diffusion --data ising --N 100 --beta 1 --hidden "$h" --M 1 --model-term exact \
            --sampling online --lr "$lr" --batch "$b" --T "$T" --seeds "$S" --seed 1 --B 1000 \
            --jobs "$jobs" --out "$d" > /dev/null
        tf=$(key "$d" t_form)
        nb=$(awk -v tf="$tf" '/^#/ || $1 == "t" { next } $1 >= tf && ($3 < 0.5 || $5 < 0.5) {
                b[FILENAME] = 1 } END { n = 0; for (s in b) n++; print n }' "$d"/tasks/seed_*/trajectory.tsv)
        D=$(key "$d" D) lo=$(key "$d" D_lo) hi=$(key "$d" D_hi) p=$(key "$d" D_pred)
        awk -v h="$h" -v lr="$lr" -v b="$b" -v nb="$nb" -v T="$T" -v S="$(key "$d" seeds_formed)" \
            -v D="$D" -v lo="$lo" -v hi="$hi" -v p="$p" -v a="$(key "$d" D_intercept)" \
            -v l="$(key "$d" linearity)" -v nub="$(key "$d" nu_over_b)" 'BEGIN {
            printf "%s\t%s\t%s\t%.6g\t%s\t%s\t%.6g\t%.6g\t%.6g\t%.6g\t%.4f\t%.4f\t%.4f\t%.4g\t%.4f\t%s\n",
                h, lr, b, nub, T, S, D, lo, hi, p, D / p, lo / p, hi / p, a, l, nb }' >> "$table"
    done
fi
# the predicted lines: D_pred / (nu/b) of each unit kind (a constant)
slope() { awk -F'\t' -v h="$1" '$1 == h { print $10 / $4; exit }' "$table"; }
for fmt in png pdf; do
    gnuplot -e "term='$fmt'; out='$out/diffusion_lr'; in='$table'; \
        kb=$(slope spin); kg=$(slope gaussian)" figures/diffusion_lr.gp
done
