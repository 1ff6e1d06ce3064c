# Figure (5) of issue 4: critical sample size B_c against beta (ising) and
# against eps (bump, rho = 1/2), SPEC.md section 7: BBP estimate (dashed),
# random-matrix prediction (solid), measured from the linear-regime overlap
# (filled) and from the trained aligned overlap Q (open), 95% bootstrap bars.
# Input: DATADIR/threshold_<model>_N<N>/bc.tsv (figures/threshold_collect.sh).
#   gnuplot -e "datadir='figures/data'; outdir='figures/out'" figures/threshold.gp
if (!exists("datadir")) datadir = 'figures/data'
if (!exists("outdir")) outdir = 'figures/out'
system('mkdir -p ' . outdir)

f(m, n) = sprintf('%s/threshold_%s_N%d/bc.tsv', datadir, m, n)
# one colour per N; one line/point style per estimate
c100 = '#1f77b4'; c400 = '#d62728'

do for [term = 0:1] {
    if (term == 0) {
        set terminal pngcairo size 1500,620 enhanced font 'Helvetica,19' linewidth 2
        set output outdir . '/threshold.png'
    } else {
        set terminal pdfcairo size 7.2in,3.0in enhanced font 'Helvetica,10' linewidth 1
        set output outdir . '/threshold.pdf'
    }
    set multiplot layout 1,2
    set logscale y
    set format y '10^{%L}'
    set ylabel 'critical sample size B_c'
    set grid ytics mytics lc rgb '#dddddd'
    set key top right samplen 2 spacing 1.0 font ',0.8'
    set bars small
    set yrange [1:3e5]

    set title 'ising ring'
    set xlabel 'coupling {/Symbol b}'
    set xrange [0:1.1]
    set key top right
    plot f('ising',100) u 1:2 w lp dt 2 pt 1 ps 0.8 lc rgb c100 t 'BBP, N=100', \
         f('ising',100) u 1:3 w lp dt 1 pt 0 lc rgb c100 t 'RMT, N=100', \
         f('ising',100) u 1:4:5:6 w yerrorbars pt 7 ps 0.9 lc rgb c100 t 'ov_{lin}, N=100', \
         f('ising',100) u ($1+0.012):7:8:9 w yerrorbars pt 6 ps 0.9 lc rgb c100 t 'Q, N=100', \
         f('ising',400) u 1:2 w lp dt 2 pt 1 ps 0.8 lc rgb c400 t 'BBP, N=400', \
         f('ising',400) u 1:3 w lp dt 1 pt 0 lc rgb c400 t 'RMT, N=400', \
         f('ising',400) u 1:4:5:6 w yerrorbars pt 5 ps 0.9 lc rgb c400 t 'ov_{lin}, N=400', \
         f('ising',400) u ($1+0.012):7:8:9 w yerrorbars pt 4 ps 0.9 lc rgb c400 t 'Q, N=400'

    set title 'bump ({/Symbol r} = 1/2)'
    set xlabel 'flip noise {/Symbol e}'
    set xrange [0.34:0.485]
    set key top left
    plot f('bump',100) u 1:2 w lp dt 2 pt 1 ps 0.8 lc rgb c100 t 'BBP, N=100', \
         f('bump',100) u 1:3 w lp dt 1 pt 0 lc rgb c100 t 'RMT, N=100', \
         f('bump',100) u 1:4:5:6 w yerrorbars pt 7 ps 0.9 lc rgb c100 t 'ov_{lin}, N=100', \
         f('bump',100) u ($1+0.0015):7:8:9 w yerrorbars pt 6 ps 0.9 lc rgb c100 t 'Q, N=100', \
         f('bump',400) u 1:2 w lp dt 2 pt 1 ps 0.8 lc rgb c400 t 'BBP, N=400', \
         f('bump',400) u 1:3 w lp dt 1 pt 0 lc rgb c400 t 'RMT, N=400', \
         f('bump',400) u 1:4:5:6 w yerrorbars pt 5 ps 0.9 lc rgb c400 t 'ov_{lin}, N=400', \
         f('bump',400) u ($1+0.0015):7:8:9 w yerrorbars pt 4 ps 0.9 lc rgb c400 t 'Q, N=400'
    unset multiplot
    unset output
}
