#!/usr/bin/env bash
# make demo: the main job on embedded defaults (ising, N = 100, beta = 1,
# T = 40, seed 1).  The infinite-data theory, two simulations with
# B = 10^4 and 10^5 samples (exact model term, plain SGD with lr 0.01 on the
# full batch, so t = lr x updates is the theory's clock), their comparison,
# a summary table for a person, and demo-out/demo.png (+ .pdf).
set -euo pipefail
bin=${1:-build/symrbm}
out=${DEMO_OUT:-demo-out}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
say() { [ -t 2 ] && echo "demo: $*" >&2 || true; }
get() { awk -F'\t' -v k="$2" '$1 == k {print $2}' "$1"; }
fmt() { awk -v x="$1" -v f="$2" 'BEGIN { if (x == "nan" || x == "") print "n/a"; else printf f, x }'; }

say "theory (infinite data)"
"$bin" theory --data ising --N 100 --beta 1 --T 40 --seed 1 --out "$out/theory"
for B in 10000 100000; do
    say "simulation, B = $B"
    "$bin" sim --data ising --N 100 --beta 1 --B "$B" --hidden gaussian --M 1 \
        --model-term exact --optimizer sgd --lr 0.01 --batch 0 --T 40 --seed 1 \
        --theory "$out/theory" --out "$out/sim_B$B"
    say "compare, B = $B"
    "$bin" compare "$out/theory" "$out/sim_B$B" --no-plot --out "$out/compare_B$B"
done
say "figure"
for t in png pdf; do
    (cd "$root" && gnuplot -e "term='$t'; out='$out/demo'; th='$out/theory/trajectory.tsv'; \
        s4='$out/sim_B10000/trajectory.tsv'; s5='$out/sim_B100000/trajectory.tsv'; \
        c4='$out/compare_B10000/compare.tsv'; c5='$out/compare_B100000/compare.tsv'" figures/demo.gp)
done

th="$out/theory/summary.tsv"
c4="$out/compare_B10000/summary.tsv"; c5="$out/compare_B100000/summary.tsv"
s4="$out/sim_B10000/summary.tsv"; s5="$out/sim_B100000/summary.tsv"
phase=$(get "$th" phase)
cat <<TXT
symrbm demo: one gaussian hidden unit learning ising data, N = 100, beta = 1, T = 40, seed 1
  phase (theory)        $phase$([ "$phase" = broken ] && echo ": the receptive field localises")

                          theory    sim B=1e4    sim B=1e5
  t_sb                  $(fmt "$(get "$th" t_sb)" "%8.3f")     $(fmt "$(get "$c4" t_sb_sim)" "%8.3f")     $(fmt "$(get "$c5" t_sb_sim)" "%8.3f")
  final R               $(fmt "$(get "$th" R)" "%8.4f")     $(fmt "$(get "$s4" R)" "%8.4f")     $(fmt "$(get "$s5" R)" "%8.4f")
  final pr              $(fmt "$(get "$th" pr)" "%8.4f")     $(fmt "$(get "$s4" pr)" "%8.4f")     $(fmt "$(get "$s5" pr)" "%8.4f")
  KL per site (nats)*   $(fmt "$(get "$th" kl)" "%8.5f")     $(fmt "$(get "$s4" kl)" "%8.5f")     $(fmt "$(get "$s5" kl)" "%8.5f")
  final Q vs theory            -     $(fmt "$(get "$c4" Q_final)" "%8.5f")     $(fmt "$(get "$c5" Q_final)" "%8.5f")
  max |R_sim - R_th|           -     $(fmt "$(get "$c4" dR_max)" "%8.4f")     $(fmt "$(get "$c5" dR_max)" "%8.4f")
  wall time (s)         $(fmt "$(get "$th" wall_s)" "%8.3f")     $(fmt "$(get "$s4" wall_s)" "%8.3f")     $(fmt "$(get "$s5" wall_s)" "%8.3f")

  * KL(data || RBM) per site; theory: exact population value, sim: on its training samples

  figure   $out/demo.png  (and .pdf)
  files    $out/{theory,sim_B10000,sim_B100000,compare_B10000,compare_B100000}/
TXT
