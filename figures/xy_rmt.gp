# The paper's Fig. 13d-e for xy data (SPEC.md 7, 9; captions in
# figures/README_xy.md).  Input: DATADIR/threshold.tsv and summary.tsv of
# `symrbm threshold --data xy ... --hidden none` (figures/xy_rmt.sh).
# threshold.tsv columns: 1 B, 2 r, 3 seeds, 4-5 top_eval, 6-7 top_norm,
# 8-9 ov_ang, 10-11 ov_spat, 12-13 ov_grow (mean, sd), 14 x_top_rmt,
# 15 x_top_norm_rmt, 16 edge_norm, 17 x_edge_norm_rmt, 18 ov_ang_rmt,
# 19 ov_spat_rmt, 20 ov_grow_rmt.
#   gnuplot -e "datadir='figures/data/xy_rmt_N100'; outdir='figures/out'" figures/xy_rmt.gp
if (!exists("datadir")) datadir = 'figures/data/xy_rmt_N100'
if (!exists("outdir")) outdir = 'figures/out'
system('mkdir -p ' . outdir)
tsv = datadir . '/threshold.tsv'
sumf = datadir . '/summary.tsv'
getnum(key) = real(system(sprintf("awk -F'\\t' '$1==\"%s\"{print $2}' %s", key, sumf)))
Lxy = getnum('Lambda_xy')
rpaper = getnum('r_paper')
rang = getnum('r_ang'); rang_rmt = getnum('r_ang_rmt')
P = 10.0
# null noise edge in the paper's normalisation, c = N (P-1)/B = (P-1) r: a
# product (the paper's eq. 31 prints a sum)
edge(r) = P / (P - 1) * (1 + sqrt((P - 1) * r))**2
edgesum(r) = P / (P - 1) + (1 + sqrt((P - 1) * r))**2

do for [term = 0:1] {
  do for [panel = 0:1] {
    name = panel == 0 ? 'fig13d_xy_top_eigenvalue' : 'fig13e_xy_top_projection'
    if (term == 0) {
        set terminal pngcairo size 1000,720 enhanced font 'Helvetica,16' linewidth 2
        set output outdir . '/' . name . '.png'
    } else {
        set terminal pdfcairo size 8.5cm,6.2cm enhanced font 'Helvetica,7' linewidth 1
        set output outdir . '/' . name . '.pdf'
    }
    reset
    set logscale x
    set format x '10^{%L}'
    set xrange [1e-5:2]
    set xlabel 'r = N / B'
    set grid lc rgb '#dddddd'
    set key top left reverse Left samplen 2
    if (panel == 0) {
        set logscale y
        set yrange [1:40]
        set ylabel 'top eigenvalue of C^ / ((1/P)(1-1/P))'
        set arrow 1 from rpaper, graph 0 to rpaper, graph 1 nohead dt 3 lc rgb '#888888'
        set label 1 sprintf("edge = {/Symbol L}_{XY}\nat r = %.3g", rpaper) at rpaper*1.15, 2.2 left
        plot tsv u 2:6:7 w yerrorbars pt 7 ps 1 lc rgb '#1b5e9e' t 'measured (mean, sd of 2 seeds)', \
             tsv u 2:15 w l lw 2 lc rgb '#c0392b' t 'random matrix (full spectrum)', \
             edge(x) w l dt 2 lw 2 lc rgb '#555555' t 'noise edge (P/(P-1))(1+c^{1/2})^2, c = (P-1) r', \
             edgesum(x) w l dt 4 lw 1 lc rgb '#aaaaaa' t 'misprinted sum form (eq. 31)', \
             Lxy w l dt 1 lw 1 lc rgb '#27ae60' t sprintf('{/Symbol L}_{XY} = %.3f', Lxy)
    } else {
        unset logscale y
        set yrange [0:1.05]
        set ylabel 'norm of the projection on {k = 0, p = ±1}'
        set key bottom left
        set arrow 1 from rang, graph 0 to rang, graph 1 nohead dt 3 lc rgb '#1b5e9e'
        set arrow 2 from rang_rmt, graph 0 to rang_rmt, graph 1 nohead dt 3 lc rgb '#c0392b'
        plot tsv u 2:(sqrt($8)):(0.5*$9/sqrt($8)) w yerrorbars pt 7 ps 1 lc rgb '#1b5e9e' t 'measured', \
             tsv u 2:(sqrt($18)) w l lw 2 lc rgb '#c0392b' t 'random matrix', \
             tsv u 2:(sqrt($10)) w lp pt 6 dt 2 lc rgb '#27ae60' t 'measured, k ≠ 0 growing modes (norm)', \
             tsv u 2:(sqrt($19)) w l dt 2 lc rgb '#8e44ad' t 'random matrix, k ≠ 0'
    }
  }
}
