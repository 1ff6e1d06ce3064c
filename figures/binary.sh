#!/usr/bin/env bash
# The paper's figures with binary (+-1) hidden units (SPEC.md 3b, 3c, 4, 7;
# Harsh et al. 2020, the settings of /work/shared/PAPER.md), from nothing:
#
#   fig3a_field        one unit's receptive field after the paper's training
#                      (ising N = 100, beta = 1, B = 10^4, PCD-20 with 100
#                      chains, SGD lr 0.001, batch 10, 100 epochs: t = 100)
#                      against the theory at the same clock, aligned by
#                      lattice shift and sign as symrbm compare does
#   fig4a_three_units  M = 3, the same training, against theory --M 3
#   fig4bc_tiling      M = 25 (100 epochs) and M = 100 (FIG4C_EPOCHS, default
#                      10; FIG4C=1: 100 epochs, about 17 minutes more) heat maps
#   fig7_W             W = |sum_i w_i|: beta scans at B = 10^4 (7a, symrbm
#                      threshold) and the paper's training against r = N/B
#                      at N = 20, beta = 0.5 and 0.17 (7b, docs/fig7b.md)
#   fig12_eigen        top eigenvalue of C^ against r = N/B (beta 0.3, 0.5)
#                      and top eigenvectors at five B (beta = 1)
#   fig14_small_beta   the small-beta lattice equation 37 (M = 1, 2) and the
#                      continuum profiles of eq. 44
#   fig_phase_spin     beta_c(N) of a binary unit with long integrations
#
# Every run is resumable (a run whose summary.tsv exists is skipped; symrbm
# threshold resumes by itself), so a second `make figures` only redraws.
# Usage: figures/binary.sh BIN DATA OUT
set -euo pipefail
bin=$1 data=$2/binary out=$3
jobs=$(nproc 2>/dev/null || echo 2)
mkdir -p "$data" "$out"
log() { [ -t 2 ] && echo "figures: binary: $*" >&2 || true; }
# wall seconds since the start at the end of each stage, for the README
stamp() { echo "$1 $SECONDS" >> "$data/times.txt"; }
: > "$data/times.txt"
key() { awk -F'\t' -v k="$2" '$1 == k { print $2 }' "$1/summary.tsv"; }
rows() { awk -f figures/final_rows.awk "$1/weights.tsv"; }
plot() { # plot SCRIPT NAME [gnuplot -e assignments]
    local script=$1 name=$2; shift 2
    for t in png pdf; do
        gnuplot -e "term='$t'; out='$out/$name'; $*" "figures/$script"
    done
}
# columns by name: cols FILE NAME...  The column line is the first line
# that holds every NAME (phase.tsv has a per-mode table before the beta_c
# one); rows are the lines after it with as many fields.
cols() {
    local f=$1; shift
    awk -v want="$*" 'BEGIN { n = split(want, w, " ") }
        /^#/ { next }
        { delete c; for (j = 1; j <= NF; j++) c[$j] = j; ok = 1
          for (k = 1; k <= n; k++) if (!(w[k] in c)) ok = 0
          if (ok) { for (k = 1; k <= n; k++) cc[k] = c[w[k]]; nf = NF; h = 1; next } }
        h && NF == nf { line = $(cc[1]); for (k = 2; k <= n; k++) line = line " " $(cc[k]); print line }
        END { if (!h) { print FILENAME ": no column line with " want > "/dev/stderr"; exit 1 } }' "$f"
}

# ---- the expensive runs, $jobs at a time, longest first ------------------
m100_epochs=${FIG4C_EPOCHS:-10}
[ "${FIG4C:-0}" = 1 ] && m100_epochs=100
tasks=$data/tasks.txt
: > "$tasks"
task() { local dir=$1; shift; [ -f "$dir/summary.tsv" ] || echo "$dir $*" >> "$tasks"; }
paper="sim --data ising --N 100 --beta 1 --hidden spin --model-term pcd --chains 100 --mc-steps 20
       --optimizer sgd --lr 0.001 --batch 10 --B 10000 --B-test 0 --seed 1"
paper=$(echo $paper)
task "$data/sim_M100_e$m100_epochs" $paper --M 100 --epochs "$m100_epochs" --snapshots 10
task "$data/sim_M25" $paper --M 25 --epochs 100 --snapshots 10
task "$data/sim_M3" $paper --M 3 --epochs 100 --snapshots 10
task "$data/sim_M1" $paper --M 1 --epochs 100 --snapshots 20
th="theory --data ising --N 100 --beta 1 --hidden spin --seed 1 --snapshots 20 --weights final"
task "$data/th_M1" $th --M 1 --T 100
task "$data/th_M3" $th --M 3 --T 100
# the small-beta equation (tau = 500: the paper's "500 integration steps")
for M in 1 2; do
    task "$data/sb_M$M" theory --equation small-beta --data ising --N 100 --beta 1 --M "$M" \
        --T 500 --seed 1 --snapshots 20 --weights final
done
# beta_c(N) of one binary unit, then long integrations at beta_c -+ 0.1
# (a 12-point scan over 0.5 .. 3.5 before the bisection instead of the
# default 80 over 0.05 .. 4: 5x less CPU at N = 50, the same beta_c to the
# bisection tolerance 1e-6; beta_c is 0.80 at N = 25 and grows with N)
Ns="25 50 100 200 400"
if [ ! -s "$data/phase.tsv" ]; then
    log "phase boundary (binary unit)"
    "$bin" phase --hidden spin --data ising --N "$(echo $Ns | tr ' ' ',')" --scan 12 --beta-min 0.5 \
        --beta-max 3.5 --out "$data/phase.tsv.tmp" > /dev/null
    mv "$data/phase.tsv.tmp" "$data/phase.tsv"
fi
stamp phase
cols "$data/phase.tsv" N beta_c > "$data/beta_c.dat"
while read -r N bc; do
    for d in -0.1 0.1; do
        b=$(awk -v x="$bc" -v d="$d" 'BEGIN { printf "%.6f", x + d }')
        task "$data/phase_N${N}_b$b" theory --data ising --hidden spin --N "$N" --beta "$b" \
            --T 1e4 --weights none --snapshots 10 --seed 1
    done
done < "$data/beta_c.dat"
# Fig. 7b: the paper's own training clock (250 epochs of B/10 updates at
# lr 0.001, so t = 0.025 B grows with B) at the stated beta = 0.5 and at
# beta = 0.17, the coupling whose W matches the paper's curve (docs/fig7b.md:
# its plateau 1.9-2.0 is the infinite-data W at beta ~ 0.17, while beta = 0.5
# gives 4.9 at N = 20 as at N = 100).  The exact model term stands in for
# PCD-20 (the same W within the seed scatter, measured there, at 1/80 the
# CPU); init-scale 0.05 sets the large-r floor near the paper's ~0.1.
w7b_B="10000 3077 1000 182 91 40 20"   # r = 0.002, 0.0065, 0.02, 0.11, 0.22, 0.5, 1
for b in 0.5 0.17; do
    for B in $w7b_B; do
        for s in 1 2 3 4 5 6 7 8 9 10; do
            task "$data/w7b_b${b}_B${B}_s$s" sim --data ising --N 20 --beta "$b" --hidden spin --M 1 \
                --model-term exact --optimizer sgd --lr 0.001 --batch 10 --epochs 250 --B "$B" \
                --B-test 0 --init-scale 0.05 --snapshots 1 --seed "$s"
        done
    done
done
log "$(wc -l < "$tasks") runs, $jobs at a time"
# shellcheck disable=SC2016
xargs -r -P "$jobs" -L 1 sh -c 'd=$1; shift; "$0" "$@" --out "$d" > /dev/null' "$bin" < "$tasks"
stamp runs

# ---- the threshold scans (each runs its tasks $jobs at a time) ------------
thr() { local dir=$1; shift; "$bin" threshold "$@" --jobs "$jobs" --out "$data/$dir" > /dev/null; }
log "W against beta (B = 10^4)"
# three linear grids make one roughly logarithmic beta axis
thr w_beta_a --scan beta --data ising --N 100 --hidden spin --B 10000 --beta-min 0.002 --beta-max 0.01 --points 5 --seeds 3 --T 40 --seed 1
thr w_beta_b --scan beta --data ising --N 100 --hidden spin --B 10000 --beta-min 0.02 --beta-max 0.1 --points 5 --seeds 3 --T 40 --seed 1
thr w_beta_c --scan beta --data ising --N 100 --hidden spin --B 10000 --beta-min 0.2 --beta-max 1.2 --points 6 --seeds 3 --T 40 --seed 1
stamp threshold_W
log "top eigenvalue and eigenvectors of C^"
# the trainer is irrelevant here (top_eval is C^'s): a gaussian unit for
# T = 1 trains in O(N^2) per update whatever B
for b in 0.3 0.5; do
    thr eig_b$b --data ising --N 100 --beta $b --hidden gaussian --Bmin 20 --Bmax 100000 \
        --points 14 --seeds 4 --T 1 --B-test 1 --seed 1
    "$bin" theory --data ising --N 100 --beta $b --spectrum --out "$data/spec_b$b" > /dev/null
done
for B in 10 78 599 4545 33333; do   # r = N/B = 10, 1.28, 0.167, 0.022, 0.003
    thr evec_B$B --data ising --N 100 --beta 1 --hidden gaussian --Bmin $B --Bmax $((B + 1)) \
        --points 2 --seeds 1 --T 1 --B-test 1 --snapshots 1 --keep-sim --seed 1
done

stamp threshold_eigen

# ---- Fig. 3a ---------------------------------------------------------------
rows "$data/th_M1" > "$data/th_M1.rows"
rows "$data/sim_M1" > "$data/sim_M1.rows"
awk -f figures/align.awk "$data/th_M1.rows" "$data/sim_M1.rows" > "$data/fig3a.dat"
read -r Q3a < <(awk '/^# 0 / { print $3 }' "$data/fig3a.dat")
# peak and most negative weight of sim (column 2) and theory (column 3)
read -r sp sd tp td < <(awk '!/^#/ { if (n++ == 0) { sp = sd = $2; tp = td = $3 }
    sp = $2 > sp ? $2 : sp; sd = $2 < sd ? $2 : sd; tp = $3 > tp ? $3 : tp; td = $3 < td ? $3 : td }
    END { printf "%.3f %.3f %.3f %.3f\n", sp, sd, tp, td }' "$data/fig3a.dat")
echo "# Q sim_peak sim_min theory_peak theory_min sim_fwhm theory_fwhm" > "$data/fig3a_numbers.dat"
echo "$Q3a $sp $sd $tp $td $(key "$data/sim_M1" fwhm) $(key "$data/th_M1" fwhm)" >> "$data/fig3a_numbers.dat"
log "fig3a: Q = $Q3a, sim peak $sp min $sd, theory peak $tp min $td"
plot fig3a_field.gp fig3a_field "dat='$data/fig3a.dat'; Q=$Q3a"

# ---- Fig. 4a-c ---------------------------------------------------------------
rows "$data/th_M3" > "$data/th_M3.rows"
rows "$data/sim_M3" > "$data/sim_M3.rows"
awk -f figures/align.awk "$data/th_M3.rows" "$data/sim_M3.rows" > "$data/fig4a.dat"
Qm=$(awk '/^# [0-9]/ { s += $3; n++ } END { printf "%.4f", s / n }' "$data/fig4a.dat")
plot fig4a_three_units.gp fig4a_three_units "dat='$data/fig4a.dat'; Q=$Qm"
# heat maps: units sorted by centre, each signed so its largest |w| is positive
sorted() {
    awk 'BEGIN { pi = atan2(0, -1) }
        { N = NF - 1; mx = 0; c = 0; s = 0
          for (i = 0; i < N; i++) { x = $(i + 2); if (x * x > mx * mx) mx = x
              c += x * x * cos(2 * pi * i / N); s += x * x * sin(2 * pi * i / N) }
          z = atan2(s, c) * N / (2 * pi); if (z < 0) z += N
          line = sprintf("%.6f", z); sg = mx < 0 ? -1 : 1
          for (i = 0; i < N; i++) line = line " " sg * $(i + 2); print line }' "$1" | sort -g |
    awk '{ for (i = 2; i <= NF; i++) print NR - 1, i - 2, $i; print "" }'
}
rows "$data/sim_M25" > "$data/sim_M25.rows"
rows "$data/sim_M100_e$m100_epochs" > "$data/sim_M100.rows"
sorted "$data/sim_M25.rows" > "$data/fig4b.dat"
sorted "$data/sim_M100.rows" > "$data/fig4c.dat"
plot fig4bc_tiling.gp fig4bc_tiling "d25='$data/fig4b.dat'; d100='$data/fig4c.dat'; e100=$m100_epochs"

# ---- Fig. 7 ------------------------------------------------------------------
for s in a b c; do cols "$data/w_beta_$s/beta_scan.tsv" beta W_mean W_sd; done | sort -g > "$data/fig7a.dat"
# 7b: W = |sum_i w_i| of each run's final weights, then mean and sd over
# the seeds: "r W_mean W_sd B" per beta
for b in 0.5 0.17; do
    for B in $w7b_B; do
        for s in 1 2 3 4 5 6 7 8 9 10; do rows "$data/w7b_b${b}_B${B}_s$s"; done |
            awk -v B="$B" '{ w = 0; for (i = 2; i <= NF; i++) w += $i; w = w < 0 ? -w : w
                             n++; m += w; q += w * w }
                END { m /= n; v = n > 1 ? (q - n * m * m) / (n - 1) : 0
                      printf "%.17g %.17g %.17g %d\n", 20 / B, m, sqrt(v > 0 ? v : 0), B }'
    done | sort -g > "$data/fig7b_b$b.dat"
done
plot fig7_W.gp fig7_W "da='$data/fig7a.dat'; db5='$data/fig7b_b0.5.dat'; db17='$data/fig7b_b0.17.dat'"

# ---- Fig. 12 -----------------------------------------------------------------
for b in 0.3 0.5; do
    lmax=$(cols "$data/spec_b$b/spectrum.tsv" lambda | sort -g | tail -1)
    cols "$data/eig_b$b/threshold.tsv" B top_eval_mean x_top_rmt |
        awk -v l="$lmax" '{ print 100 / $1, $2, $3, l }' | sort -g > "$data/fig12_b$b.dat"
done
# top eigenvectors (evec_i of the B-point task), signed so sum_i u_i >= 0
for B in 10 78 599 4545 33333; do
    awk -F'\t' '$1 ~ /^evec_/ { i = substr($1, 6); u[i] = $2; s += $2; n++ }
        END { sg = s < 0 ? -1 : 1; for (i = 0; i < n; i++) print i, sg * u[i] }' \
        "$data/evec_B$B/tasks/${B}_0/result.tsv" > "$data/fig12_evec_B$B.dat"
done
plot fig12_eigen.gp fig12_eigen "d3='$data/fig12_b0.3.dat'; d5='$data/fig12_b0.5.dat'; ev='$data/fig12_evec_B'"

# ---- Fig. 14 -----------------------------------------------------------------
# weights.tsv holds eq. 37's raw final state; for M = 2 the equation is
# invariant under rotations of the two units, so (as run_sb.c does for its
# summary) rotate them by the angle that maximises sum u^4, closed form
# theta = arg(sum_i z_i^4) / 4 with z = u_0 + i u_1 (theory/smallbeta.c
# sb_localise; one rotation is exact for a single pair).  Then each unit is
# signed to a positive peak, and the ring is rolled (both units together) so
# that unit 0's peak sits at site 25, the M = 1 peak at site 50.
rows "$data/sb_M2" > "$data/sb_M2.rows"
awk '{ for (i = 2; i <= NF; i++) u[NR, i - 2] = $i; N = NF - 1 }
     END { re = 0; im = 0
           for (i = 0; i < N; i++) { x = u[1, i]; y = u[2, i]; x2 = x * x; y2 = y * y
               re += x2 * x2 - 6 * x2 * y2 + y2 * y2; im += 4 * x * y * (x2 - y2) }
           th = atan2(im, re) / 4; c = cos(th); s = sin(th)
           for (i = 0; i < N; i++) { a[i] = c * u[1, i] + s * u[2, i]; b[i] = -s * u[1, i] + c * u[2, i]
               if (a[i] * a[i] > ma * ma) { ma = a[i]; ia = i } if (b[i] * b[i] > mb * mb) mb = b[i] }
           sa = ma < 0 ? -1 : 1; sb = mb < 0 ? -1 : 1
           for (i = 0; i < N; i++) { j = (i + ia - 25 + 2 * N) % N; printf "%d %.9g %.9g\n", i, sa * a[j], sb * b[j] } }' \
    "$data/sb_M2.rows" > "$data/fig14_M2.dat"
cols "$data/sb_M1/continuum.tsv" i u_continuum u_lattice |
    awk '{ i = $1; c[i] = $2; v[i] = $3; if ($3 * $3 > m * m) { m = $3; im = i } N = NR }
         END { sg = m < 0 ? -1 : 1
               for (i = 0; i < N; i++) { j = (i + im - 50 + 2 * N) % N; print i, c[j], sg * v[j] } }' \
    > "$data/fig14_M1.dat"
plot fig14_small_beta.gp fig14_small_beta "d1='$data/fig14_M1.dat'; d2='$data/fig14_M2.dat';
    bm=$(key "$data/sb_M1" b_continuum_minus); bp=$(key "$data/sb_M1" b_continuum_plus);
    b1=$(key "$data/sb_M1" b_0); b20=$(key "$data/sb_M2" b_0); b21=$(key "$data/sb_M2" b_1)"

# ---- binary beta_c(N) ----------------------------------------------------------
: > "$data/phase_points.dat"
while read -r N bc; do
    for d in -0.1 0.1; do
        b=$(awk -v x="$bc" -v d="$d" 'BEGIN { printf "%.6f", x + d }')
        echo "$N $b $(key "$data/phase_N${N}_b$b" R)" >> "$data/phase_points.dat"
    done
done < "$data/beta_c.dat"
gauss=$2/beta_c.dat   # the gaussian unit's boundary of figure 4, when make.sh made it
plot fig_phase_spin.gp fig_phase_spin "pb='$data/beta_c.dat'; pts='$data/phase_points.dat'; pg='$gauss'"
stamp plots
log "done"
