#!/usr/bin/env bash
# make demo: the main job on embedded defaults.  The infinite-data theory for
# ising data (N = 100, beta = 1, T = 40, seed 1), then a human summary.
# Files land under demo-out/.
set -euo pipefail
bin=${1:-build/symrbm}
out=${DEMO_OUT:-demo-out}
mkdir -p "$out"

get() { awk -F'\t' -v k="$2" '$1 == k {print $2}' "$1"; }
fmt() { awk -v x="$1" -v f="$2" 'BEGIN { if (x == "nan") print "n/a"; else printf f, x }'; }

"$bin" theory --data ising --N 100 --beta 1 --T 40 --seed 1 --out "$out/theory"
s="$out/theory/summary.tsv"
phase=$(get "$s" phase)
cat <<TXT
symrbm demo: theory of one gaussian hidden unit learning ising data
  data             ising, N = 100, beta = 1 (T = 40, seed 1)
  phase            $phase$([ "$phase" = broken ] && echo " (the receptive field localised)")
  t_sb             $(fmt "$(get "$s" t_sb)" "%.3f")
  final pr         $(fmt "$(get "$s" pr)" "%.4f")   (1 = uniform, ~width/N for a bump)
  final R          $(fmt "$(get "$s" R)" "%.4f")   (0 = symmetric, 1 = localised)
  final norm2      $(fmt "$(get "$s" norm2)" "%.4f")
  KL per site      $(fmt "$(get "$s" kl)" "%.5f") nats
  wall time        $(fmt "$(get "$s" wall_s)" "%.3f") s ($(get "$s" n_rhs) right-hand sides)
  files            $out/theory/{trajectory,weights,summary,spectrum}.tsv
TXT
