# The demo figure: theory (lines) against simulation with B = 10^4 (open) and
# 10^5 (filled) samples, one binary hidden unit, ising N = 100 beta = 1.
# Left: order parameters; right: aligned overlap Q of the simulated
# receptive field with the theory's.  Columns are read by name (new columns
# may be appended to the files).
# in: th, s4, s5 (trajectory.tsv), c4, c5 (compare.tsv), out, term
load 'figures/common.gp'
if (term eq 'png') { set terminal pngcairo size 1400,620 enhanced font 'Helvetica,16' linewidth 2 }
if (term eq 'pdf') { set terminal pdfcairo size 17cm,7.5cm enhanced font 'Helvetica,8' linewidth 1 }
set output out.'.'.term
set multiplot layout 1,2 title 'symrbm demo: one binary hidden unit learning ising data (N = 100, {/Symbol b} = 1)'
set logscale x
set xrange [0.04:40]
set xlabel 'learning time {/Helvetica-Italic t}'
set ylabel 'order parameter'
set yrange [0:1.25]
set key top left font ',13' spacing 1.2
plot th using 't':(column('norm2')/6) with lines ls 1 title 'norm2 / 6 (theory)', \
     th using 't':'pr' with lines ls 2 title 'pr (theory)', \
     th using 't':'R' with lines ls 3 title 'R (theory)', \
     s4 using 't':(column('norm2')/6) every 5 with points ls 1 pt 6 ps 1.6 lw 1 title 'sim, B = 10^4', \
     s5 using 't':(column('norm2')/6) every 5 with points ls 1 pt 7 title 'sim, B = 10^5', \
     s4 using 't':'pr' every 5 with points ls 2 pt 4 ps 1.6 lw 1, s5 using 't':'pr' every 5 with points ls 2 pt 5, \
     s4 using 't':'R' every 5 with points ls 3 pt 8 ps 1.6 lw 1, s5 using 't':'R' every 5 with points ls 3 pt 9
set ylabel 'aligned overlap {/Helvetica-Italic Q}(sim, theory)'
set yrange [0.8:1.01]
set key bottom right font ',14' spacing 1.3
plot c4 using 't':'Q' every 3 with linespoints ls 4 pt 6 title 'B = 10^4', \
     c5 using 't':'Q' every 3 with linespoints ls 2 pt 7 title 'B = 10^5'
unset multiplot
