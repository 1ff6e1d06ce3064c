#!/usr/bin/env bash
# The paper's Fig. 13d-e for the xy data (P = 10, beta = 1.5, N = 100; SPEC.md
# 7 and 9): one data-only threshold sweep (`symrbm threshold --hidden none`,
# resumable) over r = N/B from 2e-5 to 1, then figures/xy_rmt.gp.
# Run by figures/make.sh (to B = 1e5 unless XY_RMT=1).  The largest B (5e6) holds 500 MB of
# samples per task and counts C^ in ~1 min: XY_RMT_BMAX=1e6 stops earlier.
# Usage: figures/xy_rmt.sh BIN DATA OUT
set -euo pipefail
bin=$1 data=$2 out=$3
bmax=${XY_RMT_BMAX:-5e6}
jobs=${XY_RMT_JOBS:-2}
dir=$data/xy_rmt_N100
"$bin" threshold --data xy --P 10 --beta 1.5 --N 100 --hidden none --Bmin 100 --Bmax "$bmax" \
    --points 15 --seeds 2 --seed 1 --jobs "$jobs" --out "$dir" > /dev/null
gnuplot -e "datadir='$dir'; outdir='$out'" figures/xy_rmt.gp
