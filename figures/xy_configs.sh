#!/usr/bin/env bash
# The paper's Fig. 8 (SPEC.md 2 and 9): 100 configurations of the xy data
# (P = 10 Potts states, beta = 1.5, N = 100), drawn exactly by
# `symrbm sample`, shown as a colour image by figures/xy_configs.gp (state =
# colour on a cyclic palette, since state P-1 neighbours state 0 in angle).
# Takes a second.  Run by figures/make.sh.
# Usage: figures/xy_configs.sh BIN DATA OUT
set -euo pipefail
bin=$1 data=$2 out=$3
mkdir -p "$data"
samples=$data/xy_configs_P10_N100.txt
"$bin" sample --data xy --P 10 --beta 1.5 --N 100 --B 100 --seed 1 --out "$samples"
gnuplot -e "samples='$samples'; outdir='$out'" figures/xy_configs.gp
