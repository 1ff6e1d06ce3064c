#!/usr/bin/env bash
# The paper's Fig. 11 with trained Potts RBMs (issue 10 item 5; SPEC.md 7
# and 9): one trained threshold sweep (`symrbm threshold --data xy --hidden
# spin`, one binary unit per task, exact model term, hidden field learned;
# resumable), then figures/xy_thr.gp.
# Default: the paper's training scheme, SGD lr 0.1 on minibatches of 100
# (per-epoch reshuffle) for 20 epochs, so the learning time grows with B
# (t = 0.02 B), over r = N/B from 1 to 1e-3 (B = 100 .. 1e5, 12 points,
# 4 seeds): 18 s of CPU (one task at B = 1e5 is 2.6 s).
# XY_THR_SCHEME=T: the earlier full-batch run at the fixed learning time
# T = 40 (B from 300 to XY_THR_BMAX, 3 seeds; ~10 min of CPU to B = 1e6),
# where the large-B fields have not localised.
# figures/make.sh passes XY_THR_BMAX=1e5 XY_THR_POINTS=9 unless XY_THR=1.
# Usage: figures/xy_thr.sh BIN DATA OUT
set -euo pipefail
bin=$1 data=$2 out=$3
jobs=${XY_THR_JOBS:-2}
if [ "${XY_THR_SCHEME:-epochs}" = T ]; then
    bmax=${XY_THR_BMAX:-1e6}
    points=${XY_THR_POINTS:-12}
    dir=$data/xy_thr_N100_B${bmax}
    "$bin" threshold --data xy --P 10 --beta 1.5 --N 100 --hidden spin --Bmin 300 \
        --Bmax "$bmax" --points "$points" --seeds 3 --T 40 --lr 0.1 --seed 1 --jobs "$jobs" \
        --out "$dir" > /dev/null
else
    bmax=${XY_THR_BMAX:-1e5}
    points=${XY_THR_POINTS:-12}
    dir=$data/xy_thr_ep20_N100_B${bmax}_p${points}
    "$bin" threshold --data xy --P 10 --beta 1.5 --N 100 --hidden spin --Bmin 100 \
        --Bmax "$bmax" --points "$points" --seeds 4 --epochs 20 --batch 100 --lr 0.1 --seed 1 \
        --jobs "$jobs" --out "$dir" > /dev/null
fi
gnuplot -e "datadir='$dir'; outdir='$out'" figures/xy_thr.gp
