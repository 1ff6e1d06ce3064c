# Figure (5) of issue 4: critical sample size B_c against beta (ising) and
# against eps (bump, rho = 1/2), N = 100 (top) and 400 (bottom); SPEC.md 7.
# Lines: BBP estimate N/(lambda_max-1)^2 (dashed) and the random-matrix
# prediction (solid).  Points with 95% bootstrap bars: measured from the
# linear-regime overlap ov_lin (filled), from the trained squared overlap Q^2
# (open squares) and from the trained overlap Q (open triangles).
# Input: DATADIR/threshold_<model>_N<N>/bc.tsv (figures/threshold_collect.sh);
# columns 1 x, 2 BBP, 3 RMT, 4-6 lin, 7-9 Q, 10-12 S, 13 lambda_max, 14-16 Q2,
# 17 RMT top-eigenspace B_c (not drawn).
#   gnuplot -e "datadir='figures/data'; outdir='figures/out'" figures/threshold.gp
if (!exists("datadir")) datadir = 'figures/data'
if (!exists("outdir")) outdir = 'figures/out'
system('mkdir -p ' . outdir)

f(m, n) = sprintf('%s/threshold_%s_N%d/bc.tsv', datadir, m, n)
cb = '#555555'; cr = '#000000'; cl = '#1f77b4'; cq2 = '#d62728'; cq = '#2ca02c'

do for [term = 0:1] {
    if (term == 0) {
        set terminal pngcairo size 1400,1100 enhanced font 'Helvetica,20' linewidth 2
        set output outdir . '/fig5_critical_sample_size.png'
        keyfont = ',16'
    } else {
        set terminal pdfcairo size 6.5in,5.2in enhanced font 'Helvetica,11' linewidth 1
        set output outdir . '/fig5_critical_sample_size.pdf'
        keyfont = ',9'
    }
    set multiplot layout 2,2 margins 0.10,0.98,0.08,0.98 spacing 0.08,0.11
    set logscale y
    set format y '10^{%L}'
    set yrange [1:1e5]
    set grid ytics lc rgb '#dddddd'
    set bars small
    set key top right samplen 1.5 spacing 1.0 reverse Left width 1 font keyfont
    do for [row = 0:1] {
        n = row == 0 ? 100 : 400
        # ising panel
        unset title
        set label 1 sprintf('ising, N = %d', n) at graph 0.04, graph 0.07 left front
        set xlabel 'coupling {/Symbol b}'
        set ylabel 'critical sample size B_c'
        set xrange [0:1.05]
        dx = 0.012
        if (row == 0) { set key top right } else { unset key }
        plot f('ising',n) u 1:2 w lp dt 2 pt 1 ps 0.7 lc rgb cb t 'BBP', \
             f('ising',n) u 1:3 w lp dt 1 pt 0 lc rgb cr t 'random matrix', \
             f('ising',n) u 1:4:5:6 w yerrorbars pt 7 ps 0.9 lc rgb cl t 'measured ov_{lin}', \
             f('ising',n) u ($1+dx):14:15:16 w yerrorbars pt 4 ps 0.9 lc rgb cq2 t 'measured Q^2', \
             f('ising',n) u ($1-dx):7:8:9 w yerrorbars pt 8 ps 0.9 lc rgb cq t 'measured Q'
        # bump panel
        set label 1 sprintf('bump ({/Symbol r} = 1/2), N = %d', n) at graph 0.96, graph 0.07 right front
        set xlabel 'flip noise {/Symbol e}'
        unset ylabel
        set xrange [0.34:0.485]
        dx = 0.0015
        unset key
        plot f('bump',n) u 1:2 w lp dt 2 pt 1 ps 0.7 lc rgb cb t 'BBP', \
             f('bump',n) u 1:3 w lp dt 1 pt 0 lc rgb cr t 'random matrix', \
             f('bump',n) u 1:4:5:6 w yerrorbars pt 7 ps 0.9 lc rgb cl t 'measured ov_{lin}', \
             f('bump',n) u ($1+dx):14:15:16 w yerrorbars pt 4 ps 0.9 lc rgb cq2 t 'measured Q^2', \
             f('bump',n) u ($1-dx):7:8:9 w yerrorbars pt 8 ps 0.9 lc rgb cq t 'measured Q'
    }
    unset multiplot
    unset output
}
