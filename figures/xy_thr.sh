#!/usr/bin/env bash
# The paper's Fig. 11 with trained Potts RBMs (issue 10 item 5; SPEC.md 7
# and 9): one trained threshold sweep (`symrbm threshold --data xy --hidden
# spin`, one binary unit per task, exact model term, full-batch SGD at the
# fixed learning time T = 40 with lr = 0.1; resumable) over r = N/B from
# 1e-4 to 0.33, then figures/xy_thr.gp.  About 10 min of CPU for the full
# grid (B = 1e6 costs ~100 s per task); run by figures/make.sh to B = 1e5
# unless XY_THR=1.
# Usage: figures/xy_thr.sh BIN DATA OUT
set -euo pipefail
bin=$1 data=$2 out=$3
bmax=${XY_THR_BMAX:-1e6}
points=${XY_THR_POINTS:-12}
jobs=${XY_THR_JOBS:-2}
dir=$data/xy_thr_N100_B${bmax}
"$bin" threshold --data xy --P 10 --beta 1.5 --N 100 --hidden spin --Bmin 300 --Bmax "$bmax" \
    --points "$points" --seeds 3 --T 40 --lr 0.1 --seed 1 --jobs "$jobs" --out "$dir" > /dev/null
gnuplot -e "datadir='$dir'; outdir='$out'" figures/xy_thr.gp
