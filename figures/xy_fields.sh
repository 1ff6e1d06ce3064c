#!/usr/bin/env bash
# The paper's Fig. 9 and 10 (SPEC.md 9): receptive fields w_i(c) of RBMs
# with Potts visible units trained on xy data at the paper's settings (P =
# 10, beta = 1.5, N = 100, B = 10^5, SGD lr 0.01, batch 100, 100 epochs =
# 10^5 updates), shown by figures/xy_fields.gp:
#   fig9_xy_field_spin   one binary (+-1) unit, exact model term (2^M sum)
#   fig9_xy_field_drelu  one drelu double-well unit (U = h^2/2 - |h|,
#                        wells at h = +-1), PCD (100 chains, 1 Gibbs step)
#   fig10_xy_fields_M5   five binary units, exact model term
# The per-unit numbers (centre, phase, R, separations) are in each run's
# summary.tsv under DATA/xy_fields_*/.  About 3 minutes of CPU (M = 5 about
# 70 s, drelu about 80 s).  Run by figures/make.sh.
# Usage: figures/xy_fields.sh BIN DATA OUT
set -euo pipefail
bin=$1 data=$2 out=$3
mkdir -p "$data"
xy="--data xy --P 10 --beta 1.5 --N 100 --B 100000 --lr 0.01 --batch 100 --epochs 100 --seed 1"
# final weights.tsv rows (t mu c w_0..w_{N-1}) -> one block of P rows per unit
wmat() {
    awk '!/^#/ && $1 != "t" { t = $1; row[$2, $3] = $0; if ($2 + 1 > M) M = $2 + 1; if ($3 + 1 > P) P = $3 + 1 }
        END { for (m = 0; m < M; m++) { if (m) printf "\n\n"
                for (c = 0; c < P; c++) { n = split(row[m, c], a); s = a[4]
                    for (k = 5; k <= n; k++) s = s " " a[k]; print s } } }' "$1"
}
# sites.tsv + keep flag: site power at least 10% of the unit's largest
sites() {
    awk '/^#/ || $1 == "mu" { next }
        NR == FNR { if ($6 > mx[$1]) mx[$1] = $6; next }
        { print $0, ($6 >= 0.1 * mx[$1]) ? 1 : 0 }' "$1" "$1"
}
run() { # run FIGURE M TITLE SIM-ARGS...
    local fig=$1 M=$2 title=$3; shift 3
    local d=$data/xy_fields_$fig
    # shellcheck disable=SC2086
    "$bin" sim $xy "$@" --out "$d" > /dev/null
    wmat "$d/weights.tsv" > "$d/wmat.dat"
    sites "$d/sites.tsv" > "$d/sites.dat"
    gnuplot -e "wmat='$d/wmat.dat'; sites='$d/sites.dat'; M=$M; P=10; N=100; title='$title'; name='$fig'; outdir='$out'" \
        figures/xy_fields.gp
}
run fig9_xy_field_spin 1 'one binary unit, exact model term' --hidden spin --M 1 --model-term exact
run fig9_xy_field_drelu 1 'one double-well (drelu) unit, PCD' --hidden drelu --gamma 1 --theta -1 --M 1 --model-term pcd
run fig10_xy_fields_M5 5 'five binary units, exact model term' --hidden spin --M 5 --model-term exact
