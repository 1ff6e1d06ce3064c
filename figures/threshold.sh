#!/usr/bin/env bash
# Figure 5 from nothing: run every sweep of figures/threshold_sweeps.txt into
# DATA/threshold_<model>_N<N>/x<param>/ (symrbm threshold is resumable:
# a rerun only computes missing tasks), collect the B_c tables, draw.
# Usage: figures/threshold.sh BIN DATA OUT     (THRESHOLD_NMAX=100 skips N = 400)
set -euo pipefail
bin=$1 data=$2 out=$3
nmax=${THRESHOLD_NMAX:-400}
jobs=$(nproc 2>/dev/null || echo 2)
grep -v '^#' figures/threshold_sweeps.txt | while read -r line; do
    [ -n "$line" ] || continue
    # shellcheck disable=SC2086
    set -- $line
    model= N= x=
    while [ $# -gt 0 ]; do
        case $1 in
            --data) model=$2 ;;
            --N) N=$2 ;;
            --beta|--eps) x=$2 ;;
        esac
        shift
    done
    [ "$N" -le "$nmax" ] || continue
    [ -t 2 ] && echo "figures: threshold sweep $model N=$N x=$x" >&2
    # shellcheck disable=SC2086
    "$bin" threshold $line --jobs "$jobs" --out "$data/threshold_${model}_N$N/x$x" > /dev/null
done
bash figures/threshold_collect.sh "$data"
gnuplot -e "datadir='$data'; outdir='$out'" figures/threshold.gp
