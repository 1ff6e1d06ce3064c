# Figure 3: norm2, pr and R against t; theory lines, simulation points.
# in: th, s4, s5, out
load 'figures/common.gp'
set logscale x
set xlabel 'learning time {/Helvetica-Italic t}'
set ylabel 'order parameter'
set xrange [0.04:40]
set yrange [0:1.25]
set key top left font ',13' spacing 1.2
set title 'Order parameters: theory (lines), simulation B = 10^4 (open), 10^5 (filled)'
plot th using 1:3 with lines ls 1 title 'norm2 = {/Symbol S} w^2', \
     th using 1:4 with lines ls 2 title 'participation ratio pr', \
     th using 1:5 with lines ls 3 title 'localisation R', \
     s4 using 1:3 every 6 with points ls 1 pt 6 ps 1.6 lw 1 title 'simulation, B = 10^4', \
     s5 using 1:3 every 6 with points ls 1 pt 7 title 'simulation, B = 10^5', \
     s4 using 1:4 every 6 with points ls 2 pt 4 ps 1.6 lw 1, s5 using 1:4 every 6 with points ls 2 pt 5, \
     s4 using 1:5 every 6 with points ls 3 pt 8 ps 1.6 lw 1, s5 using 1:5 every 6 with points ls 3 pt 9
