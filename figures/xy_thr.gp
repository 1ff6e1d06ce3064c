# The paper's Fig. 11 with trained Potts RBMs (issue 10 item 5; captions in
# figures/README.md).  Input: DATADIR/threshold.tsv and summary.tsv of
# `symrbm threshold --data xy ... --hidden spin` (figures/xy_thr.sh).
# threshold.tsv columns: 1 B, 2 r, 3 seeds, 4-5 ang_frac, 6-7 S_ang, 8-9 R,
# 10-11 norm2, 12-13 pr, 14-15 ll_train, 16-17 ll_test (mean, sd),
# 18 ov_ang_rmt, 19 ov_spat_rmt.
# Default data: the paper's training scheme (20 epochs, batch 100, lr 0.1);
# the earlier fixed-T run is figures/data/xy_thr_N100_B1e6.
#   gnuplot -e "datadir='figures/data/xy_thr_ep20_N100_B1e5_p12'; outdir='figures/out'" figures/xy_thr.gp
if (!exists("datadir")) datadir = 'figures/data/xy_thr_ep20_N100_B1e5_p12'
if (!exists("outdir")) outdir = 'figures/out'
system('mkdir -p ' . outdir)
tsv = datadir . '/threshold.tsv'
sumf = datadir . '/summary.tsv'
getnum(key) = real(system(sprintf("awk -F'\\t' '$1==\"%s\"{print $2}' %s", key, sumf)))
rang = getnum('r_ang'); rang_lo = getnum('r_ang_lo'); rang_hi = getnum('r_ang_hi')
rspat = getnum('r_spat'); rspat_lo = getnum('r_spat_lo'); rspat_hi = getnum('r_spat_hi')
rang_rmt = getnum('r_ang_rmt'); rspat_fall_rmt = getnum('r_spat_fall_rmt')
rpaper = getnum('r_paper')
# the paper's Fig. 11 values (its own training: 20 epochs, batch 100, lr 0.1)
pang = 0.033; pspat = 0.002
ok(x) = x == x ? x : 1e-30
# the x range of the grid (r column), half a decade beyond each end
stats tsv u 2 nooutput
rlo = STATS_min / 3; rhi = STATS_max * 3

do for [term = 0:1] {
    if (term == 0) {
        set terminal pngcairo size 1000,1500 enhanced font 'Helvetica,16' linewidth 2
        set output outdir . '/fig11_xy_thresholds.png'
    } else {
        set terminal pdfcairo size 8.5cm,12cm enhanced font 'Helvetica,7' linewidth 1
        set output outdir . '/fig11_xy_thresholds.pdf'
    }
    reset
    set multiplot layout 2,1
    set logscale x
    set format x '10^{%L}'
    set xrange [rlo:rhi]
    set yrange [0:1.05]
    set grid lc rgb '#dddddd'
    set xlabel 'r = N / B' offset 0,0.6
    set key below maxcols 1 samplen 2 font ',12' box
    # (a) angular order
    set ylabel 'angular order'
    set object 1 rect from ok(rang_lo), graph 0 to ok(rang_hi), graph 1 fc rgb '#1b5e9e' fs transparent solid 0.12 noborder behind
    set arrow 1 from ok(rang), graph 0 to ok(rang), graph 1 nohead lw 2 lc rgb '#1b5e9e'
    set arrow 2 from rang_rmt, graph 0 to rang_rmt, graph 1 nohead dt 2 lc rgb '#c0392b'
    set arrow 3 from rpaper, graph 0 to rpaper, graph 1 nohead dt 4 lc rgb '#8e44ad'
    set arrow 4 from pang, graph 0 to pang, graph 1 nohead dt 3 lw 2 lc rgb '#555555'
    plot tsv u 2:4:5 w yerrorlines pt 7 ps 1 lc rgb '#1b5e9e' t 'ang\_frac: p = ±1 share of |w|^2 (mean, sd)', \
         tsv u 2:6:7 w yerrorlines pt 6 ps 1 dt 2 lc rgb '#5dade2' t 'S\_ang: (k = 0, p = ±1) share', \
         NaN w l lw 2 lc rgb '#1b5e9e' t sprintf('measured r_{ang} = %.3g [%.3g, %.3g]', rang, rang_lo, rang_hi), \
         NaN w l dt 2 lc rgb '#c0392b' t sprintf('random matrix (data only) %.3g', rang_rmt), \
         NaN w l dt 4 lc rgb '#8e44ad' t sprintf('eq. 30-31, product edge %.3g', rpaper), \
         NaN w l dt 3 lw 2 lc rgb '#555555' t sprintf('paper Fig. 11: %.3g', pang)
    # (b) spatial localisation
    unset object 1
    unset arrow 1; unset arrow 2; unset arrow 3; unset arrow 4
    set ylabel 'spatial localisation R'
    set object 2 rect from ok(rspat_lo), graph 0 to ok(rspat_hi), graph 1 fc rgb '#c0392b' fs transparent solid 0.12 noborder behind
    set arrow 5 from ok(rspat), graph 0 to ok(rspat), graph 1 nohead lw 2 lc rgb '#c0392b'
    set arrow 6 from rspat_fall_rmt, graph 0 to rspat_fall_rmt, graph 1 nohead dt 2 lc rgb '#e67e22'
    set arrow 7 from pspat, graph 0 to pspat, graph 1 nohead dt 3 lw 2 lc rgb '#555555'
    plot tsv u 2:8:9 w yerrorlines pt 7 ps 1 lc rgb '#c0392b' t 'R of the site power (mean, sd)', \
         NaN w l lw 2 lc rgb '#c0392b' t sprintf('measured r_{spat} = %.3g [%.3g, %.3g]', rspat, rspat_lo, rspat_hi), \
         NaN w l dt 2 lc rgb '#e67e22' t sprintf('random matrix (data only, k ≠ 0 resolved) %.3g', rspat_fall_rmt), \
         NaN w l dt 3 lw 2 lc rgb '#555555' t sprintf('paper Fig. 11: %.3g', pspat)
    unset multiplot
}
