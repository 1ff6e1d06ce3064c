#!/bin/bash
# Collect the summary.tsv of every threshold sweep under
# DATA/threshold_<model>_N<N>/x<param>/ into DATA/threshold_<model>_N<N>/bc.tsv,
# the table figures/threshold.gp draws (figure 5; README.md, section symrbm threshold).
set -euo pipefail
data=${1:-figures/data}
keys="Bc_bbp Bc_rmt Bc_lin Bc_lin_lo Bc_lin_hi Bc_Q Bc_Q_lo Bc_Q_hi Bc_S Bc_S_lo Bc_S_hi lambda_max Bc_Q2 Bc_Q2_lo Bc_Q2_hi Bc_rmt_top"
for d in "$data"/threshold_*_N*/; do
    out="$d/bc.tsv"
    tmp=$(mktemp "$d/.bc.tsv.XXXXXX")
    {
        echo "# collected by figures/threshold_collect.sh from $d*/summary.tsv"
        echo "x $keys" | tr ' ' '\t'
        for s in "$d"x*/summary.tsv; do
            [ -f "$s" ] || continue
            x=$(basename "$(dirname "$s")"); x=${x#x}
            row="$x"
            for k in $keys; do
                v=$(awk -v k="$k" '$1 == k {print $2}' "$s")
                row="$row"$'\t'"${v:-nan}"
            done
            echo "$row"
        done | sort -g
    } > "$tmp"
    mv "$tmp" "$out"
done
